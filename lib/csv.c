/*
** csv.c -- the CSV event loader (RFC 4180).
**
** A header line names the columns (id, subject, type, ts required; qty,
** group, ref optional; others ignored; names compared case-insensitively
** after trimming blanks).  Fields may be quoted with "" escapes and may then
** hold commas and line breaks; records end with LF or CRLF; a UTF-8 BOM at
** the start is skipped; blank lines are skipped.  Line numbers count
** physical lines from 1 (the header), columns count bytes from 1.
**
** The fast path handles a record with no quote character by splitting on
** commas in place; only records with quotes take the general path, which
** unescapes into a scratch buffer.  Nothing is allocated per record.
**
** It reads records and hands them to the sink (sink.c); whether a stretch
** is read here or in parts on helper threads is load.c's choice, which it
** makes through civic__csv_format.  Invariants: the header's column map
** (csv_state) is written only by the serial reader, before any part is
** parsed, and only read by part runners (the record the serial reader is
** at, csv_state.raw, is its own alone); a part holds no quote, so every
** record of a part is one line.
*/
#include "pipeline.h"

#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CSV_COLUMNS_MAX CIVIC__CSV_COLUMNS_MAX

/* What the header said, kept across the calls of one load. */
typedef struct csv_state {
    bool header_done;
    uint32_t ncols;
    int16_t col_field[CSV_COLUMNS_MAX]; /* column -> CIVIC_F_* or -1 */
    const char *raw;                    /* the record being read (serially), */
    size_t raw_n;                       /* without its LF, and its first line: */
    uint64_t raw_line;                  /* for csv_error and csv_note */
    bool raw_last;                      /* no line break after it: the input's last */
    uint64_t broken_line;               /* its csv_record's, once split */
    uint32_t broken_column;
    uint64_t header_hash;               /* the header's bytes (no BOM, no line */
    size_t header_n;                    /* end): a later line that repeats it */
} csv_state;

static csv_state *state_of(civic_loader *ld) { return ld->format_state; }
static const csv_state *state_in(const civic_loader *ld) { return ld->format_state; }

typedef struct csv_record {
    const char *field[CSV_COLUMNS_MAX];
    size_t len[CSV_COLUMNS_MAX];
    uint32_t column[CSV_COLUMNS_MAX];
    uint32_t count;
    bool too_many;
    uint64_t lines;        /* physical lines the record spans */
    uint64_t broken_line;  /* where the first quoted field holding a line */
    uint32_t broken_column; /* break opens (a stray quote's?); 0: none */
} csv_record;

/* Lines in p[0..n) past its first: the line breaks inside its quotes. */
static uint64_t breaks_in(const char *p, size_t n)
{
    uint64_t k = 0;
    for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++) k++;
    return k;
}

/* what, of a record r (its text p[0..n) without its line end) read from
 * line on, with where the record's first line break in quotes began when it
 * has one: a stray quote makes the lines after it one record, the error may
 * be met lines later, and a lenient load skips them all as one bad line. */
static const char *with_break_hint(const csv_record *r, const char *p, size_t n, uint64_t line,
                                   const char *what, char *buf, size_t size)
{
    if (!r->broken_line) return what;
    snprintf(buf, size, "%s (the quoted field opened at line %llu, column %u holds line breaks: "
             "lines %llu to %llu were read as one record)", what,
             (unsigned long long)r->broken_line, r->broken_column, (unsigned long long)line,
             (unsigned long long)(line + breaks_in(p, n)));
    return buf;
}

/* The column of the quote opening the first quoted field of p[0..n) that
 * holds a line break, or 0 (none in p).  On the record's first line: a
 * line break outside quotes would have ended the record. */
static uint32_t first_break_column(const char *p, size_t n)
{
    bool in = false, field_start = true;
    size_t open = 0;
    for (size_t i = 0; i < n && i < UINT32_MAX; i++) {
        char c = p[i];
        if (in) {
            if (c == '"' && i + 1 < n && p[i + 1] == '"') i++;
            else if (c == '"') in = false;
            else if (c == '\n') return (uint32_t)(open + 1);
            continue;
        }
        if (c == '"' && field_start) in = true, open = i;
        else if (c == '\n') return 0;
        field_start = c == ',';
    }
    return 0;
}

/* Whether the record p[0..n) (without its LF) is records joined by lone
 * CRs (lines ended so, old Mac files, below a header that ends in LF): a
 * whole record of ncols fields before its first CR outside quotes that is
 * no CRLF's, and another whole one between two later lone CRs or the last
 * and the end (a blank or a short record may come between).  *column:
 * that first CR's, or 0 when a line break in quotes comes before it. */
static bool joined_by_cr(const char *p, size_t n, uint32_t ncols, uint32_t *column)
{
    bool in = false, field_start = true, after = false;
    uint32_t fields = 1;
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
        } else if (c == '\r' && i + 1 < n) { /* a lone CR (the last byte may be CRLF's) */
            if (fields == ncols && after) return true;
            if (fields != ncols && !after) return false;
            if (!after) *column = line_start ? 0 : (uint32_t)(i + 1);
            after = true;
            fields = 1;
            field_start = true;
            continue;
        }
        field_start = false;
    }
    return after && fields == ncols;
}

bool civic__csv_cr_hint(char *where, size_t size, const char *what, const char *raw,
                        size_t raw_n, uint32_t ncols, uint64_t line, uint64_t raw_line)
{
    uint32_t at = 0;
    where[0] = '\0';
    if (!raw || !memchr(raw, '\r', raw_n) || !joined_by_cr(raw, raw_n, ncols, &at)) return false;
    if (strstr(what, "carriage return")) return true; /* said already */
    if (at && line != raw_line)
        snprintf(where, size, " (a carriage return at line %llu, column %u: lines must end in LF "
                 "or CRLF)", (unsigned long long)raw_line, at);
    else if (at)
        snprintf(where, size, " (a carriage return at column %u: lines must end in LF or CRLF)",
                 at);
    else
        snprintf(where, size, " (a carriage return not followed by a line feed: lines must end "
                 "in LF or CRLF)");
    return true;
}

void civic__csv_stray_cr_note(civic_error *e, const char *p, size_t n)
{
    if (n < 2 || p[n - 1] != '\r' || p[n - 2] != '\r' || memchr(p, '\n', n) ||
        strstr(e->message, "carriage return"))
        return;
    size_t cr = n - 2; /* the first of the CRs before the line end's */
    while (cr > 0 && p[cr - 1] == '\r') cr--;
    /* the last field's first byte: after the last comma outside quotes */
    bool in = false, field_start = true;
    size_t last = 0;
    for (size_t i = 0; i < cr; i++) {
        if (in) {
            if (p[i] == '"') in = false; /* "" reads as a close and an open */
            continue;
        }
        if (p[i] == '"' && field_start) in = true;
        if (p[i] == ',') last = i + 1;
        field_start = p[i] == ',';
    }
    if (in || e->column == 0 || e->column < last + 1 || cr >= UINT32_MAX) return;
    char hint[96];
    snprintf(hint, sizeof(hint), " (a carriage return at column %u: lines must end in LF or "
             "CRLF)", (unsigned)(cr + 1));
    civic__error_append(e, hint);
}

/* civic_format.note: of the record the serial reader is at.  A stray
 * quote that a later line closes makes one record of the lines between,
 * whose error may be any (a field's value, an id seen before): each says
 * where that quoted field opened and which lines it took, since a lenient
 * load skips them all as one bad line.  A byte-order mark that opens a
 * line, or a line that is the header again, is most often the start of
 * another file joined to the first: said, and the line is left as it is
 * read (1.0 read it so: what it accepted is accepted). */
/* Whether p[0..n) (no line end) is spaces and tabs, one at least: no
 * empty line, which is skipped, but a record of one field that is none. */
static bool blanks_only(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t') return false;
    return n > 0;
}

bool civic__csv_separators_only(const char *p, size_t n)
{
    bool comma = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ',') comma = true;
        else if (p[i] != ' ' && p[i] != '\t') return false;
    }
    return comma;
}

/* What the line p[0..n) (no mark, no line end), refused, is to the header
 * h: HEADER_SAME, the header again (its bytes, or names that match the
 * same columns in the same order); HEADER_ORDER or HEADER_OTHER, a header
 * of the same columns in another order or of other columns (names as a
 * header holds them, id, subject, type and ts among them, none twice; a
 * name no field takes is a column the header ignores); else HEADER_NOT.
 * The line is split as CSV (a quoted name may hold a comma); one whose
 * field in the header's ts column is a time is data, not a header.  On the
 * error path only: of a line already refused. */
enum { HEADER_NOT, HEADER_SAME, HEADER_ORDER, HEADER_OTHER };

static int header_again(const civic_csv_header *h, const char *p, size_t n)
{
    if (n == h->n && civic__hash_bytes(p, n) == h->hash) return HEADER_SAME;
    bool in_order = true;
    bool seen[CIVIC_F_COUNT] = { false }, held[CIVIC_F_COUNT] = { false };
    uint32_t count = 0;
    for (size_t start = 0;; count++) {
        /* split as CSV: a comma inside quotes is a name's ("a,b"); a
         * quote left open, or text after one closed, is no header */
        size_t from = start, q = start;
        while (q < n && (p[q] == ' ' || p[q] == '\t')) q++;
        if (q < n && p[q] == '"') {
            for (q++; q < n && (p[q] != '"' || (q + 1 < n && p[q + 1] == '"')); q++)
                q += p[q] == '"';
            if (q >= n) return HEADER_NOT;
            from = q + 1;
            while (from < n && (p[from] == ' ' || p[from] == '\t')) from++;
            if (from < n && p[from] != ',') return HEADER_NOT;
        }
        const char *comma = memchr(p + from, ',', n - from);
        size_t end = comma ? (size_t)(comma - p) : n;
        const char *name = p + start;
        size_t len = end - start;
        while (len && (*name == ' ' || *name == '\t')) name++, len--;
        while (len && (name[len - 1] == ' ' || name[len - 1] == '\t')) len--;
        if (len >= 2 && name[0] == '"' && name[len - 1] == '"') name++, len -= 2;
        if (count >= CSV_COLUMNS_MAX) return HEADER_NOT;
        int64_t t;
        const char *why;
        if (count < h->ncols && h->col_field[count] == CIVIC_F_TS && len &&
            civic__time_parse(name, len, 0, &t, &why) == CIVIC_OK)
            return HEADER_NOT; /* its ts is a time: data, whatever else it holds */
        int k = civic__field_of_name(name, len, h->v1); /* -1: a column no field takes */
        if (k >= 0 && seen[k]) return HEADER_NOT;
        if (k >= 0) seen[k] = true;
        if (count >= h->ncols || h->col_field[count] != k) in_order = false;
        if (!comma) break;
        start = end + 1;
    }
    for (int k = 0; k <= CIVIC_F_TS; k++)
        if (!seen[k]) return HEADER_NOT;
    if (in_order && count + 1 == h->ncols) return HEADER_SAME;
    for (uint32_t c = 0; c < h->ncols; c++)
        if (h->col_field[c] >= 0) held[h->col_field[c]] = true;
    return count + 1 == h->ncols && memcmp(seen, held, sizeof(seen)) == 0 ? HEADER_ORDER
                                                                          : HEADER_OTHER;
}

#define HEADER_JOINED "were files joined? load them as separate files"

/* The "(did you mean 'x'?)" an unknown type gets after its quoted value
 * (event.c), dropped from e: the type column of a line that is a header
 * holds a column's name, no misspelt rule code ("subject" is no 'object'),
 * and the room goes to what the line is. */
static void drop_meant(civic_error *e)
{
    static const char open[] = "\" (did you mean '";
    char *at = NULL;
    for (char *q = e->message; (q = strstr(q, open)) != NULL; q++) at = q;
    char *end = at ? strstr(at + sizeof(open) - 1, "'?)") : NULL;
    if (end) memmove(at + 1, end + 3, strlen(end + 3) + 1);
}

/* What the load and the split note of a line refused, p[0..n) (without its
 * LF), once the header h is read (NULL: not yet): a byte-order mark that
 * opens it, the header again or another file's header, a row of separators
 * only.  The words of both: civic_split says them as the load does. */
void civic__csv_line_note(civic_error *e, const char *p, size_t n, const civic_csv_header *h)
{
    bool bom = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0;
    if (bom) p += 3, n -= 3;
    if (n > 0 && p[n - 1] == '\r') n--;
    int header = h ? header_again(h, p, n) : HEADER_NOT;
    const char *other = header == HEADER_ORDER ? "is a header of another column order: "
                        HEADER_JOINED : "is a header of other columns: " HEADER_JOINED;
    char hint[160];
    if (header != HEADER_NOT) drop_meant(e);
    if (bom && header == HEADER_SAME)
        civic__error_append(e, " (the line starts with U+FEFF, a byte-order mark, and repeats "
                               "the header: were files joined? remove the line)");
    else if (bom && header != HEADER_NOT)
        snprintf(hint, sizeof(hint), " (the line starts with U+FEFF and %s)",
                 other), civic__error_append(e, hint);
    else if (bom)
        civic__error_append(e, " (" CIVIC__BOM_LINE ")");
    else if (header == HEADER_SAME)
        civic__error_append(e, " (the line repeats the header: were files joined? remove it)");
    else if (header != HEADER_NOT)
        snprintf(hint, sizeof(hint), " (the line %s)", other), civic__error_append(e, hint);
    else if (h && civic__csv_separators_only(p, n))
        civic__error_append(e, CIVIC__EMPTY_ROW);
    else if (h && blanks_only(p, n))
        civic__error_append(e, " (a line of blanks only: delete it)");
}

static void csv_note(const civic_loader *ld, civic_error *e)
{
    const csv_state *st = state_in(ld);
    const char *p = st->raw;
    size_t n = st->raw_n;
    bool v1 = ld->engine->rules->spec_version < 2;
    if (!p) return;
    /* a last line a crash cut short, its value ending in the zero-filled
     * tail: said first, beside the value */
    if (st->raw_last && e->line == st->raw_line && !memchr(p, '\n', n))
        civic__loader_nul_tail(ld, e, p, n, false);
    if (st->broken_line && !strstr(e->message, "holds line breaks")) { /* said already */
        char hint[160];
        snprintf(hint, sizeof(hint), " (the quoted field opened at line %llu, column %u holds "
                 "line breaks: lines %llu to %llu were read as one record)",
                 (unsigned long long)st->broken_line, st->broken_column,
                 (unsigned long long)st->raw_line,
                 (unsigned long long)(st->raw_line + breaks_in(p, n)));
        civic__error_append(e, hint);
    }
    if (!st->header_done) { /* a header that cannot be read: "id";"subject";... */
        const char *hint = civic__csv_separators_hint(p, n, v1);
        if (*hint && !strstr(e->message, "separated by")) civic__error_append(e, hint);
        /* the whole input, a log whose line breaks were removed: a quote
         * of a field may be what fails, where the lines ran together */
        if (st->raw_line == 1 && st->raw_last && !memchr(p, '\n', n))
            civic__csv_one_line_note(e, p, n);
    }
    if (st->header_done) civic__csv_stray_cr_note(e, p, n); /* "...\r\r\n" */
    /* of the record's first line, as the split notes it: a quote that
     * opened a field holding line breaks is no header's */
    const char *lf = memchr(p, '\n', n);
    civic_csv_header h = { st->ncols, st->col_field, st->header_hash, st->header_n, v1 };
    civic__csv_line_note(e, p, lf ? (size_t)(lf - p) : n, st->header_done ? &h : NULL);
}

static int csv_error(civic_loader *ld, int code, uint64_t line, uint32_t column,
                     const char *what)
{
    civic_error e = CIVIC_ERROR_INIT;
    const csv_state *st = state_in(ld);
    char where[96];
    if (st->header_done && civic__csv_cr_hint(where, sizeof(where), what, st->raw, st->raw_n,
                                              st->ncols, line, st->raw_line)) {
        /* Skipped, the "line" would take every record after it: stopped,
         * in a lenient load too, with where the CR is. */
        if (column)
            civic__error_set(&e, code, line, column, 0, "line %llu, column %u: %s%s",
                             (unsigned long long)line, column, what, where);
        else
            civic__error_set(&e, code, line, 0, 0, "line %llu: %s%s", (unsigned long long)line,
                             what, where);
        return civic__loader_fatal(ld, &e);
    }
    if (column)
        civic__error_set(&e, code, line, column, 0, "line %llu, column %u: %s",
                         (unsigned long long)line, column, what);
    else
        civic__error_set(&e, code, line, 0, 0, "line %llu: %s", (unsigned long long)line, what);
    /* A header that cannot be read stops a lenient load too: skipping it
     * would make the first record the header. */
    if (!state_in(ld)->header_done) return civic__loader_fatal(ld, &e);
    return civic__loader_reject(ld, &e);
}

/* "record longer than 1 MiB", of the record p[0..n) (n: as much of it as
 * is here when complete is false), with where a quoted field that holds its
 * line breaks opens: a stray quote in a large log makes this record. */
void civic__csv_too_long_what(char *what, size_t size, const char *p, size_t n, bool complete,
                              uint64_t line)
{
    uint32_t column = first_break_column(p, n);
    if (column && complete)
        snprintf(what, size, "record longer than 1 MiB (the quoted field opened at line %llu, "
                 "column %u holds line breaks: lines %llu to %llu were read as one record)",
                 (unsigned long long)line, column, (unsigned long long)line,
                 (unsigned long long)(line + breaks_in(p, n)));
    else if (column)
        snprintf(what, size, "record longer than 1 MiB (the quoted field opened at line %llu, "
                 "column %u holds line breaks: the lines after it were read as one record)",
                 (unsigned long long)line, column);
    else
        snprintf(what, size, "record longer than 1 MiB");
}

static int csv_too_long(civic_loader *ld, const char *p, size_t n, bool complete, uint64_t line)
{
    char what[256];
    civic__csv_too_long_what(what, sizeof(what), p, n, complete, line);
    /* a header on line 1 with no line break in all that is read of it: a
     * large log whose line breaks were removed (curl -d) */
    if (!state_in(ld)->header_done && line == 1 && !memchr(p, '\n', n))
        snprintf(what, sizeof(what), "record longer than 1 MiB" CIVIC__LONG_LINE_HINT);
    return csv_error(ld, CIVIC_E_LIMIT, line, 0, what);
}

/* A quote opened at p[open] of the record p[0..n) (its first line: *line)
 * and never closed: the rest of the input is one record.  Said where the
 * quote is (*line moves to its line; the column is returned), and how many
 * lines it took, since a lenient load skips them all as one bad line. */
uint32_t civic__csv_unterminated_what(char *what, size_t size, const char *p, size_t n,
                                      size_t open, uint64_t *line)
{
    size_t line_start = 0;
    for (size_t i = 0; i < open; i++)
        if (p[i] == '\n') ++*line, line_start = i + 1;
    uint64_t after = 0;
    for (const char *q = p + open; (q = memchr(q, '\n', n - (size_t)(q - p))) != NULL; q++)
        after++;
    if (after)
        snprintf(what, size, "unterminated quoted field at end of input (the quote opens here: "
                 "%llu line%s after it %s read into the field)", (unsigned long long)after,
                 after == 1 ? "" : "s", after == 1 ? "was" : "were");
    else
        snprintf(what, size, "unterminated quoted field at end of input");
    return (uint32_t)(open - line_start + 1);
}

static int csv_unterminated(civic_loader *ld, const char *p, size_t n, size_t open, uint64_t line)
{
    char what[160];
    uint32_t column = civic__csv_unterminated_what(what, sizeof(what), p, n, open, &line);
    return csv_error(ld, CIVIC_E_SYNTAX, line, column, what);
}

#define HEADER_CR "a carriage return inside the header (lines must end in LF or CRLF)"

/* Where the header record p[0..n) (without its LF; its first line *line)
 * holds a carriage return other than the one of its own CRLF line end (a
 * name may not hold one, in quotes either): lines ended by a lone CR (old
 * Mac files) read as one long header whose other "columns" would be
 * ignored, with no event and no error.  Looked for before anything else of
 * the header (in its first 1 MiB): a stray quote, more columns than a header
 * may have, or a length past 1 MiB may come after such a CR, and the CR is
 * what to tell. */
bool civic__csv_header_cr(const char *p, size_t n, uint64_t *line, uint32_t *column)
{
    if (n > 0 && p[n - 1] == '\r') n--;
    const char *cr = memchr(p, '\r', n);
    if (!cr) return false;
    size_t line_start = 0;
    for (size_t i = 0; i < (size_t)(cr - p); i++)
        if (p[i] == '\n') ++*line, line_start = i + 1;
    *column = (uint32_t)((size_t)(cr - p) - line_start + 1);
    return true;
}

/* Find the end of the record starting at p.  Returns the index of the byte
 * after the record terminator (or len at EOF), or SIZE_MAX if the record is
 * not complete and more data may follow.  *quoted says whether any '"'
 * occurs; *unterminated, whether the input ends inside a quoted field, whose
 * opening quote is then at p[*open]. */
size_t civic__csv_record_end(const char *p, size_t len, bool final, bool *quoted,
                             bool *unterminated, size_t *open)
{
    size_t opened = 0;
    *unterminated = false;
    const char *nl = memchr(p, '\n', len);
    size_t n = nl ? (size_t)(nl - p) : len;
    *quoted = memchr(p, '"', n) != NULL;
    if (!*quoted) return nl ? n + 1 : (final ? len : SIZE_MAX);
    /* A quote opens a quoted field only at the start of a field; inside a
     * quoted field "" is an escaped quote and a lone " closes it.  A stray
     * quote inside an unquoted field does not swallow the following lines:
     * split_quoted reports it. */
    bool in = false, field_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in) {
            if (c == '"') {
                if (i + 1 < len && p[i + 1] == '"') i++;
                else if (i + 1 == len && !final) return SIZE_MAX;
                else in = false;
            }
            continue;
        }
        if (c == '"' && field_start) in = true, opened = i;
        else if (c == '\n') return i + 1;
        field_start = c == ',';
    }
    if (!final) return SIZE_MAX;
    *unterminated = in;
    *open = opened;
    return len;
}

static bool is_blank_record(const char *p, size_t n)
{
    return n == 0 || (n == 1 && p[0] == '\r');
}

/* Append a field (or note one too many). */
static inline void add_field(csv_record *r, const char *value, size_t len, uint32_t column)
{
    if (r->count < CSV_COLUMNS_MAX) {
        r->field[r->count] = value;
        r->len[r->count] = len;
        r->column[r->count] = column;
        r->count++;
    } else {
        r->too_many = true;
    }
}

/* Split an unquoted record (without its terminator) on commas. */
static void split_plain(const char *p, size_t n, csv_record *r)
{
    size_t start = 0;
    r->count = 0;
    r->too_many = false;
    r->lines = 1;
    r->broken_line = 0;
    if (n > 0 && p[n - 1] == '\r') n--;
    for (;;) {
        const char *comma = memchr(p + start, ',', n - start);
        size_t end = comma ? (size_t)(comma - p) : n;
        add_field(r, p + start, end - start, (uint32_t)(start + 1));
        if (!comma) break;
        start = end + 1;
    }
}

/* General path: quotes, escapes and embedded line breaks. */
static int split_quoted(civic_loader *ld, const char *p, size_t n, csv_record *r, char *scratch,
                        uint64_t line, bool *ok)
{
    size_t i = 0, out = 0, line_start = 0;
    char hint[320];
    r->count = 0;
    r->too_many = false;
    r->lines = 1;
    r->broken_line = 0;
    r->broken_column = 0;
    if (n > 0 && p[n - 1] == '\n') n--;
    if (n > 0 && p[n - 1] == '\r') n--;
    for (;;) {
        uint32_t column = (uint32_t)(i - line_start + 1);
        uint64_t field_line = line + r->lines - 1;
        const char *value;
        size_t vlen;
        if (i < n && p[i] == '"') {
            size_t start = out;
            i++;
            for (;;) {
                if (i >= n) return csv_error(ld, CIVIC_E_SYNTAX, field_line, column,
                                             "unterminated quoted field");
                if (p[i] == '"') {
                    if (i + 1 < n && p[i + 1] == '"') {
                        scratch[out++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (p[i] == '\n') {
                    if (!r->broken_line) r->broken_line = field_line, r->broken_column = column;
                    r->lines++;
                    line_start = i + 1;
                }
                scratch[out++] = p[i++];
            }
            if (i < n && p[i] != ',') {
                return csv_error(ld, CIVIC_E_SYNTAX, line + r->lines - 1,
                                 (uint32_t)(i - line_start + 1),
                                 with_break_hint(r, p, n, line, "unexpected character after "
                                                 "a closing quote", hint, sizeof(hint)));
            }
            value = scratch + start;
            vlen = out - start;
        } else {
            size_t start = i;
            while (i < n && p[i] != ',') {
                if (p[i] == '"')
                    return csv_error(ld, CIVIC_E_SYNTAX, field_line,
                                     (uint32_t)(i - line_start + 1),
                                     with_break_hint(r, p, n, line, "a quote inside an "
                                                     "unquoted field (quote the whole field)",
                                                     hint, sizeof(hint)));
                i++;
            }
            value = p + start;
            vlen = i - start;
        }
        /* A column counts on the field's own line; an error names the
         * record's first line, so a field that starts on a later one gives
         * none rather than a column of another line. */
        add_field(r, value, vlen, field_line == line ? column : 0);
        if (i >= n) break;
        i++; /* the comma */
    }
    *ok = true;
    return CIVIC_OK;
}

/* Whether a header record p[0..n) holds U+FF0C, the full-width comma an
 * input method types for ',' (the header is then one or two long names). */
static bool full_width_commas(const char *p, size_t n)
{
    for (size_t i = 0; i + 3 <= n; i++)
        if (memcmp(p + i, "\xEF\xBC\x8C", 3) == 0) return true;
    return false;
}

/* The header line p[0..n), its mark and blanks and CR at either end aside
 * and a quote around it all taken off: *n then its length. */
static const char *header_core(const char *p, size_t *n)
{
    if (*n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3, *n -= 3;
    while (*n && (*p == ' ' || *p == '\t')) p++, --*n;
    while (*n && (p[*n - 1] == ' ' || p[*n - 1] == '\r')) --*n;
    if (*n >= 2 && p[0] == '"' && p[*n - 1] == '"') p++, *n -= 2;
    return p;
}

/* The separator a spreadsheet's line "sep=X" sets (the record "sep=" and
 * an empty field when X is ',', or "sep=X" quoted whole: any case): its
 * length (X one character, of ASCII or UTF-8, or none: 0) and *sep where
 * it is, or -1: no log has it (SPEC 3: a header line names the columns). */
static int separator_line(const char *p, size_t n, const char **sep)
{
    const char *q = p;
    size_t m = n; /* "sep= ": a blank is the separator named, not the line's end */
    if (m >= 3 && memcmp(q, "\xEF\xBB\xBF", 3) == 0) q += 3, m -= 3;
    if (m && q[m - 1] == '\r') m--;
    if (m == 5 && (q[0] | 0x20) == 's' && (q[1] | 0x20) == 'e' && (q[2] | 0x20) == 'p' &&
        q[3] == '=' && q[4] == ' ') {
        *sep = q + 4;
        return 1;
    }
    p = header_core(p, &n);
    if (n < 4 || n > 8 || (p[0] != 's' && p[0] != 'S') || (p[1] != 'e' && p[1] != 'E') ||
        (p[2] != 'p' && p[2] != 'P') || p[3] != '=')
        return -1;
    *sep = p + 4;
    unsigned char c = n > 4 ? (unsigned char)p[4] : 0;
    size_t len = n == 4 ? 0 : c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                                                            : c >= 0xF0 && c <= 0xF4 ? 4 : 5;
    size_t bad;
    if (n - 4 != len || (len > 1 && !civic__text_valid(p + 4, len, &bad))) return -1;
    return (int)len;
}

/* Whether the header line p[0..n) is one separated by sep: three names or
 * more, one of them a column the load needs ("ID;Subject;Type;Date"), not a
 * title line that holds a ';'.  Names as a header's: any case, blanks
 * around, quoted or not. */
static bool separated_by(const char *p, size_t n, char sep, bool v1)
{
    uint32_t fields = 0;
    bool needed = false;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3, n -= 3;
    if (n && p[n - 1] == '\r') n--;
    for (size_t at = 0; at <= n && fields < CSV_COLUMNS_MAX; fields++) {
        const char *end = memchr(p + at, sep, n - at);
        size_t len = end ? (size_t)(end - (p + at)) : n - at;
        const char *name = p + at;
        while (len && (*name == ' ' || *name == '\t')) name++, len--;
        while (len && (name[len - 1] == ' ' || name[len - 1] == '\t')) len--;
        if (len >= 2 && name[0] == '"' && name[len - 1] == '"') name++, len -= 2;
        int k = civic__field_of_name(name, len, v1);
        if (k >= 0 && k <= CIVIC_F_TS) needed = true;
        if (!end) {
            fields++;
            break;
        }
        at = (size_t)(end - p) + 1;
    }
    return needed && fields >= 3;
}

/* The hint for a header line p[0..n) separated by ';' or tabs, or "". */
const char *civic__csv_separators_hint(const char *p, size_t n, bool v1)
{
    if (separated_by(p, n, ';', v1))
        return " (the fields are separated by ';': save the export as CSV with commas)";
    if (separated_by(p, n, '\t', v1))
        return " (the fields are separated by tabs: save the export as CSV with commas)";
    return "";
}

/* What a header record p[0..n) (its first line: line) that lacks a
 * required column most likely is (the words for every front end:
 * civic-score shows them as they are, civic_split says them as the load),
 * into buf, or "": written with full-width commas, a spreadsheet's "sep=X"
 * line, or fields separated by ';' or tabs.  Looked for only once the
 * header failed. */
const char *civic__csv_header_hint(const char *p, size_t n, uint64_t line, bool v1, char *buf,
                                   size_t size)
{
    const char *sep = "";
    int len = separator_line(p, n, &sep);
    if (blanks_only(p, n > 0 && p[n - 1] == '\r' ? n - 1 : n)) {
        snprintf(buf, size, " (line %llu holds blanks only: delete it, the header comes first)",
                 (unsigned long long)line);
        return buf;
    }
    if (full_width_commas(p, n))
        return " (it uses the full-width comma '\xEF\xBC\x8C'; the separator is ',')";
    if (len == 1 && sep[0] == ',')
        snprintf(buf, size, " (a spreadsheet's 'sep=,' line: delete line %llu)",
                 (unsigned long long)line);
    else if (len == 1 && sep[0] == '\t')
        snprintf(buf, size, " (a spreadsheet's 'sep=' line of a tab: the fields are separated "
                 "by tabs; save the export as CSV with commas)");
    else if (len == 0)
        snprintf(buf, size, " (a spreadsheet's 'sep=' line that names no separator: save the "
                 "export as CSV with commas)");
    else if (len == 1 && ((unsigned char)sep[0] < ' ' || sep[0] == 0x7f))
        snprintf(buf, size, " (a spreadsheet's 'sep=' line of a control character: save the "
                 "export as CSV with commas)");
    else if (len > 0) /* one character, ASCII or UTF-8 (checked whole) */
        snprintf(buf, size, " (a spreadsheet's 'sep=%.*s' line: the fields are separated by "
                 "'%.*s'; save the export as CSV with commas)", len, sep, len, sep);
    else
        return civic__csv_separators_hint(p, n, v1);
    return buf;
}

/* A name longer than this is no export's name of a required column. */
#define LIKE_NAME_MAX 24

void civic__csv_like_note(civic_csv_like *like, const char *name, size_t n)
{
    /* what an export most often calls a required column, in lower case
     * without blanks, '_' and '-' ("Event ID", "event_id", "resident-id") */
    static const struct {
        const char *word;
        int field;
    } likes[] = {
        { "eventid", CIVIC_F_ID },       { "resident", CIVIC_F_SUBJECT },
        { "subjectid", CIVIC_F_SUBJECT }, { "residentid", CIVIC_F_SUBJECT },
        { "member", CIVIC_F_SUBJECT },   { "eventtype", CIVIC_F_TYPE },
        { "kind", CIVIC_F_TYPE },        { "date", CIVIC_F_TS },
        { "time", CIVIC_F_TS },          { "timestamp", CIVIC_F_TS },
        { "datetime", CIVIC_F_TS },
    };
    char word[LIKE_NAME_MAX + 1];
    size_t w = 0;
    while (n && (*name == ' ' || *name == '\t')) name++, n--;
    while (n && (name[n - 1] == ' ' || name[n - 1] == '\t')) n--;
    if (n == 0 || n > LIKE_NAME_MAX) return;
    for (size_t i = 0; i < n; i++) { /* letters, blanks, '_' and '-' only: said as it is */
        char c = name[i];
        if (c >= 'A' && c <= 'Z') word[w++] = (char)(c - 'A' + 'a');
        else if (c >= 'a' && c <= 'z') word[w++] = c;
        else if (c != ' ' && c != '_' && c != '-') return;
    }
    word[w] = '\0';
    for (size_t k = 0; k < sizeof(likes) / sizeof(likes[0]); k++) {
        if (strcmp(word, likes[k].word) != 0) continue;
        if (!like->name[likes[k].field]) { /* the first such name */
            like->name[likes[k].field] = name;
            like->n[likes[k].field] = n;
        }
        return;
    }
}

bool civic__csv_like_any(const civic_csv_like *like, const bool *seen)
{
    for (int k = 0; k <= CIVIC_F_TS; k++)
        if (!seen[k] && like->name[k]) return true;
    return false;
}

void civic__csv_missing_what(char *what, size_t size, const bool *seen,
                             const civic_csv_like *like, const char *hint, size_t said)
{
    int missing[CIVIC_F_TS + 1], m = 0, renames = 0;
    for (int k = 0; k <= CIVIC_F_TS; k++)
        if (!seen[k]) {
            missing[m++] = k;
            renames += like && like->name[k];
        }
    size_t at = 0;
    at += (size_t)snprintf(what, size, "the header has no ");
    for (int i = 0; i < m && at < size; i++) /* 'id', 'subject' or 'ts' */
        at += (size_t)snprintf(what + at, size - at, "%s'%s'",
                               i == 0 ? "" : i + 1 == m ? " or " : ", ",
                               civic__field_names[missing[i]]);
    if (at < size)
        at += (size_t)snprintf(what + at, size - at, " column (required: id, subject, type, "
                               "ts)%s", hint);
    if (*hint || renames == 0 || at >= size) return;
    /* "; rename 'Event ID' to 'id', 'Resident' to 'subject' and 'Date' to
     * 'ts'": whole or not at all (each name is at most LIKE_NAME_MAX
     * bytes of ASCII: "; rename " and four of a separator, the name, a
     * column's and "'' to ''" fit this) */
    char rename[9 + 4 * (5 + LIKE_NAME_MAX + 7 + 8) + 1];
    size_t r = (size_t)snprintf(rename, sizeof(rename), "; rename ");
    for (int i = 0, j = 0; i < m; i++) {
        int k = missing[i];
        if (!like->name[k]) continue;
        r += (size_t)snprintf(rename + r, sizeof(rename) - r, "%s'%.*s' to '%s'",
                              j == 0 ? "" : j + 1 == renames ? " and " : ", ",
                              (int)like->n[k], like->name[k], civic__field_names[k]);
        j++;
    }
    if (said + at + r < CIVIC_ERROR_MESSAGE_SIZE && at + r < size)
        memcpy(what + at, rename, r + 1);
}

/* A name shown in the words of civic__csv_time_what at most this long (a
 * time as a ts has it is shorter, "2025-03-04T09:30:00.250+08:00"). */
#define TIME_NAME_SHOWN 40

bool civic__csv_time_name(const char *name, size_t n)
{
    while (n && (*name == ' ' || *name == '\t')) name++, n--;
    while (n && (name[n - 1] == ' ' || name[n - 1] == '\t')) n--;
    size_t sign = n && name[0] == '-', d = sign;
    while (d < n && name[d] >= '0' && name[d] <= '9') d++;
    /* an integer of fewer than nine digits may well be a column's name (a
     * year, a code): Unix seconds of nine digits and more are 1973 on */
    if (n == 0 || (d == n && n - sign < 9)) return false;
    int64_t t;
    const char *why;
    return civic__time_parse(name, n, 0, &t, &why) == CIVIC_OK;
}

void civic__csv_one_line_note(civic_error *e, const char *p, size_t n)
{
    if (strstr(e->message, "line breaks removed")) return; /* said already */
    if (memchr(p, '\r', n)) return; /* lines ended by a lone CR: the breaks are there */
    for (size_t at = 0; at < n;) { /* split on every comma: its quotes may be what failed */
        const char *comma = memchr(p + at, ',', n - at);
        size_t end = comma ? (size_t)(comma - p) : n;
        const char *v = p + at;
        size_t m = end - at;
        if (m >= 2 && v[0] == '"' && v[m - 1] == '"') v++, m -= 2;
        if (civic__csv_time_name(v, m)) {
            civic__error_append(e, CIVIC__ONE_LINE_HINT);
            return;
        }
        at = end + 1;
    }
}

void civic__csv_time_what(char *what, size_t size, const char *name, size_t n)
{
    while (n && (*name == ' ' || *name == '\t')) name++, n--;
    while (n && (name[n - 1] == ' ' || name[n - 1] == '\t')) n--;
    /* a time is printable ASCII: shown as it is, a long fraction cut */
    snprintf(what, size, "a column named like a time ('%.*s%s'), in a header that is the whole "
             "input: " CIVIC__BREAKS_GONE, n > TIME_NAME_SHOWN ? TIME_NAME_SHOWN : (int)n, name,
             n > TIME_NAME_SHOWN ? "..." : "");
}

static int csv_header(civic_loader *ld, const csv_record *r, uint64_t line)
{
    csv_state *st = state_of(ld);
    char what[CIVIC_ERROR_MESSAGE_SIZE];
    civic_error e = CIVIC_ERROR_INIT;
    bool seen[CIVIC_F_COUNT] = { false };
    civic_csv_like like;
    memset(&like, 0, sizeof(like));
    /* The whole input, without a line break: a log whose line breaks were
     * removed (curl -d) reads as one header.  A name that is a time is then
     * an event's ts, said before what it makes wrong (a column missing or
     * twice, too many); a name no field takes, as an event's values are,
     * and where one the header needs is there (a line "2025-03-04" alone is
     * no log's header run together). */
    bool whole = line == 1 && st->raw_last && !memchr(st->raw, '\n', st->raw_n);
    const char *one_line = whole ? CIVIC__ONE_LINE_HINT : "";
    uint32_t time_at = UINT32_MAX;
    bool needed = false;
    for (uint32_t c = 0; whole && c < r->count; c++) {
        int k = civic__field_of_name(r->field[c], r->len[c], ld->engine->rules->spec_version < 2);
        needed = needed || (k >= 0 && k <= CIVIC_F_TS);
        if (k < 0 && time_at == UINT32_MAX && civic__csv_time_name(r->field[c], r->len[c]))
            time_at = c;
    }
    if (needed && time_at != UINT32_MAX) {
        char words[CIVIC_ERROR_MESSAGE_SIZE];
        civic__csv_time_what(words, sizeof(words), r->field[time_at], r->len[time_at]);
        civic__error_set(&e, CIVIC_E_SYNTAX, line, r->column[time_at], 0,
                         "line %llu, column %u: %s", (unsigned long long)line,
                         r->column[time_at], words);
        goto fatal;
    }
    if (r->too_many) {
        civic__error_set(&e, CIVIC_E_LIMIT, line, 0, 0, "line %llu: more than %u columns%s",
                         (unsigned long long)line, CSV_COLUMNS_MAX, one_line);
        goto fatal;
    }
    st->ncols = r->count;
    for (uint32_t c = 0; c < r->count; c++) {
        st->col_field[c] = -1;
        int k = civic__field_of_name(r->field[c], r->len[c],
                                     ld->engine->rules->spec_version < 2);
        if (k < 0) civic__csv_like_note(&like, r->field[c], r->len[c]);
        if (k >= 0) {
            if (seen[k]) {
                snprintf(what, sizeof(what), "column '%s' appears twice in the header%s",
                         civic__field_names[k], one_line);
                if (r->column[c]) /* 0: the name is on a later line of the header */
                    civic__error_set(&e, CIVIC_E_SYNTAX, line, r->column[c], 0,
                                     "line %llu, column %u: %s", (unsigned long long)line,
                                     r->column[c], what);
                else
                    civic__error_set(&e, CIVIC_E_SYNTAX, line, 0, 0, "line %llu: %s",
                                     (unsigned long long)line, what);
                goto fatal;
            }
            seen[k] = true;
            st->col_field[c] = (int16_t)k;
        }
    }
    if (!seen[CIVIC_F_ID] || !seen[CIVIC_F_SUBJECT] || !seen[CIVIC_F_TYPE] || !seen[CIVIC_F_TS]) {
        /* every required column missing, at once, and what the header
         * most likely is, or what to rename (not in a header a stray
         * quote made of several lines, nor in one that a byte-order mark
         * opens: the note of that follows, csv_note) */
        char hint[128], words[CIVIC_ERROR_MESSAGE_SIZE], at[32];
        int said = snprintf(at, sizeof(at), "line %llu: ", (unsigned long long)line);
        bool noted = r->broken_line ||
                     (st->raw && st->raw_n >= 3 && memcmp(st->raw, "\xEF\xBB\xBF", 3) == 0);
        /* what the header most likely is first (';' between its names, a
         * 'sep=' line), else what to rename, else that it is the whole
         * input (its names then an event's values) */
        const char *likely = civic__csv_header_hint(st->raw ? st->raw : "",
                                                    st->raw ? st->raw_n : 0, line,
                                                    ld->engine->rules->spec_version < 2, hint,
                                                    sizeof(hint));
        if (!*likely && (noted || !civic__csv_like_any(&like, seen))) likely = one_line;
        civic__csv_missing_what(words, sizeof(words), seen, noted ? NULL : &like, likely,
                                said > 0 ? (size_t)said : 0);
        civic__error_set(&e, CIVIC_E_SYNTAX, line, 0, 0, "%s%s", at, words);
        goto fatal;
    }
    /* what a second header, of files joined, is told by (csv_note) */
    st->header_n = st->raw_n && st->raw[st->raw_n - 1] == '\r' ? st->raw_n - 1 : st->raw_n;
    st->header_hash = civic__hash_bytes(st->raw, st->header_n);
    st->header_done = true;
    return CIVIC_OK;
fatal:
    /* Without a header nothing can be read: fatal in lenient mode too. */
    return civic__loader_fatal(ld, &e);
}

/* A record of one line, p[0..n) without its LF, whose field count (found,
 * or more than found) is not the header's ncols and that holds NUL bytes,
 * into what: the NULs named first where they make the count (a file cut
 * short by a crash, its tail zero-filled, ends in a "line" of NULs alone,
 * or of a few bytes and NULs: one field), the first NUL's column returned;
 * else the count, the first NUL's column after it, 0 returned.  For the
 * load and the split alike; met only once the line is refused. */
uint32_t civic__csv_nul_what(char *what, size_t size, const char *p, size_t n, uint32_t ncols,
                             uint32_t found, bool more)
{
    size_t nuls = 0;
    if (n > 0 && p[n - 1] == '\r') n--;
    for (size_t i = 0; i < n; i++) nuls += p[i] == '\0';
    if (nuls == n) {
        snprintf(what, size, "%zu NUL bytes (" NULS_WHY ")", nuls);
        return 0;
    }
    size_t at = (size_t)((const char *)memchr(p, '\0', n) - p);
    if (found != 1 || more) { /* the NULs did not make the count: it first */
        snprintf(what, size, "expected %u fields as in the header, found %s%u, and a NUL byte "
                 "at column %zu", ncols, more ? "more than " : "", found, at + 1);
        return 0;
    }
    snprintf(what, size, "a NUL byte (expected %u fields as in the header, found %s%u)", ncols,
             more ? "more than " : "", found);
    return at < UINT32_MAX ? (uint32_t)(at + 1) : 0;
}

static int csv_nul_count(civic_loader *ld, const csv_record *r, uint64_t line)
{
    const csv_state *st = state_in(ld);
    char what[160];
    uint32_t column = civic__csv_nul_what(what, sizeof(what), st->raw, st->raw_n, st->ncols,
                                          r->count, r->too_many);
    return csv_error(ld, CIVIC_E_SYNTAX, line, column, what);
}

/* plain: the record has no quote, so its fields are its bytes, at their
 * columns of its one line. */
static int csv_data(civic_loader *ld, const csv_record *r, uint64_t line, bool plain)
{
    const csv_state *st = state_in(ld);
    civic_fields f;
    char what[192];
    if (r->count != st->ncols || r->too_many) {
        if (plain && st->raw && memchr(st->raw, '\0', st->raw_n) &&
            !(r->count == 1 && r->len[0] == 1)) /* one NUL alone: NUL_ALONE below */
            return csv_nul_count(ld, r, line);
        int n = snprintf(what, sizeof(what), "expected %u fields as in the header, found %s%u",
                         st->ncols, r->too_many ? "more than " : "", r->count);
        /* two records joined by a lone CR (a line end of old Mac files)
         * have too many fields: say where it is (in a quoted record a CR
         * may be a field's text, and a column may not be of this line) */
        for (uint32_t c = 0; plain && r->count > st->ncols && c < r->count && n > 0 &&
                             (size_t)n < sizeof(what); c++) {
            const char *cr = memchr(r->field[c], '\r', r->len[c]);
            if (!cr) continue;
            snprintf(what + n, sizeof(what) - (size_t)n, " (a carriage return at column %u: "
                     "lines must end in LF or CRLF)",
                     r->column[c] + (uint32_t)(cr - r->field[c]));
            break;
        }
        if (plain && r->count == 1 && r->len[0] == 1 && r->field[0][0] == '\0' && n > 0 &&
            (size_t)n < sizeof(what)) /* a record of one NUL byte alone: named (the
                                          * hint of strlen + 1 only where it is the
                                          * text's last byte and only NUL:
                                          * civic__error_nul_hint) */
            snprintf(what + n, sizeof(what) - (size_t)n, ": " NUL_ALONE);
        char hint[384];
        return csv_error(ld, CIVIC_E_SYNTAX, line, 0, /* stops joined records */
                         with_break_hint(r, st->raw, st->raw_n, line, what, hint,
                                         sizeof(hint)));
    }
    memset(&f, 0, sizeof(f));
    f.meant = &ld->meant;
    for (uint32_t c = 0; c < r->count; c++) {
        int k = st->col_field[c];
        if (k < 0) continue;
        f.column[k] = r->column[c]; /* an empty cell too: "missing" points at it */
        if (r->len[c] == 0) continue;
        f.v[k] = r->field[c];
        f.n[k] = r->len[c];
    }
    return civic__loader_event(ld, &f, line);
}

/* Consume [p, p + n) of a record being skipped (ld->skip), counting its
 * lines, as civic__csv_record_end would scan it.  Returns whether it ended (at its line
 * break, or at the end of the input); *used: the bytes it took. */
static bool skip_record(civic_loader *ld, const char *p, size_t n, bool final, size_t *used)
{
    civic_skip *s = &ld->skip;
    size_t i = 0;
    if (s->quote_pending && n > 0) {
        s->quote_pending = false;
        if (p[0] == '"') i = 1; /* "" : an escaped quote, still inside */
        else s->in = false;
    }
    for (; i < n; i++) {
        char c = p[i];
        if (c == '\n') ld->line++;
        if (s->in) {
            if (c == '"') {
                if (i + 1 < n) {
                    if (p[i + 1] == '"') i++;
                    else s->in = false;
                } else if (!final) {
                    s->quote_pending = true;
                } else {
                    s->in = false;
                }
            }
            continue;
        }
        if (c == '"' && s->field_start) {
            s->in = true;
        } else if (c == '\n') {
            *used = i + 1;
            s->on = false;
            return true;
        }
        s->field_start = c == ',';
    }
    *used = n;
    if (n > 0) s->last_nl = p[n - 1] == '\n';
    if (!final) return false;
    if (!s->last_nl) ld->line++; /* a last line without a break */
    s->on = false;
    return true;
}

/* The serial reader (civic_format.serial): the records of [data, data +
 * len), starting none at or past offset `until`. */
static int csv_serial(civic_loader *ld, const char *data, size_t len, bool final, size_t until,
                      size_t *used)
{
    size_t pos = 0;
    csv_record rec;
    char *scratch = NULL;
    int rc = CIVIC_OK;
    while (pos < len && pos < until && rc == CIVIC_OK) {
        if (ld->skip.on) {
            size_t k = 0;
            bool done = skip_record(ld, data + pos, len - pos, final, &k);
            ld->offset += k;
            pos += k;
            if (!done) break;
            continue;
        }
        bool quoted, unterminated, ok = false;
        size_t open = 0;
        size_t n = civic__csv_record_end(data + pos, len - pos, final, &quoted, &unterminated,
                                         &open);
        uint64_t line = ld->line + 1, cr_line = line;
        uint32_t cr_column = 0;
        state_of(ld)->raw = NULL;
        state_of(ld)->raw_line = line;
        state_of(ld)->broken_line = 0;
        state_of(ld)->raw_last = false;
        if (n == SIZE_MAX) {
            if (len - pos > CIVIC_LINE_BYTES_MAX) {
                /* as much of it as is here: records joined by lone CRs
                 * may make a "record" of any length */
                state_of(ld)->raw = data + pos;
                state_of(ld)->raw_n = len - pos;
                if (!state_in(ld)->header_done &&
                    civic__csv_header_cr(data + pos, CIVIC_LINE_BYTES_MAX, &cr_line, &cr_column)) {
                    rc = csv_error(ld, CIVIC_E_SYNTAX, cr_line, cr_column, HEADER_CR);
                    break; /* fatal */
                }
                /* Too long to hold: strict, the batch fails; lenient, the
                 * record is rejected now and skipped as it is read on. */
                rc = csv_too_long(ld, data + pos, len - pos, false, line);
                if (rc == CIVIC_OK) {
                    ld->skip = (civic_skip){ .on = true, .field_start = true };
                    continue;
                }
            }
            break;
        }
        const char *p = data + pos;
        size_t body = n && p[n - 1] == '\n' ? n - 1 : n;
        state_of(ld)->raw = p; /* for csv_error: records joined by lone CRs */
        state_of(ld)->raw_n = body;
        state_of(ld)->raw_last = body == n; /* complete without a line break: final */
        if (!state_in(ld)->header_done &&
            civic__csv_header_cr(p, body < CIVIC_LINE_BYTES_MAX ? body : CIVIC_LINE_BYTES_MAX,
                                 &cr_line, &cr_column)) {
            rc = csv_error(ld, CIVIC_E_SYNTAX, cr_line, cr_column, HEADER_CR); /* fatal */
        } else if (body > CIVIC_LINE_BYTES_MAX) {
            rc = csv_too_long(ld, p, body, true, line);
        } else if (unterminated) {
            rc = csv_unterminated(ld, p, body, open, line);
        } else if (!quoted) {
            ok = !is_blank_record(p, body);
            if (ok) split_plain(p, body, &rec);
        } else {
            if (!scratch) scratch = civic__malloc(&ld->engine->alc, CIVIC_LINE_BYTES_MAX);
            if (!scratch) {
                rc = civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
            } else {
                rec.count = 0;
                rc = split_quoted(ld, p, n, &rec, scratch, line, &ok);
                state_of(ld)->broken_line = rec.broken_line; /* for csv_note */
                state_of(ld)->broken_column = rec.broken_column;
            }
        }
        if (rc == CIVIC_OK && ok)
            rc = state_in(ld)->header_done ? csv_data(ld, &rec, line, !quoted)
                                           : csv_header(ld, &rec, line);
        uint64_t lines = 1; /* an unquoted record is one line */
        if (quoted) {
            lines = 0;
            for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + n - q))) != NULL; q++) lines++;
            if (n > 0 && p[n - 1] != '\n') lines++;
        }
        ld->line += lines;
        ld->offset += n;
        pos += n;
    }
    state_of(ld)->raw = NULL;
    if (scratch) civic__free(&ld->engine->alc, scratch, CIVIC_LINE_BYTES_MAX);
    *used = pos;
    return rc;
}

/* ------------------------------------------------------------ parallel parse
 * (the machinery is in pipeline.c).  A part is quote-free, so every record
 * is one line; a line a runner cannot convert is read again by the serial
 * reader when the part is inserted, for the exact error. */

static inline unsigned popcount32(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    return (((v + (v >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
}

/* Eight-bit lanes: 0x80 in each byte of x that is zero, exactly. */
static inline uint64_t zero_bytes(uint64_t x)
{
    const uint64_t low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
    return ~(((x & low7) + low7) | x | low7);
}

/* A line of a part being split: each field goes straight where the header
 * maps it (map: column -> CIVIC_F_*, -1 for a column no field takes,
 * including every column past the header's), so no record is copied into
 * the fields afterwards.  A line whose count differs from the header's is
 * read again serially, so what it left in f is never converted: the next
 * line with the header's count sets every mapped field again. */
typedef struct part_row {
    civic_fields *f;
    const int16_t *map;
    uint32_t count;
} part_row;

static inline void row_field(part_row *r, const char *value, size_t len, uint32_t column)
{
    int k = r->count < CSV_COLUMNS_MAX ? r->map[r->count] : -1;
    r->count += r->count <= CSV_COLUMNS_MAX; /* CSV_COLUMNS_MAX + 1: too many */
    if (k >= 0) {
        r->f->v[k] = len ? value : NULL;
        r->f->n[k] = len;
        r->f->column[k] = column; /* an empty cell too: "missing" points at it */
    }
}

/* Where the split of one line stands: the next byte to look at, the start
 * of the current field, the line's end once found, unprintable bytes seen. */
typedef struct line_scan {
    size_t i, start, end, bad;
    bool found;
} line_scan;

#if defined(__SSE2__)
/* Sixteen bytes at a time where SSE2 is there (every x86-64). */
static inline void scan16(const char *p, size_t avail, part_row *r, line_scan *sc)
{
    const __m128i v_comma = _mm_set1_epi8(','), v_lf = _mm_set1_epi8('\n');
    const __m128i v_space = _mm_set1_epi8(' '), v_del = _mm_set1_epi8(0x7f);
    for (; !sc->found && sc->i + 16 <= avail; sc->i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + sc->i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(x, v_comma), _mm_cmpeq_epi8(x, v_lf)));
        /* signed compare: below 0x20, or 0x80 and up */
        unsigned u = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmplt_epi8(x, v_space), _mm_cmpeq_epi8(x, v_del)));
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            size_t at = sc->i + k;
            if (p[at] == '\n') {
                sc->end = at;
                sc->found = true;
                u &= (1u << k) - 1; /* the bytes before the LF */
                break;
            }
            row_field(r, p + sc->start, at - sc->start, (uint32_t)(sc->start + 1));
            sc->start = at + 1;
            m &= m - 1;
        }
        if (u) sc->bad += popcount32(u);
    }
}
#endif

/* Eight bytes at a time, in a 64-bit word. */
static inline void scan8(const char *p, size_t avail, part_row *r, line_scan *sc)
{
    const uint64_t commas = UINT64_C(0x2c2c2c2c2c2c2c2c), lfs = UINT64_C(0x0a0a0a0a0a0a0a0a);
    for (; !sc->found && sc->i + 8 <= avail; sc->i += 8) {
        uint64_t w;
        memcpy(&w, p + sc->i, 8);
        uint64_t u = civic__unprintable8(w);
        uint64_t m = zero_bytes(w ^ commas) | zero_bytes(w ^ lfs);
        while (m) {
            unsigned bit = (unsigned)__builtin_ctzll(m);
            size_t at = sc->i + bit / 8;
            if (p[at] == '\n') {
                sc->end = at;
                sc->found = true;
                u &= bit ? (UINT64_C(1) << bit) - 1 : 0; /* the bytes before the LF */
                break;
            }
            row_field(r, p + sc->start, at - sc->start, (uint32_t)(sc->start + 1));
            sc->start = at + 1;
            m &= m - 1;
        }
        if (u) sc->bad += (size_t)(((u >> 7) * UINT64_C(0x0101010101010101)) >> 56); /* markers */
    }
}

/* The last few bytes, one at a time. */
static inline void scan1(const char *p, size_t avail, part_row *r, line_scan *sc)
{
    for (; !sc->found && sc->i < avail; sc->i++) {
        unsigned char c = (unsigned char)p[sc->i];
        if (c == '\n') {
            sc->end = sc->i;
            sc->found = true;
        } else if (c == ',') {
            row_field(r, p + sc->start, sc->i - sc->start, (uint32_t)(sc->start + 1));
            sc->start = sc->i + 1;
        } else if (c < 0x20 || c >= 0x7f) {
            sc->bad++;
        }
    }
}

/* One line of a quote-free part, split on commas in the same pass that
 * finds its end, sixteen or eight bytes at a time.  Returns the bytes of the
 * line with its '\n' (if any); *body gets its length without.  *printable:
 * every byte of the fields is printable ASCII (a final CR before the LF
 * excepted, which is not part of any field). */
static size_t split_line(const char *p, size_t avail, part_row *r, size_t *body,
                         bool *printable)
{
    line_scan sc = { 0, 0, avail, 0, false };
    r->count = 0;
#if defined(__SSE2__)
    scan16(p, avail, r, &sc);
#endif
    scan8(p, avail, r, &sc);
    scan1(p, avail, r, &sc);
    size_t last = sc.end;
    if (last > sc.start && p[last - 1] == '\r') { /* CRLF: the CR ends no field */
        last--;
        sc.bad--; /* it was counted */
    }
    row_field(r, p + sc.start, last - sc.start, (uint32_t)(sc.start + 1));
    *body = sc.end;
    *printable = sc.bad == 0;
    return sc.found ? sc.end + 1 : sc.end;
}

static void csv_part_run(civic_part *part)
{
    const csv_state *st = state_in(part->ld);
    size_t pos = 0;
    uint64_t line = 0;
    civic_fields f;
    civic_ts_cache dates;
    civic_type_cache types;
    int16_t map[CSV_COLUMNS_MAX];
    memset(map, 0xff, sizeof(map)); /* -1: no field */
    memcpy(map, st->col_field, st->ncols * sizeof(map[0]));
    part_row row = { &f, map, 0 };
    /* Cleared once: every line converted sets each field the header maps
     * (each at most once), and the others stay absent. */
    memset(&f, 0, sizeof(f));
    memset(&dates, 0, sizeof(dates));
    memset(&types, 0, sizeof(types));
    f.ts_cache = &dates;
    f.type_cache = &types;
    while (pos < part->len && (part->count < part->cap || civic__part_grow(part))) {
        const char *p = part->data + pos;
        size_t body;
        bool printable;
        size_t n = split_line(p, part->len - pos, &row, &body, &printable);
        if (is_blank_record(p, body)) {
            /* skipped */
        } else if (body > CIVIC_LINE_BYTES_MAX || row.count != st->ncols) {
            civic__part_reread(part, p, n, line);
        } else {
            f.printable = printable;
            civic__part_event(part, &f, p, n, line);
        }
        line++;
        pos += n;
    }
    part->stop = pos;
    part->lines = line;
}

/* Quoted records can span lines, so only quote-free runs of lines are
 * parsed in parallel; a quoted stretch is read serially, a block at a time,
 * and parallel reading resumes after it. */
#define SERIAL_BLOCK_BYTES ((size_t)1 << 20)

/* civic_format.parallel_bytes: after the header, the lines before the
 * first quote; the header itself, and a quoted stretch, serially. */
static size_t csv_parallel_bytes(const civic_loader *ld, const char *data, size_t len,
                                 size_t *serial_until)
{
    if (!state_in(ld)->header_done || ld->skip.on) {
        *serial_until = 1; /* one record: the header (or a blank line before it), or the
                            * rest of one being skipped */
        return 0;
    }
    const char *q = memchr(data, '"', len);
    if (!q) return len;
    size_t cut = (size_t)(q - data); /* parallel up to the line holding the quote */
    while (cut > 0 && data[cut - 1] != '\n') cut--;
    *serial_until = (size_t)(q - data) + SERIAL_BLOCK_BYTES;
    return cut;
}

const civic_format civic__csv_format = { csv_serial, csv_parallel_bytes, csv_part_run, 0,
                                         sizeof(csv_state), csv_note };
