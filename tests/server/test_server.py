#!/usr/bin/env python3
"""End-to-end tests of examples/server/civic-server (Python stdlib only).

  1. answers: post the sample log, compare every subject (and an explicit
     as_of) with `civic-score --format csv` on the same log; records, groups,
     ranking, JSON Lines bodies.
  2. bad requests: 4xx with a JSON error naming line, column and reason;
     nothing of a bad batch applied; body size limit; unknown routes.
  3. restart: the same --data gives the same answers after SIGTERM and after
     SIGKILL.
  4. crash rounds: clients post batches while the server is killed with
     SIGKILL at random moments; after each restart every acknowledged batch
     is present and no batch is half-applied.
  5. version 2: GET /lists/{name} byte for byte as civic-score --list -f json
     (404 for a name that is no list), GET /report byte for byte as
     civic-score -f html, GET /objections byte for byte as civic-score
     --objections -f json, POST /purge and 410 Gone before its horizon, and the
     source of events posted by a token.
  6. out of memory: each allocation of one request failed in turn, under
     tests/cli/failmalloc.c (built with cc; skipped without one).
  7. the manual: the audit recipe of docs/http-api.md, run as written on a
     copy of a running service's data directory (the Python binding, with
     the libcivic.so beside --server).

usage: test_server.py --server build/civic-server --cli build/civic-score
       [--sample examples/data/sample.csv] [--rounds 6] [--seed N]
"""
import argparse
import csv
import datetime
import decimal
import http.client
import io
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ARGS = None
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, file=sys.stderr)
    return cond


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


class Server(harness.Server):
    def __init__(self, data=None, extra=()):
        super().__init__(ARGS.server, data, extra)

    def get(self, path, **query):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.request("GET", path)

    def post(self, body, ctype="text/csv"):
        return self.request("POST", "/events", body if isinstance(body, bytes) else body.encode(),
                            ctype)


def sample_log():
    if ARGS.sample and os.path.exists(ARGS.sample):
        with open(ARGS.sample, "rb") as f:
            return f.read()
    # No sample yet: a small log with every kind of event of the built-in scheme.
    rng = random.Random(7)
    types = ["volunteer_hour", "neighbour_help", "illegal_parking", "donation", "recycling"]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "subject", "type", "ts", "qty", "group", "ref"])
    for i in range(400):
        t = rng.choice(types)
        qty = str(rng.randint(1, 4)) if t in ("volunteer_hour", "donation") else ""
        w.writerow(["g%04d" % i, "s%02d" % rng.randint(0, 30), t,
                    "2024-%02d-%02dT10:00:00+08:00" % (rng.randint(1, 12), rng.randint(1, 28)),
                    qty, "d%d/st%d" % (rng.randint(0, 2), rng.randint(0, 3)), ""])
    w.writerow(["g9000", "s01", "revoke", "2025-01-01", "", "", "g0001"])
    w.writerow(["g9001", "s02", "redeem", "2025-01-02", "1", "", ""])
    return out.getvalue().encode()


def cli_rows(log_path, as_of=None):
    cmd = [ARGS.cli, "--format", "csv", log_path]
    if as_of:
        cmd += ["--as-of", as_of]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    return {r["subject"]: r for r in rows}


def server_rows(srv, as_of=None):
    q = {"as_of": as_of} if as_of else {}
    status, body = srv.get("/rank", **q)
    assert status == 200, body
    rows = {}
    for r in body["subjects"]:
        rows[r["subject"]] = {"subject": r["subject"], "group": r["group"],
                              "score": "%.2f" % r["score"], "grade": r["grade"],
                              "balance": "%.2f" % r["balance"], "flags": ";".join(r["flags"])}
    return rows


def snapshot_answers(srv):
    """Everything a client can see, for before/after comparisons."""
    _, rank = srv.get("/rank")
    _, groups = srv.get("/groups", depth=2)
    subjects = sorted(r["subject"] for r in rank["subjects"])
    records = {s: srv.get("/subjects/%s/record" % urllib.parse.quote(s, safe=""))[1]
               for s in subjects[:10]}
    _, health = srv.get("/healthz")
    return json.dumps([rank, groups, records, health["events"]], default=str, sort_keys=True)


# ---------------------------------------------------------------- 1. answers

def test_answers(srv, log, log_path):
    status, rep = srv.post(log)
    check(status == 200, "sample accepted: %s %s" % (status, rep))
    lines = log.count(b"\n")
    check(rep["accepted"] + rep["duplicates"] == lines - 1, "accepted counts %s" % rep)
    check(rep["rejected"] == 0 and rep["lines"] == lines, "report %s" % rep)
    # Posting it again changes nothing: every line is a duplicate.
    status, rep2 = srv.post(log)
    check(status == 200 and rep2["accepted"] == 0 and rep2["duplicates"] == lines - 1,
          "repost is all duplicates %s" % rep2)

    for as_of in (None, "2025-01-01", "2024-06-30T12:00:00+08:00"):
        want, got = cli_rows(log_path, as_of), server_rows(srv, as_of)
        check(want == got, "rank == civic-score at %s (%d vs %d rows; first diff %s)" % (
            as_of, len(want), len(got),
            next(((k, want.get(k), got.get(k)) for k in sorted(set(want) | set(got))
                  if want.get(k) != got.get(k)), None)))
    want = cli_rows(log_path)
    for subject, row in list(want.items())[:20]:
        status, s = srv.get("/subjects/" + urllib.parse.quote(subject, safe=""))
        check(status == 200 and "%.2f" % s["score"] == row["score"] and s["grade"] == row["grade"]
              and "%.2f" % s["balance"] == row["balance"] and s["group"] == row["group"]
              and ";".join(s["flags"]) == row["flags"] and "dimensions" in s,
              "subject %s: %s vs %s" % (subject, s, row))
        status, rec = srv.get("/subjects/%s/record" % urllib.parse.quote(subject, safe=""))
        check(status == 200 and rec["score"] == s["score"] and len(rec["entries"]) == s["events"],
              "record of %s" % subject)
    # as_of with an unencoded '+' (arrives as a space) still parses.
    subject = next(iter(want))
    status, _ = srv.request("GET", "/subjects/%s?as_of=2025-01-01T00:00:00+08:00" % subject)
    check(status == 200, "as_of with a raw '+'")
    # a time of the right form that does not exist says which part (as a log's ts
    # and civic-score -t do; it said "is not a timestamp" and listed the forms)
    for bad, why in (("2025-06-31", "day out of range for the month"),
                     ("2025-01-01T24:00:00", "time of day out of range")):
        status, e = srv.request("GET", "/subjects/%s?as_of=%s" % (subject, bad))
        check(status == 400 and e.get("reason") == 'as_of "%s": %s' % (bad, why),
              "as_of=%s: %s %s" % (bad, status, e))
    # a time of no form that most likely means one: after the forms, what to
    # write, as a log's ts and civic-score -t are told it (it listed the
    # forms only)
    forms_now = " is not a timestamp (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], Unix seconds or now)"
    for bad, shown, hint in (
            ("2025-11-28%2019:04", "2025-11-28 19:04",
             " (the seconds are required: write 2025-11-28T19:04:00)"),
            ("01.12.2026", "01.12.2026", " (day.month.year? write 2026-12-01)"),
            ("12/06/2026", "12/06/2026", " (day/month/year or month/day/year? write YYYY-MM-DD)"),
            ("NULL", "NULL", " (a database's NULL? it is no time)"),
            ("%EF%BC%92025-01-01", "\uff12025-01-01", " (U+FF12 is a full-width character)")):
        status, e = srv.request("GET", "/subjects/%s?as_of=%s" % (subject, bad))
        check(status == 400 and e.get("reason") == 'as_of "%s"%s%s' % (shown, forms_now, hint),
              "as_of=%s says what it most likely is: %s %s" % (bad, status, e))
    status, e = srv.request("POST", "/purge?before=NULL")
    check(status == 400 and e.get("reason") == 'before "NULL" is not a timestamp (YYYY-MM-DD, '
          'YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds) (a database\'s NULL? it is no time)',
          "purge before=NULL says what it most likely is: %s %s" % (status, e))
    # the forms an as_of takes include "now" (a purge's before does not take it)
    status, e = srv.request("GET", "/subjects/%s?as_of=today" % subject)
    check(status == 400 and e.get("reason", "").endswith("Unix seconds or now)"),
          "as_of=today lists now among the forms: %s %s" % (status, e))
    status, e = srv.request("POST", "/purge?before=today")
    check(status == 400 and e.get("reason", "").endswith("or Unix seconds)"),
          "before=today does not list now: %s %s" % (status, e))
    status, e = srv.request("POST", "/purge?before=2025-02-30")
    check(status == 400 and e.get("reason") == 'before "2025-02-30": day out of range for the '
          'month', "purge before=2025-02-30: %s %s" % (status, e))
    # a space for the 'T' between date and time, as an event's ts may have it
    quoted = urllib.parse.quote(subject, safe="")
    status, a = srv.request("GET", "/subjects/%s?as_of=2025-01-01%%2000:00:00+08:00" % quoted)
    status2, b = srv.request("GET", "/subjects/%s?as_of=2025-01-01T00:00:00%%2B08:00" % quoted)
    check(status == status2 == 200 and a == b,
          "as_of with a space for the T: %s %s vs %s %s" % (status, a, status2, b))
    # ... and an encoded space read as '+' too (libmicrohttpd gives both as a space)
    status3, c = srv.request("GET", "/subjects/%s?as_of=2025-01-01T00:00:00%%2008:00" % quoted)
    check(status3 == 200 and c == b, "as_of with %%20 for the '+': %s %s vs %s" % (status3, c, b))
    # a bad time's reason quotes it as the client sent it: an encoded space
    # was echoed as the '+' it is read as, a '+' the client never sent; an
    # unencoded '+' stays a '+' (it arrives as a space too)
    forms = " is not a timestamp (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], Unix seconds or now)"
    for query, reason in (("as_of=%20now", 'as_of " now"' + forms),
                          ("AS_OF=%20now", 'as_of " now"' + forms),
                          ("as_of=2026-01-05T10:00:00%2B08:00%20",
                           'as_of "2026-01-05T10:00:00+08:00 "' + forms +
                           ' (it ends in a blank: write 2026-01-05T10:00:00+08:00)'),
                          ("as_of=2026-01-05T10:00:00+08:00+",
                           'as_of "2026-01-05T10:00:00+08:00+": bad UTC offset (expected Z or '
                           '+HH:MM)'),
                          ("as_of=now%20%2B+x", 'as_of "now ++x"' + forms),
                          ("&&as_of=%C3%A9%20", 'as_of "\u00e9 "' + forms)):
        status, e = srv.request("GET", "/subjects/%s?%s" % (quoted, query))
        check(status == 400 and e.get("reason") == reason,
              "?%s echoes the value as sent: %s %s" % (query, status, e))
    # a blank the '+' reading leaves no hint for gets the hint of the value
    # with its blanks, as civic-score -t does (it was told "bad UTC offset"
    # for a blank at the end, and nothing more for a blank before the Z);
    # the hint after an offset's reason is no longer cut at 60 bytes
    offset = ": bad UTC offset (expected Z or +HH:MM)"
    for query, reason in (
            ("as_of=2024-02-29T10:00:00%20Z",
             'as_of "2024-02-29T10:00:00 Z"' + offset + " (write 2024-02-29T10:00:00Z)"),
            ("as_of=2024-02-29T10:00:00%20-05:00",
             'as_of "2024-02-29T10:00:00 -05:00"' + offset +
             " (write 2024-02-29T10:00:00-05:00)"),
            ("as_of=2024-02-29T10:00:00%20",
             'as_of "2024-02-29T10:00:00 "' + forms +
             " (it ends in a blank: write 2024-02-29T10:00:00)"),
            ("as_of=%202024-02-29",
             'as_of " 2024-02-29"' + forms + " (it starts with a blank: write 2024-02-29)"),
            ("as_of=2024-2-29%2010:00:00",
             'as_of "2024-2-29 10:00:00"' + forms + " (write 2024-02-29T10:00:00)"),
            ("as_of=2024-02-29T10:00:00%2B8:00",
             'as_of "2024-02-29T10:00:00+8:00"' + offset + " (write 2024-02-29T10:00:00+08:00)"),
            ("as_of=2024-02-29T10:00:00%208:00",
             'as_of "2024-02-29T10:00:00 8:00"' + offset +
             " (write 2024-02-29T10:00:00+08:00)")):
        status, e = srv.request("GET", "/subjects/%s?%s" % (quoted, query))
        check(status == 400 and e.get("reason") == reason,
              "?%s gets civic-score's hint: %s %s" % (query, status, e))
    status, e = srv.request("POST", "/purge?before=2024-02-29T10:00:00%20Z")
    check(status == 400 and e.get("reason") == 'before "2024-02-29T10:00:00 Z"' + offset +
          " (write 2024-02-29T10:00:00Z)", "purge before= with a blank before Z: %s %s" % (status, e))
    status, e = srv.request("POST", "/purge?before=2025-01-01%20x")
    check(status == 400 and e.get("reason", "").startswith('before "2025-01-01 x" is not a '),
          "purge before=2025-01-01%%20x echoes a space: %s %s" % (status, e))
    # a long fraction of a second, which civic-score -t takes (the service
    # refused as_of past 79 bytes)
    long_as_of = "2025-01-01T00:00:00." + "0" * 300 + "+08:00"
    status, c = srv.request("GET", "/subjects/%s?as_of=%s" % (quoted, urllib.parse.quote(long_as_of)))
    check(status == 200 and c == b, "as_of with a 300-digit fraction: %s %s" % (status, c))
    # as_of=now: the present moment (as civic-score -t now), answered as that time;
    # the service reads time(), the coarse clock, which can lag Python's
    # time.time() by a tick: a second before t0 is the same moment
    t0 = int(time.time()) - 1
    status, a = srv.get("/subjects/" + quoted, as_of="now")
    t1 = int(time.time())
    when = (datetime.datetime.fromisoformat(a["as_of"]).timestamp()
            if status == 200 and "as_of" in a else None)
    check(when is not None and t0 <= when <= t1, "as_of=now: %s %s" % (status, a))
    status2, b = srv.get("/subjects/" + quoted, as_of=str(int(when or 0)))
    check(status2 == 200 and a == b, "as_of=now as its Unix seconds: %s vs %s" % (a, b))

    status, g = srv.get("/groups", depth=1)
    check(status == 200 and sum(x["subjects"] for x in g["groups"]) <= len(want), "groups %s" % status)
    status, g0 = srv.get("/groups", depth=0)
    check(status == 200 and g0["groups"][0]["subjects"] == len(want), "groups depth 0")
    top_group = g["groups"][0]["group"]
    status, r = srv.get("/rank", group=top_group, top=3)
    check(status == 200 and len(r["subjects"]) <= 3 and [x["rank"] for x in r["subjects"]] == [1, 2, 3][:len(r["subjects"])],
          "rank in a group")

    # JSON Lines, by content type and by sniffing.
    body = ('{"id":"j1","subject":"jsonl-subject","type":"volunteer_hour","ts":"2025-01-05","qty":2}\n'
            '{"id":"j2","subject":"jsonl-subject","type":"neighbour_help","ts":1736000000}\n')
    status, rep = srv.post(body, "application/x-ndjson")
    check(status == 200 and rep["accepted"] == 2, "jsonl accepted %s" % rep)
    body = '{"id":"j3","subject":"jsonl-subject","type":"recycling","ts":"2025-01-06"}\n'
    status, rep = srv.post(body, "application/octet-stream")
    check(status == 200 and rep["accepted"] == 1, "jsonl sniffed %s" % rep)
    status, s = srv.get("/subjects/jsonl-subject", as_of="2025-12-31")
    check(status == 200 and s["events"] == 3, "jsonl subject %s" % s)
    # a subject whose id ends in "/record": its own score and record, not those of "a"
    status, rep = srv.post("id,subject,type,ts\nslash-1,a/record,recycling,2025-01-03\n"
                           "slash-2,a,volunteer_hour,2025-01-03\n")
    check(status == 200 and rep["accepted"] == 2, "a/record posted: %s" % rep)
    status, s = srv.get("/subjects/a%2Frecord")
    check(status == 200 and s.get("subject") == "a/record" and s.get("events") == 1,
          "GET /subjects/a%%2Frecord is the subject a/record: %s" % s)
    status, rec = srv.get("/subjects/a%2Frecord/record")
    check(status == 200 and [e["id"] for e in rec.get("entries", [])] == ["slash-1"],
          "GET /subjects/a%%2Frecord/record is its record: %s" % rec)
    status, rec = srv.get("/subjects/a/record")
    check(status == 200 and [e["id"] for e in rec.get("entries", [])] == ["slash-2"],
          "GET /subjects/a/record is the record of a: %s" % rec)
    status, h = srv.get("/healthz")
    check(status == 200 and h["status"] == "ok", "healthz")


def cli_json(log_path, *args):
    out = subprocess.run([ARGS.cli, "--format", "json", *args, log_path], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out, parse_float=decimal.Decimal)


def test_fields_match_cli(log, log_path):
    """Every field civic-score --format json prints, the server prints with the
    same name, in the same order, with the same value (the server may add more)."""
    srv = Server().start()
    try:
        srv.post(log)
        as_of = "2025-06-30"
        cli = cli_json(log_path, "--as-of", as_of, "--top", "1000")
        status, got = srv.get("/rank", as_of=as_of)
        check(status == 200 and list(got)[:1] == ["as_of"] and got["scheme"] == cli["scheme"]
              and got["as_of"] == cli["as_of"], "rank answer head %s" % list(got))
        check(got["subjects"] == cli["subjects"], "rank rows == civic-score --top rows (first "
              "difference: %s)" % next(((a, b) for a, b in zip(cli["subjects"], got["subjects"])
                                        if a != b), None))
        row = cli["subjects"][0]
        status, one = srv.get("/subjects/" + urllib.parse.quote(row["subject"], safe=""), as_of=as_of)
        want = {k: v for k, v in row.items() if k != "rank"}
        check({k: v for k, v in one.items() if k != "as_of"} == want
              and list(one)[1:] == list(want), "subject answer == civic-score row %s" % one)
        for subject in [r["subject"] for r in cli["subjects"][:8]]:
            c = cli_json(log_path, "--as-of", as_of, "--explain", subject)
            status, g = srv.get("/subjects/%s/record" % urllib.parse.quote(subject, safe=""),
                                as_of=as_of)
            # the record is civic-score --explain --detail's, its own ceiling
            # after flags included, key for key and in order
            d = cli_json(log_path, "--as-of", as_of, "--explain", subject, "--detail")
            check(g == d and list(g) == list(d) and list(d)[6] == "ceiling",
                  "record of %s == civic-score --explain --detail (%s vs %s)"
                  % (subject, list(d), list(g)))
            head = {k: v for k, v in c.items() if k != "entries"}
            check({k: g[k] for k in head} == head and [k for k in g if k in c] == list(c),
                  "record of %s: CLI fields in CLI order (%s vs %s)" % (subject, list(c), list(g)))
            cut = [{k: e[k] for k in ce} for e, ce in zip(g["entries"], c["entries"])]
            # the CLI's keys in the CLI's order; the detail keys (qty, flag,
            # ceiling, affects) sit where the shared writer puts them
            check(cut == c["entries"] and all([k for k in e if k in ce] == list(ce)
                                              for e, ce in zip(g["entries"], c["entries"])),
                  "record entries of %s == civic-score's" % subject)
        for depth in ("0", "1", "3"):
            c = cli_json(log_path, "--as-of", as_of, "--groups", depth)
            status, g = srv.get("/groups", depth=depth, as_of=as_of)
            check(g["groups"] == c["groups"] and g["as_of"] == c["as_of"],
                  "groups at depth %s == civic-score --groups" % depth)
    finally:
        srv.stop()


# ---------------------------------------------------------------- 2. bad requests

def test_bad_requests(srv):
    _, h = srv.get("/healthz")
    before = h["events"]
    bad = ("id,subject,type,ts\n"
           "b1,bad-subject,volunteer_hour,2025-01-01\n"
           "b2,bad-subject,volunteer_hour,2025-13-45\n")
    status, e = srv.post(bad)
    check(status == 400 and e["line"] == 3 and e["column"] > 0 and "ts" in e["reason"]
          and e["accepted"] == 0, "bad ts: %s %s" % (status, e))
    status, e = srv.post("id,subject,type,ts\nb3,x,no_such_rule,2025-01-01\n")
    check(status == 400 and e["line"] == 2 and "type" in e["reason"], "unknown type %s" % e)
    status, e = srv.post('{"id":"b4","subject":"x","type":"recycling","ts":"2025-01-01"}\n{"id": oops}\n',
                         "application/x-ndjson")
    check(status == 400 and e["line"] == 2 and e["column"] > 0, "malformed json %s" % e)
    status, e = srv.post('id,subject,type,ts\n"b5,x,recycling,2025-01-01\n')
    check(status == 400 and e["line"] >= 2, "malformed csv %s" % e)
    status, e = srv.post("id,subject,type\nb6,x,recycling\n")
    check(status == 400 and "ts" in e["reason"], "missing column %s" % e)
    # UTF-16LE and UTF-32LE bodies end in a NUL as part of their encoding:
    # no C caller's strlen(text) + 1 hint (a body whose one NUL ends it has it)
    log = "id,subject,type,ts\nb7,x,recycling,2025-01-01\n"
    for body in (("\ufeff" + log).encode("utf-16-le"), log.encode("utf-16-le"),
                 log.encode("utf-32")):
        status, e = srv.post(body)
        check(status == 400 and "strlen" not in e.get("reason", ""),
              "a UTF-16/32 body gets no strlen hint: %s %s" % (status, e))
    # a body of the other format than its Content-Type says: the error of its
    # first line, and which Content-Type reads it
    jsonl = '{"id":"b8","subject":"x","type":"recycling","ts":"2025-01-01"}\n'
    array = '[{"id":"b8a","subject":"x","type":"recycling","ts":"2025-01-01"}]'
    array_hint = " (the body is a JSON array: send it with Content-Type: application/json)"
    for body, ctype, hint in (
            (jsonl, "text/csv", " (the body looks like JSON Lines: send it with Content-Type: "
                                "application/x-ndjson)"),
            (log, "application/x-ndjson", " (the body looks like CSV: send it with "
                                          "Content-Type: text/csv)"),
            (log, "application/json", " (the body looks like CSV: send it with "
                                      "Content-Type: text/csv)"),
            # a JSON array is read under application/json, not told to drop
            # its brackets (the library's words for civic-score, which reads no array)
            (array, "text/csv", array_hint), (array, "application/x-ndjson", array_hint),
            (array, "application/jsonl; charset=utf-8", array_hint)):
        status, e = srv.post(body, ctype)
        check(status == 400 and e.get("line") == 1 and e.get("reason", "").endswith(hint),
              "a body of the other format (%s) says which type reads it: %s %s"
              % (ctype, status, e))
    # so does a JSON array the readers do not take for one ("[]", "[1]",
    # ["a"]): they gave their own error alone, and for "[]" as CSV the
    # advice of a header whose line breaks curl -d removed
    for body in ("[]", "[]\n", " [ ]", '["a"]', "[1]", "[{}]", '["a",\n"b"]', "\n[\n]\n"):
        line = 2 if body.startswith("\n") else 1
        for ctype in ("text/csv", "text/csv; charset=utf-8", "application/x-ndjson"):
            status, e = srv.post(body, ctype)
            reason = e.get("reason", "")
            check(status == 400 and e.get("line") == line and reason.startswith("line %d" % line)
                  and reason.endswith(array_hint) and reason.count("(the body is") == 1
                  and "curl -d" not in reason and "whole input" not in reason,
                  "a JSON array %r sent as %s is told to be sent as application/json: %s %s"
                  % (body, ctype, status, e))
    for ctype, reason in (
            ("text/csv", "line 1: the header has no 'id', 'subject', 'type' or 'ts' column "
                         "(required: id, subject, type, ts)" + array_hint),
            ("application/x-ndjson", "line 1, column 1: expected a JSON object '{'" + array_hint)):
        status, e = srv.post("[]", ctype)
        check(status == 400 and e.get("reason") == reason,
              "[] sent as %s: %s %s" % (ctype, status, e))
    # a CSV header that begins with '[' is no JSON array: not told so
    status, e = srv.post("[x],subject,type,ts\n", "text/csv")
    check(status == 400 and "JSON array" not in e.get("reason", ""),
          "a CSV header beginning with '[' is not called a JSON array: %s %s" % (status, e))
    # a JSON array read as one, whose element is an array: that element is no
    # object, as in [1]; the hint to send the body as application/json (it
    # was) is for a JSON array sent as CSV or JSON Lines only
    for body in ("[[%s]]" % array[1:-1], "[%s,\n[%s]]" % (array[1:-1], array[1:-1]), "[1]"):
        line = body.count("\n") + 1
        for ctype in ("application/json", "application/json; charset=utf-8", None):
            status, e = srv.post(body, ctype)
            check(status == 400 and e.get("line") == line and
                  e.get("reason") == "line %d, column 1: expected a JSON object '{'" % line,
                  "an array element that is an array is no object (%s): %s %s"
                  % (ctype, status, e))
    # a rules file posted as events (curl -d @rules.toml): named as one, as
    # civic-score names it, whatever the Content-Type (it said "invalid JSON
    # array": text after the closing ']' of [scheme])
    # At the line that shows it, its first that is not blank nor a comment
    # (not where the log's reader stopped: a '"' in a comment), with the
    # counts of every other refused batch, whatever its first line.
    for body, line, column in (("[scheme]\nbase = 1000\n[[grade]]\nname = \"A\"\n", 1, 1),
                               ("[rule.litter]\npoints = -20\n", 1, 1),
                               ("# the scheme\n\n[[grade]]\nname = \"A\"\n", 3, 1),
                               ("base = 1000\n", 1, 1),
                               ("# a \"quoted\" note\n  [scheme]\nbase = 1\n", 2, 3)):
        for ctype in (None, "application/x-www-form-urlencoded", "text/csv",
                      "application/x-ndjson", "application/json"):
            status, e = srv.post(body, ctype)
            check(status == 400 and e.get("error") == "syntax error" and
                  e.get("reason", "").startswith("not an event log: a rules file (TOML: a "
                                                 "[table] or a key = value line): ") and
                  "--rules FILE" in e["reason"],
                  "a rules file posted (%s) says so: %s %s" % (ctype, status, e))
            check((e.get("line"), e.get("column"), e.get("lines"), e.get("accepted"),
                   e.get("rejected")) == (line, column, line, 0, 1) and
                  e.get("events") is not None,
                  "a rules file posted (%s) is refused at its line %d, column %d: %s"
                  % (ctype, line, column, e))
    status, e = srv.post("[1, 2]\n", "application/json")   # an array, not a table header
    check(status == 400 and "rules file" not in e.get("reason", ""), "[1, 2]: %s" % e)
    # a spreadsheet's "sep=," line and a form body are no key = value of TOML:
    # the library's own words (the sep= hint) stay
    status, e = srv.post("sep=,\r\nid,subject,type,ts\r\ne1,s1,volunteer_hour,2024-01-01\r\n",
                         "text/csv")
    check(status == 400 and "rules file" not in e.get("reason", "") and
          "sep=," in e.get("reason", ""), "a sep=, line is no rules file: %s" % e)
    for form in ("id=e1&subject=s1&type=volunteer_hour&ts=2024-01-01", "qty=5",
                 'events=[{"id":"e1","subject":"s1","type":"volunteer_hour","ts":"2024-01-01"}]'):
        status, e = srv.post(form, "application/x-www-form-urlencoded")
        check(status == 400 and "rules file" not in e.get("reason", ""),
              "a form body %r: %s" % (form, e))
    # and a rules file whose first line holds a '&', or a TOML word as value, is one
    for body in ('name = "Parks & Recreation"\n[scheme]\nbase = 1000\n', "x = inf\n",
                 "flag = true\n"):
        status, e = srv.post(body, "text/csv")
        check(status == 400 and e.get("reason", "").startswith("not an event log: a rules file"),
              "a rules file %r posted says so: %s" % (body, e))
    status, e = srv.post(log.rstrip("\n").encode() + b"\0")
    check(status == 400 and "(the text ends in a NUL byte" in e.get("reason", ""),
          "a body that ends in its one NUL says so: %s %s" % (status, e))
    # The same id with other fields: a conflict.
    srv.post("id,subject,type,ts\nc1,conflict-subject,recycling,2025-01-01\n")
    status, e = srv.post("id,subject,type,ts\nc1,conflict-subject,recycling,2025-01-02\n")
    check(status == 409 and e["line"] == 2, "conflict %s %s" % (status, e))
    _, h = srv.get("/healthz")
    check(h["events"] == before + 1, "nothing of a bad batch applied (%s vs %s)" % (h["events"], before))
    status, e = srv.get("/subjects/bad-subject")
    check(status == 200 and e["events"] == 0, "subject of a rejected batch has no events %s" % e)
    # SPEC: a subject with no events has score = base (1000 in the built-in
    # scheme), balance 0 and the grade of base ("A": 960 <= 1000 < 1030).
    status, e = srv.get("/subjects/nobody")
    check(status == 200 and e["events"] == 0 and e["score"] == 1000 and e["balance"] == 0
          and e["grade"] == "A", "unknown subject: base score %s %s" % (status, e))
    status, e = srv.get("/subjects/nobody/record")
    check(status == 200 and e["score"] == 1000 and e["entries"] == [] and e.get("archived", 0) == 0,
          "unknown subject: empty record %s %s" % (status, e))
    status, e = srv.get("/rank", as_of="not-a-time")
    check(status == 400 and "as_of" in e["error"], "bad as_of %s" % e)
    check("not a timestamp" in e["reason"], "a malformed as_of says so: %s" % e)
    # Well formed, but before the calendar once the scheme's offset is applied
    # (as civic-score -t 0001-01-01 says).
    status, e = srv.get("/rank", as_of="0001-01-01")
    check(status == 400 and "out of range (years 0001..9999 in UTC): its UTC offset takes it "
          "before 0001-01-01T00:00:00Z" in e["reason"],
          "an as_of outside the calendar by its offset alone says so %s" % e)
    status, e = srv.get("/groups", depth="x")
    check(status == 400, "bad depth")
    status, e = srv.get("/rank", top="-1")
    check(status == 400, "bad top")
    # A misspelt parameter is not ignored (the default as-of would answer),
    # and a parameter given twice is not half read.
    status, e = srv.get("/subjects/nobody", asof="2020-01-01")
    check(status == 400 and e["error"] == "bad parameter"
          and e["reason"] == 'unknown parameter "asof": this route takes as_of',
          "misspelt parameter %s %s" % (status, e))
    status, e = srv.request("GET", "/groups?depth=1&as_of=2025-01-01&depth=2")
    check(status == 400 and e["reason"] == 'parameter "depth" is given twice',
          "repeated parameter %s %s" % (status, e))
    status, e = srv.request("GET", "/rank?group=d1&top=2&as_of=2025-01-01")
    check(status == 200, "every parameter of /rank at once %s %s" % (status, e))
    # a group path no event can have is a bad request, as in a log (it was
    # an empty ranking)
    for g, why in (("d1/", "may not start or end with '/'"), ("/d1", "may not start or end"),
                   ("d1//x", "empty segment in group path"), ("a" * 256, "longer than 255 bytes"),
                   ("/".join(["a"] * 65), "more than 64 segments")):
        status, e = srv.get("/rank", group=g)
        check(status == 400 and e.get("error") == "bad group" and why in e.get("reason", ""),
              "/rank?group=%s: %s %s" % (g, status, e))
    # an empty group is everyone, as an absent one (arg() reads an empty
    # value as none)
    status, every = srv.request("GET", "/rank?group=&as_of=2025-01-01")
    status2, plain = srv.request("GET", "/rank?as_of=2025-01-01")
    check(status == status2 == 200 and every["subjects"] == plain["subjects"],
          "/rank?group= ranks everyone: %s %s" % (status, str(every)[:120]))
    status, e = srv.request("GET", "/subjects/nobody?AS_OF=2020-01-01")
    check(status == 200 and e["as_of"].startswith("2020-01-01"),
          "a name in another case is the parameter (as libmicrohttpd reads it) %s %s" % (status, e))
    status, e = srv.request("GET", "/subjects/nobody?as_of=2020-01-01&As_Of=2021-01-01")
    check(status == 400 and "given twice" in e.get("reason", ""), "twice in two cases %s %s" % (status, e))
    status, e = srv.request("GET", "/groups?&depth=1&&as_of=2025-01-01&")
    check(status == 200, "empty segments of a query name nothing %s %s" % (status, e))
    status, e = srv.request("GET", "/subjects/nobody?=2020-01-01")
    check(status == 400 and "no parameter name" in e.get("reason", ""),
          "a value whose name is lost is not ignored (the default as_of would answer) %s %s"
          % (status, e))
    status, e = srv.request("GET", "/subjects/nobody?as_of=2020-01-01&=")
    check(status == 200, "an empty segment with an empty value names nothing %s %s" % (status, e))
    status, e = srv.request("GET", "/healthz?probe=1")
    check(status == 200, "a probe's own parameter is ignored %s %s" % (status, e))
    status, e = srv.request("GET", "/no/such/route")
    check(status == 404, "unknown route")
    status, e = srv.request("DELETE", "/events")
    check(status == 405, "method not allowed %s" % status)


def test_limits():
    srv = Server(extra=["--max-body", "1K", "--threads", "2"]).start()
    try:
        small = "id,subject,type,ts\nl1,lim,recycling,2025-01-01\n"
        status, _ = srv.post(small)
        check(status == 200, "small body under the limit")
        big = "id,subject,type,ts\n" + "".join(
            "l%04d,lim,recycling,2025-01-01\n" % i for i in range(100))
        status, e = srv.post(big)
        check(status == 413 and e.get("error") == "request body too large"
              and "over --max-body, 1024 bytes" in e.get("reason", "")
              and "smaller batches" in e["reason"],
              "body over --max-body is 413, the limit named: %s %s" % (status, e))
        status, h = srv.get("/healthz")
        check(h["events"] == 1, "a too-large body applies nothing")
    finally:
        check(srv.stop() == 0, "clean exit on SIGTERM")
    # --threads 1 is one thread, not a pool: answered, and no word from
    # libmicrohttpd (a pool of 1 is "ignored" with a warning on stderr)
    srv = Server(extra=["--threads", "1"]).start()
    try:
        status, _ = srv.post("id,subject,type,ts\nt1,one,recycling,2025-01-01\n")
        status2, r = srv.get("/rank")
        check(status == 200 and status2 == 200 and len(r.get("subjects", [])) == 1
              and "libmicrohttpd" not in srv.output(),
              "--threads 1 answers, with no warning: %s %s %r" % (status, r, srv.output()))
    finally:
        check(srv.stop() == 0, "clean exit on SIGTERM")


def ask_and_never_read(srv, path, source="127.0.0.1"):
    """A client that asks for path and never reads the answer (a small
    receive buffer: the server holds what the kernel does not take)."""
    held = socket.socket()
    held.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    held.bind((source, 0))
    held.connect(("127.0.0.1", srv.port))
    held.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(1.0)
    return held


def unread_rank_size():
    """The kernel's largest socket send buffer (tcp_wmem's maximum), and how
    many subjects make a /rank bigger than it by 1 MiB: an answer the server
    holds when its client does not read (a row of these ids is about 271
    bytes)."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as f:
            wmem = int(f.read().split()[2])
    except (OSError, ValueError, IndexError):
        wmem = 4 << 20
    return wmem, (wmem + (1 << 20)) // 270 + 1


def rank_when_free(srv, seconds=10):
    """GET /rank until it is 200 (a holder gone frees its bytes when the
    server sees the close) or `seconds` pass: (status, body)."""
    deadline = time.monotonic() + seconds
    while True:
        status, _, body = srv.raw("GET", "/rank")
        if status == 200 or time.monotonic() > deadline:
            return status, body
        time.sleep(0.1)


def metrics_when_released(srv, seconds=10):
    """GET /metrics until no answer's bytes are reserved or `seconds` pass:
    an answer's bytes are released when the server sees it sent, which may
    come after its client has read the last byte and asked again."""
    deadline = time.monotonic() + seconds
    while True:
        _, _, metrics = srv.raw("GET", "/metrics")
        if b"\ncivic_answer_bytes_reserved 0\n" in metrics or time.monotonic() > deadline:
            return metrics
        time.sleep(0.05)


def test_answer_budget():
    """--answer-budget: an answer is held whole until its client reads it;
    clients that ask for big answers and never read must not hold memory
    without bound.  One /rank held unread (bigger than what the kernel's
    socket buffer takes off the server's hands: tcp_wmem's maximum) fills
    a budget of 1.5 times its size: the next /rank gets 503 with Retry-After
    (an Error, as the document says), a small answer (/healthz) still goes
    out, and once the holder is gone big answers go out again."""
    import openapi_check
    wmem, subjects = unread_rank_size()
    budget = subjects * 271 * 3 // 2
    srv = Server(extra=["--answer-budget", str(budget)]).start()
    held = None
    try:
        rows = "".join("ab%05d,answer-budget-%05d,recycling,2025-01-01\n" % (i, i)
                       for i in range(subjects))
        status, _ = srv.post("id,subject,type,ts\n" + rows)
        check(status == 200, "answer budget: the events are taken (%s)" % status)
        status, _, rank = srv.raw("GET", "/rank")
        check(status == 200 and wmem < len(rank) < budget < 2 * len(rank),
              "answer budget: one /rank (%d, %d bytes) fits the budget (%d), two do not"
              % (status, len(rank), budget))
        held = ask_and_never_read(srv, "/rank")
        status, h, body = srv.raw("GET", "/rank")
        check(status == 503 and h.get("retry-after") == "5" and b"budget for answers" in body,
              "answer budget: a big answer past it gets 503 + Retry-After (%d %r)"
              % (status, body[:120]))
        problems = openapi_check.check_response(openapi_check.load(), "GET", "/rank", status,
                                                h.get("content-type"), body)
        check(not problems, "answer budget: the 503 is as the document says: %s" % problems)
        status, _, _ = srv.raw("GET", "/healthz")
        check(status == 200, "answer budget: a small answer goes out while it is spent (%d)"
              % status)
        _, _, metrics = srv.raw("GET", "/metrics")
        check(b"\ncivic_answer_budget_refusals_total 1\n" in metrics,
              "answer budget: the refusal is counted in /metrics")
        held.close()
        held = None
        status, body = rank_when_free(srv)
        check(status == 200 and body == rank,
              "answer budget: back once the holder is gone (%d)" % status)
        metrics = metrics_when_released(srv)
        check(b"\ncivic_answer_bytes_reserved 0\n" in metrics,
              "answer budget: every answer's bytes released: %r"
              % re.findall(rb"civic_answer_bytes_reserved \d+", metrics))
    finally:
        if held:
            held.close()
        check(srv.stop() == 0, "answer budget: clean exit on SIGTERM")
    # an answer larger than the whole budget goes out while no other is held
    # (a city's whole /rank under the default budget: refusing it for good
    # would take from 1.0 an answer it gave)
    srv = Server(extra=["--answer-budget", "20000"]).start()
    held = None
    try:
        few = "".join("al%05d,answer-alone-%05d,recycling,2025-01-01\n" % (i, i)
                      for i in range(200))
        status, _ = srv.post("id,subject,type,ts\n" + few)
        status, _, rank = srv.raw("GET", "/rank")
        check(status == 200 and len(rank) > 20000,
              "answer budget: an answer past the whole budget goes out alone (%d, %d bytes)"
              % (status, len(rank)))
        metrics = metrics_when_released(srv)
        check(b"\ncivic_answer_bytes_reserved 0\n" in metrics,
              "answer budget: the lone answer's bytes released")
        # held unread, that lone answer spends the budget: what an operator
        # needs to see it still goes out, /metrics (past 16 KiB once many
        # routes were asked) and the static document (38 KB), not counted
        status, _ = srv.post("id,subject,type,ts\n" + rows)
        held = ask_and_never_read(srv, "/rank")
        status, _, _ = srv.raw("GET", "/rank?top=100")
        check(status == 503, "answer budget: spent by the lone answer held (%d)" % status)
        status, _, doc = srv.raw("GET", "/openapi.json")
        check(status == 200 and len(doc) > 16384,
              "answer budget: /openapi.json goes out while it is spent (%d, %d bytes)"
              % (status, len(doc)))
        status, _, metrics = srv.raw("GET", "/metrics")
        check(status == 200 and b"\ncivic_answer_budget_refusals_total 1\n" in metrics,
              "answer budget: /metrics goes out while it is spent (%d)" % status)
    finally:
        if held:
            held.close()
        check(srv.stop() == 0, "answer budget: clean exit on SIGTERM")


def test_answer_address_share():
    """One client address holds at most half of --answer-budget: many
    clients from one address that ask for big answers and never read them
    spent the whole budget, and every other reader's big answers got 503
    until --timeout closed them.  With a budget of three /rank answers, the
    second held from 127.0.0.1 is refused (503 + Retry-After, saying it is
    the address's share), a reader on 127.0.0.2 still gets /rank, and the
    share comes back when the holder goes.  One answer larger than the
    share still goes out to an address that holds nothing else."""
    wmem, subjects = unread_rank_size()
    srv = Server(extra=["--answer-budget", str(subjects * 271 * 3)]).start()
    held = []
    try:
        rows = "".join("as%05d,answer-share-%05d,recycling,2025-01-01\n" % (i, i)
                       for i in range(subjects))
        status, _ = srv.post("id,subject,type,ts\n" + rows)
        check(status == 200, "answer share: the events are taken (%s)" % status)
        status, _, rank = srv.raw("GET", "/rank")
        check(status == 200 and len(rank) > wmem, "answer share: /rank (%d, %d bytes)"
              % (status, len(rank)))
        held.append(ask_and_never_read(srv, "/rank"))
        status, h, body = srv.raw("GET", "/rank")
        check(status == 503 and h.get("retry-after") == "5" and b"address" in body,
              "answer share: a second big answer held by one address is refused (%d %r)"
              % (status, body[:160]))
        conn = srv.connection(timeout=10, source="127.0.0.2")
        status, _, body = srv.raw("GET", "/rank", conn=conn)
        conn.close()
        check(status == 200 and body == rank,
              "answer share: a reader on another address gets /rank (%d)" % status)
        held.append(ask_and_never_read(srv, "/rank", source="127.0.0.2"))
        _, _, metrics = srv.raw("GET", "/metrics")
        check(b"\ncivic_answer_budget_refusals_total 1\n" in metrics,
              "answer share: the refusal is counted in /metrics")
        held.pop(0).close()
        status, body = rank_when_free(srv)
        check(status == 200 and body == rank,
              "answer share: back once the address's holder is gone (%d)" % status)
    finally:
        for s in held:
            s.close()
        check(srv.stop() == 0, "answer share: clean exit on SIGTERM")
    # --max-per-ip 0 (behind a proxy, where every client has its address)
    # turns the per-address shares off with the connection limit
    srv = Server(extra=["--answer-budget", str(subjects * 271 * 3), "--max-per-ip", "0"]).start()
    held = []
    try:
        status, _ = srv.post("id,subject,type,ts\n" + rows)
        held.append(ask_and_never_read(srv, "/rank"))
        status, _, body = srv.raw("GET", "/rank")
        check(status == 200 and body == rank,
              "answer share: none with --max-per-ip 0 (%d %r)" % (status, body[:120]))
    finally:
        for s in held:
            s.close()
        check(srv.stop() == 0, "answer share: clean exit on SIGTERM")


# ---------------------------------------------------------------- 3. restart

def test_restart(data, log_path):
    srv = Server(data).start()
    try:
        before = snapshot_answers(srv)
        rc = srv.stop(signal.SIGTERM)
        check(rc == 0, "SIGTERM exit status 0: %s %r" % (rc, srv.output()[-400:]))
        srv = Server(data).start()
        check(snapshot_answers(srv) == before, "same answers after SIGTERM restart")
        srv.post("id,subject,type,ts\nrs1,restart-subject,recycling,2025-02-01\n")
        before = snapshot_answers(srv)
        srv.stop(signal.SIGKILL)
        srv = Server(data).start()
        check(snapshot_answers(srv) == before, "same answers after SIGKILL restart")
        check("(1 batch from the journal, 0 torn bytes truncated)" in srv.output(),
              "the one batch replayed is said in the singular: %r" % srv.output()[-300:])
        check(server_rows(srv)["restart-subject"]["score"] is not None, "acked event survived kill -9")
        want = cli_rows(log_path)
        got = server_rows(srv)
        check(all(got.get(k) == v for k, v in want.items()),
              "sample subjects still match civic-score after restarts")
    finally:
        srv.stop()


def test_overflow_says_why(tmp):
    """A query whose sums pass 64 bits, over events the service accepted,
    is 400 "arithmetic overflow" with a reason (it had none): asking again
    cannot help.  10^12 points a unit, ten events of 10,000 units: 10^17
    points for subject b, past 9.2 * 10^16; a alone fits."""
    rules = os.path.join(tmp, "huge.toml")
    with open(rules, "w") as f:
        f.write('[[grade]]\nname = "A"\n[rule.unit]\npoints = 1000000000000\nper = "unit"\n')
    srv = Server(extra=["--rules", rules]).start()
    try:
        body = "id,subject,type,ts,qty\na,a,unit,2022-01-01,1\n" + "".join(
            "b%d,b,unit,2022-01-02T00:00:%02dZ,10000\n" % (i, i) for i in range(10))
        status, rep = srv.post(body)
        check(status == 200 and rep.get("accepted") == 11, "the events are accepted: %s" % rep)
        for path in ("/subjects/b", "/subjects/b/record", "/rank", "/groups?depth=0",
                     "/objections"):
            status, d = srv.get(path)
            check(status == 400 and d.get("error") == "arithmetic overflow"
                  and "pass what 64 bits hold" in d.get("reason", ""),
                  "GET %s over an overflow: 400 with a reason (%d %s)" % (path, status, d))
        status, d = srv.get("/subjects/a")
        check(status == 200 and d.get("score") == decimal.Decimal("1000000000000.00"),
              "a subject that fits is answered: %d %s" % (status, d))
    finally:
        srv.stop()


def test_one_server_per_directory(tmp):
    """A second server on a data directory is refused before it reads a
    file: the directory's lock, taken first (the journal's lock alone came
    after the snapshot was read, so a second server could go on from a
    snapshot older than the journal)."""
    import fcntl
    data = os.path.join(tmp, "one-per-dir")
    srv = Server(data).start()
    try:
        srv.post("id,subject,type,ts\nod1,one-dir,recycling,2025-02-01\n")
        second = subprocess.run([ARGS.server, "--port", str(harness.free_port()), "--data", data],
                                capture_output=True, text=True, timeout=60)
        check(second.returncode == 2 and "is in use by another civic-server" in second.stderr
              and "nothing was changed" in second.stderr,
              "a second server on the directory: %d %r" % (second.returncode, second.stderr))
    finally:
        check(srv.stop() == 0, "the first server stops cleanly: %r" % srv.output()[-300:])
    # the lock alone (no journal held): refused all the same
    fd = os.open(data, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held = subprocess.run([ARGS.server, "--port", str(harness.free_port()), "--data", data],
                              capture_output=True, text=True, timeout=60)
        check(held.returncode == 2 and "is in use by another civic-server" in held.stderr,
              "a server on a locked directory: %d %r" % (held.returncode, held.stderr))
    finally:
        os.close(fd)
    srv = Server(data).start()
    try:
        status, row = srv.get("/subjects/one-dir")
        check(status == 200 and row.get("events") == 1,
              "the directory opens once the lock is free, the event kept: %s" % row)
    finally:
        srv.stop()


def test_last_grade_min_warned(tmp):
    """A min on the last grade does nothing (that grade takes every score
    below the one before it): said at start-up, on standard error, as
    civic-score says it; the server starts and answers as before."""
    path = os.path.join(tmp, "last-min.toml")
    with open("tests/cli/rules.toml") as f:
        text = f.read().replace('name = "D"\n', 'name = "D"\nmin = 0\n', 1)
    with open(path, "w") as f:
        f.write(text)
    srv = Server(None, extra=["--rules", path]).start()
    try:
        out = srv.output()
        check("civic-server: warning: %s: the last grade's min (grade 'D') has no effect" % path
              in out and "put min under [scheme]" in out, "last grade's min: %r" % out[-400:])
    finally:
        srv.stop()
    srv = Server(None, extra=["--rules", "tests/cli/rules.toml"]).start()
    try:
        check("warning" not in srv.output(), "no min on the last grade: %r" % srv.output()[-400:])
    finally:
        srv.stop()
    # a rule with retain in a balance rule's cap group: archiving its
    # entries changes what the balance rule counts (as civic-score says)
    path = os.path.join(tmp, "retain-cap.toml")
    with open(path, "w") as f:
        f.write('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\n'
                'name = "B"\n[cap.votes]\nlimit = 10\nperiod = "year"\n[rule.award]\n'
                'points = 10\nretain = "30d"\naffects = "score"\ncap_group = "votes"\n'
                '[rule.help]\npoints = 10\ncap_group = "votes"\n')
    srv = Server(None, extra=["--rules", path]).start()
    try:
        out = srv.output()
        check("civic-server: warning: %s: rule 'award' has retain and shares cap group 'votes' "
              "with rule 'help', which touches the balance" % path in out,
              "retain in a balance rule's cap group: %r" % out[-400:])
    finally:
        srv.stop()
    # a flag with a blank at its end: another flag than the one without it
    # (version 1 took such names, so the rules load), one line per name
    path = os.path.join(tmp, "blank-flag.toml")
    with open(path, "w") as f:
        f.write('[[grade]]\nname = "A"\n[rule.fine]\npoints = -1\nflag = "dishonest"\n'
                '[rule.court]\npoints = -2\nflag = "dishonest "\ndimension = " legal"\n')
    srv = Server(None, extra=["--rules", path]).start()
    try:
        out = srv.output()
        check("civic-server: warning: %s: rule 'court': flag 'dishonest ' ends with a blank: it "
              "is a different flag from 'dishonest'" % path in out and
              "rule 'court': dimension ' legal' begins with a blank: it is a different dimension "
              "from 'legal'" in out, "a flag with a blank: %r" % out[-600:])
    finally:
        srv.stop()
    srv = Server(None).start()   # the built-in scheme: nothing to warn of
    try:
        check("warning" not in srv.output(), "the built-in scheme: %r" % srv.output()[-400:])
    finally:
        srv.stop()


def test_scheme_slips_warned(tmp):
    """A grade no score has, a cap no rule names and a misspelt category
    load (keys of version 1) and are said at start-up, one line each, in
    civic-score's words (examples/common/hints.c; the Python binding's
    mirror is compared with civic-score in its test_warnings.py); the
    server starts as usual."""
    path = os.path.join(tmp, "slips.toml")
    with open(path, "w") as f:
        f.write('[scheme]\nbase = 100\nmin = 0\nmax = 200\n[[grade]]\nname = "S"\n'
                'min = 300\n[[grade]]\nname = "A"\nmin = 100\n[[grade]]\nname = "B"\n'
                '[cap.vote]\nlimit = 10\nperiod = "day"\n[cap.votes]\nlimit = 5\n'
                'period = "day"\n[rule.help]\npoints = 1\ncap_group = "vote"\n'
                '[rule.parking]\npoints = -10\ncategory = "traffic"\nrepeat_factor = 2\n'
                '[rule.red_light]\npoints = -20\ncategory = "trafic"\nrepeat_factor = 2\n')
    said = ["grade 'S' can never apply: its min 300.00 is above the scheme's max 200.00, the "
            "highest score",
            "cap 'votes' is named in no rule's cap_group, so it caps nothing (rule 'help' names "
            "cap_group 'vote': is one of the two misspelt?)",
            "rule 'red_light' is the only rule in category 'trafic', near category 'traffic' "
            "(rule 'parking'): rules in different categories do not escalate each other; if "
            "they are one family, give them one category"]
    srv = Server(None, extra=["--rules", path]).start()
    try:
        out = srv.output()
        got = [line[len("civic-server: warning: %s: " % path):] for line in out.splitlines()
               if line.startswith("civic-server: warning: %s: " % path)]
        check(got == said, "slips in the rules: %r" % out[-1200:])
        status, _ = srv.get("/subjects/nobody")
        check(status == 200, "the server answers: %s" % status)
    finally:
        srv.stop()
    cli = subprocess.run([ARGS.cli, "--print-rules", "-r", path], capture_output=True,
                         text=True)
    check(cli.returncode == 0 and
          [line[len("civic-score: warning: %s: " % path):] for line in cli.stderr.splitlines()]
          == said, "civic-score's words: %r" % cli.stderr)


def test_log_given_as_rules(tmp):
    """An event log given with --rules (the two swapped) is named as one, as
    civic-score names it, after the parser's words (line and column kept)."""
    for name, text, words, what in (
            ("log.csv", "id,subject,type,ts,qty\ne1,s1,fine,2022-01-01,\n",
             "line 1, column 3: expected '=' after the key",
             "its first line is a CSV header naming id, subject, type and ts"),
            ("log.jsonl", '{"id":"a1","subject":"s1","type":"vol","ts":"2022-01-01"}\n',
             "line 1, column 1: expected a key, a [table] or a comment",
             "its first line is a JSON object")):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        code, out = start_fails(os.path.join(tmp, "swapped-data"), ["--rules", path])
        want = "civic-server: %s: %s; not a rules file: an event log (%s)\n" % (path, words, what)
        check(code != 0 and want in out, "a log given as rules: %s %r" % (code, out[-400:]))
    # rules written in JSON are no event log
    path = os.path.join(tmp, "rules.json")
    with open(path, "w") as f:
        f.write('{"scheme": {"base": 100}, "grade": [{"name": "A"}]}\n')
    code, out = start_fails(os.path.join(tmp, "json-rules-data"), ["--rules", path])
    want = ("civic-server: %s: line 1, column 1: expected a key, a [table] or a comment; not a "
            "rules file: a JSON document (rules are written in TOML; see the manual's rules "
            "chapter)\n" % path)
    check(code != 0 and want in out, "rules in JSON: %s %r" % (code, out[-400:]))


def test_key_in_other_letters(tmp):
    """A key spelling a field's name in other letters or with blanks around
    it ("Qty", "qty "), the exact key absent: under rules that use no
    version-2 key it is ignored, as 1.0 ignored it (the event counts one
    unit), and every answer to such a body has civic-score's warning as its
    `warning` (its other keys as without it); under version-2 rules (the
    built-in scheme) it is refused with the key to write, as the load
    refuses it."""
    body = (b'{"id":"k1","subject":"keys-s","type":"volunteer_hour","ts":"2025-01-05","Qty":5}\n'
            b'{"id":"k2","subject":"keys-s","type":"volunteer_hour","ts":"2025-01-06","qty ":4}\n')
    rules = os.path.join("examples", "data", "community-1.0.toml")
    path = os.path.join(tmp, "keys.jsonl")
    with open(path, "wb") as f:
        f.write(body)
    said = subprocess.run([ARGS.cli, "-r", rules, path], capture_output=True, text=True).stderr
    cli = [x.split(path + ": ", 1)[1] for x in said.splitlines()
           if x.startswith("civic-score: warning: " + path + ": ")]
    srv = Server(None, extra=["--rules", rules]).start()
    try:
        status, rep = srv.request("POST", "/events", body, "application/x-ndjson")
        _, rec = srv.request("GET", "/subjects/keys-s/record")
        qty = [str(e.get("qty")) for e in rec.get("entries", [])]
        check(status == 200 and rep.get("accepted") == 2 and qty == ["1.000", "1.000"],
              "a key in other letters under 1.0 rules is ignored: %s %s %s" % (status, rep, qty))
        check(cli == ['line 1: key "Qty" is ignored (keys are lower case: "qty")'] and
              rep == {"accepted": 2, "duplicates": 0, "rejected": 0, "lines": 2, "events": 2,
                      "warning": cli[0]},
              "the answer has civic-score's warning of the key: %s, civic-score %r" % (rep, cli))
        # said on standard error from the body's first line, once in the service's life;
        # in the answer every time, a JSON array's first element looked at as its line 1
        status2, rep2 = srv.request("POST", "/events", body.replace(b'"k', b'"m'),
                                    "application/x-ndjson")
        array = b"[" + body.replace(b'"k', b'"a').replace(b"\n", b",", 1).rstrip() + b"]"
        status3, rep3 = srv.request("POST", "/events", array, "application/json")
        check(status2 == 200 and rep2.get("warning") == cli[0] and status3 == 200 and
              rep3.get("warning") == cli[0] and rep3.get("accepted") == 2,
              "every answer to such a body has the warning: %s %s" % (rep2, rep3))
        srv.request("POST", "/events", b'{"id":"k9","subject":"keys-s","type":"volunteer_hour",'
                    b'"ts":"2025-01-07"}\n', "application/x-ndjson")
        out = srv.output()
        want = ('civic-server: warning: POST /events: line 1: key "Qty" is ignored '
                '(keys are lower case: "qty")\n')
        check(status2 == 200 and out.count(want) == 1 and out.count("warning") == 1,
              "a key in other letters under 1.0 rules is said once: %r" % out[-600:])
        # the exact key beside it, or a refused batch: no warning
        for other, what in ((b'{"id":"k3","subject":"keys-s","type":"volunteer_hour",'
                             b'"ts":"2025-01-05","Qty":5,"qty":2}\n', "the exact key too"),
                            (b'{"id":"k4","subject":"keys-s","type":"nope","ts":"2025-01-05",'
                             b'"Qty":5}\n', "a refused batch")):
            status, rep = srv.request("POST", "/events", other, "application/x-ndjson")
            check(status in (200, 400) and "warning" not in rep,
                  "%s: no warning: %s %s" % (what, status, rep))
    finally:
        srv.stop()
    srv = Server(None).start()
    try:
        status, e = srv.request("POST", "/events", body, "application/x-ndjson")
        check(status == 400 and e.get("line") == 1 and e.get("column") == 73 and
              'keys are lower case: write \\"qty\\"' in json.dumps(e),
              "a key in other letters under version-2 rules is refused: %s %s" % (status, e))
        check("warning" not in srv.output(),
              "refused under version-2 rules, not warned of: %r" % srv.output()[-400:])
    finally:
        srv.stop()


def test_curl_data_removes_line_breaks(tmp):
    """curl -d (--data) sends a file without its line breaks, as a form: a
    body of that type without a line break where a log would have more than
    one (CSV, whose one line is a header at most) gets "curl -d removes line
    breaks: use --data-binary" after its error's reason, or as its warning
    when it loads (a header alone), unless the library's words say it (JSON
    objects one after another, under any type; a header naming a time); one
    object alone, a JSON array, a form's fields, or the same body under
    another type, do not.  A rules file whose first line is a table header
    is named as one still; one whose first line is a comment gets the
    hint."""
    hint = " (curl -d removes line breaks: use --data-binary)"
    form = "application/x-www-form-urlencoded"

    def stripped(text):  # as curl -d @file sends it
        return text.replace("\r", "").replace("\n", "")

    jsonl = ('{"id":"cd1","subject":"cd-s","type":"recycling","ts":"2025-03-04"}\n'
             '{"id":"cd2","subject":"cd-s","type":"recycling","ts":"2025-03-05"}\n')
    log = "id,subject,type,ts,qty\r\ncd3,cd-s,volunteer_hour,2025-03-04,4\r\n"
    srv = Server(None).start()
    try:
        # JSON objects run together: the library's own words say it (whatever
        # the type), and the service's hint is not added to them
        library = ("line 1, column 67: unexpected text after the object: another object on "
                   "the same line (JSON Lines is one object a line: were the log's line "
                   "breaks removed? curl -d removes them: send the file with --data-binary)")
        for ctype in (form, "application/x-ndjson"):
            status, e = srv.post(stripped(jsonl), ctype)
            check(status == 400 and e.get("reason") == library,
                  "JSON Lines joined, as %s: the library's hint alone: %s %s"
                  % (ctype, status, e))
        status, e = srv.post(stripped(log), form)
        check((status == 200 and e.get("accepted") == 0 and e.get("warning") ==
               "the body is a single line, a CSV header without events" + hint) or
              (status == 400 and e.get("reason", "").count("--data-binary") == 1),
              "a CSV log joined: the hint, once: %s %s" % (status, e))
        status, e = srv.post("id,subject,type,ts", form)
        check(status == 200 and e == {"accepted": 0, "duplicates": 0, "rejected": 0, "lines": 1,
                                      "events": 0, "warning": "the body is a single line, a CSV "
                                      "header without events" + hint},
              "a CSV header alone, as a form: the warning: %s %s" % (status, e))
        # (the library's own words say it, the service's hint is not added)
        status, e = srv.post(stripped("# the scheme\n[scheme]\nbase = 1000\n"), form)
        check(status == 400 and e.get("reason", "").count("--data-binary") == 1 and
              "line breaks removed" in e.get("reason", ""),
              "a rules file, comment first, joined: the hint, once: %s %s" % (status, e))
        # a log whose header is valid but names a time: the library's words, once
        status, e = srv.post(stripped("id,subject,type,ts\ncd4,cd-s,recycling,"
                                      "2024-05-05T10:31:00+08:00\n"), form)
        check(status == 400 and e.get("reason", "").count("--data-binary") == 1,
              "a CSV log joined, a time in its header: the hint, once: %s %s" % (status, e))
        for rules in ("[scheme]\nbase = 1000\n", "[[grade]]\nname = \"A\"\n"):
            status, e = srv.post(stripped(rules), form)
            reason = e.get("reason", "")
            check(status == 400 and reason.startswith("not an event log: a rules file") and
                  hint not in reason,
                  "a rules file joined, a table first: named as one: %s %s" % (status, e))
        for body, ctype, what in (
                (jsonl.split("\n")[0], form, "one object"),
                ("[%s]" % stripped(jsonl).replace("}{", "},{"), form, "a JSON array"),
                ('events=[{"id":"a"},{"id":"b"}]', form, "a form's field"),
                (jsonl, form, "JSON Lines with its line breaks")):
            status, e = srv.post(body, ctype)
            check("curl -d" not in json.dumps(e), "%s: no hint: %s %s" % (what, status, e))
        # curl itself, when the machine has it
        if shutil.which("curl"):
            path = os.path.join(tmp, "joined.jsonl")
            with open(path, "w") as f:
                f.write(jsonl.replace("cd1", "cd4").replace("cd2", "cd5"))
            out = subprocess.run(["curl", "-s", "-d", "@" + path,
                                  "http://127.0.0.1:%d/events" % srv.port],
                                 capture_output=True, text=True, timeout=60).stdout
            check(json.loads(out).get("reason") == library, "curl -d @file: the hint: %r" % out)
            out = subprocess.run(["curl", "-s", "--data-binary", "@" + path,
                                  "http://127.0.0.1:%d/events" % srv.port],
                                 capture_output=True, text=True, timeout=60).stdout
            check('"accepted":2' in out, "curl --data-binary @file: taken: %r" % out)
    finally:
        srv.stop()


def test_declared_charset(tmp):
    """The body is read as UTF-8 whatever charset its Content-Type names:
    a body that is not UTF-8 sent as charset=windows-1252 (any but UTF-8 or
    ASCII) gets the load's error with that charset named, and the iconv
    that converts it, instead of the library's guess of Latin-1; a UTF-8 or
    ASCII body is taken as without it, and an error of another kind stays
    the library's."""
    latin1 = b"id,subject,type,ts\ncs1,Jos\xe9,recycling,2025-03-04\n"
    guess = " (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)"

    def named(cs):
        return (" (the Content-Type says charset=%s: the service reads UTF-8 only; convert the "
                "body with iconv -f %s -t UTF-8)" % (cs, cs))

    srv = Server(None).start()
    try:
        status, plain = srv.post(latin1, "text/csv")
        check(status == 400 and plain.get("reason", "").endswith(guess),
              "no charset: the library's guess: %s %s" % (status, plain))
        for ctype, cs in (("text/csv; charset=windows-1252", "windows-1252"),
                          ('text/csv;Charset="ISO-8859-1"', "ISO-8859-1"),
                          ("text/csv; header=present; charset=cp1252", "cp1252")):
            status, e = srv.post(latin1, ctype)
            check(status == 400 and e.get("line") == 2 and
                  e.get("reason") == plain["reason"][:-len(guess)] + named(cs),
                  "%s: the charset named: %s %s" % (ctype, status, e))
        status, e = srv.post(b'{"id":"cs2","subject":"Jos\xe9","type":"recycling",'
                             b'"ts":"2025-03-04"}\n', "application/x-ndjson; charset=latin1")
        check(status == 400 and e.get("reason", "").endswith(named("latin1")),
              "JSON Lines: the charset named: %s %s" % (status, e))
        for ctype in ("text/csv; charset=utf-8", "text/csv; charset=UTF8",
                      "text/csv; charset=us-ascii", 'text/csv; charset="a b"'):
            status, e = srv.post(latin1, ctype)
            check(status == 400 and e == plain, "%s: the library's guess: %s %s"
                  % (ctype, status, e))
        status, e = srv.post(b"id,subject,type,ts\ncs3,s,nope,2025-03-04\n",
                             "text/csv; charset=windows-1252")
        check(status == 400 and "charset" not in e.get("reason", ""),
              "UTF-8 with an error of its own: not named: %s %s" % (status, e))
        # nor where bytes that are not UTF-8 are in a column no field takes
        # and the error is another's (an unknown type on the next line)
        status, e = srv.post(b"id,subject,type,ts,note\ncs6,s,recycling,2025-03-04,Jos\xe9\n"
                             b"cs7,s,nope,2025-03-04,\n", "text/csv; charset=windows-1252")
        check(status == 400 and e.get("line") == 3 and "charset" not in e.get("reason", ""),
              "another fault, Latin-1 in an ignored column: not named: %s %s" % (status, e))
        for i, body in enumerate(("id,subject,type,ts\ncs4,s,recycling,2025-03-04\n",
                                  "id,subject,type,ts\ncs5,Jos\u00e9,recycling,2025-03-04\n")):
            status, e = srv.post(body.encode(), "text/csv; charset=windows-1252")
            check(status == 200 and e == {"accepted": 1, "duplicates": 0, "rejected": 0,
                                          "lines": 2, "events": i + 1},
                  "UTF-8 sent as windows-1252: taken as sent: %s %s" % (status, e))
    finally:
        srv.stop()


def test_column_near_a_field(tmp):
    """A CSV header column most likely meant for qty, group or ref, the
    header lacking it ("hours", "grp"): the load ignores it, as every other
    column (the events count one unit each), and the answer to the batch has
    civic-score's warning on the same log as its `warning`, after a date's
    (a 1970 ts here), "; " between them; standard error says each kind once
    in the service's life.  A header that has qty too, or "qty2", is no
    warning, nor is a refused batch."""
    srv = Server(None).start()
    try:
        body = (b"id,subject,type,ts,hours,grp\n"
                b"c1,cols-s,volunteer_hour,2025-03-04,4,d1\n")
        want = cli_warnings(tmp, "cols.csv", body)
        check(len(want) == 2 and want[0] == "column 'hours' (line 1, column 20) is ignored: did "
              "you mean 'qty'? without it every event counts as one unit" and
              want[1].startswith("column 'grp' (line 1, column 26) is ignored: did you mean "
                                 "'group'?"), "civic-score's warnings: %r" % want)
        status, rep = srv.post(body)
        _, rec = srv.request("GET", "/subjects/cols-s/record")
        qty = [str(e.get("qty")) for e in rec.get("entries", [])]
        check(status == 200 and rep.get("accepted") == 1 and qty == ["1.000"] and
              rep.get("warning") == "; ".join(want),
              "the answer has civic-score's warnings of the columns: %s %s, civic-score %r"
              % (status, rep, want))
        # again, with a ts of 1970 too: both, the date's first; standard error once
        body2 = b"id,subject,type,ts,hours\nc2,cols-s,volunteer_hour,20251205,4\n"
        want2 = cli_warnings(tmp, "cols2.csv", body2)
        status, rep = srv.post(body2)
        check(len(want2) == 2 and status == 200 and
              rep.get("warning") == want2[1] + "; " + want2[0],
              "a date's warning, then the column's: %s, civic-score %r" % (rep, want2))
        out = [x for x in srv.output().splitlines() if "is ignored: did you mean" in x]
        check(out == ["civic-server: warning: POST /events: " + w for w in want],
              "standard error says each kind once: %r" % out)
        for other, what in ((b"id,subject,type,ts,qty,hours\nc3,cols-s,volunteer_hour,"
                             b"2025-03-05,2,4\n", "a header with qty too"),
                            (b"id,subject,type,ts,qty2\nc4,cols-s,volunteer_hour,2025-03-05,2\n",
                             "qty2"),
                            (b"id,subject,type,ts,hours\nc5,cols-s,nope,2025-03-05,2\n",
                             "a refused batch")):
            status, rep = srv.post(other)
            check(status in (200, 400) and "warning" not in rep,
                  "%s: no warning: %s %s" % (what, status, rep))
    finally:
        srv.stop()


# ---------------------------------------------------------------- 5. version 2

def cli_bytes(log_path, *args, rules=None):
    cmd = [ARGS.cli] + (["-r", rules] if rules else []) + list(args) + [log_path]
    return subprocess.run(cmd, check=True, capture_output=True).stdout


def default_names():
    """The flags and measures of the built-in scheme, from its rules text."""
    out = subprocess.run([ARGS.cli, "--print-rules"], check=True, capture_output=True,
                         text=True).stdout
    flags = sorted(set(re.findall(r'^flag\s*=\s*"([^"]+)"', out, flags=re.M)))
    measures = re.findall(r"^\[measure\.([^\]]+)\]", out, flags=re.M)
    return flags, measures


def page_as_of(page):
    """The instant a notice page says its figures are exact as of (Unix
    seconds), from its footer; None when it names none."""
    m = re.search(rb"Figures are exact as of ([0-9T:+-]+)\.", page)
    return int(datetime.datetime.fromisoformat(m.group(1).decode()).timestamp()) if m else None


def log_latest(log):
    """The latest ts of a CSV log (Unix seconds), read here: a date alone is
    its midnight at the built-in scheme's +08:00, digits are Unix seconds."""
    latest = None
    for row in csv.DictReader(io.StringIO(log.decode("utf-8-sig"))):
        ts = row["ts"].strip()
        if ts.isdigit():
            t = int(ts)
        else:
            if "T" not in ts:
                ts += "T00:00:00+08:00"
            t = int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())
        latest = t if latest is None else max(latest, t)
    return latest


def test_lists_and_report(log, log_path):
    srv = Server().start()
    try:
        srv.post(log)
        flags, measures = default_names()
        check(flags and measures, "the built-in scheme has flags and measures: %s %s"
              % (flags, measures))
        for name in flags + measures:
            for as_of in (None, "2025-01-01", "2024-08-15T12:00:00+08:00"):
                q = {"as_of": as_of} if as_of else {}
                path = "/lists/" + urllib.parse.quote(name, safe="")
                if q:
                    path += "?" + urllib.parse.urlencode(q)
                status, h, body = srv.raw("GET", path)
                want = cli_bytes(log_path, "-f", "json", "--list", name,
                                 *(["-t", as_of] if as_of else []))
                check(status == 200 and h.get("content-type", "").startswith("application/json")
                      and body == want, "GET %s == civic-score --list %s -f json (%d, %d vs "
                      "%d bytes)" % (path, name, status, len(body), len(want)))
        # the lists are not empty for the sample (or the comparison proves little)
        _, d = srv.get("/lists/dishonest")
        check(len(d.get("subjects", [])) >= 1 and d["kind"] == "flag"
              and d["subjects"][0]["since"], "the dishonest list of the sample: %s" % d)
        # (illegal_parking is a rule: it sets no flag)
        for name in ("no-such-list", "illegal_parking"):
            status, e = srv.get("/lists/" + name)
            check(status == 404 and e.get("error") == "no such list" and name in e["reason"]
                  and "dishonest" in e["reason"] and "no_subsidy" in e["reason"]
                  and "did you mean" not in e["reason"],
                  "GET /lists/%s is 404 naming the lists: %s %s" % (name, status, e))
        # a list's name in other letters: the one it most likely meant, as
        # civic-score --list says it; a tier: listed through a measure on it
        lists = "dishonest; drunk_driving; priority_service; deposit_free_rental; " \
                "volunteer_rebate; no_subsidy"
        for name, reason in (
                ("Dishonest", '"Dishonest" is neither a flag nor a measure of the scheme (did '
                              'you mean "dishonest"? lists: %s)' % lists),
                ("volunteer_star", '"volunteer_star" is a tier, not a flag nor a measure: a '
                                   'tier is listed through a measure on it (measures on it: '
                                   'volunteer_rebate)'),
                ("illegal_parking", '"illegal_parking" is a rule, not a flag nor a measure, '
                                    'and sets no flag (lists: %s)' % lists),
                ("court_defaulter", '"court_defaulter" is a rule, not a flag nor a measure: '
                                    'the subjects it flags are on the list "dishonest"')):
            status, e = srv.get("/lists/" + name)
            check(status == 404 and e.get("error") == "no such list"
                  and e.get("reason") == reason,
                  "GET /lists/%s is 404 saying what was meant: %s %s" % (name, status, e))
        status, e = srv.get("/lists/dishonest", as_of="yesterday")
        check(status == 400 and "as_of" in e["error"], "a bad as_of on a list: %s" % e)

        # the notice page: civic-score -f html, byte for byte, with its options
        for query, args in (({}, []), ({"as_of": "2025-06-30", "depth": "2"},
                                       ["-t", "2025-06-30", "--groups", "2"]),
                            ({"depth": "3", "min_group": "2"}, ["--groups", "3",
                                                                "--min-group", "2"]),
                            ({"depth": "0", "min_group": "1000"}, ["--groups", "0",
                                                                   "--min-group", "1000"])):
            path = "/report" + ("?" + urllib.parse.urlencode(query) if query else "")
            status, h, body = srv.raw("GET", path)
            if "as_of" not in query:
                # without as_of (and without --report-now) the page is of
                # the latest ts held, as every route and civic-score's -t
                check(page_as_of(body) == log_latest(log),
                      "GET %s is the page of the log's latest ts %s: as of %s"
                      % (path, log_latest(log), page_as_of(body)))
            want = cli_bytes(log_path, "-f", "html", *args)
            check(status == 200 and h.get("content-type") == "text/html; charset=utf-8"
                  and "default-src 'none'" in h.get("content-security-policy", "")
                  and body == want and body.startswith(b"<!DOCTYPE html>"),
                  "GET %s == civic-score -f html %s (%d, %s, %d vs %d bytes)"
                  % (path, " ".join(args), status, h.get("content-type"), len(body), len(want)))
        status, h, body = srv.raw("HEAD", "/report")
        check(status == 200 and body == b"" and h.get("content-type", "").startswith("text/html"),
              "HEAD /report: headers only")
        for bad in ("depth=x", "depth=65", "min_group=0", "min_group=-1", "as_of=never"):
            status, e = srv.request("GET", "/report?" + bad)
            check(status == 400 and "error" in e, "GET /report?%s is 400 (%d)" % (bad, status))
    finally:
        srv.stop()
    test_report_now(log, log_path)


def test_ids_are_bytes_on_the_page():
    """Ids are compared byte for byte, with no Unicode normalisation, and the
    notice page escapes only the characters its manual lists: "café" with
    U+00E9 and with e + U+0301, "Å" as U+00C5 and as U+212B, and a Latin and
    a Cyrillic "a" are six residents, shown as they are written (alike, in
    pairs).  The manual promised that ids that differ never read alike."""
    ids = ["caf\u00e9", "cafe\u0301", "\u00c5", "\u212b", "a1", "\u04301"]
    log = "id,subject,type,ts,group\n" + "".join(
        "n%d,%s,court_defaulter,2025-01-01,g\n" % (i, sid) for i, sid in enumerate(ids))
    srv = Server().start()
    try:
        status, rep = srv.post(log.encode())
        check(status == 200 and rep.get("accepted") == 6, "six ids posted: %d %s" % (status, rep))
        for sid in ids:
            status, d = srv.get("/subjects/" + urllib.parse.quote(sid, safe=""))
            check(status == 200 and d.get("subject") == sid,
                  "%r is a subject of its own: %d %s" % (sid, status, d.get("subject")))
        status, _, page = srv.raw("GET", "/report?min_group=1")
        for sid in ids:
            check(status == 200 and ('data-subject="%s"' % sid).encode() in page,
                  "the page names %r: %d" % (sid, status))
        check(b"\\u0301" not in page and b"\\u212b" not in page and b"\\u0430" not in page,
              "a combining mark, U+212B and a Cyrillic letter are not escaped on the page")
    finally:
        srv.stop()


def test_report_now(log, log_path):
    """--report-now: GET /report without as_of is the page of the present
    moment, civic-score -f html -t at the instant the page gives (which must
    be now, not the log's latest ts, 2025 in the sample); with an as_of it
    is as without the option, and the other routes keep their default."""
    srv = Server(extra=["--report-now"]).start()
    try:
        srv.post(log)
        for query, args in (({}, []), ({"depth": "3", "min_group": "2"},
                                       ["--groups", "3", "--min-group", "2"]),
                            ({"as_of": "2025-06-30", "depth": "2"},
                             ["-t", "2025-06-30", "--groups", "2"])):
            path = "/report" + ("?" + urllib.parse.urlencode(query) if query else "")
            asked = int(time.time()) - 1    # time(), the service's, can lag a tick
            status, h, body = srv.raw("GET", path)
            if "as_of" not in query:
                t = page_as_of(body)
                check(t is not None and asked <= t <= time.time() + 1 and t > log_latest(log),
                      "--report-now: GET %s is the page of now: as of %s, asked at %d"
                      % (path, t, asked))
                args = ["-t", str(t if t is not None else 0)] + args
            want = cli_bytes(log_path, "-f", "html", *args)
            check(status == 200 and body == want,
                  "--report-now: GET %s == civic-score -f html %s (%d, %d vs %d bytes)"
                  % (path, " ".join(args), status, len(body), len(want)))
        _, rank = srv.get("/rank", top="1")
        _, want = srv.get("/rank", top="1", as_of=str(log_latest(log)))
        check(rank.get("as_of") and rank.get("as_of") == want.get("as_of"),
              "--report-now: /rank without as_of is still at the latest ts held: %s %s"
              % (rank.get("as_of"), want.get("as_of")))
    finally:
        srv.stop()


CLI_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "cli")
OBJECTIONS_LOG = os.path.join(CLI_DIR, "objections.csv")
STATES_LOG = os.path.join(CLI_DIR, "objections-states.csv")


def test_objections(tmp):
    """GET /objections is civic-score --objections -f json, byte for byte, on
    the same rules and log (tests/cli/objections*.{csv,toml}): at the default
    as_of, at each as_of asked (none filed yet, the day o7 and o12 are still
    open, after d7 and d12 decided them), under contested = "mark" and
    "suspend"; and by hand at 2025-04-01: six rows, oldest first, o9 after
    o10 (same filed time and subject: the ids bytewise).  The same on
    objections-states.{csv,toml}, whose contested entries are expired,
    repaired, merged and active at 2025-03-01 (by hand).  An empty list is
    an answer (the built-in scheme with no objection); a bad as_of is 400,
    an unknown parameter 400, an as_of before a purge's horizon 410, HEAD
    the headers alone, another method 405."""
    D = decimal.Decimal
    for scheme, log_path, events in (("mark", OBJECTIONS_LOG, 25),
                                     ("suspend", OBJECTIONS_LOG, 25),
                                     ("states", STATES_LOG, 9)):
        with open(log_path, "rb") as f:
            log = f.read()
        rules = os.path.join(CLI_DIR, "objections-%s.toml" % scheme)
        srv = Server(extra=["--rules", rules]).start()
        try:
            status, rep = srv.post(log)
            check(status == 200 and rep.get("accepted") == events,
                  "objections (%s): the log is taken: %s %s" % (scheme, status, rep))
            for as_of in (None, "2025-01-20", "2025-03-01", "2025-04-01",
                          "2025-04-14T23:59:59+08:00", "2025-04-20", "now"):
                path = "/objections" + ("?" + urllib.parse.urlencode({"as_of": as_of})
                                        if as_of else "")
                status, h, body = srv.raw("GET", path)
                want = cli_bytes(log_path, "-f", "json", "--objections",
                                 *(["-t", as_of] if as_of else []), rules=rules)
                if as_of == "now" and status == 200 and body != want:
                    # a second may pass between the two
                    want = cli_bytes(log_path, "-f", "json", "--objections", "-t",
                                     json.loads(body)["as_of"], rules=rules)
                check(status == 200 and h.get("content-type") == "application/json; charset=utf-8"
                      and body == want,
                      "GET %s (%s) == civic-score --objections -f json (%d, %r vs %r)"
                      % (path, scheme, status, body[:300], want[:300]))
            if scheme == "states":
                # by hand, from the log: x1 (litter, valid 30 days) expired on
                # 01-31 and y1 was repaired on 02-01, both keeping their counted
                # points; m2 is merged into m1 (act a1, the larger |raw|)
                status, d = srv.get("/objections", as_of="2025-03-01")
                rows = [(r["objection"], r["entry"], r["type"], r["state"], r["raw"],
                         r["counted"]) for r in d.get("objections", [])]
                check(status == 200 and rows == [
                    ("o1", "x1", "litter", "expired", D("-10.00"), D("-10.00")),
                    ("o2", "y1", "fine", "repaired", D("-10.00"), D("-10.00")),
                    ("o3", "m2", "noise", "merged", D("-5.00"), D("0.00")),
                    ("o4", "m1", "fine", "active", D("-10.00"), D("-10.00"))],
                      "GET /objections?as_of=2025-03-01 (states), by hand: %d %s"
                      % (status, rows))
                continue
            # by hand, from the log (not from civic-score): what is open at 2025-04-01
            status, d = srv.get("/objections", as_of="2025-04-01")
            rows = [(r["subject"], r["group"], r["objection"], r["filed"], r["entry"], r["type"],
                     r["state"], r["raw"], r["counted"]) for r in d.get("objections", [])]
            fine = D("-10.00") if scheme == "mark" else D("0.00")
            # marked, the fines are active and h1 pending (publicity 7d from
            # 03-28); suspended, every one is contested (the state shown first)
            on = "active" if scheme == "mark" else "contested"
            later = "pending" if scheme == "mark" else "contested"
            check(status == 200 and d.get("as_of") == "2025-04-01T00:00:00+08:00" and rows == [
                ("s4", "", "o11", "2025-03-02T00:00:00+08:00", "f7", "fine", on, D("-10.00"),
                 fine),
                ("s2", "south/b", "o7", "2025-03-03T00:00:00+08:00", "f5", "fine", on,
                 D("-10.00"), fine),
                ("s1", "north/a,b", "o1", "2025-03-05T00:00:00+08:00", "f1", "fine", on,
                 D("-10.00"), fine),
                ("s3", "south/c", "o10", "2025-03-05T00:00:00+08:00", "f6", "fine", on,
                 D("-10.00"), fine),
                ("s3", "south/c", "o9", "2025-03-05T00:00:00+08:00", "f6", "fine", on,
                 D("-10.00"), fine),
                ("s2", "south/b", "o6", "2025-03-29T00:00:00+08:00", "h1", "honour", later,
                 D("20.00"), D("0.00"))],
                "GET /objections?as_of=2025-04-01 (%s), by hand: %d %s" % (scheme, status, rows))
            status, d = srv.get("/objections", as_of="2025-03-01")
            check(status == 200 and d == {"as_of": "2025-03-01T00:00:00+08:00",
                                          "objections": []},
                  "GET /objections before any objection: an empty list (%d %s)" % (status, d))
            status, h, body = srv.raw("HEAD", "/objections")
            check(status == 200 and body == b"" and h.get("content-type", "").startswith(
                "application/json"), "HEAD /objections: headers only (%d)" % status)
            for bad, error in (("as_of=yesterday", "bad as_of"), ("as_of=2025-02-30", "bad as_of"),
                               ("asof=2025-04-01", "bad parameter"),
                               ("as_of=2025-04-01&as_of=2025-04-02", "bad parameter"),
                               ("group=south", "bad parameter")):
                status, e = srv.request("GET", "/objections?" + bad)
                check(status == 400 and e.get("error") == error,
                      "GET /objections?%s is 400 %s: %d %s" % (bad, error, status, e))
            status, h, _ = srv.raw("POST", "/objections")
            check(status == 405 and h.get("allow") == "GET, HEAD, OPTIONS",
                  "POST /objections is 405 (%d %s)" % (status, h.get("allow")))
            status, e = srv.get("/objections/s1")
            check(status == 404, "GET /objections/s1 is no route (%d %s)" % (status, e))
        finally:
            srv.stop()
    # a purge: an as_of before its horizon is 410, and the default follows it
    srv = Server(os.path.join(tmp, "objections-purge")).start()
    try:
        srv.post(PURGE_LOG)
        status, d = srv.get("/objections", as_of="2015-04-01")
        check(status == 200 and [r["objection"] for r in d["objections"]] == ["p2"]
              and d["objections"][0]["counted"] == decimal.Decimal("-10.00"),
              "the built-in scheme's open objection p2 (marked): %d %s" % (status, d))
        status, rep = srv.request("POST", "/purge?before=2021-01-01")
        check(status == 200, "objections: the purge (%d %s)" % (status, rep))
        status, e = srv.get("/objections", as_of="2020-06-01")
        check(status == 410 and "purge" in e.get("reason", "") and "2021-01-01" in e["reason"],
              "GET /objections before the horizon is 410 Gone: %d %s" % (status, e))
        status, d = srv.get("/objections")
        check(status == 200 and d == {"as_of": "2021-01-01T00:00:00+08:00", "objections": []},
              "GET /objections after the purge: at the horizon, p2 gone with p1: %d %s"
              % (status, d))
    finally:
        srv.stop()
    # with --tokens: a reader's route, as /lists
    tokens = harness.make_tokens(ARGS.server, os.path.join(tmp, "objections-tokens"),
                                 [("viewer", "read", "viewer-objections-0123456789"),
                                  ("ingest", "write", "ingest-objections-0123456789")])
    srv = harness.Server(ARGS.server, None, ["--tokens", tokens, "--public-reports"]).start()
    try:
        for token, want in (("", 401), ("wrong-objections-0123456789", 401),
                            ("viewer-objections-0123456789", 200),
                            ("ingest-objections-0123456789", 200)):
            status, h, body = srv.raw("GET", "/objections", token=token)
            check(status == want and (want != 401 or "www-authenticate" in h),
                  "GET /objections with token %r: %d, want %d (%r)"
                  % (token, status, want, body[:120]))
    finally:
        srv.stop()


PURGE_LOG = ("id,subject,type,ts,ref\n"
             "p1,old,illegal_parking,2015-03-01T10:00:00+08:00,\n"   # retain 5y: archived 2020-03-01
             "p2,old,object,2015-03-05T10:00:00+08:00,p1\n"
             "p3,old,recycling,2016-01-01T10:00:00+08:00,\n"
             "p4,new,illegal_parking,2019-06-01T10:00:00+08:00,\n")


def test_report_while_writing(tmp):
    """A notice page asked for while POSTs arrive is of one moment: each POST
    brings a resident with a posted honour (the built-in scheme posts
    honours for 7 days) in a group of its own, a group of one, so no page
    may ever name one of them (a page made across a write named them: its
    figures did not hold the new group yet)."""
    srv = Server(os.path.join(tmp, "report-race")).start()
    try:
        base = ["id,subject,type,ts,qty,group"]
        base += ["b%d,u%d,volunteer_hour,2025-03-%02d,1," % (i, i % 9, i % 28 + 1)
                 for i in range(20000)]     # nine residents in no group: their cell is named
        check(srv.post("\n".join(base) + "\n")[0] == 200, "report race: the base log")
        stop = threading.Event()
        named = []

        def pages():
            while not stop.is_set():
                status, page = srv.request("GET", "/report?as_of=2025-12-31")
                if status == 200:
                    named.extend(re.findall(r'data-subject="(z\d+)"', page.get("raw", "")))
        reader = threading.Thread(target=pages)
        reader.start()
        deadline = time.time() + 3
        n = 0
        while time.time() < deadline:
            srv.post("id,subject,type,ts,qty,group\n"
                     "z%d,z%d,honour_city,2025-12-30T10:00:00+08:00,,zg%d\n" % (n, n, n))
            n += 1
        stop.set()
        reader.join()
        check(n > 10 and not named, "report race: %d residents in groups of one, named on a page: "
              "%s" % (n, sorted(set(named))[:5]))
    finally:
        srv.stop()


def flag_scheme(tmp, flags):
    """A rules file of `flags` rules, each of its own flag, and a log that
    sets each on one resident: a notice page of it costs seconds (the page's
    lists grow with the square of the flags: 4,000 took 3 s)."""
    rules = os.path.join(tmp, "flags-%d.toml" % flags)
    with open(rules, "w") as f:
        f.write('[[grade]]\nname = "A"\nmin = 0\n\n')
        for i in range(flags):
            f.write('[rule.r%d]\npoints = 0\nflag = "flag%d"\n\n' % (i, i))
    log = "id,subject,type,ts\n" + "".join(
        "f%d,flagged,r%d,2025-01-01T10:00:00Z\n" % (i, i) for i in range(flags))
    return rules, log.encode()


def test_no_head_of_line_blocking(tmp):
    """A slow page (GET /report of a scheme with thousands of flags) holds
    no other connection up: /healthz on connections opened just after it,
    even under --threads 1, and a query (GET /subjects/X) while a second
    of --threads 2 is free, are answered before the page is.  Each
    connection has a thread of its own; --threads bounds the queries that
    work at once, not the connections served (a connection used to wait
    for the thread that had accepted it, busy with the page).  The order
    the answers complete in is checked, not a time."""
    rules, log = flag_scheme(tmp, 3000)
    for threads, path in ((1, "/healthz"), (2, "/subjects/flagged")):
        srv = Server(extra=["--rules", rules, "--threads", str(threads)]).start()
        try:
            status, _ = srv.request("POST", "/events", log, "text/csv")
            check(status == 200, "head of line: the log is posted (%s)" % status)
            # every connection opened at once, before any request: accepted
            # together, where one thread of a pool would take several
            conns = [srv.connection(timeout=120) for _ in range(5)]
            for c in conns:
                c.connect()
            done, lock = [], threading.Lock()

            def ask(conn, target, name):
                # the page's answer begins once it is made ("page made"): a
                # request held up by it completes after that, while the
                # page's megabyte is still being read
                status = None
                try:
                    conn.request("GET", target)
                    r = conn.getresponse()
                    if name == "page":
                        with lock:
                            done.append(("page made", r.status))
                    r.read()
                    status = r.status
                except (OSError, http.client.HTTPException) as e:
                    status = repr(e)
                with lock:
                    done.append((name, status))
            page = threading.Thread(target=ask, args=(conns[0], "/report?as_of=2025-02-01",
                                                      "page"))
            page.start()
            time.sleep(0.3)  # the page is being made (it takes a second or more)
            others = [threading.Thread(target=ask, args=(c, path, "other%d" % i))
                      for i, c in enumerate(conns[1:])]
            for t in others:
                t.start()
            for t in [page] + others:
                t.join(180)
            names = [d[0] for d in done]
            check(len(done) == 6 and all(d[1] == 200 for d in done) and
                  names.index("page made") == 4,
                  "head of line: with --threads %d, %s on connections opened with the slow "
                  "page's are answered before it is made: %s" % (threads, path, done))
        finally:
            for c in conns:
                c.close()
            check(srv.stop() == 0, "head of line: clean exit on SIGTERM")


def test_purge(tmp):
    data = os.path.join(tmp, "purge-data")
    srv = Server(data).start()
    try:
        srv.post(PURGE_LOG)
        status, e = srv.request("POST", "/purge")
        check(status == 400 and "before" in e.get("reason", ""), "POST /purge without before: %s"
              % e)
        status, e = srv.request("POST", "/purge?before=soon")
        check(status == 400 and "before" in e.get("error", ""), "POST /purge?before=soon: %s" % e)
        # a horizon ahead of the server's clock (2205 typed for 2025) would
        # remove entries in force and make "now" answer 410 for good: refused
        # unless asked for with future=yes; the clock is read at the request
        ahead = int(time.time()) + 86400
        for h in ("2205-01-01", str(ahead)):
            status, e = srv.request("POST", "/purge?before=%s" % h)
            check(status == 400 and e.get("error") == "bad before"
                  and "is later than now" in e.get("reason", "")
                  and "unanswerable" in e["reason"] and "future=yes" in e["reason"],
                  "POST /purge?before=%s (the future): %s %s" % (h, status, e))
        status, e = srv.request("POST", "/purge?before=2205-01-01")
        check(e.get("reason", "").startswith("before 2205-01-01T00:00:00+08:00 is later than now ("),
              "the reason names the horizon: %s" % e)
        status, e = srv.request("POST", "/purge?before=2205-01-01&future=1")
        check(status == 400 and e.get("error") == "bad future",
              "POST /purge?future=1: %s %s" % (status, e))
        status, h = srv.get("/healthz")
        check(h.get("events") == 4 and srv.get("/subjects/old", as_of="now")[0] == 200,
              "a refused purge removed nothing: %s" % h)
        later = ("2021-01-01", "2024-07-01")
        before = {t: (srv.get("/subjects/old", as_of=t)[1], srv.get("/subjects/new", as_of=t)[1],
                      srv.get("/groups", depth=0, as_of=t)[1]) for t in later}
        status, rep = srv.request("POST", "/purge?before=2021-01-01")
        # p1 is archived at 2020-03-01 and p2 with it; p3 and p4 stay
        check(status == 200 and rep.get("events") == 2 and rep.get("acts") == 0
              and rep.get("held") == 2 and rep.get("horizon") == "2021-01-01T00:00:00+08:00",
              "POST /purge?before=2021-01-01: %s %s" % (status, rep))
        for t in later:
            now = (srv.get("/subjects/old", as_of=t)[1], srv.get("/subjects/new", as_of=t)[1],
                   srv.get("/groups", depth=0, as_of=t)[1])
            check(now == before[t], "answers at %s unchanged by the purge" % t)
        for path in ("/subjects/old", "/subjects/old/record", "/groups", "/rank",
                     "/lists/dishonest", "/report", "/objections"):
            status, e = srv.get(path, as_of="2020-06-01")
            check(status == 410 and "purge" in e.get("reason", "") and "2021-01-01" in e["reason"],
                  "GET %s before the horizon is 410 Gone: %s %s" % (path, status, e))
        # /metrics counts them as 410, not as "other" (an alert on 410 sees them)
        _, _, text = srv.raw("GET", "/metrics")
        check('civic_http_requests_total{route="/subjects/{id}",status="410"} 1' in text.decode()
              and 'route="/report",status="410"} 1' in text.decode(),
              "410 answers counted as 410 in /metrics")
        status, _ = srv.get("/subjects/old")   # the default as_of is never before the horizon
        check(status == 200, "GET /subjects/old without as_of after a purge: %d" % status)
        status, rep = srv.post(PURGE_LOG)
        check(status == 200 and rep["accepted"] == 0, "purged ids are tombstones: %s" % rep)
        srv.stop()
        srv = Server(data).start()
        status, e = srv.get("/subjects/old", as_of="2020-06-01")
        check(status == 410, "the purge survives a restart (%d)" % status)
        _, h = srv.get("/healthz")
        check(h["events"] == 2, "after the restart: %s events" % h["events"])
        # with the override, a horizon ahead of the clock is taken
        status, rep = srv.request("POST", "/purge?before=%d&future=yes" % ahead)
        check(status == 200 and srv.get("/subjects/old", as_of="now")[0] == 410,
              "POST /purge?before=(tomorrow)&future=yes: %s %s" % (status, rep))
    finally:
        srv.stop()


def test_purge_removes_the_bytes(tmp):
    """A purge answered is a deletion done: the data directory's files hold
    nothing of a purged event but its id (the tombstone that makes it a
    duplicate if sent again).  The journal kept the whole events until the
    next compaction (--compact-every, 300 s by default), though the law an
    office purges for asks for them to be gone."""
    data = os.path.join(tmp, "purge-bytes")
    srv = Server(data).start()
    try:
        log = ("id,subject,type,ts,ref,group\n"
               "b1,old,illegal_parking,2015-03-01T10:00:00+08:00,,erased-district\n"
               "b2,old,object,2015-03-05T10:00:00+08:00,b1,erased-district\n"
               "b3,old,recycling,2016-01-01T10:00:00+08:00,,kept-district\n")
        status, rep = srv.post(log)
        check(status == 200 and rep["accepted"] == 3, "the batch: %s %s" % (status, rep))

        def held():
            return b"".join(open(os.path.join(data, f), "rb").read()
                            for f in sorted(os.listdir(data))
                            if os.path.isfile(os.path.join(data, f)))
        check(b"erased-district" in held(), "before the purge the journal holds the events")
        status, rep = srv.request("POST", "/purge?before=2021-01-01")
        check(status == 200 and rep.get("events") == 2, "the purge: %s %s" % (status, rep))
        check(b"erased-district" not in held() and b"kept-district" in held(),
              "after the purge's answer no file of %s holds the purged events: %r"
              % (data, sorted(os.listdir(data))))
    finally:
        srv.stop()


def piped_server(data, extra=(), preexec=None, env=None):
    """A Server on data whose standard error is a pipe, not a file (a file
    size limit set on the process leaves a pipe alone), started with
    preexec_fn preexec; its proc may have exited: see stop_piped."""
    srv = Server(data, extra)
    srv.port = harness.free_port()
    srv.proc = subprocess.Popen([ARGS.server, "--port", str(srv.port), "--data", data]
                                + list(extra), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, preexec_fn=preexec, env=env)
    deadline = time.time() + 30
    while time.time() < deadline and srv.proc.poll() is None:
        try:
            if srv.raw("GET", "/healthz", timeout=1)[0] == 200:
                return srv
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
    return srv


def stop_piped(srv):
    """SIGTERM a piped_server: (exit code, standard error)."""
    if srv.proc.poll() is None:
        srv.proc.send_signal(signal.SIGTERM)
    try:
        _, err = srv.proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        srv.proc.kill()
        _, err = srv.proc.communicate()
    return srv.proc.returncode, err.decode(errors="replace")


def test_purge_compaction_owed_at_start(tmp):
    """A purge whose compaction failed (a full disk: here a file size limit,
    the snapshot cannot be written) left the removed events in
    snapshot.civic; a restart replayed the purge from the journal, said
    writes were ok, and the timer never compacted (nothing was written since
    the start), so the removed events stayed in the files for good.  The
    start-up compacts when it finds purge-owed, the file a purge leaves until
    a compaction succeeds; when that fails too, the service starts all the
    same, /healthz says writes are failing and the timer tries again (here
    once the limit is lifted).  So does a compaction killed between its
    snapshot and its fresh journal (tests/server/killrename.c): the old
    journal still held the purged events."""
    kept = "".join("k%d,s%d,volunteer_hour,2024-05-01,kept-district\n" % (i, i % 40)
                   for i in range(200))
    log = ("id,subject,type,ts,group\n"
           "e1,old,illegal_parking,2015-03-01T10:00:00+08:00,erased-district\n"
           "e2,old,illegal_parking,2015-04-01T10:00:00+08:00,erased-district\n" + kept)
    limit_bytes = 1024

    def limited():  # a write past limit_bytes fails (EFBIG; the server ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (limit_bytes, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    def held(data):
        return b"".join(open(os.path.join(data, f), "rb").read()
                        for f in sorted(os.listdir(data))
                        if os.path.isfile(os.path.join(data, f)))

    so = build_shim(tmp, "server/killrename")
    for space in ("at the restart", "only later") + (("killed",) if so else ()):
        data = os.path.join(tmp, "purge-owed-" + space.split()[0])
        srv = piped_server(data)
        status, rep = srv.post(log)
        if space == "killed":  # the log in the journal alone
            srv.proc.kill()
        code, _ = stop_piped(srv)
        check(status == 200 and rep.get("accepted") == 202 and
              (code == -signal.SIGKILL if space == "killed" else
               code == 0 and os.path.getsize(os.path.join(data, "snapshot.civic")) > limit_bytes),
              "purge owed (%s): the log is posted: %s %s %s" % (space, status, rep, code))
        if space == "killed":  # SIGKILL as the purge's compaction renames the fresh journal
            srv = piped_server(data, env=dict(os.environ, LD_PRELOAD=so,
                                       CIVIC_KILL_RENAME="/journal.civic"))
            try:
                srv.request("POST", "/purge?before=2021-01-01")
            except (OSError, http.client.HTTPException):
                pass
            code, err = stop_piped(srv)
            with open(os.path.join(data, "snapshot.civic"), "rb") as f:
                snap = f.read()
            check(code == -signal.SIGKILL and b"erased-district" not in snap
                  and b"erased-district" in held(data),
                  "purge owed (killed): the snapshot is written, the old journal stays: %s %s"
                  % (code, err))
            space = "at the restart"
        else:
            srv = piped_server(data, preexec=limited)
            status, rep = srv.request("POST", "/purge?before=2021-01-01")
            code, err = stop_piped(srv)
            check(status == 200 and rep.get("events") == 2 and "File too large" in err
                  and code == 3 and b"erased-district" in held(data),
                  "purge owed: the purge is answered, its compaction fails: %s %s %s %s"
                  % (status, rep, code, err))
        srv = piped_server(data, ["--compact-every", "1"],
                    preexec=None if space == "at the restart" else limited)
        try:
            running = srv.proc.poll() is None
            status, h = srv.request("GET", "/healthz") if running else (None, {})
            if space == "at the restart":
                check(running and status == 200 and h.get("writes") == "ok"
                      and h.get("events") == 200 and b"erased-district" not in held(data),
                      "purge owed: the start-up compacts: no file holds the purged events: "
                      "%s %s %r" % (status, h, sorted(os.listdir(data))))
                continue
            check(running and status == 200 and h.get("writes") == "failing"
                  and h.get("events") == 200,
                  "purge owed: the start-up's compaction fails, the service starts, /healthz "
                  "says writes are failing: %s %s" % (status, h))
            if not running:
                continue
            resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                             (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            deadline = time.time() + 10
            while time.time() < deadline and b"erased-district" in held(data):
                time.sleep(0.2)
            _, h = srv.request("GET", "/healthz")
            check(b"erased-district" not in held(data) and h.get("writes") == "ok",
                  "purge owed: the timer compacts once there is space: %s %r"
                  % (h, sorted(os.listdir(data))))
        finally:
            code, err = stop_piped(srv)
            check(code == 0, "purge owed (%s): a clean stop: %s %s" % (space, code, err))


def test_purge_owed_warned(tmp):
    """A purge whose compaction fails (a full disk: here a file size limit,
    the snapshot cannot be written) was answered a plain 200: its answer
    now carries a `warning` saying that the files still hold the purged
    events, after the time's warning of a bare-integer before, "; "
    between them, in one key (the Warning header keeps the time's alone)."""
    rules = os.path.join(tmp, "retain-30d.toml")
    with open(rules, "w") as f:
        f.write('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\nmin = 1000\n[[grade]]\n'
                'name = "B"\n[rule.note]\npoints = -5\nretain = "30d"\naffects = "score"\n')
    data = os.path.join(tmp, "purge-warned")
    log = ("id,subject,type,ts\no1,old,note,1000\no2,older,note,2010-01-01\n" +
           "".join("k%d,s%d,note,2024-05-01\n" % (i, i % 40) for i in range(200)))
    owed = ("the purge is applied (it is journaled: a restart replays it), but its "
            "compaction failed: the data directory's files still hold the purged events "
            "until a compaction succeeds (POST /compact, or the --compact-every timer); "
            "/healthz says writes are failing until then")
    srv = piped_server(data, ["--rules", rules])
    status, rep = srv.post(log)
    code, _ = stop_piped(srv)
    check(status == 200 and rep.get("accepted") == 202 and code == 0
          and os.path.getsize(os.path.join(data, "snapshot.civic")) > 1024,
          "purge warned: the log is posted: %s %s %s" % (status, rep, code))

    def limited():  # a write past 1024 bytes fails (EFBIG; the server ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE,
                           (1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    srv = piped_server(data, ["--rules", rules], preexec=limited)
    try:
        # before=20251205 is 1970-08-23: o1 (1970-01-01, retained 30 days) goes
        status, h, body = srv.raw("POST", "/purge?before=20251205")
        rep = json.loads(body)
        time_warning = ("before=20251205 is Unix seconds: 1970-08-23T09:20:05+00:00; a date needs "
                        "its dashes (2025-12-05)")
        check(status == 200 and rep.get("events") == 1
              and rep.get("warning") == time_warning + "; " + owed
              and body.count(b'"warning"') == 1
              and h.get("warning") == '299 civic-server "%s"' % time_warning,
              "purge warned: the time's warning, then the compaction's, in one key: %s %r %r"
              % (status, body, h.get("warning")))
        import openapi_check
        problems = openapi_check.check_response(openapi_check.load(), "POST", "/purge", status,
                                                h.get("content-type"), body, h)
        check(not problems, "purge warned: the answer is as docs/openapi.json says: %s"
              % problems)
        # a purge of no bare integer: the compaction's warning alone
        status, rep = srv.request("POST", "/purge?before=2011-06-01")
        check(status == 200 and rep.get("events") == 1 and rep.get("warning") == owed,
              "purge warned: a failed compaction alone: %s %s" % (status, rep))
        _, hz = srv.request("GET", "/healthz")
        check(hz.get("writes") == "failing", "purge warned: /healthz says so: %s" % hz)
        # a purge that removes nothing compacts nothing: no warning
        status, rep = srv.request("POST", "/purge?before=2011-06-01")
        check(status == 200 and rep.get("events") == 0 and "warning" not in rep,
              "purge warned: nothing removed, nothing said: %s %s" % (status, rep))
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    finally:
        code, err = stop_piped(srv)
    check(code == 0, "purge warned: a clean stop once there is room: %s %s" % (code, err))


def test_purge_owed_is_remembered(tmp):
    """Whether a start owes a purge its compaction is a file of the data
    directory, purge-owed, made before the purge is journaled and removed
    once a compaction succeeds (or at once when the purge removed nothing),
    not guessed from the replay.  The guess missed a purge whose compaction
    wrote the snapshot but not the fresh journal, once one more batch was
    journaled: the old journal, holding the purged events, stayed for good
    (tests/server/killrename.c: the fresh journal's rename fails, ENOSPC).
    And a batch acknowledged after the failed compaction made /healthz say
    writes were ok while the purged events were still in the files.  Purges
    that removed nothing owe nothing (the guess compacted after them); a
    purge whose marker cannot be made is refused, nothing removed."""
    so = build_shim(tmp, "server/killrename")
    if not so:
        return
    log = ("id,subject,type,ts,group\n"
           "o1,old,illegal_parking,2014-03-01T10:00:00+08:00,erased-district\n"
           "n1,new,illegal_parking,2025-03-01T10:00:00+08:00,kept-district\n")
    batch = "id,subject,type,ts\nn2,other,illegal_parking,2025-04-01T10:00:00+08:00\n"

    def held(data):
        return b"".join(open(os.path.join(data, f), "rb").read()
                        for f in sorted(os.listdir(data))
                        if os.path.isfile(os.path.join(data, f)))

    def metric(srv, name):
        _, _, text = srv.raw("GET", "/metrics")
        found = [ln.split()[-1] for ln in text.decode().splitlines() if ln.startswith(name + " ")]
        return found[0] if found else None

    # the fresh journal cannot be made: the old one, purged events and all, stays
    data = os.path.join(tmp, "owed-journal-kept")
    srv = piped_server(data, env=dict(os.environ, LD_PRELOAD=so,
                                      CIVIC_FAIL_RENAME="/journal.civic"))
    status, rep = srv.post(log)
    status2, p = srv.request("POST", "/purge?before=2021-01-01")
    _, h1 = srv.request("GET", "/healthz")
    status3, rep3 = srv.post(batch)
    _, h2 = srv.request("GET", "/healthz")
    failing = metric(srv, "civic_writes_failing")
    srv.proc.kill()
    code, err = stop_piped(srv)
    check(status == 200 and status2 == 200 and p.get("events") == 1 and status3 == 200
          and rep3.get("accepted") == 1 and b"erased-district" in held(data)
          and os.path.exists(os.path.join(data, "purge-owed")),
          "owed (journal kept): the purge's compaction fails, a batch follows, the marker "
          "stays: %s %s %s %s %r %s" % (status, p, status3, rep3, sorted(os.listdir(data)), err))
    check(h1.get("writes") == "failing" and h2.get("writes") == "failing" and failing == "1",
          "owed (journal kept): /healthz says writes are failing after the purge, and still "
          "after an acknowledged batch (civic_writes_failing %s): %s %s" % (failing, h1, h2))
    srv = piped_server(data)
    try:
        status, h = srv.request("GET", "/healthz")
        check(status == 200 and h.get("writes") == "ok" and h.get("events") == 2
              and b"erased-district" not in held(data)
              and not os.path.exists(os.path.join(data, "purge-owed")),
              "owed (journal kept): the restart compacts: no file holds the purged event, "
              "the marker is gone: %s %s %r" % (status, h, sorted(os.listdir(data))))
    finally:
        code, err = stop_piped(srv)
    check(code == 0 and "a purge's compaction did not complete before the last stop: "
          "compacting now" in err,
          "owed (journal kept): the start says why it compacts: %s %s" % (code, err))

    # no snapshot can be written, before or after the restart: failing throughout
    data = os.path.join(tmp, "owed-no-snapshot")
    env = dict(os.environ, LD_PRELOAD=so, CIVIC_FAIL_RENAME="/snapshot.civic")
    srv = piped_server(data, env=env)
    srv.post(log)
    status, p = srv.request("POST", "/purge?before=2021-01-01")
    code, err = stop_piped(srv)
    check(status == 200 and p.get("events") == 1 and code == 3,
          "owed (no snapshot): the purge is answered, the stop's compaction fails: %s %s %s %s"
          % (status, p, code, err))
    srv = piped_server(data, env=env)
    try:
        _, h1 = srv.request("GET", "/healthz")
        status, c = srv.request("POST", "/compact")
        status2, rep = srv.post(batch)
        _, h2 = srv.request("GET", "/healthz")
        failing = metric(srv, "civic_writes_failing")
        check(h1.get("writes") == "failing" and status == 503 and status2 == 200
              and rep.get("accepted") == 1 and h2.get("writes") == "failing" and failing == "1"
              and b"erased-district" in held(data),
              "owed (no snapshot): /healthz says writes are failing at the start, after a "
              "failed POST /compact and after an acknowledged batch (civic_writes_failing "
              "%s): %s %s %s %s" % (failing, h1, status, status2, h2))
    finally:
        code, err = stop_piped(srv)
    check(code == 3 and "starting all the same" in err,
          "owed (no snapshot): the start-up's compaction failed, the service started: %s %s"
          % (code, err))

    # purges that removed nothing owe nothing: no compaction at the next start
    for case in ("a purge sent twice", "a first purge that removed nothing"):
        data = os.path.join(tmp, "owed-nothing-" + case.split()[1])
        srv = piped_server(data)
        if case == "a purge sent twice":
            srv.post(log)
            first = srv.request("POST", "/purge?before=2021-01-01")
        else:
            srv.post("id,subject,type,ts\nn1,new,illegal_parking,2025-03-01T10:00:00+08:00\n")
            first = srv.request("POST", "/compact")
        status, p = srv.request("POST", "/purge?before=2021-01-01")
        srv.proc.kill()
        stop_piped(srv)
        snap = os.stat(os.path.join(data, "snapshot.civic"))
        check(first[0] == 200 and status == 200 and p.get("events") == 0
              and not os.path.exists(os.path.join(data, "purge-owed")),
              "owes nothing (%s): no marker after a purge that removed nothing: %s %s %r"
              % (case, first, p, sorted(os.listdir(data))))
        srv = piped_server(data)
        try:
            status, h = srv.request("GET", "/healthz")
            now = os.stat(os.path.join(data, "snapshot.civic"))
            check(status == 200 and h.get("writes") == "ok"
                  and (now.st_ino, now.st_mtime_ns) == (snap.st_ino, snap.st_mtime_ns),
                  "owes nothing (%s): the start does not compact: %s %s" % (case, status, h))
        finally:
            code, err = stop_piped(srv)
        check(code == 0 and "compact" not in err,
              "owes nothing (%s): the start says nothing of a compaction: %s %s"
              % (case, code, err))

    # the debt cannot be written down (here a link where the file goes): no purge
    data = os.path.join(tmp, "owed-cannot-mark")
    srv = piped_server(data)
    try:
        srv.post(log)
        os.symlink(os.path.join(tmp, "nowhere", "purge-owed"), os.path.join(data, "purge-owed"))
        status, e = srv.request("POST", "/purge?before=2021-01-01")
        _, h = srv.request("GET", "/healthz")
        gone = srv.get("/subjects/old", as_of="2020-06-01")[0]
        check(status == 503 and "purge-owed" in e.get("reason", "")
              and "nothing was purged" in e["reason"] and h.get("events") == 2 and gone == 200,
              "owed (cannot mark): the purge is refused, nothing removed: %s %s %s %s"
              % (status, e, h, gone))
        os.unlink(os.path.join(data, "purge-owed"))
        status, p = srv.request("POST", "/purge?before=2021-01-01")
        check(status == 200 and p.get("events") == 1
              and not os.path.lexists(os.path.join(data, "purge-owed")),
              "owed (cannot mark): once the file can be made the purge goes ahead: %s %s"
              % (status, p))
    finally:
        stop_piped(srv)


def test_write_refused_for_io(tmp):
    """A batch or a purge the journal cannot take (a full disk: here a file
    size limit, the append fails) is answered 503 with the reason, and that
    reason is on standard error too, as a failed compaction's is (nothing
    was written there: an operator watching the log saw no sign of it), at
    most one a minute for each route, the others counted.
    The 503 of a batch carries no "line" and "column" (0 and 0: no line of
    the body is at fault), as the Error schema allows."""
    data = os.path.join(tmp, "append-fails")
    srv = piped_server(data)
    try:
        status, rep = srv.post("id,subject,type,ts\na1,old,illegal_parking,2015-03-01\n"
                               "a2,s1,volunteer_hour,2024-05-01\n")
        check(status == 200 and rep.get("accepted") == 2, "append fails: the first batch: %s %s"
              % (status, rep))
        size = os.path.getsize(os.path.join(data, "journal.civic"))
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (size, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        status, e = srv.post("id,subject,type,ts\na3,s2,volunteer_hour,2024-05-02\n")
        check(status == 503 and "File too large" in e.get("reason", "")
              and "line" not in e and "column" not in e and e.get("accepted") == 0,
              "append fails: POST /events is 503 with the reason, no line nor column: %s %s"
              % (status, e))
        batch_reason = e.get("reason", "?")
        status, p = srv.request("POST", "/purge?before=2021-01-01")
        check(status == 503 and "File too large" in p.get("reason", ""),
              "append fails: POST /purge is 503 with the reason: %s %s" % (status, p))
        purge_reason = p.get("reason", "?")
        # A full disk refuses every POST: one line a minute of each route,
        # the rest counted (47,712 lines in minutes, one per POST); the
        # count is said when writes go through again, and the first
        # refusal after that is said at once.
        for i in range(4):
            status, _ = srv.post("id,subject,type,ts\na%d,s2,volunteer_hour,2024-05-02\n"
                                 % (10 + i))
            check(status == 503, "append fails: refused again: %s" % status)
        srv.request("POST", "/purge?before=2021-01-01")
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        status, _ = srv.post("id,subject,type,ts\na4,s2,volunteer_hour,2024-05-03\n")
        check(status == 200, "append fails: with room again a batch goes through: %s" % status)
        size = os.path.getsize(os.path.join(data, "journal.civic"))
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (size, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        for i in range(2):
            status, _ = srv.post("id,subject,type,ts\na%d,s2,volunteer_hour,2024-05-04\n"
                                 % (20 + i))
            check(status == 503, "append fails: refused once more: %s" % status)
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    finally:
        code, err = stop_piped(srv)
    lines = err.splitlines()
    said = [x for x in lines if x.startswith(("civic-server: POST /events: ",
                                              "civic-server: POST /purge: "))]
    check(code == 0 and said[:2] == ["civic-server: POST /events: %s" % batch_reason,
                                     "civic-server: POST /purge: %s" % purge_reason],
          "append fails: the first refusal of each route is one line on standard error: "
          "%s %r" % (code, err))
    check("civic-server: writes reach the data directory again (5 refused writes since the last "
          "one shown, not shown)" in lines,
          "append fails: the refusals left out are counted when writes go through: %r" % err)
    check(len(said) == 3 and said[2].startswith("civic-server: POST /events: ")
          and "civic-server: 1 more refused write since the last one shown, not shown (at most "
          "one a minute is)" in lines,
          "append fails: the next refusal is said at once, the one after it counted at the "
          "stop: %r" % err)


def test_compaction_failures_limited(tmp):
    """Failed compactions are said on standard error as refused writes are:
    the first at once, then at most one a minute, the others counted; a
    compaction that succeeds after them says so, with the count, and the
    first failure after that is said at once.  Each one was a line (the
    --compact-every 1 timer on a full disk: a line a second)."""
    data = os.path.join(tmp, "compactions-fail")
    srv = piped_server(data)
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    reasons = []
    try:
        status, rep = srv.post("id,subject,type,ts\nc1,s1,volunteer_hour,2024-05-01\n")
        check(status == 200 and rep.get("accepted") == 1,
              "compactions fail: the batch: %s %s" % (status, rep))
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (1, limit))
        for i in range(4):
            status, e = srv.request("POST", "/compact")
            reasons.append(e.get("reason", "?"))
            check(status == 503 and "File too large" in e.get("reason", ""),
                  "compactions fail: POST /compact %d is 503 with the reason: %s %s"
                  % (i, status, e))
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        status, _ = srv.request("POST", "/compact")
        check(status == 200, "compactions fail: with room again one succeeds: %s" % status)
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE, (1, limit))
        for i in range(2):
            status, e = srv.request("POST", "/compact")
            reasons.append(e.get("reason", "?"))
            check(status == 503, "compactions fail: failing again: %s" % status)
        resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    finally:
        code, err = stop_piped(srv)
    lines = err.splitlines()
    said = [x for x in lines if x.startswith("civic-server: compaction: ")]
    at = [i for i, x in enumerate(lines) if x.startswith("civic-server: compaction: ")]
    again = "civic-server: compactions succeed again (3 failed compactions since the last " \
            "one shown, not shown)"
    left = "civic-server: 1 more failed compaction since the last one shown, not shown " \
           "(at most one a minute is)"
    check(code == 0 and said == ["civic-server: compaction: %s" % reasons[0],
                                 "civic-server: compaction: %s" % reasons[4]],
          "compactions fail: the first of each spell is said, the others not: %s %r"
          % (code, err))
    check(again in lines and left in lines and len(at) == 2 and at[0] < lines.index(again)
          < at[1] < lines.index(left) < lines.index("civic-server: stopped"),
          "compactions fail: the ones not said are counted when one succeeds, and at the "
          "stop: %r" % err)


def restarted_holding(data, n, what):
    """civic-server started again on data (after a kill -9 or a stop), its
    /healthz holding n events: nothing acknowledged was lost.  Returned
    running."""
    srv = piped_server(data)
    try:
        status, h = srv.request("GET", "/healthz")
        check(status == 200 and h.get("events") == n,
              "%s: a restart holds all %d events: %s %s" % (what, n, status, h))
    except BaseException:
        stop_piped(srv)
        raise
    return srv


def lost_then_compacted(data, prefix, lose, what, said, unsaid):
    """A server on data takes two events, then lose() takes the journal's
    name from it: a third is refused with 503, its reason holding every
    text of said and none of unsaid, until POST /compact, after which it is
    taken.  The server, still running, is returned."""
    srv = piped_server(data)
    try:
        status, rep = srv.post("id,subject,type,ts\n%s1,s1,volunteer_hour,2024-05-01\n"
                               "%s2,s1,volunteer_hour,2024-05-02\n" % (prefix, prefix))
        check(status == 200 and rep.get("accepted") == 2,
              "%s: the first batch: %s %s" % (what, status, rep))
        lose()
        third = "id,subject,type,ts\n%s3,s1,volunteer_hour,2024-05-03\n" % prefix
        status, e = srv.post(third)
        reason = e.get("reason", "")
        check(status == 503 and all(w in reason for w in said)
              and not any(w in reason for w in unsaid),
              "%s: 503 naming POST /compact: %s %s" % (what, status, e))
        status, c = srv.request("POST", "/compact")
        check(status == 200 and c.get("compacted") is True,
              "%s: POST /compact: %s %s" % (what, status, c))
        status, rep = srv.post(third)
        check(status == 200 and rep.get("accepted") == 1,
              "%s: a batch after the compaction: %s %s" % (what, status, rep))
    except BaseException:
        srv.proc.kill()
        raise
    return srv


def test_removed_journal_says_post_compact(tmp):
    """A journal removed while the service runs (rm, or a file moved over
    it): a batch is refused with 503, and its reason names POST /compact,
    which keeps every event (the library's words "close and reopen the
    journal" were passed on as they were, and that starts an empty journal:
    the events acknowledged before the removal were gone at the next
    start)."""
    data = os.path.join(tmp, "journal-removed")
    # the service's terms, not the library's "before any close (a reopen
    # starts an empty journal)": what loses them is a kill
    srv = lost_then_compacted(
        data, "r", lambda: os.unlink(os.path.join(data, "journal.civic")), "journal removed",
        ["was removed while open", "POST /compact to keep them", "a clean stop compact too",
         "a kill or a crash"], ["civic_engine", "reopen the journal", "close", "engine"])
    srv.proc.kill()  # kill -9: no compaction at the stop, the files as they are
    err = srv.proc.communicate()[1].decode(errors="replace")
    check("POST /compact to keep them" in err,
          "journal removed: standard error names POST /compact: %r" % err[-400:])
    srv = restarted_holding(data, 3, "journal removed")
    try:
        # another file moved over the journal: every compaction refuses
        # until it is moved away, and the reason says so
        status, _ = srv.post("id,subject,type,ts\nr4,s1,volunteer_hour,2024-05-04\n")
        other = os.path.join(data, "other")
        with open(other, "wb") as f:
            f.write(b"not the journal")
        os.rename(other, os.path.join(data, "journal.civic"))
        status, e = srv.post("id,subject,type,ts\nr5,s1,volunteer_hour,2024-05-05\n")
        reason = e.get("reason", "")
        check(status == 503 and "another file took its name" in reason
              and "move that file away, then POST /compact to keep them" in reason
              and "a clean stop's too" in reason and "engine" not in reason,
              "journal replaced: 503 saying to move the file away first: %s %s" % (status, e))
        status, c = srv.request("POST", "/compact")
        check(status == 503 and "move that file away" in c.get("reason", ""),
              "journal replaced: POST /compact refuses until it is moved: %s %s" % (status, c))
        os.rename(os.path.join(data, "journal.civic"), other)
        status, c = srv.request("POST", "/compact")
        check(status == 200 and c.get("compacted") is True,
              "journal replaced: POST /compact once it is moved away: %s %s" % (status, c))
    finally:
        stop_piped(srv)
    stop_piped(restarted_holding(data, 4, "journal replaced"))


def test_renamed_journal_says_post_compact(tmp):
    """A journal moved or renamed while the service runs (a backup by mv, a
    log rotation): its name no longer leads to it, as after a removal.  The
    batches after the rename were answered 200 into the moved file, and a
    kill -9 then a restart (with --recover, which the start-up advised) lost
    them (the security review).  Now a batch is refused with 503 naming POST
    /compact, which keeps every event at the name."""
    data = os.path.join(tmp, "journal-renamed")
    srv = lost_then_compacted(
        data, "m", lambda: os.rename(os.path.join(data, "journal.civic"),
                                     os.path.join(data, "journal.bak")),
        "journal renamed", ["was moved or renamed while open", "POST /compact to keep them"],
        ["engine"])
    srv.proc.kill()  # kill -9: no compaction at the stop, the files as they are
    srv.proc.communicate()
    srv = restarted_holding(data, 3, "journal renamed")
    try:
        # the data directory moved (the journal's moves with it, and takes
        # the batch after it): the stop, whose compaction cannot write
        # there, does not say "nothing is lost" (a reviewer's restart at
        # the name found none of them)
        os.rename(data, data + ".old")
        status, e = srv.post("id,subject,type,ts\nm4,s1,volunteer_hour,2024-05-04\n")
        srv.proc.send_signal(signal.SIGTERM)
        _, err = srv.proc.communicate(timeout=30)
        err = err.decode(errors="replace")
        check(srv.proc.returncode == 3 and "journal.civic is gone while the service ran" in err
              and "put the journal moved away back there" in err
              and "nothing is lost" not in err,
              "journal's directory moved: the stop says what is lost: %s %r"
              % (srv.proc.returncode, err[-500:]))
    finally:
        if srv.proc.poll() is None:
            stop_piped(srv)
    # truncated in place (a log rotation's "copytruncate"): the next batch
    # went behind a hole of zero bytes, and a restart lost every event
    data = os.path.join(tmp, "journal-truncated")
    srv = lost_then_compacted(
        data, "t", lambda: os.truncate(os.path.join(data, "journal.civic"), 0),
        "journal truncated", ["was truncated while open", "POST /compact to keep them",
                              "a kill or a crash"], ["engine", "close"])
    srv.proc.kill()
    srv.proc.communicate()
    stop_piped(restarted_holding(data, 3, "journal truncated"))
    # moved away and another file put at its name (a log rotation's
    # "create"): the stop's compaction refuses to replace it, and says the
    # batches are not there
    data = os.path.join(tmp, "journal-rotated")
    srv = piped_server(data)
    try:
        srv.post("id,subject,type,ts\nq1,s1,volunteer_hour,2024-05-01\n")
        journal = os.path.join(data, "journal.civic")
        os.rename(journal, journal + ".1")
        with open(journal, "wb") as f:
            f.write(b"not the journal")
        status, e = srv.post("id,subject,type,ts\nq2,s1,volunteer_hour,2024-05-02\n")
        check(status == 503 and "another file took its name" in e.get("reason", ""),
              "journal rotated: 503: %s %s" % (status, e))
        srv.proc.send_signal(signal.SIGTERM)
        _, err = srv.proc.communicate(timeout=30)
        err = err.decode(errors="replace")
        check(srv.proc.returncode == 3 and "journal.civic lost its name while the service ran" in err
              and "nothing is lost" not in err,
              "journal rotated: the stop says what is lost: %s %r" % (srv.proc.returncode, err[-500:]))
    finally:
        if srv.proc.poll() is None:
            stop_piped(srv)


def test_port_in_use(srv):
    """A second server on a port one already listens on exits 1 (the manual's
    "when the address cannot be bound"): it must not share the port and
    answer half the requests from an empty engine."""
    try:  # run() kills it on timeout
        second = subprocess.run([ARGS.server, "--port", str(srv.port)], capture_output=True,
                                timeout=15)
        check(second.returncode == 1 and b"cannot listen" in second.stderr,
              "a second server on a port in use exits 1: %s %r"
              % (second.returncode, second.stderr[-200:]))
        # said once, by civic-server (libmicrohttpd's line without the prefix came first)
        check(second.stderr.count(b"\n") == 1 and second.stderr.startswith(b"civic-server: "),
              "a port in use: one line: %r" % second.stderr)
        # with --data: said before the directory is made or read, so a
        # retried quick start leaves no empty directory, and no "recovered
        # 0 events" line says a start that does not happen
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data")
            second = subprocess.run([ARGS.server, "--port", str(srv.port), "--data", data],
                                    capture_output=True, timeout=15)
            check(second.returncode == 1 and second.stderr.count(b"\n") == 1 and
                  b"cannot listen" in second.stderr and not os.path.exists(data),
                  "a second server on a port in use with --data exits 1 before making the "
                  "directory: %s %r %s" % (second.returncode, second.stderr[-300:],
                                           os.path.exists(data)))
    except subprocess.TimeoutExpired:
        check(False, "a second server on a port in use exits 1: it was still running after 15 s")
    status, h = srv.request("GET", "/healthz")
    check(status == 200, "the first server still answers: %s" % status)


def test_start_on_a_port_taken_meanwhile():
    """The harness picks a free port, then the server binds it: another
    process (a parallel run's server, a client's ephemeral port) may take
    it in between.  The start is tried again on another port, and only for
    that: here the first port picked is held by a listening socket."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    taken = held.getsockname()[1]
    picks, real = [], harness.free_port
    harness.free_port = lambda host="127.0.0.1": picks.append(1) or (
        taken if len(picks) == 1 else real(host))
    srv = Server()
    try:
        srv.start()
        check(srv.port != taken and len(picks) == 2 and srv.get("/healthz")[0] == 200,
              "a port taken before the server binds it: started on another (%s, %d picks)"
              % (srv.port, len(picks)))
    except RuntimeError as e:
        check(False, "a port taken before the server binds it: the start failed: %s" % e)
    finally:
        harness.free_port = real
        held.close()
        srv.stop()


def test_default_as_of_outruns_purges(tmp):
    """A question without as_of is asked at the latest ts or the purge
    horizon, whichever is later; a purge that moved the horizon past it
    while the question waited made it 410 Gone ("as_of ... is before the
    purge horizon"), of an as_of the client never sent."""
    data = os.path.join(tmp, "purge-race")
    srv = Server(data).start()
    try:
        body = "id,subject,type,ts\n" + "".join(
            "r%d,s%d,volunteer_hour,2024-05-%02dT10:00:00\n" % (i, i % 50, 1 + i % 28)
            for i in range(2000))
        status, reply = srv.request("POST", "/events", body.encode(), "text/csv")
        check(status == 200, "purge race: the log is posted: %s %s" % (status, reply))
        stop = threading.Event()
        gone = []
        paths = ["/subjects/s7", "/subjects/s7/record", "/rank?top=3", "/groups", "/report",
                 "/objections"]

        def reader(k):
            while not stop.is_set():
                st, _, d = srv.raw("GET", paths[k % len(paths)])
                k += 1
                if st == 410:
                    gone.append((paths[(k - 1) % len(paths)], d[:200]))

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        try:
            t0 = 1735689600  # 2025-01-01, after every event: each purge moves the horizon
            for i in range(300):
                st, rep = srv.request("POST", "/purge?before=%d" % (t0 + 3600 * i))
                if st != 200:
                    check(False, "purge race: POST /purge: %s %s" % (st, rep))
                    break
        finally:
            stop.set()
            for t in threads:
                t.join()
        check(not gone, "purge race: no question without as_of is 410 Gone: %d, %s"
              % (len(gone), gone[:2]))
    finally:
        srv.stop()


def test_future_dated_event(tmp):
    """An event dated more than a day after the server's clock (a mistyped
    2062 for 2026) moves every answer without as_of to its date for good, and
    a revoke of it does not help (the revoke is held too).  It is taken, as
    1.0 took it, but the answer of POST /events carries a `warning` naming
    the batch's latest date, standard error gets one line, and the document
    declares the field.  A day ahead or less (clocks differ) is no warning;
    nor is a later batch of present events, one whose future date lies
    before the latest held, or the batch sent again, while one that moves
    the latest date on is; a rejected batch warns of nothing.  What the warning says of
    GET /report is true: its page is of that date too, but under
    --report-now (of the present moment), where the warning says so."""
    import openapi_check
    props = openapi_check.resolve(openapi_check.load(), {
        "$ref": "#/components/schemas/LoadReport"}).get("properties", {})
    check(props.get("warning", {}).get("type") == "string",
          "docs/openapi.json: LoadReport declares a string `warning`: %s" % sorted(props))
    srv = Server(os.path.join(tmp, "future")).start()
    try:
        now = int(time.time())

        def post(*lines):
            body = "id,subject,type,ts,ref\n" + "".join(x + "\n" for x in lines)
            return srv.request("POST", "/events", body.encode(), "text/csv")

        def warned():
            return [x for x in srv.output().splitlines()
                    if "warning: POST /events:" in x]

        status, rep = post("f1,s1,recycling,%d," % (now - 86400 * 10),
                           "f2,s2,recycling,%d," % (now + 86400 - 60))
        check(status == 200 and rep.get("accepted") == 2 and "warning" not in rep
              and not warned(), "a day ahead or less is no warning: %d %s %s"
              % (status, rep, warned()))
        status, rep = post("f3,s1,recycling,2062-11-28T10:00:00+08:00,")
        w = rep.get("warning", "")
        check(status == 200 and rep.get("accepted") == 1 and "2062-11-28T10:00:00+08:00" in w
              and "as_of=now" in w and "more than a day after the server's clock" in w,
              "a 2062 event is taken with a warning: %d %s" % (status, rep))
        check(len(warned()) == 1 and "2062-11-28T10:00:00+08:00" in warned()[0],
              "one line on standard error: %s" % warned())
        # without --report-now the page is of 2062 as well, and the warning
        # excepts no route
        _, _, page = srv.raw("GET", "/report")
        check(page_as_of(page) == int(datetime.datetime.fromisoformat(
                  "2062-11-28T10:00:00+08:00").timestamp())
              and "answers without as_of are now of that date" in w and "report" not in w,
              "without --report-now GET /report is of 2062 too, as the warning says: %s %r"
              % (page_as_of(page), w))
        # what the warning says: answers without as_of are of 2062, a
        # revoke does not undo it; as_of=now answers the present
        status, rep = post("r3,s1,revoke,%d,f3" % now)
        check(status == 200 and "warning" not in rep and len(warned()) == 1,
              "a batch of present events is no warning: %d %s %s" % (status, rep, warned()))
        _, rank = srv.get("/rank")
        asked = int(time.time()) - 1    # time(), the service's, can lag a tick
        _, present = srv.get("/rank", as_of="now")
        # the instant itself, not its year: the year of a UTC clock is not the
        # year of the scheme's +08:00 from 16:00 UTC on 31 December
        try:
            t = datetime.datetime.fromisoformat(present.get("as_of", "")).timestamp()
        except ValueError:
            t = None
        check(rank.get("as_of") == "2062-11-28T10:00:00+08:00"
              and t is not None and asked <= t <= time.time() + 1,
              "the default as_of stays 2062 after the revoke, as_of=now is now (asked at %d): "
              "%s %s" % (asked, rank.get("as_of"), present.get("as_of")))
        # a batch whose future date lies before 2062 moves no answer: no
        # warning (it said "answers are now of" this batch's date, false);
        # nor the 2062 batch sent again (a duplicate moves nothing); one past
        # 2062 moves them on, and is warned of with its own date
        status, rep = post("f4,s2,recycling,%d," % (now + 86400 + 3600))
        check(status == 200 and rep.get("accepted") == 1 and "warning" not in rep
              and len(warned()) == 1,
              "a day and an hour ahead, the service holding 2062, moves nothing: no warning: "
              "%d %s %s" % (status, rep, warned()))
        status, rep = post("f3,s1,recycling,2062-11-28T10:00:00+08:00,")
        check(status == 200 and rep.get("duplicates") == 1 and "warning" not in rep
              and len(warned()) == 1, "the 2062 batch sent again: no warning: %d %s"
              % (status, rep))
        # standard error says it at most once a minute (each batch that moved
        # the date on wrote a line), the others counted at the stop; the
        # answer says it every time
        status, rep = post("f7,s4,recycling,2063-01-05,")
        check(status == 200 and "2063-01-05T00:00:00+08:00" in rep.get("warning", "")
              and len(warned()) == 1, "an event past 2062 is warned of, its date named, in "
              "the answer only within the minute: %d %s %s" % (status, rep, warned()))
        status, rep = post("f5,s3,recycling,2064-01-01,", "f6,s3,nope,2025-01-01,")
        check(status == 400 and "warning" not in rep and len(warned()) == 1,
              "a rejected batch warns of nothing: %d %s" % (status, rep))
    finally:
        srv.stop()
    check("civic-server: 1 more date warning since the last one shown, not shown (at most one "
          "a minute is)" in srv.output().splitlines(),
          "the stop counts the future-date warning not shown: %r" % srv.output()[-600:])
    # --report-now: GET /report without as_of stays of the present moment,
    # and the warning says so
    srv = Server(os.path.join(tmp, "future-now"), extra=["--report-now"]).start()
    try:
        status, rep = srv.post("id,subject,type,ts\nf3,s1,recycling,2062-11-28T10:00:00+08:00\n")
        w = rep.get("warning", "")
        asked = int(time.time()) - 1    # time(), the service's, can lag a tick
        _, _, page = srv.raw("GET", "/report")
        t = page_as_of(page)
        check(status == 200 and "answers without as_of (but GET /report's, under --report-now) "
              "are now of that date" in w and t is not None and asked <= t <= time.time() + 1,
              "--report-now: GET /report is of now, as the warning says: %d %s %r"
              % (status, t, w))
    finally:
        srv.stop()
    # after a purge ahead of the clock (future=yes) the default as_of is its
    # horizon: an event before it moves nothing and is not warned of (it was
    # told answers are now of its date); one past it is
    srv = Server(os.path.join(tmp, "future-horizon")).start()
    try:
        status, e = srv.request("POST", "/purge?before=2070-01-01&future=yes")
        check(status == 200, "a purge ahead of the clock: %d %s" % (status, e))
        status, rep = srv.post("id,subject,type,ts\nh1,s1,recycling,2062-11-28\n")
        _, rank = srv.get("/rank")
        check(status == 200 and "warning" not in rep
              and rank.get("as_of", "").startswith("2070-01-01"),
              "an event before a future horizon: no warning, answers of 2070: %d %s %s"
              % (status, rep, rank.get("as_of")))
        status, rep = srv.post("id,subject,type,ts\nh2,s1,recycling,2071-03-01\n")
        check(status == 200 and "2071-03-01" in rep.get("warning", ""),
              "an event past a future horizon is warned of: %d %s" % (status, rep))
        # the warning said "as_of=now answers the present", which is 410 before that horizon
        w = rep.get("warning", "")
        gone, _ = srv.get("/rank", as_of="now")
        check(gone == 410 and "as_of=now answers the present" not in w
              and "as_of=now is before the purge horizon 2070-01-01T00:00:00+08:00" in w,
              "past a future horizon the warning names it, as_of=now being 410: %d %r"
              % (gone, w))
    finally:
        srv.stop()


def cli_warnings(tmp, name, body):
    """civic-score's warnings on the log `body` (its text after "FILE: ")."""
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(body)
    p = subprocess.run([ARGS.cli, path], capture_output=True, text=True)
    return [x.split(path + ": ", 1)[1] for x in p.stderr.splitlines()
            if x.startswith("civic-score: warning: " + path + ": ")]


def test_early_dated_event(tmp):
    """A ts before 1973-03-03, most likely a date without its dashes
    (20251205, read as Unix seconds: 1970) or a spreadsheet's day number,
    is taken, but the batch that brings the earliest ts held there is
    answered with a `warning` in civic-score's words on the same log, and
    standard error gets it once; a later batch whose early ts lies after one
    held, the batch sent again, a rejected one, and dates written with their
    dashes are no warning.  A batch dated both too early and far ahead gets
    both warnings, "; " between them, whatever the body's form."""
    srv = Server(os.path.join(tmp, "early")).start()
    try:
        def warned():
            return [x for x in srv.output().splitlines()
                    if "warning: POST /events: the earliest event's ts" in x]

        good = b"id,subject,type,ts\nd1,s1,recycling,2025-12-05\n"
        status, rep = srv.post(good)
        check(status == 200 and "warning" not in rep and not warned(),
              "a date with its dashes: no warning: %d %s" % (status, rep))
        body = b"id,subject,type,ts\ne1,s1,recycling,20251205\n"
        want = cli_warnings(tmp, "early.csv", body)
        status, rep = srv.post(body)
        w = rep.get("warning", "")
        check(len(want) == 1 and "a date needs its dashes (2025-12-05)" in want[0]
              and status == 200 and rep.get("accepted") == 1 and w == want[0],
              "20251205 is taken with civic-score's warning: %d %r, civic-score %r"
              % (status, w, want))
        check(len(warned()) == 1 and warned()[0].endswith(": " + w),
              "one line on standard error: %s" % warned())
        for again, what in ((b"id,subject,type,ts\ne2,s1,recycling,20251206\n",
                             "an early ts after the earliest held"),
                            (body, "the batch sent again"),
                            (b"id,subject,type,ts\ne3,s1,recycling,19000\ne4,s1,nope,1\n",
                             "a rejected batch")):
            status, rep = srv.post(again)
            check(status in (200, 400) and "warning" not in rep and len(warned()) == 1,
                  "%s: no warning: %d %s %s" % (what, status, rep, warned()))
        # earlier than any held: a spreadsheet's day number, as JSON Lines
        jsonl = b'{"id":"e5","subject":"s2","type":"recycling","ts":"45991"}\n'
        want = cli_warnings(tmp, "early.jsonl", jsonl)
        status, rep = srv.post(jsonl, "application/x-ndjson")
        check(status == 200 and len(want) == 1 and rep.get("warning") == want[0]
              and "spreadsheet's day number" in want[0] and len(warned()) == 1,
              "a day number, earlier still: warned as civic-score does, in the answer (standard "
              "error says one a minute): %d %s %r %s" % (status, rep, want, warned()))
        status, rep = srv.post(b"id,subject,type,ts\ne6,s3,recycling,19000\n")
        check(status == 200 and "the earliest event's ts is" in rep.get("warning", "")
              and len(warned()) == 1,
              "earlier still: the answer says it, standard error not: %d %s %s"
              % (status, rep, warned()))
    finally:
        srv.stop()
    check("civic-server: 2 more date warnings since the last one shown, not shown (at most one "
          "a minute is)" in srv.output().splitlines(),
          "the stop counts the early-date warnings not shown: %r" % srv.output()[-600:])
    srv = Server(os.path.join(tmp, "early-future")).start()
    try:
        status, rep = srv.post('[{"id": "b1", "subject": "s", "type": "recycling", '
                               '"ts": "20251205"}, {"id": "b2", "subject": "s", '
                               '"type": "recycling", "ts": "2062-11-28"}]', "application/json")
        w = rep.get("warning", "").split("; the earliest event's ts is ")
        check(status == 200 and len(w) == 2 and "2062-11-28" in w[0]
              and w[1].startswith("1970-08-23") and w[1].endswith("(2025-12-05)"),
              "a batch too early and far ahead: both warnings: %d %s" % (status, rep))
        # one a minute for each kind: both said
        said = [x for x in srv.output().splitlines() if "warning: POST /events: " in x]
        check(len(said) == 2 and "2062-11-28" in said[0] and "1970-08-23" in said[1],
              "both kinds on standard error: %s" % said)
    finally:
        srv.stop()


LATE_SAID = ("the latest event's ts is 8390-07-10T13:40:00+08:00 (Unix seconds 202612081200), "
             "at or after 5138-11-16T09:46:40Z: if it was written as a bare integer, that is Unix "
             "seconds; a date and time need their separators (2026-12-08T12:00:00)")


def test_late_dated_event(tmp):
    """Its mirror: a ts of twelve digits or more, most likely a date and
    time without separators (202612081200, YYYYMMDDHHMM, read as Unix
    seconds: 8390-07-10T05:40:00Z, 13:40 at +08:00), is taken, but the batch
    that brings the latest ts held is answered with civic-score's warning
    on the same log, after the future date's (such a ts is past the clock
    too), and standard error gets it once a minute; eleven digits, a later
    batch whose late ts lies before the latest held, the batch sent again
    and a rejected one are no such warning.  A batch too early and too late
    gets the three, the early one before the late one."""
    srv = Server(os.path.join(tmp, "late")).start()
    try:
        def warned():
            return [x for x in srv.output().splitlines()
                    if "warning: POST /events: the latest event's ts" in x]

        status, rep = srv.post(b"id,subject,type,ts\nl0,s1,recycling,99999999999\n")
        check(status == 200 and "more than a day after" in rep.get("warning", "")
              and "the latest event's ts" not in rep.get("warning", "") and not warned(),
              "eleven digits (5138-11-16T09:46:39Z): the future date's warning alone: %d %s"
              % (status, rep))
        body = b"id,ts,subject,type\n1,202612081200,alice,volunteer_hour\n"
        want = cli_warnings(tmp, "late.csv", body)
        status, rep = srv.post(body)
        w = rep.get("warning", "")
        check(want == [LATE_SAID] and status == 200 and rep.get("accepted") == 1
              and w.startswith("an event of the batch is dated 8390-07-10T13:40:00+08:00, more "
                               "than a day after the server's clock")
              and w.endswith("; " + LATE_SAID),
              "202612081200 is taken with the future date's warning, then civic-score's: %d %r, "
              "civic-score %r" % (status, w, want))
        check(len(warned()) == 1 and warned()[0].endswith(": " + LATE_SAID),
              "one line on standard error: %s" % warned())
        for again, what in ((b"id,subject,type,ts\nl2,s1,recycling,202612071200\n",
                             "a late ts before the latest held"),
                            (body, "the batch sent again"),
                            (b"id,subject,type,ts\nl3,s1,recycling,202612091200\nl4,s1,nope,1\n",
                             "a rejected batch")):
            status, rep = srv.post(again)
            check(status in (200, 400) and "warning" not in rep and len(warned()) == 1,
                  "%s: no warning: %d %s %s" % (what, status, rep, warned()))
        # later than any held, as JSON Lines: 24:00 is no time of day
        jsonl = b'{"id":"l5","subject":"s2","type":"recycling","ts":202612082400}\n'
        want = cli_warnings(tmp, "late.jsonl", jsonl)
        status, rep = srv.post(jsonl, "application/x-ndjson")
        check(status == 200 and len(want) == 1 and rep.get("warning", "").endswith("; " + want[0])
              and want[0].startswith("the latest event's ts is 8390-07-10T14:00:00+08:00 (Unix "
                                     "seconds 202612082400)")
              and want[0].endswith("(YYYY-MM-DDTHH:MM:SS)") and len(warned()) == 1,
              "later still: warned as civic-score does, in the answer (standard error says one "
              "a minute): %d %s %r %s" % (status, rep, want, warned()))
    finally:
        srv.stop()
    # not shown: the future date's of the second batch (the first said one),
    # and the future date's and the late one's of the last
    check("civic-server: 3 more date warnings since the last one shown, not shown (at most one "
          "a minute is)" in srv.output().splitlines(),
          "the stop counts the date warnings not shown: %r" % srv.output()[-600:])
    srv = Server(os.path.join(tmp, "late-early")).start()
    try:
        status, rep = srv.post('[{"id": "b1", "subject": "s", "type": "recycling", '
                               '"ts": "20251205"}, {"id": "b2", "subject": "s", '
                               '"type": "recycling", "ts": "202612081200"}]', "application/json")
        w = rep.get("warning", "")
        early = w.find("; the earliest event's ts is 1970-08-23")
        check(status == 200 and w.startswith("an event of the batch is dated 8390-07-10")
              and 0 < early < w.find("; " + LATE_SAID) and w.endswith("; " + LATE_SAID),
              "a batch too early and too late: the three warnings: %d %s" % (status, rep))
        # one a minute for each kind: the three said
        said = [x for x in srv.output().splitlines() if "warning: POST /events: " in x]
        check(len(said) == 3 and "more than a day after" in said[0]
              and "the earliest event's ts" in said[1] and said[2].endswith(LATE_SAID),
              "the three kinds on standard error: %s" % said)
    finally:
        srv.stop()


def declared_keys(doc, schema):
    """The keys an object schema of the document declares (its allOf's too)."""
    import openapi_check
    schema = openapi_check.resolve(doc, schema)
    keys = set(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        keys |= declared_keys(doc, sub)
    return keys


def test_bare_integer_times(tmp, log_path):
    """as_of=20251205 (and POST /purge's before=) is Unix seconds, 1970, as
    the contract reads it: the answer is that of the same instant written
    as a date (status 200, the same bytes), but for civic-score's warning of
    -t 20251205, as_of= for --as-of, in a `Warning: 299 civic-server "..."`
    header and, where the answer is JSON, as its last key `warning`.  A time
    of 13 digits is refused with civic-score's hint that it looks like
    milliseconds."""
    import openapi_check
    doc = openapi_check.load()
    said = subprocess.run([ARGS.cli, "-t", "20251205", log_path], capture_output=True,
                          text=True).stderr
    cli = [x[len("civic-score: warning: --as-of "):] for x in said.splitlines()
           if x.startswith("civic-score: warning: --as-of ")]
    check(len(cli) == 1 and cli[0].endswith("a date needs its dashes (2025-12-05)"),
          "civic-score -t 20251205 warns: %r" % said)
    want = "as_of=" + (cli[0] if cli else "")
    same = "1970-08-23T09%3A20%3A05Z"   # 20251205, written as a date: no warning
    srv = Server(os.path.join(tmp, "bare")).start()
    try:
        with open(log_path, "rb") as f:
            srv.post(f.read())
        for template, path in (("/subjects/{id}", "/subjects/r0007"),
                               ("/subjects/{id}/record", "/subjects/r0007/record"),
                               ("/groups", "/groups?depth=2"), ("/rank", "/rank?top=3"),
                               ("/lists/{name}", "/lists/dishonest"),
                               ("/objections", "/objections"), ("/report", "/report")):
            sep = "&" if "?" in path else "?"
            status, h, data = srv.raw("GET", path + sep + "as_of=20251205")
            s2, h2, plain = srv.raw("GET", path + sep + "as_of=" + same)
            check(status == 200 == s2 and h.get("warning") == '299 civic-server "%s"' % want
                  and "warning" not in h2,
                  "GET %s?as_of=20251205: 200 with the Warning header: %d %r"
                  % (path, status, h.get("warning")))
            problems = openapi_check.check_response(doc, "GET", template, status,
                                                    h.get("content-type"), data)
            ok = doc["paths"][template]["get"]["responses"]["200"]
            schema = ok["content"].get("application/json", {}).get("schema")
            check(not problems and "Warning" in ok.get("headers", {})
                  and (schema is None or "warning" in declared_keys(doc, schema)),
                  "GET %s?as_of=20251205 fits the document, which declares the Warning "
                  "header and the warning key: %s" % (path, problems))
            if template == "/report":
                check(data == plain, "the page of as_of=20251205 is that of 1970-08-23")
                continue
            got = json.loads(data)
            check(got.pop("warning", None) == want and list(got) == list(json.loads(plain))
                  and got == json.loads(plain),
                  "GET %s?as_of=20251205: the answer of 1970-08-23, `warning` last: %r"
                  % (path, data[-200:]))
        status, h, _ = srv.raw("HEAD", "/subjects/r0007?as_of=20251205")
        check(status == 200 and h.get("warning") == '299 civic-server "%s"' % want,
              "HEAD: the Warning header: %d %r" % (status, h.get("warning")))
        # dates, and integers from 100000000 (1973-03-03T09:46:40Z) on, are no warning
        for v in ("2025-12-05", "100000000", "1764892800"):
            status, h, data = srv.raw("GET", "/subjects/r0007?as_of=" + v)
            check(status == 200 and "warning" not in h and b'"warning"' not in data,
                  "as_of=%s: no warning: %d %r" % (v, status, h.get("warning")))
        status, h, data = srv.raw("GET", "/subjects/r0007?as_of=99999999")
        check(status == 200 and "as_of=99999999 is Unix seconds" in h.get("warning", ""),
              "as_of=99999999: warned: %r" % h.get("warning"))
        # leading zeros leave the value: the warning whatever their number
        # (from 22 characters on there was none, and the answer was of 1970),
        # the text as given up to 21 characters, else without its zeros and
        # their count, as civic-score -t writes it
        for v, shown in (("0020251205", "0020251205"),
                         ("0" * 13 + "20251205", "0" * 13 + "20251205"),
                         ("0" * 14 + "20251205", "20251205 (written with 14 leading zeros)"),
                         ("0" * 24 + "20251205", "20251205 (written with 24 leading zeros)"),
                         ("-" + "0" * 29 + "5", "-5 (written with 29 leading zeros)"),
                         ("0" * 3000 + "20251205", "20251205 (written with 3000 leading zeros)")):
            said = subprocess.run([ARGS.cli, "-t", v, log_path], capture_output=True,
                                  text=True).stderr
            told = [x[len("civic-score: warning: --as-of "):] for x in said.splitlines()
                    if x.startswith("civic-score: warning: --as-of ")]
            text = told[0] if len(told) == 1 else ""
            check(text.startswith(shown + " is Unix seconds: ")
                  and (v.startswith("-") or text.endswith("1970-08-23T17:20:05+08:00; a date "
                                                         "needs its dashes (2025-12-05)")),
                  "civic-score -t %s... warns: %r" % (v[:40], said[-300:]))
            status, h, data = srv.raw("GET", "/subjects/r0007?as_of=" + v)
            s2, _, plain = srv.raw("GET", "/subjects/r0007?as_of=" + ("-5" if "-" in v else same))
            got, instant = json.loads(data), json.loads(plain)
            instant.pop("warning", None)  # as_of=-5 is warned of too
            check(status == 200 == s2 and h.get("warning") == '299 civic-server "as_of=%s"' % text
                  and got.pop("warning", None) == "as_of=" + text and got == instant,
                  "as_of=%s... (%d characters): the answer of that instant, warned of: %d %r"
                  % (v[:40], len(v), status, h.get("warning")))
        # milliseconds: refused, with what to write
        for url in ("/subjects/r0007?as_of=1764892800000", "/purge?before=1764892800000"):
            status, e = srv.request("GET" if "as_of" in url else "POST", url)
            check(status == 400 and e.get("reason", "").endswith(
                      "is out of range (years 0001..9999 in UTC): it looks like milliseconds; "
                      "write Unix seconds (drop the last three digits)"),
                  "%s: 400, looks like milliseconds: %d %s" % (url, status, e))
        status, h, data = srv.raw("POST", "/purge?before=20251205")
        rep = json.loads(data)
        w = "before=" + (cli[0] if cli else "")
        check(status == 200 and h.get("warning") == '299 civic-server "%s"' % w
              and rep.get("warning") == w and rep.get("horizon") == "1970-08-23T17:20:05+08:00"
              and not openapi_check.check_response(doc, "POST", "/purge", status,
                                                   h.get("content-type"), data)
              and "warning" in declared_keys(doc, {"$ref": "#/components/schemas/PurgeReport"}),
              "POST /purge?before=20251205: a purge at 1970, warned of: %d %r %s"
              % (status, h.get("warning"), rep))
    finally:
        srv.stop()


HTTP_API = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                        "docs", "http-api.md")
BINDING = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                       "bindings", "python")


def library():
    """libcivic.so.MAJOR beside the service (make test-server builds it)."""
    d = os.path.dirname(os.path.abspath(ARGS.server))
    names = sorted((n for n in os.listdir(d) if re.fullmatch(r"libcivic\.so\.\d+", n)), key=len)
    return os.path.join(d, names[0]) if names else None


def test_audit_recipe(tmp, log_path):
    """docs/http-api.md, "Auditing the events held": the Python blocks of
    that section, run as they are written on a copy of a running service's
    data directory (journal first, then snapshot, after a compaction and a
    batch since, so that both files hold events), print the what-if of
    new-rules.toml (illegal_parking -20 for -10) at 2025-12-01, which must
    be civic-score --compare --changed on the log the service was sent."""
    with open(HTTP_API, encoding="utf-8") as f:
        doc = f.read()
    m = re.search(r"^## Auditing the events held\n(.*?)(?=^## |\Z)", doc, re.M | re.S)
    blocks = re.findall(r"^```python\n(.*?)^```", m.group(1), re.M | re.S) if m else []
    if not check(blocks, "docs/http-api.md has a section \"Auditing the events held\" with "
                 "its Python recipe"):
        return
    lib = library()
    if not check(lib, "libcivic.so beside %s (make lib)" % ARGS.server):
        return
    work = os.path.join(tmp, "audit-recipe")
    os.mkdir(work)
    rules = subprocess.run([ARGS.cli, "--print-rules"], check=True, capture_output=True,
                           text=True).stdout
    new, n = re.subn(r"(\[rule\.illegal_parking\][^\[]*?\npoints = )-10\n", r"\1-20\n", rules)
    check(n == 1, "new-rules.toml: illegal_parking -20 (%d)" % n)
    with open(os.path.join(work, "new-rules.toml"), "w") as f:
        f.write(new)
    later = (b"id,subject,type,ts\n"
             b"au1,r0012,illegal_parking,2025-11-30T10:00:00+08:00\n"
             b"au2,r0040,illegal_parking,2025-11-29T10:00:00+08:00\n")
    with open(log_path, "rb") as f:
        sent = f.read()
    data = os.path.join(tmp, "audit-data")
    srv = Server(data).start()
    try:
        check(srv.post(sent)[0] == 200, "audit: the log is posted")
        check(srv.request("POST", "/compact")[0] == 200, "audit: a compaction")
        check(srv.post(later)[0] == 200, "audit: a batch after it")
        os.mkdir(os.path.join(work, "audit"))
        for name in ("journal.civic", "snapshot.civic"):      # in this order
            shutil.copy(os.path.join(data, name), os.path.join(work, "audit", name))
        _, health = srv.get("/healthz")
    finally:
        srv.stop()
    env = dict(os.environ, CIVIC_LIBRARY=lib,
               PYTHONPATH=os.pathsep.join([BINDING] + [os.environ.get("PYTHONPATH", "")]))
    run = subprocess.run([sys.executable, "-c", "\n".join(blocks)], cwd=work, env=env,
                         capture_output=True, text=True, timeout=120)
    later_path = os.path.join(work, "later.csv")
    with open(later_path, "wb") as f:
        f.write(later)
    want = subprocess.run([ARGS.cli, "--compare", os.path.join(work, "new-rules.toml"),
                           "--changed", "-f", "csv", "-t", "2025-12-01", log_path, later_path],
                          check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(want)))
    want = "subject,score,grade,new_score,new_grade\n" + "".join(
        "%s,%s,%s,%s,%s\n" % (r["subject"], r["score"], r["grade"], r["new_score"],
                              r["new_grade"]) for r in rows)
    check(run.returncode == 0 and run.stdout == want and len(rows) > 3,
          "the recipe's what-if on the copy (%s events held) is civic-score --compare: rc %d, "
          "%r vs %r, %s" % (health.get("events"), run.returncode, run.stdout[:300], want[:300],
                            run.stderr[-500:]))


def metric_value(srv, name):
    _, _, text = srv.raw("GET", "/metrics")
    m = re.search(r"^%s (\S+)$" % re.escape(name), text.decode(), re.M)
    return float(m.group(1)) if m else None


def test_timer_compacts_after_a_purge(tmp):
    """--compact-every compacts when anything was written since the last
    compaction; it looked only at the event count, so a purge (which may
    remove nothing, or as many events as arrived) left the journal as it
    was for good."""
    data = os.path.join(tmp, "timer-purge")
    srv = Server(data, ["--compact-every", "1"]).start()
    try:
        body = "id,subject,type,ts\n" + "".join(
            "t%d,s%d,volunteer_hour,2024-05-01\n" % (i, i % 5) for i in range(20))
        status, _ = srv.request("POST", "/events", body.encode(), "text/csv")
        deadline = time.time() + 10
        while time.time() < deadline and (metric_value(srv, "civic_compactions_total") or 0) < 1:
            time.sleep(0.2)
        first = metric_value(srv, "civic_compactions_total")
        check(status == 200 and first == 1 and metric_value(srv, "civic_journal_bytes") == 32,
              "timer: the batch is compacted: %s %s" % (status, first))
        status, rep = srv.request("POST", "/purge?before=2024-01-01")  # removes nothing
        check(status == 200 and rep.get("events") == 0, "timer: the purge: %s %s" % (status, rep))
        deadline = time.time() + 10
        while time.time() < deadline and metric_value(srv, "civic_compactions_total") == first:
            time.sleep(0.2)
        check(metric_value(srv, "civic_compactions_total") == first + 1 and
              metric_value(srv, "civic_journal_bytes") == 32,
              "timer: a purge is compacted too: %s compactions, journal %s bytes"
              % (metric_value(srv, "civic_compactions_total"),
                 metric_value(srv, "civic_journal_bytes")))
    finally:
        srv.stop()


def test_term_at_once_with_sync_group(tmp):
    """SIGTERM as soon as the listening line is out, with --sync group: a
    clean stop (its message, the last snapshot, exit 0).  The sync thread
    is started while the data directory is read, before the stop signals
    are blocked for sigwait: it took SIGTERM's default action whenever the
    signal came before the main thread waited for it, and the process died
    there, without the stop."""
    for i in range(12):  # the race was lost about half the time
        data = os.path.join(tmp, "term-group-%d" % i)
        p = subprocess.Popen([ARGS.server, "--port", "0", "--data", data, "--sync", "group"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline()
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
        if not check(b"listening" in line and p.returncode == 0 and b"shutting down" in err
                     and os.path.exists(os.path.join(data, "snapshot.civic")),
                     "SIGTERM at once with --sync group stops cleanly (try %d): %s %r"
                     % (i, p.returncode, (line + err)[-300:])):
            break


def test_term_with_a_pipelined_write(tmp):
    """SIGTERM while a long GET /report is answered, a POST /events pipelined
    behind it on the same connection: the page is answered, and the POST,
    which begins once the stop has begun, runs nothing (it ran, and could
    have been cut off unanswered by the stop); it is answered 503 "shutting
    down" when its connection lasts.  So the client's view and the disk
    agree."""
    import random
    import socket
    data = os.path.join(tmp, "term-pipe")
    rng = random.Random(5)
    big = ["id,subject,type,ts,qty,group"]  # a page of about 0.6 s
    kinds = ["volunteer_hour,2024-05-05,3", "illegal_parking,2024-06-01,",
             "court_defaulter,2024-07-01,", "neighbour_help,2024-03-03,"]
    for i in range(60000):
        k = rng.randrange(20000)
        big.append("b%d,s%05d,%s,d%d/st%d/c%d/g%d" % (i, k, rng.choice(kinds), k % 5, k % 17,
                                                     k % 40, k % 97))
    srv = Server(data).start()
    status, _ = srv.request("POST", "/events", ("\n".join(big) + "\n").encode(), "text/csv")
    check(status == 200, "term-pipe: the log is posted: %s" % status)
    body = b"id,subject,type,ts\ntp1,pipeterm,neighbour_help,2025-01-01\n"
    sock = socket.create_connection(("127.0.0.1", srv.port))
    sock.sendall(b"GET /report HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"POST /events HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(0.05)
    srv.proc.terminate()
    got = b""
    sock.settimeout(60)
    while True:
        d = sock.recv(1 << 20)
        if not d:
            break
        got += d
    sock.close()
    srv.stop()
    answers = re.findall(rb"(?:^|\n)HTTP/1.1 (\d\d\d)", got)
    srv = Server(data).start()
    try:
        _, rep = srv.get("/subjects/pipeterm")
        applied = rep.get("events") == 1
        check(answers[:1] == [b"200"] and not applied and answers[1:] in ([], [b"503"]),
              "term-pipe: the page answered %s; the pipelined POST was %s and answered %s"
              % (answers[:1], "applied" if applied else "not applied", answers[1:] or "nothing"))
    finally:
        srv.stop()


def test_compact_full_disk(tmp):
    """A compaction that cannot write its snapshot answers 503 naming the
    file and the cause (it said only "compaction"), and loses nothing: the
    batches acknowledged before it are there after a restart.  A full
    tmpfs as root (as on CI), else a directory made read-only; as root
    where nothing can be mounted (a container without CAP_SYS_ADMIN) a
    read-only directory stops nothing, so there a file-size limit set on
    the server (RLIMIT_FSIZE, which binds root too) refuses the write."""
    data = os.path.join(tmp, "fulldisk")
    os.mkdir(data)
    mounted = False
    root = os.geteuid() == 0
    if root:
        try:
            mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", data],
                                     capture_output=True).returncode == 0
        except OSError:     # no mount(8)
            mounted = False
        if not mounted:
            print("test-server: no tmpfs mount here; the full disk is a file-size limit")
    capped = root and not mounted
    try:
        srv = Server(data).start()
        try:
            body = "id,subject,type,ts\n" + "".join(
                "f%d,s%d,volunteer_hour,2024-05-01\n" % (i, i % 40) for i in range(1200))
            status, reply = srv.request("POST", "/events", body.encode(), "text/csv")
            check(status == 200 and reply.get("accepted") == 1200,
                  "full disk: the batch before it is acknowledged: %s %s" % (status, reply))
            if mounted:
                fd = os.open(os.path.join(data, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
                try:
                    while os.write(fd, b"\0" * 4096) > 0:
                        pass
                except OSError:
                    pass
                finally:
                    os.close(fd)
            elif capped:
                resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                                 (1, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
            else:
                os.chmod(data, 0o555)
            status, reply = srv.request("POST", "/compact")
            reason = reply.get("reason", "")
            why = ("File too large" if capped else "No space left" if mounted
                   else "ermission denied")
            check(status == 503 and "snapshot" in reason and why in reason,
                  "full disk: POST /compact says which file and why: %s %s" % (status, reply))
            status, reply = srv.request("GET", "/healthz")
            check(status == 200 and reply.get("status") == "ok" and
                  reply.get("writes") == "failing",
                  "full disk: /healthz says writes are failing (it said ok): %s %s"
                  % (status, reply))
            status, _, metrics = srv.raw("GET", "/metrics")
            check(status == 200 and b"\ncivic_writes_failing 1\n" in metrics,
                  "full disk: /metrics civic_writes_failing 1 (%d)" % status)
            if mounted:
                os.unlink(os.path.join(data, "filler"))
            elif capped:
                resource.prlimit(srv.proc.pid, resource.RLIMIT_FSIZE,
                                 (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            else:
                os.chmod(data, 0o755)
            status, reply = srv.request("POST", "/compact")
            check(status == 200, "full disk: space again, POST /compact: %s %s" % (status, reply))
            status, reply = srv.request("GET", "/healthz")
            check(status == 200 and reply.get("writes") == "ok",
                  "full disk: once a compaction succeeds /healthz says writes are ok: %s %s"
                  % (status, reply))
            status, _, metrics = srv.raw("GET", "/metrics")
            check(b"\ncivic_writes_failing 0\n" in metrics,
                  "full disk: /metrics civic_writes_failing 0 again")
        finally:
            srv.stop()
            if mounted and os.path.exists(os.path.join(data, "filler")):
                os.unlink(os.path.join(data, "filler"))
            elif not capped:
                os.chmod(data, 0o755)
        srv = Server(data).start()
        try:
            status, reply = srv.request("GET", "/subjects/s7")
            check(status == 200 and reply.get("events") == 30,
                  "full disk: every acknowledged event is there after a restart: %s %s"
                  % (status, reply))
        finally:
            srv.stop()
    finally:
        if mounted:
            subprocess.run(["umount", data], capture_output=True)


# ---------------------------------------------------------------- out of memory

def build_shim(tmp, name):
    """tests/NAME.c (NAME: cli/failmalloc, server/failthread) built as
    tmp/BASENAME.so (once), or None when no C compiler builds it (the test is
    then skipped, and says so)."""
    so = os.path.join(tmp, os.path.basename(name) + ".so")
    if not os.path.exists(so):
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", name + ".c")
        r = subprocess.run([os.environ.get("CC") or "cc", "-shared", "-fPIC", "-o", so, src,
                            "-ldl"], capture_output=True, timeout=60)
        if r.returncode != 0:
            print("skip: the tests with %s (it does not build: %r)" % (name, r.stderr[-200:]))
            return None
    return so


def armed_server(tmp, name, extra=(), token=None):
    """A server on tmp/name under tests/cli/failmalloc.c, or None
    without a C compiler; with a token, it takes --tokens and that token is
    an admin's, sent with every request."""
    so = build_shim(tmp, "cli/failmalloc")
    if not so:
        return None
    ctl = os.path.join(tmp, name + ".ctl")
    env = dict(os.environ, LD_PRELOAD=so, CIVIC_FAIL_CTL=ctl)
    if token:
        tokens = harness.make_tokens(ARGS.server, os.path.join(tmp, name + ".tokens"),
                                     [("oom", "admin", token)])
        extra = ["--tokens", tokens] + list(extra)
    srv = harness.Server(ARGS.server, os.path.join(tmp, name), ["--sync", "none"] + list(extra),
                         token=token, env=env)
    srv.ctl = ctl
    return srv.start()


def arm(srv, k):
    """Have the kth allocation from now fail (0: none); returns how many
    allocations the server made since the last arm()."""
    count = srv.ctl + ".count"
    with open(srv.ctl, "w") as f:
        f.write("%d\n" % k)
    if os.path.exists(count):
        os.unlink(count)
    os.kill(srv.proc.pid, signal.SIGUSR2)
    deadline = time.time() + 10
    while not os.path.exists(count):
        if time.time() > deadline or srv.proc.poll() is not None:
            raise RuntimeError("the shim did not answer SIGUSR2: %s" % srv.output()[-300:])
        time.sleep(0.0005)
    with open(count) as f:
        return int(f.read())


def answer_or_closed(srv, method, path, body=None, ctype=None):
    """(status, JSON answer), or (None, why) when the connection was closed
    unanswered."""
    try:
        return srv.request(method, path, body, ctype, timeout=20)
    except (OSError, http.client.HTTPException) as e:
        return None, repr(e)


def oom_sweep(srv, send, look):
    """Fail each allocation one request makes, in turn: send(k) asks it once
    for each k = 1, 2, ... a little past the number of allocations a request
    that succeeds makes (send(0), measured first; threads make it vary), and
    look(k, status, answer) checks each answer, once the shim is disarmed.
    Returns that number."""
    arm(srv, 0)
    send(0)
    n = arm(srv, 0)
    for k in range(1, n + 20):
        arm(srv, k)
        status, answer = send(k)
        arm(srv, 0)
        look(k, status, answer)
    return n


def test_out_of_memory_after_a_write(tmp):
    """Memory that runs out while the answer to a batch or a purge is made,
    once the write is applied and journaled, may not turn it into 503 "out of
    memory": that says nothing of it was applied, and a client retries a
    batch that is on disk.  The answer is the write's, or at worst none."""
    srv = armed_server(tmp, "oom-write")
    if not srv:
        return
    try:
        state = {"events": srv.request("GET", "/healthz")[1]["events"]}
        batch = ("id,subject,type,ts,qty,group\n"
                 "oom%d-1,om%d,volunteer_hour,2025-03-01,1,oom/a\n"
                 "oom%d-2,om%d,neighbour_help,2025-03-02,,oom/a\n")

        def post(k):
            got = answer_or_closed(srv, "POST", "/events", (batch % (k, k, k, k)).encode(),
                                   "text/csv")
            if k == 0:  # the sweep's measuring batch, unarmed: its events are held
                state["events"] = srv.request("GET", "/healthz")[1]["events"]
            return got

        def look_post(k, status, answer):
            events = srv.request("GET", "/healthz")[1]["events"]
            applied = events == state["events"] + 2
            check(applied or events == state["events"],
                  "out of memory at allocation %d of a batch: all of it or nothing (%s then %s)"
                  % (k, state["events"], events))
            check(not (applied and status is not None and status != 200),
                  "out of memory at allocation %d of a batch: applied, and answered %s %s"
                  % (k, status, answer))
            check(not (status == 200 and not applied),
                  "out of memory at allocation %d of a batch: answered 200, not applied: %s"
                  % (k, answer))
            if status == 200:
                check(answer.get("accepted") == 2 and answer.get("events") == events,
                      "out of memory at allocation %d of a batch: the 200 answer's counts: %s"
                      % (k, answer))
            state["events"] = events

        n = oom_sweep(srv, post, look_post)
        day = 86400
        start = 946684800  # 2000-01-01: each purge a day after the last

        def purge(k):
            return answer_or_closed(srv, "POST", "/purge?before=%d" % (start + (k + 1) * day))

        def look_purge(k, status, answer):
            # a question about the second before the horizon is 410 once it moved
            before = start + (k + 1) * day
            applied = srv.request("GET", "/subjects/om1?as_of=%d" % (before - 1))[0] == 410
            check(not (applied and status is not None and status != 200),
                  "out of memory at allocation %d of a purge: applied, and answered %s %s"
                  % (k, status, answer))
            check(not (status == 200 and not applied),
                  "out of memory at allocation %d of a purge: answered 200, not applied: %s"
                  % (k, answer))

        m = oom_sweep(srv, purge, look_purge)
        check(n > 5 and m > 5, "the sweeps failed allocations: %d, %d" % (n, m))
    finally:
        srv.stop()


def test_out_of_memory_is_503(tmp):
    """Out of memory at any allocation of a request is answered 503
    {"error": "out of memory"} (or the connection is closed unanswered),
    as the manual says any route may: never a 4xx that blames the request
    (a bad as_of, a bad before).  With --tokens, so that a batch's events
    get a source (the body is rewritten) and the tokens are checked."""
    srv = armed_server(tmp, "oom-503", token="oom-admin-token-0123456789abcdef")
    if not srv:
        return
    try:
        srv.request("POST", "/events", b"id,subject,type,ts,qty,group,ref\n"
                    b"m1,om1,volunteer_hour,2025-03-01,1,oom/a,\n"
                    b"m0,om0,illegal_parking,2025-03-01,,oom/b,\n"
                    b"mo,om0,object,2025-03-02,,oom/b,m0\n", "text/csv")
        routes = [("GET", "/subjects/om1?as_of=2025-06-01"),
                  ("GET", "/subjects/om1/record?as_of=2025-06-01+08:00"),
                  ("GET", "/rank?as_of=2025-06-01"),
                  ("GET", "/objections?as_of=2025-06-01"),
                  ("POST", "/purge?before=2001-01-01"),
                  ("POST", "/events", b"id,subject,type,ts,qty,group\n"
                   b"m2,om2,volunteer_hour,2025-03-02,1,oom/a\n")]
        for method, path, *body in routes:
            body = body[0] if body else None
            ctype = "text/csv" if body else None
            right = srv.request(method, path, body, ctype)

            def send(k):
                return answer_or_closed(srv, method, path, body, ctype)

            def look(k, status, answer):
                check(status in (None, right[0], 503),
                      "out of memory at allocation %d of %s %s: %s %s"
                      % (k, method, path, status, answer))
                if status == 503:
                    check(answer.get("error") == "out of memory",
                          "out of memory at allocation %d of %s %s: 503 %s"
                          % (k, method, path, answer))
                    # a batch's load report says why too
                    check("reason" not in answer or "out of memory" in answer["reason"],
                          "out of memory at allocation %d of %s %s: the reason: %s"
                          % (k, method, path, answer))

            oom_sweep(srv, send, look)
        # a body buffer that cannot grow is memory, not the body budget
        status, text = srv.raw("GET", "/metrics")[0::2]
        check(status == 200 and b"\ncivic_body_budget_refusals_total 0\n" in text,
              "out of memory is not counted as a body budget refusal: %s"
              % re.findall(rb"civic_body_budget_refusals_total .*", text))
    finally:
        srv.stop()


def start_under(env, args, timeout=20):
    """Start the server with env; ("ran", output) once it printed its
    listening line (it is then stopped with SIGTERM), else (exit status,
    output) when it exited first."""
    p = subprocess.Popen([ARGS.server] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    timer = threading.Timer(timeout, p.kill)
    timer.start()
    try:
        line = p.stdout.readline()
        if b"listening" in line:
            p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        timer.cancel()
    text = (line + out + err).decode(errors="replace")
    return ("ran" if b"listening" in line else p.returncode), text


def test_start_without_threads(tmp):
    """A thread the server needs that cannot be started (pthread_create
    fails: a limit on processes, no memory for a stack) stops the start-up
    with a message, as the --sync group thread does: the server may not run
    on without it (without the compaction thread, silently, the journal
    would grow until the disk is full)."""
    so = build_shim(tmp, "server/failthread")
    if not so:
        return
    count = os.path.join(tmp, "threads.count")
    for extra in ([], ["--sync", "group"]):
        args = ["--port", "0", "--data", os.path.join(tmp, "threads")] + extra
        env = dict(os.environ, LD_PRELOAD=so, CIVIC_FAIL_COUNT=count)
        if os.path.exists(count):
            os.unlink(count)
        what, out = start_under(env, args)
        with open(count) as f:
            n = int(f.read())
        check(what == "ran" and n >= 3, "the server starts under the shim: %s %s %s"
              % (what, n, out[-300:]))
        for k in range(1, n + 1):
            what, out = start_under(dict(env, CIVIC_FAIL_THREAD=str(k)), args)
            # exit 2, as out of memory: the address is not what failed
            check(what == 2 and "cannot start" in out and "cannot listen" not in out,
                  "thread %d of %d cannot start (%s): the start-up fails, saying so: %s %r"
                  % (k, n, " ".join(extra) or "--sync always", what, out[-300:]))


def test_sync_none_is_not_called_durable(tmp):
    """--sync none leaves the events to the system's write-back, which a
    power loss may lose: the start line and /healthz called it durable as
    --sync always; each policy's words, written by hand.  /metrics'
    civic_durable says what /healthz says (it was 1 under --sync none)."""
    def gauge(srv):
        _, _, text = srv.raw("GET", "/metrics")
        found = re.findall(rb"^civic_durable (\S+)$", text, re.M)
        return found[0].decode() if len(found) == 1 else found
    for policy, durable, said in (("always", True, ", durable, no tokens)"),
                                  ("group", True, ", durable, no tokens)"),
                                  ("none", False, ", kept on disk, --sync none: not durable "
                                                  "across a power loss, no tokens)")):
        srv = Server(os.path.join(tmp, "sync-" + policy), ["--sync", policy]).start()
        try:
            status, h = srv.get("/healthz")
            check(status == 200 and h.get("durable") is durable,
                  "--sync %s: healthz durable %s: %s" % (policy, durable, h))
            check(said in srv.output(), "--sync %s: the start line: %r" % (policy, srv.output()))
            check(gauge(srv) == ("1" if durable else "0"),
                  "--sync %s: civic_durable %s: %r" % (policy, int(durable), gauge(srv)))
        finally:
            srv.stop()
    srv = Server(None).start()
    try:
        _, h = srv.get("/healthz")
        check(h.get("durable") is False, "no --data: not durable: %s" % h)
        check(gauge(srv) == "0", "no --data: civic_durable 0: %r" % gauge(srv))
    finally:
        srv.stop()


def test_start_out_of_memory(tmp):
    """Out of memory while libmicrohttpd starts (the last allocations before
    the listening line, failed each in turn) is said as such and exits 2,
    as out of memory anywhere in the start-up: not "cannot listen on ADDR
    port N", the manual's exit 1 for an address that cannot be bound."""
    so = build_shim(tmp, "cli/failmalloc")
    if not so:
        return
    ctl = os.path.join(tmp, "start-oom.ctl")
    with open(ctl, "w") as f:
        f.write("0\n")
    env = dict(os.environ, LD_PRELOAD=so, CIVIC_FAIL_CTL=ctl)
    args = ["--port", "0"]
    # how many allocations the start-up makes, up to its listening line
    p = subprocess.Popen([ARGS.server] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    try:
        line = p.stdout.readline()
        # arm() asks the shim through a server's ctl and proc: this one is
        # not a harness.Server, whose start would add its /healthz polls
        n = arm(argparse.Namespace(ctl=ctl, proc=p, output=lambda: line.decode()), 0)
    finally:
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=60)
    inside = 0
    for k in range(max(1, n - 25), n + 1):
        what, out = start_under(dict(env, CIVIC_FAIL_AT=str(k)), args)
        check(what in ("ran", 2) and "cannot listen" not in out,
              "out of memory at allocation %d of %d of the start-up: %s %r"
              % (k, n, what, out[-300:]))
        inside += "cannot start the HTTP service" in out
    check(inside > 0, "the sweep failed allocations of libmicrohttpd's start (%d..%d)"
          % (max(1, n - 25), n))


def test_source_from_token(tmp):
    tokens = harness.make_tokens(ARGS.server, os.path.join(tmp, "tokens"),
                                 [("clerk-a", "write", "clerk-a-0123456789-token"),
                                  ("viewer", "read", "viewer-0123456789-token")])
    srv = harness.Server(ARGS.server, None, ["--tokens", tokens], token="clerk-a-0123456789-token")
    srv.start()
    try:
        csv_body = b"id,subject,type,ts\nt1,src-s,recycling,2025-01-01\n"
        status, _ = srv.request("POST", "/events", csv_body, "text/csv")
        jsonl = (b'{"id":"t2","subject":"src-s","type":"recycling","ts":"2025-01-02"}\n'
                 b'{"id":"t3","subject":"src-s","type":"recycling","ts":"2025-01-03",'
                 b'"source":"street office"}\n'
                 b'{"id":"t4","subject":"src-s","source" : "","type":"recycling","ts":"2025-01-04"}\n'
                 b'{"id":"t5","subject":"src-s","type":"recycling","ts":"2025-01-05","source":null}\n')
        status2, _ = srv.request("POST", "/events", jsonl, "application/x-ndjson")
        # the header names a source column in any case; a byte-order mark before the
        # first object: both as the load reads them
        status3, _ = srv.request("POST", "/events", b"id,subject,type,ts, Source\n"
                                 b"t6,src-s,recycling,2025-01-06,\n", "text/csv")
        status4, _ = srv.request("POST", "/events", b'\xef\xbb\xbf{"id":"t7","subject":"src-s",'
                                 b'"type":"recycling","ts":"2025-01-07"}\n', "application/x-ndjson")
        _, rec = srv.request("GET", "/subjects/src-s/record", token="viewer-0123456789-token")
        got = {e["id"]: e.get("source") for e in rec.get("entries", [])}
        # a null source is an absent one (as an empty CSV cell); "" is a source given as
        # empty (as a CSV cell written ""), and stays so
        check(status == status2 == status3 == status4 == 200 and
              got == {"t1": "clerk-a", "t2": "clerk-a", "t3": "street office", "t4": None,
                      "t5": "clerk-a", "t6": "clerk-a", "t7": "clerk-a"},
              "an event posted without source by token clerk-a shows source clerk-a: %s" % got)
        # identity: the same event again from the same token is a duplicate
        status, rep = srv.request("POST", "/events", csv_body, "text/csv")
        check(status == 200 and rep["duplicates"] == 1, "re-posted by clerk-a: %s" % rep)
        # t4, given no source in JSON, sent again as CSV with a cell written "": one event
        status, rep = srv.request("POST", "/events", b'id,subject,type,ts,source\n'
                                  b't4,src-s,recycling,2025-01-04,""\n', "text/csv")
        check(status == 200 and rep["duplicates"] == 1,
              "an empty source is the same in JSON and in CSV: %s %s" % (status, rep))
        # a body of the other format, a source put into it: the hint as without one
        array = b'[{"id":"t9","subject":"src-s","type":"recycling","ts":"2025-01-09"}]'
        for body, ctype, hint in ((jsonl, "text/csv", "application/x-ndjson)"),
                                  (csv_body, "application/x-ndjson", "text/csv)"),
                                  (array, "text/csv", "application/json)"),
                                  (array, "application/x-ndjson", "application/json)")):
            status, e = srv.request("POST", "/events", body, ctype)
            check(status == 400 and e.get("line") == 1 and
                  e.get("reason", "").endswith("send it with Content-Type: " + hint),
                  "a body of the other format with a source put in (%s): %s %s"
                  % (ctype, status, e))
    finally:
        srv.stop()
    srv = Server().start()       # without --tokens: nobody to name
    try:
        srv.post("id,subject,type,ts\nt1,src-s,recycling,2025-01-01\n")
        _, rec = srv.get("/subjects/src-s/record")
        check([e.get("source", "absent") for e in rec["entries"]] == [None],
              "without tokens the source stays absent: %s" % rec["entries"])
    finally:
        srv.stop()


# ---------------------------------------------------------------- the document

DOCUMENT_EVENTS = (b"id,subject,type,ts,ref,group\n"
                   b"d1,doc-s,court_defaulter,2025-01-05,,g/1\n"   # a ceiling
                   b"d2,doc-s,repair,2026-02-01,d1,\n"            # to_balance null
                   b"d3,doc-s,dispute_mediation,2025-02-01,,g/1\n"
                   b"d4,doc-s,revoke,2025-03-01,d3,\n"
                   b"d5,doc-s,object,2025-02-03,d3,\n"
                   b"d6,doc-s,dismiss,2025-02-04,d5,\n"
                   b"d7,doc-s,honour_national,9999-12-30,,g/1\n")  # eff past 9999: Unix seconds


def test_document(tmp, log_path):
    """Every answer of every route, good and bad, against docs/openapi.json:
    its status is among the route's documented ones and its body fits the
    schema (with 3.0.3's nullable), by tests/server/openapi_check.py; HEAD of
    every GET route, OPTIONS of every path (its Allow the path's operations),
    a method a path has no operation for (405, the same Allow) and a path
    that is none of the document's (404) are answered as it says."""
    import openapi_check
    doc = openapi_check.load()
    problems = []

    def ask(srv, method, template, url, body=None, ctype=None, token=None, headers=None):
        headers = dict(headers or {})
        if ctype:
            headers["Content-Type"] = ctype
        status, h, data = srv.raw(method, url, body, headers, token=token)
        problems.extend(openapi_check.check_response(doc, method, template, status,
                                                     h.get("content-type"), data, h))
        return status, data

    srv = Server(os.path.join(tmp, "document")).start()
    try:
        with open(log_path, "rb") as f:
            ask(srv, "POST", "/events", "/events", f.read(), "text/csv")
        ask(srv, "POST", "/events", "/events", DOCUMENT_EVENTS, "text/csv")
        _, rank = ask(srv, "GET", "/rank", "/rank")
        subjects = [row["subject"] for row in json.loads(rank)["subjects"]]
        for who in subjects[:40] + ["doc-s", "nobody"]:
            quoted = urllib.parse.quote(who, safe="")
            ask(srv, "GET", "/subjects/{id}", "/subjects/" + quoted)
            ask(srv, "GET", "/subjects/{id}/record", "/subjects/%s/record" % quoted)
        ask(srv, "GET", "/subjects/{id}/record", "/subjects/doc-s/record?as_of=2025-02-03")
        for depth in range(4):
            ask(srv, "GET", "/groups", "/groups?depth=%d" % depth)
        ask(srv, "GET", "/rank", "/rank?top=3&group=lanshan")
        flags, measures = default_names()
        for name in flags + measures + ["no-such-list"]:
            ask(srv, "GET", "/lists/{name}", "/lists/" + name)
        for url in ("/report", "/report?depth=2&min_group=1", "/report?min_group=0"):
            ask(srv, "GET", "/report", url)
        for url in ("/objections", "/objections?as_of=2025-02-03", "/objections?as_of=soon",
                    "/objections?as_of=2000-01-01"):
            ask(srv, "GET", "/objections", url)
        for template in ("/healthz", "/metrics", "/openapi.json"):
            ask(srv, "GET", template, template)
            ask(srv, "GET", template, template + "?x=%00")      # a bad request target
        for url in ("/subjects/x?as_of=soon", "/subjects/%FF", "/subjects/" + "z" * 129):
            ask(srv, "GET", "/subjects/{id}", url)
        # bad batches: a bad line (400 with the report), a conflict (409), an
        # unreadable JSON array (400, the error alone), a multipart body (415)
        ask(srv, "POST", "/events", "/events", b"id,subject,type,ts\nq1,s1,nope,2025-01-01\n",
            "text/csv")
        ask(srv, "POST", "/events", "/events", b"id,subject,type,ts\nd3,doc-s,recycling,2025-02-01\n",
            "text/csv")
        ask(srv, "POST", "/events", "/events", b'[{"id": 1', "application/json")
        ask(srv, "POST", "/events", "/events", b"--x\r\n", "multipart/form-data; boundary=x")
        # a transfer coding that cannot be read (501), with the connection closed
        ask(srv, "POST", "/events", "/events", b"x", None, headers={"Transfer-Encoding": "gzip"})
        ask(srv, "POST", "/compact", "/compact")
        ask(srv, "POST", "/purge", "/purge?before=2030-01-01&future=yes")
        ask(srv, "POST", "/purge", "/purge?before=soon")
        ask(srv, "GET", "/subjects/{id}", "/subjects/doc-s?as_of=2029-01-01")   # 410
        # HEAD of every GET route, OPTIONS of every path, methods a path has
        # no operation for (405 with Allow), paths that are none of its (404)
        for template, url in (("/subjects/{id}", "/subjects/doc-s"),
                              ("/subjects/{id}", "/subjects/doc-s?as_of=soon"),
                              ("/subjects/{id}", "/subjects/doc-s?as_of=2029-01-01"),
                              ("/subjects/{id}/record", "/subjects/doc-s/record"),
                              ("/groups", "/groups?depth=2"), ("/rank", "/rank?top=1"),
                              ("/lists/{name}", "/lists/dishonest"),
                              ("/lists/{name}", "/lists/no-such-list"),
                              ("/objections", "/objections"), ("/report", "/report"),
                              ("/healthz", "/healthz"), ("/metrics", "/metrics"),
                              ("/openapi.json", "/openapi.json")):
            ask(srv, "HEAD", template, url)
        for template, item in doc["paths"].items():
            url = template.replace("{id}", "doc-s").replace("{name}", "dishonest")
            ask(srv, "OPTIONS", template, url)
            for method in ("PUT", "DELETE", "PATCH", "GET" if "post" in item else "POST"):
                ask(srv, method, template, url)
        for url in ("/nowhere", "/subjects/", "/lists/", "/events/x", "/Rank"):
            for method in ("GET", "HEAD", "POST", "OPTIONS"):
                ask(srv, method, None, url)
    finally:
        srv.stop()
    tokens = harness.make_tokens(ARGS.server, os.path.join(tmp, "document-tokens"),
                                 [("viewer", "read", "viewer-0123456789-token")])
    srv = harness.Server(ARGS.server, None, ["--tokens", tokens]).start()
    try:
        ask(srv, "GET", "/rank", "/rank", token="")                            # 401
        ask(srv, "GET", "/rank", "/rank", token="wrong-0123456789-token")      # 401
        ask(srv, "GET", "/objections", "/objections", token="")                # 401
        ask(srv, "GET", "/objections", "/objections", token="viewer-0123456789-token")
        ask(srv, "POST", "/events", "/events", b"id,subject,type,ts\n", "text/csv",
            token="viewer-0123456789-token")                                   # 403
        ask(srv, "GET", "/metrics", "/metrics", token="viewer-0123456789-token")  # 403
        ask(srv, "GET", "/healthz", "/healthz", token="")
        ask(srv, "OPTIONS", "/rank", "/rank", token="")                        # no token
        ask(srv, "OPTIONS", "/purge", "/purge", token="")
    finally:
        srv.stop()
    for p in problems[:20]:
        print("  " + p, file=sys.stderr)
    check(not problems, "every answer fits docs/openapi.json (%d do not)" % len(problems))


CORRECTED_EVENTS = (b"id,subject,type,ts,ref\n"
                    b"k1,corr-s,court_defaulter,2025-01-05,\n"     # ceiling and freeze: corrected
                    b"k2,corr-s,drunk_driving,2025-01-10,\n"      # ceiling: corrected after T
                    b"c1,corr-s,correct,2025-03-01,k1\n"          # not a rule event
                    b"k3,corr-s,dispute_mediation,2025-03-05,\n"  # not corrected
                    b"c2,corr-s,correct,2025-06-01,k2\n")


def test_corrected(tmp):
    """A record entry's `corrected`: when the earliest correction dated at or
    before the as-of time lifted a rule event's ceiling and freeze, null
    otherwise (a correction after the as-of time is not seen) and for other
    kinds; the score's ceiling is then the lowest of the active entries whose
    `corrected` is null; every entry key is one docs/openapi.json declares."""
    import openapi_check
    doc = openapi_check.load()
    declared = set(doc["components"]["schemas"]["Entry"]["properties"])
    srv = Server(os.path.join(tmp, "corrected")).start()
    try:
        status, _ = srv.post(CORRECTED_EVENTS)
        check(status == 200, "corrections posted: %s" % status)
        for as_of, want, ceiling in (
                ("2025-04-01", {"k1": "2025-03-01T00:00:00+08:00", "k2": None, "c1": None,
                                "k3": None}, 850),
                ("2025-06-01", {"k1": "2025-03-01T00:00:00+08:00",
                                "k2": "2025-06-01T00:00:00+08:00", "c1": None, "k3": None,
                                "c2": None}, None),
                ("2025-02-28T23:59:59", {"k1": None, "k2": None}, 599)):
            url = "/subjects/corr-s/record?as_of=" + as_of
            status, h, data = srv.raw("GET", url)
            problems = openapi_check.check_response(doc, "GET", "/subjects/{id}/record", status,
                                                    h.get("content-type"), data)
            check(status == 200 and not problems, "record at %s fits the document: %s %s"
                  % (as_of, status, problems))
            rec = json.loads(data)
            got = {e["id"]: e.get("corrected", "absent") for e in rec["entries"]}
            check(got == want, "corrected at %s: %s, not %s" % (as_of, got, want))
            undeclared = {k for e in rec["entries"] for k in e} - declared
            check(not undeclared, "entry keys the document does not declare: %s" % undeclared)
            lowest = [e["ceiling"] for e in rec["entries"] if e["state"] == "active"
                      and e.get("ceiling") is not None and e.get("corrected") is None]
            _, row = srv.get("/subjects/corr-s", as_of=as_of)
            check(row.get("ceiling") == ceiling and (min(lowest) if lowest else None) == ceiling,
                  "ceiling at %s: %s, the uncorrected entries' %s, not %s"
                  % (as_of, row.get("ceiling"), lowest, ceiling))
    finally:
        srv.stop()


# ---------------------------------------------------------------- 4. crash rounds

SIZES = [1, 3, 40, 400, 16000]


def start_fails(data, extra=(), cwd=None):
    """Run the server on data expecting it to refuse to start: (exit code, output)."""
    cmd = [os.path.abspath(ARGS.server), "--port", "0", "--data", os.path.abspath(data)] + list(extra)
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=20, cwd=cwd)
    except subprocess.TimeoutExpired:
        return 0, "the server started and kept running"
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def ids_held(srv, subject):
    status, rec = srv.request("GET", "/subjects/%s/record" % subject)
    return {e["id"] for e in rec.get("entries", [])} if status == 200 else set()


def test_upgrade_from_the_1_0_built_in_scheme(tmp):
    """A 1.0 service run without --rules scored under 1.0's built-in scheme,
    which 1.1 revised: its data directory is refused under 1.1's built-in
    rules naming community-1.0.toml, which keeps its answers (the advice was
    --rescore alone, which changes them); with that file it starts."""
    data = os.path.join(tmp, "from-1.0")
    old = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                       "examples", "data", "community-1.0.toml")
    srv = harness.Server(ARGS.server, data, ["--rules", old])
    srv.start()
    try:
        status, _ = srv.request("POST", "/events", b"id,subject,type,ts\nv1,s1,volunteer_hour,"
                                b"2025-01-01\n", "text/csv")
        check(status == 200, "upgrade: posted under the 1.0 scheme")
    finally:
        srv.stop()
    code, out = start_fails(data)
    check(code == 2 and "libcivic 1.0's built-in scheme" in out and
          "--rules community-1.0.toml" in out and "CIVIC_SNAPSHOT_OTHER_RULES" not in out,
          "upgrade: a 1.0 built-in directory names community-1.0.toml: %d %s" % (code, out))
    srv = harness.Server(ARGS.server, data, ["--rules", old])
    srv.start()
    try:
        status, _ = srv.request("GET", "/subjects/s1")
        check(status == 200, "upgrade: the directory opens under community-1.0.toml (%s)" % status)
    finally:
        srv.stop()


def revised_scheme(tmp, name, honours):
    """A scheme and its revisions, tmp/NAME-KEY.toml for each (KEY, points of
    an honour) of honours (None: no honour rule), and the data directory
    tmp/NAME holding two honours of s1 posted under "old" (a clean stop: both
    in the snapshot).  Returns (data, {KEY: path})."""
    data = os.path.join(tmp, name)
    rules = {}
    for key, points in honours:
        rules[key] = os.path.join(tmp, "%s-%s.toml" % (name, key))
        with open(rules[key], "w") as f:
            f.write('[scheme]\nbase = 1000\n[[grade]]\nname = "A"\n[rule.fine]\npoints = -10\n'
                    + ("" if points is None else "[rule.honour]\npoints = %d\n" % points))
    srv = harness.Server(ARGS.server, data, ["--rules", rules["old"]])
    srv.start()
    try:
        status, _ = srv.request("POST", "/events", b"id,subject,type,ts\nh1,s1,honour,2025-01-01\n"
                                b"h2,s1,honour,2025-01-02\n", "text/csv")
        check(status == 200, "%s: posted under the old rules" % name)
    finally:
        srv.stop()
    return data, rules


def test_rescore(tmp):
    """A scheme revised (an honour gives 7, not 5): the data directory of the
    old rules is refused under the new ones, saying what to do; --rescore
    reads it under them (s1's two honours: 1000 + 14, by hand) and rewrites
    it, so the next start needs nothing; an event the revision has no rule
    for is named, and nothing changes."""
    data, rules = revised_scheme(tmp, "rescore", (("old", 5), ("new", 7), ("none", None)))
    code, out = start_fails(data, ["--rules", rules["new"]])
    check(code == 2 and "saved under other rules" in out and "--rescore" in out and
          "CIVIC_SNAPSHOT_OTHER_RULES" not in out,  # the library's flag is no way out here
          "rescore: the old directory is refused under new rules, naming --rescore: %d %s"
          % (code, out))
    code, out = start_fails(data, ["--rules", rules["none"], "--rescore"])
    check(code == 2 and 'event "h1" does not fit these rules' in out and
          "nothing was changed" in out and "[[rule.CODE.change]]" in out,
          "rescore: an event without a rule under the revision is named: %d %s" % (code, out))
    # a purge since the last snapshot cannot be replayed under other rules: refused, saying
    # how (a clean stop under the old rules writes the snapshot, which keeps its result)
    srv = harness.Server(ARGS.server, data, ["--rules", rules["old"]])
    srv.start()
    try:
        status, _ = srv.request("POST", "/purge?before=2000-01-01")
        check(status == 200, "rescore: a purge under the old rules (%s)" % status)
    finally:
        srv.stop(signal.SIGKILL)
    code, out = start_fails(data, ["--rules", rules["new"], "--rescore"])
    check(code == 2 and "a purge made under other rules" in out and "SIGTERM" in out,
          "rescore: a journal's purge of the old rules is refused: %d %s" % (code, out))
    srv = harness.Server(ARGS.server, data, ["--rules", rules["old"]])
    srv.start()
    srv.stop()
    for extra in (["--rescore"], []):
        srv = harness.Server(ARGS.server, data, ["--rules", rules["new"]] + extra)
        srv.start()
        try:
            status, body = srv.request("GET", "/subjects/s1?as_of=2025-02-01")
            check(status == 200 and body.get("score") == 1014,
                  "rescore: the events counted under the new rules %s: %s %s"
                  % (extra, status, body))
        finally:
            srv.stop()
        check(not extra or "rescored 2 events" in srv.output(),
              "rescore: the start-up says what it did: %s" % srv.output())
    # --rescore again, the directory written under these rules now: it
    # rewrote every event and said "rescored 2 events under ..."; nothing
    # to rescore, said so, and both files left as they are (their inodes:
    # a rewrite renames new files into place)
    def inodes():
        return [os.stat(os.path.join(data, n)).st_ino for n in ("snapshot.civic", "journal.civic")]
    before = inodes()
    srv = harness.Server(ARGS.server, data, ["--rules", rules["new"], "--rescore"])
    srv.start()
    try:
        during = inodes()
        status, body = srv.request("GET", "/subjects/s1?as_of=2025-02-01")
    finally:
        srv.stop()
    check(status == 200 and body.get("score") == 1014 and during == before
          and "civic-server: --rescore: the data directory is already written under these "
              "rules: nothing to rescore\n" in srv.output()
          and "rescored" not in srv.output(),
          "rescore: a directory already under these rules is not rewritten, and said so: "
          "%s %s %s %s %s" % (status, body, before, during, srv.output()))
    # a directory made now holds nothing written under any rules
    fresh = harness.Server(ARGS.server, os.path.join(tmp, "rescore-fresh"), ["--rescore"])
    fresh.start()
    fresh.stop()
    check("civic-server: --rescore: the data directory holds no events yet: nothing to "
          "rescore\n" in fresh.output() and "already written" not in fresh.output(),
          "rescore: a new directory is said to hold no events yet: %s" % fresh.output())


def test_rescore_that_fails_changes_nothing(tmp):
    """A --rescore whose compaction fails (a file size limit: the snapshot
    cannot be written, "File too large") or that is killed before the
    snapshot lands (tests/server/killrename.c: SIGKILL at its rename)
    leaves the directory as it was: both files byte for byte, and a plain
    start under the old rules opens it (s1's three honours: 1000 + 15, by
    hand).  The journal named the new rules as soon as it was read under
    them: neither rules opened the directory then.  Standard error said
    only the compaction's error: it says that the rescore was not done and
    that nothing was changed, as other refused starts do.  Then --rescore
    goes through (1000 + 21).  A compaction that fails after the snapshot
    landed (killrename.c: the fresh journal's rename fails, ENOSPC) does
    not say that: the snapshot is of the new rules, so it says what to do;
    --rescore again goes through."""
    data, rules = revised_scheme(tmp, "rescore-fails", (("old", 5), ("new", 7)))
    srv = harness.Server(ARGS.server, data, ["--rules", rules["old"]])
    srv.start()
    try:
        status, _ = srv.request("POST", "/events", b"id,subject,type,ts\nh3,s1,honour,2025-01-03\n",
                                "text/csv")
        check(status == 200, "rescore fails: posted under the old rules, into the journal")
    finally:
        srv.stop(signal.SIGKILL)  # h3 in the journal alone

    def files():
        out = {}
        for n in ("snapshot.civic", "journal.civic"):
            with open(os.path.join(data, n), "rb") as f:
                out[n] = f.read()
        return out

    def limit():  # a write past 64 bytes fails (EFBIG; the server ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    before = files()
    check(len(before["snapshot.civic"]) > 64,
          "rescore fails: the snapshot is larger than the limit (%d bytes)"
          % len(before["snapshot.civic"]))
    cmd = [os.path.abspath(ARGS.server), "--port", "0", "--data", os.path.abspath(data),
           "--rules", rules["new"], "--rescore"]
    so = build_shim(tmp, "server/killrename")
    for how in ("error", "killed") if so else ("error",):
        if how == "error":
            p = subprocess.run(cmd, capture_output=True, timeout=20, preexec_fn=limit)
        else:
            env = dict(os.environ, LD_PRELOAD=so, CIVIC_KILL_RENAME="/snapshot.civic")
            p = subprocess.run(cmd, capture_output=True, timeout=20, env=env)
        out = (p.stdout + p.stderr).decode(errors="replace")
        check(p.returncode == 2 and "compaction" in out and "File too large" in out
              if how == "error" else p.returncode == -signal.SIGKILL,
              "rescore fails (%s): as the test means it to: %d %s" % (how, p.returncode, out))
        check(how != "error" or ("the rescore was not done, and nothing was changed" in out
                                 and "start again with --rescore" in out),
              "rescore fails (%s): standard error says nothing was changed: %s" % (how, out))
        check(files() == before, "rescore fails (%s): both files are as they were" % how)
        srv = harness.Server(ARGS.server, data, ["--rules", rules["old"]])
        try:
            srv.start()
            status, body = srv.request("GET", "/subjects/s1?as_of=2025-02-01")
            check(status == 200 and body.get("score") == 1015,
                  "rescore fails (%s): the old rules open the directory as before: %s %s"
                  % (how, status, body))
        except RuntimeError as e:
            check(False, "rescore fails (%s): the old rules open the directory as before: %s"
                  % (how, e))
        finally:
            srv.stop(signal.SIGKILL)  # no compaction at the stop: the files stay as they were
        check(files() == before, "rescore fails (%s): the old rules' start changed nothing" % how)
    rescore_goes_through(data, rules["new"], 1021, "rescore fails: then --rescore goes through")
    if not so:
        return
    data, rules = revised_scheme(tmp, "rescore-half", (("old", 5), ("new", 7)))
    before = files_of(data)
    env = dict(os.environ, LD_PRELOAD=so, CIVIC_FAIL_RENAME="/journal.civic")
    p = subprocess.run([os.path.abspath(ARGS.server), "--port", "0", "--data",
                        os.path.abspath(data), "--rules", rules["new"], "--rescore"],
                       capture_output=True, timeout=20, env=env)
    out = (p.stdout + p.stderr).decode(errors="replace")
    after = files_of(data)
    check(p.returncode == 2 and "No space left" in out
          and "nothing was changed" not in out and "the rescore was not completed" in out
          and after["snapshot.civic"] != before["snapshot.civic"],
          "rescore half done: the snapshot landed, the journal did not, and standard error says "
          "so: %d %s" % (p.returncode, out))
    rescore_goes_through(data, rules["new"], 1014,
                         "rescore half done: --rescore again goes through")


def rescore_goes_through(data, rules, score, what):
    """A start on data under rules with --rescore, after a failed one: s1's
    score on 2025-02-01 is then `score` points."""
    srv = harness.Server(ARGS.server, data, ["--rules", rules, "--rescore"])
    srv.start()
    try:
        status, body = srv.request("GET", "/subjects/s1?as_of=2025-02-01")
        check(status == 200 and body.get("score") == score, "%s: %s %s" % (what, status, body))
    finally:
        srv.stop()


def files_of(data):
    """{name: bytes} of data's snapshot.civic and journal.civic."""
    out = {}
    for n in ("snapshot.civic", "journal.civic"):
        with open(os.path.join(data, n), "rb") as f:
            out[n] = f.read()
    return out

def test_snapshot_not_a_file(tmp):
    """A FIFO (or a directory) as DIR/snapshot.civic stops the start-up with
    a message; a FIFO had it wait for a writer, saying nothing."""
    for kind in ("fifo", "dir"):
        data = os.path.join(tmp, "snap-" + kind)
        os.mkdir(data)
        path = os.path.join(data, "snapshot.civic")
        os.mkfifo(path) if kind == "fifo" else os.mkdir(path)
        open(os.path.join(data, "journal.civic"), "wb").close()  # an empty journal is fine
        code, out = start_fails(data)
        check(code != 0 and "snapshot.civic is not a regular file" in out,
              "a %s as the snapshot stops the start-up: %d %r" % (kind, code, out))


def test_snapshot_missing_beside_its_journal(tmp):
    """snapshot.civic missing beside a journal that a compaction started:
    nothing in the journal tells it from a fresh directory's first, so the
    start-up goes on from the journal alone, but warns, saying what to do
    before the next compaction writes a snapshot without the lost one's
    events.  (It started silently, and its clean stop wrote the smaller
    snapshot.)  A first start, and a start beside the snapshot, say
    nothing of it."""
    data = os.path.join(tmp, "snap-missing")
    warning = "warning: there is no snapshot.civic beside journal.civic"
    srv = Server(data).start()
    check(warning not in srv.output(), "snapshot missing: not at a first start: %r"
          % srv.output())
    srv.post("id,subject,type,ts\nsm1,sm,recycling,2025-03-01\nsm2,sm,recycling,2025-03-02\n")
    check(srv.stop(signal.SIGTERM) == 0, "snapshot missing: a clean stop compacts")
    srv = Server(data).start()
    check(warning not in srv.output(), "snapshot missing: not beside the snapshot: %r"
          % srv.output())
    srv.post("id,subject,type,ts\nsm3,sm,recycling,2025-03-03\n")
    srv.stop(signal.SIGKILL)
    os.rename(os.path.join(data, "snapshot.civic"), os.path.join(tmp, "snap-missing.backup"))
    srv = Server(data).start()
    out = srv.output()
    check(warning in out and "starting from the journal alone (1 event)" in out
          and "restore snapshot.civic from a backup" in out and "SIGKILL" in out,
          "snapshot missing: the start-up warns, saying what to do: %r" % out)
    srv.stop(signal.SIGKILL)
    os.rename(os.path.join(tmp, "snap-missing.backup"), os.path.join(data, "snapshot.civic"))
    srv = Server(data).start()  # as the warning says: the backup restored, nothing lost
    check(ids_held(srv, "sm") == {"sm1", "sm2", "sm3"},
          "snapshot missing: restored, every event is back: %s" % sorted(ids_held(srv, "sm")))
    srv.stop()


def test_damaged_snapshot(tmp):
    """A damaged snapshot.civic stops the start-up, naming the damage, and
    says what to do, as a damaged journal's refusal does: nothing was
    changed, restore it from a backup, leave the journal, and no option
    goes past it.  (It named the damage alone.)"""
    data = os.path.join(tmp, "snap-damaged")
    srv = Server(data).start()
    srv.post("id,subject,type,ts\nsd1,sd,recycling,2025-03-01\nsd2,sd,recycling,2025-03-02\n")
    check(srv.stop(signal.SIGTERM) == 0, "damaged snapshot: a clean stop writes the snapshot")
    path = os.path.join(data, "snapshot.civic")
    with open(path, "r+b") as f:
        f.seek(60)  # in the first block of events
        byte = f.read(1)[0]
        f.seek(60)
        f.write(bytes([byte ^ 0x20]))
    before = {n: open(os.path.join(data, n), "rb").read() for n in os.listdir(data)}
    code, out = start_fails(data)
    check(code == 2 and "snapshot.civic is damaged in the block at bytes" in out
          and "nothing was changed" in out and "restore it from a backup" in out
          and "leave journal.civic as it is" in out and "No option starts past" in out,
          "damaged snapshot: the refusal says what to do: %d %r" % (code, out))
    after = {n: open(os.path.join(data, n), "rb").read() for n in os.listdir(data)}
    check(after == before, "damaged snapshot: the refused start changed nothing")
    # emptied (cut, or restored without its contents): said so, with the same advice
    open(path, "wb").close()
    code, out = start_fails(data)
    check(code == 2 and "snapshot.civic is empty (0 bytes: cut, or restored without its "
          "contents)" in out and " is damaged" not in out and "restore it from a backup" in out,
          "empty snapshot: said empty, with what to do: %d %r" % (code, out))


def test_1_0_event_past_the_bound(tmp):
    """A 1.0 data directory holding an event past this version's bound on one
    event's points is refused, left as it is, and the refusal says how a
    service goes on (the library's message speaks of loading events again)."""
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "fixtures",
                            "1.0.0")
    data = os.path.join(tmp, "bound-1.0")
    os.mkdir(data)
    for name in ("snapshot", "journal"):
        shutil.copy(os.path.join(fixtures, "bound-%s.civic" % name),
                    os.path.join(data, "%s.civic" % name))
    before = {n: open(os.path.join(data, n), "rb").read() for n in os.listdir(data)}
    code, out = start_fails(data, ["--rules", os.path.join(fixtures, "bound-rules.toml")])
    # (the library message is cut to its 256 bytes by a long path: "pass 2^60" stays)
    check(code == 2 and "pass 2^60" in out and "nothing was changed" in out and
          "--rescore" in out and "POST /events" in out,
          "bound: a 1.0 event past the bound is refused, naming the ways on: %d %s" % (code, out))
    after = {n: open(os.path.join(data, n), "rb").read() for n in os.listdir(data)}
    check(after == before, "bound: the refused directory is left as it was")


def two_batches_killed(data, small, big, count, what):
    """Starts a server on data, stores 3 events of `small` and then a batch
    of `count` events of `big` (50 residents), kills it with SIGKILL and
    returns the journal's path, its bytes and its records' (offset, flags)."""
    srv = Server(data).start()
    status, _ = srv.post("id,subject,type,ts\n" + "".join(
        "%s-%d,%s,recycling,2025-03-01\n" % (small, i, small) for i in range(3)))
    check(status == 200, "%s: the small batch: %s" % (what, status))
    status, _ = srv.post("id,subject,type,ts\n" + "".join(
        "%s-%d,%s%d,recycling,2025-03-02\n" % (big, i, big, i % 50) for i in range(count)))
    check(status == 200, "%s: the batch of %d: %s" % (what, count, status))
    srv.stop(signal.SIGKILL)
    journal = os.path.join(data, "journal.civic")
    with open(journal, "rb") as f:
        raw = bytearray(f.read())
    records, off = [], 32
    while off + 24 <= len(raw):
        flags, length = struct.unpack_from("<I4xI", raw, off + 4)
        records.append((off, flags))
        off += 24 + length
    check(off == len(raw), "%s: the journal ends with its last record: %s" % (what, records))
    return journal, raw, records


def test_torn_tail_holding_an_intact_record(tmp):
    """A byte flipped in the first of a batch's two records, in a journal
    synced and left: the start-up cuts the batch as a torn tail, as a crash
    can leave one so, but its second record is intact, as damage to a batch
    written whole leaves it too: the whole file is kept as
    journal.civic.damaged.<time> first, and the start-up names it."""
    data = os.path.join(tmp, "torn-copy")
    journal, raw, records = two_batches_killed(data, "tc", "tb", 40000, "torn copy")
    check([f & 3 for _, f in records[-3:]] == [3, 1, 2],
          "a batch of one record, then one of two (FIRST, COMMIT): %s" % records)
    raw[records[-2][0] + 24 + 1000] ^= 0x04   # in the big batch's first record
    with open(journal, "wb") as f:
        f.write(raw)
    srv = Server(data).start()
    held = ids_held(srv, "tc")
    check(held == {"tc-%d" % i for i in range(3)} and not ids_held(srv, "tb0"),
          "the batch before the damage stays, the damaged one is cut: %s" % sorted(held))
    copies = [n for n in os.listdir(data) if n.startswith("journal.civic.damaged.")]
    check(len(copies) == 1, "a copy of the journal was kept: %s" % copies)
    out = srv.output()
    check("torn bytes truncated" in out and copies and ("kept as %s" % copies[0]) in out,
          "the start-up says it cut a torn tail and names the copy: %r" % out)
    if copies:
        with open(os.path.join(data, copies[0]), "rb") as f:
            check(f.read() == bytes(raw), "the copy is the file as it was, byte for byte")
    srv.stop()


def test_whole_last_batch_failing_its_checksum(tmp):
    """A byte flipped in the journal's last batch, one record (a batch up to
    about a MiB is one), after it was acknowledged and synced: nothing
    intact follows it, as after a torn write, but it is whole in the file,
    which a crash in a write does not leave.  The start-up still cuts it
    (a power cut may leave it so too), but keeps journal.civic.damaged.<time>
    first and says what was cut and where the copy is.  (It said "3000 torn
    bytes truncated", kept nothing, and the next clean stop made the loss
    final.)  A batch cut short, as a crash leaves it, is said as before."""
    data = os.path.join(tmp, "whole-last")
    journal, raw, records = two_batches_killed(data, "wl", "wb", 3000, "whole last")
    check(len(records) == 2, "whole last: two batches of one record each: %s" % records)
    raw[records[-1][0] + 24 + 1000] ^= 0x04
    with open(journal, "wb") as f:
        f.write(raw)
    srv = Server(data).start()
    out = srv.output()
    held = ids_held(srv, "wl")
    check(held == {"wl-%d" % i for i in range(3)} and not ids_held(srv, "wb0"),
          "whole last: the batch before stays, the damaged one is cut: %s" % sorted(held))
    copies = [n for n in os.listdir(data) if n.startswith("journal.civic.damaged.")]
    check(len(copies) == 1, "whole last: a copy of the journal was kept: %s" % copies)
    check("whole in the file but failed its checks" in out and "power cut" in out
          and "torn bytes" not in out and copies and ("kept as %s)" % copies[0]) in out,
          "whole last: the start-up says the cut record was whole and names the copy: %r" % out)
    if copies:
        with open(os.path.join(data, copies[0]), "rb") as f:
            check(f.read() == bytes(raw), "whole last: the copy is the file byte for byte")
        os.unlink(os.path.join(data, copies[0]))
    status, _ = srv.post("id,subject,type,ts\n" + "".join(
        "wc-%d,wc%d,recycling,2025-03-03\n" % (i, i % 50) for i in range(3000)))
    check(status == 200, "whole last: another batch of 3000: %s" % status)
    srv.stop(signal.SIGKILL)
    with open(journal, "rb") as f:
        raw = f.read()
    with open(journal, "wb") as f:
        f.write(raw[:-500])  # cut short, as a crash in its write leaves it
    srv = Server(data).start()
    out = srv.output()
    check("torn bytes truncated)" in out and "whole in the file" not in out
          and not [n for n in os.listdir(data) if n.startswith("journal.civic.damaged.")],
          "whole last: a batch cut short is a torn tail, no copy: %r" % out)
    srv.stop()


def test_journal_damage(tmp):
    """Issue 17, findings 2 and 3: a byte flipped in the middle of the journal
    stops the start-up (nothing truncated) unless --recover is given, which
    keeps a copy; so does a journal missing beside its snapshot; temporary
    files left by a killed compaction are removed at start-up."""
    data = os.path.join(tmp, "damage")
    srv = Server(data).start()
    for b in range(3):
        srv.post("id,subject,type,ts\n" + "".join(
            "dm%d-%d,dm,recycling,2025-03-%02d\n" % (b, i, b + 1) for i in range(5)))
    srv.stop(signal.SIGKILL)
    journal = os.path.join(data, "journal.civic")
    with open(journal, "rb") as f:
        raw = bytearray(f.read())
    starts = [m.start() for m in re.finditer(b"CJRC", bytes(raw))]
    check(len(starts) >= 3, "three batch records in the journal: %d" % len(starts))
    at = starts[-2] + 40          # inside the second of the three batches
    raw[at] ^= 0x55
    with open(journal, "wb") as f:
        f.write(raw)
    code, out = start_fails(data)
    check(code != 0 and "damaged at byte" in out and "1 intact batch (1 record) follows it" in out
          and "--recover" in out and "what is intact after it is left out" in out
          and "CIVIC_JOURNAL_RECOVER" not in out,
          "a damaged journal stops the start-up, saying what --recover costs: %d %r"
          % (code, out))
    with open(journal, "rb") as f:
        check(f.read() == bytes(raw), "the refused start-up left the journal untouched")
    srv = Server(data, ["--recover"]).start()
    held = ids_held(srv, "dm")
    check({"dm0-%d" % i for i in range(5)} <= held and not any(x.startswith("dm2") for x in held),
          "--recover goes on from the intact prefix: %s" % sorted(held))
    check("the journal was cut at the damage" in srv.output()
          and "torn bytes" not in srv.output(),
          "--recover says it cut the journal at the damage, not a torn tail: %r" % srv.output())
    copies = [n for n in os.listdir(data) if n.startswith("journal.civic.damaged.")]
    check(len(copies) == 1, "--recover kept a copy of the damaged journal: %s" % copies)
    if copies:
        with open(os.path.join(data, copies[0]), "rb") as f:
            check(f.read() == bytes(raw), "the copy is the damaged file byte for byte")
    srv.post("id,subject,type,ts\nsnap1,dm,recycling,2025-04-01\n")
    rc = srv.stop(signal.SIGTERM)
    check(rc == 0 and os.path.exists(os.path.join(data, "snapshot.civic")),
          "SIGTERM compacts: exit %s, output %r" % (rc, srv.output()[-400:]))
    # A damaged header: --recover starts the journal anew from the snapshot
    # (it refused the same way it was told to, and named no way out), and
    # the start-up line names the copy it kept.
    srv = Server(data).start()
    srv.post("id,subject,type,ts\nhb1,dm,recycling,2025-04-02\n")
    srv.stop(signal.SIGKILL)
    with open(journal, "r+b") as f:
        f.seek(20)
        byte = f.read(1)[0]
        f.seek(20)
        f.write(bytes([byte ^ 0x08]))
    code, out = start_fails(data)
    check(code != 0 and "header checksum mismatch" in out and "header is damaged" in out
          and "--recover" in out and "CIVIC_JOURNAL_RECOVER" not in out,
          "a damaged journal header stops the start-up, saying what --recover does: %d %r"
          % (code, out))
    srv = Server(data, ["--recover"]).start()
    held = ids_held(srv, "dm")
    check("snap1" in held and "hb1" not in held,
          "--recover over a damaged header goes on from the snapshot: %s" % sorted(held))
    named = re.search(r"kept as (journal\.civic\.damaged\.[0-9.]+)\)", srv.output())
    check(named is not None and os.path.exists(os.path.join(data, named.group(1))),
          "the start-up line names the copy it kept: %r" % srv.output())
    check(srv.stop(signal.SIGTERM) == 0, "SIGTERM compacts after a recovered header")
    # A stop whose compaction fails (here a directory where the snapshot is
    # put) says so by its exit status, 3, and loses nothing: the journal
    # replays at the next start.  (It exited 0, as a clean stop does.)
    snapshot = os.path.join(data, "snapshot.civic")
    srv = Server(data).start()
    srv.post("id,subject,type,ts\nhb2,dm,recycling,2025-04-03\n")
    os.rename(snapshot, snapshot + ".keep")
    os.mkdir(snapshot)
    status, _ = srv.request("POST", "/compact")
    _, _, metrics = srv.raw("GET", "/metrics")
    check(status == 503 and b"\ncivic_compaction_failures_total 1\n" in metrics,
          "a failed compaction is counted in /metrics: %s %r" % (status, metrics[-300:]))
    code = srv.stop(signal.SIGTERM)
    check(code == 3 and "compaction" in srv.output(),
          "a stop whose compaction failed exits 3, saying why: %r %r" % (code, srv.output()))
    os.rmdir(snapshot)
    os.rename(snapshot + ".keep", snapshot)
    srv = Server(data).start()
    check({"snap1", "hb2"} <= ids_held(srv, "dm"),
          "what a failed last compaction left in the journal replays")
    check(srv.stop(signal.SIGTERM) == 0, "SIGTERM compacts again")
    # A journal.civic that is a symbolic link: the copy is kept beside the
    # file it leads to, and the start-up line names it there (it named none).
    linked, elsewhere = os.path.join(tmp, "linked"), os.path.join(tmp, "elsewhere")
    os.makedirs(elsewhere)
    srv = Server(linked).start()
    srv.post("id,subject,type,ts\nln1,ln,recycling,2025-04-04\n")
    srv.stop(signal.SIGKILL)
    target = os.path.join(elsewhere, "j.civic")
    os.rename(os.path.join(linked, "journal.civic"), target)
    os.symlink(os.path.relpath(target, linked), os.path.join(linked, "journal.civic"))
    with open(target, "r+b") as f:
        f.seek(20)
        byte = f.read(1)[0]
        f.seek(20)
        f.write(bytes([byte ^ 0x08]))
    srv = Server(linked, ["--recover"]).start()
    named = re.search(r"kept as (\S+)\)", srv.output())
    check(named is not None and named.group(1).startswith(os.path.realpath(elsewhere) + "/j.civic.damaged.")
          and os.path.exists(named.group(1)) and "cut at the damage" in srv.output(),
          "a linked journal's copy is named where it is: %r" % srv.output())
    check(srv.stop(signal.SIGTERM) == 0 and os.path.islink(os.path.join(linked, "journal.civic")),
          "the link is kept")
    # A snapshot without its journal: acknowledged batches may be missing.
    os.remove(journal)
    code, out = start_fails(data)
    check(code != 0 and "no journal.civic" in out and "--recover" in out,
          "a missing journal beside the snapshot stops the start-up: %d %r" % (code, out))
    check(not os.path.exists(journal), "the refused start-up created no journal")
    # An empty one is as missing: the library never leaves a journal without
    # its header (it creates one whole and renames it), so its batches are lost
    open(journal, "wb").close()
    code, out = start_fails(data)
    check(code != 0 and "journal.civic is empty" in out and "--recover" in out,
          "an empty journal beside the snapshot stops the start-up: %d %r" % (code, out))
    check(os.path.getsize(journal) == 0, "the refused start-up left the empty journal as it was")
    os.remove(journal)
    # A start-up error is one line that names the file once, in the
    # library's words, without the status's generic ones after them.
    missing = os.path.join(tmp, "no-such-rules.toml")
    code, out = start_fails(data, ["--rules", missing])
    check(code != 0 and out.count(missing) == 1 and "No such file" in out
          and "input/output error" not in out and len(out.strip().splitlines()) == 1,
          "a rules file that cannot be opened: one line naming it: %d %r" % (code, out))
    # a rules file whose name is a word of the message is still named
    with open(os.path.join(tmp, "scheme"), "w") as f:
        f.write("[scheme]\nbse = 1\n")
    code, out = start_fails(data, ["--rules", "scheme"], cwd=tmp)
    check(code != 0 and out.startswith("civic-server: scheme: line 2, column 1: unknown key"),
          "a bad rules file is named before the message: %d %r" % (code, out))
    # What a compaction killed before its rename leaves behind.
    for name in ("snapshot.civic.tmp.civic.Ab12Cd", "journal.civic.tmp.civic.x9Y8z7"):
        with open(os.path.join(data, name), "wb") as f:
            f.write(b"half a file")
    with open(os.path.join(data, "snapshot.civic.tmp.civic.keep"), "wb") as f:
        f.write(b"not ours: the name is not a temporary one")
    # Named as libcivic 1.0 named them: a leftover goes (empty, a snapshot
    # cut short), an operator's copy of the snapshot and a file of other
    # content stay (the copy was deleted)
    with open(os.path.join(data, "snapshot.civic"), "rb") as f:
        snap_bytes = f.read()
    for name, content in (("snapshot.civic.tmp.Ef34Gh", b""),
                          ("snapshot.civic.tmp.Pa12Rt", snap_bytes[:60]),
                          ("snapshot.civic.tmp.backup", snap_bytes),
                          ("journal.civic.tmp.notes1", b"half a file")):
        with open(os.path.join(data, name), "wb") as f:
            f.write(content)
    srv = Server(data, ["--recover"]).start()
    try:
        check("snap1" in ids_held(srv, "dm"), "--recover starts from the snapshot alone")
        check("created an empty journal.civic beside snapshot.civic" in srv.output(),
              "--recover says it created the missing journal: %r" % srv.output())
        left = sorted(n for n in os.listdir(data) if ".tmp." in n)
        check(left == ["journal.civic.tmp.notes1", "snapshot.civic.tmp.backup",
                       "snapshot.civic.tmp.civic.keep"],
              "stale temporary files removed, a copy kept: %s" % left)
        with open(os.path.join(data, "snapshot.civic.tmp.backup"), "rb") as f:
            check(f.read() == snap_bytes, "the copy of the snapshot is kept whole")
        check("removed 4 stale temporary files" in srv.output(),
              "the start-up says what it removed: %r" % srv.output())
    finally:
        srv.stop()
    for name in ("journal.civic.tmp.notes1", "snapshot.civic.tmp.backup"):
        os.remove(os.path.join(data, name))
    # A first compaction killed before its rename: no snapshot.civic yet, so
    # no call of the library opens its path and sweeps; the server's own
    # sweep removes them at start (it took a write lock on a file opened to
    # read, which always failed: they stayed until the first compaction)
    first = os.path.join(tmp, "first-compaction")
    os.mkdir(first, 0o700)
    for name, content in (("snapshot.civic.tmp.civic.AbC123", b"half a snapshot"),
                          ("snapshot.civic.tmp.abcdef", b"")):
        with open(os.path.join(first, name), "wb") as f:
            f.write(content)
    srv = Server(first, []).start()
    try:
        left = sorted(n for n in os.listdir(first) if ".tmp." in n)
        check(left == [], "a first compaction's leftovers removed at start: %s" % left)
        check("removed 2 stale temporary files" in srv.output(),
              "the start-up says what it removed: %r" % srv.output())
    finally:
        srv.stop()


def batch_body(name, n, rng):
    lines = ["id,subject,type,ts,qty,group"]
    for i in range(n):
        lines.append("%s-%d,%s,volunteer_hour,2025-%02d-%02d,%d,crash/%s" % (
            name, i, name, rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 3),
            name[-1]))
    return ("\n".join(lines) + "\n").encode()


def client(srv, prefix, rng, acked, attempted, stop):
    k = 0
    while not stop.is_set():
        name = "%s-b%d" % (prefix, k)
        size = rng.choice(SIZES)
        attempted[name] = size
        try:
            status, rep = srv.post(batch_body(name, size, rng))
        except (OSError, ValueError, http.client.HTTPException):
            return
        if status == 200 and rep["accepted"] == size:
            acked[name] = size
        k += 1


def verify_batches(srv, acked, attempted):
    ok = True
    for name, size in attempted.items():
        status, s = srv.get("/subjects/" + name, as_of="9999-12-31")
        n = s["events"] if status == 200 else 0
        if name in acked:
            ok &= check(n == size, "acknowledged batch %s: %d of %d events" % (name, n, size))
        else:
            ok &= check(n in (0, size), "unacknowledged batch %s half-applied: %d of %d" % (
                name, n, size))
    return ok


def test_crash_rounds(data, rounds, seed):
    rng = random.Random(seed)
    acked, attempted = {}, {}
    extra = ["--compact-every", "1", "--threads", "4"]
    torn = []
    for r in range(rounds):
        srv = Server(data, extra).start()
        m = re.search(r"(\d+) torn bytes truncated", srv.output())
        torn.append(int(m.group(1)) if m else 0)
        check(verify_batches(srv, acked, attempted), "round %d: state after restart" % r)
        stop = threading.Event()
        threads = [threading.Thread(target=client, daemon=True,
                                    args=(srv, "r%dc%d" % (r, c), random.Random(rng.random()),
                                          acked, attempted, stop))
                   for c in range(3)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 2.0))
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        if r % 2 == 1:
            # A write torn by a power cut: the start of a record, then garbage.
            with open(os.path.join(data, "journal.civic"), "ab") as f:
                f.write(b"CJRC" + bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))))
    srv = Server(data, extra).start()
    m = re.search(r"(\d+) torn bytes truncated", srv.output())
    torn.append(int(m.group(1)) if m else 0)
    try:
        check(verify_batches(srv, acked, attempted), "final state after %d kills" % rounds)
        print("crash rounds: %d kills, %d batches acknowledged (%d events), %d attempted; "
              "torn journal bytes cut at the restarts: %s" % (
                  rounds, len(acked), sum(acked.values()), len(attempted), torn[1:]))
        check(len(acked) > rounds, "the clients got batches through")
        check(all(torn[i] > 0 for i in range(2, len(torn), 2)),
              "every injected torn tail was cut off at restart: %s" % torn)
    finally:
        srv.stop()


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--server", default="build/civic-server")
    p.add_argument("--cli", default="build/civic-score")
    p.add_argument("--sample", default="examples/data/sample.csv")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--seed", type=int, default=int(os.environ.get("SERVER_TEST_SEED", "1")))
    ARGS = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="civic-server-test-")
    try:
        log = sample_log()
        log_path = os.path.join(tmp, "sample.csv")
        with open(log_path, "wb") as f:
            f.write(log)
        data = os.path.join(tmp, "data")
        srv = Server(data).start()
        try:
            test_answers(srv, log, log_path)
            test_bad_requests(srv)
            test_port_in_use(srv)
        finally:
            srv.stop()
        test_start_on_a_port_taken_meanwhile()
        test_fields_match_cli(log, log_path)
        test_lists_and_report(log, log_path)
        test_ids_are_bytes_on_the_page()
        test_objections(tmp)
        test_purge(tmp)
        test_purge_removes_the_bytes(tmp)
        test_purge_compaction_owed_at_start(tmp)
        test_purge_owed_is_remembered(tmp)
        test_purge_owed_warned(tmp)
        test_write_refused_for_io(tmp)
        test_compaction_failures_limited(tmp)
        test_removed_journal_says_post_compact(tmp)
        test_renamed_journal_says_post_compact(tmp)
        test_report_while_writing(tmp)
        test_no_head_of_line_blocking(tmp)
        test_document(tmp, log_path)
        test_corrected(tmp)
        test_source_from_token(tmp)
        test_default_as_of_outruns_purges(tmp)
        test_future_dated_event(tmp)
        test_early_dated_event(tmp)
        test_late_dated_event(tmp)
        test_bare_integer_times(tmp, log_path)
        test_audit_recipe(tmp, log_path)
        test_timer_compacts_after_a_purge(tmp)
        test_term_with_a_pipelined_write(tmp)
        test_term_at_once_with_sync_group(tmp)
        test_compact_full_disk(tmp)
        test_out_of_memory_after_a_write(tmp)
        test_out_of_memory_is_503(tmp)
        test_start_without_threads(tmp)
        test_sync_none_is_not_called_durable(tmp)
        test_start_out_of_memory(tmp)
        test_limits()
        test_answer_budget()
        test_answer_address_share()
        test_restart(data, log_path)
        test_one_server_per_directory(tmp)
        test_last_grade_min_warned(tmp)
        test_scheme_slips_warned(tmp)
        test_log_given_as_rules(tmp)
        test_key_in_other_letters(tmp)
        test_column_near_a_field(tmp)
        test_curl_data_removes_line_breaks(tmp)
        test_declared_charset(tmp)
        test_overflow_says_why(tmp)
        test_snapshot_not_a_file(tmp)
        test_rescore(tmp)
        test_rescore_that_fails_changes_nothing(tmp)
        test_upgrade_from_the_1_0_built_in_scheme(tmp)
        test_damaged_snapshot(tmp)
        test_snapshot_missing_beside_its_journal(tmp)
        test_1_0_event_past_the_bound(tmp)
        test_journal_damage(tmp)
        test_torn_tail_holding_an_intact_record(tmp)
        test_whole_last_batch_failing_its_checksum(tmp)
        test_crash_rounds(os.path.join(tmp, "crash"), ARGS.rounds, ARGS.seed)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("test-server: %d failure(s)" % len(FAILURES), file=sys.stderr)
        return 1
    print("test-server: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
