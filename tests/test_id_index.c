/*
** test_id_index.c -- the id index (lib/ids.h) against a plain model.
**
** White-box: a universe of a few thousand distinct id strings (numbers with
** and without prefixes, with leading zeros, long and short, near and far
** apart, and ids that are not numbers), inserted, removed and reserved for
** in orders a log can take (forwards, backwards, shuffled, in runs), while
** after every step batch every id of the universe is looked up and must be
** found exactly when the model holds it, at the model's index.  The model is
** an array by universe position: nothing in it depends on the index's code.
*/
#include "support.h"
#include "internal.h"

#define UNIVERSE_MAX 6000

typedef struct universe {
    char *lp[UNIVERSE_MAX];    /* length-prefixed copies */
    size_t count;
    uint32_t held[UNIVERSE_MAX]; /* the model: event index, or CIVIC_NONE */
    uint32_t owner_of[4 * UNIVERSE_MAX]; /* event index -> universe position */
    uint32_t next_index;
} universe;

static const char *key_of(const void *owner, uint32_t index)
{
    const universe *u = owner;
    assert_true(index < u->next_index);
    return u->lp[u->owner_of[index]];
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool known(const universe *u, const char *s, size_t n)
{
    for (size_t i = 0; i < u->count; i++)
        if (civic__lp_len(u->lp[i]) == n && memcmp(u->lp[i], s, n) == 0) return true;
    return false;
}

static void add_id(universe *u, const char *s)
{
    size_t n = strlen(s);
    assert_true(n > 0 && n < 250);
    if (u->count == UNIVERSE_MAX || known(u, s, n)) return;
    char *b = malloc(n + 2);
    assert_non_null(b);
    b[0] = (char)n;
    memcpy(b + 1, s, n);
    b[n + 1] = '\0';
    u->held[u->count] = CIVIC_NONE;
    u->lp[u->count++] = b + 1;
}

/* Ids as logs write them, and near misses of them. */
static void universe_build(universe *u)
{
    char buf[64];
    static const char *const prefixes[] = { "", "e", "evt-", "x", "E", "e0", "0", "ee" };
    for (int i = 0; i < 1500; i++) { /* a run numbered from 1 */
        snprintf(buf, sizeof buf, "%d", i + 1);
        add_id(u, buf);
    }
    for (int i = 0; i < 600; i++) { /* a run far off, with a prefix */
        snprintf(buf, sizeof buf, "e%d", 5000000 + i);
        add_id(u, buf);
    }
    for (int i = 0; i < 400; i++) { /* leading zeros: other ids */
        snprintf(buf, sizeof buf, "%0*d", 2 + (int)(rnd() % 4), (int)(rnd() % 1600));
        add_id(u, buf);
    }
    static const char *const edges[] = {
        "0", "00", "-1", "+1", "1 ", " 1", "1e3", "1.0", "999999999999999999",
        "1000000000000000000", "9999999999999999999", "18446744073709551615",
        "18446744073709551616", "123456789012345678901234567890", "e", "e00", "e0", "e1e1",
        "abcdefghijklmnop1", "abcdefghijklmno1", "abcdefghijklmnop", "a-1", "e-1", "ee1",
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) add_id(u, edges[i]);
    for (int i = 0; i < 100; i++) { /* not numbered: they end in a letter */
        snprintf(buf, sizeof buf, "k%dz", i);
        add_id(u, buf);
    }
    while (u->count < UNIVERSE_MAX - 100) { /* the rest at random */
        const char *p = prefixes[rnd() % 8];
        uint64_t v;
        switch (rnd() % 4) {
        case 0: v = rnd() % 3000; break;
        case 1: v = 4000000000ull + rnd() % 5000; break;
        case 2: v = rnd() % 1000000000000000000ull; break;
        default: v = rnd(); break;
        }
        snprintf(buf, sizeof buf, "%s%llu", p, (unsigned long long)v);
        add_id(u, buf);
        if (rnd() % 7 == 0) {
            snprintf(buf, sizeof buf, "%sx%llu", p, (unsigned long long)(v % 100));
            add_id(u, buf);
        }
    }
}

static void universe_free(universe *u)
{
    for (size_t i = 0; i < u->count; i++) free(u->lp[i] - 1);
}

static uint32_t hash_of(const universe *u, size_t k)
{
    return civic__hash32(u->lp[k], civic__lp_len(u->lp[k]));
}

static void check_all(const civic_id_index *x, const universe *u)
{
    for (size_t k = 0; k < u->count; k++) {
        const char *s = u->lp[k];
        uint32_t got = civic__ids_find(x, key_of, u, s, civic__lp_len(s), hash_of(u, k));
        if (got != u->held[k])
            fail_msg("id \"%s\": found %u, the model holds %u", s, (unsigned)got, (unsigned)u->held[k]);
    }
}

static void insert(civic_id_index *x, const civic_allocator *a, universe *u, size_t k)
{
    const char *s = u->lp[k];
    size_t n = civic__lp_len(s);
    civic_id_at at;
    civic__ids_locate(x, s, n, &at);
    assert_int_equal(civic__ids_find_at(x, &at, key_of, u, s, n, hash_of(u, k)), CIVIC_NONE);
    assert_int_equal(civic__ids_prepare(x, a, s, n, &at), CIVIC_OK);
    uint32_t index = u->next_index++;
    assert_true(index < 4 * UNIVERSE_MAX);
    u->owner_of[index] = (uint32_t)k;
    civic__ids_insert(x, &at, hash_of(u, k), index);
    u->held[k] = index;
}

static void remove_at(civic_id_index *x, universe *u, size_t k)
{
    const char *s = u->lp[k];
    civic__ids_remove(x, s, civic__lp_len(s), hash_of(u, k), u->held[k]);
    u->held[k] = CIVIC_NONE;
}

static void shuffle(size_t *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = rnd() % i, t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* One life of an index: inserts in the given order, with reservations,
 * removals of the latest (a rollback) and of any, checked as it goes.
 * The universe positions [dense_lo, dense_hi) are a numbered run that must
 * end up in the array (dense_hi 0: no such claim). */
static void run_order(const size_t *order, size_t n, uint64_t seed, size_t dense_lo,
                      size_t dense_hi)
{
    universe *u = calloc(1, sizeof(*u));
    assert_non_null(u);
    rng_state = 0x9e3779b97f4a7c15ull;
    universe_build(u);
    rng_state = seed;
    civic_allocator a;
    civic__alloc_init(&a, NULL);
    civic_id_index x;
    civic__ids_init(&x);
    if (seed & 1) assert_int_equal(civic__ids_reserve(&x, &a, 1 + rnd() % 3000), CIVIC_OK);
    size_t *stack = malloc(u->count * sizeof(size_t)), top = 0;
    assert_non_null(stack);
    for (size_t i = 0; i < n; i++) {
        size_t k = order[i] % u->count;
        if (u->held[k] == CIVIC_NONE) {
            insert(&x, &a, u, k);
            stack[top++] = k;
        }
        if (rnd() % 97 == 0) { /* a batch rolled back: the latest go */
            for (size_t r = rnd() % 40; r > 0 && top > 0; r--) remove_at(&x, u, stack[--top]);
        }
        if (rnd() % 211 == 0) assert_int_equal(civic__ids_reserve(&x, &a, rnd() % 5000), CIVIC_OK);
        if (i % 512 == 511) check_all(&x, u);
    }
    check_all(&x, u);
    if (dense_hi) { /* a numbered run lands in the array, all of it */
        size_t held = 0;
        for (size_t k = dense_lo; k < dense_hi; k++) held += u->held[k] != CIVIC_NONE;
        assert_true(held > 0);
        assert_int_equal(x.dense.count, held);
    }
    /* everything out again, in any order */
    shuffle(stack, top);
    while (top > 0) {
        remove_at(&x, u, stack[--top]);
        if (top % 700 == 0) check_all(&x, u);
    }
    assert_int_equal(x.dense.count, 0);
    assert_int_equal(x.table.count, 0);
    check_all(&x, u);
    civic__ids_free(&a, &x);
    free(stack);
    universe_free(u);
    free(u);
}

static size_t order_buf[3 * UNIVERSE_MAX];

static void numbered_forwards_backwards_and_shuffled(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        size_t n = 0;
        for (size_t k = 0; k < 1500; k++) order_buf[n++] = k; /* "1".."1500" */
        run_order(order_buf, n, seed, 0, 1500);
        n = 0;
        for (size_t k = 1500; k > 0; k--) order_buf[n++] = k - 1;
        run_order(order_buf, n, seed + 10, 0, 1500);
        n = 0;
        for (size_t k = 0; k < 1500; k++) order_buf[n++] = k;
        shuffle(order_buf, n);
        run_order(order_buf, n, seed + 20, 0, 0);
    }
}

static void everything_in_any_order(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        size_t n = 0;
        for (size_t k = 0; k < UNIVERSE_MAX; k++) order_buf[n++] = k;
        rng_state = seed * 7919;
        if (seed % 3) shuffle(order_buf, n);
        if (seed % 3 == 1) /* in runs: shuffled blocks of 50 kept in order */
            for (size_t b = 0; b + 50 <= n; b += 50) {
                size_t first = order_buf[b] - order_buf[b] % 50;
                for (size_t i = 0; i < 50; i++) order_buf[b + i] = first + i;
            }
        run_order(order_buf, n, seed, 0, 0);
    }
}

/* The prefixed run first: its shape ("e") is the array's, and the bare
 * numbers after it go to the table, found all the same. */
static void the_first_numbered_id_chooses_the_shape(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t k = 1500; k < 2100; k++) order_buf[n++] = k; /* "e5000000".. */
    for (size_t k = 0; k < 1500; k++) order_buf[n++] = k;
    run_order(order_buf, n, 2, 1500, 2100);
    run_order(order_buf, n, 3, 1500, 2100);
}

/* A log whose first 64 ids end in letters is not numbered: the numbers
 * that follow go to the table, and are found there. */
static void a_log_that_starts_unnumbered_stays_in_the_table(void **state)
{
    (void)state;
    universe *u = calloc(1, sizeof(*u));
    assert_non_null(u);
    rng_state = 0x9e3779b97f4a7c15ull;
    universe_build(u);
    civic_allocator a;
    civic__alloc_init(&a, NULL);
    civic_id_index x;
    civic__ids_init(&x);
    size_t first = u->count;
    for (size_t k = 0; k < u->count; k++)
        if (strcmp(u->lp[k], "k0z") == 0) first = k;
    assert_true(first + 100 <= u->count);
    for (size_t k = first; k < first + 100; k++) insert(&x, &a, u, k);
    for (size_t k = 0; k < 1500; k++) insert(&x, &a, u, k); /* "1".."1500" */
    check_all(&x, u);
    assert_int_equal(x.dense.count, 0);
    assert_int_equal(x.table.count, 1600);
    civic__ids_free(&a, &x);
    universe_free(u);
    free(u);
}

/* ------------------------------------------------------------ sparse runs */

static char stride_ids[60000][24];

static const char *stride_key(const void *owner, uint32_t index)
{
    (void)owner;
    return stride_ids[index] + 1;
}

/* n ids "e<k * stride>" in order: how many the array took. */
static size_t stride_run(size_t n, unsigned stride)
{
    civic_allocator a;
    civic__alloc_init(&a, NULL);
    civic_id_index x;
    civic__ids_init(&x);
    for (uint32_t i = 0; i < n; i++) {
        char *b = stride_ids[i];
        int len = snprintf(b + 1, sizeof(stride_ids[i]) - 1, "e%lu",
                           (unsigned long)(i + 1) * stride);
        b[0] = (char)len;
        uint32_t h = civic__hash32(b + 1, (size_t)len);
        civic_id_at at;
        civic__ids_locate(&x, b + 1, (size_t)len, &at);
        assert_int_equal(civic__ids_find_at(&x, &at, stride_key, NULL, b + 1, (size_t)len, h),
                         CIVIC_NONE);
        assert_int_equal(civic__ids_prepare(&x, &a, b + 1, (size_t)len, &at), CIVIC_OK);
        civic__ids_insert(&x, &at, h, i);
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *s = stride_ids[i] + 1;
        size_t len = civic__lp_len(s);
        assert_int_equal(civic__ids_find(&x, stride_key, NULL, s, len, civic__hash32(s, len)), i);
    }
    size_t dense = x.dense.count;
    assert_int_equal(dense + x.table.count, n);
    civic__ids_free(&a, &x);
    return dense;
}

/* One of two or three subject partitions of a numbered log holds every
 * second or third number: the array takes them all.  Sparser runs go to
 * the table (but for the first few, while DENSE_MIN's slack lasts). */
static void every_second_or_third_number_is_in_the_array(void **state)
{
    (void)state;
    assert_int_equal(stride_run(60000, 1), 60000);
    assert_int_equal(stride_run(60000, 2), 60000);
    assert_int_equal(stride_run(60000, 3), 60000);
    assert_int_equal(stride_run(60000, 4), 60000);
    assert_true(stride_run(60000, 6) < 1000);
}

/* ------------------------------------------------------------ subject names */

typedef struct named_hash {
    uint32_t h;
    uint32_t i;
} named_hash;

static int named_hash_order(const void *a, const void *b)
{
    const named_hash *x = a, *y = b;
    return x->h != y->h ? (x->h < y->h ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

/* Two names of format fmt (one %u) whose 32-bit hashes are equal: the
 * table's tag cannot tell them apart, the record's key and text must. */
static void colliding_names(const char *fmt, char *a, char *b, size_t size)
{
    const uint32_t n = 1u << 18;
    named_hash *v = malloc(n * sizeof(*v));
    assert_non_null(v);
    char buf[64];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, fmt, i);
        v[i] = (named_hash){ civic__hash32(buf, strlen(buf)), i };
    }
    qsort(v, n, sizeof(*v), named_hash_order);
    uint32_t k = 0;
    while (k + 1 < n && v[k].h != v[k + 1].h) k++;
    assert_true(k + 1 < n); /* 2^18 names in 2^32 hashes: ~8 pairs expected */
    snprintf(a, size, fmt, v[k].i);
    snprintf(b, size, fmt, v[k + 1].i);
    free(v);
}

static int64_t events_of(const civic_engine *e, const char *subject)
{
    civic_result *res = NULL;
    assert_int_equal(civic_engine_subject(e, subject, INT64_MAX / 2, &res), CIVIC_OK);
    civic_score sc = CIVIC_SCORE_INIT;
    assert_int_equal(civic_result_get(res, 0, &sc), CIVIC_OK);
    assert_string_equal(sc.subject, subject);
    int64_t n = (int64_t)sc.events;
    civic_result_free(res);
    return n;
}

/* Subjects whose hashes collide stay two subjects, short names (told apart
 * by the record's key alone) and long ones (same length and first bytes:
 * by the text), through adds and a load. */
static void subjects_with_colliding_hashes(void **state)
{
    (void)state;
    static const char *const formats[] = { "q%06u", "abcdefg%07u" };
    for (size_t f = 0; f < 2; f++) {
        char a[32], b[32];
        colliding_names(formats[f], a, b, sizeof a);
        assert_int_equal(civic__hash32(a, strlen(a)), civic__hash32(b, strlen(b)));
        assert_true(strcmp(a, b) != 0 && strlen(a) == strlen(b));
        for (int how = 0; how < 2; how++) {
            civic_engine *e = engine_from(TEST_SCHEME "[rule.hour]\npoints = 1\n");
            char csv[512];
            int len = snprintf(csv, sizeof csv,
                               "id,subject,type,ts,qty\n1,%s,hour,1704067200,1\n"
                               "2,%s,hour,1704067201,1\n3,%s,hour,1704067202,1\n", a, b, b);
            if (how == 0) {
                civic_error err = CIVIC_ERROR_INIT;
                assert_int_equal(civic_engine_load(e, csv, (size_t)len, NULL, NULL, &err), CIVIC_OK);
            } else {
                const char *subj[3] = { a, b, b };
                for (int k = 0; k < 3; k++) {
                    char id[8], ts[16];
                    snprintf(id, sizeof id, "%d", k + 1);
                    snprintf(ts, sizeof ts, "%d", 1704067200 + k);
                    civic_event ev = CIVIC_EVENT_INIT;
                    ev.id = id;
                    ev.subject = subj[k];
                    ev.type = "hour";
                    ev.ts = ts;
                    civic_error err = CIVIC_ERROR_INIT;
                    assert_int_equal(civic_engine_add(e, &ev, &err), CIVIC_OK);
                }
            }
            assert_int_equal(civic_engine_subject_count(e), 2);
            assert_int_equal(events_of(e, a), 1);
            assert_int_equal(events_of(e, b), 2);
            civic_engine_free(e);
        }
    }
}

/* Ids chosen to collide: 48 bytes, whose second 16-byte block ends in the
 * running state the first block leaves, so that every id's state is 0
 * after it whatever the rest -- under the fixed hash (key 0), which anyone
 * can compute.  ids[k] must hold 49 bytes. */
static void chosen_ids(char (*ids)[49], size_t count)
{
    const uint64_t k0 = UINT64_C(0xa0761d6478bd642f), k1 = UINT64_C(0xe7037ed1a0b428db);
    char first[17];
    uint64_t state = 0;
    for (unsigned i = 0;; i++) { /* a first block whose state is printable text */
        snprintf(first, sizeof first, "blk%013u", i);
        state = civic__mum(civic__read64((const unsigned char *)first) ^ k1,
                           civic__read64((const unsigned char *)first + 8) ^ (k0 ^ 48));
        bool text = true;
        for (int b = 0; b < 8; b++) {
            unsigned c = (unsigned)(state >> (8 * b)) & 0xffu;
            text = text && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                            (c >= 'A' && c <= 'Z'));
        }
        if (text) break;
    }
    for (size_t k = 0; k < count; k++) {
        char tail[9];
        memcpy(tail, &state, 8); /* little-endian, as read64 reads it */
        tail[8] = '\0';
        snprintf(ids[k], 49, "%s%08zx%s-collide-tail-zz", first, k, tail);
    }
}

/* With the fixed hash such ids all land on one slot of every table, and an
 * engine took seconds to hold tens of thousands of them; the tables' hash
 * is keyed per process, so they spread like any ids. */
static void chosen_ids_do_not_collide_under_the_process_key(void **state)
{
    (void)state;
    enum { N = 2000 };
    char(*ids)[49] = malloc(N * sizeof(*ids));
    assert_non_null(ids);
    chosen_ids(ids, N);
    uint32_t *h = malloc(N * sizeof(uint32_t));
    assert_non_null(h);
    for (size_t k = 0; k < N; k++) {
        assert_int_equal(strlen(ids[k]), 48);
        assert_int_equal((uint32_t)civic__hash_keyed(ids[k], 48, 0),
                         (uint32_t)civic__hash_keyed(ids[0], 48, 0));
        h[k] = civic__hash32(ids[k], 48);
    }
    const char *fixed = getenv("CIVIC_HASH_SEED");
    if (!fixed || !*fixed) { /* a key fixed by hand may be any, 0 too */
        size_t same = 0;
        for (size_t k = 1; k < N; k++) same += h[k] == h[0];
        assert_true(same < 4);
        assert_true(civic__hash_key != 0);
    }
    /* and an engine holds them as it holds any ids */
    civic_engine *e = engine_from(TEST_SCHEME "[rule.hour]\npoints = 1\n");
    civic_event ev = CIVIC_EVENT_INIT;
    char ts[32];
    for (size_t k = 0; k < N; k++) {
        snprintf(ts, sizeof ts, "%lld", 1600000000LL + 60 * (long long)k);
        ev.id = ids[k];
        ev.subject = "s";
        ev.type = "hour";
        ev.ts = ts;
        assert_int_equal(civic_engine_add(e, &ev, NULL), CIVIC_OK);
    }
    assert_int_equal(civic_engine_event_count(e), N);
    ev.id = ids[N / 2];
    snprintf(ts, sizeof ts, "%lld", 1600000000LL + 60 * (long long)(N / 2));
    assert_int_equal(civic_engine_add(e, &ev, NULL), CIVIC_DUPLICATE);
    civic_engine_free(e);
    free(h);
    free(ids);
    support_release();
}

/* The model of an id's number: prefix, then 1-18 digits without a leading
 * zero ("0" itself has one digit), read one digit at a time. */
static bool model_number(const char *prefix, const char *s, size_t n, uint64_t *v)
{
    size_t k = strlen(prefix);
    if (n <= k || n - k > CIVIC_DENSE_DIGITS_MAX || memcmp(s, prefix, k) != 0) return false;
    if (s[k] == '0' && n - k > 1) return false;
    uint64_t x = 0;
    for (size_t i = k; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return true;
}

static void number_check(const civic_dense_ids *d, const char *prefix, const char *s, size_t n)
{
    uint64_t want = 0, got = 0;
    bool want_ok = model_number(prefix, s, n, &want);
    bool ok = civic__dense_number(d, s, n, &got);
    if (ok != want_ok || (ok && got != want))
        fail_msg("prefix \"%s\", id \"%.*s\" (%zu bytes): %s %llu, the model %s %llu", prefix,
                 (int)n, s, n, ok ? "number" : "no number", (unsigned long long)got,
                 want_ok ? "number" : "no number", (unsigned long long)want);
}

/* An id's number, at every length of digits, with every byte value in
 * every position (numbers of four to eight digits are read a word at a
 * time), the id taken from the middle of a buffer whose bytes around it
 * are digits too, and at its very end. */
static void an_ids_number_is_read_alike_at_every_length_and_byte(void **state)
{
    (void)state;
    static const char *const prefixes[] = { "", "e", "evt-", "abcdefghijklmno" };
    char buf[64], id[40];
    for (size_t pi = 0; pi < sizeof prefixes / sizeof prefixes[0]; pi++) {
        civic_dense_ids d;
        memset(&d, 0, sizeof d);
        size_t k = strlen(prefixes[pi]);
        d.prefix_len = (uint8_t)k;
        d.prefix[0] = (char)k;
        memcpy(d.prefix + 1, prefixes[pi], k);
        for (size_t digits = 1; digits <= CIVIC_DENSE_DIGITS_MAX + 1; digits++) {
            size_t n = k + digits;
            for (int round = 0; round < 40; round++) {
                memcpy(id, prefixes[pi], k);
                for (size_t i = k; i < n; i++) id[i] = (char)('0' + rnd() % 10);
                if (round % 4 == 0) id[k] = (char)('1' + rnd() % 9);
                for (size_t at = k; at < n; at++) {
                    char keep = id[at];
                    for (int c = 0; c < 256; c++) {
                        id[at] = (char)c;
                        memset(buf, '7', sizeof buf); /* digits around: they must not count */
                        memcpy(buf + 8, id, n);
                        number_check(&d, prefixes[pi], buf + 8, n);
                        memcpy(buf + sizeof buf - n, id, n);
                        number_check(&d, prefixes[pi], buf + sizeof buf - n, n);
                    }
                    id[at] = keep;
                }
                number_check(&d, prefixes[pi], id, n);
            }
        }
        /* the largest and smallest of each length */
        for (size_t digits = 1; digits <= CIVIC_DENSE_DIGITS_MAX; digits++) {
            memcpy(id, prefixes[pi], k);
            memset(id + k, '9', digits);
            number_check(&d, prefixes[pi], id, k + digits);
            memset(id + k, '0', digits);
            id[k] = '1';
            number_check(&d, prefixes[pi], id, k + digits);
        }
    }
}

/* CIVIC_HASH_SEED: a whole number fixes the key; anything else (which strtoull
 * alone read as 0, or as the number it begins with) leaves it random. */
static void only_a_whole_number_is_a_hash_seed(void **state)
{
    (void)state;
    static const struct { const char *text; bool ok; uint64_t key; } cases[] = {
        {"0", true, 0},
        {"12", true, 12},
        {"0x1F", true, 31},
        {"017", true, 15},
        {"18446744073709551615", true, UINT64_MAX},
        {"18446744073709551616", false, 0},
        {"", false, 0},
        {"random", false, 0},
        {"5x", false, 0},
        {"-1", false, 0},
        {"+5", false, 0},
        {" 5", false, 0},
        {"5 ", false, 0},
        {"0x", false, 0},
        {"09", false, 0},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        uint64_t key = 99;
        bool ok = civic__hash_seed_parse(cases[k].text, &key);
        if (ok != cases[k].ok) fail_msg("CIVIC_HASH_SEED=\"%s\": %s", cases[k].text,
                                        ok ? "taken" : "refused");
        assert_int_equal(key, cases[k].ok ? cases[k].key : 99);
    }
    uint64_t key = 99;
    assert_false(civic__hash_seed_parse(NULL, &key));
    assert_int_equal(key, 99);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbered_forwards_backwards_and_shuffled),
        cmocka_unit_test(everything_in_any_order),
        cmocka_unit_test(the_first_numbered_id_chooses_the_shape),
        cmocka_unit_test(chosen_ids_do_not_collide_under_the_process_key),
        cmocka_unit_test(a_log_that_starts_unnumbered_stays_in_the_table),
        cmocka_unit_test(every_second_or_third_number_is_in_the_array),
        cmocka_unit_test(subjects_with_colliding_hashes),
        cmocka_unit_test(only_a_whole_number_is_a_hash_seed),
        cmocka_unit_test(an_ids_number_is_read_alike_at_every_length_and_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
