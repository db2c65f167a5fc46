"""civic -- Python bindings for libcivic (community points and credit records).

    import civic
    with civic.Engine(civic.default_rules()) as engine:
        engine.add(id="e1", subject="r1", type="volunteer_hour",
                   ts="2025-03-04", qty=3, group="d1/s2")
        print(engine.score("r1"))

Everything here wraps the shared library through ctypes (civic/_capi.py);
there is no compiled code in the package.

Conventions
  - Points are decimal.Decimal with two places (hundredths / 100), quantities
    Decimal with three (thousandths / 1000); never float.  Times are int Unix
    seconds.
  - Answers (Score, Record, Entry, GroupStats, LoadReport) are plain frozen
    Python objects: the C answer is converted and freed at once, so they
    outlive the engine.
  - Rules and Engine own C handles: close() them or use `with`; otherwise the
    handle is freed when the object is collected (weakref.finalize).  Using a
    closed object raises ValueError.  An Engine keeps its Rules alive; closing
    the Rules while an engine uses them is harmless (the C rules are
    reference counted).
  - Engine methods may be called from several threads at once: the C engine
    is thread-safe and ctypes releases the GIL during calls.  close() waits
    for nothing: it marks the engine closed and the handle is freed when the
    last call in flight returns.
  - Durability: Engine.save / load_snapshot / open_snapshot write and read
    snapshot files; journal_open / journal_sync / journal_close / compact
    keep an append-only journal (see include/civic.h for the crash table).
  - Every failure of the library raises CivicError (code, message, line,
    column); an I/O failure raises CivicOSError, which is a CivicError and
    the matching OSError too (FileNotFoundError, PermissionError ...).
    Wrong Python types raise TypeError, bad Python values ValueError.
  - One vocabulary (docs/answers.md): every answer has to_dict(), whose keys
    and values are exactly those of civic-score --format json and of the
    service, read with json.loads(..., parse_float=decimal.Decimal): points
    Decimal with two places, times ISO text in the scheme's offset.
    civic.to_records(answers) flattens answers for pandas.DataFrame.
"""

import datetime as _dt
import decimal as _decimal
import os as _os
import threading as _threading
import weakref as _weakref
from collections import namedtuple as _namedtuple
from ctypes import byref as _byref, c_int64 as _c_int64
from ctypes import create_string_buffer as _create_string_buffer
from dataclasses import dataclass as _dataclass, field as _field
from typing import Any as _Any, Dict as _Dict, IO as _IO, Iterable as _Iterable, \
    List as _List, Optional as _Optional, Tuple as _Tuple, Union as _Union

from . import _capi
from ._capi import CivicError, CivicOSError
from ._capi import (CIVIC_OK, CIVIC_DUPLICATE, CIVIC_E_INVALID, CIVIC_E_NOMEM,  # noqa: F401
                    CIVIC_E_SYNTAX, CIVIC_E_RULES, CIVIC_E_EVENT, CIVIC_E_CONFLICT,
                    CIVIC_E_OVERFLOW, CIVIC_E_LIMIT, CIVIC_E_IO, CIVIC_E_VERSION,
                    CIVIC_E_CORRUPT, CIVIC_E_MISMATCH, CIVIC_E_USER)

__version__ = "1.0.0"

__all__ = [
    "__version__", "library_version", "library_path", "CivicError", "CivicOSError",
    "to_records",
    "Rules", "default_rules", "default_rules_text", "Engine",
    "Score", "Entry", "Record", "GroupStats", "Grade", "LoadReport", "Rejection",
    "JournalReport",
    "CIVIC_OK", "CIVIC_DUPLICATE", "CIVIC_E_INVALID", "CIVIC_E_NOMEM",
    "CIVIC_E_SYNTAX", "CIVIC_E_RULES", "CIVIC_E_EVENT", "CIVIC_E_CONFLICT",
    "CIVIC_E_OVERFLOW", "CIVIC_E_LIMIT", "CIVIC_E_IO", "CIVIC_E_VERSION",
    "CIVIC_E_CORRUPT", "CIVIC_E_MISMATCH", "CIVIC_E_USER",
]

_lib = _capi.lib


def library_version():
    """The version string of the loaded libcivic, e.g. "1.0.0"."""
    return _lib.civic_version().decode("ascii")


def library_path():
    """The file the shared library was loaded from."""
    return _capi.LIBRARY_PATH


# --------------------------------------------------------------------------
# Conversions
# --------------------------------------------------------------------------

_FORMATS = {None: _capi.CIVIC_FORMAT_AUTO, "auto": _capi.CIVIC_FORMAT_AUTO,
            "csv": _capi.CIVIC_FORMAT_CSV, "jsonl": _capi.CIVIC_FORMAT_JSONL,
            "ndjson": _capi.CIVIC_FORMAT_JSONL}

_AFFECTS = {0: "", _capi.CIVIC_AFFECTS_SCORE: "score",
            _capi.CIVIC_AFFECTS_BALANCE: "balance",
            _capi.CIVIC_AFFECTS_SCORE | _capi.CIVIC_AFFECTS_BALANCE: "both"}


def _points(hundredths):
    """int64 hundredths -> Decimal with exactly two places."""
    return _decimal.Decimal(hundredths).scaleb(-2)


def _qty(thousandths):
    return _decimal.Decimal(thousandths).scaleb(-3)


def _str(b):
    return b.decode("utf-8", "replace") if b else ""


def _cstr(value, what, optional=False):
    """A str argument as NUL-terminated UTF-8 bytes (None for absent)."""
    if value is None:
        if optional:
            return None
        raise TypeError("%s is required" % what)
    if not isinstance(value, str):
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if "\0" in value:
        raise ValueError("%s contains a NUL character" % what)
    return value.encode("utf-8")


def _iso(value):
    """A datetime as the SPEC ts text: aware -> with its offset (Z for UTC
    when the offset is not whole minutes), naive -> scheme local time."""
    off = value.utcoffset()
    if off is not None and off % _dt.timedelta(minutes=1):
        value = value.astimezone(_dt.timezone.utc)
        off = _dt.timedelta(0)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (value.year, value.month, value.day,
                                              value.hour, value.minute, value.second)
    if off is None:
        return text
    minutes = int(off.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return text + "%s%02d:%02d" % (sign, minutes // 60, minutes % 60)


def _ts_text(value, what="ts"):
    """A ts argument (datetime, date, int Unix seconds, str) as text."""
    if isinstance(value, bool):
        raise TypeError("%s must be datetime, int or str, not bool" % what)
    if isinstance(value, _dt.datetime):
        return _iso(value)
    if isinstance(value, _dt.date):
        return "%04d-%02d-%02d" % (value.year, value.month, value.day)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "\0" in value:
            raise ValueError("%s contains a NUL character" % what)
        return value
    raise TypeError("%s must be datetime, date, int or str, not %s"
                    % (what, type(value).__name__))


def _qty_text(value):
    """qty as decimal text: int, str or Decimal; float is refused because a
    binary float cannot say 0.1 exactly."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("qty must be int, str or decimal.Decimal, not bool")
    if isinstance(value, float):
        raise TypeError("qty must be int, str or decimal.Decimal, not float "
                        "(use Decimal('%r') or a string)" % value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _decimal.Decimal):
        if not value.is_finite():
            raise ValueError("qty must be finite, not %s" % value)
        if value == value.to_integral_value():
            return str(int(value))
        return format(value.normalize(), "f")
    if isinstance(value, str):
        if "\0" in value:
            raise ValueError("qty contains a NUL character")
        return value
    raise TypeError("qty must be int, str or decimal.Decimal, not %s"
                    % type(value).__name__)


def _parse_time(rules_ptr, value, what="time"):
    """Any ts form -> int64 Unix seconds under the rules' utc_offset."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not _capi.INT64_MIN <= value <= _capi.INT64_MAX:
            raise OverflowError("%s %d does not fit in 64 bits" % (what, value))
        return value
    raw = _ts_text(value, what).encode("utf-8")
    out = _c_int64()
    _lib.civic_rules_parse_time(rules_ptr, raw, len(raw), _byref(out))
    return out.value


# --------------------------------------------------------------------------
# Handles
# --------------------------------------------------------------------------


class _Handle:
    """One C handle: freed exactly once, by close() or when the owner is
    collected, and never while a call is using it.  The finalizer holds the
    pointer and the free function, not the owner."""

    __slots__ = ("_ptr", "_lock", "_busy", "_closed", "_finalizer", "_what")

    def __init__(self, owner, ptr, free, what):
        self._ptr = ptr
        self._lock = _threading.Lock()
        self._busy = 0
        self._closed = False
        self._what = what
        self._finalizer = _weakref.finalize(owner, free, ptr)

    def acquire(self):
        with self._lock:
            if self._closed:
                raise ValueError("operation on a closed %s" % self._what)
            self._busy += 1
            return self._ptr

    def release(self):
        with self._lock:
            self._busy -= 1
            if self._closed and not self._busy:
                self._finalizer()

    def close(self):
        with self._lock:
            self._closed = True
            if not self._busy:
                self._finalizer()

    @property
    def closed(self):
        return self._closed


class _Use:
    """`with handle_user(h) as ptr:` -- acquire and release a _Handle."""

    __slots__ = ("_h",)

    def __init__(self, h):
        self._h = h

    def __enter__(self):
        return self._h.acquire()

    def __exit__(self, *exc):
        self._h.release()
        return False


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------

Grade = _namedtuple("Grade", "name min")
Grade.__doc__ = "A grade band: name, and min (Decimal, None for the last grade)."


class _Owner:
    """What Rules and Engine share: a `_h` (_Handle) that close() frees, a
    context manager, and _use() to borrow the C pointer for one call."""

    @property
    def closed(self):
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _use(self):
        return _Use(self._h)


class Rules(_Owner):
    """A parsed, validated scheme (SPEC section 2).  Immutable.

    Create with Rules.from_text(), Rules.from_file() or civic.default_rules().
    """

    def __init__(self, _ptr=None):
        if _ptr is None:
            raise TypeError("use Rules.from_text(), Rules.from_file() or "
                            "civic.default_rules()")
        self._h = _Handle(self, _ptr, _lib.civic_rules_free, "Rules")

    @classmethod
    def from_text(cls, text):
        """Parse rules from TOML text (str or UTF-8 bytes).  CivicError with
        line and column on a bad file."""
        if isinstance(text, str):
            data = text.encode("utf-8")
        elif isinstance(text, (bytes, bytearray, memoryview)):
            data = bytes(text)
        else:
            raise TypeError("text must be str or bytes, not %s" % type(text).__name__)
        out = _capi.rules_p()
        err = _capi.new_error()
        _lib.civic_rules_parse(_byref(out), data, len(data), None, err)
        return cls(out)

    @classmethod
    def from_file(cls, path):
        """Parse the rules file at `path` (str or os.PathLike)."""
        raw = _path_bytes(path)
        out = _capi.rules_p()
        err = _capi.new_error()
        _lib.civic_rules_load_file(_byref(out), raw, None, err)
        return cls(out)

    @classmethod
    def default(cls):
        """The built-in "community" scheme."""
        out = _capi.rules_p()
        _lib.civic_rules_default(_byref(out), None)
        return cls(out)

    # lifetime
    def close(self):
        """Drop this object's reference to the C rules (engines keep theirs)."""
        self._h.close()


    # properties
    @property
    def name(self):
        with self._use() as p:
            return _str(_lib.civic_rules_name(p))

    @property
    def base(self):
        """The base score, Decimal."""
        with self._use() as p:
            return _points(_lib.civic_rules_base(p))

    @property
    def utc_offset(self):
        """The scheme's local time, in seconds east of UTC."""
        with self._use() as p:
            return int(_lib.civic_rules_utc_offset(p))

    @property
    def tzinfo(self):
        """The scheme's local time as a datetime.timezone."""
        return _dt.timezone(_dt.timedelta(seconds=self.utc_offset))

    @property
    def grades(self):
        """Tuple of Grade(name, min) in file order (highest first)."""
        with self._use() as p:
            out = []
            for i in range(_lib.civic_rules_grade_count(p)):
                name = _str(_lib.civic_rules_grade_name(p, i))
                value = _c_int64()
                try:
                    _lib.civic_rules_grade_min(p, i, _byref(value))
                    low = _points(value.value)
                except CivicError as e:
                    if e.code != CIVIC_E_INVALID:
                        raise
                    low = None
                out.append(Grade(name, low))
            return tuple(out)

    @property
    def rules(self):
        """Tuple of the rule codes, in file order."""
        with self._use() as p:
            return tuple(_str(_lib.civic_rules_rule_code(p, i))
                         for i in range(_lib.civic_rules_rule_count(p)))

    @property
    def dimensions(self):
        """Tuple of the dimension labels, in first-use order."""
        with self._use() as p:
            return _dimensions(p)

    @property
    def fingerprint(self):
        """64-bit fingerprint of the rules' meaning (int)."""
        with self._use() as p:
            return int(_lib.civic_rules_fingerprint(p))

    def parse_time(self, value):
        """Any ts form (str, datetime, date, int) -> int Unix seconds, read in
        the scheme's local time when it has no offset.  CivicError
        (CIVIC_E_EVENT) for a bad timestamp."""
        with self._use() as p:
            return _parse_time(p, value)

    def format_time(self, t):
        """int Unix seconds -> "YYYY-MM-DDTHH:MM:SS+HH:MM" in local time."""
        if isinstance(t, bool) or not isinstance(t, int):
            raise TypeError("t must be int Unix seconds")
        if not _capi.INT64_MIN <= t <= _capi.INT64_MAX:
            raise OverflowError("t does not fit in 64 bits")
        buf = _create_string_buffer(32)
        with self._use() as p:
            _lib.civic_rules_format_time(p, t, buf, len(buf))
        return buf.value.decode("ascii")

    def __repr__(self):
        if self.closed:
            return "<civic.Rules closed>"
        return "<civic.Rules %r fingerprint=%016x>" % (self.name, self.fingerprint)


def _dimensions(rules_ptr):
    return tuple(_str(_lib.civic_rules_dimension_name(rules_ptr, i))
                 for i in range(_lib.civic_rules_dimension_count(rules_ptr)))


def default_rules():
    """The built-in "community" scheme as Rules."""
    return Rules.default()


def default_rules_text():
    """The TOML text of the built-in scheme."""
    return _lib.civic_rules_default_text().decode("utf-8")


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------


_EPOCH = _dt.datetime(1970, 1, 1)


def _time_text(t, utc_offset):
    """int Unix seconds -> the JSON form of a time: "YYYY-MM-DDTHH:MM:SS+HH:MM"
    in the scheme's offset, "forever" for CIVIC_FOREVER (as the C writer)."""
    if t == _capi.CIVIC_FOREVER:
        return "forever"
    try:
        local = _EPOCH + _dt.timedelta(seconds=t + utc_offset)
    except OverflowError:
        return str(t)
    sign = "-" if utc_offset < 0 else "+"
    off = abs(utc_offset) // 60
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        local.year, local.month, local.day, local.hour, local.minute, local.second,
        sign, off // 60, off % 60)


@_dataclass(frozen=True)
class Score:
    """One subject's answer at an as-of time (docs/evaluation.md)."""
    subject: str
    group: str                      # "" when no event carries a group
    score: _decimal.Decimal
    grade: str
    balance: _decimal.Decimal
    flags: _Tuple[str, ...]         # sorted, distinct
    ceiling: _Optional[_decimal.Decimal]  # lowest ceiling in effect, or None
    events: int                     # events of the subject with ts <= as-of
    dimensions: _Dict[str, _decimal.Decimal] = _field(default_factory=dict)
    rank: _Optional[int] = None     # 1-based in rank(); None otherwise

    def to_dict(self) -> _Dict[str, _Any]:
        """The JSON object of this row (docs/answers.md): rank (rankings
        only), subject, group, score, grade, balance, flags (list), ceiling,
        events, dimensions."""
        d = {} if self.rank is None else {"rank": self.rank}
        d.update(subject=self.subject, group=self.group, score=self.score, grade=self.grade,
                 balance=self.balance, flags=list(self.flags), ceiling=self.ceiling,
                 events=self.events, dimensions=dict(self.dimensions))
        return d


@_dataclass(frozen=True)
class Entry:
    """One entry of a credit record.  ts and end are int Unix seconds (as in
    1.0); to_dict() gives them as ISO text, like the JSON answers."""
    id: str
    ts: int
    type: str                       # rule code, "revoke", "repair", "redeem"
    kind: str                       # "rule", "revoke", "repair", "redeem"
    state: str                      # "active", "expired", ... "dangling"
    raw: _decimal.Decimal
    counted: _decimal.Decimal
    qty: _decimal.Decimal
    dimension: str
    flag: str
    group: str
    ref: str
    end: _Optional[int]             # None: the effect never ends
    ceiling: _Optional[_decimal.Decimal]
    capped: bool
    escalated: bool
    affects: str                    # "both", "score", "balance"; "" if not a rule event
    utc_offset: int = _field(default=0, repr=False, compare=False)  # the scheme's, seconds

    def to_dict(self, detail: bool = False) -> _Dict[str, _Any]:
        """The JSON object of this entry (docs/answers.md): id, ts, type,
        kind, state, raw, counted, dimension, capped, escalated, end ("forever"
        for an effect without end, None for entries that are not rule
        events), ref, group; detail=True adds qty, flag, ceiling and affects
        to rule events, as the service's record does."""
        if self.kind != "rule":
            end = None
        elif self.end is None:
            end = "forever"
        else:
            end = _time_text(self.end, self.utc_offset)
        d = {"id": self.id, "ts": _time_text(self.ts, self.utc_offset), "type": self.type,
             "kind": self.kind, "state": self.state, "raw": self.raw, "counted": self.counted,
             "dimension": self.dimension, "capped": self.capped,
             "escalated": self.escalated, "end": end, "ref": self.ref, "group": self.group}
        if detail and self.kind == "rule":
            d.update(qty=self.qty, flag=self.flag, ceiling=self.ceiling, affects=self.affects)
        return d


@_dataclass(frozen=True)
class Record:
    """The credit record of a subject: the summary and every entry."""
    summary: Score
    entries: _List[Entry]
    as_of: _Optional[int] = None    # the as-of time asked (int Unix seconds)
    utc_offset: int = _field(default=0, repr=False, compare=False)

    @property
    def subject(self):
        return self.summary.subject

    def __iter__(self):
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)

    def to_dict(self, detail: bool = False) -> _Dict[str, _Any]:
        """The JSON record (civic-score --explain -f json, the service's
        record): subject, as_of, score, grade, balance, flags, group, entries."""
        s = self.summary
        return {"subject": s.subject,
                "as_of": None if self.as_of is None else _time_text(self.as_of, self.utc_offset),
                "score": s.score, "grade": s.grade, "balance": s.balance,
                "flags": list(s.flags), "group": s.group,
                "entries": [e.to_dict(detail) for e in self.entries]}


@_dataclass(frozen=True)
class GroupStats:
    """Statistics of one group at one depth (docs/evaluation.md).  `group`
    is the path ("" at depth 0); `path` is the 1.0 name of the same value."""
    group: str
    depth: int
    subjects: int
    mean: _decimal.Decimal
    median: _decimal.Decimal
    min: _decimal.Decimal
    max: _decimal.Decimal
    balance: _decimal.Decimal
    grades: _Dict[str, int]         # grade name -> subjects, in grade order

    @property
    def path(self) -> str:
        """The group path (the 1.0 name of `group`)."""
        return self.group

    def to_dict(self) -> _Dict[str, _Any]:
        """The JSON object of this group (civic-score --groups -f json)."""
        return {"group": self.group, "depth": self.depth, "subjects": self.subjects,
                "mean": self.mean, "median": self.median, "min": self.min, "max": self.max,
                "balance": self.balance, "grades": dict(self.grades)}


def _flat_number(value, numbers):
    if value is None:
        return None
    return float(value) if numbers == "float" else value


def _flat_time(t, utc_offset):
    if t is None or t == _capi.CIVIC_FOREVER:
        return None
    tz = _dt.timezone(_dt.timedelta(seconds=utc_offset))
    try:
        return _dt.datetime.fromtimestamp(t, tz)
    except (OverflowError, OSError, ValueError):
        return None


def to_records(answers: _Iterable[_Any], numbers: str = "float") -> _List[_Dict[str, _Any]]:
    """Answers as flat dicts of plain Python values, one per row, for
    pandas.DataFrame(civic.to_records(...)) or csv.DictWriter.

    answers: a list of Score (subjects(), rank()), of GroupStats (groups()),
    of Entry, or a Record (its entries).  Keys are the JSON names
    (docs/answers.md); nested values are flattened: dimensions.NAME,
    grades.NAME; flags become one ';'-joined str, as in CSV.  numbers:
    "float" (default; pandas gives float64 columns, a missing ceiling is NaN)
    or "decimal" (exact decimal.Decimal; pandas gives object columns).
    Entry times are aware datetime.datetime in the scheme's offset (pandas:
    datetime64 with that offset), None when the effect has no end.
    """
    if numbers not in ("float", "decimal"):
        raise ValueError("numbers must be 'float' or 'decimal', not %r" % (numbers,))
    if isinstance(answers, Record):
        answers = answers.entries
    rows = []
    for a in answers:
        if isinstance(a, Score):
            d = {} if a.rank is None else {"rank": a.rank}
            d.update(subject=a.subject, group=a.group, score=_flat_number(a.score, numbers),
                     grade=a.grade, balance=_flat_number(a.balance, numbers),
                     flags=";".join(a.flags), ceiling=_flat_number(a.ceiling, numbers),
                     events=a.events)
            for name, v in a.dimensions.items():
                d["dimensions." + name] = _flat_number(v, numbers)
        elif isinstance(a, GroupStats):
            d = {"group": a.group, "depth": a.depth, "subjects": a.subjects}
            for k in ("mean", "median", "min", "max", "balance"):
                d[k] = _flat_number(getattr(a, k), numbers)
            for name, n in a.grades.items():
                d["grades." + name] = n
        elif isinstance(a, Entry):
            d = {"id": a.id, "ts": _flat_time(a.ts, a.utc_offset), "type": a.type,
                 "kind": a.kind, "state": a.state, "raw": _flat_number(a.raw, numbers),
                 "counted": _flat_number(a.counted, numbers), "dimension": a.dimension,
                 "capped": a.capped, "escalated": a.escalated,
                 "end": _flat_time(a.end, a.utc_offset) if a.kind == "rule" else None,
                 "ref": a.ref, "group": a.group, "qty": _flat_number(a.qty, numbers),
                 "flag": a.flag, "ceiling": _flat_number(a.ceiling, numbers),
                 "affects": a.affects}
        else:
            raise TypeError("to_records takes Score, GroupStats, Entry or a Record, not %s"
                            % type(a).__name__)
        rows.append(d)
    return rows


Rejection = _namedtuple("Rejection", "line column code message")
Rejection.__doc__ = "A line skipped by a lenient load."


@_dataclass(frozen=True)
class LoadReport:
    """What a load did."""
    lines: int
    accepted: int
    duplicates: int
    rejected: int
    rejections: _List[Rejection] = _field(default_factory=list)


@_dataclass(frozen=True)
class JournalReport:
    """What Engine.journal_open found in the journal."""
    created: bool           # the file did not exist (or was empty)
    batches: int            # committed batches replayed
    events: int             # events in them (duplicates included)
    accepted: int           # events new to the engine
    bytes_kept: int         # journal size after recovery
    bytes_truncated: int    # torn or corrupt tail cut off (0 normally)


def _score_from(s, dims=None):
    flags = _str(s.flags)
    return Score(
        subject=_str(s.subject),
        group=_str(s.group),
        score=_points(s.score),
        grade=_str(s.grade),
        balance=_points(s.balance),
        flags=tuple(flags.split(";")) if flags else (),
        ceiling=None if s.ceiling == _capi.CIVIC_FOREVER else _points(s.ceiling),
        events=int(s.events),
        dimensions=dims if dims is not None else {},
        rank=int(s.rank) or None,
    )


def _convert_result(result):
    """A civic_result -> list of Score.  Does not free it."""
    n = _lib.civic_result_count(result)
    ndim = _lib.civic_result_dimension_count(result)
    names = [_str(_lib.civic_result_dimension_name(result, d)) for d in range(ndim)]
    out = []
    row = _capi.civic_score()
    value = _c_int64()
    for i in range(n):
        row.version = _capi.CIVIC_SCORE_VERSION
        _lib.civic_result_get(result, i, _byref(row))
        dims = {}
        for d in range(ndim):
            _lib.civic_result_dimension(result, i, d, _byref(value))
            dims[names[d]] = _points(value.value)
        out.append(_score_from(row, dims))
    return out


def _entry_from(e, utc_offset=0):
    kind = _lib.civic_kind_name(e.kind)
    state = _lib.civic_state_name(e.state)
    return Entry(
        id=_str(e.id),
        ts=int(e.ts),
        type=_str(e.type),
        kind=_str(kind) if kind else str(e.kind),
        state=_str(state) if state else str(e.state),
        raw=_points(e.raw),
        counted=_points(e.counted),
        qty=_qty(e.qty),
        dimension=_str(e.dimension),
        flag=_str(e.flag),
        group=_str(e.group),
        ref=_str(e.ref),
        end=None if e.end == _capi.CIVIC_FOREVER else int(e.end),
        ceiling=None if e.ceiling == _capi.CIVIC_FOREVER else _points(e.ceiling),
        capped=bool(e.marks & _capi.CIVIC_MARK_CAPPED),
        escalated=bool(e.marks & _capi.CIVIC_MARK_ESCALATED),
        affects=_AFFECTS.get(e.affects & 3, ""),
        utc_offset=utc_offset,
    )


# --------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------


class Engine(_Owner):
    """Events of many subjects under one Rules, and the answers about them.

    Engine(rules=None, events_max=0, threads=0): rules default to
    civic.default_rules(); events_max caps the events held (0: the library's
    limit); threads is the number of internal worker threads for bulk loads
    and all-subject queries (0: the online CPUs, at most 8; 1: none).
    """

    def __init__(self, rules=None, events_max=0, threads=0):
        if rules is None:
            rules = Rules.default()
        if not isinstance(rules, Rules):
            raise TypeError("rules must be civic.Rules, not %s" % type(rules).__name__)
        opts = _engine_options(events_max, threads)
        out = _capi.engine_p()
        with rules._use() as rp:
            _lib.civic_engine_new(_byref(out), rp, _byref(opts))
        self._own(rules, out)

    def _own(self, rules, ptr):
        self._rules = rules            # children keep their parent alive
        self._h = _Handle(self, ptr, _lib.civic_engine_free, "Engine")

    @classmethod
    def open_snapshot(cls, path, rules=None, events_max=0, threads=0):
        """A new engine holding the events of the snapshot at `path` (see
        save()).  CivicError: CIVIC_E_IO, CIVIC_E_CORRUPT (damaged file,
        .offset says where), CIVIC_E_MISMATCH (saved under other rules)."""
        if rules is None:
            rules = Rules.default()
        if not isinstance(rules, Rules):
            raise TypeError("rules must be civic.Rules, not %s" % type(rules).__name__)
        opts = _engine_options(events_max, threads)
        raw = _path_bytes(path)
        out = _capi.engine_p()
        err = _capi.new_error()
        with rules._use() as rp:
            _lib.civic_engine_open_snapshot(_byref(out), rp, _byref(opts), raw, err)
        self = cls.__new__(cls)
        self._own(rules, out)
        return self

    # lifetime
    def close(self):
        """Free the engine.  Calls already running on other threads finish
        first; new calls raise ValueError."""
        self._h.close()


    @property
    def rules(self):
        """The Rules this engine was created with."""
        return self._rules

    # writes
    def add(self, id, subject, type, ts, qty=None, group=None, ref=None):
        """Add one event.  ts: datetime (aware: with its offset; naive: scheme
        local time), date, int Unix seconds or str.  qty: int, str or Decimal
        (float raises TypeError).  True if added, False if it was a
        duplicate.  CivicError (CIVIC_E_EVENT, CIVIC_E_CONFLICT ...) otherwise,
        and the engine is unchanged."""
        ev = _capi.civic_event(
            version=_capi.CIVIC_EVENT_VERSION,
            id=_cstr(id, "id"),
            subject=_cstr(subject, "subject"),
            type=_cstr(type, "type"),
            ts=_ts_text(ts).encode("utf-8"),
            qty=_cstr(_qty_text(qty), "qty", optional=True),
            group=_cstr(group, "group", optional=True),
            ref=_cstr(ref, "ref", optional=True),
        )
        err = _capi.new_error()
        with self._use() as p:
            rc = _lib.civic_engine_add(p, _byref(ev), err)
        return rc != CIVIC_DUPLICATE

    def load(self, source: _Union[str, bytes, bytearray, memoryview, "_os.PathLike[str]",
                                  _IO[str], _IO[bytes]],
             format: _Optional[str] = None, lenient: bool = False) -> "LoadReport":
        """Load a batch of CSV or JSON Lines events.

        source: the events themselves as str text or bytes; a file object
        opened for reading (text or binary: read to its end); or a path as
        pathlib.Path (any os.PathLike), read by the library.  A str is always
        text, never a file name: for a path in a str use load_file().
        format: None (by extension, else by content), "csv" or "jsonl".
        Strict (default): a bad line raises CivicError naming it and nothing
        of the batch is applied.  lenient=True: bad lines are skipped and
        listed in the report's rejections as (line, column, code, message).
        A file that cannot be read raises CivicOSError (also an OSError:
        FileNotFoundError, PermissionError ...)."""
        if isinstance(source, _os.PathLike):
            return self._load(_path_bytes(source), None, format, lenient)
        if isinstance(source, str):
            return self._load(None, source.encode("utf-8"), format, lenient)
        if isinstance(source, (bytes, bytearray, memoryview)):
            return self._load(None, bytes(source), format, lenient)
        read = getattr(source, "read", None)
        if callable(read):
            data = read()
            if isinstance(data, str):
                data = data.encode("utf-8")
            if not isinstance(data, (bytes, bytearray)):
                raise TypeError("the file object's read() gave %s, not str or bytes"
                                % type(data).__name__)
            return self._load(None, bytes(data), format, lenient)
        raise TypeError("source must be str text, bytes, a file object or an os.PathLike "
                        "path, not %s" % type(source).__name__)

    def load_file(self, path: _Union[str, bytes, "_os.PathLike[str]"],
                  format: _Optional[str] = None, lenient: bool = False) -> "LoadReport":
        """Load the CSV or JSON Lines file at `path` (str, bytes or
        os.PathLike), read by the library: format by extension (.csv,
        .jsonl, .ndjson), else by content.  Otherwise as load()."""
        return self._load(_path_bytes(path), None, format, lenient)

    def _load(self, path, data, format, lenient):
        if format not in _FORMATS:
            raise ValueError("format must be None, 'csv' or 'jsonl', not %r" % (format,))
        rejections = []
        opts = _capi.civic_load_options(version=_capi.CIVIC_LOAD_OPTIONS_VERSION,
                                        format=_FORMATS[format],
                                        flags=_capi.CIVIC_LOAD_LENIENT if lenient else 0)
        callback = None
        if lenient:
            def on_reject(payload, errp):
                e = errp.contents
                rejections.append(Rejection(int(e.line), int(e.column), int(e.code),
                                            _str(e.message)))
                return 0
            callback = _capi.civic_reject_fn(on_reject)   # alive until return
            opts.on_reject = callback
        report = _capi.civic_load_report(version=_capi.CIVIC_LOAD_REPORT_VERSION)
        err = _capi.new_error()
        try:
            with self._use() as p:
                if path is not None:
                    _lib.civic_engine_load_file(p, path, _byref(opts), _byref(report), err)
                else:
                    _lib.civic_engine_load(p, data, len(data), _byref(opts),
                                           _byref(report), err)
        except CivicError as e:
            e.report = _report_from(report, rejections)
            raise
        return _report_from(report, rejections)

    # counts
    @property
    def event_count(self):
        """Events held (duplicates not counted)."""
        with self._use() as p:
            return int(_lib.civic_engine_event_count(p))

    @property
    def subject_count(self):
        """Distinct subjects held."""
        with self._use() as p:
            return int(_lib.civic_engine_subject_count(p))

    @property
    def time_range(self):
        """(first, last) ts held, int Unix seconds; None when empty."""
        with self._use() as p:
            return self._time_range(p)

    @staticmethod
    def _time_range(p):
        first, last = _c_int64(), _c_int64()
        try:
            _lib.civic_engine_time_range(p, _byref(first), _byref(last))
        except CivicError as e:
            if e.code != CIVIC_E_INVALID:
                raise
            return None
        return (first.value, last.value)

    def _as_of(self, p, as_of):
        if as_of is None:
            span = self._time_range(p)
            return span[1] if span else 0
        return _parse_time(_lib.civic_engine_rules(p), as_of, "as_of")

    def parse_time(self, value):
        """Any ts form -> int Unix seconds under the engine's rules."""
        with self._use() as p:
            return _parse_time(_lib.civic_engine_rules(p), value)

    # queries
    def score(self, subject, as_of=None):
        """The Score of one subject.  as_of: any ts form; None = the latest
        ts held (0 when empty).  A subject without events gets base, balance 0
        and events == 0."""
        s = _cstr(subject, "subject")
        with self._use() as p:
            t = self._as_of(p, as_of)
            out = _capi.result_p()
            _lib.civic_engine_subject(p, s, t, _byref(out))
        try:
            rows = _convert_result(out)
        finally:
            _lib.civic_result_free(out)
        if len(rows) != 1:
            raise RuntimeError("civic_engine_subject gave %d rows, not 1" % len(rows))
        return rows[0]

    def subjects(self, as_of=None):
        """Scores of every subject with an event at or before as_of, sorted
        by subject id bytewise."""
        with self._use() as p:
            t = self._as_of(p, as_of)
            out = _capi.result_p()
            _lib.civic_engine_subjects(p, t, _byref(out))
        try:
            return _convert_result(out)
        finally:
            _lib.civic_result_free(out)

    def __iter__(self):
        return iter(self.subjects())

    def rank(self, group=None, as_of=None, top=None):
        """Subjects of `group` (and below it; None = everyone), best score
        first, ties by subject id; at most `top` rows.  Score.rank is the
        1-based position."""
        g = _cstr(group, "group", optional=True)
        if top is None:
            n = 0
        elif isinstance(top, bool) or not isinstance(top, int):
            raise TypeError("top must be int or None")
        elif top < 1:
            raise ValueError("top must be >= 1 (None: all)")
        else:
            n = min(top, 2 ** 64 - 1)
        with self._use() as p:
            t = self._as_of(p, as_of)
            out = _capi.result_p()
            _lib.civic_engine_rank(p, g, t, n, _byref(out))
        try:
            return _convert_result(out)
        finally:
            _lib.civic_result_free(out)

    def record(self, subject, as_of=None):
        """The credit record of `subject`: Record(summary, entries) in
        (ts, id) order.  The summary's dimensions are summed from the active
        entries."""
        s = _cstr(subject, "subject")
        with self._use() as p:
            t = self._as_of(p, as_of)
            dim_names = _dimensions(_lib.civic_engine_rules(p))
            offset = int(_lib.civic_rules_utc_offset(_lib.civic_engine_rules(p)))
            out = _capi.record_p()
            _lib.civic_engine_record(p, s, t, _byref(out))
        try:
            entries = []
            e = _capi.civic_entry()
            for i in range(_lib.civic_record_count(out)):
                e.version = _capi.CIVIC_ENTRY_VERSION
                _lib.civic_record_entry(out, i, _byref(e))
                entries.append(_entry_from(e, offset))
            summary = _capi.civic_score(version=_capi.CIVIC_SCORE_VERSION)
            _lib.civic_record_summary(out, _byref(summary))
            dims = {name: _points(0) for name in dim_names}
            for entry in entries:
                if entry.kind == "rule" and entry.state == "active" \
                        and entry.dimension in dims:
                    dims[entry.dimension] += entry.counted
            return Record(_score_from(summary, dims), entries, as_of=t, utc_offset=offset)
        finally:
            _lib.civic_record_free(out)

    def groups(self, depth, as_of=None):
        """GroupStats per group path at `depth` (0: one group "" of
        everyone), sorted by path."""
        if isinstance(depth, bool) or not isinstance(depth, int):
            raise TypeError("depth must be int")
        if not 0 <= depth < 2 ** 32:
            raise ValueError("depth must be >= 0")
        with self._use() as p:
            t = self._as_of(p, as_of)
            out = _capi.groups_p()
            _lib.civic_engine_groups(p, depth, t, _byref(out))
        try:
            ng = _lib.civic_groups_grade_count(out)
            names = [_str(_lib.civic_groups_grade_name(out, g)) for g in range(ng)]
            rows = []
            st = _capi.civic_group_stats()
            for i in range(_lib.civic_groups_count(out)):
                st.version = _capi.CIVIC_GROUP_STATS_VERSION
                _lib.civic_groups_get(out, i, _byref(st))
                counts = {names[g]: int(st.grade_counts[g]) for g in range(ng)} \
                    if st.grade_counts else {name: 0 for name in names}
                rows.append(GroupStats(
                    group=_str(st.path), depth=int(st.depth), subjects=int(st.subjects),
                    mean=_points(st.mean), median=_points(st.median),
                    min=_points(st.min), max=_points(st.max),
                    balance=_points(st.balance), grades=counts))
            return rows
        finally:
            _lib.civic_groups_free(out)

    # durability
    def save(self, path):
        """Write every event to a snapshot file at `path`, atomically."""
        raw = _path_bytes(path)
        err = _capi.new_error()
        with self._use() as p:
            _lib.civic_engine_save(p, raw, err)

    def load_snapshot(self, path):
        """Load the snapshot at `path` as one batch (all or nothing)."""
        raw = _path_bytes(path)
        err = _capi.new_error()
        with self._use() as p:
            _lib.civic_engine_load_snapshot(p, raw, err)

    def journal_open(self, path, sync="always", interval_ms=None):
        """Attach the journal at `path` (created if missing, replayed if not)
        and append every later successful write to it.  sync: "always"
        (fdatasync before each write returns), "group" (a background thread
        syncs every interval_ms, default 50) or "none".  Returns a
        JournalReport of what was replayed."""
        if sync not in _SYNC:
            raise ValueError("sync must be 'always', 'group' or 'none', not %r" % (sync,))
        policy = _SYNC[sync]
        if interval_ms is not None:
            if sync != "group":
                raise ValueError("interval_ms goes with sync='group'")
            if isinstance(interval_ms, bool) or not isinstance(interval_ms, int):
                raise TypeError("interval_ms must be int")
            if not 1 <= interval_ms <= 65535:
                raise ValueError("interval_ms must be 1..65535")
            policy |= _capi.CIVIC_SYNC_INTERVAL_MS(interval_ms)
        raw = _path_bytes(path)
        report = _capi.civic_journal_report(version=_capi.CIVIC_JOURNAL_REPORT_VERSION)
        err = _capi.new_error()
        with self._use() as p:
            _lib.civic_engine_journal_open(p, raw, policy, _byref(report), err)
        return JournalReport(created=bool(report.created), batches=int(report.batches),
                             events=int(report.events), accepted=int(report.accepted),
                             bytes_kept=int(report.bytes_kept),
                             bytes_truncated=int(report.bytes_truncated))

    def journal_sync(self):
        """Make every journaled batch durable now."""
        err = _capi.new_error()
        with self._use() as p:
            _lib.civic_engine_journal_sync(p, err)

    def journal_close(self):
        """Sync and detach the journal; the engine keeps its events."""
        err = _capi.new_error()
        with self._use() as p:
            _lib.civic_engine_journal_close(p, err)

    def compact(self, snapshot_path):
        """Save a snapshot to `snapshot_path`, then start the attached
        journal afresh (crash-safe order; see civic.h)."""
        raw = _path_bytes(snapshot_path)
        err = _capi.new_error()
        with self._use() as p:
            _lib.civic_engine_compact(p, raw, err)

    def __repr__(self):
        if self.closed:
            return "<civic.Engine closed>"
        return "<civic.Engine events=%d subjects=%d>" % (self.event_count,
                                                          self.subject_count)


_SYNC = {"always": _capi.CIVIC_SYNC_ALWAYS, "group": _capi.CIVIC_SYNC_GROUP,
         "none": _capi.CIVIC_SYNC_NONE}


def _engine_options(events_max, threads):
    for name, value, top in (("events_max", events_max, 2 ** 64),
                             ("threads", threads, 2 ** 32)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s must be int" % name)
        if not 0 <= value < top:
            raise ValueError("%s must be >= 0" % name)
    return _capi.civic_engine_options(version=_capi.CIVIC_ENGINE_OPTIONS_VERSION,
                                      flags=0, allocator=None, events_max=events_max,
                                      threads=threads)


def _path_bytes(path):
    if not isinstance(path, (str, bytes, _os.PathLike)):
        raise TypeError("path must be str or os.PathLike, not %s" % type(path).__name__)
    raw = _os.fsencode(path)
    if b"\0" in raw:
        raise ValueError("path contains a NUL character")
    return raw


def _report_from(r, rejections):
    return LoadReport(lines=int(r.lines), accepted=int(r.accepted),
                      duplicates=int(r.duplicates), rejected=int(r.rejected),
                      rejections=list(rejections))
