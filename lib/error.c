/*
** error.c -- status texts, the civic_error filler, and the field-by-field
** copy into versioned caller structs.
**
** Reporting an error never allocates: messages are formatted into the
** caller's fixed buffer.  Invariant: nothing is written into a caller's
** struct past the fields of the version the caller set.
*/
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *civic_strerror(int code)
{
    switch (code) {
    case CIVIC_OK: return "ok";
    case CIVIC_DUPLICATE: return "duplicate event ignored";
    case CIVIC_E_INVALID: return "invalid argument";
    case CIVIC_E_NOMEM: return "out of memory";
    case CIVIC_E_SYNTAX: return "syntax error";
    case CIVIC_E_RULES: return "invalid rules";
    case CIVIC_E_EVENT: return "invalid event";
    case CIVIC_E_CONFLICT: return "conflicting event id";
    case CIVIC_E_OVERFLOW: return "arithmetic overflow";
    case CIVIC_E_LIMIT: return "limit exceeded";
    case CIVIC_E_IO: return "input/output error";
    case CIVIC_E_VERSION: return "unsupported struct version";
    case CIVIC_E_CORRUPT: return "corrupt file";
    case CIVIC_E_MISMATCH: return "file belongs to other rules";
    case CIVIC_E_USER: return "stopped by callback";
    case CIVIC_E_PURGED: return "history before the purge horizon is gone";
    case CIVIC_E_NOTFOUND: return "no such name in the scheme";
    default: return "unknown error";
    }
}

void civic__error_clear(civic_error *err)
{
    if (!err || err->version < 1) return;
    err->code = 0;
    err->line = 0;
    err->column = 0;
    err->reserved = 0;
    err->offset = 0;
    err->message[0] = '\0';
}

/* Python's _path_shown (bindings/python/civic) mirrors this: change both. */
const char *civic__path_brief(const char *path, char *buf)
{
    enum { HEAD = 40, TAIL = 100 };
    size_t n = strlen(path);
    if (n <= HEAD + 3 + TAIL) return path;
    size_t head = HEAD, tail = n - TAIL;
    while (head > 0 && ((unsigned char)path[head] & 0xC0) == 0x80) head--;
    while (tail < n && ((unsigned char)path[tail] & 0xC0) == 0x80) tail++;
    memcpy(buf, path, head);
    memcpy(buf + head, "...", 3);
    memcpy(buf + head + 3, path + tail, n - tail + 1);
    return buf;
}

const char *civic__path_fit(const char *path, size_t room, char *buf)
{
    const char *brief = civic__path_brief(path, buf);
    size_t n = strlen(brief);
    if (room < 16) room = 16;
    if (n <= room) return brief;
    size_t tail = n - (room - 3); /* > 3: room < n */
    while (tail < n && ((unsigned char)brief[tail] & 0xC0) == 0x80) tail++;
    memmove(buf + 3, brief + tail, n - tail + 1);
    memcpy(buf, "...", 3);
    return buf;
}

int civic__error_path(civic_error *err, int code, uint64_t offset, const char *what,
                      const char *path, const char *tail)
{
    char fit[CIVIC_PATH_BRIEF_SIZE];
    size_t said = strlen(what) + 1 + strlen(tail);
    size_t room = said < CIVIC_ERROR_MESSAGE_SIZE - 1 ? CIVIC_ERROR_MESSAGE_SIZE - 1 - said : 0;
    return civic__error_set(err, code, 0, 0, offset, "%s %s%s", what,
                            civic__path_fit(path, room, fit), tail);
}

int civic__error_set(civic_error *err, int code, uint64_t line, uint32_t column,
                     uint64_t offset, const char *fmt, ...)
{
    if (!err || err->version < 1) return code;
    err->code = code;
    err->line = line;
    err->column = column;
    err->reserved = 0;
    err->offset = offset;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        if (n >= (int)sizeof(err->message)) { /* cut: never in the middle of a character */
            size_t end = sizeof(err->message) - 1, start = end;
            while (start > 0 && ((unsigned char)err->message[start - 1] & 0xC0) == 0x80) start--;
            if (start > 0 && (unsigned char)err->message[start - 1] >= 0xC0) {
                unsigned char lead = (unsigned char)err->message[start - 1];
                size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                if (end - (start - 1) < want) err->message[start - 1] = '\0';
            }
        }
    } else {
        snprintf(err->message, sizeof(err->message), "%s", civic_strerror(code));
    }
    return code;
}

/* Where to cut msg at or before m: never in the middle of a character, nor
 * of an escape an excerpt wrote (\" or \\, \xNN, \uNNNN: a backslash that
 * starts one has an even run of backslashes before it).  Cutting a path's
 * own backslash too costs a byte of a message already cut. */
static size_t cut_point(const char *msg, size_t m)
{
    while (m > 0 && ((unsigned char)msg[m] & 0xC0) == 0x80) m--;
    for (size_t k = m; k > 0 && m - k < 6; k--) {
        if (msg[k - 1] != '\\') continue;
        size_t run = 1;
        while (run < k && msg[k - 1 - run] == '\\') run++;
        if (run % 2 == 0) break; /* the last one ends a \\ before the cut */
        size_t len = msg[k] == 'x' ? 4 : msg[k] == 'u' ? 6 : 2;
        if (k - 1 + len > m) m = k - 1;
        break;
    }
    return m;
}

/* hint (a string literal of `size` bytes) after err's message, which is cut
 * to make room. */
static void append_hint(civic_error *err, const char *hint, size_t size)
{
    size_t m = strlen(err->message), room = sizeof(err->message) - size;
    if (m > room) m = cut_point(err->message, room);
    memcpy(err->message + m, hint, size);
}

void civic__error_append(civic_error *err, const char *hint)
{
    if (!err || err->version < 1) return;
    size_t m = strlen(err->message), size = strlen(hint) + 1;
    CIVIC_ASSERT(size + 3 < sizeof(err->message));
    if (m + size > sizeof(err->message)) { /* cut, and say so */
        m = cut_point(err->message, sizeof(err->message) - size - 3);
        memcpy(err->message + m, "...", 3);
        m += 3;
    }
    memcpy(err->message + m, hint, size);
}

bool civic__nul_only_last(const char *text, size_t len)
{
    /* Only where the last byte is the text's one NUL: UTF-16LE and UTF-32LE
     * text ends in a NUL as part of its last character (with a BOM or
     * without one), and data that holds NULs elsewhere is no C string a
     * length of strlen + 1 took one too many bytes of. */
    return len > 0 && text[len - 1] == '\0' && !memchr(text, '\0', len - 1) &&
           civic__binary_kind(text, len) == CIVIC_BINARY_NONE;
}

bool civic__error_names_nul_alone(const civic_error *err)
{
    size_t m = strlen(err->message), k = sizeof(NUL_ALONE) - 1;
    return m >= k && memcmp(err->message + m - k, NUL_ALONE, k) == 0;
}

void civic__error_nul_hint(civic_error *err, const char *text, size_t len)
{
    static const char hint[] = " (the text ends in a NUL byte: " NUL_WHY ")";
    static const char why[] = " (" NUL_WHY ")";
    if (!err || err->version < 1 || len == 0 || text[len - 1] != '\0') return;
    bool alone = civic__error_names_nul_alone(err);
    if ((!alone && strstr(err->message, "NUL byte")) || !civic__nul_only_last(text, len)) return;
    if (alone) append_hint(err, why, sizeof(why));
    else append_hint(err, hint, sizeof(hint));
}

void civic__error_nul_tail_hint(civic_error *err, const char *p, size_t n, bool json)
{
    static const char named[] = "a NUL byte at column ";
    if (!err || err->version < 1 || err->code == CIVIC_E_NOMEM) return;
    size_t nuls = 0;
    while (nuls < n && p[n - 1 - nuls] == '\0') nuls++;
    if (nuls == 0) return;
    const char *at = strstr(err->message, named);
    if (at) { /* a record's fields miscounted at its first NUL: that it starts the run */
        unsigned long column = strtoul(at + sizeof(named) - 1, NULL, 10);
        if (column == 0 || column - 1 != n - nuls) return;
    } else {
        size_t from = err->column - 1;
        if (err->column == 0 || from > n || strstr(err->message, "NUL byte")) return;
        for (size_t i = from; i < n - nuls; i++) /* the value the column points at runs to them */
            if (p[i] == ',' || (p[i] == '"' && i > from) ||
                (json && (p[i] == '}' || p[i] == ']' || p[i] == ':')))
                return;
    }
    char hint[112];
    if (nuls == 1)
        snprintf(hint, sizeof(hint), " (a NUL byte at the end of the input: a file cut short by "
                 "a crash may end in NUL bytes)");
    else
        snprintf(hint, sizeof(hint), " (%zu NUL bytes to the end of the input: " NULS_WHY ")",
                 nuls);
    civic__error_append(err, hint);
}

void civic__error_refused_tail(civic_error *err, int why)
{
    static const char bound[] = "; the file is not damaged: load its events again without it";
    static const char reserved[] = "; the file is not damaged: export its events with 1.0, "
                                   "load them under a renamed rule";
    if (!err || err->version < 1) return;
    if (why == CIVIC_E_VERSION) append_hint(err, reserved, sizeof(reserved));
    else append_hint(err, bound, sizeof(bound));
}

void civic__error_array_hint(civic_error *err, const char *text, size_t len)
{
    static const char hint[] = " (the text is a JSON array: JSON Lines is one object a line, "
                               "without '[' and ']')";
    if (!err || err->version < 1 || err->line == 0) return;
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    uint64_t line = 1;
    for (; i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'); i++)
        line += text[i] == '\n';
    if (i >= len || text[i] != '[' || err->line != line) return;
    for (i++; i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'); i++)
        ;
    if (i < len && text[i] == '{') append_hint(err, hint, sizeof(hint));
}

static bool toml_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* Whether text[0..n) is a rules file, not an event log: its first line that
 * is not blank nor a '#' comment is a TOML table header ("[scheme]",
 * "[[grade]]", "[rule.litter]": a name of ASCII letters, digits, '_', '-'
 * and '.', a letter first, in brackets, then only blanks or a comment) or a
 * key = value line with a blank before its '=' and a value TOML takes
 * ("base = 1000", name = "x"; not a spreadsheet's "sep=," nor a form's
 * "qty=5").  No JSON array ("[1, 2]", "[{", "[true]") nor a line of a log
 * is either.  As civic-server's hints_rules_text judges a body (and
 * civic-score a file, before it loads it), so that the three agree. */
static bool rules_text(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    for (;;) {
        while (i < n && (u[i] == ' ' || u[i] == '\t' || u[i] == '\r' || u[i] == '\n')) i++;
        if (i >= n || u[i] != '#') break;
        while (i < n && u[i] != '\n') i++;
    }
    size_t k = i, brackets = 0;
    while (k < n && u[k] == '[' && brackets < 2) k++, brackets++;
    size_t name = k;
    while (k < n && toml_name_char(u[k])) k++;
    if (k == name || !((u[name] | 0x20) >= 'a' && (u[name] | 0x20) <= 'z')) return false;
    if (brackets && ((k - name == 4 && (memcmp(p + name, "true", 4) == 0 ||
                                        memcmp(p + name, "null", 4) == 0)) ||
                     (k - name == 5 && memcmp(p + name, "false", 5) == 0)))
        return false; /* a JSON array: [true] */
    if (brackets == 0) {
        /* "key = value" as a rules file writes it: a blank before the '='
         * (a spreadsheet's "sep=," and a form's "qty=5" have none), then a
         * value TOML takes */
        size_t eq = k;
        while (k < n && (u[k] == ' ' || u[k] == '\t')) k++;
        if (k == eq || k >= n || u[k] != '=') return false;
        for (k++; k < n && (u[k] == ' ' || u[k] == '\t'); k++) {}
        static const char *const words[] = { "true", "false", "inf", "nan" };
        for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
            size_t len = strlen(words[w]);
            if (n - k >= len && memcmp(p + k, words[w], len) == 0 &&
                (k + len == n || !toml_name_char(u[k + len])))
                return true;
        }
        return k < n && (u[k] == '"' || u[k] == '\'' || u[k] == '[' || u[k] == '{' ||
                         u[k] == '+' || u[k] == '-' || (u[k] >= '0' && u[k] <= '9'));
    }
    for (size_t b = 0; b < brackets; b++, k++)
        if (k >= n || u[k] != ']') return false;
    while (k < n && (u[k] == ' ' || u[k] == '\t')) k++;
    return k == n || u[k] == '\n' || u[k] == '\r' || u[k] == '#';
}

void civic__error_rules_hint(civic_error *err, const char *text, size_t len)
{
    static const char hint[] = " (the text looks like a rules file, TOML: give it as the rules, "
                               "not as events)";
    if (!err || err->version < 1 || err->line == 0) return;
    /* the header's line: the first that is not empty, as the CSV reader
     * skips them (a line of blanks is a record, a '#' comment a header) */
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    uint64_t line = 1;
    for (; i < len && (text[i] == '\n' || (text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'));
         i++)
        line += text[i] == '\n';
    if (err->line == line && rules_text(text, len)) append_hint(err, hint, sizeof(hint));
}

/* Whether text[0..n) is a CSV header that names id, subject, type and ts:
 * names matched as the CSV reader matches them (any case, blanks around,
 * quoted or not), as civic-score's csv_header_line does. */
static bool names_the_columns(const char *text, size_t n)
{
    static const char *const need[] = { "id", "subject", "type", "ts" };
    unsigned found = 0;
    if (n && text[n - 1] == '\r') n--;
    for (size_t at = 0; at <= n; at++) {
        size_t end = at;
        while (end < n && text[end] != ',') end++;
        size_t a = at, b = end;
        while (a < b && (text[a] == ' ' || text[a] == '\t')) a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t')) b--;
        if (b - a >= 2 && text[a] == '"' && text[b - 1] == '"') {
            a++, b--;
            while (a < b && (text[a] == ' ' || text[a] == '\t')) a++;
            while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t')) b--;
        }
        for (unsigned k = 0; k < 4; k++) {
            size_t i = 0;
            while (a + i < b && need[k][i] && (text[a + i] | 0x20) == need[k][i]) i++;
            if (a + i == b && !need[k][i]) found |= 1u << k;
        }
        at = end;
    }
    return found == 15;
}

void civic__error_comment_hint(civic_error *err, const char *text, size_t len)
{
    if (!err || err->version < 1 || err->line == 0) return;
    /* the '#' lines that open the text, past empty lines, as the CSV
     * reader skips them: the first is the header's line */
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    uint64_t line = 1, first = 0, last = 0, comments = 0;
    for (;;) {
        while (i < len && (text[i] == '\n' || (text[i] == '\r' && i + 1 < len &&
                                                text[i + 1] == '\n')))
            line += text[i++] == '\n';
        if (i >= len || text[i] != '#') break;
        if (!first) first = line;
        last = line;
        comments++;
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl) return;
        i = (size_t)(nl - text) + 1;
        line++;
    }
    if (!first || err->line != first) return;
    /* the line after them that is not blank: a header naming the columns
     * (not one a '#' opens, "#id,...", which deleting would lose), or a
     * JSON object, which a JSON Lines load reads */
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        line += text[i++] == '\n';
    if (i >= len) return;
    const char *nl = memchr(text + i, '\n', len - i);
    size_t eol = nl ? (size_t)(nl - text) : len, bol = i;
    while (bol > 0 && text[bol - 1] != '\n') bol--;
    bool json = text[i] == '{';
    if (!json && !names_the_columns(text + bol, eol - bol)) return;
    char lines[80], after[64], hint[200]; /* at most 196 bytes: civic__error_append takes it */
    if (first == last)
        snprintf(lines, sizeof(lines), "line %llu is a '#' comment", (unsigned long long)first);
    else
        snprintf(lines, sizeof(lines), "lines %llu to %llu are '#' comments%s",
                 (unsigned long long)first, (unsigned long long)last,
                 comments < last - first + 1 ? " and blank lines" : "");
    if (json)
        snprintf(after, sizeof(after), "the lines after %s are JSON objects",
                 first == last ? "it" : "them");
    else
        snprintf(after, sizeof(after), "line %llu is the header", (unsigned long long)line);
    snprintf(hint, sizeof(hint), " (%s, and %s: an event log has no comment lines; delete %s)",
             lines, after, first == last ? "it" : "them");
    civic__error_append(err, hint);
}

void civic__error_format_hint(civic_error *err, uint32_t format, const char *text, size_t len)
{
    static const char jsonl[] = " (the text looks like JSON Lines: load it as JSON Lines)";
    static const char csv[] = " (the text looks like CSV: load it as CSV)";
    if (!err || err->version < 1 || err->line == 0 ||
        (format != CIVIC_FORMAT_CSV && format != CIVIC_FORMAT_JSONL))
        return;
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    uint64_t line = 1;
    for (; i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'); i++)
        line += text[i] == '\n';
    if (i >= len || err->line != line) return;
    const char *nl = memchr(text + i, '\n', len - i);
    size_t eol = nl ? (size_t)(nl - text) : len;
    /* the whole line, from before its blanks (a header's first name may
     * have some before it, as the reader takes it) */
    size_t bol = i;
    while (bol > 0 && text[bol - 1] != '\n') bol--;
    if (format == CIVIC_FORMAT_CSV && text[i] == '{')
        append_hint(err, jsonl, sizeof(jsonl));
    else if (format == CIVIC_FORMAT_JSONL && text[i] != '{' && text[i] != '[' &&
             names_the_columns(text + bol, eol - bol))
        append_hint(err, csv, sizeof(csv));
}

enum { EXCERPT_RAW, EXCERPT_QUOTED, EXCERPT_TOML };

static void excerpt(char *dst, size_t dst_size, const char *s, size_t n, int mode)
{
    bool quoted = mode != EXCERPT_RAW;
    size_t j = 0, i = 0;
    const size_t shown_max = 40;
    CIVIC_ASSERT(dst_size >= 8);
    /* Whole characters only, and nothing a terminal would act on: C0 and
     * DEL as \xNN, C1 controls as \u00NN, a byte that is not UTF-8 as \xNN,
     * the bidi controls (U+061C, U+200E, U+200F, U+202A..U+202E,
     * U+2066..U+2069: the rest of the line shown reversed) and the line and
     * paragraph separators (U+2028, U+2029) as \uNNNN.  Quoted (shown in
     * double quotes), a quote or a backslash in it is \" or \\, so that the
     * quotes around it are the value's bounds; as TOML (a rules file's
     * string), a control character is the escape that file takes (\t, \n,
     * \r, \b, \f, else \u00NN: TOML has no \x). */
    while (i < n && i < shown_max) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (len > 1 && (i + len > n || !civic__utf8_valid(s + i, len))) len = 0;
        if (len && i + len > shown_max) break; /* not cut in half */
        uint32_t cp = len < 2 ? c : c & (0xffu >> (len + 1));
        for (size_t k = 1; k < len; k++) cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3fu);
        bool c1 = cp >= 0x80 && cp < 0xa0;
        bool bidi = cp == 0x061c || cp == 0x200e || cp == 0x200f ||
                    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
        char esc[8];
        size_t out = 0;
        /* \b, \t, \n, \f, \r: 0x08..0x0d but 0x0b, which TOML has no letter for */
        if (mode == EXCERPT_TOML && len == 1 && c >= 0x08 && c <= 0x0d && c != 0x0b)
            out = (size_t)snprintf(esc, sizeof(esc), "\\%c", "btn_fr"[c - 0x08]);
        else if (mode == EXCERPT_TOML && len == 1 && (c < 0x20 || c == 0x7f))
            out = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
        else if (len == 0 || (len == 1 && (c < 0x20 || c == 0x7f)))
            out = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
        else if (quoted && (c == '"' || c == '\\'))
            out = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
        else if (c1 || bidi || cp == 0x2028 || cp == 0x2029)
            out = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
        size_t step = len ? len : 1, after = i + step < n ? 3 : 0; /* "..." if more follows */
        if (j + (out ? out : len) + after + 1 > dst_size) break;
        if (out) {
            memcpy(dst + j, esc, out);
            j += out;
        } else {
            memcpy(dst + j, s + i, len);
            j += len;
        }
        i += step;
    }
    if (i < n) {
        memcpy(dst + j, "...", 3);
        j += 3;
    }
    dst[j] = '\0';
}

void civic__excerpt(char *dst, size_t dst_size, const char *s, size_t n)
{
    excerpt(dst, dst_size, s, n, EXCERPT_QUOTED);
}

void civic__excerpt_toml(char *dst, size_t dst_size, const char *s, size_t n)
{
    excerpt(dst, dst_size, s, n, EXCERPT_TOML);
}

void civic__excerpt_raw(char *dst, size_t dst_size, const char *s, size_t n)
{
    excerpt(dst, dst_size, s, n, EXCERPT_RAW);
}

void civic__copy_fields(void *dst, const void *src, const civic_field *fields, size_t n,
                        uint32_t version)
{
    for (size_t i = 0; i < n; i++)
        if (fields[i].since <= version)
            memcpy((char *)dst + fields[i].offset, (const char *)src + fields[i].offset,
                   fields[i].size);
}

static const civic_field error_fields[] = {
    CIVIC_FIELD(civic_error, code, 1),   CIVIC_FIELD(civic_error, line, 1),
    CIVIC_FIELD(civic_error, column, 1), CIVIC_FIELD(civic_error, offset, 1),
    CIVIC_FIELD(civic_error, message, 1),
};

void civic__error_copy(civic_error *dst, const civic_error *src)
{
    /* Field by field: dst may be an older, smaller civic_error. */
    if (!dst || dst == src || dst->version < 1) return;
    civic__copy_fields(dst, src, error_fields, CIVIC_FIELD_COUNT(error_fields), dst->version);
}
