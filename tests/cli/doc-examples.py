"""tests/cli/doc-examples.py -- the manual's examples are run, and their output
is what the manual says.

usage: python3 tests/cli/doc-examples.py BUILD-DIR FILE.md ...

In a Markdown file, an HTML comment right before a fenced code block says
what the block is:

  <!-- file: NAME -->            the block is the file NAME
  <!-- file: NAME base=OTHER --> the file NAME is the file OTHER, a blank
                                 line, then the block (a rules file that adds
                                 rules to a base scheme shown earlier)
  <!-- run -->                   a console session: each line starting with
                                 "$ " is a command; the lines after it, up to
                                 the next command, are its output (standard
                                 output and standard error together)

Every Markdown file gets a fresh directory; its files are written there and
its commands run there, in order, under /bin/sh, with BUILD-DIR first on PATH
(so "civic-score" is the freshly built one) and with `build` and `examples`
linking to the repository's (so "build/civic-score examples/data/sample.csv"
works as in the README).  Trailing blanks are ignored; an output line "..."
stands for any number of lines."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = re.compile(r"^<!-- (file: (\S+)(?: base=(\S+))?|run) -->\s*$")
FENCE = re.compile(r"^(```+)")


def blocks(path):
    """(line number, marker match, block text) for every marked block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = MARK.match(lines[i])
        if m and i + 1 < len(lines) and FENCE.match(lines[i + 1]):
            fence = FENCE.match(lines[i + 1]).group(1)
            j = i + 2
            while j < len(lines) and lines[j].rstrip() != fence:
                j += 1
            yield i + 1, m, "\n".join(lines[i + 2:j]) + "\n"
            i = j
        i += 1


def matches(want, got):
    """want may hold "..." lines, each standing for zero or more lines."""
    if not want:
        return not got
    if want[0] == "...":
        return any(matches(want[1:], got[k:]) for k in range(len(got) + 1))
    return bool(got) and want[0] == got[0] and matches(want[1:], got[1:])


def session(text):
    """[(command, [expected lines])] of a console block."""
    out = []
    for line in text.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line.rstrip())
    return out


def main(build, files):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PATH=os.path.abspath(build) + os.pathsep + os.environ["PATH"],
               LC_ALL="C.UTF-8", TZ="UTC")
    passed = failed = 0
    for md in files:
        work = tempfile.mkdtemp(prefix="civic-doc-")
        try:
            os.symlink(os.path.join(repo, "examples"), os.path.join(work, "examples"))
            os.symlink(os.path.abspath(build), os.path.join(work, "build"))
            for lineno, m, text in blocks(md):
                where = "%s:%d" % (os.path.relpath(md, repo), lineno)
                if m.group(2):
                    if m.group(3):
                        with open(os.path.join(work, m.group(3)), encoding="utf-8") as f:
                            text = f.read() + "\n" + text
                    with open(os.path.join(work, m.group(2)), "w", encoding="utf-8") as f:
                        f.write(text)
                    continue
                for command, want in session(text):
                    run = subprocess.run(["/bin/sh", "-c", command], cwd=work, env=env,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                    got = [l.rstrip() for l in
                           run.stdout.decode("utf-8", "replace").rstrip("\n").split("\n")]
                    if got == [""]:
                        got = []
                    while want and want[-1] == "":
                        want.pop()
                    if matches(want, got):
                        passed += 1
                    else:
                        failed += 1
                        print("FAIL: %s: $ %s" % (where, command))
                        print("  the manual says:\n    " + "\n    ".join(want))
                        print("  civic-score says:\n    " + "\n    ".join(got))
        finally:
            shutil.rmtree(work)
    print("doc-examples: %d commands passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
