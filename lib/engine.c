/*
** engine.c -- event storage: the engine object, its lock, inserting events,
** batches.
**
** Events live in one 32-byte-aligned array of 32-byte records (civic_ev in
** internal.h); their ids and refs live in the id store, one growable block
** of length-prefixed texts found by offset, and qtys too large for a record
** in a side array; subject ids and group paths live in a chunked arena as
** length-prefixed, NUL-terminated strings (the length byte sits just before
** the text).  The id index (ids.h) maps event ids to indices, two intern
** tables (table.h) subject ids and group paths.
** Subjects keep a backward chain through their events (ev.prev), so a
** single subject's events are found without scanning.
**
** It does not validate events (event.c does), read input (the loaders do)
** or know the journal (it calls the commit hook the journal attached).
**
** Invariants: an event is inserted only after every allocation it needs has
** succeeded, so an insert never half-happens; a batch records a mark and a
** failed batch is undone event by event in reverse (civic__batch_rollback),
** which restores tables, chains, the id store and the arena exactly.  Every write goes
** through civic__engine_write (lock, mark, apply, commit hook, roll back on
** failure, unlock) and every query between civic__engine_read_begin/end:
** the rwlock is never touched outside this file.
*/
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* glibc: pthread_rwlockattr_setkind_np, writers first; sched_getaffinity */
#endif
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ the hash key */

uint64_t civic__hash_key;
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

bool civic__hash_seed_parse(const char *text, uint64_t *key)
{
    if (!text || !(text[0] >= '0' && text[0] <= '9')) return false; /* no sign, no space */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || end == text || *end) return false;
    *key = (uint64_t)v;
    return true;
}

static void hash_key_make(void)
{
    if (civic__hash_seed_parse(getenv("CIVIC_HASH_SEED"), &civic__hash_key)) return;
    uint64_t k = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &k, sizeof(k)) != (ssize_t)sizeof(k)) k = 0;
        close(fd);
    }
    if (!k) { /* no /dev/urandom (a chroot, a sandbox): what this run alone has */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        k = ((uint64_t)now.tv_nsec * UINT64_C(0x9e3779b97f4a7c15)) ^ (uint64_t)now.tv_sec ^
            ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&k;
    }
    civic__hash_key = k;
}

/* The key is set once, before any table holds a hash: as the library loads
 * (before main, or as a shared library is opened), and again, to no effect,
 * by every civic_engine_new, which a program's own constructors may reach
 * first when the library is linked statically.  It never changes after. */
#if defined(__GNUC__)
__attribute__((constructor))
#endif
static void hash_key_init(void)
{
    int saved = errno; /* a program's errno is 0 as main begins, whatever ran before */
    pthread_once(&hash_key_once, hash_key_make);
    errno = saved;
}

/* ------------------------------------------------------------ room and lookups */

/* The event array is allocated with one record to spare and used from its
 * first 32-byte boundary, so that no record straddles two cache lines
 * whatever the allocator's alignment; a reallocation that lands the block
 * on another alignment moves the records to the new boundary. */
static civic_ev *events_at(void *block)
{
    uintptr_t at = (uintptr_t)block;
    return (civic_ev *)(void *)((char *)block + (((at + 31) & ~(uintptr_t)31) - at));
}

int civic__events_realloc(const civic_allocator *a, void **block, civic_ev **events,
                          size_t count, size_t old_cap, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(civic_ev) - 1) return CIVIC_E_NOMEM;
    size_t old_bytes = *block ? (old_cap + 1) * sizeof(civic_ev) : 0;
    size_t old_shift = *block ? (size_t)((char *)*events - (char *)*block) : 0;
    void *p = civic__realloc(a, *block, old_bytes, (cap + 1) * sizeof(civic_ev));
    if (!p) return CIVIC_E_NOMEM;
    civic__advise_random(a, p, (cap + 1) * sizeof(civic_ev));
    civic_ev *at = events_at(p);
    if ((size_t)((char *)at - (char *)p) != old_shift && count)
        memmove(at, (char *)p + old_shift, count * sizeof(civic_ev));
    *block = p;
    *events = at;
    return CIVIC_OK;
}

void civic__events_free(const civic_allocator *a, void *block, size_t cap)
{
    civic__free(a, block, block ? (cap + 1) * sizeof(civic_ev) : 0);
}

static void ahead_stop(civic_engine *e);

static int events_grow(civic_engine *e, size_t need)
{
    if (need <= e->event_cap) return CIVIC_OK;
    ahead_stop(e); /* the block may move */
    size_t cap = e->event_cap ? e->event_cap : 16;
    while (cap < need) {
        if (cap > SIZE_MAX / 4 / sizeof(civic_ev)) return CIVIC_E_NOMEM;
        cap *= 2;
    }
    if (civic__events_realloc(&e->alc, &e->events_block, &e->events, e->event_count,
                              e->event_cap, cap) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    e->event_cap = cap;
    return CIVIC_OK;
}

int civic__engine_reserve_events(civic_engine *e, size_t n)
{
    if (n > SIZE_MAX - e->event_count || events_grow(e, e->event_count + n) != CIVIC_OK ||
        civic__ids_reserve(&e->ids, &e->alc, n) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

/* Room for `bytes` more bytes of ids and refs: grown by doubling (a big
 * block is remapped, not copied, by most allocators). */
int civic__id_store_grow(const civic_allocator *a, civic_id_store *st, uint64_t bytes)
{
    if (st->data && bytes <= st->cap - st->used) return CIVIC_OK;
    if (bytes > CIVIC_ID_STORE_BYTES_MAX - st->used || st->used + bytes > SIZE_MAX / 2)
        return CIVIC_E_NOMEM;
    uint64_t cap = st->cap ? st->cap : 4096;
    while (cap - st->used < bytes) cap *= 2;
    char *data = civic__realloc(a, st->data, (size_t)st->cap, (size_t)cap);
    if (!data) return CIVIC_E_NOMEM;
    /* Huge pages once the store is large: a load writing 80 MB of ids took
     * 20,000 faults of 4 KiB.  Below 32 MiB the last huge page, faulted in
     * whole, would round too much of the store up. */
    if (cap >= ((uint64_t)32 << 20)) civic__advise_random(a, data, (size_t)cap);
    st->data = data;
    st->cap = cap;
    return CIVIC_OK;
}

void civic__id_store_free(const civic_allocator *a, civic_id_store *st)
{
    civic__free(a, st->data, (size_t)st->cap);
    memset(st, 0, sizeof(*st));
}

const char *civic__id_spell(const char *prefix, uint64_t num, civic_id_buf *buf)
{
    char digits[20], *d = digits + sizeof(digits);
    do {
        *--d = (char)('0' + num % 10);
        num /= 10;
    } while (num);
    size_t k = civic__lp_len(prefix), n = (size_t)(digits + sizeof(digits) - d);
    CIVIC_ASSERT(k <= CIVIC_DENSE_PREFIX_MAX && n <= CIVIC_DENSE_DIGITS_MAX);
    buf->b[0] = (char)(k + n);
    memcpy(buf->b + 1, prefix, k);
    memcpy(buf->b + 1 + k, d, n);
    return buf->b + 1;
}

/* num's digits, left-aligned to 12 (numbers below CIVIC_ID_NUMBERED have
 * at most 12), and how many there are. */
_Static_assert(CIVIC_ID_NUMBERED <= 1000000000000u, "a numbered id has at most 12 digits");
static uint64_t digits_aligned(uint64_t num, unsigned *count)
{
    unsigned n = 1;
    for (uint64_t x = num; x >= 10; x /= 10) n++;
    *count = n;
    while (n++ < 12) num *= 10;
    return num;
}

int civic__id_compare(civic_id_view a, civic_id_view b)
{
    if (a.num != CIVIC_ID_TEXT && b.num != CIVIC_ID_TEXT) {
        /* one prefix (one engine's): the digits bytewise, without spelling them */
        unsigned na, nb;
        uint64_t x = digits_aligned(a.num, &na), y = digits_aligned(b.num, &nb);
        if (x != y) return x < y ? -1 : 1;
        return na < nb ? -1 : na > nb;
    }
    civic_id_buf ba, bb;
    const char *x = civic__id_text(a, &ba), *y = civic__id_text(b, &bb);
    size_t nx = civic__lp_len(x), ny = civic__lp_len(y);
    int c = memcmp(x, y, nx < ny ? nx : ny);
    if (c) return c;
    return nx < ny ? -1 : nx > ny;
}

static inline int id_store_reserve(civic_engine *e, uint64_t bytes)
{
    if (e->id_store.data && bytes <= e->id_store.cap - e->id_store.used) return CIVIC_OK;
    ahead_stop(e); /* the block may move */
    return civic__id_store_grow(&e->alc, &e->id_store, bytes);
}

int civic__engine_reserve_names(civic_engine *e, size_t n)
{
    if (civic__grow(&e->alc, (void **)&e->subjects, &e->subject_cap, e->subject_count + n,
                    sizeof(civic_subject)) != CIVIC_OK ||
        civic__table_reserve(&e->alc, &e->subject_table, n) != CIVIC_OK ||
        civic__grow(&e->alc, (void **)&e->groups, &e->group_cap, e->group_count + n,
                    sizeof(civic_intern)) != CIVIC_OK ||
        civic__table_reserve(&e->alc, &e->group_table, n) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

uint32_t civic__event_find(const civic_engine *e, const char *id, size_t len)
{
    civic_id_at at;
    civic__ids_locate(&e->ids, id, len, &at);
    /* The hash is for the table, which a number the array lacks is not in
     * unless some were spilled. */
    uint32_t h = at.shaped && !e->ids.dense.spilled ? 0 : civic__hash32(id, len);
    return civic__ids_find_at(&e->ids, &at, civic__event_key, e, id, len, h);
}

/* The subject named (s, n), hash h: the table's find, with the record's
 * key compared before the text (civic__name_key). */
static inline uint32_t subject_find(const civic_engine *e, const char *s, size_t n, uint32_t h)
{
    const civic_table *t = &e->subject_table;
    if (t->mask == 0) return CIVIC_NONE;
    uint64_t key = civic__name_key(s, n);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t slot = civic__slot_load(&t->slots[i]);
        if (slot == 0) return CIVIC_NONE;
        if ((uint32_t)(slot >> 32) != h) continue;
        const civic_subject *x = &e->subjects[(uint32_t)slot - 1];
        if (x->key == key && (n <= CIVIC_NAME_KEY_BYTES || civic__bytes_equal(x->id, s, n)))
            return (uint32_t)slot - 1;
    }
}

uint32_t civic__subject_find(const civic_engine *e, const char *id, size_t len)
{
    return subject_find(e, id, len, civic__hash32(id, len));
}

/* ------------------------------------------------------------ locking
 *
 * One rwlock per engine, taken only here.  It lives behind a pointer so that
 * queries, which get a const engine, lock it without casting const away.
 * It prefers writers where the C library lets us say so: a stream of queries
 * must not starve a service's writes.  That is safe because no code path
 * takes the read lock twice. */

/* ------------------------------------------------------------ faulting ahead
 *
 * One civic_engine_add at a time writes the event array and the id store
 * into memory nothing has touched, and at each new page the kernel clears
 * it on the adding thread: ~15 % of the adds growing an engine to 10M
 * events.  A load has helpers that fault its room in ahead (pipeline.c);
 * adds have none.  So when the adds come within half a round of what has
 * been faulted in, a short-lived thread faults the next round in on another
 * core (civic__prefault: no byte changes) while they go on.  A round is as
 * many records (at most AHEAD_EVENTS) and id bytes (AHEAD_STORE) as the
 * adds have written since the engine's last other write, inside the room
 * already allocated: an engine that takes a few adds now and then faults
 * in little more than it uses.  Nothing may move or free the blocks while
 * the thread runs: a growth stops it first, and so does every write but an
 * add, and freeing the engine (ahead_stop waits out one chunk at most).
 * Only engines allowed more than one thread start it.  All of its state is
 * under the write lock but `stop` and `finished`. */
#define AHEAD_CHUNK ((uintptr_t)2 << 20)
#define AHEAD_EVENTS ((size_t)1 << 20)    /* 32 MiB of records a round */
#define AHEAD_STORE ((uint64_t)8 << 20)   /* bytes of the id store a round */
#define AHEAD_MIN ((uintptr_t)4 << 20)    /* less than this is not worth a thread */

typedef struct civic_ahead {
    pthread_t thread;
    bool running;              /* a thread to join */
    bool off;                  /* the system cannot fault ahead: never again */
    bool failed;               /* the thread's answer, read after the join */
    int stop;                  /* atomic: leave before the next chunk */
    int finished;              /* atomic: the thread is done */
    pid_t pid;                 /* the process that started it (not a fork's child) */
    const civic_allocator *alc;
    uintptr_t lo[2], hi[2];    /* this round: records, then id store bytes */
    size_t events;             /* records [0, events) are faulted in, or being */
    uint64_t store;            /* id store bytes [0, store) likewise */
    size_t next_events;        /* the next round starts when the adds reach this */
    uint64_t next_store;       /* ... or this */
    size_t base_events;        /* the records and id bytes when the engine's */
    uint64_t base_store;       /* last other write ended */
} civic_ahead;

/* The engine's lock, and the adds' thread that the write lock orders: only
 * this file knows what they are.  `journal` orders the journal's opens and
 * closes (civic__engine_journal_begin); queries and other writes never take
 * it. */
struct civic_lock {
    pthread_rwlock_t rw;
    pthread_mutex_t journal;
    civic_ahead ahead;
};

/* `stop` and `finished`, the two fields the thread shares without the
 * lock.  Each atomic access is a function of its own, as are the engine's
 * hints (hint_publish, hint_prefetch): valgrind's race detectors, helgrind
 * and drd, do not know __atomic and report every one of them as a data
 * race, and lib/libcivic.supp hides those reports by these names alone. */
static inline void ahead_flag_set(int *flag)
{
    __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

static inline bool ahead_flag(const int *flag)
{
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0;
}

static void *ahead_main(void *arg)
{
    civic_ahead *a = arg;
    for (int r = 0; r < 2 && !a->failed; r++) {
        for (uintptr_t lo = a->lo[r]; lo < a->hi[r];) {
            if (ahead_flag(&a->stop)) break;
            uintptr_t hi = (lo & ~(AHEAD_CHUNK - 1)) + AHEAD_CHUNK;
            if (hi > a->hi[r]) hi = a->hi[r];
            if (!civic__prefault(a->alc, (void *)lo, hi - lo)) {
                a->failed = true;
                break;
            }
            lo = hi;
        }
    }
    ahead_flag_set(&a->finished);
    return NULL;
}

/* Under the write lock (or freeing the engine): no thread faults ahead
 * after this returns. */
static void ahead_stop(civic_engine *e)
{
    civic_ahead *a = &e->lock->ahead;
    if (!a->running) return;
    a->running = false;
    if (a->pid != getpid()) return; /* a fork's child: the thread is not here */
    ahead_flag_set(&a->stop);
    pthread_join(a->thread, NULL);
    if (a->failed) a->off = true;
}

/* After an add: near the end of what is faulted in, start the next round
 * (if the last one is done; if not, the adds fault their pages in
 * themselves meanwhile). */
static void ahead_after_add(civic_engine *e)
{
    civic_ahead *a = &e->lock->ahead;
    if (e->event_count < a->next_events && e->id_store.used < a->next_store) return;
    if (a->off || e->threads < 2 || !e->events || !e->id_store.data) return;
    if (a->running) {
        if (!ahead_flag(&a->finished)) return;
        ahead_stop(e);
        if (a->off) return;
    }
    size_t ev_round = e->event_count > a->base_events ? e->event_count - a->base_events : 0;
    uint64_t st_round = e->id_store.used > a->base_store ? e->id_store.used - a->base_store : 0;
    if (ev_round > AHEAD_EVENTS) ev_round = AHEAD_EVENTS;
    if (st_round > AHEAD_STORE) st_round = AHEAD_STORE;
    /* from the frontier (or the adds, if past it) a round on, inside the room */
    size_t ev_from = a->events > e->event_count ? a->events : e->event_count;
    uint64_t st_from = a->store > e->id_store.used ? a->store : e->id_store.used;
    if (ev_from > e->event_cap) ev_from = e->event_cap;
    if (st_from > e->id_store.cap) st_from = e->id_store.cap;
    size_t ev_to = e->event_cap - ev_from > ev_round ? ev_from + ev_round : e->event_cap;
    uint64_t st_to = e->id_store.cap - st_from > st_round ? st_from + st_round : e->id_store.cap;
    if ((ev_to - ev_from) * sizeof(civic_ev) + (st_to - st_from) < AHEAD_MIN) return;
    a->lo[0] = (uintptr_t)(e->events + ev_from);
    a->hi[0] = (uintptr_t)(e->events + ev_to);
    a->lo[1] = (uintptr_t)(e->id_store.data + st_from);
    a->hi[1] = (uintptr_t)(e->id_store.data + st_to);
    a->events = ev_to;
    a->store = st_to;
    a->next_events = ev_to - (ev_to - ev_from) / 2;
    a->next_store = st_to - (st_to - st_from) / 2;
    a->alc = &e->alc;
    a->stop = a->finished = 0;
    a->failed = false;
    a->pid = getpid();
    a->running = civic__thread_create(&a->thread, ahead_main, a) == 0;
}

/* Any write but an add: the thread stops, and the rounds start over from
 * what the engine holds when the write is done. */
static void ahead_reset(civic_engine *e)
{
    civic_ahead *a = &e->lock->ahead;
    a->events = a->next_events = a->base_events = e->event_count;
    a->store = a->next_store = a->base_store = e->id_store.used;
}

static int engine_lock_init(struct civic_lock *lock)
{
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0) return -1;
#if defined(__GLIBC__) && defined(__USE_GNU)
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    int rc = pthread_rwlock_init(&lock->rw, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0) return rc;
    rc = pthread_mutex_init(&lock->journal, NULL);
    if (rc != 0) pthread_rwlock_destroy(&lock->rw);
    return rc;
}

static void engine_lock_destroy(struct civic_lock *lock)
{
    pthread_mutex_destroy(&lock->journal);
    pthread_rwlock_destroy(&lock->rw);
}

/* The engines whose writes this thread is in, innermost first: a reject
 * callback runs inside the load's write, on its thread, and may load into
 * another engine whose callback calls the first.  The lock is not
 * recursive (glibc refuses a nested lock with EDEADLK, and the unlock
 * after it released the write's own lock: the rest of the load ran
 * unlocked, a query saw half a batch).  So a query on an engine this thread
 * is writing reads under that write's lock (it sees the batch so far), and
 * a write, or a file written from the engine, is refused
 * (civic__engine_writing).  The frames live on civic__engine_write's stack. */
typedef struct write_frame {
    const civic_engine *engine;
    const struct write_frame *outer;
} write_frame;
static _Thread_local const write_frame *writing;

bool civic__engine_writing(const civic_engine *e)
{
    for (const write_frame *f = writing; f; f = f->outer)
        if (f->engine == e) return true;
    return false;
}

void civic__engine_read_begin(const civic_engine *e)
{
    if (!writing || !civic__engine_writing(e)) pthread_rwlock_rdlock(&e->lock->rw);
}

void civic__engine_read_end(const civic_engine *e)
{
    if (!writing || !civic__engine_writing(e)) pthread_rwlock_unlock(&e->lock->rw);
}

/* Not from a callback of the engine's own write (its write lock held, and
 * another thread's open may hold `journal` and wait for that lock): the
 * write that follows refuses it (civic__engine_write). */
bool civic__engine_journal_begin(const civic_engine *e)
{
    if (writing && civic__engine_writing(e)) return false;
    pthread_mutex_lock(&e->lock->journal);
    return true;
}

void civic__engine_journal_end(const civic_engine *e, bool began)
{
    if (began) pthread_mutex_unlock(&e->lock->journal);
}

static int add_apply(civic_engine *e, void *ctx, civic_error *err);

/* The table slots an add's lookups will start from, for hint_prefetch:
 * relaxed atomic stores (a function of their own for lib/libcivic.supp,
 * see ahead_flag_set). */
static inline void hint_publish(civic_engine *e)
{
    __atomic_store_n(&e->hint_ids, (uintptr_t)civic__ids_table_hint(&e->ids), __ATOMIC_RELAXED);
    __atomic_store_n(&e->hint_ids_mask, e->ids.table.mask, __ATOMIC_RELAXED);
    __atomic_store_n(&e->hint_subjects, (uintptr_t)e->subject_table.slots, __ATOMIC_RELAXED);
    __atomic_store_n(&e->hint_subjects_mask, e->subject_table.mask, __ATOMIC_RELAXED);
}

int civic__engine_write_allowed(const civic_engine *e, civic_error *err)
{
    if (writing && civic__engine_writing(e))
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "a write to the engine from a "
                                "callback of its own write (a reject callback may query it, "
                                "not change it)");
    return CIVIC_OK;
}

int civic__engine_write(civic_engine *e, civic_apply_fn apply, void *ctx, civic_error *err)
{
    int refused = civic__engine_write_allowed(e, err);
    if (refused != CIVIC_OK) return refused;
    pthread_rwlock_wrlock(&e->lock->rw);
    write_frame frame = { e, writing }; /* a callback may write to another engine */
    writing = &frame;
    bool add = apply == add_apply;
    if (!add) ahead_stop(e); /* any other write may move or free a block */
    /* The batch goes to the hook attached when it began: a journal that an
     * apply attaches (and whose replayed events it already holds) is not
     * handed its own events back. */
    civic_commit_hook hook = e->hook;
    civic_batch_mark mark = civic__batch_begin(e);
    int rc = apply(e, ctx, err);
    if (rc >= 0 && hook.commit && e->event_count > mark.event_count) {
        int hrc = hook.commit(hook.ctx, e, mark.event_count, err);
        if (hrc != CIVIC_OK) rc = hrc;
    }
    if (rc < 0) civic__batch_rollback(e, &mark);
    if (!add) ahead_reset(e);
    hint_publish(e);
    writing = frame.outer;
    pthread_rwlock_unlock(&e->lock->rw);
    return rc;
}

/* ------------------------------------------------------------ the engine */

/* Internal threads by default: one per CPU the process may run on (at most
 * 8), but none with a caller's allocator, which need not be thread-safe.
 * The affinity mask counts where there is one (taskset, cpusets, container
 * limits): two threads time-sliced on one allowed core only add switches. */
static uint32_t default_threads(const civic_engine_options *opts)
{
    if (opts && opts->allocator) return 1;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
#if defined(__linux__) && defined(CPU_COUNT)
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0 && CPU_COUNT(&allowed) >= 1 &&
        CPU_COUNT(&allowed) < n)
        n = CPU_COUNT(&allowed);
#endif
    if (n < 1) return 1;
    return n > 8 ? 8u : (uint32_t)n;
}

void civic__engine_serial_loads(civic_engine *e, bool on)
{
    e->serial_loads = on;
}

int civic_engine_new(civic_engine **out, civic_rules *rules, const civic_engine_options *opts)
{
    if (out) *out = NULL;
    if (!out || !rules) return CIVIC_E_INVALID;
    if (opts && (opts->version < 1 || opts->version > CIVIC_ENGINE_OPTIONS_VERSION))
        return CIVIC_E_VERSION;
    if (opts && (opts->flags != 0 || opts->reserved != 0)) return CIVIC_E_INVALID;
    hash_key_init();
    civic_allocator a;
    civic__alloc_init(&a, opts ? opts->allocator : NULL);
    civic_engine *e = civic__calloc(&a, 1, sizeof(*e));
    if (!e) return CIVIC_E_NOMEM;
    e->alc = a;
    civic__ids_init(&e->ids);
    e->lock = civic__malloc(&a, sizeof(*e->lock));
    if (e->lock) memset(&e->lock->ahead, 0, sizeof(e->lock->ahead));
    if (!e->lock || engine_lock_init(e->lock) != 0) {
        civic__free(&a, e->lock, sizeof(*e->lock));
        civic__free(&a, e, sizeof(*e));
        return CIVIC_E_NOMEM;
    }
    if (civic__cache_new(e) != CIVIC_OK) {
        engine_lock_destroy(e->lock);
        civic__free(&a, e->lock, sizeof(*e->lock));
        civic__free(&a, e, sizeof(*e));
        return CIVIC_E_NOMEM;
    }
    e->rules = rules;
    civic__rules_retain(rules);
    if (civic__event_limits(e) != CIVIC_OK) {
        civic__cache_free(e);
        civic_rules_free(rules);
        engine_lock_destroy(e->lock);
        civic__free(&a, e->lock, sizeof(*e->lock));
        civic__free(&a, e, sizeof(*e));
        return CIVIC_E_NOMEM;
    }
    e->events_max = UINT32_MAX - 1u;
    if (opts && opts->events_max && opts->events_max < e->events_max)
        e->events_max = opts->events_max;
    e->threads = opts && opts->threads ? opts->threads : default_threads(opts);
    e->two_pass_events = CIVIC_TWO_PASS_EVENTS;
    civic__arena_init(&e->names, &e->alc, (size_t)1 << 16);
    e->ts_min = INT64_MAX;
    e->ts_max = INT64_MIN;
    e->purge_horizon = CIVIC_NO_TIME;
    *out = e;
    return CIVIC_OK;
}

void civic_engine_free(civic_engine *e)
{
    if (!e) return;
    civic_allocator a = e->alc;
    ahead_stop(e);
    if (e->hook.release) e->hook.release(e->hook.ctx, &a);
    civic__cache_free(e);
    civic__ids_free(&a, &e->ids);
    civic__table_free(&a, &e->subject_table);
    civic__table_free(&a, &e->group_table);
    civic__extras_free(e);
    civic__tombs_free(e);
    civic__events_free(&a, e->events_block, e->event_cap);
    civic__id_store_free(&a, &e->id_store);
    civic__free(&a, e->wide, e->wide_cap * sizeof(int64_t));
    civic__free(&a, e->subjects, e->subject_cap * sizeof(civic_subject));
    civic__free(&a, e->groups, e->group_cap * sizeof(civic_intern));
    civic__arena_free(&e->names);
    engine_lock_destroy(e->lock);
    civic__free(&a, e->lock, sizeof(*e->lock));
    civic__free(&a, e->qty_fast, (e->rules->rule_count ? e->rules->rule_count : 1) * sizeof(uint32_t));
    civic_rules_free(e->rules);
    civic__free(&a, e, sizeof(*e));
}

const civic_rules *civic_engine_rules(const civic_engine *e) { return e ? e->rules : NULL; }

/* ------------------------------------------------------------ insert */

/* A length-prefixed, NUL-terminated copy of s in the arena, or NULL when
 * out of memory. */
static inline const char *arena_lp(civic_arena *a, const char *s, size_t n)
{
    CIVIC_ASSERT(n <= 255);
    char *p = civic__arena_alloc(a, n + 2, 1);
    if (!p) return NULL;
    p[0] = (char)n;
    memcpy(p + 1, s, n);
    p[n + 1] = '\0';
    return p + 1;
}

static int wide_reserve(civic_engine *e, size_t n)
{
    if (n > (size_t)CIVIC_EV_WIDE - e->wide_count) return CIVIC_E_NOMEM; /* index in 31 bits */
    return civic__grow(&e->alc, (void **)&e->wide, &e->wide_cap, e->wide_count + n,
                       sizeof(int64_t));
}

/* Whether qty needs the side array (2^31 thousandths or more). */
static inline bool qty_is_wide(const civic_parsed *p)
{
    return !p->ref && (uint64_t)p->qty >= CIVIC_EV_WIDE;
}

int civic__engine_reserve_batch(civic_engine *e, size_t events, size_t id_bytes,
                                size_t name_bytes)
{
    if (civic__engine_reserve_events(e, events) != CIVIC_OK ||
        civic__engine_reserve_names(e, events) != CIVIC_OK ||
        id_store_reserve(e, id_bytes) != CIVIC_OK ||
        civic__arena_reserve(&e->names, name_bytes) != CIVIC_OK)
        return CIVIC_E_NOMEM;
    return CIVIC_OK;
}

/* Room for one more event, p, in the arrays and tables it may grow (its
 * subject and group counted as new), the store and the names arena: the
 * checks inline, the growing in civic__engine_reserve_batch. */
static inline int reserve_one(civic_engine *e, const civic_parsed *p)
{
    size_t names = p->subject_len + p->group_len + 2 * 2;
    const civic_arena_chunk *c = e->names.top;
    if (e->event_count < e->event_cap && e->subject_count < e->subject_cap && e->subject_table.mask &&
        (e->subject_table.count + 1) * 4 <= (e->subject_table.mask + 1) * 3 &&
        e->group_count < e->group_cap && e->group_table.mask &&
        (e->group_table.count + 1) * 4 <= (e->group_table.mask + 1) * 3 &&
        e->id_store.data && p->id_len + p->ref_len + 2 <= e->id_store.cap - e->id_store.used && c &&
        ((c->used + 15) & ~(size_t)15) + names <= c->size)
        return CIVIC_OK;
    return civic__engine_reserve_batch(e, 1, p->id_len + p->ref_len + 2, names);
}

/* The strings an insert copies into the names arena: the subject's and
 * group's only when they are new (index CIVIC_NONE), act and source. */
typedef struct insert_text {
    const char *subject, *group;
    civic_extra_text extra;    /* act and source (version 2) */
} insert_text;

/* Copy them all, or none: false (arena as it was) when out of memory.
 * With room reserved beforehand this cannot fail, but nothing relies on it. */
static inline bool copy_text(civic_engine *e, const civic_parsed *p, uint32_t s, uint32_t g,
                             insert_text *t)
{
    t->subject = t->group = NULL;
    bool new_group = p->group_len && g == CIVIC_NONE, extras = p->act_len | p->source_len;
    if (s != CIVIC_NONE && !new_group && !extras) return true; /* the usual case */
    civic_arena_mark names = civic__arena_mark(&e->names);
    if (s == CIVIC_NONE && !(t->subject = arena_lp(&e->names, p->subject, p->subject_len)))
        goto fail;
    if (new_group && !(t->group = arena_lp(&e->names, p->group, p->group_len))) goto fail;
    if (!extras || civic__extras_text(e, p, &t->extra)) return true;
fail:
    civic__arena_reset(&e->names, names);
    return false;
}

/* Store p as event `index` of subject s and group g (both existing now):
 * nothing can fail any more. */
static inline void store(civic_engine *e, const civic_parsed *p, uint32_t s, uint32_t g,
                         const insert_text *t, const civic_id_at *at)
{
    uint32_t index = (uint32_t)e->event_count++;
    civic_ev *ev = &e->events[index];
    uint64_t id = civic__id_store_id(&e->id_store, at, p->id, p->id_len), aux;
    if (p->ref) {
        aux = civic__id_store_put(&e->id_store, p->ref, p->ref_len);
    } else if ((uint64_t)p->qty < CIVIC_EV_WIDE) {
        aux = (uint64_t)p->qty;
    } else {
        aux = CIVIC_EV_WIDE | e->wide_count;
        e->wide[e->wide_count++] = p->qty;
    }
    ev->ts = p->ts;
    ev->subject = s;
    ev->prev = e->subjects[s].last;
    ev->group = g;
    ev->type = p->type;
    civic__ev_set(ev, id, aux);
    if (p->act_len | p->source_len) civic__extras_store(e, index, p, &t->extra);
    else if (e->extras.act || e->extras.source) civic__extras_store(e, index, p, NULL);
    else if (p->type >= CIVIC_TYPE_OBJECT && p->type <= CIVIC_TYPE_CORRECT)
        e->extras.v2_events = true;
    e->subjects[s].last = index;
    e->subjects[s].count++;
    civic__ids_insert(&e->ids, at, p->id_hash, index);
    if (p->ts < e->ts_min) e->ts_min = p->ts;
    if (p->ts > e->ts_max) e->ts_max = p->ts;
}

/* The first checks of an insert: a held id (duplicate or conflict), a
 * purged one, the engine's limit.  CIVIC_OK: p is new, and *at says where
 * its id goes. */
static inline int insert_new(civic_engine *e, const civic_parsed *p, uint64_t line,
                             uint32_t column, civic_error *err, civic_id_at *at)
{
    civic__ids_locate(&e->ids, p->id, p->id_len, at);
    uint32_t found = civic__ids_find_at(&e->ids, at, civic__event_key, e, p->id, p->id_len,
                                        p->id_hash);
    if (found != CIVIC_NONE) {
        const char *diff = civic__event_difference(e, found, p);
        if (!diff) return CIVIC_DUPLICATE;
        return civic__event_conflict(err, e, found, p, line, column, diff);
    }
    /* an id a purge removed stays known: the event is a duplicate (SPEC 10.4) */
    if (e->tombs.count && civic__tomb_find(e, p->id, p->id_len)) return CIVIC_DUPLICATE;
    if (e->event_count >= e->events_max && line) /* a line of a load: named, as any */
        return civic__error_set(err, CIVIC_E_LIMIT, line, 0, 0, "line %llu: past the engine's "
                                "limit of %llu event%s", (unsigned long long)line,
                                (unsigned long long)e->events_max, e->events_max == 1 ? "" : "s");
    if (e->event_count >= e->events_max)
        return civic__error_set(err, CIVIC_E_LIMIT, 0, 0, 0, "past the engine's limit of %llu "
                                "event%s", (unsigned long long)e->events_max,
                                e->events_max == 1 ? "" : "s");
    return CIVIC_OK;
}

/* reserved: civic__engine_reserve_batch made room for this event. */
static inline int event_insert(civic_engine *e, const civic_parsed *p, uint64_t line,
                               uint32_t column, civic_error *err, bool reserved)
{
    civic_id_at at;
    int rc = insert_new(e, p, line, column, err, &at);
    if (rc != CIVIC_OK) return rc;
    /* The store is checked even when reserved: an insert never relies on
     * a reservation for what it copies.  The id index is not reserved: the
     * id itself says where it goes. */
    if ((reserved ? id_store_reserve(e, p->id_len + p->ref_len + 2) : reserve_one(e, p)) != CIVIC_OK ||
        civic__ids_prepare(&e->ids, &e->alc, p->id, p->id_len, &at) != CIVIC_OK ||
        (qty_is_wide(p) && wide_reserve(e, 1) != CIVIC_OK) ||
        ((p->act_len | p->source_len || e->extras.act || e->extras.source) &&
         civic__extras_reserve(e, p) != CIVIC_OK))
        return civic__error_set(err, CIVIC_E_NOMEM, line, 0, 0, NULL);
    uint32_t s = p->subject_index, g = CIVIC_NONE;
    CIVIC_ASSERT(s == CIVIC_NONE || s < e->subject_count);
    if (s == CIVIC_NONE) s = subject_find(e, p->subject, p->subject_len, p->subject_hash);
    if (p->group_len) {
        g = p->group_index;
        CIVIC_ASSERT(g == CIVIC_NONE || g < e->group_count);
        if (g == CIVIC_NONE)
            g = civic__table_find(&e->group_table, civic__group_key, e, p->group, p->group_len,
                                  p->group_hash);
    }
    insert_text t;
    if (!copy_text(e, p, s, g, &t)) return civic__error_set(err, CIVIC_E_NOMEM, line, 0, 0, NULL);
    /* From here on nothing can fail. */
    if (s == CIVIC_NONE) {
        s = (uint32_t)e->subject_count++;
        e->subjects[s] = (civic_subject){ t.subject, civic__name_key(p->subject, p->subject_len),
                                          CIVIC_NONE, 0 };
        civic__table_insert(&e->subject_table, p->subject_hash, s);
    }
    if (t.group) {
        g = (uint32_t)e->group_count++;
        e->groups[g].text = t.group;
        civic__table_insert(&e->group_table, p->group_hash, g);
    }
    store(e, p, s, g, &t, &at);
    return CIVIC_OK;
}

int civic__event_insert(civic_engine *e, const civic_parsed *p, uint64_t line,
                        uint32_t column, civic_error *err)
{
    return event_insert(e, p, line, column, err, false);
}

int civic__event_insert_reserved(civic_engine *e, const civic_parsed *p, uint64_t line,
                                 uint32_t column, civic_error *err)
{
    return event_insert(e, p, line, column, err, true);
}

civic_batch_mark civic__batch_begin(const civic_engine *e)
{
    civic_batch_mark m;
    m.event_count = e->event_count;
    m.subject_count = e->subject_count;
    m.group_count = e->group_count;
    m.id_bytes = e->id_store.used;
    m.wide_count = e->wide_count;
    m.names = civic__arena_mark(&e->names);
    m.ts_min = e->ts_min;
    m.ts_max = e->ts_max;
    m.act_count = e->extras.act_count;
    m.source_count = e->extras.source_count;
    m.v2_events = e->extras.v2_events;
    m.purges = e->purges;
    return m;
}

void civic__batch_rollback(civic_engine *e, const civic_batch_mark *m)
{
    /* A purge rebuilt the storage since the mark (only a journal replay
     * applies one inside a batch): what came before it cannot be undone,
     * so the batch keeps what it applied (civic_engine_journal_open says
     * so). */
    if (e->purges != m->purges) return;
    while (e->event_count > m->event_count) {
        civic_ev *ev = &e->events[--e->event_count];
        civic_id_buf buf;
        const char *id = civic__ev_id(e, ev, &buf);
        civic__ids_remove(&e->ids, id, civic__lp_len(id), civic__hash32(id, civic__lp_len(id)),
                          (uint32_t)e->event_count);
        e->subjects[ev->subject].last = ev->prev;
        e->subjects[ev->subject].count--;
    }
    while (e->subject_count > m->subject_count) {
        const char *id = e->subjects[--e->subject_count].id;
        CIVIC_ASSERT(e->subjects[e->subject_count].count == 0);
        civic__table_remove(&e->subject_table, civic__hash32(id, civic__lp_len(id)),
                     (uint32_t)e->subject_count);
    }
    while (e->group_count > m->group_count) {
        const char *text = e->groups[--e->group_count].text;
        civic__table_remove(&e->group_table, civic__hash32(text, civic__lp_len(text)),
                     (uint32_t)e->group_count);
    }
    civic__extras_rollback(e, m);
    e->id_store.used = m->id_bytes;
    e->wide_count = m->wide_count;
    civic__arena_reset(&e->names, m->names);
    e->ts_min = m->ts_min;
    e->ts_max = m->ts_max;
}

/* ------------------------------------------------------------ add */

static int add_apply(civic_engine *e, void *ctx, civic_error *err)
{
    int rc = civic__event_insert(e, ctx, 0, 0, err);
    if (rc == CIVIC_OK) ahead_after_add(e);
    return rc;
}

/* The slot of a table (as the last write left it) where a lookup of hash h
 * starts: on its way to the cache. */
static inline void hint_prefetch(const uintptr_t *slots, const size_t *mask, uint32_t h)
{
    uintptr_t at = __atomic_load_n(slots, __ATOMIC_RELAXED);
    size_t m = __atomic_load_n(mask, __ATOMIC_RELAXED);
    if (at) __builtin_prefetch((const void *)(at + sizeof(uint64_t) * (h & m)));
}

/* In a large engine the id's slot is a cache miss (and in a large
 * population the subject's): started before the parse, it is served while
 * the parse runs instead of after it.  The parse takes the hashes. */
static inline void add_prefetch(const civic_engine *e, civic_fields *f)
{
    if (!f->v[CIVIC_F_ID] || !f->v[CIVIC_F_SUBJECT]) return; /* the parse refuses it */
    f->id_hash = civic__hash32(f->v[CIVIC_F_ID], f->n[CIVIC_F_ID]);
    f->subject_hash = civic__hash32(f->v[CIVIC_F_SUBJECT], f->n[CIVIC_F_SUBJECT]);
    f->hashed = true;
    hint_prefetch(&e->hint_ids, &e->hint_ids_mask, f->id_hash);
    hint_prefetch(&e->hint_subjects, &e->hint_subjects_mask, f->subject_hash);
}

int civic_engine_add(civic_engine *e, const civic_event *event, civic_error *err)
{
    civic__error_clear(err);
    if (!e || !event) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    if (event->version < 1 || event->version > CIVIC_EVENT_VERSION)
        return civic__error_set(err, CIVIC_E_VERSION, 0, 0, 0, "unsupported civic_event version");
    if (event->reserved != 0)
        return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "civic_event.reserved must be 0");
    civic_fields f;
    const char *v[CIVIC_F_COUNT] = { event->id, event->subject, event->type, event->ts,
                                     event->qty, event->group, event->ref,
                                     event->version >= 2 ? event->act : NULL,
                                     event->version >= 2 ? event->source : NULL };
    civic__fields_of(&f, v, NULL);
    add_prefetch(e, &f);
    /* Callers add events in time order as they happen: the dates repeat,
     * and the calendar was a tenth of an add.  One cache per calling
     * thread (a date's days do not depend on the engine or its rules). */
    static _Thread_local civic_ts_cache dates;
    f.ts_cache = &dates;
    civic_parsed p;
    int rc = civic__event_parse(e, &f, &p, 0, err);
    if (rc != CIVIC_OK) return rc;
    return civic__engine_write(e, add_apply, &p, err);
}

/* ------------------------------------------------------------ reserve */

static int reserve_apply(civic_engine *e, void *ctx, civic_error *err)
{
    uint64_t asked = *(const uint64_t *)ctx, n = asked;
    uint64_t room = e->event_count < e->events_max ? e->events_max - e->event_count : 0;
    if (n > room) n = room;
    if (n == 0) return CIVIC_OK;
    if (n > SIZE_MAX / 2 || civic__engine_reserve_events(e, (size_t)n) != CIVIC_OK)
        return n < asked ? civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0, "no memory for %llu more "
                                            "events (%llu asked, up to the engine's events_max "
                                            "%llu)", (unsigned long long)n,
                                            (unsigned long long)asked,
                                            (unsigned long long)e->events_max)
                         : civic__error_set(err, CIVIC_E_NOMEM, 0, 0, 0,
                                            "no memory for %llu more events", (unsigned long long)n);
    return CIVIC_OK;
}

int civic_engine_reserve(civic_engine *e, uint64_t events, civic_error *err)
{
    civic__error_clear(err);
    if (!e) return civic__error_set(err, CIVIC_E_INVALID, 0, 0, 0, "invalid argument");
    return civic__engine_write(e, reserve_apply, &events, err);
}

/* ------------------------------------------------------------ names */

uint32_t civic__subject_intern(civic_engine *e, const char *id, size_t len)
{
    uint32_t h = civic__hash32(id, len);
    uint32_t s = subject_find(e, id, len, h);
    if (s != CIVIC_NONE) return s;
    if (len == 0 || len > CIVIC_ID_BYTES_MAX || civic__engine_reserve_names(e, 1) != CIVIC_OK)
        return CIVIC_NONE;
    const char *copy = arena_lp(&e->names, id, len);
    if (!copy) return CIVIC_NONE;
    s = (uint32_t)e->subject_count++;
    e->subjects[s] = (civic_subject){ copy, civic__name_key(id, len), CIVIC_NONE, 0 };
    civic__table_insert(&e->subject_table, h, s);
    return s;
}
