/*
** hints.c -- see hints.h.  The header is split at its commas and nothing
** else: a quoted name is skipped (not compared), so a comma inside it does
** not cut it.
*/
#include "hints.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME_FOLDED_MAX 16      /* a longer name is near no field */

static const char *const field_names[] = { "id", "subject", "type", "ts", "qty", "group",
                                           "ref", "act", "source" };
enum { NAME_QTY = 4, NAME_ACT = 7, NAME_COUNT = 9 };

const char *hints_field_name(int k) { return field_names[NAME_QTY + k]; }

const char *hints_field_without(int k)
{
    static const char *const without[] = { "every event counts as one unit",
                                           "no subject gets a group",
                                           "no revoke or repair has its target" };
    return without[k];
}

static bool blank(unsigned c) { return c == ' ' || c == '\t'; }

/* The field a header name takes (the load's rule: any case, blanks
 * around it ignored), or -1. */
static int name_field(const char *s, size_t n)
{
    while (n && blank((unsigned char)*s)) s++, n--;
    while (n && blank((unsigned char)s[n - 1])) n--;
    for (int k = 0; k < NAME_COUNT; k++)
        if (strlen(field_names[k]) == n && strncasecmp(s, field_names[k], n) == 0) return k;
    return -1;
}

/* The bytes at p[i..n) of a space a spreadsheet or an input method leaves
 * around a name that the load does not trim (U+00A0, U+3000, U+200B), or 0. */
static size_t wide_blank(const unsigned char *p, size_t i, size_t n)
{
    if (i + 1 < n && p[i] == 0xC2 && p[i + 1] == 0xA0) return 2;
    if (i + 2 < n && p[i] == 0xE3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) return 3;
    if (i + 2 < n && p[i] == 0xE2 && p[i + 1] == 0x80 && p[i + 2] == 0x8B) return 3;
    return 0;
}

/* Full-width ASCII (U+FF01..U+FF5E, as an input method types it) folded to
 * ASCII, lower case, blanks around it trimmed (wide_blank's spaces too,
 * anywhere); false if too long. */
static bool fold_name(const char *s, size_t n, char *out, size_t size, size_t *len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t wide = wide_blank(p, i, n);
        if (wide) {
            i += wide;
            continue;
        }
        unsigned c = p[i++];
        if (c == 0xEF && i + 1 < n &&
            ((p[i] == 0xBC && p[i + 1] >= 0x81 && p[i + 1] <= 0xBF) ||
             (p[i] == 0xBD && p[i + 1] >= 0x80 && p[i + 1] <= 0x9E))) {
            c = ((0xFu << 12) | (unsigned)(p[i] & 0x3F) << 6 | (unsigned)(p[i + 1] & 0x3F)) -
                0xFEE0u; /* U+FF01..U+FF5E -> '!'..'~' */
            i += 2;
        }
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (m == 0 && blank(c)) continue;
        if (m == size) return false;
        out[m++] = (char)c;
    }
    while (m && blank((unsigned char)out[m - 1])) m--;
    *len = m;
    return true;
}

/* Whether a and b (both of n letters) differ by one swap of neighbours. */
static bool one_swap(const char *a, const char *b, size_t n)
{
    size_t i = 0;
    while (i < n && a[i] == b[i]) i++;
    return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           memcmp(a + i + 2, b + i + 2, n - i - 2) == 0;
}

/* Whether a (an letters) is b (bn letters) with one letter more, one fewer
 * or one other. */
static bool one_edit(const char *a, size_t an, const char *b, size_t bn)
{
    if (an + 1 < bn || bn + 1 < an) return false;
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i]) i++;
    if (an == bn) return i < an && memcmp(a + i + 1, b + i + 1, an - i - 1) == 0;
    if (an > bn) return memcmp(a + i + 1, b + i, bn - i) == 0;
    return memcmp(a + i, b + i + 1, an - i) == 0;
}

/* The optional field (HINT_*) a name no field takes most likely meant,
 * from its letters (any case, full-width ones folded; other characters
 * such as '.' or '_' dropped, but a digit or a non-ASCII letter means
 * another column: "qty2"): the field's own letters ("Qty.", "ｑｔｙ", "qty"
 * and an ideographic space), two neighbours swapped ("qyt", "gruop"), a
 * plural ("refs"), for group one letter more, fewer or other ("grup"), or a
 * usual long or short form ("quantity", "qnty", "grp"), or what a quantity
 * is most often called in an export ("hours": the built-in scheme's
 * volunteer hours; "amount": a redemption's points; "units").  Those are
 * only said when the header has no qty column (hints_header): with one,
 * an "hours" beside it is another column.  Short names one letter from qty
 * or ref ("qtr", "reg", "rem") are other columns, as "city" and
 * "Reference" (a ticket number, most often) are. */
static int near_field(const char *s, size_t n)
{
    static const struct { const char *name; int field; } forms[] = {
        { "quantity", HINT_QTY }, { "qnty", HINT_QTY }, { "grp", HINT_GROUP },
        { "hours", HINT_QTY },    { "hour", HINT_QTY }, { "hrs", HINT_QTY },
        { "amount", HINT_QTY },   { "units", HINT_QTY },
    };
    char f[NAME_FOLDED_MAX], l[NAME_FOLDED_MAX];
    size_t m, k = 0;
    if (!fold_name(s, n, f, sizeof(f), &m) || m == 0) return -1;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)f[i];
        if ((c >= '0' && c <= '9') || c >= 0x80) return -1;
        if (c >= 'a' && c <= 'z') l[k++] = (char)c;
    }
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (strlen(forms[i].name) == k && memcmp(l, forms[i].name, k) == 0) return forms[i].field;
    for (int h = 0; h < HINT_FIELDS; h++) {
        const char *name = hints_field_name(h);
        size_t len = strlen(name);
        if ((len == k && (memcmp(l, name, k) == 0 || one_swap(l, name, k))) ||
            (k == len + 1 && l[len] == 's' && memcmp(l, name, len) == 0) ||
            (h == HINT_GROUP && one_edit(l, k, name, len)))
            return h;
    }
    return -1;
}

/* name[0..n) into c, cut to HINT_NAME_SHOWN_MAX bytes at a character's start. */
static void keep_name(hint_column *c, const char *name, size_t n, uint32_t column)
{
    if (n > HINT_NAME_SHOWN_MAX) {
        n = HINT_NAME_SHOWN_MAX;
        while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80) n--;
    }
    memcpy(c->name, name, n);
    c->name[n] = '\0';
    c->column = column;
    c->found = true;
}

void hints_header(const char *p, size_t n, bool complete, hint_column out[HINT_FIELDS])
{
    hint_column near[HINT_FIELDS];
    bool has[NAME_COUNT] = { false };
    memset(out, 0, HINT_FIELDS * sizeof(*out));
    memset(near, 0, sizeof(near));
    if (!complete) return; /* its last names unread: the real one may be there */
    if (n > 0 && p[n - 1] == '\r') n--;
    for (size_t at = 0; at <= n; at++) {
        size_t end = at;
        if (at < n && p[at] == '"') { /* skipped, but for a field's own name */
            for (end = at + 1;; end++) {
                if (end >= n) return; /* closed on a later line: names unread */
                if (p[end] == '"' && end + 1 < n && p[end + 1] == '"') end++;
                else if (p[end] == '"') break;
            }
            int k = name_field(p + at + 1, end - at - 1);
            if (k >= 0) has[k] = true;
            while (end < n && p[end] != ',') end++;
        } else {
            while (end < n && p[end] != ',') end++;
            int k = name_field(p + at, end - at), f;
            if (k >= 0) has[k] = true;
            else if ((f = near_field(p + at, end - at)) >= 0 && !near[f].found)
                keep_name(&near[f], p + at, end - at, (uint32_t)at + 1);
        }
        at = end;
    }
    for (int k = 0; k < HINT_FIELDS; k++)
        if (!has[NAME_QTY + k]) out[k] = near[k];
}

/* ------------------------------------------------ a JSON Lines line's keys */

#define KEY_DECODED_MAX 256 /* a longer key is compared with no field's name */

/* The JSON string at p[*i] == '"': *i moves past its closing quote; its
 * text decoded into buf (a \u escape past ASCII as the byte 0x80, which
 * is in no field's name), *len SIZE_MAX when longer than size.  False when
 * the line ends inside it or an escape is malformed. */
static bool json_string(const char *p, size_t n, size_t *i, char *buf, size_t size, size_t *len)
{
    size_t m = 0;
    bool fits = true;
    for (++*i; *i < n;) {
        unsigned c = (unsigned char)p[(*i)++];
        if (c == '"') {
            *len = fits ? m : SIZE_MAX;
            return true;
        }
        if (c == '\\') {
            if (*i >= n) return false;
            char e = p[(*i)++];
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *at = e ? strchr(from, e) : NULL;
            if (at) {
                c = (unsigned char)to[at - from];
            } else if (e == 'u' && *i + 4 <= n) {
                unsigned v = 0;
                for (int k = 0; k < 4; k++) {
                    char h = p[(*i)++];
                    v <<= 4;
                    if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
                    else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
                        v |= (unsigned)((h | 0x20) - 'a' + 10);
                    else return false;
                }
                c = v < 0x80 ? v : 0x80;
            } else {
                return false;
            }
        }
        if (m < size) buf[m++] = (char)c;
        else fits = false;
    }
    return false;
}

/* A member's value from p[*i]: *i moves to the ',' or '}' after it.  False
 * when the line ends first or a bracket does not match. */
static bool json_skip(const char *p, size_t n, size_t *i)
{
    unsigned depth = 0;
    while (*i < n) {
        char c = p[*i];
        size_t len;
        if (depth == 0 && (c == ',' || c == '}')) return true;
        if (c == '"') {
            if (!json_string(p, n, i, NULL, 0, &len)) return false;
            continue;
        }
        if (c == '{' || c == '[') depth++;
        else if (c == ']' || c == '}') {
            if (depth == 0) return false;
            depth--;
        }
        ++*i;
    }
    return false;
}

/* The field (NAME_*) key k[0..n) spells, as the load reads keys: *exact
 * when it is the name itself; else in other letters, or with blanks
 * (spaces, tabs) around it (*blanks).  -1: another key. */
static int key_field(const char *k, size_t n, bool *exact, bool *blanks)
{
    size_t a = 0, m = n;
    while (a < m && blank((unsigned char)k[a])) a++;
    while (m > a && blank((unsigned char)k[m - 1])) m--;
    for (int f = 0; f < NAME_COUNT; f++) {
        if (strlen(field_names[f]) != m - a || strncasecmp(k + a, field_names[f], m - a) != 0)
            continue;
        *blanks = a > 0 || m < n;
        *exact = !*blanks && memcmp(k, field_names[f], n) == 0;
        return f;
    }
    return -1;
}

static void ws(const char *p, size_t n, size_t *i)
{
    while (*i < n && (p[*i] == ' ' || p[*i] == '\t' || p[*i] == '\r')) ++*i;
}

void hints_jsonl_keys(const char *p, size_t n, bool complete, hint_key *out)
{
    struct { size_t at, end; bool blanks; } first[NAME_COUNT]; /* its first variant */
    bool exact[NAME_COUNT] = { false }, seen[NAME_COUNT] = { false };
    char key[KEY_DECODED_MAX];
    size_t i = 0;
    memset(out, 0, sizeof(*out));
    if (!complete) return; /* the exact key may come after the bytes read */
    ws(p, n, &i);
    if (i >= n || p[i] != '{') return;
    i++;
    ws(p, n, &i);
    if (i < n && p[i] == '}') return;
    for (;;) {
        size_t at = i, len;
        bool is_exact, blanks;
        if (i >= n || p[i] != '"' || !json_string(p, n, &i, key, sizeof(key), &len)) return;
        size_t end = i - 1;
        ws(p, n, &i);
        if (i >= n || p[i] != ':') return;
        i++;
        ws(p, n, &i);
        if (!json_skip(p, n, &i)) return;
        int f = len == SIZE_MAX ? -1 : key_field(key, len, &is_exact, &blanks);
        if (f >= 0 && is_exact) exact[f] = true;
        else if (f >= 0 && !seen[f]) {
            seen[f] = true;
            first[f].at = at + 1;
            first[f].end = end;
            first[f].blanks = blanks;
        }
        if (p[i] == '}') break;
        i++; /* ',' */
        ws(p, n, &i);
    }
    int pick = -1;
    for (int f = 0; f < NAME_ACT; f++) /* act and source: not read under these rules */
        if (seen[f] && !exact[f] && (pick < 0 || first[f].at < first[pick].at)) pick = f;
    if (pick < 0) return;
    size_t len = first[pick].end - first[pick].at;
    if (len > HINT_NAME_SHOWN_MAX) {
        len = HINT_NAME_SHOWN_MAX;
        while (len > 0 && ((unsigned char)p[first[pick].at + len] & 0xC0) == 0x80) len--;
    }
    memcpy(out->name, p + first[pick].at, len);
    out->name[len] = '\0';
    out->field = field_names[pick];
    out->blanks = first[pick].blanks;
    out->found = true;
}

void hints_log_head(const char *p, size_t n, bool ended, uint32_t format, bool keys_ignored,
                    void (*say)(void *payload, int kind, const char *text), void *payload)
{
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, start = i;
    uint64_t line = 1;
    for (; i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'); i++)
        if (p[i] == '\n') line++, start = i + 1;
    if (i >= n || (format == CIVIC_FORMAT_CSV && p[i] == '{')) return;
    bool jsonl = format == CIVIC_FORMAT_JSONL || p[i] == '{';
    i = start; /* blanks that begin the line are its own */
    const char *nl = memchr(p + i, '\n', n - i);
    size_t end = nl ? (size_t)(nl - p) : n;
    char text[HINTS_LOG_TEXT_BYTES];
    if (jsonl) {
        hint_key key;
        if (!keys_ignored) return;
        hints_jsonl_keys(p + i, end - i, nl || ended, &key);
        if (!key.found) return;
        snprintf(text, sizeof(text), "line %" PRIu64 ": key \"%s\" is ignored (%s: \"%s\")",
                 line, key.name,
                 key.blanks ? "a key has no blanks around it" : "keys are lower case", key.field);
        say(payload, HINT_LOG_KEY, text);
        return;
    }
    hint_column col[HINT_FIELDS];
    hints_header(p + i, end - i, nl || ended, col);
    for (int k = 0; k < HINT_FIELDS; k++) {
        if (!col[k].found) continue;
        snprintf(text, sizeof(text), "column '%s' (line %" PRIu64 ", column %u) is ignored: "
                 "did you mean '%s'? without it %s", col[k].name, line, col[k].column,
                 hints_field_name(k), hints_field_without(k));
        say(payload, HINT_LOG_COLUMN + k, text);
    }
}

static bool toml_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

void hints_rules_text_at(const char *p, size_t n, uint64_t *line, uint32_t *column)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, start = i;
    uint64_t at = 1;
    for (;;) { /* as hints_rules_text skips, counting the lines */
        while (i < n && (blank(u[i]) || u[i] == '\r' || u[i] == '\n'))
            if (u[i++] == '\n') at++, start = i;
        if (i >= n || u[i] != '#') break;
        while (i < n && u[i] != '\n') i++;
    }
    *line = at;
    *column = (uint32_t)(i - start + 1);
}

bool hints_rules_text(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    for (;;) {
        while (i < n && (blank(u[i]) || u[i] == '\r' || u[i] == '\n')) i++;
        if (i >= n || u[i] != '#') break;
        while (i < n && u[i] != '\n') i++;
    }
    size_t k = i, brackets = 0;
    while (k < n && u[k] == '[' && brackets < 2) k++, brackets++;
    size_t name = k;
    while (k < n && toml_name_char(u[k])) k++;
    if (k == name || !((u[name] | 0x20) >= 'a' && (u[name] | 0x20) <= 'z')) return false;
    if (brackets && ((k - name == 4 && (memcmp(p + name, "true", 4) == 0 ||
                                        memcmp(p + name, "null", 4) == 0)) ||
                     (k - name == 5 && memcmp(p + name, "false", 5) == 0)))
        return false; /* a JSON array: [true] */
    if (brackets == 0) {
        /* "key = value" as a rules file writes it: a blank before the '='
         * (a spreadsheet's "sep=," and a form's "qty=5" have none), then a
         * value TOML takes */
        size_t eq = k;
        while (k < n && blank(u[k])) k++;
        if (k == eq || k >= n || u[k] != '=') return false;
        for (k++; k < n && blank(u[k]); k++) {}
        static const char *const words[] = { "true", "false", "inf", "nan" };
        for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
            size_t len = strlen(words[w]);
            if (n - k >= len && memcmp(p + k, words[w], len) == 0 &&
                (k + len == n || !toml_name_char(u[k + len])))
                return true;
        }
        return k < n && (u[k] == '"' || u[k] == '\'' || u[k] == '[' || u[k] == '{' ||
                         u[k] == '+' || u[k] == '-' || (u[k] >= '0' && u[k] <= '9'));
    }
    for (size_t b = 0; b < brackets; b++, k++)
        if (k >= n || u[k] != ']') return false;
    while (k < n && blank(u[k])) k++;
    return k == n || u[k] == '\n' || u[k] == '\r' || u[k] == '#';
}

bool hints_small_seconds(const char *t, size_t n, int64_t *secs)
{
    /* no bound on n: leading zeros, as many as there are, leave the value
     * (the library reads 000...020251205 as 20251205) */
    size_t i = n > 0 && t[0] == '-';
    if (i == n) return false;
    int64_t v = 0;
    for (size_t k = i; k < n; k++) {
        if (t[k] < '0' || t[k] > '9') return false;
        if (v > (INT64_MAX - 9) / 10) return false; /* past every time */
        v = v * 10 + (t[k] - '0');
    }
    if (!i && v >= HINTS_SMALL_SECONDS) return false;
    *secs = i ? -v : v;
    return true;
}

void hints_meant(const civic_rules *rules, int64_t secs, char *buf, size_t size)
{
    char date[16], when[40];
    int64_t t;
    snprintf(buf, size, "YYYY-MM-DD");
    if (secs >= 19000101 && secs <= 99991231) { /* a date without its dashes? */
        snprintf(date, sizeof(date), "%04d-%02d-%02d", (int)(secs / 10000),
                 (int)(secs / 100 % 100), (int)(secs % 100));
        if (civic_rules_parse_time(rules, date, strlen(date), &t) == CIVIC_OK)
            snprintf(buf, size, "%s", date);
    } else if (secs >= 20000 && secs <= 80000) { /* 1954 .. 2119 as a spreadsheet's day */
        /* day 25569 is 1970-01-01; its local midnight, written by the library */
        t = (secs - 25569) * 86400 - civic_rules_utc_offset(rules);
        if (civic_rules_format_time(rules, t, when, sizeof(when)) == CIVIC_OK)
            snprintf(buf, size, "%.10s, if it is a spreadsheet's day number", when);
    }
}

/* A time as the warnings write it: the rules' form, else its seconds. */
static void time_text(const civic_rules *rules, int64_t t, char *buf, size_t size)
{
    if (civic_rules_format_time(rules, t, buf, size) != CIVIC_OK)
        snprintf(buf, size, "%" PRId64, t);
}

/* The warning of the earliest or latest ts held (which), t, past `bound`
 * ("before 1973-03-03T09:46:40Z"), and what a time needs to be read as
 * meant ("a date needs its dashes"), with what t most likely meant. */
static void ts_warning(const civic_rules *rules, const char *which, int64_t t, const char *bound,
                       const char *needs, const char *meant, char *buf, size_t size)
{
    char when[40];
    time_text(rules, t, when, sizeof(when));
    snprintf(buf, size, "the %s event's ts is %s (Unix seconds %" PRId64 "), %s: if it was "
             "written as a bare integer, that is Unix seconds; %s (%s)", which, when, t, bound,
             needs, meant);
}

bool hints_early_ts(const civic_rules *rules, int64_t first, char *buf, size_t size)
{
    if (first >= HINTS_SMALL_SECONDS) return false;
    char meant[80];
    hints_meant(rules, first, meant, sizeof(meant));
    ts_warning(rules, "earliest", first, "before 1973-03-03T09:46:40Z", "a date needs its dashes",
               meant, buf, size);
    return true;
}

/* What the ts secs (from HINTS_LATE_SECONDS) was most likely meant as,
 * into buf: "2026-12-08T12:00:00" (twelve digits that read as
 * YYYYMMDDHHMM, a date and time of 1900 or later, checked by the library
 * as hints_meant checks a date), else "YYYY-MM-DDTHH:MM:SS". */
static void late_meant(const civic_rules *rules, int64_t secs, char *buf, size_t size)
{
    char when[24];
    int64_t t;
    snprintf(buf, size, "YYYY-MM-DDTHH:MM:SS");
    if (secs >= INT64_C(190001010000) && secs <= INT64_C(999999999999)) {
        snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:00", (int)(secs / 100000000),
                 (int)(secs / 1000000 % 100), (int)(secs / 10000 % 100),
                 (int)(secs / 100 % 100), (int)(secs % 100));
        if (civic_rules_parse_time(rules, when, strlen(when), &t) == CIVIC_OK)
            snprintf(buf, size, "%s", when);
    }
}

bool hints_late_ts(const civic_rules *rules, int64_t last, char *buf, size_t size)
{
    if (last < HINTS_LATE_SECONDS) return false;
    char meant[24];
    late_meant(rules, last, meant, sizeof(meant));
    ts_warning(rules, "latest", last, "at or after 5138-11-16T09:46:40Z",
               "a date and time need their separators", meant, buf, size);
    return true;
}

bool hints_small_time(const civic_rules *rules, const char *what, const char *text, size_t n,
                      char *buf, size_t size)
{
    int64_t secs;
    if (!hints_small_seconds(text, n, &secs)) return false;
    char when[40], meant[80], shown[80];
    time_text(rules, secs, when, sizeof(when));
    hints_meant(rules, secs, meant, sizeof(meant));
    /* the text as given, unless its leading zeros make it longer than any
     * time's digits: then without them, and how many there were */
    size_t sign = text[0] == '-', z = sign;
    while (z + 1 < n && text[z] == '0') z++;
    if (n <= HINTS_TIME_GIVEN_BYTES)
        snprintf(shown, sizeof(shown), "%.*s", (int)n, text);
    else
        snprintf(shown, sizeof(shown), "%.*s%.*s (written with %zu leading zeros)", (int)sign,
                 text, (int)(n - z), text + z, z - sign);
    snprintf(buf, size, "%s%s is Unix seconds: %s; a date needs its dashes (%s)", what, shown,
             when, meant);
    return true;
}

/* A scheme's rules and changes, one version at a time: more than this many
 * and the retain check says nothing (it compares versions pairwise). */
#define HINT_VERSIONS_MAX 4096

/* The first rule other than `skip` of which some version touches the
 * balance and has cap group (key 0) `name`, or category (key 1) `name` and
 * a repeat_factor (a category counts only for escalation); NULL when none.
 * Versions are compared whatever their dates. */
static const char *balance_rule_with(const civic_rules *rules, size_t skip, int key,
                                     const char *name)
{
    for (size_t j = 0; j < civic_rules_rule_count(rules); j++) {
        civic_rule_info v = CIVIC_RULE_INFO_INIT;
        for (size_t c = 0; j != skip && civic_rules_rule_info(rules, j, c, &v) == CIVIC_OK; c++) {
            const char *its = key == 0 ? v.cap_group : v.category;
            if ((v.affects & CIVIC_AFFECTS_BALANCE) && strcmp(its, name) == 0 &&
                (key == 0 || v.repeat_factor != 0))
                return v.code;
            if (c >= v.changes) break;
        }
    }
    return NULL;
}

/* The character that starts at p[i] (of n; valid UTF-8, as the library
 * keeps names), its length in *len: when it is one no reader sees in a
 * name, what it is ("U+00A0, a no-break space"), and in *zero whether it is
 * zero-width (else a space other than ' '); NULL for any other.  A plain
 * blank is the caller's to tell. */
static const char *unseen_char(const unsigned char *p, size_t i, size_t n, size_t *len,
                               bool *zero)
{
    uint32_t cp = p[i];
    size_t k = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if (i + k > n) k = n - i;
    if (k > 1) cp &= 0x3Fu >> (k - 1);
    for (size_t j = 1; j < k; j++) cp = cp << 6 | (p[i + j] & 0x3Fu);
    *len = k;
    *zero = true;
    switch (cp) {
    case 0x200B: return "U+200B, a zero-width space";
    case 0x200C: return "U+200C, a zero-width non-joiner";
    case 0x200D: return "U+200D, a zero-width joiner";
    case 0x2060: return "U+2060, a word joiner";
    case 0xFEFF: return "U+FEFF, a byte-order mark";
    default: break;
    }
    *zero = false;
    if (cp == 0x00A0) return "U+00A0, a no-break space";
    if (cp == 0x202F) return "U+202F, a narrow no-break space";
    if (cp == 0x3000) return "U+3000, an ideographic space";
    if (cp >= 0x2000 && cp <= 0x200A) return "a typographic space (U+2000..U+200A)";
    return NULL;
}

/* What of the name s (a flag, a dimension) is unseen: blanks or other
 * spaces at its start or end, or a zero-width character anywhere (a copy
 * from a spreadsheet or a web page), said as civic-score says it of a
 * subject id ("ends with a blank", "begins with U+00A0, a no-break space",
 * "is blanks only") into why; the name without them into bare.  False
 * when it has none. */
static bool name_unseen(const char *s, char *why, size_t why_size, char *bare, size_t bare_size)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), lo = 0, hi = n, k, m = 0;
    bool zero;
    const char *lead = NULL, *trail = NULL, *inside = NULL, *w;
    while (lo < n) { /* the spaces it begins with */
        w = blank(p[lo]) ? NULL : unseen_char(p, lo, n, &k, &zero);
        if (!w && !blank(p[lo])) break;
        if (w && !lead) lead = w;
        lo += w ? k : 1;
    }
    while (hi > lo) { /* and ends with */
        size_t i = hi - 1;
        while (i > lo && (p[i] & 0xC0) == 0x80) i--;
        w = blank(p[i]) ? NULL : unseen_char(p, i, hi, &k, &zero);
        if (!w && !blank(p[i])) break;
        if (w && !trail) trail = w;
        hi = i;
    }
    for (size_t i = lo; i < hi; i += k) { /* zero-width ones inside: dropped */
        w = unseen_char(p, i, hi, &k, &zero);
        if (w && zero && !inside) inside = w;
        if ((!w || !zero) && m + k < bare_size) memcpy(bare + m, s + i, k), m += k;
    }
    bare[m] = '\0';
    if (lo == 0 && hi == n && !inside) return false;
    if (m == 0) snprintf(why, why_size, "is blanks only");
    else if (lead) snprintf(why, why_size, "begins with %s", lead);
    else if (trail) snprintf(why, why_size, "ends with %s", trail);
    else if (inside) snprintf(why, why_size, "holds %s", inside);
    else
        snprintf(why, why_size, "%s", lo > 0 && hi < n ? "has blanks around it"
                                      : lo > 0        ? "begins with a blank"
                                                      : "ends with a blank");
    return true;
}

/* Flags and dimensions whose names hold what no reader sees (name_unseen):
 * each is another list or subtotal than the name without it ("dishonest "
 * beside "dishonest"), though the rules load (version 1 took them). */
static void unseen_names(const civic_rules *rules, size_t versions,
                         void (*say)(void *payload, int kind, const char *text), void *payload)
{
    char text[1024], why[96], bare[256];
    size_t flags = civic_rules_flag_count(rules);
    size_t total = flags + civic_rules_dimension_count(rules);
    for (size_t i = 0; i < total; i++) {
        bool flag = i < flags;
        const char *name = flag ? civic_rules_flag_name(rules, i)
                                : civic_rules_dimension_name(rules, i - flags);
        if (!name || !name_unseen(name, why, sizeof(why), bare, sizeof(bare))) continue;
        /* the first rule that names it (not looked for in a scheme too large
         * to compare versions with names cheaply) */
        const char *code = NULL;
        for (size_t j = 0; !code && versions <= HINT_VERSIONS_MAX &&
                           j < civic_rules_rule_count(rules); j++) {
            civic_rule_info v = CIVIC_RULE_INFO_INIT;
            for (size_t c = 0; !code && civic_rules_rule_info(rules, j, c, &v) == CIVIC_OK; c++) {
                if (strcmp(flag ? v.flag : v.dimension, name) == 0) code = v.code;
                if (c >= v.changes) break;
            }
        }
        char who[96] = "";
        if (code) snprintf(who, sizeof(who), "rule '%.64s': ", code);
        const char *what = flag ? "flag" : "dimension";
        if (strcmp(why, "is blanks only") == 0)
            snprintf(text, sizeof(text), "%s%s '%s' is blanks only", who, what, name);
        else
            snprintf(text, sizeof(text), "%s%s '%s' %s: it is a different %s from '%s'", who,
                     what, name, why, what, bare);
        say(payload, HINT_UNSEEN, text);
    }
}

/* Grades no score can have: a score is always within the scheme's
 * min..max, and its grade follows from it (the first grade whose min it
 * reaches, else the last), so a grade whose min is above the scheme's max,
 * or one below a grade that already takes the scheme's min, never applies.
 * Grades are a key of version 1: the rules load, as 1.0 loaded them. */
static void grades_never(const civic_rules *rules, const civic_scheme_info *s,
                         void (*say)(void *payload, int kind, const char *text), void *payload)
{
    char text[1024], num[32], bound[32];
    size_t n = civic_rules_grade_count(rules);
    int64_t min, prev = 0;
    for (size_t g = 0; g < n; g++) {
        bool own = g + 1 < n && civic_rules_grade_min(rules, g, &min) == CIVIC_OK;
        if (own && s->has_max && min > s->max) {
            civic_format_fixed(min, 2, num, sizeof(num));
            civic_format_fixed(s->max, 2, bound, sizeof(bound));
            snprintf(text, sizeof(text), "grade '%s' can never apply: its min %s is above the "
                     "scheme's max %s, the highest score", civic_rules_grade_name(rules, g), num,
                     bound);
            say(payload, HINT_GRADE, text);
        } else if (g > 0 && s->has_min && prev <= s->min) {
            /* the grade of the scheme's min: the first whose min it reaches */
            size_t k = 0;
            while (k + 1 < n && civic_rules_grade_min(rules, k, &min) == CIVIC_OK && min > s->min)
                k++;
            civic_format_fixed(s->min, 2, bound, sizeof(bound));
            civic_rules_grade_min(rules, k, &min);
            civic_format_fixed(min, 2, num, sizeof(num));
            snprintf(text, sizeof(text), "grade '%s' can never apply: the scheme's min %s, the "
                     "lowest score, already has grade '%s' (min %s)",
                     civic_rules_grade_name(rules, g), bound, civic_rules_grade_name(rules, k),
                     num);
            say(payload, HINT_GRADE, text);
        }
        if (own) prev = min;
        else if (g + 1 < n) break; /* (every grade but the last has a min) */
    }
}

/* Names near enough to be one misspelt (a cap, a category), as an unknown
 * key's "did you mean" measures it: the same letters in another case, or
 * one edit away (a letter added, dropped or changed, two neighbours
 * swapped), two for a name of six bytes or more; or the same once '_',
 * '-', '.' and blanks are dropped ("red_light", "red-light", "redlight").
 * Looked for among at most HINT_NEAR_NAMES_MAX names, every pair compared. */
#define HINT_NEAR_NAMES_MAX 256
#define HINT_NEAR_BYTES_MAX 64

static unsigned char fold_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* The edit distance of a and b (optimal string alignment, letters without
 * case), both at most HINT_NEAR_BYTES_MAX bytes. */
static unsigned near_distance(const char *a, size_t an, const char *b, size_t bn)
{
    unsigned d[HINT_NEAR_BYTES_MAX + 1][HINT_NEAR_BYTES_MAX + 1];
    for (size_t i = 0; i <= an; i++) d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= bn; j++) d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= an; i++)
        for (size_t j = 1; j <= bn; j++) {
            unsigned char ca = fold_lower((unsigned char)a[i - 1]);
            unsigned char cb = fold_lower((unsigned char)b[j - 1]);
            unsigned best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == fold_lower((unsigned char)b[j - 2]) &&
                fold_lower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[an][bn];
}

/* s without '_', '-', '.' and blanks, lower case, into out (of
 * HINT_NEAR_BYTES_MAX + 1). */
static size_t near_letters(const char *s, char *out)
{
    size_t m = 0;
    for (; *s && m < HINT_NEAR_BYTES_MAX; s++)
        if (!strchr("_-. \t", *s)) out[m++] = (char)fold_lower((unsigned char)*s);
    out[m] = '\0';
    return m;
}

/* How near `name` is to `other`: 0 for not near, else the edit distance
 * (1 or 2), or 1 for the same letters without separators. */
static unsigned near_name(const char *name, const char *other)
{
    size_t n = strlen(name), m = strlen(other);
    char a[HINT_NEAR_BYTES_MAX + 1], b[HINT_NEAR_BYTES_MAX + 1];
    if (n == 0 || m == 0 || n > HINT_NEAR_BYTES_MAX || m > HINT_NEAR_BYTES_MAX) return 0;
    if (strcmp(name, other) == 0) return 0;
    unsigned limit = n >= 6 ? 2 : 1;
    if ((n > m ? n - m : m - n) <= limit) {
        unsigned d = near_distance(name, n, other, m);
        if (d <= limit) return d ? d : 1;
    }
    near_letters(name, a);
    near_letters(other, b);
    return a[0] && strcmp(a, b) == 0 ? 1 : 0;
}

/* One version of a rule, for the checks below: its code, cap group and
 * category, and whether it escalates.  The versions of all rules are kept
 * rule by rule, in rule order. */
typedef struct hint_version {
    size_t rule;
    const char *code, *cap_group, *category;
    bool repeat;
} hint_version;

/* "rule 'a'", "rule 'a' and 2 more": the rules in a category, into buf. */
static void rules_said(const char *first, size_t count, char *buf, size_t size)
{
    if (count > 1)
        snprintf(buf, size, "rule '%s' and %zu more", first, count - 1);
    else
        snprintf(buf, size, "rule '%s'", first);
}

/* Shared caps no rule names in cap_group (in any version): they cap
 * nothing.  With a cap_group a rule names near the cap's name (in a scheme
 * of at most HINT_NEAR_NAMES_MAX caps), that rule and name. */
static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void caps_unused(const civic_rules *rules, const hint_version *v, size_t versions,
                        void (*say)(void *payload, int kind, const char *text), void *payload)
{
    char text[1024];
    size_t caps = civic_rules_cap_count(rules);
    /* the cap groups named, sorted: a scheme may have many caps */
    const char **named = malloc((versions ? versions : 1) * sizeof(*named));
    if (!named) return;
    for (size_t k = 0; k < versions; k++) named[k] = v[k].cap_group;
    qsort(named, versions, sizeof(*named), compare_names);
    for (size_t i = 0; i < caps; i++) {
        civic_cap_info cap = CIVIC_CAP_INFO_INIT;
        if (civic_rules_cap_info(rules, i, &cap) != CIVIC_OK ||
            bsearch(&cap.name, named, versions, sizeof(*named), compare_names))
            continue;
        const hint_version *near = NULL;
        unsigned best = 3;
        for (size_t k = 0; caps <= HINT_NEAR_NAMES_MAX && k < versions; k++) {
            unsigned d = v[k].cap_group[0] ? near_name(cap.name, v[k].cap_group) : 0;
            if (d && d < best) best = d, near = &v[k];
        }
        int len = snprintf(text, sizeof(text), "cap '%s' is named in no rule's cap_group, so it "
                           "caps nothing", cap.name);
        if (near && len > 0 && (size_t)len < sizeof(text))
            snprintf(text + len, sizeof(text) - (size_t)len, " (rule '%s' names cap_group '%s': "
                     "is one of the two misspelt?)", near->code, near->cap_group);
        say(payload, HINT_CAP, text);
    }
    free(named);
}

/* One category: its name, the rules in it (counted once each, in rule
 * order: the first and how many), whether it is named (a rule's category
 * other than its own code) and whether a rule in it escalates. */
typedef struct hint_category {
    const char *name;
    size_t first, count, last;
    bool named, repeat;
} hint_category;

/* Whether some version of rule `rule` is in category `name`; its versions
 * are v[start[rule]..start[rule + 1]). */
static bool rule_in(const hint_version *v, const size_t *start, size_t rule, const char *name)
{
    for (size_t k = start[rule]; k < start[rule + 1]; k++)
        if (strcmp(v[k].category, name) == 0) return true;
    return false;
}

/* Categories a rule is most likely in by mistake, where escalation
 * (repeat_factor) is at stake: a named category that is the code of a rule
 * in another category (a rule is in its own code's category only while it
 * names none), and, in a scheme of at most HINT_NEAR_NAMES_MAX categories,
 * one only one rule is in that is near another category ("trafic" beside
 * "traffic"): rules of different categories never escalate each other.  Of
 * two such categories of one rule each, the later is named. */
static void categories_apart(const civic_rules *rules, const hint_version *v, size_t versions,
                             void (*say)(void *payload, int kind, const char *text),
                             void *payload)
{
    char text[1024], who[160], whose[160];
    size_t count = civic_rules_rule_count(rules), n = 0;
    hint_category *c = malloc((versions ? versions : 1) * sizeof(*c));
    bool *repeat = calloc(count + 1, sizeof(bool));
    size_t *start = calloc(count + 2, sizeof(size_t));
    if (!c || !repeat || !start) goto done;
    for (size_t k = 0; k < versions; k++) {
        repeat[v[k].rule] |= v[k].repeat;
        start[v[k].rule + 1] = k + 1;
    }
    for (size_t r = 1; r <= count; r++)
        if (start[r] < start[r - 1]) start[r] = start[r - 1]; /* (a rule without versions) */
    for (size_t k = 0; k < versions; k++) {
        size_t j = 0;
        while (j < n && strcmp(c[j].name, v[k].category) != 0) j++;
        if (j == n) c[n++] = (hint_category){ v[k].category, v[k].rule, 0, SIZE_MAX, false, false };
        if (c[j].last != v[k].rule) c[j].count++;
        c[j].last = v[k].rule;
        c[j].named |= strcmp(v[k].category, v[k].code) != 0;
        c[j].repeat |= repeat[v[k].rule];
    }
    for (size_t x = 0; x < n; x++) {
        if (!c[x].named) continue;
        const char *first = civic_rules_rule_code(rules, c[x].first);
        rules_said(first, c[x].count, who, sizeof(who));
        /* the code of a rule that is not in it */
        size_t r = 0;
        while (r < count && strcmp(civic_rules_rule_code(rules, r), c[x].name) != 0) r++;
        if (r < count && !rule_in(v, start, r, c[x].name)) {
            if (!c[x].repeat && !repeat[r]) continue;
            const char *its = start[r] < start[r + 1] ? v[start[r]].category : "";
            snprintf(text, sizeof(text), "%s %s category '%s', the code of rule '%s', which is "
                     "in category '%s': they do not escalate each other (a rule is in its own "
                     "code's category only when it names none)", who,
                     c[x].count > 1 ? "have" : "has", c[x].name, c[x].name, its);
            say(payload, HINT_CATEGORY_CODE, text); /* another slip than a near name */
            continue;
        }
        if (c[x].count != 1 || n > HINT_NEAR_NAMES_MAX) continue;
        size_t near = n;
        unsigned best = 3;
        for (size_t y = 0; y < n; y++) {
            /* another category, not of this rule too; one named of one rule
             * only if it comes first (the pair is said once, of the later) */
            if (y == x || rule_in(v, start, c[x].first, c[y].name) ||
                (c[y].named && c[y].count == 1 && y > x) || (!c[x].repeat && !c[y].repeat))
                continue;
            unsigned d = near_name(c[x].name, c[y].name);
            if (d && d < best) best = d, near = y;
        }
        if (near == n) continue;
        rules_said(civic_rules_rule_code(rules, c[near].first), c[near].count, whose,
                   sizeof(whose));
        snprintf(text, sizeof(text), "rule '%s' is the only rule in category '%s', near category "
                 "'%s' (%s): rules in different categories do not escalate each other; if they "
                 "are one family, give them one category", first, c[x].name, c[near].name, whose);
        say(payload, HINT_CATEGORY, text);
    }
done:
    free(c);
    free(repeat);
    free(start);
}

void hints_scheme(const civic_rules *rules, void (*say)(void *payload, int kind, const char *text),
                  void *payload)
{
    char text[1024];
    size_t n = civic_rules_grade_count(rules), versions = 0;
    int64_t min;
    civic_scheme_info scheme = CIVIC_SCHEME_INFO_INIT;
    bool floor = civic_rules_scheme_info(rules, &scheme) == CIVIC_OK && scheme.has_min;
    if (n > 0 && !floor && civic_rules_grade_min(rules, n - 1, &min) == CIVIC_OK) {
        snprintf(text, sizeof(text), "the last grade's min (grade '%s') has no effect: the last "
                 "grade takes every lower score; to set the scheme's lowest score put min under "
                 "[scheme]", civic_rules_grade_name(rules, n - 1));
        say(payload, HINT_LAST_MIN, text);
    }
    if (civic_rules_scheme_info(rules, &scheme) == CIVIC_OK)
        grades_never(rules, &scheme, say, payload);
    for (size_t i = 0; i < civic_rules_rule_count(rules); i++) {
        civic_rule_info v = CIVIC_RULE_INFO_INIT;
        if (civic_rules_rule_info(rules, i, 0, &v) == CIVIC_OK) versions += 1 + v.changes;
    }
    unseen_names(rules, versions, say, payload);
    if (versions > HINT_VERSIONS_MAX) return;
    for (size_t i = 0; i < civic_rules_rule_count(rules); i++) {
        civic_rule_info v = CIVIC_RULE_INFO_INIT;
        const char *other = NULL;
        char why[400] = "";
        for (size_t c = 0; !other && civic_rules_rule_info(rules, i, c, &v) == CIVIC_OK; c++) {
            if (v.retain[0] && strcmp(v.retain, "forever") != 0) {
                if (v.cap_group[0] && (other = balance_rule_with(rules, i, 0, v.cap_group)))
                    snprintf(why, sizeof(why), "shares cap group '%s' with rule '%s'",
                             v.cap_group, other);
                else if (v.category[0] && (other = balance_rule_with(rules, i, 1, v.category)))
                    snprintf(why, sizeof(why), "shares category '%s' with rule '%s'", v.category,
                             other);
            }
            if (c >= v.changes) break;
        }
        if (!other) continue;
        snprintf(text, sizeof(text), "rule '%s' has retain and %s, which touches the balance: "
                 "once its entries are archived, the balance entries they capped or escalated count "
                 "otherwise, and a redeem accepted before may be rejected (keep rules with retain "
                 "out of the cap groups and categories of balance rules)", v.code,
                 why);
        say(payload, HINT_RETAIN, text);
    }
    hint_version *all = malloc((versions ? versions : 1) * sizeof(*all));
    size_t k = 0;
    for (size_t i = 0; all && i < civic_rules_rule_count(rules); i++) {
        civic_rule_info v = CIVIC_RULE_INFO_INIT;
        for (size_t c = 0; k < versions && civic_rules_rule_info(rules, i, c, &v) == CIVIC_OK;
             c++) {
            all[k++] = (hint_version){ i, v.code, v.cap_group, v.category, v.repeat_factor != 0 };
            if (c >= v.changes) break;
        }
    }
    if (all) {
        caps_unused(rules, all, k, say, payload);
        categories_apart(rules, all, k, say, payload);
    }
    free(all);
}

/* The next list of the scheme from *at on (0 first), its flags then its
 * measures, when tier is NULL; else the next of its measures on that tier;
 * NULL past the last. */
static const char *next_list(const civic_rules *rules, const char *tier, size_t *at)
{
    size_t flags = tier ? 0 : civic_rules_flag_count(rules);
    if (*at < flags) return civic_rules_flag_name(rules, (*at)++);
    for (; *at - flags < civic_rules_measure_count(rules); (*at)++) {
        size_t m = *at - flags;
        civic_measure_info x = CIVIC_MEASURE_INFO_INIT;
        if (!tier || (civic_rules_measure_info(rules, m, &x) == CIVIC_OK &&
                      strcmp(x.tier, tier) == 0)) {
            (*at)++;
            return civic_rules_measure_code(rules, m);
        }
    }
    return NULL;
}

/* Those names (next_list), "; "-separated, into out (n > 0): "none" when
 * there is none (then false); cut at a name's end with "; ..." when they do
 * not fit. */
static bool list_names(const civic_rules *rules, const char *tier, char *out, size_t n)
{
    /* "; " between names: a flag may hold ", " but never ';', nor may a
     * measure's code */
    static const char more[] = "; ...";
    size_t at = 0, cursor = 0;
    out[0] = '\0';
    const char *name = next_list(rules, tier, &cursor);
    if (!name) {
        snprintf(out, n, "none");
        return false;
    }
    for (size_t i = 0; name; i++) {
        const char *next = next_list(rules, tier, &cursor);
        size_t len = strlen(name) + (i ? 2 : 0);
        /* room for this name, and for "; ..." after it unless it is the last */
        if (at + len + (next ? sizeof(more) - 1 : 0) >= n) {
            const char *cut = i ? more : more + 2; /* "..." alone when no name fits */
            if (at + strlen(cut) < n) memcpy(out + at, cut, strlen(cut) + 1);
            break;
        }
        snprintf(out + at, n - at, "%s%s", i ? "; " : "", name);
        at += len;
        name = next;
    }
    return true;
}

void hints_list_names(const civic_rules *rules, char *out, size_t n)
{
    (void)list_names(rules, NULL, out, n);
}

/* The index of the rule coded name, or civic_rules_rule_count() if none. */
static size_t rule_named(const civic_rules *rules, const char *name)
{
    size_t r = 0;
    while (r < civic_rules_rule_count(rules) && strcmp(civic_rules_rule_code(rules, r), name))
        r++;
    return r;
}

/* The flags rule sets in any of its versions, each once and quoted, "; "
 * between them (those that fit, then "; ..."); how many, 0 if none. */
static size_t rule_flags(const civic_rules *rules, size_t rule, char quote, char *out, size_t n)
{
    static const char more[] = "; ...";
    civic_rule_info info = CIVIC_RULE_INFO_INIT;
    size_t at = 0, count = 0;
    const char *seen[64];
    out[0] = '\0';
    if (civic_rules_rule_info(rules, rule, 0, &info) != CIVIC_OK) return 0;
    for (size_t v = 0, changes = info.changes; v <= changes; v++) {
        civic_rule_info x = CIVIC_RULE_INFO_INIT;
        if (civic_rules_rule_info(rules, rule, v, &x) != CIVIC_OK || !x.flag[0]) continue;
        bool again = false;
        for (size_t i = 0; i < count && !again; i++) again = strcmp(seen[i], x.flag) == 0;
        if (again || count == sizeof(seen) / sizeof(seen[0])) continue;
        seen[count] = x.flag;
        size_t len = strlen(x.flag) + 2 + (count ? 2 : 0);
        if (at + len + sizeof(more) >= n) {
            if (at + sizeof(more) <= n) memcpy(out + at, more, sizeof(more));
            return count + 1;
        }
        snprintf(out + at, n - at, "%s%c%s%c", count ? "; " : "", quote, x.flag, quote);
        at += len;
        count++;
    }
    return count;
}

void hints_not_a_list(const civic_rules *rules, const char *name, char quote, char *out,
                      size_t n)
{
    char names[HINTS_LIST_NAMES_BYTES];
    const char *tier = NULL, *meant = civic_rules_list_meant(rules, name);
    for (size_t t = 0; !tier && t < civic_rules_tier_count(rules); t++)
        if (strcmp(civic_rules_tier_name(rules, t), name) == 0)
            tier = civic_rules_tier_name(rules, t);
    /* a tier's name in other letters ("Volunteer_Star"), no list being
     * nearer: that tier, named as the scheme writes it */
    bool other_case = false;
    for (size_t t = 0; !tier && !meant && t < civic_rules_tier_count(rules); t++) {
        const char *x = civic_rules_tier_name(rules, t);
        size_t k = 0;
        while (x[k] && name[k] && fold_lower((unsigned char)x[k]) ==
                                      fold_lower((unsigned char)name[k]))
            k++;
        if (!x[k] && !name[k]) tier = x, other_case = true;
    }
    if (other_case) {
        char how[HINTS_LIST_NAMES_BYTES + 64];
        if (list_names(rules, tier, names, sizeof(names)))
            snprintf(how, sizeof(how), ": %s", names);
        else
            snprintf(how, sizeof(how), ", and the scheme has none");
        snprintf(out, n, " is neither a flag nor a measure of the scheme (the tier %c%s%c, in "
                 "those letters, is listed through a measure on it%s)", quote, tier, quote, how);
        return;
    }
    if (tier) {
        /* a measure names a tier and a level of it: its list is of the
         * subjects that reached that level (docs/rules.md, measures) */
        if (list_names(rules, tier, names, sizeof(names))) {
            snprintf(out, n, " is a tier, not a flag nor a measure: a tier is listed through a "
                     "measure on it (measures on it: %s)", names);
            return;
        }
        hints_list_names(rules, names, sizeof(names));
        snprintf(out, n, " is a tier, not a flag nor a measure: a tier is listed through a "
                 "measure on it (a [measure.CODE] with tier = \"%s\" and a min_level), and the "
                 "scheme has none (lists: %s)", tier, names);
        return;
    }
    size_t rule = rule_named(rules, name);
    if (rule < civic_rules_rule_count(rules)) {
        /* a rule's code: the list is of the flag it sets, if it sets one */
        size_t flags = rule_flags(rules, rule, quote, names, sizeof(names));
        if (flags) {
            snprintf(out, n, " is a rule, not a flag nor a measure: the subjects it flags are "
                     "on the list%s %s", flags > 1 ? "s" : "", names);
            return;
        }
        hints_list_names(rules, names, sizeof(names));
        snprintf(out, n, " is a rule, not a flag nor a measure, and sets no flag (lists: %s)",
                 names);
        return;
    }
    hints_list_names(rules, names, sizeof(names));
    if (meant)
        snprintf(out, n, " is neither a flag nor a measure of the scheme (did you mean %c%s%c? "
                 "lists: %s)", quote, meant, quote, names);
    else
        snprintf(out, n, " is neither a flag nor a measure of the scheme (lists: %s)", names);
}

bool hints_name_unseen(const char *name, char *why, size_t why_size, char *bare,
                       size_t bare_size)
{
    return name_unseen(name, why, why_size, bare, bare_size);
}
