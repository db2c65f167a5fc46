"""civic-score shows progress on standard error only when that is a terminal
and a load takes more than a second.  Standard input is fed after 2.5 s, so
the load takes that long; run once with a pseudo-terminal as stderr (progress
expected, then erased) and once with a pipe (none expected); then with a bad
line under --lenient: its report starts on a line of its own, the progress
line wiped first (it was written at the end of it, and stayed).  Ctrl-C
(SIGINT) during the load erases the line too, and the process still dies
by the signal.
usage: python3 tests/cli/progress.py build/civic-score RULES.toml EVENTS.csv"""
import fcntl
import os
import pty
import signal
import subprocess
import sys
import termios
import threading
import time

cli, rules, events = sys.argv[1], sys.argv[2], sys.argv[3]
with open(events, "rb") as f:
    data = f.read()


def read_all(master):
    """Everything left to read on a pty's master side, which is then closed
    (reading it fails with EIO once the child's side is gone)."""
    got = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        got += chunk
    os.close(master)
    return got


def run(stderr_tty, data=data, extra=()):
    master = slave = None
    if stderr_tty:
        master, slave = pty.openpty()
    p = subprocess.Popen([cli, "-r", rules, "-f", "csv", "-t", "2022-10-01", *extra, "-"],
                         stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=slave if stderr_tty else subprocess.PIPE)

    def feed():
        time.sleep(2.5)
        p.stdin.write(data)
        p.stdin.close()
    feeder = threading.Thread(target=feed)
    feeder.start()
    out = p.stdout.read()
    err = b"" if stderr_tty else p.stderr.read()
    p.wait()
    feeder.join()
    if stderr_tty:
        os.close(slave)
        err += read_all(master)
    return p.returncode, out, err


rc, out, err = run(True)
ok = rc == 0 and b"loading standard input ... 1 s" in err and err.endswith(b"\r\x1b[K") \
    and out.startswith(b"subject,group,score")
if not ok:
    print("progress on a terminal: rc=%d stderr=%r" % (rc, err))
rc2, out2, err2 = run(False)
if rc2 != 0 or err2 or out2 != out:
    print("progress on a pipe: rc=%d stderr=%r" % (rc2, err2))
    ok = False
bad = data.rstrip(b"\n") + b"\nz1,s9,no_such_rule,2022-01-01\n"
rc3, out3, err3 = run(True, bad, ["--lenient"])
report = b"civic-score: <stdin>: skipped: "
if rc3 != 0 or report not in err3 or b"\r\x1b[K" + report not in err3 \
        or b"loading standard input ... 1 s" not in err3:
    print("a report under the progress line: rc=%d stderr=%r" % (rc3, err3))
    ok = False



def interrupted(sig):
    """Stop a load that waits for standard input with `sig` once the progress
    line is shown: (exit status, what standard error showed)."""
    import select
    master, slave = pty.openpty()
    def as_at_a_terminal():
        # a job started in the background by a shell without job control
        # (make under nohup, a CI step) has SIGINT ignored, and civic-score
        # keeps a signal ignored when it started: Ctrl-C at a terminal is
        # the default action's
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    p = subprocess.Popen([cli, "-r", rules, "-f", "csv", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=slave, preexec_fn=as_at_a_terminal)
    os.close(slave)
    shown = b""
    until = time.time() + 10
    while b" s " not in shown and time.time() < until:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                shown += os.read(master, 4096)
            except OSError:
                break
    p.send_signal(sig)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdin.close()
    shown += read_all(master)
    return p.returncode, shown


for sig in (signal.SIGINT, signal.SIGTERM):
    rc5, shown = interrupted(sig)
    if rc5 != -sig or b"loading standard input ... 1 s" not in shown \
            or not shown.endswith(b"\r\x1b[K"):
        print("progress line erased by %s: rc=%s stderr=%r" % (sig.name, rc5, shown))
        ok = False


def typed(argv, first=b"id,subject,type,ts\n", then=b"e1,s1,fine,2022-01-01\n"):
    """Run with one pseudo-terminal as standard input, output and error,
    type a log (or rules) slowly, end it with one ^D, as at a shell: the
    exit status (None when the program still waited for more after that
    ^D: a terminal's end of file is not lasting, and a second read waits
    for a second ^D) and what the terminal showed."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                         start_new_session=True,  # the pty becomes its controlling tty: /dev/tty
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    shown = b""

    def drain(until):
        nonlocal shown
        import select
        while time.time() < until:
            r, _, _ = select.select([master], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                shown += chunk
    os.write(master, first)
    drain(time.time() + 2.5)
    os.write(master, then)
    drain(time.time() + 0.3)
    os.write(master, b"\x04")
    until = time.time() + 10
    while p.poll() is None and time.time() < until:
        drain(time.time() + 0.1)
    rc = p.poll()
    if rc is None:  # one more ^D, so that it ends
        os.write(master, b"\x04")
        p.wait(timeout=10)
    drain(time.time() + 0.3)
    os.close(master)
    return rc, shown


# the input is itself a terminal: the wait is for the user, and a progress
# line would be drawn over what is typed (standard input, or a named tty)
# and what the wait is for is said once (the log forgotten looked like a hang)
note = b"civic-score: reading events from the terminal: type a CSV header and its lines, then Ctrl-D"
for argv in ([cli, "-r", rules, "-f", "csv"], [cli, "-r", rules, "-f", "csv", "/dev/tty"]):
    rc4, shown = typed(argv)
    if rc4 != 0 or b"loading" in shown or b"\r" + b"civic" in shown or b"s1," not in shown:
        print("progress while a terminal is read (%s): rc=%s shown=%r" % (argv[-1], rc4, shown))
        ok = False
    if shown.count(note) != 1:
        print("the terminal read is said once (%s): shown=%r" % (argv[-1], shown))
        ok = False
# the rules typed (-r -), or the log for --compare, which are read whole
# into memory: one ^D ends them too
with open(rules, "rb") as f:
    rules_text = f.read()
# and what the wait is for is said, as it is for a log (the rules' own words)
rules_note = b"civic-score: reading the rules from the terminal: type a rules file (TOML), then Ctrl-D"
rc6, shown = typed([cli, "-r", "-", "-f", "csv", events], rules_text[:len(rules_text) // 2],
                   rules_text[len(rules_text) // 2:])
if rc6 != 0 or b"subject,group,score" not in shown or note in shown \
        or shown.count(rules_note + b" (or name one: civic-score -r FILE ...)") != 1:
    print("rules typed at a terminal (-r -): rc=%s shown=%r" % (rc6, shown[-300:]))
    ok = False
rc8, shown = typed([cli, "-r", rules, "--compare", "-", "-f", "csv", events],
                   rules_text[:len(rules_text) // 2], rules_text[len(rules_text) // 2:])
if rc8 != 0 or b"subject,group,score" not in shown or note in shown \
        or shown.count(rules_note + b" (or name one: civic-score --compare FILE ...)") != 1:
    print("rules typed at a terminal (--compare -): rc=%s shown=%r" % (rc8, shown[-300:]))
    ok = False
rc7, shown = typed([cli, "-r", rules, "--compare", rules, "-f", "csv"])
if rc7 != 0 or b"s1," not in shown or shown.count(note) != 1:
    print("a log typed at a terminal for --compare: rc=%s shown=%r" % (rc7, shown[-300:]))
    ok = False
sys.exit(0 if ok else 1)
