#!/usr/bin/env python3
"""Independent reference model of libcivic (SPEC.md sections 2-5).

Written only from /work/shared/SPEC.md, without looking at the C engine, so that
the differential test (tests/difftest.py) compares two independent readings of
the contract.  It is deliberately slow and simple: every answer is recomputed
from scratch from (rules, events, as-of time).  Only integers are used:

    points  -> hundredths   (1.25 points  == 125)
    qty     -> thousandths  (1.5 units    == 1500)
    times   -> whole Unix seconds (UTC)

Where SPEC.md is silent or ambiguous the decision taken is marked with a comment
starting with "AMBIGUITY:" (grep for it).  Decisions that were dictated by the
engine author are marked "ENGINE DECISION:".

Python 3 standard library only.
"""

import csv
import datetime
import io
import json
import re
import sys

REVOKE, REPAIR, REDEEM = "revoke", "repair", "redeem"
BUILTIN_TYPES = (REVOKE, REPAIR, REDEEM)
FOREVER = None  # an end time of None means "never ends"


class ModelError(Exception):
    """Bad rules or bad input (what the CLI reports with exit status 2)."""


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


def check_duration(text):
    if text in ("forever", "end-of-month", "end-of-quarter", "end-of-year"):
        return text
    if _DURATION_RE.match(text):
        # AMBIGUITY: N >= 1 ("0d" is an error, as in the engine).
        if int(text[:-1]) < 1:
            raise ModelError("bad duration %r" % text)
        return text
    raise ModelError("bad duration %r" % text)


def validity_end(ts, duration, offset):
    """Instant at which an effect starting at ts ends (None = never)."""
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
    def __init__(self, name, limit, period):
        self.name, self.limit, self.period = name, limit, period


class Rule:
    def __init__(self, code):
        self.code = code
        self.points = 0  # ENGINE DECISION: points defaults to 0
        self.per = "event"
        self.dimension = "general"
        self.valid = None  # None -> scheme.valid
        self.cap = None
        self.cap_period = None
        self.cap_group = None
        self.repeat_factor = None  # hundredths (2 -> 200)
        self.ceiling = None
        self.flag = None
        self.affects = "both"

    def affects_score(self):
        return self.affects in ("both", "score")

    def affects_balance(self):
        return self.affects in ("both", "balance")


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


def parse_rules(text):
    # AMBIGUITY: the [scheme] table itself is optional (all its keys have
    # defaults); a rules file needs at least one grade and may have no rule.
    scheme = Scheme()
    seen_scheme = False
    for path, is_array, keys in parse_toml_subset(text):
        if path == ():
            if keys:
                raise ModelError("keys outside any table")
            continue
        if is_array:
            if path != ("grade",):
                raise ModelError("unknown array table %r" % ".".join(path))
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
        elif path == ("scheme",):
            if seen_scheme:
                raise ModelError("duplicate [scheme]")
            seen_scheme = True
            _check_keys(keys, ("name", "base", "min", "max", "clamp", "utc_offset",
                               "valid", "balance_reset"), "[scheme]")
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
                scheme.valid = check_duration(_string(keys["valid"], "valid"))
            if "balance_reset" in keys:
                scheme.balance_reset = _string(keys["balance_reset"], "balance_reset")
                if scheme.balance_reset not in ("never", "month", "quarter", "year"):
                    raise ModelError("bad balance_reset")
        elif len(path) == 2 and path[0] == "cap":
            name = path[1]
            if name in scheme.caps:
                raise ModelError("duplicate cap %r" % name)
            _check_keys(keys, ("limit", "period"), "[cap.%s]" % name)
            if "limit" not in keys or "period" not in keys:
                raise ModelError("cap %r needs limit and period" % name)
            limit = _number(keys["limit"], 2, "limit")
            period = _string(keys["period"], "period")
            if period not in ("day", "week", "month", "quarter", "year", "lifetime"):
                raise ModelError("bad period")
            if limit < 0:
                raise ModelError("negative cap limit")
            scheme.caps[name] = CapGroup(name, limit, period)
        elif len(path) >= 2 and path[0] == "rule":
            # AMBIGUITY: a rule code may contain '.', so [rule.a.b] is the
            # rule "a.b" (the subset has no quoted keys).
            code = ".".join(path[1:])
            if not _RULE_CODE_RE.match(code) or code in BUILTIN_TYPES:
                raise ModelError("bad rule code %r" % code)
            if code in scheme.rules:
                raise ModelError("duplicate rule %r" % code)
            _check_keys(keys, ("points", "per", "dimension", "valid", "cap", "cap_period",
                               "cap_group", "repeat_factor", "ceiling", "flag", "affects"),
                        "[rule.%s]" % code)
            rule = Rule(code)
            if "points" in keys:
                rule.points = _number(keys["points"], 2, "points")
            if "per" in keys:
                rule.per = _string(keys["per"], "per")
                if rule.per not in ("event", "unit"):
                    raise ModelError("bad per")
            if "dimension" in keys:
                rule.dimension = _string(keys["dimension"], "dimension")
                if not (1 <= len(rule.dimension.encode("utf-8")) <= 64):
                    raise ModelError("bad dimension")
            if "valid" in keys:
                rule.valid = check_duration(_string(keys["valid"], "valid"))
            if "cap" in keys:
                rule.cap = _number(keys["cap"], 2, "cap")
                if rule.cap < 0:
                    raise ModelError("negative cap")
            if "cap_period" in keys:
                rule.cap_period = _string(keys["cap_period"], "cap_period")
                if rule.cap_period not in ("day", "week", "month", "quarter", "year",
                                           "lifetime"):
                    raise ModelError("bad cap_period")
            if (rule.cap is None) != (rule.cap_period is None):
                # AMBIGUITY: cap_period without cap is also rejected.
                raise ModelError("cap and cap_period go together")
            if "cap_group" in keys:
                rule.cap_group = _string(keys["cap_group"], "cap_group")
            if "repeat_factor" in keys:
                rule.repeat_factor = _number(keys["repeat_factor"], 2, "repeat_factor")
                if rule.repeat_factor <= 0:
                    # AMBIGUITY: a repeat_factor must be > 0 (as the engine).
                    raise ModelError("repeat_factor must be positive")
            if "ceiling" in keys:
                rule.ceiling = _number(keys["ceiling"], 2, "ceiling")
            if "flag" in keys:
                rule.flag = _string(keys["flag"], "flag")
                # AMBIGUITY: flags are 1..64 bytes without ';' (the CLI joins
                # flags with ';'); dimensions 1..64 bytes (as the engine).
                if not (1 <= len(rule.flag.encode("utf-8")) <= 64) or ";" in rule.flag:
                    raise ModelError("bad flag")
            if "affects" in keys:
                rule.affects = _string(keys["affects"], "affects")
                if rule.affects not in ("both", "score", "balance"):
                    raise ModelError("bad affects")
            scheme.rules[code] = rule
        else:
            raise ModelError("unknown table [%s]" % ".".join(path))
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
        if rule.ceiling is not None:
            if scheme.min is not None and rule.ceiling < scheme.min:
                raise ModelError("ceiling below min")
            if scheme.max is not None and rule.ceiling > scheme.max:
                raise ModelError("ceiling above max")
        if rule.cap_group is not None and rule.cap_group not in scheme.caps:
            raise ModelError("undefined cap_group %r" % rule.cap_group)
    return scheme


def load_rules(path):
    with open(path, encoding="utf-8") as f:
        return parse_rules(f.read())


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------

class Event:
    def __init__(self, fields, scheme):
        """fields: dict of the raw texts (absent optional fields missing or '')."""
        def get(name):
            value = fields.get(name)
            if value is None:
                return ""  # absent, or JSON null
            if isinstance(value, str):
                return value
            if name in ("ts", "qty") and isinstance(value, (int, float)) \
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
        if isinstance(ts, float):
            # AMBIGUITY: a JSON number ts with a fraction: the fraction is
            # ignored (truncated toward zero), like '.fraction' in the text form.
            ts = int(ts)
        self.ts = parse_ts(ts if isinstance(ts, int) else str(ts), scheme.utc_offset)
        qty_text = get("qty")
        if isinstance(qty_text, (int, float)):
            qty_text = repr(qty_text)
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
        for name, value in (("id", self.id), ("subject", self.subject),
                            ("group", self.group)):
            if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in value):
                raise ModelError("control character in %s" % name)
        self.ref = get("ref")
        if self.type in (REVOKE, REPAIR) and self.ref == "":
            raise ModelError("%s needs ref" % self.type)
        # AMBIGUITY: `ref` only means something for revoke/repair; on other
        # types it is ignored (also for idempotency).
        if self.type not in (REVOKE, REPAIR):
            self.ref = ""
        # SPEC 3: a qty on revoke/repair is checked for syntax (above) and
        # ignored, for idempotency too: a revoke re-sent with a qty is a
        # duplicate, not a conflict.
        if self.type in (REVOKE, REPAIR):
            self.qty = 0
        # Idempotency key.
        # AMBIGUITY: "identical fields" compares VALUES, not texts: the same
        # instant in two ts forms, '1' / '1.0' / an absent qty (default 1) are
        # identical; an empty optional field is the same as an absent one.
        # The qty counts even where the rule ignores it (per = "event").
        self.identity = (self.id, self.subject, self.type, self.ts, self.qty,
                         self.group, self.ref)

    def order_key(self):
        return (self.ts, self.id.encode("utf-8"))


class Log:
    """The set of events, idempotent by id."""

    def __init__(self, scheme):
        self.scheme = scheme
        self.by_id = {}

    def add(self, fields):
        event = Event(fields, self.scheme)
        old = self.by_id.get(event.id)
        if old is not None:
            if old.identity == event.identity:
                return False  # duplicate: changes nothing
            raise ModelError("conflict on id %r" % event.id)
        self.by_id[event.id] = event
        return True

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

    def subjects_at(self, T):
        return sorted({e.subject for e in self.by_id.values() if e.ts <= T},
                      key=lambda s: s.encode("utf-8"))


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
            obj = json.loads(line)
        except ValueError as e:
            raise ModelError("line %d: malformed JSON: %s" % (line_no, e))
        if not isinstance(obj, dict):
            raise ModelError("line %d: not an object" % line_no)
        rows.append((line_no, obj))
    return rows


# ---------------------------------------------------------------------------
# Evaluation (SPEC section 4)
# ---------------------------------------------------------------------------

class Entry:
    """One line of the credit record."""

    def __init__(self, event):
        self.event = event
        self.id = event.id
        self.ts = event.ts
        self.type = event.type
        self.raw = 0
        self.counted = 0
        self.dimension = ""
        self.state = None
        self.capped = False
        self.escalated = False
        self.end = FOREVER

    def __repr__(self):
        return "<%s %s ts=%d raw=%d counted=%d %s%s%s>" % (
            self.type, self.id, self.ts, self.raw, self.counted, self.state,
            " capped" if self.capped else "", " escalated" if self.escalated else "")


class Result:
    def __init__(self, subject):
        self.subject = subject
        self.score = 0
        self.grade = ""
        self.balance = 0
        self.flags = []
        self.dimensions = {}
        self.group = ""
        self.record = []

    def csv_row(self):
        return [self.subject, self.group, format_hundredths(self.score), self.grade,
                format_hundredths(self.balance), ";".join(self.flags)]


def in_effect(entry, T):
    return entry.end is FOREVER or T < entry.end


def evaluate(scheme, log, subject, T):
    """Score, balance, flags, dimensions, group and record of `subject` at T."""
    offset = scheme.utc_offset
    mine = [e for e in log.events() if e.subject == subject and e.ts <= T]
    entries = {e.id: Entry(e) for e in mine}

    def existing_target(event):
        # ENGINE DECISION: a target exists at T only if its ts <= T.
        target = log.by_id.get(event.ref)
        if target is None or target.ts > T or target.subject != subject:
            return None
        return target

    # Step 1: revocations.
    revoked = set()
    for e in mine:
        if e.type != REVOKE:
            continue
        target = existing_target(e)
        if target is not None and target.type not in (REVOKE, REPAIR):
            revoked.add(target.id)
            entries[e.id].state = "applied"
        else:
            entries[e.id].state = "dangling"

    # Step 2: repairs.  repair_at[target id] = earliest repair time.
    repair_at = {}
    for e in mine:
        if e.type != REPAIR:
            continue
        target = existing_target(e)
        # ENGINE DECISION: a repair whose target is revoked is dangling.
        if (target is not None and target.type not in BUILTIN_TYPES
                and target.id not in revoked):
            entries[e.id].state = "applied"
            if target.id not in repair_at or e.ts < repair_at[target.id]:
                repair_at[target.id] = e.ts
        else:
            entries[e.id].state = "dangling"

    # Step 3: order of the remaining rule events and redeems.
    order = sorted((e for e in mine if e.type not in (REVOKE, REPAIR) and e.id not in revoked),
                   key=Event.order_key)

    # Step 4: fold.
    own_cap_used = {}    # (rule code, bucket) -> hundredths used
    group_cap_used = {}  # (cap name, bucket) -> hundredths used
    folded = []          # entries of rule events, in order
    balance = 0
    balance_period = None
    for e in order:
        entry = entries[e.id]
        # ENGINE DECISION: the running balance starts over whenever the
        # balance period of the event differs from the previous one.
        period = calendar_bucket(e.ts, scheme.balance_reset, offset)
        if period != balance_period:
            balance = 0
            balance_period = period
        if e.type == REDEEM:
            # AMBIGUITY: a redeem is accepted when balance >= qty, so it can
            # never make the balance negative, but fines (negative counted) can.
            entry.raw = -e.qty
            if balance >= e.qty:
                balance -= e.qty
                entry.state = "accepted"
                entry.counted = -e.qty
            else:
                entry.state = "rejected"
            continue
        rule = scheme.rules[e.type]
        entry.dimension = rule.dimension
        if rule.per == "unit":
            raw = div_round_half_away(rule.points * e.qty, 1000)
        else:
            raw = rule.points
        valid = rule.valid if rule.valid is not None else scheme.valid
        end = validity_end(e.ts, valid, offset)
        if e.id in repair_at:
            if end is FOREVER or repair_at[e.id] < end:
                end = repair_at[e.id]
        entry.end = end
        if rule.repeat_factor is not None:
            # "earlier in the order": an event of the same rule at the same ts
            # with a smaller id counts as earlier.  Capped events count too.
            for earlier in folded:
                if earlier.type == e.type and earlier.ts <= e.ts and (
                        earlier.end is FOREVER or e.ts < earlier.end):
                    # ENGINE DECISION: decimal factor, rounded half away.
                    raw = div_round_half_away(raw * rule.repeat_factor, 100)
                    entry.escalated = True
                    break
        entry.raw = raw
        # AMBIGUITY: a shared cap [cap.NAME] is counted per subject, like an
        # own cap ("a shared cap that several rules can draw on" is read as
        # shared between rules, not between subjects).  Positive and negative
        # points draw on the same room (absolute values).  A cap room may be a
        # decimal and may be 0.
        allowed = abs(raw)
        own_key = group_key = None
        if rule.cap is not None:
            own_key = (rule.code, calendar_bucket(e.ts, rule.cap_period, offset))
            allowed = min(allowed, rule.cap - own_cap_used.get(own_key, 0))
        if rule.cap_group is not None:
            cap = scheme.caps[rule.cap_group]
            group_key = (cap.name, calendar_bucket(e.ts, cap.period, offset))
            allowed = min(allowed, cap.limit - group_cap_used.get(group_key, 0))
        allowed = max(allowed, 0)
        counted = allowed if raw >= 0 else -allowed
        if own_key is not None:
            own_cap_used[own_key] = own_cap_used.get(own_key, 0) + abs(counted)
        if group_key is not None:
            group_cap_used[group_key] = group_cap_used.get(group_key, 0) + abs(counted)
        entry.counted = counted
        entry.capped = abs(counted) < abs(raw)  # never true for raw == 0
        # AMBIGUITY (SPEC followed literally): the balance grows by counted even
        # for an event that is never in effect (a repair dated before it, or
        # validity already over): "validity and repairs do not touch the balance".
        if rule.affects_balance():
            balance += counted
        folded.append(entry)

    result = Result(subject)
    # ENGINE DECISION: the balance at T is the running balance only if the
    # last balance period seen is the period containing T.
    if balance_period == calendar_bucket(T, scheme.balance_reset, offset):
        result.balance = balance
    else:
        result.balance = 0

    active = [entry for entry in folded if in_effect(entry, T)]

    # Step 5: score.
    if scheme.clamp == "final":
        score = scheme.base
        for entry in active:
            if scheme.rules[entry.type].affects_score():
                score += entry.counted
        score = scheme.bound(score)
    else:
        score = scheme.bound(scheme.base)
        for entry in active:
            if scheme.rules[entry.type].affects_score():
                score = scheme.bound(score + entry.counted)
    # ENGINE DECISION: ceilings and flags apply regardless of `affects`.
    for entry in active:
        ceiling = scheme.rules[entry.type].ceiling
        if ceiling is not None and score > ceiling:
            score = ceiling
    result.score = score

    # Step 6: grade.
    result.grade = scheme.grade_of(score)

    # Step 7: flags, sorted bytewise, distinct.
    flags = {scheme.rules[entry.type].flag for entry in active
             if scheme.rules[entry.type].flag is not None}
    result.flags = sorted(flags, key=lambda f: f.encode("utf-8"))

    # Step 8: dimensions.  ENGINE DECISION: regardless of `affects`.
    for entry in active:
        result.dimensions[entry.dimension] = (
            result.dimensions.get(entry.dimension, 0) + entry.counted)

    # Step 9: group of the last event in the order (step 3) that carries one.
    # AMBIGUITY: only the step-3 order counts, i.e. non-revoked rule events and
    # redeems (accepted or rejected); the group column of revokes, repairs and
    # revoked events is ignored.  An empty group field means "carries none".
    for e in order:
        if e.group != "":
            result.group = e.group

    # Record: every event of S with ts <= T, in (ts, id) order.
    for entry in folded:
        if in_effect(entry, T):
            entry.state = "active"
        elif entry.id in repair_at and entry.end == repair_at[entry.id]:
            # AMBIGUITY: when both apply, a repair at or before the validity
            # end shows "repaired", otherwise "expired".
            entry.state = "repaired"
        else:
            entry.state = "expired"
    for event_id in revoked:
        entries[event_id].state = "revoked"
    result.record = [entries[e.id] for e in sorted(mine, key=Event.order_key)]
    return result


def evaluate_all(scheme, log, T):
    """Results of every subject that has an event with ts <= T, by subject id."""
    return [evaluate(scheme, log, s, T) for s in log.subjects_at(T)]


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

SUBJECT_HEADER = ["subject", "group", "score", "grade", "balance", "flags"]


def group_header(scheme):
    return (["group", "subjects", "mean", "median", "min", "max", "balance"]
            + [g.name for g in scheme.grades])


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
    import argparse
    parser = argparse.ArgumentParser(description="libcivic reference model")
    parser.add_argument("-r", "--rules", required=True)
    parser.add_argument("-t", "--as-of", required=True)
    parser.add_argument("--groups", type=int)
    parser.add_argument("--explain")
    parser.add_argument("--top", type=int)
    parser.add_argument("--lenient", action="store_true")
    parser.add_argument("-f", "--format", default="csv")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    try:
        scheme = load_rules(args.rules)
        log = load_event_files(scheme, args.files, args.lenient)
        T = parse_ts(args.as_of, scheme.utc_offset)
    except ModelError as e:
        sys.stderr.write("civic_model: %s\n" % e)
        return 2
    out = csv.writer(sys.stdout, lineterminator="\n")
    if args.explain is not None:
        # Same columns as the engine's `--explain --format csv`.
        out.writerow(["id", "ts", "type", "state", "raw", "counted", "dimension", "capped",
                      "escalated", "end", "ref", "group"])
        for entry in evaluate(scheme, log, args.explain, T).record:
            e = entry.event
            end = ""
            if e.type in scheme.rules:
                end = "forever" if entry.end is None else format_local(entry.end, scheme.utc_offset)
            out.writerow([e.id, format_local(e.ts, scheme.utc_offset), e.type, entry.state,
                          format_hundredths(entry.raw), format_hundredths(entry.counted),
                          entry.dimension, "yes" if entry.capped else "no",
                          "yes" if entry.escalated else "no", end, e.ref, e.group])
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
