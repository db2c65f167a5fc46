#!/bin/sh
# check-exports.sh HEADER MAP SHARED_LIBRARY
#
# The three lists of the public API must agree:
#   header  every `CIVIC_API ... civic_xxx(` declaration in the header
#   map     every name in a global: block of the linker version script
#   .so     every defined dynamic symbol of the shared library (nm -D)
# Also: every exported symbol is a civic_* name and carries the CIVIC_1.x
# version node that the map gives it.  Prints the differences; exits 1 on any.
set -eu

hdr=$1 map=$2 so=$3
for f in "$hdr" "$map" "$so"; do
    [ -r "$f" ] || { echo "check-exports: cannot read $f" >&2; exit 2; }
done
command -v nm >/dev/null 2>&1 || { echo "check-exports: nm (binutils) not found" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/civic-exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

# Strip /* */ comments from a file joined into one line.
uncomment() {
    tr '\n' ' ' < "$1" | sed -e 's#/\*\([^*]\|\*\+[^*/]\)*\*\+/# #g'
}

# Header: the name before the first '(' of each CIVIC_API declaration.  The
# `#define CIVIC_API ...(` lines have no civic_ name before their '('.
uncomment "$hdr" |
    grep -o 'CIVIC_API[^;(){}]*[^A-Za-z0-9_]civic_[A-Za-z0-9_]*[[:space:]]*(' |
    sed -e 's/[[:space:]]*($//' -e 's/.*[^A-Za-z0-9_]//' |
    LC_ALL=C sort > "$tmp/header.all" || true
LC_ALL=C sort -u "$tmp/header.all" > "$tmp/header"

# Map: "name node" for every name in a global: block (names before any
# global:/local: label are global too, as ld reads them).
uncomment "$map" | sed -e 's/\([{};:]\)/ \1 /g' | tr -s ' \t' '\n' | awk '
    BEGIN { depth = 0 }
    $0 == "" { next }
    depth == 0 && $0 == "{"  { depth = 1; node = pending; scope = "global"; next }
    depth == 0 && $0 == ";"  { pending = ""; next }
    depth == 0               { pending = $0; next }
    $0 == "}"                { depth = 0; pending = ""; next }
    $0 == ":"                { if (prev == "global" || prev == "local") scope = prev; next }
    $0 == ";"                { if (scope == "global" && word != "") print word, node; word = ""; next }
    { prev = $0; word = $0 }
' | LC_ALL=C sort > "$tmp/map.pairs"
cut -d' ' -f1 "$tmp/map.pairs" | LC_ALL=C sort > "$tmp/map.all"
LC_ALL=C sort -u "$tmp/map.all" > "$tmp/map"

# Library: "name version" for each defined dynamic symbol.  The version-node
# definitions themselves (type A, e.g. "A CIVIC_1.0") are not symbols.
nm -D --defined-only "$so" | awk '
    NF >= 3 && $2 == "A" && $3 !~ /@/ { next }
    NF >= 2 {
        s = $NF; v = ""
        if ((i = index(s, "@")) > 0) { v = substr(s, i); sub(/^@+/, "", v); s = substr(s, 1, i - 1) }
        print s, (v == "" ? "-" : v), $(NF - 1)
    }' | LC_ALL=C sort > "$tmp/so.triples"
cut -d' ' -f1 "$tmp/so.triples" | LC_ALL=C sort -u > "$tmp/so"

fail=0
report() { # title file
    if [ -s "$2" ]; then
        echo "check-exports: $1:"
        sed 's/^/    /' "$2"
        fail=1
    fi
}

[ -s "$tmp/header" ] || { echo "check-exports: no CIVIC_API declarations found in $hdr"; fail=1; }
[ -s "$tmp/map" ]    || { echo "check-exports: no global: names found in $map"; fail=1; }
[ -s "$tmp/so" ]     || { echo "check-exports: no exported symbols in $so"; fail=1; }

uniq -d "$tmp/header.all" > "$tmp/d"; report "declared twice in $hdr" "$tmp/d"
uniq -d "$tmp/map.all" > "$tmp/d";    report "listed twice in $map" "$tmp/d"

LC_ALL=C comm -23 "$tmp/header" "$tmp/map" > "$tmp/d"; report "in $hdr (CIVIC_API) but not in $map" "$tmp/d"
LC_ALL=C comm -13 "$tmp/header" "$tmp/map" > "$tmp/d"; report "in $map but not declared CIVIC_API in $hdr" "$tmp/d"
LC_ALL=C comm -23 "$tmp/map" "$tmp/so" > "$tmp/d";     report "in $map but not exported by $so (not defined, or not CIVIC_API in its definition)" "$tmp/d"
LC_ALL=C comm -13 "$tmp/map" "$tmp/so" > "$tmp/d";     report "exported by $so but not in $map" "$tmp/d"
LC_ALL=C comm -23 "$tmp/header" "$tmp/so" > "$tmp/d";  report "in $hdr but not exported by $so" "$tmp/d"

grep -v '^civic_' "$tmp/so" > "$tmp/d" || true
report "exported symbols that are not civic_*" "$tmp/d"

awk '$2 !~ /^CIVIC_1\.[0-9]+$/ { print $1 " has version \"" $2 "\"" }' "$tmp/so.triples" > "$tmp/d"
report "exported symbols without a CIVIC_1.x version" "$tmp/d"

awk '$3 != "T" { print $1 " has nm type " $3 }' "$tmp/so.triples" > "$tmp/d"
report "exported symbols that are not functions (the API exports functions only)" "$tmp/d"

# Node of each symbol in the library must be the node the map gives it.
awk 'NR == FNR { node[$1] = $2; next }
     ($1 in node) && node[$1] != $2 { print $1 ": map says " node[$1] ", library has " $2 }' \
    "$tmp/map.pairs" "$tmp/so.triples" > "$tmp/d"
report "symbols whose version differs from their map node" "$tmp/d"

n=$(wc -l < "$tmp/so" | tr -d ' ')
if [ "$fail" -ne 0 ]; then
    echo "check-exports: FAILED (header $(wc -l < "$tmp/header" | tr -d ' '), map $(wc -l < "$tmp/map" | tr -d ' '), library $n names)"
    echo "check-exports: a new function needs CIVIC_API in include/civic.h, its name in a new"
    echo "               CIVIC_1.x node of lib/civic.map, and a definition in lib/."
    exit 1
fi
nodes=$(cut -d' ' -f2 "$tmp/so.triples" | LC_ALL=C sort -u | tr '\n' ' ')
echo "check-exports: OK: $n functions agree in header, map and library (nodes: ${nodes% })"
