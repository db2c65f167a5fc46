/*
** fuzz_api2.c -- libFuzzer harness for the event API and the evaluation of
** version 2 (SPEC sections 9 to 11) over small fixed schemes.
**
** The input is a program: byte 0 picks one of three schemes (clamp "final"
** with bounds 0..200, contested "suspend" and a balance floor of -20;
** clamp "running" with contested "mark" and no floor; no bounds, a floor of
** 0 and no objection window), all with rule changes (one a recount of a
** score-only rule), a category with repeat offences, validity by severity,
** a freeze with a ceiling, net caps (shared and own), publicity periods,
** repair_after, retention, a tier by quantity and a tier by points over a
** rolling window, and five measures; the following bytes are operations:
**   add a rule event (with or without act and source), a second member of
**   an earlier event's act, a revoke, repair, objection, dismissal or
**   correction of an earlier event (or a missing id, or another subject's
**   event), a redeem; re-add an event (identical, with its ts in another
**   form and an absent source sent as "": CIVIC_DUPLICATE; with another
**   act on a built-in type: CIVIC_DUPLICATE; with another ts, subject,
**   source or rule-event act: CIVIC_E_CONFLICT, nothing changes); add a
**   bad event (fails, nothing changes); query at some time; purge at some
**   horizon H.
** Invariants, abort() on violation:
**   - no crash, no sanitizer report;
**   - at every query, for every subject: the record invariant, lists and
**     groups of fuzz_common.h; both tiers recomputed from the record; the
**     measures recomputed from grade, flags, tiers and score;
**   - a purge: every answer at T >= H (scores, grades, balances, flags,
**     dimensions, tiers, measures, records, ranks, groups, lists) is what it
**     was before, archived counts aside; every question about T < H fails
**     with CIVIC_E_PURGED; the events removed are exactly those with
**     ts <= H that the record at H did not list (archived), plus pointers
**     dated after H at removed events of their subject; their ids are
**     duplicates from then on, whatever the other fields;
**   - order independence: the same events added in reverse order, in a
**     shuffled order, and loaded as one CSV batch into fresh engines that
**     never purge give identical answers at every checked time, and the
**     purged engine gives those answers at every checked T >= H.
** After a purge the program adds no event whose answer SPEC 10.4 lets
** differ from an engine that never purged ("for the events the engine
** held"): a member of an act that lost members, or a pointer dated after
** H at a removed event of its subject.
** Not covered here: the parsers' handling of malformed text (fuzz_rules.c,
** fuzz_csv.c, fuzz_jsonl.c), durability (fuzz_snapshot.c).
*/
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVENTS_MAX 128
#define QUERIES_MAX 6
#define PURGES_MAX 2
#define T0 INT64_C(1672531200) /* 2023-01-01T00:00:00Z */
#define STEP INT64_C(21600)    /* six hours */
#define DAY INT64_C(86400)

static const char *const rule_codes[] = { "plus", "up",     "down",  "unit", "park",
                                          "lane", "fine",   "listed", "drunk", "bal",
                                          "honour", "hour" };
#define RULE_COUNT (sizeof(rule_codes) / sizeof(rule_codes[0]))

#define SCHEME_RULES                                                                          \
    "[[validity]]\nup_to = 10\nvalid = \"30d\"\n[[validity]]\nup_to = 40\nvalid = \"90d\"\n" \
    "[[validity]]\nvalid = \"1y\"\n"                                                          \
    "[[grade]]\nname = \"A\"\nmin = 150\n[[grade]]\nname = \"B\"\nmin = 100\n"                 \
    "[[grade]]\nname = \"C\"\nmin = 50\n[[grade]]\nname = \"D\"\n"                               \
    "[cap.votes]\nlimit = 20\nperiod = \"day\"\nmode = \"net\"\n"                               \
    "[cap.shared]\nlimit = 10\nperiod = \"week\"\n"                                             \
    "[rule.plus]\npoints = 3\ncap = 7\ncap_period = \"day\"\ncap_mode = \"net\"\n"              \
    "dimension = \"good\"\n"                                                                  \
    "[[rule.plus.change]]\nfrom = \"2023-06-01\"\npoints = 4\ncap = false\n"                    \
    "[[rule.plus.change]]\nfrom = \"2023-10-01\"\ncap = 5\ncap_period = \"week\"\n"              \
    "cap_group = \"votes\"\n"                                                                 \
    "[rule.up]\npoints = 10\ncap_group = \"votes\"\nvalid = \"10d\"\ndimension = \"good\"\n"     \
    "[rule.down]\npoints = -2\ncap_group = \"votes\"\nvalid = \"10d\"\n"                         \
    "[rule.unit]\npoints = 0.5\nper = \"unit\"\ncap_group = \"shared\"\nvalid = \"1m\"\n"        \
    "publicity = \"3d\"\ndimension = \"good\"\n"                                              \
    "[rule.park]\npoints = -4\nvalid = \"by-severity\"\ncategory = \"traffic\"\n"               \
    "repeat_factor = 2\naffects = \"score\"\nretain = \"1y\"\nrepair_after = \"20d\"\n"          \
    "dimension = \"bad\"\n"                                                                   \
    "[rule.lane]\npoints = -25\nvalid = \"by-severity\"\ncategory = \"traffic\"\n"              \
    "repeat_factor = 1.5\naffects = \"score\"\nretain = \"2y\"\nflag = \"watch\"\n"              \
    "dimension = \"bad\"\n"                                                                   \
    "[rule.fine]\npoints = -10\naffects = \"score\"\nvalid = \"60d\"\nretain = \"180d\"\n"       \
    "dimension = \"bad\"\n"                                                                   \
    "[[rule.fine.change]]\nfrom = \"2023-04-01\"\npoints = -5\nrecount = true\n"               \
    "[[rule.fine.change]]\nfrom = \"2023-09-01\"\nflag = \"fined\"\nrepeat_factor = 2\n"       \
    "[rule.listed]\npoints = 0\nceiling = 80\nfreeze = true\nvalid = \"90d\"\n"                 \
    "flag = \"dishonest\"\naffects = \"score\"\nrepair_after = \"30d\"\npublicity = \"2d\"\n"    \
    "[rule.drunk]\npoints = -30\nceiling = 120\nvalid = \"by-severity\"\nretain = \"270d\"\n"    \
    "affects = \"score\"\nflag = \"watch\"\ncategory = \"traffic\"\n"                          \
    "[rule.bal]\npoints = 5\naffects = \"balance\"\nvalid = \"1y\"\n"                           \
    "[rule.honour]\npoints = 20\nvalid = \"1y\"\npublicity = \"7d\"\naffects = \"score\"\n"      \
    "[[rule.honour.change]]\nfrom = \"2023-03-01\"\npoints = 30\npublicity = \"1d\"\n"          \
    "[rule.hour]\npoints = 1\nper = \"unit\"\ncap = 8\ncap_period = \"week\"\n"                 \
    "cap_mode = \"net\"\n"                                                                    \
    "[tier.star]\nrules = \"hour;unit\"\nmeasure = \"qty\"\n"                                   \
    "[[tier.star.level]]\nname = \"1 star\"\nmin = 5\n"                                         \
    "[[tier.star.level]]\nname = \"2 stars\"\nmin = 20\n"                                       \
    "[tier.good]\nrules = \"plus;up;down;honour;hour\"\nmeasure = \"points\"\n"                 \
    "window = \"90d\"\n"                                                                      \
    "[[tier.good.level]]\nname = \"bronze\"\nmin = 10\n"                                        \
    "[[tier.good.level]]\nname = \"silver\"\nmin = 50\n"                                        \
    "[measure.priority]\ntext = \"Priority service\"\nkind = \"incentive\"\ngrades = \"A\"\n"   \
    "[measure.no_subsidy]\ntext = \"No subsidies\"\nkind = \"restriction\"\n"                   \
    "flag = \"dishonest\"\n"                                                                  \
    "[measure.rebate]\ntext = \"Rebate\"\nkind = \"incentive\"\ntier = \"star\"\n"              \
    "min_level = \"2 stars\"\n"                                                               \
    "[measure.low]\ntext = \"Low score\"\nkind = \"restriction\"\nmax_score = 60\n"             \
    "[measure.mixed]\ntext = \"Good neighbours\"\nkind = \"incentive\"\nmin_score = 100\n"      \
    "tier = \"good\"\nmin_level = \"bronze\"\n"

static const char *const schemes[3] = {
    "[scheme]\nbase = 100\nmin = 0\nmax = 200\nclamp = \"final\"\nutc_offset = \"+08:00\"\n"
    "valid = \"1y\"\nbalance_reset = \"month\"\nbalance_min = -20\ncontested = \"suspend\"\n"
    "objection_window = \"20d\"\n" SCHEME_RULES,
    "[scheme]\nbase = 100\nmin = 0\nmax = 200\nclamp = \"running\"\nutc_offset = \"-05:30\"\n"
    "valid = \"forever\"\nbalance_reset = \"quarter\"\ncontested = \"mark\"\n"
    "objection_window = \"10d\"\n" SCHEME_RULES,
    "[scheme]\nbase = 100\nclamp = \"final\"\nutc_offset = \"+00:00\"\nvalid = \"by-severity\"\n"
    "balance_reset = \"never\"\nbalance_min = 0\ncontested = \"suspend\"\n" SCHEME_RULES,
};
static const fz_bounds scheme_bounds[3] = {
    { 0, 20000, false }, { 0, 20000, true }, { INT64_MIN, INT64_MAX, false }
};
static const int64_t balance_floors[3] = { -2000, INT64_MIN, 0 }; /* balance_min */

static const char *const groups[] = { "", "a", "a/b", "a/c", "b/x/y" };
static const char *const qtys[] = { "1", "2", "2.5", "0", "0.001", "10", "3.333", "25" };
static const char *const amounts[] = { "1", "5", "0.5", "20", "100", "3.25" };
static const char *const sources[] = { "", "", "dept", "grid office 3" };

typedef struct stored {
    char id[16], subject[8], type[12], ts[40], ts_alt[40], qty[16], group[8], ref[16];
    char act[8], source[16];
    int64_t t;
    bool tomb; /* removed by a purge: its id is a tombstone */
} stored;

typedef struct program {
    const uint8_t *p;
    size_t n, i;
    civic_rules *rules;
    const fz_bounds *bounds;
    int64_t balance_min;
    int64_t changes[5]; /* from of plus (2), fine (2, the first a recount), honour */
    stored ev[EVENTS_MAX];
    size_t count;
    int64_t queries[QUERIES_MAX + 3];
    size_t query_count;
    int64_t horizon; /* CIVIC_NO_TIME until the first purge */
    unsigned purges;
} program;

static unsigned next8(program *g) { return g->i < g->n ? g->p[g->i++] : 0; }
static unsigned next16(program *g) { unsigned a = next8(g); return a | next8(g) << 8; }

static bool is_builtin(const char *type)
{
    return strcmp(type, "revoke") == 0 || strcmp(type, "repair") == 0 ||
           strcmp(type, "redeem") == 0 || strcmp(type, "object") == 0 ||
           strcmp(type, "dismiss") == 0 || strcmp(type, "correct") == 0;
}

static bool has_ref(const char *type)
{
    return is_builtin(type) && strcmp(type, "redeem") != 0;
}

static stored *find(program *g, const char *id)
{
    for (size_t k = 0; k < g->count; k++)
        if (strcmp(g->ev[k].id, id) == 0) return &g->ev[k];
    return NULL;
}

/* alt: the other spelling of ts, and an absent source sent as "". */
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
    ev.act = s->act[0] ? s->act : NULL;
    ev.source = s->source[0] || alt ? s->source : NULL;
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
    FZ_CHECK(rc == want, "add %s (%s %s %s qty=%s ref=%s act=%s source=%s) gave %d (%s), "
             "expected %d", ev->id, ev->subject, ev->type, ev->ts, ev->qty ? ev->qty : "",
             ev->ref ? ev->ref : "", ev->act ? ev->act : "", ev->source ? ev->source : "(null)",
             rc, err.message, want);
    uint64_t after = civic_engine_event_count(e);
    FZ_CHECK(after == before + (rc == CIVIC_OK), "event count %llu -> %llu after rc %d",
             (unsigned long long)before, (unsigned long long)after, rc);
}

/* ------------------------------------------------------------ checks */

/* The version of a rule entry (SPEC 9.1): the last change in force at its
 * ts, or the recount change of fine once T reaches it; its points, and its
 * publicity (10.1, always from the version in force at ts). */
static void check_version(const civic_engine *e, const program *g, const char *subject,
                          int64_t as_of, const civic_entry *x)
{
    const int64_t *c = g->changes;
    int64_t from = CIVIC_NO_TIME, points = 0, publicity = 0;
    if (strcmp(x->type, "fine") == 0) {
        from = x->ts >= c[3] ? c[3] : as_of >= c[2] ? c[2] : CIVIC_NO_TIME;
        points = from == CIVIC_NO_TIME ? -1000 : -500;
    } else if (strcmp(x->type, "plus") == 0) {
        from = x->ts >= c[1] ? c[1] : x->ts >= c[0] ? c[0] : CIVIC_NO_TIME;
        points = from == CIVIC_NO_TIME ? 300 : 400;
    } else if (strcmp(x->type, "honour") == 0) {
        from = x->ts >= c[4] ? c[4] : CIVIC_NO_TIME;
        points = from == CIVIC_NO_TIME ? 2000 : 3000;
        publicity = from == CIVIC_NO_TIME ? 7 * DAY : DAY;
    } else if (strcmp(x->type, "unit") == 0) {
        publicity = 3 * DAY;
    } else if (strcmp(x->type, "listed") == 0) {
        publicity = 2 * DAY;
    }
    FZ_CHECK_REC(e, subject, as_of, x->from == from && x->eff == x->ts + publicity,
                 "%s (%s, ts %lld) at %lld: version from %lld eff %lld, expected from %lld "
                 "eff %lld", x->id, x->type, (long long)x->ts, (long long)as_of,
                 (long long)x->from, (long long)x->eff, (long long)from,
                 (long long)(x->ts + publicity));
    /* only fine's last change escalates among the versioned rules */
    int64_t factor = (x->marks & CIVIC_MARK_ESCALATED) ? 2 : 1;
    FZ_CHECK_REC(e, subject, as_of, !points || x->raw == points * factor,
                 "%s (%s from %lld) raw %lld, expected %lld", x->id, x->type,
                 (long long)x->from, (long long)x->raw, (long long)(points * factor));
    FZ_CHECK_REC(e, subject, as_of,
                 !(x->marks & CIVIC_MARK_ESCALATED) || strcmp(x->type, "fine") != 0 ||
                     from == c[3],
                 "%s escalated under a version without repeat_factor", x->id);
}

/* The scheme's tiers and measures (SPEC 11.1, 11.2), recomputed from the
 * record of each subject: star = qty of hour and unit entries that count
 * (not revoked, contested, merged, pending or frozen; expired and repaired
 * ones do); good = counted of plus, up, down, honour and hour entries with
 * eff + 90d > T; measures from grade, flags, levels and score; the
 * balance never below balance_min (9.7). */
static void check_scheme(const civic_engine *e, const program *g, int64_t as_of)
{
    civic_result *res = NULL;
    if (civic_engine_subjects(e, as_of, &res) != CIVIC_OK) return;
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        civic_record *rec = NULL;
        FZ_CHECK(civic_engine_record(e, s.subject, as_of, &rec) == CIVIC_OK, "record");
        int64_t star = 0, good = 0;
        for (size_t k = 0; k < civic_record_count(rec); k++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, k, &x);
            if (x.kind == CIVIC_KIND_RULE) check_version(e, g, s.subject, as_of, &x);
            if (x.kind != CIVIC_KIND_RULE || x.state == CIVIC_STATE_REVOKED ||
                x.state == CIVIC_STATE_CONTESTED || x.state == CIVIC_STATE_MERGED ||
                x.state == CIVIC_STATE_PENDING)
                continue;
            /* a frozen addition adds nothing to tiers (9.5), its qty included */
            if ((strcmp(x.type, "hour") == 0 || strcmp(x.type, "unit") == 0) &&
                !(x.marks & CIVIC_MARK_FROZEN))
                star += x.qty;
            if (fz_has_item("plus;up;down;honour;hour", x.type) && x.eff + 90 * DAY > as_of)
                good += x.counted;
        }
        civic_record_free(rec);
        FZ_CHECK_REC(e, s.subject, as_of, s.balance >= g->balance_min,
                     "%s at %lld: balance %lld below the floor %lld", s.subject,
                     (long long)as_of, (long long)s.balance, (long long)g->balance_min);
        FZ_CHECK(s.tier_count == 2, "tier count %u", s.tier_count);
        civic_tier_value v[2] = { CIVIC_TIER_VALUE_INIT, CIVIC_TIER_VALUE_INIT };
        FZ_CHECK(civic_result_tier(res, i, 0, &v[0]) == CIVIC_OK &&
                     civic_result_tier(res, i, 1, &v[1]) == CIVIC_OK,
                 "tiers");
        uint32_t star_level = star >= 20000 ? 1 : star >= 5000 ? 0 : CIVIC_LEVEL_NONE;
        uint32_t good_level = good >= 5000 ? 1 : good >= 1000 ? 0 : CIVIC_LEVEL_NONE;
        FZ_CHECK_REC(e, s.subject, as_of,
                     strcmp(v[0].tier, "star") == 0 && v[0].places == 3 && v[0].value == star &&
                     v[0].level == star_level,
                 "%s at %lld: star %lld level %u, record gives %lld level %u", s.subject,
                 (long long)as_of, (long long)v[0].value, v[0].level, (long long)star,
                 star_level);
        FZ_CHECK_REC(e, s.subject, as_of,
                     strcmp(v[1].tier, "good") == 0 && v[1].places == 2 && v[1].value == good &&
                     v[1].level == good_level,
                 "%s at %lld: good %lld level %u, record gives %lld level %u", s.subject,
                 (long long)as_of, (long long)v[1].value, v[1].level, (long long)good,
                 good_level);
        char want[80] = "";
        size_t n = 0;
        /* sorted codes: low, mixed, no_subsidy, priority, rebate */
        if (s.score <= 6000) n += (size_t)snprintf(want + n, sizeof(want) - n, ";low");
        if (s.score >= 10000 && good_level != CIVIC_LEVEL_NONE)
            n += (size_t)snprintf(want + n, sizeof(want) - n, ";mixed");
        if (fz_has_item(s.flags, "dishonest"))
            n += (size_t)snprintf(want + n, sizeof(want) - n, ";no_subsidy");
        if (strcmp(s.grade, "A") == 0)
            n += (size_t)snprintf(want + n, sizeof(want) - n, ";priority");
        if (star_level == 1) n += (size_t)snprintf(want + n, sizeof(want) - n, ";rebate");
        FZ_CHECK_REC(e, s.subject, as_of,
                     strcmp(s.measures, n ? want + 1 : "") == 0,
                 "%s at %lld: measures \"%s\", expected \"%s\"", s.subject, (long long)as_of,
                 s.measures, n ? want + 1 : "");
    }
    civic_result_free(res);
}

/* Every check at one time: PURGED before the horizon, else the invariants. */
static void check_at(const civic_engine *e, const program *g, int64_t t)
{
    if (g->horizon != CIVIC_NO_TIME && t < g->horizon) {
        fz_expect_purged(e, "s0", t);
        return;
    }
    fz_check_all(e, g->bounds, t);
    check_scheme(e, g, t);
}

static void compare(const fz_buf *a, const fz_buf *b, const char *what)
{
    if (a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0)) return;
    size_t i = 0;
    while (i < a->n && i < b->n && a->p[i] == b->p[i]) i++;
    size_t from = i > 300 ? i - 300 : 0;
    fprintf(stderr, "--- expected\n%.*s\n--- %s\n%.*s\n",
            (int)(a->n - from < 600 ? a->n - from : 600), a->p + from, what,
            (int)(b->n - from < 600 ? b->n - from : 600), b->p + from);
    fz_fail("answers differ %s (byte %zu)", what, i);
}

/* ------------------------------------------------------------ purge */

/* Is id listed in some subject's record at t? */
static void listed_at(const civic_engine *e, const program *g, int64_t t, bool *listed)
{
    memset(listed, 0, g->count * sizeof(bool));
    for (unsigned s = 0; s < 4; s++) {
        char subject[8];
        snprintf(subject, sizeof(subject), "s%u", s);
        civic_record *rec = NULL;
        FZ_CHECK(civic_engine_record(e, subject, t, &rec) == CIVIC_OK, "record at H");
        for (size_t k = 0; k < civic_record_count(rec); k++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, k, &x);
            for (size_t j = 0; j < g->count; j++)
                if (strcmp(g->ev[j].id, x.id) == 0) listed[j] = true;
        }
        civic_record_free(rec);
    }
}

static void purge(program *g, civic_engine *e, int64_t h)
{
    /* a purge never lowers the horizon (an earlier one is a no-op for T >= it) */
    bool fresh_h = g->horizon == CIVIC_NO_TIME || h >= g->horizon;
    int64_t horizon = fresh_h ? h : g->horizon, times[QUERIES_MAX + 3];
    size_t nt = 0;
    for (size_t q = 0; q < g->query_count; q++)
        if (g->queries[q] >= horizon) times[nt++] = g->queries[q];
    times[nt++] = horizon;
    times[nt++] = horizon + 37 * STEP;
    times[nt++] = T0 + 2400 * STEP + 400 * DAY;
    fz_buf want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
    for (size_t k = 0; k < nt; k++) fz_snapshot_v2(e, times[k], 1, FZ_SNAP_NO_ARCHIVED, &want);
    bool listed[EVENTS_MAX];
    if (fresh_h) listed_at(e, g, h, listed);

    civic_purge_report rep = CIVIC_PURGE_REPORT_INIT;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_purge(e, h, &rep, &err);
    FZ_CHECK(rc == CIVIC_OK, "purge at %lld: %d %s", (long long)h, rc, err.message);
    FZ_CHECK(rep.horizon == horizon && civic_engine_purge_horizon(e) == horizon,
             "purge at %lld: horizon %lld, engine says %lld, expected %lld", (long long)h,
             (long long)rep.horizon, (long long)civic_engine_purge_horizon(e),
             (long long)horizon);
    g->horizon = horizon;
    g->purges++;

    for (size_t k = 0; k < nt; k++) fz_snapshot_v2(e, times[k], 1, FZ_SNAP_NO_ARCHIVED, &got);
    compare(&want, &got, "after a purge");
    fz_buf_free(&want);
    fz_buf_free(&got);
    for (size_t q = 0; q < g->query_count; q++)
        if (g->queries[q] < horizon) fz_expect_purged(e, "s1", g->queries[q]);
    fz_expect_purged(e, "s2", horizon - 1);

    /* Which ids are tombstones now: a conflicting copy is a duplicate. */
    uint64_t removed = 0, tombs = 0;
    for (size_t k = 0; k < g->count; k++) {
        stored *s = &g->ev[k];
        if (s->tomb) {
            tombs++;
            continue;
        }
        civic_event ev = to_event(s, false);
        char ts[32];
        snprintf(ts, sizeof(ts), "%lld", (long long)s->t + 1);
        ev.ts = ts;
        civic_error e2 = CIVIC_ERROR_INIT;
        rc = civic_engine_add(e, &ev, &e2);
        FZ_CHECK(rc == CIVIC_DUPLICATE || rc == CIVIC_E_CONFLICT,
                 "conflicting copy of %s after a purge: %d %s", s->id, rc, e2.message);
        if (rc == CIVIC_DUPLICATE) {
            s->tomb = true;
            removed++;
            tombs++;
        }
    }
    FZ_CHECK(removed == rep.events, "purge reports %llu events removed, %llu ids are new "
             "tombstones", (unsigned long long)rep.events, (unsigned long long)removed);
    FZ_CHECK(civic_engine_event_count(e) + tombs == g->count, "engine holds %llu events, "
             "%zu added, %llu removed", (unsigned long long)civic_engine_event_count(e),
             g->count, (unsigned long long)tombs);
    if (!fresh_h) return;
    /* What goes (SPEC 10.4): archived at H, and pointers at what goes. */
    for (size_t k = 0; k < g->count; k++) {
        stored *s = &g->ev[k];
        if (s->t <= h) {
            FZ_CHECK(!s->tomb || !listed[k], "purge at %lld removed %s, listed at H",
                     (long long)h, s->id);
            FZ_CHECK(s->tomb || listed[k], "purge at %lld kept %s, archived at H",
                     (long long)h, s->id);
            continue;
        }
        if (!s->tomb) continue;
        const stored *target = has_ref(s->type) ? find(g, s->ref) : NULL;
        FZ_CHECK(target && target->tomb && strcmp(target->subject, s->subject) == 0 &&
                     s->t >= target->t,
                 "purge at %lld removed %s (ts %lld), not a pointer at a removed event",
                 (long long)h, s->id, (long long)s->t);
    }
}

/* After a purge: drop what would make the purged engine differ from one
 * that never purged (see the header). */
static void after_purge(const program *g, stored *s)
{
    if (g->horizon == CIVIC_NO_TIME) return;
    if (s->act[0] && !is_builtin(s->type)) {
        for (size_t k = 0; k < g->count; k++) {
            const stored *x = &g->ev[k];
            if (x->tomb && strcmp(x->act, s->act) == 0 && strcmp(x->subject, s->subject) == 0 &&
                !is_builtin(x->type)) {
                s->act[0] = '\0';
                break;
            }
        }
    }
    if (has_ref(s->type) && s->t > g->horizon) {
        const stored *target = NULL;
        for (size_t k = 0; k < g->count; k++)
            if (strcmp(g->ev[k].id, s->ref) == 0) target = &g->ev[k];
        if (target && target->tomb && strcmp(target->subject, s->subject) == 0) s->t = g->horizon;
    }
}

/* ------------------------------------------------------------ operations */

static void rule_event(program *g, stored *s, unsigned subject, unsigned what, int64_t t)
{
    snprintf(s->subject, sizeof(s->subject), "s%u", subject % 4);
    set_time(g, s, t);
    snprintf(s->type, sizeof(s->type), "%s", rule_codes[what % RULE_COUNT]);
    if (what & 0x80) snprintf(s->qty, sizeof(s->qty), "%s", qtys[(what >> 4) % 8]);
}

static void decorate(program *g, stored *s)
{
    unsigned how = next8(g);
    snprintf(s->group, sizeof(s->group), "%s", groups[how % 5]);
    if ((how >> 3) % 3 == 0) snprintf(s->act, sizeof(s->act), "a%u", (how >> 5) % 3);
    snprintf(s->source, sizeof(s->source), "%s", sources[(how >> 6) % 4]);
}

/* A revoke, repair, objection, dismissal or correction. */
static bool pointer(program *g, stored *s, const char *type)
{
    unsigned k = next16(g), how = next8(g);
    const stored *target = g->count ? &g->ev[k % g->count] : NULL;
    if (target && strcmp(type, "dismiss") == 0) { /* the latest objection up to k */
        for (size_t j = k % g->count + 1; j-- > 0;)
            if (strcmp(g->ev[j].type, "object") == 0) {
                target = &g->ev[j];
                break;
            }
    }
    snprintf(s->type, sizeof(s->type), "%s", type);
    snprintf(s->ref, sizeof(s->ref), "%s", target && how % 8 ? target->id : "missing");
    if (target && how % 4) snprintf(s->subject, sizeof(s->subject), "%s", target->subject);
    else snprintf(s->subject, sizeof(s->subject), "s%u", how % 4);
    int64_t base = target ? target->t : T0;
    set_time(g, s, base + ((int64_t)(int8_t)next8(g)) * (how & 0x40 ? STEP : STEP / 4));
    if (s->t < T0 - 256 * STEP) set_time(g, s, T0);
    if (how & 0x80) snprintf(s->act, sizeof(s->act), "p%u", how % 3); /* ignored */
    if (how & 0x20) snprintf(s->source, sizeof(s->source), "%s", "appeals");
    return true;
}

static void reuse(program *g, civic_engine *e)
{
    unsigned k = next16(g), how = next8(g);
    stored copy = g->ev[k % g->count];
    civic_event ev = to_event(&copy, how & 1);
    int want = CIVIC_DUPLICATE;
    char ts[32];
    switch ((how >> 1) % 6) {
    case 0: case 1: break; /* identical */
    case 2:
        snprintf(ts, sizeof(ts), "%lld", (long long)copy.t + 1);
        ev.ts = ts;
        want = CIVIC_E_CONFLICT;
        break;
    case 3:
        ev.subject = strcmp(copy.subject, "s0") ? "s0" : "s1";
        want = CIVIC_E_CONFLICT;
        break;
    case 4:
        ev.source = copy.source[0] ? NULL : "other";
        want = CIVIC_E_CONFLICT;
        break;
    default: /* act takes part in identity of rule events only */
        ev.act = copy.act[0] && (how & 0x40) ? NULL : "other";
        want = is_builtin(copy.type) ? CIVIC_DUPLICATE : CIVIC_E_CONFLICT;
        break;
    }
    if (copy.tomb) want = CIVIC_DUPLICATE;
    add_expect(e, &ev, want);
}

static void bad_event(program *g, civic_engine *e)
{
    static const char long_text[] =
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; /* 129 bytes */
    unsigned how = next8(g);
    civic_event ev = CIVIC_EVENT_INIT;
    ev.id = "bad";
    ev.subject = "s0";
    ev.type = "plus";
    ev.ts = "2023-06-01";
    switch (how % 12) {
    case 0: ev.type = "nope"; break;
    case 1: ev.type = "object"; break; /* no ref */
    case 2: ev.type = "dismiss"; break;
    case 3: ev.type = "correct"; break;
    case 4: ev.act = "a\x01"; break;
    case 5: ev.source = "dept\x7f"; break;
    case 6: ev.act = long_text; break;
    case 7: ev.source = long_text; break;
    case 8: ev.act = "\xff"; break;
    case 9: ev.ts = "2023-02-30"; break;
    case 10: ev.type = "redeem"; ev.qty = "0"; break;
    default: ev.type = "correct"; ev.ref = "e0"; ev.qty = "x"; ev.act = "a\n"; break;
    }
    uint64_t before = civic_engine_event_count(e);
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_add(e, &ev, &err);
    FZ_CHECK((rc == CIVIC_E_EVENT || rc == CIVIC_E_LIMIT) && err.code == rc && err.message[0],
             "bad event %u gave %d (%s)", how % 12, rc, err.message);
    FZ_CHECK(civic_engine_event_count(e) == before, "a bad event changed the engine");
}

/* Decode one operation; false when the input is used up. */
static bool step(program *g, civic_engine *e)
{
    if (g->i >= g->n) return false;
    unsigned op = next8(g) % 16;
    bool adds = op <= 10 || op == 15;
    if (adds && g->count >= EVENTS_MAX) return true;
    stored *s = &g->ev[adds ? g->count : 0];
    if (adds) {
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "e%zu", g->count);
    }
    switch (op) {
    case 0: case 1: case 2: case 3: {
        unsigned subject = next8(g), what = next8(g);
        rule_event(g, s, subject, what,
                   T0 + (int64_t)(next16(g) % 2048) * STEP + (int64_t)(what % 3) * 3599);
        decorate(g, s);
        break;
    }
    case 4: { /* another member of an earlier event's act */
        if (!g->count) return true;
        const stored *x = &g->ev[next16(g) % g->count];
        unsigned what = next8(g), dt = next8(g);
        rule_event(g, s, 0, what, x->t + (dt & 0x80 ? 0 : (int64_t)(dt % 16) * 3600));
        memcpy(s->subject, x->subject, sizeof(s->subject)); /* x != s: x is held */
        memcpy(s->act, x->act[0] ? x->act : "a0", x->act[0] ? sizeof(s->act) : 3);
        break;
    }
    case 5: pointer(g, s, "revoke"); break;
    case 6: pointer(g, s, "repair"); break;
    case 7: pointer(g, s, "object"); break;
    case 8: pointer(g, s, "dismiss"); break;
    case 9: pointer(g, s, "correct"); break;
    case 10: {
        snprintf(s->subject, sizeof(s->subject), "s%u", next8(g) % 4);
        unsigned what = next8(g);
        set_time(g, s, T0 + (int64_t)(next16(g) % 2048) * STEP);
        snprintf(s->type, sizeof(s->type), "redeem");
        snprintf(s->qty, sizeof(s->qty), "%s", amounts[what % 6]);
        snprintf(s->group, sizeof(s->group), "%s", groups[(what >> 3) % 5]);
        break;
    }
    case 11:
        if (g->count) reuse(g, e);
        return true;
    case 12: {
        int64_t t = T0 + (int64_t)(next16(g) % 2200) * STEP - 64 * STEP;
        if (g->query_count >= QUERIES_MAX) return true; /* bounded work per input */
        check_at(e, g, t);
        g->queries[g->query_count++] = t;
        return true;
    }
    case 13: bad_event(g, e); return true;
    case 14: {
        int64_t h = T0 + (int64_t)(next16(g) % 2400) * STEP;
        if (g->purges < PURGES_MAX) purge(g, e, h);
        return true;
    }
    default: { /* a rule event at the time of an earlier one: ties, acts, caps */
        if (!g->count) return true;
        const stored *x = &g->ev[next16(g) % g->count];
        unsigned what = next8(g);
        rule_event(g, s, (unsigned)(x->subject[1] - '0'), what, x->t);
        decorate(g, s);
        break;
    }
    }
    after_purge(g, s);
    set_time(g, s, s->t); /* after_purge may have moved it */
    civic_event ev = to_event(s, false);
    add_expect(e, &ev, CIVIC_OK);
    g->count++;
    return true;
}

/* ------------------------------------------------------------ replays */

static civic_engine *fresh(program *g)
{
    civic_engine *e = NULL;
    FZ_CHECK(civic_engine_new(&e, g->rules, NULL) == CIVIC_OK, "engine_new");
    return e;
}

static void snapshot(const civic_engine *e, const program *g, int64_t from, uint32_t leave_out,
                     fz_buf *b)
{
    for (size_t q = 0; q < g->query_count; q++)
        if (g->queries[q] >= from) fz_snapshot_v2(e, g->queries[q], 1, leave_out, b);
}

static void csv_field(fz_buf *b, const char *s, const char *sep)
{
    fz_printf(b, "\"%s\"%s", s, sep); /* no field holds a quote */
}

static civic_engine *csv_batch(program *g, const size_t *order)
{
    fz_buf csv = { NULL, 0, 0 };
    fz_printf(&csv, "source,ref,ts,qty,type,act,group,subject,extra,id\r\n");
    for (size_t k = 0; k < g->count; k++) {
        const stored *s = &g->ev[order[g->count - 1 - k]];
        csv_field(&csv, s->source, ",");
        csv_field(&csv, s->ref, ",");
        csv_field(&csv, k % 2 ? s->ts : s->ts_alt, ",");
        csv_field(&csv, s->qty, ",");
        csv_field(&csv, s->type, ",");
        csv_field(&csv, s->act, ",");
        csv_field(&csv, s->group, ",");
        csv_field(&csv, s->subject, ",");
        csv_field(&csv, "x,y", ",");
        csv_field(&csv, s->id, "\r\n");
    }
    civic_engine *d = fresh(g);
    civic_load_options opts = CIVIC_LOAD_OPTIONS_INIT;
    opts.format = CIVIC_FORMAT_CSV;
    civic_error err = CIVIC_ERROR_INIT;
    int rc = civic_engine_load(d, csv.p, csv.n, &opts, NULL, &err);
    FZ_CHECK(rc == CIVIC_OK, "CSV batch of the same events failed: %d %s (line %llu)", rc,
             err.message, (unsigned long long)err.line);
    fz_buf_free(&csv);
    return d;
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
        FZ_CHECK(rc == CIVIC_OK, "scheme %u: %s (line %llu)", which, err.message,
                 (unsigned long long)err.line);
        FZ_CHECK(civic_rules_spec_version(rules[which]) == 2, "scheme %u is not version 2",
                 which);
    }
    memset(&g, 0, sizeof(g));
    g.p = data;
    g.n = size;
    g.i = 1;
    g.rules = rules[which];
    g.bounds = &scheme_bounds[which];
    g.balance_min = balance_floors[which];
    static const char *const froms[5] = { "2023-06-01", "2023-10-01", "2023-04-01",
                                          "2023-09-01", "2023-03-01" };
    for (int k = 0; k < 5; k++)
        FZ_CHECK(civic_rules_parse_time(g.rules, froms[k], 10, &g.changes[k]) == CIVIC_OK, "from");
    g.horizon = CIVIC_NO_TIME;
    civic_engine *a = fresh(&g);
    while (step(&g, a)) {
    }

    /* Times to compare at: the queries asked (checked when they were
     * asked), the first and last ts, and long after everything. */
    if (g.count) {
        int64_t first = g.ev[0].t, last = g.ev[0].t;
        for (size_t k = 1; k < g.count; k++) {
            if (g.ev[k].t < first) first = g.ev[k].t;
            if (g.ev[k].t > last) last = g.ev[k].t;
        }
        g.queries[g.query_count++] = first;
        g.queries[g.query_count++] = last;
        g.queries[g.query_count++] = last + 400 * DAY;
        for (size_t q = g.query_count - 3; q < g.query_count; q++) check_at(a, &g, g.queries[q]);
    }

    /* Engines that never purged: every event added, in reverse order. */
    civic_engine *b = fresh(&g);
    for (size_t k = g.count; k > 0; k--) {
        civic_event ev = to_event(&g.ev[k - 1], k % 3 == 0);
        add_expect(b, &ev, CIVIC_OK);
    }
    if (g.horizon != CIVIC_NO_TIME) { /* what the purged engine can no longer tell */
        program unpurged = g;
        unpurged.horizon = CIVIC_NO_TIME;
        for (size_t q = 0; q < g.query_count; q++)
            if (g.queries[q] < g.horizon) check_at(b, &unpurged, g.queries[q]);
    }
    fz_buf want = { NULL, 0, 0 }, got = { NULL, 0, 0 };
    snapshot(b, &g, INT64_MIN, 0, &want);

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
    snapshot(c, &g, INT64_MIN, 0, &got);
    compare(&want, &got, "when the events are added in a shuffled order");
    fz_buf_free(&got);
    civic_engine_free(c);

    civic_engine *d = csv_batch(&g, order);
    snapshot(d, &g, INT64_MIN, 0, &got);
    compare(&want, &got, "when the events are loaded as one CSV batch");
    fz_buf_free(&got);
    civic_engine_free(d);

    /* The engine that purged, against one that never did, from H on. */
    if (g.horizon != CIVIC_NO_TIME) {
        fz_buf_free(&want);
        snapshot(b, &g, g.horizon, FZ_SNAP_NO_ARCHIVED, &want);
        snapshot(a, &g, g.horizon, FZ_SNAP_NO_ARCHIVED, &got);
        compare(&want, &got, "between the engine that purged and one that never did");
    } else {
        snapshot(a, &g, INT64_MIN, 0, &got);
        compare(&got, &want, "when the events are added in reverse order");
    }
    fz_buf_free(&want);
    fz_buf_free(&got);
    civic_engine_free(b);
    civic_engine_free(a);
    return 0;
}
