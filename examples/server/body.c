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

/* out NULL: whether in is a JSON array, its lines made nowhere. */
static void put_line_text(buf *out, const char *p, size_t n)
{
    if (out) buf_put(out, p, n);
}

int body_array_to_lines(const char *in, size_t len, buf *out, char *why, size_t n)
{
    size_t i = skip_bom(in, len);
    while (i < len && blank(in[i])) i++;
    if (i == len || in[i] != '[') {
        snprintf(why, n, "not a JSON array");
        return -1;
    }
    char open[ARRAY_NESTING_MAX];
    size_t base = out ? out->len : 0; /* an empty array has no line */
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
                if (out) out->len = base;
                if (out && out->p) out->p[base] = '\0'; /* a buf's text stays NUL-terminated */
                return array_tail(in, i + 1, len, why, n);
            }
            put_line_text(out, in + start, i - start);
            put_line_text(out, "\n", 1);
            if (c == ']') return array_tail(in, i + 1, len, why, n);
            element++;
            filled = false;
            comma = true;
            start = i + 1;
        } else if (!filled && blank(c)) { /* a line's column counts from the element */
            start = i + 1;
        } else if (c == '\n' || c == '\r') { /* one element, one line */
            put_line_text(out, in + start, i - start);
            put_line_text(out, " ", 1);
            start = i + 1;
        } else if (!blank(c)) {
            filled = true;
        }
    }
    snprintf(why, n, in_string ? "unterminated string in the JSON array"
                               : "the JSON array has no closing ']'");
    return -1;
}

uint64_t body_array_line(const char *in, size_t len)
{
    char why[8];
    if (body_array_to_lines(in, len, NULL, why, sizeof(why)) != 0) return 0;
    uint64_t line = 1;
    for (size_t i = skip_bom(in, len); in[i] != '['; i++) line += in[i] == '\n';
    return line;
}

bool body_lines_joined(const char *in, size_t len)
{
    if (memchr(in, '\n', len) || memchr(in, '\r', len)) return false;
    size_t i = skip_bom(in, len);
    while (i < len && blank(in[i])) i++;
    if (i == len || in[i] == '[') return false; /* an array needs no line break */
    if (in[i] == '#') return true;
    if (in[i] != '{') { /* a ',' after a first name, not a form's "events=[...,...]" */
        const char *comma = memchr(in + i, ',', len - i);
        return comma && !memchr(in + i, '=', (size_t)(comma - (in + i)));
    }
    json_scan scan = { 0 };
    for (; i < len; i++)
        if (scan_step(&scan, in[i]) && in[i] == '}' && scan.depth == 0) break;
    if (i == len) return false; /* its first object not closed: one object */
    for (i++; i < len && blank(in[i]); i++) {}
    return i < len && in[i] == '{';
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
 * *end is the offset of the header's line feed (or len).  A quote never
 * closed ends the header at the end of the body (the load refuses it). */
static long csv_source_column(const char *in, size_t len, size_t *end)
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
    return found;
}

/* Whether the CSV record that starts at `at` runs to the end of the text
 * inside a quoted field, as the load (lib/csv.c, record_end) reads it: a
 * quote opens a quoted field only at the start of a field, and inside one
 * "" is an escaped quote and a lone " closes it.  A stray quote inside an
 * unquoted field opens nothing (the load refuses it on its own line), so
 * flipping on every quote would take later lines into the record. */
static bool never_closes(const char *text, size_t len, size_t at)
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
        else if (c == '\n') return false;
        field_start = c == ',';
    }
    return in;
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
        if (c == '"' && quoted && i + 1 < len && in[i + 1] == '"') { /* "" in quotes */
            buf_put(out, "\"\"", 2);
            i++;
            record_empty = false;
            continue;
        }
        /* a quote opens a quoted field only at a field's start, as the load
         * reads it: a stray one inside a field opens nothing (the load
         * refuses it on its line, and the lines after it keep their source) */
        if (c == '"' && (quoted || at_field_start)) quoted = !quoted;
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
    if (start >= len) { /* no header: nothing to give a source */
        buf_put(out, in, len);
        return;
    }
    /* A quote in the header that never closes makes the whole body the
     * header, which the load refuses: a column added at its end would only
     * add a line to the error ("1 line after it was read"), so the body is
     * left as sent, refused all the same. */
    if (never_closes(in, len, start)) {
        buf_put(out, in, len);
        return;
    }
    long column = csv_source_column(in, len, &end);
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

/* The error's column (and the message's leading "line L, column C: ")
 * moved back past what the rewrite put in on the error's line: for an error
 * that a load of the body as sent does not give (it comes of the engine's
 * state, such as an id seen in an earlier batch with another source). */
static void move_back(const char *in, size_t in_len, const char *out, size_t out_len,
                      civic_error *err)
{
    size_t sa, sn, wa, wn;
    if (!err->line || !err->column || !line_at(in, in_len, err->line, &sa, &sn) ||
        !line_at(out, out_len, err->line, &wa, &wn))
        return;
    if (err->line == 1) { /* the load counts line 1's columns after a byte-order mark */
        size_t b = skip_bom(in, in_len), c = skip_bom(out, out_len);
        sa += b, sn -= b, wa += c, wn -= c;
    }
    char head[64], msg[sizeof(err->message)];
    unsigned long long line = (unsigned long long)err->line;
    int hn = snprintf(head, sizeof(head), "line %llu, column %u: ", line, err->column);
    if (strncmp(err->message, head, (size_t)hn) != 0) return;
    uint32_t column = column_as_sent(in + sa, sn, out + wa, wn, err->column);
    snprintf(msg, sizeof(msg), "line %llu, column %u: %s", line, column, err->message + hn);
    memcpy(err->message, msg, sizeof(msg));
    err->column = column;
}

void body_error_as_sent(civic_rules *rules, const char *in, size_t in_len, const char *out,
                        size_t out_len, bool csv, civic_error *err)
{
    /* The rewrite only gave events a source, which no reader check looks
     * at: a load of the body as sent, in an engine of its own, stops at the
     * same line for the same reason unless the error came of what the
     * server's engine holds.  Then its error is the body's as sent, hints
     * and all, with nothing to work out again here. */
    civic_engine *scratch = NULL;
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = csv ? CIVIC_FORMAT_CSV : CIVIC_FORMAT_JSONL;
    civic_error again = CIVIC_ERROR_INIT;
    int rc = CIVIC_E_NOMEM;
    /* out of memory has no line to tell again: its reason stays (an
     * `again` never loaded would have replaced it with an empty one) */
    if (err->code == CIVIC_E_NOMEM) return;
    if (rules && civic_engine_new(&scratch, rules, NULL) == CIVIC_OK)
        rc = civic_engine_load(scratch, in, in_len, &opts, NULL, &again);
    civic_engine_free(scratch);
    if (rc == err->code && again.line == err->line) {
        *err = again;
        return;
    }
    move_back(in, in_len, out, out_len, err);
    /* the body as sent got past this line (it loads, or fails later): the
     * source put in took the record past its length limit, which the
     * service cannot take however the rest is mended */
    size_t used = strlen(err->message);
    bool past = rc == CIVIC_OK || (rc != CIVIC_E_NOMEM && again.line > err->line);
    if (past && err->code == CIVIC_E_LIMIT && strstr(err->message, "longer than") &&
        used < sizeof(err->message))
        snprintf(err->message + used, sizeof(err->message) - used,
                 " (with the source the service adds for the token)");
}
