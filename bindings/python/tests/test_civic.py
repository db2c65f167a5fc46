"""Tests of the civic Python binding (unittest, standard library only).

Run from bindings/python:  python3 -m unittest discover -s tests -v
The library is found as civic/_capi.py describes ($CIVIC_LIBRARY, or the
build tree); the CLI for the parity tests is $CIVIC_SCORE or
<repo>/build/civic-score (those tests are skipped when it is missing).
"""

import contextlib
import csv
import datetime as dt
import gc
import errno
import importlib.util
import io
import json
import multiprocessing
import os
import pathlib
import pickle
import time
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
import textwrap
import threading
import unittest
import weakref
from decimal import Decimal

from paths import PKG_ROOT, REPO, CLI, SAMPLE  # noqa: E402
import civic                      # noqa: E402
from civic import _capi           # noqa: E402

MAP = os.path.join(REPO, "lib", "civic.map")
HEADER = os.path.join(REPO, "include", "civic.h")

D = Decimal

# SPEC section 8, with the built-in bands.
RULES = textwrap.dedent("""\
    # test scheme: SPEC section 8
    [scheme]
    name = "test"
    base = 1000
    min = 0
    max = 2000
    clamp = "final"
    utc_offset = "+08:00"
    valid = "forever"
    balance_reset = "never"

    [[grade]]
    name = "AAA"
    min = 1050

    [[grade]]
    name = "AA"
    min = 1030

    [[grade]]
    name = "A"
    min = 960

    [[grade]]
    name = "B"
    min = 850

    [[grade]]
    name = "C"
    min = 600

    [[grade]]
    name = "D"

    [rule.fine]
    points = -10
    valid = "1y"
    dimension = "legal"

    [rule.dog]
    points = -10
    valid = "1y"
    repeat_factor = 2
    dimension = "moral"

    [rule.donation]
    points = 10
    cap = 40
    cap_period = "year"
    dimension = "moral"

    [rule.drunk_driving]
    points = 0
    ceiling = 850
    valid = "2y"
    dimension = "legal"

    [rule.defaulter]
    points = 0
    ceiling = 599
    valid = "5y"
    flag = "dishonest"
    dimension = "legal"

    [rule.repaired_default]
    points = -50
    valid = "2y"
    dimension = "legal"

    [rule.volunteer_hour]
    points = 1.5
    per = "unit"
    dimension = "autonomy"

    [rule.shop_bonus]
    points = 25
    affects = "balance"
    dimension = "autonomy"
    """)

CSV_GOOD = ("id,subject,type,ts,qty,group,ref\n"
            "a1,s1,fine,2022-03-01,,d1/st1,\n"
            "a2,s2,volunteer_hour,2022-03-02,4,d1/st2,\n"
            "a3,s3,donation,2022-03-03,,d2/st1,\n")
CSV_BAD = ("id,subject,type,ts\n"
           "b1,s1,fine,2022-03-01\n"
           "b2,s1,no_such_rule,2022-03-01\n"
           "b3,s2,fine,2022-03-02\n"
           "b4,s3,fine,not-a-time\n")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def cli_available():
    return os.path.isfile(CLI) and os.access(CLI, os.X_OK)


def run_cli(*args):
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise AssertionError("civic-score %s failed (%d): %s"
                             % (" ".join(args), p.returncode, p.stderr.decode()))
    return p.stdout.decode("utf-8")


def cli_rows(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [tuple(r) for r in rows[1:]]


def binding_rows(scores):
    return [(s.subject, s.group, str(s.score), s.grade, str(s.balance),
             ";".join(s.flags)) for s in scores]


def generate_log(codes, n=12000, seed=20261127):
    """A seeded random event log over `codes`: rule events with and without
    qty (in bursts, so caps and repeats bite), redeems, revokes and repairs
    (valid, dangling, cross-subject), all ts forms, groups (one with a
    comma), subject moves, and exact duplicates.
    Returns a list of dicts with str values ("" = absent)."""
    rnd = random.Random(seed)
    subjects = ["s%04d" % i for i in range(700)]
    home = {}
    for s in subjects:
        home[s] = "d%d/st%d/c%d" % (rnd.randrange(4), rnd.randrange(5), rnd.randrange(3))
    home["s0007"] = "d9/st,comma/c1"
    start = 1609459200                       # 2021-01-01T00:00:00Z
    span = 4 * 365 * 86400
    rows, by_subject, all_ids, last = [], {}, [], {}
    for i in range(n):
        eid = "e%06d" % i
        s = rnd.choice(subjects)
        burst = s in last and rnd.random() < 0.4    # bursts: hit the caps
        if burst:
            t = min(last[s][0] + rnd.randrange(5 * 86400), start + span)
        else:
            t = start + rnd.randrange(span)
        form = rnd.randrange(5)
        when = dt.datetime.fromtimestamp(t, dt.timezone.utc)
        if form == 0:
            ts = str(t)
        elif form == 1:
            ts = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif form == 2:
            ts = when.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d")
        elif form == 3:
            ts = when.astimezone(dt.timezone(dt.timedelta(hours=-5))) \
                .strftime("%Y-%m-%dT%H:%M:%S-05:00")
        else:
            ts = when.astimezone(dt.timezone(dt.timedelta(hours=8))) \
                .strftime("%Y-%m-%dT%H:%M:%S")
        r = rnd.random()
        qty, ref = "", ""
        if r < 0.04 and all_ids:
            typ = "revoke"
        elif r < 0.08 and all_ids:
            typ = "repair"
        elif r < 0.14:
            typ = "redeem"
            qty = rnd.choice(["1", "5", "10.5", "20", "0.25", "100"])
        else:
            typ = last[s][1] if burst and rnd.random() < 0.7 else rnd.choice(codes)
            qty = rnd.choice(["", "", "1", "2", "0.5", "3.25", "1.125", "10"])
        last[s] = (t, typ if typ in codes else rnd.choice(codes))
        if typ in ("revoke", "repair"):
            k = rnd.random()
            own = by_subject.get(s)
            if k < 0.8 and own:
                ref = rnd.choice(own)
            elif k < 0.9:
                ref = rnd.choice(all_ids)
            else:
                ref = "missing%d" % i
        g = home[s]
        k = rnd.random()
        if k < 0.1:
            g = ""
        elif k < 0.13:
            g = home[rnd.choice(subjects)]
        rows.append({"id": eid, "subject": s, "type": typ, "ts": ts, "qty": qty,
                     "group": g, "ref": ref})
        all_ids.append(eid)
        by_subject.setdefault(s, []).append(eid)
    rows.extend(dict(r) for r in rnd.sample(rows, 50))      # exact duplicates
    rnd.shuffle(rows)
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "subject", "type", "ts", "qty", "group", "ref"])
        for r in rows:
            w.writerow([r["id"], r["subject"], r["type"], r["ts"], r["qty"],
                        r["group"], r["ref"]])


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({k: v for k, v in r.items() if v != ""}) + "\n")


def _score_in_another_process(task):
    """The rows of a log under rules, in a multiprocessing worker."""
    rules, log = task
    with civic.Engine(rules) as engine:
        engine.load(log)
        return engine.subject_rows()


def check_pandas_na(test, engine, na):
    """na, pandas.NA or a stand-in, in each field of Engine.add and as a
    group and an as_of: each TypeError says it may be an empty cell."""
    base = dict(id="n1", subject="s", type="volunteer_hour", ts="2022-03-01")
    said = {}
    for key in ("id", "subject", "type", "ts", "qty", "group", "ref", "act", "source"):
        with test.assertRaises(TypeError) as cm:
            engine.add(**dict(base, **{key: na}))
        said[key] = str(cm.exception)
    every, omit = ": every event has one", ": omit %s (None) for an event without one"
    test.assertEqual(said, {
        "id": "id must be str, not pandas.NA (an empty cell?)" + every,
        "subject": "subject must be str, not pandas.NA (an empty cell?)" + every,
        "type": "type must be str, not pandas.NA (an empty cell?)" + every,
        "ts": "ts must be datetime, date, int or str, not pandas.NA (an empty cell?)"
              + every,
        "qty": "qty must be int, str or decimal.Decimal, not pandas.NA (an empty cell?)"
               + omit % "qty",
        "group": "group must be str, not pandas.NA (an empty cell?)" + omit % "group",
        "ref": "ref must be str, not pandas.NA (an empty cell?)" + omit % "ref",
        "act": "act must be str, not pandas.NA (an empty cell?)" + omit % "act",
        "source": "source must be str, not pandas.NA (an empty cell?)" + omit % "source"})
    # as float NaN's, beside it
    with test.assertRaises(TypeError) as cm:
        engine.add(**dict(base, qty=float("nan")))
    test.assertEqual(str(cm.exception), said["qty"].replace("pandas.NA", "float nan"))
    with test.assertRaisesRegex(TypeError, r"^group must be str, not pandas\.NA \(an empty "
                                           r"cell\?\): omit group \(None\)$"):
        engine.rank(group=na)
    with test.assertRaisesRegex(TypeError, r"^as_of must be datetime, date, int or str, "
                                           r"not pandas\.NA \(an empty cell\?\)$"):
        engine.score("s", as_of=na)
    test.assertEqual(engine.event_count, 0)


class Base(unittest.TestCase):
    def setUp(self):
        self.rules = civic.Rules.from_text(RULES)
        self.engine = civic.Engine(self.rules)

    def tearDown(self):
        self.engine.close()
        self.rules.close()


# --------------------------------------------------------------------------
# Module, library, errors
# --------------------------------------------------------------------------


class TestModule(Base):
    def test_versions_agree(self):
        self.assertEqual(civic.__version__, "1.1.0")
        self.assertRegex(civic.library_version(), r"^1\.\d+\.\d+$")
        self.assertEqual(_capi.VERSION_NUMBER // 1000000, 1)
        self.assertTrue(os.path.exists(civic.library_path()))

    def test_error_codes_are_exposed_as_constants(self):
        expected = {"CIVIC_OK": 0, "CIVIC_DUPLICATE": 1, "CIVIC_E_INVALID": -1,
                    "CIVIC_E_NOMEM": -2, "CIVIC_E_SYNTAX": -3, "CIVIC_E_RULES": -4,
                    "CIVIC_E_EVENT": -5, "CIVIC_E_CONFLICT": -6,
                    "CIVIC_E_OVERFLOW": -7, "CIVIC_E_LIMIT": -8, "CIVIC_E_IO": -9,
                    "CIVIC_E_VERSION": -10, "CIVIC_E_CORRUPT": -11,
                    "CIVIC_E_MISMATCH": -12, "CIVIC_E_USER": -13,
                    "CIVIC_E_PURGED": -14, "CIVIC_E_NOTFOUND": -15}
        for name, value in expected.items():
            self.assertEqual(getattr(civic, name), value, name)

    def test_civic_error_carries_code_message_line_column(self):
        e = civic.CivicError(civic.CIVIC_E_SYNTAX, "bad", 3, 7)
        self.assertIsInstance(e, Exception)
        self.assertEqual((e.code, e.message, e.line, e.column), (-3, "bad", 3, 7))
        self.assertEqual(e.name, "CIVIC_E_SYNTAX")
        self.assertIn("line 3, column 7", str(e))
        import pickle
        back = pickle.loads(pickle.dumps(e))
        self.assertEqual((back.code, back.message, back.line, back.column), (-3, "bad", 3, 7))
        # an I/O error pickles as what it is (Dask carries errors between processes)
        with self.assertRaises(civic.CivicOSError) as cm:
            civic.Rules.from_file("/nonexistent/rules.toml")
        back = pickle.loads(pickle.dumps(cm.exception))
        self.assertIsInstance(back, FileNotFoundError)
        self.assertEqual((back.code, back.errno, back.filename, str(back)),
                         (civic.CIVIC_E_IO, errno.ENOENT, "/nonexistent/rules.toml",
                          str(cm.exception)))
        # ... with what the load added (.report) and the file name as given
        engine = civic.Engine()
        with self.assertRaises(civic.CivicOSError) as cm:
            engine.load_file(b"/nonexistent/\xff.csv")
        engine.close()
        back = pickle.loads(pickle.dumps(cm.exception))
        self.assertEqual((back.filename, back.errno), (b"/nonexistent/\xff.csv", errno.ENOENT))
        self.assertEqual(back.report, cm.exception.report)
        # a message that already names the place is not prefixed twice
        e = civic.CivicError(civic.CIVIC_E_EVENT, "line 3, column 7: bad", 3, 7)
        self.assertEqual(str(e), "CIVIC_E_EVENT: line 3, column 7: bad")

    def test_strerror_is_static_text(self):
        self.assertTrue(_capi.lib.civic_strerror(civic.CIVIC_E_NOMEM))
        self.assertEqual(_capi.lib.civic_strerror(-999), b"unknown error")

    def test_format_fixed(self):
        buf = _capi.ctypes.create_string_buffer(24)
        _capi.lib.civic_format_fixed(100050, 2, buf, 24)
        self.assertEqual(buf.value, b"1000.50")
        with self.assertRaises(civic.CivicError) as cm:
            _capi.lib.civic_format_fixed(1, 4, buf, 24)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)

    def test_state_and_kind_names(self):
        names = [_capi.lib.civic_state_name(i) for i in range(14)]
        self.assertEqual(names, [b"active", b"expired", b"repaired", b"revoked",
                                 b"accepted", b"rejected", b"applied", b"dangling",
                                 b"contested", b"merged", b"pending", b"premature",
                                 b"dismissed", b"late"])
        self.assertEqual([_capi.lib.civic_kind_name(i) for i in range(7)],
                         [b"rule", b"revoke", b"repair", b"redeem", b"object", b"dismiss",
                          b"correct"])
        # the constants name the same numbers
        for i, n in enumerate(names):
            self.assertEqual(getattr(_capi, "CIVIC_STATE_" + n.decode().upper()), i)
        self.assertIsNone(_capi.lib.civic_state_name(14))
        self.assertIsNone(_capi.lib.civic_kind_name(7))
        self.assertIsNone(_capi.lib.civic_state_name(99))
        self.assertIsNone(_capi.lib.civic_kind_name(99))


class TestDrift(unittest.TestCase):
    def map_symbols(self):
        with open(MAP) as f:
            text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        out = set()
        for block in re.findall(r"global:(.*?)(?:local:|\})", text, flags=re.S):
            out.update(re.findall(r"\b(civic_\w+)\s*;", block))
        return out

    def header_functions(self):
        with open(HEADER) as f:
            text = f.read()
        return set(re.findall(r"^CIVIC_API\s[^;(]*?\b(civic_\w+)\s*\(", text, flags=re.M))

    @unittest.skipUnless(os.path.exists(MAP), "lib/civic.map not present")
    def test_every_exported_symbol_is_in_the_prototype_table_and_back(self):
        exported = self.map_symbols()
        self.assertTrue(exported)
        table = set(_capi.PROTOTYPES)
        self.assertEqual(sorted(exported - table), [], "exported, not in PROTOTYPES")
        self.assertEqual(sorted(table - exported), [], "in PROTOTYPES, not exported")

    @unittest.skipUnless(os.path.exists(HEADER), "include/civic.h not present")
    def test_every_header_function_is_in_the_prototype_table_and_back(self):
        self.assertEqual(self.header_functions(), set(_capi.PROTOTYPES))

    def test_every_prototype_is_bound_with_argtypes_restype_errcheck(self):
        for name, (restype, argtypes, errcheck) in _capi.PROTOTYPES.items():
            fn = getattr(_capi.lib, name)
            self.assertIs(fn.restype, restype, name)
            self.assertEqual(list(fn.argtypes), list(argtypes), name)
            self.assertIs(fn.errcheck, errcheck, name)

    @unittest.skipUnless(os.path.exists(HEADER), "include/civic.h not present")
    def test_exactly_the_status_functions_raise(self):
        with open(HEADER) as f:
            text = f.read()
        status = set(re.findall(r"^CIVIC_API\s+int\s+(civic_\w+)\s*\(", text, flags=re.M))
        self.assertTrue(status)
        raising = {n for n, (_, _, check) in _capi.PROTOTYPES.items()
                   if check is _capi.check_status}
        self.assertEqual(raising, status)

    @unittest.skipUnless(shutil.which("cc") and os.path.exists(HEADER), "no C compiler")
    def test_struct_mirrors_match_the_header_layout(self):
        structs = {
            "civic_error": _capi.civic_error,
            "civic_allocator": _capi.civic_allocator,
            "civic_engine_options": _capi.civic_engine_options,
            "civic_event": _capi.civic_event,
            "civic_load_options": _capi.civic_load_options,
            "civic_load_report": _capi.civic_load_report,
            "civic_score": _capi.civic_score,
            "civic_entry": _capi.civic_entry,
            "civic_group_stats": _capi.civic_group_stats,
            "civic_journal_report": _capi.civic_journal_report,
            "civic_tier_value": _capi.civic_tier_value,
            "civic_list_entry": _capi.civic_list_entry,
            "civic_purge_report": _capi.civic_purge_report,
            "civic_rule_info": _capi.civic_rule_info,
            "civic_scheme_info": _capi.civic_scheme_info,
            "civic_cap_info": _capi.civic_cap_info,
            "civic_validity_info": _capi.civic_validity_info,
            "civic_tier_info": _capi.civic_tier_info,
            "civic_measure_info": _capi.civic_measure_info,
        }
        lines = ['#include <stdio.h>', '#include <stddef.h>', '#include "civic.h"',
                 "int main(void) {"]
        expected = []
        for cname, py in structs.items():
            lines.append('printf("%%s %%zu\\n", "%s", sizeof(%s));' % (cname, cname))
            expected.append("%s %d" % (cname, _capi.ctypes.sizeof(py)))
            for fname, ftype in py._fields_:
                lines.append('printf("%%s.%%s %%zu %%zu\\n", "%s", "%s", offsetof(%s, %s),'
                             ' sizeof(((%s *)0)->%s));'
                             % (cname, fname, cname, fname, cname, fname))
                off = getattr(py, fname).offset
                expected.append("%s.%s %d %d" % (cname, fname, off,
                                                 _capi.ctypes.sizeof(ftype)))
        lines.append("return 0; }")
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "layout.c")
            exe = os.path.join(d, "layout")
            with open(src, "w") as f:
                f.write("\n".join(lines))
            subprocess.run(["cc", "-std=c11", "-I", os.path.dirname(HEADER), "-o", exe,
                            src], check=True)
            got = subprocess.run([exe], stdout=subprocess.PIPE, check=True)
        self.assertEqual(got.stdout.decode().split("\n")[:-1], expected)

    def test_handles_are_distinct_types(self):
        with self.assertRaises(_capi.ctypes.ArgumentError):
            _capi.lib.civic_engine_event_count(_capi.rules_p())


def _run_python(code, env):
    full = dict(os.environ)
    full.pop("CIVIC_LIBRARY", None)
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=PKG_ROOT, env=full,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)


class TestLookup(unittest.TestCase):
    def test_find_library_runs_only_when_nothing_nearer_has_the_library(self):
        # it runs ldconfig and a compiler (tens of ms), and cannot run at all
        # in an isolated subinterpreter: the build tree has the library here
        p = _run_python("import ctypes.util\n"
                        "def boom(name): raise SystemExit('find_library was called')\n"
                        "ctypes.util.find_library = boom\n"
                        "import civic\nprint(civic.library_path())", {})
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertTrue(p.stdout.decode().strip().endswith("libcivic.so.1"))

    def test_civic_library_is_authoritative(self):
        p = _run_python("import civic", {"CIVIC_LIBRARY": "/nonexistent/libcivic.so.1"})
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.decode()
        self.assertIn("ImportError", err)
        self.assertIn("/nonexistent/libcivic.so.1", err)
        self.assertIn("authoritative", err)
        self.assertNotIn("build tree", err)       # nothing else was tried

    def test_civic_library_is_used_when_set(self):
        p = _run_python("import civic; print(civic.library_path())",
                        {"CIVIC_LIBRARY": civic.library_path()})
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout.decode().strip(), civic.library_path())

    def test_import_error_lists_every_place_tried(self):
        with tempfile.TemporaryDirectory() as d:
            shutil.copytree(os.path.join(PKG_ROOT, "civic"), os.path.join(d, "civic"),
                            ignore=shutil.ignore_patterns("libcivic*", "__pycache__"))
            code = "import sys; sys.path.insert(0, %r); import civic" % d
            p = _run_python(code, {"LD_LIBRARY_PATH": "/nonexistent"})
            if p.returncode == 0:
                self.skipTest("libcivic is installed system-wide")
            err = p.stderr.decode()
            for what in ("next to the package", "build tree", "find_library",
                         "dynamic loader", "CIVIC_LIBRARY"):
                self.assertIn(what, err)

    def test_a_copy_next_to_the_package_wins_over_the_build_tree(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = os.path.join(d, "civic")
            shutil.copytree(os.path.join(PKG_ROOT, "civic"), pkg,
                            ignore=shutil.ignore_patterns("libcivic*", "__pycache__"))
            shutil.copy(os.path.realpath(civic.library_path()),
                        os.path.join(pkg, "libcivic.so.1"))
            code = "import sys; sys.path.insert(0, %r); import civic; " \
                   "print(civic.library_path())" % d
            p = _run_python(code, {})
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            self.assertEqual(p.stdout.decode().strip(), os.path.join(pkg, "libcivic.so.1"))

    def _fake_library(self, d, body):
        src = os.path.join(d, "fake.c")
        so = os.path.join(d, "libfake.so")
        with open(src, "w") as f:
            f.write("#include <stdint.h>\n" + body)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", so, src], check=True)
        return so

    @unittest.skipUnless(shutil.which("cc"), "no C compiler")
    def test_a_library_of_another_major_version_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            so = self._fake_library(d, "uint32_t civic_version_number(void)"
                                       " { return 2001003; }\n")
            p = _run_python("import civic", {"CIVIC_LIBRARY": so})
            self.assertNotEqual(p.returncode, 0)
            err = p.stderr.decode()
            self.assertIn("ImportError", err)
            self.assertIn("2.1.3", err)
            self.assertIn("major version 1", err)

    @unittest.skipUnless(shutil.which("cc"), "no C compiler")
    def test_a_library_missing_symbols_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            so = self._fake_library(d, "uint32_t civic_version_number(void)"
                                       " { return 1000000; }\n")
            p = _run_python("import civic", {"CIVIC_LIBRARY": so})
            self.assertNotEqual(p.returncode, 0)
            err = p.stderr.decode()
            self.assertIn("lacks symbols", err)
            self.assertIn("is libcivic 1.0.0, older than this package needs", err)
            self.assertIn("(libcivic 1.1.0 or later)", err)
            # how many, the first five, then ...
            self.assertRegex(err, r"needs, \d+ of them \((civic_\w+, ){5}\.\.\.\)")
            # a library that says it is recent enough is not called older
            so = self._fake_library(d, "uint32_t civic_version_number(void)"
                                       " { return 1001000; }\n")
            err = _run_python("import civic", {"CIVIC_LIBRARY": so}).stderr.decode()
            self.assertIn("is libcivic 1.1.0, yet not the whole library", err)
            self.assertNotIn("older", err)


class TestHeaderContract(Base):
    """Promises of civic.h checked through raw ctypes calls."""

    L = _capi.lib

    def raw_engine(self):
        return self.engine._h._ptr

    def code_of(self, f, *args):
        try:
            f(*args)
        except civic.CivicError as e:
            return e.code
        return 0

    def test_error_version_0_is_left_untouched(self):
        err = _capi.civic_error(version=0, line=77)
        out = _capi.rules_p()
        self.assertEqual(self.code_of(self.L.civic_rules_parse, _capi.ctypes.byref(out),
                                      b"[", 1, None, err), civic.CIVIC_E_SYNTAX)
        self.assertEqual((err.code, err.line, err.message), (0, 77, b""))

    def test_free_functions_accept_null(self):
        for name in ("civic_rules_free", "civic_engine_free", "civic_result_free",
                     "civic_record_free", "civic_groups_free"):
            getattr(self.L, name)(None)

    def test_null_arguments_are_invalid(self):
        out = _capi.result_p()
        self.assertEqual(self.code_of(self.L.civic_engine_subject, self.raw_engine(),
                                      None, 0, _capi.ctypes.byref(out)),
                         civic.CIVIC_E_INVALID)
        self.assertEqual(self.code_of(self.L.civic_engine_subjects, None, 0,
                                      _capi.ctypes.byref(out)), civic.CIVIC_E_INVALID)
        self.assertEqual(self.code_of(self.L.civic_engine_add, self.raw_engine(), None,
                                      None), civic.CIVIC_E_INVALID)

    def test_failed_parse_sets_out_to_null(self):
        out = _capi.rules_p()
        self.L.civic_rules_default(_capi.ctypes.byref(out), None)
        self.assertTrue(out)
        keep = out
        out = _capi.rules_p(keep.contents)
        self.assertEqual(self.code_of(self.L.civic_rules_parse, _capi.ctypes.byref(out),
                                      b"[", 1, None, None), civic.CIVIC_E_SYNTAX)
        self.assertFalse(out)
        self.L.civic_rules_free(keep)

    def test_out_of_range_names_are_null(self):
        p = self.rules._h._ptr
        self.assertIsNone(self.L.civic_rules_grade_name(p, 6))
        self.assertIsNone(self.L.civic_rules_rule_code(p, 999))
        self.assertIsNone(self.L.civic_rules_dimension_name(p, 999))
        v = _capi.c_int64()
        self.assertEqual(self.code_of(self.L.civic_rules_grade_min, p, 5,
                                      _capi.ctypes.byref(v)), civic.CIVIC_E_INVALID)
        self.assertEqual(self.code_of(self.L.civic_rules_grade_min, p, 99,
                                      _capi.ctypes.byref(v)), civic.CIVIC_E_INVALID)

    def test_engine_rules_is_the_engines_rules(self):
        p = self.L.civic_engine_rules(self.raw_engine())
        self.assertEqual(self.L.civic_rules_fingerprint(p), self.rules.fingerprint)

    def test_engine_options_version_and_flags(self):
        out = _capi.engine_p()
        opts = _capi.civic_engine_options(version=99)
        self.assertEqual(self.code_of(self.L.civic_engine_new, _capi.ctypes.byref(out),
                                      self.rules._h._ptr, _capi.ctypes.byref(opts)),
                         civic.CIVIC_E_VERSION)
        opts = _capi.civic_engine_options(version=1, flags=1)
        self.assertEqual(self.code_of(self.L.civic_engine_new, _capi.ctypes.byref(out),
                                      self.rules._h._ptr, _capi.ctypes.byref(opts)),
                         civic.CIVIC_E_INVALID)
        self.L.civic_engine_new(_capi.ctypes.byref(out), self.rules._h._ptr, None)
        self.L.civic_engine_free(out)

    def test_result_get_checks_index_and_version(self):
        self.engine.load(CSV_GOOD)
        out = _capi.result_p()
        self.L.civic_engine_subjects(self.raw_engine(), 2 ** 40, _capi.ctypes.byref(out))
        try:
            self.assertEqual(self.L.civic_result_count(out), 3)
            row = _capi.civic_score(version=1)
            self.assertEqual(self.code_of(self.L.civic_result_get, out, 3,
                                          _capi.ctypes.byref(row)), civic.CIVIC_E_INVALID)
            row = _capi.civic_score(version=99)
            self.assertEqual(self.code_of(self.L.civic_result_get, out, 0,
                                          _capi.ctypes.byref(row)), civic.CIVIC_E_VERSION)
            v = _capi.c_int64()
            n = self.L.civic_result_dimension_count(out)
            self.assertEqual(n, len(self.rules.dimensions))
            self.assertEqual(self.code_of(self.L.civic_result_dimension, out, 0, n,
                                          _capi.ctypes.byref(v)), civic.CIVIC_E_INVALID)
            self.assertIsNone(self.L.civic_result_dimension_name(out, n))
            row = _capi.civic_score(version=1)
            self.L.civic_result_get(out, 0, _capi.ctypes.byref(row))
            self.assertEqual(row.flag_count, 0)
            self.assertEqual(row.dimension_count, n)
        finally:
            self.L.civic_result_free(out)

    def test_record_and_groups_check_index(self):
        self.engine.load(CSV_GOOD)
        rec = _capi.record_p()
        self.L.civic_engine_record(self.raw_engine(), b"s1", 2 ** 40, _capi.ctypes.byref(rec))
        try:
            e = _capi.civic_entry(version=1)
            self.assertEqual(self.code_of(self.L.civic_record_entry, rec, 1,
                                          _capi.ctypes.byref(e)), civic.CIVIC_E_INVALID)
        finally:
            self.L.civic_record_free(rec)
        g = _capi.groups_p()
        self.L.civic_engine_groups(self.raw_engine(), 1, 2 ** 40, _capi.ctypes.byref(g))
        try:
            st = _capi.civic_group_stats(version=1)
            self.assertEqual(self.code_of(self.L.civic_groups_get, g, 2,
                                          _capi.ctypes.byref(st)), civic.CIVIC_E_INVALID)
            self.assertEqual(self.L.civic_groups_grade_count(g), 6)
            self.assertIsNone(self.L.civic_groups_grade_name(g, 6))
        finally:
            self.L.civic_groups_free(g)

    def test_format_time_buffer_and_range(self):
        p = self.rules._h._ptr
        buf = _capi.ctypes.create_string_buffer(26)
        self.L.civic_rules_format_time(p, 0, buf, 26)
        self.assertEqual(buf.value, b"1970-01-01T08:00:00+08:00")
        self.assertEqual(self.code_of(self.L.civic_rules_format_time, p, 0, buf, 25),
                         civic.CIVIC_E_INVALID)
        self.L.civic_rules_format_time(p, _capi.CIVIC_TIME_MIN, buf, 26)
        # east of UTC the last hours are in the local year 10000: 27 bytes,
        # and 26 is CIVIC_E_INVALID with "", never a time cut short
        self.assertEqual(self.code_of(self.L.civic_rules_format_time, p,
                                      _capi.CIVIC_TIME_MAX, buf, 26), civic.CIVIC_E_INVALID)
        self.assertEqual(buf.value, b"")
        wide = _capi.ctypes.create_string_buffer(27)
        self.L.civic_rules_format_time(p, _capi.CIVIC_TIME_MAX, wide, 27)
        self.assertEqual(wide.value, b"10000-01-01T07:59:59+08:00")
        self.assertEqual(self.code_of(self.L.civic_rules_format_time, p,
                                      _capi.CIVIC_TIME_MIN - 1, buf, 26),
                         civic.CIVIC_E_INVALID)

    def test_format_fixed_needs_at_most_24_bytes(self):
        buf = _capi.ctypes.create_string_buffer(24)
        for places in range(4):
            self.L.civic_format_fixed(_capi.INT64_MIN, places, buf, 24)
            self.assertTrue(buf.value.startswith(b"-9223372036854775"))
        self.L.civic_format_fixed(-5, 2, buf, 24)
        self.assertEqual(buf.value, b"-0.05")
        self.assertEqual(self.code_of(self.L.civic_format_fixed, 100050, 2, buf, 7),
                         civic.CIVIC_E_INVALID)

    def test_reject_callback_can_stop_a_lenient_load(self):
        seen = []

        def stop(payload, errp):
            seen.append(errp.contents.line)
            return 1

        cb = _capi.civic_reject_fn(stop)
        opts = _capi.civic_load_options(version=1, format=1, flags=1, on_reject=cb)
        data = CSV_BAD.encode()
        err = _capi.new_error()
        self.assertEqual(self.code_of(self.L.civic_engine_load, self.raw_engine(), data,
                                      len(data), _capi.ctypes.byref(opts), None, err),
                         civic.CIVIC_E_USER)
        self.assertEqual(seen, [3])
        self.assertEqual(self.engine.event_count, 0)

    def test_load_options_version(self):
        opts = _capi.civic_load_options(version=99)
        data = CSV_GOOD.encode()
        self.assertEqual(self.code_of(self.L.civic_engine_load, self.raw_engine(), data,
                                      len(data), _capi.ctypes.byref(opts), None, None),
                         civic.CIVIC_E_VERSION)

    def test_dash_is_not_standard_input(self):
        with tempfile.TemporaryDirectory() as d:
            cwd = os.getcwd()
            os.chdir(d)
            try:
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load(pathlib.Path("-"))
                self.assertEqual(cm.exception.code, civic.CIVIC_E_IO)
            finally:
                os.chdir(cwd)

    def test_strict_failure_report_counts_one_rejected(self):
        report = _capi.civic_load_report(version=1)
        data = CSV_BAD.encode()
        self.assertEqual(self.code_of(self.L.civic_engine_load, self.raw_engine(), data,
                                      len(data), None, _capi.ctypes.byref(report), None),
                         civic.CIVIC_E_EVENT)
        self.assertEqual((report.rejected, report.accepted), (1, 0))


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------


class TestRules(Base):
    def test_properties(self):
        r = self.rules
        self.assertEqual(r.name, "test")
        self.assertEqual(r.base, D("1000.00"))
        self.assertEqual(str(r.base), "1000.00")
        self.assertEqual(r.utc_offset, 8 * 3600)
        self.assertEqual(r.tzinfo, dt.timezone(dt.timedelta(hours=8)))
        self.assertEqual(r.grades, (("AAA", D(1050)), ("AA", D(1030)), ("A", D(960)),
                                    ("B", D(850)), ("C", D(600)), ("D", None)))
        self.assertEqual(r.grades[0].name, "AAA")
        self.assertEqual(r.rules, ("fine", "dog", "donation", "drunk_driving",
                                   "defaulter", "repaired_default", "volunteer_hour",
                                   "shop_bonus"))
        self.assertEqual(r.dimensions, ("legal", "moral", "autonomy"))
        self.assertIsInstance(r.fingerprint, int)
        self.assertTrue(0 <= r.fingerprint < 2 ** 64)
        self.assertIn("test", repr(r))

    def test_rules_pickle_by_their_text(self):
        # Rules is immutable and written back whole by to_toml(): a pickle
        # (the argument of a multiprocessing or Dask task) carries that text
        # and parses back into the same scheme, with a handle of its own.
        # It refused ("owns a C handle") and Pool.map(f, [(rules, part)])
        # failed.  An engine still refuses: it holds events.
        for rules in (self.rules, civic.default_rules()):
            for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
                back = pickle.loads(pickle.dumps(rules, protocol))
                self.assertIsInstance(back, civic.Rules)
                self.assertIsNot(back, rules)
                self.assertEqual((back.to_toml(), back.fingerprint, back.name, back.grades,
                                  back.dimensions),
                                 (rules.to_toml(), rules.fingerprint, rules.name,
                                  rules.grades, rules.dimensions))
                back.close()
        closed = civic.Rules.from_text(RULES)
        closed.close()
        with self.assertRaisesRegex(ValueError, "closed Rules"):
            pickle.dumps(closed)
        with self.assertRaisesRegex(TypeError, "civic.Engine cannot be pickled"):
            pickle.dumps(self.engine)
        # a process of its own, as a multiprocessing pool (spawn) runs a task
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            rows = pool.map(_score_in_another_process, [(self.rules, CSV_GOOD)])
        self.engine.load(CSV_GOOD)
        self.assertEqual(rows, [self.engine.subject_rows()])

    def test_dimensions_are_listed_in_first_use_order_general_last(self):
        # civic.h: "dimension labels in first-use order ("general", the label
        # of rules without one, comes last)".  No rule of RULES lacks a
        # dimension, so "general" is not used and not listed.
        self.assertEqual(self.rules.dimensions, ("legal", "moral", "autonomy"))
        with civic.Rules.from_text(RULES.replace('dimension = "moral"\n', "", 1)) as r:
            self.assertEqual(r.dimensions, ("legal", "moral", "autonomy", "general"))

    def test_fingerprint_ignores_comments_and_spacing(self):
        other = civic.Rules.from_text("# another comment\n\n" + RULES.replace(" = ", "="))
        self.assertEqual(other.fingerprint, self.rules.fingerprint)
        changed = civic.Rules.from_text(RULES.replace("base = 1000", "base = 1001"))
        self.assertNotEqual(changed.fingerprint, self.rules.fingerprint)

    def test_from_bytes_and_from_file(self):
        self.assertEqual(civic.Rules.from_text(RULES.encode()).fingerprint,
                         self.rules.fingerprint)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rules.toml")
            with open(path, "w") as f:
                f.write(RULES)
            for p in (path, pathlib.Path(path)):
                with civic.Rules.from_file(p) as r:
                    self.assertEqual(r.fingerprint, self.rules.fingerprint)

    def test_default_rules(self):
        with civic.default_rules() as r:
            self.assertTrue(r.rules)
            self.assertTrue(r.grades)
            self.assertIsNone(r.grades[-1].min)
            self.assertTrue(r.dimensions)
            text = civic.default_rules_text()
            self.assertIn("[scheme]", text)
            self.assertEqual(civic.Rules.from_text(text).fingerprint, r.fingerprint)

    def test_rules_cannot_be_built_directly(self):
        with self.assertRaises(TypeError):
            civic.Rules()
        with self.assertRaises(TypeError):
            civic.Rules.from_text(42)

    def test_syntax_error_names_line_and_column(self):
        with self.assertRaises(civic.CivicError) as cm:
            civic.Rules.from_text('[scheme]\nname = "x"\nbase = = 3\n')
        e = cm.exception
        self.assertEqual(e.code, civic.CIVIC_E_SYNTAX)
        self.assertEqual(e.line, 3)
        self.assertGreaterEqual(e.column, 1)
        self.assertTrue(e.message)
        self.assertIn("line 3", str(e))

    def test_unknown_key_is_a_rules_error_with_its_line(self):
        text = RULES.replace('name = "test"', 'name = "test"\nbsae = 3')
        with self.assertRaises(civic.CivicError) as cm:
            civic.Rules.from_text(text)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_RULES)
        self.assertEqual(cm.exception.line, 4)
        self.assertEqual(cm.exception.column, 1)

    def test_failed_checks_are_rules_errors(self):
        bad = [
            RULES.replace("min = 1030", "min = 1060"),              # mins not decreasing
            RULES.replace("cap_period = \"year\"\n", ""),           # cap without period
            RULES.replace("points = 1.5", "points = 1.555"),        # 3 decimals
            RULES + "\n[rule.fine]\npoints = 1\n",                  # duplicate rule
            RULES.replace("[rule.fine]", "[rule.Fine!]"),           # bad code
        ]
        for text in bad:
            with self.assertRaises(civic.CivicError) as cm:
                civic.Rules.from_text(text)
            self.assertIn(cm.exception.code, (civic.CIVIC_E_RULES, civic.CIVIC_E_SYNTAX))
            self.assertGreater(cm.exception.line, 0)

    def test_missing_file_is_an_io_error(self):
        with self.assertRaises(civic.CivicError) as cm:
            civic.Rules.from_file("/nonexistent/rules.toml")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_IO)
        with self.assertRaises(ValueError):
            civic.Rules.from_file("bad\0path")

    def test_a_str_naming_a_file_is_rules_text_and_the_error_says_so(self):
        # from_text("rules.toml") said only the parser's words about the
        # path's characters ("dotted keys are not supported"), which leave
        # the caller to guess: as load() does of a one-line str that looks
        # like a path, the message says first how the str was read and what
        # reads a file, then the parser's words, their line and column first
        names = ("the str was read as rules text, not as the path of the file it names: "
                 "call Rules.from_file() to read the file; as rules: ")
        nothing = ("the str was read as rules text, not as a file name: call "
                   "Rules.from_file() to read a file; as rules: ")
        dotted = "line 1, column 6: dotted keys are not supported"
        no_key = "line 1, column 1: expected a key, a [table] or a comment"
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rules.toml")
            with open(path, "w") as f:
                f.write(RULES)
            cwd = os.getcwd()
            os.chdir(d)
            try:
                for text, said in (
                        ("rules.toml", names + dotted), (path, names + no_key),
                        ("missing.toml", nothing + "line 1, column 8: dotted keys are not "
                                                   "supported"),
                        (os.path.join(d, "etc", "rules.toml"), nothing + no_key),
                        ("C:\\civic\\rules.toml", nothing + "line 1, column 2: expected '=' "
                                                      "after the key (TOML uses '=', not ':')"),
                        ("rules.toml\n", "the str was read as rules text: it ends in a line "
                                         "break, and without it names a file (a line read with "
                                         "readline() keeps its line break): strip it, then call "
                                         "Rules.from_file() to read the file; as rules: " + dotted),
                        (d, "the str was read as rules text: the path it names is a directory, "
                            "and from_text() opens no path: call Rules.from_file() to read a "
                            "rules file; as rules: " + no_key)):
                    with self.assertRaises(civic.CivicError) as cm:
                        civic.Rules.from_text(text)
                    e = cm.exception
                    self.assertEqual((e.code, e.line), (civic.CIVIC_E_SYNTAX, 1), text)
                    self.assertEqual(e.message, said, text)
                    self.assertEqual(e.args, (e.code, e.message, e.line, e.column, e.offset))
                    # the message names the line: str() puts none before it
                    self.assertEqual(str(e), "CIVIC_E_SYNTAX: " + said)
                # TOML (a '=', a [table], a comment, a quote), more than one
                # line, a name without a directory or an extension, bytes:
                # the parser's words as they were
                for text, said in (
                        ("rules.toml = 3", dotted), ("rules.toml\nx", dotted),
                        ("rules", "line 1, column 6: expected '=' after the key"),
                        ("[scheme.toml", "line 1, column 1: unterminated table header"),
                        ('"rules.toml"', "line 1, column 1: quoted keys are not supported"),
                        ('name = "a/b.toml"', "line 1, column 1: unknown key 'name' in [top "
                                              "level] (a key of [scheme]: write it under "
                                              "[scheme])"),
                        ("# /etc/rules.toml", "line 1, column 1: the rules define no "
                                              "[[grade]]: at least one is required"),
                        (d + "\n", no_key), (b"rules.toml", dotted)):
                    with self.assertRaises(civic.CivicError) as cm:
                        civic.Rules.from_text(text)
                    self.assertEqual(cm.exception.message, said, text)
                    self.assertEqual(str(cm.exception), "%s: %s" % (cm.exception.name, said))
                # read as a file when given to from_file
                with civic.Rules.from_file("rules.toml") as r:
                    self.assertEqual(r.fingerprint, self.rules.fingerprint)
            finally:
                os.chdir(cwd)

    def test_a_file_that_is_not_utf8_says_what_it_is(self):
        # a file has no length of strlen(text) + 1: a UTF-16LE one, which
        # ends in a NUL, gets no such hint; UTF-32 is called UTF-32
        with tempfile.TemporaryDirectory() as d:
            for name, data, what in (
                    ("16.toml", RULES.encode("utf-16"), "UTF-16 text (save it as UTF-8: "
                                                        "iconv -f UTF-16 -t UTF-8)"),
                    ("32.toml", RULES.encode("utf-32"), "UTF-32 text (save it as UTF-8: "
                                                        "iconv -f UTF-32 -t UTF-8)"),
                    ("32be.toml", RULES.encode("utf-32-be"), "UTF-32 text")):
                path = os.path.join(d, name)
                with open(path, "wb") as f:
                    f.write(data)
                with self.assertRaises(civic.CivicError) as cm:
                    civic.Rules.from_file(path)
                self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
                self.assertIn("not a rules file: " + what, cm.exception.message)
                self.assertNotIn("strlen", cm.exception.message)

    def test_an_event_log_given_as_rules_says_it_is_one(self):
        # the rules and the log swapped: the parser's words, code, line and
        # column, then what the text is, from a file or from text
        csv = "id,subject,type,ts,qty\ne1,s1,fine,2022-01-01,\n"
        jsonl = '{"id":"a1","subject":"s1","type":"vol","ts":"2022-01-01"}\n'
        with tempfile.TemporaryDirectory() as d:
            for text, col, words, what in (
                    (csv, 3, "expected '=' after the key",
                     "its first line is a CSV header naming id, subject, type and ts"),
                    (jsonl, 1, "expected a key, a [table] or a comment",
                     "its first line is a JSON object")):
                path = os.path.join(d, "log")
                with open(path, "w") as f:
                    f.write(text)
                for load in (lambda: civic.Rules.from_file(path),
                             lambda: civic.Rules.from_text(text)):
                    with self.assertRaises(civic.CivicError) as cm:
                        load()
                    self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
                    self.assertEqual((cm.exception.line, cm.exception.column), (1, col))
                    self.assertEqual(cm.exception.message,
                                     "line 1, column %d: %s; not a rules file: an event log "
                                     "(%s)" % (col, words, what))

    def test_wide_text_in_a_buffer_gets_no_strlen_hint(self):
        # bytes of UTF-16LE or UTF-32LE end in a NUL as part of their last
        # character: no C caller's strlen(text) + 1, as for a file; a text
        # whose one NUL is its last byte keeps the hint
        rules_le = ("\ufeff" + RULES).encode("utf-16-le")
        log = "id,subject,type,ts\ne1,s1,fine,2022-03-01\n"
        for load in (lambda: civic.Rules.from_text(rules_le),
                     lambda: civic.Rules.from_text(RULES.encode("utf-16-le")),
                     lambda: civic.Rules.from_text(RULES.encode("utf-32-le")),
                     lambda: self.engine.load(("\ufeff" + log).encode("utf-16-le")),
                     lambda: self.engine.load(log.encode("utf-16-le")),
                     lambda: self.engine.load(log.encode("utf-32"))):
            with self.assertRaises(civic.CivicError) as cm:
                load()
            self.assertNotIn("strlen", cm.exception.message)
        # without a byte order mark too, a log is named as the rules reader
        # names it (it was "the header has no 'id' column")
        for data, what in ((log.encode("utf-16-le"), "UTF-16"), (log.encode("utf-16-be"), "UTF-16"),
                           (log.encode("utf-32-le"), "UTF-32"), (log.encode("utf-32-be"), "UTF-32")):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(data)
            self.assertIn("not an event log: %s text (event logs are UTF-8: convert it first)"
                          % what, cm.exception.message)
        # the library's hint for a C caller's strlen(text) + 1 means nothing
        # in Python: the NUL is named, as a character to remove
        for text, want in ((RULES.rstrip("\n") + "\0", "a NUL byte (remove the '\\x00' at "
                            "the text's end)"),
                           ((RULES.rstrip("\n") + "\0").encode(), "the text's end"),
                           ("[[grade]]\nname = \"A\"\n\0", "line 3, column 1: a NUL byte "
                            "(remove the '\\x00' at the text's end)"),
                           ("[[grade]]\nname = \"A\0", "line 2, column 10: control character in a "
                            "string (the text ends in a NUL byte: remove the '\\x00' at the "
                            "text's end)")):
            with self.assertRaises(civic.CivicError) as cm:
                civic.Rules.from_text(text)
            self.assertIn(want, cm.exception.message)
            self.assertNotIn("strlen", str(cm.exception))

    def test_parse_and_format_time(self):
        r = self.rules
        t = r.parse_time("2022-03-01")                     # local midnight, +08:00
        self.assertEqual(t, 1646064000)
        self.assertEqual(r.parse_time("2022-03-01T00:00:00+08:00"), t)
        self.assertEqual(r.parse_time("2022-02-28T16:00:00Z"), t)
        self.assertEqual(r.parse_time("2022-03-01T00:00:00.999"), t)
        self.assertEqual(r.parse_time("1646064000"), t)
        self.assertEqual(r.parse_time(t), t)
        self.assertEqual(r.parse_time(dt.datetime(2022, 3, 1)), t)
        self.assertEqual(r.parse_time(dt.date(2022, 3, 1)), t)
        self.assertEqual(r.parse_time(dt.datetime(2022, 2, 28, 16, tzinfo=dt.timezone.utc)), t)
        self.assertEqual(r.format_time(t), "2022-03-01T00:00:00+08:00")
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time("2022-13-01")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
        # a time of the right form that does not exist says which part, as a
        # log's ts does (it said "not a timestamp" and listed the forms)
        self.assertIn("bad time '2022-13-01': month out of range", str(cm.exception))
        for text, why in (("2023-02-29", "day out of range for the month"),
                          ("2022-03-01T24:00:00", "time of day out of range"),
                          ("2022-13-01", "month out of range")):
            with civic.Engine(r) as e:
                for call, name in ((lambda: r.parse_time(text), "time"),
                                   (lambda: e.score("s", as_of=text), "as_of"),
                                   (lambda: e.purge(text), "before")):
                    with self.assertRaises(civic.CivicError) as cm:
                        call()
                    self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
                    self.assertEqual(cm.exception.message, "bad %s %r: %s" % (name, text, why))
        # an offset of the right form past 23:59 is out of range, as the library
        # says in a log; a time out of the range names it in UTC (this scheme
        # is UTC+08:00, so its local 0001-01-01 is out of it)
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time("2022-03-01T00:00:00+24:00")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
        self.assertIn("UTC offset out of range (-23:59..+23:59)", str(cm.exception))
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time("2022-03-01T00:00:00+0800")
        self.assertIn("bad UTC offset (expected Z or +HH:MM)", str(cm.exception))
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time("soon")
        self.assertIn("bad time 'soon': not a timestamp (YYYY-MM-DD", str(cm.exception))
        # a time of no form that most likely means one: what to write, after
        # the forms, as a log's ts is told it (the forms were all it said)
        forms = ("not a timestamp (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM], "
                 "Unix seconds or now)")
        for text, hint in (("2022-03-01 10:00",
                            " (the seconds are required: write 2022-03-01T10:00:00)"),
                           ("01.03.2022", " (day.month.year? write 2022-03-01)"),
                           ("NULL", " (a database's NULL? it is no time)")):
            with civic.Engine(r) as e:
                with self.assertRaises(civic.CivicError) as cm:
                    e.score("s", as_of=text)
                self.assertEqual(cm.exception.message, "bad as_of %r: %s%s" % (text, forms, hint))
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time("soon")
        self.assertTrue(str(cm.exception).endswith("or Unix seconds)"), str(cm.exception))
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time("0001-01-01")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
        self.assertIn("outside the years 0001 to 9999 in UTC: its UTC offset takes it before "
                      "0001-01-01T00:00:00Z", str(cm.exception))
        with civic.Engine(r) as e:     # a query's as_of is named as such
            with self.assertRaises(civic.CivicError) as cm:
                e.score("s", as_of="garbage")
            self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
            self.assertIn("bad as_of 'garbage'", str(cm.exception))
            # the forms it lists include "now", which only an as_of takes
            self.assertIn("Unix seconds or now)", str(cm.exception))
            with self.assertRaises(civic.CivicError) as cm:
                r.parse_time("now")
            self.assertNotIn("or now", str(cm.exception))
            # "now" is the present moment, as civic-score -t now (an as_of only)
            e.add(id="n1", subject="s", type="volunteer_hour", ts="2022-03-01")
            t0 = int(time.time())
            got = e.record("s", as_of="now").as_of
            self.assertTrue(t0 <= got <= int(time.time()), got)
            self.assertEqual(e.score("s", as_of="now"), e.score("s", as_of=got))
            got = civic.compare([dict(id="n1", subject="s", type="volunteer_hour",
                                      ts="2022-03-01")], r, r, as_of="now").as_of
            self.assertTrue(t0 <= got <= int(time.time()), got)
            with self.assertRaises(civic.CivicError):
                r.parse_time("now")     # a time in general is not "now": only an as_of
            with self.assertRaises(civic.CivicError):
                e.score("s", as_of="NOW")
        with self.assertRaises(TypeError):
            r.parse_time(1.5)
        with self.assertRaises(TypeError):
            r.format_time("2022")
        with self.assertRaises(civic.CivicError):
            r.format_time(_capi.CIVIC_TIME_MAX + 1)
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time(str(_capi.CIVIC_TIME_MAX + 1))
        self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
        self.assertIn("outside the years 0001 to 9999", str(cm.exception))
        # an int is returned as it is, any 64-bit value, as 1.0 returned it
        # (1.1 raised CIVIC_E_LIMIT, which no 1.0 except clause caught);
        # past 64 bits it is the OverflowError 1.0 raised; purge's before
        # (new in 1.1) keeps the range of every other form
        with civic.Engine(r) as e, warnings.catch_warnings():
            warnings.simplefilter("error")      # none of these is warned of
            for t in (_capi.CIVIC_TIME_MAX + 1, _capi.CIVIC_TIME_MIN - 1, 2 ** 63 - 1,
                      -2 ** 63, 299999999999, 10 ** 13, 0, -1):
                self.assertEqual((r.parse_time(t), e.parse_time(t)), (t, t))
                self.assertIs(type(r.parse_time(t)), int)
            for bad in (2 ** 63, -2 ** 63 - 1, 2 ** 70):
                with self.assertRaises(OverflowError) as cm:
                    r.parse_time(bad)
                self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
            for bad in (_capi.CIVIC_TIME_MAX + 1, _capi.CIVIC_TIME_MIN - 1, 2 ** 63 - 1):
                with self.assertRaises(civic.CivicError) as cm:
                    e.purge(bad)
                self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
        # but a query's as_of takes any int64, as the C API does and 1.0
        # did: 2**63 - 1 asks after everything (past 64 bits it overflows)
        with civic.Engine(r) as e:
            e.load("id,subject,type,ts\nf,s,fine,9998-12-31T23:00:00Z\n")
            for t in (_capi.CIVIC_TIME_MAX + 1, 2 ** 63 - 1):
                self.assertEqual(e.score("s", as_of=t).events, 1)
                self.assertEqual(e.record("s", as_of=t).as_of, t)
            self.assertEqual(e.record("s", as_of=2 ** 63 - 1).to_dict()["as_of"], "forever")
            for t in (_capi.CIVIC_TIME_MIN - 1, -2 ** 63):
                self.assertEqual(e.score("s", as_of=t).events, 0)
                self.assertEqual(e.subjects(t), [])
            with self.assertRaises(OverflowError) as cm:
                e.score("s", as_of=2 ** 70)
            self.assertIn("bad as_of %d: does not fit in 64 bits (an int as_of is Unix "
                          "seconds, any 64-bit value)" % 2 ** 70, str(cm.exception))
        self.assertEqual(r.parse_time(_capi.CIVIC_TIME_MAX), _capi.CIVIC_TIME_MAX)
        # an offset of seconds is written in UTC: before year 1 that is out of range,
        # a CivicError as every other time out of range (Python's own OverflowError before)
        early = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=30)))
        with self.assertRaises(civic.CivicError) as cm:
            r.parse_time(early)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
        self.assertEqual(r.parse_time("9999-12-31T23:59:59Z"), _capi.CIVIC_TIME_MAX)
        self.assertEqual(r.parse_time("0001-01-01T00:00:00Z"), _capi.CIVIC_TIME_MIN)
        # to_dict writes times as the C writer does, local years 0 and 10000
        # included (datetime holds neither), and past the range as seconds
        import random
        rng = random.Random(7)
        for text in ("-12:00", "+00:00", "+08:00", "+14:00", "-05:30"):
            rr = civic.Rules.from_text('[scheme]\nutc_offset = "%s"\n[[grade]]\nname = "A"\n'
                                       'min = 0\n[rule.x]\npoints = 1\n' % text)
            times = [_capi.CIVIC_TIME_MIN, _capi.CIVIC_TIME_MAX, 0, -1, 951782400] + \
                [rng.randint(_capi.CIVIC_TIME_MIN, _capi.CIVIC_TIME_MAX) for _ in range(300)]
            for t in times:
                self.assertEqual(civic._time_text(t, rr.utc_offset), rr.format_time(t), (t, text))
        self.assertEqual(civic._time_text(_capi.CIVIC_TIME_MAX + 1, 0), str(_capi.CIVIC_TIME_MAX + 1))
        with civic.Engine(r) as e:
            e.load("id,subject,type,ts\nf,s,fine,9998-12-31T23:00:00Z\n")
            self.assertEqual(e.record("s", "9999-12-31T23:30:00Z").to_dict()["as_of"],
                             "10000-01-01T07:30:00+08:00")

    def test_closed_rules_raise_value_error(self):
        r = civic.Rules.from_text(RULES)
        r.close()
        r.close()                                    # idempotent
        self.assertTrue(r.closed)
        for f in (lambda: r.name, lambda: r.base, lambda: r.grades, lambda: r.rules,
                  lambda: r.dimensions, lambda: r.fingerprint, lambda: r.utc_offset,
                  lambda: r.parse_time("2022-01-01"), lambda: r.format_time(0),
                  lambda: civic.Engine(r)):
            with self.assertRaises(ValueError):
                f()
        self.assertIn("closed", repr(r))

    def test_context_manager_closes(self):
        with civic.Rules.from_text(RULES) as r:
            self.assertFalse(r.closed)
        self.assertTrue(r.closed)

    def test_an_engine_outlives_its_closed_rules_object(self):
        # the usual `with Rules... as r: e = Engine(r)`: the engine keeps
        # its scheme, and e.rules gives it back as a Rules of its own
        with civic.Rules.from_text(RULES) as r:
            e = civic.Engine(r)
            fingerprint, dims = r.fingerprint, r.dimensions
        self.assertTrue(r.closed)
        self.assertIsNot(e.rules, r)
        self.assertFalse(e.rules.closed)
        self.assertIs(e.rules, e.rules)
        self.assertEqual((e.rules.fingerprint, e.rules.dimensions), (fingerprint, dims))
        self.assertEqual(e.rules.parse_time("2022-01-01"), e.parse_time("2022-01-01"))
        e.close()

    def test_a_tiny_decimal_qty_is_not_written_out_whole(self):
        # Decimal("1E-100000") was written out in full (100 KB; 1E-999999999 a
        # gigabyte) before the library refused it as longer than 64 bytes
        tiny = D("1E-100000")
        self.assertLess(len(civic._qty_text(tiny)), 80)
        self.assertLess(len(civic._qty_text(-tiny)), 80)
        with civic.Engine(self.rules) as e:
            errors = []
            for q in (tiny, D("1E-67")):
                with self.assertRaises(civic.CivicError) as cm:
                    e.add(id="q", subject="s", type="volunteer_hour", ts="2024-01-01", qty=q)
                errors.append((cm.exception.code, cm.exception.message))
            self.assertEqual(errors[0], errors[1])
            self.assertEqual(errors[0][0], civic.CIVIC_E_LIMIT)
            # an integral Decimal of 64 or more digits shows its own digits (they
            # were rounded to the context's 28 first)
            big = D("1234567890" * 7)
            with self.assertRaises(civic.CivicError) as cm:
                e.add(id="q", subject="s", type="volunteer_hour", ts="2024-01-01", qty=big)
            self.assertIn("1234567890" * 3 + "123456789", cm.exception.message)

    def test_an_int_too_long_for_str_is_a_civic_error(self):
        # Python refuses str() of an int over 4300 digits (ValueError); such
        # an int is out of every range: the error the same number gets when
        # shorter, its message showing its first digits and how many it has
        r, e = self.rules, self.engine
        e.add(id="x1", subject="s1", type="fine", ts="2022-03-01")
        for sign in ("", "-"):
            big = 10 ** 5000 * (-1 if sign else 1)
            shown = sign + "1" + "0" * 19 + "... (5001 digits)"
            calls = {"as_of": [lambda: e.score("s1", as_of=big),
                               lambda: e.record("s1", as_of=big),
                               lambda: e.subjects(as_of=big),
                               lambda: e.rank(as_of=big),
                               lambda: e.groups(0, as_of=big),
                               lambda: civic.compare([], r, r, as_of=big)],
                     "before": [lambda: e.purge(big)],
                     "time": [lambda: r.parse_time(big), lambda: e.parse_time(big)]}
            for what, fns in calls.items():
                for fn in fns:
                    with self.assertRaises(civic.CivicError) as cm:
                        fn()
                    # an int as_of or time is any 64-bit value: that is its
                    # limit; a purge's before has the calendar's
                    self.assertEqual((cm.exception.code, cm.exception.message),
                                     (civic.CIVIC_E_LIMIT, "bad %s %s: outside the years 0001 "
                                      "to 9999 in UTC" % (what, shown) if what == "before" else
                                      "bad %s %s: does not fit in 64 bits (an int %s is Unix "
                                      "seconds, any 64-bit value)" % (what, shown, what)))
            # format_time with its own code, as for every time out of range
            with self.assertRaises(civic.CivicError) as cm:
                r.format_time(big)
            self.assertEqual((cm.exception.code, cm.exception.message),
                             (civic.CIVIC_E_INVALID, "bad time %s: outside the years 0001 "
                              "to 9999 in UTC" % shown))
            # to the library, as the same number as text
            for field, value in (("ts", big), ("qty", big), ("qty", Decimal(big)),
                                 ("qty", Decimal(sign + "1e5000"))):
                args = dict(id="x2", subject="s1", type="fine", ts="2022-03-02")
                args[field] = sign + "1" + "0" * 5000
                with self.assertRaises(civic.CivicError) as cm:
                    e.add(**args)
                want = cm.exception
                self.assertEqual(want.code, civic.CIVIC_E_LIMIT)
                args[field] = value
                with self.assertRaises(civic.CivicError) as cm:
                    e.add(**args)
                self.assertEqual((cm.exception.code, cm.exception.message, cm.exception.line,
                                  cm.exception.column),
                                 (want.code, want.message, want.line, want.column))
        big = 10 ** 5000
        shown = "1" + "0" * 19 + "... (5001 digits)"
        with self.assertRaises(civic.CivicError) as cm:
            r.rule_info(big)
        self.assertEqual((cm.exception.code, cm.exception.message),
                         (civic.CIVIC_E_INVALID, "rule index %s is out of range: the scheme "
                          "has %d rules" % (shown, len(r.rules))))
        with self.assertRaises(civic.CivicError) as cm:
            r.rule_info(0, big)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
        self.assertIn("change %s is out of range" % shown, cm.exception.message)
        with self.assertRaises(ValueError):
            r.rule_info(-big)
        # an int of up to 64 digits is shown whole, as before
        with self.assertRaises(civic.CivicError) as cm:
            e.score("s1", as_of=10 ** 63)
        self.assertIn("bad as_of %d: does not fit in 64 bits" % 10 ** 63, cm.exception.message)
        # bool is not an int of seconds, however it is spelt
        for fn in (lambda: e.add(id="x3", subject="s1", type="fine", ts=True),
                   lambda: e.add(id="x3", subject="s1", type="fine", ts=0, qty=True),
                   lambda: e.score("s1", as_of=False), lambda: r.format_time(True),
                   lambda: e.purge(True), lambda: r.rule_info(True)):
            with self.assertRaises(TypeError):
                fn()

    def test_a_time_past_64_bits_is_also_an_overflow_error(self):
        # 1.0 raised Python's OverflowError for an int time that does not
        # fit in 64 bits, and for a datetime its offset moves out of
        # datetime's range (its own tests asserted it); 1.1 raises
        # CivicError, and the same error is an OverflowError too, so that
        # a handler written for either catches it
        r, e = self.rules, self.engine
        e.add(id="x1", subject="s1", type="fine", ts="2022-03-01")
        early = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(seconds=30)))
        late = dt.datetime(9999, 12, 31, 23, 59, 59,
                           tzinfo=dt.timezone(-dt.timedelta(seconds=30)))
        calls = [r.parse_time, e.parse_time, e.subjects, lambda t: e.score("s1", as_of=t),
                 lambda t: e.record("s1", as_of=t), lambda t: e.rank(as_of=t),
                 lambda t: e.groups(0, as_of=t), lambda t: e.purge(t),
                 lambda t: civic.compare([], r, r, as_of=t)]
        for i, value in enumerate((2 ** 63, 2 ** 70, -2 ** 63 - 1, -2 ** 70, 10 ** 5000,
                                   early, late)):
            for fn in calls + [lambda t: e.add(id="x2", subject="s1", type="fine", ts=t)
                               if isinstance(t, dt.datetime) else r.format_time(t)]:
                with self.assertRaises(OverflowError, msg="value %d" % i) as cm:
                    fn(value)
                self.assertIsInstance(cm.exception, civic.CivicError)
                self.assertTrue("outside the years 0001 to 9999" in cm.exception.message or
                                "does not fit in 64 bits" in cm.exception.message,
                                cm.exception.message)
                self.assertEqual(pickle.loads(pickle.dumps(cm.exception)).args,
                                 cm.exception.args)
                self.assertIsInstance(pickle.loads(pickle.dumps(cm.exception)), OverflowError)
            with self.assertRaises(OverflowError) as cm:
                r.parse_time(value)
            self.assertEqual(cm.exception.name, "CIVIC_E_LIMIT")
        # what fits in 64 bits is no overflow: parse_time returns it and a
        # query answers at it (as_of may be any int64), as in C and 1.0;
        # purge (new in 1.1) refuses it out of range, but not as an overflow
        for value in (2 ** 63 - 1, -2 ** 63, _capi.CIVIC_TIME_MAX + 1):
            with self.assertRaises(civic.CivicError) as cm:
                calls[7](value)
            self.assertNotIsInstance(cm.exception, OverflowError)
            self.assertEqual((calls[0](value), calls[1](value)), (value, value))
            for fn in calls[2:7] + calls[8:]:
                fn(value)
        with self.assertRaises(civic.CivicError) as cm:   # as 1.0: the library's, for the text
            e.add(id="x2", subject="s1", type="fine", ts=2 ** 70)
        self.assertNotIsInstance(cm.exception, OverflowError)


# --------------------------------------------------------------------------
# Engine: adding and loading
# --------------------------------------------------------------------------


class TestAdd(Base):
    def test_add_returns_true_then_false_for_a_duplicate(self):
        e = self.engine
        self.assertTrue(e.add(id="x1", subject="s1", type="fine", ts="2022-03-01"))
        self.assertFalse(e.add(id="x1", subject="s1", type="fine", ts="2022-03-01"))
        # identical after parsing: the same instant in another form
        self.assertFalse(e.add(id="x1", subject="s1", type="fine",
                               ts="2022-03-01T00:00:00+08:00"))
        self.assertEqual(e.event_count, 1)
        self.assertEqual(e.subject_count, 1)

    def test_conflict_is_rejected_and_changes_nothing(self):
        e = self.engine
        e.add(id="x1", subject="s1", type="fine", ts="2022-03-01")
        with self.assertRaises(civic.CivicError) as cm:
            e.add(id="x1", subject="s2", type="fine", ts="2022-03-01")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_CONFLICT)
        self.assertEqual(e.event_count, 1)
        self.assertEqual(e.subject_count, 1)

    def test_ts_forms(self):
        e = self.engine
        t = self.rules.parse_time("2022-03-01")
        e.add(id="a", subject="s", type="fine", ts=dt.datetime(2022, 3, 1))
        e.add(id="b", subject="s", type="fine",
              ts=dt.datetime(2022, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))
        e.add(id="c", subject="s", type="fine", ts=t)
        e.add(id="d", subject="s", type="fine", ts="2022-03-01")
        e.add(id="f", subject="s", type="fine", ts=dt.date(2022, 3, 1))
        e.add(id="g", subject="s", type="fine",
              ts=dt.datetime(2022, 2, 28, 16, 0, 0, 500000, tzinfo=dt.timezone.utc))
        e.add(id="h", subject="s", type="fine",
              ts=dt.datetime(2022, 2, 28, 22, 0, 30,
                             tzinfo=dt.timezone(dt.timedelta(hours=6, seconds=30))))
        self.assertEqual([x.ts for x in e.record("s").entries], [t] * 7)
        self.assertEqual(e.time_range, (t, t))

    def test_bad_ts_type_and_value(self):
        e = self.engine
        for bad in (1.5, None, True, object(), b"2022-03-01"):
            with self.assertRaises(TypeError):
                e.add(id="x", subject="s", type="fine", ts=bad)
        with self.assertRaises(civic.CivicError) as cm:
            e.add(id="x", subject="s", type="fine", ts="2022-02-30")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
        self.assertEqual(e.event_count, 0)

    def test_a_datetime_that_is_no_time_is_named(self):
        # pandas.NaT (an empty cell of a datetime column) is a datetime whose
        # methods raise: "NaTType does not support utcoffset" named neither
        # the argument nor the problem
        class Broken(dt.datetime):
            def utcoffset(self):
                raise ValueError("NaTType does not support utcoffset")

            def __repr__(self):
                return "NaT"

        class NaT(Broken):                  # pandas.NaT without pandas
            __hash__ = Broken.__hash__

            def __eq__(self, other):        # as NaN, not equal to itself
                return False

            def __ne__(self, other):
                return True
        e = self.engine
        with self.assertRaisesRegex(ValueError, r"^ts is not a time: NaT \(an empty cell\?\)$"):
            e.add(id="x", subject="s", type="fine", ts=NaT(2000, 1, 1))
        with self.assertRaisesRegex(ValueError, r"^as_of is not a time: NaT"):
            e.score("s", as_of=NaT(2000, 1, 1))
        with self.assertRaisesRegex(ValueError, r"^ts is not a time: NaT \(NaTType does not "
                                    r"support utcoffset\)$"):
            e.add(id="x", subject="s", type="fine", ts=Broken(2000, 1, 1))
        self.assertEqual(e.event_count, 0)

    def test_qty_forms_and_float_is_refused(self):
        e = self.engine
        e.add(id="q1", subject="s", type="volunteer_hour", ts="2022-01-01", qty=2)
        e.add(id="q2", subject="s", type="volunteer_hour", ts="2022-01-02", qty="0.5")
        e.add(id="q3", subject="s", type="volunteer_hour", ts="2022-01-03",
              qty=D("1.250"))
        e.add(id="q4", subject="s", type="volunteer_hour", ts="2022-01-04", qty=D("3E+1"))
        e.add(id="q5", subject="s", type="volunteer_hour", ts="2022-01-05")
        rec = e.record("s", as_of="2022-02-01")
        self.assertEqual([x.qty for x in rec.entries],
                         [D("2"), D("0.5"), D("1.25"), D("30"), D("1")])
        self.assertEqual(str(rec.entries[0].qty), "2.000")
        # 1.5 points per unit
        self.assertEqual([x.raw for x in rec.entries],
                         [D("3.00"), D("0.75"), D("1.88"), D("45.00"), D("1.50")])
        for bad in (1.5, 2.0, True):
            with self.assertRaises(TypeError):
                e.add(id="q9", subject="s", type="volunteer_hour", ts="2022-01-01", qty=bad)
        with self.assertRaises(TypeError):
            e.add(id="q9", subject="s", type="volunteer_hour", ts="2022-01-01", qty=[1])
        with self.assertRaisesRegex(TypeError, r"not float \(use Decimal\('2\.5'\) or a string\)"):
            e.add(id="q9", subject="s", type="volunteer_hour", ts="2022-01-01", qty=2.5)
        # NaN is pandas' empty cell: the hint was Decimal('nan'), which is
        # refused in turn (not finite); None is no qty.  inf has no Decimal either
        for bad, hint in ((float("nan"), r"nan \(an empty cell\?\): omit qty \(None\) for "
                                         r"an event without one"),
                          (float("inf"), r"inf \(a qty is finite\)"),
                          (float("-inf"), r"-inf \(a qty is finite\)")):
            with self.assertRaisesRegex(TypeError, r"^qty must be int, str or decimal\.Decimal, "
                                        r"not float %s$" % hint) as cm:
                e.add(id="q9", subject="s", type="volunteer_hour", ts="2022-01-01", qty=bad)
            self.assertNotIn("Decimal('", str(cm.exception))
        # a Decimal NaN (Decimal(x) of an empty cell) or infinity alike: it
        # was a plain ValueError "qty must be finite, not NaN", without the
        # advice; still a ValueError too, as 1.0 raised
        empty = r" \(an empty cell\?\): omit qty \(None\) for an event without one"
        for bad, shown, hint in ((D("NaN"), "Decimal('NaN')", empty),
                                 (D("-NaN"), "Decimal('-NaN')", empty),
                                 (D("sNaN"), "Decimal('sNaN')", empty),
                                 (D("Infinity"), "Decimal('Infinity')", ""),
                                 (D("-Infinity"), "Decimal('-Infinity')", "")):
            for kind in (TypeError, ValueError):
                with self.assertRaisesRegex(kind, r"^qty must be finite, not %s%s$"
                                            % (re.escape(shown), hint)) as cm:
                    e.add(id="q9", subject="s", type="volunteer_hour", ts="2022-01-01",
                          qty=bad)
            back = pickle.loads(pickle.dumps(cm.exception))
            self.assertEqual((type(back), str(back)), (type(cm.exception), str(cm.exception)))
        for bad in ("-1", "1.2345", "abc"):
            with self.assertRaises(civic.CivicError) as cm:
                e.add(id="q9", subject="s", type="volunteer_hour", ts="2022-01-01", qty=bad)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
        self.assertEqual(e.event_count, 5)

    def test_an_empty_cell_of_a_text_field_is_named(self):
        # pandas' empty cell (float nan) in a text column said only "ref must
        # be str, not float", where qty's says what it is and what to do
        base = dict(id="n1", subject="s", type="fine", ts="2022-03-01")
        for key in ("id", "subject", "type", "group", "ref", "act", "source"):
            with self.assertRaises(TypeError) as cm:
                self.engine.add(**dict(base, **{key: float("nan")}))
            said = str(cm.exception)
            self.assertTrue(said.startswith("%s must be str, not float nan (an empty cell?)"
                                            % key), said)
            if key in ("id", "subject", "type"):
                self.assertTrue(said.endswith(": every event has one"), said)
            else:
                self.assertTrue(said.endswith(": omit %s (None) for an event without one"
                                              % key), said)
        with self.assertRaisesRegex(TypeError, r"^ts must be .*, not float nan \(an empty "
                                               r"cell\?\): every event has one$"):
            self.engine.add(**dict(base, ts=float("nan")))
        with self.assertRaisesRegex(TypeError, r"^group must be str, not float nan \(an empty "
                                               r"cell\?\): omit group \(None\)$"):
            self.engine.rank(group=float("nan"))
        with self.assertRaisesRegex(TypeError, r"^ref must be str, not float$"):
            self.engine.add(**dict(base, ref=1.5))
        self.assertEqual(self.engine.event_count, 0)

    def test_numpy_datetime64_is_told_how_to_give_it(self):
        # a numpy array's or a pandas column's .values element is no
        # datetime: told what to give (pandas.Timestamp), or that NaT is an
        # empty cell; numpy is not needed to know it (stand-ins of its name)
        day = type("datetime64", (), {"__module__": "numpy", "__ne__": lambda a, b: False})()
        nat = type("datetime64", (), {"__module__": "numpy", "__ne__": lambda a, b: True})()
        base = dict(id="e1", subject="s1", type="fine")
        with self.assertRaises(TypeError) as cm:
            self.engine.add(ts=day, **base)
        self.assertEqual(str(cm.exception), "ts must be datetime, date, int or str, not "
                         "numpy.datetime64 (pandas.Timestamp(x) is a datetime, read as the "
                         "scheme's local time when it has no zone)")
        with self.assertRaises(TypeError) as cm:
            self.engine.score("s1", as_of=nat)
        self.assertEqual(str(cm.exception), "as_of must be datetime, date, int or str, not "
                         "numpy.datetime64 (NaT: an empty cell?)")
        # a type of that name from elsewhere is named as any other
        other = type("datetime64", (), {"__module__": "mylib"})()
        with self.assertRaisesRegex(TypeError, r"^ts must be datetime, date, int or str, "
                                               r"not datetime64$"):
            self.engine.add(ts=other, **base)
        self.assertEqual(self.engine.event_count, 0)

    def test_a_nan_json_dumps_wrote_is_named_by_load_as_add_names_it(self):
        # json.dumps writes a float NaN (pandas' empty cell) as NaN and inf
        # as Infinity, which are no JSON: load() said "must be a string or a
        # number" of qty, "must be a string" of a text field, "unexpected
        # character" naming no field of nan and "malformed number" of
        # -Infinity; now the field, what the value is and add()'s advice
        base = dict(id="n1", subject="s", type="fine", ts="2022-03-01")
        for key, value, said in (
                ("qty", float("nan"), "field 'qty': must be a string or a number (NaN is not "
                                      "JSON: an empty cell? write null or leave the key out)"),
                ("group", float("nan"), "field 'group': must be a string (NaN is not JSON: an "
                                        "empty cell? write null or leave the key out)"),
                ("subject", float("nan"), "field 'subject': must be a string (NaN is not JSON: "
                                          "an empty cell? every event has one)"),
                ("qty", float("-inf"), "field 'qty': must be a string or a number (-Infinity "
                                       "is not JSON, and a qty is finite)")):
            line = json.dumps(dict(base, **{key: value}))
            for data in (line.encode(), line.replace("NaN", "nan").encode()):
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load(data + b"\n")
                self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
                self.assertEqual(cm.exception.line, 1)
                self.assertEqual(cm.exception.message.split(": ", 1)[1],
                                 said.replace("NaN", "nan") if b"nan" in data else said)
        self.assertEqual(self.engine.event_count, 0)

    def test_a_log_whose_line_breaks_were_removed_is_refused(self):
        # one line, as curl -d sends a file: read as a header that named
        # id, subject, type and ts, it loaded no event and raised nothing
        text = "id,subject,type,ts\ne1,s,fine,2022-03-01\ne2,s,fine,2022-03-02\n"
        for data in (text.replace("\n", "").encode(), text.replace("\n", "")):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(data)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
            self.assertEqual((cm.exception.line, cm.exception.column), (1, 49))
            self.assertEqual(cm.exception.message,
                             "line 1, column 49: a column named like a time ('2022-03-02'), in a "
                             "header that is the whole input: were the log's line breaks "
                             "removed? curl -d removes them: send the file with --data-binary")
        self.assertEqual(self.engine.event_count, 0)
        # a '#' comment first, JSON Lines after it: read as CSV by its first line
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(b'# exported\n{"id":"j1","subject":"s","type":"fine",'
                             b'"ts":"2022-03-01"}\n')
        self.assertTrue(cm.exception.message.endswith(
            "(line 1 is a '#' comment, and the lines after it are JSON objects: an event log "
            "has no comment lines; delete it)"), cm.exception.message)
        # a header-only log is no events, and the log with its line breaks loads
        self.assertEqual(self.engine.load(b"id,subject,type,ts").accepted, 0)
        self.assertEqual(self.engine.load(text.encode()).accepted, 2)

    def test_pandas_na_is_named_an_empty_cell(self):
        # pandas.NA, the empty cell of a nullable dtype (convert_dtypes(),
        # "Int64", "string"), got "qty must be int, str or decimal.Decimal,
        # not NAType", where float NaN and NaT are told they may be an
        # empty cell; pandas is not needed to know it (TestVocabulary tries
        # pandas' own)
        def boolean(self):
            raise TypeError("boolean value of NA is ambiguous")
        NAType = type("NAType", (), {"__module__": "pandas._libs.missing",
                                     "__bool__": boolean, "__repr__": lambda self: "<NA>"})
        check_pandas_na(self, self.engine, NAType())
        # a type of that name from elsewhere is no empty cell
        other = type("NAType", (), {"__module__": "mylib"})()
        with self.assertRaisesRegex(TypeError, r"^qty must be int, str or decimal\.Decimal, "
                                               r"not NAType$"):
            self.engine.add(id="n1", subject="s", type="fine", ts="2022-03-01", qty=other)
        with self.assertRaisesRegex(TypeError, r"^group must be str, not NAType$"):
            self.engine.add(id="n1", subject="s", type="fine", ts="2022-03-01", group=other)

    def test_a_long_value_is_shown_cut(self):
        # a message repeated the whole argument, however long; the library
        # shows a field's first 40 characters and "...", and so does the binding
        long = "x" * 100000
        calls = (lambda: self.engine.list(long), lambda: self.rules.rule_info(long),
                 lambda: self.engine.score("s", as_of=long), lambda: self.rules.parse_time(long),
                 lambda: self.engine.purge(long), lambda: self.engine.rank(long + "/"),
                 lambda: self.engine.load("", format=long), lambda: civic.to_records([], long),
                 lambda: civic.split_part(b"s", 2) and civic.split(b"", 2, key=long),
                 lambda: self.engine.journal_open(os.devnull, sync=long))
        for call in calls:
            with self.assertRaises((civic.CivicError, ValueError)) as cm:
                call()
            said = str(cm.exception)
            self.assertIn("'%s...'" % ("x" * 40), said)
            self.assertLess(len(said), 400, said)
        # a short one is shown whole, as before
        with self.assertRaisesRegex(civic.CivicError, r"no flag or measure named 'nope' "):
            self.engine.list("nope")

    def test_integers_of_other_types_are_ints(self):
        # numpy.int64, as DataFrame.itertuples() gives a column of ints, is no
        # int subclass: any integer type (operator.index) is taken where an
        # int is, without numpy; a bool is no count or time, numpy's neither
        class Index:                       # numpy.int64 without numpy
            def __init__(self, n):
                self.n = n

            def __index__(self):
                return self.n
        NumpyBool = type("bool_", (), {"__index__": lambda self: 1})
        e = self.engine
        t = self.rules.parse_time("2022-03-01")
        self.assertTrue(e.add(id="n1", subject="s", type="volunteer_hour", ts=Index(t),
                              qty=Index(3)))
        self.assertEqual(self.rules.parse_time(Index(t)), t)
        self.assertEqual(e.parse_time(Index(t)), t)
        rec = e.record("s", as_of=Index(t))
        self.assertEqual((rec.entries[0].ts, rec.entries[0].qty), (t, D("3")))
        self.assertEqual(e.score("s", as_of=Index(t)).score, D("1004.50"))
        self.assertEqual(len(e.rank(top=Index(1), as_of=Index(t))), 1)
        self.assertEqual(e.groups(Index(0))[0].subjects, 1)
        self.assertEqual(self.rules.format_time(Index(t)), "2022-03-01T00:00:00+08:00")
        self.assertEqual(self.rules.rule_info(Index(0), change=Index(0)).code,
                         self.rules.rules[0])
        e.reserve(Index(10))
        with civic.Engine(self.rules, events_max=Index(5), threads=Index(1)) as e2:
            e2.add(id="n1", subject="s", type="fine", ts="2022-03-01")
        self.assertEqual(len(civic.split(b"id,subject,type,ts\n", Index(3),
                                         utc_offset=Index(0)).parts), 3)
        self.assertEqual(civic.split_part("r1", Index(5)), civic.split_part("r1", 5))
        # the ranges are those of an int
        with self.assertRaises(ValueError):
            e.rank(top=Index(0))
        with self.assertRaises(civic.CivicError):
            e.add(id="n2", subject="s", type="fine", ts=Index(2 ** 70))
        for name, kw in (("ts", dict(ts=NumpyBool())),
                         ("qty", dict(ts="2022-03-01", qty=NumpyBool()))):
            with self.assertRaisesRegex(TypeError, r"^%s must be .*, not bool_$" % name):
                e.add(id="n3", subject="s", type="volunteer_hour", **kw)
        with self.assertRaisesRegex(TypeError, r"^top must be int or None$"):
            e.rank(top=NumpyBool())
        self.assertEqual(e.event_count, 1)

    def test_bad_fields(self):
        e = self.engine
        cases = [
            dict(id="", subject="s", type="fine", ts="2022-01-01"),
            dict(id="x", subject="", type="fine", ts="2022-01-01"),
            dict(id="x", subject="s", type="nope", ts="2022-01-01"),
            dict(id="x", subject="s", type="revoke", ts="2022-01-01"),   # no ref
            dict(id="x", subject="s", type="redeem", ts="2022-01-01", qty="0"),
            dict(id="x", subject="s\x01", type="fine", ts="2022-01-01"),
        ]
        for kw in cases:
            with self.assertRaises(civic.CivicError, msg=repr(kw)) as cm:
                e.add(**kw)
            self.assertIn(cm.exception.code, (civic.CIVIC_E_EVENT, civic.CIVIC_E_LIMIT),
                          repr(kw))
        with self.assertRaises(civic.CivicError) as cm:
            e.add(id="x" * 129, subject="s", type="fine", ts="2022-01-01")
        self.assertIn(cm.exception.code, (civic.CIVIC_E_LIMIT, civic.CIVIC_E_EVENT))
        self.assertTrue(e.add(id="x" * 128, subject="s", type="fine", ts="2022-01-01"))
        with self.assertRaises(ValueError):
            e.add(id="x\0y", subject="s", type="fine", ts="2022-01-01")
        with self.assertRaises(TypeError):
            e.add(id=1, subject="s", type="fine", ts="2022-01-01")
        self.assertEqual(e.event_count, 1)

    def test_a_nul_or_a_lone_surrogate_in_a_field_is_refused_as_the_library_refuses_it(self):
        # A field holding a NUL (text from outside: a JSON "\u0000", which
        # the service refuses with CIVIC_E_EVENT) or a lone surrogate (a str
        # decoded with surrogateescape) gets the error the library gives the
        # same field holding a control byte: its code, the field's number
        # as the column, "field 'X': " and the value as its bytes -- the
        # NUL as \x00, the surrogate as the byte it was decoded from, or as
        # surrogatepass spells it, as a log's line shows them.  Still the
        # ValueError and the UnicodeEncodeError 1.0 raised.
        e = self.engine
        ev = dict(id="u1", subject="s", type="fine", ts="2022", qty="1", group="g",
                  ref="r", act="a", source="o")
        keys = ("id", "subject", "type", "ts", "qty", "group", "ref", "act", "source")
        for column, key in enumerate(keys, 1):
            with self.assertRaises(civic.CivicError) as cm:
                e.add(**dict(ev, **{key: ev[key] + "\x01b"}))
            control = cm.exception
            self.assertEqual((control.code, control.line, control.column),
                             (civic.CIVIC_E_EVENT, 0, column), key)
            self.assertTrue(control.message.startswith("field '%s': " % key), control.message)
            for bad, shown, also in (("\0", "\\x00", ValueError),
                                     ("\udcff", "\\xff", UnicodeEncodeError),
                                     ("\ud800", "\\xed\\xa0\\x80", UnicodeEncodeError)):
                with self.assertRaises(civic.CivicError, msg=(key, bad)) as cm:
                    e.add(**dict(ev, **{key: ev[key] + bad + "b"}))
                x = cm.exception
                self.assertIsInstance(x, also, (key, bad))
                # a byte of a Latin-1 letter (0xff, y with diaeresis) in a text
                # field (not a type, ts or qty) is told how to convert
                latin1 = (" (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)"
                          if bad == "\udcff" and key not in ("type", "ts", "qty") else "")
                self.assertEqual((x.code, x.line, x.column, x.message),
                                 (control.code, 0, column,
                                  control.message.replace("\\x01", shown) + latin1), (key, bad))
                self.assertEqual(str(x), "CIVIC_E_EVENT: " + x.message)
                y = pickle.loads(pickle.dumps(x))
                self.assertEqual((type(y), y.code, y.column, y.message),
                                 (type(x), x.code, x.column, x.message))
                if also is UnicodeEncodeError:
                    self.assertEqual((x.object, x.start, x.end),
                                     (ev[key] + bad + "b", len(ev[key]), len(ev[key]) + 1))
        # what a log's line says of the same field, after its line and column
        with self.assertRaises(civic.CivicError) as cm:
            e.load('{"id":"u1","subject":"s\\u0000b","type":"fine","ts":"2022"}\n')
        with self.assertRaises(ValueError) as nul:
            e.add(**dict(ev, subject="s\0b"))
        self.assertTrue(cm.exception.message.endswith(": " + nul.exception.message))
        # the library's checks in its order: a field too long is that first
        with self.assertRaises(ValueError) as cm:
            e.add(**dict(ev, subject="x" * 200 + "\0"))
        self.assertEqual((cm.exception.code, cm.exception.column), (civic.CIVIC_E_LIMIT, 2))
        self.assertIn("longer than 128 bytes", cm.exception.message)
        with self.assertRaises(civic.CivicError) as cm:       # an earlier field's error
            e.add(**dict(ev, id="", subject="s\0b"))
        self.assertEqual((cm.exception.column, cm.exception.message), (1, "field 'id': missing"))
        # a NUL beside a control byte, a backslash and a quote: each shown as it is
        with self.assertRaises(ValueError) as cm:
            e.add(**dict(ev, subject='\x01\0\\x01"\udcfe\0'))
        self.assertEqual(cm.exception.message,
                         "field 'subject': not UTF-8 text without control characters "
                         '"\\x01\\x00\\\\x01\\"\\xfe\\x00"')
        self.assertEqual(e.event_count, 0)
        self.assertTrue(e.add(**ev))   # the same event without them is one

    def test_events_max(self):
        with civic.Engine(self.rules, events_max=2) as e:
            e.add(id="a", subject="s", type="fine", ts="2022-01-01")
            e.add(id="b", subject="s", type="fine", ts="2022-01-02")
            with self.assertRaises(civic.CivicError) as cm:
                e.add(id="c", subject="s", type="fine", ts="2022-01-03")
            self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
            self.assertEqual(e.event_count, 2)
        with self.assertRaises(ValueError):
            civic.Engine(self.rules, events_max=-1)
        with self.assertRaisesRegex(ValueError, r"events_max must be 0\.\.18446744073709551615"):
            civic.Engine(self.rules, events_max=2 ** 70)
        with self.assertRaises(ValueError):
            civic.Engine(self.rules, threads=-1)
        with self.assertRaisesRegex(ValueError, r"threads must be 0\.\.4294967295"):
            civic.Engine(self.rules, threads=2 ** 32)
        with self.assertRaises(TypeError):
            civic.Engine(self.rules, threads=1.0)
        with self.assertRaises(TypeError):
            civic.Engine("rules")

    def test_engine_with_default_rules(self):
        with civic.Engine() as e:
            self.assertEqual(e.rules.fingerprint, civic.default_rules().fingerprint)


class TestLoad(Base):
    def test_reserve_is_a_hint(self):
        rows = []
        for reserve in (None, 2, 10 ** 6):
            with civic.Engine(self.rules) as e:
                if reserve is not None:
                    self.assertIsNone(e.reserve(reserve))
                e.load(CSV_GOOD)
                e.reserve(0)
                rows.append((e.event_count, e.subject_rows()))
        self.assertEqual(rows[0][0], 3)
        self.assertEqual(rows[1], rows[0])
        self.assertEqual(rows[2], rows[0])
        # capped at the engine's limit: a huge hint is no error
        with civic.Engine(self.rules, events_max=3) as e:
            e.reserve(2 ** 70)
            self.assertEqual(e.load(CSV_GOOD).accepted, 3)
        # more than the memory can hold: CIVIC_E_NOMEM, naming the number
        # given (2**64 and more went to C as 2**64 - 1, the number it named)
        for asked in (2 ** 64, 2 ** 70):
            with civic.Engine(self.rules) as e:
                try:
                    e.reserve(asked)
                except civic.CivicError as x:
                    self.assertEqual(x.code, civic.CIVIC_E_NOMEM)
                    self.assertIn("(%d asked" % asked, x.message)
                    self.assertIn("(%d asked" % asked, str(x))
                    self.assertNotIn(str(2 ** 64 - 1), str(x))
                else:
                    pass    # a machine with room for every event an engine holds
        with self.assertRaises(TypeError):
            self.engine.reserve(1.5)
        with self.assertRaises(TypeError):
            self.engine.reserve(True)
        with self.assertRaises(ValueError):
            self.engine.reserve(-1)

    def test_load_text(self):
        rep = self.engine.load(CSV_GOOD)
        self.assertIsInstance(rep, civic.LoadReport)
        self.assertEqual((rep.lines, rep.accepted, rep.duplicates, rep.rejected),
                         (4, 3, 0, 0))
        self.assertEqual(rep.rejections, [])
        rep = self.engine.load(CSV_GOOD.encode(), format="csv")
        self.assertEqual((rep.accepted, rep.duplicates), (0, 3))
        self.assertEqual(self.engine.event_count, 3)

    def test_load_paths(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.csv")
            with open(path, "w") as f:
                f.write(CSV_GOOD)
            self.assertEqual(self.engine.load_file(path).accepted, 3)            # str path
            self.assertEqual(self.engine.load(pathlib.Path(path)).duplicates, 3)
            self.assertEqual(self.engine.load_file(pathlib.Path(path)).duplicates, 3)
            self.assertEqual(self.engine.load_file(os.fsencode(path)).duplicates, 3)
            with self.assertRaises(FileNotFoundError) as cm:
                self.engine.load(pathlib.Path(d, "missing.csv"))
            self.assertIsInstance(cm.exception, civic.CivicError)           # 1.0 callers
            self.assertIsInstance(cm.exception, civic.CivicOSError)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_IO)
            self.assertEqual(cm.exception.errno, errno.ENOENT)
            self.assertEqual(cm.exception.filename, os.path.join(d, "missing.csv"))
            with self.assertRaises(FileNotFoundError):
                self.engine.load_file(os.path.join(d, "missing.jsonl"))
            with self.assertRaises(IsADirectoryError):
                self.engine.load_file(d)
            with self.assertRaises(FileNotFoundError):
                civic.Rules.from_file(os.path.join(d, "missing.toml"))
            with self.assertRaises(OSError) as cm:
                self.engine.save(os.path.join(d, "no", "such", "dir", "snap"))
            self.assertEqual(cm.exception.filename, os.path.join(d, "no", "such", "dir", "snap"))
            with civic.Engine(self.engine.rules) as other:
                with self.assertRaises(IsADirectoryError) as cm:
                    other.journal_open(d)
                self.assertEqual(cm.exception.filename, d)
            # the file name as given, where the message shortens it (over 143
            # bytes) or cannot show its bytes (not UTF-8)
            for name in (os.path.join(d, "é" * 100 + ".csv"), os.fsencode(d) + b"/\xff.csv",
                         pathlib.Path(d, "x" * 200)):
                with self.assertRaises(FileNotFoundError) as cm:
                    self.engine.load_file(name)
                self.assertEqual(cm.exception.filename, os.fspath(name))
                self.assertNotIn("\ufffd", str(cm.exception.filename))

    def test_text_given_for_a_path_says_so_on_one_line(self):
        # load_file(log text) raised FileNotFoundError "cannot open
        # id,subject,type,ts<LF>x1,...: No such file or directory", the log
        # printed line by line: a path holding a line break is surely text,
        # and the message says so first, its line breaks escaped; the error
        # is the same class, errno and .filename
        log = "id,subject,type,ts\nx1,r1,fine,2022-03-01\n"
        jsonl = '{"id":"j1","subject":"s1","type":"fine","ts":"2022-03-01","group":"d1/s2"}\n'
        toml = '[scheme]\nname = "x"\n'
        as_log = "load_file() takes a path; this looks like log text: call load() with it; "
        as_rules = ("Rules.from_file() takes a path; this looks like rules text: call "
                    "Rules.from_text() with it; as a path: ")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.csv")
            with open(path, "w") as f:
                f.write(CSV_GOOD)
            rules_path = os.path.join(d, "rules.toml")
            with open(rules_path, "w") as f:
                f.write(RULES)
            for call, given, said in (
                    (self.engine.load_file, log,
                     as_log + "as a path: cannot open " + log.replace("\n", "\\n") +
                     ": No such file or directory"),
                    (self.engine.load_file, log.replace("\n", "\r\n").encode(),
                     as_log + "as a path: cannot open " + log.replace("\n", "\\r\\n") +
                     ": No such file or directory"),
                    (self.engine.load_file, "x1,r1,fine,1\n",
                     as_log + "as a path: cannot open x1,r1,fine,1\\n: No such file or "
                              "directory"),
                    (self.engine.load_file, jsonl,
                     as_log + "as a path: cannot open " + jsonl.replace("\n", "\\n") +
                     ": No such file or directory"),
                    (self.engine.load_file, path + "\n",
                     "load_file() was given a path that ends in a line break (a line read "
                     "with readline() keeps its line break): strip it; as a path: cannot open "
                     + path + "\\n: No such file or directory"),
                    (civic.Rules.from_file, toml,
                     as_rules + 'cannot open [scheme]\\nname = "x"\\n: No such file or '
                                'directory'),
                    # the other kind's text: named as what it is, with the call
                    # that reads it (it named the call's own kind)
                    (civic.Rules.from_file, log,
                     "Rules.from_file() takes a path; this looks like log text: call an "
                     "Engine's load() with it; as a path: cannot open "
                     + log.replace("\n", "\\n") + ": No such file or directory"),
                    (civic.Rules.from_file, jsonl,
                     "Rules.from_file() takes a path; this looks like log text: call an "
                     "Engine's load() with it; as a path: cannot open "
                     + jsonl.replace("\n", "\\n") + ": No such file or directory"),
                    (self.engine.load_file, "# a comment\n" + toml,
                     "load_file() takes a path; this looks like rules text: call "
                     "Rules.from_text() with it; as a path: cannot open # a comment\\n"
                     '[scheme]\\nname = "x"\\n: No such file or directory'),
                    (self.engine.load_file, 'name = "x"\nweights = [1, 2]\n',
                     "load_file() takes a path; this looks like rules text: call "
                     "Rules.from_text() with it; as a path: cannot open name = \"x\"\\n"
                     "weights = [1, 2]\\n: No such file or directory"),
                    (civic.Rules.from_file, rules_path + "\r\n",
                     "Rules.from_file() was given a path that ends in a line break (a line "
                     "read with readline() keeps its line break): strip it; as a path: cannot "
                     "open " + rules_path + "\\r\\n: No such file or directory")):
                with self.assertRaises(FileNotFoundError) as cm:
                    call(given)
                e = cm.exception
                self.assertIsInstance(e, civic.CivicOSError)
                self.assertEqual((e.code, e.errno, e.filename),
                                 (civic.CIVIC_E_IO, errno.ENOENT, given))
                self.assertEqual(e.message, said)
                self.assertEqual(str(e), "CIVIC_E_IO: " + said)
                self.assertEqual(e.args[1], said)
                back = pickle.loads(pickle.dumps(e))
                self.assertEqual((type(back), back.errno, back.filename, back.message),
                                 (type(e), errno.ENOENT, given, said))
            # a long log: the library shows its first 40 and last 100 bytes,
            # their line breaks escaped too (a name longer than 255 bytes:
            # ENAMETOOLONG, as before)
            long_log = "id,subject,type,ts\n" + "x1,r1,fine,1\n" * 40
            with self.assertRaises(OSError) as cm:
                self.engine.load_file(long_log)
            e = cm.exception
            self.assertEqual((e.errno, e.filename), (errno.ENAMETOOLONG, long_log))
            self.assertTrue(e.message.startswith(as_log + "as a path: cannot open "
                                                 "id,subject,type,ts\\nx1,r1,fine,1\\n"),
                            e.message)
            self.assertIn("...", e.message)
            self.assertNotIn("\n", str(e))
            # a path without a line break, or one that names a file: as before
            with self.assertRaises(FileNotFoundError) as cm:
                self.engine.load_file(os.path.join(d, "missing.csv"))
            self.assertEqual(cm.exception.message, "cannot open %s: No such file or directory"
                             % os.path.join(d, "missing.csv"))
            odd = os.path.join(d, "odd\nname.csv")
            shutil.copy(path, odd)
            self.assertEqual(self.engine.load_file(odd).accepted, 3)
            shutil.copy(rules_path, odd)
            with civic.Rules.from_file(odd) as r:
                self.assertEqual(r.fingerprint, self.rules.fingerprint)

    def test_a_path_with_a_blank_after_it_is_told_so(self):
        # load("events.csv ") (a blank copied with the path) got the advice
        # for a log whose line breaks curl -d removed; load_file() and
        # Rules.from_file() only "cannot open events.csv : No such file",
        # the blank out of sight.  Its blanks are named as a line break
        # at the end is, when without them the path names a file.
        header = ("line 1: the header has no 'id', 'subject', 'type' or 'ts' column "
                  "(required: id, subject, type, ts)")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.csv")
            with open(path, "w") as f:
                f.write(CSV_GOOD)
            rules_path = os.path.join(d, "rules.toml")
            with open(rules_path, "w") as f:
                f.write(RULES)
            one = "it ends in a blank, and without it names a file: strip it"
            two = "it ends in 2 blanks, and without them names a file: strip them"
            load = ", then pass a pathlib.Path or an open file, or call load_file(), to read " \
                   "the file; as events: "
            for text, said in ((path + " ", one), (path + "\t", one), (path + " \t", two)):
                for call in (self.engine.load,
                             lambda t: civic.compare(t, self.rules, self.rules)):
                    with self.assertRaises(civic.CivicError) as cm:
                        call(text)
                    self.assertEqual(cm.exception.message, "the str was read as events "
                                     "text: " + said + load + header, repr(text))
                    self.assertNotIn("curl", str(cm.exception))
                with self.assertRaises(civic.CivicError) as cm:
                    civic.split(text, 2)
                self.assertEqual(cm.exception.message, "the str was read as events text: " +
                                 said + ", then pass its bytes (open(path, 'rb').read()) to "
                                 "split the file; as events: " + header)
            rep = self.engine.load(path + " ", format="jsonl", lenient=True)
            self.assertEqual(rep.rejections[0].message, "the str was read as events text: " +
                             one + load + "line 1, column 1: expected a JSON object '{'")
            with self.assertRaises(civic.CivicError) as cm:
                civic.Rules.from_text(rules_path + " ")
            self.assertTrue(cm.exception.message.startswith(
                "the str was read as rules text: " + one + ", then call Rules.from_file() to "
                "read the file; as rules: line 1, column "), cm.exception.message)
            # a path given for one: the same words, before the library's
            for call, name, given, said in (
                    (self.engine.load_file, "load_file", path + " ", one),
                    (self.engine.load_file, "load_file", (path + "  ").encode(), two),
                    (self.engine.load_file, "load_file", pathlib.Path(path + "\t"), one),
                    (civic.Rules.from_file, "Rules.from_file", rules_path + " ", one)):
                with self.assertRaises(FileNotFoundError) as cm:
                    call(given)
                e = cm.exception
                shown = os.fsdecode(given)
                self.assertEqual((e.code, e.errno, e.filename),
                                 (civic.CIVIC_E_IO, errno.ENOENT, os.fspath(given)))
                self.assertEqual(e.message, "%s() was given a path that ends in %s; as a path: "
                                 "cannot open %s: No such file or directory"
                                 % (name, said[len("it ends in "):], shown))
            # no such hint where the path without its blanks names nothing or
            # no regular file, or the path with them names a file
            for text in (os.path.join(d, "missing.csv") + " ", d + " ", " "):
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load(text)
                self.assertNotIn("ends in", cm.exception.message, repr(text))
                with self.assertRaises(civic.CivicOSError) as cm:
                    self.engine.load_file(text)
                self.assertNotIn("ends in", cm.exception.message, repr(text))
            shutil.copy(path, path + " ")
            self.assertEqual(self.engine.load_file(path + " ").accepted, 3)
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(path + " ")
            self.assertTrue(cm.exception.message.startswith(
                "the str was read as events text, not as the path of the file it names"))

    def test_text_that_is_not_utf8_names_its_argument(self):
        # a lone surrogate (a str decoded with surrogateescape: file names, argv)
        bad = "s\udcff"
        calls = {"subject:": lambda: self.engine.score(bad),
                 "group:": lambda: self.engine.rank(group=bad),
                 "field 'ts':": lambda: self.engine.add(id="u1", subject="s", type="fine",
                                                        ts="2022" + bad)}
        for what, call in calls.items():
            with self.assertRaises(UnicodeEncodeError) as cm:
                call()
            self.assertIn(what, str(cm.exception))
            self.assertIsInstance(cm.exception, ValueError)
        # SPEC 7: every error is a CivicError, with the code a load gives
        # text that is not UTF-8 and the surrogate's index (from 0, said so:
        # "at character 1" read as the first); still
        # a UnicodeEncodeError for callers that catch that (an event's
        # field: test_a_nul_or_a_lone_surrogate_in_a_field_is_refused_...)
        r = self.engine.rules
        ev = dict(id="u1", subject="s", type="fine", ts="2022-01-01")
        calls = {"subject": (lambda: self.engine.score(bad), 1),
                 "group": (lambda: self.engine.rank(group=bad), 1),
                 "time": (lambda: r.parse_time("2022" + bad), 5)}
        for what, (call, at) in calls.items():
            with self.assertRaises(civic.CivicError) as cm:
                call()
            e = cm.exception
            self.assertEqual(e.code, civic.CIVIC_E_EVENT, what)
            self.assertIsInstance(e, UnicodeEncodeError)
            self.assertEqual(e.message, what + ": a lone surrogate ('\\udcff') at index %d is "
                             "not UTF-8 text" % at)
            self.assertEqual((e.start, e.object[at]), (at, "\udcff"))
            self.assertEqual(pickle.loads(pickle.dumps(e)).message, e.message)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.add(**dict(ev, ts="2022-01-01T00:00" + bad))
        self.assertEqual((cm.exception.start, cm.exception.column), (17, 4))
        # a rules text is the bytes it was decoded from, as a log is (and as
        # the CLI reads the file): the parser's error at its line and byte
        # column where it holds one, none in a comment
        with self.assertRaises(civic.CivicError) as cm:
            civic.Rules.from_text('[scheme]\nname = "\u00e9%s"\n' % bad)
        e = cm.exception
        self.assertEqual((e.code, e.line, e.column), (civic.CIVIC_E_SYNTAX, 2, 12))
        self.assertEqual(str(e), "CIVIC_E_SYNTAX: line 2, column 12: 'name': string is not "
                                 "valid UTF-8 (Latin-1 text? convert it with iconv -f "
                                 "WINDOWS-1252 -t UTF-8)")
        raw = b"# caf\xe9, Latin-1\n" + RULES.encode()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.toml")
            with open(path, "wb") as f:
                f.write(raw)
            with open(path, errors="surrogateescape") as f:
                text = f.read()
            self.assertIn("\udce9", text)
            self.assertEqual(civic.Rules.from_text(text).fingerprint,
                             civic.Rules.from_file(path).fingerprint)
        # in a log it is one bad line, named as the CLI names the same bytes:
        # strict, the batch fails there; lenient, the other lines load
        log = ("id,subject,type,ts\nu1,s,fine,2022-01-01\nu2,%s,fine,2022-01-02\n"
               "u3,s,fine,2022-01-03\n" % bad)
        for source in (log, io.StringIO(log)):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(source)
            self.assertEqual((cm.exception.line, cm.exception.column), (3, 4))
            self.assertIn("UTF-8", cm.exception.message)
            self.assertEqual(self.engine.event_count, 0)
        rep = self.engine.load(log, lenient=True)
        self.assertEqual((rep.accepted, rep.rejected), (2, 1))
        self.assertEqual(rep.rejections[0].line, 3)
        # the bytes the text was decoded from: the same report as for them
        raw = b"id,subject,type,ts\nu1,s\xff\xfe,fine,2022-01-01\nu2,s,nope,2022-01-02\n"
        want = civic.Engine().load(raw, lenient=True).rejections
        got = civic.Engine().load(raw.decode("utf-8", "surrogateescape"), lenient=True).rejections
        self.assertEqual([(r, r.offset) for r in got], [(r, r.offset) for r in want])
        self.assertEqual(len(want), 2)
        # another lone surrogate further on changes nothing before it
        more = raw.decode("utf-8", "surrogateescape") + "u3,s\ud800,fine,2022-01-03\n"
        got = civic.Engine().load(more, lenient=True).rejections
        self.assertEqual([(r, r.offset) for r in got[:2]], [(r, r.offset) for r in want])
        self.assertEqual((got[2].line, got[2].offset), (4, len(raw)))
        # a lone surrogate no bytes were decoded from: the bytes that spell it
        with self.assertRaises(civic.CivicError) as cm:
            civic.Rules.from_text("[scheme]\nname = \"\ud800\"\n")
        self.assertEqual((cm.exception.line, cm.exception.column), (2, 9))
        self.assertIn("not valid UTF-8", cm.exception.message)

    def test_a_subject_too_long_to_exist_says_so(self):
        for call in (self.engine.score, self.engine.record):
            with self.assertRaises(civic.CivicError) as cm:
                call("x" * 129)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
            self.assertIn("longer than 128 bytes", str(cm.exception))
        self.assertEqual(self.engine.score("x" * 128).events, 0)   # the bound itself is fine

    def test_a_subject_no_event_can_have_answers_base(self):
        # An empty subject, or one with a control character (C0, DEL, C1),
        # has no events: score() and record() answer base with no events,
        # as 1.0 did and as civic_engine_subject answers (a 1.0 program that
        # scores ids read from outside must not start to fail on one);
        # add() still refuses it as an event's subject, and `in` says False.
        self.engine.add(id="e0", subject="r1", type="fine", ts="2022-01-01")
        base = self.engine.score("nobody")
        for bad in ("", "r1\n", "r1\t", "\x7f", "r\x85", "\x1b[2J"):
            with self.assertRaises(civic.CivicError):
                self.engine.add(id="e1", subject=bad, type="fine", ts="2022-01-01")
            s = self.engine.score(bad)
            self.assertEqual((s.subject, s.score, s.balance, s.grade, s.events),
                             (bad, base.score, base.balance, base.grade, 0), repr(bad))
            rec = self.engine.record(bad)
            self.assertEqual((rec.entries, rec.summary.score, rec.summary.events),
                             ([], base.score, 0), repr(bad))
            self.assertNotIn(bad, self.engine)
            # the C library's answer for the same bytes
            out = civic._capi.result_p()
            with self.engine._use() as p:
                civic._lib.civic_engine_subject(p, bad.encode(), rec.as_of,
                                                civic._capi.ctypes.byref(out))
            try:
                self.assertEqual(civic._lib.civic_result_count(out), 1)
            finally:
                civic._lib.civic_result_free(out)
        # printable text beyond ASCII is a subject
        self.assertEqual(self.engine.score("r\u00e9\u4e00 1").events, 0)

    def test_a_str_is_text_but_a_1_0_file_name_still_reads_the_file(self):
        with tempfile.TemporaryDirectory() as d:
            cwd = os.getcwd()
            os.chdir(d)
            try:
                # a file whose name is a valid one-line CSV header: text (it
                # has commas), not that file (1.0 read the file)
                with open("id,subject,type,ts", "w") as f:
                    f.write(CSV_GOOD)
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    rep = self.engine.load("id,subject,type,ts")
                self.assertEqual((rep.lines, rep.accepted), (1, 0))
                # what cannot be events and ends as a log does, as 1.0 read
                # it: the file, with a FutureWarning (shown by default) that
                # names the caller's line, through compare() too
                with open("events.csv", "w") as f:
                    f.write(CSV_GOOD)
                with self.assertWarnsRegex(FutureWarning, "load_file") as cm:
                    rep = self.engine.load("events.csv")
                self.assertEqual(rep.accepted, CSV_GOOD.count("\n") - 1)
                self.assertEqual(cm.filename, __file__)
                with self.assertWarns(FutureWarning) as cm:
                    civic.compare("events.csv", self.engine.rules, self.engine.rules)
                self.assertEqual(cm.filename, __file__)
                # once, not once per scheme, and about the call made: compare
                # has no load_file(), a pathlib.Path is what it reads as a file
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    c = civic.compare("events.csv", self.engine.rules, self.engine.rules)
                self.assertEqual(c.subjects_total, 3)
                self.assertEqual([str(w.message) for w in caught],
                                 ["civic.compare('events.csv') reads a file as libcivic 1.0 "
                                  "did; libcivic 2 reads every str as events: pass a "
                                  "pathlib.Path for a path"])
                self.assertEqual(caught[0].filename, __file__)
                with self.assertWarns(FutureWarning):
                    with self.assertRaises(civic.CivicOSError) as cm:
                        civic.compare("missing.csv", self.engine.rules, self.engine.rules)
                self.assertEqual(cm.exception.filename, "missing.csv")
                with self.assertWarns(FutureWarning):
                    with self.assertRaises(civic.CivicOSError) as cm:
                        self.engine.load("missing.jsonl")
                self.assertIsInstance(cm.exception, FileNotFoundError)
                # not a file without that ending, nor one that is no regular
                # file (a str may come from outside: it names no such file)
                with open("log", "w") as f:
                    f.write("id,subject,type,ts\nz1,s9,fine,2022-03-04\n")
                os.mkfifo("pipe.csv")
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    for text in ("log", "pipe.csv", "nothing"):
                        with self.assertRaises(civic.CivicError) as cm:
                            self.engine.load(text)
                        self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
                    self.assertEqual(self.engine.load("").accepted, 0)
                self.assertEqual(self.engine.event_count, CSV_GOOD.count("\n") - 1)
            finally:
                os.chdir(cwd)

    def test_a_str_naming_a_file_is_text_and_the_error_says_so(self):
        # load("/path/events.txt") reads the str as events (1.0 read the
        # file): the CSV or JSON error alone ("the header has no 'id',
        # 'subject', 'type' or 'ts' column", with the library's advice for a
        # log whose line breaks curl -d removed) leaves the caller to guess
        # why, so when a one-line str that looks like a path fails, the
        # message says first how it was read and what reads a file, then the
        # library's words without that advice
        header = ("line 1: the header has no 'id', 'subject', 'type' or 'ts' column "
                  "(required: id, subject, type, ts)")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.txt")
            with open(path, "w") as f:
                f.write(CSV_GOOD)
            hint = ("the str was read as events text, not as the path of the file it names: "
                    "pass a pathlib.Path or an open file, or call load_file(), to read the file")
            cwd = os.getcwd()
            os.chdir(d)
            try:
                for text, kw, said in ((path, {}, header), ("events.txt", {}, header),
                                       (path, {"lenient": True}, header),
                                       (path, {"format": "jsonl"},
                                        "line 1, column 1: expected a JSON object '{'")):
                    with self.assertRaises(civic.CivicError) as cm:
                        self.engine.load(text, **kw)
                    e = cm.exception
                    self.assertEqual((e.code, e.line), (civic.CIVIC_E_SYNTAX, 1))
                    self.assertEqual(e.message, hint + "; as events: " + said)
                    self.assertEqual(e.args, (e.code, e.message, e.line, e.column, e.offset))
                    self.assertEqual(e.report.accepted, 0)
                    # the message names the line: str() puts none before it
                    self.assertEqual(str(e), "CIVIC_E_SYNTAX: " + e.message)
                # a lenient JSON Lines load skips the one line, and says so
                rep = self.engine.load(path, format="jsonl", lenient=True)
                self.assertEqual((rep.lines, rep.accepted, rep.rejected), (1, 0, 1))
                r = rep.rejections[0]
                self.assertEqual((r.line, r.column, r.code), (1, 1, civic.CIVIC_E_SYNTAX))
                self.assertEqual(r.message, hint + "; as events: line 1, column 1: expected "
                                 "a JSON object '{'")
                rep = self.engine.load('{"id":"x"}', format="jsonl", lenient=True)
                self.assertNotIn("read as events text", rep.rejections[0].message)
                # a path that names nothing, but has a directory or an
                # extension no log has (/data/events.csv2: a file name all
                # the same), is not opened either, and the error says so
                # first, without the advice about curl -d
                gone = ("the str was read as events text, not as a file name: pass a "
                        "pathlib.Path or an open file, or call load_file(), to read a file")
                for text in (os.path.join(d, "missing.txt"), "events.csv2", "/data/events.csv2",
                             "data/events", "C:\\data\\events", "events.TSV"):
                    with self.assertRaises(civic.CivicError) as cm:
                        self.engine.load(text)
                    self.assertEqual(cm.exception.message, gone + "; as events: " + header,
                                     text)
                    self.assertNotIn("curl", str(cm.exception))
                    with self.assertRaises(civic.CivicError) as cm:
                        civic.compare(text, self.engine.rules, self.engine.rules)
                    self.assertEqual(cm.exception.message, gone + "; as events: " + header)
                rep = self.engine.load("/data/events.csv2", format="jsonl", lenient=True)
                self.assertEqual(rep.rejections[0].message, gone + "; as events: line 1, "
                                 "column 1: expected a JSON object '{'")
                # a path read with readline(): its line break is named
                for text in (path + "\n", path + "\r\n"):
                    with self.assertRaises(civic.CivicError) as cm:
                        self.engine.load(text)
                    self.assertEqual(
                        cm.exception.message,
                        "the str was read as events text: it ends in a line break, and "
                        "without it names a file (a line read with readline() keeps its line "
                        "break): strip it, then pass a pathlib.Path or an open file, or call "
                        "load_file(), to read the file; as events: " + header)
                # no hint where the str is not one line, could be events (a
                # comma, a brace), or names nothing and has no directory nor
                # extension: the library's words as they are
                for text in (path + "\nx", path + "\n\n",
                             os.path.join(d, "missing.txt") + "\n", d + "\n", "nothing",
                             "2.5", "a,b.txt", "{x}.txt", "/a,b"):
                    with self.assertRaises(civic.CivicError) as cm:
                        self.engine.load(text)
                    self.assertNotIn("read as events text", cm.exception.message, text)
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load("nothing")
                self.assertEqual(cm.exception.message, header + " (the header is the whole "
                                 "input, without a line break: were the log's line breaks "
                                 "removed? curl -d removes them: send the file with "
                                 "--data-binary)")
                # a directory or a FIFO, even named .csv, is not opened from a
                # str: the error says so, not only that the header has no 'id',
                # 'subject', 'type' or 'ts' column
                os.mkdir("dir.csv")
                os.mkfifo("pipe.csv")
                for text, kind in (("dir.csv", "a directory"), (d, "a directory"),
                                   ("pipe.csv", "a FIFO")):
                    with self.assertRaises(civic.CivicError) as cm:
                        self.engine.load(text)
                    self.assertEqual(
                        cm.exception.message,
                        "the str was read as events text: the path it names is %s, which "
                        "load() does not open from a str; as events: %s" % (kind, header))
                self.assertEqual(self.engine.event_count, 0)
                # read as a file when given as one
                self.assertEqual(self.engine.load(pathlib.Path(path)).accepted, 3)
            finally:
                os.chdir(cwd)

    def test_bytes_naming_a_file_are_text_and_the_error_says_so(self):
        # load(b"events.csv"), a path's bytes given for the log: they were
        # read as a one-line CSV header and got the library's advice about
        # a log whose line breaks curl -d removed; they get the words a str
        # naming the file gets, said of the bytes
        header = ("line 1: the header has no 'id', 'subject', 'type' or 'ts' column "
                  "(required: id, subject, type, ts)")
        reads = ("pass a pathlib.Path or an open file, or call load_file(), to read the "
                 "file; as events: ")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.csv")
            with open(path, "w") as f:
                f.write(CSV_GOOD)
            cwd = os.getcwd()
            os.chdir(d)
            try:
                for raw in (b"events.csv", os.fsencode(path)):
                    for given, noun in ((raw, "the bytes object"),
                                        (bytearray(raw), "the bytearray")):
                        for call in (self.engine.load,
                                     lambda t: civic.compare(t, self.rules, self.rules)):
                            with self.assertRaises(civic.CivicError) as cm:
                                call(given)
                            e = cm.exception
                            self.assertEqual((e.code, e.line), (civic.CIVIC_E_SYNTAX, 1))
                            self.assertEqual(e.message, noun + " was read as events text, "
                                             "not as the path of the file it names: " +
                                             reads + header)
                            self.assertNotIn("curl", str(e))
                            # the message names the line: str() puts none before it
                            self.assertEqual(str(e), "CIVIC_E_SYNTAX: " + e.message)
                # a lenient JSON Lines load skips the one line, and says so
                rep = self.engine.load(b"events.csv", format="jsonl", lenient=True)
                self.assertEqual(rep.rejections[0].message,
                                 "the bytes object was read as events text, not as the path "
                                 "of the file it names: " + reads +
                                 "line 1, column 1: expected a JSON object '{'")
                # with the line break readline() leaves, or naming a FIFO
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load(b"events.csv\n")
                self.assertEqual(cm.exception.message,
                                 "the bytes object was read as events text: it ends in a "
                                 "line break, and without it names a file (a line read with "
                                 "readline() keeps its line break): strip it, then " +
                                 reads + header)
                os.mkfifo("pipe.csv")
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load(b"pipe.csv")
                self.assertEqual(cm.exception.message,
                                 "the bytes object was read as events text: the path it "
                                 "names is a FIFO, which load() does not open from a bytes "
                                 "object; as events: " + header)
                # split() says it in its words
                with self.assertRaises(civic.CivicError) as cm:
                    civic.split(b"events.csv", 2)
                self.assertEqual(cm.exception.message,
                                 "the bytes object was read as events text, not as the path "
                                 "of the file it names: pass its bytes (open(path, "
                                 "'rb').read()) to split the file; as events: " + header)
                # bytes that name nothing and look like no path, or hold a
                # comma, keep the library's words
                for raw in (b"nothing", b"events,csv"):
                    with self.assertRaises(civic.CivicError) as cm:
                        self.engine.load(raw)
                    self.assertNotIn("read as events text", cm.exception.message)
                    self.assertIn("curl -d", cm.exception.message)
                self.assertEqual(self.engine.event_count, 0)
            finally:
                os.chdir(cwd)

    def test_load_file_objects(self):
        rep = self.engine.load(io.StringIO(CSV_GOOD))
        self.assertEqual(rep.accepted, 3)
        rep = self.engine.load(io.BytesIO(CSV_GOOD.encode()), format="csv")
        self.assertEqual(rep.duplicates, 3)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "e.jsonl")
            with open(path, "w") as f:
                f.write('{"id":"f1","subject":"s9","type":"fine","ts":"2022-03-01"}\n')
            with open(path, "rb") as f:
                self.assertEqual(self.engine.load(f).accepted, 1)
            with open(path, encoding="utf-8") as f:
                self.assertEqual(self.engine.load(f).duplicates, 1)
        self.assertEqual(self.engine.load(bytearray(b"id,subject,type,ts\n")).lines, 1)
        self.assertEqual(self.engine.load(memoryview(b"id,subject,type,ts\n")).lines, 1)

        class Odd:
            def read(self):
                return 42
        with self.assertRaises(TypeError):
            self.engine.load(Odd())

    def test_load_reads_buffers_in_place(self):
        # a bytearray, an mmap and any contiguous memoryview of them (a
        # read-only one too) are read where they are: the load allocates no
        # copy of the input, and the buffer is free again afterwards
        import mmap
        import tracemalloc
        body = "".join("b%d,s%d,volunteer_hour,2024-05-%02d\n" % (i, i % 50, 1 + i % 28)
                       for i in range(40000)).encode()
        data = b"id,subject,type,ts\n" + body
        with civic.Engine(self.rules) as ref:
            ref.load(data)
            want = binding_rows(ref.subjects("2024-06-01"))
        block = bytearray(b"junk" + data + b"junk")
        mapped = mmap.mmap(-1, len(data))
        mapped[:] = data
        mapped.seek(len(data))          # an mmap is read whole, not from its position
        cases = [bytearray(data), memoryview(block)[4:4 + len(data)],
                 memoryview(block)[4:4 + len(data)].toreadonly(), memoryview(mapped), mapped]
        for buf in cases:
            with civic.Engine(self.rules) as e:
                tracemalloc.start()
                try:
                    rep = e.load(buf, format="csv")
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                self.assertEqual(rep.accepted, 40000)
                self.assertLess(peak, len(data) // 4, type(buf).__name__)
                self.assertEqual(binding_rows(e.subjects("2024-06-01")), want)
            if isinstance(buf, memoryview):
                buf.release()
        block.extend(b"more")           # not exported any more
        mapped.close()
        # a bad line: the error is raised, and the buffer is not held by it
        bad = bytearray(b"id,subject,type,ts\nx1,s1,no_such_type,2024-01-01\n")
        kept = None
        with civic.Engine(self.rules) as e:
            try:
                e.load(bad)
            except civic.CivicError as err:
                kept = err
        self.assertIsNotNone(kept)
        self.assertEqual(kept.line, 2)
        bad.extend(b"more")
        # a view that is not contiguous is read as its bytes
        with civic.Engine(self.rules) as e:
            strided = memoryview(b"iidd,,ssuubbjjeecctt,,ttyyppee,,ttss\n\n")[::2]
            self.assertEqual(e.load(strided, format="csv").lines, 1)
        # where ctypes cannot reach the C buffer API, a writable buffer is
        # still read in place and a read-only one copied: the same answers
        from unittest import mock
        with mock.patch.object(civic, "_BUFFER_API", None):
            for buf in (bytearray(data), memoryview(data), memoryview(bytearray(data))):
                with civic.Engine(self.rules) as e:
                    self.assertEqual(e.load(buf, format="csv").accepted, 40000)
                    self.assertEqual(binding_rows(e.subjects("2024-06-01")), want)
            parts = civic.split(bytearray(data), 3, self.rules, views=True)
            self.assertEqual(sum(parts.part_events), 40000)

    def test_load_jsonl(self):
        text = ('{"id":"j1","subject":"s1","type":"fine","ts":"2022-03-01"}\n'
                '\n'
                '{"id":"j2","subject":"s1","type":"volunteer_hour","ts":1646064000,'
                '"qty":2.5,"extra":true}\n')
        rep = self.engine.load(text)                           # auto: '{'
        self.assertEqual((rep.accepted, rep.rejected), (2, 0))
        rep = self.engine.load(text, format="jsonl")
        self.assertEqual(rep.duplicates, 2)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.jsonl")
            with open(path, "w") as f:
                f.write(text.replace("j1", "k1").replace("j2", "k2"))
            self.assertEqual(self.engine.load_file(path).accepted, 2)
        self.assertEqual(self.engine.event_count, 4)

    def test_a_format_is_named_in_any_case(self):
        # "JSONL" was refused though "ndjson" was taken: every name the
        # module takes, in any case, for a load and a split
        jsonl = '{"id":"j1","subject":"s1","type":"fine","ts":"2022-03-01"}\n'
        for name, text in (("JSONL", jsonl), ("NDJson", jsonl), ("CSV", CSV_GOOD),
                           ("Auto", CSV_GOOD), ("jsonl", jsonl)):
            with civic.Engine(self.rules) as e:
                self.assertGreater(e.load(text, format=name).accepted, 0, name)
            self.assertEqual(civic.split(text, 2, format=name).events,
                             len(text.strip().split("\n")) - (name in ("CSV", "Auto")), name)
        with self.assertRaises(ValueError):
            civic.split(jsonl, 2, format="json")

    def test_pretty_printed_json_is_refused_whole(self):
        # json.dumps(indent=2) of each event: its first line, a '{' alone,
        # was "expected a key string", and a lenient load skipped every line
        text = "".join(json.dumps({"id": i, "subject": "s1", "type": "fine", "ts": "2022-03-01"},
                                  indent=2) + "\n" for i in ("p1", "p2"))
        said = ("line 1: a JSON object over several lines (pretty-printed JSON): JSON Lines is "
                "one object a line (jq -c . FILE)")
        for lenient in (False, True):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(text, lenient=lenient)
            self.assertEqual((cm.exception.code, cm.exception.line, cm.exception.message),
                             (civic.CIVIC_E_SYNTAX, 1, said))
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.jsonl")
            with open(path, "w") as f:
                f.write(text)
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load_file(path, lenient=True)
            self.assertEqual(cm.exception.message, said)
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(text, 2)
        self.assertEqual(cm.exception.message, said)
        self.assertEqual(self.engine.event_count, 0)

    def test_a_rules_file_given_as_events_says_so(self):
        # it was the CSV reader's error alone, of the rules' first line
        hint = " (the text looks like a rules file, TOML: give it as the rules, not as events)"
        for lenient in (False, True):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(RULES, lenient=lenient)
            self.assertTrue(cm.exception.message.endswith(hint), cm.exception.message)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "rules.toml")
            with open(path, "w") as f:
                f.write("# the \"community\" scheme\n[scheme]\nbase = 1000\n")
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load_file(path)
            self.assertEqual(cm.exception.message, "line 1, column 7: a quote inside an unquoted "
                             "field (quote the whole field)" + hint)
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(RULES, 2)
        self.assertTrue(cm.exception.message.endswith(hint), cm.exception.message)

    def test_json_numbers_are_told_with_their_own_examples(self):
        # "JSON writes 5, not 05" whatever the value; an id given as a number
        for line, said in (
                ('{"id":1,"subject":"s1","type":"fine","ts":"2022-03-01"}',
                 "field 'id': must be a string (write \"1\")"),
                ('{"id":"x","subject":"s1","type":"fine","ts":"2022-03-01","qty":007}',
                 "field 'qty': leading zero in a number (JSON writes 7, not 007)"),
                ('{"id":"x","subject":"s1","type":"fine","ts":01646092800}',
                 "field 'ts': leading zero in a number (JSON writes 1646092800, not "
                 "01646092800; a string keeps leading zeros: \"01646092800\")")):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load(line + "\n")
            self.assertTrue(cm.exception.message.endswith(said), cm.exception.message)

    def test_strict_batch_fails_whole_naming_the_line(self):
        self.engine.load(CSV_GOOD)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(CSV_BAD)
        e = cm.exception
        self.assertEqual(e.code, civic.CIVIC_E_EVENT)
        self.assertEqual(e.line, 3)
        # the byte offset of line 3: after the first two lines and their breaks
        self.assertEqual(e.offset, sum(len(x) + 1 for x in CSV_BAD.split("\n")[:2]))
        self.assertTrue(e.message)
        self.assertEqual(e.report.rejected, 1)
        # the line that failed the batch is its one rejection
        self.assertEqual([(r.line, r.code) for r in e.report.rejections],
                         [(3, civic.CIVIC_E_EVENT)])
        self.assertEqual(e.report.rejections[0].offset, e.offset)
        self.assertEqual(self.engine.event_count, 3)         # nothing of the batch

    def test_lenient_skips_and_reports_bad_lines(self):
        rep = self.engine.load(CSV_BAD, lenient=True)
        self.assertEqual((rep.lines, rep.accepted, rep.rejected), (5, 2, 2))
        self.assertEqual([r.line for r in rep.rejections], [3, 5])
        self.assertEqual([r.code for r in rep.rejections],
                         [civic.CIVIC_E_EVENT, civic.CIVIC_E_EVENT])
        line, column, code, message = rep.rejections[1]
        self.assertTrue(message)
        self.assertEqual(self.engine.event_count, 2)
        # each rejection's byte offset is where its line starts, counted here
        lines = CSV_BAD.split("\n")
        starts = [sum(len(x) + 1 for x in lines[:n - 1]) for n in (3, 5)]
        self.assertEqual([r.offset for r in rep.rejections], starts)
        # outside the tuple: four fields, equality as before; kept by copies
        r = rep.rejections[1]
        self.assertEqual(len(r), 4)
        self.assertEqual(r, civic.Rejection(line, column, code, message))
        self.assertEqual(r._replace(line=9).offset, starts[1])
        self.assertEqual(pickle.loads(pickle.dumps(r)).offset, starts[1])
        self.assertIsNone(civic.Rejection(1, 0, 0, "m").offset)
        # a load report is an answer too: to_dict() with the service's keys
        d = rep.to_dict()
        self.assertEqual(list(d), ["accepted", "duplicates", "rejected", "lines", "rejections",
                                   "warnings"])
        self.assertEqual((d["accepted"], d["duplicates"], d["rejected"], d["lines"]), (2, 0, 2, 5))
        self.assertEqual([(x["line"], x["offset"]) for x in d["rejections"]],
                         [(3, starts[0]), (5, starts[1])])
        self.assertEqual(d["rejections"][1]["reason"], message)
        self.assertEqual(json.loads(json.dumps(d)), d)

    def test_format_time_past_the_calendar_says_so(self):
        # an entry's end may lie past 9999 (its ts plus its validity): no
        # calendar holds it, and the error says so as parse_time's does,
        # with the code of civic_rules_format_time and of 1.0's format_time
        # (CIVIC_E_INVALID: the time is a bad argument, not a limit's excess)
        rules = self.engine.rules
        # past 64 bits too (also an OverflowError, as 1.0 raised)
        for t in (civic._capi.CIVIC_TIME_MAX + 1, 253446969600, civic._capi.CIVIC_TIME_MIN - 1,
                  2 ** 62, 2 ** 63 - 1, 2 ** 63, 10 ** 20, -2 ** 63, -2 ** 63 - 1, -10 ** 20,
                  -10 ** 13):
            with self.assertRaises(civic.CivicError) as cm:
                rules.format_time(t)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
            self.assertEqual(cm.exception.message, "bad time %d: outside the years 0001 to "
                             "9999 in UTC" % t)
            self.assertEqual(isinstance(cm.exception, OverflowError), not -2 ** 63 <= t < 2 ** 63)
            if -2 ** 63 <= t < 2 ** 63:     # the code C gives the same time
                buf = civic._capi.ctypes.create_string_buffer(32)
                with self.assertRaises(civic.CivicError) as c_cm:
                    civic._lib.civic_rules_format_time(rules._h._ptr, t, buf, len(buf))
                self.assertEqual(c_cm.exception.code, cm.exception.code)
        self.assertTrue(rules.format_time(civic._capi.CIVIC_TIME_MAX).startswith("9999-12-31T")
                        or rules.format_time(civic._capi.CIVIC_TIME_MAX).startswith("10000-01-01T"))

    def test_rules_are_made_by_their_constructors_only(self):
        # a pointer of another type would fail only in the finalizer, noisily
        for bad in (5, "x", None, civic._capi.rules_p()):
            with self.assertRaises(TypeError):
                civic.Rules(bad)

    def test_lenient_must_be_a_bool(self):
        # lenient="no" is truthy: it must not make a strict load lenient
        for bad in ("no", "false", b"", 1.0, []):
            with self.assertRaises(TypeError) as cm:
                self.engine.load(CSV_BAD, lenient=bad)
            # the message names what is taken: an int and None are too
            self.assertEqual(str(cm.exception), "lenient must be a bool (or an int or None), "
                             "not %s" % type(bad).__name__)
        self.assertEqual(self.engine.event_count, 0)
        with self.assertRaises(civic.CivicError):
            self.engine.load(CSV_BAD, lenient=0)                 # an int: strict
        with self.assertRaises(civic.CivicError):
            self.engine.load(CSV_BAD, lenient=None)              # None: the default
        self.assertEqual(self.engine.load(CSV_BAD, lenient=1).accepted, 2)

    def test_max_rejections_keeps_the_first_n_and_counts_them_all(self):
        # a lenient load of many bad lines held every Rejection (about
        # 550 bytes each): max_rejections caps the list, not the count
        lines = ["id,subject,type,ts"]
        for i in range(200):
            lines.append("g%d,s1,fine,2022-03-01" % i if i % 2 else
                         "b%d,s1,no_such_rule,2022-03-01" % i)
        text = "\n".join(lines) + "\n"
        d = tempfile.TemporaryDirectory()
        self.addCleanup(d.cleanup)
        path = os.path.join(d.name, "bad.csv")
        with open(path, "w") as f:
            f.write(text)

        def fresh(method, source):
            def load(**kw):
                with civic.Engine(self.rules) as e:
                    return getattr(e, method)(source, **kw)
            return load
        for load in (fresh("load", text), fresh("load_file", path)):
            rep = load(lenient=True, max_rejections=3)
            self.assertEqual((rep.lines, rep.accepted, rep.rejected), (201, 100, 100))
            self.assertEqual([r.line for r in rep.rejections], [2, 4, 6])
            self.assertTrue(all(r.code == civic.CIVIC_E_EVENT for r in rep.rejections))
            rep = load(lenient=True, max_rejections=0)
            self.assertEqual((rep.rejected, rep.rejections), (100, []))
            rep = load(lenient=True)                             # None: every one, as before
            self.assertEqual(len(rep.rejections), 100)
            self.assertEqual(len(load(lenient=True, max_rejections=None).rejections), 100)
            self.assertEqual(len(load(lenient=True, max_rejections=1000).rejections), 100)
        with self.assertRaises(TypeError):
            self.engine.load(text, None, True, 3)            # keyword only
        for bad, error in ((-1, ValueError), (True, TypeError), (False, TypeError),
                           (1.0, TypeError), ("3", TypeError)):
            for load in (self.engine.load, self.engine.load_file):
                with self.assertRaises(error, msg=repr(bad)) as cm:
                    load(path if load == self.engine.load_file else text, lenient=True,
                         max_rejections=bad)
                self.assertIn("max_rejections", str(cm.exception))
        self.assertEqual(self.engine.event_count, 0)
        # a strict load's error report names the line that failed it, whatever
        # max_rejections says (it caps what a lenient load keeps)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(text, max_rejections=0)
        self.assertEqual(cm.exception.report.rejected, 1)
        self.assertEqual([r.line for r in cm.exception.report.rejections], [cm.exception.line])

    def test_ctrl_c_in_a_lenient_load_is_raised_and_applies_nothing(self):
        # Ctrl-C lands in the Python that collects the rejections: ctypes
        # would only print it, and the load would fail as if a callback of
        # the caller's had stopped it.  Raised here from the third rejection.
        calls = [0]
        real = civic.Rejection

        def interrupted(*args):
            calls[0] += 1
            if calls[0] == 3:
                raise KeyboardInterrupt
            return real(*args)
        data = "id,subject,type,ts\n" + "".join(
            "g%d,s1,fine,2022-03-01\nb%d,s1,nope,2022-03-01\n" % (i, i) for i in range(6))
        seen = []
        before = sys.unraisablehook
        civic.Rejection = interrupted
        try:
            sys.unraisablehook = seen.append   # any other unraisable still reaches it
            with self.assertRaises(KeyboardInterrupt):
                self.engine.load(data, lenient=True)
        finally:
            civic.Rejection = real
            sys.unraisablehook = before
        self.assertEqual(calls[0], 3)
        self.assertEqual(self.engine.event_count, 0)          # nothing of the batch
        self.assertEqual(seen, [])
        rep = self.engine.load(data, lenient=True)            # and the engine goes on
        self.assertEqual((rep.accepted, rep.rejected), (6, 6))

    # Ctrl-C and a stream without end (README, "Ctrl-C during a ... load")
    CHILD = textwrap.dedent("""\
        import signal
        import sys
        # Ctrl-C raises KeyboardInterrupt even where the test runs with
        # SIGINT ignored (a job started in the background: Python then
        # leaves it ignored, and the child would wait for ever)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path.insert(0, sys.argv[1])
        import civic
        engine = civic.Engine(civic.Rules.from_text(sys.argv[2]))
        try:
            if sys.argv[3] == "load_file":
                print("loading", flush=True)
                engine.load_file("/dev/stdin")
            else:                         # the README's way: blocks of whole lines
                src = sys.stdin.buffer
                header = src.readline()
                while True:
                    lines = src.readlines(1 << 16)
                    if not lines:
                        break
                    engine.load(header + b"".join(lines), format="csv")
                    print("loaded", engine.event_count, flush=True)
        except KeyboardInterrupt:
            print("KeyboardInterrupt", engine.event_count, flush=True)
        """)

    def _child(self, how):
        env = dict(os.environ)
        p = subprocess.Popen([sys.executable, "-c", self.CHILD, PKG_ROOT, RULES, how],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.addCleanup(p.wait)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        self.addCleanup(p.stdout.close)
        self.addCleanup(lambda: p.stdin.closed or p.stdin.close())
        # a child that never answers fails the test, not the run: killed,
        # its output ends and the reads below see that
        watchdog = threading.Timer(60, p.kill)
        watchdog.start()
        self.addCleanup(watchdog.cancel)
        return p

    @staticmethod
    def _wait_in_the_library(p):
        """Until the child's library has opened /dev/stdin: a second
        descriptor of the pipe that is its standard input (Linux's /proc).
        A Ctrl-C before that is Python's, between the print and the call,
        and rightly stops the child: a fixed half second, which a loaded
        machine may not give the child, failed the test then.  Without
        /proc, the half second."""
        fds = "/proc/%d/fd" % p.pid
        if not os.path.isdir(fds):
            time.sleep(0.5)
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and p.poll() is None:
            try:
                pipe = os.readlink(os.path.join(fds, "0"))
                if any(fd != "0" and os.readlink(os.path.join(fds, fd)) == pipe
                       for fd in os.listdir(fds)):
                    return
            except OSError:    # a descriptor closed while looked at
                pass
            time.sleep(0.01)

    @unittest.skipUnless(hasattr(signal, "SIGINT") and os.path.exists("/dev/stdin"),
                         "no SIGINT or /dev/stdin")
    def test_ctrl_c_waits_for_load_file_of_an_open_pipe_to_end(self):
        # the library reads /dev/stdin to its end, through Ctrl-C; the batch
        # is applied and KeyboardInterrupt raised when the pipe closes
        p = self._child("load_file")
        p.stdin.write(b"id,subject,type,ts\n" + b"".join(
            b"e%d,s1,fine,2022-03-01\n" % i for i in range(3)))
        p.stdin.flush()
        self.assertEqual(p.stdout.readline(), b"loading\n")
        self._wait_in_the_library(p)      # into the library's read
        p.send_signal(signal.SIGINT)
        time.sleep(0.5)
        self.assertIsNone(p.poll(), "Ctrl-C stopped load_file of an open pipe")
        p.stdin.write(b"e3,s1,fine,2022-03-01\n")
        p.stdin.close()
        self.assertEqual(p.stdout.read(), b"KeyboardInterrupt 4\n")   # the batch applied
        self.assertEqual(p.wait(), 0)

    @unittest.skipUnless(hasattr(signal, "SIGINT"), "no SIGINT")
    def test_ctrl_c_stops_a_stream_read_in_blocks_of_lines(self):
        # what the README says to do instead: Python's own read stops at
        # once, the blocks loaded before it applied, the one being read not
        p = self._child("blocks")
        line = b"e%06d,s1,fine,2022-03-01,%s\n"
        lines = [line % (i, b"x" * 40) for i in range(1500)]    # 68 bytes each
        block = -(-(1 << 16) // 68)       # readlines(1 << 16): the lines up to 64 KiB, 964
        p.stdin.write(b"id,subject,type,ts,note\n" + b"".join(lines))
        p.stdin.flush()
        self.assertEqual(p.stdout.readline(), b"loaded %d\n" % block)
        time.sleep(0.5)                   # the child waits for the rest of a block
        p.send_signal(signal.SIGINT)
        self.assertEqual(p.stdout.readline(), b"KeyboardInterrupt %d\n" % block)
        self.assertEqual(p.wait(timeout=60), 0)   # while the pipe is still open
        self.assertFalse(p.stdin.closed)
        readme = os.path.join(PKG_ROOT, "README.md")
        if not os.path.exists(readme):                  # an installed package
            return
        with open(readme, encoding="utf-8") as f:
            words = " ".join(f.read().split())
        self.assertTrue(re.search(r'`load_file\("/dev/stdin"\)`.{0,300}cannot be stopped by '
                                  r'Ctrl-C', words), "the README says Ctrl-C waits for the pipe")
        self.assertIn("src.readlines(1 << 20)", words)

    def test_a_lenient_load_made_inside_a_lenient_load_leaves_it_its_ctrl_c(self):
        # Python code that runs inside a lenient load's reject callback (a
        # signal handler, __del__, a weakref callback) may make a lenient
        # load of its own on the same thread.  Its box took the place of the
        # outer load's (one per thread) and was taken away on its return:
        # Ctrl-C later in the outer load was only printed and the load went
        # on to its end, and the unraisable hook was put back while the
        # outer load still ran.  Ctrl-C in the inner load stops both.
        data = "id,subject,type,ts\n" + "".join(
            "g%d,s1,fine,2022-03-01\nb%d,s1,nope,2022-03-01\n" % (i, i) for i in range(6))
        real = civic.Rejection
        before = sys.unraisablehook
        for stop_in in ("outer", "inner"):
            other = civic.Engine(self.rules)
            self.addCleanup(other.close)
            state = {"outer": 0, "inner": 0, "nested": False}
            inner, hooks, seen = [], [], []

            def rejection(*args):
                which = "inner" if state["nested"] else "outer"
                state[which] += 1
                # the outer load's second bad line, the inner's first
                if which == stop_in and state[which] == (2 if which == "outer" else 1):
                    raise KeyboardInterrupt
                if which == "outer" and state["outer"] == 1:
                    state["nested"] = True
                    try:
                        inner.append(other.load(CSV_BAD, lenient=True))
                    finally:
                        state["nested"] = False
                    hooks.append(sys.unraisablehook)
                return real(*args)
            mine = seen.append          # any other unraisable still reaches it
            civic.Rejection = rejection
            try:
                sys.unraisablehook = mine
                with self.assertRaises(KeyboardInterrupt):
                    self.engine.load(data, lenient=True)
                self.assertIs(sys.unraisablehook, mine, stop_in)   # put back
            finally:
                civic.Rejection = real
                sys.unraisablehook = before
            self.assertEqual(seen, [], stop_in)
            self.assertEqual(self.engine.event_count, 0, stop_in)      # nothing of the batch
            if stop_in == "outer":
                self.assertEqual(state["outer"], 2)
                self.assertEqual(hooks, [civic._unraisable])   # still there for the outer
                self.assertEqual((inner[0].accepted, inner[0].rejected), (2, 2))
                self.assertEqual(other.event_count, 2)
            else:
                self.assertEqual((state["outer"], state["inner"], inner), (1, 1, []))
                self.assertEqual(other.event_count, 0)
        self.assertEqual(civic._callback_boxes, {})

    def test_a_hook_that_chains_to_the_one_it_found_does_not_loop(self):
        # The binding's hook was installed by the first lenient load and left
        # there: a program's hook chaining to the one it found, found it, the
        # next load found the program's, and every unraisable ended in
        # RecursionError.  It is now there only during a load, and a report
        # that comes round to it again goes to Python's default hook.
        class Raises:
            def __del__(self):
                raise RuntimeError("from __del__")
        before = sys.unraisablehook
        self.engine.load("id,subject,type,ts\n", lenient=True)
        self.assertIs(sys.unraisablehook, before)              # put back after the load
        for found in (before, civic._unraisable):              # found between loads, or in one
            seen = []

            def mine(u, found=found):
                seen.append(str(u.exc_value))
                found(u)
            err = io.StringIO()
            try:
                sys.unraisablehook = mine
                self.engine.load("id,subject,type,ts\n", lenient=True)
                self.assertIs(sys.unraisablehook, mine)
                with contextlib.redirect_stderr(err):
                    Raises()
                    gc.collect()
            finally:
                sys.unraisablehook = before
            self.assertEqual(seen, ["from __del__"])
            self.assertIn("from __del__", err.getvalue())
            self.assertNotIn("RecursionError", err.getvalue())

    def test_malformed_csv(self):
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load('id,subject,type,ts\n"a1,s1,fine,2022-03-01\n', format="csv")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load("id,subject,type\na,b,fine\n", format="csv")
        self.assertIn(cm.exception.code, (civic.CIVIC_E_SYNTAX, civic.CIVIC_E_EVENT))
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load('{"id": "x", \n', format="jsonl")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_SYNTAX)
        self.assertEqual(cm.exception.line, 1)
        self.assertEqual(self.engine.event_count, 0)

    def test_a_header_names_every_required_column_it_lacks(self):
        # all at once (it named the first alone, the next once that was
        # fixed); one alone in the words it always had; what the header
        # most likely is, or else what to rename, after them (one too)
        req = " column (required: id, subject, type, ts)"
        semi = " (the fields are separated by ';': save the export as CSV with commas)"
        for text, want in (
                (b"subject,type,ts\n", "the header has no 'id'" + req),
                (b"Event ID,subject,type,ts\n",
                 "the header has no 'id'" + req + "; rename 'Event ID' to 'id'"),
                (b"subject,ts\n", "the header has no 'id' or 'type'" + req),
                (b"id,group,qty\n", "the header has no 'subject', 'type' or 'ts'" + req),
                (b"x\n", "the header has no 'id', 'subject', 'type' or 'ts'" + req),
                (b"id;subject;x,type,ts\n", "the header has no 'id' or 'subject'" + req + semi),
                (b"id;subject;type,ts\n",
                 "the header has no 'id', 'subject' or 'type'" + req + semi),
                (b"id;subject;type;ts\n",
                 "the header has no 'id', 'subject', 'type' or 'ts'" + req + semi),
                (b"Event ID,Resident,Event Type,Date\r\nk1,s1,fine,2022-03-01\r\n",
                 "the header has no 'id', 'subject', 'type' or 'ts'" + req + "; rename "
                 "'Event ID' to 'id', 'Resident' to 'subject', 'Event Type' to 'type' and "
                 "'Date' to 'ts'"),
                (b"event_id,member,type,ts\n", "the header has no 'id' or 'subject'" + req +
                 "; rename 'event_id' to 'id' and 'member' to 'subject'")):
            for lenient in (False, True):
                with self.assertRaises(civic.CivicError) as cm:
                    self.engine.load(text, format="csv", lenient=lenient)
                e = cm.exception
                self.assertEqual((e.code, e.line, e.message), (civic.CIVIC_E_SYNTAX, 1,
                                                               "line 1: " + want))
                # the split says what the load says
                with self.assertRaises(civic.CivicError) as cm:
                    civic.split(text, 2)
                self.assertEqual(cm.exception.message, e.message)
        self.assertEqual(self.engine.event_count, 0)

    def test_a_log_loaded_as_the_other_format_says_so(self):
        # the error of the first line alone would send the reader looking
        # for a stray quote; the library says what the text looks like
        jsonl = '{"id":"j1","subject":"s1","type":"fine","ts":"2022-03-01"}\n'
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(jsonl.encode(), format="csv")
        self.assertTrue(cm.exception.message.endswith(
            " (the text looks like JSON Lines: load it as JSON Lines)"), cm.exception.message)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(CSV_GOOD, format="jsonl")
        self.assertEqual(cm.exception.message, "line 1, column 1: expected a JSON object '{' "
                                               "(the text looks like CSV: load it as CSV)")
        with self.assertRaises(civic.CivicError) as cm:     # read by content: no hint
            self.engine.load(jsonl.replace("fine", "nope"))
        self.assertNotIn("looks like", cm.exception.message)
        with tempfile.TemporaryDirectory() as d:            # a file's name says CSV
            path = os.path.join(d, "events.csv")
            with open(path, "w") as f:
                f.write(jsonl)
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.load_file(path)
            self.assertIn("(the text looks like JSON Lines: load it as JSON Lines)",
                          cm.exception.message)

    def test_conflict_in_a_batch(self):
        self.engine.load(CSV_GOOD)
        text = "id,subject,type,ts\na1,s9,fine,2022-03-01\n"
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(text)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_CONFLICT)
        self.assertEqual(cm.exception.line, 2)
        rep = self.engine.load(text, lenient=True)
        self.assertEqual(rep.rejected, 1)
        self.assertEqual(rep.rejections[0].code, civic.CIVIC_E_CONFLICT)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            self.engine.load(CSV_GOOD, format="xml")
        with self.assertRaises(TypeError):
            self.engine.load(42)
        # a format that is no str is a wrong type: TypeError, as the module says
        for bad in (1, b"csv", True):
            with self.assertRaises(TypeError) as cm:
                self.engine.load(CSV_GOOD, format=bad)
            self.assertEqual(str(cm.exception), "format must be None, 'auto', 'csv', 'jsonl' or "
                             "'ndjson' (in any case), not %s" % type(bad).__name__)
        with self.assertRaises(ValueError) as cm:
            self.engine.load(CSV_GOOD, format="xml")
        self.assertEqual(str(cm.exception), "format must be None, 'auto', 'csv', 'jsonl' or "
                         "'ndjson' (in any case), not 'xml'")
        # a path is str, bytes or os.PathLike: the message names all three
        for call in (self.engine.load_file, self.engine.save, civic.Rules.from_file):
            with self.assertRaises(TypeError) as cm:
                call(3)
            self.assertEqual(str(cm.exception), "path must be str, bytes or os.PathLike, not int")
        self.assertEqual(self.engine.event_count, 0)

    def test_a_time_of_a_wrong_type_names_every_type_taken(self):
        # a bool said "datetime, int or str", leaving out date, which is taken
        said = "%s must be datetime, date, int or str, not %s"
        calls = (("ts", lambda v: self.engine.add(id="x", subject="s", type="fine", ts=v)),
                 ("as_of", lambda v: self.engine.score("s", as_of=v)),
                 ("as_of", lambda v: self.engine.rank(as_of=v)),
                 ("before", lambda v: self.engine.purge(v)),
                 ("time", lambda v: self.rules.parse_time(v)),
                 ("time", lambda v: self.engine.parse_time(v)))
        for what, call in calls:
            for bad in (True, 1.5, [1]) + ((None,) if what != "as_of" else ()):
                with self.assertRaises(TypeError, msg=(what, bad)) as cm:
                    call(bad)
                self.assertEqual(str(cm.exception), said % (what, type(bad).__name__))
        self.assertEqual(self.engine.event_count, 0)


# --------------------------------------------------------------------------
# Engine: answers (SPEC section 8)
# --------------------------------------------------------------------------


class TestTextFileNotInItsEncoding(Base):
    def test_a_text_mode_file_python_cannot_decode_is_a_civic_error(self):
        import pickle
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.csv")
            with open(path, "wb") as f:
                f.write(b"id,subject,type,ts\na,s1,fine,2022-01-01\nb,s\xff2,fine,2022-01-02\n")
            for lenient in (False, True):
                with open(path, encoding="utf-8") as f, self.assertRaises(UnicodeDecodeError) as cm:
                    self.engine.load(f, lenient=lenient)
                err = cm.exception
                self.assertIsInstance(err, civic.CivicError)
                self.assertEqual((err.code, err.line, err.encoding), (civic.CIVIC_E_SYNTAX, 0,
                                                                       "utf-8"))
                self.assertIn("open the file in binary mode ('rb')", err.message)
                self.assertIn("b'\\xff' at byte", err.message)
                self.assertEqual(self.engine.event_count, 0)
                back = pickle.loads(pickle.dumps(err))
                self.assertEqual((type(back), back.code, back.message),
                                 (type(err), err.code, err.message))
            # in binary mode the library names the line, and lenient skips it
            with open(path, "rb") as f:
                rep = self.engine.load(f, lenient=True)
            self.assertEqual((rep.accepted, [r.line for r in rep.rejections]), (1, [3]))


class TestAnswers(Base):
    def add(self, id, subject, type, ts, **kw):
        self.engine.add(id=id, subject=subject, type=type, ts=ts, **kw)

    def test_the_readme_says_which_answers_hash(self):
        # The README called answers "plain frozen Python objects", yet
        # hash() of a Score raised TypeError: frozen dataclasses whose fields
        # hold a dict or a list.  Every answer is frozen; the README names
        # those that cannot be hashed.
        import dataclasses
        self.engine.load(CSV_GOOD)
        self.engine.add(id="x1", subject="s9", type="defaulter", ts="2022-03-01")
        other = civic.Rules.from_text(RULES.replace("points = -10", "points = -20", 1))
        self.addCleanup(other.close)
        comparison = civic.compare(CSV_GOOD, self.rules, other)
        answers = [self.engine.score("s1"), self.engine.record("s1"),
                   self.engine.record("s1").entries[0], self.engine.groups(1)[0],
                   self.engine.list("dishonest"), self.engine.list("dishonest").rows[0],
                   self.engine.load(CSV_BAD, lenient=True), comparison, comparison.rows[0],
                   civic.split(CSV_GOOD, 2), self.engine.purge("2000-01-01")]
        unhashable = set()
        for answer in answers:
            name = type(answer).__name__
            field = dataclasses.fields(answer)[0].name
            with self.assertRaises(dataclasses.FrozenInstanceError, msg=name):
                setattr(answer, field, None)
            try:
                hash(answer)
            except TypeError:
                unhashable.add(name)
        self.assertEqual(unhashable, {"Score", "Record", "GroupStats", "ListAnswer",
                                      "LoadReport", "Comparison", "Split"})
        readme = os.path.join(PKG_ROOT, "README.md")
        if not os.path.exists(readme):                  # an installed package
            return
        with open(readme, encoding="utf-8") as f:
            words = " ".join(f.read().split())
        self.assertFalse("plain frozen Python objects" in words, "hash() refuses some")
        said = re.search(r"\(([^()]*)\) cannot be hashed", words)
        self.assertTrue(said, "the README names the answers hash() refuses")
        self.assertEqual(set(re.findall(r"`(\w+)`", said.group(1))), unhashable)

    def test_a_rejection_is_frozen(self):
        # The README says answers are frozen (an attribute cannot be set),
        # yet a Rejection's .offset, .scheme and any new attribute could be:
        # x.offset = 999 changed what to_dict() reports.  Its pickle, copies,
        # equality, hash, repr and _replace are as they were.
        import copy
        bad = "id,subject,type,ts\nzz,s,nope,1\n"
        lenient = self.engine.load(bad, lenient=True)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.load(bad)
        rules = civic.default_rules()
        compared = civic.compare(bad, rules, rules, lenient=True)
        made = civic.Rejection(3, 4, civic.CIVIC_E_EVENT, "m", 7, "rules_new")
        for x, offset, scheme in ((lenient.rejections[0], 19, None),
                                  (cm.exception.report.rejections[0], 19, None),
                                  (compared.rejections[0], 19, "rules_now"),
                                  (made, 7, "rules_new"),
                                  (civic.Rejection._make((1, 2, 3, "m")), None, None)):
            for name, value in (("offset", 999), ("scheme", "a"), ("note", "hi"),
                                ("line", 9), ("message", "x")):
                with self.assertRaises(AttributeError, msg=name):
                    setattr(x, name, value)
            for name in ("offset", "scheme", "line"):
                with self.assertRaises(AttributeError, msg=name):
                    delattr(x, name)
            self.assertEqual((x.offset, x.scheme), (offset, scheme))
            self.assertFalse(hasattr(x, "note"))
            # copies keep both and are as frozen
            for y in [pickle.loads(pickle.dumps(x, p))
                      for p in range(pickle.HIGHEST_PROTOCOL + 1)] + [
                          copy.copy(x), copy.deepcopy(x)]:
                self.assertEqual((type(y), tuple(y), y.offset, y.scheme, repr(y)),
                                 (civic.Rejection, tuple(x), offset, scheme, repr(x)))
                with self.assertRaises(AttributeError):
                    y.offset = 999
            # a tuple of four, equal and hashed as one, whatever the offset
            self.assertEqual((len(x), x, hash(x)), (4, tuple(x), hash(tuple(x))))
            self.assertEqual(x._replace(offset=5, scheme="rules_new"), x)
            z = x._replace(line=8, offset=5)
            self.assertEqual((z.line, z.offset, z.scheme, x.line == 8), (8, 5, scheme, False))
        self.assertEqual(lenient.to_dict()["rejections"][0]["offset"], 19)
        self.assertEqual(repr(made), "Rejection(line=3, column=4, code=-5, message='m', "
                                     "offset=7, scheme='rules_new')")

    def test_example_1_fine_expires(self):
        self.add("f1", "s1", "fine", "2022-03-01")
        s = self.engine.score("s1", as_of="2022-06-01")
        self.assertEqual((s.score, s.grade), (D("990.00"), "A"))
        self.assertEqual(str(s.score), "990.00")
        self.assertEqual(s.dimensions, {"legal": D("-10.00"), "moral": D("0.00"),
                                        "autonomy": D("0.00")})
        self.assertEqual(str(s.dimensions["moral"]), "0.00")
        s = self.engine.score("s1", as_of="2023-06-01")
        self.assertEqual((s.score, s.grade), (D("1000.00"), "A"))
        self.assertEqual(self.engine.record("s1", "2023-06-01").entries[0].state, "expired")
        self.assertEqual(self.engine.record("s1", "2022-06-01").entries[0].end,
                         self.rules.parse_time("2023-03-01"))

    def test_example_2_repeat(self):
        self.add("d1", "s2", "dog", "2022-01-10")
        self.add("d2", "s2", "dog", "2022-06-10")
        self.assertEqual(self.engine.score("s2", "2022-07-01").score, D(970))
        self.assertEqual(self.engine.score("s2", "2023-02-01").score, D(980))
        self.assertEqual(self.engine.score("s2", "2023-07-01").score, D(1000))
        entries = self.engine.record("s2", "2022-07-01").entries
        self.assertEqual([x.escalated for x in entries], [False, True])
        self.assertEqual([x.counted for x in entries], [D(-10), D(-20)])

    def test_example_3_cap(self):
        for i, month in enumerate(("01", "03", "05", "07", "09")):
            self.add("n%d" % i, "s3", "donation", "2023-%s-15" % month)
        s = self.engine.score("s3", "2023-12-31")
        self.assertEqual((s.score, s.grade), (D(1040), "AA"))
        last = self.engine.record("s3", "2023-12-31").entries[-1]
        self.assertEqual((last.counted, last.capped, last.raw), (D(0), True, D(10)))

    def test_example_4_ceiling(self):
        self.add("c1", "s4", "drunk_driving", "2022-02-01")
        s = self.engine.score("s4", "2022-03-01")
        self.assertEqual((s.score, s.grade, s.ceiling), (D(850), "B", D(850)))
        s = self.engine.score("s4", "2024-03-01")
        self.assertEqual((s.score, s.grade, s.ceiling), (D(1000), "A", None))

    def test_example_5_repair(self):
        self.add("e1", "s5", "defaulter", "2022-03-01")
        self.add("p1", "s5", "repair", "2022-09-01", ref="e1")
        self.add("r1", "s5", "repaired_default", "2022-09-01")
        s = self.engine.score("s5", "2022-06-01")
        self.assertEqual((s.score, s.grade, s.flags), (D(599), "D", ("dishonest",)))
        s = self.engine.score("s5", "2022-10-01")
        self.assertEqual((s.score, s.grade, s.flags), (D(950), "B", ()))
        rec = self.engine.record("s5", "2022-10-01")
        states = {x.id: (x.kind, x.state) for x in rec.entries}
        self.assertEqual(states, {"e1": ("rule", "repaired"), "p1": ("repair", "applied"),
                                  "r1": ("rule", "active")})
        self.assertEqual([x.id for x in rec.entries], ["e1", "p1", "r1"])
        self.assertEqual(rec.entries[1].ref, "e1")
        self.assertEqual(rec.entries[0].flag, "dishonest")
        self.assertEqual(rec.entries[0].end, self.rules.parse_time("2022-09-01"))

    def test_example_6_revoke(self):
        self.add("f1", "s6", "fine", "2022-03-01")
        self.add("v1", "s6", "revoke", "2022-04-01", ref="f1")
        self.assertEqual(self.engine.score("s6", "2022-03-15").score, D(990))
        self.assertEqual(self.engine.score("s6", "2022-04-01").score, D(1000))
        rec = self.engine.record("s6", "2022-05-01")
        self.assertEqual([(x.id, x.state) for x in rec.entries],
                         [("f1", "revoked"), ("v1", "applied")])
        self.assertEqual(rec.entries[0].counted, D(0))

    def test_dangling_revoke_and_redeem(self):
        self.add("v1", "s7", "revoke", "2022-04-01", ref="nothing")
        self.add("b1", "s7", "shop_bonus", "2022-04-02")
        self.add("m1", "s7", "redeem", "2022-04-03", qty="20")
        self.add("m2", "s7", "redeem", "2022-04-04", qty=D("10.50"))
        rec = self.engine.record("s7", "2022-05-01")
        self.assertEqual([(x.id, x.kind, x.state) for x in rec.entries],
                         [("v1", "revoke", "dangling"), ("b1", "rule", "active"),
                          ("m1", "redeem", "accepted"), ("m2", "redeem", "rejected")])
        self.assertEqual(rec.entries[1].affects, "balance")
        self.assertEqual(rec.entries[2].raw, D("-20.00"))
        self.assertEqual(rec.summary.balance, D("5.00"))
        self.assertEqual(rec.summary.score, D(1000))       # balance-only bonus

    def test_unknown_subject_gets_base(self):
        s = self.engine.score("nobody", as_of=0)
        self.assertEqual((s.subject, s.score, s.balance, s.events, s.grade, s.group),
                         ("nobody", D(1000), D(0), 0, "A", ""))
        self.assertEqual(self.engine.record("nobody").entries, [])

    def test_empty_engine(self):
        e = self.engine
        self.assertEqual((e.event_count, e.subject_count, e.time_range), (0, 0, None))
        self.assertEqual(e.subjects(), [])
        self.assertEqual(list(e), [])
        self.assertEqual(e.rank(), [])
        self.assertEqual(e.groups(1), [])
        self.assertFalse("s1" in e)

    def test_subject_count_counts_a_subject_whose_every_event_is_archived(self):
        # subject_count is the library's count of subjects holding an event,
        # archived or not (until a purge removes it); subjects() and `in`
        # leave out a subject whose every event is archived at the as-of time
        text = ('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 0\n'
                '[rule.fine]\npoints = -10\nvalid = "1y"\nretain = "1y"\naffects = "score"\n')
        with civic.Engine(civic.Rules.from_text(text)) as e:
            e.add(id="f0", subject="old", type="fine", ts="2010-01-01")
            e.add(id="f1", subject="new", type="fine", ts="2020-01-01")
            self.assertEqual(e.subject_count, 2)
            self.assertEqual([s.subject for s in e.subjects()], ["new"])
            self.assertNotIn("old", e)
            self.assertEqual((e.score("old").events, e.score("old").archived), (0, 1))
            self.assertEqual([s.subject for s in e.subjects("2010-06-01")], ["old"])
            e.purge("2015-01-01")
            self.assertEqual(e.subject_count, 1)
        self.assertIn("archived", civic.Engine.subject_count.__doc__)
        readme = os.path.join(PKG_ROOT, "README.md")
        if not os.path.exists(readme):                  # an installed package
            return
        with open(readme, encoding="utf-8") as f:
            words = " ".join(f.read().split())
        self.assertTrue(re.search(r"`subject_count` counts.{0,200}archived", words),
                        "the README says subject_count counts archived subjects")

    def test_in_asks_for_a_subject(self):
        self.add("f1", "s1", "fine", "2022-03-01")
        self.add("f2", "s2", "fine", "2022-05-01")
        self.assertIn("s1", self.engine)
        self.assertIn("s2", self.engine)
        self.assertNotIn("s3", self.engine)
        self.assertNotIn("", self.engine)
        self.assertNotIn("S1", self.engine)
        # strings that cannot be subjects are not in it either (they raised)
        self.assertNotIn("x" * 129, self.engine)
        self.assertNotIn("a\x00b", self.engine)
        self.assertNotIn("\udcff", self.engine)
        rows = list(self.engine)
        self.assertIn(rows[1], self.engine)
        self.assertNotIn(42, self.engine)

    def test_a_nul_in_an_argument_is_a_civic_error_and_a_value_error(self):
        # A NUL (text from outside) cannot reach the library: a C string ends
        # there.  A CivicError, as every error is, with the code
        # and message of a control byte where the library's answer is the
        # same for both (no such time, group path or list), and the
        # ValueError 1.0 raised.  An event's field: TestAdd.
        e = self.engine
        self.add("f1", "s1", "fine", "2022-03-01")
        calls = {"parse_time": lambda v: self.rules.parse_time("2022" + v),
                 "engine parse_time": lambda v: e.parse_time("2022-03-01" + v),
                 "as_of": lambda v: e.score("s1", as_of="2022" + v),
                 "record as_of": lambda v: e.record("s1", as_of=v),
                 "purge": lambda v: e.purge("2022" + v),
                 "rank": lambda v: e.rank(group="d1" + v),
                 "list": lambda v: e.list("x" + v)}
        for what, call in calls.items():
            with self.assertRaises(civic.CivicError, msg=what) as cm:
                call("\x01b")
            control = cm.exception
            with self.assertRaises(civic.CivicError, msg=what) as cm:
                call("\0b")
            x = cm.exception
            self.assertIsInstance(x, ValueError, what)
            self.assertEqual((x.code, x.message),
                             (control.code, control.message.replace("\\x01", "\\x00")), what)
            self.assertEqual(pickle.loads(pickle.dumps(x)).message, x.message)
        # a subject: control characters answer base (as 1.0 did), a NUL
        # raised in 1.0 and still does, as a CivicError now
        for call in (e.score, e.record):
            with self.assertRaises(ValueError) as cm:
                call("s1\0")
            self.assertIsInstance(cm.exception, civic.CivicError)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
            self.assertEqual(cm.exception.message, "subject: a NUL character at index 2, "
                                                   "which a C string cannot carry")
        self.assertNotIn("s1\0", e)
        self.assertEqual((e.event_count, e.purge_horizon), (1, None))

    def test_as_of_forms_and_default(self):
        self.add("f1", "s1", "fine", "2022-03-01")
        self.add("f2", "s2", "fine", "2022-05-01")
        self.assertEqual(self.engine.time_range,
                         (self.rules.parse_time("2022-03-01"),
                          self.rules.parse_time("2022-05-01")))
        self.assertEqual([s.subject for s in self.engine.subjects()], ["s1", "s2"])
        t = self.rules.parse_time("2022-04-01")
        for as_of in (t, "2022-04-01", dt.datetime(2022, 4, 1), dt.date(2022, 4, 1),
                      dt.datetime(2022, 3, 31, 16, tzinfo=dt.timezone.utc), str(t)):
            self.assertEqual([s.subject for s in self.engine.subjects(as_of)], ["s1"])
        self.assertEqual(self.engine.parse_time("2022-04-01"), t)
        with self.assertRaises(TypeError):
            self.engine.subjects(1.5)
        with self.assertRaises(civic.CivicError):
            self.engine.subjects("yesterday")
        with self.assertRaises(civic.CivicError) as cm:   # as "2**70" as text would
            self.engine.subjects(2 ** 70)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
        self.assertIsInstance(cm.exception, OverflowError)   # what 1.0 raised

    def test_subjects_score_and_iteration(self):
        self.engine.load(CSV_GOOD)
        subs = self.engine.subjects()
        self.assertEqual([s.subject for s in subs], ["s1", "s2", "s3"])
        self.assertEqual([s.subject for s in self.engine], ["s1", "s2", "s3"])
        by = {s.subject: s for s in subs}
        self.assertEqual(by["s1"].score, D(990))
        self.assertEqual(by["s2"].score, D(1006))
        self.assertEqual(by["s2"].dimensions["autonomy"], D(6))
        self.assertEqual(by["s3"].group, "d2/st1")
        self.assertEqual(by["s1"].events, 1)
        self.assertIsNone(by["s1"].rank)
        for s in subs:
            self.assertEqual(self.engine.score(s.subject), s)
            self.assertIsInstance(s.score, Decimal)
            self.assertIsInstance(s.balance, Decimal)

    def test_subject_rows_are_the_csv_columns_of_subjects(self):
        self.assertEqual(self.engine.subject_rows(), [])
        self.engine.load(CSV_GOOD)
        self.add("x1", "s4", "fine", "2022-03-01", group='a,"b"')
        for as_of in (None, "2022-02-01"):
            rows = self.engine.subject_rows(as_of)
            want = [(s.subject, s.group, int(s.score * 100), s.grade, int(s.balance * 100),
                     ";".join(s.flags)) for s in self.engine.subjects(as_of)]
            self.assertEqual(rows, want)
        self.assertIn(("s4", 'a,"b"', 99000), [r[:3] for r in self.engine.subject_rows()])
        with self.assertRaises(TypeError):
            self.engine.subject_rows(1.5)

    def test_rank(self):
        self.engine.load(CSV_GOOD)
        self.add("x1", "s4", "donation", "2022-03-01", group="d1/st10")
        r = self.engine.rank()
        self.assertEqual([(s.subject, s.rank) for s in r],
                         [("s3", 1), ("s4", 2), ("s2", 3), ("s1", 4)])
        self.assertEqual([s.subject for s in self.engine.rank(top=2)], ["s3", "s4"])
        self.assertEqual([s.subject for s in self.engine.rank("d1")], ["s4", "s2", "s1"])
        self.assertEqual([s.subject for s in self.engine.rank("d1/st1")], ["s1"])
        self.assertEqual(self.engine.rank("nowhere"), [])
        self.assertEqual(self.engine.rank(""), self.engine.rank())   # "" is everyone
        # a path no event can have is refused (as civic-server's /rank, 400
        # bad group, with the same reasons), not answered with an empty list
        for bad, why in (("d1/", "may not start or end with '/'"),
                         ("/d1", "may not start or end with '/'"),
                         ("d1//st1", "empty segment in group path"),
                         ("d" * 256, "longer than 255 bytes"),
                         ("/".join(["d"] * 65), "more than 64 segments"),
                         ("d1\n", "control characters")):
            with self.assertRaises(civic.CivicError, msg=bad[:20]) as cm:
                self.engine.rank(bad)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
            # a ValueError too, as every other argument refused for its value
            self.assertIsInstance(cm.exception, ValueError)
            self.assertIn(why, str(cm.exception))
        self.assertEqual(self.engine.rank("d" * 255), [])            # the bounds themselves
        self.assertEqual(self.engine.rank("/".join(["d"] * 64)), [])
        with self.assertRaises(ValueError):
            self.engine.rank(top=0)
        with self.assertRaises(TypeError):
            self.engine.rank(top=1.0)

    def test_groups(self):
        self.engine.load(CSV_GOOD)
        g1 = self.engine.groups(1)
        self.assertEqual([(g.path, g.depth, g.subjects) for g in g1],
                         [("d1", 1, 2), ("d2", 1, 1)])
        d1 = g1[0]
        self.assertEqual((d1.mean, d1.median, d1.min, d1.max, d1.balance),
                         (D(998), D(998), D(990), D(1006), D(-4)))
        self.assertEqual(d1.grades, {"AAA": 0, "AA": 0, "A": 2, "B": 0, "C": 0, "D": 0})
        g0 = self.engine.groups(0)
        self.assertEqual([(g.path, g.subjects) for g in g0], [("", 3)])
        self.assertEqual(self.engine.groups(3), [])
        # every depth out of range is one error (CivicError since 1.0 for
        # 65 on; below 0 and from 2**32 on it was a ValueError of other words)
        for depth, shown in ((65, "65"), (2 ** 32 - 1, "4294967295"), (2 ** 32, "4294967296"),
                             (2 ** 64 + 1, "18446744073709551617"), (-1, "-1"),
                             (-2 ** 63, "-9223372036854775808"),
                             (10 ** 100, "1" + "0" * 19 + "... (101 digits)")):
            with self.assertRaises(civic.CivicError, msg=shown) as cm:
                self.engine.groups(depth)
            # and still the ValueError 1.0 raised, for code that catches that
            self.assertIsInstance(cm.exception, ValueError, msg=shown)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
            self.assertEqual(cm.exception.message,
                             "depth %s: out of range 0..64 (segments of a group path)" % shown)
        with self.assertRaises(TypeError):
            self.engine.groups("1")

    def test_record_explains_the_score(self):
        self.engine.load(CSV_GOOD)
        self.add("x2", "s1", "dog", "2022-03-05", group="d1/st9")
        rec = self.engine.record("s1")
        self.assertEqual(rec.subject, "s1")
        self.assertEqual(len(rec), 2)
        self.assertEqual([x.id for x in rec], ["a1", "x2"])
        self.assertEqual(rec.summary.group, "d1/st9")
        total = self.rules.base + sum(x.counted for x in rec.entries
                                      if x.state == "active"
                                      and x.affects in ("both", "score"))
        self.assertEqual(rec.summary.score, total)
        score = self.engine.score("s1")
        self.assertEqual(rec.summary, score)
        e = rec.entries[0]
        self.assertEqual((e.type, e.kind, e.dimension, e.group, e.ref, e.affects),
                         ("fine", "rule", "legal", "d1/st1", "", "both"))
        self.assertIsNone(e.ceiling)
        self.assertFalse(e.capped)


# --------------------------------------------------------------------------
# Durability: snapshots and the journal
# --------------------------------------------------------------------------


class TestIteration(Base):
    """`for s in engine` converts row by row from one C answer
    (civic_engine_subjects), taken when iter() is called."""

    TYPES = ("fine", "dog", "donation", "volunteer_hour", "defaulter", "shop_bonus")

    def log(self, subjects, per=3):
        lines = ["id,subject,type,ts,qty,group,ref"]
        k = 0
        for s in range(subjects):
            for j in range(per):
                t = self.TYPES[(s + j) % len(self.TYPES)]
                qty = "3" if t == "volunteer_hour" else ""
                lines.append("e%d,s%05d,%s,2022-%02d-%02d,%s,d%d/st%d," % (
                    k, s, t, 1 + j % 12, 1 + s % 28, qty, s % 3, s % 5))
                k += 1
        return "\n".join(lines) + "\n"

    def counting(self):
        """Patch the binding's calls that make and free a civic_result; the
        set it returns holds the results made and not yet freed."""
        from unittest import mock
        live = set()
        lib = civic._lib
        make, free = lib.civic_engine_subjects, lib.civic_result_free

        def subjects(engine, t, out):
            status = make(engine, t, out)
            live.add(ctypes_address(out))
            return status

        def result_free(result):
            live.discard(ctypes_address(result))
            free(result)

        for name, f in (("civic_engine_subjects", subjects), ("civic_result_free", result_free)):
            patch = mock.patch.object(lib, name, f)
            patch.start()
            self.addCleanup(patch.stop)
        return live

    def test_rows_are_those_of_subjects(self):
        self.engine.load(self.log(300))
        self.engine.add(id="late", subject="s00007", type="fine", ts="2023-06-01")
        want = self.engine.subjects()
        self.assertEqual(len(want), 300)
        self.assertEqual(list(self.engine), want)
        self.assertEqual([s.subject for s in self.engine], ["s%05d" % i for i in range(300)])
        self.assertEqual(list(self.engine), [s for s in iter(self.engine)])

    def test_iteration_is_lazy(self):
        # subjects() makes every Score (about 1.2 KB each) before the first
        # is seen; iter(engine) converted them all too: now its first row
        # costs one row
        import tracemalloc
        self.engine.load(self.log(20000, per=1))
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            whole = self.engine.subjects()
            _, peak_whole = tracemalloc.get_traced_memory()
            del whole
            tracemalloc.reset_peak()
            base, _ = tracemalloc.get_traced_memory()
            it = iter(self.engine)
            first = next(it)
            _, peak_first = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.assertEqual(first.subject, "s00000")
        self.assertGreater(peak_whole, 10_000_000)      # the measure means something
        self.assertLess(peak_first - base, 500_000)
        it.close()

    def test_the_c_answer_is_freed_however_iteration_ends(self):
        self.engine.load(self.log(50))
        live = self.counting()
        list(self.engine)                            # exhausted
        self.assertEqual(live, set())
        it = iter(self.engine)
        self.assertEqual(len(live), 1)               # held while iterating
        next(it), next(it)
        it.close()                                   # closed
        self.assertEqual(live, set())
        for taken in (0, 1, 25):                     # abandoned: collected
            it = iter(self.engine)
            for _ in range(taken):
                next(it)
            del it
            gc.collect()
            self.assertEqual(live, set(), taken)
        for row in self.engine:                      # a break
            if row.subject == "s00010":
                break
        del row
        gc.collect()
        self.assertEqual(live, set())
        self.assertTrue("s00003" in self.engine)
        self.assertTrue(self.engine.score("s00003") in self.engine)   # stops at it
        gc.collect()
        self.assertEqual(live, set())

    def test_abandoned_iterators_do_not_grow_memory(self):
        # 400 iterators of 5,000 subjects abandoned after one row: were each
        # C answer kept, that is hundreds of megabytes
        self.engine.load(self.log(5000, per=1))
        for _ in range(20):
            next(iter(self.engine))
        gc.collect()
        before = rss_bytes()
        for _ in range(400):
            next(iter(self.engine))
        gc.collect()
        self.assertLess(rss_bytes() - before, 32 << 20)

    def test_writes_while_iterating_do_not_change_the_rows(self):
        self.engine.load(self.log(40))
        want = self.engine.subjects()
        it = iter(self.engine)
        got = [next(it)]
        k = 0
        for row in it:
            got.append(row)
            # a new subject before and after this row, an event of the next
            # subject, and one of a subject already seen
            for s in ("s%05d" % (int(row.subject[1:]) + 1), row.subject + "x", "a" + row.subject,
                      got[0].subject):
                self.engine.add(id="w%d" % k, subject=s, type="fine", ts="2022-02-01")
                k += 1
        self.assertEqual(got, want)
        self.assertEqual(self.engine.subject_count, 40 + 1 + 2 * 39)   # s00040, 39 x, 39 a
        self.assertNotEqual(self.engine.subjects()[:40], want)

    def test_an_iterator_outlives_its_engine(self):
        self.engine.load(self.log(30))
        want = self.engine.subjects()
        it = iter(self.engine)
        first = next(it)
        self.engine.close()
        gc.collect()
        self.assertEqual([first] + list(it), want)
        with self.assertRaises(ValueError):           # a closed engine: at iter()
            iter(self.engine)


def ctypes_address(p):
    """The address a ctypes pointer (or a byref() of one) holds."""
    import ctypes
    obj = getattr(p, "_obj", p)
    return ctypes.cast(obj, ctypes.c_void_p).value


class TestDecimalContext(Base):
    """Answers and quantities are exact whatever decimal context the caller
    set: a prec=5 context rounded 1005.34 to 1005.3, prec=3 a qty of 2.345
    to 2.34, and normalize() took 1 + 10^-28 for 1."""

    def test_answers_do_not_follow_the_callers_context(self):
        import decimal
        e = civic.Engine()
        with open(SAMPLE, "rb") as f:
            e.load(f.read())
        ask = lambda: (repr(e.subjects()), repr(e.record("r0001")), repr(e.groups(1)),  # noqa
                       repr(e.rank(top=3)), repr(e.rules.base), repr(e.rules.tier_info))
        want = ask()
        for prec, emax in ((3, 5), (5, 999999), (28, 3)):
            with decimal.localcontext() as c:
                c.prec, c.Emax = prec, emax
                c.traps[decimal.Overflow] = True
                self.assertEqual(ask(), want, (prec, emax))
        self.assertIn("Decimal('1000.00')", want[4])

    def test_a_decimal_qty_is_sent_exactly(self):
        import decimal
        e = civic.Engine(civic.Rules.from_text(
            '[[grade]]\nname = "A"\n[rule.u]\npoints = 1\nper = "unit"\n'))
        with decimal.localcontext() as c:
            c.prec = 3
            e.add(id="a", subject="s", type="u", ts="2022-01-01", qty=Decimal("2.345"))
            e.add(id="b", subject="s", type="u", ts="2022-01-01", qty=Decimal("1.5000"))
        with self.assertRaises(civic.CivicError) as cm:     # too many places, as a string is
            e.add(id="c", subject="s", type="u", ts="2022-01-01",
                  qty=Decimal("1.0000000000000000000000000001"))
        self.assertIn("too many decimal places", cm.exception.message)
        self.assertEqual([x.qty for x in e.record("s", "2022-02-01").entries],
                         [Decimal("2.345"), Decimal("1.500")])


class TestOverflow(Base):
    def test_a_query_past_64_bits_says_which_sums(self):
        # 10^12 points a unit; ten events of 10,000 units give subject b
        # 10^17 points, past 9.2 * 10^16; a alone (10^12) fits
        rules = civic.Rules.from_text('[[grade]]\nname = "A"\n[rule.unit]\n'
                                      'points = 1000000000000\nper = "unit"\n')
        e = civic.Engine(rules)
        e.load("id,subject,type,ts,qty\na,a,unit,2022-01-01,1\n" + "".join(
            "b%d,b,unit,2022-01-02T00:00:%02dZ,10000\n" % (i, i) for i in range(10)))
        self.assertEqual(e.score("a").score, Decimal("1000000000000.00"))
        for ask in (lambda: e.score("b"), lambda: e.record("b"), e.subjects, e.rank,
                    lambda: e.groups(0)):
            with self.assertRaises(civic.CivicError) as cm:
                ask()
            self.assertEqual(cm.exception.code, civic.CIVIC_E_OVERFLOW)
            self.assertTrue(cm.exception.message.startswith("arithmetic overflow: a subject's "
                                                            "points"), cm.exception.message)
            self.assertIn("pass what 64 bits hold", cm.exception.message)


class TestDurability(Base):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        super().tearDown()
        self.tmp.cleanup()

    def fill(self, engine):
        engine.load(CSV_GOOD)
        engine.add(id="x1", subject="s1", type="dog", ts="2022-03-04", group="d1/st1")

    def test_a_path_no_file_can_have_is_a_civic_error(self):
        # A NUL (a C string ends there) or a lone surrogate that no bytes
        # were decoded from (os.fsencode cannot encode it) names no file:
        # CIVIC_E_INVALID, a CivicError as every error is, and the
        # ValueError or UnicodeEncodeError 1.0 raised; nothing is touched.
        # One decoded with surrogateescape is the byte it was, a file name.
        class PathLike:   # of str or bytes, as os.PathLike may be
            def __init__(self, path):
                self.path = path

            def __fspath__(self):
                return self.path

        self.fill(self.engine)
        d = str(self.dir)
        calls = {"Rules.from_file": civic.Rules.from_file,
                 "load_file": self.engine.load_file,
                 "load(PathLike)": lambda p: self.engine.load(PathLike(p)),
                 "save": self.engine.save,
                 "load_snapshot": self.engine.load_snapshot,
                 "open_snapshot": lambda p: civic.Engine.open_snapshot(p, self.rules),
                 "journal_open": self.engine.journal_open,
                 "compact": self.engine.compact}
        for what, call in calls.items():
            for path, also, message in (
                    (d + "/a\0b", ValueError,
                     "path %r: a NUL character at index %d, which a C string cannot "
                     "carry" % (d + "/a\0b", len(d) + 2)),
                    (os.fsencode(d) + b"/a\0b", ValueError,
                     "path %r: a NUL byte at index %d, which a C string cannot carry"
                     % (os.fsencode(d) + b"/a\0b", len(os.fsencode(d)) + 2)),
                    (d + "/a\ud800b", UnicodeEncodeError,
                     "path %r: a lone surrogate ('\\ud800') at index %d names no file: "
                     "it was decoded from no bytes" % (d + "/a\ud800b", len(d) + 2))):
                with self.assertRaises(civic.CivicError, msg=(what, path)) as cm:
                    call(path)
                x = cm.exception
                self.assertIsInstance(x, also, (what, path))
                self.assertEqual((x.code, x.message), (civic.CIVIC_E_INVALID, message),
                                 (what, path))
                self.assertEqual(pickle.loads(pickle.dumps(x)).message, x.message)
        self.assertEqual(sorted(os.listdir(d)), [])
        self.assertEqual(self.engine.event_count, len(CSV_GOOD.splitlines()))
        self.engine.save(d + "/\udcff")         # surrogateescape: the byte 0xff
        self.assertEqual(os.listdir(os.fsencode(d)), [b"\xff"])

    def test_io_errors_name_the_path_given(self):
        # .filename is the path the caller gave, whatever the message says
        # about it (a path over 143 bytes is shortened there)
        d = self.dir / ("d" * 150)
        d.mkdir()
        link = d / "j.log"
        os.symlink("missing.log", link)
        fifo = d / "fifo"
        os.mkfifo(fifo)
        other = d / "other.log"

        def raised(call, errno_=None):
            with self.assertRaises(civic.CivicOSError) as cm:
                call()
            if errno_ is not None:
                self.assertEqual(cm.exception.errno, errno_)
            return cm.exception

        with civic.Engine(self.rules) as e:
            for given in (link, str(link), os.fsencode(link)):
                x = raised(lambda: e.journal_open(given))
                self.assertIn("is a symbolic link to a missing file", x.message)
                self.assertEqual(x.filename, os.fspath(given))
                self.assertEqual(raised(lambda: e.save(given)).filename, os.fspath(given))
            for given in (fifo, str(fifo)):
                x = raised(lambda: e.journal_open(given))
                self.assertIn("is not a regular file (a FIFO)", x.message)
                self.assertEqual(x.filename, os.fspath(given))
                self.assertEqual(raised(lambda: e.save(given)).filename, os.fspath(given))
            x = raised(lambda: e.save("/dev/null"))
            self.assertEqual((x.message, x.filename),
                             ("snapshot /dev/null is not a regular file (a device)", "/dev/null"))
            # compact: the snapshot's path for the snapshot, the journal's for the journal
            e.journal_open(other)
            self.assertEqual(raised(lambda: e.compact(fifo)).filename, fifo.__fspath__())
            self.assertEqual(raised(lambda: e.compact(str(link))).filename, str(link))
            # a journal another engine holds
            with civic.Engine(self.rules) as e2:
                x = raised(lambda: e2.journal_open(os.fsencode(other)))
                self.assertIn("is locked by another engine", x.message)
                self.assertEqual(x.filename, os.fsencode(other))
                # a lock, not a failing disk: what flock() says, and picklable as such
                self.assertIsInstance(x, BlockingIOError)
                self.assertEqual((x.errno, x.code), (errno.EWOULDBLOCK, civic.CIVIC_E_IO))
                y = pickle.loads(pickle.dumps(x))
                self.assertIsInstance(y, BlockingIOError)
                self.assertEqual((y.errno, y.message), (errno.EWOULDBLOCK, x.message))
            e.journal_close()
        # a journal removed while open: every later error names it as it was given
        sub = d / "sub"
        sub.mkdir()
        given = str(sub / "j.log")
        with civic.Engine(self.rules) as e:
            e.journal_open(given, sync="always")
            e.add(id="a", subject="s", type="fine", ts="2022-03-01")
            shutil.rmtree(sub)
            x = raised(lambda: e.add(id="b", subject="s", type="fine", ts="2022-03-02"))
            self.assertIn("was removed while open", x.message)
            self.assertEqual(x.filename, given)
            log = self.dir / "more.csv"
            log.write_text("id,subject,type,ts\nd,s,fine,2022-03-04\n")
            for call in (lambda: e.load("id,subject,type,ts\nc,s,fine,2022-03-03\n"),
                         lambda: e.load_file(log), lambda: e.load(log), e.journal_sync,
                         lambda: e.purge("2020-01-01"),
                         lambda: e.compact(self.dir / "s.snap")):
                x = raised(call)
                self.assertTrue(x.message.startswith("journal "), x.message)
                self.assertEqual(x.filename, given)
            x = raised(e.journal_close)  # every write to it is gone, acknowledged ones too
            self.assertIn("was removed while open", x.message)
            self.assertIn("save() them to the snapshot", x.message)
            self.assertEqual(x.filename, given)
        # a journal renamed while open (a backup by mv): named as given too,
        # and compact() keeps every event at the name
        given = str(d / "mv.log")
        with civic.Engine(self.rules) as e:
            e.journal_open(given, sync="always")
            e.add(id="a", subject="s", type="fine", ts="2022-03-01")
            os.rename(given, given + ".bak")
            x = raised(lambda: e.add(id="b", subject="s", type="fine", ts="2022-03-02"))
            self.assertIn("was moved or renamed while open", x.message)
            self.assertIn("compact() to keep them there", x.message)
            self.assertEqual(x.filename, given)
            e.compact(self.dir / "mv.snap")
            e.add(id="b", subject="s", type="fine", ts="2022-03-02")
            e.journal_close()
        with civic.Engine(self.rules) as e:
            e.load_snapshot(self.dir / "mv.snap")
            e.journal_open(given)
            self.assertEqual(e.event_count, 2)
        # a journal truncated in place while open (copytruncate): named as
        # given, in Python's words, and compact() keeps every event
        given = str(d / "cut.log")
        with civic.Engine(self.rules) as e:
            e.journal_open(given, sync="always")
            e.add(id="a", subject="s", type="fine", ts="2022-03-01")
            os.truncate(given, 0)
            x = raised(lambda: e.add(id="b", subject="s", type="fine", ts="2022-03-02"))
            self.assertIn("cut.log was truncated while open (as copytruncate does): its "
                          "batches are in this engine, not all in the file; compact() to keep "
                          "them", x.message)
            self.assertEqual(x.filename, given)
            e.compact(self.dir / "cut.snap")
            e.add(id="b", subject="s", type="fine", ts="2022-03-02")
            os.truncate(given, 0)
            x = raised(e.journal_close)
            self.assertIn("not all in the file; save() them before opening it again", x.message)
            self.assertEqual(x.filename, given)
            e.compact(self.dir / "cut.snap")  # the close detached it: a snapshot alone
        with civic.Engine(self.rules) as e:
            e.load_snapshot(self.dir / "cut.snap")
            self.assertEqual(e.event_count, 2)
        # the close after a failed sync, in Python's words too (a failed
        # fsync is not made here: the library's message, as it gives it)
        err = _capi.new_error()
        err.message = (b"journal /srv/j.log: closed after a failed sync; writes acknowledged "
                       b"before it may be missing from the file (group or no-sync policy), "
                       b"but the engine holds them: save it (civic_engine_save) before "
                       b"reopening")
        x = _capi.error_from(civic.CIVIC_E_IO, err)
        self.assertTrue(x.message.endswith("holds them: save() it before reopening"), x.message)
        self.assertEqual(x.filename, "/srv/j.log")
        # a journal removed while open: the way out, in Python's words, keeps
        # every event (a close and a reopen started an empty journal)
        j, snap = self.dir / "kept.jnl", self.dir / "kept.snap"
        with civic.Engine(self.rules) as e:
            e.journal_open(j, sync="always")
            e.add(id="a", subject="s", type="fine", ts="2022-03-01")
            os.unlink(j)
            x = raised(lambda: e.add(id="b", subject="s", type="fine", ts="2022-03-02"))
            self.assertIn("compact() to keep them, before any close", x.message)
            self.assertNotIn("civic_engine_", x.message)
            self.assertEqual(x.filename, os.fspath(j))
            e.compact(snap)
            e.add(id="b", subject="s", type="fine", ts="2022-03-02")
        with civic.Engine.open_snapshot(snap, self.rules) as back:
            back.journal_open(j)
            self.assertEqual(back.event_count, 2)
        # what a message says, read back (a pickled error, a path the call
        # did not give): the path, ": " and " is " in it too
        p = "/tmp/a: b is c/j.log"
        for msg in ("journal %s is a symbolic link to a missing file: give the journal's "
                    "own path",
                    "snapshot %s is a symbolic link to a missing file: give the snapshot's "
                    "own path",
                    "journal %s is not a regular file (a FIFO)",
                    "snapshot %s is not a regular file (a device)",
                    "journal %s: cannot follow its symbolic link: Permission denied",
                    "journal %s is locked by another engine (in this process or another)",
                    "journal %s was removed while open (its file has no name left, its "
                    "directory deleted perhaps): what is written to it cannot be "
                    "recovered; open the journal again",
                    "journal %s: started anew, the damaged file kept beside it as "
                    "j.log.damaged.1, but cannot sync their directory: Input/output error",
                    "journal %s: cannot create a copy of the damaged file: No space left on "
                    "device",
                    "journal %s: cannot sync the directory of the copy of the damaged file: "
                    "Input/output error",
                    "journal %s: cannot create (another engine created it meanwhile): File "
                    "exists",
                    "journal %s: cannot open: Permission denied",
                    "journal %s: an earlier write or sync failed; close and reopen the journal",
                    "journal %s: an earlier write or sync failed",
                    "journal %s: an earlier write or sync failed (what failed was not "
                    "acknowledged, and the files hold all that was); close and reopen the "
                    "journal",
                    "journal %s: an earlier sync failed, and writes acknowledged before it may "
                    "be missing from the file (this engine holds them); compact() to keep them",
                    "journal %s was removed while open (its file has no name left): every "
                    "batch it held is only in this engine; compact() to keep them, before any "
                    "close (a reopen starts an empty journal)",
                    "journal %s was removed while open (its file has no name left, and another "
                    "file has that name now): every batch it held is only in this engine; move "
                    "that file away, then compact() to keep them",
                    "journal %s: compaction: the snapshot was written, and the old journal is "
                    "still attached and whole; the fresh journal to replace it failed: cannot "
                    "write: No space left on device",
                    "journal %s: compaction: the snapshot was written and holds every event; the "
                    "fresh journal to replace the lost one failed: cannot create a temporary "
                    "file: No such file or directory",
                    "journal %s: closed after an earlier failed write or sync (what failed "
                    "was not acknowledged); open it again to go on",
                    "journal %s: closed after an earlier failed sync; the writes "
                    "acknowledged before it (unsynced under the group or no-sync policy) may "
                    "not be in the journal; open it again to see what it holds",
                    "journal %s: closed after a failed sync; writes acknowledged before it may "
                    "be missing from the file (group or no-sync policy), but the engine holds "
                    "them: save it (civic_engine_save) before reopening",
                    "journal %s was removed while open (its file has no name left): what was "
                    "written to it cannot be recovered, acknowledged writes included",
                    "journal %s: the final sync failed",
                    "journal %s was truncated while open (as copytruncate does): its "
                    "batches are in this engine, not all in the file; compact() to keep them, "
                    "before any close (a reopen loses them)",
                    "journal %s: opened by process 12, not this one; after fork() a child "
                    "must open a journal of its own",
                    "cannot open %s: No such file or directory",
                    "cannot read %s: Input/output error",
                    "cannot create a temporary file for %s: Permission denied",
                    "cannot rename snapshot %s: Input/output error",
                    "cannot sync the directory of %s: Input/output error"):
            x = _capi._io_error(msg % p, 0, 0, 0)
            self.assertEqual(x.filename, p, msg)
            self.assertEqual(pickle.loads(pickle.dumps(x)).filename, p, msg)

    def test_save_and_open_snapshot(self):
        self.fill(self.engine)
        snap = self.dir / "events.snap"
        self.engine.save(snap)
        self.assertTrue(snap.exists())
        self.assertEqual([p.name for p in self.dir.iterdir()], ["events.snap"])  # no temp left
        with civic.Engine.open_snapshot(snap, self.rules) as e:
            self.assertEqual(e.event_count, 4)
            self.assertEqual(e.subjects(), self.engine.subjects())
            self.assertIs(e.rules, self.rules)
        with civic.Engine(self.rules) as e:
            e.load_snapshot(str(snap))
            self.assertEqual(e.subjects(), self.engine.subjects())
            e.load_snapshot(snap)                                  # duplicates
            self.assertEqual(e.event_count, 4)

    def test_files_of_a_revised_scheme(self):
        """Under a revision (base 1001, not 1000) the old files are refused,
        unless other_rules=True: then every score is one point more."""
        snap, jnl = self.dir / "events.snap", self.dir / "events.jnl"
        with civic.Engine(self.rules) as e:
            e.journal_open(jnl)
            self.fill(e)
            e.compact(snap)
            e.add(id="late", subject="r9", type="fine", ts="2022-04-01")
            before = {s.subject: s.score for s in e.subjects()}
        revised = civic.Rules.from_text(RULES.replace("base = 1000", "base = 1001"))
        with civic.Engine(revised) as e:
            with self.assertRaises(civic.CivicError) as cm:
                e.load_snapshot(snap)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
            # the way out is named as Python spells it
            self.assertIn("load with other_rules=True", cm.exception.message)
            self.assertNotIn("CIVIC_SNAPSHOT_OTHER_RULES", str(cm.exception))
            with self.assertRaises(TypeError):
                e.load_snapshot(snap, other_rules=1)
            e.load_snapshot(snap, other_rules=True)
            with self.assertRaises(civic.CivicError) as cm:
                e.journal_open(jnl)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
            self.assertIn("open with other_rules=True", cm.exception.message)
            written = jnl.read_bytes()
            e.journal_open(jnl, other_rules=True)
            self.assertEqual({s.subject: s.score for s in e.subjects()},
                             {k: v + 1 for k, v in before.items()})
            # the open changes no file: a compaction that failed here would
            # leave both under the old rules, as they were
            self.assertEqual(jnl.read_bytes(), written)
            e.compact(snap)
        with civic.Engine.open_snapshot(snap, revised) as e:  # the snapshot carries it now
            self.assertEqual(e.event_count, 5)
        with self.assertRaises(civic.CivicError) as cm:
            civic.Engine.open_snapshot(snap, self.rules)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
        with civic.Engine.open_snapshot(snap, self.rules, other_rules=True) as e:
            self.assertEqual({s.subject: s.score for s in e.subjects()}, before)
        with civic.Engine(revised) as e:  # both files carry the revision now
            e.load_snapshot(snap)
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 5)

    def test_a_purge_after_a_revision_is_written_under_it(self):
        """A journal of other rules replayed under a revision is relabelled
        before the first write to it: a purge made under the revision (its retain of 10 years, not 3)
        is replayed under it, and its events are kept.  Before, the purge went
        into a file that still named the old rules: the next open was refused,
        and the way out it named ran the purge under the old retain, deleting
        an event the revision keeps (f1 of 2015)."""
        text = ('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 0\n'
                '[rule.fine]\npoints = -10\nvalid = "10y"\nretain = "%s"\naffects = "score"\n')
        old, new = civic.Rules.from_text(text % "3y"), civic.Rules.from_text(text % "10y")
        for source in ("court", ""):  # a version 2 journal, and a version 1 one
            with self.subTest(source=source):
                jnl = self.dir / ("j%s.jnl" % source)
                with civic.Engine(old) as e:
                    e.journal_open(jnl)
                    e.add(id="f0", subject="r1", type="fine", ts="2010-01-01", source=source or None)
                    e.add(id="f1", subject="r1", type="fine", ts="2015-01-01")
                    e.add(id="f2", subject="r1", type="fine", ts="2023-01-01")
                with civic.Engine(new) as e:
                    e.journal_open(jnl, other_rules=True)
                    self.assertEqual(e.purge("2022-01-01").events, 1)  # f0 only
                    self.assertEqual(e.score("r1", as_of="2024-01-01").score, 980)
                with civic.Engine(new) as e:  # no flag needed: the file names these rules
                    e.journal_open(jnl)
                    self.assertEqual(e.event_count, 2)
                    self.assertEqual(e.score("r1", as_of="2024-01-01").score, 980)
                with civic.Engine(old) as e:  # and the old rules are told what it is
                    with self.assertRaises(civic.CivicError) as cm:
                        e.journal_open(jnl)
                    self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)

    def test_a_journal_of_events_is_relabelled_by_the_first_write(self):
        """journal_open(other_rules=True) leaves the journal's header naming
        the old rules; the engine's first write to it rewrites it.  An open
        and a close without a write leave the file as it was: the old rules
        open it, the new ones only with other_rules=True.  The README said
        the open itself relabelled it."""
        text = ('[scheme]\nbase = %d\n[[grade]]\nname = "A"\nmin = 0\n'
                '[rule.fine]\npoints = -10\nvalid = "10y"\naffects = "score"\n')
        old, new = civic.Rules.from_text(text % 1000), civic.Rules.from_text(text % 1001)
        jnl = self.dir / "relabel.jnl"
        with civic.Engine(old) as e:
            e.journal_open(jnl)
            for i in range(3):
                e.add(id="f%d" % i, subject="r1", type="fine", ts="2020-01-0%d" % (i + 1))
        written = jnl.read_bytes()
        with civic.Engine(new) as e:
            self.assertEqual(e.journal_open(jnl, other_rules=True).events, 3)
        self.assertEqual(jnl.read_bytes(), written)
        with civic.Engine(old) as e:          # still the old rules' journal
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 3)
        with civic.Engine(new) as e:
            with self.assertRaises(civic.CivicError) as cm:
                e.journal_open(jnl)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
        with civic.Engine(new) as e:          # the first write relabels it
            e.journal_open(jnl, other_rules=True)
            e.add(id="f3", subject="r1", type="fine", ts="2020-01-04")
        with civic.Engine(new) as e:
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 4)
        readme = os.path.join(PKG_ROOT, "README.md")
        if not os.path.exists(readme):                  # an installed package
            return
        with open(readme, encoding="utf-8") as f:
            words = " ".join(f.read().split())
        self.assertFalse("as soon as `journal_open(..., other_rules=True)` has read it" in words,
                         "the open does not relabel the journal")
        self.assertTrue(re.search(r"`journal_open\(\.\.\., other_rules=True\)` leaves the "
                                  r"journal's header naming the old rules.{0,400}first write", words),
                        "the README says when a journal of events is relabelled")

    def _journal_with_a_purge(self, name):
        """Rules with a 1-year retain (old) and a 10-year one (new), and a
        journal at NAME.jnl written under the old rules that holds a purge
        (f0 removed, f1 kept); the engine that wrote it is closed.  Returns
        old, new, the journal's path and NAME.snap's, and the open engine
        for the caller's with-block."""
        text = ('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 0\n'
                '[rule.fine]\npoints = -10\nvalid = "1y"\nretain = "%s"\naffects = "score"\n')
        old, new = civic.Rules.from_text(text % "1y"), civic.Rules.from_text(text % "10y")
        jnl, snap = self.dir / (name + ".jnl"), self.dir / (name + ".snap")
        e = civic.Engine(old)
        e.journal_open(jnl)
        e.add(id="f0", subject="r1", type="fine", ts="2010-01-01")
        e.add(id="f1", subject="r1", type="fine", ts="2020-01-01")
        self.assertEqual(e.purge("2015-01-01").events, 1)  # f0, under the 1-year retain
        return old, new, jnl, snap, e

    def test_a_journal_holding_a_purge_of_old_rules_keeps_their_name(self):
        """A journal that holds a purge of the old rules (one its snapshot
        holds) is replayed under a revision, but keeps the old rules' name:
        relabelled, a later open of it over a snapshot that does not hold the
        purge would run it under the revision's retain, bringing back events
        it deleted.  Until a compaction, a purge is refused, naming compact()."""
        old, new, jnl, snap, e = self._journal_with_a_purge("p")
        with e:
            e.save(snap)                                        # holds the purge
        with civic.Engine.open_snapshot(snap, new, other_rules=True) as e:
            e.journal_open(jnl, other_rules=True)
            self.assertEqual(e.event_count, 1)
            with self.assertRaises(civic.CivicError) as cm:
                e.purge("2016-01-01")
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
            self.assertIn("compact()", cm.exception.message)
            self.assertEqual(e.event_count, 1)
            # nor events: written there, they would be read under the old rules
            with self.assertRaises(civic.CivicError) as cm:
                e.add(id="f2", subject="r1", type="fine", ts="2021-01-01")
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
            self.assertIn("compact()", cm.exception.message)
            self.assertEqual(e.event_count, 1)
        with civic.Engine(new) as e:  # still the old rules' file: refused, not replayed
            with self.assertRaises(civic.CivicError) as cm:
                e.journal_open(jnl)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
        with civic.Engine(old) as e:  # and under them, it is what it was
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 1)
        with civic.Engine.open_snapshot(snap, new, other_rules=True) as e:
            e.journal_open(jnl, other_rules=True)
            e.compact(snap)
            self.assertEqual(e.purge("2016-01-01").events, 0)  # allowed now
            e.add(id="f2", subject="r1", type="fine", ts="2021-01-01")
        with civic.Engine.open_snapshot(snap, new) as e:
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 2)  # f1, f2

    def test_a_journal_holding_a_purge_the_engine_lacks_opens_only_under_its_rules(self):
        """journal_open(other_rules=True) of a journal that holds a purge of
        the old rules, into an engine that does not hold that purge (a fresh
        one), raises CIVIC_E_MISMATCH: the purge cannot be run under the
        revision.  The way out: open it under the old rules and compact,
        then load the snapshot under the revision.  The README said such a
        journal opened and refused writes until compact()."""
        old, new, jnl, snap, e = self._journal_with_a_purge("q")
        e.close()
        written = jnl.read_bytes()
        with civic.Engine(new) as e:
            with self.assertRaises(civic.CivicError) as cm:
                e.journal_open(jnl, other_rules=True)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
            self.assertIn("open the journal under the rules it was written with and compact",
                          cm.exception.message)
            self.assertEqual(e.event_count, 0)
            e.add(id="x", subject="r2", type="fine", ts="2020-01-01")  # no journal attached
        self.assertEqual(jnl.read_bytes(), written)
        with civic.Engine(old) as e:                   # the way out
            e.journal_open(jnl)
            e.compact(snap)
        with civic.Engine.open_snapshot(snap, new, other_rules=True) as e:
            e.journal_open(jnl, other_rules=True)
            e.add(id="f2", subject="r1", type="fine", ts="2021-01-01")   # written
            e.compact(snap)
        with civic.Engine.open_snapshot(snap, new) as e:
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 2)          # f1, f2: the purge's result kept
        readme = os.path.join(PKG_ROOT, "README.md")
        for words in ([open(readme, encoding="utf-8").read()]
                      if os.path.exists(readme) else []) + [civic.Engine.journal_open.__doc__]:
            words = " ".join(words.split())
            self.assertFalse(re.search(r"holds a purge (made under|of) the old rules (keeps "
                                       r"their name and )?refuses every write", words),
                             "such a journal does not open: it cannot refuse writes")
            self.assertTrue(re.search(r"purge.{0,200}CIVIC_E_MISMATCH.{0,300}under the old "
                                      r"rules.{0,40}compact", words), "the way out is told")

    def test_a_purge_is_held_only_up_to_the_engines_horizon(self):
        """A journal's purge is skipped when the engine holds it already (its
        snapshot was saved after it); the number alone could match a purge of
        another history: a purge at 2010-06 made on the snapshot before the
        journal was attached took number 1 too, and the journal's purge 1 at
        2015 was skipped, bringing f0 back.  One later than the engine's
        horizon is replayed, whatever its number."""
        text = ('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 0\n'
                '[rule.fine]\npoints = -10\nvalid = "1y"\nretain = "1y"\naffects = "score"\n')
        rules = civic.Rules.from_text(text)
        jnl, snap = self.dir / "h.jnl", self.dir / "h.snap"
        with civic.Engine(rules) as e:
            e.journal_open(jnl)
            e.add(id="f0", subject="r1", type="fine", ts="2010-01-01")
            e.add(id="f1", subject="r1", type="fine", ts="2020-01-01")
            e.compact(snap)
            self.assertEqual(e.purge("2015-01-01").events, 1)  # f0; purge number 1
        with civic.Engine.open_snapshot(snap, rules) as e:
            self.assertEqual(e.purge("2010-06-01").events, 0)  # also number 1, earlier
            e.journal_open(jnl)
            self.assertEqual(e.event_count, 1)  # f1: the journal's purge ran
            self.assertEqual(e.score("r1", as_of="2020-06-01").score, 990)

    def test_snapshot_errors(self):
        self.fill(self.engine)
        snap = self.dir / "events.snap"
        self.engine.save(snap)
        with self.assertRaises(civic.CivicError) as cm:
            civic.Engine.open_snapshot(self.dir / "missing.snap", self.rules)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_IO)
        other = civic.Rules.from_text(RULES.replace("base = 1000", "base = 1001"))
        with self.assertRaises(civic.CivicError) as cm:
            civic.Engine.open_snapshot(snap, other)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
        data = bytearray(snap.read_bytes())
        data[len(data) // 2] ^= 0xFF
        bad = self.dir / "bad.snap"
        bad.write_bytes(bytes(data))
        with civic.Engine(self.rules) as e:
            with self.assertRaises(civic.CivicError) as cm:
                e.load_snapshot(bad)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_CORRUPT)
            self.assertEqual(e.event_count, 0)
            bad.write_bytes(snap.read_bytes()[:-3])                 # truncated
            with self.assertRaises(civic.CivicError) as cm:
                e.load_snapshot(bad)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_CORRUPT)
            # a conflicting event already held fails the whole load
            e.add(id="a1", subject="other", type="fine", ts="2022-03-01")
            with self.assertRaises(civic.CivicError) as cm:
                e.load_snapshot(snap)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_CONFLICT)
            self.assertEqual(e.event_count, 1)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.save(self.dir / "no" / "such" / "dir.snap")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_IO)
        with self.assertRaises(TypeError):
            self.engine.save(42)
        with self.assertRaises(ValueError):
            self.engine.save("a\0b")

    def test_journal_replays_every_acknowledged_write(self):
        path = self.dir / "events.journal"
        rep = self.engine.journal_open(path)
        self.assertIsInstance(rep, civic.JournalReport)
        self.assertTrue(rep.created)
        self.assertEqual((rep.batches, rep.events, rep.accepted, rep.bytes_truncated),
                         (0, 0, 0, 0))
        self.fill(self.engine)
        with self.assertRaises(civic.CivicError):
            self.engine.load(CSV_BAD)                              # not journaled
        self.engine.journal_sync()
        self.engine.journal_close()
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.journal_sync()
        self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
        with civic.Engine(self.rules) as e:
            rep = e.journal_open(path, sync="group", interval_ms=5)
            self.assertFalse(rep.created)
            self.assertEqual((rep.batches, rep.events, rep.accepted), (2, 4, 4))
            self.assertEqual(rep.bytes_kept, path.stat().st_size)
            self.assertEqual(e.subjects(), self.engine.subjects())
            e.add(id="x2", subject="s9", type="fine", ts="2022-03-05")
        with civic.Engine(self.rules) as e:                        # freed: synced
            self.assertEqual(e.journal_open(path, sync="none").accepted, 5)

    def test_journal_torn_tail_is_truncated(self):
        path = self.dir / "events.journal"
        self.engine.journal_open(path)
        self.fill(self.engine)
        self.engine.journal_close()
        size = path.stat().st_size
        with open(path, "ab") as f:
            f.write(b"\x01torn tail")
        with civic.Engine(self.rules) as e:
            rep = e.journal_open(path)
            self.assertEqual(rep.bytes_truncated, len(b"\x01torn tail"))
            self.assertEqual(rep.bytes_kept, size)
            self.assertEqual(e.event_count, 4)
        self.assertEqual(path.stat().st_size, size)
        self.assertEqual((rep.copy_kept, rep.cut_whole), (False, False))  # a write cut short

    def test_a_whole_last_record_failing_its_checksum_is_cut_after_a_copy(self):
        # whole in the file (its length within it), yet its checksum fails:
        # no write cut short by a crash; cut as a torn tail after a copy
        path = self.dir / "events.journal"
        self.engine.journal_open(path)
        self.fill(self.engine)
        size = path.stat().st_size
        self.engine.add(id="w1", subject="s1", type="fine", ts="2022-04-01")
        self.engine.journal_close()
        raw = bytearray(path.read_bytes())
        raw[-3] ^= 0x04                                   # in the last record's payload
        path.write_bytes(bytes(raw))
        with civic.Engine(self.rules) as e:
            rep = e.journal_open(path)
            self.assertEqual((rep.copy_kept, rep.cut_whole), (True, True))
            self.assertEqual(rep.bytes_truncated, len(raw) - size)
            self.assertEqual(e.event_count, 4)
        copies = [p for p in self.dir.iterdir() if p.name.startswith("events.journal.damaged.")]
        self.assertEqual(len(copies), 1)
        self.assertEqual(copies[0].read_bytes(), bytes(raw))

    def test_journal_damaged_in_the_middle_is_refused_then_recovered(self):
        path = self.dir / "events.journal"
        self.engine.journal_open(path)
        self.engine.add(id="d1", subject="s1", type="fine", ts="2022-01-01")
        self.engine.add(id="d2", subject="s1", type="fine", ts="2022-01-02")
        self.engine.add(id="d3", subject="s1", type="fine", ts="2022-01-03")
        self.engine.journal_close()
        raw = bytearray(path.read_bytes())
        starts = [i for i in range(len(raw)) if raw[i:i + 4] == b"CJRC"]
        self.assertEqual(len(starts), 3)                 # one record per add
        damage = starts[1] + (starts[2] - starts[1]) // 2   # inside the second
        raw[damage] ^= 0xFF
        path.write_bytes(bytes(raw))
        with civic.Engine(self.rules) as e:
            with self.assertRaises(civic.CivicError) as cm:
                e.journal_open(path)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_CORRUPT)
            self.assertEqual(cm.exception.offset, starts[1])
            self.assertIn("1 intact batch (1 record) follows it", cm.exception.message)
            # the way out is named as Python spells it, not as the C flag
            self.assertIn("open with recover=True", cm.exception.message)
            self.assertNotIn("CIVIC_JOURNAL_RECOVER", str(cm.exception))
            self.assertEqual(e.event_count, 0)            # nothing half-applied
        self.assertEqual(path.read_bytes(), bytes(raw))   # nothing truncated
        with self.assertRaises(TypeError):
            self.engine.journal_open(path, recover="yes")
        with civic.Engine(self.rules) as e:
            rep = e.journal_open(path, recover=True)
            self.assertEqual((e.event_count, rep.batches), (1, 1))
            self.assertEqual(rep.bytes_kept, starts[1])
            self.assertEqual((rep.copy_kept, rep.cut_whole), (True, False))
        copies = [p for p in self.dir.iterdir() if p.name.startswith("events.journal.damaged.")]
        self.assertEqual(len(copies), 1)
        self.assertEqual(copies[0].read_bytes(), bytes(raw))

    def test_journal_errors(self):
        path = self.dir / "events.journal"
        self.engine.journal_open(path)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.journal_open(self.dir / "second.journal")  # one per engine
        self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
        self.engine.add(id="j1", subject="s", type="fine", ts="2022-01-01")
        self.engine.journal_close()
        other = civic.Rules.from_text(RULES.replace("base = 1000", "base = 1001"))
        with civic.Engine(other) as e:
            with self.assertRaises(civic.CivicError) as cm:
                e.journal_open(path)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_MISMATCH)
        with self.assertRaises(ValueError):
            self.engine.journal_open(path, sync="sometimes")
        with self.assertRaises(ValueError):
            self.engine.journal_open(path, sync="always", interval_ms=10)
        with self.assertRaises(ValueError):
            self.engine.journal_open(path, sync="group", interval_ms=0)
        with self.assertRaises(civic.CivicError) as cm:
            self.engine.journal_close()
        self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)

    def test_compact_then_recover(self):
        journal = self.dir / "events.journal"
        snap = self.dir / "events.snap"
        self.engine.journal_open(journal)
        self.fill(self.engine)
        self.engine.compact(snap)
        self.engine.add(id="x3", subject="s3", type="fine", ts="2022-03-06")
        self.engine.journal_close()
        with civic.Engine.open_snapshot(snap, self.rules) as e:
            self.assertEqual(e.event_count, 4)
            rep = e.journal_open(journal)
            self.assertEqual((rep.batches, rep.accepted), (1, 1))
            self.assertEqual(e.subjects(), self.engine.subjects())

    def test_compact_after_a_chdir_keeps_the_journal_where_it_was_opened(self):
        # a journal opened by a relative path, then the working directory
        # changes: the compaction and the adds after it stay in the journal's
        # own directory, and a journal of that name in the new one is left
        # alone (a compaction used to put its fresh journal there)
        a, b = self.dir / "a", self.dir / "b"
        a.mkdir()
        b.mkdir()
        home = os.getcwd()
        self.addCleanup(os.chdir, home)
        os.chdir(b)
        other = civic.Engine(self.rules)
        self.addCleanup(other.close)
        other.journal_open("journal.civic")
        other.add(id="b1", subject="s2", type="fine", ts="2022-02-01")
        theirs = (b / "journal.civic").read_bytes()
        os.chdir(a)
        self.engine.journal_open("journal.civic")
        self.engine.add(id="a1", subject="s1", type="fine", ts="2022-01-01")
        os.chdir(b)
        self.engine.compact(a / "snapshot.civic")
        self.engine.add(id="a2", subject="s1", type="fine", ts="2022-01-02")
        self.engine.journal_close()
        self.assertEqual((b / "journal.civic").read_bytes(), theirs)
        self.assertEqual(sorted(p.name for p in b.iterdir()), ["journal.civic"])
        with civic.Engine.open_snapshot(a / "snapshot.civic", self.rules) as e:
            e.journal_open(a / "journal.civic")
            self.assertEqual(e.event_count, 2)

    def test_compact_refuses_the_journal_under_another_name(self):
        journal = self.dir / "events.journal"
        self.engine.journal_open(journal)
        self.fill(self.engine)
        os.symlink("events.journal", self.dir / "link.journal")
        for name in (str(self.dir) + "/./events.journal", self.dir / "link.journal",
                     os.path.relpath(journal)):
            with self.assertRaises(civic.CivicError) as cm:
                self.engine.compact(name)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)
        self.engine.journal_close()
        with civic.Engine(self.rules) as e:
            rep = e.journal_open(journal)
            self.assertEqual(rep.accepted, 4)

    def test_journal_is_locked_against_a_second_process(self):
        path = self.dir / "events.journal"
        self.engine.journal_open(path)
        code = ("import sys, civic; sys.path.insert(0, %r)\n"
                "e = civic.Engine(civic.Rules.from_text(%r))\n"
                "try:\n    e.journal_open(%r)\nexcept civic.CivicError as x:\n"
                "    print(x.name)\nelse:\n    print('opened')\n"
                % (PKG_ROOT, RULES, str(path)))
        p = _run_python(code, {"CIVIC_LIBRARY": civic.library_path()})
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout.decode().strip(), "CIVIC_E_IO")

    def test_closed_engine(self):
        self.engine.close()
        for f in (lambda: self.engine.save(self.dir / "x"),
                  lambda: self.engine.load_snapshot(self.dir / "x"),
                  lambda: self.engine.journal_open(self.dir / "j"),
                  self.engine.journal_sync, self.engine.journal_close,
                  lambda: self.engine.compact(self.dir / "x")):
            with self.assertRaises(ValueError):
                f()


# --------------------------------------------------------------------------
# Lifetime and threads
# --------------------------------------------------------------------------


class TestLifetime(unittest.TestCase):
    def test_answers_outlive_the_engine(self):
        rules = civic.Rules.from_text(RULES)
        engine = civic.Engine(rules)
        engine.load(CSV_GOOD)
        subs, rec, grp = engine.subjects(), engine.record("s1"), engine.groups(1)
        engine.close()
        rules.close()
        del engine, rules
        gc.collect()
        self.assertEqual(subs[0].subject, "s1")
        self.assertEqual(rec.entries[0].id, "a1")
        self.assertEqual(grp[0].path, "d1")

    def test_copies_never_outlive_the_handle_they_share(self):
        # a shallow copy shared the C handle the original freed when collected
        import copy
        import pickle
        rules = civic.Rules.from_text(RULES)
        self.assertIs(copy.copy(rules), rules)          # immutable: itself
        self.assertIs(copy.deepcopy(rules), rules)
        engine = civic.Engine(rules)
        engine.load(CSV_GOOD)
        for how in (copy.copy, copy.deepcopy, pickle.dumps):
            with self.assertRaisesRegex(TypeError, "civic.Engine cannot be"):
                how(engine)
        back = pickle.loads(pickle.dumps(rules))        # by its text: a new handle
        self.assertIsNot(back, rules)
        self.assertEqual(back.fingerprint, rules.fingerprint)
        kept = copy.copy(rules)
        del rules
        gc.collect()
        self.assertEqual(kept.name, engine.rules.name)  # alive, not freed
        self.assertEqual(engine.score("s1").subject, "s1")
        engine.close()

    def test_engine_keeps_its_rules_alive(self):
        rules = civic.Rules.from_text(RULES)
        w = weakref.ref(rules)
        engine = civic.Engine(rules)
        del rules
        gc.collect()
        self.assertIsNotNone(w())
        self.assertIs(engine.rules, w())
        engine.add(id="a", subject="s", type="fine", ts="2022-03-01")
        del engine
        self.assertIsNone(w())              # no cycles: freed without gc

    def test_closing_the_rules_does_not_break_the_engine(self):
        rules = civic.Rules.from_text(RULES)
        engine = civic.Engine(rules)
        rules.close()
        engine.add(id="a", subject="s", type="fine", ts="2022-03-01")
        self.assertEqual(engine.score("s", "2022-04-01").score, D(990))
        engine.close()

    def test_objects_are_collected_in_any_order(self):
        for order in range(4):
            rules = civic.Rules.from_text(RULES)
            engine = civic.Engine(rules)
            engine.load(CSV_GOOD)
            wr, we = weakref.ref(rules), weakref.ref(engine)
            if order == 0:
                del rules
                gc.collect()
                del engine
            elif order == 1:
                del engine
                gc.collect()
                del rules
            elif order == 2:
                rules.close()
                del rules
                engine.close()
                del engine
            else:
                engine.close()
                rules.close()
                del rules, engine
            gc.collect()
            self.assertIsNone(wr())
            self.assertIsNone(we())

    def test_finalizers_do_not_hold_the_object(self):
        engine = civic.Engine(civic.Rules.from_text(RULES))
        w = weakref.ref(engine)
        del engine
        self.assertIsNone(w())

    def test_closed_engine_raises_value_error(self):
        engine = civic.Engine(civic.Rules.from_text(RULES))
        engine.load(CSV_GOOD)
        engine.close()
        engine.close()
        self.assertTrue(engine.closed)
        calls = [
            lambda: engine.add(id="z", subject="s", type="fine", ts="2022-01-01"),
            lambda: engine.load(CSV_GOOD), lambda: engine.score("s1"),
            lambda: engine.record("s1"), lambda: engine.subjects(), lambda: list(engine),
            lambda: engine.rank(), lambda: engine.groups(1), lambda: engine.event_count,
            lambda: engine.subject_count, lambda: engine.time_range,
            lambda: engine.parse_time("2022-01-01"), lambda: "s1" in engine,
            lambda: "" in engine, lambda: "x" * 200 in engine,
        ]
        for f in calls:
            with self.assertRaises(ValueError):
                f()
        with self.assertRaises(ValueError):
            with engine:        # a with-block on a closed engine, too
                pass
        self.assertIn("closed", repr(engine))

    def test_exit_with_daemon_threads_inside_calls(self):
        # weakref.finalize runs at exit while daemon threads are still in a
        # C call: it freed the engine under them (a segfault, 11 runs of 11)
        code = textwrap.dedent("""\
            import civic, threading, time
            e = civic.Engine()
            e.load(b"id,subject,type,ts\\n" + b"".join(
                b"g%d,s%d,volunteer_hour,%d\\n" % (i, i % 50000, 1700000000 + i)
                for i in range(200000)))
            started = threading.Event()
            def loop():
                while True:
                    started.set()
                    e.rank(top=1)
            for _ in range(4):
                threading.Thread(target=loop, daemon=True).start()
            started.wait()
            time.sleep(0.2)
            print("exiting")
            """)
        for _ in range(3):
            p = _run_python(code, {})
            self.assertEqual((p.returncode, p.stdout.strip()), (0, b"exiting"), p.stderr.decode())

    def test_a_forked_child_cannot_write_the_parents_journal(self):
        if not hasattr(os, "fork"):
            self.skipTest("no fork")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "j.log")
            e = civic.Engine(civic.Rules.from_text(RULES))
            e.journal_open(path)
            e.add(id="p0", subject="s", type="fine", ts="2022-01-01")
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:   # the child: report what happened through the pipe
                os.close(r)
                said = []
                try:
                    e.add(id="c0", subject="s", type="fine", ts="2022-01-02")
                    said.append("add accepted")
                except civic.CivicOSError as x:
                    said.append("refused" if "after fork()" in str(x) else str(x))
                said.append(str(e.event_count))
                e.journal_close()
                os.write(w, " ".join(said).encode())
                os._exit(0)
            os.close(w)
            with os.fdopen(r) as f:
                said = f.read()
            os.waitpid(pid, 0)
            self.assertEqual(said, "refused 1")
            e.add(id="p1", subject="s", type="fine", ts="2022-01-03")
            e.close()
            x = civic.Engine(civic.Rules.from_text(RULES))
            x.journal_open(path)
            self.assertEqual([en.id for en in x.record("s").entries], ["p0", "p1"])
            x.close()

    def test_with_closes(self):
        with civic.Engine(civic.Rules.from_text(RULES)) as e:
            e.load(CSV_GOOD)
        self.assertTrue(e.closed)

    def test_many_engines_do_not_grow_memory(self):
        rules = civic.Rules.from_text(RULES)

        def cycle(i):
            e = civic.Engine(rules)
            e.load(CSV_GOOD)
            for j in range(20):
                e.add(id="m%d" % j, subject="s%d" % (j % 5), type="fine",
                      ts=1646064000 + j)
            e.subjects()
            if i % 2:
                e.close()
            del e
            r = civic.Rules.from_text(RULES)
            if i % 3 == 0:
                r.close()
            del r

        for i in range(300):                    # warm up allocator pools
            cycle(i)
        gc.collect()
        before = rss_bytes()
        for i in range(2000):
            cycle(i)
        gc.collect()
        grown = rss_bytes() - before
        self.assertLess(grown, 4 * 1024 * 1024,
                        "RSS grew by %d bytes over 2000 create/free cycles" % grown)


    def test_answers_do_not_leak_c_memory(self):
        rules = civic.Rules.from_text(RULES)
        with civic.Engine(rules) as e:
            e.load("\n".join(generate_csv_lines(list(rules.rules), 120)))

            def queries():
                e.subjects()
                e.rank(top=5)
                e.groups(1)
                e.record("s0001")
                e.score("s0002")

            for _ in range(100):
                queries()
            gc.collect()
            before = rss_bytes()
            for _ in range(2000):
                queries()
            gc.collect()
            grown = rss_bytes() - before
        self.assertLess(grown, 4 * 1024 * 1024,
                        "RSS grew by %d bytes over 2000 rounds of queries" % grown)


def generate_csv_lines(codes, n):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "subject", "type", "ts", "qty", "group", "ref"])
    for r in generate_log(codes, n=n, seed=11):
        w.writerow([r[k] for k in ("id", "subject", "type", "ts", "qty", "group", "ref")])
    return out.getvalue().splitlines()


class TestThreads(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = civic.Rules.from_text(RULES)
        cls.log = generate_log(list(cls.rules.rules), n=3000, seed=7)

    def test_concurrent_queries_on_one_engine(self):
        engine = civic.Engine(self.rules)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "log.csv")
            write_csv(path, self.log)
            engine.load_file(path)
        expect_subjects = engine.subjects()
        expect_rank = engine.rank(top=50)
        expect_groups = engine.groups(2)
        some = [s.subject for s in expect_subjects[::37]]
        expect_records = {s: engine.record(s) for s in some}
        errors = []

        def worker(seed):
            rnd = random.Random(seed)
            try:
                for _ in range(15):
                    k = rnd.randrange(4)
                    if k == 0:
                        assert engine.subjects() == expect_subjects
                    elif k == 1:
                        assert engine.rank(top=50) == expect_rank
                    elif k == 2:
                        assert engine.groups(2) == expect_groups
                    else:
                        s = rnd.choice(some)
                        assert engine.record(s) == expect_records[s]
                        assert engine.score(s) == expect_records[s].summary
            except Exception as e:          # pragma: no cover - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        engine.close()
        self.assertEqual(errors, [])

    def test_writes_and_queries_interleave(self):
        engine = civic.Engine(self.rules)
        errors = []

        def writer(k):
            try:
                for i in range(300):
                    engine.add(id="w%d-%d" % (k, i), subject="s%d" % (i % 17),
                               type="fine", ts=1646064000 + i)
            except Exception as e:          # pragma: no cover
                errors.append(repr(e))

        def reader():
            try:
                for _ in range(50):
                    for s in engine.subjects():
                        assert s.events >= 1
            except Exception as e:          # pragma: no cover
                errors.append(repr(e))

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
        threads += [threading.Thread(target=reader) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(engine.event_count, 900)
        engine.close()

    def test_close_while_other_threads_query(self):
        engine = civic.Engine(self.rules)
        engine.load(CSV_GOOD)
        outcomes = []
        start = threading.Event()

        def worker():
            start.wait()
            for _ in range(200):
                try:
                    engine.subjects()
                    engine.record("s1")
                except ValueError:
                    outcomes.append("closed")
                    return
            outcomes.append("done")

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        start.set()
        engine.close()
        for t in threads:
            t.join()
        self.assertEqual(len(outcomes), 6)


# --------------------------------------------------------------------------
# Parity with the CLI
# --------------------------------------------------------------------------


@unittest.skipUnless(cli_available(), "build/civic-score not built")
class TestParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        with civic.default_rules() as r:
            codes = list(r.rules)
        cls.log = generate_log(codes, n=12000)
        cls.csv = os.path.join(cls.tmp.name, "log.csv")
        cls.jsonl = os.path.join(cls.tmp.name, "log.jsonl")
        write_csv(cls.csv, cls.log)
        write_jsonl(cls.jsonl, cls.log)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, path, *cli_args, as_of=None):
        header, rows = cli_rows(run_cli("--format", "csv", *cli_args, path))
        self.assertEqual(header, ["subject", "group", "score", "grade", "balance", "flags"])
        with civic.Engine(civic.default_rules()) as e:
            e.load_file(path)
            mine = binding_rows(e.subjects(as_of))
        self.assertEqual(len(mine), len(rows))
        for a, b in zip(mine, rows):
            self.assertEqual(a, b)
        return mine

    @unittest.skipUnless(os.path.exists(SAMPLE), "examples/data/sample.csv not present")
    def test_sample_log(self):
        rows = self.check(SAMPLE)
        self.assertTrue(rows)

    def test_generated_log_of_12000_events(self):
        self.assertGreaterEqual(len(self.log), 10000)
        rows = self.check(self.csv)
        self.assertGreater(len(rows), 600)
        self.assertIn("d9/st,comma/c1", [r[1] for r in rows])   # quoted by the CLI

    def test_generated_log_at_other_as_of_times(self):
        for as_of in ("2022-06-30", "2023-01-01T12:00:00+08:00", "1640995200"):
            self.check(self.csv, "--as-of", as_of, as_of=as_of)

    def test_worker_threads_give_identical_answers(self):
        answers = []
        for threads in (1, 4, 0):
            with civic.Engine(civic.default_rules(), threads=threads) as e:
                e.load_file(self.csv)
                answers.append((e.subjects(), e.groups(2), e.rank(top=30),
                                e.subjects("2023-01-01")))
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0], answers[2])

    def test_jsonl_csv_and_add_agree(self):
        with civic.Engine(civic.default_rules()) as a, \
                civic.Engine(civic.default_rules()) as b, \
                civic.Engine(civic.default_rules()) as c:
            ra = a.load_file(self.csv)
            rb = b.load_file(self.jsonl)
            self.assertEqual((ra.accepted, ra.duplicates), (len(self.log) - 50, 50))
            self.assertEqual((rb.accepted, rb.duplicates), (len(self.log) - 50, 50))
            rows = list(self.log)
            random.Random(3).shuffle(rows)
            added = 0
            for r in rows:
                added += c.add(id=r["id"], subject=r["subject"], type=r["type"],
                               ts=r["ts"], qty=r["qty"] or None, group=r["group"] or None,
                               ref=r["ref"] or None)
            self.assertEqual(added, len(self.log) - 50)
            self.assertEqual(a.subjects(), b.subjects())
            self.assertEqual(a.subjects(), c.subjects())
            self.assertEqual(a.groups(2), c.groups(2))
            self.assertEqual(a.rank(top=20), c.rank(top=20))

    def test_records_agree_with_scores_on_the_generated_log(self):
        seen = set()
        with civic.Engine(civic.default_rules()) as e:
            e.load_file(self.csv)
            for s in e.subjects():
                rec = e.record(s.subject)
                self.assertEqual(rec.summary, s)
                self.assertEqual(len(rec.entries), s.events)
                for x in rec.entries:
                    seen.add((x.kind, x.state))
                    seen.update(m for m in ("capped", "escalated") if getattr(x, m))
                seen.update(s.flags)
        # the log exercises every state, caps, repeats and flags
        for want in (("rule", "active"), ("rule", "expired"), ("rule", "revoked"),
                     ("rule", "repaired"), ("redeem", "accepted"), ("redeem", "rejected"),
                     ("revoke", "applied"), ("revoke", "dangling"), ("repair", "applied"),
                     ("repair", "dangling"), "capped", "escalated"):
            self.assertIn(want, seen)
        self.assertGreaterEqual(len(seen), 14)

    def test_groups_and_rank_agree_with_subjects(self):
        with civic.Engine(civic.default_rules()) as e:
            e.load_file(self.csv)
            subs = e.subjects()
            grades = [g.name for g in e.rules.grades]
            for depth in (0, 1, 2, 3):
                expect = {}
                for s in subs:
                    parts = s.group.split("/") if s.group else []
                    if len(parts) < depth:
                        continue
                    expect.setdefault("/".join(parts[:depth]), []).append(s)
                got = e.groups(depth)
                self.assertEqual([g.path for g in got],
                                 sorted(expect, key=lambda p: p.encode()))
                for g in got:
                    members = expect[g.path]
                    scores = sorted(m.score for m in members)
                    self.assertEqual(g.subjects, len(members))
                    self.assertEqual(g.min, scores[0])
                    self.assertEqual(g.max, scores[-1])
                    self.assertEqual(g.balance, sum(m.balance for m in members))
                    self.assertEqual(g.mean, _round2(sum(scores) / len(scores)))
                    n = len(scores)
                    med = scores[n // 2] if n % 2 else _round2((scores[n // 2 - 1]
                                                               + scores[n // 2]) / 2)
                    self.assertEqual(g.median, med)
                    self.assertEqual(g.grades, {k: sum(1 for m in members if m.grade == k)
                                                for k in grades})
            ranked = e.rank()
            self.assertEqual([s.subject for s in ranked],
                             [s.subject for s in sorted(subs, key=lambda s: (
                                 -s.score, s.subject.encode()))])
            self.assertEqual([s.rank for s in ranked], list(range(1, len(subs) + 1)))
            d1 = [s.subject for s in subs if s.group == "d1" or s.group.startswith("d1/")]
            self.assertEqual(sorted(s.subject for s in e.rank("d1")), sorted(d1))


def _round2(x):
    from decimal import ROUND_HALF_UP, localcontext
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)



class TestVocabulary(unittest.TestCase):
    """to_dict() is the JSON answer (docs/answers.md); to_records() is flat."""

    RULES = textwrap.dedent("""\
        [scheme]
        name = "vocab"
        base = 1000
        utc_offset = "+08:00"
        [[grade]]
        name = "A"
        min = 960
        [[grade]]
        name = "B"
        [rule.fine]
        points = -10
        valid = "1y"
        dimension = "legal"
        [rule.honour]
        points = 20
        ceiling = 1900
        flag = "honoured"
        """)
    LOG = ("id,subject,type,ts,qty,group,ref\n"
           "e1,s1,fine,2022-03-01,,d1/a,\n"
           "e2,s1,honour,2022-03-02T10:00:00Z,,d1/a,\n"
           "r1,s1,revoke,2022-04-01,,,e1\n"
           "e3,s2,fine,2022-05-01,,d1/b,\n")

    def setUp(self):
        self.engine = civic.Engine(civic.Rules.from_text(self.RULES))
        self.engine.load(self.LOG)

    def tearDown(self):
        self.engine.close()

    def test_to_dict_has_the_json_names_and_forms(self):
        rec = self.engine.record("s1", as_of="2022-06-01").to_dict()
        self.assertEqual(list(rec), ["subject", "as_of", "score", "grade", "balance", "flags",
                                     "group", "entries"])
        self.assertEqual(rec["as_of"], "2022-06-01T00:00:00+08:00")
        self.assertEqual(rec["score"], Decimal("1020.00"))
        self.assertEqual(str(rec["score"]), "1020.00")
        self.assertEqual(rec["flags"], ["honoured"])
        e1, e2, r1 = rec["entries"]
        self.assertEqual(list(e1), ["id", "ts", "type", "kind", "state", "raw", "counted",
                                    "dimension", "capped", "escalated", "end", "ref", "group"])
        self.assertEqual((e1["state"], e1["ts"]), ("revoked", "2022-03-01T00:00:00+08:00"))
        self.assertEqual((e2["ts"], e2["end"]), ("2022-03-02T18:00:00+08:00", "forever"))
        self.assertEqual((r1["kind"], r1["end"], r1["ref"]), ("revoke", None, "e1"))
        detail = self.engine.record("s1", as_of="2022-06-01").entries[1].to_dict(detail=True)
        self.assertEqual((detail["flag"], detail["ceiling"], detail["affects"], detail["qty"]),
                         ("honoured", Decimal("1900.00"), "both", Decimal("1.000")))
        row = self.engine.rank(top=1, as_of="2022-06-01")[0].to_dict()
        self.assertEqual(list(row)[:2], ["rank", "subject"])
        self.assertNotIn("rank", self.engine.subjects("2022-06-01")[0].to_dict())
        g = self.engine.groups(1, "2022-06-01")[0]
        self.assertEqual(g.group, "d1")
        self.assertEqual(g.path, "d1")                 # the 1.0 name
        self.assertEqual(list(g.to_dict()), ["group", "depth", "subjects", "mean", "median",
                                             "min", "max", "balance", "grades"])

    def test_dataclasses_keep_their_1_0_fields(self):
        # a 1.0 program exports answers with dataclasses.asdict / replace and
        # builds them by keyword: GroupStats' field is `path`, as in 1.0
        # (`group` is the same value, the JSON name); the other answers only
        # gained fields after 1.0's, whose names and values stay (version 1)
        import dataclasses
        g = self.engine.groups(1, "2022-06-01")[0]
        self.assertEqual(list(dataclasses.asdict(g)),
                         ["path", "depth", "subjects", "mean", "median", "min", "max",
                          "balance", "grades"])
        self.assertEqual(dataclasses.asdict(g)["path"], "d1")
        self.assertTrue(repr(g).startswith("GroupStats(path='d1', depth=1, "), repr(g))
        moved = dataclasses.replace(g, path="d9")
        self.assertEqual((moved.path, moved.group, moved.to_dict()["group"]), ("d9", "d9", "d9"))
        self.assertEqual(civic.to_records([moved])[0]["group"], "d9")
        made = civic.GroupStats(path="d1", depth=1, subjects=g.subjects, mean=g.mean,
                                median=g.median, min=g.min, max=g.max, balance=g.balance,
                                grades=g.grades)
        self.assertEqual(made, g)
        self.assertEqual(made.group, "d1")
        s = self.engine.score("s1", "2022-06-01")
        self.assertEqual(list(dataclasses.asdict(s))[:10],
                         ["subject", "group", "score", "grade", "balance", "flags", "ceiling",
                          "events", "dimensions", "rank"])
        self.assertEqual(dataclasses.asdict(s)["score"], D("1020.00"))
        rec = self.engine.record("s1", "2022-06-01")
        self.assertEqual(list(dataclasses.asdict(rec))[:2], ["summary", "entries"])
        e1 = dataclasses.asdict(rec)["entries"][0]
        self.assertEqual(list(e1)[:17],
                         ["id", "ts", "type", "kind", "state", "raw", "counted", "qty",
                          "dimension", "flag", "group", "ref", "end", "ceiling", "capped",
                          "escalated", "affects"])
        self.assertEqual((e1["id"], e1["ts"], e1["state"], e1["counted"], e1["group"]),
                         ("e1", self.engine.rules.parse_time("2022-03-01"), "revoked",
                          D("0.00"), "d1/a"))

    @unittest.skipUnless(cli_available(), "build/civic-score not built")
    def test_to_dict_equals_the_cli_json(self):
        with tempfile.TemporaryDirectory() as d:
            rules = os.path.join(d, "rules.toml")
            log = os.path.join(d, "log.csv")
            with open(rules, "w") as f:
                f.write(self.RULES)
            with open(log, "w") as f:
                f.write(self.LOG)

            def cli(*args):
                out = subprocess.run([CLI, "-r", rules, "-t", "2022-06-01", "-f", "json"]
                                     + list(args) + [log], capture_output=True, check=True)
                return json.loads(out.stdout, parse_float=Decimal)
            self.assertEqual(cli("--explain", "s1"),
                             self.engine.record("s1", "2022-06-01").to_dict())
            # --detail: the record's ceiling and each entry's qty, flag, ceiling, affects
            detail = cli("--explain", "s1", "--detail")
            self.assertIn("ceiling", detail)
            self.assertEqual(detail, self.engine.record("s1", "2022-06-01").to_dict(detail=True))
            self.assertEqual(list(detail),
                             list(self.engine.record("s1", "2022-06-01").to_dict(detail=True)))
            self.assertEqual(cli()["subjects"],
                             [r.to_dict() for r in self.engine.subjects("2022-06-01")])
            self.assertEqual(cli("--top", "2")["subjects"],
                             [r.to_dict() for r in self.engine.rank(as_of="2022-06-01", top=2)])
            self.assertEqual(cli("--groups", "2")["groups"],
                             [g.to_dict() for g in self.engine.groups(2, "2022-06-01")])

    @unittest.skipUnless(cli_available(), "build/civic-score not built")
    def test_qty_is_given_for_rule_events_only(self):
        # to_records() gave 0.000 for a revoke and the amount for a
        # redeem, where civic-score --explain --detail -f csv leaves
        # qty empty and its JSON and to_dict(detail=True) have no qty:
        # docs/answers.md gives it "for rule events only"
        text = self.RULES + '[rule.help]\npoints = 2\nper = "unit"\naffects = "both"\n'
        log = ("id,subject,type,ts,qty,group,ref\n"
               "h1,s1,help,2022-03-01,3,,\n"
               "d1,s1,redeem,2022-03-02,4,,\n"
               "f1,s1,fine,2022-03-03,,,\n"
               "r1,s1,revoke,2022-04-01,,,f1\n")
        with tempfile.TemporaryDirectory() as d:
            rules, path = os.path.join(d, "rules.toml"), os.path.join(d, "log.csv")
            with open(rules, "w") as f:
                f.write(text)
            with open(path, "w") as f:
                f.write(log)
            out = subprocess.run([CLI, "-r", rules, "-t", "2022-06-01", "-f", "csv",
                                  "--explain", "s1", "--detail", path],
                                 capture_output=True, check=True, text=True).stdout
        cli = list(csv.DictReader(io.StringIO(out)))
        with civic.Rules.from_text(text) as r, civic.Engine(r) as e:
            e.load(log)
            rec = e.record("s1", "2022-06-01")
        # Entry.qty keeps what 1.0 gave for every kind (a 1.0 program may
        # sum it); to_records() gives the CLI's columns
        self.assertEqual([(x.id, x.kind, x.qty) for x in rec.entries],
                         [("h1", "rule", D("3.000")), ("d1", "redeem", D("4.000")),
                          ("f1", "rule", D("1.000")), ("r1", "revoke", D("0.000"))])
        for numbers in ("float", "decimal"):
            rows = civic.to_records(rec, numbers=numbers)
            self.assertEqual([row["qty"] for row in rows], [3, None, 1, None])
            # the four --detail columns, as the CLI's: empty (None, "") for the
            # entries that are not rule events
            for row, line in zip(rows, cli):
                for key in ("qty", "flag", "ceiling", "affects"):
                    got = row[key]
                    self.assertEqual("" if got is None else
                                     ("%.3f" % got if key == "qty" else str(got)),
                                     line[key], (row["id"], key))
        details = [x.to_dict(detail=True) for x in rec.entries]
        self.assertEqual(["qty" in x for x in details], [True, False, True, False])

    def test_to_records_is_flat_and_plain(self):
        rows = civic.to_records(self.engine.subjects("2022-06-01"))
        self.assertEqual(rows[0]["score"], 1020.0)
        self.assertIsInstance(rows[0]["score"], float)
        self.assertEqual(rows[0]["flags"], "honoured")
        self.assertEqual(rows[0]["dimensions.legal"], 0.0)
        self.assertIsNone(rows[1]["ceiling"])
        exact = civic.to_records(self.engine.subjects("2022-06-01"), numbers="decimal")
        self.assertEqual(exact[0]["score"], Decimal("1020.00"))
        entries = civic.to_records(self.engine.record("s1", "2022-06-01"))
        self.assertEqual(entries[0]["ts"].isoformat(), "2022-03-01T00:00:00+08:00")
        self.assertIsNone(entries[1]["end"])          # forever
        groups = civic.to_records(self.engine.groups(1, "2022-06-01"))
        self.assertEqual(groups[0]["grades.A"], 2)
        for row in rows + entries + groups:
            for v in row.values():
                self.assertIsInstance(v, (str, int, float, bool, type(None), dt.datetime))
        with self.assertRaises(ValueError):
            civic.to_records([], numbers="str")
        with self.assertRaises(TypeError):
            civic.to_records([42])
        # a Record in a list said "takes ... a Record ..., not Record"
        with self.assertRaisesRegex(TypeError, r"by itself, not in a list"):
            civic.to_records([self.engine.record("s1", "2022-06-01")])
        # a single answer said "'Score' object is not iterable": it goes in a list
        takes = ("to_records takes a list of Score, GroupStats, Entry, ListRow, ObjectionRow "
                 "or CompareRow, a Record, a ListAnswer or a Comparison; ")
        one = (self.engine.score("s1", "2022-06-01"), self.engine.groups(1, "2022-06-01")[0],
               self.engine.record("s1", "2022-06-01").entries[0])
        for answer in one:
            name = type(answer).__name__
            with self.assertRaises(TypeError) as cm:
                civic.to_records(answer)
            self.assertEqual(str(cm.exception), takes + "a single %s goes in a list: "
                             "to_records([x]), not to_records(x)" % name)
            self.assertEqual(len(civic.to_records([answer])), 1)
        for other in (self.engine.load(""), 42, None):
            with self.assertRaises(TypeError) as cm:
                civic.to_records(other)
            self.assertEqual(str(cm.exception), takes + "it was given a %s"
                             % type(other).__name__)

    def test_to_records_at_the_edges_of_the_calendar(self):
        # 0001-01-01T00:00Z is a valid ts, but under a western offset its local
        # date is in year 0, and 9999-12-31T20:00Z under +08:00 is in year
        # 10000: datetime holds neither, so the same instants come in UTC (they
        # came as None, the value of an end that never comes); an end after
        # 9999-12-31T23:59:59Z has no calendar at all: None
        for offset, ts, want in (("-05:00", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00"),
                                 ("+08:00", "9999-12-31T20:00:00Z", "9999-12-31T20:00:00+00:00")):
            text = RULES.replace('utc_offset = "+08:00"', 'utc_offset = "%s"' % offset)
            with civic.Rules.from_text(text + '[rule.edge]\npoints = 1\nvalid = "1d"\n') as r, \
                    civic.Engine(r) as e:
                e.load("id,subject,type,ts\ne1,s,edge,%s\n" % ts)
                row = civic.to_records(e.record("s", ts))[0]
                self.assertEqual(row["ts"].isoformat(), want, offset)
                if offset == "-05:00":
                    self.assertEqual(row["end"].isoformat(), "0001-01-01T19:00:00-05:00")
                else:
                    self.assertIsNone(row["end"])           # past 9999-12-31T23:59:59Z

    def test_to_records_of_a_time_past_the_calendar_is_told_from_forever(self):
        # an end after 9999-12-31T23:59:59Z has no datetime: to_records() gives
        # None, as for an end that never comes, and a filter on end.isna()
        # for permanent entries counts it.  The answer's attribute (int Unix
        # seconds, None only for forever) tells them apart, and the manual
        # says so where it says what to_records() gives (it did not)
        text = self.RULES.replace('flag = "honoured"', 'flag = "honoured"\n'
                                  '[rule.late]\npoints = -1\nvalid = "1y"\nflag = "late"')
        with civic.Rules.from_text(text) as r, civic.Engine(r) as e:
            e.add(id="e1", subject="s", type="late", ts="9999-12-01")     # ends in 10000
            e.add(id="e2", subject="s", type="honour", ts="9999-12-01")   # never ends
            rec = e.record("s")
            self.assertEqual([x["end"] for x in civic.to_records(rec)], [None, None])
            self.assertEqual([x.end for x in rec.entries], [253431216000, None])
            self.assertEqual([x["end"] for x in rec.to_dict()["entries"]],
                             ["253431216000", "forever"])
            late = e.list("late")
            self.assertIsNone(civic.to_records(late)[0]["until"])
            self.assertEqual(late.rows[0].until, 253431216000)
        for doc in (os.path.join(PKG_ROOT, "README.md"), os.path.join(REPO, "docs", "answers.md")):
            if not os.path.exists(doc):                 # an installed package
                continue
            with open(doc, encoding="utf-8") as f:
                words = " ".join(f.read().split())
            self.assertTrue(re.search(r"to_records\(\)[^|]{0,400}after 9999-12-31T23:59:59Z"
                                      r"[^|]{0,400}`Entry\.end`", words), doc)

    @unittest.skipUnless(importlib.util.find_spec("pandas"), "pandas is not installed")
    def test_pandas_takes_records_without_object_columns(self):
        import pandas
        df = pandas.DataFrame(civic.to_records(self.engine.subjects("2022-06-01")))
        for col in ("score", "balance", "ceiling", "dimensions.legal"):
            self.assertEqual(str(df[col].dtype), "float64", col)
        self.assertEqual(str(df["events"].dtype), "int64")
        self.assertTrue(pandas.isna(df["ceiling"][1]))
        ent = pandas.DataFrame(civic.to_records(self.engine.record("s1", "2022-06-01")))
        self.assertTrue(str(ent["ts"].dtype).startswith("datetime64"), ent["ts"].dtype)
        self.assertEqual(str(ent["counted"].dtype), "float64")
        self.assertEqual(str(ent["capped"].dtype), "bool")
        grp = pandas.DataFrame(civic.to_records(self.engine.groups(1, "2022-06-01")))
        self.assertEqual(str(grp["grades.A"].dtype), "int64")
        self.assertEqual(str(grp["mean"].dtype), "float64")


    @unittest.skipUnless(importlib.util.find_spec("pandas"), "pandas is not installed")
    def test_add_takes_the_values_of_a_data_frame(self):
        # a cell of a column of ints (df.at, df.loc, df[col][i], to_numpy();
        # itertuples() too, in some pandas versions) is a numpy.int64: add()
        # refused it for ts as Unix seconds and for qty
        import numpy
        import pandas
        rows = pandas.DataFrame({"id": ["n1", "n2"], "subject": ["s9", "s9"],
                                 "type": ["honour", "fine"],
                                 "ts": [1646064000, 1646150400], "qty": [3, 1]})
        for i in rows.index:
            row = {k: rows.at[i, k] for k in rows.columns}
            self.assertIsInstance(row["ts"], numpy.integer)
            self.assertTrue(self.engine.add(**row))
        rec = self.engine.record("s9", as_of=numpy.int64(1646150400))
        self.assertEqual([(x.id, x.ts, x.qty) for x in rec.entries],
                         [("n1", 1646064000, Decimal("3")), ("n2", 1646150400, Decimal("1"))])
        self.assertEqual(len(self.engine.rank(top=numpy.int32(1))), 1)
        with self.assertRaisesRegex(TypeError, r"^ts must be .*, not bool_?$"):
            self.engine.add(id="n3", subject="s9", type="fine", ts=numpy.bool_(True))
        with self.assertRaisesRegex(TypeError, r"^qty must be .*, not bool_?$"):
            self.engine.add(id="n3", subject="s9", type="fine", ts="2022-03-01",
                            qty=numpy.bool_(True))
        # the empty cells of a column of times and of one of numbers
        with self.assertRaisesRegex(ValueError, r"^ts is not a time: NaT"):
            self.engine.add(id="n3", subject="s9", type="fine", ts=pandas.NaT)
        with self.assertRaisesRegex(TypeError, r"not float nan \(an empty cell\?\): omit qty"):
            self.engine.add(id="n3", subject="s9", type="fine", ts="2022-03-01",
                            qty=numpy.float64("nan"))
        self.assertEqual(self.engine.event_count, 6)
        # and of nullable dtypes (convert_dtypes()): pandas.NA in every column
        rows = pandas.DataFrame({"id": ["n4", None], "subject": ["s9", None],
                                 "type": ["fine", None], "ts": [1646236800, None],
                                 "qty": [1, None], "group": ["d1", None]}).convert_dtypes()
        self.assertEqual(str(rows["ts"].dtype), "Int64")
        self.assertTrue(self.engine.add(**{k: rows.at[0, k] for k in rows.columns}))
        row = {k: rows.at[1, k] for k in rows.columns}
        self.assertIs(row["qty"], pandas.NA)
        for key in row:
            with self.assertRaisesRegex(TypeError, r"^%s must be .*, not pandas\.NA \(an "
                                                   r"empty cell\?\): " % key):
                self.engine.add(**dict(row, **{k: rows.at[0, k] for k in row if k != key}))
        with civic.Engine() as e:
            check_pandas_na(self, e, pandas.NA)
        self.assertEqual(self.engine.event_count, 7)

class TestPackaging(unittest.TestCase):
    def test_the_readme_names_the_public_api(self):
        # a review found public names the README never named: every name
        # of __all__, and these attributes, must be written there
        with open(os.path.join(PKG_ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        missing = [n for n in civic.__all__ if "`%s" % n not in readme
                   and ".%s" % n not in readme and "civic.%s" % n not in readme]
        for name in ("Rules.default()", "Engine.rules", "Engine.parse_time", "Rules.closed",
                     "Engine.closed", "subject in engine", "Record.subject",
                     "Record.spec_version", "ListAnswer.subjects", "Score.spec_version",
                     "Entry.spec_version", "LoadReport.to_dict()", "library_version()",
                     "library_path()", "civic.__version__"):
            if name not in readme:
                missing.append(name)
        self.assertEqual(missing, [])
        # LoadReport.to_dict() is not the service's answer to POST /events
        doc = civic.LoadReport.to_dict.__doc__
        self.assertIn("events", doc.replace("POST /events", ""))

    def test_the_error_classes_the_readme_names_can_be_caught_by_name(self):
        # the README named CivicValueError, which civic did not export: an
        # `except civic.CivicValueError` raised AttributeError instead
        for name, base in (("CivicValueError", ValueError), ("CivicOverflowError", OverflowError),
                           ("CivicEncodeError", UnicodeEncodeError),
                           ("CivicDecodeError", UnicodeDecodeError),
                           ("CivicOSError", OSError)):
            cls = getattr(civic, name)
            self.assertTrue(issubclass(cls, civic.CivicError) and issubclass(cls, base), name)
            self.assertIn(name, civic.__all__)
        with civic.Engine() as e:
            with self.assertRaises(civic.CivicValueError) as cm:
                e.rank(group="d1/")
            self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)

    def test_py_typed_marks_the_package_typed(self):
        self.assertTrue(os.path.exists(os.path.join(os.path.dirname(civic.__file__),
                                                    "py.typed")))

    def test_public_methods_carry_type_hints(self):
        import typing
        for fn in (civic.Engine.load, civic.Engine.load_file, civic.to_records,
                   civic.Score.to_dict, civic.Record.to_dict, civic.Engine.add,
                   civic.Engine.list, civic.Engine.purge, civic.Rules.rule_info,
                   civic.Rules.to_toml, civic.compare, civic.ListAnswer.to_dict):
            self.assertTrue(typing.get_type_hints(fn), fn.__qualname__)

if __name__ == "__main__":
    unittest.main()
