/*
** objections.c -- the objections still to decide (see objections.h).  Uses
** only the public API in civic.h: the subjects at T, then each one's record
** (SPEC 10.2: a standing objection marks or suspends its target).
*/
#include "objections.h"

#include <stdlib.h>
#include <string.h>

/* Each row's objection heads one allocation that also holds its entry and
 * type; subject and group are borrowed from o->subjects, the state name is
 * static (civic_state_name). */
static void rows_free(objections *o)
{
    for (size_t i = 0; i < o->count; i++) free((char *)o->row[i].objection);
    free(o->row);
    o->row = NULL;
    o->count = o->cap = 0;
}

void objections_free(objections *o)
{
    if (!o) return;
    rows_free(o);
    civic_result_free(o->subjects);
    o->subjects = NULL;
}

/* Oldest first, as an office works through them: filed, then subject, then
 * the objection's id, bytewise (strcmp compares as unsigned char). */
static int objection_order(const void *a, const void *b)
{
    const answers_objection *x = a, *y = b;
    if (x->filed != y->filed) return x->filed < y->filed ? -1 : 1;
    int c = strcmp(x->subject, y->subject);
    return c ? c : strcmp(x->objection, y->objection);
}

/* The record's entries sorted by id, to find an objection's target. */
typedef struct id_entry {
    const char *id;
    size_t at;
} id_entry;

static int id_entry_order(const void *a, const void *b)
{
    return strcmp(((const id_entry *)a)->id, ((const id_entry *)b)->id);
}

static int add_objection(objections *r, const civic_score *s, const civic_entry *o,
                         const civic_entry *x)
{
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof(*r->row)) return CIVIC_E_NOMEM;
        answers_objection *row = realloc(r->row, cap * sizeof(*row));
        if (!row) return CIVIC_E_NOMEM;
        r->row = row;
        r->cap = cap;
    }
    /* ids and types are bounded (CIVIC_ID_BYTES_MAX, the rule codes'): no
     * overflow in the sum */
    size_t lo = strlen(o->id) + 1, le = strlen(x->id) + 1, lt = strlen(x->type) + 1;
    char *text = malloc(lo + le + lt);
    if (!text) return CIVIC_E_NOMEM;
    memcpy(text, o->id, lo);
    memcpy(text + lo, x->id, le);
    memcpy(text + lo + le, x->type, lt);
    /* the state tells whether the entry still counts at T (expired, repaired,
     * merged, pending or suspended: not); counted is the record's, which an
     * expired or repaired entry keeps (SPEC 10.6, record states) */
    r->row[r->count++] = (answers_objection){ s->subject, s->group, text, o->ts, text + lo,
                                              text + lo + le, civic_state_name(x->state),
                                              x->raw, x->counted };
    return CIVIC_OK;
}

/* Into r, the objections of one subject's record still to decide. */
static int record_objections(const civic_record *rec, const civic_score *s, objections *r)
{
    size_t n = civic_record_count(rec), open = 0;
    for (size_t i = 0; i < n; i++) {
        civic_entry o = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &o);
        open += o.kind == CIVIC_KIND_OBJECT && o.state == CIVIC_STATE_APPLIED;
    }
    if (open == 0) return CIVIC_OK; /* most subjects: no index to build */
    if (n > SIZE_MAX / sizeof(id_entry)) return CIVIC_E_NOMEM;
    id_entry *ids = malloc(n * sizeof(*ids));
    if (!ids) return CIVIC_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &x);
        ids[i] = (id_entry){ x.id, i };
    }
    qsort(ids, n, sizeof(*ids), id_entry_order);
    int rc = CIVIC_OK;
    for (size_t i = 0; i < n && rc == CIVIC_OK; i++) {
        civic_entry o = CIVIC_ENTRY_INIT, x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, i, &o);
        if (o.kind != CIVIC_KIND_OBJECT || o.state != CIVIC_STATE_APPLIED) continue;
        id_entry key = { o.ref, 0 };
        const id_entry *t = bsearch(&key, ids, n, sizeof(*ids), id_entry_order);
        if (!t) continue; /* an applied objection has its target: not reached */
        civic_record_entry(rec, t->at, &x);
        if (x.state == CIVIC_STATE_CONTESTED || (x.marks & CIVIC_MARK_CONTESTED))
            rc = add_objection(r, s, &o, &x);
    }
    free(ids);
    return rc;
}

int objections_collect(const civic_engine *e, int64_t as_of, objections *out,
                       const char **failed)
{
    if (failed) *failed = NULL;
    int rc = civic_engine_subjects(e, as_of, &out->subjects);
    for (size_t i = 0; rc == CIVIC_OK && i < civic_result_count(out->subjects); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_record *rec = NULL;
        civic_result_get(out->subjects, i, &s);
        rc = civic_engine_record(e, s.subject, as_of, &rec);
        if (rc == CIVIC_OK) rc = record_objections(rec, &s, out);
        if (rc != CIVIC_OK && failed) *failed = s.subject;
        civic_record_free(rec);
    }
    if (rc != CIVIC_OK) {
        rows_free(out); /* no partial answer */
        return rc;
    }
    if (out->count) qsort(out->row, out->count, sizeof(*out->row), objection_order);
    return CIVIC_OK;
}
