/*
** test_time.c -- the calendar of time.c against a plain reference: period
** buckets and validity ends, in the form evaluation uses (one civic_day
** reused for several questions about one event) and the plain form.
**
** Evaluation asks time.c once per event for its caps, its balance period
** and its validity, and the as-of balance check asks the plain form at T;
** if the two ever disagreed the balance would silently read 0.  The
** reference here shares no code with time.c: civil dates come from the C
** library's gmtime_r and days are counted year by year.
*/
#include "support.h"
#include "internal.h"

#include <time.h>

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Days from 1970-01-01 to y-m-d, for y >= 1, counted the long way. */
static int64_t ref_days(int64_t y, int m, int d)
{
    static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    int64_t yy = y - 1;
    int64_t days = yy * 365 + yy / 4 - yy / 100 + yy / 400; /* days before 1 Jan of y */
    days += before[m - 1] + (m > 2 && leap(y)) + d - 1;
    return days - 719162; /* 0001-01-01 .. 1970-01-01 */
}

static int ref_month_days(int64_t y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : dim[m - 1];
}

typedef struct ref_civil {
    int64_t y;
    int m, d;
    int64_t secs; /* seconds into the local day */
} ref_civil;

static ref_civil ref_local(int64_t t, int32_t offset)
{
    time_t local = (time_t)(t + offset);
    struct tm tm;
    assert_non_null(gmtime_r(&local, &tm));
    ref_civil c = { (int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec };
    return c;
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int64_t ref_end(const civic_duration *dur, int64_t t, int32_t offset)
{
    ref_civil c = ref_local(t, offset);
    int64_t months = 0, per = 0;
    switch (dur->kind) {
    case CIVIC_DUR_DAYS: return t + dur->n * 86400;
    case CIVIC_DUR_MONTHS: months = dur->n; break;
    case CIVIC_DUR_YEARS: months = dur->n * 12; break;
    case CIVIC_DUR_END_MONTH: per = 1; break;
    case CIVIC_DUR_END_QUARTER: per = 3; break;
    case CIVIC_DUR_END_YEAR: per = 12; break;
    default: return CIVIC_FOREVER;
    }
    int64_t total = c.y * 12 + (c.m - 1);
    if (per) { /* local midnight at the start of the next period */
        total = floor_div(total, per) * per + per;
        return ref_days(floor_div(total, 12), (int)(total - floor_div(total, 12) * 12) + 1, 1) *
                   86400 - offset;
    }
    total += months;
    int64_t y = floor_div(total, 12);
    int m = (int)(total - y * 12) + 1;
    int d = c.d > ref_month_days(y, m) ? ref_month_days(y, m) : c.d;
    return ref_days(y, m, d) * 86400 + c.secs - offset;
}

static int64_t ref_bucket(uint8_t period, int64_t t, int32_t offset)
{
    ref_civil c = ref_local(t, offset);
    int64_t days = ref_days(c.y, c.m, c.d);
    switch (period) {
    case CIVIC_PERIOD_DAY: return days;
    case CIVIC_PERIOD_WEEK: return floor_div(days + 3, 7); /* 1970-01-01 was a Thursday */
    case CIVIC_PERIOD_MONTH: return c.y * 12 + (c.m - 1);
    case CIVIC_PERIOD_QUARTER: return c.y * 4 + (c.m - 1) / 3;
    case CIVIC_PERIOD_YEAR: return c.y;
    default: return 0;
    }
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }

/* A time near the interesting places: month ends, leap days, year ends,
 * local midnight, or anywhere in years 0001..9998. */
static int64_t random_time(int32_t offset)
{
    int64_t y = rnd_in(1, 9998);
    if (rnd() % 4 == 0) {
        int m = (int)rnd_in(1, 12);
        int d = rnd() % 2 ? ref_month_days(y, m) : (int)rnd_in(1, 2);
        int64_t secs = rnd() % 2 ? rnd_in(0, 86399) : (rnd() % 2 ? 0 : 86399);
        return ref_days(y, m, d) * 86400 + secs - offset;
    }
    return rnd_in(ref_days(y, 1, 2) * 86400, ref_days(y, 12, 30) * 86400);
}

static civic_duration random_duration(void)
{
    static const uint8_t kinds[] = { CIVIC_DUR_FOREVER, CIVIC_DUR_DAYS, CIVIC_DUR_MONTHS,
                                     CIVIC_DUR_YEARS, CIVIC_DUR_END_MONTH, CIVIC_DUR_END_QUARTER,
                                     CIVIC_DUR_END_YEAR };
    civic_duration d = { kinds[rnd() % 7], 0 };
    if (d.kind == CIVIC_DUR_DAYS) d.n = rnd_in(1, 3660);
    if (d.kind == CIVIC_DUR_MONTHS) d.n = rnd_in(1, 120);
    if (d.kind == CIVIC_DUR_YEARS) d.n = rnd_in(1, 5);
    return d;
}

/* What evaluation does: one civic_day per event, asked about several
 * periods and durations in any order; each answer is the reference's, and
 * the plain forms agree. */
static void periods_and_validity_match_the_reference_on_a_reused_day(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        int32_t offset = (int32_t)(rnd_in(-(23 * 60 + 59), 23 * 60 + 59) * 60);
        int64_t t = random_time(offset);
        civic_day day = civic__day_of(t, offset);
        for (int k = 0; k < 4; k++) {
            if (rnd() % 2) {
                uint8_t period = (uint8_t)rnd_in(CIVIC_PERIOD_NONE, CIVIC_PERIOD_LIFETIME);
                int64_t want = ref_bucket(period, t, offset);
                assert_int_equal(civic__period_bucket_on(period, &day), want);
                assert_int_equal(civic__period_bucket(period, t, offset), want);
            } else {
                civic_duration d = random_duration();
                int64_t want = ref_end(&d, t, offset);
                if (civic__duration_end_on(&d, t, offset, &day) != want)
                    fprintf(stderr, "t=%lld offset=%d kind=%u n=%lld\n", (long long)t, offset,
                            d.kind, (long long)d.n);
                assert_int_equal(civic__duration_end_on(&d, t, offset, &day), want);
                assert_int_equal(civic__duration_end(&d, t, offset), want);
            }
        }
    }
}

/* The as-of balance check buckets T with the plain form, evaluation buckets
 * each event through its day: an event at T and T itself share a bucket,
 * and so do the first and last second of every period. */
static void an_event_at_t_is_in_the_balance_period_of_t(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        int32_t offset = (int32_t)(rnd_in(-12, 14) * 3600);
        int64_t t = random_time(offset);
        for (uint8_t period = CIVIC_PERIOD_NONE; period <= CIVIC_PERIOD_LIFETIME; period++) {
            civic_day day = civic__day_of(t, offset);
            int64_t b = civic__period_bucket(period, t, offset);
            assert_int_equal(civic__period_bucket_on(period, &day), b);
            int64_t local_midnight = t - ((t + offset) % 86400 + 86400) % 86400;
            assert_int_equal(civic__period_bucket(period, local_midnight, offset), b);
            assert_int_equal(civic__period_bucket(period, local_midnight + 86399, offset), b);
        }
    }
}

/* The cached parser's answer for the n bytes at s (its code, and its time
 * or its reason) is the plain parser's; returns that code. */
static int parses_alike(const char *s, size_t n, int32_t offset, civic_ts_cache *cache)
{
    int64_t want = 0, got = 0;
    const char *want_why = NULL, *got_why = NULL;
    int want_rc = civic__time_parse(s, n, offset, &want, &want_why);
    int got_rc = civic__time_parse_cached(s, n, offset, cache, &got, &got_why);
    assert_int_equal(got_rc, want_rc);
    if (want_rc == CIVIC_OK) assert_int_equal(got, want);
    else assert_string_equal(got_why, want_why);
    return want_rc;
}

/* The date cache of the parsers changes no answer and no error: every
 * string below, parsed twice in a row with one cache (a miss, then a hit)
 * and interleaved with others, gives what the plain parser gives. */
static void a_cached_timestamp_parses_like_the_plain_parser(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "2024-05-01", "2024-05-01T10:00:00", "2024-05-01T10:00:00Z", "2024-05-01T23:59:59+08:00",
        "2024-05-01T00:00:00-05:30", "2024-05-01t10:00:00Z", "2024-05-01 10:00:00Z",
        "2024-05-01T10:00:00z", "2024-05-01T10:00:00.5Z", "2024-05-01T24:00:00Z",
        "2024-05-01T10:60:00Z", "2024-05-01T10:00:60Z", "2024-05-01T1a:00:00Z",
        "2024-05-01T10:00:00+24:00", "2024-05-01T10:00:00+08:60", "2024-05-01T10:00:00*08:00",
        "2024-05-01T10:00:00+08-00", "2024-05-01T10:00:00+0800", "2024-05-01X10:00:00Z",
        "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "0000-01-01",
        "0001-01-01", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00", "2024-5-01", "2024-05-1x", "2024/05/01", "1714557600",
        "-5", "", "20240501", "2024-05-01T10:00", "2024-05-01T10:00:00Zjunk",
        "2024-05-01T10:00:00+08:00x", "2024-05-01T10:00:00.Z",
    };
    const size_t n = sizeof(forms) / sizeof(forms[0]);
    civic_ts_cache cache;
    memset(&cache, 0, sizeof(cache));
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < n; k++) {
            size_t i = round == 1 ? n - 1 - k : k;
            const char *s = forms[i];
            for (int twice = 0; twice < 2; twice++) parses_alike(s, strlen(s), 3600, &cache);
        }
    }
}

/* Every time of day (hour 24, minute and second 60 included), and every
 * byte value in every position of the clock, parses through the cache as
 * the plain parser parses it. */
static void every_clock_parses_like_the_plain_parser(void **state)
{
    (void)state;
    civic_ts_cache cache;
    memset(&cache, 0, sizeof(cache));
    char s[32];
    for (int h = 0; h < 25; h++)
        for (int m = 0; m < 61; m++)
            for (int sec = 0; sec < 61; sec++) {
                snprintf(s, sizeof(s), "2024-05-01T%02d:%02d:%02dZ", h, m, sec);
                int rc = parses_alike(s, 20, 0, &cache);
                assert_int_equal(rc == CIVIC_OK, h < 24 && m < 60 && sec < 60);
            }
    for (size_t at = 11; at < 19; at++)
        for (int b = 0; b < 256; b++) {
            memcpy(s, "2024-05-01T12:34:56Z", 21);
            s[at] = (char)b;
            parses_alike(s, 20, 0, &cache);
        }
    /* without Z: the local offset applies (a hit after the first) */
    for (int h = 0; h < 25; h++)
        for (int m = 0; m < 61; m += 3)
            for (int sec = 0; sec < 61; sec += 7) {
                snprintf(s, sizeof(s), "2024-05-01T%02d:%02d:%02d", h, m, sec);
                int rc = parses_alike(s, 19, -19800, &cache);
                assert_int_equal(rc == CIVIC_OK, h < 24 && m < 60 && sec < 60);
            }
    /* two bytes at once: a bad one beside a good one, in every pair */
    for (size_t at = 11; at < 18; at++)
        for (int b = 0; b < 256; b += 3)
            for (int b2 = 0; b2 < 256; b2 += 5) {
                memcpy(s, "2024-05-01T12:34:56Z", 21);
                s[at] = (char)b;
                s[at + 1] = (char)b2;
                parses_alike(s, 20, 0, &cache);
                parses_alike(s, 19, 3600, &cache);
            }
    /* the first and last days: the offset takes the time out of range */
    static const char *const edges[] = {
        "0001-01-01T00:00:00", "0001-01-01T00:59:59", "0001-01-01T01:00:00",
        "9999-12-31T23:59:59", "9999-12-31T22:59:59", "9999-12-31T23:00:00",
    };
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        for (int32_t offset = -3600; offset <= 3600; offset += 3600)
            for (int twice = 0; twice < 2; twice++) {
                parses_alike(edges[i], 19, offset, &cache);
                memcpy(s, edges[i], 19);
                memcpy(s + 19, "Z", 2);
                parses_alike(s, 20, offset, &cache);
            }
}

/* A time refused says why in words that fit the case: an offset of the
 * right shape past 23:59 is out of range (not "bad"), and a local date that
 * an offset takes out of the range names the range in UTC. */
static void a_refused_time_says_why(void **state)
{
    (void)state;
#define BAD_TS "bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or Unix seconds)"
#define MS_WHY "timestamp out of range (years 0001..9999 in UTC): it looks like milliseconds; " \
               "write Unix seconds (drop the last three digits)"
#define PACKED_WHY "timestamp out of range (years 0001..9999 in UTC): it looks like a date and " \
                   "time without their separators (YYYYMMDDHHMMSS); write YYYY-MM-DDTHH:MM:SS"
    static const struct { const char *s; int32_t offset; int rc; const char *why; } cases[] = {
        { "2024-05-01T10:00:00+24:00", 0, CIVIC_E_EVENT, "UTC offset out of range (-23:59..+23:59)" },
        { "2024-05-01T10:00:00-08:60", 0, CIVIC_E_EVENT, "UTC offset minutes out of range (00..59)" },
        { "2024-05-01T10:00:00+8:00", 0, CIVIC_E_EVENT, "bad UTC offset (expected Z or +HH:MM)" },
        { "2024-05-01T10:00:00+0800", 0, CIVIC_E_EVENT, "bad UTC offset (expected Z or +HH:MM)" },
        { "2024-05-01T10:00:00+ab:00", 0, CIVIC_E_EVENT, "bad UTC offset (expected Z or +HH:MM)" },
        /* no offset at fault: a blank after a good time, a fraction after
         * a comma (of no form, told what to write by the value's hint) */
        { "2024-05-01T10:00:00Z ", 0, CIVIC_E_EVENT, BAD_TS },
        { "2024-05-01T10:00:00+08:00\t", 0, CIVIC_E_EVENT, BAD_TS },
        { "2024-05-01T10:00:00.5 ", 0, CIVIC_E_EVENT, BAD_TS },
        { "2024-05-01T10:00:00 ", 0, CIVIC_E_EVENT, BAD_TS },
        { "2024-05-01T10:00:00,5Z", 0, CIVIC_E_EVENT, BAD_TS },
        { "2024-05-01T10:00:00+0800 ", 0, CIVIC_E_EVENT, "bad UTC offset (expected Z or +HH:MM)" },
        { "2024-05-01T10:00:00,", 0, CIVIC_E_EVENT, "bad UTC offset (expected Z or +HH:MM)" },
        /* a date written in years 0001..9999 that its offset alone takes out */
        { "0001-01-01", 8 * 3600, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC): its UTC offset takes it before 0001-01-01T00:00:00Z" },
        { "0001-01-01T07:59:59+08:00", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC): its UTC offset takes it before 0001-01-01T00:00:00Z" },
        { "9999-12-31T23:00:00-05:00", 0, CIVIC_E_LIMIT,
          "timestamp out of range (years 0001..9999 in UTC): its UTC offset takes it past "
          "9999-12-31T23:59:59Z" },
        { "10000-01-01T08:00:00", 8 * 3600, CIVIC_E_LIMIT,
          "timestamp out of range (years 0001..9999 in UTC)" },
        { "0000-12-31T23:59:59Z", 0, CIVIC_E_LIMIT,
          "timestamp out of range (years 0001..9999 in UTC)" },
        { "99999999999999999999", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        /* 13 digits, Unix milliseconds (2026-01-05, 2001-09-09), leading
         * zeros or not, and 12 from 3 * 10^11 (2001-01-01, 1979-07-05): said;
         * a value just past the range, 14 digits, or one below the range, is
         * not */
        { "978307200000", 0, CIVIC_E_LIMIT, MS_WHY },
        { "300000000000", 0, CIVIC_E_LIMIT, MS_WHY },
        { "299999999999", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "1767607200000", 0, CIVIC_E_LIMIT, MS_WHY },
        { "0001767607200000", 0, CIVIC_E_LIMIT, MS_WHY },
        { "1000000000000", 0, CIVIC_E_LIMIT, MS_WHY },
        { "253402300800", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "999999999999", 0, CIVIC_E_LIMIT, MS_WHY },
        { "10000000000000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        /* 14 digits that read as YYYYMMDDHHMMSS (an export's date and time
         * without separators): said, leading zeros or not; a day, hour,
         * minute or second no date has, or a sign, is not */
        { "20220101120000", 0, CIVIC_E_LIMIT, PACKED_WHY },
        { "00020240229235959", 0, CIVIC_E_LIMIT, PACKED_WHY },
        { "10000101000000", 0, CIVIC_E_LIMIT, PACKED_WHY },
        { "99991231235959", 0, CIVIC_E_LIMIT, PACKED_WHY },
        { "20230229120000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "20221301120000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "20220100120000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "20220101240000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "20220101126000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "20220101120060", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "-20220101120000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "202201011200000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
        { "-1767607200000", 0, CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC)" },
    };
#undef PACKED_WHY
#undef MS_WHY
#undef BAD_TS
    civic_ts_cache cache;
    memset(&cache, 0, sizeof(cache));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = 0;
        const char *why = NULL;
        int rc = civic__time_parse(cases[i].s, strlen(cases[i].s), cases[i].offset, &t, &why);
        if (rc != cases[i].rc || !why || strcmp(why, cases[i].why) != 0)
            fprintf(stderr, "%s: %d %s\n", cases[i].s, rc, why ? why : "(null)");
        assert_int_equal(rc, cases[i].rc);
        assert_string_equal(why, cases[i].why);
        parses_alike(cases[i].s, strlen(cases[i].s), cases[i].offset, &cache);
    }
    /* 0001-01-01 at UTC+08:00 is in the range again one day later */
    int64_t t = 0;
    const char *why = NULL;
    assert_int_equal(civic__time_parse("0001-01-02", 10, 8 * 3600, &t, &why), CIVIC_OK);
}

/* civic_rules_parse_time_ext: the code of civic_rules_parse_time and the
 * reason of a log's ts, under the scheme's utc_offset. */
static void the_public_parse_says_why_as_a_log_does(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    civic_rules *r = rules_from(TEST_SCHEME "[rule.fine]\npoints = -1\n"); /* +08:00 */
    static const struct { const char *s; int rc; const char *why; } cases[] = {
        { "2025-06-31", CIVIC_E_EVENT, "day out of range for the month" },
        { "2023-02-29", CIVIC_E_EVENT, "day out of range for the month" },
        { "2025-13-01", CIVIC_E_EVENT, "month out of range" },
        { "2025-01-01T24:00:00", CIVIC_E_EVENT, "time of day out of range" },
        { "2024-05-01T10:00:00+24:00", CIVIC_E_EVENT, "UTC offset out of range (-23:59..+23:59)" },
        { "0001-01-01", CIVIC_E_LIMIT, "timestamp out of range (years 0001..9999 in UTC): its UTC offset takes it before 0001-01-01T00:00:00Z" },
        { "yesterday", CIVIC_E_EVENT, NULL },
        { "2024-02-29", CIVIC_OK, NULL },
        { "2024-05-01T10:00:00Z", CIVIC_OK, NULL },
        { "1714557600", CIVIC_OK, NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *s = cases[i].s;
        int64_t a = 0, b = 0;
        const char *why = NULL;
        int rc = civic_rules_parse_time_ext(r, s, strlen(s), &a, &err);
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(civic_rules_parse_time(r, s, strlen(s), &b), rc);
        assert_int_equal(civic__time_parse(s, strlen(s), 8 * 3600, &b, &why), rc);
        if (rc == CIVIC_OK) {
            assert_true(a == b);
            assert_int_equal(err.code, 0);
            assert_string_equal(err.message, "");
            continue;
        }
        assert_int_equal(err.code, rc);
        assert_string_equal(err.message, why);
        if (cases[i].why) assert_string_equal(err.message, cases[i].why);
        else assert_non_null(strstr(err.message, "bad timestamp (expected YYYY-MM-DD"));
        assert_int_equal(civic_rules_parse_time_ext(r, s, strlen(s), &a, NULL), rc);
    }
    /* The callers (civic-score -t, civic-server's as_of, Python) replace the
     * reason by their own list of forms exactly when it begins "bad
     * timestamp": the texts of no accepted form, and only they. */
    static const char *const formless[] = {
        "", "yesterday", "2024-05-01X10:00:00", "2024-05-01T10:00", "2024-5-01",
        "12ab", "2024-05-01T1a:00:00", "-", "2024-0a-01",
    };
    for (size_t i = 0; i < sizeof(formless) / sizeof(formless[0]); i++) {
        int64_t a = 0;
        const char *s = formless[i];
        assert_int_equal(civic_rules_parse_time_ext(r, s, strlen(s), &a, &err), CIVIC_E_EVENT);
        assert_int_equal(strncmp(err.message, "bad timestamp", 13), 0);
    }
    int64_t t;
    /* a length of strlen + 1: said, as a load and civic_rules_parse say it */
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-12-31", 11, &t, &err), CIVIC_E_EVENT);
    assert_non_null(strstr(err.message, "bad timestamp (expected "));
    assert_non_null(strstr(err.message, " (the text ends in a NUL byte: a length of strlen(text) "
                                        "+ 1 takes in the terminating NUL)"));
    assert_int_equal(civic_rules_parse_time_ext(NULL, "2024-01-01", 10, &t, &err), CIVIC_E_INVALID);
    assert_int_equal(civic_rules_parse_time_ext(r, NULL, 0, &t, &err), CIVIC_E_INVALID);
    assert_int_equal(civic_rules_parse_time_ext(r, "2024-01-01", 10, NULL, &err), CIVIC_E_INVALID);
    civic_rules_free(r);
}

/* civic_rules_parse_time_ext: a time of no form that most likely means one
 * is told what it is after the library's list of forms, in the words a
 * log's ts gets (civic-score -t and the service's as_of gave the forms
 * only); the list's first ')' ends it, so a caller that puts its own in its
 * place keeps the rest.  The time to write is given only where taken. */
static void the_public_parse_says_what_a_formless_time_most_likely_is(void **state)
{
    (void)state;
    civic_error err = CIVIC_ERROR_INIT;
    civic_rules *r = rules_from(TEST_SCHEME "[rule.fine]\npoints = -1\n"); /* +08:00 */
    static const char forms[] = "bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] "
                                "or Unix seconds)";
    static const struct { const char *s, *hint; } cases[] = {
        { "2025-11-28 19:04", " (the seconds are required: write 2025-11-28T19:04:00)" },
        { "2026-12-01 09:00+01:00", " (the seconds are required: write 2026-12-01T09:00:00+01:00)" },
        { "01.12.2026", " (day.month.year? write 2026-12-01)" },
        { "06.12.2026 09:30", " (day.month.year? write 2026-12-06T09:30:00)" },
        { "12/06/2026", " (day/month/year or month/day/year? write YYYY-MM-DD)" },
        { "NULL", " (a database's NULL? it is no time)" },
        { "\\N", " (a database's NULL? it is no time)" },
        { "\xef\xbc\x92" "025-01-01", " (U+FF12 is a full-width character)" },
        { "2026\xe2\x80\x93" "01-05", " (U+2013 is a dash, not a minus sign)" },
        { "2025-03-04T09:30:00Z ", " (it ends in a blank: write 2025-03-04T09:30:00Z)" },
        { " 2025-03-04", " (it starts with a blank: write 2025-03-04)" },
        { "2025-03-04T09:30:00,5Z", " (a decimal comma? write 2025-03-04T09:30:00.5Z)" },
        { "2025/03/04", " (year/month/day? write 2025-03-04)" },
        /* a date with a zone: midnight there with its time, or the local one */
        { "2025-06-30Z", " (write 2025-06-30T00:00:00Z, or 2025-06-30 for the scheme's local "
                         "midnight)" },
        { "2025-06-30-05:30", " (write 2025-06-30T00:00:00-05:30, or 2025-06-30 for the "
                              "scheme's local midnight)" },
        { "2025-06-31Z", "" },     /* no such day: nothing to write */
        { "+1709172000", " (Unix seconds take no '+' sign: write 1709172000)" },
        { "+99999999999999", "" }, /* out of range without its sign too */
        { "2025/3/4 9:30:15", " (year/month/day? write 2025-03-04T09:30:15)" },
        { "45000.375", " (a spreadsheet's serial date and time? write 2023-03-15T09:00:00)" },
        { "2025\xE5\xB9\xB4" "3\xE6\x9C\x88" "4\xE6\x97\xA5",
          " (a date written with \xE5\xB9\xB4, \xE6\x9C\x88 and \xE6\x97\xA5? write 2025-03-04)" },
        /* no such month, without the blank either: both told, nothing to write */
        { " 2025-13-01", " (it starts with a blank; also month out of range)" },
        { "2025-02-29 10:00", " (the seconds are required; also day out of range for the month)" },
        { "31.02.2026", "" },       /* no such day: no time to write */
        { "yesterday", "" },
        { "nul", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *s = cases[i].s;
        char want[CIVIC_ERROR_MESSAGE_SIZE];
        int64_t t = 0;
        snprintf(want, sizeof(want), "%s%s", forms, cases[i].hint);
        assert_int_equal(civic_rules_parse_time_ext(r, s, strlen(s), &t, &err), CIVIC_E_EVENT);
        assert_int_equal(err.code, CIVIC_E_EVENT);
        assert_string_equal(err.message, want);
        assert_ptr_equal(strchr(err.message, ')') + 1, err.message + strlen(forms));
    }
    /* an offset without its ':' is told what to write after its reason
     * (which civic-score -t and the service's as_of show whole); one out
     * of range gets nothing */
    int64_t t = 0;
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-03-04T09:30:00+0800", 24, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "bad UTC offset (expected Z or +HH:MM) (write +08:00)");
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-03-04T09:30:00-05", 22, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "bad UTC offset (expected Z or +HH:MM) (write -05:00)");
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-03-04T09:30:00+2500", 24, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "bad UTC offset (expected Z or +HH:MM)");
    /* a reason of a part that is wrong, of a text of an accepted form, gets
     * none (a day that does not exist is told so); a text of none is told
     * it has none ("bad timestamp", civic.h), then the day in its hint */
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-06-31", 10, &t, &err), CIVIC_E_EVENT);
    assert_string_equal(err.message, "day out of range for the month");
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-02-30T10:00:00", 19, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "day out of range for the month");
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-01-01T24:00:00", 19, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "time of day out of range");
    /* a bad offset besides: the part out of range, as ever */
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-02-30T10:00:00+24:00", 25, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "day out of range for the month");
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-02-30T10:00:00+0800", 24, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "day out of range for the month");
    assert_int_equal(civic_rules_parse_time_ext(r, "2025-02-30 10:00", 16, &t, &err),
                     CIVIC_E_EVENT);
    assert_string_equal(err.message, "bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS"
                                     "[Z|+HH:MM] or Unix seconds) (the seconds are required; "
                                     "also day out of range for the month)");
    civic_rules_free(r);
}

/* civic__floor_div against its definition, q * b <= a < (q + 1) * b for
 * b > 0 (reversed for b < 0), checked in 128 bits: around zero, around
 * multiples, and at the ends of the range, for the divisors the library
 * uses and some negative ones. */
__extension__ typedef __int128 wide_int;

static void floor_division_rounds_down_everywhere(void **state)
{
    (void)state;
    static const int64_t divisors[] = { 1, 2, 3, 7, 12, 60, 86400, 146097, 400, -1, -7, -86400 };
    static const int64_t centres[] = { 0, 86400, -86400, 146097 * 3, -146097 * 5, INT64_MAX / 2,
                                       INT64_MIN / 2, INT64_MAX - 200, INT64_MIN + 200 };
    for (size_t d = 0; d < sizeof divisors / sizeof divisors[0]; d++) {
        int64_t b = divisors[d];
        for (size_t c = 0; c < sizeof centres / sizeof centres[0]; c++) {
            for (int64_t k = -150; k <= 150; k++) {
                int64_t a = centres[c] + k;
                if (b == -1 && a == INT64_MIN) continue; /* overflows: no caller divides so */
                int64_t q = civic__floor_div(a, b);
                wide_int lo = (wide_int)q * b, hi = ((wide_int)q + 1) * b;
                bool ok = b > 0 ? lo <= a && a < hi : lo >= a && a > hi;
                if (!ok) fail_msg("floor_div(%lld, %lld) = %lld", (long long)a, (long long)b,
                                  (long long)q);
            }
        }
    }
}

/* civic__civil_from_days names every day: walked one day at a time with a
 * date counted the long way (from 0001-01-01, across 10,000 years), and
 * far out (the evaluation's as-of bounds lie ~100,000 years off) by whole
 * 400-year eras, which repeat the calendar exactly.  It works within an
 * era in 32-bit unsigned arithmetic: an era split wrongly for days before
 * 1970 or before year 1, or a quantity that does not fit, shows here. */
static void every_day_has_its_civil_date(void **state)
{
    (void)state;
    int64_t y = 1;
    int m = 1, d = 1;
    int64_t first = ref_days(1, 1, 1);
    for (int64_t z = first; y <= 10000; z++) {
        int64_t gy;
        int gm, gd;
        civic__civil_from_days(z, &gy, &gm, &gd);
        if (gy != y || gm != m || gd != d)
            fail_msg("day %lld: %lld-%d-%d, not %lld-%d-%d", (long long)z, (long long)gy, gm, gd,
                     (long long)y, m, d);
        if (civic__days_from_civil(y, m, d) != z)
            fail_msg("days_from_civil of day %lld", (long long)z);
        if (++d > ref_month_days(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    static const int64_t eras[] = { -300, -251, -5, -4, -1, 1, 4, 250, 300 };
    for (size_t k = 0; k < sizeof eras / sizeof eras[0]; k++) {
        for (int64_t z = first, end = first + 146097; z < end;
             z += z - first < 800 || end - z < 800 ? 1 : 97) { /* each end of the era whole */
            int64_t y0, y1;
            int m0, d0, m1, d1;
            civic__civil_from_days(z, &y0, &m0, &d0);
            civic__civil_from_days(z + eras[k] * 146097, &y1, &m1, &d1);
            if (y1 != y0 + eras[k] * 400 || m1 != m0 || d1 != d0)
                fail_msg("day %lld + %lld eras: %lld-%d-%d", (long long)z, (long long)eras[k],
                         (long long)y1, m1, d1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(periods_and_validity_match_the_reference_on_a_reused_day),
        cmocka_unit_test(an_event_at_t_is_in_the_balance_period_of_t),
        cmocka_unit_test(a_cached_timestamp_parses_like_the_plain_parser),
        cmocka_unit_test(every_clock_parses_like_the_plain_parser),
        cmocka_unit_test(a_refused_time_says_why),
        cmocka_unit_test(the_public_parse_says_why_as_a_log_does),
        cmocka_unit_test(the_public_parse_says_what_a_formless_time_most_likely_is),
        cmocka_unit_test(floor_division_rounds_down_everywhere),
        cmocka_unit_test(every_day_has_its_civil_date),
    };
    return cmocka_run_group_tests_name("time", tests, NULL, NULL);
}
