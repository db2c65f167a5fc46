#!/usr/bin/env python3
"""make loadtest: wrk against civic-server on loopback, for a bounded time.

Runs the read-heavy and write-heavy mixes of loadtest.lua against an
in-memory server and against durable ones (--data with --sync always and
--sync group), each preloaded with examples/data/sample.csv, and prints
requests/s and latency p50/p99 per run as a table (and JSON with --json).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(server, extra):
    port = free_port()
    p = subprocess.Popen([server, "--port", str(port)] + extra,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            return p, url
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise RuntimeError("server did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="build/civic-server")
    ap.add_argument("--sample", default="examples/data/sample.csv")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with open(a.sample, "rb") as f:
        sample = f.read()
    tmp = tempfile.mkdtemp(prefix="civic-loadtest-")
    configs = [("memory", "read", []), ("memory", "write", []),
               ("sync=always", "read", ["--sync", "always"]),
               ("sync=always", "write", ["--sync", "always"]),
               ("sync=group", "write", ["--sync", "group"])]
    results = []
    try:
        for i, (name, mix, extra) in enumerate(configs):
            if extra:
                extra = extra + ["--data", os.path.join(tmp, "d%d" % i)]
            p, url = start(a.server, extra + ["--threads", str(a.threads)])
            try:
                req = urllib.request.Request(url + "/events", data=sample, method="POST",
                                             headers={"Content-Type": "text/csv"})
                urllib.request.urlopen(req, timeout=60).read()
                env = dict(os.environ, CIVIC_MIX=mix)
                out = subprocess.run(["wrk", "-t", str(a.threads), "-c", str(a.connections),
                                      "-d", "%ds" % a.seconds, "--latency", "-s",
                                      os.path.join(HERE, "loadtest.lua"), url],
                                     env=env, capture_output=True, text=True, check=True).stdout
                line = [l for l in out.splitlines() if l.startswith("{")][-1]
                r = json.loads(line)
                r["server"] = name
                h = json.loads(urllib.request.urlopen(url + "/healthz").read())
                r["events_after"] = h["events"]
                results.append(r)
            finally:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=120)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("loadtest: %d s per run, %d wrk threads, %d connections, server --threads %d" % (
        a.seconds, a.threads, a.connections, a.threads))
    print("%-12s %-6s %10s %10s %10s %8s %12s" % ("server", "mix", "req/s", "p50 ms", "p99 ms",
                                                  "errors", "events"))
    for r in results:
        print("%-12s %-6s %10.0f %10.3f %10.3f %8d %12d" % (
            r["server"], r["mix"], r["rps"], r["p50_ms"], r["p99_ms"], r["errors"],
            r["events_after"]))
    if a.json:
        print(json.dumps(results))
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
