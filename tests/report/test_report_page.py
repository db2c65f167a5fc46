#!/usr/bin/env python3
"""The public notice page (SPEC 11.5) in a real browser: headless Chromium.

For each page -- `civic-score -f html --groups 2 examples/data/sample.csv`
and a small hand-made log whose counts are written here by hand -- the test
renders the page in headless Chromium, takes the DOM (--dump-dom) and a PNG
(--screenshot), and checks from the DOM:

  - every group at the depth appears (data-group on its section);
  - every chart bar's data-count equals the count computed independently:
    for the sample, by this test from the subjects' own answers through the
    Python binding (the test groups them and counts grades itself); for the
    small log, by hand;
  - groups under --min-group have no section (no figures, no name: a
    group's name may be a household's), counted once in one sentence
    (data-suppressed, its count), and their subjects are named on no list; every non-empty list then carries
    the same note (data-hidden), never a count; the residents in no group
    are a cell too, not counted when under --min-group;
  - the page has no <script> and no external URL (src/href/url() to http,
    https, //, file), in the bytes civic-score wrote and in the DOM;
  - the list of every flag and every measure of the scheme is there
    (data-list; an empty one is a paragraph saying so), holding exactly the
    subjects that may be named;
  - Chromium renders it without errors: exit status 0, nothing about the
    page on its standard error, and a PNG of a plausible size and shape.

and, measured in the page as Chromium lays it out (a copy of the page with
a script that reads the boxes; the page itself has none), at 320 px and
wider and with the print stylesheet at a sheet's width:

  - nothing runs past the page's right edge and no text is cut off by it or
    by its box, outside a table that scrolls on its own: a group name of
    100 letters without a space, a 120-character resident id on a list
    (which wraps in its cell rather than widen its table).
  - every grade's name in a chart is there whole, beside its bar and its
    count, its glyphs under neither and clipped by nothing, at a readable
    size: wide capitals (W, M), 120 W's, CJK, emoji, combining marks, a long
    name with spaces.

Standard library only (plus the binding in bindings/python).  Every
Chromium run has its own fresh profile directory and a time limit; on
timeout its whole process group is killed.

usage: test_report_page.py --cli build/civic-score --library build/libcivic.so.1
           [--chromium /usr/bin/chromium] [--keep DIR]
"""
import argparse
import csv
import datetime
import html
import html.parser
import json
import math
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, os.pardir, os.pardir))
SAMPLE = os.path.join(REPO, "examples", "data", "sample.csv")
sys.path.insert(0, os.path.join(REPO, "docs"))
import notice_png  # noqa: E402  (the PNG reader the manual's picture is checked with)
CHROMIUM_SECONDS = 90
FAILURES = []
ARGS = None


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


# ---------------------------------------------------------------- Chromium

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--disable-extensions", "--mute-audio"]
# Chromium's standard error is full of lines about the machine (no D-Bus in
# a container, no GPU); only lines about the page count as errors.
PAGE_ERRORS = re.compile(r"CONSOLE|Uncaught|net::ERR_|Refused to|Content Security Policy|"
                         r"Failed to load|ERR_FILE|Not allowed to load")


def chromium(args, tmp, label):
    """Run Chromium with a fresh profile; (returncode, stdout bytes, stderr text)."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=tmp)
    cmd = [ARGS.chromium] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + args
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=CHROMIUM_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)     # only the group this test started
        out, err = p.communicate()
        check(False, "%s: Chromium did not finish in %d s" % (label, CHROMIUM_SECONDS))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return p.returncode, out, err.decode("utf-8", "replace")


def page_errors(stderr):
    return [l for l in stderr.splitlines() if PAGE_ERRORS.search(l)]


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def render(html_path, tmp, label):
    """(DOM text, PNG path) of the page, with the checks of a clean render."""
    url = "file://" + html_path
    t0 = time.time()
    rc, dom, err = chromium(["--dump-dom", url], tmp, label + " --dump-dom")
    check(rc == 0, "%s: chromium --dump-dom exit status %s" % (label, rc))
    check(not page_errors(err), "%s: Chromium reported errors about the page: %s"
          % (label, page_errors(err)[:3]))
    png = os.path.join(tmp, re.sub(r"\W+", "-", label) + ".png")
    rc, _, err = chromium(["--screenshot=" + png, "--window-size=1280,2400", url], tmp,
                          label + " --screenshot")
    check(rc == 0, "%s: chromium --screenshot exit status %s" % (label, rc))
    check(not page_errors(err), "%s: Chromium reported errors on the screenshot: %s"
          % (label, page_errors(err)[:3]))
    size = png_size(png) if os.path.exists(png) else None
    check(size == (1280, 2400), "%s: a PNG of the window size was written (%s)" % (label, size))
    check(os.path.exists(png) and os.path.getsize(png) > 20000,
          "%s: the screenshot is not blank (%d bytes)"
          % (label, os.path.getsize(png) if os.path.exists(png) else 0))
    print("%s: rendered in %.1f s (DOM %d bytes, PNG %d bytes)" % (
        label, time.time() - t0, len(dom), os.path.getsize(png) if os.path.exists(png) else 0))
    return dom.decode("utf-8"), png


# ---------------------------------------------------------------- the DOM

class Page(html.parser.HTMLParser):
    """What the checks read from the DOM Chromium serialized."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = []        # data-group of each group section, in order
        self.suppressed = None    # data-suppressed: the groups not shown, counted
        self.bars = {}            # (group, grade) -> data-count
        self.lists = {}           # data-list -> [data-subject, ...]
        self.hidden = {}          # data-list -> data-hidden
        self.ungrouped = 0        # data-ungrouped: residents in no group at the depth
        self.tags = set()
        self.urls = []            # every src, href, xlink:href, action value
        self.empty = {}           # data-list -> the sentence of a list naming nobody
        self.cells = {}           # (data-list, data-subject) -> the texts of its row's cells
        self._row = None
        self._section = None
        self._list = None
        self._empty = None

    def handle_data(self, data):
        if self._empty is not None:
            self.empty[self._empty] += data
        if self._row is not None and self.cells[self._row]:
            self.cells[self._row][-1] += data

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        if tag == "p":
            self._empty = None
        if tag == "tr":
            self._row = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        for k in ("src", "href", "xlink:href", "action", "srcset", "poster", "formaction"):
            if k in a:
                self.urls.append(a[k] or "")
        if tag == "section" and "data-group" in a:
            self._section = a["data-group"]
            self.sections.append(self._section)
        if "data-suppressed" in a:
            check(self.suppressed is None and self._section is None,
                  "the small groups are counted once, outside every group's section")
            self.suppressed = int(a["data-suppressed"])
        if tag == "rect" and "data-count" in a:
            key = (a.get("data-group"), a.get("data-grade"))
            check(key not in self.bars, "one bar per group and grade: %s twice" % (key,))
            self.bars[key] = int(a["data-count"])
        if tag == "table" and "data-list" in a:
            self._list = a["data-list"]
            self.lists[self._list] = []
        if tag == "p" and "data-list" in a:    # nobody named: a sentence
            self.lists[a["data-list"]] = []
            self._list = a["data-list"]
            self._empty = a["data-list"]
            self.empty[self._empty] = ""
        if tag == "tr" and "data-subject" in a and self._list is not None:
            self.lists[self._list].append(a["data-subject"])
            self._row = (self._list, a["data-subject"])
            self.cells[self._row] = []
        if tag == "td" and self._row is not None:
            self.cells[self._row].append("")
        if "data-hidden" in a and self._list is not None:
            self.hidden[self._list] = int(a["data-hidden"])
        if "data-ungrouped" in a:
            v = a["data-ungrouped"]
            self.ungrouped = v if v == "suppressed" else int(v)


EXTERNAL = re.compile(r"^\s*(https?:|//|file:|ftp:|data:text/html)", re.I)


def check_self_contained(label, raw, dom, page):
    for text, where in ((raw, "civic-score's bytes"), (dom, "the DOM")):
        check(not re.search(r"<\s*script", text, re.I), "%s: no <script> in %s" % (label, where))
        check(not re.search(r"<\s*(link|iframe|object|embed|img|video|audio|source)\b", text,
                            re.I), "%s: nothing loaded by an element in %s" % (label, where))
        check(not re.search(r"url\(\s*['\"]?\s*(https?:|//|file:)", text, re.I),
              "%s: no external url() in the styles of %s" % (label, where))
        check(not re.search(r"@import", text, re.I), "%s: no @import in %s" % (label, where))
        check(not re.search(r"\son[a-z]+\s*=", text, re.I),
              "%s: no event-handler attributes in %s" % (label, where))
    bad = [u for u in page.urls if EXTERNAL.search(u)]
    check(not bad, "%s: no external src/href in the DOM: %s" % (label, bad[:3]))
    check("script" not in page.tags, "%s: no script element in the DOM" % label)


def prefix(group, depth):
    """The depth-d group of a path, or None when it has fewer segments."""
    if depth == 0:
        return ""
    parts = group.split("/") if group else []
    return "/".join(parts[:depth]) if len(parts) >= depth else None


def check_page(label, raw, dom, want_groups, want_bars, grades, lists, min_group, depth,
               ungrouped):
    """want_groups: {group: subjects}; want_bars: {(group, grade): count} for
    the groups that show figures; lists: {name: [(subject, group), ...]};
    ungrouped: the subjects without a group at the depth (one cell)."""
    page = Page()
    page.feed(dom)
    check_self_contained(label, raw, dom, page)
    small = {g for g, n in want_groups.items() if n < min_group}
    check(sorted(page.sections) == sorted(set(want_groups) - small),
          "%s: every group at depth %d of %d residents or more has a section: %s vs %s"
          % (label, depth, min_group, sorted(page.sections), sorted(set(want_groups) - small)))
    check(page.suppressed == (len(small) or None),
          "%s: the %d groups under %d are counted once: %s"
          % (label, len(small), min_group, page.suppressed))
    for g in small:   # named nowhere: not in an attribute, not in a heading
        check('data-group="%s"' % html.escape(g) not in raw
              and not re.search(r"<h3>(<bdi>)?%s(</bdi>)?</h3>" % re.escape(html.escape(g)), raw),
              "%s: the small group %r is not named" % (label, g))
    check(all(g not in small for g, _ in page.bars),
          "%s: a suppressed group has no bars" % label)
    for g in want_groups:
        if g in small:
            continue
        for grade in grades:
            got = page.bars.get((g, grade))
            check(got == want_bars.get((g, grade), 0),
                  "%s: bar %s/%s has data-count %s, computed %s"
                  % (label, g, grade, got, want_bars.get((g, grade), 0)))
    check(len(page.bars) == len(grades) * len(set(want_groups) - small),
          "%s: one bar per grade per shown group (%d bars)" % (label, len(page.bars)))
    # the residents in no group are a cell too: under min_group, not counted
    want_ungrouped = "suppressed" if 0 < ungrouped < min_group else ungrouped
    # for whoever cannot see the page: one main landmark, a header row that a
    # printed page repeats on every table, the chart's figures in its name
    check(raw.count("<main>") == 1 and raw.count("</main>") == 1, "%s: one <main>" % label)
    check(raw.count("<table") == raw.count("<thead>"), "%s: every table has a <thead>" % label)
    for g in set(want_groups) - small:
        figures = ", ".join("%s %d" % (k, want_bars.get((g, k), 0)) for k in grades)
        check('<figcaption class="vh">Grades in %s: %s</figcaption>'
              % (html.escape(g or "all groups"), figures) in re.sub(r"</?bdi>", "", raw),
              "%s: the chart of %r is named with its figures (%s)" % (label, g, figures))
    check(page.ungrouped == want_ungrouped, "%s: the page counts %s residents in no group, wanted %s"
          % (label, page.ungrouped, want_ungrouped))
    check(("No residents have records yet" in dom) == (not want_groups and not ungrouped),
          "%s: 'no records' only when there are no residents" % label)
    check(sorted(page.lists) == sorted(lists), "%s: a list for every flag and measure: %s vs %s"
          % (label, sorted(page.lists), sorted(lists)))
    def cell(group):
        g = prefix(group, depth)
        return ungrouped if g is None else want_groups[g]
    # a list under which members of small cells may be missing says so, on
    # every list and whatever it holds: a count (or a note only when one is
    # missing, or "Nobody." only when nobody is missing) would tell who in a
    # small cell is listed
    any_small = bool(small) or 0 < ungrouped < min_group
    for name, rows in lists.items():
        named = sorted(s for s, g in rows if cell(g) >= min_group)
        check(sorted(page.lists.get(name, [])) == named,
              "%s: list %s names %s, wanted %s" % (label, name, page.lists.get(name), named))
        # a named resident's group is its cell's, never the deeper path
        for s, g in rows:
            shown = page.cells.get((name, s))
            if shown is None:
                continue
            want = prefix(g, depth) or ""   # a shallower path: the cell of no group
            check(len(shown) >= 2 and shown[1] == want, "%s: list %s shows %s in group %r, "
                  "wanted %r (the group at depth %d)" % (label, name, s, shown[1:2], want, depth))
        want_note = 1 if any_small else 0
        if not named:
            want = "Nobody is named." if any_small else "Nobody."
            check(page.empty.get(name) == want, "%s: list %s says %r, wanted %r"
                  % (label, name, page.empty.get(name), want))
        check(page.hidden.get(name, 0) == want_note,
              "%s: list %s has the small-cell note %s, wanted %d"
              % (label, name, page.hidden.get(name), want_note))
    return page


# ---------------------------------------------------------------- pages

def sample_page(tmp, min_group=None):
    """civic-score -f html --groups 2 [--min-group K] examples/data/sample.csv"""
    import civic
    depth = 2
    label = "sample" + (" --min-group %d" % min_group if min_group else "")
    extra = ["--min-group", str(min_group)] if min_group else []
    out = os.path.join(tmp, re.sub(r"\W+", "-", label) + ".html")
    raw = subprocess.run([ARGS.cli, "-f", "html", "--groups", str(depth)] + extra + [SAMPLE],
                         check=True, capture_output=True, timeout=60).stdout
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, label)
    min_group = min_group or 5
    with civic.Engine(civic.Rules.default()) as e:
        e.load_file(SAMPLE)
        grades = [g.name for g in e.rules.grades]
        rows = e.subjects()               # at the latest ts, as civic-score
        groups, bars, ungrouped = {}, {}, 0
        for s in rows:                    # grouped and counted here, not by the library
            g = prefix(s.group, depth)
            if g is None:
                ungrouped += 1
                continue
            groups[g] = groups.get(g, 0) + 1
            bars[(g, s.grade)] = bars.get((g, s.grade), 0) + 1
        names = list(e.rules.flags) + [m.code for m in e.rules.measures]
        lists = {n: [(r.subject, r.group) for r in e.list(n)] for n in names}
    check(len(groups) >= 4 and any(n >= min_group for n in groups.values()),
          "%s: the sample has groups at depth 2 that show figures: %s" % (label, groups))
    check(min_group == 5 or any(n < min_group for n in groups.values()),
          "%s: some group of the sample is under %d: %s" % (label, min_group, groups))
    check(any(lists.values()), "some list of the sample is not empty")
    check_page(label, raw.decode("utf-8"), dom, groups, bars, grades, lists, min_group, depth,
               ungrouped)


# A small log under the built-in scheme, as of 2025-06-30, counted by hand:
#   north (6 subjects): n1..n4 volunteer 2 h (1002.00, A); n5 court defaulter
#     (599.00, D, dishonest); n6 national honour (+100 after 7 days: 1100.00, AAA)
#   south (2 subjects, under --min-group 5): s1 court defaulter (D, dishonest),
#     s2 recycling (1000.00, A)
#   u1, without a group (a cell of one): court defaulter (D, dishonest)
SMALL_LOG = """\
id,subject,type,ts,qty,group
e1,n1,volunteer_hour,2025-05-01,2,north/a
e2,n2,volunteer_hour,2025-05-02,2,north/a
e3,n3,volunteer_hour,2025-05-03,2,north/b
e4,n4,volunteer_hour,2025-05-04,2,north/b
e5,n5,court_defaulter,2025-05-05,,north/b
e6,n6,honour_national,2025-05-06,,north/c
e7,s1,court_defaulter,2025-05-07,,south/a
e8,s2,recycling,2025-05-08,3,south/a
e9,u1,court_defaulter,2025-05-09,,
"""
SMALL_GROUPS = {"north": 6, "south": 2}
SMALL_BARS = {("north", "AAA"): 1, ("north", "A"): 4, ("north", "D"): 1}
SMALL_LISTS = {   # name -> every subject on it, (subject, group)
    "dishonest": [("n5", "north/b"), ("s1", "south/a"), ("u1", "")],
    "drunk_driving": [],
    "priority_service": [("n6", "north/c")],
    "deposit_free_rental": [("n6", "north/c")],
    "volunteer_rebate": [],
    "no_subsidy": [("n5", "north/b"), ("s1", "south/a"), ("u1", "")],
}


def small_page(tmp):
    log = os.path.join(tmp, "small.csv")
    with open(log, "w") as f:
        f.write(SMALL_LOG)
    out = os.path.join(tmp, "small.html")
    raw = subprocess.run([ARGS.cli, "-f", "html", "--groups", "1", "-t", "2025-06-30", log],
                         check=True, capture_output=True, timeout=60).stdout
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, "small log")
    page = check_page("small log", raw.decode("utf-8"), dom, SMALL_GROUPS, SMALL_BARS,
                      ["AAA", "AA", "A", "B", "C", "D"], SMALL_LISTS, 5, 1, 1)
    # by hand, in so many words: who is named and who is counted
    check(page.lists.get("dishonest") == ["n5"] and page.hidden.get("dishonest") == 1
          and "2 more" not in dom,
          "small log: dishonest names n5 only, with the note and no count (%s, %s)"
          % (page.lists.get("dishonest"), page.hidden.get("dishonest")))
    for who in ("s1", "s2", "u1"):     # south is a group of 2; u1 is a cell of one
        check(not re.search(r">\s*%s\s*<" % who, dom) and 'data-subject="%s"' % who not in dom,
              "small log: %s is named nowhere" % who)
    check(page.bars.get(("north", "A")) == 4 and page.bars.get(("north", "B")) == 0,
          "small log: north has 4 A and 0 B")
    # the header gives the date, the footer the instant the figures are of
    check("As of 2025-06-30." in dom and
          "Figures are exact as of 2025-06-30T00:00:00+08:00." in dom,
          "small log: the page gives the date and the exact instant of -t 2025-06-30")
    check_published_scheme("small log", dom)


class Tables(html.parser.HTMLParser):
    """Each table of a page with its accessible name as a screen reader
    computes it (aria-labelledby: the text of the element named; else
    aria-label), the scroll box around it, and its header cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = {}          # id -> [tag, text]
        self.open_ids = []     # ids whose element is open, innermost last
        self.wraps = []        # attrs of the open div.wrap boxes
        self.tables = []       # {"key", "attrs", "wrap", "th": [attrs, ...]}
        self.headings = []     # ids of the headings so far

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            check(a["id"] not in self.ids, "tables: id %r is unique" % a["id"])
            self.ids[a["id"]] = [tag, ""]
            self.open_ids.append((tag, a["id"]))
            if tag in ("h2", "h3"):
                self.headings.append(a["id"])
        if tag == "div" and a.get("class") == "wrap":
            self.wraps.append(a)
        if tag == "table":
            self.tables.append({"key": a.get("data-table") or a.get("data-list"), "attrs": a,
                                "wrap": self.wraps[-1] if self.wraps else None, "th": []})
        if tag == "th":
            self.tables[-1]["th"].append(a)

    def handle_endtag(self, tag):
        if self.open_ids and self.open_ids[-1][0] == tag:
            self.open_ids.pop()

    def handle_data(self, data):
        for _, i in self.open_ids:
            self.ids[i][1] += data

    def name(self, a):
        if a and a.get("aria-labelledby"):
            return " ".join(self.ids.get(i, ["", "?"])[1] for i in a["aria-labelledby"].split())
        return a.get("aria-label") if a else None


def tables_are_named(tmp):
    """Every table, and the box that scrolls it (focusable, so a keyboard
    user can scroll it), has a name a screen reader announces: the heading
    it stands under, or "Grades" for the scheme's grades; the box is a
    region; every header cell is a column header (scope="col").  Nothing a
    sighted reader sees changes: no caption, no new text.  The small log at
    2025-05-08, where n6's honour is posted (every kind of table), worked
    out by hand."""
    log = os.path.join(tmp, "tables.csv")
    with open(log, "w") as f:
        f.write(SMALL_LOG)
    raw = subprocess.run([ARGS.cli, "-f", "html", "--groups", "1", "--min-group", "1",
                          "-t", "2025-05-08", log],
                         check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    page = Tables()
    page.feed(raw)
    want = {"grades": "Grades", "rules": "Rules", "validity": "Validity by severity",
            "posted": "Posted before they count", "dishonest": "Flag: dishonest",
            "no_subsidy": "Not eligible for community subsidies while listed as dishonest"}
    got = {t["key"]: page.name(t["attrs"]) for t in page.tables}
    check(got == want, "tables: each table is named by its heading: %s" % got)
    for t in page.tables:
        w = t["wrap"] or {}
        check(w.get("tabindex") == "0" and w.get("role") == "region"
              and page.name(w) == want.get(t["key"]),
              "tables: the scroll box of %s is a region named %r: %s"
              % (t["key"], want.get(t["key"]), w))
        for a in (t["attrs"], w):
            for i in a.get("aria-labelledby", "").split():
                check(page.ids.get(i, [""])[0] in ("h2", "h3"),
                      "tables: %s is named by a heading (#%s)" % (t["key"], i))
        check(t["th"] and all(a.get("scope") == "col" for a in t["th"]),
              "tables: every header cell of %s has scope=\"col\": %s" % (t["key"], t["th"]))
    check("<caption" not in raw, "tables: no caption (the page looks as it did)")


def text_of(dom):
    """The page's text as a reader sees it: no tags, entities decoded, one
    space between words."""
    dom = re.sub(r"</?bdi>", "", dom)        # inline: a name isolated within its sentence
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", " ", dom)))


def check_published_scheme(label, dom):
    """The built-in scheme as published, every figure read by hand from
    lib/default_rules.toml: the shared cap's limit and period, the
    validity classes, the star thresholds, each measure's condition, the
    score bounds, the balance floor and the objection window."""
    words = text_of(dom)
    for want in ("shared community_service: 30.00 a month",
                 "up to 40.00 1 year", "more than 40.00 2 years",
                 "volunteer_star: the quantity of volunteer_hour, all time: 1 star from 100; "
                 "2 stars from 300; 3 stars from 600; 4 stars from 1000; 5 stars from 1500",
                 "list priority_service; for grade AAA or AA)",
                 "list deposit_free_rental; for grade AAA)",
                 "list volunteer_rebate; for volunteer_star 2 stars or more)",
                 "list no_subsidy; for flag dishonest)",
                 "Scores stay at or above 0.00 and at or below 2000.00.",
                 "take the balance down to 0.00, not below.",
                 "The balance starts again every year.",
                 # not "within 15 days of its date": read as the 15th day after it included
                 "contested until 15 days have passed since its date and time; while contested "
                 "it keeps its effect",
                 "court_defaulter legal 0.00 score only, not to spend 5 years",
                 "repairable 1 year after it takes effect; deleted 5 years after its date",
                 "counts as a repeat in traffic",   # drunk_driving: no factor of its own
                 "repairable 3 months after it takes effect", "posted for 7 days",
                 # a change row names its rule for a reader who reaches it alone
                 "volunteer_hour from 2025-07-01"):
        check(want in words, "%s: the published scheme says %r" % (label, want))
    # affects, read by hand: recycling alone is "balance"; 13 rules are "score" (none of
    # them has a change); the others, both
    check("recycling autonomy 0.50 per unit to spend only, not the score" in words
          and words.count("to spend only, not the score") == 1
          and words.count("score only, not to spend") == 13,
          "%s: where a rule's points go, beside them (%d, %d)"
          % (label, words.count("to spend only, not the score"),
             words.count("score only, not to spend")))
    check(words.count("shared community_service: 30.00 a month") == 4,
          "%s: the four rows that draw on community_service (three rules, one with a "
          "change) say its limit (%d)"
          % (label, words.count("shared community_service: 30.00 a month")))


WORDING_RULES = """\
[scheme]
name = "wording"
base = 100
objection_window = "end-of-month"

[[grade]]
name = "fine"
min = 100

[[grade]]
name = "poor"

[rule.litter]
points = -5
category = "street"
valid = "end-of-year"
repair_after = "forever"
retain = "end-of-year"
affects = "score"
publicity = "end-of-month"

[rule.sweep]
points = 2
cap = 7.5
cap_period = "lifetime"
valid = "90d"
publicity = "1d"
retain = "forever"
affects = "score"

[rule.graffiti]
points = -3
category = "street"
repeat_factor = 1.5

[tier.sweeper]
rules = "sweep"
window = "90d"

[[tier.sweeper.level]]
name = "bronze"
min = 2

[tier.yearly]
rules = "sweep"
window = "1y"

[[tier.yearly.level]]
name = "steady"
min = 50

[measure.helper]
text = "Soft\u00adhyphen helper \u202Eeulb\u202C badge, \u202Eunclosed"
kind = "incentive"
tier = "sweeper"
min_level = "bronze"
"""
# Five residents in one group (so the list may name them); one of them calls
# itself with a right-to-left override it never closes, and is the only one
# with the two sweeps of the helper list.
WORDING_LOG = "id,subject,type,ts,group\n" + "".join(
    "w%d,%s,sweep,2025-05-0%d,g\n" % (i, who, i + 1)
    for i, who in enumerate(["a", "b", "c", "d", "\u202ekcab"])) + \
    "w9,\u202ekcab,sweep,2025-05-09,g\n" + \
    "".join("n%d,%s,sweep,2025-05-1%d,g\n" % (i, who, i)
            for i, who in enumerate(["non\ufffechar", "\ufdd0x\U0010ffff"] * 2)) + \
    "".join("z%d,%s,sweep,2025-05-2%d,g\n" % (i, who, i)
            for i, who in enumerate(["zw\u200bx", "sh\u00adx\ufeffy\u2060z",
                                     "caf\u00e9\u200d", "bob\u200e", "zw\\u200bx"] * 2))


def direction_closed(text):
    """Whether every direction override, embedding and isolate that text
    opens is closed in it again (the nesting of Unicode's bidi algorithm)."""
    stack = []
    for ch in text:
        if ch in "\u202a\u202b\u202d\u202e":
            stack.append("e")
        elif ch in "\u2066\u2067\u2068":
            stack.append("i")
        elif ch == "\u202c" and stack and stack[-1] == "e":
            stack.pop()
        elif ch == "\u2069" and "i" in stack:
            while stack.pop() != "i":
                pass
    return not stack


def wording_page(tmp):
    """Durations in words beside the rules (not "repair after forever"), a
    lifetime cap, a category without a factor of its own, and a text that
    opens a right-to-left override: closed again before the page's next
    words.  Every phrase below is written by hand from WORDING_RULES."""
    rules = os.path.join(tmp, "wording.toml")
    log = os.path.join(tmp, "wording.csv")
    with open(rules, "w", encoding="utf-8") as f:
        f.write(WORDING_RULES)
    with open(log, "w", encoding="utf-8") as f:
        f.write(WORDING_LOG)
    out = os.path.join(tmp, "wording.html")
    raw = subprocess.run([ARGS.cli, "-r", rules, "-f", "html", "-t", "2025-06-30", log],
                         check=True, capture_output=True, timeout=60).stdout
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, "wording")
    words = text_of(dom)
    for want in ("contested until the end of the month it is dated in",
                 "to the end of the year counts as a repeat in street",
                 "posted to the end of the month; never repairable; "
                 "deleted at the end of the year it is dated in",
                 "7.50 in all", "90 days",
                 "posted for 1 day; never deleted",
                 "repeat \u00d71.50 (street)",
                 "sweep, in the last 90 days: bronze from 2",
                 "sweep, in the last year: steady from 50"):
        check(want in words, "wording: the page says %r" % want)
    for unwanted in ("repair after", "a lifetime", "end-of-", "90d", "1d;", "by-severity",
                     "1 year"):
        check(unwanted not in words, "wording: the page does not say %r" % unwanted)
    page = raw.decode("utf-8")
    check(page.count("\u202eunclosed\u202c") >= 2,
          "wording: an override a text leaves open is closed right after it")
    # every element's own text, and the page's text as a whole, leave no
    # override open; an attribute, never shown, holds the id exactly
    check(all(direction_closed(t) for t in re.split(r"<[^>]*>", page))
          and direction_closed("".join(re.split(r"<[^>]*>", page))),
          "wording: no text of the page leaves a direction override open")
    check('data-subject="\u202ekcab"' in page and 'data-subject="\u202ekcab\u202c"' not in page,
          "wording: data-subject is the resident's id exactly")
    # the resident's own override is shown as its escape, not obeyed
    check('<bdi><span class="esc">\\u202e</span>kcab</bdi>' in dom and "\u202ekcab" not in
          re.sub(r"<[^>]*>", "", dom), "wording: the resident's override is shown as its escape")
    # noncharacters (valid UTF-8 an id may hold, which HTML forbids as text)
    # as their escapes, and in data-subject as character references, which
    # keep them: the DOM holds the id exactly
    check('non<span class="esc">\\ufffe</span>char' in page
          and '<span class="esc">\\ufdd0</span>x<span class="esc">\\U0010ffff</span>' in page
          and 'data-subject="non&#xfffe;char"' in page
          and not re.search("[\ufffe\ufdd0\U0010ffff]", page)
          and 'data-subject="non\ufffechar"' in dom,
          "wording: a noncharacter in a name is shown as its escape and kept in data-subject")
    # an invisible character is shown as its escape, a joiner too, so that
    # two names that differ by one do not read the same; the attribute
    # holds the id exactly
    esc = '<span class="esc">%s</span>'
    check("zw%sx" % (esc % "\\u200b") in page
          and "sh%sx%sy%sz" % (esc % "\\u00ad", esc % "\\ufeff", esc % "\\u2060") in page
          and "caf\u00e9%s<" % (esc % "\\u200d") in page and 'data-subject="zw\u200bx"' in page
          and "bob%s<" % (esc % "\\u200e") in page and "zw%su200bx<" % (esc % "\\\\") in page
          and not re.search('class="id"><bdi>[^<]*[\u200b\u00ad\ufeff\u2060\u200e\u200d]', page),
          "wording: an invisible character in a name is shown as its escape, a backslash "
          "doubled")
    # the scheme's own texts keep theirs: a soft hyphen there is typography
    check("Soft\u00adhyphen" in page, "wording: a soft hyphen in a measure's text stays")


# Characters that show nothing or read as another, each with the escape the
# page (and the CLI's table) shows for it, written by hand.
ALIKE = [("\u200d", "\\u200d"), ("\u2069", "\\u2069"), ("\u202e", "\\u202e"),
         ("\u200b", "\\u200b"), ("\u200c", "\\u200c"), ("\u034f", "\\u034f"),
         ("\ufe0f", "\\ufe0f"), ("\U000e0041", "\\U000e0041"), ("\U000e0100", "\\U000e0100"),
         ("\u2028", "\\u2028"), ("\u2029", "\\u2029"), ("\u00a0", "\\u00a0"),
         ("\u2007", "\\u2007"), ("\u202f", "\\u202f"), ("\u3000", "\\u3000"),
         ("\ufffe", "\\ufffe"), ("\U0010ffff", "\\U0010ffff"), ("\ufdd0", "\\ufdd0"),
         ("\u180e", "\\u180e"), ("\ufeff", "\\ufeff"), ("\u2060", "\\u2060"),
         ("\u00ad", "\\u00ad"), ("\u115f", "\\u115f"), ("\u3164", "\\u3164"),
         ("\ufff9", "\\ufff9"), ("\u2066", "\\u2066"), ("\u061c", "\\u061c"),
         ("\u2800", "\\u2800")]


def lookalike_page(tmp):
    """Residents whose ids differ read apart on a list: the four a reviewer
    found all reading r0001 (U+202E turning "1000r" around, a trailing
    U+2069, a trailing U+200D), and an id for each character of ALIKE.  On
    the page each such character is its escape, in a style of its own; the
    data-subject attribute, in the DOM, is the id exactly (a noncharacter
    too: written as a character reference, which keeps it)."""
    rules = ("[scheme]\nbase = 1000\n[[grade]]\nname = \"A\"\nmin = 1000\n[[grade]]\n"
             "name = \"B\"\n[rule.fine]\npoints = -10\nflag = \"dishonest\"\n"
             "[rule.help]\npoints = 1\n")
    shown = {"r0001": "r0001", "\u202e1000r": "\\u202e1000r",
             "r0001\u2069": "r0001\\u2069", "r0001\u200d": "r0001\\u200d"}
    for ch, esc in ALIKE:
        shown["a%sz" % ch] = "a%sz" % esc
    # a blank HTML folds away (at an id's start or end, after another, or
    # the whole id) is its escape: "  r0001" read as "r0001", " " as an
    # empty cell; one blank between two characters stays a blank
    shown.update({"  r0001": "\\u0020\\u0020r0001", " ": "\\u0020", "r0001 ": "r0001\\u0020",
                  "r0  001": "r0 \\u0020001", "r0 001": "r0 001"})
    log = "id,subject,type,ts,group\n" + "".join(
        'e%d,"%s",fine,2025-03-01,g\n' % (i, who) for i, who in enumerate(shown)) + \
        "h1,x1,help,2025-03-01,g\n"
    rules_path, log_path = write_case(tmp, "alike", rules, log)
    raw = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", log_path],
                         check=True, capture_output=True, timeout=60).stdout
    out = os.path.join(tmp, "alike.html")
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, "alike")
    page = Page()
    page.feed(dom)
    listed = page.lists.get("dishonest", [])
    check(sorted(listed) == sorted(shown),
          "alike: data-subject is each resident's id exactly (%d of %d; extra %r)"
          % (len(set(listed) & set(shown)), len(shown), sorted(set(listed) - set(shown))[:4]))
    seen = {}
    for who in listed:
        cells = page.cells.get(("dishonest", who), [""])
        seen[who] = cells[0]
        check(cells[0] == shown.get(who), "alike: the id %r reads %r on the list, not %r"
              % (who, cells[0], shown.get(who)))
    check(len(set(seen.values())) == len(seen), "alike: no two residents read alike")
    text = raw.decode("utf-8")
    for ch, esc in ALIKE:
        check('<span class="esc">%s</span>' % esc in text,
              "alike: the escape %s is in a style of its own" % esc)
    check(re.search(r"\.esc\s*\{[^}]*color", text) is not None,
          "alike: the page's style gives an escape a color of its own")
    check(not re.search("[\ufffe\ufdd0\U0010ffff]", text),
          "alike: a noncharacter is not in the page's bytes")


def v1_scheme_page(tmp):
    """A version-1 scheme's page says how objections work, as a version-2
    scheme with the same defaults does: an objection may be made at any
    time and the entry keeps its effect, marked."""
    rules = os.path.join(REPO, "examples", "data", "community-1.0.toml")
    raw = subprocess.run([ARGS.cli, "-r", rules, "-f", "html", SAMPLE],
                         check=True, capture_output=True, timeout=60).stdout
    out = os.path.join(tmp, "v1-scheme.html")
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, "v1 scheme")
    check("An entry may be contested at any time; while contested it keeps its effect "
          "and is marked." in text_of(dom),
          "v1 scheme: the page says how an entry may be contested")


RTL_SCHEME = "\u05de\u05d5\u05e2\u05e6\u05d4 \u05de\u05e7\u05d5\u05de\u05d9\u05ea (\u05e6\u05e4\u05d5\u05df)!"
RTL_GRADE = "\u05d8\u05d5\u05d1 (\u05de\u05d0\u05d5\u05d3)!"
RTL_FLAG = "\u0645\u062e\u0627\u0644\u0641 (\u0623)"
RTL_DIMENSION = "\u0645\u062f\u0646\u064a (1)"
RTL_MEASURE = "\u0645\u0643\u0627\u0641\u0623\u0629 \u0644\u0644\u0645\u062a\u0637\u0648\u0639\u064a\u0646!"
RTL_GROUP = "\u05e6\u05e4\u05d5\u05df (2)"
RTL_SUBJECT = "12 \u05e9\u05db\u05df"


def rtl_page(tmp):
    """Every text of the rules or the events (the scheme's name, a grade, a
    flag, a dimension, a measure's text, a group, a resident's id: here
    Hebrew and Arabic, with brackets, a "!" and leading digits) is isolated
    on the page -- the whole text of a <bdi>, wherever it is shown -- so that
    its brackets and digits stay where its writer put them and the page's
    own English sentences stay left to right around it."""
    rules = ("[scheme]\nname = \"%s\"\nbase = 100\n"
             "[[grade]]\nname = \"%s\"\nmin = 100\n[[grade]]\nname = \"low\"\n"
             "[rule.fine]\npoints = -5\nflag = \"%s\"\ndimension = \"%s\"\n"
             "[measure.help]\ntext = \"%s\"\nkind = \"incentive\"\ngrades = \"%s\"\n"
             % (RTL_SCHEME, RTL_GRADE, RTL_FLAG, RTL_DIMENSION, RTL_MEASURE, RTL_GRADE))
    log = "id,subject,type,ts,group\n" + "".join(
        "e%d,%s,fine,2025-05-0%d,%s\n" % (i, who, i + 1, RTL_GROUP)
        for i, who in enumerate(["a", "b", "c", "d", RTL_SUBJECT]))
    rules_path, log_path = write_case(tmp, "rtl", rules, log)
    raw = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", "-t", "2025-06-30",
                          "--min-group", "1", log_path],
                         check=True, capture_output=True, timeout=60).stdout
    out = os.path.join(tmp, "rtl.html")
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, "rtl")
    body = dom[dom.find("<body"):]
    shown = re.sub(r"<[^>]*>", lambda m: m.group(0) if m.group(0).startswith(("<bdi", "</bdi"))
                   else "\x00", body)       # the text nodes, with the <bdi> tags alone kept
    for what, t in (("scheme", RTL_SCHEME), ("grade", RTL_GRADE), ("flag", RTL_FLAG),
                    ("dimension", RTL_DIMENSION), ("measure", RTL_MEASURE),
                    ("group", RTL_GROUP), ("resident", RTL_SUBJECT)):
        esc = html.escape(t, quote=False)
        everywhere = shown.count(esc)
        isolated = shown.count("<bdi>%s</bdi>" % esc)
        check(everywhere > 0 and everywhere == isolated,
              "rtl: the %s %r is isolated in a <bdi> wherever it is shown (%d of %d)"
              % (what, t, isolated, everywhere))
    check("Every resident starts at" in text_of(dom) and '<html lang="en"' in dom
          and ' dir="rtl"' not in dom, "rtl: the page's own sentences stay left to right")
    # the window's title has no <bdi>: the name is isolated there by U+2068
    # FIRST STRONG ISOLATE ... U+2069 POP DIRECTIONAL ISOLATE, so its "!"
    # stays at its end as in the <h1> (it showed at the left of the name)
    title = re.search(r"<title>(.*?)</title>", raw.decode("utf-8"), re.S)
    check(title and title.group(1) == "Public notice: \u2068%s\u2069" % RTL_SCHEME,
          "rtl: the title isolates the scheme's name: %r" % (title.group(1) if title else None))
    check("<h1>Public notice: <bdi>%s</bdi></h1>" % RTL_SCHEME in raw.decode("utf-8"),
          "rtl: the heading isolates the scheme's name")


# Reads, in a copy of a page laid out by Chromium, the left edge of every
# character of every escape (.esc) and of the name around it, in the order
# of the text: an escape reads left to right when its edges increase.
ESC_ORDER_JS = r"""
(function () {
  var out = [];
  document.querySelectorAll("tr[data-subject] .esc").forEach(function (el) {
    var n = el.firstChild, xs = [];
    for (var i = 0; i < n.data.length; i++) {
      var r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
      xs.push(r.getBoundingClientRect().left);
    }
    out.push({subject: el.closest("tr").getAttribute("data-subject"), text: n.data, xs: xs});
  });
  var pre = document.createElement("pre");
  pre.id = "civic-esc";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


def rtl_escape_page(tmp):
    """An escape inside a right-to-left id or group (a Hebrew id with a
    U+200B, "shin U+202E alef") reads left to right, whole: "\\u200b", not
    "u200b\\" as the id's own direction turned it.  The page's style gives
    an escape its own direction, isolated from the name around it; in
    Chromium each escape's characters stand left to right."""
    shalom = "\u05e9\u05dc\u05d5\u05dd"
    rules = ('[scheme]\nname = "test"\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n'
             '[[grade]]\nname = "D"\n[rule.fine]\npoints = -30\nflag = "red"\nvalid = "6m"\n')
    ids = [shalom + "\u200b", "a\u200bb", "\u05e9\u202e\u05d0"]
    group = "\u05e6\u05e4\u05d5\u05df\u200b"
    log = "id,subject,type,ts,group\n" + "".join(
        "f%d,%s,fine,2025-03-02T10:00:00,%s\n" % (i, who, group) for i, who in enumerate(ids))
    text = case_page(tmp, "rtl-esc", rules, log)
    esc_rule = re.search(r"\.esc\s*\{([^}]*)\}", text)
    check(esc_rule and re.search(r"direction:\s*ltr", esc_rule.group(1))
          and re.search(r"unicode-bidi:\s*isolate", esc_rule.group(1)),
          "rtl escape: the style reads an escape left to right, isolated: %r"
          % (esc_rule.group(0) if esc_rule else None))
    check('<h3><bdi>\u05e6\u05e4\u05d5\u05df<span class="esc">\\u200b</span></bdi></h3>' in text,
          "rtl escape: the group's heading shows its escape")
    page = text.replace("</body>", "<script>%s</script></body>" % ESC_ORDER_JS)
    path = os.path.join(tmp, "rtl-esc-probe.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    rc, dom, _ = chromium(["--dump-dom", "--window-size=1280,1200", "file://" + path], tmp,
                          "rtl escape")
    m = re.search(r'<pre id="civic-esc">(.*?)</pre>', dom.decode("utf-8"), re.S)
    if not check(rc == 0 and m, "rtl escape: the escapes were measured"):
        return
    got = json.loads(html.unescape(m.group(1)))
    check(sorted((g["subject"], g["text"]) for g in got)
          == sorted([(ids[0], "\\u200b"), (ids[1], "\\u200b"), (ids[2], "\\u202e")]
                    + [(who, "\\u200b") for who in ids]),
          "rtl escape: every id's and group's escape is on the list: %r"
          % [(g["subject"], g["text"]) for g in got])
    for g in got:
        check(g["xs"] == sorted(g["xs"]) and len(set(g["xs"])) == len(g["xs"]),
              "rtl escape: %r of %r reads left to right (its characters' left edges %r)"
              % (g["text"], g["subject"], g["xs"]))


def png_pixels(path):
    """(width, height, channels, rows): an 8-bit RGB or RGBA PNG (what
    Chromium's --screenshot writes), read by the manual's own PNG reader
    (docs/notice_png.py), each row a bytes object of width * channels
    samples."""
    rows, ch = notice_png.rows(path)
    return (len(rows[0]) // ch if rows else 0), len(rows), ch, rows


def ink_outside(shot, bare, box, ch):
    """The pixels that differ between two screenshots of a page (shot and
    bare, rows of png_pixels) outside box (l, t, r, b in px): what the text
    hidden in bare draws beyond its box."""
    l, t, r, b = box
    out = []
    for y, (p, q) in enumerate(zip(shot, bare)):
        if p == q:
            continue
        for x in range(len(p) // ch):
            if p[x * ch:x * ch + 3] != q[x * ch:x * ch + 3] and not (l <= x < r and t <= y < b):
                out.append((x, y))
    return out


# The box of the first list cell of id ZALGO, in CSS pixels.
CELL_BOX_JS = r"""
(function () {
  var td = document.querySelector("td.id bdi[data-probe]").closest("td"), r = td.getBoundingClientRect();
  var pre = document.createElement("pre");
  pre.id = "civic-box";
  pre.textContent = JSON.stringify([r.left, r.top, r.right, r.bottom]);
  document.body.appendChild(pre);
})();
"""

ZALGO = "Z" + "".join(chr(c) for c in (0x334, 0x321, 0x322, 0x31b, 0x317, 0x318, 0x319, 0x31c, 0x31d,
                                       0x31e, 0x31f, 0x320, 0x324, 0x325, 0x326, 0x329, 0x32a, 0x32b,
                                       0x32c, 0x32d, 0x32e, 0x32f, 0x330, 0x331, 0x332, 0x333, 0x339,
                                       0x33a, 0x33b))
# Names as the scripts that put marks on a letter write them, none with more
# than 3 on one: each shown as it is.
MARKED_NAMES = ["Vie\u0323\u0302t Nguye\u0303\u0302n",             # Vietnamese, decomposed
                "\u05e9\u05bc\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd",   # Hebrew with niqqud
                "\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f",   # Arabic with harakat
                "\u0915\u094d\u0937\u0924\u094d\u0930\u093f\u092f",   # Devanagari
                "\u0e19\u0e49\u0e33\u0e01\u0e34\u0e4a",               # Thai
                "\u0f56\u0f66\u0f92\u0fb2\u0f74\u0f56\u0f66",         # Tibetan, a stack of 3
                "\U0001f44d\U0001f3fd\U0001f469\U0001f3ff",             # emoji with skin tones
                "\u1100\u1161\u11a8",                              # conjoining Hangul jamo
                "Z\u0301\u0330\u0308a\u0303\u0324\u0331"]             # 3 on each of two letters


def combining_marks_page(tmp):
    """An id of "Z" and 29 combining marks drew them over the ids of the rows
    below.  A name shows at most 3 marks on one character and each one
    after them as its escape, so it hides nothing from a reader, and a cell
    or a group's heading holding a name clips what is drawn beyond it;
    names of scripts that write marks (MARKED_NAMES) are shown as they are.
    In Chromium, what the id draws stays within its cell: the screenshot
    differs from one with the id hidden only inside the id's cell."""
    rules = ('[scheme]\nname = "z"\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n'
             '[[grade]]\nname = "D"\n[rule.fine]\npoints = -30\nflag = "red"\n')
    group = "g\u0301\u0302\u0303\u0304\u0306"
    names = [ZALGO, "a0001", "a0002", "a0003"] + MARKED_NAMES
    log = "id,subject,type,ts,group\n" + "".join(
        "f%d,%s,fine,2025-03-02,%s\n" % (i, who, group) for i, who in enumerate(names))
    text = case_page(tmp, "marks", rules, log)
    esc = lambda s: "".join('<span class="esc">\\u%04x</span>' % ord(c) for c in s)
    cell = '<td class="id"><bdi>%s%s</bdi></td>' % (ZALGO[:4], esc(ZALGO[4:]))
    check(text.count(cell) == 1, "marks: the id shows 3 marks on its Z and the 26 after them "
          "as escapes: %r" % re.findall(r'<td class="id"><bdi>Z.{0,80}', text)[:1])
    heading = '<h3><bdi>%s%s</bdi></h3>' % (group[:4], esc(group[4:]))
    check(heading in text and '<td class="id"><bdi>%s%s</bdi></td>' % (group[:4], esc(group[4:]))
          in text, "marks: a group's name shows its fourth and fifth marks as escapes")
    for who in MARKED_NAMES:
        check('<td class="id"><bdi>%s</bdi></td>' % html.escape(who) in text,
              "marks: %r (%s) is shown as it is" % (who, " ".join("%04x" % ord(c) for c in who)))
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    clipped = [sel for sel, body in re.findall(r"([^{}]+)\{([^{}]*)\}", style)
               if re.search(r"overflow:\s*hidden", body)]
    check(any("td.id" in sel.split(",") for sel in clipped)
          and any(".group h3" in sel.split(",") for sel in clipped),
          "marks: a name's cell and a group's heading clip what is drawn beyond them: %s" % clipped)
    # in Chromium: the id's ink stays in its cell
    row = '<tr data-subject="%s"><td class="id"><bdi' % ZALGO
    check(text.count(row) == 1, "marks: the id's row is on the list")
    probe = text.replace(row, row + ' data-probe="1"', 1)
    shots = {}
    for name, page in (("shot", probe), ("bare", probe.replace(
            'data-probe="1"', 'data-probe="1" style="visibility:hidden"', 1))):
        path = os.path.join(tmp, "marks-%s.html" % name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        png = os.path.join(tmp, "marks-%s.png" % name)
        rc, _, _ = chromium(["--screenshot=" + png, "--window-size=1000,1600", "file://" + path],
                            tmp, "marks " + name)
        shots[name] = png_pixels(png) if rc == 0 and os.path.exists(png) else None
    path = os.path.join(tmp, "marks-box.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(probe.replace("</body>", "<script>%s</script></body>" % CELL_BOX_JS))
    rc, dom, _ = chromium(["--dump-dom", "--window-size=1000,1600", "file://" + path], tmp,
                          "marks box")
    m = re.search(r'<pre id="civic-box">(.*?)</pre>', dom.decode("utf-8"), re.S)
    if not check(m and shots["shot"] and shots["bare"], "marks: the page was drawn and measured"):
        return
    l, t, r, b = json.loads(m.group(1))
    box = (math.floor(l), math.floor(t), math.ceil(r), math.ceil(b))
    w, h, ch, rows = shots["shot"]
    stray = ink_outside(rows, shots["bare"][3], box, ch)
    check(not stray, "marks: the id draws nothing outside its cell %s: %d pixels, first %s"
          % (box, len(stray), stray[:3]))
    check(ink_outside(rows, shots["bare"][3], (0, 0, 0, 0), ch),
          "marks: hiding the id changes the screenshot (it is in the window)")


def unnamed_scheme_page(tmp):
    """A scheme without a name ([scheme] has no name) is called what the
    table and the JSON call it, in the title and the heading alike: an
    "unnamed scheme" (the page said "community credit", a name nobody
    gave).  A scheme named so is still isolated as a name is."""
    body = ('base = 1000\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\nname = "D"\n'
            '[rule.fine]\npoints = -30\n')
    log = "id,subject,type,ts\nf1,s1,fine,2025-03-02\n"
    for name, title, h1 in (
            (None, "Public notice: unnamed scheme", "<h1>Public notice: unnamed scheme</h1>"),
            ("unnamed scheme", "Public notice: \u2068unnamed scheme\u2069",
             "<h1>Public notice: <bdi>unnamed scheme</bdi></h1>")):
        rules = "[scheme]\n" + ('name = "%s"\n' % name if name else "") + body
        rules_path, log_path = write_case(tmp, "unnamed", rules, log)
        raw = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", log_path],
                             check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
        got = re.search(r"<title>(.*?)</title>", raw, re.S)
        check(got and got.group(1) == title, "unnamed: the title of a scheme named %r is %r: %r"
              % (name, title, got.group(1) if got else None))
        check(h1 in raw, "unnamed: the heading of a scheme named %r is %r: %r"
              % (name, h1, re.findall(r"<h1>.*?</h1>", raw)))
        check("community credit" not in raw, "unnamed: no name the scheme does not have")
        table = subprocess.run([ARGS.cli, "-r", rules_path, log_path], check=True,
                               capture_output=True, timeout=60).stdout.decode("utf-8")
        check(table.startswith('"unnamed scheme" scheme,' if name else "unnamed scheme,"),
              "unnamed: the table calls it so too: %r" % table.splitlines()[0])


def hidden_cell_pages(tmp):
    """Two logs that differ only inside a small cell (s1 of south, a group
    of 2, is a court defaulter in one and recycles in the other; the lists
    then name nobody in either) give the same page, byte for byte: an empty
    list and one holding only hidden members must look alike."""
    base = [l for l in SMALL_LOG.splitlines(True) if not l.startswith(("e5,", "e9,"))]
    pages = []
    for kind in ("court_defaulter", "recycling"):
        log = os.path.join(tmp, "hidden-%s.csv" % kind)
        with open(log, "w") as f:
            f.write("".join(l.replace("e7,s1,court_defaulter,", "e7,s1,%s," % kind)
                            for l in base))
        pages.append(subprocess.run([ARGS.cli, "-f", "html", "--groups", "1", "-t",
                                     "2025-06-30", log], check=True, capture_output=True,
                                    timeout=60).stdout)
    check(b'data-subject="s1"' not in pages[0]
          and b'data-list="dishonest">Nobody is named.' in pages[0],
          "hidden cell: the defaulter's list names nobody and says so")
    check(pages[0] == pages[1], "hidden cell: a page does not tell whether a member of a "
          "small cell is listed (the two pages differ)")


def small_groups_counted(tmp):
    """20,000 residents each in a group of their own gave 20,000 sections
    saying "Fewer than 5 residents: not shown." (3.1 MB, over a thousand
    printed pages, each a group's name): the groups under --min-group are
    counted in one sentence, and the page does not grow with them.  By
    hand: 1, 2 and 300 singletons beside north, a group of 5 (n1..n5), at
    --min-group 5; and 2 singletons alone, where no group is shown."""
    def page(singletons, with_north=True, min_group=5):
        log = os.path.join(tmp, "singletons-%d-%s.csv" % (singletons, with_north))
        with open(log, "w") as f:
            f.write("id,subject,type,ts,qty,group\n")
            for i in range(5 if with_north else 0):
                f.write("n%d,n%d,recycling,2025-05-01,1,north\n" % (i, i))
            for i in range(singletons):
                f.write("s%d,s%d,recycling,2025-05-01,1,home%05d\n" % (i, i, i))
        return subprocess.run([ARGS.cli, "-f", "html", "-t", "2025-06-30", "--min-group",
                               str(min_group), log], check=True, capture_output=True,
                              timeout=60).stdout.decode("utf-8")
    one, two, many = page(1), page(2), page(300)
    for n, raw in ((1, one), (2, two), (300, many)):
        p = Page()
        p.feed(raw)
        check(p.sections == ["north"], "singletons %d: north alone has a section: %s"
              % (n, p.sections[:5]))
        check(p.suppressed == n, "singletons %d: counted %s" % (n, p.suppressed))
        check("home0" not in raw, "singletons %d: no small group is named" % n)
    check('<p class="small" data-suppressed="1">1 group with fewer than 5 residents is not '
          'shown.</p>' in one, "singletons: one small group in words")
    check('<p class="small" data-suppressed="300">300 groups with fewer than 5 residents are '
          'not shown.</p>' in many, "singletons: 300 small groups in words")
    check(len(many) - len(two) == 2 * (len("300") - len("2")),   # the count, twice
          "singletons: 298 more small groups add nothing but digits (%d bytes more)"
          % (len(many) - len(two)))
    alone = page(2, with_north=False)
    p = Page()
    p.feed(alone)
    check(p.sections == [] and p.suppressed == 2 and 'class="groups"' not in alone
          and "No residents have records yet" not in alone,
          "singletons alone: no section, no empty grid, 2 groups counted: %s %s"
          % (p.sections, p.suppressed))
    check("groups with fewer than" not in page(2, min_group=1),
          "singletons under --min-group 1: every group shown, none counted")


def shallow_path_page(tmp):
    """lone is the one resident of east; at --groups 2 east is shallower than
    the depth, so lone is in the cell of residents in no group at depth 2
    (with u1..u5: six, so named), and the row must show that cell (no group),
    not "east", which --groups 1 hides as a cell of one."""
    log = os.path.join(tmp, "shallow.csv")
    with open(log, "w") as f:
        f.write("id,subject,type,ts,qty,group\n"
                "e0,lone,court_defaulter,2025-05-01,,east\n"
                + "".join("u%d,u%d,recycling,2025-05-02,1,\n" % (i, i) for i in range(1, 6))
                + "".join("n%d,n%d,recycling,2025-05-03,1,north/b1/g%d\n" % (i, i, i)
                          for i in range(1, 6)))
    rows = {}
    for depth in (1, 2):
        raw = subprocess.run([ARGS.cli, "-f", "html", "--groups", str(depth), "-t",
                              "2025-06-30", log], check=True, capture_output=True,
                             timeout=60).stdout.decode("utf-8")
        page = Page()
        page.feed(raw)
        rows[depth] = page.cells.get(("dishonest", "lone"))
    check(rows[1] is None, "shallow: --groups 1 does not name lone (east is a cell of one)")
    check(rows[2] is not None and rows[2][1] == "",
          "shallow: --groups 2 names lone in no group, not in east: %s" % (rows[2],))


def list_times_page(tmp):
    """A list's since and until are dates, with the local time of day when
    it is not midnight: "until 2030-05-01" alone would not say whether the
    resident is listed on that day.  court_defaulter flags dishonest, valid
    and retained 5y, in the scheme's +08:00."""
    log = os.path.join(tmp, "times.csv")
    with open(log, "w") as f:
        f.write("id,subject,type,ts,group\n"
                "d1,t1,court_defaulter,2025-05-01T15:30:00,north\n"
                "d2,t2,court_defaulter,2025-05-02,north\n"
                "d3,t3,court_defaulter,2025-05-03T08:15:45,north\n"
                "d4,t4,court_defaulter,2025-05-04T00:00:00+08:00,north\n"
                "d5,t5,court_defaulter,2025-05-04T16:00:00Z,north\n")
    raw = subprocess.run([ARGS.cli, "-f", "html", "-t", "2025-06-30", log], check=True,
                         capture_output=True, timeout=60).stdout.decode("utf-8")
    page = Page()
    page.feed(raw)
    want = {"t1": ["2025-05-01 15:30", "2030-05-01 15:30"],
            "t2": ["2025-05-02", "2030-05-02"],
            "t3": ["2025-05-03 08:15:45", "2030-05-03 08:15:45"],
            "t4": ["2025-05-04", "2030-05-04"],
            "t5": ["2025-05-05", "2030-05-05"]}      # 16:00Z is midnight at +08:00
    for subject, (since, until) in want.items():
        row = page.cells.get(("dishonest", subject))
        check(row is not None and row[-2:] == [since, until],
              "list times: %s since %s until %s: %s" % (subject, since, until, row))
    check("As of 2025-06-30." in raw, "list times: the as-of of midnight is a date")
    # a listing without end: "no end", as the Object before column says it
    # ("open" read as open to what?)
    rules, log = write_case(tmp, "list-no-end",
                            '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n'
                            '[rule.bad]\npoints = -10\nflag = "blacklist"\nvalid = "forever"\n',
                            "id,subject,type,ts\nb1,s1,bad,2025-01-01\n")
    page = Page()
    page.feed(page_html(rules, log, "2025-06-30"))
    row = page.cells.get(("blacklist", "s1"))
    check(row is not None and row[-2:] == ["2025-01-01", "no end"],
          "list times: a listing without end reads no end: %s" % row)


def list_marks_page(tmp):
    """A row of a flag's list is marked as the entries that put the resident
    there stand at the page's time, in the words of the record and the
    posted table: contested when every one of them has an objection still
    to be decided, corrected when a correction has put every one of them
    right (a row of the black list showed neither).  Worked by hand (page
    of 2025-07-01, window 15 days): s1's d1 is objected to in time:
    contested; s2's objection is dismissed, s5's late: no mark; s3 is
    listed also by an entry nobody objected to (f3): no mark, upholding the
    objection would not take s3 off; s4's d4 is corrected; s6's d6 both.
    Each mark is explained under its list.  Under contested = "suspend" d1
    and d6 have no effect: s1 and s6 are not listed, s3 is by f3 alone
    (until 2026-05-02), and nothing is marked contested.  The
    CLI's --list CSV keeps its columns."""
    rules = ('[scheme]\nbase = 1000\nobjection_window = "15d"\ncontested = "%s"\n'
             '[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
             '[rule.defaulter]\npoints = 0\nceiling = 599\nfreeze = true\nflag = "dishonest"\n'
             'valid = "5y"\n[rule.fine]\npoints = -10\nflag = "dishonest"\nvalid = "1y"\n'
             '[measure.no_subsidy]\nkind = "restriction"\nflag = "dishonest"\n')
    log = ("id,subject,type,ts,ref\n"
           "d1,s1,defaulter,2025-05-01,\no1,s1,object,2025-05-05,d1\n"
           "d2,s2,defaulter,2025-05-01,\no2,s2,object,2025-05-05,d2\nx2,s2,dismiss,2025-05-10,o2\n"
           "d3,s3,defaulter,2025-05-01,\no3,s3,object,2025-05-05,d3\nf3,s3,fine,2025-05-02,\n"
           "d4,s4,defaulter,2025-05-01,\nc4,s4,correct,2025-06-01,d4\n"
           "d5,s5,defaulter,2025-05-01,\no5,s5,object,2025-06-01,d5\n"
           "d6,s6,defaulter,2025-05-01,\no6,s6,object,2025-05-03,d6\nc6,s6,correct,2025-06-01,d6\n")
    until = "2030-05-01"
    for mode, want in (("mark", {"s1": until + ", contested", "s2": until, "s3": until,
                                 "s4": until + ", corrected", "s5": until,
                                 "s6": until + ", contested, corrected"}),
                       # d1 and d6 suspended: s1 and s6 unlisted, s3 by f3 alone (1 year)
                       ("suspend", {"s2": until, "s3": "2026-05-02",
                                    "s4": until + ", corrected", "s5": until})):
        rules_path, log_path = write_case(tmp, "list-marks-" + mode, rules % mode, log)
        raw = page_html(rules_path, log_path, "2025-07-01")
        page = Page()
        page.feed(raw)
        got = {subject: row[-1] for (name, subject), row in page.cells.items()
               if name == "dishonest"}
        check(got == want, "list marks (%s): each listing as its entries stand: %s, not %s"
              % (mode, got, want))
        table = re.search(r'<table data-list="dishonest".*?</table>', raw, re.S)
        table = table.group(0) if table else ""
        check(table.count('<span data-mark="contested">contested</span>')
              == sum("contested" in v for v in want.values())
              and table.count('<span data-mark="corrected">corrected</span>')
              == sum("corrected" in v for v in want.values()),
              "list marks (%s): a mark in the posted table's markup" % mode)
        measure = re.search(r'<table data-list="no_subsidy".*?</table>', raw, re.S)
        check(measure and "data-mark" not in measure.group(0),
              "list marks (%s): a measure's list carries no mark" % mode)
        lists = raw.split('<h2 id="lists">')[-1]
        contested = ('<p data-contested="1">A listing marked contested rests on entries with an '
                     'objection to them still to be decided: it stands all the same, unless the '
                     'objection is upheld.</p>')
        corrected = ('<p data-corrected="1">A listing marked corrected rests on entries whose '
                     'wrong has been put right: a score ceiling or a freeze of theirs no longer '
                     'applies, but the flag stays as the Until column says.</p>')
        check((contested in lists) == (mode == "mark") and lists.count(corrected) == 1,
              "list marks (%s): each mark is explained once under its list" % mode)
        # the record marks what the list marks
        for subject, cell in want.items():
            rec = json.loads(subprocess.run(
                [ARGS.cli, "-f", "json", "-t", "2025-07-01", "--explain", subject, "-r",
                 rules_path, log_path], check=True, capture_output=True, timeout=60).stdout)
            held = [x for x in rec["entries"] if x["state"] == "active"
                    and x["type"] in ("defaulter", "fine")]
            check(held and all(x["contested"] for x in held) == ("contested" in cell)
                  and all(x["corrected"] for x in held) == ("corrected" in cell),
                  "list marks (%s): %s's record agrees: %s" % (mode, subject, held))
        # the CSV of --list is a contract: no column added
        listed = subprocess.run([ARGS.cli, "-f", "csv", "-t", "2025-07-01", "--list",
                                 "dishonest", "-r", rules_path, log_path], check=True,
                                capture_output=True, timeout=60).stdout.decode()
        check(listed.splitlines()[0] == "subject,group,score,grade,since,until"
              and "contested" not in listed and "corrected" not in listed,
              "list marks (%s): --list's CSV keeps its columns: %r" % (mode, listed[:80]))


def objection_texts_documented(tmp):
    """What the page says of objections is in the manual word for word (the
    notice page's section of docs/evaluation.md): the sentence under its
    heading, the scheme's, the one above the posted table (with a window of
    15 days and without one) and the notes under the posted table and a
    flag's list.  "Residents may object to an entry at the community
    office." was in no part of the manual."""
    with open(os.path.join(REPO, "docs", "evaluation.md"), encoding="utf-8") as f:
        manual = f.read()
    manual = manual.split("### The public notice page")[-1].split("\n### ")[0]
    manual = re.sub(r"\s+", " ", manual)
    rules = ('[scheme]\nbase = 1000\n%s[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
             '[rule.defaulter]\npoints = 0\nceiling = 599\nfreeze = true\nflag = "dishonest"\n'
             'valid = "5y"\npublicity = "7d"\n')
    log = ("id,subject,type,ts,ref\n"
           "d1,s1,defaulter,2025-05-01,\no1,s1,object,2025-05-05,d1\n"
           "d2,s2,defaulter,2025-05-01,\nc2,s2,correct,2025-06-01,d2\n"
           "d3,s3,defaulter,2025-06-28,\no3,s3,object,2025-06-29,d3\n")
    texts = []
    for window in ('objection_window = "15d"\n', ""):
        rules_path, log_path = write_case(tmp, "objection-texts-%d" % len(window),
                                          rules % window, log)
        raw = page_html(rules_path, log_path, "2025-07-01")
        words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", "", raw)))
        texts.append("Residents may object to an entry at the community office.")
        scheme = re.search(r"(An entry may be contested [^;]*); (while contested [^.]*\.)", words)
        posted = re.search(r"A resident may object to one at the community office[^<]*?\.(?= *$|"
                           r"\s*Resident)", words)
        check(scheme and posted, "objection texts: the page says them: %s %s" % (scheme, posted))
        texts += [scheme.group(1), scheme.group(2), posted.group(0)] if scheme and posted else []
        for key in ("contested", "corrected"):
            texts += [re.sub(r"<[^>]*>", "", t)
                      for t in re.findall(r'<p data-%s="1">(.*?)</p>' % key, raw)]
    check(len(texts) >= 13, "objection texts: every kind was met: %d" % len(texts))
    for t in texts:
        check(t in manual, "objection texts: the manual says %r" % t)


def posted_page(tmp):
    """Entries in their publicity period are posted (honour_* are posted for
    7 days in the built-in scheme): at 2025-06-30 h1 (06-25) and h3 (dated
    that very instant) count from 07-02 and 07-07, so they are listed; h2
    (06-20) counts since 06-27 and h4 is revoked, so they are not; hs, in
    south (a cell of one), is posted but not named unless --min-group 1. A
    scheme without publicity has no such section (version 1's)."""
    log = os.path.join(tmp, "posted.csv")
    with open(log, "w") as f:
        f.write("id,subject,type,ts,qty,ref,group\n"
                "h1,n1,honour_city,2025-06-25,,,north\n"
                "h2,n2,honour_city,2025-06-20,,,north\n"
                "h3,n3,honour_district,2025-06-30,,,north\n"
                "h4,n4,honour_city,2025-06-28,,,north\n"
                "v4,n4,revoke,2025-06-29,,h4,\n"
                "r5,n5,recycling,2025-06-01,1,,north\n"
                "r6,n6,recycling,2025-06-01,1,,north\n"   # n4's group went with h4
                "r7,n7,recycling,2025-06-01,1,,north\n"
                "hs,s1,honour_community,2025-06-29,,,south\n")

    def posted(*extra):
        raw = subprocess.run([ARGS.cli, "-f", "html", "-t", "2025-06-30"] + list(extra) + [log],
                             check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
        # an event's id (a case or ticket number) is on no public page, not
        # even in an attribute (it was, as data-entry, on every posted row)
        events = {"h1", "h2", "h3", "h4", "v4", "r5", "r6", "r7", "hs"}
        check(not events & set(re.findall(r'="([^"]*)"', raw)) and "data-entry" not in raw,
              "posted: no event id in the page's attributes: %s"
              % sorted(events & set(re.findall(r'="([^"]*)"', raw))))
        check(not events & set(re.findall(r">([^<]*)<", raw)),
              "posted: no event id in the page's text")
        return raw, set(posted_rows(raw, log))

    raw, got = posted()
    check(got == {"h1", "h3"}, "posted: the entries in their publicity period, named: %s" % got)
    check("<td>h1</td>" not in raw and "2025-07-02" in raw and "2025-07-07" in raw,
          "posted: each with the date it counts from")
    check("Entries of residents of groups with fewer than 5 members are not named" in raw,
          "posted: says that a small cell's entries are not named")
    raw, got = posted("--min-group", "1")
    check(got == {"h1", "h3", "hs"}, "posted: --min-group 1 names every resident: %s" % got)
    raw, got = posted("-r", os.path.join(REPO, "examples", "data", "community-1.0.toml"))
    check('id="posted"' not in raw and not got, "posted: no section for a scheme without publicity")
    # at 2025-08-01 nothing is posted: the section says so, and no text
    # explains a table's columns above no table
    raw = subprocess.run([ARGS.cli, "-f", "html", "--min-group", "1", "-t", "2025-08-01", log],
                         check=True,
                         capture_output=True, timeout=60).stdout.decode("utf-8")
    section = re.search(r'<h2 id="posted">.*?(?=<h2 )', raw, re.S)
    check(section and section.group(0) == '<h2 id="posted">Posted before they count</h2>\n'
          '<p data-posted="0">No entry is posted now.</p>\n',
          "posted: an empty section holds its heading and 'No entry is posted now.' alone: %r"
          % (section.group(0) if section else None))
    # a scheme of one grade: its grade is had from any score, not from "below"
    one = os.path.join(tmp, "one-grade.toml")
    with open(one, "w") as f:
        f.write('[scheme]\nbase = 0\n[[grade]]\nname = "A"\n[rule.x]\npoints = 1\n')
    raw = subprocess.run([ARGS.cli, "-r", one, "-f", "html", "-"], input=b"id,subject,type,ts\n"
                         b"e1,s1,x,2025-01-01\n", check=True, capture_output=True,
                         timeout=60).stdout.decode("utf-8")
    grades = re.search(r'<table data-table="grades".*?</table>', raw, re.S)
    check(grades and '<td class="n">any score</td>' in grades.group(0)
          and "below" not in grades.group(0),
          "posted: one grade is shown from any score: %r" % (grades.group(0) if grades else None))



def write_case(tmp, name, rules_text, log_text):
    """A case's rules file and log in tmp: (rules path, log path)."""
    paths = (os.path.join(tmp, name + ".toml"), os.path.join(tmp, name + ".csv"))
    for path, text in zip(paths, (rules_text, log_text)):
        with open(path, "w") as f:
            f.write(text)
    return paths


def case_page(tmp, name, rules_text, log_text):
    """The page civic-score makes of a case (write_case) at --min-group 1."""
    rules_path, log_path = write_case(tmp, name, rules_text, log_text)
    return subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", "--min-group", "1",
                           log_path], check=True, capture_output=True,
                          timeout=60).stdout.decode("utf-8")


def undated(row):
    """A row's HTML without the box that keeps a date among words whole
    (<span class="d">): its cells' texts as they read."""
    return re.sub(r'<span class="d">([^<]*)</span>', r"\1", row)


def page_time(ts):
    """A log's ts (local: no offset, as the logs here write it) as the page
    shows it: its date, and its time of day when it is not midnight (to the
    minute when the seconds are 0)."""
    date, _, time_of_day = ts.partition("T")
    time_of_day = time_of_day[:8]
    if not time_of_day or time_of_day == "00:00:00":
        return date
    return date + " " + (time_of_day[:5] if time_of_day.endswith(":00") else time_of_day)


def posted_rows(raw, log):
    """The rows of a page's posted table by the id of the entry each shows.
    The page names no event id: a row is found by its resident, rule and
    date, looked up in the log (whose entries here differ in one of them).
    Each row: {"html": the row, "cells": each cell's text by its column}."""
    ids = {}
    with open(log, newline="", encoding="utf-8") as f:
        for e in csv.DictReader(f):
            key = (e["subject"], e["type"], page_time(e["ts"]))
            check(key not in ids, "posted rows: one entry of the log is %s" % (key,))
            ids[key] = e["id"]
    table = re.search(r'<table data-table="posted".*?</table>', raw, re.S)
    if not table:
        return {}
    heads = re.findall(r'<th scope="col">([^<]*)</th>', table.group(0))
    rows = {}
    for row in re.findall(r"<tr data-subject=.*?</tr>", table.group(0), re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        texts = [html.unescape(re.sub(r"<[^>]*>", "", undated(c))) for c in cells]
        by = dict(zip(heads, texts))
        rule = html.unescape(re.sub(r"<[^>]*>", "", cells[2].split("<br>")[0]))
        key = (by.get("Resident"), rule, by.get("Dated"))
        entry = ids.get(key)
        check(entry is not None and entry not in rows,
              "posted rows: the row of %s is one entry of the log" % (key,))
        rows[entry] = {"html": row, "cells": by}
    return rows


def page_html(rules, log, as_of):
    """civic-score's notice page at as_of, every group named (--min-group 1)."""
    return subprocess.run([ARGS.cli, "-f", "html", "-t", as_of, "--min-group", "1", "-r", rules,
                           log], check=True, capture_output=True, timeout=60).stdout.decode("utf-8")


def posted_repaired_at_its_balance_effect(tmp):
    """A repaired entry posted as counting on the balance only shows what it
    will take from the balance: escalated as a repeat offence (d2: -10 x 2 =
    -20, by hand) or capped (h2: a cap of 15 a month after h1's 10 leaves 5).
    It showed the rule's points (-10, 10), where the page says a repeat
    offence and a cap are taken into account."""
    rules, log = write_case(
        tmp, "posted-balance",
        '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
        '[rule.dog]\npoints = -10\nvalid = "1y"\nrepeat_factor = 2\npublicity = "7d"\n'
        '[rule.help]\npoints = 10\ncap = 15\ncap_period = "month"\npublicity = "7d"\n',
        "id,subject,type,ts,ref\n"
        "d1,r1,dog,2022-03-01,\nd2,r1,dog,2022-03-05,\nq1,r1,repair,2022-03-05T12:00:00,d2\n"
        "h1,r2,help,2022-03-02,\nh2,r2,help,2022-03-03,\nq2,r2,repair,2022-03-05,h2\n")
    raw = page_html(rules, log, "2022-03-06")
    rows = posted_rows(raw, log)

    def cells(entry):
        return list(rows[entry]["cells"].values()) if entry in rows else []

    check("-20.00" in cells("d2") and "2022-03-12, on the balance only (repaired)" in cells("d2"),
          "posted: a repaired repeat offence at its escalated balance effect: %r" % cells("d2"))
    check("5.00" in cells("h2") and "2022-03-10, on the balance only (repaired)" in cells("h2"),
          "posted: a repaired capped addition at its capped balance effect: %r" % cells("h2"))
    # with a balance that starts again every month, a later pending entry of
    # the same resident (h1, counting in April) does not make the repaired
    # fine's effect that of April's balance (it showed 0.00)
    rules2, log2 = write_case(
        tmp, "posted-balance-reset",
        '[scheme]\nbase = 1000\nbalance_reset = "month"\n[[grade]]\nname = "A"\nmin = 900\n'
        '[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\nvalid = "1y"\npublicity = "7d"\n'
        '[rule.honour]\npoints = 5\nvalid = "1y"\npublicity = "40d"\n',
        "id,subject,type,ts,ref\nf1,s1,fine,2024-03-01,\nr1,s1,repair,2024-03-02,f1\n"
        "h1,s1,honour,2024-03-01,\n")
    raw2 = page_html(rules2, log2, "2024-03-03")
    row = posted_rows(raw2, log2).get("f1")
    cells2 = list(row["cells"].values()) if row else []
    check("-10.00" in cells2, "posted: a repaired entry's balance effect is of its own eff, "
          "not of a later balance period: %r" % cells2)
    # what the page foretold is what the engine does once they count
    for subject, entry, want in (("r1", "d2", -20.0), ("r2", "h2", 5.0)):
        rec = json.loads(subprocess.run([ARGS.cli, "-f", "json", "-t", "2022-03-20", "--explain",
                                         subject, "-r", rules, log], check=True,
                                        capture_output=True, timeout=60).stdout)
        e = [x for x in rec["entries"] if x["id"] == entry]
        check(len(e) == 1 and e[0]["state"] == "repaired" and e[0]["to_balance"] == want,
              "posted: %s takes %s from the balance once it counts: %s" % (entry, want, e))


def objections_late_from(shown):
    """The log's local ts of the instant an Object before cell shows (a date
    alone is its midnight), as a datetime."""
    for form in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(shown, form)
        except ValueError:
            pass
    return None


def posted_says_when_objections_close(tmp):
    """Each posted row says when objections to it close, as the instant the
    engine counts to (an objection at it is late): "within 15 days of its
    date in the Dated column" was read as the 15th day after it included,
    and an objection on that day had no effect.  Worked by hand, then each
    instant checked against the engine (an objection a second before it
    applied, one at it late).  15 days (at +08:00): f1 of 06-26 closes at
    07-11 (midnight: the last day is 07-10); f2 of 06-26 15:30 at 07-11
    15:30; f3 of 06-10 at 06-25, closed at the page's time (still posted:
    it counts from 07-10); w4, posted 7 days, counts from 07-03 and stays
    open to objections until 07-11, after it has left the table."""
    head = ('[scheme]\nbase = 1000\nutc_offset = "+08:00"\nobjection_window = "%s"\n'
            '[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
            '[rule.fine]\npoints = -10\npublicity = "30d"\n'
            '[rule.warn]\npoints = -1\npublicity = "7d"\n')
    cases = [
        ("15d", "2025-07-01",
         "id,subject,type,ts\nf1,s1,fine,2025-06-26\nf2,s2,fine,2025-06-26T15:30:00\n"
         "f3,s3,fine,2025-06-10\nw4,s4,warn,2025-06-26\n",
         {"f1": "2025-07-11", "f2": "2025-07-11 15:30", "f3": "2025-06-25, closed",
          "w4": "2025-07-11"},
         "15 days after its date and time in the Dated column"),
        # a month to the same time of day, on the month's last day when it
        # is shorter (01-31 + 1 month: 02-29 of a leap year); seconds shown
        ("1m", "2024-02-01",
         "id,subject,type,ts\nf1,s1,fine,2024-01-31T09:30:00\nf2,s2,fine,2024-01-15T23:59:30\n",
         {"f1": "2024-02-29 09:30", "f2": "2024-02-15 23:59:30"},
         "1 month after its date and time in the Dated column"),
        ("1y", "2024-03-01",
         "id,subject,type,ts\nf1,s1,fine,2024-02-29T08:00:00\n",
         {"f1": "2025-02-28 08:00"}, "1 year after its date and time in the Dated column"),
        # the end of a quarter: the local midnight that starts the next one
        ("end-of-quarter", "2024-03-20",
         "id,subject,type,ts\nf1,s1,fine,2024-03-10T10:00:00\nf2,s2,fine,2024-02-28\n",
         {"f1": "2024-04-01", "f2": "2024-04-01"},
         "the start of the quarter after the one it is dated in"),
    ]
    for window, at, log_text, want, said in cases:
        rules, log = write_case(tmp, "posted-window-" + window, head % window, log_text)
        raw = page_html(rules, log, at)
        rows = posted_rows(raw, log)
        got = {k: v["cells"].get("Object before") for k, v in rows.items()}
        check(got == want, "posted %s: each row says when objections close: %s, not %s"
              % (window, got, want))
        check('<th scope="col">Dated</th><th scope="col">Object before</th>'
              '<th scope="col">Counts from</th>' in raw,
              "posted %s: an Object before column after the Dated one" % window)
        words = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", "", raw)))
        check("A resident may object to one at the community office before the moment in its "
              "Object before column: %s. A date there without a time of day means midnight at "
              "the start of that day, so the last day to object is the day before. Objections "
              "stay open until that moment even if the entry has started to count and left "
              "this table by then; the column says closed once it has passed, and an "
              "objection made later has no effect." % said in words,
              "posted %s: the sentence says objections close at the column's moment, and "
              "stay open after the entry leaves the table" % window)
        check("within" not in words.split("Posted before they count")[-1],
              "posted %s: no \"within\" to read as the last day included" % window)
        # the engine agrees: an objection a second before the moment stands,
        # one at the moment is late
        objections = ""
        for entry, shown in got.items():
            close = objections_late_from((shown or "").replace(", closed", ""))
            if close is None:
                check(False, "posted %s: %s's moment %r reads as a time" % (window, entry, shown))
                continue
            subject = rows[entry]["cells"]["Resident"]
            for tag, t in (("in", close - datetime.timedelta(seconds=1)), ("late", close)):
                objections += "%s-%s,%s,object,%s,%s\n" % (tag, entry, subject,
                                                           t.strftime("%Y-%m-%dT%H:%M:%S"), entry)
        body = "".join(line + ",\n" for line in log_text.splitlines()[1:])
        rules2, log2 = write_case(tmp, "posted-window-%s-objected" % window, head % window,
                                  "id,subject,type,ts,ref\n" + body + objections)
        for entry in got:
            subject = rows[entry]["cells"]["Resident"]
            rec = json.loads(subprocess.run(
                [ARGS.cli, "-f", "json", "-t", "2030-01-01", "--explain", subject, "-r", rules2,
                 log2], check=True, capture_output=True, timeout=60).stdout)
            states = {x["id"]: x["state"] for x in rec["entries"]}
            check((states.get("in-" + entry), states.get("late-" + entry)) == ("applied", "late"),
                  "posted %s: an objection to %s a second before %s is applied, one at it late: "
                  "%s" % (window, entry, got[entry], states))
    # without a window, objections never close: said once, no column of "never"
    rules, log = write_case(
        tmp, "posted-nowindow",
        '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n'
        '[[grade]]\nname = "B"\n[rule.fine]\npoints = -10\npublicity = "7d"\n',
        "id,subject,type,ts\nf1,s,fine,2022-03-01\n")
    raw = page_html(rules, log, "2022-03-07")
    check("A resident may object to one at the community office at any time, before or after "
          "it starts to count: the scheme sets no time limit for objections.</p>" in raw,
          "posted: without an objection window the page says objections never close")
    check("Object before" not in raw and list(posted_rows(raw, log)) == ["f1"],
          "posted: no Object before column without an objection window")
    # posted in the last days the engine keeps: its publicity and its
    # objections end past year 9999, which no as-of reaches (both columns
    # said so in words, not in raw seconds)
    rules, log = write_case(
        tmp, "posted-year-9999", head % "30d", "id,subject,type,ts\nf1,s,fine,9999-12-20\n")
    cells = posted_rows(page_html(rules, log, "9999-12-25"), log).get("f1", {}).get("cells", {})
    check((cells.get("Object before"), cells.get("Counts from")) == ("no end", "after year 9999"),
          "posted: an entry posted in 9999-12 objects and counts past year 9999, in words: %s"
          % cells)


def posted_contested(tmp):
    """Under contested = "mark" an entry in its publicity period with an
    objection standing against it is posted marked contested, as its record
    marks it (it was a plain entry under the invitation to object), and the
    mark is explained under the table: f1 (objected to on 06-12, within the
    5 days) is; f2 (its objection dismissed), f3 (objected to after the
    window: late) and f4 (none) are not.  Under "suspend" f1 is suspended,
    not pending, and not posted; nothing is marked."""
    rules = ('[scheme]\nbase = 1000\nobjection_window = "5d"\ncontested = "%s"\n'
             '[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
             '[rule.fine]\npoints = -10\npublicity = "30d"\n')
    log = ("id,subject,type,ts,ref\n"
           "f1,s1,fine,2025-06-10,\no1,s1,object,2025-06-12,f1\n"
           "f2,s2,fine,2025-06-10,\no2,s2,object,2025-06-11,f2\nx2,s2,dismiss,2025-06-13,o2\n"
           "f3,s3,fine,2025-06-10,\no3,s3,object,2025-06-20,f3\n"
           "f4,s4,fine,2025-06-10,\n")
    rows = {}
    for mode in ("mark", "suspend"):
        rules_path, log_path = write_case(tmp, "posted-contested-" + mode, rules % mode, log)
        raw = page_html(rules_path, log_path, "2025-06-30")
        rows[mode] = (raw, {k: v["html"] for k, v in posted_rows(raw, log_path).items()})
    raw, got = rows["mark"]
    check(sorted(got) == ["f1", "f2", "f3", "f4"],
          "posted contested: every entry pending under \"mark\" is posted: %s" % sorted(got))
    check(got.get("f1", "").endswith('<td><span class="d">2025-07-10</span>, '
                                     '<span data-mark="contested">contested</span></td></tr>'),
          "posted contested: f1, its objection standing, is marked contested after the date it "
          "counts from: %r" % got.get("f1", "")[-120:])
    check(all("contested" not in got.get(k, "-contested") for k in ("f2", "f3", "f4")),
          "posted contested: f2 (dismissed), f3 (late) and f4 are not marked: %s"
          % [got.get(k, "")[-60:] for k in ("f2", "f3", "f4")])
    check('<p data-contested="1">An entry marked contested has an objection to it still to be '
          'decided: it counts from the date in its Counts from column all the same, unless the '
          'objection is upheld.</p>'
          in raw, "posted contested: the mark is explained under the table")
    raw, got = rows["suspend"]
    check(sorted(got) == ["f2", "f3", "f4"] and "contested" not in "".join(got.values())
          and "data-contested" not in raw,
          "posted contested: under \"suspend\" f1 is not posted and nothing is marked: %s"
          % sorted(got))


def posted_repaired_or_frozen(tmp):
    """An entry repaired before it counts never counts on the score: it is
    not posted (f1); one whose rule also feeds the balance still counts
    there and is posted as such (a3); f2, not repaired, is posted.  An
    addition a freeze will hold is posted with that said (a4, a7, a8)."""
    rules, log = write_case(
        tmp, "posted-repair",
        '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
        '[rule.fine]\npoints = -50\npublicity = "7d"\naffects = "score"\n'
        '[rule.award]\npoints = 20\npublicity = "7d"\naffects = "both"\n'
        '[rule.default]\npoints = 0\nceiling = 599\nfreeze = true\nvalid = "5y"\n'
        '[rule.pfreeze]\npoints = 0\nfreeze = true\npublicity = "2d"\nvalid = "1y"\n'
        '[rule.late]\npoints = -1\nvalid = "1y"\naffects = "score"\n'
        '[[rule.late.change]]\nfrom = "2022-03-06T00:00:00Z"\nrecount = true\nfreeze = true\n',
        "id,subject,type,ts,ref\n"
        "f1,r1,fine,2022-03-01,\np1,r1,repair,2022-03-02,f1\n"
        "f2,r2,fine,2022-03-01,\n"
        "a3,r3,award,2022-03-01,\np3,r3,repair,2022-03-02,a3\n"
        # a freeze in effect holds an addition that would count
        # during it (a4), not once it is corrected (a5), and
        # not a deduction (f6)
        "d4,r4,default,2022-02-01,\na4,r4,award,2022-03-01,\n"
        "d5,r5,default,2022-02-01,\nc5,r5,correct,2022-02-15,d5\na5,r5,award,2022-03-01,\n"
        "d6,r6,default,2022-02-01,\nf6,r6,fine,2022-03-01,\n"
        # a freeze posted itself (d7, from 03-06) holds a7 (from
        # 03-08); so does a change that makes late freeze from
        # 03-06, counting again (a8); a repaired addition that a
        # freeze holds reaches not even the balance (a9)
        "d7,r7,pfreeze,2022-03-04,\na7,r7,award,2022-03-01,\n"
        "d8,r8,late,2022-02-01,\na8,r8,award,2022-03-01,\n"
        "d9,r9,default,2022-02-01,\na9,r9,award,2022-03-01,\np9,r9,repair,2022-03-02,a9\n")
    raw = subprocess.run([ARGS.cli, "-f", "html", "-t", "2022-03-05", "--min-group", "1",
                          "-r", rules, log],
                         check=True, capture_output=True, timeout=60).stdout.decode("utf-8")
    rows = posted_rows(raw, log)
    got = set(rows)
    check(got == {"f2", "a3", "a4", "a5", "f6", "d7", "a7", "a8"},
          "posted: an entry repaired before it counts is not posted: %s" % got)

    def note(entry):
        return rows[entry]["cells"]["Counts from"] if entry in rows else None

    check(note("a3") == "2022-03-08, on the balance only (repaired)" and note("f2") == "2022-03-08",
          "posted: a repaired entry that feeds the balance says it counts there only: %r %r"
          % (note("a3"), note("f2")))
    held = "2022-03-08, only if the freeze on this resident is lifted by then"
    check([note(x) for x in ("a4", "a5", "f6", "a7", "a8")]
          == [held, "2022-03-08", "2022-03-08", held, held],
          "posted: an addition a freeze would hold says so: %r"
          % [note(x) for x in ("a4", "a5", "f6", "a7", "a8")])
    # what the page foretold is what the engine does once they count
    for subject, entry, frozen in (("r4", "a4", True), ("r5", "a5", False), ("r7", "a7", True),
                                   ("r8", "a8", True), ("r9", "a9", True), ("r3", "a3", False)):
        rec = json.loads(subprocess.run([ARGS.cli, "-f", "json", "-t", "2022-03-09", "--explain",
                                         subject, "-r", rules, log], check=True,
                                        capture_output=True, timeout=60).stdout)
        e = [x for x in rec["entries"] if x["id"] == entry]
        check(len(e) == 1 and e[0]["frozen"] is frozen,
              "posted: %s is frozen once it counts: %s, not %s" % (entry, frozen, e))


def posted_notes_keep_their_dates(tmp):
    """A "Counts from" cell with a note (repaired: on the balance only; held
    by a freeze) keeps its date, and its time of day, on one line while the
    note wraps: at 375 px (a phone) and on a 90 mm sheet (340 px), as at
    320 px.  So does a rule's change row ("from 2026-03-10 09:30 (also for
    past events)")."""
    rules, log = write_case(
        tmp, "posted-notes",
        '[scheme]\nname = "m"\nbase = 1000\nutc_offset = "+08:00"\n[[grade]]\nname = "A"\n'
        'min = 1000\n[[grade]]\nname = "B"\n[rule.gift]\npoints = 10\npublicity = "7d"\n'
        '[rule.drunk]\npoints = -100\nfreeze = true\nvalid = "1y"\naffects = "score"\n'
        '[[rule.drunk.change]]\nfrom = "2026-03-10T09:30:00+08:00"\nrecount = true\n'
        'points = -120\n',
        "id,subject,type,ts,group,ref\ng1,q1,gift,2026-03-05,g,\nrp1,q1,repair,2026-03-06,g,g1\n"
        "d1,q3,drunk,2026-03-01,g,\ng3,q3,gift,2026-03-05T09:30:00,g,\n")
    raw = page_html(rules, log, "2026-03-07").encode("utf-8")
    text = re.sub(r"<[^>]*>", "", raw.decode("utf-8"))
    for want in ("2026-03-12, on the balance only (repaired)",
                 "2026-03-12 09:30, only if the freeze on this resident is lifted by then",
                 "from 2026-03-10 09:30 (also for past events)"):
        check(want in text, "posted notes: the page says %r" % want)
    for width, printed in ((320, False), (375, False), (340, True)):
        label = "posted notes at %d%s" % (width, " printed" if printed else "")
        got = layout(raw, tmp, "posted-notes", width, printed)
        if got is None:
            continue
        if not printed:   # on paper nothing scrolls: a six-column table runs past 90 mm
            check_readable(label, got)
        notes = [c for c in got["cells"] if re.search(r"only \(|only if|past events", c["text"])]
        check(len(notes) == 3, "%s: the three cells with notes were measured: %d"
              % (label, len(notes)))
        for c in got["cells"]:
            check(not c["split"], "%s: no date or points figure split in %r: %s"
                  % (label, c["text"][:60], c["split"]))
        check(any(c["lines"] > 1 for c in notes if "freeze" in c["text"]),
              "%s: the freeze note wraps (the cell is not kept on one line)" % label)


def posted_points_as_they_will_count(tmp):
    """A posted entry shows what it will count once it takes effect, as
    things stand at the page's time (worked by hand): a9 repeats a8 within
    its year, so it counts -20, not the rule's -10; v2 finds the monthly
    cap of 2 used by v1, so it counts 0.  x1 counts 2 on a page of 01-05;
    w0, dated 01-06 and counting at once in the same cap, leaves it 0 on a
    page of 01-07 -- and must not reach back into the page of 01-05."""
    rules, log = write_case(
        tmp, "posted-points",
        '[scheme]\nbase = 1000\nutc_offset = "+00:00"\n[[grade]]\nname = "A"\n'
        '[cap.month2]\nlimit = 2\nperiod = "month"\n'
        '[rule.finep]\npoints = -10\nvalid = "1y"\nrepeat_factor = 2\npublicity = "7d"\n'
        '[rule.volc]\npoints = 1\nper = "unit"\ncap_group = "month2"\npublicity = "7d"\n'
        '[rule.volq]\npoints = 1\nper = "unit"\ncap_group = "month2"\n',
        "id,subject,type,ts,qty\n"
        "a8,sE,finep,2023-12-20,\na9,sE,finep,2024-01-01,\n"
        "v1,sV,volc,2024-01-02,2\nv2,sV,volc,2024-01-03,2\n"
        "x1,sW,volc,2024-01-04,2\nw0,sW,volq,2024-01-06,2\n")

    def points(at):
        raw = subprocess.run([ARGS.cli, "-f", "html", "-t", at, "--min-group", "1", "-r", rules,
                              log], check=True, capture_output=True, timeout=60).stdout.decode()
        return raw, {k: v["cells"]["Points"] for k, v in posted_rows(raw, log).items()}

    raw, got = points("2024-01-05")
    check(got == {"a9": "-20.00", "v1": "2.00", "v2": "0.00", "x1": "2.00"},
          "posted: the points each entry will count: %s" % got)
    check("a repeat offence, a cap or one act counted once taken into account" in raw,
          "posted: the page says what the points take into account")
    raw, got = points("2024-01-07")
    check(got.get("x1") == "0.00", "posted: an event after the page's time is not foreseen, one "
          "before it is: %s" % got)


def posted_direct_grades(tmp):
    """A posted entry whose rule grades directly, freezes or flags says under
    its rule what it will do when it counts, in the words of the rules
    table: d1 (0 points) "score at most 599.00; stops additions; flag
    dishonest", not 0.00 alone; f1 its flag; a1 nothing more.  What a
    correction lifted before it counts is not said (d2 keeps its flag); nor
    is what its rule's version on its date has not (g1, dated after a change
    that drops the ceiling; g0, dated before it, keeps it).  Worked by hand,
    then checked against the engine once they count."""
    rules, log = write_case(
        tmp, "posted-direct",
        '[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "B"\n'
        '[rule.defaulter]\npoints = 0\nceiling = 599\nfreeze = true\nflag = "dishonest"\n'
        'publicity = "2d"\nvalid = "5y"\n'
        '[rule.fine]\npoints = -10\nflag = "red"\npublicity = "7d"\n'
        '[rule.award]\npoints = 20\npublicity = "7d"\n'
        '[rule.grave]\npoints = -50\nceiling = 700\npublicity = "7d"\n'
        '[[rule.grave.change]]\nfrom = "2022-03-03"\nceiling = false\n',
        "id,subject,type,ts,ref\n"
        "d1,r1,defaulter,2022-03-04,\nf1,r2,fine,2022-03-01,\na1,r3,award,2022-03-01,\n"
        "d2,r4,defaulter,2022-03-04,\nc2,r4,correct,2022-03-04T12:00:00,d2\n"
        "g0,r6,grave,2022-03-01,\ng1,r5,grave,2022-03-04,\n")
    raw = page_html(rules, log, "2022-03-05")
    got = {}
    for entry, row in posted_rows(raw, log).items():
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row["html"], re.S)
        note = re.search(r"<small>(.*?)</small>", cells[2], re.S)
        got[entry] = (re.sub(r"<[^>]*>", "", cells[3]),
                      re.sub(r"<[^>]*>", "", note.group(1)) if note else None)
    want = {"d1": ("0.00", "score at most 599.00; stops additions; flag dishonest"),
            "f1": ("-10.00", "flag red"), "a1": ("20.00", None),
            "d2": ("0.00", "flag dishonest"), "g0": ("-50.00", "score at most 700.00"),
            "g1": ("-50.00", None)}
    check(got == want, "posted: a direct grade, a freeze or a flag is said with its points: %s"
          % {k: v for k, v in got.items() if want.get(k) != v})
    check("flag <bdi>dishonest</bdi></small>" in raw, "posted: a flag's name is isolated")
    # what the page foretold is what the engine does once they count
    rows = {r["subject"]: r for r in json.loads(subprocess.run(
        [ARGS.cli, "-f", "json", "-t", "2022-03-12", "-r", rules, log], check=True,
        capture_output=True, timeout=60).stdout)["subjects"]}
    check([(rows[s]["score"], rows[s]["flags"]) for s in ("r1", "r2", "r4", "r5", "r6")]
          == [(599.0, ["dishonest"]), (990.0, ["red"]), (1000.0, ["dishonest"]), (950.0, []),
              (700.0, [])],
          "posted: the engine does what the page said: %s" % rows)


def posted_points(rules, log, at):
    """The Points cell of every posted entry of the page at `at`, by entry id."""
    raw = subprocess.run([ARGS.cli, "-f", "html", "-t", at, "--min-group", "1", "-r", rules, log],
                         check=True, capture_output=True, timeout=60).stdout.decode()
    return {k: v["cells"]["Points"] for k, v in posted_rows(raw, log).items()}


def posted_acts_as_they_will_count(tmp):
    """One act counts once, its heaviest member, and a recount change dated in
    the publicity period can change which (worked by hand, page of 03-03,
    the changes from 03-05, effect from 03-08): a1 (-10, merged now under
    b1's -20) is -30 by then and counts: it is posted at -30; c1 (-30 now)
    is -10 by then, merged under b2's -20: posted at 0."""
    rules, log = write_case(
        tmp, "posted-acts",
        '[scheme]\nbase = 1000\nutc_offset = "+08:00"\n[[grade]]\nname = "A"\n'
        '[rule.a]\npoints = -10\nvalid = "1y"\npublicity = "7d"\naffects = "score"\n'
        '[[rule.a.change]]\nfrom = "2024-03-05"\npoints = -30\nrecount = true\n'
        '[rule.b]\npoints = -20\nvalid = "1y"\naffects = "score"\n'
        '[rule.c]\npoints = -30\nvalid = "1y"\npublicity = "7d"\naffects = "score"\n'
        '[[rule.c.change]]\nfrom = "2024-03-05"\npoints = -10\nrecount = true\n',
        "id,subject,type,ts,act\n"
        "a1,s1,a,2024-03-01,X\nb1,s1,b,2024-03-01,X\n"
        "c1,s2,c,2024-03-01,Y\nb2,s2,b,2024-03-01,Y\n")
    got = posted_points(rules, log, "2024-03-03")
    check(got == {"a1": "-30.00", "c1": "0.00"},
          "posted: an act's members at what they will count: %s" % got)


def posted_across_a_recount(tmp):
    """A resident's posted entries on both sides of a recount change count
    each by the version in force on its own day (worked by hand, page of
    02-07, the change to -25 from 02-12): p1 and p3 take effect on 02-08
    and 02-09, before it: -10; p2 on 02-14, after it: -25.  s8's act Z: q2
    (-20) is the heavier member, so q1 is merged and not posted; q3, an act
    of its own, counts -10."""
    rules, log = write_case(
        tmp, "posted-recount",
        '[scheme]\nbase = 1000\nutc_offset = "+00:00"\n[[grade]]\nname = "A"\n'
        '[rule.x]\npoints = -10\npublicity = "7d"\naffects = "score"\n'
        '[[rule.x.change]]\nfrom = "2024-02-12"\npoints = -25\nrecount = true\n'
        '[rule.m]\npoints = -10\npublicity = "7d"\naffects = "score"\n'
        '[rule.h]\npoints = -20\npublicity = "14d"\naffects = "score"\n',
        "id,subject,type,ts,act\np1,s7,x,2024-02-01,\np3,s7,x,2024-02-02,\n"
        "p2,s7,x,2024-02-07,\nq1,s8,m,2024-02-01,Z\nq2,s8,h,2024-02-01,Z\n"
        "q3,s8,m,2024-02-02,W\n")
    got = posted_points(rules, log, "2024-02-07")
    check(got == {"p1": "-10.00", "p3": "-10.00", "p2": "-25.00", "q2": "-20.00",
                  "q3": "-10.00"},
          "posted: each entry by the version in force when it takes effect: %s" % got)


def posted_as_they_will_be(tmp):
    """What happens between the page's time and the day an entry takes effect
    decides it (worked by hand; the page of each resident at its time):
    s1's e1 (02-12) counts -10 though 'old' is archived and e2 counts later
    (03-01); s2's a1 (03-03) repeats g0 (x2: 40) and f1's freeze, posted
    itself, lasts one day (02-27): it is over by then, no note; s3's freeze
    is archived (02-12) before a1 counts (02-16): no note; s4's a1 is
    archived (02-11) before it would count: 0.  With recount changes dated
    02-12: s5's +10 is -25 by its day, counted (a deduction is never
    frozen); s6's 0 is +25 by then, and f1's freeze holds it: noted."""
    head = '[scheme]\nbase = 1000\nutc_offset = "+00:00"\n[[grade]]\nname = "A"\nmin = 1000\n' \
           '[[grade]]\nname = "B"\n[rule.frz]\npoints = 0\nfreeze = true\n'
    cases = [
        (head +
         '[rule.frz_brief]\npoints = 0\nvalid = "1d"\npublicity = "7d"\nfreeze = true\n'
         '[rule.frz_kept]\npoints = 0\nfreeze = true\nretain = "4d"\naffects = "score"\n'
         '[rule.good]\npoints = 20\npublicity = "7d"\nrepeat_factor = 2\n'
         '[rule.good_kept]\npoints = 20\npublicity = "7d"\nretain = "2d"\naffects = "score"\n'
         '[rule.fine]\npoints = -10\npublicity = "2d"\nretain = "4d"\naffects = "score"\n'
         '[rule.big]\npoints = -40\npublicity = "end-of-month"\n',
         "id,subject,type,ts\nold,s1,fine,2024-01-01\ne1,s1,fine,2024-02-10\n"
         "e2,s1,big,2024-02-04\n"
         "g0,s2,good,2024-02-01\nf1,s2,frz_brief,2024-02-20\na1,s2,good,2024-02-25\n"
         "f3,s3,frz_kept,2024-02-08\na3,s3,good,2024-02-09\n"
         "f4,s4,frz,2024-02-01\na4,s4,good_kept,2024-02-09\n",
         {"s1": ("2024-02-11", {"e1": "-10.00", "e2": "-40.00"}),
          "s2": ("2024-02-25T12:00:00", {"f1": "0.00", "a1": "40.00"}),
          "s3": ("2024-02-10", {"a3": "20.00"}),
          "s4": ("2024-02-10", {"a4": "0.00"})}),
        (head +
         '[rule.item]\npoints = 10\npublicity = "7d"\naffects = "score"\n'
         '[[rule.item.change]]\nfrom = "2024-02-12"\npoints = -25\nrecount = true\n'
         '[rule.item0]\npoints = 0\npublicity = "7d"\naffects = "score"\n'
         '[[rule.item0.change]]\nfrom = "2024-02-12"\npoints = 25\nrecount = true\n',
         "id,subject,type,ts\nf5,s5,frz,2024-02-01\na5,s5,item,2024-02-09\n"
         "f6,s6,frz,2024-02-01\na6,s6,item0,2024-02-09\n",
         {"s5": ("2024-02-10", {"a5": "-25.00"}), "s6": ("2024-02-10", {"a6": "25.00 held"})}),
    ]
    held = "only if the freeze on this resident is lifted by then"
    for n, (rules_text, log_text, want) in enumerate(cases):
        rules, log = write_case(tmp, "posted-then-%d" % n, rules_text, log_text)
        for subject, (at, rows) in want.items():
            raw = subprocess.run([ARGS.cli, "-f", "html", "-t", at, "--min-group", "1", "-r",
                                  rules, log], check=True, capture_output=True,
                                 timeout=60).stdout.decode()
            got = {}
            for entry, row in posted_rows(raw, log).items():
                if row["cells"]["Resident"] == subject:
                    got[entry] = row["cells"]["Points"] + (" held" if held in row["html"] else "")
            check(got == rows, "posted: %s at %s: %s, not %s" % (subject, at, got, rows))


def ungrouped_page(tmp):
    """Residents, none of them in a group: the page says so (it said there
    were no residents), and names nobody on a list (each is a cell of 3)."""
    log = os.path.join(tmp, "ungrouped.csv")
    with open(log, "w") as f:
        f.write("id,subject,type,ts,qty\n"
                "e1,u1,court_defaulter,2025-05-09,\n"
                "e2,u2,volunteer_hour,2025-05-10,2\n"
                "e3,u3,recycling,2025-05-11,1\n")
    out = os.path.join(tmp, "ungrouped.html")
    raw = subprocess.run([ARGS.cli, "-f", "html", "-t", "2025-06-30", log],
                         check=True, capture_output=True, timeout=60).stdout
    with open(out, "wb") as f:
        f.write(raw)
    dom, _ = render(out, tmp, "ungrouped")
    lists = {n: rows for n, rows in SMALL_LISTS.items()}
    for n in lists:
        lists[n] = [("u1", "")] if n in ("dishonest", "no_subsidy") else []
    check_page("ungrouped", raw.decode("utf-8"), dom, {}, {}, ["AAA", "AA", "A", "B", "C", "D"],
               lists, 5, 1, 3)
    check("Fewer than 5 residents, all of them in no group at depth 1: not shown" in dom
          and "3 residents" not in dom,
          "ungrouped: the page says no resident is in a group, without counting a small cell")


# ---------------------------------------------------------------- layout as seen

# Measured in the page as Chromium lays it out: a copy of the page gets a
# script (the page itself has none) that reads the boxes of what a reader
# sees and writes them, as JSON, into the DOM that --dump-dom prints.
MEASURE_JS = r"""
(function () {
  var W = document.documentElement.getBoundingClientRect().width,
      out = {width: W, extent: 0, cut: [], charts: []};
  function box(r) { return {l: r.left, r: r.right, t: r.top, b: r.bottom}; }
  function textBox(el) {           // the union of the boxes of el's glyphs
    var range = document.createRange(); range.selectNodeContents(el);
    var rs = Array.prototype.slice.call(range.getClientRects()).filter(function (r) {
      return r.width > 0 && r.height > 0; });
    if (!rs.length) return null;
    var u = box(rs[0]);
    rs.forEach(function (r) { u.l = Math.min(u.l, r.left); u.r = Math.max(u.r, r.right);
                              u.t = Math.min(u.t, r.top); u.b = Math.max(u.b, r.bottom); });
    u.lineHeight = Math.min.apply(null, rs.map(function (r) { return r.height; }));
    return u;
  }
  function scrolls(el) {           // inside a box that scrolls on its own (a table's .wrap)
    for (var p = el.parentElement; p; p = p.parentElement) {
      var s = getComputedStyle(p);
      if (/auto|scroll/.test(s.overflowX)) return true;
    }
    return false;
  }
  function visible(el) {           // clipped by no ancestor, nor by the page's edges
    var b = textBox(el);
    if (!b) return true;
    if (b.l < -0.5 || b.r > W + 0.5) return false;
    for (var p = el.parentElement; p; p = p.parentElement) {
      var s = getComputedStyle(p);
      if (p.namespaceURI === "http://www.w3.org/2000/svg" && p.tagName !== "svg") continue;
      if (s.overflowX !== "visible" || p.tagName === "svg") {
        var r = p.getBoundingClientRect();
        if (b.l < r.left - 0.5 || b.r > r.right + 0.5) return false;
      }
    }
    return true;
  }
  // every piece of text a reader must see whole, outside a scrolling table
  var leaves = document.querySelectorAll("body *");
  for (var i = 0; i < leaves.length; i++) {
    var el = leaves[i];
    if (el.closest("title,style,.vh")) continue;
    if (!scrolls(el)) out.extent = Math.max(out.extent, el.getBoundingClientRect().right);
    if (el.children.length) continue;
    if (!el.textContent.trim() || scrolls(el)) continue;
    if (!visible(el)) out.cut.push(el.textContent.slice(0, 80));
  }
  // each chart: its bars, and in reading order the texts beside them
  // (grade name, count) for every bar
  document.querySelectorAll("[data-chart]").forEach(function (c) {
    var texts = [];
    c.querySelectorAll("*").forEach(function (el) {
      if (el.children.length || el.closest("title,.vh") || !el.textContent.trim()) return;
      var b = textBox(el);
      texts.push({text: el.textContent, box: b, visible: visible(el)});
    });
    var bars = [];
    c.querySelectorAll("rect[data-grade]").forEach(function (r) {
      bars.push({grade: r.getAttribute("data-grade"), count: r.getAttribute("data-count"),
                 box: box(r.getBoundingClientRect())});
    });
    out.charts.push({chart: c.getAttribute("data-chart"), texts: texts, bars: bars});
  });
  // every table cell: the words a line break cuts in two, how many lines
  // its dates (td.d) or its points (td.n's first text) take, its width
  function tops(range) {
    var t = {};
    Array.prototype.forEach.call(range.getClientRects(), function (r) {
      if (r.width > 0 && r.height > 0) t[Math.round(r.top)] = 1; });
    return Object.keys(t).length;
  }
  out.cells = [];
  document.querySelectorAll("th,td").forEach(function (c) {
    var broken = [], walk = document.createTreeWalker(c, NodeFilter.SHOW_TEXT), n;
    while ((n = walk.nextNode())) {
      if (n.parentElement.closest(".vh")) continue;
      var re = /[^\s\-\/]+[\-\/]*/g, m;   // a line may break after a hyphen or a slash
      while ((m = re.exec(n.data))) {
        var r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
        if (tops(r) > 1) broken.push(m[0]);
      }
    }
    // every date (with its time of day) and every points figure in the
    // cell, wherever it stands (a note's date, "from 2024-01-01 09:30")
    var split = [], walk2 = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
    while ((n = walk2.nextNode())) {
      if (n.parentElement.closest(".vh")) continue;
      var fig = /\d{4,5}-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?|[-+]?\d+\.\d\d/g, f;
      while ((f = fig.exec(n.data))) {
        var q = document.createRange(); q.setStart(n, f.index); q.setEnd(n, f.index + f[0].length);
        if (tops(q) > 1) split.push(f[0]);
      }
    }
    var whole = document.createRange();
    if (c.classList.contains("n") && c.firstChild) whole.selectNodeContents(c.firstChild);
    else whole.selectNodeContents(c);
    var t = c.closest("table"), w = c.closest(".wrap");
    out.cells.push({table: t.getAttribute("data-table") || t.getAttribute("data-list"),
                    tag: c.tagName.toLowerCase(), cls: c.className, col: c.cellIndex,
                    text: c.textContent, broken: broken, split: split, lines: tops(whole),
                    width: c.getBoundingClientRect().width,
                    tableWidth: t.getBoundingClientRect().width,
                    wrap: w ? w.clientWidth : W});
  });
  // a name in a cell after its label ("flag ", "shared "), in the cell or
  // in the note under its first line ("flag " in a posted entry's <small>):
  // the top and bottom of the label's last character, the top of the name's
  // box and of its first line of text, and the name's lines
  out.labels = [];
  document.querySelectorAll("td > bdi, td > .nm, td > small > bdi").forEach(function (el) {
    var t = el.previousSibling;
    if (!t || t.nodeType !== 3 || !/\S\s$/.test(t.data)) return;
    var r = document.createRange(), k = t.data.replace(/\s+$/, "").length;
    r.setStart(t, k - 1); r.setEnd(t, k);
    var name = document.createRange(); name.selectNodeContents(el);
    var first = Array.prototype.filter.call(name.getClientRects(), function (q) {
      return q.width > 0 && q.height > 0; })[0];
    out.labels.push({label: t.data.slice(0, k).split(/[;:]\s*/).pop(), name: el.textContent,
                     note: el.parentElement.tagName === "SMALL",
                     labelTop: r.getBoundingClientRect().top,
                     labelBottom: r.getBoundingClientRect().bottom,
                     labelHeight: r.getBoundingClientRect().height,
                     nameTop: el.getBoundingClientRect().top,
                     nameLineTop: first ? first.top : null, lines: tops(name)});
  });
  // a named resident's cell, against the box its table scrolls in
  out.residents = [];
  document.querySelectorAll("tr[data-subject] > td:first-child").forEach(function (td) {
    var w = td.closest(".wrap");
    out.residents.push({subject: td.parentElement.getAttribute("data-subject"),
                        cell: td.getBoundingClientRect().width,
                        wrap: w ? w.clientWidth : W});
  });
  var pre = document.createElement("pre");
  pre.id = "civic-layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


def layout(raw, tmp, label, width, printed=False):
    """The page's layout at a window width (printed: its print stylesheet
    applied, at a sheet's width): the JSON MEASURE_JS writes.  Headless
    Chromium keeps its window 500 px wide or more: the page's root is given
    the width instead, in a window as wide or wider."""
    page = raw.decode("utf-8")
    page = page.replace("</style>", "html{width:%dpx}</style>" % width, 1)
    if printed:   # the print rules on screen: Chromium headless has no print media switch
        page = page.replace("@media print{", "@media all{")
    page = page.replace("</body>", "<script>%s</script></body>" % MEASURE_JS)
    path = os.path.join(tmp, "%s-%d%s.html" % (re.sub(r"\W+", "-", label), width,
                                               "-print" if printed else ""))
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    rc, dom, err = chromium(["--dump-dom", "--window-size=%d,1200" % max(width, 800),
                             "file://" + path],
                            tmp, "%s at %d" % (label, width))
    m = re.search(r'<pre id="civic-layout">(.*?)</pre>', dom.decode("utf-8"), re.S)
    if not check(rc == 0 and m, "%s at %d: the layout was measured" % (label, width)):
        return None
    return json.loads(html.unescape(m.group(1)))


def overlap(a, b):
    return a and b and a["l"] < b["r"] - 0.5 and b["l"] < a["r"] - 0.5 \
        and a["t"] < b["b"] - 0.5 and b["t"] < a["b"] - 0.5


def check_readable(label, got):
    """Nothing runs past the page's right edge, and every text a reader
    must see (outside a table that scrolls on its own) is seen whole."""
    check(got["extent"] <= got["width"] + 0.5,
          "%s: the page does not scroll sideways (%d px wide in a %d px window)"
          % (label, got["extent"], got["width"]))
    check(not got["cut"], "%s: no text cut off by the page's edge or its box: %s"
          % (label, got["cut"][:3]))


CHART_GRADES = ["OUTSTANDING MEMBER WITH HONOURS", "MUST WORK WITH THE GRID WORKER",
                "W" * 120, "\u4f18\u79c0\u5c45\u6c11\u8363\u8a89\u79f0\u53f7\u83b7\u5f97\u8005",
                "\U0001f3c5\U0001f3c5 gold \U0001f468\u200d\U0001f469\u200d\U0001f467",
                "Z\u0301\u0330\u0308a\u0303\u0324l\u030c\u0331g\u0302o\u0327 marks",
                "a very long grade name, " * 8 + "end", "B"]


def chart_layout_page(tmp):
    """A grade's name beside its bar is seen whole, never under its bar or
    its count, whatever its text: the wide capitals of a report (W, M; the
    two grades alone), then 120 W's, CJK, emoji, combining marks, a long
    name with spaces; at 320, 800 and 1280 px and in print."""
    for case, grades in (("chart-caps", CHART_GRADES[:2]), ("chart", CHART_GRADES)):
        chart_layout(tmp, case, grades)


def chart_layout(tmp, case, grades):
    rules = "[scheme]\nbase = 1000\n" + "".join(
        '[[grade]]\nname = "%s"\n%s' % (g, "min = %d\n" % (1000 + 10 * (len(grades) - 2 - k))
                                        if k < len(grades) - 1 else "")
        for k, g in enumerate(grades)) + "[rule.v]\npoints = 1\nper = \"unit\"\n"
    log = "id,subject,type,ts,qty,group\n" + "".join(
        "e%d,s%d,v,2022-01-01,%d,north\n" % (i, i, 10 * (i % len(grades)) + 1)
        for i in range(3 * len(grades)))
    rules_path, log_path = write_case(tmp, case, rules, log)
    raw = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", "-t", "2022-06-01", log_path],
                         check=True, capture_output=True, timeout=60).stdout
    for width, printed in ((320, False), (800, False), (1280, False), (700, True)):
        label = "%s at %d%s" % (case, width, " printed" if printed else "")
        got = layout(raw, tmp, case, width, printed)
        if got is None:
            continue
        check_readable(label, got)
        check(len(got["charts"]) == 1, "%s: one chart" % label)
        for c in got["charts"]:
            bars, texts = c["bars"], c["texts"]
            check([b["grade"] for b in bars] == grades, "%s: a bar for every grade: %s"
                  % (label, [b["grade"][:20] for b in bars]))
            for k, bar in enumerate(bars):
                name, count = (texts[2 * k:2 * k + 2] + [None, None])[:2]
                if not check(name and count and name["text"] == bar["grade"]
                             and count["text"].strip() == bar["count"],
                             "%s: the name %r whole and the count %s beside bar %d (%r, %r)"
                             % (label, bar["grade"][:20], bar["count"], k,
                                name and name["text"][:20], count and count["text"])):
                    continue
                check(name["visible"] and count["visible"],
                      "%s: %r and its count are seen whole, not clipped by the chart"
                      % (label, bar["grade"][:20]))
                check(not overlap(name["box"], bar["box"]) and
                      not overlap(name["box"], count["box"]),
                      "%s: %r is not under its bar or its count (%s, %s, %s)"
                      % (label, bar["grade"][:20], name["box"], bar["box"], count["box"]))
                check(not overlap(count["box"], bar["box"]),
                      "%s: the count of %r is not under its bar" % (label, bar["grade"][:20]))
                for other in texts:
                    if other is not name and other is not count:
                        check(not overlap(name["box"], other["box"]),
                              "%s: %r does not run into %r" % (label, bar["grade"][:20],
                                                               other["text"][:20]))
                check(name["box"]["lineHeight"] >= 12,
                      "%s: %r is written at a readable size (%.1f px lines)"
                      % (label, bar["grade"][:20], name["box"]["lineHeight"]))


def long_names_page(tmp):
    """A group name of one word too long for the screen, and a 120-character
    resident on a list: the page still reflows to the window (320, 360 and
    1000 px) and to a printed sheet, the group's name, its figures and the
    resident's id seen whole."""
    group = "Xiangyanghuayuanshequjuminweiyuanhuidiyiwanggegongzuozhan"
    long_group = ("Xiangyanghuayuan" * 7)[:100]
    subject = ("Resident" + "0123456789" * 12)[:120]
    log = "id,subject,type,ts,qty,group\n" + "".join(
        "e%d%d,s%d%d,recycling,2025-05-01,1,%s\n" % (n, i, n, i, g)
        for n, g in enumerate((group, long_group)) for i in range(6)) + \
        "d1,%s,court_defaulter,2025-05-02,,%s\n" % (subject, group)
    log_path = os.path.join(tmp, "long-names.csv")
    with open(log_path, "w") as f:
        f.write(log)
    raw = subprocess.run([ARGS.cli, "-f", "html", "-t", "2025-06-30", log_path],
                         check=True, capture_output=True, timeout=60).stdout
    check(subject.encode() in raw and long_group.encode() in raw,
          "long names: the page names the long group and the long resident")
    for width, printed in ((320, False), (360, False), (1000, False), (700, True)):
        label = "long names at %d%s" % (width, " printed" if printed else "")
        got = layout(raw, tmp, "long-names", width, printed)
        if got is None:
            continue
        check_readable(label, got)
        cells = [r for r in got["residents"] if r["subject"] == subject]
        check(cells and all(r["cell"] <= r["wrap"] + 0.5 for r in cells),
              "%s: the long resident id wraps in its cell, seen whole without scrolling "
              "its table: %s" % (label, [(r["cell"], r["wrap"]) for r in cells]))


LONG_CODE = ("residents_committee_election_of_the_eastern_district_" * 2)[:64]
LONG_FLAG = ("dishonest_in_the_committee_election_of_the_eastern_" * 2)[:64]
LONG_CAP = ("community_service_in_the_eastern_district_committee_" * 2)[:64]
LONG_CATEGORY = ("neighbourhood_peace_in_the_eastern_district_" * 2)[:64]
LONG_GROUP = ("Xiangyanghuayuanshequ" * 10)[:200]
SPACED_FLAGS = ("listed by the people's court as a judgment defaulter",
                "judgment defaulter listed by the court of the year")


def cells_page(tmp):
    """A table's cells as Chromium lays them out (worked out by hand from the
    pages): a date or a points figure is never split, on screen or on paper;
    a header or a word of an ordinary length (the sample's rule codes, "by
    severity", "5 years") is never cut in two, the note under a points
    figure wraps; a name longer than its column can be (a 64-byte rule code,
    flag, shared cap or category, a group of 200 letters) wraps, and on a
    wide screen keeps its table from scrolling.  A name after its label
    ("flag red_list", in a cell or in the note under a posted entry's rule)
    starts on the label's line, or on a line under it, never raised above
    it.  The sample's page at 1200 px and printed, the README's page
    (--groups 2) at 390 and 1200 px, a page of long names at 1200 and
    390 px and printed, and a page of posted flags at 1280 and 390 px and
    printed."""
    sample = subprocess.run([ARGS.cli, "-f", "html", SAMPLE], check=True,
                            capture_output=True, timeout=60).stdout
    readme = subprocess.run([ARGS.cli, "-f", "html", "--groups", "2", SAMPLE], check=True,
                            capture_output=True, timeout=60).stdout
    rules = ('[scheme]\nbase = 1000\n[[grade]]\nname = "Good"\nmin = 1000\n'
             '[[grade]]\nname = "Poor"\n[cap.%s]\nlimit = 5\nperiod = "month"\n'
             '[rule.%s]\npoints = -10\npublicity = "30d"\nflag = "%s"\ncategory = "%s"\n'
             'repeat_factor = 2\nvalid = "5y"\n'
             '[rule.help]\npoints = 1\ncap_group = "%s"\n'
             % (LONG_CAP, LONG_CODE, LONG_FLAG, LONG_CATEGORY, LONG_CAP))
    log = "id,subject,type,ts,group\n" + "".join(
        "e%d,s%d,%s,2025-0%d-01T10:00:00,%s\n" % (i, i, LONG_CODE, 1 + i % 2, LONG_GROUP)
        for i in range(6))
    rules_path, log_path = write_case(tmp, "cells", rules, log)
    long_page = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", "-t", "2025-02-10",
                                log_path], check=True, capture_output=True, timeout=60).stdout
    check(LONG_GROUP.encode() in long_page and b'data-table="posted"' in long_page
          and LONG_FLAG.encode() in long_page, "cells: the long names are on the page")
    # flags of words, the cell wide enough for a part of one beside its label
    rules = ('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "D"\n'
             '[rule.court]\npoints = 0\nceiling = 599\nflag = "%s"\n'
             '[rule.fine]\npoints = -10\nflag = "%s"\n' % SPACED_FLAGS)
    rules_path, log_path = write_case(tmp, "cells-flags", rules,
                                      "id,subject,type,ts\ne1,s1,fine,2025-01-01\n")
    flags_page = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", log_path], check=True,
                                capture_output=True, timeout=60).stdout
    # flags of one word in the note under a posted entry's rule, after the
    # note's other words ("score at most 599.00; stops additions; flag
    # dishonest"): they stood raised above the note's line, as superscripts
    rules = ('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 960\n[[grade]]\nname = "D"\n'
             '[rule.honour]\npoints = 30\nflag = "red_list"\npublicity = "10d"\n'
             '[rule.defaulter]\npoints = 0\nceiling = 599\nfreeze = true\nflag = "dishonest"\n'
             'publicity = "10d"\n')
    rules_path, log_path = write_case(tmp, "cells-posted", rules,
                                      "id,subject,type,ts\nh1,s1,honour,2025-06-27\n"
                                      "d1,s2,defaulter,2025-06-28\n")
    posted_page = subprocess.run([ARGS.cli, "-r", rules_path, "-f", "html", "-t", "2025-06-30",
                                  "--min-group", "1", log_path], check=True,
                                 capture_output=True, timeout=60).stdout
    check(b"<small>flag <bdi>red_list</bdi></small>" in posted_page and
          b"<small>score at most 599.00; stops additions; flag <bdi>dishonest</bdi></small>"
          in posted_page, "cells: the posted entries' flags are in the notes under their rules")
    for name, raw, width, printed in (("sample", sample, 1200, False),
                                      ("sample", sample, 700, True),
                                      ("readme", readme, 390, False),
                                      ("readme", readme, 1200, False),
                                      ("long", long_page, 1200, False),
                                      ("long", long_page, 390, False),
                                      ("long", long_page, 700, True),
                                      ("flags", flags_page, 1280, False),
                                      ("flags", flags_page, 700, True),
                                      ("posted", posted_page, 1280, False),
                                      ("posted", posted_page, 390, False),
                                      ("posted", posted_page, 700, True)):
        label = "cells: %s at %d%s" % (name, width, " printed" if printed else "")
        got = layout(raw, tmp, "cells-" + name, width, printed)
        if got is None:
            continue
        check_readable(label, got)
        cells = got["cells"]
        check(cells, "%s: the tables' cells were measured" % label)
        for c in cells:
            what = "%s (%s, column %d, %r)" % (label, c["table"], c["col"], c["text"][:40])
            if c["tag"] == "th":
                check(not c["broken"], "%s: a header is not cut: %s" % (what, c["broken"]))
            if c["cls"] in ("d", "n") and c["tag"] == "td":
                check(c["lines"] == 1, "%s: a %s on one line, not %d"
                      % (what, "date" if c["cls"] == "d" else "points figure", c["lines"]))
            check(not c["split"], "%s: no date or points figure split: %s" % (what, c["split"]))
            short = [w for w in c["broken"] if len(w) < 30]
            check(not short, "%s: no word of an ordinary length is cut: %s" % (what, short))
            if width == 1200 and c["tag"] == "th":
                check(c["tableWidth"] <= c["wrap"] + 0.5,
                      "%s: the table fits the window, its long names wrapped (%d > %d px)"
                      % (what, c["tableWidth"], c["wrap"]))
        # a long name that wraps begins beside its label or on the line after
        # it, never with the label beside its last line ("flag" read as a
        # part of the name: it was, the name's box on the label's baseline)
        for n in got["labels"]:
            check(n["labelTop"] < n["nameTop"] + n["labelHeight"] / 2,
                  "%s: the label %r stands before the name %r, not beside its last line "
                  "(label's top %.0f, name's %.0f)" % (label, n["label"], n["name"][:30],
                                                        n["labelTop"], n["nameTop"]))
            # and its first line is the label's line, or one under it: not
            # raised above the label's line
            check(n["nameLineTop"] is not None and
                  (abs(n["nameLineTop"] - n["labelTop"]) < 1 or
                   n["nameLineTop"] >= n["labelBottom"] - 1),
                  "%s: the name %r%s stands on the line of its label %r, not raised above it "
                  "(label's top %.1f, the name's first line's %s)"
                  % (label, n["name"][:30], " in a note" if n["note"] else "", n["label"],
                     n["labelTop"], n["nameLineTop"]))
        if name == "flags":
            check(all(any(n["lines"] > 1 and n["name"] == f for n in got["labels"])
                      for f in SPACED_FLAGS), "%s: the flags wrap after their label: %s"
                  % (label, [(n["name"][:20], n["lines"]) for n in got["labels"]]))
        if name == "long":
            check(any(n["lines"] > 1 and n["name"] == LONG_FLAG for n in got["labels"]),
                  "%s: the long flag after its label wraps: %s" % (label, [
                      (n["label"], n["lines"]) for n in got["labels"]]))
            check(any(n["lines"] > 1 and n["name"] == LONG_FLAG and n["note"]
                      for n in got["labels"]),
                  "%s: the long flag in a posted entry's note was measured, wrapped: %s"
                  % (label, [(n["name"][:20], n["note"], n["lines"]) for n in got["labels"]]))
        if name == "posted":
            check(sorted(n["name"] for n in got["labels"] if n["note"])
                  == ["dishonest", "red_list"],
                  "%s: both posted flags were measured in their notes: %s"
                  % (label, [(n["name"], n["note"]) for n in got["labels"]]))
        if name == "sample" and printed:
            width_of = {}
            for c in cells:
                if c["table"] == "rules" and c["tag"] == "th":
                    width_of[c["text"]] = c["width"]
            # its figures are at most 7 characters and its note may wrap: it
            # is no wider than the column of the rule codes, kept whole
            check(width_of and width_of["Points"] <= width_of["Rule"],
                  "%s: the points column, its notes wrapped, is no wider than the "
                  "rules': %s" % (label, width_of))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default="build/civic-score")
    p.add_argument("--library", default="build/libcivic.so.1")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--keep", help="copy the pages, DOMs and PNGs here")
    ARGS = p.parse_args()
    if not os.access(ARGS.chromium, os.X_OK):
        print("test-report: %s not found; `make deps` installs chromium" % ARGS.chromium,
              file=sys.stderr)
        return 1
    os.environ["CIVIC_LIBRARY"] = os.path.abspath(ARGS.library)
    sys.path.insert(0, os.path.join(REPO, "bindings", "python"))
    tmp = tempfile.mkdtemp(prefix="civic-report-")
    try:
        sample_page(tmp)                   # the page of the brief: every group shown
        sample_page(tmp, min_group=11)     # two of its four groups (10 and 5) suppressed
        small_page(tmp)
        tables_are_named(tmp)
        ungrouped_page(tmp)
        posted_page(tmp)
        posted_repaired_or_frozen(tmp)
        posted_repaired_at_its_balance_effect(tmp)
        posted_says_when_objections_close(tmp)
        posted_contested(tmp)
        posted_notes_keep_their_dates(tmp)
        posted_points_as_they_will_count(tmp)
        posted_direct_grades(tmp)
        posted_acts_as_they_will_count(tmp)
        posted_as_they_will_be(tmp)
        posted_across_a_recount(tmp)
        small_groups_counted(tmp)
        shallow_path_page(tmp)
        list_times_page(tmp)
        list_marks_page(tmp)
        objection_texts_documented(tmp)
        hidden_cell_pages(tmp)
        wording_page(tmp)
        lookalike_page(tmp)
        v1_scheme_page(tmp)
        rtl_page(tmp)
        rtl_escape_page(tmp)
        unnamed_scheme_page(tmp)
        combining_marks_page(tmp)
        chart_layout_page(tmp)
        long_names_page(tmp)
        cells_page(tmp)
        if ARGS.keep:
            os.makedirs(ARGS.keep, exist_ok=True)
            for name in os.listdir(tmp):
                if name.endswith((".html", ".png")):
                    shutil.copy(os.path.join(tmp, name), ARGS.keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("test-report: %d failure(s)" % len(FAILURES), file=sys.stderr)
        return 1
    print("test-report: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
