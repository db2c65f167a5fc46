#!/usr/bin/env python3
"""civic-score emulated by the reference model (tests/model/civic_model.py).

Only for checking tests/difftest.py itself: run

    python3 tests/difftest.py --v2 --cli 'python3 tests/v2/model_cli.py'

and every case must agree, since both sides are the model.  That exercises
the generator (the model must accept what it generates), the parsing of the
CLI's CSV and JSON layouts (version-2 interface) and the comparisons,
before the C engine implements version 2.  It prints the csv and json
formats of civic-score (no table), with the version-2 columns and keys when
the scheme or the events use version 2.

Python 3 standard library only.
"""

import csv
import io
import json
import os
import sys
import tempfile

# Compiled modules go to a cache outside the source tree (this runs once per
# question of the difftest, so compiling the model every time is slow).
sys.pycache_prefix = os.path.join(tempfile.gettempdir(), "civic-model-pycache")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "model"))
import civic_model as m  # noqa: E402


def usage(message):
    sys.stderr.write("civic-score (model): %s\n" % message)
    sys.exit(1)


def parse_args(argv):
    opts = {"rules": None, "as_of": None, "format": "table", "explain": None,
            "groups": None, "top": None, "lenient": False, "list": None,
            "compare": None, "changed": False, "files": []}
    takes = {"-r": "rules", "--rules": "rules", "-t": "as_of", "--as-of": "as_of",
             "-f": "format", "--format": "format", "--explain": "explain",
             "--groups": "groups", "--top": "top", "--list": "list", "--compare": "compare"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in takes:
            if i + 1 >= len(argv):
                usage("%s needs a value" % a)
            opts[takes[a]] = argv[i + 1]
            i += 2
        elif a == "--lenient":
            opts["lenient"] = True
            i += 1
        elif a == "--changed":
            opts["changed"] = True
            i += 1
        elif a.startswith("-") and a != "-":
            usage("unknown option %s" % a)
        else:
            opts["files"].append(a)
            i += 1
    if opts["format"] not in ("csv", "json"):
        usage("only csv and json are emulated")
    if opts["rules"] is None or opts["as_of"] is None:
        usage("the emulation needs -r and -t")
    return opts


def read_rows(opts):
    """[(rows of one file)] from the files or standard input."""
    out = []
    files = opts["files"] or ["-"]
    for path in files:
        if path == "-":
            text = sys.stdin.buffer.read().decode("utf-8")
            body = text.lstrip("\ufeff \t\r\n")
            out.append(m.read_jsonl_rows(text) if body.startswith("{")
                       else m.read_csv_rows(text))
        else:
            with open(path, encoding="utf-8", newline="") as f:
                text = f.read()
            if path.endswith(".jsonl") or path.endswith(".ndjson"):
                out.append(m.read_jsonl_rows(text))
            else:
                out.append(m.read_csv_rows(text))
    return out


def load(scheme, batches, lenient):
    log = m.Log(scheme)
    for rows in batches:
        log.add_batch(rows, lenient)
    return log


def num(value):
    return None if value is None else m.format_hundredths(value)


class Raw(str):
    """A number already formatted (printed without quotes)."""


def dump(value):
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join("%s:%s" % (json.dumps(k, ensure_ascii=False), dump(v))
                              for k, v in value.items()) + "}"
    raise TypeError(value)


def subject_json(scheme, r, version, rank=None):
    obj = {}
    if rank is not None:
        obj["rank"] = rank
    obj.update({"subject": r.subject, "group": r.group, "score": Raw(num(r.score)),
                "grade": r.grade, "balance": Raw(num(r.balance)), "flags": r.flags,
                "ceiling": None if r.ceiling is None else Raw(num(r.ceiling)),
                "events": r.events,
                "dimensions": {k: Raw(num(v)) for k, v in r.dimensions.items()}})
    if version == 2:
        obj["tiers"] = dict(r.tiers)
        obj["measures"] = r.measures
    return obj


def main(argv):
    opts = parse_args(argv)
    try:
        scheme = m.load_rules(opts["rules"])
        batches = read_rows(opts)
        log = load(scheme, batches, opts["lenient"])
        T = m.parse_ts(opts["as_of"], scheme.utc_offset)
        if opts["compare"]:
            new_scheme = m.load_rules(opts["compare"])
            new_log = load(new_scheme, batches, opts["lenient"])
    except m.ModelError as e:
        sys.stderr.write("civic-score (model): %s\n" % e)
        return 2
    offset = scheme.utc_offset
    version = m.spec_version(scheme, log)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    fmt = opts["format"]
    if opts["compare"]:
        w.writerow(m.COMPARE_HEADER)
        w.writerows(m.compare_answer(scheme, log, new_scheme, new_log, T, opts["changed"]))
    elif opts["list"] is not None:
        name = opts["list"]
        kind = m.list_kind(scheme, name)
        if kind is None:
            usage("%r is neither a flag nor a measure" % name)
        if fmt == "csv":
            w.writerows(m.list_rows(scheme, log, name, T))
        else:
            items = []
            for r, since, until in m.list_answer(scheme, log, name, T):
                items.append({"subject": r.subject, "group": r.group,
                              "score": Raw(num(r.score)), "grade": r.grade,
                              "since": None if since is None else m.format_local(since, offset),
                              "until": None if until is None else m.format_local(until, offset)})
            out.write(dump({"as_of": m.format_local(T, offset), "list": name, "kind": kind,
                            "subjects": items}) + "\n")
    elif opts["explain"] is not None:
        if fmt == "csv":
            w.writerows(m.explain_rows(scheme, log, opts["explain"], T, version))
        else:
            r = m.evaluate(scheme, log, opts["explain"], T)
            top = {"subject": opts["explain"], "as_of": m.format_local(T, offset),
                   "score": Raw(num(r.score)), "grade": r.grade,
                   "balance": Raw(num(r.balance)), "flags": r.flags, "group": r.group}
            if version == 2:
                top["archived"] = r.archived
                top["tiers"] = dict(r.tiers)
                top["measures"] = r.measures
            entries = []
            for e in r.record:
                ev = e.event
                end = None
                if ev.type in scheme.rules:
                    end = "forever" if e.end is None else m.format_local(e.end, offset)
                entry = {"id": e.id, "ts": m.format_local(e.ts, offset), "type": e.type,
                         "kind": e.kind, "state": e.state, "raw": Raw(num(e.raw)),
                         "counted": Raw(num(e.counted)), "dimension": e.dimension,
                         "capped": e.capped, "escalated": e.escalated, "end": end,
                         "ref": ev.ref, "group": ev.group}
                if version == 2:
                    entry.update({
                        "eff": m.format_local(e.eff, offset),
                        "from": None if e.from_ts is None else m.format_local(e.from_ts, offset),
                        "act": ev.act or None, "source": ev.source or None,
                        "merged_with": e.merged_with or None, "frozen": e.frozen,
                        "contested": e.contested, "floored": e.floored,
                        "to_balance": None if e.to_balance is None else Raw(num(e.to_balance)),
                        "corrected": None if e.corrected is None
                        else m.format_local(e.corrected, offset)})
                entries.append(entry)
            top["entries"] = entries
            out.write(dump(top) + "\n")
    elif opts["groups"] is not None:
        if fmt != "csv":
            usage("--groups is emulated in csv only")
        depth = int(opts["groups"])
        if opts["top"] is not None:
            w.writerow(["group", "rank", "subject", "score", "grade"])
            for g in m.group_stats(scheme, log, T, depth):
                for i, r in enumerate(g.ranking()[:int(opts["top"])], 1):
                    w.writerow([g.path, i, r.subject, num(r.score), r.grade])
        else:
            w.writerow(m.group_header(scheme))
            for g in m.group_stats(scheme, log, T, depth):
                w.writerow(g.csv_row(scheme))
    else:
        results = m.evaluate_all(scheme, log, T)
        ranks = None
        if opts["top"] is not None:
            results = m.rank(results)[:int(opts["top"])]
            ranks = range(1, len(results) + 1)
        if fmt == "csv":
            w.writerow(m.SUBJECT_HEADER)
            for r in results:
                w.writerow(r.csv_row())
        else:
            subjects = [subject_json(scheme, r, version, ranks[i] if ranks else None)
                        for i, r in enumerate(results)]
            out.write(dump({"as_of": m.format_local(T, offset), "scheme": scheme.name,
                            "subjects": subjects}) + "\n")
    sys.stdout.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
