/*
** test_oom.c -- allocation failure (SQLite's malloc test loop).
**
** For every public entry point that allocates, run the call with allocation
** 1 failing, then 2, 3 ... until the call gets through without an injected
** failure; both failing once (allocation N only) and failing forever
** (allocation N and every later one).  Every failing call must return
** CIVIC_E_NOMEM, give back every block it took (live blocks back to the
** count before the call), and leave the engine answering exactly as before
** (the full subject list at two as-of times, the event and subject counts).
** A call that succeeds must not have swallowed an injected failure, and an
** engine that finally took a write answers like one that never failed.
** The allocator (tests/alloc_fail.h) also checks that every free and
** realloc is given the size the block was allocated with.
*/
#include "support.h"
#include "alloc_fail.h"
#include "internal.h" /* engine arrays, to tell kept capacity from leaks */

#include <stdbool.h>
#include <unistd.h>

#define OOM_STEPS_MAX 20000u
#define T_EARLY INT64_C(1709251200) /* 2024-03-01T00:00:00Z */
#define T_LATE INT64_C(1767225600)  /* 2026-01-01T00:00:00Z */

/* ------------------------------------------------------------ event data */

static const char *const types[] = { "volunteer_hour", "illegal_parking", "donation",
                                     "neighbour_help", "court_defaulter", "drunk_driving",
                                     "recycling", "dispute_mediation" };

/* Event `i` of a family named by prefix, as CSV fields: deterministic, so a
 * later batch can repeat an earlier event exactly (a duplicate). */
typedef struct gen_event {
    char id[32], subject[16], type[32], ts[24], qty[16], group[48], ref[32];
} gen_event;

static void gen(const char *prefix, unsigned i, gen_event *g)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->id, sizeof(g->id), "%s%04u", prefix, i);
    snprintf(g->subject, sizeof(g->subject), "r%02u", (i * 7u + (unsigned)prefix[0]) % 23u);
    snprintf(g->ts, sizeof(g->ts), "%lld", (long long)(T_EARLY - 40 * 86400 + (int64_t)i * 86400 * 3 + i % 5 * 3600));
    if (i % 10 == 9) {
        snprintf(g->type, sizeof(g->type), "revoke");
        snprintf(g->ref, sizeof(g->ref), "%s%04u", prefix, i - 7);
    } else if (i % 13 == 12) {
        snprintf(g->type, sizeof(g->type), "redeem");
        snprintf(g->qty, sizeof(g->qty), "1");
    } else {
        snprintf(g->type, sizeof(g->type), "%s", types[i % 8]);
        if (i % 8 == 0 || i % 8 == 6) snprintf(g->qty, sizeof(g->qty), "%u.5", i % 4);
        if (i % 8 == 2) snprintf(g->qty, sizeof(g->qty), "%u", 100 + i);
    }
    if (i % 3) snprintf(g->group, sizeof(g->group), "d%u/s%u/c%u", i % 2, i % 5, i % 3);
}

static size_t csv_line(const gen_event *g, char *out, size_t size)
{
    return (size_t)snprintf(out, size, "%s,%s,%s,%s,%s,%s,%s\n", g->id, g->subject, g->type,
                            g->ts, g->qty, g->group, g->ref);
}

static size_t json_line(const gen_event *g, char *out, size_t size)
{
    int n = snprintf(out, size, "{\"id\":\"%s\",\"subject\":\"%s\",\"type\":\"%s\",\"ts\":%s",
                     g->id, g->subject, g->type, g->ts);
    if (g->qty[0]) n += snprintf(out + n, size - (size_t)n, ",\"qty\":\"%s\"", g->qty);
    if (g->group[0]) n += snprintf(out + n, size - (size_t)n, ",\"group\":\"%s\"", g->group);
    if (g->ref[0]) n += snprintf(out + n, size - (size_t)n, ",\"ref\":\"%s\"", g->ref);
    n += snprintf(out + n, size - (size_t)n, ",\"note\":[1,{\"x\":null}]}\n");
    return (size_t)n;
}

/* A batch: `count` events of `prefix`, `dups` events repeated from the base
 * family "b", and (bad) a few malformed lines.  Caller frees. */
static char *batch(bool json, const char *prefix, unsigned count, unsigned dups, bool bad)
{
    size_t cap = 256 + (size_t)(count + dups + 8) * 256, n = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    if (!json) n += (size_t)snprintf(out, cap, "id,subject,type,ts,qty,group,ref\n");
    gen_event g;
    for (unsigned i = 0; i < count; i++) {
        gen(prefix, i, &g);
        n += json ? json_line(&g, out + n, cap - n) : csv_line(&g, out + n, cap - n);
        if (bad && i % 17 == 5)
            n += (size_t)snprintf(out + n, cap - n, json ? "{\"id\":\"x%u\",}\n" : "x%u,,nope,,,,\n", i);
    }
    for (unsigned i = 0; i < dups; i++) {
        gen("b", i, &g);
        n += json ? json_line(&g, out + n, cap - n) : csv_line(&g, out + n, cap - n);
    }
    out[n] = '\0';
    return out;
}

/* ------------------------------------------------------------ fixture */

typedef struct fixture {
    alloc_fail af;
    civic_rules *rules;   /* plain malloc: only the engine is counted */
    civic_engine *engine; /* on af */
} fixture;

static uint32_t fixture_threads = 1; /* civic_engine_options.threads of new fixtures */
static bool fixture_serial = false;  /* new fixtures load by the serial reader only */

static fixture *fixture_new(unsigned base_events)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    alloc_fail_init(&f->af);
    assert_int_equal(civic_rules_default(&f->rules, NULL), CIVIC_OK);
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.allocator = &f->af.alc;
    o.threads = fixture_threads;
    assert_int_equal(civic_engine_new(&f->engine, f->rules, &o), CIVIC_OK);
    civic__engine_serial_loads(f->engine, fixture_serial);
    if (base_events) {
        char *data = batch(false, "b", base_events, 0, false);
        load_ok(f->engine, data);
        free(data);
        assert_int_equal(civic_engine_event_count(f->engine), base_events);
    }
    return f;
}

static void assert_allocator_clean(alloc_fail *af)
{
    if (af->size_mismatches)
        fail_msg("%llu free/realloc calls gave a size other than the block's (last: %zu given, "
                 "%zu allocated)", (unsigned long long)af->size_mismatches,
                 af->last_mismatch_given, af->last_mismatch_actual);
    assert_int_equal(af->bad_frees, 0);
}

static void fixture_free(fixture *f)
{
    civic_engine_free(f->engine);
    civic_rules_free(f->rules);
    if (f->af.live_blocks)
        fail_msg("%zu blocks (%zu bytes) still live after freeing everything",
                 f->af.live_blocks, f->af.live_bytes);
    assert_allocator_clean(&f->af);
    alloc_fail_destroy(&f->af);
    free(f);
}

/* What the engine answers: compared before and after every failed call. */
typedef struct view {
    char *early, *late;
    uint64_t events, subjects;
} view;

static view view_take(fixture *f)
{
    view v = { NULL, NULL, 0, 0 };
    if (!f->engine) return v;
    alloc_fail_disarm(&f->af);
    v.early = subjects_csv(f->engine, T_EARLY);
    v.late = subjects_csv(f->engine, T_LATE);
    v.events = civic_engine_event_count(f->engine);
    v.subjects = civic_engine_subject_count(f->engine);
    return v;
}

static void view_assert_equal(const view *a, const view *b, const char *what, uint64_t n)
{
    if (a->events != b->events || a->subjects != b->subjects)
        fail_msg("%s: allocation %llu failed, and the engine now holds %llu events / %llu "
                 "subjects instead of %llu / %llu", what, (unsigned long long)n,
                 (unsigned long long)b->events, (unsigned long long)b->subjects,
                 (unsigned long long)a->events, (unsigned long long)a->subjects);
    if (a->early && (strcmp(a->early, b->early) != 0 || strcmp(a->late, b->late) != 0))
        fail_msg("%s: allocation %llu failed, and the answers changed", what,
                 (unsigned long long)n);
}

static void view_free(view *v)
{
    free(v->early);
    free(v->late);
}

/* ------------------------------------------------------------ the loop */

typedef int (*op_fn)(fixture *f, const void *arg);

/* Blocks a failed write may keep: the engine's growable arrays and tables
 * that did not exist before the call, and arena chunks reserved for the
 * event's strings.  Keeping that capacity is harmless (the engine owns it
 * and frees it with itself; fixture_free checks) and changes no answer; any
 * other block still live after a failure is a leak. */
static size_t arena_chunks(const civic_arena *a)
{
    size_t n = 0;
    for (const civic_arena_chunk *c = a->top; c; c = c->prev) n++;
    return n;
}

static size_t engine_arrays(const civic_engine *e)
{
    if (!e) return 0;
    return (size_t)(e->events != NULL) + (e->subjects != NULL) + (e->groups != NULL) +
           (e->ids.table.slots != NULL) + (e->ids.dense.slot != NULL) + (e->subject_table.slots != NULL) +
           (e->group_table.slots != NULL) + (e->id_store.data != NULL) + (e->wide != NULL) +
           arena_chunks(&e->names);
}

/* One run of op with allocation n failing; true when no failure was
 * injected (the call is done). */
/* What one run with an injected failure gave. */
enum { STEP_DONE, STEP_FAILED, STEP_ABSORBED };

/* absorb: the op may take a failed allocation in its stride (a sizing hint
 * of a bulk load) and succeed; the caller then checks its answers. */
static int oom_step(fixture *f, op_fn op, const void *arg, const char *what, bool forever,
                    uint64_t n, bool absorb)
{
    view before = view_take(f);
    size_t live = alloc_fail_live_blocks(&f->af);
    size_t arrays = engine_arrays(f->engine);
    alloc_fail_arm(&f->af, n, forever);
    int rc = op(f, arg);
    uint64_t failed = f->af.failures;
    alloc_fail_disarm(&f->af);
    if (failed == 0) {
        if (rc < 0) fail_msg("%s: failed with %d without any allocation failing", what, rc);
        view_free(&before);
        return STEP_DONE;
    }
    if (absorb && rc >= 0) {
        view_free(&before);
        return STEP_ABSORBED;
    }
    if (rc != CIVIC_E_NOMEM)
        fail_msg("%s (%s): allocation %llu failed, the call returned %d (%s), not "
                 "CIVIC_E_NOMEM", what, forever ? "forever" : "once", (unsigned long long)n,
                 rc, civic_strerror(rc));
    size_t now = alloc_fail_live_blocks(&f->af);
    size_t kept = engine_arrays(f->engine) - arrays;
    if (now != live + kept)
        fail_msg("%s (%s): allocation %llu failed and %lld blocks leaked", what,
                 forever ? "forever" : "once", (unsigned long long)n,
                 (long long)now - (long long)live - (long long)kept);
    view after = view_take(f);
    view_assert_equal(&before, &after, what, n);
    view_free(&after);
    view_free(&before);
    return STEP_FAILED;
}

/* Run op with allocation n failing (once or forever), n = 1, 2, ... until
 * op completes without an injected failure, on one fixture.  Returns the
 * number of failing runs. */
static uint64_t oom_loop(fixture *f, op_fn op, const void *arg, const char *what, bool forever)
{
    uint64_t n;
    for (n = 1; n <= OOM_STEPS_MAX; n++)
        if (oom_step(f, op, arg, what, forever, n, false) == STEP_DONE) break;
    if (n > OOM_STEPS_MAX) fail_msg("%s: still failing after %u allocations", what, OOM_STEPS_MAX);
    assert_allocator_clean(&f->af);
    return n - 1;
}

/* A write: every n on a fresh fixture (so capacity kept by an earlier
 * failure cannot hide a later allocation site), both modes; the engine that
 * finally took the write must answer like one that never saw a failure. */
static void oom_write_absorbing(unsigned base_events, op_fn op, const void *arg,
                                const char *what, uint64_t min_steps, bool absorb)
{
    fixture *ref = fixture_new(base_events);
    assert_true(op(ref, arg) >= 0);
    char *want_early = subjects_csv(ref->engine, T_EARLY);
    char *want_late = subjects_csv(ref->engine, T_LATE);
    uint64_t want_events = civic_engine_event_count(ref->engine);
    for (int forever = 0; forever <= 1; forever++) {
        uint64_t n;
        for (n = 1; n <= OOM_STEPS_MAX; n++) {
            fixture *f = fixture_new(base_events);
            int step = oom_step(f, op, arg, what, forever, n, absorb);
            bool done = step == STEP_DONE;
            if (step != STEP_FAILED) { /* done, or a hint failed: the full answers */
                view v = view_take(f);
                assert_int_equal(v.events, want_events);
                assert_string_equal(v.early, want_early);
                assert_string_equal(v.late, want_late);
                view_free(&v);
            }
            fixture_free(f);
            if (done) break;
        }
        if (n > OOM_STEPS_MAX) fail_msg("%s: still failing after %u allocations", what, OOM_STEPS_MAX);
        if (n - 1 < min_steps)
            fail_msg("%s: only %llu allocations exercised, expected at least %llu", what,
                     (unsigned long long)(n - 1), (unsigned long long)min_steps);
    }
    free(want_early);
    free(want_late);
    fixture_free(ref);
}

static void oom_write(unsigned base_events, op_fn op, const void *arg, const char *what,
                      uint64_t min_steps)
{
    oom_write_absorbing(base_events, op, arg, what, min_steps, false);
}

/* A query or constructor: one fixture, both modes. */
static void oom_query(unsigned base_events, op_fn op, const void *arg, const char *what,
                      uint64_t min_steps)
{
    fixture *f = fixture_new(base_events);
    for (int forever = 0; forever <= 1; forever++) {
        uint64_t steps = oom_loop(f, op, arg, what, forever);
        if (steps < min_steps)
            fail_msg("%s: only %llu allocations exercised, expected at least %llu", what,
                     (unsigned long long)steps, (unsigned long long)min_steps);
    }
    fixture_free(f);
}

/* ------------------------------------------------------------ rules */

static const char custom_rules[] =
    "[scheme]\nname = \"t\\u00e9st\"\nbase = 100\nmin = 0\nmax = 200\nclamp = \"running\"\n"
    "utc_offset = \"-05:30\"\nvalid = \"2y\"\nbalance_reset = \"quarter\"\n"
    "[[grade]]\nname = \"top\"\nmin = 150\n[[grade]]\nname = \"mid\"\nmin = 50\n"
    "[[grade]]\nname = \"low\"\n"
    "[cap.a]\nlimit = 10\nperiod = \"week\"\n[cap.b]\nlimit = 20.5\nperiod = \"lifetime\"\n"
    "[rule.one]\npoints = 1\ndimension = \"d1\"\ncap = 5\ncap_period = \"day\"\ncap_group = \"a\"\n"
    "[rule.two]\npoints = -2.25\ndimension = \"d2\"\nflag = \"f1\"\nceiling = 120\n"
    "repeat_factor = 2\n"
    "[rule.three]\npoints = 0.5\nper = \"unit\"\ndimension = \"d3\"\nflag = \"f2\"\n"
    "cap_group = \"b\"\naffects = \"balance\"\nvalid = \"end-of-year\"\n"
    "[rule.four]\npoints = 3\nflag = \"f1\"\naffects = \"score\"\n";

static int op_rules_parse(fixture *f, const void *arg)
{
    const char *text = arg;
    civic_rules *r = (civic_rules *)1;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_parse(&r, text, strlen(text), &f->af.alc, &err);
    if (rc == CIVIC_OK) {
        assert_non_null(r);
        assert_true(civic_rules_grade_count(r) >= 3);
        civic_rules_free(r);
    } else {
        assert_null(r);
        assert_int_equal(err.code, rc);
    }
    return rc;
}

static int op_rules_default(fixture *f, const void *arg)
{
    (void)arg;
    civic_rules *r = (civic_rules *)1;
    int rc = civic_rules_default(&r, &f->af.alc);
    if (rc == CIVIC_OK) civic_rules_free(r);
    else assert_null(r);
    return rc;
}

static int op_rules_load_file(fixture *f, const void *arg)
{
    civic_rules *r = (civic_rules *)1;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_rules_load_file(&r, arg, &f->af.alc, &err);
    if (rc == CIVIC_OK) civic_rules_free(r);
    else assert_null(r);
    return rc;
}

/* A temporary file holding text; returns its malloc'd path. */
static char *temp_file(const char *text, const char *suffix)
{
    char tmpl[64];
    snprintf(tmpl, sizeof(tmpl), "/tmp/civic-oom-XXXXXX");
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    size_t n = strlen(tmpl) + strlen(suffix) + 1;
    char *path = malloc(n);
    assert_non_null(path);
    snprintf(path, n, "%s%s", tmpl, suffix);
    assert_int_equal(rename(tmpl, path), 0);
    return path;
}

static void rules_parse_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof(*f));
    alloc_fail_init(&f->af);
    for (int forever = 0; forever <= 1; forever++) {
        assert_true(oom_loop(f, op_rules_parse, civic_rules_default_text(), "rules_parse(default)",
                             forever) >= 5);
        assert_true(oom_loop(f, op_rules_parse, custom_rules, "rules_parse(custom)", forever) >= 5);
        assert_true(oom_loop(f, op_rules_default, NULL, "rules_default", forever) >= 5);
    }
    fixture_free(f);
}

static void rules_load_file_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    char *path = temp_file(custom_rules, ".toml");
    fixture *f = calloc(1, sizeof(*f));
    alloc_fail_init(&f->af);
    for (int forever = 0; forever <= 1; forever++)
        assert_true(oom_loop(f, op_rules_load_file, path, "rules_load_file", forever) >= 6);
    fixture_free(f);
    unlink(path);
    free(path);
}

/* A parse that fails for another reason under allocation failure still
 * returns either NOMEM or its own error, and leaks nothing. */
static void rules_with_an_error_fail_cleanly_at_every_allocation(void **state)
{
    (void)state;
    fixture *f = calloc(1, sizeof(*f));
    alloc_fail_init(&f->af);
    static const char bad[] = TEST_SCHEME "[rule.a]\npoints = 1\ndimension = \"x\"\n"
                                          "[rule.b]\npoints = 1\ncap_group = \"nope\"\n";
    for (uint64_t n = 1; n < 200; n++) {
        alloc_fail_arm(&f->af, n, n % 2);
        int rc = op_rules_parse(f, bad);
        alloc_fail_disarm(&f->af);
        assert_true(rc == CIVIC_E_NOMEM || rc == CIVIC_E_RULES);
        assert_int_equal(f->af.live_blocks, 0);
    }
    fixture_free(f);
}

/* ------------------------------------------------------------ engine_new */

static int op_engine_new(fixture *f, const void *arg)
{
    (void)arg;
    civic_engine_options o = CIVIC_ENGINE_OPTIONS_INIT;
    o.allocator = &f->af.alc;
    civic_engine *e = (civic_engine *)1;
    int rc = civic_engine_new(&e, f->rules, &o);
    if (rc == CIVIC_OK) civic_engine_free(e);
    else assert_null(e);
    return rc;
}

static void engine_new_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    civic_engine_free(f->engine);
    f->engine = NULL;
    for (int forever = 0; forever <= 1; forever++)
        assert_true(oom_loop(f, op_engine_new, NULL, "engine_new", forever) >= 1);
    fixture_free(f);
}

/* ------------------------------------------------------------ engine_add */

static int op_add(fixture *f, const void *arg)
{
    const civic_event *ev = arg;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_add(f->engine, ev, &err);
    if (rc < 0) assert_int_equal(err.code, rc);
    return rc;
}

static void engine_add_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = "new-1";
    ev.subject = "newcomer";
    ev.type = "volunteer_hour";
    ev.ts = "2024-02-01T10:00:00+08:00";
    ev.qty = "2.5";
    ev.group = "north/elm/c1";
    /* The first event of an empty engine allocates every table. */
    oom_write(0, op_add, &ev, "engine_add(first event)", 6);
    /* 16 events: the arrays and tables are full at their first size, so
     * the 17th event with a new subject and a new group grows them. */
    oom_write(16, op_add, &ev, "engine_add(17th event)", 2);
    /* An event for an existing subject, and a revoke of an existing event. */
    ev.subject = "r07";
    oom_write(30, op_add, &ev, "engine_add(known subject)", 0);
    civic_event rv = CIVIC_EVENT_INIT;
    rv.id = "rv-1";
    rv.subject = "r07";
    rv.type = "revoke";
    rv.ts = "2024-03-01";
    rv.ref = "b0001";
    oom_write(30, op_add, &rv, "engine_add(revoke)", 0);
}

static int op_reserve(fixture *f, const void *arg)
{
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_reserve(f->engine, *(const uint64_t *)arg, &err);
    if (rc < 0) assert_int_equal(err.code, rc);
    return rc;
}

/* Room made ahead: the event array and the id table grow, or the call
 * fails with nothing else changed. */
static void engine_reserve_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    uint64_t events = 5000;
    /* an empty engine grows its event array; its id index waits for the
     * first id, which says whether the array or the table takes them */
    oom_write(0, op_reserve, &events, "engine_reserve(empty engine)", 1);
    oom_write(30, op_reserve, &events, "engine_reserve(30 events)", 2);
}

/* ------------------------------------------------------------ engine_load */

typedef struct load_arg {
    const char *data;
    uint32_t format;
    uint32_t flags;
    const char *path; /* load_file when set */
    uint64_t want_accepted;
} load_arg;

static int op_load(fixture *f, const void *arg)
{
    const load_arg *a = arg;
    civic_load_options o = CIVIC_LOAD_OPTIONS_INIT;
    o.format = a->format;
    o.flags = a->flags;
    civic_load_report rep = CIVIC_LOAD_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = a->path ? civic_engine_load_file(f->engine, a->path, &o, &rep, &err)
                     : civic_engine_load(f->engine, a->data, strlen(a->data), &o, &rep, &err);
    if (rc < 0) {
        assert_int_equal(err.code, rc);
        assert_int_equal(rep.accepted, 0);
    } else {
        assert_int_equal(rep.accepted, a->want_accepted);
    }
    return rc;
}

static void load_case(bool json, uint32_t flags, bool use_file)
{
    char *data = batch(json, "n", 150, 5, flags != 0);
    load_arg a = { data, json ? CIVIC_FORMAT_JSONL : CIVIC_FORMAT_CSV, flags, NULL, 150 };
    char *path = NULL;
    if (use_file) {
        path = temp_file(data, json ? ".jsonl" : ".csv");
        a.path = path;
        a.format = CIVIC_FORMAT_AUTO;
    }
    /* ~9 KB: the pipeline on this thread, whose sizing hints may fail
     * without failing the load (oom_write_absorbing), and the serial
     * reader, where every failure fails it. */
    for (int serial = 0; serial <= 1; serial++) {
        fixture_serial = serial;
        char what[80];
        snprintf(what, sizeof(what), "engine_load%s(%s, %s, %s)", use_file ? "_file" : "",
                 json ? "JSONL" : "CSV", flags ? "lenient" : "strict",
                 serial ? "serial reader" : "pipeline");
        a.want_accepted = 150;
        oom_write_absorbing(30, op_load, &a, what, 4, !serial);
        /* Into an empty engine: every table is created inside the batch, and
         * the five events repeated from the base family are new. */
        a.want_accepted = 155;
        oom_write_absorbing(0, op_load, &a, what, 6, !serial);
    }
    fixture_serial = false;
    if (path) {
        unlink(path);
        free(path);
    }
    free(data);
}

static void engine_load_csv_strict_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    load_case(false, 0, false);
}

static void engine_load_csv_lenient_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    load_case(false, CIVIC_LOAD_LENIENT, false);
}

static void engine_load_jsonl_strict_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    load_case(true, 0, false);
}

static void engine_load_jsonl_lenient_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    load_case(true, CIVIC_LOAD_LENIENT, false);
}

static void engine_load_file_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    load_case(false, 0, true);
    load_case(true, 0, true);
    load_case(false, CIVIC_LOAD_LENIENT, true);
}

/* A CSV record with quotes takes the general path with its scratch buffer. */
static void engine_load_quoted_csv_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    static const char data[] =
        "\xEF\xBB\xBF\"id\",\"subject\",\"type\",\"ts\",\"qty\",\"group\",\"ref\"\r\n"
        "\"q1\",\"s \"\"one\"\"\",volunteer_hour,2024-01-05,\"1.5\",\"a,b/c\",\r\n"
        "q2,s2,donation,2024-01-06,300,,\r\n";
    load_arg a = { data, CIVIC_FORMAT_AUTO, 0, NULL, 2 };
    oom_write(10, op_load, &a, "engine_load(quoted CSV)", 1);
}

/* A batch large enough for the pipeline, on two worker threads (the
 * allocator is thread-safe) and on the caller's thread alone. */
static void engine_load_parallel_csv_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    char *data = batch(false, "p", 6000, 5, false);
    assert_true(strlen(data) > ((size_t)1 << 18));
    load_arg a = { data, CIVIC_FORMAT_CSV, 0, NULL, 6000 };
    /* Sizing the load up front, reserving room for a part and growing a
     * part's buffer are hints: when they fail the load takes the slow path,
     * which must succeed or fail cleanly like any other. */
    for (uint32_t threads = 2; threads >= 1; threads--) {
        fixture_threads = threads;
        oom_write_absorbing(30, op_load, &a,
                            threads == 2 ? "engine_load(parallel CSV)"
                                         : "engine_load(pipeline, one thread)",
                            4, true);
    }
    free(data);
    fixture_threads = 1;
}

/* ------------------------------------------------------------ queries */

typedef struct query_arg {
    int kind; /* 0 subject, 1 subjects, 2 rank, 3 record, 4 groups, 5 list (subject: its name) */
    const char *subject;
    const char *group;
    uint64_t top;
    uint32_t depth;
    int64_t as_of;
} query_arg;

static int op_query(fixture *f, const void *arg)
{
    const query_arg *q = arg;
    int rc;
    if (q->kind == 3) {
        civic_record *rec = (civic_record *)1;
        rc = civic_engine_record(f->engine, q->subject, q->as_of, &rec);
        if (rc == CIVIC_OK) {
            assert_true(civic_record_count(rec) > 0 || strcmp(q->subject, "nobody") == 0);
            civic_record_free(rec);
        } else {
            assert_null(rec);
        }
        return rc;
    }
    if (q->kind == 5) {
        civic_list *l = (civic_list *)1;
        rc = civic_engine_list(f->engine, q->subject, q->as_of, &l);
        if (rc == CIVIC_OK) {
            assert_true(civic_list_count(l) > 0);
            civic_list_free(l);
        } else {
            assert_null(l);
        }
        return rc;
    }
    if (q->kind == 4) {
        civic_groups *g = (civic_groups *)1;
        rc = civic_engine_groups(f->engine, q->depth, q->as_of, &g);
        if (rc == CIVIC_OK) {
            assert_true(civic_groups_count(g) > 0);
            civic_groups_free(g);
        } else {
            assert_null(g);
        }
        return rc;
    }
    civic_result *res = (civic_result *)1;
    if (q->kind == 0) rc = civic_engine_subject(f->engine, q->subject, q->as_of, &res);
    else if (q->kind == 1) rc = civic_engine_subjects(f->engine, q->as_of, &res);
    else rc = civic_engine_rank(f->engine, q->group, q->as_of, q->top, &res);
    if (rc == CIVIC_OK) {
        assert_true(civic_result_count(res) > 0);
        civic_result_free(res);
    } else {
        assert_null(res);
    }
    return rc;
}

static void engine_subject_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    query_arg known = { 0, "r07", NULL, 0, 0, T_LATE };
    query_arg unknown = { 0, "nobody", NULL, 0, 0, T_LATE };
    oom_query(60, op_query, &known, "engine_subject(known)", 3);
    oom_query(60, op_query, &unknown, "engine_subject(unknown)", 3);
}

static void engine_subjects_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    query_arg q = { 1, NULL, NULL, 0, 0, T_LATE };
    oom_query(120, op_query, &q, "engine_subjects", 6);
}

/* Enough subjects for the evaluation threads (4,096 or more): on two
 * threads the subjects are cut into parts, each evaluated into a result of
 * its own; a failure in any of them must free them all. */
static void engine_subjects_in_parts_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    const unsigned subjects = 5000;
    size_t cap = (size_t)subjects * 2 * 64 + 64, len = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    len += (size_t)snprintf(data, cap, "id,subject,type,ts,qty\n");
    for (unsigned i = 0; i < subjects * 2; i++)
        len += (size_t)snprintf(data + len, cap - len, "s%05u,p%04u,%s,%lld,%s\n", i,
                                i % subjects, i % 3 ? "volunteer_hour" : "illegal_parking",
                                (long long)(T_EARLY + (int64_t)i * 600), i % 3 ? "2" : "");
    fixture_threads = 2;
    fixture *f = fixture_new(0);
    fixture_threads = 1;
    load_ok(f->engine, data);
    free(data);
    query_arg q = { 1, NULL, NULL, 0, 0, T_LATE };
    for (int forever = 0; forever <= 1; forever++) {
        uint64_t steps = oom_loop(f, op_query, &q, "engine_subjects(parts)", forever);
        if (steps < 40)
            fail_msg("engine_subjects(parts): only %llu allocations exercised",
                     (unsigned long long)steps);
    }
    fixture_free(f);
}

static void engine_rank_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    query_arg everyone = { 2, NULL, NULL, 0, 0, T_LATE };
    query_arg group_top = { 2, NULL, "d1", 3, 0, T_LATE };
    oom_query(120, op_query, &everyone, "engine_rank(all)", 6);
    oom_query(120, op_query, &group_top, "engine_rank(d1, top 3)", 6);
}

static void engine_list_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    query_arg flag = { 5, "dishonest", NULL, 0, 0, T_LATE };
    query_arg measure = { 5, "no_subsidy", NULL, 0, 0, T_LATE };
    oom_query(120, op_query, &flag, "engine_list(flag)", 3);
    oom_query(120, op_query, &measure, "engine_list(measure)", 3);
}

static void engine_record_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    query_arg q = { 3, "r07", NULL, 0, 0, T_LATE };
    query_arg unknown = { 3, "nobody", NULL, 0, 0, T_LATE };
    oom_query(120, op_query, &q, "engine_record", 4);
    oom_query(120, op_query, &unknown, "engine_record(unknown)", 3);
}

static void engine_groups_fails_cleanly_at_every_allocation(void **state)
{
    (void)state;
    for (uint32_t depth = 0; depth <= 3; depth++) {
        query_arg q = { 4, NULL, NULL, 0, depth, T_LATE };
        oom_query(120, op_query, &q, "engine_groups", 6);
    }
}

/* Answers taken under a failing allocator are complete and right once the
 * call succeeds: compare with the answers of a plain engine. */
static void answers_after_failures_match_a_plain_engine(void **state)
{
    (void)state;
    fixture *f = fixture_new(90);
    civic_rules *r = NULL;
    assert_int_equal(civic_rules_default(&r, NULL), CIVIC_OK);
    civic_engine *plain = NULL;
    assert_int_equal(civic_engine_new(&plain, r, NULL), CIVIC_OK);
    char *data = batch(false, "b", 90, 0, false);
    load_ok(plain, data);
    free(data);
    char *want = subjects_csv(plain, T_LATE);
    for (uint64_t n = 1; n < 400; n += 7) {
        alloc_fail_arm(&f->af, n, false);
        civic_result *res = NULL;
        int rc = civic_engine_subjects(f->engine, T_LATE, &res);
        alloc_fail_disarm(&f->af);
        assert_true(rc == CIVIC_OK || rc == CIVIC_E_NOMEM);
        civic_result_free(res);
        char *got = subjects_csv(f->engine, T_LATE);
        assert_string_equal(got, want);
        free(got);
    }
    free(want);
    civic_engine_free(plain);
    civic_rules_free(r);
    fixture_free(f);
}

/* ------------------------------------------------------------ reserved inserts */

/* A bulk insert that was told room was reserved (civic__event_insert_reserved)
 * when its strings find no room in the id store or the names arena -- the
 * pipeline never lets that happen, but an insert must not rely on it --
 * fails with CIVIC_E_NOMEM and changes nothing, instead of writing through a
 * NULL pointer.  (The id store's block, once allocated, is the engine's
 * capacity and stays, like the arrays of oom_step.) */
static void a_reserved_insert_without_arena_room_fails_cleanly(void **state)
{
    (void)state;
    fixture *f = fixture_new(0);
    civic_engine *e = f->engine;
    const char *v[CIVIC_F_COUNT] = { "r1", "someone", "donation", "2024-05-01", NULL,
                                     "east/a", NULL };
    civic_fields fields;
    civic__fields_of(&fields, v, NULL);
    civic_parsed p;
    assert_int_equal(civic__event_parse(e, &fields, &p, 0, NULL), CIVIC_OK);
    /* Room for one event, one subject and one group; none in the arenas. */
    assert_int_equal(civic__engine_reserve_events(e, 1), CIVIC_OK);
    assert_int_equal(civic__engine_reserve_names(e, 1), CIVIC_OK);
    size_t live = f->af.live_blocks;
    int rc = CIVIC_E_NOMEM;
    uint64_t n;
    for (n = 1; rc == CIVIC_E_NOMEM; n++) { /* fail the 1st, 2nd ... arena chunk */
        civic_error err = CIVIC_ERROR_INIT;
        alloc_fail_arm(&f->af, n, true);
        rc = civic__event_insert_reserved(e, &p, 0, 0, &err);
        alloc_fail_disarm(&f->af);
        if (rc == CIVIC_OK) break;
        assert_int_equal(rc, CIVIC_E_NOMEM);
        assert_int_equal(err.code, CIVIC_E_NOMEM);
        assert_int_equal(e->event_count, 0);
        assert_int_equal(e->subject_count, 0);
        assert_int_equal(e->group_count, 0);
        assert_int_equal(civic__event_find(e, "r1", 2), CIVIC_NONE);
        assert_int_equal(f->af.live_blocks, live + (e->id_store.data != NULL));
    }
    assert_true(n >= 3); /* the id store and the names chunk each failed once */
    assert_int_equal(civic_engine_event_count(e), 1);
    assert_int_equal(civic_engine_subject_count(e), 1);
    assert_allocator_clean(&f->af);
    fixture_free(f);
}

/* ------------------------------------------------------------ arena alignment */

/* An allocator whose blocks start 8 bytes past a 16-byte boundary: legal
 * for malloc-like hooks, and the worst case for a 16-byte request. */
static void *odd_malloc(void *ctx, size_t size)
{
    (void)ctx;
    char *p = malloc(size + 16);
    return p ? p + 8 : NULL;
}
static void *odd_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    char *p = realloc((char *)ptr - 8, new_size + 16);
    (void)old_size;
    return p ? p + 8 : NULL;
}
static void odd_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    (void)size;
    free((char *)ptr - 8);
}

/* civic__arena_alloc promises alignments up to 16 whatever the chunk sizes
 * and whatever the allocator's own alignment (at least 8, as malloc's). */
static void the_arena_aligns_what_it_is_asked_to_align(void **state)
{
    (void)state;
    civic_allocator plain, odd = { odd_malloc, odd_realloc, odd_free, NULL };
    civic__alloc_init(&plain, NULL);
    const civic_allocator *alcs[2] = { &plain, &odd };
    for (int k = 0; k < 2; k++) {
        civic_arena arena;
        civic__arena_init(&arena, alcs[k], 1024);
        for (unsigned i = 0; i < 5000; i++) {
            size_t size = (size_t)(i * 7 % 61) + 1, align = (size_t)1 << (i % 5);
            if (i % 97 == 0) size = 3000; /* a chunk of its own */
            char *p = civic__arena_alloc(&arena, size, align);
            assert_non_null(p);
            if ((uintptr_t)p % align != 0)
                fail_msg("allocator %d: %zu bytes aligned %zu came at %p", k, size, align,
                         (void *)p);
            memset(p, 0xA5, size);
        }
        civic__arena_free(&arena);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_parse_fails_cleanly_at_every_allocation),
        cmocka_unit_test(rules_load_file_fails_cleanly_at_every_allocation),
        cmocka_unit_test(rules_with_an_error_fail_cleanly_at_every_allocation),
        cmocka_unit_test(engine_new_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_add_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_reserve_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_csv_strict_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_csv_lenient_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_jsonl_strict_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_jsonl_lenient_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_file_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_quoted_csv_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_load_parallel_csv_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_subject_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_subjects_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_subjects_in_parts_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_rank_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_list_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_record_fails_cleanly_at_every_allocation),
        cmocka_unit_test(engine_groups_fails_cleanly_at_every_allocation),
        cmocka_unit_test(answers_after_failures_match_a_plain_engine),
        cmocka_unit_test(a_reserved_insert_without_arena_room_fails_cleanly),
        cmocka_unit_test(the_arena_aligns_what_it_is_asked_to_align),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
