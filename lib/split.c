/*
** split.c -- civic_split: a buffer of events cut into subject partitions,
** without loading it.
**
** It reads CSV (csv.c's dialect: RFC 4180 quotes, "" escapes, LF or CRLF,
** a BOM, blank lines skipped, header names trimmed and case-insensitive) or
** JSON Lines (jsonl.c's own parser, through civic__jsonl_fields), finds each
** record's subject (or id) and ts, and copies the record unchanged into part
** (H(key) >> 32) mod P.  It also returns the latest ts, parsed by time.c
** exactly as a load parses it, so a caller needs no second pass for the
** default as-of.
**
** It does not validate events beyond what it reads: the record structure,
** the key (present, at most CIVIC_ID_BYTES_MAX bytes) and the ts.  The engine
** that loads a part checks the rest, with the same messages a load of the
** whole input would give; so a CSV column that spells act or source in
** other letters, and a JSON key that spells any field's name in other
** letters or with blanks around it, refused, ignored or read by the rules'
** version, which a split has not, is left to it -- except where the split
** needs the field (the key, ts) and the exact key is absent: variant_error
** says both versions' words.  With CIVIC_SPLIT_V2 the caller says the
** version: such a column or key is read, or refused, as a load under
** version-2 rules does (the same parser and name matching, so the same
** line, column and words).
**
** Two passes, one over the input and one over a scratch array of (offset,
** length, part) per record: the first parses and counts each part's bytes
** into part_end, the second turns the counts into offsets and copies.
** The JSON Lines scratch (one line's decoded strings) is the only other
** allocation; no state outside the call.
**
** The key hash H is frozen (an ABI promise: parts computed by different
** processes, machines and 1.x releases must agree).  It is the wyhash-style
** mixer of internal.h's civic__hash_bytes with its 8- and 4-byte words read
** little-endian whatever the machine; the test pins its values.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define SPLIT_COLUMNS_MAX CIVIC__CSV_COLUMNS_MAX
#define SPLIT_TS_BYTES_MAX 64     /* as event.c */
#define SPLIT_RECORDS_MIN 1024

static const char BOM[3] = { '\xEF', '\xBB', '\xBF' };

/* ---------------------------------------------------------------- the hash */

static uint64_t le32(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
}

/* H: frozen; see the file comment. */
static uint64_t key_hash(const unsigned char *p, size_t n)
{
    const uint64_t k0 = UINT64_C(0xa0761d6478bd642f), k1 = UINT64_C(0xe7037ed1a0b428db),
                   k2 = UINT64_C(0x8ebc6af09c88c6e3);
    uint64_t seed = k0 ^ (uint64_t)n, a, b;
    if (n > 16) {
        size_t left = n;
        while (left > 16) {
            seed = civic__mum(civic__get64(p) ^ k1, civic__get64(p + 8) ^ seed);
            p += 16;
            left -= 16;
        }
        a = civic__get64(p + left - 16);
        b = civic__get64(p + left - 8);
    } else if (n >= 8) {
        a = civic__get64(p);
        b = civic__get64(p + n - 8);
    } else if (n >= 4) {
        a = le32(p);
        b = le32(p + n - 4);
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    return civic__mum(k1 ^ (uint64_t)n, civic__mum(a ^ k1, b ^ seed) ^ k2);
}

/* The part: the high half of H (the engine's tables use the low half),
 * modulo parts. */
uint32_t civic_split_part(const char *key, size_t len, uint32_t parts)
{
    if (parts < 2 || (!key && len)) return 0;
    return (uint32_t)(key_hash((const unsigned char *)key, len) >> 32) % parts;
}

/* ------------------------------------------------------------- the state */

typedef struct split_rec {
    size_t at;       /* offset of the record in data */
    uint32_t len;    /* its bytes, line break included */
    uint32_t part;
} split_rec;

typedef struct split_ctx {
    const char *data;
    size_t len;
    uint32_t parts;
    uint64_t part_magic;        /* 2^64 / parts, rounded up: see part_of */
    int32_t utc_offset;
    int key_field;              /* CIVIC_F_SUBJECT or CIVIC_F_ID */
    bool v2;                    /* CIVIC_SPLIT_V2: the keys read as version-2 rules
                                   read them */
    const civic_allocator *alc;
    civic_error *err;
    uint64_t *part_end;         /* bytes per part in pass one */
    uint64_t *part_events;
    /* CSV */
    uint32_t ncols;
    int32_t key_col, ts_col;
    int16_t col_field[SPLIT_COLUMNS_MAX]; /* column -> CIVIC_F_* or -1: what the
                                             header named, for a line's hint */
    const char *hdr;            /* the header record to copy, BOM excluded */
    size_t hdr_len;             /* with its line break, if it has one */
    /* what was read */
    split_rec *recs;
    size_t nrec, cap;
    uint64_t line;              /* physical lines read */
    int64_t max_ts;
    civic_ts_cache dates;       /* the ts parser's last two dates (zeroed with c) */
    char *jbuf;                 /* JSON Lines: decoded strings of one line */
    size_t jbuf_cap;
    bool structure;             /* the error is a CSV record's structure (csv_error's) */
} split_ctx;

/* civic_split_part(key, key_len, c->parts) for parts >= 2, without its
 * division: h mod d is the high word of (M * h mod 2^64) * d with M =
 * ceil(2^64 / d), exact for every 32-bit h and d (Lemire, Kaser and Kurz,
 * "Faster remainder by direct computation", 2019).  A test holds the two
 * to the same answers. */
static inline uint32_t part_of(const split_ctx *c, const char *key, size_t key_len)
{
    uint64_t h = key_hash((const unsigned char *)key, key_len) >> 32;
    return (uint32_t)(((civic_u128)(c->part_magic * h) * c->parts) >> 64);
}

static int add_record(split_ctx *c, size_t at, size_t end, const char *key, size_t key_len)
{
    if (c->nrec == c->cap) {
        size_t want = c->cap ? c->cap : c->len / 48 + SPLIT_RECORDS_MIN;
        if (civic__grow(c->alc, (void **)&c->recs, &c->cap, want > c->cap ? want : c->cap + 1,
                        sizeof(split_rec)) != CIVIC_OK)
            return civic__error_set(c->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    uint32_t part = c->parts < 2 ? 0 : part_of(c, key, key_len);
    size_t bytes = end - at;
    bool newline = bytes > 0 && c->data[end - 1] == '\n';
    split_rec *r = &c->recs[c->nrec++];
    r->at = at;
    r->len = (uint32_t)bytes;
    r->part = part;
    c->part_end[part] += bytes + (newline ? 0 : 1);
    if (c->part_events) c->part_events[part]++;
    return CIVIC_OK;
}

/* The problems a load would report for the key and ts fields, with its
 * wording (event.c's field_error_after), `after` (a hint) after the value
 * shown. */
static int field_error_after(split_ctx *c, int code, uint64_t line, uint32_t column, size_t at,
                             int field, const char *what, const char *v, size_t n,
                             const char *after)
{
    char shown[64];
    const char *name = civic__field_names[field];
    shown[0] = '\0';
    if (v && n) civic__excerpt(shown, sizeof(shown), v, n);
    if (column)
        return civic__error_set(c->err, code, line, column, at,
                                "line %llu, column %u: field '%s': %s%s%s%s%s",
                                (unsigned long long)line, column, name, what,
                                shown[0] ? " \"" : "", shown, shown[0] ? "\"" : "", after);
    return civic__error_set(c->err, code, line, 0, at, "line %llu: field '%s': %s%s%s%s%s",
                            (unsigned long long)line, name, what, shown[0] ? " \"" : "", shown,
                            shown[0] ? "\"" : "", after);
}

static int field_error(split_ctx *c, int code, uint64_t line, uint32_t column, size_t at,
                       int field, const char *what, const char *v, size_t n)
{
    return field_error_after(c, code, line, column, at, field, what, v, n, "");
}

/* Check the key and ts of a record, fold the ts into max_ts and file the
 * record [at, end) under its part. */
static int take_event(split_ctx *c, uint64_t line, size_t at, size_t end, const char *key,
                      size_t key_len, uint32_t key_column, const char *ts, size_t ts_len,
                      uint32_t ts_column, uint8_t ts_number)
{
    const char *why;
    int64_t t;
    if (!key || key_len == 0)
        return field_error(c, CIVIC_E_EVENT, line, key_column, at, c->key_field, "missing", NULL,
                           0);
    if (key_len > CIVIC_ID_BYTES_MAX)
        return field_error(c, CIVIC_E_LIMIT, line, key_column, at, c->key_field,
                           "longer than 128 bytes", key, key_len);
    if (!ts || ts_len == 0)
        return field_error(c, CIVIC_E_EVENT, line, ts_column, at, CIVIC_F_TS, "missing", NULL, 0);
    int rc;
    if (ts_number >= CIVIC_NUM_LONG || ts_len > SPLIT_TS_BYTES_MAX) {
        const char *form = civic__ts_form_refused(ts_number, ts_len, &rc);
        if (form) return field_error(c, rc, line, ts_column, at, CIVIC_F_TS, form, ts, ts_len);
    }
    rc = civic__time_parse_cached(ts, ts_len, c->utc_offset, &c->dates, &t, &why);
    if (rc != CIVIC_OK) { /* what the ts most likely is, as the load says it */
        char hint[176];
        if (civic__ts_lookalike_hint(ts, ts_len, hint, sizeof(hint)))
            return field_error_after(c, CIVIC_E_EVENT, line, ts_column, at, CIVIC_F_TS,
                                     "bad timestamp", ts, ts_len, hint);
        const char *after = civic__value_hint(CIVIC_F_TS, false, c->utc_offset, ts, ts_len,
                                              hint, sizeof(hint));
        if (!*after && ts_number == CIVIC_NUM_CHANGED) after = CIVIC_TS_WRITTEN_OUT;
        return field_error_after(c, rc, line, ts_column, at, CIVIC_F_TS, why, ts, ts_len, after);
    }
    if (t > c->max_ts) c->max_ts = t;
    return add_record(c, at, end, key, key_len);
}

/* ------------------------------------------------------------------- CSV */

/* One field being read: where it is kept when it has to be decoded. */
typedef struct csv_field {
    char *buf;          /* decoded bytes of a quoted field, or NULL: not wanted */
    size_t cap;
    size_t n;           /* decoded length (may exceed cap: the rest is dropped) */
    const char *v;      /* the value: into data, or buf */
    uint32_t column;
} csv_field;

typedef struct csv_pos {
    size_t i;           /* offset in the text */
    uint64_t line;      /* physical line of i */
    size_t line_start;  /* offset where that line starts */
} csv_pos;

static int csv_fail(split_ctx *c, int code, uint64_t line, uint32_t column, size_t at,
                    const char *what)
{
    c->structure = true;
    if (line == 0) /* the header given in the options */
        return civic__error_set(c->err, code, 0, column, 0, "the given header%s%.0u: %s",
                                column ? ", column " : "", column, what);
    if (column)
        return civic__error_set(c->err, code, line, column, at, "line %llu, column %u: %s",
                                (unsigned long long)line, column, what);
    return civic__error_set(c->err, code, line, 0, at, "line %llu: %s", (unsigned long long)line,
                            what);
}

static int csv_syntax(split_ctx *c, uint64_t line, uint32_t column, size_t at, const char *what)
{
    return csv_fail(c, CIVIC_E_SYNTAX, line, column, at, what);
}

/* What csv.c finds of the record at p[at] of p[0..n) (its first line: line)
 * before it reads a field, and so says first: in the header a carriage
 * return that is not its line end's (in its first 1 MiB: a file of lone-CR
 * line ends is one long header), a record longer than 1 MiB, a quote never
 * closed. */
static int csv_extent(split_ctx *c, const char *p, size_t n, size_t at, uint64_t line,
                      bool header)
{
    bool quoted, unterminated;
    size_t open = 0;
    char what[256];
    size_t len = civic__csv_record_end(p + at, n - at, true, &quoted, &unterminated, &open);
    size_t body = len - (len > 0 && p[at + len - 1] == '\n');
    uint64_t where = line;
    uint32_t column = 0;
    size_t held = body < CIVIC_LINE_BYTES_MAX ? body : CIVIC_LINE_BYTES_MAX;
    if (header && civic__csv_header_cr(p + at, held, &where, &column)) {
        snprintf(what, sizeof(what), "a carriage return inside the header (lines must end in "
                 "LF or CRLF)");
    } else if (body > CIVIC_LINE_BYTES_MAX) {
        civic__csv_too_long_what(what, sizeof(what), p + at, body, true, line ? line : 1);
        if (header && line == 1 && !memchr(p + at, '\n', body)) /* as csv.c */
            snprintf(what, sizeof(what), "record longer than 1 MiB" CIVIC__LONG_LINE_HINT);
        return csv_fail(c, CIVIC_E_LIMIT, line, 0, at, what);
    } else if (unterminated) {
        column = civic__csv_unterminated_what(what, sizeof(what), p + at, body, open, &where);
    } else {
        return CIVIC_OK;
    }
    if (line == 0 && where != 0) column = 0; /* the given header's later line */
    return csv_fail(c, CIVIC_E_SYNTAX, line == 0 ? 0 : where, column, at, what);
}

/* Read the field at pos in p[0..n) (csv.c's split_quoted, for one field).
 * Returns 1 when a comma follows, 0 at the end of the record (pos then at
 * the line break or n), -1 on a syntax error.  Quoted fields are decoded
 * into f->buf when there is one. */
static int csv_field_read(split_ctx *c, const char *p, size_t n, csv_pos *pos, size_t rec_at,
                          csv_field *f)
{
    size_t i = pos->i;
    f->column = (uint32_t)(i - pos->line_start + 1);
    f->n = 0;
    if (i < n && p[i] == '"') {
        uint64_t open_line = pos->line; /* of the opening quote, at f->column */
        i++;
        for (;;) {
            const char *q = i < n ? memchr(p + i, '"', n - i) : NULL;
            size_t stop = q ? (size_t)(q - p) : n;
            for (size_t k = i; k < stop; k++) { /* line breaks inside the quotes */
                if (p[k] != '\n') continue;
                pos->line++;
                pos->line_start = k + 1;
            }
            if (f->buf) {
                size_t room = f->n < f->cap ? f->cap - f->n : 0;
                memcpy(f->buf + f->n, p + i, stop - i < room ? stop - i : room);
            }
            f->n += stop - i;
            if (!q) { /* as csv.c's csv_unterminated says it */
                pos->i = n;
                uint64_t after = pos->line - open_line;
                char what[160];
                if (after && pos->line_start == n) after--; /* the input's final LF */
                if (after)
                    snprintf(what, sizeof(what), "unterminated quoted field at end of input (the "
                             "quote opens here: %llu line%s after it %s read into the field)",
                             (unsigned long long)after, after == 1 ? "" : "s",
                             after == 1 ? "was" : "were");
                else
                    snprintf(what, sizeof(what), "unterminated quoted field at end of input");
                return csv_syntax(c, open_line, f->column, rec_at, what);
            }
            i = stop + 1;
            if (i < n && p[i] == '"') { /* an escaped quote */
                if (f->buf && f->n < f->cap) f->buf[f->n] = '"';
                f->n++;
                i++;
                continue;
            }
            break;
        }
        f->v = f->buf;
        if (i < n && p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n')) i++; /* CRLF */
        pos->i = i;
        if (i >= n || p[i] == ',' || p[i] == '\n') return i < n && p[i] == ',';
        return csv_syntax(c, pos->line, (uint32_t)(i - pos->line_start + 1), rec_at,
                          "unexpected character after a closing quote");
    }
    size_t start = i;
    while (i < n && p[i] != ',' && p[i] != '\n') {
        if (p[i] == '"') {
            pos->i = i;
            return csv_syntax(c, pos->line, (uint32_t)(i - pos->line_start + 1), rec_at,
                              "a quote inside an unquoted field (quote the whole field)");
        }
        i++;
    }
    pos->i = i;
    f->v = p + start;
    f->n = i - start;
    if (i < n && p[i] == ',') return 1;
    if (f->n && p[i - 1] == '\r') f->n--; /* CRLF: the CR ends no field */
    return 0;
}

/* Where the first quoted field of a record that holds a line break opens
 * (line 0: none yet), as csv.c's csv_record keeps it. */
typedef struct csv_break {
    uint64_t line;
    uint32_t column;
} csv_break;

/* The field f, read from field_line to pos, holds a line break. */
static void break_note(csv_break *b, uint64_t field_line, const csv_pos *pos, const csv_field *f)
{
    if (!b->line && pos->line != field_line) b->line = field_line, b->column = f->column;
}

/* The end of the CSV record read up to p[i] (its LF, or n) as csv.c's
 * record_end finds it, and in *breaks the line breaks in quotes before it:
 * a quote opens a quoted field only at a field's start (field_start says
 * whether p[i] is at one). */
static size_t record_stop(const char *p, size_t n, size_t i, bool field_start, uint64_t *breaks)
{
    bool in = false;
    *breaks = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (in) {
            if (c == '"' && i + 1 < n && p[i + 1] == '"') i++;
            else if (c == '"') in = false;
            else if (c == '\n' && i + 1 < n) ++*breaks;
            continue;
        }
        if (c == '"' && field_start) in = true;
        else if (c == '\n') break;
        field_start = c == ',';
    }
    return i;
}

/* The last line of the record read up to pos, an error met there: read on
 * to its end (the quote state at an error is outside quotes, not at a
 * field's start). */
static uint64_t record_last_line(const char *p, size_t n, const csv_pos *pos)
{
    uint64_t breaks;
    record_stop(p, n, pos->i, false, &breaks);
    return pos->line + breaks;
}

/* rc's message, of a record read from line first to line last, with where
 * its first quoted field holding a line break opens, as csv.c's
 * with_break_hint and csv_note say it (cut to make room as they cut it). */
static int break_hint(split_ctx *c, int rc, const csv_break *b, uint64_t first, uint64_t last)
{
    char hint[160];
    if (!b->line || rc == CIVIC_OK || rc == CIVIC_E_NOMEM) return rc;
    snprintf(hint, sizeof(hint), " (the quoted field opened at line %llu, column %u holds line "
             "breaks: lines %llu to %llu were read as one record)", (unsigned long long)b->line,
             b->column, (unsigned long long)first, (unsigned long long)last);
    civic__error_append(c->err, hint);
    return rc;
}

/* A field read (from field_line) failed: its error, with the hint, unless a
 * quote was never closed (pos at the end: that message says its own). */
static int read_error(split_ctx *c, const char *p, size_t n, const csv_pos *pos, csv_break *b,
                       uint64_t field_line, const csv_field *f, uint64_t first)
{
    if (pos->i >= n) return CIVIC_E_SYNTAX;
    break_note(b, field_line, pos, f);
    return break_hint(c, CIVIC_E_SYNTAX, b, first, record_last_line(p, n, pos));
}

/* The header record at pos of p[0..n): the column map.  *end is the offset
 * after its line break (or n).  line 0 = the header given in the options.
 * Its errors come in csv.c's order: the record's extent, a field that
 * cannot be read, then too many columns, a name twice, a name missing. */
static int csv_header(split_ctx *c, const char *p, size_t n, csv_pos *pos, size_t *end)
{
    bool seen[CIVIC_F_COUNT] = { false }, too_many = false;
    char what[CIVIC_ERROR_MESSAGE_SIZE];
    civic_csv_like like;
    memset(&like, 0, sizeof(like));
    uint64_t line = pos->line;
    size_t at = pos->i;
    uint32_t col = 0, twice_column = 0;
    int twice = -1;
    csv_break brk = { 0, 0 };
    int more;
    /* a name that is a time, in a header that is the whole input (as csv.c) */
    const char *time_v = NULL;
    size_t time_n = 0;
    uint32_t time_column = 0;
    bool needed = false;
    c->key_col = c->ts_col = -1;
    int rc = csv_extent(c, p, n, at, line, true);
    if (rc != CIVIC_OK) return rc;
    do {
        csv_field f = { NULL, 0, 0, NULL, 0 };
        size_t from = pos->i;
        uint64_t field_line = pos->line;
        more = csv_field_read(c, p, n, pos, at, &f);
        if (more < 0) return read_error(c, p, n, pos, &brk, field_line, &f, line);
        break_note(&brk, field_line, pos, &f);
        if (from < n && p[from] == '"') {
            /* A quoted name: the bytes between its quotes, whatever their
             * length (blanks are trimmed before matching, as the load
             * does); one with an escaped quote can name no column. */
            size_t close = pos->i;
            while (close > from && p[close - 1] != '"') close--;
            f.v = p + from + 1;
            f.n = close > from + 1 ? close - from - 2 : 0;
            if (memchr(f.v, '"', f.n)) f.n = 0;
        }
        /* act and source in other letters: those columns under version-2
         * rules (CIVIC_SPLIT_V2), so one beside the exact name is a column
         * twice, as csv.c says; else the loading engine's, by its rules */
        int k = col < SPLIT_COLUMNS_MAX ? civic__field_of_name(f.v, f.n, !c->v2) : -1;
        if (k < 0 && col < SPLIT_COLUMNS_MAX) civic__csv_like_note(&like, f.v, f.n);
        needed = needed || (k >= 0 && k <= CIVIC_F_TS);
        if (k < 0 && col < SPLIT_COLUMNS_MAX && !time_v && civic__csv_time_name(f.v, f.n)) {
            time_v = f.v;
            time_n = f.n;
            time_column = f.column;
        }
        too_many = too_many || col == SPLIT_COLUMNS_MAX;
        if (col < SPLIT_COLUMNS_MAX) c->col_field[col] = (int16_t)(k >= 0 && !seen[k] ? k : -1);
        if (k >= 0 && seen[k] && twice < 0) {
            twice = k;
            twice_column = field_line == line ? f.column : 0; /* as csv.c */
        } else if (k >= 0 && !seen[k]) {
            seen[k] = true;
            if (k == c->key_field) c->key_col = (int32_t)col;
            if (k == CIVIC_F_TS) c->ts_col = (int32_t)col;
        }
        col += !too_many;
        if (more) pos->i++;
    } while (more);
    /* the lines a stray quote joined to a header of the text, as the load
     * says them (not of one given apart, whose lines count from 0) */
    bool broken = brk.line != 0;
    if (!line) brk.line = 0;
    /* data's own header on line 1, with no line break in all the input:
     * a log whose line breaks were removed (curl -d), as csv.c says it */
    bool whole = line == 1 && pos->i >= n && !memchr(p + at, '\n', n - at);
    const char *one_line = whole ? CIVIC__ONE_LINE_HINT : "";
    if (whole && needed && time_v) {
        civic__csv_time_what(what, sizeof(what), time_v, time_n);
        return csv_syntax(c, line, time_column, at, what);
    }
    if (too_many)
        return break_hint(c, civic__error_set(c->err, CIVIC_E_LIMIT, line, 0, at,
                                              "%s%llu: more than %u columns%s",
                                              line ? "line " : "the given header, line ",
                                              (unsigned long long)(line ? line : 1),
                                              SPLIT_COLUMNS_MAX, one_line), &brk, line,
                         pos->line);
    if (twice >= 0) {
        snprintf(what, sizeof(what), "column '%s' appears twice in the header%s",
                 civic__field_names[twice], one_line);
        return break_hint(c, csv_syntax(c, line, twice_column, at, what), &brk, line, pos->line);
    }
    if (!seen[CIVIC_F_ID] || !seen[CIVIC_F_SUBJECT] || !seen[CIVIC_F_TYPE] || !seen[CIVIC_F_TS]) {
        char hint[128], where[32];
        /* every required column missing, and what it most likely is, as
         * the load says it (not of a header given apart: it has no line
         * of the text to name), or what to rename (not in a header a
         * stray quote made of several lines, nor in one that a byte-order
         * mark opens: the load notes those after it) */
        int said = line ? snprintf(where, sizeof(where), "line %llu: ", (unsigned long long)line)
                        : (int)strlen("the given header: ");
        bool noted = broken || (pos->i - at >= 3 && memcmp(p + at, "\xEF\xBB\xBF", 3) == 0);
        const char *likely = line ? civic__csv_header_hint(p + at, pos->i - at, line, !c->v2,
                                                           hint, sizeof(hint)) : "";
        if (!*likely && (noted || !civic__csv_like_any(&like, seen))) likely = one_line;
        civic__csv_missing_what(what, sizeof(what), seen, noted ? NULL : &like, likely,
                                said > 0 ? (size_t)said : 0);
        return break_hint(c, csv_syntax(c, line, 0, at, what), &brk, line, pos->line);
    }
    c->ncols = col;
    *end = pos->i < n ? pos->i + 1 : n; /* past the '\n' */
    return CIVIC_OK;
}

/* line: the record's one line without its LF when it has no quote (NULL
 * otherwise).  Two records joined by a lone CR (a line end of old Mac
 * files) have too many fields: say where it is, as a load does. */
static int csv_count_error(split_ctx *c, uint64_t line, size_t at, uint32_t found,
                           const char *text, size_t len)
{
    char what[192];
    bool more = found > SPLIT_COLUMNS_MAX;
    bool nul_alone = text && len > 0 && text[0] == '\0' &&
                     (len == 1 || (len == 2 && text[1] == '\r'));
    if (text && !nul_alone && memchr(text, '\0', len)) { /* named by its NULs, as csv.c */
        uint32_t column = civic__csv_nul_what(what, sizeof(what), text, len, c->ncols,
                                              more ? SPLIT_COLUMNS_MAX : found, more);
        return csv_syntax(c, line, column, at, what);
    }
    int n = snprintf(what, sizeof(what), "expected %u fields as in the header, found %s%u",
                     c->ncols, found > SPLIT_COLUMNS_MAX ? "more than " : "",
                     found > SPLIT_COLUMNS_MAX ? SPLIT_COLUMNS_MAX : found);
    const char *cr = text && found > c->ncols ? memchr(text, '\r', len) : NULL;
    if (cr && cr + 1 < text + len && n > 0 && (size_t)n < sizeof(what))
        snprintf(what + n, sizeof(what) - (size_t)n, " (a carriage return at column %zu: "
                 "lines must end in LF or CRLF)", (size_t)(cr - text) + 1);
    else if (nul_alone && n > 0 && (size_t)n < sizeof(what)) /* one NUL byte alone, as csv.c */
        snprintf(what + n, sizeof(what) - (size_t)n, ": " NUL_ALONE);
    return csv_syntax(c, line, 0, at, what);
}

/* The first physical line at p (avail bytes): the offset of its LF (or
 * avail), the offsets of its first `max` commas (*count counts them all),
 * and whether it holds a quote.  One pass, sixteen bytes at a time. */
static size_t scan_line(const char *p, size_t avail, size_t *comma, uint32_t max, uint32_t *count,
                        bool *quote)
{
    size_t i = 0;
    uint32_t k = 0;
    bool q = false;
#if defined(__SSE2__)
    const __m128i v_comma = _mm_set1_epi8(','), v_lf = _mm_set1_epi8('\n');
    const __m128i v_quote = _mm_set1_epi8('"');
    for (; i + 16 <= avail; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        unsigned lf = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, v_lf));
        unsigned cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, v_comma));
        unsigned qm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, v_quote));
        unsigned before = lf ? (lf & (0u - lf)) - 1 : 0xffffu; /* the bytes before the LF */
        cm &= before;
        q = q || (qm & before) != 0;
        for (; cm; cm &= cm - 1, k++)
            if (k < max) comma[k] = i + (unsigned)__builtin_ctz(cm);
        if (lf) {
            *count = k;
            *quote = q;
            return i + (unsigned)__builtin_ctz(lf);
        }
    }
#endif
    for (; i < avail && p[i] != '\n'; i++) {
        if (p[i] == ',') {
            if (k < max) comma[k] = i;
            k++;
        } else if (p[i] == '"') {
            q = true;
        }
    }
    *count = k;
    *quote = q;
    return i;
}

/* A record of one line without quotes, [at, body) plus its LF; comma[]
 * holds the first commas of the line (relative to at), ncomma all. */
static int csv_plain(split_ctx *c, size_t at, size_t body, size_t end, const size_t *comma,
                     uint32_t ncomma)
{
    const char *p = c->data + at;
    size_t n = body - at;
    if (n > CIVIC_LINE_BYTES_MAX)
        return csv_fail(c, CIVIC_E_LIMIT, c->line, 0, at, "record longer than 1 MiB");
    if (ncomma + 1 != c->ncols) return csv_count_error(c, c->line, at, ncomma + 1, p, n);
    if (p[n - 1] == '\r') n--; /* CRLF: the CR ends no field */
    uint32_t kc = (uint32_t)c->key_col, tc = (uint32_t)c->ts_col;
    size_t key_at = kc ? comma[kc - 1] + 1 : 0, key_end = kc < ncomma ? comma[kc] : n;
    size_t ts_at = tc ? comma[tc - 1] + 1 : 0, ts_end = tc < ncomma ? comma[tc] : n;
    if (key_end < key_at) key_end = key_at; /* a last field that was just the CR */
    if (ts_end < ts_at) ts_end = ts_at;
    return take_event(c, c->line, at, end, p + key_at, key_end - key_at, (uint32_t)key_at + 1,
                      p + ts_at, ts_end - ts_at, (uint32_t)ts_at + 1, CIVIC_NUM_TEXT);
}

/* A record with quotes, which may span lines. */
static int csv_quoted(split_ctx *c, size_t at, size_t *end)
{
    char key_buf[CIVIC_ID_BYTES_MAX + 1], ts_buf[SPLIT_TS_BYTES_MAX + 1];
    const char *key = NULL, *ts = NULL;
    size_t key_len = 0, ts_len = 0;
    uint32_t key_column = 0, ts_column = 0, col = 0;
    uint64_t line = c->line;
    csv_break brk = { 0, 0 };
    csv_pos pos = { at, c->line, at };
    int more = csv_extent(c, c->data, c->len, at, line, false);
    if (more != CIVIC_OK) return more;
    do {
        csv_field f = { NULL, 0, 0, NULL, 0 };
        if ((int32_t)col == c->key_col) { f.buf = key_buf; f.cap = sizeof(key_buf); }
        if ((int32_t)col == c->ts_col) { f.buf = ts_buf; f.cap = sizeof(ts_buf); }
        uint64_t field_line = pos.line;
        more = csv_field_read(c, c->data, c->len, &pos, at, &f);
        if (more < 0) return read_error(c, c->data, c->len, &pos, &brk, field_line, &f, line);
        break_note(&brk, field_line, &pos, &f);
        if (field_line != line) f.column = 0; /* as csv.c: no column of another line */
        if ((int32_t)col == c->key_col) { key = f.v; key_len = f.n; key_column = f.column; }
        if ((int32_t)col == c->ts_col) { ts = f.v; ts_len = f.n; ts_column = f.column; }
        col++;
        if (more) pos.i++;
    } while (more);
    *end = pos.i < c->len ? pos.i + 1 : c->len;
    c->line = pos.line; /* the record's last line; the caller counts its break */
    if (col != c->ncols)
        return break_hint(c, csv_count_error(c, line, at, col, NULL, 0), &brk, line, pos.line);
    /* a key or ts that is bad: the lines a stray quote joined, as the load
     * says them for any error of the record */
    return break_hint(c, take_event(c, line, at, *end, key, key_len, key_column, ts, ts_len,
                                    ts_column, CIVIC_NUM_TEXT), &brk, line, pos.line);
}

/* The header given apart (a later block of a file). */
static int csv_given_header(split_ctx *c, const char *h, size_t n)
{
    if (n >= 3 && memcmp(h, BOM, 3) == 0) {
        h += 3;
        n -= 3;
    }
    csv_pos pos = { 0, 0, 0 };
    size_t end = 0;
    if (n == 0 || h[0] == '\n' || (h[0] == '\r' && (n == 1 || h[1] == '\n')))
        return civic__error_set(c->err, CIVIC_E_INVALID, 0, 0, 0, "the header is blank");
    int rc = csv_header(c, h, n, &pos, &end);
    if (rc != CIVIC_OK && c->err->line > 0) {
        /* met on a later line of a header that a quoted name runs over
         * (its lines count from 0 here): still the given header's, line 0 */
        char what[sizeof(c->err->message)];
        const char *rest = strstr(c->err->message, ": ");
        snprintf(what, sizeof(what), "%s", rest ? rest + 2 : c->err->message);
        if (c->err->column)
            civic__error_set(c->err, rc, 0, 0, 0, "the given header, line %llu, column %u: %s",
                             (unsigned long long)c->err->line + 1, c->err->column, what);
        else
            civic__error_set(c->err, rc, 0, 0, 0, "the given header, line %llu: %s",
                             (unsigned long long)c->err->line + 1, what);
    }
    if (rc != CIVIC_OK) return rc;
    if (end != n)
        return civic__error_set(c->err, CIVIC_E_INVALID, 0, 0, 0,
                                "the header holds more than one record");
    c->hdr = h;
    c->hdr_len = n;
    return CIVIC_OK;
}

static bool blank_line(const char *p, size_t at, size_t body)
{
    return body == at || (body == at + 1 && p[at] == '\r');
}

/* rc of the record at p[at] (its first line: first), with the hint the load
 * gives a structure error in records joined by lone CRs. */
static int cr_hint(split_ctx *c, int rc, size_t at, uint64_t first)
{
    uint64_t breaks;
    char where[96];
    if (!c->structure) return rc;
    size_t stop = record_stop(c->data, c->len, at, true, &breaks);
    size_t used = strlen(c->err->message);
    if (civic__csv_cr_hint(where, sizeof(where), c->err->message, c->data + at, stop - at,
                           c->ncols, c->err->line, first) &&
        used < sizeof(c->err->message))
        snprintf(c->err->message + used, sizeof(c->err->message) - used, "%s", where);
    return rc;
}

/* rc of the record at data[at], whose first line ends at body, with what
 * a load notes of it (csv.c's csv_note and civic__csv_line_note, jsonl.c's
 * jsonl_note): a value that NUL bytes running to the end of the input end
 * (a crash cut the file short), a byte-order mark that opens it, a CSV line
 * that is the header again or another file's header (files joined), a CSV
 * row of separators only. */
static int joined_hint(split_ctx *c, int rc, size_t at, size_t body, bool csv)
{
    const char *p = c->data + at;
    size_t n = body - at, h = c->hdr_len;
    if (rc == CIVIC_E_NOMEM) return rc;
    if (body == c->len && n > 0 && p[n - 1] == '\0' && !civic__nul_only_last(c->data, c->len))
        civic__error_nul_tail_hint(c->err, p, n, !csv); /* one line, the last */
    if (!csv) {
        if (n >= 3 && memcmp(p, BOM, 3) == 0) civic__error_append(c->err, " (" CIVIC__BOM_LINE ")");
        return rc;
    }
    if (h > 0 && c->hdr[h - 1] == '\n') h--;
    if (h > 0 && c->hdr[h - 1] == '\r') h--;
    civic_csv_header hdr = { c->ncols, c->col_field, c->hdr ? civic__hash_bytes(c->hdr, h) : 0,
                             h, !c->v2 };
    civic__csv_line_note(c->err, p, n, c->hdr ? &hdr : NULL);
    return rc;
}

static int csv_read(split_ctx *c, size_t pos)
{
    const char *p = c->data;
    size_t comma[SPLIT_COLUMNS_MAX];
    while (pos < c->len) {
        uint32_t ncomma;
        bool quote;
        size_t body = pos + scan_line(p + pos, c->len - pos, comma, SPLIT_COLUMNS_MAX, &ncomma,
                                      &quote);
        size_t end = body < c->len ? body + 1 : body;
        int rc;
        c->line++;
        if (blank_line(p, pos, body)) {
            pos = end;
            continue;
        }
        uint64_t first = c->line;
        if (quote) rc = csv_quoted(c, pos, &end);
        else rc = csv_plain(c, pos, body, end, comma, ncomma);
        if (rc == CIVIC_OK) {
            pos = end;
            continue;
        }
        rc = cr_hint(c, rc, pos, first);
        if (rc != CIVIC_E_NOMEM && c->line == first) /* "...\r\r\n", as csv.c notes it */
            civic__csv_stray_cr_note(c->err, p + pos, body - pos);
        return joined_hint(c, rc, pos, body, true);
    }
    return CIVIC_OK;
}

/* ----------------------------------------------------------- JSON Lines */

/* Without CIVIC_SPLIT_V2 (with it the parser has refused the line): a key
 * or ts the split needs, absent but for a key that spells its name
 * in other letters or with blanks ("Subject", "ts "): under version-2 rules
 * the engine refuses that key (CIVIC_E_SYNTAX, at its column) before it
 * looks at the fields, under version 1 it ignores it and finds the field
 * missing (CIVIC_E_EVENT, no column).  A split has no rules: it says both,
 * with the version-2 code and column (the built-in scheme's), of the first
 * such key, as the engine refuses the first. */
static int variant_error(split_ctx *c, uint64_t line, size_t at, const civic_fields *f,
                         const civic_jsonl_variants *var)
{
    const int need[2] = { c->key_field, CIVIC_F_TS };
    int field = -1;
    for (int i = 0; i < 2; i++) {
        int k = need[i];
        bool gone = !f->v[k] || f->n[k] == 0;
        if (gone && var->column[k] && (field < 0 || var->column[k] < var->column[field]))
            field = k;
    }
    if (field < 0) return CIVIC_OK;
    char what[96];
    snprintf(what, sizeof(what), "missing (%s)",
             civic__jsonl_variant_why(field, var->bare[field]));
    return field_error(c, CIVIC_E_SYNTAX, line, var->column[field], at, field, what, NULL, 0);
}

static int jsonl_read(split_ctx *c, size_t pos)
{
    const char *p = c->data;
    while (pos < c->len) {
        const char *nl = memchr(p + pos, '\n', c->len - pos);
        size_t n = nl ? (size_t)(nl - (p + pos)) : c->len - pos;
        size_t end = pos + n + (nl ? 1 : 0);
        uint64_t line = ++c->line;
        if (n > CIVIC_LINE_BYTES_MAX)
            return joined_hint(c, civic__error_set(c->err, CIVIC_E_LIMIT, line, 0, pos,
                                                   "line %llu: longer than 1 MiB",
                                                   (unsigned long long)line), pos, pos + n, false);
        if (n + CIVIC__JSONL_LINE_EXTRA_BYTES > c->jbuf_cap) {
            size_t want = n + CIVIC__JSONL_LINE_EXTRA_BYTES;
            want = want < 4096 ? 4096 : want;
            char *nb = civic__realloc(c->alc, c->jbuf, c->jbuf_cap, want);
            if (!nb) return civic__error_set(c->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
            c->jbuf = nb;
            c->jbuf_cap = want;
        }
        civic_fields f;
        civic_jsonl_variants var;
        const char *why = NULL;
        size_t why_at = 0;
        int got = civic__jsonl_fields(p + pos, n, c->jbuf, &f, c->v2, &var, &why, &why_at);
        if (got < 0) {
            uint32_t column = (uint32_t)(why_at + 1);
            if (civic__jsonl_lone_cr(p + pos, n, why, why_at))
                why = "an object after a carriage return on the same line (lines must end in "
                      "LF or CRLF)"; /* as jsonl.c says it */
            char text[192];
            const char *words = civic__jsonl_why(p + pos, n, line, why, why_at, text,
                                                 sizeof(text));
            int rc = civic__error_set(c->err, civic__jsonl_code(why), line, column, pos,
                                      "line %llu, column %u: %s", (unsigned long long)line,
                                      column, words);
            civic__jsonl_detail(p + pos, n, why, why_at, c->err);
            return joined_hint(c, rc, pos, pos + n, false);
        }
        if (got > 0) {
            int k = c->key_field;
            int rc = variant_error(c, line, pos, &f, &var);
            if (rc != CIVIC_OK) return rc;
            rc = take_event(c, line, pos, end, f.v[k], f.n[k], f.column[k], f.v[CIVIC_F_TS],
                                f.n[CIVIC_F_TS], f.column[CIVIC_F_TS], f.ts_number);
            if (rc != CIVIC_OK) return rc;
        }
        pos = end;
    }
    return CIVIC_OK;
}

/* ------------------------------------------------------------ the call */

static uint32_t detect_format(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, BOM, 3) == 0) i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < len && data[i] == '{' ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
}

/* rc of data's own header at data[at], which failed, with the hint of
 * fields separated by ';' or tabs where the load gives it (a header that
 * fails as CSV: "id";"subject";...), unless the message says it already. */
static int separated_hint(split_ctx *c, int rc, size_t at)
{
    bool quoted, unterminated;
    size_t open = 0;
    if (rc == CIVIC_E_NOMEM || strstr(c->err->message, "separated by")) return rc;
    size_t len = civic__csv_record_end(c->data + at, c->len - at, true, &quoted, &unterminated,
                                       &open);
    if (len > 0 && c->data[at + len - 1] == '\n') len--;
    const char *hint = civic__csv_separators_hint(c->data + at, len, !c->v2);
    if (*hint) civic__error_append(c->err, hint);
    if (c->line == 1 && !memchr(c->data, '\n', c->len)) /* the whole input: as csv.c */
        civic__csv_one_line_note(c->err, c->data + at, len);
    return rc;
}

/* data's own header: after blank lines, the first record.  *pos moves past
 * it; no header at all (a blank input) leaves c->hdr_len 0. */
static int csv_own_header(split_ctx *c, size_t *pos)
{
    const char *p = c->data;
    while (*pos < c->len) {
        const char *nl = memchr(p + *pos, '\n', c->len - *pos);
        size_t body = nl ? (size_t)(nl - p) : c->len;
        c->line++;
        if (!blank_line(p, *pos, body)) {
            csv_pos hp = { *pos, c->line, *pos };
            size_t end = 0;
            int rc = csv_header(c, p, c->len, &hp, &end);
            c->line = hp.line;
            if (rc != CIVIC_OK) return separated_hint(c, rc, *pos);
            c->hdr = p + *pos;
            c->hdr_len = end - *pos;
            *pos = end;
            return CIVIC_OK;
        }
        *pos = nl ? body + 1 : c->len;
    }
    return CIVIC_OK;
}

/* rc, and for data that cannot be read the hints a load gives it (it ends
 * in a NUL byte: a length of strlen + 1; it is a JSON array; it looks like
 * the other format than `given`, CIVIC_FORMAT_AUTO for none; read as CSV
 * with its own header (csv), it is a rules file); not for an error of the
 * header given apart or of the arguments (line 0). */
static int with_hints(civic_error *err, int rc, uint32_t given, bool csv, const char *data,
                      size_t len)
{
    if (rc != CIVIC_OK && rc != CIVIC_E_NOMEM && err && err->line > 0) {
        civic__error_nul_hint(err, data, len);
        civic__error_array_hint(err, data, len);
        civic__error_format_hint(err, given, data, len);
        if (csv) civic__error_rules_hint(err, data, len);
        if (csv) civic__error_comment_hint(err, data, len);
    }
    return rc;
}

/* Each cause of CIVIC_E_INVALID named alone, with its value. */
static int check_values(const char *data, size_t len, const civic_split_options *o,
                        const char *out, size_t out_cap, const uint64_t *part_end,
                        civic_error *err)
{
    if (!data && len)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "data is NULL with a length of %zu",
                                len);
    if (out && !part_end)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "part_end is NULL, but out is given: part_end takes opts->parts "
                                "offsets");
    if (!out && out_cap)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "out is NULL with an out_cap of %zu (a NULL out asks for the size "
                                "alone, with out_cap 0)", out_cap);
    if (o->parts < 1 || o->parts > CIVIC_SPLIT_PARTS_MAX)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->parts is %u: it must be 1 to %u", (unsigned)o->parts,
                                (unsigned)CIVIC_SPLIT_PARTS_MAX);
    if (o->format > CIVIC_FORMAT_JSONL)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->format is %u: not CIVIC_FORMAT_AUTO (0), CIVIC_FORMAT_CSV "
                                "(1) or CIVIC_FORMAT_JSONL (2)", (unsigned)o->format);
    const uint32_t known = CIVIC_SPLIT_KEY_ID | CIVIC_SPLIT_V2;
    if (o->flags & ~known)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->flags 0x%x has unknown bits 0x%x (the flags are "
                                "CIVIC_SPLIT_KEY_ID and CIVIC_SPLIT_V2)", (unsigned)o->flags,
                                (unsigned)(o->flags & ~known));
    if (o->reserved)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "opts->reserved is %u: it must be 0",
                                (unsigned)o->reserved);
    if (o->utc_offset < -86399 || o->utc_offset > 86399)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->utc_offset is %d seconds: it must be within a day (-86399 "
                                "to 86399)", (int)o->utc_offset);
    if (!o->header && o->header_len)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->header is NULL with a header_len of %zu", o->header_len);
    if (o->header && o->format == CIVIC_FORMAT_JSONL)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "a header for JSON Lines");
    return CIVIC_OK;
}

static int check_args(const char *data, size_t len, const civic_split_options *o, char *out,
                      size_t out_cap, uint64_t *part_end, civic_split_report *report,
                      civic_error *err)
{
    if (!o) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "opts is NULL");
    if (o->version < 1 || o->version > CIVIC_SPLIT_OPTIONS_VERSION)
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported split options version");
    if (report && (report->version < 1 || report->version > CIVIC_SPLIT_REPORT_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported split report version");
    return check_values(data, len, o, out, out_cap, part_end, err);
}

/* Pass two: part sizes (in part_end) become offsets, then every part gets
 * the header and its records. */
static void write_parts(split_ctx *c, char *out)
{
    size_t hdr_out = c->hdr_len + (c->hdr_len && c->hdr[c->hdr_len - 1] != '\n');
    uint64_t at = 0;
    for (uint32_t k = 0; k < c->parts; k++) {
        uint64_t bytes = c->part_end[k];
        if (hdr_out) {
            memcpy(out + at, c->hdr, c->hdr_len);
            if (hdr_out > c->hdr_len) out[at + c->hdr_len] = '\n';
        }
        c->part_end[k] = at + hdr_out; /* its cursor */
        at += hdr_out + bytes;
    }
    for (size_t r = 0; r < c->nrec; r++) {
        const split_rec *rec = &c->recs[r];
        uint64_t *cur = &c->part_end[rec->part];
        memcpy(out + *cur, c->data + rec->at, rec->len);
        *cur += rec->len;
        if (rec->len == 0 || c->data[rec->at + rec->len - 1] != '\n') out[(*cur)++] = '\n';
    }
}

int civic_split(const char *data, size_t len, const civic_split_options *opts, char *out,
                size_t out_cap, uint64_t *part_end, uint64_t *part_events,
                civic_split_report *report, civic_error *err)
{
    civic_allocator alc;
    civic_error unasked = CIVIC_ERROR_INIT; /* err is optional: hints are added to a message */
    civic__error_clear(err);
    int rc = check_args(data, len, opts, out, out_cap, part_end, report, err);
    if (rc != CIVIC_OK) return rc;
    civic__alloc_init(&alc, opts->allocator);
    split_ctx c;
    memset(&c, 0, sizeof(c));
    c.data = data;
    c.len = len;
    c.parts = opts->parts;
    c.part_magic = UINT64_MAX / opts->parts + 1;
    c.utc_offset = opts->utc_offset;
    c.key_field = (opts->flags & CIVIC_SPLIT_KEY_ID) ? CIVIC_F_ID : CIVIC_F_SUBJECT;
    c.v2 = (opts->flags & CIVIC_SPLIT_V2) != 0;
    c.alc = &alc;
    c.err = err ? err : &unasked;
    c.max_ts = CIVIC_NO_TIME;
    /* A BOM begins a file: with the header given apart, data is a later
     * block, where those bytes are part of a record, as for a load. */
    size_t pos = !opts->header && len >= 3 && memcmp(data, BOM, 3) == 0 ? 3 : 0;
    uint32_t format = opts->format;
    /* the format given, for the hint of the other one: not with the header
     * given apart (data's first line is then a record, not the log's) */
    uint32_t given = opts->header ? CIVIC_FORMAT_AUTO : format;
    if (format == CIVIC_FORMAT_AUTO)
        format = opts->header ? CIVIC_FORMAT_CSV : detect_format(data, len);
    /* What no event log can be (UTF-16, a zip, a workbook) is said so, as a
     * load says it (lib/load.c, feed), not where a line of it then fails;
     * not with the header given apart (data is a later block of the file) */
    const char *what =
        opts->header ? NULL : civic__binary_text(civic__binary_kind(data, len), false);
    size_t at = 0;
    bool pretty = false;
    if (what) {
        c.line = 1;
        rc = civic__error_set(c.err, CIVIC_E_SYNTAX, 1, 1, 0,
                              "line 1, column 1: not an event log: %s", what);
    } else if (format == CIVIC_FORMAT_JSONL && civic__jsonl_pretty(data, len, true, &c.line, &at)) {
        /* pretty-printed JSON: refused whole, as a load refuses it */
        what = CIVIC__PRETTY_JSON;
        pretty = true;
        rc = civic__error_set(c.err, CIVIC_E_SYNTAX, c.line, 0, at, "line %llu: %s",
                              (unsigned long long)c.line, what);
    } else if (format == CIVIC_FORMAT_CSV) {
        rc = opts->header ? csv_given_header(&c, opts->header, opts->header_len)
                          : csv_own_header(&c, &pos);
    }
    uint64_t bytes_max = (uint64_t)len + 1 + (format == CIVIC_FORMAT_CSV
                                                  ? (uint64_t)c.parts * (c.hdr_len + 1) : 0);
    if (report) {
        report->format = format;
        report->lines = c.line;
        report->events = report->bytes = 0;
        report->max_ts = CIVIC_NO_TIME;
        report->bytes_max = bytes_max;
    }
    bool own_csv = format == CIVIC_FORMAT_CSV && !opts->header;
    if (what) return pretty ? with_hints(err, rc, given, own_csv, data, len) : rc; /* as a load */
    if (rc != CIVIC_OK) return with_hints(err, rc, given, own_csv, data, len); /* a bad header */
    if (!out && out_cap == 0) return rc;                           /* the size asked */
    if (out_cap < bytes_max)
        return civic__error_set(err, CIVIC_E_LIMIT, 0, 0, 0,
                                "the output buffer holds %zu bytes; this input needs up to %llu",
                                out_cap, (unsigned long long)bytes_max);
    memset(part_end, 0, c.parts * sizeof(*part_end));
    if (part_events) memset(part_events, 0, c.parts * sizeof(*part_events));
    c.part_end = part_end;
    c.part_events = part_events;
    rc = format == CIVIC_FORMAT_JSONL ? jsonl_read(&c, pos) : csv_read(&c, pos);
    if (rc == CIVIC_OK) write_parts(&c, out);
    if (report) {
        report->lines = c.line;
        report->events = rc == CIVIC_OK ? c.nrec : 0;
        report->max_ts = rc == CIVIC_OK ? c.max_ts : CIVIC_NO_TIME;
        report->bytes = rc == CIVIC_OK ? part_end[c.parts - 1] : 0;
    }
    civic__free(&alc, c.recs, c.cap * sizeof(split_rec));
    civic__free(&alc, c.jbuf, c.jbuf_cap);
    return with_hints(err, rc, given, own_csv, data, len);
}
