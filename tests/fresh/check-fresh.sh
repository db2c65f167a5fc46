#!/bin/sh
# tests/fresh/check-fresh.sh -- `make test` in a fresh clone inside a clean
# Debian root, as a new user on a fresh machine would run it (issue 12).
#
#   sh tests/fresh/check-fresh.sh            (what `make check-fresh` runs)
#
# 1. A Debian bookworm root is built once with debootstrap (variant minbase,
#    plus build-essential, git, python3 and ca-certificates: "a fresh machine
#    with nothing installed beyond the compiler") and cached in
#    $FRESH_CACHE/base (default /var/tmp/libcivic-fresh).  Delete that folder
#    to rebuild it.
# 2. Each run copies the cached root to $FRESH_CACHE/run.PID, bundles the
#    committed HEAD of this repository (uncommitted changes are NOT tested),
#    and inside the copy, as root: git clone, then `make test`.  `make deps`
#    must install every test dependency there by itself.
# 3. Mounts (/proc, /sys, /dev, /dev/pts, /dev/shm, the apt archive cache)
#    are undone and the copy removed on any exit (KEEP=1 keeps the copy).
#
# Needs: root, debootstrap, and the Debian archive this machine's apt uses
# (read from /etc/apt/sources.list*; MIRROR=URL overrides).  Downloaded .deb
# files are kept in $FRESH_CACHE/apt-archives so reruns download nothing.
set -eu

die() { echo "check-fresh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
command -v debootstrap >/dev/null 2>&1 || \
    die "needs debootstrap: apt-get install -y debootstrap"

REPO=$(git rev-parse --show-toplevel)
SUITE=${SUITE:-bookworm}
FRESH_CACHE=${FRESH_CACHE:-/var/tmp/libcivic-fresh}
BASE=$FRESH_CACHE/base
ARCHIVES=$FRESH_CACHE/apt-archives
JOBS=${JOBS:-1}

# The archive this machine's apt uses: deb822 "URIs:" or one-line "deb URL".
mirror() {
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list \
             /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        u=$(sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*debian\/*\)$/\1/p' \
                   -e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\/*\)[[:space:]].*/\2/p' "$f" | head -1)
        if [ -n "$u" ]; then echo "$u"; return; fi
    done
    echo http://deb.debian.org/debian
}
MIRROR=${MIRROR:-$(mirror)}

start=$(date +%s)
if [ ! -x "$BASE/usr/bin/make" ]; then
    echo "check-fresh: building the base root in $BASE ($SUITE from $MIRROR)"
    rm -rf "$BASE.tmp"
    mkdir -p "$FRESH_CACHE"
    debootstrap --variant=minbase --include=build-essential,git,python3,ca-certificates \
        "$SUITE" "$BASE.tmp" "$MIRROR" >"$FRESH_CACHE/debootstrap.log" 2>&1 || \
        die "debootstrap failed; see $FRESH_CACHE/debootstrap.log"
    # debootstrap leaves its downloads in the root: keep the base small.
    rm -f "$BASE.tmp"/var/cache/apt/archives/*.deb
    mv "$BASE.tmp" "$BASE"
    echo "check-fresh: base root ready in $(( $(date +%s) - start )) s"
else
    echo "check-fresh: reusing the base root $BASE"
fi

ROOT=$FRESH_CACHE/run.$$
MOUNTS=""
cleanup() {
    rc=$?
    for m in $MOUNTS; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then
        echo "check-fresh: kept $ROOT (mounts undone)"
    else
        # Never follow a mount that is still there into the host's files.
        if ! grep -q " $ROOT/" /proc/mounts; then rm -rf "$ROOT"; fi
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "check-fresh: copying the base root to $ROOT"
cp -a "$BASE" "$ROOT"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true

# mount_at SOURCE TARGET ARGS...: later mounts first in $MOUNTS (reverse order).
mount_at() {
    src=$1; dst=$2; shift 2
    mkdir -p "$dst"
    mount "$@" "$src" "$dst"
    MOUNTS="$dst $MOUNTS"
}
mkdir -p "$ARCHIVES/partial"
mount_at proc "$ROOT/proc" -t proc
mount_at sysfs "$ROOT/sys" -t sysfs
mount_at /dev "$ROOT/dev" --bind
mount_at /dev/pts "$ROOT/dev/pts" --bind
mount_at shm "$ROOT/dev/shm" -t tmpfs
mount_at "$ARCHIVES" "$ROOT/var/cache/apt/archives" --bind

# The committed HEAD, as a bundle: what `git clone` of the repository gives.
head=$(git -C "$REPO" rev-parse --short HEAD)
git -C "$REPO" bundle create "$ROOT/tmp/libcivic.bundle" HEAD >/dev/null 2>&1
echo "check-fresh: make test in a fresh clone of $head inside $ROOT"

t0=$(date +%s)
set +e
chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    sh -c "set -e; cd /root; git -c advice.detachedHead=false clone -q /tmp/libcivic.bundle libcivic; cd libcivic; \
           git log -1 --format='check-fresh: testing %h %s'; make -j$JOBS test" </dev/null
status=$?
set -e
t1=$(date +%s)
if [ $status -eq 0 ]; then
    echo "check-fresh: PASSED: make test in a clean $SUITE root took $((t1 - t0)) s" \
         "($(( t1 - start )) s in all)"
else
    echo "check-fresh: FAILED (exit $status) after $((t1 - t0)) s"
fi
exit $status
