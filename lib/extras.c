/*
** extras.c -- the optional fields of version-2 events (act, source), kept
** apart from the 32-byte event records, and the engine-wide facts of
** version 2 (its spec version, its purge horizon).
**
** act and source texts are interned once per engine (an intern table each,
** texts in the names arena, length-prefixed) and events point at them by id
** from two arrays parallel to the event array.  The arrays exist only once
** some event carries the field: a log without act and source pays nothing.
**
** Invariants: when e->extras.act is not NULL it has an entry for every
** event (CIVIC_NONE: none); likewise source.  An insert reserves first
** (civic__extras_reserve), copies the texts (civic__extras_text) and only
** then records them (civic__extras_store), which cannot fail; a batch
** rollback removes the texts the batch interned.
*/
#include "internal.h"

#include <string.h>

static const char *act_key(const void *owner, uint32_t i)
{
    return ((const civic_engine *)owner)->extras.act_text[i];
}

static const char *source_key(const void *owner, uint32_t i)
{
    return ((const civic_engine *)owner)->extras.source_text[i];
}

/* ------------------------------------------------------------ reading */

uint32_t civic__event_act(const civic_engine *e, uint32_t index)
{
    return e->extras.act ? e->extras.act[index] : CIVIC_NONE;
}

const char *civic__event_source(const civic_engine *e, uint32_t index)
{
    if (!e->extras.source || e->extras.source[index] == CIVIC_NONE) return NULL;
    return e->extras.source_text[e->extras.source[index]];
}

const char *civic__act_text(const civic_engine *e, uint32_t act) { return e->extras.act_text[act]; }

static bool lp_is(const char *lp, const char *s, size_t n)
{
    return lp ? civic__lp_len(lp) == n && memcmp(lp, s, n) == 0 : n == 0;
}

const char *civic__extras_difference(const civic_engine *e, uint32_t index,
                                     const civic_parsed *p)
{
    uint32_t a = civic__event_act(e, index);
    if (!lp_is(a == CIVIC_NONE ? NULL : e->extras.act_text[a], p->act, p->act_len)) return "act";
    if (!lp_is(civic__event_source(e, index), p->source, p->source_len)) return "source";
    return NULL;
}

/* ------------------------------------------------------------ writing */

/* The per-event id array *ids (NULL until first needed) with an entry for
 * every event the array can hold; new entries read CIVIC_NONE. */
static int grow_ids(civic_engine *e, uint32_t **ids, size_t *cap)
{
    size_t old = *ids ? *cap : 0, want = e->event_cap > e->event_count ? e->event_cap
                                                                         : e->event_count + 1;
    if (old >= want) return CIVIC_OK;
    uint32_t *p = civic__realloc(&e->alc, *ids, old * sizeof(uint32_t), want * sizeof(uint32_t));
    if (!p) return CIVIC_E_NOMEM;
    for (size_t i = old; i < want; i++) p[i] = CIVIC_NONE;
    *ids = p;
    *cap = want;
    return CIVIC_OK;
}

static int reserve_texts(civic_engine *e, const char ***text, size_t *count, size_t *cap,
                         civic_table *table)
{
    if (civic__grow(&e->alc, (void **)text, cap, *count + 1, sizeof(char *)) != CIVIC_OK ||
        civic__table_reserve(&e->alc, table, 1) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

int civic__extras_reserve(civic_engine *e, const civic_parsed *p)
{
    civic_extras *x = &e->extras;
    if ((p->act_len || x->act) && grow_ids(e, &x->act, &x->act_cap) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    if ((p->source_len || x->source) && grow_ids(e, &x->source, &x->source_cap) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    if (p->act_len &&
        reserve_texts(e, &x->act_text, &x->act_count, &x->act_text_cap, &x->act_table) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    if (p->source_len && reserve_texts(e, &x->source_text, &x->source_count,
                                       &x->source_text_cap, &x->source_table) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

/* A length-prefixed copy in the names arena, or NULL. */
static const char *copy_lp(civic_engine *e, const char *s, size_t n)
{
    char *p = civic__arena_alloc(&e->names, n + 2, 1);
    if (!p) return NULL;
    p[0] = (char)n;
    memcpy(p + 1, s, n);
    p[n + 1] = '\0';
    return p + 1;
}

bool civic__extras_text(civic_engine *e, const civic_parsed *p, civic_extra_text *t)
{
    civic_extras *x = &e->extras;
    t->act = t->source = CIVIC_NONE;
    t->new_act = t->new_source = NULL;
    if (p->act_len) {
        t->act = civic__table_find(&x->act_table, act_key, e, p->act, p->act_len,
                                   civic__hash32(p->act, p->act_len));
        if (t->act == CIVIC_NONE && !(t->new_act = copy_lp(e, p->act, p->act_len))) return false;
    }
    if (p->source_len) {
        t->source = civic__table_find(&x->source_table, source_key, e, p->source, p->source_len,
                                      civic__hash32(p->source, p->source_len));
        if (t->source == CIVIC_NONE && !(t->new_source = copy_lp(e, p->source, p->source_len)))
            return false;
    }
    return true;
}

static uint32_t intern(civic_extras *x, const char ***text, size_t *count, civic_table *table,
                       const char *lp)
{
    uint32_t id = (uint32_t)(*count)++;
    (*text)[id] = lp;
    civic__table_insert(table, civic__hash32(lp, civic__lp_len(lp)), id);
    (void)x;
    return id;
}

void civic__extras_store(civic_engine *e, uint32_t index, const civic_parsed *p,
                         const civic_extra_text *t)
{
    civic_extras *x = &e->extras;
    uint32_t act = t ? t->act : CIVIC_NONE, source = t ? t->source : CIVIC_NONE;
    if (t && t->new_act) act = intern(x, &x->act_text, &x->act_count, &x->act_table, t->new_act);
    if (t && t->new_source)
        source = intern(x, &x->source_text, &x->source_count, &x->source_table, t->new_source);
    if (x->act) x->act[index] = act;
    if (x->source) x->source[index] = source;
    if (p->act_len || p->source_len || p->type == CIVIC_TYPE_OBJECT ||
        p->type == CIVIC_TYPE_DISMISS || p->type == CIVIC_TYPE_CORRECT)
        x->v2_events = true;
}

uint32_t civic__act_intern(civic_engine *e, const char *text, size_t len)
{
    civic_extras *x = &e->extras;
    uint32_t h = civic__hash32(text, len);
    uint32_t id = civic__table_find(&x->act_table, act_key, e, text, len, h);
    if (id != CIVIC_NONE) return id;
    if (len == 0 || len > CIVIC_ID_BYTES_MAX ||
        reserve_texts(e, &x->act_text, &x->act_count, &x->act_text_cap, &x->act_table) != CIVIC_OK)
        return CIVIC_NONE;
    const char *copy = copy_lp(e, text, len);
    return copy ? intern(x, &x->act_text, &x->act_count, &x->act_table, copy) : CIVIC_NONE;
}

static void unintern(civic_table *table, const char **text, size_t *count, size_t keep)
{
    while (*count > keep) {
        const char *lp = text[--*count];
        civic__table_remove(table, civic__hash32(lp, civic__lp_len(lp)), (uint32_t)*count);
    }
}

void civic__extras_rollback(civic_engine *e, const civic_batch_mark *m)
{
    civic_extras *x = &e->extras;
    unintern(&x->act_table, x->act_text, &x->act_count, m->act_count);
    unintern(&x->source_table, x->source_text, &x->source_count, m->source_count);
    x->v2_events = m->v2_events;
}

void civic__extras_free(civic_engine *e)
{
    civic_extras *x = &e->extras;
    const civic_allocator *a = &e->alc;
    civic__free(a, x->act, x->act ? x->act_cap * sizeof(uint32_t) : 0);
    civic__free(a, x->source, x->source ? x->source_cap * sizeof(uint32_t) : 0);
    civic__free(a, x->act_text, x->act_text_cap * sizeof(char *));
    civic__free(a, x->source_text, x->source_text_cap * sizeof(char *));
    civic__table_free(a, &x->act_table);
    civic__table_free(a, &x->source_table);
    memset(x, 0, sizeof(*x));
}

/* ------------------------------------------------------------ the engine */

uint32_t civic_engine_spec_version(const civic_engine *e)
{
    if (!e) return 0;
    civic__engine_read_begin(e);
    uint32_t v = e->rules->spec_version >= 2 || e->extras.v2_events ||
                         e->purge_horizon != CIVIC_NO_TIME
                     ? 2
                     : 1;
    civic__engine_read_end(e);
    return v;
}

int64_t civic_engine_purge_horizon(const civic_engine *e)
{
    if (!e) return CIVIC_NO_TIME;
    civic__engine_read_begin(e);
    int64_t h = e->purge_horizon;
    civic__engine_read_end(e);
    return h;
}
