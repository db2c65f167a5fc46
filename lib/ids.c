/*
** ids.c -- the cold half of the id index (ids.h): choosing the shape,
** growing the array's window, reserving, removing, freeing.
**
** Invariants: every id of the shape is either in the array (at its number)
** or in the table, and in the table only if `spilled` counted it and its
** number lies outside [floor, ceil), which holds the window; the
** window grows only while at least a quarter of the numbers it must reach
** are held (give or take DENSE_MIN), or a reservation asks; a slot is 0 exactly when
** no id holds its number (so an array whose count is 0 is all zeros).
*/
#include "internal.h"

#define DENSE_MIN ((size_t)1024)
#define DENSE_SLOTS_MAX ((size_t)1 << 32) /* a slot holds index + 1 in 32 bits */
#define DENSE_TRIES 64 /* ids without a shape before the index stops looking */

enum { COVER_REFUSED = 1 };

/* The shape of the first id that ends in digits: its prefix is the bytes
 * before them.  An id of no shape leaves it unchosen. */
static void choose_shape(civic_dense_ids *d, const char *s, size_t n)
{
    size_t k = n;
    while (k && (unsigned)(unsigned char)s[k - 1] - '0' <= 9) k--;
    if (k == n || n - k > CIVIC_DENSE_DIGITS_MAX || k > CIVIC_DENSE_PREFIX_MAX) return;
    d->prefix[0] = (char)k;
    memcpy(d->prefix + 1, s, k);
    d->prefix_len = (uint8_t)k;
}

/* Make the window cover the numbers [v, v + want) and those held, inside
 * [floor, ceil): CIVIC_OK, COVER_REFUSED (too few of the numbers it would
 * reach are held, a spilled number is in the way, or it would be too
 * large) or CIVIC_E_NOMEM.  The array may move: no pointer into it may be
 * kept. */
static int dense_cover(civic_dense_ids *d, const civic_allocator *a, uint64_t v, size_t want)
{
    if (want == 0) want = 1;
    if (want > DENSE_SLOTS_MAX) return COVER_REFUSED;
    uint64_t lo = v, hi = v + want;
    if (d->cap && lo >= d->base && hi <= d->base + d->cap) return CIVIC_OK;
    if (d->count) { /* the numbers held lie in [low, next) */
        if (d->low < lo) lo = d->low;
        if (d->next > hi) hi = d->next;
    }
    if (lo < d->floor || hi > d->ceil) return COVER_REFUSED;
    if (!d->count && d->cap >= want && v + d->cap <= d->ceil) {
        d->base = v; /* empty, so all zeros: the window moves */
        return CIVIC_OK;
    }
    uint64_t span = hi - lo;
    /* At least a quarter of the numbers in reach held (or about to be),
     * give or take DENSE_MIN: at most 32 bytes per id with the power of two
     * (the table's 8-byte slots take 11-21), and a log numbered backwards
     * grows as well as one numbered forwards.  A quarter, not a half: one
     * of two or three subject partitions of a numbered log (civic_split)
     * holds every second or third number, and in the array it loads about
     * a tenth faster than in the table. */
    if (span > DENSE_MIN + 4 * ((uint64_t)d->count + want)) return COVER_REFUSED;
    uint64_t cap = d->cap > DENSE_MIN ? d->cap : DENSE_MIN;
    while (cap < span) cap *= 2;
    if (cap > d->ceil - d->floor) cap = d->ceil - d->floor; /* >= span */
    if (cap > DENSE_SLOTS_MAX) return COVER_REFUSED;
    /* Growing down, the room to spare goes below: numbers that came late
     * tend to keep coming late.  Either way the window stays in [floor,
     * ceil), where it fits: cap <= ceil - floor, lo >= floor, hi <= ceil. */
    uint64_t base = d->count && v < d->low ? (hi >= cap ? hi - cap : 0) : lo;
    if (base < d->floor) base = d->floor;
    if (base > d->ceil - cap) base = d->ceil - cap;
    CIVIC_ASSERT(base <= lo && base + cap >= hi);
    uint32_t *slot = civic__calloc(a, (size_t)cap, sizeof(uint32_t));
    if (!slot) return CIVIC_E_NOMEM;
    if (d->count)
        memcpy(slot + (d->low - base), d->slot + (d->low - d->base),
               (size_t)(d->next - d->low) * sizeof(uint32_t));
    civic__free(a, d->slot, d->cap * sizeof(uint32_t));
    d->slot = slot;
    d->base = base;
    d->cap = (size_t)cap;
    return CIVIC_OK;
}

int civic__ids_prepare_slow(civic_id_index *x, const civic_allocator *a, const char *s, size_t n,
                            civic_id_at *at)
{
    civic_dense_ids *d = &x->dense;
    if (d->prefix_len == CIVIC_DENSE_UNSET) {
        choose_shape(d, s, n);
        /* a log whose first ids are not numbered is not numbered */
        if (d->prefix_len == CIVIC_DENSE_UNSET && ++d->tries == DENSE_TRIES)
            d->prefix_len = CIVIC_DENSE_NONE;
        at->shaped = civic__dense_number(d, s, n, &at->v);
    }
    size_t want = d->pending ? d->pending : 1;
    d->pending = 0;
    at->dense = false;
    if (at->shaped) {
        int rc = dense_cover(d, a, at->v, want);
        if (rc == COVER_REFUSED && want > 1) rc = dense_cover(d, a, at->v, 1);
        if (rc == CIVIC_OK) {
            at->dense = true;
            if (want > 1) d->spill_room = want; /* for the table, should they spill */
        }
        if (rc == CIVIC_E_NOMEM) d->pending = want > 1 ? want : 0;
        if (rc != COVER_REFUSED) return rc;
        /* Numbers too far apart: a log out of order.  The table takes
         * what the array was given room for, as it would have without the
         * array, else it grows as it fills. */
        want = d->spill_room > d->count ? d->spill_room - d->count : 1;
        d->spill_room = 0;
        /* v is outside the window (it covers what it is asked to when it
         * can), and the window will stay clear of it */
        if (at->v < d->base) {
            if (at->v >= d->floor) d->floor = at->v + 1;
        } else if (at->v < d->ceil) {
            d->ceil = at->v;
        }
    }
    return civic__table_reserve(a, &x->table, want);
}

int civic__ids_reserve(civic_id_index *x, const civic_allocator *a, size_t n)
{
    civic_dense_ids *d = &x->dense;
    if (n == 0) return CIVIC_OK;
    if (d->count == 0 && x->table.count == 0) {
        if (n > d->pending) d->pending = n;
        return CIVIC_OK;
    }
    if (d->count >= x->table.count) {
        /* Refused: only a hint; the ids will say where they go. */
        return dense_cover(d, a, d->next, n) == CIVIC_E_NOMEM ? CIVIC_E_NOMEM : CIVIC_OK;
    }
    return civic__table_reserve(a, &x->table, n);
}

void civic__ids_remove(civic_id_index *x, const char *s, size_t n, uint32_t h, uint32_t index)
{
    civic_dense_ids *d = &x->dense;
    uint64_t v;
    if (civic__dense_number(d, s, n, &v) && v - d->base < d->cap &&
        d->slot[v - d->base] == index + 1) {
        d->slot[v - d->base] = 0;
        d->count--;
        return;
    }
    civic__table_remove(&x->table, h, index);
}

void civic__ids_free(const civic_allocator *a, civic_id_index *x)
{
    civic__table_free(a, &x->table);
    civic__free(a, x->dense.slot, x->dense.cap * sizeof(uint32_t));
    civic__ids_init(x);
}
