/*
** civic-score -- score an exported event log with libcivic (docs/civic-score.1).
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
#include "common/hints.h"
#include "common/objections.h"
#include "common/report.h"
#include "common/shown.h"
#include "common/width.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 1
#define EXIT_INPUT 2

enum { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

typedef struct options {
    const char *rules_path;
    const char *rules_one_dash; /* "rules" when -r's value came glued in "-rules" (one_dash) */
    bool rules_short;           /* given as -r, not --rules: "-r=x" is said (equals_hint) */
    const char *as_of_text;
    const char *as_of_one_dash; /* likewise "top" for -t's "-top" */
    bool as_of_short;           /* likewise -t */
    int64_t as_of;        /* as_of_text read under the rules, but for "now" */
    int format;
    const char *explain;
    int detail;           /* --detail (with --explain, -f csv or json) */
    long groups;          /* -1: not asked */
    uint64_t top;         /* 0: all */
    int lenient;
    const char *list;     /* --list NAME */
    int objections;       /* --objections */
    const char *compare;  /* --compare NEW-RULES */
    int changed;          /* --changed */
    uint64_t min_group;   /* --min-group K (html) */
    int print_rules;
    const char **files;
    int file_count;
} options;

/* The README's usage block is this text, byte for byte (tests/cli/run.sh). */
static const char usage_text[] =
    "usage: civic-score [OPTIONS] [EVENTS-FILE ...]\n"
    "Score event logs (CSV or JSON Lines); no file or \"-\": standard input.\n"
    "  -r, --rules FILE      rules file (default: the built-in community scheme)\n"
    "  -t, --as-of TIME      evaluation time: any ts form, or \"now\" (default: the latest ts)\n"
    "  -f, --format FMT      table (default) | csv | json | html (the public notice page)\n"
    "      --explain SUBJECT print that subject's credit record\n"
    "      --detail          with --explain -f csv|json: qty, flag, ceiling, affects too\n"
    "      --groups DEPTH    report groups at DEPTH instead of subjects (0: everyone)\n"
    "      --top N           only the N best (by score, ties by id); with --groups, per group\n"
    "      --list NAME       the subjects a flag or measure applies to, with since/until\n"
    "      --objections      the objections still to decide, oldest first\n"
    "      --compare RULES   score under the current and under RULES: what would change\n"
    "      --changed         with --compare: only subjects whose score or grade changes\n"
    "      --min-group K     with -f html: groups under K subjects stay anonymous (5)\n"
    "      --lenient         skip bad lines, report them on stderr, exit 0\n"
    "      --print-rules     print the scheme (-r FILE, or the built-in one) and exit\n"
    "  -h, --help            print this help and exit\n"
    "      --version         print the version and exit\n"
    "Input format by extension (.csv, .jsonl, .ndjson), otherwise by content.\n"
    "Exit status: 0 success, 1 usage error, 2 bad rules or bad input.\n"
    "Manual: man civic-score, or docs/civic-score.1 in the source tree.\n";

/* The length of the UTF-8 character at p (a valid one: no overlong form, no
 * surrogate, at most U+10FFFF), or 0 for a byte that begins none. */
static size_t utf8_at(const unsigned char *p)
{
    size_t n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
             : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
    for (size_t k = 1; k < n; k++)
        if ((p[k] & 0xc0) != 0x80) return 0;
    if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] >= 0xa0) ||
        (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] >= 0x90))
        return 0;
    return n;
}

/* The character at p as a terminal should see it: its length in bytes, and
 * in esc (SHOWN_ESCAPE_BYTES) its escape, or "" when it is shown as it is.
 * C0 controls, DEL and a byte that is not UTF-8 are \xNN; what shown.h
 * escapes -- C1 controls, the bidi controls (which make a terminal show the
 * rest of a line reversed), characters that show nothing or read as another
 * (U+200D, U+00A0, a tag) -- are \uNNNN (\UNNNNNNNN beyond U+FFFF), as the
 * notice page shows them. */
static size_t escape_at(const unsigned char *p, char *esc)
{
    size_t len = *p < 0x80 ? 1 : utf8_at(p);
    esc[0] = '\0';
    if (*p < 0x20 || *p == 0x7f || len == 0) {
        snprintf(esc, 8, "\\x%02x", *p);
        return 1;
    }
    uint32_t cp = len == 1 ? *p : (uint32_t)(*p & (0xff >> (len + 1)));
    for (size_t k = 1; k < len; k++) cp = (cp << 6) | (p[k] & 0x3fu);
    if (shown_escaped(cp)) shown_escape(cp, esc);
    return len;
}

/* The character at p as the table and its titles show it: as escape_at
 * writes it, and a backslash as \\, so that text that spells an escape (the
 * ten bytes \u202eevil) never reads as the character escaped (U+202E, then
 * evil), as the notice page shows names.  Not for messages: they quote the
 * library's, which hold \xNN escapes of their own. */
static size_t shown_at(const unsigned char *p, char *esc)
{
    size_t len = escape_at(p, esc);
    if (*p == '\\') memcpy(esc, "\\\\", 3);
    return len;
}

/* Text of the table or its titles (ids, groups, a scheme's name, file names)
 * with what a terminal would act on as escape_at writes it (\x1b, \u009b,
 * \u202e), so that a terminal shows it rather than acts on it, and a
 * backslash as \\ (shown_at). */
static void put_shown(FILE *out, const char *s)
{
    char esc[SHOWN_ESCAPE_BYTES];
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = shown_at(p, esc);
        if (esc[0]) fputs(esc, out);
        else fwrite(p, 1, len, out);
        p += len;
    }
}

/* A message on standard error: "civic-score: ", the text, a line feed.  What
 * it quotes (a file name, an option's value, a library message naming a
 * file) may hold control characters: those as escape_at writes them, so that
 * a name with an escape sequence in it is shown, not acted on, and a byte
 * that is not UTF-8 as \xNN too (a lone 0x9b is a terminal's CSI in an 8-bit
 * locale).  Written in one piece (standard error is unbuffered) unless
 * longer than 4 KiB.  false: not all of it was written (errno says why). */
static bool complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool complain(const char *fmt, ...)
{
    char small[1024], *text = small;
    bool written = true;
    int failed_errno = 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return false;
    if ((size_t)n >= sizeof(small)) {
        char *big = malloc((size_t)n + 1);
        if (big) { /* else the first 1023 bytes */
            va_start(ap, fmt);
            vsnprintf(big, (size_t)n + 1, fmt, ap);
            va_end(ap);
            text = big;
        }
    }
    char out[4096 + SHOWN_ESCAPE_BYTES]; /* a flush past 4096: then one escape and a line feed */
    size_t k = (size_t)snprintf(out, sizeof(out), "civic-score: ");
    for (const unsigned char *p = (const unsigned char *)text;; p++) {
        if (k > 4096 || !*p) {
            if (!*p) out[k++] = '\n';
            if (fwrite(out, 1, k, stderr) != k && written) {
                written = false;
                failed_errno = errno;
            }
            k = 0;
            if (!*p) break;
        }
        if (*p >= 0x20 && *p < 0x7f) { /* plain ASCII, most of a message: as it is */
            out[k++] = (char)*p;
            continue;
        }
        char esc[SHOWN_ESCAPE_BYTES];
        size_t len = escape_at(p, esc);
        if (esc[0]) {
            memcpy(out + k, esc, strlen(esc));
            k += strlen(esc);
        } else {
            memcpy(out + k, p, len);
            k += len;
        }
        p += len - 1;
    }
    if (text != small) free(text);
    if (!written) errno = failed_errno;
    return written;
}

/* Why a report of input left out (a line skipped under --lenient) could not
 * be written to standard error, 0 while every one was: such a run fails
 * (exit 2), since nothing else tells that input was lost. */
static int lost_report_errno;

static void note_lost_report(bool written)
{
    if (!written && !lost_report_errno) lost_report_errno = errno ? errno : EIO;
}

/* The run's end when a report of skipped lines was lost: said if standard
 * error takes it after all (a disk that had room again), exit 2. */
static int lost_report(void)
{
    complain("cannot write the report of a skipped line to standard error: %s",
             strerror(lost_report_errno));
    return EXIT_INPUT;
}

static int usage_error(const char *fmt, const char *arg)
{
    complain(fmt, arg);
    fputs("Try 'civic-score --help'.\n", stderr);
    return EXIT_USAGE;
}

/* usage_error with what follows the message: fmt takes two strings (the
 * second a hint that may quote the user's text, so never part of a format). */
static int usage_error_hint(const char *fmt, const char *arg, const char *hint)
{
    complain(fmt, arg, hint);
    fputs("Try 'civic-score --help'.\n", stderr);
    return EXIT_USAGE;
}

/* The measures of the scheme whose grades condition names grade g,
 * "; "-separated into out (cut at a name's end with "; ..." when they do
 * not fit, as hints_list_names cuts): false when none is. */
static bool measures_on_grade(const civic_rules *rules, size_t g, char *out, size_t n)
{
    size_t at = 0, found = 0;
    bool cut = false;
    out[0] = '\0';
    for (size_t m = 0; g < 64 && m < civic_rules_measure_count(rules); m++) {
        civic_measure_info x = CIVIC_MEASURE_INFO_INIT;
        if (civic_rules_measure_info(rules, m, &x) != CIVIC_OK || !(x.grades >> g & 1u)) continue;
        size_t len = strlen(x.code) + (found ? 2 : 0);
        if (!cut && at + len + 5 < n) {
            snprintf(out + at, n - at, "%s%s", found ? "; " : "", x.code);
            at += len;
        } else if (!cut) {
            snprintf(out + at, n - at, "%s...", found ? "; " : "");
            cut = true;
        }
        found++;
    }
    return found > 0;
}

/* The grade a --list NAME names, which is no list: its index, or the
 * scheme's grade count when none.  In other letters ("aaa") only where no
 * list is near the name and no tier nor rule has it (hints_not_a_list says
 * those); *other_case then set. */
static size_t grade_named(const civic_rules *rules, const char *name, bool *other_case)
{
    size_t count = civic_rules_grade_count(rules);
    *other_case = false;
    for (size_t g = 0; g < count; g++)
        if (strcmp(civic_rules_grade_name(rules, g), name) == 0) return g;
    if (civic_rules_list_meant(rules, name)) return count;
    for (size_t t = 0; t < civic_rules_tier_count(rules); t++)
        if (strcasecmp(civic_rules_tier_name(rules, t), name) == 0) return count;
    for (size_t r = 0; r < civic_rules_rule_count(rules); r++)
        if (strcmp(civic_rules_rule_code(rules, r), name) == 0) return count;
    for (size_t g = 0; g < count; g++)
        if (strcasecmp(civic_rules_grade_name(rules, g), name) == 0) {
            *other_case = true;
            return g;
        }
    return count;
}

/* What --list of a grade's name is told, after the name, into out
 * (HINTS_NOT_A_LIST_BYTES), as hints_not_a_list tells a tier's: the
 * measures on that grade, through which its subjects are listed, or that
 * grades are no lists and where a subject's grade is shown. */
static void grade_not_a_list(const civic_rules *rules, size_t g, bool other_case, char *out,
                             size_t n)
{
    char names[HINTS_LIST_NAMES_BYTES], lists[HINTS_LIST_NAMES_BYTES];
    const char *grade = civic_rules_grade_name(rules, g);
    bool on = measures_on_grade(rules, g, names, sizeof(names));
    hints_list_names(rules, lists, sizeof(lists));
    static const char shown[] = "each subject's grade is the grade column of --format csv or "
                                "json";
    if (other_case && on)
        snprintf(out, n, " is neither a flag nor a measure of the scheme (the grade '%s', in "
                 "those letters, is listed through a measure on it: %s)", grade, names);
    else if (other_case)
        snprintf(out, n, " is neither a flag nor a measure of the scheme (the grade '%s', in "
                 "those letters, is no list, and no measure of the scheme is on it: %s; "
                 "lists: %s)", grade, shown, lists);
    else if (on)
        snprintf(out, n, " is a grade, not a flag nor a measure: a grade is listed through a "
                 "measure on it (measures on it: %s)", names);
    else
        snprintf(out, n, " is a grade, not a flag nor a measure: grades are not lists, and no "
                 "measure of the scheme is on it (%s; a [measure.CODE] with grades = \"%s\" "
                 "would list its subjects; lists: %s)", shown, grade, lists);
}

/* --list NAME of a name that is neither a flag nor a measure of the scheme:
 * a usage error that names the scheme's lists and the one it most likely
 * meant, or says how a tier or a grade is listed, as the service's 404 does
 * for a tier (a grade: civic-score's own, grade_not_a_list). */
static int unknown_list(const civic_rules *rules, const char *name)
{
    char why[HINTS_NOT_A_LIST_BYTES];
    bool other_case;
    size_t g = grade_named(rules, name, &other_case);
    if (g < civic_rules_grade_count(rules))
        grade_not_a_list(rules, g, other_case, why, sizeof(why));
    else
        hints_not_a_list(rules, name, '\'', why, sizeof(why));
    complain("--list: '%s'%s", name, why);
    fputs("Try 'civic-score --help'.\n", stderr);
    return EXIT_USAGE;
}

/* path itself when it names standard input: "-", or a name of the pipe or
 * socket standard input is (/dev/stdin, /dev/fd/0); else NULL.  A regular
 * file read through /dev/stdin is opened again from its start: not one. */
static const char *reads_stdin(const char *path)
{
    struct stat in, st;
    if (!path) return NULL;
    if (strcmp(path, "-") == 0) return path;
    if (fstat(STDIN_FILENO, &in) != 0 || !(S_ISFIFO(in.st_mode) || S_ISSOCK(in.st_mode)))
        return NULL;
    return stat(path, &st) == 0 && st.st_dev == in.st_dev && st.st_ino == in.st_ino ? path : NULL;
}

/* Out of memory while the answer is written: said, and nothing of the
 * answer on standard output (its buffer is not flushed: _exit). */
static _Noreturn void out_of_memory(void)
{
    fputs("civic-score: out of memory\n", stderr);
    _exit(EXIT_INPUT);
}

/* ------------------------------------------------------------ padded ids */

/* Subject ids an answer shows that begin or end with a blank or another
 * space (U+00A0, U+3000 ...), or hold a zero-width character (U+200B ...),
 * as a flag's name is warned of (hints_name_unseen): each is another
 * subject than the id without them (a clerk's "r0001 " beside "r0001", a
 * spreadsheet's "r0001" and a no-break space).  Told from the ids printed,
 * which the answer walks anyway: the log is not read for them.  The first
 * and how many, before the answer: the lists of subjects, --top, --list,
 * --explain, the rankings of --groups --top, --objections and --compare. */
typedef struct blank_ids {
    uint64_t count;
    char first[CIVIC_ID_BYTES_MAX + 1]; /* a copy: --compare's ids may be freed before */
} blank_ids;

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Whether the id's first or last byte, or any byte, may begin what
 * hints_name_unseen looks for: most ids (ASCII, not padded) are passed
 * without it. */
static bool maybe_unseen(const char *id, size_t n)
{
    if (is_blank(id[0]) || is_blank(id[n - 1])) return true;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] >= 0x80) return true;
    return false;
}

static void blank_note(blank_ids *b, const char *id)
{
    char why[HINTS_UNSEEN_WHY_BYTES], bare[CIVIC_ID_BYTES_MAX + 1];
    size_t n = strlen(id);
    if (n == 0 || !maybe_unseen(id, n) ||
        !hints_name_unseen(id, why, sizeof(why), bare, sizeof(bare)))
        return;
    if (!b->count++) snprintf(b->first, sizeof(b->first), "%s", id);
}

static void blank_warn(const blank_ids *b)
{
    if (!b->count) return;
    const char *id = b->first;
    char why[HINTS_UNSEEN_WHY_BYTES], bare[CIVIC_ID_BYTES_MAX + 1];
    hints_name_unseen(id, why, sizeof(why), bare, sizeof(bare));
    char more[64] = "";
    if (b->count > 1) snprintf(more, sizeof(more), " (%" PRIu64 " such subjects)", b->count);
    if (strcmp(why, "is blanks only") == 0)
        complain("warning: subject '%s' is blanks only%s", id, more);
    else
        complain("warning: subject '%s' %s: it is a different subject from '%s'%s", id, why,
                 bare, more);
}

static void blank_warn_result(const civic_result *res)
{
    blank_ids b = { 0, "" };
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        if (civic_result_get(res, i, &s) == CIVIC_OK) blank_note(&b, s.subject);
    }
    blank_warn(&b);
}

static void blank_warn_list(const civic_list *list)
{
    blank_ids b = { 0, "" };
    for (size_t i = 0; i < civic_list_count(list); i++) {
        civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
        if (civic_list_get(list, i, &x) == CIVIC_OK) blank_note(&b, x.subject);
    }
    blank_warn(&b);
}

/* ------------------------------------------------------------ output */

static void put_fixed(FILE *out, int64_t v)
{
    char buf[32];
    civic_format_fixed(v, 2, buf, sizeof(buf));
    fputs(buf, out);
}

/* next - now in hundredths, exact: each fits in 64 bits, their difference
 * may not (it reaches 2^64 - 1 either way), so it is a sign and a magnitude. */
static void format_delta(int64_t now, int64_t next, char buf[32])
{
    bool neg = next < now;
    uint64_t m = neg ? (uint64_t)now - (uint64_t)next : (uint64_t)next - (uint64_t)now;
    snprintf(buf, 32, "%s%" PRIu64 ".%02u", neg ? "-" : "", m / 100, (unsigned)(m % 100));
}

static void put_delta(FILE *out, int64_t now, int64_t next)
{
    char buf[32];
    format_delta(now, next, buf);
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

/* The cells a terminal gives a table cell's text (UTF-8 with what a terminal
 * would act on escaped already: dup_shown), as glibc's wcwidth counts them
 * under a UTF-8 locale: combining marks (Thai's, Devanagari's too),
 * zero-width and format characters take none, emoji and East Asian wide
 * characters two.  The counts are a table built in (common/width.h, from
 * glibc's own wcwidth by examples/gen_width.py), not wcwidth itself, whose
 * answer depends on the locale the user runs in: the layout must not. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = *p < 0x80 ? 1 : utf8_at(p);
        if (len <= 1) { /* ASCII (or a byte no escape_at let through) */
            w++;
            p++;
            continue;
        }
        uint32_t cp = (uint32_t)(*p & (0xff >> (len + 1)));
        for (size_t k = 1; k < len; k++) cp = (cp << 6) | (p[k] & 0x3fu);
        if (shown_in_ranges(width_wide, sizeof(width_wide) / sizeof(width_wide[0]), cp)) w += 2;
        else if (!shown_in_ranges(width_zero, sizeof(width_zero) / sizeof(width_zero[0]), cp)) w++;
        p += len;
    }
    return w;
}

/* A simple text table: cells are copied (what a terminal would act on as
 * escape_at writes it: an id may hold a bidi control; a backslash as \\:
 * shown_at), widths computed, then printed. */
static char *dup_shown(const char *s)
{
    char esc[SHOWN_ESCAPE_BYTES];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = shown_at(p, esc);
        n += esc[0] ? strlen(esc) : len;
        p += len;
    }
    char *copy = malloc(n + 1), *q = copy;
    if (!copy) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t len = shown_at(p, esc), put = esc[0] ? strlen(esc) : len;
        memcpy(q, esc[0] ? esc : (const char *)p, put);
        q += put;
        p += len;
    }
    *q = '\0';
    return copy;
}

typedef struct grid {
    char **cells;
    size_t count, cap, cols;
    unsigned right; /* bit c: column c is right-aligned; bit 31 for the rest */
} grid;

/* Adds a cell already copied (NULL: there was no memory for it). */
static void grid_add(grid *g, char *copy)
{
    if (g->count == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        char **cells = realloc(g->cells, cap * sizeof(char *));
        if (!cells) out_of_memory();
        g->cells = cells;
        g->cap = cap;
    }
    if (!copy) out_of_memory();
    g->cells[g->count++] = copy;
}

static void grid_put(grid *g, const char *s)
{
    grid_add(g, dup_shown(s));
}

/* A cell of civic-score's own words, put as it is: the matrix's corner
 * "NOW \ NEW" keeps its one backslash (dup_shown would double it). */
static void grid_put_own(grid *g, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    grid_add(g, copy);
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
    if (!width) out_of_memory(); /* not an answer without its table, exit 0 */
    for (size_t i = 0; i < g->count; i++) {
        size_t w = text_width(g->cells[i]);
        if (w > width[i % cols]) width[i % cols] = w;
    }
    for (size_t i = 0; i < g->count; i++) {
        size_t c = i % cols;
        size_t pad = width[c] - text_width(g->cells[i]);
        /* a column past the 32nd (a table per grade: up to 64) is aligned
         * as the 32nd is */
        bool right = (g->right >> (c < 31 ? c : 31)) & 1u;
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

/* What a query sums, for an overflow's message. */
enum { SUMS_SUBJECT, SUMS_EITHER };

/* Whether the answer for `subject` (NULL: every subject) at t overflows. */
static bool overflows_at(const civic_engine *e, const char *subject, int64_t t)
{
    civic_result *res = NULL;
    int rc = subject ? civic_engine_subject(e, subject, t, &res) : civic_engine_subjects(e, t, &res);
    civic_result_free(res);
    return rc == CIVIC_E_OVERFLOW;
}

/* Which subject overflows at as_of, and from when: the library's queries
 * return a bare status and list subjects only through answers, so the
 * instant is found by halving (answers at some t fine, at t + 1 not; about
 * 40 queries, only on this error's way), then the subjects of the moment
 * before are asked one by one.  A subject whose every event lies at that
 * instant is not among them: *who is then "".  false when no subject's own
 * sum overflows (a group's does) or the search fails. */
static bool overflow_subject(const civic_engine *e, const char *subject, int64_t as_of,
                             char *who, size_t size, int64_t *when)
{
    /* past CIVIC_TIME_MAX every answer is that of the end of time */
    int64_t lo, hi = as_of < CIVIC_TIME_MAX ? as_of : CIVIC_TIME_MAX;
    int64_t horizon = civic_engine_purge_horizon(e);
    if (!overflows_at(e, subject, hi) || civic_engine_time_range(e, &lo, NULL) != CIVIC_OK)
        return false;
    lo = lo > CIVIC_TIME_MIN ? lo - 1 : lo;
    if (horizon != CIVIC_NO_TIME && lo < horizon) lo = horizon;
    if (lo >= hi || overflows_at(e, subject, lo)) return false;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (overflows_at(e, subject, mid)) hi = mid;
        else lo = mid;
    }
    *when = hi;
    who[0] = '\0';
    if (subject) {
        snprintf(who, size, "%s", subject);
        return true;
    }
    civic_result *before = NULL;
    if (civic_engine_subjects(e, lo, &before) != CIVIC_OK) return false;
    for (size_t i = 0; i < civic_result_count(before); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        if (civic_result_get(before, i, &s) == CIVIC_OK && overflows_at(e, s.subject, hi)) {
            snprintf(who, size, "%s", s.subject);
            break;
        }
    }
    civic_result_free(before);
    return true;
}

/* A query of e at as_of (of one subject, or NULL) that failed.  Overflow is
 * the one a good input meets: say which bound, and which subject from when;
 * with --compare, under which scheme (`under`, as a bad line's message says
 * it; NULL without). */
static void query_error(int rc, int sums, const civic_engine *e, const char *under,
                        const char *subject, int64_t as_of)
{
    const char *u0 = under ? " (under " : "", *u1 = under ? under : "", *u2 = under ? ")" : "";
    static const char *what[] = { "", ", or a group's scores or balances (about 9.2e16)" };
    char who[CIVIC_ID_BYTES_MAX + 1], at[40];
    int64_t when;
    if (rc != CIVIC_E_OVERFLOW) {
        complain("%s", civic_strerror(rc));
    } else if (!overflow_subject(e, subject, as_of, who, sizeof(who), &when)) {
        complain("arithmetic overflow%s%s%s: a subject's points, balance or dimension subtotal "
                 "(about 9.2e16) or a tier's quantity (about 9.2e15 units)%s, summed, pass "
                 "what 64 bits hold "
                 "(rules with very large points or quantities, and many events or subjects)",
                 u0, u1, u2, what[sums]);
    } else if (format_time(civic_engine_rules(e), when, at, sizeof(at)), !who[0]) {
        complain("arithmetic overflow (%s%s%sfrom %s on): a subject's points, balance or "
                 "dimension subtotal (about 9.2e16) or a tier's quantity (about 9.2e15 units), "
                 "summed, pass what 64 bits hold (rules with very large points or quantities, "
                 "and many events)", under ? "under " : "", u1, under ? ", " : "", at);
    } else {
        complain("arithmetic overflow%s%s%s: subject '%s' (from %s on): its points, balance "
                 "or dimension subtotal (about 9.2e16) or a tier's quantity (about 9.2e15 "
                 "units), summed, pass what 64 bits hold (rules with very large points or "
                 "quantities, and many events)", u0, u1, u2, who, at);
    }
}

/* ------------------------------------------------------------ subjects */

/* Into the grid: "tier=level;..." for the tiers with a level, "-" when none;
 * whole, however many tiers there are (a cut could split a character). */
static void grid_put_tiers(grid *g, const civic_result *res, size_t i, const civic_score *s)
{
    size_t size = 2;
    for (size_t t = 0; t < s->tier_count; t++) {
        civic_tier_value v = CIVIC_TIER_VALUE_INIT;
        civic_result_tier(res, i, t, &v);
        if (v.level_name) size += strlen(v.tier) + strlen(v.level_name) + 2;
    }
    char *buf = malloc(size);
    if (!buf) out_of_memory();
    size_t at = 0;
    buf[0] = '\0';
    for (size_t t = 0; t < s->tier_count; t++) {
        civic_tier_value v = CIVIC_TIER_VALUE_INIT;
        civic_result_tier(res, i, t, &v);
        if (!v.level_name) continue;
        int n = snprintf(buf + at, size - at, "%s%s=%s", at ? ";" : "", v.tier, v.level_name);
        if (n > 0) at += (size_t)n;
    }
    grid_put(g, buf[0] ? buf : "-");
    free(buf);
}

/* ranked: res is a ranking (--top), shown with its RANK column. */
static void print_subjects(const civic_engine *e, const civic_result *res, int format,
                           int64_t as_of, bool ranked, FILE *out)
{
    bool v2 = civic_engine_spec_version(e) >= 2;
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
        answers_subjects(&sink, rules, res, as_of,
                         (ranked ? ANSWERS_RANKED : 0) | (v2 ? ANSWERS_V2 : 0));
        return;
    }
    grid g = { NULL, 0, 0, (ranked ? 7u : 6u) + (v2 ? 2u : 0u), ranked ? 0x29u : 0x14u };
    const char *name = civic_rules_name(rules);
    if (name[0]) {
        fputc('"', out);
        put_shown(out, name);
        fputc('"', out);
    } else {
        fputs("unnamed", out);
    }
    /* the rows shown, as 1.0 counted them: a version-1 input's table keeps
     * its bytes */
    fprintf(out, " scheme, as of %s: %zu subject%s\n\n", when, n, n == 1 ? "" : "s");
    const char *head[] = { "RANK", "SUBJECT", "GROUP", "SCORE", "GRADE", "BALANCE", "FLAGS" };
    for (size_t c = ranked ? 0 : 1; c < 7; c++) grid_put(&g, head[c]);
    if (v2) {
        grid_put(&g, "TIERS");
        grid_put(&g, "MEASURES");
    }
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
        if (v2) {
            grid_put_tiers(&g, res, i, &s);
            grid_put(&g, s.measures[0] ? s.measures : "-");
        }
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

/* The version-2 columns of one --explain CSV line. */
static void record_csv_v2(const civic_rules *rules, const civic_entry *x, FILE *out)
{
    char eff[40], from[40], corrected[40];
    format_time(rules, x->eff, eff, sizeof(eff));
    if (x->kind == CIVIC_KIND_RULE && x->from != CIVIC_NO_TIME)
        format_time(rules, x->from, from, sizeof(from));
    else
        from[0] = '\0';
    fprintf(out, ",%s,%s,", eff, from);
    csv_field(out, x->act);
    fputc(',', out);
    csv_field(out, x->source);
    fputc(',', out);
    csv_field(out, x->merged_with);
    fprintf(out, ",%s,%s,%s,", (x->marks & CIVIC_MARK_FROZEN) ? "yes" : "no",
            (x->marks & CIVIC_MARK_CONTESTED) ? "yes" : "no",
            (x->marks & CIVIC_MARK_FLOORED) ? "yes" : "no");
    if (x->kind == CIVIC_KIND_RULE || x->kind == CIVIC_KIND_REDEEM) put_fixed(out, x->to_balance);
    if (x->kind == CIVIC_KIND_RULE && x->corrected != CIVIC_FOREVER)
        format_time(rules, x->corrected, corrected, sizeof(corrected));
    else
        corrected[0] = '\0';
    fprintf(out, ",%s", corrected);
}

/* The --detail columns of one --explain CSV line, qty,flag,ceiling,affects:
 * what the table's NOTE tells of a rule entry, for a script to add the
 * record up to the score; empty for other kinds, ceiling empty when none. */
static void record_csv_detail(const civic_entry *x, FILE *out)
{
    if (x->kind != CIVIC_KIND_RULE) {
        fputs(",,,,", out);
        return;
    }
    char qty[32];
    civic_format_fixed(x->qty, 3, qty, sizeof(qty));
    fprintf(out, ",%s,", qty);
    csv_field(out, x->flag);
    fputc(',', out);
    if (x->ceiling != CIVIC_FOREVER) put_fixed(out, x->ceiling);
    fprintf(out, ",%s", answers_affects_name(x->affects));
}

/* The NOTE of a version-2 record line: what the entry's life adds. */
static void note_v2(const civic_rules *rules, const civic_entry *x, char *note, size_t size)
{
    char t[40], c[40];
    size_t len = strlen(note);
#define ADD(...) do { if (len < size) { int k_ = snprintf(note + len, size - len, __VA_ARGS__); \
                         if (k_ > 0) len += (size_t)k_; } } while (0)
    if (x->kind == CIVIC_KIND_OBJECT || x->kind == CIVIC_KIND_DISMISS ||
        x->kind == CIVIC_KIND_CORRECT)
        ADD("%sref %s", len ? " " : "", x->ref);
    if (x->eff != x->ts) {
        format_time(rules, x->eff, t, sizeof(t));
        ADD("%seff %s", len ? " " : "", t);
    }
    if (x->kind == CIVIC_KIND_RULE && x->from != CIVIC_NO_TIME) {
        format_time(rules, x->from, t, sizeof(t));
        ADD("%sversion from %s", len ? " " : "", t);
    }
    if (x->merged_with[0]) ADD("%smerged with %s", len ? " " : "", x->merged_with);
    if (x->marks & CIVIC_MARK_FROZEN) ADD("%sfrozen", len ? " " : "");
    if (x->marks & CIVIC_MARK_CONTESTED) ADD("%scontested", len ? " " : "");
    if (x->marks & CIVIC_MARK_FLOORED) { /* to_balance: 0.00 once its balance period is
                                          * over, or when the floor took it all */
        civic_format_fixed(x->to_balance, 2, c, sizeof(c));
        if (x->to_balance != 0) ADD("%sfloored to %s", len ? " " : "", c);
        else ADD("%sfloored", len ? " " : "");
    }
    if (x->kind == CIVIC_KIND_RULE && x->corrected != CIVIC_FOREVER) {
        format_time(rules, x->corrected, t, sizeof(t));
        ADD("%scorrected %s", len ? " " : "", t);
    }
    if (x->act[0]) ADD("%sact %s", len ? " " : "", x->act);
    if (x->source[0]) ADD("%ssource %s", len ? " " : "", x->source);
#undef ADD
}

static void print_record(const civic_engine *e, const civic_record *rec, int format,
                         bool detail, int64_t as_of, FILE *out)
{
    bool v2 = civic_engine_spec_version(e) >= 2;
    const civic_rules *rules = civic_engine_rules(e);
    size_t n = civic_record_count(rec);
    civic_score s = CIVIC_SCORE_INIT;
    char when[40], ts[40], end[40], marks[32];
    civic_record_summary(rec, &s);
    format_time(rules, as_of, when, sizeof(when));
    if (format == FMT_CSV) {
        fputs(v2 ? "id,ts,type,state,raw,counted,dimension,capped,escalated,end,ref,group,eff,"
                   "from,act,source,merged_with,frozen,contested,floored,to_balance,corrected"
                 : "id,ts,type,state,raw,counted,dimension,capped,escalated,end,ref,group",
              out);
        fputs(detail ? ",qty,flag,ceiling,affects\n" : "\n", out);
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
            if (v2) record_csv_v2(rules, &x, out);
            if (detail) record_csv_detail(&x, out);
            fputc('\n', out);
        }
        return;
    }
    if (format == FMT_JSON) {
        answers_sink sink = answers_file_sink(out);
        answers_record(&sink, rules, rec, as_of,
                       (v2 ? ANSWERS_V2 : 0) | (detail ? ANSWERS_DETAIL | ANSWERS_CEILING : 0));
        return;
    }
    fputs("credit record of ", out);
    put_shown(out, s.subject);
    fprintf(out, ", as of %s\n\n", when);
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
        /* an entry outside the fold has no validity end (its end repeats its eff) */
        bool outside = x.state == CIVIC_STATE_REVOKED || x.state == CIVIC_STATE_CONTESTED ||
                       x.state == CIVIC_STATE_MERGED || x.state == CIVIC_STATE_PENDING;
        grid_put(&g, x.kind == CIVIC_KIND_RULE && !outside ? end : "");
        /* room for every part at its longest (ids, act and source of up to
         * 128 bytes, names of 64): a note is never cut */
        char note[4096];
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
        if (v2) note_v2(rules, &x, note, sizeof(note));
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
    fputs(", grade ", out);
    put_shown(out, s.grade);
    fputs(", balance ", out);
    put_fixed(out, s.balance);
    fputs(", flags ", out);
    put_shown(out, s.flags[0] ? s.flags : "-");
    fputs(", group ", out);
    put_shown(out, s.group[0] ? s.group : "-");
    fputc('\n', out);
    if (v2) {
        fputs("measures ", out);
        put_shown(out, s.measures[0] ? s.measures : "-");
        fprintf(out, "; %" PRIu64 " archived entr%s not shown\n", s.archived,
                s.archived == 1 ? "y" : "ies");
        for (size_t t = 0; t < s.tier_count; t++) {
            civic_tier_value v = CIVIC_TIER_VALUE_INIT;
            char value[32];
            civic_record_tier(rec, t, &v);
            civic_format_fixed(v.value, v.places, value, sizeof(value));
            fputs("tier ", out);
            put_shown(out, v.tier);
            fputs(": ", out);
            put_shown(out, v.level_name ? v.level_name : "no level");
            fprintf(out, " (%s)\n", value);
        }
    }
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
/* A subject's place in its group's ranking: its group at the depth (the
 * first len bytes of its group path, borrowed from the ranking), then the
 * subject's position in the ranking of everyone. */
typedef struct group_row {
    const char *path;
    size_t len, at;
} group_row;

/* Groups bytewise by path (a shorter path before one it begins), as
 * civic_engine_groups sorts them; within one, the ranking's order. */
static int group_row_order(const void *a, const void *b)
{
    const group_row *x = a, *y = b;
    int cmp = memcmp(x->path, y->path, x->len < y->len ? x->len : y->len);
    if (cmp == 0 && x->len != y->len) cmp = x->len < y->len ? -1 : 1;
    if (cmp != 0) return cmp;
    return (x->at > y->at) - (x->at < y->at);
}

static bool same_group(const group_row *x, const group_row *y)
{
    return x->len == y->len && memcmp(x->path, y->path, x->len) == 0;
}

/* The best `top` of every group at `depth` (a CIVIC_E_* code; nothing is
 * printed on an error).  One ranking of everyone, each subject put in its
 * group by its group path: a ranking asked group by group scored everyone
 * once per group (9 s for 8,000 groups).  A group's ranking is the same
 * rows in the same order (best score first, ties by id) whichever way it is
 * made, since the groups at one depth do not overlap.  The groups'
 * statistics (civic_engine_groups) are not asked: their sums, which this
 * answer does not show, may pass 64 bits where every score fits. */
static int print_group_ranks(const civic_engine *e, uint32_t depth, int format, int64_t as_of,
                             uint64_t top, FILE *out)
{
    bool v2 = civic_engine_spec_version(e) >= 2;
    civic_result *all = NULL;
    int rc = civic_engine_rank(e, NULL, as_of, 0, &all);
    if (rc != CIVIC_OK) return rc; /* the caller says why, once */
    size_t count = civic_result_count(all), rows = 0;
    group_row *row = malloc((count ? count : 1) * sizeof(group_row));
    if (!row) {
        civic_result_free(all);
        return CIVIC_E_NOMEM;
    }
    for (size_t k = 0; k < count; k++) {
        civic_score x = CIVIC_SCORE_INIT;
        civic_result_get(all, k, &x);
        const char *path = x.group ? x.group : "";
        size_t len = answers_group_prefix(path, depth);
        if (len != SIZE_MAX) row[rows++] = (group_row){ path, len, k };
    }
    qsort(row, rows, sizeof(group_row), group_row_order);
    /* the padded ids of the rows shown, before the answer: their walk is
     * the one below, a ranking's place counted from 1 in each group */
    blank_ids padded = { 0, "" };
    for (size_t r = 0, place = 0; r < rows; r++) {
        place = r > 0 && same_group(&row[r - 1], &row[r]) ? place + 1 : 1;
        civic_score x = CIVIC_SCORE_INIT;
        if (place <= top && civic_result_get(all, row[r].at, &x) == CIVIC_OK)
            blank_note(&padded, x.subject);
    }
    blank_warn(&padded);
    /* RANK, SCORE and GRADE right-aligned, and no title: 1.0's bytes */
    grid t = { NULL, 0, 0, 5, 0x1au };
    answers_sink sink = answers_file_sink(out);
    if (format == FMT_CSV) fputs("group,rank,subject,score,grade\n", out);
    else if (format == FMT_JSON) answers_rankings_begin(&sink);
    else {
        const char *head[] = { "GROUP", "RANK", "SUBJECT", "SCORE", "GRADE" };
        for (size_t c = 0; c < 5; c++) grid_put(&t, head[c]);
    }
    char path[CIVIC_GROUP_BYTES_MAX + 1] = "";
    for (size_t r = 0, place = 0, shown = 0; r < rows; r++) {
        civic_score x = CIVIC_SCORE_INIT;
        if (r > 0 && same_group(&row[r - 1], &row[r])) {
            place++;
        } else {
            place = 1;
            snprintf(path, sizeof(path), "%.*s", (int)row[r].len, row[r].path);
        }
        if (place > top) continue;
        civic_result_get(all, row[r].at, &x);
        x.rank = place;
        if (format == FMT_CSV) {
            csv_field(out, path);
            fprintf(out, ",%" PRIu64 ",", x.rank);
            csv_field(out, x.subject);
            fputc(',', out);
            put_fixed(out, x.score);
            fputc(',', out);
            csv_field(out, x.grade);
            fputc('\n', out);
        } else if (format == FMT_JSON) {
            answers_rankings_row(&sink, path, all, row[r].at, &x, v2 ? ANSWERS_V2 : 0,
                                 shown == 0);
        } else {
            grid_put(&t, path[0] ? path : "(all)");
            grid_put_u64(&t, x.rank);
            grid_put(&t, x.subject);
            grid_put_fixed(&t, x.score);
            grid_put(&t, x.grade);
        }
        shown++;
    }
    free(row);
    civic_result_free(all);
    if (format == FMT_JSON) answers_rankings_end(&sink);
    else if (format == FMT_TABLE) grid_print(&t, out);
    return CIVIC_OK;
}

/* ------------------------------------------------------------ lists */

static void print_list(const civic_engine *e, const civic_list *list, const char *name,
                       int format, int64_t as_of, FILE *out)
{
    const civic_rules *rules = civic_engine_rules(e);
    size_t n = civic_list_count(list);
    char since[40], until[40], when[40];
    if (format == FMT_JSON) {
        answers_sink sink = answers_file_sink(out);
        answers_list(&sink, rules, list, name, as_of);
        return;
    }
    grid g = { NULL, 0, 0, 6, 0x4u };
    if (format == FMT_CSV) fputs("subject,group,score,grade,since,until\n", out);
    else {
        format_time(rules, as_of, when, sizeof(when));
        fputs("list ", out);
        put_shown(out, name);
        fprintf(out, " (%s), as of %s: %zu subject%s\n\n",
                civic_list_kind(list) == CIVIC_LIST_FLAG ? "flag" : "measure", when, n,
                n == 1 ? "" : "s");
        const char *head[] = { "SUBJECT", "GROUP", "SCORE", "GRADE", "SINCE", "UNTIL" };
        for (size_t c = 0; c < 6; c++) grid_put(&g, head[c]);
    }
    for (size_t i = 0; i < n; i++) {
        civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
        civic_list_get(list, i, &x);
        since[0] = until[0] = '\0';
        if (x.since != CIVIC_NO_TIME) format_time(rules, x.since, since, sizeof(since));
        if (x.until != CIVIC_NO_TIME && x.until != CIVIC_FOREVER)
            format_time(rules, x.until, until, sizeof(until));
        if (format == FMT_CSV) {
            csv_field(out, x.subject);
            fputc(',', out);
            csv_field(out, x.group);
            fputc(',', out);
            put_fixed(out, x.score);
            fputc(',', out);
            csv_field(out, x.grade);
            fprintf(out, ",%s,%s\n", since, until);
            continue;
        }
        grid_put(&g, x.subject);
        grid_put(&g, x.group[0] ? x.group : "-");
        grid_put_fixed(&g, x.score);
        grid_put(&g, x.grade);
        grid_put(&g, since[0] ? since : "-");
        grid_put(&g, until[0] ? until : (x.until == CIVIC_FOREVER ? "open" : "-"));
    }
    if (format == FMT_TABLE) grid_print(&g, out);
}

/* ------------------------------------------------------------ objections */

/* The rows come from examples/common/objections.c, which civic-server's
 * GET /objections shares. */
static void print_objections(const civic_rules *rules, const objections *r, int format,
                             int64_t as_of, FILE *out)
{
    char when[40], filed[40];
    if (format == FMT_JSON) {
        answers_sink sink = answers_file_sink(out);
        answers_objections(&sink, rules, r->row, r->count, as_of);
        return;
    }
    grid g = { NULL, 0, 0, 9, 0x180u }; /* RAW and COUNTED right-aligned */
    if (format == FMT_CSV) {
        fputs("subject,group,objection,filed,entry,type,state,raw,counted\n", out);
    } else {
        format_time(rules, as_of, when, sizeof(when));
        fprintf(out, "objections to decide, as of %s: %zu\n\n", when, r->count);
        const char *head[] = { "SUBJECT", "GROUP", "OBJECTION", "FILED", "ENTRY", "TYPE", "STATE",
                               "RAW", "COUNTED" };
        for (size_t c = 0; c < 9; c++) grid_put(&g, head[c]);
    }
    for (size_t i = 0; i < r->count; i++) {
        const answers_objection *x = &r->row[i];
        format_time(rules, x->filed, filed, sizeof(filed));
        if (format == FMT_CSV) {
            csv_field(out, x->subject);
            fputc(',', out);
            csv_field(out, x->group);
            fputc(',', out);
            csv_field(out, x->objection);
            fprintf(out, ",%s,", filed);
            csv_field(out, x->entry);
            fputc(',', out);
            csv_field(out, x->type);
            fprintf(out, ",%s,", x->state);
            put_fixed(out, x->raw);
            fputc(',', out);
            put_fixed(out, x->counted);
            fputc('\n', out);
            continue;
        }
        grid_put(&g, x->subject);
        grid_put(&g, x->group[0] ? x->group : "-");
        grid_put(&g, x->objection);
        grid_put(&g, filed);
        grid_put(&g, x->entry);
        grid_put(&g, x->type);
        grid_put(&g, x->state);
        grid_put_fixed(&g, x->raw);
        grid_put_fixed(&g, x->counted);
    }
    if (format == FMT_TABLE) grid_print(&g, out);
}

/* --objections: every row gathered and sorted before anything is printed,
 * so that an error leaves standard output empty. */
static int run_objections(const civic_engine *e, int format, int64_t as_of, FILE *out)
{
    objections rows = OBJECTIONS_INIT;
    const char *failed = NULL; /* the subject whose record failed */
    int rc = objections_collect(e, as_of, &rows, &failed);
    if (rc == CIVIC_OK) {
        blank_ids padded = { 0, "" };
        for (size_t i = 0; i < rows.count; i++) blank_note(&padded, rows.row[i].subject);
        blank_warn(&padded);
        print_objections(civic_engine_rules(e), &rows, format, as_of, out);
    }
    else
        query_error(rc, SUMS_SUBJECT, e, NULL, failed, as_of);
    objections_free(&rows);
    return rc == CIVIC_OK ? 0 : EXIT_INPUT;
}

/* ------------------------------------------------------------ what-if */

typedef struct compare_row {
    civic_score now, next;
    civic_result *own_now, *own_next; /* answers fetched for a subject one side lacks */
} compare_row;

/* The answer for subject under engine e: row i of res, or e's own answer
 * for a subject it does not list (the base score and grade). */
static int side(const civic_engine *e, const civic_result *res, size_t i, bool listed,
                const char *subject, int64_t as_of, civic_score *out, civic_result **own)
{
    *own = NULL;
    if (listed) return civic_result_get(res, i, out);
    int rc = civic_engine_subject(e, subject, as_of, own);
    return rc == CIVIC_OK ? civic_result_get(*own, 0, out) : rc;
}

static void compare_csv_row(const compare_row *r, FILE *out)
{
    csv_field(out, r->now.subject);
    fputc(',', out);
    csv_field(out, r->now.group);
    fputc(',', out);
    put_fixed(out, r->now.score);
    fputc(',', out);
    csv_field(out, r->now.grade);
    fputc(',', out);
    put_fixed(out, r->next.score);
    fputc(',', out);
    csv_field(out, r->next.grade);
    fputc(',', out);
    put_delta(out, r->now.score, r->next.score);
    fputc('\n', out);
}

static void compare_json_row(const compare_row *r, bool first, FILE *out)
{
    answers_sink sink = answers_file_sink(out);
    fputs(first ? "\n{\"subject\":" : ",\n{\"subject\":", out);
    answers_string(&sink, r->now.subject);
    fputs(",\"group\":", out);
    answers_string(&sink, r->now.group);
    fputs(",\"score\":", out);
    put_fixed(out, r->now.score);
    fputs(",\"grade\":", out);
    answers_string(&sink, r->now.grade);
    fputs(",\"new_score\":", out);
    put_fixed(out, r->next.score);
    fputs(",\"new_grade\":", out);
    answers_string(&sink, r->next.grade);
    fputs(",\"delta\":", out);
    put_delta(out, r->now.score, r->next.score);
    fputc('}', out);
}

typedef struct compare_ctx {
    const civic_engine *now, *next;
    int format;
    bool changed_only;
    blank_ids *padded;         /* set: a walk that only notes the ids it would show */
    uint64_t *matrix;          /* grades(now) x grades(next) */
    size_t cols, rows_total, rows_changed, json_rows;
    grid g;
    FILE *out;
} compare_ctx;

static void compare_emit(compare_ctx *c, const compare_row *r)
{
    /* grades are compared by name: the two schemes may order them apart */
    bool changed = r->now.score != r->next.score || strcmp(r->now.grade, r->next.grade) != 0;
    if (c->padded) {
        if (changed || !c->changed_only) blank_note(c->padded, r->now.subject);
        return;
    }
    c->matrix[r->now.grade_index * c->cols + r->next.grade_index]++;
    c->rows_total++;
    c->rows_changed += changed;
    if (c->changed_only && !changed) return;
    if (c->format == FMT_CSV) compare_csv_row(r, c->out);
    else if (c->format == FMT_JSON) compare_json_row(r, c->json_rows++ == 0, c->out);
    else {
        grid_put(&c->g, r->now.subject);
        grid_put(&c->g, r->now.group[0] ? r->now.group : "-");
        grid_put_fixed(&c->g, r->now.score);
        grid_put(&c->g, r->now.grade);
        grid_put_fixed(&c->g, r->next.score);
        grid_put(&c->g, r->next.grade);
        char delta[32];
        format_delta(r->now.score, r->next.score, delta);
        grid_put(&c->g, delta);
    }
}

/* Walk the two subject lists (both sorted by subject) as one union. */
static int compare_walk(compare_ctx *c, const civic_result *a, const civic_result *b,
                        int64_t as_of)
{
    size_t i = 0, j = 0, na = civic_result_count(a), nb = civic_result_count(b);
    while (i < na || j < nb) {
        civic_score x = CIVIC_SCORE_INIT, y = CIVIC_SCORE_INIT;
        if (i < na) civic_result_get(a, i, &x);
        if (j < nb) civic_result_get(b, j, &y);
        int order = i == na ? 1 : j == nb ? -1 : strcmp(x.subject, y.subject);
        const char *subject = order <= 0 ? x.subject : y.subject;
        compare_row r = { CIVIC_SCORE_INIT, CIVIC_SCORE_INIT, NULL, NULL };
        int rc = side(c->now, a, i, order <= 0, subject, as_of, &r.now, &r.own_now);
        if (rc == CIVIC_OK)
            rc = side(c->next, b, j, order >= 0, subject, as_of, &r.next, &r.own_next);
        if (rc == CIVIC_OK) compare_emit(c, &r);
        civic_result_free(r.own_now);
        civic_result_free(r.own_next);
        if (rc != CIVIC_OK) return rc;
        if (order <= 0) i++;
        if (order >= 0) j++;
    }
    return CIVIC_OK;
}

/* The grade-transition matrix: rows the grade now, columns the new grade. */
static void print_matrix(const compare_ctx *c, FILE *out)
{
    const civic_rules *a = civic_engine_rules(c->now), *b = civic_engine_rules(c->next);
    size_t rows = civic_rules_grade_count(a);
    grid m = { NULL, 0, 0, c->cols + 1, ~1u };
    grid_put_own(&m, "NOW \\ NEW");
    for (size_t k = 0; k < c->cols; k++) grid_put(&m, civic_rules_grade_name(b, k));
    for (size_t r = 0; r < rows; r++) {
        grid_put(&m, civic_rules_grade_name(a, r));
        for (size_t k = 0; k < c->cols; k++) grid_put_u64(&m, c->matrix[r * c->cols + k]);
    }
    grid_print(&m, out);
}

static void print_matrix_json(const compare_ctx *c, FILE *out)
{
    const civic_rules *a = civic_engine_rules(c->now), *b = civic_engine_rules(c->next);
    answers_sink sink = answers_file_sink(out);
    fputs("\n],\"transitions\":{", out);
    for (size_t r = 0; r < civic_rules_grade_count(a); r++) {
        if (r) fputc(',', out);
        answers_string(&sink, civic_rules_grade_name(a, r));
        fputs(":{", out);
        for (size_t k = 0; k < c->cols; k++) {
            if (k) fputc(',', out);
            answers_string(&sink, civic_rules_grade_name(b, k));
            fprintf(out, ":%" PRIu64, c->matrix[r * c->cols + k]);
        }
        fputc('}', out);
    }
    fprintf(out, "},\"subjects_total\":%zu,\"subjects_changed\":%zu}\n", c->rows_total,
            c->rows_changed);
}

/* now_rules, new_rules: the two schemes' names, for messages */
static int run_compare(const civic_engine *now, const civic_engine *next, int format,
                       bool changed_only, int64_t as_of, const char *now_rules,
                       const char *new_rules, FILE *out)
{
    compare_ctx c = { now, next, format, changed_only, NULL, NULL, 0, 0, 0, 0,
                      { NULL, 0, 0, 7, 0x54u }, out };
    size_t rows = civic_rules_grade_count(civic_engine_rules(now));
    c.cols = civic_rules_grade_count(civic_engine_rules(next));
    c.matrix = calloc(rows * c.cols, sizeof(uint64_t));
    civic_result *a = NULL, *b = NULL;
    int rc = c.matrix ? civic_engine_subjects(now, as_of, &a) : CIVIC_E_NOMEM;
    if (rc == CIVIC_OK) rc = civic_engine_subjects(next, as_of, &b);
    if (rc == CIVIC_OK) { /* the padded ids of the rows shown, before the answer: a walk of its own */
        blank_ids padded = { 0, "" };
        c.padded = &padded;
        rc = compare_walk(&c, a, b, as_of);
        c.padded = NULL;
        if (rc == CIVIC_OK) blank_warn(&padded);
    }
    if (rc == CIVIC_OK) {
        char when[40];
        format_time(civic_engine_rules(now), as_of, when, sizeof(when));
        if (format == FMT_CSV) fputs("subject,group,score,grade,new_score,new_grade,delta\n", out);
        else if (format == FMT_JSON) fprintf(out, "{\"as_of\":\"%s\",\"subjects\":[", when);
        else {
            const char *head[] = { "SUBJECT", "GROUP", "SCORE", "GRADE", "NEW SCORE", "NEW GRADE",
                                   "DELTA" };
            for (size_t k = 0; k < 7; k++) grid_put(&c.g, head[k]);
        }
        rc = compare_walk(&c, a, b, as_of);
        if (format == FMT_JSON && rc == CIVIC_OK) print_matrix_json(&c, out);
        if (format == FMT_TABLE && rc == CIVIC_OK) {
            fputs("what-if under ", out);
            put_shown(out, new_rules);
            fprintf(out, ", as of %s: %zu subject%s, %zu with a new score or grade\n\n", when,
                    c.rows_total, c.rows_total == 1 ? "" : "s", c.rows_changed);
            print_matrix(&c, out);
            /* its column header also without a row (nothing changed, an
             * empty log), as every other table and the CSV print theirs */
            fputc('\n', out);
            grid_print(&c.g, out);
        }
    }
    if (c.g.cells) {
        for (size_t k = 0; k < c.g.count; k++) free(c.g.cells[k]);
        free(c.g.cells);
    }
    civic_result_free(a);
    civic_result_free(b);
    free(c.matrix);
    if (rc != CIVIC_OK) { /* whichever scheme overflows */
        bool in_now = overflows_at(now, NULL, as_of);
        query_error(rc, SUMS_SUBJECT, in_now ? now : next, in_now ? now_rules : new_rules, NULL,
                    as_of);
    }
    return rc == CIVIC_OK ? 0 : EXIT_INPUT;
}

/* ------------------------------------------------------------ input */

/* The lines a lenient load rejected, in order (the first physical line of
 * each bad record). */
typedef struct line_set {
    uint64_t *line;
    size_t n, cap;
} line_set;

static bool line_set_add(line_set *s, uint64_t line)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        uint64_t *grown = realloc(s->line, cap * sizeof(*grown));
        if (!grown) return false;
        s->line = grown;
        s->cap = cap;
    }
    s->line[s->n++] = line;
    return true;
}

/* Whether s (in order) holds line. */
static bool line_set_has(const line_set *s, uint64_t line)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->line[mid] < line) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n && s->line[lo] == line;
}

static bool line_set_equal(const line_set *a, const line_set *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->line, b->line, a->n * sizeof(*a->line)) == 0);
}

/* ------------------------------------------------------------ warnings */

/* Inputs the contract takes that most likely mean something else than they
 * say (examples/common/hints.h; docs/civic-score.1, WARNINGS): each kind is
 * one line on standard error, the first and how many, printed after the
 * load and before the answer.  None costs a reading of the input of its
 * own: a header is looked at in the first bytes read before the load
 * (check_binary_file, load_stream, load_all), a time as the engine holds it
 * after the load. */
/* the rules warnings are hints_scheme's kinds, in its order */
enum { WARN_LAST_MIN = HINT_LAST_MIN, WARN_RETAIN = HINT_RETAIN, WARN_UNSEEN = HINT_UNSEEN,
       WARN_GRADE = HINT_GRADE, WARN_CAP = HINT_CAP, WARN_CATEGORY = HINT_CATEGORY,
       WARN_CATEGORY_CODE = HINT_CATEGORY_CODE, WARN_COLUMN_QTY = HINT_SCHEME_KINDS, WARN_COLUMN_GROUP, WARN_COLUMN_REF, WARN_KEY,
       WARN_TS, WARN_LATE_TS, WARN_AS_OF, WARN_KINDS };

/* The rules use no version-2 key: a JSON Lines key spelling a field's name
 * in other letters is ignored by the load (as 1.0 ignored it), so warned of;
 * under version-2 rules the load refuses it and says so itself. */
static bool warn_keys_ignored;

static struct {
    uint64_t count;
    uint64_t files;        /* rules warnings: how many rules files had one */
    char text[4096 + 512]; /* the first, with its file */
} warned[WARN_KINDS];

static void warn_note(int kind, const char *label, const char *text)
{
    if (!warned[kind].count)
        snprintf(warned[kind].text, sizeof(warned[kind].text), "%s%s%s", label ? label : "",
                 label ? ": " : "", text);
    warned[kind].count++;
}

static void warn_print(void)
{
    static const char *const such[WARN_KINDS] = { "rules files", "rules", "names", "grades",
                                                  "caps", "categories", "categories",
                                                  "columns", "columns",
                                                  "columns", "keys", "", "", "" };
    for (int k = 0; k < WARN_KINDS; k++) {
        if (!warned[k].count) continue;
        char more[80] = "";
        /* a rules warning counted per file (--compare names two, perhaps
         * the same file twice): "2 such rules files", or of more in each
         * "3 such rules in 2 rules files" */
        if (warned[k].files > 1 && warned[k].count == warned[k].files)
            snprintf(more, sizeof(more), " (%" PRIu64 " such rules files)", warned[k].files);
        else if (warned[k].files > 1)
            snprintf(more, sizeof(more), " (%" PRIu64 " such %s in %" PRIu64 " rules files)",
                     warned[k].count, such[k], warned[k].files);
        else if (warned[k].count > 1)
            snprintf(more, sizeof(more), " (%" PRIu64 " such %s)", warned[k].count, such[k]);
        complain("warning: %s%s", warned[k].text, more);
    }
}

/* a log's warnings are hints_log_head's kinds, in its order */
_Static_assert(HINT_LOG_COLUMN == 0 && WARN_COLUMN_QTY + HINT_LOG_KEY == WARN_KEY,
               "civic-score's kinds of a log's warnings are hints_log_head's");

static void warn_log_hint(void *label, int kind, const char *text)
{
    warn_note(WARN_COLUMN_QTY + kind, label, text);
}

/* The header of an input, from its first bytes p[0..n) (ended: the input
 * ends there): a CSV column most likely meant for qty, group or ref, or a
 * JSON Lines key spelling a field's name in other letters, which the load
 * ignores under these rules (hints_log_head). */
static void warn_header(const char *label, const unsigned char *p, size_t n, bool ended,
                        uint32_t format)
{
    hints_log_head((const char *)p, n, ended, format, warn_keys_ignored, warn_log_hint,
                   (void *)label);
}

/* The earliest ts of e's events, when before 1973-03-03 (hints_early_ts),
 * and the latest, when from 5138-11-16 on (hints_late_ts): early and late
 * name the inputs that hold them (NULL: unknown).  No count or line: the
 * events are not read again for them. */
static void warn_ts(const civic_engine *e, const char *early, const char *late)
{
    int64_t first, last;
    char text[HINTS_TIME_TEXT_BYTES];
    if (civic_engine_time_range(e, &first, &last) != CIVIC_OK) return;
    if (hints_early_ts(civic_engine_rules(e), first, text, sizeof(text)))
        warn_note(WARN_TS, early, text);
    if (hints_late_ts(civic_engine_rules(e), last, text, sizeof(text)))
        warn_note(WARN_LATE_TS, late, text);
}

/* What in a rules file most likely does not do what was meant
 * (hints_scheme): its label is the file. */
static void warn_scheme_hint(void *path, int kind, const char *text)
{
    warn_note(kind, strcmp(path, "-") == 0 ? "<stdin>" : path, text);
}

static void warn_scheme(const civic_rules *rules, const char *path)
{
    uint64_t before[WARN_KINDS];
    for (int k = 0; k < WARN_KINDS; k++) before[k] = warned[k].count;
    hints_scheme(rules, warn_scheme_hint, (void *)path);
    for (int k = 0; k < WARN_KINDS; k++) warned[k].files += warned[k].count > before[k];
}

/* -t given as a bare integer before 1973-03-03 (hints_small_time). */
static void warn_as_of(const civic_rules *rules, const char *text)
{
    char line[HINTS_TIME_TEXT_BYTES];
    if (hints_small_time(rules, "--as-of ", text, strlen(text), line, sizeof(line)))
        warn_note(WARN_AS_OF, NULL, line);
}

typedef struct progress progress;
static void progress_hold(progress *p);
static void progress_release(progress *p);

/* The lines of one file that one load of --compare --lenient rejected: for a
 * reason of their own, or as a conflict with another line (whose report
 * waits until it is known whether the line stays bad). */
typedef struct reject_log {
    line_set own;        /* bad in themselves: reported as they come */
    line_set conflict;   /* an event id seen before with other fields */
    char **held;         /* conflict[k]'s report, not yet made */
} reject_log;

static void reject_log_free(reject_log *r)
{
    for (size_t k = 0; r->held && k < r->conflict.n; k++) free(r->held[k]);
    free(r->held);
    free(r->own.line);
    free(r->conflict.line);
    memset(r, 0, sizeof(*r));
}

typedef struct reject_ctx {
    progress *prog;      /* the progress line, cleared before a report */
    const char *name;
    uint64_t count;
    bool quiet;          /* already reported (the second load of --compare --lenient) */
    reject_log *log;     /* optional: the lines rejected, in order */
    const line_set *reported; /* optional: lines reported already (under the current
                                 scheme), not reported or counted again */
} reject_ctx;

static int on_reject(void *payload, const civic_error *err)
{
    reject_ctx *ctx = payload;
    if (ctx->log && err->code == CIVIC_E_CONFLICT) { /* held: reported if it stays bad */
        reject_log *r = ctx->log;
        size_t cap = r->conflict.cap;
        if (!line_set_add(&r->conflict, err->line)) return 1; /* out of memory */
        if (r->conflict.cap != cap) {
            char **grown = realloc(r->held, r->conflict.cap * sizeof(*grown));
            if (!grown) {
                r->conflict.n--;
                return 1;
            }
            r->held = grown;
        }
        size_t len = strlen(ctx->name) + strlen(err->message) + sizeof(": skipped: ");
        char *text = malloc(len);
        if (!text) {
            r->conflict.n--;
            return 1;
        }
        snprintf(text, len, "%s: skipped: %s", ctx->name, err->message);
        r->held[r->conflict.n - 1] = text;
        return 0;
    }
    if (ctx->log && !line_set_add(&ctx->log->own, err->line)) return 1; /* out of memory */
    if (ctx->quiet || (ctx->reported && line_set_has(ctx->reported, err->line))) return 0;
    ctx->count++;
    progress_hold(ctx->prog);
    note_lost_report(complain("%s: skipped: %s", ctx->name, err->message));
    progress_release(ctx->prog);
    return 0;
}

/* Read all of standard input (formats are told apart by content). */
static char *read_stdin(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t want = cap - n, got = fread(buf + n, 1, want, stdin);
        n += got;
        if (got < want && ferror(stdin)) { /* EISDIR, EIO, EBADF: not an empty input */
            int saved = errno;
            free(buf);
            errno = saved;
            return NULL;
        }
        /* a short read is the end: a terminal's Ctrl-D is one end of file,
         * and another read would wait for a second */
        if (got < want) break;
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

/* The format a file's name gives (.csv, .jsonl, .ndjson in any case, as the
 * library's load_file reads them), else CIVIC_FORMAT_AUTO: by content. */
static uint32_t format_of_name(const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && strcasecmp(path + n - 4, ".csv") == 0) return CIVIC_FORMAT_CSV;
    if ((n >= 6 && strcasecmp(path + n - 6, ".jsonl") == 0) ||
        (n >= 7 && strcasecmp(path + n - 7, ".ndjson") == 0))
        return CIVIC_FORMAT_JSONL;
    return CIVIC_FORMAT_AUTO;
}

/* Whether the JSON array opening at p[i] closes within p[0..n) and text
 * other than blanks follows it. */
static bool text_after_array(const unsigned char *p, size_t n, size_t i)
{
    size_t depth = 0;
    bool in = false;
    for (; i < n; i++) {
        unsigned char c = p[i];
        if (in) {
            if (c == '\\') i++;
            else if (c == '"') in = false;
        } else if (c == '"') {
            in = true;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && depth > 0 && --depth == 0) {
            break;
        }
    }
    for (i++; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') return true;
    return false;
}

/* What the library's log reader says the first bytes p[0..n) are, when it
 * refuses them as no event log (UTF-16 or UTF-32 text without a byte order
 * mark), else NULL: its own words, asked only once NULs are found.  In a
 * static buffer. */
static const char *library_names(const unsigned char *p, size_t n)
{
    static const char lead[] = "not an event log: ";
    static char what[CIVIC_ERROR_MESSAGE_SIZE];
    civic_split_options opts = CIVIC_SPLIT_OPTIONS_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    if (civic_split((const char *)p, n, &opts, NULL, 0, NULL, NULL, NULL, &err) != CIVIC_E_SYNTAX)
        return NULL;
    const char *at = strstr(err.message, lead);
    if (!at) return NULL;
    snprintf(what, sizeof(what), "%s", at + sizeof(lead) - 1);
    return what;
}

static bool csv_header_line(const unsigned char *p, size_t n);

/* Whether the first line, from p[i] on (past a mark and blank lines), is
 * whole and clean text before any NUL: a CSV header naming id, subject,
 * type and ts, or a JSON object, with no control byte but a tab or its CR.
 * A log cut short by a crash may end in NUL bytes (a zero-filled tail): its
 * lines are left to speak (the NUL line is that line's error, skipped under
 * --lenient), not the file refused as binary data. */
static bool clean_first_line(const unsigned char *p, size_t n, size_t i)
{
    const unsigned char *nl = i < n ? memchr(p + i, '\n', n - i) : NULL;
    if (!nl) return false;
    size_t end = (size_t)(nl - p);
    for (size_t k = i; k < end; k++)
        if (p[k] < 0x20 && p[k] != '\t' && !(p[k] == '\r' && k + 1 == end)) return false;
    return p[i] == '{' || csv_header_line(p + i, end - i);
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
        { "PK\x03\x04", 4, "a zip archive, or a spreadsheet saved as one (extract the log, or "
                            "save the sheet as CSV, first)" },
        { "SQLite format 3", 15, "an SQLite database (export the events as CSV first)" },
        { "\x7f" "ELF", 4, "a program, not an event log" },
        /* the library's own files (lib/snapshot.c, lib/journal.c): read by
         * the service or a program, never by this tool */
        { "CIVICSNP", 8, "a libcivic snapshot (civic-server --data DIR reads one as "
                         "DIR/snapshot.civic, a program with civic_engine_load_snapshot; "
                         "civic-score reads event logs only)" },
        { "CIVICJNL", 8, "a libcivic journal (civic-server --data DIR reads one as "
                         "DIR/journal.civic, a program with civic_engine_journal_open; "
                         "civic-score reads event logs only)" },
        /* an OLE2 compound file: what Excel 97-2003 saves as .xls (and Word
         * its .doc, Outlook its .msg) */
        { "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "an Excel 97-2003 workbook or another old "
                                                  "Office file (a .doc, a .msg): save the sheet "
                                                  "as CSV (UTF-8, comma-separated) first" },
        /* UTF-32's marks before UTF-16's: FF FE begins both */
        { "\xff\xfe\0\0", 4, "UTF-32 text (convert it first: iconv -f UTF-32 -t UTF-8 FILE | civic-score -)" },
        { "\0\0\xfe\xff", 4, "UTF-32 text (convert it first: iconv -f UTF-32 -t UTF-8 FILE | civic-score -)" },
        { "\xff\xfe", 2, "UTF-16 text (convert it first: iconv -f UTF-16 -t UTF-8 FILE | civic-score -)" },
        { "\xfe\xff", 2, "UTF-16 text (convert it first: iconv -f UTF-16 -t UTF-8 FILE | civic-score -)" },
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        if (n >= kinds[k].len && memcmp(p, kinds[k].magic, kinds[k].len) == 0) return kinds[k].what;
    /* A NUL in a CSV header, or NULs everywhere (UTF-16 without a BOM): not
     * text.  One NUL in a record is that line's (named and skipped under
     * --lenient when a field takes it), wherever in the file it is; JSON
     * Lines has no header, its first line is a record. */
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
    /* "[{": a JSON array of events (an export); JSON Lines is one object a
     * line.  ('[' alone may begin a CSV header's first column name.)  Text
     * after the array's close is JSON Lines whose first line is a bad one
     * (skipped under --lenient, as 1.0 did). */
    size_t j = i + 1;
    while (j < n && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r' || p[j] == '\n')) j++;
    if (i < n && p[i] == '[' && j < n && p[j] == '{' && !text_after_array(p, n, i))
        return "a JSON array (civic-score reads JSON Lines, one object a line: "
               "jq -c '.[]' FILE | civic-score -)";
    const unsigned char *nl = memchr(p, '\n', n);
    size_t header = i < n && p[i] == '{' ? 0 : nl ? (size_t)(nl - p) : n, nuls = 0;
    for (size_t k = 0; k < n; k++) nuls += p[k] == '\0';
    if (memchr(p, '\0', header) || (nuls * 8 > n && !clean_first_line(p, n, i))) {
        const char *named = library_names(p, n);
        /* UTF-16 or UTF-32 without a mark, as the library judges it (its
         * first character's NULs after it: little-endian), with the command
         * that converts it, as a marked file has it: its byte order named
         * (iconv reads unmarked UTF-16 as big-endian) */
        static const char *const unmarked[][3] = {
            { "UTF-16 text (event logs are UTF-8: convert it first)",
              "UTF-16LE text (convert it first: iconv -f UTF-16LE -t UTF-8 FILE | civic-score -)",
              "UTF-16BE text (convert it first: iconv -f UTF-16BE -t UTF-8 FILE | civic-score -)" },
            { "UTF-32 text (event logs are UTF-8: convert it first)",
              "UTF-32LE text (convert it first: iconv -f UTF-32LE -t UTF-8 FILE | civic-score -)",
              "UTF-32BE text (convert it first: iconv -f UTF-32BE -t UTF-8 FILE | civic-score -)" },
        };
        for (size_t k = 0; named && n >= 1 && k < sizeof(unmarked) / sizeof(unmarked[0]); k++)
            if (strcmp(named, unmarked[k][0]) == 0) return unmarked[k][p[0] ? 1 : 2];
        return named ? named : "binary data (it holds NUL bytes; event logs are UTF-8 text)";
    }
    return NULL;
}

/* p[0..*n) without the blanks (spaces, tabs) at either end. */
static const unsigned char *trim_blanks(const unsigned char *p, size_t *n)
{
    while (*n && (*p == ' ' || *p == '\t')) { p++; (*n)--; }
    while (*n && (p[*n - 1] == ' ' || p[*n - 1] == '\t')) (*n)--;
    return p;
}

/* Which of id, subject, type and ts (bits 1, 2, 4, 8) the line's names,
 * separated by sep, are; *fields: how many names it has.  Names are matched
 * as the library matches them: quoted or not, in any case, with blanks
 * around them. */
static unsigned header_names(const unsigned char *p, size_t n, unsigned char sep, size_t *fields)
{
    static const char *const need[] = { "id", "subject", "type", "ts" };
    unsigned found = 0;
    *fields = 0;
    for (size_t at = 0; at <= n; ++*fields) {
        size_t end = at;
        while (end < n && p[end] != sep) end++;
        size_t len = end - at;
        if (len && p[at + len - 1] == '\r') len--;
        const unsigned char *name = trim_blanks(p + at, &len);
        if (len >= 2 && name[0] == '"' && name[len - 1] == '"') {
            len -= 2;
            name = trim_blanks(name + 1, &len);
        }
        for (unsigned k = 0; k < 4; k++) {
            size_t i = 0;
            while (i < len && need[k][i] && (char)tolower(name[i]) == need[k][i]) i++;
            if (i == len && !need[k][i]) found |= 1u << k;
        }
        at = end + 1;
    }
    return found;
}

/* The line is a CSV header: it names id, subject, type and ts (a torn or
 * garbled first line of JSON Lines does not). */
static bool csv_header_line(const unsigned char *p, size_t n)
{
    size_t fields;
    return header_names(p, n, ',', &fields) == 15;
}

/* What text that cannot be an event log most likely is, from its first
 * line that is not blank or a '#' comment: a rules file.  A log's first
 * line has a comma (a CSV header names four columns) or is a JSON object;
 * anything else fails at its header, in a lenient load too, and an export
 * separated by ';' or tabs, or that opens with a spreadsheet's "sep=;"
 * line, is named there, in the library's words. */
static const char *text_kind(const unsigned char *p, size_t n)
{
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    for (;;) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) i++;
        if (i >= n || p[i] != '#') break;
        while (i < n && p[i] != '\n') i++; /* a comment: TOML's, not a log's */
    }
    size_t end = i;
    while (end < n && p[end] != '\n') end++;
    if (i >= n || memchr(p + i, ',', end - i) || p[i] == '{') return NULL;
    if (end - i >= 4 && strncasecmp((const char *)p + i, "sep=", 4) == 0)
        return NULL; /* a spreadsheet's "sep=;", no key = value: the load names it */
    size_t k = i;
    while (k < end && (isalnum(p[k]) || p[k] == '_' || p[k] == '-')) k++;
    size_t eq = k;
    while (eq < end && (p[eq] == ' ' || p[eq] == '\t')) eq++;
    if (p[i] == '[' || (k > i && eq < end && p[eq] == '='))
        return "a rules file (TOML: a [table] or a key = value line): give it with -r FILE";
    return NULL;
}

/* What the first bytes of an input say it is when it is no event log: not
 * text (binary_kind), or, unless its name says JSON Lines (whose bad first
 * line --lenient skips), text no log begins with (text_kind).  NULL for a
 * log, or what the load will name. */
static const char *not_a_log(const unsigned char *p, size_t n, uint32_t named)
{
    const char *what = binary_kind(p, n);
    return what || named == CIVIC_FORMAT_JSONL ? what : text_kind(p, n);
}

/* 0 when the file looks like text (or cannot be read: the load says why). */
static int check_binary_file(const char *path)
{
    unsigned char head[4096];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(head, 1, sizeof(head), f);
    uint32_t named = format_of_name(path);
    const char *what = not_a_log(head, n, named);
    if (what) {
        fclose(f);
        complain("%s: not an event log: %s", path, what);
        return EXIT_INPUT;
    }
    warn_header(path, head, n, n < sizeof(head), named); /* a header longer: not looked at */
    /* A log whose name says the other format (an export renamed): each of
     * its lines would be bad, and --lenient would skip them all and exit 0.
     * The first line that is not blank is looked at, past the first 4 KiB
     * too (up to 1 MiB of blank lines), and read whole as far as 4 KiB go. */
    size_t i = n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, line = 1;
    for (int more = 256;; more--) {
        while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
            line += head[i++] == '\n';
        if (i < n || n < sizeof(head) || more == 0) break;
        n = fread(head, 1, sizeof(head), f);
        i = 0;
    }
    if (i > 0 && i < n && n == sizeof(head)) {
        memmove(head, head + i, n - i);
        n = n - i + fread(head + n - i, 1, i, f);
        i = 0;
    }
    fclose(f);
    size_t eol = i;
    while (eol < n && head[eol] != '\n') eol++;
    /* the line read, when blank lines come first ("its first line" is blank) */
    char which[64] = "first line";
    if (line > 1) snprintf(which, sizeof(which), "first non-blank line, line %zu,", line);
    if (named == CIVIC_FORMAT_CSV && i < n && head[i] == '{') {
        complain("%s: looks like JSON Lines (its %s starts with '{'), but its name says "
                 "CSV: rename it .jsonl, or give it on standard input", path, which);
        return EXIT_INPUT;
    }
    if (named == CIVIC_FORMAT_JSONL && i < n && head[i] != '{' && csv_header_line(head + i, eol - i)) {
        complain("%s: looks like CSV (its %s is a CSV header), but its name says "
                 "JSON Lines: rename it .csv, or give it on standard input", path, which);
        return EXIT_INPUT;
    }
    return 0;
}

/* Progress on standard error, for a terminal only: after a second of
 * loading, one line that says what is being read and for how long, redrawn
 * every second and erased when the load ends.  The library gives no
 * byte-by-byte progress, so the line shows the file, its size and the time. */
struct progress {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool on, done, drawn;
    char what[200];
};

/* Whether the progress line may be on the screen, for the handler of
 * SIGINT and SIGTERM: set before the line is drawn, cleared once it is
 * erased (one line at a time: loads follow one another). */
static volatile sig_atomic_t progress_shown;
/* The line is drawn by its own thread, which never runs the handler (it
 * blocks both signals), so the handler may wait for a draw under way to
 * end before it erases: a draw either sees progress_dying and is skipped,
 * or is seen by the handler in progress_drawing and waited for (both
 * sequentially consistent, lock-free, so safe in a handler). */
static atomic_int progress_drawing, progress_dying;
static const int progress_signals[2] = { SIGINT, SIGTERM };
static struct sigaction progress_old[2];

/* Ctrl-C (or SIGTERM) during a load: the line is erased (the manual says it
 * is when the load ends; else the shell's prompt would follow it), then the
 * process dies by the signal as it would have.  write(2) and raise(3) are
 * async-signal-safe, and so is signal(2), which puts the default action
 * back; the signal raised here is delivered when the handler returns. */
static void progress_interrupted(int sig)
{
    atomic_store(&progress_dying, 1);
    /* a second at most: a terminal stopped by Ctrl-S holds the draw */
    for (int i = 0; i < 1000 && atomic_load(&progress_drawing); i++) {
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL);
    }
    if (progress_shown) {
        ssize_t w = write(STDERR_FILENO, "\r\033[K", 4);
        (void)w;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* While a progress line may be shown, SIGINT and SIGTERM erase it first
 * (a signal ignored when the process started stays ignored). */
static void progress_catch(bool on)
{
    for (size_t i = 0; i < sizeof(progress_signals) / sizeof(progress_signals[0]); i++) {
        if (!on) {
            (void)sigaction(progress_signals[i], &progress_old[i], NULL);
            continue;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = progress_interrupted;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        if (sigaction(progress_signals[i], NULL, &progress_old[i]) == 0 &&
            progress_old[i].sa_handler != SIG_IGN)
            (void)sigaction(progress_signals[i], &sa, NULL);
    }
}

/* Write to standard error between these: the progress line is wiped first
 * (a report written after it would stay on the line it leaves), and redrawn
 * at the next tick. */
static void progress_hold(progress *p)
{
    if (!p->on) return;
    pthread_mutex_lock(&p->mu);
    if (p->drawn) fprintf(stderr, "\r\033[K");
    p->drawn = false;
    progress_shown = 0;
}

static void progress_release(progress *p)
{
    if (p->on) pthread_mutex_unlock(&p->mu);
}

static void *progress_main(void *arg)
{
    progress *p = arg;
    struct timespec start, until;
    sigset_t both;
    sigemptyset(&both);
    for (size_t i = 0; i < sizeof(progress_signals) / sizeof(progress_signals[0]); i++)
        sigaddset(&both, progress_signals[i]);
    pthread_sigmask(SIG_BLOCK, &both, NULL); /* the handler runs on another thread */
    clock_gettime(CLOCK_REALTIME, &start);
    pthread_mutex_lock(&p->mu);
    for (long tick = 1; !p->done; tick++) {
        until = start;
        until.tv_sec += tick;
        while (!p->done && pthread_cond_timedwait(&p->cv, &p->mu, &until) == 0) {
        }
        if (p->done) break;
        atomic_store(&progress_drawing, 1);
        if (!atomic_load(&progress_dying)) {
            progress_shown = 1;
            fprintf(stderr, "\rcivic-score: %s ... %ld s ", p->what, tick);
            fflush(stderr);
            p->drawn = true;
        }
        atomic_store(&progress_drawing, 0);
    }
    if (p->drawn) fprintf(stderr, "\r\033[K");
    progress_shown = 0;
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
    for (unsigned char *c = (unsigned char *)p->what; *c; c++) { /* a name's ESC is not acted on */
        size_t len = *c < 0x80 ? 1 : utf8_at(c);
        if (*c < 0x20 || *c == 0x7f || len == 0 || (*c == 0xc2 && c[1] < 0xa0))
            *c = '?';
        else
            c += len - 1;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    progress_catch(true);
    p->on = pthread_create(&p->thread, NULL, progress_main, p) == 0;
    if (!p->on) progress_catch(false);
}

static void progress_stop(progress *p)
{
    if (!p->on) return;
    pthread_mutex_lock(&p->mu);
    p->done = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    progress_catch(false);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
}

/* Standard input, and a named file that is not a regular one (a FIFO,
 * /dev/stdin, a shell's <(...)), is streamed: opened and read once (a second
 * open of a FIFO waits for a writer that is gone, and a pipe's first bytes
 * would be lost), its first bytes checked for binary data, and the rest
 * copied by a thread into a pipe the library reads like a file.  Memory
 * stays proportional to the events, not to the input.  (For --compare,
 * which loads the input twice, it is read into memory once.) */
typedef struct feeder {
    int in_fd, out_fd;
    const unsigned char *head;
    size_t head_len;
    bool ended;                /* the head met the end: read no more (a terminal's
                                * Ctrl-D is one end of file, not a lasting state) */
    int read_errno;            /* a read that failed: the input is not all there */
} feeder;

static bool write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static void *feed_main(void *arg)
{
    feeder *f = arg;
    char buf[1 << 16];
    if (write_all(f->out_fd, f->head, f->head_len) && !f->ended) {
        for (;;) {
            ssize_t got = read(f->in_fd, buf, sizeof(buf));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) f->read_errno = errno;
            if (got <= 0 || !write_all(f->out_fd, buf, (size_t)got)) break;
        }
    }
    close(f->out_fd);
    return NULL;
}

/* Up to n bytes from fd (fewer only at its end, and *ended then set); -1
 * (errno) when a read fails. */
static ssize_t read_head(int fd, unsigned char *buf, size_t n, bool *ended)
{
    size_t have = 0;
    *ended = false;
    while (have < n) {
        ssize_t got = read(fd, buf + have, n - have);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) {
            *ended = true;
            break;
        }
        have += (size_t)got;
    }
    return (ssize_t)have;
}

/* Events read from a terminal: what the wait is for, said once to a
 * person (standard error a terminal too).  Without it `civic-score
 * --explain r0007`, the log forgotten, looked like a hang. */
static void terminal_note(int in_fd)
{
    static bool said;
    if (said || !isatty(in_fd) || !isatty(STDERR_FILENO)) return;
    said = true;
    fputs("civic-score: reading events from the terminal: type a CSV header and its lines, "
          "then Ctrl-D (or name a log: civic-score [OPTIONS] FILE...)\n", stderr);
}

/* Rules read from a terminal (-r - or --compare -, said as option): what
 * the wait is for, as terminal_note says it of events. */
static void rules_terminal_note(const char *option)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return;
    fprintf(stderr, "civic-score: reading the rules from the terminal: type a rules file "
            "(TOML), then Ctrl-D (or name one: civic-score %s FILE ...)\n", option);
}

/* Load the stream in_fd, named name in messages.  -1: the input was refused
 * or could not be read (said on standard error). */
static int load_stream(civic_engine *e, int in_fd, const char *name,
                       const civic_load_options *opts, civic_load_report *report,
                       civic_error *err)
{
    static unsigned char head[4096];
    bool ended;
    terminal_note(in_fd);
    ssize_t got = read_head(in_fd, head, sizeof(head), &ended);
    if (got < 0) {
        complain("%s: cannot read: %s", name, strerror(errno));
        return -1;
    }
    size_t n = (size_t)got;
    const char *what = not_a_log(head, n, opts ? opts->format : CIVIC_FORMAT_AUTO);
    if (what) {
        complain("%s: not an event log: %s", name, what);
        return -1;
    }
    warn_header(name, head, n, n < sizeof(head), opts ? opts->format : CIVIC_FORMAT_AUTO);
    int fds[2];
    if (pipe(fds) != 0) {
        complain("%s: cannot read: %s", name, strerror(errno));
        return -1;
    }
    feeder f = { in_fd, fds[1], head, n, ended, 0 };
    pthread_t t;
    if (pthread_create(&t, NULL, feed_main, &f) != 0) {
        close(fds[0]);
        close(fds[1]);
        return CIVIC_E_NOMEM;
    }
    char path[64];
    snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
    int rc = civic_engine_load_file(e, path, opts, report, err);
    close(fds[0]); /* a load that stopped early: the feeder sees EPIPE and ends */
    pthread_join(t, NULL);
    if (f.read_errno) {
        complain("%s: cannot read: %s", name, strerror(f.read_errno));
        return -1;
    }
    return rc;
}

/* A file's message, its name before it as every other file error has it
 * ("FILE: cannot open: reason"): the library's I/O message ("cannot open
 * PATH: reason", "cannot read PATH: reason", a long PATH shortened) without
 * its path, into buf; else the library's message (or the status's words). */
static const char *file_words(int rc, const civic_error *err, char *buf, size_t size)
{
    static const char *const verbs[] = { "cannot open ", "cannot read " };
    const char *m = err->message;
    for (size_t k = 0; rc == CIVIC_E_IO && k < sizeof(verbs) / sizeof(verbs[0]); k++) {
        size_t n = strlen(verbs[k]);
        const char *reason = NULL; /* after the last ": " (strerror's words hold none) */
        for (const char *p = m + n; (p = strstr(p, ": ")) != NULL; p++) reason = p + 2;
        if (strncmp(m, verbs[k], n) != 0 || !reason) continue;
        snprintf(buf, size, "%.*s: %s", (int)(n - 1), verbs[k], reason);
        return buf;
    }
    return m[0] ? m : civic_strerror(rc);
}

/* What the library says a rules text is, or NULL: its "not a rules file: "
 * right after "line L, column C: " (text that is none, or in place of the
 * parser's words when they leave it no room), or after "; " ending the
 * message in one of the forms name_an_event_log (lib/toml.c) writes.  The
 * words anywhere else are the file's own text quoted back
 * (["not a rules file: an event log"] is an unknown table, not a log). */
static const char *rules_file_what(const civic_error *err)
{
    static const char tag[] = "not a rules file: ";
    static const char *const tails[] = {
        "an event log (its first line is a JSON object)",
        "an event log (a JSON array of objects)",
        "an event log (its first line is a CSV header naming id, subject, type and ts)",
        "a JSON document (rules are written in TOML; see the manual's rules chapter)",
    };
    const size_t tl = sizeof(tag) - 1;
    const char *m = err->message;
    char prefix[64];
    int n = snprintf(prefix, sizeof(prefix), "line %llu, column %u: ",
                     (unsigned long long)err->line, err->column);
    if (n > 0 && (size_t)n < sizeof(prefix) && strncmp(m, prefix, (size_t)n) == 0 &&
        strncmp(m + n, tag, tl) == 0) {
        /* not_text's own words (line 1, column 1) or a tail in their place */
        if (err->line == 1 && err->column == 1) return m + n;
        for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]); k++)
            if (strcmp(m + n + tl, tails[k]) == 0) return m + n;
    }
    size_t len = strlen(m);
    for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]); k++) {
        size_t need = 2 + tl + strlen(tails[k]);
        if (len >= need && memcmp(m + len - need, "; ", 2) == 0 &&
            memcmp(m + len - need + 2, tag, tl) == 0 && strcmp(m + len - need + 2 + tl, tails[k]) == 0)
            return m + len - need + 2;
    }
    return NULL;
}

/* A load's failure held back: its message as complain would print it, and
 * the line it names (0: none, as for a file that cannot be read). */
typedef struct failure {
    char *text;
    uint64_t line;
} failure;

/* Load one input into e.  data: the input in memory (standard input for
 * --compare, or a file's filtered text), else read from path.  log: where
 * to note rejected lines, conflicts held unreported; quiet: do not report them again; reported: the
 * lines reported already, not to report again; held (optional): where a
 * failure goes instead of standard error. */
static int load_input(civic_engine *e, const char *path, const char *under, const char *data,
                      size_t len, bool lenient, bool show_progress, uint64_t *skipped,
                      reject_log *log, bool quiet, const line_set *reported, failure *held)
{
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    civic_load_report report = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    bool use_stdin = strcmp(path, "-") == 0;
    char label[2 * 4096 + 16]; /* two paths: never cut (a cut could split a character) */
    int wrote = snprintf(label, sizeof(label), "%s%s%s%s", use_stdin ? "<stdin>" : path,
                         under ? " (under " : "", under ? under : "", under ? ")" : "");
    if (wrote >= (int)sizeof(label)) { /* cut: not in the middle of a character */
        size_t end = strlen(label), lead = end;
        while (lead > 0 && ((unsigned char)label[lead - 1] & 0xC0) == 0x80) lead--;
        if (lead > 0 && (unsigned char)label[lead - 1] >= 0xC0) {
            unsigned char c = (unsigned char)label[lead - 1];
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (end - (lead - 1) < want) label[lead - 1] = '\0';
        }
    }
    progress prog;
    memset(&prog, 0, sizeof(prog)); /* off until progress_start */
    reject_ctx ctx = { &prog, label, 0, quiet, log, reported };
    opts.flags = lenient ? CIVIC_LOAD_LENIENT : 0;
    opts.on_reject = on_reject;
    opts.payload = &ctx;
    int rc;
    if (data) {
        opts.format = format_of_name(path);
        progress_start(&prog, show_progress, use_stdin ? "standard input" : path, NULL);
        rc = civic_engine_load(e, data, len, &opts, &report, &err);
        progress_stop(&prog);
    } else if (use_stdin) { /* from a terminal the wait is for the user: no line over the typing */
        progress_start(&prog, show_progress && !isatty(STDIN_FILENO), "standard input", NULL);
        rc = load_stream(e, STDIN_FILENO, "<stdin>", &opts, &report, &err);
        progress_stop(&prog);
        if (rc == -1) return EXIT_INPUT;
    } else {
        struct stat st;
        int fd = open(path, O_RDONLY | O_CLOEXEC); /* a FIFO: waits for its writer, as cat does */
        if (fd >= 0 && fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
                                                S_ISSOCK(st.st_mode))) {
            progress_start(&prog, show_progress && !isatty(fd), path, NULL); /* as standard input */
            rc = load_stream(e, fd, path, &opts, &report, &err);
            progress_stop(&prog);
            close(fd);
            if (rc == -1) return EXIT_INPUT;
        } else {
            if (fd >= 0) close(fd); /* main looked at its first bytes (check_binary_file) */
            progress_start(&prog, show_progress, path, stat(path, &st) == 0 ? &st.st_size : NULL);
            rc = civic_engine_load_file(e, path, &opts, &report, &err);
            progress_stop(&prog);
        }
    }
    *skipped += ctx.count;
    if (rc == CIVIC_OK) return 0;
    char words[CIVIC_ERROR_MESSAGE_SIZE];
    const char *what = file_words(rc, &err, words, sizeof(words));
    /* a file that cannot be read is so under every scheme: named alone */
    const char *name = what == words ? (use_stdin ? "<stdin>" : path) : ctx.name;
    size_t need = strlen(name) + strlen(what) + 3;
    if (held && (held->text = malloc(need)) != NULL) {
        snprintf(held->text, need, "%s: %s", name, what);
        held->line = err.line;
    } else {
        complain("%s: %s", name, what);
    }
    return EXIT_INPUT;
}

/* ------------------------------------------------------------ options */

static bool parse_count(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9') return false; /* no sign, no blank (strtoull takes both) */
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max) return false;
    *out = v;
    return true;
}

enum { OPT_EXPLAIN = 256, OPT_GROUPS, OPT_TOP, OPT_LENIENT, OPT_PRINT_RULES, OPT_VERSION,
       OPT_LIST, OPT_COMPARE, OPT_CHANGED, OPT_MIN_GROUP, OPT_DETAIL, OPT_OBJECTIONS };

static const struct option long_options[] = {
    { "rules", required_argument, NULL, 'r' },
    { "as-of", required_argument, NULL, 't' },
    { "format", required_argument, NULL, 'f' },
    { "explain", required_argument, NULL, OPT_EXPLAIN },
    { "detail", no_argument, NULL, OPT_DETAIL },
    { "groups", required_argument, NULL, OPT_GROUPS },
    { "top", required_argument, NULL, OPT_TOP },
    { "lenient", no_argument, NULL, OPT_LENIENT },
    { "print-rules", no_argument, NULL, OPT_PRINT_RULES },
    { "list", required_argument, NULL, OPT_LIST },
    { "objections", no_argument, NULL, OPT_OBJECTIONS },
    { "compare", required_argument, NULL, OPT_COMPARE },
    { "changed", no_argument, NULL, OPT_CHANGED },
    { "min-group", required_argument, NULL, OPT_MIN_GROUP },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* The long option that arg, typed with one dash, names ("-rules",
 * "-format=csv", "-lenient": rules, format, lenient), else NULL.  getopt
 * reads it as a short option with its value glued on (-r "ules", -f
 * "ormat=csv", -l and an unknown option), as 1.0 did ("-rules.toml" names
 * the rules file "ules.toml"): only the error it leads to says so
 * (ONE_DASH_HINT). */
static const char *one_dash(const char *arg)
{
    if (!arg || arg[0] != '-' || arg[1] == '-' || arg[1] == '\0') return NULL;
    size_t n = strcspn(arg + 1, "=");
    for (size_t k = 0; long_options[k].name; k++)
        if (strlen(long_options[k].name) == n && strncmp(long_options[k].name, arg + 1, n) == 0)
            return long_options[k].name;
    return NULL;
}

#define ONE_DASH_HINT " (long options take two dashes: --%s)"
#define ONE_DASH_HINT_BYTES (sizeof(ONE_DASH_HINT) + 16) /* the longest name: 11 bytes */

/* ONE_DASH_HINT for name, or "" for NULL, into buf. */
static const char *one_dash_hint(const char *name, char buf[ONE_DASH_HINT_BYTES])
{
    buf[0] = '\0';
    if (name) snprintf(buf, ONE_DASH_HINT_BYTES, ONE_DASH_HINT, name);
    return buf;
}

#define EQUALS_HINT " (a short option takes its value glued or separate: -%c %s or -%c%s)"

/* EQUALS_HINT for the short option opt (r, t or f) given the value v, when
 * v begins with '=' ("-r=a.toml": the value "=a.toml", as getopt and 1.0
 * read it, so that -r=x still names the file "=x"), its value after the '='s
 * (or the value's name for none); else NULL.  Allocated: free it.  Only the
 * error such a value leads to says it. */
static char *equals_hint(int opt, const char *v)
{
    if (!v || v[0] != '=') return NULL;
    const char *rest = v + strspn(v, "=");
    if (!*rest) rest = opt == 'r' ? "FILE" : opt == 't' ? "TIME" : "FMT";
    int n = snprintf(NULL, 0, EQUALS_HINT, opt, rest, opt, rest);
    char *hint = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!hint) out_of_memory();
    snprintf(hint, (size_t)n + 1, EQUALS_HINT, opt, rest, opt, rest);
    return hint;
}

/* The edit distance of a and b, each at most 31 bytes, else SIZE_MAX
 * (optimal string alignment: a letter added, dropped or changed, or two
 * neighbours swapped, each one edit). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t an = strlen(a), bn = strlen(b), d[32][32];
    if (an > 31 || bn > 31) return SIZE_MAX;
    for (size_t i = 0; i <= an; i++) d[i][0] = i;
    for (size_t j = 0; j <= bn; j++) d[0][j] = j;
    for (size_t i = 1; i <= an; i++)
        for (size_t j = 1; j <= bn; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[an][bn];
}

/* s without its dashes, into out (64 bytes). */
static void without_dashes(const char *s, char out[64])
{
    size_t k = 0;
    for (; *s && k < 63; s++)
        if (*s != '-') out[k++] = *s;
    out[k] = '\0';
}

/* The long option an unknown one (typed after "--", up to its '=') most
 * likely means, else NULL: the same name in other capitals or with '_'
 * for '-' ("as_of", "Top"), so written a prefix of only one ("PRINT"),
 * the same letters without a dash ("asof", "minGroup"), or one edit away
 * ("lenent", "tpo"). */
static const char *long_option_meant(const char *typed)
{
    char norm[64], bare[64], other[64];
    size_t n = 0;
    for (; typed[n] && n < 63; n++)
        norm[n] = typed[n] == '_' ? '-' : (char)tolower((unsigned char)typed[n]);
    norm[n] = '\0';
    if (n == 0 || typed[n]) return NULL;
    const char *prefix_of = NULL;
    size_t prefixes = 0;
    for (size_t k = 0; long_options[k].name; k++) {
        if (strcmp(long_options[k].name, norm) == 0) return long_options[k].name;
        if (strncmp(long_options[k].name, norm, n) == 0) {
            prefixes++;
            prefix_of = long_options[k].name;
        }
    }
    if (prefixes == 1) return prefix_of;
    without_dashes(norm, bare);
    for (size_t k = 0; long_options[k].name; k++) {
        without_dashes(long_options[k].name, other);
        if (strcmp(other, bare) == 0) return long_options[k].name;
    }
    for (size_t k = 0; n >= 2 && long_options[k].name; k++)
        if (edit_distance(norm, long_options[k].name) == 1) return long_options[k].name;
    return NULL;
}

/* The format an unknown -f value most likely means, else NULL: one in
 * other capitals ("CSV") or one edit away ("jsno", "htm"), as
 * long_option_meant offers a long option. */
static const char *format_meant(const char *v)
{
    static const char *const names[] = { "table", "csv", "json", "html" };
    char low[32];
    size_t n = 0;
    for (; v[n] && n < sizeof(low) - 1; n++) low[n] = (char)tolower((unsigned char)v[n]);
    low[n] = '\0';
    if (n < 2 || v[n]) return NULL;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (edit_distance(low, names[k]) <= 1) return names[k];
    return NULL;
}

/* What the value of an option that needs one should be, for the message. */
static const char *value_name(int opt)
{
    switch (opt) {
    case 'r': return "a file";
    case 't': return "a time";
    case 'f': return "table, csv, json or html";
    case OPT_LIST: return "a flag or measure name";
    case OPT_COMPARE: return "a rules file";
    case OPT_MIN_GROUP: return "a number";
    case OPT_EXPLAIN: return "a subject id";
    case OPT_GROUPS: return "a depth";
    case OPT_TOP: return "a number";
    default: return "a value";
    }
}

/* Options that do not go together are usage errors, never silently ignored. */
static int check_combinations(const options *o, bool format_given)
{
    bool html = o->format == FMT_HTML;
    if (o->print_rules && (o->as_of_text || format_given || o->explain || o->groups >= 0 ||
                           o->top || o->lenient || o->file_count || o->list || o->compare ||
                           o->changed || o->min_group || o->detail || o->objections))
        return usage_error("%s", "--print-rules prints the scheme and takes no other option "
                                 "or file but -r");
    /* before the others, so that the message names --objections whatever it is given with */
    if (o->objections && (o->explain || o->groups >= 0 || o->top || o->list || o->compare ||
                          o->changed || html))
        return usage_error("%s", "--objections goes with none of --explain, --groups, --top, "
                                 "--list, --compare, --changed or -f html");
    if (o->explain && o->groups >= 0)
        return usage_error("%s", "--explain and --groups do not go together");
    if (o->explain && o->top)
        return usage_error("%s", "--explain and --top do not go together (a record has no ranking)");
    if (o->list && (o->explain || o->groups >= 0 || o->top || o->compare))
        return usage_error("%s", "--list goes with none of --explain, --groups, --top or --compare");
    if (o->compare && (o->explain || o->groups >= 0 || o->top))
        return usage_error("%s", "--compare goes with none of --explain, --groups or --top");
    if (o->changed && !o->compare) return usage_error("%s", "--changed needs --compare");
    if (o->detail && !o->explain) return usage_error("%s", "--detail needs --explain");
    /* the table's NOTE already says what --detail adds: refused, not ignored */
    if (o->detail && o->format == FMT_TABLE)
        return usage_error("%s", "--detail goes with -f csv or -f json (the table's NOTE shows "
                                 "flag, ceiling and what an entry affects)");
    if (o->min_group && !html) return usage_error("%s", "--min-group needs --format html");
    if (html && (o->explain || o->top || o->list || o->compare))
        return usage_error("%s", "--format html is the notice page: of the other options it "
                                 "goes with -r, -t, --groups, --min-group and --lenient only");
    return 0;
}

/* 0 to continue, otherwise an exit status + 100 for "stop with success". */
static int parse_options(int argc, char **argv, options *o)
{
    bool format_given = false;
    o->groups = -1;
    o->files = calloc((size_t)argc + 1, sizeof(char *));
    if (!o->files) out_of_memory();
    opterr = 0; /* our messages, not getopt's */
    for (;;) {
        /* '-': files come back in order as option 1, so that options after
         * them are read whatever POSIXLY_CORRECT says (the manual's promise) */
        int longindex = -1; /* set when the option was given in its long form */
        /* the argument getopt reads now: optind stays on it until it is read */
        const char *cur = optind >= 1 && optind < argc ? argv[optind] : NULL;
        int opt = getopt_long(argc, argv, "-:r:t:f:h", long_options, &longindex);
        if (opt == -1) break;
        /* The argument getopt just read (an error leaves optind past it). */
        const char *v = optarg, *a = argv[optind > 1 && optind <= argc ? optind - 1 : 0];
        /* a long option's name typed with one dash, read as this short
         * option and its value glued on ("-rules": -r "ules"): NULL else */
        const char *glued_long = cur && v == cur + 2 ? one_dash(cur) : NULL;
        char hint[ONE_DASH_HINT_BYTES];
        uint64_t n;
        switch (opt) {
        case 1: o->files[o->file_count++] = v; break;
        case 'h': fputs(usage_text, stdout); return 100;
        case OPT_VERSION:
            printf("civic-score %s (libcivic %s)\n", CIVIC_VERSION, civic_version());
            return 100;
        case OPT_PRINT_RULES: o->print_rules = 1; break;
        case OPT_LIST: /* twice, as --explain: the last would drop a list asked for */
            if (o->list)
                return usage_error("%s", "--list takes one name; it was given twice: run "
                                         "civic-score once per list");
            if (!*v) return usage_error("%s", "option --list needs a flag or measure name");
            o->list = v;
            break;
        case OPT_COMPARE:
            if (o->compare)
                return usage_error("%s", "--compare takes one rules file; it was given twice: "
                                         "run civic-score once per scheme");
            if (!*v)
                return usage_error("%s", "option --compare needs a rules file, not an empty file "
                                         "name (an unset shell variable?)");
            o->compare = v;
            break;
        case OPT_CHANGED: o->changed = 1; break;
        case OPT_OBJECTIONS: o->objections = 1; break;
        case OPT_DETAIL: o->detail = 1; break;
        case OPT_MIN_GROUP:
            if (!parse_count(v, UINT32_MAX, &n) || n == 0)
                return usage_error("--min-group needs a number from 1 to 4294967295, not '%s'", v);
            o->min_group = n;
            break;
        case OPT_LENIENT: o->lenient = 1; break;
        case 'r': /* named as typed: --rules= is no -r */
            if (!*v) /* as an empty log's name is told */
                return usage_error("option %s needs a rules file, not an empty file name (an "
                                   "unset shell variable?)", longindex >= 0 ? "--rules" : "-r");
            o->rules_path = v;
            o->rules_one_dash = glued_long; /* said if no such file (load_rules) */
            o->rules_short = longindex < 0; /* "-r=x": likewise */
            break;
        case 't': /* read with the rules (parse_as_of) */
            o->as_of_text = v;
            o->as_of_one_dash = glued_long;
            o->as_of_short = longindex < 0;
            break;
        case 'f':
            format_given = true;
            if (strcmp(v, "table") == 0) o->format = FMT_TABLE;
            else if (strcmp(v, "csv") == 0) o->format = FMT_CSV;
            else if (strcmp(v, "json") == 0) o->format = FMT_JSON;
            else if (strcmp(v, "html") == 0) o->format = FMT_HTML;
            else { /* "-f=csv" is told that, not "did you mean csv?" */
                char *equals = longindex < 0 ? equals_hint('f', v) : NULL;
                const char *meant = glued_long || equals ? NULL : format_meant(v);
                char more[32] = "";
                if (meant) snprintf(more, sizeof(more), "; did you mean %s?", meant);
                const char *tail = equals ? equals : meant ? more : one_dash_hint(glued_long, hint);
                int rc = usage_error_hint("unknown format '%s' (table, csv, json or html)%s", v,
                                          tail);
                free(equals);
                return rc;
            }
            break;
        case OPT_EXPLAIN: {
            /* a subject id as the events give one: no record could answer
             * another, and the JSON answer would carry its bytes */
            size_t len = strlen(v);
            /* the last would count, as for the other options: that silently
             * drops a record the user asked for */
            if (o->explain)
                return usage_error("%s", "--explain takes one subject; it was given twice: run "
                                         "civic-score once per subject");
            if (!*v) return usage_error("%s", "option --explain needs a subject id");
            if (len > CIVIC_ID_BYTES_MAX) {
                char n_bytes[24];
                snprintf(n_bytes, sizeof(n_bytes), "%zu", len);
                return usage_error("--explain: a subject id is at most 128 bytes, not %s", n_bytes);
            }
            bool control = false;
            for (size_t i = 0; i < len; i++) /* C0, DEL and C1 (U+0080..U+009F), as a log's */
                control |= (unsigned char)v[i] < 0x20 || v[i] == 0x7f ||
                           ((unsigned char)v[i] == 0xc2 && i + 1 < len &&
                            (unsigned char)v[i + 1] >= 0x80 && (unsigned char)v[i + 1] < 0xa0);
            if (control || !utf8_valid(v, len))
                return usage_error("%s", "--explain: a subject id is UTF-8 text without "
                                         "control characters");
            o->explain = v;
            break;
        }
        case OPT_GROUPS:
            if (!parse_count(v, 64, &n)) return usage_error("--groups needs a depth 0..64, not '%s'", v);
            o->groups = (long)n;
            break;
        case OPT_TOP: /* a number past any count means all: it saturates */
            if (v && v[0] >= '0' && v[0] <= '9' && strspn(v, "0123456789") == strlen(v) &&
                !parse_count(v, UINT64_MAX, &n))
                n = UINT64_MAX;
            else if (!parse_count(v, UINT64_MAX, &n) || n == 0)
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
            bool is_long = strncmp(a, "--", 2) == 0;
            if (is_long && optopt != 0) { /* a known long option given a value it does not take */
                snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
                return usage_error("option '%s' takes no value", name);
            }
            if (optopt > 0) { /* a short option, maybe inside a cluster */
                snprintf(name, sizeof(name), "-%c", optopt);
                /* the first letter of a long option typed with one dash */
                const char *meant = cur && cur[1] == optopt ? one_dash(cur) : NULL;
                char msg[120];
                snprintf(msg, sizeof(msg), "unknown option '%%s'%s", one_dash_hint(meant, hint));
                return usage_error(msg, name);
            }
            snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
            if (strcmp(name, "--") == 0) /* "--=x": no name before its '=' ("--" alone ends the options) */
                snprintf(name, sizeof(name), "%s", a);
            size_t len = strlen(name), matches = 0;
            char names[200] = "";
            for (size_t k = 0; is_long && len > 2 && long_options[k].name; k++)
                if (strncmp(long_options[k].name, name + 2, len - 2) == 0) {
                    size_t at = strlen(names);
                    snprintf(names + at, sizeof(names) - at, "%s--%s", matches++ ? ", " : "",
                             long_options[k].name);
                }
            if (matches > 1) {
                char msg[sizeof(names) + 64];
                snprintf(msg, sizeof(msg), "option '%%s' is ambiguous: write it out (%s)", names);
                return usage_error(msg, name);
            }
            const char *meant = is_long && len > 2 ? long_option_meant(name + 2) : NULL;
            if (meant) {
                char msg[120];
                snprintf(msg, sizeof(msg), "unknown option '%%s'; did you mean '--%s'?", meant);
                return usage_error(msg, name);
            }
            return usage_error("unknown option '%s'", name);
        }
        }
    }
    for (int i = optind; i < argc; i++) o->files[o->file_count++] = argv[i];
    for (int i = 0; i < o->file_count; i++) /* said ": cannot open", its name unseen */
        if (!o->files[i][0])
            return usage_error("%s", "an empty file name (an unset shell variable?): name a "
                                     "log, or - for standard input");
    int rc = check_combinations(o, format_given);
    if (rc) return rc;
    if (o->print_rules && !o->rules_path) {
        fputs(civic_rules_default_text(), stdout);
        return 100;
    }
    bool log_named = o->file_count > 0;
    if (!log_named) o->files[o->file_count++] = "-";
    /* standard input is read once: named "-", or /dev/stdin, /dev/fd/0 (a
     * pipe's second reader would get nothing: an empty answer, exit 0) */
    const char *rules_in = reads_stdin(o->rules_path), *compare_in = reads_stdin(o->compare);
    const char *log_in = NULL;
    int kept = 0;
    for (int i = 0; i < o->file_count; i++) {
        const char *in = o->print_rules ? NULL : reads_stdin(o->files[i]);
        if (in && log_in) {
            /* libcivic 1.0 ran "- -" and read standard input once: so it
             * still does, and says the second name reads nothing more */
            fprintf(stderr, "civic-score: warning: standard input is named twice as a log (%.200s "
                    "and %.200s): it is read once\n", log_in, in);
            continue;
        }
        if (in) log_in = in;
        o->files[kept++] = o->files[i];
    }
    o->file_count = kept;
    char why[600], log_why[300];
    if (log_named)
        snprintf(log_why, sizeof(log_why), "a log (%.200s): give the log as a file", log_in ? log_in : "");
    else /* the "-" is the default's: none was typed */
        snprintf(log_why, sizeof(log_why), "a log, and no log file was named, so the log would be "
                 "standard input: name the log file");
    if (rules_in && compare_in)
        snprintf(why, sizeof(why), "standard input is read once: it cannot hold both schemes "
                 "(-r %.200s and --compare %.200s)", rules_in, compare_in);
    else if ((rules_in || compare_in) && log_in)
        snprintf(why, sizeof(why), "standard input is read once: it cannot hold both the rules "
                 "(%s %.200s) and %s", rules_in ? "-r" : "--compare",
                 rules_in ? rules_in : compare_in, log_why);
    else
        return 0;
    return usage_error("%s", why);
}

/* A rules file's name in messages: "-" is standard input. */
static const char *rules_shown(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/* With --compare, what a message about a log line says it was loaded under
 * (the other scheme's messages name that one); NULL without. */
static const char *current_scheme(const options *o)
{
    if (!o->compare) return NULL;
    return o->rules_path ? rules_shown(o->rules_path) : "the built-in scheme";
}

static bool stdin_closed; /* and held on /dev/null: /dev/stdin would open that */

/* Whether path is a name of descriptor 0 that opens what it holds (with
 * standard input closed, the /dev/null held in its place: an empty file). */
static bool names_stdin_fd(const char *path)
{
    return strcmp(path, "/dev/stdin") == 0 || strcmp(path, "/dev/fd/0") == 0 ||
           strcmp(path, "/proc/self/fd/0") == 0;
}

/* Whether the rules file at path, which err says defines no [[grade]], is
 * empty: a regular file of no bytes, or /dev/null (a pipe's bytes are read
 * and gone: it keeps the library's words).  Asked after the load, which
 * names a file of blanks or comments alone the same way, line 1, column 1. */
static bool rules_file_empty(const char *path, const civic_error *err)
{
    static const char none[] = "line 1, column 1: the rules define no [[grade]]";
    struct stat st, null;
    if (strncmp(err->message, none, sizeof(none) - 1) != 0 || stat(path, &st) != 0) return false;
    if (S_ISREG(st.st_mode)) return st.st_size == 0;
    return S_ISCHR(st.st_mode) && stat("/dev/null", &null) == 0 && S_ISCHR(null.st_mode) &&
           st.st_rdev == null.st_rdev;
}

/* The scheme of a rules file (NULL: the built-in one) given with option
 * (-r or --compare), read once a run: --compare's second pass makes its
 * engines again from the civic_rules loaded here (a FIFO, a <(...) or
 * /dev/stdin opened again is empty, or waits for a writer that will not
 * come).  one_dash_name: the long option whose name was typed with one dash
 * ("-rules cur.toml": the file "ules"), said when no such file exists, as is
 * how -r takes a value when short_form and path begins with '=' ("-r=x":
 * the file "=x"). */
static int load_rules(const char *path, const char *option, const char *one_dash_name,
                      bool short_form, civic_rules **rules)
{
    civic_error err = CIVIC_ERROR_INIT;
    int rc;
    bool from_stdin = path && strcmp(path, "-") == 0;
    char *text = NULL;
    size_t len = 0;
    if (path && stdin_closed && names_stdin_fd(path)) { /* as "-" finds out when it reads */
        complain("%s: cannot read the rules: %s", path, strerror(EBADF));
        return EXIT_INPUT;
    }
    if (from_stdin) rules_terminal_note(option);
    if (from_stdin && !(text = read_stdin(&len))) {
        complain("<stdin>: cannot read the rules: %s", strerror(errno ? errno : ENOMEM));
        return EXIT_INPUT;
    }
    if (from_stdin && len == 0) { /* a pipe whose writer failed: say that, not "no [[grade]]" */
        complain("<stdin>: standard input is empty: the rules (%s -) were to come on it", option);
        free(text);
        return EXIT_INPUT;
    }
    if (from_stdin) {
        rc = civic_rules_parse(rules, text, len, NULL, &err);
    } else if (path) {
        rc = civic_rules_load_file(rules, path, NULL, &err);
    } else {
        rc = civic_rules_default(rules, NULL);
    }
    if (rc != CIVIC_OK) {
        /* what the file is, when the library says (an event log, JSON):
         * its line and column, not its words on TOML before that */
        const char *what = rules_file_what(&err);
        if (from_stdin) path = "<stdin>";
        if (path && !from_stdin && rules_file_empty(path, &err))
            complain("%s: the rules file is empty (given with %s): a scheme needs at least one "
                     "[[grade]]", path, option);
        else if (path && what && err.line > 0)
            complain("%s: line %llu, column %u: %s%s", path, (unsigned long long)err.line,
                     err.column, what,
                     strncmp(what, "not a rules file: an event log", 30) == 0
                         ? ": the rules file is the one given with -r or --compare, the logs "
                           "come after the options"
                         : "");
        else {
            char words[CIVIC_ERROR_MESSAGE_SIZE], hint[ONE_DASH_HINT_BYTES] = "";
            char *equals = NULL;
            struct stat st;
            if ((one_dash_name || (short_form && path && path[0] == '=')) && path &&
                !from_stdin && stat(path, &st) != 0 && errno == ENOENT) {
                one_dash_hint(one_dash_name, hint);
                equals = short_form ? equals_hint(option[1], path) : NULL;
            }
            complain("%s: %s%s", path ? path : "built-in rules",
                     file_words(rc, &err, words, sizeof(words)), equals ? equals : hint);
            free(equals);
        }
        free(text);
        return EXIT_INPUT;
    }
    free(text);
    return 0;
}

/* --print-rules -r FILE: the scheme written back as a rules file. */
static int print_rules_text(const civic_rules *rules, FILE *out)
{
    size_t need = 0;
    civic_rules_to_toml(rules, NULL, 0, &need);
    char *buf = malloc(need + 1);
    if (!buf || civic_rules_to_toml(rules, buf, need + 1, NULL) != CIVIC_OK) {
        free(buf);
        fprintf(stderr, "civic-score: out of memory\n");
        return EXIT_INPUT;
    }
    fputs(buf, out);
    free(buf);
    return 0;
}

static int run_report(const civic_engine *e, const options *o, int64_t as_of, FILE *out)
{
    report_options ro = { o->groups >= 0 ? (uint32_t)o->groups : 1u,
                          o->min_group ? o->min_group : REPORT_MIN_GROUP_DEFAULT, NULL };
    answers_sink sink = answers_file_sink(out);
    int rc = report_html(&sink, e, as_of, &ro);
    if (rc != CIVIC_OK) {
        query_error(rc, SUMS_EITHER, e, NULL, NULL, as_of);
        return EXIT_INPUT;
    }
    return 0;
}

/* Whether --list's name is a flag or a measure of the scheme: told before
 * any input is read, as a bad -t is. */
static bool names_a_list(const civic_rules *rules, const char *name)
{
    for (size_t f = 0; f < civic_rules_flag_count(rules); f++)
        if (strcmp(civic_rules_flag_name(rules, f), name) == 0) return true;
    for (size_t m = 0; m < civic_rules_measure_count(rules); m++)
        if (strcmp(civic_rules_measure_code(rules, m), name) == 0) return true;
    return false;
}

/* What a -t of no form most likely is where the library's hint says
 * nothing (lib/event.c gives those of any ts, a date with a zone after it
 * included; "now" is civic-score's own): "now" in other capitals or with
 * blanks around it (told as a ts's are: "it ends in a blank").  Into buf
 * (" (...)"), "" when none. */
static void as_of_hint(const char *text, char *buf, size_t size)
{
    size_t n = strlen(text), a = strspn(text, " \t"), b = n;
    buf[0] = '\0';
    while (b > a && is_blank(text[b - 1])) b--;
    if (b - a == 3 && strncasecmp(text + a, "now", 3) == 0) /* a ts's blanks in its words */
        snprintf(buf, size, " (%swrite now)", a == 0 && b == n ? ""
                 : a == 0 ? "it ends in a blank: " : b == n ? "it starts with a blank: "
                 : "blanks around it: ");
}

/* -t read under the scheme (its utc_offset): 0, or a usage error's status.
 * main reads it once the rules are read, before any input, so that a typo is
 * told at once, not after a large load (or a wait on standard input).  "now"
 * is left to run: the present moment once the input is read.  one_dash_name:
 * the long option whose name was typed with one dash, read as -t and its
 * value ("-top": -t "op"), said after the message; short_form: given as -t,
 * whose value "=2025-03-01" ("-t=2025-03-01") is told how -t takes one. */
static int parse_as_of(civic_engine *e, const char *text, const char *one_dash_name,
                       bool short_form, int64_t *as_of)
{
    if (strcmp(text, "now") == 0) return 0;
    civic_error err = CIVIC_ERROR_INIT;
    int prc = civic_rules_parse_time_ext(civic_engine_rules(e), text, strlen(text), as_of, &err);
    if (prc == CIVIC_OK) return 0;
    char dashes[ONE_DASH_HINT_BYTES];
    char *equals = short_form ? equals_hint('t', text) : NULL;
    const char *after = equals ? equals : one_dash_hint(one_dash_name, dashes);
    int rc = EXIT_USAGE;
    /* well formed: the instant is outside the calendar; the library's reason
     * after "out of range", which for 13 digits says they look like
     * milliseconds, as a log's ts is told */
    static const char range[] = "timestamp out of range";
    if (prc == CIVIC_E_LIMIT && strncmp(err.message, range, sizeof(range) - 1) == 0 &&
        !strchr(err.message, '%')) {
        char fmt[sizeof(err.message) + 32];
        snprintf(fmt, sizeof(fmt), "--as-of time '%%s' out of range%s%%s",
                 err.message + sizeof(range) - 1);
        rc = usage_error_hint(fmt, text, after);
    } else if (prc == CIVIC_E_LIMIT) {
        rc = usage_error_hint("--as-of time '%s' out of range (years 0001..9999 in UTC)%s", text,
                              after);
    } else if (prc == CIVIC_E_EVENT && strncmp(err.message, "bad timestamp", 13) != 0 &&
               !strchr(err.message, '%')) {
        /* Of the right form, but a day, an hour or an offset that does not
         * exist (2025-06-31): the reason, as a log's ts is told it. */
        char fmt[sizeof(err.message) + 32];
        snprintf(fmt, sizeof(fmt), "bad --as-of time '%%s': %s%%s", err.message);
        rc = usage_error_hint(fmt, text, after);
    } else {
        /* Of no form: our list of forms (with "now") in place of the
         * library's, which its first ')' ends, and what the text most likely
         * is where the library says it, as a log's ts is told it ("(the
         * seconds are required: write 2025-11-28T19:04:00)"), else where
         * as_of_hint does ("(write now)") */
        const char *hint = "";
        char own[160];
        if (prc == CIVIC_E_EVENT && strncmp(err.message, "bad timestamp", 13) == 0 &&
            strchr(err.message, ')'))
            hint = strchr(err.message, ')') + 1;
        if (!hint[0]) {
            as_of_hint(text, own, sizeof(own));
            hint = own;
        }
        complain("bad --as-of time '%s' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM], Unix seconds "
                 "or now)%s%s", text, hint, after);
        fputs("Try 'civic-score --help'.\n", stderr);
    }
    free(equals);
    return rc;
}

static bool same_but_case(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (unsigned char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/* For a subject with no events: " (the log has 'r0002 ', another subject:
 * mind the blanks)" when a subject that differs from it only by blanks
 * around it has some (a padded export), " (the log has 'r0002\u00a0',
 * another subject: it ends with U+00A0, a no-break space)" by another
 * space or a zero-width character (hints_name_unseen), else " (the log has 'r0007',
 * another subject: ids differ in capitals)" for one that differs only in
 * ASCII letters' case (an id typed by hand), else "".  Asked only then: it
 * lists every subject. */
static const char *padded_twin(const civic_engine *e, const char *id, int64_t as_of)
{
    static char said[CIVIC_ID_BYTES_MAX + HINTS_UNSEEN_WHY_BYTES + 80];
    char cased[sizeof(said)] = "";
    civic_result *res = NULL;
    size_t n = strlen(id);
    said[0] = '\0';
    if (n == 0 || civic_engine_subjects(e, as_of, &res) != CIVIC_OK) return said;
    for (size_t i = 0; i < civic_result_count(res) && !said[0]; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        if (civic_result_get(res, i, &s) != CIVIC_OK) continue;
        const char *t = s.subject;
        char why[HINTS_UNSEEN_WHY_BYTES], bare[CIVIC_ID_BYTES_MAX + 1];
        bool unseen = strlen(t) > n && maybe_unseen(t, strlen(t)) &&
                      hints_name_unseen(t, why, sizeof(why), bare, sizeof(bare)) &&
                      strcmp(bare, id) == 0;
        if (unseen && (strcmp(why, "has blanks around it") == 0 || strstr(why, "a blank")))
            snprintf(said, sizeof(said), " (the log has '%s', another subject: mind the "
                     "blanks)", t);
        else if (unseen) /* "begins with U+00A0, a no-break space" */
            snprintf(said, sizeof(said), " (the log has '%s', another subject: it %s)", t, why);
        else if (!cased[0] && strlen(t) == n && same_but_case(t, id, n))
            snprintf(cased, sizeof(cased), " (the log has '%s', another subject: ids differ "
                     "in capitals)", t);
    }
    civic_result_free(res);
    if (!said[0]) memcpy(said, cased, sizeof(said));
    return said;
}

static int run(const options *o, civic_engine *e, const civic_engine *next, FILE *out)
{
    const civic_rules *rules = civic_engine_rules(e);
    int64_t as_of = 0;
    bool none = false; /* no events, and no -t */
    if (o->as_of_text) {
        as_of = strcmp(o->as_of_text, "now") == 0 ? (int64_t)time(NULL) : o->as_of;
    } else if (civic_engine_time_range(e, NULL, &as_of) != CIVIC_OK) {
        as_of = 0; /* no events: nothing to score */
        none = true;
    }
    /* --compare: the two schemes may read a local ts as two instants (their
     * utc_offsets differ); by default the later, so both count every event */
    int64_t next_latest;
    if (next && !o->as_of_text && civic_engine_time_range(next, NULL, &next_latest) == CIVIC_OK) {
        none = false;
        if (next_latest > as_of) as_of = next_latest;
    }
    if (none) { /* the default of time 0, documented, is rarely meant (a notice dated 1970) */
        char when[40];
        format_time(rules, as_of, when, sizeof(when));
        complain("warning: no events and no -t: the answer is as of %s (Unix time 0); give -t",
                 when);
    }
    int rc, sums = SUMS_SUBJECT;
    if (next)
        return run_compare(e, next, o->format, o->changed != 0, as_of, current_scheme(o),
                           rules_shown(o->compare), out);
    if (o->format == FMT_HTML) return run_report(e, o, as_of, out);
    if (o->objections) return run_objections(e, o->format, as_of, out);
    if (o->list) {
        civic_list *list = NULL;
        rc = civic_engine_list(e, o->list, as_of, &list);
        if (rc == CIVIC_E_NOTFOUND) return unknown_list(civic_engine_rules(e), o->list);
        if (rc == CIVIC_OK) blank_warn_list(list);
        if (rc == CIVIC_OK) print_list(e, list, o->list, o->format, as_of, out);
        civic_list_free(list);
    } else if (o->explain) {
        civic_record *rec = NULL;
        rc = civic_engine_record(e, o->explain, as_of, &rec);
        if (rc == CIVIC_OK && civic_record_count(rec) == 0) {
            char when[40];
            civic_score sum = CIVIC_SCORE_INIT;
            civic_record_summary(rec, &sum);
            format_time(rules, as_of, when, sizeof(when));
            if (sum.archived)
                complain("warning: every entry of subject '%s' at %s is "
                         "archived (%" PRIu64 " entr%s; the score is the base)", o->explain,
                         when, sum.archived, sum.archived == 1 ? "y" : "ies");
            else
                complain("warning: subject '%s' has no events at or before %s "
                         "(the record is empty; the score is the base)%s", o->explain, when,
                         padded_twin(e, o->explain, as_of));
        }
        blank_ids b = { 0, "" };
        blank_note(&b, o->explain);
        if (rc == CIVIC_OK) blank_warn(&b);
        if (rc == CIVIC_OK) print_record(e, rec, o->format, o->detail != 0, as_of, out);
        civic_record_free(rec);
    } else if (o->groups >= 0 && o->top) { /* rankings: no group's sums */
        rc = print_group_ranks(e, (uint32_t)o->groups, o->format, as_of, o->top, out);
    } else if (o->groups >= 0) {
        civic_groups *g = NULL;
        sums = SUMS_EITHER;
        rc = civic_engine_groups(e, (uint32_t)o->groups, as_of, &g);
        if (rc == CIVIC_OK) print_groups(e, g, o->format, as_of, (unsigned)o->groups, out);
        civic_groups_free(g);
    } else {
        civic_result *res = NULL;
        rc = o->top ? civic_engine_rank(e, NULL, as_of, o->top, &res)
                    : civic_engine_subjects(e, as_of, &res);
        if (rc == CIVIC_OK) blank_warn_result(res);
        if (rc == CIVIC_OK) print_subjects(e, res, o->format, as_of, o->top != 0, out);
        civic_result_free(res);
    }
    if (rc != CIVIC_OK) {
        query_error(rc, sums, e, NULL, o->explain, as_of);
        return EXIT_INPUT;
    }
    return 0;
}

/* Where the CSV record starting at p[0..n) ends: past its line break (or n),
 * a line break inside a quoted field not ending it -- as the library reads
 * records (a quote opens a quoted field only at the start of a field). */
static size_t csv_record_end(const char *p, size_t n)
{
    bool in = false, field_start = true;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in) {
            if (c == '"') {
                if (i + 1 < n && p[i + 1] == '"') i++;
                else in = false;
            }
            continue;
        }
        if (c == '"' && field_start) in = true;
        else if (c == '\n') return i + 1;
        field_start = c == ',';
    }
    return n;
}

/* A copy of text[0..n) without the records starting on the given lines
 * (sorted): their bytes are dropped but their line breaks kept, so they
 * become blank lines, which a load skips, and every other record keeps its
 * line number.  *out_len gets the length; NULL when out of memory. */
static char *without_lines(const char *text, size_t n, bool csv, const line_set *drop,
                           size_t *out_len)
{
    char *out = malloc(n ? n : 1);
    if (!out) return NULL;
    size_t pos = 0, o = 0, k = 0;
    uint64_t line = 1;
    while (pos < n) {
        while (k < drop->n && drop->line[k] < line) k++;
        bool gone = k < drop->n && drop->line[k] == line;
        size_t end;
        if (gone && csv) {
            end = pos + csv_record_end(text + pos, n - pos);
        } else {
            const char *nl = memchr(text + pos, '\n', n - pos);
            end = nl ? (size_t)(nl - text) + 1 : n;
        }
        for (size_t i = pos; i < end; i++) {
            if (text[i] == '\n') {
                out[o++] = '\n';
                line++;
            } else if (!gone) {
                out[o++] = text[i];
            }
        }
        pos = end;
    }
    *out_len = o;
    return out;
}

/* A file's bytes in memory; NULL (errno set) when it cannot be read. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        char *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
        errno = EIO;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int new_engine(civic_rules *rules, civic_engine **out);

/* Into d (empty, sorted): the lines of a and b (sorted), with both (true) or
 * in one only (false).  False when out of memory. */
static bool line_set_merge(line_set *d, const line_set *a, const line_set *b, bool both)
{
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        uint64_t x = j == b->n || (i < a->n && a->line[i] <= b->line[j]) ? a->line[i] : b->line[j];
        bool in_a = i < a->n && a->line[i] == x, in_b = j < b->n && b->line[j] == x;
        i += in_a;
        j += in_b;
        if ((both || in_a != in_b) && !line_set_add(d, x)) return false;
    }
    return true;
}

/* d becomes d with the lines of add (all sorted); false when out of memory. */
static bool line_set_join(line_set *d, const line_set *add)
{
    line_set u = { NULL, 0, 0 };
    if (!line_set_merge(&u, d, add, true)) {
        free(u.line);
        return false;
    }
    free(d->line);
    *d = u;
    return true;
}

/* Report the held conflicts of r whose lines are in none of the skip sets
 * (reported for another reason, or already); the count goes to *skipped. */
static void report_held(const reject_log *r, const line_set *skip1, const line_set *skip2,
                        const line_set *only, uint64_t *skipped)
{
    for (size_t k = 0; k < r->conflict.n; k++) {
        uint64_t line = r->conflict.line[k];
        if (line_set_has(skip1, line) || (skip2 && line_set_has(skip2, line))) continue;
        if (only && !line_set_has(only, line)) continue;
        note_lost_report(complain("%s", r->held[k]));
        ++*skipped;
    }
}

/* --compare --lenient: a line bad under one scheme only is left out under
 * both, so the two columns score the same events, and the lines kept do not
 * depend on their order.  A line is bad in itself (an unknown type, a bad
 * field), or as a conflict with another line, which depends on what else was
 * kept: so the lines bad in themselves under either scheme are left out
 * first, and only then are conflicts judged among the lines that remain, as
 * a plain --lenient run of either scheme judges them (the earlier line of a
 * conflicting pair is kept).  The first load reports each side's lines bad in
 * themselves and holds back conflicts; when the two sides rejected other
 * lines, both engines are loaded again without the lines bad in themselves,
 * and conflicts are judged afresh (once more, rarely: a conflict under one
 * scheme only, two times that are one instant under one utc_offset only). */
static int load_compared_leniently(const options *o, civic_rules *rules,
                                   civic_rules *compare_rules, civic_engine **e, civic_engine **next,
                                   const char *const *bufs, const size_t *lens,
                                   bool show_progress, uint64_t *skipped)
{
    int status = 0, n = o->file_count;
    reject_log *now = calloc((size_t)n + 1, sizeof(*now)), *then = calloc((size_t)n + 1, sizeof(*then));
    line_set *drop = calloc((size_t)n + 1, sizeof(*drop)); /* left out under both */
    size_t *once = calloc((size_t)n + 1, sizeof(*once));   /* of those, bad under one only */
    bool oom = !now || !then || !drop || !once;
    if (oom) status = EXIT_INPUT;
    for (int pass = 0; status == 0; pass++) {
        if (pass > 0) {
            civic_engine_free(*e);
            civic_engine_free(*next);
            *e = *next = NULL;
            status = new_engine(rules, e);
            if (status == 0) status = new_engine(compare_rules, next);
        }
        for (int i = 0; status == 0 && i < n; i++) {
            const char *path = o->files[i];
            reject_log_free(&now[i]);
            reject_log_free(&then[i]);
            const char *data = bufs[i];
            size_t len = lens[i];
            char *raw = NULL, *kept = NULL;
            if (drop[i].n) { /* those lines blanked: every other keeps its number */
                raw = bufs[i] ? NULL : read_file(path, &len);
                const char *text = bufs[i] ? bufs[i] : raw;
                if (!text) {
                    complain("%s: cannot read: %s", path, strerror(errno));
                    status = EXIT_INPUT;
                    break;
                }
                uint32_t format = format_of_name(path);
                if (format == CIVIC_FORMAT_AUTO) format = log_format_of(text, len);
                kept = without_lines(text, len, format != CIVIC_FORMAT_JSONL, &drop[i], &len);
                free(raw);
                if (!kept) {
                    oom = true;
                    status = EXIT_INPUT;
                    break;
                }
                data = kept;
            }
            bool show = show_progress && pass == 0;
            status = load_input(*e, path, current_scheme(o), data, len, true, show, skipped,
                                &now[i], false, NULL, NULL);
            if (status == 0)
                status = load_input(*next, path, rules_shown(o->compare), data, len, true, show,
                                    skipped, &then[i], false, &now[i].own, NULL);
            free(kept);
        }
        if (status != 0) break;
        /* the same lines rejected on both sides: both engines hold the same events */
        bool differ = false, own_differ = false;
        for (int i = 0; i < n; i++) {
            line_set a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
            if (!line_set_merge(&a, &now[i].own, &now[i].conflict, true) ||
                !line_set_merge(&b, &then[i].own, &then[i].conflict, true))
                oom = true;
            differ = differ || !line_set_equal(&a, &b);
            own_differ = own_differ || !line_set_equal(&now[i].own, &then[i].own);
            free(a.line);
            free(b.line);
        }
        if (oom) {
            status = EXIT_INPUT;
            break;
        }
        for (int i = 0; i < n; i++) {
            line_set one = { NULL, 0, 0 };
            if (!differ || own_differ) {
                /* lines bad in themselves under one scheme only */
                if (!line_set_merge(&one, &now[i].own, &then[i].own, false)) oom = true;
                once[i] += one.n;
                if (!differ) { /* the last load: its conflicts stand */
                    report_held(&now[i], &then[i].own, NULL, NULL, skipped);
                    report_held(&then[i], &now[i].own, &now[i].conflict, NULL, skipped);
                }
            } else {
                /* conflicts under one scheme only: final, reported now */
                if (!line_set_merge(&one, &now[i].conflict, &then[i].conflict, false)) oom = true;
                report_held(&now[i], &then[i].conflict, NULL, &one, skipped);
                report_held(&then[i], &now[i].conflict, NULL, &one, skipped);
                once[i] += one.n;
                if (!line_set_join(&drop[i], &one)) oom = true;
            }
            free(one.line);
            if (differ && (!line_set_join(&drop[i], &now[i].own) ||
                           !line_set_join(&drop[i], &then[i].own)))
                oom = true;
            if (!differ && once[i])
                note_lost_report(complain("%s: %zu line%s bad under one scheme only %s left "
                                          "out under both",
                                          strcmp(o->files[i], "-") == 0 ? "<stdin>" : o->files[i],
                                          once[i], once[i] == 1 ? "" : "s",
                                          once[i] == 1 ? "is" : "are"));
        }
        if (oom) status = EXIT_INPUT;
        if (!differ) break;
    }
    for (int i = 0; now && then && drop && i < n; i++) {
        reject_log_free(&now[i]);
        reject_log_free(&then[i]);
        free(drop[i].line);
    }
    if (oom) fprintf(stderr, "civic-score: out of memory\n");
    free(now);
    free(then);
    free(drop);
    free(once);
    return status;
}

/* Whether a named input can be read only once (a pipe, a FIFO, /dev/stdin,
 * a device): --compare, which loads every input under both schemes, reads
 * such an input into memory first, as it does standard input. */
static bool read_once(const char *path)
{
    struct stat st;
    if (strcmp(path, "-") == 0) return true;
    return stat(path, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) ||
                                    S_ISSOCK(st.st_mode));
}

/* Load every input file into e (and into next, for --compare), the engines
 * of rules and compare_rules (NULL without --compare). */
static int load_all(const options *o, civic_rules *rules, civic_rules *compare_rules,
                    civic_engine **e, civic_engine **next, uint64_t *skipped)
{
    int n = o->file_count, status = 0;
    for (int i = 0; stdin_closed && i < n; i++) { /* "-" finds out when it reads */
        const char *f = o->files[i];
        if (names_stdin_fd(f)) {
            complain("%s: cannot read: %s", f, strerror(EBADF));
            return EXIT_INPUT;
        }
    }
    char **bufs = calloc((size_t)n + 1, sizeof(*bufs));
    size_t *lens = calloc((size_t)n + 1, sizeof(*lens));
    bool show_progress = isatty(STDERR_FILENO) != 0;
    if (!bufs || !lens) {
        fprintf(stderr, "civic-score: out of memory\n");
        status = EXIT_INPUT;
    }
    for (int i = 0; status == 0 && *next && i < n; i++) {
        const char *path = o->files[i];
        if (!read_once(path)) continue;
        bool std = strcmp(path, "-") == 0; /* named once at most (parse_options) */
        if (std) terminal_note(STDIN_FILENO);
        char *text = std ? read_stdin(&lens[i]) : read_file(path, &lens[i]);
        if (!text) {
            complain("%s: cannot read: %s", std ? "<stdin>" : path,
                     strerror(errno));
            status = EXIT_INPUT;
            break;
        }
        bufs[i] = text;
        const char *what = not_a_log((const unsigned char *)text, lens[i] < 4096 ? lens[i] : 4096,
                                     std ? CIVIC_FORMAT_AUTO : format_of_name(path));
        if (what) {
            complain("%s: not an event log: %s", std ? "<stdin>" : path,
                     what);
            status = EXIT_INPUT;
        } else { /* read once: its header looked at here, not by a load */
            warn_header(std ? "<stdin>" : path, (const unsigned char *)text, lens[i], true,
                        std ? CIVIC_FORMAT_AUTO : format_of_name(path));
        }
    }
    /* the inputs that brought the earliest ts, when early, and the latest,
     * when late */
    const char *early = NULL, *late = NULL;
    int64_t early_ts = 0, late_ts = 0;
    if (status == 0 && *next && o->lenient) {
        status = load_compared_leniently(o, rules, compare_rules, e, next,
                                         (const char *const *)bufs, lens, show_progress, skipped);
        if (o->file_count == 1) early = late = o->files[0]; /* else none named */
    } else {
        for (int i = 0; status == 0 && i < n; i++) {
            /* --compare: a file bad under either scheme is named by its first
             * bad line, whichever scheme refuses it (a line one scheme
             * refuses can make a later one a conflict under the other) */
            failure now = { NULL, 0 }, then = { NULL, 0 };
            status = load_input(*e, o->files[i], current_scheme(o), bufs[i], lens[i],
                                o->lenient != 0, show_progress, skipped, NULL, false, NULL,
                                *next ? &now : NULL);
            int later = *next ? load_input(*next, o->files[i], rules_shown(o->compare), bufs[i],
                                           lens[i], o->lenient != 0, show_progress, skipped, NULL,
                                           false, NULL, &then)
                              : 0;
            if (status == 0) status = later;
            const failure *f = !then.text ? &now : !now.text ? &then
                             : then.line && then.line < now.line ? &then : &now;
            if (f->text) complain("%s", f->text); /* else said already (no memory to hold it) */
            free(now.text);
            free(then.text);
            /* the earliest and latest so far: of this input when it is
             * earlier (later) */
            int64_t first, last;
            if (status != 0 || civic_engine_time_range(*e, &first, &last) != CIVIC_OK) continue;
            if (first < HINTS_SMALL_SECONDS && (!early || first < early_ts)) {
                early = o->files[i];
                early_ts = first;
            }
            if (last >= HINTS_LATE_SECONDS && (!late || last > late_ts)) {
                late = o->files[i];
                late_ts = last;
            }
        }
    }
    if (status == 0)
        warn_ts(*e, early ? rules_shown(early) : NULL, late ? rules_shown(late) : NULL);
    for (int i = 0; bufs && i < n; i++) free(bufs[i]);
    free(bufs);
    free(lens);
    return status;
}

/* An engine of rules (it takes its own reference: rules stay the caller's). */
static int new_engine(civic_rules *rules, civic_engine **out)
{
    if (civic_engine_new(out, rules, NULL) != CIVIC_OK) {
        fprintf(stderr, "civic-score: out of memory\n");
        return EXIT_INPUT;
    }
    return 0;
}

/* A descriptor 0, 1 or 2 the caller closed is held open on /dev/null the
 * wrong way round (standard input for writing, output and error for
 * reading): reading or writing it still fails (EBADF) and is reported as
 * before, and no file or pipe opened later takes its place (the input's
 * pipe became descriptor 0 and its thread read its own bytes back). */
static void hold_closed_standard_descriptors(void)
{
    for (int fd = 0; fd <= 2; fd++)
        if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            (void)open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY); /* the lowest free: fd */
            stdin_closed = stdin_closed || fd == 0;
        }
}

int main(int argc, char **argv)
{
    hold_closed_standard_descriptors();
    options o;
    memset(&o, 0, sizeof(o));
    static char out_buf[1 << 16];
    setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
    signal(SIGPIPE, SIG_IGN); /* a load that stops early closes the stdin pipe */
    signal(SIGXFSZ, SIG_IGN); /* past ulimit -f a write fails (EFBIG) and is reported */
    int status = parse_options(argc, argv, &o);
    civic_engine *e = NULL, *next = NULL;
    civic_rules *rules = NULL, *compare_rules = NULL; /* each read once */
    uint64_t skipped = 0;
    if (status == 0)
        status = load_rules(o.rules_path, o.rules_short ? "-r" : "--rules", o.rules_one_dash,
                            o.rules_short, &rules);
    if (status == 0) warn_keys_ignored = civic_rules_spec_version(rules) < 2;
    if (status == 0 && o.rules_path) warn_scheme(rules, o.rules_path);
    if (status == 0) status = new_engine(rules, &e);
    /* the only check-only mode: what the rules' warnings say, on standard
     * error (standard output is the scheme alone) */
    if (status == 0 && o.print_rules) warn_print();
    if (status == 0 && o.print_rules) status = print_rules_text(civic_engine_rules(e), stdout) ? EXIT_INPUT : 100;
    if (status == 0 && o.compare)
        status = load_rules(o.compare, "--compare", NULL, false, &compare_rules);
    if (status == 0 && o.compare) warn_scheme(compare_rules, o.compare);
    if (status == 0 && o.compare) status = new_engine(compare_rules, &next);
    /* A file that is not an event log is told first (as the Dask example
     * does), then a bad -t, both before any input is read */
    for (int i = 0; status == 0 && i < o.file_count; i++) {
        struct stat st;
        if (strcmp(o.files[i], "-") != 0 && stat(o.files[i], &st) == 0 && S_ISREG(st.st_mode))
            status = check_binary_file(o.files[i]);
    }
    if (status == 0 && o.as_of_text)
        status = parse_as_of(e, o.as_of_text, o.as_of_one_dash, o.as_of_short, &o.as_of);
    if (status == 0 && o.as_of_text) warn_as_of(civic_engine_rules(e), o.as_of_text);
    if (status == 0 && o.list && !names_a_list(civic_engine_rules(e), o.list))
        status = unknown_list(civic_engine_rules(e), o.list);
    if (status == 0) status = load_all(&o, rules, compare_rules, &e, &next, &skipped);
    /* a skipped line whose report was lost: no answer, as if it had failed */
    if (status == 0 && lost_report_errno) status = lost_report();
    if (status == 0) warn_print(); /* after the load, before the answer */
    /* SIGPIPE stays ignored while the answer is made: a warning to a
     * standard error whose reader left must not end the run before its
     * answer is written; a reader of the answer that left is found below */
    if (status == 0) status = run(&o, e, next, stdout);
    /* A write that failed where the answer crossed stdout's buffer lost
     * that buffer's bytes, and a final fflush of nothing succeeds: the
     * error flag tells it, and errno, which nothing since has set, why */
    int out_errno = errno;
    /* After the answer, a count of lines each of which was reported before
     * it (or the run failed there): losing it loses no record of input, and
     * must not fail a run whose answer is printed, part of it perhaps
     * already written. */
    if (skipped)
        (void)complain("%" PRIu64 " bad line%s skipped", skipped, skipped == 1 ? "" : "s");
    civic_engine_free(e);
    civic_engine_free(next);
    civic_rules_free(rules);
    civic_rules_free(compare_rules);
    free(o.files);
    if (status != 0 && status != 100) { /* failed: nothing of an answer on standard output */
        fflush(stderr);
        _exit(status);
    }
    bool lost = ferror(stdout) != 0;
    if (fflush(stdout) != 0 || lost) {
        int why = lost ? out_errno : errno;
        if (why == EPIPE) { /* the reader left (| head): end as any filter does, quietly */
            signal(SIGPIPE, SIG_DFL);
            raise(SIGPIPE);
        }
        if (lost && fcntl(STDOUT_FILENO, F_GETFL) == -1) why = errno; /* closed: EBADF */
        complain("cannot write output: %s", why ? strerror(why) : "a write failed");
        status = EXIT_INPUT;
    }
    return status == 100 ? 0 : status;
}
