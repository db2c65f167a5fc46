/*
** rules.c -- the scheme: building it from the TOML subset, checking it, and
** answering questions about it.
**
** A civic_rules is immutable once built and reference counted (engines keep
** their own reference), so it can be shared across threads and engines.
** Every check of SPEC section 2 happens here, each error naming the line and
** column of the key (or table) at fault.  Unknown tables and keys are errors.
*/
#include "rules_build.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const char *civic__rb_rule_name(const civic_rules *r, uint32_t i) { return r->rules[i].code; }
static const char *cap_name(const civic_rules *r, uint32_t i) { return r->caps[i].name; }
static const char *tier_name(const civic_rules *r, uint32_t i) { return r->tiers[i].name; }
static const char *measure_code(const civic_rules *r, uint32_t i) { return r->measures[i].code; }
const char *civic__rb_flag_name(const civic_rules *r, uint32_t i) { return r->flags[i]; }
static const char *dimension_name(const civic_rules *r, uint32_t i) { return r->dimensions[i]; }

uint32_t civic__rb_set_find(const civic_rules *r, const name_set *s, name_fn name, const char *k,
                         size_t n)
{
    if (!s->cap) return UINT32_MAX;
    for (size_t h = (size_t)civic__hash_bytes(k, n);; h++) {
        uint32_t v = s->slots[h & (s->cap - 1)];
        if (!v) return UINT32_MAX;
        const char *x = name(r, v - 1);
        if (strlen(x) == n && memcmp(x, k, n) == 0) return v - 1;
    }
}

void civic__rb_set_put(const civic_rules *r, name_set *s, name_fn name, uint32_t index)
{
    const char *x = name(r, index);
    size_t h = (size_t)civic__hash_bytes(x, strlen(x));
    while (s->slots[h & (s->cap - 1)]) h++;
    s->slots[h & (s->cap - 1)] = index + 1;
}

/* Index names[0..count) with room for one more (load at most 1/2). */
int civic__rb_set_reserve(const civic_rules *r, name_set *s, name_fn name, uint32_t count)
{
    if ((size_t)(count + 1) * 2 <= s->cap) return CIVIC_OK;
    size_t cap = s->cap ? s->cap * 2 : 32;
    uint32_t *slots = civic__calloc(&r->alc, cap, sizeof(uint32_t));
    if (!slots) return CIVIC_E_NOMEM;
    civic__free(&r->alc, s->slots, s->cap * sizeof(uint32_t));
    s->slots = slots;
    s->cap = cap;
    for (uint32_t i = 0; i < count; i++) civic__rb_set_put(r, s, name, i);
    return CIVIC_OK;
}

void civic__rb_set_free(const civic_rules *r, name_set *s)
{
    civic__free(&r->alc, s->slots, s->cap * sizeof(uint32_t));
    s->slots = NULL;
    s->cap = 0;
}


int civic__rb_error(civic_error *err, int code, uint64_t line, uint32_t column,
                       uint64_t offset, const char *what)
{
    if (line)
        return civic__error_set(err, code, line, column, offset, "line %llu, column %u: %s",
                                (unsigned long long)line, column, what);
    return civic__error_set(err, code, 0, 0, offset, "%s", what);
}

int civic__rb_at(civic_error *err, pos p, const char *what)
{
    return civic__rb_error(err, CIVIC_E_RULES, p.line, p.column, p.offset, what);
}

bool civic__rb_key_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(key, name, len) == 0;
}

const char *civic__rb_intern(builder *b, const char *s, size_t n)
{
    return civic__arena_strndup(&b->r->arena, s, n);
}

/* Index of a name in a list, appending it when new; -1 on NOMEM, -2 full. */
static int64_t name_index(builder *b, name_set *set, name_fn name, const char ***list,
                          uint32_t *count, size_t *cap, const char *s, size_t n, uint32_t max)
{
    uint32_t found = civic__rb_set_find(b->r, set, name, s, n);
    if (found != UINT32_MAX) return found;
    if (*count >= max) return -2;
    if (civic__rb_set_reserve(b->r, set, name, *count) != CIVIC_OK ||
        civic__grow(&b->r->alc, (void **)list, cap, *count + 1, sizeof(char *)) != CIVIC_OK)
        return -1;
    const char *copy = civic__rb_intern(b, s, n);
    if (!copy) return -1;
    (*list)[*count] = copy;
    civic__rb_set_put(b->r, set, name, *count);
    return (*count)++;
}

/* ------------------------------------------------------------ values */

int civic__rb_string(const civic_toml_value *v, civic_error *err, const char *key)
{
    char msg[160];
    if (v->type == CIVIC_TOML_STRING) return CIVIC_OK;
    /* name = 2026 scheme: TOML read a number, and a name is any text; so is
     * a level's name (min_level = 2 stars), a flag, a dimension, a text:
     * the value to write, quoted whole */
    bool text = strcmp(key, "min_level") == 0 || strcmp(key, "flag") == 0 ||
                strcmp(key, "dimension") == 0 || strcmp(key, "text") == 0;
    if (text && v->type != CIVIC_TOML_BOOL && v->bare && v->bare >= v->len && v->bare <= 60)
        snprintf(msg, sizeof(msg), "'%s' must be a string (write it in double quotes: \"%.*s\")",
                 key, (int)v->bare, v->text);
    else
        snprintf(msg, sizeof(msg), "'%s' must be a string%s", key,
                 strcmp(key, "name") == 0 ? " (write the name in double quotes)" : "");
    return civic__rb_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
}

/* A number in hundredths: integers or decimals with at most 2 places. */
int civic__rb_points(const civic_toml_value *v, civic_error *err, const char *key,
                       int64_t *out)
{
    char msg[160];
    const char *why;
    if (v->type != CIVIC_TOML_INTEGER && v->type != CIVIC_TOML_DECIMAL) {
        int64_t as_number;
        size_t k = v->len && (v->text[0] == '-' || v->text[0] == '+');
        /* "5": the number the key takes, written as TOML writes one */
        bool quoted = v->type == CIVIC_TOML_STRING && v->len > k && v->len <= 24 &&
                      v->text[k] != '.' && v->text[v->len - 1] != '.' &&
                      civic__decimal_parse(v->text, v->len, 2, true, false,
                                           CIVIC_POINTS_MAX * 100, &as_number, &why) == CIVIC_OK;
        for (size_t i = k; quoted && i < v->len; i++)
            quoted = (v->text[i] >= '0' && v->text[i] <= '9') || v->text[i] == '.';
        /* and only where the number is in the key's range (cap = "-3" is
         * refused unquoted too): the signs SPEC 9.1 and 8 give them */
        if (quoted && as_number < 0 &&
            (strcmp(key, "cap") == 0 || strcmp(key, "limit") == 0 ||
             strcmp(key, "up_to") == 0 || strcmp(key, "repeat_factor") == 0))
            quoted = false;
        if (quoted && as_number == 0 && strcmp(key, "repeat_factor") == 0) quoted = false;
        if (quoted && as_number > 0 && strcmp(key, "balance_min") == 0) quoted = false;
        if (quoted)
            snprintf(msg, sizeof(msg), "'%s' must be a number (drop the quotes: %s = %.*s)", key,
                     key, (int)v->len, v->text);
        else
            snprintf(msg, sizeof(msg), "'%s' must be a number", key);
        return civic__rb_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
    }
    int rc = civic__decimal_parse(v->text, v->len, 2, true, false, CIVIC_POINTS_MAX * 100, out,
                                  &why);
    if (rc != CIVIC_OK) {
        if (why && strcmp(why, "too many decimal places") == 0)
            snprintf(msg, sizeof(msg), "'%s': decimals may have at most 2 places", key);
        else
            snprintf(msg, sizeof(msg), "'%s': %s (at most 1000000000000)", key, why ? why : "bad number");
        return civic__rb_error(err, rc == CIVIC_E_LIMIT ? CIVIC_E_LIMIT : CIVIC_E_RULES, v->line,
                           v->column, v->offset, msg);
    }
    return CIVIC_OK;
}

pos civic__rb_text_pos(const civic_toml_value *v, size_t i)
{
    pos p = { v->line, v->column, v->offset };
    if (v->type != CIVIC_TOML_STRING || i >= v->plain) return p; /* after an escape: unknown */
    uint64_t column = (uint64_t)v->column + 1 + i; /* a string is on one line */
    p.column = column > UINT32_MAX ? UINT32_MAX : (uint32_t)column;
    p.offset = v->offset + 1 + i;
    return p;
}

int civic__rb_lookalike_error(const civic_toml_value *v, civic_error *err, const char *what)
{
    char msg[CIVIC_ERROR_MESSAGE_SIZE];
    size_t at = 0;
    const char *why = civic__toml_lookalike_at(v->text, v->len, &at);
    pos p = why ? civic__rb_text_pos(v, at) : (pos){ v->line, v->column, v->offset };
    if (why) snprintf(msg, sizeof(msg), "%s (%s)", what, why);
    return civic__rb_error(err, CIVIC_E_RULES, p.line, p.column, p.offset, why ? msg : what);
}

/* The word v's text would be with every copy of the look-alike at text[at]
 * (m bytes) replaced by rep (rn bytes; a blank-like one at the value's
 * start or end deleted instead when edge_delete), into buf; its length, or
 * SIZE_MAX when buf is too small. */
static size_t replaced(const civic_toml_value *v, size_t at, size_t m, const char *rep,
                       size_t rn, bool edge_delete, char *buf, size_t size)
{
    size_t j = 0;
    for (size_t i = 0; i < v->len;) {
        if (i >= at && i + m <= v->len && memcmp(v->text + i, v->text + at, m) == 0) {
            bool edge = i == 0 || i + m == v->len;
            size_t k = edge && edge_delete ? 0 : rn;
            if (j + k > size) return SIZE_MAX;
            memcpy(buf + j, rep, k);
            j += k;
            i += m;
            continue;
        }
        if (j + 1 > size) return SIZE_MAX;
        buf[j++] = v->text[i++];
    }
    return j;
}

static bool word_blank(char c) { return c == ' ' || c == '\t'; }
static int ascii_lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

/* Whether t[0..n) is the lower-case word in any case. */
static bool same_letters(const char *t, size_t n, const char *word)
{
    if (strlen(word) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower((unsigned char)t[i]) != word[i]) return false;
    return true;
}

int civic__rb_word_error(const civic_toml_value *v, civic_error *err, const char *what,
                         civic__rb_word_ok ok, const void *ctx)
{
    char msg[CIVIC_ERROR_MESSAGE_SIZE], buf[128];
    size_t at = 0;
    if (!ok || v->type != CIVIC_TOML_STRING) return civic__rb_lookalike_error(v, err, what);
    const char *why = civic__toml_lookalike_at(v->text, v->len, &at);
    if (why) {
        unsigned char c = (unsigned char)v->text[at];
        size_t m = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        if (m > v->len - at) m = v->len - at;
        const char *colon = strrchr(why, ':');
        int name = (int)(colon ? (size_t)(colon - why) : strlen(why));
        bool space = strstr(why, "write a plain space") != NULL;
        char rep[1];
        size_t rn = 0;
        bool known = true;
        if (space) rep[rn++] = ' ';
        else if (colon && strcmp(colon, ": write -") == 0) rep[rn++] = '-';
        else if (colon && strcmp(colon, ": delete it") == 0) rn = 0;
        else if (m == 3 && c == 0xef && ((unsigned char)v->text[at + 1] & 0xfe) == 0xbc)
            rep[rn++] = (char)((((unsigned char)v->text[at + 1] & 0x3f) << 6 |
                                ((unsigned char)v->text[at + 2] & 0x3f)) - 0xee0 + 0x00);
        else known = false; /* a typographic quote: its "..." is the value's quotes */
        pos p = civic__rb_text_pos(v, at);
        bool edge = at == 0 || at + m == v->len;
        size_t n = known ? replaced(v, at, m, rep, rn, space, buf, sizeof(buf)) : SIZE_MAX;
        bool accepted = n != SIZE_MAX && ok(buf, n, ctx);
        size_t lead = 0, trail = 0; /* or accepted once its blanks go too */
        while (!accepted && n != SIZE_MAX && lead < n && word_blank(buf[lead])) lead++;
        while (!accepted && n != SIZE_MAX && trail < n - lead && word_blank(buf[n - 1 - trail]))
            trail++;
        bool trimmed = !accepted && (lead || trail) && ok(buf + lead, n - lead - trail, ctx);
        /* what replaced() did to a blank-like one's copies: deleted at the
         * value's start and end, a plain space elsewhere; said so, as
         * either advice alone, done, leaves a value still refused */
        bool at_start = false, at_end = false, inside = false;
        for (size_t i = at; space && i + m <= v->len; i++)
            if (memcmp(v->text + i, v->text + at, m) == 0) {
                if (i == 0) at_start = true;
                else if (i + m == v->len) at_end = true;
                else inside = true;
                i += m - 1;
            }
        char said[160];
        const char *edges = at_start && at_end ? "start and end" : at_start ? "start" : "end";
        if (space && edge && !inside)
            snprintf(said, sizeof(said), "%.*s at its %s: delete %s", name, why, edges,
                     at_start && at_end ? "them" : "it");
        else if (space && edge)
            snprintf(said, sizeof(said), "%.*s: delete it at its %s, write a plain space in its "
                     "place elsewhere", name, why, edges);
        else
            snprintf(said, sizeof(said), "%s", why);
        if (space && edge && accepted)
            snprintf(msg, sizeof(msg), "%s (%s)", what, said);
        else if (trimmed)
            snprintf(msg, sizeof(msg), "%s (%s; and %s at its %s: delete %s)", what, said,
                     lead + trail == 1 ? "a blank" : "blanks",
                     lead && trail ? "start and end" : lead ? "start" : "end",
                     lead + trail == 1 ? "it" : "them");
        else if (accepted || !known)
            snprintf(msg, sizeof(msg), "%s (%s)", what, said);
        else
            snprintf(msg, sizeof(msg), "%s (%.*s)", what, name, why);
        return civic__rb_error(err, CIVIC_E_RULES, p.line, p.column, p.offset, msg);
    }
    size_t lead = 0, trail = 0;
    while (lead < v->len && word_blank(v->text[lead])) lead++;
    while (trail < v->len - lead && word_blank(v->text[v->len - 1 - trail])) trail++;
    if ((!lead && !trail) || lead == v->len) return civic__rb_lookalike_error(v, err, what);
    char shown[48];
    civic__excerpt_toml(shown, sizeof(shown), v->text, v->len);
    bool one = lead + trail == 1;
    bool del = ok(v->text + lead, v->len - lead - trail, ctx);
    snprintf(msg, sizeof(msg), "%s (\"%s\" has %s at its %s%s)", what, shown,
             one ? "a blank" : "blanks", lead && trail ? "start and end" : lead ? "start" : "end",
             !del ? "" : one ? ": delete it" : ": delete them");
    pos p = civic__rb_text_pos(v, lead ? 0 : v->len - trail);
    return civic__rb_error(err, CIVIC_E_RULES, p.line, p.column, p.offset, msg);
}

/* civic__rb_word_ok of publicity: a period, not "forever". */
static bool publicity_ok(const char *t, size_t n, const void *ctx)
{
    (void)ctx;
    civic_duration d;
    return civic__duration_parse(t, n, &d) && d.kind != CIVIC_DUR_FOREVER;
}

/* civic__rb_word_ok of a choice: ctx its NULL-ended names. */
static bool choice_ok(const char *t, size_t n, const void *ctx)
{
    for (const char *const *c = ctx; *c; c++)
        if (civic__rb_key_is(t, n, *c)) return true;
    return false;
}

int civic__rb_word_refused(const civic_toml_value *v, civic_error *err, const char *what,
                           const char *hint, bool edges, civic__rb_word_ok ok, const void *ctx)
{
    char msg[232]; /* with "line L, column C: " within a civic_error's 256 */
    bool edge = v->type == CIVIC_TOML_STRING && v->len &&
                (word_blank(v->text[0]) || word_blank(v->text[v->len - 1]));
    size_t lead = 0, trail = 0; /* " 1y": the blank is the slip, said so */
    while (edge && lead < v->len && word_blank(v->text[lead])) lead++;
    while (edge && trail < v->len - lead && word_blank(v->text[v->len - 1 - trail])) trail++;
    if (edge && edges && lead < v->len && ok(v->text + lead, v->len - lead - trail, ctx))
        edges = false;
    if (!hint || (edge && !edges) || v->type != CIVIC_TOML_STRING ||
        civic__toml_lookalike_in(v->text, v->len))
        return civic__rb_word_error(v, err, what, ok, ctx);
    if (edge && lead < v->len && hint[0] == '(') {
        /* " 1w", "1 y ": the blanks named as in "1y " alone, at the first
         * one's column, and the form to write for the whole value; the
         * value unquoted if the message would be cut */
        char shown[48];
        civic__excerpt_toml(shown, sizeof(shown), v->text, v->len);
        const char *blanks = lead + trail == 1 ? "a blank" : "blanks";
        const char *where = lead && trail ? "start and end" : lead ? "start" : "end";
        int n = snprintf(msg, sizeof(msg), "%s (\"%s\" has %s at its %s; %s", what, shown,
                         blanks, where, hint + 1);
        if (n < 0 || (size_t)n >= sizeof(msg))
            snprintf(msg, sizeof(msg), "%s (%s at its %s; %s", what, blanks, where, hint + 1);
        pos p = civic__rb_text_pos(v, lead ? 0 : v->len - trail);
        return civic__rb_error(err, CIVIC_E_RULES, p.line, p.column, p.offset, msg);
    }
    snprintf(msg, sizeof(msg), "%s %s", what, hint);
    return civic__rb_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
}

/* A unit in words (lower case, a blank between words) as the form's unit
 * and how many of it one is: a day, a week (7 days), a month, a quarter (3
 * months), a year; 'h' hours (whole days of them) and 'w' working days (no
 * form counts them); 0 for none. */
static uint64_t unit_days(const char *u, size_t n, char *unit)
{
    static const struct { const char *word; char unit; unsigned times; } units[] = {
        { "d", 'd', 1 }, { "day", 'd', 1 }, { "days", 'd', 1 }, { "calendar day", 'd', 1 },
        { "calendar days", 'd', 1 }, { "w", 'd', 7 }, { "wk", 'd', 7 }, { "wks", 'd', 7 },
        { "week", 'd', 7 }, { "weeks", 'd', 7 }, { "m", 'm', 1 }, { "mo", 'm', 1 },
        { "mos", 'm', 1 }, { "mon", 'm', 1 }, { "mth", 'm', 1 }, { "mths", 'm', 1 },
        { "month", 'm', 1 }, { "months", 'm', 1 }, { "q", 'm', 3 }, { "quarter", 'm', 3 },
        { "quarters", 'm', 3 }, { "y", 'y', 1 }, { "yr", 'y', 1 }, { "yrs", 'y', 1 },
        { "year", 'y', 1 }, { "years", 'y', 1 }, { "h", 'h', 1 }, { "hr", 'h', 1 },
        { "hrs", 'h', 1 }, { "hour", 'h', 1 }, { "hours", 'h', 1 }, { "wd", 'w', 1 },
        { "workday", 'w', 1 }, { "workdays", 'w', 1 }, { "work day", 'w', 1 },
        { "work days", 'w', 1 }, { "working day", 'w', 1 }, { "working days", 'w', 1 },
        { "business day", 'w', 1 }, { "business days", 'w', 1 },
    };
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (civic__rb_key_is(u, n, units[i].word)) {
            *unit = units[i].unit;
            return units[i].times;
        }
    return 0;
}

/* t[0..n) lower case, each run of blanks, '-' and '_' one blank, into
 * out[size]; false if it does not fit. */
static bool words_of(const char *t, size_t n, char *out, size_t size, size_t *m)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool gap = word_blank(t[i]) || t[i] == '-' || t[i] == '_';
        if (gap && (k == 0 || out[k - 1] == ' ')) continue;
        if (k + 1 >= size) return false;
        out[k++] = gap ? ' ' : (char)ascii_lower((unsigned char)t[i]);
    }
    while (k && out[k - 1] == ' ') k--;
    out[k] = '\0';
    *m = k;
    return true;
}

/* A named form said with a word before it ("end-of-month", "calendar
 * year", "per quarter" where the key wants "month", "year", "quarter"):
 * that form, or NULL. */
static const char *named_after_word(const char *const *named, const char *w, size_t m)
{
    static const char *const before[] = { "end of the ", "end of ", "calendar ", "per ", "each ", "every ",
                                          "a ", "the ", "current ", "this ", NULL };
    for (size_t b = 0; named && before[b]; b++) {
        size_t k = strlen(before[b]);
        if (m <= k || memcmp(w, before[b], k) != 0) continue;
        for (size_t i = 0; named[i]; i++)
            if (civic__rb_key_is(w + k, m - k, named[i])) return named[i];
    }
    return NULL;
}

/* A word for all time (w, as words_of makes it) as the form the key has
 * for it: "lifetime" where the key takes it (a tier's window, a cap's
 * period) for "forever", "never", "always", "all" ...; "forever" where the
 * key takes that (a validity, repair_after, retain) for "lifetime",
 * "permanent" or "always" ("never" and "all" could mean no time there);
 * or NULL. */
static const char *all_time_meant(const char *const *named, const char *w, size_t m)
{
    static const char *const for_lifetime[] = { "forever", "for ever", "never", "always", "all",
                                                "all time", "permanent", "permanently", NULL };
    static const char *const for_forever[] = { "lifetime", "life time", "permanent",
                                               "permanently", "always", NULL };
    for (size_t i = 0; named && named[i]; i++) {
        bool lifetime = strcmp(named[i], "lifetime") == 0;
        if (!lifetime && strcmp(named[i], "forever") != 0) continue;
        for (const char *const *s = lifetime ? for_lifetime : for_forever; *s; s++)
            if (civic__rb_key_is(w, m, *s)) return named[i];
    }
    return NULL;
}

/* The named form t[0..n) was meant to be: one near it as a word value is
 * (civic__rb_word_meant), one said with a word before it, or the key's
 * word for all time for another ("forever" for "lifetime"); or NULL. */
static const char *form_meant(const char *const *named, const char *t, size_t n)
{
    char w[48];
    size_t m;
    const char *near = civic__rb_word_meant(named, t, n);
    if (!near && words_of(t, n, w, sizeof(w), &m)) {
        near = named_after_word(named, w, m);
        if (!near) near = all_time_meant(named, w, m);
    }
    return near;
}

/* An ISO 8601 period of one kind of unit, "P3M", "P1Y6M" (months), "P2W",
 * "P90D", "PT48H" (hours in whole days, as "48 hours" is told), any case,
 * as a form: its count and unit ('d', 'm', 'y'), or false (minutes or
 * seconds, hours that are no whole days, days with months, none). */
static bool iso_period(const char *w, size_t m, uint64_t *count, char *unit)
{
    uint64_t part[4] = { 0 }, hours = 0; /* Y M W D, and T...H */
    bool seen[4] = { false };
    static const char units[] = "ymwd";
    size_t i = 1, end = m;
    if (m < 3 || w[0] != 'p') return false;
    const char *time = memchr(w, 't', m);
    if (time) { /* "PT48H": hours alone after the T, whole days of them */
        size_t j = (size_t)(time - w) + 1, digits = 0;
        while (j < m && w[j] >= '0' && w[j] <= '9' && digits < 8) {
            hours = hours * 10 + (uint64_t)(w[j++] - '0');
            digits++;
        }
        if (!digits || j + 1 != m || w[j] != 'h' || hours % 24) return false;
        end = (size_t)(time - w);
    }
    for (int last = -1; i < end;) {
        uint64_t v = 0;
        size_t digits = 0;
        while (i < end && w[i] >= '0' && w[i] <= '9' && digits < 8) {
            v = v * 10 + (uint64_t)(w[i++] - '0');
            digits++;
        }
        const char *u = i < end && digits ? strchr(units, w[i]) : NULL;
        if (!u || !*u || (int)(u - units) <= last) return false;
        last = (int)(u - units);
        part[last] = v;
        seen[last] = true;
        i++;
    }
    if ((seen[0] || seen[1]) && (seen[2] || seen[3] || hours)) return false;
    if (seen[0] || seen[1]) {
        *count = part[0] * 12 + part[1];
        *unit = 'm';
        if (part[1] == 0) {
            *count = part[0];
            *unit = 'y';
        }
    } else {
        *count = part[2] * 7 + part[3] + hours / 24;
        *unit = 'd';
    }
    return *count > 0;
}

/* A count in words at the start of w ("three", "a"), up to twelve: its
 * value, and *used the letters it takes with the blank after it; 0 if
 * none. */
static uint64_t count_in_words(const char *w, size_t m, size_t *used)
{
    static const struct { const char *word; unsigned value; } words[] = {
        { "a", 1 }, { "an", 1 }, { "one", 1 }, { "two", 2 }, { "three", 3 }, { "four", 4 },
        { "five", 5 }, { "six", 6 }, { "seven", 7 }, { "eight", 8 }, { "nine", 9 },
        { "ten", 10 }, { "eleven", 11 }, { "twelve", 12 },
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t k = strlen(words[i].word);
        if (m > k && memcmp(w, words[i].word, k) == 0 && w[k] == ' ') {
            *used = k + 1;
            return words[i].value;
        }
    }
    return 0;
}

const char *civic__rb_duration_hint(const char *t, size_t n, const char *const *named,
                                    civic__rb_word_ok ok, const void *ctx, char *buf,
                                    size_t size)
{
    size_t i = 0, end = n;
    char w[48], unit = 0, form[24];
    size_t wn = 0;
    uint64_t count = 0;
    while (i < end && word_blank(t[i])) i++;
    while (end > i && word_blank(t[end - 1])) end--;
    const char *near = form_meant(named, t + i, end - i);
    if (!words_of(t + i, end - i, w, sizeof(w), &wn)) wn = 0;
    if (near) {
        snprintf(buf, size, "(did you mean \"%s\"?)", near);
        return buf;
    }
    char p[sizeof(w) + 1];
    size_t units = 0;
    for (size_t k = 0; k < wn; k++) units += w[k] >= 'a' && w[k] <= 'z';
    p[0] = 'p'; /* "1y6m", "2w3d": the ISO period without its P */
    if (wn) memcpy(p + 1, w, wn);
    if (wn && (iso_period(w, wn, &count, &unit) || /* "P3M" */
               (w[0] >= '0' && w[0] <= '9' && units >= 2 && iso_period(p, wn + 1, &count, &unit)))) {
        snprintf(form, sizeof(form), "%llu%c", (unsigned long long)count, unit);
        if (!ok(form, strlen(form), ctx)) return NULL;
        snprintf(buf, size, "(did you mean \"%s\"?)", form);
        return buf;
    }
    count = 0;
    /* N (with a fraction: "1.5y" is "18m") or a count in words, then
     * blanks or a '-', then a unit in words, any case */
    size_t digits = 0, used = 0;
    uint64_t scale = 1; /* count is the number times scale */
    while (i < end && t[i] >= '0' && t[i] <= '9' && digits < 8) {
        count = count * 10 + (uint64_t)(t[i++] - '0');
        digits++;
    }
    if (digits && i + 1 < end && t[i] == '.' && t[i + 1] >= '0' && t[i + 1] <= '9')
        for (i++; i < end && t[i] >= '0' && t[i] <= '9' && scale < 1000; i++) {
            count = count * 10 + (uint64_t)(t[i] - '0');
            scale *= 10;
        }
    if (!digits && wn && (count = count_in_words(w, wn, &used)) != 0) {
        /* "three months": the unit is what follows the word, as written */
        t = w + used;
        i = 0;
        end = wn - used;
        digits = 1;
    }
    if (!digits || count == 0 || (i < end && t[i] >= '0' && t[i] <= '9')) return NULL;
    char u[24];
    size_t m = 0;
    while (i < end && (word_blank(t[i]) || t[i] == '-')) i++;
    for (; i < end; i++) { /* each run of blanks or '-' one blank */
        bool gap = word_blank(t[i]) || t[i] == '-';
        if (gap && m && u[m - 1] == ' ') continue;
        if (m + 1 >= sizeof(u)) return NULL;
        u[m++] = gap ? ' ' : (char)ascii_lower((unsigned char)t[i]);
    }
    uint64_t times = unit_days(u, m, &unit);
    if (!times) return NULL;
    while (scale > 1 && count % 10 == 0) { /* "1.0y", "2.50m": the zeros say nothing */
        count /= 10;
        scale /= 10;
    }
    if (scale > 1) { /* a fraction: whole in months ("0.5y"), days or hours' days, or none */
        if (unit == 'w') return NULL;
        uint64_t whole = count * times * (unit == 'y' ? 12 : 1);
        if (whole % scale) return NULL;
        count = whole / scale;
        times = 1;
        if (unit == 'y') unit = 'm';
    }
    if (unit == 'w') {
        /* n working days span at most 7 days a week, and the rest of a
         * week with a weekend (2 days) in it: 5 -> 7, 3 -> 5 */
        uint64_t span = count / 5 * 7 + (count % 5 ? count % 5 + 2 : 0);
        snprintf(form, sizeof(form), "%llud", (unsigned long long)span);
        if (ok(form, strlen(form), ctx))
            snprintf(buf, size, "(working days cannot be written: %llu working day%s span%s "
                     "at most %llu calendar days, \"%s\")", (unsigned long long)count,
                     count == 1 ? "" : "s", count == 1 ? "s" : "", (unsigned long long)span, form);
        else
            snprintf(buf, size, "(working days cannot be written: count calendar days, \"Nd\")");
        return buf;
    }
    if (unit == 'h') {
        if (count % 24) return NULL;
        count /= 24;
        unit = 'd';
    }
    snprintf(form, sizeof(form), "%llu%c", (unsigned long long)(count * times), unit);
    if (!ok(form, strlen(form), ctx)) return NULL;
    snprintf(buf, size, "(did you mean \"%s\"?)", form);
    return buf;
}

int civic__rb_duration_refused(const civic_toml_value *v, civic_error *err, const char *what,
                               const char *const *named, civic__rb_word_ok ok, const void *ctx)
{
    char hint[128];
    return civic__rb_word_refused(v, err, what,
                                  civic__rb_duration_hint(v->text, v->len, named, ok, ctx, hint,
                                                          sizeof(hint)),
                                  true, ok, ctx);
}

int civic__rb_choice(const civic_toml_value *v, civic_error *err, const char *key,
                       const char *const *choices, const uint8_t *values, uint8_t *out)
{
    char msg[200];
    int rc = civic__rb_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    for (size_t i = 0; choices[i]; i++) {
        if (civic__rb_key_is(v->text, v->len, choices[i])) {
            *out = values[i];
            return CIVIC_OK;
        }
    }
    size_t n = (size_t)snprintf(msg, sizeof(msg), "'%s' must be one of", key);
    for (size_t i = 0; choices[i] && n < sizeof(msg); i++)
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s \"%s\"", i ? "," : "", choices[i]);
    const char *near = form_meant(choices, v->text, v->len); /* "end-of-month": "month" */
    char hint[96];
    if (near) snprintf(hint, sizeof(hint), "(did you mean \"%s\"?)", near);
    return civic__rb_word_refused(v, err, msg, near ? hint : NULL, false, choice_ok, choices);
}

static int want_period(const civic_toml_value *v, civic_error *err, const char *key,
                       uint8_t *out)
{
    static const char *const names[] = { "day", "week", "month", "quarter", "year",
                                         "lifetime", NULL };
    static const uint8_t values[] = { CIVIC_PERIOD_DAY, CIVIC_PERIOD_WEEK,
                                      CIVIC_PERIOD_MONTH, CIVIC_PERIOD_QUARTER,
                                      CIVIC_PERIOD_YEAR, CIVIC_PERIOD_LIFETIME };
    return civic__rb_choice(v, err, key, names, values, out);
}

/* A duration whose N is past its unit's limit: CIVIC_E_LIMIT naming it. */
int civic__rb_duration_limit(const civic_toml_value *v, civic_error *err, const char *key)
{
    char msg[160], unit = 0;
    int64_t max = civic__duration_past_limit(v->text, v->len, &unit);
    if (!max) return CIVIC_OK;
    snprintf(msg, sizeof(msg), "'%s' is too long: at most %lld%c (a duration's limits are "
             "3660000d, 120000m and 10000y)", key, (long long)max, unit);
    return civic__rb_error(err, CIVIC_E_LIMIT, v->line, v->column, v->offset, msg);
}

/* civic__rb_word_ok of a duration: ctx a bool, "by-severity" allowed. */
static bool duration_ok(const char *t, size_t n, const void *ctx)
{
    civic_duration d;
    return (*(const bool *)ctx && civic__rb_key_is(t, n, "by-severity")) ||
           civic__duration_parse(t, n, &d);
}

int civic__rb_duration(const civic_toml_value *v, civic_error *err, const char *key,
                       bool allow_severity, civic_duration *out)
{
    char msg[240];
    if (v->type == CIVIC_TOML_INTEGER && v->len <= 8 && v->text[0] >= '1' && v->text[0] <= '9') {
        /* valid = 365: a count without its unit, each the duration takes */
        civic_duration d;
        char forms[3][16];
        size_t n = 0;
        for (const char *u = "dmy"; *u; u++) {
            snprintf(forms[n], sizeof(forms[n]), "%.*s%c", (int)v->len, v->text, *u);
            if (civic__duration_parse(forms[n], strlen(forms[n]), &d)) n++;
        }
        if (n) {
            char list[80];
            size_t l = 0;
            for (size_t i = 0; i < n; i++)
                l += (size_t)snprintf(list + l, sizeof(list) - l, "%s\"%s\"",
                                      i == 0 ? "" : i + 1 == n ? " or " : ", ", forms[i]);
            snprintf(msg, sizeof(msg), "'%s' must be a string (quote it with its unit: %s)", key,
                     list);
            return civic__rb_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
        }
    }
    int rc = civic__rb_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    if (allow_severity && civic__rb_key_is(v->text, v->len, "by-severity")) {
        out->kind = CIVIC_DUR_SEVERITY;
        out->n = 0;
        return CIVIC_OK;
    }
    if (!civic__duration_parse(v->text, v->len, out)) {
        if ((rc = civic__rb_duration_limit(v, err, key)) != CIVIC_OK) return rc;
        static const char *const named[] = { "forever", "end-of-month", "end-of-quarter",
                                             "end-of-year", "by-severity", NULL };
        static const char *const named_v1[] = { "forever", "end-of-month", "end-of-quarter",
                                                "end-of-year", NULL };
        bool severity = civic__rb_key_is(v->text, v->len, "by-severity");
        char hint[128];
        snprintf(msg, sizeof(msg), "'%s' must be \"forever\", \"Nd\", \"Nm\", \"Ny\" (N >= 1), "
                 "\"end-of-month\", \"end-of-quarter\"%s \"end-of-year\"%s", key,
                 allow_severity ? "," : " or",
                 allow_severity ? " or \"by-severity\""
                 : severity ? " (\"by-severity\" is for a rule's 'valid' only)"
                            : "");
        const char *words = severity ? NULL
                            : civic__rb_duration_hint(v->text, v->len,
                                                      allow_severity ? named : named_v1,
                                                      duration_ok, &allow_severity, hint,
                                                      sizeof(hint));
        return civic__rb_word_refused(v, err, msg, words, true, duration_ok, &allow_severity);
    }
    return CIVIC_OK;
}

int civic__rb_bool_refused(const civic_toml_value *v, civic_error *err, const char *key)
{
    static const struct { const char *word; bool value; } words[] = {
        { "true", true }, { "false", false }, { "yes", true }, { "no", false },
        { "on", true }, { "off", false },
    };
    char msg[160];
    size_t i = 0, n = sizeof(words) / sizeof(words[0]);
    /* "true", "yes": the boolean it is, written as TOML writes one, as a
     * number in quotes is told to drop them */
    while (v->type == CIVIC_TOML_STRING && i < n && !same_letters(v->text, v->len, words[i].word))
        i++;
    if (v->type != CIVIC_TOML_STRING || i == n)
        snprintf(msg, sizeof(msg), "'%s' must be true or false", key);
    else
        snprintf(msg, sizeof(msg), "'%s' must be true or false (drop the quotes%s: %s = %s)", key,
                 i >= 2 ? " and write true or false"
                 : civic__rb_key_is(v->text, v->len, words[i].word) ? ""
                                                                   : " and write it in lower case",
                 key, words[i].value ? "true" : "false");
    return civic__rb_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
}

static int want_bool(const civic_toml_value *v, civic_error *err, const char *key, uint8_t *out)
{
    if (v->type != CIVIC_TOML_BOOL) return civic__rb_bool_refused(v, err, key);
    *out = v->boolean ? 1 : 0;
    return CIVIC_OK;
}

int civic__rb_label(const civic_toml_value *v, civic_error *err, const char *key,
                      size_t max, bool no_semicolon)
{
    char msg[232], shown[48];
    size_t bad = 0;
    int rc = civic__rb_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    bool control = !civic__text_valid(v->text, v->len, &bad);
    if (v->len == 0 || v->len > max || control ||
        (no_semicolon && memchr(v->text, ';', v->len))) {
        int n = snprintf(msg, sizeof(msg), "'%s' must be 1..%zu bytes of text without control "
                         "characters%s", key, max, no_semicolon ? " or ';'" : "");
        /* "C:\temp": the value as the file writes it, its tab "\t"; an
         * escape such as \t is most often a backslash meant as itself */
        pos p = { v->line, v->column, v->offset };
        if (control && n > 0 && (size_t)n < sizeof(msg)) {
            civic__excerpt_toml(shown, sizeof(shown), v->text, v->len);
            snprintf(msg + n, sizeof(msg) - (size_t)n, " \"%s\"%s", shown,
                     v->letter_escape ? " (write \\\\ for a backslash)" : "");
            p = civic__rb_text_pos(v, bad); /* a control character's own column, before an escape */
        }
        return civic__rb_error(err, v->len > max ? CIVIC_E_LIMIT : CIVIC_E_RULES, p.line,
                               p.column, p.offset, msg);
    }
    return CIVIC_OK;
}

/* Each table records which keys it has seen, to reject duplicates. */
int civic__rb_seen(builder *b, uint32_t *keys, int bit, const char *key, size_t len,
                   uint64_t line, uint32_t column, uint64_t offset, civic_error *err)
{
    char msg[200];
    CIVIC_ASSERT(bit >= 0 && bit < 32);
    if (*keys & (1u << bit)) {
        snprintf(msg, sizeof(msg), "duplicate key '%.*s' (first at line %llu)", (int)len, key,
                 (unsigned long long)b->key_line[bit]);
        return civic__rb_error(err, CIVIC_E_RULES, line, column, offset, msg);
    }
    *keys |= 1u << bit;
    b->key_line[bit] = line;
    return CIVIC_OK;
}

/* The letters of s (n bytes): each UTF-8 character one unit, its bytes
 * packed in a uint32_t (an ASCII letter in lower case when fold), so a
 * misspelt name in Chinese is one edit from its list as one in English is;
 * a byte that begins no character is a unit of its own.  At most n units. */
static size_t near_units(const char *s, size_t n, bool fold, uint32_t *u)
{
    size_t m = 0;
    for (size_t i = 0; i < n; m++) {
        unsigned char c = (unsigned char)s[i++];
        uint32_t x = (uint32_t)(fold ? ascii_lower(c) : c);
        for (int k = 1; k < 4 && i < n && ((unsigned char)s[i] & 0xc0) == 0x80; k++)
            x = x << 8 | (unsigned char)s[i++];
        u[m] = x;
    }
    return m;
}

/* The edit distance of a and b (letters, as near_units makes them),
 * counting an insertion, a deletion, a substitution or a swap of two
 * neighbours as one (optimal string alignment), or limit + 1 as soon as it
 * is surely more than limit: a row's least value never falls in the rows
 * below it, and only cells within limit of the diagonal can end at most
 * limit, so a name far from the key costs a few rows, not the whole table
 * (an event log's every unknown type is measured against every rule code).
 * Both are at most KEY_NEAR_MAX letters (names of more are near none), of
 * at most KEY_NEAR_BYTES bytes. */
enum { KEY_NEAR_MAX = 32, KEY_NEAR_BYTES = 4 * KEY_NEAR_MAX };

static unsigned key_distance(const uint32_t *a, size_t an, const uint32_t *b, size_t bn,
                             unsigned limit)
{
    unsigned d[KEY_NEAR_MAX + 1][KEY_NEAR_MAX + 1];
    const unsigned far = limit + 1;
    if (an > bn + limit || bn > an + limit) return far;
    for (size_t i = 0; i <= an; i++) d[i][0] = i < far ? (unsigned)i : far;
    for (size_t j = 0; j <= bn; j++) d[0][j] = j < far ? (unsigned)j : far;
    for (size_t i = 1; i <= an; i++) {
        size_t lo = i > limit ? i - limit : 1, hi = i + limit < bn ? i + limit : bn;
        unsigned least = d[i][0];
        if (lo > 1) d[i][lo - 1] = far;
        for (size_t j = lo; j <= hi; j++) {
            uint32_t ca = a[i - 1], cb = b[j - 1];
            unsigned best = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == b[j - 2] && a[i - 2] == cb &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best < far ? best : far;
            if (d[i][j] < least) least = d[i][j];
        }
        if (hi < bn) d[i][hi + 1] = far;
        if (least >= far) return far;
    }
    return d[an][bn];
}

/* How near a name is to a key, for a choice among names as near: its
 * edits with case ignored, then its edits with case counted (a name one
 * edit away in its own letters before one as near only when case is
 * ignored: "hera" is "hero", not "HeRo"), then its letters in another case
 * where the two agree, from their start and from their end ("herO" is
 * "hero", one letter in another case, not "HeRo", three).  Less is
 * nearer, field by field. */
typedef struct near_rank {
    unsigned edits, exact, other;
} near_rank;

static bool rank_below(near_rank x, near_rank y)
{
    if (x.edits != y.edits) return x.edits < y.edits;
    if (x.exact != y.exact) return x.exact < y.exact;
    return x.other < y.other;
}

/* The letters in another case of a and b (folded fa, fb; as they are, a
 * and b) where the folded agree, from their start and from their end. */
static unsigned case_other(const uint32_t *fa, const uint32_t *a, size_t an, const uint32_t *fb,
                           const uint32_t *b, size_t bn)
{
    unsigned other = 0;
    size_t p = 0, q = 0;
    for (; p < an && p < bn && fa[p] == fb[p]; p++) other += a[p] != b[p];
    for (; q < an - p && q < bn - p && fa[an - 1 - q] == fb[bn - 1 - q]; q++)
        other += a[an - 1 - q] != b[bn - 1 - q];
    return other;
}

/* The name a misspelt `key` most likely meant, of the names nth(ctx, i)
 * for i < n (NULL ends them early): the same letters in another case, or
 * one edit away ("pionts", "bsae"), or two for names of six letters or
 * more ("utc_ofset" -> "utc_offset"); of the nearest, the least by
 * near_rank, then the first; NULL if none is that near.  nearest_within:
 * at most `best` edits away.  Names of more than KEY_NEAR_MAX letters are
 * near none. */
static const char *nearest_within(const void *ctx, const char *(*nth)(const void *, size_t),
                                  size_t n, const char *key, size_t len, unsigned best)
{
    const char *found = NULL;
    near_rank least = { 0, 0, 0 };
    uint32_t a[KEY_NEAR_BYTES], b[KEY_NEAR_BYTES], ea[KEY_NEAR_BYTES], eb[KEY_NEAR_BYTES];
    if (len == 0 || len > KEY_NEAR_BYTES) return NULL;
    size_t an = near_units(key, len, true, a);
    if (an > KEY_NEAR_MAX) return NULL;
    near_units(key, len, false, ea);
    for (size_t i = 0; i < n; i++) {
        const char *name = nth(ctx, i);
        if (!name) break;
        size_t m = strlen(name);
        if (m > KEY_NEAR_BYTES) continue;
        size_t bn = near_units(name, m, true, b);
        if (bn > KEY_NEAR_MAX || (bn > an ? bn - an : an - bn) > best) continue;
        unsigned d = key_distance(a, an, b, bn, best);
        if (d > best) continue;
        /* case counted only for a name as near as the nearest so far */
        near_units(name, m, false, eb);
        near_rank k = { d, key_distance(ea, an, eb, bn, KEY_NEAR_MAX),
                        case_other(a, ea, an, b, eb, bn) };
        if (!found || rank_below(k, least)) {
            best = d;
            least = k;
            found = name;
        }
    }
    return found;
}

static const char *nearest(const void *ctx, const char *(*nth)(const void *, size_t), size_t n,
                           const char *key, size_t len)
{
    uint32_t u[KEY_NEAR_BYTES];
    if (len == 0 || len > KEY_NEAR_BYTES) return NULL;
    return nearest_within(ctx, nth, n, key, len, near_units(key, len, true, u) >= 6 ? 2 : 1);
}

/* The limits the messages of new_rule and new_cap give. */
_Static_assert(CIVIC_RULE_COUNT_MAX == 16384 && CIVIC_CAP_COUNT_MAX == 16384,
               "'too many rules (at most 16384)'");

static const char *key_at(const void *keys, size_t i) { return ((const char *const *)keys)[i]; }

/* The key of `keys` (NULL-terminated) a misspelt `key` most likely meant,
 * among the first nkeys. */
static const char *nearest_key(const char *const *keys, size_t nkeys, const char *key,
                               size_t len)
{
    return keys ? nearest(keys, key_at, nkeys, key, len) : NULL;
}

static bool ascii_prefix(const char *a, size_t an, const char *b, size_t bn)
{
    if (an > bn) return false;
    for (size_t i = 0; i < an; i++)
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) return false;
    return true;
}

const char *civic__rb_word_meant(const char *const *words, const char *t, size_t n)
{
    const char *found = NULL;
    size_t count = 0;
    if (n == 0) return NULL;
    for (size_t i = 0; words[i]; i++) {
        size_t m = strlen(words[i]);
        if ((n >= 2 && ascii_prefix(t, n, words[i], m)) || ascii_prefix(words[i], m, t, n)) {
            if (m == n) return words[i]; /* the same in another case */
            found = words[i];
            count++;
        }
    }
    if (count == 1) return found; /* "susp", "suspended": one word only */
    /* a word is one of a few: two letters off ("daily"), but for the
     * shortest values ("no" is no "net") */
    return nearest_within(words, key_at, SIZE_MAX, t, n, n >= 3 ? 2 : 1);
}

typedef struct name_list {
    const civic_rules *r;
    name_fn name;
} name_list;

static const char *named_at(const void *ctx, size_t i)
{
    const name_list *x = ctx;
    return x->name(x->r, (uint32_t)i);
}

const char *civic__rb_nearest_name(const civic_rules *r, name_fn name, uint32_t count,
                                   const char *key, size_t len)
{
    name_list x = { r, name };
    return nearest(&x, named_at, count, key, len);
}

static const char *type_at(const void *ctx, size_t i)
{
    const civic_rules *r = ctx;
    if (i < r->rule_count) return r->rules[i].code;
    return civic__builtin_name((uint16_t)(CIVIC_TYPE_OBJECT + (i - r->rule_count)));
}

/* One character of s[*i..n) for a type's guess: full-width ASCII
 * (U+FF01..U+FF5E, as an input method types it) as ASCII, U+3000 (the
 * ideographic space) as a space, any other byte as itself. */
static unsigned char folded_at(const unsigned char *s, size_t n, size_t *i)
{
    unsigned char c = s[*i];
    if (c == 0xE3 && *i + 2 < n && s[*i + 1] == 0x80 && s[*i + 2] == 0x80) {
        *i += 3;
        return ' ';
    }
    if (c == 0xEF && *i + 2 < n &&
        ((s[*i + 1] == 0xBC && s[*i + 2] >= 0x81 && s[*i + 2] <= 0xBF) ||
         (s[*i + 1] == 0xBD && s[*i + 2] >= 0x80 && s[*i + 2] <= 0x9E))) {
        unsigned cp = 0xF000u | (unsigned)(s[*i + 1] & 0x3F) << 6 | (unsigned)(s[*i + 2] & 0x3F);
        *i += 3;
        return (unsigned char)(cp - 0xFEE0u);
    }
    (*i)++;
    return c;
}

const char *civic__rules_type_meant(const civic_rules *r, const char *s, size_t n)
{
    char t[KEY_NEAR_MAX];
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = folded_at((const unsigned char *)s, n, &i);
        if (m == 0 && (c == ' ' || c == '\t')) continue;
        if (c < ' ' ? c != '\t' : c >= 0x7F) return NULL; /* garbled, or no code's letters */
        if (m == sizeof(t)) return NULL;
        t[m++] = (char)c;
    }
    while (m && (t[m - 1] == ' ' || t[m - 1] == '\t')) m--;
    if (memchr(t, '\t', m)) return NULL; /* a tab inside: no code's */
    return nearest(r, type_at, (size_t)r->rule_count + CIVIC_BUILTIN_COUNT, t, m);
}

/* The names of the lists: the flags, then the measures' codes. */
static const char *list_at(const void *ctx, size_t i)
{
    const civic_rules *r = ctx;
    return i < r->flag_count ? r->flags[i] : r->measures[i - r->flag_count].code;
}

const char *civic__rules_list_meant(const civic_rules *r, const char *s, size_t n)
{
    size_t count = (size_t)r->flag_count + r->measure_count, least = SIZE_MAX;
    const char *found = nearest(r, list_at, count, s, n);
    if (found) return found;
    /* a name too long for the edit distance (more than KEY_NEAR_MAX
     * letters: nearest has found any other name of the same letters): the
     * same letters in another case, of two the one with the fewest in
     * another case, then the first (edits with case counted are not
     * measured on names that long) */
    for (size_t i = 0; i < count; i++) {
        const char *name = list_at(r, i);
        size_t k = 0, other = 0;
        for (; k < n && name[k]; k++) {
            if (ascii_lower((unsigned char)name[k]) != ascii_lower((unsigned char)s[k])) break;
            other += name[k] != s[k];
        }
        if (k == n && !name[k] && other < least) {
            least = other;
            found = name;
        }
    }
    return found;
}

int civic__rb_duplicate(civic_error *err, pos p, const char *what, const char *name, size_t n,
                        uint64_t first)
{
    char msg[200], shown[72];
    civic__excerpt_raw(shown, sizeof(shown), name, n);
    snprintf(msg, sizeof(msg), "duplicate %s '%s' (first at line %llu)", what, shown,
             (unsigned long long)first);
    return civic__rb_at(err, p, msg);
}

int civic__rb_meant(const char *message, const char *near, pos p, civic_error *err)
{
    char msg[232];
    if (!near) return civic__rb_at(err, p, message);
    snprintf(msg, sizeof(msg), "%s (did you mean '%s'?)", message, near);
    return civic__rb_at(err, p, msg);
}

static const char *const scheme_keys[] = { "name", "base", "min", "max", "clamp", "utc_offset",
                                           "valid", "balance_reset", "balance_min", "contested",
                                           "objection_window", NULL };

/* Indexed by RK_*: the keys of [rule.X]; the last two only in changes. */
static const char *const rule_keys_list[] = {
    "points", "per", "dimension", "valid", "cap", "cap_period", "cap_group", "repeat_factor",
    "ceiling", "flag", "affects", "category", "freeze", "cap_mode", "publicity",
    "repair_after", "retain", "from", "recount", NULL
};

/* Keys written in the wrong table, or under another table's name for the
 * same thing ([cap] says `mode`, a rule `cap_mode`), that no edit distance
 * finds: where each belongs. */
static const char *moved_key(const char *table, const char *key, size_t len)
{
    static const struct {
        const char *table, *key, *hint;
    } moved[] = {
        { "rule", "mode", "did you mean 'cap_mode'? 'mode' is a key of [cap.NAME]" },
        { "rule", "period", "did you mean 'cap_period'?" },
        { "rule", "limit", "did you mean 'cap'?" },
        { "rule", "validity", "did you mean 'valid'?" },
        { "rule", "frozen", "did you mean 'freeze'?" },
        { "rule", "repeat", "did you mean 'repeat_factor'?" },
        { "rule", "balance_min", "a key of [scheme]" },
        { "rule", "up_to", "a key of [[validity]]" },
        { "cap", "cap_mode", "did you mean 'mode'?" },
        { "cap", "cap_period", "did you mean 'period'?" },
        { "cap", "cap", "did you mean 'limit'?" },
        { "scheme", "up_to", "a key of [[validity]]" },
        { "scheme", "points", "a key of [rule.CODE]" },
        { "top level", "points", "a key of [rule.CODE]: write it under its rule" },
    };
    if (strcmp(table, "top level") == 0 && civic__rb_find_key(scheme_keys, key, len) >= 0)
        return "a key of [scheme]: write it under [scheme]";
    bool change = strcmp(table, "rule change") == 0;
    for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++)
        if ((strcmp(table, moved[i].table) == 0 || (change && strcmp(moved[i].table, "rule") == 0)) &&
            civic__rb_key_is(key, len, moved[i].key))
            return moved[i].hint;
    /* a scheme's settings written at the end of the file land in the last
     * rule or grade; a measure's or a tier's keys copied into a rule; a
     * rule's into [scheme]; a rule given a name as a scheme or grade has */
    if (strcmp(table, "[grade]") == 0 && civic__rb_find_key(scheme_keys, key, len) >= 0)
        return "a key of [scheme]: write it under [scheme]"; /* but name and min, its own */
    if (change || strcmp(table, "rule") == 0) {
        if (civic__rb_key_is(key, len, "min")) return "a key of [scheme] or of [[grade]]";
        if (civic__rb_key_is(key, len, "name"))
            return "a rule is named by its code, [rule.CODE]; 'name' is a key of [scheme] or "
                   "of [[grade]]";
        if (civic__rb_find_key(scheme_keys, key, len) >= 0)
            return "a key of [scheme]: write it under [scheme]";
        if (civic__rb_find_key(civic__rb_measure_keys, key, len) >= 0)
            return "a key of [measure.CODE]";
        if (civic__rb_find_key(civic__rb_tier_keys, key, len) >= 0) return "a key of [tier.NAME]";
    }
    if (strcmp(table, "scheme") == 0 && civic__rb_find_key(rule_keys_list, key, len) >= 0)
        return "a key of [rule.CODE]";
    return NULL;
}

void civic__rb_header_of(char *out, size_t size, const char *word, const char *name,
                         bool bare_dotted, const char *suffix)
{
    const char *q = strchr(name, '.') && !bare_dotted ? "\"" : ""; /* [rule."a.b"] */
    snprintf(out, size, "%s%s.%s%s%s%s%s", suffix ? "[[" : "[", word, q, name, q,
             suffix ? suffix : "", suffix ? "]]" : "]");
}

int civic__rb_unknown_in(const char *table, const char *header, const char *const *keys,
                         size_t nkeys, const char *key, size_t len, uint64_t line,
                         uint32_t column, uint64_t offset, civic_error *err)
{
    char msg[320], shown[72];
    const char *near = nearest_key(keys, nkeys, key, len);
    civic__excerpt_raw(shown, sizeof(shown), key, len); /* cut as any value: "..." says so */
    int n = header ? snprintf(msg, sizeof(msg), "unknown key '%s' in %s", shown, header)
                   : snprintf(msg, sizeof(msg), "unknown key '%s' in [%s]", shown, table);
    const char *moved = near ? NULL : moved_key(table, key, len);
    /* the top level has no keys of its own: a misspelt [scheme] key there
     * (`bse = 100` above every table) is offered the scheme's */
    const char *scheme_near = near || moved || strcmp(table, "top level") != 0
                                  ? NULL
                                  : nearest_key(scheme_keys, SIZE_MAX, key, len);
    if (n > 0 && (size_t)n < sizeof(msg)) {
        if (near) snprintf(msg + n, sizeof(msg) - (size_t)n, " (did you mean '%s'?)", near);
        else if (moved) snprintf(msg + n, sizeof(msg) - (size_t)n, " (%s)", moved);
        else if (scheme_near)
            snprintf(msg + n, sizeof(msg) - (size_t)n,
                     " (did you mean '%s'? a key of [scheme]: write it under [scheme])",
                     scheme_near);
    }
    return civic__rb_error(err, CIVIC_E_RULES, line, column, offset, msg);
}

int civic__rb_unknown(const char *table, const char *const *keys, size_t nkeys, const char *key,
                      size_t len, uint64_t line, uint32_t column, uint64_t offset,
                      civic_error *err)
{
    return civic__rb_unknown_in(table, NULL, keys, nkeys, key, len, line, column, offset, err);
}

int civic__rb_find_key(const char *const *keys, const char *key, size_t len)
{
    for (int i = 0; keys[i]; i++)
        if (civic__rb_key_is(key, len, keys[i])) return i;
    return -1;
}

/* ------------------------------------------------------------ [scheme] */

/* The version-2 keys of [scheme]: balance_min (9.7), contested and
 * objection_window (10.2). */
static int scheme_pair_v2(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    static const char *const modes[] = { "mark", "suspend", NULL };
    static const uint8_t mode_values[] = { CIVIC_CONTESTED_MARK, CIVIC_CONTESTED_SUSPEND };
    civic_rules *r = b->r;
    pos p = { v->line, v->column, v->offset };
    int rc;
    r->spec_version = 2;
    switch (k) {
    case 8:
        b->balance_min_pos = p;
        r->has_balance_min = true;
        rc = civic__rb_points(v, err, "balance_min", &r->balance_min);
        if (rc == CIVIC_OK && r->balance_min > 0)
            rc = civic__rb_at(err, p, "'balance_min' must be 0 or below (a floor for deductions)");
        return rc;
    case 9: return civic__rb_choice(v, err, "contested", modes, mode_values, &r->contested);
    default:
        rc = civic__rb_duration(v, err, "objection_window", false, &r->objection_window);
        return rc;
    }
}

/* civic__rb_word_ok of 'utc_offset'. */
static bool offset_ok(const char *t, size_t n, const void *ctx)
{
    int32_t off;
    (void)ctx;
    return civic__offset_parse(t, n, &off);
}

/* What a utc_offset of another form most likely is, "(did you mean
 * \"+08:00\"?)" in buf, or NULL: an hour of one digit ("+8:00", "+8"), no
 * ':' ("+0800", "+08"), a "UTC" or "GMT" before it ("UTC+8", "GMT +08:00";
 * alone, "Z"), any case; only what offset_ok takes. */
static const char *offset_meant(const char *t, size_t n, char *buf, size_t size)
{
    char w[8];
    size_t i = 0, k;
    int32_t off;
    if (n >= 3 && (same_letters(t, 3, "utc") || same_letters(t, 3, "gmt"))) {
        i = 3;
        while (i < n && word_blank(t[i])) i++;
        if (i == n) {
            snprintf(buf, size, "(did you mean \"Z\"?)");
            return buf;
        }
    }
    if (i == 0 && n > 0 && ((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z') && memchr(t, '/', n)) {
        /* "Asia/Shanghai": a zone of the tz database, whose offset may
         * change with the date; the scheme's is one fixed offset */
        if (n >= 7 && same_letters(t, 7, "etc/gmt")) /* POSIX's sign: the inverse */
            snprintf(buf, size, "(a time zone's name: write its fixed offset; an Etc/GMT name's "
                     "sign is the inverse of the offset's: Etc/GMT+8 is \"-08:00\")");
        else
            snprintf(buf, size, "(a time zone's name: write its fixed offset, such as "
                     "\"+08:00\"; there is no daylight saving time)");
        return buf;
    }
    /* "08:00", its sign left out, and "+08.00", a '.' for the ':': as
     * "+08:00" would be told (an hour alone, "8", is no offset to offer) */
    size_t rest = n - i, at = rest == 5 ? i + 2 : i + 3;
    if (i < n && (rest == 5 || (rest == 6 && (t[i] == '+' || t[i] == '-'))) &&
        (t[at] == ':' || t[at] == '.') && (rest == 6 || (t[i] >= '0' && t[i] <= '9')) &&
        (rest == 5 || t[at] == '.')) {
        char fixed[8];
        snprintf(fixed, sizeof(fixed), "%s%.*s:%.2s", rest == 5 ? "+" : "", (int)(at - i), t + i,
                 t + at + 1);
        return offset_meant(fixed, strlen(fixed), buf, size);
    }
    if (i >= n || (t[i] != '+' && t[i] != '-')) return NULL;
    char sign = t[i++];
    for (k = i; k < n && t[k] >= '0' && t[k] <= '9';) k++;
    size_t d = k - i; /* the digits before a ':', if any */
    if (d == 0 || d > 4) return NULL;
    const char *hh = t + i, *mm = "00";
    size_t hn = d <= 2 ? d : d - 2;
    if (d > 2) mm = t + i + hn; /* +0800, +800 */
    if (d <= 2 && n - k == 6 && t[k + 3] == ':' && t[k + 4] == '0' && t[k + 5] == '0')
        n -= 3; /* "+05:45:00": seconds of 0, which an offset does not write */
    if (k < n) {
        if (d > 2 || t[k] != ':' || n - k != 3 || t[k + 1] < '0' || t[k + 1] > '9' ||
            t[k + 2] < '0' || t[k + 2] > '9')
            return NULL;
        mm = t + k + 1;
    }
    snprintf(w, sizeof(w), "%c%s%.*s:%.2s", sign, hn == 1 ? "0" : "", (int)hn, hh, mm);
    if (!offset_ok(w, strlen(w), NULL) || !civic__offset_parse(w, strlen(w), &off)) return NULL;
    snprintf(buf, size, "(did you mean \"%s\"?)", w);
    return buf;
}

static int scheme_pair(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    static const char *const clamps[] = { "final", "running", NULL };
    static const uint8_t clamp_values[] = { CIVIC_CLAMP_FINAL, CIVIC_CLAMP_RUNNING };
    static const char *const resets[] = { "never", "month", "quarter", "year", NULL };
    static const uint8_t reset_values[] = { CIVIC_PERIOD_NONE, CIVIC_PERIOD_MONTH,
                                            CIVIC_PERIOD_QUARTER, CIVIC_PERIOD_YEAR };
    civic_rules *r = b->r;
    pos p = { v->line, v->column, v->offset };
    int rc;
    switch (k) {
    case 0: /* name */
        rc = civic__rb_string(v, err, "name");
        if (rc == CIVIC_OK && v->len > CIVIC_NAME_BYTES_MAX)
            rc = civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                             "'name' must be text of at most 256 bytes");
        if (rc == CIVIC_OK && !civic__utf8_valid(v->text, v->len))
            rc = civic__rb_at(err, p, "'name' must be UTF-8 text");
        /* "\u0000" would cut the name, and two schemes would share a fingerprint */
        if (rc == CIVIC_OK && memchr(v->text, '\0', v->len))
            rc = civic__rb_at(err, p, "'name' must not hold a NUL character (\\u0000)");
        if (rc == CIVIC_OK && !(r->name = civic__rb_intern(b, v->text, v->len))) rc = CIVIC_E_NOMEM;
        return rc;
    case 1: b->base_pos = p; return civic__rb_points(v, err, "base", &r->base);
    case 2: b->min_pos = p; r->has_min = true; return civic__rb_points(v, err, "min", &r->min);
    case 3: b->max_pos = p; r->has_max = true; return civic__rb_points(v, err, "max", &r->max);
    case 4: return civic__rb_choice(v, err, "clamp", clamps, clamp_values, &r->clamp);
    case 5:
        rc = civic__rb_string(v, err, "utc_offset");
        if (rc == CIVIC_OK && !civic__offset_parse(v->text, v->len, &r->utc_offset)) {
            char hint[128];
            bool shaped = civic__offset_shaped(v->text, v->len);
            /* "+8:00", "+0800", "UTC+8": the form to write */
            const char *meant = shaped ? NULL : offset_meant(v->text, v->len, hint, sizeof(hint));
            rc = civic__rb_word_refused(v, err, !shaped
                                            ? "'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\""
                                        : v->text[4] >= '6' /* a shaped one has digits there */
                                            ? "'utc_offset': minutes out of range (00..59)"
                                            : "'utc_offset' out of range (-23:59..+23:59)",
                                        meant, false, offset_ok, NULL);
        }
        return rc;
    case 6: b->valid_pos = p; return civic__rb_duration(v, err, "valid", true, &r->valid);
    case 7:
        return civic__rb_choice(v, err, "balance_reset", resets, reset_values, &r->balance_reset);
    default:
        return scheme_pair_v2(b, k, v, err);
    }
}

/* ------------------------------------------------------------ [[grade]] */

static int grade_pair(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    civic_grade *g = &b->r->grades[b->index];
    pos p = { v->line, v->column, v->offset };
    if (k == 1) {
        b->gx[b->index].min = p;
        g->has_min = true;
        return civic__rb_points(v, err, "min", &g->min);
    }
    int rc = civic__rb_label(v, err, "name", CIVIC_NAME_BYTES_MAX, false);
    if (rc != CIVIC_OK) return rc;
    for (uint32_t i = 0; i < b->index; i++)
        if (b->r->grades[i].name && civic__rb_key_is(v->text, v->len, b->r->grades[i].name))
            return civic__rb_duplicate(err, p, "grade name", v->text, v->len,
                                       b->gx[i].header.line);
    g->name = civic__rb_intern(b, v->text, v->len);
    return g->name ? CIVIC_OK : CIVIC_E_NOMEM;
}

/* ------------------------------------------------------------ [cap.X] */

static int cap_pair(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    static const char *const modes[] = { "both", "net", NULL };
    static const uint8_t mode_values[] = { CIVIC_CAP_BOTH, CIVIC_CAP_NET };
    civic_cap *c = &b->r->caps[b->index];
    if (k == 1) return want_period(v, err, "period", &c->period);
    if (k == 2) {
        b->r->spec_version = 2;
        return civic__rb_choice(v, err, "mode", modes, mode_values, &c->mode);
    }
    int rc = civic__rb_points(v, err, "limit", &c->limit);
    if (rc == CIVIC_OK && c->limit < 0) {
        pos p = { v->line, v->column, v->offset };
        rc = civic__rb_at(err, p, "'limit' must not be negative");
    }
    return rc;
}

static const char *const cap_keys[] = { "limit", "period", "mode", NULL };

/* ------------------------------------------------------------ [rule.X] */

/* The keys that `false` may remove in a change (SPEC 9.1). */
#define RK_REMOVABLE ((1u << RK_CAP) | (1u << RK_CAP_GROUP) | (1u << RK_REPEAT_FACTOR) | \
                      (1u << RK_CEILING) | (1u << RK_FLAG) | (1u << RK_CATEGORY) |        \
                      (1u << RK_FREEZE) | (1u << RK_PUBLICITY) | (1u << RK_REPAIR_AFTER) | \
                      (1u << RK_RETAIN))

/* `key = false` on a removable key: back to "absent". */
static void rule_remove(civic_rule *rule, rule_extra *x, int k)
{
    switch (k) {
    case RK_CAP:
        rule->cap = -1;
        rule->cap_period = 0;
        rule->cap_mode = CIVIC_CAP_BOTH;
        x->at[RK_CAP_PERIOD] = x->at[RK_CAP_MODE] = (pos){ 0, 0, 0 };
        break;
    case RK_CAP_GROUP: x->cap_group_name = NULL; x->cap_group_len = 0; break;
    case RK_REPEAT_FACTOR: rule->repeat_factor = 0; break;
    case RK_CEILING: rule->ceiling = CIVIC_FOREVER; break;
    case RK_FLAG: rule->flag = UINT32_MAX; break;
    case RK_CATEGORY: x->category_name = NULL; x->category_len = 0; break;
    case RK_FREEZE: rule->freeze = 0; break;
    case RK_PUBLICITY: rule->has_publicity = 0; break;
    case RK_REPAIR_AFTER: rule->has_repair_after = 0; break;
    default: rule->has_retain = 0; break;
    }
}

static bool code_for_name(const char *name, size_t n, bool lower, const char *noun, char *buf,
                          char *why, size_t why_size);

/* civic__rb_word_ok of a code. */
static bool code_ok(const char *t, size_t n, const void *ctx)
{
    (void)ctx;
    return civic__code_valid(t, n);
}

/* A rule code or category: 1..64 bytes of [a-z0-9_.-].  Refused, with what
 * to write: the code a name with capitals or blanks stands for, as a rule's
 * header is told; a look-alike or a stray blank at an end as in any word;
 * else the first character that is none of those, and its column. */
static int want_code(const civic_toml_value *v, civic_error *err, const char *key)
{
    char msg[232], head[64], code[CIVIC_CODE_BYTES_MAX + 1], what[64];
    int rc = civic__rb_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    if (civic__code_valid(v->text, v->len)) return CIVIC_OK;
    snprintf(head, sizeof(head), "'%s' must be 1..64 characters of [a-z0-9_.-]", key);
    if (v->len > CIVIC_CODE_BYTES_MAX) {
        snprintf(msg, sizeof(msg), "%s (it is %zu bytes long)", head, v->len);
        return civic__rb_error(err, CIVIC_E_LIMIT, v->line, v->column, v->offset, msg);
    }
    bool edge = v->len && (word_blank(v->text[0]) || word_blank(v->text[v->len - 1]));
    if (edge || civic__toml_lookalike_in(v->text, v->len))
        return civic__rb_word_error(v, err, head, code_ok, NULL);
    if (code_for_name(v->text, v->len, true, "codes", code, what, sizeof(what))) {
        /* "Traffic", "illegal parking" (blanks at an end: above) */
        snprintf(msg, sizeof(msg), "%s (%s: write \"%s\")", head, what, code);
        return civic__rb_at(err, (pos){ v->line, v->column, v->offset }, msg);
    }
    /* the first that is not a capital or a blank either ("Traf/fic": the
     * '/'), if any: those are told once it is gone */
    size_t i = 0, j = 0;
    while (i < v->len && civic__code_valid(v->text + i, 1)) i++;
    while (j < v->len && (civic__code_valid(v->text + j, 1) || word_blank(v->text[j]) ||
                          (v->text[j] >= 'A' && v->text[j] <= 'Z')))
        j++;
    if (j < v->len) i = j;
    if (i == v->len) return civic__rb_at(err, (pos){ v->line, v->column, v->offset }, head);
    /* the character, as ASCII or by its code point (a string is UTF-8) */
    unsigned char c = (unsigned char)v->text[i];
    char shown[16], where[32] = "";
    if (c > ' ' && c < 0x7f) {
        snprintf(shown, sizeof(shown), "'%c'", c);
    } else {
        size_t m = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        uint32_t cp = m == 1 ? c : c & (0x7fu >> m);
        for (size_t k = 1; k < m && i + k < v->len; k++)
            cp = cp << 6 | ((unsigned char)v->text[i + k] & 0x3fu);
        snprintf(shown, sizeof(shown), c == ' ' ? "a blank" : "U+%04X", (unsigned)cp);
    }
    if (i < v->plain) /* its own column, before any escape */
        snprintf(where, sizeof(where), " at column %u", civic__rb_text_pos(v, i).column);
    snprintf(msg, sizeof(msg), "%s (%s%s is not one of them)", head, shown, where);
    return civic__rb_at(err, (pos){ v->line, v->column, v->offset }, msg);
}

/* The version-2 keys of a rule (SPEC 9, 10). */
static int rule_pair_v2(builder *b, civic_rule *rule, rule_extra *x, int k,
                        const civic_toml_value *v, civic_error *err)
{
    static const char *const modes[] = { "both", "net", NULL };
    static const uint8_t mode_values[] = { CIVIC_CAP_BOTH, CIVIC_CAP_NET };
    pos p = { v->line, v->column, v->offset };
    int rc;
    b->r->spec_version = 2;
    switch (k) {
    case RK_CATEGORY:
        rc = want_code(v, err, "category");
        if (rc != CIVIC_OK) return rc;
        x->category_name = civic__rb_intern(b, v->text, v->len);
        x->category_len = v->len;
        return x->category_name ? CIVIC_OK : CIVIC_E_NOMEM;
    case RK_FREEZE: return want_bool(v, err, "freeze", &rule->freeze);
    case RK_CAP_MODE: return civic__rb_choice(v, err, "cap_mode", modes, mode_values, &rule->cap_mode);
    case RK_PUBLICITY:
        rule->has_publicity = 1;
        if ((rc = civic__rb_string(v, err, "publicity")) != CIVIC_OK) return rc;
        bool parsed = civic__duration_parse(v->text, v->len, &rule->publicity);
        if (!parsed && (rc = civic__rb_duration_limit(v, err, "publicity")) != CIVIC_OK)
            return rc;
        if (!parsed && !civic__rb_key_is(v->text, v->len, "by-severity")) {
            /* " 7d": its stray blank named, as repair_after's and retain's;
             * "2 weeks": the form to write */
            static const char *const named[] = { "end-of-month", "end-of-quarter",
                                                 "end-of-year", NULL };
            return civic__rb_duration_refused(v, err, "'publicity' must be a period: \"Nd\", "
                                              "\"Nm\", \"Ny\" (N >= 1), \"end-of-month\", "
                                              "\"end-of-quarter\" or \"end-of-year\"",
                                              named, publicity_ok, NULL);
        }
        if (!parsed || rule->publicity.kind == CIVIC_DUR_FOREVER)
            return civic__rb_at(
                err, p,
                parsed
                    ? "'publicity' must be a period: \"Nd\", \"Nm\", \"Ny\" (N >= 1), "
                      "\"end-of-month\", \"end-of-quarter\" or \"end-of-year\" (not "
                      "\"forever\": the entry would never take effect)"
                : civic__rb_key_is(v->text, v->len, "by-severity")
                    ? "'publicity' must be a period: \"Nd\", \"Nm\", \"Ny\" (N >= 1), "
                      "\"end-of-month\", \"end-of-quarter\" or \"end-of-year\" (not "
                      "\"by-severity\": [[validity]] classes set how long an entry counts, not "
                      "when it starts)"
                    : "'publicity' must be a period: \"Nd\", \"Nm\", \"Ny\" (N >= 1), "
                      "\"end-of-month\", \"end-of-quarter\" or \"end-of-year\"");
        return CIVIC_OK;
    case RK_REPAIR_AFTER:
        rule->has_repair_after = 1;
        return civic__rb_duration(v, err, "repair_after", false, &rule->repair_after);
    default:
        rule->has_retain = 1;
        return civic__rb_duration(v, err, "retain", false, &rule->retain);
    }
}

int civic__rb_rule_pair(builder *b, civic_rule *rule, rule_extra *x, int k,
                        const civic_toml_value *v, civic_error *err)
{
    static const char *const pers[] = { "event", "unit", NULL };
    static const uint8_t per_values[] = { 0, 1 };
    static const char *const affects[] = { "both", "score", "balance", NULL };
    static const uint8_t affects_values[] = { CIVIC_AFFECTS_SCORE | CIVIC_AFFECTS_BALANCE,
                                              CIVIC_AFFECTS_SCORE, CIVIC_AFFECTS_BALANCE };
    pos p = { v->line, v->column, v->offset };
    int64_t d;
    int rc;
    x->at[k] = p;
    switch (k) {
    case RK_POINTS: return civic__rb_points(v, err, "points", &rule->points);
    case RK_PER: return civic__rb_choice(v, err, "per", pers, per_values, &rule->per_unit);
    case RK_DIMENSION:
        rc = civic__rb_label(v, err, "dimension", CIVIC_CODE_BYTES_MAX, false);
        if (rc != CIVIC_OK) return rc;
        d = name_index(b, &b->dimension_set, dimension_name, &b->r->dimensions,
                       &b->r->dimension_count, &b->r->dim_cap, v->text,
                       v->len, CIVIC_DIMENSION_COUNT_MAX);
        if (d == -2)
            return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                                   "too many dimensions (at most 256)");
        if (d < 0) return CIVIC_E_NOMEM;
        rule->dimension = (uint32_t)d;
        return CIVIC_OK;
    case RK_VALID:
        rc = civic__rb_duration(v, err, "valid", true, &rule->valid);
        if (rc == CIVIC_OK && rule->valid.kind == CIVIC_DUR_SEVERITY) b->r->spec_version = 2;
        return rc;
    case RK_CAP:
        rc = civic__rb_points(v, err, "cap", &rule->cap);
        if (rc == CIVIC_OK && rule->cap < 0) rc = civic__rb_at(err, p, "'cap' must not be negative");
        return rc;
    case RK_CAP_PERIOD: return want_period(v, err, "cap_period", &rule->cap_period);
    case RK_CAP_GROUP:
        rc = civic__rb_string(v, err, "cap_group");
        if (rc != CIVIC_OK) return rc;
        x->cap_group_name = civic__rb_intern(b, v->text, v->len);
        x->cap_group_len = v->len;
        return x->cap_group_name ? CIVIC_OK : CIVIC_E_NOMEM;
    case RK_REPEAT_FACTOR:
        rc = civic__rb_points(v, err, "repeat_factor", &rule->repeat_factor);
        if (rc == CIVIC_OK && rule->repeat_factor <= 0)
            rc = civic__rb_at(err, p, "'repeat_factor' must be positive");
        return rc;
    case RK_CEILING: return civic__rb_points(v, err, "ceiling", &rule->ceiling);
    case RK_FLAG:
        rc = civic__rb_label(v, err, "flag", CIVIC_CODE_BYTES_MAX, true);
        if (rc != CIVIC_OK) return rc;
        d = name_index(b, &b->flag_set, civic__rb_flag_name, &b->r->flags, &b->r->flag_count,
                       &b->r->flag_cap, v->text, v->len,
                       CIVIC_RULE_COUNT_MAX);
        if (d == -2) /* reachable since changes can each name one */
            return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                                   "too many flags (at most 16384)");
        if (d < 0) return CIVIC_E_NOMEM;
        rule->flag = (uint32_t)d;
        return CIVIC_OK;
    case RK_AFFECTS:
        return civic__rb_choice(v, err, "affects", affects, affects_values, &rule->affects);
    default: return rule_pair_v2(b, rule, x, k, v, err);
    }
}

/* One key of a rule table or change: `false` removes a removable key. */
static int rule_key(builder *b, civic_rule *rule, rule_extra *x, int k,
                    const civic_toml_value *v, bool change, civic_error *err)
{
    char msg[200];
    pos p = { v->line, v->column, v->offset };
    bool is_false = v->type == CIVIC_TOML_BOOL && !v->boolean;
    if (!is_false || k == RK_FREEZE || k == RK_RECOUNT)
        return civic__rb_rule_pair(b, rule, x, k, v, err);
    if (!change) {
        char table[CIVIC_CODE_BYTES_MAX + 16], change_table[CIVIC_CODE_BYTES_MAX + 24];
        civic__rb_header_of(table, sizeof(table), "rule", rule->code, x->bare_dotted, NULL);
        civic__rb_header_of(change_table, sizeof(change_table), "rule", rule->code,
                            x->bare_dotted, ".change"); /* the tables as written */
        char removes[320];
        snprintf(removes, sizeof(removes), "'%s = false' removes a key in a %s; in %s leave the "
                 "key out", rule_keys_list[k], change_table, table);
        return civic__rb_at(err, p, removes);
    }
    if (!((RK_REMOVABLE >> k) & 1u)) {
        snprintf(msg, sizeof(msg), "'%s' cannot be removed with false (only cap, cap_group, "
                 "repeat_factor, ceiling, flag, category, freeze, publicity, repair_after and "
                 "retain can)", rule_keys_list[k]);
        return civic__rb_at(err, p, msg);
    }
    x->at[k] = p;
    rule_remove(rule, x, k);
    return CIVIC_OK;
}

/* What the value of a key is, in any table (no key name is a number in one
 * and a string in another): a number of points (CIVIC_TOML_DECIMAL), a
 * string (CIVIC_TOML_STRING), a boolean (CIVIC_TOML_BOOL), or -1 for a
 * change's 'from' (a string or Unix seconds), an array of strings (rules,
 * grades) and a key of no table; for the reader's hints on a value that is
 * neither (points = 5d, valid = 5d) and on a ':' for '=' (valid: 5d is told
 * to write valid = "5d"). */
static int value_type(void *ctx, const char *key, size_t len)
{
    static const char *const numbers[] = { "base", "min", "max", "balance_min", "points", "cap",
                                           "repeat_factor", "ceiling", "limit", "up_to",
                                           "min_score", "max_score", NULL };
    static const char *const booleans[] = { "freeze", "recount", NULL };
    static const char *const *const strings[] = { scheme_keys, rule_keys_list, cap_keys,
                                                  civic__rb_tier_keys, civic__rb_level_keys,
                                                  civic__rb_measure_keys };
    (void)ctx;
    if (civic__rb_find_key(numbers, key, len) >= 0) return CIVIC_TOML_DECIMAL;
    if (civic__rb_find_key(booleans, key, len) >= 0) return CIVIC_TOML_BOOL;
    if ((len == 4 && memcmp(key, "from", 4) == 0) || (len == 5 && memcmp(key, "rules", 5) == 0) ||
        (len == 6 && memcmp(key, "grades", 6) == 0))
        return -1; /* a string or seconds; arrays of strings */
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if (civic__rb_find_key(strings[i], key, len) >= 0) return CIVIC_TOML_STRING;
    return -1; /* a grade's name and min, a validity class's valid and up_to: above */
}

static int on_pair(void *ctx, const char *key, size_t len, const civic_toml_value *v,
                   uint64_t line, uint32_t column, uint64_t offset, civic_error *err)
{
    static const char *const grade_keys[] = { "name", "min", NULL };
    builder *b = ctx;
    int k, rc;
    char header[160]; /* the table as its header is written, for "unknown key" */
    b->last.line = line;
    b->key_at = (pos){ line, column, offset };
    switch (b->table) {
    case T_SCHEME:
        if ((k = civic__rb_find_key(scheme_keys, key, len)) < 0)
            return civic__rb_unknown("scheme", scheme_keys, SIZE_MAX, key, len,
                                     line, column, offset, err);
        rc = civic__rb_seen(b, &b->scheme_keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : scheme_pair(b, k, v, err);
    case T_GRADE:
        if ((k = civic__rb_find_key(grade_keys, key, len)) < 0)
            return civic__rb_unknown("[grade]", grade_keys, SIZE_MAX, key, len,
                                     line, column, offset, err);
        rc = civic__rb_seen(b, &b->gx[b->index].keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : grade_pair(b, k, v, err);
    case T_CAP:
        if ((k = civic__rb_find_key(cap_keys, key, len)) < 0) {
            civic__rb_header_of(header, sizeof(header), "cap", b->r->caps[b->index].name,
                                b->cx[b->index].bare_dotted, NULL);
            return civic__rb_unknown_in("cap", header, cap_keys, SIZE_MAX, key, len, line, column,
                                        offset, err);
        }
        rc = civic__rb_seen(b, &b->cx[b->index].keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : cap_pair(b, k, v, err);
    case T_RULE:
        if ((k = civic__rb_find_key(rule_keys_list, key, len)) < 0) {
            /* a rule's own keys: from and recount are a change's */
            civic__rb_header_of(header, sizeof(header), "rule", b->r->rules[b->index].code,
                                b->rx[b->index].bare_dotted, NULL);
            return civic__rb_unknown_in("rule", header, rule_keys_list, RK_FROM, key, len, line,
                                        column, offset, err);
        }
        if (k >= RK_FROM) { /* often [rule.X.change] written with single brackets */
            char msg[400]; /* cut to a civic_error's 256 bytes: whole with codes of 26 */
            const char *code = b->r->rules[b->index].code;
            size_t n = strlen(code);
            bool single = n > 7 && strcmp(code + n - 7, ".change") == 0;
            if (single) n -= 7;
            int m = (int)(n > 64 ? 64 : n);
            /* [rule.new] with from: a rule that starts on a date, which is
             * the rule counting nothing till then and a change from then on
             * (a change needs its rule before it, so the double brackets
             * alone lead to that error) */
            if (k == RK_FROM && !single) {
                char shown[72], rule[96], change[112];
                snprintf(shown, sizeof(shown), "%.*s", m, code);
                civic__rb_header_of(rule, sizeof(rule), "rule", shown,
                                    b->rx[b->index].bare_dotted, NULL);
                civic__rb_header_of(change, sizeof(change), "rule", shown,
                                    b->rx[b->index].bare_dotted, ".change");
                snprintf(msg, sizeof(msg), "key 'from' belongs to a rule change (a rule that "
                         "starts on a date: leave %s empty, which counts 0 till then, and "
                         "after it write %s with this from and the rule's keys)", rule, change);
            } else
                snprintf(msg, sizeof(msg), "key '%.*s' belongs to a rule change: write "
                         "[[rule.%.*s.change]], with double brackets", (int)len, key, m, code);
            return civic__rb_error(err, CIVIC_E_RULES, line, column, offset, msg);
        }
        rc = civic__rb_seen(b, &b->rx[b->index].keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc
                              : rule_key(b, &b->r->rules[b->index], &b->rx[b->index], k, v,
                                         false, err);
    case T_CHANGE:
        if ((k = civic__rb_find_key(rule_keys_list, key, len)) < 0) {
            uint32_t rule = b->chx[b->index].rule;
            civic__rb_header_of(header, sizeof(header), "rule", b->r->rules[rule].code,
                                b->rx[rule].bare_dotted, ".change");
            return civic__rb_unknown_in("rule change", header, rule_keys_list, SIZE_MAX, key,
                                        len, line, column, offset, err);
        }
        rc = civic__rb_seen(b, &b->chx[b->index].keys, k, key, len, line, column, offset, err);
        if (rc != CIVIC_OK) return rc;
        if (k >= RK_FROM) return civic__rb_change_pair(b, k, v, err);
        return rule_key(b, &b->changes[b->index], &b->chx[b->index], k, v, true, err);
    case T_VALIDITY: return civic__rb_class_pair(b, key, len, v, err);
    case T_TIER: return civic__rb_tier_pair(b, key, len, v, err);
    case T_LEVEL: return civic__rb_level_pair(b, key, len, v, err);
    case T_MEASURE: return civic__rb_measure_pair(b, key, len, v, err);
    default:
        return civic__rb_unknown("top level", NULL, 0, key, len, line, column, offset, err);
    }
}

/* The name part of [rule.NAME] / [cap.NAME]: bare (dots allowed) or "quoted". */
bool civic__rb_header_name(const char *s, size_t n, const char **name, size_t *name_len)
{
    if (n >= 2 && s[0] == '"') {
        if (s[n - 1] != '"') return false;
        *name = s + 1;
        *name_len = n - 2;
        return memchr(*name, '"', *name_len) == NULL && memchr(*name, '\\', *name_len) == NULL;
    }
    *name = s;
    *name_len = n;
    return true;
}

#define RESERVED_CODES_WHY "rule codes revoke, repair, redeem, object, dismiss and correct " \
                           "are reserved"

/* The code a name with capitals (when lower: a rule code, a cap name, a
 * category) or blanks (a quoted name's) stands for: lower case, each run
 * of blanks inside one '_', those at its start or end dropped, in buf
 * (CIVIC_CODE_BYTES_MAX + 1 bytes), with what was changed in why ("codes
 * are lower case"; noun: "codes" or "names"; "a blank at its end"); false
 * when that is no name of [A-Za-z0-9_.-] ([a-z0-9_.-] when lower) either. */
static bool code_for_name(const char *name, size_t n, bool lower, const char *noun, char *buf,
                          char *why, size_t why_size)
{
    size_t a = 0, e = n, w = 0;
    bool upper = false, blank = false;
    while (a < n && word_blank(name[a])) a++;
    while (e > a && word_blank(name[e - 1])) e--;
    for (size_t k = a; k < e; k++) {
        char c = name[k];
        if (w == CIVIC_CODE_BYTES_MAX) return false;
        if (word_blank(c)) {
            while (k + 1 < e && word_blank(name[k + 1])) k++;
            buf[w++] = '_';
            blank = true;
        } else {
            upper |= lower && c >= 'A' && c <= 'Z';
            buf[w++] = (char)(lower ? ascii_lower((unsigned char)c) : c);
        }
    }
    buf[w] = '\0';
    char low[CIVIC_CODE_BYTES_MAX + 1]; /* a name of [A-Za-z...] is a code in lower case */
    for (size_t k = 0; k <= w; k++) low[k] = (char)ascii_lower((unsigned char)buf[k]);
    bool edge = a > 0 || e < n, one = a + (n - e) == 1;
    if (!(upper || blank || edge) || !civic__code_valid(low, w)) return false;
    int k = upper || blank
                ? snprintf(why, why_size, "%s %s", noun,
                           upper && blank ? "are lower case, with '_' for a blank"
                           : upper        ? "are lower case"
                                          : "have '_' for a blank")
                : 0;
    if (edge && k >= 0 && (size_t)k < why_size)
        snprintf(why + k, why_size - (size_t)k, "%s%s at its %s", k ? "; and " : "",
                 one ? "a blank" : "blanks", a > 0 && e < n ? "start and end" : a > 0 ? "start"
                                                                                      : "end");
    return true;
}

/* The line of the [word.NAME] header of code, a name already defined
 * (a rule, cap, tier or measure), or 0. */
static uint64_t defined_at(const builder *b, const char *word, const char *code)
{
    const civic_rules *r = b->r;
    size_t n = strlen(code);
    uint32_t i = UINT32_MAX;
    if (strcmp(word, "rule") == 0) {
        i = civic__rb_set_find(r, &b->rule_set, civic__rb_rule_name, code, n);
        return i == UINT32_MAX ? 0 : b->rx[i].header.line;
    }
    if (strcmp(word, "cap") == 0) {
        i = civic__rb_set_find(r, &b->cap_set, cap_name, code, n);
        return i == UINT32_MAX ? 0 : b->cx[i].header.line;
    }
    if (strcmp(word, "measure") == 0) {
        i = civic__rb_set_find(r, &b->measure_set, measure_code, code, n);
        return i == UINT32_MAX ? 0 : b->mx[i].header.line;
    }
    for (uint32_t t = 0; strcmp(word, "tier") == 0 && t < r->tier_count; t++)
        if (strcmp(tier_name(r, t), code) == 0) return b->tx[t].header.line;
    return 0;
}

const char *civic__rb_name_why(const builder *b, const char *word, const char *name, size_t n,
                               bool lower, char *buf, size_t size)
{
    bool rule = strcmp(word, "rule") == 0, measure = strcmp(word, "measure") == 0, like;
    if (civic__toml_lookalike_in(name, n)) return civic__toml_char_why(name, n, buf, size);
    uint32_t cp = civic__toml_not_ascii(name, n, &like);
    if (cp && like) return civic__toml_char_why(name, n, buf, size);
    if (cp) { /* [rule.停车]: no ASCII letter it could be; where a name for people goes */
        snprintf(buf, size, "U+%04X is not ASCII: %s", (unsigned)cp,
                 rule      ? "rule codes are ASCII, as the log's type names them; a rule has "
                             "no other name"
                 : measure ? "measure names are ASCII; its text, which the notice page shows, "
                             "may be any text"
                 : strcmp(word, "tier") == 0 ? "tier names are ASCII; a level's name may be "
                                               "any text"
                                             : "cap names are ASCII");
        return buf;
    }
    char code[CIVIC_CODE_BYTES_MAX + 1], what[120];
    if (!code_for_name(name, n, lower, rule ? "codes" : "names", code, what, sizeof(what)))
        return NULL;
    /* [rule.REVOKE]: [rule.revoke] would be refused as reserved */
    uint64_t first;
    if (rule && civic__builtin_type(code, strlen(code), NULL))
        snprintf(buf, size, "%s; " RESERVED_CODES_WHY, what);
    else if ((first = defined_at(b, word, code)) != 0)
        /* [rule.parK] after [rule.park]: writing it so would be a duplicate */
        snprintf(buf, size, "%s; %s '%s' is already defined at line %llu", what, word, code,
                 (unsigned long long)first);
    else
        snprintf(buf, size, "%s: write [%s.%s]", what, word, code);
    return buf;
}

static int new_rule(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (!civic__code_valid(name, n)) {
        char msg[320], hint[200]; /* [rule.Illegal_parking], [rule."a "] */
        const char *why = civic__rb_name_why(b, "rule", name, n, true, hint, sizeof(hint));
        snprintf(msg, sizeof(msg), "rule codes are 1..64 characters of [a-z0-9_.-]%s%s%s",
                 why ? " (" : "", why ? why : "", why ? ")" : "");
        return civic__rb_error(err, n > CIVIC_CODE_BYTES_MAX ? CIVIC_E_LIMIT : CIVIC_E_RULES, p.line,
                               p.column, p.offset, msg);
    }
    uint16_t type;
    if (civic__builtin_type(name, n, &type)) {
        /* a 1.0 file's [rule.correct]: the rule is renamed, and so is the
         * type its events name in the log (a log's "correct" is now the
         * built-in one) */
        char msg[320];
        snprintf(msg, sizeof(msg), RESERVED_CODES_WHY " ('%.*s' is a built-in event type%s: "
                 "rename the rule, as [rule.%.*s_x] or a name of your own, and its events' "
                 "type with it)", (int)n, name,
                 type <= CIVIC_TYPE_CORRECT ? " since libcivic 1.1" : "", (int)n, name);
        return civic__rb_at(err, p, msg);
    }
    uint32_t first = civic__rb_set_find(r, &b->rule_set, civic__rb_rule_name, name, n);
    if (first != UINT32_MAX)
        return civic__rb_duplicate(err, p, "rule", name, n, b->rx[first].header.line);
    if (r->rule_count >= CIVIC_RULE_COUNT_MAX)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many rules (at most 16384)");
    if (civic__rb_set_reserve(r, &b->rule_set, civic__rb_rule_name, r->rule_count) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&r->rules, &b->r->rule_cap, r->rule_count + 1,
                    sizeof(civic_rule)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->rx, &b->rx_cap, r->rule_count + 1,
                    sizeof(rule_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    civic_rule *rule = &r->rules[r->rule_count];
    memset(rule, 0, sizeof(*rule));
    memset(&b->rx[r->rule_count], 0, sizeof(rule_extra));
    rule->code = civic__rb_intern(b, name, n);
    if (!rule->code) return CIVIC_E_NOMEM;
    rule->code_len = (uint32_t)n;
    rule->cap = -1;
    rule->ceiling = CIVIC_FOREVER;
    rule->cap_group = CIVIC_NO_CAP;
    rule->flag = UINT32_MAX;
    rule->affects = CIVIC_AFFECTS_SCORE | CIVIC_AFFECTS_BALANCE;
    rule->valid.kind = 0xff; /* "not set": the scheme default applies */
    rule->dimension = UINT32_MAX; /* "general" unless the rule names one (check_rules) */
    rule->from = INT64_MIN;
    rule->category = CIVIC_NONE;
    rule->own_slot = CIVIC_NONE;
    b->rx[r->rule_count].header = p;
    civic__rb_set_put(r, &b->rule_set, civic__rb_rule_name, r->rule_count);
    b->index = r->rule_count++;
    b->table = T_RULE;
    return CIVIC_OK;
}

static int new_cap(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (!civic__code_valid(name, n)) {
        char msg[320], hint[200]; /* [cap.Day], [cap."c "]: as a rule code is told */
        const char *why = civic__rb_name_why(b, "cap", name, n, true, hint, sizeof(hint));
        snprintf(msg, sizeof(msg), "cap names are 1..64 characters of [a-z0-9_.-]%s%s%s",
                 why ? " (" : "", why ? why : "", why ? ")" : "");
        return civic__rb_error(err, n > CIVIC_CODE_BYTES_MAX ? CIVIC_E_LIMIT : CIVIC_E_RULES, p.line,
                               p.column, p.offset, msg);
    }
    uint32_t first = civic__rb_set_find(r, &b->cap_set, cap_name, name, n);
    if (first != UINT32_MAX)
        return civic__rb_duplicate(err, p, "cap", name, n, b->cx[first].header.line);
    if (r->cap_count >= CIVIC_CAP_COUNT_MAX)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many caps (at most 16384)");
    if (civic__rb_set_reserve(r, &b->cap_set, cap_name, r->cap_count) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&r->caps, &b->r->cap_cap, r->cap_count + 1,
                    sizeof(civic_cap)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->cx, &b->cx_cap, r->cap_count + 1,
                    sizeof(cap_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    civic_cap *c = &r->caps[r->cap_count];
    memset(c, 0, sizeof(*c));
    memset(&b->cx[r->cap_count], 0, sizeof(cap_extra));
    c->name = civic__rb_intern(b, name, n);
    if (!c->name) return CIVIC_E_NOMEM;
    b->cx[r->cap_count].header = p;
    civic__rb_set_put(r, &b->cap_set, cap_name, r->cap_count);
    b->index = r->cap_count++;
    b->table = T_CAP;
    return CIVIC_OK;
}

static int new_grade(builder *b, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->grade_count >= CIVIC_GRADE_COUNT_MAX)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                           "too many grades (at most 64)");
    if (civic__grow(&r->alc, (void **)&r->grades, &b->r->grade_cap, r->grade_count + 1,
                    sizeof(civic_grade)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->gx, &b->gx_cap, r->grade_count + 1,
                    sizeof(grade_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    memset(&r->grades[r->grade_count], 0, sizeof(civic_grade));
    memset(&b->gx[r->grade_count], 0, sizeof(grade_extra));
    b->gx[r->grade_count].header = p;
    b->index = r->grade_count++;
    b->table = T_GRADE;
    return CIVIC_OK;
}

/* "NAME.SUFFIX" with NAME bare or quoted: the NAME part, or false. */
/* A header name that civic__rb_header_name refuses: quoted, but with more
 * after the closing quote, or escapes or quotes inside. */
#define BAD_NAME(what) \
    "bad " what " name: a quoted name is the whole name, with no escape or quote inside " \
    "([" what ".\"a.b\"])"
#define BAD_ARRAY_NAME(what, suffix) \
    "bad " what " name: a quoted name is the whole name, with no escape or quote inside " \
    "([[" what ".\"a.b\"." suffix "]])"

/* NAME.suffix: 1 with the name, 0 without the suffix, -1 with the suffix
 * after a name civic__rb_header_name refuses. */
static int strip_suffix(const char *key, size_t len, const char *suffix, const char **name,
                        size_t *n)
{
    size_t k = strlen(suffix);
    if (len <= k + 1 || key[len - k - 1] != '.' || memcmp(key + len - k, suffix, k) != 0)
        return 0;
    return civic__rb_header_name(key, len - k - 1, name, n) ? 1 : -1;
}

static bool prefixed(const char *key, size_t len, const char *prefix)
{
    size_t k = strlen(prefix);
    return len > k && memcmp(key, prefix, k) == 0;
}

/* A name written with a dot and no quotes: TOML reads [rule.a.b] as a table
 * b inside rule a, where the scheme reads the one code "a.b". */
static bool bare_dotted(const char *name, size_t len)
{
    return memchr(name, '"', len) == NULL && memchr(name, '.', len) != NULL;
}

/* One kind of named table, as check_bare_dotted sees it: its names, the
 * keys its tables may set, and where its builder keeps each table's header,
 * keys written and bare_dotted flag (offsets into the extra array). */
typedef struct named_table {
    const char *kind, *noun;     /* "rule", "code" */
    const char *sub;             /* the array of tables a name holds ("change"), or NULL */
    const name_set *set;         /* NULL: found by a scan (tiers: at most 256) */
    name_fn name_of;
    uint32_t count;
    const char *const *keys;
    const void *extra;
    size_t stride, header_at, keys_at, bare_at;
} named_table;

#define NAMED_EXTRA(array, type) \
    (array), sizeof(type), offsetof(type, header), offsetof(type, keys), offsetof(type, bare_dotted)

static const void *named_field(const named_table *k, uint32_t i, size_t at)
{
    return (const char *)k->extra + i * k->stride + at;
}

static uint32_t named_find(const civic_rules *r, const named_table *k, const char *s, size_t n)
{
    if (k->set) return civic__rb_set_find(r, k->set, k->name_of, s, n);
    for (uint32_t i = 0; i < k->count; i++)
        if (civic__rb_key_is(s, n, k->name_of(r, i))) return i;
    return UINT32_MAX;
}

/* Of the bare dotted name code ("P.S..."), the first P of kind k that TOML
 * would take the header for: P sets the key S, or S is the array of tables
 * P holds (sub).  Its message in msg, or false.  of_sub: the header is
 * [[KIND.CODE.SUB]] (a change, a level), where only a key S of P clashes. */
static bool dotted_clash(const civic_rules *r, const named_table *k, const char *code, bool of_sub,
                         char *msg, size_t size)
{
    size_t n = strlen(code);
    for (size_t d = 0; d < n; d++) {
        if (code[d] != '.') continue;
        uint32_t j = named_find(r, k, code, d);
        if (j == UINT32_MAX) continue;
        const char *seg = code + d + 1;
        const char *dot = memchr(seg, '.', n - d - 1);
        size_t sn = dot ? (size_t)(dot - seg) : n - d - 1;
        bool sub = !of_sub && k->sub && civic__rb_key_is(seg, sn, k->sub);
        /* a key clash is TOML's path, and a quoted name of dots is none
         * ([rule."a.b"] holds no a.b); an array's brackets are the scheme's
         * own reading ([[rule.a.b.change]] changes "a.b") */
        if (!sub && memchr(code, '.', d) && !*(const bool *)named_field(k, j, k->bare_at))
            continue;
        int key = civic__rb_find_key(k->keys, seg, sn);
        uint32_t set = *(const uint32_t *)named_field(k, j, k->keys_at);
        if (!sub && (key < 0 || !(set & (1u << key)))) continue;
        if (sub)
            snprintf(msg, size, "write [[%s.%.*s.%s]] for a %s, or [%s.\"%s\"] for a %s of "
                     "that %s", k->kind, (int)d, code, k->sub, k->sub, k->kind, code, k->kind,
                     k->noun);
        else if (of_sub)
            snprintf(msg, size, "TOML reads this header as the key '%.*s' of %s '%.*s', set "
                     "there too: write [[%s.\"%s\".%s]]", (int)sn, seg, k->kind, (int)d, code,
                     k->kind, code, k->sub);
        else
            snprintf(msg, size, "TOML reads this header as the key '%.*s' of %s '%.*s', set "
                     "there too: write [%s.\"%s\"] for a %s so named", (int)sn, seg, k->kind,
                     (int)d, code, k->kind, code, k->kind);
        return true;
    }
    return false;
}

/* A bare dotted name "P.S..." beside the name P of its kind (itself bare:
 * [rule."a.b"] is no path to TOML), where S is a key P sets or the array of
 * tables P holds: TOML refuses the file (the key S of P is defined twice),
 * and a [rule.P.change] with single brackets would silently be a rule of its
 * own.  The quoted form ([rule."P.S"]) means the one name to TOML too.  A
 * change's header [[rule.P.S.change]] of the rule "P.S" (a level's of a
 * tier alike) is read by TOML as under the key S of rule P. */
static int check_bare_dotted(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    const named_table kinds[] = {
        { "cap", "name", NULL, &b->cap_set, cap_name, r->cap_count, cap_keys,
          NAMED_EXTRA(b->cx, cap_extra) },
        { "rule", "code", "change", &b->rule_set, civic__rb_rule_name, r->rule_count,
          rule_keys_list, NAMED_EXTRA(b->rx, rule_extra) },
        { "tier", "name", "level", NULL, tier_name, r->tier_count, civic__rb_tier_keys,
          NAMED_EXTRA(b->tx, tier_extra) },
        { "measure", "code", NULL, &b->measure_set, measure_code, r->measure_count,
          civic__rb_measure_keys, NAMED_EXTRA(b->mx, measure_extra) },
    };
    char msg[320]; /* whole with names of 64 bytes, the line and column before it */
    for (size_t t = 0; t < sizeof(kinds) / sizeof(kinds[0]); t++) {
        const named_table *k = &kinds[t];
        for (uint32_t i = 0; i < k->count; i++) {
            if (!*(const bool *)named_field(k, i, k->bare_at)) continue;
            if (dotted_clash(r, k, k->name_of(r, i), false, msg, sizeof(msg)))
                return civic__rb_at(err, *(const pos *)named_field(k, i, k->header_at), msg);
        }
        /* the headers of a rule's changes and a tier's levels name it too */
        for (uint32_t c = 0; t == 1 && c < b->change_count; c++)
            if (b->chx[c].bare_dotted &&
                dotted_clash(r, k, b->changes[c].code, true, msg, sizeof(msg)))
                return civic__rb_at(err, b->chx[c].header, msg);
        for (uint32_t l = 0; t == 2 && l < b->level_total; l++)
            if (b->lx[l].bare_dotted &&
                dotted_clash(r, k, r->tiers[b->level_tier[l]].name, true, msg, sizeof(msg)))
                return civic__rb_at(err, b->lx[l].header, msg);
    }
    return CIVIC_OK;
}

static int on_array(builder *b, const char *key, size_t len, pos p, civic_error *err)
{
    const char *name;
    size_t n;
    if (civic__rb_key_is(key, len, "grade")) return new_grade(b, p, err);
    if (civic__rb_key_is(key, len, "validity")) return civic__rb_new_class(b, p, err);
    int got = prefixed(key, len, "rule.") ? strip_suffix(key + 5, len - 5, "change", &name, &n) : 0;
    if (got > 0) {
        int rc = civic__rb_new_change(b, name, n, p, err);
        if (rc == CIVIC_OK) b->chx[b->change_count - 1].bare_dotted = bare_dotted(key + 5, len - 12);
        return rc;
    }
    if (got < 0) return civic__rb_at(err, p, BAD_ARRAY_NAME("rule", "change"));
    got = prefixed(key, len, "tier.") ? strip_suffix(key + 5, len - 5, "level", &name, &n) : 0;
    if (got > 0) {
        int rc = civic__rb_new_level(b, name, n, p, err);
        if (rc == CIVIC_OK) b->lx[b->level_total - 1].bare_dotted = bare_dotted(key + 5, len - 11);
        return rc;
    }
    if (got < 0) return civic__rb_at(err, p, BAD_ARRAY_NAME("tier", "level"));
    return 1; /* unknown */
}

/* A header's name after its word, as the reader takes it -- bare, or
 * "quoted" whole (civic__rb_header_name) -- and a name of that table: a rule
 * code or cap name of [a-z0-9_.-], a tier or measure name of [A-Za-z0-9_.-]
 * (lib/tiers.c), 1..64 bytes.  So no quote, backslash or blank is left in
 * it, nor a capital in a rule code. */
static bool name_readable(const char *s, size_t n, bool capitals)
{
    const char *name = s;
    size_t k = n;
    if (n == 0) return false;
    if (s[0] == '"' && !civic__rb_header_name(s, n, &name, &k)) return false;
    if (k == 0 || k > CIVIC_CODE_BYTES_MAX) return false;
    for (size_t i = 0; i < k; i++) {
        char c = name[i];
        bool lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                     c == '-';
        if (!lower && !(capitals && c >= 'A' && c <= 'Z')) return false;
    }
    return true;
}

/* The table an unknown header most likely meant, as it should be written,
 * into out: its first word misspelt ("[rulle.a]", "[[grades]]", "[Rule.a]"),
 * or in the wrong brackets ([grade], [[scheme]], [[cap.x]]), or quoted whole
 * (["rule.a"], TOML's one quoted key).  The name after the word is kept; a
 * name ending in .change (rule) or .level (tier) is offered as that array,
 * [[rule.a.change]], whatever the brackets were ([rule.a.change] is a rule
 * "a.change").  False when nothing is near enough, a word that needs a name
 * has none, the name is none a header reads (a stray quote: [rule".a"]) or
 * none of its table (["rule.A"], ["rule.a b"]), or the guess is what was
 * written.  What it offers is a header the reader takes as that table. */
static bool table_meant(const char *key, size_t len, bool array, bool plural, char *out,
                        size_t size)
{
    static const char *const words[] = { "scheme", "grade", "validity", "cap", "rule", "tier",
                                         "measure", NULL };
    bool quoted = len > 2 && key[0] == '"' && key[len - 1] == '"' &&
                  !memchr(key + 1, '"', len - 2) && !memchr(key + 1, '\\', len - 2);
    if (quoted) { /* its word and name without the quotes */
        key++;
        len -= 2;
    }
    const char *dot = memchr(key, '.', len);
    size_t w = dot ? (size_t)(dot - key) : len;
    const char *word = NULL;
    for (int i = 0; words[i] && !word; i++) /* the same word, in other brackets */
        if (civic__rb_key_is(key, w, words[i])) word = words[i];
    if (!word) word = nearest_key(words, SIZE_MAX, key, w);
    if (!word) return false;
    bool named = strcmp(word, "cap") == 0 || strcmp(word, "rule") == 0 ||
                 strcmp(word, "tier") == 0 || strcmp(word, "measure") == 0;
    if (named != (dot != NULL) || (dot && dot + 1 == key + len)) return false;
    if (!named) {
        bool many = strcmp(word, "scheme") != 0; /* [[grade]], [[validity]] */
        snprintf(out, size, "%s%s%s", many ? "[[" : "[", word, many ? "]]" : "]");
        return true;
    }
    /* of these only [[rule.CODE.change]] and [[tier.NAME.level]] are arrays;
     * [[rule.a]] may mean [rule.a] or a change: no guess */
    const char *suffix = strcmp(word, "rule") == 0 ? ".change"
                         : strcmp(word, "tier") == 0 ? ".level" : NULL;
    size_t k = suffix ? strlen(suffix) : 0;
    bool ends = suffix && len - w > k && memcmp(key + len - k, suffix, k) == 0;
    if (array && suffix && !ends) return false;
    bool many = ends;
    if (many == array && !quoted && !plural && civic__rb_key_is(key, w, word))
        return false; /* as written */
    bool capitals = strcmp(word, "tier") == 0 || strcmp(word, "measure") == 0;
    if (!name_readable(dot + 1, len - w - 1 - (many ? k : 0), capitals)) return false;
    /* whole, not an excerpt: a name of its table is plain ASCII, at most 64
     * bytes and its quotes, and out holds it with the word and .change */
    snprintf(out, size, "%s%s.%.*s%s", many ? "[[" : "[", word, (int)(len - w - 1), dot + 1,
             many ? "]]" : "]");
    return true;
}

/* table_meant of a header written in the plural: [[rule.a.changes]],
 * [[tier.t.levels]], [[validities]] (the array tables take the singular). */
static bool plural_meant(const char *key, size_t len, bool array, char *out, size_t size)
{
    static const char *const forms[][2] = { { ".changes", ".change" }, { ".levels", ".level" },
                                            { "validities", "validity" } };
    char one[160];
    for (size_t i = 0; i < 3; i++) {
        size_t k = strlen(forms[i][0]), o = strlen(forms[i][1]);
        if (len < k || len - k + o >= sizeof(one) || memcmp(key + len - k, forms[i][0], k) != 0 ||
            (i == 2 && len != k))
            continue;
        memcpy(one, key, len - k);
        memcpy(one + len - k, forms[i][1], o);
        return table_meant(one, len - k + o, array, true, out, size);
    }
    return false;
}

static int on_table(void *ctx, const char *key, size_t len, bool array, uint64_t line,
                    uint32_t column, uint64_t offset, civic_error *err)
{
    builder *b = ctx;
    pos p = { line, column, offset };
    const char *name;
    size_t n;
    char msg[320];
    b->last = p;
    if (array) {
        int rc = on_array(b, key, len, p, err);
        if (rc <= 0) return rc;
    } else if (civic__rb_key_is(key, len, "scheme")) {
        if (b->scheme_seen) {
            snprintf(msg, sizeof(msg), "duplicate [scheme] table (first at line %llu)",
                     (unsigned long long)b->scheme_at.line);
            return civic__rb_at(err, p, msg);
        }
        b->scheme_seen = true;
        b->scheme_at = p;
        b->table = T_SCHEME;
        return CIVIC_OK;
    } else if (prefixed(key, len, "rule.")) {
        if (!civic__rb_header_name(key + 5, len - 5, &name, &n)) return civic__rb_at(err, p, BAD_NAME("rule"));
        int rc = new_rule(b, name, n, p, err);
        if (rc == CIVIC_OK) b->rx[b->index].bare_dotted = bare_dotted(key + 5, len - 5);
        return rc;
    } else if (prefixed(key, len, "cap.")) {
        if (!civic__rb_header_name(key + 4, len - 4, &name, &n)) return civic__rb_at(err, p, BAD_NAME("cap"));
        int rc = new_cap(b, name, n, p, err);
        if (rc == CIVIC_OK) b->cx[b->index].bare_dotted = bare_dotted(key + 4, len - 4);
        return rc;
    } else if (prefixed(key, len, "tier.")) {
        if (!civic__rb_header_name(key + 5, len - 5, &name, &n)) return civic__rb_at(err, p, BAD_NAME("tier"));
        int rc = civic__rb_new_tier(b, name, n, p, err);
        if (rc == CIVIC_OK) b->tx[b->index].bare_dotted = bare_dotted(key + 5, len - 5);
        return rc;
    } else if (prefixed(key, len, "measure.")) {
        if (!civic__rb_header_name(key + 8, len - 8, &name, &n))
            return civic__rb_at(err, p, BAD_NAME("measure"));
        int rc = civic__rb_new_measure(b, name, n, p, err);
        if (rc == CIVIC_OK) b->mx[b->index].bare_dotted = bare_dotted(key + 8, len - 8);
        return rc;
    }
    char shown[64], meant[96], cp_why[120]; /* meant: [[measure. 66 bytes .change]] */
    civic__excerpt_raw(shown, sizeof(shown), key, len); /* a header may hold any byte */
    const char *dot = memchr(key, '.', len); /* the table's word: a look-alike letter in it */
    const char *why = civic__toml_char_why(key, dot ? (size_t)(dot - key) : len, cp_why,
                                           sizeof(cp_why));
    if (why)
        snprintf(msg, sizeof(msg), "unknown table %s%s%s (%s)", array ? "[[" : "[", shown,
                 array ? "]]" : "]", why);
    else if (table_meant(key, len, array, false, meant, sizeof(meant)) ||
             plural_meant(key, len, array, meant, sizeof(meant)))
        snprintf(msg, sizeof(msg), "unknown table %s%s%s (did you mean %s?)", array ? "[[" : "[",
                 shown, array ? "]]" : "]", meant);
    else
        snprintf(msg, sizeof(msg), "unknown table %s%s%s (expected [scheme], [[grade]], "
                 "[cap.NAME], [rule.CODE], [[rule.CODE.change]], [[validity]], [tier.NAME], "
                 "[[tier.NAME.level]] or [measure.CODE])", array ? "[[" : "[", shown,
                 array ? "]]" : "]");
    return civic__rb_at(err, p, msg);
}

/* ------------------------------------------------------------ checks */

static int check_scheme(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->has_min && r->has_max && r->min > r->max)
        return civic__rb_at(err, b->max_pos, "scheme max is below scheme min");
    /* without a base of its own, the default 0 is the base that is out of
     * bounds: said so, at the bound ("[scheme] min = 10" alone) */
    if (r->has_min && r->base < r->min)
        return civic__rb_at(err, b->base_pos.line ? b->base_pos : b->min_pos,
                            b->base_pos.line ? "scheme base is below scheme min"
                                             : "scheme base is below scheme min (base defaults "
                                               "to 0: set base under [scheme])");
    if (r->has_max && r->base > r->max)
        return civic__rb_at(err, b->base_pos.line ? b->base_pos : b->max_pos,
                            b->base_pos.line ? "scheme base is above scheme max"
                                             : "scheme base is above scheme max (base defaults "
                                               "to 0: set base under [scheme])");
    if (!r->has_min) r->min = INT64_MIN;
    if (!r->has_max) r->max = INT64_MAX;
    return CIVIC_OK;
}

static int check_grades(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->grade_count == 0)
        return civic__rb_error(err, CIVIC_E_RULES, 1, 1, 0,
                           "the rules define no [[grade]]: at least one is required");
    for (uint32_t i = 0; i < r->grade_count; i++) {
        civic_grade *g = &r->grades[i];
        if (!g->name) return civic__rb_at(err, b->gx[i].header, "[[grade]] without a name");
        if (!g->has_min && i + 1 < r->grade_count)
            return civic__rb_at(err, b->gx[i].header,
                            "only the last grade may omit 'min' (it catches everything below)");
        if (i > 0 && g->has_min && g->min >= r->grades[i - 1].min)
            return civic__rb_at(err, b->gx[i].min,
                            "grade mins must be strictly decreasing in file order");
    }
    return CIVIC_OK;
}

static int check_caps(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    for (uint32_t i = 0; i < r->cap_count; i++) {
        if (!(b->cx[i].keys & 1u)) return civic__rb_at(err, b->cx[i].header, "[cap] without 'limit'");
        if (!(b->cx[i].keys & 2u)) return civic__rb_at(err, b->cx[i].header, "[cap] without 'period'");
    }
    return CIVIC_OK;
}

/* A version that writes a dimension of its own (not dimension = false). */
static bool names_dimension(const civic_rule *v, const rule_extra *x)
{
    return (x->keys >> RK_DIMENSION) & 1u && v->dimension != UINT32_MAX;
}

/* "general", first used by the base of rule i (which names no dimension),
 * is one too many.  The one past the limit is found in first-use order
 * (rules in file order, each followed by its changes in file order, as
 * order_dimensions numbers them): its value is where the error is, as for
 * any other dimension; the rule's header when that is general itself (or
 * memory runs out for the walk). */
static pos general_past_limit(builder *b, uint32_t i, pos header)
{
    civic_rules *r = b->r;
    bool seen[CIVIC_DIMENSION_COUNT_MAX] = { false };
    uint32_t count = 0, n = r->rule_count - i;
    for (uint32_t j = 0; j < i; j++)
        if (names_dimension(&r->rules[j], &b->rx[j]) && !seen[r->rules[j].dimension]) {
            seen[r->rules[j].dimension] = true;
            count++;
        }
    for (uint32_t c = 0; c < b->change_count; c++)
        if (b->chx[c].rule < i && names_dimension(&b->changes[c], &b->chx[c]) &&
            !seen[b->changes[c].dimension]) {
            seen[b->changes[c].dimension] = true;
            count++;
        }
    if (++count > CIVIC_DIMENSION_COUNT_MAX) return header; /* general is the one */
    /* the changes of rules i.. grouped by rule, in file order within each */
    uint32_t *start = civic__calloc(&r->alc, n + 1, sizeof(uint32_t));
    uint32_t *order = civic__malloc(&r->alc, (b->change_count ? b->change_count : 1) *
                                                 sizeof(uint32_t));
    pos at = header;
    if (start && order) {
        for (uint32_t c = 0; c < b->change_count; c++)
            if (b->chx[c].rule >= i) start[b->chx[c].rule - i + 1]++;
        for (uint32_t j = 0; j < n; j++) start[j + 1] += start[j];
        /* start[j] is the cursor of rule i + j, then the end of its changes */
        for (uint32_t c = 0; c < b->change_count; c++)
            if (b->chx[c].rule >= i) order[start[b->chx[c].rule - i]++] = c;
        bool found = false;
        for (uint32_t j = i; j < r->rule_count && !found; j++) {
            if (j > i && names_dimension(&r->rules[j], &b->rx[j]) &&
                !seen[r->rules[j].dimension]) {
                seen[r->rules[j].dimension] = true;
                if (++count > CIVIC_DIMENSION_COUNT_MAX) {
                    at = b->rx[j].at[RK_DIMENSION];
                    found = true;
                }
            }
            for (uint32_t k = j > i ? start[j - i - 1] : 0; k < start[j - i] && !found; k++) {
                uint32_t c = order[k];
                if (!names_dimension(&b->changes[c], &b->chx[c]) || seen[b->changes[c].dimension])
                    continue;
                seen[b->changes[c].dimension] = true;
                if (++count > CIVIC_DIMENSION_COUNT_MAX) {
                    at = b->chx[c].at[RK_DIMENSION];
                    found = true;
                }
            }
        }
    }
    civic__free(&r->alc, start, (n + 1) * sizeof(uint32_t));
    civic__free(&r->alc, order, (b->change_count ? b->change_count : 1) * sizeof(uint32_t));
    return at;
}

/* The default dimension "general", added on first use: by the base of rule
 * i, or (base false) by a change of it that removes its dimension, at at. */
static int general_dimension(builder *b, uint32_t i, bool base, pos at, uint32_t *out,
                             civic_error *err)
{
    civic_rules *r = b->r;
    int64_t d = name_index(b, &b->dimension_set, dimension_name, &r->dimensions,
                           &r->dimension_count, &r->dim_cap, "general", 7,
                           CIVIC_DIMENSION_COUNT_MAX);
    if (d == -2) {
        if (base) at = general_past_limit(b, i, at);
        return civic__rb_error(err, CIVIC_E_LIMIT, at.line, at.column, at.offset,
                               "too many dimensions (at most 256, \"general\" included)");
    }
    if (d < 0) return CIVIC_E_NOMEM;
    *out = (uint32_t)d;
    return CIVIC_OK;
}

/* The checks of SPEC 2 that concern one version of a rule, and its defaults. */
int civic__rb_check_version(builder *b, uint32_t rule_index, civic_rule *rule, rule_extra *x,
                            civic_error *err)
{
    civic_rules *r = b->r;
    /* A repeat multiplies the points of one event (of one unit): the
     * engine keeps every raw within 2^60 hundredths, so a rule whose repeat
     * alone passes it could never be scored (whether or not qty is given). */
    int64_t repeated;
    if (rule->repeat_factor &&
        (!civic__mul_div_round(rule->points, rule->repeat_factor, 100, &repeated) ||
         repeated > INT64_C(1) << 60 || repeated < -(INT64_C(1) << 60)))
        /* at the later of the two keys: in a change that sets one of them,
         * that one (the other, inherited, is further up) */
        return civic__rb_at(err, x->at[RK_POINTS].line &&
                                         x->at[RK_POINTS].offset > x->at[RK_REPEAT_FACTOR].offset
                                     ? x->at[RK_POINTS]
                                 : x->at[RK_REPEAT_FACTOR].line ? x->at[RK_REPEAT_FACTOR]
                                                                : x->header,
                            "'points' x 'repeat_factor' is too large (a repeated event must "
                            "stay within 1.15e16 points)");
    if (rule->cap >= 0 && !rule->cap_period)
        return civic__rb_at(err, x->at[RK_CAP], "'cap' needs 'cap_period'");
    if (rule->cap < 0 && rule->cap_period)
        return civic__rb_at(err, x->at[RK_CAP_PERIOD], "'cap_period' without 'cap'");
    if (rule->cap < 0 && x->at[RK_CAP_MODE].line)
        return civic__rb_at(err, x->at[RK_CAP_MODE], "'cap_mode' without 'cap'");
    if (rule->ceiling != CIVIC_FOREVER &&
        ((r->has_min && rule->ceiling < r->min) || (r->has_max && rule->ceiling > r->max)))
        return civic__rb_at(err, x->at[RK_CEILING], "'ceiling' is outside the scheme's min..max");
    bool inherits = rule->valid.kind == 0xff;
    if (inherits) rule->valid = r->valid;
    if (rule->valid.kind == CIVIC_DUR_SEVERITY && r->class_count == 0)
        return inherits && !x->at[RK_VALID].line
                   ? civic__rb_at(err, b->valid_pos,
                                  "[scheme] valid = \"by-severity\" needs [[validity]] classes "
                                  "(every rule without a 'valid' of its own takes it)")
                   : civic__rb_at(err, x->at[RK_VALID].line ? x->at[RK_VALID] : x->header,
                                  "valid = \"by-severity\" needs [[validity]] classes");
    if (rule->dimension == UINT32_MAX) {
        int rc = general_dimension(b, rule_index, x == &b->rx[rule_index], x->header,
                                   &rule->dimension, err);
        if (rc != CIVIC_OK) return rc;
    }
    rule->cap_group = CIVIC_NO_CAP;
    if (x->cap_group_name) {
        uint32_t c = civic__rb_set_find(r, &b->cap_set, cap_name, x->cap_group_name,
                                        x->cap_group_len);
        if (c == UINT32_MAX)
            return civic__rb_meant("'cap_group' names no [cap.NAME] table",
                                   civic__rb_nearest_name(r, cap_name, r->cap_count,
                                                          x->cap_group_name, x->cap_group_len),
                                   x->at[RK_CAP_GROUP], err);
        rule->cap_group = c;
    }
    if (rule->has_retain && rule->affects != CIVIC_AFFECTS_SCORE)
        /* at 'retain', unless this table (a change) set only 'affects':
         * then at that, not at the base table's 'retain' */
        return civic__rb_at(err, x->at[RK_RETAIN].line < x->header.line &&
                                         x->at[RK_AFFECTS].line >= x->header.line
                                     ? x->at[RK_AFFECTS] : x->at[RK_RETAIN],
                            "a rule with 'retain' must have affects = \"score\" (spendable "
                            "points are never rewritten)");
    if (rule->has_publicity) r->any_publicity = true;
    if (rule->has_retain) r->any_retain = true;
    if (rule->has_repair_after) r->any_repair_after = true;
    if (rule->freeze) r->any_freeze = true;
    return CIVIC_OK;
}

static int check_rules(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    for (uint32_t i = 0; i < r->rule_count; i++) {
        int rc = civic__rb_check_version(b, i, &r->rules[i], &b->rx[i], err);
        if (rc != CIVIC_OK) return rc;
    }
    return CIVIC_OK;
}

static int build_index(civic_rules *r)
{
    size_t cap = 16;
    while (cap < (size_t)r->rule_count * 2) cap *= 2;
    r->rule_index = civic__calloc(&r->alc, cap, sizeof(uint32_t));
    if (!r->rule_index) return CIVIC_E_NOMEM;
    r->rule_index_mask = (uint32_t)(cap - 1);
    for (uint32_t i = 0; i < r->rule_count; i++) {
        size_t h = (size_t)civic__hash_bytes(r->rules[i].code, r->rules[i].code_len);
        while (r->rule_index[h & r->rule_index_mask]) h++;
        r->rule_index[h & r->rule_index_mask] = i + 1;
    }
    return CIVIC_OK;
}

int32_t civic__rules_find(const civic_rules *r, const char *code, size_t len)
{
    return civic__rules_lookup(r, code, len);
}

/* The fingerprint hashes every field that changes an answer, in a fixed
 * order, so comments, spacing and key order do not matter. */
static uint64_t fp_mix(uint64_t h, const void *p, size_t n)
{
    return civic__hash_bytes(p, n) ^ (h * UINT64_C(0x100000001b3) + 0x9e37);
}

/* Number the dimensions by first use: the rules in file order, each rule's
 * changes after it, with "general" last unless a version names it.  The
 * reader numbered them by first mention in the file, which is the same for a
 * file without changes; a change written after later rules would otherwise
 * number its dimension differently from the text civic_rules_to_toml writes
 * (which keeps each change after its rule).  A version in "general" that
 * does not name it never places it: every other dimension comes first. */
static int order_dimensions(builder *b)
{
    civic_rules *r = b->r;
    uint32_t n = r->dimension_count, next = 0, g = n;
    if (n < 2) return CIVIC_OK;
    for (uint32_t d = 0; d < n; d++)
        if (strcmp(r->dimensions[d], "general") == 0) g = d;
    uint32_t *rank = civic__malloc(&r->alc, n * sizeof(uint32_t));
    uint32_t *done = civic__calloc(&r->alc, r->rule_count ? r->rule_count : 1, sizeof(uint32_t));
    uint8_t *named = civic__calloc(&r->alc, r->version_count ? r->version_count : 1, 1);
    const char **names = civic__malloc(&r->alc, n * sizeof(char *));
    int rc = rank && done && named && names ? CIVIC_OK : CIVIC_E_NOMEM;
    if (rc == CIVIC_OK) {
        /* which versions name their dimension (changes: file order within a rule) */
        for (uint32_t i = 0; i < b->change_count; i++) {
            const civic_rule *base = &r->rules[b->chx[i].rule];
            uint32_t k = base->change_first + done[b->chx[i].rule]++;
            named[k] = (b->chx[i].keys >> RK_DIMENSION) & 1u;
        }
        for (uint32_t d = 0; d < n; d++) rank[d] = UINT32_MAX;
        for (uint32_t i = 0; i < r->rule_count; i++) {
            const civic_rule *base = &r->rules[i];
            for (uint32_t k = 0; k <= base->change_count; k++) {
                const civic_rule *v = k ? &r->versions[base->change_first + k - 1] : base;
                bool names_it = k ? named[base->change_first + k - 1]
                                  : (b->rx[i].keys >> RK_DIMENSION) & 1u;
                if (rank[v->dimension] == UINT32_MAX && (v->dimension != g || names_it))
                    rank[v->dimension] = next++;
            }
        }
        for (uint32_t d = 0; d < n; d++)
            if (rank[d] == UINT32_MAX) rank[d] = next++;
        CIVIC_ASSERT(next == n);
        for (uint32_t d = 0; d < n; d++) names[rank[d]] = r->dimensions[d];
        memcpy(r->dimensions, names, n * sizeof(char *));
        for (uint32_t i = 0; i < r->rule_count; i++) r->rules[i].dimension = rank[r->rules[i].dimension];
        for (uint32_t k = 0; k < r->version_count; k++)
            r->versions[k].dimension = rank[r->versions[k].dimension];
    }
    civic__free(&r->alc, rank, n * sizeof(uint32_t));
    civic__free(&r->alc, done, (r->rule_count ? r->rule_count : 1) * sizeof(uint32_t));
    civic__free(&r->alc, named, r->version_count ? r->version_count : 1);
    civic__free(&r->alc, names, n * sizeof(char *));
    return rc;
}

static uint64_t fp_str(uint64_t h, const char *s)
{
    return fp_mix(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* Everything version 2 adds that changes an answer, for version-2 schemes
 * only: a version-1 scheme keeps its 1.0.0 fingerprint, so its snapshots and
 * journals still open. */
static uint64_t fp_version(uint64_t h, const civic_rules *r, const civic_rule *u)
{
    int64_t f[26] = { u->points, u->repeat_factor, u->cap, u->ceiling, u->valid.kind,
                      u->valid.n, u->cap_period, u->per_unit, u->affects,
                      u->cap_group == CIVIC_NO_CAP ? -1 : (int64_t)u->cap_group,
                      u->cap_mode, u->freeze, u->recount, u->from, u->category,
                      u->has_publicity, u->publicity.kind, u->publicity.n,
                      u->has_repair_after, u->repair_after.kind, u->repair_after.n,
                      u->has_retain, u->retain.kind, u->retain.n, u->change_count, 0 };
    h = fp_str(h, r->dimensions[u->dimension]);
    h = fp_str(h, u->flag == UINT32_MAX ? "" : r->flags[u->flag]);
    h = fp_str(h, r->categories[u->category]);
    return fp_mix(h, f, sizeof(f));
}

static uint64_t fp_outputs(uint64_t h, const civic_rules *r)
{
    for (uint32_t i = 0; i < r->tier_count; i++) {
        const civic_tier *t = &r->tiers[i];
        int64_t f[4] = { t->measure, t->window, t->rolling.kind, t->rolling.n };
        h = fp_mix(fp_str(h, t->name), f, sizeof(f));
        h = fp_mix(h, t->rules, t->rule_count * sizeof(uint32_t));
        for (uint32_t l = 0; l < t->level_count; l++)
            h = fp_mix(fp_str(h, t->levels[l].name), &t->levels[l].min, sizeof(int64_t));
    }
    for (uint32_t i = 0; i < r->measure_count; i++) {
        const civic_measure *m = &r->measures[i];
        int64_t f[10] = { m->kind, m->has_grades, (int64_t)m->grades, m->flag, m->tier,
                          m->min_level, m->has_min_score ? m->min_score : INT64_MIN,
                          m->has_max_score ? m->max_score : INT64_MAX, 0, 0 };
        h = fp_mix(fp_str(fp_str(h, m->code), m->text), f, sizeof(f));
    }
    return h;
}

static uint64_t fingerprint_v2(const civic_rules *r, uint64_t h)
{
    int64_t head[6] = { r->has_balance_min ? r->balance_min : INT64_MIN, r->contested,
                        r->objection_window.kind, r->objection_window.n, r->class_count,
                        r->valid.kind };
    h = fp_mix(fp_str(h, "libcivic 2"), head, sizeof(head));
    for (uint32_t i = 0; i < r->class_count; i++) {
        int64_t c[3] = { r->classes[i].up_to, r->classes[i].valid.kind, r->classes[i].valid.n };
        h = fp_mix(h, c, sizeof(c));
    }
    for (uint32_t i = 0; i < r->cap_count; i++) h = fp_mix(h, &r->caps[i].mode, 1);
    for (uint32_t i = 0; i < r->rule_count; i++) {
        const civic_rule *u = &r->rules[i];
        h = fp_version(fp_str(h, u->code), r, u);
        for (uint32_t k = 0; k < u->change_count; k++)
            h = fp_version(h, r, &r->versions[u->change_first + k]);
    }
    return fp_outputs(h, r);
}

static uint64_t fingerprint(const civic_rules *r)
{
    uint64_t h = 0;
    int64_t head[6] = { r->base, r->min, r->max, r->clamp, r->balance_reset, r->utc_offset };
    h = fp_mix(h, head, sizeof(head));
    for (uint32_t i = 0; i < r->grade_count; i++) {
        h = fp_str(h, r->grades[i].name);
        int64_t g[2] = { r->grades[i].has_min, r->grades[i].min };
        h = fp_mix(h, g, sizeof(g));
    }
    for (uint32_t i = 0; i < r->cap_count; i++) {
        int64_t c[2] = { r->caps[i].limit, r->caps[i].period };
        h = fp_mix(fp_str(h, r->caps[i].name), c, sizeof(c));
    }
    for (uint32_t i = 0; i < r->rule_count; i++) {
        const civic_rule *u = &r->rules[i];
        int64_t f[11] = { u->points, u->repeat_factor, u->cap, u->ceiling, u->valid.kind,
                          u->valid.n, u->cap_period, u->per_unit, u->affects,
                          u->cap_group == CIVIC_NO_CAP ? -1 : (int64_t)u->cap_group, 0 };
        h = fp_str(h, u->code);
        h = fp_str(h, r->dimensions[u->dimension]);
        h = fp_str(h, u->flag == UINT32_MAX ? "" : r->flags[u->flag]);
        h = fp_mix(h, f, sizeof(f));
    }
    return r->spec_version >= 2 ? fingerprint_v2(r, h) : h;
}

static void rules_destroy(civic_rules *r)
{
    civic_allocator alc = r->alc;
    civic__free(&alc, r->rules, r->rule_cap * sizeof(civic_rule));
    civic__free(&alc, r->grades, r->grade_cap * sizeof(civic_grade));
    civic__free(&alc, r->caps, r->cap_cap * sizeof(civic_cap));
    civic__free(&alc, r->dimensions, r->dim_cap * sizeof(char *));
    civic__free(&alc, r->flags, r->flag_cap * sizeof(char *));
    civic__free(&alc, r->rule_index, ((size_t)r->rule_index_mask + 1) * sizeof(uint32_t));
    civic__free(&alc, r->versions, r->version_cap * sizeof(civic_rule));
    civic__free(&alc, r->categories, r->category_cap * sizeof(char *));
    civic__free(&alc, r->classes, r->class_cap * sizeof(civic_class));
    civic__rules_tiers_free(r);
    civic__arena_free(&r->arena);
    civic__free(&alc, r, sizeof(*r));
}

/* file: text is what civic_rules_load_file read, which has no length of
 * strlen(text) + 1 to hint at when it ends in a NUL (UTF-16LE, gzip). */
static int rules_parse(civic_rules **out, const char *text, size_t len, bool file,
                       const civic_allocator *alc, civic_error *err)
{
    if (out) *out = NULL;
    civic__error_clear(err);
    if (!out || (!text && len))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    if (len > CIVIC_RULES_BYTES_MAX)
        return civic__error_set(err, CIVIC_E_LIMIT, 0, 0, 0,
                                "rules file larger than 16 MiB");
    civic_allocator a;
    civic__alloc_init(&a, alc);
    civic_rules *r = civic__calloc(&a, 1, sizeof(*r));
    if (!r) return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
    r->alc = a;
    atomic_init(&r->refs, 1u);
    civic__arena_init(&r->arena, &r->alc, 4096);
    r->name = "";
    r->valid.kind = CIVIC_DUR_FOREVER;
    r->spec_version = 1;
    r->objection_window.kind = CIVIC_DUR_FOREVER;
    builder b;
    memset(&b, 0, sizeof(b));
    b.r = r;
    civic_toml_handler h = { on_table, on_pair, &b, value_type };
    int rc = civic__toml_parse(text ? text : "", len, file, &r->alc, &h, err);
    if (rc == CIVIC_OK) rc = check_scheme(&b, err);
    if (rc == CIVIC_OK) rc = check_grades(&b, err);
    if (rc == CIVIC_OK) rc = check_caps(&b, err);
    if (rc == CIVIC_OK) rc = check_bare_dotted(&b, err);
    if (rc == CIVIC_OK) rc = civic__rb_check_classes(&b, err);
    if (rc == CIVIC_OK) rc = check_rules(&b, err);
    if (rc == CIVIC_OK) rc = civic__rb_check_changes(&b, err);
    if (rc == CIVIC_OK) rc = civic__rb_check_tiers(&b, err);
    if (rc == CIVIC_OK && r->dimension_count == 0) {
        int64_t d = name_index(&b, &b.dimension_set, dimension_name, &r->dimensions,
                               &r->dimension_count, &r->dim_cap, "general", 7,
                               CIVIC_DIMENSION_COUNT_MAX);
        if (d < 0) rc = CIVIC_E_NOMEM;
    }
    if (rc == CIVIC_OK) rc = order_dimensions(&b);
    if (rc == CIVIC_OK) rc = build_index(r);
    civic__rb_set_free(r, &b.rule_set);
    civic__rb_set_free(r, &b.cap_set);
    civic__rb_set_free(r, &b.flag_set);
    civic__rb_set_free(r, &b.dimension_set);
    civic__rb_set_free(r, &b.measure_set);
    civic__free(&r->alc, b.rx, b.rx_cap * sizeof(rule_extra));
    civic__free(&r->alc, b.gx, b.gx_cap * sizeof(grade_extra));
    civic__free(&r->alc, b.cx, b.cx_cap * sizeof(cap_extra));
    civic__rb_versions_free(&b);
    civic__rb_tiers_builder_free(&b);
    if (rc != CIVIC_OK) {
        if (rc == CIVIC_E_NOMEM) civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
        else if (!file) civic__error_nul_hint(err, text, len);
        rules_destroy(r);
        return rc;
    }
    r->fingerprint = fingerprint(r);
    *out = r;
    return CIVIC_OK;
}

int civic_rules_parse(civic_rules **out, const char *text, size_t len,
                      const civic_allocator *alc, civic_error *err)
{
    return rules_parse(out, text, len, false, alc, err);
}

void civic__rules_retain(civic_rules *rules)
{
    atomic_fetch_add(&rules->refs, 1u);
}

void civic_rules_free(civic_rules *rules)
{
    if (rules && atomic_fetch_sub(&rules->refs, 1u) == 1u) rules_destroy(rules);
}

int civic_rules_default(civic_rules **out, const civic_allocator *alc)
{
    const char *text = civic_rules_default_text();
    return civic_rules_parse(out, text, strlen(text), alc, NULL);
}

const char *civic_rules_name(const civic_rules *r) { return r ? r->name : ""; }
int64_t civic_rules_base(const civic_rules *r) { return r ? r->base : 0; }
int32_t civic_rules_utc_offset(const civic_rules *r) { return r ? r->utc_offset : 0; }
size_t civic_rules_grade_count(const civic_rules *r) { return r ? r->grade_count : 0; }
size_t civic_rules_rule_count(const civic_rules *r) { return r ? r->rule_count : 0; }
size_t civic_rules_dimension_count(const civic_rules *r) { return r ? r->dimension_count : 0; }
uint64_t civic_rules_fingerprint(const civic_rules *r) { return r ? r->fingerprint : 0; }

const char *civic_rules_grade_name(const civic_rules *r, size_t i)
{
    return r && i < r->grade_count ? r->grades[i].name : NULL;
}

int civic_rules_grade_min(const civic_rules *r, size_t i, int64_t *out)
{
    if (!r || !out || i >= r->grade_count || !r->grades[i].has_min) return CIVIC_E_INVALID;
    *out = r->grades[i].min;
    return CIVIC_OK;
}

const char *civic_rules_rule_code(const civic_rules *r, size_t i)
{
    return r && i < r->rule_count ? r->rules[i].code : NULL;
}

const char *civic_rules_dimension_name(const civic_rules *r, size_t i)
{
    return r && i < r->dimension_count ? r->dimensions[i] : NULL;
}

int civic_rules_parse_time(const civic_rules *r, const char *text, size_t len, int64_t *out)
{
    const char *why;
    if (!r || !text || !out) return CIVIC_E_INVALID;
    return civic__time_parse(text, len, r->utc_offset, out, &why);
}

int civic_rules_parse_time_ext(const civic_rules *r, const char *text, size_t len, int64_t *out,
                               civic_error *err)
{
    civic__error_clear(err);
    if (!r || !text || !out)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    const char *why = NULL;
    int rc = civic__time_parse(text, len, r->utc_offset, out, &why);
    if (rc == CIVIC_OK) return CIVIC_OK;
    if (!why) why = "bad timestamp";
    /* of no form: what it most likely is, after the list of forms, which a
     * caller may replace by its own (civic.h); an offset without its ':'
     * (+0800), what to write */
    char hint[176] = "";
    if (rc == CIVIC_E_EVENT && (strncmp(why, "bad timestamp", 13) == 0 ||
                                strncmp(why, "bad UTC offset", 14) == 0))
        civic__time_hint(r->utc_offset, text, len, hint, sizeof(hint));
    civic__error_set(err, rc, 0, 0, 0, "%s%s", why, hint);
    civic__error_nul_hint(err, text, len); /* a length of strlen + 1, as a load says */
    return rc;
}

int civic_rules_format_time(const civic_rules *r, int64_t t, char *buf, size_t size)
{
    if (buf && size) buf[0] = '\0'; /* on every CIVIC_E_INVALID, never half a time */
    if (!r || !buf || size < 26 || t < CIVIC_TIME_MIN || t > CIVIC_TIME_MAX)
        return CIVIC_E_INVALID;
    if (civic__time_format(t, r->utc_offset, buf, size) < size) return CIVIC_OK;
    buf[0] = '\0'; /* a local year 10000 needs 27 bytes */
    return CIVIC_E_INVALID;
}

uint32_t civic__grade_of(const civic_rules *r, int64_t score)
{
    for (uint32_t i = 0; i + 1 < r->grade_count; i++)
        if (score >= r->grades[i].min) return i;
    return r->grade_count - 1;
}

const char *civic_version(void) { return CIVIC_VERSION; }
uint32_t civic_version_number(void) { return CIVIC_VERSION_NUMBER; }

int civic_rules_load_file(civic_rules **out, const char *path, const civic_allocator *alc,
                          civic_error *err)
{
    if (out) *out = NULL;
    civic__error_clear(err);
    if (!out || !path) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    civic_allocator a;
    civic__alloc_init(&a, alc);
    FILE *f = civic__fopen_read(path);
    char brief[CIVIC_PATH_BRIEF_SIZE];
    if (!f)
        return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot open %s: %s",
                                civic__path_brief(path, brief), strerror(errno));
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = CIVIC_OK;
    for (;;) {
        if (len == cap) {
            if (cap > CIVIC_RULES_BYTES_MAX) {
                rc = civic__error_set(err, CIVIC_E_LIMIT, 0, 0, 0, "rules file larger than 16 MiB");
                break;
            }
            if (civic__grow(&a, (void **)&buf, &cap, cap ? cap * 2 : 65536, 1) != CIVIC_OK) {
                rc = civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
                break;
            }
        }
        size_t got = civic__fread(buf + len, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot read %s: %s",
                                      civic__path_brief(path, brief), strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == CIVIC_OK) rc = rules_parse(out, buf, len, true, &a, err);
    civic__free(&a, buf, cap);
    return rc;
}
