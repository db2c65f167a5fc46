/*
** alloc.c -- the allocator hooks and a chunked arena.
**
** Every allocation of the library goes through a civic_allocator (the
** caller's, or one over malloc).  The arena hands out pieces of large chunks
** whose addresses never move, so strings interned in it can be borrowed for
** the life of the engine; a mark/reset pair frees everything allocated after
** the mark, which is how a failed batch gives back its memory.
**
** It does not free single arena allocations, lock, or retry: a failed
** allocation is reported to the caller, who undoes its own work.
** Invariants: every block goes back to the hooks with the size it was
** allocated (or last reallocated) with; arena pieces are aligned as asked,
** up to 16 bytes, whatever the hooks' own alignment.
*/
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* madvise */
#endif
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* Big blocks read at random (the id table, probed; the event array, read a
 * subject at a time by every evaluation): with 4 KiB pages nearly every
 * access to a 100 MB block is a TLB miss, which a prefetch cannot hide.
 * Ask Linux for huge pages on the 2 MiB-aligned inside of such a block; it
 * is only advice, so a refusal changes nothing.  The event array also takes
 * one page fault per 2 MiB instead of per 4 KiB while a load writes it. */
static void *hint_huge(void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (p && size >= 2 * huge) {
        uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
        uintptr_t hi = ((uintptr_t)p + size) & ~(huge - 1);
        if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#else
    CIVIC_UNUSED(size);
#endif
    return p;
}

static void *default_malloc(void *ctx, size_t size)
{
    CIVIC_UNUSED(ctx);
    return malloc(size);
}

static void *default_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    CIVIC_UNUSED(ctx);
    CIVIC_UNUSED(old_size);
    return realloc(ptr, new_size);
}

static void default_free(void *ctx, void *ptr, size_t size)
{
    CIVIC_UNUSED(ctx);
    CIVIC_UNUSED(size);
    free(ptr);
}

void civic__alloc_init(civic_allocator *dst, const civic_allocator *src)
{
    if (src && src->malloc_fn && src->realloc_fn && src->free_fn) {
        *dst = *src;
        return;
    }
    dst->malloc_fn = default_malloc;
    dst->realloc_fn = default_realloc;
    dst->free_fn = default_free;
    dst->ctx = NULL;
}

void *civic__malloc(const civic_allocator *a, size_t size)
{
    if (size == 0) size = 1;
    return a->malloc_fn(a->ctx, size);
}

void *civic__calloc(const civic_allocator *a, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    if (a->malloc_fn == default_malloc) /* fresh pages come zeroed: no memset pass */
        return hint_huge(calloc(count ? count : 1, size ? size : 1), count * size);
    void *p = civic__malloc(a, count * size);
    if (p) memset(p, 0, (count * size) != 0 ? count * size : 1);
    return p;
}

void *civic__realloc(const civic_allocator *a, void *ptr, size_t old_size, size_t new_size)
{
    if (!ptr) return civic__malloc(a, new_size);
    if (new_size == 0) new_size = 1;
    return a->realloc_fn(a->ctx, ptr, old_size, new_size);
}

void *civic__advise_random(const civic_allocator *a, void *p, size_t size)
{
    return a->malloc_fn == default_malloc ? hint_huge(p, size) : p;
}

bool civic__prefault(const civic_allocator *a, void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (a->malloc_fn != default_malloc) return true;
    const uintptr_t page = 4096;
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t hi = ((uintptr_t)p + size) & ~(page - 1);
    if (hi <= lo) return true;
    int saved = errno;
    bool ok = madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) == 0 || errno != EINVAL;
    errno = saved;
    return ok;
#else
    CIVIC_UNUSED(a);
    CIVIC_UNUSED(p);
    CIVIC_UNUSED(size);
    return false;
#endif
}

void civic__free(const civic_allocator *a, void *ptr, size_t size)
{
    if (ptr) a->free_fn(a->ctx, ptr, size ? size : 1);
}

char *civic__strndup(const civic_allocator *a, const char *s, size_t len)
{
    if (len == SIZE_MAX) return NULL;
    char *p = civic__malloc(a, len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

int civic__grow_to(const civic_allocator *a, void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return CIVIC_OK;
    size_t new_cap = *cap ? *cap : 16;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2) return CIVIC_E_NOMEM;
        new_cap *= 2;
    }
    if (elem && new_cap > SIZE_MAX / elem) return CIVIC_E_NOMEM;
    void *p = civic__realloc(a, *ptr, *cap * elem, new_cap * elem);
    if (!p) return CIVIC_E_NOMEM;
    *ptr = p;
    *cap = new_cap;
    return CIVIC_OK;
}

/* ---------------------------------------------------------------- arena */

void civic__arena_init(civic_arena *arena, const civic_allocator *alc, size_t chunk_bytes)
{
    arena->alc = alc;
    arena->top = NULL;
    arena->chunk_bytes = chunk_bytes;
    arena->total_bytes = 0;
}

#define ARENA_ALIGN_MAX ((size_t)16)

/* The block of a chunk: its header, room to align the data, the data. */
static size_t chunk_block_bytes(size_t size)
{
    return sizeof(civic_arena_chunk) + ARENA_ALIGN_MAX - 1 + size;
}

void civic__arena_free(civic_arena *arena)
{
    civic_arena_chunk *c = arena->top;
    while (c) {
        civic_arena_chunk *prev = c->prev;
        civic__free(arena->alc, c, chunk_block_bytes(c->size));
        c = prev;
    }
    arena->top = NULL;
    arena->total_bytes = 0;
}

static size_t align_up(size_t x, size_t align)
{
    return (x + align - 1) & ~(align - 1);
}

static int arena_new_chunk(civic_arena *arena, size_t size)
{
    size_t bytes = arena->chunk_bytes;
    if (arena->top == NULL && bytes > 4096) bytes = 4096; /* small engines stay small */
    else if (arena->top && arena->top->size < arena->chunk_bytes) {
        bytes = arena->top->size * 2;
        if (bytes > arena->chunk_bytes) bytes = arena->chunk_bytes;
    }
    if (bytes < size) bytes = size;
    if (bytes > SIZE_MAX - sizeof(civic_arena_chunk) - 2 * ARENA_ALIGN_MAX) return CIVIC_E_NOMEM;
    civic_arena_chunk *c = civic__malloc(arena->alc, chunk_block_bytes(bytes));
    if (!c) return CIVIC_E_NOMEM;
    c->prev = arena->top;
    c->size = bytes;
    c->used = 0;
    /* Offsets into data are aligned like addresses, whatever the block's
     * own alignment (an allocator hook may give 8-aligned memory). */
    uintptr_t at = (uintptr_t)(c + 1);
    c->data = (char *)(c + 1) + (align_up(at, ARENA_ALIGN_MAX) - at);
    arena->top = c;
    arena->total_bytes += bytes;
    return CIVIC_OK;
}

int civic__arena_reserve_chunk(civic_arena *arena, size_t size)
{
    civic_arena_chunk *c = arena->top;
    if (c && align_up(c->used, 16) + size <= c->size) return CIVIC_OK;
    if (size > SIZE_MAX - 16) return CIVIC_E_NOMEM;
    return arena_new_chunk(arena, size + 16);
}

void *civic__arena_alloc(civic_arena *arena, size_t size, size_t align)
{
    CIVIC_ASSERT(align && (align & (align - 1)) == 0 && align <= ARENA_ALIGN_MAX);
    civic_arena_chunk *c = arena->top;
    if (!c || align_up(c->used, align) + size > c->size) {
        if (size > SIZE_MAX - 16 || arena_new_chunk(arena, size + 16) != CIVIC_OK) return NULL;
        c = arena->top;
    }
    size_t at = align_up(c->used, align);
    c->used = at + size;
    return c->data + at;
}

void civic__arena_reset(civic_arena *arena, civic_arena_mark mark)
{
    while (arena->top && arena->top != mark.top) {
        civic_arena_chunk *c = arena->top;
        arena->top = c->prev;
        arena->total_bytes -= c->size;
        civic__free(arena->alc, c, chunk_block_bytes(c->size));
    }
    if (arena->top) arena->top->used = mark.used;
}

char *civic__arena_strndup(civic_arena *arena, const char *s, size_t len)
{
    if (len == SIZE_MAX) return NULL;
    char *p = civic__arena_alloc(arena, len + 1, 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
