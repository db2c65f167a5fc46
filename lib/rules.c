/*
** rules.c -- the scheme: building it from the TOML subset, checking it, and
** answering questions about it.
**
** A civic_rules is immutable once built and reference counted (engines keep
** their own reference), so it can be shared across threads and engines.
** Every check of SPEC section 2 happens here, each error naming the line and
** column of the key (or table) at fault.  Unknown tables and keys are errors.
*/
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { T_NONE, T_SCHEME, T_GRADE, T_CAP, T_RULE };

typedef struct pos { uint64_t line; uint32_t column; uint64_t offset; } pos;

typedef struct rule_extra {
    pos header, cap, cap_period, cap_group, ceiling;
    const char *cap_group_name;
    size_t cap_group_len;
    uint32_t keys;
} rule_extra;

typedef struct grade_extra { pos header, min; uint32_t keys; } grade_extra;
typedef struct cap_extra { pos header; uint32_t keys; } cap_extra;

/* A hash index over one of the rules' name lists (rule codes, cap names,
 * flags, dimensions), so that building a scheme of n names is O(n), not
 * O(n^2).  Slots hold index + 1; 0 is empty. */
typedef const char *(*name_fn)(const civic_rules *r, uint32_t i);
typedef struct name_set {
    uint32_t *slots;
    size_t cap;     /* a power of two, or 0 */
} name_set;

static const char *rule_name(const civic_rules *r, uint32_t i) { return r->rules[i].code; }
static const char *cap_name(const civic_rules *r, uint32_t i) { return r->caps[i].name; }
static const char *flag_name(const civic_rules *r, uint32_t i) { return r->flags[i]; }
static const char *dimension_name(const civic_rules *r, uint32_t i) { return r->dimensions[i]; }

static uint32_t set_find(const civic_rules *r, const name_set *s, name_fn name, const char *k,
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

static void set_put(const civic_rules *r, name_set *s, name_fn name, uint32_t index)
{
    const char *x = name(r, index);
    size_t h = (size_t)civic__hash_bytes(x, strlen(x));
    while (s->slots[h & (s->cap - 1)]) h++;
    s->slots[h & (s->cap - 1)] = index + 1;
}

/* Index names[0..count) with room for one more (load at most 1/2). */
static int set_reserve(const civic_rules *r, name_set *s, name_fn name, uint32_t count)
{
    if ((size_t)(count + 1) * 2 <= s->cap) return CIVIC_OK;
    size_t cap = s->cap ? s->cap * 2 : 32;
    uint32_t *slots = civic__calloc(&r->alc, cap, sizeof(uint32_t));
    if (!slots) return CIVIC_E_NOMEM;
    civic__free(&r->alc, s->slots, s->cap * sizeof(uint32_t));
    s->slots = slots;
    s->cap = cap;
    for (uint32_t i = 0; i < count; i++) set_put(r, s, name, i);
    return CIVIC_OK;
}

static void set_free(const civic_rules *r, name_set *s)
{
    civic__free(&r->alc, s->slots, s->cap * sizeof(uint32_t));
    s->slots = NULL;
    s->cap = 0;
}

typedef struct builder {
    civic_rules *r;
    name_set rule_set, cap_set, flag_set, dimension_set;
    int table;
    uint32_t index;
    uint32_t scheme_keys;
    bool scheme_seen;
    pos base_pos, min_pos, max_pos, last;
    rule_extra *rx;
    size_t rx_cap;
    grade_extra *gx;
    size_t gx_cap;
    cap_extra *cx;
    size_t cx_cap;
} builder;

static int rules_error(civic_error *err, int code, uint64_t line, uint32_t column,
                       uint64_t offset, const char *what)
{
    if (line)
        return civic__error_set(err, code, line, column, offset, "line %llu, column %u: %s",
                                (unsigned long long)line, column, what);
    return civic__error_set(err, code, 0, 0, offset, "%s", what);
}

static int at_error(civic_error *err, pos p, const char *what)
{
    return rules_error(err, CIVIC_E_RULES, p.line, p.column, p.offset, what);
}

static bool key_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(key, name, len) == 0;
}

static const char *intern(builder *b, const char *s, size_t n)
{
    return civic__arena_strndup(&b->r->arena, s, n);
}

/* Index of a name in a list, appending it when new; -1 on NOMEM, -2 full. */
static int64_t name_index(builder *b, name_set *set, name_fn name, const char ***list,
                          uint32_t *count, size_t *cap, const char *s, size_t n, uint32_t max)
{
    uint32_t found = set_find(b->r, set, name, s, n);
    if (found != UINT32_MAX) return found;
    if (*count >= max) return -2;
    if (set_reserve(b->r, set, name, *count) != CIVIC_OK ||
        civic__grow(&b->r->alc, (void **)list, cap, *count + 1, sizeof(char *)) != CIVIC_OK)
        return -1;
    const char *copy = intern(b, s, n);
    if (!copy) return -1;
    (*list)[*count] = copy;
    set_put(b->r, set, name, *count);
    return (*count)++;
}

/* ------------------------------------------------------------ values */

static int want_string(const civic_toml_value *v, civic_error *err, const char *key)
{
    char msg[128];
    if (v->type == CIVIC_TOML_STRING) return CIVIC_OK;
    snprintf(msg, sizeof(msg), "'%s' must be a string", key);
    return rules_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
}

/* A number in hundredths: integers or decimals with at most 2 places. */
static int want_points(const civic_toml_value *v, civic_error *err, const char *key,
                       int64_t *out)
{
    char msg[160];
    const char *why;
    if (v->type != CIVIC_TOML_INTEGER && v->type != CIVIC_TOML_DECIMAL) {
        snprintf(msg, sizeof(msg), "'%s' must be a number", key);
        return rules_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
    }
    int rc = civic__decimal_parse(v->text, v->len, 2, true, false, CIVIC_POINTS_MAX * 100, out,
                                  &why);
    if (rc != CIVIC_OK) {
        if (why && strcmp(why, "too many decimal places") == 0)
            snprintf(msg, sizeof(msg), "'%s': decimals may have at most 2 places", key);
        else
            snprintf(msg, sizeof(msg), "'%s': %s (at most 1e12)", key, why ? why : "bad number");
        return rules_error(err, rc == CIVIC_E_LIMIT ? CIVIC_E_LIMIT : CIVIC_E_RULES, v->line,
                           v->column, v->offset, msg);
    }
    return CIVIC_OK;
}

static int want_choice(const civic_toml_value *v, civic_error *err, const char *key,
                       const char *const *choices, const uint8_t *values, uint8_t *out)
{
    char msg[200];
    int rc = want_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    for (size_t i = 0; choices[i]; i++) {
        if (key_is(v->text, v->len, choices[i])) {
            *out = values[i];
            return CIVIC_OK;
        }
    }
    size_t n = (size_t)snprintf(msg, sizeof(msg), "'%s' must be one of", key);
    for (size_t i = 0; choices[i] && n < sizeof(msg); i++)
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s \"%s\"", i ? "," : "", choices[i]);
    return rules_error(err, CIVIC_E_RULES, v->line, v->column, v->offset, msg);
}

static int want_period(const civic_toml_value *v, civic_error *err, const char *key,
                       uint8_t *out)
{
    static const char *const names[] = { "day", "week", "month", "quarter", "year",
                                         "lifetime", NULL };
    static const uint8_t values[] = { CIVIC_PERIOD_DAY, CIVIC_PERIOD_WEEK,
                                      CIVIC_PERIOD_MONTH, CIVIC_PERIOD_QUARTER,
                                      CIVIC_PERIOD_YEAR, CIVIC_PERIOD_LIFETIME };
    return want_choice(v, err, key, names, values, out);
}

static int want_duration(const civic_toml_value *v, civic_error *err, civic_duration *out)
{
    int rc = want_string(v, err, "valid");
    if (rc != CIVIC_OK) return rc;
    if (!civic__duration_parse(v->text, v->len, out))
        return rules_error(err, CIVIC_E_RULES, v->line, v->column, v->offset,
                           "'valid' must be \"forever\", \"Nd\", \"Nm\", \"Ny\" (N >= 1), "
                           "\"end-of-month\", \"end-of-quarter\" or \"end-of-year\"");
    return CIVIC_OK;
}

static int want_label(const civic_toml_value *v, civic_error *err, const char *key,
                      size_t max, bool no_semicolon)
{
    char msg[160];
    size_t bad;
    int rc = want_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    if (v->len == 0 || v->len > max || !civic__text_valid(v->text, v->len, &bad) ||
        (no_semicolon && memchr(v->text, ';', v->len))) {
        snprintf(msg, sizeof(msg), "'%s' must be 1..%zu bytes of text without control "
                 "characters%s", key, max, no_semicolon ? " or ';'" : "");
        return rules_error(err, v->len > max ? CIVIC_E_LIMIT : CIVIC_E_RULES, v->line, v->column,
                           v->offset, msg);
    }
    return CIVIC_OK;
}

/* Each table records which keys it has seen, to reject duplicates. */
static int seen_key(uint32_t *keys, int bit, const char *key, size_t len, uint64_t line,
                    uint32_t column, uint64_t offset, civic_error *err)
{
    char msg[128];
    if (*keys & (1u << bit)) {
        snprintf(msg, sizeof(msg), "duplicate key '%.*s'", (int)len, key);
        return rules_error(err, CIVIC_E_RULES, line, column, offset, msg);
    }
    *keys |= 1u << bit;
    return CIVIC_OK;
}

static int unknown_key(const char *table, const char *key, size_t len, uint64_t line,
                       uint32_t column, uint64_t offset, civic_error *err)
{
    char msg[200];
    snprintf(msg, sizeof(msg), "unknown key '%.*s' in [%s]", (int)(len > 64 ? 64 : len), key,
             table);
    return rules_error(err, CIVIC_E_RULES, line, column, offset, msg);
}

static int find_key(const char *const *keys, const char *key, size_t len)
{
    for (int i = 0; keys[i]; i++)
        if (key_is(key, len, keys[i])) return i;
    return -1;
}

/* ------------------------------------------------------------ [scheme] */

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
        rc = want_string(v, err, "name");
        if (rc == CIVIC_OK && v->len > CIVIC_NAME_BYTES_MAX)
            rc = rules_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                             "'name' must be text of at most 256 bytes");
        if (rc == CIVIC_OK && !civic__utf8_valid(v->text, v->len))
            rc = at_error(err, p, "'name' must be UTF-8 text");
        if (rc == CIVIC_OK && !(r->name = intern(b, v->text, v->len))) rc = CIVIC_E_NOMEM;
        return rc;
    case 1: b->base_pos = p; return want_points(v, err, "base", &r->base);
    case 2: b->min_pos = p; r->has_min = true; return want_points(v, err, "min", &r->min);
    case 3: b->max_pos = p; r->has_max = true; return want_points(v, err, "max", &r->max);
    case 4: return want_choice(v, err, "clamp", clamps, clamp_values, &r->clamp);
    case 5:
        rc = want_string(v, err, "utc_offset");
        if (rc == CIVIC_OK && !civic__offset_parse(v->text, v->len, &r->utc_offset))
            rc = at_error(err, p, "'utc_offset' must be \"+HH:MM\", \"-HH:MM\" or \"Z\"");
        return rc;
    case 6: return want_duration(v, err, &r->valid);
    default:
        return want_choice(v, err, "balance_reset", resets, reset_values, &r->balance_reset);
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
        return want_points(v, err, "min", &g->min);
    }
    int rc = want_label(v, err, "name", CIVIC_NAME_BYTES_MAX, false);
    if (rc != CIVIC_OK) return rc;
    for (uint32_t i = 0; i < b->index; i++)
        if (b->r->grades[i].name && key_is(v->text, v->len, b->r->grades[i].name))
            return at_error(err, p, "duplicate grade name");
    g->name = intern(b, v->text, v->len);
    return g->name ? CIVIC_OK : CIVIC_E_NOMEM;
}

/* ------------------------------------------------------------ [cap.X] */

static int cap_pair(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    civic_cap *c = &b->r->caps[b->index];
    if (k == 1) return want_period(v, err, "period", &c->period);
    int rc = want_points(v, err, "limit", &c->limit);
    if (rc == CIVIC_OK && c->limit < 0) {
        pos p = { v->line, v->column, v->offset };
        rc = at_error(err, p, "'limit' must not be negative");
    }
    return rc;
}

/* ------------------------------------------------------------ [rule.X] */

static int rule_pair(builder *b, int k, const civic_toml_value *v, civic_error *err)
{
    static const char *const pers[] = { "event", "unit", NULL };
    static const uint8_t per_values[] = { 0, 1 };
    static const char *const affects[] = { "both", "score", "balance", NULL };
    static const uint8_t affects_values[] = { CIVIC_AFFECTS_SCORE | CIVIC_AFFECTS_BALANCE,
                                              CIVIC_AFFECTS_SCORE, CIVIC_AFFECTS_BALANCE };
    civic_rule *rule = &b->r->rules[b->index];
    rule_extra *x = &b->rx[b->index];
    pos p = { v->line, v->column, v->offset };
    int64_t d;
    int rc;
    switch (k) {
    case 0: return want_points(v, err, "points", &rule->points);
    case 1: return want_choice(v, err, "per", pers, per_values, &rule->per_unit);
    case 2:
        rc = want_label(v, err, "dimension", CIVIC_CODE_BYTES_MAX, false);
        if (rc != CIVIC_OK) return rc;
        d = name_index(b, &b->dimension_set, dimension_name, &b->r->dimensions,
                       &b->r->dimension_count, &b->r->dim_cap, v->text,
                       v->len, CIVIC_DIMENSION_COUNT_MAX);
        if (d == -2)
            return rules_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many dimensions (at most 256)");
        if (d < 0) return CIVIC_E_NOMEM;
        rule->dimension = (uint32_t)d;
        return CIVIC_OK;
    case 3: return want_duration(v, err, &rule->valid);
    case 4:
        x->cap = p;
        rc = want_points(v, err, "cap", &rule->cap);
        if (rc == CIVIC_OK && rule->cap < 0) rc = at_error(err, p, "'cap' must not be negative");
        return rc;
    case 5: x->cap_period = p; return want_period(v, err, "cap_period", &rule->cap_period);
    case 6:
        x->cap_group = p;
        rc = want_string(v, err, "cap_group");
        if (rc != CIVIC_OK) return rc;
        x->cap_group_name = intern(b, v->text, v->len);
        x->cap_group_len = v->len;
        return x->cap_group_name ? CIVIC_OK : CIVIC_E_NOMEM;
    case 7:
        rc = want_points(v, err, "repeat_factor", &rule->repeat_factor);
        if (rc == CIVIC_OK && rule->repeat_factor <= 0)
            rc = at_error(err, p, "'repeat_factor' must be positive");
        return rc;
    case 8: x->ceiling = p; return want_points(v, err, "ceiling", &rule->ceiling);
    case 9:
        rc = want_label(v, err, "flag", CIVIC_CODE_BYTES_MAX, true);
        if (rc != CIVIC_OK) return rc;
        d = name_index(b, &b->flag_set, flag_name, &b->r->flags, &b->r->flag_count,
                       &b->r->flag_cap, v->text, v->len,
                       CIVIC_RULE_COUNT_MAX);
        if (d < 0) return CIVIC_E_NOMEM;
        rule->flag = (uint32_t)d;
        return CIVIC_OK;
    default: return want_choice(v, err, "affects", affects, affects_values, &rule->affects);
    }
}

static int on_pair(void *ctx, const char *key, size_t len, const civic_toml_value *v,
                   uint64_t line, uint32_t column, uint64_t offset, civic_error *err)
{
    static const char *const scheme_keys[] = { "name", "base", "min", "max", "clamp",
                                               "utc_offset", "valid", "balance_reset", NULL };
    static const char *const grade_keys[] = { "name", "min", NULL };
    static const char *const cap_keys[] = { "limit", "period", NULL };
    static const char *const rule_keys[] = { "points", "per", "dimension", "valid", "cap",
                                             "cap_period", "cap_group", "repeat_factor",
                                             "ceiling", "flag", "affects", NULL };
    builder *b = ctx;
    int k, rc;
    b->last.line = line;
    switch (b->table) {
    case T_SCHEME:
        if ((k = find_key(scheme_keys, key, len)) < 0)
            return unknown_key("scheme", key, len, line, column, offset, err);
        rc = seen_key(&b->scheme_keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : scheme_pair(b, k, v, err);
    case T_GRADE:
        if ((k = find_key(grade_keys, key, len)) < 0)
            return unknown_key("[grade]", key, len, line, column, offset, err);
        rc = seen_key(&b->gx[b->index].keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : grade_pair(b, k, v, err);
    case T_CAP:
        if ((k = find_key(cap_keys, key, len)) < 0)
            return unknown_key("cap", key, len, line, column, offset, err);
        rc = seen_key(&b->cx[b->index].keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : cap_pair(b, k, v, err);
    case T_RULE:
        if ((k = find_key(rule_keys, key, len)) < 0)
            return unknown_key("rule", key, len, line, column, offset, err);
        rc = seen_key(&b->rx[b->index].keys, k, key, len, line, column, offset, err);
        return rc != CIVIC_OK ? rc : rule_pair(b, k, v, err);
    default:
        return unknown_key("top level", key, len, line, column, offset, err);
    }
}

/* The name part of [rule.NAME] / [cap.NAME]: bare (dots allowed) or "quoted". */
static bool header_name(const char *s, size_t n, const char **name, size_t *name_len)
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

static int new_rule(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (!civic__code_valid(name, n))
        return rules_error(err, n > CIVIC_CODE_BYTES_MAX ? CIVIC_E_LIMIT : CIVIC_E_RULES, p.line,
                           p.column, p.offset, "rule codes are 1..64 characters of [a-z0-9_.-]");
    if (civic__builtin_type(name, n, NULL))
        return at_error(err, p, "rule codes revoke, repair and redeem are reserved");
    if (set_find(r, &b->rule_set, rule_name, name, n) != UINT32_MAX)
        return at_error(err, p, "duplicate rule");
    if (r->rule_count >= CIVIC_RULE_COUNT_MAX)
        return rules_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset, "too many rules");
    if (set_reserve(r, &b->rule_set, rule_name, r->rule_count) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&r->rules, &b->r->rule_cap, r->rule_count + 1,
                    sizeof(civic_rule)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->rx, &b->rx_cap, r->rule_count + 1,
                    sizeof(rule_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    civic_rule *rule = &r->rules[r->rule_count];
    memset(rule, 0, sizeof(*rule));
    memset(&b->rx[r->rule_count], 0, sizeof(rule_extra));
    rule->code = intern(b, name, n);
    if (!rule->code) return CIVIC_E_NOMEM;
    rule->code_len = (uint32_t)n;
    rule->cap = -1;
    rule->ceiling = CIVIC_FOREVER;
    rule->cap_group = CIVIC_NO_CAP;
    rule->flag = UINT32_MAX;
    rule->affects = CIVIC_AFFECTS_SCORE | CIVIC_AFFECTS_BALANCE;
    rule->valid.kind = 0xff; /* "not set": the scheme default applies */
    rule->dimension = UINT32_MAX; /* "general" unless the rule names one (check_rules) */
    b->rx[r->rule_count].header = p;
    set_put(r, &b->rule_set, rule_name, r->rule_count);
    b->index = r->rule_count++;
    b->table = T_RULE;
    return CIVIC_OK;
}

static int new_cap(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (!civic__code_valid(name, n))
        return rules_error(err, n > CIVIC_CODE_BYTES_MAX ? CIVIC_E_LIMIT : CIVIC_E_RULES, p.line,
                           p.column, p.offset, "cap names are 1..64 characters of [a-z0-9_.-]");
    if (set_find(r, &b->cap_set, cap_name, name, n) != UINT32_MAX)
        return at_error(err, p, "duplicate cap");
    if (r->cap_count >= CIVIC_CAP_COUNT_MAX)
        return rules_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset, "too many caps");
    if (set_reserve(r, &b->cap_set, cap_name, r->cap_count) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&r->caps, &b->r->cap_cap, r->cap_count + 1,
                    sizeof(civic_cap)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->cx, &b->cx_cap, r->cap_count + 1,
                    sizeof(cap_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    civic_cap *c = &r->caps[r->cap_count];
    memset(c, 0, sizeof(*c));
    memset(&b->cx[r->cap_count], 0, sizeof(cap_extra));
    c->name = intern(b, name, n);
    if (!c->name) return CIVIC_E_NOMEM;
    b->cx[r->cap_count].header = p;
    set_put(r, &b->cap_set, cap_name, r->cap_count);
    b->index = r->cap_count++;
    b->table = T_CAP;
    return CIVIC_OK;
}

static int new_grade(builder *b, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->grade_count >= CIVIC_GRADE_COUNT_MAX)
        return rules_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
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

static int on_table(void *ctx, const char *key, size_t len, bool array, uint64_t line,
                    uint32_t column, uint64_t offset, civic_error *err)
{
    builder *b = ctx;
    pos p = { line, column, offset };
    const char *name;
    size_t n;
    char msg[200];
    b->last = p;
    if (array) {
        if (key_is(key, len, "grade")) return new_grade(b, p, err);
    } else if (key_is(key, len, "scheme")) {
        if (b->scheme_seen) return at_error(err, p, "duplicate [scheme] table");
        b->scheme_seen = true;
        b->table = T_SCHEME;
        return CIVIC_OK;
    } else if (len > 5 && memcmp(key, "rule.", 5) == 0) {
        if (!header_name(key + 5, len - 5, &name, &n)) return at_error(err, p, "bad rule name");
        return new_rule(b, name, n, p, err);
    } else if (len > 4 && memcmp(key, "cap.", 4) == 0) {
        if (!header_name(key + 4, len - 4, &name, &n)) return at_error(err, p, "bad cap name");
        return new_cap(b, name, n, p, err);
    }
    snprintf(msg, sizeof(msg), "unknown table %s%.*s%s (expected [scheme], [[grade]], "
             "[cap.NAME] or [rule.CODE])", array ? "[[" : "[", (int)(len > 64 ? 64 : len),
             key, array ? "]]" : "]");
    return at_error(err, p, msg);
}

/* ------------------------------------------------------------ checks */

static int check_scheme(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->has_min && r->has_max && r->min > r->max)
        return at_error(err, b->max_pos, "scheme max is below scheme min");
    if (r->has_min && r->base < r->min)
        return at_error(err, b->base_pos.line ? b->base_pos : b->min_pos,
                        "scheme base is below scheme min");
    if (r->has_max && r->base > r->max)
        return at_error(err, b->base_pos.line ? b->base_pos : b->max_pos,
                        "scheme base is above scheme max");
    if (!r->has_min) r->min = INT64_MIN;
    if (!r->has_max) r->max = INT64_MAX;
    return CIVIC_OK;
}

static int check_grades(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->grade_count == 0)
        return rules_error(err, CIVIC_E_RULES, 1, 1, 0,
                           "the rules define no [[grade]]: at least one is required");
    for (uint32_t i = 0; i < r->grade_count; i++) {
        civic_grade *g = &r->grades[i];
        if (!g->name) return at_error(err, b->gx[i].header, "[[grade]] without a name");
        if (!g->has_min && i + 1 < r->grade_count)
            return at_error(err, b->gx[i].header,
                            "only the last grade may omit 'min' (it catches everything below)");
        if (i > 0 && g->has_min && g->min >= r->grades[i - 1].min)
            return at_error(err, b->gx[i].min,
                            "grade mins must be strictly decreasing in file order");
    }
    return CIVIC_OK;
}

static int check_caps(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    for (uint32_t i = 0; i < r->cap_count; i++) {
        if (!(b->cx[i].keys & 1u)) return at_error(err, b->cx[i].header, "[cap] without 'limit'");
        if (!(b->cx[i].keys & 2u)) return at_error(err, b->cx[i].header, "[cap] without 'period'");
    }
    return CIVIC_OK;
}

static int check_rules(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    for (uint32_t i = 0; i < r->rule_count; i++) {
        civic_rule *rule = &r->rules[i];
        rule_extra *x = &b->rx[i];
        if (rule->cap >= 0 && !rule->cap_period)
            return at_error(err, x->cap, "'cap' needs 'cap_period'");
        if (rule->cap < 0 && rule->cap_period)
            return at_error(err, x->cap_period, "'cap_period' without 'cap'");
        if (rule->ceiling != CIVIC_FOREVER &&
            ((r->has_min && rule->ceiling < r->min) || (r->has_max && rule->ceiling > r->max)))
            return at_error(err, x->ceiling, "'ceiling' is outside the scheme's min..max");
        if (rule->valid.kind == 0xff) rule->valid = r->valid;
        if (rule->dimension == UINT32_MAX) {
            int64_t d = name_index(b, &b->dimension_set, dimension_name, &r->dimensions,
                                   &r->dimension_count, &b->r->dim_cap, "general",
                                   7, CIVIC_DIMENSION_COUNT_MAX);
            if (d == -2)
                return rules_error(err, CIVIC_E_LIMIT, x->header.line, x->header.column,
                                   x->header.offset,
                                   "too many dimensions (at most 256, \"general\" included)");
            if (d < 0) return CIVIC_E_NOMEM;
            rule->dimension = (uint32_t)d;
        }
        if (x->cap_group_name) {
            uint32_t c = set_find(r, &b->cap_set, cap_name, x->cap_group_name, x->cap_group_len);
            if (c == UINT32_MAX)
                return at_error(err, x->cap_group, "'cap_group' names no [cap.NAME] table");
            rule->cap_group = c;
        }
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
    size_t h = (size_t)civic__hash_bytes(code, len);
    for (;; h++) {
        uint32_t v = r->rule_index[h & r->rule_index_mask];
        if (!v) return -1;
        const civic_rule *rule = &r->rules[v - 1];
        if (rule->code_len == len && memcmp(rule->code, code, len) == 0) return (int32_t)(v - 1);
    }
}

/* The fingerprint hashes every field that changes an answer, in a fixed
 * order, so comments, spacing and key order do not matter. */
static uint64_t fp_mix(uint64_t h, const void *p, size_t n)
{
    return civic__hash_bytes(p, n) ^ (h * UINT64_C(0x100000001b3) + 0x9e37);
}

static uint64_t fp_str(uint64_t h, const char *s)
{
    return fp_mix(h, s ? s : "", s ? strlen(s) + 1 : 1);
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
    return h;
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
    civic__arena_free(&r->arena);
    civic__free(&alc, r, sizeof(*r));
}

int civic_rules_parse(civic_rules **out, const char *text, size_t len,
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
    builder b;
    memset(&b, 0, sizeof(b));
    b.r = r;
    civic_toml_handler h = { on_table, on_pair, &b };
    int rc = civic__toml_parse(text ? text : "", len, &r->alc, &h, err);
    if (rc == CIVIC_OK) rc = check_scheme(&b, err);
    if (rc == CIVIC_OK) rc = check_grades(&b, err);
    if (rc == CIVIC_OK) rc = check_caps(&b, err);
    if (rc == CIVIC_OK) rc = check_rules(&b, err);
    if (rc == CIVIC_OK && r->dimension_count == 0) {
        int64_t d = name_index(&b, &b.dimension_set, dimension_name, &r->dimensions,
                               &r->dimension_count, &r->dim_cap, "general", 7,
                               CIVIC_DIMENSION_COUNT_MAX);
        if (d < 0) rc = CIVIC_E_NOMEM;
    }
    if (rc == CIVIC_OK) rc = build_index(r);
    set_free(r, &b.rule_set);
    set_free(r, &b.cap_set);
    set_free(r, &b.flag_set);
    set_free(r, &b.dimension_set);
    civic__free(&r->alc, b.rx, b.rx_cap * sizeof(rule_extra));
    civic__free(&r->alc, b.gx, b.gx_cap * sizeof(grade_extra));
    civic__free(&r->alc, b.cx, b.cx_cap * sizeof(cap_extra));
    if (rc != CIVIC_OK) {
        if (rc == CIVIC_E_NOMEM) civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
        rules_destroy(r);
        return rc;
    }
    r->fingerprint = fingerprint(r);
    *out = r;
    return CIVIC_OK;
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

int civic_rules_format_time(const civic_rules *r, int64_t t, char *buf, size_t size)
{
    if (!r || !buf || size < 26 || t < CIVIC_TIME_MIN || t > CIVIC_TIME_MAX)
        return CIVIC_E_INVALID;
    civic__time_format(t, r->utc_offset, buf, size);
    return CIVIC_OK;
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
    FILE *f = fopen(path, "rb");
    if (!f) return civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = CIVIC_OK;
    for (;;) {
        if (len == cap) {
            if (cap > CIVIC_RULES_BYTES_MAX) {
                rc = civic__error_set(err, CIVIC_E_LIMIT, 0, 0, 0, "%s: rules file larger than 16 MiB", path);
                break;
            }
            if (civic__grow(&a, (void **)&buf, &cap, cap ? cap * 2 : 65536, 1) != CIVIC_OK) {
                rc = civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
                break;
            }
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) rc = civic__error_set(err, CIVIC_E_IO, 0, 0, 0, "cannot read %s: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == CIVIC_OK) rc = civic_rules_parse(out, buf, len, &a, err);
    civic__free(&a, buf, cap);
    return rc;
}
