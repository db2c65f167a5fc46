"""PEP 517 build backend for the civic package, standard library only.

Why it exists: `pip install ./bindings/python` must work offline.  The
package is pure Python, so a wheel is a zip file of civic/*.py plus three
metadata files.  When setuptools can build wheels here (setuptools >= 70.1,
or an older one with the `wheel` package) the hooks delegate to
setuptools.build_meta, configured by pyproject.toml; otherwise (an older
setuptools without `wheel`, or an isolated build environment with nothing
installed, as pip makes when it cannot download) this module writes the same
wheel itself.  It never downloads anything: build-system.requires is empty.

What it does not do: compiled code (there is none), or bundling
libcivic.so.1 (the package finds the library at import; see civic/_capi.py).
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))


def _setuptools_backend():
    """setuptools.build_meta when it can build a wheel here, else None."""
    if os.environ.get("CIVIC_BUILD_STDLIB"):
        return None
    try:
        import setuptools.build_meta as backend
    except ImportError:
        return None
    try:
        import setuptools.command.bdist_wheel  # noqa: F401  setuptools >= 70.1
    except ImportError:
        try:
            import wheel.bdist_wheel  # noqa: F401  older setuptools needs wheel
        except ImportError:
            return None
    return backend


def _project():
    """The scalar string keys of pyproject.toml's [project] table."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text + "\n[", flags=re.M | re.S)
    keys = dict(re.findall(r'^([A-Za-z-]+)\s*=\s*"([^"]*)"\s*$', m.group(1), flags=re.M))
    return keys


def _metadata():
    p = _project()
    lines = ["Metadata-Version: 2.1", "Name: %s" % p["name"], "Version: %s" % p["version"]]
    if "description" in p:
        lines.append("Summary: %s" % p["description"])
    if "requires-python" in p:
        lines.append("Requires-Python: %s" % p["requires-python"])
    readme = os.path.join(ROOT, p.get("readme", "README.md"))
    body = ""
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            body = f.read()
    return p["name"], p["version"], "\n".join(lines) + "\n\n" + body


def _package_files():
    pkg = os.path.join(ROOT, "civic")
    return ["civic/" + n for n in sorted(os.listdir(pkg)) if n.endswith(".py")]


def _hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _write_wheel(wheel_directory, files):
    """files: list of (archive name, bytes).  Returns the wheel's basename."""
    name, version, metadata = _metadata()
    dist_info = "%s-%s.dist-info" % (name, version)
    wheel_meta = ("Wheel-Version: 1.0\nGenerator: civic _civic_build\n"
                  "Root-Is-Purelib: true\nTag: py3-none-any\n")
    files = list(files) + [(dist_info + "/METADATA", metadata.encode("utf-8")),
                           (dist_info + "/WHEEL", wheel_meta.encode("ascii"))]
    record = io.StringIO()
    for arc, data in files:
        record.write("%s,%s,%d\n" % (arc, _hash(data), len(data)))
    record.write("%s/RECORD,,\n" % dist_info)
    files.append((dist_info + "/RECORD", record.getvalue().encode("utf-8")))
    basename = "%s-%s-py3-none-any.whl" % (name, version)
    stamp = time.gmtime(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")))[:6]
    with zipfile.ZipFile(os.path.join(wheel_directory, basename), "w",
                         zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            info = zipfile.ZipInfo(arc, date_time=stamp)
            info.external_attr = 0o644 << 16
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
    backend = _setuptools_backend()
    if backend is not None:
        return backend.build_wheel(wheel_directory, config_settings, metadata_directory)
    return _write_wheel(wheel_directory, [(rel, _read(rel)) for rel in _package_files()])


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
        for arc, data in entries:
            info = tarfile.TarInfo("%s/%s" % (top, arc))
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
            tar.addfile(info, io.BytesIO(data))
    return basename
