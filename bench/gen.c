/*
** gen.c -- a generator of realistic, reproducible event logs for the
** libcivic benchmarks, and the rules file that scores them.
**
** What it does: writes N events (CSV or JSON Lines) and, alongside, a rules
** file (docs/rules.md) whose 40 rule codes are exactly the event types used.
** The same (N, seed) always gives the same bytes, on any platform: the only
** randomness is a seeded xoshiro256** generator, and no libc time or locale
** function is called.
**
** What the log looks like:
**   - subjects: about 1% of N ("s000123"), drawn with a Zipf-Mandelbrot
**     popularity (weight of rank k is 1/(k+10)), so a few residents are very
**     active and most have a handful of events; ranks are shuffled so the
**     popular ids are spread over the id space;
**   - each subject lives in one group "dD/sS/cC/gG" (district/street/
**     community/grid), carried by ~95% of its events;
**   - 40 event types with fixed relative frequencies (good deeds are common,
**     serious violations rare);
**   - timestamps over 3 years (2023-01-01 .. 2025-12-31 local +08:00), in
**     log order with a few hours of jitter and ~1% late arrivals (up to 30
**     days back); ~90% written as +08:00, ~5% as Z and ~5% as -05:00;
**   - qty: 1, except for the per = "unit" rule (volunteer_hour, ~12% of the
**     events), whose qty is 1..10 hours;
**   - event ids "e1", "e2", ... unique.
**
** What it does not do: revoke/repair/redeem events (the baselines only know
** weighted sums), quoting (no field ever needs it).
**
** The lean log (-f lean, or --lean) is the shape of the issue-18 log: CSV
** `id,subject,type,ts,qty` with integer event ids ("1", "2", ...), integer
** subject ids ("0" .. "99999" at 10M events, unpadded), no group column,
** every ts in UTC ("2024-05-12T05:45:12Z"), a steeper Zipf-Mandelbrot
** popularity (weight of rank k is 1/(k+3.5): at 10M events the busiest
** subject has ~219,000 events), the same 40 types, frequencies and qty as
** the default log, so the same rules file scores it.  About 51.6 bytes per
** line at 10M events.
**
** -S SUBJECTS overrides the subject count (default N/100, at least 1).
**
** Usage: gen -n N [-s SEED] [-S SUBJECTS] [-f csv|jsonl|lean] [--lean] [-o OUT] [-r RULES]
*/
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* The event types and their rules                                     */
/* ------------------------------------------------------------------ */

typedef struct rule_def {
    const char *code;
    const char *points;     /* as written in the rules file */
    const char *dimension;
    unsigned frequency;     /* relative frequency in the log */
    const char *extra;      /* further TOML lines, or NULL */
} rule_def;

#define UNIT_RULE "volunteer_hour"

static const rule_def rules[] = {
    /* political */
    {"party_meeting", "2", "political", 300,
     "cap = 10\ncap_period = \"month\"\ncap_group = \"civic\"\n"},
    {"vote_cast", "5", "political", 200,
     "cap = 20\ncap_period = \"month\"\ncap_group = \"civic\"\n"},
    {"petition_signed", "1", "political", 250,
     "cap = 5\ncap_period = \"week\"\ncap_group = \"civic\"\n"},
    {"council_speech", "3", "political", 40, NULL},
    /* legal */
    {"traffic_violation", "-10", "legal", 120, "valid = \"1y\"\n"},
    {"littering", "-5", "legal", 150, "valid = \"90d\"\n"},
    {"noise_complaint", "-3", "legal", 180, "valid = \"90d\"\n"},
    {"illegal_parking", "-5", "legal", 220, "valid = \"6m\"\n"},
    {"dog_unleashed", "-10", "legal", 60, "valid = \"1y\"\nrepeat_factor = 2\n"},
    {"tax_late", "-20", "legal", 30, "valid = \"1y\"\n"},
    {"fraud_conviction", "-50", "legal", 2,
     "valid = \"5y\"\nceiling = 599\nflag = \"dishonest\"\n"},
    {"mediation_success", "10", "legal", 50, NULL},
    {"legal_aid_volunteer", "8", "legal", 30, NULL},
    /* moral */
    {"blood_donation", "20", "moral", 60, "cap = 40\ncap_period = \"year\"\n"},
    {"elder_care_visit", "3", "moral", 250, "cap = 30\ncap_period = \"month\"\n"},
    {"good_samaritan", "15", "moral", 15, NULL},
    {"neighbour_help", "2", "moral", 300, "cap = 20\ncap_period = \"month\"\n"},
    {"honour_award", "20", "moral", 5, NULL},
    {"disaster_relief", "12", "moral", 20, NULL},
    {"charity_donation", "5", "moral", 150,
     "cap = 50\ncap_period = \"year\"\ncap_group = \"charity\"\naffects = \"both\"\n"},
    {"food_bank", "4", "moral", 120,
     "cap = 40\ncap_period = \"year\"\ncap_group = \"charity\"\n"},
    {"domestic_dispute", "-15", "moral", 25, "valid = \"1y\"\n"},
    /* autonomy */
    {UNIT_RULE, "1.5", "autonomy", 1000,
     "per = \"unit\"\ncap = 60\ncap_period = \"month\"\n"},
    {"community_cleanup", "3", "autonomy", 300, NULL},
    {"street_patrol", "2.5", "autonomy", 200, NULL},
    {"garden_upkeep", "1", "autonomy", 400, NULL},
    {"meeting_attendance", "1", "autonomy", 500, "cap = 10\ncap_period = \"month\"\n"},
    {"waste_sorting", "0.5", "autonomy", 900, "cap = 15\ncap_period = \"month\"\n"},
    {"waste_violation", "-2", "autonomy", 300, "valid = \"90d\"\n"},
    {"fire_safety_violation", "-25", "autonomy", 15, "valid = \"1y\"\n"},
    {"building_violation", "-30", "autonomy", 10, "valid = \"1y\"\n"},
    /* smart */
    {"app_checkin", "0.25", "smart", 1500, "cap = 5\ncap_period = \"week\"\naffects = \"balance\"\n"},
    {"report_hazard", "2", "smart", 200, NULL},
    {"survey_completed", "1", "smart", 300, "cap = 4\ncap_period = \"month\"\n"},
    {"digital_skill_course", "5", "smart", 40, NULL},
    {"smart_meter_tamper", "-40", "smart", 3,
     "valid = \"1y\"\nceiling = 850\nflag = \"tamper\"\n"},
    {"false_report", "-8", "smart", 40, "valid = \"6m\"\n"},
    {"data_sharing_optin", "2", "smart", 60, "cap = 2\ncap_period = \"lifetime\"\n"},
    {"transit_fare_evasion", "-6", "smart", 80, "valid = \"90d\"\n"},
    {"online_fraud", "-50", "smart", 2, "valid = \"2y\"\nflag = \"dishonest\"\n"},
};

#define RULE_COUNT (sizeof rules / sizeof rules[0])

static const char rules_header[] =
    "# Rules for the libcivic benchmark log (written by bench/gen).\n"
    "[scheme]\n"
    "name = \"bench\"\n"
    "base = 1000\n"
    "min = 0\n"
    "max = 2000\n"
    "clamp = \"final\"\n"
    "utc_offset = \"+08:00\"\n"
    "valid = \"forever\"\n"
    "balance_reset = \"year\"\n"
    "\n"
    "[[grade]]\nname = \"AAA\"\nmin = 1050\n\n"
    "[[grade]]\nname = \"AA\"\nmin = 1030\n\n"
    "[[grade]]\nname = \"A\"\nmin = 960\n\n"
    "[[grade]]\nname = \"B\"\nmin = 850\n\n"
    "[[grade]]\nname = \"C\"\nmin = 600\n\n"
    "[[grade]]\nname = \"D\"\n\n"
    "[cap.civic]\nlimit = 30\nperiod = \"month\"\n\n"
    "[cap.charity]\nlimit = 80\nperiod = \"year\"\n\n";

static int write_rules(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fputs(rules_header, f);
    for (size_t i = 0; i < RULE_COUNT; i++) {
        fprintf(f, "[rule.%s]\npoints = %s\ndimension = \"%s\"\n%s\n", rules[i].code,
                rules[i].points, rules[i].dimension,
                rules[i].extra != NULL ? rules[i].extra : "");
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded through splitmix64              */
/* ------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n); the tiny modulo bias is irrelevant here. */
static uint64_t rng_below(rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------------ */
/* Weighted choice through a cumulative table                          */
/* ------------------------------------------------------------------ */

/* Index of the first cdf entry > u; cdf is increasing, cdf[n-1] == 1. */
static size_t cdf_pick(const double *cdf, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ------------------------------------------------------------------ */
/* Output buffer and number formatting                                 */
/* ------------------------------------------------------------------ */

#define OUT_BUFFER_BYTES (1u << 20)
#define LINE_BYTES_MAX 512u

typedef struct out_buf {
    FILE *f;
    size_t len;
    int failed;
    char data[OUT_BUFFER_BYTES];
} out_buf;

static void out_flush(out_buf *o)
{
    if (o->len > 0 && fwrite(o->data, 1, o->len, o->f) != o->len)
        o->failed = 1;
    o->len = 0;
}

static void out_str(out_buf *o, const char *s, size_t n)
{
    memcpy(o->data + o->len, s, n);
    o->len += n;
}

static void out_cstr(out_buf *o, const char *s)
{
    out_str(o, s, strlen(s));
}

static void out_u64(out_buf *o, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        o->data[o->len++] = tmp[--n];
}

/* v with exactly `width` digits (zero padded); v < 10^width. */
static void out_fixed(out_buf *o, uint64_t v, unsigned width)
{
    for (unsigned i = width; i > 0; i--) {
        o->data[o->len + i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
    o->len += width;
}

/* ------------------------------------------------------------------ */
/* Time                                                                */
/* ------------------------------------------------------------------ */

/* 2023-01-01T00:00:00+08:00 and three years (2023, 2024 leap, 2025). */
#define T_START INT64_C(1672502400)
#define T_SPAN (INT64_C(1096) * 86400)
#define JITTER_SECONDS (6 * 3600)
#define LATE_SECONDS_MAX (30 * 86400)

/* Howard Hinnant's civil_from_days: days since 1970-01-01 to y-m-d. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* t as YYYY-MM-DDTHH:MM:SS followed by the offset suffix. */
static void out_time(out_buf *o, int64_t t, int32_t offset_s, const char *suffix)
{
    int64_t local = t + offset_s;
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    int64_t secs = local - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    out_fixed(o, (uint64_t)y, 4);
    o->data[o->len++] = '-';
    out_fixed(o, m, 2);
    o->data[o->len++] = '-';
    out_fixed(o, d, 2);
    o->data[o->len++] = 'T';
    out_fixed(o, (uint64_t)(secs / 3600), 2);
    o->data[o->len++] = ':';
    out_fixed(o, (uint64_t)(secs / 60 % 60), 2);
    o->data[o->len++] = ':';
    out_fixed(o, (uint64_t)(secs % 60), 2);
    out_cstr(o, suffix);
}

/* ------------------------------------------------------------------ */
/* Subjects                                                            */
/* ------------------------------------------------------------------ */

typedef struct subject {
    char group[32];
} subject;

typedef struct world {
    int lean;               /* the lean log's subjects, ts and popularity */
    uint64_t subject_count;
    unsigned subject_digits;
    double *subject_cdf;    /* by popularity rank */
    uint32_t *rank_to_id;   /* shuffled: rank -> subject number */
    subject *subjects;      /* by subject number */
    double type_cdf[RULE_COUNT];
    size_t unit_rule;
} world;

static int world_init(world *w, uint64_t n, uint64_t subjects, rng *r)
{
    uint64_t count = subjects != 0 ? subjects : n / 100;
    if (count == 0)
        count = 1;
    w->subject_count = count;
    w->subject_digits = 6;
    for (uint64_t lim = 1000000; count > lim && w->subject_digits < 19; lim *= 10)
        w->subject_digits++;
    w->subject_cdf = malloc(count * sizeof *w->subject_cdf);
    w->rank_to_id = malloc(count * sizeof *w->rank_to_id);
    w->subjects = malloc(count * sizeof *w->subjects);
    if (w->subject_cdf == NULL || w->rank_to_id == NULL || w->subjects == NULL) {
        fprintf(stderr, "gen: out of memory for %llu subjects\n", (unsigned long long)count);
        return -1;
    }
    /* Zipf-Mandelbrot popularity: weight(k) = 1 / (k + 10) for 1-based
     * ranks k, or 1 / (k + 3.5) for the lean log. */
    const double shift = w->lean ? 4.5 : 11.0;
    double sum = 0;
    for (uint64_t k = 0; k < count; k++) {
        sum += 1.0 / ((double)k + shift);
        w->subject_cdf[k] = sum;
    }
    for (uint64_t k = 0; k < count; k++)
        w->subject_cdf[k] /= sum;
    w->subject_cdf[count - 1] = 1.0;
    /* Fisher-Yates shuffle of the ids over the ranks. */
    for (uint64_t k = 0; k < count; k++)
        w->rank_to_id[k] = (uint32_t)k;
    for (uint64_t k = count - 1; k > 0; k--) {
        uint64_t j = rng_below(r, k + 1);
        uint32_t tmp = w->rank_to_id[k];
        w->rank_to_id[k] = w->rank_to_id[j];
        w->rank_to_id[j] = tmp;
    }
    /* One place per subject: 8 districts, 20 streets, 5 communities, 10 grids. */
    for (uint64_t k = 0; k < count; k++) {
        /* One call per statement: argument evaluation order is unspecified. */
        unsigned district = (unsigned)rng_below(r, 8) + 1;
        unsigned street = (unsigned)rng_below(r, 20) + 1;
        unsigned community = (unsigned)rng_below(r, 5) + 1;
        unsigned grid = (unsigned)rng_below(r, 10) + 1;
        snprintf(w->subjects[k].group, sizeof w->subjects[k].group, "d%u/s%u/c%u/g%u",
                 district, street, community, grid);
    }
    double tsum = 0;
    for (size_t i = 0; i < RULE_COUNT; i++)
        tsum += rules[i].frequency;
    double acc = 0;
    for (size_t i = 0; i < RULE_COUNT; i++) {
        acc += rules[i].frequency;
        w->type_cdf[i] = acc / tsum;
        if (strcmp(rules[i].code, UNIT_RULE) == 0)
            w->unit_rule = i;
    }
    w->type_cdf[RULE_COUNT - 1] = 1.0;
    return 0;
}

static void world_free(world *w)
{
    free(w->subject_cdf);
    free(w->rank_to_id);
    free(w->subjects);
}

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

typedef struct event {
    uint64_t number;      /* 1-based; the id is "e<number>" */
    uint64_t subject;
    size_t type;
    int64_t ts;
    int32_t offset_s;
    const char *suffix;
    unsigned qty;
    int has_group;
} event;

static void make_event(const world *w, rng *r, uint64_t i, uint64_t n, event *e)
{
    e->number = i + 1;
    e->subject = w->rank_to_id[cdf_pick(w->subject_cdf, w->subject_count, rng_unit(r))];
    e->type = cdf_pick(w->type_cdf, RULE_COUNT, rng_unit(r));
    int64_t t = T_START + (int64_t)((double)T_SPAN * ((double)i / (double)n));
    t += (int64_t)rng_below(r, 2 * JITTER_SECONDS) - JITTER_SECONDS;
    if (rng_below(r, 100) == 0)
        t -= (int64_t)rng_below(r, LATE_SECONDS_MAX);
    if (t < T_START)
        t = T_START + (int64_t)rng_below(r, 3600);
    if (t >= T_START + T_SPAN)
        t = T_START + T_SPAN - 1 - (int64_t)rng_below(r, 3600);
    e->ts = t;
    unsigned z = (unsigned)rng_below(r, 100);
    if (w->lean) {
        e->offset_s = 0;
        e->suffix = "Z";
    } else if (z < 90) {
        e->offset_s = 8 * 3600;
        e->suffix = "+08:00";
    } else if (z < 95) {
        e->offset_s = 0;
        e->suffix = "Z";
    } else {
        e->offset_s = -5 * 3600;
        e->suffix = "-05:00";
    }
    e->qty = e->type == w->unit_rule ? (unsigned)rng_below(r, 10) + 1 : 1;
    e->has_group = rng_below(r, 100) >= 5;
}

static void out_csv(out_buf *o, const world *w, const event *e)
{
    o->data[o->len++] = 'e';
    out_u64(o, e->number);
    o->data[o->len++] = ',';
    o->data[o->len++] = 's';
    out_fixed(o, e->subject, w->subject_digits);
    o->data[o->len++] = ',';
    out_cstr(o, rules[e->type].code);
    o->data[o->len++] = ',';
    out_time(o, e->ts, e->offset_s, e->suffix);
    o->data[o->len++] = ',';
    out_u64(o, e->qty);
    o->data[o->len++] = ',';
    if (e->has_group)
        out_cstr(o, w->subjects[e->subject].group);
    o->data[o->len++] = '\n';
}

/* The lean log: id,subject,type,ts,qty with integer ids and UTC times. */
static void out_lean(out_buf *o, const event *e)
{
    out_u64(o, e->number);
    o->data[o->len++] = ',';
    out_u64(o, e->subject);
    o->data[o->len++] = ',';
    out_cstr(o, rules[e->type].code);
    o->data[o->len++] = ',';
    out_time(o, e->ts, e->offset_s, e->suffix);
    o->data[o->len++] = ',';
    out_u64(o, e->qty);
    o->data[o->len++] = '\n';
}

static void out_jsonl(out_buf *o, const world *w, const event *e)
{
    out_cstr(o, "{\"id\":\"e");
    out_u64(o, e->number);
    out_cstr(o, "\",\"subject\":\"s");
    out_fixed(o, e->subject, w->subject_digits);
    out_cstr(o, "\",\"type\":\"");
    out_cstr(o, rules[e->type].code);
    out_cstr(o, "\",\"ts\":\"");
    out_time(o, e->ts, e->offset_s, e->suffix);
    out_cstr(o, "\",\"qty\":");
    out_u64(o, e->qty);
    out_cstr(o, ",\"group\":\"");
    if (e->has_group)
        out_cstr(o, w->subjects[e->subject].group);
    out_cstr(o, "\"}\n");
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fputs("usage: gen -n N [-s SEED] [-S SUBJECTS] [-f csv|jsonl|lean] [--lean] [-o OUT] "
          "[-r RULES]\n"
          "  -n N       number of events (required)\n"
          "  -s SEED    random seed (default 42); same N and seed, same bytes\n"
          "  -S COUNT   number of subjects (default N/100)\n"
          "  -f FMT     csv (default), jsonl, or lean: id,subject,type,ts,qty with integer\n"
          "             ids and subjects, UTC times, no group, steeper Zipf (issue 18)\n"
          "  --lean     the same as -f lean\n"
          "  -o OUT     output file (default: standard output)\n"
          "  -r RULES   also write the matching rules file there\n",
          f);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

typedef struct options {
    uint64_t n;
    uint64_t seed;
    uint64_t subjects;      /* 0: N/100 */
    int jsonl;
    int lean;
    const char *out;
    const char *rules;
} options;

static int parse_args(int argc, char **argv, options *opt)
{
    int have_n = 0;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--lean") == 0) {
            opt->lean = 1;
            opt->jsonl = 0;
            i--; /* no value */
        } else if (strcmp(a, "-S") == 0 && parse_u64(v, &opt->subjects) == 0 &&
                   opt->subjects > 0 && opt->subjects <= UINT32_MAX) {
        } else if (strcmp(a, "-n") == 0 && parse_u64(v, &opt->n) == 0) {
            have_n = 1;
        } else if (strcmp(a, "-s") == 0 && parse_u64(v, &opt->seed) == 0) {
        } else if (strcmp(a, "-f") == 0 && v != NULL && strcmp(v, "csv") == 0) {
            opt->jsonl = opt->lean = 0;
        } else if (strcmp(a, "-f") == 0 && v != NULL && strcmp(v, "jsonl") == 0) {
            opt->jsonl = 1;
            opt->lean = 0;
        } else if (strcmp(a, "-f") == 0 && v != NULL && strcmp(v, "lean") == 0) {
            opt->jsonl = 0;
            opt->lean = 1;
        } else if (strcmp(a, "-o") == 0 && v != NULL) {
            opt->out = v;
        } else if (strcmp(a, "-r") == 0 && v != NULL) {
            opt->rules = v;
        } else {
            fprintf(stderr, "gen: bad argument '%s'%s%s\n", a, v ? " " : "", v ? v : "");
            return -1;
        }
    }
    if (!have_n || opt->n == 0 || opt->n > UINT64_C(4000000000)) {
        fprintf(stderr, "gen: -n N (1..4000000000) is required\n");
        return -1;
    }
    return 0;
}

static int generate(const options *opt)
{
    static out_buf o;
    rng r;
    world w;
    memset(&w, 0, sizeof w);
    w.lean = opt->lean;
    rng_seed(&r, opt->seed);
    int rc = world_init(&w, opt->n, opt->subjects, &r);
    if (rc != 0) {
        world_free(&w);
        return rc;
    }
    o.f = stdout;
    if (opt->out != NULL && strcmp(opt->out, "-") != 0) {
        o.f = fopen(opt->out, "wb");
        if (o.f == NULL) {
            fprintf(stderr, "gen: %s: %s\n", opt->out, strerror(errno));
            world_free(&w);
            return -1;
        }
    }
    if (opt->lean)
        out_cstr(&o, "id,subject,type,ts,qty\n");
    else if (!opt->jsonl)
        out_cstr(&o, "id,subject,type,ts,qty,group\n");
    for (uint64_t i = 0; i < opt->n && !o.failed; i++) {
        event e;
        make_event(&w, &r, i, opt->n, &e);
        if (opt->lean)
            out_lean(&o, &e);
        else if (opt->jsonl)
            out_jsonl(&o, &w, &e);
        else
            out_csv(&o, &w, &e);
        if (o.len > OUT_BUFFER_BYTES - LINE_BYTES_MAX)
            out_flush(&o);
    }
    out_flush(&o);
    if (o.f != stdout ? fclose(o.f) != 0 : fflush(o.f) != 0)
        o.failed = 1;
    if (o.failed) {
        fprintf(stderr, "gen: write failed: %s\n", strerror(errno));
        rc = -1;
    }
    world_free(&w);
    return rc;
}

int main(int argc, char **argv)
{
    options opt = {0, 42, 0, 0, 0, NULL, NULL};
    if (parse_args(argc, argv, &opt) != 0) {
        usage(stderr);
        return 1;
    }
    if (opt.rules != NULL && write_rules(opt.rules) != 0)
        return 1;
    return generate(&opt) == 0 ? 0 : 1;
}
