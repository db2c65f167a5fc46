"""civic-score shows progress on standard error only when that is a terminal
and a load takes more than a second.  Standard input is fed after 2.5 s, so
the load takes that long; run once with a pseudo-terminal as stderr (progress
expected, then erased) and once with a pipe (none expected); then with a bad
line under --lenient: its report starts on a line of its own, the progress
line wiped first (it was written at the end of it, and stayed).
usage: python3 tests/cli/progress.py build/civic-score RULES.toml EVENTS.csv"""
import os
import pty
import subprocess
import sys
import threading
import time

cli, rules, events = sys.argv[1], sys.argv[2], sys.argv[3]
with open(events, "rb") as f:
    data = f.read()


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
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        os.close(master)
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
sys.exit(0 if ok else 1)
