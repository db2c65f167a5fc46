#!/usr/bin/env python3
"""ab.py -- paired runs of two civic-score binaries on one log: which is faster?

    python3 bench/ab.py A B LOG -r RULES [--pairs 7] [--pinned] [--events N] [--extra ARG]...

Runs A, B, A, B ... (the order of each pair alternates: AB, BA, AB ...), each
once untimed first, and reports per binary the median CPU time (user + system,
from wait4) and wall time, then min / median / max of the pairwise ratios B/A
(below 1: B is faster), the peak RSS of each, and the load average before and
after.  --pinned runs both under `taskset -c 0` (every thread on one core):
CPU time per event is then the figure of the issue's "pinned to one core"
target.  Checks that both print the same output.  Python standard library only.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def run(binary, args, log, pinned):
    argv = [binary, "-r", args.rules, "--format", "csv"] + args.extra + [log]
    if pinned:
        argv = ["taskset", "-c", "0"] + argv
    t0 = time.monotonic()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(argv, stdout=null)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if status != 0:
        sys.exit(f"{binary} failed: status {status}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss * 1024


def output(binary, args, log):
    return subprocess.run([binary, "-r", args.rules, "--format", "csv"] + args.extra + [log],
                          check=True, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("log")
    ap.add_argument("-r", "--rules", required=True)
    ap.add_argument("--pairs", type=int, default=7)
    ap.add_argument("--pinned", action="store_true")
    ap.add_argument("--events", type=int, default=0, help="events in the log (default: lines - 1)")
    ap.add_argument("--extra", action="append", default=[], help="more civic-score arguments")
    args = ap.parse_args()
    events = args.events
    if not events:
        with open(args.log, "rb") as f:
            events = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b"")) - 1
    if output(args.a, args, args.log) != output(args.b, args, args.log):
        sys.exit("the two binaries disagree")
    print("outputs identical")
    load0 = os.getloadavg()[0]
    cpu = {"a": [], "b": []}
    wall = {"a": [], "b": []}
    rss = {"a": [], "b": []}
    for i in range(args.pairs):
        order = ("a", "b") if i % 2 == 0 else ("b", "a")
        for k in order:
            c, w, r = run(getattr(args, k), args, args.log, args.pinned)
            cpu[k].append(c)
            wall[k].append(w)
            rss[k].append(r)
    load1 = os.getloadavg()[0]
    cr = [b / a for a, b in zip(cpu["a"], cpu["b"])]
    wr = [b / a for a, b in zip(wall["a"], wall["b"])]
    print(f"log {args.log}: {events:,} events; {args.pairs} pairs"
          f"{', pinned to CPU 0' if args.pinned else ''}; load {load0:.2f} -> {load1:.2f}")
    for k in ("a", "b"):
        c = statistics.median(cpu[k])
        print(f"  {k.upper()} {getattr(args, k)}: CPU {c:.3f} s ({c / events * 1e9:.0f} ns/event;"
              f" min {min(cpu[k]) / events * 1e9:.0f}, max {max(cpu[k]) / events * 1e9:.0f}),"
              f" wall {statistics.median(wall[k]):.3f} s,"
              f" peak RSS {max(rss[k]) / 1e6:.1f} MB ({max(rss[k]) / events:.1f} B/event)")
    print(f"  B/A CPU ratio: min {min(cr):.3f} median {statistics.median(cr):.3f} max {max(cr):.3f}")
    print(f"  B/A wall ratio: min {min(wr):.3f} median {statistics.median(wr):.3f} max {max(wr):.3f}")


if __name__ == "__main__":
    main()
