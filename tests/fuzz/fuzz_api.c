/*
** fuzz_api.c -- libFuzzer harness for the event API and the evaluation
** (SPEC sections 3 and 4) over small fixed schemes.
**
** The input is a program: byte 0 picks one of three schemes (clamp "final"
** with bounds 0..200, clamp "running" with the same bounds, no bounds), all
** with a per-rule cap, a shared cap, repeat factors, two ceilings, flags,
** per-unit points, score-only and balance-only rules, several validities
** and a monthly balance; the following bytes are operations:
**   add a rule event, revoke or repair an earlier event (or a missing id,
**   or another subject's event), redeem, re-add an event (identical: must
**   be CIVIC_DUPLICATE, even with its ts written in another form; altered:
**   must be CIVIC_E_CONFLICT and change nothing), add a bad event (must
**   fail and change nothing), and query at some time.
** Invariants, abort() on violation:
**   - no crash, no sanitizer report;
**   - at every query, for every subject: the record invariant of
**     fuzz_common.h (base + ACTIVE score entries, bounded once or step by
**     step, limited by the lowest ACTIVE ceiling == score; grade; flags),
**     civic_engine_subject agrees with civic_engine_subjects;
**   - order independence: the same events added in reverse order, in a
**     shuffled order, and loaded as one CSV batch into fresh engines give
**     identical answers (subjects, records, ranking, groups) at every
**     checked time.
** Not covered here: the parsers' handling of malformed text (fuzz_rules.c,
** fuzz_csv.c, fuzz_jsonl.c).
*/
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVENTS_MAX 128
#define QUERIES_MAX 8
#define T0 INT64_C(1672531200) /* 2023-01-01T00:00:00Z */
#define STEP INT64_C(21600)    /* six hours */

static const char *const rule_codes[] = { "plus", "unit",  "minus", "fine", "ceil",
                                          "ceil2", "bal", "score", "big" };
#define RULE_COUNT (sizeof(rule_codes) / sizeof(rule_codes[0]))

#define SCHEME_RULES                                                                     \
    "[[grade]]\nname = \"A\"\nmin = 150\n[[grade]]\nname = \"B\"\nmin = 100\n"            \
    "[[grade]]\nname = \"C\"\nmin = 50\n[[grade]]\nname = \"D\"\n"                          \
    "[cap.shared]\nlimit = 10\nperiod = \"week\"\n"                                        \
    "[rule.plus]\npoints = 3\ncap = 7\ncap_period = \"day\"\ndimension = \"good\"\n"       \
    "[rule.unit]\npoints = 0.5\nper = \"unit\"\ncap_group = \"shared\"\nvalid = \"1m\"\n"  \
    "dimension = \"good\"\n"                                                               \
    "[rule.minus]\npoints = -4\nvalid = \"10d\"\nrepeat_factor = 2\ndimension = \"bad\"\n" \
    "[rule.fine]\npoints = -25\nvalid = \"end-of-month\"\nrepeat_factor = 1.5\ncap = 60\n" \
    "cap_period = \"month\"\ncap_group = \"shared\"\ndimension = \"bad\"\n"                \
    "[rule.ceil]\npoints = -1\nceiling = 80\nvalid = \"5d\"\nflag = \"watch\"\n"           \
    "[rule.ceil2]\npoints = 0\nceiling = 150\nvalid = \"end-of-quarter\"\n"                \
    "flag = \"dishonest\"\n"                                                               \
    "[rule.bal]\npoints = 5\naffects = \"balance\"\nvalid = \"1y\"\n"                      \
    "[rule.score]\npoints = -7\naffects = \"score\"\nvalid = \"1y\"\nflag = \"watch\"\n"   \
    "[rule.big]\npoints = 150\nvalid = \"2d\"\nrepeat_factor = 3\n"

static const char *const schemes[3] = {
    "[scheme]\nbase = 100\nmin = 0\nmax = 200\nclamp = \"final\"\nutc_offset = \"+08:00\"\n"
    "valid = \"forever\"\nbalance_reset = \"month\"\n" SCHEME_RULES,
    "[scheme]\nbase = 100\nmin = 0\nmax = 200\nclamp = \"running\"\nutc_offset = \"-05:30\"\n"
    "valid = \"1y\"\nbalance_reset = \"quarter\"\n" SCHEME_RULES,
    "[scheme]\nbase = 0\nclamp = \"final\"\nutc_offset = \"+00:00\"\n"
    "valid = \"forever\"\nbalance_reset = \"never\"\n" SCHEME_RULES,
};
static const fz_bounds scheme_bounds[3] = {
    { 0, 20000, false }, { 0, 20000, true }, { INT64_MIN, INT64_MAX, false }
};

static const char *const groups[] = { "", "a", "a/b", "a/c", "b/x/y" };
static const char *const qtys[] = { "1", "2", "2.5", "0", "0.001", "10", "3.333", "100" };
static const char *const amounts[] = { "1", "5", "0.5", "20", "100", "3.25" };

typedef struct stored {
    char id[16], subject[8], type[8], ts[40], ts_alt[40], qty[16], group[8], ref[16];
    int64_t t;
} stored;

typedef struct program {
    const uint8_t *p;
    size_t n, i;
    civic_rules *rules;
    const fz_bounds *bounds;
    stored ev[EVENTS_MAX];
    size_t count;
    int64_t queries[QUERIES_MAX];
    size_t query_count;
} program;

static unsigned next8(program *g) { return g->i < g->n ? g->p[g->i++] : 0; }
static unsigned next16(program *g) { unsigned a = next8(g); return a | next8(g) << 8; }

static civic_event to_event(const stored *s, bool alt)
{
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = s->id;
    ev.subject = s->subject;
    ev.type = s->type;
    ev.ts = alt ? s->ts_alt : s->ts;
    ev.qty = s->qty[0] ? s->qty : NULL;
    ev.group = s->group[0] ? s->group : NULL;
    ev.ref = s->ref[0] ? s->ref : NULL;
    return ev;
}

static void set_time(program *g, stored *s, int64_t t)
{
    s->t = t;
    char local[32];
    FZ_CHECK(civic_rules_format_time(g->rules, t, local, sizeof(local)) == CIVIC_OK, "format");
    /* Two spellings of the same instant: Unix seconds and local ISO time. */
    if (g->count % 2) {
        snprintf(s->ts, sizeof(s->ts), "%lld", (long long)t);
        snprintf(s->ts_alt, sizeof(s->ts_alt), "%s", local);
    } else {
        snprintf(s->ts, sizeof(s->ts), "%s", local);
        snprintf(s->ts_alt, sizeof(s->ts_alt), "%lld", (long long)t);
    }
}

static void add_expect(civic_engine *e, const civic_event *ev, int want)
{
    uint64_t before = civic_engine_event_count(e);
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_add(e, ev, &err);
    FZ_CHECK(rc == want, "add %s (%s %s %s qty=%s ref=%s) gave %d (%s), expected %d", ev->id,
             ev->subject, ev->type, ev->ts, ev->qty ? ev->qty : "", ev->ref ? ev->ref : "", rc,
             err.message, want);
    uint64_t after = civic_engine_event_count(e);
    FZ_CHECK(after == before + (rc == CIVIC_OK), "event count %llu -> %llu after rc %d",
             (unsigned long long)before, (unsigned long long)after, rc);
}

/* Decode one operation; false when the input is used up. */
static bool step(program *g, civic_engine *e)
{
    if (g->i >= g->n) return false;
    unsigned op = next8(g) % 10;
    stored *s = &g->ev[g->count];
    memset(s, 0, sizeof(*s));
    snprintf(s->id, sizeof(s->id), "e%zu", g->count);
    if (op <= 3 || op == 6) { /* rule event or redeem */
        if (g->count >= EVENTS_MAX) return true;
        snprintf(s->subject, sizeof(s->subject), "s%u", next8(g) % 4);
        unsigned what = next8(g);
        set_time(g, s, T0 + (int64_t)(next16(g) % 2048) * STEP + (int64_t)(what % 3) * 3599);
        if (op == 6) {
            snprintf(s->type, sizeof(s->type), "redeem");
            snprintf(s->qty, sizeof(s->qty), "%s", amounts[what % 6]);
        } else {
            snprintf(s->type, sizeof(s->type), "%s", rule_codes[what % RULE_COUNT]);
            if (what & 0x80) snprintf(s->qty, sizeof(s->qty), "%s", qtys[(what >> 4) % 8]);
        }
        snprintf(s->group, sizeof(s->group), "%s", groups[next8(g) % 5]);
    } else if (op == 4 || op == 5) { /* revoke or repair */
        if (g->count >= EVENTS_MAX) return true;
        unsigned k = next16(g), how = next8(g);
        const stored *target = g->count ? &g->ev[k % g->count] : NULL;
        snprintf(s->type, sizeof(s->type), "%s", op == 4 ? "revoke" : "repair");
        char ref[sizeof(s->ref)];
        snprintf(ref, sizeof(ref), "%s", target && how % 8 ? target->id : "missing");
        memcpy(s->ref, ref, sizeof(ref));
        if (target && how % 4) snprintf(s->subject, sizeof(s->subject), "%s", target->subject);
        else snprintf(s->subject, sizeof(s->subject), "s%u", how % 4);
        int64_t base = target ? target->t : T0;
        set_time(g, s, base + ((int64_t)(int8_t)next8(g)) * STEP);
        if (s->t < T0 - 256 * STEP) set_time(g, s, T0);
    } else if (op == 7) { /* re-add: identical or conflicting */
        if (!g->count) return true;
        unsigned k = next16(g), how = next8(g);
        stored copy = g->ev[k % g->count];
        civic_event ev = to_event(&copy, how & 1);
        if (how & 2) {
            add_expect(e, &ev, CIVIC_DUPLICATE);
        } else {
            char ts[32];
            snprintf(ts, sizeof(ts), "%lld", (long long)copy.t + 1);
            ev.ts = ts;
            add_expect(e, &ev, CIVIC_E_CONFLICT);
        }
        return true;
    } else if (op == 8) { /* query */
        int64_t t = T0 + (int64_t)(next16(g) % 2200) * STEP - 64 * STEP;
        if (g->query_count + 3 >= QUERIES_MAX) return true; /* bounded work per input */
        fz_check_all(e, g->bounds, t);
        g->queries[g->query_count++] = t;
        return true;
    } else { /* a bad event: must fail and change nothing */
        unsigned how = next8(g);
        civic_event ev = CIVIC_EVENT_INIT;
        ev.id = "bad";
        ev.subject = "s0";
        ev.type = "plus";
        ev.ts = "2023-06-01";
        int want = CIVIC_E_EVENT;
        switch (how % 6) {
        case 0: ev.type = "nope"; break;
        case 1: ev.type = "revoke"; break; /* no ref */
        case 2: ev.ts = "2023-02-30"; break;
        case 3: ev.qty = "-1"; break;
        case 4: ev.group = "a//b"; break;
        default: ev.type = "redeem"; ev.qty = "0"; break;
        }
        add_expect(e, &ev, want);
        return true;
    }
    civic_event ev = to_event(s, false);
    add_expect(e, &ev, CIVIC_OK);
    g->count++;
    return true;
}

static civic_engine *fresh(program *g)
{
    civic_engine *e = NULL;
    FZ_CHECK(civic_engine_new(&e, g->rules, NULL) == CIVIC_OK, "engine_new");
    return e;
}

static void snapshot(const civic_engine *e, const program *g, fz_buf *b)
{
    for (size_t q = 0; q < g->query_count; q++) fz_snapshot_at(e, g->queries[q], 2, b);
}

static void compare(const fz_buf *a, const fz_buf *b, const char *what)
{
    if (a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0)) return;
    size_t i = 0;
    while (i < a->n && i < b->n && a->p[i] == b->p[i]) i++;
    size_t from = i > 200 ? i - 200 : 0;
    fprintf(stderr, "--- as added\n%.*s\n--- %s\n%.*s\n", (int)(a->n - from < 400 ? a->n - from : 400),
            a->p + from, what, (int)(b->n - from < 400 ? b->n - from : 400), b->p + from);
    fz_fail("answers differ when the events are %s (byte %zu)", what, i);
}

static void csv_field(fz_buf *b, const char *s, const char *sep)
{
    fz_printf(b, "\"%s\"%s", s, sep); /* no field holds a quote */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static civic_rules *rules[3];
    static program g;
    if (size == 0) return 0;
    unsigned which = data[0] % 3;
    if (!rules[which]) {
        civic_error err = CIVIC_ERROR_INIT;
        int rc = civic_rules_parse(&rules[which], schemes[which], strlen(schemes[which]), NULL,
                                   &err);
        FZ_CHECK(rc == CIVIC_OK, "scheme %u: %s", which, err.message);
    }
    memset(&g, 0, sizeof(g));
    g.p = data;
    g.n = size;
    g.i = 1;
    g.rules = rules[which];
    g.bounds = &scheme_bounds[which];
    civic_engine *a = fresh(&g);
    while (step(&g, a)) {
    }
    FZ_CHECK(civic_engine_event_count(a) == g.count, "engine holds %llu events, added %zu",
             (unsigned long long)civic_engine_event_count(a), g.count);

    /* Times to compare at: the queries asked, the first and last ts, and
     * after everything. */
    int64_t first = 0, last = 0;
    if (civic_engine_time_range(a, &first, &last) == CIVIC_OK) {
        g.queries[g.query_count++] = first;
        g.queries[g.query_count++] = last;
        g.queries[g.query_count++] = last + 400 * 86400;
    }
    for (size_t q = 0; q < g.query_count; q++) fz_check_all(a, g.bounds, g.queries[q]);
    fz_buf want = { NULL, 0, 0 };
    snapshot(a, &g, &want);

    civic_engine *b = fresh(&g);
    for (size_t k = g.count; k > 0; k--) {
        civic_event ev = to_event(&g.ev[k - 1], k % 3 == 0);
        add_expect(b, &ev, CIVIC_OK);
    }
    fz_buf got = { NULL, 0, 0 };
    snapshot(b, &g, &got);
    compare(&want, &got, "added in reverse order");
    fz_buf_free(&got);
    civic_engine_free(b);

    size_t order[EVENTS_MAX];
    uint64_t x = 0x9E3779B97F4A7C15ull ^ size;
    for (size_t k = 0; k < size; k++) x = (x ^ data[k]) * 0x100000001B3ull;
    for (size_t k = 0; k < g.count; k++) order[k] = k;
    for (size_t k = g.count; k > 1; k--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % k), t = order[k - 1];
        order[k - 1] = order[j];
        order[j] = t;
    }
    civic_engine *c = fresh(&g);
    for (size_t k = 0; k < g.count; k++) {
        civic_event ev = to_event(&g.ev[order[k]], k % 2 == 0);
        add_expect(c, &ev, CIVIC_OK);
    }
    snapshot(c, &g, &got);
    compare(&want, &got, "added in a shuffled order");
    fz_buf_free(&got);
    civic_engine_free(c);

    /* One CSV batch, shuffled order, columns in an unusual order. */
    fz_buf csv = { NULL, 0, 0 };
    fz_printf(&csv, "ref,ts,qty,type,group,subject,extra,id\r\n");
    for (size_t k = 0; k < g.count; k++) {
        const stored *s = &g.ev[order[g.count - 1 - k]];
        csv_field(&csv, s->ref, ",");
        csv_field(&csv, k % 2 ? s->ts : s->ts_alt, ",");
        csv_field(&csv, s->qty, ",");
        csv_field(&csv, s->type, ",");
        csv_field(&csv, s->group, ",");
        csv_field(&csv, s->subject, ",");
        csv_field(&csv, "x,y", ",");
        csv_field(&csv, s->id, "\r\n");
    }
    civic_engine *d = fresh(&g);
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = CIVIC_FORMAT_CSV;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load(d, csv.p, csv.n, &opts, NULL, &err);
    FZ_CHECK(rc == CIVIC_OK, "CSV batch of the same events failed: %d %s", rc, err.message);
    snapshot(d, &g, &got);
    compare(&want, &got, "loaded as one CSV batch");
    fz_buf_free(&got);
    fz_buf_free(&csv);
    civic_engine_free(d);

    fz_buf_free(&want);
    civic_engine_free(a);
    return 0;
}
