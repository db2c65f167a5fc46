/*
** table.c -- the cold half of the intern table (table.h): growing,
** removing, freeing.  The lookups, the insert and the check for room are
** inline in table.h, where the hot loops of engine.c and pipeline.c see them.
**
** Invariants: the load factor stays at most 3/4, so every probe ends at an
** empty slot; growing allocates a new slot array and never runs while a
** reader may be looking (see the publication contract in table.h);
** removal shifts later entries back so no probe chain is broken.
*/
#include "internal.h"

int civic__table_grow(const civic_allocator *alc, civic_table *t, size_t n)
{
    size_t cap = t->mask ? t->mask + 1 : 0;
    if (n > ((size_t)1 << 32)) return CIVIC_E_NOMEM;
    size_t need = t->count + n;
    if (cap && need * 4 <= cap * 3) return CIVIC_OK;
    size_t new_cap = cap ? cap * 2 : 64;
    while (need * 4 > new_cap * 3 && new_cap <= ((size_t)1 << 33)) new_cap *= 2;
    if (new_cap > ((size_t)1 << 33) || new_cap > SIZE_MAX / sizeof(uint64_t)) return CIVIC_E_NOMEM;
    uint64_t *slots = civic__calloc(alc, new_cap, sizeof(uint64_t));
    if (!slots) return CIVIC_E_NOMEM;
    for (size_t i = 0; i < cap; i++) {
        uint64_t slot = t->slots[i];
        if (!slot) continue;
        size_t j = (uint32_t)(slot >> 32) & (new_cap - 1);
        while (slots[j]) j = (j + 1) & (new_cap - 1);
        slots[j] = slot;
    }
    civic__free(alc, t->slots, cap * sizeof(uint64_t));
    t->slots = slots;
    t->mask = new_cap - 1;
    return CIVIC_OK;
}

/* Backward-shift deletion keeps linear probing valid without tombstones. */
void civic__table_remove(civic_table *t, uint32_t h, uint32_t index)
{
    uint64_t want = ((uint64_t)h << 32) | ((uint64_t)index + 1);
    size_t i = h & t->mask;
    while (t->slots[i] != want) {
        CIVIC_ASSERT(t->slots[i] != 0);
        i = (i + 1) & t->mask;
    }
    size_t j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        uint64_t slot = t->slots[j];
        if (!slot) break;
        size_t home = (uint32_t)(slot >> 32) & t->mask;
        /* move slot j back to i unless its home lies cyclically in (i, j] */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            t->slots[i] = slot;
            i = j;
        }
    }
    t->slots[i] = 0;
    t->count--;
}

void civic__table_free(const civic_allocator *alc, civic_table *t)
{
    civic__free(alc, t->slots, t->mask ? (t->mask + 1) * sizeof(uint64_t) : 0);
    t->slots = NULL;
    t->mask = 0;
    t->count = 0;
}
