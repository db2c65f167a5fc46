"""make check-links: every relative link in README.md, CHANGELOG.md, docs/*.md and the READMEs
of the directories below (bindings/python, examples/server, bench ...) points at a
file of the repository, and every #anchor at a heading of that file (GitHub's
anchor rules: lower case, punctuation dropped, spaces to '-').  Also: no file
there points outside the repository (../shared, /work) or cites the contract
by "SPEC section".  And docs/openapi.json, which civic-server embeds, is
docs/openapi.yaml converted (python3 docs/openapi_json.py writes it), each of its
objects with only the fields OpenAPI 3.0.3 gives it (tests/server/openapi_check.py).
usage: python3 tests/check-links.py [FILE.md ...]"""
import glob
import importlib.util
import os
import re
import sys

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
LINK = re.compile(r"(?<!\!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FORBIDDEN = [(re.compile(r"\.\./shared|/work/"), "points outside the repository"),
             (re.compile(r"SPEC(\.md)?\s+(sections?|§)\s*\d|SPEC\s+\d", re.I),
              "cites the contract by section; point at docs/ instead")]


def anchors(path):
    out, seen = set(), {}
    in_code = False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code:
                continue
            m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
            if not m:
                continue
            text = re.sub(r"`|\*|(?<!\w)_|_(?!\w)", "", m.group(1))
            slug = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else "%s-%d" % (slug, n))
    return out


def openapi_stale():
    """1 when docs/openapi.json is not what docs/openapi_json.py makes of the YAML."""
    script = os.path.join(REPO, "docs", "openapi_json.py")
    if not os.path.exists(script):
        return 0
    spec = importlib.util.spec_from_file_location("openapi_json", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    try:
        want = mod.render()
    except mod.YamlError as e:
        print("docs/openapi.yaml: %s" % e)
        return 1
    try:
        with open(mod.JSON, encoding="utf-8") as f:
            if f.read() == want:
                return openapi_malformed()
    except FileNotFoundError:
        pass
    print("docs/openapi.json differs from docs/openapi.yaml: run python3 docs/openapi_json.py")
    return 1


def openapi_malformed():
    """1 when a key of docs/openapi.json is no field of the OpenAPI 3.0.3 object
    where it stands (validators and client generators refuse the document)."""
    script = os.path.join(REPO, "tests", "server", "openapi_check.py")
    spec = importlib.util.spec_from_file_location("openapi_check", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    problems = mod.structure(mod.load())
    for p in problems:
        print("docs/openapi.yaml: %s" % p)
    return 1 if problems else 0


def main(files):
    bad = 0
    checked = 0
    for md in files:
        with open(md, encoding="utf-8") as f:
            text = f.read()
        for rx, why in FORBIDDEN:
            for m in rx.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                print("%s:%d: %r %s" % (os.path.relpath(md, REPO), line, m.group(0), why))
                bad += 1
        for m in LINK.finditer(re.sub(r"```.*?```", "", text, flags=re.S)):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):        # http:, https:, mailto:
                continue
            checked += 1
            path, _, anchor = target.partition("#")
            dest = md if not path else os.path.normpath(os.path.join(os.path.dirname(md), path))
            where = "%s: link %s" % (os.path.relpath(md, REPO), target)
            if not dest.startswith(REPO + os.sep):
                print("%s: leaves the repository" % where)
                bad += 1
            elif not os.path.exists(dest):
                print("%s: no such file" % where)
                bad += 1
            elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
                print("%s: no heading #%s in %s" % (where, anchor, os.path.relpath(dest, REPO)))
                bad += 1
    bad += openapi_stale()
    print("check-links: %d links in %d files" % (checked, len(files)))
    print("check-links: %d passed, %d failed" % (max(checked - bad, 0), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    files = sys.argv[1:] or [os.path.join(REPO, "README.md"), os.path.join(REPO, "CHANGELOG.md")] + \
        sorted(glob.glob(os.path.join(REPO, "docs", "*.md"))) + \
        sorted(glob.glob(os.path.join(REPO, "*", "README.md"))) + \
        sorted(glob.glob(os.path.join(REPO, "*", "*", "README.md")))
    sys.exit(main([os.path.abspath(f) for f in files]))
