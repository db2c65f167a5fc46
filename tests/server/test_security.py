#!/usr/bin/env python3
"""Access control, TLS and HTTP correctness of civic-server (issue 17).

  1. every route x {no token, malformed header, unknown token, read, write,
     admin}: 401 with WWW-Authenticate, 403, or the route's own answer; the
     revoke attack refused without a write token; --public-reports (the page
     without credentials, 401 for credentials that are no known token).
  2. the bind rule: no non-loopback --bind without --tokens or --insecure.
  3. command line: --version, unknown options, missing and bad values,
     --hash-token.
  4. HTTP: keep-alive, 405 with Allow for every wrong method on every
     route, OPTIONS (of every route, and of the server: *), 400 for NUL or
     invalid UTF-8 in the target, JSON answers valid
     UTF-8, JSON array bodies, 415.
  5. observability: /metrics in the Prometheus text format, the access log.
  6. TLS with a throw-away self-signed certificate (openssl CLI).

Loopback only; every server and request bounded in time.

usage: test_security.py --server build/civic-server
"""
import argparse
import datetime
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ARGS = None
FAILURES = []
TOKENS = {"reader": ("read", "rd-0123456789abcdef-token"),
          "ingest": ("write", "wr-0123456789abcdef-token"),
          "boss": ("admin", "ad-0123456789abcdef-token")}
ROLE_RANK = {None: 0, "read": 1, "write": 2, "admin": 3}
SAMPLE = "examples/data/sample.csv"


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


def tok(name):
    return TOKENS[name][1]


def start(tmp, extra=(), data=True, **kw):
    tokens = harness.make_tokens(ARGS.server, os.path.join(tmp, "tokens"),
                                 [(n, r, t) for n, (r, t) in TOKENS.items()])
    args = ["--tokens", tokens] + list(extra)
    d = os.path.join(tmp, "data") if data else None
    return harness.Server(ARGS.server, d, args, token="", **kw).start()


def load_sample(srv):
    with open(SAMPLE, "rb") as f:
        status, rep = srv.request("POST", "/events", f.read(), "text/csv", token=tok("ingest"))
    check(status == 200 and rep["accepted"] > 0, "sample loaded with the write token")


# ---------------------------------------------------------------- 1. roles

COUNTER = [0]


def event_body():
    COUNTER[0] += 1
    return ("id,subject,type,ts\nsec%d,sec-subject,recycling,2025-01-01\n" % COUNTER[0]).encode()


# (method, path, role needed or None for public, status when allowed)
ROUTES = [
    ("POST", "/events", "write", 200),
    ("GET", "/subjects/r0007", "read", 200),
    ("HEAD", "/subjects/r0007", "read", 200),
    ("GET", "/subjects/r0007/record", "read", 200),
    ("GET", "/groups?depth=1", "read", 200),
    ("GET", "/rank?top=3", "read", 200),
    ("HEAD", "/rank", "read", 200),
    ("GET", "/lists/dishonest", "read", 200),
    ("HEAD", "/lists/no_subsidy", "read", 200),
    ("GET", "/lists/no-such-list", "read", 404),
    ("GET", "/report", "read", 200),
    ("HEAD", "/report?depth=2", "read", 200),
    ("GET", "/objections", "read", 200),
    ("HEAD", "/objections?as_of=2025-06-30", "read", 200),
    ("POST", "/compact", "admin", 200),
    ("POST", "/purge?before=2020-01-01", "admin", "purge"),
    ("GET", "/metrics", "admin", 200),
    ("GET", "/healthz", None, 200),
    ("GET", "/openapi.json", None, 200),
]
CREDENTIALS = [("no token", None, None), ("Basic header", None, "Basic cmVhZGVyOnB3"),
               ("unknown token", None, "Bearer xx-0123456789abcdef-token"),
               ("read", "read", "Bearer " + tok("reader")),
               ("write", "write", "Bearer " + tok("ingest")),
               ("admin", "admin", "Bearer " + tok("boss"))]


# more credentials that are no known token: a bearer without its token, and
# a Basic one without a password
MALFORMED = [("bare Bearer", None, "Bearer"), ("wrong token", None, "Bearer wrong"),
             ("Basic without a colon", None, "Basic abc")]


def expected(need, role, header):
    """need: a role; None for a route open to all (credentials not looked
    at); "public" for one open without credentials (/report with
    --public-reports), where credentials sent must still be a known token."""
    if need is None or (need == "public" and header is None):
        return "ok"
    if role is not None and ROLE_RANK[role] >= ROLE_RANK.get(need, 0):
        return "ok"
    if role is None:
        return "401-invalid" if re.fullmatch(r"Bearer[ \t]+\S+", header or "") else "401"
    return "403"


def check_answer(label, want, ok_status, status, h, data):
    if want == "ok":
        check(status == ok_status, "%s: %d, wanted %d" % (label, status, ok_status))
    elif want == "403":
        check(status == 403 and b"role" in data, "%s: %d, wanted 403" % (label, status))
    else:
        wa = h.get("www-authenticate", "")
        check(status == 401 and wa.startswith("Bearer realm=")
              and (("invalid_token" in wa) == (want == "401-invalid")),
              "%s: %d %r, wanted %s with WWW-Authenticate" % (label, status, wa, want))


PURGE_PENDING = []


def purge_pending(status, data):
    """civic_engine_purge is a stub in the library until the lead lands it:
    it answers CIVIC_E_INVALID "purge is not implemented yet", which the
    service passes on as 400.  Accepted (and said) until then."""
    if status == 400 and b"not implemented" in data:
        if not PURGE_PENDING:
            print("purge: SKIPPED (libcivic's civic_engine_purge is not implemented yet)")
        PURGE_PENDING.append(1)
        return True
    return False


def test_roles(tmp):
    doc = os.path.join(tmp, "openapi.json")
    with open(doc, "w") as f:
        f.write('{"openapi": "3.1.0", "info": {"title": "test", "version": "0"}}')
    srv = start(tmp, ["--openapi", doc])
    try:
        load_sample(srv)
        for method, path, need, ok_status in ROUTES:
            for what, role, header in CREDENTIALS:
                headers = {"Authorization": header} if header else {}
                body = event_body() if path == "/events" else None
                if body:
                    headers["Content-Type"] = "text/csv"
                status, h, data = srv.raw(method, path, body, headers)
                want = expected(need, role, header)
                label = "%s %s with %s" % (method, path, what)
                if want == "ok" and ok_status == "purge":
                    check(status == 200 or purge_pending(status, data),
                          "%s: %d %r, wanted 200" % (label, status, data[:200]))
                else:
                    check_answer(label, want, ok_status, status, h, data)
        # Health: liveness for anyone, counts for a reader.
        _, anon = srv.request("GET", "/healthz")
        _, reader = srv.request("GET", "/healthz", token=tok("reader"))
        check("events" not in anon and reader["events"] > 0, "healthz counts only for a reader")
        test_revoke_attack(srv)
        test_source(srv)
    finally:
        srv.stop()


def test_revoke_attack(srv):
    """Issue 17, finding 1: one CSV line erased another resident's entry."""
    # The target: r0030's first illegal_parking entry in the sample log.
    with open(SAMPLE, encoding="utf-8") as f:
        target = next(line.split(",")[0] for line in f
                      if line.split(",")[1:3] == ["r0030", "illegal_parking"])
    attack = ("id,subject,type,ts,ref\natk1,r0030,revoke,2025-01-01,%s\n" % target).encode()
    status, _ = srv.request("POST", "/events", attack, "text/csv")
    check(status == 401, "the revoke attack without a token: %d" % status)
    status, _ = srv.request("POST", "/events", attack, "text/csv", token=tok("reader"))
    check(status == 403, "the revoke attack with a read token: %d" % status)
    status, rec = srv.request("GET", "/subjects/r0030/record", token=tok("reader"))
    states = {e["id"]: e["state"] for e in rec.get("entries", [])}
    check(status == 200 and "atk1" not in states and states.get(target) not in (None, "revoked"),
          "nothing of the refused attack applied: %s is %s" % (target, states.get(target)))


def test_source(srv):
    """SPEC 10.5: events posted by a token without a source carry its name.
    Runs once the library reads `source` (libcivic 2); skipped before."""
    _, h = srv.request("GET", "/healthz")
    if tuple(int(x) for x in h["version"].split(".")[:2]) < (1, 1):
        print("source: skipped (libcivic %s does not read source yet)" % h["version"])
        return
    body = (b"id,subject,type,ts,source\nsrc1,src-subject,recycling,2025-01-01,\n"
            b"src2,src-subject,recycling,2025-01-02,dept\n")
    status, _ = srv.request("POST", "/events", body, "text/csv", token=tok("ingest"))
    arr = b'[{"id":"src3","subject":"src-subject","type":"recycling","ts":"2025-01-03"}]'
    status2, _ = srv.request("POST", "/events", arr, "application/json", token=tok("boss"))
    _, rec = srv.request("GET", "/subjects/src-subject/record", token=tok("reader"))
    got = {e["id"]: e.get("source") for e in rec.get("entries", [])}
    check(status == status2 == 200 and got == {"src1": "ingest", "src2": "dept", "src3": "boss"},
          "events posted without a source carry the token's name: %s" % got)
    # an error names the body as it was sent, not as the source rewrote it:
    # the line, column and reason civic-score gives for the same bytes
    bad = [
        (b'{"id":"src9","subject":"s","type":"bogus","ts":"2025-01-06"}\n', "application/x-ndjson",
         1, 35, "line 1, column 35: field 'type': unknown type"),
        (b'[{"id":"src9","subject":"s","type":"recycling","ts":"2025-13-06"}]', "application/json",
         1, 52, "line 1, column 52: field 'ts': month out of range"),
        (b"id,subject,type,ts\nsrc9,s,recycling,2025-01-01,extra\n", "text/csv",
         2, 0, "line 2: expected 4 fields as in the header, found 5"),
    ]
    for body, ctype, line, column, reason in bad:
        status, e = srv.request("POST", "/events", body, ctype, token=tok("ingest"))
        check(status == 400 and e.get("line") == line and e.get("column") == column
              and e.get("reason", "").startswith(reason),
              "an error in a body given a source is told as sent (%s): %d %s" % (ctype, status, e))
    # bodies the rewrite once read otherwise than the load: a header whose quote
    # never closes (the rewrite looped for ever, holding a thread), blank lines
    # before the header, a byte-order mark before JSON Lines sent as a form
    try:
        status, e = srv.request("POST", "/events", b'id,"subject', "text/csv", timeout=10,
                                token=tok("ingest"))
    except OSError as x:
        status, e = 0, {"error": repr(x)}
    check(status == 400 and "unterminated" in e.get("reason", ""),
          "an unclosed quote in the header is refused at once: %d %s" % (status, e))
    ok_bodies = [
        (b"\r\nid,subject,type,ts\nsrc10,src-subject,recycling,2025-01-04\n", "text/csv"),
        (b'\xef\xbb\xbf{"id":"src11","subject":"src-subject","type":"recycling",'
         b'"ts":"2025-01-05"}\n', "application/x-www-form-urlencoded"),
        (b"", "text/csv"),
    ]
    for body, ctype in ok_bodies:
        status, e = srv.request("POST", "/events", body, ctype, token=tok("ingest"))
        check(status == 200, "a body the load reads is read with a token too (%r): %d %s"
              % (body[:20], status, e))


def test_public_reports(tmp):
    srv = start(tmp, ["--public-reports"], data=False)
    try:
        status, _, _ = srv.raw("GET", "/report")
        check(status == 200, "/report is public with --public-reports (%d)" % status)
        # the lists name every subject with group and score: a reader's; the
        # public reads them on the page, where small groups show no names
        # and so do the objections to decide (who objected to what)
        for path in ("/lists/dishonest", "/lists/priority_service", "/lists/nope",
                     "/objections"):
            status, _, _ = srv.raw("GET", path)
            check(status == 401, "--public-reports leaves %s to readers (%d)" % (path, status))
        status, _, _ = srv.raw("GET", "/lists/dishonest", token=tok("reader"))
        check(status == 200, "a reader reads /lists with --public-reports (%d)" % status)
        # the page's small-group protection is the service's: a caller without
        # a token may ask for a stricter one, not a weaker (min_group=1 named
        # the one resident of a group)
        for q, want in (("min_group=1", 403), ("min_group=4", 403), ("min_group=5", 200),
                        ("min_group=50", 200), ("min_group=0", 400)):
            status, _, body = srv.raw("GET", "/report?" + q)
            check(status == want, "/report?%s without a token: %d, want %d %s"
                  % (q, status, want, body[:200]))
            if want == 403:
                check(b"below the service's 5 needs a token with the read role" in body,
                      "/report?%s: the reason: %s" % (q, body[:200]))
        # nor its depth: at depth 0 everyone is one group, big enough to name
        # the residents of the small ones (a review found them named)
        for q, want in (("depth=0", 403), ("depth=2", 403), ("depth=1", 200),
                        ("depth=1&min_group=50", 200)):
            status, _, body = srv.raw("GET", "/report?" + q)
            check(status == want, "/report?%s without a token: %d, want %d %s"
                  % (q, status, want, body[:200]))
            if want == 403:
                check(b"a depth other than the service's 1 needs a token with the read role"
                      in body, "/report?%s: the reason: %s" % (q, body[:200]))
        for q in ("depth=2&min_group=1", "depth=0"):
            status, _, _ = srv.raw("GET", "/report?" + q, token=tok("reader"))
            check(status == 200, "a reader may ask any page (%s: %d)" % (q, status))
        # The page is public to a caller who sends no credentials; one who
        # sends credentials that are not a known token gets 401, as on every
        # route ("a missing or unknown token gets 401"), whatever the page
        # asked: a wrong or malformed token was served the public page.
        for method, path in (("GET", "/report"), ("HEAD", "/report"),
                             ("GET", "/report?min_group=5"), ("GET", "/report?min_group=1"),
                             ("GET", "/report?depth=2"), ("GET", "/report?as_of=2020-01-01")):
            public_ok = "?" not in path or path.endswith("min_group=5")
            for what, role, header in CREDENTIALS + MALFORMED:
                headers = {"Authorization": header} if header else {}
                status, h, data = srv.raw(method, path, None, headers)
                want = expected("public", role, header)
                if want == "ok" and role is None and not public_ok:
                    want = "403"  # a stricter page than the service's needs a reader
                check_answer("--public-reports: %s %s with %s" % (method, path, what), want,
                             200, status, h, data)
        for path in ("/subjects/r0007", "/subjects/r0007/record", "/groups", "/metrics"):
            status, _, _ = srv.raw("GET", path)
            check(status == 401, "--public-reports opens only the reports (%s: %d)"
                  % (path, status))
        status, _, _ = srv.raw("POST", "/purge?before=2020-01-01")
        check(status == 401, "--public-reports does not open POST /purge (%d)" % status)
        status, _, _ = srv.raw("GET", "/rank")
        check(status == 401, "--public-reports opens only the reports (/rank: %d)" % status)
    finally:
        srv.stop()
    # --min-group and --report-depth set the page's defaults and what the
    # public may ask
    srv = start(tmp, ["--public-reports", "--min-group", "2", "--report-depth", "2"], data=False)
    try:
        for q, want in (("min_group=1", 403), ("min_group=2", 200), ("", 200),
                        ("depth=1", 403), ("depth=2", 200)):
            status, _, _ = srv.raw("GET", "/report?" + q)
            check(status == want, "--min-group 2 --report-depth 2: /report?%s: %d, want %d"
                  % (q, status, want))
        _, _, plain = srv.raw("GET", "/report")
        _, _, two = srv.raw("GET", "/report?depth=2&min_group=2")
        check(plain == two, "--report-depth 2 --min-group 2: the default page is that one")
    finally:
        srv.stop()



PAST_RULES = """[scheme]
base = 1000
[[grade]]
name = "A"
min = 1000
[[grade]]
name = "B"
[rule.fine]
points = -10
valid = "2y"
flag = "dishonest"
retain = "5y"
affects = "score"
"""


def test_public_report_as_of(tmp):
    """--public-reports: the public page is the present one.  Any as_of made
    it a time machine for the lists: at 2015-03-01 it named p0..p4, e0 since
    revoked on appeal and all of them archived by retention, while
    /lists/dishonest?as_of= answers 401 without a token."""
    d = os.path.join(tmp, "as_of")
    os.mkdir(d)
    rules = os.path.join(d, "pr.toml")
    with open(rules, "w") as f:
        f.write(PAST_RULES)
    log = ["id,subject,type,ts,group,ref"]
    log += ["e%d,p%d,fine,2015-01-01,g," % (i, i) for i in range(5)]
    log += ["r0,p0,revoke,2015-06-01,g,e0"]
    log += ["k%d,q%d,fine,2024-01-01,h," % (i, i) for i in range(5)]
    srv = start(d, ["--rules", rules, "--public-reports"], data=False)
    try:
        status, rep = srv.request("POST", "/events", ("\n".join(log) + "\n").encode(),
                                  "text/csv", token=tok("boss"))
        check(status == 200 and rep.get("accepted") == 11, "the log is loaded: %d %s"
              % (status, rep))
        past = [b">p%d<" % i for i in range(5)]
        now = [b">q%d<" % i for i in range(5)]
        status, _, page = srv.raw("GET", "/report")
        check(status == 200 and all(q in page for q in now)
              and not any(p in page for p in past),
              "the public page names q0..q4 and none of p0..p4 (%d)" % status)
        # a reader may ask any as_of (and sees the past: that is the check that
        # the page of 2015-03-01 does name them)
        status, _, page = srv.raw("GET", "/report?as_of=2015-03-01", token=tok("reader"))
        check(status == 200 and all(p in page for p in past),
              "a reader asks the page of 2015-03-01 (%d)" % status)
        # no as_of from the public, whatever it names: the past, the present,
        # the default's own instant, or no time at all; AS_OF is as_of
        for q in ("as_of=2015-03-01", "as_of=2015-03-01&depth=1&min_group=5",
                  "AS_OF=2015-03-01", "as_of=now", "as_of=2024-01-01", "as_of=1704067200",
                  "as_of=2030-01-01", "as_of=yesterday"):
            for method in ("GET", "HEAD"):
                status, _, body = srv.raw(method, "/report?" + q)
                check(status == 403, "%s /report?%s without a token: %d, want 403 %s"
                      % (method, q, status, body[:200]))
                if method == "GET":
                    check(b"an as_of needs a token with the read role" in body
                          and not any(p in body for p in past),
                          "/report?%s: the reason: %s" % (q, body[:200]))
        # an empty as_of is absent: the default page
        status, _, page = srv.raw("GET", "/report?as_of=")
        check(status == 200 and all(q in page for q in now),
              "/report?as_of= without a token is the default page (%d)" % status)
        # the lists at a past date were a reader's already
        status, _, _ = srv.raw("GET", "/lists/dishonest?as_of=2015-03-01")
        check(status == 401, "/lists/dishonest?as_of= without a token: %d" % status)
        # credentials that are no known token: 401 first, as on every route
        status, _, _ = srv.raw("GET", "/report?as_of=2015-03-01", token="wrong")
        check(status == 401, "/report?as_of= with a wrong token: %d" % status)
    finally:
        srv.stop()


# ---------------------------------------------------------------- 2, 3. command line

PRESENT_RULES = """[scheme]
base = 1000
utc_offset = "+08:00"
[[grade]]
name = "A"
min = 1000
[[grade]]
name = "D"
[rule.court_defaulter]
points = 0
ceiling = 599
flag = "dishonest"
valid = "5y"
retain = "5y"
affects = "score"
[rule.volunteer]
points = 5
valid = "1y"
"""


def page_as_of(page):
    """The instant a notice page says its figures are exact as of (Unix
    seconds), from its footer; None when it names none."""
    m = re.search(rb"Figures are exact as of ([0-9T:+-]+)\.", page)
    return int(datetime.datetime.fromisoformat(m.group(1).decode()).timestamp()) if m else None


def test_public_report_is_the_present(tmp):
    """--public-reports --report-now: the page without as_of is the page of
    the present moment.  Without --report-now it is dated at the latest ts
    held (as civic-score -f html of the same log), so in a quiet stretch it
    goes on naming p1, whose listing ended (and whose entry retention
    archived) eight days ago, after the last event ten days ago; a visitor
    cannot ask for another as_of (403), and /lists/dishonest?as_of=now holds
    p7 alone.  The other routes keep 1.0's default either way.  Every date
    is counted back from today, so the test holds whatever the clock says."""
    d = os.path.join(tmp, "present")
    os.mkdir(d)
    rules = os.path.join(d, "present.toml")
    with open(rules, "w") as f:
        f.write(PRESENT_RULES)
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()

    def day(n):  # n days before today, at 10:00 in the scheme's offset
        return (today - datetime.timedelta(days=n)).isoformat() + "T10:00:00+08:00"
    ended = today - datetime.timedelta(days=8)  # p1's 5y listing ends then
    # five years before `ended` (a 29 February has none: the 28th, ending a day earlier)
    listed = ended.replace(year=ended.year - 5, day=min(ended.day, 28) if ended.month == 2
                           else ended.day)
    log = ["id,subject,type,ts,group",
           "d1,p1,court_defaulter,%sT10:00:00+08:00,g" % listed.isoformat(),
           "d7,p7,court_defaulter,%s,g" % day(330)]
    log += ["v%d,p%d,volunteer,%s,g" % (i, i, day(16 - i)) for i in range(2, 7)]
    latest = day(10)
    # without --report-now: the page of the latest ts held, for everyone
    srv = start(d, ["--rules", rules, "--public-reports", "--min-group", "1"], data=False)
    try:
        status, rep = srv.request("POST", "/events", ("\n".join(log) + "\n").encode(),
                                  "text/csv", token=tok("ingest"))
        check(status == 200 and rep.get("accepted") == 7, "the log is loaded: %d %s"
              % (status, rep))
        for token in ("", tok("reader")):
            status, _, page = srv.raw("GET", "/report", token=token)
            check(status == 200 and page_as_of(page) == int(
                      datetime.datetime.fromisoformat(latest).timestamp())
                  and b">p1<" in page and b">p7<" in page,
                  "GET /report (token %r) without --report-now is the page of the latest ts "
                  "held, naming p1: %d, as of %s" % (token[:2], status, page_as_of(page)))
        status, _, body = srv.raw("GET", "/report?as_of=now")
        check(status == 403 and b"the public page is at the service's default as_of" in body,
              "/report?as_of=now without a token: %d %s" % (status, body[:200]))
    finally:
        srv.stop()
    srv = start(d, ["--rules", rules, "--public-reports", "--report-now", "--min-group", "1"],
                data=False)
    try:
        status, rep = srv.request("POST", "/events", ("\n".join(log) + "\n").encode(),
                                  "text/csv", token=tok("ingest"))
        check(status == 200 and rep.get("accepted") == 7, "the log is loaded: %d %s"
              % (status, rep))
        # the check can fail: at the latest ts held (ten days ago) p1 is listed
        status, _, page = srv.raw("GET", "/report?as_of=" + latest.replace("+", "%2B"),
                                  token=tok("reader"))
        until = listed.replace(year=listed.year + 5).isoformat()
        check(status == 200 and b">p1<" in page and until.encode() in page,
              "the page of %s names p1 until %s (%d)" % (latest, until, status))
        status, d1 = srv.request("GET", "/lists/dishonest?as_of=now", token=tok("reader"))
        check(status == 200 and [r["subject"] for r in d1.get("subjects", [])] == ["p7"],
              "/lists/dishonest?as_of=now holds p7 alone: %d %s" % (status, d1))
        # the other routes keep their default: the latest ts held
        status, d2 = srv.request("GET", "/lists/dishonest", token=tok("reader"))
        check(status == 200 and d2.get("as_of") == latest
              and [r["subject"] for r in d2.get("subjects", [])] == ["p1", "p7"],
              "/lists/dishonest without as_of is at the latest ts held: %d %s" % (status, d2))
        for token in ("", tok("reader")):
            before = time.time()
            status, _, page = srv.raw("GET", "/report", token=token)
            after = time.time()
            t = page_as_of(page)
            # int(before) - 1: the service's time(), the coarse clock, can lag a tick
            check(status == 200 and t is not None and int(before) - 1 <= t <= after + 1,
                  "GET /report (token %r) is the page of now: %d, as of %s, asked at %d"
                  % (token[:2], status, t, before))
            check(status == 200 and b">p7<" in page and b">p1<" not in page,
                  "GET /report (token %r) names p7 and not p1, archived since (%d)"
                  % (token[:2], status))
        # an as_of from the public is still refused, the reason naming the page
        status, _, body = srv.raw("GET", "/report?as_of=now")
        check(status == 403 and b"the public page is of the present moment" in body,
              "--report-now: /report?as_of=now without a token: %d %s" % (status, body[:200]))
    finally:
        srv.stop()


def report_cache_hits(srv):
    _, _, data = srv.raw("GET", "/metrics", token=tok("boss"))
    m = re.search(rb"\ncivic_report_cache_hits_total ([0-9.e+]+)\n", data)
    return float(m.group(1)) if m else None


def test_public_report_cache(tmp):
    """--public-reports: GET /report needs no token, and each page cost a
    scoring of every event and a pass per flag (seconds on a big log) while
    writes waited: eight anonymous loops made a one-line POST take 1.45 s.
    The last page made at the default as_of is served again, byte for byte
    the page made afresh, while no write came between, the as_of is the same
    and so are depth and min_group; a write makes the next one new.  The
    service's own page and the last other one are kept.  Under --report-now a page up to 60 s
    old is served again (it says its instant)."""
    d = os.path.join(tmp, "cache")
    os.mkdir(d)
    srv = start(d, ["--public-reports"], data=True)
    try:
        load_sample(srv)
        check(report_cache_hits(srv) == 0, "no page served again yet: %s"
              % report_cache_hits(srv))
        status, _, first = srv.raw("GET", "/report")
        t = page_as_of(first)
        # the same page a reader has made afresh at that as_of (never cached)
        _, _, fresh = srv.raw("GET", "/report?as_of=%d" % t, token=tok("reader"))
        check(status == 200 and t is not None and first == fresh,
              "the first public page is the page made at its as_of (%d, %s)" % (status, t))
        check(report_cache_hits(srv) == 0, "a first page is made, not served again: %s"
              % report_cache_hits(srv))
        for n in (1, 2, 3):
            status, _, again = srv.raw("GET", "/report", token=("" if n != 2 else tok("reader")))
            check(status == 200 and again == first and report_cache_hits(srv) == n,
                  "repeat %d of the page is served again: %d, same %s, hits %s"
                  % (n, status, again == first, report_cache_hits(srv)))
        # another page (a stricter min_group) is made, and kept beside the
        # service's own: neither puts the other out
        status, _, strict = srv.raw("GET", "/report?min_group=50")
        check(status == 200 and strict != first and report_cache_hits(srv) == 3,
              "/report?min_group=50 is its own page, made: %d, hits %s"
              % (status, report_cache_hits(srv)))
        status, _, again = srv.raw("GET", "/report")
        check(status == 200 and again == first and report_cache_hits(srv) == 4,
              "the default page after another is served again: hits %s" % report_cache_hits(srv))
        status, _, again = srv.raw("GET", "/report?min_group=50")
        check(status == 200 and again == strict and report_cache_hits(srv) == 5,
              "the min_group=50 page is served again: hits %s" % report_cache_hits(srv))
        # a third key puts the other page out, never the service's own (asked
        # by a reader: a caller without a token has one other page made a
        # write, test_public_report_other_pages)
        for k in (51, 52, 50):
            srv.raw("GET", "/report?min_group=%d" % k, token=tok("reader"))
        check(report_cache_hits(srv) == 5, "min_group 51, 52 and 50 again are made: hits %s"
              % report_cache_hits(srv))
        status, _, again = srv.raw("GET", "/report")
        check(status == 200 and again == first and report_cache_hits(srv) == 6,
              "the service's page outlives other keys: hits %s" % report_cache_hits(srv))
        # a write makes the next page new, at the same as_of (an earlier ts)
        status, rep = srv.request("POST", "/events",
                                  b"id,subject,type,ts,group\ncache1,cache-subject,recycling,"
                                  b"2020-01-01,cache-group\n", "text/csv", token=tok("ingest"))
        check(status == 200 and rep.get("accepted") == 1, "one event posted: %d %s"
              % (status, rep))
        status, _, after = srv.raw("GET", "/report")
        _, _, fresh = srv.raw("GET", "/report?as_of=%d" % t, token=tok("reader"))
        check(status == 200 and page_as_of(after) == t and after != first and after == fresh
              and report_cache_hits(srv) == 6,
              "a write makes the next page new: %d, as of %s, new %s, fresh %s, hits %s"
              % (status, page_as_of(after), after != first, after == fresh,
                 report_cache_hits(srv)))
        status, _, _ = srv.raw("POST", "/purge?before=2000-01-01", token=tok("boss"))
        check(status == 200, "a purge that removes nothing: %d" % status)
        status, _, again = srv.raw("GET", "/report")
        check(status == 200 and again == after and report_cache_hits(srv) == 6,
              "a purge makes the next page new: hits %s" % report_cache_hits(srv))
    finally:
        srv.stop()
    srv = start(d, ["--public-reports", "--report-now"], data=False)
    try:
        load_sample(srv)
        status, _, first = srv.raw("GET", "/report")
        status2, _, again = srv.raw("GET", "/report")
        check(status == status2 == 200 and again == first and report_cache_hits(srv) == 1,
              "--report-now: a repeat is served again: %d %d, same %s, hits %s"
              % (status, status2, again == first, report_cache_hits(srv)))
    finally:
        srv.stop()


def test_public_report_one_maker(tmp):
    """Requests for the public page that miss its cache together (after a
    write, or under --report-now when the page is a minute old) wait for one
    page and are served it: each made its own, so a burst of N anonymous
    requests on a big log cost N pages of CPU at once.  Four requests at the
    same moment, each page taking tens of milliseconds here: one page made,
    three served again, all four the page a reader makes afresh."""
    d = os.path.join(tmp, "onemaker")
    os.mkdir(d)
    srv = start(d, ["--public-reports"], data=False)
    try:
        types = ("neighbour_help", "environment_cleanup", "residents_meeting")
        rows = ["id,subject,type,ts,group"] + [
            "om%d,om-r%d,%s,2025-%02d-%02d,g%d" % (i, i % 10000, types[i % 3], 1 + i % 12,
                                                   1 + i % 28, i % 50)
            for i in range(100000)]
        status, rep = srv.request("POST", "/events", ("\n".join(rows) + "\n").encode(),
                                  "text/csv", token=tok("ingest"))
        check(status == 200 and rep.get("accepted") == 100000,
              "100000 events posted: %d %s" % (status, rep.get("accepted")))
        for burst in (1, 2):
            # a write: the next page is new, and four ask for it at once
            status, _ = srv.request("POST", "/events", b"id,subject,type,ts\nom-w%d,om-r1,"
                                    b"neighbour_help,2025-01-01\n" % burst, "text/csv",
                                    token=tok("ingest"))
            before = report_cache_hits(srv)
            pages = []
            gate = threading.Barrier(4)

            def ask():
                gate.wait()
                pages.append(srv.raw("GET", "/report"))
            askers = [threading.Thread(target=ask) for _ in range(4)]
            for a in askers:
                a.start()
            for a in askers:
                a.join()
            made = [p for st, _, p in pages if st == 200]
            t = page_as_of(made[0]) if made else None
            _, _, fresh = srv.raw("GET", "/report?as_of=%d" % t, token=tok("reader"))
            check(status == 200 and len(made) == 4 and len(set(made)) == 1 and made[0] == fresh
                  and report_cache_hits(srv) - before == 3,
                  "burst %d: four requests at once, one page made and served to all: %d, %d "
                  "pages, %d distinct, fresh %s, served again %s"
                  % (burst, status, len(made), len(set(made)), made[:1] == [fresh],
                     report_cache_hits(srv) - before))
    finally:
        srv.stop()


def report_metric(srv, name):
    _, _, data = srv.raw("GET", "/metrics", token=tok("boss"))
    m = re.search(rb"\n" + re.escape(name.encode()) + rb" ([0-9.e+]+)\n", data)
    return float(m.group(1)) if m else None


def test_public_report_other_pages(tmp):
    """--public-reports with --tokens: a caller without a token may ask for a
    stricter page (a min_group above the service's), and each new min_group
    was a page made afresh while writes waited: four anonymous loops asking
    6, 7, 8, ... held a one-event POST 0.3 to 1 s.  A page of other
    parameters than the service's, not kept, is made for all callers
    without a token together at most once a write (or a minute); past that
    they are answered 429 with Retry-After, counted in /metrics.  The
    service's own page, a page kept, and token holders are not limited;
    nor is a service without --tokens (anyone may write to it)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import openapi_check
    d = os.path.join(tmp, "other-pages")
    os.mkdir(d)
    srv = start(d, ["--public-reports"], data=False)
    try:
        load_sample(srv)
        status, _, six = srv.raw("GET", "/report?min_group=6")
        check(status == 200 and b"<html" in six.lower(),
              "the first other page without a token is made: %d" % status)
        status, h, body = srv.raw("GET", "/report?min_group=7")
        retry = h.get("retry-after", "")
        check(status == 429 and retry.isdigit() and 1 <= int(retry) <= 60,
              "a second other page without a token and without a write: 429 with "
              "Retry-After 1..60: %d %r %r" % (status, retry, body[:300]))
        try:
            e = json.loads(body)
        except ValueError:
            e = {}
        check(e.get("error") == "too many requests"
              and "the service's 5" in e.get("reason", "")
              and "once a write or a minute" in e.get("reason", "")
              and "in %s s" % retry in e.get("reason", "")
              and "token with the read role" in e.get("reason", ""),
              "the 429 says why and what to do: %r" % body[:400])
        problems = openapi_check.check_response(openapi_check.load(), "GET", "/report", status,
                                                h.get("content-type"), body, h)
        check(not problems, "the 429 is as docs/openapi.json says: %s" % problems)
        status, h, _ = srv.raw("HEAD", "/report?min_group=8")
        check(status == 429 and "retry-after" in h, "HEAD of another page: 429 too: %d" % status)
        # what is kept, or the service's own, is served whatever was refused
        status, _, again = srv.raw("GET", "/report?min_group=6")
        check(status == 200 and again == six, "the kept other page is served again: %d" % status)
        for q in ("", "?min_group=5", "?depth=1"):
            status, _, _ = srv.raw("GET", "/report" + q)
            check(status == 200, "the service's own page is never refused (%r: %d)" % (q, status))
        # token holders are not counted; a page a reader had made is kept,
        # and served to anyone
        status, _, seven = srv.raw("GET", "/report?min_group=7", token=tok("reader"))
        check(status == 200, "a reader's other page is made: %d" % status)
        status, _, again = srv.raw("GET", "/report?min_group=7")
        check(status == 200 and again == seven,
              "a page a reader had made is served without a token: %d" % status)
        status, _, _ = srv.raw("GET", "/report?min_group=9")
        check(status == 429, "the reader's page gave no other page to the public: %d" % status)
        # a write: one more other page for callers without a token
        status, rep = srv.request("POST", "/events", b"id,subject,type,ts\nother1,other-r,"
                                  b"recycling,2025-01-01\n", "text/csv", token=tok("ingest"))
        check(status == 200 and rep.get("accepted") == 1, "one event posted: %d" % status)
        status, _, _ = srv.raw("GET", "/report?min_group=10")
        check(status == 200, "after a write, an other page is made again: %d" % status)
        status, _, _ = srv.raw("GET", "/report?min_group=11")
        check(status == 429, "... one: %d" % status)
        refused = report_metric(srv, "civic_report_refusals_total")
        _, _, m = srv.raw("GET", "/metrics", token=tok("boss"))
        check(refused == 4 and b'civic_http_requests_total{route="/report",status="429"} 4\n' in m,
              "/metrics counts the four 429s: %s" % refused)
        # the finding's loops: however many ask, at most one other page a write
        made, stop, posts = [], threading.Event(), [0]

        def loop(k):
            n = 100 + k
            while not stop.is_set():
                st, _, _ = srv.raw("GET", "/report?min_group=%d" % n)
                if st == 200:
                    made.append(n)
                n += 4
        loops = [threading.Thread(target=loop, args=(k,)) for k in range(4)]
        for t in loops:
            t.start()
        deadline = time.time() + 2
        while time.time() < deadline:
            srv.request("POST", "/events", b"id,subject,type,ts\nloop%d,other-r,recycling,"
                        b"2025-01-02\n" % posts[0], "text/csv", token=tok("ingest"))
            posts[0] += 1
            time.sleep(0.2)
        stop.set()
        for t in loops:
            t.join()
        check(1 <= len(made) <= posts[0] + 1,
              "four anonymous loops: at most one other page a write (%d made, %d writes)"
              % (len(made), posts[0]))
    finally:
        srv.stop()
    # without --tokens anyone may write, and no page is refused
    srv = harness.Server(ARGS.server, None, ["--public-reports"]).start()
    try:
        load_sample(srv)
        statuses = [srv.raw("GET", "/report?min_group=%d" % k)[0] for k in (6, 7, 8)]
        check(statuses == [200, 200, 200], "without --tokens: no 429: %s" % statuses)
    finally:
        srv.stop()


def run(*args, stdin=""):
    p = subprocess.run([ARGS.server, *args], input=stdin, capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def test_tokens_file(tmp):
    """--tokens: a file others may read or change is warned of (as ssh does
    for a key); a directory says so; a FIFO is refused at once (the start-up
    blocked for ever); a byte-order mark before the first line is skipped."""
    d = os.path.join(tmp, "tokfile")
    os.mkdir(d)
    path = harness.make_tokens(ARGS.server, os.path.join(d, "tokens"),
                               [("a", "read", "a-0123456789abcdef-token")])
    for mode, warned in ((0o644, True), (0o640, True), (0o600, False)):
        os.chmod(path, mode)
        srv = harness.Server(ARGS.server, None, ["--tokens", path]).start()
        srv.stop()
        out = srv.output()
        said = "civic-server: warning: --tokens %s has mode %04o" % (path, mode)
        check((said in out and "chmod 600 %s" % path in out) == warned
              and ("warning" in out) == warned,
              "--tokens of mode %04o: warned %s: %r" % (mode, warned, out))
    rc, out, err = run("--port", "0", "--tokens", d)
    check(rc == 2 and "--tokens %s: Is a directory" % d in err, "--tokens DIR: %s %r" % (rc, err))
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    try:
        rc, out, err = run("--port", "0", "--tokens", fifo)
        check(rc == 2 and "not a regular file" in err, "--tokens FIFO: %s %r" % (rc, err))
    except subprocess.TimeoutExpired:
        check(False, "--tokens FIFO: the start-up blocked")
    with open(path, "rb") as f:
        text = f.read()
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbf" + text)
    srv = harness.Server(ARGS.server, None, ["--tokens", path], token="a-0123456789abcdef-token")
    srv.start()
    try:
        check(srv.raw("GET", "/rank")[0] == 200, "a tokens file with a byte-order mark")
    finally:
        srv.stop()
    # elsewhere, an invisible character is named with its line and column
    # (a second file's mark after `cat a b > tokens` said "name '\ufeffb' is
    # not 1..64 bytes of [A-Za-z0-9_.@-]", the mark unseen)
    line = text.decode().split()
    with open(path, "w", encoding="utf-8") as f:
        f.write("\ufeff%s %s %s\n\ufeffb read %s\n" % (line[0], line[1], line[2], "0" * 64))
    rc, out, err = run("--port", "0", "--tokens", path)
    check(rc == 2 and "%s:2: line 2 holds an invisible character at column 1, U+FEFF" % path
          in err, "a byte-order mark on line 2 is named: %s %r" % (rc, err))
    # so is a space other than the ASCII one: a no-break space a paste left
    # at a line's end made a fourth field ("expected: NAME ROLE SHA256-HEX")
    for space, cp in (("\u00a0", "U+00A0 (a no-break space)"), ("\u3000", "U+3000"),
                      ("\u202f", "U+202F"), ("\u2002", "U+2002")):
        with open(path, "w", encoding="utf-8") as f:
            f.write("%s %s %s %s\n" % (line[0], line[1], line[2], space))
        rc, out, err = run("--port", "0", "--tokens", path)
        check(rc == 2 and "%s:1: line 1 holds an invisible character at column %d, %s"
              % (path, len(" ".join(line[:3])) + 2, cp) in err,
              "a space %s at a line's end is named: %s %r" % (cp, rc, err))
    # one token on two lines: both lines and both names (line 1's name was
    # given for line 2)
    with open(path, "w", encoding="utf-8") as f:
        f.write("%s %s %s\n\nb write %s\n" % (line[0], line[1], line[2], line[2]))
    rc, out, err = run("--port", "0", "--tokens", path)
    check(rc == 2 and "%s:3: the same token is listed twice: line 3 ('b') lists the token of "
          "line 1 ('%s')" % (path, line[0]) in err,
          "a token listed twice names both lines: %s %r" % (rc, err))


def test_tokens_long_lines(tmp):
    """A tokens file is read in whole lines.  It was read in pieces of 511
    bytes, each later piece of a long line parsed as a line of its own: a
    long comment about a revoked token, the token's old line quoted at its
    end, brought that token back with its role (and the line numbers after
    a long line were off by one).  A '#' line is a comment whatever its
    length; any other line over 511 bytes is refused, naming its line."""
    d = os.path.join(tmp, "toklines")
    os.mkdir(d)
    live = harness.make_tokens(ARGS.server, os.path.join(d, "live"),
                               [("boss", "admin", "live-admin-token-000001")])
    old = harness.make_tokens(ARGS.server, os.path.join(d, "old"),
                              [("oldadmin", "admin", "old-admin-token-0000001")])
    with open(live) as f:
        live_text = f.read()
    with open(old) as f:
        old_text = f.read()
    note = ("# revoked 2026-12-01: " + "leaked in a ticket; see incident report; " * 20)[:511]
    path = os.path.join(d, "tokens")

    def write(text, mode="w"):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), mode) as f:
            f.write(text)

    def statuses(*tokens):
        """The status of GET /metrics with each token, or the start-up's failure."""
        srv = harness.Server(ARGS.server, None, ["--tokens", path], token="")
        try:
            srv.start()
        except RuntimeError as e:
            return [str(e)[:200]] * len(tokens)
        try:
            return [srv.raw("GET", "/metrics", token=t)[0] for t in tokens]
        finally:
            srv.stop()

    def refused():
        """(exit status, output) of a start-up that fails; (None, output) if it served."""
        srv = harness.Server(ARGS.server, None, ["--tokens", path], token="")
        try:
            srv.start()
        except RuntimeError:
            return srv.proc.returncode, srv.output()
        srv.stop()
        return None, srv.output()

    for length in (511, 512, 5000):
        write(live_text + note.ljust(length, "x") + old_text)
        st_old, st_live = statuses("old-admin-token-0000001", "live-admin-token-000001")
        check(st_old == 401 and st_live == 200,
              "a %d-byte comment ending in a revoked token's line: old %s, live %s"
              % (length, st_old, st_live))
    # the line numbers after a long comment are true: the bad line is line 3
    for length in (511, 5000):
        write(live_text + "#" * length + "\nops admin nothex\n")
        rc, err = refused()
        check(rc == 2 and "%s:3: the hash is not 64 hex digits" % path in err,
              "a bad line after a %d-byte comment is named as line 3: %s %r" % (length, rc, err))
    # blanks at a token line's ends do not count: 600 of them after the hash,
    # or 300 before and a tab after, still make a token line
    entry = live_text.rstrip("\n")
    for text in (entry.ljust(600), " " * 300 + entry + "\t \t"):
        write("# tokens\n" + text + "\r\n")
        st, = statuses("live-admin-token-000001")
        check(st == 200, "a token line with %d blanks at its ends is read: %s"
              % (len(text) - len(entry), st))
    # a line of 511 bytes without the blanks at its ends is one, of 512
    # refused (naming its length without them); blanks between its fields count
    name, role, digest = entry.split()
    for length, ok in ((510, True), (511, True), (512, False)):
        line = name + " " * (length - len(entry) + 1) + role + " " + digest
        assert len(line) == length
        write("# tokens\n\n  " + line + "   \r\n")
        if ok:
            st, = statuses("live-admin-token-000001")
            check(st == 200, "a token line of %d bytes is read: %s" % (length, st))
        else:
            rc, err = refused()
            check(rc == 2 and "%s:3: line 3 is longer than 511 bytes (512)" % path in err,
                  "a token line of %d bytes is refused, naming it: %s %r" % (length, rc, err))
    # a NUL byte would end the line early: refused, in a token line
    write(live_text.encode() + b"ops admin " + b"0" * 64 + b"\0 junk\n", "wb")
    rc, err = refused()
    check(rc == 2 and "%s:2: line 2 holds a NUL byte (at byte 75)" % path in err,
          "a NUL byte in a token line is refused: %s %r" % (rc, err))


def test_command_line(tmp):
    rc, out, err = run("--version")
    check(rc == 0 and out.startswith("civic-server") and "libcivic" in out, "--version: %r" % out)
    rc, out, err = run("--bogus")
    check(rc == 1 and "unknown option '--bogus'" in err and "usage:" in err, "unknown option: %r" % err)
    rc, out, err = run("--port")
    check(rc == 1 and "needs a value" in err and "usage:" in err, "missing value: %r" % err)
    rc, out, err = run("--port", "http")
    check(rc == 1 and "bad value for --port" in err and "usage:" in err, "bad value: %r" % err)
    # what a bad value should be, and --name=value as civic-score takes it
    for args, want in ((["--port", "70000"], "an integer from 0 to 65535"),
                       (["--threads", "0"], "an integer from 1 to 1024"),
                       (["--max-body", "1X"], "a size"),
                       (["--sync", "sometimes"], "always, group or none"),
                       (["--port=http"], "bad value for --port: 'http'"),
                       (["--insecure=yes"], "--insecure takes no value"),
                       (["--public-reports=yes"], "--public-reports takes no value"),
                       (["--report-now=x"], "--report-now takes no value")):
        rc, out, err = run(*args)
        check(rc == 1 and want in err and "usage:" in err, "%s: %r" % (args, err[:200]))
    rc, out, err = run("--version=1")
    check(rc == 1 and "--version takes no value" in err, "--version=1: %r" % err[:200])
    # --data makes its directory, not the parents: a missing parent is named as the cause
    missing = os.path.join(tmp, "no-such-parent", "data")
    rc, out, err = run("--port", "0", "--data", missing)
    check(rc != 0 and ("cannot create %s" % missing) in err
          and "its parent directory does not exist" in err, "--data without a parent: %r"
          % err[:300])
    rc, out, err = run("--port", "0", "--data", missing + "/.")
    check(rc != 0 and ("cannot create %s/." % missing) in err
          and "its parent directory does not exist" in err, "--data without a parent, /.: %r"
          % err[:300])
    # "DIR/." and "DIR/./" name DIR as "DIR/" does (the manual compares them
    # so): the directory is made, where mkdir("DIR/.") failed, its parent there
    for name, given in (("dot-data", os.path.join(tmp, "dot-data/.")),
                        ("dot-data2", os.path.join(tmp, ".", "dot-data2/./")),
                        ("dot-data3", os.path.relpath(os.path.join(tmp, "dot-data3")) + "/.")):
        made = os.path.join(tmp, name)
        srv = harness.Server(ARGS.server, given)
        try:
            srv.start()
            check(os.path.isdir(made) and os.path.exists(os.path.join(made, "journal.civic")),
                  "--data %s: %s made, the journal in it" % (given, made))
        except RuntimeError as e:
            check(False, "--data %s starts: %s" % (given, e))
        finally:
            srv.stop()
    # a --data that is a link to nowhere: mkdir finds it there, opening it fails
    link = os.path.join(tmp, "data-link")
    os.symlink(os.path.join(tmp, "moved-away"), link)
    rc, out, err = run("--port", "0", "--data", link)
    check(rc != 0 and ("%s is a symbolic link to %s" % (link, os.path.join(tmp, "moved-away")))
          in err and "which does not exist" in err, "--data, a dangling link: %r" % err[:300])
    rc, out, err = run("--port", "0", "--data", link + "/")
    check(rc != 0 and "is a symbolic link to" in err, "--data, a dangling link/: %r" % err[:300])
    rc, out, err = run("--port=0", "--max-body=512M", "--body-budget=256M")
    check(rc == 1 and "--body-budget" in err and "unknown option" not in err,
          "--name=value is read as --name value: %r" % err[:200])
    rc, out, err = run("--help")
    check(rc == 0 and "--tokens FILE" in out and "--request-timeout" in out
          and "--report-now" in out, "--help")
    rc, out, err = run("--tls-cert", "x.pem")
    check(rc == 1 and "go together" in err, "--tls-cert alone: %r" % err)
    # --data, --rules or --tokens given twice with two values took the last
    # one in silence (a unit file's --data and an override's: a service on
    # an empty directory): refused as a usage error, naming both, before
    # anything else is looked at (here a --bind refused later, which ended
    # the test when the server took them)
    first, second = os.path.join(tmp, "twice-1"), os.path.join(tmp, "twice-2")
    for opt in ("--data", "--rules", "--tokens"):
        for args in ([opt, first, opt, second], [opt + "=" + first, "--port", "0",
                                                 opt + "=" + second]):
            rc, out, err = run("--bind", "localhost", *args)
            check(rc == 1 and "%s was given twice, '%s' and '%s': give it once" % (
                      opt, first, second) in err and "usage:" in err
                  and "not an IPv4" not in err,
                  "%s given twice is refused, naming both, exit 1: %s %r" % (args, rc, err[:300]))
    # the same value twice is one: taken (here the start stops later, at --bind)
    for opt in ("--data", "--rules", "--tokens"):
        rc, out, err = run("--bind", "localhost", opt, first, opt, first)
        check(rc == 1 and "given twice" not in err and "not an IPv4 or IPv6 address" in err,
              "%s given twice with one value is taken: %s %r" % (opt, rc, err[:300]))
    # two spellings of one directory ("d", "d/") are one value; a value too
    # long to show whole is cut before a character, not inside one
    rc, out, err = run("--bind", "localhost", "--data", tmp, "--data", tmp + "/")
    check(rc == 1 and "given twice" not in err and "not an IPv4 or IPv6 address" in err,
          "--data given as d and d/ is one value: %s %r" % (rc, err[:300]))
    # ... also when it does not exist yet (a first start makes it): the
    # names compared as their text reads, trailing slashes and ./ dropped,
    # a relative one against the working directory (it was refused, "--data
    # was given twice, 'nd1' and 'nd1/'"); ".." is not undone (past a
    # symbolic link it leads elsewhere), and two other names stay refused
    for opt in ("--data", "--rules", "--tokens"):
        for a, b, one in (("nd1", "nd1/", True), ("nd1", "./nd1", True),
                          ("./nd1//", os.path.join(tmp, "nd1"), True),
                          (os.path.join(tmp, "nd1") + "/.", "nd1", True),
                          ("nd1", "nd2", False), ("nd1", "x/../nd1", False),
                          ("nd1", "/nd1", False)):
            p = subprocess.run([os.path.abspath(ARGS.server), "--bind", "localhost", opt, a,
                                opt, b], cwd=tmp, capture_output=True, text=True, timeout=30)
            took = "given twice" not in p.stderr and "not an IPv4 or IPv6 address" in p.stderr
            refused = "%s was given twice, '%s' and '%s'" % (opt, a, b) in p.stderr
            check(not os.path.exists(os.path.join(tmp, "nd1")) and p.returncode == 1
                  and (took if one else refused),
                  "%s %s %s %s, not there yet: %s: %r"
                  % (opt, a, opt, b, "one value" if one else "refused", p.stderr[:300]))
    long_name = "\u00e9" * 3000
    rc, out, err = run("--bind", "localhost", "--rules", long_name, "--rules", "x" + long_name)
    check(rc == 1 and "--rules was given twice, '" + "\u00e9" * 98 + "...' and 'x" +
          "\u00e9" * 98 + "...': give it once" in err,
          "a long value given twice is cut before a character: %r" % err[:600])
    # the other options take the last value, as the manual says: --port P
    # --port 0 listens on a port picked for it, not on P
    port = harness.free_port()
    p = subprocess.Popen([ARGS.server, "--port", str(port), "--port", "0"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
    finally:
        p.terminate()
        p.communicate(timeout=30)
    got = re.search(r"listening on 127\.0\.0\.1 port (\d+) ", line)
    check(got and int(got.group(1)) not in (0, port),
          "--port given twice: the last counts: %r" % line)
    # A file an option names that cannot be read (or opened) is a bad option:
    # exit 1, as the manual says, naming the file (it was 2, as for bad data).
    readable = os.path.join(tmp, "readable.pem")
    with open(readable, "w") as f:
        f.write("not a key\n")
    missing = os.path.join(tmp, "nonexistent", "x")
    # a document served as JSON must be JSON: refused at start-up, naming
    # where it is not (it was served as given, YAML say, to every client)
    # (bytes counted from 1, as a request target's are: they were from 0)
    for text, where in (("openapi: 3.1.0\n", "at byte 1)"), ('{"openapi": "3.1.0",}', "at byte 21)"),
                        ("", "an empty file)"), ('{"openapi": "3.1.0"', "it ends before it is whole)"),
                        ('\ufeff{"openapi": "3.1.0"}', "at byte 1: a byte-order mark")):
        notjson = os.path.join(tmp, "notjson")
        with open(notjson, "w", encoding="utf-8") as f:
            f.write(text)
        rc, out, err = run("--port", "0", "--openapi", notjson)
        check(rc == 1 and "--openapi %s: not JSON (%s" % (notjson, where) in err
              and "listening" not in out,
              "--openapi %r: refused at start-up, exit 1 (%s, %r)" % (text, rc, err[:200]))
    for args in (["--tls-cert", missing, "--tls-key", readable],
                 ["--tls-cert", tmp, "--tls-key", readable],      # a directory
                 ["--tls-cert", readable, "--tls-key", missing],
                 ["--openapi", missing],
                 ["--openapi", tmp],
                 ["--access-log", missing]):
        rc, out, err = run("--port", "0", *args)
        named = missing if missing in args else tmp
        option = args[args.index(named) - 1]
        check(rc == 1 and "%s %s: " % (option, named) in err and "listening" not in out,
              "%s %s: a file that cannot be read is a bad option, exit 1, naming it (%s, %r)"
              % (option, named, rc, err[:200]))
    # Options of the data directory without one: the operator believes in a
    # durability (or a rescore, a recovery) that is not there.
    for opt in (["--rescore"], ["--recover"], ["--sync", "group"], ["--compact-every", "5"]):
        rc, out, err = run(*opt, "--port", "0")
        check(rc == 1 and "%s works on a data directory" % opt[0] in err and "--data" in err,
              "%s without --data is refused: %r" % (opt[0], err))
    # a 1.0 command line with a --max-body above the default budget (1.0 had
    # none) still starts: the budget not given grows to fit it.  192.0.2.1
    # (TEST-NET-1) is on no interface: failing to bind it shows the options
    # were taken
    for size in ("512M", "1G"):
        rc, out, err = run("--max-body", size, "--bind", "192.0.2.1", "--insecure", "--port", "0")
        check(rc == 1 and "cannot listen on 192.0.2.1" in err and "--body-budget" not in err,
              "--max-body %s without --body-budget starts, as 1.0's did: %r" % (size, err))
    rc, out, err = run("--max-body", "3M", "--body-budget", "2M")
    check(rc == 1 and "--max-body (3145728 bytes) is larger than --body-budget (2097152 bytes): "
          "such a body could never be accepted; give --max-body at most that, or a larger "
          "--body-budget" in err, "--max-body over a given budget names both: %r" % err)
    # The bind rule.  192.0.2.1 (TEST-NET-1) is on no interface: binding it
    # fails without a packet sent, which shows the rule let it through.
    for bind in ("0.0.0.0", "::", "192.0.2.1"):
        rc, out, err = run("--bind", bind, "--port", "0")
        check(rc == 1 and "refusing to listen" in err and "--insecure" in err,
              "--bind %s without --tokens is refused: %r" % (bind, err))
    # an IPv4-mapped IPv6 address cannot be bound (the service listens IPv6
    # only there): the message names the IPv4 address to give
    rc, out, err = run("--bind", "::ffff:127.0.0.1", "--port", "0")
    check(rc == 1 and "IPv4-mapped" in err and "--bind 127.0.0.1" in err,
          "--bind ::ffff:127.0.0.1 says what to give: %r" % err)
    # A name is no address: said first (it was refused for want of --tokens,
    # and then, with them, for not being an address), with what to give.
    for extra in ([], ["--insecure"]):
        rc, out, err = run("--bind", "localhost", "--port", "0", *extra)
        check(rc == 1 and "refusing" not in err and "not an IPv4 or IPv6 address" in err and
              "127.0.0.1" in err and "::1" in err,
              "--bind localhost %s is refused as no address, saying what to give: %r"
              % (" ".join(extra), err))
    rc, out, err = run("--bind", "192.0.2.1", "--port", "0", "--insecure")
    check(rc != 0 and "refusing" not in err and "cannot listen" in err,
          "--insecure lets a non-loopback bind through: %r" % err)
    tokens = harness.make_tokens(ARGS.server, os.path.join(tmp, "t"), [("a", "read", "x" * 20)])
    rc, out, err = run("--bind", "192.0.2.1", "--port", "0", "--tokens", tokens)
    check(rc != 0 and "refusing" not in err, "--tokens lets a non-loopback bind through: %r" % err)
    rc, out, err = run("--hash-token", "ops", "admin", stdin="short\n")
    check(rc == 1 and "16.." in err, "a short token is refused: %r" % err)
    rc, out, err = run("--hash-token", "ops", "admin", stdin="s3cret-s3cret-s3cret\n")
    check(rc == 0 and re.fullmatch(r"ops admin [0-9a-f]{64}\n", out), "--hash-token line %r" % out)
    # arguments after NAME ROLE were ignored, exit 0: a bad option is exit 1
    for extra in (["extra"], ["--port", "99999"], ["--port", "8080"]):
        rc, out, err = run("--hash-token", "ops", "admin", *extra, stdin="s3cret-s3cret-s3cret\n")
        check(rc == 1 and out == "" and "'%s'" % extra[0] in err and "usage:" in err,
              "--hash-token ops admin %s: refused, exit 1: %s %r %r" % (extra, rc, out, err))
    # a C1 control (U+0085 NEL) is a control character, as in paths
    rc, out, err = run("--hash-token", "ops", "admin", stdin="s3cret-\u0085-s3cret-s3cret\n")
    check(rc == 1 and out == "" and "control" in err, "a token with U+0085: %s %r" % (rc, err))
    # a space other than the ASCII one (a no-break space a paste leaves at
    # the end) was hashed in: no client's token matched the line
    for stdin, said in (("abcdefghijklmnop\u00a0", "byte 17 is U+00A0 (a no-break space)"),
                        ("s3cret-\u00a0-s3cret-s3cret\n", "byte 8 is U+00A0"),
                        ("abcdefghijklmnop\u202f\n", "byte 17 is U+202F"),
                        ("abcdefghijklmnop\u3000", "byte 17 is U+3000 (an ideographic space)"),
                        ("abcdefghijklmnop\u2028", "byte 17 is U+2028 (a line separator)")):
        rc, out, err = run("--hash-token", "nb", "read", stdin=stdin)
        check(rc == 1 and out == "" and "a token has no spaces or control characters: %s"
              % said in err, "--hash-token refuses %r: %s %r" % (stdin, rc, err))
    # an invisible format character (a byte-order mark a Windows tool or an
    # editor wrote first, a zero-width space or word joiner from a paste) was
    # hashed into the line, and every client then got 401: refused, named
    for stdin, where, cp in (("\ufeff0123456789abcdef", "byte 1", "U+FEFF (a byte-order mark"),
                             ("0123456789\u200babcdef\n", "byte 11", "U+200B (a zero-width space)"),
                             ("0123456789abcdef\u2060\n", "byte 17", "U+2060 (a word joiner)"),
                             ("01234567\ufeff89abcdef", "byte 9", "U+FEFF")):
        rc, out, err = run("--hash-token", "n", "read", stdin=stdin)
        check(rc == 1 and out == "" and "the token holds an invisible character at %s, %s"
              % (where, cp) in err and "give it without" in err,
              "--hash-token refuses %r: %s %r" % (stdin, rc, err))
    # the token is one line: a second one (a pasted file) is named as such
    for stdin in ("s3cret-s3cret-s3cret\nsecond\n", "s3cret-s3cret-s3cret\r\n\n"):
        rc, out, err = run("--hash-token", "ops", "admin", stdin=stdin)
        check(rc == 1 and out == "" and "the token is one line" in err and "byte 21" in err,
              "two lines to --hash-token: %s %r" % (rc, err))
    # what they print cannot be written (a full disk): said, exit 1, where a
    # shell's `>> tokens` would otherwise have added no line in silence
    if os.path.exists("/dev/full"):
        for args, stdin in ((("--hash-token", "ops", "admin"), "s3cret-s3cret-s3cret\n"),
                            (("--version",), ""), (("--help",), "")):
            with open("/dev/full", "w") as full:
                p = subprocess.run([ARGS.server, *args], input=stdin.encode(), stdout=full,
                                   stderr=subprocess.PIPE, timeout=30)
            err = p.stderr.decode()
            check(p.returncode == 1 and "cannot write output: No space left on device" in err,
                  "%s to a full disk: exit %d, %r" % (args[0], p.returncode, err))
    with open(os.path.join(tmp, "bad"), "w") as f:
        f.write("ops admin nothex\n")
    rc, out, err = run("--tokens", os.path.join(tmp, "bad"), "--port", "0")
    check(rc == 2 and ":1:" in err, "a bad tokens file names its line: %r" % err)


# ---------------------------------------------------------------- 4. HTTP

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
GETS, POSTS = "GET, HEAD, OPTIONS", "POST, OPTIONS"
PATHS = {"/events": POSTS, "/compact": POSTS, "/purge": POSTS, "/subjects/x": GETS,
         "/subjects/x/record": GETS, "/groups": GETS, "/rank": GETS, "/healthz": GETS,
         "/metrics": GETS, "/openapi.json": GETS, "/lists/x": GETS, "/report": GETS,
         "/objections": GETS}


def strict_json(data):
    return json.loads(data.decode("utf-8", errors="strict"))


def test_methods(srv):
    """405 with Allow for a method the path does not take; OPTIONS (RFC 9110,
    9.3.7) answers 200 with the same Allow and no body, without a token
    (what a path takes is public: GET /openapi.json says it), its query and
    body ignored; OPTIONS * asks about the server as a whole, which takes
    GET, HEAD, POST and OPTIONS, and * is no target for any other method
    (400); an unknown path is 404 whatever the method."""
    for path, allow in PATHS.items():
        for m in ALL_METHODS:
            if m in allow.split(", "):
                continue
            status, h, data = srv.raw(m, path)
            check(status == 405 and h.get("allow") == allow,
                  "%s %s: %d Allow %r (wanted 405 %r)" % (m, path, status, h.get("allow"), allow))
        for query, body in (("", None), ("?asof=1&asof=2", b"id,subject,type,ts\n")):
            status, h, data = srv.raw("OPTIONS", path + query, body)
            check(status == 200 and h.get("allow") == allow and data == b""
                  and h.get("content-length") == "0" and "content-type" not in h,
                  "OPTIONS %s%s: %d Allow %r %r (wanted 200 %r, no body)"
                  % (path, query, status, h.get("allow"), data[:80], allow))
    status, h, data = srv.raw("OPTIONS", "*")
    check(status == 200 and h.get("allow") == "GET, HEAD, POST, OPTIONS" and data == b"",
          "OPTIONS *: %d Allow %r %r" % (status, h.get("allow"), data[:80]))
    for m in ("GET", "HEAD", "POST", "DELETE"):
        status, h, data = srv.raw(m, "*", b"" if m == "POST" else None)
        check(status == 400 and (m == "HEAD" or strict_json(data)["error"] == "bad request target"),
              "%s *: 400 (%d %r)" % (m, status, data[:120]))
    for m in ("GET", "OPTIONS"):
        status, _, _ = srv.raw(m, "/no/such/route")
        check(status == 404, "%s of an unknown route: 404 (%d)" % (m, status))


def test_keep_alive(srv):
    conn = srv.connection()
    try:
        srv.raw("GET", "/healthz", conn=conn)
        sock = conn.sock
        answers = [srv.raw("POST", "/events", event_body(), {"Content-Type": "text/csv"},
                           token=tok("ingest"), conn=conn),
                   srv.raw("GET", "/rank?top=2", token=tok("reader"), conn=conn),
                   srv.raw("GET", "/nowhere", conn=conn),
                   srv.raw("DELETE", "/events", conn=conn),
                   srv.raw("GET", "/rank", conn=conn),
                   srv.raw("GET", "/subjects/%FF", conn=conn),
                   srv.raw("HEAD", "/healthz", conn=conn)]
        check([a[0] for a in answers] == [200, 200, 404, 405, 401, 400, 200],
              "statuses on one connection %s" % [a[0] for a in answers])
        check(conn.sock is sock and sock is not None, "one TCP connection served them all")
        check(all("close" not in a[1].get("connection", "") for a in answers),
              "no Connection: close")
    finally:
        conn.close()


def raw_bytes(srv, data, wait=10, half_close=False):
    """Send bytes as they are on a new connection (then shut its sending side
    with half_close); everything answered until the server closes it (or
    `wait` seconds pass: then "<timeout>")."""
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=wait)
    out = b""
    try:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        out += b"<timeout>"
    finally:
        sock.close()
    return out


def test_stray_bodies(srv):
    """--max-body bounded only POST /events: POST /compact and /purge waited
    for a declared 100 MB body and read it whole, then answered 200, and
    GET /healthz read and dropped any body (200 MB in 1.2 s), bounded only by
    --request-timeout.  A route that takes no body reads and drops at most
    64 KiB of one now; one declared larger gets 413 before it is read, one
    chunked past it 413 once it ends, and nothing of the request is run."""
    auth = {"boss": tok("boss"), "reader": tok("reader")}
    for method, path, who in (("POST", "/compact", "boss"), ("POST", "/purge?before=2000-01-01",
                                                           "boss"),
                              ("GET", "/healthz", None), ("GET", "/openapi.json", None),
                              ("OPTIONS", "/events", None), ("GET", "/subjects/r0001", "reader"),
                              ("HEAD", "/groups", "reader")):
        head = ("%s %s HTTP/1.1\r\nHost: h\r\nContent-Length: 100000000\r\n" % (method, path)
                ).encode()
        if who:
            head += b"Authorization: Bearer " + auth[who].encode() + b"\r\n"
        t0 = time.monotonic()
        out = raw_bytes(srv, head + b"\r\n" + b"x" * 1000, wait=5)
        check(out.startswith(b"HTTP/1.1 413 ") and time.monotonic() - t0 < 2
              and (method == "HEAD" or b"this route takes no body: at most 65536 bytes" in out),
              "%s %s with Content-Length 100000000: 413 before the body is read: %r"
              % (method, path, out[:300]))
    # a small body is read and dropped, as 1.0 took it
    out = raw_bytes(srv, b"GET /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                    b"Connection: close\r\n\r\nhello")
    check(out.startswith(b"HTTP/1.1 200 "), "a 5-byte body on GET /healthz is dropped: %r"
          % out[:200])
    # chunked past the bound: 413 once it ends
    out = raw_bytes(srv, b"GET /healthz HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                    b"Connection: close\r\n\r\n10000\r\n" + b"x" * 65536 + b"\r\n1\r\nx\r\n"
                    b"0\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 413 "), "a chunked body past 64 KiB on GET /healthz: 413: %r"
          % out[:200])


def test_framing(srv):
    """Where a body ends must be beyond doubt (RFC 9112, 6.3), or a proxy in
    front and the server would cut a stream apart differently: two lengths
    that differ, or a length beside a coding, are refused at once and the
    connection closed, so what follows is never read as a request of its
    own; a coding other than chunked is refused (it hung until the request
    timeout, unanswered)."""
    smuggled = b"GET /nowhere-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    head = b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
    cases = [
        (head + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled,
         b"400 Bad Request", b"two Content-Length headers that differ"),
        (head + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
         b"400 Bad Request", b"Content-Length beside Transfer-Encoding"),
        (head + b"Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n", b"501 Not Implemented",
         b"transfer coding not implemented"),
        (head + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", b"501 Not Implemented",
         b"transfer coding not implemented"),
        # a blank after "chunked" (RFC 9110, 5.5: not the value's): libmicrohttpd
        # reads no chunks then, so it is refused, and the reason names the
        # blank (it said to send "Transfer-Encoding: chunked", as sent)
        (head + b"Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n", b"501 Not Implemented",
         b"Transfer-Encoding: chunked is followed by a space, and the HTTP library under this "
         b"service (libmicrohttpd) then reads no chunks"),
        (head + b"Transfer-Encoding: Chunked\t \r\n\r\n0\r\n\r\n", b"501 Not Implemented",
         b"Transfer-Encoding: chunked is followed by a tab"),
    ]
    for data, status, reason in cases:
        out = raw_bytes(srv, data)
        check(out.startswith(b"HTTP/1.1 " + status) and reason in out and
              out.count(b"HTTP/1.1 ") == 1 and b"<timeout>" not in out,
              "framing: %r answers %r once and closes: %r" % (data[:90], status, out[:300]))
    # the coding's name in any case is chunked (RFC 9112, 7: case-insensitive),
    # to libmicrohttpd too: the body read as chunks, and the batch applied
    csv = b"id,subject,type,ts\ntecase,s-tecase,recycling,2025-01-01\n"
    out = raw_bytes(srv, head + b"Authorization: Bearer " + tok("ingest").encode() + b"\r\n"
                    b"Transfer-Encoding: CHUNKED\r\nConnection: close\r\n\r\n%x\r\n" % len(csv)
                    + csv + b"\r\n0\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 200 ") and b'"accepted":1' in out,
          "Transfer-Encoding: CHUNKED is read as chunked: %r" % out[:300])
    # RFC 9112, 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty
    # framing (a 1.0 proxy does not read chunks); it was applied and the
    # connection kept alive
    csv = b"id,subject,type,ts\nte10,s-te10,recycling,2025-01-01\n"
    out = raw_bytes(srv, b"POST /events HTTP/1.0\r\nConnection: keep-alive\r\n"
                    b"Authorization: Bearer " + tok("ingest").encode() + b"\r\n"
                    b"Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(csv)
                    + csv + b"\r\n0\r\n\r\nGET /nowhere-smuggled HTTP/1.0\r\n\r\n")
    check(re.match(rb"HTTP/1\.[01] 400 ", out) is not None and b"bad request framing" in out and
          len(re.findall(rb"HTTP/1\.[01] \d{3} ", out)) == 1 and
          b"<timeout>" not in out,
          "an HTTP/1.0 request with Transfer-Encoding answers 400 once and closes: %r" % out[:300])
    status, _, data = srv.raw("GET", "/subjects/s-te10", token=tok("reader"))
    check(status == 200 and strict_json(data)["events"] == 0,
          "no event of an HTTP/1.0 chunked batch applied: %r" % data[:200])
    # RFC 9112, 3.2: an HTTP/1.1 request with no Host, or two, is a 400.
    for data, reason in ((b"GET /healthz HTTP/1.1\r\n\r\n" + smuggled,
                          b"an HTTP/1.1 request needs a Host header"),
                         (b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + smuggled,
                          b"more than one Host header")):
        out = raw_bytes(srv, data)
        check(out.startswith(b"HTTP/1.1 400") and reason in out and
              len(re.findall(rb"HTTP/1\.1 \d{3} ", out)) == 1 and b"<timeout>" not in out,
              "Host: %r answers 400 once and closes: %r" % (data[:60], out[:300]))
    out = raw_bytes(srv, b"GET /healthz HTTP/1.0\r\n\r\n")
    check(out.startswith(b"HTTP/1.0 200") or out.startswith(b"HTTP/1.1 200"),
          "an HTTP/1.0 request needs no Host: %r" % out[:200])
    out = raw_bytes(srv, head + b"Content-Length: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 200") or out.startswith(b"HTTP/1.1 401"),
          "framing: one length given twice is one length: %r" % out[:200])
    # Two Authorization headers are ambiguous credentials: refused, not the
    # first taken (a proxy may have added one), whichever the tokens
    for first, second in ((tok("reader"), tok("boss")), (tok("boss"), "nonsense-token-xyz"),
                          (tok("reader"), tok("reader"))):
        out = raw_bytes(srv, b"GET /rank HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                        b"Authorization: Bearer %s\r\nConnection: close\r\n\r\n"
                        % (first.encode(), second.encode()))
        check(out.startswith(b"HTTP/1.1 400") and b"Authorization" in out,
              "two Authorization headers answer 400: %r" % out[:300])


def test_hidden_framing(srv):
    """A framing header libmicrohttpd does not take as one (a blank before
    the colon, a folded line) was ignored by the service too: the batch was
    answered 200 with nothing accepted and its body read as the next
    request on the connection.  RFC 9112, 5.1 and 5.2: refused with 400 and
    the connection closed, so what follows is never read as a request."""
    smuggled = b"GET /nowhere-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    csv = b"id,subject,type,ts\nhf1,s-hidden,recycling,2025-01-01\n"
    head = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            b"Authorization: Bearer " + tok("ingest").encode() + b"\r\n")
    cases = [
        head + b"Content-Length : %d\r\n\r\n" % len(smuggled) + smuggled,
        head + b"Content-Length\t: %d\r\n\r\n" % len(csv) + csv,
        head + b"Content-Length:\r\n %d\r\n\r\n" % len(smuggled) + smuggled,
        head + b"Transfer-Encoding:\r\n chunked\r\n\r\n%x\r\n" % len(smuggled) + smuggled
        + b"\r\n0\r\n\r\n",
        head + b"Transfer-Encoding : chunked\r\nContent-Length: %d\r\n\r\n" % len(csv) + csv,
        head + b"X-Note:\r\n folded\r\nContent-Length: %d\r\n\r\n" % len(csv) + csv,
        # RFC 9110, 5.5: a bare CR in a value ends a line for some parsers; a
        # NUL byte ended the value for libmicrohttpd, what followed unseen
        head + b"X-A: y\x00Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" % len(csv)
        + csv,
        head + b"Content-Length: %d\r\nX-A: y\x00z\r\n\r\n" % len(csv) + csv,
        head + b"X-A: y\rTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" % len(csv)
        + csv,
        # a NUL byte at a value's end, only blanks or NULs after it: a proxy
        # that keeps it sees no coding, or no length
        head + b"Transfer-Encoding: chunked\x00\r\n\r\n%x\r\n" % len(csv) + csv + b"\r\n0\r\n\r\n"
        + smuggled,
        head + b"Content-Length: %d\x00\r\n\r\n" % len(csv) + csv + smuggled,
        head + b"X-A: b\x00 \t\r\nContent-Length: %d\r\n\r\n" % len(csv) + csv,
        head + b"Content-Length: %d\r\nX-A: b\x00\r\n\r\n" % len(csv) + csv,
        head + b"Content-Length: %d\r\nX-A: b\x00\x00\r\n\r\n" % len(csv) + csv,
    ]
    for data in cases:
        out = raw_bytes(srv, data)
        check(out.startswith(b"HTTP/1.1 400") and b"bad request framing" in out and
              out.count(b"HTTP/1.1 ") == 1 and b"<timeout>" not in out,
              "hidden framing: %r answers 400 once and closes: %r" % (data[60:160], out[:300]))
    status, _, data = srv.raw("GET", "/subjects/s-hidden", token=tok("reader"))
    check(status == 200 and strict_json(data)["events"] == 0,
          "no batch with hidden framing was applied: %r" % data[:200])
    # Each such line is refused for what it is.  A line with an empty name
    # after the first header ends the headers for libmicrohttpd (the NUL it
    # writes over the colon reads as the empty line): what follows was read
    # as the next request (": " or ":" alone), or refused as a NUL byte in a
    # value; a blank first header line was called a blank before a colon.
    get = b"GET /healthz HTTP/1.1\r\n"
    for data, reason in (
            (get + b"Host: x\r\n: v\r\n\r\n", b"a header line with an empty name"),
            (get + b"Host: x\r\n:v\r\nConnection: close\r\n\r\n" + smuggled,
             b"a header line with an empty name"),
            (b"GET /healthz HTTP/1.1\nHost: x\n: v\n\n", b"a header line with an empty name"),
            (get + b"Host: x\r\n: \r\n" + smuggled, b"a header line with an empty name"),
            (get + b"Host: x\r\n:\r\n" + smuggled, b"a header line with an empty name"),
            (get + b": v\r\nHost: x\r\n\r\n", b"a header line with an empty name"),
            (get + b"\tHost: x\r\n\r\n", b"a header line that begins with a blank"),
            (get + b" Host: x\r\nX-A: y\r\n\r\n", b"a header line that begins with a blank"),
            (get + b"Host: x\r\nX-A: y\x00z\r\n\r\n", b"a NUL byte inside a header value"),
            (b"GET /healthz HTTP/1.1\nHost: x\nX-A: y\x00z\n\n", b"a NUL byte inside a header value"),
            (get + b"Host: x\r\nX-A: y\x00\x00z\r\nX-B: w\r\n\r\n",
             b"a NUL byte inside a header value"),
            (get + b"Host : x\r\n\r\n", b"whitespace between a header's name and its colon")):
        out = raw_bytes(srv, data)
        check(out.startswith(b"HTTP/1.1 400") and reason in out and out.count(b"HTTP/1.1 ") == 1
              and b"<timeout>" not in out, "%r answers 400 %r once and closes: %r"
              % (data[23:80], reason, out[:300]))
    # a fold is named a fold (it was called a NUL byte when a header
    # followed it, when it was the only header, or past 17 KB of headers,
    # where libmicrohttpd moves its buffer)
    pad = b"".join(b"X-P%d: %s\r\n" % (k, b"q" * 1000) for k in range(18))
    for data in (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\nX-B: d\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n y\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n" + pad + b"\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad + b"X-A: b\r\n\tc\r\nX-B: d\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n" + pad
                 + b"X-C: b\r\n c\r\n\r\n",
                 # a fold after an empty value whose next line holds a blank, or
                 # a byte no name has (libmicrohttpd appends that line to the
                 # name): called a blank between a name and its colon
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization:\r\n Bearer "
                 + tok("reader").encode() + b"\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nAuthorization:\r\n Bearer "
                 + tok("reader").encode() + b"\r\nHost: x\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A:\r\n\tb c\r\nX-B: d\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A:\r\n b(c)\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad + b"X-A:\r\n b c\r\n\r\n"):
        out = raw_bytes(srv, data + smuggled)
        check(out.startswith(b"HTTP/1.1 400") and b"folded onto the next (obs-fold" in out and
              out.count(b"HTTP/1.1 ") == 1, "a fold is named a fold: %r %r" % (data[:70], out[:300]))
    # a fold of a framing header is named as one, blanks in it or not; a
    # blank before a colon stays one past 17 KB of headers
    for data, reason in (
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 5 8\r\n\r\n",
             b"a Content-Length or Transfer-Encoding header folded onto the next line"),
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + pad + b"X-A : b\r\n\r\n",
             b"whitespace between a header's name and its colon")):
        out = raw_bytes(srv, data + smuggled)
        check(out.startswith(b"HTTP/1.1 400") and reason in out and out.count(b"HTTP/1.1 ") == 1,
              "%r answers 400 %r: %r" % (data[:70], reason, out[:300]))
    # a Host with a NUL at its end, and blanks after it
    out = raw_bytes(srv, b"GET /healthz HTTP/1.1\r\nHost: x\x00 \t\r\n\r\n" + smuggled)
    check(out.startswith(b"HTTP/1.1 400") and b"a NUL byte inside a header value" in out and
          out.count(b"HTTP/1.1 ") == 1, "Host: x NUL answers 400 once: %r" % out[:300])
    # a NUL byte in the method ended it for libmicrohttpd: "POST\0X" ran
    # as POST, "HEAD\0" answered with a body; a byte no token has (a
    # control, a bidi override) was answered 405: each is a bad request
    # line, refused and closed, the batch not applied
    csv = b"id,subject,type,ts\nnm1,s-method,recycling,2025-01-01\n"
    for data, reason in (
            (b"POST\x00IGNORED /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
             b"Authorization: Bearer " + tok("ingest").encode() +
             b"\r\nContent-Length: %d\r\n\r\n" % len(csv) + csv, b"a NUL byte in the method"),
            (b"GET\x00POST /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"a NUL byte in the method"),
            (b"HEAD\x00 /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + smuggled,
             b"a NUL byte in the method"),
            (b"G\x01T /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"a method is a token"),
            (b"\xe2\x80\xaeTEG /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"a method is a token"),
            (b"G\xffT /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b"a method is a token")):
        out = raw_bytes(srv, data)
        check(out.startswith(b"HTTP/1.1 400") and reason in out and out.count(b"HTTP/1.1 ") == 1
              and b"<timeout>" not in out, "%r answers 400 %r once and closes: %r"
              % (data[:30], reason, out[:300]))
    status, _, data = srv.raw("GET", "/subjects/s-method", token=tok("reader"))
    check(status == 404 or (status == 200 and strict_json(data)["events"] == 0),
          "no batch of a method with a NUL was applied: %d %r" % (status, data[:200]))
    # a method of token bytes the service does not take stays 405
    out = raw_bytes(srv, b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 405"), "BREW: 405: %r" % out[:200])
    # blanks at a value's end, an empty value, bare LF line ends: all fine
    for data in (b"GET /healthz HTTP/1.1\r\nHost: x \t\r\nX-A:\r\nConnection: close\r\n"
                 b"X-B: \r\n\r\n",
                 b"GET /healthz HTTP/1.1\nHost: x\nConnection: close\nX-A: b \n\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\nConnection: close\r\nX-A: b\r\n\n"):
        out = raw_bytes(srv, data)
        check(out.startswith(b"HTTP/1.1 200"), "%r answers 200: %r" % (data, out[:200]))
    # a header whose name holds a blank is refused whatever its name
    out = raw_bytes(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n" + smuggled)
    check(out.startswith(b"HTTP/1.1 400") and out.count(b"HTTP/1.1 ") == 1 and
          b"<timeout>" not in out, "a blank in a header name answers 400: %r" % out[:300])


def test_header_room(srv):
    """About 30.5 KB of headers left libmicrohttpd no memory to build the
    answer: the batch was applied and the connection closed unanswered, so
    the client could not tell a committed batch from a lost one.  Past 28 KB
    (records of the headers included) a request is answered 431 and never
    run; no size has a batch applied without an answer."""
    auth = b"Authorization: Bearer " + tok("ingest").encode() + b"\r\n"
    for total, want in ((20000, 200), (29000, 431), (30450, None), (30500, None),
                        (30550, None), (30600, None), (30650, None)):
        bid = b"hr%d" % total
        csv = b"id,subject,type,ts\n" + bid + b",s-room,recycling,2025-01-01\n"
        head = (b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n" + auth
                + b"Content-Length: %d\r\n" % len(csv))
        need = total - len(head) - 2
        pad = b"".join(b"X-P%02d: %s\r\n" % (k, b"q" * 1000) for k in range(need // 1009))
        pad += b"X-R: " + b"r" * (need - len(pad) - 7) + b"\r\n"
        out = raw_bytes(srv, head + pad + b"\r\n" + csv, wait=3)
        status, _, data = srv.raw("GET", "/subjects/s-room/record", token=tok("reader"))
        applied = status == 200 and bid + b'"' in data
        answer = re.match(rb"HTTP/1\.1 (\d{3}) ", out)
        code = int(answer.group(1)) if answer else None
        check(applied == (code == 200) and (want is None or code == want),
              "%d bytes of headers: answered %s, applied %s (wanted %s): %r"
              % (total, code, applied, want, out[:200]))
        if want == code == 431:  # past about 30.65 KB it is libmicrohttpd's own 431
            body = out.split(b"\r\n\r\n", 1)[-1]
            check(strict_json(body).get("error") == "request headers too large",
                  "431 has a JSON error: %r" % out[:300])


def test_header_room_names_the_rule(srv):
    """A 431 of the service's own says which rule the request broke: many
    query parameters (or headers, or cookies), each counted as 64 bytes,
    got "the request line and headers must stay under 28 KB" of a target
    of 3 KB; it names what there are too many of, the count, and how many
    would fit (a request with that many is not refused for its head)."""
    rule = ("the request line and headers must stay under 28 KB (28672 bytes), counting 64 "
            "bytes for each header, query parameter and cookie, and this request's %d bytes "
            "and %d of those come to %d bytes")

    def head(n, what):
        q = "&".join("p%d=v" % i for i in range(n)) if what == "query parameters" else "top=1"
        lines = "".join("X-H%d: v\r\n" % i for i in range(n)) if what == "headers" else ""
        if what == "cookies":
            lines = "Cookie: " + "; ".join("c%d=v" % i for i in range(n)) + "\r\n"
        return ("GET /rank?%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n"
                % (q, lines)).encode()

    # the records besides the n added: the parameters (top=1 when they are
    # not), the headers Host and Connection (and Cookie with cookies); of
    # the kind named, `own` of them (Host and Connection are headers)
    for n, what, other, own in ((420, "query parameters", 2, 0), (430, "headers", 3, 2),
                                (400, "cookies", 4, 0)):
        req = head(n, what)
        records = n + other
        used = len(req) + 64 * records
        fit = (28672 - len(req) - 64 * (records - n - own)) // 64
        out = raw_bytes(srv, req, wait=5)
        body = out.split(b"\r\n\r\n", 1)[-1]
        want = ("too many %s (%d): " % (what, n + own) + rule % (len(req), records, used) +
                ": send at most %d %s; nothing of this request was run" % (fit, what))
        check(out.startswith(b"HTTP/1.1 431 ") and strict_json(body).get("reason") == want,
              "%d %s: 431 names the rule broken: %r" % (n, what, body[:400]))
        out = raw_bytes(srv, head(fit - own, what), wait=5)
        check(re.match(rb"HTTP/1\.1 (200|400|401) ", out) is not None,
              "%d %s, as the 431 said, are not refused for the head: %r" % (fit, what, out[:100]))
    # one long header: its size, not a count, is what broke the rule
    req = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 29000 + b"\r\n\r\n"
    out = raw_bytes(srv, req, wait=5)
    want = rule % (len(req), 2, len(req) + 128) + "; nothing of this request was run"
    check(out.startswith(b"HTTP/1.1 431 ") and
          strict_json(out.split(b"\r\n\r\n", 1)[-1]).get("reason") == want,
          "a long header: 431 gives the sizes: %r" % out[-400:])


def test_parameter_records(tmp):
    """Each query parameter takes a record of libmicrohttpd's 32 KB per
    connection: from about 455 parameters (a 3 KB target) the service's own
    431 could not be built, and from about 470 libmicrohttpd could not
    record them all: the connection was closed with no answer while the
    access log said 431 with its bytes.  No answer is logged as status 0,
    bytes 0; every answer that went out is logged as it went."""
    d = os.path.join(tmp, "records")
    os.mkdir(d)
    log = os.path.join(d, "access.log")
    srv = start(d, ["--access-log", log], data=False)
    answers = {}
    try:
        for n in range(440, 481, 2):
            q = "&".join("p%d=v" % i for i in range(n))
            out = raw_bytes(srv, b"GET /healthz?" + q.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n", wait=3)
            m = re.match(rb"HTTP/1\.1 (\d{3}) ", out)
            answers["p%d=v" % (n - 1)] = (int(m.group(1)) if m else 0,
                                          len(out.split(b"\r\n\r\n", 1)[-1]) if m else 0)
            check(m is not None or out in (b"", b"<timeout>"),
                  "%d parameters: an answer or none: %r" % (n, out[:100]))
        time.sleep(0.3)  # the lines are written after the answers
    finally:
        srv.stop()
    with open(log) as f:
        lines = [json.loads(line) for line in f]
    logged = 0
    for e in lines:
        last = e["path"].rsplit("&", 1)[-1]
        if last not in answers:
            continue
        logged += 1
        status, size = answers[last]
        # libmicrohttpd's own 431 (an HTML body) is logged with bytes 0
        check(e["status"] == status and (status or e["bytes"] == 0),
              "%s parameters: sent %s (%d bytes), logged %s (%s bytes)"
              % (last[1:-2], status, size, e["status"], e["bytes"]))
    unanswered = [k for k, (st, _) in answers.items() if st == 0]
    check(unanswered and logged >= 10,
          "the probe reaches past the answered requests: %d unanswered, %d logged"
          % (len(unanswered), logged))


def test_no_length(srv):
    """POST /events with neither Content-Length nor Transfer-Encoding (an
    HTTP/1.0 client that sends and half-closes): the body was dropped
    (answered 200 accepted 0) or read as the next request.  411, closed."""
    csv = b"id,subject,type,ts\nnl1,s-nolength,recycling,2025-01-01\n"
    auth = b"Authorization: Bearer " + tok("ingest").encode() + b"\r\n"
    for data in (b"POST /events HTTP/1.0\r\nContent-Type: text/csv\r\n" + auth + b"\r\n" + csv,
                 b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n" + auth
                 + b"\r\nGET /nowhere-smuggled HTTP/1.1\r\nHost: x\r\n\r\n"):
        out = raw_bytes(srv, data, half_close=True)
        body = out.split(b"\r\n\r\n", 1)[-1]
        check(re.match(rb"HTTP/1\.[01] 411 ", out) is not None and
              len(re.findall(rb"HTTP/1\.[01] \d{3} ", out)) == 1 and b"<timeout>" not in out and
              strict_json(body).get("error") == "length required",
              "POST /events without a length answers 411 once: %r" % out[:300])
    status, _, data = srv.raw("GET", "/subjects/s-nolength", token=tok("reader"))
    check(status == 200 and strict_json(data)["events"] == 0, "no event of it applied: %r" % data[:200])
    # blanks after a Content-Length's number: libmicrohttpd refuses it (400,
    # its status line written twice, as the manual says) before the service
    # sees it; nothing of the batch is applied, and the connection is closed
    for blank in (b" ", b"\t"):
        out = raw_bytes(srv, b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                        + auth + b"Content-Length: %d%s\r\n\r\n" % (len(csv), blank) + csv)
        check(out.startswith(b"HTTP/1.1 400") and b"<timeout>" not in out,
              "Content-Length with %r after it: libmicrohttpd's 400: %r" % (blank, out[:200]))
    status, _, data = srv.raw("GET", "/subjects/s-nolength", token=tok("reader"))
    check(status == 200 and strict_json(data)["events"] == 0,
          "no event of a length with a blank after it applied: %r" % data[:200])
    # an empty batch with its length still answers 200
    out = raw_bytes(srv, b"POST /events HTTP/1.1\r\nHost: x\r\n" + auth
                    + b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    check(out.startswith(b"HTTP/1.1 200"), "Content-Length: 0 is a length: %r" % out[:200])


def test_targets(srv):
    for path in ("/subjects/a%00b", "/subjects/%FF%FE", "/subjects/%C0%AF", "/subjects/a%00b/record",
                 "/subjects/%ED%A0%80", "/rank?group=%FF", "/rank?group=a%00b", "/rank?as_of=%FE",
                 "/subjects/a%0Ab", "/subjects/a%7Fb/record", "/lists/a%09b",
                 "/subjects/a%C2%85b", "/subjects/%C2%9F/record"):
        status, _, data = srv.raw("GET", path, token=tok("reader"))
        check(status == 400 and "error" in strict_json(data), "%s answers 400 (%d)" % (path, status))
    # A '%' not followed by two hex digits, in the path or in a query
    # parameter's name or value, was taken as the text itself (a subject
    # "a%ZZ" at the base score, an empty ranking of the group "a%ZZ"): 400,
    # the reason naming the escape and its byte in the target as sent
    for path, esc, at in (("/subjects/a%ZZ", "%ZZ", 12), ("/subjects/%", "%", 11),
                          ("/subjects/a%G1b/record", "%G1", 12), ("/subjects/a%2", "%2", 12),
                          ("/subjects/a%2%41", "%2", 12), ("/lists/x%?as_of=now", "%", 9),
                          ("/rank?group=a%ZZ", "%ZZ", 14), ("/rank?group=a%2", "%2", 14),
                          ("/rank?group=%&top=1", "%", 13), ("/rank?gr%zzoup=a", "%zz", 9),
                          ("/rank?top=1&group=%g0", "%g0", 19), ("/healthz?probe=%", "%", 16),
                          ("/subjects/x?as_of=2025-01-01%2", "%2", 29),
                          ("http://h:1/subjects/a%ZZ", "%ZZ", 22)):
        status, _, data = srv.raw("GET", path, token=tok("reader"))
        answer = strict_json(data) if status == 400 else {}
        check(answer.get("error") == "bad request target" and
              '"%s" at byte %d of the request target' % (esc, at) in answer.get("reason", ""),
              "%s answers 400 naming %s at byte %d (%d %r)" % (path, esc, at, status, data[:200]))
    # A fragment is no part of a request target (RFC 9112, 3.2), which no
    # client sends: "?top=1#frag" was read as a bad top, "/rank#?top=zz" as
    # no route, "/subjects/a#b" as the subject "a#b".  400, naming the '#'
    # and its byte; a '#' meant in a value is sent as %23, and works.
    for method, path, at in (("GET", "/rank?top=1#frag", 12), ("GET", "/rank#?top=zz", 6),
                             ("GET", "/subjects/a#b", 12), ("HEAD", "/healthz#", 9),
                             ("OPTIONS", "/rank?top=1#x", 12), ("GET", "/nowhere#x", 9),
                             ("GET", "http://h:1/rank#x", 16),
                             ("POST", "/events#x", 8)):
        status, _, data = srv.raw(method, path, token=tok("boss"))
        answer = strict_json(data) if data else {}
        check(status == 400 and (method == "HEAD" or (
                answer.get("error") == "bad request target" and
                answer.get("reason", "").startswith("a '#' at byte %d of the request target: a "
                                                    "fragment (#...) is not part of a request "
                                                    "target" % at) and
                "%23" in answer["reason"])),
              "%s %s answers 400 naming the '#' at byte %d (%d %r)"
              % (method, path, at, status, data[:200]))
    status, _, data = srv.raw("GET", "/subjects/a%23b", token=tok("reader"))
    check(status == 200 and strict_json(data).get("subject") == "a#b",
          "/subjects/a%%23b is the subject a#b (%d %r)" % (status, data[:200]))
    # ... and well-formed ones work as before: %25 is a '%', a '+' in a query
    # is read as '+' (a time's offset), hex digits in either case
    for path, key, want in (("/subjects/a%25b", "subject", "a%b"),
                            ("/subjects/%e5%b1%85%E6%B0%91-7", "subject", "居民-7"),
                            ("/rank?group=a%25", "group", "a%"),
                            ("/subjects/x?as_of=2025-01-01T00:00:00+08:00", "as_of",
                             "2025-01-01T00:00:00+08:00"),
                            ("/subjects/x?as_of=2025-01-01T00:00:00%2B08:00", "as_of",
                             "2025-01-01T00:00:00+08:00")):
        status, _, data = srv.raw("GET", path, token=tok("reader"))
        answer = strict_json(data) if status == 200 else {}
        check(answer.get(key) == want, "%s answers 200 with %s %r (%d %r)"
              % (path, key, want, status, data[:200]))
    # An empty id for the record (a client's f"/subjects/{id}/record" of "")
    # is refused, not answered as the row of a subject "/record"
    status, _, data = srv.raw("GET", "/subjects//record", token=tok("reader"))
    answer = strict_json(data) if status == 400 else {}
    check(answer.get("error") == "bad subject" and "empty subject id" in answer.get("reason", ""),
          "/subjects//record answers 400 bad subject (%d %r)" % (status, data[:200]))
    # A control character in a decoded query value is refused as in the path
    # (a CR LF in ?group= was echoed back), the reason naming the parameter.
    for path, name in (("/rank?group=a%0d%0aX:%20y", "group"), ("/rank?group=a%7Fb", "group"),
                       ("/groups?depth=1%09", "depth"), ("/rank?group=%C2%85", "group"),
                       ("/healthz?probe=%01", "probe"), ("/subjects/x?as_of=%1b", "as_of")):
        status, _, data = srv.raw("GET", path, token=tok("reader"))
        answer = strict_json(data) if status == 400 else {}
        check(answer.get("error") == "bad request target" and
              'parameter "%s" holds a control character' % name in answer.get("reason", ""),
              "%s answers 400 naming %s (%d %r)" % (path, name, status, data[:200]))
    # A name past 40 bytes is cut at a character's end, not inside one
    # (an 'é' cut in two came back as U+FFFD)
    for path, reason in (("/rank?%s%%C3%%A9=%%0a" % ("a" * 39),
                          'parameter "%s" holds a control character' % ("a" * 39)),
                         ("/rank?%s%%C3%%A9=1" % ("a" * 39),
                          'unknown parameter "%s": this route takes' % ("a" * 39)),
                         ("/rank?=%s%%C3%%A9" % ("a" * 39),
                          'a value with no parameter name ("=%s"): this route' % ("a" * 39))):
        status, _, data = srv.raw("GET", path, token=tok("reader"))
        answer = strict_json(data) if status == 400 else {}
        check(answer.get("reason", "").startswith(reason) and
              "\ufffd" not in answer.get("reason", ""),
              "%s answers 400 cut at a character (%d %r)" % (path, status, data[:200]))
    # the 404 of a list name and a bad as_of echo it cut at a character's end
    for path, start in (("/lists/a" + "%C3%A9" * 100, '"a' + "\u00e9" * 63 + '" is neither'),
                        ("/subjects/x?as_of=a" + "%C3%A9" * 40, 'as_of "a' + "\u00e9" * 29 + '"')):
        status, _, data = srv.raw("GET", path, token=tok("reader"))
        reason = strict_json(data).get("reason", "")
        check(status in (400, 404) and reason.startswith(start) and "\ufffd" not in reason,
              "%s... echoes its name cut at a character (%d %r)" % (path[:20], status, reason[:200]))
    # RFC 9112, 3.2: a request target holds no raw blank (it was taken as
    # the subject "a b", or "a HTTP/1.1")
    auth = b"Authorization: Bearer " + tok("reader").encode() + b"\r\n"
    for target in (b"/subjects/a b", b"/subjects/a HTTP/1.1", b"/rank?group=a b",
                   b"/healthz ", b" /healthz", b"   /healthz"):
        out = raw_bytes(srv, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + auth
                        + b"Connection: close\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 400") and b"bad request target" in out,
              "GET %r answers 400: %r" % (target, out[:200]))
    # A raw NUL byte in the target: libmicrohttpd ended the target there and
    # the part before it was answered ("/subjects/al\0ice" as the subject
    # "al"); refused as %00 is, and the connection closed.
    for target in (b"/subjects/al\x00ice", b"/subjects/alice\x00/record",
                   b"/rank?group=a\x00b&top=1", b"/rank?top=1\x00&group=zzz", b"/healthz\x00",
                   b"/healthz?\x00", b"http://x/subjects/%61l\x00ice?as_of=%32", b"\x00/healthz"):
        out = raw_bytes(srv, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n")
        check(out.startswith(b"HTTP/1.1 400") and b"bad request target" in out and
              out.count(b"HTTP/1.1 ") == 1 and b"<timeout>" not in out,
              "GET %r answers 400 and closes: %r" % (target, out[:200]))
    first = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 300 + b"\r\n\r\n"
    out = raw_bytes(srv, first + b"GET /subjects/al\x00ice HTTP/1.1\r\nHost: x\r\n" + auth
                    + b"\r\n")
    check(out.startswith(b"HTTP/1.1 200") and out.count(b"HTTP/1.1 ") == 2 and
          b"HTTP/1.1 400" in out and b"bad request target" in out and b"<timeout>" not in out,
          "a NUL byte in a pipelined request's target answers 400: %r" % out[-300:])
    # ... and never one without: escapes the unescaper shrinks in place,
    # queries, absolute form, long targets, requests pipelined at other
    # places in the buffer, a request that arrives a byte at a time
    legit = [b"/healthz", b"/subjects/%72%30%30%307", b"/subjects/r0007/record?as_of=%32025-06-30",
             b"/rank?top=1&group=", b"HTTP://x:1/rank?top=%31", b"/subjects/" + b"%78" * 128,
             b"/rank?top=1&group=" + b"a" * 4000, b"/healthz?", b"/subjects/r0007%2Frecord"]
    data = b"".join(b"GET " + t + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"X-Pad: " + b"p" * i
                    + b"\r\n\r\n" for i, t in enumerate(legit))
    out = raw_bytes(srv, data + b"GET /healthz HTTP/1.0\r\n\r\n")
    check(out.count(b"HTTP/1.1 ") == len(legit) + 1 and b"bad request target" not in out,
          "targets without a NUL byte, pipelined, are answered: %r" % out[-300:])
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for b in b"GET /subjects/%72%30%30%307?as_of=2025-06-30 HTTP/1.1\r\nHost: x\r\n" + auth \
                + b"Connection: close\r\n\r\n":
            sock.sendall(bytes([b]))
            time.sleep(0.001)
        out = sock.recv(65536)
    finally:
        sock.close()
    check(out.startswith(b"HTTP/1.1 200"), "a target sent a byte at a time is answered: %r" % out[:200])
    status, _, data = srv.raw("GET", "/rank?gr%0Aoup=a", token=tok("reader"))
    check(status == 400 and "name holds a control character" in strict_json(data)["reason"],
          "a control character in a parameter's name answers 400 (%d %r)" % (status, data[:200]))
    # A valid multi-byte id is fine and comes back as the same UTF-8.
    body = "id,subject,type,ts\nu1,居民-7,recycling,2025-01-01\n".encode()
    srv.raw("POST", "/events", body, {"Content-Type": "text/csv"}, token=tok("ingest"))
    status, _, data = srv.raw("GET", "/subjects/%E5%B1%85%E6%B0%91-7", token=tok("reader"))
    check(status == 200 and strict_json(data)["subject"] == "居民-7", "a UTF-8 id round-trips")
    # an id longer than any can be: 400 naming the limit
    status, _, data = srv.raw("GET", "/subjects/" + "x" * 129, token=tok("reader"))
    check(status == 400 and "at most 128" in strict_json(data).get("reason", ""),
          "a 129-byte id answers 400 with the limit (%d %s)" % (status, data[:200]))
    for path in ("/rank", "/groups?depth=2", "/subjects/r0007/record", "/nowhere", "/subjects/%FF"):
        _, _, data = srv.raw("GET", path, token=tok("reader"))
        try:
            strict_json(data)
        except ValueError as e:
            check(False, "%s: the answer is not valid UTF-8 JSON: %s" % (path, e))


def test_tabs_in_the_request_line(srv):
    """What the manual says of tabs: one in place of either blank of the
    request line gets libmicrohttpd's 400 (HTML); tabs in place of both get
    no answer, the connection closed (the manual said the latter of one);
    and of a line of one word: no answer either."""
    for line, answer in ((b"GET\t/healthz HTTP/1.1", b"HTTP/1.1 400 Bad Request\r\n"),
                         (b"GET /healthz\tHTTP/1.1", b"HTTP/1.1 400 Bad Request\r\n"),
                         (b"GET\t/healthz\tHTTP/1.1", b"")):
        out = raw_bytes(srv, line + b"\r\nHost: x\r\n\r\n")
        check(out.startswith(answer) and (not answer or b"<html>" in out) and
              (answer or out == b""), "%r answers %r: %r" % (line, answer, out[:120]))
    # a request line of one word, without a blank, gets no answer either
    # (libmicrohttpd closes the connection), as the manual says now: it did
    # not, and listed only the line with tabs in place of both blanks
    for data in (b"GARBAGE\r\n\r\n", b"GET\r\nHost: x\r\n\r\n", b"/healthz\r\n\r\n"):
        out = raw_bytes(srv, data, wait=5)
        check(out == b"", "the one-word request line %r gets no answer: %r" % (data, out[:120]))
    status, _, _ = srv.raw("GET", "/healthz")
    check(status == 200, "the service answers after them: %s" % status)


def test_absolute_form(srv):
    """A target in absolute form (RFC 9112, 3.2.2: a server must accept it)
    is routed on its path; only http and https, in any case, are read so."""
    auth = b"Authorization: Bearer " + tok("reader").encode() + b"\r\n"
    for target, status in ((b"http://localhost:%d/healthz" % srv.port, b"200"),
                           (b"HTTPS://example.org/rank?top=1", b"200"),
                           (b"hTTp://user@127.0.0.1:80/subjects/%FF", b"400"),
                           (b"http://localhost/nowhere", b"404"),
                           (b"http://localhost", b"404"),
                           (b"ftp://localhost/healthz", b"404")):
        out = raw_bytes(srv, b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\n" + auth
                        + b"Connection: close\r\n\r\n")
        check(out.startswith(b"HTTP/1.1 " + status),
              "GET %r answers %s: %r" % (target, status, out[:120]))


def test_json_bodies(srv):
    ingest = tok("ingest")
    arr = json.dumps([{"id": "arr%d" % i, "subject": "array-subject", "type": "recycling",
                       "ts": "2025-02-%02d" % (i + 1)} for i in range(3)], indent=2).encode()
    for ctype in ("application/json", None):
        status, rep = srv.request("POST", "/events", arr, ctype, token=ingest)
        check(status == 200 and rep["accepted"] + rep["duplicates"] == 3,
              "a JSON array body works (%s): %s" % (ctype, rep))
    bad = b'[{"id":"arrb1","subject":"s","type":"recycling","ts":"2025-01-01"},\n {"id":"arrb2"}]'
    status, e = srv.request("POST", "/events", bad, "application/json", token=ingest)
    check(status == 400 and e["line"] == 2, "an array error names the element as its line: %s" % e)
    # the column counts from the element's '{', whatever blanks and line
    # ends come before it: 36 is the column of "nope" in the element alone
    for lead in (b"", b"\n   ", b"\r\n\t "):
        bad = (b'[{"id":"arrb1","subject":"s","type":"recycling","ts":"2025-01-01"},' + lead
               + b'{"id":"arrb2","subject":"s","type":"nope","ts":"2025-01-01"}]')
        status, e = srv.request("POST", "/events", bad, "application/json", token=ingest)
        check(status == 400 and (e["line"], e["column"]) == (2, 36)
              and "line 2, column 36:" in e["reason"],
              "an array error's column counts from the element (%r): %s" % (lead, e))
    status, e = srv.request("POST", "/events", b'[{"id":"x"}', "application/json", token=ingest)
    check(status == 400 and "closing" in e.get("reason", ""), "an unclosed array is a 400 %s" % e)
    # an element that is itself an array is an element that is no object, as
    # [1] is told: not the hint to send the body as application/json, which
    # is how it was sent (the library's hint for a JSON Lines text whose line
    # is an array, said of the element); with a token, as here, the source
    # goes into the element lines and the error is told again as sent
    inner = b'{"id":"arrn1","subject":"s","type":"recycling","ts":"2025-01-01"}'
    for body, line in ((b"[[" + inner + b"]]", 1), (b" [ [\n" + inner + b"] ]", 1),
                       (b"[1]", 1), (b"[[]]", 1), (b"[" + inner + b",\n [" + inner + b"]]", 2)):
        for ctype in ("application/json", None):
            status, e = srv.request("POST", "/events", body, ctype, token=ingest)
            check(status == 400 and e.get("line") == line and e.get("reason") ==
                  "line %d, column 1: expected a JSON object '{'" % line,
                  "an array element %r that is no object is told so (%s), without the "
                  "Content-Type hint: %s %s" % (body[:30], ctype, status, e))
    # a JSON array sent as CSV or JSON Lines, the source going into its
    # text (told again as sent): the hint to send it as application/json,
    # for "[]" and ["a"] too, which the readers do not take for an array
    hint = " (the body is a JSON array: send it with Content-Type: application/json)"
    for body in (b"[]", b'["a"]', b"[" + inner + b"]"):
        for ctype in ("text/csv", "application/x-ndjson"):
            status, e = srv.request("POST", "/events", body, ctype, token=ingest)
            check(status == 400 and e.get("line") == 1 and e.get("reason", "").endswith(hint)
                  and "curl -d" not in e["reason"],
                  "a JSON array %r sent as %s is told to be sent as application/json: %s %s"
                  % (body[:30], ctype, status, e))
    status, e = srv.request("POST", "/events", b"--b\r\n\r\nx\r\n--b--\r\n",
                            "multipart/form-data; boundary=b", token=ingest)
    check(status == 415 and "application/json" in e.get("reason", ""), "multipart is 415 %s" % e)
    # a coded body (gzip) was read as CSV and refused with a C API's words
    for coding in ("gzip", "br, gzip", "x-unknown"):
        csv = b"id,subject,type,ts\nce1,ce-subject,recycling,2025-01-01\n"
        status, _, data = srv.raw("POST", "/events", gzip.compress(csv),
                                  {"Content-Type": "text/csv", "Content-Encoding": coding},
                                  token=ingest)
        e = strict_json(data)
        check(status == 415 and e.get("error") == "unsupported content coding" and
              coding.split(",")[0] in e.get("reason", ""),
              "Content-Encoding %s answers 415 naming it: %d %s" % (coding, status, e))
    status, _, data = srv.raw("POST", "/events", b"id,subject,type,ts\nce2,ce-subject,recycling,"
                              b"2025-01-01\n", {"Content-Type": "text/csv",
                                                 "Content-Encoding": "identity"}, token=ingest)
    check(status == 200, "Content-Encoding: identity is no coding: %d %r" % (status, data[:200]))
    one = b'{"id":"obj1","subject":"array-subject","type":"recycling","ts":"2025-03-01"}'
    status, rep = srv.request("POST", "/events", one, "application/json", token=ingest)
    check(status == 200 and rep["accepted"] == 1, "a single JSON object works %s" % rep)
    # "lines" of an array counts its elements (an error's line is the
    # element's position): an empty array has none, with a token or not
    for body in (b"[]", b" [\n ]\n"):
        status, rep = srv.request("POST", "/events", body, "application/json", token=ingest)
        check(status == 200 and rep["lines"] == 0 and rep["accepted"] == 0,
              "an empty JSON array %r is 0 lines: %s" % (body, rep))


# ---------------------------------------------------------------- 5. observability

METRIC_LINE = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$')


def test_metrics(srv):
    srv.raw("POST", "/events", b"id,subject,type,ts\nbad,s,nope,2025-01-01\n",
            {"Content-Type": "text/csv"}, token=tok("ingest"))
    status, _, _ = srv.raw("POST", "/compact", token=tok("boss"))
    check(status == 200, "POST /compact as admin")
    status, h, data = srv.raw("GET", "/metrics", token=tok("boss"))
    text = data.decode()
    check(status == 200 and h["content-type"].startswith("text/plain; version=0.0.4"),
          "metrics content type %s" % h.get("content-type"))
    bad = [l for l in text.splitlines() if l and not l.startswith("#") and not METRIC_LINE.match(l)]
    check(not bad, "every metrics line parses: %s" % bad[:3])
    values = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1])
              for l in text.splitlines() if l and not l.startswith("#")}
    for name in ('civic_http_requests_total{route="/events",status="200"}',
                 'civic_http_requests_total{route="/subjects/{id}",status="400"}',
                 'civic_http_request_duration_seconds_bucket{route="/rank",le="+Inf"}',
                 "civic_events", "civic_subjects", "civic_journal_bytes",
                 "civic_last_compaction_timestamp_seconds",
                 "civic_last_compaction_duration_seconds", "civic_rejected_batches_total"):
        check(name in values, "metric %s present" % name)
    # seconds to the microsecond, as the histogram's sums: the compaction's
    # duration was written with 17 digits (0.074857999999999994)
    seconds = [l for l in text.splitlines()
               if l.startswith(("civic_last_compaction_", "civic_start_timestamp_seconds ",
                                "civic_http_request_duration_seconds_sum"))]
    check(len(seconds) >= 4 and all(re.fullmatch(r"\S+ \d+\.\d{6}", l) for l in seconds),
          "metrics in seconds have 6 decimals: %r" % seconds)
    check(values.get("civic_events", 0) > 400 and values.get("civic_rejected_batches_total", 0) >= 1
          and values.get("civic_last_compaction_timestamp_seconds", 0) > 1e9,
          "metric values: events %s rejected %s" % (values.get("civic_events"),
                                                     values.get("civic_rejected_batches_total")))
    # a request refused for its framing is counted under its route (it was
    # counted under "other", POST /events included)
    name = 'civic_http_requests_total{route="/events",status="400"}'
    raw_bytes(srv, b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2"
              b"\r\n\r\nab")
    _, _, data = srv.raw("GET", "/metrics", token=tok("boss"))
    after = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1])
             for l in data.decode().splitlines() if l and not l.startswith("#")}
    check(after.get(name, 0) == values.get(name, 0) + 1,
          "a framing refusal of POST /events counts under /events: %s then %s"
          % (values.get(name), after.get(name)))


# Targets sent raw, and how the access log writes each (by hand).
FORMAT_TARGETS = {
    "/subjects/\u202eabc": r'"/subjects/\u202eabc"',
    "/rank?group=\u200bx": r'"/rank?group=\u200bx"',
    "/subjects/a\u2066b\u2069": r'"/subjects/a\u2066b\u2069"',
    "/subjects/a\u2028b\u2029": r'"/subjects/a\u2028b\u2029"',
    "/subjects/\ufeffa\u00ad": r'"/subjects/\ufeffa\u00ad"',
    "/subjects/a\U000e0041": r'"/subjects/a\udb40\udc41"',
    "/subjects/\u00e9t\u00e9": '"/subjects/\u00e9t\u00e9"',
}


def test_access_log(tmp):
    log = os.path.join(tmp, "access.log")
    srv = start(tmp, ["--access-log", log], data=False)
    try:
        srv.raw("GET", "/rank?top=1", token=tok("reader"))
        srv.raw("GET", "/subjects/%FF%FE")
        srv.raw("POST", "/events", event_body(), {"Content-Type": "text/csv"}, token=tok("ingest"))
        # format characters sent raw in a target (a right-to-left override
        # shows what follows it reversed, a zero-width space nothing) were
        # written raw: escaped as \uXXXX, as control characters are
        for target in FORMAT_TARGETS:
            raw_bytes(srv, b"GET " + target.encode() + b" HTTP/1.1\r\nHost: h\r\n"
                      + b"Connection: close\r\n\r\n")
    finally:
        srv.stop()
    with open(log, "rb") as f:
        text = f.read()
    lines = [strict_json(l) for l in text.splitlines()]
    paths = [l["path"] for l in lines]
    for target, escaped in FORMAT_TARGETS.items():
        check(target in paths and escaped.encode() in text, "a format character in the target "
              "is escaped in the log (%s): %r" % (escaped, text[-600:]))
    for cp in (0x202E, 0x200B, 0x2066, 0x2028, 0x2029, 0xFEFF, 0xE0041, 0x00AD):
        check(chr(cp).encode() not in text, "U+%04X is not in the log raw" % cp)
    check("/subjects/\u00e9t\u00e9" in paths and "/subjects/\u00e9t\u00e9".encode() in text,
          "other characters are written as they are: %r" % text[-300:])
    keys = ["time", "remote", "method", "path", "status", "bytes", "duration_ms", "token"]
    check(len(lines) >= 4 and all(list(l) == keys for l in lines), "access log fields %s" % lines[:1])
    byp = {l["path"]: l for l in lines}
    r = byp.get("/rank?top=1", {})
    check(r.get("token") == "reader" and r.get("status") == 200 and r.get("remote") == "127.0.0.1"
          and r.get("bytes", 0) > 0 and r.get("method") == "GET", "access log of /rank %s" % r)
    check(byp.get("/subjects/%FF%FE", {}).get("status") == 400
          and byp["/subjects/%FF%FE"]["token"] is None, "access log of a bad target")
    check(byp.get("/events", {}).get("token") == "ingest", "access log names the writer")
    test_access_log_refused(tmp, log)
    test_access_log_names_the_token(tmp, log)
    test_access_log_credentials(tmp, log)
    # SIGHUP reopens the log by its name (a rotation) and stops nothing
    srv = start(tmp, ["--access-log", log], data=False)
    try:
        srv.raw("GET", "/rank?top=2", token=tok("reader"))
        wait_for_line(log, b'"/rank?top=2"')
        os.rename(log, log + ".1")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while "SIGHUP: reopened --access-log" not in srv.output() and time.time() < deadline:
            time.sleep(0.05)
        status, _, _ = srv.raw("GET", "/rank?top=3", token=tok("reader"))
        check(status == 200 and srv.proc.poll() is None, "the server serves on after SIGHUP: %d %r"
              % (status, srv.output()[-300:]))
    finally:
        check(srv.stop() == 0, "SIGTERM after SIGHUP: exit 0")
    with open(log + ".1", "rb") as f:
        old = [strict_json(l)["path"] for l in f.read().splitlines()]
    with open(log, "rb") as f:
        new = [strict_json(l)["path"] for l in f.read().splitlines()]
    check("/rank?top=2" in old and "/rank?top=3" not in old and new == ["/rank?top=3"],
          "a rotated access log: old %s, new %s" % (old, new))
    # A SIGHUP while the data directory is read (a restart replaying a big
    # journal) waits for the service to listen, and is taken as a reopen:
    # it ended the process, exit 129, with nothing said
    data = os.path.join(tmp, "hup-data")
    srv = start(tmp, ["--access-log", log, "--data", data], data=False)
    rows = "".join("h%d,hup-%d,recycling,2025-01-01\n" % (i, i % 5000) for i in range(300000))
    status, _, _ = srv.raw("POST", "/events", ("id,subject,type,ts\n" + rows).encode(),
                           {"Content-Type": "text/csv"}, token=tok("ingest"))
    check(status == 200, "300,000 events posted: %d" % status)
    srv.stop(signal.SIGKILL)                # no snapshot: the next start replays them all
    port = harness.free_port()
    proc = subprocess.Popen([ARGS.server, "--port", str(port), "--tokens",
                             os.path.join(tmp, "tokens"), "--access-log", log, "--data", data],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10         # reading the journal: the replay has begun
        reading = False
        while not reading and time.time() < deadline and proc.poll() is None:
            try:
                fds = os.listdir("/proc/%d/fd" % proc.pid)
                reading = any(os.readlink("/proc/%d/fd/%s" % (proc.pid, fd)).endswith(
                    "journal.civic") for fd in fds)
            except OSError:
                pass
        check(reading, "the start-up was seen reading the journal")
        proc.send_signal(signal.SIGHUP)
        said = []
        for raw_line in proc.stdout:            # "recovered ...", then "listening ..."
            said.append(raw_line.decode())
            if "listening" in said[-1]:
                break
        check(said and "listening" in said[-1] and proc.poll() is None,
              "a SIGHUP during start-up stops nothing: %r, exit %s" % (said, proc.poll()))
        proc.send_signal(signal.SIGTERM)
        # the rest through the same buffered file (communicate() reads the
        # descriptor, past what the loop above had buffered)
        out = "".join(said) + proc.stdout.read().decode()
        proc.wait(timeout=60)
        check(proc.returncode == 0 and "SIGHUP: reopened --access-log" in out,
              "the SIGHUP of the start-up reopened the log: %d %r" % (proc.returncode, out[-300:]))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_access_log_credentials(tmp, log):
    """Credentials never reach the access log: a target with userinfo
    (answered 200, and logged with it) is refused, RFC 9110, 4.2.4; a query
    parameter named as a credential is logged with its value REDACTED."""
    os.remove(log)
    srv = start(tmp, ["--access-log", log], data=False)
    auth = b"Authorization: Bearer " + tok("reader").encode() + b"\r\n"
    try:
        for target in (b"http://user:pw-secret@h/rank?top=1", b"HTTPS://pw-secret@h:80/healthz",
                       b"http://a:b@c:pw-secret@h/healthz"):
            out = raw_bytes(srv, b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n" + auth
                            + b"Connection: close\r\n\r\n")
            check(out.startswith(b"HTTP/1.1 400 ") and b"user:password@" in out,
                  "a target with userinfo is refused: %r %r" % (target, out[:300]))
        for q in ("access_token=pw-secret", "Token=pw-secret", "api_key=pw-secret",
                  "password=pw-secret", "pass%77ord=pw-secret", "accessToken=pw-secret",
                  "bearer_token=pw-secret", "private_key=pw-secret", "token[]=pw-secret",
                  "token%3D=pw-secret", "x%00secret=pw-secret"):
            srv.raw("GET", "/healthz?x=1&" + q)
        check(srv.raw("GET", "/rank?top=1", token=tok("reader"))[0] == 200, "/rank?top=1")
        # ';' ends a parameter as '&' does for some clients, in a query or a
        # path (";jsessionid="), and a fragment holds them too: each was
        # logged whole ("/rank?a=1;password=sekrit19")
        for target in (b"/healthz?x=1;password=pw-secret", b"/healthz?x=1&y=2;key=pw-secret;z=3",
                       b"/healthz?x=1#access_token=pw-secret", b"/healthz#password=pw-secret",
                       b"/healthz;jsessionid=pw-secret", b"/healthz?a=1#b=2&token=pw-secret;c"):
            raw_bytes(srv, b"GET " + target + b" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    finally:
        srv.stop()
    with open(log, "rb") as f:
        text = f.read()
    paths = [strict_json(l)["path"] for l in text.splitlines()]
    check(b"pw-secret" not in text and len([p for p in paths if p != "/healthz"]) == 21, "no credential logged: %r" % paths)
    for want in ("/healthz?x=1;password=REDACTED", "/healthz?x=1&y=2;key=REDACTED;z=3",
                 "/healthz?x=1#access_token=REDACTED", "/healthz#password=REDACTED",
                 "/healthz;jsessionid=REDACTED", "/healthz?a=1#b=2&token=REDACTED;c"):
        check(want in paths, "logged as %s: %r" % (want, paths[-8:]))
    check("http://REDACTED@h/rank?top=1" in paths and "HTTPS://REDACTED@h:80/healthz" in paths
          and "/healthz?x=1&access_token=REDACTED" in paths and "/healthz?x=1&Token=REDACTED" in paths
          and "/healthz?x=1&pass%77ord=REDACTED" in paths and "/rank?top=1" in paths
          and "/healthz?x=1&accessToken=REDACTED" in paths and "/healthz?x=1&token[]=REDACTED" in paths,
          "credentials logged as REDACTED: %r" % paths)


def test_reasons_hide_credentials(srv):
    """A client that ends parameters with ';' sends a credential inside the
    value before it (as_of=2025-12-31;password=x): the access log hid it,
    the 400's reason quoted it whole.  The reason hides it as the log does;
    a value without one is quoted as sent."""
    for query, shown in (("as_of=2025-12-31;password=pw-secret", "2025-12-31;password=REDACTED"),
                         ("as_of=2025-12-31;api_key=pw-secret;y=2",
                          "2025-12-31;api_key=REDACTED;y=2"),
                         ("as_of=2025-12-31;x=1", "2025-12-31;x=1")):
        status, _, data = srv.raw("GET", "/rank?" + query, token=tok("reader"))
        reason = strict_json(data).get("reason", "")
        check(status == 400 and b"pw-secret" not in data and
              reason.startswith('as_of "%s" is not a timestamp' % shown),
              "%s: the reason hides the credential: %d %r" % (query, status, data[:300]))
    status, _, data = srv.raw("POST", "/purge?before=2025-13-01;token=pw-secret",
                              token=tok("boss"))
    check(status == 400 and b"pw-secret" not in data and b"token=REDACTED" in data,
          "a purge's before hides the credential: %d %r" % (status, data[:300]))


def test_reasons_name_the_value(srv):
    """group=%ff got the generic "the path or query holds a control
    character, a NUL byte or bytes that are not UTF-8" where group=%1b named
    its parameter; bad top, depth and min_group reasons did not quote the
    value sent.  Each names the parameter, and quotes the value, a
    credential after a ';' in it hidden."""
    reader = tok("reader")
    for target, error, reason in (
            ("/rank?group=%ff", "bad request target",
             'parameter "group" holds bytes that are not UTF-8 (send text as UTF-8, '
             'percent-encoded)'),
            ("/rank?top=abc", "bad top", 'top is an integer 0..4294967295, not "abc"'),
            ("/rank?top=7;password=pw-secret", "bad top",
             'top is an integer 0..4294967295, not "7;password=REDACTED"'),
            ("/groups?depth=65", "bad depth", 'depth is an integer 0..64, not "65"'),
            ("/report?min_group=0", "bad min_group",
             'min_group is an integer 1..4294967295 (default 5), not "0"')):
        status, _, data = srv.raw("GET", target, token=reader)
        got = strict_json(data)
        check(status == 400 and got.get("error") == error and got.get("reason") == reason,
              "%s: %s, %r: %d %r" % (target, error, reason, status, data[:300]))


def test_reasons_and_log_agree(tmp):
    """A reason and the access log hide a credential alike: GET
    /lists/dishonest;password=x got a 404 whose reason quoted it in clear
    (the log wrote REDACTED), and as_of=2025-12-31%3Bpassword%3Dx (%26, ','
    and '|' too) a 400 whose reason hid it while the log kept it."""
    log = os.path.join(tmp, "agree.log")
    srv = start(tmp, ["--access-log", log], data=False)
    reasons = []
    try:
        for target in ("/lists/dishonest;password=pw-secret",
                       "/lists/dishonest%3Bpassword%3Dpw-secret",
                       "/rank?as_of=2025-12-31%3Bpassword%3Dpw-secret",
                       "/rank?as_of=2025-12-31%26password=pw-secret",
                       "/rank?as_of=2025-12-31,password=pw-secret",
                       "/rank?as_of=2025-12-31|password=pw-secret",
                       "/rank?as_of=2025-12-31,x=1,password=pw-secret"):
            status, _, data = srv.raw("GET", target, token=tok("reader"))
            reasons.append((target, status, strict_json(data).get("reason", "")))
        status, _, data = srv.raw("GET", "/rank?as_of=2025-12-31;x=1", token=tok("reader"))
        plain = strict_json(data).get("reason", "")
        # a credential's word inside an id, a list's name or a value, with no
        # separator before it, is no credential's name: kept whole (it was
        # hidden: "/subjects/author=REDACTED", "monkey=REDACTED")
        ordinary = {}
        for target in ("/subjects/author=bob", "/lists/monkey=banana",
                       "/rank?group=keyboard%3Dx"):
            status, _, data = srv.raw("GET", target, token=tok("reader"))
            ordinary[target] = (status, strict_json(data).get("reason", "") if data else "")
    finally:
        srv.stop()
    check(ordinary["/lists/monkey=banana"][0] == 404
          and ordinary["/lists/monkey=banana"][1].startswith('"monkey=banana" is neither'),
          "a list's name with a credential's word inside is quoted whole: %r" % ordinary)
    for target, status, reason in reasons:
        check(status in (400, 404) and "pw-secret" not in reason and "password=REDACTED" in reason,
              "%s: the reason hides the credential: %d %r" % (target, status, reason))
    check(plain.startswith('as_of "2025-12-31;x=1" is not'), "no credential: quoted as sent: %r"
          % plain)
    # '#' (%23) parts parameters as ';' does, and a credential's name
    # followed by ':' (a header pasted) is one followed by '=': both were
    # logged whole, and the reason quoted them
    hash_colon = {}
    for target, log_path, reason in (
            ("/rank?top=1%23password=pw-secret26", "/rank?top=1%23password=REDACTED",
             'top is an integer 0..4294967295, not "1#password=REDACTED"'),
            ("/rank?x=1%3Bauthorization%3ABearer%20pw-secret24",
             "/rank?x=1%3Bauthorization%3AREDACTED",
             'unknown parameter "x": this route takes as_of group top'),
            ("/rank?top=1%3Bauthorization%3ABearer%20pw-secret",
             "/rank?top=1%3Bauthorization%3AREDACTED",
             'top is an integer 0..4294967295, not "1;authorization:REDACTED"'),
            ("/rank?authorization:Bearer%20pw-secret", "/rank?authorization:REDACTED",
             'unknown parameter "authorization:REDACTED": this route takes as_of group top'),
            ("/rank?x%3Bpassword%3Dpw-secret=1", "/rank?x%3Bpassword%3DREDACTED",
             'unknown parameter "x;password=REDACTED": this route takes as_of group top'),
            ("/lists/dishonest%23token:pw-secret", "/lists/dishonest%23token:REDACTED",
             '"dishonest#token:REDACTED" is neither'),
            # a ':' in a value, or after a name that is no credential's, is kept
            ("/rank?as_of=2025-12-31T10:00:00Z", "/rank?as_of=2025-12-31T10:00:00Z", ""),
            ("/lists/a%3Bb:c", "/lists/a%3Bb:c", '"a;b:c" is neither')):
        hash_colon[target] = (log_path, reason)
    srv = start(tmp, ["--access-log", log], data=False)
    try:
        for target, (log_path, reason) in hash_colon.items():
            status, _, data = srv.raw("GET", target, token=tok("reader"))
            got = strict_json(data).get("reason", "") if status != 200 else ""
            check(b"pw-secret" not in data and got.startswith(reason),
                  "%s: the reason %r: %d %r" % (target, reason, status, data[:300]))
    finally:
        srv.stop()
    with open(log, "rb") as f:
        text = f.read()
    paths = [strict_json(l)["path"] for l in text.splitlines()]
    for target, (log_path, reason) in hash_colon.items():
        check(log_path in paths, "%s: logged as %s: %r" % (target, log_path, paths[-10:]))
    check(b"pw-secret" not in text and "/lists/dishonest;password=REDACTED" in paths
          and "/rank?as_of=2025-12-31%3Bpassword%3DREDACTED" in paths
          and "/rank?as_of=2025-12-31%26password=REDACTED" in paths
          and "/rank?as_of=2025-12-31|password=REDACTED" in paths
          and "/rank?as_of=2025-12-31;x=1" in paths
          and "/subjects/author=bob" in paths and "/lists/monkey=banana" in paths
          and "/rank?group=keyboard%3Dx" in paths,
          "the access log hides what the reasons hide, and nothing else: %r" % paths)


def wait_for_line(log, needle, seconds=10):
    """Until the access log holds needle: a line is written once its answer
    is sent, after the client has read it."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        with open(log, "rb") as f:
            if needle in f.read():
                return
        time.sleep(0.02)


def test_access_log_names_the_token(tmp, log):
    """Every line names the known token a request sent, also when it was
    refused before its credentials were checked (a 404, a bad target, a
    405, its framing): those were logged "token": null.  An unknown token,
    another scheme, or two Authorization headers (ambiguous) stay null."""
    os.remove(log)
    srv = start(tmp, ["--access-log", log], data=False)

    def get(target, auth, extra=b""):
        head = b"".join(b"Authorization: %s\r\n" % a.encode() for a in auth)
        return raw_bytes(srv, b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n" + head + extra
                         + b"Connection: close\r\n\r\n")
    reader = ["Bearer " + tok("reader")]
    try:
        for target, auth, extra, status in (
                (b"/nowhere?t=1", reader, b"", 404),
                (b"/subjects/a%22b%5Cc%0a?t=2", reader, b"", 400),
                (b"/rank?t=3&t=3", ["Bearer " + tok("boss")], b"", 400),
                (b"/healthz?t=4", reader, b"X-A : b\r\n", 400),
                (b"/compact?t=5", reader, b"", 405),
                (b"/metrics?t=6", reader, b"", 403),
                (b"/nowhere?t=7", ["Bearer xx-0123456789abcdef-token"], b"", 404),
                (b"/nowhere?t=8", reader * 2, b"", 404),
                (b"/nowhere?t=9", ["Basic cmVhZGVyOnB3"], b"", 404),
                (b"/nowhere?t=10", [], b"", 404)):
            out = get(target, auth, extra)
            check(out.startswith(b"HTTP/1.1 %d " % status),
                  "%r answers %d: %r" % (target, status, out[:60]))
        wait_for_line(log, b"t=10")
    finally:
        srv.stop()
    with open(log, "rb") as f:
        byp = {l["path"]: l for l in (strict_json(x) for x in f.read().splitlines())}
    for target, name in (("/nowhere?t=1", "reader"), ("/subjects/a%22b%5Cc%0a?t=2", "reader"),
                         ("/rank?t=3&t=3", "boss"), ("/healthz?t=4", "reader"),
                         ("/compact?t=5", "reader"), ("/metrics?t=6", "reader"),
                         ("/nowhere?t=7", None), ("/nowhere?t=8", None), ("/nowhere?t=9", None),
                         ("/nowhere?t=10", None)):
        check(target in byp and byp[target]["token"] == name,
              "the access log of %s names the token %r: %s" % (target, name, byp.get(target)))


def test_access_log_refused(tmp, log):
    """A request libmicrohttpd refuses itself, after the request line, is
    logged and counted with the status it sent (it was logged "status":0,
    which means the client left, and counted status="none"); one refused
    at its request line reaches the service not at all and leaves no line."""
    os.remove(log)
    srv = start(tmp, ["--access-log", log], data=False)
    chunked = b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n" \
              b"Transfer-Encoding: chunked\r\nAuthorization: Bearer %s\r\n\r\n" % tok("ingest").encode()
    cases = [(b"GET /healthz?refused=1 HTTP/1.1\r\nBadHeader\r\nHost: x\r\n\r\n", 400),
             (b"POST /events?refused=2 HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
             (chunked.replace(b"/events", b"/events?refused=3") + b"ZZ\r\n", 400),
             (chunked.replace(b"/events", b"/events?refused=4") + b"FFFFFFFFFFFFFFFFFF\r\n", 413),
             (b"GET /healthz?unlogged=1 HTTP/2.0\r\nHost: x\r\n\r\n", 505),
             (b"GET /healthz?unlogged=2 http/1.1\r\nHost: x\r\n\r\n", 400)]
    try:
        for data, status in cases:
            out = raw_bytes(srv, data)
            check(out.startswith(b"HTTP/1.1 %d " % status),
                  "refused by libmicrohttpd: %r answers %d: %r" % (data[:40], status, out[:40]))
        # a client that leaves before its request is in: status 0
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        sock.sendall(b"GET /healthz?left=1 HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.2)
        sock.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            with open(log, "rb") as f:
                if b"left=1" in f.read():
                    break
            time.sleep(0.02)
        _, _, text = srv.raw("GET", "/metrics", token=tok("boss"))
    finally:
        srv.stop()
    with open(log, "rb") as f:
        byp = {l["path"]: l for l in (strict_json(x) for x in f.read().splitlines())}
    for i, status in enumerate([400, 400, 400, 413]):
        line = byp.get("%s?refused=%d" % ("/healthz" if i == 0 else "/events", i + 1), {})
        check(line.get("status") == status and line.get("bytes") == 0,
              "a refusal of libmicrohttpd logged with its status %d: %s" % (status, line))
    check(byp.get("/healthz?left=1", {}).get("status") == 0,
          "a client that left is logged status 0: %s" % byp.get("/healthz?left=1"))
    check(not [p for p in byp if "unlogged" in p], "refused at the request line: no line %s" % byp)
    values = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1])
              for l in text.decode().splitlines() if l and not l.startswith("#")}
    counted = {k: v for k, v in values.items() if k.startswith("civic_http_requests_total") and v}
    # (the route is known once the headers are in: before, "other")
    check(counted.get('civic_http_requests_total{route="/events",status="400"}') == 1
          and counted.get('civic_http_requests_total{route="/events",status="413"}') == 1
          and counted.get('civic_http_requests_total{route="other",status="400"}') == 2
          and counted.get('civic_http_requests_total{route="other",status="none"}') == 1,
          "refusals of libmicrohttpd counted by status: %s" % counted)


# ---------------------------------------------------------------- 6. TLS

def test_tls(tmp):
    cert, key = harness.self_signed_cert(tmp)
    srv = start(tmp, ["--tls-cert", cert, "--tls-key", key], data=False, tls_ca=cert)
    try:
        check("https" in srv.output(), "the server says it serves https")
        # its dates are read (an expired certificate is warned of: the unit
        # tests, which hold one); a certificate valid today is not
        check("warning" not in srv.output(), "no warning for a certificate within its dates: %r"
              % srv.output()[:300])
        conn = srv.connection()
        try:
            s1 = srv.raw("POST", "/events", event_body(), {"Content-Type": "text/csv"},
                         token=tok("ingest"), conn=conn)
            sock = conn.sock
            s2 = srv.raw("GET", "/rank", token=tok("reader"), conn=conn)
            s3 = srv.raw("GET", "/rank", conn=conn)
            check((s1[0], s2[0], s3[0]) == (200, 200, 401) and conn.sock is sock,
                  "HTTPS with keep-alive: %s" % [s1[0], s2[0], s3[0]])
        finally:
            conn.close()
        plain = harness.Server(ARGS.server)
        plain.port = srv.port
        try:
            status, _, _ = plain.raw("GET", "/healthz", timeout=5)
            check(status >= 400, "plain HTTP to the HTTPS port is refused (%d)" % status)
        except Exception:
            pass  # the TLS layer drops the connection: refused, as it should be
        # plain HTTP from a scanner, connection after connection: GnuTLS's
        # complaint was written once per connection, without the prefix
        for _ in range(20):
            raw_bytes(srv, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", wait=5)
    finally:
        srv.stop()
    lines = [l for l in srv.output().splitlines() if l]
    check(all(l.startswith("civic-server: ") or l.startswith("civic-server listening")
              for l in lines), "every line of standard error has the prefix: %r" % lines[:5])
    check(len([l for l in lines if "handshake" in l]) == 1,
          "a handshake failure said once a minute: %r" % lines[:5])
    more = [int(m.group(1)) for m in (re.search(r"(\d+) more messages? of libmicrohttpd", l)
                                      for l in lines) if m]
    check(len(more) == 1 and more[0] >= 19, "the messages not shown are counted: %r" % lines)
    test_tls_start_failures(tmp, cert)


def test_tls_start_failures(tmp, cert):
    """One line per failure to start, with the prefix: libmicrohttpd's and
    GnuTLS's own lines came first, without it, and civic-server's pointed
    "above"; a key with a passphrase is not supported, and said so."""
    garbage = os.path.join(tmp, "garbage.key")
    with open(garbage, "w") as f:
        f.write("not a key\n")
    pkcs8, legacy = os.path.join(tmp, "enc8.key"), os.path.join(tmp, "enc1.key")
    _, key = harness.self_signed_cert(tmp)
    subprocess.run(["openssl", "pkey", "-in", key, "-aes256", "-passout", "pass:secret", "-out",
                    pkcs8], check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "ec", "-in", key, "-aes256", "-passout", "pass:secret", "-out",
                    legacy], check=True, capture_output=True, timeout=60)
    for k, said in ((garbage, "certificate/key"), (pkcs8, "passphrase"), (legacy, "passphrase")):
        p = subprocess.run([ARGS.server, "--port", "0", "--tls-cert", cert, "--tls-key", k],
                           capture_output=True, text=True, timeout=30)
        lines = p.stderr.splitlines()
        check(p.returncode == 1 and len(lines) == 1 and lines[0].startswith("civic-server: ")
              and said in lines[0], "--tls-key %s: one line saying %r, exit 1: %s %r"
              % (os.path.basename(k), said, p.returncode, p.stderr))
    check("not supported" in p.stderr and "--tls-key" in p.stderr,
          "an encrypted key is not supported, named: %r" % p.stderr)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--server", default="build/civic-server")
    ARGS = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="civic-security-")
    try:
        test_command_line(tmp)
        test_tokens_file(tmp)
        test_tokens_long_lines(tmp)
        os.mkdir(os.path.join(tmp, "roles"))
        test_roles(os.path.join(tmp, "roles"))
        test_public_reports(tmp)
        test_public_report_as_of(tmp)
        test_public_report_is_the_present(tmp)
        test_public_report_cache(tmp)
        test_public_report_one_maker(tmp)
        test_public_report_other_pages(tmp)
        srv = start(tmp, data=True)
        try:
            load_sample(srv)
            test_methods(srv)
            test_keep_alive(srv)
            test_targets(srv)
            test_absolute_form(srv)
            test_tabs_in_the_request_line(srv)
            test_framing(srv)
            test_hidden_framing(srv)
            test_reasons_hide_credentials(srv)
            test_reasons_name_the_value(srv)
            test_no_length(srv)
            test_stray_bodies(srv)
            test_header_room(srv)
            test_header_room_names_the_rule(srv)
            test_json_bodies(srv)
            test_metrics(srv)
        finally:
            srv.stop()
        test_access_log(tmp)
        test_reasons_and_log_agree(tmp)
        test_parameter_records(tmp)
        test_tls(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("test-server-security: %d failure(s)" % len(FAILURES), file=sys.stderr)
        return 1
    print("test-server-security: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
