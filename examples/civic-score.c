/*
** civic-score -- score an exported event log with libcivic (SPEC section 6).
**
** Uses only the public API in civic.h.  Reads CSV or JSON Lines files (or
** standard input), scores every subject at the as-of time (default: the
** latest ts of the input) and prints a table, CSV or JSON; or one subject's
** credit record (--explain), group statistics (--groups), rankings (--top).
** Exit status: 0 success, 1 usage error, 2 bad rules or bad input.
**
** Conventions (docs/civic-score.1): getopt_long parsing (-fcsv, --top=3,
** options after file names); JSON through the shared answer writer
** (examples/common/answers.h) so the service and the binding say the same;
** progress on standard error only when it is a terminal and a load takes
** more than a second; options that do not combine are usage errors.
*/
#include "civic.h"
#include "common/answers.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 1
#define EXIT_INPUT 2

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

typedef struct options {
    const char *rules_path;
    const char *as_of_text;
    int format;
    const char *explain;
    long groups;          /* -1: not asked */
    uint64_t top;         /* 0: all */
    int lenient;
    const char **files;
    int file_count;
} options;

/* The README's usage block is this text, byte for byte (tests/cli/run.sh). */
static const char usage_text[] =
    "usage: civic-score [OPTIONS] [EVENTS-FILE ...]\n"
    "Score event logs (CSV or JSON Lines); no file or \"-\": standard input.\n"
    "  -r, --rules FILE      rules file (default: the built-in community scheme)\n"
    "  -t, --as-of TIME      evaluation time: any ts form, or \"now\" (default: the latest ts)\n"
    "  -f, --format FMT      table (default) | csv | json\n"
    "      --explain SUBJECT print that subject's credit record\n"
    "      --groups DEPTH    report groups at DEPTH instead of subjects (0: everyone)\n"
    "      --top N           only the N best (by score, ties by id); with --groups, per group\n"
    "      --lenient         skip bad lines, report them on stderr, exit 0\n"
    "      --print-rules     print the built-in scheme and exit\n"
    "  -h, --help            print this help and exit\n"
    "      --version         print the version and exit\n"
    "Input format by extension (.csv, .jsonl, .ndjson), otherwise by content.\n"
    "Exit status: 0 success, 1 usage error, 2 bad rules or bad input.\n"
    "Manual: man civic-score, or docs/civic-score.1 in the source tree.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "civic-score: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'civic-score --help'.\n");
    return EXIT_USAGE;
}

/* ------------------------------------------------------------ output */

static void put_fixed(FILE *out, int64_t v)
{
    char buf[32];
    civic_format_fixed(v, 2, buf, sizeof(buf));
    fputs(buf, out);
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Display width of UTF-8 text: East Asian wide characters count 2. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp = *p;
        int len = 1;
        if (cp >= 0xf0) { cp &= 0x07; len = 4; }
        else if (cp >= 0xe0) { cp &= 0x0f; len = 3; }
        else if (cp >= 0xc0) { cp &= 0x1f; len = 2; }
        for (int k = 1; k < len && p[k]; k++) cp = (cp << 6) | (p[k] & 0x3f);
        bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
                    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
                    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
                    (cp >= 0xffe0 && cp <= 0xffe6) || cp >= 0x20000;
        w += wide ? 2 : 1;
        for (int k = 0; k < len && *p; k++) p++;
    }
    return w;
}

/* A simple text table: cells are copied, widths computed, then printed. */
static char *dup_text(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p) memcpy(p, s, n + 1);
    return p;
}

typedef struct grid {
    char **cells;
    size_t count, cap, cols;
    unsigned right;
} grid;

static void grid_put(grid *g, const char *s)
{
    if (g->count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        char **cells = realloc(g->cells, cap * sizeof(char *));
        if (!cells) {
            fprintf(stderr, "civic-score: out of memory\n");
            exit(EXIT_INPUT);
        }
        g->cells = cells;
        g->cap = cap;
    }
    char *copy = dup_text(s);
    if (!copy) {
        fprintf(stderr, "civic-score: out of memory\n");
        exit(EXIT_INPUT);
    }
    g->cells[g->count++] = copy;
}

static void grid_put_fixed(grid *g, int64_t v)
{
    char buf[32];
    civic_format_fixed(v, 2, buf, sizeof(buf));
    grid_put(g, buf);
}

static void grid_put_u64(grid *g, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    grid_put(g, buf);
}

static void grid_print(grid *g, FILE *out)
{
    size_t cols = g->cols;
    size_t *width = calloc(cols, sizeof(size_t));
    if (!width) return;
    for (size_t i = 0; i < g->count; i++) {
        size_t w = text_width(g->cells[i]);
        if (w > width[i % cols]) width[i % cols] = w;
    }
    for (size_t i = 0; i < g->count; i++) {
        size_t c = i % cols;
        size_t pad = width[c] - text_width(g->cells[i]);
        bool right = (g->right >> c) & 1u;
        if (right) fprintf(out, "%*s", (int)pad, "");
        fputs(g->cells[i], out);
        if (c + 1 < cols) {
            if (!right) fprintf(out, "%*s", (int)pad, "");
            fputs("  ", out);
        } else {
            fputc('\n', out);
        }
        free(g->cells[i]);
    }
    free(g->cells);
    free(width);
    g->cells = NULL;
    g->count = g->cap = 0;
}

static void format_time(const civic_rules *rules, int64_t t, char *buf, size_t size)
{
    if (t == CIVIC_FOREVER) snprintf(buf, size, "forever");
    else if (civic_rules_format_time(rules, t, buf, size) != CIVIC_OK)
        snprintf(buf, size, "%" PRId64, t);
}

/* ------------------------------------------------------------ subjects */

static void print_subjects(const civic_engine *e, const civic_result *res, int format,
                           int64_t as_of, bool ranked, FILE *out)
{
    const civic_rules *rules = civic_engine_rules(e);
    size_t n = civic_result_count(res);
    char when[40];
    format_time(rules, as_of, when, sizeof(when));
    if (format == FMT_CSV) {
        fputs("subject,group,score,grade,balance,flags\n", out);
        for (size_t i = 0; i < n; i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(res, i, &s);
            csv_field(out, s.subject);
            fputc(',', out);
            csv_field(out, s.group);
            fputc(',', out);
            put_fixed(out, s.score);
            fputc(',', out);
            csv_field(out, s.grade);
            fputc(',', out);
            put_fixed(out, s.balance);
            fputc(',', out);
            csv_field(out, s.flags);
            fputc('\n', out);
        }
        return;
    }
    if (format == FMT_JSON) {
        answers_sink sink = answers_file_sink(out);
        answers_subjects(&sink, rules, res, as_of, ranked ? ANSWERS_RANKED : 0);
        return;
    }
    grid g = { NULL, 0, 0, ranked ? 7u : 6u, ranked ? 0x29u : 0x14u };
    const char *name = civic_rules_name(rules);
    fprintf(out, "%s%s%s scheme, as of %s: %zu subject%s\n\n", name[0] ? "\"" : "",
            name[0] ? name : "unnamed", name[0] ? "\"" : "", when, n, n == 1 ? "" : "s");
    const char *head[] = { "RANK", "SUBJECT", "GROUP", "SCORE", "GRADE", "BALANCE", "FLAGS" };
    for (size_t c = ranked ? 0 : 1; c < 7; c++) grid_put(&g, head[c]);
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        if (ranked) grid_put_u64(&g, s.rank);
        grid_put(&g, s.subject);
        grid_put(&g, s.group[0] ? s.group : "-");
        grid_put_fixed(&g, s.score);
        grid_put(&g, s.grade);
        grid_put_fixed(&g, s.balance);
        grid_put(&g, s.flags[0] ? s.flags : "-");
    }
    grid_print(&g, out);
}

/* ------------------------------------------------------------ record */

static void entry_marks(const civic_entry *x, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", (x->marks & CIVIC_MARK_CAPPED) ? "capped" : "",
             (x->marks & CIVIC_MARK_CAPPED) && (x->marks & CIVIC_MARK_ESCALATED) ? "," : "",
             (x->marks & CIVIC_MARK_ESCALATED) ? "escalated" : "");
}

static void print_record(const civic_engine *e, const civic_record *rec, int format,
                         int64_t as_of, FILE *out)
{
    const civic_rules *rules = civic_engine_rules(e);
    size_t n = civic_record_count(rec);
    civic_score s = CIVIC_SCORE_INIT;
    char when[40], ts[40], end[40], marks[32];
    civic_record_summary(rec, &s);
    format_time(rules, as_of, when, sizeof(when));
    if (format == FMT_CSV) {
        fputs("id,ts,type,state,raw,counted,dimension,capped,escalated,end,ref,group\n", out);
        for (size_t i = 0; i < n; i++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, i, &x);
            format_time(rules, x.ts, ts, sizeof(ts));
            format_time(rules, x.end, end, sizeof(end));
            csv_field(out, x.id);
            fprintf(out, ",%s,", ts);
            csv_field(out, x.type);
            fprintf(out, ",%s,", civic_state_name(x.state));
            put_fixed(out, x.raw);
            fputc(',', out);
            put_fixed(out, x.counted);
            fputc(',', out);
            csv_field(out, x.dimension);
            fprintf(out, ",%s,%s,%s,", (x.marks & CIVIC_MARK_CAPPED) ? "yes" : "no",
                    (x.marks & CIVIC_MARK_ESCALATED) ? "yes" : "no",
                    x.kind == CIVIC_KIND_RULE ? end : "");
            csv_field(out, x.ref);
            fputc(',', out);
            csv_field(out, x.group);
            fputc('\n', out);
        }
        return;
    }
    if (format == FMT_JSON) {
        answers_sink sink = answers_file_sink(out);
        answers_record(&sink, rules, rec, as_of, 0);
        return;
    }
    fprintf(out, "credit record of %s, as of %s\n\n", s.subject, when);
    grid g = { NULL, 0, 0, 8, 0x18u };
    const char *head[] = { "TS", "ID", "TYPE", "RAW", "COUNTED", "STATE", "UNTIL", "NOTE" };
    for (size_t c = 0; c < 8; c++) grid_put(&g, head[c]);
    int64_t active_sum = 0;
    for (size_t i = 0; i < n; i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &x);
        format_time(rules, x.ts, ts, sizeof(ts));
        format_time(rules, x.end, end, sizeof(end));
        entry_marks(&x, marks, sizeof(marks));
        grid_put(&g, ts);
        grid_put(&g, x.id);
        grid_put(&g, x.type);
        grid_put_fixed(&g, x.raw);
        grid_put_fixed(&g, x.counted);
        grid_put(&g, civic_state_name(x.state));
        grid_put(&g, x.kind == CIVIC_KIND_RULE && x.state != CIVIC_STATE_REVOKED ? end : "");
        char note[200];
        note[0] = '\0';
        if (x.kind == CIVIC_KIND_REVOKE || x.kind == CIVIC_KIND_REPAIR)
            snprintf(note, sizeof(note), "ref %s", x.ref);
        else if (x.kind == CIVIC_KIND_RULE)
            snprintf(note, sizeof(note), "%s%s%s%s%s%s%s", x.dimension, marks[0] ? " " : "",
                     marks, x.flag[0] ? " flag " : "", x.flag,
                     x.affects == CIVIC_AFFECTS_BALANCE ? " balance-only" : "",
                     x.affects == CIVIC_AFFECTS_SCORE ? " score-only" : "");
        if (x.ceiling != CIVIC_FOREVER) {
            char c[40];
            civic_format_fixed(x.ceiling, 2, c, sizeof(c));
            size_t len = strlen(note);
            snprintf(note + len, sizeof(note) - len, " ceiling %s", c);
        }
        grid_put(&g, note);
        if (x.state == CIVIC_STATE_ACTIVE && (x.affects & CIVIC_AFFECTS_SCORE)) active_sum += x.counted;
    }
    grid_print(&g, out);
    fprintf(out, "\nbase ");
    put_fixed(out, civic_rules_base(rules));
    fputs(" + active ", out);
    put_fixed(out, active_sum);
    if (s.ceiling != CIVIC_FOREVER) {
        fputs(", ceiling ", out);
        put_fixed(out, s.ceiling);
    }
    fputs(" -> score ", out);
    put_fixed(out, s.score);
    fprintf(out, ", grade %s, balance ", s.grade);
    put_fixed(out, s.balance);
    fprintf(out, ", flags %s, group %s\n", s.flags[0] ? s.flags : "-", s.group[0] ? s.group : "-");
}

/* ------------------------------------------------------------ groups */

static void print_groups(const civic_engine *e, const civic_groups *g, int format, int64_t as_of,
                         unsigned depth, FILE *out)
{
    size_t n = civic_groups_count(g), ng = civic_groups_grade_count(g);
    char when[40];
    format_time(civic_engine_rules(e), as_of, when, sizeof(when));
    if (format == FMT_JSON) {
        answers_sink sink = answers_file_sink(out);
        answers_groups(&sink, civic_engine_rules(e), g, as_of);
        return;
    }
    if (format == FMT_CSV) {
        fputs("group,subjects,mean,median,min,max,balance", out);
        for (size_t k = 0; k < ng; k++) {
            fputc(',', out);
            csv_field(out, civic_groups_grade_name(g, k));
        }
        fputc('\n', out);
        for (size_t i = 0; i < n; i++) {
            civic_group_stats s = CIVIC_GROUP_STATS_INIT;
            civic_groups_get(g, i, &s);
            csv_field(out, s.path);
            fprintf(out, ",%" PRIu64 ",", s.subjects);
            put_fixed(out, s.mean);
            fputc(',', out);
            put_fixed(out, s.median);
            fputc(',', out);
            put_fixed(out, s.min);
            fputc(',', out);
            put_fixed(out, s.max);
            fputc(',', out);
            put_fixed(out, s.balance);
            for (size_t k = 0; k < ng; k++) fprintf(out, ",%" PRIu64, s.grade_counts[k]);
            fputc('\n', out);
        }
        return;
    }
    fprintf(out, "groups at depth %u, as of %s: %zu group%s\n\n", depth, when, n,
            n == 1 ? "" : "s");
    grid t = { NULL, 0, 0, 7 + ng, 0 };
    const char *head[] = { "GROUP", "SUBJECTS", "MEAN", "MEDIAN", "MIN", "MAX", "BALANCE" };
    for (size_t c = 0; c < 7; c++) grid_put(&t, head[c]);
    for (size_t k = 0; k < ng; k++) grid_put(&t, civic_groups_grade_name(g, k));
    t.right = ~1u;
    for (size_t i = 0; i < n; i++) {
        civic_group_stats s = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(g, i, &s);
        grid_put(&t, s.path[0] ? s.path : "(all)");
        grid_put_u64(&t, s.subjects);
        grid_put_fixed(&t, s.mean);
        grid_put_fixed(&t, s.median);
        grid_put_fixed(&t, s.min);
        grid_put_fixed(&t, s.max);
        grid_put_fixed(&t, s.balance);
        for (size_t k = 0; k < ng; k++) grid_put_u64(&t, s.grade_counts[k]);
    }
    grid_print(&t, out);
}

/* Rankings within every group at a depth (--groups D --top N). */
static int print_group_ranks(const civic_engine *e, const civic_groups *g, int format,
                             int64_t as_of, uint64_t top, FILE *out)
{
    size_t n = civic_groups_count(g);
    grid t = { NULL, 0, 0, 5, 0x1au };
    answers_sink sink = answers_file_sink(out);
    bool first = true;
    if (format == FMT_CSV) fputs("group,rank,subject,score,grade\n", out);
    else if (format == FMT_JSON) answers_rankings_begin(&sink);
    else {
        const char *head[] = { "GROUP", "RANK", "SUBJECT", "SCORE", "GRADE" };
        for (size_t c = 0; c < 5; c++) grid_put(&t, head[c]);
    }
    for (size_t i = 0; i < n; i++) {
        civic_group_stats s = CIVIC_GROUP_STATS_INIT;
        civic_result *res = NULL;
        civic_groups_get(g, i, &s);
        int rc = civic_engine_rank(e, s.path, as_of, top, &res);
        if (rc != CIVIC_OK) {
            fprintf(stderr, "civic-score: %s\n", civic_strerror(rc));
            return EXIT_INPUT;
        }
        for (size_t k = 0; k < civic_result_count(res); k++) {
            civic_score x = CIVIC_SCORE_INIT;
            civic_result_get(res, k, &x);
            if (format == FMT_CSV) {
                csv_field(out, s.path);
                fprintf(out, ",%" PRIu64 ",", x.rank);
                csv_field(out, x.subject);
                fputc(',', out);
                put_fixed(out, x.score);
                fputc(',', out);
                csv_field(out, x.grade);
                fputc('\n', out);
            } else if (format == FMT_JSON) {
                answers_rankings_row(&sink, s.path, &x, first);
                first = false;
            } else {
                grid_put(&t, s.path[0] ? s.path : "(all)");
                grid_put_u64(&t, x.rank);
                grid_put(&t, x.subject);
                grid_put_fixed(&t, x.score);
                grid_put(&t, x.grade);
            }
        }
        civic_result_free(res);
    }
    if (format == FMT_JSON) answers_rankings_end(&sink);
    else if (format == FMT_TABLE) grid_print(&t, out);
    return 0;
}

/* ------------------------------------------------------------ input */

typedef struct reject_ctx {
    const char *name;
    uint64_t count;
} reject_ctx;

static int on_reject(void *payload, const civic_error *err)
{
    reject_ctx *ctx = payload;
    ctx->count++;
    fprintf(stderr, "civic-score: %s: skipped: %s\n", ctx->name, err->message);
    return 0;
}

/* Read all of standard input (formats are told apart by content). */
static char *read_stdin(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
        if (n == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

/* What a file that is not text most likely is, from its first bytes; NULL
 * for text.  Event logs are UTF-8 text: a compressed file or a database
 * would otherwise fail with a confusing "bad header" at line 1. */
static const char *binary_kind(const unsigned char *p, size_t n)
{
    static const struct { const char *magic; size_t len; const char *what; } kinds[] = {
        { "\x1f\x8b", 2, "gzip-compressed data (decompress it first: zcat FILE | civic-score -)" },
        { "\x28\xb5\x2f\xfd", 4, "zstd-compressed data (decompress it first: zstdcat FILE | civic-score -)" },
        { "\xfd\x37\x7a\x58\x5a", 5, "xz-compressed data (decompress it first: xzcat FILE | civic-score -)" },
        { "BZh", 3, "bzip2-compressed data (decompress it first: bzcat FILE | civic-score -)" },
        { "PK\x03\x04", 4, "a zip archive (extract the log first)" },
        { "SQLite format 3", 15, "an SQLite database (export the events as CSV first)" },
        { "\x7f" "ELF", 4, "a program, not an event log" },
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (n >= kinds[k].len && memcmp(p, kinds[k].magic, kinds[k].len) == 0) return kinds[k].what;
    if (memchr(p, '\0', n)) return "binary data (it holds NUL bytes; event logs are UTF-8 text)";
    return NULL;
}

/* 0 when the file looks like text (or cannot be read: the load says why). */
static int check_binary_file(const char *path)
{
    unsigned char head[4096];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    const char *what = binary_kind(head, n);
    if (!what) return 0;
    fprintf(stderr, "civic-score: %s: not an event log: %s\n", path, what);
    return EXIT_INPUT;
}

/* Progress on standard error, for a terminal only: after a second of
 * loading, one line that says what is being read and for how long, redrawn
 * every second and erased when the load ends.  The library gives no
 * byte-by-byte progress, so the line shows the file, its size and the time. */
typedef struct progress {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool on, done, drawn;
    char what[200];
} progress;

static void *progress_main(void *arg)
{
    progress *p = arg;
    struct timespec start, until;
    clock_gettime(CLOCK_REALTIME, &start);
    pthread_mutex_lock(&p->mu);
    for (long tick = 1; !p->done; tick++) {
        until = start;
        until.tv_sec += tick;
        while (!p->done && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0) {
        }
        if (p->done) break;
        fprintf(stderr, "\rcivic-score: %s ... %ld s ", p->what, tick);
        fflush(stderr);
        p->drawn = true;
    }
    if (p->drawn) fprintf(stderr, "\r\033[K");
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* what: "standard input", or a file name and its size in bytes. */
static void progress_start(progress *p, bool enabled, const char *name, const off_t *bytes)
{
    memset(p, 0, sizeof(*p));
    if (!enabled) return;
    if (bytes) snprintf(p->what, sizeof(p->what), "loading %s (%.0f MB)", name, (double)*bytes / 1e6);
    else snprintf(p->what, sizeof(p->what), "loading %s", name);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->on = pthread_create(&p->thread, NULL, progress_main, p) == 0;
}

static void progress_stop(progress *p)
{
    if (!p->on) return;
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

static int load_input(civic_engine *e, const char *path, bool lenient, bool show_progress,
                      uint64_t *skipped)
{
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report report = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    bool use_stdin = strcmp(path, "-") == 0;
    reject_ctx ctx = { use_stdin ? "<stdin>" : path, 0 };
    opts.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
    opts.on_reject = on_reject;
    opts.payload = &ctx;
    progress prog;
    int rc;
    if (use_stdin) {
        size_t len = 0;
        progress_start(&prog, show_progress, "standard input", NULL);
        char *data = read_stdin(&len);
        const char *what = data ? binary_kind((const unsigned char *)data, len < 4096 ? len : 4096)
                                : NULL;
        rc = CIVIC_OK;
        if (data && !what) rc = civic_engine_load(e, data, len, &opts, &report, &err);
        progress_stop(&prog);
        free(data);
        if (!data) {
            fprintf(stderr, "civic-score: <stdin>: cannot read: %s\n", strerror(errno));
            return EXIT_INPUT;
        }
        if (what) {
            fprintf(stderr, "civic-score: <stdin>: not an event log: %s\n", what);
            return EXIT_INPUT;
        }
    } else {
        struct stat st;
        if (check_binary_file(path)) return EXIT_INPUT;
        progress_start(&prog, show_progress, path, stat(path, &st) == 0 ? &st.st_size : NULL);
        rc = civic_engine_load_file(e, path, &opts, &report, &err);
        progress_stop(&prog);
    }
    *skipped += ctx.count;
    if (rc != CIVIC_OK) {
        fprintf(stderr, "civic-score: %s: %s\n", ctx.name, err.message[0] ? err.message : civic_strerror(rc));
        return EXIT_INPUT;
    }
    return 0;
}

/* ------------------------------------------------------------ options */

static bool parse_count(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+') return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return false;
    *out = v;
    return true;
}

enum { OPT_EXPLAIN = 256, OPT_GROUPS, OPT_TOP, OPT_LENIENT, OPT_PRINT_RULES, OPT_VERSION };

static const struct option long_options[] = {
    { "rules", required_argument, NULL, 'r' },
    { "as-of", required_argument, NULL, 't' },
    { "format", required_argument, NULL, 'f' },
    { "explain", required_argument, NULL, OPT_EXPLAIN },
    { "groups", required_argument, NULL, OPT_GROUPS },
    { "top", required_argument, NULL, OPT_TOP },
    { "lenient", no_argument, NULL, OPT_LENIENT },
    { "print-rules", no_argument, NULL, OPT_PRINT_RULES },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* What the value of an option that needs one should be, for the message. */
static const char *value_name(int opt)
{
    switch (opt) {
    case 'r': return "a file";
    case 't': return "a time";
    case 'f': return "table, csv or json";
    case OPT_EXPLAIN: return "a subject id";
    case OPT_GROUPS: return "a depth";
    case OPT_TOP: return "a number";
    default: return "a value";
    }
}

/* Options that do not go together are usage errors, never silently ignored. */
static int check_combinations(const options *o, bool print_rules, bool format_given)
{
    if (print_rules && (o->rules_path || o->as_of_text || format_given || o->explain ||
                        o->groups >= 0 || o->top || o->lenient || o->file_count))
        return usage_error("%s", "--print-rules prints the built-in scheme and takes no other "
                                 "option or file");
    if (o->explain && o->groups >= 0)
        return usage_error("%s", "--explain and --groups do not go together");
    if (o->explain && o->top)
        return usage_error("%s", "--explain and --top do not go together (a record has no ranking)");
    return 0;
}

/* 0 to continue, otherwise an exit status + 100 for "stop with success". */
static int parse_options(int argc, char **argv, options *o)
{
    bool print_rules = false, format_given = false;
    o->groups = -1;
    o->files = calloc((size_t)argc + 1, sizeof(char *));
    if (!o->files) return EXIT_INPUT;
    opterr = 0; /* our messages, not getopt's */
    for (;;) {
        int opt = getopt_long(argc, argv, ":r:t:f:h", long_options, NULL);
        if (opt == -1) break;
        /* The argument getopt just read (an error leaves optind past it). */
        const char *v = optarg, *a = argv[optind > 1 && optind <= argc ? optind - 1 : 0];
        uint64_t n;
        switch (opt) {
        case 'h': fputs(usage_text, stdout); return 100;
        case OPT_VERSION:
            printf("civic-score %s (libcivic %s)\n", CIVIC_VERSION, civic_version());
            return 100;
        case OPT_PRINT_RULES: print_rules = true; break;
        case OPT_LENIENT: o->lenient = 1; break;
        case 'r': o->rules_path = v; break;
        case 't': o->as_of_text = v; break;
        case 'f':
            format_given = true;
            if (strcmp(v, "table") == 0) o->format = FMT_TABLE;
            else if (strcmp(v, "csv") == 0) o->format = FMT_CSV;
            else if (strcmp(v, "json") == 0) o->format = FMT_JSON;
            else return usage_error("unknown format '%s' (table, csv or json)", v);
            break;
        case OPT_EXPLAIN:
            if (!*v) return usage_error("%s", "option --explain needs a subject id");
            o->explain = v;
            break;
        case OPT_GROUPS:
            if (!parse_count(v, 64, &n)) return usage_error("--groups needs a depth 0..64, not '%s'", v);
            o->groups = (long)n;
            break;
        case OPT_TOP:
            if (!parse_count(v, UINT64_MAX, &n) || n == 0)
                return usage_error("--top needs a positive number, not '%s'", v);
            o->top = n;
            break;
        case ':': {
            char msg[120];
            snprintf(msg, sizeof(msg), "option %%s needs %s", value_name(optopt));
            return usage_error(msg, a);
        }
        default: {
            char name[64];
            if (optopt > 0 && optopt < 256) /* a short option, maybe inside a cluster */
                snprintf(name, sizeof(name), "-%c", optopt);
            else if (optopt >= 256) /* a known long option given a value it does not take */
                return usage_error("option '%s' takes no value", a);
            else
                snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
            return usage_error("unknown option '%s'", name);
        }
        }
    }
    for (int i = optind; i < argc; i++) o->files[o->file_count++] = argv[i];
    int rc = check_combinations(o, print_rules, format_given);
    if (rc) return rc;
    if (print_rules) {
        fputs(civic_rules_default_text(), stdout);
        return 100;
    }
    if (o->file_count == 0) o->files[o->file_count++] = "-";
    return 0;
}

static int load_rules(const options *o, civic_rules **rules)
{
    civic_error err = CIVIC_ERROR_INIT;
    int rc;
    if (o->rules_path) rc = civic_rules_load_file(rules, o->rules_path, NULL, &err);
    else rc = civic_rules_default(rules, NULL);
    if (rc != CIVIC_OK) {
        fprintf(stderr, "civic-score: %s: %s\n", o->rules_path ? o->rules_path : "built-in rules",
                err.message[0] ? err.message : civic_strerror(rc));
        return EXIT_INPUT;
    }
    return 0;
}

static int run(const options *o, civic_engine *e, FILE *out)
{
    const civic_rules *rules = civic_engine_rules(e);
    int64_t as_of = 0;
    if (o->as_of_text && strcmp(o->as_of_text, "now") == 0) {
        as_of = (int64_t)time(NULL);
    } else if (o->as_of_text) {
        if (civic_rules_parse_time(rules, o->as_of_text, strlen(o->as_of_text), &as_of) != CIVIC_OK)
            return usage_error("bad --as-of time '%s' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[+HH:MM], "
                               "Unix seconds or now)", o->as_of_text);
    } else if (civic_engine_time_range(e, NULL, &as_of) != CIVIC_OK) {
        as_of = 0; /* no events: nothing to score */
    }
    int rc;
    if (o->explain) {
        civic_record *rec = NULL;
        rc = civic_engine_record(e, o->explain, as_of, &rec);
        if (rc == CIVIC_OK && civic_record_count(rec) == 0) {
            char when[40];
            format_time(rules, as_of, when, sizeof(when));
            fprintf(stderr, "civic-score: warning: subject '%s' has no events at or before %s "
                    "(the record is empty; the score is the base)\n", o->explain, when);
        }
        if (rc == CIVIC_OK) print_record(e, rec, o->format, as_of, out);
        civic_record_free(rec);
    } else if (o->groups >= 0) {
        civic_groups *g = NULL;
        rc = civic_engine_groups(e, (uint32_t)o->groups, as_of, &g);
        if (rc == CIVIC_OK) {
            if (o->top) rc = print_group_ranks(e, g, o->format, as_of, o->top, out) ? CIVIC_E_NOMEM : 0;
            else print_groups(e, g, o->format, as_of, (unsigned)o->groups, out);
        }
        civic_groups_free(g);
    } else {
        civic_result *res = NULL;
        rc = o->top ? civic_engine_rank(e, NULL, as_of, o->top, &res)
                    : civic_engine_subjects(e, as_of, &res);
        if (rc == CIVIC_OK) print_subjects(e, res, o->format, as_of, o->top != 0, out);
        civic_result_free(res);
    }
    if (rc != CIVIC_OK) {
        fprintf(stderr, "civic-score: %s\n", civic_strerror(rc));
        return EXIT_INPUT;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof(o));
    static char out_buf[1 << 16];
    setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
    int status = parse_options(argc, argv, &o);
    civic_rules *rules = NULL;
    civic_engine *e = NULL;
    uint64_t skipped = 0;
    if (status == 0) status = load_rules(&o, &rules);
    if (status == 0 && civic_engine_new(&e, rules, NULL) != CIVIC_OK) {
        fprintf(stderr, "civic-score: out of memory\n");
        status = EXIT_INPUT;
    }
    bool show_progress = isatty(STDERR_FILENO) != 0;
    for (int i = 0; status == 0 && i < o.file_count; i++)
        status = load_input(e, o.files[i], o.lenient != 0, show_progress, &skipped);
    if (status == 0) status = run(&o, e, stdout);
    if (skipped) fprintf(stderr, "civic-score: %" PRIu64 " bad line%s skipped\n", skipped, skipped == 1 ? "" : "s");
    civic_engine_free(e);
    civic_rules_free(rules);
    free(o.files);
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "civic-score: cannot write output: %s\n", strerror(errno));
        status = EXIT_INPUT;
    }
    return status == 100 ? 0 : status;
}
