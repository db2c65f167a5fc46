#!/bin/sh
# check-consumer.sh -- run by `make check-consumer` (abi/abi.mk), which passes
# MAKE, B, CC, VERSION, REALNAME and SONAME in the environment.
#
# 1. make install DESTDIR=<staging> PREFIX=/usr, and check the installed files;
# 2. build tests/consumer/consumer.c with pkg-config against the staging tree
#    (PKG_CONFIG_SYSROOT_DIR), linked to libcivic.so and to libcivic.a, and run
#    both;
# 3. make uninstall, and check that it removed every file it installed.
set -eu

: "${MAKE:=make}" "${B:=build}" "${CC:=cc}"
for v in VERSION REALNAME SONAME; do
    eval "[ -n \"\${$v:-}\" ]" || { echo "check-consumer: $v not set (run it through make)" >&2; exit 2; }
done
# make -n: the recipe runs (it is a '+' line, for the jobserver), but the
# make install inside it would only print: say what would run, and stop.
# Only MAKEFLAGS' first word holds the one-letter flags ("ns"); what
# follows ("-- CC=clang PKG_CONFIG=...") may hold any letter.
flags=${MAKEFLAGS:-}
flags=${flags%% *}
case $flags in
    -*|"") ;;
    *n*) echo "sh abi/check-consumer.sh  # install into a staging DESTDIR, build and run" \
              "tests/consumer/consumer.c, uninstall"; exit 0 ;;
esac
PKG_CONFIG=${PKG_CONFIG:-pkg-config}   # make passes its PKG_CONFIG
command -v "$PKG_CONFIG" >/dev/null 2>&1 || {
    echo "check-consumer: $PKG_CONFIG not found; install pkg-config with: sudo apt-get install -y pkg-config" >&2
    exit 1
}

stage=$(mktemp -d "${TMPDIR:-/tmp}/civic-stage.XXXXXX")
out=$B/abi/consumer
trap 'rm -rf "$stage"' EXIT
trap 'exit 2' INT TERM
mkdir -p "$out"

fail() { echo "check-consumer: FAILED: $*" >&2; exit 1; }

# Every install directory is given, so a LIBDIR=... on the outer make command
# line (which reaches this make through MAKEFLAGS) cannot move the files.
dirs="PREFIX=/usr LIBDIR=/usr/lib INCLUDEDIR=/usr/include BINDIR=/usr/bin PKGCONFIGDIR=/usr/lib/pkgconfig"

echo "check-consumer: make install DESTDIR=$stage $dirs"
# shellcheck disable=SC2086
$MAKE --no-print-directory install DESTDIR="$stage" $dirs >"$out/install.log" 2>&1 ||
    { cat "$out/install.log"; fail "make install"; }

root=$stage/usr
lib=$root/lib

# -- the installed files ----------------------------------------------------
[ -f "$root/include/civic.h" ] || fail "no include/civic.h"
cmp -s include/civic.h "$root/include/civic.h" || fail "installed civic.h differs from include/civic.h"
[ -f "$lib/libcivic.a" ] || fail "no lib/libcivic.a"
if [ ! -f "$lib/$REALNAME" ] || [ -L "$lib/$REALNAME" ]; then fail "no regular file lib/$REALNAME"; fi
[ -x "$lib/$REALNAME" ] || fail "lib/$REALNAME is not executable (mode 755)"
for link in "$SONAME" libcivic.so; do
    [ -L "$lib/$link" ] || fail "lib/$link is not a symlink"
    target=$(readlink "$lib/$link")
    case $target in
        /*|*/*) fail "lib/$link -> $target: must be a relative link in the same directory" ;;
    esac
    [ "$(readlink -f "$lib/$link")" = "$(readlink -f "$lib/$REALNAME")" ] ||
        fail "lib/$link -> $target does not resolve to $REALNAME"
done
soname=$(readelf -d "$lib/$REALNAME" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "$SONAME" ] || fail "SONAME of the installed library is '$soname', not $SONAME"
[ -f "$lib/pkgconfig/civic.pc" ] || fail "no lib/pkgconfig/civic.pc"
grep -qx 'prefix=/usr' "$lib/pkgconfig/civic.pc" ||
    fail "civic.pc does not say prefix=/usr (stale build/civic.pc?): $(grep '^prefix=' "$lib/pkgconfig/civic.pc")"
[ -x "$root/bin/civic-score" ] || fail "no executable bin/civic-score"
# the service and its man page are installed when it was built, unless
# SERVER=no (then never, though `make test` builds it to test it)
if [ "${SERVER_MODE:-auto}" = no ]; then
    [ ! -e "$root/bin/civic-server" ] || fail "SERVER=no, yet civic-server was installed"
    [ ! -e "$root/share/man/man8/civic-server.8" ] || fail "SERVER=no, yet civic-server.8 was installed"
elif [ -f "$B/civic-server" ]; then
    [ -x "$root/bin/civic-server" ] || fail "civic-server was built but not installed"
    [ -f "$root/share/man/man8/civic-server.8" ] || fail "no share/man/man8/civic-server.8"
fi
[ -f "$root/share/man/man1/civic-score.1" ] || fail "no share/man/man1/civic-score.1"
for f in README.md CHANGELOG.md LICENSE docs/README.md docs/rules.md docs/events.md \
         docs/evaluation.md docs/answers.md docs/http-api.md docs/openapi.yaml libcivic.supp; do
    [ -f "$root/share/doc/libcivic/$f" ] || fail "no share/doc/libcivic/$f"
done
# every relative link of the installed manual resolves in the installed tree
broken=$(python3 - "$root/share/doc/libcivic" <<'PY'
import glob, os, re, sys
root = sys.argv[1]
for f in sorted(glob.glob(root + "/**/*.md", recursive=True)):
    for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", open(f, encoding="utf-8").read()):
        t = m.group(1)
        if not re.match(r"[a-z]+:", t) and not os.path.exists(os.path.join(os.path.dirname(f), t)):
            print("%s -> %s" % (os.path.relpath(f, root), t))
PY
) || fail "checking the installed manual's links"
[ -z "$broken" ] || fail "links of the installed manual that do not resolve: $broken"
# the man pages name the documentation where this install put it (DOCDIR:
# /usr/share/doc/libcivic here), not the source tree's /usr/local one;
# libcivic(3)'s helgrind and drd commands give its suppression file, there
docdir=/usr/share/doc/libcivic
for page in man/man1/civic-score.1 man/man3/libcivic.3 man/man8/civic-server.8 \
            doc/libcivic/docs/civic-score.1 doc/libcivic/docs/libcivic.3 \
            doc/libcivic/docs/civic-server.8; do
    [ -f "$root/share/$page" ] || continue # civic-server.8: with the server only
    ! grep -q /usr/local/share/doc/libcivic "$root/share/$page" ||
        fail "share/$page names /usr/local/share/doc/libcivic, not $docdir"
done
[ -f "$stage$docdir/libcivic.supp" ] || fail "no $docdir/libcivic.supp"
for page in man/man3/libcivic.3 doc/libcivic/docs/libcivic.3; do
    n=$(grep -c -F -e "suppressions=$docdir/libcivic.supp" "$root/share/$page") || n=0
    [ "$n" = 2 ] ||
        fail "share/$page: $n of its helgrind and drd commands name $docdir/libcivic.supp, not 2"
    grep -qx ".I $docdir/libcivic.supp" "$root/share/$page" ||
        fail "share/$page: its FILES do not name $docdir/libcivic.supp"
done
grep -qx 'License: MIT' "$lib/pkgconfig/civic.pc" || fail "civic.pc names no license"
find "$stage" ! -type d | LC_ALL=C sort | sed "s|^$stage||" > "$out/installed.txt"
n=$(wc -l < "$out/installed.txt" | tr -d ' ')
echo "check-consumer: $n files installed: $(tr '\n' ' ' < "$out/installed.txt")"

"$root/bin/civic-score" examples/data/sample.csv >"$out/cli.out" 2>&1 ||
    { cat "$out/cli.out"; fail "installed civic-score on examples/data/sample.csv"; }

# -- pkg-config against the staging tree -------------------------------------
PKG_CONFIG_SYSROOT_DIR=$stage
PKG_CONFIG_LIBDIR=$lib/pkgconfig   # replaces the default path: no system civic.pc
PKG_CONFIG_PATH=
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1   # keep -I/-L even for /usr (sysroot prefixes them)
PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
export PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR PKG_CONFIG_PATH \
    PKG_CONFIG_ALLOW_SYSTEM_CFLAGS PKG_CONFIG_ALLOW_SYSTEM_LIBS

pcver=$("$PKG_CONFIG" --modversion civic) || fail "pkg-config cannot find civic"
[ "$pcver" = "$VERSION" ] || fail "pkg-config --modversion civic says $pcver, not $VERSION"
cflags=$("$PKG_CONFIG" --cflags civic)
libs=$("$PKG_CONFIG" --libs civic)
static_libs=$("$PKG_CONFIG" --static --libs civic)
case $cflags in *"$stage/usr/include"*) ;; *) fail "pkg-config --cflags civic gave '$cflags'";; esac
echo "check-consumer: pkg-config --cflags --libs civic: $cflags $libs"
echo "check-consumer: pkg-config --static --libs civic: $static_libs"

std="-std=c11 -Wall -Wextra -Wpedantic -Werror"

# Shared: must load the staged libcivic.so.1.
# shellcheck disable=SC2086
$CC $std $cflags -o "$out/consumer-shared" tests/consumer/consumer.c $libs ||
    fail "build of the shared consumer"
readelf -d "$out/consumer-shared" | grep -q "NEEDED.*\[$SONAME\]" ||
    fail "consumer-shared does not need $SONAME"
LD_LIBRARY_PATH=$lib ldd "$out/consumer-shared" | grep -q "$SONAME => $lib/$SONAME" ||
    fail "consumer-shared does not resolve $SONAME to the staged copy"
printf 'check-consumer: shared: '
LD_LIBRARY_PATH=$lib "$out/consumer-shared" || fail "consumer-shared"

# Static: libcivic.a plus Libs.private, no libcivic.so at run time.
# shellcheck disable=SC2086
$CC $std $cflags -static -o "$out/consumer-static" tests/consumer/consumer.c $static_libs ||
    fail "build of the static consumer"
if readelf -d "$out/consumer-static" 2>/dev/null | grep -q 'NEEDED.*libcivic'; then
    fail "consumer-static still needs libcivic.so"
fi
printf 'check-consumer: static: '
env -u LD_LIBRARY_PATH "$out/consumer-static" || fail "consumer-static"

# -- uninstall --------------------------------------------------------------
echo "check-consumer: make uninstall DESTDIR=$stage $dirs"
# shellcheck disable=SC2086
$MAKE --no-print-directory uninstall DESTDIR="$stage" $dirs >"$out/uninstall.log" 2>&1 ||
    { cat "$out/uninstall.log"; fail "make uninstall"; }
left=$(find "$stage" ! -type d | sed "s|^$stage||" | tr '\n' ' ')
[ -z "$left" ] || fail "make uninstall left: $left"

# -- a staging directory whose name has a space -------------------------------
# (packagers' build roots sometimes do): the same files, and all of them gone
spaced="$stage/staging area"
echo "check-consumer: make install and uninstall DESTDIR='$spaced'"
# shellcheck disable=SC2086
$MAKE --no-print-directory install DESTDIR="$spaced" $dirs >"$out/install-spaced.log" 2>&1 ||
    { cat "$out/install-spaced.log"; fail "make install DESTDIR='$spaced'"; }
find "$spaced" ! -type d | LC_ALL=C sort | sed "s|^$spaced||" > "$out/installed-spaced.txt"
cmp -s "$out/installed.txt" "$out/installed-spaced.txt" ||
    fail "make install DESTDIR='$spaced' installed other files: $(diff "$out/installed.txt" "$out/installed-spaced.txt" | tr '\n' ' ')"
# shellcheck disable=SC2086
$MAKE --no-print-directory uninstall DESTDIR="$spaced" $dirs >"$out/uninstall-spaced.log" 2>&1 ||
    { cat "$out/uninstall-spaced.log"; fail "make uninstall DESTDIR='$spaced'"; }
left=$(find "$spaced" ! -type d | sed "s|^$spaced||" | tr '\n' ' ')
[ -z "$left" ] || fail "make uninstall DESTDIR='$spaced' left: $left"

echo "check-consumer: OK: install, pkg-config (shared and static), run, uninstall"
