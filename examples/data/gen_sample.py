#!/usr/bin/env python3
"""Generate examples/data/sample.csv: a realistic, deterministic event log
for the built-in "community" scheme (run: python3 examples/data/gen_sample.py).

About 45 subjects (residents r0001.. and organisations org-..) in grids of
two districts, two years of events: volunteering, mediation, neighbourly help,
honours, donations, clean-ups, recycling, fines, fee arrears, redemptions at
the points supermarket, one revocation after an upheld appeal, one court-listed
defaulter who performed and was repaired, and one drunk-driving case."""
import csv
import random
import sys

rng = random.Random(20241)
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

POSITIVE = [("volunteer_hour", 30), ("neighbour_help", 14), ("environment_cleanup", 10),
            ("residents_meeting", 10), ("recycling", 10), ("hazard_report", 6),
            ("digital_help", 5), ("public_consultation", 4), ("dispute_mediation", 4),
            ("blood_donation", 3), ("donation", 5), ("committee_election", 2)]
NEGATIVE = [("illegal_parking", 6), ("garbage_unsorted", 5), ("disturbing_peace", 2),
            ("fee_arrears", 2)]
HONOURS = ["honour_community", "honour_district", "honour_city", "honour_province"]

events = []
seq = 0


def add(subject, type_, day, hour=10, qty=None, ref=None, group=True):
    global seq
    seq += 1
    y, d = (2024, day) if day < 366 else (2025, day - 366)
    # day-of-year to a calendar date
    months = [31, 29 if y == 2024 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    m = 0
    while d >= months[m]:
        d -= months[m]
        m += 1
    ts = "%04d-%02d-%02dT%02d:%02d:00+08:00" % (y, m + 1, d + 1, hour, rng.randrange(60))
    eid = "ev%05d" % seq
    events.append({"id": eid, "subject": subject, "type": type_, "ts": ts,
                   "qty": "" if qty is None else qty, "group": home[subject] if group else "",
                   "ref": ref or ""})
    return eid


def pick(weighted):
    total = sum(w for _, w in weighted)
    x = rng.uniform(0, total)
    for name, w in weighted:
        x -= w
        if x <= 0:
            return name
    return weighted[-1][0]


for s in residents:
    for _ in range(rng.randrange(4, 14)):
        t = pick(POSITIVE)
        qty = None
        if t == "volunteer_hour":
            qty = str(rng.choice([1, 2, 2, 3, 4, 6]))
        elif t == "donation":
            qty = str(rng.choice([100, 200, 500, 1000, 3000]))
        elif t == "recycling":
            qty = "%.1f" % rng.uniform(2, 15)
        add(s, t, rng.randrange(0, 700), qty=qty)
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        add(s, pick(NEGATIVE), rng.randrange(0, 700))
    if rng.random() < 0.25:
        add(s, rng.choice(HONOURS), rng.randrange(0, 700))
for o in orgs:
    for _ in range(rng.randrange(3, 8)):
        t = rng.choice(["donation", "environment_cleanup", "volunteer_hour"])
        qty = {"donation": rng.choice(["2000", "5000"]), "volunteer_hour": rng.choice(["2", "4"])}
        add(o, t, rng.randrange(0, 700), qty=qty.get(t))

# Points-supermarket redemptions (some will be rejected for lack of points).
for s in rng.sample(residents, 14):
    add(s, "redeem", rng.randrange(300, 720), hour=16, qty=str(rng.choice([5, 10, 20, 40])))

# A busy volunteer whose monthly cap bites, and a national honour.
for k in range(8):
    add("r0003", "volunteer_hour", 400 + k, qty="4")
add("r0003", "honour_national", 500)

# A repeat offender: parking twice within the year doubles the second fine.
add("r0012", "illegal_parking", 380)
add("r0012", "illegal_parking", 520)

# An appeal upheld: a wrongly recorded fine is revoked.
fine = add("r0021", "disturbing_peace", 450)
add("r0021", "revoke", 470, ref=fine, group=False)

# A court-listed defaulter who performed: credit repair.
listed = add("r0007", "court_defaulter", 200)
add("r0007", "repair", 560, ref=listed, group=False)
add("r0007", "repaired_default", 560)
add("r0007", "volunteer_hour", 600, qty="3")

# Drunk driving caps a resident at grade B for two years.
add("r0030", "drunk_driving", 610)

# A taxi company fined for illegal parking of its fleet.
add("org-taxi-co", "illegal_parking", 430)

rng.shuffle(events)  # arrival order never matters
w = csv.DictWriter(sys.stdout, fieldnames=["id", "subject", "type", "ts", "qty", "group", "ref"],
                   lineterminator="\n")
w.writeheader()
for e in events:
    w.writerow(e)
