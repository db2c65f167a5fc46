#!/usr/bin/env python3
"""civic_dask.py -- score libcivic event logs on a Dask cluster.

    python3 examples/dask/civic_dask.py [--scheduler ADDRESS] [--workers N]
        [-r RULES] [-t AS_OF] [--groups D] [--top N] -o OUT.csv FILES...

Reads CSV and JSON Lines event files (SPEC section 3) into a Dask dataframe,
shuffles the events so that every event of a subject lands in the same
partition (partition = zlib.crc32(subject as UTF-8) mod P; revokes, repairs,
redeems, objections, dismissals and corrections carry the subject of their
target, and an act is one subject's, so they travel with it),
scores each partition on the workers with the `civic` Python binding and
combines the answers.  The output is byte-identical to

    civic-score [-r RULES] [-t AS_OF] [--groups D] [--top N] -f csv FILES...

Why this is exact: every answer about a subject depends only on that
subject's events and the as-of time (SPEC section 4).  The as-of time, when
not given, is the latest ts over all files; it is computed in a first pass
(each worker parses the ts column with Rules.parse_time and takes the max).
Group statistics are combined from per-partition partial sums: subject count,
score sum, balance sum, min, max, per-grade counts and a histogram of the
scores (so the median is the median of the per-subject scores, never an
average of medians); rankings keep the best N per group per partition and
merge them.

Limits (see README.md): an event id reused with a *different subject* is a
conflict for civic-score, but lands in two partitions here and is not seen
unless --check-ids is given (one more shuffle, of the id column).  Inputs
are strict (all or nothing, like civic-score without --lenient).  A quoted
CSV field may not contain a line break (Dask splits CSV files at newlines;
SPEC ids, subjects and groups cannot contain one anyway).

Workers import the binding from bindings/python and load the library named
by --library (default: $CIVIC_LIBRARY, else <repo>/build/libcivic.so.1); on a
remote cluster these paths must exist on the worker machines.
"""

import argparse
import csv
import heapq
import io
import json
import os
import re
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINDINGS = os.path.join(ROOT, "bindings", "python")
LIBRARY = os.path.join(ROOT, "build", "libcivic.so.1")

# act and source (version 2) travel too: the members of one act count once,
# and an empty act or source column changes no answer of a version-1 log.
COLUMNS = ["id", "subject", "type", "ts", "qty", "group", "ref", "act", "source"]
REQUIRED = ("id", "subject", "type", "ts")
PART = "_partitions"            # the column dask's shuffle uses as-is
INPUT_ERROR = "civic_dask input error: "

EXIT_USAGE, EXIT_INPUT = 1, 2


# --------------------------------------------------------------------------
# Helpers that run on the workers.  They are plain module-level functions;
# dask (cloudpickle) ships them by value, so workers need only the binding.
# --------------------------------------------------------------------------

def _civic(bindings, library):
    """Import the binding in this process (a worker or the client)."""
    if library:
        os.environ["CIVIC_LIBRARY"] = library   # read once, at first import
    if bindings and bindings not in sys.path:
        sys.path.insert(0, bindings)
    import civic
    return civic


def _input_error(message):
    # A builtin exception type: it pickles back to the client unchanged.
    return ValueError(INPUT_ERROR + message)


def _normalize(df, name):
    """A pandas frame of one input chunk -> exactly COLUMNS, all str."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise _input_error("%s: missing column%s %s" % (name, "s" if len(missing) > 1 else "",
                                                        ", ".join(missing)))
    out = df.reindex(columns=COLUMNS)
    return out.fillna("").astype(str)


def _json_value(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False)   # objects, arrays: the library rejects them


def _json_frame(lines, name):
    """Lines of a JSON Lines chunk -> a pandas frame of COLUMNS.  Numbers are
    kept as their literal text (parse_int/parse_float=str), so qty 2.50 and
    ts 1700000000 reach the library exactly as written."""
    import pandas as pd
    rows = []
    for line in lines:
        line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        try:
            obj = json.loads(line, parse_int=str, parse_float=str, parse_constant=str)
        except ValueError as e:
            raise _input_error("%s: malformed JSON (%s): %.80s" % (name, e, line.strip()))
        if not isinstance(obj, dict):
            raise _input_error("%s: a JSON Lines event must be an object: %.80s"
                               % (name, line.strip()))
        rows.append([_json_value(obj.get(c)) for c in COLUMNS])
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def _add_partition(df, nparts):
    """Add the target partition: crc32 of the subject's UTF-8 bytes mod P
    (stable across processes and runs, unlike Python's hash())."""
    crc = zlib.crc32
    part = [crc(s.encode("utf-8")) % nparts for s in df["subject"]]
    return df.assign(**{PART: part}).astype({PART: "int64"})


def _max_ts(df, rules_text, bindings, library):
    """First pass: the latest ts of a chunk as Unix seconds (None if empty)."""
    civic = _civic(bindings, library)
    best = None
    with civic.Rules.from_text(rules_text) as rules:
        for ts in df["ts"].unique():
            try:
                t = rules.parse_time(ts)
            except civic.CivicError:
                row = df[df["ts"] == ts].iloc[0]
                raise _input_error("event id %r (subject %r): field 'ts': bad timestamp %r"
                                   % (row["id"], row["subject"], ts))
            if best is None or t > best:
                best = t
    return best


def _fixed2(v):
    """int hundredths -> text with two decimals, as civic_format_fixed."""
    m = -v if v < 0 else v
    return "%s%d.%02d" % ("-" if v < 0 else "", m // 100, m % 100)


def _csv_field(s):
    """RFC 4180 quoting exactly as civic-score does it."""
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def _hundredths(d):
    return int(d.scaleb(2))


def _prefix(group, depth):
    """The depth-D prefix of a group path, None when it is shallower."""
    if depth == 0:
        return ""
    if not group:
        return None
    parts = group.split("/")
    if len(parts) < depth:
        return None
    return "/".join(parts[:depth])


def _subject_line(s):
    return "%s,%s,%s,%s,%s,%s\n" % (_csv_field(s.subject), _csv_field(s.group),
                                    _fixed2(_hundredths(s.score)), _csv_field(s.grade),
                                    _fixed2(_hundredths(s.balance)),
                                    _csv_field(";".join(s.flags)))


def _score_partition(df, rules_text, as_of, mode, depth, top, bindings, library):
    """Score one partition (every event of its subjects) and return its part
    of the answer:
      subjects: [(subject, CSV line)] sorted by subject
      top:      best `top` as [(-score, subject, line)]
      groups:   {path: [n, sum, balance, min, max, grade counts, {score: n}]}
      ranks:    {path: best `top` as [(-score, subject, grade)]}"""
    civic = _civic(bindings, library)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    df = df[COLUMNS]
    w.writerows(df.itertuples(index=False, name=None))
    data = buf.getvalue().encode("utf-8")
    del buf
    with civic.Rules.from_text(rules_text) as rules, civic.Engine(rules) as engine:
        grade_index = {g.name: i for i, g in enumerate(rules.grades)}
        try:
            engine.load(data, format="csv")
        except civic.CivicError as e:
            # The line number is one of this partition's text: name the event.
            message = re.sub(r"^line \d+(, column \d+)?: ", "", e.message or str(e))
            if e.line and 2 <= e.line <= len(df) + 1:
                row = df.iloc[e.line - 2]
                raise _input_error("event id %r (subject %r): %s"
                                   % (row["id"], row["subject"], message))
            raise _input_error(str(e))
        del data
        scores = engine.subjects(as_of)
    if mode == "subjects":
        return [(s.subject, _subject_line(s)) for s in scores]
    if mode == "top":
        best = heapq.nsmallest(top, ((-_hundredths(s.score), s.subject) for s in scores))
        keep = {subject for _, subject in best}
        lines = {s.subject: _subject_line(s) for s in scores if s.subject in keep}
        return [(neg, subject, lines[subject]) for neg, subject in best]
    if mode == "groups":
        ngrades = len(grade_index)
        out = {}
        for s in scores:
            path = _prefix(s.group, depth)
            if path is None:
                continue
            v, b = _hundredths(s.score), _hundredths(s.balance)
            st = out.get(path)
            if st is None:
                st = out[path] = [0, 0, 0, v, v, [0] * ngrades, {}]
            st[0] += 1
            st[1] += v
            st[2] += b
            if v < st[3]:
                st[3] = v
            if v > st[4]:
                st[4] = v
            st[5][grade_index[s.grade]] += 1
            st[6][v] = st[6].get(v, 0) + 1
        return out
    if mode == "ranks":
        members = {}
        for s in scores:
            path = _prefix(s.group, depth)
            if path is not None:
                members.setdefault(path, []).append((-_hundredths(s.score), s.subject, s.grade))
        return {path: heapq.nsmallest(top, rows) for path, rows in members.items()}
    raise ValueError("unknown mode %r" % mode)


# Merging partial answers (on the workers, in a tree, then on the client).

def _merge_groups(parts):
    out = {}
    for part in parts:
        for path, st in part.items():
            acc = out.get(path)
            if acc is None:
                out[path] = [st[0], st[1], st[2], st[3], st[4], list(st[5]), dict(st[6])]
                continue
            acc[0] += st[0]
            acc[1] += st[1]
            acc[2] += st[2]
            acc[3] = min(acc[3], st[3])
            acc[4] = max(acc[4], st[4])
            for i, n in enumerate(st[5]):
                acc[5][i] += n
            hist = acc[6]
            for v, n in st[6].items():
                hist[v] = hist.get(v, 0) + n
    return out


def _merge_ranks(parts, top):
    out = {}
    for part in parts:
        for path, rows in part.items():
            out.setdefault(path, []).extend(rows)
    return {path: heapq.nsmallest(top, rows) for path, rows in out.items()}


def _merge_top(parts, top):
    return heapq.nsmallest(top, (row for part in parts for row in part))


# --------------------------------------------------------------------------
# Client side
# --------------------------------------------------------------------------

def _div_round(total, n):
    """total / n rounded half away from zero (n > 0), as lib/groups.c."""
    q, r = divmod(abs(total), n)
    if 2 * r >= n:
        q += 1
    return q if total >= 0 else -q


def _median(hist, n):
    """Median of n scores given as {score: count}: the middle one, or the
    mean of the two middle ones rounded half away from zero."""
    lo, hi = (n - 1) // 2, n // 2
    a = b = None
    seen = 0
    for v in sorted(hist):
        seen += hist[v]
        if a is None and seen > lo:
            a = v
        if seen > hi:
            b = v
            break
    return _div_round(a + b, 2)


def format_groups(stats, grade_names):
    """The civic-score --groups D -f csv text from merged group partials."""
    out = ["group,subjects,mean,median,min,max,balance"]
    out.extend("," + _csv_field(g) for g in grade_names)
    out.append("\n")
    for path in sorted(stats, key=lambda p: p.encode("utf-8")):
        n, total, balance, low, high, grades, hist = stats[path]
        out.append("%s,%d,%s,%s,%s,%s,%s%s\n" % (
            _csv_field(path), n, _fixed2(_div_round(total, n)), _fixed2(_median(hist, n)),
            _fixed2(low), _fixed2(high), _fixed2(balance),
            "".join(",%d" % c for c in grades)))
    return "".join(out)


def format_ranks(ranks):
    """The civic-score --groups D --top N -f csv text."""
    out = ["group,rank,subject,score,grade\n"]
    for path in sorted(ranks, key=lambda p: p.encode("utf-8")):
        for i, (neg, subject, grade) in enumerate(ranks[path], 1):
            out.append("%s,%d,%s,%s,%s\n" % (_csv_field(path), i, _csv_field(subject),
                                             _fixed2(-neg), _csv_field(grade)))
    return "".join(out)


def _tree_reduce(items, merge, fan_in=8, **kw):
    """Reduce a list of delayed partials with `merge` in a tree on the
    cluster, so no single task (nor the client) holds every partial."""
    from dask import delayed
    if not items:
        return delayed(merge)([], **kw)
    while len(items) > 1:
        items = [delayed(merge)(items[i:i + fan_in], **kw)
                 for i in range(0, len(items), fan_in)]
    return items[0]


def _sniff_jsonl(path):
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{")


def read_events(files, blocksize):
    """One Dask dataframe of COLUMNS (all str; empty stays empty) from CSV
    and JSON Lines files; the format goes by extension (.csv, .jsonl,
    .ndjson), else by content."""
    import dask.bag as db
    import dask.dataframe as dd
    from dask import delayed
    import pandas as pd
    meta = pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
    frames = []
    for path in files:
        if os.path.getsize(path) == 0:
            continue
        ext = os.path.splitext(path)[1].lower()
        jsonl = ext in (".jsonl", ".ndjson") or (ext != ".csv" and _sniff_jsonl(path))
        name = os.path.basename(path)
        if jsonl:
            chunks = db.read_text(path, blocksize=blocksize, encoding="utf-8").to_delayed()
            frames.append(dd.from_delayed([delayed(_json_frame)(c, name) for c in chunks],
                                          meta=meta, verify_meta=False))
        else:
            raw = dd.read_csv(path, blocksize=blocksize, dtype=str, keep_default_na=False,
                              na_filter=False, encoding="utf-8-sig")
            frames.append(raw.map_partitions(_normalize, name, meta=meta))
    if not frames:
        return None
    return frames[0] if len(frames) == 1 else dd.concat(frames, ignore_index=True)


def partition_by_subject(ddf, nparts):
    """Shuffle so that partition i holds exactly the subjects with
    crc32(subject) % nparts == i."""
    ddf = ddf.map_partitions(_add_partition, nparts,
                             meta=ddf._meta.assign(**{PART: 0}).astype({PART: "int64"}))
    try:
        from dask.dataframe.shuffle import rearrange_by_column
    except ImportError:             # newer dask: hash of the column (still by subject)
        return ddf.shuffle(on=PART, npartitions=nparts)
    return rearrange_by_column(ddf, PART, npartitions=nparts, shuffle="tasks",
                               ignore_index=True)


def check_ids(ddf, nparts):
    """Event ids used by more than one subject (a conflict for civic-score)."""
    pairs = ddf[["id", "subject"]].drop_duplicates(split_out=nparts)
    counts = pairs["id"].value_counts(split_out=nparts)
    return sorted(counts[counts > 1].index.compute().tolist())


def run(client, files, rules_text, as_of=None, groups=None, top=None, nparts=None,
        blocksize="16MB", library=LIBRARY, bindings=BINDINGS, verify_ids=False):
    """Compute the civic-score CSV text for `files` on `client`'s cluster.
    as_of: None (latest ts in the input) or a time accepted by
    Rules.parse_time.  Returns (text, info dict)."""
    from dask import delayed
    civic = _civic(bindings, library)
    t0 = time.time()
    with civic.Rules.from_text(rules_text) as rules:
        grade_names = [g.name for g in rules.grades]
        as_of_t = None if as_of is None else rules.parse_time(as_of)
    info = {"files": len(files)}
    ddf = read_events(files, blocksize)
    if groups is None:
        mode = "top" if top else "subjects"
    else:
        mode = "ranks" if top else "groups"
    empty = {"subjects": "subject,group,score,grade,balance,flags\n",
             "top": "subject,group,score,grade,balance,flags\n",
             "groups": format_groups({}, grade_names),
             "ranks": format_ranks({})}[mode]
    if ddf is None:
        return empty, info
    info["input_partitions"] = ddf.npartitions
    if verify_ids:
        bad = check_ids(ddf, max(1, ddf.npartitions))
        if bad:
            raise ValueError(INPUT_ERROR + "event id%s used by several subjects: %s"
                             % ("s" if len(bad) > 1 else "", ", ".join(map(repr, bad[:10]))))
    # Pass 1: the as-of time.
    if as_of_t is None:
        maxes = client.compute([delayed(_max_ts)(p, rules_text, bindings, library)
                                for p in ddf.to_delayed()], sync=True)
        maxes = [m for m in maxes if m is not None]
        if not maxes:
            return empty, info
        as_of_t = max(maxes)
    info["as_of"] = as_of_t
    info["pass1_s"] = round(time.time() - t0, 2)
    # Pass 2: shuffle by subject, score each partition, combine.
    if nparts is None:
        threads = sum(client.nthreads().values()) or 1
        nparts = max(ddf.npartitions, 2 * threads)
    info["partitions"] = nparts
    parts = [delayed(_score_partition)(p, rules_text, as_of_t, mode, groups or 0, top or 0,
                                       bindings, library)
             for p in partition_by_subject(ddf, nparts).to_delayed()]
    if mode == "subjects":
        results = client.compute(parts, sync=True)
        text = empty + "".join(line for _, line in heapq.merge(*results))
    elif mode == "top":
        best = client.compute(_tree_reduce(parts, _merge_top, top=top), sync=True)
        text = empty + "".join(line for _, _, line in best)
    elif mode == "groups":
        text = format_groups(client.compute(_tree_reduce(parts, _merge_groups), sync=True),
                             grade_names)
    else:
        text = format_ranks(client.compute(_tree_reduce(parts, _merge_ranks, top=top),
                                           sync=True))
    info["total_s"] = round(time.time() - t0, 2)
    return text, info


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="civic_dask.py",
        description="Score libcivic event logs on a Dask cluster; the CSV output is "
                    "byte-identical to civic-score -f csv on the same files.")
    ap.add_argument("files", nargs="+", metavar="FILES", help="CSV / JSON Lines event files")
    ap.add_argument("-o", "--output", required=True, help="output CSV file ('-': stdout)")
    ap.add_argument("-r", "--rules", help="rules file (default: the built-in scheme)")
    ap.add_argument("-t", "--as-of", help="evaluation time (default: the latest ts in the input)")
    ap.add_argument("--groups", type=int, metavar="D", help="group statistics at depth D")
    ap.add_argument("--top", type=int, metavar="N",
                    help="only the N best (with --groups: within every group)")
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="an existing Dask scheduler, e.g. tcp://host:8786 "
                         "(default: a LocalCluster of worker processes)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="LocalCluster worker processes (default: the CPU count)")
    ap.add_argument("--partitions", type=int, metavar="P",
                    help="subject partitions (default: max(input chunks, 2 x worker threads))")
    ap.add_argument("--blocksize", default="16MB", help="input chunk size (default 16MB)")
    ap.add_argument("--library", default=os.environ.get("CIVIC_LIBRARY") or LIBRARY,
                    help="libcivic.so.1 for the workers (default: $CIVIC_LIBRARY, else %s)"
                         % LIBRARY)
    ap.add_argument("--check-ids", action="store_true",
                    help="also reject an event id used by several subjects (one more shuffle)")
    ap.add_argument("-v", "--verbose", action="store_true", help="timings on stderr")
    a = ap.parse_args(argv)
    if a.groups is not None and not 0 <= a.groups <= 64:
        ap.error("--groups needs a depth 0..64")
    if a.top is not None and a.top < 1:
        ap.error("--top needs a positive number")
    if a.partitions is not None and a.partitions < 1:
        ap.error("--partitions needs a positive number")
    if a.workers < 1:
        ap.error("--workers needs a positive number")
    for f in a.files:
        if not os.path.isfile(f):
            print("civic_dask: %s: no such file" % f, file=sys.stderr)
            return EXIT_INPUT
    library = os.path.abspath(a.library)
    civic = _civic(BINDINGS, library)
    if a.rules:
        try:
            with open(a.rules, "rb") as f:
                rules_text = f.read().decode("utf-8")
            civic.Rules.from_text(rules_text).close()
        except (OSError, UnicodeDecodeError, civic.CivicError) as e:
            print("civic_dask: %s: %s" % (a.rules, e), file=sys.stderr)
            return EXIT_INPUT
    else:
        rules_text = civic.default_rules_text()
    if a.as_of is not None:
        try:
            with civic.Rules.from_text(rules_text) as r:
                r.parse_time(a.as_of)
        except civic.CivicError:
            print("civic_dask: bad --as-of time %r" % a.as_of, file=sys.stderr)
            return EXIT_USAGE

    import logging
    from dask.distributed import Client, LocalCluster
    os.environ["CIVIC_LIBRARY"] = library       # inherited by LocalCluster workers
    cluster = None
    if a.scheduler:
        client = Client(a.scheduler)
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        text, info = run(client, [os.path.abspath(f) for f in a.files], rules_text,
                         as_of=a.as_of, groups=a.groups, top=a.top, nparts=a.partitions,
                         blocksize=a.blocksize, library=library, verify_ids=a.check_ids)
    except Exception as e:      # noqa: BLE001 -- input errors come back as ValueError
        msg = str(e)
        if INPUT_ERROR in msg:
            print("civic_dask: " + msg[msg.index(INPUT_ERROR) + len(INPUT_ERROR):],
                  file=sys.stderr)
            return EXIT_INPUT
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if a.output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        with open(a.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    if a.verbose:
        print("civic_dask: %s" % " ".join("%s=%s" % kv for kv in info.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
