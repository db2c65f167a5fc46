#!/usr/bin/env python3
"""Unit tests of the reference model (tests/model/civic_model.py).

The six worked examples of SPEC section 8, then hand-computed cases for caps,
running clamp, balance reset, calendar-month validity and groups.  Every
expected value below was computed by hand from the contract (docs/evaluation.md), not by running
code.
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "model"))
import civic_model as m  # noqa: E402

BANDS = """
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
"""


def scheme_of(rules, scheme_keys='base = 1000\nutc_offset = "+00:00"'):
    return m.parse_rules("[scheme]\n" + scheme_keys + "\n" + BANDS + rules)


def log_of(scheme, rows):
    """rows: (id, subject, type, ts[, extra dict])"""
    log = m.Log(scheme)
    for row in rows:
        fields = {"id": row[0], "subject": row[1], "type": row[2], "ts": row[3]}
        if len(row) > 4:
            fields.update(row[4])
        log.add(fields)
    return log


def at(scheme, log, subject, when):
    return m.evaluate(scheme, log, subject, m.parse_ts(when, scheme.utc_offset))


def pts(text):
    return m.parse_fixed(text, 2)


class SpecExamples(unittest.TestCase):
    def test_example_1_fine_expires(self):
        s = scheme_of('[rule.fine]\npoints = -10\nvalid = "1y"\n')
        log = log_of(s, [("e1", "r1", "fine", "2022-03-01")])
        r = at(s, log, "r1", "2022-06-01")
        self.assertEqual((r.score, r.grade), (pts("990"), "A"))
        r = at(s, log, "r1", "2023-06-01")
        self.assertEqual((r.score, r.grade), (pts("1000"), "A"))
        self.assertEqual(r.record[0].state, "expired")
        # expired exactly on 2023-03-01
        self.assertEqual(at(s, log, "r1", "2023-02-28T23:59:59").score, pts("990"))
        self.assertEqual(at(s, log, "r1", "2023-03-01").score, pts("1000"))

    def test_example_2_repeat(self):
        s = scheme_of('[rule.dog]\npoints = -10\nvalid = "1y"\nrepeat_factor = 2\n')
        log = log_of(s, [("d1", "r1", "dog", "2022-01-10"), ("d2", "r1", "dog", "2022-06-10")])
        r = at(s, log, "r1", "2022-07-01")
        self.assertEqual(r.score, pts("970"))
        self.assertEqual([(e.counted, e.escalated) for e in r.record],
                         [(pts("-10"), False), (pts("-20"), True)])
        self.assertEqual(at(s, log, "r1", "2023-02-01").score, pts("980"))
        self.assertEqual(at(s, log, "r1", "2023-07-01").score, pts("1000"))

    def test_example_3_cap(self):
        s = scheme_of('[rule.donation]\npoints = 10\ncap = 40\ncap_period = "year"\n')
        log = log_of(s, [("d%d" % i, "r1", "donation", "2023-0%d-01" % i) for i in range(1, 6)])
        r = at(s, log, "r1", "2023-12-31")
        self.assertEqual((r.score, r.grade), (pts("1040"), "AA"))
        fifth = r.record[4]
        self.assertEqual((fifth.id, fifth.counted, fifth.capped), ("d5", 0, True))
        self.assertTrue(all(not e.capped for e in r.record[:4]))

    def test_example_4_ceiling(self):
        s = scheme_of('[rule.drunk_driving]\npoints = 0\nceiling = 850\nvalid = "2y"\n')
        log = log_of(s, [("x1", "r1", "drunk_driving", "2022-02-01")])
        r = at(s, log, "r1", "2022-03-01")
        self.assertEqual((r.score, r.grade), (pts("850"), "B"))
        r = at(s, log, "r1", "2024-03-01")
        self.assertEqual((r.score, r.grade), (pts("1000"), "A"))

    def test_example_5_repair(self):
        s = scheme_of('[rule.defaulter]\npoints = 0\nceiling = 599\nvalid = "5y"\n'
                      'flag = "dishonest"\n'
                      '[rule.repaired_default]\npoints = -50\nvalid = "2y"\n')
        log = log_of(s, [("e1", "r1", "defaulter", "2022-03-01"),
                         ("e2", "r1", "repair", "2022-09-01", {"ref": "e1"}),
                         ("e3", "r1", "repaired_default", "2022-09-01")])
        r = at(s, log, "r1", "2022-06-01")
        self.assertEqual((r.score, r.grade, r.flags), (pts("599"), "D", ["dishonest"]))
        r = at(s, log, "r1", "2022-10-01")
        self.assertEqual((r.score, r.grade, r.flags), (pts("950"), "B", []))
        self.assertEqual([e.state for e in r.record], ["repaired", "applied", "active"])

    def test_example_6_revoke(self):
        s = scheme_of('[rule.fine]\npoints = -10\nvalid = "1y"\n')
        log = log_of(s, [("f1", "r1", "fine", "2022-03-01"),
                         ("v1", "r1", "revoke", "2022-04-01", {"ref": "f1"})])
        self.assertEqual(at(s, log, "r1", "2022-03-15").score, pts("990"))
        for when in ("2022-04-01", "2022-08-01", "2030-01-01"):
            r = at(s, log, "r1", when)
            self.assertEqual(r.score, pts("1000"))
            self.assertEqual([e.state for e in r.record], ["revoked", "applied"])


class HandComputed(unittest.TestCase):
    def test_own_cap_and_shared_cap_group(self):
        # a: +15 own cap 20/week; b: +10 no own cap; both share votes = 30/month.
        s = scheme_of('[cap.votes]\nlimit = 30\nperiod = "month"\n'
                      '[rule.a]\npoints = 15\ncap = 20\ncap_period = "week"\ncap_group = "votes"\n'
                      '[rule.b]\npoints = 10\ncap_group = "votes"\n')
        # 2024-01-01 is a Monday.
        log = log_of(s, [("1", "r", "a", "2024-01-01"),   # a: 15 (own 5 left, votes 15 left)
                         ("2", "r", "a", "2024-01-07"),   # Sunday, same week: 5 (own 0, votes 10)
                         ("3", "r", "b", "2024-01-07T12:00:00"),  # 10 (votes 0)
                         ("4", "r", "a", "2024-01-08"),   # new week, votes full: 0
                         ("5", "r", "b", "2024-02-01"),   # new month: 10
                         ])
        r = at(s, log, "r", "2024-02-02")
        self.assertEqual([e.counted for e in r.record], [1500, 500, 1000, 0, 1000])
        self.assertEqual([e.capped for e in r.record], [False, True, False, True, False])
        self.assertEqual(r.score, pts("1040"))
        # Revoking event 1 gives its room back to the later events.
        log.add({"id": "v", "subject": "r", "type": "revoke", "ts": "2024-03-01", "ref": "1"})
        r = at(s, log, "r", "2024-03-01")
        # 2: 15 (own 5 left, votes 15), 3: 10 (votes 5), 4: new week own 20, votes 5 -> 5, 5: 10
        self.assertEqual([e.counted for e in r.record], [0, 1500, 1000, 500, 1000, 0])
        self.assertEqual(r.score, pts("1040"))

    def test_negative_points_draw_on_cap_by_absolute_value(self):
        s = scheme_of('[rule.p]\npoints = 30\ncap = 50\ncap_period = "lifetime"\n'
                      '[rule.n]\npoints = -30\ncap = 50\ncap_period = "lifetime"\n'
                      '[cap.g]\nlimit = 50\nperiod = "lifetime"\n'
                      '[rule.m]\npoints = 30\ncap_group = "g"\n'
                      '[rule.k]\npoints = -30\ncap_group = "g"\n')
        log = log_of(s, [("1", "r", "m", "2020-01-01"), ("2", "r", "k", "2020-01-02"),
                         ("3", "r", "n", "2020-01-03"), ("4", "r", "n", "2020-01-04")])
        r = at(s, log, "r", "2020-02-01")
        self.assertEqual([e.counted for e in r.record], [3000, -2000, -3000, -2000])
        self.assertEqual(r.score, pts("960"))

    def test_running_clamp_is_a_floor(self):
        s = scheme_of('[rule.up]\npoints = 50\n[rule.down]\npoints = -80\n',
                      'base = 50\nmin = 0\nmax = 100\nclamp = "running"')
        # order: down(-80) -> max(0,-30)=0 ; up(+50) -> 50 ; up -> 100 ; down -> 20
        log = log_of(s, [("1", "r", "down", "2021-01-01"), ("2", "r", "up", "2021-01-02"),
                         ("3", "r", "up", "2021-01-03"), ("4", "r", "down", "2021-01-04")])
        self.assertEqual(at(s, log, "r", "2021-02-01").score, pts("20"))
        # With the final clamp: 50 - 80 + 50 + 50 - 80 = -10 -> 0.
        s2 = scheme_of('[rule.up]\npoints = 50\n[rule.down]\npoints = -80\n',
                       'base = 50\nmin = 0\nmax = 100\nclamp = "final"')
        log2 = log_of(s2, [("1", "r", "down", "2021-01-01"), ("2", "r", "up", "2021-01-02"),
                           ("3", "r", "up", "2021-01-03"), ("4", "r", "down", "2021-01-04")])
        self.assertEqual(at(s2, log2, "r", "2021-02-01").score, 0)
        # Running: after the first two events only: 0 + 50 = 50 (final: 20).
        self.assertEqual(at(s, log, "r", "2021-01-02").score, pts("50"))
        self.assertEqual(at(s2, log2, "r", "2021-01-02").score, pts("20"))

    def test_balance_reset_month_and_redeems(self):
        s = scheme_of('[rule.work]\npoints = 10\nvalid = "1d"\n[rule.fine]\npoints = -3\n'
                      '[rule.honour]\npoints = 100\naffects = "score"\n',
                      'base = 1000\nutc_offset = "+08:00"\nbalance_reset = "month"')
        log = log_of(s, [
            ("w1", "r", "work", "2024-01-10"),                    # bal 10
            ("x1", "r", "redeem", "2024-01-11", {"qty": "4"}),    # accepted, bal 6
            ("x2", "r", "redeem", "2024-01-12", {"qty": "6.01"}),  # rejected
            ("h1", "r", "honour", "2024-01-13"),                  # score only
            ("f1", "r", "fine", "2024-01-31T23:00:00"),           # bal 3 (local Jan)
            # 2024-01-31T16:30:00Z is 2024-02-01T00:30 local: February
            ("w2", "r", "work", "2024-01-31T16:30:00Z"),          # bal 10 (Feb)
            ("x3", "r", "redeem", "2024-02-02", {"qty": "10.00"}),  # accepted, bal 0
        ])
        r = at(s, log, "r", "2024-01-31T23:30:00")
        self.assertEqual(r.balance, pts("3"))
        self.assertEqual([e.state for e in r.record],
                         ["expired", "accepted", "rejected", "active", "active"])
        r = at(s, log, "r", "2024-02-01T00:30:00")
        self.assertEqual(r.balance, pts("10"))
        r = at(s, log, "r", "2024-02-05")
        self.assertEqual(r.balance, 0)
        self.assertEqual(r.record[-1].state, "accepted")
        # score: 1000 + 100 (honour) - 3 (fine); works expired after 1 day.
        self.assertEqual(r.score, pts("1097"))
        # March: nothing in March yet -> balance 0.
        log.add({"id": "w3", "subject": "r", "type": "work", "ts": "2024-02-20"})
        self.assertEqual(at(s, log, "r", "2024-02-29").balance, pts("10"))
        self.assertEqual(at(s, log, "r", "2024-03-01").balance, 0)
        # Revoking the first redeem makes no difference to the rejected one?
        # x2 (6.01) is now accepted: 10 >= 6.01, leaving 3.99, then fine -> 0.99.
        log.add({"id": "v1", "subject": "r", "type": "revoke", "ts": "2024-01-31T23:59:00",
                 "ref": "x1"})
        r = at(s, log, "r", "2024-01-31T23:59:00")
        self.assertEqual(r.balance, 99)
        self.assertEqual([e.state for e in r.record][:3], ["expired", "revoked", "accepted"])

    def test_month_validity_end_of_month(self):
        s = scheme_of('[rule.m1]\npoints = -10\nvalid = "1m"\n'
                      '[rule.y1]\npoints = -20\nvalid = "1y"\n'
                      '[rule.eom]\npoints = -40\nvalid = "end-of-month"\n'
                      '[rule.eoq]\npoints = -80\nvalid = "end-of-quarter"\n',
                      'base = 1000\nutc_offset = "-05:00"')
        log = log_of(s, [("a", "r", "m1", "2023-01-31T10:00:00"),   # ends 2023-02-28T10:00 local
                         ("b", "r", "y1", "2024-02-29T08:00:00"),   # ends 2025-02-28T08:00 local
                         ("c", "r", "eom", "2023-01-15T18:00:00"),  # ends 2023-02-01T00:00 local
                         ("d", "r", "eoq", "2023-02-15")])          # ends 2023-04-01T00:00 local
        self.assertEqual(at(s, log, "r", "2023-01-31T23:59:59").score, pts("950"))
        self.assertEqual(at(s, log, "r", "2023-02-01T00:00:00").score, pts("990"))
        # 2023-02-01T04:59:59Z is still January locally
        self.assertEqual(at(s, log, "r", "2023-02-01T04:59:59Z").score, pts("950"))
        self.assertEqual(at(s, log, "r", "2023-02-28T09:59:59").score, pts("910"))
        self.assertEqual(at(s, log, "r", "2023-02-28T10:00:00").score, pts("920"))
        self.assertEqual(at(s, log, "r", "2023-03-31T23:59:59").score, pts("920"))
        self.assertEqual(at(s, log, "r", "2023-04-01").score, pts("1000"))
        self.assertEqual(at(s, log, "r", "2025-02-28T07:59:59").score, pts("980"))
        self.assertEqual(at(s, log, "r", "2025-02-28T08:00:00").score, pts("1000"))
        # 3m from 2023-11-30 -> 2024-02-29 (leap year)
        end = m.validity_end(m.parse_ts("2023-11-30T12:00:00", 0), "3m", 0)
        self.assertEqual(end, m.parse_ts("2024-02-29T12:00:00", 0))
        end = m.validity_end(m.parse_ts("2024-08-31", 0), "18m", 0)
        self.assertEqual(end, m.parse_ts("2026-02-28", 0))

    def test_per_unit_rounding_and_decimal_repeat(self):
        s = scheme_of('[rule.h]\npoints = 0.15\nper = "unit"\nrepeat_factor = 1.5\n'
                      'dimension = "autonomy"\n'
                      '[rule.n]\npoints = -0.15\nper = "unit"\n')
        log = log_of(s, [("1", "r", "h", "2022-01-01", {"qty": "0.1"}),     # 0.015 -> 0.02
                         ("2", "r", "h", "2022-01-02", {"qty": "0.100"}),   # 0.02 x1.5 -> 0.03
                         ("3", "r", "n", "2022-01-03", {"qty": "0.1"}),     # -0.015 -> -0.02
                         ("4", "r", "n", "2022-01-04", {"qty": "3.333"})])  # -0.49995 -> -0.50
        r = at(s, log, "r", "2022-02-01")
        self.assertEqual([e.counted for e in r.record], [2, 3, -2, -50])
        self.assertEqual(r.score, pts("999.53"))
        self.assertEqual(r.dimensions, {"autonomy": 5, "general": -52})

    def test_repair_dangling_cases_and_group(self):
        s = scheme_of('[rule.f]\npoints = -10\nflag = "x"\n')
        log = log_of(s, [
            ("1", "a", "f", "2022-01-01", {"group": "d1/s1"}),
            ("2", "b", "f", "2022-01-01", {"group": "d1/s2/c1"}),
            ("p1", "a", "repair", "2022-02-01", {"ref": "2"}),   # other subject: dangling
            ("p2", "a", "repair", "2022-03-01", {"ref": "1"}),   # applied
            ("p3", "a", "repair", "2022-02-15", {"ref": "1"}),   # earlier: counts
            ("v1", "b", "revoke", "2022-01-05", {"ref": "2"}),
            ("p4", "b", "repair", "2022-01-06", {"ref": "2"}),   # target revoked: dangling
            ("v2", "b", "revoke", "2022-01-07", {"ref": "p4"}),  # target a repair: dangling
            ("3", "b", "f", "2022-01-08", {"group": "d2"}),
        ])
        r = at(s, log, "a", "2022-02-20")
        self.assertEqual((r.score, r.flags, r.group), (pts("1000"), [], "d1/s1"))
        self.assertEqual([(e.id, e.state) for e in r.record],
                         [("1", "repaired"), ("p1", "dangling"), ("p3", "applied")])
        r = at(s, log, "a", "2022-03-01")
        self.assertEqual([(e.id, e.state) for e in r.record][2:], [("p3", "applied"), ("p2", "applied")])
        self.assertEqual(at(s, log, "a", "2022-02-14").flags, ["x"])
        r = at(s, log, "b", "2022-02-20")
        self.assertEqual((r.score, r.group), (pts("990"), "d2"))
        self.assertEqual([e.state for e in r.record],
                         ["revoked", "applied", "dangling", "dangling", "active"])
        # Before the revoke of "2", b is in d1/s2/c1.
        T = m.parse_ts("2022-01-02", 0)
        stats = m.group_stats(s, log, T, 1)
        self.assertEqual([(g.path, g.count(), g.mean()) for g in stats], [("d1", 2, 99000)])
        self.assertEqual(m.group_stats(s, log, T, 3)[0].path, "d1/s2/c1")
        self.assertEqual(len(m.group_stats(s, log, T, 3)), 1)

    def test_group_stats_median_mean_rounding(self):
        s = scheme_of('[rule.f]\npoints = 0.01\nper = "unit"\n')
        log = log_of(s, [("1", "a", "f", "2022-01-01", {"group": "g/x", "qty": "1"}),
                         ("2", "b", "f", "2022-01-01", {"group": "g/y", "qty": "2"}),
                         ("3", "c", "f", "2022-01-01", {"group": "g", "qty": "4"}),
                         ("4", "d", "f", "2022-01-01", {"group": "g/x", "qty": "4"})])
        T = m.parse_ts("2022-01-02", 0)
        (g,) = m.group_stats(s, log, T, 1)
        # scores 1000.01, 1000.02, 1000.04, 1000.04: mean 1000.0275 -> 1000.03
        # median (1000.02 + 1000.04)/2 = 1000.03
        self.assertEqual(g.csv_row(s), ["g", "4", "1000.03", "1000.03", "1000.01", "1000.04",
                                        "0.11", "0", "0", "4", "0", "0", "0"])
        ranking = [r.subject for r in g.ranking()]
        self.assertEqual(ranking, ["c", "d", "b", "a"])
        rows = [x.csv_row(s)[:2] for x in m.group_stats(s, log, T, 2)]
        self.assertEqual(rows, [["g/x", "2"], ["g/y", "1"]])

    def test_idempotency(self):
        s = scheme_of('[rule.f]\npoints = -10\n')
        log = log_of(s, [("1", "a", "f", "2022-01-01")])
        self.assertFalse(log.add({"id": "1", "subject": "a", "type": "f", "ts": "2022-01-01"}))
        with self.assertRaises(m.ModelError):
            log.add({"id": "1", "subject": "a", "type": "f", "ts": "2022-01-02"})
        with self.assertRaises(m.ModelError):
            log.add({"id": "1", "subject": "a", "type": "f", "ts": "2022-01-01", "qty": "2"})
        # same values in other forms: duplicates
        self.assertFalse(log.add({"id": "1", "subject": "a", "type": "f", "qty": "1.000",
                                  "ts": "2022-01-01T01:00:00.9+01:00", "group": ""}))
        self.assertEqual(at(s, log, "a", "2022-02-01").score, pts("990"))
        # a qty on revoke/repair is checked and ignored: re-sent with one, a duplicate
        self.assertTrue(log.add({"id": "2", "subject": "a", "type": "revoke", "ref": "1",
                                 "ts": "2022-01-05"}))
        self.assertFalse(log.add({"id": "2", "subject": "a", "type": "revoke", "ref": "1",
                                  "ts": "2022-01-05", "qty": "2.5"}))
        with self.assertRaises(m.ModelError):
            log.add({"id": "2", "subject": "a", "type": "revoke", "ref": "1",
                     "ts": "2022-01-05", "qty": "-1"})

    def test_timestamps(self):
        off = m.parse_offset("+05:30")
        self.assertEqual(m.parse_ts("1970-01-01", off), -19800)
        self.assertEqual(m.parse_ts("1970-01-01T05:30:00.999", off), 0)
        self.assertEqual(m.parse_ts("1970-01-01T00:00:00Z", off), 0)
        self.assertEqual(m.parse_ts("1970-01-01T01:00:00+01:00", off), 0)
        self.assertEqual(m.parse_ts("1969-12-31T19:00:00-05:00", off), 0)
        self.assertEqual(m.parse_ts("1700000000", off), 1700000000)
        for bad in ("2023-02-29", "2023-13-01", "2023-01-01T24:00:00", "2023-1-01", "x"):
            with self.assertRaises(m.ModelError):
                m.parse_ts(bad, off)
        # ISO week: 2021-01-03 is a Sunday, 2021-01-04 a Monday.
        wk = lambda d: m.calendar_bucket(m.parse_ts(d, off), "week", off)  # noqa: E731
        self.assertEqual(wk("2020-12-28"), wk("2021-01-03T23:59:59"))
        self.assertNotEqual(wk("2021-01-03"), wk("2021-01-04"))

    def test_numbers(self):
        self.assertEqual(m.parse_fixed("1.500", 2), 150)
        self.assertEqual(m.parse_fixed("-2.5", 2), -250)
        with self.assertRaises(m.ModelError):
            m.parse_fixed("1.234", 2)
        self.assertEqual(m.div_round_half_away(-5, 10), -1)
        self.assertEqual(m.div_round_half_away(5, 10), 1)
        self.assertEqual(m.div_round_half_away(-4, 10), 0)
        self.assertEqual(m.format_hundredths(-5), "-0.05")

    def test_rules_validation(self):
        ok = '[rule.a]\npoints = 1\n'
        scheme_of(ok)
        for bad in ('[rule.a]\npoints = 1.234\n', '[rule.a]\npointz = 1\n',
                    '[rule.a]\ncap = 5\n', '[rule.a]\ncap_group = "nope"\n',
                    '[rule.a]\nceiling = 2500\n', '[rule.a]\n[rule.a]\n', '[other]\n'):
            with self.assertRaises(m.ModelError, msg=bad):
                scheme_of(bad, 'base = 1000\nmin = 0\nmax = 2000')



def ids_states(result):
    return [(e.id, e.state) for e in result.record]


class SpecExamplesV2(unittest.TestCase):
    """SPEC section 12, examples 1-13 (base 1000, the built-in bands)."""

    def test_example_1_change_from(self):
        s = scheme_of('[rule.fine]\npoints = -10\nvalid = "1y"\n'
                      '[[rule.fine.change]]\nfrom = "2023-01-01"\npoints = -20\n')
        log = log_of(s, [("f1", "r", "fine", "2022-06-01"), ("f2", "r", "fine", "2023-02-01")])
        r = at(s, log, "r", "2023-03-01")
        self.assertEqual(r.score, pts("970"))
        self.assertEqual([e.counted for e in r.record], [pts("-10"), pts("-20")])
        self.assertEqual([e.from_ts for e in r.record], [None, m.parse_ts("2023-01-01", 0)])

    def test_from_as_a_date_without_dashes_is_refused(self):
        # DECISION D43: eight digits that are a date, quoted or not
        for written in ('"20250101"', '20240229'):
            with self.assertRaises(m.ModelError):
                scheme_of('[rule.fine]\npoints = -10\n[[rule.fine.change]]\nfrom = %s\n'
                          'points = -20\n' % written)
        for written in ('"1735689600"', '1735689600'):   # other seconds
            scheme_of('[rule.fine]\npoints = -10\n[[rule.fine.change]]\nfrom = %s\n'
                      'points = -20\n' % written)

    def test_from_of_fewer_than_nine_digits_is_refused(self):
        # as Unix seconds an instant before 1973-03-03: a year, a year and
        # month or a spreadsheet's day number, quoted or not
        for written in ('2026', '"2026"', '202603', '45000', '"045000"', '99999999', '0',
                        '"20250229"'):
            with self.assertRaises(m.ModelError):
                scheme_of('[rule.fine]\npoints = -10\n[[rule.fine.change]]\nfrom = %s\n'
                          'points = -20\n' % written)
        for written in ('100000000', '"0100000000"', '-5'):   # seconds; before 1970, signed
            scheme_of('[rule.fine]\npoints = -10\n[[rule.fine.change]]\nfrom = %s\n'
                      'points = -20\n' % written)

    def test_example_2_category(self):
        s = scheme_of('[rule.park]\npoints = -10\ncategory = "traffic"\nrepeat_factor = 2\n'
                      'valid = "1y"\n'
                      '[rule.block_lane]\npoints = -10\ncategory = "traffic"\n'
                      'repeat_factor = 2\nvalid = "1y"\n')
        log = log_of(s, [("p1", "r", "park", "2022-01-10"),
                         ("b1", "r", "block_lane", "2022-03-01")])
        r = at(s, log, "r", "2022-04-01")
        self.assertEqual(r.score, pts("970"))
        self.assertEqual([e.escalated for e in r.record], [False, True])

    def test_example_3_severity(self):
        s = scheme_of('[[validity]]\nup_to = 40\nvalid = "1y"\n[[validity]]\nvalid = "2y"\n'
                      '[rule.dog]\npoints = -30\nvalid = "by-severity"\nrepeat_factor = 2\n')
        log = log_of(s, [("d1", "r", "dog", "2022-01-10"), ("d2", "r", "dog", "2022-02-10")])
        r = at(s, log, "r", "2023-01-20")
        self.assertEqual(r.score, pts("940"))
        self.assertEqual([e.end for e in r.record],
                         [m.parse_ts("2023-01-10", 0), m.parse_ts("2024-02-10", 0)])
        self.assertEqual(at(s, log, "r", "2024-03-01").score, pts("1000"))
        # boundaries: the first ends exactly 2023-01-10, the second 2024-02-10
        self.assertEqual(at(s, log, "r", "2023-01-09T23:59:59").score, pts("910"))
        self.assertEqual(at(s, log, "r", "2023-01-10").score, pts("940"))
        self.assertEqual(at(s, log, "r", "2024-02-09T23:59:59").score, pts("940"))
        self.assertEqual(at(s, log, "r", "2024-02-10").score, pts("1000"))

    def test_example_4_act(self):
        s = scheme_of('[rule.litter]\npoints = -5\nvalid = "1y"\n'
                      '[rule.blocking_exit]\npoints = -20\nvalid = "1y"\n')
        log = log_of(s, [("e1", "r", "litter", "2022-05-01", {"act": "a1"}),
                         ("e2", "r", "blocking_exit", "2022-05-01", {"act": "a1"})])
        r = at(s, log, "r", "2022-06-01")
        self.assertEqual(r.score, pts("980"))
        self.assertEqual(ids_states(r), [("e1", "merged"), ("e2", "active")])
        self.assertEqual(r.record[0].merged_with, "e2")

    def test_example_5_freeze(self):
        s = scheme_of('[rule.defaulter]\npoints = 0\nceiling = 599\nvalid = "5y"\nfreeze = true\n'
                      '[rule.volunteer]\npoints = 5\n')
        log = log_of(s, [("v1", "r", "volunteer", "2022-01-01"),
                         ("d1", "r", "defaulter", "2022-02-01"),
                         ("v2", "r", "volunteer", "2022-03-01"),
                         ("p1", "r", "repair", "2022-04-01", {"ref": "d1"}),
                         ("v3", "r", "volunteer", "2022-05-01")])
        r = at(s, log, "r", "2022-06-01")
        self.assertEqual((r.score, r.grade), (pts("1010"), "A"))
        self.assertEqual([(e.id, e.counted, e.frozen) for e in r.record if e.type == "volunteer"],
                         [("v1", 500, False), ("v2", 0, True), ("v3", 500, False)])
        # during the freeze the ceiling holds
        self.assertEqual(at(s, log, "r", "2022-03-15").score, pts("599"))

    def test_example_6_publicity(self):
        s = scheme_of('[rule.honour]\npoints = 20\nvalid = "1y"\npublicity = "7d"\n')
        log = log_of(s, [("e1", "r", "honour", "2022-03-01")])
        r = at(s, log, "r", "2022-03-05")
        self.assertEqual((r.score, ids_states(r)), (pts("1000"), [("e1", "pending")]))
        self.assertEqual(r.record[0].eff, m.parse_ts("2022-03-08", 0))
        self.assertEqual(at(s, log, "r", "2022-03-07T23:59:59").score, pts("1000"))
        self.assertEqual(at(s, log, "r", "2022-03-08").score, pts("1020"))
        # validity runs from eff: ends 2023-03-08
        self.assertEqual(at(s, log, "r", "2023-03-07T23:59:59").score, pts("1020"))
        self.assertEqual(at(s, log, "r", "2023-03-08").score, pts("1000"))
        log.add({"id": "v1", "subject": "r", "type": "revoke", "ts": "2022-03-04", "ref": "e1"})
        for when in ("2022-03-04", "2022-03-05", "2022-03-08", "2022-06-01", "2024-01-01"):
            self.assertEqual(at(s, log, "r", when).score, pts("1000"), when)
        self.assertEqual(at(s, log, "r", "2022-03-03").record[0].state, "pending")

    def test_example_7_objection_suspend(self):
        s = scheme_of('[rule.fine]\npoints = -10\nvalid = "1y"\n',
                      'base = 1000\ncontested = "suspend"')
        log = log_of(s, [("f1", "r", "fine", "2022-03-01"),
                         ("o1", "r", "object", "2022-03-05", {"ref": "f1"}),
                         ("d1", "r", "dismiss", "2022-04-01", {"ref": "o1"})])
        r = at(s, log, "r", "2022-03-10")
        self.assertEqual((r.score, ids_states(r)),
                         (pts("1000"), [("f1", "contested"), ("o1", "applied")]))
        r = at(s, log, "r", "2022-04-10")
        self.assertEqual((r.score, ids_states(r)),
                         (pts("990"), [("f1", "active"), ("o1", "dismissed"), ("d1", "applied")]))
        self.assertEqual(at(s, log, "r", "2022-03-04").score, pts("990"))
        self.assertEqual(at(s, log, "r", "2022-03-05").score, pts("1000"))
        self.assertEqual(at(s, log, "r", "2022-03-31T23:59:59").score, pts("1000"))
        self.assertEqual(at(s, log, "r", "2022-04-01").score, pts("990"))

    def test_example_8_retention(self):
        for valid, before in (("1y", "1000"), ("10y", "990")):
            s = scheme_of('[rule.fine]\npoints = -10\nvalid = "%s"\nretain = "5y"\n'
                          'affects = "score"\n' % valid)
            log = log_of(s, [("f1", "r", "fine", "2015-03-01")])
            r = at(s, log, "r", "2020-02-29")
            self.assertEqual(r.score, pts(before))
            self.assertEqual(ids_states(r), [("f1", "expired" if valid == "1y" else "active")])
            self.assertEqual(r.archived, 0)
            r = at(s, log, "r", "2020-03-01")
            self.assertEqual((r.score, r.record, r.archived), (pts("1000"), [], 1))
            self.assertEqual(at(s, log, "r", "2024-01-01").score, pts("1000"))
            # the subject is no longer listed
            self.assertEqual(m.evaluate_all(s, log, m.parse_ts("2020-03-01", 0)), [])
            self.assertEqual(len(m.evaluate_all(s, log, m.parse_ts("2020-02-29", 0))), 1)

    def test_example_9_tier(self):
        s = scheme_of('[rule.volunteer_hour]\npoints = 1\nper = "unit"\ncap = 20\n'
                      'cap_period = "month"\n'
                      '[tier.volunteer_star]\nrules = "volunteer_hour"\nmeasure = "qty"\n'
                      '[[tier.volunteer_star.level]]\nname = "1 star"\nmin = 100\n'
                      '[[tier.volunteer_star.level]]\nname = "2 stars"\nmin = 300\n')
        rows = []
        for i in range(10):  # 250 hours in 2022: 25 hours in each of ten months
            rows.append(("a%d" % i, "r", "volunteer_hour", "2022-%02d-15" % (i + 1),
                         {"qty": "25"}))
        rows.append(("b1", "r", "volunteer_hour", "2023-03-01", {"qty": "60"}))
        log = log_of(s, rows)
        r = at(s, log, "r", "2023-12-31")
        self.assertEqual(r.tiers, [("volunteer_star", "2 stars")])
        self.assertEqual(r.score, pts("1220"))  # 11 months x 20 points
        self.assertEqual(at(s, log, "r", "2022-12-31").tiers, [("volunteer_star", "1 star")])
        self.assertEqual(at(s, log, "r", "2022-04-15").tiers, [("volunteer_star", "1 star")])
        self.assertEqual(at(s, log, "r", "2022-04-14").tiers, [("volunteer_star", None)])

    def test_example_10_net_cap(self):
        for mode, scores in (("both", ("1020", "1020")), ("net", ("1018", "1020"))):
            s = scheme_of('[cap.votes]\nlimit = 20\nperiod = "day"\nmode = "%s"\n'
                          '[rule.up]\npoints = 10\ncap_group = "votes"\n'
                          '[rule.down]\npoints = -2\ncap_group = "votes"\n' % mode)
            log = log_of(s, [("1", "r", "up", "2022-05-01T09:00:00"),
                             ("2", "r", "up", "2022-05-01T10:00:00"),
                             ("3", "r", "down", "2022-05-01T11:00:00")])
            self.assertEqual(at(s, log, "r", "2022-05-02").score, pts(scores[0]), mode)
            log.add({"id": "4", "subject": "r", "type": "up", "ts": "2022-05-01T12:00:00"})
            r = at(s, log, "r", "2022-05-02")
            self.assertEqual(r.score, pts(scores[1]), mode)
            if mode == "net":
                self.assertEqual([e.counted for e in r.record], [1000, 1000, -200, 200])
                self.assertEqual([e.capped for e in r.record], [False, False, False, True])
            else:
                self.assertEqual([e.counted for e in r.record], [1000, 1000, 0, 0])

    def test_example_11_recount(self):
        for recount, after in (("true", "995"), ("false", "990")):
            s = scheme_of('[rule.fine]\npoints = -10\nvalid = "forever"\naffects = "score"\n'
                          '[[rule.fine.change]]\nfrom = "2023-01-01"\npoints = -5\n'
                          'recount = %s\n' % recount)
            log = log_of(s, [("f1", "r", "fine", "2022-06-01")])
            self.assertEqual(at(s, log, "r", "2022-12-31").score, pts("990"))
            self.assertEqual(at(s, log, "r", "2022-12-31T23:59:59").score, pts("990"))
            self.assertEqual(at(s, log, "r", "2023-01-01").score, pts(after))

    def test_example_12_act_with_direct_grade(self):
        s = scheme_of('[rule.drunk]\npoints = 0\nceiling = 850\nvalid = "2y"\n'
                      '[rule.fine]\npoints = -20\nvalid = "1y"\n')
        log = log_of(s, [("e1", "r", "drunk", "2022-05-01", {"act": "a1"}),
                         ("e2", "r", "fine", "2022-05-01", {"act": "a1"})])
        r = at(s, log, "r", "2022-06-01")
        self.assertEqual((r.score, r.grade), (pts("850"), "B"))
        self.assertEqual(ids_states(r), [("e1", "active"), ("e2", "merged")])
        self.assertEqual(r.record[1].merged_with, "e1")
        r = at(s, log, "r", "2024-06-01")
        self.assertEqual((r.score, r.grade), (pts("1000"), "A"))
        # by size alone the fine would win
        s2 = scheme_of('[rule.drunk]\npoints = 0\nvalid = "2y"\n'
                       '[rule.fine]\npoints = -20\nvalid = "1y"\n')
        log2 = log_of(s2, [("e1", "r", "drunk", "2022-05-01", {"act": "a1"}),
                           ("e2", "r", "fine", "2022-05-01", {"act": "a1"})])
        self.assertEqual(at(s2, log2, "r", "2022-06-01").score, pts("980"))

    def test_example_13_correction(self):
        s = scheme_of('[rule.drunk]\npoints = -150\nceiling = 850\nvalid = "2y"\nfreeze = true\n'
                      '[rule.blood]\npoints = 10\nvalid = "1y"\n'
                      '[rule.honour]\npoints = 100\nvalid = "5y"\n')
        log = log_of(s, [("e1", "r", "drunk", "2021-05-01"),
                         ("h1", "r", "blood", "2021-06-01"),
                         ("c1", "r", "correct", "2021-07-01", {"ref": "e1"}),
                         ("h2", "r", "honour", "2021-08-01")])
        r = at(s, log, "r", "2021-06-15")
        self.assertEqual((r.score, r.grade), (pts("850"), "B"))
        self.assertTrue(r.record[1].frozen)
        r = at(s, log, "r", "2021-09-01")
        self.assertEqual((r.score, r.grade), (pts("950"), "B"))
        self.assertEqual([(e.id, e.state, e.frozen) for e in r.record],
                         [("e1", "active", False), ("h1", "active", True),
                          ("c1", "applied", False), ("h2", "active", False)])
        # D43: the target's `corrected` is the correction's ts, once it is known
        self.assertEqual([(e.id, e.corrected) for e in r.record],
                         [("e1", T("2021-07-01")), ("h1", None), ("c1", None),
                          ("h2", None)])
        self.assertEqual([e.corrected for e in at(s, log, "r", "2021-06-30T23:59:59").record],
                         [None, None])
        # a second correction, later: the earliest counts; one before its
        # target is dangling and sets nothing
        log.add({"id": "c2", "subject": "r", "type": "correct", "ts": "2021-08-15", "ref": "e1"})
        log.add({"id": "c3", "subject": "r", "type": "correct", "ts": "2021-06-05", "ref": "h1"})
        log.add({"id": "c4", "subject": "r", "type": "correct", "ts": "2021-04-01", "ref": "e1"})
        rows = m.explain_rows(s, log, "r", m.parse_ts("2021-09-01", s.utc_offset), 2)
        self.assertEqual(rows[0][-2:], ["to_balance", "corrected"])
        self.assertEqual({row[0]: row[-1] for row in rows[1:]},
                         {"c4": "", "e1": "2021-07-01T00:00:00+00:00",
                          "h1": "2021-06-05T00:00:00+00:00", "c3": "", "c1": "", "h2": "",
                          "c2": ""})
        r = at(s, log, "r", "2023-05-02")
        self.assertEqual((r.score, r.grade), (pts("1100"), "AAA"))
        # h2 at its own instant, after the correction: not frozen, no ceiling
        r = at(s, log, "r", "2021-08-01")
        self.assertEqual((r.score, r.record[-1].frozen), (pts("950"), False))



def T(when):
    return m.parse_ts(when, 0)


class BoundariesV2(unittest.TestCase):
    """Hand-computed boundary cases for SPEC 9-11 (utc_offset +00:00)."""

    def test_change_exactly_at_from(self):
        s = scheme_of('[rule.fine]\npoints = -10\n'
                      '[[rule.fine.change]]\nfrom = "2023-01-01T00:00:00"\npoints = -20\n'
                      '[rule.honour]\npoints = 10\npublicity = "7d"\n'
                      '[[rule.honour.change]]\nfrom = "2023-01-05"\npoints = 20\n')
        log = log_of(s, [("f1", "r", "fine", "2022-12-31T23:59:59"),
                         ("f2", "r", "fine", "2023-01-01"),
                         # the version in force at ts, even though eff is later
                         ("h1", "r", "honour", "2023-01-01"),
                         ("h2", "r", "honour", "2023-01-05")])
        r = at(s, log, "r", "2023-06-01")
        self.assertEqual([(e.id, e.counted) for e in r.record],
                         [("f1", -1000), ("f2", -2000), ("h1", 1000), ("h2", 2000)])
        self.assertEqual([e.from_ts for e in r.record],
                         [None, T("2023-01-01"), None, T("2023-01-05")])
        self.assertEqual(r.score, pts("1000"))

    def test_recount_exactly_at_from_and_chained_versions(self):
        s = scheme_of('[rule.fine]\npoints = -10\naffects = "score"\nflag = "x"\n'
                      '[[rule.fine.change]]\nfrom = "2023-01-01"\ncap = 5\ncap_period = "year"\n'
                      '[[rule.fine.change]]\nfrom = "2024-01-01"\nrecount = true\nflag = false\n')
        log = log_of(s, [("f1", "r", "fine", "2022-06-01"), ("f2", "r", "fine", "2023-06-01")])
        r = at(s, log, "r", "2023-12-31T23:59:59")
        # f1: base (-10); f2: change 1, capped to -5
        self.assertEqual([e.counted for e in r.record], [-1000, -500])
        self.assertEqual(r.flags, ["x"])
        r = at(s, log, "r", "2024-01-01")
        # the recount version is base + change 1 + change 2 for both: cap 5 a
        # year, no flag; f1 and f2 are in different years
        self.assertEqual([e.counted for e in r.record], [-500, -500])
        self.assertEqual([e.from_ts for e in r.record], [T("2024-01-01")] * 2)
        self.assertEqual((r.score, r.flags), (pts("990"), []))

    def test_own_cap_across_versions(self):
        s = scheme_of('[rule.v]\npoints = 10\ncap = 30\ncap_period = "month"\n'
                      '[[rule.v.change]]\nfrom = "2022-01-15"\ncap = 15\n'
                      '[[rule.v.change]]\nfrom = "2022-03-01"\ncap = false\n'
                      '[[rule.v.change]]\nfrom = "2022-03-10"\ncap = 25\ncap_period = "year"\n')
        log = log_of(s, [("a", "r", "v", "2022-01-01"),    # 10 (used 10)
                         ("b", "r", "v", "2022-01-10"),    # 10 (used 20)
                         ("c", "r", "v", "2022-01-20"),    # cap 15: room 0
                         ("d", "r", "v", "2022-02-01"),    # 10 (new month)
                         ("e", "r", "v", "2022-03-05"),    # no cap: 10, no room used
                         ("f", "r", "v", "2022-03-06"),    # no cap: 10
                         ("g", "r", "v", "2022-03-20"),    # year cap 25: 10 (no yearly use yet)
                         ("h", "r", "v", "2022-04-20"),    # 10 (used 20)
                         ("i", "r", "v", "2022-05-20")])   # 5 (used 25)
        r = at(s, log, "r", "2022-12-01")
        self.assertEqual([e.counted for e in r.record],
                         [1000, 1000, 0, 1000, 1000, 1000, 1000, 1000, 500])
        self.assertEqual([e.capped for e in r.record],
                         [False, False, True, False, False, False, False, False, True])

    def test_net_own_cap(self):
        s = scheme_of('[rule.up]\npoints = 10\ncap = 15\ncap_period = "day"\ncap_mode = "net"\n'
                      '[[rule.up.change]]\nfrom = "2022-01-01T12:00:00"\npoints = -4\n'
                      '[[rule.up.change]]\nfrom = "2022-01-01T18:00:00"\npoints = 10\n')
        log = log_of(s, [("1", "r", "up", "2022-01-01T09:00:00"),   # 10, net 10
                         ("2", "r", "up", "2022-01-01T10:00:00"),   # 5, net 15
                         ("3", "r", "up", "2022-01-01T13:00:00"),   # -4 in full, net 11
                         ("4", "r", "up", "2022-01-01T14:00:00"),   # -4, net 7
                         ("5", "r", "up", "2022-01-01T19:00:00"),   # 8, net 15
                         ("6", "r", "up", "2022-01-02T09:00:00")])  # new day: 10
        r = at(s, log, "r", "2022-01-03")
        self.assertEqual([e.counted for e in r.record], [1000, 500, -400, -400, 800, 1000])

    def test_validity_class_limits(self):
        s = scheme_of('[[validity]]\nup_to = 40\nvalid = "1y"\n'
                      '[[validity]]\nup_to = 100\nvalid = "2y"\n'
                      '[[validity]]\nvalid = "5y"\n'
                      '[rule.u]\npoints = -10\nper = "unit"\ncap = 5\ncap_period = "lifetime"\n'
                      '[rule.p]\npoints = 100\n',
                      'base = 1000\nvalid = "by-severity"')
        log = log_of(s, [("a", "r", "u", "2020-01-01", {"qty": "4"}),      # -40.00: 1y
                         ("b", "s", "u", "2020-01-01", {"qty": "4.001"}),  # -40.01: 2y
                         ("c", "t", "p", "2020-01-01"),                    # 100: 2y
                         ("d", "t", "u", "2020-01-01", {"qty": "10.001"})])  # 100.01: 5y
        ends = {}
        for subject in ("r", "s", "t"):
            for e in at(s, log, subject, "2020-02-01").record:
                ends[e.id] = e.end
        self.assertEqual(ends, {"a": T("2021-01-01"), "b": T("2022-01-01"),
                                "c": T("2022-01-01"), "d": T("2025-01-01")})
        # the class is chosen by raw, not by the capped counted
        self.assertEqual([e.counted for e in at(s, log, "s", "2020-02-01").record], [-500])

    def test_classes_no_rule_uses_are_refused(self):
        # D44: nothing says by-severity; [scheme], a rule or a change does
        classes = '[[validity]]\nup_to = 20\nvalid = "6m"\n[[validity]]\nvalid = "2y"\n'
        with self.assertRaises(m.ModelError):
            scheme_of(classes + '[rule.a]\npoints = -10\n')
        with self.assertRaises(m.ModelError):
            scheme_of(classes + '[rule.a]\npoints = -10\nvalid = "1y"\n', 'valid = "1y"')
        scheme_of(classes + '[rule.a]\npoints = -10\nvalid = "1y"\n', 'valid = "by-severity"')
        scheme_of(classes + '[rule.a]\npoints = -10\nvalid = "by-severity"\n')
        scheme_of(classes + '[rule.a]\npoints = -10\n[[rule.a.change]]\nfrom = "2026-01-01"\n'
                  'valid = "by-severity"\n')

    def test_a_measure_no_score_meets_is_refused(self):
        # D45: BANDS' grades: AAA from 1050 up, D (the last) below 600
        for bad, keys in (('min_score = 2000.01', 'base = 1000\nmax = 2000'),
                          ('max_score = -0.01', 'base = 1000\nmin = 0'),
                          ('grades = "D"\nmin_score = 1000', 'base = 1000'),
                          ('grades = "AAA"\nmax_score = 10', 'base = 1000')):
            with self.assertRaises(m.ModelError, msg=bad):
                scheme_of('[rule.a]\npoints = 1\n[measure.m]\nkind = "incentive"\n' + bad
                          + '\n', keys)
        for good, keys in (('min_score = 2000', 'base = 1000\nmax = 2000'),
                           ('grades = "D"\nmax_score = 0', 'base = 1000'),
                           ('grades = "AAA;D"\nmin_score = 1500', 'base = 1000')):
            scheme_of('[rule.a]\npoints = 1\n[measure.m]\nkind = "incentive"\n' + good + '\n',
                      keys)

    def test_freeze_window_ends_and_correction(self):
        rules = ('[rule.f]\npoints = 0\nfreeze = true\nvalid = "10d"\n'
                 '[rule.add]\npoints = 5\n'
                 '[rule.neg]\npoints = -5\n'
                 '[rule.pub]\npoints = 7\npublicity = "2d"\n')
        s = scheme_of(rules)
        log = log_of(s, [("a", "r", "add", "2022-01-01"),      # before F in (eff, id): counts
                         ("m", "r", "f", "2022-01-01"),        # F: ends 2022-01-11
                         ("n", "r", "neg", "2022-01-02"),      # negative: never frozen
                         ("z", "r", "add", "2022-01-01"),      # after F: frozen
                         ("p0", "r", "pub", "2021-12-31"),     # eff 2022-01-02: frozen
                         ("p1", "r", "pub", "2022-01-09T12:00:00"),  # eff 01-11T12: counts
                         ("x1", "r", "add", "2022-01-10T23:59:59"),  # frozen
                         ("x2", "r", "add", "2022-01-11")])          # counts
        r = at(s, log, "r", "2022-02-01")
        frozen = {e.id: e.frozen for e in r.record}
        self.assertEqual(frozen, {"a": False, "m": False, "n": False, "z": True, "p0": True,
                                  "p1": False, "x1": True, "x2": False})
        self.assertEqual(r.score, pts("1012"))  # 5 - 5 + 7 + 5
        # a correction on 2022-01-05 ends the freeze at that instant
        log.add({"id": "c", "subject": "r", "type": "correct", "ts": "2022-01-05", "ref": "m"})
        log.add({"id": "y1", "subject": "r", "type": "add", "ts": "2022-01-04T23:59:59"})
        log.add({"id": "y2", "subject": "r", "type": "add", "ts": "2022-01-05"})
        r = at(s, log, "r", "2022-02-01")
        frozen = {e.id: e.frozen for e in r.record}
        self.assertEqual((frozen["y1"], frozen["y2"], frozen["x1"], frozen["z"]),
                         (True, False, False, True))
        # a correction dated before its target is dangling; a revoke of a
        # correction is dangling
        log.add({"id": "c0", "subject": "r", "type": "correct", "ts": "2021-12-01", "ref": "m"})
        log.add({"id": "v", "subject": "r", "type": "revoke", "ts": "2022-01-20", "ref": "c"})
        states = {e.id: e.state for e in at(s, log, "r", "2022-02-01").record}
        self.assertEqual((states["c0"], states["c"], states["v"]),
                         ("dangling", "applied", "dangling"))

    def test_publicity_orders_by_eff_for_repeat_and_caps(self):
        s = scheme_of('[rule.p]\npoints = -10\npublicity = "7d"\nrepeat_factor = 2\n'
                      'category = "c"\n'
                      '[rule.q]\npoints = -10\nrepeat_factor = 2\ncategory = "c"\n'
                      '[rule.m]\npoints = 10\npublicity = "7d"\ncap = 10\ncap_period = "month"\n')
        log = log_of(s, [("p1", "r", "p", "2022-03-01"),      # eff 03-08
                         ("q1", "r", "q", "2022-03-05"),      # first in the order
                         ("m1", "r", "m", "2022-03-28"),      # eff 04-04: April bucket
                         ("m2", "r", "m", "2022-04-01")])     # eff 04-08: April, capped
        r = at(s, log, "r", "2022-04-10")
        self.assertEqual([e.id for e in r.record], ["q1", "p1", "m1", "m2"])
        self.assertEqual([(e.counted, e.escalated) for e in r.record],
                         [(-1000, False), (-2000, True), (1000, False), (0, False)])
        self.assertTrue(r.record[3].capped)
        self.assertEqual(r.record[1].eff, T("2022-03-08"))

    def test_objection_window_and_states(self):
        s = scheme_of('[rule.fine]\npoints = -10\npublicity = "7d"\n[rule.ok]\npoints = 1\n',
                      'base = 1000\ncontested = "suspend"\nobjection_window = "30d"')
        log = log_of(s, [("f", "r", "fine", "2022-03-01"),   # window from ts: ends 03-31
                         ("g", "s", "fine", "2022-03-01"),
                         ("x", "r", "redeem", "2022-03-01", {"qty": "1"}),
                         ("o1", "r", "object", "2022-03-30T23:59:59", {"ref": "f"}),
                         ("o2", "r", "object", "2022-03-31", {"ref": "f"}),     # late
                         ("o3", "r", "object", "2022-02-28", {"ref": "f"}),     # before target
                         ("o4", "r", "object", "2022-03-10", {"ref": "nope"}),
                         ("o5", "r", "object", "2022-03-10", {"ref": "x"}),     # a redeem
                         ("o6", "r", "object", "2022-03-10", {"ref": "g"}),     # another's
                         ("d2", "r", "dismiss", "2022-04-01", {"ref": "o2"}),   # late stays late
                         ("d0", "r", "dismiss", "2022-03-30", {"ref": "o1"}),   # before o1
                         ("d9", "r", "dismiss", "2022-04-01", {"ref": "f"}),    # not an objection
                         ("v1", "r", "revoke", "2022-04-02", {"ref": "o1"}),
                         ("v2", "r", "revoke", "2022-04-02", {"ref": "d2"})])
        r = at(s, log, "r", "2022-05-01")
        states = dict(ids_states(r))
        self.assertEqual(states, {"f": "contested", "x": "rejected", "o1": "applied",
                                  "o2": "late", "o3": "dangling", "o4": "dangling",
                                  "o5": "dangling", "o6": "dangling", "d2": "applied",
                                  "d0": "dangling", "d9": "dangling", "v1": "dangling",
                                  "v2": "dangling"})
        self.assertEqual(r.score, pts("1000"))
        self.assertEqual(at(s, log, "r", "2022-03-30T23:59:58").score, pts("990"))
        # dismissal exactly at the objection's instant
        log.add({"id": "d1", "subject": "r", "type": "dismiss", "ts": "2022-03-30T23:59:59",
                 "ref": "o1"})
        r = at(s, log, "r", "2022-05-01")
        self.assertEqual((r.score, dict(ids_states(r))["o1"]), (pts("990"), "dismissed"))
        # mark mode: the effect continues, the record marks it
        s2 = scheme_of('[rule.fine]\npoints = -10\n', 'base = 1000\nobjection_window = "30d"')
        log2 = log_of(s2, [("f", "r", "fine", "2022-03-01"),
                           ("o", "r", "object", "2022-03-02", {"ref": "f"})])
        r = at(s2, log2, "r", "2022-03-03")
        self.assertEqual((r.score, r.record[0].state, r.record[0].contested),
                         (pts("990"), "active", True))
        self.assertFalse(at(s2, log2, "r", "2022-03-01T12:00:00").record[0].contested)

    def test_suspension_gives_cap_room_back(self):
        s = scheme_of('[rule.d]\npoints = 10\ncap = 10\ncap_period = "year"\n',
                      'base = 1000\ncontested = "suspend"')
        log = log_of(s, [("d1", "r", "d", "2022-01-01"), ("d2", "r", "d", "2022-02-01"),
                         ("o", "r", "object", "2022-03-01", {"ref": "d1"}),
                         ("x", "r", "dismiss", "2022-04-01", {"ref": "o"})])
        r = at(s, log, "r", "2022-02-15")
        self.assertEqual([e.counted for e in r.record], [1000, 0])
        r = at(s, log, "r", "2022-03-15")
        self.assertEqual([(e.state, e.counted) for e in r.record][:2],
                         [("contested", 0), ("active", 1000)])
        self.assertEqual(r.balance, pts("10"))
        r = at(s, log, "r", "2022-04-01")
        self.assertEqual([e.counted for e in r.record][:2], [1000, 0])

    def test_repair_after_end(self):
        s = scheme_of('[rule.fine]\npoints = -10\npublicity = "7d"\nrepair_after = "3m"\n')
        log = log_of(s, [("f", "r", "fine", "2022-01-01"),   # eff 01-08: repairs from 04-08
                         ("p1", "r", "repair", "2022-04-07T23:59:59", {"ref": "f"}),
                         ("p2", "r", "repair", "2022-04-08", {"ref": "f"}),
                         ("p3", "r", "repair", "2022-05-01", {"ref": "f"})])
        r = at(s, log, "r", "2022-04-07T23:59:59")
        self.assertEqual((r.score, dict(ids_states(r))["p1"]), (pts("990"), "premature"))
        r = at(s, log, "r", "2022-05-02")
        self.assertEqual(dict(ids_states(r)),
                         {"f": "repaired", "p1": "premature", "p2": "applied", "p3": "applied"})
        self.assertEqual((r.score, r.record[0].end), (pts("1000"), T("2022-04-08")))

    def test_retention_pointers_and_escalation(self):
        s = scheme_of('[rule.dog]\npoints = -10\nvalid = "10y"\nretain = "1y"\n'
                      'affects = "score"\nrepeat_factor = 2\n')
        log = log_of(s, [("d1", "r", "dog", "2020-01-01"),
                         ("d2", "r", "dog", "2020-06-01"),
                         ("p0", "r", "repair", "2019-12-01", {"ref": "d1"}),   # before target
                         ("o1", "r", "object", "2020-02-01", {"ref": "d1"}),
                         ("x1", "r", "dismiss", "2020-03-01", {"ref": "o1"}),
                         ("v9", "r", "revoke", "2020-04-01", {"ref": "x1"})])  # of a dismissal
        r = at(s, log, "r", "2020-12-31T23:59:59")
        # p0 is dated before d1: "a repair dated before its target means the
        # target never takes effect"; d2 then is not escalated
        self.assertEqual(r.score, pts("990"))
        self.assertEqual(dict(ids_states(r))["d1"], "repaired")
        self.assertEqual(r.archived, 0)
        r = at(s, log, "r", "2021-01-01")
        self.assertEqual(ids_states(r), [("p0", "dangling"), ("d2", "active")])
        self.assertEqual(r.archived, 4)  # d1, o1, x1, v9
        self.assertEqual(at(s, log, "r", "2021-06-01").archived, 5)
        # an archived entry can no longer escalate a later one
        s2 = scheme_of('[rule.dog]\npoints = -10\nvalid = "10y"\nretain = "1y"\n'
                       'affects = "score"\nrepeat_factor = 2\n')
        log2 = log_of(s2, [("d1", "r", "dog", "2020-01-01"), ("d2", "r", "dog", "2020-06-01")])
        self.assertEqual(at(s2, log2, "r", "2020-12-31T23:59:59").score, pts("970"))
        r = at(s2, log2, "r", "2021-01-01")
        self.assertEqual((r.score, r.record[0].escalated), (pts("990"), False))
        self.assertEqual(at(s2, log2, "r", "2021-05-31T23:59:59").score, pts("990"))
        self.assertEqual(at(s2, log2, "r", "2021-06-01").score, pts("1000"))

    def test_act_archival_instant(self):
        rules = ('[rule.a]\npoints = -10\nretain = "1y"\naffects = "score"\n'
                 '[rule.b]\npoints = -20\n')
        s = scheme_of(rules)
        base = [("a1", "r", "a", "2020-01-01", {"act": "x"}),
                ("a2", "r", "a", "2020-06-01", {"act": "x"})]
        log = log_of(s, base)
        r = at(s, log, "r", "2021-05-31T23:59:59")
        # equal |raw|: the smaller (eff, id) counts
        self.assertEqual((r.score, ids_states(r)), (pts("990"), [("a1", "active"),
                                                                 ("a2", "merged")]))
        r = at(s, log, "r", "2021-01-01")  # a1 alone passed: nothing archived
        self.assertEqual((r.score, r.archived), (pts("990"), 0))
        r = at(s, log, "r", "2021-06-01")
        self.assertEqual((r.score, r.record, r.archived), (pts("1000"), [], 2))
        # a member after t*: a new act with its own instant
        log = log_of(s, base + [("a3", "r", "a", "2021-07-01", {"act": "x"})])
        r = at(s, log, "r", "2021-06-01")
        self.assertEqual((r.score, r.archived), (pts("1000"), 2))
        r = at(s, log, "r", "2021-07-01")
        self.assertEqual((r.score, ids_states(r)), (pts("990"), [("a3", "active")]))
        self.assertEqual(at(s, log, "r", "2022-07-01").archived, 3)
        # a member before the first candidate pushes t* on
        log = log_of(s, base + [("a3", "r", "a", "2021-05-01", {"act": "x"})])
        self.assertEqual(at(s, log, "r", "2021-06-01").archived, 0)
        self.assertEqual(at(s, log, "r", "2022-04-30T23:59:59").archived, 0)
        self.assertEqual(at(s, log, "r", "2022-05-01").archived, 3)
        # a member exactly at the candidate instant pushes it on too
        log = log_of(s, base + [("a3", "r", "a", "2021-06-01", {"act": "x"})])
        self.assertEqual(at(s, log, "r", "2021-06-01").archived, 0)
        self.assertEqual(at(s, log, "r", "2022-06-01").archived, 3)
        # a member without retain: never archived; a revoked member still counts
        log = log_of(s, base + [("b1", "r", "b", "2020-01-02", {"act": "x"})])
        self.assertEqual(at(s, log, "r", "2030-01-01").archived, 0)
        log = log_of(s, base + [("v", "r", "revoke", "2020-02-01", {"ref": "a1"})])
        r = at(s, log, "r", "2021-05-31T23:59:59")
        self.assertEqual((r.score, ids_states(r)),
                         (pts("990"), [("a1", "revoked"), ("v", "applied"), ("a2", "active")]))
        self.assertEqual(at(s, log, "r", "2021-06-01").archived, 3)

    def test_act_members_pending_revoked_repaired(self):
        s = scheme_of('[rule.big]\npoints = -20\npublicity = "7d"\nflag = "big"\n'
                      '[rule.small]\npoints = -5\nflag = "small"\n')
        log = log_of(s, [("b", "r", "big", "2022-01-01", {"act": "a"}),
                         ("s", "r", "small", "2022-01-01", {"act": "a"})])
        r = at(s, log, "r", "2022-01-05")  # the heaviest is pending: the act counts nothing
        self.assertEqual((r.score, r.flags, ids_states(r)),
                         (pts("1000"), [], [("s", "merged"), ("b", "pending")]))
        r = at(s, log, "r", "2022-01-08")
        self.assertEqual((r.score, r.flags), (pts("980"), ["big"]))
        log.add({"id": "p", "subject": "r", "type": "repair", "ts": "2022-02-01", "ref": "b"})
        r = at(s, log, "r", "2022-02-01")  # a repair does not promote another
        self.assertEqual((r.score, dict(ids_states(r))["s"]), (pts("1000"), "merged"))
        log.add({"id": "v", "subject": "r", "type": "revoke", "ts": "2022-03-01", "ref": "b"})
        r = at(s, log, "r", "2022-03-01")  # a revoked member takes no part
        self.assertEqual((r.score, r.flags), (pts("995"), ["small"]))

    def test_tier_windows(self):
        s = scheme_of('[rule.h]\npoints = 1\nper = "unit"\n'
                      '[rule.f]\npoints = -3\n'
                      '[rule.z]\npoints = 0\nfreeze = true\nvalid = "1d"\n'
                      '[tier.m]\nrules = "h"\nmeasure = "qty"\nwindow = "month"\n'
                      '[[tier.m.level]]\nname = "one"\nmin = 1\n'
                      '[[tier.m.level]]\nname = "five"\nmin = 5\n'
                      '[tier.roll]\nrules = "h;f"\nmeasure = "points"\nwindow = "30d"\n'
                      '[[tier.roll.level]]\nname = "neg"\nmin = -100\n'
                      '[[tier.roll.level]]\nname = "pos"\nmin = 0.01\n'
                      '[tier.life]\nrules = "h"\nmeasure = "qty"\n'
                      '[[tier.life.level]]\nname = "ten"\nmin = 10\n')
        log = log_of(s, [("a", "r", "h", "2022-03-31T23:59:59", {"qty": "4"}),
                         ("b", "r", "h", "2022-04-01", {"qty": "1.5"}),
                         ("c", "r", "f", "2022-04-10"),
                         ("z", "r", "z", "2022-04-20"),
                         ("d", "r", "h", "2022-04-20T12:00:00", {"qty": "100"})])  # frozen
        r = at(s, log, "r", "2022-03-31T23:59:59")
        self.assertEqual(r.tiers, [("m", "one"), ("roll", "pos"), ("life", None)])
        r = at(s, log, "r", "2022-04-15")
        # month: only b (1.5); roll: 4 + 1.5 - 3 = 2.5; life: 5.5
        self.assertEqual(r.tiers, [("m", "one"), ("roll", "pos"), ("life", None)])
        r = at(s, log, "r", "2022-04-30T23:59:59")
        # a leaves the 30-day window at 2022-04-30T23:59:59 (eff + 30d > T fails)
        self.assertEqual(r.tiers, [("m", "one"), ("roll", "neg"), ("life", None)])
        r = at(s, log, "r", "2022-04-30T23:59:58")
        self.assertEqual(r.tiers[1], ("roll", "pos"))
        r = at(s, log, "r", "2022-05-01")
        self.assertEqual(r.tiers, [("m", None), ("roll", "neg"), ("life", None)])

    def test_measures(self):
        s = scheme_of('[rule.bad]\npoints = -100\nflag = "dishonest"\n'
                      '[rule.h]\npoints = 1\nper = "unit"\n'
                      '[tier.star]\nrules = "h"\nmeasure = "qty"\n'
                      '[[tier.star.level]]\nname = "1"\nmin = 10\n'
                      '[[tier.star.level]]\nname = "2"\nmin = 20\n'
                      '[measure.priority]\nkind = "incentive"\ngrades = "AAA;AA"\n'
                      '[measure.no_subsidy]\nkind = "restriction"\nflag = "dishonest"\n'
                      '[measure.rebate]\nkind = "incentive"\ntier = "star"\nmin_level = "1"\n'
                      '[measure.band]\nkind = "incentive"\nmin_score = 1010\nmax_score = 1030\n')
        log = log_of(s, [("1", "r", "h", "2022-01-01", {"qty": "10"}),
                         ("2", "s", "h", "2022-01-01", {"qty": "30"}),
                         ("3", "t", "bad", "2022-01-01")])
        by = {x.subject: x for x in m.evaluate_all(s, log, T("2022-02-01"))}
        self.assertEqual(by["r"].measures, ["band", "rebate"])         # 1010, level 1
        self.assertEqual(by["s"].measures, ["band", "priority", "rebate"])  # 1030 AA
        self.assertEqual(by["t"].measures, ["no_subsidy"])
        self.assertEqual([row[0] for row in m.list_rows(s, log, "rebate", T("2022-02-01"))],
                         ["subject", "r", "s"])
        self.assertEqual(m.list_rows(s, log, "band", T("2022-02-01"))[1],
                         ["r", "", "1010.00", "A", "", ""])

    def test_list_since_until(self):
        s = scheme_of('[rule.w]\npoints = -1\nvalid = "10d"\nflag = "x"\n'
                      '[rule.z]\npoints = -1\nflag = "x"\n')
        log = log_of(s, [("old", "r", "w", "2021-12-01"),
                         ("w1", "r", "w", "2022-01-01"),   # [01-01, 01-11)
                         ("w2", "r", "w", "2022-01-11"),   # touching: [01-11, 01-21)
                         ("w3", "r", "w", "2022-01-15"),   # overlapping: [01-15, 01-25)
                         ("g1", "s", "w", "2022-01-01"),   # [01-01, 01-11)
                         ("g2", "s", "w", "2022-01-11T00:00:01")])  # a one-second gap
        (row,) = m.list_answer(s, log, "x", T("2022-01-20"))[:1]
        self.assertEqual((row[0].subject, row[1], row[2]), ("r", T("2022-01-01"), T("2022-01-25")))
        rows = m.list_answer(s, log, "x", T("2022-01-12"))
        # as known at T: w3 (2022-01-15) does not exist yet
        self.assertEqual([(x.subject, a, b) for x, a, b in rows],
                         [("r", T("2022-01-01"), T("2022-01-21")),
                          ("s", T("2022-01-11T00:00:01"), T("2022-01-21T00:00:01"))])
        rows = m.list_answer(s, log, "x", T("2022-01-11"))  # s is in the gap
        self.assertEqual([x.subject for x, _, _ in rows], ["r"])
        self.assertEqual(m.list_answer(s, log, "x", T("2022-01-25")), [])
        # a repair shortens a stretch; an open-ended one has no until
        log.add({"id": "p", "subject": "r", "type": "repair", "ts": "2022-01-18", "ref": "w3"})
        rows = m.list_answer(s, log, "x", T("2022-01-17"))  # the repair is not known yet
        self.assertEqual([(a, b) for x, a, b in rows if x.subject == "r"], [(T("2022-01-01"), T("2022-01-25"))])
        rows = m.list_answer(s, log, "x", T("2022-01-19"))
        self.assertEqual([(a, b) for x, a, b in rows if x.subject == "r"], [(T("2022-01-01"), T("2022-01-21"))])
        log.add({"id": "f", "subject": "r", "type": "z", "ts": "2022-01-05"})
        rows = m.list_answer(s, log, "x", T("2023-01-01"))
        self.assertEqual([(a, b) for x, a, b in rows if x.subject == "r"], [(T("2022-01-01"), None)])
        self.assertEqual(m.list_rows(s, log, "x", T("2023-01-01"))[1:],
                         [["r", "", "999.00", "A", "2022-01-01T00:00:00+00:00", ""]])
        self.assertIsNone(m.list_kind(s, "nope"))

    def test_balance_floor(self):
        rules = '[rule.earn]\npoints = 10\n[rule.fine]\npoints = -20\n'
        s = scheme_of(rules, 'base = 1000\nbalance_min = -5')
        log = log_of(s, [("1", "r", "earn", "2022-01-01"), ("2", "r", "fine", "2022-01-02"),
                         ("3", "r", "redeem", "2022-01-03", {"qty": "1"}),
                         ("4", "r", "earn", "2022-01-04"),
                         ("5", "r", "redeem", "2022-01-05", {"qty": "10"})])
        r = at(s, log, "r", "2022-02-01")
        self.assertEqual([(e.state, e.to_balance, e.floored) for e in r.record],
                         [("active", 1000, False), ("active", -1500, True),
                          ("rejected", 0, False), ("active", 1000, False),
                          ("accepted", -1000, False)])
        # the floor touches the balance only: 1000 + 10 - 20 + 10
        self.assertEqual((r.balance, r.score), (pts("-5"), pts("1000")))
        s2 = scheme_of(rules)
        r = at(s2, log_of(s2, [(x.id, x.event.subject, x.type, x.event.ts,
                                {"qty": "10" if x.id == "5" else "1"} if x.type == "redeem"
                                else {}) for x in r.record]), "r", "2022-02-01")
        self.assertEqual(r.balance, pts("0"))
        self.assertEqual([e.state for e in r.record if e.type == "redeem"],
                         ["rejected", "rejected"])

    def test_group_rule_with_version_2_states(self):
        s = scheme_of('[rule.a]\npoints = -1\npublicity = "7d"\n[rule.b]\npoints = -5\n'
                      '[rule.c]\npoints = -1\nretain = "1y"\naffects = "score"\n',
                      'base = 1000\ncontested = "suspend"')
        log = log_of(s, [("1", "r", "b", "2022-01-01", {"group": "g1", "act": "x"}),
                         ("2", "r", "a", "2022-01-02", {"group": "g2", "act": "x"}),  # merged
                         ("3", "r", "a", "2022-01-03", {"group": "g3"})])   # pending
        self.assertEqual(at(s, log, "r", "2022-01-04").group, "g3")
        log.add({"id": "o", "subject": "r", "type": "object", "ts": "2022-01-04", "ref": "3",
                 "group": "g9"})
        self.assertEqual(at(s, log, "r", "2022-01-05").group, "g3")  # contested counts
        log.add({"id": "v", "subject": "r", "type": "revoke", "ts": "2022-01-05", "ref": "3"})
        self.assertEqual(at(s, log, "r", "2022-01-05").group, "g2")  # merged counts
        log.add({"id": "4", "subject": "r", "type": "c", "ts": "2022-01-06", "group": "g4"})
        self.assertEqual(at(s, log, "r", "2022-02-01").group, "g4")
        self.assertEqual(at(s, log, "r", "2023-01-06").group, "g2")  # archived does not

    def test_event_fields_and_identity(self):
        s = scheme_of('[rule.f]\npoints = -10\n')
        log = log_of(s, [("1", "a", "f", "2022-01-01", {"act": "x", "source": "dept"})])
        self.assertFalse(log.add({"id": "1", "subject": "a", "type": "f", "ts": "2022-01-01",
                                  "act": "x", "source": "dept"}))
        for other in ({"act": "y", "source": "dept"}, {"source": "dept"},
                      {"act": "x", "source": "other"}, {"act": "x"}):
            with self.assertRaises(m.ModelError, msg=other):
                log.add(dict({"id": "1", "subject": "a", "type": "f", "ts": "2022-01-01"},
                             **other))
        log.add({"id": "2", "subject": "a", "type": "f", "ts": "2022-01-01", "source": ""})
        self.assertFalse(log.add({"id": "2", "subject": "a", "type": "f", "ts": "2022-01-01"}))
        # act on a built-in type is ignored (not part of identity, shown empty)
        log.add({"id": "3", "subject": "a", "type": "revoke", "ts": "2022-01-02", "ref": "2",
                 "act": "q"})
        self.assertFalse(log.add({"id": "3", "subject": "a", "type": "revoke",
                                  "ts": "2022-01-02", "ref": "2", "qty": "5"}))
        self.assertEqual(log.by_id["3"].act, "")
        for bad in ({"type": "object"}, {"type": "dismiss"}, {"type": "correct"},
                    {"type": "f", "act": "x" * 129}, {"type": "f", "source": "s" * 129},
                    {"type": "f", "act": "a\tb"}, {"type": "f", "source": "a\nb"}):
            with self.assertRaises(m.ModelError, msg=bad):
                log.add(dict({"id": "9", "subject": "a", "ts": "2022-01-01"}, **bad))
        log.add({"id": "10", "subject": "a", "type": "f", "ts": "2022-01-01",
                 "source": "s" * 128, "act": "é" * 64})
        self.assertEqual(m.spec_version(s, m.Log(s)), 1)
        self.assertEqual(m.spec_version(s, log), 2)

    def test_rules_validation_v2(self):
        good = [
            '[rule.a]\npoints = 1\n[[rule.a.change]]\nfrom = "2022-01-01"\npoints = 2\n',
            '[rule.a]\ncap = 5\ncap_period = "day"\n[[rule.a.change]]\nfrom = 1640995200\n'
            'cap = false\n',
            '[rule.a]\naffects = "score"\n[[rule.a.change]]\nfrom = "2022-01-01"\n'
            'recount = true\npoints = 2\n',
            '[rule.a]\nvalid = "by-severity"\n[[validity]]\nvalid = "1y"\n',
            '[rule.a]\npublicity = "end-of-month"\nrepair_after = "forever"\n',
            '[cap.c]\nlimit = 5\nperiod = "day"\nmode = "net"\n[rule.a]\ncap_group = "c"\n',
        ]
        for text in good:
            self.assertTrue(scheme_of(text).uses_v2(), text)
        self.assertFalse(scheme_of('[rule.a]\npoints = 1\n').uses_v2())
        # a version-2 key with its default value still makes the file version 2
        for text in ('[rule.a]\nfreeze = false\n', '[rule.a]\nretain = "forever"\n',
                     '[rule.a]\ncap = 1\ncap_period = "day"\ncap_mode = "both"\n',
                     '[cap.c]\nlimit = 5\nperiod = "day"\nmode = "both"\n',
                     '[rule.a]\ncategory = "a"\n'):
            self.assertTrue(scheme_of(text).uses_v2(), text)
        self.assertTrue(scheme_of('[rule.a]\n', 'contested = "mark"').uses_v2())
        bad = [
            '[rule.a]\n[[rule.a.change]]\npoints = 2\n',                       # no from
            '[rule.a]\n[[rule.a.change]]\nfrom = "2022-01-01"\n'
            '[[rule.a.change]]\nfrom = "2022-01-01"\n',                         # not increasing
            '[rule.a]\n[[rule.b.change]]\nfrom = "2022-01-01"\n',               # undefined rule
            '[rule.a]\ncap = 5\ncap_period = "day"\n[[rule.a.change]]\nfrom = "2022-01-01"\n'
            'cap_period = false\n',                                              # not removable
            '[rule.a]\n[[rule.a.change]]\nfrom = "2022-01-01"\ncap = 5\n',       # no cap_period
            '[rule.a]\ncap = false\n',                                          # false in base
            '[rule.a]\naffects = "score"\n[[rule.a.change]]\nfrom = "2022-01-01"\n'
            'recount = true\npublicity = "7d"\n',
            '[rule.a]\naffects = "score"\n[[rule.a.change]]\nfrom = "2022-01-01"\n'
            'recount = true\nretain = false\n',
            '[rule.a]\n[[rule.a.change]]\nfrom = "2022-01-01"\nrecount = true\n',  # balance
            '[rule.a]\naffects = "score"\n[[rule.a.change]]\nfrom = "2022-01-01"\n'
            'affects = "both"\n[[rule.a.change]]\nfrom = "2023-01-01"\nrecount = true\n',
            '[rule.a]\nretain = "5y"\n',                                        # affects both
            '[rule.a]\nretain = "5y"\naffects = "score"\n[[rule.a.change]]\n'
            'from = "2022-01-01"\naffects = "balance"\n',
            '[rule.a]\ncap_mode = "net"\n',
            '[rule.a]\ncap = 5\ncap_period = "day"\ncap_mode = "sum"\n',
            '[rule.a]\nvalid = "by-severity"\n',
            '[rule.a]\n[[validity]]\nup_to = 5\nvalid = "1y"\n',                # last has up_to
            '[[validity]]\nup_to = 5\nvalid = "1y"\n[[validity]]\nup_to = 5\nvalid = "1y"\n'
            '[[validity]]\nvalid = "2y"\n',
            '[[validity]]\nvalid = "1y"\n[[validity]]\nvalid = "2y"\n',
            '[[validity]]\nvalid = "by-severity"\n',
            '[rule.a]\npublicity = "forever"\n',
            '[rule.a]\npublicity = "by-severity"\n[[validity]]\nvalid = "1y"\n',
            '[rule.a]\nretain = "by-severity"\naffects = "score"\n[[validity]]\nvalid = "1y"\n',
            '[rule.a]\nfreeze = "yes"\n',
            '[rule.a]\ncategory = "Bad Cat"\n',
            '[rule.object]\n', '[rule.dismiss]\n', '[rule.correct]\n',
            '[cap.c]\nlimit = 5\nperiod = "day"\nmode = "gross"\n',
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "qty"\n',               # no level
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "qty"\n[[tier.t.level]]\nname = "x"\n'
            'min = 5\n[[tier.t.level]]\nname = "y"\nmin = 5\n',
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "qty"\n[[tier.t.level]]\nname = "x"\n'
            'min = 5\n[[tier.t.level]]\nname = "x"\nmin = 6\n',
            '[rule.a]\n[tier.t]\nrules = "a;b"\nmeasure = "qty"\n[[tier.t.level]]\n'
            'name = "x"\nmin = 5\n',
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "hours"\n[[tier.t.level]]\n'
            'name = "x"\nmin = 5\n',
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "qty"\nwindow = "week"\n'
            '[[tier.t.level]]\nname = "x"\nmin = 5\n',
            '[rule.a]\n[measure.m]\nkind = "incentive"\n',                      # no condition
            '[rule.a]\n[measure.m]\nkind = "incentive"\ngrades = "Z"\n',
            '[rule.a]\nflag = "f"\n[measure.f]\nkind = "incentive"\nflag = "f"\n',
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "qty"\n[[tier.t.level]]\n'
            'name = "x"\nmin = 5\n[measure.m]\nkind = "incentive"\ntier = "t"\n',
            '[rule.a]\n[tier.t]\nrules = "a"\nmeasure = "qty"\n[[tier.t.level]]\n'
            'name = "x"\nmin = 5\n[measure.m]\nkind = "incentive"\ntier = "t"\n'
            'min_level = "y"\n',
            '[rule.a]\n[measure.m]\nkind = "bonus"\nmin_score = 5\n',
            '[rule.a]\n[measure.m]\nkind = "incentive"\nmin_score = 5\nextra = 1\n',
            '[rule.a]\n[measure.m]\nkind = "incentive"\nmin_score = 5\nmax_score = 4.99\n',
            '[rule.a]\n[measure.m]\nkind = "incentive"\nmax_score = 4.99\nmin_score = 5\n',
        ]
        for text in bad:
            with self.assertRaises(m.ModelError, msg=text):
                scheme_of(text)
        for text in ('contested = "hide"', 'balance_min = 0.01', 'objection_window = "x"',
                     'objection_window = "by-severity"'):
            with self.assertRaises(m.ModelError, msg=text):
                scheme_of('[rule.a]\n', 'base = 1000\n' + text)



class SuspensionDetails(unittest.TestCase):
    def test_suspended_act_member_and_repair(self):
        s = scheme_of('[rule.big]\npoints = -20\n[rule.small]\npoints = -5\n',
                      'base = 1000\ncontested = "suspend"')
        log = log_of(s, [("b", "r", "big", "2022-01-01", {"act": "a"}),
                         ("s", "r", "small", "2022-01-01", {"act": "a"}),
                         ("o", "r", "object", "2022-02-01", {"ref": "b"}),
                         ("p", "r", "repair", "2022-02-15", {"ref": "b"}),
                         ("d", "r", "dismiss", "2022-03-01", {"ref": "o"})])
        r = at(s, log, "r", "2022-01-15")
        self.assertEqual((r.score, dict(ids_states(r))["s"]), (pts("980"), "merged"))
        # suspended, the heaviest takes no part: the other member counts;
        # a repair of the suspended member is dangling meanwhile (D19)
        r = at(s, log, "r", "2022-02-20")
        self.assertEqual(r.score, pts("995"))
        self.assertEqual(dict(ids_states(r)),
                         {"b": "contested", "s": "active", "o": "applied", "p": "dangling"})
        # dismissed: b is back from its own time, and repaired at 2022-02-15
        r = at(s, log, "r", "2022-03-01")
        self.assertEqual(r.score, pts("1000"))
        self.assertEqual(dict(ids_states(r)),
                         {"b": "repaired", "s": "merged", "o": "dismissed", "p": "applied",
                          "d": "applied"})


class CompareAndLists(unittest.TestCase):
    def test_compare(self):
        a = scheme_of('[rule.fine]\npoints = -10\nretain = "1y"\naffects = "score"\n'
                      '[rule.ok]\npoints = 5\n')
        b = scheme_of('[rule.fine]\npoints = -20\n[rule.ok]\npoints = 5\n')
        rows = [("1", "r", "fine", "2020-01-01", {"group": "g0"}),
                ("2", "s", "fine", "2022-01-01", {"group": "g"}),
                ("3", "t", "ok", "2022-01-01")]
        la, lb = log_of(a, rows), log_of(b, rows)
        got = m.compare_answer(a, la, b, lb, T("2022-06-01"))
        # r is archived under the current rules: base score and grade, and
        # the group the current rules give it (none: its event is archived)
        self.assertEqual(got, [["r", "", "1000.00", "A", "980.00", "A", "-20.00"],
                               ["s", "g", "990.00", "A", "980.00", "A", "-10.00"],
                               ["t", "", "1005.00", "A", "1005.00", "A", "0.00"]])
        got = m.compare_answer(a, la, b, lb, T("2022-06-01"), changed=True)
        self.assertEqual([row[0] for row in got], ["r", "s"])
        # the other way round: r is listed under the current rules only
        got = m.compare_answer(b, lb, a, la, T("2022-06-01"))
        self.assertEqual(got[0], ["r", "g0", "980.00", "A", "1000.00", "A", "20.00"])

    def test_list_open_ended_stretches_with_the_same_start(self):
        s = scheme_of('[rule.z]\npoints = -1\nflag = "x"\n[rule.w]\npoints = -1\nflag = "x"\n'
                      'valid = "1d"\n')
        log = log_of(s, [("1", "r", "z", "2022-01-01"), ("2", "r", "w", "2022-01-01"),
                         ("3", "r", "z", "2022-01-01")])
        rows = m.list_answer(s, log, "x", T("2022-02-01"))
        self.assertEqual([(a, b) for _, a, b in rows], [(T("2022-01-01"), None)])
        self.assertEqual(m.flag_stretch([(5, 10), (10, None), (3, 4)], 10), (5, None))
        self.assertEqual(m.flag_stretch([(5, 10), (11, None)], 10), None)
        self.assertEqual(m.flag_stretch([(5, 10), (7, 8)], 9), (5, 10))


PURGE_RULES = ('[rule.a]\npoints = -10\nvalid = "2y"\nretain = "1y"\naffects = "score"\n'
               'flag = "fa"\nrepeat_factor = 2\ncategory = "k"\n'
               '[rule.b]\npoints = -20\nvalid = "6m"\nretain = "2y"\naffects = "score"\n'
               'publicity = "10d"\ncategory = "k"\nceiling = 900\n'
               '[rule.c]\npoints = 5\nvalid = "1y"\nflag = "fc"\n'
               '[rule.d]\npoints = 0\nfreeze = true\nvalid = "90d"\nretain = "400d"\n'
               'affects = "score"\n'
               '[tier.t]\nrules = "a;b;c"\nmeasure = "points"\n'
               '[[tier.t.level]]\nname = "low"\nmin = -1000\n'
               '[[tier.t.level]]\nname = "high"\nmin = 0\n'
               '[measure.m]\nkind = "restriction"\nflag = "fa"\n')


def random_log(scheme, rng, n=30):
    """A random log over few subjects with acts, pointers and retention."""
    rows = []
    ids = []
    for i in range(n):
        subject = rng.choice(["p", "q", "r"])
        day = rng.randint(0, 1100)
        ts = 1577836800 + day * 86400 + rng.choice([0, 0, 3600])
        kind = rng.random()
        event = {"id": "e%d" % i, "subject": subject, "ts": str(ts)}
        if kind < 0.55 or not ids:
            event["type"] = rng.choice(["a", "b", "c", "d"])
            if rng.random() < 0.3:
                event["act"] = rng.choice(["x", "y"])
            if rng.random() < 0.3:
                event["group"] = rng.choice(["g1", "g1/s", "g2"])
        elif kind < 0.65:
            event["type"] = "redeem"
            event["qty"] = "1"
        else:
            event["type"] = rng.choice(["revoke", "repair", "object", "dismiss", "correct"])
            target = rng.choice(ids)
            event["ref"] = target[0]
            if rng.random() < 0.8:
                event["subject"] = target[1]
                event["ts"] = str(target[2] + rng.choice([-86400, 0, 86400 * 30, 86400 * 400]))
        ids.append((event["id"], event["subject"], int(event["ts"])))
        rows.append(event)
    log = m.Log(scheme)
    for row in rows:
        log.add(row)
    return log


def snapshot(scheme, log, T):
    """Every answer at T except the archived counts."""
    out = []
    for x in m.evaluate_all(scheme, log, T):
        out.append((x.subject, x.score, x.grade, x.balance, x.flags, x.dimensions, x.group,
                    x.tiers, x.measures, x.ceiling,
                    [(e.id, e.state, e.counted, e.end, e.frozen, e.contested, e.merged_with,
                      e.to_balance) for e in x.record]))
    for name in ("fa", "fc", "m"):
        out.append(m.list_rows(scheme, log, name, T))
    for depth in (0, 1, 2):
        out.append([g.csv_row(scheme) for g in m.group_stats(scheme, log, T, depth)])
    return out


class Purge(unittest.TestCase):
    def test_answers_at_or_after_H_unchanged(self):
        import random
        total = 0
        for contested in ("mark", "suspend"):
            s = scheme_of(PURGE_RULES, 'base = 1000\ncontested = "%s"' % contested)
            for seed in range(40):
                rng = random.Random(seed)
                log = random_log(s, rng)
                H = 1577836800 + rng.randint(300, 1500) * 86400
                times = [H, H + 1, H + 86400 * 200, H + 86400 * 800]
                before = [snapshot(s, log, t) for t in times]
                held = len(log.by_id)
                removed = m.purge(s, log, H)
                total += removed
                self.assertEqual(len(log.by_id), held - removed)
                after = [snapshot(s, log, t) for t in times]
                for t, b, a in zip(times, before, after):
                    self.assertEqual(b, a, "seed %d, %s, T = H + %d" % (seed, contested, t - H))
                with self.assertRaises(m.PurgedError):
                    m.evaluate(s, log, "p", H - 1)
        self.assertGreater(total, 300)  # the purges did remove events

    def test_arrivals_after_a_purge(self):
        s = scheme_of(PURGE_RULES)
        log = log_of(s, [("a1", "r", "a", "2020-01-01", {"act": "x"}),
                         ("a2", "r", "a", "2020-03-01", {"act": "x"}),
                         ("c1", "r", "c", "2020-01-01"),
                         ("v1", "r", "revoke", "2020-02-01", {"ref": "a1"})])
        H = T("2021-06-01")  # t* of act x = 2021-03-01: a1, a2 and v1 are archived
        self.assertEqual(m.purge(s, log, H), 3)
        self.assertEqual(sorted(log.tombstones), ["a1", "a2", "v1"])
        self.assertEqual(log.act_tombstones, [("r", "x", T("2021-03-01"))])
        # a tombstoned id is a duplicate, whatever its fields
        self.assertFalse(log.add({"id": "a1", "subject": "z", "type": "c", "ts": "2020-05-05"}))
        # pointers at a tombstoned id: archived when dated at or after it and
        # ts <= H; dangling otherwise
        log.add({"id": "p1", "subject": "r", "type": "repair", "ts": "2020-06-01", "ref": "a2"})
        log.add({"id": "p2", "subject": "r", "type": "repair", "ts": "2020-02-01", "ref": "a2"})
        log.add({"id": "p3", "subject": "r", "type": "object", "ts": "2021-07-01", "ref": "a2"})
        # a member of the tombstoned act with ts <= t* is archived; after t*: a new act
        log.add({"id": "a3", "subject": "r", "type": "a", "ts": "2021-02-01", "act": "x"})
        log.add({"id": "a4", "subject": "r", "type": "a", "ts": "2021-04-01", "act": "x"})
        log.add({"id": "d1", "subject": "r", "type": "dismiss", "ts": "2021-02-02", "ref": "a3"})
        r = m.evaluate(s, log, "r", H)
        self.assertEqual(ids_states(r), [("c1", "expired"), ("p2", "dangling"),
                                         ("a4", "active")])
        self.assertEqual(r.archived, 3)  # p1, a3, d1
        r = m.evaluate(s, log, "r", T("2021-07-01"))
        self.assertEqual(dict(ids_states(r))["p3"], "dangling")
        with self.assertRaises(m.PurgedError):
            m.evaluate(s, log, "r", H - 1)
        self.assertEqual(m.spec_version(s, log), 2)


if __name__ == "__main__":
    unittest.main()
