#!/usr/bin/env python3
"""civic_dask.py -- score libcivic event logs on a Dask cluster.

    python3 examples/dask/civic_dask.py [--scheduler ADDRESS] [--workers N]
        [-r RULES] [-t AS_OF] [--groups D] [--top N] -o OUT.csv FILES...

Reads CSV and JSON Lines event files (docs/events.md) as raw byte blocks cut
at line breaks, has the library split every block into subject partitions
(civic.split: each event line, unchanged, goes to part
civic.split_part(subject, P), a hash that is the same in every process),
moves those bytes so that partition p's pieces of every block meet in one
task, loads them straight into a fresh engine there (Engine.load of bytes)
and combines the answers.  No data frames anywhere.  The output is
byte-identical to

    civic-score [-r RULES] [-t AS_OF] [--groups D] [--top N] -f csv FILES...

Why this is exact: every answer about a subject depends only on that
subject's events and the as-of time (docs/evaluation.md); revokes, repairs,
redeems, objections, dismissals and corrections carry the subject of their
target, and an act is one subject's, so they travel with it.  The as-of
time, when not given, is the latest ts over all files: civic.split returns
each block's latest ts (parsed as a load parses it) and the client's graph
takes the max, with no pass of its own.  Group statistics are combined from
per-partition partial sums: subject count, score sum, balance sum, min, max,
per-grade counts and a histogram of the scores (so the median is the median
of the per-subject scores, never an average of medians); rankings keep the
best N per group per partition and merge them.

Limits (see README.md): an event id reused with a *different subject* is a
conflict for civic-score, but lands in two partitions here and is not seen
unless --check-ids is given (a second split, by event id, and a load of each
id partition).  Inputs are strict (all or nothing, like civic-score without
--lenient).  A quoted CSV field may not hold a line break where a block
boundary falls (blocks are cut at line breaks; ids, subjects and groups
cannot hold one anyway): that block then fails, naming where the quote
closes.

Workers import the binding from bindings/python and load the library named
by --library (default: $CIVIC_LIBRARY, else <repo>/build/libcivic.so.1); on a
remote cluster these paths, and the input files, must exist on the worker
machines.  A worker keeps the binding and library of its first task: one
that has others (or the library as it was before a rebuild) fails the job,
exit 1, saying to restart the workers.
"""

import argparse
import errno
import heapq
import json
import os
import re
import sys
import threading
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINDINGS = os.path.join(ROOT, "bindings", "python")
LIBRARY = os.path.join(ROOT, "build", "libcivic.so.1")

INPUT_ERROR = "civic_dask input error: "
LIBRARY_ERROR = "civic_dask library error: "    # a worker has another library loaded: exit 1
EXIT_USAGE, EXIT_INPUT = 1, 2
EXIT_OUTPUT = 2         # civic-score's for an output that could not be written (a full disk)
# Without Dask: which module is missing, for which interpreter, and how to
# get it (_no_dask), exit 2.  Debian's packages install for this one.
DEBIAN_PYTHON = "/usr/bin/python3"
EXIT_NO_DASK = 2


# --------------------------------------------------------------------------
# Helpers that run on the workers.  They are plain module-level functions;
# dask (cloudpickle) ships them by value, so workers need only the binding.
# --------------------------------------------------------------------------

def _civic(bindings, library):
    """Import the binding in this process (a worker or the client), and
    check that it is the one asked for (_check_loaded)."""
    if library:
        os.environ["CIVIC_LIBRARY"] = library   # read once, at first import
    if bindings and bindings not in sys.path:
        sys.path.insert(0, bindings)
    import civic
    _check_loaded(civic, bindings, library)
    # the binding's warnings are not given: a worker's would be of its
    # partition only (its earliest ts is not the log's), and each worker
    # would give them again; the client gives civic-score's of the whole
    # input (input_warnings; README, limit (f))
    warning = getattr(civic, "CivicWarning", None)
    if warning is not None:
        warnings.filterwarnings("ignore", category=warning)
    return civic


def _file_identity(path):
    """What tells one build of a file from another at one path: a rebuild
    writes a new file (another inode, size or modification time)."""
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _where():
    """This process as a message names it: the Dask worker a task runs on,
    or the client."""
    try:
        from distributed import get_worker
        return "worker %s" % get_worker().address
    except (ImportError, ValueError, AttributeError):
        return "the client (this process)"


def _check_loaded(civic, bindings, library):
    """Refuse to go on with a binding or a library other than the ones
    asked for.  A process imports the binding once and loads the library
    named by CIVIC_LIBRARY at that import, so a worker of a long-lived
    cluster (--scheduler) keeps what its first task asked for: a later job's
    --library, or a rebuild of the same file, would score some partitions
    with one library and some with another (workers that joined later load
    the new one), and exit 0.  Compared: the real paths of the library and
    of the binding's package, and the library file as it was when this
    process first checked it (its identity, _file_identity) with the file
    now.  A few system calls a task."""
    fix = ("a worker loads libcivic and imports the binding at its first civic_dask task, and "
           "keeps them: restart the workers (Client.restart(), or start dask worker anew), "
           "then run this again")
    if bindings:
        package = os.path.dirname(os.path.abspath(civic.__file__))
        want = os.path.join(bindings, "civic")
        if os.path.realpath(package) != os.path.realpath(want):
            raise _library_error("%s imported the civic binding from %s, not from %s: %s"
                                 % (_where(), package, want, fix))
    loaded = getattr(civic, "_civic_dask_loaded", None)
    if loaded is None:
        have = civic.library_path()
        real = os.path.realpath(have) if os.sep in have else have
        try:
            identity = _file_identity(real)
        except OSError:
            identity = None
        loaded = civic._civic_dask_loaded = (have, real, identity)
    have, real, identity = loaded
    if not library:
        return
    asked = os.path.realpath(library)
    if asked != real:
        raise _library_error("%s has libcivic %s loaded (version %s), not --library %s: %s, or "
                             "give --library %s"
                             % (_where(), have, civic.library_version(), library, fix, have))
    try:
        now = _file_identity(asked)
    except OSError:
        now = None
    if identity is not None and now != identity:
        raise _library_error("%s has libcivic %s loaded (version %s) as the file was before it "
                             "changed (rebuilt or replaced since): %s"
                             % (_where(), have, civic.library_version(), fix))


def _library_error(message):
    # A builtin exception type, as _input_error's: main says it in one line
    return RuntimeError(LIBRARY_ERROR + message)


def _input_error(message):
    # A builtin exception type: it pickles back to the client unchanged.
    return ValueError(INPUT_ERROR + message)


BLOCK_SLACK = 1 << 16                   # room for the line that runs on past a block
BLOCK_KEEP_MAX = 64 << 20               # a bigger block buffer is not kept for the next


def _read_block(path, start, length):
    """The lines of the file that start in [start, start + length): a block
    of whole lines, cut as dask.bytes.read_bytes(delimiter=b"\\n") cuts.
    Returns (a memoryview of them, offset of its first byte).  The view is
    of this thread's own buffer, read into again by its next block: fresh
    memory costs more than the read itself on some machines (every page
    faulted in and cleared), and the split copies what it keeps.  A buffer
    past BLOCK_KEEP_MAX is not kept: a worker of a long-lived cluster
    would hold it after the job.  (The buffer hangs on the thread object:
    a threading.local would not pickle with the function.)"""
    me = threading.current_thread()
    with open(path, "rb") as f:
        if start:
            f.seek(start - 1)
            f.readline()                # the line under way at `start` is the previous block's
        at = f.tell()
        want = start + length - at
        if want <= 0:
            return memoryview(b""), at
        buf = getattr(me, "civic_block", None)
        if buf is None or len(buf) < want + BLOCK_SLACK:
            me.civic_block = None
            buf = bytearray(want + BLOCK_SLACK)
            if len(buf) <= BLOCK_KEEP_MAX:
                me.civic_block = buf
        view = memoryview(buf)
        n = f.readinto(view[:want])
        if n and buf[n - 1] != 0x0A:
            tail = f.readline()         # the last line runs on past the block
            if n + len(tail) > len(buf):
                view.release()
                buf = bytearray(buf[:n]) + tail
                me.civic_block = buf if len(buf) <= BLOCK_KEEP_MAX else None
                view = memoryview(buf)
            else:
                view[n:n + len(tail)] = tail
            n += len(tail)
    return view[:n], at


def _count_before(path, offset, byte):
    """How many times `byte` occurs in the first `offset` bytes of a file."""
    n = 0
    with open(path, "rb") as f:
        while offset > 0:
            chunk = f.read(min(offset, 1 << 20))
            if not chunk:
                break
            n += chunk.count(byte)
            offset -= len(chunk)
    return n


def _file_line(path, offset, line):
    """Line `line` of a block starting at byte `offset`, as a line of the file."""
    return _count_before(path, offset, b"\n") + line


def _inside_quotes(path, offset):
    """Whether byte `offset` of a CSV file is inside a quoted field: an odd
    number of quotes before it (an escaped quote is two; the records before
    a block that failed may hold a stray one, hence the hint's "may")."""
    return _count_before(path, offset, b'"') % 2 == 1


_WHERE = re.compile(r"^line \d+(, column \d+)?: ")
_LINES = re.compile(r"\b(lines? )(\d+)(?:( to )(\d+))?")


def _shift_lines(message, by):
    """`message` with every line number in it moved on by `by`: the hints
    after the leading "line N" name lines too ("the quoted field opened at
    line N", "lines N to M were read as one record", "a carriage return at
    line N"), counted as the leading one is."""
    if not by:
        return message
    def shift(m):
        text = m.group(1) + str(int(m.group(2)) + by)
        if m.group(3):
            text += m.group(3) + str(int(m.group(4)) + by)
        return text
    return _LINES.sub(shift, message)
_GIVEN = re.compile(r"^the given header(?:, line (\d+))?(?:, column (\d+))?: ")


_UNTERMINATED = "unterminated quoted field at end of input"
RECORD_BYTES_MAX = 1 << 20                  # CIVIC_LINE_BYTES_MAX: a record past it is refused


def _unterminated_in_file(path, at, data, line, column, first):
    """The error civic-score gives a quote at `line`, `column` of the block
    `data` (at byte `at` of the file, `first` lines before it) that the block
    ends inside, as (message, column or 0), or None when the block is the
    file's last.  A block that is not the last ends before the file does:
    the quote takes the lines to the file's end, and a record that long past
    1 MiB is that error first; or the quote closes in a later block (a
    quoted line break where a block boundary falls, or a stray quote), and
    the field cannot be read here: said so, with the line it closes on."""
    start = _line_start(data, line)
    size = os.path.getsize(path)
    if start is None or at + len(data) >= size:
        return None
    after = data.count(b"\n", start + column - 1)
    last, quote, close = b"", False, None       # quote: the byte before was a quote
    with open(path, "rb") as f:
        f.seek(at + len(data))
        for chunk in iter(lambda: f.read(1 << 20), b""):
            k = 0
            if quote:                           # a quote ended the last chunk
                if chunk[:1] != b'"':
                    break                       # it closed the field
                k = 1
            quote = False
            while True:
                k = chunk.find(b'"', k)
                if k < 0 or k + 1 == len(chunk):
                    quote = k >= 0
                    break
                if chunk[k + 1:k + 2] != b'"':
                    close = k
                    break
                k += 2                          # "" inside the field
            if close is not None:
                after += chunk.count(b"\n", 0, close)
                break
            after += chunk.count(b"\n")
            last = chunk[-1:]
    if quote or close is not None:
        return ("a quoted field runs past the end of its block (the quote opens here and closes "
                "at line %d: blocks are cut at line breaks, so a quoted field may not hold one "
                "where a block ends)" % (first + line + after), column)
    after -= last == b"\n"                      # the input's own last line break
    body = size - at - start - (last == b"\n")
    if body > RECORD_BYTES_MAX:
        first_line = first + line
        return ("record longer than 1 MiB (the quoted field opened at line %d, column %d holds "
                "line breaks: lines %d to %d were read as one record)"
                % (first_line, column, first_line,
                   first_line + after + data.count(b"\n", start, start + column - 1)), 0)
    if not after:
        return _UNTERMINATED, column
    return ("%s (the quote opens here: %d line%s after it %s read into the field)" % (
        _UNTERMINATED, after, "" if after == 1 else "s", "was" if after == 1 else "were"),
        column)


def _header_line(path):
    """The line of a CSV file its header is on (after a BOM and blank
    lines, as _csv_header finds it)."""
    return _csv_header_at(path)[1] or 1


def _split_block(path, name, fmt, header, start, length, nparts, utc_offset, key, bindings,
                 library, spec_version=1):
    """Read one block and split it in C.  Returns a flat tuple (latest ts or
    None, events, part 0, ..., part P-1) whose parts are b"" when they hold
    no event, so that the graph moves each part on its own.  spec_version:
    the rules' (Rules.spec_version); under version 2 the split refuses a
    key in other letters as the partition's load would, on its line, not
    after a later bad line."""
    civic = _civic(bindings, library)
    data, at = _read_block(path, start, length)
    try:
        s = civic.split(data, nparts, format=fmt, header=header if at else None,
                        utc_offset=utc_offset, key=key, views=True,
                        spec_version=spec_version)
    except civic.CivicError as e:
        what = _WHERE.sub("", e.message or str(e))
        given = _GIVEN.match(what) if fmt != "jsonl" else None
        if given and header.startswith(BOM) and at:
            # a header that starts with a BOM of its own (after blank lines,
            # or a second one): the split drops it from a header given
            # apart, and may then say another error than civic-score, which
            # reads it as part of the first name; the file's first block
            # (to the header's end) says civic-score's, hint included
            _split_block(path, name, fmt, header, 0, _csv_header_at(path)[0] + len(header),
                         1, utc_offset, key, bindings, library, spec_version)
        if given:
            # the header given to a later block is the file's: named by its
            # line there, as the first block (and civic-score) name it
            what = what[given.end():]
            where = "line %d" % (_header_line(path) + int(given.group(1) or 1) - 1)
            if given.group(2):
                where += ", column %s" % given.group(2)
            raise _input_error("%s: %s: %s" % (name, where, what))
        if not e.line:
            raise _input_error("%s: %s" % (name, what))
        first = _file_line(path, at, 0)          # the lines before the block
        what = _shift_lines(what, first)
        column = e.column
        if what.startswith(_UNTERMINATED) and e.column:
            whole = _unterminated_in_file(path, at, bytes(data), e.line, e.column, first)
            if whole:
                what, column = whole
        inside = (fmt != "jsonl" and at and "blocks are cut" not in what
                  and _inside_quotes(path, at))
        if inside:
            # the block begins inside a quoted field of the file (README
            # limitation (c)): its first lines are the rest of that field,
            # read as records, so whatever the error says (a stray quote, a
            # field count, a bad ts) it may come of that
            what += (" (a quoted field with a line break may cross the block boundary before "
                     "line %d: use a larger --blocksize, or remove line breaks from quoted "
                     "fields)" % (first + 1))
        where = "line %d" % (first + e.line)
        if column:
            where += ", column %d" % column
        on_header = fmt != "jsonl" and at == 0 and e.line == _header_line(path)
        if on_header and header.startswith(BOM) and "U+FEFF" not in what:
            # civic-score's hint for a header line with a BOM of its own
            # (the split gives it for other lines only)
            what += " (%s)" % BOM_LINE
        # no event is named from a block begun inside a quoted field: its
        # "fields" may be pieces of that field's text
        event = (None if on_header or inside
                 else _event_on_line(bytes(data), fmt, header, e.line))
        if event:
            where += ": event id %r (subject %r)" % event
        raise _input_error("%s: %s: %s" % (name, where, what))
    del data
    parts = tuple(p if n else b"" for p, n in zip(s.parts, s.part_events))
    return (s.max_ts, s.events) + parts


def _event_on_line(data, fmt, header, line):
    """(id, subject) of the record that starts on physical line `line` of a
    block (a bad one, so maybe not readable at all), or None."""
    names = None
    if fmt != "jsonl":
        names = _csv_names(header.decode("utf-8", "replace"))
    return _event_in(data, fmt, names, line)


def _latest(*times):
    times = [t for t in times if t is not None]
    return max(times) if times else None


ID_BYTES_MAX = 128      # the library's longest event id or subject


def _event_at(piece, fmt, line):
    """(id, subject) of the record on physical line `line` of a piece (CSV
    with its header, or JSON Lines), for an error message; None if unsure."""
    names = None
    if fmt != "jsonl":
        head = _record_at(piece, 1)
        names = None if head is None else _csv_names(head)
    return _event_in(piece, fmt, names, line)


def _line_start(data, line):
    """Offset of physical line `line` (1-based; lines end in LF, as the
    library counts them) in bytes `data`, None past its end."""
    at = 0
    for _ in range(line - 1):
        at = data.find(b"\n", at) + 1
        if not at:
            return None
    return at if at < len(data) else None


def _record_at(data, line):
    """The text of the CSV record that starts on physical line `line` of
    bytes `data`, without its line break; None when that line begins inside
    a quoted field.  Only this record is read, not the ones before it (any
    of them may hold a field bigger than Python's csv module takes): the
    records before it passed the split, so their quotes pair up, and a line
    starts inside a quoted field when the quotes before it are odd."""
    at = _line_start(data, line)
    if at is None or data.count(b'"', 0, at) % 2:
        return None
    end, quotes = at, 0
    while True:
        nl = data.find(b"\n", end)
        if nl < 0:
            nl = len(data)
        quotes += data.count(b'"', end, nl)
        if quotes % 2 == 0 or nl == len(data):
            break
        end = nl + 1
    text = data[at:nl].decode("utf-8", "replace")
    return text[:-1] if text.endswith("\r") else text


def _csv_fields(text):
    """The fields of one CSV record's text, or None unless it is clean RFC
    4180 that Python's csv module can read: strict, so that a quote left
    open or a stray one is refused, not read as best it can be (an
    unterminated quote would make the rest of the record one field)."""
    import csv
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _csv_names(header):
    """A CSV header record's column names, as the library matches them."""
    fields = _csv_fields(header.lstrip("\ufeff").rstrip("\r\n"))
    return None if fields is None else [c.strip().lower() for c in fields]


def _event_in(data, fmt, names, line):
    """(id, subject) of the record that starts on physical line `line` of
    bytes `data`, given the CSV column names; None when it cannot be read,
    or its id or subject is none the library could hold (nor one to print
    whole)."""
    if fmt == "jsonl":
        at = _line_start(data, line)
        if at is None:
            return None
        end = data.find(b"\n", at)
        text = data[at:end if end >= 0 else len(data)].decode("utf-8", "replace")
        try:
            obj = json.loads(text.lstrip("\ufeff"))
        except ValueError:
            return None
        if not isinstance(obj, dict):
            return None
        event = obj.get("id"), obj.get("subject")
    else:
        text = _record_at(data, line)
        fields = None if text is None or names is None else _csv_fields(text)
        if fields is None or len(fields) != len(names):
            return None     # which field is the id or the subject would be a guess
        if sorted(c.strip().lstrip("\ufeff").strip().lower() for c in fields) == sorted(names):
            # the header again (files joined with cat), after its BOM or in
            # another column order too: no event, as civic-score
            return None
        rec = dict(zip(names, fields))
        event = rec.get("id"), rec.get("subject")
    for value in event:
        if not isinstance(value, str) or len(value.encode("utf-8", "replace")) > ID_BYTES_MAX:
            return None
    return event if event[0] else None


def _block_line(path, start, length, piece, line, fmt="csv"):
    """The line of the file that physical line `line` of a piece of the
    block (path, start, length) was copied from, or None when unsure.  The
    split copies each record unchanged and in order, so the piece's line is
    found among the block's lines: the same bytes, at a line start outside
    quotes, as often before it in the block as in the piece (an identical
    record has the same subject, so it is in the same piece).  Quotes
    count in CSV only: a JSON string holds no raw line break, so every
    line of JSON Lines is a record, and its quotes (an escaped \" among
    them) pair up with no line's."""
    csv = fmt != "jsonl"

    def outside(data, k):               # offset k is not inside a quoted CSV field
        return not csv or data.count(b'"', 0, k) % 2 == 0

    at = _line_start(piece, line)
    if at is None or not outside(piece, at):
        return None                     # inside a quoted field: no line to find
    end = piece.find(b"\n", at)
    text = piece[at:end + 1 if end >= 0 else len(piece)]
    seen, k = 0, 0
    while True:                         # how many times the line came before it
        k = piece.find(text, k)
        if k < 0 or k >= at:
            break
        if (k == 0 or piece[k - 1] == 0x0A) and outside(piece, k):
            seen += 1
        k += 1
    with open(path, "rb") as f:         # the block as _read_block cuts it (no buffer kept)
        if start:
            f.seek(start - 1)
            f.readline()
        first = f.tell()
        data = f.read(max(start + length - first, 0))
        if data and not data.endswith(b"\n"):
            data += f.readline()
    if data and not data.endswith(b"\n"):
        data += b"\n"                  # the file's last line, with no break: the split
                                       # gave its copy a line feed (civic.h)
    if not text.endswith(b"\n"):
        text += b"\n"
    k = 0
    bom = 3 if not first and data.startswith(BOM) else 0    # the split copies no BOM
    while True:
        k = data.find(text, k)
        if k < 0:
            return None
        if (k == bom or (k and data[k - 1] == 0x0A)) and outside(data, k):
            if not seen:
                return _file_line(path, first, data.count(b"\n", 0, k) + 1)
            seen -= 1
        k += 1


def _load_pieces(civic, engine, pieces, sources):
    """Load every non-empty piece into the engine, each as it is (a view of
    its split's buffer, read in place); a bad event becomes an input error
    naming the file, the line and column, the event id and the subject.
    The library's line is of the piece (the header and this partition's
    records of one block), not of the file: the file's is found by the
    record's bytes in the block (the column, in a line copied unchanged,
    is the same).  Returns (earliest ts, index of the first block that
    holds it) of the engine's events, None when it has none: the pieces
    come in block order, so that block's file is the first to hold it, the
    one civic-score's warning of an early ts names (the engine's time
    range after each load: no pass of its own over the events)."""
    early = None
    for k, (piece, (name, fmt, path, start, length)) in enumerate(zip(pieces, sources)):
        if not len(piece):
            continue
        try:
            engine.load(piece, format=fmt)
            span = engine.time_range
            if span and (early is None or span[0] < early[0]):
                early = (span[0], k)
        except civic.CivicError as e:
            message = _WHERE.sub("", e.message or str(e))
            data = bytes(piece) if e.line else b""
            event = _event_at(data, fmt, e.line) if e.line else None
            line = _block_line(path, start, length, data, e.line, fmt) if e.line else None
            if line:
                # a hint's lines are of the same record, whose lines follow
                # each other in the piece as in the file
                message = _shift_lines(message, line - e.line)
                name += ": line %d" % line
                if e.column:
                    name += ", column %d" % e.column
            if event:
                raise _input_error("%s: event id %r (subject %r): %s"
                                   % (name, event[0], event[1], message))
            raise _input_error("%s: %s" % (name, message))
    return early


def _fixed2(v):
    """int hundredths -> text with two decimals, as civic_format_fixed."""
    m = -v if v < 0 else v
    return "%s%d.%02d" % ("-" if v < 0 else "", m // 100, m % 100)


_NEEDS_QUOTES = re.compile(r'[,"\r\n]')


def _csv_field(s):
    """RFC 4180 quoting exactly as civic-score does it."""
    if _NEEDS_QUOTES.search(s):
        return '"' + s.replace('"', '""') + '"'
    return s


def _prefix(group, depth):
    """The depth-D prefix of a group path, None when it is shallower."""
    if depth == 0:
        return ""
    if not group:
        return None
    parts = group.split("/")
    if len(parts) < depth:
        return None
    return "/".join(parts[:depth])


def _subject_line(row):
    subject, group, score, grade, balance, flags = row
    return "%s,%s,%s,%s,%s,%s\n" % (_csv_field(subject), _csv_field(group), _fixed2(score),
                                    _csv_field(grade), _fixed2(balance), _csv_field(flags))


def _score_partition(pieces, sources, rules_text, as_of, mode, depth, top, threads, bindings,
                     library):
    """Load one partition's pieces (every event of its subjects) into a fresh
    engine and return (its part of the answer, its earliest ts and the
    block that holds it: _load_pieces), the part being
      subjects: [(subject, CSV line)] sorted by subject
      top:      best `top` as [(-score, subject, line)]
      groups:   {path: [n, sum, balance, min, max, grade counts, {score: n}]}
      ranks:    {path: best `top` as [(-score, subject, grade)]}"""
    civic = _civic(bindings, library)
    rows, early = [], None
    with civic.Rules.from_text(rules_text) as rules:
        grade_index = {g.name: i for i, g in enumerate(rules.grades)}
        if any(pieces):
            with civic.Engine(rules, threads=threads) as engine:
                early = _load_pieces(civic, engine, pieces, sources)
                del pieces
                if as_of is not None:
                    try:
                        rows = engine.subject_rows(as_of)
                    except civic.CivicError as e:
                        if e.code != civic.CIVIC_E_OVERFLOW:
                            raise
                        raise _overflow_error(mode in ("groups", "ranks")) from None
    return _partition_part(rows, mode, depth, top, grade_index), early


def _partition_part(rows, mode, depth, top, grade_index):
    """A partition's part of the answer from its subjects' rows."""
    if mode == "subjects":
        return [(row[0], _subject_line(row)) for row in rows]
    if mode == "top":
        best = heapq.nsmallest(top, ((-row[2], row[0], row) for row in rows))
        return [(neg, subject, _subject_line(row)) for neg, subject, row in best]
    if mode == "groups":
        ngrades = len(grade_index)
        out = {}
        for _, group, v, grade, b, _ in rows:
            path = _prefix(group, depth)
            if path is None:
                continue
            st = out.get(path)
            if st is None:
                st = out[path] = [0, 0, 0, v, v, [0] * ngrades, {}]
            st[0] += 1
            st[1] += v
            st[2] += b
            if v < st[3]:
                st[3] = v
            if v > st[4]:
                st[4] = v
            st[5][grade_index[grade]] += 1
            st[6][v] = st[6].get(v, 0) + 1
        return out
    if mode == "ranks":
        # no group sums: civic-score's rankings show none, and do not fail
        # when a group's balance passes 64 bits
        members = {}
        for subject, group, v, grade, b, _ in rows:
            path = _prefix(group, depth)
            if path is not None:
                members.setdefault(path, []).append((-v, subject, grade))
        return {path: heapq.nsmallest(top, best) for path, best in members.items()}
    raise ValueError("unknown mode %r" % mode)


INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def _overflow_error(groups):
    """civic-score's words for an overflow it cannot pin on a subject: a
    subject's sums, or (groups) a group's balance, past 64 bits of
    hundredths (SPEC: overflow is an error, never a wrapped or a wider
    sum)."""
    return _input_error(
        "arithmetic overflow: a subject's points, balance or dimension subtotal (about 9.2e16) "
        "or a tier's quantity (about 9.2e15 units)%s, summed, pass what 64 bits hold (rules "
        "with very large points or quantities, and many events or subjects)"
        % (", or a group's scores or balances (about 9.2e16)" if groups else ""))


def _check_balances(balances):
    """A group's balance is one 64-bit sum in the library (its score total
    is wider: only the mean is kept)."""
    if any(b < INT64_MIN or b > INT64_MAX for b in balances):
        raise _overflow_error(True)


def _check_ids_partition(pieces, sources, rules_text, threads, bindings, library):
    """Load one partition of a split by event id: every event of its ids in
    one engine, which rejects an id held with other fields -- another
    subject included -- as civic-score does."""
    civic = _civic(bindings, library)
    if not any(pieces):
        return 0
    with civic.Rules.from_text(rules_text) as rules, civic.Engine(rules, threads=threads) as e:
        _load_pieces(civic, e, pieces, sources)
        return e.event_count


# Merging partial answers (on the workers, in a tree, then on the client).

def _merge_groups(parts):
    out = {}
    for part in parts:
        for path, st in part.items():
            acc = out.get(path)
            if acc is None:
                out[path] = [st[0], st[1], st[2], st[3], st[4], list(st[5]), dict(st[6])]
                continue
            acc[0] += st[0]
            acc[1] += st[1]
            acc[2] += st[2]
            acc[3] = min(acc[3], st[3])
            acc[4] = max(acc[4], st[4])
            for i, n in enumerate(st[5]):
                acc[5][i] += n
            hist = acc[6]
            for v, n in st[6].items():
                hist[v] = hist.get(v, 0) + n
    return out


def _merge_ranks(parts, top):
    out = {}
    for part in parts:
        for path, rows in part.items():
            out.setdefault(path, []).extend(rows)
    return {path: heapq.nsmallest(top, rows) for path, rows in out.items()}


def _merge_top(parts, top):
    return heapq.nsmallest(top, (row for part in parts for row in part))


def _earliest(earlies):
    """The earliest of partitions' (earliest ts, block), the first block on
    a tie; None when none has an event."""
    earlies = [e for e in earlies if e is not None]
    return min(earlies) if earlies else None


def _latest_block(latests):
    """(latest ts, index of the first block that holds it) of the blocks'
    latest ts (their splits': the latest an engine loading them holds),
    None when none has an event: that block's file is the first to hold
    it, the one civic-score's warning of a late ts names."""
    late = None
    for k, t in enumerate(latests):
        if t is not None and (late is None or t > late[0]):
            late = (t, k)
    return late


def _merge_partials(parts, combine, **kw):
    """Partitions' (part of the answer, earliest ts and block) merged:
    combine's merge of the parts, and the earliest."""
    return combine([p[0] for p in parts], **kw), _earliest([p[1] for p in parts])


# --------------------------------------------------------------------------
# Client side
# --------------------------------------------------------------------------

def _div_round(total, n):
    """total / n rounded half away from zero (n > 0), as lib/groups.c."""
    q, r = divmod(abs(total), n)
    if 2 * r >= n:
        q += 1
    return q if total >= 0 else -q


def _median(hist, n):
    """Median of n scores given as {score: count}: the middle one, or the
    mean of the two middle ones rounded half away from zero."""
    lo, hi = (n - 1) // 2, n // 2
    a = b = None
    seen = 0
    for v in sorted(hist):
        seen += hist[v]
        if a is None and seen > lo:
            a = v
        if seen > hi:
            b = v
            break
    return _div_round(a + b, 2)


def format_groups(stats, grade_names):
    """The civic-score --groups D -f csv text from merged group partials."""
    out = ["group,subjects,mean,median,min,max,balance"]
    out.extend("," + _csv_field(g) for g in grade_names)
    out.append("\n")
    for path in sorted(stats, key=lambda p: p.encode("utf-8")):
        n, total, balance, low, high, grades, hist = stats[path]
        out.append("%s,%d,%s,%s,%s,%s,%s%s\n" % (
            _csv_field(path), n, _fixed2(_div_round(total, n)), _fixed2(_median(hist, n)),
            _fixed2(low), _fixed2(high), _fixed2(balance),
            "".join(",%d" % c for c in grades)))
    return "".join(out)


def format_ranks(ranks):
    """The civic-score --groups D --top N -f csv text."""
    out = ["group,rank,subject,score,grade\n"]
    for path in sorted(ranks, key=lambda p: p.encode("utf-8")):
        for i, (neg, subject, grade) in enumerate(ranks[path], 1):
            out.append("%s,%d,%s,%s,%s\n" % (_csv_field(path), i, _csv_field(subject),
                                             _fixed2(-neg), _csv_field(grade)))
    return "".join(out)


def _tree_reduce(items, merge, fan_in=8, **kw):
    """Reduce a list of delayed partials with `merge` in a tree on the
    cluster, so no single task (nor the client) holds every partial."""
    from dask import delayed
    if not items:
        return delayed(merge)([], **kw)
    while len(items) > 1:
        items = [delayed(merge)(items[i:i + fan_in], **kw)
                 for i in range(0, len(items), fan_in)]
    return items[0]


# What a file that is not text most likely is, from its first bytes (as
# civic-score says it): without this, a compressed log fails as "bad header".
# civic-score's advice pipes the text into it (zcat FILE | civic-score -);
# blocks are read from files, so here it is a command that writes one, with
# the file's own names (_made_name): {file} the log, {out} the file to make.
_NOT_TEXT = ((b"\x1f\x8b", "gzip-compressed data (decompress it first: zcat {file} > {out})",
              (".gz", ".gzip"), "unzipped"),
             (b"\x28\xb5\x2f\xfd", "zstd-compressed data (decompress it first: zstdcat {file} > "
                                 "{out})", (".zst", ".zstd"), "unzstd"),
             (b"\xfd\x37\x7a\x58\x5a", "xz-compressed data (decompress it first: xzcat {file} > "
                                     "{out})", (".xz",), "unxz"),
             (b"BZh", "bzip2-compressed data (decompress it first: bzcat {file} > {out})",
              (".bz2", ".bzip2"), "bunzipped"),
             (b"PK\x03\x04", "a zip archive (extract the log first)", (), ""),
             (b"SQLite format 3", "an SQLite database (export the events as CSV first)", (), ""),
             (b"\x7fELF", "a program, not an event log", (), ""),
             # UTF-32's marks before UTF-16's: FF FE begins both
             (b"\xff\xfe\0\0", "UTF-32 text (convert it first: iconv -f UTF-32 -t UTF-8 {file} > "
                               "{out})", (), "utf8"),
             (b"\0\0\xfe\xff", "UTF-32 text (convert it first: iconv -f UTF-32 -t UTF-8 {file} > "
                               "{out})", (), "utf8"),
             (b"\xff\xfe", "UTF-16 text (convert it first: iconv -f UTF-16 -t UTF-8 {file} > "
                           "{out})", (), "utf8"),
             (b"\xfe\xff", "UTF-16 text (convert it first: iconv -f UTF-16 -t UTF-8 {file} > "
                           "{out})", (), "utf8"))
LOG_EXTENSIONS = (".csv", ".jsonl", ".ndjson")


def _made_name(name, suffixes, tag, ext=".csv"):
    """The name of the text to make from the log `name` (a compressed file,
    UTF-16 ...): its name without the suffix of what it is (d10k.csv.gz ->
    d10k.csv, events.gz -> events.csv); a log's extension kept, `tag`
    before it where no suffix came off (x.csv -> x.unzipped.csv); else
    `ext` for its extension (export.txt -> export.csv).  A name that a
    file already has takes `tag` too (d10k.unzipped.csv): the command
    would overwrite it."""
    low = name.lower()
    stripped = next((name[:-len(x)] for x in suffixes
                     if low.endswith(x) and len(name) > len(x) and name[-len(x) - 1] != "/"),
                    None)
    base = name if stripped is None else stripped
    root, e = os.path.splitext(base)
    if e.lower() not in LOG_EXTENSIONS:
        base, e = root + ext, ext
    elif stripped is None:
        return "%s.%s%s" % (root, tag, e)
    if os.path.lexists(base):
        return "%s.%s%s" % (os.path.splitext(base)[0], tag, e)
    return base


def _quoted(name):
    import shlex
    return shlex.quote(name)


def _binary_kind(path, library):
    """None for a file that looks like text, else what it looks like
    (library: the libcivic to ask, only for a file holding NULs); path is
    the name as given, which the advice names."""
    with open(path, "rb") as f:
        head = f.read(4096)
    for magic, what, suffixes, tag in _NOT_TEXT:
        if head.startswith(magic):
            return what.format(file=_quoted(path),
                               out=_quoted(_made_name(path, suffixes, tag)))
    # a NUL in a CSV header, or NULs everywhere (UTF-16 without a BOM)
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    body = body.lstrip(b" \t\r\n")
    # "[{": a JSON array of events (an export); '[' alone may begin a CSV
    # header's first column name
    if body.startswith(b"[") and body[1:].lstrip(b" \t\r\n").startswith(b"{"):
        out = os.path.splitext(path)[0] + ".jsonl"          # export.json -> export.jsonl
        if out == path:
            out = os.path.splitext(path)[0] + ".lines.jsonl"
        return ("a JSON array (civic_dask reads JSON Lines, one object a line: jq -c '.[]' "
                "%s > %s)" % (_quoted(path), _quoted(out)))
    header = b"" if body.startswith(b"{") else body.split(b"\n", 1)[0]
    if b"\0" in header or head.count(b"\0") * 8 > len(head):
        # UTF-16 or UTF-32 without a byte order mark: the library's log
        # reader names it, in its own words (as civic-score asks it)
        lead = "not an event log: "
        try:
            civic = _civic(BINDINGS, os.path.abspath(library))
            civic.split(head, 1)
        except (ImportError, RuntimeError):
            pass  # not a libcivic, or not the one loaded: main says so next
        except civic.CivicError as e:
            if lead in str(e):
                named = str(e).split(lead, 1)[1]
                # with the command that converts it, as a marked file has it,
                # its byte order named (iconv reads unmarked UTF-16 as
                # big-endian), as civic-score says it
                for width in ("16", "32"):
                    if named == "UTF-%s text (event logs are UTF-8: convert it first)" % width:
                        code = "UTF-%s%s" % (width, "LE" if head[:1] != b"\0" else "BE")
                        return ("%s text (convert it first: iconv -f %s -t UTF-8 %s > %s)"
                                % (code, code, _quoted(path),
                                   _quoted(_made_name(path, (), "utf8"))))
                return named
        return "binary data (it holds NUL bytes; event logs are UTF-8 text)"
    return None


SCAN_BYTES = 1 << 16            # one read of the scans for a file's first text
LINE_BYTES_MAX = 1 << 20        # the library's longest record (CIVIC_LINE_BYTES_MAX)
BOM = b"\xef\xbb\xbf"
BOM_LINE = "the line starts with U+FEFF, a byte-order mark: were files joined? remove it"
_BLANKS = re.compile(rb"[ \t\r\n]*")
_BLANK_LINES = re.compile(rb"(?:\r?\n)*")


def _csv_header_names(line):
    """The line's comma-separated names hold id, subject, type and ts (as
    civic-score's test: a torn or garbled JSON line does not), matched as
    the library matches them: quoted or not, in any case, with blanks
    around them."""
    names = set()
    for name in line.split(b","):
        name = (name[:-1] if name.endswith(b"\r") else name).strip(b" \t")
        if len(name) >= 2 and name.startswith(b'"') and name.endswith(b'"'):
            name = name[1:-1].strip(b" \t")
        names.add(name.lower())
    return {b"id", b"subject", b"type", b"ts"} <= names


def _misnamed(path):
    """civic-score's message for a log whose name says the other format
    (an export renamed), None for any other; from the same first 4 KiB
    civic-score looks at, so that both refuse the same files."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head.startswith(BOM):
        head = head[3:]
    line = 1 + head[:len(head) - len(head.lstrip(b" \t\r\n"))].count(b"\n")
    head = head.lstrip(b" \t\r\n")
    # the line read, when blank lines come first ("its first line" is blank)
    which = "first line" if line == 1 else "first non-blank line, line %d," % line
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv" and head.startswith(b"{"):
        return ("looks like JSON Lines (its %s starts with '{'), but its name says "
                "CSV: rename it .jsonl" % which)
    if (ext in (".jsonl", ".ndjson") and head and not head.startswith(b"{")
            and _csv_header_names(head.split(b"\n", 1)[0])):
        return ("looks like CSV (its %s is a CSV header), but its name says "
                "JSON Lines: rename it .csv" % which)
    return None


def _sniff_jsonl(path):
    """True when the file's first character past a BOM, spaces, tabs and
    line breaks is '{' (docs/events.md), however far on it is: reads on in
    chunks, as blank lines may take more than any one read."""
    with open(path, "rb") as f:
        chunk = f.read(SCAN_BYTES)
        if chunk.startswith(BOM):
            chunk = chunk[3:]
        while chunk:
            at = _BLANKS.match(chunk).end()
            if at < len(chunk):
                return chunk[at:at + 1] == b"{"
            chunk = f.read(SCAN_BYTES)
    return False


def _csv_header_at(path):
    """(offset, line) of a CSV file's header: its first line past a BOM
    that is not blank (empty, or a CR alone: the library skips them);
    (size, None) for a blank file.  Reads on in chunks as far as needed."""
    with open(path, "rb") as f:
        pos = 3 if f.read(3) == BOM else 0
        line = 1
        while True:
            f.seek(pos)
            chunk = f.read(SCAN_BYTES)
            at = _BLANK_LINES.match(chunk).end()
            line += chunk.count(b"\n", 0, at)
            if len(chunk) < SCAN_BYTES and chunk[at:] in (b"", b"\r"):
                return pos + len(chunk), None   # blank to the end
            if at < len(chunk) - 1 or (at == len(chunk) - 1 and chunk[at:] != b"\r"):
                return pos + at, line
            # blank to the end of the read, or but a CR there whose line may
            # be blank (the LF next): read on from there
            pos += at


def _csv_header(path, name):
    """(the header line of a CSV file, the offset where it ends, its line),
    or None for a blank file: the line every block is split with.  Read
    whole, up to the library's record limit; a longer one is refused as
    civic-score (the library) refuses it."""
    start, line = _csv_header_at(path)
    if line is None:
        return None
    with open(path, "rb") as f:
        f.seek(start)
        head = f.readline(LINE_BYTES_MAX + 2)
        rest = (f.read(LINE_BYTES_MAX + 2 - len(head))
                if head.endswith(b"\n") and _quote_open_at_end(head) else b"")
    if len(head) - head.endswith(b"\n") > LINE_BYTES_MAX:
        # a lone CR (old Mac line ends) first, as the library looks for it
        # first in the header's first 1 MiB: the whole file is one "line"
        cr = head.find(b"\r", 0, LINE_BYTES_MAX)
        if cr >= 0:
            raise _input_error("%s: line %d, column %d: %s" % (name, line, cr + 1, HEADER_CR))
        raise _input_error("%s: line %d: record longer than 1 MiB" % (name, line))
    if rest and _quote_closes(rest):
        # the header record goes on past its line: every later block would
        # be given its first line alone (README limitation (c)), whatever
        # the block size, so refused for them all
        raise _input_error("%s: line %d: the header holds a line break in a quoted column name: "
                           "civic_dask reads a CSV header of one line; rename the column"
                           % (name, line))
    return (head if head.endswith(b"\n") else head + b"\n"), start + len(head), line


HEADER_CR = "a carriage return inside the header (lines must end in LF or CRLF)"


def _quote_open_at_end(line):
    """Whether a CSV line ends inside a quoted field, as the library reads
    it: a quote opens a field only as its first byte, "" inside is one."""
    inside, field_start = False, True
    i, n = 0, len(line)
    while i < n:
        c = line[i:i + 1]
        if inside:
            if c == b'"':
                if line[i + 1:i + 2] == b'"':
                    i += 1
                else:
                    inside = False
        elif c == b'"' and field_start:
            inside = True
        field_start = not inside and c == b","
        i += 1
    return inside


def _quote_closes(rest):
    """Whether the quoted field a record's first line left open closes in
    `rest` (the bytes after that line), so that the record ends."""
    i = 0
    while True:
        i = rest.find(b'"', i)
        if i < 0:
            return False
        if rest[i + 1:i + 2] != b'"':
            return True
        i += 2


def _parse_size(text):
    """'16MB', '64MiB', '1000000' -> bytes."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(i?)[bB]?\s*$", str(text))
    if not m:
        raise ValueError("bad size %r" % (text,))
    unit = {"": 0, "k": 1, "m": 2, "g": 3}[m.group(2).lower()]
    return int(float(m.group(1)) * (1024 if m.group(3) else 1000) ** unit)


# The smallest --blocksize taken: each block is P + 2 tasks at ~1 ms of the
# scheduler's each, so 1-byte blocks of a 460 kB log ran for more than 20
# minutes in 2.8 GB.  run() takes any size (its caller decides).  The tests
# force several blocks on small files with CIVIC_DASK_TEST_MIN_BLOCKSIZE, a
# test hook, not an option.
BLOCKSIZE_MIN = 64000


def _blocksize_min():
    hook = os.environ.get("CIVIC_DASK_TEST_MIN_BLOCKSIZE", "")
    return int(hook) if hook.isdigit() else BLOCKSIZE_MIN


def plan_blocks(files, blocksize):
    """[(path, name, format, CSV header, start, length)] over every file:
    the format goes by extension (.csv, .jsonl, .ndjson), else by content.
    A length is `blocksize` or what the file holds from `start`, the less."""
    blocks = []
    for name in files:
        # Workers open the absolute path (their working directory may differ);
        # messages name the file as given, as civic-score does.
        path = os.path.abspath(name)
        size = os.path.getsize(path)
        if size == 0:
            continue
        ext = os.path.splitext(path)[1].lower()
        jsonl = ext in (".jsonl", ".ndjson") or (ext != ".csv" and _sniff_jsonl(path))
        fmt = "jsonl" if jsonl else "csv"
        header = None if jsonl else _csv_header(path, name)
        if not jsonl and header is None:
            continue                    # blank: no header, no events
        header, first = (None, 0) if jsonl else header[:2]
        # The first block reaches at least past the header line, which it
        # holds whole, and no later one holds it: after blank lines longer
        # than a block, the block the header began was split with the
        # header given apart, and took it for an event.
        # No block reaches past the end the file has now: its reader's buffer
        # is the block's length (a small file with --blocksize 1GB took a
        # gigabyte).  A file that grows meanwhile is read as planned: a
        # block holds the lines that start in it, the last one whole.
        first = max(first, blocksize)
        blocks.append((path, name, fmt, header, 0, min(first, size)))
        for start in range(first, size, blocksize):
            blocks.append((path, name, fmt, header, start, min(blocksize, size - start)))
    return blocks


# The scheduler spends ~1 ms or more per task (measured 1-4 ms), and a split
# is a task per block plus one per block and part, so a large --partitions
# over a small input spent minutes on tasks of nothing before the answer,
# which depends on no P.  Past this many, main warns before the work starts.
TASKS_WARN = 100000


def task_count(nblocks, nparts, check_ids=False):
    """The Dask tasks of a run: per split, blocks x (P + 2) (the split and
    its P + 1 outputs) + P scores; --check-ids splits and loads again."""
    return (2 if check_ids else 1) * (nblocks * (nparts + 2) + nparts)


def many_tasks_warning(nblocks, nparts, check_ids=False):
    """The warning for a run of more than TASKS_WARN tasks, else None."""
    tasks = task_count(nblocks, nparts, check_ids)
    if tasks <= TASKS_WARN:
        return None
    minutes = tasks // 60000
    text = ("civic_dask: warning: --partitions %d over %d block%s is {:,} Dask tasks, at 1 ms "
            "or more each %s of the scheduler's time: the answer is the same for any "
            "--partitions; " % (nparts, nblocks, "" if nblocks == 1 else "s",
                                "%d minute%s or more" % (minutes, "" if minutes == 1 else "s")
                                if minutes else "seconds")).format(tasks)
    fit = (TASKS_WARN // (2 if check_ids else 1) - 2 * nblocks) // (nblocks + 1)
    if fit >= 1:
        return text + ("use at most {:,} for {:,} tasks, or leave it out (one per worker "
                       "thread)").format(fit, TASKS_WARN)
    return text + ("no --partitions keeps %d blocks under {:,} tasks: use a larger "
                   "--blocksize" % nblocks).format(TASKS_WARN)


def run(client, files, rules_text, as_of=None, groups=None, top=None, nparts=None,
        blocksize="16MB", library=LIBRARY, bindings=BINDINGS, verify_ids=False, threads=2):
    """Compute the civic-score CSV text for `files` on `client`'s cluster.
    as_of: None (latest ts in the input) or a time accepted by
    Rules.parse_time.  threads: each engine's own threads (1: the worker's
    thread only, which costs no more CPU per event; 2, the default, lets an
    engine use a core another worker has left idle).  Returns (text, info
    dict); info["warnings"] holds civic-score's warnings about the input
    (input_warnings), for standard error."""
    from dask import delayed
    civic = _civic(bindings, library)
    t0 = time.time()
    with civic.Rules.from_text(rules_text) as rules:
        grade_names = [g.name for g in rules.grades]
        utc_offset = rules.utc_offset
        spec_version = rules.spec_version
        as_of_t = None if as_of is None else rules.parse_time(as_of)
    if groups is None:
        mode = "top" if top else "subjects"
    else:
        mode = "ranks" if top else "groups"
    empty = {"subjects": "subject,group,score,grade,balance,flags\n",
             "top": "subject,group,score,grade,balance,flags\n",
             "groups": format_groups({}, grade_names),
             "ranks": format_ranks({})}[mode]
    info = {"files": len(files)}
    blocks = plan_blocks(files, _parse_size(blocksize))
    info["blocks"] = len(blocks)
    if not blocks:
        info["events"] = 0
        info["warnings"] = input_warnings(civic, rules_text, files, as_of, 0, None)
        return empty, info
    if nparts is None:
        # One per worker thread: fewer, bigger engines, and one of two or
        # three partitions of a numbered log keeps its ids in the engine's
        # array, not its hash table (docs/internals.md).
        nparts = sum(client.nthreads().values()) or 1
    info["partitions"] = nparts
    warning = many_tasks_warning(len(blocks), nparts, verify_ids)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    sources = [(name, fmt, path, start, length) for path, name, fmt, _, start, length in blocks]

    def split_all(key):
        return [delayed(_split_block, pure=True, nout=nparts + 2)(
                    path, name, fmt, header, start, length, nparts, utc_offset, key, bindings,
                    library, spec_version)
                for path, name, fmt, header, start, length in blocks]

    splits = split_all("subject")
    as_of_v = as_of_t if as_of_t is not None else delayed(_latest)(*[s[0] for s in splits])
    parts = [delayed(_score_partition, pure=True)([s[2 + p] for s in splits], sources, rules_text,
                                                  as_of_v, mode, groups or 0, top or 0, threads,
                                                  bindings, library)
             for p in range(nparts)]
    if mode == "subjects":
        answer = parts
    elif mode == "top":
        answer = _tree_reduce(parts, _merge_partials, combine=_merge_top, top=top)
    elif mode == "groups":
        answer = _tree_reduce(parts, _merge_partials, combine=_merge_groups)
    else:
        answer = _tree_reduce(parts, _merge_partials, combine=_merge_ranks, top=top)
    wanted = [answer, as_of_v, [s[1] for s in splits], [s[0] for s in splits]]
    if verify_ids:
        by_id = split_all("id")
        wanted.append([delayed(_check_ids_partition, pure=True)(
            [s[2 + p] for s in by_id], sources, rules_text, threads, bindings, library)
            for p in range(nparts)])
    # distributed reads the source of the code that calls compute, for its
    # dashboard (inspect.getsource: ~0.1 s of the client's time, every run);
    # this module only wraps compute, which is what the option is for.
    import dask
    ignore = list(dask.config.get("distributed.diagnostics.computations.ignore-modules", []))
    with dask.config.set({"distributed.diagnostics.computations.ignore-modules":
                          ignore + [re.escape(__name__)]}):
        got = client.compute(wanted, sync=True)
    result, info["as_of"], info["events"] = got[0], got[1], sum(got[2])
    late = _latest_block(got[3])
    if mode == "subjects":
        early = _earliest([r[1] for r in result])
        result = [r[0] for r in result]
    else:
        result, early = result
    info["warnings"] = input_warnings(civic, rules_text, files, as_of, info["events"],
                                      early and (early[0], blocks[early[1]][1]),
                                      late and (late[0], blocks[late[1]][1]))
    if mode == "subjects":
        text = empty + "".join(line for _, line in heapq.merge(*result))
    elif mode == "top":
        text = empty + "".join(line for _, _, line in result)
    elif mode == "groups":
        _check_balances(st[2] for st in result.values())
        text = format_groups(result, grade_names)
    else:
        text = format_ranks(result)
    info["total_s"] = round(time.time() - t0, 2)
    return text, info


HEAD_BYTES = 4096       # civic-score looks at a log's first 4 KiB for its header's warnings
# civic-score's kinds of input warnings, in its order (warn_print), and what
# "(2 such ...)" counts
_WARN_KINDS = (("qty", "columns"), ("group", "columns"), ("ref", "columns"), ("key", "keys"),
               ("ts", ""), ("late_ts", ""), ("as_of", ""))


def input_warnings(civic, rules_text, files, as_of, events, early, late=None):
    """civic-score's warnings about the input, in its words and order (the
    text after "warning: "), from what this run has at hand, without a
    reading of the input of its own: each file's header (its first 4 KiB,
    as civic-score reads them: a CSV column most likely meant for qty,
    group or ref; under version-1 rules a JSON Lines key in other letters),
    the earliest ts (early: (ts, the first file that holds it), from the
    partitions' engines) and the latest (late: likewise, from the blocks'
    splits), an as_of of bare digits, and no events without one.  Through
    the binding's civic._hints, which mirrors civic-score's checks.  Not
    given: the rules file's, and a subject with blanks at an end (README,
    limit (f))."""
    hints = civic._hints
    capi = civic._capi
    said = {}                       # kind -> [first text, count]

    def note(kind, text):
        if kind in said:
            said[kind][1] += 1
        else:
            said[kind] = [text, 1]

    with civic.Rules.from_text(rules_text) as rules, rules._use() as p:
        keys_ignored = rules.spec_version < 2
        for name in files:
            try:
                with open(name, "rb") as f:
                    head = f.read(HEAD_BYTES)
            except OSError:
                continue
            ext = os.path.splitext(name)[1].lower()
            fmt = (capi.CIVIC_FORMAT_CSV if ext == ".csv" else
                   capi.CIVIC_FORMAT_JSONL if ext in (".jsonl", ".ndjson") else
                   capi.CIVIC_FORMAT_AUTO)
            for text in hints.log_hints(head, len(head) < HEAD_BYTES, fmt, keys_ignored, name):
                meant = re.search(r"is ignored: did you mean '(qty|group|ref)'\? without it "
                                  r"[^']*$", text)
                note(meant.group(1) if meant else "key", text)
        if early is not None:
            text = hints.early_ts(p, early[0], early[1])
            if text:
                note("ts", text)
        if late is not None:
            text = hints.late_ts(p, late[0], late[1])
            if text:
                note("late_ts", text)
        secs = hints.small_seconds(as_of) if isinstance(as_of, str) else None
        if secs is not None:
            note("as_of", "--as-of %s is Unix seconds: %s; a date needs its dashes (%s)"
                 % (hints.time_shown(as_of), hints.format_time(p, secs), hints.meant(p, secs)))
        out = []
        for kind, such in _WARN_KINDS:
            if kind in said:
                text, n = said[kind]
                out.append(text + (" (%d such %s)" % (n, such) if n > 1 else ""))
        if not events and as_of is None:
            # civic-score's time 0, documented, is rarely meant (a notice of 1970)
            out.append("no events and no -t: the answer is as of %s (Unix time 0); give -t"
                       % hints.format_time(p, 0))
    return out


GROUPS_DEPTH_MAX = 64                   # civic-score's --groups
TOP_MAX = (1 << 64) - 1                 # civic-score's --top: any 64-bit count


def _number(text, low, high):
    """int of a string of ASCII digits in low..high, else None."""
    if not re.fullmatch(r"[0-9]+", text):
        return None
    n = int(text)
    return n if low <= n <= high else None


def _dask_missing(e):
    """"dask" or "distributed" when the ImportError e says that it is not
    installed (dask.distributed re-raises the latter as a plain ImportError
    from it), None when an installed one is broken."""
    while e is not None:
        if isinstance(e, ModuleNotFoundError):
            name = (e.name or "").split(".")[0]
            if name in ("dask", "distributed"):
                return name
        e = e.__cause__
    return None


def _no_dask(missing):
    """The one line said when `missing` ("dask" or "distributed") cannot be
    imported: for the interpreter this runs under, which is not always the
    one Debian's python3-dask and python3-distributed install for (pyenv's
    python3, a venv's, first on PATH)."""
    what = "dask" if missing == "dask" else "distributed (dask.distributed)"
    here = sys.executable or "this interpreter"
    install = "sudo apt-get update && sudo apt-get install -y python3-dask python3-distributed"
    if (sys.executable and os.path.realpath(sys.executable) == os.path.realpath(DEBIAN_PYTHON)
            and sys.prefix == sys.base_prefix):
        if missing != "dask":
            install = "sudo apt-get update && sudo apt-get install -y python3-distributed"
        return "civic_dask: %s is not installed for %s: %s" % (what, here, install)
    if os.path.exists(DEBIAN_PYTHON):
        return ("civic_dask: %s is not installed for %s, the interpreter this ran under: run it "
                "with %s, for which Debian's packages install Dask (%s)"
                % (what, here, DEBIAN_PYTHON, install))
    return ("civic_dask: %s is not installed for %s, the interpreter this ran under: install "
            "dask and distributed for it (%s -m pip install dask distributed)"
            % (what, here, here))


def _not_libcivic(message, library):
    """Why the binding could not load `library`, from its ImportError's
    message, or None when the message is about something else.  The
    loader's reason comes last ("PATH: invalid ELF header" for a static
    archive or a file that is no library); a shared library without
    civic_version_number is some other library."""
    if message.startswith(library + " is not libcivic: "):
        return "not a libcivic shared library (%s)" % message[len(library) + 18:]
    if message.startswith(library + " is libcivic "):
        return message[len(library) + 1:]          # another major version, or too old
    last = message.rstrip().splitlines()[-1].strip()
    if "tried:" not in message or library not in last:
        return None
    why = last[last.rindex(library) + len(library):].lstrip(": ")
    return "not a libcivic shared library (%s)" % (why or "it cannot be loaded")


def _write_all(stream, text):
    """Write text to a text stream whole, as UTF-8, and flush it.  Through
    its bytes layer, every byte until all are taken: unbuffered (python3
    -u, PYTHONUNBUFFERED), that layer is the file itself, whose write may
    take part (a pipe whose reader leaves), which a text stream's write
    drops without a word, so the error of the next write was never seen."""
    stream.flush()
    out = getattr(stream, "buffer", None)
    if out is None:
        stream.write(text)
        stream.flush()
        return
    data = memoryview(text.encode("utf-8"))      # civic-score's bytes, whatever the locale
    while len(data):
        n = out.write(data)
        if n is None:                               # a non-blocking descriptor, full
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        data = data[n:]
    out.flush()


def _output_problem(path):
    """Why the output file `path` cannot be written, as far as that can be
    told without writing it, else None: no such directory, a directory, a
    file or a directory that this user may not write (access(2): the
    permissions, a read-only file system, an immutable file)."""
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "a directory, not a file"
    if not os.path.isdir(parent):
        return "no such directory"
    if os.path.exists(path):
        if not os.access(path, os.W_OK):
            return "not writable (its permissions, or a read-only file system)"
    elif not os.access(parent, os.W_OK | os.X_OK):
        return ("cannot be created: the directory %s is not writable (its permissions, or a "
                "read-only file system)" % parent)
    return None


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1, as civic-score's (argparse's own exit 2 is
    civic-score's status for bad rules or input)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(1, "%s: error: %s\n" % (self.prog, message))


def main(argv=None):
    ap = _Parser(
        prog="civic_dask.py",
        description="Score libcivic event logs on a Dask cluster; the CSV output is "
                    "byte-identical to civic-score -f csv on the same files.")
    ap.add_argument("files", nargs="+", metavar="FILES", help="CSV / JSON Lines event files")
    ap.add_argument("-o", "--output", required=True, help="output CSV file ('-': stdout)")
    ap.add_argument("-r", "--rules", help="rules file (default: the built-in scheme)")
    ap.add_argument("-t", "--as-of", help="evaluation time (default: the latest ts in the input)")
    ap.add_argument("--groups", metavar="D", help="group statistics at depth D (0..64)")
    ap.add_argument("--top", metavar="N",
                    help="only the N best (with --groups: within every group)")
    ap.add_argument("--scheduler", metavar="ADDRESS",
                    help="an existing Dask scheduler, e.g. tcp://host:8786 "
                         "(default: a LocalCluster of this process's threads; "
                         "--processes for processes)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="LocalCluster workers, one thread each (default: the CPU count)")
    ap.add_argument("--processes", action="store_true",
                    help="LocalCluster workers in processes of their own (default: threads of "
                         "this process, which libcivic's calls do not serialize)")
    ap.add_argument("--partitions", type=int, metavar="P",
                    help="subject partitions (default: one per worker thread)")
    ap.add_argument("--blocksize", default="16MB",
                    help="input block size, cut at line breaks (default 16MB)")
    ap.add_argument("--engine-threads", type=int, default=2, metavar="N",
                    help="each engine's own load and query threads (default 2: an engine may "
                         "use a core another worker left idle; 1: the worker's thread only, "
                         "as fast on a busy machine; 0: the CPU count, at most 8)")
    ap.add_argument("--library", default=os.environ.get("CIVIC_LIBRARY") or LIBRARY,
                    help="libcivic.so.1 for the workers (default: $CIVIC_LIBRARY, else %s)"
                         % LIBRARY)
    ap.add_argument("--check-ids", action="store_true",
                    help="also reject an event id used by several subjects (a second split, "
                         "by event id, and a load of each id partition)")
    ap.add_argument("-v", "--verbose", action="store_true", help="timings on stderr")
    a = ap.parse_args(argv)
    # As civic-score reads them: ASCII digits only (int() would also take a
    # sign, spaces, underscores and other scripts' digits); a --top past
    # 2^64-1 means all.
    if a.groups is not None:
        text, a.groups = a.groups, _number(a.groups, 0, GROUPS_DEPTH_MAX)
        if a.groups is None:
            ap.error("--groups needs a depth 0..%d, not '%s'" % (GROUPS_DEPTH_MAX, text))
    if a.top is not None:
        text = a.top
        digits = text.lstrip("0") if re.fullmatch(r"[0-9]+", text) else ""
        a.top = TOP_MAX if len(digits) > 20 else _number(text, 1, TOP_MAX)
        if a.top is None and digits:
            a.top = TOP_MAX
        if a.top is None:
            ap.error("--top needs a positive number, not '%s'" % text)
    if a.partitions is not None and not 1 <= a.partitions <= 65536:
        ap.error("--partitions needs a number 1..65536")
    if a.workers < 1:
        ap.error("--workers needs a positive number")
    if a.engine_threads < 0:
        ap.error("--engine-threads needs a number >= 0")
    try:
        if _parse_size(a.blocksize) < 1:
            raise ValueError("empty blocks")
    except ValueError:
        ap.error("--blocksize needs a size such as 16MB")
    if _parse_size(a.blocksize) < _blocksize_min():
        ap.error("--blocksize needs at least 64kB (%d bytes), not '%s': every block is "
                 "several tasks, and tiny blocks make millions of them" % (BLOCKSIZE_MIN,
                                                                          a.blocksize))
    if a.as_of == "now":            # as civic-score -t now: the present moment
        a.as_of = int(time.time())
    if a.output != "-":
        # what can be told before anything is read, not after the whole
        # job (a full disk, /dev/full, is found when the answer is written)
        why = _output_problem(a.output)
        if why:
            ap.error("-o %s: %s" % (a.output, why))
    if a.output != "-":
        # before anything is read: writing the answer would destroy the log
        # (another spelling of its name, or a link to it, included)
        for f in a.files + ([a.rules] if a.rules else []):
            try:
                same = os.path.samefile(a.output, f)
            except OSError:
                continue                # not there yet (-o), or told below (an input)
            if same:
                ap.error("-o %s is the %s file %s: it would be overwritten (write the "
                         "output elsewhere)" % (a.output, "rules" if f is a.rules else "input",
                                                f))
    if not os.path.isfile(a.library):
        ap.error("--library %s: no such file (build it with make)" % a.library)
    for f in a.files:
        if not os.path.isfile(f):
            # a pipe (a shell's <(...)), a device (/dev/null) or a socket:
            # blocks are read at offsets, in any order, which a stream has not
            why = ("standard input is not read: give files" if f == "-" else
                   "cannot read: Is a directory" if os.path.isdir(f) else
                   "not a regular file (civic_dask reads files by blocks, at offsets: save the "
                   "stream to a file first)" if os.path.exists(f) else
                   "cannot open: No such file or directory")     # civic-score's words
            print("civic_dask: %s: %s" % (f, why), file=sys.stderr)
            return EXIT_INPUT
        try:
            what = _binary_kind(f, a.library)
        except OSError as e:
            print("civic_dask: %s: %s" % (f, e.strerror or e), file=sys.stderr)
            return EXIT_INPUT
        if what:
            print("civic_dask: %s: not an event log: %s" % (f, what), file=sys.stderr)
            return EXIT_INPUT
        # each of its lines would be bad: civic-score's words, not the first
        # line's parse error
        what = _misnamed(f)
        if what:
            print("civic_dask: %s: %s" % (f, what), file=sys.stderr)
            return EXIT_INPUT
    library = os.path.abspath(a.library)
    try:
        civic = _civic(BINDINGS, library)
    except ImportError as e:
        why = _not_libcivic(str(e), library)
        if why is None:
            raise
        print("civic_dask: --library %s: %s" % (a.library, why), file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as e:
        # this process had imported another binding or library (main()
        # called again in one interpreter): as a worker's, _check_loaded
        if LIBRARY_ERROR not in str(e):
            raise
        print("civic_dask: " + str(e).split(LIBRARY_ERROR, 1)[1], file=sys.stderr)
        return EXIT_USAGE
    if a.rules:
        # read by the library, so that a bad file is told in civic-score's
        # words (the file, line and column; a file it cannot open by name)
        try:
            civic.Rules.from_file(a.rules).close()
            with open(a.rules, "rb") as f:
                rules_text = f.read().decode("utf-8-sig")
        except civic.CivicError as e:
            # the file first, as civic-score's file_words: the library's
            # "cannot open PATH: reason" as "PATH: cannot open: reason"
            io = (re.match(r"(cannot (?:open|read)) .*: (.*)\Z", e.message, re.S)
                  if e.code == civic.CIVIC_E_IO else None)
            # what the file is, when the library says (an event log, JSON):
            # its line and column, not the parser's words before that, as
            # civic-score's rules_file_what
            what = re.match(r"(line \d+, column \d+: )(?:.*; )?(not a rules file: .*)\Z",
                            e.message, re.S)
            said = ("%s: %s" % io.groups() if io else what.group(1) + what.group(2) + (
                ": the rules file is the one given with -r, the logs come after the options"
                if what.group(2).startswith("not a rules file: an event log") else "")
                if what else e.message)
            print("civic_dask: %s: %s" % (a.rules, said), file=sys.stderr)
            return EXIT_INPUT
        except (OSError, UnicodeDecodeError) as e:
            print("civic_dask: %s: %s" % (a.rules, getattr(e, "strerror", None) or e),
                  file=sys.stderr)
            return EXIT_INPUT
    else:
        rules_text = civic.default_rules_text()
    if a.as_of is not None:
        try:
            with civic.Rules.from_text(rules_text) as r:
                r.parse_time(a.as_of)
        except civic.CivicError as e:
            # as civic-score says it: the reason for a time of the right form
            # that does not exist, else the forms; and the library's hint
            # after either ("(write 2026-12-01)", "it looks like
            # milliseconds ...")
            why = e.message.split("': ", 1)[1] if "': " in e.message else ""
            if e.code == civic.CIVIC_E_LIMIT:
                hint = why.split(" in UTC", 1)[1] if " in UTC" in why else ""
                print("civic_dask: --as-of time %r out of range (years 0001..9999 in UTC)%s"
                      % (a.as_of, hint), file=sys.stderr)
            elif why and not why.startswith("not a timestamp"):
                print("civic_dask: bad --as-of time %r: %s" % (a.as_of, why), file=sys.stderr)
            else:
                hint = why.split("or Unix seconds)", 1)[1] if "or Unix seconds)" in why else ""
                print("civic_dask: bad --as-of time %r (YYYY-MM-DD, "
                      "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], Unix seconds or now)%s" % (a.as_of, hint),
                      file=sys.stderr)
            return EXIT_USAGE

    import logging
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        missing = _dask_missing(e)
        if missing is None:
            raise
        print(_no_dask(missing), file=sys.stderr)
        return EXIT_NO_DASK
    os.environ["CIVIC_LIBRARY"] = library       # inherited by LocalCluster workers
    cluster = None
    if a.scheduler:
        try:
            client = Client(a.scheduler)    # waits distributed.comm.timeouts.connect
        except (OSError, TimeoutError, ValueError) as e:
            # one line, not the tracebacks of distributed's retries
            why = str(e).splitlines()[0] if str(e) else type(e).__name__
            print("civic_dask: --scheduler %s: cannot connect (%s)" % (a.scheduler, why),
                  file=sys.stderr)
            return EXIT_USAGE
    else:
        # Worker to worker on one machine: compressing the parts (lz4 by
        # default) costs more CPU than the copy it saves -- a third of the
        # workers' transfer time.  The workers take the setting at start.
        import dask
        dask.config.set({"distributed.comm.compression": None})
        # Threads by default: the work is libcivic's, which releases the GIL
        # (ctypes), so worker threads run in parallel, and parts pass between
        # them by reference -- no process start, no pickling, no copies.
        # Its logs only at CRITICAL: a task's failure comes back to the
        # client, which reports it (a bad input as one line).  At ERROR,
        # workers may also log, after a failure, the missing inputs of sibling
        # tasks the failed computation gave up (a KeyError; seen on the test
        # suite's cluster).
        # Every listening socket on the loopback: Dask's HTTP servers (its
        # dashboard, its health and metrics pages) listen on every interface
        # by default, dashboard_address=None included, and they have no
        # authentication.
        # (Threads talk in process: no host to give.)
        local = {"host": "127.0.0.1"} if a.processes else {}
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1,
                               processes=a.processes, dashboard_address="127.0.0.1:0",
                               worker_dashboard_address="127.0.0.1:0",
                               silence_logs=logging.CRITICAL, **local)
        client = Client(cluster)
    try:
        text, info = run(client, a.files, rules_text,
                         as_of=a.as_of, groups=a.groups, top=a.top, nparts=a.partitions,
                         blocksize=a.blocksize, library=library, verify_ids=a.check_ids,
                         threads=a.engine_threads)
    except Exception as e:      # noqa: BLE001 -- input errors come back as ValueError
        msg = str(e)
        if LIBRARY_ERROR in msg:
            print("civic_dask: " + msg[msg.index(LIBRARY_ERROR) + len(LIBRARY_ERROR):],
                  file=sys.stderr)
            return EXIT_USAGE
        if INPUT_ERROR in msg:
            print("civic_dask: " + msg[msg.index(INPUT_ERROR) + len(INPUT_ERROR):],
                  file=sys.stderr)
            return EXIT_INPUT
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    # after the load, before the answer, as civic-score says them
    for warning in info.pop("warnings", ()):
        print("civic_dask: warning: " + warning, file=sys.stderr)
    try:
        if a.output == "-":
            _write_all(sys.stdout, text)
        else:
            with open(a.output, "w", encoding="utf-8", newline="") as f:
                f.write(text)
    except BrokenPipeError:
        # the reader left (| head): end as civic-score does, by SIGPIPE
        import signal
        sys.stderr.flush()
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
        return EXIT_OUTPUT
    except OSError as e:
        # civic-score's words and status for an output it could not write
        print("civic_dask: %scannot write output: %s"
              % ("" if a.output == "-" else a.output + ": ", e.strerror or e), file=sys.stderr)
        return EXIT_OUTPUT
    if a.verbose:
        print("civic_dask: %s" % " ".join("%s=%s" % kv for kv in info.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    status = main()
    # Everything is written and closed by now.  Leave without the
    # interpreter's teardown of the ~1,000 modules Dask imported (~0.3 s).
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            pass        # said by main (an output it could not write), or nowhere to say it
    os._exit(status)
