#!/usr/bin/env python3
"""Independent reference model of libcivic (the contract's sections 2-5 and
9-11, which the manual in docs/ retells: rules.md, events.md, evaluation.md).

Written only from the contract, without looking at the C engine, so that the
differential test (tests/difftest.py) compares two independent readings of
the contract.  It is deliberately slow and simple: every answer is recomputed
from scratch from (rules, events, as-of time).  Only integers are used:

    points  -> hundredths   (1.25 points  == 125)
    qty     -> thousandths  (1.5 units    == 1500)
    times   -> whole Unix seconds (UTC)

Where the contract is silent or ambiguous the decision taken is marked with a comment
starting with "AMBIGUITY:" (grep for it).  Decisions that were dictated by the
engine author are marked "ENGINE DECISION:".  Version-2 readings (SPEC 9-11)
are marked "DECISION Dnn:" and listed, with the same numbers, in
tests/model/DECISIONS-v2.md.

Python 3 standard library only.
"""

import csv
import datetime
import decimal
import io
import json
import math
import re
import sys

REVOKE, REPAIR, REDEEM = "revoke", "repair", "redeem"
OBJECT, DISMISS, CORRECT = "object", "dismiss", "correct"  # version 2 (SPEC 9.5, 10.2)
BUILTIN_TYPES = (REVOKE, REPAIR, REDEEM, OBJECT, DISMISS, CORRECT)
# Built-in types that point at another event with `ref`.
POINTER_TYPES = (REVOKE, REPAIR, OBJECT, DISMISS, CORRECT)
V2_TYPES = (OBJECT, DISMISS, CORRECT)
FOREVER = None  # an end time of None means "never ends"


class ModelError(Exception):
    """Bad rules or bad input (what the CLI reports with exit status 2)."""


class PurgedError(ModelError):
    """A question about T < H after a purge up to H (SPEC 10.4): the answer is
    no longer knowable (CIVIC_E_PURGED in the C API)."""


# ---------------------------------------------------------------------------
# Integer helpers
# ---------------------------------------------------------------------------

def div_round_half_away(numerator, denominator):
    """numerator / denominator rounded half away from zero (denominator > 0)."""
    assert denominator > 0
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return sign * quotient


_DECIMAL_RE = re.compile(r"^([+-]?)([0-9]+)(?:\.([0-9]+))?$")


def parse_fixed(text, places, what="number"):
    """Parse a decimal text into an integer scaled by 10**places.

    ENGINE DECISION: trailing zeros beyond the allowed places are accepted
    ("1.500" is 1.5 even where at most 2 places are allowed); only
    significant digits count against the limit.
    """
    m = _DECIMAL_RE.match(text)
    if not m:
        raise ModelError("bad %s %r" % (what, text))
    sign, whole, frac = m.group(1), m.group(2), m.group(3) or ""
    significant = frac.rstrip("0")
    if len(significant) > places:
        raise ModelError("%s %r has more than %d decimal places" % (what, text, places))
    frac = significant.ljust(places, "0")
    value = int(whole) * 10 ** places + (int(frac) if frac else 0)
    return -value if sign == "-" else value


def format_hundredths(value):
    """1234 -> '12.34', -5 -> '-0.05'."""
    sign = "-" if value < 0 else ""
    return "%s%d.%02d" % (sign, abs(value) // 100, abs(value) % 100)


# ---------------------------------------------------------------------------
# Time helpers (local time = UTC + fixed offset, no daylight saving)
# ---------------------------------------------------------------------------

EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
SECONDS_PER_DAY = 86400


def parse_offset(text):
    """'+08:00' -> 28800 seconds, 'Z' -> 0."""
    if text in ("Z", "z"):
        return 0
    m = re.match(r"^([+-])([0-9]{2}):([0-9]{2})$", text)
    if not m:
        raise ModelError("bad utc offset %r" % text)
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 23 or minutes > 59:
        raise ModelError("bad utc offset %r" % text)
    seconds = hours * 3600 + minutes * 60
    return -seconds if m.group(1) == "-" else seconds


def days_to_date(days):
    """Days since 1970-01-01 -> datetime.date."""
    return datetime.date.fromordinal(days + EPOCH_ORDINAL)


def date_to_days(date):
    return date.toordinal() - EPOCH_ORDINAL


def local_date_and_seconds(ts, offset):
    """Unix seconds -> (local date, seconds since local midnight)."""
    local = ts + offset
    days, seconds = divmod(local, SECONDS_PER_DAY)  # floor division: fine before 1970
    return days_to_date(days), seconds


def local_to_unix(year, month, day, seconds_of_day, offset):
    days = date_to_days(datetime.date(year, month, day))
    return days * SECONDS_PER_DAY + seconds_of_day - offset


def format_local(ts, offset):
    """Unix seconds -> 'YYYY-MM-DDTHH:MM:SS+HH:MM' in local time."""
    date, seconds = local_date_and_seconds(ts, offset)
    sign = "-" if offset < 0 else "+"
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        date.year, date.month, date.day, seconds // 3600, seconds % 3600 // 60, seconds % 60,
        sign, abs(offset) // 3600, abs(offset) % 3600 // 60)


def days_in_month(year, month):
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.date(year, month, 1)).days


def add_months(year, month, n):
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


_TS_DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_TS_DATETIME_RE = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})?$")
_TS_UNIX_RE = re.compile(r"^-?[0-9]+$")


def parse_ts(text, scheme_offset):
    """Any SPEC ts form -> Unix seconds.

    - 'YYYY-MM-DD': local midnight of the scheme.
    - 'YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM]': fraction ignored
      (truncated); no offset means local time of the scheme.
    - integer Unix seconds.
    AMBIGUITY: as in RFC 3339, 't' or a space may replace 'T' and 'z' may
    replace 'Z' (the engine accepts them).  No leap second 60, no 24:00:00,
    no surrounding spaces.
    AMBIGUITY: negative integer Unix seconds are accepted.
    """
    if isinstance(text, int):
        return text
    if _TS_UNIX_RE.match(text):
        return int(text)
    m = _TS_DATE_RE.match(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        _check_date(year, month, day, text)
        return local_to_unix(year, month, day, 0, scheme_offset)
    m = _TS_DATETIME_RE.match(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6))
        _check_date(year, month, day, text)
        if hour > 23 or minute > 59 or second > 59:
            raise ModelError("bad timestamp %r" % text)
        offset = scheme_offset if m.group(8) is None else parse_offset(m.group(8))
        return local_to_unix(year, month, day, hour * 3600 + minute * 60 + second, offset)
    raise ModelError("bad timestamp %r" % text)


def _check_date(year, month, day, text):
    if not (1 <= month <= 12) or not (1 <= day <= days_in_month(year, month)) or year < 1:
        raise ModelError("bad date %r" % text)


def calendar_bucket(ts, period, offset):
    """The local calendar period containing ts, as a comparable tuple."""
    date, _ = local_date_and_seconds(ts, offset)
    if period == "day":
        return ("day", date.year, date.month, date.day)
    if period == "week":
        # ISO week starts on Monday; identify the week by its Monday.
        monday = date - datetime.timedelta(days=date.weekday())
        return ("week", monday.year, monday.month, monday.day)
    if period == "month":
        return ("month", date.year, date.month)
    if period == "quarter":
        return ("quarter", date.year, (date.month - 1) // 3)
    if period == "year":
        return ("year", date.year)
    if period in ("lifetime", "never"):
        return ("all",)
    raise AssertionError(period)


# ---------------------------------------------------------------------------
# Validity durations
# ---------------------------------------------------------------------------

_DURATION_RE = re.compile(r"^([0-9]+)([dmy])$")


def check_duration(text, by_severity=False, forever=True):
    """A duration of SPEC 2 (and, where allowed, "by-severity" of SPEC 9.3)."""
    if text == "by-severity" and by_severity:
        return text
    if text == "forever" and forever:
        return text
    if text in ("end-of-month", "end-of-quarter", "end-of-year"):
        return text
    if _DURATION_RE.match(text):
        # AMBIGUITY: N >= 1 ("0d" is an error, as in the engine).
        if int(text[:-1]) < 1:
            raise ModelError("bad duration %r" % text)
        return text
    raise ModelError("bad duration %r" % text)


def validity_end(ts, duration, offset):
    """Instant at which an effect starting at ts ends (None = never).

    DECISION D29: every "ts + duration" of version 2 (eff = ts + publicity,
    eff + repair_after, ts + retain, target.ts + objection_window, a rolling
    tier window eff + 12m) uses this same arithmetic: Nd = N x 86400 s, Nm/Ny
    on the local calendar date with the day clamped to the month's last day,
    end-of-* = the start of the next local calendar period.
    """
    if duration == "forever":
        return FOREVER
    date, seconds = local_date_and_seconds(ts, offset)
    if duration == "end-of-month":
        year, month = add_months(date.year, date.month, 1)
        return local_to_unix(year, month, 1, 0, offset)
    if duration == "end-of-quarter":
        first_month_of_quarter = (date.month - 1) // 3 * 3 + 1
        year, month = add_months(date.year, first_month_of_quarter, 3)
        return local_to_unix(year, month, 1, 0, offset)
    if duration == "end-of-year":
        return local_to_unix(date.year + 1, 1, 1, 0, offset)
    m = _DURATION_RE.match(duration)
    n, unit = int(m.group(1)), m.group(2)
    if unit == "d":
        return ts + n * SECONDS_PER_DAY
    months = n if unit == "m" else 12 * n
    # Calendar months/years are added to the LOCAL date, keeping the local
    # time of day; a day that does not exist becomes the last day of the month.
    # AMBIGUITY: SPEC states the clamping only for Ny; the model applies the
    # same clamping to Nm (2023-01-31 + 1m = 2023-02-28).
    year, month = add_months(date.year, date.month, months)
    day = min(date.day, days_in_month(year, month))
    return local_to_unix(year, month, day, seconds, offset)


# ---------------------------------------------------------------------------
# Rules file (TOML subset)
# ---------------------------------------------------------------------------

class Grade:
    def __init__(self, name, min_score):
        self.name = name
        self.min = min_score  # hundredths, or None for the catch-all last grade


class CapGroup:
    def __init__(self, name, limit, period, mode="both"):
        self.name, self.limit, self.period = name, limit, period
        self.mode = mode  # SPEC 9.6: "both" (default) | "net"


# Keys of a [rule.X] table; a change ([[rule.X.change]]) may set any of them.
RULE_KEYS = ("points", "per", "dimension", "valid", "cap", "cap_period", "cap_group",
             "repeat_factor", "ceiling", "flag", "affects",
             # version 2
             "category", "freeze", "publicity", "repair_after", "retain", "cap_mode")
V2_RULE_KEYS = ("category", "freeze", "publicity", "repair_after", "retain", "cap_mode")
# SPEC 9.1: `false` in a change removes one of these optional keys.
REMOVABLE_KEYS = ("cap", "cap_group", "repeat_factor", "ceiling", "flag", "category",
                  "freeze", "publicity", "repair_after", "retain")
# SPEC 9.1: keys a recount change may not set (they always come from the
# version in force at E.ts).
LIFE_KEYS = ("publicity", "retain", "repair_after")


class Version:
    """One version of a rule: the base table or the base plus changes 1..k.

    Versions are cumulative (SPEC 9.1: "Keys a change does not list keep the
    previous version's value"), in file order, recount changes included.
    """

    def __init__(self, code):
        self.code = code
        self.from_ts = None   # None for the base table
        self.recount = False
        self.index = 0        # 0 = base table, k = change k
        self.points = 0  # ENGINE DECISION: points defaults to 0
        self.per = "event"
        self.dimension = "general"
        self.valid = None  # None -> scheme.valid
        self.cap = None
        self.cap_period = None
        self.cap_mode = "both"
        self.cap_group = None
        self.repeat_factor = None  # hundredths (2 -> 200)
        self.ceiling = None
        self.flag = None
        self.affects = "both"
        self.category = None  # None -> the rule's own code (SPEC 9.2)
        self.freeze = False
        self.publicity = None     # duration or None
        self.repair_after = None  # duration or None
        self.retain = None        # duration or None (= "forever")

    def copy(self):
        other = Version(self.code)
        other.__dict__.update(self.__dict__)
        return other

    def category_name(self):
        return self.category if self.category is not None else self.code

    def affects_score(self):
        return self.affects in ("both", "score")

    def affects_balance(self):
        return self.affects in ("both", "balance")


class Rule:
    """A rule code and its versions (SPEC 9.1)."""

    def __init__(self, code):
        self.code = code
        self.versions = [Version(code)]

    @property
    def base(self):
        return self.versions[0]

    # DECISION D34: versions are cumulative in file order, recount changes
    # included: an event after a recount change inherits its keys, and an old
    # event governed by a recount change gets the keys of every earlier change
    # too ("as if the scheme had always been so"), although those earlier
    # non-recount changes do not apply to it by themselves.
    def version_at(self, ts, T):
        """SPEC 9.1: change k applies to an event at ts for answers at T when
        from_k <= T and (recount_k or from_k <= ts); the version is the last
        applying change, else the base table."""
        chosen = self.versions[0]
        for v in self.versions[1:]:
            if v.from_ts <= T and (v.recount or v.from_ts <= ts):
                chosen = v
        return chosen

    def life_version(self, ts):
        """The version in force at ts (publicity, retain, repair_after always
        come from it, SPEC 9.1).  A recount change with from <= ts is in force
        at ts too; it cannot change those three keys anyway."""
        return self.version_at(ts, ts)

    def affects_balance(self):
        return any(v.affects_balance() for v in self.versions)

    def flags(self):
        return {v.flag for v in self.versions if v.flag is not None}

    def uses_v2(self):
        if len(self.versions) > 1:
            return True
        v = self.versions[0]
        return (v.category is not None or v.freeze or v.publicity is not None
                or v.repair_after is not None or v.retain is not None
                or v.valid == "by-severity" or v.cap_mode != "both")


class Tier:
    """SPEC 11.1."""

    def __init__(self, name):
        self.name = name
        self.rules = []        # rule codes
        self.measure = None    # "qty" | "points"
        self.window = "lifetime"
        self.levels = []       # [(name, min)], min in thousandths (qty) or hundredths

    def level_of(self, value):
        level = None
        for name, minimum in self.levels:
            if minimum <= value:
                level = name
        return level

    def level_index(self, name):
        for i, (level, _) in enumerate(self.levels):
            if level == name:
                return i
        return None


class Measure:
    """SPEC 11.2."""

    def __init__(self, code):
        self.code = code
        self.text = ""
        self.kind = None
        self.grades = None     # list of grade names or None
        self.flag = None
        self.tier = None
        self.min_level = None
        self.min_score = None
        self.max_score = None


class Scheme:
    def __init__(self):
        self.name = ""
        self.base = 0
        self.min = None
        self.max = None
        # AMBIGUITY: default clamp is "final"; default utc_offset "+00:00".
        self.clamp = "final"
        self.utc_offset = 0
        self.valid = "forever"
        self.balance_reset = "never"
        self.grades = []
        self.caps = {}
        self.rules = {}
        # version 2
        self.validity_classes = []   # [(up_to hundredths or None, duration)]
        self.contested = "mark"      # SPEC 10.2: "mark" (default) | "suspend"
        self.objection_window = "forever"
        self.balance_min = None      # SPEC 9.7: hundredths <= 0, or None
        self.tiers = {}              # name -> Tier, in file order
        self.measures = {}           # code -> Measure, in file order
        self.v2_keys = False         # set when the file uses any version-2 key/table

    def bound(self, score):
        if self.min is not None and score < self.min:
            score = self.min
        if self.max is not None and score > self.max:
            score = self.max
        return score

    def grade_of(self, score):
        for grade in self.grades:
            if grade.min is None or grade.min <= score:
                return grade.name
        return self.grades[-1].name

    def uses_v2(self):
        """civic_rules_spec_version() == 2: the file uses a version-2 key or table."""
        return self.v2_keys or any(rule.uses_v2() for rule in self.rules.values())

    def flags(self):
        out = set()
        for rule in self.rules.values():
            out |= rule.flags()
        return out

    def dimensions(self):
        """Every dimension of every version, in file order (ENGINE DECISION:
        the JSON `dimensions` object lists every dimension of the scheme,
        zero sums included, in the order of the rules file)."""
        out = []
        for rule in self.rules.values():
            for v in rule.versions:
                if v.dimension not in out:
                    out.append(v.dimension)
        return out

    def validity_for(self, raw):
        """SPEC 9.3: the first class whose up_to >= |raw|."""
        for up_to, valid in self.validity_classes:
            if up_to is None or up_to >= abs(raw):
                return valid
        raise AssertionError("the last validity class catches everything")


_BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_RULE_CODE_RE = re.compile(r"^[a-z0-9_.-]{1,64}$")


def _parse_toml_string(text, pos, line_no):
    """text[pos] == '"'; returns (value, position after the closing quote)."""
    assert text[pos] == '"'
    pos += 1
    out = []
    while True:
        if pos >= len(text):
            raise ModelError("line %d: unterminated string" % line_no)
        ch = text[pos]
        if ch == '"':
            return "".join(out), pos + 1
        if ch == "\\":
            nxt = text[pos + 1:pos + 2]
            if nxt == '"':
                out.append('"')
                pos += 2
            elif nxt == "\\":
                out.append("\\")
                pos += 2
            elif nxt == "n":
                out.append("\n")
                pos += 2
            elif nxt == "t":
                out.append("\t")
                pos += 2
            elif nxt == "u" and re.match(r"^[0-9A-Fa-f]{4}$", text[pos + 2:pos + 6]):
                out.append(chr(int(text[pos + 2:pos + 6], 16)))
                pos += 6
            else:
                raise ModelError("line %d: bad escape" % line_no)
        else:
            out.append(ch)
            pos += 1


def parse_toml_subset(text):
    """Returns a list of (table_path_tuple, is_array_item, {key: (kind, value)}).

    kind is 'str', 'int', 'dec' or 'bool'; numbers keep their text so that they
    can be scaled exactly later.
    """
    tables = [((), False, {})]
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("\ufeff"):
            stripped = stripped[1:].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("["):
            m = re.match(r"^(\[\[?)\s*([^\[\]]+?)\s*(\]\]?)\s*(#.*)?$", stripped)
            if not m or len(m.group(1)) != len(m.group(3)):
                raise ModelError("line %d: bad table header" % line_no)
            parts = tuple(p.strip() for p in m.group(2).split("."))
            for part in parts:
                if not _BARE_KEY_RE.match(part):
                    raise ModelError("line %d: bad table name" % line_no)
            tables.append((parts, len(m.group(1)) == 2, {}))
            continue
        m = re.match(r"^([A-Za-z0-9_-]+)\s*=\s*(.*)$", stripped)
        if not m:
            raise ModelError("line %d: expected key = value" % line_no)
        key, rest = m.group(1), m.group(2)
        if rest.startswith('"'):
            value, end = _parse_toml_string(rest, 0, line_no)
            kind = "str"
            rest = rest[end:]
        else:
            vm = re.match(r"^([^\s#]+)(.*)$", rest)
            if not vm:
                raise ModelError("line %d: missing value" % line_no)
            word, rest = vm.group(1), vm.group(2)
            if word in ("true", "false"):
                kind, value = "bool", word == "true"
            elif re.match(r"^[+-]?[0-9]+$", word):
                kind, value = "int", word
            elif re.match(r"^[+-]?[0-9]+\.[0-9]+$", word):
                kind, value = "dec", word
            else:
                raise ModelError("line %d: bad value %r" % (line_no, word))
        rest = rest.strip()
        if rest and not rest.startswith("#"):
            raise ModelError("line %d: junk after value" % line_no)
        current = tables[-1][2]
        if key in current:
            raise ModelError("line %d: duplicate key %r" % (line_no, key))
        current[key] = (kind, value)
    return tables


def _number(entry, places, what):
    kind, value = entry
    if kind not in ("int", "dec"):
        raise ModelError("%s must be a number" % what)
    return parse_fixed(value, places, what)


def _string(entry, what):
    kind, value = entry
    if kind != "str":
        raise ModelError("%s must be a string" % what)
    # AMBIGUITY (engine decision, found by the difftest): no string value of
    # the rules file may contain a control character, although the TOML
    # subset has \n and \t escapes.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in value):
        raise ModelError("%s contains a control character" % what)
    return value


def _check_keys(keys, allowed, where):
    for key in keys:
        if key not in allowed:
            raise ModelError("unknown key %r in %s" % (key, where))


PERIODS = ("day", "week", "month", "quarter", "year", "lifetime")
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MEASURE_CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _bool(entry, what):
    kind, value = entry
    if kind != "bool":
        raise ModelError("%s must be true or false" % what)
    return value


def _semicolon_list(text, what):
    items = text.split(";")
    if any(item == "" for item in items):
        raise ModelError("%s: empty item in %r" % (what, text))
    if len(set(items)) != len(items):
        raise ModelError("%s: an item listed twice in %r" % (what, text))
    return items


def _apply_rule_keys(version, keys, where, is_change):
    """Sets the keys of a [rule.X] table or a change on `version` (in place).

    DECISION D01: `false` is accepted only in a change and only for the keys
    SPEC 9.1 lists (cap, cap_group, repeat_factor, ceiling, flag, category,
    freeze, publicity, repair_after, retain); `false` for any other key (valid,
    cap_period, cap_mode, points, ...) is an error.  In the base table `false`
    is only meaningful for the boolean `freeze`.  Removals are applied before
    the values the same change sets, so `cap = false` together with
    `cap_period = "month"` leaves a cap_period without cap: an error.
    """
    for key, entry in keys.items():
        if entry == ("bool", False) and key in REMOVABLE_KEYS and is_change:
            if key == "cap":
                # SPEC 9.1: cap = false also removes cap_period and cap_mode.
                version.cap = version.cap_period = None
                version.cap_mode = "both"
            elif key == "freeze":
                version.freeze = False
            else:
                setattr(version, key, None)
    for key, entry in keys.items():
        if entry == ("bool", False) and key in REMOVABLE_KEYS and is_change:
            continue
        if key == "points":
            version.points = _number(entry, 2, "points")
        elif key == "per":
            version.per = _string(entry, "per")
            if version.per not in ("event", "unit"):
                raise ModelError("bad per")
        elif key == "dimension":
            version.dimension = _string(entry, "dimension")
            if not (1 <= len(version.dimension.encode("utf-8")) <= 64):
                raise ModelError("bad dimension")
        elif key == "valid":
            version.valid = check_duration(_string(entry, "valid"), by_severity=True)
        elif key == "cap":
            version.cap = _number(entry, 2, "cap")
            if version.cap < 0:
                raise ModelError("negative cap")
        elif key == "cap_period":
            version.cap_period = _string(entry, "cap_period")
            if version.cap_period not in PERIODS:
                raise ModelError("bad cap_period")
        elif key == "cap_mode":
            version.cap_mode = _string(entry, "cap_mode")
            if version.cap_mode not in ("both", "net"):
                raise ModelError("bad cap_mode")
        elif key == "cap_group":
            version.cap_group = _string(entry, "cap_group")
        elif key == "repeat_factor":
            version.repeat_factor = _number(entry, 2, "repeat_factor")
            if version.repeat_factor <= 0:
                # AMBIGUITY: a repeat_factor must be > 0 (as the engine).
                raise ModelError("repeat_factor must be positive")
        elif key == "ceiling":
            version.ceiling = _number(entry, 2, "ceiling")
        elif key == "flag":
            version.flag = _string(entry, "flag")
            # AMBIGUITY: flags are 1..64 bytes without ';' (the CLI joins
            # flags with ';'); dimensions 1..64 bytes (as the engine).
            if not (1 <= len(version.flag.encode("utf-8")) <= 64) or ";" in version.flag:
                raise ModelError("bad flag")
        elif key == "affects":
            version.affects = _string(entry, "affects")
            if version.affects not in ("both", "score", "balance"):
                raise ModelError("bad affects")
        elif key == "category":
            # DECISION D02: a category is spelled like a rule code
            # ([a-z0-9_.-], 1..64 bytes): SPEC 9.2 says categories and rule
            # codes share one namespace.
            version.category = _string(entry, "category")
            if not _RULE_CODE_RE.match(version.category):
                raise ModelError("bad category %r" % version.category)
        elif key == "freeze":
            version.freeze = _bool(entry, "freeze")
        elif key == "publicity":
            # SPEC 10.1: any duration but forever; by-severity not allowed.
            version.publicity = check_duration(_string(entry, "publicity"), forever=False)
        elif key == "repair_after":
            # DECISION D03: repair_after takes any duration of SPEC 2 except
            # by-severity; "forever" is accepted and makes every repair of the
            # rule premature.
            version.repair_after = check_duration(_string(entry, "repair_after"))
        elif key == "retain":
            # retain = "forever" is the default (SPEC 10.4); by-severity is not
            # a retention period.
            text = check_duration(_string(entry, "retain"))
            version.retain = None if text == "forever" else text
        else:
            raise ModelError("unknown key %r in %s" % (key, where))


def _check_version(scheme, version, where):
    """SPEC 2 checks (and the version-2 ones) on one version as a whole."""
    if (version.cap is None) != (version.cap_period is None):
        # AMBIGUITY: cap_period without cap is also rejected.
        raise ModelError("%s: cap and cap_period go together" % where)
    if version.cap is None and version.cap_mode != "both":
        raise ModelError("%s: cap_mode without cap" % where)
    if version.ceiling is not None:
        if scheme.min is not None and version.ceiling < scheme.min:
            raise ModelError("%s: ceiling below min" % where)
        if scheme.max is not None and version.ceiling > scheme.max:
            raise ModelError("%s: ceiling above max" % where)
    if version.cap_group is not None and version.cap_group not in scheme.caps:
        raise ModelError("%s: undefined cap_group %r" % (where, version.cap_group))
    if version.retain is not None and version.affects != "score":
        # SPEC 10.4.  DECISION D04: checked on every version as a whole (a
        # version inherits retain from an earlier one).
        raise ModelError("%s: a rule with retain must have affects = \"score\"" % where)
    valid = version.valid if version.valid is not None else scheme.valid
    if valid == "by-severity" and not scheme.validity_classes:
        raise ModelError("%s: valid = \"by-severity\" without [[validity]] classes" % where)


def _compact_date(text):
    """Eight digits YYYYMMDD naming a real date from 1900 on (DECISION D43)."""
    if len(text) != 8 or not text.isdigit():
        return False
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if year < 1900 or not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return 1 <= day <= days


def parse_rules(text):
    # AMBIGUITY: the [scheme] table itself is optional (all its keys have
    # defaults); a rules file needs at least one grade and may have no rule.
    scheme = Scheme()
    seen_scheme = False
    changes = []        # (code, keys) in file order
    tier_tables = {}    # name -> keys
    tier_levels = {}    # name -> [keys]
    tier_order = []
    measure_tables = []  # (code, keys)
    scheme_valid_text = None
    for path, is_array, keys in parse_toml_subset(text):
        if path == ():
            if keys:
                raise ModelError("keys outside any table")
            continue
        if is_array:
            if path == ("grade",):
                _check_keys(keys, ("name", "min"), "[[grade]]")
                if "name" not in keys:
                    raise ModelError("grade without name")
                name = _string(keys["name"], "grade name")
                if name == "":
                    # AMBIGUITY: empty grade names, flags and dimensions are errors.
                    raise ModelError("empty grade name")
                min_score = _number(keys["min"], 2, "grade min") if "min" in keys else None
                if any(g.name == name for g in scheme.grades):
                    raise ModelError("duplicate grade %r" % name)
                scheme.grades.append(Grade(name, min_score))
            elif path == ("validity",):
                # SPEC 9.3
                scheme.v2_keys = True
                _check_keys(keys, ("up_to", "valid"), "[[validity]]")
                if "valid" not in keys:
                    raise ModelError("[[validity]] without valid")
                up_to = _number(keys["up_to"], 2, "up_to") if "up_to" in keys else None
                valid = check_duration(_string(keys["valid"], "valid"))
                scheme.validity_classes.append((up_to, valid))
            elif len(path) >= 3 and path[0] == "rule" and path[-1] == "change":
                # [[rule.CODE.change]] (a rule code may contain '.')
                changes.append((".".join(path[1:-1]), keys))
            elif len(path) == 3 and path[0] == "tier" and path[2] == "level":
                tier_levels.setdefault(path[1], []).append(keys)
            else:
                raise ModelError("unknown array table %r" % ".".join(path))
        elif path == ("scheme",):
            if seen_scheme:
                raise ModelError("duplicate [scheme]")
            seen_scheme = True
            _check_keys(keys, ("name", "base", "min", "max", "clamp", "utc_offset",
                               "valid", "balance_reset",
                               "contested", "objection_window", "balance_min"), "[scheme]")
            if "name" in keys:
                scheme.name = _string(keys["name"], "name")
            if "base" in keys:
                scheme.base = _number(keys["base"], 2, "base")
            if "min" in keys:
                scheme.min = _number(keys["min"], 2, "min")
            if "max" in keys:
                scheme.max = _number(keys["max"], 2, "max")
            if "clamp" in keys:
                scheme.clamp = _string(keys["clamp"], "clamp")
                if scheme.clamp not in ("final", "running"):
                    raise ModelError("bad clamp")
            if "utc_offset" in keys:
                scheme.utc_offset = parse_offset(_string(keys["utc_offset"], "utc_offset"))
            if "valid" in keys:
                scheme_valid_text = _string(keys["valid"], "valid")
                scheme.valid = check_duration(scheme_valid_text, by_severity=True)
                if scheme.valid == "by-severity":
                    scheme.v2_keys = True
            if "balance_reset" in keys:
                scheme.balance_reset = _string(keys["balance_reset"], "balance_reset")
                if scheme.balance_reset not in ("never", "month", "quarter", "year"):
                    raise ModelError("bad balance_reset")
            if "contested" in keys:
                scheme.v2_keys = True
                scheme.contested = _string(keys["contested"], "contested")
                if scheme.contested not in ("mark", "suspend"):
                    raise ModelError("bad contested")
            if "objection_window" in keys:
                # DECISION D05: any duration of SPEC 2 but by-severity.
                scheme.v2_keys = True
                scheme.objection_window = check_duration(
                    _string(keys["objection_window"], "objection_window"))
            if "balance_min" in keys:
                scheme.v2_keys = True
                scheme.balance_min = _number(keys["balance_min"], 2, "balance_min")
                if scheme.balance_min > 0:
                    raise ModelError("balance_min must be at most 0")
        elif len(path) == 2 and path[0] == "cap":
            name = path[1]
            if name in scheme.caps:
                raise ModelError("duplicate cap %r" % name)
            _check_keys(keys, ("limit", "period", "mode"), "[cap.%s]" % name)
            if "limit" not in keys or "period" not in keys:
                raise ModelError("cap %r needs limit and period" % name)
            limit = _number(keys["limit"], 2, "limit")
            period = _string(keys["period"], "period")
            if period not in PERIODS:
                raise ModelError("bad period")
            if limit < 0:
                raise ModelError("negative cap limit")
            mode = "both"
            if "mode" in keys:
                scheme.v2_keys = True
                mode = _string(keys["mode"], "mode")
                if mode not in ("both", "net"):
                    raise ModelError("bad cap mode")
            scheme.caps[name] = CapGroup(name, limit, period, mode)
        elif len(path) >= 2 and path[0] == "rule":
            # AMBIGUITY: a rule code may contain '.', so [rule.a.b] is the
            # rule "a.b" (the subset has no quoted keys).
            code = ".".join(path[1:])
            if not _RULE_CODE_RE.match(code) or code in BUILTIN_TYPES:
                # SPEC 9: object, dismiss and correct are reserved too.
                raise ModelError("bad rule code %r" % code)
            if code in scheme.rules:
                raise ModelError("duplicate rule %r" % code)
            rule = Rule(code)
            _apply_rule_keys(rule.base, keys, "[rule.%s]" % code, False)
            # civic_rules_spec_version(): a version-2 key makes the file
            # version 2 even with its default value (freeze = false,
            # cap_mode = "both", retain = "forever").
            if any(k in V2_RULE_KEYS for k in keys) or rule.base.valid == "by-severity":
                scheme.v2_keys = True
            scheme.rules[code] = rule
        elif len(path) == 2 and path[0] == "tier":
            # DECISION D06: tier names are 1..64 bytes of [A-Za-z0-9_-] (a '.'
            # would clash with [[tier.NAME.level]]).
            name = path[1]
            if not _NAME_RE.match(name):
                raise ModelError("bad tier name %r" % name)
            if name in tier_tables:
                raise ModelError("duplicate tier %r" % name)
            tier_tables[name] = keys
            tier_order.append(name)
        elif len(path) >= 2 and path[0] == "measure":
            # DECISION D06: measure codes are 1..64 bytes of [A-Za-z0-9_.-];
            # [measure.a.b] is the measure "a.b", as for rules.
            code = ".".join(path[1:])
            if not _MEASURE_CODE_RE.match(code):
                raise ModelError("bad measure code %r" % code)
            if any(code == c for c, _ in measure_tables):
                raise ModelError("duplicate measure %r" % code)
            measure_tables.append((code, keys))
        else:
            raise ModelError("unknown table [%s]" % ".".join(path))

    # Rule changes (SPEC 9.1).  `from` is read in the scheme's utc_offset,
    # wherever [scheme] stands in the file.
    for code, keys in changes:
        scheme.v2_keys = True
        if code not in scheme.rules:
            raise ModelError("change of an undefined rule %r" % code)
        rule = scheme.rules[code]
        where = "[[rule.%s.change]] #%d" % (code, len(rule.versions))
        _check_keys(keys, RULE_KEYS + ("from", "recount"), where)
        if "from" not in keys:
            raise ModelError("%s: from is required" % where)
        kind, value = keys["from"]
        # DECISION D43: eight digits that read as a date without dashes
        # (20250101, quoted or not) are refused: as Unix seconds they fall
        # in 1970-1973, never a change a scheme means.
        if _compact_date(str(value)):
            raise ModelError("%s: from %s is a date without dashes" % (where, value))
        # Fewer than nine digits (quoted or not, leading zeros aside) are an
        # instant before 1973-03-03 as Unix seconds: a year, a year and month
        # or a spreadsheet's day number, refused as the dates above.
        digits = value.lstrip("+") if kind == "int" else value
        if kind in ("int", "str") and digits.isascii() and digits.isdigit() and \
                int(digits) < 100000000:
            raise ModelError("%s: from %s is fewer than nine digits" % (where, value))
        if kind == "str":
            from_ts = parse_ts(value, scheme.utc_offset)
        elif kind == "int":
            # DECISION D07: `from` may also be a bare TOML integer (Unix seconds).
            from_ts = int(value)
        else:
            raise ModelError("%s: bad from" % where)
        previous = rule.versions[-1]
        if previous.from_ts is not None and not from_ts > previous.from_ts:
            raise ModelError("%s: from must be strictly increasing" % where)
        recount = _bool(keys["recount"], "recount") if "recount" in keys else False
        body = {k: v for k, v in keys.items() if k not in ("from", "recount")}
        if recount:
            for key in LIFE_KEYS:
                if key in body:
                    raise ModelError("%s: a recount change may not set %s" % (where, key))
        version = previous.copy()
        version.from_ts = from_ts
        version.recount = recount
        version.index = len(rule.versions)
        _apply_rule_keys(version, body, where, True)
        rule.versions.append(version)

    # Validity classes (SPEC 9.3).
    classes = scheme.validity_classes
    for i, (up_to, valid) in enumerate(classes):
        last = i == len(classes) - 1
        if up_to is None and not last:
            raise ModelError("only the last [[validity]] class may lack up_to")
        if up_to is not None and last:
            # DECISION D08: the last class must lack up_to (it "catches the rest").
            raise ModelError("the last [[validity]] class must not have up_to")
    ups = [u for u, _ in classes if u is not None]
    for a, b in zip(ups, ups[1:]):
        if not a < b:
            raise ModelError("[[validity]] up_to must be strictly increasing")
    # DECISION D44: classes that nothing says valid = "by-severity" of (not
    # [scheme], no rule, no change) are refused: they would do nothing.
    if classes and scheme.valid != "by-severity" and not any(
            v.valid == "by-severity" for rule in scheme.rules.values() for v in rule.versions):
        raise ModelError("[[validity]] classes that no rule uses")

    # Load-time checks of SPEC section 2.
    if not scheme.grades:
        raise ModelError("at least one grade is required")
    for i, grade in enumerate(scheme.grades):
        last = i == len(scheme.grades) - 1
        if grade.min is None and not last:
            raise ModelError("only the last grade may omit min")
        # AMBIGUITY: a last grade WITH a min is accepted; it still catches
        # everything below (grade_of falls back to the last grade).
    mins = [g.min for g in scheme.grades if g.min is not None]
    for a, b in zip(mins, mins[1:]):
        if not a > b:
            raise ModelError("grade mins must be strictly decreasing")
    if scheme.min is not None and scheme.base < scheme.min:
        raise ModelError("base below min")
    if scheme.max is not None and scheme.base > scheme.max:
        raise ModelError("base above max")
    if scheme.min is not None and scheme.max is not None and scheme.min > scheme.max:
        raise ModelError("min above max")
    for rule in scheme.rules.values():
        for version in rule.versions:
            _check_version(scheme, version, "[rule.%s] version %d" % (rule.code, version.index))
        if any(v.recount for v in rule.versions[1:]) and rule.affects_balance():
            # SPEC 10.4: a recount change on a rule that affects the balance
            # (in any of its versions) is a load-time error.
            raise ModelError("[rule.%s]: recount on a rule that affects the balance" % rule.code)

    # Tiers (SPEC 11.1).
    for name in tier_levels:
        if name not in tier_tables:
            raise ModelError("[[tier.%s.level]] without [tier.%s]" % (name, name))
    for name in tier_order:
        scheme.v2_keys = True
        keys = tier_tables[name]
        where = "[tier.%s]" % name
        _check_keys(keys, ("rules", "measure", "window"), where)
        tier = Tier(name)
        if "rules" not in keys:
            raise ModelError("%s: rules is required" % where)
        tier.rules = _semicolon_list(_string(keys["rules"], "rules"), "rules")
        for code in tier.rules:
            if code not in scheme.rules:
                raise ModelError("%s: unknown rule %r" % (where, code))
        # DECISION D09: SPEC gives `measure` no default; the engine (and so
        # the model) reads an absent one as "qty", the measure of SPEC's
        # example and of volunteer stars.
        tier.measure = _string(keys["measure"], "measure") if "measure" in keys else "qty"
        if tier.measure not in ("qty", "points"):
            raise ModelError("%s: bad measure" % where)
        if "window" in keys:
            window = _string(keys["window"], "window")
            if window in ("lifetime", "year", "quarter", "month"):
                tier.window = window
            elif _DURATION_RE.match(window) and int(window[:-1]) >= 1:
                # DECISION D10: a rolling window is Nd, Nm or Ny (not forever,
                # end-of-* or by-severity).
                tier.window = window
            else:
                raise ModelError("%s: bad window %r" % (where, window))
        levels = tier_levels.get(name, [])
        if not levels:
            raise ModelError("%s: at least one level" % where)
        for lkeys in levels:
            _check_keys(lkeys, ("name", "min"), "[[tier.%s.level]]" % name)
            if "name" not in lkeys or "min" not in lkeys:
                raise ModelError("[[tier.%s.level]] needs name and min" % name)
            lname = _string(lkeys["name"], "level name")
            if lname == "":
                raise ModelError("empty level name")
            # DECISION D11: a level min has at most 2 decimals (SPEC 2's rule
            # for decimals in the rules file), for both measures; for measure
            # qty it is compared with the sum of qty (thousandths).
            lmin = _number(lkeys["min"], 2, "level min")
            if tier.measure == "qty":
                lmin *= 10
            if any(lname == n for n, _ in tier.levels):
                raise ModelError("%s: duplicate level %r" % (where, lname))
            if tier.levels and not lmin > tier.levels[-1][1]:
                raise ModelError("%s: level mins must be strictly increasing" % where)
            tier.levels.append((lname, lmin))
        scheme.tiers[name] = tier

    # Measures (SPEC 11.2).
    all_flags = scheme.flags()
    grade_names = [g.name for g in scheme.grades]
    for code, keys in measure_tables:
        scheme.v2_keys = True
        where = "[measure.%s]" % code
        _check_keys(keys, ("text", "kind", "grades", "flag", "tier", "min_level",
                           "min_score", "max_score"), where)
        measure = Measure(code)
        # DECISION D12: `kind` is required; `text` is optional (default "").
        if "text" in keys:
            measure.text = _string(keys["text"], "text")
        if "kind" not in keys:
            raise ModelError("%s: kind is required" % where)
        measure.kind = _string(keys["kind"], "kind")
        if measure.kind not in ("incentive", "restriction"):
            raise ModelError("%s: bad kind" % where)
        if "grades" in keys:
            measure.grades = _semicolon_list(_string(keys["grades"], "grades"), "grades")
            for g in measure.grades:
                # DECISION D13: every listed grade must be a grade of the scheme.
                if g not in grade_names:
                    raise ModelError("%s: unknown grade %r" % (where, g))
        if "flag" in keys:
            measure.flag = _string(keys["flag"], "flag")
            # DECISION D13: the flag must be set by some version of some rule
            # (a typo must not pass silently).
            if measure.flag not in all_flags:
                raise ModelError("%s: no rule sets flag %r" % (where, measure.flag))
        if ("tier" in keys) != ("min_level" in keys):
            raise ModelError("%s: tier and min_level go together" % where)
        if "tier" in keys:
            measure.tier = _string(keys["tier"], "tier")
            measure.min_level = _string(keys["min_level"], "min_level")
            if measure.tier not in scheme.tiers:
                raise ModelError("%s: unknown tier %r" % (where, measure.tier))
            if scheme.tiers[measure.tier].level_index(measure.min_level) is None:
                raise ModelError("%s: unknown level %r" % (where, measure.min_level))
        if "min_score" in keys:
            measure.min_score = _number(keys["min_score"], 2, "min_score")
        if "max_score" in keys:
            measure.max_score = _number(keys["max_score"], 2, "max_score")
            # DECISION D14: min_score > max_score is refused (the measure
            # could never apply); equal is a band of one score.
            if measure.min_score is not None and measure.min_score > measure.max_score:
                raise ModelError("%s: max_score below min_score" % where)
        if (measure.grades is None and measure.flag is None and measure.tier is None
                and measure.min_score is None and measure.max_score is None):
            raise ModelError("%s: a measure lists at least one condition" % where)
        # DECISION D45: a measure whose score and grade conditions no score
        # meets is refused (a score is within min..max, a grade follows from
        # the score).
        grades = None if measure.grades is None else [grade_names.index(g)
                                                      for g in measure.grades]
        if never_applies(scheme.min, scheme.max, [g.min for g in scheme.grades], grades,
                         measure.min_score, measure.max_score):
            raise ModelError("%s: the measure could never apply" % where)
        if code in all_flags:
            raise ModelError("%s: a measure may not share its code with a flag" % where)
        scheme.measures[code] = measure
    return scheme


def grade_band(lo, hi, mins, i):
    """The scores (hundredths, inclusive; None: unbounded) grade i takes
    within the scheme's lo..hi, mins being the grades' mins in file order
    (the last one's has no effect); None when it takes none."""
    if i < len(mins) - 1:
        lo = mins[i] if lo is None else max(lo, mins[i])
    if i > 0:
        hi = mins[i - 1] - 1 if hi is None else min(hi, mins[i - 1] - 1)
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


def never_applies(lo, hi, mins, grades, min_score, max_score):
    """Whether no score meets a measure's min_score, max_score and grades
    (indices, or None) under the scheme's bounds lo..hi (DECISION D45)."""
    if min_score is not None and hi is not None and min_score > hi:
        return True
    if max_score is not None and lo is not None and max_score < lo:
        return True
    if grades is None:
        return False
    for i in grades:
        band = grade_band(lo, hi, mins, i)
        if band is None:
            continue
        a = band[0] if min_score is None else (min_score if band[0] is None
                                               else max(band[0], min_score))
        b = band[1] if max_score is None else (max_score if band[1] is None
                                               else min(band[1], max_score))
        if a is None or b is None or a <= b:
            return False
    return True


def load_rules(path):
    with open(path, encoding="utf-8") as f:
        return parse_rules(f.read())


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

def _no_controls(value):
    return not any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in value)


class Event:
    def __init__(self, fields, scheme):
        """fields: dict of the raw texts (absent optional fields missing or '')."""
        def get(name):
            value = fields.get(name)
            if value is None:
                return ""  # absent, or JSON null
            if isinstance(value, str):
                return value
            if name in ("ts", "qty") and isinstance(value, (int, decimal.Decimal)) \
                    and not isinstance(value, bool):
                return value
            raise ModelError("field %s: bad type" % name)

        for name in ("id", "subject", "type", "ts"):
            if get(name) == "":
                raise ModelError("missing field %s" % name)
        self.id = get("id")
        self.subject = get("subject")
        self.type = get("type")
        for name, value in (("id", self.id), ("subject", self.subject)):
            if not (1 <= len(value.encode("utf-8")) <= 128):
                raise ModelError("oversize %s" % name)
        if self.type not in BUILTIN_TYPES and self.type not in scheme.rules:
            raise ModelError("unknown type %r" % self.type)
        ts = get("ts")
        if isinstance(ts, decimal.Decimal):
            # AMBIGUITY: a JSON number ts with a fraction: the second it falls
            # in (rounded down), as '.fraction' in the text form is dropped:
            # -100.7 and 1969-12-31T23:58:19.3Z are one instant, second -101.
            ts = math.floor(ts)
        self.ts = parse_ts(ts if isinstance(ts, int) else str(ts), scheme.utc_offset)
        qty_text = get("qty")
        if isinstance(qty_text, int):
            qty_text = str(qty_text)
        elif isinstance(qty_text, decimal.Decimal):
            qty_text = format(qty_text, "f")
        if self.type == REDEEM:
            # points to spend, hundredths, > 0
            # AMBIGUITY: a redeem without qty spends 1.00 point (the default qty 1).
            self.qty = parse_fixed(qty_text, 2, "qty") if qty_text != "" else 100
            if self.qty <= 0:
                raise ModelError("redeem qty must be > 0")
        else:
            # thousandths, >= 0
            self.qty = parse_fixed(qty_text, 3, "qty") if qty_text != "" else 1000
            if self.qty < 0:
                raise ModelError("negative qty")
        self.group = get("group")
        if len(self.group.encode("utf-8")) > 255:
            raise ModelError("oversize group")
        self.act = get("act")
        self.source = get("source")
        # SPEC 9.4 / 10.5: act 1..128 bytes (same alphabet as ids; empty =
        # absent), source 0..128 bytes, UTF-8 without control characters.
        if len(self.act.encode("utf-8")) > 128:
            raise ModelError("oversize act")
        if len(self.source.encode("utf-8")) > 128:
            raise ModelError("oversize source")
        for name, value in (("id", self.id), ("subject", self.subject),
                            ("group", self.group), ("act", self.act),
                            ("source", self.source)):
            if not _no_controls(value):
                raise ModelError("control character in %s" % name)
        self.ref = get("ref")
        if self.type in POINTER_TYPES and self.ref == "":
            raise ModelError("%s needs ref" % self.type)
        # AMBIGUITY: `ref` only means something for the pointer types; on other
        # types it is ignored (also for idempotency).
        if self.type not in POINTER_TYPES:
            self.ref = ""
        # SPEC 9.4: `act` is ignored on the built-in types (checked for syntax),
        # as `ref` is on rule events.  DECISION D15: "ignored" also means it
        # takes no part in identity and the record shows it empty (otherwise
        # which of two otherwise identical events was kept would depend on
        # arrival order).
        if self.type in BUILTIN_TYPES:
            self.act = ""
        # SPEC 3: a qty on revoke/repair is checked for syntax and ignored; the
        # same for the other pointer types (DECISION D16), also for identity.
        if self.type in POINTER_TYPES:
            self.qty = 1000
        # Idempotency key.
        # AMBIGUITY: "identical fields" compares VALUES, not texts: the same
        # instant in two ts forms, '1' / '1.0' / an absent qty (default 1) are
        # identical; an empty optional field is the same as an absent one.
        # The qty counts even where the rule ignores it (per = "event").
        # SPEC 10.5: source and act take part in identity (absent = empty).
        self.identity = (self.id, self.subject, self.type, self.ts, self.qty,
                         self.group, self.ref, self.act, self.source)
        # Set by a purge (SPEC 10.4): archived at every T on arrival.
        self.archived_on_arrival = False

    def order_key(self):
        return (self.ts, self.id.encode("utf-8"))

    def uses_v2(self):
        """Makes civic_engine_spec_version() 2: act, source, object/dismiss/correct."""
        return self.act != "" or self.source != "" or self.type in V2_TYPES


class Tombstone:
    def __init__(self, subject, id, ts, act, horizon):
        self.subject, self.id, self.ts, self.act = subject, id, ts, act
        self.horizon = horizon  # the H of the purge that removed it (D41)


class Log:
    """The set of events, idempotent by id; tombstones after a purge."""

    def __init__(self, scheme):
        self.scheme = scheme
        self.by_id = {}
        self.tombstones = {}      # id -> Tombstone
        self.act_tombstones = []  # (subject, act, t*)
        self.purged_before = None  # H of the latest purge

    def add(self, fields):
        event = Event(fields, self.scheme)
        if event.id in self.tombstones:
            # SPEC 10.4: an event whose id has a tombstone is ignored as a
            # duplicate (whatever its fields).
            return False
        old = self.by_id.get(event.id)
        if old is not None:
            if old.identity == event.identity:
                return False  # duplicate: changes nothing
            raise ModelError("conflict on id %r" % event.id)
        if self.purged_before is not None:
            event.archived_on_arrival = self._archived_on_arrival(event)
        self.by_id[event.id] = event
        return True

    def _archived_on_arrival(self, event):
        """SPEC 10.4: after a purge up to H, an event with ts <= H that points
        at a tombstoned id and is dated at or after it, or a member of a
        tombstoned act with ts <= t*, is archived on arrival.

        DECISION D17: "points at" a tombstone only counts for a pointer of the
        same subject (the purge removed only same-subject pointers); a pointer
        at an event archived on arrival is archived with it like any pointer at
        an archived event (evaluation step 4).
        """
        if event.type in POINTER_TYPES:
            tomb = self.tombstones.get(event.ref)
            if (tomb is not None and tomb.subject == event.subject
                    and tomb.ts <= event.ts <= tomb.horizon):
                return True
        elif event.type not in BUILTIN_TYPES and event.act != "":
            for subject, act, tstar in self.act_tombstones:
                if subject == event.subject and act == event.act and event.ts <= tstar:
                    return True
        return False

    def add_batch(self, rows, lenient=False):
        """All-or-nothing: on any error nothing of the batch is applied.
        lenient: bad lines are skipped and returned as [(line, reason)]; the
        first of two conflicting lines (in reading order) wins."""
        saved = dict(self.by_id)
        skipped = []
        try:
            for line_no, fields in rows:
                try:
                    self.add(fields)
                except ModelError as e:
                    if lenient:
                        skipped.append((line_no, str(e)))
                        continue
                    raise ModelError("line %d: %s" % (line_no, e))
        except ModelError:
            self.by_id = saved
            raise
        return skipped

    def events(self):
        return list(self.by_id.values())

    def uses_v2(self):
        return self.purged_before is not None or any(e.uses_v2() for e in self.by_id.values())

    def check_as_of(self, T):
        if self.purged_before is not None and T < self.purged_before:
            raise PurgedError("as-of %d is before the purge horizon %d" % (T, self.purged_before))

    def candidate_subjects(self, T):
        return sorted({e.subject for e in self.by_id.values() if e.ts <= T},
                      key=lambda s: s.encode("utf-8"))


def spec_version(scheme, log):
    """civic_engine_spec_version(): 2 when the scheme or the events use version 2."""
    return 2 if scheme.uses_v2() or log.uses_v2() else 1


# ---------------------------------------------------------------------------
# Reading event files
# ---------------------------------------------------------------------------

def read_csv_rows(text):
    """RFC 4180 CSV with a header line -> [(line_no, {column: text})]."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    header = None
    try:
        for fields in reader:
            line_no = reader.line_num
            if header is None:
                # AMBIGUITY: column names are matched case-insensitively (as the
                # engine does); a column named twice is an error.
                header = [name.lower() for name in fields]
                if len(set(header)) != len(header):
                    raise ModelError("a column appears twice in the header")
                for required in ("id", "subject", "type", "ts"):
                    if required not in header:
                        raise ModelError("header misses column %s" % required)
                continue
            if fields == []:
                continue  # AMBIGUITY: blank lines in CSV are skipped
            if len(fields) != len(header):
                raise ModelError("line %d: wrong number of fields" % line_no)
            rows.append((line_no, dict(zip(header, fields))))
    except csv.Error as e:
        raise ModelError("malformed CSV: %s" % e)
    return rows


def read_jsonl_rows(text):
    rows = []
    for line_no, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            # numbers exactly as written (a float would round a long ts or qty)
            obj = json.loads(line, parse_float=decimal.Decimal)
        except ValueError as e:
            raise ModelError("line %d: malformed JSON: %s" % (line_no, e))
        if not isinstance(obj, dict):
            raise ModelError("line %d: not an object" % line_no)
        rows.append((line_no, obj))
    return rows


# ---------------------------------------------------------------------------
# Evaluation (SPEC section 4)
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Evaluation (SPEC section 4, in the order of SPEC 10.6)
# ---------------------------------------------------------------------------

class Entry:
    """One line of the credit record (and the working state of one event)."""

    def __init__(self, event):
        self.event = event
        self.id = event.id
        self.ts = event.ts
        self.type = event.type
        self.kind = event.type if event.type in BUILTIN_TYPES else "rule"
        self.eff = event.ts
        self.raw = 0
        self.counted = 0
        self.dimension = ""
        self.state = None
        self.capped = False
        self.escalated = False
        self.frozen = False
        self.contested = False   # the mark of contested = "mark"
        self.floored = False
        self.to_balance = None   # hundredths that reached the balance at T, or None
        self.corrected = None    # rule events: ts of the earliest applied correction <= T
        self.end = FOREVER
        self.version = None      # the rule version governing it at T
        self.life = None         # the version in force at its ts
        self.from_ts = None      # `from` of its version (None: base table)
        self.merged_with = ""
        self.freeze_end = None   # end of the freeze window it imposes (freeze rules)

    @property
    def act(self):
        return self.event.act

    @property
    def source(self):
        return self.event.source

    @property
    def ref(self):
        return self.event.ref

    @property
    def group(self):
        return self.event.group

    def order_key(self):
        """SPEC 10.1: (eff, id) replaces (ts, id)."""
        return (self.eff, self.id.encode("utf-8"))

    def __repr__(self):
        return "<%s %s ts=%d eff=%d raw=%d counted=%d %s%s%s%s>" % (
            self.type, self.id, self.ts, self.eff, self.raw, self.counted, self.state,
            " capped" if self.capped else "", " escalated" if self.escalated else "",
            " frozen" if self.frozen else "")


class Result:
    def __init__(self, subject):
        self.subject = subject
        self.score = 0
        self.grade = ""
        self.balance = 0
        self.flags = []
        self.dimensions = {}
        self.group = ""
        self.record = []      # listed entries, in (eff, id) order
        self.archived = 0     # number of archived entries (SPEC 10.4)
        # DECISION D31: JSON `ceiling` is the lowest ceiling that applies at T
        # (a corrected target's ceiling no longer does), whether or not it
        # bound the score.
        self.ceiling = None
        # DECISION D30: JSON `events` counts the listed entries (events with
        # ts <= T that are not archived); archived ones are only in `archived`.
        self.events = 0
        self.tiers = []       # [(tier name, level or None)] in scheme order
        self.measures = []    # sorted measure codes
        self.listed = False   # has an event with ts <= T that is not archived
        self.flag_intervals = {}  # flag -> [(eff, end)] of the events that carry it

    def csv_row(self):
        return [self.subject, self.group, format_hundredths(self.score), self.grade,
                format_hundredths(self.balance), ";".join(self.flags)]

    def tier_level(self, name):
        for tier, level in self.tiers:
            if tier == name:
                return level
        return None


def in_effect(entry, T):
    return entry.end is FOREVER or T < entry.end


def base_raw(version, qty):
    """SPEC 4 step 4: points, or points x qty for per = "unit", in hundredths,
    rounded half away from zero (before repeat and caps)."""
    if version.per == "unit":
        return div_round_half_away(version.points * qty, 1000)
    return version.points


def retention_end(entry, offset):
    """E.ts + retain of the version in force at E.ts; None = never (SPEC 10.4)."""
    if entry.life.retain is None:
        return None
    return validity_end(entry.ts, entry.life.retain, offset)


def act_archival_instant(members, offset):
    """SPEC 9.4: t*, the first instant t at which at least one member has
    ts <= t and every member with ts <= t has passed its own retention
    (E.ts + retain <= t); None if there is none.  `members` sorted by ts."""
    i = 0
    latest = None
    while i < len(members):
        # the members with ts <= t for t in [ts_i, next distinct ts)
        j = i
        while j < len(members) and members[j].ts == members[i].ts:
            end = retention_end(members[j], offset)
            if end is None:
                return None  # it never passes, and every later prefix holds it
            latest = end if latest is None else max(latest, end)
            j += 1
        next_ts = members[j].ts if j < len(members) else None
        if next_ts is None or latest < next_ts:
            return latest  # >= ts_i, since every retention end is after its ts
        i = j
    return None


def archived_act_segments(members, T, offset):
    """Splits an act's members (ts <= T) into archived segments and the rest.

    From t* on, the members with ts <= t* are archived, all together; members
    dated after t* form a new act under the same name, with its own t*.
    Returns ([(t*, [members])...], remaining members).
    """
    remaining = sorted(members, key=lambda e: (e.ts, e.id.encode("utf-8")))
    segments = []
    while remaining:
        tstar = act_archival_instant(remaining, offset)
        if tstar is None or tstar > T:
            break
        segments.append((tstar, [m for m in remaining if m.ts <= tstar]))
        remaining = [m for m in remaining if m.ts > tstar]
    return segments, remaining


class Analysis:
    """Everything worked out for one subject at one T (used by evaluate,
    lists and purge)."""

    def __init__(self):
        self.entries = {}       # id -> Entry (every event of S with ts <= T)
        self.archived = set()   # ids archived at T
        self.archived_at = {}   # id -> when retention archives it, for those not yet
        self.archived_acts = []  # (act, t*) of the archived act segments
        self.result = None


def analyse(scheme, log, subject, T):
    log.check_as_of(T)
    offset = scheme.utc_offset
    rules = scheme.rules
    mine = sorted((e for e in log.events() if e.subject == subject and e.ts <= T),
                  key=Event.order_key)
    an = Analysis()
    entries = an.entries
    for e in mine:
        entries[e.id] = Entry(e)

    def is_rule(event):
        return event.type in rules

    def existing_target(event):
        # ENGINE DECISION: a target exists at T only if its ts <= T.
        target = log.by_id.get(event.ref)
        if target is None or target.ts > T or target.subject != subject:
            return None
        return target

    # ---- 10.6 step 1: versions and eff.
    for e in mine:
        entry = entries[e.id]
        if is_rule(e):
            rule = rules[e.type]
            entry.version = rule.version_at(e.ts, T)
            entry.life = rule.life_version(e.ts)
            entry.from_ts = entry.version.from_ts
            entry.dimension = entry.version.dimension
            entry.raw = base_raw(entry.version, e.qty)
            # SPEC 10.1: eff = ts + the publicity of the version in force at ts.
            if entry.life.publicity is not None:
                entry.eff = validity_end(e.ts, entry.life.publicity, offset)

    # ---- step 2a: objections and dismissals (SPEC 10.2).
    contested = set()  # ids of rule events with at least one applying objection
    for e in mine:
        if e.type != DISMISS:
            continue
        target = existing_target(e)
        if target is not None and target.type == OBJECT and e.ts >= target.ts:
            entries[e.id].state = "applied"
        else:
            # DECISION D18: a dismissal of a late or dangling objection is
            # still `applied` (its own target conditions hold); the objection
            # keeps its own state.
            entries[e.id].state = "dangling"
    # DECISION D38: dangling, then late, then dismissed, then applied; an
    # objection of a revoked or pending target applies like any other.
    for e in mine:
        if e.type != OBJECT:
            continue
        entry = entries[e.id]
        target = existing_target(e)
        if target is None or not is_rule(target) or e.ts < target.ts:
            entry.state = "dangling"
            continue
        window_end = validity_end(target.ts, scheme.objection_window, offset)
        if window_end is not None and e.ts >= window_end:
            entry.state = "late"  # stays late even when dismissed
            continue
        dismissed = any(d.type == DISMISS and d.ref == e.id and d.ts >= e.ts for d in mine)
        if dismissed:
            entry.state = "dismissed"
        else:
            entry.state = "applied"
            contested.add(target.id)
    suspended = contested if scheme.contested == "suspend" else set()

    # ---- step 2b: revocations (SPEC 4 step 1).
    revoked = set()
    for e in mine:
        if e.type != REVOKE:
            continue
        target = existing_target(e)
        # SPEC 10.2 / 9.5: a revoke of an objection, dismissal or correction
        # (or of a revoke or repair) is dangling.
        if target is not None and (is_rule(target) or target.type == REDEEM):
            revoked.add(target.id)
            entries[e.id].state = "applied"
        else:
            entries[e.id].state = "dangling"

    # ---- step 2c: repairs (SPEC 4 step 2, 10.3).
    repair_at = {}  # target id -> time of the earliest repair that counts
    for e in mine:
        if e.type != REPAIR:
            continue
        target = existing_target(e)
        # ENGINE DECISION: a repair whose target is revoked is dangling.
        # DECISION D19: so is a repair whose target is suspended by an
        # objection at T ("set aside as if revoked", SPEC 10.6 step 2); it
        # becomes `applied` again once the objection is dismissed.
        if (target is None or not is_rule(target) or target.id in revoked
                or target.id in suspended):
            entries[e.id].state = "dangling"
            continue
        tentry = entries[target.id]
        repair_after = tentry.life.repair_after
        if repair_after is not None:
            earliest = validity_end(tentry.eff, repair_after, offset)
            if earliest is None or e.ts < earliest:
                entries[e.id].state = "premature"
                continue
        entries[e.id].state = "applied"
        if target.id not in repair_at or e.ts < repair_at[target.id]:
            repair_at[target.id] = e.ts

    # ---- corrections (SPEC 9.5).
    corrected_at = {}  # target id -> time of the earliest correction
    for e in mine:
        if e.type != CORRECT:
            continue
        target = existing_target(e)
        # DECISION D20: a correction of a revoked or suspended target is still
        # `applied` (SPEC lists the dangling cases: dated before its target,
        # missing, another subject's, not a rule event); it has no effect then.
        if target is None or not is_rule(target) or e.ts < target.ts:
            entries[e.id].state = "dangling"
            continue
        entries[e.id].state = "applied"
        if target.id not in corrected_at or e.ts < corrected_at[target.id]:
            corrected_at[target.id] = e.ts
    # DECISION D43: the record's `corrected` of a rule event is the ts of the
    # earliest applied correction pointing at it (9.5: "from the correction's
    # ts (the earliest, if there are several)"); `mine` holds only events
    # dated at or before T, so a later correction is not seen.  Whatever the
    # target's state (D20: a correction of a revoked target is applied too).
    for target_id, c in corrected_at.items():
        entries[target_id].corrected = c

    # ---- steps 3 and 4: acts (SPEC 9.4) and retention (SPEC 10.4).
    # DECISION D35: an act is first split at its archival instants t* (9.4:
    # "members dated after t* form a new act"), then each part is merged on
    # its own; the part(s) archived at T are set aside whole.  10.6 lists the
    # merge (step 3) before retention (step 4), but merging across the split
    # would let an archived member swallow the new act.
    # DECISION D36: an event archived on arrival after a purge is counted in
    # the record's `archived` number like any archived entry.
    archived = an.archived
    acts = {}  # act -> members (rule events with ts <= T)
    for e in mine:
        if e.archived_on_arrival:
            archived.add(e.id)
        elif is_rule(e):
            if e.act != "":
                acts.setdefault(e.act, []).append(entries[e.id])
            else:
                end = retention_end(entries[e.id], offset)
                if end is not None and end <= T:
                    archived.add(e.id)
                elif end is not None:
                    an.archived_at[e.id] = end
    current_acts = {}
    for act, members in acts.items():
        segments, remaining = archived_act_segments(members, T, offset)
        for tstar, segment in segments:
            an.archived_acts.append((act, tstar))
            archived.update(m.id for m in segment)
        current_acts[act] = remaining
        tstar = act_archival_instant(remaining, offset) if remaining else None
        if tstar is not None:  # later than T: the rest is archived whole then
            an.archived_at.update((m.id, tstar) for m in remaining)
    # Pointers of the same subject at an archived event, dated at or after it,
    # are archived with it (transitively: a dismissal of an archived objection).
    changed = True
    while changed:
        changed = False
        for e in mine:
            if e.type in POINTER_TYPES and e.id not in archived:
                target = existing_target(e)
                if target is not None and target.id in archived and e.ts >= target.ts:
                    archived.add(e.id)
                    changed = True
    for e in mine:
        if e.type in POINTER_TYPES and e.id not in archived:
            target = existing_target(e)
            if target is not None and target.id in archived:
                # SPEC 10.4: one dated before its archived target stays dangling.
                entries[e.id].state = "dangling"

    # Merging (SPEC 9.4) within each current act: revoked and suspended
    # members take no part; pending ones do.
    merged = {}  # id -> id of the member that counted
    for act, members in current_acts.items():
        candidates = [m for m in members if m.id not in revoked and m.id not in suspended]
        if len(candidates) < 2:
            continue

        def weight(m):
            # (the raw of the version at T: a recount change may change the
            # member that counts from its `from` on)
            # DECISION D21: members with a ceiling first, the lowest ceiling
            # first; then (among equal ceilings too) the largest |raw| before
            # repeat and caps; ties to the smaller (eff, id).  The version is
            # the event's version at T.
            ceiling = m.version.ceiling
            return (0 if ceiling is not None else 1, ceiling if ceiling is not None else 0,
                    -abs(m.raw), m.eff, m.id.encode("utf-8"))
        winner = min(candidates, key=weight)
        for m in candidates:
            if m is not winner:
                merged[m.id] = winner.id

    def set_aside(e):
        return e.id in revoked or e.id in suspended or e.id in archived or e.id in merged

    # ---- step 5: the fold, in (eff, id) order, without pending events.
    order = [entries[e.id] for e in mine
             if (is_rule(e) or e.type == REDEEM) and not set_aside(e)
             and entries[e.id].eff <= T]
    order.sort(key=Entry.order_key)

    own_used = {}    # (code, period, bucket) -> sum |counted|   (both-mode own caps)
    own_net = {}     # (code, period, bucket) -> sum counted     (net-mode own caps)
    group_used = {}  # (cap, bucket) -> sum |counted|
    group_net = {}   # (cap, bucket) -> sum counted
    folded = []      # rule-event entries in order
    freezers = []    # entries of freeze versions, in order
    balance = 0
    balance_period = None
    T_period = calendar_bucket(T, scheme.balance_reset, offset)
    for entry in order:
        e = entry.event
        # ENGINE DECISION: the running balance starts over whenever the
        # balance period of the event differs from the previous one.
        period = calendar_bucket(entry.eff, scheme.balance_reset, offset)
        if period != balance_period:
            balance = 0
            balance_period = period
        in_T_period = period == T_period
        if e.type == REDEEM:
            # AMBIGUITY: a redeem is accepted when balance >= qty (or, with
            # balance_min, when balance - qty >= balance_min).
            entry.raw = -e.qty
            floor = scheme.balance_min if scheme.balance_min is not None else 0
            if balance - e.qty >= floor:
                balance -= e.qty
                entry.state = "accepted"
                entry.counted = -e.qty
            else:
                entry.state = "rejected"
            # DECISION D22: to_balance of a redeem is what it took from the
            # balance reported at T (0.00 when rejected or in an earlier period).
            entry.to_balance = entry.counted if in_T_period else 0
            continue
        v = entry.version
        raw0 = entry.raw
        raw = raw0
        # Repeat (SPEC 4, 9.2): an earlier event of the same category still in
        # effect at eff(E).  Capped and frozen events count as having happened.
        if v.repeat_factor is not None:
            for earlier in folded:
                if (earlier.version.category_name() == v.category_name()
                        and earlier.eff <= entry.eff
                        and (earlier.end is FOREVER or entry.eff < earlier.end)):
                    # ENGINE DECISION: decimal factor, rounded half away.
                    raw = div_round_half_away(raw0 * v.repeat_factor, 100)
                    entry.escalated = True
                    break
        entry.raw = raw
        # Validity (SPEC 9.3: by severity uses raw after repeat, before caps),
        # from eff; a repair that counts ends it earlier.
        valid = v.valid if v.valid is not None else scheme.valid
        if valid == "by-severity":
            valid = scheme.validity_for(raw)
        end = validity_end(entry.eff, valid, offset)
        if e.id in repair_at and (end is FOREVER or repair_at[e.id] < end):
            end = repair_at[e.id]
        entry.end = end
        # Freeze (SPEC 9.5): an earlier event F of a freeze version whose
        # window [eff(F), min(end(F), correction)) holds eff(E).
        # DECISION D41: "comes after F in the order" includes an event with
        # the same eff and a greater id; F need not be in effect at T (a
        # frozen addition stays frozen); a frozen entry is not `capped`; raw
        # is the value after repeat (a positive factor keeps the sign).
        if raw > 0:
            for f in freezers:
                if f.freeze_end is FOREVER or entry.eff < f.freeze_end:
                    entry.frozen = True
                    break
        if entry.frozen:
            counted = 0  # uses no cap room
        else:
            rooms = []
            own_key = group_key = None
            if v.cap is not None:
                own_key = (e.type, v.cap_period, calendar_bucket(entry.eff, v.cap_period, offset))
                if v.cap_mode == "net":
                    if raw > 0:
                        rooms.append(max(0, v.cap - own_net.get(own_key, 0)))
                else:
                    rooms.append(max(0, v.cap - own_used.get(own_key, 0)))
            if v.cap_group is not None:
                cap = scheme.caps[v.cap_group]
                group_key = (cap.name, calendar_bucket(entry.eff, cap.period, offset))
                if cap.mode == "net":
                    if raw > 0:
                        rooms.append(max(0, cap.limit - group_net.get(group_key, 0)))
                else:
                    rooms.append(max(0, cap.limit - group_used.get(group_key, 0)))
            allowed = min([abs(raw)] + rooms)
            counted = allowed if raw >= 0 else -allowed
            if own_key is not None:
                table = own_net if v.cap_mode == "net" else own_used
                table[own_key] = table.get(own_key, 0) + (
                    counted if v.cap_mode == "net" else abs(counted))
            if group_key is not None:
                net = scheme.caps[v.cap_group].mode == "net"
                table = group_net if net else group_used
                table[group_key] = table.get(group_key, 0) + (counted if net else abs(counted))
            entry.capped = abs(counted) < abs(raw)
        entry.counted = counted
        # Balance (SPEC 4, 9.7): validity and repairs do not touch it.
        if v.affects_balance():
            delta = counted
            if scheme.balance_min is not None and delta < 0:
                delta = max(delta, scheme.balance_min - balance)
                # DECISION D23: `floored` marks an entry whose deduction the
                # floor cut, in its own balance period (also when that period
                # is not T's, where to_balance shows 0.00).
                entry.floored = delta != counted
            balance += delta
            entry.to_balance = delta if in_T_period else 0
        else:
            entry.to_balance = 0
        folded.append(entry)
        if v.freeze:
            # A correction ends the freeze window (additions frozen before it
            # stay frozen); a repair ends everything through end(F).
            freeze_end = entry.end
            if e.id in corrected_at:
                c = corrected_at[e.id]
                if freeze_end is FOREVER or c < freeze_end:
                    freeze_end = c
            entry.freeze_end = freeze_end
            freezers.append(entry)

    result = Result(subject)
    an.result = result
    # ENGINE DECISION: the balance at T is the running balance only if the
    # last balance period seen is the period containing T.
    result.balance = balance if balance_period == T_period else 0

    active = [entry for entry in folded if in_effect(entry, T)]

    # Score (SPEC 4 step 5).
    if scheme.clamp == "final":
        score = scheme.base
        for entry in active:
            if entry.version.affects_score():
                score += entry.counted
        score = scheme.bound(score)
    else:
        score = scheme.bound(scheme.base)
        for entry in active:
            if entry.version.affects_score():
                score = scheme.bound(score + entry.counted)
    # ENGINE DECISION: ceilings and flags apply regardless of `affects`.
    # SPEC 9.5: from a correction's ts the target's ceiling no longer applies.
    ceilings = [entry.version.ceiling for entry in active
                if entry.version.ceiling is not None
                and not (entry.id in corrected_at and corrected_at[entry.id] <= T)]
    if ceilings:
        result.ceiling = min(ceilings)
        score = min(score, result.ceiling)
    result.score = score
    result.grade = scheme.grade_of(score)
    flags = {entry.version.flag for entry in active if entry.version.flag is not None}
    result.flags = sorted(flags, key=lambda f: f.encode("utf-8"))
    # Dimensions.  ENGINE DECISION: regardless of `affects`; every dimension of
    # the scheme is listed (zero sums included).
    result.dimensions = {d: 0 for d in scheme.dimensions()}
    for entry in active:
        result.dimensions[entry.dimension] = (
            result.dimensions.get(entry.dimension, 0) + entry.counted)
    # Flag intervals for lists (SPEC 11.3): every folded event counts.
    # DECISION D42: an interval ends where the entry stops counting as known at
    # T: its end, or earlier when retention will archive it (10.4: "the entry
    # stops counting"); an act's members when their generation is archived.
    for entry in folded:
        if entry.version.flag is not None:
            end = entry.end
            gone = an.archived_at.get(entry.id)
            if gone is not None and (end is FOREVER or gone < end):
                end = gone
            result.flag_intervals.setdefault(entry.version.flag, []).append(
                (entry.eff, end))

    # Group (SPEC 10.6's reading of step 9): the last, in (ts, id) order, of
    # S's rule events and redeems with ts <= T that carry one and are not
    # revoked or archived (merged, pending and contested ones count).
    # AMBIGUITY: an empty group field means "carries none".
    for e in mine:
        if ((is_rule(e) or e.type == REDEEM) and e.group != ""
                and e.id not in revoked and e.id not in archived):
            result.group = e.group

    # Record states (SPEC 10.6).
    for e in mine:
        entry = entries[e.id]
        if is_rule(e):
            if e.id in contested and scheme.contested == "mark" and e.id not in revoked:
                # DECISION D24: the contested mark is set on every listed,
                # non-revoked entry with an applying objection (mark mode).
                entry.contested = True
            if e.id in revoked:
                entry.state = "revoked"
            elif e.id in suspended:
                entry.state = "contested"
            elif e.id in merged:
                entry.state = "merged"
                entry.merged_with = merged[e.id]
            elif entry.eff > T:
                entry.state = "pending"
            elif in_effect(entry, T):
                entry.state = "active"
            elif e.id in repair_at and entry.end == repair_at[e.id]:
                # AMBIGUITY: when both apply, a repair at or before the validity
                # end shows "repaired", otherwise "expired".
                entry.state = "repaired"
            else:
                entry.state = "expired"
            if entry.state in ("revoked", "contested", "merged", "pending"):
                # DECISION D25: an entry outside the fold shows its raw before
                # repeat and caps, counted 0, to_balance 0.00, no marks but
                # contested, and an end from eff + validity (by severity of
                # that raw) and its repair.
                valid = entry.version.valid if entry.version.valid is not None else scheme.valid
                if valid == "by-severity":
                    valid = scheme.validity_for(entry.raw)
                end = validity_end(entry.eff, valid, offset)
                if e.id in repair_at and (end is FOREVER or repair_at[e.id] < end):
                    end = repair_at[e.id]
                entry.end = end
                entry.counted = 0
                entry.to_balance = 0
        elif e.type == REDEEM:
            if e.id in revoked:
                entry.state = "revoked"
                entry.raw = -e.qty
                entry.counted = 0
                entry.to_balance = 0
    result.record = sorted((entries[e.id] for e in mine if e.id not in archived),
                           key=Entry.order_key)
    result.archived = sum(1 for e in mine if e.id in archived)
    result.events = len(result.record)
    result.listed = bool(result.record)

    # Tiers (SPEC 11.1): over the folded events (eff <= T; not revoked,
    # merged, archived or suspended); validity and repairs do not matter.
    for tier in scheme.tiers.values():
        value = 0
        for entry in folded:
            if entry.type not in tier.rules or not _in_window(tier.window, entry.eff, T, offset):
                continue
            if entry.frozen:
                # SPEC 9.5: a frozen event adds nothing to tiers.  DECISION
                # D26: for measure qty too (11.1 only says "frozen events add
                # 0" for points).
                continue
            # DECISION D37: measure qty sums the events' qty whatever `per`
            # says (qty defaults to 1 on per = "event" rules); measure points
            # sums counted whatever `affects` says.
            value += entry.event.qty if tier.measure == "qty" else entry.counted
        result.tiers.append((tier.name, tier.level_of(value)))
    result.measures = sorted((code for code, m in scheme.measures.items()
                              if measure_applies(scheme, m, result)),
                             key=lambda c: c.encode("utf-8"))
    return an


def _in_window(window, eff, T, offset):
    if window == "lifetime":
        return True
    if window in ("year", "quarter", "month"):
        return calendar_bucket(eff, window, offset) == calendar_bucket(T, window, offset)
    # rolling: events with eff + window > T
    return validity_end(eff, window, offset) > T


def measure_applies(scheme, measure, result):
    """SPEC 11.2: every condition it lists holds."""
    if measure.grades is not None and result.grade not in measure.grades:
        return False
    if measure.flag is not None and measure.flag not in result.flags:
        return False
    if measure.tier is not None:
        tier = scheme.tiers[measure.tier]
        level = result.tier_level(measure.tier)
        if level is None or tier.level_index(level) < tier.level_index(measure.min_level):
            return False
    if measure.min_score is not None and result.score < measure.min_score:
        return False
    if measure.max_score is not None and result.score > measure.max_score:
        return False
    return True


def evaluate(scheme, log, subject, T):
    """Score, balance, flags, dimensions, group, record, tiers and measures of
    `subject` at T."""
    return analyse(scheme, log, subject, T).result


def base_result(scheme, subject):
    """SPEC 4: a subject with no events has score = base, balance 0 and the
    grade of base (tiers none).  DECISION D27: its measures are those whose
    conditions hold for base score and grade with no flags and no tier level."""
    result = Result(subject)
    result.score = scheme.base
    result.grade = scheme.grade_of(scheme.base)
    result.dimensions = {d: 0 for d in scheme.dimensions()}
    result.tiers = [(name, None) for name in scheme.tiers]
    result.measures = sorted((code for code, m in scheme.measures.items()
                              if measure_applies(scheme, m, result)),
                             key=lambda c: c.encode("utf-8"))
    return result


def evaluate_all(scheme, log, T):
    """Results of every subject listed at T (SPEC 10.6: an event with ts <= T
    that is not archived at T), by subject id.  DECISION D40: this list is the
    one of every answer (subjects, groups, rankings, lists, --compare)."""
    log.check_as_of(T)
    out = []
    for s in log.candidate_subjects(T):
        result = evaluate(scheme, log, s, T)
        if result.listed:
            out.append(result)
    return out


# ---------------------------------------------------------------------------
# Lists (SPEC 11.3) and what-if (SPEC 11.4)
# ---------------------------------------------------------------------------

def flag_stretch(intervals, T):
    """DECISION D39: the stretch of the union of [start, end) intervals that contains T:
    (since, until) with until None when it has no end; None if T is outside.
    Touching intervals ([a, b) and [b, c)) join."""
    spans = sorted(((s, e) for s, e in intervals if e is FOREVER or s < e),
                   key=lambda span: (span[0], span[1] is FOREVER, span[1] or 0))
    merged = []
    for s, e in spans:
        if merged:
            ps, pe = merged[-1]
            if pe is FOREVER or s <= pe:
                if pe is not FOREVER and (e is FOREVER or e > pe):
                    merged[-1] = (ps, e)
                continue
        merged.append((s, e))
    for s, e in merged:
        if s <= T and (e is FOREVER or T < e):
            return (s, e)
    return None


def list_kind(scheme, name):
    if name in scheme.flags():
        return "flag"
    if name in scheme.measures:
        return "measure"
    return None


def list_answer(scheme, log, name, T):
    """[(result, since, until)] of the subjects to which N applies at T, by
    subject; since/until None for measures (and until None when open)."""
    kind = list_kind(scheme, name)
    if kind is None:
        raise ValueError("%r is neither a flag nor a measure" % name)
    rows = []
    for result in evaluate_all(scheme, log, T):
        if kind == "flag":
            if name not in result.flags:
                continue
            stretch = flag_stretch(result.flag_intervals.get(name, []), T)
            assert stretch is not None, "a flag in effect lies in its own intervals"
            rows.append((result, stretch[0], stretch[1]))
        elif name in result.measures:
            rows.append((result, None, None))
    return rows


COMPARE_HEADER = ["subject", "group", "score", "grade", "new_score", "new_grade", "delta"]


def compare_answer(scheme, log, new_scheme, new_log, T, changed=False):
    """SPEC 11.4: rows subject,group,score,grade,new_score,new_grade,delta.

    `log` and `new_log` hold the same event lines read under each scheme.
    DECISION D33: each scheme reads the events in its own utc_offset (a ts
    without offset is local time of that scheme); the as-of time is read in
    the current scheme's offset.  (The difftest keeps both offsets equal.)
    DECISION D28: a subject not listed under the current rules takes its group
    from the current rules all the same (the group of its non-archived,
    non-revoked events there, so usually empty).
    """
    current = {r.subject: r for r in evaluate_all(scheme, log, T)}
    new = {r.subject: r for r in evaluate_all(new_scheme, new_log, T)}
    rows = []
    for s in sorted(set(current) | set(new), key=lambda x: x.encode("utf-8")):
        a = current.get(s)
        if a is None:
            a = evaluate(scheme, log, s, T) if s in log.candidate_subjects(T) else None
            group = a.group if a is not None else ""
            a = base_result(scheme, s)
            a.group = group
        b = new.get(s) or base_result(new_scheme, s)
        if changed and a.score == b.score and a.grade == b.grade:
            continue
        rows.append([s, a.group, format_hundredths(a.score), a.grade,
                     format_hundredths(b.score), b.grade, format_hundredths(b.score - a.score)])
    return rows


# ---------------------------------------------------------------------------
# Purge (SPEC 10.4)
# ---------------------------------------------------------------------------

def purge(scheme, log, H):
    """Physically removes every event archived at H (all subjects), keeping
    tombstones; afterwards questions about T < H raise PurgedError.  Returns
    the number of events removed."""
    log.check_as_of(H)
    removed = []
    act_tombs = []
    for subject in sorted({e.subject for e in log.events()}):
        an = analyse(scheme, log, subject, H)
        for event_id in an.archived:
            removed.append(log.by_id[event_id])
        for act, tstar in an.archived_acts:
            act_tombs.append((subject, act, tstar))
    # The revokes, repairs, objections, dismissals and corrections of the same
    # subject that point at a removed event, directly or through another
    # removed event, and are dated at or after what they point at -- also
    # those dated after H (at T >= their ts they were archived with it).
    gone = {e.id for e in removed}
    changed = True
    while changed:
        changed = False
        for e in log.events():
            if e.id in gone or e.type not in POINTER_TYPES:
                continue
            target = log.by_id.get(e.ref)
            if (target is not None and target.id in gone and target.subject == e.subject
                    and e.ts >= target.ts):
                gone.add(e.id)
                removed.append(e)
                changed = True
    for e in removed:
        del log.by_id[e.id]
        log.tombstones[e.id] = Tombstone(e.subject, e.id, e.ts, e.act, H)
    log.act_tombstones.extend(act_tombs)
    log.purged_before = H if log.purged_before is None else max(log.purged_before, H)
    return len(removed)


# ---------------------------------------------------------------------------
# Groups and rankings (SPEC section 5)
# ---------------------------------------------------------------------------

class GroupStats:
    def __init__(self, path):
        self.path = path
        self.members = []  # Results

    def scores(self):
        return sorted(r.score for r in self.members)

    def count(self):
        return len(self.members)

    def mean(self):
        # ENGINE DECISION: rounded half away from zero, in hundredths.
        return div_round_half_away(sum(self.scores()), len(self.members))

    def median(self):
        scores = self.scores()
        n = len(scores)
        if n % 2 == 1:
            return scores[n // 2]
        return div_round_half_away(scores[n // 2 - 1] + scores[n // 2], 2)

    def min(self):
        return min(self.scores())

    def max(self):
        return max(self.scores())

    def balance(self):
        return sum(r.balance for r in self.members)

    def grade_counts(self, scheme):
        return [sum(1 for r in self.members if r.grade == g.name) for g in scheme.grades]

    def ranking(self):
        return rank(self.members)

    def csv_row(self, scheme):
        return ([self.path, str(self.count()), format_hundredths(self.mean()),
                 format_hundredths(self.median()), format_hundredths(self.min()),
                 format_hundredths(self.max()), format_hundredths(self.balance())]
                + [str(c) for c in self.grade_counts(scheme)])


def rank(results):
    """By score descending, ties by subject id bytewise."""
    return sorted(results, key=lambda r: (-r.score, r.subject.encode("utf-8")))


def group_prefix(group, depth):
    """'a/b/c' at depth 2 -> 'a/b'; None when the group has fewer segments.

    ENGINE DECISION: a subject whose group has fewer than `depth` segments
    belongs to no depth-`depth` group.  An empty group has 0 segments.
    AMBIGUITY: empty segments ('a//b') count as segments; the generator never
    produces them.
    """
    if depth == 0:
        # AMBIGUITY: depth 0 is one group "" holding every listed subject
        # (with or without a group), as the engine does.
        return ""
    if group == "":
        return None
    segments = group.split("/")
    if len(segments) < depth:
        return None
    return "/".join(segments[:depth])


def group_stats(scheme, log, T, depth):
    groups = {}
    for result in evaluate_all(scheme, log, T):
        path = group_prefix(result.group, depth)
        if path is None:
            continue
        groups.setdefault(path, GroupStats(path)).members.append(result)
    return [groups[p] for p in sorted(groups, key=lambda p: p.encode("utf-8"))]


# ---------------------------------------------------------------------------
# A tiny CLI mirroring `civic-score -r RULES -t T --format csv [--groups D]`
# (for reproductions; no table/json output, no built-in scheme).
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# Output rows in the CLI's layouts (SPEC 6; version 2 as the lead fixed it)
# ---------------------------------------------------------------------------

SUBJECT_HEADER = ["subject", "group", "score", "grade", "balance", "flags"]
EXPLAIN_HEADER_V1 = ["id", "ts", "type", "state", "raw", "counted", "dimension", "capped",
                     "escalated", "end", "ref", "group"]
EXPLAIN_HEADER_V2 = EXPLAIN_HEADER_V1 + ["eff", "from", "act", "source", "merged_with",
                                         "frozen", "contested", "floored", "to_balance",
                                         "corrected"]
LIST_HEADER = ["subject", "group", "score", "grade", "since", "until"]


def group_header(scheme):
    return (["group", "subjects", "mean", "median", "min", "max", "balance"]
            + [g.name for g in scheme.grades])


def _yes(flag):
    return "yes" if flag else "no"


def explain_rows(scheme, log, subject, T, version):
    """The rows of `--explain SUBJECT --format csv` (header first).  Times in
    the ts form of --explain (format_local in the scheme's offset)."""
    offset = scheme.utc_offset
    header = EXPLAIN_HEADER_V2 if version == 2 else EXPLAIN_HEADER_V1
    rows = [list(header)]
    for entry in evaluate(scheme, log, subject, T).record:
        e = entry.event
        end = ""
        if e.type in scheme.rules:
            end = "forever" if entry.end is None else format_local(entry.end, offset)
        row = [e.id, format_local(e.ts, offset), e.type, entry.state,
               format_hundredths(entry.raw), format_hundredths(entry.counted),
               entry.dimension, _yes(entry.capped), _yes(entry.escalated), end, e.ref, e.group]
        if version == 2:
            row += [format_local(entry.eff, offset),
                    "" if entry.from_ts is None else format_local(entry.from_ts, offset),
                    e.act, e.source, entry.merged_with, _yes(entry.frozen),
                    _yes(entry.contested), _yes(entry.floored),
                    "" if entry.to_balance is None else format_hundredths(entry.to_balance),
                    "" if entry.corrected is None else format_local(entry.corrected, offset)]
        rows.append(row)
    return rows


def list_rows(scheme, log, name, T):
    offset = scheme.utc_offset
    rows = [list(LIST_HEADER)]
    for result, since, until in list_answer(scheme, log, name, T):
        rows.append([result.subject, result.group, format_hundredths(result.score),
                     result.grade, "" if since is None else format_local(since, offset),
                     "" if until is None else format_local(until, offset)])
    return rows


def load_event_files(scheme, paths, lenient=False):
    log = Log(scheme)
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        if path.endswith(".jsonl") or path.endswith(".ndjson"):
            rows = read_jsonl_rows(text)
        else:
            rows = read_csv_rows(text)
        log.add_batch(rows, lenient)
    return log


def main(argv):
    """A tiny CLI mirroring `civic-score -r RULES -t T --format csv` with
    --groups, --top, --explain, --list and --compare (for reproductions; no
    table/json output, no built-in scheme)."""
    import argparse
    parser = argparse.ArgumentParser(description="libcivic reference model")
    parser.add_argument("-r", "--rules", required=True)
    parser.add_argument("-t", "--as-of", required=True)
    parser.add_argument("--groups", type=int)
    parser.add_argument("--explain")
    parser.add_argument("--top", type=int)
    parser.add_argument("--list")
    parser.add_argument("--compare")
    parser.add_argument("--changed", action="store_true")
    parser.add_argument("--lenient", action="store_true")
    parser.add_argument("-f", "--format", default="csv")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    try:
        scheme = load_rules(args.rules)
        log = load_event_files(scheme, args.files, args.lenient)
        T = parse_ts(args.as_of, scheme.utc_offset)
        if args.compare:
            new_scheme = load_rules(args.compare)
            new_log = load_event_files(new_scheme, args.files, args.lenient)
    except ModelError as e:
        sys.stderr.write("civic_model: %s\n" % e)
        return 2
    out = csv.writer(sys.stdout, lineterminator="\n")
    version = spec_version(scheme, log)
    if args.compare:
        out.writerow(COMPARE_HEADER)
        out.writerows(compare_answer(scheme, log, new_scheme, new_log, T, args.changed))
    elif args.list is not None:
        if list_kind(scheme, args.list) is None:
            sys.stderr.write("civic_model: %r is neither a flag nor a measure\n" % args.list)
            return 1
        out.writerows(list_rows(scheme, log, args.list, T))
    elif args.explain is not None:
        out.writerows(explain_rows(scheme, log, args.explain, T, version))
    elif args.groups is not None and args.top is not None:
        # ranking within each group (the engine's layout)
        out.writerow(["group", "rank", "subject", "score", "grade"])
        for g in group_stats(scheme, log, T, args.groups):
            for i, r in enumerate(g.ranking()[:args.top], 1):
                out.writerow([g.path, i, r.subject, format_hundredths(r.score), r.grade])
    elif args.groups is not None:
        out.writerow(group_header(scheme))
        for g in group_stats(scheme, log, T, args.groups):
            out.writerow(g.csv_row(scheme))
    else:
        out.writerow(SUBJECT_HEADER)
        results = evaluate_all(scheme, log, T)
        if args.top is not None:
            results = rank(results)[:args.top]
        for r in results:
            out.writerow(r.csv_row())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
