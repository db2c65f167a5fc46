/*
** cache.c -- the fold cache: per subject, the part of its last evaluation
** that a later query may reuse (a civic_fold, built by eval.c), so that
** asking again about a busy subject costs one pass over its counted events
** instead of gathering, sorting, resolving and folding them all.
**
** A fold is keyed by what the answer depends on besides T (the subject's
** event count and newest event, and the purge state; civic_fold_key) and is
** valid for T in [lo, hi) (eval.c proves which T).  It is never updated:
** a query that finds none, or a stale one, evaluates in full and offers a
** new one.  No write touches the cache.  Why the key is enough:
**   - events are only appended; a batch rollback removes only events of
**     its own batch, added after every fold that exists was built (a query
**     from inside a write, a reject callback's, keeps no fold).  So without
**     a purge, the events a fold was built from are still there, and the
**     subject holds no others iff its count is the same;
**   - a purge removes events and renumbers them: it counts e->purges up;
**   - tombstones and the horizon change answers too (archival on arrival,
**     pointers at purged events); a purge or a snapshot load adds them, and
**     only a failed snapshot load removes the ones it added itself.
** So every write that can change a subject's answer changes its key:
** add, load, pointers (revokes, repairs, objections, dismissals,
** corrections point only at their own subject's events), purge, journal
** replay, snapshot load; a rolled back batch leaves the key and the answer
** as they were.  The rules never change for an engine.
**
** Locking: queries hold the engine's read lock and may run on many threads
** at once.  A mutex guards the table and the reference counts; a fold is
** filled before it is put (the mutex publishes it) and read-only after, so
** readers share it without the mutex.  A fold that is replaced, stale or
** evicted while readers hold it is unlinked and freed by the last release.
**
** Bounded: only subjects with at least events_min events, at most
** bytes_max bytes of folds (least recently used first out); everything is
** freed with the engine.  It does not evaluate (eval.c) or decide which
** queries use it (query.c).
*/
#include "internal.h"

#include <string.h>

#define CACHE_EVENTS_MIN 4096u
#define CACHE_BYTES_MAX ((size_t)64 << 20)

struct civic_cache {
    pthread_mutex_t mu;
    civic_fold **folds;        /* live folds, one per subject at most */
    size_t count, cap;
    size_t bytes;              /* of the live folds */
    size_t bytes_max;
    uint32_t events_min;
    uint64_t tick;             /* use counter: the least recently used goes first */
    uint64_t hits;             /* answers given from a fold (tests) */
};

int civic__cache_new(civic_engine *e)
{
    civic_cache *c = civic__calloc(&e->alc, 1, sizeof(*c));
    if (!c) return CIVIC_E_NOMEM;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        civic__free(&e->alc, c, sizeof(*c));
        return CIVIC_E_NOMEM;
    }
    c->bytes_max = CACHE_BYTES_MAX;
    c->events_min = CACHE_EVENTS_MIN;
    e->cache = c;
    return CIVIC_OK;
}

static void fold_free(const civic_allocator *a, civic_fold *f)
{
    civic__free(a, f, f->bytes);
}

/* Take f out of the table (the mutex held); freed now or by its last reader. */
static void unlink_at(const civic_engine *e, civic_cache *c, size_t i)
{
    civic_fold *f = c->folds[i];
    c->folds[i] = c->folds[--c->count];
    c->bytes -= f->bytes;
    f->dead = true;
    if (f->refs == 0) fold_free(&e->alc, f);
}

void civic__cache_free(civic_engine *e)
{
    civic_cache *c = e->cache;
    if (!c) return;
    while (c->count) unlink_at(e, c, c->count - 1); /* no reader is left */
    civic__free(&e->alc, c->folds, c->cap * sizeof(civic_fold *));
    pthread_mutex_destroy(&c->mu);
    civic__free(&e->alc, c, sizeof(*c));
    e->cache = NULL;
}

void civic__cache_configure(civic_engine *e, uint32_t events_min, size_t bytes_max)
{
    civic_cache *c = e->cache;
    pthread_mutex_lock(&c->mu);
    c->events_min = events_min;
    c->bytes_max = bytes_max;
    while (c->count && c->bytes > c->bytes_max) unlink_at(e, c, c->count - 1);
    pthread_mutex_unlock(&c->mu);
}

bool civic__cache_wants(const civic_engine *e, uint32_t s)
{
    /* events_min is set before queries run (engine creation, tests) */
    return e->cache && e->subjects[s].count >= e->cache->events_min;
}

void civic__cache_key(const civic_engine *e, uint32_t s, civic_fold_key *k)
{
    memset(k, 0, sizeof(*k)); /* compared with memcmp: no stray padding */
    k->purges = e->purges;
    k->tombs = e->tombs.count;
    k->act_tombs = e->tombs.act_count;
    k->horizon = e->purge_horizon;
    k->subject = s;
    k->count = e->subjects[s].count;
    k->last = e->subjects[s].last;
}

const civic_fold *civic__cache_get(const civic_engine *e, uint32_t s, int64_t as_of)
{
    civic_cache *c = e->cache;
    civic_fold_key k;
    civic__cache_key(e, s, &k);
    civic_fold *found = NULL;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->count; i++) {
        civic_fold *f = c->folds[i];
        if (f->key.subject != s) continue;
        if (memcmp(&f->key, &k, sizeof(k)) != 0) {
            unlink_at(e, c, i); /* stale for good: the key never comes back */
        } else if (as_of >= f->lo && as_of < f->hi) {
            f->refs++;
            f->used = ++c->tick;
            c->hits++;
            found = f;
        }
        break;
    }
    pthread_mutex_unlock(&c->mu);
    return found;
}

void civic__cache_release(const civic_engine *e, const civic_fold *held)
{
    civic_cache *c = e->cache;
    civic_fold *f = (civic_fold *)(uintptr_t)held; /* the cache's own, lent const */
    pthread_mutex_lock(&c->mu);
    CIVIC_ASSERT(f->refs > 0);
    if (--f->refs == 0 && f->dead) fold_free(&e->alc, f);
    pthread_mutex_unlock(&c->mu);
}

void civic__cache_put(const civic_engine *e, civic_fold *f)
{
    civic_cache *c = e->cache;
    f->refs = 0;
    f->dead = false;
    /* Asked from a reject callback, inside a load: the batch so far may yet
     * be rolled back, and the next write could give the subject the same
     * count and newest event again.  So nothing built there is kept. */
    if (civic__engine_writing(e)) {
        fold_free(&e->alc, f);
        return;
    }
    pthread_mutex_lock(&c->mu);
    if (f->bytes > c->bytes_max ||
        civic__grow(&e->alc, (void **)&c->folds, &c->cap, c->count + 1, sizeof(civic_fold *)) !=
            CIVIC_OK) {
        pthread_mutex_unlock(&c->mu);
        fold_free(&e->alc, f);
        return;
    }
    for (size_t i = 0; i < c->count; i++)
        if (c->folds[i]->key.subject == f->key.subject) {
            unlink_at(e, c, i); /* one per subject: the newest wins */
            break;
        }
    while (c->count && c->bytes + f->bytes > c->bytes_max) {
        size_t old = 0;
        for (size_t i = 1; i < c->count; i++)
            if (c->folds[i]->used < c->folds[old]->used) old = i;
        unlink_at(e, c, old);
    }
    f->used = ++c->tick;
    c->folds[c->count++] = f;
    c->bytes += f->bytes;
    pthread_mutex_unlock(&c->mu);
}

void civic__cache_stats(const civic_engine *e, size_t *folds, size_t *bytes, uint64_t *hits)
{
    civic_cache *c = e->cache;
    pthread_mutex_lock(&c->mu);
    *folds = c->count;
    *bytes = c->bytes;
    *hits = c->hits;
    pthread_mutex_unlock(&c->mu);
}
