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
  - Answers (Score, Record, Entry, GroupStats, LoadReport) are plain Python
    objects whose fields cannot be reassigned: the C answer is converted and
    freed at once, so they outlive the engine.  The dicts and lists in them
    are the caller's copies (changing one changes no other answer), so the
    answers that hold them are not hashable.
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
    the matching OSError too (FileNotFoundError, PermissionError ...); a
    str argument with a lone surrogate raises a CivicError that is also a
    UnicodeEncodeError, and a NUL (an event's field, a subject, a time, a
    group path, a list name, a path) one that is also a ValueError, as 1.0
    raised; a time that does not fit in 64 bits (an int, or a datetime its
    offset moves out of datetime's range) a CivicError (CIVIC_E_LIMIT;
    format_time's CIVIC_E_INVALID) that is also an OverflowError, as 1.0
    raised.
    Wrong Python types raise TypeError, bad Python values ValueError; a
    message shows at most 40 characters of a value given (then "..."), as
    the library shows a field's.
  - What the contract takes but most likely means something else is warned
    of with civic.CivicWarning (a UserWarning), where and as civic-score
    warns of it: a CSV column meant for qty, group or ref, a log's earliest
    ts before 1973 (a date without its dashes) or latest from 5138 on (a
    date and time without separators), an as_of of bare digits,
    a rules file's retain in a balance rule's cap group (LoadReport.warnings
    holds a load's).
  - One vocabulary (docs/answers.md): every answer has to_dict(), whose keys
    and values are exactly those of civic-score --format json and of the
    service, read with json.loads(..., parse_float=decimal.Decimal): points
    Decimal with two places, times ISO text in the scheme's offset.
    civic.to_records(answers) flattens answers for pandas.DataFrame.
  - Version 2 (libcivic 1.1): Engine.add(act=, source=),
    tiers and measures on every Score and Record, the record's eff, from_,
    act, source, merged_with, frozen, contested, floored, to_balance and
    corrected, Engine.list(name, as_of), Engine.objections(as_of), Engine.purge(before),
    Rules.tiers / measures /
    flags / rule_info() / to_toml(), civic.compare().  to_dict() writes the
    version-2 keys only when the engine's spec_version is 2, as civic-score
    does, so a version-1 scheme and log keep their 1.0 answers.
"""

import codecs as _codecs
import ctypes as _ctypes
import datetime as _dt
import decimal as _decimal
import mmap as _mmap
import operator as _operator
import os as _os
import re as _re
import sys as _sys
import stat as _stat
import threading as _threading
import time as _time
import warnings as _warnings
import weakref as _weakref
from collections import namedtuple as _namedtuple
from collections.abc import Mapping as _Mapping
from ctypes import byref as _byref, c_int64 as _c_int64, c_size_t as _c_size_t
from ctypes import addressof as _addressof, create_string_buffer as _create_string_buffer
from dataclasses import dataclass as _dataclass, field as _field
from typing import Any as _Any, Dict as _Dict, IO as _IO, Iterable as _Iterable, \
    Iterator as _Iterator, List as _List, Optional as _Optional, Tuple as _Tuple, \
    TypeVar as _TypeVar, Union as _Union

from . import _capi
from . import _hints
from ._capi import (CivicError, CivicOSError, CivicValueError, CivicOverflowError,
                    CivicEncodeError, CivicDecodeError)
from ._capi import (CIVIC_OK, CIVIC_DUPLICATE, CIVIC_E_INVALID, CIVIC_E_NOMEM,  # noqa: F401
                    CIVIC_E_SYNTAX, CIVIC_E_RULES, CIVIC_E_EVENT, CIVIC_E_CONFLICT,
                    CIVIC_E_OVERFLOW, CIVIC_E_LIMIT, CIVIC_E_IO, CIVIC_E_VERSION,
                    CIVIC_E_CORRUPT, CIVIC_E_MISMATCH, CIVIC_E_USER, CIVIC_E_PURGED,
                    CIVIC_E_NOTFOUND)

__version__ = _capi.PACKAGE_VERSION

__all__ = [
    "__version__", "library_version", "library_path", "CivicError", "CivicOSError",
    "CivicValueError", "CivicOverflowError", "CivicEncodeError", "CivicDecodeError",
    "CivicWarning", "to_records",
    "Rules", "default_rules", "default_rules_text", "Engine",
    "Score", "Entry", "Record", "GroupStats", "Grade", "LoadReport", "Rejection",
    "JournalReport", "ListAnswer", "ListRow", "ObjectionRow", "PurgeReport", "Tier", "Measure",
    "RuleInfo",
    "SchemeInfo", "Cap", "ValidityClass", "TierInfo", "MeasureInfo",
    "compare", "CompareRow", "Comparison", "split", "split_part", "Split",
    "CIVIC_OK", "CIVIC_DUPLICATE", "CIVIC_E_INVALID", "CIVIC_E_NOMEM",
    "CIVIC_E_SYNTAX", "CIVIC_E_RULES", "CIVIC_E_EVENT", "CIVIC_E_CONFLICT",
    "CIVIC_E_OVERFLOW", "CIVIC_E_LIMIT", "CIVIC_E_IO", "CIVIC_E_VERSION",
    "CIVIC_E_CORRUPT", "CIVIC_E_MISMATCH", "CIVIC_E_USER", "CIVIC_E_PURGED",
    "CIVIC_E_NOTFOUND",
]

_lib = _capi.lib


class CivicWarning(UserWarning):
    """An input the contract takes that most likely means something else
    than it says, warned about where civic-score warns (docs/civic-score.1,
    WARNINGS), in the words civic-score writes after "warning: ": a CSV
    column most likely meant for qty, group or ref (ignored, as every other
    column); under rules of version 1, a JSON Lines key spelling a field's
    name in other letters (ignored); a log whose earliest ts is before
    1973-03-03 (a bare integer is Unix seconds: a date needs its dashes),
    or whose latest is from 5138-11-16 on (twelve digits, YYYYMMDDHHMM, are
    Unix seconds: a date and time need their separators);
    an as_of str of bare digits read so; a 13-digit int as_of or int given
    to parse_time, or a 12-digit one from 3 * 10**11 (milliseconds, past
    the year 9999); a rules file whose last grade has a min, or with a
    rule with retain that shares a cap group or category with a balance
    rule.  A load's warnings are in its LoadReport.warnings too.  Silence
    them with warnings.simplefilter("ignore", civic.CivicWarning)."""


def library_version() -> str:
    """The version string of the loaded libcivic, e.g. "1.1.0"."""
    return _lib.civic_version().decode("ascii")


def library_path() -> str:
    """The file the shared library was loaded from."""
    return _capi.LIBRARY_PATH


# --------------------------------------------------------------------------
# Conversions
# --------------------------------------------------------------------------

_FORMATS = {None: _capi.CIVIC_FORMAT_AUTO, "auto": _capi.CIVIC_FORMAT_AUTO,
            "csv": _capi.CIVIC_FORMAT_CSV, "jsonl": _capi.CIVIC_FORMAT_JSONL,
            "ndjson": _capi.CIVIC_FORMAT_JSONL}
# every value _format_code takes, for its messages
_FORMATS_SAID = "None, 'auto', 'csv', 'jsonl' or 'ndjson' (in any case)"


def _format_code(format):
    """A load's or a split's format argument as the C constant, its name in
    any case ("JSONL", as a file's extension may be written): a name that
    is no format is a bad value (ValueError), a format that is no str a
    wrong type (TypeError), as the module's other arguments."""
    if format is not None and not isinstance(format, str):
        raise TypeError("format must be %s, not %s" % (_FORMATS_SAID, type(format).__name__))
    code = _FORMATS.get(None if format is None else format.lower())
    if code is None:
        raise ValueError("format must be %s, not %s" % (_FORMATS_SAID, _excerpt(format)))
    return code


_AFFECTS = {0: "", _capi.CIVIC_AFFECTS_SCORE: "score",
            _capi.CIVIC_AFFECTS_BALANCE: "balance",
            _capi.CIVIC_AFFECTS_SCORE | _capi.CIVIC_AFFECTS_BALANCE: "both"}


# Every Decimal the binding makes is exact, whatever decimal context the
# caller has set (a prec=5 "show five digits" context rounded 1005.34 to
# 1005.3): the arithmetic below is done in this one, where an int64 of
# hundredths, or a sum of many, always fits.
_EXACT = _decimal.Context(prec=60, rounding=_decimal.ROUND_HALF_EVEN,
                          Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN, traps=[])


def _points(hundredths):
    """int64 hundredths -> Decimal with exactly two places."""
    return _decimal.Decimal(hundredths).scaleb(-2, _EXACT)


def _qty(thousandths):
    return _decimal.Decimal(thousandths).scaleb(-3, _EXACT)


def _str(b):
    return b.decode("utf-8", "replace") if b else ""


def _log_surrogates(e):
    """Encoding error handler for _log_bytes: each lone surrogate on its own,
    U+DC80..U+DCFF as the byte surrogateescape made it from, any other as
    surrogatepass spells it."""
    if not isinstance(e, UnicodeEncodeError):
        raise e
    out = bytearray()
    for ch in e.object[e.start:e.end]:
        c = ord(ch)
        if 0xDC80 <= c <= 0xDCFF:
            out.append(c - 0xDC00)
        else:
            out += ch.encode("utf-8", "surrogatepass")
    return bytes(out), e.end


_codecs.register_error("civic.log_surrogates", _log_surrogates)


def _log_bytes(text):
    """An event log given as str, as UTF-8 for the loader.  Text decoded with
    surrogateescape gets its original bytes back (the loader then sees what
    the CLI sees in the file: the same line, column and offset); any other
    lone surrogate becomes the bytes that spell it.  Neither is UTF-8: the
    loader names the line like any other bad line, and a lenient load skips
    it and keeps the rest."""
    return text.encode("utf-8", "civic.log_surrogates")


def _names_a_file(text):
    """Whether load(text) is a 1.0 program's file name: one line with no
    comma and no brace (so never events: a CSV header has commas, a JSON
    line braces) ending in .csv, .jsonl or .ndjson, naming a regular file
    or nothing (1.0 then named the missing path).  Not a FIFO, a device or
    a file without that ending, which 1.0 also read: a str that reaches
    load() from outside may name one."""
    if (len(text) >= 4096 or any(c in text for c in ",{\n\r\0") or
            not text.lower().endswith((".csv", ".jsonl", ".ndjson"))):
        return False
    return _os.path.isfile(text) or not _os.path.lexists(text)


# What reads a file instead, by the call that read the str: for the file
# it names, and for a file.
_READS_A_FILE = {
    "load": ("pass a pathlib.Path or an open file, or call load_file(), to read the file",
             "pass a pathlib.Path or an open file, or call load_file(), to read a file"),
    "split": ("pass its bytes (open(path, 'rb').read()) to split the file",
              "pass a file's bytes (open(path, 'rb').read()) to split a file"),
    "from_text": ("call Rules.from_file() to read the file",
                  "call Rules.from_file() to read a file"),
}
# How the str was read, by the call: the message's first words, what the
# library's words follow ("; as events: "), and the characters that say a
# str that names nothing is text, not a path (a CSV header's comma, a JSON
# line's brace; a TOML key's '=', a [table], a comment, a quote).
_READ_AS = {
    "load": (_capi.READ_AS_TEXT, "events", ",{"),
    "split": (_capi.READ_AS_TEXT, "events", ",{"),
    "from_text": (_capi.READ_AS_RULES, "rules", "=[]#\"'"),
}
# What looks like a file's name, not events: a '/' or '\\' (a directory), or
# an extension of letters and digits, a letter among them (".csv2", ".txt";
# not "2.5").
_PATH_LIKE = _re.compile(r"[/\\]|\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,10}\Z")
# The library's advice when a CSV header is the whole input (lib/internal.h,
# CIVIC__ONE_LINE_HINT): that a log's line breaks were removed, as curl -d
# removes them; of a str that names a file it is no help (its last
# parenthesis).
_BREAKS_GONE = _re.compile(r" \((?:the header is the whole input|a header of more than 1 MiB), "
                           r"without a line break: were the log's line breaks removed\? "
                           r"[^()]*\)\Z")


def _blanks_after(path):
    """How many blanks (spaces, tabs) end path (str or bytes) when path
    names nothing and, without them, names a regular file: a path copied
    with the blank after it ("events.csv "); else 0."""
    bare = path.rstrip(" \t" if isinstance(path, str) else b" \t")
    if not bare or bare == path:
        return 0
    try:
        if _os.path.lexists(path) or not _stat.S_ISREG(_os.stat(bare).st_mode):
            return 0
    except (OSError, ValueError):
        return 0
    return len(path) - len(bare)


def _blanks_hint(n):
    """What to say of a path that ends in n blanks and names a file
    without them (_blanks_after)."""
    return ("it ends in a blank, and without it names a file: strip it" if n == 1 else
            "it ends in %d blanks, and without them names a file: strip them" % n)


def _say_read_as_text(e, text, call="load"):
    """A failed load(text) (or split(text), Rules.from_text(text): call) of
    a one-line str (of load() and split(), bytes or a bytearray too, said
    so: "the bytes object was read as events text") that looks like a
    path: one
    that names a regular file (a path without .csv, .jsonl or .ndjson,
    which 1.0 read as the file), a directory, a FIFO or a device (never
    opened from a str), or that names nothing but has a '/' or an
    extension ("/data/events.csv2", "rules.toml").  The error's message
    says first how the str was read and what reads a file, then the
    library's words about the text (without the advice about a log whose
    line breaks curl -d removed, which the str's one line would get; of
    rules, after the line and column, which str() then puts nowhere else),
    or the CSV, JSON or TOML error about the path's own characters
    ("dotted keys are not supported") leaves the caller to guess.  Nothing
    is opened: only what the path names is looked up."""
    read_as, what, text_chars = _READ_AS[call]
    if not isinstance(text, str):
        # bytes (the path of the file they name, given as a path's bytes):
        # looked at as the str os.fsdecode makes of them, which os.stat
        # encodes back to the same bytes
        if len(text) > 4097:
            return
        noun = _capi.READ_AS_NOUNS[bytearray if isinstance(text, bytearray) else bytes]
        read_as = read_as.replace("the str", noun, 1)
        text = _os.fsdecode(bytes(text))
    else:
        noun = _capi.READ_AS_NOUNS[str]
    # a path read with readline() keeps its line break: one at the end
    # only, and the path before it, is named too
    path = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    if len(path) >= 4096 or any(c in path for c in "\n\r\0"):
        return
    try:
        mode = _os.stat(path).st_mode
    except (OSError, ValueError):
        mode = None
    blanks = _blanks_after(text) if path == text and mode is None else 0
    if path != text:
        if mode is None or not _stat.S_ISREG(mode):
            return
        hint = (read_as + ": it ends in a line break, and without it names a file "
                "(a line read with readline() keeps its line break): strip it, then " +
                _READS_A_FILE[call][0])
    elif blanks:
        # a path copied with the blank after it ("events.csv "): it names
        # nothing and ends in no extension, so it got the advice about the
        # line breaks curl -d removes
        hint = "%s: %s, then %s" % (read_as, _blanks_hint(blanks), _READS_A_FILE[call][0])
    elif mode is None:
        # names nothing: a path all the same when it has a directory or an
        # extension, and nothing of text (a CSV header's comma, a brace; a
        # TOML '=')
        if any(c in path for c in text_chars) or not _PATH_LIKE.search(path):
            return
        hint = read_as + ", not as a file name: " + _READS_A_FILE[call][1]
    elif _stat.S_ISREG(mode):
        hint = (read_as + ", not as the path of the file it names: " +
                _READS_A_FILE[call][0])
    else:
        kind = ("a directory" if _stat.S_ISDIR(mode) else "a FIFO" if _stat.S_ISFIFO(mode)
                else "not a regular file")
        if call == "from_text":
            hint = (read_as + ": the path it names is %s, and from_text() opens no path: "
                    "call Rules.from_file() to read a rules file" % kind)
        else:
            hint = (read_as + ": the path it names is %s, which %s() does not open "
                    "from %s" % (kind, call, noun.replace("the ", "a ", 1)))
    said = _BREAKS_GONE.sub("", e.message)
    if call == "from_text" and e.line and not said.startswith("line %d" % e.line):
        # the parser's message names no line: str() would have put it first
        said = "line %d%s: %s" % (e.line, ", column %d" % e.column if e.column else "", said)
    e.message = "%s; as %s: %s" % (hint, what, said)
    e.args = (e.code, e.message, e.line, e.column, e.offset)


# What a path holding a line break, given to a call that takes a path, most
# likely is, by the call: what it looks like, what reads it, and the
# characters that say a one-line text ending in a line break is no path
# read with readline() (as _READ_AS).
_TAKES_A_PATH = {
    "load_file": ("log text", "call load() with it", ",{"),
    "Rules.from_file": ("rules text", "call Rules.from_text() with it", "=[]#\"'"),
}
# The other kind's words, when the text is plainly the other kind's: a log
# given to Rules.from_file(), rules to load_file().
_OTHER_KIND = {
    "load_file": ("rules text", "call Rules.from_text() with it"),
    "Rules.from_file": ("log text", "call an Engine's load() with it"),
}


def _text_kind(raw):
    """"log" or "rules" when the first line that says something (after a
    BOM, blank lines and, for rules, '#' comments) is plainly one kind's:
    a JSON object or a CSV line without '=' is a log's; a [table] or a
    key = value line is a rules file's.  None when it cannot tell."""
    for line in raw.lstrip(b"\xef\xbb\xbf").splitlines():
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        if line.startswith(b"{"):
            return "log"
        if line.startswith(b"[") or _re.match(rb"([A-Za-z0-9_.-]+|\"[^\"]*\")\s*=", line):
            return "rules"
        return "log" if b"," in line and b"=" not in line else None
    return None


def _say_not_a_path(e, raw, call):
    """A CivicOSError of load_file(path) or Rules.from_file(path) (call),
    raw the path's bytes, when the path holds a line break (CR or LF): no
    file name has one, so it is surely text given for a path ("cannot open
    id,subject,type,ts" and the rest of a log, line by line).  The message
    says first what the path looks like and what reads it, then the
    library's words with each line break escaped (\\n, \\r), so that a
    log of the error keeps one line.  A path whose one line break ends it
    and which without it names something, or has none of the characters of
    text, is a line read with readline(): that is said instead.  The
    error's class, errno and .filename (the path as given) are kept; an
    error about another file (the journal's) is left as it is.  A path
    that names nothing and ends in blanks (spaces, tabs), without which it
    names a file, was copied with them: that is said too ("... was given a
    path that ends in a blank, and without it names a file: strip it")."""
    if _path_shown(raw) not in e.message:
        return
    if b"\n" not in raw and b"\r" not in raw:
        blanks = _blanks_after(raw)
        if blanks:
            e.message = "%s() was given a path that ends in %s; as a path: %s" % (
                call, _blanks_hint(blanks)[len("it ends in "):], e.message)
            e.args = (e.code, e.message, e.line, e.column, e.offset)
        return
    looks, reads, text_chars = _TAKES_A_PATH[call]
    line = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith((b"\n", b"\r")) \
        else raw
    if (line and b"\n" not in line and b"\r" not in line and
            (_os.path.lexists(line) or not any(c.encode() in line for c in text_chars))):
        hint = ("%s() was given a path that ends in a line break (a line read with "
                "readline() keeps its line break): strip it" % call)
    else:
        if _text_kind(raw) == ("rules" if call == "load_file" else "log"):
            looks, reads = _OTHER_KIND[call]
        hint = "%s() takes a path; this looks like %s: %s" % (call, looks, reads)
    e.message = "%s; as a path: %s" % (hint, e.message.replace("\r", "\\r")
                                       .replace("\n", "\\n"))
    e.args = (e.code, e.message, e.line, e.column, e.offset)


def _warn(message, category):
    """warnings.warn, attributed to the first caller outside this module
    (load() called by compare() is the user's compare() call)."""
    level, frame = 2, _sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
        level += 1
    _warnings.warn(message, category, stacklevel=level)


def _utf8(value, what, code=_capi.CIVIC_E_EVENT):
    """value (a str) as UTF-8.  A lone surrogate (a str decoded with
    surrogateescape: file names, argv) cannot be: a CivicError (also a
    UnicodeEncodeError) with code, by default what the library gives an
    event's text that is not UTF-8, naming the argument and the surrogate's
    index in the str: "at index", counted from 0 as value[i] and the
    error's .start count it (a column, the library's, is counted from 1).
    An event log is not given here: _log_bytes hands its bytes to the
    loader, which names the line."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _capi.CivicEncodeError(
            code, "%s: a lone surrogate (%r) at index %d is not UTF-8 text"
            % (what, e.object[e.start], e.start), e.object, e.start, e.end) from None


# How much of a caller's value a message shows, as the library shows a
# field's (lib/error.c, excerpt): its first 40 characters, then "...".
_SHOWN_MAX = 40


def _excerpt(value):
    """A caller's value as a message shows it: repr() of a str of at most 40
    characters, of a longer one's first 40 with "..." inside the quotes
    (a 100,000-character list name is not repeated whole); of any other
    value its repr() cut so."""
    if isinstance(value, str):
        if len(value) <= _SHOWN_MAX:
            return repr(value)
        r = repr(value[:_SHOWN_MAX])
        return r[:-1] + "..." + r[-1]
    r = repr(value)
    return r if len(r) <= _SHOWN_MAX else r[:_SHOWN_MAX] + "..."


def _empty_cell(value):
    """How a message names value when it is pandas' empty cell of a column
    of numbers or text: "float nan" for a float NaN (numpy's too),
    "pandas.NA" for pandas.NA (the empty cell of a nullable dtype:
    convert_dtypes(), "Int64", "string"); None for any other value.  pandas
    is not imported to know it: pandas.NA is the one instance of its
    NAType.  (pandas.NaT, the empty cell of a column of times, is a
    datetime: _ts_text names it.)"""
    if isinstance(value, float):
        return "float nan" if value != value else None
    t = type(value)
    if t.__name__ == "NAType" and t.__module__.split(".")[0] == "pandas":
        return "pandas.NA"
    return None


def _str_or_none(value, what, optional, event=False):
    """value, a str argument, checked: None when it is absent and may be,
    a TypeError when it is required or not a str.  pandas' empty cell (a
    float NaN, pandas.NA) is named so, as qty's is (event: a field of
    Engine.add)."""
    if value is None:
        if optional:
            return None
        raise TypeError("%s is required" % what)
    if not isinstance(value, str):
        empty = _empty_cell(value)
        if empty:
            raise TypeError("%s must be str, not %s (an empty cell?)%s" % (
                what, empty, (": omit %s (None)%s" % (what, " for an event without one"
                                                      if event else "")) if optional
                else ": every event has one" if event else ""))
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    return value


def _cstr(value, what, optional=False):
    """A str argument as NUL-terminated UTF-8 bytes (None for absent).  A
    NUL in it, which a C string cannot carry, raises a CivicError that is
    also the ValueError 1.0 raised, CIVIC_E_EVENT as for a lone surrogate
    (_utf8), naming the argument and the NUL's index in the str (from 0)."""
    if _str_or_none(value, what, optional) is None:
        return None
    if "\0" in value:
        raise _capi.CivicValueError(
            _capi.CIVIC_E_EVENT, "%s: a NUL character at index %d, which a C string "
            "cannot carry" % (what, value.index("\0")))
    return _utf8(value, what)


# Bytes that stand in for a NUL of an event field (see _event_field): C0
# controls but the blanks, DEL, and the bytes never found in UTF-8.  Each is
# refused wherever a NUL would be, by the same check, and is shown in a
# message as \xNN on its own.
_NUL_STAND_INS = tuple(bytes([c]) for c in list(range(1, 9)) + list(range(14, 32)) +
                       [0x7f, 0xc0, 0xc1] + list(range(0xf5, 0x100)))
# An escape of the library's excerpt of a value (lib/error.c: excerpt).
_EXCERPT_ESCAPE = _re.compile(r'\\(x[0-9a-f]{2}|u[0-9a-f]{4}|\\|")')


class _Refused(bytes):
    """An event field with what a C string cannot carry, as _event_field
    sends it: .stand_in, the byte each NUL went as (None without one);
    .surrogate, the UnicodeEncodeError of its first lone surrogate (None
    without one)."""


def _event_field(value, what, optional=False):
    """One field of Engine.add as the bytes civic_engine_add is given.  A
    NUL, which a C string cannot carry, goes as a byte of _NUL_STAND_INS the
    field does not hold, and a lone surrogate as the bytes _log_bytes makes
    of it, what the loader gets of a log decoded with surrogateescape: a
    _Refused.  Either is refused where the library refuses it in a log's
    field, so the library names the field, the code and the column as for
    any bad field, and checks the fields in its order (a field too long says
    so first); add() then puts the NUL back into the message's excerpt of
    the value."""
    if _str_or_none(value, what, optional, event=True) is None:
        return None
    if "\0" not in value:
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            pass
    surrogate = None
    try:
        raw = value.encode("utf-8")
    except UnicodeEncodeError as e:
        surrogate = e
        raw = _log_bytes(value)
        try:
            raw.decode("utf-8")
            # escaped bytes that make UTF-8 after all ("\udcc3\udca9": no
            # decoder's output): the bytes that spell each surrogate, which
            # never do
            raw = value.encode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            pass
    stand_in = None
    if b"\0" in raw:
        # (a field holding all 40 is refused all the same; its excerpt then
        # shows the first of them as \x00 too)
        stand_in = next((b for b in _NUL_STAND_INS if b not in raw), _NUL_STAND_INS[0])
        raw = raw.replace(b"\0", stand_in)
    field = _Refused(raw)
    field.stand_in, field.surrogate = stand_in, surrogate
    return field


def _nul_put_back(message, stand_in):
    """The library's message about a field whose NULs went as stand_in,
    with each escape of stand_in in its excerpt of the value (the only
    escapes in it) as the \x00 it was."""
    escape = "x%02x" % stand_in[0]
    return _EXCERPT_ESCAPE.sub(
        lambda m: "\\x00" if m.group(1) == escape else m.group(0), message)


# The control characters of lib/text.c (C0, DEL and C1), which no id,
# subject or group may hold.  A str that encodes is otherwise valid UTF-8.
_CONTROL = _re.compile("[\x00-\x1f\x7f-\x9f]")


def _subject(value):
    """A subject to ask about.  One longer than 128 bytes raises
    CIVIC_E_LIMIT, as the library does, naming the bound.  Any other str is
    looked up as the library looks it up, by its bytes: an empty one or one
    with a control character, which no event can have, answers base with
    no events, as in 1.0 and as civic_engine_subject answers (a program
    scoring ids read from outside did not fail on one; add() refuses it as
    an event's subject).  A NUL, which cannot be passed on, raises as in
    1.0: _cstr."""
    raw = _cstr(value, "subject")
    if len(raw) > 128:
        raise CivicError(_capi.CIVIC_E_LIMIT, "subject: longer than 128 bytes (%d)" % len(raw))
    return raw


def _check_group(value, raw):
    """A group path to rank, refused for the reasons civic-server's /rank
    gives (an event's group is refused for the same, lib/event.c): the
    library would answer an empty ranking for a path no event can have.
    Raised as CivicValueError: a ValueError too, as every other argument a
    question refuses for its value (a NUL in it, which 1.0 refused so)."""
    why = ("a group path may not start or end with '/'" if raw[:1] == b"/" or raw[-1:] == b"/"
           else "empty segment in group path" if b"//" in raw
           else "longer than %d bytes" % _capi.CIVIC_GROUP_BYTES_MAX
           if len(raw) > _capi.CIVIC_GROUP_BYTES_MAX
           else "more than %d segments" % _capi.CIVIC_GROUP_DEPTH_MAX
           if raw.count(b"/") >= _capi.CIVIC_GROUP_DEPTH_MAX
           else "not UTF-8 text without control characters" if _CONTROL.search(value)
           else None)
    if why:
        raise _capi.CivicValueError(_capi.CIVIC_E_INVALID, "group %s: %s" % (_excerpt(value), why))


def _index(value):
    """value as an int if it is an integer: an int, or an integer of another
    type through operator.index() -- numpy.int64 above all, which a pandas
    cell of a column of ints is and which is no int subclass (numpy is not
    imported for it); None otherwise.  A bool is None, numpy's too (its
    operator.index() is 0 or 1, and deprecated): True is no count or time."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if type(value).__name__ in ("bool_", "bool"):   # numpy.bool_, numpy 2's numpy.bool
        return None
    try:
        return _operator.index(value)
    except TypeError:
        return None


def _int_digits(n):
    """How many decimal digits abs(n) has, without str(n) (which Python
    refuses for an int of more than 4300 digits)."""
    m = abs(n)
    d = int((m.bit_length() - 1) * 0.3010299956639812) + 1 if m else 1
    while m >= 10 ** d:
        d += 1
    while d > 1 and m < 10 ** (d - 1):
        d -= 1
    return d


def _int_shown(n):
    """A caller's int as a message shows it: whole up to 64 digits; a longer
    one as its first 20 digits, "..." and how many digits it has (str() of
    the whole is refused by Python past 4300 digits, and says nothing)."""
    d = _int_digits(n)
    if d <= 64:
        return str(n)
    return "%s%s... (%d digits)" % ("-" if n < 0 else "", abs(n) // 10 ** (d - 20), d)


def _int_field(n):
    """A caller's int as the text of an event field (ts, qty).  An int of
    more than 64 digits goes as its sign and first 65 digits: the library
    takes a field of at most 64 bytes and refuses a longer one, whatever
    follows, with CIVIC_E_LIMIT naming the field and showing its first
    bytes -- the same error as for the whole number as text, which str()
    cannot write past 4300 digits."""
    d = _int_digits(n)
    if d <= 64:
        return str(n)
    return ("-" if n < 0 else "") + str(abs(n) // 10 ** (d - 65))


def _iso(value):
    """A datetime as ts text (docs/events.md): aware -> with its offset (Z for UTC
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


def _not_a_time(value, what):
    """The TypeError of a time argument of a type no time is given in: it
    names every type taken (a bool too is refused, though an int), and
    pandas' empty cell (a float NaN, pandas.NA) as such, as qty's is."""
    empty = _empty_cell(value)
    if empty:
        return TypeError("%s must be datetime, date, int or str, not %s (an empty cell?)%s"
                         % (what, empty, ": every event has one" if what == "ts" else ""))
    kind = type(value)
    if kind.__name__ == "datetime64" and kind.__module__ == "numpy":
        # a numpy array's or a pandas column's .values element: no datetime
        # (nor, at nanoseconds, is its .item(), an int)
        return TypeError("%s must be datetime, date, int or str, not numpy.datetime64 (%s)"
                         % (what, "NaT: an empty cell?" if value != value else
                            "pandas.Timestamp(x) is a datetime, read as the scheme's local "
                            "time when it has no zone"))
    return TypeError("%s must be datetime, date, int or str, not %s"
                     % (what, kind.__name__))


def _ts_text(value, what="ts"):
    """A ts argument (datetime, date, int Unix seconds -- or any integer
    type, see _index --, str) as text."""
    if isinstance(value, bool):
        raise _not_a_time(value, what)
    if isinstance(value, _dt.datetime):
        try:
            return _iso(value)
        except OverflowError:   # a seconds offset moves it to UTC, before year 1 or past 9999
            # also an OverflowError, which 1.0 let through from datetime
            raise _capi.CivicOverflowError(_capi.CIVIC_E_LIMIT,
                                           "bad %s %s: outside the years 0001 to 9999 in UTC"
                                           % (what, value.isoformat())) from None
        except (ValueError, TypeError) as e:
            # a datetime that is no time: pandas.NaT (an empty cell), whose
            # utcoffset() raises "NaTType does not support utcoffset", which
            # names neither the argument nor the problem (pandas is not
            # imported to know it: NaT, as NaN, is not equal to itself)
            if value != value:
                raise ValueError("%s is not a time: %r (an empty cell?)"
                                 % (what, value)) from None
            raise ValueError("%s is not a time: %r (%s)" % (what, value, e)) from None
    if isinstance(value, _dt.date):
        return "%04d-%02d-%02d" % (value.year, value.month, value.day)
    if isinstance(value, str):
        return value   # a NUL in it: the caller's (add() names the field as the library does)
    n = _index(value)
    if n is not None:
        return _int_field(n)
    raise _not_a_time(value, what)


class _NonFiniteQty(TypeError, ValueError):
    """A decimal.Decimal qty that is no number (NaN, sNaN) or infinite: the
    TypeError a float NaN or infinity raises, with the same advice (a NaN
    is most likely pandas' empty cell), and the ValueError 1.0 raised for
    it, for callers that catch that."""


def _qty_text(value):
    """qty as decimal text: int, str or Decimal; float is refused because a
    binary float cannot say 0.1 exactly."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("qty must be int, str or decimal.Decimal, not bool")
    if isinstance(value, float):
        if value != value:
            # pandas' empty cell; Decimal('nan') would be refused in turn
            raise TypeError("qty must be int, str or decimal.Decimal, not float nan "
                            "(an empty cell?): omit qty (None) for an event without one")
        # float's repr: numpy 2's of its float64 (a float) is np.float64(2.5)
        if value in (float("inf"), float("-inf")):
            raise TypeError("qty must be int, str or decimal.Decimal, not float %s "
                            "(a qty is finite)" % float.__repr__(value))
        raise TypeError("qty must be int, str or decimal.Decimal, not float "
                        "(use Decimal('%s') or a string)" % float.__repr__(value))
    if isinstance(value, _decimal.Decimal):
        if value.is_nan():
            # Decimal(x) of pandas' empty cell, as a float NaN is told
            raise _NonFiniteQty("qty must be finite, not %r (an empty cell?): omit qty (None) "
                                "for an event without one" % value)
        if value.is_infinite():
            raise _NonFiniteQty("qty must be finite, not %r" % value)
        if value == value.to_integral_value():
            if value.adjusted() < 64:
                return str(int(value))
            # its first 65 digits, as _int_field (int() of 1e999999999
            # would be a gigabyte)
            # as_tuple(), not normalize(), which rounds to the context's 28 digits
            t = value.as_tuple()
            digits = "".join(map(str, t.digits[:66]))
            if t.exponent >= 0:
                digits += "0" * min(t.exponent, 65)
            else:  # integral: the digits past the point are zeros
                digits = "".join(map(str, t.digits[:len(t.digits) + t.exponent]))[:66]
            return ("-" if t.sign else "") + digits[:65]
        if value.adjusted() < -66:
            # written out whole, 1E-999999999 would be a gigabyte of zeros;
            # past 64 bytes the library refuses it as it would the whole
            return ("-" if value.is_signed() else "") + "0." + "0" * 66
        # exact: normalize() would round to the caller's context (28 digits
        # by default, 2.345 to 2.34 under prec=3) and send another qty
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, str):
        return value   # a NUL in it: add() names the field as the library does
    n = _index(value)
    if n is not None:
        return _int_field(n)
    if _empty_cell(value):   # pandas.NA: the empty cell of a nullable column
        raise TypeError("qty must be int, str or decimal.Decimal, not pandas.NA (an empty "
                        "cell?): omit qty (None) for an event without one")
    raise TypeError("qty must be int, str or decimal.Decimal, not %s"
                    % type(value).__name__)


def _toml_of(rules_ptr):
    """civic_rules_to_toml of a rules pointer, as str."""
    need = _c_size_t()
    while True:
        buf = _create_string_buffer(need.value + 1)
        try:
            _lib.civic_rules_to_toml(rules_ptr, buf, len(buf), _byref(need))
        except CivicError as e:
            if e.code != CIVIC_E_LIMIT or need.value + 1 <= len(buf):
                raise
            continue
        return buf.value.decode("utf-8")


_C_NUL_HINT = "a length of strlen(text) + 1 takes in the terminating NUL"
_PY_NUL_HINT = "remove the '\\x00' at the text's end"


def _out_of_range(n):
    """The error class for an int time out of range: CivicOverflowError
    (also an OverflowError, as 1.0 raised for it) when n does not fit in
    64 bits, else CivicError (1.0 passed such an n to the library)."""
    if _capi.INT64_MIN <= n <= _capi.INT64_MAX:
        return CivicError
    return _capi.CivicOverflowError


# The library's reason for a time outside the calendar, before what it adds
# (lib/time.c), and what it adds for 13 digits, and 12 from 3 * 10**11 on,
# as such an int is told.
_OUT_OF_RANGE = "timestamp out of range (years 0001..9999 in UTC)"
_MILLISECONDS = ": it looks like milliseconds; write Unix seconds (drop the last three digits)"
_MILLISECONDS_MIN, _MILLISECONDS_END = 3 * 10 ** 11, 10 ** 13


class _Read(int):
    """An as_of already read by _parse_time, handed on to the queries a call
    makes of its own (compare(): one per engine and per subject one scheme
    lists): taken as it is, without warning of it again."""
    __slots__ = ()


def _parse_time(rules_ptr, value, what="time"):
    """Any ts form -> int64 Unix seconds under the rules' utc_offset; an as_of
    may also be "now" (as civic-score -t now).  what: "as_of", "before"
    (purge) or "time" (parse_time): an int as_of or time is any int64, as
    1.0 took it; an int before has the range of every other form."""
    if type(value) is _Read:
        return int(value)
    if what == "as_of" and isinstance(value, str) and value == "now":
        return int(_time.time())
    n = None if isinstance(value, (str, _dt.date)) else _index(value)
    if n is not None:
        value = n
        if what in ("as_of", "time") and _capi.INT64_MIN <= value <= _capi.INT64_MAX:
            # any int64, as the C API takes and 1.0 passed on (an as_of, and
            # parse_time's int, which 1.0 returned unchanged): a program may
            # ask at 2**63 - 1 for "after everything"; one of 13 digits (or
            # 12 from 3 * 10**11), which every other form refuses with
            # _MILLISECONDS, is warned of
            # (an int of any other size is Unix seconds: not warned of)
            if _MILLISECONDS_MIN <= value < _MILLISECONDS_END:
                _warn("%s %d is after the year 9999%s" % (what, value, _MILLISECONDS),
                      CivicWarning)
            return value
        # an as_of or time past 64 bits: that is its limit, not the calendar
        if what in ("as_of", "time"):
            raise _out_of_range(value)(
                _capi.CIVIC_E_LIMIT, "bad %s %s: does not fit in 64 bits (an int %s is Unix "
                "seconds, any 64-bit value)" % (what, _int_shown(value), what))
        # purge's before (new in 1.1): the range of every other form
        # ("253402300800" as text, civic-score -t)
        if not _capi.CIVIC_TIME_MIN <= value <= _capi.CIVIC_TIME_MAX:
            raise _out_of_range(value)(
                _capi.CIVIC_E_LIMIT, "bad %s %s: outside the years 0001 to 9999 in UTC%s"
                % (what, _int_shown(value), _MILLISECONDS
                   if _MILLISECONDS_MIN <= value < _MILLISECONDS_END else ""))
        return value
    text = _ts_text(value, what)
    # a NUL, which a C string cannot carry, goes as a control byte, which
    # no timestamp holds either: the library's reason for the time, in a
    # CivicError that is also the ValueError 1.0 raised
    nul = "\0" in text
    raw = _utf8(text.replace("\0", "\x01") if nul else text, what)
    out = _c_int64()
    try:
        _lib.civic_rules_parse_time_ext(rules_ptr, raw, len(raw), _byref(out),
                                        _capi.new_error())
    except CivicError as e:
        # the library's reason (a day or an hour that does not exist, an
        # offset out of range), with the argument's name and value
        if e.code == _capi.CIVIC_E_LIMIT:
            # and the library's reason after it: 13 digits look like
            # milliseconds (as civic-score -t says)
            why = "outside the years 0001 to 9999 in UTC"
            if e.message and e.message.startswith(_OUT_OF_RANGE):
                why += e.message[len(_OUT_OF_RANGE):]
        elif e.message and not e.message.startswith("bad timestamp"):
            why = e.message
        else:
            why = ("not a timestamp (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM], "
                   "Unix seconds or now)" if what == "as_of" else
                   "not a timestamp (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM], "
                   "or Unix seconds)")
            # then what it most likely is, where the library says it after its
            # own list of forms (which its first ")" ends), as a log's ts is
            # told it: "(the seconds are required: write 2025-11-28T19:04:00)"
            if e.message and e.message.startswith("bad timestamp") and ")" in e.message:
                why += e.message[e.message.index(")") + 1:]
        raise (_capi.CivicValueError if nul else CivicError)(
            e.code, "bad %s %s: %s" % (what, _excerpt(text), why)) from None
    if what == "as_of":
        # a bare integer before 1973: Unix seconds, where a date without its
        # dashes was most likely meant (civic-score -t 20250101 warns so)
        hint = _hints.as_of(rules_ptr, text)
        if hint:
            _warn(hint, CivicWarning)
    return out.value


# --------------------------------------------------------------------------
# Handles
# --------------------------------------------------------------------------


# An exception raised in a ctypes callback (Ctrl-C in the reject callback of
# a lenient load, most often) is not raised by ctypes: it is handed to
# sys.unraisablehook and the call goes on.  A load gives its callback a box;
# the hook, installed by the first load (again if replaced since), puts such
# an exception in the box of the callback it came from (the load then stops
# and raises it) and hands every other one to the hook it found.  The
# callback is named by the hook's object up to Python 3.12, and only in its
# message from 3.13 on; it runs on the loading thread.
# The hook is installed only while some load has a box, and put back after
# the last one: a program that installs its own hook, chaining to the one it
# found, never finds this one between loads.  One that did find it (it
# replaced the hook during a load) and is found in turn by the next load
# would make a loop: a report that comes back to this hook on its own
# thread, or that the hook it would hand it to gave it, goes to Python's
# default hook instead.
# A thread's loads form a stack: Python code that runs inside a load's
# callback (a signal handler, __del__, a weakref callback) may make a lenient
# load of its own, whose box goes above the outer one and leaves it there on
# return (one box per thread lost the outer load's Ctrl-C and put the hook
# back while it still ran).
_callback_boxes = {}   # thread id -> [(callback function, box)], innermost last
_callback_lock = _threading.Lock()
_hook_before = None
_in_hook = _threading.local()


def _unraisable(u):
    for fn, box in reversed(_callback_boxes.get(_threading.get_ident(), ())):
        if u.object is fn or (u.object is None and (u.err_msg or "").endswith(repr(fn))):
            box.append(u.exc_value if u.exc_value is not None else u.exc_type())
            return
    if getattr(_in_hook, "on", False) or _sys.unraisablehook is _hook_before:
        # come round again, or called by the hook it would hand the report
        # to (which chained to this one): see above
        _sys.__unraisablehook__(u)
        return
    _in_hook.on = True
    try:
        (_hook_before or _sys.__unraisablehook__)(u)
    finally:
        _in_hook.on = False


def _callback_box(fn):
    """A list that receives what fn raises while it is registered."""
    global _hook_before
    box = []
    with _callback_lock:
        if _sys.unraisablehook is not _unraisable:   # first use, or replaced since
            _hook_before = _sys.unraisablehook
            _sys.unraisablehook = _unraisable
        _callback_boxes.setdefault(_threading.get_ident(), []).append((fn, box))
    return box


def _callback_unbox(fn):
    with _callback_lock:
        me = _threading.get_ident()
        stack = _callback_boxes.get(me, [])
        stack[:] = [entry for entry in stack if entry[0] is not fn]
        if not stack:
            _callback_boxes.pop(me, None)
        if not _callback_boxes and _sys.unraisablehook is _unraisable:
            _sys.unraisablehook = _hook_before   # the last load is done: as it was


class _Handle:
    """One C handle: freed exactly once, by close() or when the owner is
    collected, and never while a call is using it.  The finalizer holds the
    handle, the pointer and the free function, not the owner.  At the
    interpreter's exit weakref.finalize runs it while daemon threads may
    still be inside a call: it then closes the handle, and a handle in use
    is left to the operating system (it is not freed under the call)."""

    __slots__ = ("_ptr", "_lock", "_busy", "_closed", "_finalizer", "_what")

    def __init__(self, owner, ptr, free, what):
        self._ptr = ptr
        self._lock = _threading.RLock()   # the finalizer runs under it from close()
        self._busy = 0
        self._closed = False
        self._what = what
        self._finalizer = _weakref.finalize(owner, _Handle._final, self, free, ptr)

    @staticmethod
    def _final(handle, free, ptr):
        with handle._lock:
            handle._closed = True
            if handle._busy:    # only at exit: a daemon thread is inside a call
                return
            free(ptr)

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
Grade.__doc__ = ("A grade band: name, and min (Decimal; None when the rules leave out the "
                 "last grade's min).  The last grade takes every lower score, whatever its min.")


_Self = _TypeVar("_Self", bound="_Owner")


class _Owner:
    """What Rules and Engine share: a `_h` (_Handle) that close() frees, a
    context manager, and _use() to borrow the C pointer for one call."""

    @property
    def closed(self) -> bool:
        return self._h.closed

    def __enter__(self: "_Self") -> "_Self":
        if self._h.closed:     # as every other use of a closed object
            raise ValueError("operation on a closed %s" % self._h._what)
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _use(self):
        return _Use(self._h)

    # A copy would share the C handle, which the original frees when it is
    # collected: copying an engine is refused (make a new one and load it),
    # and pickling, which cannot carry a C handle, says so.  (__reduce__,
    # which object.__reduce_ex__ calls for every protocol: Rules overrides
    # it.)
    def __copy__(self):
        raise TypeError("a civic.%s cannot be copied: it owns a C handle" % self._h._what)

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        raise TypeError("a civic.%s cannot be pickled: it owns a C handle" % self._h._what)


class Rules(_Owner):
    """A parsed, validated scheme (a rules file, docs/rules.md).  Immutable.

    Create with Rules.from_text(), Rules.from_file() or civic.default_rules().
    """

    def __init__(self, _ptr: _Any = None) -> None:
        if not isinstance(_ptr, _capi.rules_p) or not _ptr:
            raise TypeError("use Rules.from_text(), Rules.from_file() or "
                            "civic.default_rules()")
        self._h = _Handle(self, _ptr, _lib.civic_rules_free, "Rules")

    def __copy__(self):          # immutable: a copy is the same scheme
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        # immutable, and written back whole by to_toml() (which parses to
        # the same scheme): a pickle, the argument of a multiprocessing or
        # Dask task, carries that text and is parsed again where it lands,
        # into a handle of its own (without warning again of what
        # from_text() or from_file() warned of where it was made)
        return (_rules_from_toml, (self.to_toml(),))

    @classmethod
    def from_text(cls, text: _Union[str, bytes, bytearray, memoryview]) -> "Rules":
        """Parse rules from TOML text (str or UTF-8 bytes).  CivicError with
        line and column on a bad file.  A str decoded with surrogateescape is
        the bytes it was decoded from again, as for Engine.load (the parser
        then reads what from_file and the CLI read in the file: a comment
        may hold them; any other lone surrogate is the bytes that spell it).
        What in the scheme most likely does not do what was meant (a min on
        the last grade; a rule with retain sharing a cap group or category
        with a balance rule) is warned of with CivicWarning, as civic-score
        warns of it.
        A str is text, never a path: when a one-line str that looks like one
        fails to parse (it names a regular file, a directory or a FIFO, or
        names nothing but has a '/' or an extension, and has no '=', '[',
        ']', '#' or quote), the error's message begins by saying it was
        read as rules text and that Rules.from_file() reads a file, then
        gives the parser's words, its line and column first."""
        try:
            rules = cls._parse(text)
        except CivicError as e:
            if isinstance(text, str):
                _say_read_as_text(e, text, "from_text")
            raise
        rules._warn_scheme(None)
        return rules

    @classmethod
    def _parse(cls, text):
        """from_text() without its warnings."""
        if isinstance(text, str):
            data = _log_bytes(text)
        elif isinstance(text, (bytes, bytearray, memoryview)):
            data = bytes(text)
        else:
            raise TypeError("text must be str or bytes, not %s" % type(text).__name__)
        out = _capi.rules_p()
        err = _capi.new_error()
        try:
            _lib.civic_rules_parse(_byref(out), data, len(data), None, err)
        except CivicError as e:
            # the library's hint is for a C caller whose length took in the
            # terminating NUL (strlen + 1): here it is a character to remove
            if _C_NUL_HINT in e.message:
                e.message = e.message.replace(_C_NUL_HINT, _PY_NUL_HINT)
                e.args = (e.code, e.message, e.line, e.column, e.offset)
            raise
        return cls(out)

    @classmethod
    def from_file(cls, path: _Union[str, bytes, _os.PathLike]) -> "Rules":
        """Parse the rules file at `path` (str, bytes or os.PathLike).  As
        from_text(), what most likely does not do what was meant is warned
        of with CivicWarning, the path before it, as civic-score says it.
        A path holding a line break that cannot be opened is surely rules
        text: the error (still the CivicOSError, FileNotFoundError ..., of
        the path, .filename the path as given) says so first,
        "Rules.from_file() takes a path; this looks like rules text: call
        Rules.from_text() with it; as a path: ", then the library's words
        with each line break escaped; a log's text is named as log text,
        "call an Engine's load() with it".  A path that names nothing and
        ends in blanks, without which it names a file, is told so first:
        "Rules.from_file() was given a path that ends in a blank, and
        without it names a file: strip it; as a path: "."""
        raw = _path_bytes(path)
        out = _capi.rules_p()
        err = _capi.new_error()
        try:
            with _Naming(path):
                _lib.civic_rules_load_file(_byref(out), raw, None, err)
        except _capi.CivicOSError as e:
            _say_not_a_path(e, raw, "Rules.from_file")
            raise
        rules = cls(out)
        rules._warn_scheme(_path_shown(raw))
        return rules

    def _warn_scheme(self, label):
        with self._use() as p:
            said = _hints.scheme(p, label)
        for text in said:
            _warn(text, CivicWarning)

    @classmethod
    def default(cls) -> "Rules":
        """The built-in "community" scheme."""
        out = _capi.rules_p()
        _lib.civic_rules_default(_byref(out), None)
        return cls(out)

    # lifetime
    def close(self) -> None:
        """Drop this object's reference to the C rules (engines keep theirs)."""
        self._h.close()


    # properties
    @property
    def name(self) -> str:
        with self._use() as p:
            return _str(_lib.civic_rules_name(p))

    @property
    def base(self) -> _decimal.Decimal:
        """The base score, Decimal."""
        with self._use() as p:
            return _points(_lib.civic_rules_base(p))

    @property
    def utc_offset(self) -> int:
        """The scheme's local time, in seconds east of UTC."""
        with self._use() as p:
            return int(_lib.civic_rules_utc_offset(p))

    @property
    def tzinfo(self) -> _dt.timezone:
        """The scheme's local time as a datetime.timezone."""
        return _dt.timezone(_dt.timedelta(seconds=self.utc_offset))

    @property
    def grades(self) -> _Tuple["Grade", ...]:
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
    def rules(self) -> _Tuple[str, ...]:
        """Tuple of the rule codes, in file order."""
        with self._use() as p:
            return tuple(_str(_lib.civic_rules_rule_code(p, i))
                         for i in range(_lib.civic_rules_rule_count(p)))

    @property
    def dimensions(self) -> _Tuple[str, ...]:
        """Tuple of the dimension labels, in first-use order (each rule's
        changes counted right after it); "general" last unless a rule or
        change writes dimension = "general"."""
        with self._use() as p:
            return _dimensions(p)

    @property
    def fingerprint(self) -> int:
        """64-bit fingerprint of the rules' meaning (int)."""
        with self._use() as p:
            return int(_lib.civic_rules_fingerprint(p))

    def parse_time(self, value: _Any) -> int:
        """Any ts form (str, datetime, date, int) -> int Unix seconds, read in
        the scheme's local time when it has no offset.  CivicError
        (CIVIC_E_EVENT) for a bad timestamp, CIVIC_E_LIMIT for one outside
        the years 0001 to 9999 in UTC.  An int is returned as it is, any
        64-bit value, as 1.0 returned it (one of 13 digits, or 12 from
        3 * 10**11, is warned of with CivicWarning as milliseconds, as an
        int as_of is); past 64 bits it raises CIVIC_E_LIMIT, also an
        OverflowError."""
        with self._use() as p:
            return _parse_time(p, value)

    def format_time(self, t: int) -> str:
        """int Unix seconds -> "YYYY-MM-DDTHH:MM:SS+HH:MM" in local time.
        A time outside the years 0001 to 9999 in UTC (an entry's `end` may
        be one: its ts plus its validity) raises CivicError CIVIC_E_INVALID,
        the code civic_rules_format_time returns for it and 1.0 raised
        (parse_time reads a time given as text or a datetime as the loader
        does, with the loader's CIVIC_E_LIMIT); no calendar holds it.  Past 64 bits the error is
        also an OverflowError."""
        t = _index(t)
        if t is None:
            raise TypeError("t must be int Unix seconds")
        if not _capi.CIVIC_TIME_MIN <= t <= _capi.CIVIC_TIME_MAX:   # 64 bits or not
            raise _out_of_range(t)(_capi.CIVIC_E_INVALID,
                                   "bad time %s: outside the years 0001 to 9999 in UTC"
                                   % _int_shown(t))
        buf = _create_string_buffer(32)
        with self._use() as p:
            _lib.civic_rules_format_time(p, t, buf, len(buf))
        return buf.value.decode("ascii")

    # the scheme, described (version 2)
    @property
    def spec_version(self) -> int:
        """1 for a scheme that uses only version-1 keys, 2 when it uses any
        key or table of version 2 (libcivic 1.1)."""
        with self._use() as p:
            return int(_lib.civic_rules_spec_version(p))

    @property
    def flags(self) -> _Tuple[str, ...]:
        """Tuple of the flags any rule can set, in first-use order."""
        with self._use() as p:
            return tuple(_str(_lib.civic_rules_flag_name(p, i))
                         for i in range(_lib.civic_rules_flag_count(p)))

    @property
    def tiers(self) -> _Tuple["Tier", ...]:
        """Tuple of Tier(name, levels) in file order; levels is a tuple of
        level names, lowest first."""
        with self._use() as p:
            out = []
            for t in range(_lib.civic_rules_tier_count(p)):
                levels = tuple(_str(_lib.civic_rules_tier_level_name(p, t, k))
                               for k in range(_lib.civic_rules_tier_level_count(p, t)))
                out.append(Tier(_str(_lib.civic_rules_tier_name(p, t)), levels))
            return tuple(out)

    @property
    def measures(self) -> _Tuple["Measure", ...]:
        """Tuple of Measure(code, text, kind) in file order; kind is
        "incentive" or "restriction"."""
        with self._use() as p:
            return tuple(Measure(_str(_lib.civic_rules_measure_code(p, m)),
                                 _str(_lib.civic_rules_measure_text(p, m)),
                                 _MEASURE_KINDS.get(int(_lib.civic_rules_measure_kind(p, m)),
                                                    ""))
                         for m in range(_lib.civic_rules_measure_count(p)))

    @property
    def scheme_info(self) -> "SchemeInfo":
        """SchemeInfo(min, max, clamp, valid, balance_reset, balance_min,
        contested, objection_window): the [scheme] keys as published; a
        bound or floor that is not set is None."""
        with self._use() as p:
            x = _capi.civic_scheme_info(version=_capi.CIVIC_SCHEME_INFO_VERSION)
            _lib.civic_rules_scheme_info(p, _byref(x))
            return SchemeInfo(_points(x.min) if x.has_min else None,
                              _points(x.max) if x.has_max else None,
                              "running" if x.running_clamp else "final", _str(x.valid),
                              _str(x.balance_reset),
                              _points(x.balance_min) if x.has_balance_min else None,
                              "suspend" if x.suspend else "mark", _str(x.objection_window))

    @property
    def caps(self) -> _Tuple["Cap", ...]:
        """Tuple of Cap(name, limit, period, mode) for the shared caps
        ([cap.NAME]) in file order; mode is "both" or "net"."""
        with self._use() as p:
            out = []
            for i in range(_lib.civic_rules_cap_count(p)):
                x = _capi.civic_cap_info(version=_capi.CIVIC_CAP_INFO_VERSION)
                _lib.civic_rules_cap_info(p, i, _byref(x))
                out.append(Cap(_str(x.name), _points(x.limit), _str(x.period),
                               "net" if x.net else "both"))
            return tuple(out)

    @property
    def validity_classes(self) -> _Tuple["ValidityClass", ...]:
        """Tuple of ValidityClass(up_to, valid) in file order ([[validity]],
        for rules valid "by-severity"); up_to is None for the last class."""
        with self._use() as p:
            out = []
            for i in range(_lib.civic_rules_validity_count(p)):
                x = _capi.civic_validity_info(version=_capi.CIVIC_VALIDITY_INFO_VERSION)
                _lib.civic_rules_validity_info(p, i, _byref(x))
                out.append(ValidityClass(_points(x.up_to) if x.up_to >= 0 else None,
                                         _str(x.valid)))
            return tuple(out)

    @property
    def tier_info(self) -> _Tuple["TierInfo", ...]:
        """Tuple of TierInfo(name, measure, window, rules, levels) in file
        order: measure "qty" or "points", window "lifetime", "year",
        "quarter", "month" or a rolling duration ("12m"), rules the rule
        codes, levels a tuple of (name, min) lowest first."""
        with self._use() as p:
            out = []
            for t in range(_lib.civic_rules_tier_count(p)):
                x = _capi.civic_tier_info(version=_capi.CIVIC_TIER_INFO_VERSION)
                _lib.civic_rules_tier_info(p, t, _byref(x))
                qty = x.measure == _capi.CIVIC_TIER_MEASURE_QTY
                rules = tuple(_str(_lib.civic_rules_rule_code(p, _lib.civic_rules_tier_rule(p, t, k)))
                              for k in range(x.rule_count))
                levels = []
                for k in range(x.level_count):
                    low = _c_int64()
                    _lib.civic_rules_tier_level_min(p, t, k, _byref(low))
                    levels.append((_str(_lib.civic_rules_tier_level_name(p, t, k)),
                                   _qty(low.value) if qty else _points(low.value)))
                out.append(TierInfo(_str(x.name), "qty" if qty else "points", _str(x.window),
                                    rules, tuple(levels)))
            return tuple(out)

    @property
    def measure_info(self) -> _Tuple["MeasureInfo", ...]:
        """Tuple of MeasureInfo(code, text, kind, grades, flag, tier,
        min_level, min_score, max_score) in file order: the conditions a
        measure lists (all must hold); grades a tuple of grade names, a
        condition it does not list None."""
        with self._use() as p:
            names = [_str(_lib.civic_rules_grade_name(p, g))
                     for g in range(_lib.civic_rules_grade_count(p))]
            out = []
            for m in range(_lib.civic_rules_measure_count(p)):
                x = _capi.civic_measure_info(version=_capi.CIVIC_MEASURE_INFO_VERSION)
                _lib.civic_rules_measure_info(p, m, _byref(x))
                grades = tuple(n for g, n in enumerate(names) if g < 64 and x.grades >> g & 1)
                out.append(MeasureInfo(
                    _str(x.code), _str(x.text),
                    _MEASURE_KINDS.get(int(x.kind), ""), grades or None,
                    _str(x.flag) or None, _str(x.tier) or None, _str(x.min_level) or None,
                    _points(x.min_score) if x.has_min_score else None,
                    _points(x.max_score) if x.has_max_score else None))
            return tuple(out)

    def rule_info(self, rule: _Union[str, int], change: int = 0) -> "RuleInfo":
        """RuleInfo of one version of a rule, as published: rule is a rule
        code (str) or its index in Rules.rules; change 0 is the base table,
        k its k-th change (RuleInfo.changes says how many there are).
        CivicError CIVIC_E_NOTFOUND for an unknown code (one holding a NUL
        too, also a ValueError; its message names the rule code most likely
        meant, "did you mean 'volunteer_hour'?", and says what the name is
        when it is a flag, a measure, a tier, a category or a dimension of
        the scheme, with the rules it belongs to), CIVIC_E_INVALID for an
        index or change out of range (its message says how many there
        are); a code with a lone
        surrogate raises CIVIC_E_EVENT, also a UnicodeEncodeError, as every
        str argument does."""
        change = _index(change)
        if change is None:
            raise TypeError("change must be int")
        if change < 0:
            raise ValueError("change must be >= 0")
        if isinstance(rule, str):
            if "\0" in rule:
                # as list(): no rule code holds a control character, and a
                # NUL cannot be passed on (SPEC 7: a CivicError, and the
                # ValueError a NUL in a str argument raises)
                raise _capi.CivicValueError(CIVIC_E_NOTFOUND, "no rule %s in the scheme"
                                            % _excerpt(rule))
            _cstr(rule, "rule")   # a lone surrogate: CivicEncodeError naming it
        with self._use() as p:
            if isinstance(rule, str):
                codes = [_str(_lib.civic_rules_rule_code(p, i))
                         for i in range(_lib.civic_rules_rule_count(p))]
                if rule not in codes:
                    raise CivicError(CIVIC_E_NOTFOUND, _no_rule(p, rule, codes))
                index = codes.index(rule)
            elif _index(rule) is not None:     # numpy.int64 too
                index = _index(rule)
                if index < 0:
                    raise ValueError("rule index must be >= 0")
            else:
                raise TypeError("rule must be a rule code (str) or an index (int)")
            count = int(_lib.civic_rules_rule_count(p))
            if index >= count:
                raise CivicError(CIVIC_E_INVALID, "rule index %s is out of range: the scheme "
                                 "has %s" % (_int_shown(index), _counted(count, "rule")))
            info = _capi.civic_rule_info(version=_capi.CIVIC_RULE_INFO_VERSION)
            _lib.civic_rules_rule_info(p, index, 0, _byref(info))
            if change > info.changes:
                raise CivicError(CIVIC_E_INVALID, "rule %r has %s: change %s is out of range "
                                 "(0 is the base table%s)"
                                 % (_str(info.code), _counted(info.changes, "change"),
                                    _int_shown(change),
                                    ", 1..%d its changes" % info.changes if info.changes else ""))
            if change:
                info = _capi.civic_rule_info(version=_capi.CIVIC_RULE_INFO_VERSION)
                _lib.civic_rules_rule_info(p, index, change, _byref(info))
            return _rule_info_from(info)

    def to_toml(self) -> str:
        """The scheme written back as a rules file (str) that parses to the
        same scheme (fingerprint, dimension order): every table and every
        key that has a value, most defaults spelt out."""
        with self._use() as p:
            return _toml_of(p)

    def __repr__(self):
        if self.closed:
            return "<civic.Rules closed>"
        return "<civic.Rules %r fingerprint=%016x>" % (self.name, self.fingerprint)


# How many rule codes a message names before "and N more".
_RULES_NAMED_MAX = 4


def _rules_named(codes):
    """Rule codes for a message: "rule 'a'", "rules 'a' and 'b'", "rules
    'a', 'b', 'c', 'd' and 3 more"."""
    shown = [_excerpt(c) for c in codes[:_RULES_NAMED_MAX]]
    more = len(codes) - len(shown)
    if more:
        return "rules %s and %d more" % (", ".join(shown), more)
    if len(shown) == 1:
        return "rule " + shown[0]
    return "rules %s and %s" % (", ".join(shown[:-1]), shown[-1])


def _no_rule(rules, name, codes):
    """The message of CIVIC_E_NOTFOUND for the rule code name (a str that is
    none of codes, the scheme's rule codes) under the rules pointer rules:
    "no rule 'x' in the scheme", then the rule code name most likely meant
    (" (did you mean 'volunteer_hour'?)": the same letters in another case,
    else the nearest as the scheme's warnings measure a near name,
    _hints._near_name; the first in file order of the nearest), then what
    the name is when it is no rule but a flag, a measure, a tier, a
    category or a dimension of the scheme (the first that it is, in that
    order), and the rules it belongs to: "'dishonest' is a flag, not a
    rule: it is set by rule 'court_defaulter'"."""
    said = "no rule %s in the scheme" % _excerpt(name)
    n = name.encode("utf-8")
    folded = [c for c in codes if c.lower() == name.lower()]
    meant, best = (folded[0], 0) if folded else (None, 3)
    for c in codes if not folded else ():
        d = _hints._near_name(n, c.encode("utf-8"))
        if d and d < best:
            meant, best = c, d
    if meant is not None:
        said += " (did you mean %s?)" % _excerpt(meant)
    # what each rule (in any of its versions) sets, is in and counts in
    flags, categories, dimensions = {}, {}, {}
    for j, code in enumerate(codes):
        for v in _hints._rule_versions(rules, j):
            for kinds, value in ((flags, v.flag), (categories, v.category),
                                 (dimensions, v.dimension)):
                if value:
                    listed = kinds.setdefault(_str(value), [])
                    if code not in listed:
                        listed.append(code)
    tiers = {}
    for t in range(_lib.civic_rules_tier_count(rules)):
        x = _capi.civic_tier_info(version=_capi.CIVIC_TIER_INFO_VERSION)
        _lib.civic_rules_tier_info(rules, t, _byref(x))
        tiers.setdefault(_str(x.name), [codes[_lib.civic_rules_tier_rule(rules, t, k)]
                                        for k in range(x.rule_count)])
    measures = [_str(_lib.civic_rules_measure_code(rules, m))
                for m in range(_lib.civic_rules_measure_count(rules))]
    what = None
    if name in flags:
        what = "a flag, not a rule: it is set by " + _rules_named(flags[name])
    elif name in measures:
        what = "a measure, not a rule: Rules.measure_info describes it"
    elif name in tiers:
        what = "a tier, not a rule: it counts " + _rules_named(tiers[name]) \
            if tiers[name] else "a tier, not a rule"
    elif name in categories:
        what = "a category, not a rule: it holds " + _rules_named(categories[name])
    elif name in dimensions:
        what = "a dimension, not a rule: it holds " + _rules_named(dimensions[name])
    if what:
        said += ": %s is %s" % (_excerpt(name), what)
    return said


def _counted(n, word):
    """How many there are, for a message: "no rules", "1 rule", "3 rules"."""
    n = int(n)
    return "no %ss" % word if not n else "%d %s%s" % (n, word, "" if n == 1 else "s")


Tier = _namedtuple("Tier", "name levels")
Tier.__doc__ = "A tier of the scheme: name, and levels (tuple of names, lowest first)."
Measure = _namedtuple("Measure", "code text kind")
Measure.__doc__ = "A measure of the scheme: code, text, kind ('incentive' or 'restriction')."

SchemeInfo = _namedtuple("SchemeInfo", "min max clamp valid balance_reset balance_min "
                                       "contested objection_window")
SchemeInfo.__doc__ = "The [scheme] keys as published (Rules.scheme_info)."
Cap = _namedtuple("Cap", "name limit period mode")
Cap.__doc__ = "A shared cap: name, limit (Decimal), period, mode ('both' or 'net')."
ValidityClass = _namedtuple("ValidityClass", "up_to valid")
ValidityClass.__doc__ = "A validity class: up_to (Decimal, None for the last) and valid."
TierInfo = _namedtuple("TierInfo", "name measure window rules levels")
TierInfo.__doc__ = "A tier as published: Rules.tier_info."
MeasureInfo = _namedtuple("MeasureInfo", "code text kind grades flag tier min_level "
                                         "min_score max_score")
MeasureInfo.__doc__ = "A measure and its conditions: Rules.measure_info."

_MEASURE_KINDS = {_capi.CIVIC_MEASURE_INCENTIVE: "incentive",
                  _capi.CIVIC_MEASURE_RESTRICTION: "restriction"}


@_dataclass(frozen=True)
class RuleInfo:
    """One version of one rule, as published (Rules.rule_info).  Durations
    are written as in a rules file ("1y", "forever", "by-severity"), "" when
    the key is absent; `valid` is the scheme's when the rule has none (the
    validity its entries get)."""
    code: str
    points: _decimal.Decimal
    per: str                                 # "event" or "unit"
    dimension: str
    affects: str                             # "both", "score" or "balance"
    valid: str
    cap: _Optional[_decimal.Decimal]         # own cap, None when none
    cap_period: str                          # "" when no own cap
    cap_group: str                           # "" when none
    net_cap: bool                            # the own cap is in net mode
    repeat_factor: _Optional[_decimal.Decimal]
    category: str
    ceiling: _Optional[_decimal.Decimal]
    flag: str
    freeze: bool
    publicity: str
    repair_after: str
    retain: str
    from_: _Optional[int]                    # Unix seconds; None for the base table
    recount: bool
    changes: int                             # changes after the base table

    @property
    def version_from(self) -> _Optional[int]:
        """The same as from_ (the rules file's key is `from`)."""
        return self.from_


def _rule_info_from(i):
    def text(b):
        return b.decode("utf-8", "replace") if b else ""
    return RuleInfo(
        code=_str(i.code), points=_points(i.points), per="unit" if i.per_unit else "event",
        dimension=_str(i.dimension), affects=_AFFECTS.get(i.affects & 3, ""),
        valid=text(i.valid), cap=None if i.cap < 0 else _points(i.cap),
        cap_period=text(i.cap_period), cap_group=_str(i.cap_group), net_cap=bool(i.net_cap),
        repeat_factor=_points(i.repeat_factor) if i.repeat_factor else None,
        category=_str(i.category),
        ceiling=None if i.ceiling == _capi.CIVIC_FOREVER else _points(i.ceiling),
        flag=_str(i.flag), freeze=bool(i.freeze), publicity=text(i.publicity),
        repair_after=text(i.repair_after), retain=text(i.retain),
        from_=None if getattr(i, "from") == _capi.CIVIC_NO_TIME else int(getattr(i, "from")),
        recount=bool(i.recount), changes=int(i.changes))


def _dimensions(rules_ptr):
    return tuple(_str(_lib.civic_rules_dimension_name(rules_ptr, i))
                 for i in range(_lib.civic_rules_dimension_count(rules_ptr)))


def _rules_from_toml(text):
    """A pickled Rules (Rules.__reduce__): its to_toml() text parsed again,
    without warnings."""
    return Rules._parse(text)


def default_rules() -> "Rules":
    """The built-in "community" scheme as Rules."""
    return Rules.default()


def default_rules_text() -> str:
    """The TOML text of the built-in scheme."""
    return _lib.civic_rules_default_text().decode("utf-8")


# --------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------


def _time_text(t, utc_offset):
    """int Unix seconds -> the JSON form of a time: "YYYY-MM-DDTHH:MM:SS+HH:MM"
    in the scheme's offset, "forever" for CIVIC_FOREVER (as the C writer)."""
    if t == _capi.CIVIC_FOREVER:
        return "forever"
    if not _capi.CIVIC_TIME_MIN <= t <= _capi.CIVIC_TIME_MAX:
        return str(t)               # as the C writer: no calendar form
    # the proleptic Gregorian calendar by arithmetic, as lib/time.c: the local
    # year may be 0 or 10000, which datetime cannot hold
    days, secs = divmod(t + utc_offset, 86400)
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (month <= 2)
    sign = "-" if utc_offset < 0 else "+"
    off = abs(utc_offset) // 60
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%02d:%02d" % (
        year, month, day, secs // 3600, secs // 60 % 60, secs % 60, sign, off // 60, off % 60)


@_dataclass(frozen=True)
class Score:
    """One subject's answer at an as-of time (docs/evaluation.md).

    Version 2 (libcivic 1.1): tiers ({tier: level name or None}, scheme
    order), measures (sorted codes), archived (entries archived by
    retention).  to_dict() writes them only when the engine's spec version
    is 2 (spec_version), as civic-score does, so a version-1 scheme and log
    keep their 1.0 answers."""
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
    tiers: _Dict[str, _Optional[str]] = _field(default_factory=dict)  # tier -> level or None
    measures: _List[str] = _field(default_factory=list)   # sorted codes
    archived: int = 0               # events with ts <= as-of archived by retention
    tier_values: _Dict[str, _decimal.Decimal] = _field(default_factory=dict, repr=False)
    spec_version: int = _field(default=1, repr=False, compare=False)

    def to_dict(self) -> _Dict[str, _Any]:
        """The JSON object of this row (docs/answers.md): rank (rankings
        only), subject, group, score, grade, balance, flags (list), ceiling,
        events, dimensions; at spec version 2 also tiers and measures."""
        d = {} if self.rank is None else {"rank": self.rank}
        d.update(subject=self.subject, group=self.group, score=self.score, grade=self.grade,
                 balance=self.balance, flags=list(self.flags), ceiling=self.ceiling,
                 events=self.events, dimensions=dict(self.dimensions))
        if self.spec_version >= 2:
            d.update(tiers=dict(self.tiers), measures=list(self.measures))
        return d


@_dataclass(frozen=True)
class Entry:
    """One entry of a credit record.  ts, end, eff and from_ are int Unix
    seconds (as in 1.0); to_dict() gives them as ISO text, like the JSON
    answers.  qty is the event's units for rule events; for other kinds
    it is what 1.0 gave (0, or a redeem's amount, which is also its raw),
    kept for 1.0's programs: civic-score --explain --detail and
    to_records() leave it out for them.

    Version 2 (libcivic 1.1): eff (when it takes effect: ts + the rule's
    publicity), from_ (the `from` of the rule version that governs it, None
    for the base table and for entries that are not rule events; to_dict()
    calls it "from"), act, source, merged_with (None when absent), the marks
    frozen, contested and floored, to_balance (what reached the balance of
    the as-of time: Decimal for rule events and redeems, None otherwise) and
    corrected (int Unix seconds: from when the earliest correction dated at
    or before the as-of time lifted a rule event's ceiling and freeze; None
    when none did by then -- a correction dated later is not seen -- and for
    other kinds)."""
    id: str
    ts: int
    type: str                       # rule code or a built-in type ("revoke" ... "correct")
    kind: str                       # "rule", "revoke", "repair", "redeem", "object",
                                    # "dismiss", "correct"
    state: str                      # "active", "expired", ... "dangling", "merged" ...
    raw: _decimal.Decimal
    counted: _decimal.Decimal
    qty: _decimal.Decimal   # as 1.0 gave it for every kind; to_records: rule events only
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
    # eff and to_balance are not compared (nor hashed): an Entry built with
    # 1.0's fields, which has neither, still equals the engine's, and
    # equality stays an equivalence (they follow from the ts, the rule's
    # version, counted and floored, which are compared)
    eff: _Optional[int] = _field(default=None, compare=False)
    from_: _Optional[int] = None
    act: _Optional[str] = None
    source: _Optional[str] = None
    merged_with: _Optional[str] = None
    frozen: bool = False
    contested: bool = False
    floored: bool = False
    to_balance: _Optional[_decimal.Decimal] = _field(default=None, compare=False)
    corrected: _Optional[int] = None
    spec_version: int = _field(default=1, repr=False, compare=False)

    @property
    def version_from(self) -> _Optional[int]:
        """The same as from_ (the JSON key is "from")."""
        return self.from_

    def to_dict(self, detail: bool = False) -> _Dict[str, _Any]:
        """The JSON object of this entry (docs/answers.md): id, ts, type,
        kind, state, raw, counted, dimension, capped, escalated, end ("forever"
        for an effect without end, None for entries that are not rule
        events), ref, group; detail=True adds qty, flag, ceiling and affects
        to rule events, as the service's record does; at spec version 2,
        then eff, from, act, source, merged_with, frozen, contested, floored,
        to_balance and corrected."""
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
        if self.spec_version >= 2:
            d["eff"] = _time_text(self.ts if self.eff is None else self.eff, self.utc_offset)
            d["from"] = None if self.from_ is None else _time_text(self.from_, self.utc_offset)
            d.update(act=self.act, source=self.source, merged_with=self.merged_with,
                     frozen=self.frozen, contested=self.contested, floored=self.floored,
                     to_balance=self.to_balance)
            d["corrected"] = (None if self.corrected is None
                              else _time_text(self.corrected, self.utc_offset))
        return d


@_dataclass(frozen=True)
class Record:
    """The credit record of a subject: the summary and every entry.
    Entries archived by retention are not listed; `archived` counts them."""
    summary: Score
    entries: _List[Entry]
    # the as-of time asked (int Unix seconds); not compared, as 1.0's Record,
    # built (summary, entries), had none and must still equal the engine's
    as_of: _Optional[int] = _field(default=None, compare=False)
    utc_offset: int = _field(default=0, repr=False, compare=False)

    @property
    def subject(self) -> str:
        return self.summary.subject

    @property
    def archived(self) -> int:
        """Entries with ts <= as-of archived by retention (not listed)."""
        return self.summary.archived

    @property
    def tiers(self) -> _Dict[str, _Optional[str]]:
        """{tier: level name or None}, in scheme order."""
        return self.summary.tiers

    @property
    def measures(self) -> _List[str]:
        """The codes of the measures that apply, sorted."""
        return self.summary.measures

    @property
    def spec_version(self) -> int:
        return self.summary.spec_version

    def __iter__(self) -> _Iterator["Entry"]:
        return iter(self.entries)

    def __len__(self):
        return len(self.entries)

    def to_dict(self, detail: bool = False) -> _Dict[str, _Any]:
        """The JSON record (civic-score --explain -f json, the service's
        record): subject, as_of, score, grade, balance, flags, group, at spec
        version 2 archived, tiers and measures, then entries; detail=True adds
        the record's ceiling after flags and each entry's detail
        (civic-score --explain --detail)."""
        s = self.summary
        d = {"subject": s.subject,
             "as_of": None if self.as_of is None else _time_text(self.as_of, self.utc_offset),
             "score": s.score, "grade": s.grade, "balance": s.balance,
             "flags": list(s.flags)}
        if detail:      # as civic-score --explain --detail: the record's ceiling
            d["ceiling"] = s.ceiling
        d["group"] = s.group
        if s.spec_version >= 2:
            d.update(archived=s.archived, tiers=dict(s.tiers), measures=list(s.measures))
        d["entries"] = [e.to_dict(detail) for e in self.entries]
        return d


@_dataclass(frozen=True)
class ListRow:
    """One subject on a list (Engine.list).  since and until are int Unix
    seconds: for a flag, the stretch of flagged time that contains the
    as-of time (until None: it has no end as known then); for a measure both
    are None."""
    subject: str
    group: str
    score: _decimal.Decimal
    grade: str
    since: _Optional[int]
    until: _Optional[int]
    kind: str = _field(default="flag", repr=False)   # the list's kind
    utc_offset: int = _field(default=0, repr=False, compare=False)

    def to_dict(self) -> _Dict[str, _Any]:
        """{subject, group, score, grade, since, until}: times as ISO text,
        until "forever" for a flag's stretch without end, both None for a
        measure (civic-score --list NAME -f json)."""
        if self.kind == "flag":
            since = None if self.since is None else _time_text(self.since, self.utc_offset)
            until = "forever" if self.until is None else _time_text(self.until, self.utc_offset)
        else:
            since = until = None
        return {"subject": self.subject, "group": self.group, "score": self.score,
                "grade": self.grade, "since": since, "until": until}


@_dataclass(frozen=True)
class ListAnswer:
    """A red or black list: every subject a flag or measure applies to at
    as_of, sorted by subject id bytewise.  Iterable over its ListRow rows."""
    name: str
    kind: str                       # "flag" or "measure"
    as_of: int
    rows: _List[ListRow]
    utc_offset: int = _field(default=0, repr=False, compare=False)

    def __iter__(self) -> _Iterator["ListRow"]:
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    @property
    def subjects(self) -> _List[str]:
        """The subject ids on the list."""
        return [r.subject for r in self.rows]

    def to_dict(self) -> _Dict[str, _Any]:
        """{as_of, list, kind, subjects: [row, ...]} as civic-score --list
        NAME -f json and GET /lists/{name}."""
        return {"as_of": _time_text(self.as_of, self.utc_offset), "list": self.name,
                "kind": self.kind, "subjects": [r.to_dict() for r in self.rows]}


@_dataclass(frozen=True)
class ObjectionRow:
    """One objection still to decide (Engine.objections): the subject and
    its group, the objection's id and ts (filed, int Unix seconds), and the
    entry it contests: its id, type, state, raw and counted points as its
    record at the as-of time gives them.  The state says whether the entry
    still counts then: only an "active" one does ("contested", suspended
    under contested = "suspend", "pending", "merged", "expired" and
    "repaired" do not); counted is its points after caps, which an expired
    or repaired entry keeps."""
    subject: str
    group: str                      # "" when no event carries a group
    objection: str
    filed: int
    entry: str
    type: str
    state: str
    raw: _decimal.Decimal
    counted: _decimal.Decimal
    utc_offset: int = _field(default=0, repr=False, compare=False)

    def to_dict(self) -> _Dict[str, _Any]:
        """{subject, group, objection, filed, entry, type, state, raw,
        counted}, filed as ISO text: a row of civic-score --objections -f json
        and of GET /objections."""
        return {"subject": self.subject, "group": self.group, "objection": self.objection,
                "filed": _time_text(self.filed, self.utc_offset), "entry": self.entry,
                "type": self.type, "state": self.state, "raw": self.raw,
                "counted": self.counted}


def _record_objections(rec, subject, group, offset, out):
    """Into out, (filed, subject id bytes, objection id bytes, ObjectionRow)
    for each objection of record `rec` still to decide: an `object` entry
    in state applied whose target is contested (marked under contested =
    "mark", in state contested under "suspend"), as
    examples/common/objections.c finds them for civic-score."""
    read, e = _lib.civic_record_entry, _capi.civic_entry()
    ref, version = _byref(e), _capi.CIVIC_ENTRY_VERSION
    kind_object, applied = _capi.CIVIC_KIND_OBJECT, _capi.CIVIC_STATE_APPLIED
    n = _lib.civic_record_count(rec)
    open_at = []
    for i in range(n):          # most records hold no objection: no index then
        e.version = version
        read(rec, i, ref)
        if e.kind == kind_object and e.state == applied:
            open_at.append(i)
    if not open_at:
        return
    targets = {}
    for i in range(n):
        e.version = version
        read(rec, i, ref)
        targets[e.id] = (e.state, e.marks, e.type, e.raw, e.counted)
    contested, marked = _capi.CIVIC_STATE_CONTESTED, _capi.CIVIC_MARK_CONTESTED
    for i in open_at:
        e.version = version
        read(rec, i, ref)
        x = targets.get(e.ref)
        if x is None:           # an applied objection has its target: not reached
            continue
        state, marks, type_, raw, counted = x
        if state == contested or marks & marked:
            oid, target = e.id, e.ref
            out.append((e.ts, subject, oid, ObjectionRow(
                _str(subject), group, _str(oid), int(e.ts), _str(target), _str(type_),
                _code_name(_STATE_NAMES, _lib.civic_state_name, state),
                _points(raw), _points(counted), offset)))


@_dataclass(frozen=True)
class PurgeReport:
    """What Engine.purge did."""
    events: int             # events removed
    acts: int               # acts removed as a whole
    horizon: _Optional[int]  # the engine's purge horizon afterwards (Unix seconds)
    held: int = 0           # events held afterwards
    utc_offset: int = _field(default=0, repr=False, compare=False)

    def to_dict(self) -> _Dict[str, _Any]:
        """{horizon, events, acts, held}, as POST /purge answers them."""
        return {"horizon": None if self.horizon is None
                else _time_text(self.horizon, self.utc_offset),
                "events": self.events, "acts": self.acts, "held": self.held}


@_dataclass(frozen=True)
class GroupStats:
    """Statistics of one group at one depth (docs/evaluation.md).  `path`
    is the group's path ("" at depth 0); `group` is the same value under its
    JSON name (to_dict(), to_records()).  The field stays `path`, as in 1.0,
    so that dataclasses.asdict(), replace(g, path=...), GroupStats(path=...)
    and the repr of a 1.0 program keep working."""
    path: str
    depth: int
    subjects: int
    mean: _decimal.Decimal
    median: _decimal.Decimal
    min: _decimal.Decimal
    max: _decimal.Decimal
    balance: _decimal.Decimal
    grades: _Dict[str, int]         # grade name -> subjects, in grade order

    @property
    def group(self) -> str:
        """The group path, under its JSON name (the same as `path`)."""
        return self.path

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
    for zone in (tz, _dt.timezone.utc):
        # at the edges of the calendar the local date may be year 0 or 10000,
        # which datetime cannot hold: the same instant in UTC then
        try:
            return _dt.datetime.fromtimestamp(t, zone)
        except (OverflowError, OSError, ValueError):
            pass
    return None


_TAKES = ("to_records takes a list of Score, GroupStats, Entry, ListRow, ObjectionRow or "
          "CompareRow, a Record, a ListAnswer or a Comparison; ")


def to_records(answers: _Iterable[_Any], numbers: str = "float") -> _List[_Dict[str, _Any]]:
    """Answers as flat dicts of plain Python values, one per row, for
    pandas.DataFrame(civic.to_records(...)) or csv.DictWriter.

    answers: a list of Score (subjects(), rank()), of GroupStats (groups()),
    of Entry, of ListRow, of ObjectionRow (objections()), of CompareRow, a
    Record (its entries), a
    ListAnswer or a Comparison (its rows: the columns of civic-score
    --compare NEW -f csv; the transitions and counts are not rows).
    Keys are the JSON names (docs/answers.md); nested values are flattened:
    dimensions.NAME, grades.NAME, tiers.NAME; flags and measures become one
    ';'-joined str, as in CSV.  The version-2 keys (tiers, measures; eff,
    from, act, source, merged_with, frozen, contested, floored, to_balance,
    corrected) appear when the answer's spec version is 2, as in to_dict().
    numbers: "float" (default; pandas gives float64 columns; a missing ceiling is
    None, which pandas makes NaN in a column that has a ceiling somewhere and
    leaves None in an object column when no row has one)
    or "decimal" (exact decimal.Decimal; pandas gives object columns).
    An Entry's qty, flag, ceiling and affects are None, "", None and "" for
    entries that are not rule events, as the empty fields of civic-score
    --explain --detail -f csv.
    Entry and list times are aware datetime.datetime in the scheme's offset
    (pandas: datetime64 with that offset), None when the effect has no end
    (corrected: None when no correction); a time whose local date would fall in year 0 or 10000 is given in UTC, and
    one after 9999-12-31T23:59:59Z (no calendar holds it) as None too: the
    None of an end that never comes.  The answer's attributes tell them
    apart (Entry.end, Entry.eff, ListRow.until: int Unix seconds for every
    time, None only for no end); the rows are the answers in order.
    """
    if numbers not in ("float", "decimal"):
        raise ValueError("numbers must be 'float' or 'decimal', not %s" % _excerpt(numbers))
    if isinstance(answers, Record):
        answers = answers.entries
    elif isinstance(answers, (ListAnswer, Comparison)):
        answers = answers.rows
    elif isinstance(answers, (Score, GroupStats, Entry, ListRow, ObjectionRow, CompareRow)):
        raise TypeError(_TAKES + "a single %s goes in a list: to_records([x]), not "
                        "to_records(x)" % type(answers).__name__)
    else:
        try:
            answers = iter(answers)
        except TypeError:   # a LoadReport, a number: "'X' object is not iterable" helps no one
            raise TypeError(_TAKES + "it was given a %s" % type(answers).__name__) from None
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
            if a.spec_version >= 2:
                for name, level in a.tiers.items():
                    d["tiers." + name] = level
                d["measures"] = ";".join(a.measures)
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
                 "ref": a.ref, "group": a.group,
                 "qty": _flat_number(a.qty, numbers) if a.kind == "rule" else None,
                 "flag": a.flag, "ceiling": _flat_number(a.ceiling, numbers),
                 "affects": a.affects}
            if a.spec_version >= 2:
                d.update({"eff": _flat_time(a.eff, a.utc_offset),
                          "from": _flat_time(a.from_, a.utc_offset), "act": a.act,
                          "source": a.source, "merged_with": a.merged_with,
                          "frozen": a.frozen, "contested": a.contested, "floored": a.floored,
                          "to_balance": _flat_number(a.to_balance, numbers),
                          "corrected": _flat_time(a.corrected, a.utc_offset)})
        elif isinstance(a, ListRow):
            d = {"subject": a.subject, "group": a.group,
                 "score": _flat_number(a.score, numbers), "grade": a.grade,
                 "since": _flat_time(a.since, a.utc_offset),
                 "until": _flat_time(a.until, a.utc_offset)}
        elif isinstance(a, ObjectionRow):
            # the columns of civic-score --objections -f csv
            d = {"subject": a.subject, "group": a.group, "objection": a.objection,
                 "filed": _flat_time(a.filed, a.utc_offset), "entry": a.entry, "type": a.type,
                 "state": a.state, "raw": _flat_number(a.raw, numbers),
                 "counted": _flat_number(a.counted, numbers)}
        elif isinstance(a, CompareRow):
            # the columns of civic-score --compare NEW -f csv
            d = {"subject": a.subject, "group": a.group,
                 "score": _flat_number(a.score, numbers), "grade": a.grade,
                 "new_score": _flat_number(a.new_score, numbers), "new_grade": a.new_grade,
                 "delta": _flat_number(a.delta, numbers)}
        elif isinstance(a, (Record, ListAnswer, Comparison)):
            raise TypeError("to_records takes a %s by itself, not in a list: "
                            "to_records(x), not to_records([x])" % type(a).__name__)
        else:
            raise TypeError(_TAKES + "the list holds a %s" % type(a).__name__)
        rows.append(d)
    return rows


class Rejection(_namedtuple("Rejection", "line column code message")):
    """A line skipped by a lenient load: (line, column, code, message), and
    .offset, the 0-based byte offset of its record's first byte in the input
    (None when not known).  The offset stays outside the tuple, so code that
    unpacks four fields keeps working; like the C error, it is not part of
    equality.  Of civic.compare(lenient=True), .scheme says which scheme
    refused the line, "rules_now" or "rules_new" (None for a load).  No
    attribute can be set, these two as the four fields: _replace() makes a
    changed copy."""

    offset = None   # what _make gives: it does not pass one
    scheme = None   # civic.compare(lenient=True): "rules_now" or "rules_new"

    def __new__(cls, line, column, code, message, offset=None, scheme=None):
        self = super().__new__(cls, line, column, code, message)
        # set here only, in the instance's __dict__ (a tuple subclass can
        # have no __slots__ of its own); a pickle or a copy restores them
        # there too, so pickles are as they were
        if offset is not None:
            self.__dict__["offset"] = offset
        if scheme is not None:
            self.__dict__["scheme"] = scheme
        return self

    def __setattr__(self, name, value):
        # frozen, as the README says every answer is (the four fields
        # already were): x.offset = 999 changed what to_dict() reported
        raise AttributeError("cannot set %r: a Rejection is frozen (_replace() makes a "
                             "changed copy)" % name)

    def __delattr__(self, name):
        raise AttributeError("cannot delete %r: a Rejection is frozen" % name)

    def _replace(self, **fields):
        offset = fields.pop("offset", self.offset)
        scheme = fields.pop("scheme", self.scheme)
        return type(self)(*super()._replace(**fields), offset=offset, scheme=scheme)

    def __repr__(self):
        shown = "%s, offset=%r" % (super().__repr__()[:-1], self.offset)
        if self.scheme is not None:
            shown += ", scheme=%r" % (self.scheme,)
        return shown + ")"


@_dataclass(frozen=True)
class LoadReport:
    """What a load did: the counts, the lines a lenient load skipped
    (rejections), and what it warned of with CivicWarning (warnings: the
    texts, in civic-score's words)."""
    lines: int
    accepted: int
    duplicates: int
    rejected: int
    rejections: _List[Rejection] = _field(default_factory=list)
    # what the load warned of (CivicWarning), civic-score's words
    warnings: _List[str] = _field(default_factory=list)

    def to_dict(self) -> _Dict[str, _Any]:
        """{accepted, duplicates, rejected, lines}, the counts the service
        answers POST /events with (its answer adds events, the number held
        after the batch, and has no rejections), and rejections: [{line,
        column, offset, reason}, ...] (the lines a lenient load skipped;
        offset None when not known), and warnings: [text, ...] (what the
        load warned of)."""
        return {"accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": self.rejected, "lines": self.lines,
                "rejections": [{"line": r.line, "column": r.column, "offset": r.offset,
                                "reason": r.message} for r in self.rejections],
                "warnings": list(self.warnings)}


@_dataclass(frozen=True)
class JournalReport:
    """What Engine.journal_open found in the journal."""
    created: bool           # the file did not exist (or was empty)
    batches: int            # committed batches replayed
    events: int             # events in them (duplicates included)
    accepted: int           # events new to the engine
    bytes_kept: int         # journal size after recovery
    bytes_truncated: int    # torn or corrupt tail cut off (0 normally)
    copy_kept: bool = False  # a copy of the whole file was kept before the cut,
                             # "<path>.damaged.<unix time>"
    cut_whole: bool = False  # the cut began with a record whole in the file that
                             # failed its checks (damage, or a power cut)


class _Decoded:
    """Per-answer caches for what repeats from row to row of a long answer
    (group paths, grades, flag sets, types, amounts): each distinct value is
    decoded once.  A rank of a city or a record of years holds hundreds of
    thousands of rows, and building them is most of the time the binding
    takes.  Only immutable values (str, Decimal, tuple) are shared."""
    __slots__ = ("texts", "amounts", "tuples")

    def __init__(self):
        self.texts: _Dict[bytes, str] = {}
        self.amounts: _Dict[int, _decimal.Decimal] = {}
        self.tuples: _Dict[bytes, _Tuple[str, ...]] = {}

    def text(self, b):
        s = self.texts.get(b)
        if s is None:
            s = self.texts[b] = _str(b)
        return s

    def points(self, hundredths):
        d = self.amounts.get(hundredths)
        if d is None:
            d = self.amounts[hundredths] = _points(hundredths)
        return d

    def flags(self, b):
        """The ";"-joined flags -> a sorted tuple."""
        t = self.tuples.get(b)
        if t is None:
            text = _str(b)
            t = self.tuples[b] = tuple(text.split(";")) if text else ()
        return t


def _frozen(cls, fields):
    """An instance of the frozen dataclass `cls` with `fields` (every field)
    set in one step: its __init__ sets them one by one through
    object.__setattr__, several times slower for the long answers (tests
    compare the result with cls(**fields))."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _read_tiers(count, fill, tv=None, decoded=None):
    """({tier: level name or None}, {tier: value Decimal}) for tiers
    0..count-1; fill(t, civic_tier_value) fills one (into `tv` when given,
    a struct the caller reuses from row to row)."""
    levels, values = {}, {}
    if tv is None:
        tv = _capi.civic_tier_value()
    text = _str if decoded is None else decoded.text
    for t in range(count):
        tv.version = _capi.CIVIC_TIER_VALUE_VERSION
        fill(t, tv)
        name = text(tv.tier)
        levels[name] = text(tv.level_name) if tv.level_name else None
        values[name] = _decimal.Decimal(tv.value).scaleb(-int(tv.places), _EXACT)
    return levels, values


def _score_from(s, dims=None, tiers=None, spec_version=1, decoded=None):
    d = _Decoded() if decoded is None else decoded
    measures = d.text(s.measures)
    levels, values = tiers if tiers is not None else ({}, {})
    return _frozen(Score, dict(
        subject=_str(s.subject),
        group=d.text(s.group),
        score=d.points(s.score),
        grade=d.text(s.grade),
        balance=d.points(s.balance),
        flags=d.flags(s.flags),
        ceiling=None if s.ceiling == _capi.CIVIC_FOREVER else d.points(s.ceiling),
        events=s.events,
        dimensions=dims if dims is not None else {},
        rank=s.rank or None,
        tiers=levels,
        measures=measures.split(";") if measures else [],
        archived=s.archived,
        tier_values=values,
        spec_version=spec_version,
    ))


def _convert_result(result, spec_version=1):
    """A civic_result -> list of Score.  Does not free it."""
    return list(_result_rows(result, spec_version))


def _result_rows(result, spec_version=1):
    """The Scores of a civic_result, made one at a time as they are asked
    for.  Does not free it."""
    n = _lib.civic_result_count(result)
    ndim = _lib.civic_result_dimension_count(result)
    names = [_str(_lib.civic_result_dimension_name(result, d)) for d in range(ndim)]
    row = _capi.civic_score()
    row_ref = _byref(row)
    value = _c_int64()
    value_ref = _byref(value)
    get, dimension = _lib.civic_result_get, _lib.civic_result_dimension
    version = _capi.CIVIC_SCORE_VERSION
    tv = _capi.civic_tier_value()
    tv_ref = _byref(tv)
    tier = _lib.civic_result_tier
    decoded = _Decoded()
    points = decoded.points
    for i in range(n):
        row.version = version
        get(result, i, row_ref)
        dims = {}
        for d in range(ndim):
            dimension(result, i, d, value_ref)
            dims[names[d]] = points(value.value)
        tiers = _read_tiers(row.tier_count,
                            lambda t, tv, i=i: tier(result, i, t, tv_ref), tv, decoded) \
            if row.tier_count else None
        yield _score_from(row, dims, tiers, spec_version, decoded)


def _owned_rows(result, spec_version):
    """_result_rows of a civic_result this generator owns: freed when the
    rows are exhausted, or when the generator is closed or collected.  The
    first next() only enters the try (yields None), so that the result is
    freed even if no row is ever asked for; the caller makes that call."""
    try:
        yield None
        yield from _result_rows(result, spec_version)
    finally:
        _lib.civic_result_free(result)


_KIND_NAMES: _Dict[int, str] = {}    # the library's names of kinds and states,
_STATE_NAMES: _Dict[int, str] = {}   # asked once per code


def _code_name(names, name_of, code):
    name = names.get(code)
    if name is None:
        b = name_of(code)
        name = names[code] = _str(b) if b else str(code)
    return name


def _record_entries(out, count, utc_offset, spec_version):
    """The `count` entries of record `out` as Entry objects.

    A record can hold hundreds of thousands of entries, so this loop is
    written for speed: the texts and amounts that repeat from entry to entry
    (types, dimensions, flags, groups, points) are decoded once per call, and
    each Entry gets its fields in one step (_frozen)."""
    decoded = _Decoded()
    text, points = decoded.text, decoded.points
    kind_name, state_name = _lib.civic_kind_name, _lib.civic_state_name
    forever, no_time = _capi.CIVIC_FOREVER, _capi.CIVIC_NO_TIME
    kind_rule, kind_redeem = _capi.CIVIC_KIND_RULE, _capi.CIVIC_KIND_REDEEM
    capped, escalated = _capi.CIVIC_MARK_CAPPED, _capi.CIVIC_MARK_ESCALATED
    frozen, contested = _capi.CIVIC_MARK_FROZEN, _capi.CIVIC_MARK_CONTESTED
    floored = _capi.CIVIC_MARK_FLOORED
    e = _capi.civic_entry()
    ref = _byref(e)
    read = _lib.civic_record_entry
    version = _capi.CIVIC_ENTRY_VERSION
    entries = []
    for i in range(count):
        e.version = version
        read(out, i, ref)
        kind, marks = e.kind, e.marks
        rule = kind == kind_rule
        end, ceiling = e.end, e.ceiling
        version_from, corrected = getattr(e, "from"), e.corrected
        act, source, merged_with = e.act, e.source, e.merged_with
        entries.append(_frozen(Entry, dict(
            id=_str(e.id),
            ts=e.ts,
            type=text(e.type),
            kind=_code_name(_KIND_NAMES, kind_name, kind),
            state=_code_name(_STATE_NAMES, state_name, e.state),
            raw=points(e.raw),
            counted=points(e.counted),
            qty=_qty(e.qty),
            dimension=text(e.dimension),
            flag=text(e.flag),
            group=text(e.group),
            ref=_str(e.ref),
            end=None if end == forever else end,
            ceiling=None if ceiling == forever else points(ceiling),
            capped=bool(marks & capped),
            escalated=bool(marks & escalated),
            affects=_AFFECTS.get(e.affects & 3, ""),
            utc_offset=utc_offset,
            eff=e.eff,
            from_=version_from if rule and version_from != no_time else None,
            act=text(act) if act else None,
            source=text(source) if source else None,
            merged_with=_str(merged_with) if merged_with else None,
            frozen=bool(marks & frozen),
            contested=bool(marks & contested),
            floored=bool(marks & floored),
            to_balance=points(e.to_balance) if rule or kind == kind_redeem else None,
            corrected=corrected if rule and corrected != forever else None,
            spec_version=spec_version)))
    return entries


# --------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------


_NO_LIST = "no flag or measure named %s in the scheme"


def _no_list(rules, name, n):
    """The message of CIVIC_E_NOTFOUND for the list name (n: its bytes) under
    the rules pointer rules: _NO_LIST, and as civic-score --list says it
    (examples/common/hints.c, hints_not_a_list), that a tier is listed
    through a measure on it, and which measures are, or the list the name
    most likely meant (civic_rules_list_meant)."""
    said = _NO_LIST % _excerpt(name)
    tiers = [_lib.civic_rules_tier_name(rules, t)
             for t in range(_lib.civic_rules_tier_count(rules))]
    meant = _lib.civic_rules_list_meant(rules, n)
    if n not in tiers and not meant:
        # a tier's name in other letters: that tier, as the scheme writes it
        folded = [t for t in tiers if t.lower() == n.lower()]
        if folded:
            n = folded[0]
            name = _str(n)
    if n in tiers:
        on = []
        for m in range(_lib.civic_rules_measure_count(rules)):
            x = _capi.civic_measure_info(version=_capi.CIVIC_MEASURE_INFO_VERSION)
            if _lib.civic_rules_measure_info(rules, m, _byref(x)) == CIVIC_OK and x.tier == n:
                on.append(_str(x.code))
        if on:
            return "%s: %s is a tier, listed through a measure on it (measures on it: %s)" \
                % (said, _excerpt(name), "; ".join(on))
        return "%s: %s is a tier, listed through a measure on it (a [measure.CODE] with " \
            "tier = \"%s\" and a min_level; the scheme has none)" % (said, _excerpt(name), name)
    codes = [_lib.civic_rules_rule_code(rules, r)
             for r in range(_lib.civic_rules_rule_count(rules))]
    if n in codes:
        # a rule's code: the list is of the flag it sets, if it sets one
        flags = []
        for v in _hints._rule_versions(rules, codes.index(n)):
            if v.flag and v.flag not in flags:
                flags.append(v.flag)
        if flags:
            return "%s: %s is a rule, not a flag nor a measure: the subjects it flags are " \
                "on the list%s %s" % (
                said, _excerpt(name), "s" if len(flags) > 1 else "",
                "; ".join(_excerpt(_str(f)) for f in flags))
        return "%s: %s is a rule, not a flag nor a measure, and sets no flag" % (
            said, _excerpt(name))
    return said + (" (did you mean %s?)" % _excerpt(_str(meant)) if meant else "")


def _purged(p, t):
    """The CIVIC_E_PURGED of a question of engine p at t, saying what
    civic-server's 410 says: the time asked and the horizon, in the scheme's
    offset (as to_dict() writes times), and what can be asked instead.  The
    library's message ("history before the purge horizon is gone") names
    neither, and a program's log of it would not say which call to fix."""
    offset = int(_lib.civic_rules_utc_offset(_lib.civic_engine_rules(p)))
    horizon = _time_text(int(_lib.civic_engine_purge_horizon(p)), offset)
    return CivicError(CIVIC_E_PURGED, "as_of %s is before the purge horizon %s: that history "
                      "was purged; ask about %s or later"
                      % (_time_text(t, offset), horizon, horizon))


class Engine(_Owner):
    """Events of many subjects under one Rules, and the answers about them.

    Engine(rules=None, events_max=0, threads=0): rules default to
    civic.default_rules(); events_max caps the events held (0: the library's
    limit); threads is the number of internal worker threads for bulk loads
    and all-subject queries (0: the CPUs this process may run on, at most 8;
    1: none; more than 8 work as 8).
    """

    def __init__(self, rules: _Optional["Rules"] = None, events_max: int = 0,
                 threads: int = 0) -> None:
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
        self._journal = None           # the path given to journal_open, while attached
        self._h = _Handle(self, ptr, _lib.civic_engine_free, "Engine")

    def _naming(self, path=None):
        """_Naming for a call of this engine given `path` (or none): an I/O
        error about the journal names the path journal_open was given."""
        return _Naming(path, self._journal)

    @classmethod
    def open_snapshot(cls, path: _Union[str, bytes, _os.PathLike],
                      rules: _Optional["Rules"] = None, events_max: int = 0,
                      threads: int = 0, other_rules: bool = False) -> "Engine":
        """A new engine holding the events of the snapshot at `path` (see
        save()).  CivicError: CIVIC_E_IO, CIVIC_E_CORRUPT (damaged file,
        .offset says where), CIVIC_E_MISMATCH (saved under other rules,
        unless other_rules=True: see load_snapshot())."""
        if rules is None:
            rules = Rules.default()
        if not isinstance(rules, Rules):
            raise TypeError("rules must be civic.Rules, not %s" % type(rules).__name__)
        if not isinstance(other_rules, bool):
            raise TypeError("other_rules must be bool")
        if other_rules:
            engine = cls(rules, events_max=events_max, threads=threads)
            try:
                engine.load_snapshot(path, other_rules=True)
            except BaseException:
                engine.close()
                raise
            return engine
        opts = _engine_options(events_max, threads)
        raw = _path_bytes(path)
        out = _capi.engine_p()
        err = _capi.new_error()
        try:
            with rules._use() as rp, _Naming(path):
                _lib.civic_engine_open_snapshot(_byref(out), rp, _byref(opts), raw, err)
        except _capi.CivicError as e:
            _name_argument(e, "CIVIC_SNAPSHOT_OTHER_RULES", "other_rules=True")
            raise
        self = cls.__new__(cls)
        self._own(rules, out)
        return self

    # lifetime
    def close(self) -> None:
        """Free the engine.  Calls already running on other threads finish
        first; new calls raise ValueError."""
        self._h.close()


    @property
    def rules(self) -> "Rules":
        """The Rules this engine was created with; once that object is
        closed (the engine keeps the scheme), a new Rules of the same
        scheme, read back from the engine."""
        if self._rules.closed:
            with self._use() as p:
                self._rules = Rules._parse(_toml_of(_lib.civic_engine_rules(p)))
        return self._rules

    # writes
    def add(self, id: str, subject: str, type: str, ts: _Any, qty: _Any = None,
            group: _Optional[str] = None, ref: _Optional[str] = None,
            act: _Optional[str] = None, source: _Optional[str] = None) -> bool:
        """Add one event.  ts: datetime (aware: with its offset; naive: scheme
        local time), date, int Unix seconds or str.  qty: int, str or Decimal
        (float raises TypeError).  An int may be of any integer type
        (operator.index: numpy.int64, as a pandas cell), not bool.  act:
        rule events of one subject with the same act count once; source:
        who recorded it;
        None or "" is absent for both.  True if added, False if it was a
        duplicate.  CivicError (CIVIC_E_EVENT, CIVIC_E_CONFLICT ...) otherwise,
        and the engine is unchanged.  A field holding a NUL or a lone
        surrogate is refused as the library refuses it in a log (column: the
        field's number), with an error that is also the ValueError or the
        UnicodeEncodeError 1.0 raised."""
        fields = (_event_field(id, "id"), _event_field(subject, "subject"),
                  _event_field(type, "type"), _event_field(_ts_text(ts), "ts"),
                  _event_field(_qty_text(qty), "qty", optional=True),
                  _event_field(group, "group", optional=True),
                  _event_field(ref, "ref", optional=True),
                  _event_field(act, "act", optional=True),
                  _event_field(source, "source", optional=True))
        ev = _capi.civic_event(_capi.CIVIC_EVENT_VERSION, 0, *fields)
        err = _capi.new_error()
        try:
            with self._use() as p, self._naming():
                rc = _lib.civic_engine_add(p, _byref(ev), err)
        except CivicError as e:
            # a field with a NUL or a lone surrogate is refused by the
            # library's parse (nothing is written), which names it as it
            # names a log's field; the error of an earlier field is the
            # library's own (its column: the field's 1-based number, in
            # civic_event's order)
            field = fields[e.column - 1] if 1 <= e.column <= len(fields) else None
            if not isinstance(field, _Refused):
                raise
            message = _nul_put_back(e.message, field.stand_in) if field.stand_in else e.message
            # the UnicodeEncodeError, else the ValueError 1.0 raised for it
            u = field.surrogate
            if u:
                raise _capi.CivicEncodeError(e.code, message, u.object, u.start, u.end,
                                             e.line, e.column) from None
            raise _capi.CivicValueError(e.code, message, e.line, e.column, e.offset) from None
        return rc != CIVIC_DUPLICATE

    def load(self, source: _Union[str, bytes, bytearray, memoryview, _os.PathLike,
                                  _IO[str], _IO[bytes]],
             format: _Optional[str] = None, lenient: bool = False, *,
             max_rejections: _Optional[int] = None) -> "LoadReport":
        """Load a batch of CSV or JSON Lines events.

        source: the events themselves as str text, bytes, a bytearray or a
        memoryview (read where it is, without a copy: a read-only view too,
        such as civic.split's parts); an mmap (read whole, where it is, not
        from its position); a file object opened for reading (text
        or binary: read from its current position to its end; text as
        Python decodes it, with its newline translation: open in binary
        mode for the bytes as they are);
        or a path as
        pathlib.Path (any os.PathLike), read by the library.  A str is text;
        one that cannot be events (one line, no comma, no brace) and ends
        in .csv, .jsonl or .ndjson is, as in libcivic 1.0, the path of a
        regular file (or a missing one: FileNotFoundError), with a
        FutureWarning: use load_file() for a path in a str.  When any
        other one-line str that looks like a path fails to load (it names
        a regular file, a directory or a FIFO, or names nothing but has a
        '/' or an extension, and has no comma or brace), the error's
        message begins by saying it was read as events text, not as a file
        name, and what reads a file, then gives the library's words about
        the text; of bytes or a bytearray that hold such a path, so too
        ("the bytes object was read as events text, not as the path of the
        file it names: ...").
        format: None or "auto" (by extension, else by content), "csv", or
        "jsonl" (also "ndjson"), in any case.
        Strict (default): a bad line raises CivicError naming it and nothing
        of the batch is applied.  lenient=True: bad lines are skipped and
        listed in the report's rejections as (line, column, code, message).
        max_rejections (keyword only), for a lenient load: None keeps every
        rejection; N keeps the first N (by line) in report.rejections, while
        report.rejected still counts them all; 0 keeps none (each kept one
        holds some 550 bytes: a log of millions of bad lines would hold them
        all).  A strict load checks max_rejections as a lenient one does
        and has no use for it: it stops at its first bad line, and its
        error's report always holds that line, whatever N is (so a program
        may pass one max_rejections whatever its lenient).  lenient is read
        as a truth value (None and 0 are strict), but a str ("no" would be
        true) or another type raises TypeError.
        A file that cannot be read raises CivicOSError (also an OSError:
        FileNotFoundError, PermissionError ...).
        A file object is read whole, as one batch, before the library sees
        it (all of it held in memory: a pipe without end never returns);
        load_file(path), "/dev/stdin" for standard input, is read by the
        library as it goes, with much less memory (the events, and for a
        lenient load the rejections kept), and to its end: Ctrl-C
        on a pipe that stays open is raised only once the writer closes it,
        the batch applied (for a stream without end, load blocks of whole
        lines as bytes, each a batch: the README shows how).
        What in the batch most likely means something else than it says is
        warned of with CivicWarning, as civic-score warns of it, and listed
        in the report's warnings: a CSV column most likely meant for qty,
        group or ref (looked at in the header: of a path, only of a regular
        file, in its first 4096 bytes, as civic-score reads it); under rules
        of version 1 a JSON Lines key spelling a field's name in other
        letters; a batch that brings an earliest ts before 1973-03-03, or a
        latest one from 5138-11-16 on (202612081200: YYYYMMDDHHMM read as
        Unix seconds)."""
        return self._load_any(source, format, lenient, max_rejections, True)

    def _load_any(self, source, format, lenient, max_rejections, warn):
        """load(); warn=False leaves the warnings to the caller (in the
        report's warnings only)."""
        if isinstance(source, _os.PathLike):
            with self._naming(source):
                return self._load(_path_bytes(source), None, format, lenient, max_rejections,
                                  warn)
        if isinstance(source, str):
            if _names_a_file(source):
                _warn("Engine.load(%r) reads a file as libcivic 1.0 did; libcivic 2 reads "
                      "every str as events: use load_file() for a path" % source,
                      FutureWarning)
                with self._naming(source):
                    return self._load(_path_bytes(source), None, format, lenient,
                                      max_rejections, warn)
        if isinstance(source, (str, bytes, bytearray)):
            # text: when one line that holds a path fails, the error says
            # first that it was read as text
            data = _log_bytes(source) if isinstance(source, str) else source
            try:
                report = self._load(None, data, format, lenient, max_rejections, warn)
            except CivicError as e:
                _say_read_as_text(e, source)
                raise
            if report.rejected == 1 and report.lines == 1 and report.rejections:
                # lenient: the one line skipped says so, as a strict load's error
                r = report.rejections[0]
                e = CivicError(r.code, r.message, r.line, r.column)
                _say_read_as_text(e, source)
                if e.message != r.message:
                    report.rejections[0] = Rejection(r.line, r.column, r.code, e.message,
                                                     r.offset)
            return report
        if isinstance(source, (memoryview, _mmap.mmap)):
            # an mmap is a buffer read whole, where it is (as civic.split
            # reads it), not a file object read from its position
            return self._load(None, source, format, lenient, max_rejections, warn)
        read = getattr(source, "read", None)
        if callable(read):
            try:
                data = read()
            except UnicodeDecodeError as e:
                raise _capi.CivicDecodeError(
                    CIVIC_E_SYNTAX, "the file object is not %s text (%r at byte %d of what "
                    "Python was decoding): a text-mode file is decoded by Python before the "
                    "library reads it, so no line can be named and lenient=True cannot skip "
                    "it; open the file in binary mode ('rb') to have each bad line named (and "
                    "skipped with lenient=True)" % (e.encoding, e.object[e.start:e.end],
                                                   e.start), e.encoding, e.object, e.start,
                    e.end) from None
            if isinstance(data, str):
                data = _log_bytes(data)
            if not isinstance(data, (bytes, bytearray)):
                raise TypeError("the file object's read() gave %s, not str or bytes"
                                % type(data).__name__)
            return self._load(None, data, format, lenient, max_rejections, warn)
        if isinstance(source, _Mapping):
            # one event's dict, as compare() takes a list of them
            raise TypeError("source is one event dict: add it with add(**event) (load() "
                            "takes a log: str text, bytes, a file object or an os.PathLike "
                            "path)")
        raise TypeError("source must be str text, bytes, a file object or an os.PathLike "
                        "path, not %s" % type(source).__name__)

    def load_file(self, path: _Union[str, bytes, _os.PathLike],
                  format: _Optional[str] = None, lenient: bool = False, *,
                  max_rejections: _Optional[int] = None) -> "LoadReport":
        """Load the CSV or JSON Lines file at `path` (str, bytes or
        os.PathLike), read by the library: format by extension (.csv,
        .jsonl, .ndjson), else by content.  Otherwise as load().
        A path holding a line break that cannot be opened is surely log
        text: the error (still the CivicOSError, FileNotFoundError ..., of
        the path, .filename the path as given) says so first, "load_file()
        takes a path; this looks like log text: call load() with it; as a
        path: ", then the library's words with each line break escaped;
        a rules file's text is named as rules text, "call
        Rules.from_text() with it".  A path that names nothing and ends in
        blanks, without which it names a file, is told so first:
        "load_file() was given a path that ends in a blank, and without it
        names a file: strip it; as a path: "."""
        raw = _path_bytes(path)
        try:
            with self._naming(path):
                return self._load(raw, None, format, lenient, max_rejections)
        except _capi.CivicOSError as e:
            _say_not_a_path(e, raw, "load_file")
            raise

    def _load(self, path, data, format, lenient, max_rejections=None, warn=True):
        fmt = _format_code(format)
        # lenient="no" would be true: a string (or anything but a bool or an
        # int) is a TypeError, as for every other argument
        if lenient is None:
            lenient = False
        elif not isinstance(lenient, int):
            raise TypeError("lenient must be a bool (or an int or None), not %s"
                            % type(lenient).__name__)
        lenient = bool(lenient)
        if max_rejections is not None:
            n = _index(max_rejections)
            if n is None:
                raise TypeError("max_rejections must be None or int, not %s"
                                % type(max_rejections).__name__)
            if n < 0:
                raise ValueError("max_rejections must be None or >= 0, not %d" % n)
            max_rejections = n
        head = _log_head(path, data)
        rejections = []
        opts = _capi.civic_load_options(version=_capi.CIVIC_LOAD_OPTIONS_VERSION,
                                        format=fmt,
                                        flags=_capi.CIVIC_LOAD_LENIENT if lenient else 0)
        callback = on_reject = None
        raised = []   # what the callback raised (Ctrl-C): the load stops, then it is raised
        if lenient:
            def on_reject(payload, errp):
                if raised:
                    return 1
                if max_rejections is not None and len(rejections) >= max_rejections:
                    return 0   # counted in the report's rejected, not kept
                e = errp.contents
                rejections.append(Rejection(int(e.line), int(e.column), int(e.code),
                                            _str(e.message), int(e.offset)))
                return 0
            raised = _callback_box(on_reject)
            callback = _capi.civic_reject_fn(on_reject)   # alive until return
            opts.on_reject = callback
        report = _capi.civic_load_report(version=_capi.CIVIC_LOAD_REPORT_VERSION)
        err = _capi.new_error()
        said = []
        try:
            with self._use() as p, self._naming():   # a journal's error (a path's: the caller's)
                before = self._time_range(p)
                if path is not None:
                    _lib.civic_engine_load_file(p, path, _byref(opts), _byref(report), err)
                else:
                    with _Borrowed(data, "source") as src:
                        _lib.civic_engine_load(p, src.arg, src.size, _byref(opts),
                                               _byref(report), err)
                said = _load_hints(p, head, path, fmt, before)
        except CivicError as e:
            if raised:   # the callback raised: nothing of the batch was applied
                raise raised[0] from None
            if not lenient and not rejections and report.rejected:
                # strict: the line that failed the batch is its one rejection
                rejections.append(Rejection(e.line, e.column, e.code, e.message, e.offset))
            e.report = _report_from(report, rejections)
            raise
        finally:
            if on_reject is not None:
                _callback_unbox(on_reject)
        if raised:   # raised in the callback for the last line: the load had ended
            raise raised[0]
        if warn:
            for text in said:
                _warn(text, CivicWarning)
        return _report_from(report, rejections, said)

    def reserve(self, events: int) -> None:
        """Make room now for `events` more events, so that the adds and
        loads that bring them do not grow the engine in steps: for a
        program that knows about how much it will feed (capped at the
        engine's events_max; the arrays the engine would grow to, reserved
        at once, resident as they fill).  A hint: no answer changes, and
        the engine still grows past it.  Memory that cannot be had raises
        CivicError CIVIC_E_NOMEM (no answer changes; some room
        may stay reserved)."""
        events = _index(events)
        if events is None:
            raise TypeError("events must be int")
        if events < 0:
            raise ValueError("events must be >= 0")
        asked = min(events, 2 ** 64 - 1)   # the C argument is 64 bits; capped there anyway
        with self._use() as p:
            try:
                _lib.civic_engine_reserve(p, asked, _capi.new_error())
            except CivicError as e:
                if asked != events:   # name the number given, not the one C was passed
                    e.message = e.message.replace("(%d asked" % asked, "(%d asked" % events)
                    e.args = (e.code, e.message, e.line, e.column, e.offset)
                raise

    # counts
    @property
    def event_count(self) -> int:
        """Events held (duplicates not counted)."""
        with self._use() as p:
            return int(_lib.civic_engine_event_count(p))

    @property
    def subject_count(self) -> int:
        """Distinct subjects held: every subject that holds an event, one
        whose every event is archived too (until a purge removes them), so
        it can be more than len(subjects()), which, like `in`, leaves such
        a subject out."""
        with self._use() as p:
            return int(_lib.civic_engine_subject_count(p))

    @property
    def time_range(self) -> _Optional[_Tuple[int, int]]:
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
            # the latest ts held (0 when empty), or the purge horizon when that
            # is later: nothing before it can be answered (as civic-server)
            span = self._time_range(p)
            t = span[1] if span else 0
            h = int(_lib.civic_engine_purge_horizon(p))
            return h if h != _capi.CIVIC_NO_TIME and h > t else t
        return _parse_time(_lib.civic_engine_rules(p), as_of, "as_of")

    # Purges that may overtake one question left to the default, one after
    # another, before it gives up (as civic-server's overtaken()).
    _OVERTAKEN_TRIES = 8

    def _ask(self, p, as_of, ask):
        """ask(t) at the time as_of names, and that t.  The default (as_of
        None) is read in C calls of its own before the question: a purge on
        another thread in between moves the horizon past the t read, and the
        question fails with CIVIC_E_PURGED about a time the caller never
        named.  Then the default is read again and the question asked again
        (a few times, as civic-server does); a time the caller named is
        not moved: its CIVIC_E_PURGED names it and the horizon."""
        t = self._as_of(p, as_of)
        tries = 0
        while True:
            try:
                ask(t)
                return t
            except CivicError as e:
                if e.code != CIVIC_E_PURGED:
                    raise
                if as_of is not None or tries >= self._OVERTAKEN_TRIES:
                    raise _purged(p, t) from None
            tries += 1
            t = self._as_of(p, None)

    def parse_time(self, value: _Any) -> int:
        """Any ts form -> int Unix seconds under the engine's rules, as
        Rules.parse_time."""
        with self._use() as p:
            return _parse_time(_lib.civic_engine_rules(p), value)

    # queries
    def score(self, subject: str, as_of: _Any = None) -> "Score":
        """The Score of one subject.  as_of: any ts form; None = the latest
        ts held (0 when empty), or the purge horizon when that is later.  A
        subject without events gets base, balance 0 and events == 0."""
        s = _subject(subject)
        with self._use() as p:
            out = _capi.result_p()
            self._ask(p, as_of, lambda t: _lib.civic_engine_subject(p, s, t, _byref(out)))
            version = int(_lib.civic_engine_spec_version(p))
        try:
            rows = _convert_result(out, version)
        finally:
            _lib.civic_result_free(out)
        if len(rows) != 1:
            raise RuntimeError("civic_engine_subject gave %d rows, not 1" % len(rows))
        return rows[0]

    def subjects(self, as_of: _Any = None) -> _List["Score"]:
        """Scores of every subject with an event at or before as_of, sorted
        by subject id bytewise.  A subject whose every event is archived by
        as_of (retention) is not listed, as civic-score does not list it;
        score() still answers for it (events 0, archived N)."""
        with self._use() as p:
            out = _capi.result_p()
            self._ask(p, as_of, lambda t: _lib.civic_engine_subjects(p, t, _byref(out)))
            version = int(_lib.civic_engine_spec_version(p))
        try:
            return _convert_result(out, version)
        finally:
            _lib.civic_result_free(out)

    def subject_rows(self, as_of: _Any = None) -> _List[_Tuple[str, str, int, str, int, str]]:
        """The columns of civic-score -f csv for every subject with an event
        at or before as_of, sorted by subject id bytewise, as plain tuples
        (subject, group, score, grade, balance, flags): score and balance
        int hundredths, flags joined by ';'.  One C call per row and no
        Decimal: several times cheaper than subjects(), for bulk exports."""
        with self._use() as p:
            out = _capi.result_p()
            self._ask(p, as_of, lambda t: _lib.civic_engine_subjects(p, t, _byref(out)))
        try:
            n = _lib.civic_result_count(out)
            row = _capi.civic_score()
            get, ref, rows = _lib.civic_result_get, _byref(row), []
            for i in range(n):
                row.version = _capi.CIVIC_SCORE_VERSION
                get(out, i, ref)
                rows.append((row.subject.decode("utf-8"), _str(row.group), row.score,
                             row.grade.decode("utf-8"), row.balance, _str(row.flags)))
            return rows
        finally:
            _lib.civic_result_free(out)

    def __iter__(self) -> _Iterator["Score"]:
        """The rows of subjects() (default as_of), in its order, each made
        only when the iterator reaches it: the memory of one Score at a
        time, not of the whole list (about 1.1 KB a subject).  The answer is
        asked of the library once, when iter() is called; that answer (in C
        memory, about 120 bytes a subject) is a snapshot that owns its memory,
        so writes to the engine while an iterator is open, from this thread
        or another, are safe and do not change its rows (iterate again to
        see them), and an iterator outlives close() of its engine.  The C
        answer is freed when the iterator is exhausted, closed (close()) or
        collected.  One iterator is for one thread: another thread's next()
        while one runs raises ValueError ("generator already executing");
        give each thread its own iter(engine)."""
        with self._use() as p:
            out = _capi.result_p()
            self._ask(p, None, lambda t: _lib.civic_engine_subjects(p, t, _byref(out)))
            version = int(_lib.civic_engine_spec_version(p))
        rows = _owned_rows(out, version)
        next(rows)      # into its try: from here close() and collection free out
        return rows

    def __contains__(self, item: _Any) -> bool:
        """`"r1" in engine`: whether subject r1 has events (as score() counts
        them: archived ones do not count); a Score is looked for among the
        rows of iter(engine)."""
        if self._h.closed:   # as every other use of a closed engine
            raise ValueError("operation on a closed %s" % self._h._what)
        if isinstance(item, str):
            try:
                _subject(item)
            except (CivicError, ValueError):  # too long, a NUL, not UTF-8: no such subject
                return False
            return self.score(item).events > 0   # "" and control characters: 0
        return any(item == row for row in self)

    def rank(self, group: _Optional[str] = None, as_of: _Any = None,
             top: _Optional[int] = None) -> _List["Score"]:
        """Subjects of `group` (and below it; None = everyone), best score
        first, ties by subject id; at most `top` rows.  Score.rank is the
        1-based position.  A path no event can have ("d1/", "a//b", over 255
        bytes or 64 segments, a control character) raises CivicValueError
        (a CivicError and a ValueError) CIVIC_E_INVALID, as civic-server's
        /rank answers 400 bad group."""
        if isinstance(group, str) and "\0" in group:
            # a control character: refused as /rank refuses it (a NUL
            # cannot be passed on)
            _check_group(group, group.encode("utf-8", "surrogatepass"))
        g = _cstr(group, "group", optional=True)
        if g:
            _check_group(group, g)
        if top is None:
            n = 0
        else:
            n = _index(top)
            if n is None:
                raise TypeError("top must be int or None")
            if n < 1:
                raise ValueError("top must be >= 1 (None: all)")
            n = min(n, 2 ** 64 - 1)
        with self._use() as p:
            out = _capi.result_p()
            self._ask(p, as_of, lambda t: _lib.civic_engine_rank(p, g, t, n, _byref(out)))
            version = int(_lib.civic_engine_spec_version(p))
        try:
            return _convert_result(out, version)
        finally:
            _lib.civic_result_free(out)

    def record(self, subject: str, as_of: _Any = None) -> "Record":
        """The credit record of `subject`: Record(summary, entries) in
        (eff, id) order (eff = ts unless the rule has a publicity period).
        Entries archived by retention are not listed (Record.archived counts
        them).  The summary's dimensions are summed from the active
        entries."""
        s = _subject(subject)
        with self._use() as p:
            dim_names = _dimensions(_lib.civic_engine_rules(p))
            offset = int(_lib.civic_rules_utc_offset(_lib.civic_engine_rules(p)))
            out = _capi.record_p()
            t = self._ask(p, as_of, lambda t: _lib.civic_engine_record(p, s, t, _byref(out)))
            version = int(_lib.civic_engine_spec_version(p))
        try:
            entries = _record_entries(out, _lib.civic_record_count(out), offset, version)
            summary = _capi.civic_score(version=_capi.CIVIC_SCORE_VERSION)
            _lib.civic_record_summary(out, _byref(summary))
            dims = {name: _points(0) for name in dim_names}
            for entry in entries:
                if entry.kind == "rule" and entry.state == "active" \
                        and entry.dimension in dims:
                    dims[entry.dimension] = _EXACT.add(dims[entry.dimension],
                                                       entry.counted)
            tiers = _read_tiers(summary.tier_count,
                                lambda k, tv: _lib.civic_record_tier(out, k, _byref(tv)))
            return Record(_score_from(summary, dims, tiers, version), entries, as_of=t,
                          utc_offset=offset)
        finally:
            _lib.civic_record_free(out)

    def groups(self, depth: int, as_of: _Any = None) -> _List["GroupStats"]:
        """GroupStats per group path at `depth` (0: one group "" of
        everyone), sorted by path.  A depth outside 0..64 raises CivicError
        CIVIC_E_INVALID (also a ValueError, as 1.0 raised for a negative one)."""
        depth = _index(depth)
        if depth is None:
            raise TypeError("depth must be int")
        if not 0 <= depth <= _capi.CIVIC_GROUP_DEPTH_MAX:
            # one error for every depth out of range: CivicError, as 65 and
            # on raised since 1.0, that is also the ValueError a negative one was
            raise _capi.CivicValueError(CIVIC_E_INVALID, "depth %s: out of range 0..%d (segments of a "
                             "group path)" % (_int_shown(depth), _capi.CIVIC_GROUP_DEPTH_MAX))
        with self._use() as p:
            out = _capi.groups_p()
            self._ask(p, as_of, lambda t: _lib.civic_engine_groups(p, depth, t, _byref(out)))
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
                    path=_str(st.path), depth=int(st.depth), subjects=int(st.subjects),
                    mean=_points(st.mean), median=_points(st.median),
                    min=_points(st.min), max=_points(st.max),
                    balance=_points(st.balance), grades=counts))
            return rows
        finally:
            _lib.civic_groups_free(out)

    # version 2: lists, purge
    @property
    def spec_version(self) -> int:
        """2 when the rules are version 2, or the engine holds an event with
        an act, a source or a type object/dismiss/correct, or has purged;
        else 1.  Answers' to_dict() carry the version-2 keys only at 2."""
        with self._use() as p:
            return int(_lib.civic_engine_spec_version(p))

    def list(self, name: str, as_of: _Any = None) -> "ListAnswer":
        """The list `name` at as_of: every subject the flag or
        measure of that name applies to, sorted by subject id bytewise, as a
        ListAnswer of ListRow(subject, group, score, grade, since, until).
        CivicError CIVIC_E_NOTFOUND when the name is neither a flag nor a
        measure of the scheme (its message names the list the name most
        likely meant, "did you mean 'dishonest'?", or says that a tier is
        listed through a measure on it, or which flags a rule of that code
        sets); CIVIC_E_PURGED for an as_of before
        a purge's horizon."""
        if isinstance(name, str) and "\0" in name:
            # no flag or measure name holds a control character
            # (docs/rules.md), and a NUL cannot be passed on: what a
            # control character gets
            raise _capi.CivicValueError(CIVIC_E_NOTFOUND, _NO_LIST % _excerpt(name))
        n = _cstr(name, "name")
        with self._use() as p:
            offset = int(_lib.civic_rules_utc_offset(_lib.civic_engine_rules(p)))
            out = _capi.list_p()
            try:
                t = self._ask(p, as_of, lambda t: _lib.civic_engine_list(p, n, t, _byref(out)))
            except CivicError as e:
                if e.code == CIVIC_E_NOTFOUND:
                    raise CivicError(e.code, _no_list(_lib.civic_engine_rules(p), name, n)) \
                        from None
                raise
        try:
            kind = "flag" if _lib.civic_list_kind(out) == _capi.CIVIC_LIST_FLAG else "measure"
            rows = []
            x = _capi.civic_list_entry()
            for i in range(_lib.civic_list_count(out)):
                x.version = _capi.CIVIC_LIST_ENTRY_VERSION
                _lib.civic_list_get(out, i, _byref(x))
                since = None if x.since == _capi.CIVIC_NO_TIME else int(x.since)
                until = None if x.until in (_capi.CIVIC_NO_TIME, _capi.CIVIC_FOREVER) \
                    else int(x.until)
                rows.append(ListRow(_str(x.subject), _str(x.group), _points(x.score),
                                    _str(x.grade), since, until, kind, offset))
            return ListAnswer(name, kind, t, rows, offset)
        finally:
            _lib.civic_list_free(out)

    def objections(self, as_of: _Any = None) -> _List["ObjectionRow"]:
        """The objections still to decide at as_of, oldest first: by filed,
        then subject, then objection id, bytewise; the rows of
        civic-score --objections and GET /objections (to_dict() gives their
        JSON).  A row is an `object` entry accepted and decided by neither
        a `dismiss` of it nor a `revoke` of its entry (the objection upheld)
        by then; an empty list when there is none, under any scheme.
        Made of one question per subject (its record): events another
        thread loads meanwhile may be in some rows and not in others.
        CivicError CIVIC_E_PURGED for an as_of before a purge's horizon."""
        with self._use() as p:
            offset = int(_lib.civic_rules_utc_offset(_lib.civic_engine_rules(p)))
            found = []

            def gather(t):
                found.clear()   # asked again when a purge overtook the default
                out = _capi.result_p()
                _lib.civic_engine_subjects(p, t, _byref(out))
                try:
                    row = _capi.civic_score()
                    for i in range(_lib.civic_result_count(out)):
                        row.version = _capi.CIVIC_SCORE_VERSION
                        _lib.civic_result_get(out, i, _byref(row))
                        subject, group = row.subject, _str(row.group)
                        rec = _capi.record_p()
                        _lib.civic_engine_record(p, subject, t, _byref(rec))
                        try:
                            _record_objections(rec, subject, group, offset, found)
                        finally:
                            _lib.civic_record_free(rec)
                finally:
                    _lib.civic_result_free(out)

            self._ask(p, as_of, gather)
        found.sort(key=lambda f: f[:3])
        return [f[3] for f in found]

    def purge(self, before: _Any, *, future: bool = False) -> "PurgeReport":
        """Physically remove every event archived by retention at `before`
        (any ts form), with the revokes, repairs, objections, dismissals and
        corrections that point at them.  Answers at T >= before
        stay what they were; a question about T < before then raises
        CivicError CIVIC_E_PURGED.  Durable with a journal attached (a
        journal opened with other_rules=True that holds a purge of the old
        rules takes no write, CIVIC_E_MISMATCH, until compact()); the
        journal still holds the removed events until compact(), which
        writes the snapshot and journal without them: call it after a
        purge the law asks for.
        A `before` later than the wall clock now raises ValueError unless
        future=True: such a purge removes entries still in force today and
        makes every question about the present unanswerable, for good.
        Events that arrive after a purge are judged by what is left: one
        that points at a removed event of its subject, dated from that
        event to `before`, or a member of a removed act dated no later
        than the act's archival, is archived on arrival, where sent before
        the purge it might have counted; any other pointer at a removed
        event is dangling, and a later member starts a new act
        (docs/evaluation.md).
        Returns a PurgeReport(events, acts, horizon, held)."""
        if not isinstance(future, bool):
            raise TypeError("future must be bool, not %s" % type(future).__name__)
        report = _capi.civic_purge_report(version=_capi.CIVIC_PURGE_REPORT_VERSION)
        err = _capi.new_error()
        with self._use() as p:
            h = _parse_time(_lib.civic_engine_rules(p), before, "before")
            offset = int(_lib.civic_rules_utc_offset(_lib.civic_engine_rules(p)))
            # The library takes any horizon (SPEC 10.4); a mistyped year (2205
            # for 2025) would delete live entries irreversibly, so a horizon
            # ahead of the clock (read now, not once) must be asked for.
            now = _time.time()
            if h > now and not future:
                raise ValueError(
                    "before %s is later than now (%s): a purge removes every event "
                    "retention has archived by then and makes every question about an "
                    "earlier time unanswerable (CIVIC_E_PURGED), now included; pass "
                    "future=True to purge ahead of the present"
                    % (_time_text(h, offset), _time_text(int(now), offset)))
            with self._naming():
                _lib.civic_engine_purge(p, h, _byref(report), err)
            held = int(_lib.civic_engine_event_count(p))
        return PurgeReport(events=int(report.events), acts=int(report.acts),
                           horizon=None if report.horizon == _capi.CIVIC_NO_TIME
                           else int(report.horizon), held=held, utc_offset=offset)

    @property
    def purge_horizon(self) -> _Optional[int]:
        """The latest purge horizon (int Unix seconds), None when the engine
        never purged."""
        with self._use() as p:
            h = int(_lib.civic_engine_purge_horizon(p))
        return None if h == _capi.CIVIC_NO_TIME else h

    # durability
    def save(self, path: _Union[str, bytes, _os.PathLike]) -> None:
        """Write every event to a snapshot file at `path`, atomically (when
        `path` is a symbolic link, to the file it leads to; the link stays)."""
        raw = _path_bytes(path)
        err = _capi.new_error()
        with self._use() as p, self._naming(path):
            _lib.civic_engine_save(p, raw, err)

    def load_snapshot(self, path: _Union[str, bytes, _os.PathLike],
                      other_rules: bool = False) -> None:
        """Load the snapshot at `path` as one batch (all or nothing).
        other_rules=True reads a snapshot saved under other rules (a scheme
        revised since) under the engine's, each event validated anew; an
        event that does not fit them raises CivicError CIVIC_E_MISMATCH
        naming it.  Save or compact afterwards.  A snapshot holding a purge
        this engine has not made loads only into an engine holding no
        events (CivicError CIVIC_E_INVALID otherwise)."""
        if not isinstance(other_rules, bool):
            raise TypeError("other_rules must be bool")
        raw = _path_bytes(path)
        err = _capi.new_error()
        try:
            with self._use() as p, self._naming(path):
                if other_rules:
                    _lib.civic_engine_load_snapshot_ext(p, raw, _capi.CIVIC_SNAPSHOT_OTHER_RULES,
                                                        err)
                else:
                    _lib.civic_engine_load_snapshot(p, raw, err)
        except _capi.CivicError as e:
            _name_argument(e, "CIVIC_SNAPSHOT_OTHER_RULES", "other_rules=True")
            raise

    def journal_open(self, path: _Union[str, bytes, _os.PathLike], sync: str = "always",
                     interval_ms: _Optional[int] = None,
                     recover: bool = False, other_rules: bool = False) -> "JournalReport":
        """Attach the journal at `path` (created if missing, replayed if not)
        and append every later successful write to it.  sync: "always"
        (fdatasync before each write returns), "group" (a background thread
        syncs every interval_ms, default 50) or "none".  Returns a
        JournalReport of what was replayed.

        A torn tail (a write a crash cut short) is truncated; when an intact
        record of its batch follows the damage (a batch written whole and
        damaged later looks the same), or the record cut is whole in the
        file but fails its checksum (damage after it was written, or a
        power cut: cut_whole), a copy of the file is kept first, as
        "<path>.damaged.<unix time>" (copy_kept), when it can be written
        (in a read-only directory or on a full disk the batch is cut
        without one).  A journal damaged in the middle, with intact batches after
        the damage, raises
        CivicError CIVIC_E_CORRUPT (its offset is where the damage is)
        rather than drop acknowledged batches; recover=True keeps a copy of
        the file as "<path>.damaged.<unix time>" and cuts the journal at the
        damage (a damaged header is damage before every batch: the journal
        starts anew).  A path that is a symbolic link means the file it leads to
        (a link to a missing file raises CIVIC_E_IO).  other_rules=True
        replays a journal written under other rules (a scheme revised
        since) under the engine's, each event validated anew, its header
        left naming the old rules; a journal of events only has its header
        rewritten to name these rules by the engine's first write to it
        (what is appended from then on, a purge above all, is read under
        them).  A journal that holds a purge of the old rules raises
        CIVIC_E_MISMATCH (a purge cannot be run again under other rules):
        open it under the old rules and compact(), then load that snapshot
        under these with other_rules=True, open the journal with
        other_rules=True and compact() again.  Only an engine that holds
        that purge already (its snapshot was saved after it) opens such a
        journal, which then refuses every write (add, load, purge:
        CIVIC_E_MISMATCH) until compact().  Call compact() at once after
        an open with other_rules=True: it writes both files under these
        rules."""
        if sync not in _SYNC:
            raise ValueError("sync must be 'always', 'group' or 'none', not %s"
                             % _excerpt(sync))
        policy = _SYNC[sync]
        if not isinstance(recover, bool):
            raise TypeError("recover must be bool")
        if recover:
            policy |= _capi.CIVIC_JOURNAL_RECOVER
        if not isinstance(other_rules, bool):
            raise TypeError("other_rules must be bool")
        if other_rules:
            policy |= _capi.CIVIC_JOURNAL_OTHER_RULES
        if interval_ms is not None:
            if sync != "group":
                raise ValueError("interval_ms goes with sync='group'")
            interval_ms = _index(interval_ms)
            if interval_ms is None:
                raise TypeError("interval_ms must be int")
            if not 1 <= interval_ms <= 65535:
                raise ValueError("interval_ms must be 1..65535")
            policy |= _capi.CIVIC_SYNC_INTERVAL_MS(interval_ms)
        raw = _path_bytes(path)
        report = _capi.civic_journal_report(version=_capi.CIVIC_JOURNAL_REPORT_VERSION)
        err = _capi.new_error()
        try:
            with self._use() as p, _Naming(path):
                _lib.civic_engine_journal_open(p, raw, policy, _byref(report), err)
            self._journal = _os.fspath(path)
        except _capi.CivicError as e:
            # the library names its C flag as the way out; here it is an argument
            _name_argument(e, "CIVIC_JOURNAL_RECOVER", "recover=True")
            _name_argument(e, "CIVIC_JOURNAL_OTHER_RULES", "other_rules=True")
            raise
        return JournalReport(created=bool(report.created), batches=int(report.batches),
                             events=int(report.events), accepted=int(report.accepted),
                             bytes_kept=int(report.bytes_kept),
                             bytes_truncated=int(report.bytes_truncated),
                             copy_kept=bool(report.copy_kept),
                             cut_whole=bool(report.cut_whole))

    def journal_sync(self) -> None:
        """Make every journaled batch durable now."""
        err = _capi.new_error()
        with self._use() as p, self._naming():
            _lib.civic_engine_journal_sync(p, err)

    def journal_close(self) -> None:
        """Sync and detach the journal; the engine keeps its events."""
        err = _capi.new_error()
        try:
            with self._use() as p, self._naming():
                _lib.civic_engine_journal_close(p, err)
        except CivicOSError:
            self._journal = None    # detached all the same: its final sync failed
            raise
        self._journal = None

    def compact(self, snapshot_path: _Union[str, bytes, _os.PathLike]) -> None:
        """Save a snapshot to `snapshot_path`, then start the attached
        journal afresh (crash-safe order; see civic.h).  A snapshot_path
        that names the journal's own file, by any name, raises
        CIVIC_E_INVALID."""
        raw = _path_bytes(snapshot_path)
        err = _capi.new_error()
        with self._use() as p, self._naming(snapshot_path):
            _lib.civic_engine_compact(p, raw, err)

    def __repr__(self):
        if self.closed:
            return "<civic.Engine closed>"
        return "<civic.Engine events=%d subjects=%d>" % (self.event_count,
                                                          self.subject_count)


# --------------------------------------------------------------------------
# What-if
# --------------------------------------------------------------------------


@_dataclass(frozen=True)
class CompareRow:
    """One subject scored under the current and the new rules."""
    subject: str
    group: str                      # from the current rules
    score: _decimal.Decimal
    grade: str
    new_score: _decimal.Decimal
    new_grade: str
    delta: _decimal.Decimal         # new_score - score

    def to_dict(self) -> _Dict[str, _Any]:
        return {"subject": self.subject, "group": self.group, "score": self.score,
                "grade": self.grade, "new_score": self.new_score,
                "new_grade": self.new_grade, "delta": self.delta}


@_dataclass(frozen=True)
class Comparison:
    """civic.compare's answer: rows sorted by subject, the grade-transition
    matrix over every subject ({grade now: {new grade: subjects}}), and the
    counts.  Iterable over its rows.  rejections and one_scheme_only: what
    compare(lenient=True) skipped (empty and 0 otherwise; not in
    to_dict(), which is the CLI's JSON: civic-score reports them on
    stderr)."""
    as_of: int
    rows: _List[CompareRow]
    transitions: _Dict[str, _Dict[str, int]]
    subjects_total: int
    subjects_changed: int
    utc_offset: int = _field(default=0, repr=False, compare=False)
    # compare(lenient=True): the lines (events) skipped, each a Rejection
    # whose .scheme says which scheme refused it, and how many of them one
    # scheme alone refused (left out under both)
    rejections: _List["Rejection"] = _field(default_factory=list)
    one_scheme_only: int = 0

    def __iter__(self) -> _Iterator["CompareRow"]:
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def to_dict(self) -> _Dict[str, _Any]:
        """civic-score --compare NEW -f json: as_of, subjects, transitions,
        subjects_total, subjects_changed."""
        return {"as_of": _time_text(self.as_of, self.utc_offset),
                "subjects": [r.to_dict() for r in self.rows],
                "transitions": {k: dict(v) for k, v in self.transitions.items()},
                "subjects_total": self.subjects_total,
                "subjects_changed": self.subjects_changed}


def compare(events: _Any, rules_now: "Rules", rules_new: "Rules", as_of: _Any = None,
            changed: bool = False, *, lenient: bool = False) -> Comparison:
    """Score the same events under rules_now and rules_new at one as-of time
    (as civic-score --compare).  events: anything Engine.load takes
    (str text, bytes, an mmap, a file object (read whole, as one batch,
    before the library sees it, as load() reads it), an os.PathLike path
    (read by the library as it goes, once per scheme: not "/dev/stdin" of
    a pipe, which can be read once); a str as
    load() reads it: a 1.0 file name such as "events.csv" is read as that
    file, with one FutureWarning: pass a pathlib.Path), or an iterable of
    dicts of Engine.add's keyword arguments.  as_of: any ts form; None is
    the latest ts of the events (the later of the two readings when the
    schemes' utc_offsets differ).  Subjects are the union of those listed
    under either scheme; a subject one scheme does not list shows its base
    score and grade.  changed=True keeps the rows whose score or grade
    differs (the transition matrix and the counts cover every subject).
    An event valid under one scheme and not the other raises CivicError
    (CIVIC_E_EVENT); its `scheme` attribute (and a note) says which refused
    it, "rules_now" or "rules_new" (of the events either refuses, the first
    in the log, as civic-score names it, even when the other scheme stops
    later at a conflict or a limit error: a line one scheme refuses can make
    a later line a conflict under the other).  Of event dicts, an error names the
    event by its 1-based number: .line, and "event N: " before the message
    of every error (a TypeError or ValueError of a dict's arguments, or of
    an item that is no dict, too: "event 6: a str, not a dict of
    Engine.add()'s arguments"; of the first, what events may be); one
    event's dict as events is a TypeError, "events is one event dict: pass
    a list of them".
    lenient=True (keyword only), as civic-score --compare NEW --lenient:
    a line either scheme refuses is skipped, and one that only one scheme
    refuses is left out under both, so both columns score the same events
    (a line that conflicts with another is judged once those are gone).
    Comparison.rejections lists the lines skipped, in the order civic-score
    reports them, each a Rejection whose .scheme says which scheme refused
    it ("rules_now" when both did); one_scheme_only counts those one
    scheme alone refused.  Of event dicts, an event that Engine.add
    refuses with CivicError (CIVIC_E_EVENT, CIVIC_E_CONFLICT,
    CIVIC_E_LIMIT) is skipped so, named by its number; a TypeError or
    ValueError of a dict's arguments still raises.
    What a log most likely means otherwise is warned of once with
    CivicWarning, as load() warns of it (of the load under rules_now), and
    so is an as_of, once however many questions compare() asks at it."""
    if not isinstance(rules_now, Rules) or not isinstance(rules_new, Rules):
        raise TypeError("rules_now and rules_new must be civic.Rules")
    for name, flag in (("changed", changed), ("lenient", lenient)):
        if not isinstance(flag, int):    # changed="no" would be true (as load's lenient)
            raise TypeError("%s must be a bool (or an int), not %s"
                            % (name, type(flag).__name__))
    if not isinstance(events, (str, bytes, bytearray, memoryview, _mmap.mmap, _os.PathLike)) \
            and not callable(getattr(events, "read", None)):
        if isinstance(events, _Mapping):
            # one event's dict, whose keys would be read as the events
            # ("event 1: ... not an iterable of str")
            raise TypeError("events is one event dict: pass a list of them")
        try:
            events = list(events)
        except TypeError:
            raise TypeError("events must be text, bytes, a path, a file object or an "
                            "iterable of event dicts, not %s" % type(events).__name__) from None
    elif not isinstance(events, _mmap.mmap) and callable(getattr(events, "read", None)):
        events = events.read()   # a file object (an mmap is read whole, as load reads it)
    path = None
    if isinstance(events, str) and _names_a_file(events):
        # a 1.0 program's file name: read as load() reads it, but warned
        # about here, once, in the terms of the call made (compare has no
        # load_file(); each scheme's load() would warn again)
        _warn("civic.compare(%r) reads a file as libcivic 1.0 did; libcivic 2 reads every "
              "str as events: pass a pathlib.Path for a path" % events, FutureWarning)
        path = events
    rejections, once, said = [], 0, []
    if lenient:
        now, new, rejections, once, said = _load_compared_leniently(rules_now, rules_new,
                                                                    events, path)
    else:
        now, new = Engine(rules_now), Engine(rules_new)
        try:
            first = None
            for engine, scheme in ((now, "rules_now"), (new, "rules_new")):
                try:
                    got = _compare_load(engine, scheme, events, path, False)
                    if scheme == "rules_now":
                        said = got[1]
                except CivicError as e:
                    # as civic-score --compare (load_all): whatever stopped
                    # each scheme's load (a bad line, a conflict, a limit),
                    # the one of the earlier line, rules_now's when both
                    # name the same line or rules_new's names none; an error
                    # that names no line under rules_now stops at once.  A
                    # line one scheme refuses can make a later line a
                    # conflict under the other: that later line is not named.
                    if first is None:
                        if not e.line:
                            raise
                        first = e
                    elif e.line and e.line < first.line:
                        first = e
            if first is not None:
                raise first
        except BaseException:
            now.close()
            new.close()
            raise
    # what the log most likely means otherwise, once (as civic-score
    # --compare), from rules_now's load
    for text in said:
        _warn(text, CivicWarning)
    with now, new:
        if as_of is not None:
            with now._use() as p:
                t = _parse_time(_lib.civic_engine_rules(p), as_of, "as_of")
        else:
            # the schemes may read a local ts as two instants (their
            # utc_offsets differ): the later, so both count every event
            t = max([e.time_range[1] for e in (now, new) if e.time_range] or [0])
        # read once: its queries do not warn of it again (an int that looks
        # like milliseconds was warned of once per query)
        read = _Read(t)
        a, b = now.subjects(read), new.subjects(read)
        by_now = {s.subject: s for s in a}
        by_new = {s.subject: s for s in b}
        names = sorted(set(by_now) | set(by_new), key=lambda x: x.encode("utf-8"))
        grades_now = [g.name for g in rules_now.grades]
        grades_new = [g.name for g in rules_new.grades]
        matrix = {g: {k: 0 for k in grades_new} for g in grades_now}
        rows, n_changed = [], 0
        for name in names:
            x = by_now.get(name) or now.score(name, read)
            y = by_new.get(name) or new.score(name, read)
            matrix[x.grade][y.grade] += 1
            differs = x.score != y.score or x.grade != y.grade
            n_changed += differs
            if differs or not changed:
                rows.append(CompareRow(name, x.group, x.score, x.grade, y.score, y.grade,
                                       y.score - x.score))
        return Comparison(t, rows, matrix, len(names), n_changed, rules_now.utc_offset,
                          rejections=rejections, one_scheme_only=once)


# What Engine.add raises for an event a lenient load would skip as a bad
# line; Python's own TypeError and ValueError (a dict without ts) still raise.
_BAD_EVENT = (_capi.CIVIC_E_EVENT, _capi.CIVIC_E_CONFLICT, _capi.CIVIC_E_LIMIT)


def _compare_load(engine, scheme, events, path, lenient, drop=(), data=None, fmt=None):
    """Load compare's events into the engine of one scheme ("rules_now" or
    "rules_new"): the event dicts but those numbered in drop, data (bytes,
    the events with the dropped lines blanked) in format fmt, the file at
    path, or events as load() takes them.  (The rejections of a lenient load
    (of dicts: the CivicError of each event add() refused), the load's
    warnings (not warned of: compare() warns once))."""
    try:
        if isinstance(events, list):
            rejected = []
            for i, ev in enumerate(events, 1):
                if i in drop:
                    continue
                if not isinstance(ev, _Mapping) and i == 1:
                    # the first: the argument is no iterable of event dicts
                    # (a log's lines, readlines()): what compare() takes
                    raise _numbered(TypeError, i, "events must be text, bytes, a path, a "
                                    "file object or an iterable of event dicts, not an "
                                    "iterable of %s" % type(ev).__name__)
                if not isinstance(ev, _Mapping):
                    # an odd one out among dicts, named as what it is ("not
                    # an iterable of str" said so of the whole argument)
                    raise _numbered(TypeError, i, "%s, not a dict of Engine.add()'s "
                                    "arguments" % _a_type(ev))
                try:
                    _add_item(engine, i, ev)
                except CivicError as e:
                    if not lenient or e.code not in _BAD_EVENT:
                        raise
                    rejected.append(Rejection(e.line, e.column, e.code, e.message))
            return rejected, []
        if data is not None:
            report = engine._load_any(data, fmt, lenient, None, False)
        elif path is not None:
            with engine._naming(path):
                report = engine._load(_path_bytes(path), None, None, lenient, None, False)
        else:
            report = engine._load_any(events, None, lenient, None, False)
        return report.rejections, report.warnings
    except CivicError as e:
        # which scheme refused an event (a type only one of them knows); a
        # file that cannot be read or a conflict is no scheme's doing
        if e.code == _capi.CIVIC_E_EVENT:
            e.scheme = scheme
            if hasattr(e, "add_note"):  # Python 3.11
                e.add_note("under %s" % scheme)
        raise


def _load_compared_leniently(rules_now, rules_new, events, path):
    """compare(lenient=True), as civic-score --compare NEW --lenient: a line
    bad under one scheme only is left out under both, so that the two
    columns score the same events, whatever their order.  A line is bad in
    itself (an unknown type, a bad field) or as a conflict with an earlier
    line, which depends on what else was kept: so the lines bad in
    themselves under either scheme are left out first, and conflicts are
    judged among the lines that remain, in as many passes as it takes for
    both schemes to refuse the same lines.  Returns the two engines, the
    lines skipped in the order civic-score reports them (each a Rejection
    whose .scheme says which scheme refused it; "rules_now" when both did),
    how many of them one scheme alone refused, and the warnings of the
    first load (rules_now's, of the events as given)."""
    schemes = ("rules_now", "rules_new")
    drop, once, reported, said = set(), 0, [], None
    data = fmt = spans = None
    while True:
        engines = []
        try:
            got = []
            for rules, scheme in zip((rules_now, rules_new), schemes):
                engines.append(Engine(rules))
                rejected, warned = _compare_load(engines[-1], scheme, events, path, True,
                                                 drop, data, fmt)
                if said is None:    # the first load's, of the events as given
                    said = warned
                got.append([Rejection(*r, offset=_offset_before_blanking(r.offset, spans),
                                      scheme=scheme) for r in rejected])
        except BaseException:
            for engine in engines:
                engine.close()
            raise
        a_own = {r.line: r for r in got[0] if r.code != _capi.CIVIC_E_CONFLICT}
        b_own = {r.line: r for r in got[1] if r.code != _capi.CIVIC_E_CONFLICT}
        a_conflict = {r.line: r for r in got[0] if r.code == _capi.CIVIC_E_CONFLICT}
        b_conflict = {r.line: r for r in got[1] if r.code == _capi.CIVIC_E_CONFLICT}
        # the lines bad in themselves are final: reported as the CLI reports
        # them while it loads (a line both refuse, under the current rules)
        reported += a_own.values()
        reported += [r for line, r in b_own.items() if line not in a_own]
        differ = set(a_own) | set(a_conflict) != set(b_own) | set(b_conflict)
        if not differ or set(a_own) != set(b_own):
            once += len(set(a_own) ^ set(b_own))
            if not differ:   # the last pass: its conflicts stand
                reported += [r for line, r in a_conflict.items() if line not in b_own]
                reported += [r for line, r in b_conflict.items()
                             if line not in a_own and line not in a_conflict]
                return engines[0], engines[1], reported, once, said
        else:
            # conflicts under one scheme only: final, reported now
            one = set(a_conflict) ^ set(b_conflict)
            reported += [r for line, r in a_conflict.items() if line in one]
            reported += [r for line, r in b_conflict.items() if line in one]
            once += len(one)
            drop |= one
        drop |= set(a_own) | set(b_own)
        for engine in engines:
            engine.close()
        if isinstance(events, list):
            continue
        if data is None:   # the events as bytes, to load again without the lines dropped
            if path is not None:
                with open(path, "rb") as f:
                    original = f.read()
                fmt = _format_of_name(path)
            elif isinstance(events, str):
                original = _log_bytes(events)
            elif isinstance(events, _os.PathLike):
                with open(events, "rb") as f:
                    original = f.read()
                fmt = _format_of_name(events)
            elif isinstance(events, _mmap.mmap):
                original = events[:]
            else:
                original = bytes(events)
        csv = fmt == "csv" or (fmt is None and not _looks_like_jsonl(original))
        data, spans = _without_records(original, csv, drop)


def _format_of_name(path):
    """The format a file's name gives (.csv, .jsonl, .ndjson in any case), as
    the library's load_file reads it; None: by content."""
    name = _os.fsdecode(_os.fspath(path)).lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    return None


def _looks_like_jsonl(data):
    """Whether a load of data by content reads JSON Lines: its first byte
    after a UTF-8 BOM and blanks is a brace, as the library tells them."""
    return data[3 if data[:3] == b"\xef\xbb\xbf" else 0:].lstrip(b" \t\r\n")[:1] == b"{"


def _csv_record_end(data, pos):
    """Where the CSV record starting at data[pos] ends: past its line break
    (or at the end), a line break inside a quoted field not ending it, as
    the library reads records (a quote opens a quoted field only at the
    start of a field)."""
    quoted, field_start, i, n = False, True, pos, len(data)
    while i < n:
        c = data[i]
        if quoted:
            if c == 0x22:
                if i + 1 < n and data[i + 1] == 0x22:
                    i += 1
                else:
                    quoted = False
            i += 1
            continue
        if c == 0x22 and field_start:
            quoted = True
        elif c == 0x0A:
            return i + 1
        field_start = c == 0x2C
        i += 1
    return n


def _without_records(data, csv, drop):
    """data without the records that start on the lines in drop: their bytes
    go but their line breaks stay, so they become blank lines, which a load
    skips, and every other record keeps its line number (as civic-score
    --compare --lenient loads a file again).  Returns the bytes and the
    spans [(offset in them, offset in data)] of the parts kept, which
    _offset_before_blanking reads."""
    out, spans, kept = [], [], 0
    pos, line, at = 0, 1, 0     # at: the start of the part being kept
    for target in sorted(drop):
        while line < target:
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            pos, line = nl + 1, line + 1
        if line != target:      # within a dropped record, or past the end
            continue
        if pos > at:
            spans.append((kept, at))
            out.append(data[at:pos])
            kept += pos - at
        if csv:
            end = _csv_record_end(data, pos)
        else:
            nl = data.find(b"\n", pos)
            end = len(data) if nl < 0 else nl + 1
        breaks = data.count(b"\n", pos, end)
        out.append(b"\n" * breaks)
        kept += breaks
        pos, line, at = end, line + breaks, end
    if at < len(data):
        spans.append((kept, at))
        out.append(data[at:])
    return b"".join(out), spans


def _offset_before_blanking(offset, spans):
    """A rejection's offset in the blanked events (_without_records) as the
    offset in the events given: records skipped start in a kept part."""
    if offset is None or spans is None:
        return offset
    for start, original in reversed(spans):
        if start <= offset:
            return original + offset - start
    return offset


def _a_type(value):
    """value's type as a message names it: "a str", "an int", "None",
    "bytes"."""
    if value is None:
        return "None"
    name = type(value).__name__
    if name == "bytes":
        return name
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _numbered(kind, i, message):
    """Python's own error (TypeError, ValueError) of compare's i-th (1-based)
    event dict: "event N: " before its message and .line the number, as a
    CivicError of the same event has them."""
    e = kind("event %d: %s" % (i, message))
    e.line = i
    return e


def _add_item(engine, i, ev):
    """compare's Engine.add of the i-th (1-based) event dict.  A log's error
    names its line; of 500 dicts, the one at fault is named by its number:
    .line and "event N: " before the message, for Python's own errors too
    (a missing ts is a TypeError of add's arguments)."""
    try:
        engine.add(**ev)
    except CivicError as e:
        e.message = "event %d: %s" % (i, e.message)
        e.line = i
        e.args = (e.code, e.message, e.line, e.column, e.offset)
        raise
    except (TypeError, ValueError) as e:
        if type(e) not in (TypeError, ValueError, _NonFiniteQty):
            raise
        raise _numbered(type(e), i, e) from None


# --------------------------------------------------------------------------
# Splitting a log into subject partitions (since 1.1)
# --------------------------------------------------------------------------


@_dataclass(frozen=True)
class Split:
    """civic.split's answer.  parts[p] is part p as bytes (with views=True a
    read-only memoryview): a complete input for Engine.load (a CSV part
    begins with the header).  max_ts is the latest ts of the events (int
    Unix seconds), None when there is none."""
    parts: _List[_Union[bytes, memoryview]]
    max_ts: _Optional[int]
    events: int                 # event records in all parts
    lines: int                  # physical lines read, header and blank lines included
    part_events: _List[int]     # events per part
    format: str                 # "csv" or "jsonl": what was read

    def __iter__(self) -> _Iterator[_Union[bytes, memoryview]]:
        return iter(self.parts)

    def __len__(self):
        return len(self.parts)

    def __repr__(self):   # the parts by size: printing gigabytes of log helps nobody
        sizes = ", ".join("%d bytes" % len(p) for p in self.parts[:8])
        more = ", ..." if len(self.parts) > 8 else ""
        return ("Split(parts=[%s%s], max_ts=%r, events=%d, lines=%d, part_events=%r, format=%r)"
                % (sizes, more, self.max_ts, self.events, self.lines, self.part_events,
                   self.format))


_FORMAT_NAMES = {_capi.CIVIC_FORMAT_CSV: "csv", _capi.CIVIC_FORMAT_JSONL: "jsonl"}
_SPLIT_KEYS = {"subject": 0, "id": _capi.CIVIC_SPLIT_KEY_ID}


def _as_bytes(value, what):
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview, _mmap.mmap)):
        return bytes(value)
    if isinstance(value, str):
        return _utf8(value, what)
    raise TypeError("%s must be bytes, bytearray, memoryview, mmap or str, not %s"
                    % (what, type(value).__name__))


class _PyBuffer(_ctypes.Structure):
    """CPython's Py_buffer: what PyObject_GetBuffer fills in."""
    _fields_ = [("buf", _ctypes.c_void_p), ("obj", _ctypes.c_void_p),
                ("len", _ctypes.c_ssize_t), ("itemsize", _ctypes.c_ssize_t),
                ("readonly", _ctypes.c_int), ("ndim", _ctypes.c_int),
                ("format", _ctypes.c_char_p), ("shape", _ctypes.c_void_p),
                ("strides", _ctypes.c_void_p), ("suboffsets", _ctypes.c_void_p),
                ("internal", _ctypes.c_void_p)]


def _buffer_api():
    """PyObject_GetBuffer and PyBuffer_Release, or None where the
    interpreter does not offer them through ctypes (not CPython)."""
    api = getattr(_ctypes, "pythonapi", None)
    try:
        get, release = api.PyObject_GetBuffer, api.PyBuffer_Release
    except AttributeError:
        return None
    get.argtypes = [_ctypes.py_object, _ctypes.POINTER(_PyBuffer), _ctypes.c_int]
    get.restype = _ctypes.c_int
    release.argtypes = [_ctypes.POINTER(_PyBuffer)]
    release.restype = None
    return get, release


_BUFFER_API = _buffer_api()


class _Borrowed:
    """The bytes of `value` for one C call, without a copy: bytes as they
    are; a bytearray, an mmap or a contiguous memoryview (a read-only one
    too, such as civic.split's views) by address, its export held until
    the block ends, so that it cannot be resized or closed under the call
    (and nothing is left holding it, even a traceback that keeps this
    object); str as UTF-8; a view that is not contiguous copied.  A
    writable buffer is always read in place, so the C function may also
    write into it.  `arg` is what the C function takes, `size` its
    length."""

    def __init__(self, value, what):
        self._view = self._held = None
        if isinstance(value, (bytearray, memoryview, _mmap.mmap)):
            if _BUFFER_API is not None:
                view = _PyBuffer()
                try:
                    _BUFFER_API[0](value, _byref(view), 0)   # PyBUF_SIMPLE: contiguous bytes
                except BufferError:
                    view = None                         # not contiguous: copied below
                if view is not None:
                    self._view = view
                    self.arg = _capi.c_char_p(view.buf) if view.len else b""
                    self.size = view.len
                    return
            else:
                mv = memoryview(value)
                if not mv.readonly and mv.c_contiguous:
                    mv = mv.cast("B")
                    self._held = (_capi.c_char * mv.nbytes).from_buffer(mv)
                    self.arg, self.size = _capi.c_char_p(_addressof(self._held)), mv.nbytes
                    return
        raw = _as_bytes(value, what)
        self.arg, self.size = raw, len(raw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._view is not None:
            _BUFFER_API[1](_byref(self._view))
        self._view = self._held = self.arg = None
        return False


def _output_buffer(n):
    """A writable buffer of n bytes for civic_split to fill: a big one as
    an anonymous mmap, whose pages the kernel hands over already zeroed
    as they are first written (a bytearray would zero them all first, a
    tenth of a big split's time); a small one as a bytearray."""
    if n >= _OUTPUT_MMAP_BYTES:
        try:
            return _mmap.mmap(-1, n)
        except (OSError, ValueError):
            pass
    return bytearray(n)


_OUTPUT_MMAP_BYTES = 1 << 20


def split(data: _Union[bytes, bytearray, memoryview, str], parts: int,
          rules: _Optional["Rules"] = None, format: _Optional[str] = None,
          header: _Union[bytes, str, None] = None, utc_offset: _Optional[int] = None,
          key: str = "subject", views: bool = False,
          spec_version: _Optional[int] = None) -> Split:
    """Cut a buffer of CSV or JSON Lines events into `parts` parts by subject
    (civic_split): every event record, unchanged, goes to part
    civic.split_part(subject, parts), so each part can be scored by an
    engine of its own and the answers about its subjects are those of one
    engine holding everything.

    data: the events (bytes, a bytearray or memoryview -- read in place,
    without a copy --, or str as UTF-8; a str decoded with surrogateescape
    is its bytes again, as for Engine.load); a last line
    without a line break is a record.  header: for a block of a CSV file
    after the first, the file's header record (data then holds only
    events).  format: None or "auto" (by content, CSV when header is
    given), "csv", or "jsonl" (also "ndjson"), in any case.  rules or
    utc_offset (seconds east of UTC): how ts forms without an offset are
    read for max_ts (default: the built-in scheme's; given both,
    utc_offset is used).  spec_version: the version
    of the rules that will load the parts, 1 or 2 (None: the rules' own,
    Rules.spec_version, given or the built-in scheme's when neither rules
    nor utc_offset is given; with utc_offset alone, 1).  For 2 a JSON key
    in other letters or with blanks ("Qty", "type ") that a load under
    such rules refuses is refused by the split too, with the load's line,
    column and words (CIVIC_SPLIT_V2), and so is a CSV header that names
    act or source twice; for 1 the split leaves such keys to the engine
    that loads a part.  key="id" parts by the event id instead (every event with
    one id in one part).  views=True: each part is a read-only memoryview
    of one buffer that the parts share, not a bytes copy of its own -- a
    copy less of the whole input, for big blocks (the buffer is freed with
    the last view).

    Checks the CSV or JSON structure, the key (present, at most 128 bytes)
    and the ts; anything else is checked by the engine that loads a part.
    Bad input raises CivicError with the line (of data: with header given,
    data's first line is line 1) and column."""
    parts = _index(parts)
    if parts is None:
        raise TypeError("parts must be int")
    if not 1 <= parts <= _capi.CIVIC_SPLIT_PARTS_MAX:
        raise ValueError("parts must be 1..%d" % _capi.CIVIC_SPLIT_PARTS_MAX)
    fmt = _format_code(format)
    if key not in _SPLIT_KEYS:
        raise ValueError("key must be 'subject' or 'id', not %s" % _excerpt(key))
    if not isinstance(views, bool):
        raise TypeError("views must be bool")
    if rules is not None and not isinstance(rules, Rules):
        raise TypeError("rules must be civic.Rules, not %s" % type(rules).__name__)
    flags = _SPLIT_KEYS[key]
    if utc_offset is None:
        if rules is None:
            rules = Rules.default()
        utc_offset = rules.utc_offset
    else:
        utc_offset = _index(utc_offset)
        if utc_offset is None:
            raise TypeError("utc_offset must be int seconds")
        if not -86399 <= utc_offset <= 86399:   # the C field is 32 bits: it would wrap
            raise ValueError("utc_offset must be -86399..86399 seconds")
    if spec_version is None:
        spec_version = rules.spec_version if rules is not None else 1
    elif spec_version not in (1, 2) or isinstance(spec_version, bool):
        raise ValueError("spec_version must be None, 1 or 2, not %s" % _excerpt(spec_version))
    if spec_version == 2:
        flags |= _capi.CIVIC_SPLIT_V2
    # a log given as str is log text, as for Engine.load: text decoded with
    # surrogateescape gets its bytes back, so a bad line is named by line
    # and column, not refused as a UnicodeEncodeError
    text = data if isinstance(data, (str, bytes, bytearray)) and header is None else None
    if isinstance(data, str):
        data = _log_bytes(data)
    head = None if header is None else \
        _log_bytes(header) if isinstance(header, str) else _as_bytes(header, "header")
    opts = _capi.civic_split_options(version=_capi.CIVIC_SPLIT_OPTIONS_VERSION,
                                     format=fmt, parts=parts,
                                     utc_offset=utc_offset, header=head,
                                     header_len=len(head) if head is not None else 0,
                                     flags=flags, reserved=0, allocator=None)
    report = _capi.civic_split_report(version=_capi.CIVIC_SPLIT_REPORT_VERSION)
    err = _capi.new_error()
    ends = (_capi.c_uint64 * parts)()
    counts = (_capi.c_uint64 * parts)()
    with _Borrowed(data, "data") as src:
        try:
            _lib.civic_split(src.arg, src.size, _byref(opts), None, 0, None, None,
                             _byref(report), err)
        except CivicError as e:
            if text is not None:    # a path given as the text: said first, as by load()
                _say_read_as_text(e, text, "split")
            raise
        out = _output_buffer(report.bytes_max)
        with _Borrowed(out, "out") as dst:
            _lib.civic_split(src.arg, src.size, _byref(opts), dst.arg, dst.size, ends, counts,
                             _byref(report), err)
    view = memoryview(out).toreadonly() if views else memoryview(out)
    pieces, at = [], 0
    for end in ends:
        pieces.append(view[at:end] if views else bytes(view[at:end]))
        at = end
    if not views:
        view.release()
    return Split(parts=pieces,
                 max_ts=None if report.max_ts == _capi.CIVIC_NO_TIME else int(report.max_ts),
                 events=int(report.events), lines=int(report.lines),
                 part_events=[int(n) for n in counts],
                 format=_FORMAT_NAMES.get(report.format, "csv"))


def split_part(key: _Union[str, bytes], parts: int) -> int:
    """The part (0..parts-1) that civic.split gives the events of subject
    (or id) `key`: frozen, the same in every process, machine and 1.x
    release.  parts: 1..CIVIC_SPLIT_PARTS_MAX, what split takes.  A str
    key no event's subject or id can be raises CivicError, also a
    ValueError, naming it as add() and a log's line name such a field: a
    NUL, a control character (C0, DEL or C1) or none at all, CIVIC_E_EVENT;
    more than 128 bytes, CIVIC_E_LIMIT.  One holding a lone surrogate
    raises CIVIC_E_EVENT, also a UnicodeEncodeError.  A bytes key is
    hashed as it is, unchecked, as the C function takes it."""
    if isinstance(key, str):
        raw = _cstr(key, "key")
        control = _CONTROL.search(key)
        # in the library's order of a field's checks (lib/event.c)
        if not raw:
            raise _capi.CivicValueError(_capi.CIVIC_E_EVENT, "key: empty, which no event's "
                                        "subject or id can be")
        if len(raw) > _capi.CIVIC_ID_BYTES_MAX:
            raise _capi.CivicValueError(
                _capi.CIVIC_E_LIMIT, "key: longer than %d bytes (%d), which no event's "
                "subject or id can be" % (_capi.CIVIC_ID_BYTES_MAX, len(raw)))
        if control:
            raise _capi.CivicValueError(
                _capi.CIVIC_E_EVENT, "key: a control character (%r) at index %d, which no "
                "event's subject or id can hold" % (control.group(), control.start()))
    else:
        raw = _as_bytes(key, "key")
    parts = _index(parts)
    if parts is None:
        raise TypeError("parts must be int")
    # civic_split_part takes any 32-bit count, but a part of more parts than
    # civic_split makes matches no split: refused as split refuses it
    if not 1 <= parts <= _capi.CIVIC_SPLIT_PARTS_MAX:
        raise ValueError("parts must be 1..%d" % _capi.CIVIC_SPLIT_PARTS_MAX)
    return int(_lib.civic_split_part(raw, len(raw), parts))


_SYNC = {"always": _capi.CIVIC_SYNC_ALWAYS, "group": _capi.CIVIC_SYNC_GROUP,
         "none": _capi.CIVIC_SYNC_NONE}


def _name_argument(e, flag, argument):
    """The library names its C flag as the way out; in Python it is an argument."""
    if flag in e.message:
        e.message = e.message.replace(flag, argument)
        e.args = (e.code, e.message, e.line, e.column, e.offset)


def _engine_options(events_max, threads):
    events_max, threads = _index(events_max), _index(threads)
    for name, value, top in (("events_max", events_max, 2 ** 64),
                             ("threads", threads, 2 ** 32)):
        if value is None:
            raise TypeError("%s must be int" % name)
        if not 0 <= value < top:
            raise ValueError("%s must be 0..%d" % (name, top - 1))
    return _capi.civic_engine_options(version=_capi.CIVIC_ENGINE_OPTIONS_VERSION,
                                      flags=0, allocator=None, events_max=events_max,
                                      threads=threads)


def _path_bytes(path):
    """A path argument as the bytes the library opens.  One that names no
    file raises CIVIC_E_INVALID, a CivicError that is also the error 1.0
    raised: a NUL, which a C string cannot carry (a ValueError), or a lone
    surrogate that os.fsencode cannot encode, one that no bytes were
    decoded from (a UnicodeEncodeError; one that surrogateescape made is
    the byte it was)."""
    if not isinstance(path, (str, bytes, _os.PathLike)):
        raise TypeError("path must be str, bytes or os.PathLike, not %s"
                        % type(path).__name__)
    try:
        raw = _os.fsencode(path)
    except UnicodeEncodeError as e:
        raise _capi.CivicEncodeError(
            CIVIC_E_INVALID, "path %r: a lone surrogate (%r) at index %d names no file: "
            "it was decoded from no bytes" % (e.object, e.object[e.start], e.start),
            e.object, e.start, e.end) from None
    if b"\0" in raw:
        shown = _os.fspath(path)
        nul, unit = ("\0", "character") if isinstance(shown, str) else (b"\0", "byte")
        raise _capi.CivicValueError(
            CIVIC_E_INVALID, "path %r: a NUL %s at index %d, which a C string cannot carry"
            % (shown, unit, shown.index(nul)))
    return raw


def _path_shown(raw):
    """raw as the library's messages show it: a path longer than 143 bytes
    as its first 40 and last 100 bytes around "..." (whole characters), and
    decoded as the message is, bytes that are not UTF-8 replaced.  It mirrors
    civic__path_brief in lib/error.c: change both together."""
    if len(raw) > 143:
        head, tail = 40, len(raw) - 100
        while head > 0 and raw[head] & 0xC0 == 0x80:
            head -= 1
        while tail < len(raw) and raw[tail] & 0xC0 == 0x80:
            tail += 1
        raw = raw[:head] + b"..." + raw[tail:]
    return raw.decode("utf-8", "replace")


class _Naming:
    """`with _Naming(path, journal):` around a call: a CivicOSError gets as
    .filename the path the caller gave, not what its message shows (which
    may be shortened, have bytes that are not UTF-8 replaced, or be the file
    a symbolic link leads to): `journal` (the path given to journal_open,
    None when none is attached) when the message is about the journal (it
    begins "journal "), else `path`, the one path the call was given (None:
    none; the message's reading is kept)."""

    __slots__ = ("_path", "_journal")

    def __init__(self, path, journal=None):
        self._path = path
        self._journal = journal

    def __enter__(self):
        return self

    def __exit__(self, kind, e, tb):
        if isinstance(e, _capi.CivicOSError):
            if self._journal is not None and e.message.startswith("journal "):
                e.filename = self._journal
            elif self._path is not None:
                e.filename = _os.fspath(self._path)
        return False


def _report_from(r, rejections, warnings=()):
    return LoadReport(lines=int(r.lines), accepted=int(r.accepted),
                      duplicates=int(r.duplicates), rejected=int(r.rejected),
                      rejections=list(rejections), warnings=list(warnings))


# The first bytes of an input given in memory that are looked at for its
# header (a longer first line is not looked at), and of a file, as
# civic-score reads them.
_HEAD_BYTES, _HEAD_FILE_BYTES = 65536, 4096


def _log_head(path, data):
    """(the first bytes of a load's input, whether the input ends there),
    for its header's warnings: of a path, a regular file's first 4096 bytes
    (a FIFO, standard input or a device is not read twice); None when they
    cannot be had (the load then says what is wrong)."""
    try:
        if path is not None:
            if not _stat.S_ISREG(_os.stat(path).st_mode):
                return None
            with open(path, "rb") as f:
                head = f.read(_HEAD_FILE_BYTES)
            return head, len(head) < _HEAD_FILE_BYTES
        if isinstance(data, (bytes, bytearray, _mmap.mmap)):
            return bytes(data[:_HEAD_BYTES]), len(data) <= _HEAD_BYTES
        view = memoryview(data)
        if not view.c_contiguous:
            return None
        view = view.cast("B")
        return view[:_HEAD_BYTES].tobytes(), view.nbytes <= _HEAD_BYTES
    except (OSError, ValueError, TypeError, BufferError):
        return None


def _load_hints(p, head, path, fmt, before):
    """The warnings of a load into engine p that succeeded (civic-score's
    warn_header and warn_ts): of its input's head (_log_head), path the
    file's (its label) or None, and of the earliest and the latest ts held
    when the batch brought them (before: the engine's time range before the
    load)."""
    rules = _lib.civic_engine_rules(p)
    label = None if path is None else _path_shown(path)
    said = []
    if head is not None:
        if path is not None and fmt == _capi.CIVIC_FORMAT_AUTO:
            fmt = _FORMATS[_format_of_name(path)]    # as the library reads a file's name
        said += _hints.log_hints(head[0], head[1], fmt,
                                 int(_lib.civic_rules_spec_version(rules)) < 2, label)
    after = Engine._time_range(p)
    if after and (before is None or after[0] < before[0]):
        early = _hints.early_ts(rules, after[0], label)
        if early:
            said.append(early)
    if after and (before is None or after[1] > before[1]):
        late = _hints.late_ts(rules, after[1], label)
        if late:
            said.append(late)
    return said
