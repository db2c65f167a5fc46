/*
** fuzz_snapshot.c -- libFuzzer harness for the snapshot reader.
**
** Input: one mode byte, then the bytes of a snapshot file.  Mode bit 0: the
** harness first recomputes every checksum the layout lets it find (header,
** each "EVTS", "TMBS", "TMB2", "ACTT" and "HRZN" block, the trailer's
** whole-file CRC), so mutations reach the block framing, the event-record
** decoder and the tombstone reader instead of stopping at a CRC mismatch; without it the raw bytes are loaded as they are.  Loaded into a
** fresh engine under the built-in rules (the seeds in
** tests/fuzz/corpus/snapshot were saved under them, so they pass the
** fingerprint check; those saved under the
** built-in scheme of 1.0 now stop there, with CIVIC_E_MISMATCH).  Checks:
** the load never crashes; it succeeds, or fails with CIVIC_E_CORRUPT,
** CIVIC_E_MISMATCH or CIVIC_E_LIMIT with a message and leaves the engine
** empty; a snapshot that loads satisfies the record, group and list
** invariants of fuzz_common.h, and saves again to a file that loads to the
** same events, the same purge horizon (a version-2 snapshot keeps its
** tombstones: questions before the horizon fail with CIVIC_E_PURGED) and
** the same answers.  The reader takes a path, so each input
** goes through one temporary file per process.  Not covered: the journal
** (its records share the event codec tested here), I/O errors.
*/
#include <unistd.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64];

static void fail(const char *what, const civic_error *err)
{
    fprintf(stderr, "fuzz_snapshot: %s (%s)\n", what, err ? err->message : "");
    abort();
}

static void put_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fail("cannot write the scratch file", NULL);
}

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc & 1u) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Make every checksum of the layout (as far as it can be followed) right. */
static void fix_checksums(uint8_t *p, size_t n)
{
    if (n < 48) return;
    put32(p + 44, crc32c(0, p, 44));
    size_t at = 48;
    while (n - at >= 16 &&
           (memcmp(p + at, "EVTS", 4) == 0 || memcmp(p + at, "TMBS", 4) == 0 ||
            memcmp(p + at, "TMB2", 4) == 0 || memcmp(p + at, "ACTT", 4) == 0 ||
            memcmp(p + at, "HRZN", 4) == 0)) {
        size_t len = get32(p + at + 8);
        if (len > n - at - 16) len = n - at - 16;
        uint32_t crc = crc32c(0, p + at, 12);
        put32(p + at + 12, crc32c(crc, p + at + 16, len));
        at += 16 + len;
    }
    if (n - at >= 32) put32(p + at + 28, crc32c(0, p, at + 28));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    uint8_t mode = data[0];
    uint8_t *copy = malloc(size);
    if (!copy) fail("out of memory", NULL);
    memcpy(copy, data + 1, size - 1);
    size--;
    if (mode & 1u) fix_checksums(copy, size);
    data = copy;
    if (!scratch[0]) {
        snprintf(scratch, sizeof(scratch), "/tmp/civic-fuzz-snapshot-%ld", (long)getpid());
    }
    char again[80];
    snprintf(again, sizeof(again), "%s.again", scratch);
    put_file(scratch, data, size);
    civic_rules *rules = NULL;
    if (civic_rules_default(&rules, NULL) != CIVIC_OK) fail("default rules", NULL);
    civic_engine *e = NULL;
    if (civic_engine_new(&e, rules, NULL) != CIVIC_OK) fail("engine", NULL);
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load_snapshot(e, scratch, &err);
    if (rc != CIVIC_OK) {
        if (rc != CIVIC_E_CORRUPT && rc != CIVIC_E_MISMATCH && rc != CIVIC_E_LIMIT)
            fail("unexpected status", &err);
        if (err.code != rc || err.message[0] == '\0') fail("error not filled", &err);
        if (civic_engine_event_count(e) != 0) fail("a failed load changed the engine", &err);
    } else {
        uint64_t n = civic_engine_event_count(e);
        if (civic_engine_save(e, again, &err) != CIVIC_OK) fail("save", &err);
        civic_engine *f = NULL;
        if (civic_engine_open_snapshot(&f, rules, NULL, again, &err) != CIVIC_OK)
            fail("reload of a saved snapshot", &err);
        if (civic_engine_event_count(f) != n) fail("event count changed on reload", NULL);
        int64_t horizon = civic_engine_purge_horizon(e);
        if (civic_engine_purge_horizon(f) != horizon) fail("purge horizon changed on reload", NULL);
        /* The built-in scheme: min 0, max 2000, clamp final. */
        static const fz_bounds bounds = { 0, 200000, false };
        int64_t last = CIVIC_TIME_MAX;
        civic_engine_time_range(e, NULL, &last);
        int64_t times[3] = { CIVIC_TIME_MAX, last, horizon };
        fz_buf a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
        for (int k = 0; k < 3; k++) {
            if (times[k] == CIVIC_NO_TIME || times[k] < horizon) continue;
            fz_check_all(e, &bounds, times[k]);
            fz_snapshot_at(e, times[k], 1, &a);
            fz_snapshot_at(f, times[k], 1, &b);
        }
        if (a.n != b.n || memcmp(a.p, b.p, a.n) != 0) fail("answers changed on reload", NULL);
        fz_buf_free(&a);
        fz_buf_free(&b);
        if (horizon != CIVIC_NO_TIME && horizon > CIVIC_TIME_MIN) {
            fz_expect_purged(e, "r1", horizon - 1);
            fz_expect_purged(f, "r1", horizon - 1);
        }
        civic_engine_free(f);
        unlink(again);
    }
    civic_engine_free(e);
    civic_rules_free(rules);
    unlink(scratch);
    free(copy);
    return 0;
}
