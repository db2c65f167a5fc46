"""sum_csv.py -- weighted sum per subject with Python's csv module (a baseline
of bench/run.py).  Usage: python3 sum_csv.py WEIGHTS.csv EVENTS.csv > OUT

Prints subject,sum in hundredths of a point.  Caps, validity, repeats,
ceilings and bounds are ignored: this is the floor of "read and add up"."""
import csv
import sys


def main():
    weights_path, events_path = sys.argv[1], sys.argv[2]
    points, unit = {}, {}
    with open(weights_path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for code, p, u in r:
            points[code] = int(p)
            unit[code] = u == "1"
    sums = {}
    with open(events_path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        i_subject, i_type, i_qty = (header.index(k) for k in ("subject", "type", "qty"))
        get = sums.get
        for row in r:
            t = row[i_type]
            v = points[t] * int(row[i_qty]) if unit[t] else points[t]
            s = row[i_subject]
            sums[s] = get(s, 0) + v
    out = sys.stdout
    for s, v in sums.items():
        out.write(f"{s},{v}\n")


if __name__ == "__main__":
    main()
