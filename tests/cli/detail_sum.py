"""A credit record adds up to the score (docs/evaluation.md, "The credit
record"), as a script reads it from civic-score --explain --detail.

usage: python3 tests/cli/detail_sum.py [--fair] CLI RULES|- LOG [AS-OF ...]

For every subject of LOG (under RULES, or the built-in scheme for "-"), at
each AS-OF (none: the default, the latest ts), it reads the record with
--detail in JSON and in CSV and checks, with its own arithmetic (nothing
here comes from the code under test but the record's fields):

  - base + the sum of `counted` over the active entries whose `affects` is
    "score" or "both", bounded to the scheme's min..max (once with clamp =
    "final", after each entry in the record's order with "running"), then
    held to the record's "ceiling", equals the record's score;
  - the record's ceiling is the lowest ceiling of its active entries that
    no correction lifted by the as-of time (the entry's "corrected" is null);
  - the CSV's columns qty, flag, ceiling and affects say what the JSON says,
    and without them each line is the line printed without --detail; the
    JSON without the detail keys is the record printed without --detail.

The scheme's base and bounds are read from its rules file (--print-rules for
the built-in one) with tomllib, not asked of civic-score.  With --fair it
also checks that the log is a fair test: some active entry affects the
balance only, and some score is held by a ceiling, so the naive sum (every
active entry's counted, no ceiling) would be wrong.
"""
import csv
import decimal
import io
import json
import subprocess
import sys
import tomllib

D = decimal.Decimal
DETAIL = ["qty", "flag", "ceiling", "affects"]


def run(cli, args):
    p = subprocess.run([cli] + args, capture_output=True)
    if p.returncode != 0:
        sys.exit("detail_sum: %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                  p.stderr.decode(errors="replace").strip()))
    return p.stdout


def main():
    args = sys.argv[1:]
    fair = args[:1] == ["--fair"]
    cli, rules, log = args[fair:fair + 3]
    as_ofs = args[fair + 3:] or [None]
    opt = [] if rules == "-" else ["-r", rules]
    text = run(cli, ["--print-rules"] + opt).decode() if rules == "-" else \
        open(rules, encoding="utf-8").read()
    scheme = tomllib.loads(text).get("scheme", {})
    base = D(str(scheme.get("base", 0))).quantize(D("0.01"))
    lo = None if "min" not in scheme else D(str(scheme["min"]))
    hi = None if "max" not in scheme else D(str(scheme["max"]))
    running = scheme.get("clamp", "final") == "running"

    def bound(v):
        if lo is not None and v < lo:
            v = lo
        if hi is not None and v > hi:
            v = hi
        return v

    problems, naive_wrong, balance_only, ceiling_held, subjects = [], 0, 0, 0, 0
    for as_of in as_ofs:
        t = [] if as_of is None else ["-t", as_of]
        rows = list(csv.reader(io.StringIO(run(cli, opt + t + ["-f", "csv", log]).decode())))
        for subject in [r[0] for r in rows[1:]]:
            subjects += 1
            at = "%s at %s" % (subject, as_of or "the latest ts")
            q = opt + t + ["--explain", subject]
            rec = json.loads(run(cli, q + ["-f", "json", "--detail", log]), parse_float=D)
            plain = json.loads(run(cli, q + ["-f", "json", log]), parse_float=D)
            score, total, naive = rec["score"], base, base
            ceilings = []
            for e in rec["entries"]:
                if e["state"] != "active" or e["kind"] != "rule":
                    continue
                naive += e["counted"]
                if e["affects"] == "balance":
                    balance_only += 1
                if e["affects"] in ("score", "both"):
                    total = bound(total + e["counted"]) if running else total + e["counted"]
                # a version-1 record has no "corrected": nothing corrects there
                if e["ceiling"] is not None and e.get("corrected") is None:
                    ceilings.append(e["ceiling"])
            total = bound(total)
            if rec["ceiling"] is not None and total > rec["ceiling"]:
                total = rec["ceiling"]
                ceiling_held += 1
            if total != score:
                problems.append("%s: base + active entries = %s, the score is %s" % (at, total, score))
            naive_wrong += naive != score
            lowest = min(ceilings) if ceilings else None
            if rec["ceiling"] != lowest:
                problems.append("%s: record ceiling %s, lowest of the active entries %s"
                                % (at, rec["ceiling"], lowest))
            # the JSON without the detail keys is the plain record, key order too
            stripped = dict(rec)
            del stripped["ceiling"]
            stripped["entries"] = [{k: v for k, v in e.items() if k not in DETAIL}
                                   for e in rec["entries"]]
            if json.dumps(stripped, default=str) != json.dumps(plain, default=str):
                problems.append("%s: the JSON record without its detail keys differs" % at)
            # the CSV: the plain lines, then qty,flag,ceiling,affects as the JSON says
            got = list(csv.reader(io.StringIO(run(cli, q + ["-f", "csv", "--detail", log]).decode())))
            want = list(csv.reader(io.StringIO(run(cli, q + ["-f", "csv", log]).decode())))
            if got[0][-4:] != DETAIL or [r[:-4] for r in got] != want:
                problems.append("%s: the CSV with --detail is not the plain CSV plus %s" % (at, DETAIL))
                continue
            for r, e in zip(got[1:], rec["entries"]):
                if e["kind"] != "rule":
                    cells = ["", "", "", ""]
                else:
                    cells = ["%.3f" % e["qty"], e["flag"],
                             "" if e["ceiling"] is None else "%.2f" % e["ceiling"], e["affects"]]
                if r[-4:] != cells:
                    problems.append("%s: CSV detail %s, JSON says %s" % (at, r[-4:], cells))
    for p in problems:
        print("detail_sum: " + p)
    print("detail_sum: %s: %d records, %d with a wrong naive sum, %d balance-only active "
          "entries, %d held by a ceiling" % (log, subjects, naive_wrong, balance_only, ceiling_held))
    if subjects == 0 or fair and not (naive_wrong and balance_only and ceiling_held):
        print("detail_sum: %s is no fair test of the sum" % log)
        problems.append("unfair")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
