/*
** alloc_fail.h -- a counting civic_allocator for tests (header only).
**
** Every block carries a 16-byte header holding its size, so the allocator
** can check what the library promises about sizes: the size passed to
** free_fn, and the old size passed to realloc_fn, are the size the block was
** allocated (or last reallocated) with.  It counts live blocks and bytes,
** and, once armed, fails the Nth allocation (malloc or realloc) counted from
** the arming -- once, or that one and every later one ("forever").
**
**   alloc_fail af;
**   alloc_fail_init(&af);
**   civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT; o.allocator = &af.alc;
**   alloc_fail_arm(&af, 3, false);  ... call ...  alloc_fail_disarm(&af);
**   assert(af.failures == 1 && af.live_blocks == before);
**
** The hooks take a mutex, so one allocator may serve several threads.
** Size or pointer misuse is counted (size_mismatches, bad_frees), never
** fatal, so a test can report it with a clear assertion.
*/
#ifndef CIVIC_TEST_ALLOC_FAIL_H
#define CIVIC_TEST_ALLOC_FAIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "civic.h"

#define ALLOC_FAIL_MAGIC UINT64_C(0xA110CA7EDB10C4ED)
#define ALLOC_FAIL_DEAD UINT64_C(0xDEADDEADDEADDEAD)

typedef struct alloc_fail_header {
    size_t size;
    uint64_t magic;
} alloc_fail_header; /* 16 bytes: keeps the block 16-byte aligned */

typedef struct alloc_fail {
    civic_allocator alc;        /* hand this to the library */
    pthread_mutex_t lock;
    uint64_t calls;             /* malloc + realloc calls since arming */
    uint64_t fail_at;           /* 0: never fail */
    bool forever;               /* fail every call from fail_at on */
    uint64_t failures;          /* calls failed since arming */
    uint64_t total_calls;       /* every malloc + realloc call ever */
    size_t live_blocks, live_bytes, peak_bytes;
    uint64_t size_mismatches;   /* free/realloc with a size other than the block's */
    uint64_t bad_frees;         /* free/realloc of a pointer that is not a live block */
    size_t last_mismatch_given, last_mismatch_actual;
} alloc_fail;

static inline bool alloc_fail_should_fail(alloc_fail *af)
{
    af->calls++;
    af->total_calls++;
    if (af->fail_at == 0) return false;
    if (af->calls == af->fail_at || (af->forever && af->calls > af->fail_at)) {
        af->failures++;
        return true;
    }
    return false;
}

static inline alloc_fail_header *alloc_fail_check(alloc_fail *af, void *ptr, size_t size)
{
    alloc_fail_header *h = (alloc_fail_header *)ptr - 1;
    if (h->magic != ALLOC_FAIL_MAGIC) {
        af->bad_frees++;
        return NULL;
    }
    if (h->size != size) {
        af->size_mismatches++;
        af->last_mismatch_given = size;
        af->last_mismatch_actual = h->size;
    }
    return h;
}

static inline void *alloc_fail_malloc(void *ctx, size_t size)
{
    alloc_fail *af = ctx;
    void *out = NULL;
    pthread_mutex_lock(&af->lock);
    if (!alloc_fail_should_fail(af) && size <= SIZE_MAX - sizeof(alloc_fail_header)) {
        alloc_fail_header *h = malloc(sizeof(*h) + size);
        if (h) {
            h->size = size;
            h->magic = ALLOC_FAIL_MAGIC;
            af->live_blocks++;
            af->live_bytes += size;
            if (af->live_bytes > af->peak_bytes) af->peak_bytes = af->live_bytes;
            out = h + 1;
        }
    }
    pthread_mutex_unlock(&af->lock);
    return out;
}

static inline void *alloc_fail_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    alloc_fail *af = ctx;
    void *out = NULL;
    pthread_mutex_lock(&af->lock);
    alloc_fail_header *h = alloc_fail_check(af, ptr, old_size);
    if (h && !alloc_fail_should_fail(af) &&
        new_size <= SIZE_MAX - sizeof(alloc_fail_header)) {
        size_t had = h->size;
        alloc_fail_header *n = realloc(h, sizeof(*n) + new_size);
        if (n) {
            n->size = new_size;
            af->live_bytes = af->live_bytes - had + new_size;
            if (af->live_bytes > af->peak_bytes) af->peak_bytes = af->live_bytes;
            out = n + 1;
        }
    }
    pthread_mutex_unlock(&af->lock);
    return out;
}

static inline void alloc_fail_free(void *ctx, void *ptr, size_t size)
{
    alloc_fail *af = ctx;
    if (!ptr) return;
    pthread_mutex_lock(&af->lock);
    alloc_fail_header *h = alloc_fail_check(af, ptr, size);
    if (h) {
        af->live_blocks--;
        af->live_bytes -= h->size;
        h->magic = ALLOC_FAIL_DEAD;
        free(h);
    }
    pthread_mutex_unlock(&af->lock);
}

static inline void alloc_fail_init(alloc_fail *af)
{
    memset(af, 0, sizeof(*af));
    pthread_mutex_init(&af->lock, NULL);
    af->alc.malloc_fn = alloc_fail_malloc;
    af->alc.realloc_fn = alloc_fail_realloc;
    af->alc.free_fn = alloc_fail_free;
    af->alc.ctx = af;
}

static inline void alloc_fail_destroy(alloc_fail *af)
{
    pthread_mutex_destroy(&af->lock);
}

/* Fail allocation n (1-based) counted from now; forever: and every later one. */
static inline void alloc_fail_arm(alloc_fail *af, uint64_t n, bool forever)
{
    pthread_mutex_lock(&af->lock);
    af->calls = 0;
    af->failures = 0;
    af->fail_at = n;
    af->forever = forever;
    pthread_mutex_unlock(&af->lock);
}

static inline void alloc_fail_disarm(alloc_fail *af)
{
    pthread_mutex_lock(&af->lock);
    af->fail_at = 0;
    af->forever = false;
    pthread_mutex_unlock(&af->lock);
}

static inline size_t alloc_fail_live_blocks(alloc_fail *af)
{
    pthread_mutex_lock(&af->lock);
    size_t n = af->live_blocks;
    pthread_mutex_unlock(&af->lock);
    return n;
}

#endif
