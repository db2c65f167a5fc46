/*
** ids.h -- the index of event ids: the intern table (table.h) and, beside
** it, an array for the ids that are numbers (ids.c has the cold half).
**
** Most logs number their events: "1", "2", ... or "e1", "e2", ..., as a
** database or an export counts them, and in about that order.  Such an id
** is a prefix (the same for the whole log) and a decimal number; the array
** is indexed by the number, so a log numbered in order looks its ids up and
** stores them one after the other: no cache miss per event, and 4 bytes per
** id (the table takes 11-21).  An id the array holds keeps no text in the
** engine's id store: its record holds the number (internal.h,
** CIVIC_ID_NUMBERED) and the prefix below spells it out again.
**
**   - The shape: the first id stored that ends in digits chooses the prefix
**     (at most CIVIC_DENSE_PREFIX_MAX bytes, the bytes before those
**     digits); when none of the first 64 does, the log is taken for one
**     that does not number its ids, and every id goes to the table.  An id
**     has the shape when it is that prefix followed by 1-18 digits without
**     a leading zero ("0" itself has one digit).  Each id of the shape
**     names one number and each number one id, so the array needs no key
**     comparison: "07", "e07" and "7 " are other ids, in the table.
**   - The window: the array covers the numbers [base, base + cap).  It
**     grows (to a power of two) to take a number outside it while at least
**     a quarter of the numbers it must then reach are held; a number
**     farther off goes to the table, `spilled` counts those, and the window
**     never grows over one.  So a number in the window is in the array or nowhere, and
**     a lookup of one outside asks the table only if some were spilled: one
**     place to look, whatever the order of the log.
**   - Everything else is the table's, as before.
**
** Callers locate an id once (civic__ids_locate), then find it, make room
** for it (civic__ids_prepare, which may fail) and insert it when nothing
** else can fail.  Only the thread holding the engine's write lock touches
** the index: the load's parsing threads never read it.
*/
#ifndef CIVIC_IDS_H
#define CIVIC_IDS_H

/* Included by internal.h after table.h. */

#define CIVIC_DENSE_PREFIX_MAX 15
#define CIVIC_DENSE_DIGITS_MAX 18
#define CIVIC_DENSE_UNSET 0xff /* prefix_len before the shape is chosen */
#define CIVIC_DENSE_NONE 0xfe  /* prefix_len when the first ids had none */

typedef struct civic_dense_ids {
    uint32_t *slot;            /* slot[v - base]: event index + 1, 0 = none */
    uint64_t base;
    size_t cap;                /* slots; 0 before the first */
    size_t count;              /* ids held */
    size_t spilled;            /* ids of the shape given to the table (never decreases) */
    uint64_t low, next;        /* while count > 0, the numbers held lie in [low, next)
                                  (a removal keeps them): the window must keep
                                  those, and a reservation expects numbers from next */
    size_t pending;            /* a reservation made before the first id: the
                                  first id says whether the array or the table takes it */
    uint64_t floor, ceil;      /* the window stays inside [floor, ceil), which
                                  no spilled number is in: a number in the window
                                  is in the array or nowhere */
    size_t spill_room;         /* a reservation the array took: the table's if
                                  numbers spill (a log out of order) */
    uint32_t tries;            /* ids without a shape so far, while unchosen */
    uint8_t prefix_len;        /* CIVIC_DENSE_UNSET until chosen */
    char prefix[1 + CIVIC_DENSE_PREFIX_MAX]; /* once chosen: its length, then its bytes
                                  (prefix + 1 is length-prefixed text, civic__lp_len) */
} civic_dense_ids;

typedef struct civic_id_index {
    civic_table table;
    civic_dense_ids dense;
} civic_id_index;

/* Where an id is, or goes. */
typedef struct civic_id_at {
    uint64_t v;                /* its number, when shaped */
    bool shaped;               /* it has the array's shape */
    bool dense;                /* civic__ids_prepare: the array takes it */
} civic_id_at;

static inline void civic__ids_init(civic_id_index *x)
{
    memset(x, 0, sizeof(*x));
    x->dense.prefix_len = CIVIC_DENSE_UNSET;
    x->dense.ceil = UINT64_MAX;
}

/* The number 4 to 8 digits at p spell, or -1 when a byte is not a digit:
 * read as one word (two 4-byte halves, overlapping below 8 digits) with the
 * first digit in the low byte, moved up behind '0's to eight digits, checked
 * and summed eight at a time.  An id of a numbered log has this many digits
 * from event 1,000 to 99,999,999; the loop took ~9 instructions a digit. */
static inline int64_t civic__digits_4_to_8(const unsigned char *p, size_t n)
{
    const uint64_t nibbles = UINT64_C(0xF0F0F0F0F0F0F0F0);
    unsigned pad = (unsigned)(8 - n) * 8;
    uint64_t w = (civic__read32(p) | civic__read32(p + n - 4) << (8 * (n - 4))) << pad;
    w |= UINT64_C(0x3030303030303030) & ((UINT64_C(1) << pad) - 1);
    /* every byte 0x30..0x39: its high nibble 3, and still 3 with 6 added */
    if (((w & nibbles) | (((w + UINT64_C(0x0606060606060606)) & nibbles) >> 4)) !=
        UINT64_C(0x3333333333333333))
        return -1;
    w = (w & UINT64_C(0x0F0F0F0F0F0F0F0F)) * 2561 >> 8;              /* pairs of digits */
    w = (w & UINT64_C(0x00FF00FF00FF00FF)) * 6553601 >> 16;          /* fours */
    return (int64_t)((w & UINT64_C(0x0000FFFF0000FFFF)) * UINT64_C(42949672960001) >> 32);
}

/* The number of id (s, n) if it has d's shape. */
static inline bool civic__dense_number(const civic_dense_ids *d, const char *s, size_t n,
                                       uint64_t *v)
{
    size_t k = d->prefix_len;
    if (k > CIVIC_DENSE_PREFIX_MAX || n <= k || n - k > CIVIC_DENSE_DIGITS_MAX) return false;
    if (k && memcmp(s, d->prefix + 1, k) != 0) return false;
    s += k;
    n -= k;
    if (s[0] == '0' && n > 1) return false;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 4 && n <= 8) { /* its words read with the first byte low */
        int64_t x = civic__digits_4_to_8((const unsigned char *)s, n);
        if (x < 0) return false;
        *v = (uint64_t)x;
        return true;
    }
#endif
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned)(unsigned char)s[i] - '0';
        if (c > 9) return false;
        x = x * 10 + c;
    }
    *v = x;
    return true;
}

static inline void civic__ids_locate(const civic_id_index *x, const char *s, size_t n,
                                     civic_id_at *at)
{
    at->dense = false;
    at->shaped = civic__dense_number(&x->dense, s, n, &at->v);
}

/* The index of the id located at `at` ((s, n), hash h), or CIVIC_NONE. */
static inline uint32_t civic__ids_find_at(const civic_id_index *x, const civic_id_at *at,
                                          civic_key_fn key, const void *owner, const char *s,
                                          size_t n, uint32_t h)
{
    if (at->shaped) {
        const civic_dense_ids *d = &x->dense;
        if (at->v - d->base < d->cap) return d->slot[at->v - d->base] - 1; /* 0: CIVIC_NONE */
        if (!d->spilled) return CIVIC_NONE;
    }
    return civic__table_find(&x->table, key, owner, s, n, h);
}

static inline uint32_t civic__ids_find(const civic_id_index *x, civic_key_fn key,
                                       const void *owner, const char *s, size_t n, uint32_t h)
{
    civic_id_at at;
    civic__ids_locate(x, s, n, &at);
    return civic__ids_find_at(x, &at, key, owner, s, n, h);
}

/* Room for the id located at `at` (not held): sets at->dense.  The shape
 * may be chosen here.  CIVIC_OK or CIVIC_E_NOMEM (the index unchanged but
 * for room). */
int civic__ids_prepare_slow(civic_id_index *x, const civic_allocator *a, const char *s, size_t n,
                            civic_id_at *at);
static inline int civic__ids_prepare(civic_id_index *x, const civic_allocator *a, const char *s,
                                     size_t n, civic_id_at *at)
{
    const civic_dense_ids *d = &x->dense;
    if (at->shaped && at->v - d->base < d->cap && !d->pending) {
        at->dense = true;
        return CIVIC_OK;
    }
    if (!at->shaped && d->prefix_len != CIVIC_DENSE_UNSET && !d->pending) {
        at->dense = false;
        return civic__table_reserve(a, &x->table, 1);
    }
    return civic__ids_prepare_slow(x, a, s, n, at);
}

/* Store index under the id civic__ids_prepare made room for (hash h). */
static inline void civic__ids_insert(civic_id_index *x, const civic_id_at *at, uint32_t h,
                                     uint32_t index)
{
    civic_dense_ids *d = &x->dense;
    if (at->dense) {
        CIVIC_ASSERT(at->v - d->base < d->cap && !d->slot[at->v - d->base]);
        d->slot[at->v - d->base] = index + 1;
        if (d->count++ == 0) {
            d->low = at->v;
            d->next = at->v + 1;
        } else if (at->v >= d->next) {
            d->next = at->v + 1;
        } else if (at->v < d->low) {
            d->low = at->v;
        }
        return;
    }
    civic__table_insert(&x->table, h, index);
    d->spilled += at->shaped;
}

/* Room for n more ids without growing in steps: the array's when it holds
 * the ids so far, else the table's; before the first id, noted until the
 * first id shows which. */
int civic__ids_reserve(civic_id_index *x, const civic_allocator *a, size_t n);
/* Remove index, stored under id (s, n) of hash h.  Only a rollback does. */
void civic__ids_remove(civic_id_index *x, const char *s, size_t n, uint32_t h, uint32_t index);
void civic__ids_free(const civic_allocator *a, civic_id_index *x);

/* The table's slots when it holds most ids (worth a prefetch), else NULL. */
static inline const uint64_t *civic__ids_table_hint(const civic_id_index *x)
{
    return x->table.count >= x->dense.count ? x->table.slots : NULL;
}

#endif /* CIVIC_IDS_H */
