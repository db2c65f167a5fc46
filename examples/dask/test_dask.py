#!/usr/bin/env python3
"""test_dask.py -- examples/dask/civic_dask.py against build/civic-score.

    python3 examples/dask/test_dask.py [-v]        (run by `make test-dask`)

Needs dask.distributed in this interpreter (Debian: python3-dask,
python3-distributed, which install for /usr/bin/python3), the built library
(build/libcivic.so.1) and CLI (build/civic-score).

Runs a LocalCluster of 2 worker processes in this process and points the
script at it with --scheduler (plus one run where the script starts its own
cluster), on examples/data/sample.csv and on a generated log of 200,000 CSV
events plus 5,000 JSON Lines events (deterministic; every event type of the
built-in rules, revokes, repairs and redeems -- dangling ones too --,
duplicates, groups of depth 1 to 4 with commas and quotes, non-ASCII subject
ids (one with U+2028), five timestamp forms).  Every output must be byte-identical to
`civic-score -f csv` with the same options.

CIVIC_DASK_EVENTS=N overrides the size of the generated log.  NoDaskTest
needs no Dask (`python3 examples/dask/test_dask.py NoDaskTest` runs anywhere).
"""

import csv
import datetime as dt
import importlib.util
import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import warnings
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(HERE, "civic_dask.py")
CLI = os.path.join(ROOT, "build", "civic-score")
LIBRARY = os.path.join(ROOT, "build", "libcivic.so.1")
SAMPLE = os.path.join(ROOT, "examples", "data", "sample.csv")
V1_RULES = os.path.join(ROOT, "examples", "data", "community-1.0.toml")
EVENTS = int(os.environ.get("CIVIC_DASK_EVENTS", "200000"))
JSONL_EVENTS = 5000

LOCAL = dt.timezone(dt.timedelta(hours=8))
T0 = int(dt.datetime(2023, 1, 1, tzinfo=LOCAL).timestamp())
T1 = int(dt.datetime(2025, 12, 31, tzinfo=LOCAL).timestamp())


def rule_codes():
    """The rule codes of the built-in scheme, from civic-score --print-rules."""
    text = subprocess.run([CLI, "--print-rules"], check=True, capture_output=True,
                          text=True).stdout
    codes = re.findall(r"^\[rule\.([^\]\s]+)\]", text, re.M)
    if not codes:
        raise RuntimeError("no [rule.*] in civic-score --print-rules")
    return codes


def ts_text(rng, t):
    """t (Unix seconds) in one of the ts forms."""
    r = rng.random()
    if r < 0.05:
        return str(t)
    if r < 0.10:
        return dt.datetime.fromtimestamp(t, LOCAL).strftime("%Y-%m-%d")
    if r < 0.20:
        return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if r < 0.25:
        minus5 = dt.timezone(dt.timedelta(hours=-5))
        return dt.datetime.fromtimestamp(t, minus5).strftime("%Y-%m-%dT%H:%M:%S-05:00")
    if r < 0.30:
        return dt.datetime.fromtimestamp(t, LOCAL).strftime("%Y-%m-%dT%H:%M:%S.250+08:00")
    return dt.datetime.fromtimestamp(t, LOCAL).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def make_subjects(rng, n):
    """n subject ids -> group path (depth 0..4)."""
    districts = ["lanshan", "wendeng", "north, old town", 'east "new"', "nanqu-南区"]
    ids = ["r%05d" % i for i in range(n - 7)]
    special = ["Zed", "org,comma", 'org"quote', "é-resident", "中文-1", "r0000\u00e9",
               "line\u2028separator"]
    for k, s in enumerate(special):         # fairly busy ones (weights go by position)
        ids.insert(20 * (k + 1), s)
    subjects = {}
    for s in ids:
        r = rng.random()
        depth = 4 if r < 0.6 else 3 if r < 0.75 else 2 if r < 0.85 else 1 if r < 0.9 else 0
        path = [rng.choice(districts), "street-%d" % rng.randrange(4),
                "community-%d" % rng.randrange(3), "grid-%02d" % rng.randrange(4)]
        subjects[s] = "/".join(path[:depth])
    return subjects


def generate(n, n_jsonl, csv_path, jsonl_path, seed=20261127):
    """Write the test logs; deterministic for (n, seed).  Returns the number
    of rows written."""
    rng = random.Random(seed)
    codes = rule_codes()
    subjects = make_subjects(rng, max(10, n // 10))
    names = list(subjects)
    weights = [1.0 / (k + 5) for k in range(len(names))]
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    history = {}            # subject -> [(id, ts, kind)]
    rows = []

    def event(i, subject):
        eid = "e%07d" % i
        past = history.setdefault(subject, [])
        group = subjects[subject] if rng.random() < 0.9 else ""
        if group and rng.random() < 0.02:
            group = "moved/street-9"
        r = rng.random()
        ref = qty = ""
        if r < 0.03 and past:
            typ = "revoke"
            target = rng.choice(past)
            if rng.random() < 0.02:
                other = history.get(rng.choice(names))
                target = rng.choice(other) if other else ("missing-%d" % i, T0, "rule")
            t = target[1] + rng.randrange(-5 * 86400, 200 * 86400)
            ref = target[0]
        elif r < 0.05 and past:
            typ = "repair"
            target = rng.choice(past)
            t = target[1] + rng.randrange(-10 * 86400, 400 * 86400)
            ref = target[0] if rng.random() > 0.01 else "missing-%d" % i
        elif r < 0.08:
            typ = "redeem"
            qty = rng.choice(["1", "5", "10", "2.5", "20", "50"])
            t = rng.randrange(T0, T1)
        else:
            typ = rng.choice(codes)
            qty = rng.choice(["", "", "1", "2", "3", "0.5", "1.250"])
            t = rng.randrange(T0, T1)
        t = max(T0, min(t, T1))
        past.append((eid, t, typ))
        return [eid, subject, typ, ts_text(rng, t), qty, group, ref]

    for i in range(n):
        subject = rng.choices(names, cum_weights=cum)[0]
        row = event(i, subject)
        rows.append(row)
        if rng.random() < 0.003:
            rows.append(list(row))                      # an exact duplicate
    rng.shuffle(rows)
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "subject", "type", "ts", "qty", "group", "ref", "channel"])
        for row in rows:
            w.writerow(row + [rng.choice(["app", "desk", "grid worker, night"])])
    with open(jsonl_path, "w", encoding="utf-8") as f:
        for i in range(n, n + n_jsonl):
            row = event(i, rng.choices(names, cum_weights=cum)[0])
            obj = {k: v for k, v in zip(["id", "subject", "type", "ts", "qty", "group", "ref"],
                                        row) if v != ""}
            if obj["ts"].isdigit():
                obj["ts"] = int(obj["ts"])
            if "qty" in obj and rng.random() < 0.5:
                obj["qty"] = float(obj["qty"]) if "." in obj["qty"] else int(obj["qty"])
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        # The latest event of all is here, so the default as-of is global.
        f.write(json.dumps({"id": "last", "subject": "r00001", "type": codes[0],
                            "ts": "2026-01-10T12:00:00+08:00"}) + "\n")
    return len(rows) + n_jsonl + 1


def cli(*args):
    p = subprocess.run([CLI, "-f", "csv"] + list(args), capture_output=True)
    if p.returncode != 0:
        raise AssertionError("civic-score %s: exit %d: %s"
                             % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout


class DaskTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", DeprecationWarning)     # tornado, on some versions
        from dask.distributed import Client, LocalCluster
        for path in (CLI, LIBRARY):
            if not os.path.exists(path):
                raise unittest.SkipTest("%s is not built (make)" % path)
        cls.tmp = tempfile.TemporaryDirectory(prefix="civic-dask-")
        cls.big_csv = os.path.join(cls.tmp.name, "events.csv")
        cls.big_jsonl = os.path.join(cls.tmp.name, "more.jsonl")
        t = time.time()
        rows = generate(EVENTS, JSONL_EVENTS, cls.big_csv, cls.big_jsonl)
        print("\ngenerated %d events (%.1f MB CSV) in %.1f s"
              % (rows, os.path.getsize(cls.big_csv) / 1e6, time.time() - t), file=sys.stderr)
        os.environ.setdefault("CIVIC_LIBRARY", LIBRARY)
        # CRITICAL only, as civic_dask's own cluster: after the tests that
        # expect a bad-input error, the workers now and then logged the
        # inputs of sibling tasks the failed computation had given up.
        cls.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                   worker_dashboard_address="127.0.0.1:0",
                                   silence_logs=logging.CRITICAL)
        cls.client = Client(cls.cluster)
        cls.address = cls.cluster.scheduler_address

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cluster.close()
        cls.tmp.cleanup()

    def dask(self, *args, scheduler=True, expect=0, stderr=False):
        """civic_dask's output (its standard error when it is to fail; with
        stderr=True, (output, standard error))."""
        out = os.path.join(self.tmp.name, "out.csv")
        if os.path.exists(out):
            os.remove(out)
        cmd = [sys.executable, SCRIPT, "-o", out, "-v"]
        if scheduler:
            cmd += ["--scheduler", self.address]
        t = time.time()
        # small blocks force several blocks on small files: the script's
        # minimum is lifted for these runs (a test hook; not for users)
        env = dict(os.environ, CIVIC_DASK_TEST_MIN_BLOCKSIZE="1")
        p = subprocess.run(cmd + list(args), capture_output=True, env=env)
        took = time.time() - t
        self.assertEqual(p.returncode, expect, "civic_dask %s: %s" % (" ".join(args),
                                                                     p.stderr.decode()[-3000:]))
        if expect:
            return p.stderr.decode()
        print("  civic_dask %s: %.1f s" % (" ".join(a if "/" not in a else os.path.basename(a)
                                                    for a in args), took), file=sys.stderr)
        with open(out, "rb") as f:
            return (f.read(), p.stderr.decode()) if stderr else f.read()

    def same(self, *args, extra=()):
        """civic_dask (with `extra` options of its own) against civic-score."""
        got, want = self.dask(*(tuple(extra) + args)), cli(*args)
        if got != want:
            gl, wl = got.splitlines(), want.splitlines()
            diff = [(i, g, w) for i, (g, w) in enumerate(zip(gl, wl)) if g != w][:5]
            self.fail("civic_dask %s differs from civic-score (%d vs %d lines): %r"
                      % (" ".join(args), len(gl), len(wl), diff))
        return got

    @staticmethod
    def listening(pids):
        """The local addresses of the TCP sockets in LISTEN state that the
        processes pids hold (from /proc: no tool needed)."""
        inodes = set()
        for pid in pids:
            try:
                for fd in os.listdir("/proc/%d/fd" % pid):
                    link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                    if link.startswith("socket:["):
                        inodes.add(link[8:-1])
            except OSError:
                pass
        found = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for row in f.read().splitlines()[1:]:
                    cells = row.split()
                    if cells[3] == "0A" and cells[9] in inodes:    # LISTEN
                        found.add(cells[1].split(":")[0])
        return found

    @staticmethod
    def family(pid):
        """pid and every process below it."""
        parents = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open("/proc/%s/stat" % name) as f:
                        parents[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    pass
        out, grew = {pid}, True
        while grew:
            more = {p for p, pp in parents.items() if pp in out} - out
            out |= more
            grew = bool(more)
        return out

    def test_own_cluster_listens_on_the_loopback_only(self):
        # Dask's HTTP servers (dashboard, health, metrics: no authentication)
        # listened on every interface, dashboard_address=None included
        loopback = {"0100007F", "00000000000000000000000001000000"}
        path = os.path.join(self.tmp.name, "listen.csv")
        with open(path, "w") as f:
            f.write("id,subject,type,ts\n")
            f.writelines("e%d,s%d,hazard_report,2025-01-%02d\n" % (i, i % 997, i % 28 + 1)
                         for i in range(300000))
        for extra in (["--processes"], []):
            p = subprocess.Popen([sys.executable, SCRIPT, "-o", os.devnull, "--workers", "2"]
                                 + extra + [path], stderr=subprocess.DEVNULL)
            seen = set()
            while p.poll() is None:
                seen |= self.listening(self.family(p.pid))
                time.sleep(0.05)
            self.assertEqual(p.returncode, 0)
            self.assertTrue(seen, "no listening socket seen: the check saw nothing")
            self.assertLessEqual(seen, loopback, "listening beyond the loopback %s: %s"
                                 % (extra, sorted(seen)))

    # examples/data/sample.csv

    def test_sample_own_cluster(self):
        got = self.dask("--workers", "2", SAMPLE, scheduler=False)
        self.assertEqual(got, cli(SAMPLE))
        got = self.dask("--workers", "2", "--processes", "--groups", "2", SAMPLE,
                        scheduler=False)
        self.assertEqual(got, cli("--groups", "2", SAMPLE))

    def test_sample_groups_and_rankings(self):
        for depth in ("0", "1", "2", "3", "4"):
            self.same("--groups", depth, SAMPLE)
        self.same("--groups", "2", "--top", "3", SAMPLE)
        self.same("--top", "5", SAMPLE)
        self.same("-t", "2025-01-01", "--groups", "3", SAMPLE)
        # -t now, as civic-score takes it.  Each program reads the clock
        # itself, seconds apart, and an entry of the sample expires now and
        # then (at 2027-02-01T02:21:00Z, for one): civic_dask's answer is
        # civic-score's at the second read before it or at the one after
        before = int(time.time())
        got = self.dask("-t", "now", "--groups", "1", SAMPLE)
        after = int(time.time())
        want = [cli("-t", str(t), "--groups", "1", SAMPLE) for t in sorted({before, after})]
        self.assertIn(got, want, "civic_dask -t now --groups 1 is civic-score's at neither %d "
                      "nor %d" % (before, after))

    def test_sample_other_rules(self):
        # Unbounded score near zero: negative scores and means, another base.
        text = subprocess.run([CLI, "--print-rules"], check=True, capture_output=True,
                              text=True).stdout
        text = text.replace("base = 1000", "base = 7").replace("\nmin = 0\n", "\n") \
                   .replace("\nmax = 2000\n", "\n")
        rules = os.path.join(self.tmp.name, "low.toml")
        with open(rules, "w", encoding="utf-8") as f:
            f.write(text)
        out = self.same("-r", rules, SAMPLE)
        self.assertIn(b",-", out)           # negative scores really occur
        self.same("-r", rules, "--groups", "2", SAMPLE)

    def test_bad_input(self):
        bad = os.path.join(self.tmp.name, "bad.csv")
        with open(SAMPLE, encoding="utf-8") as f:
            lines = f.readlines()
        # as many fields as the header (9): a record with fewer names no event
        lines.insert(100, "zz1,r0001,no_such_rule,2025-01-01,,,,,\n")
        with open(bad, "w", encoding="utf-8") as f:
            f.writelines(lines)
        self.assertEqual(subprocess.run([CLI, "-f", "csv", bad], capture_output=True)
                         .returncode, 2)
        err = self.dask(bad, expect=2)
        self.assertIn("event id 'zz1' (subject 'r0001')", err)
        # one line: no log of the workers after the failed computation
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        # the file named as given, not by the absolute path the workers open
        p = subprocess.run([sys.executable, SCRIPT, "-o", "out.csv", "--scheduler",
                            self.address, "bad.csv"], capture_output=True, text=True,
                           cwd=self.tmp.name)
        self.assertEqual(p.returncode, 2, p.stderr)
        # and by the file's line and column, as civic-score names it
        self.assertTrue(p.stderr.startswith("civic_dask: bad.csv: line 101, column 11: "
                                            "event id 'zz1'"), p.stderr)

    def test_bad_last_line_without_a_line_break_is_named(self):
        # the split gives a last record without a line break a line feed;
        # the block read back had none, so the line was not found and the
        # message lost its line and column
        for name, text, where in (
                ("last.csv", "id,subject,type,ts,qty\na1,r1,volunteer_hour,2024-01-01,1\n"
                             "zz1,r1,volunteer_hour,2024-01-01,-1", "line 3, column 34: "),
                ("lastcr.csv", "id,subject,type,ts,qty\r\na1,r1,volunteer_hour,2024-01-01,1\r\n"
                               "zz1,r1,volunteer_hour,2024-01-01,-1\r", "line 3, column 34: "),
                ("last.jsonl", '{"id":"zz","subject":"s","type":"volunteer_hour",'
                               '"ts":"2024-01-01","qty":-1}', "line 1, column 74: ")):
            path = os.path.join(self.tmp.name, name)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            cli = subprocess.run([CLI, "-f", "csv", path], capture_output=True, text=True)
            self.assertEqual(cli.returncode, 2)
            self.assertIn(": " + where, cli.stderr)
            err = self.dask(path, expect=2)
            self.assertTrue(err.startswith("civic_dask: %s: %s" % (path, where)), err)

    def test_overflow_is_an_input_error_as_in_civic_score(self):
        # a rule of 10^12 points a unit: ten events of 10,000 units pass 64
        # bits of hundredths for one subject (ov); two subjects of 5 * 10^16
        # each fit, but their group's balance, 10^17 points, does not (sum)
        rules = os.path.join(self.tmp.name, "huge.toml")
        with open(rules, "w", encoding="utf-8") as f:
            f.write('[[grade]]\nname = "A"\n[rule.unit]\npoints = 1000000000000\n'
                    'per = "unit"\n')
        ov, total = (os.path.join(self.tmp.name, n) for n in ("ov.csv", "sum.csv"))
        with open(ov, "w", encoding="utf-8") as f:
            f.write("id,subject,type,ts,qty,group\n")
            f.write("a,a,unit,2022-01-01,1,g\n")
            f.writelines("b%d,b,unit,2022-01-02T00:00:%02dZ,10000,g\n" % (i, i) for i in range(10))
        with open(total, "w", encoding="utf-8") as f:
            f.write("id,subject,type,ts,qty,group\n")
            f.writelines("%s%d,%s,unit,2022-01-0%d,10000,g\n" % (s, i, s, i + 1)
                         for s in "ab" for i in range(5))
        subject_words = ("arithmetic overflow: a subject's points, balance or dimension subtotal "
                         "(about 9.2e16) or a tier's quantity (about 9.2e15 units)")
        group_words = subject_words + ", or a group's scores or balances (about 9.2e16)"
        cases = [(ov, (), subject_words + ", summed"),
                 (ov, ("--top", "1"), subject_words + ", summed"),
                 (ov, ("--groups", "1"), group_words), (total, ("--groups", "1"), group_words),
                 (total, ("--groups", "0"), group_words)]
        for log, args, words in cases:
            p = subprocess.run([CLI, "-f", "csv", "-r", rules] + list(args) + [log],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 2, (args, p.stdout))   # civic-score: no answer
            self.assertIn("arithmetic overflow", p.stderr)
            err = self.dask("-r", rules, *args, log, expect=2)
            self.assertTrue(err.startswith("civic_dask: " + words), (args, err))
            self.assertEqual(len(err.strip().splitlines()), 1, err)
        # the rankings show no group sums: an answer, civic-score's, though
        # the group's balance passes 64 bits
        self.same("-r", rules, "--groups", "1", "--top", "1", total)
        # the same subjects at 10^16 each fit: an answer, civic-score's
        with open(total, "w", encoding="utf-8") as f:
            f.write("id,subject,type,ts,qty,group\n")
            f.writelines("%s%d,%s,unit,2022-01-0%d,2000,g\n" % (s, i, s, i + 1)
                         for s in "ab" for i in range(5))
        self.same("-r", rules, "--groups", "1", total)

    def test_bad_header_named_as_civic_score_names_it(self):
        # a bad header is named by its line and column, as civic-score names
        # it, whatever block fails first: it was taken for an event ("event
        # id 'id' (subject 'subject')") in the first block, and named "the
        # given header" in a later one
        # A header line with a BOM of its own (after blank lines, or a
        # second one) lost civic-score's byte-order-mark hint, and in a
        # later block, whose header the split reads without the BOM, said
        # "no 'ts' column" where civic-score says "no 'id' or 'ts' column"
        cases = (("nots.csv", "\n\nid,subject,type\n" + "e1,s1,recycling\n" * 40),
                 ("dupcol.csv", "id,subject,type,ts,ID\n"
                  + "e1,a,hazard_report,2025-01-01,x\n" * 40),
                 ("bomlate.csv", "\n\n\ufeffid,subject,type\n" + "e1,s1,recycling\n" * 40),
                 ("bomtwice.csv", "\ufeff\ufeffid,subject,type,ts\n"
                  + "e1,s1,recycling,2025-01-01\n" * 40),
                 ("bomboth.csv", "\ufeff\n\ufeffid,subject,type,ts\n"
                  + "e1,s1,recycling,2025-01-01\n" * 40))
        for name, text in cases:
            path = os.path.join(self.tmp.name, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            want = subprocess.run([CLI, path], capture_output=True, text=True)
            self.assertEqual(want.returncode, 2)
            self.assertEqual("U+FEFF" in want.stderr, name.startswith("bom"), want.stderr)
            for blocks in ((), ("--blocksize", "40"), ("--blocksize", "40", "--partitions", "3")):
                err = self.dask(*(blocks + (path,)), expect=2)
                self.assertEqual(err.replace("civic_dask: ", "", 1),
                                 want.stderr.replace("civic-score: ", "", 1), blocks)

    def test_bad_rules_named_as_civic_score_names_them(self):
        # in civic-score's words: "CIVIC_E_RULES: " and Python's "[Errno 2]"
        # were in them; a file that cannot be opened or read is named first
        bad = os.path.join(self.tmp.name, "bad.toml")
        with open(bad, "w") as f:
            f.write("[scheme]\nbase = \"x\"\n")
        for rules in (bad, os.path.join(self.tmp.name, "no-such.toml"), self.tmp.name):
            want = subprocess.run([CLI, "-r", rules, SAMPLE], capture_output=True, text=True)
            self.assertEqual(want.returncode, 2)
            err = self.dask("-r", rules, SAMPLE, expect=2)
            self.assertEqual(err.replace("civic_dask: ", "", 1),
                             want.stderr.replace("civic-score: ", "", 1))
        # an event log or JSON given as the rules: what it is, not the TOML
        # parser's words before it (this has no --compare to name)
        doc = os.path.join(self.tmp.name, "rules.json")
        with open(doc, "w") as f:
            f.write('{"scheme": {"base": 1000}}\n')
        for rules in (SAMPLE, doc):
            want = subprocess.run([CLI, "-r", rules, SAMPLE], capture_output=True, text=True)
            self.assertIn("not a rules file: ", want.stderr)
            err = self.dask("-r", rules, SAMPLE, expect=2)
            self.assertEqual(err.replace("civic_dask: ", "", 1),
                             want.stderr.replace("civic-score: ", "", 1).replace(
                                 " or --compare", ""))

    def test_not_text(self):
        # a compressed log or a program is named as what it is, before any
        # cluster work, with civic-score's exit status (2: bad input)
        import gzip
        gz = os.path.join(self.tmp.name, "sample.csv.gz")
        with open(SAMPLE, "rb") as f, gzip.open(gz, "wb") as g:
            g.write(f.read())
        self.assertEqual(subprocess.run([CLI, gz], capture_output=True).returncode, 2)
        err = self.dask(gz, expect=2)
        self.assertIn("not an event log: gzip-compressed data", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        # the advice names a file to write, without the compression's
        # suffix (it was "zcat FILE > FILE.csv": d10k.csv.gz.csv), and not
        # the log itself for one already named .csv, nor a file that exists
        self.assertIn("(decompress it first: zcat %s > %s)" % (gz, gz[:-3]), err)
        named = os.path.join(self.tmp.name, "zipped.csv")
        with open(gz, "rb") as f, open(named, "wb") as g:
            g.write(f.read())
        err = self.dask(named, expect=2)
        self.assertIn("(decompress it first: zcat %s > %s)"
                      % (named, os.path.join(self.tmp.name, "zipped.unzipped.csv")), err)
        taken = os.path.join(self.tmp.name, "events.csv.gz")     # events.csv is the big log
        with open(gz, "rb") as f, open(taken, "wb") as g:
            g.write(f.read())
        err = self.dask(taken, expect=2)
        self.assertIn("zcat %s > %s)"
                      % (taken, os.path.join(self.tmp.name, "events.unzipped.csv")), err)
        err = self.dask(CLI, expect=2)
        self.assertIn("not an event log: a program", err)
        # checked before -t: a bad input with a bad -t is the input's error, as in civic-score
        self.assertEqual(subprocess.run([CLI, "-t", "yesterday", gz], capture_output=True)
                         .returncode, 2)
        err = self.dask("-t", "yesterday", gz, expect=2)
        self.assertIn("gzip-compressed", err)
        # UTF-16 (either byte order) and a JSON array are named as civic-score
        # names them (UTF-16 was "binary data")
        with open(SAMPLE, encoding="utf-8") as f:
            text = f.read()
        for name, data, what in (("le.csv", text.encode("utf-16"), "UTF-16 text"),
                                 ("be.csv", b"\xfe\xff" + text.encode("utf-16-be"), "UTF-16 text"),
                                 ("le32.csv", text.encode("utf-32"), "UTF-32 text"),
                                 # without a byte order mark: named by the library's
                                 # reader, its byte order by civic-score
                                 ("lenb.csv", text.encode("utf-16-le"), "UTF-16LE text"),
                                 ("benb.csv", text.encode("utf-16-be"), "UTF-16BE text"),
                                 ("le32nb.csv", text.encode("utf-32-le"), "UTF-32LE text"),
                                 ("array.json", b'[{"id":"a","subject":"s","type":"x"}]\n',
                                  "a JSON array")):
            path = os.path.join(self.tmp.name, name)
            with open(path, "wb") as f:
                f.write(data)
            want = subprocess.run([CLI, path], capture_output=True, text=True)
            self.assertEqual(want.returncode, 2)
            self.assertIn("not an event log: " + what, want.stderr)
            err = self.dask(path, expect=2)
            self.assertIn("%s: not an event log: %s" % (path, what), err)
            # the file to write is named: not le.csv.csv, array.json.jsonl
            made = {"le.csv": "le.utf8.csv", "be.csv": "be.utf8.csv", "le32.csv": "le32.utf8.csv",
                    "lenb.csv": "lenb.utf8.csv", "benb.csv": "benb.utf8.csv",
                    "le32nb.csv": "le32nb.utf8.csv", "array.json": "array.jsonl"}.get(name)
            if made:
                self.assertIn(" %s > %s)" % (path, os.path.join(self.tmp.name, made)), err)

    def test_unreachable_scheduler(self):
        # one line and exit 1, not distributed's tracebacks (port 1: nobody listens)
        for address in ("tcp://127.0.0.1:1", "nonsense://x"):
            p = subprocess.run([sys.executable, SCRIPT, "-o", os.path.join(self.tmp.name, "u.csv"),
                                "--scheduler", address, SAMPLE], capture_output=True,
                               env=dict(os.environ, DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"))
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(b"cannot connect", p.stderr)
            self.assertNotIn(b"Traceback", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_usage_errors_exit_1_as_civic_score(self):
        # by hand: civic-score exits 1 on these, 2 only on bad rules or input
        self.assertEqual(subprocess.run([CLI, "--groups", "-1", SAMPLE], capture_output=True)
                         .returncode, 1)
        out = os.path.join(self.tmp.name, "usage.csv")
        for args in (["--groups", "-1"], ["--top", "0"], ["--groups", "x"], ["--no-such"],
                     ["--partitions", "0"], ["--workers", "0"], ["--blocksize", "0"],
                     ["--library", os.path.join(self.tmp.name, "no-such.so")]):
            p = subprocess.run([sys.executable, SCRIPT, "-o", out] + args + [SAMPLE],
                               capture_output=True)
            self.assertEqual(p.returncode, 1, (args, p.stderr))
            self.assertIn(b"error:", p.stderr)
            self.assertNotIn(b"Traceback", p.stderr, args)
        p = subprocess.run([sys.executable, SCRIPT, "-o", os.path.join(self.tmp.name, "no", "x.csv"),
                            SAMPLE], capture_output=True)
        self.assertEqual((p.returncode, b"no such directory" in p.stderr), (1, True), p.stderr)
        # an input that is a directory, or none: civic-score's words
        p = subprocess.run([sys.executable, SCRIPT, "-o", out, self.tmp.name], capture_output=True)
        self.assertEqual((p.returncode, p.stderr.decode()),
                         (2, "civic_dask: %s: cannot read: Is a directory\n" % self.tmp.name))
        gone = os.path.join(self.tmp.name, "gone.csv")
        p = subprocess.run([sys.executable, SCRIPT, "-o", out, gone], capture_output=True)
        self.assertEqual((p.returncode, p.stderr.decode()),
                         (2, "civic_dask: %s: cannot open: No such file or directory\n" % gone))
        p = subprocess.run([sys.executable, SCRIPT, SAMPLE], capture_output=True)  # no -o
        self.assertEqual(p.returncode, 1, p.stderr)
        # a bad -t says why, as civic-score does (the reason was left out)
        for t, want in (("2025-02-30", b"bad --as-of time '2025-02-30': day out of range for "
                                       b"the month"),
                        ("bogus", b"bad --as-of time 'bogus' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS"
                                  b"[Z|+HH:MM], Unix seconds or now)"),
                        ("253402300800", b"--as-of time '253402300800' out of range (years "
                                         b"0001..9999 in UTC)"),
                        # and the hint civic-score gives after the forms or the range
                        ("2026-12-1", b"bad --as-of time '2026-12-1' (YYYY-MM-DD, "
                                      b"YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], Unix seconds or now) "
                                      b"(write 2026-12-01)\n"),
                        ("NULL", b"Unix seconds or now) (a database's NULL? it is no time)\n"),
                        ("1767607200000", b"--as-of time '1767607200000' out of range (years "
                                          b"0001..9999 in UTC): it looks like milliseconds; "
                                          b"write Unix seconds (drop the last three digits)\n")):
            p = subprocess.run([sys.executable, SCRIPT, "-o", out, "-t", t, SAMPLE],
                               capture_output=True)
            cli = subprocess.run([CLI, "-t", t, SAMPLE], capture_output=True)
            self.assertEqual((p.returncode, cli.returncode), (1, 1), (p.stderr, cli.stderr))
            self.assertIn(want, p.stderr)
            self.assertIn(want, cli.stderr)

    def test_output_that_cannot_be_written(self):
        # -o naming a directory or a file that cannot be written was found
        # after the whole job, exit 2; it is a usage error, told before
        # anything is read
        d = os.path.join(self.tmp.name, "outdir")
        os.makedirs(d, exist_ok=True)
        for out, cwd in ((d, None), (".", d), (d + "/", None)):
            t = time.time()
            p = subprocess.run([sys.executable, SCRIPT, "-o", out, "--scheduler", self.address,
                                SAMPLE], capture_output=True, text=True, cwd=cwd)
            self.assertEqual(p.returncode, 1, (out, p.stderr))
            self.assertIn("error: -o %s: a directory, not a file" % out, p.stderr)
            self.assertNotIn("Traceback", p.stderr)
            self.assertLess(time.time() - t, 30)
        # a file, or a directory to create it in, that this user may not
        # write: by its permissions when not root (root writes anyway),
        # else as access(2) would answer for a read-only file system
        existing, new = os.path.join(d, "existing.csv"), os.path.join(d, "sub", "new.csv")
        os.makedirs(os.path.dirname(new), exist_ok=True)
        with open(existing, "w") as f:
            f.write("keep\n")
        want = {existing: "-o %s: not writable (its permissions, or a read-only file system)"
                          % existing,
                new: "-o %s: cannot be created: the directory %s is not writable (its "
                     "permissions, or a read-only file system)" % (new, os.path.dirname(new))}
        if os.geteuid() != 0:
            os.chmod(existing, 0o444)
            os.chmod(os.path.dirname(new), 0o555)
            try:
                for out in (existing, new):
                    p = subprocess.run([sys.executable, SCRIPT, "-o", out, SAMPLE],
                                       capture_output=True, text=True)
                    self.assertEqual(p.returncode, 1, (out, p.stderr))
                    self.assertIn("error: " + want[out], p.stderr)
            finally:
                os.chmod(os.path.dirname(new), 0o755)
                os.chmod(existing, 0o644)
        sys.path.insert(0, HERE)
        import civic_dask
        real_access = os.access
        refused = {existing, os.path.dirname(new)}

        def access(path, mode, **kw):
            return False if path in refused else real_access(path, mode, **kw)
        import contextlib
        import io
        for out in (existing, new):
            err = io.StringIO()
            # a second input that does not exist: were -o not checked first,
            # main would say so and return 2
            with mock.patch.object(civic_dask.os, "access", access), \
                    contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as cm:
                civic_dask.main(["-o", out, SAMPLE, os.path.join(d, "no-such.csv")])
            self.assertEqual(cm.exception.code, 1, err.getvalue())
            self.assertIn("error: " + want[out], err.getvalue())
        with open(existing) as f:
            self.assertEqual(f.read(), "keep\n")
        self.assertFalse(os.path.exists(new))
        # what cannot be told before writing (a full disk) is civic-score's
        # failed output: its words, exit 2
        if os.path.exists("/dev/full"):
            p = subprocess.run([sys.executable, SCRIPT, "-o", "/dev/full", "--scheduler",
                                self.address, SAMPLE], capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stderr),
                             (2, "civic_dask: /dev/full: cannot write output: No space left on "
                                 "device\n"))
            with open("/dev/full", "w") as full:
                p = subprocess.run([sys.executable, SCRIPT, "-o", "-", "--scheduler",
                                    self.address, SAMPLE], stdout=full, stderr=subprocess.PIPE,
                                   text=True)
            self.assertEqual((p.returncode, p.stderr),
                             (2, "civic_dask: cannot write output: No space left on device\n"))
        # a reader that leaves first (| head) ends it by SIGPIPE, quietly,
        # as civic-score; buffered or not (an unbuffered write that was cut
        # short was taken for a whole one: exit 0)
        many = os.path.join(d, "many.csv")
        with open(many, "w") as f:
            f.write("id,subject,type,ts\n")
            f.writelines("e%d,s%d,volunteer_hour,2025-01-01\n" % (i, i) for i in range(50000))
        import signal
        for unbuffered in ("", "1"):
            env = dict(os.environ, PYTHONUNBUFFERED=unbuffered)
            p = subprocess.Popen([sys.executable, SCRIPT, "-o", "-", "--scheduler", self.address,
                                  many], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env=env)
            self.assertEqual(p.stdout.read(8), b"subject,")
            p.stdout.close()
            err = p.stderr.read().decode()
            p.wait(timeout=120)
            self.assertEqual((p.returncode, err), (-signal.SIGPIPE, ""), unbuffered)

    def test_blocksize_below_the_minimum_is_refused(self):
        # --blocksize 1 on a 460 kB log ran for more than 20 minutes in 2.8 GB
        # (a block, and its tasks, per byte): below 64kB is a usage error
        out = os.path.join(self.tmp.name, "bs.csv")
        for size in ("1", "40", "63999", "63999B", "63kB", "0.06MB", "62KiB"):
            p = subprocess.run([sys.executable, SCRIPT, "-o", out, "--blocksize", size, SAMPLE],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 1, (size, p.stderr))
            self.assertIn("error: --blocksize needs at least 64kB (64000 bytes), not '%s'" % size,
                          p.stderr)
            self.assertFalse(os.path.exists(out), size)
        # the minimum itself, without the tests' hook
        self.assertNotIn("CIVIC_DASK_TEST_MIN_BLOCKSIZE", os.environ)
        for size in ("64000", "64kB", "64KiB"):
            p = subprocess.run([sys.executable, SCRIPT, "-o", out, "--blocksize", size,
                                "--scheduler", self.address, SAMPLE], capture_output=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, (size, p.stderr))
            with open(out, "rb") as f:
                self.assertEqual(f.read(), cli(SAMPLE), size)
            os.remove(out)

    def test_output_that_is_an_input_is_refused(self):
        # -o naming an input overwrote the event log (exit 0, events gone);
        # another spelling, a hard link or a symbolic link is the same file
        d = os.path.join(self.tmp.name, "same")
        os.makedirs(d, exist_ok=True)
        log = os.path.join(d, "same.csv")
        with open(SAMPLE, "rb") as f:
            data = f.read()
        with open(log, "wb") as f:
            f.write(data)
        hard, soft = os.path.join(d, "hard.csv"), os.path.join(d, "soft.csv")
        for link in (hard, soft):
            if os.path.lexists(link):
                os.remove(link)
        os.link(log, hard)
        os.symlink("same.csv", soft)
        other = os.path.join(self.tmp.name, "big_other.csv")
        for out, inputs in (("same.csv", ["same.csv"]),
                            ("./same.csv", ["same.csv"]),
                            ("../same/same.csv", [SAMPLE, "same.csv"]),
                            ("hard.csv", ["same.csv"]),
                            ("same.csv", [SAMPLE, "soft.csv"])):
            p = subprocess.run([sys.executable, SCRIPT, "-o", out] + inputs, cwd=d,
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 1, (out, inputs, p.stderr))
            self.assertIn("error: -o %s is the input file %s" % (out, inputs[-1]), p.stderr)
            self.assertNotIn("Traceback", p.stderr)
            with open(log, "rb") as f:
                self.assertEqual(f.read(), data, (out, inputs))
        # nor the rules file (-r is read too)
        rules = os.path.join(d, "rules.toml")
        with open(rules, "w") as f:
            f.write('[[grade]]\nname = "A"\n')
        with open(rules, "rb") as f:
            rules_data = f.read()
        p = subprocess.run([sys.executable, SCRIPT, "-o", "./rules.toml", "-r", "rules.toml",
                            "same.csv"], cwd=d, capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("error: -o ./rules.toml is the rules file rules.toml", p.stderr)
        with open(rules, "rb") as f:
            self.assertEqual(f.read(), rules_data)
        # an -o that does not exist yet, beside the inputs, is fine
        if os.path.exists(other):
            os.remove(other)
        p = subprocess.run([sys.executable, SCRIPT, "-o", other, "--workers", "1", log],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(other, "rb") as f:
            self.assertEqual(f.read(), cli(SAMPLE))

    def test_library_that_is_not_libcivic(self):
        # a file that exists but is no libcivic: one line naming it and why,
        # exit 1 as for a --library that does not exist (it was a traceback)
        libc = None
        with open("/proc/self/maps") as f:
            for row in f:
                path = row.split()[-1]
                if os.path.basename(path).startswith("libc.so"):
                    libc = path
                    break
        self.assertTrue(libc, "no libc in /proc/self/maps")
        static = os.path.join(ROOT, "build", "libcivic.a")
        self.assertTrue(os.path.exists(static), static)
        out = os.path.join(self.tmp.name, "lib.csv")
        for library, why in ((static, "invalid ELF header"),
                             (libc, "no civic_version_number")):
            want = ("civic_dask: --library %s: not a libcivic shared library (%s)\n"
                    % (library, why))
            for how in ("--library", "CIVIC_LIBRARY"):
                args = ["--library", library] if how == "--library" else []
                env = dict(os.environ, CIVIC_LIBRARY=library)
                if how == "--library":
                    env["CIVIC_LIBRARY"] = LIBRARY
                p = subprocess.run([sys.executable, SCRIPT, "-o", out] + args + [SAMPLE],
                                   capture_output=True, text=True, env=env)
                self.assertEqual((p.returncode, p.stderr, p.stdout), (1, want, ""), how)
                self.assertFalse(os.path.exists(out))

    def test_a_worker_with_another_library_fails_the_job(self):
        # A worker reads CIVIC_LIBRARY once, at its first import of the
        # binding: on a long-lived cluster a later --library (or a rebuild
        # of the same file) was ignored by the workers that had one, so a
        # job could be scored by two libraries, exit 0.  Now every task
        # checks, and the job fails in one line naming the worker, both
        # libraries and what to do.  A cluster of its own: it is restarted.
        from dask.distributed import Client, LocalCluster
        other_dir = os.path.join(self.tmp.name, "otherlib")
        os.makedirs(other_dir, exist_ok=True)
        other = os.path.join(other_dir, "libcivic.so.1")
        shutil.copyfile(os.path.realpath(LIBRARY), other)
        out = os.path.join(self.tmp.name, "lib2.csv")
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0",
                          worker_dashboard_address="127.0.0.1:0",
                          silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
            def run(library):
                return subprocess.run([sys.executable, SCRIPT, "-o", out, "--scheduler",
                                       cluster.scheduler_address, "--library", library, SAMPLE],
                                      capture_output=True, text=True, timeout=300)
            p = run(LIBRARY)                # the worker loads build/libcivic.so.1
            self.assertEqual(p.returncode, 0, p.stderr)
            worker = next(iter(client.scheduler_info()["workers"]))
            p = run(other)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertRegex(p.stderr, r"^civic_dask: worker %s has libcivic %s loaded "
                             r"\(version [0-9.]+\), not --library %s: "
                             % tuple(map(re.escape, (worker, LIBRARY, other))))
            self.assertIn("restart the workers", p.stderr)
            # as told: restarted, the worker loads the library asked for
            client.restart()
            p = run(other)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), cli(SAMPLE))
            # the same path, rebuilt (another file there): the worker still
            # has the old one loaded
            os.remove(other)
            shutil.copyfile(os.path.realpath(LIBRARY), other)
            p = run(other)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn("as the file was before it changed (rebuilt or replaced since)",
                          p.stderr)
            self.assertIn("restart the workers", p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def bad(self, name, data, *args):
        """Write `data` (bytes; None: as it is) as `name`; civic-score and civic_dask must both
        refuse it with exit 2, civic_dask in one short line.  Returns
        (civic_dask's message, civic-score's)."""
        path = os.path.join(self.tmp.name, name)
        if data is not None:            # None: the file written before
            with open(path, "wb") as f:
                f.write(data)
        p = subprocess.run([CLI, "-f", "csv", path], capture_output=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        err = self.dask(*(args + (path,)), expect=2)
        self.assertNotIn("Traceback", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err[:3000])
        self.assertLess(len(err), 1000, err[:3000])
        return err, p.stderr.decode()

    def test_bad_records_python_csv_cannot_read(self):
        # The error path reads the offending record back to name its event;
        # records Python's csv module refuses (a lone CR ending a line, a
        # field past its 131072-character limit) ended in its csv.Error.
        err, want = self.bad("cr.csv", b"id,subject,type,ts\r\nc1,s1,volunteer_hour,2024-01-01\r"
                                       b"c2,s1,volunteer_hour,2024-01-02\r")
        self.assertIn("line 2: expected 4 fields", want)
        self.assertIn("cr.csv: line 2: expected 4 fields", err)
        err, want = self.bad("hugeid.csv", b"id,subject,type,ts\n" + b"x" * 200000
                             + b",s1,volunteer_hour,2024-01-01\n")
        self.assertIn("field 'id': longer than 128 bytes", want)
        self.assertIn("hugeid.csv: ", err)
        self.assertIn("field 'id': longer than 128 bytes", err)
        # a big ignored column on a good record before the bad one
        err, want = self.bad("bigextra.csv", b"id,subject,type,ts,note\nk1,s1,volunteer_hour,"
                             b"2024-01-01," + b"n" * 200000 + b"\nk2,s1,nope,2024-01-02,x\n")
        self.assertIn("line 3, column 7: field 'type': unknown type", want)
        self.assertIn("event id 'k2' (subject 's1')", err)
        self.assertIn("field 'type': unknown type", err)

    def test_bad_record_in_a_partition_never_names_a_wrong_line(self):
        # An engine that loads a partition counts the lines of its piece (the
        # header and that subject's records), not of the file.  A CR inside
        # quotes ends no line for the library; it did for the read-back, which
        # then lost the record and printed the piece's line number.
        lines = ([b"id,subject,type,ts,note"]
                 + [b"o%d,s2,volunteer_hour,2024-01-0%d,x" % (i, i + 1) for i in range(5)]
                 + [b'k1,s1,volunteer_hour,2024-01-01,"a\rb"', b"k2,s1,nope,2024-01-02,x"])
        err, want = self.bad("crq2.csv", b"\n".join(lines) + b"\n", "--partitions", "64")
        self.assertIn("line 8, column 7", want)
        self.assertIn("event id 'k2' (subject 's1')", err)
        self.assertNotIn("line 3", err)
        # a record that cannot be read back (an id too long to name): no
        # event, and no line of the piece either
        lines = lines[:6] + [b"x" * 200000 + b",s1,volunteer_hour,2024-01-01,y"]
        err, want = self.bad("hugeid2.csv", b"\n".join(lines) + b"\n", "--partitions", "64")
        self.assertIn("line 7, column 1: field 'id': longer than 128 bytes", want)
        self.assertIn("field 'id': longer than 128 bytes", err)
        self.assertNotIn("line 2", err)

    def test_quoted_line_break_across_a_block_start_is_named(self):
        # A valid log (civic-score reads it) whose ignored column holds a
        # quoted line break: where a block boundary falls inside that field,
        # the block after it begins in the middle of the field, and its
        # split failed as if the file were bad ("a quote inside an unquoted
        # field"), with no word of the block boundary.
        rows = [b"id,subject,type,ts,note"] + [b"e%03d,s%d,volunteer_hour,2024-01-01,x"
                                               % (i, i % 5) for i in range(100)]
        rows[40] = b'e039,s1,volunteer_hour,2024-01-01,"multi\nline, note"'
        data = b"\n".join(rows) + b"\n"
        path = os.path.join(self.tmp.name, "multiline.csv")
        with open(path, "wb") as f:
            f.write(data)
        self.assertEqual(subprocess.run([CLI, "-f", "csv", path], capture_output=True)
                         .returncode, 0)
        blocksize = data.index(b"multi\n") + 3     # the second block starts at "line, note"
        hint = ("(a quoted field with a line break may cross the block boundary before line 42: "
                "use a larger --blocksize, or remove line breaks from quoted fields)")
        # each block as a task splits it, in this process: which of the two
        # failing blocks a run reports first is the cluster's choice
        sys.path.insert(0, HERE)
        import civic_dask
        header = civic_dask._csv_header(path, "multiline.csv")[0]

        def block_errors(path, blocksize):
            """Each block's split error, in file order, and the header given."""
            errors = []
            for _, name, fmt, head, start, length in civic_dask.plan_blocks([path], blocksize):
                try:
                    civic_dask._split_block(path, name, fmt, head, start, length, 3, 0,
                                            "subject", civic_dask.BINDINGS, LIBRARY)
                except ValueError as e:
                    errors.append(str(e))
            return errors, head
        errors, head = block_errors(path, blocksize)
        self.assertEqual(head, header)
        self.assertEqual(len(errors), 2, errors)
        # the block the field opens in: already said so
        self.assertIn("multiline.csv: line 41, column 35: a quoted field runs past the end of "
                      "its block", errors[0])
        self.assertNotIn(hint, errors[0])
        # the block that begins inside it: the real error's line and column
        # (line 42 is `line, note"`: the quote is its 11th character), and why
        self.assertEqual(errors[1], "civic_dask input error: %s: line 42, column 11: a quote "
                                    "inside an unquoted field (quote the whole field) %s"
                                    % (path, hint))
        # end to end: whichever block is told, the block boundary is named
        err = self.dask("--blocksize", str(blocksize), "--partitions", "3", path, expect=2)
        self.assertTrue(hint in err or "a quoted field runs past the end of its block" in err,
                        err)
        # a quote error in a block that does not begin inside a quoted field
        # gets no such hint
        lines = rows[:40] + rows[41:]
        lines[60] = b'e060,s1,volunteer_hour,2024-01-01,bad"quote'
        err = self.dask("--blocksize", str(blocksize), "--partitions", "3",
                        self.write("stray2.csv", b"\n".join(lines) + b"\n"), expect=2)
        self.assertIn("line 61, column 38: a quote inside an unquoted field", err)
        self.assertNotIn("block boundary", err)
        # the field's next line holds no quote: the block after the boundary
        # fails on a field count or a ts, not a quote; the boundary is named
        # all the same, and no "event" is made of the note's words (it was
        # "event id 'items: chairs' (subject ' tables')", with no hint)
        rows2 = list(rows)
        rows2[40] = (b'e039,s1,volunteer_hour,2024-01-01,"called back, left message\n'
                     b'items: chairs, tables, cups, plates\ndone"')
        data2 = b"\n".join(rows2) + b"\n"
        path2 = self.write("note2.csv", data2)
        self.assertEqual(subprocess.run([CLI, "-f", "csv", path2], capture_output=True)
                         .returncode, 0)
        errors = block_errors(path2, data2.index(b"items:"))[0]
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("a quoted field runs past the end of its block", errors[0])
        self.assertIn(" line 42", errors[1])
        self.assertNotIn("event id", errors[1])
        self.assertTrue(errors[1].endswith(
            "(a quoted field with a line break may cross the block boundary before line 42: "
            "use a larger --blocksize, or remove line breaks from quoted fields)"), errors[1])

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_unreadable_record_names_no_event(self):
        # an unterminated quote: civic-score names the line only; the record
        # read back as best it could be named a subject that is no subject
        err, want = self.bad("unterm.csv",
                             b'id,subject,type,ts\nn1,"s1,volunteer_hour,2024-01-01\n')
        self.assertIn("line 2, column 4: unterminated quoted field", want)
        self.assertIn("unterm.csv: line 2, column 4: unterminated quoted field", err)
        self.assertNotIn("event id", err)
        self.assertNotIn("subject", err)
        # a stray quote in a block that is not the last: the lines after it
        # are counted to the end of the file, as civic-score counts them
        lines = [b"id,subject,type,ts"] + [b"x%d,s%d,volunteer_hour,2024-01-01" % (i, i % 7)
                                           for i in range(200)]
        lines[51] = b'x50,"s1,volunteer_hour,2024-01-01'
        err, want = self.bad("stray.csv", b"\n".join(lines) + b"\n", "--blocksize", "1kB")
        self.assertIn("line 52, column 5: unterminated quoted field at end of input (the quote "
                      "opens here: 149 lines after it were read into the field)", want)
        self.assertIn(want.split("stray.csv: ", 1)[1].strip(), err)
        # the quote closes in a later block (at a field's start there, so that
        # block reads well): the field cannot be read, and where it closes
        lines[151] = b'"x150",s1,volunteer_hour,2024-01-01'
        err, want = self.bad("closed.csv", b"\n".join(lines) + b"\n", "--blocksize", "1kB")
        self.assertIn("closed.csv: line 52, column 5: a quoted field runs past the end of its "
                      "block (the quote opens here and closes at line 152: blocks are cut at "
                      "line breaks, so a quoted field may not hold one where a block ends)", err)
        # one past 1 MiB to the file's end: the record's length, as civic-score says it
        lines = lines[:151] + [b"x%d,s%d,volunteer_hour,2024-01-01" % (i, i % 7)
                               for i in range(151, 40000)]
        err, want = self.bad("long.csv", b"\n".join(lines) + b"\n", "--blocksize", "1kB")
        self.assertIn("line 52: record longer than 1 MiB (the quoted field opened at line 52, "
                      "column 5 holds line breaks: lines 52 to 40000 were read as one record)",
                      want)
        self.assertIn(want.split("long.csv: ", 1)[1].strip(), err)
        # a record with fields missing: which field is the subject is a guess
        err, want = self.bad("short.csv", b"id,subject,type,ts,qty\nn2,s1,2024-01-01,5\n")
        self.assertIn("line 2", want)
        self.assertIn("short.csv: line 2", err)
        self.assertNotIn("event id", err)

    def test_top_and_groups_take_what_civic_score_takes(self):
        # civic-score reads --top as a positive number (past 2^64-1: all) and
        # --groups as 0..64, in ASCII digits only; Python's int() also takes
        # a sign, spaces, underscores, other scripts' digits and any size
        out = os.path.join(self.tmp.name, "range.csv")
        want = subprocess.run([CLI, "--top", "1000", "-f", "csv", SAMPLE], capture_output=True)
        self.assertEqual(want.returncode, 0, want.stderr)
        for value in ("99999999999999999999", "18446744073709551616", "0" * 30 + "9" * 5000):
            p = subprocess.run([CLI, "--top", value, "-f", "csv", SAMPLE], capture_output=True)
            self.assertEqual((p.returncode, p.stdout), (0, want.stdout), p.stderr)
            p = subprocess.run([sys.executable, SCRIPT, "-o", out, "--top", value, SAMPLE],
                               capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), want.stdout)
        for opt, value, says in (
                ("--top", "+5", "--top needs a positive number"),
                ("--top", " 5", "--top needs a positive number"),
                ("--top", "1_0", "--top needs a positive number"),
                ("--top", "\u0663", "--top needs a positive number"),
                ("--top", "-0", "--top needs a positive number"),
                ("--groups", "65", "--groups needs a depth 0..64"),
                ("--groups", "99999999999999999999", "--groups needs a depth 0..64"),
                ("--groups", "+2", "--groups needs a depth 0..64"),
                ("--groups", "1_0", "--groups needs a depth 0..64")):
            p = subprocess.run([CLI, opt, value, SAMPLE], capture_output=True)
            self.assertEqual(p.returncode, 1, (opt, value, p.stderr))
            self.assertIn(says.encode(), p.stderr)
            p = subprocess.run([sys.executable, SCRIPT, "-o", out, opt, value, SAMPLE],
                               capture_output=True)
            self.assertEqual(p.returncode, 1, (opt, value, p.stderr))
            self.assertIn(says.encode(), p.stderr, (opt, value))
            self.assertNotIn(b"Traceback", p.stderr)
        self.same("--top", "18446744073709551615", SAMPLE)
        self.same("--top", "007", "--groups", "02", SAMPLE)

    def test_bad_input_in_a_later_block(self):
        # The split names the file's line, whichever block holds it; CRLF and
        # a BOM change nothing.
        with open(SAMPLE, encoding="utf-8") as f:
            lines = f.readlines()
        lines.insert(300, "zz2,r0002,volunteer_hour,2025-02-30,,,,,\n")
        bad = os.path.join(self.tmp.name, "bad2.csv")
        with open(bad, "w", encoding="utf-8", newline="") as f:
            f.write("\ufeff" + "".join(line.replace("\n", "\r\n") for line in lines))
        p = subprocess.run([CLI, "-f", "csv", bad], capture_output=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"line 301, column ", p.stderr)
        err = self.dask("--blocksize", "4kB", bad, expect=2)
        # named as given on the command line, as civic-score names it
        self.assertIn("%s: line 301, column " % bad, err)
        self.assertIn(("civic-score: %s: line 301, column " % bad).encode(), p.stderr)
        self.assertIn("zz2", err)
        self.assertIn("day out of range", err)

    def test_hints_in_a_later_block_name_the_files_lines(self):
        # The library's hints about a record that ran over lines (where a
        # quote opened, which lines were read as one record, where a lone CR
        # joined records) name lines too: of the block, for the split, which
        # were left so after the leading "line N" was made the file's.
        rows = b"".join(b"e%d,r%d,neighbour_help,2024-01-01T00:00:00Z,,g,\n" % (i, i % 50)
                        for i in range(3000))
        tail = b"f0,r0,neighbour_help,2024-01-01T00:00:00Z,,g,\n"
        for name, bad in (
                ("after.csv", b'x1,r1,neighbour_help,2024-01-01T00:00:00Z,,"g,\n'
                              b'x2,r2,neighbour_help,2024-01-01T00:00:00Z,,g"x,\n'),
                ("fields.csv", b'x1,r1,neighbour_help,2024-01-01T00:00:00Z,,g,"\n'
                               b'x2,r2,neighbour_help,2024-01-01T00:00:00Z,,g",\n'),
                ("cr.csv", b'x1,r1,neighbour_help,2024-01-01T00:00:00Z,,g,\r'
                           b'x2,r2,neighbour_help,2024-01-01T00:00:00Z,,"a\nb"x,\n')):
            data = b"id,subject,type,ts,qty,group,ref\n" + rows + bad + tail
            for blocks in ((), ("--blocksize", "20kB"), ("--blocksize", "20kB", "--partitions", "3")):
                err, want = self.bad(name, data, *blocks)
                where = re.search(r"line \d+(, column \d+)?: ", want)
                self.assertTrue(where, want)
                self.assertRegex(want, r"line 300[12]\b", want)
                self.assertIn("%s: %s" % (name, where.group(0)), err, blocks)
                reason = want.split(where.group(0), 1)[1].strip()
                if "carriage return" not in err:
                    # civic.split does not add the CR hint (the load does):
                    # the rest must still name the file's lines
                    reason = reason.split(" (a carriage return", 1)[0]
                self.assertIn(reason, err, blocks)

    def test_a_repeated_header_names_no_event(self):
        # files joined with cat: the second header is no event, and was
        # named as one ("event id 'id' (subject 'subject')"), which
        # civic-score does not do; the line and the hint are the file's
        head = b"id,subject,type,ts,qty,group\n"
        rows = b"".join(b"e%d,r%d,neighbour_help,2024-01-01T00:00:00Z,,g\n" % (i, i % 50)
                        for i in range(1500))
        for name, data in (("joined.csv", head + rows + head + rows.replace(b"e", b"f")),
                           ("joined2.csv", head + rows + b" ID , Subject,TYPE,ts,qty,group\r\n"
                                           + rows.replace(b"e", b"f"))):
            for blocks in ((), ("--blocksize", "20kB"),
                           ("--blocksize", "20kB", "--partitions", "3")):
                err, want = self.bad(name, data, *blocks)
                self.assertIn("line 1502, column ", want)
                hint = "(the line repeats the header: were files joined? remove it)"
                self.assertIn(hint, want)
                self.assertRegex(err, r"^civic_dask: \S+/%s: line 1502, column \d+: field 'ts': "
                                 % name, blocks)
                self.assertIn(hint, err)
                self.assertNotIn("event id", err, blocks)
        # after a byte-order mark (each export starts with one), or in
        # another column order: no event either (it was named "event id
        # '\ufeffid'" and "event id 'subject' (subject 'id')")
        other = b"subject,id,type,ts,qty,group\n"
        for name, data, hint in (
                ("joined3.csv", head + rows + b"\xef\xbb\xbf" + head + rows.replace(b"e", b"f"),
                 "byte-order mark, and repeats the header"),
                ("joined4.csv", head + rows + other + rows.replace(b"e", b"f"),
                 "header of another column order")):
            for blocks in ((), ("--blocksize", "20kB")):
                err, want = self.bad(name, data, *blocks)
                self.assertIn("line 1502, column ", want)
                self.assertIn(hint, want)
                self.assertIn(hint, err)
                self.assertRegex(err, r"^civic_dask: \S+/%s: line 1502, column \d+: " % name)
                self.assertNotIn("event id", err, blocks)

    def test_small_blocks_crlf_bom_and_json_lines(self):
        # Many blocks: every one after the first is split with the file's
        # header; a JSON Lines file without a final line break.
        with open(SAMPLE, encoding="utf-8") as f:
            text = f.read()
        crlf = os.path.join(self.tmp.name, "crlf.csv")
        with open(crlf, "w", encoding="utf-8", newline="") as f:
            f.write("\ufeff\r\n" + text.replace("\n", "\r\n"))
        self.same(crlf, extra=["--blocksize", "3kB"])
        self.same("--groups", "2", crlf, extra=["--blocksize", "3kB", "--partitions", "7"])
        jl = os.path.join(self.tmp.name, "small.jsonl")
        with open(self.big_jsonl, encoding="utf-8") as f:
            head = f.readlines()[:1500]
        with open(jl, "w", encoding="utf-8") as f:
            f.write("".join(head).rstrip("\n"))
        self.same(jl, extra=["--blocksize", "16kB"])

    def test_blank_lines_before_the_first_text(self):
        # 64 KiB or more of blank lines before the header: the file was
        # taken for a blank one and skipped (exit 0, its events missing,
        # its errors unseen); before a JSON Lines line in a file with no
        # .jsonl name, 4 KiB or more made it be read as CSV.
        event = "k1,s4,residents_meeting,2025-01-03\n"
        obj = '{"id":"j1","subject":"s3","type":"residents_meeting","ts":1735000000}\n'
        cases = (("blank70k.csv", "\n" * 70000 + "id,subject,type,ts\n" + event),
                 ("blank70kcr.csv", "\r\n" * 40000 + "id,subject,type,ts\r\n" + event),
                 ("blank70k.log", "\n" * 70000 + obj),
                 ("blank5k.log", "\n" * 5000 + obj),
                 ("blank70kws.log", " \t\r\n" * 20000 + obj))
        for name, text in cases:
            path = os.path.join(self.tmp.name, name)
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            got = self.same(path)
            self.assertEqual(got.count(b"\n"), 2, name)
            self.same(path, extra=["--blocksize", "4kB"])
        # and an error in such a file is named, as civic-score names it
        err, want = self.bad("blankbad.csv", b"\n" * 70000 + b"id,subject,type,ts\n"
                             b"k1,s4,residents_meeting,2025-02-30\n")
        self.assertIn("line 70002, column 25: field 'ts': day out of range", want)
        self.assertIn("blankbad.csv: line 70002, column 25: ", err)
        self.assertIn("field 'ts': day out of range", err)

    def test_header_longer_than_64_kib(self):
        # A header may be 1 MiB long (1,024 columns); one past 64 KiB was
        # cut there for the blocks after the first: "no 'id' column", or a
        # field count of the cut header.
        cols = ["extra_column_%04d_" % i + "x" * 80 for i in range(900)]
        rows = 400
        for name, head in (("wide_a.csv", cols + ["id", "subject", "type", "ts"]),
                           ("wide_b.csv", ["id", "subject", "type", "ts"] + cols)):
            at = head.index("id")
            path = os.path.join(self.tmp.name, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(",".join(head) + "\n")
                for i in range(rows):
                    rec = [""] * len(head)
                    rec[at:at + 4] = ["e%d" % i, "s%d" % (i % 5), "residents_meeting",
                                      "2025-01-%02d" % (i % 28 + 1)]
                    f.write(",".join(rec) + "\n")
            self.same(path, extra=["--blocksize", "100kB"])
            self.same(path, extra=["--blocksize", "20kB", "--partitions", "3"])
        # past the library's 1 MiB a record limit: civic-score's words
        names = ["id", "subject", "type", "ts"] + ["c%07d" % i + "x" * 1100 for i in range(1000)]
        err, want = self.bad("hugehdr.csv", b"\n\n" + ",".join(names).encode() + b"\n"
                             + b"e1,s1,residents_meeting,2025-01-01" + b"," * 1000 + b"\n")
        self.assertIn("line 3: record longer than 1 MiB", want)
        self.assertEqual(err.replace("civic_dask: ", "", 1), want.replace("civic-score: ", "", 1))
        err, _ = self.bad("hugehdr.csv", None, "--blocksize", "100kB")
        self.assertEqual(err.replace("civic_dask: ", "", 1), want.replace("civic-score: ", "", 1))

    def test_header_with_a_line_break_in_a_quoted_name(self):
        # civic-score takes a quoted column name holding a line break; past
        # one block civic_dask said "line 1, column 20: unterminated quoted
        # field at end of input" (later blocks are given the header's first
        # line alone): refused for every block size, naming README limit (c)
        path = os.path.join(self.tmp.name, "nlhead.csv")
        rows = "".join("e%d,s%d,residents_meeting,2025-01-%02d,x\n" % (i, i % 7, i % 28 + 1)
                       for i in range(40000))
        with open(path, "w", encoding="utf-8") as f:
            f.write('\nid,subject,type,ts,"note\n(free text)"\n' + rows)
        self.assertGreater(os.path.getsize(path), 1500000)
        cli(path)                                       # civic-score takes it
        want = ("civic_dask: %s: line 2: the header holds a line break in a quoted column "
                "name: civic_dask reads a CSV header of one line; rename the column\n" % path)
        for blocks in ((), ("--blocksize", "64kB"), ("--blocksize", "64kB", "--partitions", "3")):
            self.assertEqual(self.dask(*(blocks + (path,)), expect=2), want, blocks)

    def test_header_with_lone_carriage_returns_past_1_mib(self):
        # Lines ended by a lone CR (old Mac files) make one long line: past
        # 1 MiB civic_dask said "line 1: record longer than 1 MiB", where
        # civic-score names the header's first CR, as civic_dask does below
        rows = b"".join(b"e%d,s%d,residents_meeting,2025-01-%02d\r" % (i, i % 7, i % 28 + 1)
                        for i in range(40000))
        for name, data in (("maccr.csv", b"id,subject,type,ts,note\r" + rows),
                           ("maccrbom.csv", b"\xef\xbb\xbf\n\nid,subject,type,ts,note\r" + rows)):
            self.assertGreater(len(data), 1 << 20)
            for blocks in ((), ("--blocksize", "64kB")):
                err, want = self.bad(name, data, *blocks)
                self.assertIn(": line %d, column 24: a carriage return inside the header (lines "
                              "must end in LF or CRLF)" % (1 if "bom" not in name else 3), want)
                self.assertEqual(err.replace("civic_dask: ", "", 1),
                                 want.replace("civic-score: ", "", 1), blocks)

    def test_blank_lines_before_the_header_past_a_block(self):
        # The header line began the second block, which was split with the
        # header given apart: the header was read as an event.
        path = os.path.join(self.tmp.name, "lead.csv")
        with open(path, "wb") as f:
            f.write(b"\n\r\nid,subject,type,ts\ne1,s1,residents_meeting,2025-01-01\n"
                    b"e2,s2,residents_meeting,2025-01-02\n")
        for size in ("1", "2", "3", "5"):
            self.same(path, extra=["--blocksize", size])
        self.same(path, extra=["--blocksize", "2", "--partitions", "3"])

    def test_bad_event_in_a_partition_named_by_its_line(self):
        # A record the split passes but the engine refuses (a subject with a
        # control character or bytes that are not UTF-8, an unknown type)
        # is named by the file's line and column, as civic-score names it,
        # whatever block and partition it is in.
        rows = b"".join(b"o%d,s%d,volunteer_hour,2024-01-0%d\n" % (i, i % 3, i % 9 + 1)
                        for i in range(200))
        for name, bad, where in (("ctl.csv", b'e2,"s\x01",volunteer_hour,2024-01-01\n',
                                  "line 202, column 4: "),
                                 ("utf8.csv", b"e2,s\xff,volunteer_hour,2024-01-01\n",
                                  "line 202, column 4: "),
                                 ("type.csv", b"e2,s1,nope,2024-01-01\n",
                                  "line 202, column 7: ")):
            data = b"id,subject,type,ts\n" + rows + bad + rows
            for blocks in ((), ("--blocksize", "1kB", "--partitions", "5")):
                err, want = self.bad(name, data, *blocks)
                self.assertIn(where, want)
                self.assertIn("%s: %s" % (name, where), err, blocks)
                self.assertIn(want.split(where, 1)[1].strip(), err, blocks)
        # JSON Lines: the same
        line = b'{"id":"j2","subject":"s\\u0001","type":"volunteer_hour","ts":1735000000}\n'
        ok = b'{"id":"j1","subject":"s1","type":"volunteer_hour","ts":1735000000}\n'
        err, want = self.bad("ctl.jsonl", ok * 3 + line + ok, "--partitions", "3")
        where = re.search(r"line 4, column \d+: ", want)
        self.assertTrue(where, want)
        self.assertIn("ctl.jsonl: " + where.group(0), err)
        # the first line after a BOM, which the split does not copy
        err, want = self.bad("bom.jsonl", b"\xef\xbb\xbf" + line + ok)
        where = re.search(r"line 1, column \d+: ", want)
        self.assertTrue(where, want)
        self.assertIn("bom.jsonl: " + where.group(0), err)

    def test_name_that_says_the_other_format(self):
        # an export renamed: civic-score's words, not a parse error
        for name, data in (("up.JSONL", b"id,subject,type,ts\ne1,s1,volunteer_hour,2024-01-01\n"),
                           ("quoted.jsonl", b'"id", "Subject" ,TYPE,"Ts"\r\n'
                                            b"e1,s1,volunteer_hour,2024-01-01\r\n"),
                           ("up.CSV", b'\n{"id":"j1","subject":"s3","type":"volunteer_hour",'
                                      b'"ts":1735000000}\n')):
            err, want = self.bad(name, data)
            self.assertIn("but its name says", want)
            # as civic-score says it, but for its standard input, which
            # civic_dask does not read
            self.assertEqual(err.replace("civic_dask: ", "", 1).rstrip("\n"),
                             want.replace("civic-score: ", "", 1)
                             .replace(", or give it on standard input", "").rstrip("\n"))

    def test_malformed_json_number_named_so(self):
        # .5 and +1: a malformed number, in civic-score's words and line
        for name, value, says in (("dot.jsonl", b".5", "(JSON writes 0.5, not .5)"),
                                  ("plus.ndjson", b"+1", "(JSON writes 1, not +1)")):
            ok = b'{"id":"j1","subject":"s1","type":"volunteer_hour","ts":1735000000}\n'
            err, want = self.bad(name, ok + b'{"id":"j2","subject":"s1","type":"volunteer_hour",'
                                 b'"ts":1735000000,"qty":' + value + b"}\n")
            where = "line 2, column 73: field 'qty': malformed number " + says
            self.assertIn(where, want)
            self.assertIn("%s: %s" % (name, where), err)

    def test_escaped_quote_in_json_lines_hides_no_line(self):
        # An escaped \" earlier in the block made the read-back count the
        # quotes of JSON Lines as if it were CSV: the bad line was taken to
        # be inside a quoted field and lost its line and column, or an
        # identical line after it was named.  In JSON Lines every line
        # break ends a record.
        err, want = self.bad(
            "esc1.jsonl",
            b'{"id":"e1","subject":"s1","type":"volunteer_hour","ts":"2025-03-01","qty":2,'
            b'"source":"desk \\"A"}\n'
            b'{"id":"e2","subject":"s1","type":"volunteer_hour","ts":"2025-03-02","qty":"x"}\n')
        self.assertIn("line 2, column 75: field 'qty': bad qty", want)
        self.assertIn("esc1.jsonl: line 2, column 75: event id 'e2' (subject 's1'): field "
                      "'qty': bad qty", err)
        lines = [b'{"id":"c","subject":"s1","type":"blood_donation","ts":"2025-01-01",'
                 b'"source":"a"}',
                 b'{"id":"q1","subject":"zz","type":"blood_donation","ts":"2025-01-02",'
                 b'"source":"desk \\"A"}',
                 b'{"id":"c","subject":"s1","type":"blood_donation","ts":"2025-01-01",'
                 b'"source":"b"}',
                 b'{"id":"q2","subject":"zz","type":"blood_donation","ts":"2025-01-03",'
                 b'"source":"desk \\"B"}',
                 b'{"id":"c","subject":"s1","type":"blood_donation","ts":"2025-01-01",'
                 b'"source":"b"}']
        data = b"\n".join(lines) + b"\n"
        for parts in ("1", "2", "3"):
            err, want = self.bad("esc2.jsonl", data, "--partitions", parts)
            self.assertIn("esc2.jsonl: line 3, column 7: event id", want)
            self.assertIn("esc2.jsonl: line 3, column 7: event id 'c' (subject 's1')", err, parts)
        # CSV still counts quotes: a bad record's text inside an earlier
        # quoted field (with "" in it) of another subject's record, in
        # another partition (s1 and s2 part at P = 2 and 3), is not the
        # record named
        data = (b'id,subject,type,ts,note\n'
                b'k0,s2,volunteer_hour,2024-01-01,"say ""hi""\nk2,s1,nope,2024-01-02,x\nend"\n'
                b'o1,s2,volunteer_hour,2024-01-01,y\n'
                b'k2,s1,nope,2024-01-02,x\n')
        for parts in ((), ("--partitions", "2"), ("--partitions", "3")):
            err, want = self.bad("quotedcopy.csv", data, *parts)
            self.assertIn("line 6, column 7: field 'type': unknown type", want)
            self.assertIn("quotedcopy.csv: line 6, column 7: event id 'k2' (subject 's1')", err,
                          parts)

    def test_input_that_is_not_a_regular_file_is_named_so(self):
        # a pipe (a shell's <(...)) or a device was "no such file": blocks
        # are read at offsets, which a stream does not have
        fifo = os.path.join(self.tmp.name, "stream.csv")
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        for path in (fifo, os.devnull):
            err = self.dask(path, expect=2)
            self.assertEqual(err, "civic_dask: %s: not a regular file (civic_dask reads files by "
                                  "blocks, at offsets: save the stream to a file first)\n" % path)

    def test_a_small_file_with_a_huge_blocksize_takes_no_such_memory(self):
        # every block had the full --blocksize, and its reader a buffer as
        # big, zero-filled: 37 kB with --blocksize 512MB peaked at 0.58 GB
        # (1GB: 1.05 GB; the script alone takes ~0.1 GB).  Its own cluster
        # (threads of its process): the peak of a process that only runs it.
        small = os.path.join(self.tmp.name, "small-huge-blocks.csv")
        with open(small, "w") as f:
            f.write("id,subject,type,ts\n")
            f.writelines("e%d,s%d,volunteer_hour,2025-01-01\n" % (i, i % 7)
                         for i in range(1000))
        out = os.path.join(self.tmp.name, "small-huge-blocks.out.csv")
        peak = ("import resource, subprocess, sys\n"
                "p = subprocess.run(sys.argv[1:])\n"
                "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
        p = subprocess.run([sys.executable, "-c", peak, sys.executable, SCRIPT, "--workers", "2",
                            "--blocksize", "512MB", "-o", out, small, small],
                           capture_output=True, text=True)
        status, kib = p.stdout.split()
        self.assertEqual(status, "0", p.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), cli(small, small))
        self.assertLess(int(kib), 300 << 10, "peak RSS %d MB" % (int(kib) >> 10))

    def test_subject_or_ts_key_in_other_letters_named_at_its_column(self):
        # under version-2 rules (the built-in scheme) the split refuses the
        # key as civic-score does, in its words, at the key's column
        ok = b'{"id":"a0","subject":"x","type":"donation","ts":"2022-01-01"}\n'
        for key, column, why in ((b'"Subject"', 12, 'keys are lower case: write "subject"'),
                                 (b'"subject "', 12,
                                  'a key has no blanks around it: write "subject"')):
            err, want = self.bad("variant.jsonl", ok + b'{"id":"a1",' + key + b':"x",'
                                 b'"type":"donation","ts":"2022-01-01"}\n')
            self.assertIn("line 2, column %d: %s" % (column, why), want)
            self.assertIn("variant.jsonl: line 2, column %d: %s" % (column, why), err)
        err, want = self.bad("ts.jsonl", ok + b'{"id":"a1","subject":"x","type":"donation",'
                             b'"TS":"2022-01-01"}\n')
        self.assertIn('line 2, column 44: keys are lower case: write "ts"', want)
        self.assertIn("ts.jsonl: line 2, column 44: event id 'a1' (subject 'x'): "
                      'keys are lower case: write "ts"', err)

    def test_a_key_in_other_letters_under_version_1_rules_in_civic_scores_words(self):
        # version-1 rules read "Subject" as another key, so the field is
        # missing, as 1.0 said; civic-score and the split both name the key
        ok = b'{"id":"a0","subject":"x","type":"donation","ts":"2022-01-01"}\n'
        for key, column, why in ((b'"Subject"', 12, 'keys are lower case: write "subject"'),
                                 (b'" subject"', 12,
                                  'a key has no blanks around it: write "subject"')):
            path = os.path.join(self.tmp.name, "v1.jsonl")
            with open(path, "wb") as f:
                f.write(ok + b'{"id":"a1",' + key + b':"x","type":"donation",'
                        b'"ts":"2022-01-01"}\n')
            p = subprocess.run([CLI, "-f", "csv", "-r", V1_RULES, path], capture_output=True)
            self.assertEqual(p.returncode, 2, p.stderr)
            says = "line 2, column %d: field 'subject': missing (%s)" % (column, why)
            self.assertEqual(p.stderr.decode(), "civic-score: %s: %s\n" % (path, says))
            err = self.dask("-r", V1_RULES, path, expect=2)
            self.assertEqual(err, "civic_dask: %s: %s\n" % (path, says))

    def test_a_key_version_2_rules_refuse_is_named_on_its_line(self):
        # "Qty" alone, which the split left to the engine of a partition:
        # the split went on and named a later bad line, civic-score this one
        ok = b'{"id":"a0","subject":"x","type":"donation","ts":"2022-01-01"}\n'
        err, want = self.bad("qty.jsonl", ok + b'{"id":"a1","subject":"x","type":"donation",'
                             b'"ts":"2022-01-01","Qty":2}\n' + ok.replace(b"a0", b"a2")
                             + b'{"id":"a3","subject":"y","type":"donation"}\n')
        self.assertIn('line 2, column 62: keys are lower case: write "qty"', want)
        self.assertIn("qty.jsonl: line 2, column 62: event id 'a1' (subject 'x'): "
                      'keys are lower case: write "qty"', err)
        # a CSV header naming act twice, as version-2 rules read it
        err, want = self.bad("act.csv", b"id,subject,type,ts,act,ACT\n"
                             b"e1,s1,volunteer_hour,2024-01-01,a,b\n")
        self.assertIn("line 1, column 24: column 'act' appears twice in the header", want)
        self.assertIn("act.csv: line 1, column 24: column 'act' appears twice in the header",
                      err)

    def test_many_tasks_are_warned_of_before_they_start(self):
        # 1 event and --partitions 65536 ran 11 minutes without a word: the
        # cost, blocks x (P + 2) + P tasks, is told before the work starts
        path = os.path.join(self.tmp.name, "one.jsonl")
        with open(path, "wb") as f:
            f.write(b'{"id":"a1","subject":"x","type":"donation","ts":"2022-01-01"}\n')
        env = dict(os.environ, CIVIC_LIBRARY=LIBRARY)
        p = subprocess.Popen([sys.executable, SCRIPT, "--scheduler", self.address,
                              "--partitions", "65536", "-o", os.devnull, path],
                             stderr=subprocess.PIPE, env=env)
        try:
            # the warning comes before the work, or the run looks hung
            import select
            ready = select.select([p.stderr], [], [], 60)[0]
            self.assertTrue(ready, "no word on stderr in 60 s")
            first = p.stderr.readline().decode()
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        self.assertEqual(first, "civic_dask: warning: --partitions 65536 over 1 block is 131,074 "
                         "Dask tasks, at 1 ms or more each 2 minutes or more of the scheduler's "
                         "time: the answer is the same for any --partitions; use at most 49,999 "
                         "for 100,000 tasks, or leave it out (one per worker thread)\n")

    def test_the_task_count_is_warned_of_past_100000(self):
        sys.path.insert(0, HERE)
        import civic_dask
        warn = civic_dask.many_tasks_warning
        # 1 block: P + 2 + P tasks; 49,999 partitions are 100,000
        self.assertIsNone(warn(1, 49998, False))
        self.assertIsNone(warn(1, 49999, False))
        self.assertIn("is 100,002 Dask tasks, at 1 ms or more each 1 minute or more",
                      warn(1, 50000, False))
        # 270 blocks of --partitions 256 (the README's plan): ~70,000 tasks
        self.assertIsNone(warn(270, 256, False))
        # 270 blocks: the largest P under the limit is 367 (99,997 tasks)
        self.assertIsNone(warn(270, 367, False))
        self.assertIn("use at most 367 for 100,000 tasks", warn(270, 368, False))
        # --check-ids splits and loads everything a second time
        self.assertIsNone(warn(1, 24999, True))
        self.assertIn("is 100,004 Dask tasks", warn(1, 25000, True))
        self.assertIn("use at most 24,999 for", warn(1, 25000, True))
        # so many blocks that no P keeps it under: say so, not "at most 0"
        text = warn(50000, 1, False)
        self.assertIn("is 150,001 Dask tasks", text)
        self.assertIn("a larger --blocksize", text)
        self.assertNotIn("at most", text)

    def test_warnings_as_civic_score(self):
        # civic-score's warnings about the input, which the Dask path did
        # not give (answers right as the contract reads them, but most
        # likely wrong): a column meant for qty, group or ref, a JSON Lines
        # key in other letters under version-1 rules, an earliest ts before
        # 1973 (a date written as a bare integer, found in any block and
        # partition, named by the first file that holds it), a latest ts of
        # twelve digits (a date and time without separators: likewise), -t
        # of bare digits, no events without -t.  The same lines, in its
        # order.
        d = os.path.join(self.tmp.name, "warn")
        os.makedirs(d, exist_ok=True)

        def write(name, text):
            path = os.path.join(d, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            return path

        def rows(prefix, n, bare_at=None, extra=",2,x", bare="20250301"):
            return "".join("%s%d,s%d,volunteer_hour,%s%s\n"
                           % (prefix, i, i % 7, bare if i == bare_at else "2025-03-%02d"
                              % (i % 28 + 1), extra) for i in range(n))
        a = write("a.csv", "id,subject,type,ts,quantity,grp\n" + rows("a", 300, bare_at=200))
        b = write("b.csv", "\n\nid,subject,type,ts,Hours,refs\n" + rows("b", 300))
        c = write("c.csv", "id,subject,type,ts\n" + rows("c", 300, bare_at=10, extra=""))
        h = write("h.csv", "id,subject,type,ts\n")
        # by hand (Python's datetime): 202603011200 s is 8390-03-27T14:13:20+08:00,
        # 202612082400 s (24:00 is no time of day) 8390-07-10T14:00:00+08:00
        late = write("l.csv", "id,subject,type,ts\n" + rows("l", 300, bare_at=250, extra="",
                                                             bare="202603011200"))
        later = write("m.csv", "id,subject,type,ts\n" + rows("m", 300, bare_at=5, extra="",
                                                              bare="202612082400"))
        k = write("k.jsonl", "".join('{"id":"k%d","subject":"s1","type":"volunteer_hour",'
                                     '"ts":"2025-01-01","Qty":2}\n' % i for i in range(100)))
        cases = [(a, b), (b, a), (b, c, a), ("-t", "20250301", b), (h,), ("-t", "now", h),
                 ("--groups", "1", a, b), ("--top", "2", b, c), ("--groups", "0", "--top", "1",
                                                                 c, b),
                 ("-r", V1_RULES, k, b), ("-r", V1_RULES, c, k, a), (SAMPLE,), (late,),
                 (c, late, a), (late, later), (later, late), ("--groups", "1", late, b)]
        seen = set()
        for args in cases:
            want = subprocess.run([CLI, "-f", "csv"] + list(args), capture_output=True,
                                  text=True)
            self.assertEqual(want.returncode, 0, want.stderr)
            want = [line.replace("civic-score: ", "", 1) for line in want.stderr.splitlines()
                    if line.startswith("civic-score: warning: ")]
            seen.update(want)
            for blocks in ((), ("--blocksize", "1kB", "--partitions", "3")):
                out, err = self.dask(*(blocks + args), stderr=True)
                got = [line.replace("civic_dask: ", "", 1) for line in err.splitlines()
                       if line.startswith("civic_dask: warning: ")]
                self.assertEqual(got, want, (args, blocks))
                if "now" not in args:
                    self.assertEqual(out, cli(*args), (args, blocks))
        # every kind was seen
        seen = "\n".join(seen)
        for kind in ("did you mean 'qty'", "did you mean 'group'", "did you mean 'ref'",
                     "(2 such columns)", 'key "Qty" is ignored', "the earliest event's ts",
                     "l.csv: the latest event's ts is 8390-03-27T14:13:20+08:00 (Unix seconds "
                     "202603011200), at or after 5138-11-16T09:46:40Z: if it was written as a bare "
                     "integer, that is Unix seconds; a date and time need their separators "
                     "(2026-03-01T12:00:00)",
                     "m.csv: the latest event's ts is 8390-07-10T14:00:00+08:00 (Unix seconds "
                     "202612082400), at or after 5138-11-16T09:46:40Z: if it was written as a bare "
                     "integer, that is Unix seconds; a date and time need their separators "
                     "(YYYY-MM-DDTHH:MM:SS)",
                     "--as-of 20250301 is Unix seconds", "no events and no -t"):
            self.assertIn(kind, seen)

    def test_check_ids(self):
        # An id reused with another subject is a conflict for civic-score;
        # the subject partitions cannot see it, --check-ids can.
        self.same(SAMPLE, extra=["--check-ids"])
        with open(SAMPLE, encoding="utf-8") as f:
            lines = f.readlines()
        first_id = lines[1].split(",")[0]
        other = lines[1].split(",")
        other[1] = "someone-else"
        lines.append(",".join(other))
        twice = os.path.join(self.tmp.name, "twice.csv")
        with open(twice, "w", encoding="utf-8") as f:
            f.writelines(lines)
        self.assertEqual(subprocess.run([CLI, "-f", "csv", twice], capture_output=True)
                         .returncode, 2)
        err = self.dask("--check-ids", twice, expect=2)
        self.assertIn(first_id, err)
        self.assertIn("different subject", err)

    def test_empty_input(self):
        empty = os.path.join(self.tmp.name, "empty.csv")
        with open(empty, "w", encoding="utf-8") as f:
            f.write("id,subject,type,ts\n")
        self.same(empty)
        self.same("--groups", "1", empty)
        blank = os.path.join(self.tmp.name, "blank.csv")
        with open(blank, "w", encoding="utf-8") as f:
            f.write("")
        self.same(blank)
        self.same("--top", "3", empty, blank)
        self.same("-t", "2025-01-01", "--groups", "2", "--top", "2", empty)

    def test_version_2_acts_and_sources(self):
        # The members of one act count once (the heaviest): a partition that
        # lost the act column would count both fines.  JSON Lines too.
        rules = os.path.join(self.tmp.name, "v2.toml")
        with open(rules, "w", encoding="utf-8") as f:
            f.write('[scheme]\nbase = 100\n[[grade]]\nname = "A"\n[rule.fine]\npoints = -10\nper = "unit"\n'
                    '[rule.help]\npoints = 3\n')
        log = os.path.join(self.tmp.name, "v2.csv")
        with open(log, "w", encoding="utf-8") as f:
            f.write("id,subject,type,ts,qty,group,ref,act,source\n"
                    "a1,s1,fine,2024-01-01,1,,,act-1,office\n"
                    "a2,s1,fine,2024-01-02,3,,,act-1,police\n"
                    "a3,s2,fine,2024-01-02,2,,,act-1,\n"
                    "a4,s2,help,2024-01-03,,,,,\n")
        more = os.path.join(self.tmp.name, "v2.jsonl")
        with open(more, "w", encoding="utf-8") as f:
            f.write('{"id":"j1","subject":"s2","type":"fine","ts":"2024-01-04",'
                    '"qty":5,"act":"act-1","source":"court"}\n')
        got = self.same("-r", rules, log, more)
        # By hand: s1 keeps only its heavier fine (-30), s2 its -50 of act-1, +3.
        self.assertIn(b"s1,,70.00,", got)
        self.assertIn(b"s2,,53.00,", got)
        self.same("-r", rules, "--groups", "0", log, more)

    def test_same_file_name_other_header(self):
        # Two files called log.csv with their columns in other orders, in
        # many blocks: a partition joins the pieces of each run of one
        # name, and must not take one file's header line for the other's.
        with open(SAMPLE, encoding="utf-8") as f:
            rows = list(csv.reader(f))
        half = len(rows) // 2
        paths = []
        for k, (order, body) in enumerate(((None, rows[1:half]), ([3, 0, 2, 1], rows[half:]))):
            os.makedirs(os.path.join(self.tmp.name, "d%d" % k), exist_ok=True)
            path = os.path.join(self.tmp.name, "d%d" % k, "log.csv")
            cols = list(range(len(rows[0])))
            if order:
                cols = order + [c for c in cols if c not in order]
            with open(path, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                for row in [rows[0]] + body:
                    w.writerow([row[c] if c < len(row) else "" for c in cols])
            paths.append(path)
        self.same(*paths, extra=["--blocksize", "2kB"])
        self.same(paths[1], paths[0], extra=["--blocksize", "2kB", "--partitions", "3"])

    # the generated log

    def test_big_subjects(self):
        got = self.same(self.big_csv, self.big_jsonl)
        self.assertGreater(got.count(b"\n"), EVENTS // 20)

    def test_big_groups(self):
        for depth in ("1", "2", "3"):
            self.same("--groups", depth, self.big_csv, self.big_jsonl)

    def test_big_rankings_as_of(self):
        self.same("-t", "2024-06-30T12:00:00+08:00", "--groups", "2", "--top", "3",
                  self.big_csv, self.big_jsonl)


class NoDaskTest(unittest.TestCase):
    """Without Dask the script says in one line which module is missing, for
    which interpreter, and how to get it, and exits 2.  Needs no Dask: the
    script runs in an interpreter where importing dask (or only distributed)
    fails as it does when the package is missing, and that interpreter may
    be made to call itself another (sys.executable) to see the advice for
    one that is not Debian's /usr/bin/python3."""

    INSTALL = "sudo apt-get update && sudo apt-get install -y python3-dask python3-distributed"

    def run_without(self, modules, *args, executable=None):
        hide = ("import runpy, sys\n"
                "for name in sys.argv[1].split(','): sys.modules[name] = None\n"
                "if sys.argv[2]: sys.executable = sys.argv[2]\n"
                "sys.argv = sys.argv[3:]\n"
                "runpy.run_path(sys.argv[0], run_name='__main__')\n")
        return subprocess.run([sys.executable, "-c", hide, ",".join(modules), executable or "",
                               SCRIPT] + list(args),
                              capture_output=True, text=True, timeout=120)

    def test_without_dask_one_line_of_advice_and_exit_2(self):
        if not os.path.exists(LIBRARY):
            raise unittest.SkipTest("%s is not built (make)" % LIBRARY)
        if not os.path.exists("/usr/bin/python3"):
            raise unittest.SkipTest("no /usr/bin/python3 (Debian's, which the advice names)")
        other = "/opt/no-such/pyenv/bin/python3"        # pyenv's, say: not /usr/bin/python3
        cases = [(["dask", "distributed"], other,
                  "civic_dask: dask is not installed for /opt/no-such/pyenv/bin/python3, the "
                  "interpreter this ran under: run it with /usr/bin/python3, for which Debian's "
                  "packages install Dask (%s)\n" % self.INSTALL)]
        if sys.prefix == sys.base_prefix:       # not a venv: /usr/bin/python3 is itself
            cases.append((["dask", "distributed"], "/usr/bin/python3",
                          "civic_dask: dask is not installed for /usr/bin/python3: %s\n"
                          % self.INSTALL))
        # dask there but not distributed (python3-dask alone): says which
        if importlib.util.find_spec("dask") is not None:
            cases.append((["distributed"], other,
                          "civic_dask: distributed (dask.distributed) is not installed for "
                          "/opt/no-such/pyenv/bin/python3, the interpreter this ran under: run "
                          "it with /usr/bin/python3, for which Debian's packages install Dask "
                          "(%s)\n" % self.INSTALL))
            if sys.prefix == sys.base_prefix:
                cases.append((["distributed"], "/usr/bin/python3",
                              "civic_dask: distributed (dask.distributed) is not installed for "
                              "/usr/bin/python3: sudo apt-get update && "
                              "sudo apt-get install -y python3-distributed\n"))
        with tempfile.TemporaryDirectory(prefix="civic-nodask-") as d:
            out = os.path.join(d, "out.csv")
            for hidden, executable, advice in cases:
                p = self.run_without(hidden, "-o", out, SAMPLE, executable=executable)
                self.assertEqual((p.returncode, p.stderr, p.stdout), (2, advice, ""),
                                 (hidden, executable))
                self.assertFalse(os.path.exists(out))

    def test_without_dask_usage_errors_and_help_are_as_before(self):
        p = self.run_without(["dask", "distributed"], SAMPLE)     # no -o
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("the following arguments are required: -o", p.stderr)
        p = self.run_without(["dask", "distributed"], "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("usage: civic_dask.py", p.stdout)


class ReadBlockTest(unittest.TestCase):
    """civic_dask._read_block: the blocks dask.bytes.read_bytes would cut,
    read into one buffer per thread."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, HERE)
        import civic_dask
        cls.mod = civic_dask

    def test_block_sizes_in_bytes_and_units(self):
        # a plain number is bytes, as Dask's parse_bytes reads it (it was
        # read as kilobytes: --blocksize 3000 gave one block of a 1 MB file)
        for text, size in (("3000", 3000), ("3000B", 3000), ("3kB", 3000), ("3 kb", 3000),
                           ("1MB", 10 ** 6), ("1000000", 10 ** 6), ("64MiB", 64 << 20),
                           ("0.5GB", 5 * 10 ** 8), ("2GiB", 2 << 30)):
            self.assertEqual(self.mod._parse_size(text), size, text)
        for text in ("", "MB", "1TB", "-5", "1 2"):
            with self.assertRaises(ValueError, msg=text):
                self.mod._parse_size(text)

    def test_every_line_of_a_message_is_moved_on(self):
        # the leading "line N" is made the file's apart; the hints name
        # lines of the same block or piece
        self.assertEqual(
            self.mod._shift_lines("unexpected character after a closing quote (the quoted "
                                  "field opened at line 7, column 44 holds line breaks: lines 7 "
                                  "to 8 were read as one record) (a carriage return at line 7, "
                                  "column 46: lines must end in LF or CRLF)", 100),
            "unexpected character after a closing quote (the quoted field opened at line 107, "
            "column 44 holds line breaks: lines 107 to 108 were read as one record) (a carriage "
            "return at line 107, column 46: lines must end in LF or CRLF)")
        # a count of lines is no line number
        self.assertEqual(self.mod._shift_lines("unterminated quoted field at end of input (the "
                                               "quote opens here: 2 lines after it were read "
                                               "into the field)", 100),
                         "unterminated quoted field at end of input (the quote opens here: 2 "
                         "lines after it were read into the field)")

    def test_a_small_file_gets_no_block_of_the_full_blocksize(self):
        # every block had the full --blocksize, and its buffer as much again
        # zero-filled: a 37 kB file with --blocksize 1GB took 1.07 GB
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "small.csv")
            with open(path, "w") as f:
                f.write("id,subject,type,ts\n")
                f.writelines("e%d,s%d,volunteer_hour,2025-01-01\n" % (i, i % 7)
                             for i in range(1000))
            size = os.path.getsize(path)
            for blocksize in (64 << 20, 30000, 10000, size, size - 1, 1 << 40):
                blocks = self.mod.plan_blocks([path], blocksize)
                # the blocks tile the file, and none reaches past its end
                self.assertEqual([b[4] for b in blocks], list(range(0, size, blocksize)),
                                 blocksize)
                self.assertEqual([b[5] for b in blocks],
                                 [min(blocksize, size - b[4]) for b in blocks], blocksize)
                got = []
                threading.current_thread().civic_block = None
                for b in blocks:
                    view, at = self.mod._read_block(path, b[4], b[5])
                    got.append(bytes(view))
                    view.release()
                    # the buffer is of the block's own size, not the planned one
                    self.assertLessEqual(len(threading.current_thread().civic_block),
                                         min(blocksize, size) + self.mod.BLOCK_SLACK, blocksize)
                with open(path, "rb") as f:
                    self.assertEqual(b"".join(got), f.read(), blocksize)

    @staticmethod
    def reference(path, start, length):
        """The cut as the version that read a fresh bytes per block made it."""
        with open(path, "rb") as f:
            if start:
                f.seek(start - 1)
                f.readline()
            at = f.tell()
            if at >= start + length:
                return b"", at
            data = f.read(start + length - at)
            if data and not data.endswith(b"\n"):
                data += f.readline()
        return data, at

    def test_blocks_tile_the_file(self):
        rnd = random.Random(7)
        slack = self.mod.BLOCK_SLACK
        lines = [b"id,subject,type,ts\n"]
        for i in range(3000):
            # some lines longer than the buffer's slack, one without a final break
            width = slack + 100 if i % 997 == 5 else rnd.randrange(1, 60)
            lines.append(b"e%d,%s\n" % (i, b"x" * width))
        lines.append(b"last,line,without,break")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "log.csv")
            with open(path, "wb") as f:
                f.write(b"".join(lines))
            size = os.path.getsize(path)
            for blocksize in (97, 4096, slack - 1, slack + 50, size):
                got, views = [], []
                for start in range(0, size, blocksize):
                    view, at = self.mod._read_block(path, start, blocksize)
                    self.assertEqual((bytes(view), at), self.reference(path, start, blocksize),
                                     (blocksize, start))
                    got.append(bytes(view))
                    views.append(view)
                with open(path, "rb") as f:
                    self.assertEqual(b"".join(got), f.read(), blocksize)
                # one buffer per thread, read into again: a new one only for a
                # bigger block, or for a line that runs on past the slack
                # (4 of them: at most 2 buffers each)
                self.assertLessEqual(len({id(v.obj) for v in views if len(v)}), 1 + 2 * 4,
                                     blocksize)
                for v in views:
                    v.release()
        # a block past BLOCK_KEEP_MAX is read all the same, and not kept
        keep = 10000 // 2 + slack      # between the two blocks' buffers below
        with tempfile.TemporaryDirectory() as d, mock.patch.object(self.mod, "BLOCK_KEEP_MAX",
                                                                   keep):
            path = os.path.join(d, "log.csv")
            with open(path, "wb") as f:
                f.write(b"".join(lines))
            threading.current_thread().civic_block = None
            view, at = self.mod._read_block(path, 0, 10000)
            self.assertEqual((bytes(view), at), self.reference(path, 0, 10000))
            self.assertTrue(threading.current_thread().civic_block is None)
            view.release()
            view, at = self.mod._read_block(path, 0, 100)
            self.assertEqual((bytes(view), at), self.reference(path, 0, 100))
            self.assertTrue(threading.current_thread().civic_block is view.obj)
            view.release()


if __name__ == "__main__":
    unittest.main()
