/*
** event.c -- what an event is: the field names, the built-in types, the raw
** points of a rule event, the validation that turns the text fields of one
** event (from CSV, JSON, the API or a stored record) into a parsed event,
** and when two events with one id are the same (idempotency).
**
** It does not store events (engine.c does) or decide what a bad line means
** for a batch (the loader does).  It reads the engine only for its rules
** and, to tell a duplicate from a conflict, for the stored event of an id.
**
** Invariants: a civic_parsed is filled completely on success and is then a
** valid event of SPEC section 3, with its strings borrowed from the input
** and its hashes computed; the built-in type names are spelled only in the
** table below; every raw-points computation goes through civic__rule_raw.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

const char *const civic__field_names[CIVIC_F_COUNT] = { "id", "subject", "type", "ts",
                                                        "qty", "group", "ref", "act",
                                                        "source" };

int civic__field_of_name(const char *s, size_t n, bool v1)
{
    const char *raw = s;
    size_t raw_n = n;
    while (n && (*s == ' ' || *s == '\t')) { s++; n--; }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    for (int k = 0; k < CIVIC_F_COUNT; k++) {
        const char *name = civic__field_names[k];
        if (strlen(name) != n) continue;
        size_t i = 0;
        while (i < n && (s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]) == name[i]) i++;
        if (i < n) continue;
        /* 1.0 had no act or source: "Act" or " source" was a column like
         * any other there, ignored, and a 1.0 export keeps its answers */
        if (v1 && (k == CIVIC_F_ACT || k == CIVIC_F_SOURCE) &&
            (raw_n != n || memcmp(raw, name, n) != 0))
            return -1;
        return k;
    }
    return -1;
}

/* ------------------------------------------------------------ types */

/* The built-in types themselves (names, CIVIC_TYPE_* codes) are in
 * internal.h, spelled once, inline so that rules.c can reserve their names
 * without depending on this file (which depends on rules.c). */

const char *civic__type_name(const civic_rules *r, uint16_t type, size_t *n)
{
    if (civic__type_is_rule(type)) {
        *n = r->rules[type].code_len;
        return r->rules[type].code;
    }
    const char *name = civic__builtin_name(type);
    *n = strlen(name);
    return name;
}

/* Record kinds of the built-in types: CIVIC_KIND_REVOKE..REDEEM are 1..3 for
 * CIVIC_TYPE_REVOKE..REDEEM, CIVIC_KIND_OBJECT..CORRECT 4..6 for
 * CIVIC_TYPE_OBJECT..CORRECT. */
uint32_t civic__type_kind(uint16_t type)
{
    if (civic__type_is_rule(type)) return CIVIC_KIND_RULE;
    if (type >= CIVIC_TYPE_REVOKE) return (uint32_t)(type - CIVIC_TYPE_REVOKE) + CIVIC_KIND_REVOKE;
    return (uint32_t)(type - CIVIC_TYPE_OBJECT) + CIVIC_KIND_OBJECT;
}

const char *civic_kind_name(uint32_t kind)
{
    if (kind == CIVIC_KIND_RULE) return "rule";
    if (kind <= CIVIC_KIND_REDEEM)
        return civic__builtin_name((uint16_t)(CIVIC_TYPE_REVOKE + kind - CIVIC_KIND_REVOKE));
    if (kind <= CIVIC_KIND_CORRECT)
        return civic__builtin_name((uint16_t)(CIVIC_TYPE_OBJECT + kind - CIVIC_KIND_OBJECT));
    return NULL;
}

bool civic__rule_raw(const civic_rule *rule, int64_t qty, int64_t *raw)
{
    if (!rule->per_unit) {
        *raw = rule->points;
        return true;
    }
    return civic__mul_div_round(rule->points, qty, 1000, raw);
}

/* ------------------------------------------------------------ fields */

void civic__fields_of(civic_fields *f, const char *const v[CIVIC_F_COUNT],
                      const size_t n[CIVIC_F_COUNT])
{
    for (int i = 0; i < CIVIC_F_COUNT; i++) {
        size_t len = n ? n[i] : v[i] ? strlen(v[i]) : 0;
        f->v[i] = len ? v[i] : NULL;
        f->n[i] = len;
        f->column[i] = 0;
    }
    /* Printable ASCII is valid text: check_text then only counts bytes.
     * (type, ts and qty are parsed strictly and need no such check.) */
    f->printable = civic__ascii_printable(f->v[CIVIC_F_ID], f->n[CIVIC_F_ID]) &&
                   civic__ascii_printable(f->v[CIVIC_F_SUBJECT], f->n[CIVIC_F_SUBJECT]) &&
                   civic__ascii_printable(f->v[CIVIC_F_GROUP], f->n[CIVIC_F_GROUP]) &&
                   civic__ascii_printable(f->v[CIVIC_F_REF], f->n[CIVIC_F_REF]) &&
                   civic__ascii_printable(f->v[CIVIC_F_ACT], f->n[CIVIC_F_ACT]) &&
                   civic__ascii_printable(f->v[CIVIC_F_SOURCE], f->n[CIVIC_F_SOURCE]);
    f->ts_cache = NULL;
    f->type_cache = NULL;
    f->meant = NULL;
    f->hashed = false;
    f->ts_number = f->qty_number = CIVIC_NUM_TEXT;
    f->variants = 0;
}

/* field_error with `after` (a hint) after the value shown. */
static int field_error_after(civic_error *err, int code, uint64_t line, const civic_fields *f,
                             int field, const char *fmt, const char *detail, const char *after)
{
    char what[200];
    char shown[64];
    uint32_t column = f->column[field];
    snprintf(what, sizeof(what), fmt, detail ? detail : "");
    bool show = f->v[field] && f->n[field]; /* not an empty JSON string: "missing" says it */
    if (show) {
        civic__excerpt(shown, sizeof(shown), f->v[field], f->n[field]);
    } else {
        shown[0] = '\0';
    }
    const char *name = civic__field_names[field];
    if (line && column)
        return civic__error_set(err, code, line, column, 0,
                                "line %llu, column %u: field '%s': %s%s%s%s%s",
                                (unsigned long long)line, column, name, what,
                                show ? " \"" : "", shown, show ? "\"" : "", after);
    if (line)
        return civic__error_set(err, code, line, 0, 0, "line %llu: field '%s': %s%s%s%s%s",
                                (unsigned long long)line, name, what, show ? " \"" : "",
                                shown, show ? "\"" : "", after);
    return civic__error_set(err, code, 0, (uint32_t)(field + 1), 0, "field '%s': %s%s%s%s%s",
                            name, what, show ? " \"" : "", shown,
                            show ? "\"" : "", after);
}

static int field_error(civic_error *err, int code, uint64_t line, const civic_fields *f,
                       int field, const char *fmt, const char *detail)
{
    return field_error_after(err, code, line, f, field, fmt, detail, "");
}

/* A required field absent: "missing", as 1.0 said it, and where a JSON key
 * spells its name in other letters or with blanks (read under version-1
 * rules as another key, as in 1.0), that key's column and the key to write,
 * as civic_split says it.  Only on this path: a valid line pays nothing. */
static int missing_error(civic_error *err, uint64_t line, const civic_fields *f, int field)
{
    char after[80] = "";
    if (f->variants >> field & 1)
        snprintf(after, sizeof(after), " (%s)",
                 civic__jsonl_variant_why(field, f->variants >> (field + 4) & 1));
    return field_error_after(err, CIVIC_E_EVENT, line, f, field, "missing%s", NULL, after);
}

/* A ts or qty that holds a look-alike character (a full-width digit or
 * dash, a dash or a printed minus for '-', a no-break space), which no
 * timestamp or number can: `what` ("bad timestamp"), the value, and what the
 * character is; else CIVIC_OK.  Never the rules reader's replacement where
 * the field would still refuse it: a ts keeps the forms it allows (a
 * no-break space for a plain one leaves 2026-01-05 10:00, still no ts), and
 * a qty (`rule`: "a qty", "a redeem amount") is told what it is (a plain
 * space or '-' is no qty either); only a full-width digit or '.' is told to
 * be written in ASCII. */
bool civic__ts_lookalike_hint(const char *v, size_t n, char *after, size_t size)
{
    char name[64];
    size_t at;
    if (!civic__toml_lookalike_name(v, n, name, sizeof(name), &at)) return false;
    snprintf(after, size, " (%s; expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix "
             "seconds)", name);
    return true;
}

static int lookalike_error(civic_error *err, uint64_t line, const civic_fields *f, int field,
                           const char *what, const char *rule)
{
    char name[64], after[176];
    size_t at;
    const char *v = f->v[field];
    if (!rule) /* a ts: the forms it allows (civic_split says it alike) */
        return civic__ts_lookalike_hint(v, f->n[field], after, sizeof(after))
                   ? field_error_after(err, CIVIC_E_EVENT, line, f, field, "%s", what, after)
                   : CIVIC_OK;
    if (!civic__toml_lookalike_name(v, f->n[field], name, sizeof(name), &at)) return CIVIC_OK;
    const unsigned char *u = (const unsigned char *)v + at;
    bool wide_digit = f->n[field] - at >= 3 && u[0] == 0xef && u[1] == 0xbc &&
                      ((u[2] >= 0x90 && u[2] <= 0x99) || u[2] == 0x8e); /* U+FF10..19, FF0E */
    bool minus = at == 0 && f->n[field] >= 3 &&
                 (memcmp(u, "\xe2\x88\x92", 3) == 0 || memcmp(u, "\xef\xbc\x8d", 3) == 0 ||
                  (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x94));
    if (wide_digit)
        snprintf(after, sizeof(after), " (%s)", civic__toml_lookalike_in(v + at, f->n[field] - at));
    else if (minus)
        snprintf(after, sizeof(after), " (%s: %s is not negative)", name, rule);
    else
        snprintf(after, sizeof(after), " (%s: %s is digits with at most one '.', no spaces)",
                 name, rule);
    return field_error_after(err, CIVIC_E_EVENT, line, f, field, "%s", what, after);
}

/* Whether v[0..n) is the lower-case word in any case. */
static bool same_letters(const char *v, const char *word, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((v[i] >= 'A' && v[i] <= 'Z' ? v[i] - 'A' + 'a' : v[i]) != word[i]) return false;
    return true;
}

/* Digits at v[*i..): at least lo, at most hi of them; their value. */
static bool hint_digits(const char *v, size_t n, size_t *i, size_t lo, size_t hi, int *out)
{
    size_t k = 0;
    int x = 0;
    while (*i + k < n && k < hi && v[*i + k] >= '0' && v[*i + k] <= '9')
        x = x * 10 + (v[*i + k] - '0'), k++;
    *i += k;
    *out = x;
    return k >= lo;
}

static bool hint_char(const char *v, size_t n, size_t *i, char c)
{
    if (*i >= n || v[*i] != c) return false;
    ++*i;
    return true;
}

/* Whether the ts a hint would advise is one the field takes (under the
 * rules' utc_offset): a hint never advises a value still refused. */
static bool ts_takes(const char *w, int32_t utc_offset)
{
    int64_t t;
    const char *why;
    return civic__time_parse(w, strlen(w), utc_offset, &t, &why) == CIVIC_OK;
}

/* A hint whose advice w keeps the date and time as written, in their
 * places (a blank dropped, seconds added, an offset rewritten): into buf
 * as fmt with `shown` for its "%s", where the ts parser takes w.  Where it
 * would but for a day, month or time of day out of range, no advice (a
 * hint never advises a value still refused), but both faults told: the
 * slip and the range, " (the seconds are required; also day out of range
 * for the month)".  slip NULL (an offset): nothing then, the range being
 * the reason (time.c says a part out of range before a bad offset). */
static void ts_hint_as_written(const char *w, const char *shown, const char *slip,
                               int32_t utc_offset, const char *fmt, char *buf, size_t size)
{
    int64_t t;
    const char *why;
    int rc = civic__time_parse(w, strlen(w), utc_offset, &t, &why);
    if (rc == CIVIC_OK)
        snprintf(buf, size, fmt, shown);
    else if (slip && rc == CIVIC_E_EVENT && (strcmp(why, "month out of range") == 0 ||
                                             strcmp(why, "day out of range for the month") == 0 ||
                                             strcmp(why, "time of day out of range") == 0))
        snprintf(buf, size, " (%s; also %s)", slip, why);
}

/* A time of day at v[*i..) to the end, after a blank or a 'T' ("9:30",
 * "09:30:15"), or nothing: false when something else is there; *written
 * "THH:MM:SS" or "". */
static bool hint_time_tail(const char *v, size_t n, size_t *i, char *written, size_t size)
{
    int h, m, sec = 0;
    written[0] = '\0';
    if (*i == n) return true;
    if (v[*i] != ' ' && v[*i] != 'T') return false;
    ++*i;
    if (!hint_digits(v, n, i, 1, 2, &h) || !hint_char(v, n, i, ':') ||
        !hint_digits(v, n, i, 2, 2, &m))
        return false;
    if (*i < n && (!hint_char(v, n, i, ':') || !hint_digits(v, n, i, 2, 2, &sec)))
        return false;
    if (*i != n || h > 23 || m > 59 || sec > 59) return false;
    snprintf(written, size, "T%02d:%02d:%02d", h, m, sec);
    return true;
}

/* A ts written otherwise than a form it may take, but meaning one: with
 * a blank before or after it, a decimal comma before the fraction of a
 * second, an offset without its ':', a date year first with '/', with
 * 年月日, or a spreadsheet's serial date and time (days since 1899-12-30:
 * 45000.375).  The hint into buf, where the ts parser takes what it
 * would write; true when the value is of such a form (hint or not). */
static bool ts_hint_otherwise(const char *v, size_t n, int32_t utc_offset, char *buf, size_t size)
{
    char w[72], t[48];
    size_t a = 0, b = n, i = 0;
    int y, mo, d;
    if (n == 0 || n >= sizeof(w) || memchr(v, '\0', n)) return false;
    while (a < b && (v[a] == ' ' || v[a] == '\t')) a++;
    while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t')) b--;
    if (b > a && (a > 0 || b < n)) {
        snprintf(w, sizeof(w), "%.*s", (int)(b - a), v + a);
        const char *slip = a == 0 ? "it ends in a blank" : b == n ? "it starts with a blank"
                                                                  : "blanks around it";
        char fmt[48];
        snprintf(fmt, sizeof(fmt), " (%s: write %%s)", slip);
        ts_hint_as_written(w, w, slip, utc_offset, fmt, buf, size);
        return true;
    }
    /* Unix seconds with a '+' sign, which only a '-' may be */
    bool plus = n > 1 && n < 22 && v[0] == '+';
    for (size_t k = 1; plus && k < n; k++) plus = v[k] >= '0' && v[k] <= '9';
    if (plus) {
        snprintf(w, sizeof(w), "%.*s", (int)(n - 1), v + 1);
        if (ts_takes(w, utc_offset))
            snprintf(buf, size, " (Unix seconds take no '+' sign: write %s)", w);
        return true;
    }
    /* a date with a zone after it (2025-06-30Z, 2025-06-30+08:00): midnight
     * there only with its time written, else the scheme's local midnight */
    bool date = n == 11 || n == 16;
    for (size_t k = 0; date && k < 10; k++)
        date = k == 4 || k == 7 ? v[k] == '-' : v[k] >= '0' && v[k] <= '9';
    if (date && (n == 11 ? v[10] == 'Z' || v[10] == 'z'
                         : (v[10] == '+' || v[10] == '-') && v[13] == ':')) {
        int64_t midnight;
        const char *why;
        snprintf(w, sizeof(w), "%.10sT00:00:00%s", v, n == 11 ? "Z" : "");
        if (n == 16) snprintf(w + 19, sizeof(w) - 19, "%.6s", v + 10);
        if (ts_takes(w, utc_offset) &&
            civic__time_parse(v, 10, utc_offset, &midnight, &why) == CIVIC_OK)
            snprintf(buf, size, " (write %s, or %.10s for the scheme's local midnight)", w, v);
        return true;
    }
    bool clock = n >= 19 && v[4] == '-' && v[13] == ':' && v[16] == ':';
    if (clock && n > 20 && v[19] == ',' && v[20] >= '0' && v[20] <= '9') {
        snprintf(w, sizeof(w), "%.19s.%.*s", v, (int)(n - 20), v + 20);
        ts_hint_as_written(w, w, "a decimal comma for the fraction's point", utc_offset,
                           " (a decimal comma? write %s)", buf, size);
        return true;
    }
    if (clock) { /* +0800, +08, +08:00:00: write +08:00; UTC, GMT: write Z */
        i = 19;
        if (i < n && v[i] == '.')
            for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++) {}
        size_t k = i;
        while (k < n && v[k] == ' ') k++;
        char zone[4] = { 0 };
        for (size_t z = 0; z < 3 && n - k == 3; z++) zone[z] = (char)(v[k + z] & ~0x20);
        if (strcmp(zone, "UTC") == 0 || strcmp(zone, "GMT") == 0) {
            snprintf(w, sizeof(w), "%.*sZ", (int)i, v);
            ts_hint_as_written(w, "Z", NULL, utc_offset, " (write %s)", buf, size);
            return true;
        }
        if (n - i == 9 && v[i + 3] == ':' && v[i + 6] == ':' && v[i + 7] == '0' &&
            v[i + 8] == '0') { /* seconds of zero, as some libraries write an offset */
            snprintf(t, sizeof(t), "%.6s", v + i);
            snprintf(w, sizeof(w), "%.*s%s", (int)i, v, t);
            ts_hint_as_written(w, t, NULL, utc_offset, " (write %s)", buf, size);
            return true;
        }
        k = i + 1;
        if (i >= n || (v[i] != '+' && v[i] != '-') || !hint_digits(v, n, &k, 2, 4, &d) ||
            k != n || (n - i != 3 && n - i != 5))
            return false;
        snprintf(t, sizeof(t), "%c%.2s:%.2s", v[i], v + i + 1, n - i == 5 ? v + i + 3 : "00");
        snprintf(w, sizeof(w), "%.*s%s", (int)i, v, t);
        ts_hint_as_written(w, t, NULL, utc_offset, " (write %s)", buf, size);
        return true;
    }
    static const char year[] = "\xE5\xB9\xB4", month[] = "\xE6\x9C\x88", day[] = "\xE6\x97\xA5";
    if (hint_digits(v, n, &i, 4, 4, &y) && i < n && (v[i] == '/' || v[i] == year[0])) {
        bool cjk = v[i] != '/'; /* 2025年3月4日 */
        if (cjk ? n - i < 3 || memcmp(v + i, year, 3) != 0 : !hint_char(v, n, &i, '/')) return false;
        i += cjk ? 3 : 0;
        if (!hint_digits(v, n, &i, 1, 2, &mo)) return false;
        if (cjk ? n - i < 3 || memcmp(v + i, month, 3) != 0 : !hint_char(v, n, &i, '/')) return false;
        i += cjk ? 3 : 0;
        if (!hint_digits(v, n, &i, 1, 2, &d)) return false;
        if (cjk && (n - i < 3 || memcmp(v + i, day, 3) != 0)) return false;
        i += cjk ? 3 : 0;
        if (!hint_time_tail(v, n, &i, t, sizeof(t))) return false;
        snprintf(w, sizeof(w), "%04d-%02d-%02d%s", y, mo, d, t);
        if (ts_takes(w, utc_offset))
            snprintf(buf, size, " (%s? write %s)", cjk ? "a date written with \xE5\xB9\xB4, "
                     "\xE6\x9C\x88 and \xE6\x97\xA5" : "year/month/day", w);
        return true;
    }
    i = 0;
    if (hint_digits(v, n, &i, 5, 5, &d) && d >= 20000 && d <= 80000 && i + 1 < n &&
        v[i] == '.' && n - i - 1 <= 12) { /* 1954 .. 2119, as a day number is told */
        int64_t frac = 0, scale = 1, days = d - 25569, y64; /* day 25569: 1970-01-01 */
        for (i++; i < n; i++) {
            if (v[i] < '0' || v[i] > '9') return false;
            frac = frac * 10 + (v[i] - '0');
            scale *= 10;
        }
        int64_t secs = (frac * 86400 + scale / 2) / scale;
        if (secs == 86400) days++, secs = 0;
        civic__civil_from_days(days, &y64, &mo, &d);
        snprintf(w, sizeof(w), "%04d-%02d-%02dT%02d:%02d:%02d", (int)y64, mo, d,
                 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
        if (ts_takes(w, utc_offset))
            snprintf(buf, size, " (a spreadsheet's serial date and time? write %s)", w);
        return true;
    }
    return false;
}

/* A ts with several of those slips at once, or a part of it in one digit
 * where two are due ("2024-1-5", "T9:30:00", "+8:00"), or blanks before
 * its offset: year-month-day ('-' or '/'), then perhaps a time (a blank or
 * 'T', H:MM[:SS][.fraction or ,fraction]) and an offset (Z, +H, +HH,
 * +HMM, +HHMM, +H:MM or +HH:MM), blanks around any of them.  The hint,
 * the whole ts written in a form the field takes, into buf where the ts
 * parser takes it.  Tried only when no other hint was found. */
static void ts_hint_loose(const char *v, size_t n, int32_t utc_offset, char *buf, size_t size)
{
    char w[96], frac[12] = "", off[16] = "";
    size_t i = 0, f = 0;
    int y, mo, d, h = -1, mi = 0, sec = 0, oh, om = 0;
#define BLANKS() while (i < n && (v[i] == ' ' || v[i] == '\t')) i++
    BLANKS();
    if (!hint_digits(v, n, &i, 4, 4, &y) || i >= n || (v[i] != '-' && v[i] != '/')) return;
    char sep = v[i++];
    if (!hint_digits(v, n, &i, 1, 2, &mo) || !hint_char(v, n, &i, sep) ||
        !hint_digits(v, n, &i, 1, 2, &d))
        return;
    size_t at = i;
    BLANKS();
    if (i == at && i < n && v[i] == 'T') i++;
    if (i > at && i < n) { /* a time, after 'T' or blanks */
        if (!hint_digits(v, n, &i, 1, 2, &h) || !hint_char(v, n, &i, ':') ||
            !hint_digits(v, n, &i, 2, 2, &mi))
            return;
        if (i < n && v[i] == ':' && !(++i, hint_digits(v, n, &i, 2, 2, &sec))) return;
        if (i < n && (v[i] == '.' || v[i] == ',')) {
            for (i++; i < n && v[i] >= '0' && v[i] <= '9' && f < 9; i++) frac[f++] = v[i];
            if (f == 0 || (i < n && v[i] >= '0' && v[i] <= '9')) return;
            frac[f] = '\0';
        }
        BLANKS();
        if (i < n && v[i] == 'Z') {
            snprintf(off, sizeof(off), "Z");
            i++;
        } else if (i < n && (v[i] == '+' || v[i] == '-')) {
            char sign = v[i++];
            size_t k = i;
            int digits;
            if (!hint_digits(v, n, &i, 1, 4, &digits)) return;
            if (i - k >= 3) { /* +HMM, +HHMM */
                oh = digits / 100, om = digits % 100;
            } else {
                oh = digits;
                if (i < n && v[i] == ':' && !(++i, hint_digits(v, n, &i, 2, 2, &om))) return;
            }
            if (oh > 23 || om > 59) return;
            snprintf(off, sizeof(off), "%c%02u:%02u", sign, (unsigned)oh % 100u,
                     (unsigned)om % 100u);
        }
        BLANKS();
    }
#undef BLANKS
    if (i != n) return;
    if (h < 0)
        snprintf(w, sizeof(w), "%04d-%02d-%02d", y, mo, d);
    else
        snprintf(w, sizeof(w), "%04d-%02d-%02dT%02d:%02d:%02d%s%s%s", y, mo, d, h, mi, sec,
                 f ? "." : "", frac, off);
    if (ts_takes(w, utc_offset)) snprintf(buf, size, " (write %s)", w);
}

/* A ts in a locale's form: day.month.year (time after a blank, or none),
 * a date with '/' (which way round depends on the country), or a time
 * without its seconds (SPEC 3: YYYY-MM-DDTHH:MM:SS); or written otherwise
 * (ts_hint_otherwise); else with several slips (ts_hint_loose).  What it
 * would write is given only where the ts parser takes it. */
static void ts_hint_forms(const char *v, size_t n, int32_t utc_offset, char *buf, size_t size);

static void ts_hint(const char *v, size_t n, int32_t utc_offset, char *buf, size_t size)
{
    buf[0] = '\0';
    ts_hint_forms(v, n, utc_offset, buf, size);
    if (buf[0] == '\0' && n < 72 && !memchr(v, '\0', n))
        ts_hint_loose(v, n, utc_offset, buf, size);
}

/* Unix seconds with a fraction as text ("1741051800.5", as a JSON number
 * is taken): the second it falls in, as a time's fraction is dropped (a
 * negative one's rounds down).  From 100000000 on only: below, digits and
 * a fraction are more likely a spreadsheet's day and time. */
static bool ts_hint_fraction(const char *v, size_t n, int32_t utc_offset, char *buf, size_t size)
{
    char w[24];
    if (n == 0) return false;
    size_t i = v[0] == '-', int_at = i;
    while (i < n && v[i] >= '0' && v[i] <= '9') i++;
    while (int_at < i && v[int_at] == '0') int_at++; /* the value decides, not its zeros */
    size_t digits = i - int_at;
    if (digits < 9 || digits > 12 || i >= n || v[i] != '.' || i + 1 >= n) return false;
    bool fraction = false;
    for (size_t k = i + 1; k < n; k++) {
        if (v[k] < '0' || v[k] > '9') return false;
        fraction |= v[k] != '0';
    }
    int64_t t = 0;
    for (size_t k = int_at; k < i; k++) t = t * 10 + (v[k] - '0');
    if (v[0] == '-') t = -t - (fraction ? 1 : 0);
    snprintf(w, sizeof(w), "%lld", (long long)t);
    if (ts_takes(w, utc_offset))
        snprintf(buf, size, " (Unix seconds take no fraction: write %s)", w);
    return true;
}

static void ts_hint_forms(const char *v, size_t n, int32_t utc_offset, char *buf, size_t size)
{
    char w[48]; /* room for any int the format is given, as gcc counts */
    size_t i = 0;
    int a, b, y, h = 0, m = 0;
    bool time = false;
    if (ts_hint_otherwise(v, n, utc_offset, buf, size)) return;
    if (ts_hint_fraction(v, n, utc_offset, buf, size)) return;
    if (hint_digits(v, n, &i, 1, 2, &a) && i < n && (v[i] == '.' || v[i] == '/')) {
        char sep = v[i++];
        if (!hint_digits(v, n, &i, 1, 2, &b) || !hint_char(v, n, &i, sep) ||
            !hint_digits(v, n, &i, 4, 4, &y))
            return;
        if (i < n && v[i] == ' ') {
            i++;
            time = hint_digits(v, n, &i, 1, 2, &h) && hint_char(v, n, &i, ':') &&
                   hint_digits(v, n, &i, 2, 2, &m) && h < 24 && m < 60;
            if (!time) return;
        }
        if (i != n) return;
        if (sep == '/') {
            snprintf(buf, size, " (day/month/year or month/day/year? write YYYY-MM-DD)");
            return;
        }
        if (time)
            snprintf(w, sizeof(w), "%04d-%02d-%02dT%02d:%02d:00", y, b, a, h, m);
        else
            snprintf(w, sizeof(w), "%04d-%02d-%02d", y, b, a);
        if (ts_takes(w, utc_offset)) snprintf(buf, size, " (day.month.year? write %s)", w);
        return;
    }
    i = 0;
    if (!hint_digits(v, n, &i, 4, 4, &y) || !hint_char(v, n, &i, '-') ||
        !hint_digits(v, n, &i, 2, 2, &a) || !hint_char(v, n, &i, '-') ||
        !hint_digits(v, n, &i, 2, 2, &b) || i >= n || (v[i] != ' ' && v[i] != 'T'))
        return;
    i++;
    if (!hint_digits(v, n, &i, 2, 2, &h) || !hint_char(v, n, &i, ':') ||
        !hint_digits(v, n, &i, 2, 2, &m))
        return;
    size_t tail = n - i; /* Z, an offset, or nothing */
    if (tail > 6 || (tail && v[i] != 'Z' && v[i] != '+' && v[i] != '-')) return;
    snprintf(w, sizeof(w), "%.10sT%.5s:00%.*s", v, v + 11, (int)tail, v + i);
    ts_hint_as_written(w, w, "the seconds are required", utc_offset,
                       " (the seconds are required: write %s)", buf, size);
}

/* Whether the qty a hint would advise is of the field's form and limits: a
 * qty's 3 places or a redeem amount's 2 (more than 0), at most 1000000000000, as
 * parse_qty reads it (points x qty past 2^60 hundredths, the event's
 * bound, is refused even so: the docs say it). */
static bool qty_takes(const char *w, size_t n, bool redeem)
{
    int64_t v;
    const char *why;
    if (redeem)
        return civic__decimal_parse(w, n, 2, false, false, CIVIC_POINTS_MAX * 100, &v,
                                    &why) == CIVIC_OK && v > 0;
    return civic__decimal_parse(w, n, 3, false, false, CIVIC_QTY_MAX * 1000, &v, &why) ==
           CIVIC_OK;
}

/* A qty in scientific notation, as a spreadsheet shows a large number
 * (1E+12) and a program may write one (2.5e-3), which a qty's text is not
 * (SPEC 3: a plain decimal): written out, into buf, where the field takes
 * that; true when the value is of that form (hint or not). */
static bool qty_exponent_hint(const char *v, size_t n, bool redeem, char *buf, size_t size)
{
    char digits[32], w[72];
    size_t i = 0, d = 0, o = 0;
    long point, exponent = 0;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
        if (d < sizeof(digits)) digits[d++] = v[i];
    point = (long)d;
    if (i == 0 || i > sizeof(digits)) return false;
    if (i < n && v[i] == '.') {
        size_t at = ++i;
        for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
            if (d < sizeof(digits)) digits[d++] = v[i];
        if (i == at || i - at + (size_t)point > sizeof(digits)) return false;
    }
    if (i >= n || (v[i] != 'e' && v[i] != 'E')) return false;
    bool negative = ++i < n && v[i] == '-';
    if (i < n && (v[i] == '+' || v[i] == '-')) i++;
    size_t at = i;
    for (; i < n && v[i] >= '0' && v[i] <= '9' && exponent < 100; i++)
        exponent = exponent * 10 + (v[i] - '0');
    if (i == at || i != n) return true; /* of no form to write out */
    point += negative ? -exponent : exponent; /* digits before the point */
    if (point < -12 || point > 16) return true; /* past a qty's places or limit */
    size_t lead = 0; /* leading zeros of the digits, not written */
    while (lead + 1 < d && (long)lead + 1 < point && digits[lead] == '0') lead++;
    if (point <= 0) {
        w[o++] = '0';
        w[o++] = '.';
        for (long k = point; k < 0; k++) w[o++] = '0';
        memcpy(w + o, digits, d);
        o += d;
    } else {
        for (long k = (long)lead; k < point; k++) w[o++] = (size_t)k < d ? digits[k] : '0';
        if ((size_t)point < d) {
            w[o++] = '.';
            memcpy(w + o, digits + point, d - (size_t)point);
            o += d - (size_t)point;
        }
    }
    if (memchr(w, '.', o))
        while (w[o - 1] == '0' || w[o - 1] == '.')
            if (w[--o] == '.') break;
    w[o] = '\0';
    if (qty_takes(w, o, redeem)) snprintf(buf, size, " (scientific notation? write %s)", w);
    return true;
}

/* A qty in a locale's form: a decimal comma (with '.' between thousands,
 * or not), blanks between thousands, or a spreadsheet's TRUE or FALSE; or
 * in scientific notation (qty_exponent_hint). */
static void qty_hint(const char *v, size_t n, bool redeem, char *buf, size_t size)
{
    size_t i = 0, comma = SIZE_MAX, dots = 0, blanks = 0, digits = 0;
    char plain[72];
    if (qty_exponent_hint(v, n, redeem, buf, size)) return;
    if ((n == 4 && same_letters(v, "true", 4)) ||
        (n == 5 && same_letters(v, "false", 5))) {
        snprintf(buf, size, " (a spreadsheet's TRUE or FALSE? a qty is a number: leave it "
                 "empty for 1)");
        return;
    }
    if (n == 0 || n >= sizeof(plain) || v[0] < '0' || v[0] > '9') return;
    for (; i < n; i++) {
        char c = v[i];
        if (c >= '0' && c <= '9') {
            plain[digits++] = c;
            continue;
        }
        size_t run = i; /* the group after a '.' or a blank: three digits */
        while (run + 1 < n && v[run + 1] >= '0' && v[run + 1] <= '9') run++;
        if (c == ',' && comma == SIZE_MAX && run > i) comma = digits, plain[digits++] = '.';
        else if (c == '.' && comma == SIZE_MAX && run - i == 3) dots++;
        else if (c == ' ' && comma == SIZE_MAX && !dots && run - i == 3) blanks++;
        else return;
    }
    plain[digits] = '\0';
    if (blanks && comma == SIZE_MAX) {
        if (qty_takes(plain, digits, redeem))
            snprintf(buf, size, " (a space as thousands separator? write %s)", plain);
        return;
    }
    if (comma == SIZE_MAX || blanks) return;
    /* the comma read as a decimal point, and (three digits after it, no
     * '.' before, no leading 0) as a thousands separator: each offered if
     * the field takes it */
    char whole[72];
    bool decimal = qty_takes(plain, digits, redeem), thousands = false;
    if (!dots && digits - comma - 1 == 3 && plain[0] != '0') {
        snprintf(whole, sizeof(whole), "%.*s%s", (int)comma, plain, plain + comma + 1);
        thousands = qty_takes(whole, digits - 1, redeem);
    }
    if (decimal && thousands)
        snprintf(buf, size, " (a decimal comma or a thousands separator? write %s or %s)",
                 plain, whole);
    else if (decimal)
        snprintf(buf, size, " (a decimal comma? write %s)", plain);
    else if (thousands)
        snprintf(buf, size, " (a thousands separator? write %s)", whole);
}

/* A ts or qty refused: what its value most likely is, where it says (into
 * buf, " (...)"), else "".  A database dump writes NULL or \N for an empty
 * field; a locale writes dates and numbers its own way.  What it advises is
 * read as the field reads it (a ts under utc_offset, a redeem amount's 2
 * places or a qty's 3) and given only where taken.  On the error path
 * only; civic_split gives a ts the same hint. */
const char *civic__value_hint(int field, bool redeem, int32_t utc_offset, const char *v,
                              size_t n, char *buf, size_t size)
{
    bool null = (n == 2 && v[0] == '\\' && v[1] == 'N') ||
                (n == 4 && same_letters(v, "null", 4));
    buf[0] = '\0';
    if (null)
        snprintf(buf, size, " (a database's NULL? an empty field is absent%s)",
                 field == CIVIC_F_TS ? ", and a ts is required" : ": a qty of 1");
    else if (field == CIVIC_F_TS)
        ts_hint(v, n, utc_offset, buf, size);
    else
        qty_hint(v, n, redeem, buf, size);
    return buf;
}

const char *civic__time_hint(int32_t utc_offset, const char *v, size_t n, char *buf, size_t size)
{
    char name[64];
    size_t at;
    buf[0] = '\0';
    if (civic__toml_lookalike_name(v, n, name, sizeof(name), &at))
        snprintf(buf, size, " (%s)", name);
    else if ((n == 2 && v[0] == '\\' && v[1] == 'N') || (n == 4 && same_letters(v, "null", 4)))
        snprintf(buf, size, " (a database's NULL? it is no time)");
    else
        ts_hint(v, n, utc_offset, buf, size);
    return buf;
}

static const char *value_hint(const civic_engine *e, const civic_parsed *p,
                              const civic_fields *f, int field, char *buf, size_t size)
{
    return civic__value_hint(field, field == CIVIC_F_QTY && p->type == CIVIC_TYPE_REDEEM,
                             e->rules->utc_offset, f->v[field], f->n[field], buf, size);
}

/* Whether the first byte not UTF-8, s[bad], of the text s[0..n) is most
 * likely a Latin-1 (Windows-1252) letter: a byte of one (à..ÿ but × and ÷)
 * not followed by a byte that would go on a UTF-8 character (an encoded
 * surrogate is no Latin-1).  A UTF-8 lead byte last is a character cut
 * short, no Latin-1, after UTF-8 text or (0xC2, 0xC3: Latin-1's Â, Ã, which
 * end no word, UTF-8's é cut) anywhere; only a letter ending a word of
 * ASCII letters is Latin-1 (Jos\xe9, José).  On the error path only; the
 * JSON Lines reader judges its strings alike. */
bool civic__latin1_like(const char *s, size_t n, size_t bad)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[bad] < 0xC0 || u[bad] == 0xD7 || u[bad] == 0xF7) return false;
    if (bad + 1 < n) return (u[bad + 1] & 0xC0) != 0x80;
    if (u[bad] > 0xF4) return true; /* no UTF-8 lead byte */
    if (u[bad] <= 0xC3 || bad == 0) return false;
    for (size_t i = 0; i < bad; i++)
        if (u[i] >= 0x80) return false;
    return (u[bad - 1] | 0x20) >= 'a' && (u[bad - 1] | 0x20) <= 'z';
}

/* An id-like field: required (1..max bytes) or optional (0..max); the
 * errors.  check_text below is the inline front that handles every field a
 * reader already proved printable. */
static int check_text_slow(const civic_fields *f, int field, size_t max, bool required,
                           uint64_t line, civic_error *err)
{
    size_t bad;
    if (!f->v[field] || f->n[field] == 0) {
        if (required) return missing_error(err, line, f, field);
        return CIVIC_OK;
    }
    if (f->n[field] > max) {
        char limit[48];
        snprintf(limit, sizeof(limit), "%zu", max);
        return field_error(err, CIVIC_E_LIMIT, line, f, field, "longer than %s bytes", limit);
    }
    if (!f->printable && !civic__text_valid(f->v[field], f->n[field], &bad)) {
        bool latin1 = civic__latin1_like(f->v[field], f->n[field], bad);
        return field_error_after(err, CIVIC_E_EVENT, line, f, field,
                                 "not UTF-8 text without control characters%s", NULL,
                                 latin1 ? " (Latin-1 text? convert it with iconv -f "
                                          "WINDOWS-1252 -t UTF-8)" : "");
    }
    return CIVIC_OK;
}

static inline int check_text(const civic_fields *f, int field, size_t max, bool required,
                             uint64_t line, civic_error *err)
{
    if (!f->v[field] && !required) return CIVIC_OK; /* absent (readers never give n 0) */
    if (f->v[field] && f->n[field] - 1 < max && f->printable) return CIVIC_OK;
    return check_text_slow(f, field, max, required, line, err);
}

static int check_group(const civic_fields *f, uint64_t line, civic_error *err)
{
    const char *g = f->v[CIVIC_F_GROUP];
    size_t n = f->n[CIVIC_F_GROUP];
    int rc = check_text(f, CIVIC_F_GROUP, CIVIC_GROUP_BYTES_MAX, false, line, err);
    if (rc != CIVIC_OK || !g || n == 0) return rc;
    uint32_t depth = 1;
    if (g[0] == '/' || g[n - 1] == '/')
        return field_error(err, CIVIC_E_EVENT, line, f, CIVIC_F_GROUP,
                           "a group path may not start or end with '/'%s", NULL);
    for (size_t i = 1; i < n; i++) {
        if (g[i] != '/') continue;
        if (g[i - 1] == '/')
            return field_error(err, CIVIC_E_EVENT, line, f, CIVIC_F_GROUP,
                               "empty segment in group path%s", NULL);
        depth++;
    }
    if (depth > CIVIC_GROUP_DEPTH_MAX)
        return field_error(err, CIVIC_E_LIMIT, line, f, CIVIC_F_GROUP,
                           "more than 64 segments%s", NULL);
    return CIVIC_OK;
}

/* civic__rules_type_meant, remembered in memo (NULL: none) for the next
 * line of the same unknown type. */
static const char *type_meant(const civic_rules *r, civic_meant_memo *memo, const char *t,
                              size_t n)
{
    if (!memo || n > CIVIC_MEANT_BYTES) return civic__rules_type_meant(r, t, n);
    for (uint32_t k = 0; k < CIVIC_MEANT_SLOTS; k++)
        if (memo->slot[k].len == n && memcmp(memo->slot[k].text, t, n) == 0)
            return memo->slot[k].near;
    const char *near = civic__rules_type_meant(r, t, n);
    uint32_t k = memo->next++ % CIVIC_MEANT_SLOTS;
    memcpy(memo->slot[k].text, t, n);
    memo->slot[k].len = (uint32_t)n;
    memo->slot[k].near = near;
    return near;
}

static int parse_type(const civic_engine *e, const civic_fields *f, uint64_t line,
                      uint16_t *out, civic_error *err)
{
    const char *t = f->v[CIVIC_F_TYPE];
    size_t n = f->n[CIVIC_F_TYPE];
    if (!t || n == 0) return missing_error(err, line, f, CIVIC_F_TYPE);
    uint64_t w[3];
    size_t k = f->type_cache ? civic__type_cache_key(t, n, w) : CIVIC_TYPE_CACHE_SLOTS;
    if (k < CIVIC_TYPE_CACHE_SLOTS) {
        const civic_type_slot *c = &f->type_cache->slot[k];
        if (c->len == n && c->w[0] == w[0] && c->w[1] == w[1] && c->w[2] == w[2]) {
            *out = c->type;
            return CIVIC_OK;
        }
    }
    int32_t r = n <= CIVIC_CODE_BYTES_MAX ? civic__rules_lookup(e->rules, t, n) : -1;
    if (r >= 0) {
        *out = (uint16_t)r;
        if (k < CIVIC_TYPE_CACHE_SLOTS) /* a rule's code only: the rest is rarer */
            f->type_cache->slot[k] = (civic_type_slot){ { w[0], w[1], w[2] }, (uint32_t)n,
                                                        (uint16_t)r };
    } else if (!civic__builtin_type(t, n, out)) {
        char meant[96] = "";
        /* Not for a caller that keeps no message (a parallel part, which
         * reads a refused line again serially): the search is a distance to
         * every rule code. */
        const char *near = err ? type_meant(e->rules, f->meant, t, n) : NULL;
        if (near) snprintf(meant, sizeof(meant), " (did you mean '%s'?)", near);
        return field_error_after(err, CIVIC_E_EVENT, line, f, CIVIC_F_TYPE,
                                 "unknown type (not a rule code, revoke, repair, redeem, object, "
                                 "dismiss or correct)%s", NULL, meant);
    }
    return CIVIC_OK;
}

/* The factor (hundredths) the bound multiplies by: the repeat_factor, but
 * never below 1, since a first event's raw is points x qty unreduced (a
 * factor below 1 only lowers a repeated one). */
static int64_t bound_factor(const civic_rule *v)
{
    return v->repeat_factor > 100 ? v->repeat_factor : 100;
}

/* The largest raw this event can ever produce, under any version of its
 * rule, must fit comfortably. */
static bool raw_fits_version(const civic_rule *v, int64_t qty)
{
    int64_t raw, factor = bound_factor(v);
    return civic__rule_raw(v, qty, &raw) && civic__mul_div_round(raw, factor, 100, &raw) &&
           raw <= INT64_C(1) << 60 && raw >= -(INT64_C(1) << 60);
}

static bool raw_fits(const civic_rules *r, uint16_t type, int64_t qty)
{
    const civic_rule *base = &r->rules[type];
    for (uint32_t k = 0; k <= base->change_count; k++)
        if (!raw_fits_version(k ? &r->versions[base->change_first + k - 1] : base, qty))
            return false;
    return true;
}

/* Below what qty (thousandths) every version of the rule surely passes
 * raw_fits: (|points| x qty + 1000) x factor <= (2^60 - 1) x 100000 bounds
 * the two roundings.  0: none does (the exact check decides). */
static uint32_t qty_fast_limit(const civic_rules *r, uint32_t rule)
{
    const civic_rule *base = &r->rules[rule];
    civic_u128 lim = UINT32_MAX;
    for (uint32_t k = 0; k <= base->change_count; k++) {
        const civic_rule *v = k ? &r->versions[base->change_first + k - 1] : base;
        int64_t factor = bound_factor(v);
        civic_u128 points = v->points < 0 ? (civic_u128)0 - (civic_u128)v->points
                                          : (civic_u128)v->points;
        civic_u128 room = (((civic_u128)1 << 60) - 1) * 100000u / (civic_u128)factor;
        if (!v->per_unit || points == 0) {
            if (!v->per_unit && !raw_fits_version(v, 0)) lim = 0;
            continue;
        }
        if (room < 1000u) {
            lim = 0;
            continue;
        }
        civic_u128 q = (room - 1000u) / points; /* the largest qty that surely fits */
        if (q + 1 < lim) lim = q + 1;
    }
    return (uint32_t)lim;
}

int civic__event_limits(civic_engine *e)
{
    const civic_rules *r = e->rules;
    size_t n = r->rule_count ? r->rule_count : 1;
    e->qty_fast = civic__malloc(&e->alc, n * sizeof(uint32_t));
    if (!e->qty_fast) return CIVIC_E_NOMEM;
    e->qty_fast[0] = 0;
    for (uint32_t i = 0; i < r->rule_count; i++) e->qty_fast[i] = qty_fast_limit(r, i);
    return CIVIC_OK;
}

/* 1 to 6 plain digits: the qty in thousandths; else -1 (the full parser). */
static inline int64_t qty_plain(const char *q, size_t n)
{
    if (n > 6) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)q[i] - '0';
        if (d > 9) return -1;
        v = v * 10 + d;
    }
    return v * 1000;
}

/* A qty number whose value is right but whose form is too long: the limit
 * it is past (95 bytes as written, else 64 written out). */
static int qty_too_long(const civic_fields *f, uint64_t line, civic_error *err)
{
    return field_error(err, CIVIC_E_LIMIT, line, f, CIVIC_F_QTY,
                       f->qty_number == CIVIC_NUM_LONG ? "a JSON number longer than 95 bytes%s"
                                                       : "longer than 64 bytes%s", NULL);
}

const char *civic__ts_form_refused(uint8_t number, size_t n, int *code)
{
    *code = CIVIC_E_LIMIT;
    /* written out, a ts number has no fraction and no leading zero, so one
     * longer than 64 bytes is out of range, as 1e40 is */
    if (number == CIVIC_NUM_HUGE ||
        ((number == CIVIC_NUM_PLAIN || number == CIVIC_NUM_CHANGED) && n > 64))
        return "timestamp out of range (years 0001..9999 in UTC)";
    if (number == CIVIC_NUM_LONG) return "a JSON number longer than 95 bytes";
    if (number == CIVIC_NUM_DIGITS) return "a JSON number with an exponent has at most 52 digits";
    return n > 64 ? "longer than 64 bytes" : NULL;
}

static int parse_qty(const civic_engine *e, const civic_fields *f, uint64_t line,
                     civic_parsed *p, civic_error *err)
{
    const char *q = f->v[CIVIC_F_QTY];
    size_t n = f->n[CIVIC_F_QTY];
    const char *why;
    p->qty = 1000;
    if (!q || n == 0) return CIVIC_OK;
    if (civic__type_is_rule(p->type)) {
        int64_t v = qty_plain(q, n);
        if (v >= 0 && v < (int64_t)e->qty_fast[p->type]) {
            p->qty = v;
            return CIVIC_OK;
        }
    }
    /* A JSON number's value is read before its length is held against it
     * ("number too large" says more than "longer than 64 bytes"); one kept as
     * written has its exponent read, whatever its digits, and only its length
     * as written (95 bytes) or written out (64) is held against it */
    bool kept = f->qty_number >= CIVIC_NUM_LONG;
    if (n > 64 && f->qty_number == CIVIC_NUM_TEXT)
        return field_error(err, CIVIC_E_LIMIT, line, f, CIVIC_F_QTY, "longer than 64 bytes%s", NULL);
    if (p->type == CIVIC_TYPE_REDEEM) {
        int64_t v;
        int rc = civic__decimal_parse(q, n, 2, false, kept, CIVIC_POINTS_MAX * 100,
                                      &v, &why);
        if (rc != CIVIC_OK && lookalike_error(err, line, f, CIVIC_F_QTY, "bad redeem amount",
                                              "a redeem amount"))
            return CIVIC_E_EVENT;
        char hint[128];
        if (rc != CIVIC_OK)
            return field_error_after(err, rc, line, f, CIVIC_F_QTY,
                                     "bad redeem amount: %s (a positive decimal, at most 2 "
                                     "places, at most 1000000000000)", why,
                                     value_hint(e, p, f, CIVIC_F_QTY, hint, sizeof(hint)));
        if (n > 64) return qty_too_long(f, line, err);
        if (v <= 0)
            return field_error(err, CIVIC_E_EVENT, line, f, CIVIC_F_QTY,
                               "a redeem must spend more than 0 points%s", NULL);
        p->qty = v * 10;
        return CIVIC_OK;
    }
    int rc = civic__decimal_parse(q, n, 3, false, kept, CIVIC_QTY_MAX * 1000,
                                  &p->qty, &why);
    if (rc != CIVIC_OK && lookalike_error(err, line, f, CIVIC_F_QTY, "bad qty", "a qty"))
        return CIVIC_E_EVENT;
    if (rc != CIVIC_OK) {
        char hint[128];
        return field_error_after(err, rc, line, f, CIVIC_F_QTY, "bad qty: %s (a non-negative "
                                 "decimal, at most 3 places, at most 1000000000000)", why,
                                 value_hint(e, p, f, CIVIC_F_QTY, hint, sizeof(hint)));
    }
    if (n > 64) return qty_too_long(f, line, err);
    /* the bound is the event's, factor included: say so, since the qty
     * alone may be well within its own limit */
    if (civic__type_is_rule(p->type) && !raw_fits(e->rules, p->type, p->qty))
        return field_error(err, CIVIC_E_OVERFLOW, line, f, CIVIC_F_QTY,
                           "points x qty x repeat_factor (1 when the rule has none or one "
                           "below 1) must stay within 2^60 hundredths (about 1.15e16 points)%s",
                           NULL);
    return CIVIC_OK;
}

int civic__event_parse(const civic_engine *e, const civic_fields *f, civic_parsed *p,
                       uint64_t line, civic_error *err)
{
    const char *why;
    int rc;
    /* Every field of p is set below on success (no memset per event);
     * on failure p is not used. */
    p->ts = 0;
    if ((rc = check_text(f, CIVIC_F_ID, CIVIC_ID_BYTES_MAX, true, line, err)) != CIVIC_OK ||
        (rc = check_text(f, CIVIC_F_SUBJECT, CIVIC_ID_BYTES_MAX, true, line, err)) != CIVIC_OK ||
        (rc = parse_type(e, f, line, &p->type, err)) != CIVIC_OK)
        return rc;
    if (!f->v[CIVIC_F_TS] || f->n[CIVIC_F_TS] == 0)
        return missing_error(err, line, f, CIVIC_F_TS);
    if (f->ts_number >= CIVIC_NUM_LONG || f->n[CIVIC_F_TS] > 64) {
        const char *form = civic__ts_form_refused(f->ts_number, f->n[CIVIC_F_TS], &rc);
        if (form) return field_error(err, rc, line, f, CIVIC_F_TS, "%s", form);
    }
    rc = f->ts_cache ? civic__time_parse_cached(f->v[CIVIC_F_TS], f->n[CIVIC_F_TS],
                                                e->rules->utc_offset, f->ts_cache, &p->ts, &why)
                     : civic__time_parse(f->v[CIVIC_F_TS], f->n[CIVIC_F_TS], e->rules->utc_offset,
                                         &p->ts, &why);
    if (rc != CIVIC_OK && lookalike_error(err, line, f, CIVIC_F_TS, "bad timestamp", NULL))
        return CIVIC_E_EVENT;
    if (rc != CIVIC_OK) {
        char hint[128];
        const char *after = value_hint(e, p, f, CIVIC_F_TS, hint, sizeof(hint));
        if (!*after && f->ts_number == CIVIC_NUM_CHANGED) after = CIVIC_TS_WRITTEN_OUT;
        return field_error_after(err, rc, line, f, CIVIC_F_TS, "%s", why, after);
    }
    if ((rc = parse_qty(e, f, line, p, err)) != CIVIC_OK ||
        (rc = check_group(f, line, err)) != CIVIC_OK)
        return rc;
    bool needs_ref = civic__type_has_ref(p->type);
    if ((rc = check_text(f, CIVIC_F_REF, CIVIC_ID_BYTES_MAX, needs_ref, line, err)) != CIVIC_OK ||
        (rc = check_text(f, CIVIC_F_ACT, CIVIC_ID_BYTES_MAX, false, line, err)) != CIVIC_OK ||
        (rc = check_text(f, CIVIC_F_SOURCE, CIVIC_ID_BYTES_MAX, false, line, err)) != CIVIC_OK)
        return rc;
    /* act groups rule events; on a built-in type it is checked and ignored */
    bool act = f->v[CIVIC_F_ACT] && civic__type_is_rule(p->type);
    p->act = act ? f->v[CIVIC_F_ACT] : NULL;
    p->act_len = act ? (uint32_t)f->n[CIVIC_F_ACT] : 0;
    p->source = f->v[CIVIC_F_SOURCE];
    p->source_len = p->source ? (uint32_t)f->n[CIVIC_F_SOURCE] : 0;
    p->id = f->v[CIVIC_F_ID];
    p->id_len = f->n[CIVIC_F_ID];
    p->subject = f->v[CIVIC_F_SUBJECT];
    p->subject_len = f->n[CIVIC_F_SUBJECT];
    p->group = f->v[CIVIC_F_GROUP];
    p->group_len = p->group ? f->n[CIVIC_F_GROUP] : 0;
    p->ref = NULL;
    p->ref_len = 0;
    if (needs_ref) {
        p->ref = f->v[CIVIC_F_REF];
        p->ref_len = f->n[CIVIC_F_REF];
        p->qty = 0; /* a qty on a pointer (revoke, repair ...) is checked, then ignored */
    }
    /* Hash here: with parallel parsing this runs on the worker threads. */
    p->id_hash = f->hashed ? f->id_hash : civic__hash32(p->id, p->id_len);
    p->subject_hash = f->hashed ? f->subject_hash : civic__hash32(p->subject, p->subject_len);
    p->group_hash = p->group_len ? civic__hash32(p->group, p->group_len) : 0;
    p->subject_index = p->group_index = CIVIC_NONE;
    return CIVIC_OK;
}

/* ------------------------------------------------------------ idempotency
 * SPEC 3: an id seen before with identical fields (compared by value after
 * parsing) is a duplicate; with any other field, a conflict. */

static bool lp_equal(const char *lp, const char *s, size_t n)
{
    return lp ? civic__lp_len(lp) == n && memcmp(lp, s, n) == 0 : n == 0;
}

const char *civic__event_difference(const civic_engine *e, uint32_t index, const civic_parsed *p)
{
    const civic_ev *ev = &e->events[index];
    if (!lp_equal(e->subjects[ev->subject].id, p->subject, p->subject_len)) return "subject";
    if (ev->type != p->type) return "type";
    if (ev->ts != p->ts) return "ts";
    bool has_ref = civic__type_has_ref(ev->type);
    if (has_ref ? !lp_equal(civic__ev_ref(e, ev), p->ref, p->ref_len) : civic__ev_qty(e, ev) != p->qty)
        return has_ref ? "ref" : "qty";
    const char *g = ev->group == CIVIC_NONE ? NULL : e->groups[ev->group].text;
    if (!lp_equal(g, p->group ? p->group : "", p->group_len)) return "group";
    return civic__extras_difference(e, index, p);
}

/* One side of a conflict, as the message shows it: text quoted (an
 * excerpt), absent text as none, a qty without trailing zeros. */
static void shown_text(char *out, size_t size, const char *s, size_t n, bool present)
{
    char shown[48];
    if (!present) {
        snprintf(out, size, "none");
        return;
    }
    civic__excerpt(shown, sizeof(shown), s, n);
    snprintf(out, size, "\"%s\"", shown);
}

static void shown_lp(char *out, size_t size, const char *lp)
{
    shown_text(out, size, lp, lp ? civic__lp_len(lp) : 0, lp != NULL);
}

static void shown_qty(char *out, int64_t qty)
{
    size_t n = civic__format_fixed(qty, 3, out);
    while (out[n - 1] == '0') out[--n] = '\0';
    if (out[n - 1] == '.') out[--n] = '\0';
}

/* The held value of field `diff` of event `index` and p's, from what the
 * engine holds anyway: nothing is kept per line for it. */
static void conflict_values(const civic_engine *e, uint32_t index, const civic_parsed *p,
                            const char *diff, char *was, char *now, size_t size)
{
    const civic_ev *ev = &e->events[index];
    size_t n;
    if (strcmp(diff, "subject") == 0) {
        shown_lp(was, size, e->subjects[ev->subject].id);
        shown_text(now, size, p->subject, p->subject_len, true);
    } else if (strcmp(diff, "type") == 0) {
        const char *t = civic__type_name(e->rules, ev->type, &n);
        snprintf(was, size, "%.*s", (int)n, t);
        t = civic__type_name(e->rules, p->type, &n);
        snprintf(now, size, "%.*s", (int)n, t);
    } else if (strcmp(diff, "ts") == 0) {
        civic__time_format(ev->ts, e->rules->utc_offset, was, size);
        civic__time_format(p->ts, e->rules->utc_offset, now, size);
    } else if (strcmp(diff, "qty") == 0) {
        shown_qty(was, civic__ev_qty(e, ev));
        shown_qty(now, p->qty);
    } else if (strcmp(diff, "ref") == 0) {
        shown_lp(was, size, civic__ev_ref(e, ev));
        shown_text(now, size, p->ref, p->ref_len, true);
    } else if (strcmp(diff, "group") == 0) {
        shown_lp(was, size, ev->group == CIVIC_NONE ? NULL : e->groups[ev->group].text);
        shown_text(now, size, p->group, p->group_len, p->group_len > 0);
    } else if (strcmp(diff, "act") == 0) {
        uint32_t a = civic__event_act(e, index);
        shown_lp(was, size, a == CIVIC_NONE ? NULL : e->extras.act_text[a]);
        shown_text(now, size, p->act, p->act_len, p->act != NULL);
    } else { /* source */
        shown_lp(was, size, civic__event_source(e, index));
        shown_text(now, size, p->source, p->source_len, p->source != NULL);
    }
}

int civic__event_conflict(civic_error *err, const civic_engine *e, uint32_t index,
                          const civic_parsed *p, uint64_t line, uint32_t column, const char *diff)
{
    char shown[64], was[64], now[64];
    civic__excerpt(shown, sizeof(shown), p->id, p->id_len);
    conflict_values(e, index, p, diff, was, now, sizeof(was));
    if (line && column)
        return civic__error_set(err, CIVIC_E_CONFLICT, line, column, 0,
                                "line %llu, column %u: event id \"%s\" was seen before with a "
                                "different %s: %s before, %s here", (unsigned long long)line,
                                column, shown, diff, was, now);
    if (line)
        return civic__error_set(err, CIVIC_E_CONFLICT, line, 0, 0,
                                "line %llu: event id \"%s\" was seen before with a "
                                "different %s: %s before, %s here", (unsigned long long)line,
                                shown, diff, was, now);
    /* civic_engine_add: the column is the field's number, and the id is 1 */
    return civic__error_set(err, CIVIC_E_CONFLICT, 0, 1, 0,
                            "event id \"%s\" was seen before with a different %s: %s before, "
                            "%s here", shown, diff, was, now);
}
