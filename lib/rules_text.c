/*
** rules_text.c -- the scheme described to callers: the version-2 accessors
** (flags, tiers, measures, spec version), one rule version as a
** civic_rule_info, and the whole scheme written back as a rules file.
**
** The written text is canonical: every table in a fixed order, every key
** that changes an answer spelt out, no comments.  Parsing it gives a scheme
** with the same fingerprint (tests check this on random schemes).  A
** version-1 scheme is written with version-1 keys only, so it stays
** version 1.  Nothing here allocates: the writer fills a caller's buffer
** and reports the size it needs.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ accessors */

uint32_t civic_rules_spec_version(const civic_rules *r) { return r ? r->spec_version : 0; }
size_t civic_rules_flag_count(const civic_rules *r) { return r ? r->flag_count : 0; }
size_t civic_rules_tier_count(const civic_rules *r) { return r ? r->tier_count : 0; }
size_t civic_rules_measure_count(const civic_rules *r) { return r ? r->measure_count : 0; }

const char *civic_rules_flag_name(const civic_rules *r, size_t i)
{
    return r && i < r->flag_count ? r->flags[i] : NULL;
}

const char *civic_rules_tier_name(const civic_rules *r, size_t t)
{
    return r && t < r->tier_count ? r->tiers[t].name : NULL;
}

size_t civic_rules_tier_level_count(const civic_rules *r, size_t t)
{
    return r && t < r->tier_count ? r->tiers[t].level_count : 0;
}

const char *civic_rules_tier_level_name(const civic_rules *r, size_t t, size_t l)
{
    if (!r || t >= r->tier_count || l >= r->tiers[t].level_count) return NULL;
    return r->tiers[t].levels[l].name;
}

const char *civic_rules_measure_code(const civic_rules *r, size_t m)
{
    return r && m < r->measure_count ? r->measures[m].code : NULL;
}

const char *civic_rules_measure_text(const civic_rules *r, size_t m)
{
    return r && m < r->measure_count ? r->measures[m].text : NULL;
}

uint32_t civic_rules_measure_kind(const civic_rules *r, size_t m)
{
    return r && m < r->measure_count ? r->measures[m].kind : 0;
}

/* ------------------------------------------------------------ durations */

static const char *period_name(uint8_t p)
{
    static const char *const names[] = { "", "day", "week", "month", "quarter", "year",
                                         "lifetime" };
    return p < 7 ? names[p] : "";
}

static const char *reset_name(uint8_t p)
{
    return p == CIVIC_PERIOD_NONE ? "never" : period_name(p);
}

/* A duration as a rules file writes it. */
void civic__duration_text(const civic_duration *d, char *buf, size_t size)
{
    static const char unit[] = { 0, 'd', 'm', 'y' };
    switch (d->kind) {
    case CIVIC_DUR_DAYS:
    case CIVIC_DUR_MONTHS:
    case CIVIC_DUR_YEARS:
        snprintf(buf, size, "%lld%c", (long long)d->n, unit[d->kind]);
        return;
    case CIVIC_DUR_END_MONTH: snprintf(buf, size, "end-of-month"); return;
    case CIVIC_DUR_END_QUARTER: snprintf(buf, size, "end-of-quarter"); return;
    case CIVIC_DUR_END_YEAR: snprintf(buf, size, "end-of-year"); return;
    case CIVIC_DUR_SEVERITY: snprintf(buf, size, "by-severity"); return;
    default: snprintf(buf, size, "forever"); return;
    }
}

/* ------------------------------------------------------------ rule info */

static void info_durations(const civic_rule *v, civic_rule_info *out)
{
    snprintf(out->cap_period, sizeof(out->cap_period), "%s",
             v->cap >= 0 ? period_name(v->cap_period) : "");
    civic__duration_text(&v->valid, out->valid, sizeof(out->valid));
    out->publicity[0] = out->repair_after[0] = out->retain[0] = '\0';
    if (v->has_publicity) civic__duration_text(&v->publicity, out->publicity, sizeof(out->publicity));
    if (v->has_repair_after)
        civic__duration_text(&v->repair_after, out->repair_after, sizeof(out->repair_after));
    if (v->has_retain) civic__duration_text(&v->retain, out->retain, sizeof(out->retain));
}

int civic_rules_rule_info(const civic_rules *r, size_t rule, size_t change, civic_rule_info *out)
{
    /* both indexes before the version, as every other accessor checks its one */
    if (!r || !out || rule >= r->rule_count || change > r->rules[rule].change_count)
        return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_RULE_INFO_VERSION) return CIVIC_E_VERSION;
    const civic_rule *base = &r->rules[rule];
    const civic_rule *v = change ? &r->versions[base->change_first + change - 1] : base;
    out->affects = v->affects;
    out->code = base->code;
    out->dimension = r->dimensions[v->dimension];
    out->flag = v->flag == UINT32_MAX ? "" : r->flags[v->flag];
    out->category = v->category < r->category_count ? r->categories[v->category] : base->code;
    out->cap_group = v->cap_group == CIVIC_NO_CAP ? "" : r->caps[v->cap_group].name;
    out->points = v->points;
    out->repeat_factor = v->repeat_factor;
    out->cap = v->cap;
    out->ceiling = v->ceiling;
    out->from = change ? v->from : CIVIC_NO_TIME;
    out->per_unit = v->per_unit;
    out->freeze = v->freeze;
    out->recount = v->recount;
    out->net_cap = v->cap >= 0 && v->cap_mode == CIVIC_CAP_NET;
    out->changes = base->change_count;
    out->reserved = 0;
    info_durations(v, out);
    return CIVIC_OK;
}

/* ------------------------------------------------------------ caps, classes, tiers, measures */

int civic_rules_scheme_info(const civic_rules *r, civic_scheme_info *out)
{
    if (!r || !out) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_SCHEME_INFO_VERSION) return CIVIC_E_VERSION;
    out->running_clamp = r->clamp == CIVIC_CLAMP_RUNNING;
    out->suspend = r->contested == CIVIC_CONTESTED_SUSPEND;
    out->has_min = r->has_min;
    out->has_max = r->has_max;
    out->has_balance_min = r->has_balance_min;
    out->min = r->has_min ? r->min : 0;
    out->max = r->has_max ? r->max : 0;
    out->balance_min = r->has_balance_min ? r->balance_min : 0;
    civic__duration_text(&r->valid, out->valid, sizeof(out->valid));
    snprintf(out->balance_reset, sizeof(out->balance_reset), "%s", reset_name(r->balance_reset));
    civic__duration_text(&r->objection_window, out->objection_window,
                         sizeof(out->objection_window));
    return CIVIC_OK;
}

size_t civic_rules_cap_count(const civic_rules *r) { return r ? r->cap_count : 0; }
size_t civic_rules_validity_count(const civic_rules *r) { return r ? r->class_count : 0; }

int civic_rules_cap_info(const civic_rules *r, size_t i, civic_cap_info *out)
{
    if (!r || !out || i >= r->cap_count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_CAP_INFO_VERSION) return CIVIC_E_VERSION;
    const civic_cap *c = &r->caps[i];
    out->net = c->mode == CIVIC_CAP_NET;
    out->name = c->name;
    out->limit = c->limit;
    snprintf(out->period, sizeof(out->period), "%s", period_name(c->period));
    return CIVIC_OK;
}

int civic_rules_validity_info(const civic_rules *r, size_t i, civic_validity_info *out)
{
    if (!r || !out || i >= r->class_count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_VALIDITY_INFO_VERSION) return CIVIC_E_VERSION;
    const civic_class *c = &r->classes[i];
    out->reserved = 0;
    out->up_to = c->up_to == INT64_MAX ? -1 : c->up_to;
    civic__duration_text(&c->valid, out->valid, sizeof(out->valid));
    return CIVIC_OK;
}

int civic_rules_tier_info(const civic_rules *r, size_t t, civic_tier_info *out)
{
    static const char *const windows[] = { "lifetime", "year", "quarter", "month" };
    if (!r || !out || t >= r->tier_count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_TIER_INFO_VERSION) return CIVIC_E_VERSION;
    const civic_tier *x = &r->tiers[t];
    out->measure = x->measure == CIVIC_TIER_POINTS ? CIVIC_TIER_MEASURE_POINTS
                                                   : CIVIC_TIER_MEASURE_QTY;
    out->name = x->name;
    out->rule_count = x->rule_count;
    out->level_count = x->level_count;
    if (x->window == CIVIC_WINDOW_ROLLING)
        civic__duration_text(&x->rolling, out->window, sizeof(out->window));
    else
        snprintf(out->window, sizeof(out->window), "%s", x->window < 4 ? windows[x->window] : "");
    return CIVIC_OK;
}

size_t civic_rules_tier_rule(const civic_rules *r, size_t t, size_t k)
{
    if (!r || t >= r->tier_count || k >= r->tiers[t].rule_count) return SIZE_MAX;
    return r->tiers[t].rules[k];
}

int civic_rules_tier_level_min(const civic_rules *r, size_t t, size_t l, int64_t *min)
{
    if (!r || !min || t >= r->tier_count || l >= r->tiers[t].level_count) return CIVIC_E_INVALID;
    *min = r->tiers[t].levels[l].min;
    return CIVIC_OK;
}

int civic_rules_measure_info(const civic_rules *r, size_t m, civic_measure_info *out)
{
    if (!r || !out || m >= r->measure_count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_MEASURE_INFO_VERSION) return CIVIC_E_VERSION;
    const civic_measure *x = &r->measures[m];
    bool tier = x->tier != CIVIC_NONE;
    out->kind = x->kind;
    out->code = x->code;
    out->text = x->text ? x->text : "";
    out->grades = x->has_grades ? x->grades : 0;
    out->flag = x->flag == CIVIC_NONE ? "" : r->flags[x->flag];
    out->tier = tier ? r->tiers[x->tier].name : "";
    out->min_level = tier ? r->tiers[x->tier].levels[x->min_level].name : "";
    out->has_min_score = x->has_min_score;
    out->has_max_score = x->has_max_score;
    out->min_score = x->has_min_score ? x->min_score : 0;
    out->max_score = x->has_max_score ? x->max_score : 0;
    return CIVIC_OK;
}

/* ------------------------------------------------------------ TOML writer */

typedef struct out_buf {
    char *buf;
    size_t size, len;
    const civic_rules *r;
    const civic_rule *names_general; /* the version that writes dimension = "general" */
} out_buf;

static void put(out_buf *o, const char *s, size_t n)
{
    if (o->len < o->size) {
        size_t room = o->size - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void puts_(out_buf *o, const char *s) { put(o, s, strlen(s)); }

/* A name in a table header: bare, or quoted when it holds a dot.  Bare,
 * TOML reads [rule.a.b] as a table b inside rule a (which may clash with a
 * key of rule a) and a dot that begins or ends a name or follows another as
 * an empty part, which it forbids (the reader takes both, as 1.0 did).
 * Names hold only [A-Za-z0-9_.-], so the quotes need no escapes. */
static void header_name(out_buf *o, const char *name)
{
    bool quote = strchr(name, '.') != NULL;
    if (quote) puts_(o, "\"");
    puts_(o, name);
    if (quote) puts_(o, "\"");
}

/* The inside of a TOML basic string: s escaped. */
static void put_escaped(out_buf *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            put(o, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04X", *p);
            put(o, esc, 6);
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0) { /* C1, as C0: seen as escapes */
            snprintf(esc, sizeof(esc), "\\u%04X", p[1]);
            put(o, esc, 6);
            p++;
        } else {
            put(o, (const char *)p, 1);
        }
    }
}

/* A TOML basic string. */
static void put_string(out_buf *o, const char *s)
{
    put(o, "\"", 1);
    put_escaped(o, s);
    put(o, "\"", 1);
}

static void key_string(out_buf *o, const char *key, const char *value)
{
    puts_(o, key);
    puts_(o, " = ");
    put_string(o, value);
    puts_(o, "\n");
}

static void key_fixed(out_buf *o, const char *key, int64_t value, unsigned places)
{
    char num[32];
    civic__format_fixed(value, places, num);
    puts_(o, key);
    puts_(o, " = ");
    puts_(o, num);
    puts_(o, "\n");
}

static void key_duration(out_buf *o, const char *key, const civic_duration *d)
{
    char text[CIVIC_DURATION_TEXT_SIZE];
    civic__duration_text(d, text, sizeof(text));
    key_string(o, key, text);
}

static void write_scheme(out_buf *o)
{
    const civic_rules *r = o->r;
    char off[16];
    int32_t a = r->utc_offset < 0 ? -r->utc_offset : r->utc_offset;
    snprintf(off, sizeof(off), "%c%02d:%02d", r->utc_offset < 0 ? '-' : '+', (int)(a / 3600),
             (int)(a / 60 % 60));
    puts_(o, "[scheme]\n");
    key_string(o, "name", r->name);
    key_fixed(o, "base", r->base, 2);
    if (r->has_min) key_fixed(o, "min", r->min, 2);
    if (r->has_max) key_fixed(o, "max", r->max, 2);
    key_string(o, "clamp", r->clamp == CIVIC_CLAMP_RUNNING ? "running" : "final");
    key_string(o, "utc_offset", off);
    key_duration(o, "valid", &r->valid);
    key_string(o, "balance_reset", reset_name(r->balance_reset));
    if (r->spec_version < 2) return;
    if (r->has_balance_min) key_fixed(o, "balance_min", r->balance_min, 2);
    key_string(o, "contested", r->contested == CIVIC_CONTESTED_SUSPEND ? "suspend" : "mark");
    key_duration(o, "objection_window", &r->objection_window);
}

static void write_tables(out_buf *o)
{
    const civic_rules *r = o->r;
    for (uint32_t i = 0; i < r->class_count; i++) {
        puts_(o, "\n[[validity]]\n");
        if (i + 1 < r->class_count) key_fixed(o, "up_to", r->classes[i].up_to, 2);
        key_duration(o, "valid", &r->classes[i].valid);
    }
    for (uint32_t i = 0; i < r->grade_count; i++) {
        puts_(o, "\n[[grade]]\n");
        key_string(o, "name", r->grades[i].name);
        if (r->grades[i].has_min) key_fixed(o, "min", r->grades[i].min, 2);
    }
    for (uint32_t i = 0; i < r->cap_count; i++) {
        puts_(o, "\n[cap.");
        header_name(o, r->caps[i].name);
        puts_(o, "]\n");
        key_fixed(o, "limit", r->caps[i].limit, 2);
        key_string(o, "period", period_name(r->caps[i].period));
        if (r->spec_version >= 2)
            key_string(o, "mode", r->caps[i].mode == CIVIC_CAP_NET ? "net" : "both");
    }
}

static const char *affects_name(uint8_t a)
{
    if (a == CIVIC_AFFECTS_SCORE) return "score";
    if (a == CIVIC_AFFECTS_BALANCE) return "balance";
    return "both";
}

/* Keys of version v of rule `rule`; prev: the version before it (a change
 * writes only what differs, and `false` for what it removes). */
static void write_version(out_buf *o, uint32_t rule, const civic_rule *v, const civic_rule *prev)
{
    const civic_rules *r = o->r;
    char a[CIVIC_DURATION_TEXT_SIZE], b[CIVIC_DURATION_TEXT_SIZE];
#define CHANGED(field) (!prev || prev->field != v->field)
    if (CHANGED(points)) key_fixed(o, "points", v->points, 2);
    if (CHANGED(per_unit)) key_string(o, "per", v->per_unit ? "unit" : "event");
    if (v == o->names_general || (prev ? prev->dimension != v->dimension
                                       : strcmp(r->dimensions[v->dimension], "general") != 0))
        key_string(o, "dimension", r->dimensions[v->dimension]);
    civic__duration_text(&v->valid, a, sizeof(a));
    if (prev) civic__duration_text(&prev->valid, b, sizeof(b));
    if (!prev || strcmp(a, b) != 0) key_string(o, "valid", a);
    if (v->cap >= 0 && (CHANGED(cap) || CHANGED(cap_period) || CHANGED(cap_mode))) {
        key_fixed(o, "cap", v->cap, 2);
        key_string(o, "cap_period", period_name(v->cap_period));
        if (r->spec_version >= 2)
            key_string(o, "cap_mode", v->cap_mode == CIVIC_CAP_NET ? "net" : "both");
    } else if (v->cap < 0 && prev && prev->cap >= 0) {
        puts_(o, "cap = false\n");
    }
    if (v->cap_group != CIVIC_NO_CAP && CHANGED(cap_group))
        key_string(o, "cap_group", r->caps[v->cap_group].name);
    else if (v->cap_group == CIVIC_NO_CAP && prev && prev->cap_group != CIVIC_NO_CAP)
        puts_(o, "cap_group = false\n");
    if (v->repeat_factor && CHANGED(repeat_factor))
        key_fixed(o, "repeat_factor", v->repeat_factor, 2);
    else if (!v->repeat_factor && prev && prev->repeat_factor)
        puts_(o, "repeat_factor = false\n");
    if (v->ceiling != CIVIC_FOREVER && CHANGED(ceiling)) key_fixed(o, "ceiling", v->ceiling, 2);
    else if (v->ceiling == CIVIC_FOREVER && prev && prev->ceiling != CIVIC_FOREVER)
        puts_(o, "ceiling = false\n");
    if (v->flag != UINT32_MAX && CHANGED(flag)) key_string(o, "flag", r->flags[v->flag]);
    else if (v->flag == UINT32_MAX && prev && prev->flag != UINT32_MAX)
        puts_(o, "flag = false\n");
    if (CHANGED(affects)) key_string(o, "affects", affects_name(v->affects));
#undef CHANGED
    if (r->spec_version >= 2) {
        if (v->category != rule && (!prev || prev->category != v->category))
            key_string(o, "category", r->categories[v->category]);
        else if (v->category == rule && prev && prev->category != rule)
            puts_(o, "category = false\n");
        if (v->freeze && (!prev || !prev->freeze)) puts_(o, "freeze = true\n");
        else if (!v->freeze && prev && prev->freeze) puts_(o, "freeze = false\n");
    }
}

/* publicity, repair_after, retain: a duration or absent. */
static void write_life(out_buf *o, const char *key, bool has, const civic_duration *d,
                       bool prev_has, const civic_duration *pd, bool is_change)
{
    char a[CIVIC_DURATION_TEXT_SIZE], b[CIVIC_DURATION_TEXT_SIZE];
    if (!has) {
        if (is_change && prev_has) {
            puts_(o, key);
            puts_(o, " = false\n");
        }
        return;
    }
    civic__duration_text(d, a, sizeof(a));
    if (is_change && prev_has) {
        civic__duration_text(pd, b, sizeof(b));
        if (strcmp(a, b) == 0) return;
    }
    key_string(o, key, a);
}

static void write_rule(out_buf *o, uint32_t i)
{
    const civic_rules *r = o->r;
    const civic_rule *base = &r->rules[i];
    char when[40];
    puts_(o, "\n[rule.");
    header_name(o, base->code);
    puts_(o, "]\n");
    for (uint32_t k = 0; k <= base->change_count; k++) {
        const civic_rule *v = k ? &r->versions[base->change_first + k - 1] : base;
        const civic_rule *prev = k > 1 ? &r->versions[base->change_first + k - 2]
                                       : k == 1 ? base : NULL;
        if (k) {
            puts_(o, "\n[[rule.");
            header_name(o, base->code);
            puts_(o, ".change]]\n");
            if (v->from + r->utc_offset >= CIVIC_TIME_MIN &&
                v->from + r->utc_offset <= CIVIC_TIME_MAX) {
                civic__time_format(v->from, r->utc_offset, when, sizeof(when));
                key_string(o, "from", when);
            } else { /* its local date falls outside years 1..9999: Unix seconds */
                snprintf(when, sizeof(when), "from = %lld\n", (long long)v->from);
                puts_(o, when);
            }
            if (v->recount) puts_(o, "recount = true\n");
        }
        write_version(o, i, v, prev);
        write_life(o, "publicity", v->has_publicity, &v->publicity,
                   prev && prev->has_publicity, prev ? &prev->publicity : NULL, prev != NULL);
        write_life(o, "repair_after", v->has_repair_after, &v->repair_after,
                   prev && prev->has_repair_after, prev ? &prev->repair_after : NULL,
                   prev != NULL);
        write_life(o, "retain", v->has_retain, &v->retain, prev && prev->has_retain,
                   prev ? &prev->retain : NULL, prev != NULL);
    }
}

static void write_outputs(out_buf *o)
{
    const civic_rules *r = o->r;
    static const char *const windows[] = { "lifetime", "year", "quarter", "month" };
    char text[CIVIC_DURATION_TEXT_SIZE];
    for (uint32_t i = 0; i < r->tier_count; i++) {
        const civic_tier *t = &r->tiers[i];
        puts_(o, "\n[tier.");
        header_name(o, t->name);
        puts_(o, "]\nrules = \"");
        for (uint32_t k = 0; k < t->rule_count; k++) {
            if (k) puts_(o, ";");
            puts_(o, r->rules[t->rules[k]].code);
        }
        puts_(o, "\"\n");
        key_string(o, "measure", t->measure == CIVIC_TIER_POINTS ? "points" : "qty");
        if (t->window == CIVIC_WINDOW_ROLLING) civic__duration_text(&t->rolling, text, sizeof(text));
        key_string(o, "window", t->window == CIVIC_WINDOW_ROLLING ? text : windows[t->window]);
        for (uint32_t l = 0; l < t->level_count; l++) {
            puts_(o, "\n[[tier.");
            header_name(o, t->name);
            puts_(o, ".level]]\n");
            key_string(o, "name", t->levels[l].name);
            key_fixed(o, "min", t->measure == CIVIC_TIER_QTY ? t->levels[l].min / 10
                                                             : t->levels[l].min, 2);
        }
    }
    for (uint32_t i = 0; i < r->measure_count; i++) {
        const civic_measure *m = &r->measures[i];
        puts_(o, "\n[measure.");
        header_name(o, m->code);
        puts_(o, "]\n");
        if (m->text[0]) key_string(o, "text", m->text);
        key_string(o, "kind", m->kind == CIVIC_MEASURE_RESTRICTION ? "restriction" : "incentive");
        if (m->has_grades) {
            puts_(o, "grades = \"");
            for (uint32_t g = 0, n = 0; g < r->grade_count; g++) {
                if (!(m->grades >> g & 1u)) continue;
                if (n++) puts_(o, ";");
                put_escaped(o, r->grades[g].name);
            }
            puts_(o, "\"\n");
        }
        if (m->flag != CIVIC_NONE) key_string(o, "flag", r->flags[m->flag]);
        if (m->tier != CIVIC_NONE) {
            key_string(o, "tier", r->tiers[m->tier].name);
            key_string(o, "min_level", r->tiers[m->tier].levels[m->min_level].name);
        }
        if (m->has_min_score) key_fixed(o, "min_score", m->min_score, 2);
        if (m->has_max_score) key_fixed(o, "max_score", m->max_score, 2);
    }
}

/* Dimensions are numbered by first use, rules in order and each rule's
 * changes after it, except that "general" comes last unless a rule names it
 * (rules.c, order_dimensions).  A rule without a dimension is in "general"
 * and the text leaves the key out, so when "general" is not last one version
 * must name it: the first in "general" with as many dimensions before it as
 * "general" has.  NULL when none needs to. */
static const civic_rule *version_naming_general(const civic_rules *r)
{
    uint32_t g = 0, seen = 0;
    while (g < r->dimension_count && strcmp(r->dimensions[g], "general") != 0) g++;
    if (g + 1 >= r->dimension_count) return NULL; /* absent, or last */
    for (uint32_t i = 0; i < r->rule_count; i++) {
        const civic_rule *base = &r->rules[i];
        for (uint32_t k = 0; k <= base->change_count; k++) {
            const civic_rule *v = k ? &r->versions[base->change_first + k - 1] : base;
            if (v->dimension == g && seen == g) return v;
            if (v->dimension != g && v->dimension >= seen) seen = v->dimension + 1;
        }
    }
    return NULL; /* not reached: the order of rules.c has such a version */
}

int civic_rules_to_toml(const civic_rules *r, char *buf, size_t size, size_t *needed)
{
    if (!r || (!buf && size)) return CIVIC_E_INVALID;
    out_buf o = { buf, size, 0, r, version_naming_general(r) };
    write_scheme(&o);
    write_tables(&o);
    for (uint32_t i = 0; i < r->rule_count; i++) write_rule(&o, i);
    write_outputs(&o);
    if (needed) *needed = o.len;
    if (size) buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len < size ? CIVIC_OK : CIVIC_E_LIMIT;
}
