/*
** alloc.c -- the allocator hooks and a chunked arena.
**
** Every allocation of the library goes through a civic_allocator (the
** caller's, or the library's own: malloc, and on Linux its own mappings for
** blocks of 4 MiB and more).  The arena hands out pieces of large chunks
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
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* madvise, mremap */
#endif
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

/* The library's own allocator maps big blocks itself (Linux, not under
 * AddressSanitizer, which cannot watch mapped memory).  malloc maps them
 * too, but a huge-page hint on the inside of such a block splits its
 * mapping in three, and glibc's realloc, whose mremap needs one mapping,
 * then copies the whole block onto fresh 4 KiB pages: each doubling of the
 * event array of an engine fed one add at a time did.  A block mapped here
 * starts on a 2 MiB boundary, can be hinted whole (hint_huge) and grows by
 * mremap onto another 2 MiB boundary, which moves page tables, huge pages
 * intact, instead of bytes.  Whether a block is mapped follows from its
 * size alone, which every free and realloc is given exactly. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang's spelling */
#define UNDER_ASAN 1
#endif
#endif
#if defined(__linux__) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED) && !defined(UNDER_ASAN)
#define BIG_BLOCKS 1
#else
#define BIG_BLOCKS 0
#endif

#define HUGE_PAGE ((uintptr_t)2 << 20)

#if BIG_BLOCKS
static size_t big_len(size_t size)
{
    return (size + 4095) & ~(size_t)4095;
}

/* len + 2 MiB of address space cut down to the 2 MiB-aligned len inside
 * it; NULL if none.  target: only a place for mremap to move a block onto
 * (nothing committed; read-write like the block, without which valgrind
 * takes the moved block's new tail for unaddressable). */
static char *aligned_room(size_t len, bool target)
{
    if (len > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (target ? MAP_NORESERVE : 0);
    char *raw = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *at = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
    if (at > raw) (void)munmap(raw, (size_t)(at - raw));
    (void)munmap(at + len, (size_t)(raw + HUGE_PAGE - at));
    return at;
}

static void *big_map(size_t size)
{
    if (size > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
    size_t len = big_len(size);
    void *p = aligned_room(len, false);
    if (!p) { /* no room for the alignment: any place will do */
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return NULL;
    }
    return p;
}

static void *big_remap(void *ptr, size_t old_size, size_t new_size)
{
    if (new_size > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
    size_t old_len = big_len(old_size), new_len = big_len(new_size);
    if (new_len == old_len) return ptr;
    void *p = mremap(ptr, old_len, new_len, 0); /* in place: shrinking, or room behind it */
    if (p != MAP_FAILED) return p;
    char *at = aligned_room(new_len, true);
    if (at) {
        p = mremap(ptr, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, at);
        if (p != MAP_FAILED) return p;
        /* What is left of the reservation is not unmapped: the kernel may
         * have unmapped it already, and another thread may map there. */
    }
    p = mremap(ptr, old_len, new_len, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? NULL : p;
}
#endif

/* Big blocks read at random (the id table, probed; the event array, read a
 * subject at a time by every evaluation): with 4 KiB pages nearly every
 * access to a 100 MB block is a TLB miss, which a prefetch cannot hide.
 * Ask Linux for huge pages: on the whole of a block mapped here, else on
 * the 2 MiB-aligned inside of the block.  It is only advice, so a refusal
 * changes nothing.  The event array also takes one page fault per 2 MiB
 * instead of per 4 KiB while a load writes it. */
static void *hint_huge(void *p, size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = HUGE_PAGE;
    if (p && size >= 2 * huge) {
#if BIG_BLOCKS
        if (size >= CIVIC_MAPPED_BLOCK_BYTES) { /* ours, and one mapping: hint it whole */
            (void)madvise(p, big_len(size), MADV_HUGEPAGE);
            return p;
        }
#endif
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
#if BIG_BLOCKS
    if (size >= CIVIC_MAPPED_BLOCK_BYTES) return big_map(size);
#endif
    return malloc(size);
}

static void default_free(void *ctx, void *ptr, size_t size)
{
    CIVIC_UNUSED(ctx);
#if BIG_BLOCKS
    if (size >= CIVIC_MAPPED_BLOCK_BYTES) {
        (void)munmap(ptr, big_len(size));
        return;
    }
#endif
    CIVIC_UNUSED(size);
    free(ptr);
}

static void *default_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    CIVIC_UNUSED(ctx);
#if BIG_BLOCKS
    if (old_size >= CIVIC_MAPPED_BLOCK_BYTES && new_size >= CIVIC_MAPPED_BLOCK_BYTES) {
        void *p = big_remap(ptr, old_size, new_size);
        if (p) return p;
    }
    if (old_size >= CIVIC_MAPPED_BLOCK_BYTES || new_size >= CIVIC_MAPPED_BLOCK_BYTES) {
        /* across the line, or a block mremap cannot move (it needs the
         * block to be one mapping, should anything ever split it): copy */
        void *p = default_malloc(ctx, new_size);
        if (!p) return NULL;
        memcpy(p, ptr, old_size < new_size ? old_size : new_size);
        default_free(ctx, ptr, old_size);
        return p;
    }
#endif
    CIVIC_UNUSED(old_size);
    return realloc(ptr, new_size);
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
    if (a->malloc_fn == default_malloc) { /* fresh pages come zeroed: no memset pass */
#if BIG_BLOCKS
        if (count * size >= CIVIC_MAPPED_BLOCK_BYTES)
            return hint_huge(big_map(count * size), count * size);
#endif
        return hint_huge(calloc(count ? count : 1, size ? size : 1), count * size);
    }
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
    if (a->malloc_fn != default_malloc) return false; /* not for a caller's memory: never */
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

/* ------------------------------------------------------------ threads */

/* Every thread the library starts blocks every signal it can: a program's
 * signals are the program's (one that blocks SIGTERM in its own threads and
 * waits for it in sigwait would otherwise see it go to a library thread,
 * whose default action ends the process).  The caller's mask is kept. */
int civic__thread_create(pthread_t *thread, void *(*run)(void *), void *arg)
{
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &before);
    int rc = pthread_create(thread, NULL, run, arg);
    pthread_sigmask(SIG_SETMASK, &before, NULL);
    return rc;
}
