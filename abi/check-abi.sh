#!/bin/sh
# check-abi.sh BASELINE CURRENT SUPPRESSIONS REPORT [MACROS MACROS_CURRENT]
# -- run by `make check-abi`.
#
# Compares two abidw dumps with abidiff and decides:
#   fail  abidiff could not run (exit bit 1 or 2);
#   fail  an incompatible change (exit bit 8: a removed function or symbol,
#         a changed SONAME ...);
#   fail  any removed or changed function or variable that the suppressions
#         do not excuse -- abidiff reports a changed struct layout (a field
#         inserted, removed or retyped) only as bit 4, "an ABI change", so bit 8
#         alone would let it through;
#   fail  an added function in a version node the baseline already has (released
#         nodes are frozen: new functions go in a new CIVIC_1.x node);
#   fail  a header constant (status code, kind, state, flag, limit) that the
#         baseline has and the header no longer has with the same value;
#   fail  a struct whose size changed while its CIVIC_X_VERSION did not grow
#         (an appended field without a version bump: a caller built against
#         the old header passes the old version, and the library would read
#         or write past the end of its struct), or a _VERSION that went down;
#   note  what remains of bit 4: added functions only (compatible);
#   ok    no change.
# The suppressions (abi/suppressions.txt) excuse, for each versioned struct,
# fields appended at the end: the one way a public struct may grow.
set -u

base=$1 cur=$2 supp=$3 report=$4 macros=${5:-} macros_cur=${6:-}
: "${ABIDIFF:=abidiff}"

set -- --no-default-suppression
if grep -q '^[[:space:]]*\[' "$supp" 2>/dev/null; then
    set -- "$@" --suppressions "$supp"
fi
rc=0
"$ABIDIFF" "$@" "$base" "$cur" > "$report" 2>&1 || rc=$?
cat "$report"

# "Functions changes summary: 0 Removed, 1 Changed (2 filtered out), 3 Added functions"
count() { # LINE-PREFIX WORD: the number before WORD on the summary line
    sed -n "s/^$1.*[^0-9]\([0-9][0-9]*\) $2.*/\1/p; s/^$1: \([0-9][0-9]*\) $2.*/\1/p" "$report" | head -n 1
}
removed=0 changed=0 added=0
for what in 'Functions changes summary' 'Variables changes summary'; do
    r=$(count "$what" Removed); c=$(count "$what" Changed); a=$(count "$what" Added)
    removed=$((removed + ${r:-0})); changed=$((changed + ${c:-0})); added=$((added + ${a:-0}))
done
for what in 'Function symbols changes summary' 'Variable symbols changes summary'; do
    r=$(count "$what" Removed); a=$(count "$what" Added)
    removed=$((removed + ${r:-0})); added=$((added + ${a:-0}))
done

# Symbols "name version" of a dump; version nodes of the baseline.
syms() { sed -n "s/.*<elf-symbol name='\([^']*\)' version='\([^']*\)'.*/\1 \2/p" "$1" | LC_ALL=C sort -u; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/civic-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
syms "$base" > "$tmp/base"
syms "$cur" > "$tmp/cur"
cut -d' ' -f2 "$tmp/base" | LC_ALL=C sort -u > "$tmp/nodes"
LC_ALL=C comm -13 "$tmp/base" "$tmp/cur" |
    awk 'NR == FNR { old[$1] = 1; next } ($2 in old) { print "    " $1 "@@" $2 }' "$tmp/nodes" - > "$tmp/frozen"

macro_fail=0 version_fail=0
if [ -n "$macros" ]; then
    if [ ! -f "$macros" ]; then
        echo "check-abi: no constants baseline $macros; run make abi-baseline at a release"
        macro_fail=1
    else
        # Constants: frozen.  Struct versions (_VERSION) are checked below.
        sv='^#define CIVIC_[A-Z0-9_]*_VERSION [0-9][0-9]*$'
        grep -v "$sv" "$macros" > "$tmp/m.base" || true
        grep -v "$sv" "$macros_cur" > "$tmp/m.cur" || true
        LC_ALL=C comm -23 "$tmp/m.base" "$tmp/m.cur" > "$tmp/macros"
        if [ -s "$tmp/macros" ]; then
            echo "check-abi: header constants of the release that changed or disappeared:"
            while read -r _ name value; do
                now=$(sed -n "s/^#define $name //p" "$macros_cur")
                echo "    $name: was $value, now ${now:-(gone)}"
            done < "$tmp/macros"
            macro_fail=1
        fi
        # Struct sizes (bits) of the two dumps, by struct name.
        sizes() { sed -n "s/.*<class-decl name='\(civic_[a-z0-9_]*\)' size-in-bits='\([0-9]*\)'.*/\1 \2/p" "$1" | LC_ALL=C sort -u; }
        sizes "$base" > "$tmp/s.base"
        sizes "$cur" > "$tmp/s.cur"
        vers() { sed -n 's/^#define \(CIVIC_[A-Z0-9_]*\)_VERSION \([0-9][0-9]*\).*/\1 \2/p' "$1"; }
        vers "$macros" > "$tmp/v.base"
        vers "$macros_cur" > "$tmp/v.cur"
        awk 'FILENAME == ARGV[1] { vb[$1] = $2; next }
             FILENAME == ARGV[2] { vc[$1] = $2; next }
             FILENAME == ARGV[3] { sb[$1] = $2; next }
             {
                 name = $1; m = toupper(name)
                 if (!(name in sb)) next
                 if ((m in vb) && (m in vc) && vc[m] + 0 < vb[m] + 0)
                     print "    " m "_VERSION went down from " vb[m] " to " vc[m]
                 else if ($2 != sb[name] && !((m in vb) && (m in vc) && vc[m] + 0 > vb[m] + 0))
                     print "    " name " changed size (" sb[name] " -> " $2 " bits) but " m "_VERSION did not grow" \
                           ((m in vc) ? " (still " vc[m] ")" : " (it has none)")
             }' "$tmp/v.base" "$tmp/v.cur" "$tmp/s.base" "$tmp/s.cur" > "$tmp/versions"
        if [ -s "$tmp/versions" ]; then
            echo "check-abi: struct versions:"
            cat "$tmp/versions"
            version_fail=1
        fi
    fi
fi

policy() {
    echo "  Within SOVERSION the released functions, their signatures and the layout of"
    echo "  every public struct never change: add a new function (civic_x_v2) instead, or"
    echo "  append a field to a versioned struct and bump its _VERSION.  abi/README.md."
}
if [ $((rc & 3)) -ne 0 ]; then
    echo "check-abi: FAILED: abidiff did not run (exit $rc)"
    exit 1
elif [ $((rc & 8)) -ne 0 ]; then
    echo "check-abi: FAILED: incompatible ABI change against $base (abidiff exit $rc)"
    policy
    exit 1
elif [ -s "$tmp/frozen" ]; then
    echo "check-abi: FAILED: functions added to a released version node:"
    cat "$tmp/frozen"
    echo "  Released nodes of lib/civic.map are frozen; put new functions in a new node"
    echo "  CIVIC_1.x { global: ...; } CIVIC_1.y; named after the release that adds them."
    exit 1
elif [ $((rc & 4)) -ne 0 ] && [ $((removed + changed)) -ne 0 ]; then
    echo "check-abi: FAILED: $removed removed, $changed changed functions/variables against $base"
    echo "  (abidiff exit $rc: it calls a layout change \"compatible\"; this check does not)"
    policy
    exit 1
elif [ "$version_fail" -ne 0 ]; then
    echo "check-abi: FAILED: a public struct grew without a version bump (or its version"
    echo "  went down).  Bump CIVIC_X_VERSION, extend CIVIC_X_INIT, and read or write the"
    echo "  new field only when the caller's version has it.  abi/README.md."
    exit 1
elif [ "$macro_fail" -ne 0 ]; then
    echo "check-abi: FAILED: released header constants are part of the ABI and never change"
    echo "  (a new code or flag gets a new name and value).  abi/README.md."
    exit 1
elif [ $((rc & 4)) -ne 0 ]; then
    echo "check-abi: OK, with a note: $added added functions/symbols (compatible).  Each new"
    echo "  function goes in a new CIVIC_1.x node of lib/civic.map, and the release that"
    echo "  ships it bumps CIVIC_VERSION_MINOR and then runs make abi-baseline."
else
    echo "check-abi: OK: no ABI change against $base"
fi
