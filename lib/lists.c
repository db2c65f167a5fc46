/*
** lists.c -- lists (SPEC 11.3): for a flag or a measure, every subject it
** applies to at T, sorted by subject id; for a flag also since and until,
** the flagged stretch of time that contains T as known at T.
**
** A list is an answer object like civic_result: built under the engine's
** read lock, it owns copies of its strings and outlives the engine.  The
** flagged time of a subject is the union of [eff, end) over its events that
** carry the flag and count at T (neither revoked, merged, archived,
** suspended nor pending), each cut where retention will archive it;
** touching intervals join.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct list_row {
    const char *subject, *group, *grade;
    int64_t score, since, until;
    uint32_t grade_index;
} list_row;

struct civic_list {
    civic_allocator alc;
    civic_arena arena;
    list_row *rows;
    size_t count, cap;
    uint32_t kind;
};

typedef struct span { int64_t from, to; } span;

static int span_compare(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    return x->to < y->to ? -1 : x->to > y->to;
}

/* When an entry that counts at T stops counting, as known at T: its end,
 * or earlier when retention archives it first (SPEC 10.4: "the entry stops
 * counting"); an act's counting entry, when its generation is archived. */
static int64_t counts_until(const civic_eval *ev, const civic_item *it)
{
    if (!ev->r->any_retain) return it->end;
    const civic_item *kept = it;
    if (it->act != CIVIC_NONE)
        kept = it->merged_with == CIVIC_NONE ? NULL : &ev->items[it->merged_with];
    int64_t archived = kept ? civic__retained_until(ev->r, kept) : CIVIC_FOREVER;
    return archived < it->end ? archived : it->end;
}

/* The stretch of flagged time that contains T (SPEC 11.3). */
static int flag_stretch(const civic_eval *ev, size_t n, uint32_t flag, int64_t *since,
                        int64_t *until)
{
    span *s = civic__malloc(&ev->e->alc, (n ? n : 1) * sizeof(span));
    if (!s) return CIVIC_E_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const civic_item *it = &ev->items[i];
        if (!civic__type_is_rule(it->type) || (it->flags & CIVIC_ITEM_GONE) ||
            it->v->flag != flag)
            continue;
        int64_t to = counts_until(ev, it);
        if (to > it->eff) s[k++] = (span){ it->eff, to };
    }
    if (k > 1) qsort(s, k, sizeof(span), span_compare);
    *since = *until = CIVIC_NO_TIME;
    for (size_t i = 0; i < k;) {
        int64_t from = s[i].from, to = s[i].to;
        for (i++; i < k && s[i].from <= to; i++)
            if (s[i].to > to) to = s[i].to;
        if (from <= ev->as_of && ev->as_of < to) {
            *since = from;
            *until = to;
            break;
        }
    }
    civic__free(&ev->e->alc, s, (n ? n : 1) * sizeof(span));
    return CIVIC_OK;
}

void civic_list_free(civic_list *list)
{
    if (!list) return;
    civic_allocator a = list->alc;
    civic__free(&a, list->rows, list->cap * sizeof(list_row));
    civic__arena_free(&list->arena);
    civic__free(&a, list, sizeof(*list));
}

/* Which list a name is: a flag or a measure of the scheme. */
static uint32_t find_name(const civic_rules *r, const char *name, uint32_t *kind)
{
    for (uint32_t f = 0; f < r->flag_count; f++) {
        if (strcmp(r->flags[f], name) == 0) {
            *kind = CIVIC_LIST_FLAG;
            return f;
        }
    }
    for (uint32_t m = 0; m < r->measure_count; m++) {
        if (strcmp(r->measures[m].code, name) == 0) {
            *kind = CIVIC_LIST_MEASURE;
            return m;
        }
    }
    return CIVIC_NONE;
}

static int list_add(civic_list *list, const civic_eval *ev, uint32_t s, const civic_answer *a,
                    int64_t since, int64_t until)
{
    const civic_engine *e = ev->e;
    if (civic__grow(&list->alc, (void **)&list->rows, &list->cap, list->count + 1,
                    sizeof(list_row)) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    list_row *w = &list->rows[list->count];
    const char *id = e->subjects[s].id;
    const char *group = a->group == CIVIC_NONE ? NULL : e->groups[a->group].text;
    const char *grade = ev->r->grades[a->grade].name;
    w->subject = civic__arena_strndup(&list->arena, id, civic__lp_len(id));
    w->group = group ? civic__arena_strndup(&list->arena, group, civic__lp_len(group)) : "";
    w->grade = civic__arena_strndup(&list->arena, grade, strlen(grade));
    if (!w->subject || !w->group || !w->grade) return CIVIC_E_NOMEM;
    w->score = a->score;
    w->grade_index = a->grade;
    w->since = since;
    w->until = until;
    list->count++;
    return CIVIC_OK;
}

/* Evaluate subject s, whose events (insertion order) are the n at events,
 * and add it when the list applies to it. */
static int list_subject(civic_list *list, civic_eval *ev, uint32_t s, const uint32_t *events,
                        size_t n, uint32_t which)
{
    civic_answer a;
    int rc = civic__eval_subject(ev, events, n, &a);
    if (rc != CIVIC_OK || a.events == 0) return rc;
    int64_t since = CIVIC_NO_TIME, until = CIVIC_NO_TIME;
    if (list->kind == CIVIC_LIST_MEASURE) {
        if (!ev->measure_on[which]) return CIVIC_OK;
    } else {
        if (ev->flag_marks[which] != ev->stamp) return CIVIC_OK;
        if ((rc = flag_stretch(ev, a.item_count, which, &since, &until)) != CIVIC_OK) return rc;
    }
    return list_add(list, ev, s, &a, since, until);
}

static int row_compare(const void *a, const void *b)
{
    return strcmp(((const list_row *)a)->subject, ((const list_row *)b)->subject);
}

/* Which rules can give an event the flag at T: an event of rule k takes
 * k's base version or one of its changes in force by T (civic__rule_version),
 * and only the version it takes marks a flag (eval.c's score_add, and a
 * fold's fixed flags, are the only places that set flag_marks).  names[k]
 * is 1 when one of them names the flag; *any when some rule's does. */
static void flag_rules(const civic_eval *ev, uint32_t flag, uint8_t *names, bool *any)
{
    const civic_rules *r = ev->r;
    *any = false;
    for (uint32_t k = 0; k < r->rule_count; k++) {
        const civic_rule *base = &r->rules[k];
        bool named = base->flag == flag;
        for (uint32_t c = 0; !named && c < base->change_count; c++) {
            const civic_rule *v = &r->versions[base->change_first + c];
            if (v->from > ev->as_of) break; /* in increasing from: none further applies */
            named = v->flag == flag;
        }
        names[k] = named;
        *any |= named;
    }
}

/* Mark in pick the subjects to evaluate: for a measure every one, for a
 * flag those with an event of a rule in names dated by T (gather keeps no
 * other), the only subjects that can carry it.  Returns how many of the
 * events belong to them. */
static size_t pick_subjects(const civic_eval *ev, const uint8_t *names, uint8_t *pick)
{
    const civic_engine *e = ev->e;
    size_t ns = e->subject_count, ne = e->event_count, n = 0;
    if (!names) {
        memset(pick, 1, ns);
        return ne;
    }
    memset(pick, 0, ns);
    for (size_t i = 0; i < ne; i++) {
        const civic_ev *x = &e->events[i];
        if (civic__type_is_rule(x->type) && names[x->type] && x->ts <= ev->as_of)
            pick[x->subject] = 1;
    }
    for (size_t s = 0; s < ns; s++) n += pick[s] ? e->subjects[s].count : 0;
    return n;
}

/* Evaluate the picked subjects, in order: their events are bucketed by one
 * pass over the event array (a counting sort: each run stays in insertion
 * order), not found through each subject's backward chain, a cache miss an
 * event. */
static int list_picked(civic_list *list, civic_eval *ev, const uint8_t *pick, size_t picked,
                       uint32_t which)
{
    const civic_engine *e = ev->e;
    size_t ns = e->subject_count, ne = e->event_count;
    size_t *at = civic__malloc(&e->alc, (ns + 1) * sizeof(size_t));
    uint32_t *bucket = civic__malloc(&e->alc, (picked ? picked : 1) * sizeof(uint32_t));
    int rc = at && bucket ? CIVIC_OK : CIVIC_E_NOMEM;
    if (rc == CIVIC_OK) {
        at[0] = 0;
        for (size_t s = 0; s < ns; s++) at[s + 1] = at[s] + (pick[s] ? e->subjects[s].count : 0);
        CIVIC_ASSERT(at[ns] == picked);
        for (size_t i = 0; i < ne; i++)
            if (pick[e->events[i].subject]) bucket[at[e->events[i].subject]++] = (uint32_t)i;
        /* each at[s] is now the end of run s, the start of run s + 1 */
        for (uint32_t s = 0; rc == CIVIC_OK && s < ns; s++) {
            size_t from = s ? at[s - 1] : 0;
            if (pick[s]) rc = list_subject(list, ev, s, bucket + from, at[s] - from, which);
        }
    }
    civic__free(&e->alc, bucket, (picked ? picked : 1) * sizeof(uint32_t));
    civic__free(&e->alc, at, (ns + 1) * sizeof(size_t));
    return rc;
}

/* Evaluate the picked subjects, in order, when they hold few of the events
 * (a flag few carry): each one's events are found through its backward
 * chain, a cache miss an event, cheaper then than list_picked's second pass
 * over every event.  Filled from the end of the run: insertion order. */
static int list_chained(civic_list *list, civic_eval *ev, const uint8_t *pick, size_t picked,
                        uint32_t which)
{
    const civic_engine *e = ev->e;
    uint32_t *run = civic__malloc(&e->alc, (picked ? picked : 1) * sizeof(uint32_t));
    int rc = run ? CIVIC_OK : CIVIC_E_NOMEM;
    for (uint32_t s = 0; rc == CIVIC_OK && s < e->subject_count; s++) {
        if (!pick[s]) continue;
        size_t n = e->subjects[s].count, k = n;
        CIVIC_ASSERT(n <= picked);
        for (uint32_t i = e->subjects[s].last; i != CIVIC_NONE && k > 0; i = e->events[i].prev)
            run[--k] = i; /* the chain runs newest first */
        CIVIC_ASSERT(k == 0);
        rc = list_subject(list, ev, s, run, n, which);
    }
    civic__free(&e->alc, run, (picked ? picked : 1) * sizeof(uint32_t));
    return rc;
}

/* Below this share of the events (1 in 64), the picked subjects' events are
 * found through their chains: a pass over 400,000 events cost about as much
 * as 6,000 cache misses, and was half of a flag's list that few carry. */
#define CHAINED_SHARE 64

/* A measure's list evaluates every subject; a flag's only those that can
 * carry the flag (pick_subjects): one pass over the events and nothing per
 * other subject, so that the notice page, a list for each flag of a scheme
 * that may have 16,384, no longer costs flags x events evaluations. */
static int list_build(const civic_engine *e, civic_list *list, uint32_t which, int64_t as_of)
{
    size_t ns = e->subject_count;
    bool flag = list->kind == CIVIC_LIST_FLAG, any = true;
    uint32_t nr = e->rules->rule_count;
    civic_eval ev;
    int rc = civic__eval_init(&ev, e, as_of, true);
    /* a list reads one measure, or none: M measures a subject made every
     * list, and so the notice page, cost S x M */
    ev.measures_wanted = flag ? CIVIC_EVAL_MEASURES_NONE : CIVIC_EVAL_MEASURES_ONE;
    ev.measure_one = which;
    uint8_t *names = flag ? civic__malloc(&e->alc, nr ? nr : 1) : NULL;
    uint8_t *pick = civic__malloc(&e->alc, ns ? ns : 1);
    if (rc == CIVIC_OK && (!pick || (flag && !names))) rc = CIVIC_E_NOMEM;
    if (rc == CIVIC_OK && flag) flag_rules(&ev, which, names, &any);
    if (rc == CIVIC_OK && any) {
        size_t picked = pick_subjects(&ev, names, pick);
        if (picked && flag && picked < e->event_count / CHAINED_SHARE)
            rc = list_chained(list, &ev, pick, picked, which);
        else if (picked)
            rc = list_picked(list, &ev, pick, picked, which);
    }
    civic__free(&e->alc, pick, ns ? ns : 1);
    civic__free(&e->alc, names, nr ? nr : 1);
    civic__eval_free(&ev);
    return rc;
}

int civic_engine_list(const civic_engine *e, const char *name, int64_t as_of, civic_list **out)
{
    if (out) *out = NULL;
    if (!e || !name || !out) return CIVIC_E_INVALID;
    /* A time before the purge horizon cannot be answered whatever the
     * name, as for every other question; the name is checked next. */
    civic__engine_read_begin(e);
    int64_t horizon = e->purge_horizon;
    civic__engine_read_end(e);
    if (as_of < horizon) return CIVIC_E_PURGED;
    uint32_t kind = 0, which = find_name(e->rules, name, &kind);
    if (which == CIVIC_NONE) return CIVIC_E_NOTFOUND;
    civic_list *list = civic__calloc(&e->alc, 1, sizeof(*list));
    if (!list) return CIVIC_E_NOMEM;
    list->alc = e->alc;
    list->kind = kind;
    civic__arena_init(&list->arena, &list->alc, (size_t)1 << 14);
    civic__engine_read_begin(e);
    int rc = as_of < e->purge_horizon ? CIVIC_E_PURGED : list_build(e, list, which, as_of);
    civic__engine_read_end(e);
    if (rc != CIVIC_OK) {
        civic_list_free(list);
        return rc;
    }
    if (list->count > 1) qsort(list->rows, list->count, sizeof(list_row), row_compare);
    *out = list;
    return CIVIC_OK;
}

const char *civic_rules_list_meant(const civic_rules *r, const char *name)
{
    if (!r || !name) return NULL;
    uint32_t kind = 0, which = find_name(r, name, &kind);
    if (which != CIVIC_NONE)
        return kind == CIVIC_LIST_FLAG ? r->flags[which] : r->measures[which].code;
    return civic__rules_list_meant(r, name, strlen(name));
}

uint32_t civic_list_kind(const civic_list *list) { return list ? list->kind : 0; }
size_t civic_list_count(const civic_list *list) { return list ? list->count : 0; }

int civic_list_get(const civic_list *list, size_t i, civic_list_entry *out)
{
    if (!list || !out || i >= list->count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_LIST_ENTRY_VERSION) return CIVIC_E_VERSION;
    const list_row *w = &list->rows[i];
    out->grade_index = w->grade_index;
    out->subject = w->subject;
    out->group = w->group;
    out->grade = w->grade;
    out->score = w->score;
    out->since = w->since;
    out->until = w->until;
    return CIVIC_OK;
}
