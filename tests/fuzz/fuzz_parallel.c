/*
** fuzz_parallel.c -- libFuzzer harness: a bulk load through the pipeline,
** on one thread or several, gives exactly what the serial reader gives.
**
** With 4 KiB of input or more, civic_engine_load and
** civic_engine_load_file take the pipeline (lib/pipeline.c): 2 MiB spans
** cut into ~128 KiB parts that helper threads (from 256 KiB on; else, and
** on one thread, the caller's) parse with the format's part runner, the
** serial reader taking whatever a runner leaves.  Most inputs of
** fuzz_csv.c and fuzz_jsonl.c are smaller, and nothing there compares the
** two, so this harness builds an input around a small fuzzed payload: many
** valid event lines (filler) with the payload, and copies of it, placed at
** or around a part boundary, a span boundary, the 2 MiB read boundary of a
** file load, the 256 KiB or the 4 KiB threshold, the start or the end of
** the input.  The input is loaded into an engine that reads every load
** with the serial reader, one of one thread and one of two or three, and
** everything must agree: the code, the error (code, line, column, offset,
** message), the report, every on_reject call in order (code, line, column,
** offset, message), and the engine's contents (counts, time range, every
** subject's answer and a hash of its record).  Any difference aborts.
**
** Input: five control bytes, then the payload.
**   byte 0  bit 0: JSON Lines (else CSV); bit 1: lenient; bit 2: load from
**           a file (else a buffer); bit 3: three threads (else two);
**           bits 4-5: header variant (CSV: plain, BOM + CRLF + ref column,
**           an ignored column with odd names, four columns reordered;
**           JSON Lines: plain, BOM, CRLF, reordered keys with numbers and
**           an ignored nested value); bit 6: on_reject stops the load at
**           the Nth reject (N from byte 4), else N x 700 is the engine's
**           events_max (0: none); bit 7: large input (several MiB)
**           instead of ~400 KiB
**   byte 1  bits 0-2: where the payload goes (part boundary, span
**           boundary, file read boundary, a threshold -- with bit 7 of
**           byte 0 the helpers' 256 KiB, else the pipeline's 4 KiB: the
**           input is then a few KiB --, a fraction of the input, the end,
**           the start, every part boundary);
**           bits 3-7: which boundary / fraction (at the start, odd: the
**           payload's first line is the CSV header)
**   byte 2  signed distance from that place (bytes) ...
**   byte 3  ... times 1 + (byte 3 & 63); bits 6-7: the payload's lines
**           end in CRLF (bit 6), the filler has revokes and duplicates
**           (bit 7)
**   byte 4  bits 0-1: copies of the payload - 1; bits 2-3: how copies after
**           the first differ (same, first line dropped, digits rotated,
**           lines reversed; with one copy, bit 2: the engine is empty
**           before the load, else it holds three events the payload may
**           repeat or contradict); bits 4-7: N for the reject stop or the
**           limit
** In the payload, the bytes FF FE n stand for n x 8 KiB more of the byte
** before them: records longer than CIVIC_LINE_BYTES_MAX, quoted fields of
** many lines.
** Environment: CIVIC_FUZZ_PARALLEL_DUMP=PATH writes the built input there,
** CIVIC_FUZZ_PARALLEL_VERBOSE=1 prints what the serial load said, and
** CIVIC_FUZZ_PARALLEL_FILE_VS_BUFFER=1 also holds a file load to a buffer
** load of the same bytes (one thread).  The committed corpus
** (tests/fuzz/corpus/parallel) runs in `make test-fuzz-replay`.
** Not covered: allocation failure (fuzz_csv.c, test_oom.c), the CLI.
*/
#include "fuzz_common.h"

#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
/* lib/load.c, lib/pipeline.c */
#define PAR_MIN (256 * KIB)  /* helper threads start (pipeline.c) */
#define PIPE_MIN (4 * KIB)   /* the pipeline takes over from the serial reader (load.c) */
#define PART_BYTES (128 * KIB)
#define SPAN_BYTES (2 * MIB)
#define PARTS_MAX 16
#define READ_BYTES (2 * MIB)

static civic_rules *fp_rules(void)
{
    static civic_rules *rules;
    if (!rules) FZ_CHECK(civic_rules_default(&rules, NULL) == CIVIC_OK, "default rules");
    return rules;
}

/* ------------------------------------------------------------ the input */

typedef struct fp_gen {
    fz_buf out;
    bool jsonl, crlf, extras;
    bool short_line; /* fp_line: no long tail */
    unsigned variant;
    uint32_t line; /* filler lines made so far */
} fp_gen;

static const char *const fp_types[] = { "volunteer_hour", "donation", "illegal_parking",
                                        "neighbour_help", "recycling", "red_light" };

static void fp_header(fp_gen *g)
{
    if (g->jsonl) {
        if (g->variant == 1) fz_printf(&g->out, "\xEF\xBB\xBF");
        return;
    }
    static const char *const heads[4] = {
        "id,subject,type,ts,qty,group\n",
        "\xEF\xBB\xBF" "id,subject,type,ts,qty,group,ref\r\n",
        "ID , Subject,no te,type,ts,qty,Group\n",
        "subject,id,ts,type\n",
    };
    fz_printf(&g->out, "%s", heads[g->variant]);
}

/* One filler line, its id padded with pad bytes; returns its length.  Most
 * lines carry a long group path or ignored text, so that a few thousand
 * events make the input (parsing and answering fewer events is faster). */
static size_t fp_line(fp_gen *g, size_t pad)
{
    uint32_t i = g->line++;
    char id[192], tail[256];
    size_t before = g->out.n;
    uint32_t k = i;
    bool dup = g->extras && i % 97 == 96; /* (padded: another id, no twin) */
    bool revoke = g->extras && i % 101 == 100 && (g->jsonl || g->variant == 1);
    if (dup) k = i - 50; /* the same event again: a duplicate */
    snprintf(id, sizeof(id), "f%07u", k % 10000000u);
    memset(id + 8, 'p', pad < 120 ? pad : 120);
    id[8 + (pad < 120 ? pad : 120)] = '\0';
    const char *type = revoke ? "revoke" : fp_types[k % 6];
    unsigned subject = (k * 7u) % 53u, month = 1 + k % 12, day = 1 + k % 28, hour = k % 24;
    unsigned qty = 1 + k % 3;
    size_t tl = g->short_line ? 0 : (k * 37u) % 230u; /* more bytes: group path, ignored text */
    tail[0] = '\0';
    if (tl > 1) { /* "/" and letters: a group path may not end in '/' */
        tail[0] = '/';
        memset(tail + 1, (int)('a' + k % 26), tl - 1);
        tail[tl] = '\0';
        if (tl > 60) tail[30] = '/';
    }
    char ref[32] = "";
    if (revoke) snprintf(ref, sizeof(ref), "f%07u", i - 30);
    const char *nl = g->crlf ? "\r\n" : "\n";
    if (g->jsonl) {
        if (g->variant == 3)
            fz_printf(&g->out,
                      "{\"ts\":%lld,\"note\":{\"a\":[1,\"\\u00e9%s\",null]},\"subject\":\"s%02u\","
                      "\"id\":\"%s\",\"type\":\"%s\"%s%s%s}%s",
                      1704067200LL + (long long)k * 3600, tail, subject, id, type,
                      revoke ? ",\"ref\":\"" : "", ref, revoke ? "\"" : "", nl);
        else
            fz_printf(&g->out,
                      "{\"id\":\"%s\",\"subject\":\"s%02u\",\"type\":\"%s\","
                      "\"ts\":\"2024-%02u-%02uT%02u:00:00\",\"qty\":%u,\"group\":\"g%u/h%u%s\"%s%s%s}%s",
                      id, subject, type, month, day, hour, qty, subject % 4, subject % 5, tail,
                      revoke ? ",\"ref\":\"" : "", ref, revoke ? "\"" : "", nl);
    } else {
        switch (g->variant) {
        case 0:
            fz_printf(&g->out, "%s,s%02u,%s,2024-%02u-%02uT%02u:00:00,%u,g%u/h%u%s%s", id, subject,
                      type, month, day, hour, qty, subject % 4, subject % 5, tail, nl);
            break;
        case 1:
            fz_printf(&g->out, "%s,s%02u,%s,2024-%02u-%02u,%u,g%u%s,%s%s", id, subject, type, month,
                      day, qty, subject % 4, tail, ref, nl);
            break;
        case 2:
            fz_printf(&g->out, "%s,s%02u,n%s,%s,%lld,%s,g%u/h%u%s", id, subject, tail, type,
                      1704067200LL + (long long)k * 60, k % 2 ? "2.5" : "", subject % 4,
                      subject % 5, nl);
            break;
        default:
            fz_printf(&g->out, "s%02u,%s,2024-%02u-%02uT%02u:00:00Z,%s%s", subject, id, month,
                      day, hour, type, nl);
            break;
        }
    }
    return g->out.n - before;
}

/* Exactly n bytes of filler (whole lines; blank lines where no event fits). */
static void fp_fill(fp_gen *g, size_t n)
{
    size_t end = g->out.n + n;
    while (end - g->out.n > 800) fp_line(g, 0);
    while (g->out.n < end) {
        size_t left = end - g->out.n, at = g->out.n, len = 0;
        uint32_t line = g->line;
        bool done = false;
        for (int brief = 0; brief < 2 && !done; brief++) {
            g->short_line = brief;
            len = fp_line(g, 0);
            done = len == left || (len < left && left - len > 120);
            if (!done) { /* undo */
                g->out.n = at;
                g->line = line;
            }
        }
        if (!done && len < left) { /* a short line padded to the exact size */
            fp_line(g, left - len);
            FZ_CHECK(g->out.n == end, "filler padding: %zu bytes for %zu", g->out.n - at, left);
        } else if (!done) {
            while (g->out.n < end)
                fz_printf(&g->out, "%s", g->crlf && end - g->out.n >= 2 ? "\r\n" : "\n");
        }
        g->short_line = false;
    }
}

/* The payload, copy `copy` (copies after the first may differ). */
static void fp_payload(fp_gen *g, const char *p, size_t n, unsigned how, unsigned copy,
                       bool crlf)
{
    fz_buf tmp = { NULL, 0, 0 };
    const char *src = p;
    size_t len = n;
    if (copy > 0 && how == 1) { /* first line dropped */
        const char *nl = memchr(p, '\n', n);
        src = nl ? nl + 1 : p + n;
        len = (size_t)(p + n - src);
    } else if (copy > 0 && how == 2) { /* digits rotated */
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (c >= '0' && c <= '9') c = c == '9' ? '0' : (char)(c + 1);
            fz_printf(&tmp, "%c", c);
        }
        src = tmp.p ? tmp.p : "";
        len = tmp.n;
    } else if (copy > 0 && how == 3) { /* lines reversed */
        size_t end = n;
        while (end > 0) {
            size_t start = end - 1;
            while (start > 0 && p[start - 1] != '\n') start--;
            fz_printf(&tmp, "%.*s", (int)(end - start), p + start);
            if (p[end - 1] != '\n') fz_printf(&tmp, "\n");
            end = start;
        }
        src = tmp.p ? tmp.p : "";
        len = tmp.n;
    }
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '\xff' && i + 2 < len && src[i + 1] == '\xfe') {
            /* FF FE n: the byte before, n x 8 KiB times more (long records) */
            size_t more = (size_t)(unsigned char)src[i + 2] * 8 * KIB;
            char rep = i > 0 ? src[i - 1] : 'x';
            fz_printf(&g->out, "%*s", (int)more, "");
            memset(g->out.p + g->out.n - more, rep, more);
            i += 2;
            continue;
        }
        if (c == '\n' && crlf && !(i > 0 && src[i - 1] == '\r')) fz_printf(&g->out, "\r");
        /* %c writes a NUL too */
        if (g->out.n + 2 > g->out.cap) fz_printf(&g->out, "%c", c);
        else g->out.p[g->out.n++] = c;
    }
    fz_buf_free(&tmp);
}

static size_t fp_parts(size_t len, size_t helpers)
{
    size_t k = (len + PART_BYTES - 1) / PART_BYTES;
    if (k < helpers + 1) k = helpers + 1;
    if (k > PARTS_MAX) k = PARTS_MAX;
    return k;
}

static int fp_compare_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Build the whole input into g->out. */
static void fp_build(fp_gen *g, const uint8_t *ctl, const char *payload, size_t plen)
{
    bool big = ctl[0] & 0x80;
    size_t helpers = (ctl[0] & 8) ? 2 : 1;
    unsigned where = ctl[1] & 7, which = ctl[1] >> 3;
    long delta = (long)(int8_t)ctl[2] * (1 + (ctl[3] & 63));
    unsigned copies = 1 + (ctl[4] & 3), how = (ctl[4] >> 2) & 3;
    bool crlf = ctl[3] & 0x40;
    /* where 6 with which odd: the payload's first line is the CSV header */
    bool own_header = where == 6 && (which & 1) && !g->jsonl;
    if (own_header && g->variant == 1) fz_printf(&g->out, "\xEF\xBB\xBF");
    if (!own_header) fp_header(g);
    size_t head = g->out.n; /* the header (or BOM): read serially first */
    size_t total;
    size_t at[8];
    unsigned nat = 0;
    switch (where) {
    case 0: /* a part boundary of the first span */
    case 7: { /* every part boundary */
        total = big ? (size_t)5 * MIB / 2 : 400 * KIB;
        size_t s = total - head, k = fp_parts(s, helpers);
        if (where == 0) {
            at[nat++] = head + (s / k) * (1 + which % (k - 1));
        } else {
            for (size_t i = 1; i < k && nat < 8; i += (k + 7) / 8) at[nat++] = head + (s / k) * i;
        }
        break;
    }
    case 1: /* the span boundary */
        total = big ? (size_t)7 * MIB / 2 : (size_t)3 * MIB + 200 * KIB;
        at[nat++] = head + SPAN_BYTES + (which & 1 ? 64 * KIB : 0);
        break;
    case 2: /* the file read boundary (the first, or the second) */
        total = big ? (size_t)9 * MIB / 2 : (size_t)5 * MIB / 2;
        at[nat++] = READ_BYTES * (1 + (big && (which & 1)));
        break;
    case 3: { /* a threshold: the input ends near it (small: the pipeline's) */
        size_t min = big ? PAR_MIN : PIPE_MIN;
        total = head + min + (size_t)(delta < 0 ? 0 : delta) + (which & 1 ? plen : 0);
        if (delta < 0 && (size_t)-delta < min) total -= (size_t)-delta;
        at[nat++] = total > plen ? total - plen : head;
        delta = 0;
        break;
    }
    case 4: { /* a fraction of the input */
        total = big ? 3 * MIB : 400 * KIB;
        at[nat++] = head + (total - head) / 32 * (which & 31);
        break;
    }
    case 5: /* the end */
        total = big ? (size_t)5 * MIB / 2 : 300 * KIB;
        at[nat++] = total > plen ? total - plen : head;
        delta = 0;
        break;
    default: /* the start, right after the header */
        total = big ? (size_t)5 * MIB / 2 : 300 * KIB;
        at[nat++] = head;
        break;
    }
    /* more copies: at further part boundaries, or spread over the input */
    for (unsigned c = 1; c < copies && nat < 8; c++)
        at[nat++] = head + (at[0] - head + c * (total - head) / (copies + 1)) % (total - head);
    for (unsigned i = 0; i < nat; i++) {
        long x = (long)at[i] + delta;
        at[i] = x < (long)head ? head : (size_t)x;
    }
    qsort(at, nat, sizeof(at[0]), fp_compare_size);
    unsigned copy = 0;
    for (unsigned i = 0; i < nat; i++) {
        if (at[i] < g->out.n) continue; /* overlaps the copy before */
        fp_fill(g, at[i] - g->out.n);
        fp_payload(g, payload, plen, how, copy++, crlf);
    }
    if (g->out.n < total) fp_fill(g, total - g->out.n);
}

/* ------------------------------------------------------------ one load */

typedef struct fp_rejects {
    fz_buf log;
    uint64_t count, stop_at;
} fp_rejects;

static int fp_on_reject(void *payload, const civic_error *err)
{
    fp_rejects *r = payload;
    FZ_CHECK(err && err->code < 0 && err->line > 0 && err->message[0],
             "reject without code, line or message");
    fz_printf(&r->log, "%d %llu %u %llu %s\n", err->code, (unsigned long long)err->line,
              err->column, (unsigned long long)err->offset, err->message);
    r->count++;
    return r->stop_at && r->count >= r->stop_at;
}

typedef struct fp_outcome {
    int rc;
    civic_error err;
    civic_load_report rep;
    fp_rejects rejects;
    fz_buf answers;
} fp_outcome;

static uint64_t fp_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 0x100000001B3ull;
    return h;
}

static uint64_t fp_hash_str(uint64_t h, const char *s)
{
    return fp_hash(h, s ? s : "(null)", s ? strlen(s) + 1 : 7);
}

/* Everything the engine answers about what it holds: counts, time range,
 * every subject's answer and a hash of its whole record. */
static void fp_answers(const civic_engine *e, fz_buf *b)
{
    int64_t first = 0, last = 0;
    int trc = civic_engine_time_range(e, &first, &last);
    fz_printf(b, "events %llu subjects %llu range %d %lld %lld\n",
              (unsigned long long)civic_engine_event_count(e),
              (unsigned long long)civic_engine_subject_count(e), trc, (long long)first,
              (long long)last);
    civic_result *res = NULL;
    int rc = civic_engine_subjects(e, CIVIC_TIME_MAX, &res);
    fz_printf(b, "subjects: %d\n", rc);
    for (size_t i = 0; rc == CIVIC_OK && i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        FZ_CHECK(civic_result_get(res, i, &s) == CIVIC_OK, "result_get");
        fz_printf(b, "S %s|%s|%lld|%s|%lld|%s|%lld|%llu|%s", s.subject, s.group,
                  (long long)s.score, s.grade, (long long)s.balance, s.flags,
                  (long long)s.ceiling, (unsigned long long)s.events, s.measures);
        civic_record *rec = NULL;
        int rrc = civic_engine_record(e, s.subject, CIVIC_TIME_MAX, &rec);
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t k = 0; rrc == CIVIC_OK && k < civic_record_count(rec); k++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            FZ_CHECK(civic_record_entry(rec, k, &x) == CIVIC_OK, "record entry");
            h = fp_hash_str(h, x.id);
            h = fp_hash_str(h, x.type);
            h = fp_hash_str(h, x.group);
            h = fp_hash_str(h, x.ref);
            h = fp_hash_str(h, x.act);
            h = fp_hash_str(h, x.source);
            h = fp_hash_str(h, x.merged_with);
            int64_t v[9] = { x.ts, x.eff, x.end, x.qty, x.raw, x.counted, x.to_balance,
                             x.ceiling, (int64_t)x.state };
            h = fp_hash(h, v, sizeof(v));
        }
        fz_printf(b, "|record %d %zu %016llx\n", rrc, rrc == CIVIC_OK ? civic_record_count(rec) : 0,
                  (unsigned long long)h);
        civic_record_free(rec);
    }
    civic_result_free(res);
}

/* lib/engine.c, tests only (hidden in the shared library; this links the
 * static one): every load of e by the format's serial reader. */
void civic__engine_serial_loads(civic_engine *e, bool on);

/* threads 0: one thread, every load by the serial reader (the reference). */
static void fp_load(fp_outcome *o, uint32_t threads, const uint8_t *ctl, const char *text,
                    size_t len, const char *path)
{
    civic_engine_options eo = CIVIC_ENGINE_OPTIONS_INIT;
    eo.threads = threads ? threads : 1;
    if (!(ctl[0] & 0x40)) eo.events_max = (uint64_t)(ctl[4] >> 4) * 700; /* 0: none */
    civic_engine *e = NULL;
    FZ_CHECK(civic_engine_new(&e, fp_rules(), &eo) == CIVIC_OK, "engine_new");
    if (!threads) civic__engine_serial_loads(e, true);
    /* events held before: the payload may repeat or contradict them */
    static const char base[] = "id,subject,type,ts,qty,group,ref\n"
                               "base1,s01,volunteer_hour,2024-03-01,2,g1/h1,\n"
                               "base2,s01,illegal_parking,2024-03-02,,g1/h1,\n"
                               "base3,zz,revoke,2024-03-03,,,base2\n";
    bool fresh = (ctl[4] & 3) == 0 && (ctl[4] & 4); /* one copy: "how" is free */
    if (!fresh)
        FZ_CHECK(civic_engine_load(e, base, sizeof(base) - 1, NULL, NULL, NULL) == CIVIC_OK,
                 "base");
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = (ctl[0] & 1) ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
    opts.flags = (ctl[0] & 2) ? CIVIC_LOAD_LENIENT : 0;
    opts.on_reject = fp_on_reject;
    opts.payload = &o->rejects;
    o->rejects.stop_at = (ctl[0] & 0x40) ? 1 + (ctl[4] >> 4) : 0;
    o->err = (civic_error)CIVIC_ERROR_INIT;
    o->rep = (civic_load_report)CIVIC_LOAD_REPORT_INIT;
    if (path) o->rc = civic_engine_load_file(e, path, &opts, &o->rep, &o->err);
    else o->rc = civic_engine_load(e, text, len, &opts, &o->rep, &o->err);
    fp_answers(e, &o->answers);
    civic_engine_free(e);
}

/* The first line where two texts differ, for the message. */
static void fp_show_difference(const char *what, const fz_buf *a, const fz_buf *b)
{
    size_t i = 0, line_start = 0;
    size_t n = a->n < b->n ? a->n : b->n;
    while (i < n && a->p[i] == b->p[i]) {
        if (a->p[i] == '\n') line_start = i + 1;
        i++;
    }
    const char *ea = a->p ? memchr(a->p + line_start, '\n', a->n - line_start) : NULL;
    const char *eb = b->p ? memchr(b->p + line_start, '\n', b->n - line_start) : NULL;
    int la = a->p ? (int)(ea ? ea - (a->p + line_start) : (long)(a->n - line_start)) : 0;
    int lb = b->p ? (int)(eb ? eb - (b->p + line_start) : (long)(b->n - line_start)) : 0;
    fprintf(stderr, "%s differ at byte %zu:\n  serial   : %.*s\n  N threads: %.*s\n", what,
            line_start, la > 300 ? 300 : la, a->p ? a->p + line_start : "", lb > 300 ? 300 : lb,
            b->p ? b->p + line_start : "");
}

static bool fp_same_buf(const fz_buf *a, const fz_buf *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static void fp_compare(const fp_outcome *a, const fp_outcome *b, uint32_t threads)
{
    const civic_error *x = &a->err, *y = &b->err;
    FZ_CHECK(a->rc == b->rc, "%u threads returned %d (%s), the serial reader %d (%s)", threads, b->rc,
             y->message, a->rc, x->message);
    FZ_CHECK(x->code == y->code && x->line == y->line && x->column == y->column &&
                 x->offset == y->offset && strcmp(x->message, y->message) == 0,
             "%u threads: error %d line %llu column %u offset %llu \"%s\"; serial: error %d "
             "line %llu column %u offset %llu \"%s\"",
             threads, y->code, (unsigned long long)y->line, y->column,
             (unsigned long long)y->offset, y->message, x->code, (unsigned long long)x->line,
             x->column, (unsigned long long)x->offset, x->message);
    const civic_load_report *p = &a->rep, *q = &b->rep;
    FZ_CHECK(p->lines == q->lines && p->accepted == q->accepted &&
                 p->duplicates == q->duplicates && p->rejected == q->rejected,
             "%u threads: report lines %llu accepted %llu duplicates %llu rejected %llu; "
             "serial: %llu %llu %llu %llu",
             threads, (unsigned long long)q->lines, (unsigned long long)q->accepted,
             (unsigned long long)q->duplicates, (unsigned long long)q->rejected,
             (unsigned long long)p->lines, (unsigned long long)p->accepted,
             (unsigned long long)p->duplicates, (unsigned long long)p->rejected);
    if (!fp_same_buf(&a->rejects.log, &b->rejects.log)) {
        fp_show_difference("rejects", &a->rejects.log, &b->rejects.log);
        fz_fail("%u threads: %llu rejects, serial: %llu, not the same", threads,
                (unsigned long long)b->rejects.count, (unsigned long long)a->rejects.count);
    }
    if (!fp_same_buf(&a->answers, &b->answers)) {
        fp_show_difference("answers", &a->answers, &b->answers);
        fz_fail("%u threads: the engine holds something else than with the serial reader", threads);
    }
}

static void fp_outcome_free(fp_outcome *o)
{
    fz_buf_free(&o->rejects.log);
    fz_buf_free(&o->answers);
}

/* A file for file loads, made once per process. */
static const char *fp_path(bool jsonl)
{
    static char path[2][128];
    if (!path[jsonl][0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(path[jsonl], sizeof(path[jsonl]), "%s/civic-fuzz-parallel-%ld.%s",
                 dir && dir[0] ? dir : "/tmp", (long)getpid(), jsonl ? "jsonl" : "csv");
    }
    return path[jsonl];
}

static void fp_write(const char *path, const char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL, "cannot create %s", path);
    FZ_CHECK(fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5 || size > 5 + 64 * KIB) return 0;
    const uint8_t *ctl = data;
    fp_gen g = { { NULL, 0, 0 }, (ctl[0] & 1) != 0, false, (ctl[3] & 0x80) != 0, false,
                 (ctl[0] >> 4) & 3, 0 };
    g.crlf = g.variant == (g.jsonl ? 2u : 1u); /* the filler's line ends */
    fp_build(&g, ctl, (const char *)data + 5, size - 5);
    const char *text = g.out.p ? g.out.p : "";
    const char *path = NULL;
    if (ctl[0] & 4) {
        path = fp_path(g.jsonl);
        fp_write(path, text, g.out.n);
    }
    if (getenv("CIVIC_FUZZ_PARALLEL_DUMP")) fp_write(getenv("CIVIC_FUZZ_PARALLEL_DUMP"), text, g.out.n);
    uint32_t threads = (ctl[0] & 8) ? 3 : 2;
    fp_outcome one, single, many;
    memset(&one, 0, sizeof(one));
    memset(&single, 0, sizeof(single));
    memset(&many, 0, sizeof(many));
    fp_load(&one, 0, ctl, text, g.out.n, path);
    fp_load(&single, 1, ctl, text, g.out.n, path);
    fp_load(&many, threads, ctl, text, g.out.n, path);
    if (getenv("CIVIC_FUZZ_PARALLEL_VERBOSE"))
        fprintf(stderr, "%zu bytes, %s%s: rc %d, lines %llu accepted %llu duplicates %llu "
                "rejected %llu; %s\n", g.out.n, path ? "file " : "", g.jsonl ? "jsonl" : "csv",
                one.rc, (unsigned long long)one.rep.lines, (unsigned long long)one.rep.accepted,
                (unsigned long long)one.rep.duplicates, (unsigned long long)one.rep.rejected,
                one.err.message);
    fp_compare(&one, &single, 1);
    fp_compare(&one, &many, threads);
    if (path && getenv("CIVIC_FUZZ_PARALLEL_FILE_VS_BUFFER")) { /* exploratory */
        fp_outcome buf;
        memset(&buf, 0, sizeof(buf));
        fp_load(&buf, 0, ctl, text, g.out.n, NULL);
        fp_compare(&one, &buf, 0);
        fp_outcome_free(&buf);
    }
    fp_outcome_free(&one);
    fp_outcome_free(&single);
    fp_outcome_free(&many);
    if (path) unlink(path);
    fz_buf_free(&g.out);
    return 0;
}
