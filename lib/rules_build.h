/*
** rules_build.h -- the scheme builder shared by rules.c (scheme, grades,
** caps, rules and the checks of SPEC 2), versions.c (rule changes, SPEC 9.1)
** and tiers.c (tiers and measures, SPEC 11.1-11.2).  Private to those three
** files: nothing else includes it.
**
** The builder receives the TOML subset as a stream of tables and key/value
** pairs (toml.c) and fills a civic_rules.  Every key remembers where it was
** written (pos), so a check that runs after the whole file was read can still
** name the line and column at fault.
*/
#ifndef CIVIC_RULES_BUILD_H
#define CIVIC_RULES_BUILD_H

#include "internal.h"

typedef struct pos { uint64_t line; uint32_t column; uint64_t offset; } pos;

/* The keys of a rule table or a change, in this order. */
enum {
    RK_POINTS, RK_PER, RK_DIMENSION, RK_VALID, RK_CAP, RK_CAP_PERIOD, RK_CAP_GROUP,
    RK_REPEAT_FACTOR, RK_CEILING, RK_FLAG, RK_AFFECTS, RK_CATEGORY, RK_FREEZE, RK_CAP_MODE,
    RK_PUBLICITY, RK_REPAIR_AFTER, RK_RETAIN,
    RK_FROM, RK_RECOUNT,         /* changes only */
    RK_COUNT
};

/* Where each key of one rule version was written, and the names that are
 * resolved once the whole file is read. */
typedef struct rule_extra {
    pos header;
    pos at[RK_COUNT];
    const char *cap_group_name, *category_name, *from_text;
    size_t cap_group_len, category_len, from_len;
    uint32_t keys;           /* RK_* bits written in this table */
    uint32_t rule;           /* the rule index (changes) */
    bool bare_dotted;        /* [rule.a.b]: a dotted code, not quoted */
    bool from_quoted;        /* from = "..." (a string), not a bare integer */
    bool from_plus;          /* from = +N: TOML's '+', not in from_text */
} rule_extra;

typedef struct grade_extra { pos header, min; uint32_t keys; } grade_extra;
typedef struct cap_extra { pos header; uint32_t keys; bool bare_dotted; } cap_extra;
typedef struct class_extra { pos header, up_to, valid; uint32_t keys; } class_extra;
typedef struct level_extra {
    pos header, min, name_at;
    const char *name, *min_text;
    size_t min_len;
    uint32_t keys;
    bool bare_dotted;        /* [[tier.a.b.level]]: the tier's name dotted, not quoted */
} level_extra;
typedef struct tier_extra {
    pos header, rules;
    const char *rules_text;
    size_t rules_len;
    uint32_t keys;
    uint32_t first_level;    /* its levels in b->lx, in file order */
    bool bare_dotted;        /* [tier.a.b]: a dotted name, not quoted */
} tier_extra;
typedef struct measure_extra {
    pos header, at[8];
    const char *grades, *flag, *tier, *min_level;
    size_t grades_len, flag_len, tier_len, min_level_len;
    uint32_t keys;
    bool bare_dotted;        /* [measure.a.b]: a dotted code, not quoted */
} measure_extra;

/* A hash index over one of the rules' name lists (rule codes, cap names,
 * flags, dimensions, categories, measures), so that building a scheme of n names is
 * O(n), not O(n^2).  Slots hold index + 1; 0 is empty. */
typedef const char *(*name_fn)(const civic_rules *r, uint32_t i);
typedef struct name_set {
    uint32_t *slots;
    size_t cap;     /* a power of two, or 0 */
} name_set;

enum { T_NONE, T_SCHEME, T_GRADE, T_CAP, T_RULE, T_CHANGE, T_VALIDITY, T_TIER, T_LEVEL,
       T_MEASURE };

typedef struct builder {
    civic_rules *r;
    name_set rule_set, cap_set, flag_set, dimension_set, measure_set;
    int table;
    uint32_t index;
    uint32_t scheme_keys;
    bool scheme_seen;
    pos base_pos, min_pos, max_pos, balance_min_pos, valid_pos, last;
    pos key_at;              /* the key of the pair being read */
    uint64_t key_line[32];   /* the line of each key of the table being read */
    pos scheme_at;           /* the [scheme] header */
    rule_extra *rx;          /* per base rule */
    size_t rx_cap;
    grade_extra *gx;
    size_t gx_cap;
    cap_extra *cx;
    size_t cx_cap;
    /* changes in file order, before they are grouped by rule */
    civic_rule *changes;
    rule_extra *chx;
    uint32_t change_count;
    size_t changes_cap, chx_cap;
    uint32_t *last_version;  /* per rule: its last change + 1, or 0 (base) */
    size_t last_version_cap;
    class_extra *vx;
    size_t vx_cap;
    tier_extra *tx;
    size_t tx_cap;
    level_extra *lx;         /* every level of every tier, in file order */
    uint32_t *level_tier;    /* the tier of each level */
    uint32_t level_total;
    size_t lx_cap, level_tier_cap;
    measure_extra *mx;
    size_t mx_cap;
} builder;

/* rules.c: shared helpers */
int civic__rb_error(civic_error *err, int code, uint64_t line, uint32_t column,
                    uint64_t offset, const char *what);
int civic__rb_at(civic_error *err, pos p, const char *what);
bool civic__rb_key_is(const char *key, size_t len, const char *name);
const char *civic__rb_intern(builder *b, const char *s, size_t n);
int civic__rb_string(const civic_toml_value *v, civic_error *err, const char *key);
int civic__rb_points(const civic_toml_value *v, civic_error *err, const char *key,
                     int64_t *out);
/* Where byte i of v's text is in the file: in a string before its first
 * escape, that byte's own line and column; else where v starts. */
pos civic__rb_text_pos(const civic_toml_value *v, size_t i);
/* CIVIC_E_RULES at the value v: `what`, and the look-alike character the
 * value holds, if any, named after it (civic__toml_lookalike_in), at that
 * character's column when civic__rb_text_pos knows it. */
int civic__rb_lookalike_error(const civic_toml_value *v, civic_error *err, const char *what);
/* Whether t[0..n) would be accepted in place of a word value (ctx: the
 * check's data, as its choices). */
typedef bool (*civic__rb_word_ok)(const char *t, size_t n, const void *ctx);
/* civic__rb_lookalike_error for a word value (a choice, a duration, an
 * offset, a timestamp): a look-alike's replacement is suggested only when
 * ok accepts the value with it, a no-break space at its start or end is to
 * be deleted, and blanks at the value's start or end are named, quoted
 * with the value, at the first one's column ("delete it" when ok accepts
 * the value without them).  ok NULL: civic__rb_lookalike_error. */
int civic__rb_word_error(const civic_toml_value *v, civic_error *err, const char *what,
                         civic__rb_word_ok ok, const void *ctx);
/* The header of a table as written, into out: [word.name], the name
 * quoted when it holds a dot and was not written bare, or [[word.name
 * suffix]] with a suffix (".change"). */
void civic__rb_header_of(char *out, size_t size, const char *word, const char *name,
                         bool bare_dotted, const char *suffix);
/* civic__rb_unknown naming the table by header (NULL: [table]). */
int civic__rb_unknown_in(const char *table, const char *header, const char *const *keys,
                         size_t nkeys, const char *key, size_t len, uint64_t line,
                         uint32_t column, uint64_t offset, civic_error *err);
/* The word of `words` (NULL-terminated) a refused word value most likely
 * meant: the same in another case, the only word it starts (with two
 * letters or more: "susp") or that starts it ("suspended"), else the first
 * of the nearest two edits away ("daily": "day"; one for a value of one or
 * two letters), as civic__rb_unknown measures them; NULL if none. */
const char *civic__rb_word_meant(const char *const *words, const char *t, size_t n);
/* civic__rb_word_error, or, when hint is not NULL and the value holds no
 * look-alike (and no blank at an end, unless edges: the hint is the whole
 * value to write), `what` and the hint ("(did you mean \"score\"?)"); with
 * edges, blanks at the value's start or end are named before the hint, at
 * the first one's column ("(\" 1w\" has a blank at its start; did you mean
 * \"7d\"?)"). */
int civic__rb_word_refused(const civic_toml_value *v, civic_error *err, const char *what,
                           const char *hint, bool edges, civic__rb_word_ok ok, const void *ctx);
/* What a refused duration t[0..n) is to be written as, into buf: near one
 * of the `named` forms the key takes (civic__rb_word_meant), or a count
 * with a unit in words or another case ("3 months", "2 weeks", "3M",
 * "48 hours") as the form ok accepts, "(did you mean \"3m\"?)"; working
 * days ("5 working days", "5 wd") as calendar days, which no form counts.
 * NULL if none. */
const char *civic__rb_duration_hint(const char *t, size_t n, const char *const *named,
                                    civic__rb_word_ok ok, const void *ctx, char *buf,
                                    size_t size);
/* civic__rb_word_refused of a duration value: what (the forms the key
 * takes), then civic__rb_duration_hint's form to write, if any. */
int civic__rb_duration_refused(const civic_toml_value *v, civic_error *err, const char *what,
                               const char *const *named, civic__rb_word_ok ok, const void *ctx);
/* "'freeze' must be true or false" at v, a value that is not a boolean;
 * one in quotes ("true", "yes") is told to drop them, and the boolean to
 * write. */
int civic__rb_bool_refused(const civic_toml_value *v, civic_error *err, const char *key);
int civic__rb_choice(const civic_toml_value *v, civic_error *err, const char *key,
                     const char *const *choices, const uint8_t *values, uint8_t *out);
int civic__rb_duration_limit(const civic_toml_value *v, civic_error *err, const char *key);
int civic__rb_duration(const civic_toml_value *v, civic_error *err, const char *key,
                       bool allow_severity, civic_duration *out);
int civic__rb_label(const civic_toml_value *v, civic_error *err, const char *key,
                    size_t max, bool no_semicolon);
/* Marks key `bit` seen in the table's *keys; a key seen before is a
 * "duplicate key 'K' (first at line N)": a table's keys are the lines after
 * its header (no table is opened twice), so b->key_line keeps the lines of
 * the keys of the table being read. */
int civic__rb_seen(builder *b, uint32_t *keys, int bit, const char *key, size_t len,
                   uint64_t line, uint32_t column, uint64_t offset, civic_error *err);
/* "unknown key 'K' in [T]", with "(did you mean 'X'?)" when one of the
 * first nkeys of `keys` (NULL-terminated; NULL for none) is a likely
 * spelling of it. */
int civic__rb_unknown(const char *table, const char *const *keys, size_t nkeys, const char *key,
                      size_t len, uint64_t line, uint32_t column, uint64_t offset,
                      civic_error *err);
int civic__rb_find_key(const char *const *keys, const char *key, size_t len);
uint32_t civic__rb_set_find(const civic_rules *r, const name_set *s, name_fn name,
                            const char *k, size_t n);
int civic__rb_set_reserve(const civic_rules *r, name_set *s, name_fn name, uint32_t count);
void civic__rb_set_put(const civic_rules *r, name_set *s, name_fn name, uint32_t index);
void civic__rb_set_free(const civic_rules *r, name_set *s);
/* The name of the first `count` names name(r, i) a misspelt key most
 * likely meant, as the "did you mean" of unknown keys; NULL if none. */
const char *civic__rb_nearest_name(const civic_rules *r, name_fn name, uint32_t count,
                                   const char *key, size_t len);
/* "duplicate WHAT 'NAME' (first at line FIRST)" at p. */
int civic__rb_duplicate(civic_error *err, pos p, const char *what, const char *name, size_t n,
                        uint64_t first);
/* civic__rb_at with message, and "(did you mean 'near'?)" when near. */
int civic__rb_meant(const char *message, const char *near, pos p, civic_error *err);
const char *civic__rb_flag_name(const civic_rules *r, uint32_t i);
const char *civic__rb_rule_name(const civic_rules *r, uint32_t i);
/* Apply one key of a rule table or change to the version v. */
int civic__rb_rule_pair(builder *b, civic_rule *v, rule_extra *x, int k,
                        const civic_toml_value *value, civic_error *err);
/* Defaults and checks of one version (base or change) of rule `rule`. */
int civic__rb_check_version(builder *b, uint32_t rule, civic_rule *v, rule_extra *x,
                            civic_error *err);
/* What a [word.NAME] header whose NAME is none of its kind is told (the
 * text inside the message's parentheses, in buf), or NULL: a look-alike
 * character, or one not ASCII (of a letter no ASCII one looks like, said
 * with where a name for people goes: a rule has none); else the header to
 * write when capitals (lower: names of [a-z0-9_.-]) or blanks, inside or
 * at an end, are its only slips ("codes are lower case: write
 * [rule.illegal_parking]"), or, when b already has that name, where it is
 * ("codes are lower case; rule 'park' is already defined at line 3"), or
 * for a rule code that is reserved so. */
const char *civic__rb_name_why(const builder *b, const char *word, const char *name, size_t n,
                               bool lower, char *buf, size_t size);
/* The name part of [rule.NAME] / [cap.NAME]: bare (dots allowed) or "quoted". */
bool civic__rb_header_name(const char *s, size_t n, const char **name, size_t *name_len);

/* versions.c: [[rule.X.change]] and the versions built from them */
int civic__rb_new_change(builder *b, const char *name, size_t n, pos p, civic_error *err);
int civic__rb_change_pair(builder *b, int k, const civic_toml_value *v, civic_error *err);
int civic__rb_check_changes(builder *b, civic_error *err);
void civic__rb_versions_free(builder *b);

/* tiers.c: [[validity]], [tier.X], [[tier.X.level]], [measure.X] */
int civic__rb_new_class(builder *b, pos p, civic_error *err);
int civic__rb_class_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                         civic_error *err);
int civic__rb_check_classes(builder *b, civic_error *err);
extern const char *const civic__rb_tier_keys[];    /* the keys of [tier.NAME] */
extern const char *const civic__rb_level_keys[];   /* the keys of [[tier.NAME.level]] */
extern const char *const civic__rb_measure_keys[]; /* the keys of [measure.CODE] */
int civic__rb_new_tier(builder *b, const char *name, size_t n, pos p, civic_error *err);
int civic__rb_tier_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                        civic_error *err);
int civic__rb_new_level(builder *b, const char *name, size_t n, pos p, civic_error *err);
int civic__rb_level_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                         civic_error *err);
int civic__rb_new_measure(builder *b, const char *name, size_t n, pos p, civic_error *err);
int civic__rb_measure_pair(builder *b, const char *key, size_t len, const civic_toml_value *v,
                           civic_error *err);
int civic__rb_check_tiers(builder *b, civic_error *err);
void civic__rb_tiers_builder_free(builder *b);
/* Free the tiers and measures of finished (or failed) rules. */
void civic__rules_tiers_free(civic_rules *r);

#endif /* CIVIC_RULES_BUILD_H */
