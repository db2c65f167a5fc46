/*
** record.c -- the credit record: every event of a subject with ts <= T, in
** (ts, id) order, with its kind, state, raw and counted points, marks, end
** of effect, and the score summary.  Built from the items of one
** evaluation (eval.c), copied so the record owns all its strings.
*/
#include "internal.h"

#include <string.h>

typedef struct entry {
    const char *id, *type, *dimension, *flag, *group, *ref, *act, *source, *merged_with;
    int64_t ts, end, qty, raw, counted, ceiling, eff, from, to_balance, corrected;
    uint32_t kind, state, marks, affects;
} entry;

struct civic_record {
    civic_allocator alc;
    civic_arena arena;
    entry *entries;
    size_t count, cap;
    civic_score summary;
    civic_result *row;         /* the summary row: tiers, measures */
};

static const char *copy_lp(civic_arena *a, const char *lp)
{
    if (!lp) return "";
    return civic__arena_strndup(a, lp, civic__lp_len(lp));
}

static const char *copy_str(civic_arena *a, const char *s)
{
    return civic__arena_strndup(a, s, strlen(s));
}

static uint32_t kind_of(uint16_t type)
{
    switch (type) {
    case CIVIC_TYPE_REVOKE: return CIVIC_KIND_REVOKE;
    case CIVIC_TYPE_REPAIR: return CIVIC_KIND_REPAIR;
    case CIVIC_TYPE_REDEEM: return CIVIC_KIND_REDEEM;
    case CIVIC_TYPE_OBJECT: return CIVIC_KIND_OBJECT;
    case CIVIC_TYPE_DISMISS: return CIVIC_KIND_DISMISS;
    case CIVIC_TYPE_CORRECT: return CIVIC_KIND_CORRECT;
    default: return CIVIC_KIND_RULE;
    }
}

static uint32_t marks_of(uint32_t flags)
{
    static const uint32_t map[][2] = {
        { CIVIC_ITEM_CAPPED, CIVIC_MARK_CAPPED },       { CIVIC_ITEM_ESCALATED, CIVIC_MARK_ESCALATED },
        { CIVIC_ITEM_FROZEN, CIVIC_MARK_FROZEN },       { CIVIC_ITEM_CONTESTED, CIVIC_MARK_CONTESTED },
        { CIVIC_ITEM_FLOORED, CIVIC_MARK_FLOORED },
    };
    uint32_t marks = 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (flags & map[i][0]) marks |= map[i][1];
    return marks;
}

/* The fields only rule events have, from the version that governs it. */
static void fill_rule(civic_record *rec, const civic_eval *ev, const civic_item *it, entry *out)
{
    const civic_rules *r = ev->r;
    const civic_rule *v = it->v;
    out->type = copy_str(&rec->arena, r->rules[it->type].code);
    out->dimension = copy_str(&rec->arena, r->dimensions[v->dimension]);
    out->flag = v->flag == UINT32_MAX ? "" : copy_str(&rec->arena, r->flags[v->flag]);
    out->end = it->end;
    out->ceiling = v->ceiling;
    out->affects = v->affects;
    out->from = v->from == INT64_MIN ? CIVIC_NO_TIME : v->from;
    out->corrected = it->corrected;
    out->marks = marks_of(it->flags);
    if (it->flags & CIVIC_ITEM_MERGED)
        out->merged_with = copy_lp(&rec->arena, ev->items[it->merged_with].id);
    if (it->state == CIVIC_STATE_REVOKED) {
        out->end = it->ts;
        out->marks = 0;
    }
}

static int fill_entry(civic_record *rec, const civic_eval *ev, const civic_item *it, entry *out)
{
    const civic_engine *e = ev->e;
    const civic_ev *x = &e->events[it->ev];
    const char *source = civic__event_source(e, it->ev);
    memset(out, 0, sizeof(*out));
    out->id = copy_lp(&rec->arena, x->id);
    out->group = x->group == CIVIC_NONE ? "" : copy_lp(&rec->arena, e->groups[x->group].text);
    out->ts = x->ts;
    out->eff = it->eff;
    out->state = it->state;
    out->raw = it->raw;
    out->counted = it->counted;
    out->to_balance = it->to_balance;
    out->ceiling = out->end = out->corrected = CIVIC_FOREVER;
    out->from = CIVIC_NO_TIME;
    out->kind = kind_of(x->type);
    out->dimension = out->flag = out->ref = out->merged_with = "";
    out->act = it->act == CIVIC_NONE ? "" : copy_lp(&rec->arena, civic__act_text(e, it->act));
    out->source = source ? copy_lp(&rec->arena, source) : "";
    if (CIVIC_TYPE_HAS_REF(x->type)) {
        out->type = civic__type_name(x->type);
        out->ref = copy_lp(&rec->arena, x->u.ref);
    } else if (x->type == CIVIC_TYPE_REDEEM) {
        out->type = civic__type_name(x->type);
        out->qty = x->u.qty;
    } else {
        out->qty = x->u.qty;
        fill_rule(rec, ev, it, out);
    }
    if (!out->id || !out->group || !out->type || !out->dimension || !out->flag || !out->ref ||
        !out->act || !out->source || !out->merged_with)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

void civic_record_free(civic_record *rec)
{
    if (!rec) return;
    civic_allocator a = rec->alc;
    civic__free(&a, rec->entries, rec->cap * sizeof(entry));
    civic_result_free(rec->row);
    civic__arena_free(&rec->arena);
    civic__free(&a, rec, sizeof(*rec));
}

/* Build the record from an evaluation that kept its items: every item but
 * the archived ones, in evaluation order. */
static int record_build(civic_record *rec, const civic_eval *ev, const civic_answer *a,
                        const char *subject, civic_result *summary_row)
{
    rec->row = summary_row;
    rec->cap = a->item_count ? a->item_count : 1;
    rec->entries = civic__calloc(&rec->alc, rec->cap, sizeof(entry));
    if (!rec->entries) return CIVIC_E_NOMEM;
    for (size_t i = 0; i < a->item_count; i++) {
        if (ev->items[i].flags & CIVIC_ITEM_ARCHIVED) continue;
        int rc = fill_entry(rec, ev, &ev->items[i], &rec->entries[rec->count++]);
        if (rc != CIVIC_OK) return rc;
    }
    civic_score s = CIVIC_SCORE_INIT;
    int rc = civic_result_get(summary_row, 0, &s);
    if (rc != CIVIC_OK) return rc;
    rec->summary = s;
    rec->summary.subject = copy_str(&rec->arena, subject);
    if (!rec->summary.subject) return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

int civic_engine_record(const civic_engine *e, const char *subject, int64_t as_of,
                        civic_record **out)
{
    if (out) *out = NULL;
    if (!e || !subject || !out) return CIVIC_E_INVALID;
    civic_record *rec = civic__calloc(&e->alc, 1, sizeof(*rec));
    if (!rec) return CIVIC_E_NOMEM;
    rec->alc = e->alc;
    civic__arena_init(&rec->arena, &rec->alc, (size_t)1 << 14);
    civic_result *row = NULL;
    civic_eval ev;
    civic_answer a;
    /* Summary and entries come from one evaluation under one read lock. */
    pthread_rwlock_rdlock((pthread_rwlock_t *)&e->lock);
    int rc = as_of < e->purge_horizon ? CIVIC_E_PURGED : civic__eval_init(&ev, e, as_of, true);
    if (rc == CIVIC_OK) {
        rc = civic__subject_answer(e, &ev, subject, &a, &row);
        if (rc == CIVIC_OK) rc = record_build(rec, &ev, &a, subject, row);
        else civic_result_free(row);
        civic__eval_free(&ev);
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&e->lock);
    if (rc != CIVIC_OK) {
        civic_record_free(rec);
        return rc;
    }
    *out = rec;
    return CIVIC_OK;
}

size_t civic_record_count(const civic_record *rec) { return rec ? rec->count : 0; }

int civic_record_entry(const civic_record *rec, size_t i, civic_entry *out)
{
    if (!rec || !out || i >= rec->count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_ENTRY_VERSION) return CIVIC_E_VERSION;
    const entry *x = &rec->entries[i];
    out->kind = x->kind;
    out->state = x->state;
    out->marks = out->version >= 2 ? x->marks : x->marks & (CIVIC_MARK_CAPPED | CIVIC_MARK_ESCALATED);
    out->affects = x->affects;
    out->reserved = 0;
    out->id = x->id;
    out->type = x->type;
    out->dimension = x->dimension;
    out->flag = x->flag;
    out->group = x->group;
    out->ref = x->ref;
    out->ts = x->ts;
    out->end = x->end;
    out->qty = x->qty;
    out->raw = x->raw;
    out->counted = x->counted;
    out->ceiling = x->ceiling;
    if (out->version < 2) return CIVIC_OK;
    out->eff = x->eff;
    out->from = x->from;
    out->to_balance = x->to_balance;
    out->corrected = x->corrected;
    out->act = x->act;
    out->source = x->source;
    out->merged_with = x->merged_with;
    return CIVIC_OK;
}

int civic_record_summary(const civic_record *rec, civic_score *out)
{
    if (!rec || !out) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_SCORE_VERSION) return CIVIC_E_VERSION;
    uint32_t version = out->version;
    int rc = civic_result_get(rec->row, 0, out); /* fields of out's version only */
    if (rc == CIVIC_OK) out->subject = rec->summary.subject;
    out->version = version;
    return rc;
}

int civic_record_tier(const civic_record *rec, size_t t, civic_tier_value *out)
{
    if (!rec) return CIVIC_E_INVALID;
    return civic_result_tier(rec->row, 0, t, out);
}

const char *civic_state_name(uint32_t state)
{
    static const char *const names[] = { "active",   "expired",   "repaired", "revoked",
                                         "accepted", "rejected",  "applied",  "dangling",
                                         "contested", "merged",   "pending",  "premature",
                                         "dismissed", "late" };
    return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

const char *civic_kind_name(uint32_t kind)
{
    static const char *const names[] = { "rule", "revoke", "repair", "redeem", "object",
                                         "dismiss", "correct" };
    return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : NULL;
}
