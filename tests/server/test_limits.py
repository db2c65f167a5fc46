#!/usr/bin/env python3
"""Bounded resources of civic-server under abuse (issue 17, findings 4 and 5).

Each probe runs against a server with its default limits, on loopback, for
a bounded time (the longest, slowloris, about 35 s), and asserts the server's
resident memory (VmRSS from /proc) and the latency another client sees:

  slowloris   300 connections from 127.0.0.1 send a header byte every 10 s;
              a client on 127.0.0.2 must keep getting answers, the slow
              connections beyond --max-per-ip are refused, and the rest are
              closed by the request deadline (--request-timeout, 30 s).
  body bomb   16 POSTs declare 60 MiB bodies and send 50 MiB without
              finishing: the ones past --body-budget get 503 + Retry-After at
              once, memory stays within the budget, and the budget comes
              back when they go.
  idle-cpu    20 connections idle until --timeout 2 closes them cost the
              server a few hundredths of a second of CPU, not a second each.
  deadline    with --request-timeout 2: trickled headers and a trickled
              body are cut off after 2 s, an idle keep-alive connection too.
  chunked     bodies without Content-Length draw on the budget as they grow.
  share       one address holds at most half the body budget: header-only
              POSTs from it cannot lock the other writers out.
  drain       SIGTERM lets a request whose body is still arriving finish.
  stop-said   what a stop writes on standard error: the requests it waits
              for, the ones cut at the drain deadline (said before
              libmicrohttpd's own line), the last snapshot, "stopped".
  stop-cut    queries still waiting for their turn at the drain deadline are
              cut and counted in the stop's lines, without libmicrohttpd's
              "Application reported internal error" for each.
  stop-accounts  the stop's last count holds every request it waited for:
              closed by the idle timeout, given up by its client.
  churn       48 clients opening a connection per request are (almost) never refused.
  closed      clients that send part of a request and close give their slot and
              their share of the body budget back within a second or two, even
              with both timeouts 0.
  queue       a client past --max-connections waits in the kernel's queue until
              a connection closes (over TLS too), and a stop ends it at once;
              --max-per-ip still closes the connection past it at once.
  descriptors started with stdout and stderr closed, the journal survives a
              kill; under ulimit -n 9 the server refuses to start, saying why.

usage: test_limits.py --server build/civic-server
"""
import argparse
import http.client
import os
import re
import select
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ARGS = None
FAILURES = []
MIB = 1 << 20


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def open_socket(port, source="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def is_closed(s):
    """True when the server closed s (EOF or reset), without blocking."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(65536) == b"" or True  # data (an answer) then close counts as closed too
    except OSError:
        return True


class Victim(threading.Thread):
    """A well-behaved client on another address: GET /healthz every 0.2 s."""

    def __init__(self, srv, source="127.0.0.2"):
        super().__init__(daemon=True)
        self.srv, self.source = srv, source
        self.latencies, self.failures = [], []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                conn = self.srv.connection(timeout=10, source=self.source)
                status, _, _ = self.srv.raw("GET", "/healthz", conn=conn)
                conn.close()
                if status != 200:
                    self.failures.append(status)
            except Exception as e:  # noqa: BLE001 - every failure counts
                self.failures.append(repr(e))
            self.latencies.append(time.monotonic() - t0)
            self.stop.wait(0.2)

    def report(self, what):
        self.stop.set()
        self.join(timeout=15)
        lat = sorted(self.latencies) or [99.0]
        p50, worst = statistics.median(lat), lat[-1]
        print("%s: victim %d requests, p50 %.1f ms, max %.1f ms, %d failed" % (
            what, len(lat), p50 * 1000, worst * 1000, len(self.failures)))
        check(len(lat) >= 5 and not self.failures, "%s: every victim request answered (%s)" % (
            what, self.failures[:3]))
        check(p50 < 0.2 and worst < 2.0, "%s: victim latency p50 %.3f s, max %.3f s" % (
            what, p50, worst))


# ---------------------------------------------------------------- slowloris

def test_slowloris():
    srv = harness.Server(ARGS.server).start()
    try:
        base = harness.rss_kib(srv.proc.pid)
        victim = Victim(srv)
        victim.start()
        socks, refused = [], 0
        t_open = time.monotonic()
        for _ in range(300):
            try:
                s = open_socket(srv.port)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                socks.append(s)
            except OSError:
                refused += 1
        peak = base
        deadline_seen = None
        for tick in range(4):  # a byte every 10 s, for 35 s
            end = t_open + 10 * (tick + 1) if tick < 3 else t_open + 35
            while time.monotonic() < end:
                time.sleep(0.5)
                peak = max(peak, harness.rss_kib(srv.proc.pid))
                if deadline_seen is None and socks and all(is_closed(s) for s in socks):
                    deadline_seen = time.monotonic() - t_open
            for s in socks:
                try:
                    s.send(b"a")
                except OSError:
                    pass
        still_open = sum(1 for s in socks if not is_closed(s))
        early = len(socks)  # counted below: refused by the per-address limit
        print("slowloris: rss %d -> peak %d KiB; all slow connections closed after %s s" % (
            base, peak, "%.1f" % deadline_seen if deadline_seen else "never"))
        victim.report("slowloris")
        check(still_open == 0 and deadline_seen is not None and deadline_seen < 34,
              "slowloris: the request deadline closed every slow connection (%d open)" % still_open)
        check(peak - base < 32 * 1024, "slowloris: memory bounded (+%d KiB)" % (peak - base))
        for s in socks:
            s.close()
        del early
    finally:
        srv.stop()


def count_admitted(srv, n, half_close=False):
    """How many of n slow connections from one address the server keeps
    (half_close: each shuts its sending side after its partial head)."""
    socks = []
    for _ in range(n):
        s = open_socket(srv.port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        if half_close:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:   # refused and closed by the server already
                pass
        socks.append(s)
    # Refused connections are closed by the server's thread; on a busy
    # machine that can take longer than a second, so wait until the count
    # has held still for half a second (at most 6 s in all).
    time.sleep(1.0)
    kept = sum(1 for s in socks if not is_closed(s))
    for _ in range(10):
        time.sleep(0.5)
        now = sum(1 for s in socks if not is_closed(s))
        if now == kept:
            break
        kept = now
    for s in socks:
        s.close()
    return kept


def test_idle_keep_alive():
    """Connections idle for half a second since their answer count as waiting
    (their next request may be arriving byte by byte): with --max-per-ip 4,
    four such connections from one address refuse a fifth.  They counted as
    idle, so one address could hold 4N slow requests."""
    import http.client
    srv = harness.Server(ARGS.server, extra=["--max-per-ip", "4"]).start()
    try:
        time.sleep(0.6)  # the start-up probe's connection has gone
        held = []
        for _ in range(4):
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            c.request("GET", "/healthz")
            c.getresponse().read()
            held.append(c)
        time.sleep(0.7)
        fifth = open_socket(srv.port)
        fifth.sendall(b"GET /healthz HTTP/1.1\r\nHost: x")  # admitted, it would wait
        time.sleep(0.5)
        check(is_closed(fifth), "idle keep-alive: a fifth connection is refused at --max-per-ip 4")
        fifth.close()
        for c in held:
            c.close()
    finally:
        srv.stop()


def test_churn():
    """The churn probe, run a second time when the first run fails.  A
    loaded machine refuses more: another tenant's job holding both cores has
    pushed runs of a full `make test` to 2 or 3 in 100 twice in a row (the
    guard refuses a client that waits between its connect and its first byte
    while 32 others do, as it should), while the faults this probe caught
    refused 1 in 10 and 1 in 3.  So the first run must refuse at most 1 in
    100, and the second, run only after the first failed, at most 1 in 20."""
    first = churn_once(100)
    if first is None:
        return
    print("churn: first run %s; running it again" % first, file=sys.stderr)
    second = churn_once(20)
    # On a machine loaded past twice its cores (the 48 clients are threads
    # of one Python process, so a client waits for the GIL between its
    # connect and its first byte), a run beside fuzzers and reviewers'
    # builds refused 7 and 8 in 100 twice: a third run, then only, may
    # refuse 1 in 8, which still catches the faults this probe caught (1 in 3).
    load = os.getloadavg()[0]
    if second is not None and load >= 2 * (os.cpu_count() or 1):
        print("churn: second run %s at a load of %.1f; a third run" % (second, load),
              file=sys.stderr)
        third = churn_once(8)
        check(third is None,
              "churn: 48 clients opening a connection per request, at most 1 in 100 "
              "refused, 1 in 20 in a second run, 1 in 8 in a third on a loaded machine: "
              "%s, then %s, then %s" % (first, second, third))
        return
    check(second is None,
          "churn: 48 clients opening a connection per request, at most 1 in 100 refused, "
          "or 1 in 20 in a second run: %s, then %s" % (first, second))


def churn_once(one_in):
    """48 clients on one address, each opening a connection per request and
    closing it after the answer (as curl in a loop, or a proxy): more than
    --max-per-ip (32) at once, but a connection whose whole request waits in
    the kernel for a busy thread is not slow, and one its client closed after
    its answer counts only in the 4N bound, so (almost) none may be refused.
    With libmicrohttpd's own limit about 1 in 10 was reset at 16 clients;
    with the guard's first count, 1 in 3 at 48."""
    import http.client
    srv = harness.Server(ARGS.server).start()
    results = {}
    lock = threading.Lock()

    def client():
        end = time.monotonic() + 3
        while time.monotonic() < end:
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
            try:
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                k = r.status
            except (OSError, http.client.HTTPException) as e:
                k = type(e).__name__
            finally:
                c.close()
            with lock:
                results[k] = results.get(k, 0) + 1
    try:
        threads = [threading.Thread(target=client) for _ in range(48)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        srv.stop()
    # A client between its connect and its first byte waits for a request
    # like a slow one: on a loaded machine a few of 48 may meet the bound at
    # once (8 of 7,859 in one run beside a full test run and two other jobs).
    # The count before the peek reset one in three.
    failed = sum(v for k, v in results.items() if k != 200)
    ok = results.get(200, 0) > 100 and failed * one_in <= results.get(200, 0)
    return None if ok else results   # None: passed; else what was counted


def test_per_address_limit():
    srv = harness.Server(ARGS.server).start()
    try:
        # The server frees a closed connection's slot when its thread next
        # looks at it, so the start-up probe (or a previous try's sockets) may
        # still hold one for a moment on a busy machine.  Fewer than 32 is
        # retried after a pause; more than 32 fails at once.
        counts = []
        for _ in range(4):
            time.sleep(0.5)
            kept = count_admitted(srv, 100)
            counts.append(kept)
            if kept >= 32:
                break
        check(counts[-1] == 32,
              "--max-per-ip (default 32): %s of 100 connections from one address kept"
              % " then ".join(str(k) for k in counts))
        # the slow sockets just closed count until the server sees them go
        status, body = 0, b""
        for _ in range(50):
            try:
                status, _, body = srv.raw("GET", "/metrics", timeout=5)
                break
            except (OSError, http.client.HTTPException):
                time.sleep(0.1)
        refused = [l for l in body.decode().splitlines()
                   if l.startswith("civic_address_refusals_total ")]
        check(status == 200 and refused and float(refused[0].split()[1]) >= 68,
              "/metrics counts the connections --max-per-ip refused: %s" % refused)
    finally:
        srv.stop()
    # A client that half-closes after its partial head can never finish its
    # request: the server closes the connection as soon as it reads the
    # close, so none is kept, even with no deadline and no idle timeout.
    # (Such connections were kept until the deadline, each holding its slot.)
    srv = harness.Server(ARGS.server, extra=["--request-timeout", "0", "--timeout", "0"]).start()
    try:
        kept = count_admitted(srv, 100, half_close=True)
        n = open_after(srv, 2)
        check(kept == 0 and n == 1,
              "--max-per-ip: of 100 connections half-closed after part of a request, %d kept "
              "and %s open (/metrics itself included)" % (kept, n))
    finally:
        srv.stop()


def answered_within(srv, seconds, source="127.0.0.1", method="GET", path="/healthz",
                    body=None):
    """Seconds until a request from source is answered 200 (asked again
    every 0.1 s), or None: (seconds, the last status or error)."""
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < seconds:
        try:
            conn = srv.connection(timeout=1, source=source)
            headers = {"Content-Type": "text/csv"} if body else None
            last, _, _ = srv.raw(method, path, body, headers, conn=conn)
            conn.close()
            if last == 200:
                return time.monotonic() - t0, last
        except (OSError, http.client.HTTPException) as e:
            last = type(e).__name__
        time.sleep(0.1)
    return None, last


def metric(srv, name, source=None):
    """A value from /metrics, or None (no answer, or no such line)."""
    try:
        conn = srv.connection(timeout=2, source=source)
        _, _, body = srv.raw("GET", "/metrics", conn=conn)
        conn.close()
    except (OSError, http.client.HTTPException):
        return None
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def open_after(srv, seconds, source=None):
    """Connections open (the one asking included) once they are down to that
    one, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        n = metric(srv, "civic_connections_open", source)
        if n == 1 or time.monotonic() >= deadline:
            return n
        time.sleep(0.1)


def close_after_part(port, source, part):
    """A client that sends part of a request and closes at once (both ways)."""
    try:
        s = open_socket(port, source)
        s.sendall(part)
        s.close()
    except OSError:
        pass  # refused by a limit: nothing held


def test_closed_requests():
    """A client that sends part of a request and closes at once gives its
    slot back at once: the server saw the bytes and the close in one wake-up
    and never read again (libmicrohttpd's epoll is edge-triggered), so the
    connection stayed in CLOSE-WAIT until --request-timeout or --timeout --
    for ever with both 0 -- counting against --max-per-ip and
    --max-connections, a POST's body holding its share of --body-budget.
    40 such from one address turned its next request away for 30 s."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    srv = harness.Server(ARGS.server).start()
    try:
        for _ in range(40):
            close_after_part(srv.port, "127.0.0.1", head)
        t, last = answered_within(srv, 5)
        check(t is not None and t < 2.0,
              "closed requests: 40 from one address closed after part of a request, the "
              "address is answered again within 2 s (%s s, %s)" % (t, last))
        n = open_after(srv, 2)
        check(n == 1, "closed requests: none of the 40 stays open (%s open, /metrics itself "
              "included)" % n)
    finally:
        srv.stop()
    # no deadline, no idle timeout: only the close itself gives the slots back
    srv = harness.Server(ARGS.server, extra=["--request-timeout", "0", "--timeout", "0",
                                             "--max-connections", "16", "--threads", "2",
                                             "--max-body", "1M", "--body-budget", "2M"]).start()
    try:
        post = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                b"Content-Length: %d\r\n\r\nid,subject" % MIB)
        for source in ("127.0.0.10", "127.0.0.11"):  # the whole body budget, one MiB each
            close_after_part(srv.port, source, post)
        for i in range(2, 10):
            for _ in range(8):
                close_after_part(srv.port, "127.0.0.%d" % i, head)
        t, last = answered_within(srv, 5, source="127.0.0.12")
        check(t is not None and t < 2.0,
              "closed requests: with both timeouts 0, 64 closed from 8 addresses leave "
              "--max-connections 16 free for a ninth within 2 s (%s s, %s)" % (t, last))
        t, last = answered_within(srv, 5, source="127.0.0.12", method="POST", path="/events",
                                  body=b"id,subject,type,ts\ncl1,closed,recycling,2025-01-01\n")
        check(t is not None and t < 2.0,
              "closed requests: with both timeouts 0, bodies closed half sent give the body "
              "budget back within 2 s (%s s, %s)" % (t, last))
        n = open_after(srv, 2, "127.0.0.12")
        check(n == 1, "closed requests: with both timeouts 0, none of them stays open (%s "
              "open, /metrics itself included)" % n)
    finally:
        srv.stop()


# ---------------------------------------------------------------- queue

def reply_of(s, timeout):
    """(what s receives until the peer closes, seconds waited): the answer,
    b"" for a close with nothing, b"reset", or b"no answer" at the timeout."""
    s.settimeout(timeout)
    t0 = time.monotonic()
    reply = b""
    try:
        while True:
            got = s.recv(4096)
            if not got:
                break
            reply += got
    except ConnectionResetError:
        reply = reply or b"reset"
    except socket.timeout:
        reply = reply or b"no answer"
    except OSError as e:
        reply = reply or repr(e).encode()
    return reply, time.monotonic() - t0


def waiting(s, seconds):
    """True when nothing (an answer, a close, a reset) reached s within seconds."""
    r, _, _ = select.select([s], [], [], seconds)
    return not r


def test_queue():
    """A client past --max-connections waits in the kernel's queue,
    unanswered, until a connection closes, as the manual says; libmicrohttpd
    0.9.75 (a thread per connection) accepted it and reset it at once,
    "Server reached connection limit" on standard error.  A stop while
    clients wait there ends at once, and they are closed unanswered;
    --max-per-ip still closes a connection past it at once; over TLS too."""
    import signal
    get = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    srv = harness.Server(ARGS.server, extra=["--max-connections", "10", "--threads", "2",
                                             "--timeout", "3"]).start()
    try:
        open_after(srv, 2)  # the start-up probe's connection has gone
        idle = [open_socket(srv.port) for _ in range(10)]
        time.sleep(0.3)
        s = open_socket(srv.port)
        s.sendall(get)
        t0 = time.monotonic()
        held = waiting(s, 1.0)
        reply, _ = reply_of(s, 10)
        t = time.monotonic() - t0
        check(held and reply.startswith(b"HTTP/1.1 200") and 1.5 < t < 8,
              "queue: the 11th client at --max-connections 10 waits, then is answered 200 "
              "once an idle one closes at --timeout 3 (%r after %.1f s, waited: %s)"
              % (reply[:40], t, held))
        for c in idle:
            c.close()
        s.close()
        n = open_after(srv, 5)
        check(n == 1, "queue: civic_connections_open back to 1 (/metrics itself): %s" % n)
    finally:
        srv.stop()
    check("connection limit" not in srv.output(),
          "queue: no client reset at the limit: %r" % srv.output()[-300:])

    # a stop while clients wait in the queue: at once, and they are closed
    srv = harness.Server(ARGS.server, extra=["--max-connections", "4", "--threads", "2"]).start()
    open_after(srv, 2)
    held = [open_socket(srv.port) for _ in range(4)]
    time.sleep(0.3)
    queued = [open_socket(srv.port) for _ in range(3)]
    for q in queued:
        q.sendall(get)
    waited = all(waiting(q, 0.5) for q in queued)
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    try:
        rc = srv.proc.wait(timeout=30)
    except Exception:  # noqa: BLE001 - a stop that hangs
        srv.proc.kill()
        rc = "hung"
    took = time.monotonic() - t0
    ends = [reply_of(q, 5)[0] for q in queued + held]
    check(waited, "queue: 3 clients past --max-connections 4 wait in the queue")
    check(rc == 0 and took < 5, "queue: a stop with 3 clients in the queue exits 0 at once "
          "(%s after %.1f s)" % (rc, took))
    check(all(e in (b"", b"reset") for e in ends),
          "queue: at the stop each is closed unanswered: %r" % ends)
    for c in queued + held:
        c.close()

    # --max-per-ip closes at once the connection past it, full or not
    srv = harness.Server(ARGS.server, extra=["--max-connections", "4", "--threads", "2",
                                             "--max-per-ip", "2"]).start()
    try:
        open_after(srv, 2)
        slow = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
        mine = [open_socket(srv.port, "127.0.0.11") for _ in range(3)]
        for c in mine:
            c.sendall(slow)
        time.sleep(1.0)
        kept = [not is_closed(c) for c in mine]
        others = [open_socket(srv.port, "127.0.0.12") for _ in range(2)]
        for c in others:
            c.sendall(slow)
        time.sleep(0.3)
        s = open_socket(srv.port, "127.0.0.13")
        s.sendall(get)
        held = waiting(s, 1.0)
        others[0].close()
        reply, _ = reply_of(s, 10)
        check(sorted(kept) == [False, True, True],
              "queue: --max-per-ip 2 keeps 2 of 3 slow connections from one address: %s" % kept)
        check(held and reply.startswith(b"HTTP/1.1 200"),
              "queue: with 4 open at --max-connections 4 a client from another address waits, "
              "and is answered once one closes (%r, waited: %s)" % (reply[:40], held))
        for c in mine + others + [s]:
            c.close()
        refused = metric(srv, "civic_address_refusals_total")
        check(refused is not None and refused >= 1,
              "queue: /metrics counts the connection --max-per-ip refused: %s" % refused)
    finally:
        srv.stop()

    # over TLS: the handshake waits in the queue, then is made
    tmp = tempfile.mkdtemp(prefix="civic-queue-")
    try:
        cert, key = harness.self_signed_cert(tmp)
        srv = harness.Server(ARGS.server, tls_ca=cert,
                             extra=["--tls-cert", cert, "--tls-key", key, "--max-connections",
                                    "2", "--threads", "2", "--timeout", "2"]).start()
        try:
            open_after(srv, 2)
            idle = [open_socket(srv.port) for _ in range(2)]
            time.sleep(0.3)
            t0 = time.monotonic()
            try:
                status, _, _ = srv.raw("GET", "/healthz", timeout=10)
            except (OSError, http.client.HTTPException) as e:
                status = repr(e)
            t = time.monotonic() - t0
            check(status == 200 and 1.0 < t < 8,
                  "queue: over TLS, a client at --max-connections 2 is answered once an idle "
                  "one closes at --timeout 2 (%s after %.1f s)" % (status, t))
            for c in idle:
                c.close()
        finally:
            srv.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- body bomb

def bomb(port, results, i):
    s = None
    try:
        s = open_socket(port)
        s.settimeout(30)
        s.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                  b"Content-Length: %d\r\n\r\n" % (60 * MIB))
        # A refused body is answered before any of it is sent; 3 s leaves
        # room for a busy machine (a held body waits that long to start).
        r, _, _ = select.select([s], [], [], 3.0)
        if r:
            results[i] = ("answered", s.recv(4096), s)
            return
        chunk = b"x" * MIB
        for _ in range(50):
            s.sendall(chunk)
        results[i] = ("sent", b"", s)
    except OSError as e:
        # A late 503 closes the connection under the sender: still a refusal.
        answer = b""
        try:
            if s is None:
                raise e
            s.settimeout(1)
            answer = s.recv(4096)
        except OSError:
            pass
        if answer.startswith(b"HTTP/1.1 "):
            results[i] = ("answered", answer, s)
        else:
            results[i] = ("error", repr(e).encode(), None)


def test_body_bomb():
    srv = harness.Server(ARGS.server).start()
    try:
        base = harness.rss_kib(srv.proc.pid)
        victim = Victim(srv)
        victim.start()
        results = [None] * 16
        threads = [threading.Thread(target=bomb, args=(srv.port, results, i)) for i in range(16)]
        for t in threads:
            t.start()
        peak = base
        while any(t.is_alive() for t in threads):
            time.sleep(0.2)
            peak = max(peak, harness.rss_kib(srv.proc.pid))
        for t in threads:
            t.join(timeout=60)
        for _ in range(15):  # the bodies stay unfinished for 3 s while the victim asks
            time.sleep(0.2)
            peak = max(peak, harness.rss_kib(srv.proc.pid))
        answered = [r for r in results if r and r[0] == "answered"]
        sent = [r for r in results if r and r[0] == "sent"]
        refused_ok = all(a[1].startswith(b"HTTP/1.1 503") and b"Retry-After: " in a[1]
                         for a in answered)
        print("body bomb: %d held (50 MiB each sent), %d answered 503 at once; rss %d -> peak %d "
              "KiB (+%d MiB)" % (len(sent), len(answered), base, peak, (peak - base) // 1024))
        victim.report("body bomb")
        check(len(sent) <= 4 and len(answered) >= 12 and refused_ok,
              "body bomb: the budget (256 MiB; one address, half of it) holds at most 4 of 16 "
              "60-MiB bodies, the rest get "
              "503 + Retry-After (%d held, %d refused)" % (len(sent), len(answered)))
        check(peak - base < 320 * 1024, "body bomb: memory within the budget (+%d MiB)" % (
            (peak - base) // 1024))
        for r in results:
            if r and r[2]:
                r[2].close()
        time.sleep(1.0)
        status, rep = srv.request("POST", "/events",
                                  b"id,subject,type,ts\nbb1,bomb-after,recycling,2025-01-01\n",
                                  "text/csv")
        check(status == 200, "body bomb: the budget comes back when the bodies go (%d)" % status)
    finally:
        srv.stop()


# ---------------------------------------------------------------- deadline, chunked

def closed_within(s, seconds, feed=None):
    """Seconds until the server closed s (feeding a byte every 0.5 s), or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if is_closed(s):
            return time.monotonic() - t0
        if feed:
            try:
                s.send(feed)
            except OSError:
                return time.monotonic() - t0
        time.sleep(0.5)
    return None


def test_deadline():
    srv = harness.Server(ARGS.server, extra=["--request-timeout", "2", "--timeout", "60"]).start()
    try:
        s = open_socket(srv.port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        t = closed_within(s, 8, b"a")
        check(t is not None and t < 4.5, "trickled headers cut off by the deadline (%s s)" % t)
        s.close()
        s = open_socket(srv.port)
        s.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                  b"Content-Length: 1000\r\n\r\nid,subject,type,ts\n")
        t = closed_within(s, 8, b"x")
        check(t is not None and t < 4.5, "a trickled body cut off by the deadline (%s s)" % t)
        s.close()
        conn = srv.connection()
        status, _, _ = srv.raw("GET", "/healthz", conn=conn)
        sock = conn.sock
        time.sleep(0.5)
        status2, _, _ = srv.raw("GET", "/healthz", conn=conn)
        check(status == status2 == 200 and conn.sock is sock,
              "keep-alive within the deadline reuses the connection")
        t = closed_within(sock, 8)
        check(t is not None and t < 4.5, "an idle keep-alive connection closes at the deadline")
        conn.close()
    finally:
        srv.stop()


def cpu_seconds(pid):
    """User and system CPU time of a process so far, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_cpu():
    """libmicrohttpd 0.9.75 polls a connection in whole seconds, so in the
    last second before its idle timeout a connection's thread polled without
    waiting: 20 idle connections closed by --timeout 2 cost the server up to
    2 s of CPU (0.9 to 2.0 s on a 2-core machine, whether busy or not).  The
    guard's reaper closes them at --timeout now, before libmicrohttpd's own
    timeout (2 s later) comes near: a few hundredths.  The closes keep their
    time, and a connection on which a byte arrives now and then is idle for
    neither."""
    srv = harness.Server(ARGS.server, extra=["--timeout", "2", "--request-timeout", "0"]).start()
    try:
        time.sleep(0.5)  # the start-up probe's connection has gone
        spent, late = 0.0, []
        for _ in range(2):
            before = cpu_seconds(srv.proc.pid)
            t0 = time.monotonic()
            socks = [open_socket(srv.port) for _ in range(20)]
            times = []
            for s in socks:
                s.settimeout(10)
                try:
                    s.recv(1)
                except OSError:
                    pass
                times.append(time.monotonic() - t0)
                s.close()
            spent += cpu_seconds(srv.proc.pid) - before
            late.append((min(times), max(times)))
        print("idle-cpu: 2 x 20 idle connections closed in %s s; server CPU %.2f s" % (
            ", ".join("%.2f-%.2f" % m for m in late), spent))
        check(spent < 0.4, "idle connections closed by --timeout cost %.2f s of CPU (the last-"
              "second spin: up to a second each)" % spent)
        check(all(lo >= 1.9 and hi < 3.5 for lo, hi in late),
              "idle connections closed at --timeout 2 (from %r s)" % late)
        # kept alive after an answer: closed --timeout after it
        conn = srv.connection()
        status, _, _ = srv.raw("GET", "/healthz", conn=conn)
        t = closed_within(conn.sock, 8)
        check(status == 200 and t is not None and 1.9 <= t < 3.5,
              "idle-cpu: a kept-alive connection closes --timeout after its answer (%s s)" % t)
        conn.close()
        # a byte every second: never idle for 2 s, kept (no request deadline)
        s = open_socket(srv.port)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        t0 = time.monotonic()
        kept = True
        while time.monotonic() - t0 < 5:
            if is_closed(s):
                kept = False
                break
            s.send(b"a")
            time.sleep(1)
        check(kept, "idle-cpu: a connection a byte arrives on every second is not idle")
        s.sendall(b"\r\n\r\n")
        reply = s.recv(100)
        check(reply.startswith(b"HTTP/1.1 200 "), "idle-cpu: the slow request is answered (%r)"
              % reply[:30])
        s.close()
    finally:
        srv.stop()


def chunked_headers():
    return (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def wait_budget_free(srv, seconds=10):
    """Until no body holds any of the budget (the last request's release
    comes after its answer, so a client may be answered first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _, _, body = srv.raw("GET", "/metrics", timeout=5)
        if b"\ncivic_body_bytes_reserved 0\n" in body:
            return
        time.sleep(0.05)


def test_chunked_budget():
    srv = harness.Server(ARGS.server, extra=["--max-body", "1M", "--body-budget", "1M"]).start()
    try:
        held = open_socket(srv.port)
        held.sendall(chunked_headers() + chunk(b"id,subject,type,ts\n" + b"#" * (600 * 1024)))
        time.sleep(0.5)
        s = open_socket(srv.port)
        s.settimeout(10)
        s.sendall(chunked_headers() + chunk(b"id,subject,type,ts\n" + b"#" * (600 * 1024))
                  + b"0\r\n\r\n")
        answer = s.recv(4096)
        check(answer.startswith(b"HTTP/1.1 503") and b"Retry-After" in answer,
              "a chunked body past the budget gets 503 + Retry-After: %r" % answer[:40])
        s.close()
        held.close()
        time.sleep(0.5)
        s = open_socket(srv.port)
        s.settimeout(10)
        s.sendall(chunked_headers() + chunk(b"id,subject,type,ts\n" + b"x" * (1100 * 1024))
                  + b"0\r\n\r\n")
        answer = s.recv(4096)
        check(answer.startswith(b"HTTP/1.1 413") and b"over --max-body, 1048576 bytes" in answer,
              "a chunked body past --max-body gets 413, the limit named: %r" % answer[-200:])
        s.close()
        body = b"id,subject,type,ts\nch1,chunked,recycling,2025-01-01\n"
        s = open_socket(srv.port)
        s.settimeout(10)
        s.sendall(chunked_headers() + chunk(body[:20]) + chunk(body[20:]) + b"0\r\n\r\n")
        answer = s.recv(4096)
        check(answer.startswith(b"HTTP/1.1 200") and b'"accepted":1' in answer,
              "a chunked body within the limits is loaded: %r" % answer[-80:])
        s.close()
        # --max-body equal to --body-budget: a body of exactly --max-body
        # bytes fits (no byte of the budget is spent beyond the body), sent
        # with Content-Length or in 64 KiB chunks; one past it in 64 KiB
        # chunks is too large (413), not "busy" (503), for ever so.
        exact = b"id,subject,type,ts\nmx1,maxbody,recycling,2025-01-01\n"
        exact += b"\n" * (MIB - len(exact))
        pieces = [exact[i:i + 65536] for i in range(0, len(exact), 65536)]
        for how, req in (("Content-Length", b"POST /events HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s"
                          % (len(exact), exact)),
                         ("chunked", chunked_headers() + b"".join(chunk(p) for p in pieces)
                          + b"0\r\n\r\n")):
            wait_budget_free(srv)
            s = open_socket(srv.port)
            s.settimeout(10)
            try:
                s.sendall(req)
            except OSError:
                pass  # refused before the body was read: the answer tells
            answer = s.recv(4096)
            check(answer.startswith(b"HTTP/1.1 200"),
                  "a body of exactly --max-body (= --body-budget) bytes, %s, is taken: %r"
                  % (how, answer[:60]))
            s.close()
        big = b"x" * (MIB * 3 // 2)
        wait_budget_free(srv)
        s = open_socket(srv.port)
        s.settimeout(10)
        try:
            s.sendall(chunked_headers() + b"".join(chunk(big[i:i + 65536])
                                                   for i in range(0, len(big), 65536))
                      + b"0\r\n\r\n")
        except OSError:
            pass  # the answer may come, and the connection close, before the rest is sent
        answer = s.recv(4096)
        check(answer.startswith(b"HTTP/1.1 413"),
              "1.5 MiB in 64 KiB chunks past --max-body (= --body-budget) gets 413: %r"
              % answer[:40])
        s.close()
    finally:
        srv.stop()


def declare_bodies(srv, n):
    """n POSTs from 127.0.0.1 declaring a 1 MiB body and sending its first
    bytes only: [(socket, what the server answered within a second, b"" if
    nothing)]."""
    out = []
    for _ in range(n):
        s = open_socket(srv.port)
        s.sendall(b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                  b"Content-Length: %d\r\n\r\nid,subject" % MIB)
        r, _, _ = select.select([s], [], [], 1.0)
        out.append((s, s.recv(4096) if r else b""))
    return out


def test_address_share():
    """One address may hold at most half of --body-budget: four header-only
    POSTs from 127.0.0.1 each declaring --max-body (1 MiB of a 4 MiB budget)
    held the whole budget, and every other writer got 503 until
    --request-timeout cut them.  Now two are held and two refused (503 +
    Retry-After), a writer on 127.0.0.2 is taken, and the address's share
    comes back when its bodies go."""
    srv = harness.Server(ARGS.server, extra=["--max-body", "1M", "--body-budget", "4M"]).start()
    held, refused = [], []
    try:
        for s, answer in declare_bodies(srv, 4):
            (refused if answer else held).append((s, answer))
        check(len(held) == 2 and all(a.startswith(b"HTTP/1.1 503") and b"Retry-After: " in a
                                     for _, a in refused),
              "share: one address holds 2 of 4 bodies of --max-body in a budget of 4 (%d held, "
              "%r)" % (len(held), [a[:60] for _, a in refused]))
        batch = b"id,subject,type,ts\nsh1,share,recycling,2025-01-01\n"
        conn = srv.connection(timeout=10, source="127.0.0.2")
        status, _, body = srv.raw("POST", "/events", batch, {"Content-Type": "text/csv"},
                                  conn=conn)
        conn.close()
        check(status == 200, "share: a writer on another address is taken (%d %r)"
              % (status, body[:80]))
        for s, _ in held + refused:
            s.close()
        held, refused = [], []
        wait_budget_free(srv)
        status, _ = srv.request("POST", "/events",
                                b"id,subject,type,ts\nsh2,share,recycling,2025-01-02\n", "text/csv")
        check(status == 200, "share: back when the address's bodies go (%d)" % status)
    finally:
        for s, _ in held + refused:
            s.close()
        srv.stop()
    # --max-per-ip 0 (behind a proxy, every client on its address) turns the
    # address's share off with the connection limit: all four are held
    srv = harness.Server(ARGS.server, extra=["--max-body", "1M", "--body-budget", "4M",
                                             "--max-per-ip", "0"]).start()
    held = []
    try:
        held = declare_bodies(srv, 4)
        check(all(not a for _, a in held),
              "share: none with --max-per-ip 0 (%r)" % [a[:60] for _, a in held if a])
    finally:
        for s, _ in held:
            s.close()
        srv.stop()


def test_descriptors():
    """Descriptors: started with stdout and stderr closed, the server must
    not open its journal on 1 or 2 (it printed its "listening" line over the
    journal's header: every acknowledged event was lost); under ulimit -n 9
    it must refuse to start at once, saying why (it looped, logging
    gigabytes, and never answered)."""
    import resource
    import signal
    import subprocess
    tmp = tempfile.mkdtemp(prefix="civic-fds-")
    try:
        data = os.path.join(tmp, "data")
        os.mkdir(data)
        port = harness.free_port()

        def closed_output():
            os.close(1)
            os.close(2)
        proc = subprocess.Popen([ARGS.server, "--port", str(port), "--data", data],
                                stdin=subprocess.DEVNULL, preexec_fn=closed_output)
        probe = harness.Server(ARGS.server)
        probe.port = port
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if probe.raw("GET", "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        status, body = probe.request("POST", "/events", b"id,subject,type,ts\n"
                                     b"e1,s1,volunteer_hour,2024-05-01\n", "text/csv")
        check(status == 200 and body.get("accepted") == 1,
              "descriptors: the batch is acknowledged (%s %s)" % (status, body))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        srv = harness.Server(ARGS.server, data=data)
        try:
            srv.start()
            status, body = srv.request("GET", "/subjects/s1")
            check(status == 200 and body.get("events") == 1,
                  "descriptors: the acknowledged event is there after a restart (%s %s %s)"
                  % (status, body, srv.output()[-300:]))
        except RuntimeError as e:
            check(False, "descriptors: the journal opens after a restart: %s" % e)
        finally:
            srv.stop()

        # an access log that cannot be written is said once, not once a request
        srv = harness.Server(ARGS.server, extra=["--access-log", "/dev/full"]).start()
        for _ in range(3):
            srv.request("GET", "/healthz")
        srv.stop()
        said = srv.output().count("--access-log: cannot write: No space left on device")
        check(said == 1, "descriptors: an unwritable access log is said once (%d)" % said)
        access_log_past_a_full_disk()
        access_log_rotated_after_a_cut_line()

        # fewer connections than threads: a thread without one never stopped
        # at SIGTERM; refused at start
        few = subprocess.run([ARGS.server, "--port", "0", "--threads", "4",
                              "--max-connections", "3"], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=20)
        check(few.returncode == 1 and b"less than --threads 4" in few.stderr,
              "descriptors: --max-connections under --threads is refused (%s, %r)"
              % (few.returncode, few.stderr[:200]))

        def few_descriptors():
            resource.setrlimit(resource.RLIMIT_NOFILE, (9, 9))
        t0 = time.monotonic()
        try:
            few = subprocess.run([ARGS.server, "--port", str(harness.free_port())],
                                 stdin=subprocess.DEVNULL, capture_output=True, timeout=20,
                                 preexec_fn=few_descriptors)
            check(few.returncode == 1 and b"ulimit -n is 9" in few.stderr
                  and len(few.stderr) < 1000 and time.monotonic() - t0 < 10,
                  "descriptors: under ulimit -n 9 the server says why and exits 1 (%s, %r)"
                  % (few.returncode, few.stderr[:300]))
        except subprocess.TimeoutExpired:
            check(False, "descriptors: under ulimit -n 9 the server did not exit")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def json_reply(sock, timeout=10):
    """What a raw socket receives up to the end of a JSON answer's body
    (its '}'), the peer's close, an error or the timeout."""
    sock.settimeout(timeout)
    reply = b""
    try:
        while b"}" not in reply:
            got = sock.recv(4096)
            if not got:
                break
            reply += got
    except OSError:
        pass
    return reply


def test_drain():
    """SIGTERM stops listening and lets a request that has begun finish: a
    POST whose body is half sent when the signal comes is answered 200 and
    applied (it was cut off, unanswered); one that never finishes holds the
    exit back no longer than --request-timeout; idle keep-alive connections
    not at all."""
    import http.client
    import signal
    import subprocess
    body = b"id,subject,type,ts\n" + b"".join(
        b"e%04d,s1,volunteer_hour,2024-01-01\n" % i for i in range(100))
    head = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))
    tmp = tempfile.mkdtemp(prefix="civic-drain-")
    try:
        data = os.path.join(tmp, "data")
        srv = harness.Server(ARGS.server, data=data).start()
        idle = srv.connection()
        idle.request("GET", "/healthz")
        idle.getresponse().read()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        try:  # no new connection is taken: closed at once, unanswered, not left hanging
            late = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
            try:
                late.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                refused = late.recv(100) == b""
            except ConnectionResetError:
                refused = True
            except OSError:
                refused = False
            finally:
                late.close()
        except ConnectionRefusedError:
            refused = True
        except OSError:
            refused = False
        check(refused, "drain: a connection after SIGTERM is refused or closed unanswered")
        s.sendall(body[50:])
        reply = json_reply(s)
        rc = srv.proc.wait(timeout=30)
        check(reply.startswith(b"HTTP/1.1 200") and b'"accepted":100' in reply and rc == 0,
              "drain: a body half sent at SIGTERM is answered (%r, exit %s)" % (reply[:80], rc))
        srv = harness.Server(ARGS.server, data=data).start()
        try:
            status, body_json = srv.request("GET", "/subjects/s1")
            check(status == 200 and body_json.get("events") == 100,
                  "drain: its events are kept (%s %s)" % (status, body_json))
        finally:
            srv.stop()
        srv = harness.Server(ARGS.server, extra=["--request-timeout", "2"]).start()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(timeout=30)
        check(rc == 0 and time.monotonic() - t0 < 5,
              "drain: a stalled body holds the exit back at most --request-timeout (%.1f s)"
              % (time.monotonic() - t0))
        s.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_stop_said():
    """A stop says what it does: at the signal, how many requests it waits
    for and for how long; a request cut at the drain deadline in the
    server's own words, before libmicrohttpd's line (which reads as if the
    client had left); how many were answered; the last snapshot and its
    events (or that there is none); and "stopped" last.  It said only
    "signal 15, shutting down"."""
    import signal
    body = b"id,subject,type,ts\n" + b"".join(
        b"e%04d,s1,volunteer_hour,2024-01-01\n" % i for i in range(100))
    head = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body))

    def said(srv):
        return [line for line in srv.output().splitlines() if "listening on" not in line]

    tmp = tempfile.mkdtemp(prefix="civic-stop-said-")
    try:
        # a body half sent at the signal, finished during the drain
        srv = harness.Server(ARGS.server, data=os.path.join(tmp, "data")).start()
        status, _ = srv.request("POST", "/events", b"id,subject,type,ts\n"
                                b"k1,s2,volunteer_hour,2024-01-01\n", "text/csv")
        check(status == 200, "stop said: the first batch is acknowledged (%s)" % status)
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        s.sendall(body[50:])
        reply = json_reply(s)
        s.close()
        rc = srv.proc.wait(timeout=30)
        lines = said(srv)
        want = ["civic-server: signal 15, shutting down: finishing 1 request (at most 31 s)",
                "civic-server: snapshot written: 101 events",
                "civic-server: stopped"]
        check(rc == 0 and reply.startswith(b"HTTP/1.1 200")
              and [l for l in lines if l in want] == want and lines[-1:] == want[-1:]
              and any(l.startswith("civic-server: drained in ") and
                      l.endswith(" s: 1 request answered") for l in lines),
              "stop said: the request waited for, its answer, the snapshot, stopped "
              "(exit %s): %r" % (rc, lines))

        # a second SIGTERM, or a SIGINT, during the drain was ignored in
        # silence: each is said once (however many come), with how long the
        # drain may still take and that SIGKILL stops at once, losing no
        # acknowledged batch; the stop goes on as before
        srv = harness.Server(ARGS.server, data=os.path.join(tmp, "again")).start()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        for sig in (signal.SIGTERM, signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGINT):
            time.sleep(0.2)
            srv.proc.send_signal(sig)
        time.sleep(0.3)
        s.sendall(body[50:])
        reply = json_reply(s)
        s.close()
        rc = srv.proc.wait(timeout=30)
        lines = said(srv)
        again = [l for l in lines if " during the stop: " in l]
        tail = ("; SIGKILL stops at once and loses no acknowledged batch (the journal holds "
                "each one, and the next start replays it)")
        shape = [re.fullmatch(r"civic-server: signal (\d+) during the stop: it goes on, "
                              r"finishing the requests begun \(at most (\d+) s more\), then "
                              r"writing the snapshot" + re.escape(tail), l) for l in again]
        check(rc == 0 and reply.startswith(b"HTTP/1.1 200") and len(again) == 2
              and all(shape) and sorted(m.group(1) for m in shape) == ["15", "2"]
              and all(28 <= int(m.group(2)) <= 31 for m in shape)
              and [l for l in lines if "shutting down" in l] == [
                  "civic-server: signal 15, shutting down: finishing 1 request (at most 31 s)"]
              and "civic-server: snapshot written: 100 events" in lines
              and lines[-1:] == ["civic-server: stopped"],
              "stop said: a second SIGTERM and a SIGINT during the drain are said once each "
              "(exit %s): %r" % (rc, lines))
        # without --data: SIGKILL loses nothing a clean stop keeps
        srv = harness.Server(ARGS.server, extra=["--request-timeout", "3"]).start()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGINT)
        rc = srv.proc.wait(timeout=30)
        s.close()
        again = [l for l in said(srv) if " during the stop: " in l]
        check(rc == 0 and len(again) == 1 and re.fullmatch(
                  r"civic-server: signal 2 during the stop: it goes on, finishing the requests "
                  r"begun \(at most [34] s more\); SIGKILL stops at once and loses nothing a "
                  r"clean stop keeps \(without --data nothing is kept\)", again[0]),
              "stop said: a second SIGINT without --data (exit %s): %r" % (rc, again))

        # a body that never comes: cut at the drain deadline, said first
        srv = harness.Server(ARGS.server, extra=["--request-timeout", "2"]).start()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(timeout=30)
        s.close()
        lines = said(srv)
        cut = [i for i, l in enumerate(lines)
               if l.startswith("civic-server: 1 request cut at the drain deadline")]
        mhd = [i for i, l in enumerate(lines) if "libmicrohttpd" in l]
        check(rc == 0 and lines[:1] == ["civic-server: signal 15, shutting down: finishing 1 "
                                         "request (at most 3 s)"]
              and len(cut) == 1 and all(i > cut[0] for i in mhd)
              and "--request-timeout 2" in lines[cut[0]]
              and any(l.startswith("civic-server: drained in ") and
                      l.endswith(" s: 0 requests answered, 1 cut") for l in lines)
              and any(l.startswith("civic-server: no snapshot: no --data") for l in lines)
              and lines[-1:] == ["civic-server: stopped"],
              "stop said: a request cut at the drain deadline is said before libmicrohttpd's "
              "line (exit %s): %r" % (rc, lines))

        # a request pipelined behind one being finished begins after the
        # signal and is answered 503 "shutting down", nothing of it run: it
        # is counted apart, as refused, so that the answered and the cut are
        # the 2 being finished (it said "2 requests answered, 1 cut")
        srv = harness.Server(ARGS.server, extra=["--request-timeout", "2"]).start()
        stalled = socket.create_connection(("127.0.0.1", srv.port))
        stalled.sendall(head + body[:50])
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head + body[:50])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        s.sendall(body[50:] + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(10)
        reply = b""
        try:
            while reply.count(b"}") < 2:  # both answers are JSON
                got = s.recv(4096)
                if not got:
                    break
                reply += got
        except OSError:
            pass
        s.close()
        first, _, second = reply.partition(b"}\n")
        rc = srv.proc.wait(timeout=30)
        stalled.close()
        lines = said(srv)
        check(rc == 0 and first.startswith(b"HTTP/1.1 200 ") and
              second.startswith(b"HTTP/1.1 503 ") and b'"shutting down"' in second
              and lines[:1] == ["civic-server: signal 15, shutting down: finishing 2 requests "
                                "(at most 3 s)"]
              and any(l.startswith("civic-server: drained in ") and
                      l.endswith(" s: 1 request answered, 1 cut, 1 refused (begun after the "
                                 "signal)") for l in lines),
              "stop said: a request refused after the signal is not counted as answered "
              "(exit %s): %r %r %r" % (rc, first[:40], second[:60], lines))

        # nothing in flight: but the start's last GET /healthz, answered to
        # the client, may not yet be done on the server's side when the
        # signal comes (libmicrohttpd ends a request after its answer is
        # sent): then it is the one request finished, and said so
        srv = harness.Server(ARGS.server).start()
        rc = srv.stop()
        lines = said(srv)
        idle = lines[:1] == ["civic-server: signal 15, shutting down: no request to finish"]
        probe = (lines[:1] == ["civic-server: signal 15, shutting down: finishing 1 request "
                               "(at most 31 s)"]
                 and any(l.startswith("civic-server: drained in ") and
                         l.endswith(": 1 request answered") for l in lines))
        check(rc == 0 and (idle or probe) and lines[-1:] == ["civic-server: stopped"],
              "stop said: an idle stop (exit %s): %r" % (rc, lines))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_stop_cuts_queries_quietly():
    """Queries still waiting for their turn (--threads 1) when the drain's
    wait ends are cut by the service, closed unanswered and counted in the
    stop's lines ("N requests cut at the drain deadline: not answered
    within S s"); libmicrohttpd then said, for each, "Application reported
    internal error, closing connection" (and "N more messages"), which read
    like a bug.  The service's cut is not said again so."""
    import signal
    rows = "".join("e%d,s%d,volunteer_hour,2025-01-01T00:00:%02d,1\n" % (i, i % 50000, i % 60)
                   for i in range(400000))
    srv = harness.Server(ARGS.server, extra=["--threads", "1", "--request-timeout", "2"]).start()
    try:
        status, _, _ = srv.raw("POST", "/events", ("id,subject,type,ts,qty\n" + rows).encode(),
                               {"Content-Type": "text/csv"}, timeout=300)
        check(status == 200, "stop cut: 400,000 events posted (%s)" % status)
        got = []

        def query():
            try:
                got.append(srv.raw("GET", "/objections", timeout=60)[0])
            except (OSError, http.client.HTTPException):
                got.append(None)
        clients = [threading.Thread(target=query) for _ in range(40)]
        for t in clients:
            t.start()
        time.sleep(1)
        srv.proc.send_signal(signal.SIGTERM)
        rc = srv.proc.wait(timeout=60)
        for t in clients:
            t.join()
    finally:
        srv.stop()
    out = srv.output()
    cut = re.search(r"civic-server: (\d+) requests? cut at the drain deadline: not answered "
                    r"within 3 s of the signal", out)
    unanswered = got.count(None)
    check(rc == 0 and cut and 0 < int(cut.group(1)) <= unanswered
          and re.search(r"drained in [0-9.]+ s: \d+ requests? answered, %s cut" % cut.group(1),
                        out),
          "stop cut: the queries cut are counted in the stop's lines (exit %s, %d unanswered): %r"
          % (rc, unanswered, out[-600:]))
    check("Application reported internal error" not in out and "more message" not in out,
          "stop cut: libmicrohttpd does not say the service's cuts again: %r" % out[-600:])


def test_stop_accounts_for_each():
    """The stop's last line accounts for every request being finished at
    the signal: one the idle timeout (--timeout) closes during the drain,
    and one its client gives up mid-body, were counted nowhere ("drained in
    2.5 s: 0 requests answered" after "finishing 1 request"); each is said
    now, by how it ended."""
    import signal
    head = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Content-Length: 200\r\n\r\nid,subject,type,ts\n")

    def stop_with(extra, before_exit):
        srv = harness.Server(ARGS.server, extra=extra).start()
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(head)
        time.sleep(0.5)
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        before_exit(s)
        rc = srv.proc.wait(timeout=60)
        took = time.monotonic() - t0
        s.close()
        lines = [l for l in srv.output().splitlines() if "listening on" not in l]
        drained = [l for l in lines if l.startswith("civic-server: drained in ")]
        return rc, took, lines, drained

    # no request deadline: the idle timeout, 2 s, ends the body that never comes
    rc, took, lines, drained = stop_with(["--request-timeout", "0", "--timeout", "2"],
                                         lambda s: None)
    check(rc == 0 and took < 10
          and lines[:1] == ["civic-server: signal 15, shutting down: finishing 1 request "
                            "(at most 31 s)"]
          and len(drained) == 1
          and drained[0].endswith(" s: 0 requests answered, 1 closed by the idle timeout "
                                  "(--timeout 2 s)")
          and lines[-1:] == ["civic-server: stopped"],
          "stop accounts: a request the idle timeout closes during the drain is said so "
          "(exit %s, %.1f s): %r" % (rc, took, lines))
    # the manual's wait with --request-timeout 0 is the one the server says
    # (its --request-timeout entry said 30 s)
    said = re.search(r"\(at most (\d+) s\)", lines[0] if lines else "")
    man = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                       "civic-server.8")
    with open(man, encoding="utf-8") as f:
        text = " ".join(f.read().replace("\\-", "-").split())
    waits = re.findall(r"a stop waits at most (\d+) s|\+ 1 s \((\d+) s with 0\)", text)
    check(said and len(waits) == 2 and all(said.group(1) in w for w in waits),
          "stop accounts: the manual's waits with --request-timeout 0 are the server's %s s: %r"
          % (said.group(1) if said else "?", waits))

    # its client closes mid-body during the drain
    def give_up(s):
        time.sleep(0.5)
        s.close()
    rc, took, lines, drained = stop_with([], give_up)
    check(rc == 0 and took < 10
          and lines[:1] == ["civic-server: signal 15, shutting down: finishing 1 request "
                            "(at most 31 s)"]
          and len(drained) == 1
          and drained[0].endswith(" s: 0 requests answered, 1 given up by its client")
          and lines[-1:] == ["civic-server: stopped"],
          "stop accounts: a request its client gives up during the drain is said so "
          "(exit %s, %.1f s): %r" % (rc, took, lines))

    # two clients give up, one is answered: every one of the three is counted
    srv = harness.Server(ARGS.server).start()
    socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(3)]
    for s in socks:
        s.sendall(head)
    time.sleep(0.5)
    srv.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    socks[0].sendall(b"e1,s1,volunteer_hour,2024-01-01\n".ljust(181, b"\n"))
    reply = json_reply(socks[0])
    socks[1].close()
    socks[2].close()
    rc = srv.proc.wait(timeout=60)
    socks[0].close()
    lines = [l for l in srv.output().splitlines() if "listening on" not in l]
    check(rc == 0 and reply.startswith(b"HTTP/1.1 200 ")
          and lines[:1] == ["civic-server: signal 15, shutting down: finishing 3 requests "
                            "(at most 31 s)"]
          and any(l.startswith("civic-server: drained in ") and
                  l.endswith(" s: 1 request answered, 2 given up by their clients")
                  for l in lines),
          "stop accounts: answered and given up add up to the requests at the signal "
          "(exit %s): %r %r" % (rc, reply[:40], lines))


def test_stop_under_churn():
    """SIGTERM while connections come and go: the stop compacts and exits 0
    every time.  libmicrohttpd's MHD_quiesce_daemon raced its epoll workers
    (one of them busy with a connection) and aborted the process, with no
    snapshot, in about 1 stop of 100 here; a stress check, not a proof."""
    import random
    import signal

    def hammer(port, until):
        while time.time() < until:
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=1)
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                c.recv(4096)
                c.close()
            except OSError:
                pass

    tmp = tempfile.mkdtemp(prefix="civic-stop-")
    try:
        bad = []
        for i in range(40):
            data = os.path.join(tmp, "data%d" % i)
            srv = harness.Server(ARGS.server, data=data).start()
            hammers = [threading.Thread(target=hammer, args=(srv.port, time.time() + 0.4))
                       for _ in range(2)]
            for h in hammers:
                h.start()
            time.sleep(0.05 + 0.25 * random.random())
            srv.proc.send_signal(signal.SIGTERM)
            rc = srv.proc.wait(timeout=60)
            for h in hammers:
                h.join()
            if rc != 0 or not os.path.exists(os.path.join(data, "snapshot.civic")):
                bad.append((i, rc, srv.output()[-300:]))
        check(not bad, "stop under churn: every SIGTERM compacts and exits 0: %r" % bad[:2])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def server_with_small_files(port, log, out):
    """civic-server with --access-log log, its files limited to 700 bytes
    (RLIMIT_FSIZE: a full disk for the access log), its output into out."""
    import resource
    import subprocess
    return subprocess.Popen(
        [ARGS.server, "--port", str(port), "--access-log", log], stdout=out,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                              (700, resource.RLIM_INFINITY)))


def get_retrying(port, path):
    """GET path, tried again for up to 10 s while the server is not up."""
    for _ in range(200):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", path)
            c.getresponse().read()
            c.close()
            return
        except OSError:
            time.sleep(0.05)


def access_log_past_a_full_disk():
    """A line the disk had room for only in part (here a file-size limit,
    RLIMIT_FSIZE, raised again with prlimit) was followed, once there was
    room, by the next line glued to it: the next line begins with a line
    feed, every line after the cut one is JSON, and the service says when
    it writes again."""
    import json
    import resource
    import subprocess
    tmp = tempfile.mkdtemp(prefix="civic-access-")
    log = os.path.join(tmp, "access.log")
    port = harness.free_port()
    out = tempfile.TemporaryFile()
    proc = server_with_small_files(port, log, out)
    try:
        def get(path):
            get_retrying(port, path)
        for i in range(12):                     # about 150 bytes a line: past 700
            get("/healthz?n=%d" % i)
        time.sleep(0.3)                         # the lines are written after the answers
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        get("/healthz?after=1")
        time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out.seek(0)
    said = out.read().decode(errors="replace")
    with open(log, "rb") as f:
        lines = f.read().split(b"\n")
    shutil.rmtree(tmp, ignore_errors=True)
    check(lines[-1] == b"", "access log: ends in a line feed")
    parsed = []
    for line in lines[:-1]:
        try:
            parsed.append(json.loads(line)["path"])
        except ValueError:
            parsed.append(None)             # the one line the limit cut
    check(parsed.count(None) <= 1 and parsed[-1] == "/healthz?after=1",
          "access log: after a cut line, whole lines again (%r)" % parsed)
    check("--access-log: cannot write" in said and "--access-log: writing again" in said,
          "access log: the failing spell and its end are said (%r)" % said[-400:])


def access_log_rotated_after_a_cut_line():
    """A line cut short (a file-size limit, as above), then the file renamed
    and SIGHUP: the new file began with a line feed (the one meant to end
    the cut line, which stays in the old file), an empty first line that is
    not JSON.  The new file begins with its first line; the old one keeps
    its cut last line.  A SIGHUP that opens the same file again still ends
    the cut line there."""
    import json
    import resource
    import signal
    import subprocess
    tmp = tempfile.mkdtemp(prefix="civic-rotate-")
    log, old = os.path.join(tmp, "access.log"), os.path.join(tmp, "access.old")
    port = harness.free_port()
    out = tempfile.TemporaryFile()
    proc = server_with_small_files(port, log, out)

    def get(path):
        get_retrying(port, path)

    def said():
        out.seek(0)
        return out.read().decode(errors="replace")

    def hup(times):
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while said().count("SIGHUP: reopened") < times and time.monotonic() < deadline:
            time.sleep(0.05)

    try:
        for i in range(12):                     # about 150 bytes a line: past 700
            get("/healthz?n=%d" % i)
        time.sleep(0.3)                         # the lines are written after the answers
        os.rename(log, old)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        hup(1)
        get("/healthz?rotated=1")
        time.sleep(0.3)
        with open(log, "rb") as f:
            rotated = f.read()
        with open(old, "rb") as f:
            kept = f.read()
        # the same file again: a cut line there is still ended by a line feed
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE,
                         (len(rotated) + 40, resource.RLIM_INFINITY))
        get("/healthz?cut=1")                   # cut after 40 bytes
        time.sleep(0.3)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        hup(2)
        get("/healthz?same=1")
        time.sleep(0.3)
        with open(log, "rb") as f:
            same = f.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    check("a line written in part" in said() and said().count("SIGHUP: reopened") == 2,
          "rotation: a line was cut, and both SIGHUPs reopened (%r)" % said()[-400:])
    check(not kept.endswith(b"\n"), "rotation: the old file keeps its cut last line (%r)"
          % kept[-80:])
    first = rotated.split(b"\n")[0]
    try:
        path = json.loads(first)["path"]
    except ValueError:
        path = None
    check(path == "/healthz?rotated=1" and rotated.count(b"\n") == 1,
          "rotation: the new file begins with its first line, JSON (%r)" % rotated[:200])
    lines = same.split(b"\n")
    check(len(lines) == 4 and lines[0] == first and len(lines[1]) == 40 and lines[3] == b""
          and json.loads(lines[2])["path"] == "/healthz?same=1",
          "rotation: a SIGHUP of the same file ends its cut line first (%r)" % same[-300:])


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--server", default="build/civic-server")
    p.add_argument("--only", default="", help="comma-separated probe names")
    ARGS = p.parse_args()
    probes = [("descriptors", test_descriptors), ("drain", test_drain), ("stop-said", test_stop_said), ("stop-cut", test_stop_cuts_queries_quietly), ("stop-accounts", test_stop_accounts_for_each), ("stop", test_stop_under_churn), ("per-ip", test_per_address_limit), ("closed", test_closed_requests), ("queue", test_queue), ("churn", test_churn), ("idle", test_idle_keep_alive), ("idle-cpu", test_idle_cpu), ("deadline", test_deadline),
              ("chunked", test_chunked_budget), ("share", test_address_share),
              ("bomb", test_body_bomb),
              ("slowloris", test_slowloris)]
    tmp = tempfile.mkdtemp(prefix="civic-limits-")
    try:
        for name, fn in probes:
            if not ARGS.only or name in ARGS.only.split(","):
                t0 = time.monotonic()
                fn()
                print("%s: %.1f s" % (name, time.monotonic() - t0))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("test-server-limits: %d failure(s)" % len(FAILURES), file=sys.stderr)
        return 1
    print("test-server-limits: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
