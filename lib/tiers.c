/*
** tiers.c -- the parts of a scheme that are not about single rules:
** validity classes ([[validity]], SPEC 9.3), tiers ([tier.NAME] with
** [[tier.NAME.level]], 11.1) and measures ([measure.CODE], 11.2): reading
** them, checking them once the whole file is known, and freeing them.
**
** Names a table refers to (rule codes, grades, flags, tiers, levels) are
** kept as text while the file is read, because TOML lets a table name
** something defined further down; they are resolved and checked at the end,
** each error naming the line and column of the key.  Evaluating tiers and
** measures for a subject is eval.c's job.
*/
#include "rules_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ [[validity]] */

int civic__rb_new_class(builder *b, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (r->class_count >= 64)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many [[validity]] classes (at most 64)");
    if (civic__grow(&r->alc, (void **)&r->classes, &r->class_cap, r->class_count + 1,
                    sizeof(civic_class)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->vx, &b->vx_cap, r->class_count + 1,
                    sizeof(class_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    r->classes[r->class_count] = (civic_class){ INT64_MAX, { 0xff, 0 } };
    memset(&b->vx[r->class_count], 0, sizeof(class_extra));
    b->vx[r->class_count].header = p;
    b->index = r->class_count++;
    b->table = T_VALIDITY;
    r->spec_version = 2;
    return CIVIC_OK;
}

int civic__rb_class_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                         civic_error *err)
{
    static const char *const keys[] = { "up_to", "valid", NULL };
    civic_class *c = &b->r->classes[b->index];
    class_extra *x = &b->vx[b->index];
    pos p = { v->line, v->column, v->offset }, ka = b->key_at; /* the value's, the key's */
    int k = civic__rb_find_key(keys, key, len), rc;
    if (k < 0)
        return civic__rb_unknown_in("validity", "[[validity]]", keys, SIZE_MAX, key, len,
                                    ka.line, ka.column, ka.offset, err);
    if ((rc = civic__rb_seen(b, &x->keys, k, key, len, ka.line, ka.column, ka.offset, err)) != CIVIC_OK)
        return rc;
    if (k == 1) {
        x->valid = p;
        return civic__rb_duration(v, err, "valid", false, &c->valid);
    }
    x->up_to = p;
    rc = civic__rb_points(v, err, "up_to", &c->up_to);
    if (rc == CIVIC_OK && c->up_to < 0) rc = civic__rb_at(err, p, "'up_to' must not be negative");
    return rc;
}

int civic__rb_check_classes(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    for (uint32_t i = 0; i < r->class_count; i++) {
        const class_extra *x = &b->vx[i];
        bool last = i + 1 == r->class_count;
        if (!(x->keys & 2u))
            return civic__rb_at(err, x->header, "[[validity]] without 'valid'");
        if (!last && !(x->keys & 1u))
            return civic__rb_at(err, x->header, "only the last [[validity]] class may omit "
                                                "'up_to' (it catches everything above)");
        if (last && (x->keys & 1u))
            return civic__rb_at(err, x->up_to, "the last [[validity]] class must not have 'up_to': "
                                               "it catches every larger event");
        if (i > 0 && !last && r->classes[i].up_to <= r->classes[i - 1].up_to)
            return civic__rb_at(err, x->up_to,
                                "'up_to' must be strictly increasing from class to class");
    }
    /* Classes that nothing says valid = "by-severity" of ([scheme], a rule
     * or a change: the keys as written, before a rule takes the scheme's)
     * would leave every entry to its own validity, "forever" by default,
     * without a word.  [[validity]] is a key of version 2: refused. */
    bool used = r->class_count == 0 || r->valid.kind == CIVIC_DUR_SEVERITY;
    for (uint32_t i = 0; !used && i < r->rule_count; i++)
        used = r->rules[i].valid.kind == CIVIC_DUR_SEVERITY;
    for (uint32_t i = 0; !used && i < b->change_count; i++)
        used = b->changes[i].valid.kind == CIVIC_DUR_SEVERITY;
    if (!used)
        return civic__rb_at(err, b->vx[0].header,
                            "[[validity]] classes that no rule uses (nothing says valid = "
                            "\"by-severity\"): add it under [scheme] or to the rules meant, or "
                            "delete the classes");
    return CIVIC_OK;
}

/* ------------------------------------------------------------ [tier.NAME] */

/* Tier names and measure codes: 1..64 bytes of [A-Za-z0-9_.-] (they are
 * shown to people, so capitals are allowed, unlike rule codes). */
static bool name_valid(const char *s, size_t n)
{
    if (n == 0 || n > CIVIC_CODE_BYTES_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static int code_error(const builder *b, civic_error *err, pos p, const char *what,
                      const char *name, size_t n)
{
    char msg[320], hint[200]; /* [tier."gold star"], [measure."m "]: the name to write */
    const char *why = civic__rb_name_why(b, what, name, n, false, hint, sizeof(hint));
    snprintf(msg, sizeof(msg), "%s names are 1..64 characters of [A-Za-z0-9_.-]%s%s%s", what,
             why ? " (" : "", why ? why : "", why ? ")" : "");
    return civic__rb_error(err, n > CIVIC_CODE_BYTES_MAX ? CIVIC_E_LIMIT : CIVIC_E_RULES, p.line,
                           p.column, p.offset, msg);
}

const char *const civic__rb_tier_keys[] = { "rules", "measure", "window", NULL };
const char *const civic__rb_level_keys[] = { "name", "min", NULL };
const char *const civic__rb_measure_keys[] = { "text", "kind", "grades", "flag", "tier",
                                               "min_level", "min_score", "max_score", NULL };

static uint32_t tier_find(const civic_rules *r, const char *name, size_t n)
{
    for (uint32_t i = 0; i < r->tier_count; i++)
        if (civic__rb_key_is(name, n, r->tiers[i].name)) return i;
    return CIVIC_NONE;
}

int civic__rb_new_tier(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (!name_valid(name, n)) return code_error(b, err, p, "tier", name, n);
    uint32_t first = tier_find(r, name, n);
    if (first != CIVIC_NONE)
        return civic__rb_duplicate(err, p, "tier", name, n, b->tx[first].header.line);
    if (r->tier_count >= 256)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many tiers (at most 256)");
    if (civic__grow(&r->alc, (void **)&r->tiers, &r->tier_cap, r->tier_count + 1,
                    sizeof(civic_tier)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->tx, &b->tx_cap, r->tier_count + 1,
                    sizeof(tier_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    civic_tier *t = &r->tiers[r->tier_count];
    memset(t, 0, sizeof(*t));
    memset(&b->tx[r->tier_count], 0, sizeof(tier_extra));
    t->name = civic__rb_intern(b, name, n);
    if (!t->name) return CIVIC_E_NOMEM;
    t->measure = CIVIC_TIER_QTY;
    t->window = CIVIC_WINDOW_LIFETIME;
    b->tx[r->tier_count].header = p;
    b->index = r->tier_count++;
    b->table = T_TIER;
    r->spec_version = 2;
    return CIVIC_OK;
}

static const char *const window_names[] = { "lifetime", "year", "quarter", "month", NULL };

/* civic__rb_word_ok of a tier's window: a name, or days, months or years. */
static bool window_ok(const char *t, size_t n, const void *ctx)
{
    civic_duration d;
    (void)ctx;
    for (size_t i = 0; window_names[i]; i++)
        if (civic__rb_key_is(t, n, window_names[i])) return true;
    return civic__duration_parse(t, n, &d) &&
           (d.kind == CIVIC_DUR_DAYS || d.kind == CIVIC_DUR_MONTHS || d.kind == CIVIC_DUR_YEARS);
}

static int tier_window(const civic_toml_value *v, civic_tier *t, civic_error *err)
{
    static const char *const *const names = window_names;
    int rc = civic__rb_string(v, err, "window");
    if (rc != CIVIC_OK) return rc;
    for (uint8_t i = 0; names[i]; i++) {
        if (civic__rb_key_is(v->text, v->len, names[i])) {
            t->window = i;
            return CIVIC_OK;
        }
    }
    if (civic__rb_duration_limit(v, err, "window") != CIVIC_OK) return CIVIC_E_LIMIT;
    if (!civic__duration_parse(v->text, v->len, &t->rolling) ||
        (t->rolling.kind != CIVIC_DUR_DAYS && t->rolling.kind != CIVIC_DUR_MONTHS &&
         t->rolling.kind != CIVIC_DUR_YEARS)) {
        /* "12 months", "Monthly": the form to write */
        return civic__rb_duration_refused(v, err, "'window' must be \"lifetime\", \"year\", "
                                          "\"quarter\", \"month\" or a rolling period such as "
                                          "\"12m\" or \"90d\"",
                                          window_names, window_ok, NULL);
    }
    t->window = CIVIC_WINDOW_ROLLING;
    return CIVIC_OK;
}

int civic__rb_tier_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                        civic_error *err)
{
    const char *const *keys = civic__rb_tier_keys;
    static const char *const measures[] = { "qty", "points", NULL };
    static const uint8_t measure_values[] = { CIVIC_TIER_QTY, CIVIC_TIER_POINTS };
    civic_tier *t = &b->r->tiers[b->index];
    tier_extra *x = &b->tx[b->index];
    pos p = { v->line, v->column, v->offset }, ka = b->key_at; /* the value's, the key's */
    int k = civic__rb_find_key(keys, key, len), rc;
    size_t n = strlen(t->name);
    if (k < 0 && n > 6 && strcmp(t->name + n - 6, ".level") == 0 &&
        civic__rb_find_key(civic__rb_level_keys, key, len) >= 0) {
        /* [tier.T.level] with single brackets, most often a level meant:
         * the fix, as for a change of a rule, rather than "unknown key" */
        char msg[200];
        const char *q = memchr(t->name, '.', n - 6) ? "\"" : ""; /* [[tier."a.b".level]] */
        snprintf(msg, sizeof(msg), "key '%.*s' belongs to a tier level: write [[tier.%s%.*s%s.level]], "
                 "with double brackets", (int)len, key, q, (int)(n - 6), t->name, q);
        return civic__rb_error(err, CIVIC_E_RULES, ka.line, ka.column, ka.offset, msg);
    }
    if (k < 0) {
        char header[160];
        civic__rb_header_of(header, sizeof(header), "tier", t->name, x->bare_dotted, NULL);
        return civic__rb_unknown_in("tier", header, keys, SIZE_MAX, key, len, ka.line, ka.column,
                                    ka.offset, err);
    }
    if ((rc = civic__rb_seen(b, &x->keys, k, key, len, ka.line, ka.column, ka.offset, err)) != CIVIC_OK)
        return rc;
    if (k == 1) return civic__rb_choice(v, err, "measure", measures, measure_values, &t->measure);
    if (k == 2) return tier_window(v, t, err);
    x->rules = p;
    if ((rc = civic__rb_string(v, err, "rules")) != CIVIC_OK) return rc;
    x->rules_text = civic__rb_intern(b, v->text, v->len);
    x->rules_len = v->len;
    return x->rules_text ? CIVIC_OK : CIVIC_E_NOMEM;
}

int civic__rb_new_level(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    char msg[200];
    uint32_t t = tier_find(r, name, n);
    if (t == CIVIC_NONE) {
        char shown[64];
        civic__excerpt(shown, sizeof(shown), name, n); /* a header may hold any byte */
        const char *q = memchr(name, '.', n) ? "\"" : ""; /* [[tier."a.b".level]] */
        snprintf(msg, sizeof(msg), "[[tier.%s%s%s.level]] has no [tier.%s%s%s] before it", q, shown,
                 q, q, shown, q);
        return civic__rb_at(err, p, msg);
    }
    if (r->tiers[t].level_count >= 64)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many levels in one tier (at most 64)");
    if (civic__grow(&r->alc, (void **)&b->lx, &b->lx_cap, b->level_total + 1,
                    sizeof(level_extra)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->level_tier, &b->level_tier_cap, b->level_total + 1,
                    sizeof(uint32_t)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    memset(&b->lx[b->level_total], 0, sizeof(level_extra));
    b->lx[b->level_total].header = p;
    b->level_tier[b->level_total] = t;
    r->tiers[t].level_count++;
    b->index = b->level_total++;
    b->table = T_LEVEL;
    return CIVIC_OK;
}

int civic__rb_level_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                         civic_error *err)
{
    const char *const *keys = civic__rb_level_keys;
    level_extra *x = &b->lx[b->index];
    pos p = { v->line, v->column, v->offset }, ka = b->key_at; /* the value's, the key's */
    int k = civic__rb_find_key(keys, key, len), rc;
    if (k < 0) { /* named as its header is written: [[tier.t.level]] */
        char header[160];
        civic__rb_header_of(header, sizeof(header), "tier",
                            b->r->tiers[b->level_tier[b->index]].name, x->bare_dotted, ".level");
        return civic__rb_unknown_in("tier level", header, keys, SIZE_MAX, key, len, ka.line,
                                    ka.column, ka.offset, err);
    }
    if ((rc = civic__rb_seen(b, &x->keys, k, key, len, ka.line, ka.column, ka.offset, err)) != CIVIC_OK)
        return rc;
    if (k == 0) {
        if ((rc = civic__rb_label(v, err, "name", CIVIC_NAME_BYTES_MAX, true)) != CIVIC_OK)
            return rc;
        x->name = civic__rb_intern(b, v->text, v->len);
        x->name_at = p;
        return x->name ? CIVIC_OK : CIVIC_E_NOMEM;
    }
    if (v->type != CIVIC_TOML_INTEGER && v->type != CIVIC_TOML_DECIMAL) {
        int64_t unused;
        /* "'min' must be a number", with "drop the quotes" for min = "50" as
         * a grade's min is told */
        return civic__rb_points(v, err, "min", &unused);
    }
    x->min = p;
    x->min_text = civic__rb_intern(b, v->text, v->len);
    x->min_len = v->len;
    return x->min_text ? CIVIC_OK : CIVIC_E_NOMEM;
}

/* ------------------------------------------------------------ [measure.CODE] */

static const char *measure_code(const civic_rules *r, uint32_t i) { return r->measures[i].code; }

int civic__rb_new_measure(builder *b, const char *name, size_t n, pos p, civic_error *err)
{
    civic_rules *r = b->r;
    if (!name_valid(name, n)) return code_error(b, err, p, "measure", name, n);
    uint32_t first = civic__rb_set_find(r, &b->measure_set, measure_code, name, n);
    if (first != UINT32_MAX)
        return civic__rb_duplicate(err, p, "measure", name, n, b->mx[first].header.line);
    if (r->measure_count >= CIVIC_RULE_COUNT_MAX)
        return civic__rb_error(err, CIVIC_E_LIMIT, p.line, p.column, p.offset,
                               "too many measures (at most 16384)");
    if (civic__rb_set_reserve(r, &b->measure_set, measure_code, r->measure_count) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&r->measures, &r->measure_cap, r->measure_count + 1,
                    sizeof(civic_measure)) != CIVIC_OK ||
        civic__grow(&r->alc, (void **)&b->mx, &b->mx_cap, r->measure_count + 1,
                    sizeof(measure_extra)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    civic_measure *m = &r->measures[r->measure_count];
    memset(m, 0, sizeof(*m));
    memset(&b->mx[r->measure_count], 0, sizeof(measure_extra));
    m->code = civic__rb_intern(b, name, n);
    if (!m->code) return CIVIC_E_NOMEM;
    m->text = "";
    m->flag = m->tier = m->min_level = CIVIC_NONE;
    b->mx[r->measure_count].header = p;
    civic__rb_set_put(r, &b->measure_set, measure_code, r->measure_count);
    b->index = r->measure_count++;
    b->table = T_MEASURE;
    r->spec_version = 2;
    return CIVIC_OK;
}

/* Keep a name a measure refers to, for the checks at the end. */
static int keep_name(builder *b, const civic_toml_value *v, const char *key, const char **out,
                     size_t *len, civic_error *err)
{
    int rc = civic__rb_string(v, err, key);
    if (rc != CIVIC_OK) return rc;
    *out = civic__rb_intern(b, v->text, v->len);
    *len = v->len;
    return *out ? CIVIC_OK : CIVIC_E_NOMEM;
}

int civic__rb_measure_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                           civic_error *err)
{
    const char *const *keys = civic__rb_measure_keys;
    static const char *const kinds[] = { "incentive", "restriction", NULL };
    static const uint8_t kind_values[] = { CIVIC_MEASURE_INCENTIVE, CIVIC_MEASURE_RESTRICTION };
    civic_measure *m = &b->r->measures[b->index];
    measure_extra *x = &b->mx[b->index];
    pos p = { v->line, v->column, v->offset }, ka = b->key_at; /* the value's, the key's */
    int k = civic__rb_find_key(keys, key, len), rc;
    if (k < 0) { /* named as its header is written: [measure.m] */
        char header[160];
        civic__rb_header_of(header, sizeof(header), "measure", m->code, x->bare_dotted, NULL);
        return civic__rb_unknown_in("measure", header, keys, SIZE_MAX, key, len, ka.line,
                                    ka.column, ka.offset, err);
    }
    if ((rc = civic__rb_seen(b, &x->keys, k, key, len, ka.line, ka.column, ka.offset, err)) != CIVIC_OK)
        return rc;
    x->at[k] = p;
    switch (k) {
    case 0:
        if ((rc = civic__rb_label(v, err, "text", 4096, false)) != CIVIC_OK) return rc;
        m->text = civic__rb_intern(b, v->text, v->len);
        return m->text ? CIVIC_OK : CIVIC_E_NOMEM;
    case 1: return civic__rb_choice(v, err, "kind", kinds, kind_values, &m->kind);
    case 2: return keep_name(b, v, "grades", &x->grades, &x->grades_len, err);
    case 3: return keep_name(b, v, "flag", &x->flag, &x->flag_len, err);
    case 4: return keep_name(b, v, "tier", &x->tier, &x->tier_len, err);
    case 5: return keep_name(b, v, "min_level", &x->min_level, &x->min_level_len, err);
    case 6: m->has_min_score = true; return civic__rb_points(v, err, "min_score", &m->min_score);
    default:
        m->has_max_score = true;
        return civic__rb_points(v, err, "max_score", &m->max_score);
    }
}

/* ------------------------------------------------------------ checks */

/* The next ';'-separated item of [*at, end): false at the end. */
static bool next_item(const char **at, const char *end, const char **item, size_t *n)
{
    if (*at > end) return false;
    const char *semi = memchr(*at, ';', (size_t)(end - *at));
    const char *stop = semi ? semi : end;
    *item = *at;
    *n = (size_t)(stop - *at);
    *at = stop + 1;
    return true;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* A list item holding a comma: the list was written with the wrong separator. */
#define LIST_COMMA " (names are separated by ';', not ',')"

/* What the message of a list item that names nothing adds: LIST_COMMA for
 * a comma, ASCII, full-width (U+FF0C) or ideographic (U+3001, as an input
 * method for Chinese types it); else the look-alike character it holds,
 * named; else NULL (a did-you-mean may follow). */
static const char *item_hint(const char *item, size_t n, char *buf, size_t size)
{
    for (size_t i = 0; i < n; i++)
        if (item[i] == ',' || (i + 3 <= n && (memcmp(item + i, "\xef\xbc\x8c", 3) == 0 ||
                                              memcmp(item + i, "\xe3\x80\x81", 3) == 0)))
            return LIST_COMMA;
    const char *why = civic__toml_lookalike_in(item, n);
    if (!why) return NULL;
    snprintf(buf, size, " (%s)", why);
    return buf;
}

/* Whether the name t[0..n) has blanks (' ', '\t') at its start or end and
 * more than blanks: the name without them, t[*at .. *at + *len). */
static bool name_trimmed(const char *t, size_t n, size_t *at, size_t *len)
{
    size_t lead = 0, end = n;
    while (lead < n && (t[lead] == ' ' || t[lead] == '\t')) lead++;
    while (end > lead && (t[end - 1] == ' ' || t[end - 1] == '\t')) end--;
    *at = lead;
    *len = end - lead;
    return end > lead && (lead > 0 || end < n);
}

/* A name's blanks at its start or end, said as a word value's are, for a
 * name that names something without them: " (a blank at its end: delete
 * it)", or with the name first when quote (" (\"gold \" has a blank at its
 * end: delete it)"), in buf. */
static const char *blanks_said(const char *t, size_t n, bool quote, char *buf, size_t size)
{
    size_t at, len;
    char shown[48];
    name_trimmed(t, n, &at, &len);
    bool lead = at > 0, trail = at + len < n, one = n - len == 1;
    civic__excerpt_toml(shown, sizeof(shown), t, n);
    snprintf(buf, size, " (%s%s%s%s at its %s: delete %s)", quote ? "\"" : "", quote ? shown : "",
             quote ? "\" has " : "", one ? "a blank" : "blanks",
             lead && trail ? "start and end" : lead ? "start" : "end", one ? "it" : "them");
    return buf;
}

static int tier_rules(builder *b, civic_tier *t, const tier_extra *x, civic_error *err)
{
    civic_rules *r = b->r;
    char msg[200];
    /* checked before the end is computed: NULL + 0 is undefined */
    if (!x->rules_text) return civic__rb_at(err, x->header, "[tier] without 'rules'");
    const char *at = x->rules_text, *end = x->rules_text + x->rules_len, *item;
    size_t n, count = 1;
    for (size_t i = 0; i < x->rules_len; i++) count += x->rules_text[i] == ';';
    t->rules = civic__malloc(&r->alc, count * sizeof(uint32_t));
    if (!t->rules) return CIVIC_E_NOMEM;
    t->rules_cap = count;
    while (next_item(&at, end, &item, &n)) {
        uint32_t i = civic__rb_set_find(r, &b->rule_set, civic__rb_rule_name, item, n);
        if (i == UINT32_MAX) {
            char shown[64];
            civic__excerpt_toml(shown, sizeof(shown), item, n); /* a NUL or a control: escaped */
            char why[120];
            const char *hint = item_hint(item, n, why, sizeof(why));
            size_t a, m; /* "a; b": the blank after the ';' */
            if (!hint && name_trimmed(item, n, &a, &m) &&
                civic__rb_set_find(r, &b->rule_set, civic__rb_rule_name, item + a, m) != UINT32_MAX)
                hint = blanks_said(item, n, false, why, sizeof(why));
            snprintf(msg, sizeof(msg), "'rules': \"%s\" is not a rule of this scheme%s", shown,
                     hint ? hint : "");
            if (hint) return civic__rb_at(err, x->rules, msg);
            return civic__rb_meant(msg, civic__rb_nearest_name(r, civic__rb_rule_name,
                                                               r->rule_count, item, n),
                                   x->rules, err);
        }
        t->rules[t->rule_count++] = i;
    }
    if (t->rule_count > 1) qsort(t->rules, t->rule_count, sizeof(uint32_t), compare_u32);
    /* a rule named twice is a slip (another rule was meant), as a key twice is */
    for (uint32_t i = 1; i < t->rule_count; i++) {
        if (t->rules[i] == t->rules[i - 1]) {
            snprintf(msg, sizeof(msg), "'rules': \"%s\" is listed twice",
                     r->rules[t->rules[i]].code);
            return civic__rb_at(err, x->rules, msg);
        }
    }
    return CIVIC_OK;
}

static int level_check(builder *b, civic_tier *t, uint32_t l, const level_extra *x,
                       civic_error *err)
{
    char msg[200];
    const char *why = NULL;
    civic_level *lv = &t->levels[l];
    bool qty = t->measure == CIVIC_TIER_QTY;
    if (!x->name || !x->min_text) {
        const char *q = strchr(t->name, '.') ? "\"" : ""; /* [[tier."a.b".level]] */
        snprintf(msg, sizeof(msg), "[[tier.%s%s%s.level]] without '%s'", q, t->name, q,
                 x->name ? "min" : "name");
        return civic__rb_at(err, x->header, msg);
    }
    lv->name = x->name;
    /* Every number of a rules file has at most 2 decimals; a quantity
     * level is compared with sums of qty in thousandths. */
    int rc = civic__decimal_parse(x->min_text, x->min_len, 2, true, false,
                                  qty ? CIVIC_QTY_MAX * 100 : CIVIC_POINTS_MAX * 100, &lv->min,
                                  &why);
    if (rc != CIVIC_OK) { /* as civic__rb_points says it */
        if (why && strcmp(why, "too many decimal places") == 0)
            snprintf(msg, sizeof(msg), "'min': decimals may have at most 2 places");
        else
            snprintf(msg, sizeof(msg), "'min': %s (at most 1000000000000)", why ? why : "bad number");
        return civic__rb_error(err, rc == CIVIC_E_LIMIT ? CIVIC_E_LIMIT : CIVIC_E_RULES,
                               x->min.line, x->min.column, x->min.offset, msg);
    }
    if (qty) lv->min *= 10;
    for (uint32_t j = 0; j < l; j++)
        if (strcmp(t->levels[j].name, lv->name) == 0)
            return civic__rb_at(err, x->name_at, "duplicate level name in this tier");
    if (l > 0 && lv->min <= t->levels[l - 1].min)
        return civic__rb_at(err, x->min, "level mins must be strictly increasing in file order");
    CIVIC_UNUSED(b);
    return CIVIC_OK;
}

static int tier_levels(builder *b, uint32_t ti, civic_error *err)
{
    civic_rules *r = b->r;
    civic_tier *t = &r->tiers[ti];
    uint32_t want = t->level_count;
    if (want == 0) {
        char level[CIVIC_CODE_BYTES_MAX + 24], msg[CIVIC_CODE_BYTES_MAX + 64];
        civic__rb_header_of(level, sizeof(level), "tier", t->name, b->tx[ti].bare_dotted,
                            ".level"); /* as the tier's header was written */
        snprintf(msg, sizeof(msg), "a tier needs at least one %s", level);
        return civic__rb_at(err, b->tx[ti].header, msg);
    }
    t->levels = civic__calloc(&r->alc, want, sizeof(civic_level));
    if (!t->levels) return CIVIC_E_NOMEM;
    t->level_count = 0;
    for (uint32_t i = 0; i < b->level_total; i++) {
        if (b->level_tier[i] != ti) continue;
        int rc = level_check(b, t, t->level_count, &b->lx[i], err);
        if (rc != CIVIC_OK) {
            t->level_count = want; /* freed with its full size */
            return rc;
        }
        t->level_count++;
    }
    return CIVIC_OK;
}

static const char *grade_name(const civic_rules *r, uint32_t g) { return r->grades[g].name; }

static bool same_but_case(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n) return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] - 'A' + 'a') : a[i];
        char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] - 'A' + 'a') : b[i];
        if (x != y) return false;
    }
    return true;
}

/* "the grades are "A", "B" and "C")" into out, as many as fit, the rest
 * counted ("and 12 more"), each name cut as a message quotes one. */
static void grade_list(const civic_rules *r, char *out, size_t size)
{
    enum { TAIL = sizeof(" and 64 more)") - 1 };
    uint32_t count = r->grade_count;
    int k = snprintf(out, size, count == 1 ? "the only grade is " : "the grades are ");
    size_t len = k > 0 ? (size_t)k : 0;
    for (uint32_t g = 0; g < count && len < size; g++) {
        char shown[64], piece[80];
        civic__excerpt_toml(shown, sizeof(shown), r->grades[g].name, strlen(r->grades[g].name));
        int p = snprintf(piece, sizeof(piece), "%s\"%s\"",
                         g == 0 ? "" : g + 1 == count ? " and " : ", ", shown);
        size_t need = (size_t)p + (g + 1 == count ? 1 : TAIL); /* and ")" or the tail */
        if (len + need >= size) {
            snprintf(out + len, size - len, " and %u more)", (unsigned)(count - g));
            return;
        }
        memcpy(out + len, piece, (size_t)p);
        len += (size_t)p;
    }
    snprintf(out + len, size - len, ")");
}

static int measure_grades(builder *b, civic_measure *m, const measure_extra *x,
                          civic_error *err)
{
    const civic_rules *r = b->r;
    char msg[232]; /* with "line L, column C: " within a civic_error's 256 */
    const char *at = x->grades, *end = x->grades + x->grades_len, *item;
    size_t n;
    m->has_grades = true;
    while (next_item(&at, end, &item, &n)) {
        uint32_t g = 0;
        while (g < r->grade_count && !civic__rb_key_is(item, n, r->grades[g].name)) g++;
        if (g == r->grade_count) {
            char shown[40], whole[40];
            civic__excerpt_toml(shown, sizeof(shown), item, n);
            int len = snprintf(msg, sizeof(msg), "'grades': \"%s\" is not a grade of this "
                               "scheme", shown);
            /* a grade whose name holds a ';' that splits here: say why */
            for (uint32_t k = 0; k < r->grade_count; k++) {
                const char *name = r->grades[k].name, *seg = name, *stop;
                if (!strchr(name, ';')) continue;
                bool part = false;
                for (; !part; seg = stop + 1) {
                    stop = strchr(seg, ';');
                    size_t sn = stop ? (size_t)(stop - seg) : strlen(seg);
                    part = sn == n && memcmp(seg, item, n) == 0;
                    if (!stop) break;
                }
                if (!part) continue;
                civic__excerpt_toml(whole, sizeof(whole), name, strlen(name));
                snprintf(msg + len, sizeof(msg) - (size_t)len, " (the grade \"%s\" cannot be "
                         "named here, as ';' separates the names: rename it)", whole);
                return civic__rb_at(err, x->at[2], msg);
            }
            char why[120];
            const char *hint = item_hint(item, n, why, sizeof(why));
            size_t a, tn, k = r->grade_count; /* "AAA; AA": the blank after the ';' */
            if (!hint && name_trimmed(item, n, &a, &tn))
                for (k = 0; k < r->grade_count &&
                            !civic__rb_key_is(item + a, tn, r->grades[k].name);)
                    k++;
            if (k < r->grade_count) hint = blanks_said(item, n, false, why, sizeof(why));
            if (hint) {
                snprintf(msg + len, sizeof(msg) - (size_t)len, "%s", hint);
                return civic__rb_at(err, x->at[2], msg);
            }
            /* the grade it most likely is, and the grades there are */
            const char *near = civic__rb_nearest_name(r, grade_name, r->grade_count, item, n);
            /* grades are often one letter: "X" is one edit from "A", not near it */
            if (near && n <= 2 && !same_but_case(item, n, near)) near = NULL;
            if (near) {
                civic__excerpt_raw(whole, sizeof(whole), near, strlen(near));
                len += snprintf(msg + len, sizeof(msg) - (size_t)len, " (did you mean '%s'? ",
                                whole);
            } else {
                len += snprintf(msg + len, sizeof(msg) - (size_t)len, " (");
            }
            /* within a civic_error's message after "line L, column C: " */
            int head = snprintf(NULL, 0, "line %llu, column %u: ",
                                (unsigned long long)x->at[2].line, x->at[2].column);
            size_t room = CIVIC_ERROR_MESSAGE_SIZE - (size_t)head;
            if (room > sizeof(msg)) room = sizeof(msg);
            if (len > 0 && (size_t)len < room) grade_list(r, msg + len, room - (size_t)len);
            return civic__rb_at(err, x->at[2], msg);
        }
        if (m->grades & UINT64_C(1) << g) {
            char shown[64];
            civic__excerpt_toml(shown, sizeof(shown), item, n);
            snprintf(msg, sizeof(msg), "'grades': \"%s\" is listed twice", shown);
            return civic__rb_at(err, x->at[2], msg);
        }
        m->grades |= UINT64_C(1) << g;
    }
    return CIVIC_OK;
}

static int measure_tier(builder *b, civic_measure *m, const measure_extra *x, civic_error *err)
{
    const civic_rules *r = b->r;
    if (!x->tier != !x->min_level)
        return civic__rb_at(err, x->tier ? x->at[4] : x->at[5],
                            "'tier' and 'min_level' go together");
    if (!x->tier) return CIVIC_OK;
    char msg[200], said[80];
    size_t a, n;
    m->tier = tier_find(r, x->tier, x->tier_len);
    if (m->tier == CIVIC_NONE) {
        /* "t ": the name without its blanks is a tier's */
        bool blanks = name_trimmed(x->tier, x->tier_len, &a, &n) &&
                      tier_find(r, x->tier + a, n) != CIVIC_NONE;
        snprintf(msg, sizeof(msg), "'tier' names no [tier.NAME]%s",
                 blanks ? blanks_said(x->tier, x->tier_len, true, said, sizeof(said)) : "");
        return civic__rb_at(err, x->at[4], msg);
    }
    const civic_tier *t = &r->tiers[m->tier];
    for (uint32_t l = 0; l < t->level_count; l++)
        if (civic__rb_key_is(x->min_level, x->min_level_len, t->levels[l].name)) m->min_level = l;
    if (m->min_level == CIVIC_NONE) {
        bool blanks = false;
        if (name_trimmed(x->min_level, x->min_level_len, &a, &n))
            for (uint32_t l = 0; l < t->level_count && !blanks; l++)
                blanks = civic__rb_key_is(x->min_level + a, n, t->levels[l].name);
        snprintf(msg, sizeof(msg), "'min_level' is not a level of that tier%s",
                 blanks ? blanks_said(x->min_level, x->min_level_len, true, said, sizeof(said))
                        : "");
        return civic__rb_at(err, x->at[5], msg);
    }
    return CIVIC_OK;
}

/* The scores grade g takes within the scheme's min..max, [*lo, *hi] in
 * hundredths, inclusive (the first grade has no top, the last no floor of
 * its own: its min has no effect); false when it takes none. */
static bool grade_band(const civic_rules *r, uint32_t g, int64_t *lo, int64_t *hi)
{
    *lo = r->has_min ? r->min : INT64_MIN;
    *hi = r->has_max ? r->max : INT64_MAX;
    if (g + 1 < r->grade_count && r->grades[g].min > *lo) *lo = r->grades[g].min;
    if (g > 0 && r->grades[g - 1].min - 1 < *hi) *hi = r->grades[g - 1].min - 1;
    return *lo <= *hi;
}

/* A measure no score can meet: its min_score above the scheme's max, its
 * max_score below the scheme's min, or its grades, within those bounds,
 * nowhere in min_score..max_score (a score is always within the scheme's
 * min..max, and a grade follows from the score).  Measures are a key of
 * version 2, so such a slip is refused, as min_score above max_score is. */
static int measure_reachable(const civic_rules *r, const civic_measure *m,
                             const measure_extra *x, civic_error *err)
{
    char msg[232], num[32], shown[40], of[128];
    if (m->has_min_score && r->has_max && m->min_score > r->max) {
        civic__format_fixed(r->max, 2, num);
        snprintf(msg, sizeof(msg), "'min_score' is above the scheme's max (%s): no score "
                 "reaches it, so the measure could never apply", num);
        return civic__rb_at(err, x->at[6], msg);
    }
    if (m->has_max_score && r->has_min && m->max_score < r->min) {
        civic__format_fixed(r->min, 2, num);
        snprintf(msg, sizeof(msg), "'max_score' is below the scheme's min (%s): no score "
                 "is that low, so the measure could never apply", num);
        return civic__rb_at(err, x->at[7], msg);
    }
    if (!m->has_grades) return CIVIC_OK;
    int64_t want_lo = m->has_min_score ? m->min_score : INT64_MIN;
    int64_t want_hi = m->has_max_score ? m->max_score : INT64_MAX;
    int64_t top = INT64_MIN, bottom = INT64_MAX, lo, hi;
    uint32_t top_g = 0, bottom_g = 0, listed = 0;
    bool any = false;
    for (uint32_t g = 0; g < r->grade_count; g++) {
        if (!(m->grades >> g & 1u)) continue;
        listed++;
        if (!grade_band(r, g, &lo, &hi)) continue;
        if ((lo > want_lo ? lo : want_lo) <= (hi < want_hi ? hi : want_hi)) return CIVIC_OK;
        if (!any || hi > top) top = hi, top_g = g;
        if (!any || lo < bottom) bottom = lo, bottom_g = g;
        any = true;
    }
    if (!any) {
        for (uint32_t g = 0; listed == 1 && g < r->grade_count; g++)
            if (m->grades >> g & 1u)
                civic__excerpt_toml(shown, sizeof(shown), r->grades[g].name,
                                    strlen(r->grades[g].name));
        if (listed == 1)
            snprintf(msg, sizeof(msg), "'grades': grade \"%s\" takes no score within the "
                     "scheme's min..max, so the measure could never apply", shown);
        else
            snprintf(msg, sizeof(msg), "'grades': none of these grades takes a score within "
                     "the scheme's min..max, so the measure could never apply");
        return civic__rb_at(err, x->at[2], msg);
    }
    bool above = m->has_min_score && top < m->min_score;
    bool below = !above && m->has_max_score && bottom > m->max_score;
    uint32_t g = above ? top_g : bottom_g;
    civic__format_fixed(above ? top : bottom, 2, num);
    civic__excerpt_toml(shown, sizeof(shown), r->grades[g].name, strlen(r->grades[g].name));
    if (listed == 1)
        snprintf(of, sizeof(of), "grade \"%s\" (at %s %s)", shown, above ? "most" : "least",
                 num);
    else
        snprintf(of, sizeof(of), "the grades in 'grades' (at %s %s, grade \"%s\")",
                 above ? "most" : "least", num, shown);
    if (above || below)
        snprintf(msg, sizeof(msg), "'%s' is %s every score of %s, so the measure could never "
                 "apply", above ? "min_score" : "max_score", above ? "above" : "below", of);
    else
        snprintf(msg, sizeof(msg), "no score of the grades in 'grades' is within "
                 "min_score..max_score, so the measure could never apply");
    return civic__rb_at(err, above ? x->at[6] : x->at[7], msg);
}

/* A measure's flag t[0..n) that no rule sets but one sets with blanks at
 * its start or end ("dishonest " for "dishonest"): the slip is the rule's,
 * said so with the first table in file order that writes that flag and its
 * line (" (the flag 'dishonest ' that [rule.court] sets at line 4 has a
 * blank at its end: delete it)"), in buf; NULL when no rule's flag is it. */
static const char *flag_with_blanks(const builder *b, const char *t, size_t n, char *buf,
                                    size_t size)
{
    const civic_rules *r = b->r;
    uint32_t f = 0;
    size_t a, len;
    for (; f < r->flag_count; f++) {
        const char *name = r->flags[f];
        if (name_trimmed(name, strlen(name), &a, &len) && len == n && memcmp(name + a, t, n) == 0)
            break;
    }
    if (f == r->flag_count) return NULL;
    const rule_extra *x = NULL;
    uint32_t rule = 0;
    bool change = false;
    for (uint32_t i = 0; i < r->rule_count; i++)
        if ((b->rx[i].keys >> RK_FLAG & 1u) && r->rules[i].flag == f) {
            x = &b->rx[i];
            rule = i;
            break;
        }
    for (uint32_t j = 0; j < b->change_count; j++)
        if ((b->chx[j].keys >> RK_FLAG & 1u) && b->changes[j].flag == f &&
            (!x || b->chx[j].at[RK_FLAG].line < x->at[RK_FLAG].line)) {
            x = &b->chx[j];
            rule = b->chx[j].rule;
            change = true;
            break;
        }
    if (!x) return NULL; /* every flag is some table's: not reached */
    const char *name = r->flags[f];
    char shown[48], code[48], header[80];
    size_t fn = strlen(name);
    name_trimmed(name, fn, &a, &len);
    bool lead = a > 0, trail = a + len < fn, one = fn - len == 1;
    civic__excerpt_toml(shown, sizeof(shown), name, fn);
    civic__excerpt_raw(code, sizeof(code), r->rules[rule].code, r->rules[rule].code_len);
    civic__rb_header_of(header, sizeof(header), "rule", code, b->rx[rule].bare_dotted,
                        change ? ".change" : NULL);
    snprintf(buf, size, " (the flag '%s' that %s sets at line %llu has %s at its %s: delete %s)",
             shown, header, (unsigned long long)x->at[RK_FLAG].line, one ? "a blank" : "blanks",
             lead && trail ? "start and end" : lead ? "start" : "end", one ? "it" : "them");
    return buf;
}

static int measure_check(builder *b, uint32_t mi, civic_error *err)
{
    civic_rules *r = b->r;
    civic_measure *m = &r->measures[mi];
    const measure_extra *x = &b->mx[mi];
    int rc;
    if (!(x->keys & 2u)) return civic__rb_at(err, x->header, "[measure] without 'kind' "
                                                             "(\"incentive\" or \"restriction\")");
    if (!(x->keys & (0xFCu)))
        return civic__rb_at(err, x->header, "a measure needs at least one condition (grades, "
                                            "flag, tier and min_level, min_score, max_score)");
    /* inclusive bounds (SPEC 11.2): a band that holds no score is a slip */
    if (m->has_min_score && m->has_max_score && m->min_score > m->max_score)
        return civic__rb_at(err, x->at[7], "'max_score' is below 'min_score' (no score is in "
                                           "both: the measure could never apply)");
    if (x->grades && (rc = measure_grades(b, m, x, err)) != CIVIC_OK) return rc;
    if ((rc = measure_reachable(r, m, x, err)) != CIVIC_OK) return rc;
    if ((rc = measure_tier(b, m, x, err)) != CIVIC_OK) return rc;
    if (x->flag) {
        m->flag = civic__rb_set_find(r, &b->flag_set, civic__rb_flag_name, x->flag, x->flag_len);
        size_t a, n; /* "dishonest ": the flag without its blanks is one */
        if (m->flag == UINT32_MAX && name_trimmed(x->flag, x->flag_len, &a, &n) &&
            civic__rb_set_find(r, &b->flag_set, civic__rb_flag_name, x->flag + a, n) != UINT32_MAX) {
            char msg[200], said[80];
            snprintf(msg, sizeof(msg), "'flag' is not a flag any rule of this scheme sets%s",
                     blanks_said(x->flag, x->flag_len, true, said, sizeof(said)));
            return civic__rb_at(err, x->at[3], msg);
        }
        char said[256];
        if (m->flag == UINT32_MAX &&
            flag_with_blanks(b, x->flag, x->flag_len, said, sizeof(said))) {
            char msg[320];
            snprintf(msg, sizeof(msg), "'flag' is not a flag any rule of this scheme sets%s", said);
            return civic__rb_at(err, x->at[3], msg);
        }
        if (m->flag == UINT32_MAX)
            return civic__rb_meant("'flag' is not a flag any rule of this scheme sets",
                                   civic__rb_nearest_name(r, civic__rb_flag_name, r->flag_count,
                                                          x->flag, x->flag_len),
                                   x->at[3], err);
    }
    if (civic__rb_set_find(r, &b->flag_set, civic__rb_flag_name, m->code, strlen(m->code)) !=
        UINT32_MAX)
        return civic__rb_at(err, x->header, "a measure may not share its code with a flag "
                                            "(both name a list)");
    return CIVIC_OK;
}

/* ------------------------------------------------------------ measure groups */

typedef struct group_entry {
    uint32_t group, measure;
    int64_t key;                /* min_score (INT64_MIN without), or min_level */
} group_entry;

static int entry_compare(const void *a, const void *b)
{
    const group_entry *x = a, *y = b;
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->measure < y->measure ? -1 : x->measure > y->measure;
}

/* rules->measure_by and measure_group (see civic_rules): a measure goes
 * where the condition checked first is, a flag's, a tier's, its grades' (once
 * each grade) or none but the score's; eval.c checks every condition of
 * each measure it reaches, so the groups only have to hold every measure
 * that may apply to a subject of that grade, flags and tier levels. */
static int measure_groups(civic_rules *r)
{
    size_t grades = r->grade_count, flags = r->flag_count, n = 0;
    size_t groups = 1 + grades + flags + r->tier_count;
    for (uint32_t i = 0; i < r->measure_count; i++) {
        const civic_measure *m = &r->measures[i];
        n += m->flag == CIVIC_NONE && m->tier == CIVIC_NONE && m->has_grades
                 ? (size_t)__builtin_popcountll(m->grades) : 1;
    }
    group_entry *e = civic__malloc(&r->alc, (n ? n : 1) * sizeof(group_entry));
    r->measure_by = civic__malloc(&r->alc, (n ? n : 1) * sizeof(uint32_t));
    r->measure_group = civic__calloc(&r->alc, groups + 1, sizeof(uint32_t));
    r->measure_by_count = n;
    r->measure_group_count = groups + 1;
    if (!e || !r->measure_by || !r->measure_group) {
        civic__free(&r->alc, e, (n ? n : 1) * sizeof(group_entry));
        return CIVIC_E_NOMEM;
    }
    size_t k = 0;
    for (uint32_t i = 0; i < r->measure_count; i++) {
        const civic_measure *m = &r->measures[i];
        int64_t score = m->has_min_score ? m->min_score : INT64_MIN;
        if (m->flag != CIVIC_NONE)
            e[k++] = (group_entry){ (uint32_t)(1 + grades + m->flag), i, score };
        else if (m->tier != CIVIC_NONE)
            e[k++] = (group_entry){ (uint32_t)(1 + grades + flags + m->tier), i, m->min_level };
        else if (m->has_grades) {
            for (uint32_t g = 0; g < grades; g++)
                if (m->grades >> g & 1u) e[k++] = (group_entry){ 1 + g, i, score };
        } else
            e[k++] = (group_entry){ 0, i, score };
    }
    CIVIC_ASSERT(k == n);
    if (n > 1) qsort(e, n, sizeof(group_entry), entry_compare);
    for (size_t i = 0; i < n; i++) {
        r->measure_by[i] = e[i].measure;
        r->measure_group[e[i].group + 1]++;
    }
    for (size_t g = 0; g < groups; g++) r->measure_group[g + 1] += r->measure_group[g];
    civic__free(&r->alc, e, (n ? n : 1) * sizeof(group_entry));
    return CIVIC_OK;
}

int civic__rb_check_tiers(builder *b, civic_error *err)
{
    civic_rules *r = b->r;
    int rc;
    for (uint32_t i = 0; i < r->tier_count; i++)
        if ((rc = tier_rules(b, &r->tiers[i], &b->tx[i], err)) != CIVIC_OK ||
            (rc = tier_levels(b, i, err)) != CIVIC_OK)
            return rc;
    for (uint32_t i = 0; i < r->measure_count; i++)
        if ((rc = measure_check(b, i, err)) != CIVIC_OK) return rc;
    return measure_groups(r);
}

void civic__rb_tiers_builder_free(builder *b)
{
    const civic_allocator *a = &b->r->alc;
    civic__free(a, b->vx, b->vx_cap * sizeof(class_extra));
    civic__free(a, b->tx, b->tx_cap * sizeof(tier_extra));
    civic__free(a, b->lx, b->lx_cap * sizeof(level_extra));
    civic__free(a, b->level_tier, b->level_tier_cap * sizeof(uint32_t));
    civic__free(a, b->mx, b->mx_cap * sizeof(measure_extra));
}

void civic__rules_tiers_free(civic_rules *r)
{
    for (uint32_t i = 0; i < r->tier_count; i++) {
        civic_tier *t = &r->tiers[i];
        civic__free(&r->alc, t->rules, t->rules_cap * sizeof(uint32_t));
        civic__free(&r->alc, t->levels, t->level_count * sizeof(civic_level));
    }
    civic__free(&r->alc, r->tiers, r->tier_cap * sizeof(civic_tier));
    civic__free(&r->alc, r->measures, r->measure_cap * sizeof(civic_measure));
    civic__free(&r->alc, r->measure_by, (r->measure_by_count ? r->measure_by_count : 1) *
                                        sizeof(uint32_t));
    civic__free(&r->alc, r->measure_group, r->measure_group_count * sizeof(uint32_t));
}
