"""One vocabulary: civic-score's JSON, the Python binding's to_dict() and the
service's JSON name the same things the same way (docs/answers.md).

usage: python3 tests/vocabulary/test_vocabulary.py --cli build/civic-score
           [--server build/civic-server] [--library build/libcivic.so.1]

For each log and several as-of times, it asks the three front ends for the
same answers -- every subject, a ranking, groups at depths 0..3, the credit
record of every subject (and of one without events), and the list of every
flag and measure of the scheme -- and compares them field by field, with
numbers read as decimal.Decimal (so 990.0 and 990.00 differ, as they would
for a user).  civic-score's JSON is the reference (its 1.0 bytes are frozen
by the golden tests).  Allowed differences, and only these: the service's
answer to one subject may carry the envelope key "as_of", /rank may echo
its "group" and /groups its "depth", and record entries may carry the
documented detail keys qty, flag, ceiling and affects (equal to Python's
Entry.to_dict(detail=True) where present), and the record its top-level
"ceiling".  civic-score --explain --detail gives those keys too: its record
must equal Record.to_dict(detail=True) exactly, and the service's record
(its top-level "ceiling" checked against Python's summary too).

The logs:
  tests/cli      the CLI golden log under its version-1 rules: the answers
                 must have no version-2 key at all (1.0 bytes);
  sample         examples/data/sample.csv under the built-in scheme, which
                 is version 2 (tiers, measures, retention, publicity ...);
  v2             a log written here for version 2 under the built-in scheme:
                 acts (merged entries), sources, objections (applied,
                 dismissed, late, dangling), a correction, a premature and
                 an applied repair, a publicity period (pending), a rule
                 change (from), a rejected redeem at the balance floor, an
                 entry archived by retention -- each checked to be present
                 in the CLI's answers, so the comparison is not vacuous.
"""
import argparse
import decimal
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
DETAIL_KEYS = {"qty", "flag", "ceiling", "affects"}
# Extra keys the service may add, by field path (indices as []).
RECORD_EXTRA = {".entries[]." + k for k in DETAIL_KEYS} | {".ceiling"}


def loads(text):
    return json.loads(text, parse_float=decimal.Decimal)


def diff(where, ref, other, allowed_extra=frozenset(), path=""):
    """Field-by-field differences of `other` against the reference: a list of
    (where, field path, what) -- what is "missing", "extra" or "value"."""
    out = []
    if isinstance(ref, dict) and isinstance(other, dict):
        for k in ref:
            if k not in other:
                out.append((where, path + "." + k, "missing", "reference has %r" % (ref[k],)))
            else:
                out += diff(where, ref[k], other[k], allowed_extra, path + "." + k)
        for k in other:
            if k not in ref and re.sub(r"\[\d+\]", "[]", path + "." + k) not in allowed_extra:
                out.append((where, path + "." + k, "extra", "= %r" % (other[k],)))
    elif isinstance(ref, list) and isinstance(other, list):
        if len(ref) != len(other):
            out.append((where, path, "value", "%d items, reference has %d"
                        % (len(other), len(ref))))
        for i, (a, b) in enumerate(zip(ref, other)):
            out += diff(where, a, b, allowed_extra, "%s[%d]" % (path, i))
    elif type(ref) is not type(other) or ref != other or str(ref) != str(other):
        out.append((where, path, "value", "%r, reference has %r" % (other, ref)))
    return out


def show(p):
    return "%s%s: %s %s" % (p[0], p[1], p[2], p[3])


class Cli:
    def __init__(self, path, rules, log):
        self.path, self.rules, self.log = path, rules, log

    def __call__(self, *args):
        cmd = [self.path] + (["-r", self.rules] if self.rules else []) + ["-f", "json"]
        p = subprocess.run(cmd + list(args) + [self.log], capture_output=True, check=True)
        return loads(p.stdout)


class Server:
    def __init__(self, path, rules):
        cmd = [path, "--port", "0"] + (["--rules", rules] if rules else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"port (\d+)", line)
        if not m:
            self.close()
            raise RuntimeError("civic-server did not start: %r %r"
                               % (line, self.proc.stderr.read().decode()))
        self.base = "http://127.0.0.1:%s" % m.group(1)

    def post(self, data, content_type):
        req = urllib.request.Request(self.base + "/events", data=data, method="POST",
                                     headers={"Content-Type": content_type})
        with urllib.request.urlopen(req, timeout=30) as r:
            return loads(r.read())

    def get(self, path, **query):
        q = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        url = self.base + path + ("?" + q if q else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return loads(r.read())
        except urllib.error.HTTPError as e:
            return {"http_error": e.code, "body": e.read().decode("utf-8", "replace")}

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def compare_lists(at, cli, engine, server, problems, server_problems):
    """The list of every flag and measure of the scheme (SPEC 11.3)."""
    as_of = at.split("@", 1)[1]
    names = list(engine.rules.flags) + [m.code for m in engine.rules.measures]
    for name in names:
        ref = cli("-t", as_of, "--list", name)
        problems += diff(at + " list %s (python)" % name, ref,
                         engine.list(name, as_of).to_dict())
        if server:
            got = server.get("/lists/" + urllib.parse.quote(name, safe=""), as_of=as_of)
            server_problems += diff(at + " GET /lists/%s" % name, ref, got)
    return names


def compare_log(name, cli, engine, server, as_ofs, problems, server_problems):
    for as_of in as_ofs:
        at = "%s @%s" % (name, as_of)
        ref = cli("-t", as_of)
        subjects = [s["subject"] for s in ref["subjects"]]
        # every subject
        problems += diff(at + " subjects (python)", ref["subjects"],
                         [r.to_dict() for r in engine.subjects(as_of)])
        if server:
            for row in ref["subjects"]:
                got = server.get("/subjects/" + urllib.parse.quote(row["subject"], safe=""),
                                 as_of=as_of)
                server_problems += diff(at + " GET /subjects/%s" % row["subject"], row, got,
                                        {".as_of"})
        # a ranking
        top = cli("-t", as_of, "--top", "3")
        problems += diff(at + " rank top 3 (python)", top["subjects"],
                         [r.to_dict() for r in engine.rank(as_of=as_of, top=3)])
        if server:
            got = server.get("/rank", top=3, as_of=as_of)
            rows = got.get("subjects", got.get("rows"))
            if "subjects" not in got:
                server_problems.append((at + " GET /rank?top=3", ".subjects", "missing",
                                        "the rows are under %r" % ("rows" if "rows" in got
                                                                   else None)))
            server_problems += diff(at + " GET /rank?top=3", top, dict(got, subjects=rows),
                                    {".group"})
        # groups at every depth
        for depth in range(4):
            g = cli("-t", as_of, "--groups", str(depth))
            problems += diff(at + " groups depth %d (python)" % depth, g["groups"],
                             [x.to_dict() for x in engine.groups(depth, as_of)])
            if server:
                got = server.get("/groups", depth=depth, as_of=as_of)
                server_problems += diff(at + " GET /groups?depth=%d" % depth, g, got,
                                        {".depth"})
        # the record of every subject, and of one without events
        for subject in subjects + ["nobody"]:
            rec = cli("-t", as_of, "--explain", subject)
            rec_detail = cli("-t", as_of, "--explain", subject, "--detail")
            problems += diff(at + " record %s (python)" % subject, rec,
                             engine.record(subject, as_of).to_dict())
            if server:
                got = server.get("/subjects/" + urllib.parse.quote(subject, safe="") + "/record",
                                 as_of=as_of)
                ref_detail = engine.record(subject, as_of).to_dict(detail=True)
                server_problems += diff(at + " GET /subjects/%s/record" % subject, rec, got,
                                        RECORD_EXTRA)
                # the detail keys, where the service gives them, agree too
                for i, (a, b) in enumerate(zip(ref_detail["entries"], got.get("entries", []))):
                    for k in DETAIL_KEYS & set(b):
                        if k in a and (a[k] != b[k] or str(a[k]) != str(b[k])):
                            server_problems.append((at + " GET /subjects/%s/record" % subject,
                                                    ".entries[%d].%s" % (i, k), "value",
                                                    "%r, python has %r" % (b[k], a[k])))
                # civic-score --detail's record is the service's, the
                # record's own "ceiling" after "flags" included
                server_problems += diff(at + " GET /subjects/%s/record (--detail)" % subject,
                                        rec_detail, got)
            # --detail: Python's to_dict(detail=True) whole, the record's
            # ceiling too, and its summary's ceiling
            py = engine.record(subject, as_of)
            problems += diff(at + " record %s --detail (python)" % subject,
                             rec_detail, py.to_dict(detail=True))
            if "ceiling" not in rec_detail or str(rec_detail["ceiling"]) != str(py.summary.ceiling):
                problems.append((at + " record %s --detail" % subject, ".ceiling", "value",
                                 "%r, python's summary has %r" % (rec_detail.get("ceiling", "none"),
                                                                  py.summary.ceiling)))
        compare_lists(at, cli, engine, server, problems, server_problems)
    return problems, server_problems


V1_ENTRY = ["id", "ts", "type", "kind", "state", "raw", "counted", "dimension", "capped",
            "escalated", "end", "ref", "group"]
V2_KEYS = {"tiers", "measures", "archived", "eff", "from", "act", "source", "merged_with",
           "frozen", "contested", "floored", "to_balance", "corrected"}

# A version-2 log under the built-in scheme (lib/default_rules.toml: utc
# +08:00, objection_window 15d, contested "mark", balance_min 0, deductions
# retained 5y, honours posted 7d, court_defaulter freezes and may be
# repaired after 1y, volunteer_hour's cap changes from 2025-07-01).
V2_LOG = """\
id,subject,type,ts,qty,group,ref,act,source
a1,v1,illegal_parking,2025-03-01T09:00:00,,d1/a/x,,A1,traffic police
a2,v1,red_light,2025-03-01T09:00:00,,d1/a/x,,A1,traffic police
o1,v1,object,2025-03-05,,,a2,,resident
x1,v1,dismiss,2025-03-20,,,o1,,street office
c1,v2,court_defaulter,2024-05-01,,d1/a/y,,,court
h1,v2,volunteer_hour,2024-06-01,5,d1/a/y,,,
k1,v2,correct,2024-08-01,,,c1,,court
r1,v2,repair,2024-09-01,,,c1,,
r2,v2,repair,2025-06-01,,,c1,,
n1,v3,honour_district,2025-06-01,,d1/b/z,,,district office
n2,v3,volunteer_hour,2025-07-05,25,d1/b/z,,,
g1,v4,garbage_unsorted,2025-01-01,,d2/a/x,,,
o2,v4,object,2025-02-01,,,g1,,
o3,v4,object,2025-01-05,,,zz,,
x2,v4,dismiss,2025-01-06,,,nothing,,
y1,v5,recycling,2025-01-02,10,d2/a/x,,,
y2,v5,redeem,2025-01-03,10,,,,
y3,v5,drunk_driving,2025-01-04,,d2/a/x,,,
y4,v5,illegal_parking,2019-01-01,,d2/a/x,,,
"""
# (entry id, field, value) that must appear in civic-score's records of
# V2_LOG at the last as-of time, or the comparison would prove little.
V2_EXPECT = [("a1", "state", "merged"), ("a1", "merged_with", "a2"),
             ("a2", "source", "traffic police"), ("a1", "act", "A1"),
             ("o1", "state", "dismissed"), ("x1", "state", "applied"),
             ("h1", "frozen", True), ("k1", "state", "applied"),
             ("c1", "corrected", "2024-08-01T00:00:00+08:00"), ("h1", "corrected", None),
             ("k1", "corrected", None),
             ("r1", "state", "premature"), ("r2", "state", "applied"),
             ("o2", "state", "late"), ("o3", "state", "dangling"),
             ("x2", "state", "dangling"), ("y2", "state", "rejected"),
             ("n2", "from", "2025-07-01T00:00:00+08:00")]


def check_v2_log(cli, problems):
    """V2_LOG exercises what it claims to (in civic-score's own answers)."""
    seen = {}
    for subject in ("v1", "v2", "v3", "v4", "v5"):
        rec = cli("-t", "2025-12-31", "--explain", subject)
        for e in rec["entries"]:
            seen[e["id"]] = e
        if subject == "v5" and rec.get("archived") != 1:
            problems.append(("v2 log", ".archived", "value", "v5 should have 1 archived entry"))
    for eid, field, value in V2_EXPECT:
        if seen.get(eid, {}).get(field) != value:
            problems.append(("v2 log", "%s.%s" % (eid, field), "value",
                             "%r, the test expects %r" % (seen.get(eid, {}).get(field), value)))
    pending = cli("-t", "2025-06-05", "--explain", "v3")["entries"]
    if [e["state"] for e in pending if e["id"] == "n1"] != ["pending"]:
        problems.append(("v2 log", "n1.state", "value", "n1 should be pending at 2025-06-05"))
    contested = cli("-t", "2025-03-10", "--explain", "v1")["entries"]
    if [e["contested"] for e in contested if e["id"] == "a2"] != [True]:
        problems.append(("v2 log", "a2.contested", "value", "a2 should be contested on 03-10"))


def check_v1_answers(cli, server, as_of, problems):
    """A version-1 scheme and log: no version-2 key anywhere."""
    found = []

    def walk(where, x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k in V2_KEYS:
                    found.append((where, k))
                walk(where, v)
        elif isinstance(x, list):
            for v in x:
                walk(where, v)
    walk("civic-score", cli("-t", as_of))
    rec = cli("-t", as_of, "--explain", "s1")
    walk("civic-score --explain", rec)
    if rec["entries"] and list(rec["entries"][0]) != V1_ENTRY:
        problems.append(("tests/cli", ".entries[0]", "value", "keys %s" % list(rec["entries"][0])))
    if server:
        walk("GET /rank", server.get("/rank", as_of=as_of))
        walk("GET /subjects/s1/record", server.get("/subjects/s1/record", as_of=as_of))
    for where, k in found:
        problems.append(("tests/cli (version 1)", where, "extra", "version-2 key %r" % k))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--server")
    ap.add_argument("--library")
    a = ap.parse_args()
    if a.library:
        os.environ["CIVIC_LIBRARY"] = os.path.abspath(a.library)
    sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
    import civic

    tmp = tempfile.mkdtemp(prefix="civic-vocabulary-")
    v2_log = os.path.join(tmp, "v2.csv")
    with open(v2_log, "w", encoding="utf-8") as f:
        f.write(V2_LOG)
    logs = [
        ("tests/cli", os.path.join(REPO, "tests/cli/rules.toml"),
         os.path.join(REPO, "tests/cli/events.csv"),
         ["2022-06-01", "2022-10-01", "2023-06-01T12:00:00+08:00"]),
        ("sample", None, os.path.join(REPO, "examples/data/sample.csv"),
         ["2025-03-31", "2025-12-31"]),
        ("v2", None, v2_log, ["2025-03-10", "2025-06-05", "2025-12-31"]),
    ]
    problems, server_problems = [], []
    try:
        for name, rules_path, log, as_ofs in logs:
            rules = civic.Rules.from_file(rules_path) if rules_path else civic.Rules.default()
            server = Server(a.server, rules_path) if a.server else None
            cli = Cli(a.cli, rules_path, log)
            try:
                with civic.Engine(rules) as engine:
                    engine.load_file(log)
                    if server:
                        with open(log, "rb") as f:
                            server.post(f.read(), "text/csv")
                    want = 1 if name == "tests/cli" else 2
                    if engine.spec_version != want:
                        problems.append((name, "", "value", "spec version %d, not %d"
                                         % (engine.spec_version, want)))
                    if name == "tests/cli":
                        check_v1_answers(cli, server, as_ofs[0], problems)
                    if name == "v2":
                        check_v2_log(cli, problems)
                    compare_log(name, cli, engine, server, as_ofs, problems, server_problems)
            finally:
                if server:
                    server.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("DIVERGES: " + show(p))
    if server_problems:
        # One line per route, field (indices dropped) and kind, with an example.
        kinds = {}
        for p in server_problems:
            route = re.sub(r"^.* GET ", "GET ", p[0])
            route = re.sub(r"/subjects/[^/?]+", "/subjects/{id}", route)
            route = re.sub(r"\?.*$", "", route)
            field = re.sub(r"\[\d+\]", "[]", p[1])
            kinds.setdefault((route, field, p[2]), p)
        print("DIVERGES (service):")
        for (route, field, what), example in sorted(kinds.items()):
            print("  %-28s %-32s %-8s e.g. %s" % (route, field or "(answer)", what, show(example)))
        print("service: %d field differences in %d kinds" % (len(server_problems), len(kinds)))
    checked = "CLI, Python" + (", service" if a.server else "")
    failed = len(problems) + len(server_problems)
    print("vocabulary: %s compared; %d passed, %d failed"
          % (checked, 1 if not failed else 0, 1 if failed else 0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
