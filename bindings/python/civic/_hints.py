"""What in an event log, a time or a scheme most likely means something else
than it says, though the contract takes it: the warnings civic-score gives
(docs/civic-score.1, WARNINGS), for civic.CivicWarning.

This mirrors examples/common/hints.c, which is not part of the library:
change both together.  Each function gives the text civic-score writes
after "warning: " (and its label), or nothing.  Nothing here reads a
record of a log: a CSV header, or a JSON Lines log's first line, is looked
at in the first bytes of the input; a time as the engine holds it.
"""

from ctypes import byref as _byref, c_int64 as _c_int64, create_string_buffer as _buffer

from . import _capi
from ._capi import CivicError

_lib = _capi.lib

# The fields of an event, in the order of hints.c's field_names.
_FIELD_NAMES = (b"id", b"subject", b"type", b"ts", b"qty", b"group", b"ref", b"act",
                b"source")
_NAME_QTY, _NAME_ACT = 4, 7
# The optional fields a near name is taken for (HINT_QTY, HINT_GROUP, HINT_REF)
# and what their absence does.
_HINT_FIELDS = 3
_WITHOUT = ("every event counts as one unit", "no subject gets a group",
            "no revoke or repair has its target")
_NAME_FOLDED_MAX = 16      # a longer name is near no field
_NAME_SHOWN_MAX = 160      # bytes of a name shown in a message
_KEY_DECODED_MAX = 256     # a longer key is compared with no field's name
SMALL_SECONDS = 100000000  # 1973-03-03T09:46:40Z
LATE_SECONDS = 100000000000  # 5138-11-16T09:46:40Z
_VERSIONS_MAX = 4096       # more rule versions: the retain, cap and category checks say nothing
_NEAR_NAMES_MAX = 256      # more caps or categories: no near name looked for
_NEAR_BYTES_MAX = 64       # a longer name is near no other
_BLANKS = b" \t"


def _name_field(s):
    """The field (index of _FIELD_NAMES) a header name takes, any case,
    blanks around it ignored; -1 for none."""
    s = s.strip(_BLANKS).lower()     # bytes.lower() folds ASCII only, as strncasecmp
    return _FIELD_NAMES.index(s) if s in _FIELD_NAMES else -1


def _wide_blank(p, i, n):
    """The bytes at p[i:n] of a space the load does not trim (U+00A0,
    U+3000, U+200B), or 0."""
    if i + 1 < n and p[i] == 0xC2 and p[i + 1] == 0xA0:
        return 2
    if i + 2 < n and p[i] == 0xE3 and p[i + 1] == 0x80 and p[i + 2] == 0x80:
        return 3
    if i + 2 < n and p[i] == 0xE2 and p[i + 1] == 0x80 and p[i + 2] == 0x8B:
        return 3
    return 0


def _fold_name(s):
    """Full-width ASCII folded to ASCII, lower case, blanks around it trimmed
    (_wide_blank's spaces anywhere); None when longer than _NAME_FOLDED_MAX."""
    out = bytearray()
    i, n = 0, len(s)
    while i < n:
        wide = _wide_blank(s, i, n)
        if wide:
            i += wide
            continue
        c = s[i]
        i += 1
        if c == 0xEF and i + 1 < n and ((s[i] == 0xBC and 0x81 <= s[i + 1] <= 0xBF) or
                                        (s[i] == 0xBD and 0x80 <= s[i + 1] <= 0x9E)):
            c = ((0xF << 12) | (s[i] & 0x3F) << 6 | (s[i + 1] & 0x3F)) - 0xFEE0
            i += 2
        if 0x41 <= c <= 0x5A:
            c += 0x20
        if not out and c in _BLANKS:
            continue
        if len(out) == _NAME_FOLDED_MAX:
            return None
        out.append(c)
    return bytes(out).rstrip(_BLANKS)


def _one_swap(a, b):
    """Whether a and b (of one length) differ by one swap of neighbours."""
    n, i = len(a), 0
    while i < n and a[i] == b[i]:
        i += 1
    return i + 1 < n and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


def _one_edit(a, b):
    """Whether a is b with one letter more, one fewer or one other."""
    an, bn = len(a), len(b)
    if an + 1 < bn or bn + 1 < an:
        return False
    i = 0
    while i < an and i < bn and a[i] == b[i]:
        i += 1
    if an == bn:
        return i < an and a[i + 1:] == b[i + 1:]
    if an > bn:
        return a[i + 1:] == b[i:]
    return a[i:] == b[i + 1:]


_FORMS = {b"quantity": 0, b"qnty": 0, b"grp": 1, b"hours": 0, b"hour": 0, b"hrs": 0,
          b"amount": 0, b"units": 0}


def _near_field(s):
    """The optional field (0 qty, 1 group, 2 ref) a name no field takes most
    likely meant (hints.c, near_field), or -1."""
    f = _fold_name(s)
    if not f:
        return -1
    letters = bytearray()
    for c in f:
        if 0x30 <= c <= 0x39 or c >= 0x80:
            return -1
        if 0x61 <= c <= 0x7A:
            letters.append(c)
    letters = bytes(letters)
    if letters in _FORMS:
        return _FORMS[letters]
    k = len(letters)
    for h in range(_HINT_FIELDS):
        name = _FIELD_NAMES[_NAME_QTY + h]
        if ((len(name) == k and (letters == name or _one_swap(letters, name))) or
                (k == len(name) + 1 and letters[-1:] == b"s" and letters[:-1] == name) or
                (h == 1 and _one_edit(letters, name))):
            return h
    return -1


# The characters civic-score shows as their escape (examples/common/shown.h:
# C1 controls, bidi controls, characters that show nothing or read as
# another, such as U+00A0 and U+3000), as sorted, disjoint ranges.
_ESCAPED = ((0x0080, 0x00a0), (0x00ad, 0x00ad), (0x034f, 0x034f), (0x061c, 0x061c),
            (0x115f, 0x1160), (0x1680, 0x1680), (0x17b4, 0x17b5), (0x180b, 0x180f),
            (0x2000, 0x200f), (0x2028, 0x202f), (0x205f, 0x206f), (0x2800, 0x2800),
            (0x3000, 0x3000), (0x3164, 0x3164), (0xfdd0, 0xfdef), (0xfe00, 0xfe0f),
            (0xfeff, 0xfeff), (0xffa0, 0xffa0), (0xfff0, 0xfffb), (0x1bca0, 0x1bca3),
            (0x1d173, 0x1d17a), (0xe0000, 0xe0fff))


def _shown(raw):
    """Bytes of a name as civic-score shows them (escape_at): a C0 control,
    DEL or a byte that begins no UTF-8 character as \\xNN, a character of
    _ESCAPED (or U+xFFFE, U+xFFFF) as \\uNNNN (\\UNNNNNNNN past U+FFFF), so
    that a blank the load does not trim is seen."""
    out, i, n = [], 0, len(raw)
    while i < n:
        c = raw[i]
        size = 1 if c < 0x80 else 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF \
            else 4 if 0xF0 <= c <= 0xF4 else 0
        try:
            ch = raw[i:i + size].decode("utf-8") if size else None
        except UnicodeDecodeError:
            ch = None
        if ch is None or c < 0x20 or c == 0x7F:
            out.append("\\x%02x" % c)
            i += 1
            continue
        cp = ord(ch)
        if (cp & 0xFFFE) == 0xFFFE or any(a <= cp <= b for a, b in _ESCAPED):
            out.append("\\U%08x" % cp if cp > 0xFFFF else "\\u%04x" % cp)
        else:
            out.append(ch)
        i += size
    return "".join(out)


def _cut(name):
    """A name as shown: at most _NAME_SHOWN_MAX bytes, cut at a character's
    start, as civic-score shows it (_shown)."""
    if len(name) > _NAME_SHOWN_MAX:
        n = _NAME_SHOWN_MAX
        while n > 0 and name[n] & 0xC0 == 0x80:
            n -= 1
        name = name[:n]
    return _shown(name)


def _header(p, complete):
    """For each of qty, group and ref that the CSV header line p (bytes, no
    line break) lacks, the first column whose name most likely means it:
    [(field, name, column)] (hints.c, hints_header)."""
    if not complete:
        return []    # its last names unread: the real one may be there
    if p.endswith(b"\r"):
        p = p[:-1]
    n = len(p)
    has, near = set(), {}
    at = 0
    while at <= n:
        end = at
        if at < n and p[at] == 0x22:      # quoted: skipped, but for a field's own name
            end = at + 1
            while True:
                if end >= n:
                    return []             # closed on a later line: names unread
                if p[end] == 0x22 and end + 1 < n and p[end + 1] == 0x22:
                    end += 1
                elif p[end] == 0x22:
                    break
                end += 1
            k = _name_field(p[at + 1:end])
            if k >= 0:
                has.add(k)
            while end < n and p[end] != 0x2C:
                end += 1
        else:
            while end < n and p[end] != 0x2C:
                end += 1
            k = _name_field(p[at:end])
            if k >= 0:
                has.add(k)
            else:
                f = _near_field(p[at:end])
                if f >= 0 and f not in near:
                    near[f] = (_cut(p[at:end]), at + 1)
        at = end + 1
    return [(k,) + near[k] for k in range(_HINT_FIELDS)
            if k in near and _NAME_QTY + k not in has]


def _json_string(p, i):
    """The JSON string at p[i] == '"': (its text decoded, a \\u escape past
    ASCII as the byte 0x80, which is in no field's name; the index past its
    closing quote); None when the line ends inside it or an escape is
    malformed."""
    out = bytearray()
    n = len(p)
    i += 1
    while i < n:
        c = p[i]
        i += 1
        if c == 0x22:
            return bytes(out), i
        if c == 0x5C:
            if i >= n:
                return None
            e = p[i]
            i += 1
            at = b'"\\/bfnrt'.find(bytes([e]))
            if at >= 0:
                c = b'"\\/\b\f\n\r\t'[at]
            elif e == 0x75 and i + 4 <= n:
                if not all(h in b"0123456789abcdefABCDEF" for h in p[i:i + 4]):
                    return None
                v = int(p[i:i + 4].decode("ascii"), 16)
                i += 4
                c = v if v < 0x80 else 0x80
            else:
                return None
        out.append(c)
    return None


def _json_skip(p, i):
    """Past a member's value from p[i]: the index of the ',' or '}' after it;
    None when the line ends first or a bracket does not match."""
    depth, n = 0, len(p)
    while i < n:
        c = p[i]
        if depth == 0 and c in b",}":
            return i
        if c == 0x22:
            got = _json_string(p, i)
            if got is None:
                return None
            i = got[1]
            continue
        if c in b"{[":
            depth += 1
        elif c in b"]}":
            if depth == 0:
                return None
            depth -= 1
        i += 1
    return None


def _ws(p, i):
    while i < len(p) and p[i] in b" \t\r":
        i += 1
    return i


def _jsonl_key(p, complete):
    """The first key of the JSON Lines line p that spells a field's name in
    other letters or with blanks around it, where the line lacks the exact
    key (hints.c, hints_jsonl_keys): (name as written, field, blanks) or
    None.  act and source are left out."""
    if not complete:
        return None    # the exact key may come after the bytes read
    n = len(p)
    i = _ws(p, 0)
    if i >= n or p[i] != 0x7B:
        return None
    i = _ws(p, i + 1)
    if i < n and p[i] == 0x7D:
        return None
    exact, first = set(), {}
    while True:
        if i >= n or p[i] != 0x22:
            return None
        at = i
        got = _json_string(p, i)
        if got is None:
            return None
        key, i = got
        end = i - 1
        i = _ws(p, i)
        if i >= n or p[i] != 0x3A:
            return None
        i = _json_skip(p, _ws(p, i + 1))
        if i is None:
            return None
        if len(key) <= _KEY_DECODED_MAX:
            bare = key.strip(_BLANKS)
            f = _FIELD_NAMES.index(bare.lower()) if bare.lower() in _FIELD_NAMES else -1
            if f >= 0:
                blanks = bare != key
                if not blanks and key == _FIELD_NAMES[f]:
                    exact.add(f)
                elif f not in first:
                    first[f] = (at + 1, end, blanks)
        if p[i] == 0x7D:
            break
        i = _ws(p, i + 1)
    picks = [f for f in range(_NAME_ACT) if f in first and f not in exact]
    if not picks:
        return None
    f = min(picks, key=lambda f: first[f][0])
    at, end, blanks = first[f]
    return _cut(p[at:end]), _FIELD_NAMES[f].decode("ascii"), blanks


def log_hints(head, ended, fmt, keys_ignored, label=None):
    """The warnings about a log whose first bytes are head (ended: the log
    ends there): a CSV column most likely meant for qty, group or ref, or
    (keys_ignored: the rules use no version-2 key) a JSON Lines key
    spelling a field's name in other letters.  fmt: the load's
    CIVIC_FORMAT_*, as civic-score's warn_header takes it."""
    i = 3 if head[:3] == b"\xef\xbb\xbf" else 0
    start, line, n = i, 1, len(head)
    while i < n and head[i] in b" \t\r\n":
        if head[i] == 0x0A:
            line += 1
            start = i + 1
        i += 1
    if i >= n or (fmt == _capi.CIVIC_FORMAT_CSV and head[i] == 0x7B):
        return []
    jsonl = fmt == _capi.CIVIC_FORMAT_JSONL or head[i] == 0x7B
    nl = head.find(b"\n", start)
    complete = nl >= 0 or ended
    text = head[start:nl if nl >= 0 else n]
    said = "%s: " % label if label else ""
    if jsonl:
        key = _jsonl_key(text, complete) if keys_ignored else None
        if not key:
            return []
        return ['%sline %d: key "%s" is ignored (%s: "%s")'
                % (said, line, key[0], "a key has no blanks around it" if key[2]
                   else "keys are lower case", key[1])]
    return ["%scolumn '%s' (line %d, column %d) is ignored: did you mean '%s'? without it %s"
            % (said, name, line, column, _FIELD_NAMES[_NAME_QTY + k].decode("ascii"),
               _WITHOUT[k])
            for k, name, column in _header(text, complete)]


def format_time(rules, t):
    """t (Unix seconds) in the scheme's local time, as civic-score writes it."""
    buf = _buffer(40)
    _lib.civic_rules_format_time(rules, t, buf, len(buf))
    return buf.value.decode("ascii")


def small_seconds(text):
    """The value of text when it is a bare integer (an optional '-', digits)
    below SMALL_SECONDS, whatever its leading zeros, else None (hints.c,
    hints_small_seconds)."""
    digits = text[1:] if text[:1] == "-" else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        return None
    v = int(digits)
    if v > 2 ** 63 - 1:
        return None
    if text[:1] != "-" and v >= SMALL_SECONDS:
        return None
    return -v if text[:1] == "-" else v


def meant(rules, secs):
    """What the bare integer secs (below SMALL_SECONDS) was most likely
    meant as (hints.c, hints_meant): a date without its dashes, a
    spreadsheet's day number, else "YYYY-MM-DD"."""
    if 19000101 <= secs <= 99991231:
        date = "%04d-%02d-%02d" % (secs // 10000, secs // 100 % 100, secs % 100)
        raw = date.encode("ascii")
        try:
            _lib.civic_rules_parse_time(rules, raw, len(raw), _byref(_c_int64()))
            return date
        except CivicError:
            pass
    elif 20000 <= secs <= 80000:   # 1954 .. 2119 as a spreadsheet's day
        t = (secs - 25569) * 86400 - int(_lib.civic_rules_utc_offset(rules))
        try:
            return "%s, if it is a spreadsheet's day number" % format_time(rules, t)[:10]
        except CivicError:
            pass
    return "YYYY-MM-DD"


def _ts_warning(rules, which, t, bound, needs, meant_as, label):
    """The warning of the earliest or latest ts held (which), t, past bound,
    with what a time needs to be read as meant (hints.c, ts_warning)."""
    return ("%sthe %s event's ts is %s (Unix seconds %d), %s: if it was written as a bare "
            "integer, that is Unix seconds; %s (%s)"
            % ("%s: " % label if label else "", which, format_time(rules, t), t, bound, needs,
               meant_as))


def early_ts(rules, first, label=None):
    """The warning about a log's earliest ts, first, when it is before
    1973-03-03 (a bare integer read as Unix seconds), else None."""
    if first >= SMALL_SECONDS:
        return None
    return _ts_warning(rules, "earliest", first, "before 1973-03-03T09:46:40Z",
                       "a date needs its dashes", meant(rules, first), label)


def late_meant(rules, secs):
    """What the ts secs (from LATE_SECONDS) was most likely meant as
    (hints.c, late_meant): twelve digits that read as YYYYMMDDHHMM, a date
    and time of 1900 or later, else "YYYY-MM-DDTHH:MM:SS"."""
    if 190001010000 <= secs <= 999999999999:
        when = "%04d-%02d-%02dT%02d:%02d:00" % (secs // 100000000, secs // 1000000 % 100,
                                                secs // 10000 % 100, secs // 100 % 100,
                                                secs % 100)
        raw = when.encode("ascii")
        try:
            _lib.civic_rules_parse_time(rules, raw, len(raw), _byref(_c_int64()))
            return when
        except CivicError:
            pass
    return "YYYY-MM-DDTHH:MM:SS"


def late_ts(rules, last, label=None):
    """The warning about a log's latest ts, last, when it is from
    5138-11-16T09:46:40Z on (twelve digits read as Unix seconds, where a date
    and time without separators, YYYYMMDDHHMM, was most likely meant), else
    None."""
    if last < LATE_SECONDS:
        return None
    return _ts_warning(rules, "latest", last, "at or after 5138-11-16T09:46:40Z",
                       "a date and time need their separators", late_meant(rules, last), label)


TIME_GIVEN_CHARS = 21  # a '-' and 20 digits (hints.h, HINTS_TIME_GIVEN_BYTES)


def time_shown(text, quote=""):
    """A bare integer time as its warning writes it, in quotes when given
    (hints.c, hints_small_time): as given up to TIME_GIVEN_CHARS, else
    without its leading zeros, and how many there were."""
    if len(text) <= TIME_GIVEN_CHARS:
        return quote + text + quote
    sign = text[:1] if text[:1] == "-" else ""
    digits = text[len(sign):]
    kept = digits.lstrip("0") or "0"
    return ("%s%s%s%s (written with %d leading zeros)"
            % (quote, sign, kept, quote, len(digits) - len(kept)))


def as_of(rules, text, what="as_of"):
    """The warning about an as_of given as a bare integer in a str before
    1973-03-03, else None."""
    secs = small_seconds(text)
    if secs is None:
        return None
    return ("%s %s is Unix seconds: %s; a date needs its dashes (%s)"
            % (what, time_shown(text, "'"), format_time(rules, secs), meant(rules, secs)))


def _text(b):
    return b.decode("utf-8", "replace") if b else ""


def _rule_versions(rules, j):
    """Every version of rule j, as civic_rule_info."""
    out = []
    c = 0
    while True:
        v = _capi.civic_rule_info(version=_capi.CIVIC_RULE_INFO_VERSION)
        try:
            _lib.civic_rules_rule_info(rules, j, c, _byref(v))
        except CivicError:
            break
        out.append(v)
        if c >= v.changes:
            break
        c += 1
    return out


def _fixed(value):
    """Hundredths as civic-score writes them: "200.00"."""
    buf = _buffer(32)
    _lib.civic_format_fixed(value, 2, buf, len(buf))
    return buf.value.decode("ascii")


def _grades_never(rules, info, said):
    """Grades no score can have (hints.c, grades_never): a min above the
    scheme's max, or below a grade that already takes the scheme's min."""
    out = []
    n = int(_lib.civic_rules_grade_count(rules))
    mins = []
    for g in range(n - 1):
        got = _c_int64()
        _lib.civic_rules_grade_min(rules, g, _byref(got))
        mins.append(got.value)
    name = lambda g: _text(_lib.civic_rules_grade_name(rules, g))  # noqa: E731
    for g in range(n):
        if g + 1 < n and info.has_max and mins[g] > info.max:
            out.append("%sgrade '%s' can never apply: its min %s is above the scheme's max %s, "
                       "the highest score" % (said, name(g), _fixed(mins[g]), _fixed(info.max)))
        elif g > 0 and info.has_min and mins[g - 1] <= info.min:
            k = 0
            while k + 1 < n and mins[k] > info.min:
                k += 1
            out.append("%sgrade '%s' can never apply: the scheme's min %s, the lowest score, "
                       "already has grade '%s' (min %s)"
                       % (said, name(g), _fixed(info.min), name(k), _fixed(mins[k])))
    return out


def _fold(name):
    return bytes(c + 32 if 0x41 <= c <= 0x5A else c for c in name)


def _near_distance(a, b, limit):
    """The edit distance of a and b (optimal string alignment, letters
    without case), as hints.c's near_distance, or limit + 1 as soon as it is
    surely more than limit (only cells within limit of the diagonal can end
    at most limit, and a row's least value never falls below)."""
    a, b = _fold(a), _fold(b)
    far = limit + 1
    if abs(len(a) - len(b)) > limit:
        return far
    prev2, prev = None, [min(j, far) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        row = [far] * (len(b) + 1)
        row[0] = min(i, far)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            best = prev[j - 1] + (a[i - 1] != b[j - 1])
            best = min(best, prev[j] + 1, row[j - 1] + 1)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, prev2[j - 2] + 1)
            row[j] = min(best, far)
        if min(row) >= far:
            return far
        prev2, prev = prev, row
    return prev[len(b)]


def _near_name(name, other):
    """How near name is to other (bytes), as hints.c's near_name: 0 for not
    near, else the edit distance (at most 1, or 2 from six bytes on), or 1
    for the same letters without '_', '-', '.' and blanks."""
    n, m = len(name), len(other)
    if not n or not m or n > _NEAR_BYTES_MAX or m > _NEAR_BYTES_MAX or name == other:
        return 0
    limit = 2 if n >= 6 else 1
    d = _near_distance(name, other, limit)
    if d <= limit:
        return d or 1
    bare = lambda s: _fold(bytes(c for c in s if c not in b"_-. \t"))  # noqa: E731
    return 1 if bare(name) and bare(name) == bare(other) else 0


def _rules_said(first, count):
    return ("rule '%s' and %d more" % (first, count - 1) if count > 1
            else "rule '%s'" % first)


def _caps_unused(rules, flat, said):
    """Shared caps no version of a rule names in cap_group (hints.c,
    caps_unused), with a near cap_group a rule names."""
    out = []
    caps = int(_lib.civic_rules_cap_count(rules))
    named = [(code, v.cap_group or b"") for code, v, _ in flat]
    used = {group for _, group in named}
    for i in range(caps):
        cap = _capi.civic_cap_info(version=_capi.CIVIC_CAP_INFO_VERSION)
        try:
            _lib.civic_rules_cap_info(rules, i, _byref(cap))
        except CivicError:
            continue
        name = cap.name or b""
        if name in used:
            continue
        near, best = None, 3
        if caps <= _NEAR_NAMES_MAX:
            for code, group in named:
                d = _near_name(name, group) if group else 0
                if d and d < best:
                    near, best = (code, group), d
        text = "%scap '%s' is named in no rule's cap_group, so it caps nothing" % (said,
                                                                                  _text(name))
        if near:
            text += (" (rule '%s' names cap_group '%s': is one of the two misspelt?)"
                     % (_text(near[0]), _text(near[1])))
        out.append(text)
    return out


def _categories_apart(rules, flat, said):
    """Categories a rule is most likely in by mistake, where escalation is at
    stake (hints.c, categories_apart): a named category that is the code of
    a rule in another, and one only one rule is in, near another."""
    out = []
    repeat = {}
    for _, v, j in flat:
        repeat[j] = repeat.get(j, False) or v.repeat_factor != 0
    cats, index = [], {}
    for code, v, j in flat:
        name = v.category or b""
        if name not in index:
            index[name] = len(cats)
            cats.append({"name": name, "first": j, "count": 0, "last": None, "named": False,
                         "repeat": False})
        c = cats[index[name]]
        if c["last"] != j:
            c["count"] += 1
        c["last"] = j
        c["named"] = c["named"] or name != code
        c["repeat"] = c["repeat"] or repeat[j]
    in_rule = {(j, v.category or b"") for _, v, j in flat}
    codes = {}
    for j in range(int(_lib.civic_rules_rule_count(rules))):
        codes.setdefault(_lib.civic_rules_rule_code(rules, j), j)
    for x, c in enumerate(cats):
        if not c["named"]:
            continue
        first = _text(_lib.civic_rules_rule_code(rules, c["first"]))
        r = codes.get(c["name"])
        if r is not None and (r, c["name"]) not in in_rule:
            if not c["repeat"] and not repeat.get(r):
                continue
            its = next(v.category or b"" for _, v, j in flat if j == r)
            out.append("%s%s %s category '%s', the code of rule '%s', which is in category "
                       "'%s': they do not escalate each other (a rule is in its own code's "
                       "category only when it names none)"
                       % (said, _rules_said(first, c["count"]),
                          "have" if c["count"] > 1 else "has", _text(c["name"]),
                          _text(c["name"]), _text(its)))
            continue
        if c["count"] != 1 or len(cats) > _NEAR_NAMES_MAX:
            continue
        near, best = None, 3
        for y, o in enumerate(cats):
            if (y == x or (c["first"], o["name"]) in in_rule or
                    (o["named"] and o["count"] == 1 and y > x) or
                    (not c["repeat"] and not o["repeat"])):
                continue
            d = _near_name(c["name"], o["name"])
            if d and d < best:
                near, best = o, d
        if near is None:
            continue
        out.append("%srule '%s' is the only rule in category '%s', near category '%s' (%s): "
                   "rules in different categories do not escalate each other; if they are one "
                   "family, give them one category"
                   % (said, first, _text(c["name"]), _text(near["name"]),
                      _rules_said(_text(_lib.civic_rules_rule_code(rules, near["first"])),
                                  near["count"])))
    return out


def _unseen_char(ch):
    """What a character no reader sees in a name is (hints.c, unseen_char),
    and whether it is zero-width (else a space other than ' '); (None,
    False) for any other.  A plain blank is the caller's to tell."""
    cp = ord(ch)
    zero = {0x200B: "U+200B, a zero-width space", 0x200C: "U+200C, a zero-width non-joiner",
            0x200D: "U+200D, a zero-width joiner", 0x2060: "U+2060, a word joiner",
            0xFEFF: "U+FEFF, a byte-order mark"}
    if cp in zero:
        return zero[cp], True
    if cp == 0x00A0:
        return "U+00A0, a no-break space", False
    if cp == 0x202F:
        return "U+202F, a narrow no-break space", False
    if cp == 0x3000:
        return "U+3000, an ideographic space", False
    if 0x2000 <= cp <= 0x200A:
        return "a typographic space (U+2000..U+200A)", False
    return None, False


def _name_unseen(name):
    """What of the name (a flag, a dimension; str) no reader sees, as
    hints.c's name_unseen: blanks or other spaces at its start or end, or a
    zero-width character anywhere: (why, the name without them), or None
    when it has none."""
    n, lo, hi = len(name), 0, len(name)
    lead = trail = inside = None
    while lo < n:
        w = None if name[lo] in " \t" else _unseen_char(name[lo])[0]
        if not w and name[lo] not in " \t":
            break
        lead = lead or w
        lo += 1
    while hi > lo:
        w = None if name[hi - 1] in " \t" else _unseen_char(name[hi - 1])[0]
        if not w and name[hi - 1] not in " \t":
            break
        trail = trail or w
        hi -= 1
    bare = []
    for ch in name[lo:hi]:
        w, zero = _unseen_char(ch)
        if w and zero:
            inside = inside or w
        else:
            bare.append(ch)
    if lo == 0 and hi == n and not inside:
        return None
    if not bare:
        why = "is blanks only"
    elif lead or trail or inside:
        why = "begins with %s" % lead if lead else "ends with %s" % trail if trail \
            else "holds %s" % inside
    else:
        why = "has blanks around it" if lo > 0 and hi < n else \
            "begins with a blank" if lo > 0 else "ends with a blank"
    return why, "".join(bare)


def _unseen_names(rules, versions, said):
    """Flags and dimensions whose names hold what no reader sees, as
    hints.c's unseen_names: each is another list or subtotal than the name
    without it, though the rules load (version 1 took them).  versions:
    every rule's versions, or None in a scheme too large to look for the
    rule that names one."""
    out = []
    flags = int(_lib.civic_rules_flag_count(rules))
    for i in range(flags + int(_lib.civic_rules_dimension_count(rules))):
        flag = i < flags
        raw = _lib.civic_rules_flag_name(rules, i) if flag \
            else _lib.civic_rules_dimension_name(rules, i - flags)
        if not raw:
            continue
        name = raw.decode("utf-8", "replace")
        unseen = _name_unseen(name)
        if not unseen:
            continue
        code = None
        for v in (x for vs in versions or () for x in vs):
            if (v.flag if flag else v.dimension) == raw:
                code = v.code
                break
        who = "rule '%s': " % _shown(code) if code else ""
        what = "flag" if flag else "dimension"
        if unseen[0] == "is blanks only":
            out.append("%s%s%s '%s' is blanks only" % (said, who, what, _shown(raw)))
        else:
            out.append("%s%s%s '%s' %s: it is a different %s from '%s'"
                       % (said, who, what, _shown(raw), unseen[0], what,
                          _shown(unseen[1].encode("utf-8"))))
    return out


def scheme(rules, label=None):
    """What in a scheme most likely does not do what its writer meant
    (hints.c, hints_scheme): a min on the last grade; a grade no score has;
    a flag or a dimension whose name holds what no reader sees; a rule with
    retain that shares a cap group with a rule that touches the balance, or
    a category with one that escalates; a cap no rule names; a category
    apart from the one most likely meant."""
    said = "%s: " % label if label else ""
    out = []
    n = int(_lib.civic_rules_grade_count(rules))
    info = _capi.civic_scheme_info(version=_capi.CIVIC_SCHEME_INFO_VERSION)
    floor = False
    try:
        _lib.civic_rules_scheme_info(rules, _byref(info))
        floor = bool(info.has_min)
    except CivicError:
        pass
    if n > 0 and not floor:
        try:
            _lib.civic_rules_grade_min(rules, n - 1, _byref(_c_int64()))
            out.append("%sthe last grade's min (grade '%s') has no effect: the last grade "
                       "takes every lower score; to set the scheme's lowest score put min "
                       "under [scheme]"
                       % (said, _text(_lib.civic_rules_grade_name(rules, n - 1))))
        except CivicError:
            pass
    try:
        _lib.civic_rules_scheme_info(rules, _byref(info))
        out += _grades_never(rules, info, said)
    except CivicError:
        pass
    count = int(_lib.civic_rules_rule_count(rules))
    versions = [_rule_versions(rules, j) for j in range(count)]
    large = sum(len(v) for v in versions) > _VERSIONS_MAX
    out += _unseen_names(rules, None if large else versions, said)
    if large:
        return out

    def balance_rule_with(skip, key, name):
        for j in range(count):
            if j == skip:
                continue
            for v in versions[j]:
                its = v.cap_group if key == 0 else v.category
                if (v.affects & _capi.CIVIC_AFFECTS_BALANCE and (its or b"") == name and
                        (key == 0 or v.repeat_factor != 0)):
                    return v.code
        return None

    for i in range(count):
        other = why = None
        for v in versions[i]:
            if v.retain and v.retain != b"forever":    # a char array: bytes to its NUL
                if v.cap_group and balance_rule_with(i, 0, v.cap_group):
                    other = balance_rule_with(i, 0, v.cap_group)
                    why = "shares cap group '%s' with rule '%s'" % (_text(v.cap_group),
                                                                    _text(other))
                elif v.category and balance_rule_with(i, 1, v.category):
                    other = balance_rule_with(i, 1, v.category)
                    why = "shares category '%s' with rule '%s'" % (_text(v.category),
                                                                   _text(other))
            if other:
                break
        if not other:
            continue
        out.append("%srule '%s' has retain and %s, which touches the balance: once its "
                   "entries are archived, the balance entries they capped or escalated count "
                   "otherwise, and a redeem accepted before may be rejected (keep rules with "
                   "retain out of the cap groups and categories of balance rules)"
                   % (said, _text(v.code), why))
    flat = [(v.code, v, j) for j in range(count) for v in versions[j]]
    out += _caps_unused(rules, flat, said)
    out += _categories_apart(rules, flat, said)
    return out
