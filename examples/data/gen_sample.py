#!/usr/bin/env python3
"""Generate examples/data/sample.csv: a small, deterministic event log for the
built-in "community" scheme (run: python3 examples/data/gen_sample.py >
examples/data/sample.csv).

45 subjects (residents r0001..r0040 and five organisations) in eight grids of
two districts.  Most events fall in 2024 and 2025 and the log ends on
2025-11-28; a few deductions from 2019 and 2020 are old enough to be archived
by then.  Every event names the office that recorded it (`source`): the grid
offices, the traffic police, the volunteer centre, the points supermarket ...

Besides the everyday events (volunteering, neighbourly help, clean-ups,
recycling, honours, donations, fines, redemptions at the points supermarket),
the log holds one case of each thing an office deals with:

  r0003        a star volunteer: monthly hours from the volunteer centre,
               more than 300 in all (two stars), a capped month before the
               2025 revision of volunteer_hour and a full one after it
  r0015 r0024  one-star volunteers; r0024's district honour is still in its
               publicity period when the log ends
  org-school   a community honour, also still pending at the end
  r0007        listed by a court as a defaulter: graded D, additions frozen,
               on the dishonest list; a repair entered too early (premature)
  r0019        listed in 2023, performed the judgment (a correction lifts the
               direct grade), repaired a year after listing with the
               replacement deduction
  org-market   listed by a court in 2025, also on the dishonest list
  r0030        drunk driving and illegal parking at one traffic stop: one act
               of two items, counted once (the direct grade)
  r0012        a repeat parking offender; objects to the third fine, and the
               objection is dismissed
  r0026        objects to a waste-sorting deduction; undecided at the end
  r0033        objects to fee arrears too late
  r0021        a deduction overturned on appeal (objection, then revoke)
  r0005 r0010 r0017
               deductions of 2019 and 2020, archived five years after the
               conduct; r0022's of December 2020 has expired, not yet archived

The file must stay below 64 KiB: tests/test_load.c reads it into a buffer
of that size.  Arrival order is shuffled: answers never depend on it."""
import csv
import datetime
import random
import sys

rng = random.Random(20251128)
GRIDS = [
    "lanshan/xincheng-street/harbour-community/grid-01",
    "lanshan/xincheng-street/harbour-community/grid-02",
    "lanshan/xincheng-street/seaview-community/grid-03",
    "lanshan/dongshan-street/pine-community/grid-04",
    "lanshan/dongshan-street/pine-community/grid-05",
    "wendeng/tianfu-street/river-community/grid-06",
    "wendeng/tianfu-street/river-community/grid-07",
    "wendeng/longshan-street/hill-community/grid-08",
]
residents = ["r%04d" % i for i in range(1, 41)]
orgs = ["org-bakery", "org-clinic", "org-taxi-co", "org-market", "org-school"]
home = {s: GRIDS[i % len(GRIDS)] for i, s in enumerate(residents + orgs)}


def grid_office(subject):
    return "grid-office-%d" % int(home[subject][-2:])


# Who records each type of event.
SOURCE = {
    "volunteer_hour": "volunteer-center", "neighbour_help": None, "environment_cleanup": None,
    "residents_meeting": None, "public_consultation": None, "committee_election": None,
    "dispute_mediation": "mediation-committee", "recycling": "recycling-point",
    "hazard_report": "community-app", "digital_help": "community-app",
    "blood_donation": "blood-center", "donation": "charity-federation",
    "illegal_parking": "traffic-police", "drunk_driving": "traffic-police",
    "garbage_unsorted": None, "disturbing_peace": "police-station",
    "fee_arrears": "property-office", "court_defaulter": "intermediate-court",
    "repaired_default": "intermediate-court", "redeem": "points-supermarket",
    "honour_community": None, "honour_district": "district-office",
    "honour_city": "district-office", "honour_province": "district-office",
    "honour_national": "district-office",
}

POSITIVE = [("volunteer_hour", 26), ("neighbour_help", 14), ("environment_cleanup", 10),
            ("residents_meeting", 10), ("recycling", 10), ("hazard_report", 6),
            ("digital_help", 5), ("public_consultation", 4), ("dispute_mediation", 4),
            ("blood_donation", 3), ("donation", 5), ("committee_election", 2)]
NEGATIVE = [("illegal_parking", 6), ("garbage_unsorted", 5), ("disturbing_peace", 2),
            ("fee_arrears", 2)]
HONOURS = ["honour_community", "honour_district", "honour_city", "honour_province"]
START = datetime.date(2024, 1, 1)
LAST_RANDOM_DAY = 690      # 2025-11-21: the fixed cases below end the log

BUILTIN = {"revoke", "repair", "object", "dismiss", "correct"}   # they carry no group
events = []
seq = 0


def add(subject, type_, when, hour=10, minute=None, qty=None, ref=None, act=None,
        source="auto"):
    """when: a day number from START, or a "YYYY-MM-DD" date."""
    global seq
    seq += 1
    if isinstance(when, int):
        day = START + datetime.timedelta(days=when)
    else:
        day = datetime.date.fromisoformat(when)
    if minute is None:
        minute = rng.randrange(60)
    ts = "%sT%02d:%02d:00+08:00" % (day.isoformat(), hour, minute)
    if source == "auto":
        source = SOURCE.get(type_) or grid_office(subject)
    eid = "ev%05d" % seq
    events.append({"id": eid, "subject": subject, "type": type_, "ts": ts,
                   "qty": "" if qty is None else qty,
                   "group": "" if type_ in BUILTIN else home[subject],
                   "ref": ref or "", "act": act or "", "source": source or ""})
    return eid


def pick(weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for name, w in weighted:
        x -= w
        if x <= 0:
            return name
    return weighted[-1][0]


# -- everyday life, 2024-01-01 .. 2025-11-21 --------------------------------

for s in residents:
    for _ in range(rng.randrange(4, 12)):
        t = pick(POSITIVE)
        qty = None
        if t == "volunteer_hour":
            qty = str(rng.choice([1, 2, 2, 3, 4, 6]))
        elif t == "donation":
            qty = str(rng.choice([100, 200, 500, 1000, 3000]))
        elif t == "recycling":
            qty = "%.1f" % rng.uniform(2, 15)
        add(s, t, rng.randrange(0, LAST_RANDOM_DAY), qty=qty)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        add(s, pick(NEGATIVE), rng.randrange(0, LAST_RANDOM_DAY))
    if rng.random() < 0.2:
        add(s, rng.choice(HONOURS), rng.randrange(0, LAST_RANDOM_DAY - 10))
for o in orgs:
    for _ in range(rng.randrange(3, 7)):
        t = rng.choice(["donation", "environment_cleanup", "volunteer_hour"])
        qty = {"donation": rng.choice(["2000", "5000"]), "volunteer_hour": rng.choice(["2", "4"])}
        add(o, t, rng.randrange(0, LAST_RANDOM_DAY), qty=qty.get(t))

# Points-supermarket redemptions (the balance may not go below 0: some are
# rejected).
for s in rng.sample(residents, 14):
    add(s, "redeem", rng.randrange(300, LAST_RANDOM_DAY), hour=16,
        qty=str(rng.choice([5, 10, 20, 40])))

# -- volunteers and their stars ----------------------------------------------

# r0003: the volunteer centre reports monthly hours.  January 2025 (26 h) is
# capped at 20 points; from the revision of 2025-07-01 a month may count 30,
# so August 2025 (26 h) counts in full.  336 hours in all: two stars.
for k in range(23):
    y, m = 2024 + k // 12, k % 12 + 1
    hours = {12: "26", 19: "26"}.get(k, "13")
    add("r0003", "volunteer_hour", "%04d-%02d-28" % (y, m), hour=18, qty=hours)
add("r0003", "honour_national", "2025-05-15")
# r0015 and r0024: about 110 hours each, one star.
for k in range(22):
    y, m = 2024 + k // 12, k % 12 + 1
    add("r0015", "volunteer_hour", "%04d-%02d-27" % (y, m), hour=18, qty="5")
for k in range(12):
    add("r0024", "volunteer_hour", 30 + 55 * k, qty=str(rng.choice([8, 9, 10])))

# Honours posted on the notice board in the last week: still pending.
add("r0024", "honour_district", "2025-11-25", hour=9)
add("org-school", "honour_community", "2025-11-27", hour=9)

# -- credit records: defaulters, repairs and corrections ---------------------

# r0007: listed by a court.  Graded D, additions frozen, on the dishonest list.
# The grid office entered a repair after eight months: a serious entry may be
# repaired only a year after listing, so it is premature and does nothing.
listed = add("r0007", "court_defaulter", "2024-07-19")
add("r0007", "repair", "2025-03-14", ref=listed, source=grid_office("r0007"))

# r0019: listed in 2023; performed the judgment in June 2024 (a correction
# lifts the direct grade and the freeze); repaired in November 2024, once the
# year had passed, with the replacement deduction.
listed = add("r0019", "court_defaulter", "2023-10-05")
add("r0019", "correct", "2024-06-03", ref=listed, source="intermediate-court")
add("r0019", "repair", "2024-11-20", ref=listed)
add("r0019", "repaired_default", "2024-11-20")

# org-market: listed for unpaid wages in June 2025: graded D, on the
# dishonest list.
add("org-market", "court_defaulter", "2025-06-10")

# -- one act, two items -------------------------------------------------------

# r0030: stopped by the traffic police driving after drinking, parked on a
# fire lane.  One case: the direct grade (at most B) counts, the fine merges.
add("r0030", "drunk_driving", "2024-04-12", hour=22, minute=40, act="TP-240412-03")
add("r0030", "illegal_parking", "2024-04-12", hour=22, minute=40, act="TP-240412-03")

# -- fines, appeals and objections --------------------------------------------

# r0012: parking again within the year doubles the fine; the third fine is
# objected to within the 15 days, and the objection is dismissed.
add("r0012", "illegal_parking", "2025-01-15")
add("r0012", "illegal_parking", "2025-06-04")
fine = add("r0012", "illegal_parking", "2025-10-20")
obj = add("r0012", "object", "2025-10-27", ref=fine)
add("r0012", "dismiss", "2025-11-10", ref=obj, source="district-review-board")

# r0026: objects to a waste-sorting deduction; no decision yet at the end.
fine = add("r0026", "garbage_unsorted", "2025-11-14")
add("r0026", "object", "2025-11-21", ref=fine)

# r0033: objects to fee arrears after the 15 days: late, no effect.
fine = add("r0033", "fee_arrears", "2025-09-01")
add("r0033", "object", "2025-10-10", ref=fine)

# r0021: an objection upheld on appeal; the deduction is revoked.
fine = add("r0021", "disturbing_peace", "2025-03-26")
add("r0021", "object", "2025-04-02", ref=fine)
add("r0021", "revoke", "2025-04-15", ref=fine, source="district-review-board")

# A taxi company fined for illegal parking of its fleet.
add("org-taxi-co", "illegal_parking", "2025-03-06")

# -- old entries: retention ---------------------------------------------------

# Deductions are deleted five years after the conduct: archived by 2025-11-28
# (the record only counts them), except r0022's of December 2020.
add("r0005", "illegal_parking", "2019-04-11")
add("r0010", "fee_arrears", "2020-06-02")
add("r0017", "disturbing_peace", "2019-09-30")
add("r0022", "garbage_unsorted", "2020-12-15")

# The last event of the log: a residents' meeting on 2025-11-28.
add("r0001", "residents_meeting", "2025-11-28", hour=19)

rng.shuffle(events)  # arrival order never matters
w = csv.DictWriter(sys.stdout, lineterminator="\n",
                   fieldnames=["id", "subject", "type", "ts", "qty", "group", "ref", "act",
                               "source"])
w.writeheader()
for e in events:
    w.writerow(e)
