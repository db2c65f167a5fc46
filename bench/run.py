#!/usr/bin/env python3
"""run.py -- time civic-score against weighted-sum baselines, in one run, on
the same file.  Python standard library only.

civic-score does the full SPEC scoring (caps, validity, repeats, ceilings,
bounds, grades, groups, balance).  The baselines only add up points (x qty for
per = "unit" rules) per subject, which is the least any scorer must do: they
give a floor, and "how many times that floor" is the figure to watch.

Methods (each skipped with a note when its tool is missing):
  civic-score        build/civic-score -r RULES --format csv FILE > /dev/null
  civic-score-jsonl  the same on the JSONL form of the log (with --jsonl)
  mawk               bench/baselines/sum.awk
  sqlite3            bench/baselines/sum.sql: .import + GROUP BY join (in memory)
  python-csv         bench/baselines/sum_csv.py (csv module, this interpreter)
  pandas             bench/baselines/sum_pandas.py (any python3 that has pandas)
  wc -l              the floor: read the file once

Every method runs once untimed first (warm page cache, and the run whose
output is checked), then --repeat timed rounds; each round runs every method
once, in an order that rotates from round to round.  Reported per method:
median wall time, events/s, MB/s, peak RSS, and time relative to civic-score.

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

    A reader of just what the baselines need from the SPEC section 2 subset:
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
                       .replace("@WEIGHTS@", weights_csv.replace("'", "''")))
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

def rss_floor_kb():
    """The smallest peak RSS wait4 can report for a child of this process
    (0 when /usr/bin/time measures the child from a small parent)."""
    if os.access(TIME_BIN, os.X_OK):
        return 0
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def report(methods, events, args, notes):
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
    hdr = f"{'method':<18} {'median s':>9} {'min s':>8} {'CPU s':>8} {'events/s':>12} {'MB/s':>8} " \
          f"{'peak RSS MB':>11} {'x ' + ref.name:>16}"
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['method']:<18} {r['median_s']:>9.3f} {r['min_s']:>8.3f} {r['cpu_s']:>8.3f} "
              f"{r['events_per_s']:>12,.0f} {r['mb_per_s']:>8.1f} "
              f"{('<=' if r['peak_rss_is_upper_bound'] else '') + format(r['peak_rss_mb'], '.1f'):>11} "
              f"{r['vs_ref']:>16.2f}")
    print()
    print(f"(x {ref.name}: median wall time of the method / median wall time of {ref.name}; "
          "below 1 is faster;\n CPU s: median user+system seconds of the process tree, above "
          "the wall time when a method\n uses several cores; events/s and MB/s are per "
          "wall second)")
    if floor:
        notes.append(f"without {TIME_BIN}, a peak RSS up to this runner's own "
                     f"({floor / 1024:.1f} MB) is only an upper bound (shown as <=)")
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
    p.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    p.add_argument("--only", help="comma-separated method names to run")
    p.add_argument("--no-pandas", action="store_true", help="skip the pandas baseline")
    p.add_argument("--json", help="also write the figures as JSON here")
    p.add_argument("--keep", help="keep the outputs of the check run in this directory")
    a = p.parse_args(argv)
    if a.repeat < 1:
        p.error("--repeat must be >= 1")
    return a


def main(argv=None):
    args = parse_args(argv)
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
            t, _, _ = run_once(m, m.output, workdir)
            print(f"  {m.name:<18} {t:8.3f} s", flush=True)
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
                t, cpu, rss = run_once(m, os.devnull, workdir)
                m.times.append(t)
                m.cpu.append(cpu)
                m.rss_kb = max(m.rss_kb, rss)
        load_after = os.getloadavg()
        if max(load_before[0], load_after[0]) > 0.75 * (os.cpu_count() or 1):
            notes.append(f"the machine was busy (load average {load_before[0]:.2f} before, "
                         f"{load_after[0]:.2f} after, {os.cpu_count()} CPUs): "
                         "absolute times are noisy, ratios less so")
        rows = report(methods, events, args, notes)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump({"file": args.file, "jsonl": args.jsonl, "events": events,
                           "bytes": os.path.getsize(args.file), "repeat": args.repeat,
                           "checks_failed": problems, "checks": info, "notes": notes,
                           "loadavg_before": load_before, "loadavg_after": load_after,
                           "cpus": os.cpu_count(),
                           "rows": rows}, f, indent=1)
        return 1 if problems else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
