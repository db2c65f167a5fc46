/*
** civic-score -- score an exported event log with libcivic (SPEC section 6).
**
** Uses only the public API in civic.h.  Reads CSV or JSON Lines files (or
** standard input), scores every subject at the as-of time (default: the
** latest ts of the input) and prints a table, CSV or JSON; or one subject's
** credit record (--explain), group statistics (--groups), rankings (--top).
** Exit status: 0 success, 1 usage error, 2 bad rules or bad input.
*/
#include "civic.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char usage_text[] =
    "usage: civic-score [OPTIONS] [EVENTS-FILE ...]   (no file or \"-\": standard input)\n"
    "  -r, --rules FILE      rules file (default: the built-in community scheme)\n"
    "  -t, --as-of TIME      evaluation time, in any ts form (default: the latest ts)\n"
    "  -f, --format FMT      table (default) | csv | json\n"
    "      --explain SUBJECT print that subject's credit record\n"
    "      --groups DEPTH    report groups at DEPTH instead of subjects\n"
    "      --top N           only the N best (by score, ties by id)\n"
    "      --lenient         skip bad lines, report them on stderr, exit 0\n"
    "      --print-rules     print the built-in scheme and exit\n"
    "  -h, --help            this text\n"
    "      --version         print the version\n"
    "Input format by extension (.csv, .jsonl, .ndjson), or by content.\n"
    "Exit status: 0 success, 1 usage error, 2 bad rules or bad input.\n";

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

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c == '\r') fputs("\\r", out);
        else if (c < 0x20 || c == 0x7f) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

/* ';'-joined flags as a JSON array of strings. */
static void json_flags(FILE *out, const char *flags)
{
    fputc('[', out);
    for (bool first = true; *flags; first = false) {
        const char *end = strchr(flags, ';');
        size_t len = end ? (size_t)(end - flags) : strlen(flags);
        char buf[160];
        snprintf(buf, sizeof(buf), "%.*s", (int)len, flags);
        if (!first) fputc(',', out);
        json_string(out, buf);
        flags += len + (end ? 1 : 0);
    }
    fputc(']', out);
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
    size_t n = civic_result_count(res), dims = civic_result_dimension_count(res);
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
        fputs("{\"as_of\":", out);
        json_string(out, when);
        fputs(",\"scheme\":", out);
        json_string(out, civic_rules_name(rules));
        fputs(",\"subjects\":[", out);
        for (size_t i = 0; i < n; i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(res, i, &s);
            fputs(i ? ",\n{" : "\n{", out);
            if (ranked) fprintf(out, "\"rank\":%" PRIu64 ",", s.rank);
            fputs("\"subject\":", out);
            json_string(out, s.subject);
            fputs(",\"group\":", out);
            json_string(out, s.group);
            fputs(",\"score\":", out);
            put_fixed(out, s.score);
            fputs(",\"grade\":", out);
            json_string(out, s.grade);
            fputs(",\"balance\":", out);
            put_fixed(out, s.balance);
            fputs(",\"flags\":", out);
            json_flags(out, s.flags);
            fputs(",\"ceiling\":", out);
            if (s.ceiling == CIVIC_FOREVER) fputs("null", out);
            else put_fixed(out, s.ceiling);
            fprintf(out, ",\"events\":%" PRIu64 ",\"dimensions\":{", s.events);
            for (size_t d = 0; d < dims; d++) {
                int64_t v = 0;
                civic_result_dimension(res, i, d, &v);
                if (d) fputc(',', out);
                json_string(out, civic_result_dimension_name(res, d));
                fputc(':', out);
                put_fixed(out, v);
            }
            fputs("}}", out);
        }
        fputs("\n]}\n", out);
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
        fputs("{\"subject\":", out);
        json_string(out, s.subject);
        fputs(",\"as_of\":", out);
        json_string(out, when);
        fputs(",\"score\":", out);
        put_fixed(out, s.score);
        fputs(",\"grade\":", out);
        json_string(out, s.grade);
        fputs(",\"balance\":", out);
        put_fixed(out, s.balance);
        fputs(",\"flags\":", out);
        json_flags(out, s.flags);
        fputs(",\"group\":", out);
        json_string(out, s.group);
        fputs(",\"entries\":[", out);
        for (size_t i = 0; i < n; i++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, i, &x);
            format_time(rules, x.ts, ts, sizeof(ts));
            format_time(rules, x.end, end, sizeof(end));
            fputs(i ? ",\n{\"id\":" : "\n{\"id\":", out);
            json_string(out, x.id);
            fputs(",\"ts\":", out);
            json_string(out, ts);
            fputs(",\"type\":", out);
            json_string(out, x.type);
            fprintf(out, ",\"kind\":\"%s\",\"state\":\"%s\",\"raw\":", civic_kind_name(x.kind),
                    civic_state_name(x.state));
            put_fixed(out, x.raw);
            fputs(",\"counted\":", out);
            put_fixed(out, x.counted);
            fputs(",\"dimension\":", out);
            json_string(out, x.dimension);
            fprintf(out, ",\"capped\":%s,\"escalated\":%s,\"end\":",
                    (x.marks & CIVIC_MARK_CAPPED) ? "true" : "false",
                    (x.marks & CIVIC_MARK_ESCALATED) ? "true" : "false");
            if (x.kind == CIVIC_KIND_RULE) json_string(out, end);
            else fputs("null", out);
            fputs(",\"ref\":", out);
            json_string(out, x.ref);
            fputs(",\"group\":", out);
            json_string(out, x.group);
            fputs("}", out);
        }
        fputs("\n]}\n", out);
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
    if (format == FMT_CSV || format == FMT_JSON) {
        if (format == FMT_CSV) {
            fputs("group,subjects,mean,median,min,max,balance", out);
            for (size_t k = 0; k < ng; k++) {
                fputc(',', out);
                csv_field(out, civic_groups_grade_name(g, k));
            }
            fputc('\n', out);
        } else {
            fputs("{\"as_of\":", out);
            json_string(out, when);
            fputs(",\"groups\":[", out);
        }
        for (size_t i = 0; i < n; i++) {
            civic_group_stats s = CIVIC_GROUP_STATS_INIT;
            civic_groups_get(g, i, &s);
            if (format == FMT_CSV) {
                csv_field(out, s.path);
                fprintf(out, ",%" PRIu64 ",", s.subjects);
            } else {
                fputs(i ? ",\n{\"group\":" : "\n{\"group\":", out);
                json_string(out, s.path);
                fprintf(out, ",\"depth\":%u,\"subjects\":%" PRIu64 ",\"mean\":", s.depth, s.subjects);
            }
            const char *sep = format == FMT_CSV ? "," : NULL;
            put_fixed(out, s.mean);
            fputs(sep ? sep : ",\"median\":", out);
            put_fixed(out, s.median);
            fputs(sep ? sep : ",\"min\":", out);
            put_fixed(out, s.min);
            fputs(sep ? sep : ",\"max\":", out);
            put_fixed(out, s.max);
            fputs(sep ? sep : ",\"balance\":", out);
            put_fixed(out, s.balance);
            if (!sep) fputs(",\"grades\":{", out);
            for (size_t k = 0; k < ng; k++) {
                if (sep) {
                    fprintf(out, ",%" PRIu64, s.grade_counts[k]);
                } else {
                    if (k) fputc(',', out);
                    json_string(out, civic_groups_grade_name(g, k));
                    fprintf(out, ":%" PRIu64, s.grade_counts[k]);
                }
            }
            fputs(sep ? "\n" : "}}", out);
        }
        if (format == FMT_JSON) fputs("\n]}\n", out);
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
    if (format == FMT_CSV) fputs("group,rank,subject,score,grade\n", out);
    else if (format == FMT_JSON) fputs("{\"rankings\":[", out);
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
                fputs(i || k ? ",\n{\"group\":" : "\n{\"group\":", out);
                json_string(out, s.path);
                fprintf(out, ",\"rank\":%" PRIu64 ",\"subject\":", x.rank);
                json_string(out, x.subject);
                fputs(",\"score\":", out);
                put_fixed(out, x.score);
                fputs(",\"grade\":", out);
                json_string(out, x.grade);
                fputc('}', out);
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
    if (format == FMT_JSON) fputs("\n]}\n", out);
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

static int load_input(civic_engine *e, const char *path, bool lenient, uint64_t *skipped)
{
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report report = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    bool use_stdin = strcmp(path, "-") == 0;
    reject_ctx ctx = { use_stdin ? "<stdin>" : path, 0 };
    opts.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
    opts.on_reject = on_reject;
    opts.payload = &ctx;
    int rc;
    if (use_stdin) {
        size_t len = 0;
        char *data = read_stdin(&len);
        if (!data) {
            fprintf(stderr, "civic-score: <stdin>: cannot read: %s\n", strerror(errno));
            return EXIT_INPUT;
        }
        rc = civic_engine_load(e, data, len, &opts, &report, &err);
        free(data);
    } else {
        rc = civic_engine_load_file(e, path, &opts, &report, &err);
    }
    *skipped += ctx.count;
    if (rc != CIVIC_OK) {
        fprintf(stderr, "civic-score: %s: %s\n", ctx.name, err.message[0] ? err.message : civic_strerror(rc));
        return EXIT_INPUT;
    }
    return 0;
}

/* ------------------------------------------------------------ options */

static bool take_value(int argc, char **argv, int *i, const char *lname, const char *sname,
                       const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(lname);
    if (strncmp(a, lname, n) == 0 && a[n] == '=') {
        *value = a + n + 1;
        return true;
    }
    if (strcmp(a, lname) == 0 || (sname && strcmp(a, sname) == 0)) {
        if (*i + 1 >= argc) {
            *value = NULL;
            return true;
        }
        *value = argv[++*i];
        return true;
    }
    return false;
}

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

/* 0 to continue, otherwise an exit status + 100 for "stop with success". */
static int parse_options(int argc, char **argv, options *o)
{
    o->groups = -1;
    o->files = calloc((size_t)argc + 1, sizeof(char *));
    if (!o->files) return EXIT_INPUT;
    bool only_files = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        uint64_t n;
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            o->files[o->file_count++] = a;
        } else if (strcmp(a, "--") == 0) {
            only_files = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            return 100;
        } else if (strcmp(a, "--version") == 0) {
            printf("civic-score %s (libcivic %s)\n", CIVIC_VERSION, civic_version());
            return 100;
        } else if (strcmp(a, "--print-rules") == 0) {
            fputs(civic_rules_default_text(), stdout);
            return 100;
        } else if (strcmp(a, "--lenient") == 0) {
            o->lenient = 1;
        } else if (take_value(argc, argv, &i, "--rules", "-r", &v)) {
            if (!v) return usage_error("option %s needs a file", a);
            o->rules_path = v;
        } else if (take_value(argc, argv, &i, "--as-of", "-t", &v)) {
            if (!v) return usage_error("option %s needs a time", a);
            o->as_of_text = v;
        } else if (take_value(argc, argv, &i, "--format", "-f", &v)) {
            if (!v) return usage_error("option %s needs table, csv or json", a);
            if (strcmp(v, "table") == 0) o->format = FMT_TABLE;
            else if (strcmp(v, "csv") == 0) o->format = FMT_CSV;
            else if (strcmp(v, "json") == 0) o->format = FMT_JSON;
            else return usage_error("unknown format '%s' (table, csv or json)", v);
        } else if (take_value(argc, argv, &i, "--explain", NULL, &v)) {
            if (!v || !*v) return usage_error("option %s needs a subject id", a);
            o->explain = v;
        } else if (take_value(argc, argv, &i, "--groups", NULL, &v)) {
            if (!parse_count(v, 64, &n)) return usage_error("--groups needs a depth 0..64, not '%s'", v ? v : "");
            o->groups = (long)n;
        } else if (take_value(argc, argv, &i, "--top", NULL, &v)) {
            if (!parse_count(v, UINT64_MAX, &n) || n == 0)
                return usage_error("--top needs a positive number, not '%s'", v ? v : "");
            o->top = n;
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    if (o->explain && o->groups >= 0) return usage_error("%s", "--explain and --groups do not go together");
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
    if (o->as_of_text) {
        if (civic_rules_parse_time(rules, o->as_of_text, strlen(o->as_of_text), &as_of) != CIVIC_OK)
            return usage_error("bad --as-of time '%s' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[+HH:MM] or "
                               "Unix seconds)", o->as_of_text);
    } else if (civic_engine_time_range(e, NULL, &as_of) != CIVIC_OK) {
        as_of = 0; /* no events: nothing to score */
    }
    int rc;
    if (o->explain) {
        civic_record *rec = NULL;
        rc = civic_engine_record(e, o->explain, as_of, &rec);
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
    int status = parse_options(argc, argv, &o);
    civic_rules *rules = NULL;
    civic_engine *e = NULL;
    uint64_t skipped = 0;
    static char out_buf[1 << 16];
    setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
    if (status == 0) status = load_rules(&o, &rules);
    if (status == 0 && civic_engine_new(&e, rules, NULL) != CIVIC_OK) {
        fprintf(stderr, "civic-score: out of memory\n");
        status = EXIT_INPUT;
    }
    for (int i = 0; status == 0 && i < o.file_count; i++)
        status = load_input(e, o.files[i], o.lenient != 0, &skipped);
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
