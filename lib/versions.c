/*
** versions.c -- rules that change over time (SPEC 9.1) and the names rules
** share (categories, 9.2): building the versions of each rule from its
** [[rule.CODE.change]] tables, checking them, and choosing the version that
** governs an event.
**
** A change is stored as a whole version: the previous version of the same
** rule (in file order) with the change's keys applied, so a lookup never
** merges tables.  After the file is read the changes are grouped by rule
** into rules->versions, in increasing `from`, and rules->rules[i] keeps
** change_first/change_count.  A scheme without changes has no versions and
** every lookup returns the base table at once.
**
** It does not evaluate anything; eval.c asks civic__rule_version for each
** event and civic__rule_validity for "by-severity" rules.
*/
#include "rules_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ building */

int civic__rb_new_change(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    char msg[256];
    uint32_t rule = civic__rb_set_find(r, &b->rule_set, civic__rb_rule_name, name, n);
    if (rule == UINT32_MAX) {
        char shown[64];
        civic__excerpt(shown, sizeof(shown), name, n); /* a header may hold any byte */
        const char *q = memchr(name, '.', n) ? "\"" : ""; /* [[rule."a.b".change]] */
        /* a misspelt code: the rule it most likely is, beside the order,
         * which stays (only the rules read so far are known: the change
         * may be of a rule further down, [rule.dog2] below a change of it
         * after [rule.dog1]) */
        const char *near = civic__rb_nearest_name(r, civic__rb_rule_name, r->rule_count, name, n);
        int k = snprintf(msg, sizeof(msg), "[[rule.%s%s%s.change]] has no [rule.%s%s%s] before it "
                         "(a change follows the rule it changes", q, shown, q, q, shown, q);
        if (k > 0 && (size_t)k < sizeof(msg))
            snprintf(msg + k, sizeof(msg) - (size_t)k, "%s%s%s)", near ? "; did you mean '" : "",
                     near ? near : "", near ? "'?" : "");
        return civic__rb_at(err, p, msg);
    }
    if (b->change_count >= CIVIC_RULE_COUNT_MAX * 4u)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many rule changes (at most 65536)");
    size_t old = b->last_version_cap;
    if (civic__grow(&r->alc, (void **)&b->changes, &b->changes_cap, b->change_count + 1,
                    sizeof(civic_rule)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->chx, &b->chx_cap, b->change_count + 1,
                    sizeof(rule_extra)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->last_version, &b->last_version_cap, r->rule_count,
                    sizeof(uint32_t)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    /* rules defined since the last grow have no change yet */
    memset(b->last_version + old, 0, (b->last_version_cap - old) * sizeof(uint32_t));
    uint32_t prev = b->last_version[rule];
    civic_rule *c = &b->changes[b->change_count];
    rule_extra *x = &b->chx[b->change_count];
    *c = prev ? b->changes[prev - 1] : r->rules[rule];
    *x = prev ? b->chx[prev - 1] : b->rx[rule];
    c->recount = 0;
    c->from = INT64_MIN;
    c->change_first = c->change_count = 0;
    x->header = p;
    x->keys = 0;
    x->at[RK_FROM] = x->at[RK_RECOUNT] = (pos){ 0, 0, 0 };
    x->from_text = NULL;
    x->from_len = 0;
    x->from_quoted = false;
    x->rule = rule;
    b->last_version[rule] = b->change_count + 1;
    b->index = b->change_count++;
    b->table = T_CHANGE;
    r->spec_version = 2;
    return CIVIC_OK;
}

/* civic__rb_word_ok of a from: a timestamp, and no digits alone (with a
 * sign or not) below 100000000, which change_from refuses. */
static bool from_ok(const char *t, size_t n, const void *ctx)
{
    int64_t at;
    const char *why = NULL;
    (void)ctx;
    if (civic__time_parse(t, n, 0, &at, &why) != CIVIC_OK) return false;
    size_t i = n && (t[0] == '-' || t[0] == '+');
    bool digits = i < n;
    for (size_t k = i; k < n; k++) digits = digits && t[k] >= '0' && t[k] <= '9';
    return !digits || (t[0] != '-' && at >= 100000000);
}

int civic__rb_change_pair(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    rule_extra *x = &b->chx[b->index];
    pos p = { v->line, v->column, v->offset };
    x->at[k] = p;
    if (k == RK_RECOUNT) {
        if (v->type != CIVIC_TOML_BOOL) return civic__rb_bool_refused(v, err, "recount");
        b->changes[b->index].recount = v->boolean ? 1 : 0;
        return CIVIC_OK;
    }
    if (v->type != CIVIC_TOML_STRING && v->type != CIVIC_TOML_INTEGER)
        return civic__rb_at(err, p, "'from' must be a timestamp (\"2026-01-01\", "
                                    "\"2026-01-01T08:00:00+08:00\" or Unix seconds)");
    /* a look-alike ("2026－03－01", an en dash for '-') can be in no
     * timestamp: named at its column now, as unquoted it is, while the value
     * is at hand (change_from reads it once the scheme's offset is known) */
    if (v->type == CIVIC_TOML_STRING && !from_ok(v->text, v->len, NULL))
        if (civic__toml_lookalike_in(v->text, v->len) ||
            (v->len && (v->text[0] == ' ' || v->text[0] == '\t' || v->text[v->len - 1] == ' ' ||
                        v->text[v->len - 1] == '\t')))
            return civic__rb_word_error(v, err, "'from': bad timestamp (expected YYYY-MM-DD, "
                                                "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds)",
                                        from_ok, NULL);
    /* an integer's '+' is TOML's, not a timestamp's: Unix seconds either way */
    size_t plus = v->type == CIVIC_TOML_INTEGER && v->len > 1 && v->text[0] == '+';
    x->from_text = civic__rb_intern(b, v->text + plus, v->len - plus);
    x->from_len = v->len - plus;
    x->from_quoted = v->type == CIVIC_TOML_STRING;
    x->from_plus = plus;
    return x->from_text ? CIVIC_OK : CIVIC_E_NOMEM;
}

/* ------------------------------------------------------------ checks */

/* Eight digits that are a date written without dashes (20250101, quoted or
 * not): as a timestamp they are Unix seconds, an instant of 1970 to 1973,
 * never what a rules file that writes them means.  Leading zeros before
 * them (020250101: a number may carry them) change nothing: the date's
 * eight digits, or NULL. */
static const char *compact_date(const char *s, size_t n)
{
    while (n > 8 && s[0] == '0') {
        s++;
        n--;
    }
    if (n != 8) return NULL;
    for (size_t i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9') return NULL;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = (s[4] - '0') * 10 + (s[5] - '0'), day = (s[6] - '0') * 10 + (s[7] - '0');
    return year >= 1900 && month >= 1 && month <= 12 && day >= 1 &&
                   day <= civic__days_in_month(year, month)
               ? s
               : NULL;
}

/* A change's from as written, for a message: its quotes, '+' and leading
 * zeros kept, the text cut as civic__excerpt cuts it to 47 bytes (shown:
 * 52 bytes hold it all). */
static void from_shown(const rule_extra *x, char *shown, size_t size)
{
    const char *q = x->from_quoted ? "\"" : "";
    char text[48];
    civic__excerpt_toml(text, sizeof(text), x->from_text, x->from_len);
    snprintf(shown, size, "%s%s%s%s", q, x->from_plus ? "+" : "", text, q);
}

/* Digits only (a bare integer's '+' is gone) of value below 100000000 (an
 * instant before 1973-03-03T09:46:40Z): as Unix seconds a year (2026), a
 * year and month (202603) or a spreadsheet's day number (45000), which put
 * every past entry under the change (compact_date's eight-digit dates have
 * their own message).  The digits after leading zeros, or NULL. */
static const char *few_digits(const char *s, size_t n, size_t *len)
{
    if (n == 0) return NULL; /* "": a bad timestamp */
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return NULL;
    while (n > 0 && s[0] == '0') {
        s++;
        n--;
    }
    *len = n;
    return n < 9 ? s : NULL;
}

/* The refusal of few_digits' d (n digits): the instant it would be and the
 * date to write, that of a year or year and month when it reads as one. */
static int from_too_small(builder *b, const rule_extra *x, const char *d, size_t n,
                          civic_error *err)
{
    char when[40], shown[52], msg[320], date[16];
    from_shown(x, shown, sizeof(shown));
    civic__time_format(n ? strtoll(d, NULL, 10) : 0, b->r->utc_offset, when, sizeof(when));
    int year = n >= 4 ? (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0')
                      : 0;
    int month = n == 6 ? (d[4] - '0') * 10 + (d[5] - '0') : 0;
    if (year >= 1900 && (n == 4 || (month >= 1 && month <= 12))) { /* as compact_date's */
        snprintf(date, sizeof(date), "%.4s-%02d-01", d, n == 4 ? 1 : month);
        snprintf(msg, sizeof(msg), "'from': %s would be Unix seconds, %s: a %s is written "
                 "as a date, \"%s\" (that instant itself as \"%s\")", shown, when,
                 n == 4 ? "year" : "year and month", date, when);
    } else {
        snprintf(msg, sizeof(msg), "'from': %s would be Unix seconds, %s: write a date, as "
                 "\"2026-01-01\" (not a spreadsheet's day number; that instant itself as "
                 "\"%s\")", shown, when, when);
    }
    return civic__rb_at(err, x->at[RK_FROM], msg);
}

/* A '-' and digits alone (quoted or not; a bare integer's '+' is gone)
 * whose magnitude is below few_digits' bound, 100000000, leading zeros
 * aside: -0 is 1970-01-01 and -1 .. -99999999 an instant of 1966 to 1969,
 * the slip of a year or date with a sign before it (-2026, -20250101),
 * which puts every past entry under the change (SPEC 9.1: from, the
 * instant a version takes effect).  A larger magnitude is Unix seconds
 * as SPEC 9.1 takes any timestamp form (-1767225600 is 1914-01-01; the
 * rules' text writes a from before year 1 so), read as before. */
static int from_negative(builder *b, const rule_extra *x, civic_error *err)
{
    const char *s = x->from_text;
    size_t n = x->from_len;
    if (n < 2 || s[0] != '-') return CIVIC_OK;
    size_t len = 0;
    if (!few_digits(s + 1, n - 1, &len)) return CIVIC_OK;
    int64_t t;
    const char *why = NULL;
    if (civic__time_parse(s, n, b->r->utc_offset, &t, &why) != CIVIC_OK) return CIVIC_OK;
    if (t == 0) return from_too_small(b, x, "", 0, err);
    char when[40], shown[52], msg[320];
    from_shown(x, shown, sizeof(shown));
    civic__time_format(t, b->r->utc_offset, when, sizeof(when));
    snprintf(msg, sizeof(msg), "'from': %s would be Unix seconds, %s, before 1970: write a "
             "date, as \"2026-01-01\" (that instant itself as \"%s\")", shown, when, when);
    return civic__rb_at(err, x->at[RK_FROM], msg);
}

/* `from` of change i, in the scheme's local time (known only now). */
static int change_from(builder *b, uint32_t i, civic_error *err)
{
    rule_extra *x = &b->chx[i];
    const char *why = NULL;
    char msg[320];
    size_t few_len = 0;
    const char *d = x->from_text ? compact_date(x->from_text, x->from_len) : NULL;
    const char *few = x->from_text && !d ? few_digits(x->from_text, x->from_len, &few_len) : NULL;
    if (few) return from_too_small(b, x, few, few_len, err);
    int rc = x->from_text ? from_negative(b, x, err) : CIVIC_OK;
    if (rc != CIVIC_OK) return rc;
    if (d) {
        char when[40], shown[52];
        from_shown(x, shown, sizeof(shown));
        civic__time_format(strtoll(d, NULL, 10), b->r->utc_offset, when, sizeof(when));
        snprintf(msg, sizeof(msg), "'from': %s would be Unix seconds, %s: write the date as "
                 "\"%.4s-%.2s-%.2s\" (that instant itself as \"%s\")", shown, when, d,
                 d + 4, d + 6, when);
        return civic__rb_at(err, x->at[RK_FROM], msg);
    }
    if (!x->from_text) {
        const char *code = b->r->rules[x->rule].code;
        const char *q = strchr(code, '.') ? "\"" : ""; /* [[rule."a.b".change]] */
        snprintf(msg, sizeof(msg), "[[rule.%s%s%s.change]] without 'from' (the instant the "
                 "change takes effect)", q, code, q);
        return civic__rb_at(err, x->header, msg);
    }
    if (civic__time_parse(x->from_text, x->from_len, b->r->utc_offset, &b->changes[i].from,
                          &why) != CIVIC_OK) {
        /* of no form: the value, and what it most likely is, as a log's ts
         * and an as-of time are told ("2026/01/01": year/month/day? write
         * 2026-01-01), the time to write only where it is taken */
        char shown[52], hint[176] = "";
        if (!why) why = "bad timestamp";
        bool form = strncmp(why, "bad timestamp", 13) == 0 || strncmp(why, "bad UTC offset", 14) == 0;
        if (form) {
            from_shown(x, shown, sizeof(shown));
            civic__time_hint(b->r->utc_offset, x->from_text, x->from_len, hint, sizeof(hint));
        }
        snprintf(msg, sizeof(msg), "'from': %s%s%s%s", why, form ? " " : "", form ? shown : "",
                 hint);
        return civic__rb_at(err, x->at[RK_FROM], msg);
    }
    return CIVIC_OK;
}

/* A recount change rewrites the past, but never the life of an entry, nor
 * a balance.  balance[rule]: the rule or one of its changes feeds it. */
static int check_recount(builder *b, uint32_t i, const bool *balance, civic_error *err)
{
    static const int life[] = { RK_PUBLICITY, RK_RETAIN, RK_REPAIR_AFTER };
    static const char *const names[] = { "publicity", "retain", "repair_after" };
    rule_extra *x = &b->chx[i];
    char msg[232]; /* with "line L, column C: " within a civic_error's 256 */
    if (!b->changes[i].recount) return CIVIC_OK;
    for (int k = 0; k < 3; k++) {
        if (!(x->keys & (1u << life[k]))) continue;
        snprintf(msg, sizeof(msg), "a recount change may not set or remove '%s' (the life of an entry "
                 "always follows the version in force at its ts)", names[k]);
        return civic__rb_at(err, x->at[life[k]], msg);
    }
    if (!balance[x->rule]) return CIVIC_OK;
    /* The version to change: the first in file order that feeds the
     * balance, as every later one inherits its affects (unless it sets
     * affects itself).  Often not this change, which may say "score"
     * already: the base before it feeds the balance by default. */
    uint32_t rule = x->rule, first = UINT32_MAX; /* UINT32_MAX: the base */
    if (!(b->r->rules[rule].affects & CIVIC_AFFECTS_BALANCE))
        for (uint32_t j = 0; j < b->change_count && first == UINT32_MAX; j++)
            if (b->chx[j].rule == rule && (b->changes[j].affects & CIVIC_AFFECTS_BALANCE))
                first = j;
    /* its header as written, a long code cut as any name a message quotes */
    char code[48], header[80];
    const rule_extra *fx = first == UINT32_MAX ? &b->rx[rule] : &b->chx[first];
    const char *full = b->r->rules[rule].code;
    const char *q = strchr(full, '.') && !b->rx[rule].bare_dotted ? "\"" : "";
    civic__excerpt_raw(code, sizeof(code), full, b->r->rules[rule].code_len);
    snprintf(header, sizeof(header), "%s%s%s%s%s", first == UINT32_MAX ? "[rule." : "[[rule.", q,
             code, q, first == UINT32_MAX ? "]" : ".change]]");
    if (first == i)
        snprintf(msg, sizeof(msg), "recount = true on a rule that affects the balance (spendable "
                 "points are never rewritten; this change affects the balance: give it "
                 "affects = \"score\")");
    else
        snprintf(msg, sizeof(msg), "recount = true on a rule that affects the balance (spendable "
                 "points are never rewritten; %s (line %llu) affects the balance: give it "
                 "affects = \"score\")", header, (unsigned long long)fx->header.line);
    return civic__rb_at(err, x->at[RK_RECOUNT], msg);
}

static const char *category_name(const civic_rules *r, uint32_t i) { return r->categories[i]; }

/* Categories share one namespace with rule codes: category i < rule_count
 * is rule i's code, later ones are names no rule has. */
static int resolve_category(builder *b, name_set *set, civic_rule *v, const rule_extra *x,
                            uint32_t rule)
{
    civic_rules *r = b->r;
    if (!x->category_name) {
        v->category = rule;
        return CIVIC_OK;
    }
    uint32_t c = civic__rb_set_find(r, set, category_name, x->category_name, x->category_len);
    if (c == UINT32_MAX) {
        if (civic__rb_set_reserve(r, set, category_name, r->category_count) != CIVIC_OK ||
            civic__grow(&r->alc, (void **)&r->categories, &r->category_cap,
                        r->category_count + 1, sizeof(char *)) != CIVIC_OK)
            return CIVIC_E_NOMEM;
        c = r->category_count++;
        r->categories[c] = x->category_name;
        civic__rb_set_put(r, set, category_name, c);
    }
    v->category = c;
    return CIVIC_OK;
}

static int categories(builder *b)
{
    civic_rules *r = b->r;
    name_set set = { NULL, 0 };
    int rc = CIVIC_OK;
    if (civic__grow(&r->alc, (void **)&r->categories, &r->category_cap,
                    r->rule_count ? r->rule_count : 1, sizeof(char *)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    for (uint32_t i = 0; i < r->rule_count; i++) {
        r->categories[i] = r->rules[i].code;
        if ((rc = civic__rb_set_reserve(r, &set, category_name, i)) != CIVIC_OK) break;
        civic__rb_set_put(r, &set, category_name, i);
        r->category_count = i + 1;
    }
    for (uint32_t i = 0; rc == CIVIC_OK && i < r->rule_count; i++)
        rc = resolve_category(b, &set, &r->rules[i], &b->rx[i], i);
    for (uint32_t i = 0; rc == CIVIC_OK && i < b->change_count; i++)
        rc = resolve_category(b, &set, &b->changes[i], &b->chx[i], b->chx[i].rule);
    civic__rb_set_free(r, &set);
    return rc;
}

/* Group the changes by rule (file order within a rule) into r->versions
 * and check that each rule's `from` strictly increases. */
static int group_changes(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    if (b->change_count == 0) return CIVIC_OK;
    if (civic__grow(&r->alc, (void **)&r->versions, &r->version_cap, b->change_count,
                    sizeof(civic_rule)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    for (uint32_t i = 0; i < b->change_count; i++) r->rules[b->chx[i].rule].change_count++;
    uint32_t at = 0;
    for (uint32_t i = 0; i < r->rule_count; i++) {
        r->rules[i].change_first = at;
        at += r->rules[i].change_count;
        r->rules[i].change_count = 0;
    }
    for (uint32_t i = 0; i < b->change_count; i++) {
        civic_rule *base = &r->rules[b->chx[i].rule];
        uint32_t k = base->change_first + base->change_count++;
        if (base->change_count > 1 && b->changes[i].from <= r->versions[k - 1].from)
            return civic__rb_at(err, b->chx[i].at[RK_FROM],
                                "'from' must be later than the 'from' of the rule's previous "
                                "change (changes are listed in time order)");
        r->versions[k] = b->changes[i];
        r->versions[k].last_recount = b->changes[i].recount ? base->change_count - 1
                                      : base->change_count > 1 ? r->versions[k - 1].last_recount
                                                               : CIVIC_NONE;
        if (b->changes[i].recount) r->any_recount = true;
    }
    r->version_count = b->change_count;
    r->any_change = true;
    return CIVIC_OK;
}

/* Own caps count per (rule, cap_period, cap_mode) across versions: give
 * each distinct triple one accounting slot, numbered in order of first
 * appearance.  A rule's pairs are few (periods x modes), so a small table
 * finds the slot of a pair seen before: linear in the changes. */
static void own_slots(civic_rules *r)
{
    uint32_t seen[CIVIC_PERIOD_LIFETIME + 1][2];
    for (uint32_t i = 0; i < r->rule_count; i++) {
        civic_rule *base = &r->rules[i];
        for (size_t p = 0; p <= CIVIC_PERIOD_LIFETIME; p++) seen[p][0] = seen[p][1] = CIVIC_NONE;
        for (uint32_t k = 0; k <= base->change_count; k++) {
            civic_rule *v = k ? &r->versions[base->change_first + k - 1] : base;
            v->own_slot = CIVIC_NONE;
            if (v->cap < 0) continue;
            CIVIC_ASSERT(v->cap_period <= CIVIC_PERIOD_LIFETIME && v->cap_mode <= CIVIC_CAP_NET);
            uint32_t *slot = &seen[v->cap_period][v->cap_mode];
            if (*slot == CIVIC_NONE) *slot = r->own_slot_count++;
            v->own_slot = *slot;
        }
    }
}

int civic__rb_check_changes(builder *b, civic_error *err)
{
    int rc = CIVIC_OK;
    civic_rules *r = b->r;
    bool *balance = NULL;
    if (b->change_count) { /* which rules feed the balance, once (each recount asks) */
        if ((balance = civic__calloc(&r->alc, r->rule_count, sizeof(bool))) == NULL)
            return civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
        for (uint32_t i = 0; i < r->rule_count; i++)
            balance[i] = (r->rules[i].affects & CIVIC_AFFECTS_BALANCE) != 0;
        for (uint32_t j = 0; j < b->change_count; j++)
            if (b->changes[j].affects & CIVIC_AFFECTS_BALANCE) balance[b->chx[j].rule] = true;
    }
    for (uint32_t i = 0; i < b->change_count && rc == CIVIC_OK; i++) {
        if ((rc = change_from(b, i, err)) != CIVIC_OK ||
            (rc = civic__rb_check_version(b, b->chx[i].rule, &b->changes[i], &b->chx[i],
                                          err)) != CIVIC_OK)
            break;
        rc = check_recount(b, i, balance, err);
    }
    if (balance) civic__free(&r->alc, balance, r->rule_count * sizeof(bool));
    if (rc != CIVIC_OK) return rc;
    if ((rc = categories(b)) != CIVIC_OK || (rc = group_changes(b, err)) != CIVIC_OK) return rc;
    own_slots(b->r);
    return CIVIC_OK;
}

void civic__rb_versions_free(builder *b)
{
    const civic_allocator *a = &b->r->alc;
    civic__free(a, b->changes, b->changes_cap * sizeof(civic_rule));
    civic__free(a, b->chx, b->chx_cap * sizeof(rule_extra));
    civic__free(a, b->last_version, b->last_version_cap * sizeof(uint32_t));
    b->changes = NULL;
    b->chx = NULL;
    b->last_version = NULL;
}

/* ------------------------------------------------------------ lookups */

/* How many of the n changes v (in time order) are in force by t. */
static uint32_t changes_by(const civic_rule *v, uint32_t n, int64_t t)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid].from <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Both lookups return early for a rule without changes: r->versions is
 * NULL in a scheme without any, and NULL + 0 is undefined behaviour.
 *
 * The changes dated by as_of apply if they recount or are dated by ts: the
 * last of them is the latest recount among the first a, if it comes after
 * the first t, else change t - 1.  Binary searches: a rule may have many. */
const civic_rule *civic__rule_version(const civic_rules *r, uint32_t rule, int64_t ts,
                                      int64_t as_of)
{
    const civic_rule *base = &r->rules[rule];
    if (base->change_count == 0) return base;
    const civic_rule *v = r->versions + base->change_first;
    uint32_t a = changes_by(v, base->change_count, as_of);
    if (a == 0) return base;
    uint32_t t = changes_by(v, a, ts), k = v[a - 1].last_recount;
    if (k != CIVIC_NONE && k >= t) return &v[k];
    return t ? &v[t - 1] : base;
}

const civic_rule *civic__rule_version_at(const civic_rules *r, uint32_t rule, int64_t ts)
{
    const civic_rule *base = &r->rules[rule];
    if (base->change_count == 0) return base;
    const civic_rule *v = r->versions + base->change_first;
    uint32_t t = changes_by(v, base->change_count, ts);
    return t ? &v[t - 1] : base;
}

const civic_duration *civic__rule_validity(const civic_rules *r, const civic_rule *v,
                                           int64_t raw)
{
    if (v->valid.kind != CIVIC_DUR_SEVERITY) return &v->valid;
    uint64_t mag = raw < 0 ? (uint64_t)0 - (uint64_t)raw : (uint64_t)raw;
    for (uint32_t i = 0; i + 1 < r->class_count; i++)
        if (mag <= (uint64_t)r->classes[i].up_to) return &r->classes[i].valid;
    return &r->classes[r->class_count - 1].valid;
}
