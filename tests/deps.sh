#!/bin/sh
# tests/deps.sh -- every package the build's tests use, in one place
# (`make deps`; `make test` runs it before compiling anything).
#
#   sh tests/deps.sh           check; install what is missing with apt-get
#                              when root, otherwise print the one command
#   sh tests/deps.sh --check   check only; exit 1 and print the command
#   sh tests/deps.sh --list    the Debian package names, one a line
#
# Each line of the table below is a Debian package and a probe: a shell
# condition that holds when what the tests need from that package is here.
# Probes look at files and commands, not at dpkg, so a machine that has the
# same things from elsewhere passes too.  Root on a Debian system (as CI is):
# DEBIAN_FRONTEND=noninteractive apt-get install, and when that fails,
# apt-get update and once more.
set -u

# The interpreters Debian's python3-* packages serve (/usr/bin/python3) and
# the one first on PATH: a Python module counts when either has it.
has_module() {
    for py in python3 /usr/bin/python3; do
        "$py" -c "import importlib.util, sys; sys.exit(0 if all(importlib.util.find_spec(m) for m in sys.argv[1:]) else 1)" \
            "$@" >/dev/null 2>&1 && return 0
    done
    return 1
}
# clang can link a ThreadSanitizer program (the runtime is a separate package).
clang_tsan() {
    command -v clang >/dev/null 2>&1 || return 1
    d=$(mktemp -d) || return 1
    printf 'int main(void) { return 0; }\n' >"$d/t.c"
    clang -fsanitize=thread -o "$d/t" "$d/t.c" >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}
has() { command -v "$1" >/dev/null 2>&1; }

# package              probe                                   used by
TABLE='
build-essential      has cc && has make                               every build
libcmocka-dev        test -f /usr/include/cmocka.h                    test-c, test-asan, test-durability, valgrind
libmicrohttpd-dev    test -f /usr/include/microhttpd.h                civic-server, test-server, test-vocabulary
pkg-config           has pkg-config                                   check-consumer, civic-server
valgrind             has valgrind                                     make valgrind
abigail-tools        has abidw && has abidiff                         check-abi
g++                  has g++                                          check-cxx
clang                has clang && has clang++                         check-cxx, check-warnings, test-tsan, fuzz
libclang-rt-dev      clang_tsan                                       test-tsan, fuzz (sanitizer runtimes of clang)
python3              has python3                                      test-python, test-cli, test-diff, test-server
python3-venv         /usr/bin/python3 -c "import ensurepip" || python3 -c "import ensurepip"   test-python-install
python3-dask         has_module dask                                  test-dask
python3-distributed  has_module distributed                           test-dask
python3-pandas       has_module pandas                                test-python (to_records into a DataFrame)
chromium             has chromium                                     browser tests of HTML pages
groff-base           has groff                                        check-man3 (the manual pages at 80 columns)
openssl              has openssl                                      test-server-security (a throw-away TLS certificate)
'

missing() {
    echo "$TABLE" | while read -r pkg probe; do
        [ -n "$pkg" ] || continue
        probe=${probe%%  *}               # the probe ends at the "used by" column
        eval "$probe" >/dev/null 2>&1 || printf '%s ' "$pkg"
    done
}

case "${1:-}" in
--list) echo "$TABLE" | awk 'NF { print $1 }'; exit 0 ;;
--check|"") ;;
*) echo "usage: sh tests/deps.sh [--check | --list]" >&2; exit 2 ;;
esac

need=$(missing)
if [ -z "$need" ]; then
    echo "deps: every test dependency is installed"
    exit 0
fi
need=${need% }
if [ "${1:-}" != --check ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing $need"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! apt-get install -y -q --no-install-recommends $need >/tmp/civic-deps.log 2>&1; then
        echo "deps: apt-get install failed; apt-get update, then once more"
        apt-get update -q >>/tmp/civic-deps.log 2>&1
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $need >>/tmp/civic-deps.log 2>&1 || {
            tail -20 /tmp/civic-deps.log >&2
            echo "deps: could not install: $need (log: /tmp/civic-deps.log)" >&2
            exit 1
        }
    fi
    still=$(missing)
    if [ -n "$still" ]; then
        echo "deps: installed, but these still fail their check: $still" >&2
        exit 1
    fi
    echo "deps: installed $need"
    exit 0
fi
# One line that works on a fresh machine too, whose package lists are
# empty until an update (as the root path above finds out).
echo "deps: missing test dependencies; install them with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y $need" >&2
exit 1
