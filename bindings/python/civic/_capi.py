"""The C API of libcivic as ctypes sees it: library lookup, struct mirrors,
and the one prototype table.

This module does not offer a Python API (that is civic/__init__.py); it only
makes every function of include/civic.h callable with checked argument
types.  Invariants:

  - every exported symbol (lib/civic.map) has exactly one entry in
    PROTOTYPES, with argtypes, restype and errcheck (tests check the drift);
  - every function that returns a status code raises CivicError for a
    negative return, filled from the civic_error argument when there is one;
  - struct mirrors follow the header field by field; fields are only ever
    appended there, so they are only ever appended here.

Library lookup, first hit wins:
  1. $CIVIC_LIBRARY (authoritative: when set, nothing else is tried);
  2. civic/libcivic.so.1 next to this file (a bundled copy);
  3. the project's build tree, <repo>/build/libcivic.so.1;
  4. ctypes.util.find_library("civic");
  5. the SONAME "libcivic.so.1" through the dynamic loader's search path.
ImportError lists every place tried and why it failed.
"""

import ctypes
import ctypes.util
import errno as _errno
import os
import re as _re
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int,
                    c_int32, c_int64, c_size_t, c_uint32, c_uint64, c_void_p)

SOVERSION = 1
PACKAGE_VERSION = "1.1.0"  # civic.__version__: the library this package was written for
SONAME = "libcivic.so.%d" % SOVERSION
ENV_VAR = "CIVIC_LIBRARY"

# --------------------------------------------------------------------------
# Constants (include/civic.h)
# --------------------------------------------------------------------------

CIVIC_OK = 0
CIVIC_DUPLICATE = 1
CIVIC_E_INVALID = -1
CIVIC_E_NOMEM = -2
CIVIC_E_SYNTAX = -3
CIVIC_E_RULES = -4
CIVIC_E_EVENT = -5
CIVIC_E_CONFLICT = -6
CIVIC_E_OVERFLOW = -7
CIVIC_E_LIMIT = -8
CIVIC_E_IO = -9
CIVIC_E_VERSION = -10
CIVIC_E_CORRUPT = -11
CIVIC_E_MISMATCH = -12
CIVIC_E_USER = -13
# Since 1.1:
CIVIC_E_PURGED = -14     # a question about a time before a purge's horizon
CIVIC_E_NOTFOUND = -15   # no list of that name (Engine.list), no rule of that code (Rules.rule_info)

CODE_NAMES = {
    value: name for name, value in list(globals().items())
    if name.startswith("CIVIC_E_") or name in ("CIVIC_OK", "CIVIC_DUPLICATE")
}

CIVIC_ERROR_VERSION = 1
CIVIC_ERROR_MESSAGE_SIZE = 256
CIVIC_EVENT_VERSION = 2
CIVIC_LOAD_OPTIONS_VERSION = 1
CIVIC_LOAD_REPORT_VERSION = 1
CIVIC_SCORE_VERSION = 2
CIVIC_ENTRY_VERSION = 2
CIVIC_TIER_VALUE_VERSION = 1
CIVIC_LIST_ENTRY_VERSION = 1
CIVIC_PURGE_REPORT_VERSION = 1
CIVIC_RULE_INFO_VERSION = 1
CIVIC_DURATION_TEXT_SIZE = 24
CIVIC_SCHEME_INFO_VERSION = 1
CIVIC_CAP_INFO_VERSION = 1
CIVIC_VALIDITY_INFO_VERSION = 1
CIVIC_TIER_INFO_VERSION = 1
CIVIC_TIER_MEASURE_QTY = 1
CIVIC_TIER_MEASURE_POINTS = 2
CIVIC_MEASURE_INFO_VERSION = 1
CIVIC_GROUP_STATS_VERSION = 1
CIVIC_ENGINE_OPTIONS_VERSION = 1
CIVIC_SPLIT_OPTIONS_VERSION = 1   # since 1.1
CIVIC_SPLIT_REPORT_VERSION = 1
CIVIC_SPLIT_PARTS_MAX = 65536
CIVIC_SPLIT_KEY_ID = 0x1
CIVIC_SPLIT_V2 = 0x2

CIVIC_FORMAT_AUTO = 0
CIVIC_FORMAT_CSV = 1
CIVIC_FORMAT_JSONL = 2
CIVIC_LOAD_LENIENT = 0x1

CIVIC_KIND_RULE = 0
CIVIC_KIND_REVOKE = 1
CIVIC_KIND_REPAIR = 2
CIVIC_KIND_REDEEM = 3
CIVIC_KIND_OBJECT = 4      # since 1.1
CIVIC_KIND_DISMISS = 5
CIVIC_KIND_CORRECT = 6

CIVIC_STATE_ACTIVE = 0
CIVIC_STATE_EXPIRED = 1
CIVIC_STATE_REPAIRED = 2
CIVIC_STATE_REVOKED = 3
CIVIC_STATE_ACCEPTED = 4
CIVIC_STATE_REJECTED = 5
CIVIC_STATE_APPLIED = 6
CIVIC_STATE_DANGLING = 7
CIVIC_STATE_CONTESTED = 8  # since 1.1
CIVIC_STATE_MERGED = 9
CIVIC_STATE_PENDING = 10
CIVIC_STATE_PREMATURE = 11
CIVIC_STATE_DISMISSED = 12
CIVIC_STATE_LATE = 13

CIVIC_MARK_CAPPED = 0x1
CIVIC_MARK_ESCALATED = 0x2
CIVIC_MARK_FROZEN = 0x4    # since 1.1
CIVIC_MARK_CONTESTED = 0x8
CIVIC_MARK_FLOORED = 0x10
CIVIC_AFFECTS_SCORE = 0x1
CIVIC_AFFECTS_BALANCE = 0x2

CIVIC_JOURNAL_REPORT_VERSION = 2
CIVIC_SYNC_ALWAYS = 0x1
CIVIC_SYNC_GROUP = 0x2
CIVIC_SYNC_NONE = 0x4
CIVIC_SYNC_GROUP_DEFAULT_MS = 50
CIVIC_JOURNAL_RECOVER = 0x100
CIVIC_JOURNAL_OTHER_RULES = 0x200  # since 1.1
CIVIC_SNAPSHOT_OTHER_RULES = 0x1   # since 1.1


def CIVIC_SYNC_INTERVAL_MS(ms):
    return (ms & 0xFFFF) << 16


CIVIC_ID_BYTES_MAX = 128          # event id, subject id, ref
CIVIC_GROUP_BYTES_MAX = 255
CIVIC_GROUP_DEPTH_MAX = 64
CIVIC_TIME_MIN = -62135596800
CIVIC_TIME_MAX = 253402300799
CIVIC_FOREVER = 2 ** 63 - 1
CIVIC_NO_TIME = -2 ** 63   # "no such time" (since 1.1)
CIVIC_LEVEL_NONE = 2 ** 32 - 1
CIVIC_LIST_FLAG = 1
CIVIC_LIST_MEASURE = 2
CIVIC_MEASURE_INCENTIVE = 1
CIVIC_MEASURE_RESTRICTION = 2
INT64_MIN = -2 ** 63
INT64_MAX = 2 ** 63 - 1

# --------------------------------------------------------------------------
# The error type (re-exported as civic.CivicError)
# --------------------------------------------------------------------------


# How the message of a failed load of a str that looks like a path begins
# (civic.Engine.load), and of a failed Rules.from_text of one: the library's
# words, which name the line, follow it.  Of bytes or a bytearray, "the
# bytes object" or "the bytearray" is said instead of "the str".
READ_AS_TEXT = "the str was read as events text"
READ_AS_RULES = "the str was read as rules text"
READ_AS_NOUNS = {str: "the str", bytes: "the bytes object", bytearray: "the bytearray"}
_READ_AS = tuple(m.replace("the str", noun, 1) for m in (READ_AS_TEXT, READ_AS_RULES)
                 for noun in READ_AS_NOUNS.values())


class CivicError(Exception):
    """A libcivic call failed.

    code     the negative CIVIC_E_* status (compare with civic.CIVIC_E_*)
    name     its name, e.g. "CIVIC_E_SYNTAX"
    message  the library's message (civic_error.message, else strerror)
    line     1-based line of the input, 0 when not known (civic.compare of
             event dicts: the 1-based number of the event, "event N: " in
             the message)
    column   1-based byte column, 0 when not known
    offset   0-based byte offset into the input
    scheme   civic.compare: "rules_now" or "rules_new", the scheme that
             refused the input; None otherwise
    """

    scheme = None

    def __init__(self, code, message="", line=0, column=0, offset=0):
        super().__init__(code, message, line, column, offset)
        self.code = code
        self.name = CODE_NAMES.get(code, "CIVIC_E_%d" % code)
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset

    def __str__(self):
        where = ""
        if self.line and not self.message.startswith(("line %d" % self.line,
                                                      "event %d:" % self.line) +
                                                     _READ_AS):
            where = "line %d" % self.line
            if self.column:
                where += ", column %d" % self.column
            where += ": "
        return "%s: %s%s" % (self.name, where, self.message)


# --------------------------------------------------------------------------
# Opaque handles: pointers to distinct empty structures, so that ctypes
# refuses an engine where rules are expected.
# --------------------------------------------------------------------------


class civic_rules(Structure):
    _fields_ = []


class civic_engine(Structure):
    _fields_ = []


class civic_result(Structure):
    _fields_ = []


class civic_record(Structure):
    _fields_ = []


class civic_groups(Structure):
    _fields_ = []


class civic_list(Structure):
    _fields_ = []


rules_p = POINTER(civic_rules)
engine_p = POINTER(civic_engine)
result_p = POINTER(civic_result)
record_p = POINTER(civic_record)
groups_p = POINTER(civic_groups)
list_p = POINTER(civic_list)

# --------------------------------------------------------------------------
# Struct mirrors, field for field as in include/civic.h
# --------------------------------------------------------------------------


class civic_error(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("code", c_int32),
        ("line", c_uint64),
        ("column", c_uint32),
        ("reserved", c_uint32),
        ("offset", c_uint64),
        ("message", c_char * CIVIC_ERROR_MESSAGE_SIZE),
    ]


def new_error():
    return civic_error(version=CIVIC_ERROR_VERSION)


malloc_fn = CFUNCTYPE(c_void_p, c_void_p, c_size_t)
realloc_fn = CFUNCTYPE(c_void_p, c_void_p, c_void_p, c_size_t, c_size_t)
free_fn = CFUNCTYPE(None, c_void_p, c_void_p, c_size_t)


class civic_allocator(Structure):
    _fields_ = [
        ("malloc_fn", malloc_fn),
        ("realloc_fn", realloc_fn),
        ("free_fn", free_fn),
        ("ctx", c_void_p),
    ]


class civic_engine_options(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("flags", c_uint32),
        ("allocator", POINTER(civic_allocator)),
        ("events_max", c_uint64),
        ("threads", c_uint32),
        ("reserved", c_uint32),
    ]


class civic_event(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("reserved", c_uint32),
        ("id", c_char_p),
        ("subject", c_char_p),
        ("type", c_char_p),
        ("ts", c_char_p),
        ("qty", c_char_p),
        ("group", c_char_p),
        ("ref", c_char_p),
        # version 2 (libcivic 1.1):
        ("act", c_char_p),
        ("source", c_char_p),
    ]


# typedef int (*civic_reject_fn)(void *payload, const civic_error *err);
civic_reject_fn = CFUNCTYPE(c_int, c_void_p, POINTER(civic_error))


class civic_load_options(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("format", c_uint32),
        ("flags", c_uint32),
        ("reserved", c_uint32),
        ("on_reject", civic_reject_fn),
        ("payload", c_void_p),
    ]


class civic_load_report(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("reserved", c_uint32),
        ("lines", c_uint64),
        ("accepted", c_uint64),
        ("duplicates", c_uint64),
        ("rejected", c_uint64),
    ]


class civic_score(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("grade_index", c_uint32),
        ("subject", c_char_p),
        ("group", c_char_p),
        ("grade", c_char_p),
        ("flags", c_char_p),
        ("score", c_int64),
        ("balance", c_int64),
        ("ceiling", c_int64),
        ("events", c_uint64),
        ("flag_count", c_uint32),
        ("dimension_count", c_uint32),
        ("rank", c_uint64),
        # version 2 (libcivic 1.1):
        ("measures", c_char_p),
        ("measure_count", c_uint32),
        ("tier_count", c_uint32),
        ("archived", c_uint64),
    ]


class civic_tier_value(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("level", c_uint32),
        ("tier", c_char_p),
        ("level_name", c_char_p),
        ("value", c_int64),
        ("places", c_uint32),
        ("reserved", c_uint32),
    ]


class civic_entry(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("kind", c_uint32),
        ("state", c_uint32),
        ("marks", c_uint32),
        ("affects", c_uint32),
        ("reserved", c_uint32),
        ("id", c_char_p),
        ("type", c_char_p),
        ("dimension", c_char_p),
        ("flag", c_char_p),
        ("group", c_char_p),
        ("ref", c_char_p),
        ("ts", c_int64),
        ("end", c_int64),
        ("qty", c_int64),
        ("raw", c_int64),
        ("counted", c_int64),
        ("ceiling", c_int64),
        # version 2 (libcivic 1.1):
        ("eff", c_int64),
        ("from", c_int64),
        ("to_balance", c_int64),
        ("corrected", c_int64),
        ("act", c_char_p),
        ("source", c_char_p),
        ("merged_with", c_char_p),
    ]


class civic_group_stats(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("depth", c_uint32),
        ("path", c_char_p),
        ("subjects", c_uint64),
        ("mean", c_int64),
        ("median", c_int64),
        ("min", c_int64),
        ("max", c_int64),
        ("balance", c_int64),
        ("grade_counts", POINTER(c_uint64)),
    ]


class civic_journal_report(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("created", c_uint32),
        ("batches", c_uint64),
        ("events", c_uint64),
        ("accepted", c_uint64),
        ("bytes_kept", c_uint64),
        ("bytes_truncated", c_uint64),
        # version 2 (libcivic 1.1):
        ("copy_kept", c_uint32),
        ("cut_whole", c_uint32),
    ]


class civic_list_entry(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("grade_index", c_uint32),
        ("subject", c_char_p),
        ("group", c_char_p),
        ("grade", c_char_p),
        ("score", c_int64),
        ("since", c_int64),
        ("until", c_int64),
    ]


class civic_purge_report(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("reserved", c_uint32),
        ("events", c_uint64),
        ("acts", c_uint64),
        ("horizon", c_int64),
    ]


class civic_split_options(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("format", c_uint32),
        ("parts", c_uint32),
        ("utc_offset", c_int32),
        ("header", c_char_p),
        ("header_len", c_size_t),
        ("flags", c_uint32),
        ("reserved", c_uint32),
        ("allocator", POINTER(civic_allocator)),
    ]


class civic_split_report(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("format", c_uint32),
        ("lines", c_uint64),
        ("events", c_uint64),
        ("max_ts", c_int64),
        ("bytes", c_uint64),
        ("bytes_max", c_uint64),
    ]


_duration_text = c_char * CIVIC_DURATION_TEXT_SIZE


class civic_rule_info(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("affects", c_uint32),
        ("code", c_char_p),
        ("dimension", c_char_p),
        ("flag", c_char_p),
        ("category", c_char_p),
        ("cap_group", c_char_p),
        ("points", c_int64),
        ("repeat_factor", c_int64),
        ("cap", c_int64),
        ("ceiling", c_int64),
        ("from", c_int64),
        ("per_unit", c_uint32),
        ("freeze", c_uint32),
        ("recount", c_uint32),
        ("net_cap", c_uint32),
        ("changes", c_uint32),
        ("reserved", c_uint32),
        ("cap_period", _duration_text),
        ("valid", _duration_text),
        ("publicity", _duration_text),
        ("repair_after", _duration_text),
        ("retain", _duration_text),
    ]


class civic_scheme_info(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("running_clamp", c_uint32),
        ("suspend", c_uint32),
        ("has_min", c_uint32),
        ("has_max", c_uint32),
        ("has_balance_min", c_uint32),
        ("min", c_int64),
        ("max", c_int64),
        ("balance_min", c_int64),
        ("valid", _duration_text),
        ("balance_reset", _duration_text),
        ("objection_window", _duration_text),
    ]


class civic_cap_info(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("net", c_uint32),
        ("name", c_char_p),
        ("limit", c_int64),
        ("period", _duration_text),
    ]


class civic_validity_info(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("reserved", c_uint32),
        ("up_to", c_int64),
        ("valid", _duration_text),
    ]


class civic_tier_info(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("measure", c_uint32),
        ("name", c_char_p),
        ("rule_count", c_uint32),
        ("level_count", c_uint32),
        ("window", _duration_text),
    ]


class civic_measure_info(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("kind", c_uint32),
        ("code", c_char_p),
        ("text", c_char_p),
        ("grades", c_uint64),
        ("flag", c_char_p),
        ("tier", c_char_p),
        ("min_level", c_char_p),
        ("has_min_score", c_uint32),
        ("has_max_score", c_uint32),
        ("min_score", c_int64),
        ("max_score", c_int64),
    ]


# --------------------------------------------------------------------------
# errcheck functions
# --------------------------------------------------------------------------


def _strerror_text(code):
    try:
        text = lib.civic_strerror(code)
    except Exception:  # pragma: no cover - only while the table is half set up
        text = None
    return text.decode("utf-8", "replace") if text else "error %d" % code


class CivicOSError(CivicError, OSError):
    """An I/O failure (CIVIC_E_IO): a CivicError that is also an OSError.

    The concrete class is also the matching OSError subclass, so callers can
    catch FileNotFoundError, PermissionError, IsADirectoryError ... as with
    open().  .errno, .strerror and .filename are set from the library's
    message ("cannot open PATH: No such file or directory"); a journal that
    another engine holds is a BlockingIOError (EWOULDBLOCK, as flock()
    says it); .errno is EIO when the message names no other system error.
    The Python API then sets
    .filename to the path the call was given (for the attached journal's
    failures, the path journal_open was given).
    """

    def __reduce__(self):  # rebuilt from the message: errno and all; then the rest
        state = dict(self.__dict__)   # .report of a load, ...
        state["filename"] = self.filename
        return (_io_error, (self.message, self.line, self.column, self.offset), state)

    def __setstate__(self, state):
        for key, value in state.items():
            setattr(self, key, value)


class CivicOverflowError(CivicError, OverflowError):
    """A time that does not fit in 64 bits (an int, or a datetime that its
    offset moves out of datetime's range): a CivicError with the code and
    message the call gives a time that fits but is out of range ("outside
    the years 0001 to 9999"; CIVIC_E_LIMIT, format_time's CIVIC_E_INVALID),
    and the OverflowError 1.0 raised, for callers that catch that."""


class CivicValueError(CivicError, ValueError):
    """An argument 1.0 refused with ValueError: mostly a str holding a NUL
    character (U+0000: text from outside, a JSON "\\u0000"), which a C
    string cannot carry, or a negative groups() depth.  A CivicError, as
    every error is, with the code and message the library gives the value
    (an event's field: as a log's field holding it), and the ValueError
    1.0 raised, for callers that catch that."""


class CivicEncodeError(CivicError, UnicodeEncodeError):
    """A str argument that cannot be UTF-8: it holds a lone surrogate (a str
    decoded with surrogateescape: file names, argv).  A CivicError with the
    code the library gives text that is not UTF-8 (SPEC 7: every error is a
    CivicError), and the UnicodeEncodeError 1.x raised, for callers that
    catch that: .object, .start (the surrogate's index, from 0), .end.
    """

    def __init__(self, code, message, obj, start, end, line=0, column=0):
        UnicodeEncodeError.__init__(self, "utf-8", obj, start, end, message)
        self.code = code
        self.name = CODE_NAMES.get(code, "CIVIC_E_%d" % code)
        self.message = message
        self.line = line
        self.column = column
        self.offset = 0

    def __str__(self):
        return CivicError.__str__(self)

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.object, self.start, self.end,
                             self.line, self.column), dict(self.__dict__))

    def __setstate__(self, state):
        for key, value in state.items():
            setattr(self, key, value)


class CivicDecodeError(CivicError, UnicodeDecodeError):
    """A text-mode file object given to Engine.load() that Python cannot
    decode in its encoding: Python decodes it before the library reads a
    byte, so no line is named and lenient=True cannot skip it.  A CivicError
    (CIVIC_E_SYNTAX, SPEC 7: every error is a CivicError) and the
    UnicodeDecodeError 1.x raised: .encoding, .object (the bytes Python was
    decoding), .start, .end."""

    def __init__(self, code, message, encoding, obj, start, end):
        UnicodeDecodeError.__init__(self, encoding, obj, start, end, message)
        self.code = code
        self.name = CODE_NAMES.get(code, "CIVIC_E_%d" % code)
        self.message = message
        self.line = self.column = self.offset = 0

    def __str__(self):
        return CivicError.__str__(self)

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.encoding, self.object, self.start,
                             self.end), dict(self.__dict__))

    def __setstate__(self, state):
        for key, value in state.items():
            setattr(self, key, value)


_OS_ERROR_CLASSES = {}


def _os_error_class(os_type):
    cls = _OS_ERROR_CLASSES.get(os_type)
    if cls is None:
        if os_type is OSError:
            cls = CivicOSError
        else:
            cls = type("Civic" + os_type.__name__, (CivicOSError, os_type),
                       {"__module__": __name__, "__doc__": CivicOSError.__doc__})
            globals()[cls.__name__] = cls  # so that pickle finds it by name
        _OS_ERROR_CLASSES[os_type] = cls
    return cls


# Every class an errno maps to exists from import on, so that an error
# pickled in one process (Dask's workers) unpickles in another.
for _n in sorted(_errno.errorcode):
    _os_error_class(type(OSError(_n, "")))


def _io_error(message, line, column, offset):
    number = _errno.EIO
    for n in sorted(_errno.errorcode):
        if message.endswith(": " + os.strerror(n)):
            number = n
            break
    else:
        # a journal another engine holds: flock()'s own EWOULDBLOCK, so that
        # `except BlockingIOError` tells a lock from a failing disk
        if _re.match(_LOCKED, message):
            number = _errno.EWOULDBLOCK
    os_type = type(OSError(number, ""))
    e = _os_error_class(os_type)(CIVIC_E_IO, message, line, column, offset)
    e.errno = number
    e.strerror = os.strerror(number)
    e.filename = None
    for pattern in _IO_PATH_PATTERNS:
        m = _re.match(pattern, message)
        if m:
            e.filename = m.group(1)
            break
    return e


_LOCKED = r"^journal (.*) is locked by another engine \(in this process or another\)$"


# Where the library's I/O messages name the path (lib/fileio.c, snapshot.c,
# journal.c, load.c, rules.c), each form anchored at both ends so that a
# path holding ": " or " is " is read whole.  The binding gives .filename
# the path the call was given where it has one (civic._Naming); these are
# for an error read back from its message alone.
_JOURNAL_STEPS = ("open", "lock", "stat", "read", "sync", "append", "sync its directory",
                  "create a temporary file", "create (another engine created it meanwhile)",
                  "link into place", "rename into place", "create a copy of the damaged file",
                  "copy the damaged file",
                  "sync the directory of the copy of the damaged file",
                  "set its header to format version 2", "truncate its torn tail",
                  "set its header to these rules")
_IO_PATH_PATTERNS = (
    r"^cannot create a temporary file for (.*): [^:]*$",
    r"^cannot sync the directory of (.*): [^:]*$",
    r"^cannot \w+ snapshot (.*): [^:]*$",
    r"^(?:journal|snapshot) (.*) is a symbolic link to a missing file: give the "
    r"(?:journal|snapshot)'s own path$",
    r"^(?:journal|snapshot) (.*) is not a regular file \((?:a FIFO|a socket|a device)\)$",
    r"^(?:journal|snapshot) (.*): cannot follow its symbolic link: [^:]*$",
    _LOCKED,
    r"^journal (.*) was removed while open \(its file has no name left",
    r"^journal (.*) was moved or renamed while open[:, ]",
    r"^journal (.*) was truncated while open \(as copytruncate does\): ",
    r"^journal (.*): started anew, the damaged file kept beside it as .*, but cannot "
    r"sync their directory: [^:]*$",
    # before the steps' form, which a compaction's failed fresh journal ends in
    r"^journal (.*): compaction: the snapshot was written(?:,| and holds every event;) ",
    r"^journal (.*): cannot (?:%s): [^:]*$" % "|".join(_re.escape(s) for s in _JOURNAL_STEPS),
    r"^journal (.*): an earlier write or sync failed(?:; close and reopen the journal)?$",
    r"^journal (.*): an earlier write or sync failed \(what failed was not acknowledged",
    r"^journal (.*): an earlier sync failed, and writes acknowledged before it ",
    r"^journal (.*): closed after an earlier failed write or sync \(",
    r"^journal (.*): closed after an earlier failed sync; ",
    r"^journal (.*): closed after a failed sync; ",
    r"^journal (.*): the final sync failed$",
    r"^journal (.*): opened by process -?\d+, not this one;",
    r"^cannot (?:open|read) (.*): [^:]*$",
    r"^journal (.*?): ",          # a form not listed above: up to the first ": "
    r"^cannot \w+ (.*): [^:]*$",
)


def error_from(code, err=None):
    """A CivicError for status `code`, with the details of `err` if filled.
    CIVIC_E_IO gives a CivicOSError (also the matching OSError subclass)."""
    if code == CIVIC_E_IO:
        if err is not None:
            msg = err.message.decode("utf-8", "replace") if err.message else _strerror_text(code)
            # the way out that keeps a journal's events, as Python spells it
            msg = msg.replace("compact (civic_engine_compact)", "compact()")
            msg = msg.replace("save them (civic_engine_save)", "save() them")
            msg = msg.replace("save it (civic_engine_save)", "save() it")
            return _io_error(msg, int(err.line), int(err.column), int(err.offset))
        return _io_error(_strerror_text(code), 0, 0, 0)
    if err is not None and err.message:
        msg = err.message.decode("utf-8", "replace")
        if code == CIVIC_E_MISMATCH:  # the way out, as Python spells it
            msg = msg.replace("compact (civic_engine_compact)", "compact()")
        return CivicError(code, msg, int(err.line), int(err.column), int(err.offset))
    if err is not None:
        return CivicError(code, _strerror_text(code), int(err.line),
                          int(err.column), int(err.offset))
    if code == CIVIC_E_OVERFLOW:
        # a query (it takes no civic_error): of events already accepted, so
        # the same question fails again; say which sums
        return CivicError(code, _strerror_text(code) + ": " + OVERFLOW_WHY)
    return CivicError(code, _strerror_text(code))


OVERFLOW_WHY = ("a subject's points, balance, dimension subtotal or tier quantity, or a group's "
                "balance, summed at this as_of, pass what 64 bits hold (rules with very large "
                "points or quantities; civic-score on the same events names the subject, unless "
                "all its events lie at the instant its sum overflows)")


def check_status(result, func, args):
    """errcheck for functions returning a status: negative -> CivicError.
    Positive values (CIVIC_DUPLICATE) are success and pass through."""
    if result < 0:
        err = None
        for a in args:
            if isinstance(a, civic_error):
                err = a
                break
        raise error_from(result, err)
    return result


def no_check(result, func, args):
    """errcheck for functions that cannot fail (counts, names, values)."""
    return result


# --------------------------------------------------------------------------
# The prototype table: name -> (restype, argtypes, errcheck)
# --------------------------------------------------------------------------

_err_p = POINTER(civic_error)
_alc_p = POINTER(civic_allocator)
_i64_p = POINTER(c_int64)
_S = check_status
_N = no_check

PROTOTYPES = {
    # Version and errors
    "civic_version": (c_char_p, [], _N),
    "civic_version_number": (c_uint32, [], _N),
    "civic_strerror": (c_char_p, [c_int], _N),
    # Rules
    "civic_rules_parse": (c_int, [POINTER(rules_p), c_char_p, c_size_t, _alc_p, _err_p], _S),
    "civic_rules_load_file": (c_int, [POINTER(rules_p), c_char_p, _alc_p, _err_p], _S),
    "civic_rules_default": (c_int, [POINTER(rules_p), _alc_p], _S),
    "civic_rules_default_text": (c_char_p, [], _N),
    "civic_rules_free": (None, [rules_p], _N),
    "civic_rules_name": (c_char_p, [rules_p], _N),
    "civic_rules_base": (c_int64, [rules_p], _N),
    "civic_rules_utc_offset": (c_int32, [rules_p], _N),
    "civic_rules_grade_count": (c_size_t, [rules_p], _N),
    "civic_rules_grade_name": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_grade_min": (c_int, [rules_p, c_size_t, _i64_p], _S),
    "civic_rules_rule_count": (c_size_t, [rules_p], _N),
    "civic_rules_rule_code": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_dimension_count": (c_size_t, [rules_p], _N),
    "civic_rules_dimension_name": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_fingerprint": (c_uint64, [rules_p], _N),
    "civic_rules_parse_time": (c_int, [rules_p, c_char_p, c_size_t, _i64_p], _S),
    "civic_rules_format_time": (c_int, [rules_p, c_int64, c_char_p, c_size_t], _S),
    "civic_rules_parse_time_ext": (c_int, [rules_p, c_char_p, c_size_t, _i64_p, _err_p], _S),
    # Engine
    "civic_engine_new": (c_int, [POINTER(engine_p), rules_p,
                                 POINTER(civic_engine_options)], _S),
    "civic_engine_free": (None, [engine_p], _N),
    "civic_engine_rules": (rules_p, [engine_p], _N),
    "civic_engine_add": (c_int, [engine_p, POINTER(civic_event), _err_p], _S),
    "civic_engine_load": (c_int, [engine_p, c_char_p, c_size_t,
                                  POINTER(civic_load_options),
                                  POINTER(civic_load_report), _err_p], _S),
    "civic_engine_load_file": (c_int, [engine_p, c_char_p,
                                       POINTER(civic_load_options),
                                       POINTER(civic_load_report), _err_p], _S),
    "civic_engine_event_count": (c_uint64, [engine_p], _N),
    "civic_engine_subject_count": (c_uint64, [engine_p], _N),
    "civic_engine_time_range": (c_int, [engine_p, _i64_p, _i64_p], _S),
    # Answers: scores
    "civic_engine_subject": (c_int, [engine_p, c_char_p, c_int64, POINTER(result_p)], _S),
    "civic_engine_subjects": (c_int, [engine_p, c_int64, POINTER(result_p)], _S),
    "civic_engine_rank": (c_int, [engine_p, c_char_p, c_int64, c_uint64,
                                  POINTER(result_p)], _S),
    "civic_result_count": (c_size_t, [result_p], _N),
    "civic_result_get": (c_int, [result_p, c_size_t, POINTER(civic_score)], _S),
    "civic_result_dimension": (c_int, [result_p, c_size_t, c_size_t, _i64_p], _S),
    "civic_result_dimension_count": (c_size_t, [result_p], _N),
    "civic_result_dimension_name": (c_char_p, [result_p, c_size_t], _N),
    "civic_result_free": (None, [result_p], _N),
    # Answers: tiers (since 1.1)
    "civic_result_tier": (c_int, [result_p, c_size_t, c_size_t,
                                  POINTER(civic_tier_value)], _S),
    # Answers: the credit record
    "civic_engine_record": (c_int, [engine_p, c_char_p, c_int64, POINTER(record_p)], _S),
    "civic_record_count": (c_size_t, [record_p], _N),
    "civic_record_entry": (c_int, [record_p, c_size_t, POINTER(civic_entry)], _S),
    "civic_record_summary": (c_int, [record_p, POINTER(civic_score)], _S),
    "civic_record_tier": (c_int, [record_p, c_size_t, POINTER(civic_tier_value)], _S),
    "civic_record_free": (None, [record_p], _N),
    "civic_state_name": (c_char_p, [c_uint32], _N),
    "civic_kind_name": (c_char_p, [c_uint32], _N),
    # Answers: groups
    "civic_engine_groups": (c_int, [engine_p, c_uint32, c_int64, POINTER(groups_p)], _S),
    "civic_groups_count": (c_size_t, [groups_p], _N),
    "civic_groups_get": (c_int, [groups_p, c_size_t, POINTER(civic_group_stats)], _S),
    "civic_groups_grade_count": (c_size_t, [groups_p], _N),
    "civic_groups_grade_name": (c_char_p, [groups_p, c_size_t], _N),
    "civic_groups_free": (None, [groups_p], _N),
    # Durability: snapshots and the journal
    "civic_engine_save": (c_int, [engine_p, c_char_p, _err_p], _S),
    "civic_engine_load_snapshot": (c_int, [engine_p, c_char_p, _err_p], _S),
    "civic_engine_load_snapshot_ext": (c_int, [engine_p, c_char_p, c_uint32, _err_p], _S),
    "civic_engine_open_snapshot": (c_int, [POINTER(engine_p), rules_p,
                                           POINTER(civic_engine_options), c_char_p,
                                           _err_p], _S),
    "civic_engine_journal_open": (c_int, [engine_p, c_char_p, c_uint32,
                                          POINTER(civic_journal_report), _err_p], _S),
    "civic_engine_journal_sync": (c_int, [engine_p, _err_p], _S),
    "civic_engine_journal_close": (c_int, [engine_p, _err_p], _S),
    "civic_engine_compact": (c_int, [engine_p, c_char_p, _err_p], _S),
    # Lists (since 1.1)
    "civic_engine_list": (c_int, [engine_p, c_char_p, c_int64, POINTER(list_p)], _S),
    "civic_list_kind": (c_uint32, [list_p], _N),
    "civic_list_count": (c_size_t, [list_p], _N),
    "civic_list_get": (c_int, [list_p, c_size_t, POINTER(civic_list_entry)], _S),
    "civic_list_free": (None, [list_p], _N),
    "civic_rules_list_meant": (c_char_p, [rules_p, c_char_p], _N),
    # Retention: purge (since 1.1)
    "civic_engine_purge": (c_int, [engine_p, c_int64, POINTER(civic_purge_report),
                                   _err_p], _S),
    "civic_engine_purge_horizon": (c_int64, [engine_p], _N),
    # Room made ahead (since 1.1)
    "civic_engine_reserve": (c_int, [engine_p, c_uint64, _err_p], _S),
    # The scheme, described (since 1.1)
    "civic_rules_spec_version": (c_uint32, [rules_p], _N),
    "civic_engine_spec_version": (c_uint32, [engine_p], _N),
    "civic_rules_flag_count": (c_size_t, [rules_p], _N),
    "civic_rules_flag_name": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_tier_count": (c_size_t, [rules_p], _N),
    "civic_rules_tier_name": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_tier_level_count": (c_size_t, [rules_p, c_size_t], _N),
    "civic_rules_tier_level_name": (c_char_p, [rules_p, c_size_t, c_size_t], _N),
    "civic_rules_measure_count": (c_size_t, [rules_p], _N),
    "civic_rules_measure_code": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_measure_text": (c_char_p, [rules_p, c_size_t], _N),
    "civic_rules_measure_kind": (c_uint32, [rules_p, c_size_t], _N),
    "civic_rules_rule_info": (c_int, [rules_p, c_size_t, c_size_t,
                                      POINTER(civic_rule_info)], _S),
    "civic_rules_to_toml": (c_int, [rules_p, c_char_p, c_size_t, POINTER(c_size_t)], _S),
    "civic_rules_scheme_info": (c_int, [rules_p, POINTER(civic_scheme_info)], _S),
    "civic_rules_cap_count": (c_size_t, [rules_p], _N),
    "civic_rules_cap_info": (c_int, [rules_p, c_size_t, POINTER(civic_cap_info)], _S),
    "civic_rules_validity_count": (c_size_t, [rules_p], _N),
    "civic_rules_validity_info": (c_int, [rules_p, c_size_t, POINTER(civic_validity_info)], _S),
    "civic_rules_tier_info": (c_int, [rules_p, c_size_t, POINTER(civic_tier_info)], _S),
    "civic_rules_tier_rule": (c_size_t, [rules_p, c_size_t, c_size_t], _N),
    "civic_rules_tier_level_min": (c_int, [rules_p, c_size_t, c_size_t, POINTER(c_int64)], _S),
    "civic_rules_measure_info": (c_int, [rules_p, c_size_t, POINTER(civic_measure_info)], _S),
    # Splitting a log into subject partitions (since 1.1)
    "civic_split": (c_int, [c_char_p, c_size_t, POINTER(civic_split_options), c_void_p,
                            c_size_t, POINTER(c_uint64), POINTER(c_uint64),
                            POINTER(civic_split_report), _err_p], _S),
    "civic_split_part": (c_uint32, [c_char_p, c_size_t, c_uint32], _N),
    # Formatting
    "civic_format_fixed": (c_int, [c_int64, ctypes.c_uint, c_char_p, c_size_t], _S),
}

# --------------------------------------------------------------------------
# Library lookup
# --------------------------------------------------------------------------

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# bindings/python/civic -> the repository root -> build/
BUILD_DIR = os.path.normpath(os.path.join(PACKAGE_DIR, os.pardir, os.pardir,
                                          os.pardir, "build"))


def candidates():
    """The places to try, in order, as (description, path or None), made as
    they are reached: find_library runs ldconfig and a compiler (tens of
    milliseconds, and no subprocess at all in an isolated subinterpreter),
    so only when neither a bundled copy nor the build tree has the library.
    When $CIVIC_LIBRARY is set it is the only candidate."""
    env = os.environ.get(ENV_VAR)
    if env:
        yield ("$%s" % ENV_VAR, env)
        return
    yield ("next to the package", os.path.join(PACKAGE_DIR, SONAME))
    yield ("the project's build tree", os.path.join(BUILD_DIR, SONAME))
    try:
        found = ctypes.util.find_library("civic")
    except Exception:   # RuntimeError in an isolated subinterpreter, OSError
        found = None
    yield ('ctypes.util.find_library("civic")', found)
    yield ("the dynamic loader's search path", SONAME)


def _open():
    tried = []
    for where, path in candidates():
        if path is None:
            tried.append("%s: not found" % where)
            continue
        if os.sep in path and not os.path.exists(path):
            tried.append("%s: %s: no such file" % (where, path))
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s: %s: %s" % (where, path, e))
    if os.environ.get(ENV_VAR):
        head = "libcivic could not be loaded from $%s (which is authoritative:" \
               " nothing else was tried)" % ENV_VAR
    else:
        head = "libcivic (%s) not found; build it with `make` at the top of the" \
               " repository or set $%s" % (SONAME, ENV_VAR)
    raise ImportError(head + "; tried:\n  " + "\n  ".join(tried))


def _check_version(cdll, path):
    try:
        fn = cdll.civic_version_number
    except AttributeError:
        raise ImportError("%s is not libcivic: no civic_version_number" % path)
    fn.argtypes = []
    fn.restype = c_uint32
    number = fn()
    if number // 1000000 != SOVERSION:
        raise ImportError(
            "%s is libcivic %d.%d.%d, but this package needs major version %d"
            % (path, number // 1000000, number // 1000 % 1000, number % 1000,
               SOVERSION))
    return number


def _bind(cdll, path, number):
    missing = []
    for name, (restype, argtypes, errcheck) in PROTOTYPES.items():
        try:
            fn = getattr(cdll, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
        fn.errcheck = errcheck
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        have = (number // 1000000, number // 1000 % 1000, number % 1000)
        need = tuple(int(x) for x in PACKAGE_VERSION.split("."))
        why = ("older than this package needs (libcivic %s or later)" % PACKAGE_VERSION
               if have < need else "yet not the whole library this package was built for")
        raise ImportError("%s is libcivic %d.%d.%d, %s: it lacks symbols this package "
                          "needs, %d of them (%s); install libcivic %s or later, or point "
                          "$%s at it" % ((path,) + have + (why, len(missing), shown,
                                                           PACKAGE_VERSION, ENV_VAR)))


lib, LIBRARY_PATH = _open()
VERSION_NUMBER = _check_version(lib, LIBRARY_PATH)
_bind(lib, LIBRARY_PATH, VERSION_NUMBER)
