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
    const char *id, *type, *dimension, *flag, *group, *ref;
    int64_t ts, end, qty, raw, counted, ceiling;
    uint32_t kind, state, marks, affects;
} entry;

struct civic_record {
    civic_allocator alc;
    civic_arena arena;
    entry *entries;
    size_t count;
    civic_score summary;
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

static int fill_entry(civic_record *rec, const civic_eval *ev, const civic_item *it, entry *out)
{
    const civic_engine *e = ev->e;
    const civic_rules *r = e->rules;
    const civic_ev *x = &e->events[it->ev];
    memset(out, 0, sizeof(*out));
    out->id = copy_lp(&rec->arena, x->id);
    out->group = x->group == CIVIC_NONE ? "" : copy_lp(&rec->arena, e->groups[x->group].text);
    out->ts = x->ts;
    out->state = it->state;
    out->raw = it->raw;
    out->counted = it->counted;
    out->ceiling = CIVIC_FOREVER;
    out->end = CIVIC_FOREVER;
    out->dimension = out->flag = out->ref = "";
    size_t type_len;
    const char *type = civic__type_name(r, x->type, &type_len);
    out->kind = civic__type_kind(x->type);
    out->type = x->type < CIVIC_TYPE_REVOKE ? civic__arena_strndup(&rec->arena, type, type_len)
                                            : type; /* a static built-in name */
    if (civic__type_has_ref(x->type)) {
        out->ref = copy_lp(&rec->arena, x->u.ref);
    } else if (x->type == CIVIC_TYPE_REDEEM) {
        out->qty = x->u.qty;
    } else {
        const civic_rule *rule = &r->rules[x->type];
        out->dimension = copy_str(&rec->arena, r->dimensions[rule->dimension]);
        out->flag = rule->flag == UINT32_MAX ? "" : copy_str(&rec->arena, r->flags[rule->flag]);
        out->qty = x->u.qty;
        out->end = it->end;
        out->ceiling = rule->ceiling;
        out->affects = rule->affects;
        out->marks = ((it->flags & CIVIC_ITEM_CAPPED) ? CIVIC_MARK_CAPPED : 0u) |
                     ((it->flags & CIVIC_ITEM_ESCALATED) ? CIVIC_MARK_ESCALATED : 0u);
        if (it->state == CIVIC_STATE_REVOKED) {
            out->end = x->ts;
            out->marks = 0;
        }
    }
    if (!out->id || !out->group || !out->type || !out->dimension || !out->flag || !out->ref)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

void civic_record_free(civic_record *rec)
{
    if (!rec) return;
    civic_allocator a = rec->alc;
    civic__free(&a, rec->entries, (rec->count ? rec->count : 1) * sizeof(entry));
    civic__arena_free(&rec->arena);
    civic__free(&a, rec, sizeof(*rec));
}

/* Build the record from an evaluation that kept its items. */
static int record_build(civic_record *rec, const civic_eval *ev, const civic_answer *a,
                        const char *subject, const civic_result *summary_row)
{
    rec->entries = civic__calloc(&rec->alc, a->item_count ? a->item_count : 1, sizeof(entry));
    if (!rec->entries) return CIVIC_E_NOMEM;
    rec->count = a->item_count;
    for (size_t i = 0; i < a->item_count; i++) {
        int rc = fill_entry(rec, ev, &ev->items[i], &rec->entries[i]);
        if (rc != CIVIC_OK) return rc;
    }
    civic_score s = CIVIC_SCORE_INIT;
    int rc = civic_result_get(summary_row, 0, &s);
    if (rc != CIVIC_OK) return rc;
    rec->summary = s;
    rec->summary.subject = copy_str(&rec->arena, subject);
    rec->summary.group = copy_str(&rec->arena, s.group);
    rec->summary.grade = copy_str(&rec->arena, s.grade);
    rec->summary.flags = copy_str(&rec->arena, s.flags);
    if (!rec->summary.subject || !rec->summary.group || !rec->summary.grade || !rec->summary.flags)
        return CIVIC_E_NOMEM;
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
    int rc = civic__eval_init(&ev, e, as_of, true);
    if (rc == CIVIC_OK) {
        rc = civic__subject_answer(e, &ev, subject, &a, &row);
        if (rc == CIVIC_OK) rc = record_build(rec, &ev, &a, subject, row);
        civic__eval_free(&ev);
    }
    civic__engine_read_end(e);
    civic_result_free(row);
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
};

int civic_record_entry(const civic_record *rec, size_t i, civic_entry *out)
{
    if (!rec || !out || i >= rec->count) return CIVIC_E_INVALID;
    if (out->version < 1 || out->version > CIVIC_ENTRY_VERSION) return CIVIC_E_VERSION;
    const entry *x = &rec->entries[i];
    civic_entry full = { CIVIC_ENTRY_VERSION, x->kind, x->state, x->marks, x->affects, 0,
                         x->id, x->type, x->dimension, x->flag, x->group, x->ref, x->ts,
                         x->end, x->qty, x->raw, x->counted, x->ceiling };
    civic__copy_fields(out, &full, entry_fields, CIVIC_FIELD_COUNT(entry_fields), out->version);
    return CIVIC_OK;
}

int civic_record_summary(const civic_record *rec, civic_score *out)
{
    if (!rec || !out) return CIVIC_E_INVALID;
    return civic__score_put(&rec->summary, out);
}

const char *civic_state_name(uint32_t state)
{
    static const char *const names[] = { "active", "expired", "repaired", "revoked",
                                         "accepted", "rejected", "applied", "dangling" };
    return state < 8 ? names[state] : NULL;
}
