#!/usr/bin/env python3
"""Differential test: civic-score (the C engine) against tests/model/civic_model.py.

Each case is a random scheme and a random event log written as rules.toml and
events.csv (or .jsonl/.ndjson, sometimes split over two files, sometimes piped
on standard input) in a scratch directory.  The CLI is run at several as-of
times (integer Unix seconds or another ts form of the same instant) and every
answer is compared with the reference model:

  - subjects      `-t T --format csv`                 (SPEC 6 contract)
  - subjects      `-t T --format json`                (every key; tiers and
                  measures at spec version 2)
  - groups        `-t T --format csv --groups D`      (SPEC 5 statistics)
  - rankings      `--top N`, `--groups D --top N`     (SPEC 5/6 ranking)
  - records       `--explain SUBJECT` in csv and json (SPEC 4/10.6 record:
                  states, raw, counted, marks, end, eff, from, act, source,
                  merged_with, to_balance, corrected, archived count)
  - lists         `--list NAME` in csv and json       (SPEC 11.3; a name that
                  is neither a flag nor a measure: exit status 1)
  - what-if       `--compare NEW-RULES [--changed]`   (SPEC 11.4; a second
                  random scheme over the same rule codes)
  - bad input     exit status 2; then `--lenient` answers over the good lines.

Cases are version-1 cases (SPEC 2-8 only: every output must have the exact
layout of civic-score 1.0.0) or version-2 cases (a random subset of the
features of SPEC 9-11, possibly empty, and the --list/--compare questions).
Layouts follow the lead's interface notes: at spec version 2 the record gains
the columns eff,from,act,source,merged_with,frozen,contested,floored,to_balance,
corrected and the JSON gains archived/tiers/measures.

    python3 tests/difftest.py                    # 1000 cases, seed 1
    python3 tests/difftest.py --seed 42 --cases 1 # reproduce case 42 alone
    python3 tests/difftest.py --long 600          # run for ten minutes
    python3 tests/difftest.py --keep /tmp/cases   # keep every case on disk
    python3 tests/difftest.py --v1-only           # only version-1 cases
    python3 tests/difftest.py --v2                # only version-2 cases

Case k of a run with --seed S is generated from seed S+k alone (and the
--v1-only/--v2 switch), so a failing case is reproduced with
`--seed S+k --cases 1` and the same switch.  On the first disagreement the
driver prints the seed, the directory of the kept case files, the command, the
subject (or group) and both answers; then it shrinks the event log to a
minimal one that still disagrees and keeps that as well (`--no-shrink` to skip).

`--cli 'python3 tests/v2/model_cli.py'` runs the whole test against the model's
own emulation of civic-score: a self-check of the generator and of the
comparison code (it must always agree).

Python 3 standard library only.
"""

import argparse
import copy
import csv
import datetime
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(HERE, "model"))
import civic_model as model  # noqa: E402

ROOT = os.path.dirname(HERE)
DEFAULT_CLI = os.path.join(ROOT, "build", "civic-score")

OFFSETS = ["+08:00", "+05:30", "-05:00", "+00:00", "-03:30", "+09:45", "+14:00", "-11:00"]
PERIODS = ["day", "week", "month", "quarter", "year", "lifetime"]
DIMENSIONS = ["political", "legal", "moral", "autonomy", "smart"]
RULE_CODES = ["fine", "volunteer_hour", "donation", "dog", "drunk-driving", "mediation",
              "honour", "defaulter", "repaired_default", "a1", "z-9", "litter", "x.y",
              "vote", "help_neighbour"]
CAP_NAMES = ["votes", "civic_pool", "g-2", "weekly"]
FLAGS = ["dishonest", "watch", "Zeta", "alpha", "b-flag", "ünï"]
GRADE_NAMES = ["AAA", "AA", "A", "B", "C", "D", "E", "low, very", "Ü"]
SUBJECT_NAMES = ["r1", "r2", "r10", "org-7", "s9", "Äsub", "s,comma", 'q"uote', "R1", "z z",
                 "\U0001F600x", "\uFFFDy", "~t", "ﬀ"]
GROUP_SEGMENTS = ["d1", "d2", "east", "old town", "s1", "s2", "a,b", "c1", "c2", "g7", "Ω",
                  "\U0001F3E0", "\uFFFD", "D1"]
# version 2
V2_FEATURES = ["change", "recount", "category", "severity", "act", "freeze", "correct",
               "netcap", "balance_min", "publicity", "objection", "repair_after", "retain",
               "source", "tier", "measure"]
CATEGORIES = ["traffic", "k", "noise"]
TIER_NAMES = ["volunteer_star", "t1", "Gold-tier"]
MEASURE_CODES = ["priority", "no_subsidy", "rebate", "m.x", "Watch2"]
ACTS = ["a1", "a2", "act,3", "Ä4"]
SOURCES = ["dept-a", "collector 7", "Ünï sys", "s,comma", 'q"uote', "x" * 128, ""]
SHORT_DURATIONS = ["1d", "3d", "7d", "30d", "1m", "2m", "end-of-month"]
V2_SHARE = 0.55  # share of version-2 cases when neither --v1-only nor --v2 is given


# ---------------------------------------------------------------------------
# Random scheme
# ---------------------------------------------------------------------------

def fixed_text(value_hundredths, rng=None, trailing=False):
    """Hundredths -> TOML/CSV decimal text, sometimes with trailing zeros."""
    sign = "-" if value_hundredths < 0 else ""
    whole, frac = divmod(abs(value_hundredths), 100)
    if frac == 0 and not trailing:
        return "%s%d" % (sign, whole)
    text = "%s%d.%02d" % (sign, whole, frac)
    if not trailing:
        text = text.rstrip("0")
    return text


def gen_duration(rng):
    kind = rng.choice(["forever", "d", "m", "m", "y", "end-of-month", "end-of-quarter",
                       "end-of-year"])
    if kind == "d":
        return "%dd" % rng.choice([1, 2, 7, 30, 31, 90, 365, 366, rng.randint(1, 800)])
    if kind == "m":
        return "%dm" % rng.choice([1, 1, 2, 3, 6, 12, 13, 18, rng.randint(1, 40)])
    if kind == "y":
        return "%dy" % rng.choice([1, 1, 2, 4, 5])
    return kind


def toml_string(text):
    out = []
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return '"%s"' % "".join(out)


def pick_features(rng):
    """A random subset of the version-2 features (often small or empty)."""
    p = rng.choice([0.0, 0.15, 0.3, 0.3, 0.5])
    return {f for f in V2_FEATURES if rng.random() < p}


def gen_from_text(rng, y0, span, offset_text):
    """A `from` instant of a rule change, as TOML text, and its local tuple."""
    year = y0 + rng.randint(-1, span + 1)
    month = rng.randint(1, 12)
    day = rng.choice([1, 1, 15, model.days_in_month(year, month)])
    hms = rng.choice([(0, 0, 0), (0, 0, 0), (12, 0, 0), (23, 59, 59)])
    local = (year, month, day) + hms
    form = rng.random()
    if hms == (0, 0, 0) and form < 0.5:
        text = '"%04d-%02d-%02d"' % (year, month, day)
    elif form < 0.8:
        text = '"%04d-%02d-%02dT%02d:%02d:%02d"' % local
    elif form < 0.9:
        text = str(unix_of(local, model.parse_offset(offset_text)))
    else:
        text = '"%s"' % str(unix_of(local, model.parse_offset(offset_text)))
    return text, local


def gen_ceiling(rng, base, lo, hi):
    low = lo if lo is not None else base - 100 * 500
    high = hi if hi is not None else base + 100 * 200
    ceiling = rng.randint(low, high)
    if rng.random() < 0.7:
        ceiling = max(low, min(high, ceiling // 100 * 100))
    return ceiling


class SchemeContext:
    """What gen_rule needs to know about the scheme being generated."""

    def __init__(self, features, base, lo, hi, caps, codes, y0, span, offset_text, severity):
        self.features = features
        self.base, self.lo, self.hi = base, lo, hi
        self.caps = caps
        self.codes = codes
        self.y0, self.span = y0, span
        self.offset_text = offset_text
        self.severity = severity  # [[validity]] classes exist
        self.used_severity = False  # a rule or change says valid = "by-severity"
        self.flags = set()


def gen_rule(rng, code, ctx):
    """The lines of [rule.CODE] and of its changes."""
    f = ctx.features
    lines = ["[rule.%s]%s" % (code, rng.choice(["", "   # rule"]))]
    keys = []
    r = rng.random()
    if r < 0.08:
        pass  # points default 0
    elif r < 0.7:
        keys.append("points = %s" % fixed_text(100 * rng.randint(-60, 60)))
    else:
        keys.append("points = %s" % fixed_text(rng.randint(-3000, 3000),
                                               trailing=rng.random() < 0.3))
    if rng.random() < 0.35:
        keys.append('per = "unit"')
    elif rng.random() < 0.2:
        keys.append('per = "event"')
    if rng.random() < 0.5:
        keys.append("dimension = %s" % toml_string(rng.choice(DIMENSIONS)))
    if rng.random() < 0.65:
        keys.append("valid = %s" % toml_string(gen_duration(rng)))
    has_cap = False
    if rng.random() < 0.3:
        has_cap = True
        keys.append("cap = %s" % fixed_text(100 * rng.choice([1, 5, 10, 20, 40, 100])
                                             + rng.choice([0, 0, 25])))
        keys.append("cap_period = %s" % toml_string(rng.choice(PERIODS)))
    if ctx.caps and rng.random() < 0.4:
        keys.append("cap_group = %s" % toml_string(rng.choice(ctx.caps)))
    if rng.random() < 0.3:
        keys.append("repeat_factor = %s" % rng.choice(
            ["2", "3", "1.5", "1.25", "0.5", "2.00", "1.33"]))
    if rng.random() < 0.15:
        keys.append("ceiling = %s" % fixed_text(gen_ceiling(rng, ctx.base, ctx.lo, ctx.hi)))
    if rng.random() < 0.25:
        flag = rng.choice(FLAGS)
        ctx.flags.add(flag)
        keys.append("flag = %s" % toml_string(flag))
    # A rule with retain, or with a recount change, must affect the score only.
    lock_score = bool(f & {"retain", "recount"}) and rng.random() < 0.6
    if lock_score:
        keys.append('affects = "score"')
    elif rng.random() < 0.35:
        keys.append("affects = %s" % toml_string(rng.choice(["score", "balance", "both"])))
    # version-2 keys of the base table
    if "category" in f and rng.random() < 0.5:
        keys.append("category = %s" % toml_string(rng.choice(CATEGORIES + ctx.codes)))
    if "freeze" in f and rng.random() < 0.35:
        keys.append("freeze = %s" % rng.choice(["true", "true", "false"]))
    if "publicity" in f and rng.random() < 0.5:
        keys.append("publicity = %s" % toml_string(rng.choice(SHORT_DURATIONS)))
    if "repair_after" in f and rng.random() < 0.5:
        keys.append("repair_after = %s" % toml_string(
            rng.choice(SHORT_DURATIONS + ["3m", "1y", "forever"])))
    if "retain" in f and lock_score and rng.random() < 0.7:
        keys.append("retain = %s" % toml_string(rng.choice(
            ["1y", "2y", "400d", "6m", "end-of-year", "3m", "forever"])))
    if ctx.severity and rng.random() < 0.4:
        keys = [k for k in keys if not k.startswith("valid =")]
        keys.append('valid = "by-severity"')
        ctx.used_severity = True
    cap_mode = "both"
    if "netcap" in f and has_cap and rng.random() < 0.6:
        cap_mode = rng.choice(["net", "net", "both"])
        keys.append("cap_mode = %s" % toml_string(cap_mode))
    rng.shuffle(keys)
    lines.extend(keys)

    if "change" in f and rng.random() < 0.6:
        froms = []
        for _ in range(rng.randint(1, 3)):
            text, local = gen_from_text(rng, ctx.y0, ctx.span, ctx.offset_text)
            froms.append((unix_of(local, model.parse_offset(ctx.offset_text)), text))
        froms = sorted(dict(froms).items())  # distinct, increasing
        for _, from_text in froms:
            recount = "recount" in f and lock_score and rng.random() < 0.5
            change = ["from = %s" % from_text]
            if recount:
                change.append("recount = true")
            elif rng.random() < 0.1:
                change.append("recount = false")
            choices = ["points", "points", "valid", "repeat_factor", "flag", "ceiling",
                       "dimension", "per", "cap", "cap_group"]
            if "category" in f:
                choices.append("category")
            if "freeze" in f:
                choices.append("freeze")
            if not lock_score:
                choices.append("affects")
            if not recount:
                if "publicity" in f:
                    choices.append("publicity")
                if "repair_after" in f:
                    choices.append("repair_after")
                if "retain" in f and lock_score:
                    choices.append("retain")
            for key in sorted(set(rng.sample(choices, rng.randint(1, 3))), key=choices.index):
                if key == "points":
                    change.append("points = %s" % fixed_text(100 * rng.randint(-60, 60)
                                                             + rng.choice([0, 0, 50])))
                elif key == "valid":
                    valid = gen_duration(rng)
                    if ctx.severity and rng.random() < 0.4:
                        valid = "by-severity"
                        ctx.used_severity = True
                    change.append("valid = %s" % toml_string(valid))
                elif key == "repeat_factor":
                    change.append("repeat_factor = %s" % rng.choice(["2", "1.5", "3", "false"]))
                elif key == "flag":
                    if rng.random() < 0.3:
                        change.append("flag = false")
                    else:
                        flag = rng.choice(FLAGS)
                        ctx.flags.add(flag)
                        change.append("flag = %s" % toml_string(flag))
                elif key == "ceiling":
                    if rng.random() < 0.3:
                        change.append("ceiling = false")
                    else:
                        change.append("ceiling = %s" % fixed_text(
                            gen_ceiling(rng, ctx.base, ctx.lo, ctx.hi)))
                elif key == "dimension":
                    change.append("dimension = %s" % toml_string(rng.choice(DIMENSIONS)))
                elif key == "per":
                    change.append("per = %s" % toml_string(rng.choice(["unit", "event"])))
                elif key == "cap":
                    if has_cap and rng.random() < 0.4:
                        change.append("cap = false")
                        has_cap, cap_mode = False, "both"
                    else:
                        change.append("cap = %s" % fixed_text(
                            100 * rng.choice([5, 10, 20, 40]) + rng.choice([0, 50])))
                        if not has_cap or rng.random() < 0.3:
                            change.append("cap_period = %s" % toml_string(rng.choice(PERIODS)))
                        has_cap = True
                        if "netcap" in f and rng.random() < 0.4:
                            cap_mode = rng.choice(["net", "both"])
                            change.append("cap_mode = %s" % toml_string(cap_mode))
                elif key == "cap_group":
                    if ctx.caps and rng.random() < 0.7:
                        change.append("cap_group = %s" % toml_string(rng.choice(ctx.caps)))
                    else:
                        change.append("cap_group = false")
                elif key == "category":
                    if rng.random() < 0.3:
                        change.append("category = false")
                    else:
                        change.append("category = %s" % toml_string(
                            rng.choice(CATEGORIES + ctx.codes)))
                elif key == "freeze":
                    change.append("freeze = %s" % rng.choice(["true", "false"]))
                elif key == "affects":
                    change.append("affects = %s" % toml_string(
                        rng.choice(["score", "balance", "both"])))
                elif key == "publicity":
                    change.append("publicity = %s" % (
                        "false" if rng.random() < 0.3
                        else toml_string(rng.choice(SHORT_DURATIONS))))
                elif key == "repair_after":
                    change.append("repair_after = %s" % (
                        "false" if rng.random() < 0.3
                        else toml_string(rng.choice(SHORT_DURATIONS + ["3m"]))))
                elif key == "retain":
                    change.append("retain = %s" % (
                        "false" if rng.random() < 0.3
                        else toml_string(rng.choice(["1y", "2y", "6m", "400d"]))))
            lines.append("[[rule.%s.change]]" % code)
            lines.extend(change)
    return lines


def never_applies(lo, hi, mins, names, conditions):
    """Whether the measure conditions (lines of TOML) are met by no score of
    a scheme of bounds lo..hi and grades names with mins (model D45)."""
    grades = min_score = max_score = None
    for line in conditions:
        key, _, value = line.partition(" = ")
        if key == "grades":
            grades = [names.index(g) for g in json.loads(value).split(";")]
        elif key in ("min_score", "max_score"):
            points = model.parse_fixed(value, 2, key)
            if key == "min_score":
                min_score = points
            else:
                max_score = points
    return model.never_applies(lo, hi, list(mins) + [None] * (len(names) - len(mins)), grades,
                               min_score, max_score)


def gen_scheme(rng, features=frozenset(), y0=2022, span=1, codes=None, offset=None):
    """Returns (rules_text, info) where info holds what the log generator needs.
    `codes` and `offset` force the rule codes and utc_offset (for --compare)."""
    lines = []
    comment = lambda: lines.append(rng.choice(["", "# a comment", "   # indented comment"]))  # noqa
    lines.append("# generated by tests/difftest.py")
    lines.append("[scheme]")
    scheme_keys = []
    if offset is None:
        offset = rng.choice(OFFSETS)
    if offset != "+00:00" or rng.random() < 0.6:
        scheme_keys.append("utc_offset = %s" % toml_string(offset))
    scheme_keys.append("name = %s" % toml_string(rng.choice(
        ["community", 'Comm "x" \\ é', "tab-free", "é\u00e9"])))
    base = rng.choice([0, 10000, 50000, 100000, 100000, 100000, 99950])  # hundredths
    if base != 0 or rng.random() < 0.5:
        scheme_keys.append("base = %s" % fixed_text(base, trailing=rng.random() < 0.2))
    lo = hi = None
    if rng.random() < 0.6:
        lo = base - 100 * rng.choice([0, 10, 30, 100, 400, 2000])
        scheme_keys.append("min = %s" % fixed_text(lo))
    if rng.random() < 0.6:
        hi = base + 100 * rng.choice([0, 10, 30, 100, 1000])
        scheme_keys.append("max = %s" % fixed_text(hi))
    clamp = rng.choice(["final", "running", None])
    if clamp:
        scheme_keys.append("clamp = %s" % toml_string(clamp))
    severity = "severity" in features
    scheme_valid = None
    if rng.random() < 0.5:
        scheme_valid = gen_duration(rng)
    if severity and rng.random() < 0.3:
        scheme_valid = "by-severity"
    if scheme_valid is not None:
        scheme_keys.append("valid = %s" % toml_string(scheme_valid))
    reset = rng.choice(["never", "month", "quarter", "year", None, "month"])
    if reset:
        scheme_keys.append("balance_reset = %s" % toml_string(reset))
    objection_window = None
    if "objection" in features:
        contested = rng.choice(["mark", "suspend", "suspend", None])
        if contested:
            scheme_keys.append("contested = %s" % toml_string(contested))
        objection_window = rng.choice([None, "forever", "7d", "30d", "1m", "3d", "1y"])
        if objection_window:
            scheme_keys.append("objection_window = %s" % toml_string(objection_window))
    if "balance_min" in features:
        scheme_keys.append("balance_min = %s" % rng.choice(["0", "-5", "-20.5", "-100"]))
    rng.shuffle(scheme_keys)
    lines.extend(scheme_keys)
    comment()

    # Grades: strictly decreasing mins around the base; the last has no min.
    ngrades = rng.randint(1, 6)
    names = rng.sample(GRADE_NAMES, ngrades)
    mins = sorted({base + 100 * rng.randint(-150, 80) + rng.choice([0, 0, 50])
                   for _ in range(ngrades - 1)}, reverse=True)
    names = names[:len(mins) + 1]
    for i, name in enumerate(names):
        lines.append("[[grade]]")
        lines.append("name = %s" % toml_string(name))
        if i < len(mins):
            lines.append("min = %s" % fixed_text(mins[i]))
        comment()

    classes_at = len(lines)
    if severity:
        ups = sorted(rng.sample([100, 500, 1000, 2000, 3000, 4000, 6000, 10000, 250],
                                rng.randint(0, 2)))
        for up in ups:
            lines.append("[[validity]]")
            lines.append("up_to = %s" % fixed_text(up))
            lines.append("valid = %s" % toml_string(gen_duration(rng)))
        lines.append("[[validity]]")
        lines.append("valid = %s" % toml_string(gen_duration(rng)))

    caps = []
    for name in rng.sample(CAP_NAMES, rng.choice([0, 0, 1, 1, 2, 3])):
        caps.append(name)
        lines.append("[cap.%s]" % name)
        lines.append("limit = %s" % fixed_text(100 * rng.choice([5, 10, 20, 30, 50, 100])
                                               + rng.choice([0, 0, 50])))
        lines.append("period = %s" % toml_string(rng.choice(PERIODS)))
        if "netcap" in features and rng.random() < 0.7:
            lines.append("mode = %s" % toml_string(rng.choice(["net", "net", "both"])))

    if codes is None:
        codes = rng.sample(RULE_CODES, rng.randint(2, 6))
    ctx = SchemeContext(features, base, lo, hi, caps, list(codes), y0, span, offset, severity)
    for code in codes:
        # AMBIGUITY: a '.' is allowed in rule codes: [rule.x.y] is rule "x.y".
        lines.extend(gen_rule(rng, code, ctx))
        comment()
    if severity and scheme_valid != "by-severity" and not ctx.used_severity:
        # classes no rule uses are refused (D44): none, then
        end = classes_at
        while end < len(lines) and (lines[end] == "[[validity]]" or
                                    lines[end].startswith(("up_to =", "valid ="))):
            end += 1
        del lines[classes_at:end]
    rules = list(codes)
    if not rules:
        rules.append("fine")
        lines.append("[rule.fine]\npoints = -10")

    tiers = []
    if "tier" in features:
        for name in rng.sample(TIER_NAMES, rng.randint(1, 2)):
            measure = rng.choice(["qty", "points"])
            levels = rng.randint(1, 3)
            lines.append("[tier.%s]" % name)
            lines.append("rules = %s" % toml_string(";".join(
                rng.sample(rules, rng.randint(1, min(3, len(rules)))))))
            lines.append("measure = %s" % toml_string(measure))
            window = rng.choice([None, "lifetime", "year", "quarter", "month", "30d", "12m",
                                 "1y", "7d"])
            if window:
                lines.append("window = %s" % toml_string(window))
            if measure == "qty":
                pool = [50, 100, 200, 300, 500, 1000, 2000, 125]
            else:
                pool = [-5000, -1000, 0, 50, 500, 1000, 3000, -250]
            level_names = []
            for i, minimum in enumerate(sorted(rng.sample(pool, levels))):
                level = rng.choice(["%d star" % (i + 1), "L%d" % i, "level, %d" % i])
                level_names.append(level)
                lines.append("[[tier.%s.level]]" % name)
                lines.append("name = %s" % toml_string(level))
                lines.append("min = %s" % fixed_text(minimum))
            tiers.append((name, level_names))
    measures = []
    if "measure" in features:
        for code in rng.sample(MEASURE_CODES, rng.randint(1, 3)):
            conditions = []
            while not conditions:
                if rng.random() < 0.4:
                    conditions.append("grades = %s" % toml_string(";".join(
                        rng.sample(names, rng.randint(1, len(names))))))
                if ctx.flags and rng.random() < 0.4:
                    conditions.append("flag = %s" % toml_string(rng.choice(sorted(ctx.flags))))
                if tiers and rng.random() < 0.4:
                    tier, level_names = rng.choice(tiers)
                    conditions.append("tier = %s" % toml_string(tier))
                    conditions.append("min_level = %s" % toml_string(rng.choice(level_names)))
                low = None
                if rng.random() < 0.3:
                    low = base + 100 * rng.randint(-50, 30)
                    conditions.append("min_score = %s" % fixed_text(low))
                if rng.random() < 0.3:
                    high = base + 100 * rng.randint(-30, 50)
                    if low is not None and low > high:
                        # a band that holds no score is refused at load
                        # (D14): the same two draws, in order
                        conditions[-1] = "min_score = %s" % fixed_text(high)
                        high = low
                    conditions.append("max_score = %s" % fixed_text(high))
                # a measure no score meets is refused (D45): its score
                # conditions, then its grades, dropped until one does
                for drop in (("min_score", "max_score"), ("grades",)):
                    if not never_applies(lo, hi, mins, names, conditions):
                        break
                    conditions = [c for c in conditions if not c.startswith(drop)]
            lines.append("[measure.%s]" % code)
            if rng.random() < 0.8:
                lines.append("text = %s" % toml_string(rng.choice(
                    ["Priority service", "Not eligible, sorry", 'A "rebate"'])))
            lines.append("kind = %s" % toml_string(rng.choice(["incentive", "restriction"])))
            lines.extend(conditions)
            measures.append(code)
    text = "\n".join(lines) + "\n"
    return text, {"offset": model.parse_offset(offset), "offset_text": offset, "rules": rules,
                  "objection_window": objection_window}


# ---------------------------------------------------------------------------
# Random event log
# ---------------------------------------------------------------------------

def days_in_month(year, month):
    return model.days_in_month(year, month)


def gen_local(rng, y0, span_years, previous, near_p=0.45):
    """A local (y, m, d, H, M, S) with a bias towards calendar edges."""
    if previous:
        kind = rng.random()
        if kind < 0.12:
            return rng.choice(previous)  # same instant as another event
        if kind < near_p:
            # near another event: same week/month, so that caps bind
            near = datetime.datetime(*rng.choice(previous))
            if rng.random() < 0.3:
                # the Sunday 23:59:59 or Monday 00:00:00 around it
                monday = near - datetime.timedelta(days=near.weekday())
                monday = monday.replace(hour=0, minute=0, second=0)
                monday += datetime.timedelta(days=rng.choice([0, 7]))
                when = rng.choice([monday, monday - datetime.timedelta(seconds=1)])
            else:
                when = near + datetime.timedelta(days=rng.randint(-2, 9))
                t = rng.random()
                if t < 0.4:
                    when = when.replace(hour=0, minute=0, second=0)
                elif t < 0.6:
                    when = when.replace(hour=23, minute=59, second=59)
                else:
                    when = when.replace(hour=rng.randint(0, 23), minute=rng.randint(0, 59))
            return tuple(when.timetuple()[:6])
    kind = rng.random()
    year = y0 + rng.randint(0, span_years)
    month = rng.randint(1, 12)
    if kind < 0.35:
        day = days_in_month(year, month)  # last day of a month
    elif kind < 0.45:
        day = 1
    elif kind < 0.52:
        year = rng.choice([2020, 2024])
        month, day = 2, 29
    elif kind < 0.57:
        month, day = rng.choice([(3, 31), (12, 31), (6, 30), (9, 30), (1, 31)])
    else:
        day = rng.randint(1, days_in_month(year, month))
    t = rng.random()
    if t < 0.45:
        hms = (0, 0, 0)
    elif t < 0.6:
        hms = (23, 59, 59)
    else:
        hms = (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
    return (year, month, day) + hms


def unix_of(local, offset_seconds):
    tz = datetime.timezone(datetime.timedelta(seconds=offset_seconds))
    return int(datetime.datetime(*local, tzinfo=tz).timestamp())


def format_ts(rng, local, offset_seconds):
    """Any SPEC form of the instant `local` (local time of the scheme)."""
    instant = unix_of(local, offset_seconds)
    y, mo, d, H, M, S = local
    forms = ["local", "Z", "offset", "unix", "frac"]
    if (H, M, S) == (0, 0, 0):
        forms += ["date", "date", "date"]
    form = rng.choice(forms)
    if form == "date":
        return "%04d-%02d-%02d" % (y, mo, d)
    if form == "local":
        text = "%04d-%02d-%02dT%02d:%02d:%02d" % local
        if rng.random() < 0.1:
            text = text.replace("T", rng.choice(["t", " "]))  # RFC 3339 allows these
        return text
    if form == "frac":
        return "%04d-%02d-%02dT%02d:%02d:%02d" % local + rng.choice([".5", ".999", ".000001"])
    if form == "unix":
        return str(instant)
    if form == "Z":
        other = 0
        suffix = "Z"
    else:
        other = model.parse_offset(rng.choice(OFFSETS))
        sign = "-" if other < 0 else "+"
        suffix = "%s%02d:%02d" % (sign, abs(other) // 3600, abs(other) % 3600 // 60)
    tz = datetime.timezone(datetime.timedelta(seconds=other))
    dt = datetime.datetime.fromtimestamp(instant, tz)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if rng.random() < 0.2:
        text += ".25"
    if suffix == "Z" and rng.random() < 0.1:
        suffix = "z"
    return text + suffix


def ts_at_offset(local, offset_seconds, other):
    """The instant `local` (scheme time) written in another UTC offset."""
    other_seconds = model.parse_offset(other)
    tz = datetime.timezone(datetime.timedelta(seconds=other_seconds))
    text = datetime.datetime.fromtimestamp(unix_of(local, offset_seconds), tz)
    sign = "-" if other_seconds < 0 else "+"
    return text.strftime("%Y-%m-%dT%H:%M:%S") + "%s%02d:%02d" % (
        sign, abs(other_seconds) // 3600, abs(other_seconds) % 3600 // 60)


def same_qty_other_text(rng, type_, qty):
    """Another text of the same qty: 1.5 / 1.50, an absent qty / 1; on
    revoke and repair, where a qty is checked and ignored, any qty."""
    if rng.random() < 0.5:
        return qty
    if type_ in ("revoke", "repair", "object", "dismiss", "correct"):
        return rng.choice(["", "1", "2.5", "0", "1.000"])
    if type_ != "redeem" and qty in ("", "1", "1.0", "1.000"):
        return rng.choice(["", "1", "1.0", "1.000"])
    if qty == "":
        return qty
    if "." in qty and rng.random() < 0.5:
        return qty.rstrip("0").rstrip(".")
    return qty + ("0" if "." in qty else ".0")


def local_of(instant, offset_seconds):
    """Unix seconds -> the local (y, m, d, H, M, S) of the scheme."""
    tz = datetime.timezone(datetime.timedelta(seconds=offset_seconds))
    return tuple(datetime.datetime.fromtimestamp(instant, tz).timetuple()[:6])


def gen_qty(rng):
    r = rng.random()
    if r < 0.5:
        return ""
    return rng.choice(["0", "1", "2", "2.5", "0.125", "3.250", "10", "1.2500", "0.001",
                       "7.777", "1.0", "0.5", "12", "0.333"])


def gen_redeem_qty(rng):
    return rng.choice(["1", "5", "0.5", "12.25", "3.10", "100", "0.01", "20", "7.5",
                       "2.500", ""])


class IdMaker:
    def __init__(self, rng):
        self.rng = rng
        self.n = 0
        self.style = rng.choice(["e%d", "%d", "E-%d", "é%d", "id,%d", "%d", "mix"])

    def __call__(self):
        self.n += 1
        style = self.style
        if style == "mix":
            style = self.rng.choice(["e%d", "%d", "E-%d", "é%d", "id,%d", "x%d"])
        return style % self.n


def gen_groups(rng):
    pool = []
    for _ in range(rng.randint(1, 5)):
        depth = rng.choice([1, 2, 2, 3, 3, 4])
        pool.append("/".join(rng.choice(GROUP_SEGMENTS) for _ in range(depth)))
    return pool


KINDS = ["rule", "redeem", "revoke", "repair", "correct", "object", "dismiss", "dup"]


def gen_log(rng, info, features=frozenset(), scheme=None, y0=None, span=None):
    """Returns the list of event rows (dicts of texts), shuffled.

    With version-2 features the rows also get act and source, and the kinds
    object, dismiss and correct; pointers are often dated at the instants
    where their meaning changes (eff, eff + repair_after, the end of the
    objection window), computed with the model's `scheme`.
    """
    offset = info["offset"]
    rules = info["rules"]
    new_id = IdMaker(rng)
    dense = rng.random() < 0.15  # few subjects, many close events: caps, repeats
    subjects = rng.sample(SUBJECT_NAMES, rng.randint(1, 2) if dense else rng.randint(1, 5))
    groups = gen_groups(rng)
    home = {s: rng.choice(groups + [""]) for s in subjects}
    if y0 is None:
        y0 = rng.randint(2019, 2024)
        span = rng.choice([0, 0, 1, 1, 2])
    previous = []
    n_events = rng.randint(5, 40)

    def group_for(subject):
        r = rng.random()
        if r < 0.65:
            return home[subject]
        if r < 0.85:
            return ""
        return rng.choice(groups)

    def new_local():
        local = gen_local(rng, y0, span, previous, 0.9 if dense else 0.45)
        previous.append(local)
        return local

    def source():
        if "source" in features and rng.random() < 0.4:
            return rng.choice(SOURCES)
        return ""

    def eff_of(row):
        """eff of a rule row (ts + publicity of the version in force at ts)."""
        ts = unix_of(row["_local"], offset)
        life = scheme.rules[row["type"]].life_version(ts)
        if life.publicity is None:
            return ts, life
        return model.validity_end(ts, life.publicity, offset), life

    weights = [60, 14, 12, 10, 0, 0, 0, 4]
    if "correct" in features:
        weights[4] = 6
    if "objection" in features:
        weights[5], weights[6] = 14, 4
    rows = []
    kinds = [rng.choices(KINDS, weights)[0] for _ in range(n_events)]
    kinds.sort(key=KINDS.index)  # targets before pointers, objections before dismissals
    acts = {}  # (subject, act) -> rows
    for kind in kinds:
        subject = rng.choice(subjects)
        if kind == "rule":
            local = new_local()
            row = {"id": new_id(), "subject": subject, "type": rng.choice(rules),
                   "qty": gen_qty(rng), "group": group_for(subject), "ref": "",
                   "act": "", "source": source()}
            if "act" in features and rng.random() < 0.4:
                act = rng.choice(ACTS[:2] if rng.random() < 0.7 else ACTS)
                members = acts.setdefault((subject, act), [])
                if members and rng.random() < 0.5:
                    local = rng.choice(members)["_local"]  # one deed, one instant
                members.append(row)
                row["act"] = act
            row["_local"] = local
            row["ts"] = format_ts(rng, local, offset)
            rows.append(row)
        elif kind == "redeem":
            local = new_local()
            rows.append({"id": new_id(), "subject": subject, "type": "redeem",
                         "ts": format_ts(rng, local, offset), "qty": gen_redeem_qty(rng),
                         "group": group_for(subject), "ref": "", "_local": local,
                         "act": "", "source": source()})
        elif kind in ("revoke", "repair", "correct", "object", "dismiss"):
            same = [r for r in rows if r["subject"] == subject]
            others = [r for r in rows if r["subject"] != subject]
            wanted = {"dismiss": ("object",)}.get(kind, tuple(rules))
            t = rng.random()
            if t < 0.65 and same:
                fitting = [r for r in same if r["type"] in wanted]
                pool = fitting if (fitting and rng.random() < 0.85) else same
                target = rng.choice(pool)
            elif t < 0.75 and others:
                target = rng.choice(others)
            elif t < 0.85 and rows:
                target = rng.choice(rows)
            else:
                target = None
            if target is not None:
                ref = target["id"]
                base_local = target["_local"]
                # around the target: before it, same instant, or later
                delta_days = rng.choice([-40, -1, 0, 0, 1, 10, 31, 100, 400])
                if kind in ("object", "dismiss", "correct"):
                    delta_days = rng.choice([-1, 0, 0, 1, 1, 3, 10, 31, 100])
                base_dt = datetime.datetime(*base_local) + datetime.timedelta(days=delta_days)
                if rng.random() < 0.5:
                    local = base_dt.timetuple()[:6]
                else:
                    local = new_local()
                local = tuple(local)
                # version 2: the instants where a pointer's meaning changes
                if scheme is not None and rng.random() < 0.5:
                    instants = []
                    target_ts = unix_of(base_local, offset)
                    if target["type"] in scheme.rules:
                        eff, life = eff_of(target)
                        instants += [eff - 1, eff]
                        if kind == "repair" and life.repair_after is not None:
                            at = model.validity_end(eff, life.repair_after, offset)
                            if at is not None:
                                instants += [at - 1, at, at - 1, at]
                        if kind == "object" and info.get("objection_window") not in (
                                None, "forever"):
                            at = model.validity_end(target_ts, info["objection_window"],
                                                    offset)
                            instants += [at - 1, at, at - 1, at]
                    instants += [target_ts - 1, target_ts, target_ts + 1]
                    local = local_of(rng.choice(instants), offset)
            else:
                ref = rng.choice(["missing", "e999", "nope,x"])
                local = new_local()
            row = {"id": new_id(), "subject": subject, "type": kind,
                   "ts": format_ts(rng, local, offset), "qty": "",
                   "group": group_for(subject) if rng.random() < 0.3 else "",
                   "ref": ref, "_local": local, "act": "", "source": source()}
            if "act" in features and acts and rng.random() < 0.1:
                row["act"] = rng.choice(ACTS)  # ignored on built-in types
            rows.append(row)
            if kind == "object" and rng.random() < 0.35:
                # the objection heard and rejected (or a dismissal dated before it)
                when = unix_of(local, offset) + rng.choice([0, 1, 86400, 86400 * 30, -1])
                dlocal = local_of(when, offset)
                rows.append({"id": new_id(), "subject": subject, "type": "dismiss",
                             "ts": format_ts(rng, dlocal, offset), "qty": "", "group": "",
                             "ref": row["id"], "_local": dlocal, "act": "",
                             "source": source()})
        elif kind == "dup" and rows:
            dup = dict(rng.choice(rows))
            # the same values in another form is still a duplicate (SPEC 3)
            r = rng.random()
            if r < 0.3:
                dup["ts"] = format_ts(rng, dup["_local"], offset)
            elif r < 0.5:
                dup["ts"] = ts_at_offset(dup["_local"], offset, rng.choice(OFFSETS))
            dup["qty"] = same_qty_other_text(rng, dup["type"], dup["qty"])
            rows.append(dup)
    rng.shuffle(rows)
    return rows


COLUMNS = ["id", "subject", "type", "ts", "qty", "group", "ref"]
COLUMNS_V2 = COLUMNS + ["act", "source"]


def write_events(rng, rows, directory, stem="events", columns=COLUMNS):
    """Writes STEM.csv (or STEM.jsonl / STEM.ndjson); returns the path."""
    if rng.random() < 0.1:
        path = os.path.join(directory, stem + rng.choice([".jsonl", ".ndjson"]))
        with open(path, "w", encoding="utf-8", newline="") as f:
            for row in rows:
                obj = {}
                for key in columns:
                    value = row[key]
                    if value == "":
                        if key in ("act", "source") and rng.random() < 0.3:
                            obj[key] = rng.choice(["", None])  # empty = absent
                        continue
                    if key == "ts" and value.lstrip("-").isdigit() and rng.random() < 0.5:
                        value = int(value)
                    obj[key] = value
                if rng.random() < 0.2:
                    obj["note"] = "ignored"
                text = json.dumps(obj, ensure_ascii=rng.random() < 0.5)
                qty = obj.get("qty", "")
                if re.match(r"^[0-9]+(\.[0-9]+)?$", qty) and rng.random() < 0.5:
                    # qty as a JSON number, written exactly as the text
                    text = text.replace('"qty": "%s"' % qty, '"qty": %s' % qty)
                f.write(text + "\n")
                if rng.random() < 0.05:
                    f.write("\n")
        return path
    path = os.path.join(directory, stem + ".csv")
    columns = list(columns)
    rng.shuffle(columns)
    if rng.random() < 0.2:
        columns.insert(rng.randint(0, len(columns)), "note")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=rng.choice(["\n", "\r\n"]),
                        quoting=csv.QUOTE_ALL if rng.random() < 0.2 else csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "x") if c != "note" else "n, %d" % rng.randint(0, 9)
                         for c in columns])
    text = buf.getvalue()
    if rng.random() < 0.1:
        text = "\ufeff" + text
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


def write_rows_like(path, rows, columns=COLUMNS):
    """Rewrites the events file `path` with `rows` (used by the shrinker)."""
    if path.endswith(".csv"):
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([row[c] for c in columns])
    else:
        with open(path, "w", encoding="utf-8", newline="") as f:
            for row in rows:
                f.write(json.dumps({k: row[k] for k in columns if row[k] != ""},
                                   ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------
# Bad input (expects exit status 2)
# ---------------------------------------------------------------------------

def make_bad(rng, rows, info, v2=False):
    """Mutates rows into a clearly bad log; returns a description."""
    kinds = ["conflict", "unknown type", "bad date", "bad qty", "revoke no ref",
             "redeem qty 0", "negative qty", "bad ts"]
    if v2:
        kinds += ["object no ref", "dismiss no ref", "correct no ref", "oversize act",
                  "oversize source", "control in source", "act conflict", "source conflict"]
    kind = rng.choice(kinds)
    victim = rng.randrange(len(rows))
    row = dict(rows[victim])
    if kind == "conflict":
        row["ts"] = "1999-12-31T12:00:00Z" if row["ts"] != "1999-12-31T12:00:00Z" else "0"
        rows.insert(rng.randint(0, len(rows)), row)
        return kind
    if kind in ("act conflict", "source conflict"):
        # SPEC 10.5: act (on rule events) and source take part in identity
        rule_rows = [r for r in rows if r["type"] in info["rules"]]
        if kind == "act conflict" and rule_rows:
            row = dict(rng.choice(rule_rows))
            row["act"] = "other-act" if row.get("act") != "other-act" else "a9"
        else:
            row["source"] = "another source" if row.get("source") != "another source" else "s9"
        rows.insert(rng.randint(0, len(rows)), row)
        return kind
    if kind == "unknown type":
        row["type"] = "no_such_rule"
    elif kind == "bad date":
        row["ts"] = rng.choice(["2023-02-29", "2022-13-01", "2021-04-31T10:00:00"])
    elif kind == "bad ts":
        row["ts"] = rng.choice(["yesterday", "2022-01-01T25:00:00", "2022-01-01T10:00:00+8"])
    elif kind == "bad qty":
        row["type"], row["ref"] = info["rules"][0], ""
        # AMBIGUITY: "1e3" is not listed: the engine accepts exponents (JSON numbers).
        row["qty"] = rng.choice(["1.2345", "abc", "1.2.3", ".5"])
    elif kind == "revoke no ref":
        row["type"], row["ref"] = "revoke", ""
    elif kind in ("object no ref", "dismiss no ref", "correct no ref"):
        row["type"], row["ref"] = kind.split()[0], ""
    elif kind == "redeem qty 0":
        row["type"], row["qty"], row["ref"] = "redeem", rng.choice(["0", "0.00", "-1"]), ""
    elif kind == "negative qty":
        row["type"], row["qty"], row["ref"] = info["rules"][0], "-1", ""
    elif kind == "oversize act":
        row["type"], row["ref"], row["act"] = info["rules"][0], "", "x" * 129
    elif kind == "oversize source":
        row["source"] = "é" * 65  # 130 bytes
    elif kind == "control in source":
        row["source"] = "a\tb"
    row["id"] = "bad-" + row["id"]
    rows.insert(rng.randint(0, len(rows)), row)
    return kind


def make_bad_rules(rng, rules_text, v2=False):
    """Appends one error that SPEC 2 (or 9-11) says must be caught at load time."""
    scheme = model.parse_rules(rules_text)
    choices = [
        ("3 decimals", '[rule.zz_bad]\npoints = 1.234\n'),
        ("cap without cap_period", '[rule.zz_bad]\npoints = 1\ncap = 5\n'),
        ("undefined cap_group", '[rule.zz_bad]\ncap_group = "no_such_cap"\n'),
        ("unknown key", '[rule.zz_bad]\npointz = 1\n'),
        ("unknown table", '[zz_table]\n'),
        ("duplicate rule", '[rule.zz_bad]\npoints = 1\n[rule.zz_bad]\npoints = 2\n'),
        ("duplicate key", '[rule.zz_bad]\npoints = 1\npoints = 1\n'),
        ("bad duration", '[rule.zz_bad]\nvalid = "3w"\n'),
        ("bad period", '[cap.zz_bad]\nlimit = 5\nperiod = "fortnight"\n'),
    ]
    if v2:
        code = sorted(scheme.rules)[0]
        choices += [
            ("change without from", '[rule.zz_bad]\n[[rule.zz_bad.change]]\npoints = 2\n'),
            ("from not increasing", '[rule.zz_bad]\n[[rule.zz_bad.change]]\n'
             'from = "2022-01-01"\n[[rule.zz_bad.change]]\nfrom = "2021-06-01"\n'),
            ("false on cap_period", '[rule.zz_bad]\ncap = 5\ncap_period = "day"\n'
             '[[rule.zz_bad.change]]\nfrom = "2022-01-01"\ncap_period = false\n'),
            ("change leaves cap without cap_period", '[rule.zz_bad]\n'
             '[[rule.zz_bad.change]]\nfrom = "2022-01-01"\ncap = 5\n'),
            ("recount sets publicity", '[rule.zz_bad]\naffects = "score"\n'
             '[[rule.zz_bad.change]]\nfrom = "2022-01-01"\nrecount = true\npublicity = "7d"\n'),
            ("recount on a balance rule", '[rule.zz_bad]\n[[rule.zz_bad.change]]\n'
             'from = "2022-01-01"\nrecount = true\npoints = 1\n'),
            ("retain without affects score", '[rule.zz_bad]\nretain = "5y"\n'),
            ("cap_mode without cap", '[rule.zz_bad]\ncap_mode = "net"\n'),
            ("publicity forever", '[rule.zz_bad]\npublicity = "forever"\n'),
            ("bad cap mode", '[cap.zz_bad]\nlimit = 5\nperiod = "day"\nmode = "gross"\n'),
            ("reserved rule code", "[rule.%s]\npoints = 1\n"
             % rng.choice(["object", "dismiss", "correct"])),
            ("tier without level", '[tier.zz_bad]\nrules = "%s"\nmeasure = "qty"\n' % code),
            ("tier of an unknown rule", '[tier.zz_bad]\nrules = "no_such_rule"\n'
             'measure = "qty"\n[[tier.zz_bad.level]]\nname = "x"\nmin = 1\n'),
            ("tier mins not increasing", '[tier.zz_bad]\nrules = "%s"\nmeasure = "points"\n'
             '[[tier.zz_bad.level]]\nname = "x"\nmin = 5\n[[tier.zz_bad.level]]\n'
             'name = "y"\nmin = 5\n' % code),
            ("tier of one rule twice", '[tier.zz_bad]\nrules = "%s;%s"\nmeasure = "qty"\n'
             '[[tier.zz_bad.level]]\nname = "x"\nmin = 1\n' % (code, code)),
            ("measure without condition", '[measure.zz_bad]\nkind = "incentive"\n'),
            ("measure of an unknown grade", '[measure.zz_bad]\nkind = "incentive"\n'
             'grades = "no such grade"\n'),
            ("scheme balance_min > 0", None),
            ("bad contested", None),
        ]
        if not scheme.validity_classes:
            choices.append(("by-severity without classes",
                            '[rule.zz_bad]\nvalid = "by-severity"\n'))
        plain_flags = sorted(f for f in scheme.flags() if re.match(r"^[A-Za-z0-9_-]+$", f))
        if plain_flags:
            choices.append(("measure code = flag", '[measure.%s]\nkind = "incentive"\n'
                            'min_score = 1\n' % plain_flags[0]))
    if scheme.max is not None:
        choices.append(("ceiling above max", "[rule.zz_bad]\nceiling = %s\n"
                        % fixed_text(scheme.max + 1)))
    if scheme.min is not None:
        choices.append(("ceiling below min", "[rule.zz_bad]\nceiling = %s\n"
                        % fixed_text(scheme.min - 100)))
    mins = [g.min for g in scheme.grades if g.min is not None]
    if mins:
        # a second grade with the same min as the first: not strictly decreasing
        first = rules_text.index("[[grade]]")
        dup = '[[grade]]\nname = "zz_grade"\nmin = %s\n' % fixed_text(mins[0])
        what, text = "grade mins not decreasing", rules_text[:first] + dup + rules_text[first:]
        if rng.random() < 0.2:
            return what, text
    if len(scheme.grades) > 0 and rng.random() < 0.1:
        first = rules_text.index("[[grade]]")
        name = scheme.grades[0].name
        dup = '[[grade]]\nname = %s\nmin = 999999999\n' % toml_string(name)
        return "duplicate grade", rules_text[:first] + dup + rules_text[first:]
    what, extra = rng.choice(choices)
    if extra is None:
        key = 'balance_min = 0.5' if what.startswith("scheme") else 'contested = "hide"'
        return what, rules_text.replace("[scheme]\n", "[scheme]\n%s\n" % key, 1)
    return what, rules_text + extra


# ---------------------------------------------------------------------------
# Running both sides
# ---------------------------------------------------------------------------

SUBJECT_HEADER = "subject,group,score,grade,balance,flags"
GROUP_TOP_HEADER = ["group", "rank", "subject", "score", "grade"]


class Query:
    """One question: as-of time (and how it is written), --groups, --top,
    --explain, --list, --compare, the output format."""

    def __init__(self, as_of, as_of_text=None, depth=None, top=None, explain=None,
                 lenient=False, fmt="csv", list_name=None, compare=None, changed=False):
        self.lenient = lenient
        self.as_of = as_of
        self.as_of_text = as_of_text if as_of_text is not None else str(as_of)
        self.depth = depth
        self.top = top
        self.explain = explain
        self.fmt = fmt
        self.list_name = list_name
        self.compare = compare  # path of NEW-RULES
        self.changed = changed

    def args(self):
        out = ["-t", self.as_of_text, "--format", self.fmt]
        if self.lenient:
            out.append("--lenient")
        if self.explain is not None:
            out += ["--explain", self.explain]
        if self.depth is not None:
            out += ["--groups", str(self.depth)]
        if self.top is not None:
            out += ["--top", str(self.top)]
        if self.list_name is not None:
            out += ["--list", self.list_name]
        if self.compare is not None:
            out += ["--compare", self.compare]
            if self.changed:
                out.append("--changed")
        return out

    def is_v2_question(self):
        return self.list_name is not None or self.compare is not None

    def __str__(self):
        return " ".join(_shell_quote(a) for a in self.args())


def run_cli(cli, rules_path, events_paths, query, stdin=False):
    """Runs the CLI; with stdin=True the (single) events file is piped in."""
    cmd = list(cli) + ["-r", rules_path] + query.args()
    data = None
    if stdin and len(events_paths) == 1:
        with open(events_paths[0], "rb") as f:
            data = f.read()
        if events_paths[0].endswith("csv"):
            cmd.append("-")
    else:
        cmd += list(events_paths)
    for attempt in range(20):
        try:
            proc = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=60)
            break
        except subprocess.TimeoutExpired:
            return {"rc": "timeout", "rows": None, "stderr": "", "cmd": cmd, "stdout": ""}
        except OSError:
            if attempt == 19:
                raise
            time.sleep(0.5)  # the binary is being rebuilt right now
    out = proc.stdout.decode("utf-8", errors="replace")
    rows = None
    if proc.returncode == 0 and query.fmt == "csv":
        try:
            rows = list(csv.reader(io.StringIO(out, newline=""), strict=True))
        except csv.Error as e:
            rows = [["<unparsable CSV: %s>" % e]]
    return {"rc": proc.returncode, "rows": rows, "stdout": out,
            "stderr": proc.stderr.decode("utf-8", errors="replace"), "cmd": cmd}


EXPLAIN_HEADER = model.EXPLAIN_HEADER_V1
EXPLAIN_HEADER_V2 = model.EXPLAIN_HEADER_V2
TIME_COLUMNS = (1, 9, 12, 13, 21)  # ts, end, eff, from, corrected: compared as instants
# Exact JSON layouts of civic-score 1.0.0 (spec version 1 must keep them).
SUBJECT_KEYS_V1 = ["subject", "group", "score", "grade", "balance", "flags", "ceiling",
                   "events", "dimensions"]
SUBJECT_TOP_KEYS = ["as_of", "scheme", "subjects"]
RECORD_KEYS_V1 = ["subject", "as_of", "score", "grade", "balance", "flags", "group", "entries"]
ENTRY_KEYS_V1 = ["id", "ts", "type", "kind", "state", "raw", "counted", "dimension", "capped",
                 "escalated", "end", "ref", "group"]
# Keys version 2 adds (the lead's version-2 interface); their place is not checked.
SUBJECT_KEYS_V2 = ["tiers", "measures"]
RECORD_KEYS_V2 = ["archived", "tiers", "measures"]
ENTRY_KEYS_V2 = ["eff", "from", "act", "source", "merged_with", "frozen", "contested",
                 "floored", "to_balance", "corrected"]
LIST_TOP_KEYS = ["as_of", "list", "kind", "subjects"]
LIST_ITEM_KEYS = ["subject", "group", "score", "grade", "since", "until"]


def first_line(text):
    return text.split("\n", 1)[0].rstrip("\r")


def _csv_field(text):
    if any(ch in text for ch in ',"\r\n'):
        return '"%s"' % text.replace('"', '""')
    return text


def _shell_quote(text):
    if text and all(ch.isalnum() or ch in "-_./=:+" for ch in text):
        return text
    return "'%s'" % text.replace("'", "'\\''")


def same_instant(text, offset):
    """An engine time column as the model writes it (format_local), or as is."""
    if text in ("", "forever") or text is None:
        return text
    try:
        return model.format_local(model.parse_ts(text, offset), offset)
    except model.ModelError:
        return text


def explain_columns(row, version):
    """The record columns compared for one model row (the others are
    presentation: what a revoked, suspended, merged or pending entry shows as
    raw, counted or end is not fixed by SPEC)."""
    n = len(EXPLAIN_HEADER_V2) if version == 2 else len(EXPLAIN_HEADER)
    kind, state = row[2], row[3]
    always = [0, 1, 2, 3, 10, 11]  # id, ts, type, state, ref, group
    if state == "revoked":
        # a revoked entry counts for nothing; its raw/end are presentation
        # (corrected: a correction applies to a revoked target too, D43)
        return always + ([12, 13, 14, 15, 16, 21] if version == 2 else [])
    if state in ("contested", "merged", "pending") and kind not in model.BUILTIN_TYPES:
        # not folded: no raw/counted/end/marks to speak of, but its version,
        # dimension, merge partner and the contested mark are facts
        return always + [6, 12, 13, 14, 15, 16, 18, 21]
    return list(range(n))


def compare_explain_rows(got, expected, who, version, offset):
    """got, expected: lists of record rows (header excluded)."""
    for i in range(max(len(got), len(expected))):
        a = got[i] if i < len(got) else None
        b = expected[i] if i < len(expected) else None
        if a is None or b is None or len(a) != len(b):
            return {"what": "record of %r, entry %d" % (who, i + 1), "engine": a, "model": b}
        a = list(a)
        for col in TIME_COLUMNS:
            if col < len(a):
                a[col] = same_instant(a[col], offset)
        cols = explain_columns(b, version)
        if [a[k] for k in cols] != [b[k] for k in cols]:
            bad = [EXPLAIN_HEADER_V2[k] for k in cols if a[k] != b[k]]
            return {"what": "record of %r, entry %d (%s), column(s) %s" % (
                who, i + 1, b[0], ",".join(bad)), "engine": got[i], "model": expected[i]}
    return None


def compare_rows(cli_result, expected, query):
    """The version-1 CSV answers (subjects, --top, --groups): None if they
    agree, else a description of the first disagreement."""
    got = cli_result["rows"]
    header_text = first_line(cli_result["stdout"])
    expected_header = ",".join(_csv_field(h) for h in expected[0])
    plain = query.depth is None
    if plain and header_text != SUBJECT_HEADER:
        return {"what": "header", "engine": header_text, "model": SUBJECT_HEADER}
    if not plain and (not got or got[0] != expected[0]):
        return {"what": "header", "engine": header_text, "model": expected_header}
    if len(got) - 1 != len([r for r in got[1:] if r]):
        return {"what": "blank lines in output", "engine": cli_result["stdout"][-500:],
                "model": None}
    noun = "subject " if query.depth is None else "group "
    if query.top is not None:
        # rank order matters: compare line by line
        for i in range(1, max(len(got), len(expected))):
            a = got[i] if i < len(got) else None
            b = expected[i] if i < len(expected) else None
            if a != b:
                return {"what": "line %d of the --top answer" % (i + 1), "engine": a,
                        "model": b}
        return None
    return compare_keyed(got, expected, noun)


def compare_keyed(got, expected, noun):
    """Rows keyed by their first column, in bytewise order of it."""
    got_by_key = {row[0]: row for row in got[1:] if row}
    exp_by_key = {row[0]: row for row in expected[1:]}
    for row in expected[1:]:
        other = got_by_key.get(row[0])
        if other != row:
            return {"what": noun + repr(row[0]), "engine": other, "model": row}
    for row in got[1:]:
        if row and row[0] not in exp_by_key:
            return {"what": noun + repr(row[0]) + " not expected", "engine": row,
                    "model": None}
    got_keys = [row[0] for row in got[1:] if row]
    exp_keys = [row[0] for row in expected[1:]]
    if got_keys != exp_keys:
        return {"what": "row order (bytewise by key)", "engine": got_keys, "model": exp_keys}
    return None


def model_rows(scheme, log, query):
    """The model's CSV rows for the version-1 questions."""
    T = query.as_of
    if query.depth is None:
        results = model.evaluate_all(scheme, log, T)
        if query.top is not None:
            # SPEC 6: only the N best, by score, ties by id (in rank order).
            results = model.rank(results)[:query.top]
        return [model.SUBJECT_HEADER] + [r.csv_row() for r in results]
    groups = model.group_stats(scheme, log, T, query.depth)
    if query.top is None:
        return [model.group_header(scheme)] + [g.csv_row(scheme) for g in groups]
    # --groups D --top N: the ranking of each group (the engine's CSV layout,
    # group,rank,subject,score,grade; groups bytewise, then rank).
    rows = [GROUP_TOP_HEADER]
    for g in groups:
        for i, r in enumerate(g.ranking()[:query.top], 1):
            rows.append([g.path, str(i), r.subject, model.format_hundredths(r.score), r.grade])
    return rows


def parse_json(text):
    """JSON with numbers kept as their text (990.00 stays '990.00')."""
    return json.loads(text, parse_float=str, parse_int=str)


def key_check(what, got_keys, v1_keys, v2_keys, version):
    """Version 1: exactly the keys of 1.0.0 in their order.  Version 2: the
    same keys plus the version-2 ones, in any order."""
    if version == 1:
        if list(got_keys) != list(v1_keys):
            return {"what": "JSON keys of %s (layout of 1.0.0)" % what,
                    "engine": list(got_keys), "model": list(v1_keys)}
    elif sorted(got_keys) != sorted(list(v1_keys) + list(v2_keys)):
        return {"what": "JSON keys of %s" % what, "engine": sorted(got_keys),
                "model": sorted(list(v1_keys) + list(v2_keys))}
    return None


def _hundredths(value):
    return None if value is None else model.format_hundredths(value)


def nonzero(dims):
    return {k: v for k, v in dims.items() if v not in ("0.00", "-0.00", 0)}


def check_subjects_json(result, scheme, log, query, version):
    T = query.as_of
    offset = scheme.utc_offset
    try:
        doc = parse_json(result["stdout"])
    except ValueError as e:
        return {"what": "unparsable JSON: %s" % e, "engine": result["stdout"][:500],
                "model": None}
    diff = key_check("the subject list", doc.keys(), SUBJECT_TOP_KEYS, [], 1)
    if diff:
        return diff
    if same_instant(doc["as_of"], offset) != model.format_local(T, offset):
        return {"what": "as_of", "engine": doc["as_of"], "model": model.format_local(T, offset)}
    if doc["scheme"] != scheme.name:
        return {"what": "scheme name", "engine": doc["scheme"], "model": scheme.name}
    results = model.evaluate_all(scheme, log, T)
    if query.top is not None:
        results = model.rank(results)[:query.top]
    got = doc["subjects"]
    if [g.get("subject") for g in got] != [r.subject for r in results]:
        return {"what": "subjects of the JSON answer", "engine": [g.get("subject") for g in got],
                "model": [r.subject for r in results]}
    for rank, (g, r) in enumerate(zip(got, results), 1):
        keys = list(g.keys())
        v1_keys = SUBJECT_KEYS_V1
        if query.top is not None:
            v1_keys = ["rank"] + v1_keys
            if g.get("rank") != str(rank):
                return {"what": "rank of %r" % r.subject, "engine": g.get("rank"),
                        "model": rank}
        diff = key_check("subject %r" % r.subject, keys, v1_keys, SUBJECT_KEYS_V2, version)
        if diff:
            return diff
        expect = {"group": r.group, "score": _hundredths(r.score), "grade": r.grade,
                  "balance": _hundredths(r.balance), "flags": r.flags,
                  "ceiling": _hundredths(r.ceiling), "events": str(r.events)}
        dims = {k: _hundredths(v) for k, v in r.dimensions.items()}
        if version == 1:
            expect["dimensions"] = dims
        else:
            # DECISION D32: at version 2 only the non-zero sums are compared.
            expect["dimensions"] = nonzero(dims)
            expect["tiers"] = [list(t) for t in r.tiers]
            expect["measures"] = r.measures
        seen = {k: g.get(k) for k in expect}
        if version == 2:
            seen["dimensions"] = nonzero(seen["dimensions"] or {})
            seen["tiers"] = [list(t) for t in (seen["tiers"] or {}).items()]
        for key in expect:
            if seen[key] != expect[key]:
                return {"what": "JSON %s of subject %r" % (key, r.subject),
                        "engine": seen[key], "model": expect[key]}
    return None


def json_entry_row(entry, version, offset):
    """A record entry of the JSON answer as a CSV-like row."""
    def yes(v):
        return "yes" if v is True else ("no" if v is False else repr(v))

    def text(v):
        return "" if v is None else v
    row = [entry.get("id"), same_instant(entry.get("ts"), offset), entry.get("type"),
           entry.get("state"), entry.get("raw"), entry.get("counted"), entry.get("dimension"),
           yes(entry.get("capped")), yes(entry.get("escalated")),
           same_instant(text(entry.get("end")), offset), entry.get("ref"), entry.get("group")]
    if version == 2:
        row += [same_instant(entry.get("eff"), offset),
                same_instant(text(entry.get("from")), offset), text(entry.get("act")),
                text(entry.get("source")), text(entry.get("merged_with")),
                yes(entry.get("frozen")), yes(entry.get("contested")),
                yes(entry.get("floored")), text(entry.get("to_balance")),
                same_instant(text(entry.get("corrected")), offset)]
    return row


def check_explain(result, scheme, log, query, version):
    offset = scheme.utc_offset
    T = query.as_of
    who = query.explain
    expected = model.explain_rows(scheme, log, who, T, version)
    if query.fmt == "csv":
        got = result["rows"]
        if not got or got[0] != expected[0]:
            return {"what": "record header", "engine": first_line(result["stdout"]),
                    "model": ",".join(expected[0])}
        return compare_explain_rows(got[1:], expected[1:], who, version, offset)
    try:
        doc = parse_json(result["stdout"])
    except ValueError as e:
        return {"what": "unparsable JSON: %s" % e, "engine": result["stdout"][:500],
                "model": None}
    diff = key_check("the record", doc.keys(), RECORD_KEYS_V1, RECORD_KEYS_V2, version)
    if diff:
        return diff
    r = model.evaluate(scheme, log, who, T)
    expect = {"subject": who, "score": _hundredths(r.score), "grade": r.grade,
              "balance": _hundredths(r.balance), "flags": r.flags, "group": r.group}
    if version == 2:
        expect["archived"] = str(r.archived)
        expect["tiers"] = [list(t) for t in r.tiers]
        expect["measures"] = r.measures
    for key in expect:
        seen = doc.get(key)
        if key == "tiers":
            seen = [list(t) for t in (seen or {}).items()]
        if seen != expect[key]:
            return {"what": "JSON %s of the record of %r" % (key, who), "engine": seen,
                    "model": expect[key]}
    if same_instant(doc["as_of"], offset) != model.format_local(T, offset):
        return {"what": "as_of of the record", "engine": doc["as_of"],
                "model": model.format_local(T, offset)}
    entries = doc["entries"]
    for entry, model_entry in zip(entries, r.record):
        diff = key_check("entry %r" % entry.get("id"), entry.keys(), ENTRY_KEYS_V1,
                         ENTRY_KEYS_V2, version)
        if diff:
            return diff
        if entry.get("kind") != model_entry.kind:
            return {"what": "kind of entry %r" % model_entry.id, "engine": entry.get("kind"),
                    "model": model_entry.kind}
    got = [json_entry_row(e, version, offset) for e in entries]
    return compare_explain_rows(got, expected[1:], who, version, offset)


def check_list(result, scheme, log, query):
    offset = scheme.utc_offset
    T = query.as_of
    expected = model.list_rows(scheme, log, query.list_name, T)
    if query.fmt == "csv":
        got = result["rows"]
        if not got or got[0] != expected[0]:
            return {"what": "list header", "engine": first_line(result["stdout"]),
                    "model": ",".join(expected[0])}
        got = [got[0]] + [row[:4] + [same_instant(c, offset) for c in row[4:]]
                          for row in got[1:] if row]
        return compare_keyed(got, expected, "listed subject ")
    try:
        doc = parse_json(result["stdout"])
    except ValueError as e:
        return {"what": "unparsable JSON: %s" % e, "engine": result["stdout"][:500],
                "model": None}
    if sorted(doc.keys()) != sorted(LIST_TOP_KEYS):
        return {"what": "JSON keys of the list", "engine": list(doc.keys()),
                "model": LIST_TOP_KEYS}
    kind = model.list_kind(scheme, query.list_name)
    if (doc["list"], doc["kind"]) != (query.list_name, kind):
        return {"what": "list name and kind", "engine": [doc["list"], doc["kind"]],
                "model": [query.list_name, kind]}
    if same_instant(doc["as_of"], offset) != model.format_local(T, offset):
        return {"what": "as_of of the list", "engine": doc["as_of"],
                "model": model.format_local(T, offset)}
    got = [LIST_ITEM_KEYS]
    for item in doc["subjects"]:
        if sorted(item.keys()) != sorted(LIST_ITEM_KEYS):
            return {"what": "JSON keys of a list item", "engine": list(item.keys()),
                    "model": LIST_ITEM_KEYS}
        got.append([item["subject"], item["group"], item["score"], item["grade"],
                    "" if item["since"] is None else same_instant(item["since"], offset),
                    # an open stretch: "forever" in JSON, as the `end` of entries
                    "" if item["until"] in (None, "forever") else same_instant(item["until"], offset)])
    return compare_keyed(got, expected, "listed subject ")


def check_compare(result, scheme, log, new_scheme, new_log, query):
    expected = [model.COMPARE_HEADER] + model.compare_answer(
        scheme, log, new_scheme, new_log, query.as_of, query.changed)
    got = result["rows"]
    if not got or got[0] != expected[0]:
        return {"what": "--compare header", "engine": first_line(result["stdout"]),
                "model": ",".join(expected[0])}
    return compare_keyed(got, expected, "compared subject ")


def load_log(scheme, paths, lenient):
    return model.load_event_files(scheme, paths, lenient)


def check(cli_result, query, scheme, log, paths):
    """None if the CLI's answer agrees with the model, else a description."""
    version = model.spec_version(scheme, log)
    expected_rc = 0
    new_scheme = new_log = None
    if query.list_name is not None and model.list_kind(scheme, query.list_name) is None:
        expected_rc = 1  # neither a flag nor a measure: usage error
    if query.compare is not None:
        try:
            new_scheme = model.load_rules(query.compare)
            new_log = load_log(new_scheme, paths, query.lenient)
        except model.ModelError as e:
            # SPEC 11.4: an event valid under one scheme and not the other
            expected_rc = 2
            what = str(e)
        else:
            what = None
    rc = cli_result["rc"]
    if rc != expected_rc:
        diff = {"what": "exit status %s (expected %s)" % (rc, expected_rc),
                "stderr": cli_result["stderr"][-2000:]}
        if expected_rc == 2:
            diff["model"] = what
        return diff
    if expected_rc != 0:
        return None
    if cli_result["rows"] is not None and query.fmt == "csv":
        got = cli_result["rows"]
        if len(got) - 1 != len([r for r in got[1:] if r]):
            return {"what": "blank lines in output", "engine": cli_result["stdout"][-500:],
                    "model": None}
    if query.compare is not None:
        return check_compare(cli_result, scheme, log, new_scheme, new_log, query)
    if query.list_name is not None:
        return check_list(cli_result, scheme, log, query)
    if query.explain is not None:
        return check_explain(cli_result, scheme, log, query, version)
    if query.fmt == "json":
        return check_subjects_json(cli_result, scheme, log, query, version)
    return compare_rows(cli_result, model_rows(scheme, log, query), query)


# ---------------------------------------------------------------------------
# One case
# ---------------------------------------------------------------------------

class Case:
    def __init__(self, seed, directory, mode="mixed"):
        self.seed = seed
        self.dir = directory
        self.mode = mode
        rng = random.Random(seed)
        draw = rng.random()
        self.v2 = {"v1": False, "v2": True}.get(mode, draw < V2_SHARE)
        y0 = rng.randint(2019, 2024)
        span = rng.choice([0, 0, 1, 1, 2])
        self.features = pick_features(rng) if self.v2 else frozenset()
        self.rules_text, self.info = gen_scheme(rng, self.features, y0, span)
        try:
            scheme = model.parse_rules(self.rules_text)
        except model.ModelError as e:
            raise RuntimeError("generator produced rules the model rejects (seed %d): %s\n%s"
                               % (seed, e, self.rules_text))
        self.rows = gen_log(rng, self.info, self.features, scheme if self.v2 else None,
                            y0, span)
        uses_fields = any(r.get("act") or r.get("source") for r in self.rows)
        if self.v2:
            self.columns = COLUMNS_V2 if uses_fields or rng.random() < 0.6 else COLUMNS
        else:
            # empty act/source columns: still a version-1 log (empty = absent)
            self.columns = COLUMNS_V2 if rng.random() < 0.05 else COLUMNS
        self.bad = None
        if rng.random() < 0.04 and self.rows:
            self.bad = make_bad(rng, self.rows, self.info, self.v2)
            if any(r.get("act") or r.get("source") for r in self.rows):
                self.columns = COLUMNS_V2
        self.bad_rules = False
        if self.bad is None and rng.random() < (0.04 if self.v2 else 0.02):
            what, self.rules_text = make_bad_rules(rng, self.rules_text, self.v2)
            self.bad, self.bad_rules = "rules: " + what, True
        self.rules_path = os.path.join(directory, "rules.toml")
        with open(self.rules_path, "w", encoding="utf-8") as f:
            f.write(self.rules_text)
        # --compare: other schemes over the same rule codes and utc_offset
        # (sometimes one code fewer: then the events are not valid under both)
        self.compare_paths = []
        if self.v2 and self.bad is None:
            for i in range(rng.choice([0, 1, 1, 2])):
                codes = list(self.info["rules"])
                if rng.random() < 0.05 and len(codes) > 1:
                    codes.remove(rng.choice(codes))
                text, _ = gen_scheme(rng, pick_features(rng), y0, span, codes=codes,
                                     offset=self.info["offset_text"])
                path = os.path.join(directory, "new-rules-%d.toml" % (i + 1))
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                self.compare_paths.append(path)
        if rng.random() < 0.15 and len(self.rows) > 1:
            # SPEC 6: several input files form one set of events (duplicates
            # across files included).
            cut = rng.randint(1, len(self.rows) - 1)
            first, second = self.rows[:cut], self.rows[cut:]
            if rng.random() < 0.5:
                second = second + [rng.choice(first)]
            self.events_paths = [write_events(rng, first, directory, "events", self.columns),
                                 write_events(rng, second, directory, "more", self.columns)]
        else:
            self.events_paths = [write_events(rng, self.rows, directory, columns=self.columns)]
        self.rng = rng

    def switch(self):
        return {"v1": " --v1-only", "v2": " --v2"}.get(self.mode, "")

    def load_model(self, lenient=False):
        scheme = model.load_rules(self.rules_path)
        log = model.load_event_files(scheme, self.events_paths, lenient)
        return scheme, log

    def as_of_times(self, scheme, log):
        rng = self.rng
        events = log.events()
        offset = scheme.utc_offset
        candidates = set()
        for e in events:
            candidates.update([e.ts, e.ts - 1])
            if e.type in scheme.rules:
                rule = scheme.rules[e.type]
                base = rule.base
                valid = base.valid or scheme.valid
                if valid != "by-severity":
                    end = model.validity_end(e.ts, valid, offset)
                    if end is not None:
                        candidates.update([end, end - 1])
                if not self.v2:
                    continue
                # version 2: the instants where an answer changes
                life = rule.life_version(e.ts)
                eff = e.ts
                if life.publicity is not None:
                    eff = model.validity_end(e.ts, life.publicity, offset)
                    candidates.update([eff, eff - 1])
                    if valid != "by-severity":
                        end = model.validity_end(eff, valid, offset)
                        if end is not None:
                            candidates.update([end, end - 1])
                for duration, start in ((life.retain, e.ts), (life.repair_after, eff),
                                        (scheme.objection_window, e.ts)):
                    if duration is not None:
                        at = model.validity_end(start, duration, offset)
                        if at is not None:
                            candidates.update([at, at - 1])
                for version in rule.versions[1:]:
                    candidates.update([version.from_ts, version.from_ts - 1])
        candidates = sorted(candidates)
        chosen = set(rng.sample(candidates, min(6 if self.v2 else 4, len(candidates))))
        if events:
            first = min(e.ts for e in events)
            last = max(e.ts for e in events)
            chosen.add(last + rng.choice([0, 86400 * 400, 86400 * 3000]))
            chosen.add(rng.randint(first - 86400, last + 86400 * 400))
            if rng.random() < 0.1:
                chosen.add(first - 1)  # before every event: header only
        return sorted(chosen)

    def queries(self, scheme, log, max_group_runs=2, lenient=False):
        rng = self.rng
        times = self.as_of_times(scheme, log)
        if lenient:
            return [Query(T, lenient=True) for T in times[:3]]
        group_times = set(rng.sample(times, min(max_group_runs, len(times))))
        subjects = sorted({e.subject for e in log.events()})
        names = sorted(scheme.flags()) + list(scheme.measures)
        out = []
        for T in times:
            text = str(T)
            if rng.random() < 0.25:
                # the as-of time in another ts form (same instant)
                local = local_of(T, scheme.utc_offset)
                text = format_ts(rng, local, scheme.utc_offset)
            out.append(Query(T, text))
            if rng.random() < 0.2:
                out.append(Query(T, text, top=rng.randint(1, 6)))
            if rng.random() < (0.25 if self.v2 else 0.15):
                top = rng.randint(1, 6) if rng.random() < 0.2 else None
                out.append(Query(T, text, fmt="json", top=top))
            if subjects and rng.random() < (0.45 if self.v2 else 0.3):
                who = rng.choice(subjects) if rng.random() < 0.95 else "nobody"
                fmt = "json" if rng.random() < 0.3 else "csv"
                out.append(Query(T, text, explain=who, fmt=fmt))
            if self.v2 and rng.random() < 0.35:
                name = rng.choice(names) if names and rng.random() < 0.9 else "no_such_list"
                fmt = "json" if rng.random() < 0.25 else "csv"
                out.append(Query(T, text, list_name=name, fmt=fmt))
            if T in group_times:
                depth = rng.choice([0, 1, 1, 2, 2, 3, 4])
                out.append(Query(T, text, depth=depth))
                if rng.random() < 0.3:
                    out.append(Query(T, text, depth=depth, top=rng.randint(1, 4)))
        for path in self.compare_paths:
            T = rng.choice(times)
            out.append(Query(T, str(T), compare=path, changed=rng.random() < 0.3))
        return out


def describe(case, query, diff, cli_result):
    lines = []
    lines.append("DISAGREEMENT in case seed %d (reproduce: tests/difftest.py --seed %d "
                 "--cases 1%s)" % (case.seed, case.seed, case.switch()))
    lines.append("  case files : %s" % case.dir)
    lines.append("  features   : %s" % (", ".join(sorted(case.features)) or
                                       ("(version 2, none)" if case.v2 else "(version 1)")))
    lines.append("  command    : %s" % " ".join(_shell_quote(c) for c in cli_result["cmd"]))
    lines.append("  model      : python3 tests/model/civic_model.py -r %s %s %s" % (
        case.rules_path, query, " ".join(case.events_paths)))
    lines.append("  as-of      : %d (%s UTC)" % (query.as_of, datetime.datetime.fromtimestamp(
        query.as_of, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")))
    lines.append("  what       : %s" % diff["what"])
    if "engine" in diff:
        lines.append("  engine     : %r" % (diff["engine"],))
        lines.append("  model      : %r" % (diff["model"],))
    if diff.get("stderr"):
        lines.append("  stderr     : %s" % diff["stderr"].strip())
    return "\n".join(lines)


def run_case(cli, seed, directory, mode="mixed"):
    """Returns None on agreement, else (case, query, diff, cli_result)."""
    case = Case(seed, directory, mode)
    try:
        scheme, log = case.load_model()
    except model.ModelError as e:
        if case.bad is None:
            raise RuntimeError("generator produced input the model rejects (seed %d): %s"
                               % (seed, e))
        query = Query(0)
        result = run_cli(cli, case.rules_path, case.events_paths, query)
        if result["rc"] != 2:
            return (case, query, {"what": "bad input (%s: %s) gave exit status %s, "
                                          "expected 2" % (case.bad, e, result["rc"]),
                                  "engine": result["stdout"][:300], "model": "exit 2"},
                    result)
        if case.bad_rules:
            return None
        # --lenient: the bad lines are skipped, every good line is applied.
        scheme, log = case.load_model(lenient=True)
        for query in case.queries(scheme, log, lenient=True):
            result = run_cli(cli, case.rules_path, case.events_paths, query)
            diff = check(result, query, scheme, log, case.events_paths)
            if diff is not None:
                return (case, query, diff, result)
        return None
    if case.bad is not None:
        raise RuntimeError("model accepted deliberately bad input %r (seed %d)"
                           % (case.bad, seed))
    for query in case.queries(scheme, log):
        # SPEC 6: no file or "-" reads standard input, format chosen by content
        stdin = len(case.events_paths) == 1 and case.rng.random() < 0.05
        result = run_cli(cli, case.rules_path, case.events_paths, query, stdin)
        if stdin:
            result["cmd"].append("< " + case.events_paths[0])
        diff = check(result, query, scheme, log, case.events_paths)
        if diff is not None:
            return (case, query, diff, result)
    return None


# ---------------------------------------------------------------------------
# Shrinking a failure to a minimal event log
# ---------------------------------------------------------------------------

def still_fails(cli, case, rows, query, directory, rules_text=None):
    """The disagreement (or None) for this event list (one file) and rules text.
    The as-of time is passed as Unix seconds: the shrinker may drop the
    utc_offset line, which would move a local as-of time."""
    query = copy.copy(query)
    query.as_of_text = str(query.as_of)
    path = os.path.join(directory, os.path.basename(case.events_paths[0]))
    write_rows_like(path, rows, case.columns)
    rules_path = os.path.join(directory, "rules.toml")
    with open(rules_path, "w", encoding="utf-8") as f:
        f.write(case.rules_text if rules_text is None else rules_text)
    try:
        scheme = model.load_rules(rules_path)
        log = model.load_event_files(scheme, [path])
    except model.ModelError:
        return None
    result = run_cli(cli, rules_path, [path], query)
    return check(result, query, scheme, log, [path])


def disagreement_kind(diff):
    """What a disagreement is about, without names, ids and numbers."""
    if diff is None:
        return None
    what = diff["what"]
    if what.startswith("exit status"):
        return "exit status"
    return re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|[0-9]+", "", what)


def shrink(cli, case, query, directory):
    """Greedy one-at-a-time removal of events, then of rules-file lines and
    tables, while a disagreement stays.  Returns (rows, rules_text, diff)."""
    rows = list(case.rows)
    rules_text = case.rules_text
    original = still_fails(cli, case, rows, query, directory, rules_text)
    kind = disagreement_kind(original)

    def fails(trial_rows, trial_rules):
        diff = still_fails(cli, case, trial_rows, query, directory, trial_rules)
        # Keep the same kind of disagreement: do not drift from a wrong answer
        # to, say, the engine rejecting a shrunk file, or from one record
        # column to another.
        if diff is not None and disagreement_kind(diff) != kind:
            return None
        return diff

    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(rows):
            trial = rows[:i] + rows[i + 1:]
            if trial and fails(trial, rules_text):
                rows = trial
                changed = True
            else:
                i += 1
    for i in range(len(rows)):
        for key in ("group", "qty", "act", "source"):
            if rows[i].get(key, "") != "":
                trial = list(rows)
                trial[i] = dict(rows[i], **{key: ""})
                if fails(trial, rules_text):
                    rows = trial
    # Rules: drop comments, then whole tables, then single lines.
    lines = [l for l in rules_text.split("\n") if l.strip() and not l.strip().startswith("#")]
    if fails(rows, "\n".join(lines) + "\n"):
        rules_text = "\n".join(lines) + "\n"
    else:
        lines = rules_text.split("\n")
    changed = True
    while changed:
        changed = False
        starts = [i for i, l in enumerate(lines) if l.startswith("[")] + [len(lines)]
        for a, b in zip(starts, starts[1:]):
            if lines[a].strip() == "[scheme]":
                continue
            trial = lines[:a] + lines[b:]
            if fails(rows, "\n".join(trial) + "\n"):
                lines, changed = trial, True
                break
        if changed:
            continue
        for i, line in enumerate(lines):
            if line.startswith("["):
                continue
            trial = lines[:i] + lines[i + 1:]
            if fails(rows, "\n".join(trial) + "\n"):
                lines, changed = trial, True
                break
    rules_text = "\n".join(lines).strip("\n") + "\n"
    diff = fails(rows, rules_text)
    return rows, rules_text, diff


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--long", type=float, metavar="SECONDS",
                        help="run cases until SECONDS have passed (ignores --cases)")
    parser.add_argument("--keep", metavar="DIR", help="keep every case under DIR")
    parser.add_argument("--cli", default=DEFAULT_CLI,
                        help="command to test (default build/civic-score); may contain "
                             "arguments, e.g. 'python3 tests/v2/model_cli.py'")
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--v1-only", action="store_true",
                      help="only version-1 cases (SPEC 2-8; layouts of 1.0.0)")
    side.add_argument("--v2", action="store_true",
                      help="only version-2 cases (SPEC 9-11 features, --list, --compare)")
    parser.add_argument("--max-failures", type=int, default=1,
                        help="stop after this many failing cases (default 1)")
    parser.add_argument("--no-shrink", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    mode = "v1" if args.v1_only else ("v2" if args.v2 else "mixed")

    cli = args.cli.split()
    if not os.path.exists(cli[0]) and shutil.which(cli[0]) is None:
        sys.stderr.write("difftest: %s not found (run make first)\n" % cli[0])
        return 1
    scratch_root = args.keep or tempfile.mkdtemp(prefix="civic-difftest-")
    os.makedirs(scratch_root, exist_ok=True)
    started = time.time()
    failures = 0
    done = 0
    k = 0
    while True:
        if args.long is not None:
            if time.time() - started >= args.long:
                break
        elif k >= args.cases:
            break
        seed = args.seed + k
        k += 1
        directory = os.path.join(scratch_root, "case-%d" % seed)
        os.makedirs(directory, exist_ok=True)
        outcome = run_case(cli, seed, directory, mode)
        done += 1
        if outcome is None:
            if not args.keep:
                shutil.rmtree(directory, ignore_errors=True)
            if not args.quiet and done % 100 == 0:
                print("difftest: %d cases agree (%.0fs)" % (done, time.time() - started),
                      flush=True)
            continue
        failures += 1
        case, query, diff, result = outcome
        print(describe(case, query, diff, result), flush=True)
        if not args.no_shrink and case.bad is None:
            small_dir = directory + "-min"
            os.makedirs(small_dir, exist_ok=True)
            if not still_fails(cli, case, case.rows, query, small_dir):
                print("  (not shrunk: the disagreement depends on the layout of the events "
                      "files, e.g. BOM, CRLF, column order, quoting, JSON or several files)")
                small_diff = None
            else:
                rows, rules_text, small_diff = shrink(cli, case, query, small_dir)
            if small_diff:
                unix_query = copy.copy(query)
                unix_query.as_of_text = str(query.as_of)
                print("  minimal reproduction (%d events) kept in %s, options %s:" % (
                    len(rows), small_dir, unix_query))
                print("    rules.toml:")
                print("      " + rules_text.rstrip("\n").replace("\n", "\n      "))
                name = os.path.basename(case.events_paths[0])
                print("    " + name + ":")
                with open(os.path.join(small_dir, name),
                          encoding="utf-8") as f:
                    print("      " + f.read().rstrip("\n").replace("\n", "\n      "))
                print("    what  : %s" % small_diff["what"])
                if "engine" in small_diff:
                    print("    engine: %r" % (small_diff["engine"],))
                    print("    model : %r" % (small_diff["model"],))
        if failures >= args.max_failures:
            break
    elapsed = time.time() - started
    switch = {"v1": " --v1-only", "v2": " --v2"}.get(mode, "")
    if failures:
        print("difftest: FAILED: %d disagreeing case(s) in %d cases (seeds %d..%d%s), %.0fs"
              % (failures, done, args.seed, args.seed + k - 1, switch, elapsed))
        return 1
    print("difftest: OK: %d cases agree (seeds %d..%d%s), %.0fs" % (
        done, args.seed, args.seed + k - 1, switch, elapsed))
    if not args.keep:
        shutil.rmtree(scratch_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
