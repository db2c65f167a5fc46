#!/usr/bin/env python3
"""Unit tests of the reference model (tests/model/civic_model.py).

The six worked examples of SPEC section 8, then hand-computed cases for caps,
running clamp, balance reset, calendar-month validity and groups.  Every
expected value below was computed by hand from SPEC.md, not by running code.
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
        r = at(s, log, "r", "2023-05-02")
        self.assertEqual((r.score, r.grade), (pts("1100"), "AAA"))
        # h2 at its own instant, after the correction: not frozen, no ceiling
        r = at(s, log, "r", "2021-08-01")
        self.assertEqual((r.score, r.record[-1].frozen), (pts("950"), False))


if __name__ == "__main__":
    unittest.main()
