/*
** query.c -- answers about subjects (civic_result): one subject, all
** subjects, rankings; and the engine's counts and time range.
**
** Every answer object (civic_result here, civic_record in record.c,
** civic_groups in groups.c) is built under the engine's read lock and then
** owns copies of all its strings, so it is immutable, may be read from any
** thread, and outlives the engine.  Evaluating all subjects first buckets
** the event indices by subject with a counting sort (one pass to count, one
** to place), then evaluates each subject from its contiguous slice, on
** several threads for large engines.
**
** It does not evaluate (eval.c does).  Invariant: rows come out sorted by
** subject id bytewise whatever the number of threads.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct row {
    const char *subject, *group, *grade, *flags, *measures;
    int64_t score, balance, ceiling;
    uint32_t events, rank, archived; /* an engine holds fewer than 2^32 events */
    uint32_t grade_index, flag_count, measure_count;
} row;

/* The tier names of a scheme, copied so that answers outlive it. */
typedef struct tier_names {
    const char *name;
    const char **levels;
    uint32_t level_count;
    uint32_t places;
} tier_names;

struct civic_result {
    civic_allocator alc;
    civic_arena arena;
    row *rows;
    size_t count, cap;
    int64_t *dims;             /* count x dim_count */
    size_t dims_cap;
    size_t dim_count;
    const char **dim_names;
    const char **grade_names;
    size_t grade_count;
    tier_names *tiers;         /* tier_count entries */
    size_t tier_count;
    int64_t *tier_values;      /* count x tier_count */
    uint32_t *tier_levels;     /* count x tier_count */
    size_t values_cap, levels_cap; /* elements allocated */
};

/* ------------------------------------------------------------ result */

void civic_result_free(civic_result *res)
{
    if (!res) return;
    civic_allocator a = res->alc;
    civic__free(&a, res->rows, res->cap * sizeof(row));
    civic__free(&a, res->dims, res->dims_cap * sizeof(int64_t));
    civic__free(&a, res->dim_names, res->dim_count * sizeof(char *));
    civic__free(&a, res->grade_names, res->grade_count * sizeof(char *));
    for (size_t t = 0; t < res->tier_count && res->tiers; t++)
        civic__free(&a, res->tiers[t].levels, (res->tiers[t].level_count + 1) * sizeof(char *));
    civic__free(&a, res->tiers, (res->tier_count ? res->tier_count : 1) * sizeof(tier_names));
    civic__free(&a, res->tier_values, res->values_cap * sizeof(int64_t));
    civic__free(&a, res->tier_levels, res->levels_cap * sizeof(uint32_t));
    civic__arena_free(&res->arena);
    civic__free(&a, res, sizeof(*res));
}

static const char **copy_names(civic_result *res, const char *const *names, size_t n)
{
    const char **out = civic__calloc(&res->alc, n ? n : 1, sizeof(char *));
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) {
        out[i] = civic__arena_strndup(&res->arena, names[i], strlen(names[i]));
        if (!out[i]) {
            civic__free(&res->alc, out, (n ? n : 1) * sizeof(char *));
            return NULL;
        }
    }
    return out;
}

static int copy_tiers(civic_result *res, const civic_rules *r)
{
    res->tiers = civic__calloc(&res->alc, r->tier_count ? r->tier_count : 1, sizeof(tier_names));
    if (!res->tiers) return CIVIC_E_NOMEM;
    res->tier_count = r->tier_count;
    for (size_t t = 0; t < r->tier_count; t++) {
        const civic_tier *src = &r->tiers[t];
        tier_names *dst = &res->tiers[t];
        dst->places = src->measure == CIVIC_TIER_QTY ? 3 : 2;
        dst->levels = civic__calloc(&res->alc, src->level_count + 1, sizeof(char *));
        if (!dst->levels) return CIVIC_E_NOMEM;
        dst->level_count = src->level_count;
        dst->name = civic__arena_strndup(&res->arena, src->name, strlen(src->name));
        if (!dst->name) return CIVIC_E_NOMEM;
        for (size_t l = 0; l < src->level_count; l++) {
            const char *n = src->levels[l].name;
            if (!(dst->levels[l] = civic__arena_strndup(&res->arena, n, strlen(n))))
                return CIVIC_E_NOMEM;
        }
    }
    return CIVIC_OK;
}

static civic_result *result_new(const civic_engine *e)
{
    const civic_rules *r = e->rules;
    civic_result *res = civic__calloc(&e->alc, 1, sizeof(*res));
    if (!res) return NULL;
    res->alc = e->alc;
    civic__arena_init(&res->arena, &res->alc, (size_t)1 << 16);
    res->dim_count = r->dimension_count;
    res->grade_count = r->grade_count;
    const char **grades = civic__malloc(&res->alc, r->grade_count * sizeof(char *));
    if (grades) {
        for (size_t i = 0; i < r->grade_count; i++) grades[i] = r->grades[i].name;
        res->grade_names = copy_names(res, grades, r->grade_count);
        civic__free(&res->alc, grades, r->grade_count * sizeof(char *));
    }
    res->dim_names = copy_names(res, r->dimensions, r->dimension_count);
    if (copy_tiers(res, r) != CIVIC_OK) {
        civic_result_free(res);
        return NULL;
    }
    if (!res->grade_names || !res->dim_names) {
        if (!res->grade_names) res->grade_count = 0;
        if (!res->dim_names) res->dim_count = 0;
        civic_result_free(res);
        return NULL;
    }
    return res;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ';'-joined sorted flags of the subject just evaluated. */
static const char *join_flags(civic_result *res, const civic_eval *ev, uint32_t count)
{
    const civic_rules *r = ev->r;
    if (count == 0) return "";
    const char *list[64];
    const char **names = count <= 64 ? list : civic__malloc(&res->alc, count * sizeof(char *));
    if (!names) return NULL;
    size_t n = 0, bytes = 0;
    for (uint32_t f = 0; f < r->flag_count && n < count; f++) {
        if (ev->flag_marks[f] != ev->stamp) continue;
        names[n++] = r->flags[f];
        bytes += strlen(r->flags[f]) + 1;
    }
    if (n > 1) qsort(names, n, sizeof(char *), compare_names);
    char *out = civic__arena_alloc(&res->arena, bytes, 1);
    if (out) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(names[i]);
            if (i) out[at++] = ';';
            memcpy(out + at, names[i], len);
            at += len;
        }
        out[at] = '\0';
    }
    if (names != list) civic__free(&res->alc, names, count * sizeof(char *));
    return out;
}

/* The ';'-joined sorted codes of the measures that apply (11.2). */
static const char *join_measures(civic_result *res, const civic_eval *ev, uint32_t count)
{
    const civic_rules *r = ev->r;
    if (count == 0) return "";
    const char **names = civic__malloc(&res->alc, count * sizeof(char *));
    if (!names) return NULL;
    size_t n = 0, bytes = 0;
    CIVIC_ASSERT(count == ev->measure_listed);
    for (uint32_t i = 0; i < count; i++) {
        const char *code = r->measures[ev->measure_list[i]].code;
        names[n++] = code;
        bytes += strlen(code) + 1;
    }
    if (n > 1) qsort(names, n, sizeof(char *), compare_names);
    char *out = civic__arena_alloc(&res->arena, bytes, 1);
    if (out) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            size_t len = strlen(names[i]);
            if (i) out[at++] = ';';
            memcpy(out + at, names[i], len);
            at += len;
        }
        out[at] = '\0';
    }
    civic__free(&res->alc, names, count * sizeof(char *));
    return out;
}

static const char *lp_copy(civic_result *res, const char *lp)
{
    if (!lp) return "";
    return civic__arena_strndup(&res->arena, lp, civic__lp_len(lp));
}

/* Room for the tiers of `rows` rows. */
static int tiers_grow(civic_result *res, size_t rows)
{
    size_t need = rows * res->tier_count;
    if (civic__grow(&res->alc, (void **)&res->tier_values, &res->values_cap, need,
                    sizeof(int64_t)) != CIVIC_OK ||
        civic__grow(&res->alc, (void **)&res->tier_levels, &res->levels_cap, need,
                    sizeof(uint32_t)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

/* Append the answer just computed by ev for `subject` (length-prefixed). */
static int result_add(civic_result *res, const civic_eval *ev, const char *subject,
                      const civic_answer *a)
{
    const civic_engine *e = ev->e;
    if (civic__grow(&res->alc, (void **)&res->rows, &res->cap, res->count + 1, sizeof(row)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    size_t need = (res->count + 1) * res->dim_count;
    if (res->dim_count &&
        civic__grow(&res->alc, (void **)&res->dims, &res->dims_cap, need, sizeof(int64_t)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    if (res->tier_count && tiers_grow(res, res->count + 1) != CIVIC_OK) return CIVIC_E_NOMEM;
    row *w = &res->rows[res->count];
    w->subject = lp_copy(res, subject);
    w->group = a->group == CIVIC_NONE ? "" : lp_copy(res, e->groups[a->group].text);
    w->flags = join_flags(res, ev, a->flag_count);
    w->measures = join_measures(res, ev, a->measure_count);
    if (!w->subject || !w->group || !w->flags || !w->measures) return CIVIC_E_NOMEM;
    w->measure_count = a->measure_count;
    w->archived = (uint32_t)a->archived;
    if (res->tier_count) {
        memcpy(res->tier_values + res->count * res->tier_count, ev->tier_value,
               res->tier_count * sizeof(int64_t));
        memcpy(res->tier_levels + res->count * res->tier_count, ev->tier_level,
               res->tier_count * sizeof(uint32_t));
    }
    w->grade = res->grade_names[a->grade];
    w->grade_index = a->grade;
    w->score = a->score;
    w->balance = a->balance;
    w->ceiling = a->ceiling;
    w->events = (uint32_t)a->events;
    w->rank = 0;
    w->flag_count = a->flag_count;
    if (res->dim_count)
        memcpy(res->dims + res->count * res->dim_count, ev->dims, res->dim_count * sizeof(int64_t));
    res->count++;
    return CIVIC_OK;
}

size_t civic_result_count(const civic_result *res) { return res ? res->count : 0; }
size_t civic_result_dimension_count(const civic_result *res) { return res ? res->dim_count : 0; }

const char *civic_result_dimension_name(const civic_result *res, size_t d)
{
    return res && d < res->dim_count ? res->dim_names[d] : NULL;
}

static const civic_field score_fields[] = {
    CIVIC_FIELD(civic_score, grade_index, 1), CIVIC_FIELD(civic_score, subject, 1),
    CIVIC_FIELD(civic_score, group, 1),       CIVIC_FIELD(civic_score, grade, 1),
    CIVIC_FIELD(civic_score, flags, 1),       CIVIC_FIELD(civic_score, score, 1),
    CIVIC_FIELD(civic_score, balance, 1),     CIVIC_FIELD(civic_score, ceiling, 1),
    CIVIC_FIELD(civic_score, events, 1),      CIVIC_FIELD(civic_score, flag_count, 1),
    CIVIC_FIELD(civic_score, dimension_count, 1), CIVIC_FIELD(civic_score, rank, 1),
    CIVIC_FIELD(civic_score, measures, 2),    CIVIC_FIELD(civic_score, measure_count, 2),
    CIVIC_FIELD(civic_score, tier_count, 2),  CIVIC_FIELD(civic_score, archived, 2),
};

int civic__score_put(const civic_score *full, civic_score *out)
{
    if (out->version < 1 || out->version > CIVIC_SCORE_VERSION) return CIVIC_E_VERSION;
    civic__copy_fields(out, full, score_fields, CIVIC_FIELD_COUNT(score_fields), out->version);
    return CIVIC_OK;
}

int civic_result_get(const civic_result *res, size_t i, civic_score *out)
{
    if (!res || !out || i >= res->count) return CIVIC_E_INVALID;
    const row *w = &res->rows[i];
    civic_score s = { CIVIC_SCORE_VERSION, w->grade_index, w->subject, w->group, w->grade,
                      w->flags, w->score, w->balance, w->ceiling, w->events, w->flag_count,
                      (uint32_t)res->dim_count, w->rank, w->measures, w->measure_count,
                      (uint32_t)res->tier_count, w->archived };
    return civic__score_put(&s, out);
}

/* Fill a tier value from a row's stored value and level (record.c too). */
void civic__tier_fill(const civic_result *res, size_t i, size_t t, civic_tier_value *out)
{
    const tier_names *tn = &res->tiers[t];
    uint32_t level = res->tier_levels[i * res->tier_count + t];
    out->level = level;
    out->tier = tn->name;
    out->level_name = level == CIVIC_LEVEL_NONE ? NULL : tn->levels[level];
    out->value = res->tier_values[i * res->tier_count + t];
    out->places = tn->places;
    out->reserved = 0;
}

int civic_result_tier(const civic_result *res, size_t i, size_t t, civic_tier_value *out)
{
    if (!res || !out || i >= res->count || t >= res->tier_count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_TIER_VALUE_VERSION) return CIVIC_E_VERSION;
    civic__tier_fill(res, i, t, out);
    return CIVIC_OK;
}

int civic_result_dimension(const civic_result *res, size_t i, size_t d, int64_t *out)
{
    if (!res || !out || i >= res->count || d >= res->dim_count) return CIVIC_E_INVALID;
    *out = res->dims[i * res->dim_count + d];
    return CIVIC_OK;
}

/* ------------------------------------------------------------ counts */

uint64_t civic_engine_event_count(const civic_engine *e)
{
    if (!e) return 0;
    civic__engine_read_begin(e);
    uint64_t n = e->event_count;
    civic__engine_read_end(e);
    return n;
}

uint64_t civic_engine_subject_count(const civic_engine *e)
{
    if (!e) return 0;
    civic__engine_read_begin(e);
    uint64_t n = e->subject_count;
    /* A purge may leave a subject without events (its tombstones keep its
     * id): it is no longer held.  Only then are the subjects counted. */
    if (e->tombs.count) {
        n = 0;
        for (uint32_t s = 0; s < e->subject_count; s++) n += e->subjects[s].count > 0;
    }
    civic__engine_read_end(e);
    return n;
}

int civic_engine_time_range(const civic_engine *e, int64_t *first, int64_t *last)
{
    if (!e) return CIVIC_E_INVALID;
    civic__engine_read_begin(e);
    int rc = e->event_count ? CIVIC_OK : CIVIC_E_INVALID;
    if (rc == CIVIC_OK && first) *first = e->ts_min;
    if (rc == CIVIC_OK && last) *last = e->ts_max;
    civic__engine_read_end(e);
    return rc;
}

/* ------------------------------------------------------------ one subject */

/* The subject's event indices in arrival order, into a fresh array: logs
 * mostly arrive in time order, which is what evaluation's sort likes. */
static int subject_events(const civic_engine *e, uint32_t s, uint32_t **out, size_t *n)
{
    const civic_subject *sub = &e->subjects[s];
    uint32_t *list = civic__malloc(&e->alc, (sub->count ? sub->count : 1) * sizeof(uint32_t));
    if (!list) return CIVIC_E_NOMEM;
    size_t k = sub->count;
    for (uint32_t i = sub->last; i != CIVIC_NONE && k > 0; i = e->events[i].prev)
        list[--k] = i; /* the chain runs newest first */
    CIVIC_ASSERT(k == 0);
    k = sub->count;
    *out = list;
    *n = k;
    return CIVIC_OK;
}

/* Evaluate subject s from its events, through the fold cache when s is busy
 * enough: a fold valid at ev->as_of gives the answer without the events;
 * otherwise the full evaluation offers its fold for the next query.  The
 * record (want_items) needs the items and always evaluates in full. */
static int eval_known(civic_eval *ev, uint32_t s, civic_answer *a)
{
    const civic_engine *e = ev->e;
    bool cached = !ev->want_items && civic__cache_wants(e, s);
    if (cached) {
        const civic_fold *f = civic__cache_get(e, s, ev->as_of);
        if (f) {
            int rc = civic__eval_cached(ev, f, a);
            civic__cache_release(e, f);
            return rc;
        }
    }
    uint32_t *list = NULL;
    size_t n = 0;
    if (subject_events(e, s, &list, &n) != CIVIC_OK) return CIVIC_E_NOMEM;
    int rc = civic__eval_subject(ev, list, n, a);
    if (rc == CIVIC_OK && cached) {
        civic_fold *f = civic__eval_fold(ev, a);
        if (f) {
            civic__cache_key(e, s, &f->key);
            civic__cache_put(e, f);
        }
    }
    civic__free(&e->alc, list, (n ? n : 1) * sizeof(uint32_t));
    return rc;
}

/* Evaluate one subject (by id, at most CIVIC_ID_BYTES_MAX bytes) into ev;
 * an unknown subject is evaluated with no events. */
static int eval_one(civic_eval *ev, const char *subject, size_t len, civic_answer *a)
{
    const civic_engine *e = ev->e;
    uint32_t s = len ? civic__subject_find(e, subject, len) : CIVIC_NONE;
    if (s != CIVIC_NONE) return eval_known(ev, s, a);
    return civic__eval_subject(ev, NULL, 0, a);
}

int civic__subject_answer(const civic_engine *e, civic_eval *ev, const char *subject,
                          civic_answer *a, civic_result **out)
{
    char lp_buf[CIVIC_ID_BYTES_MAX + 2];
    size_t len = strlen(subject);
    if (len > CIVIC_ID_BYTES_MAX) return CIVIC_E_LIMIT; /* no subject has such an id */
    civic_result *res = result_new(e);
    if (!res) return CIVIC_E_NOMEM;
    int rc = eval_one(ev, subject, len, a);
    if (rc == CIVIC_OK) {
        /* The row names the subject as asked (it may be unknown). */
        lp_buf[0] = (char)len;
        memcpy(lp_buf + 1, subject, len);
        lp_buf[len + 1] = '\0';
        rc = result_add(res, ev, lp_buf + 1, a);
    }
    if (rc != CIVIC_OK) {
        civic_result_free(res);
        return rc;
    }
    *out = res;
    return CIVIC_OK;
}

int civic_engine_subject(const civic_engine *e, const char *subject, int64_t as_of,
                         civic_result **out)
{
    if (out) *out = NULL;
    if (!e || !subject || !out) return CIVIC_E_INVALID;
    civic_eval ev;
    civic_answer a;
    civic__engine_read_begin(e);
    int rc = as_of < e->purge_horizon ? CIVIC_E_PURGED : civic__eval_init(&ev, e, as_of, false);
    if (rc == CIVIC_OK) {
        rc = civic__subject_answer(e, &ev, subject, &a, out);
        civic__eval_free(&ev);
    }
    civic__engine_read_end(e);
    return rc;
}

/* ------------------------------------------------------------ all subjects */


/* Subjects are sorted by id.  Most comparisons are decided by the ids'
 * first 8 bytes, read beforehand into one integer per subject (big-endian,
 * zero-padded: their order is the ids' order, since an id holds no zero
 * byte before its end); only equal prefixes read the ids themselves. */
typedef struct subject_order {
    const civic_engine *e;
    const uint64_t *prefix;    /* per subject */
} subject_order;

static uint64_t id_prefix(const char *id)
{
    size_t n = civic__lp_len(id);
    uint64_t k = 0;
    for (size_t i = 0; i < 8; i++) k = k << 8 | (i < n ? (unsigned char)id[i] : 0);
    return k;
}

static int compare_subjects(const void *a, const void *b, const void *ctx)
{
    const subject_order *so = ctx;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    if (so->prefix[i] != so->prefix[j]) return so->prefix[i] < so->prefix[j] ? -1 : 1;
    const char *x = so->e->subjects[i].id, *y = so->e->subjects[j].id;
    size_t nx = civic__lp_len(x), ny = civic__lp_len(y);
    int c = memcmp(x, y, nx < ny ? nx : ny);
    return c ? c : (nx < ny ? -1 : nx > ny);
}

/* A small merge sort with a context (qsort_r is not in C11). */
static void sort_ctx(uint32_t *v, uint32_t *tmp, size_t n,
                     int (*cmp)(const void *, const void *, const void *), const void *ctx)
{
    if (n < 2) return;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            size_t j = i;
            while (j > 0 && cmp(&v[j - 1], &x, ctx) > 0) { v[j] = v[j - 1]; j--; }
            v[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    sort_ctx(v, tmp, h, cmp, ctx);
    sort_ctx(v + h, tmp, n - h, cmp, ctx);
    if (cmp(&v[h - 1], &v[h], ctx) <= 0) return;
    memcpy(tmp, v, h * sizeof(uint32_t));
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) v[k++] = cmp(&v[j], &tmp[i], ctx) < 0 ? v[j++] : tmp[i++];
    while (i < h) v[k++] = tmp[i++];
}

/* order[0, ns): every subject, by id. */
static int sort_subjects(const civic_engine *e, uint32_t *order, uint32_t *tmp, size_t ns)
{
    uint64_t *prefix = civic__malloc(&e->alc, (ns ? ns : 1) * sizeof(uint64_t));
    if (!prefix) return CIVIC_E_NOMEM;
    for (size_t s = 0; s < ns; s++) {
        order[s] = (uint32_t)s;
        prefix[s] = id_prefix(e->subjects[s].id);
    }
    subject_order so = { e, prefix };
    sort_ctx(order, tmp, ns, compare_subjects, &so);
    civic__free(&e->alc, prefix, (ns ? ns : 1) * sizeof(uint64_t));
    return CIVIC_OK;
}

/* Room for `n` rows in res: rows, dimensions and tiers, allocated once. */
static int result_reserve(civic_result *res, size_t n)
{
    if (civic__grow(&res->alc, (void **)&res->rows, &res->cap, n, sizeof(row)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    if (res->dim_count && n &&
        civic__grow(&res->alc, (void **)&res->dims, &res->dims_cap, n * res->dim_count,
                    sizeof(int64_t)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    if (res->tier_count && n && tiers_grow(res, n) != CIVIC_OK) return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

/* Let part (a result of its own, for its strings) write its rows into
 * [at, at + n) of dst's arrays, which dst owns and has room for. */
static void result_lend(civic_result *part, civic_result *dst, size_t at, size_t n)
{
    part->rows = dst->rows + at;
    part->cap = n;
    if (dst->dim_count) {
        part->dims = dst->dims + at * dst->dim_count;
        part->dims_cap = n * dst->dim_count;
    }
    if (dst->tier_count) {
        part->tier_values = dst->tier_values + at * dst->tier_count;
        part->tier_levels = dst->tier_levels + at * dst->tier_count;
        part->values_cap = part->levels_cap = n * dst->tier_count;
    }
}

/* Forget the arrays lent to part: they are not its own to free. */
static void result_unlend(civic_result *part)
{
    part->rows = NULL;
    part->dims = NULL;
    part->tier_values = NULL;
    part->tier_levels = NULL;
    part->cap = part->dims_cap = part->values_cap = part->levels_cap = 0;
    part->count = 0;
}

/* Move the rows part wrote into dst's arrays (result_lend) down behind
 * dst's own, and its arena under dst's; part then owns no rows. */
static void result_take(civic_result *dst, civic_result *part)
{
    size_t n = part->count, tc = dst->tier_count, dc = dst->dim_count;
    memmove(dst->rows + dst->count, part->rows, n * sizeof(row));
    if (dc) memmove(dst->dims + dst->count * dc, part->dims, n * dc * sizeof(int64_t));
    if (tc) {
        memmove(dst->tier_values + dst->count * tc, part->tier_values, n * tc * sizeof(int64_t));
        memmove(dst->tier_levels + dst->count * tc, part->tier_levels, n * tc * sizeof(uint32_t));
    }
    dst->count += n;
    /* splice part's arena chunks under dst's: the row strings stay where they are */
    civic_arena_chunk *bottom = part->arena.top;
    while (bottom && bottom->prev) bottom = bottom->prev;
    if (bottom) {
        bottom->prev = dst->arena.top;
        dst->arena.top = part->arena.top;
        dst->arena.total_bytes += part->arena.total_bytes;
        part->arena.top = NULL;
        part->arena.total_bytes = 0;
    }
    result_unlend(part);
}

/* One slice of the subjects, evaluated by one thread into its own result,
 * with scratch (ev) that outlives the slice: a second pass reuses it. */
typedef struct eval_part {
    const civic_engine *e;
    int64_t as_of;
    const uint32_t *order, *bucket;
    const uint32_t *start;
    size_t from, to;
    size_t most;               /* the most events any subject of the answer holds */
    civic_result *res;
    civic_eval *ev;            /* initialised on first use; the caller frees it */
    int rc;
} eval_part;

static void *eval_part_run(void *arg)
{
    eval_part *part = arg;
    const civic_engine *e = part->e;
    civic_eval *ev = part->ev;
    if (!ev->e && (part->rc = civic__eval_init(ev, e, part->as_of, false)) != CIVIC_OK)
        return NULL;
    /* Room for the busiest subject of the whole answer, made once: room
     * grown slice by slice left freed blocks behind in malloc's heap (peak
     * RSS up by 20 MB in some runs at 10M events).  Pages not
     * written are not resident. */
    if ((part->rc = civic__eval_reserve(ev, part->most)) != CIVIC_OK) return NULL;
    for (size_t k = part->from; k < part->to && part->rc == CIVIC_OK; k++) {
        uint32_t s = part->order[k];
        if (k + 1 < part->to) { /* the next subject's first events, while this one is scored */
            uint32_t t = part->order[k + 1];
            const uint32_t *list = part->bucket + part->start[t];
            size_t c = e->subjects[t].count < 16 ? e->subjects[t].count : 16;
            for (size_t j = 0; j < c; j++) __builtin_prefetch(&e->events[list[j]]);
        }
        civic_answer a;
        part->rc = civic__eval_subject(ev, part->bucket + part->start[s], e->subjects[s].count, &a);
        if (part->rc == CIVIC_OK && a.events > 0)
            part->rc = result_add(part->res, ev, e->subjects[s].id, &a);
    }
    return NULL;
}

#define EVAL_PARTS_MAX 8
#define EVAL_PARALLEL_SUBJECTS_MIN 4096
/* Slices a thread: the threads take them in turn as they finish, so one
 * that is slower (more faults, a busier core) takes fewer.  With one slice
 * each, the first thread's half took up to 45 ms longer than the second's
 * on a 250 ms pass. */
#define EVAL_SLICES_PER_THREAD 16
#define EVAL_SLICES_MAX (EVAL_PARTS_MAX * EVAL_SLICES_PER_THREAD)

/* The slices of one evaluate_parts call, handed out in order. */
typedef struct eval_pool {
    pthread_mutex_t mu;
    eval_part *slices;
    size_t count, next;        /* under mu */
    bool failed;               /* under mu: a slice failed, take no more */
} eval_pool;

typedef struct eval_worker {
    eval_pool *pool;
    civic_eval *ev;            /* this thread's scratch */
} eval_worker;

static void *eval_worker_run(void *arg)
{
    eval_worker *w = arg;
    eval_pool *pool = w->pool;
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        size_t i = pool->failed ? pool->count : pool->next;
        if (i < pool->count) pool->next++;
        pthread_mutex_unlock(&pool->mu);
        if (i >= pool->count) return NULL;
        eval_part *slice = &pool->slices[i];
        slice->ev = w->ev;
        eval_part_run(slice);
        if (slice->rc != CIVIC_OK) {
            pthread_mutex_lock(&pool->mu);
            pool->failed = true;
            pthread_mutex_unlock(&pool->mu);
        }
    }
}

/* Evaluate the ns subjects in `order` and append their rows to res, in
 * that order, on several threads when the engine allows it and the work
 * is large enough; evs[i] is thread i's scratch. */
static int evaluate_parts(const civic_engine *e, int64_t as_of, const uint32_t *order,
                          const uint32_t *bucket, const uint32_t *start, size_t ns,
                          size_t most, civic_result *res, civic_eval *evs)
{
    size_t k = e->threads < EVAL_PARTS_MAX ? e->threads : EVAL_PARTS_MAX;
    if (k < 2 || ns < EVAL_PARALLEL_SUBJECTS_MIN) k = 1;
    size_t m = k == 1 ? 1 : k * EVAL_SLICES_PER_THREAD; /* slices */
    eval_part slices[EVAL_SLICES_MAX];
    pthread_t tid[EVAL_PARTS_MAX];
    eval_worker workers[EVAL_PARTS_MAX];
    bool started[EVAL_PARTS_MAX] = { false };
    eval_pool pool = { .slices = slices, .count = 0, .next = 0, .failed = false };
    int rc = CIVIC_OK;
    /* Equal shares of events, not of subjects: a few subjects may hold
     * most of them. */
    size_t cut[EVAL_SLICES_MAX + 1] = { 0 };
    cut[m] = ns;
    uint64_t total = 0, seen = 0;
    for (size_t j = 0; j < ns; j++) total += e->subjects[order[j]].count;
    for (size_t j = 0, i = 1; j < ns && i < m; j++) {
        seen += e->subjects[order[j]].count;
        while (i < m && seen * m >= total * i) cut[i++] = j + 1;
    }
    /* Every slice writes its rows into its own stretch of res's arrays,
     * sized once for all subjects: moving them together afterwards needs no
     * second copy of the rows (with a million subjects, ~100 MB). */
    size_t base = res->count;
    if (result_reserve(res, base + ns) != CIVIC_OK) rc = CIVIC_E_NOMEM;
    for (size_t i = 0; i < m; i++) {
        slices[i] = (eval_part){ e, as_of, order, bucket, start, cut[i], cut[i + 1], most,
                                 i == 0 ? res : result_new(e), NULL, CIVIC_OK };
        if (!slices[i].res) rc = CIVIC_E_NOMEM;
        else if (i > 0 && rc == CIVIC_OK)
            result_lend(slices[i].res, res, base + cut[i], cut[i + 1] - cut[i]);
    }
    if (rc == CIVIC_OK) {
        pool.count = m;
        if (pthread_mutex_init(&pool.mu, NULL) != 0) rc = CIVIC_E_NOMEM;
    }
    if (rc == CIVIC_OK) {
        /* Fewer threads than asked (even none) is slower, never wrong. */
        for (size_t i = 0; i < k; i++) workers[i] = (eval_worker){ &pool, &evs[i] };
        for (size_t i = 1; i < k; i++)
            started[i] = civic__thread_create(&tid[i], eval_worker_run, &workers[i]) == 0;
        eval_worker_run(&workers[0]);
        for (size_t i = 1; i < k; i++)
            if (started[i]) pthread_join(tid[i], NULL);
        pthread_mutex_destroy(&pool.mu);
    }
    /* Slices are taken in order, so any slice left untaken comes after the
     * one that failed: the first failure in order is the answer. */
    for (size_t i = 0; i < m; i++) {
        if (rc == CIVIC_OK) rc = slices[i].rc;
        if (i > 0 && slices[i].res) {
            if (rc == CIVIC_OK) result_take(res, slices[i].res);
            else result_unlend(slices[i].res);
            civic_result_free(slices[i].res);
        }
    }
    return rc;
}

/* Bucketing events by subject (a counting sort; each subject's run stays in
 * insertion order) reads the whole event array.  With a second thread, the
 * back half fills each run from its end downwards while the front half
 * fills it from its start: no counting pass, and the same result.
 *
 * A pass may bucket only some subjects: the others' `next` holds the
 * pass's skip slot, past every run, which they overwrite without moving
 * (no branch on a random subject).  The front and the back skip slots lie
 * SKIP_GAP slots apart, so the two threads never write one cache line. */
#define SKIP_GAP 16

typedef struct scatter_job {
    const civic_engine *e;
    uint32_t *bucket;
    size_t *next;      /* per subject: front, the next free slot; back, one past it */
    size_t skip;       /* where subjects outside the pass write */
    size_t from, to;   /* events */
} scatter_job;

static void *scatter_front(void *arg)
{
    scatter_job *j = arg;
    const civic_ev *ev = j->e->events;
    for (size_t i = j->from; i < j->to; i++) {
        size_t *at = &j->next[ev[i].subject], a = *at;
        j->bucket[a] = (uint32_t)i;
        *at = a + (a != j->skip);
    }
    return NULL;
}

static void *scatter_back(void *arg)
{
    scatter_job *j = arg;
    const civic_ev *ev = j->e->events;
    for (size_t i = j->to; i > j->from; i--) {
        size_t *end = &j->next[ev[i - 1].subject], b = *end - (*end != j->skip);
        j->bucket[b] = (uint32_t)(i - 1);
        *end = b;
    }
    return NULL;
}

#define SCATTER_PARALLEL_EVENTS_MIN ((size_t)1 << 16)

/* Evaluate every subject with an event at or before as_of, in id order. */
static int evaluate_all(const civic_engine *e, int64_t as_of, civic_result *res)
{
    size_t ns = e->subject_count, ne = e->event_count;
    size_t passes = ne >= e->two_pass_events && ns >= 2 ? 2 : 1;
    size_t pcut[3] = { 0, ns, ns }, len[2] = { ne, 0 }, most = 0;
    for (size_t s = 0; s < ns; s++)
        if (e->subjects[s].count > most) most = e->subjects[s].count;
    uint32_t *start = civic__malloc(&e->alc, (ns ? ns : 1) * sizeof(uint32_t));
    size_t *at = civic__malloc(&e->alc, (ns ? ns : 1) * sizeof(size_t));
    size_t *end = civic__malloc(&e->alc, (ns ? ns : 1) * sizeof(size_t));
    uint32_t *order = civic__malloc(&e->alc, (ns ? ns : 1) * sizeof(uint32_t));
    uint32_t *tmp = civic__malloc(&e->alc, (ns ? ns : 1) * sizeof(uint32_t));
    uint32_t *bucket = NULL;
    size_t bucket_len = 0;
    civic_eval evs[EVAL_PARTS_MAX];
    memset(evs, 0, sizeof(evs));
    int rc = CIVIC_E_NOMEM;
    if (!start || !at || !end || !order || !tmp) goto done;
    if (passes == 2) {
        /* the passes are halves of the rows, so the order comes first */
        if (sort_subjects(e, order, tmp, ns) != CIVIC_OK) goto done;
        size_t half = 0, first = 0; /* the first pass: at most half the events, one subject at least */
        while (half + 1 < ns && 2 * (first + e->subjects[order[half]].count) <= ne)
            first += e->subjects[order[half++]].count;
        if (half == 0) first = e->subjects[order[half++]].count;
        pcut[1] = half;
        len[0] = first;
        len[1] = ne - first;
    }
    bucket_len = (len[0] > len[1] ? len[0] : len[1]) + SKIP_GAP + 1;
    /* written at random, a subject's stretch at a time: huge pages take a
     * fault per 2 MiB instead of per 4 KiB */
    bucket = civic__advise_random(&e->alc, civic__malloc(&e->alc, bucket_len * sizeof(uint32_t)),
                                  bucket_len * sizeof(uint32_t));
    if (!bucket) goto done;
    rc = CIVIC_OK;
    for (size_t p = 0; p < passes; p++) {
        size_t skip = len[p], pos = 0;
        if (passes == 1) {
            for (size_t s = 0; s < ns; s++) {
                start[s] = (uint32_t)pos; /* < 2^32 */
                at[s] = pos;
                end[s] = pos += e->subjects[s].count;
            }
        } else {
            for (size_t s = 0; s < ns; s++) {
                at[s] = skip;
                end[s] = skip + SKIP_GAP;
            }
            for (size_t k = pcut[p]; k < pcut[p + 1]; k++) {
                uint32_t s = order[k];
                start[s] = (uint32_t)pos;
                at[s] = pos;
                end[s] = pos += e->subjects[s].count;
            }
        }
        scatter_job front = { e, bucket, at, skip, 0, ne };
        scatter_job back = { e, bucket, end, skip + SKIP_GAP, ne / 2, ne };
        pthread_t tid;
        bool started = false;
        if (e->threads >= 2 && ne >= SCATTER_PARALLEL_EVENTS_MIN) {
            started = civic__thread_create(&tid, scatter_back, &back) == 0;
            if (started) front.to = ne / 2;
        }
        scatter_front(&front);
        if (passes == 1) rc = sort_subjects(e, order, tmp, ns);
        if (started) pthread_join(tid, NULL);
        if (rc != CIVIC_OK) break;
        if (p + 1 == passes) {
            /* what only the bucketing needed goes before the last rows are made */
            civic__free(&e->alc, at, (ns ? ns : 1) * sizeof(size_t));
            civic__free(&e->alc, end, (ns ? ns : 1) * sizeof(size_t));
            civic__free(&e->alc, tmp, (ns ? ns : 1) * sizeof(uint32_t));
            at = end = NULL;
            tmp = NULL;
        }
        rc = evaluate_parts(e, as_of, order + pcut[p], bucket, start, pcut[p + 1] - pcut[p], most,
                            res, evs);
        if (rc != CIVIC_OK) break;
    }
done:
    for (size_t i = 0; i < EVAL_PARTS_MAX; i++) civic__eval_free(&evs[i]);
    civic__free(&e->alc, start, (ns ? ns : 1) * sizeof(uint32_t));
    civic__free(&e->alc, at, (ns ? ns : 1) * sizeof(size_t));
    civic__free(&e->alc, end, (ns ? ns : 1) * sizeof(size_t));
    civic__free(&e->alc, bucket, bucket_len * sizeof(uint32_t));
    civic__free(&e->alc, order, (ns ? ns : 1) * sizeof(uint32_t));
    civic__free(&e->alc, tmp, (ns ? ns : 1) * sizeof(uint32_t));
    return rc;
}

int civic_engine_subjects(const civic_engine *e, int64_t as_of, civic_result **out)
{
    if (out) *out = NULL;
    if (!e || !out) return CIVIC_E_INVALID;
    civic_result *res = result_new(e);
    if (!res) return CIVIC_E_NOMEM;
    civic__engine_read_begin(e);
    int rc = as_of < e->purge_horizon ? CIVIC_E_PURGED : evaluate_all(e, as_of, res);
    civic__engine_read_end(e);
    if (rc != CIVIC_OK) {
        civic_result_free(res);
        return rc;
    }
    *out = res;
    return CIVIC_OK;
}

/* ------------------------------------------------------------ ranking */

static bool in_group(const char *group, const char *prefix, size_t n)
{
    if (n == 0) return true;
    return strncmp(group, prefix, n) == 0 && (group[n] == '\0' || group[n] == '/');
}

static int compare_rank(const void *a, const void *b, const void *ctx)
{
    const civic_result *res = ctx;
    const row *x = &res->rows[*(const uint32_t *)a], *y = &res->rows[*(const uint32_t *)b];
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return strcmp(x->subject, y->subject);
}

/* Keep the rows in `group`, ordered best first, at most top (0: all). */
static int rank_rows(civic_result *res, const char *group, uint64_t top)
{
    size_t n = res->count, glen = group ? strlen(group) : 0, k = 0;
    uint32_t *order = civic__malloc(&res->alc, (n ? n : 1) * sizeof(uint32_t));
    uint32_t *tmp = civic__malloc(&res->alc, (n ? n : 1) * sizeof(uint32_t));
    row *rows = civic__malloc(&res->alc, (n ? n : 1) * sizeof(row));
    int64_t *dims = res->dim_count ? civic__malloc(&res->alc, (n ? n : 1) * res->dim_count * sizeof(int64_t)) : NULL;
    size_t tc = res->tier_count, tn = (n ? n : 1) * tc;
    int64_t *tv = tc ? civic__malloc(&res->alc, tn * sizeof(int64_t)) : NULL;
    uint32_t *tl = tc ? civic__malloc(&res->alc, tn * sizeof(uint32_t)) : NULL;
    int rc = CIVIC_E_NOMEM;
    if (!order || !tmp || !rows || (res->dim_count && !dims) || (tc && (!tv || !tl))) goto done;
    for (size_t i = 0; i < n; i++)
        if (in_group(res->rows[i].group, group, glen)) order[k++] = (uint32_t)i;
    sort_ctx(order, tmp, k, compare_rank, res);
    if (top && top < k) k = (size_t)top;
    for (size_t i = 0; i < k; i++) {
        rows[i] = res->rows[order[i]];
        rows[i].rank = (uint32_t)(i + 1);
        if (res->dim_count)
            memcpy(dims + i * res->dim_count, res->dims + order[i] * res->dim_count,
                   res->dim_count * sizeof(int64_t));
        if (tc) {
            memcpy(tv + i * tc, res->tier_values + order[i] * tc, tc * sizeof(int64_t));
            memcpy(tl + i * tc, res->tier_levels + order[i] * tc, tc * sizeof(uint32_t));
        }
    }
    civic__free(&res->alc, res->tier_values, res->values_cap * sizeof(int64_t));
    civic__free(&res->alc, res->tier_levels, res->levels_cap * sizeof(uint32_t));
    res->tier_values = tv;
    res->tier_levels = tl;
    res->values_cap = res->levels_cap = tc ? tn : 0;
    tv = NULL;
    tl = NULL;
    civic__free(&res->alc, res->rows, res->cap * sizeof(row));
    civic__free(&res->alc, res->dims, res->dims_cap * sizeof(int64_t));
    res->rows = rows;
    res->cap = n ? n : 1;
    res->dims = dims;
    res->dims_cap = dims ? (n ? n : 1) * res->dim_count : 0;
    res->count = k;
    rows = NULL;
    dims = NULL;
    rc = CIVIC_OK;
done:
    civic__free(&res->alc, order, (n ? n : 1) * sizeof(uint32_t));
    civic__free(&res->alc, tmp, (n ? n : 1) * sizeof(uint32_t));
    civic__free(&res->alc, rows, (n ? n : 1) * sizeof(row));
    civic__free(&res->alc, dims, (n ? n : 1) * res->dim_count * sizeof(int64_t));
    civic__free(&res->alc, tv, tn * sizeof(int64_t));
    civic__free(&res->alc, tl, tn * sizeof(uint32_t));
    return rc;
}

int civic_engine_rank(const civic_engine *e, const char *group, int64_t as_of, uint64_t top,
                      civic_result **out)
{
    int rc = civic_engine_subjects(e, as_of, out);
    if (rc != CIVIC_OK) return rc;
    rc = rank_rows(*out, group, top);
    if (rc != CIVIC_OK) {
        civic_result_free(*out);
        *out = NULL;
    }
    return rc;
}
