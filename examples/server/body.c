/*
** body.c -- see body.h.  Each function is one pass over the body that
** tracks only what it needs: string/escape state and nesting depth for JSON,
** quote state and field index for CSV.
*/
#include "body.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t skip_bom(const char *in, size_t len)
{
    return len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool body_is_json_array(const char *in, size_t len)
{
    size_t i = skip_bom(in, len);
    while (i < len && blank(in[i])) i++;
    return i < len && in[i] == '[';
}

typedef struct json_scan {
    unsigned depth;
    bool in_string, escape;
} json_scan;

/* Advance the string/depth state over c; true when c is structural (outside strings). */
static bool scan_step(json_scan *s, char c)
{
    if (s->in_string) {
        if (s->escape) s->escape = false;
        else if (c == '\\') s->escape = true;
        else if (c == '"') s->in_string = false;
        return false;
    }
    if (c == '"') s->in_string = true;
    else if (c == '{' || c == '[') s->depth++;
    else if ((c == '}' || c == ']') && s->depth) s->depth--;
    return true;
}

static int array_tail(const char *in, size_t i, size_t len, char *why, size_t n)
{
    while (i < len && blank(in[i])) i++;
    if (i == len) return 0;
    snprintf(why, n, "text after the closing ']' of the JSON array (byte %zu)", i + 1);
    return -1;
}

/* Brackets open inside one element of an array: the element's own object
 * and the 64 levels the library reads inside it (under an ignored key). */
#define ARRAY_NESTING_MAX 65

int body_array_to_lines(const char *in, size_t len, buf *out, char *why, size_t n)
{
    size_t i = skip_bom(in, len);
    while (i < len && blank(in[i])) i++;
    if (i == len || in[i] != '[') {
        snprintf(why, n, "not a JSON array");
        return -1;
    }
    char open[ARRAY_NESTING_MAX];
    size_t base = out->len;      /* an empty array takes back its blanks' spaces */
    unsigned depth = 0;          /* brackets open inside the current element */
    bool in_string = false, escape = false, filled = false, comma = false;
    size_t element = 1, start = ++i; /* start of the pending run to copy */
    for (; i < len; i++) {
        char c = in[i];
        if (in_string) {
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = filled = true;
        } else if (c == '{' || c == '[') {
            if (depth == ARRAY_NESTING_MAX) {
                snprintf(why, n, "element %zu of the JSON array is nested too deeply", element);
                return -1;
            }
            open[depth++] = c;
            filled = true;
        } else if ((c == '}' || c == ']') && depth > 0) {
            if ((open[--depth] == '{') != (c == '}')) {
                snprintf(why, n, "'%c' closes a '%c' in element %zu of the JSON array", c,
                         open[depth], element);
                return -1;
            }
        } else if (c == '}') {
            snprintf(why, n, "'}' without its '{' in element %zu of the JSON array", element);
            return -1;
        } else if (c == ']' || (c == ',' && depth == 0)) {
            if (!filled && (comma || c == ',')) {
                snprintf(why, n, "element %zu of the JSON array is empty", element);
                return -1;
            }
            if (!filled) { /* "[]": no element, so no line (the answer's "lines" counts them) */
                out->len = base;
                if (out->p) out->p[base] = '\0'; /* a buf's text stays NUL-terminated */
                return array_tail(in, i + 1, len, why, n);
            }
            buf_put(out, in + start, i - start);
            buf_put(out, "\n", 1);
            if (c == ']') return array_tail(in, i + 1, len, why, n);
            element++;
            filled = false;
            comma = true;
            start = i + 1;
        } else if (c == '\n' || c == '\r') { /* one element, one line */
            buf_put(out, in + start, i - start);
            buf_put(out, " ", 1);
            start = i + 1;
        } else if (!blank(c)) {
            filled = true;
        }
    }
    snprintf(why, n, in_string ? "unterminated string in the JSON array"
                               : "the JSON array has no closing ']'");
    return -1;
}

/* ------------------------------------------------------------ JSON Lines */

/* Whether the JSON string opening at line[i] == '"' spells source, its
 * escapes read (an encoder may write "sour\u0063e"); *close: the index of
 * its closing quote. */
static bool spells_source(const char *line, size_t n, size_t i, size_t *close)
{
    static const char want[] = "source";
    size_t k = 0;
    for (i++; i < n && line[i] != '"'; i++) {
        unsigned c = (unsigned char)line[i];
        if (c == '\\') {
            if (++i >= n) return false;
            c = (unsigned char)line[i];
            if (c == 'u') {
                unsigned v = 0;
                for (int d = 1; d <= 4; d++) {
                    int x = hex_digit(i + (size_t)d < n ? line[i + (size_t)d] : 0);
                    if (x < 0) return false;
                    v = v * 16 + (unsigned)x;
                }
                i += 4;
                c = v;
            } else if (c != '"' && c != '\\' && c != '/') {
                return false; /* \b \f \n \r \t: in no "source" */
            }
        }
        if (k >= sizeof(want) - 1 || c != (unsigned char)want[k]) return false;
        k++;
    }
    *close = i;
    return i < n && k == sizeof(want) - 1;
}

/* The top-level key "source" of the object starting at line[0] == '{':
 * 0 when there is none, 1 with a value, 2 when its value is null (an absent
 * source, as an empty CSV cell: *at..*end is that value).  "" is a source
 * given as empty, as a CSV cell written "": it stays, so that one event sent
 * as CSV and as JSON is one event. */
static int source_key(const char *line, size_t n, size_t *at, size_t *end)
{
    json_scan s = { 0, false, false };
    bool expect_key = false;
    for (size_t i = 0; i < n; i++) {
        char c = line[i];
        size_t close;
        if (!s.in_string && c == '"' && s.depth == 1 && expect_key) {
            if (spells_source(line, n, i, &close)) {
                size_t v = close + 1;
                while (v < n && (blank(line[v]) || line[v] == ':')) v++;
                if (v + 4 <= n && memcmp(line + v, "null", 4) == 0) *end = v + 4;
                else return 1;
                *at = v;
                return 2;
            }
            expect_key = false;
        }
        bool structural = scan_step(&s, c);
        if (structural && s.depth == 1 && (c == '{' || c == ',')) expect_key = true;
        if (structural && s.depth == 0 && i > 0) break;
    }
    return 0;
}

static void source_line(const char *line, size_t n, const char *source, buf *out)
{
    size_t i = 0, at = 0, end = 0;
    while (i < n && blank(line[i])) i++;
    int key = i < n && line[i] == '{' ? source_key(line + i, n - i, &at, &end) : 1;
    if (key == 1) {
        buf_put(out, line, n);
        return;
    }
    if (key == 2) { /* "source": null: the token's name in its place */
        buf_put(out, line, i + at);
        buf_puts(out, "\"");
        buf_puts(out, source);
        buf_puts(out, "\"");
        buf_put(out, line + i + end, n - i - end);
        return;
    }
    size_t k = i + 1;
    while (k < n && blank(line[k])) k++;
    if (k < n && line[k] == '}') {
        /* An empty object is refused all the same (for its missing id, or
         * for the text after it): left as sent, so that the error's column
         * is the one civic-score gives for the same bytes. */
        buf_put(out, line, n);
        return;
    }
    buf_put(out, line, i + 1);
    buf_puts(out, "\"source\":\"");
    buf_puts(out, source);
    buf_puts(out, "\",");
    buf_put(out, line + i + 1, n - i - 1);
}

void body_source_jsonl(const char *in, size_t len, const char *source, buf *out)
{
    size_t i = skip_bom(in, len); /* the load skips it too: the first object follows */
    buf_put(out, in, i);
    while (i < len) {
        const char *nl = memchr(in + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - in) + 1 : len;
        source_line(in + i, end - i, source, out);
        i = end;
    }
}

/* ------------------------------------------------------------ CSV */

/* Whether the header field f[0..n) names `want`, as the load reads header
 * names: quoted or not, in any case, blanks around it ignored. */
static bool header_is(const char *f, size_t n, const char *want)
{
    size_t m = strlen(want);
    while (n && (f[0] == ' ' || f[0] == '\t')) f++, n--;
    while (n && (f[n - 1] == ' ' || f[n - 1] == '\t')) n--;
    if (n >= 2 && f[0] == '"' && f[n - 1] == '"') {
        f++, n -= 2;
        while (n && (f[0] == ' ' || f[0] == '\t')) f++, n--;
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t')) n--;
    }
    if (n != m) return false;
    for (size_t i = 0; i < n; i++) {
        char c = f[i] >= 'A' && f[i] <= 'Z' ? (char)(f[i] - 'A' + 'a') : f[i];
        if (c != want[i]) return false;
    }
    return true;
}

/* Where the header starts: after a byte-order mark and the blank lines (empty,
 * or a lone CR) the load skips before it; len when there is none. */
static size_t csv_header_start(const char *in, size_t len)
{
    size_t i = skip_bom(in, len);
    for (;;) {
        if (i < len && in[i] == '\n') i++;
        else if (i + 1 < len && in[i] == '\r' && in[i + 1] == '\n') i += 2;
        else if (i + 1 == len && in[i] == '\r') i++;
        else return i;
    }
}

/* Index of the header column named "source" (as header_is reads it), or -1;
 * *end is the offset of the header's line feed (or len), *columns (when not
 * NULL) the header's number of columns.  A quote never closed ends the
 * header at the end of the body (the load refuses it). */
static long csv_source_column(const char *in, size_t len, size_t *end, long *columns)
{
    size_t i = csv_header_start(in, len), f = i;
    long col = 0, found = -1;
    bool quoted = false;
    for (;; i++) {
        char c = i < len ? in[i] : '\n';
        if (i >= len) quoted = false;
        if (c == '"') quoted = !quoted;
        if (quoted || (c != ',' && c != '\n')) continue;
        size_t flen = i - f;
        if (flen && in[f + flen - 1] == '\r' && c == '\n') flen--;
        if (header_is(in + f, flen, "source")) found = col;
        if (c == '\n') break;
        f = i + 1, col++;
    }
    *end = i < len ? i : len;
    if (columns) *columns = col + 1;
    return found;
}

/* The end of the CSV record that starts at `at` (its line feed, or len),
 * as the load (lib/csv.c, record_end) finds it: a quote opens a quoted field
 * only at the start of a field, and inside one "" is an escaped quote and a
 * lone " closes it.  A stray quote inside an unquoted field runs the record
 * over no line feed (the load refuses it on its own line), so flipping on
 * every quote would take later lines into the record.  *unclosed (when
 * not NULL): whether the text ends inside a quoted field. */
static size_t record_end(const char *text, size_t len, size_t at, bool *unclosed)
{
    bool in = false, field_start = true;
    for (size_t i = at; i < len; i++) {
        char c = text[i];
        if (in) {
            if (c == '"' && i + 1 < len && text[i + 1] == '"') i++;
            else if (c == '"') in = false;
            continue;
        }
        if (c == '"' && field_start) in = true;
        else if (c == '\n') return i;
        field_start = c == ',';
    }
    if (unclosed) *unclosed = in;
    return len;
}

/* Copy the records after the header, appending ",source" to each non-blank
 * record (column < 0) or filling the empty cell of column `column`. */
static void csv_records(const char *in, size_t i, size_t len, long column,
                        const char *source, buf *out)
{
    bool quoted = false, record_empty = true;
    long col = 0;
    size_t start = i;
    for (; i <= len; i++) {
        char c = i < len ? in[i] : '\n';
        bool at_field_start = i == start || (i > 0 && (in[i - 1] == ',' || in[i - 1] == '\n'));
        if (!quoted && at_field_start && col == column && (c == ',' || c == '\n' || c == '\r') &&
            !(record_empty && (c == '\n' || c == '\r'))) {
            buf_puts(out, source);
        }
        if (c == '"') quoted = !quoted;
        if (quoted || (c != '\n' && c != ',')) {
            if (i < len) buf_put(out, &c, 1);
            if (c != '\r') record_empty = false;
            continue;
        }
        if (c == ',') {
            col++, record_empty = false;
            buf_put(out, &c, 1);
            continue;
        }
        bool cr = out->len && out->p && out->p[out->len - 1] == '\r' && !record_empty;
        if (!record_empty && column < 0) {
            if (cr) out->len--;
            buf_puts(out, ",");
            buf_puts(out, source);
            if (cr) buf_put(out, "\r", 1);
        }
        if (i < len) buf_put(out, "\n", 1);
        col = 0, record_empty = true;
    }
}

void body_source_csv(const char *in, size_t len, const char *source, buf *out)
{
    size_t end, start = csv_header_start(in, len);
    bool unclosed;
    if (start >= len) { /* no header: nothing to give a source */
        buf_put(out, in, len);
        return;
    }
    /* A quote in the header that never closes makes the whole body the
     * header, which the load refuses: a column added at its end would only
     * add a line to the error ("1 line after it was read"), so the body is
     * left as sent, refused all the same. */
    record_end(in, len, start, &unclosed);
    if (unclosed) {
        buf_put(out, in, len);
        return;
    }
    long column = csv_source_column(in, len, &end, NULL);
    size_t hlen = end;
    if (column < 0) {
        bool cr = hlen > 0 && in[hlen - 1] == '\r';
        buf_put(out, in, cr ? hlen - 1 : hlen);
        buf_puts(out, ",source");
        if (cr) buf_put(out, "\r", 1);
    } else {
        buf_put(out, in, hlen);
    }
    if (end >= len) return;
    buf_put(out, "\n", 1);
    csv_records(in, end + 1, len, column, source, out);
}

/* ------------------------------------------------------------ errors */

/* Line `line` (1-based) of text[0..len): its start and length without the
 * line feed; false past the last line. */
static bool line_at(const char *text, size_t len, uint64_t line, size_t *at, size_t *n)
{
    size_t i = 0;
    for (uint64_t k = 1; k < line; k++) {
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl) return false;
        i = (size_t)(nl - text) + 1;
    }
    const char *nl = memchr(text + i, '\n', len - i);
    *at = i;
    *n = nl ? (size_t)(nl - text) - i : len - i;
    return true;
}

/* The 1-based column of rewritten line w[0..wn) in the line it was made of,
 * s[0..sn): the rewrite changed one stretch of the line, so what is before it
 * stays and what is after it moves back by what the rewrite added.  The end
 * is matched first: the key the JSON rewrite puts after '{' begins with the
 * quote the first key begins with, and that quote is the sent one's. */
static uint32_t column_as_sent(const char *s, size_t sn, const char *w, size_t wn, uint32_t column)
{
    size_t same = 0, tail = 0;
    while (tail < sn && tail < wn && s[sn - 1 - tail] == w[wn - 1 - tail]) tail++;
    while (same < sn - tail && same < wn - tail && s[same] == w[same]) same++;
    size_t pos = column - 1;
    if (pos < same || pos > wn) return column;
    if (pos >= wn - tail) return (uint32_t)(pos - (wn - sn) + 1);
    return (uint32_t)(same + 1); /* in what the rewrite wrote: where it went in */
}

/* "... column N..." in msg at `at` (just past the word "column "): N moved
 * back as column_as_sent moves it. */
static void move_column(char *msg, size_t size, char *at, const char *s, size_t sn, const char *w,
                        size_t wn)
{
    char *rest;
    unsigned long n = strtoul(at, &rest, 10);
    if (rest == at || n == 0 || n > UINT32_MAX) return;
    char tail[sizeof(((civic_error *)0)->message)];
    snprintf(tail, sizeof(tail), "%s", rest);
    snprintf(at, size - (size_t)(at - msg), "%u%s", column_as_sent(s, sn, w, wn, (uint32_t)n),
             tail);
}

/* Whether the record p[0..n) (without its LF) is records joined by lone CRs,
 * as the load (lib/csv.c, joined_by_cr) reads it: a whole record of ncols
 * fields before its first CR outside quotes that is no CRLF's, and another
 * whole one after a later lone CR or at the end.  *column: that first CR's,
 * or 0 when a line break in quotes comes before it. */
static bool joined_by_cr(const char *p, size_t n, long ncols, unsigned *column)
{
    bool in = false, field_start = true, after = false;
    long fields = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in) {
            if (c == '"' && i + 1 < n && p[i + 1] == '"') i++;
            else if (c == '"') in = false;
            else if (c == '\n') line_start = i + 1;
            continue;
        }
        if (c == '"' && field_start) {
            in = true;
        } else if (c == ',') {
            fields++;
            field_start = true;
            continue;
        } else if (c == '\r' && i + 1 < n && p[i + 1] != '\n') { /* lone: no CRLF's */
            if (fields == ncols && after) return true;
            if (fields != ncols && !after) return false;
            if (!after) *column = line_start ? 0 : (unsigned)(i + 1);
            after = true;
            fields = 1;
            field_start = true;
            continue;
        }
        field_start = false;
    }
    return after && fields == ncols;
}

/* The load adds to a CSV syntax error the place of a lone CR that joins
 * records (old Mac line ends), counting each joined record's fields against
 * the header's.  In the rewritten text the header and the last of the
 * joined records gained a field but the others did not, so the load could
 * not see it: the hint is worked out here from the body as sent. */
static void csv_cr_hint(const char *in, size_t len, civic_error *err)
{
    size_t end;
    long ncols;
    if ((err->code != CIVIC_E_SYNTAX && err->code != CIVIC_E_LIMIT) ||
        strstr(err->message, "carriage return") ||
        csv_source_column(in, len, &end, &ncols) >= 0 || end >= len)
        return;
    uint64_t line = 2; /* of the first record: the line after the header's */
    for (size_t i = 0; i < end; i++) line += in[i] == '\n';
    size_t at = end + 1, rend;
    for (;;) { /* the record holding the error's line */
        if (at >= len || err->line < line) return;
        rend = record_end(in, len, at, NULL);
        uint64_t lines = 1;
        for (size_t i = at; i < rend; i++) lines += in[i] == '\n';
        if (err->line < line + lines) break;
        line += lines;
        at = rend + 1;
    }
    unsigned column = 0;
    if (!memchr(in + at, '\r', rend - at) || !joined_by_cr(in + at, rend - at, ncols, &column))
        return;
    size_t used = strlen(err->message);
    char *tail = err->message + used;
    size_t room = sizeof(err->message) - used;
    if (column && err->line != line)
        snprintf(tail, room, " (a carriage return at line %llu, column %u: lines must end in LF "
                 "or CRLF)", (unsigned long long)line, column);
    else if (column)
        snprintf(tail, room, " (a carriage return at column %u: lines must end in LF or CRLF)",
                 column);
    else
        snprintf(tail, room, " (a carriage return not followed by a line feed: lines must end "
                 "in LF or CRLF)");
}

/* "(the quoted field opened at line L, column C ...": the load's place of
 * the quote that ran a CSV record over lines.  L is often not the error's
 * line, so C is moved back along line L (a cell filled before the quote
 * moved it), as the leading column is along the error's. */
static void move_opened_column(char *msg, size_t size, const char *in, size_t in_len,
                               const char *out, size_t out_len)
{
    static const char opened[] = "(the quoted field opened at line ";
    char *at = strstr(msg, opened), *rest;
    if (!at) return;
    at += strlen(opened);
    unsigned long long line = strtoull(at, &rest, 10);
    size_t sa, sn, wa, wn;
    if (rest == at || strncmp(rest, ", column ", 9) != 0 || !line ||
        !line_at(in, in_len, line, &sa, &sn) || !line_at(out, out_len, line, &wa, &wn))
        return;
    if (line == 1) { /* columns of line 1 are counted after a byte-order mark */
        size_t b = skip_bom(in, in_len), c = skip_bom(out, out_len);
        sa += b, sn -= b, wa += c, wn -= c;
    }
    move_column(msg, size, rest + 9, in + sa, sn, out + wa, wn);
}

void body_source_error(const char *in, size_t in_len, const char *out, size_t out_len, bool csv,
                       civic_error *err)
{
    size_t sa, sn, wa, wn;
    if (!err->line || !line_at(in, in_len, err->line, &sa, &sn) ||
        !line_at(out, out_len, err->line, &wa, &wn))
        return;
    if (csv) move_opened_column(err->message, sizeof(err->message), in, in_len, out, out_len);
    if (err->line == 1) { /* the load counts line 1's columns after a byte-order mark */
        size_t b = skip_bom(in, in_len), c = skip_bom(out, out_len);
        sa += b, sn -= b, wa += c, wn -= c;
    }
    char msg[sizeof(err->message)];
    unsigned long long line = (unsigned long long)err->line;
    char head[64];
    int hn = snprintf(head, sizeof(head), "line %llu, column %u: ", line, err->column);
    if (err->column && strncmp(err->message, head, (size_t)hn) == 0) {
        uint32_t column = column_as_sent(in + sa, sn, out + wa, wn, err->column);
        snprintf(msg, sizeof(msg), "line %llu, column %u: %s", line, column, err->message + hn);
        memcpy(err->message, msg, sizeof(msg));
        err->column = column;
        if (csv) csv_cr_hint(in, in_len, err);
        return;
    }
    /* a record with the wrong number of fields: one fewer on each side when
     * the rewrite gave the header a column and this record a field */
    unsigned expected, found;
    int used = 0;
    size_t end;
    hn = snprintf(head, sizeof(head), "line %llu: expected ", line);
    if (!csv || strncmp(err->message, head, (size_t)hn) != 0 ||
        sscanf(err->message + hn, "%u fields as in the header, found %n", &expected, &used) != 1 ||
        expected == 0 || used == 0) {
        if (csv) csv_cr_hint(in, in_len, err);
        return;
    }
    const char *after = err->message + hn + used;
    if (csv_source_column(in, in_len, &end, NULL) < 0) { /* the header gained the column */
        /* and this record its field, unless it is blank to the rewrite (CRs) */
        bool field = record_end(out, out_len, wa, NULL) - wa != record_end(in, in_len, sa, NULL) - sa;
        if (field && sscanf(after, "%u%n", &found, &used) == 1 && found > 0)
            snprintf(msg, sizeof(msg), "%s%u fields as in the header, found %u%s", head,
                     expected - 1, found - 1, after + used);
        else /* no field added, or "found more than N" */
            snprintf(msg, sizeof(msg), "%s%u fields as in the header, found %s", head,
                     expected - 1, after);
        memcpy(err->message, msg, sizeof(msg));
    }
    char *cr = strstr(err->message, "(a carriage return at column ");
    if (cr)
        move_column(err->message, sizeof(err->message), cr + strlen("(a carriage return at column "),
                    in + sa, sn, out + wa, wn);
    else
        csv_cr_hint(in, in_len, err);
}
