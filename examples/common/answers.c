/*
** answers.c -- the JSON writer of libcivic's answers (see answers.h and
** docs/answers.md).  Uses only the public API in civic.h.  Writes the bytes
** civic-score 1.0 wrote for --format json; a change here changes the CLI's
** golden output, the service and the vocabulary test at once, by design.
*/
#include "answers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static void put(const answers_sink *out, const char *s) { out->write(out->ctx, s, strlen(s)); }

static void put_u64(const answers_sink *out, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    put(out, buf);
}

static void file_write(void *ctx, const char *data, size_t len) { fwrite(data, 1, len, ctx); }

answers_sink answers_file_sink(FILE *f)
{
    answers_sink s = { file_write, f };
    return s;
}

void answers_raw(const answers_sink *out, const char *text) { put(out, text); }

void answers_string(const answers_sink *out, const char *s)
{
    char esc[8];
    const char *run = s ? s : "";
    const char *p = run;
    out->write(out->ctx, "\"", 1);
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        /* C1 controls (only a scheme's name may hold them) escaped as C0: a
         * terminal acts on them as well */
        bool c1 = c == 0xc2 && (unsigned char)p[1] >= 0x80 && (unsigned char)p[1] < 0xa0;
        if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\' && !c1) continue;
        out->write(out->ctx, run, (size_t)(p - run));
        if (c1) c = (unsigned char)*++p;
        if (c1) snprintf(esc, sizeof(esc), "\\u%04x", c);
        else if (c == '"' || c == '\\') snprintf(esc, sizeof(esc), "\\%c", c);
        else if (c == '\n') snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\t') snprintf(esc, sizeof(esc), "\\t");
        else if (c == '\r') snprintf(esc, sizeof(esc), "\\r");
        else snprintf(esc, sizeof(esc), "\\u%04x", c);
        put(out, esc);
        run = p + 1;
    }
    out->write(out->ctx, run, (size_t)(p - run));
    out->write(out->ctx, "\"", 1);
}

static void fixed(const answers_sink *out, int64_t v, unsigned places)
{
    char buf[32];
    civic_format_fixed(v, places, buf, sizeof(buf));
    put(out, buf);
}

void answers_points(const answers_sink *out, int64_t hundredths) { fixed(out, hundredths, 2); }
void answers_qty(const answers_sink *out, int64_t thousandths) { fixed(out, thousandths, 3); }

void answers_time(const answers_sink *out, const civic_rules *rules, int64_t t)
{
    char buf[40];
    if (t == CIVIC_FOREVER) snprintf(buf, sizeof(buf), "forever");
    else if (civic_rules_format_time(rules, t, buf, sizeof(buf)) != CIVIC_OK)
        snprintf(buf, sizeof(buf), "%" PRId64, t);
    answers_string(out, buf);
}

void answers_flags(const answers_sink *out, const char *flags)
{
    put(out, "[");
    for (int first = 1; flags && *flags; first = 0) {
        const char *end = strchr(flags, ';');
        size_t len = end ? (size_t)(end - flags) : strlen(flags);
        char buf[160];
        snprintf(buf, sizeof(buf), "%.*s", (int)len, flags);
        if (!first) put(out, ",");
        answers_string(out, buf);
        flags += len + (end ? 1 : 0);
    }
    put(out, "]");
}

static void key(const answers_sink *out, const char *name)
{
    put(out, ",\"");
    put(out, name);
    put(out, "\":");
}

static void boolean(const answers_sink *out, int v) { put(out, v ? "true" : "false"); }

/* A string, or null when empty. */
static void string_or_null(const answers_sink *out, const char *s)
{
    if (s && *s) answers_string(out, s);
    else put(out, "null");
}

/* "tiers":{name: level or null}, from a tier getter of a result or record. */
typedef int (*tier_fn)(const void *answer, size_t t, civic_tier_value *out);

static void tiers(const answers_sink *out, const void *answer, uint32_t count, tier_fn get)
{
    key(out, "tiers");
    put(out, "{");
    for (size_t t = 0; t < count; t++) {
        civic_tier_value v = CIVIC_TIER_VALUE_INIT;
        get(answer, t, &v);
        if (t) put(out, ",");
        answers_string(out, v.tier);
        put(out, ":");
        string_or_null(out, v.level_name);
    }
    put(out, "}");
}

typedef struct row_ref { const civic_result *res; size_t i; } row_ref;

static int row_tier(const void *answer, size_t t, civic_tier_value *out)
{
    const row_ref *r = answer;
    return civic_result_tier(r->res, r->i, t, out);
}

static int record_tier(const void *answer, size_t t, civic_tier_value *out)
{
    return civic_record_tier(answer, t, out);
}

void answers_score(const answers_sink *out, const civic_result *res, size_t i, uint32_t flags)
{
    civic_score s = CIVIC_SCORE_INIT;
    civic_result_get(res, i, &s);
    put(out, "{");
    if (flags & ANSWERS_RANKED) {
        put(out, "\"rank\":");
        put_u64(out, s.rank);
        put(out, ",");
    }
    put(out, "\"subject\":");
    answers_string(out, s.subject);
    key(out, "group");
    answers_string(out, s.group);
    key(out, "score");
    answers_points(out, s.score);
    key(out, "grade");
    answers_string(out, s.grade);
    key(out, "balance");
    answers_points(out, s.balance);
    key(out, "flags");
    answers_flags(out, s.flags);
    key(out, "ceiling");
    if (s.ceiling == CIVIC_FOREVER) put(out, "null");
    else answers_points(out, s.ceiling);
    key(out, "events");
    put_u64(out, s.events);
    if (!(flags & ANSWERS_NO_DIMS)) {
        key(out, "dimensions");
        put(out, "{");
        for (size_t d = 0; d < civic_result_dimension_count(res); d++) {
            int64_t v = 0;
            civic_result_dimension(res, i, d, &v);
            if (d) put(out, ",");
            answers_string(out, civic_result_dimension_name(res, d));
            put(out, ":");
            answers_points(out, v);
        }
        put(out, "}");
    }
    if (flags & ANSWERS_V2) {
        row_ref r = { res, i };
        tiers(out, &r, s.tier_count, row_tier);
        key(out, "measures");
        answers_flags(out, s.measures);
    }
    put(out, "}");
}

void answers_subjects(const answers_sink *out, const civic_rules *rules,
                      const civic_result *res, int64_t as_of, uint32_t flags)
{
    put(out, "{\"as_of\":");
    answers_time(out, rules, as_of);
    key(out, "scheme");
    answers_string(out, civic_rules_name(rules));
    key(out, "subjects");
    put(out, "[");
    for (size_t i = 0; i < civic_result_count(res); i++) {
        put(out, i ? ",\n" : "\n");
        answers_score(out, res, i, flags);
    }
    put(out, "\n]}\n");
}

const char *answers_affects_name(uint32_t affects)
{
    if ((affects & CIVIC_AFFECTS_SCORE) && (affects & CIVIC_AFFECTS_BALANCE)) return "both";
    return (affects & CIVIC_AFFECTS_SCORE) ? "score" : "balance";
}

static void entry_v2(const answers_sink *out, const civic_rules *rules, const civic_entry *x)
{
    key(out, "eff");
    answers_time(out, rules, x->eff);
    key(out, "from");
    if (x->kind == CIVIC_KIND_RULE && x->from != CIVIC_NO_TIME) answers_time(out, rules, x->from);
    else put(out, "null");
    key(out, "act");
    string_or_null(out, x->act);
    key(out, "source");
    string_or_null(out, x->source);
    key(out, "merged_with");
    string_or_null(out, x->merged_with);
    key(out, "frozen");
    boolean(out, (x->marks & CIVIC_MARK_FROZEN) != 0);
    key(out, "contested");
    boolean(out, (x->marks & CIVIC_MARK_CONTESTED) != 0);
    key(out, "floored");
    boolean(out, (x->marks & CIVIC_MARK_FLOORED) != 0);
    key(out, "to_balance");
    if (x->kind == CIVIC_KIND_RULE || x->kind == CIVIC_KIND_REDEEM) answers_points(out, x->to_balance);
    else put(out, "null");
    /* the record at T holds no event dated after T, so a correction after T
     * leaves CIVIC_FOREVER here: the record never shows the future */
    key(out, "corrected");
    if (x->kind == CIVIC_KIND_RULE && x->corrected != CIVIC_FOREVER)
        answers_time(out, rules, x->corrected);
    else
        put(out, "null");
}

void answers_entry(const answers_sink *out, const civic_rules *rules, const civic_entry *x,
                   uint32_t flags)
{
    put(out, "{\"id\":");
    answers_string(out, x->id);
    key(out, "ts");
    answers_time(out, rules, x->ts);
    key(out, "type");
    answers_string(out, x->type);
    key(out, "kind");
    answers_string(out, civic_kind_name(x->kind));
    key(out, "state");
    answers_string(out, civic_state_name(x->state));
    key(out, "raw");
    answers_points(out, x->raw);
    key(out, "counted");
    answers_points(out, x->counted);
    key(out, "dimension");
    answers_string(out, x->dimension);
    key(out, "capped");
    boolean(out, (x->marks & CIVIC_MARK_CAPPED) != 0);
    key(out, "escalated");
    boolean(out, (x->marks & CIVIC_MARK_ESCALATED) != 0);
    key(out, "end");
    if (x->kind == CIVIC_KIND_RULE) answers_time(out, rules, x->end);
    else put(out, "null");
    key(out, "ref");
    answers_string(out, x->ref);
    key(out, "group");
    answers_string(out, x->group);
    if ((flags & ANSWERS_DETAIL) && x->kind == CIVIC_KIND_RULE) {
        key(out, "qty");
        answers_qty(out, x->qty);
        key(out, "flag");
        answers_string(out, x->flag);
        key(out, "ceiling");
        if (x->ceiling == CIVIC_FOREVER) put(out, "null");
        else answers_points(out, x->ceiling);
        key(out, "affects");
        answers_string(out, answers_affects_name(x->affects));
    }
    if (flags & ANSWERS_V2) entry_v2(out, rules, x);
    put(out, "}");
}

void answers_record(const answers_sink *out, const civic_rules *rules, const civic_record *rec,
                    int64_t as_of, uint32_t flags)
{
    civic_score s = CIVIC_SCORE_INIT;
    civic_record_summary(rec, &s);
    put(out, "{\"subject\":");
    answers_string(out, s.subject);
    key(out, "as_of");
    answers_time(out, rules, as_of);
    key(out, "score");
    answers_points(out, s.score);
    key(out, "grade");
    answers_string(out, s.grade);
    key(out, "balance");
    answers_points(out, s.balance);
    key(out, "flags");
    answers_flags(out, s.flags);
    if (flags & ANSWERS_CEILING) {
        key(out, "ceiling");
        if (s.ceiling == CIVIC_FOREVER) put(out, "null");
        else answers_points(out, s.ceiling);
    }
    key(out, "group");
    answers_string(out, s.group);
    if (flags & ANSWERS_V2) {
        key(out, "archived");
        put_u64(out, s.archived);
        tiers(out, rec, s.tier_count, record_tier);
        key(out, "measures");
        answers_flags(out, s.measures);
    }
    key(out, "entries");
    put(out, "[");
    for (size_t i = 0; i < civic_record_count(rec); i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &x);
        put(out, i ? ",\n" : "\n");
        answers_entry(out, rules, &x, flags);
    }
    put(out, "\n]}\n");
}

void answers_group(const answers_sink *out, const civic_groups *g, size_t i)
{
    civic_group_stats s = CIVIC_GROUP_STATS_INIT;
    civic_groups_get(g, i, &s);
    put(out, "{\"group\":");
    answers_string(out, s.path);
    key(out, "depth");
    put_u64(out, s.depth);
    key(out, "subjects");
    put_u64(out, s.subjects);
    key(out, "mean");
    answers_points(out, s.mean);
    key(out, "median");
    answers_points(out, s.median);
    key(out, "min");
    answers_points(out, s.min);
    key(out, "max");
    answers_points(out, s.max);
    key(out, "balance");
    answers_points(out, s.balance);
    key(out, "grades");
    put(out, "{");
    for (size_t k = 0; k < civic_groups_grade_count(g); k++) {
        if (k) put(out, ",");
        answers_string(out, civic_groups_grade_name(g, k));
        put(out, ":");
        put_u64(out, s.grade_counts ? s.grade_counts[k] : 0);
    }
    put(out, "}}");
}

void answers_groups(const answers_sink *out, const civic_rules *rules, const civic_groups *g,
                    int64_t as_of)
{
    put(out, "{\"as_of\":");
    answers_time(out, rules, as_of);
    key(out, "groups");
    put(out, "[");
    for (size_t i = 0; i < civic_groups_count(g); i++) {
        put(out, i ? ",\n" : "\n");
        answers_group(out, g, i);
    }
    put(out, "\n]}\n");
}

void answers_rankings_begin(const answers_sink *out) { put(out, "{\"rankings\":["); }

void answers_rankings_row(const answers_sink *out, const char *group, const civic_result *res,
                          size_t i, const civic_score *s, uint32_t flags, int first)
{
    put(out, first ? "\n{\"group\":" : ",\n{\"group\":");
    answers_string(out, group);
    key(out, "rank");
    put_u64(out, s->rank);
    key(out, "subject");
    answers_string(out, s->subject);
    key(out, "score");
    answers_points(out, s->score);
    key(out, "grade");
    answers_string(out, s->grade);
    if (flags & ANSWERS_V2) {
        row_ref r = { res, i };
        tiers(out, &r, s->tier_count, row_tier);
        key(out, "measures");
        answers_flags(out, s->measures);
    }
    put(out, "}");
}

void answers_rankings_end(const answers_sink *out) { put(out, "\n]}\n"); }

void answers_list(const answers_sink *out, const civic_rules *rules, const civic_list *list,
                  const char *name, int64_t as_of)
{
    put(out, "{\"as_of\":");
    answers_time(out, rules, as_of);
    key(out, "list");
    answers_string(out, name);
    key(out, "kind");
    answers_string(out, civic_list_kind(list) == CIVIC_LIST_FLAG ? "flag" : "measure");
    key(out, "subjects");
    put(out, "[");
    for (size_t i = 0; i < civic_list_count(list); i++) {
        civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
        civic_list_get(list, i, &x);
        put(out, i ? ",\n{\"subject\":" : "\n{\"subject\":");
        answers_string(out, x.subject);
        key(out, "group");
        answers_string(out, x.group);
        key(out, "score");
        answers_points(out, x.score);
        key(out, "grade");
        answers_string(out, x.grade);
        key(out, "since");
        if (x.since == CIVIC_NO_TIME) put(out, "null");
        else answers_time(out, rules, x.since);
        key(out, "until");
        if (x.until == CIVIC_NO_TIME) put(out, "null");
        else answers_time(out, rules, x.until);
        put(out, "}");
    }
    put(out, "\n]}\n");
}

void answers_objections(const answers_sink *out, const civic_rules *rules,
                        const answers_objection *rows, size_t n, int64_t as_of)
{
    put(out, "{\"as_of\":");
    answers_time(out, rules, as_of);
    key(out, "objections");
    put(out, "[");
    for (size_t i = 0; i < n; i++) {
        const answers_objection *x = &rows[i];
        put(out, i ? ",\n{\"subject\":" : "\n{\"subject\":");
        answers_string(out, x->subject);
        key(out, "group");
        answers_string(out, x->group);
        key(out, "objection");
        answers_string(out, x->objection);
        key(out, "filed");
        answers_time(out, rules, x->filed);
        key(out, "entry");
        answers_string(out, x->entry);
        key(out, "type");
        answers_string(out, x->type);
        key(out, "state");
        answers_string(out, x->state);
        key(out, "raw");
        answers_points(out, x->raw);
        key(out, "counted");
        answers_points(out, x->counted);
        put(out, "}");
    }
    put(out, "\n]}\n");
}

void answers_error(const answers_sink *out, int code, const civic_error *err)
{
    int has = err && err->message[0];
    put(out, "{\"error\":");
    answers_string(out, civic_strerror(code));
    key(out, "line");
    put_u64(out, has ? err->line : 0);
    key(out, "column");
    put_u64(out, has ? err->column : 0);
    key(out, "reason");
    answers_string(out, has ? err->message : civic_strerror(code));
    put(out, "}");
}

/* ------------------------------------------------------------ groups */

size_t answers_group_prefix(const char *path, uint32_t depth)
{
    if (depth == 0) return 0;
    if (!*path) return SIZE_MAX;
    uint32_t seg = 1;
    size_t i = 0;
    for (; path[i]; i++) {
        if (path[i] != '/') continue;
        if (seg == depth) return i;
        seg++;
    }
    return seg == depth ? i : SIZE_MAX;
}

size_t answers_group_of(const civic_groups *g, uint32_t depth, const char *path)
{
    if (!path) path = "";
    size_t n = answers_group_prefix(path, depth);
    if (n == SIZE_MAX) return SIZE_MAX;
    size_t lo = 0, hi = civic_groups_count(g);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        civic_group_stats s = CIVIC_GROUP_STATS_INIT;
        civic_groups_get(g, mid, &s);
        size_t m = strlen(s.path);
        int cmp = memcmp(s.path, path, m < n ? m : n);
        if (cmp == 0) cmp = m < n ? -1 : m > n;
        if (cmp == 0) return mid;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    return SIZE_MAX;
}

/* ------------------------------------------------------------ text */

size_t utf8_seq(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    if (c == 0) return 0;
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1fu, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0fu, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07u, min = 0x10000;
    else return 0;
    if (left < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

bool utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) return false;
        i += k;
    }
    return true;
}

uint32_t log_format_of(const char *s, size_t n)
{
    size_t i = n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) i++;
    return i < n && s[i] == '{' ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV;
}
