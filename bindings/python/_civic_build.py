"""PEP 517 build backend for the civic package, standard library only.

Why it exists: `pip install ./bindings/python` must work offline and give a
package that works from any directory.  A wheel is a zip file of civic/*.py,
civic/py.typed, the shared library and three metadata files; this module
writes it itself (no setuptools, no `wheel`), so nothing is ever downloaded:
build-system.requires is empty.

The library: when this folder sits in the libcivic source tree (../../
has the Makefile and include/civic.h), the wheel bundles a freshly built
libcivic.so.1 as civic/libcivic.so.1 -- `make lib` runs first at the top of
the tree (it does nothing when the library is up to date) -- and the wheel
is tagged for this platform.  civic/_capi.py finds the bundled copy next to
the package.  Outside the source tree (an unpacked sdist), or with
CIVIC_BUNDLE=0, the wheel is pure Python and finds an installed library
(`make install`) through the loader.  CIVIC_MAKE names make (default make).
"""

import base64
import hashlib
import io
import os
import re
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.normpath(os.path.join(ROOT, os.pardir, os.pardir))
SONAME = "libcivic.so.1"


def _in_source_tree():
    return (os.path.isfile(os.path.join(TREE, "Makefile"))
            and os.path.isfile(os.path.join(TREE, "include", "civic.h")))


def _built_library():
    """(bytes of the freshly built libcivic.so.1) or None when not bundling."""
    if os.environ.get("CIVIC_BUNDLE", "1") == "0" or not _in_source_tree():
        return None
    make = os.environ.get("CIVIC_MAKE", "make")
    # make's output goes to stderr: pip shows it with -v, and stdout stays clean.
    rc = subprocess.call([make, "-C", TREE, "--no-print-directory", "lib"],
                         stdout=sys.stderr)
    if rc != 0:
        raise RuntimeError("building libcivic with `%s -C %s lib` failed (exit %d); "
                           "set CIVIC_BUNDLE=0 for a wheel without the library"
                           % (make, TREE, rc))
    path = os.path.realpath(os.path.join(TREE, "build", SONAME))
    with open(path, "rb") as f:
        return f.read()


def _platform_tag():
    return re.sub(r"[^A-Za-z0-9]", "_", sysconfig.get_platform())


def _project():
    """The scalar string keys of pyproject.toml's [project] table."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text + "\n[", flags=re.M | re.S)
    keys = dict(re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"\s*$', m.group(1), flags=re.M))
    lic = re.search(r'^license\s*=\s*\{\s*text\s*=\s*"([^"]*)"', m.group(1), flags=re.M)
    if lic:
        keys["license"] = lic.group(1)
    keys["classifiers"] = re.findall(r'^\s+"([^"]+)",?\s*$', m.group(1), flags=re.M)
    return keys


def _license_text():
    """The repository's LICENSE (bundled into wheels and sdists), or None."""
    for path in (os.path.join(ROOT, "LICENSE"), os.path.join(TREE, "LICENSE")):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return f.read()
    return None


def _metadata():
    p = _project()
    lines = ["Metadata-Version: 2.1", "Name: %s" % p["name"], "Version: %s" % p["version"]]
    if "description" in p:
        lines.append("Summary: %s" % p["description"])
    if "requires-python" in p:
        lines.append("Requires-Python: %s" % p["requires-python"])
    if "license" in p:
        lines.append("License: %s" % p["license"])
    for c in p.get("classifiers", []):
        lines.append("Classifier: %s" % c)
    readme = os.path.join(ROOT, p.get("readme", "README.md"))
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return p["name"], p["version"], "\n".join(lines) + "\n\n" + body


def _package_files():
    pkg = os.path.join(ROOT, "civic")
    return ["civic/" + n for n in sorted(os.listdir(pkg))
            if n.endswith(".py") or n == "py.typed"]


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _write_wheel(wheel_directory, files, platform=False):
    """files: list of (archive name, bytes).  platform: the wheel holds
    compiled code (the library) and is tagged for this platform.  Returns the
    wheel's basename."""
    name, version, metadata = _metadata()
    dist_info = "%s-%s.dist-info" % (name, version)
    tag = "py3-none-" + (_platform_tag() if platform else "any")
    wheel_meta = ("Wheel-Version: 1.0\nGenerator: civic _civic_build\n"
                  "Root-Is-Purelib: %s\nTag: %s\n" % ("false" if platform else "true", tag))
    files = list(files) + [(dist_info + "/METADATA", metadata.encode("utf-8")),
                           (dist_info + "/WHEEL", wheel_meta.encode("ascii"))]
    if _license_text() is not None:
        files.append((dist_info + "/LICENSE", _license_text()))
    record = io.StringIO()
    for arc, data in files:
        record.write("%s,%s,%d\n" % (arc, _hash(data), len(data)))
    record.write("%s/RECORD,,\n" % dist_info)
    files.append((dist_info + "/RECORD", record.getvalue().encode("utf-8")))
    basename = "%s-%s-%s.whl" % (name, version, tag)
    stamp = time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")))[:6]
    with zipfile.ZipFile(os.path.join(wheel_directory, basename), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            info = zipfile.ZipInfo(arc, date_time=stamp)
            info.external_attr = (0o755 if arc.endswith(SONAME) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return basename


def _read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------
# PEP 517 / PEP 660 hooks
# ---------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = [(rel, _read(rel)) for rel in _package_files() if not rel.endswith(SONAME)]
    library = _built_library()
    if library is not None:
        files.append(("civic/" + SONAME, library))
    return _write_wheel(wheel_directory, files, platform=library is not None)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel holding one .pth file that puts this folder on sys.path."""
    name, _, _ = _metadata()
    return _write_wheel(wheel_directory,
                        [("__editable__.%s.pth" % name, (ROOT + "\n").encode())])


def build_sdist(sdist_directory, config_settings=None):
    name, version, metadata = _metadata()
    top = "%s-%s" % (name, version)
    members = ["pyproject.toml", "README.md", "_civic_build.py", "python.mk"]
    members += _package_files()
    tests = os.path.join(ROOT, "tests")
    if os.path.isdir(tests):
        members += ["tests/" + n for n in sorted(os.listdir(tests)) if n.endswith(".py")]
    basename = top + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, basename), "w:gz",
                      format=tarfile.PAX_FORMAT) as tar:
        entries = [(m, _read(m)) for m in members if os.path.exists(os.path.join(ROOT, m))]
        entries.append(("PKG-INFO", metadata.encode("utf-8")))
        if _license_text() is not None and not os.path.exists(os.path.join(ROOT, "LICENSE")):
            entries.append(("LICENSE", _license_text()))
        for arc, data in entries:
            info = tarfile.TarInfo("%s/%s" % (top, arc))
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
            tar.addfile(info, io.BytesIO(data))
    return basename
