#!/usr/bin/env python3
"""bench_dask.py -- the Dask example end to end, against civic-score alone.

    /usr/bin/python3 examples/dask/bench_dask.py LOG.csv -r RULES [--workers 2]
        [--repeat 1] [--blocksize 16MB] [--partitions P] [--json OUT]
        [--against OTHER_civic_dask.py]

(`make dask-bench` runs it on bench/gen's lean log.)  A benchmark, never a
test: nothing is asserted about speed.  Per run it measures

  - civic-score -r RULES -f csv LOG (the library alone, both cores);
  - civic_dask.py --workers W -r RULES -o OUT -v LOG: its own LocalCluster of
    W one-thread workers (threads of its process; --processes: worker
    processes), from start to exit (cluster start and stop included) and,
    from its -v line, the pipeline alone (total_s: read, split, shuffle,
    scoring, merge);

and reports events/s, events/s per core (events / wall / W), events per
CPU-second (user + system of the whole process tree: the script, the
scheduler and the workers, which the script reaps), and the CPU other
processes used meanwhile (/proc/stat), since the machine may be shared.  The
output must be byte-identical to civic-score's (exit 1 otherwise).

--against OTHER runs a second civic_dask.py (say, the previous version: `git
show REV:examples/dask/civic_dask.py > bench/out/civic_dask_REV.py`, a
place two levels below the repository like this one) in every round too,
the two in alternating order (A B, B A, ...) so both see about the same
load, and reports the median over rounds of this/OTHER for wall, pipeline
and CPU: the paired figures to quote on a shared machine.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "civic_dask.py")
CLI = os.path.join(ROOT, "build", "civic-score")
LIBRARY = os.path.join(ROOT, "build", "libcivic.so.1")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def busy_seconds():
    with open("/proc/stat", encoding="ascii") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK_TCK


def timed(argv, out_path, env=None):
    """Run argv with stdout to out_path: (wall s, CPU s of the tree, other
    processes' cores, stderr text)."""
    err_path = out_path + ".err"
    b0, t0 = busy_seconds(), time.perf_counter()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    cpu = usage.ru_utime + usage.ru_stime
    others = max(0.0, (busy_seconds() - b0 - cpu) / wall)
    with open(err_path, encoding="utf-8", errors="replace") as f:
        err_text = f.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench_dask: %s failed:\n%s" % (argv[0], err_text[-2000:]))
    return wall, cpu, others, err_text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("log")
    ap.add_argument("-r", "--rules", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--blocksize", default="16MB")
    ap.add_argument("--partitions", type=int)
    ap.add_argument("--civic", default=CLI)
    ap.add_argument("--library", default=os.environ.get("CIVIC_LIBRARY") or LIBRARY)
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--script", default=SCRIPT, help="the civic_dask.py to measure")
    ap.add_argument("--processes", action="store_true",
                    help="pass --processes to it: worker processes instead of threads")
    ap.add_argument("--against", metavar="OTHER",
                    help="another civic_dask.py, run in every round too, in alternating order")
    a = ap.parse_args()
    with open(a.log, "rb") as f:
        events = sum(1 for _ in f) - 1
    env = dict(os.environ, CIVIC_LIBRARY=os.path.abspath(a.library))
    work = tempfile.mkdtemp(prefix="civic-dask-bench-")
    ref = os.path.join(work, "civic-score.csv")
    out = os.path.join(work, "dask.csv")
    def dask_argv(script):
        argv = [sys.executable, script, "--workers", str(a.workers), "-r", a.rules,
                "--blocksize", a.blocksize, "-o", out, "-v", a.log]
        if a.partitions:
            argv[2:2] = ["--partitions", str(a.partitions)]
        if a.processes and script == a.script:
            argv[2:2] = ["--processes"]
        return argv

    def dask_run(script):
        dw, dc, do, derr = timed(dask_argv(script), out, env)
        m = re.search(r"total_s=([0-9.]+)", derr)
        with open(ref, "rb") as x, open(out, "rb") as y:
            same = x.read() == y.read()
        return {"dask_wall_s": dw, "dask_cpu_s": dc, "dask_others_cores": do,
                "dask_pipeline_s": float(m.group(1)) if m else None, "identical": same,
                "dask_info": derr.strip().splitlines()[-1] if derr.strip() else ""}

    def show(label, x):
        print("  %s %.2f s (pipeline %s s, %.2f CPU s, others %.2f cores); output %s\n    %s"
              % (label, x["dask_wall_s"], x["dask_pipeline_s"], x["dask_cpu_s"],
                 x["dask_others_cores"], "identical" if x["identical"] else "DIFFERENT",
                 x["dask_info"]), flush=True)

    print("load average %.2f; %d events in %s" % (os.getloadavg()[0], events, a.log), flush=True)
    runs, others = [], []
    for r in range(a.repeat):
        cw, cc, co, _ = timed([a.civic, "-r", a.rules, "-f", "csv", a.log], ref)
        print("run %d: civic-score %.2f s (%.2f CPU s, others %.2f cores)" % (r + 1, cw, cc, co),
              flush=True)
        order = [a.script, a.against] if a.against else [a.script]
        if r % 2:
            order.reverse()
        got = {script: dask_run(script) for script in order}
        run = dict(got[a.script], civic_wall_s=cw, civic_cpu_s=cc, civic_others_cores=co)
        runs.append(run)
        show(os.path.basename(a.script), run)
        if a.against:
            others.append(got[a.against])
            show(os.path.basename(a.against) + " (against)", got[a.against])
    dw = statistics.median(x["dask_wall_s"] for x in runs)
    dc = statistics.median(x["dask_cpu_s"] for x in runs)
    pl = [x["dask_pipeline_s"] for x in runs if x["dask_pipeline_s"]]
    cw = statistics.median(x["civic_wall_s"] for x in runs)
    cc = statistics.median(x["civic_cpu_s"] for x in runs)
    summary = {
        "events": events, "workers": a.workers, "runs": runs,
        "dask_events_per_s": events / dw,
        "dask_events_per_s_per_core": events / dw / a.workers,
        "dask_pipeline_events_per_s_per_core":
            events / statistics.median(pl) / a.workers if pl else None,
        "dask_events_per_cpu_s": events / dc,
        "civic_events_per_s": events / cw,
        "civic_events_per_cpu_s": events / cc,
    }
    print("\ncivic_dask.py, %d workers: %.0f events/s, %.0f events/s per core (%s without "
          "cluster start/stop), %.0f events per CPU-second" % (
              a.workers, summary["dask_events_per_s"], summary["dask_events_per_s_per_core"],
              "%.0f" % summary["dask_pipeline_events_per_s_per_core"]
              if pl else "?", summary["dask_events_per_cpu_s"]))
    print("civic-score alone: %.0f events/s, %.0f events per CPU-second: the Dask path costs "
          "%.1fx the library's CPU" % (summary["civic_events_per_s"],
                                       summary["civic_events_per_cpu_s"], dc / cc))
    if a.against:
        def ratio(key):
            pairs = [x[key] / y[key] for x, y in zip(runs, others) if x[key] and y[key]]
            return (statistics.median(pairs), pairs) if pairs else (None, [])
        summary["against"] = a.against
        summary["against_runs"] = others
        for key in ("dask_wall_s", "dask_pipeline_s", "dask_cpu_s"):
            med, pairs = ratio(key)
            summary["ratio_" + key] = med
            if med is not None:
                print("%s / %s, %s: median of %d paired ratios %.4f (%s)"
                      % (os.path.basename(a.script), os.path.basename(a.against), key,
                         len(pairs), med, " ".join("%.3f" % p for p in pairs)))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=1)
    return 0 if all(x["identical"] for x in runs + others) else 1


if __name__ == "__main__":
    sys.exit(main())
