/*
** report.c -- the public notice page (see report.h).  Uses only the public
** API in civic.h and the sink of answers.h.  Allocates little beyond the
** library's answer objects (small tables, and for the posted entries an
** engine of one resident's events at a time); every text from the scheme
** or the events is HTML-escaped.
*/
#include "report.h"
#include "shown.h"
#include "width.h" /* width_zero: the marks that stack (stacked_mark) */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ writing */

static void put(const answers_sink *out, const char *s) { out->write(out->ctx, s, strlen(s)); }

static void putf(const answers_sink *out, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void putf(const answers_sink *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0) out->write(out->ctx, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The explicit direction controls of Unicode, as UTF-8 after the lead byte
 * 0xE2: 0 when the three bytes at p are none of them, 'e' for an embedding or
 * override (U+202A, B, D, E), 'p' for its end (U+202C), 'i' for an isolate
 * (U+2066..8), 'q' for its end (U+2069). */
static int direction_control(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] != 0xe2) return 0;
    if (u[1] == 0x80 && u[2] >= 0xaa && u[2] <= 0xae) return u[2] == 0xac ? 'p' : 'e';
    if (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9) return u[2] == 0xa9 ? 'q' : 'i';
    return 0;
}

/* The bytes of the noncharacter at p (U+FDD0..U+FDEF, or U+xFFFE and
 * U+xFFFF of any plane), or 0: valid UTF-8 that HTML forbids in a page. */
static size_t noncharacter(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    if (u[0] == 0xef && u[1] == 0xb7 && u[2] >= 0x90 && u[2] <= 0xaf) return 3;
    if (u[0] == 0xef && u[1] == 0xbf && (u[2] == 0xbe || u[2] == 0xbf)) return 3;
    if (u[0] >= 0xf0 && u[0] <= 0xf4 && u[1] && (u[1] & 0x0f) == 0x0f && u[2] == 0xbf &&
        (u[3] == 0xbe || u[3] == 0xbf))
        return 4;
    return 0;
}

/* The code point of the UTF-8 character at p (a lead byte of two to four),
 * *len its bytes; 0 with *len 1 for a byte that begins none (the library
 * keeps only valid UTF-8: never, but a page written from it stays sound). */
static uint32_t code_point(const char *p, size_t *len)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t n = u[0] >= 0xc2 && u[0] <= 0xdf ? 2 : u[0] >= 0xe0 && u[0] <= 0xef ? 3
             : u[0] >= 0xf0 && u[0] <= 0xf4 ? 4 : 0;
    uint32_t cp = n ? (uint32_t)(u[0] & (0xff >> (n + 1))) : 0;
    for (size_t k = 1; k < n; k++) {
        if ((u[k] & 0xc0) != 0x80) n = 0;
        if (!n) break;
        cp = (cp << 6) | (u[k] & 0x3fu);
    }
    *len = n ? n : 1;
    return n ? cp : 0;
}

/* Text into HTML, escaped.  A noncharacter or a control character (but tab
 * and line feed), which a page may not hold, is shown as U+FFFD; in an
 * attribute's value a noncharacter is a character reference (&#xfffe;),
 * which HTML keeps as that code point, so data-subject holds the id
 * exactly.  Displayed (display: element content, not an attribute's value),
 * a text that opens a direction override or isolate (a scheme's text with
 * U+202E, say) gets it closed at its end, so it cannot turn the page's own
 * words after it around; openers past DIRECTION_DEPTH are left out.  A name
 * (a resident's id, a group: what tells two people apart on a list) shows
 * every character shown.h escapes (the one predicate of civic-score's
 * table: bidi controls, joiners, spaces but U+0020, tags, noncharacters ...)
 * as its escape (\u200d), and a backslash as \\, each in a span of class
 * "esc" (a style of its own), so that two names that differ never read
 * alike; the scheme's own texts keep theirs (a soft hyphen is typography
 * there).  A name's combining marks past MARKS_STACKED on one character are
 * escapes too (the page's alone, not the table's): piled up they were drawn
 * over the rows around, hiding them and themselves. */
enum { AS_ATTRIBUTE, AS_TEXT, AS_NAME };
#define DIRECTION_DEPTH 128

/* The combining marks a name may stack on one character before the next is
 * shown as its escape (SPEC 11.5): Vietnamese, Hebrew with niqqud, Arabic
 * with harakat, Thai, Tibetan stacks use up to 3; "Z" with 29 more drew
 * them over the rows below. */
#define MARKS_STACKED 3

/* Whether cp is a mark drawn on the character before it (a combining or an
 * enclosing mark: no cell of its own in width.h's table), not one of the
 * conjoining Hangul jamo that table also holds (they join into a syllable
 * beside one another, not on top). */
static bool stacked_mark(uint32_t cp)
{
    if ((cp >= 0x1160 && cp <= 0x11ff) || (cp >= 0xd7b0 && cp <= 0xd7ff)) return false;
    return shown_in_ranges(width_zero, sizeof(width_zero) / sizeof(width_zero[0]), cp);
}
static void escaped(const answers_sink *out, const char *s, int mode)
{
    bool display = mode != AS_ATTRIBUTE;
    const char *run = s ? s : "";
    const char *p = run, *first = run;
    char open[DIRECTION_DEPTH]; /* 'e' or 'i', innermost last */
    size_t depth = 0;
    unsigned marks = 0; /* the marks on the last character of a name so far */
    for (; *p; p++) {
        const char *rep = NULL;
        size_t skip = 1;
        char esc[SHOWN_ESCAPE_BYTES];
        uint32_t cp = mode == AS_NAME && (unsigned char)*p >= 0xc2 ? code_point(p, &skip) : 0;
        bool piled = false; /* a mark past MARKS_STACKED on one character */
        if (mode == AS_NAME && ((unsigned char)*p & 0xc0) != 0x80 && !shown_escaped(cp)) {
            /* counted at a character's first byte; an escaped character is
             * no base for the marks after it */
            if (cp && stacked_mark(cp)) piled = ++marks > MARKS_STACKED;
            else marks = 0;
        }
        /* a blank HTML would fold away: at a name's start or end, or after
         * another ("  r1" read as "r1", " " as an empty cell) */
        bool folded = mode == AS_NAME && *p == ' ' &&
                      (p == first || p[1] == '\0' || p[-1] == ' ');
        if (piled || folded || shown_escaped(cp) || (mode == AS_NAME && *p == '\\')) {
            if (*p == '\\') snprintf(esc, sizeof(esc), "\\\\");
            else shown_escape(folded ? ' ' : cp, esc);
            out->write(out->ctx, run, (size_t)(p - run));
            put(out, "<span class=\"esc\">");
            put(out, esc);
            put(out, "</span>");
            p += skip - 1;
            run = p + 1;
            continue;
        }
        skip = 1;
        switch (*p) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case '\xef': case '\xf0': case '\xf1': case '\xf2': case '\xf3': case '\xf4':
            skip = noncharacter(p);
            if (!skip) continue;
            rep = "\xef\xbf\xbd";
            if (!display) {
                size_t n;
                snprintf(esc, sizeof(esc), "&#x%x;", (unsigned)code_point(p, &n));
                rep = esc;
            }
            break;
        case '\xe2': {
            int c = display ? direction_control(p) : 0;
            if (c == 'e' || c == 'i') {
                if (depth < DIRECTION_DEPTH) {
                    open[depth++] = (char)c;
                    p += 2;
                    continue;
                }
                rep = ""; /* one too deep to be closed: dropped */
                skip = 3;
            } else if (c == 'p') {
                if (depth && open[depth - 1] == 'e') depth--;
            } else if (c == 'q') {
                size_t d = depth;
                while (d && open[d - 1] != 'i') d--;
                if (d) depth = d - 1;
            }
            if (!rep) {
                p += c ? 2 : 0;
                continue;
            }
            break;
        }
        case '\xc2': /* a C1 control, which HTML forbids (a scheme's name may hold one) */
            if ((unsigned char)p[1] < 0x80 || (unsigned char)p[1] >= 0xa0) continue;
            rep = "\xef\xbf\xbd";
            skip = 2;
            break;
        default:
            if (((unsigned char)*p >= 0x20 && *p != 0x7f) || *p == '\t' || *p == '\n') continue;
            rep = "\xef\xbf\xbd"; /* C0 and DEL, likewise */
            break;
        }
        out->write(out->ctx, run, (size_t)(p - run));
        put(out, rep);
        p += skip - 1;
        run = p + 1;
    }
    out->write(out->ctx, run, (size_t)(p - run));
    while (depth) put(out, open[--depth] == 'e' ? "\xe2\x80\xac" : "\xe2\x81\xa9");
}

static void text(const answers_sink *out, const char *s) { escaped(out, s, AS_TEXT); }

/* A resident's id or a group, displayed (see escaped). */
static void name_text(const answers_sink *out, const char *s) { escaped(out, s, AS_NAME); }

/* An attribute's value: the text exactly (escaped), its direction controls
 * too.  Not shown, it turns nothing around, and a reader of the page's
 * data-* attributes finds the ids of the log. */
static void attr(const answers_sink *out, const char *s) { escaped(out, s, AS_ATTRIBUTE); }

/* A text of the rules or the events as it is shown: isolated in a <bdi>
 * (SPEC 11.5), so that a right-to-left name keeps its brackets and digits
 * where its writer put them and does not reorder the page's own words. */
static void shown(const answers_sink *out, const char *s)
{
    put(out, "<bdi>");
    text(out, s);
    put(out, "</bdi>");
}

/* A name in a cell with the punctuation around it: in a cell a name is a
 * box of its own (see style), and a line may break on either side of a box;
 * here the box is the span, "(" and ")" or ":" in it beside the name. */
static void shown_glued(const answers_sink *out, const char *before, const char *s,
                        const char *after)
{
    put(out, "<span class=\"nm\">");
    put(out, before);
    shown(out, s);
    put(out, after);
    put(out, "</span>");
}

/* A text of the rules shown in the page's <title>, which holds no markup:
 * isolated as shown isolates it, by U+2068 FIRST STRONG ISOLATE and U+2069
 * POP DIRECTIONAL ISOLATE (a right-to-left name ending in "!" kept it at
 * its end in the <h1> but not in the window's title). */
static void title_shown(const answers_sink *out, const char *s)
{
    put(out, "\xe2\x81\xa8");
    text(out, s);
    put(out, "\xe2\x81\xa9");
}

/* A resident's id or a group, displayed and isolated. */
static void shown_name(const answers_sink *out, const char *s)
{
    put(out, "<bdi>");
    name_text(out, s);
    put(out, "</bdi>");
}

static void fixed(const answers_sink *out, int64_t v, unsigned places)
{
    char buf[32];
    civic_format_fixed(v, places, buf, sizeof(buf));
    put(out, buf);
}

/* A fixed-point value without the trailing zeros of its fraction ("100",
 * "2.5"): a tier's threshold of a quantity reads better so (one of points
 * has its two decimals, as every figure of points). */
static void trimmed(const answers_sink *out, int64_t v, unsigned places)
{
    char buf[32];
    civic_format_fixed(v, places, buf, sizeof(buf));
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf);
        while (end > dot + 1 && end[-1] == '0') end--;
        if (end == dot + 1) end = dot;
        *end = '\0';
    }
    put(out, buf);
}

static void when(const answers_sink *out, const civic_rules *r, int64_t t)
{
    char buf[40];
    if (t == CIVIC_FOREVER) /* as the Object before column says it ("open" read as */
        snprintf(buf, sizeof(buf), "no end"); /* open to objections, or to what?) */
    else if (t > CIVIC_TIME_MAX) /* a stretch added past the last time the engine keeps: */
        snprintf(buf, sizeof(buf), "after year 9999"); /* no as-of reaches it */
    else if (civic_rules_format_time(r, t, buf, sizeof(buf)) != CIVIC_OK)
        snprintf(buf, sizeof(buf), "%" PRId64, t);
    else {
        /* The date is what a notice board shows (year 10000 too), and the
         * local time of day when it is not midnight: "until 2024-01-01"
         * would not say whether the day is still in the stretch. */
        char *tee = strchr(buf, 'T');
        bool midnight = strncmp(tee + 1, "00:00:00", 8) == 0;
        bool whole_minute = strncmp(tee + 7, "00", 2) == 0;
        if (midnight) {
            *tee = '\0';
        } else {
            *tee = ' ';
            tee[whole_minute ? 6 : 9] = '\0';
        }
    }
    put(out, buf);
}

/* A date (and its time of day) among words, in a cell whose words wrap: a
 * box of its own that a line never breaks (SPEC 11.5: dates are never
 * split; a line may otherwise break after a hyphen, "2026-03-", and at the
 * space before the time). */
static void when_unsplit(const answers_sink *out, const civic_rules *r, int64_t t)
{
    put(out, "<span class=\"d\">");
    when(out, r, t);
    put(out, "</span>");
}

/* A duration of the rules file in words.  kind: 'n' for N days, months or
 * years ("30d"), 'e' for the end of a calendar period ("end-of-quarter"),
 * 'f' for "forever", 0 for anything else (shown as written). */
typedef struct span {
    int kind;
    unsigned long long n;
    const char *unit; /* "day", "month", "quarter" or "year" */
} span;

static span span_of(const char *d)
{
    span x = { 0, 0, NULL };
    if (!d) return x;
    if (strcmp(d, "forever") == 0) x.kind = 'f';
    else if (strncmp(d, "end-of-", 7) == 0) {
        x.kind = 'e';
        x.unit = d + 7;
    } else if (d[0] >= '1' && d[0] <= '9') {
        const char *p = d;
        while (*p >= '0' && *p <= '9' && x.n < 100000000ull) x.n = x.n * 10 + (unsigned)(*p++ - '0');
        x.unit = *p == 'd' ? "day" : *p == 'm' ? "month" : *p == 'y' ? "year" : NULL;
        if (x.unit && p[1] == '\0') x.kind = 'n';
    }
    return x;
}

/* Days from 1970-01-01 to y-m-d, and back (proleptic Gregorian; H. Hinnant's
 * algorithms, as the library's): a page works out when an entry's objections
 * close as the library does. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The first day of the k-th month after January of year y (k = 0: that
 * January), as days from 1970-01-01. */
static int64_t month_start(int64_t y, int64_t k)
{
    int64_t total = y * 12 + k, year = floor_div(total, 12);
    return days_from_civil(year, (unsigned)(total - year * 12) + 1, 1);
}

/* "30 days", "1 month", "the end of the quarter"; anything else as written. */
static void span_put(const answers_sink *out, const char *d)
{
    span x = span_of(d);
    if (x.kind == 'n') putf(out, "%llu %s%s", x.n, x.unit, x.n == 1 ? "" : "s");
    else if (x.kind == 'e') {
        put(out, "the end of the ");
        text(out, x.unit);
    } else text(out, d);
}

/* When the objections to an entry dated ts close: ts plus the scheme's
 * objection_window w, worked out as the library works out every "ts plus a
 * duration": N days are N times 24 hours; N months or years end at the same
 * local time of day on the same day of the month, or on the month's last day
 * when it is shorter; the end of a month, quarter or year is the local
 * midnight that starts the next one.  An objection at that instant or later
 * is late.  CIVIC_FOREVER for a window that never closes (or one this page
 * cannot read). */
static int64_t objections_close(const span *w, int64_t ts, int32_t offset)
{
    if (w->kind == 'n' && w->unit[0] == 'd') return ts + (int64_t)w->n * 86400;
    int64_t days = floor_div(ts + offset, 86400), y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    if (w->kind == 'n') {
        int64_t k = m - 1 + (int64_t)w->n * (w->unit[0] == 'y' ? 12 : 1);
        int64_t first = month_start(y, k), length = month_start(y, k + 1) - first;
        int64_t time_of_day = ts + offset - days * 86400;
        return (first + ((int64_t)d < length ? d : length) - 1) * 86400 + time_of_day - offset;
    }
    int per = w->kind != 'e' ? 0 : strcmp(w->unit, "month") == 0 ? 1
            : strcmp(w->unit, "quarter") == 0 ? 3 : strcmp(w->unit, "year") == 0 ? 12 : 0;
    if (!per) return CIVIC_FOREVER;
    int64_t k = floor_div(m - 1, per) * per + per;
    return month_start(y, k) * 86400 - offset;
}

/* How long an entry counts: "2 years", "to the end of the year", "forever". */
static void valid_put(const answers_sink *out, const char *d)
{
    if (d && strcmp(d, "by-severity") == 0) put(out, "by severity");
    else {
        put(out, span_of(d).kind == 'e' ? "to " : "");
        span_put(out, d);
    }
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK SC',"
    "sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#111;line-height:1.4}"
    "h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;border-bottom:2px solid #333;"
    "margin-top:2rem}h3{font-size:1rem;margin:1.2rem 0 .3rem}"
    ".meta{color:#444}.wrap{overflow-x:auto}"
    "table{border-collapse:collapse;margin:.3rem 0 1rem;font-size:.9rem}"
    "th,td{border:1px solid #999;padding:.2rem .45rem;text-align:left;vertical-align:top}"
    "small{color:#555}"
    "th{background:#eee}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    /* SPEC 11.5: points and dates are never split (a points cell's note
     * wraps); a name in a cell is one box as wide as its longest word, at
     * most 15em, and a longer word wraps inside it: the table stays as
     * narrow as its ordinary words allow, and nothing else is cut. */
    "td.n,td.d,td .d{white-space:nowrap}td.n small{white-space:normal}"
    "td bdi,td .nm{display:inline-block;vertical-align:top;max-width:min(15em,60vw);"
    "overflow-wrap:break-word}"
    "td .nm bdi{display:inline}"
    /* a note under a cell's first line ("flag red_list" under a posted
     * entry's rule) is a box of its own, of lines of its size: a name's box
     * in it, aligned to the top of its line, then stands on the note's line
     * (in the cell's taller line it stood raised, as a superscript), and a
     * long name that wraps still begins beside its label */
    "td small{display:inline-block;vertical-align:top}"
    /* a name's marks (stacked on one character, MARKS_STACKED at most: see
     * escaped) stay in its own cell or heading, never over a neighbour's */
    "td.id,.group h3{overflow:hidden}"
    ".groups{display:flex;flex-wrap:wrap;gap:1rem}"
    ".group{border:1px solid #bbb;border-radius:4px;padding:.5rem;flex:1 1 18rem;min-width:0}"
    ".small{color:#555;font-style:italic}svg{max-width:100%;height:auto}"
    ".chart{margin:.3rem 0 0;max-width:30rem}.bars{display:grid;grid-template-columns:fit-content(50%) "
    "minmax(3rem,1fr) auto;gap:.3rem .5rem;align-items:center;font-size:.85rem}"
    ".bars svg{display:block;width:100%;height:16px}.gl{overflow-wrap:anywhere}"
    ".gc{text-align:right;font-variant-numeric:tabular-nums}"
    /* an escape in a name (\\u200d: see escaped) is not the name's own text;
     * it reads left to right, isolated, inside a right-to-left name too (a
     * Hebrew id's showed back to front, its backslash at its right end) */
    ".esc{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.85em;color:#8a1c00;"
    "background:#f1f1f1;border-radius:2px;padding:0 .08em;direction:ltr;unicode-bidi:isolate}"
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}.incentive{color:#064}.restriction{color:#8a1c00}"
    "footer{margin-top:2rem;font-size:.8rem;color:#555}"
    "h1,h2,h3,p,li,figcaption,.id{overflow-wrap:anywhere}"
    "@media print{body{max-width:none;font-size:9pt}.group{break-inside:avoid}"
    "td bdi,td .nm{max-width:14em}"
    ".wrap{overflow:visible}table{font-size:8pt}"
    "h2,h3{break-after:avoid}a{color:inherit}}";

/* A table, in a box that scrolls it on its own and that a keyboard reaches
 * (tabindex) to scroll it: the box a region and the table both named for a
 * screen reader by the heading they stand under (heading: its id), or by
 * label where no heading names them alone; its header cells column headers.
 * Nothing a sighted reader sees changes (a caption would be a second title,
 * printed too).  data="key": the table's data-table or data-list; the
 * header row, cols, ends at NULL. */
/* The end of a start tag: its name for a screen reader (see table_open). */
static void aria_name(const answers_sink *out, const char *heading, const char *label)
{
    put(out, heading ? " aria-labelledby=\"" : " aria-label=\"");
    attr(out, heading ? heading : label);
    put(out, "\">");
}

static void table_open(const answers_sink *out, const char *heading, const char *label,
                       const char *data, const char *key, const char *const *cols)
{
    put(out, "<div class=\"wrap\" tabindex=\"0\" role=\"region\"");
    aria_name(out, heading, label);
    putf(out, "<table %s=\"", data);
    attr(out, key);
    put(out, "\"");
    aria_name(out, heading, label);
    put(out, "<thead><tr>");
    for (; *cols; cols++) {
        put(out, "<th scope=\"col\">");
        put(out, *cols);
        put(out, "</th>");
    }
    put(out, "</tr></thead>\n");
}

/* ------------------------------------------------------------ the scheme */

static void scheme_overview(const answers_sink *out, const civic_rules *r)
{
    put(out, "<h2 id=\"scheme\">The scheme</h2>\n<p>Every resident starts at ");
    fixed(out, civic_rules_base(r), 2);
    put(out, " points. Each rule below adds or deducts points while it is in effect; the grade "
             "follows the score.</p>\n");
    static const char *const cols[] = { "Grade", "From score", NULL };
    table_open(out, NULL, "Grades", "data-table", "grades", cols); /* no heading of its own */
    for (size_t g = 0; g < civic_rules_grade_count(r); g++) {
        int64_t min = 0;
        put(out, "<tr><td>");
        shown(out, civic_rules_grade_name(r, g));
        put(out, "</td><td class=\"n\">");
        if (civic_rules_grade_min(r, g, &min) == CIVIC_OK) fixed(out, min, 2);
        else put(out, civic_rules_grade_count(r) == 1 ? "any score" : "below");
        put(out, "</td></tr>\n");
    }
    put(out, "</table></div>\n");
    civic_scheme_info x = CIVIC_SCHEME_INFO_INIT;
    if (civic_rules_scheme_info(r, &x) != CIVIC_OK) return;
    put(out, "<p data-scheme=\"keys\">");
    if (x.has_min || x.has_max) {
        put(out, "Scores stay ");
        if (x.has_min) {
            put(out, "at or above ");
            fixed(out, x.min, 2);
        }
        put(out, x.has_min && x.has_max ? " and " : "");
        if (x.has_max) {
            put(out, "at or below ");
            fixed(out, x.max, 2);
        }
        put(out, x.running_clamp ? ", after every entry in turn. " : ". ");
    }
    if (x.has_balance_min) {
        put(out, "Deductions and spending may take the balance down to ");
        fixed(out, x.balance_min, 2);
        put(out, ", not below. ");
    }
    if (strcmp(x.balance_reset, "never") != 0) {
        put(out, "The balance starts again every ");
        text(out, x.balance_reset);
        put(out, ". ");
    }
    /* Objections take effect under every scheme (a version-1 scheme has the
       defaults: at any time, marked), so every page says how. */
    {
        span w = span_of(x.objection_window);
        if (w.kind == 'f') put(out, "An entry may be contested at any time");
        else if (w.kind == 'e') {
            put(out, "An entry may be contested until ");
            span_put(out, x.objection_window);
            put(out, " it is dated in");
        } else if (w.kind == 'n') {
            /* not "within 15 days of its date": read as the 15th day after it included */
            put(out, "An entry may be contested until ");
            span_put(out, x.objection_window);
            put(out, w.n == 1 ? " has passed since its date and time" :
                                " have passed since its date and time");
        } else { /* a window this page cannot read: as written */
            put(out, "An entry may be contested within ");
            text(out, x.objection_window);
            put(out, " of its date");
        }
        put(out, x.suspend ? "; while contested it has no effect." :
                             "; while contested it keeps its effect and is marked.");
    }
    put(out, "</p>\n");
}

/* `between` before every part but the first. */
static void joined(const answers_sink *out, bool *first, const char *between)
{
    if (!*first) put(out, between);
    *first = false;
}

/* "a; b; c": the parts of a cell. */
static void part(const answers_sink *out, bool *first) { joined(out, first, "; "); }

/* After a cap's amount: " a month", " in all" (a lifetime cap). */
static void period_put(const answers_sink *out, const char *period)
{
    if (strcmp(period, "lifetime") == 0) put(out, " in all");
    else {
        put(out, " a ");
        text(out, period);
    }
}

/* The scheme's caps sorted by name, for the rules table: a rule names its
 * shared cap, and a scheme may have thousands.  cap is NULL when there are
 * none or the copy could not be made (they are then looked up one by one). */
typedef struct cap_table {
    size_t n;
    civic_cap_info *cap;
} cap_table;

static int cap_info_compare(const void *a, const void *b)
{
    return strcmp(((const civic_cap_info *)a)->name, ((const civic_cap_info *)b)->name);
}

static cap_table caps_read(const civic_rules *r)
{
    cap_table t = { 0, NULL };
    size_t n = civic_rules_cap_count(r);
    if (n == 0 || (t.cap = malloc(n * sizeof(*t.cap))) == NULL) return t;
    for (size_t i = 0; i < n; i++) {
        civic_cap_info c = CIVIC_CAP_INFO_INIT;
        if (civic_rules_cap_info(r, i, &c) == CIVIC_OK) t.cap[t.n++] = c;
    }
    qsort(t.cap, t.n, sizeof(*t.cap), cap_info_compare);
    return t;
}

/* The cap called name into *c; false if there is none. */
static bool cap_named(const civic_rules *r, const cap_table *caps, const char *name,
                      civic_cap_info *c)
{
    civic_cap_info key = CIVIC_CAP_INFO_INIT;
    key.name = name;
    if (caps->cap) {
        const civic_cap_info *hit = bsearch(&key, caps->cap, caps->n, sizeof(key),
                                            cap_info_compare);
        if (hit) *c = *hit;
        return hit != NULL;
    }
    for (size_t i = 0; i < civic_rules_cap_count(r); i++) {
        *c = key;
        if (civic_rules_cap_info(r, i, c) == CIVIC_OK && strcmp(c->name, name) == 0) return true;
    }
    return false;
}

static void limits_cell(const answers_sink *out, const civic_rules *r, const cap_table *caps,
                        const civic_rule_info *x)
{
    bool first = true;
    if (x->cap >= 0) {
        part(out, &first);
        fixed(out, x->cap, 2);
        period_put(out, x->cap_period);
        if (x->net_cap) put(out, " (net)");
    }
    if (x->cap_group[0]) {
        part(out, &first);
        put(out, "shared ");
        civic_cap_info c = CIVIC_CAP_INFO_INIT;
        bool named = cap_named(r, caps, x->cap_group, &c);
        if (named) shown_glued(out, "", x->cap_group, ":");
        else shown(out, x->cap_group);
        if (named) {
            put(out, " ");
            fixed(out, c.limit, 2);
            period_put(out, c.period);
            if (c.net) put(out, " (net)");
        }
    }
    if (x->repeat_factor) {
        part(out, &first);
        put(out, "repeat &times;");
        fixed(out, x->repeat_factor, 2);
        if (strcmp(x->category, x->code) != 0) {
            put(out, " ");
            shown_glued(out, "(", x->category, ")");
        }
    } else if (strcmp(x->category, x->code) != 0) {
        /* it escalates nothing itself, but counts as a prior offence of its category */
        part(out, &first);
        put(out, "counts as a repeat in ");
        shown(out, x->category);
    }
}

/* What a version of a rule does beside its points: "at most 599.00; stops
 * additions; flag dishonest" (at_most: the words before the ceiling).
 * lifted: a correction took the ceiling and the freeze away. */
static void effect_put(const answers_sink *out, const civic_rule_info *x, bool lifted,
                       const char *at_most)
{
    bool first = true;
    if (x->ceiling != CIVIC_FOREVER && !lifted) {
        part(out, &first);
        put(out, at_most);
        fixed(out, x->ceiling, 2);
    }
    if (x->freeze && !lifted) {
        part(out, &first);
        put(out, "stops additions");
    }
    if (x->flag[0]) {
        part(out, &first);
        put(out, "flag ");
        shown(out, x->flag);
    }
}

static bool has_effect(const civic_rule_info *x, bool lifted)
{
    return ((x->ceiling != CIVIC_FOREVER || x->freeze) && !lifted) || x->flag[0];
}

static void effect_cell(const answers_sink *out, const civic_rule_info *x)
{
    effect_put(out, x, false, "at most ");
}

static void life_cell(const answers_sink *out, const civic_rule_info *x)
{
    bool first = true;
    if (x->publicity[0]) {
        part(out, &first);
        put(out, span_of(x->publicity).kind == 'e' ? "posted to " : "posted for ");
        span_put(out, x->publicity);
    }
    if (x->repair_after[0]) {
        int k = span_of(x->repair_after).kind;
        part(out, &first);
        if (k == 'f') put(out, "never repairable");
        else { /* from the day the entry takes effect (after its posting) */
            put(out, k == 'e' ? "repairable from " : "repairable ");
            span_put(out, x->repair_after);
            put(out, k == 'e' ? " it takes effect in" : " after it takes effect");
        }
    }
    if (x->retain[0]) {
        int k = span_of(x->retain).kind;
        part(out, &first);
        if (k == 'f') put(out, "never deleted");
        else { /* from the conduct, the entry's date, as the law counts */
            put(out, k == 'e' ? "deleted at " : "deleted ");
            span_put(out, x->retain);
            put(out, k == 'e' ? " it is dated in" : " after its date");
        }
    }
}

static void rule_cells(const answers_sink *out, const civic_rules *r, const cap_table *caps,
                       const civic_rule_info *x)
{
    put(out, "<td class=\"n\">");
    fixed(out, x->points, 2);
    put(out, x->per_unit ? " per unit" : "");
    /* the table's sentence says points move the score: say where they do not */
    if (x->affects == CIVIC_AFFECTS_BALANCE) put(out, "<br><small>to spend only, not the score</small>");
    else if (x->affects == CIVIC_AFFECTS_SCORE) put(out, "<br><small>score only, not to spend</small>");
    put(out, "</td><td>");
    valid_put(out, x->valid);
    put(out, "</td><td>");
    limits_cell(out, r, caps, x);
    put(out, "</td><td>");
    effect_cell(out, x);
    put(out, "</td><td>");
    life_cell(out, x);
    put(out, "</td>");
}

/* Version k of rule i (0: as first published) into *x, asked with this
 * header's struct version. */
static bool rule_version(const civic_rules *r, size_t i, size_t k, civic_rule_info *x)
{
    memset(x, 0, sizeof(*x));
    x->version = CIVIC_RULE_INFO_VERSION;
    return civic_rules_rule_info(r, i, k, x) == CIVIC_OK;
}

static void scheme_rules(const answers_sink *out, const civic_rules *r)
{
    cap_table caps = caps_read(r);
    static const char *const cols[] = { "Rule", "Points", "Valid", "Caps, repeats",
                                        "Grade, flag", "Publicity, repair, deletion", NULL };
    put(out, "<h3 id=\"rules\">Rules</h3>\n");
    table_open(out, "rules", NULL, "data-table", "rules", cols);
    for (size_t i = 0; i < civic_rules_rule_count(r); i++) {
        civic_rule_info x;
        if (!rule_version(r, i, 0, &x)) continue;
        uint32_t changes = x.changes;
        put(out, "<tr data-rule=\"");
        attr(out, x.code);
        put(out, "\"><td>");
        shown(out, x.code);
        put(out, "<br><small>");
        shown(out, x.dimension);
        put(out, "</small></td>");
        rule_cells(out, r, &caps, &x);
        put(out, "</tr>\n");
        for (size_t k = 1; k <= changes; k++) {
            if (!rule_version(r, i, k, &x)) break;
            /* the code again, heard but not seen: a screen reader moving
             * cell by cell meets this row without the one above */
            put(out, "<tr><td>&rarr; <span class=\"vh\">");
            shown(out, x.code);
            put(out, " </span>from ");
            when_unsplit(out, r, x.from);
            put(out, x.recount ? " (also for past events)" : "");
            put(out, "</td>");
            rule_cells(out, r, &caps, &x);
            put(out, "</tr>\n");
        }
    }
    free(caps.cap);
    put(out, "</table></div>\n");
    size_t classes = civic_rules_validity_count(r);
    if (classes == 0) return;
    static const char *const classes_cols[] = { "Points, either sign", "Valid", NULL };
    put(out, "<h3 id=\"validity\">Validity by severity</h3>\n");
    table_open(out, "validity", NULL, "data-table", "validity", classes_cols);
    int64_t below = -1;
    for (size_t i = 0; i < classes; i++) {
        civic_validity_info v = CIVIC_VALIDITY_INFO_INIT;
        if (civic_rules_validity_info(r, i, &v) != CIVIC_OK) continue;
        put(out, "<tr><td>");
        if (v.up_to >= 0) {
            put(out, "up to ");
            fixed(out, v.up_to, 2);
        } else if (below >= 0) {
            put(out, "more than ");
            fixed(out, below, 2);
        } else {
            put(out, "any");
        }
        put(out, "</td><td>");
        valid_put(out, v.valid);
        put(out, "</td></tr>\n");
        below = v.up_to;
    }
    put(out, "</table></div>\n");
}

/* "volunteer_star: the quantity of a and b, all time: 1 star from 100; ..." */
static void tier_line(const answers_sink *out, const civic_rules *r, size_t t)
{
    civic_tier_info x = CIVIC_TIER_INFO_INIT;
    if (civic_rules_tier_info(r, t, &x) != CIVIC_OK) return;
    bool qty = x.measure == CIVIC_TIER_MEASURE_QTY;
    put(out, "<p data-tier=\"");
    attr(out, x.name);
    put(out, "\">");
    shown(out, x.name);
    put(out, qty ? ": the quantity of " : ": the points of ");
    for (size_t k = 0; k < x.rule_count; k++) {
        size_t rule = civic_rules_tier_rule(r, t, k);
        put(out, k == 0 ? "" : k + 1 == x.rule_count ? " and " : ", ");
        shown(out, civic_rules_rule_code(r, rule));
    }
    if (strcmp(x.window, "lifetime") == 0) put(out, ", all time");
    else if (strcmp(x.window, "year") == 0 || strcmp(x.window, "quarter") == 0 ||
             strcmp(x.window, "month") == 0) {
        put(out, ", this ");
        text(out, x.window);
    } else {
        span w = span_of(x.window);
        put(out, ", in the last ");
        if (w.kind == 'n' && w.n == 1) text(out, w.unit); /* "in the last year" */
        else span_put(out, x.window);
    }
    put(out, ": ");
    for (size_t l = 0; l < x.level_count; l++) {
        int64_t min = 0;
        put(out, l ? "; " : "");
        shown(out, civic_rules_tier_level_name(r, t, l));
        put(out, " from ");
        /* points with their two decimals, as everywhere on the page (and in
         * Python's tier_info); a quantity as the rules write it */
        if (civic_rules_tier_level_min(r, t, l, &min) != CIVIC_OK) continue;
        if (qty) trimmed(out, min, 3);
        else fixed(out, min, 2);
    }
    put(out, "</p>\n");
}

/* A measure's conditions: "grade AAA or AA and flag dishonest". */
static void measure_conditions(const answers_sink *out, const civic_rules *r,
                               const civic_measure_info *m)
{
    bool first = true;
    if (m->grades) {
        joined(out, &first, " and ");
        put(out, "grade ");
        bool one = true;
        for (size_t g = 0; g < civic_rules_grade_count(r) && g < 64; g++) {
            if (!(m->grades >> g & 1u)) continue;
            joined(out, &one, " or ");
            shown(out, civic_rules_grade_name(r, g));
        }
    }
    if (m->flag[0]) {
        joined(out, &first, " and ");
        put(out, "flag ");
        shown(out, m->flag);
    }
    if (m->tier[0]) {
        joined(out, &first, " and ");
        shown(out, m->tier);
        put(out, " ");
        shown(out, m->min_level);
        put(out, " or more");
    }
    if (m->has_min_score) {
        joined(out, &first, " and ");
        put(out, "score at least ");
        fixed(out, m->min_score, 2);
    }
    if (m->has_max_score) {
        joined(out, &first, " and ");
        put(out, "score at most ");
        fixed(out, m->max_score, 2);
    }
}

static void scheme_outputs(const answers_sink *out, const civic_rules *r)
{
    for (size_t t = 0; t < civic_rules_tier_count(r); t++) {
        put(out, t ? "" : "<h3>Levels</h3>\n");
        tier_line(out, r, t);
    }
    if (civic_rules_measure_count(r) == 0) return;
    put(out, "<h3>Benefits and restrictions</h3>\n<ul>\n");
    for (size_t i = 0; i < civic_rules_measure_count(r); i++) {
        civic_measure_info m = CIVIC_MEASURE_INFO_INIT;
        if (civic_rules_measure_info(r, i, &m) != CIVIC_OK) continue;
        bool restriction = m.kind == CIVIC_MEASURE_RESTRICTION;
        putf(out, "<li class=\"%s\">", restriction ? "restriction" : "incentive");
        shown(out, m.text[0] ? m.text : m.code);
        put(out, restriction ? " (restriction, list " : " (benefit, list ");
        shown(out, m.code);
        put(out, "; for ");
        measure_conditions(out, r, &m);
        put(out, ")</li>\n");
    }
    put(out, "</ul>\n");
}

/* ------------------------------------------------------------ groups */

/* The subjects of the depth-d group that `path` belongs to, or of the
 * subjects without one (ungrouped). */
typedef struct cells {
    const civic_groups *g;
    uint32_t depth;
    uint64_t ungrouped;
} cells;

/* Whether path has a group at depth (depth 0: everyone's one group). */
static bool grouped_at(const char *path, uint32_t depth)
{
    if (depth == 0) return true;
    if (!path || !*path) return false;
    uint32_t segments = 1;
    for (const char *p = path; *p; p++) segments += *p == '/';
    return segments >= depth;
}

static uint64_t cell_size(const cells *c, const char *path)
{
    size_t i = answers_group_of(c->g, c->depth, path);
    /* a group the page's figures do not hold came after them (a write
     * between two queries): its size is not known, so nobody in it is named */
    if (i == SIZE_MAX) return grouped_at(path, c->depth) ? 0 : c->ungrouped;
    civic_group_stats s = CIVIC_GROUP_STATS_INIT;
    civic_groups_get(c->g, i, &s);
    return s.subjects;
}

/* The group a list row shows for path: its cell's (the group at the page's
 * depth), never the deeper path, whose last levels may hold one household
 * inside a cell large enough to be named.  A path shallower than the depth
 * is in the cell of residents in no group, and shows none: its own path is
 * a slice of that cell (the one resident of a district, say). */
static const char *cell_group(const cells *c, const char *path)
{
    size_t i = answers_group_of(c->g, c->depth, path);
    if (i == SIZE_MAX) return "";
    civic_group_stats s = CIVIC_GROUP_STATS_INIT;
    civic_groups_get(c->g, i, &s);
    return s.path;
}

/* Whether any cell is under min_group: the page then says its members are
 * not named, on every list and whether or not any of them is listed (a count,
 * or a note only when one is, would tell who in a small cell is on a list). */
static bool any_small_cell(const cells *c, uint64_t min_group)
{
    if (c->ungrouped && c->ungrouped < min_group) return true;
    for (size_t i = 0; i < civic_groups_count(c->g); i++) {
        civic_group_stats s = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(c->g, i, &s);
        if (s.subjects < min_group) return true;
    }
    return false;
}

/* A group's bar chart: a grid of rows, each the grade's name, its bar (inline
 * SVG, as long against the column as its count against the largest) and its
 * count.  The name is HTML text in a column of its own, so the browser sizes
 * it: it is never under its bar or its count whatever its glyphs (wide
 * capitals, CJK, emoji, combining marks), and a long one wraps, between
 * words or, for a name without spaces, anywhere -- shown whole, never cut.
 * The rows are hidden from assistive technology: the caption says the same,
 * figures and all. */
static void chart(const answers_sink *out, const civic_groups *g, const civic_group_stats *s)
{
    size_t ng = civic_groups_grade_count(g);
    uint64_t top = 1;
    for (size_t k = 0; k < ng; k++)
        if (s->grade_counts[k] > top) top = s->grade_counts[k];
    put(out, "<figure class=\"chart\" data-chart=\"");
    attr(out, s->path);
    put(out, "\"><figcaption class=\"vh\">Grades in ");
    if (s->path[0]) shown_name(out, s->path);
    else put(out, "all groups");
    for (size_t k = 0; k < ng; k++) { /* the figures too, for whoever cannot see the bars */
        put(out, k ? ", " : ": ");
        shown(out, civic_groups_grade_name(g, k));
        putf(out, " %" PRIu64, s->grade_counts[k]);
    }
    put(out, "</figcaption>\n<div class=\"bars\" aria-hidden=\"true\">\n");
    for (size_t k = 0; k < ng; k++) {
        uint64_t n = s->grade_counts[k];
        /* hundredths of a percent of the bar column, rounded (1 of 7 is
         * 14.29%, not 14.28%); 0 is a sliver of 1 px */
        uint64_t scaled = n > UINT64_MAX / 10000u ? 0 : 10000u * n, rest = scaled % top;
        unsigned w = (unsigned)(n > UINT64_MAX / 10000u ? n / (top / 10000u)
                                                         : scaled / top + (rest >= top - rest));
        put(out, "<span class=\"gl\">");
        shown(out, civic_groups_grade_name(g, k));
        put(out, "</span><svg width=\"100%\" height=\"16\" focusable=\"false\"><rect x=\"0\" "
                 "y=\"0\" ");
        if (w) putf(out, "width=\"%u.%02u%%\"", w / 100u, w % 100u);
        else put(out, "width=\"1\"");
        put(out, " height=\"16\" fill=\"#3b6ea8\" data-group=\"");
        attr(out, s->path);
        put(out, "\" data-grade=\"");
        attr(out, civic_groups_grade_name(g, k));
        putf(out, "\" data-count=\"%" PRIu64 "\"/></svg><span class=\"gc\">%" PRIu64 "</span>\n",
             n, n);
    }
    put(out, "</div></figure>\n");
}

static void groups_section(const answers_sink *out, const civic_groups *g, uint64_t ungrouped,
                           const report_options *opt)
{
    putf(out, "<h2 id=\"groups\">Grades by group</h2>\n<p class=\"meta\">Groups at depth %u",
         opt->depth);
    if (opt->min_group > 1) /* under --min-group 1 no group is too small */
        putf(out, "; groups with fewer than %" PRIu64 " residents are counted, not shown",
             opt->min_group);
    put(out, ".</p>\n");
    /* A group under min_group has no section: no figures, and no name either
     * (a group's name may be a household's, and one section each made 20,000
     * residents in groups of their own 20,000 sections saying nothing).  They
     * are counted once, below (SPEC 11.5: small groups show no statistics). */
    uint64_t small = 0;
    for (size_t i = 0; i < civic_groups_count(g); i++) {
        civic_group_stats s = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(g, i, &s);
        if (s.subjects < opt->min_group) {
            small++;
            continue;
        }
        if (i == small) put(out, "<div class=\"groups\">\n"); /* the first one shown */
        put(out, "<section class=\"group\" data-group=\"");
        attr(out, s.path);
        put(out, "\"><h3>");
        if (s.path[0]) shown_name(out, s.path);
        else put(out, "All residents");
        put(out, "</h3>\n");
        putf(out, "<p>%" PRIu64 " resident%s; mean ", s.subjects, s.subjects == 1 ? "" : "s");
        fixed(out, s.mean, 2);
        put(out, ", median ");
        fixed(out, s.median, 2);
        put(out, "</p>\n");
        chart(out, g, &s);
        put(out, "</section>\n");
    }
    if (small < civic_groups_count(g)) put(out, "</div>\n");
    if (small)
        putf(out, "<p class=\"small\" data-suppressed=\"%" PRIu64 "\">%" PRIu64 " group%s with "
                  "fewer than %" PRIu64 " residents %s not shown.</p>\n", small, small,
             small == 1 ? "" : "s", opt->min_group, small == 1 ? "is" : "are");
    /* residents whose group path is shallower than the depth (or empty) are in no group */
    if (ungrouped && ungrouped < opt->min_group) /* a cell as small as any group's */
        putf(out, "<p data-ungrouped=\"suppressed\">Fewer than %" PRIu64 " residents%s in no "
                  "group at depth %u: not shown.</p>\n", opt->min_group,
             civic_groups_count(g) ? " are" : ", all of them", opt->depth);
    else if (ungrouped == 1 && civic_groups_count(g) == 0)
        putf(out, "<p data-ungrouped=\"1\">The one resident is in no group at depth %u.</p>\n",
             opt->depth);
    else if (ungrouped && civic_groups_count(g) == 0)
        putf(out, "<p data-ungrouped=\"%" PRIu64 "\">None of the %" PRIu64 " residents is in a "
                  "group at depth %u.</p>\n", ungrouped, ungrouped, opt->depth);
    else if (ungrouped)
        putf(out, "<p data-ungrouped=\"%" PRIu64 "\">%" PRIu64 " resident%s in no group at depth "
                  "%u.</p>\n", ungrouped, ungrouped, ungrouped == 1 ? " is" : "s are", opt->depth);
    else if (civic_groups_count(g) == 0)
        put(out, "<p>No residents have records yet.</p>\n");
}

/* ------------------------------------------------------------ lists */

/* A named resident's row up to its third cell: the resident, the group of
 * its cell, and the opening of the next cell.  A posted entry's row names
 * no event id (an office's case or ticket number): the page says nothing
 * of an entry but what its cells show. */
static void resident_row(const answers_sink *out, const cells *c, const char *subject,
                         const char *group)
{
    put(out, "<tr data-subject=\"");
    attr(out, subject);
    put(out, "\"><td class=\"id\">"); /* ids without spaces wrap, not widen the table */
    shown_name(out, subject);
    put(out, "</td><td class=\"id\">");
    shown_name(out, cell_group(c, group));
    put(out, "</td><td>");
}

/* A list as the page reads it: a civic_list (a flag's, with since and
 * until), or the rows of one answer of every subject to which a measure
 * applies (the measure lists of a page, made in one pass: see
 * measure_rows). */
typedef struct list_view {
    const civic_list *list;    /* or: */
    const civic_result *all;
    const size_t *rows;        /* rows of all, in its order (by subject) */
    size_t count;
} list_view;

static size_t view_count(const list_view *v)
{
    return v->list ? civic_list_count(v->list) : v->count;
}

/* Entry i: subject, group and grade; since and until of a flag's. */
static void view_get(const list_view *v, size_t i, civic_list_entry *x)
{
    if (v->list) {
        civic_list_get(v->list, i, x);
        return;
    }
    civic_score s = CIVIC_SCORE_INIT;
    civic_result_get(v->all, v->rows[i], &s);
    x->grade_index = s.grade_index;
    x->subject = s.subject;
    x->group = s.group;
    x->grade = s.grade;
    x->score = s.score;
}

/* What stands under a resident's place on a flag's list at as_of, read from
 * its record: whether every entry that puts it there (one of the flag that
 * counts then) has an objection to it still to be decided -- contested, as
 * the record and the posted table mark it: the listing rests on contested
 * entries alone -- and whether a correction has put right every one of them
 * (their ceiling and freeze are lifted; the flag stays).  A listing held
 * also by an entry that is neither is not marked: upholding the objection,
 * or the correction, leaves it as it is. */
typedef struct listing {
    bool contested, corrected;
} listing;

static int listing_of(const civic_engine *e, const char *subject, const char *flag,
                      int64_t as_of, listing *out)
{
    civic_record *rec = NULL;
    *out = (listing){ false, false };
    int rc = civic_engine_record(e, subject, as_of, &rec);
    if (rc != CIVIC_OK) return rc;
    size_t holding = 0, contested = 0, corrected = 0;
    for (size_t k = 0; k < civic_record_count(rec); k++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, k, &x);
        if (x.kind != CIVIC_KIND_RULE || x.state != CIVIC_STATE_ACTIVE || strcmp(x.flag, flag) != 0)
            continue;
        holding++;
        contested += (x.marks & CIVIC_MARK_CONTESTED) != 0;
        corrected += x.corrected != CIVIC_FOREVER;
    }
    out->contested = holding && contested == holding;
    out->corrected = holding && corrected == holding;
    civic_record_free(rec);
    return CIVIC_OK;
}

/* The rows of a list a page may name: members of cells of min_group or more.
 * heading: the id of the list's heading.  A flag's row is marked as its
 * listing stands (listing_of), the marks counted in marked[0] (contested)
 * and marked[1] (corrected). */
static int list_table(const answers_sink *out, const civic_engine *e, int64_t as_of,
                      const list_view *list, const char *name, const char *heading, bool flag,
                      const cells *c, uint64_t min_group, size_t marked[2])
{
    const civic_rules *r = civic_engine_rules(e);
    static const char *const flag_cols[] = { "Resident", "Group", "Grade", "Since", "Until",
                                             NULL };
    static const char *const measure_cols[] = { "Resident", "Group", "Grade", NULL };
    int rc = CIVIC_OK;
    table_open(out, heading, NULL, "data-list", name, flag ? flag_cols : measure_cols);
    for (size_t i = 0; rc == CIVIC_OK && i < view_count(list); i++) {
        civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
        view_get(list, i, &x);
        if (cell_size(c, x.group) < min_group) continue;
        listing marks = { false, false };
        if (flag && (rc = listing_of(e, x.subject, name, as_of, &marks)) != CIVIC_OK) break;
        resident_row(out, c, x.subject, x.group);
        shown(out, x.grade);
        if (flag) {
            put(out, "</td><td class=\"d\">");
            when(out, r, x.since);
            if (marks.contested || marks.corrected) { /* the note wraps, its date does not */
                put(out, "</td><td>");
                when_unsplit(out, r, x.until);
            } else {
                put(out, "</td><td class=\"d\">");
                when(out, r, x.until);
            }
            if (marks.contested) put(out, ", <span data-mark=\"contested\">contested</span>");
            if (marks.corrected) put(out, ", <span data-mark=\"corrected\">corrected</span>");
            marked[0] += marks.contested;
            marked[1] += marks.corrected;
        }
        put(out, "</td></tr>\n");
    }
    put(out, "</table></div>\n");
    return rc;
}

/* The page's k-th list (from 1: its heading's id, "list-k"). */
static int one_list(const answers_sink *out, const civic_engine *e, int64_t as_of,
                    const list_view *list, size_t k, bool flag, const char *name,
                    const char *lead, const char *caption, const cells *c, uint64_t min_group)
{
    char heading[32];
    int rc = CIVIC_OK;
    snprintf(heading, sizeof(heading), "list-%zu", k);
    putf(out, "<h3 id=\"%s\">", heading);
    put(out, lead);
    shown(out, caption);
    put(out, "</h3>\n");
    /* Only who may be named decides between a table and a sentence: an
     * empty list and one whose members are all in small cells look alike. */
    bool small = any_small_cell(c, min_group);
    size_t named = 0, marked[2] = { 0, 0 };
    for (size_t i = 0; i < view_count(list); i++) {
        civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
        view_get(list, i, &x);
        if (cell_size(c, x.group) >= min_group) named++;
    }
    if (named == 0) {
        put(out, "<p data-list=\"");
        attr(out, name);
        put(out, small ? "\">Nobody is named.</p>\n" : "\">Nobody.</p>\n");
    } else {
        rc = list_table(out, e, as_of, list, name, heading, flag, c, min_group, marked);
    }
    if (marked[0]) /* as the posted table says of its contested entries */
        put(out, "<p data-contested=\"1\">A listing marked contested rests on entries with an "
                 "objection to them still to be decided: it stands all the same, unless the "
                 "objection is upheld.</p>\n");
    if (marked[1])
        put(out, "<p data-corrected=\"1\">A listing marked corrected rests on entries whose "
                 "wrong has been put right: a score ceiling or a freeze of theirs no longer "
                 "applies, but the flag stays as the Until column says.</p>\n");
    if (small)
        putf(out, "<p class=\"small\" data-hidden=\"1\">Residents of groups with fewer than %"
                  PRIu64 " members are not named here.</p>\n", min_group);
    return rc;
}

/* Names (measure codes, flags) sorted, to find the one a ';'-joined answer
 * field names: { name, its index in the scheme }. */
typedef struct name_index { const char *code; size_t m; } name_index;

static int code_compare(const void *a, const void *b)
{
    return strcmp(((const name_index *)a)->code, ((const name_index *)b)->code);
}

/* The index of the name s[0..n) among the count of by, or SIZE_MAX. */
static size_t name_find(const name_index *by, size_t count, const char *s, size_t n)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *code = by[mid].code;
        int cmp = strncmp(code, s, n);
        if (cmp == 0 && code[n]) cmp = 1; /* code longer than s[0..n) */
        if (cmp == 0) return by[mid].m;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

/* Call f(ctx, m, i) for each name of by in joined, the ';'-joined names of
 * row i. */
static void each_name(const name_index *by, size_t count, const char *joined, size_t i,
                      void (*f)(const void *, size_t, size_t), const void *ctx)
{
    for (const char *p = joined; *p;) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        size_t m = name_find(by, count, p, n);
        if (m != SIZE_MAX) f(ctx, m, i);
        p += n + (semi != NULL);
    }
}

/* Every measure's list, from one answer of every subject (the subjects a
 * list may hold, with the measures that apply to each): a civic_engine_list
 * a measure is a pass over every subject, and a page of M measures took M
 * of them.  Measure m's rows of all are rows[start[m] .. start[m + 1]). */
typedef struct measure_rows {
    const civic_result *all;   /* the page's: borrowed */
    size_t *rows, *start;
    name_index *by_code;       /* sorted by code */
    size_t measure_count;
} measure_rows;

/* Call f(mr, m, i) for each measure m named in row i's ';'-joined codes. */
static void row_measures(const measure_rows *mr, size_t i,
                         void (*f)(const void *, size_t, size_t))
{
    civic_score s = CIVIC_SCORE_INIT;
    civic_result_get(mr->all, i, &s);
    each_name(mr->by_code, mr->measure_count, s.measures, i, f, mr);
}

static void count_row(const void *ctx, size_t m, size_t i)
{
    const measure_rows *mr = ctx;
    (void)i;
    mr->start[m + 1]++;
}

static void place_row(const void *ctx, size_t m, size_t i)
{
    const measure_rows *mr = ctx;
    mr->rows[mr->start[m]++] = i; /* start[m] runs up to the end of m's rows */
}

static void measure_rows_free(measure_rows *mr)
{
    free(mr->rows);
    free(mr->start);
    free(mr->by_code);
    memset(mr, 0, sizeof(*mr));
}

static int measure_rows_make(const civic_rules *r, const civic_result *all, measure_rows *mr)
{
    size_t nm = civic_rules_measure_count(r);
    memset(mr, 0, sizeof(*mr));
    mr->all = all;
    size_t n = civic_result_count(all);
    mr->start = calloc(nm + 1, sizeof(size_t));
    mr->by_code = malloc((nm ? nm : 1) * sizeof(*mr->by_code));
    if (!mr->start || !mr->by_code) goto nomem;
    mr->measure_count = nm;
    for (size_t m = 0; m < nm; m++)
        mr->by_code[m] = (name_index){ civic_rules_measure_code(r, m), m };
    qsort(mr->by_code, nm, sizeof(*mr->by_code), code_compare);
    for (size_t i = 0; i < n; i++) row_measures(mr, i, count_row);
    for (size_t m = 0; m < nm; m++) mr->start[m + 1] += mr->start[m];
    mr->rows = malloc((mr->start[nm] ? mr->start[nm] : 1) * sizeof(size_t));
    if (!mr->rows) goto nomem;
    for (size_t i = 0; i < n; i++) row_measures(mr, i, place_row);
    /* each start[m] is now where m's rows end: shift them back */
    for (size_t m = nm; m > 0; m--) mr->start[m] = mr->start[m - 1];
    mr->start[0] = 0;
    return CIVIC_OK;
nomem:
    measure_rows_free(mr);
    return CIVIC_E_NOMEM;
}

static void carry(const void *ctx, size_t f, size_t i)
{
    (void)i;
    ((unsigned char *)(uintptr_t)ctx)[f] = 1;
}

/* carried[f] = 1 when some subject's answer carries flag f: a flag's list
 * holds just those subjects (with since and until, which only
 * civic_engine_list gives), so a flag nobody carries is an empty list, not
 * a query; a scheme may have 16,384 flags, few of them carried.  NULL when
 * out of memory. */
static unsigned char *flags_carried(const civic_rules *r, const civic_result *all)
{
    size_t nf = civic_rules_flag_count(r), n = civic_result_count(all);
    unsigned char *carried = calloc(nf ? nf : 1, 1);
    name_index *by = malloc((nf ? nf : 1) * sizeof(*by));
    if (carried && by) {
        for (size_t f = 0; f < nf; f++) by[f] = (name_index){ civic_rules_flag_name(r, f), f };
        qsort(by, nf, sizeof(*by), code_compare);
        for (size_t i = 0; i < n; i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(all, i, &s);
            each_name(by, nf, s.flags, i, carry, carried);
        }
    } else {
        free(carried);
        carried = NULL;
    }
    free(by);
    return carried;
}

/* The lists, from all (every subject's answer at as_of): a flag's list is
 * asked for only when some subject carries the flag. */
static int lists_section(const answers_sink *out, const civic_engine *e, const civic_result *all,
                         int64_t as_of, const cells *c, uint64_t min_group)
{
    const civic_rules *r = civic_engine_rules(e);
    size_t nf = civic_rules_flag_count(r);
    unsigned char *carried = nf ? flags_carried(r, all) : NULL;
    int rc = nf && !carried ? CIVIC_E_NOMEM : CIVIC_OK;
    put(out, "<h2 id=\"lists\">Lists</h2>\n");
    for (size_t f = 0; rc == CIVIC_OK && f < nf; f++) {
        const char *name = civic_rules_flag_name(r, f);
        list_view v = { NULL, NULL, NULL, 0 }; /* nobody */
        civic_list *list = NULL;
        if (carried[f] && (rc = civic_engine_list(e, name, as_of, &list)) != CIVIC_OK) break;
        v.list = list;
        rc = one_list(out, e, as_of, &v, f + 1, true, name, "Flag: ", name, c, min_group);
        civic_list_free(list);
    }
    free(carried);
    measure_rows mr;
    memset(&mr, 0, sizeof(mr));
    if (rc == CIVIC_OK && civic_rules_measure_count(r) > 0) rc = measure_rows_make(r, all, &mr);
    for (size_t m = 0; rc == CIVIC_OK && m < civic_rules_measure_count(r); m++) {
        const char *t = civic_rules_measure_text(r, m), *code = civic_rules_measure_code(r, m);
        list_view v = { NULL, mr.all, mr.rows + mr.start[m], mr.start[m + 1] - mr.start[m] };
        rc = one_list(out, e, as_of, &v, nf + m + 1, false, code, "", t[0] ? t : code, c,
                      min_group);
    }
    measure_rows_free(&mr);
    if (nf + civic_rules_measure_count(r) == 0)
        put(out, "<p>The scheme has no flags or measures.</p>\n");
    return rc;
}

/* ------------------------------------------------------------ posted */

/* Whether any version of any rule has a publicity period. */
static bool any_publicity(const civic_rules *r)
{
    for (size_t i = 0; i < civic_rules_rule_count(r); i++) {
        civic_rule_info x;
        if (!rule_version(r, i, 0, &x)) continue;
        uint32_t changes = x.changes;
        for (size_t k = 0; k <= changes; k++) {
            if (k && !rule_version(r, i, k, &x)) break;
            if (x.publicity[0]) return true;
        }
    }
    return false;
}

/* The rules' codes sorted, to find a posted entry's rule: a scheme may have
 * thousands of rules and a page thousands of posted entries.  NULL when out
 * of memory (each is then looked for in turn). */
static name_index *rule_codes(const civic_rules *r)
{
    size_t n = civic_rules_rule_count(r);
    name_index *by = malloc((n ? n : 1) * sizeof(*by));
    if (!by) return NULL;
    for (size_t i = 0; i < n; i++) by[i] = (name_index){ civic_rules_rule_code(r, i), i };
    qsort(by, n, sizeof(*by), code_compare);
    return by;
}

/* The version of rule `code` whose `from` is from (an entry's: the version
 * that governs it) into *x; false when there is none. */
static bool rule_version_from(const civic_rules *r, const name_index *codes, const char *code,
                              int64_t from, civic_rule_info *x)
{
    size_t n = civic_rules_rule_count(r), i = 0;
    if (codes) i = name_find(codes, n, code, strlen(code));
    else
        while (i < n && strcmp(civic_rules_rule_code(r, i), code) != 0) i++;
    if (i >= n || !rule_version(r, i, 0, x)) return false;
    uint32_t changes = x->changes;
    for (size_t k = 1; x->from != from && k <= changes; k++)
        if (!rule_version(r, i, k, x)) return false;
    return x->from == from;
}

static int ref_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The targets of the repairs that took effect in rec, sorted, in *out (NULL
 * when there are none); their count in *n. */
static int repaired_ids(const civic_record *rec, const char ***out, size_t *n)
{
    size_t count = civic_record_count(rec), m = 0;
    *out = NULL;
    *n = 0;
    for (size_t k = 0; k < count; k++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, k, &x);
        if (x.kind != CIVIC_KIND_REPAIR || x.state != CIVIC_STATE_APPLIED) continue;
        if (*out == NULL && (*out = malloc(count * sizeof(**out))) == NULL) return CIVIC_E_NOMEM;
        (*out)[m++] = x.ref;
    }
    if (m > 1) qsort(*out, m, sizeof(**out), ref_compare);
    *n = m;
    return CIVIC_OK;
}

/* Whether id is among the n sorted repaired ids. */
static bool is_repaired(const char *id, const char **repaired, size_t n)
{
    return n && bsearch(&id, repaired, n, sizeof(*repaired), ref_compare) != NULL;
}

/* What a posted entry will count when it takes effect, as things stand at
 * the page's time: the points its version gives are not the whole story
 * (a repeat offence escalates it, a cap may leave it nothing, an act may
 * merge it).  The record at the page's time holds every event of the
 * resident known then (an archived one stays archived later), so an engine
 * of those alone, asked at the entry's eff, tells it: later events of the
 * log must not leak into a page about an earlier time.  The engine itself
 * answers when it holds nothing of the resident dated after the page's
 * time (a page of now).
 *
 * An entry's count is settled when it takes effect: a record at the last
 * eff of the resident's posted entries tells every one of them, unless
 * something between their effs could change it -- a recount change, an
 * entry archived in between (its cap room and its repeat go with it) or
 * a later member of its act (the members' effs decide which counts).  So
 * the posted entries are told in segments, the recount changes' `from`
 * instants their bounds: one record at the last eff of a segment tells the
 * entries of that segment that are not members of an act that goes on
 * after them.  The others, and those of a segment where an entry is
 * archived, are asked at their own eff. */
typedef struct act_end {
    const char *act; /* borrowed from the resident's record */
    int64_t eff;     /* the latest eff of its members */
} act_end;

typedef struct projection {
    civic_rules *rules;   /* a copy of the scheme: engines take a reference */
    civic_engine *engine; /* the current resident's known events, or NULL */
    int failed;           /* the copy or an engine could not be made */
    int64_t *recounts;    /* the `from` of every recount change, sorted */
    size_t nrecounts;
    bool tried_last;      /* `last` was asked for, of segment last_segment */
    size_t last_segment;
    civic_record *last;   /* at the last eff of the segment's posted entries */
    struct by_id *index;  /* last's entries by id (NULL: looked for in turn) */
    civic_record *at;     /* the record at at_eff, for the entries asked at their eff */
    int64_t at_eff;       /* (the members of one act share it, as a rule) */
    struct by_id *at_index;
    act_end *acts;        /* the resident's acts, sorted by name, once asked for */
    size_t nacts;
    bool acts_read;
} projection;

/* An entry of a record by its id: a resident with thousands of posted
 * entries has each found in its record without reading the record through. */
typedef struct by_id {
    const char *id; /* borrowed from the record */
    size_t k;
} by_id;

static int by_id_compare(const void *a, const void *b)
{
    return strcmp(((const by_id *)a)->id, ((const by_id *)b)->id);
}

/* The index of rec's entries by id, or NULL (no memory: found in turn). */
static by_id *index_by_id(const civic_record *rec)
{
    size_t n = civic_record_count(rec);
    by_id *ix = n ? malloc(n * sizeof(*ix)) : NULL;
    for (size_t k = 0; ix && k < n; k++) {
        civic_entry y = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, k, &y);
        ix[k].id = y.id;
        ix[k].k = k;
    }
    if (ix) qsort(ix, n, sizeof(*ix), by_id_compare);
    return ix;
}

static void decimal_text(int64_t v, unsigned places, char *buf, size_t size)
{
    if (civic_format_fixed(v, places, buf, size) != CIVIC_OK) {
        buf[0] = '\0';
        return;
    }
    if (!strchr(buf, '.')) return;
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0') buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.') buf[n - 1] = '\0';
}

static int int64_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The `from` of every recount change of the scheme into p, sorted. */
static int recount_froms(const civic_rules *r, projection *p)
{
    civic_rule_info x;
    for (size_t i = 0; i < civic_rules_rule_count(r); i++) {
        if (!rule_version(r, i, 0, &x)) continue;
        for (size_t k = 1; k <= x.changes; k++) {
            civic_rule_info v;
            if (!rule_version(r, i, k, &v) || !v.recount) continue;
            int64_t *grown = realloc(p->recounts, (p->nrecounts + 1) * sizeof(*grown));
            if (!grown) return CIVIC_E_NOMEM;
            p->recounts = grown;
            p->recounts[p->nrecounts++] = v.from;
        }
    }
    if (p->nrecounts) qsort(p->recounts, p->nrecounts, sizeof(*p->recounts), int64_compare);
    return CIVIC_OK;
}

/* The segment of an eff: how many recount changes are in force at it. */
static size_t segment_of(const projection *p, int64_t eff)
{
    size_t lo = 0, hi = p->nrecounts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->recounts[mid] <= eff) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int act_end_compare(const void *a, const void *b)
{
    return strcmp(((const act_end *)a)->act, ((const act_end *)b)->act);
}

/* Whether a member of x's act takes effect after x (a heavier one may then
 * merge it), among the entries of rec.  Without memory for the table of
 * acts: true, so that x is asked at its own eff. */
static bool act_goes_on(projection *p, const civic_record *rec, const civic_entry *x)
{
    if (!p->acts_read) {
        p->acts_read = true;
        size_t n = civic_record_count(rec), m = 0;
        p->acts = n ? malloc(n * sizeof(*p->acts)) : NULL;
        for (size_t k = 0; p->acts && k < n; k++) {
            civic_entry y = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, k, &y);
            if (y.act[0]) p->acts[m++] = (act_end){ y.act, y.eff };
        }
        if (m) qsort(p->acts, m, sizeof(*p->acts), act_end_compare);
        size_t w = 0; /* one per act, at its latest eff */
        for (size_t k = 0; k < m; k++) {
            if (w && strcmp(p->acts[w - 1].act, p->acts[k].act) == 0) {
                if (p->acts[k].eff > p->acts[w - 1].eff) p->acts[w - 1].eff = p->acts[k].eff;
            } else {
                p->acts[w++] = p->acts[k];
            }
        }
        p->nacts = w;
    }
    if (!p->acts) return true;
    act_end key = { x->act, 0 };
    const act_end *hit = bsearch(&key, p->acts, p->nacts, sizeof(*p->acts), act_end_compare);
    return !hit || hit->eff > x->eff;
}

static int projection_rules(const civic_rules *r, projection *p)
{
    size_t need = 0;
    int rc = civic_rules_to_toml(r, NULL, 0, &need);
    if (rc != CIVIC_OK && rc != CIVIC_E_LIMIT) return rc;
    char *text = malloc(need + 1);
    if (!text) return CIVIC_E_NOMEM;
    rc = civic_rules_to_toml(r, text, need + 1, NULL);
    if (rc == CIVIC_OK) rc = civic_rules_parse(&p->rules, text, need, NULL, NULL);
    free(text);
    return rc;
}

/* The engine of the resident of rec, made the first time it is asked for. */
static int projection_engine(const civic_rules *r, projection *p, const char *subject,
                             const civic_record *rec)
{
    if (p->engine) return CIVIC_OK;
    if (p->failed) return CIVIC_E_NOMEM;
    int rc = p->rules ? CIVIC_OK : projection_rules(r, p);
    if (rc == CIVIC_OK) rc = civic_engine_new(&p->engine, p->rules, NULL);
    for (size_t k = 0; rc == CIVIC_OK && k < civic_record_count(rec); k++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, k, &x);
        char ts[24], qty[48];
        snprintf(ts, sizeof(ts), "%" PRId64, x.ts);
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = x.id;
        ev.subject = subject;
        ev.type = x.type;
        ev.ts = ts;
        if (x.kind == CIVIC_KIND_RULE || x.kind == CIVIC_KIND_REDEEM) {
            decimal_text(x.qty, 3, qty, sizeof(qty));
            ev.qty = qty;
        }
        ev.group = x.group[0] ? x.group : NULL;
        ev.ref = x.ref[0] ? x.ref : NULL;
        ev.act = x.act[0] ? x.act : NULL;
        ev.source = x.source[0] ? x.source : NULL;
        rc = civic_engine_add(p->engine, &ev, NULL);
        if (rc == CIVIC_DUPLICATE) rc = CIVIC_OK;
    }
    if (rc != CIVIC_OK) {
        civic_engine_free(p->engine);
        p->engine = NULL;
        p->failed = 1;
    }
    return rc;
}

static int64_t archived_of(const civic_record *rec)
{
    civic_score s = CIVIC_SCORE_INIT;
    return civic_record_summary(rec, &s) == CIVIC_OK ? (int64_t)s.archived : -1;
}

/* The resident's record at t > as_of from the events known at as_of (rec
 * is its record at as_of), or NULL when it cannot be made.  *settled: no
 * entry was archived between as_of and t. */
static civic_record *record_then(const civic_engine *e, projection *p, const char *subject,
                                 const civic_record *rec, int64_t as_of, int64_t t, bool *settled)
{
    civic_record *then = NULL;
    *settled = false;
    if (civic_engine_record(e, subject, t, &then) == CIVIC_OK) {
        bool known = archived_of(then) == archived_of(rec);
        for (size_t k = 0; known && k < civic_record_count(then); k++) {
            civic_entry y = CIVIC_ENTRY_INIT;
            civic_record_entry(then, k, &y);
            known = y.ts <= as_of;
        }
        if (known) {
            *settled = true;
            return then;
        }
        civic_record_free(then);
        then = NULL;
    }
    if (projection_engine(civic_engine_rules(e), p, subject, rec) != CIVIC_OK) return NULL;
    if (civic_engine_record(p->engine, subject, t, &then) != CIVIC_OK) return NULL;
    /* the engine of what was known holds none archived at as_of */
    *settled = archived_of(then) == 0;
    return then;
}

/* What a posted entry will do when it takes effect. */
typedef struct projected {
    bool counts;    /* it will count (an addition a freeze holds does not) */
    bool frozen;    /* an addition a freeze will hold */
    int64_t points; /* what it will count: 0 unless it counts */
    int64_t raw;    /* its points before caps, escalated (what a freeze holds) */
    int64_t balance; /* what it will change the balance by (a repaired one too) */
    int64_t from;   /* the `from` of the version of its rule that governs it then */
    bool lifted;    /* a correction will have lifted its ceiling and freeze */
} projected;

/* What entry x does in `then`, if it took effect there (active then, or
 * since expired or repaired: what it did stays).  Merged into a heavier
 * member of its act, or archived before it takes effect, it counts
 * nothing.  Without `then`, all that can be told: its raw points. */
static projected projected_in(const civic_record *then, const by_id *index, const civic_entry *x,
                              bool later)
{
    projected out = { true, false, x->raw, x->raw, x->raw, x->from,
                      x->corrected != CIVIC_FOREVER };
    if (!then) return out;
    out.counts = false;
    out.points = 0;
    size_t n = civic_record_count(then), k = 0;
    if (index) { /* straight to it: k is its place, or n when it is not there */
        by_id key = { x->id, 0 };
        const by_id *hit = bsearch(&key, index, n, sizeof(*index), by_id_compare);
        k = hit ? hit->k : n;
    }
    for (; k < n; k++) {
        civic_entry y = CIVIC_ENTRY_INIT;
        civic_record_entry(then, k, &y);
        if (strcmp(y.id, x->id) != 0) continue;
        bool took = y.state == CIVIC_STATE_ACTIVE ||
                    (later && (y.state == CIVIC_STATE_EXPIRED || y.state == CIVIC_STATE_REPAIRED));
        out.frozen = (y.marks & CIVIC_MARK_FROZEN) != 0; /* a repaired one too */
        out.counts = took && !out.frozen;
        out.points = out.counts ? y.counted : 0;
        out.raw = y.raw;
        out.balance = y.to_balance;
        out.from = y.from;
        out.lifted = y.corrected != CIVIC_FOREVER;
        break;
    }
    return out;
}

/* What the entry x of rec (the record at as_of), in its publicity period,
 * will do when it takes effect.  at_eff: asked of the record at its own eff
 * (what it changes the balance by is of that time: a later record may be of
 * a later balance period). */
static projected project(const civic_engine *e, projection *p, const char *subject,
                         const civic_record *rec, int64_t as_of, const civic_entry *x,
                         bool at_eff)
{
    bool settled;
    if (!at_eff && (!x->act[0] || !act_goes_on(p, rec, x))) {
        size_t segment = segment_of(p, x->eff);
        if (!p->tried_last || p->last_segment != segment) {
            civic_record_free(p->last);
            free(p->index);
            p->last = NULL;
            p->index = NULL;
            p->tried_last = true;
            p->last_segment = segment;
            int64_t last = x->eff;
            for (size_t k = 0; k < civic_record_count(rec); k++) {
                civic_entry y = CIVIC_ENTRY_INIT;
                civic_record_entry(rec, k, &y);
                if ((y.state == CIVIC_STATE_PENDING || y.state == CIVIC_STATE_MERGED) &&
                    y.eff > last && segment_of(p, y.eff) == segment)
                    last = y.eff;
            }
            p->last = record_then(e, p, subject, rec, as_of, last, &settled);
            if (p->last && !settled) {
                civic_record_free(p->last);
                p->last = NULL;
            }
            if (p->last) p->index = index_by_id(p->last);
        }
        if (p->last) return projected_in(p->last, p->index, x, true);
    }
    if (!p->at || p->at_eff != x->eff) {
        civic_record_free(p->at);
        free(p->at_index);
        p->at = record_then(e, p, subject, rec, as_of, x->eff, &settled);
        p->at_eff = x->eff;
        p->at_index = NULL;
    } else if (!p->at_index) { /* asked again: worth its index */
        p->at_index = index_by_id(p->at);
    }
    return projected_in(p->at, p->at_index, x, false);
}

/* Ready for the next resident. */
static void projection_next(projection *p)
{
    civic_engine_free(p->engine);
    civic_record_free(p->last);
    free(p->index);
    civic_record_free(p->at);
    free(p->at_index);
    p->engine = NULL;
    p->last = NULL;
    p->index = NULL;
    p->at = NULL;
    p->at_index = NULL;
    free(p->acts);
    p->acts = NULL;
    p->nacts = 0;
    p->acts_read = false;
    p->failed = 0;
    p->tried_last = false;
}

/* What the posted table holds and how to object to its entries (w: the
 * scheme's objection window, `closes` when it ends): above the table, so
 * only with one (an empty section says "No entry is posted now" alone). */
static void posted_intro(const answers_sink *out, const civic_scheme_info *info, const span *w,
                         bool closes)
{
    put(out, "<p>These entries are in their publicity period: each counts from the date in "
             "its last column, by the points "
             "shown (a repeat offence, a cap or one act counted once taken into account, as "
             "things stand now). A resident may object to one at the community office");
    if (closes) {
        put(out, " before the moment in its Object before column: ");
        if (w->kind == 'e') {
            put(out, "the start of the ");
            text(out, w->unit);
            put(out, " after the one it is dated in");
        } else {
            span_put(out, info->objection_window);
            put(out, " after its date and time in the Dated column");
        }
        put(out, ". A date there without a time of day means midnight at the start of that day, "
                 "so the last day to object is the day before. Objections stay open until that "
                 "moment even if the entry has started to count and left this table by then; "
                 "the column says closed once it has passed, and an objection made later has no "
                 "effect.</p>\n");
    } else if (w->kind == 'f') {
        put(out, " at any time, before or after it starts to count: the scheme sets no time "
                 "limit for objections.</p>\n");
    } else { /* a window this page cannot read: as written */
        put(out, ", within ");
        text(out, info->objection_window);
        put(out, " of its date in the Dated column.</p>\n");
    }
}

/* The entries in their publicity period at as_of: what the rules table says
 * is "posted for" a while is posted here, so that a resident can object
 * before it counts.  Named as the lists name: not in small cells.  Only for
 * a scheme with publicity (it reads every resident's record).  An entry
 * already repaired never counts on the score: it is left off, or, when its
 * rule also feeds the balance, posted as counting on the balance alone.  An
 * addition that a freeze would hold when it takes effect is posted as such. */
static int posted_section(const answers_sink *out, const civic_engine *e, int64_t as_of,
                          const cells *c, uint64_t min_group)
{
    const civic_rules *r = civic_engine_rules(e);
    if (!any_publicity(r)) return CIVIC_OK;
    civic_result *all = NULL;
    int rc = civic_engine_subjects(e, as_of, &all);
    if (rc != CIVIC_OK) return rc;
    put(out, "<h2 id=\"posted\">Posted before they count</h2>\n");
    civic_scheme_info info = CIVIC_SCHEME_INFO_INIT;
    span w = civic_rules_scheme_info(r, &info) == CIVIC_OK ? span_of(info.objection_window)
                                                           : (span){ 'f', 0, NULL };
    int32_t offset = civic_rules_utc_offset(r);
    /* Each row says when its objections close, as an instant the library
     * counts to: "within 15 days of its date" was read as the 15th day
     * after it included, and an objection on that day was late.  The
     * instant may come after the entry counts and leaves the table. */
    bool closes = objections_close(&w, 0, 0) != CIVIC_FOREVER;
    size_t rows = 0, ncontested = 0;
    projection proj;
    memset(&proj, 0, sizeof(proj));
    name_index *codes = rule_codes(r);
    rc = recount_froms(r, &proj);
    for (size_t i = 0; rc == CIVIC_OK && i < civic_result_count(all); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(all, i, &s);
        if (cell_size(c, s.group) < min_group) continue;
        civic_record *rec = NULL;
        const char **repaired = NULL;
        size_t nrepaired = 0;
        rc = civic_engine_record(e, s.subject, as_of, &rec);
        if (rc == CIVIC_OK) rc = repaired_ids(rec, &repaired, &nrepaired);
        for (size_t k = 0; rc == CIVIC_OK && k < civic_record_count(rec); k++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, k, &x);
            /* a member of an act in its publicity period is merged now, as any
             * member that does not count yet, but may be the one that counts
             * when it takes effect (a recount change can make it the heaviest) */
            bool merged = x.state == CIVIC_STATE_MERGED && x.eff > as_of;
            if (x.kind != CIVIC_KIND_RULE || (x.state != CIVIC_STATE_PENDING && !merged)) continue;
            bool gone = is_repaired(x.id, repaired, nrepaired);
            projected pr = project(e, &proj, s.subject, rec, as_of, &x, gone);
            bool held = pr.frozen;
            /* a frozen addition counts nowhere, the balance included */
            if (gone && (held || !(x.affects & CIVIC_AFFECTS_BALANCE))) continue;
            if (merged && !pr.counts && !held) continue;
            /* a repaired one at what it will take from or add to the balance
             * (escalated, capped); a held one at what it would count on its own */
            int64_t points = gone ? pr.balance : held ? pr.raw : pr.points;
            static const char *const cols[] = { "Resident", "Group", "Rule", "Points", "Dated",
                                                "Object before", "Counts from", NULL };
            static const char *const cols_open[] = { "Resident", "Group", "Rule", "Points",
                                                     "Dated", "Counts from", NULL };
            if (rows++ == 0) {
                posted_intro(out, &info, &w, closes);
                table_open(out, "posted", NULL, "data-table", "posted", closes ? cols : cols_open);
            }
            resident_row(out, c, s.subject, s.group);
            shown(out, x.type);
            /* a direct grade (0 points, say) does what its points do not
             * tell: said under its rule as the rules table says it, of its
             * rule's version then, unless a correction lifted it; nothing
             * when it will count nowhere (merged, repaired, archived by
             * then).  Under the rule, a long flag's name wraps in the rule's
             * column rather than widen the table by a column of its own. */
            civic_rule_info v;
            if (!gone && (pr.counts || held) &&
                rule_version_from(r, codes, x.type, pr.from, &v) && has_effect(&v, pr.lifted)) {
                put(out, "<br><small>");
                effect_put(out, &v, pr.lifted, "score at most ");
                put(out, "</small>");
            }
            put(out, "</td><td class=\"n\">");
            fixed(out, points, 2);
            put(out, "</td><td class=\"d\">");
            when(out, r, x.ts);
            if (closes) {
                int64_t until = objections_close(&w, x.ts, offset);
                if (until <= as_of) { /* posted still, no longer open to objections */
                    put(out, "</td><td>");
                    when_unsplit(out, r, until);
                    put(out, ", closed");
                } else {
                    put(out, "</td><td class=\"d\">");
                    /* past the last instant an objection can bear: none is late */
                    if (until > CIVIC_TIME_MAX) put(out, "no end");
                    else when(out, r, until);
                }
            }
            /* an objection to it stands (contested = "mark": suspended, it
             * would not be pending): marked, in the record's word, so that it
             * does not read as one still open to a first objection */
            bool contested = (x.marks & CIVIC_MARK_CONTESTED) != 0;
            if (gone || held || contested) { /* the note wraps, its date does not */
                put(out, "</td><td>");
                when_unsplit(out, r, x.eff);
            } else {
                put(out, "</td><td class=\"d\">");
                when(out, r, x.eff);
            }
            if (gone) put(out, ", on the balance only (repaired)");
            else if (held) put(out, ", only if the freeze on this resident is lifted by then");
            if (contested) put(out, ", <span data-mark=\"contested\">contested</span>");
            if (contested) ncontested++;
            put(out, "</td></tr>\n");
        }
        free(repaired);
        civic_record_free(rec);
        projection_next(&proj);
    }
    projection_next(&proj);
    free(codes);
    free(proj.recounts);
    civic_rules_free(proj.rules);
    civic_result_free(all);
    if (rows) put(out, "</table></div>\n");
    if (ncontested) /* the scheme's "while contested it keeps its effect" */
        put(out, "<p data-contested=\"1\">An entry marked contested has an objection to it "
                 "still to be decided: it counts from the date in its Counts from column all "
                 "the same, unless the objection is upheld.</p>\n");
    if (!rows)
        put(out, any_small_cell(c, min_group) ? "<p data-posted=\"0\">No entry is named.</p>\n"
                                              : "<p data-posted=\"0\">No entry is posted now.</p>\n");
    if (any_small_cell(c, min_group))
        putf(out, "<p class=\"small\" data-hidden=\"1\">Entries of residents of groups with "
                  "fewer than %" PRIu64 " members are not named here.</p>\n", min_group);
    return rc;
}

/* ------------------------------------------------------------ page */

/* The subjects in no group at depth (0 at depth 0: all are in the one
 * group), of all, every subject's answer. */
static uint64_t ungrouped(const civic_result *all, const civic_groups *g, uint32_t depth)
{
    if (depth == 0) return 0;
    uint64_t n = civic_result_count(all), grouped = 0;
    for (size_t i = 0; i < civic_groups_count(g); i++) {
        civic_group_stats s = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(g, i, &s);
        grouped += s.subjects;
    }
    return n - grouped;
}

int report_html(const answers_sink *out, const civic_engine *e, int64_t as_of,
                const report_options *opt)
{
    const civic_rules *r = civic_engine_rules(e);
    report_options o = { 1, REPORT_MIN_GROUP_DEFAULT, NULL };
    if (opt) o = *opt;
    if (o.min_group == 0) o.min_group = REPORT_MIN_GROUP_DEFAULT;
    civic_groups *g = NULL;
    int rc = civic_engine_groups(e, o.depth, as_of, &g);
    if (rc != CIVIC_OK) return rc;
    /* every subject's answer, asked for once: the ungrouped count, the flags
     * carried and the measures' lists (a failed query fails the page) */
    civic_result *all = NULL;
    rc = civic_engine_subjects(e, as_of, &all);
    if (rc != CIVIC_OK) {
        civic_groups_free(g);
        return rc;
    }
    cells c = { g, o.depth, ungrouped(all, g, o.depth) };
    put(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    /* a scheme without a name is called what civic-score's table calls it,
     * in the page's words (not isolated: no name of the rules) */
    const char *name = civic_rules_name(r);
    if (o.title) title_shown(out, o.title);
    else if (name[0]) {
        put(out, "Public notice: ");
        title_shown(out, name);
    } else {
        put(out, "Public notice: unnamed scheme");
    }
    put(out, "</title>\n<style>");
    put(out, style);
    put(out, "</style>\n</head>\n<body>\n<header><h1>");
    if (o.title) shown(out, o.title);
    else if (name[0]) {
        put(out, "Public notice: ");
        shown(out, name);
    } else {
        put(out, "Public notice: unnamed scheme");
    }
    put(out, "</h1>\n<p class=\"meta\">As of ");
    when(out, r, as_of);
    put(out, ". Residents may object to an entry at the community office.</p></header>\n<main>\n");
    scheme_overview(out, r);
    scheme_rules(out, r);
    scheme_outputs(out, r);
    groups_section(out, g, c.ungrouped, &o);
    rc = posted_section(out, e, as_of, &c, o.min_group);
    if (rc == CIVIC_OK) rc = lists_section(out, e, all, as_of, &c, o.min_group);
    /* the header gives the date; the figures are those of one instant */
    char exact[40];
    if (civic_rules_format_time(r, as_of, exact, sizeof(exact)) != CIVIC_OK)
        snprintf(exact, sizeof(exact), "%" PRId64, as_of);
    putf(out, "</main>\n<footer>Computed by libcivic %s. Figures are exact as of %s.</footer>\n"
              "</body>\n</html>\n", civic_version(), exact);
    civic_result_free(all);
    civic_groups_free(g);
    return rc;
}
