"""sum_pandas.py -- weighted sum per subject with pandas (a baseline of
bench/run.py).  Usage: python3 sum_pandas.py WEIGHTS.csv EVENTS.csv > OUT

read_csv of the three needed columns (subject, type as categories, qty),
a vectorised weight lookup and a groupby sum.  Prints subject,sum in
hundredths of a point.  Caps, validity and the rest are ignored."""
import sys

import pandas as pd


def main():
    weights_path, events_path = sys.argv[1], sys.argv[2]
    w = pd.read_csv(weights_path, dtype={"type": str, "points": "int64", "unit": "int64"})
    w = w.set_index("type")
    ev = pd.read_csv(events_path, usecols=["subject", "type", "qty"],
                     dtype={"subject": str, "type": "category", "qty": "int64"})
    pts = ev["type"].map(w["points"]).astype("int64")
    unit = ev["type"].map(w["unit"]).astype("int64")
    value = pts * ev["qty"].where(unit == 1, 1)
    sums = value.groupby(ev["subject"], sort=False).sum()
    sys.stdout.write("".join(f"{s},{v}\n" for s, v in sums.items()))


if __name__ == "__main__":
    main()
