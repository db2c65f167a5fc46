/*
** table.h -- the intern table: open addressing over uint32 indices, for
** event ids, subject ids and group paths (table.c has the cold half).
**
** A table maps a key (a length-prefixed string owned by someone else, found
** through a key function from an index) to its index.  It stores only
** (hash32 << 32) | (index + 1) per slot, 0 meaning empty; linear probing,
** load factor at most 3/4, deletion by backward shift (no tombstones).  It
** does not own keys, does not hash (callers pass the hash, computed once per
** event) and does not lock.
**
** Publication contract (why parsing threads may look up while one thread
** inserts, see pipeline.c):
**   - A slot is written with a release store only after the record and the
**     key bytes its index leads to are complete; readers load slots with
**     acquire, so a reader that sees an index sees its key.
**   - Readers never follow a slot array that may be freed: the writer
**     reserves room beforehand (civic__table_reserve) for every insert that
**     can happen while readers run, so the array never moves under them.
**   - A reader that misses a key inserted meanwhile only loses a shortcut:
**     the insert looks the key up again under the lock.
**   - Removal (rollback) and rehashing happen only while no reader runs.
*/
#ifndef CIVIC_TABLE_H
#define CIVIC_TABLE_H

/* Included by internal.h (for CIVIC_ASSERT, civic__bytes_equal and the
 * allocator functions). */
#include "civic.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CIVIC_NONE UINT32_MAX /* no index */

/* The length of a length-prefixed string: lp[-1] holds it. */
static inline size_t civic__lp_len(const char *lp) { return (unsigned char)lp[-1]; }

typedef struct civic_table {
    uint64_t *slots;           /* (hash32 << 32) | (index + 1); 0 = empty */
    size_t mask;               /* capacity - 1; 0 when unallocated */
    size_t count;
} civic_table;

/* The key (length-prefixed) of an index, from the table's owner. */
typedef const char *(*civic_key_fn)(const void *owner, uint32_t index);

/* The two atomic accesses to a slot, each a function of its own: helgrind
 * and drd do not know __atomic, and lib/libcivic.supp names these. */
static inline uint64_t civic__slot_load(const uint64_t *slot)
{
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static inline void civic__slot_store(uint64_t *slot, uint64_t value)
{
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
}

/* The index of key (s, n) with hash h, or CIVIC_NONE. */
static inline uint32_t civic__table_find(const civic_table *t, civic_key_fn key, const void *owner,
                                         const char *s, size_t n, uint32_t h)
{
    if (t->mask == 0) return CIVIC_NONE;
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t slot = civic__slot_load(&t->slots[i]);
        if (slot == 0) return CIVIC_NONE;
        if ((uint32_t)(slot >> 32) != h) continue;
        uint32_t index = (uint32_t)slot - 1;
        const char *k = key(owner, index);
        if (civic__lp_len(k) == n && civic__bytes_equal(k, s, n)) return index;
    }
}

/* The first index whose hash tag is h (usually the key's), or CIVIC_NONE:
 * a lookup without touching keys, confirmed later (civic__table_confirm). */
static inline uint32_t civic__table_candidate(const civic_table *t, uint32_t h)
{
    if (t->mask == 0) return CIVIC_NONE;
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        uint64_t slot = civic__slot_load(&t->slots[i]);
        if (slot == 0) return CIVIC_NONE;
        if ((uint32_t)(slot >> 32) == h) return (uint32_t)slot - 1;
    }
}

/* A candidate checked against the key; on a tag collision, a full find. */
static inline uint32_t civic__table_confirm(const civic_table *t, civic_key_fn key,
                                            const void *owner, uint32_t candidate,
                                            const char *s, size_t n, uint32_t h)
{
    if (candidate == CIVIC_NONE) return CIVIC_NONE;
    const char *k = key(owner, candidate);
    if (civic__lp_len(k) == n && civic__bytes_equal(k, s, n)) return candidate;
    return civic__table_find(t, key, owner, s, n, h);
}

/* Publish index under hash h.  Room was reserved (civic__table_reserve). */
static inline void civic__table_insert(civic_table *t, uint32_t h, uint32_t index)
{
    CIVIC_ASSERT(t->mask && (t->count + 1) * 4 <= (t->mask + 1) * 3);
    size_t i = h & t->mask;
    while (t->slots[i]) i = (i + 1) & t->mask;
    civic__slot_store(&t->slots[i], ((uint64_t)h << 32) | ((uint64_t)index + 1));
    t->count++;
}

/* Hint the caches about the slot a lookup of hash h starts at.  Always
 * inline, for the reason given at pipeline.c's event_prefetch. */
__attribute__((always_inline)) static inline void civic__table_prefetch(const civic_table *t,
                                                                        uint32_t h)
{
    if (t->mask) __builtin_prefetch(&t->slots[h & t->mask]);
}

/* Make room for n more entries without moving the slots again: inline when
 * there is room already (load factor at most 3/4), civic__table_grow when
 * the slots must be reallocated. */
int civic__table_grow(const civic_allocator *alc, civic_table *t, size_t n);
static inline int civic__table_reserve(const civic_allocator *alc, civic_table *t, size_t n)
{
    size_t cap = t->mask ? t->mask + 1 : 0;
    if (cap && n <= ((size_t)1 << 32) && (t->count + n) * 4 <= cap * 3) return CIVIC_OK;
    return civic__table_grow(alc, t, n);
}
/* Remove index (inserted with hash h).  No reader may run. */
void civic__table_remove(civic_table *t, uint32_t h, uint32_t index);
void civic__table_free(const civic_allocator *alc, civic_table *t);

#endif /* CIVIC_TABLE_H */
