#!/bin/sh
# bindings/python/test-install.sh -- `pip install ./bindings/python` into a
# fresh venv under /tmp, offline, then use the package from /tmp: it must
# work from any directory with nothing set (no CIVIC_LIBRARY, no PYTHONPATH),
# through the libcivic.so.1 bundled in the wheel.
# usage: sh bindings/python/test-install.sh [PYTHON]      (make test-python-install)
set -eu
PY=${1:-python3}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/civic-install.XXXXXX)
trap 'rm -rf "$T"' EXIT

if ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then
    echo "test-python-install: $PY has no venv/ensurepip (make deps installs python3-venv)" >&2
    exit 1
fi
"$PY" -m venv "$T/venv"
# --no-index: nothing may come from the network; the backend needs nothing.
( cd /tmp && env -u CIVIC_LIBRARY -u PYTHONPATH "$T/venv/bin/python" -m pip install -q \
    --no-index --disable-pip-version-check "$REPO/bindings/python" )
cp "$REPO/examples/data/sample.csv" "$T/sample.csv"
cd /tmp
env -u CIVIC_LIBRARY -u PYTHONPATH "$T/venv/bin/python" - "$T" <<'PYEOF'
import os, pathlib, sys
t = sys.argv[1]
import civic
lib = civic.library_path()
pkg = os.path.dirname(civic.__file__)
assert pkg.startswith(os.path.join(t, "venv")), pkg                 # the installed copy
assert os.path.dirname(lib) == pkg, "library not bundled: " + lib   # found next to it
assert os.path.exists(os.path.join(pkg, "py.typed")), "py.typed missing"
with civic.Engine() as e:
    rep = e.load(pathlib.Path(t, "sample.csv"))
    assert rep.accepted > 100, rep
    s = e.score("r0007")
    assert s.grade and s.events > 0, s
print("test-python-install: civic %s from %s, library %s, %d events"
      % (civic.__version__, pkg, civic.library_version(), rep.accepted))
PYEOF
