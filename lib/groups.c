/*
** groups.c -- SPEC section 5: statistics per group at a depth.
**
** Works on the all-subjects answer (query.c): each subject belongs to the
** depth-d prefix of its group (step 9); subjects whose group has fewer than
** d segments are left out; depth 0 puts everyone in one group "".  Groups
** are sorted by path bytewise.  Mean and median are rounded half away from
** zero to hundredths; the median of an even count is the mean of the two
** middle scores.
**
** It does not evaluate or lock: it reads one civic_result, which already
** holds a consistent picture.  Invariant: sums are taken in 128 bits, so no
** group is too large to average.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

typedef struct gstat {
    const char *path;
    uint64_t subjects;
    int64_t mean, median, min, max, balance;
    uint64_t *grades;
} gstat;

struct civic_groups {
    civic_allocator alc;
    civic_arena arena;
    gstat *stats;
    size_t count, stats_cap;
    uint32_t depth;
    const char **grade_names;
    size_t grade_count;
};

typedef struct member {
    const char *group;  /* the subject's full group */
    size_t prefix;      /* bytes of its depth-d prefix */
    int64_t score, balance;
    uint32_t grade;
} member;

static int compare_member(const void *a, const void *b)
{
    const member *x = a, *y = b;
    size_t n = x->prefix < y->prefix ? x->prefix : y->prefix;
    int c = memcmp(x->group, y->group, n);
    if (c) return c;
    if (x->prefix != y->prefix) return x->prefix < y->prefix ? -1 : 1;
    return x->score < y->score ? -1 : x->score > y->score;
}

/* Bytes of the first `depth` segments of group, or SIZE_MAX if shallower. */
static size_t prefix_bytes(const char *group, uint32_t depth)
{
    if (depth == 0) return 0;
    if (group[0] == '\0') return SIZE_MAX;
    uint32_t seen = 0;
    size_t i = 0;
    for (; group[i]; i++) {
        if (group[i] == '/' && ++seen == depth) return i;
    }
    return seen + 1 == depth ? i : SIZE_MAX;
}

static int64_t div_round(i128 sum, int64_t n)
{
    i128 q = sum / n, r = sum % n;
    if (r < 0) r = -r;
    if (2 * r >= n) q += sum < 0 ? -1 : 1;
    return (int64_t)q;
}

/* Fill one group's statistics from members[a, b) (sorted by score). */
static int group_stat(civic_groups *g, const member *m, size_t a, size_t b, gstat *out)
{
    size_t n = b - a;
    i128 sum = 0, bal = 0;
    out->path = civic__arena_strndup(&g->arena, m[a].group, m[a].prefix);
    out->grades = civic__arena_alloc(&g->arena, (g->grade_count ? g->grade_count : 1) * sizeof(uint64_t), 8);
    if (!out->path || !out->grades) return CIVIC_E_NOMEM;
    memset(out->grades, 0, g->grade_count * sizeof(uint64_t));
    for (size_t i = a; i < b; i++) {
        sum += m[i].score;
        bal += m[i].balance;
        out->grades[m[i].grade]++;
    }
    if (bal > INT64_MAX || bal < INT64_MIN) return CIVIC_E_OVERFLOW;
    out->subjects = n;
    out->mean = div_round(sum, (int64_t)n);
    i128 mid = n % 2 ? (i128)m[a + n / 2].score * 2
                                       : (i128)m[a + n / 2 - 1].score + m[a + n / 2].score;
    out->median = div_round(mid, 2);
    out->min = m[a].score;
    out->max = m[b - 1].score;
    out->balance = (int64_t)bal;
    return CIVIC_OK;
}

static int build_groups(civic_groups *g, const civic_result *all)
{
    size_t n = civic_result_count(all), k = 0;
    member *m = civic__malloc(&g->alc, (n ? n : 1) * sizeof(member));
    if (!m) return CIVIC_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(all, i, &s);
        size_t p = prefix_bytes(s.group, g->depth);
        if (p == SIZE_MAX) continue;
        m[k].group = s.group;
        m[k].prefix = p;
        m[k].score = s.score;
        m[k].balance = s.balance;
        m[k].grade = s.grade_index;
        k++;
    }
    if (k > 1) qsort(m, k, sizeof(member), compare_member);
    size_t groups = 0;
    for (size_t i = 0; i < k; i++)
        if (i == 0 || compare_member(&(member){ m[i].group, m[i].prefix, INT64_MIN, 0, 0 },
                                     &(member){ m[i - 1].group, m[i - 1].prefix, INT64_MIN, 0, 0 }) != 0)
            groups++;
    int rc = CIVIC_OK;
    g->stats = civic__calloc(&g->alc, groups ? groups : 1, sizeof(gstat));
    g->stats_cap = g->stats ? (groups ? groups : 1) : 0;
    if (!g->stats) rc = CIVIC_E_NOMEM;
    for (size_t i = 0, start = 0; rc == CIVIC_OK && i <= k; i++) {
        bool boundary = i == k || (i > start && (m[i].prefix != m[start].prefix ||
                                                 memcmp(m[i].group, m[start].group, m[i].prefix) != 0));
        if (!boundary || i == start) continue;
        rc = group_stat(g, m, start, i, &g->stats[g->count++]);
        start = i;
    }
    civic__free(&g->alc, m, (n ? n : 1) * sizeof(member));
    return rc;
}

void civic_groups_free(civic_groups *g)
{
    if (!g) return;
    civic_allocator a = g->alc;
    civic__free(&a, g->stats, g->stats_cap * sizeof(gstat));
    civic__free(&a, g->grade_names, g->grade_count * sizeof(char *));
    civic__arena_free(&g->arena);
    civic__free(&a, g, sizeof(*g));
}

int civic_engine_groups(const civic_engine *e, uint32_t depth, int64_t as_of, civic_groups **out)
{
    if (out) *out = NULL;
    if (!e || !out || depth > CIVIC_GROUP_DEPTH_MAX) return CIVIC_E_INVALID;
    civic_groups *g = civic__calloc(&e->alc, 1, sizeof(*g));
    if (!g) return CIVIC_E_NOMEM;
    g->alc = e->alc;
    g->depth = depth;
    civic__arena_init(&g->arena, &g->alc, (size_t)1 << 14);
    const civic_rules *r = e->rules;
    g->grade_count = r->grade_count;
    g->grade_names = civic__calloc(&g->alc, r->grade_count, sizeof(char *));
    int rc = g->grade_names ? CIVIC_OK : CIVIC_E_NOMEM;
    for (size_t i = 0; rc == CIVIC_OK && i < r->grade_count; i++) {
        g->grade_names[i] = civic__arena_strndup(&g->arena, r->grades[i].name,
                                                 strlen(r->grades[i].name));
        if (!g->grade_names[i]) rc = CIVIC_E_NOMEM;
    }
    civic_result *all = NULL;
    if (rc == CIVIC_OK) rc = civic_engine_subjects(e, as_of, &all);
    if (rc == CIVIC_OK) rc = build_groups(g, all);
    civic_result_free(all);
    if (rc != CIVIC_OK) {
        civic_groups_free(g);
        return rc;
    }
    *out = g;
    return CIVIC_OK;
}

size_t civic_groups_count(const civic_groups *g) { return g ? g->count : 0; }
size_t civic_groups_grade_count(const civic_groups *g) { return g ? g->grade_count : 0; }

const char *civic_groups_grade_name(const civic_groups *g, size_t i)
{
    return g && i < g->grade_count ? g->grade_names[i] : NULL;
}

static const civic_field group_stats_fields[] = {
    CIVIC_FIELD(civic_group_stats, depth, 1),   CIVIC_FIELD(civic_group_stats, path, 1),
    CIVIC_FIELD(civic_group_stats, subjects, 1), CIVIC_FIELD(civic_group_stats, mean, 1),
    CIVIC_FIELD(civic_group_stats, median, 1),  CIVIC_FIELD(civic_group_stats, min, 1),
    CIVIC_FIELD(civic_group_stats, max, 1),     CIVIC_FIELD(civic_group_stats, balance, 1),
    CIVIC_FIELD(civic_group_stats, grade_counts, 1),
};

int civic_groups_get(const civic_groups *g, size_t i, civic_group_stats *out)
{
    if (!g || !out || i >= g->count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_GROUP_STATS_VERSION) return CIVIC_E_VERSION;
    const gstat *s = &g->stats[i];
    civic_group_stats full = { CIVIC_GROUP_STATS_VERSION, g->depth, s->path, s->subjects, s->mean,
                               s->median, s->min, s->max, s->balance, s->grades };
    civic__copy_fields(out, &full, group_stats_fields, CIVIC_FIELD_COUNT(group_stats_fields),
                       out->version);
    return CIVIC_OK;
}
