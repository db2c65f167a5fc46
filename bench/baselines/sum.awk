# sum.awk -- weighted sum per subject, the mawk baseline of bench/run.py.
#
# Usage: mawk -F, -f sum.awk WEIGHTS.csv EVENTS.csv
#   WEIGHTS.csv: header, then type,points_hundredths,unit (unit 1: points x qty)
#   EVENTS.csv:  header id,subject,type,ts,qty,group (as written by bench/gen;
#                no quoted fields: this baseline does not parse RFC 4180)
# Prints subject,sum in hundredths of a point, one line per subject, unsorted.
# It ignores caps, validity, repeats, ceilings, bounds: a floor, not a scorer.
FNR == 1 { next }
NR == FNR { w[$1] = $2; u[$1] = $3; next }
{
    v = w[$3]
    if (u[$3] == 1) v = v * $5
    s[$2] += v
}
END { for (k in s) printf "%s,%.0f\n", k, s[k] }
