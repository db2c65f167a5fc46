/*
** load.c -- bulk loads: options, format choice, file reading, and for each
** stretch of input the choice between the serial reader and the pipeline.
**
** A load is one write (civic__engine_write): queries see all of it or none.
** Strict mode stops at the first bad line and rolls the whole batch back;
** lenient mode skips bad lines (reporting each through on_reject) and
** applies the rest.  Running out of memory is never a "bad line": it rolls
** back in both modes.  Files are read in pieces of a few MiB, so memory
** follows the number of events, not the size of the file.
**
** It reads no records itself: the format (csv.c, jsonl.c, through
** civic_format) reads them, record by record with its serial reader, or
** in parts with its part runner through the pipeline (pipeline.c: on
** helper threads when the engine has them, else on the caller's), and
** hands them to the sink (sink.c).  Stretches of 4 KiB and more go to the
** pipeline even on one thread: the part runners and the batched insert
** take a third fewer instructions per line than the serial reader.
**
** Invariants: the serial reader never runs while the pipeline holds
** uninserted lines (it drains first), so events are inserted in input
** order; a partial last line waits for more input without stalling the
** pipeline.
*/
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Less than this goes to the serial reader.  From here on the pipeline,
 * even without helper threads (they start only for 256 KiB, pipeline.c),
 * takes less CPU per line: a load of 4 KiB batches ~37 % less, of 64 KiB
 * ~48 %.  Below it the saving is small, and tiny loads keep the one path
 * that reads them record by record. */
#define PIPE_BYTES_MIN ((size_t)1 << 12)

/* Bytes at the front of [data, data + len) (whole lines) to submit to the
 * pipeline, or 0: then the serial reader goes on, up to *until. */
static size_t parallel_prefix(const civic_loader *ld, const char *data, size_t len, size_t *until)
{
    *until = SIZE_MAX;
    if (len < PIPE_BYTES_MIN) return 0;
    size_t end = ld->format->parallel_bytes(ld, data, len, until);
    return end >= PIPE_BYTES_MIN ? end : 0;
}

/* Read as many whole records of [data, data + len) as possible, choosing
 * for each stretch between the pipeline and the serial reader. */
static int read_records(civic_loader *ld, const char *data, size_t len, bool final, size_t *used)
{
    /* The pipeline takes whole lines only, which end at the last line break:
     * found once here.  (Found again before every record the serial reader
     * reads one at a time, those before a CSV header, it cost time quadratic
     * in the input: 1 MiB of blank lines and a 1 MiB last line took minutes
     * to load from a file on two threads, milliseconds on one.) */
    size_t whole = 0;
    if (!ld->engine->serial_loads && len >= PIPE_BYTES_MIN) {
        whole = len;
        if (!final)
            while (whole > 0 && data[whole - 1] != '\n') whole--;
    }
    size_t pos = 0;
    int rc = CIVIC_OK;
    while (rc == CIVIC_OK && pos < len) {
        size_t until;
        size_t par = parallel_prefix(ld, data + pos, pos < whole ? whole - pos : 0, &until);
        if (par) {
            rc = civic__pipe_submit(ld, data + pos, par);
            pos += par;
            continue;
        }
        /* A partial last line waits for more data, and must not stall the
         * pipeline meanwhile. */
        if (!final && len - pos <= CIVIC_LINE_BYTES_MAX && !memchr(data + pos, '\n', len - pos))
            break;
        size_t n = 0;
        rc = civic__pipe_drain(ld);
        if (rc == CIVIC_OK) rc = ld->format->serial(ld, data + pos, len - pos, final, until, &n);
        if (n == 0) break;
        pos += n;
    }
    *used = pos;
    return rc;
}

static uint32_t detect_format(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    return i < len && data[i] == '{' ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
}

static int check_options(const civic_load_options *opts, civic_load_report *report,
                         civic_error *err)
{
    if (opts && (opts->version < 1 || opts->version > CIVIC_LOAD_OPTIONS_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported load options version");
    /* each cause named alone, with its value */
    if (opts && opts->format > CIVIC_FORMAT_JSONL)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->format is %u: not CIVIC_FORMAT_AUTO (0), CIVIC_FORMAT_CSV "
                                "(1) or CIVIC_FORMAT_JSONL (2)", (unsigned)opts->format);
    if (opts && (opts->flags & ~CIVIC_LOAD_LENIENT))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0,
                                "opts->flags 0x%x has unknown bits 0x%x (CIVIC_LOAD_LENIENT is "
                                "the only flag)", (unsigned)opts->flags,
                                (unsigned)(opts->flags & ~CIVIC_LOAD_LENIENT));
    if (opts && opts->reserved != 0)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "opts->reserved is %u: it must be 0",
                                (unsigned)opts->reserved);
    if (report && (report->version < 1 || report->version > CIVIC_LOAD_REPORT_VERSION))
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported load report version");
    return CIVIC_OK;
}

static void loader_init(civic_loader *ld, civic_engine *e, const civic_load_options *opts,
                        civic_load_report *report, civic_error *err)
{
    memset(ld, 0, sizeof(*ld)); /* format: chosen by the first feed */
    ld->engine = e;
    ld->opts = opts;
    ld->report = report;
    ld->err = err;
    ld->lenient = opts && (opts->flags & CIVIC_LOAD_LENIENT);
    if (report) {
        report->lines = report->accepted = report->duplicates = report->rejected = 0;
    }
}

static void loader_finish(civic_loader *ld, int rc)
{
    if (ld->format_state)
        civic__free(&ld->engine->alc, ld->format_state, ld->format->state_bytes);
    ld->format_state = NULL;
    if (ld->report) {
        ld->report->lines = ld->line;
        if (rc != CIVIC_OK) ld->report->accepted = ld->report->duplicates = 0;
    }
}

/* The format's reader and its state, once the format is known. */
static int loader_format(civic_loader *ld, uint32_t format)
{
    if (ld->format) return CIVIC_OK;
    ld->format = format == CIVIC_FORMAT_JSONL ? &civic__jsonl_format : &civic__csv_format;
    if (ld->format->state_bytes) {
        ld->format_state = civic__calloc(&ld->engine->alc, 1, ld->format->state_bytes);
        if (!ld->format_state) return civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    return CIVIC_OK;
}

/* What the input is when its first bytes say it is not text an event log
 * can be, else NULL. */
static const char *not_a_log(const char *data, size_t len)
{
    return civic__binary_text(civic__binary_kind(data, len), false);
}

static int feed(civic_loader *ld, uint32_t format, const char *data, size_t len, bool final,
                size_t *used)
{
    size_t bom = 0;
    int rc = loader_format(ld, format);
    *used = 0;
    if (rc != CIVIC_OK) return rc;
    if (!ld->bom_checked) { /* a UTF-8 BOM may open either format */
        if (len < 16 && !final) return CIVIC_OK;
        /* Where the first line must be good anyway (a CSV header; any line of
         * a strict load), say what the input is rather than what is wrong
         * with that line.  A lenient JSON Lines load skips it as any bad line
         * (a part of a split log may begin with any line). */
        bool first_must_be_good = ld->format == &civic__csv_format || !ld->lenient;
        const char *what = first_must_be_good ? not_a_log(data, len) : NULL;
        if (what) { /* no mode can skip it: one rejected line, as a bad header */
            civic_error e = CIVIC_ERROR_INIT;
            civic__error_set(&e, CIVIC_E_SYNTAX, 1, 1, 0, "line 1, column 1: not an event log: %s",
                             what);
            return civic__loader_fatal(ld, &e);
        }
        /* Pretty-printed JSON (json.dumps(indent=2), jq .) is no log whose
         * lines a lenient load could skip one by one, answering nothing:
         * refused whole, in every mode, as a JSON array is (at its header) */
        uint64_t line;
        size_t at;
        if (ld->format == &civic__jsonl_format && civic__jsonl_pretty(data, len, final, &line, &at)) {
            civic_error e = CIVIC_ERROR_INIT;
            civic__error_set(&e, CIVIC_E_SYNTAX, line, 0, at, "line %llu: " CIVIC__PRETTY_JSON,
                             (unsigned long long)line);
            return civic__loader_fatal(ld, &e);
        }
        if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) bom = 3;
        ld->bom_checked = true;
    }
    ld->offset += bom; /* offsets count the BOM's bytes, as the input has them */
    rc = read_records(ld, data + bom, len - bom, final, used);
    *used += bom;
    return rc;
}

typedef struct buffer_load {
    civic_loader *ld;
    uint32_t format;
    const char *data;
    size_t len;
} buffer_load;

/* The write of civic_engine_load: the whole buffer as one batch.  The loader
 * reports errors through ld->err, which is err. */
static int buffer_apply(civic_engine *e, void *ctx, civic_error *err)
{
    buffer_load *b = ctx;
    size_t used = 0;
    int rc = feed(b->ld, b->format, b->data, b->len, true, &used);
    return civic__pipe_finish(b->ld, rc);
}

int civic_engine_load(civic_engine *e, const char *data, size_t len,
                      const civic_load_options *opts, civic_load_report *report,
                      civic_error *err)
{
    civic__error_clear(err);
    if (!e || (!data && len)) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    int rc = check_options(opts, report, err);
    if (rc != CIVIC_OK) return rc;
    uint32_t format = opts ? opts->format : CIVIC_FORMAT_AUTO;
    if (!data) data = "";
    uint32_t given = format; /* the other format's hint only for a format given */
    if (format == CIVIC_FORMAT_AUTO) format = detect_format(data, len);
    civic_loader ld;
    loader_init(&ld, e, opts, report, err);
    ld.size_hint = len;
    ld.text = data;
    ld.text_len = len;
    buffer_load b = { &ld, format, data, len };
    rc = civic__engine_write(e, buffer_apply, &b, err);
    loader_finish(&ld, rc);
    if (rc != CIVIC_OK && rc != CIVIC_E_NOMEM) {
        civic__error_nul_hint(err, data, len);
        civic__error_array_hint(err, data, len);
        civic__error_format_hint(err, given, data, len);
        if (format == CIVIC_FORMAT_CSV) civic__error_rules_hint(err, data, len);
        if (format == CIVIC_FORMAT_CSV) civic__error_comment_hint(err, data, len);
    }
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n < m) return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suffix[i]) return false;
    }
    return true;
}

/* The first bytes of a file kept for the hint that it looks like the other
 * format (civic__error_format_hint), whose first line they hold unless it
 * is past a page of blank lines or longer than a CSV header most often is. */
#define LOAD_HEAD_BYTES 4096

/* Read `f` in pieces and feed every complete record.  Two buffers take
 * turns: the unconsumed tail of one moves to the front of the other before
 * the next read, because the records just fed may still be parsing.  The
 * first LOAD_HEAD_BYTES bytes read (fewer if the file is shorter) are
 * copied to head, their number to *head_len. */
static int load_stream(civic_loader *ld, FILE *f, uint32_t format, char *bufs[2], size_t cap,
                       const char *path, char *head, size_t *head_len)
{
    size_t have = 0;
    int cur = 0;
    bool eof = false;
    int rc = CIVIC_OK;
    *head_len = 0;
    while (rc == CIVIC_OK && !eof) {
        char *buf = bufs[cur];
        size_t got = civic__fread(buf + have, cap - have, f);
        have += got;
        if (ld->offset == 0 && *head_len < LOAD_HEAD_BYTES) { /* nothing fed yet */
            *head_len = have < LOAD_HEAD_BYTES ? have : LOAD_HEAD_BYTES;
            memcpy(head, buf, *head_len);
        }
        if (got == 0 || have < cap) {
            if (ferror(f)) {
                char brief[CIVIC_PATH_BRIEF_SIZE];
                rc = civic__error_set(ld->err, CIVIC_E_IO, 0, 0, ld->offset, "cannot read %s: %s",
                                      civic__path_brief(path, brief), strerror(errno));
                break;
            }
            if (feof(f)) eof = true;
        }
        if (format == CIVIC_FORMAT_AUTO) format = detect_format(buf, have);
        size_t used = 0;
        rc = feed(ld, format, buf, have, eof, &used);
        if (rc != CIVIC_OK) break;
        if (!eof && used == 0 && have == cap) {
            rc = civic__pipe_drain(ld); /* the lines before it count */
            if (rc == CIVIC_OK)
                rc = civic__error_set(ld->err, CIVIC_E_LIMIT, ld->line + 1, 0, ld->offset,
                                      "line %llu: a record longer than %u bytes",
                                      (unsigned long long)ld->line + 1, CIVIC_LINE_BYTES_MAX);
            break;
        }
        cur ^= 1;
        memcpy(bufs[cur], buf + used, have - used);
        have -= used;
    }
    if (rc == CIVIC_OK && ld->skip.on) {
        /* the input ended in a record being skipped, the last read empty */
        if (!ld->skip.last_nl) ld->line++;
        ld->skip.on = false;
    }
    return civic__pipe_finish(ld, rc);
}

typedef struct file_load {
    civic_loader *ld;
    FILE *f;
    uint32_t format;
    char **bufs;
    size_t cap;
    const char *path;
    char head[LOAD_HEAD_BYTES];
    size_t head_len;
} file_load;

/* The write of civic_engine_load_file: the whole file as one batch (errors
 * through ld->err, as above). */
static int file_apply(civic_engine *e, void *ctx, civic_error *err)
{
    file_load *fl = ctx;
    return load_stream(fl->ld, fl->f, fl->format, fl->bufs, fl->cap, fl->path, fl->head,
                       &fl->head_len);
}

int civic_engine_load_file(civic_engine *e, const char *path, const civic_load_options *opts,
                           civic_load_report *report, civic_error *err)
{
    civic__error_clear(err);
    if (!e || !path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    int rc = check_options(opts, report, err);
    if (rc == CIVIC_OK) rc = civic__engine_write_allowed(e, err);
    if (rc != CIVIC_OK) return rc;
    uint32_t format = opts ? opts->format : CIVIC_FORMAT_AUTO;
    if (format == CIVIC_FORMAT_AUTO) {
        if (ends_with(path, ".csv")) format = CIVIC_FORMAT_CSV;
        else if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson")) format = CIVIC_FORMAT_JSONL;
    }
    FILE *f = civic__fopen_read(path);
    char brief[CIVIC_PATH_BRIEF_SIZE];
    if (!f)
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot open %s: %s",
                                civic__path_brief(path, brief), strerror(errno));
    const size_t cap = (size_t)2 << 20; /* >= CIVIC_LINE_BYTES_MAX + 1 */
    char *bufs[2] = { civic__malloc(&e->alc, cap), civic__malloc(&e->alc, cap) };
    if (!bufs[0] || !bufs[1]) {
        civic__free(&e->alc, bufs[0], cap);
        civic__free(&e->alc, bufs[1], cap);
        fclose(f);
        return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    }
    civic_loader ld;
    loader_init(&ld, e, opts, report, err);
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        ld.size_hint = (uint64_t)st.st_size;
    file_load fl = { &ld, f, format, bufs, cap, path, { 0 }, 0 };
    rc = civic__engine_write(e, file_apply, &fl, err);
    loader_finish(&ld, rc);
    /* a format given, or said by the name (".csv" holding JSON Lines) */
    if (rc != CIVIC_OK && rc != CIVIC_E_NOMEM && rc != CIVIC_E_IO) {
        civic__error_format_hint(err, format, fl.head, fl.head_len);
        if ((format ? format : detect_format(fl.head, fl.head_len)) == CIVIC_FORMAT_CSV) {
            civic__error_rules_hint(err, fl.head, fl.head_len);
            civic__error_comment_hint(err, fl.head, fl.head_len);
        }
    }
    civic__free(&e->alc, bufs[0], cap);
    civic__free(&e->alc, bufs[1], cap);
    fclose(f);
    return rc;
}
