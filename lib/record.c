/*
** record.c -- the credit record: every event of a subject with ts <= T, in
** (ts, id) order, with its kind, state, raw and counted points, marks, end
** of effect, and the score summary.  Built from the items of one
** evaluation (eval.c), copied so the record owns all its strings.
**
** It does not evaluate or order anything itself.  Invariant: the summary
** and the entries come from the same evaluation under the same read lock,
** so summing the entries (SPEC 4, last paragraph) gives the summary's score.
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
    if (it->flags & CIVIC_ITEM_MERGED) {
        civic_id_buf buf;
        out->merged_with = copy_lp(&rec->arena, civic__id_text(ev->items[it->merged_with].id, &buf));
    }
    if (it->state == CIVIC_STATE_REVOKED) {
        /* as every entry outside the fold: when it would have started (its
         * ts, as in 1.0, unless publicity puts its effect later) */
        out->end = it->eff;
        out->marks = 0;
    }
}

static int fill_entry(civic_record *rec, const civic_eval *ev, const civic_item *it, entry *out)
{
    const civic_engine *e = ev->e;
    const civic_ev *x = &e->events[it->ev];
    const char *source = civic__event_source(e, it->ev);
    civic_id_buf buf;
    memset(out, 0, sizeof(*out));
    out->id = copy_lp(&rec->arena, civic__ev_id(e, x, &buf));
    out->group = x->group == CIVIC_NONE ? "" : copy_lp(&rec->arena, e->groups[x->group].text);
    out->ts = x->ts;
    out->eff = it->eff;
    out->state = it->state;
    out->raw = it->raw;
    out->counted = it->counted;
    out->to_balance = it->to_balance;
    out->ceiling = out->end = out->corrected = CIVIC_FOREVER;
    out->from = CIVIC_NO_TIME;
    out->kind = civic__type_kind(x->type);
    out->dimension = out->flag = out->ref = out->merged_with = "";
    out->act = it->act == CIVIC_NONE ? "" : copy_lp(&rec->arena, civic__act_text(e, it->act));
    out->source = source ? copy_lp(&rec->arena, source) : "";
    size_t type_len;
    const char *type = civic__type_name(ev->r, x->type, &type_len);
    out->type = civic__type_is_rule(x->type) ? civic__arena_strndup(&rec->arena, type, type_len)
                                             : type; /* a static built-in name */
    if (civic__type_has_ref(x->type)) {
        out->ref = copy_lp(&rec->arena, civic__ev_ref(e, x));
    } else if (x->type == CIVIC_TYPE_REDEEM) {
        out->qty = civic__ev_qty(e, x);
    } else {
        out->qty = civic__ev_qty(e, x);
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
    civic__engine_read_begin(e);
    int rc = as_of < e->purge_horizon ? CIVIC_E_PURGED : civic__eval_init(&ev, e, as_of, true);
    if (rc == CIVIC_OK) {
        rc = civic__subject_answer(e, &ev, subject, &a, &row);
        if (rc == CIVIC_OK) rc = record_build(rec, &ev, &a, subject, row);
        else civic_result_free(row);
        civic__eval_free(&ev);
    }
    civic__engine_read_end(e);
    if (rc != CIVIC_OK) {
        civic_record_free(rec);
        return rc;
    }
    *out = rec;
    return CIVIC_OK;
}

size_t civic_record_count(const civic_record *rec) { return rec ? rec->count : 0; }

static const civic_field entry_fields[] = {
    CIVIC_FIELD(civic_entry, kind, 1),    CIVIC_FIELD(civic_entry, state, 1),
    CIVIC_FIELD(civic_entry, marks, 1),   CIVIC_FIELD(civic_entry, affects, 1),
    CIVIC_FIELD(civic_entry, reserved, 1), CIVIC_FIELD(civic_entry, id, 1),
    CIVIC_FIELD(civic_entry, type, 1),    CIVIC_FIELD(civic_entry, dimension, 1),
    CIVIC_FIELD(civic_entry, flag, 1),    CIVIC_FIELD(civic_entry, group, 1),
    CIVIC_FIELD(civic_entry, ref, 1),     CIVIC_FIELD(civic_entry, ts, 1),
    CIVIC_FIELD(civic_entry, end, 1),     CIVIC_FIELD(civic_entry, qty, 1),
    CIVIC_FIELD(civic_entry, raw, 1),     CIVIC_FIELD(civic_entry, counted, 1),
    CIVIC_FIELD(civic_entry, ceiling, 1),
    CIVIC_FIELD(civic_entry, eff, 2),     CIVIC_FIELD(civic_entry, from, 2),
    CIVIC_FIELD(civic_entry, to_balance, 2), CIVIC_FIELD(civic_entry, corrected, 2),
    CIVIC_FIELD(civic_entry, act, 2),     CIVIC_FIELD(civic_entry, source, 2),
    CIVIC_FIELD(civic_entry, merged_with, 2),
};

int civic_record_entry(const civic_record *rec, size_t i, civic_entry *out)
{
    if (!rec || !out || i >= rec->count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_ENTRY_VERSION) return CIVIC_E_VERSION;
    const entry *x = &rec->entries[i];
    civic_entry full = { CIVIC_ENTRY_VERSION, x->kind, x->state, x->marks, x->affects, 0,
                         x->id, x->type, x->dimension, x->flag, x->group, x->ref, x->ts,
                         x->end, x->qty, x->raw, x->counted, x->ceiling, x->eff, x->from,
                         x->to_balance, x->corrected, x->act, x->source, x->merged_with };
    /* a 1.0 caller knows only the marks of 1.0 */
    if (out->version < 2) full.marks &= CIVIC_MARK_CAPPED | CIVIC_MARK_ESCALATED;
    civic__copy_fields(out, &full, entry_fields, CIVIC_FIELD_COUNT(entry_fields), out->version);
    return CIVIC_OK;
}

int civic_record_summary(const civic_record *rec, civic_score *out)
{
    if (!rec || !out) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_SCORE_VERSION) return CIVIC_E_VERSION;
    return civic__score_put(&rec->summary, out);
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
