"""civic.CivicWarning: what the binding warns of where civic-score warns
(docs/civic-score.1, WARNINGS), in civic-score's words, compared with
build/civic-score where it is built; and a time given in milliseconds.

    CIVIC_LIBRARY=build/libcivic.so.1 python3 -m unittest discover -s bindings/python/tests
"""
import os
import pickle
import re
import subprocess
import tempfile
import unittest
import warnings

from paths import REPO, CLI, SAMPLE  # noqa: E402
import civic                      # noqa: E402

V1_RULES = os.path.join(REPO, "examples", "data", "community-1.0.toml")

HOURS = "id,subject,type,ts,hours\ne1,r1,volunteer_hour,2025-01-01,3\n"
HOURS_SAID = ("column 'hours' (line 1, column 20) is ignored: did you mean 'qty'? without "
              "it every event counts as one unit")
EARLY = "id,subject,type,ts\ne1,r1,illegal_parking,20250101\n"
EARLY_SAID = ("the earliest event's ts is 1970-08-23T17:01:41+08:00 (Unix seconds 20250101), "
              "before 1973-03-03T09:46:40Z: if it was written as a bare integer, that is Unix "
              "seconds; a date needs its dashes (2025-01-01)")
# its mirror: twelve digits, a date and time without separators (YYYYMMDDHHMM),
# are Unix seconds of 8390 (by hand: 202612081200 s is 8390-07-10T05:40:00Z)
LATE = "id,ts,subject,type\n1,202612081200,alice,volunteer_hour\n"
LATE_SAID = ("the latest event's ts is 8390-07-10T13:40:00+08:00 (Unix seconds 202612081200), "
             "at or after 5138-11-16T09:46:40Z: if it was written as a bare integer, that is Unix "
             "seconds; a date and time need their separators (2026-12-08T12:00:00)")

# The manual's account of retention and caps (tests/cli/run.sh, 5.)
RN = '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\nname = "B"\n'
RT = RN + '[cap.votes]\nlimit = 10\nperiod = "year"\n'
RETAIN_CAP = (RT + '[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\n'
              'cap_group = "votes"\n[rule.help]\npoints = 10\ncap_group = "votes"\n')
RETAIN_SAID = ("rule 'award' has retain and shares cap group 'votes' with rule 'help', which "
               "touches the balance: once its entries are archived, the balance entries they "
               "capped or escalated count otherwise, and a redeem accepted before may be "
               "rejected (keep rules with retain out of the cap groups and categories of "
               "balance rules)")
RETAIN_CATEGORY = (RN + '[rule.award]\npoints = -10\nretain = "30d"\naffects = "score"\n'
                   'category = "noise"\n[rule.help]\npoints = -10\nrepeat_factor = 2\n'
                   'category = "noise"\n')
RETAIN_CHANGE = (RT + '[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\n'
                 '[[rule.award.change]]\nfrom = "2023-01-01"\ncap_group = "votes"\n'
                 '[rule.help]\npoints = 10\ncap_group = "votes"\n')
RETAIN_SCORE_ONLY = (RT + '[rule.award]\npoints = 10\nretain = "30d"\naffects = "score"\n'
                     'cap_group = "votes"\n[rule.help]\npoints = 10\naffects = "score"\n'
                     'cap_group = "votes"\n')
RETAIN_FLAT = (RN + '[rule.award]\npoints = -10\nretain = "30d"\naffects = "score"\n'
               'category = "noise"\n[rule.help]\npoints = -10\ncategory = "noise"\n')
LAST_MIN = RN.replace('name = "B"\n', 'name = "B"\nmin = 0\n') + '[rule.help]\npoints = 1\n'
# What loads but cannot do what it says (tests/cli/run.sh, 8.): a grade no
# score has, a cap no rule names, a category apart from the one meant
GRADE_OVER = ('[scheme]\nbase = 100\nmin = 0\nmax = 200\n[[grade]]\nname = "S"\nmin = 300\n'
              '[[grade]]\nname = "A"\nmin = 100\n[[grade]]\nname = "B"\n'
              '[rule.help]\npoints = 1\n')
GRADE_OVER_SAID = ("grade 'S' can never apply: its min 300.00 is above the scheme's max 200.00, "
                   "the highest score")
GRADE_UNDER = GRADE_OVER.replace('min = 300', 'min = 150').replace('min = 100', 'min = 0')
GRADE_UNDER_SAID = ("grade 'B' can never apply: the scheme's min 0.00, the lowest score, "
                    "already has grade 'A' (min 0.00)")
CAP_NEAR = ('[[grade]]\nname = "A"\n[cap.vote]\nlimit = 10\nperiod = "day"\n[rule.help]\n'
            'points = 1\ncap_group = "vote"\n[cap.votes]\nlimit = 5\nperiod = "day"\n')
CAP_NEAR_SAID = ("cap 'votes' is named in no rule's cap_group, so it caps nothing (rule 'help' "
                 "names cap_group 'vote': is one of the two misspelt?)")
CAP_FAR = CAP_NEAR.replace("[cap.votes]", "[cap.service]")
CAP_FAR_SAID = "cap 'service' is named in no rule's cap_group, so it caps nothing"
CATEGORY_TYPO = ('[[grade]]\nname = "A"\n[rule.help]\npoints = -10\ncategory = "traffic"\n'
                 'repeat_factor = 2\n[rule.red_light]\npoints = -20\nrepeat_factor = 2\n'
                 'category = "trafic"\n')
CATEGORY_TYPO_SAID = ("rule 'red_light' is the only rule in category 'trafic', near category "
                      "'traffic' (rule 'help'): rules in different categories do not escalate "
                      "each other; if they are one family, give them one category")
CATEGORY_CODE = ('[[grade]]\nname = "A"\n[rule.help]\npoints = -10\ncategory = "animals"\n'
                 'repeat_factor = 2\n[rule.bark]\npoints = -5\ncategory = "help"\n')
CATEGORY_CODE_SAID = ("rule 'bark' has category 'help', the code of rule 'help', which is in "
                      "category 'animals': they do not escalate each other (a rule is in its "
                      "own code's category only when it names none)")
# a flag or a dimension with what no reader sees at an end (or a zero-width
# character anywhere): another list or subtotal than the name without it
UNSEEN = ('[[grade]]\nname = "A"\n[rule.help]\npoints = -1\nflag = "dishonest"\n'
          '[rule.court]\npoints = -2\n')
UNSEEN_SAID = "rule 'court': %s '%s' %s: it is a different %s from '%s'"
SLIPS = ((UNSEEN + 'flag = "dishonest "\n',
          [UNSEEN_SAID % ("flag", "dishonest ", "ends with a blank", "flag", "dishonest")]),
         (UNSEEN + 'dimension = "\u00a0legal"\n',
          [UNSEEN_SAID % ("dimension", "\\u00a0legal", "begins with U+00A0, a no-break space",
                          "dimension", "legal")]),
         (UNSEEN + 'flag = "dis\u200bhonest"\n',
          [UNSEEN_SAID % ("flag", "dis\\u200bhonest", "holds U+200B, a zero-width space",
                          "flag", "dishonest")]),
         (UNSEEN + 'dimension = "\u3000"\n', ["rule 'court': dimension '\\u3000' is blanks only"]),
         (UNSEEN + 'flag = "dis honest"\n', []),
         (GRADE_OVER, [GRADE_OVER_SAID]), (GRADE_UNDER, [GRADE_UNDER_SAID]),
         (CAP_NEAR, [CAP_NEAR_SAID]), (CAP_FAR, [CAP_FAR_SAID]),
         (CATEGORY_TYPO, [CATEGORY_TYPO_SAID]), (CATEGORY_CODE, [CATEGORY_CODE_SAID]),
         (CATEGORY_TYPO.replace('"trafic"', '"traffic"'), []),
         (CATEGORY_TYPO.replace('repeat_factor = 2\n', ''), []),
         (CAP_NEAR.replace('[cap.votes]\nlimit = 5\nperiod = "day"\n', ''), []))


def cli_available():
    return os.access(CLI, os.X_OK)


def cli_warnings(*args):
    """civic-score's warnings for args, each after "civic-score: warning: "."""
    p = subprocess.run([CLI] + list(args), stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    prefix = "civic-score: warning: "
    return [line[len(prefix):] for line in p.stderr.decode("utf-8", "replace").splitlines()
            if line.startswith(prefix)]


class Caught:
    """`with Caught() as said:` the texts of the CivicWarnings raised inside
    (every one: the "always" filter), in order."""

    def __enter__(self):
        self._cm = warnings.catch_warnings(record=True)
        self._got = self._cm.__enter__()
        warnings.simplefilter("always")
        self.texts = []
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        self.records = [w for w in self._got if issubclass(w.category, civic.CivicWarning)]
        self.texts[:] = [str(w.message) for w in self.records]
        return False


class TestCivicWarning(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.engine = civic.Engine()
        self.addCleanup(self.engine.close)

    def path(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        return path

    def test_the_class_is_a_user_warning_the_package_exports(self):
        self.assertTrue(issubclass(civic.CivicWarning, UserWarning))
        self.assertIn("CivicWarning", civic.__all__)
        self.assertIn("CivicWarning", civic.__doc__)

    def test_a_load_warns_of_a_column_meant_for_qty_and_a_date_without_dashes(self):
        # the binding loaded both silently: every event one unit, and the
        # event of 2025 in 1970
        for source in (HOURS, HOURS.encode(), bytearray(HOURS.encode()),
                       memoryview(HOURS.encode())):
            with civic.Engine() as e, Caught() as got:
                report = e.load(source)
            self.assertEqual(got.texts, [HOURS_SAID], type(source))
            self.assertEqual(report.warnings, [HOURS_SAID])
            self.assertEqual(report.to_dict()["warnings"], [HOURS_SAID])
            # attributed to the caller's line, as every warning of the binding
            self.assertEqual(got.records[0].filename, __file__)
        with Caught() as got:
            report = self.engine.load(EARLY)
        self.assertEqual((got.texts, report.warnings), ([EARLY_SAID], [EARLY_SAID]))
        # a later batch that brings no earlier ts is not warned of again
        with Caught() as got:
            report = self.engine.load("id,subject,type,ts\ne2,r1,illegal_parking,2025-01-01\n")
        self.assertEqual((got.texts, report.warnings), ([], []))
        # a file is named before it, as civic-score names it
        path = self.path("hours.csv", HOURS)
        with civic.Engine() as e, Caught() as got:
            e.load_file(path)
        self.assertEqual(got.texts, ["%s: %s" % (path, HOURS_SAID)])
        # a good log is not warned of
        with civic.Engine() as e, Caught() as got:
            report = e.load_file(SAMPLE)
        self.assertEqual((got.texts, report.warnings), ([], []))
        # nor a column beside qty, nor a failed load
        with civic.Engine() as e, Caught() as got:
            e.load("id,subject,type,ts,qty,hours\ne1,r1,volunteer_hour,2025-01-01,3,3\n")
            with self.assertRaises(civic.CivicError):
                e.load(HOURS.replace("volunteer_hour", "nope"))
        self.assertEqual(got.texts, [])

    def test_a_load_warns_of_a_latest_ts_of_twelve_digits(self):
        # the binding loaded it silently: the event of 2026 in 8390, and
        # every default as_of with it
        with Caught() as got:
            report = self.engine.load(LATE)
        self.assertEqual((got.texts, report.warnings), ([LATE_SAID], [LATE_SAID]))
        # a later batch that brings no later ts is not warned of again, nor
        # the batch sent again, nor a failed one that would
        for again in ("id,subject,type,ts\ne2,r1,illegal_parking,202612071200\n", LATE):
            with Caught() as got:
                report = self.engine.load(again)
            self.assertEqual((got.texts, report.warnings), ([], []), again)
        with Caught() as got, self.assertRaises(civic.CivicError):
            self.engine.load("id,subject,type,ts\ne3,r1,illegal_parking,202612091200\n"
                             "e4,r1,nope,1\n")
        self.assertEqual(got.texts, [])
        # a later one is: 24:00 is no time of day, so the form to write
        with Caught() as got:
            self.engine.add("e5", "r1", "illegal_parking", 202612082400)
            report = self.engine.load('{"id":"e6","subject":"r1","type":"illegal_parking",'
                                      '"ts":202612082401}\n')
        self.assertEqual(got.texts, report.warnings)
        self.assertEqual(report.warnings, [
            "the latest event's ts is 8390-07-10T14:00:01+08:00 (Unix seconds 202612082401), "
            "at or after 5138-11-16T09:46:40Z: if it was written as a bare integer, that is Unix "
            "seconds; a date and time need their separators (YYYY-MM-DDTHH:MM:SS)"])
        # a file is named before it; with an early ts too, both, the earliest first
        path = self.path("both.csv", "id,subject,type,ts\ne1,r1,illegal_parking,202612081200\n"
                                     "e2,r1,illegal_parking,20250101\n")
        with civic.Engine() as e, Caught() as got:
            e.load_file(path)
        self.assertEqual(got.texts, ["%s: %s" % (path, EARLY_SAID), "%s: %s" % (path, LATE_SAID)])
        # eleven digits are not warned of
        with civic.Engine() as e, Caught() as got:
            e.load("id,subject,type,ts\ne1,r1,illegal_parking,99999999999\n")
        self.assertEqual(got.texts, [])

    def test_compare_warns_once(self):
        rules = civic.default_rules()
        for lenient in (False, True):
            with Caught() as got:
                civic.compare(HOURS.replace("2025-01-01", "20250101"), rules, rules,
                              lenient=lenient)
            self.assertEqual(got.texts, [HOURS_SAID, EARLY_SAID], lenient)
            with Caught() as got:
                civic.compare(LATE, rules, rules, lenient=lenient)
            self.assertEqual(got.texts, [LATE_SAID], lenient)

    def test_an_as_of_of_bare_digits_is_warned_of_and_an_int_is_not(self):
        e = self.engine
        e.load("id,subject,type,ts\ne1,r1,illegal_parking,2025-01-01\n")
        with Caught() as got:
            e.score("r1", as_of="20250101")
        self.assertEqual(got.texts, ["as_of '20250101' is Unix seconds: 1970-08-23T17:01:41+08:00;"
                                     " a date needs its dashes (2025-01-01)"])
        with Caught() as got:
            civic.compare(EARLY.replace("20250101", "2025-01-01"), e.rules, e.rules,
                          as_of="45658")
        self.assertEqual(got.texts, ["as_of '45658' is Unix seconds: 1970-01-01T20:40:58+08:00; "
                                     "a date needs its dashes (2025-01-01, if it is a "
                                     "spreadsheet's day number)"])
        # an int is Unix seconds, as documented: not warned of in the calendar
        # (nor 2**63 - 1, "after everything"); one of 13 digits is milliseconds
        with Caught() as got:
            for t in (20250101, 0, -5, 1735689600, 2 ** 63 - 1, "2025-01-01", "now"):
                e.score("r1", as_of=t)
            e.parse_time("20250101")      # a conversion, not an as_of
        self.assertEqual(got.texts, [])
        with Caught() as got:
            e.score("r1", as_of=1767607200000)
            e.score("r1", as_of=978307200000)  # 12 digits: 2001-01-01 in milliseconds
            e.score("r1", as_of=299999999999)  # past the year 9999, but no such slip
        self.assertEqual(got.texts, ["as_of %d is after the year 9999: it looks like "
                                     "milliseconds; write Unix seconds (drop the last three "
                                     "digits)" % t for t in (1767607200000, 978307200000)])

    def test_a_time_in_milliseconds_is_told_so(self):
        # as_of, parse_time and purge said only "outside the years 0001 to 9999"
        e = self.engine
        hint = ": it looks like milliseconds; write Unix seconds (drop the last three digits)"
        for call, what in ((lambda t: e.score("r1", as_of=t), "as_of"),
                           (e.parse_time, "time"), (e.rules.parse_time, "time"),
                           (lambda t: e.purge(t), "before")):
            # (an int as_of or parse_time is any 64-bit value: warned of, below)
            for t in ("1767607200000", "978307200000") + (
                    (1767607200000, 978307200000) if what == "before" else ()):
                with self.assertRaises(civic.CivicError) as cm:
                    call(t)
                self.assertEqual(cm.exception.code, civic.CIVIC_E_LIMIT)
                self.assertTrue(cm.exception.message.endswith(
                    "outside the years 0001 to 9999 in UTC" + hint), cm.exception.message)
        # an int given to parse_time is returned as it is, any 64-bit value,
        # as 1.0 returned it (1.1 raised CIVIC_E_LIMIT, which no 1.0 except
        # clause caught); one of 13 digits, or 12 from 3 * 10**11, is warned
        # of as an int as_of is
        for parse in (e.parse_time, e.rules.parse_time):
            with Caught() as got:
                for t in (1767607200000, 978307200000):
                    self.assertEqual(parse(t), t)
            self.assertEqual(got.texts, ["time %d is after the year 9999: it looks like "
                                         "milliseconds; write Unix seconds (drop the last "
                                         "three digits)" % t
                                         for t in (1767607200000, 978307200000)])
            with Caught() as got:
                for t in (2 ** 63 - 1, 10 ** 12 * 10, -2 ** 63, 299999999999, 20250101):
                    self.assertEqual(parse(t), t)
            self.assertEqual(got.texts, [])
        # 14 digits are no such slip
        with self.assertRaises(civic.CivicError) as cm:
            e.parse_time("17676072000000")
        self.assertTrue(cm.exception.message.endswith("in UTC"), cm.exception.message)

    def test_compare_warns_of_an_as_of_in_milliseconds_once(self):
        # compare() warned of it when it read as_of, then again in each query
        # it made: subjects() under each scheme and score() of each subject
        # only one scheme lists (here the rules whose retain archives both
        # subjects' events: 5 warnings in all)
        log = "id,subject,type,ts\ne1,r1,help,2025-01-01\ne2,r2,help,2025-01-01\n"
        rules = civic.Rules.from_text(RT + '[rule.help]\npoints = 10\n')
        kept = civic.Rules.from_text(RT + '[rule.help]\npoints = 10\nretain = "30d"\n'
                                     'affects = "score"\n')
        for new, score in ((rules, "1010.00"), (kept, "1000.00")):
            with Caught() as got:
                c = civic.compare(log, rules, new, as_of=1767607200000)
            self.assertEqual(got.texts, ["as_of 1767607200000 is after the year 9999: it looks "
                                         "like milliseconds; write Unix seconds (drop the last "
                                         "three digits)"])
            self.assertEqual(got.records[0].filename, __file__)
            self.assertEqual((c.as_of, type(c.as_of)), (1767607200000, int))
            self.assertEqual([(x.subject, str(x.score), str(x.new_score)) for x in c.rows],
                             [("r1", "1010.00", score), ("r2", "1010.00", score)])

    def test_rules_warn_of_retain_in_a_balance_rules_cap_group(self):
        for text, said in ((RETAIN_CAP, [RETAIN_SAID]), (RETAIN_CHANGE, [RETAIN_SAID]),
                           (RETAIN_CATEGORY, [RETAIN_SAID.replace(
                               "cap group 'votes'", "category 'noise'")]),
                           (RETAIN_SCORE_ONLY, []), (RETAIN_FLAT, [])):
            with Caught() as got:
                rules = civic.Rules.from_text(text)
            self.assertEqual(got.texts, said)
            path = self.path("rules.toml", text)
            with Caught() as got:
                civic.Rules.from_file(path)
            self.assertEqual(got.texts, ["%s: %s" % (path, x) for x in said])
            # a copy made from the rules is not warned of again: a pickle
            # (a Dask task's argument) and an engine's rules read back
            with Caught() as got:
                pickle.loads(pickle.dumps(rules))
                with civic.Engine(rules) as e:
                    rules.close()
                    e.rules
            self.assertEqual(got.texts, [])
        with Caught() as got:
            civic.default_rules()
            civic.Rules.from_text(civic.default_rules_text())
            civic.Rules.from_file(V1_RULES)
        self.assertEqual(got.texts, [])

    def test_rules_warn_of_what_cannot_do_what_it_says(self):
        # each loaded silently: a grade no score has, a cap that caps nothing,
        # rules that do not escalate each other
        for text, said in SLIPS:
            with Caught() as got:
                civic.Rules.from_text(text)
            self.assertEqual(got.texts, said, text)
            path = self.path("rules.toml", text)
            with Caught() as got:
                civic.Rules.from_file(path)
            self.assertEqual(got.texts, ["%s: %s" % (path, x) for x in said])
        # one line each: two grades, two caps
        text = GRADE_OVER.replace('min = 300', 'min = 300\n[[grade]]\nname = "T"\nmin = 250')
        with Caught() as got:
            civic.Rules.from_text(CAP_FAR + '[cap.other]\nlimit = 1\nperiod = "day"\n')
            civic.Rules.from_text(text)
        self.assertEqual(got.texts, [CAP_FAR_SAID, CAP_FAR_SAID.replace("service", "other"),
                                     GRADE_OVER_SAID, GRADE_OVER_SAID.replace(
                                         "'S'", "'T'").replace("300.00", "250.00")])
        # two names, two warnings (civic-score says the first, "(2 such names)")
        with Caught() as got:
            civic.Rules.from_text(UNSEEN + 'flag = " dishonest"\ndimension = "legal "\n')
        self.assertEqual(got.texts, [
            UNSEEN_SAID % ("flag", " dishonest", "begins with a blank", "flag", "dishonest"),
            UNSEEN_SAID % ("dimension", "legal ", "ends with a blank", "dimension", "legal")])

    def test_the_manual_says_the_binding_gives_every_warning(self):
        # docs/rules.md said the binding gives the warnings of a loaded file
        # "in the same words (all but the flag and dimension one)": it gives
        # that one too, from Rules.from_file() as from_text()
        path = self.path("rules.toml", UNSEEN + 'flag = "dishonest "\ndimension = "legal "\n')
        with Caught() as got:
            civic.Rules.from_file(path)
        self.assertEqual(got.texts, ["%s: %s" % (path, UNSEEN_SAID % x) for x in (
            ("flag", "dishonest ", "ends with a blank", "flag", "dishonest"),
            ("dimension", "legal ", "ends with a blank", "dimension", "legal"))])
        doc = os.path.join(REPO, "docs", "rules.md")
        if not os.path.exists(doc):                     # an installed package
            return
        with open(doc, encoding="utf-8") as f:
            words = " ".join(f.read().split())
        section = words[words.index("## Warnings when a file is loaded"):]
        said = re.search(r"the Python binding as a `civic\.CivicWarning` in the same words"
                         r"([^;.]*)", section)
        self.assertTrue(said, "docs/rules.md says how the binding warns")
        self.assertEqual(said.group(1), "", "the binding gives every warning")

    @unittest.skipUnless(cli_available(), "build/civic-score not built")
    def test_the_warnings_are_civic_scores(self):
        # the port of examples/common/hints.c gives its words, for the same input
        headers = [
            "id,subject,type,ts,hours", "id,subject,type,ts,Qty.", "id,subject,type,ts,qyt",
            "id,subject,type,ts,gruop,refs", "id,subject,type,ts,grp,grup,Reference",
            "\ufeffid,subject,type,ts,\uff31\uff54\uff59", "id,subject,type,ts,\u3000qty\u00a0",
            "id,subject,type,ts,qty,hours", 'id,subject,type,ts,"hours"', "id,subject,type,ts,qty2",
            "id,subject,type,ts,city,qtr,amount,units", "id , subject,type,ts,quantity\r",
            "\n\nid,subject,type,ts,HRS",
        ]
        inputs = []
        for i, header in enumerate(headers):
            names = header.strip("\ufeff\n \r").split(",")
            row = ["e1", "r1", "illegal_parking", "2025-01-01"] + [""] * (len(names) - 4)
            inputs.append(("h%d.csv" % i, header + "\n" + ",".join(row) + "\n", None))
        for i, ts in enumerate(("20250101", "45658", "-5", "0", "19991231", "20251332",
                                "202612081200", "190001010000", "100000000000", "202612082400",
                                "202602301200", "99999999999")):
            inputs.append(("t%d.csv" % i, "id,subject,type,ts\ne1,r1,illegal_parking,%s\n" % ts,
                           None))
        v1_lines = ['{"id":"e1","subject":"r1","type":"donation","ts":"2025-01-01","Qty":2}',
                    '{"id":"e1","subject":"r1","type":"donation","ts":"2025-01-01","qty ":2}',
                    '{"ID":"e1","id":"e1","subject":"r1","type":"donation","ts":"2025-01-01"}',
                    '{"id":"e1","Subject":"r1","subject":"r1","type":"donation",'
                    '"Ts":"x","ts":"2025-01-01","\\u0047roup":"g"}']
        for i, line in enumerate(v1_lines):
            inputs.append(("k%d.jsonl" % i, line + "\n", V1_RULES))
        warned = 0
        for name, text, rules_path in inputs:
            path = self.path(name, text)
            args = ["-t", "2025-06-01"] + (["-r", rules_path] if rules_path else [])
            want = cli_warnings(*(args + [path]))
            warned += bool(want)
            rules = civic.Rules.from_file(rules_path) if rules_path else civic.default_rules()
            with civic.Engine(rules) as e, civic.Engine(rules) as e2, Caught() as got:
                report = e.load_file(path)
                e2.load(text)
            self.assertEqual(report.warnings, want, text[:200])
            unlabelled = [w[len(path) + 2:] for w in want]
            self.assertEqual(got.texts, want + unlabelled, text[:200])
        # every input but the four said to be fine and eleven digits
        self.assertEqual(warned, 24)
        # a file's header is looked at in its first 4096 bytes, as civic-score
        # reads it; a log in memory in its first 64 KiB
        long_header = "id,subject,type,ts,hours" + "".join(",c%03d%s" % (k, "x" * 45)
                                                          for k in range(100))
        text = long_header + "\ne1,r1,illegal_parking,2025-01-01" + "," * 101 + "\n"
        path = self.path("long.csv", text)
        self.assertEqual(cli_warnings("-t", "2025-06-01", path), [])
        with civic.Engine() as e:
            self.assertEqual(e.load_file(path).warnings, [])
            self.assertEqual(e.load(text).warnings, [HOURS_SAID])
        for t in ("20250101", "45658", "0", "-5", "99999999", "100000000", "2025-01-01"):
            want = [w.replace("--as-of %s" % t, "as_of '%s'" % t)
                    for w in cli_warnings("-t", t, SAMPLE)]
            with civic.Engine() as e, Caught() as got:
                e.score("r1", as_of=t)
            self.assertEqual(got.texts, want, t)
        # leading zeros leave the value, however many (from 21 characters on
        # there was no warning): the text as given up to 21 characters, else
        # without them, as civic-score -t writes it
        for t, shown, cli_shown in (
                ("0" * 13 + "20250101", "'%s'" % ("0" * 13 + "20250101"), "0" * 13 + "20250101"),
                ("0" * 24 + "20250101", "'20250101' (written with 24 leading zeros)",
                 "20250101 (written with 24 leading zeros)"),
                ("-" + "0" * 21 + "5", "'-5' (written with 21 leading zeros)",
                 "-5 (written with 21 leading zeros)")):
            cli = cli_warnings("-t", t, SAMPLE)
            self.assertEqual(len(cli), 1, (t, cli))
            self.assertTrue(cli[0].startswith("--as-of %s is Unix seconds: " % cli_shown), cli)
            with civic.Engine() as e, Caught() as got:
                e.score("r1", as_of=t)
            self.assertEqual(got.texts, [cli[0].replace("--as-of " + cli_shown, "as_of " + shown)],
                             t)
        log = self.path("help.csv", "id,subject,type,ts\nh1,s1,help,2022-01-02\n")
        for text in (RETAIN_CAP, RETAIN_CATEGORY, RETAIN_CHANGE, RETAIN_SCORE_ONLY, RETAIN_FLAT,
                     LAST_MIN) + tuple(text for text, _ in SLIPS):
            path = self.path("rules.toml", text)
            want = cli_warnings("-r", path, "-t", "2022-01-30", log)
            with Caught() as got:
                civic.Rules.from_file(path)
            self.assertEqual(got.texts, want, text)
            if text in (RETAIN_CAP, LAST_MIN):
                self.assertEqual(len(want), 1, text)
            for slip, said in SLIPS:
                if text == slip:
                    self.assertEqual(want, ["%s: %s" % (path, x) for x in said])


if __name__ == "__main__":
    unittest.main()
