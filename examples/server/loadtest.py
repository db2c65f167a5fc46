#!/usr/bin/env python3
"""make loadtest: wrk against civic-server on loopback, for a bounded time.

Runs the single-subject, read-heavy and write-heavy mixes of loadtest.lua against an
in-memory server and against durable ones (--data with --sync always and
--sync group), each preloaded with examples/data/sample.csv, and prints
requests/s and latency p50/p99 per run as a table (and JSON with --json).

  --auth   the server gets a tokens file and wrk sends a write token
  --tls    the server serves HTTPS with a throw-away certificate (openssl)
  --rounds N  run the whole set N times, alternating, and report the median
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "server"))
import harness  # noqa: E402

TOKEN = "loadtest-0123456789abcdef"
CONFIGS = [("memory", "subject", []), ("memory", "read", []), ("memory", "write", []),
           ("sync=always", "read", ["--sync", "always"]),
           ("sync=always", "write", ["--sync", "always"]),
           ("sync=group", "write", ["--sync", "group"])]


def server_args(a, tmp):
    extra = ["--threads", str(a.threads), "--max-per-ip", str(a.connections + 8)]
    tls_ca = None
    if a.auth:
        tokens = harness.make_tokens(a.server, os.path.join(tmp, "tokens"),
                                     [("loadtest", "write", TOKEN)])
        extra += ["--tokens", tokens]
    if a.tls:
        cert, key = harness.self_signed_cert(tmp)
        extra += ["--tls-cert", cert, "--tls-key", key]
        tls_ca = cert
    return extra, tls_ca


def one_run(a, tmp, i, name, mix, extra, common, tls_ca, sample):
    data = os.path.join(tmp, "d%d" % i) if extra else None
    srv = harness.Server(a.server, data, extra + common, token=TOKEN if a.auth else None,
                         tls_ca=tls_ca).start()
    try:
        status, _ = srv.request("POST", "/events", sample, "text/csv")
        assert status == 200, status
        env = dict(os.environ, CIVIC_MIX=mix, CIVIC_TOKEN=TOKEN if a.auth else "")
        url = "%s://127.0.0.1:%d" % ("https" if a.tls else "http", srv.port)
        out = subprocess.run(["wrk", "-t", str(a.threads), "-c", str(a.connections),
                              "-d", "%ds" % a.seconds, "--latency", "-s",
                              os.path.join(HERE, "loadtest.lua"), url],
                             env=env, capture_output=True, text=True, check=True,
                             timeout=a.seconds + 120).stdout
        r = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
        r["server"] = name
        r["events_after"] = srv.request("GET", "/healthz")[1]["events"]
        return r
    finally:
        srv.stop()


def median_of(runs):
    """Per configuration, the run with the median requests/s."""
    out = []
    for k in range(len(CONFIGS)):
        rs = sorted((r[k] for r in runs), key=lambda x: x["rps"])
        out.append(rs[len(rs) // 2])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="build/civic-server")
    ap.add_argument("--sample", default="examples/data/sample.csv")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--auth", action="store_true")
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with open(a.sample, "rb") as f:
        sample = f.read()
    tmp = tempfile.mkdtemp(prefix="civic-loadtest-")
    runs = []
    try:
        common, tls_ca = server_args(a, tmp)
        for rnd in range(a.rounds):
            runs.append([one_run(a, tmp, rnd * 10 + i, name, mix, extra, common, tls_ca, sample)
                         for i, (name, mix, extra) in enumerate(CONFIGS)])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results = median_of(runs)
    print("loadtest: %d s per run, %d round(s) (median shown), %d wrk threads, %d connections, "
          "server --threads %d%s%s" % (a.seconds, a.rounds, a.threads, a.connections, a.threads,
                                       ", tokens" if a.auth else "", ", https" if a.tls else ""))
    print("%-12s %-6s %10s %10s %10s %8s %12s" % ("server", "mix", "req/s", "p50 ms", "p99 ms",
                                                  "errors", "events"))
    for r in results:
        print("%-12s %-6s %10.0f %10.3f %10.3f %8d %12d" % (
            r["server"], r["mix"], r["rps"], r["p50_ms"], r["p99_ms"], r["errors"],
            r["events_after"]))
    if a.rounds > 1:
        for k, (name, mix, _) in enumerate(CONFIGS):
            print("  %s %s req/s over rounds: %s" % (name, mix, [round(r[k]["rps"]) for r in runs]))
    if a.json:
        print(json.dumps(results))
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
