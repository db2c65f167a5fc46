#!/usr/bin/env python3
"""run.py -- time civic-score against weighted-sum baselines, in one run, on
the same file.  Python standard library only.

civic-score does the full scoring (caps, validity, repeats, ceilings,
bounds, grades, groups, balance).  The baselines only add up points (x qty for
per = "unit" rules) per subject, which is the least any scorer must do: they
give a floor, and "how many times that floor" is the figure to watch.

Methods (each skipped with a note when its tool is missing):
  civic-score        build/civic-score -r RULES --format csv FILE > /dev/null
  civic-score-jsonl  the same on the JSONL form of the log (with --jsonl)
  duckdb             bench/baselines/sum_duckdb.mjs: @duckdb/node-api (npm, installed
                     by `make bench-setup`), read_csv + join + GROUP BY, 2 threads
  mawk               bench/baselines/sum.awk
  sqlite3            bench/baselines/sum.sql: .import + GROUP BY join (in memory)
  python-csv         bench/baselines/sum_csv.py (csv module, this interpreter)
  pandas             bench/baselines/sum_pandas.py (any python3 that has pandas)
  wc -l              the floor: read the file once

The file may be the default log of bench/gen (id,subject,type,ts,qty,group)
or its lean log (gen -f lean: id,subject,type,ts,qty).

Every method runs once untimed first (warm page cache, and the run whose
output is checked), then --repeat timed rounds; each round runs every method
once, in an order that rotates from round to round.  Reported per method:
median wall time, events/s, MB/s, peak RSS (and bytes per event), and time
relative to civic-score.

Then, on request (the figures to compare on a shared machine):
  --pairs P     P paired runs of civic-score against each baseline, A/B/A/B...:
                the ratio civic-score / baseline of each pair (wall and CPU),
                min / median / max of the ratios; the load average before and
                after each pair and the CPU time other processes used during
                it (from /proc/stat), with a warning when that is high;
  --pinned K    K runs of civic-score under `taskset -c 0` (every thread on
                one core): CPU time per event (ns) and events per CPU-second;
  --callgrind   civic-score and mawk once each under valgrind --tool=callgrind
                (on --callgrind-log, default FILE): instructions per event,
                the load-independent figure.

Checks: the baselines' per-subject sums must agree exactly with each other
(they ignore caps and validity, so they are NOT compared with civic-score);
civic-score must list as many subjects as the baselines found; with --jsonl
its CSV output on the JSONL log must equal its output on the CSV log.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BASELINES = os.path.join(HERE, "baselines")
TIME_BIN = "/usr/bin/time"
NODE_MODULES = os.path.join(HERE, "node_modules")
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
# Other processes using more than this many cores during a timed run: warn.
OTHERS_BUSY_CORES = 0.25


# ---------------------------------------------------------------------------
# Rules -> weights table
# ---------------------------------------------------------------------------

def strip_comment(line):
    """line without a # comment (a # inside a "string" is not one)."""
    quoted = escaped = False
    for i, c in enumerate(line):
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return line[:i]
    return line


def read_weights(rules_path):
    """Points (in hundredths) and per-unit flag of every [rule.CODE] table.

    A reader of just what the baselines need from the rules-file subset:
    table headers, `points = N` and `per = "unit"`."""
    weights = {}
    code = None
    header = re.compile(r'^\[\s*rule\.([A-Za-z0-9_.\-]+)\s*\]')
    with open(rules_path, encoding="utf-8") as f:
        for raw in f:
            line = strip_comment(raw).strip()
            if not line:
                continue
            if line.startswith("["):
                m = header.match(line)
                code = m.group(1) if m else None
                if code is not None:
                    weights[code] = [0, 0]
                continue
            if code is None or "=" not in line:
                continue
            key, value = (s.strip() for s in line.split("=", 1))
            if key == "points":
                weights[code][0] = int(Decimal(value) * 100)
            elif key == "per":
                weights[code][1] = 1 if value.strip('"') == "unit" else 0
    if not weights:
        sys.exit(f"run.py: no [rule.*] tables in {rules_path}")
    return weights


def write_weights(weights, path):
    with open(path, "w", encoding="utf-8") as f:
        f.write("type,points,unit\n")
        for code, (points, unit) in sorted(weights.items()):
            f.write(f"{code},{points},{unit}\n")


# ---------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------

class Method:
    def __init__(self, name, argv, stdin=None, baseline=False, reads=None):
        self.name = name
        self.argv = argv
        self.stdin = stdin          # path fed on standard input, or None
        self.baseline = baseline    # prints subject,sum lines to check
        self.reads = reads          # the log file it reads (for MB/s)
        self.times = []
        self.cpu = []               # user + system seconds of each timed run
        self.rss_kb = 0
        self.output = None          # output of the untimed run (a path)
        self.check = (0.0, 0.0)     # wall, CPU of the check run
        self.last_sys = 0.0         # system CPU seconds of the last run
        self.query_times = []       # duckdb: the query's own seconds, every run


def python_with_pandas():
    """A python3 that can import pandas: this one, /usr/bin/python3 (where
    apt's python3-pandas lands), or python3 on PATH."""
    candidates = [sys.executable, "/usr/bin/python3", shutil.which("python3")]
    seen = set()
    for exe in candidates:
        if not exe or exe in seen or not os.path.exists(exe):
            continue
        seen.add(exe)
        rc = subprocess.run([exe, "-c", "import pandas"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        if rc == 0:
            return exe
    return None


def csv_header(path):
    with open(path, encoding="utf-8") as f:
        return [c.strip() for c in f.readline().strip().split(",")]


def sqlite_columns(header):
    """The CREATE TABLE column list for a bench/gen CSV header (group is a
    keyword: the column is called grp)."""
    cols = []
    for c in header:
        name = "grp" if c.lower() == "group" else c
        cols.append(f"{name} {'INTEGER' if c == 'qty' else 'TEXT'}")
    return ", ".join(cols)


def duckdb_ready():
    return os.path.isdir(os.path.join(NODE_MODULES, "@duckdb", "node-api"))


def build_methods(args, weights_csv, workdir):
    methods, notes = [], []
    civic = os.path.abspath(args.civic)
    if os.access(civic, os.X_OK):
        methods.append(Method("civic-score", [civic, "-r", args.rules, "--format", "csv",
                                              args.file], reads=args.file))
        if args.jsonl:
            methods.append(Method("civic-score-jsonl",
                                  [civic, "-r", args.rules, "--format", "csv", args.jsonl],
                                  reads=args.jsonl))
    else:
        notes.append(f"civic-score: {civic} not built; ratios are to mawk")
    node = shutil.which("node")
    if args.no_duckdb:
        notes.append("duckdb: skipped")
    elif node and duckdb_ready():
        methods.append(Method("duckdb", [node, os.path.join(BASELINES, "sum_duckdb.mjs"),
                                         weights_csv, os.path.abspath(args.file),
                                         str(args.duckdb_threads)],
                              baseline=True, reads=args.file))
    else:
        notes.append("duckdb: " + ("node not found" if not node else
                                   "@duckdb/node-api not installed (make bench-setup)"))
    awk = shutil.which("mawk") or shutil.which("awk")
    if awk:
        methods.append(Method("mawk" if awk.endswith("mawk") else "awk",
                              [awk, "-F,", "-f", os.path.join(BASELINES, "sum.awk"),
                               weights_csv, args.file], baseline=True, reads=args.file))
    else:
        notes.append("mawk: not found")
    sqlite = shutil.which("sqlite3")
    if sqlite:
        with open(os.path.join(BASELINES, "sum.sql"), encoding="utf-8") as f:
            sql = f.read()
        script = os.path.join(workdir, "sum.sql")
        with open(script, "w", encoding="utf-8") as f:
            f.write(sql.replace("@EVENTS@", os.path.abspath(args.file).replace("'", "''"))
                       .replace("@WEIGHTS@", weights_csv.replace("'", "''"))
                       .replace("@COLUMNS@", sqlite_columns(csv_header(args.file))))
        methods.append(Method("sqlite3", [sqlite, "-batch", ":memory:"], stdin=script,
                              baseline=True, reads=args.file))
    else:
        notes.append("sqlite3: not found")
    methods.append(Method("python-csv", [sys.executable, os.path.join(BASELINES, "sum_csv.py"),
                                         weights_csv, args.file],
                          baseline=True, reads=args.file))
    py = python_with_pandas() if not args.no_pandas else None
    if py:
        methods.append(Method("pandas", [py, os.path.join(BASELINES, "sum_pandas.py"),
                                         weights_csv, args.file],
                              baseline=True, reads=args.file))
    else:
        notes.append("pandas: not importable by any python3 (apt-get install -y "
                     "python3-pandas)" if not args.no_pandas else "pandas: skipped")
    methods.append(Method("wc -l", [shutil.which("wc") or "wc", "-l", args.file],
                          reads=args.file))
    if args.only:
        keep = set(args.only.split(","))
        methods = [m for m in methods if m.name in keep]
    return methods, notes


# ---------------------------------------------------------------------------
# The machine: load average and what other processes use
# ---------------------------------------------------------------------------

def cpu_jiffies():
    """(busy, steal) seconds of all CPUs since boot, from /proc/stat (busy:
    user, nice, system, irq, softirq)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    busy = v[0] + v[1] + v[2] + (v[5] if len(v) > 5 else 0) + (v[6] if len(v) > 6 else 0)
    steal = v[7] if len(v) > 7 else 0
    return busy / CLK_TCK, steal / CLK_TCK


class Probe:
    """CPU that processes other than ours use while we time something:
    (busy CPU seconds of the whole machine - our children's CPU seconds) /
    wall seconds, in cores."""

    def __init__(self):
        self.load0 = os.getloadavg()[0]
        self.j0 = cpu_jiffies()
        self.t0 = time.perf_counter()

    def finish(self, our_cpu):
        wall = time.perf_counter() - self.t0
        j1 = cpu_jiffies()
        self.load1 = os.getloadavg()[0]
        if self.j0 is None or j1 is None or wall <= 0:
            self.others = self.steal = float("nan")
        else:
            self.others = max(0.0, (j1[0] - self.j0[0] - our_cpu) / wall)
            self.steal = (j1[1] - self.j0[1]) / wall
        return self

    def text(self):
        busy = self.others > OTHERS_BUSY_CORES
        return (f"load {self.load0:.2f} -> {self.load1:.2f}, other processes "
                f"{self.others:.2f} cores" + (f", steal {self.steal:.2f}" if self.steal > 0.05 else "")
                + (" WARNING: another tenant is busy, wall figures inflated" if busy else ""))


# ---------------------------------------------------------------------------
# Running one command: wall time and peak RSS
# ---------------------------------------------------------------------------

def run_once(m, out_path, workdir):
    """Run m once with stdout to out_path; return (wall seconds, CPU seconds,
    peak RSS in KiB).  CPU is user + system time of the process tree (wait4),
    so a multi-threaded method shows CPU > wall."""
    use_time = os.access(TIME_BIN, os.X_OK)
    rss_file = os.path.join(workdir, "rss")
    argv = m.argv
    if use_time:
        argv = [TIME_BIN, "-f", "%M", "-o", rss_file] + argv
    stdin = open(m.stdin, "rb") if m.stdin else subprocess.DEVNULL
    try:
        with open(out_path, "wb") as out, open(os.path.join(workdir, "stderr"), "wb") as err:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)
            elapsed = time.perf_counter() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if m.stdin:
            stdin.close()
    if p.returncode != 0:
        with open(os.path.join(workdir, "stderr"), "rb") as f:
            msg = f.read().decode("utf-8", "replace")[-2000:]
        sys.exit(f"run.py: {m.name} failed (exit {p.returncode}):\n{msg}")
    # KiB on Linux.  Unwrapped, the child's high-water mark includes the pages it
    # shared with this interpreter between fork and exec, so it is never below
    # our own RSS; report_rss() marks such figures as "at most".
    rss = usage.ru_maxrss
    if use_time:
        with open(rss_file, encoding="utf-8") as f:
            rss = int(f.read().strip().splitlines()[-1])
    m.last_sys = usage.ru_stime
    if m.name == "duckdb":  # its query alone, without node's and DuckDB's start
        with open(os.path.join(workdir, "stderr"), encoding="utf-8", errors="replace") as f:
            q = re.search(r"duckdb query s: ([0-9.]+)", f.read())
        if q:
            m.query_times.append(float(q.group(1)))
    return elapsed, usage.ru_utime + usage.ru_stime, rss


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def read_sums(path):
    sums = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                subject, value = line.rsplit(",", 1)
                sums[subject.strip('"')] = int(value)
    return sums


def count_lines(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def check(methods):
    """Baselines agree with each other; civic-score has as many subjects."""
    problems, info = [], []
    baselines = [m for m in methods if m.baseline]
    ref = None
    for m in baselines:
        sums = read_sums(m.output)
        if ref is None:
            ref, ref_name = sums, m.name
            info.append(f"{m.name}: {len(sums)} subjects, total {sum(sums.values()) / 100:.2f} points")
            continue
        if sums == ref:
            info.append(f"{m.name}: agrees with {ref_name} on all {len(sums)} subjects")
            continue
        diff = [s for s in set(ref) | set(sums) if ref.get(s) != sums.get(s)]
        ex = ", ".join(f"{s}: {ref.get(s)} vs {sums.get(s)}" for s in sorted(diff)[:3])
        problems.append(f"{m.name} disagrees with {ref_name} on {len(diff)} subjects ({ex})")
    by_name = {m.name: m for m in methods}
    civic = by_name.get("civic-score")
    if civic is not None:
        n = count_lines(civic.output) - 1  # header
        if ref is not None and n != len(ref):
            problems.append(f"civic-score lists {n} subjects, baselines {len(ref)}")
        else:
            info.append(f"civic-score: {n} subjects")
        cj = by_name.get("civic-score-jsonl")
        if cj is not None:
            with open(civic.output, "rb") as a, open(cj.output, "rb") as b:
                if a.read() == b.read():
                    info.append("civic-score: the JSONL log scores exactly as the CSV log")
                else:
                    problems.append("civic-score: JSONL and CSV logs score differently")
    return problems, info


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def run_pairs(methods, events, args, workdir):
    """P paired runs of civic-score against each other method, A/B/A/B...;
    returns the JSON rows."""
    ref = next((m for m in methods if m.name == "civic-score"), None)
    if ref is None:
        print("pairs: civic-score is not among the methods; skipped")
        return []
    out = []
    for b in methods:
        if b is ref or b.name == "civic-score-jsonl":
            continue
        print(f"\npairs: civic-score against {b.name}, {args.pairs} pairs (A/B/A/B...)",
              flush=True)
        pairs = []
        for i in range(args.pairs):
            row = {}
            for m in (ref, b):
                probe = Probe()
                t, cpu, rss = run_once(m, os.devnull, workdir)
                probe.finish(cpu)
                row[m.name] = {"wall_s": t, "cpu_s": cpu, "rss_kb": rss,
                               "load_before": probe.load0, "load_after": probe.load1,
                               "others_cores": probe.others, "steal_cores": probe.steal}
                print(f"  pair {i + 1:>2} {m.name:<12} {t:8.3f} s wall {cpu:8.3f} s CPU; "
                      + probe.text(), flush=True)
            a, c = row[ref.name], row[b.name]
            row["ratio_wall"] = a["wall_s"] / c["wall_s"]
            row["ratio_cpu"] = a["cpu_s"] / c["cpu_s"] if c["cpu_s"] > 0 else float("nan")
            row["busy"] = max(a["others_cores"], c["others_cores"]) > OTHERS_BUSY_CORES
            print(f"  pair {i + 1:>2} ratio civic-score / {b.name}: wall {row['ratio_wall']:.3f}, "
                  f"CPU {row['ratio_cpu']:.3f}" + (" (busy)" if row["busy"] else ""), flush=True)
            pairs.append(row)
        rw = [p["ratio_wall"] for p in pairs]
        rc = [p["ratio_cpu"] for p in pairs]
        quiet = [p["ratio_wall"] for p in pairs if not p["busy"]]
        summary = {"baseline": b.name, "pairs": pairs,
                   "ratio_wall_min": min(rw), "ratio_wall_median": statistics.median(rw),
                   "ratio_wall_max": max(rw), "ratio_cpu_median": statistics.median(rc),
                   "quiet_pairs": len(quiet),
                   "ratio_wall_median_quiet": statistics.median(quiet) if quiet else None,
                   "civic_wall_median": statistics.median(p[ref.name]["wall_s"] for p in pairs),
                   "baseline_wall_median": statistics.median(p[b.name]["wall_s"] for p in pairs)}
        out.append(summary)
    if out:
        print(f"\npaired ratios (civic-score wall / baseline wall; below 1: civic-score is faster)")
        hdr = (f"{'baseline':<12} {'pairs':>5} {'min':>7} {'median':>7} {'max':>7} {'CPU med':>8} "
               f"{'quiet':>6} {'quiet med':>9} {'civic s':>8} {'base s':>8}")
        print(hdr)
        print("-" * len(hdr))
        for r in out:
            qm = f"{r['ratio_wall_median_quiet']:.3f}" if r["ratio_wall_median_quiet"] else "-"
            print(f"{r['baseline']:<12} {len(r['pairs']):>5} {r['ratio_wall_min']:>7.3f} "
                  f"{r['ratio_wall_median']:>7.3f} {r['ratio_wall_max']:>7.3f} "
                  f"{r['ratio_cpu_median']:>8.3f} {r['quiet_pairs']:>6} {qm:>9} "
                  f"{r['civic_wall_median']:>8.3f} {r['baseline_wall_median']:>8.3f}")
        print(f"(quiet: pairs in which other processes used at most {OTHERS_BUSY_CORES} cores "
              "during both runs)")
    return out


def run_pinned(methods, events, args, workdir):
    """civic-score under taskset -c 0: CPU time per event."""
    ref = next((m for m in methods if m.name == "civic-score"), None)
    taskset = shutil.which("taskset")
    if ref is None or not taskset:
        print("pinned: " + ("civic-score is not among the methods" if ref is None
                            else "taskset not found") + "; skipped")
        return None
    pinned = Method("civic-score pinned", [taskset, "-c", "0"] + ref.argv, reads=ref.reads)
    print(f"\npinned: {' '.join(pinned.argv[:3])} civic-score ..., {args.pinned} runs", flush=True)
    runs = []
    for i in range(args.pinned):
        probe = Probe()
        t, cpu, rss = run_once(pinned, os.devnull, workdir)
        probe.finish(cpu)
        runs.append({"wall_s": t, "cpu_s": cpu, "sys_s": pinned.last_sys, "rss_kb": rss,
                     "load_before": probe.load0, "load_after": probe.load1,
                     "others_cores": probe.others})
        print(f"  run {i + 1}: {t:.3f} s wall, {cpu:.3f} s CPU (system {pinned.last_sys:.3f}), "
              f"{cpu / events * 1e9:.1f} ns/event; " + probe.text(), flush=True)
    cpus = [r["cpu_s"] for r in runs]
    med = statistics.median(cpus)
    res = {"runs": runs, "cpu_s_min": min(cpus), "cpu_s_median": med, "cpu_s_max": max(cpus),
           "ns_per_event_min": min(cpus) / events * 1e9,
           "ns_per_event_median": med / events * 1e9,
           "ns_per_event_max": max(cpus) / events * 1e9,
           "events_per_cpu_s": events / med,
           "sys_s_median": statistics.median(r["sys_s"] for r in runs),
           "wall_s_median": statistics.median(r["wall_s"] for r in runs)}
    print(f"pinned civic-score: CPU {res['ns_per_event_median']:.1f} ns/event median "
          f"(min {res['ns_per_event_min']:.1f}, max {res['ns_per_event_max']:.1f}), "
          f"{res['events_per_cpu_s'] / 1e6:.2f} M events per CPU-second; system (page faults, "
          f"zeroing) {res['sys_s_median'] / events * 1e9:.1f} ns/event of it")
    return res


def callgrind_total(path):
    """Instructions (Ir) of a callgrind output file."""
    total = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
    return total


def run_callgrind(methods, args, workdir):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        print("callgrind: valgrind not found; skipped")
        return None
    log = args.callgrind_log or args.file
    events = count_lines(log) - 1
    res = {"log": log, "events": events, "methods": {}}
    print(f"\ncallgrind on {log} ({events} events)", flush=True)
    by_name = {m.name: m for m in methods}
    for name in ("civic-score", "mawk"):
        m = by_name.get(name)
        if m is None:
            continue
        argv = [log if a == os.path.abspath(args.file) or a == args.file else a for a in m.argv]
        out = os.path.join(workdir, f"callgrind.{name}")
        cmd = [valgrind, "--tool=callgrind", "--dump-instr=no", "--callgrind-out-file=" + out] + argv
        t0 = time.perf_counter()
        with open(os.devnull, "wb") as devnull, open(os.path.join(workdir, "stderr"), "wb") as err:
            rc = subprocess.run(cmd, stdout=devnull, stderr=err).returncode
        if rc != 0:
            print(f"  {name}: valgrind failed (exit {rc})")
            continue
        ir = callgrind_total(out)
        res["methods"][name] = {"instructions": ir, "per_event": ir / events,
                                "seconds": time.perf_counter() - t0}
        print(f"  {name:<12} {ir:>16,} instructions, {ir / events:10.1f} per event "
              f"({time.perf_counter() - t0:.0f} s under valgrind)", flush=True)
        if args.keep:
            shutil.copy(out, os.path.join(args.keep, f"callgrind.out.{name}"))
    ms = res["methods"]
    if "civic-score" in ms and "mawk" in ms:
        res["ratio_civic_mawk"] = ms["civic-score"]["per_event"] / ms["mawk"]["per_event"]
        print(f"  instructions civic-score / mawk: {res['ratio_civic_mawk']:.3f}")
    return res


def rss_floor_kb():
    """The smallest peak RSS wait4 can report for a child of this process
    (0 when /usr/bin/time measures the child from a small parent)."""
    if os.access(TIME_BIN, os.X_OK):
        return 0
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report(methods, events, args, notes):
    if not all(m.times for m in methods):  # --repeat 0: the check run's figures
        for m in methods:
            m.times, m.cpu = [m.check[0]], [m.check[1]]
        notes.append("--repeat 0: times of the (untimed) check run only")
    ref = next((m for m in methods if m.name == "civic-score"), None) or \
        next((m for m in methods if m.baseline), methods[0])
    ref_t = statistics.median(ref.times)
    floor = rss_floor_kb()
    rows = []
    for m in methods:
        med = statistics.median(m.times)
        size = os.path.getsize(m.reads) / 1e6
        rows.append({
            "method": m.name,
            "median_s": med,
            "min_s": min(m.times),
            "max_s": max(m.times),
            "cpu_s": statistics.median(m.cpu),
            "events_per_s": events / med,
            "mb_per_s": size / med,
            "peak_rss_mb": m.rss_kb / 1024,
            "peak_rss_bytes_per_event": m.rss_kb * 1024 / events if events else None,
            "peak_rss_is_upper_bound": m.rss_kb <= floor * 1.05,
            "vs_ref": med / ref_t,
        })
    print()
    print(f"file: {args.file} ({os.path.getsize(args.file) / 1e6:.1f} MB, {events} events)"
          + (f"; jsonl: {args.jsonl} ({os.path.getsize(args.jsonl) / 1e6:.1f} MB)"
             if args.jsonl else ""))
    print(f"rounds: {args.repeat} timed (+1 untimed check run); peak RSS by "
          f"{'/usr/bin/time -f %M' if os.access(TIME_BIN, os.X_OK) else 'wait4 ru_maxrss'}")
    print()
    hdr = f"{'method':<18} {'median s':>9} {'min s':>8} {'max s':>8} {'CPU s':>8} {'events/s':>12} " \
          f"{'MB/s':>8} {'peak RSS MB':>11} {'B/event':>8} {'x ' + ref.name:>16}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['method']:<18} {r['median_s']:>9.3f} {r['min_s']:>8.3f} {r['max_s']:>8.3f} "
              f"{r['cpu_s']:>8.3f} {r['events_per_s']:>12,.0f} {r['mb_per_s']:>8.1f} "
              f"{('<=' if r['peak_rss_is_upper_bound'] else '') + format(r['peak_rss_mb'], '.1f'):>11} "
              f"{r['peak_rss_bytes_per_event'] or 0:>8.1f} {r['vs_ref']:>16.2f}")
    print()
    print(f"(x {ref.name}: median wall time of the method / median wall time of {ref.name}; "
          "below 1 is faster;\n CPU s: median user+system seconds of the process tree, above "
          "the wall time when a method\n uses several cores; events/s and MB/s are per "
          "wall second)")
    if floor:
        notes.append(f"without {TIME_BIN}, a peak RSS up to this runner's own "
                     f"({floor / 1024:.1f} MB) is only an upper bound (shown as <=)")
    for m in methods:
        if m.query_times:
            notes.append(f"{m.name}: the query alone (without node's and DuckDB's start) took "
                         f"{statistics.median(m.query_times):.3f} s median over "
                         f"{len(m.query_times)} runs")
    for n in notes:
        print(f"note: {n}")
    return rows


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="the event log, CSV as written by bench/gen")
    p.add_argument("-r", "--rules", required=True, help="the rules file (bench/gen -r)")
    p.add_argument("--jsonl", help="the same log as JSON Lines, to time civic-score on it")
    p.add_argument("--civic", default=os.path.join(ROOT, "build", "civic-score"),
                   help="civic-score binary (default: build/civic-score)")
    p.add_argument("--repeat", type=int, default=3,
                   help="timed rounds of every method, rotating (default 3; 0: none)")
    p.add_argument("--pairs", type=int, default=0, metavar="P",
                   help="P paired runs (A/B/A/B...) of civic-score against each baseline")
    p.add_argument("--pinned", type=int, default=0, metavar="K",
                   help="K runs of civic-score under taskset -c 0: CPU time per event")
    p.add_argument("--callgrind", action="store_true",
                   help="instructions per event of civic-score and mawk (valgrind)")
    p.add_argument("--callgrind-log", metavar="LOG",
                   help="the log for --callgrind (default: FILE; a 1M-event log is ~1 min)")
    p.add_argument("--duckdb-threads", type=int, default=2, help="DuckDB threads (default 2)")
    p.add_argument("--no-duckdb", action="store_true", help="skip the DuckDB baseline")
    p.add_argument("--only", help="comma-separated method names to run")
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    p.add_argument("--json", help="also write the figures as JSON here")
    p.add_argument("--keep", help="keep the outputs of the check run in this directory")
    a = p.parse_args(argv)
    if a.repeat < 0 or a.pairs < 0 or a.pinned < 0:
        p.error("--repeat, --pairs and --pinned must be >= 0")
    return a


def main(argv=None):
    args = parse_args(argv)
    if args.json:  # its folder now, not after minutes of measuring
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="civic-bench-")
    try:
        weights_csv = os.path.join(workdir, "weights.csv")
        write_weights(read_weights(args.rules), weights_csv)
        methods, notes = build_methods(args, weights_csv, workdir)
        if not methods:
            sys.exit("run.py: nothing to run")
        events = count_lines(args.file) - 1
        load_before = os.getloadavg()
        print(f"load average before: {load_before[0]:.2f} ({os.cpu_count()} CPUs)")
        outdir = args.keep or workdir
        os.makedirs(outdir, exist_ok=True)
        print(f"check run: {', '.join(m.name for m in methods)}", flush=True)
        for m in methods:
            m.output = os.path.join(outdir, m.name.replace(" ", "_") + ".out")
            probe = Probe()
            t, cpu, rss = run_once(m, m.output, workdir)
            probe.finish(cpu)
            m.check = (t, cpu)
            m.rss_kb = max(m.rss_kb, rss)
            print(f"  {m.name:<18} {t:8.3f} s; {probe.text()}", flush=True)
        problems, info = check(methods)
        for line in info:
            print(f"ok: {line}")
        for line in problems:
            print(f"FAIL: {line}")
        for r in range(args.repeat):
            k = r % len(methods)
            order = methods[k:] + methods[:k]
            print(f"round {r + 1}/{args.repeat}: " +
                  ", ".join(m.name for m in order), flush=True)
            for m in order:
                probe = Probe()
                t, cpu, rss = run_once(m, os.devnull, workdir)
                probe.finish(cpu)
                m.times.append(t)
                m.cpu.append(cpu)
                m.rss_kb = max(m.rss_kb, rss)
                print(f"  {m.name:<18} {t:8.3f} s; {probe.text()}", flush=True)
        load_after = os.getloadavg()
        if max(load_before[0], load_after[0]) > 0.75 * (os.cpu_count() or 1):
            notes.append(f"the machine was busy (load average {load_before[0]:.2f} before, "
                         f"{load_after[0]:.2f} after, {os.cpu_count()} CPUs): "
                         "absolute times are noisy, ratios less so")
        rows = report(methods, events, args, notes)
        pairs = run_pairs(methods, events, args, workdir) if args.pairs else []
        pinned = run_pinned(methods, events, args, workdir) if args.pinned else None
        callgrind = run_callgrind(methods, args, workdir) if args.callgrind else None
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"file": args.file, "jsonl": args.jsonl, "events": events,
                           "bytes": os.path.getsize(args.file), "repeat": args.repeat,
                           "checks_failed": problems, "checks": info, "notes": notes,
                           "loadavg_before": load_before, "loadavg_after": load_after,
                           "cpus": os.cpu_count(),
                           "duckdb_query_s": [q for m in methods for q in m.query_times],
                           "rows": rows, "pairs": pairs, "pinned": pinned,
                           "callgrind": callgrind}, f, indent=1)
        return 1 if problems else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
