/*
** fuzz_common.h -- helpers shared by the libFuzzer harnesses in tests/fuzz/:
** a failure that aborts with a message (so the fuzzer and the replay driver
** both stop on it), a canonical text snapshot of every answer an engine
** gives at one as-of time (for "same events, same answers" comparisons:
** subjects with tiers and measures, records with every version-2 entry
** field, ranks, groups and every list), and the invariants of SPEC
** sections 4 and 9-11:
**
**   for every subject, base + counted of the ACTIVE record entries that
**   affect the score, bounded (clamp "final": once at the end; "running":
**   after every step, in record order), then limited by the lowest ceiling
**   of an ACTIVE entry not corrected by T, equals the score; the summary's
**   ceiling is that lowest ceiling; the grade is the first grade whose
**   min <= score; the flags are the sorted distinct flags of the ACTIVE
**   entries; each dimension is the counted of its ACTIVE entries; the
**   balance is the sum of what the entries gave it (to_balance: nothing from
**   a set-aside or score-only entry, counted or less when floored, minus
**   the amount of an accepted redeem); the record lists summary.events
**   entries in (eff, id) order, a rule entry shows the first state that
**   holds (revoked, contested, merged, pending, then active / repaired /
**   expired), merged entries name the member that counted, frozen ones are
**   additions that count 0; record and answer agree (tiers included);
**   every list of a flag holds the subjects carrying it with the flagged
**   stretch (since, until) recomputed from the record, every list of a
**   measure the subjects it applies to; after a purge every question about
**   T < H fails with CIVIC_E_PURGED.
**
** Only civic.h is used, so the harnesses exercise exactly the public API.
*/
#ifndef CIVIC_FUZZ_COMMON_H
#define CIVIC_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civic.h"

/* Clamp mode and bounds of the scheme under test (not in the public API). */
typedef struct fz_bounds {
    int64_t min, max; /* INT64_MIN / INT64_MAX when absent */
    bool running;     /* clamp = "running" */
} fz_bounds;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static inline void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz invariant violated: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

#define FZ_CHECK(cond, ...)              \
    do {                                 \
        if (!(cond)) fz_fail(__VA_ARGS__); \
    } while (0)

/* Print the record of subject at as_of to stderr, to explain a failure. */
static inline void fz_dump_record(const civic_engine *e, const char *subject, int64_t as_of)
{
    civic_record *rec = NULL;
    int rc = civic_engine_record(e, subject, as_of, &rec);
    fprintf(stderr, "record of %s at %lld: %d\n", subject, (long long)as_of, rc);
    for (size_t k = 0; rc == CIVIC_OK && k < civic_record_count(rec); k++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        civic_record_entry(rec, k, &x);
        fprintf(stderr, "  %s %s %s marks=%u ts=%lld eff=%lld end=%lld qty=%lld raw=%lld "
                "counted=%lld bal=%lld ceil=%lld from=%lld corr=%lld flag=%s ref=%s act=%s "
                "merged=%s src=%s\n", x.id, x.type, civic_state_name(x.state), x.marks,
                (long long)x.ts, (long long)x.eff, (long long)x.end, (long long)x.qty,
                (long long)x.raw, (long long)x.counted, (long long)x.to_balance,
                (long long)x.ceiling, (long long)x.from, (long long)x.corrected, x.flag, x.ref,
                x.act, x.merged_with, x.source);
    }
    civic_record_free(rec);
}

/* FZ_CHECK that first prints the record of subject at as_of. */
#define FZ_CHECK_REC(e, subject, as_of, cond, ...)                         \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fz_dump_record(e, subject, as_of);                             \
            fz_fail(__VA_ARGS__);                                          \
        }                                                                  \
    } while (0)

/* A growing malloc'd string. */
typedef struct fz_buf {
    char *p;
    size_t n, cap;
} fz_buf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void fz_printf(fz_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int k = vsnprintf(b->p ? b->p + b->n : NULL, room, fmt, ap);
        va_end(ap);
        FZ_CHECK(k >= 0, "vsnprintf failed");
        if ((size_t)k < room) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap - b->n <= (size_t)k) cap *= 2;
        char *p = realloc(b->p, cap);
        FZ_CHECK(p != NULL, "out of memory in the harness");
        b->p = p;
        b->cap = cap;
    }
}

static inline void fz_buf_free(fz_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static inline int64_t fz_clamp(const fz_bounds *bd, int64_t s)
{
    return s < bd->min ? bd->min : s > bd->max ? bd->max : s;
}

static inline int fz_compare_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Inside fz_check_record: a check that prints the record when it fails. */
#define FZ_RCHECK(...) FZ_CHECK_REC(e, subject, as_of, __VA_ARGS__)

/* The record invariant for one subject at as_of.  Returns the query's code
 * (CIVIC_E_OVERFLOW is a legal answer for huge inputs; then nothing is
 * checked). */
static inline int fz_check_record(const civic_engine *e, const fz_bounds *bd, const char *subject,
                           int64_t as_of, const civic_result *res, size_t row)
{
    civic_record *rec = NULL;
    int rc = civic_engine_record(e, subject, as_of, &rec);
    if (rc == CIVIC_E_OVERFLOW || rc == CIVIC_E_NOMEM) return rc;
    FZ_RCHECK(rc == CIVIC_OK, "record(%s) failed with %d", subject, rc);
    const civic_rules *r = civic_engine_rules(e);
    civic_score s = CIVIC_SCORE_INIT;
    FZ_RCHECK(civic_record_summary(rec, &s) == CIVIC_OK, "record summary");
    size_t n = civic_record_count(rec);
    FZ_RCHECK(n == s.events, "record of %s has %zu entries, summary says %llu events", subject, n,
             (unsigned long long)s.events);
    int64_t sum = civic_rules_base(r), running = sum, ceiling = CIVIC_FOREVER, balance = 0;
    bool overflow = false;
    /* dimension subtotals of the answer row: counted of the ACTIVE entries,
     * whatever they affect (SPEC step 8) */
    size_t nd = res ? civic_result_dimension_count(res) : 0;
    int64_t dims[64];
    if (nd > 64) nd = 0;
    for (size_t d = 0; d < nd; d++) dims[d] = 0;
    const char *flags[256];
    size_t nflags = 0;
    int64_t prev_ts = INT64_MIN;
    const char *prev_id = "";
    for (size_t i = 0; i < n; i++) {
        civic_entry x = CIVIC_ENTRY_INIT;
        FZ_RCHECK(civic_record_entry(rec, i, &x) == CIVIC_OK, "record entry %zu", i);
        FZ_RCHECK(x.ts <= as_of, "entry %s after as_of", x.id);
        /* (eff, id) order: eff = ts unless the rule has a publicity period */
        FZ_RCHECK(x.eff > prev_ts || (x.eff == prev_ts && strcmp(prev_id, x.id) < 0),
                 "record of %s not in (eff, id) order at %s", subject, x.id);
        FZ_RCHECK(x.eff >= x.ts, "entry %s takes effect before it happened", x.id);
        prev_ts = x.eff;
        prev_id = x.id;
        FZ_RCHECK(civic_state_name(x.state) && civic_kind_name(x.kind), "bad state/kind");
        /* set aside before the fold: revoked, contested (suspended), merged, pending */
        bool gone = x.state == CIVIC_STATE_REVOKED || x.state == CIVIC_STATE_CONTESTED ||
                    x.state == CIVIC_STATE_MERGED || x.state == CIVIC_STATE_PENDING;
        if (x.kind == CIVIC_KIND_RULE) {
            FZ_RCHECK(x.state <= CIVIC_STATE_REVOKED || gone, "rule entry %s in state %u", x.id,
                     x.state);
            FZ_RCHECK(!gone || x.counted == 0, "set-aside entry %s counts %lld", x.id,
                     (long long)x.counted);
            FZ_RCHECK(x.state != CIVIC_STATE_PENDING || x.eff > as_of, "pending %s in effect",
                      x.id);
            /* the first state that holds: revoked, contested, merged, pending (10.6) */
            FZ_RCHECK(x.eff <= as_of || x.state == CIVIC_STATE_PENDING ||
                         x.state == CIVIC_STATE_REVOKED || x.state == CIVIC_STATE_CONTESTED ||
                         x.state == CIVIC_STATE_MERGED,
                     "entry %s takes effect at %lld after %lld but is %s", x.id,
                     (long long)x.eff, (long long)as_of, civic_state_name(x.state));
            FZ_RCHECK((x.state == CIVIC_STATE_MERGED) == (x.merged_with[0] != '\0') &&
                         (x.state != CIVIC_STATE_MERGED || x.act[0]),
                     "entry %s is %s, merged with \"%s\", act \"%s\"", x.id,
                     civic_state_name(x.state), x.merged_with, x.act);
            FZ_RCHECK(!(x.marks & CIVIC_MARK_FROZEN) || (x.raw > 0 && x.counted == 0),
                     "frozen entry %s: raw %lld counted %lld", x.id, (long long)x.raw,
                     (long long)x.counted);
            FZ_RCHECK(x.from == CIVIC_NO_TIME || x.from <= as_of,
                     "entry %s governed by a change from %lld, after %lld", x.id,
                     (long long)x.from, (long long)as_of);
            FZ_RCHECK(x.corrected == CIVIC_FOREVER || (x.corrected >= x.ts && x.corrected <= as_of),
                     "entry %s corrected at %lld (ts %lld, as_of %lld)", x.id,
                     (long long)x.corrected, (long long)x.ts, (long long)as_of);
            FZ_RCHECK((x.counted >= 0 ? x.counted : -x.counted) <= (x.raw >= 0 ? x.raw : -x.raw),
                     "entry %s counts more than raw", x.id);
            FZ_RCHECK(x.counted == 0 || (x.counted < 0) == (x.raw < 0), "entry %s sign", x.id);
            FZ_RCHECK(x.counted == x.raw || (x.marks & (CIVIC_MARK_CAPPED | CIVIC_MARK_FROZEN)) ||
                         gone,
                     "entry %s counts %lld of %lld without the capped mark", x.id,
                     (long long)x.counted, (long long)x.raw);
            FZ_RCHECK((x.state == CIVIC_STATE_ACTIVE) == (as_of < x.end) || gone,
                     "entry %s state %s but end %lld, as_of %lld", x.id,
                     civic_state_name(x.state), (long long)x.end, (long long)as_of);
        } else if (x.kind == CIVIC_KIND_REDEEM) {
            FZ_RCHECK(x.state == CIVIC_STATE_ACCEPTED || x.state == CIVIC_STATE_REJECTED ||
                         x.state == CIVIC_STATE_REVOKED,
                     "redeem %s in state %u", x.id, x.state);
            /* an accepted redeem of an earlier balance period takes nothing now */
            FZ_RCHECK(x.to_balance == 0 ||
                          (x.state == CIVIC_STATE_ACCEPTED && x.to_balance == x.raw),
                      "redeem %s (%s) of %lld took %lld", x.id, civic_state_name(x.state),
                      (long long)x.raw, (long long)x.to_balance);
        } else if (x.kind == CIVIC_KIND_OBJECT) {
            FZ_RCHECK(x.state == CIVIC_STATE_APPLIED || x.state == CIVIC_STATE_DANGLING ||
                         x.state == CIVIC_STATE_DISMISSED || x.state == CIVIC_STATE_LATE,
                     "objection %s in state %u", x.id, x.state);
        } else {
            FZ_RCHECK(x.state == CIVIC_STATE_APPLIED || x.state == CIVIC_STATE_DANGLING ||
                         (x.kind == CIVIC_KIND_REPAIR && x.state == CIVIC_STATE_PREMATURE),
                     "%s %s in state %u", civic_kind_name(x.kind), x.id, x.state);
        }
        /* the balance is what the entries gave it (to_balance) */
        if (__builtin_add_overflow(balance, x.to_balance, &balance)) overflow = true;
        if (x.kind == CIVIC_KIND_RULE) {
            FZ_RCHECK(!gone || x.to_balance == 0, "set-aside entry %s gave the balance %lld",
                      x.id, (long long)x.to_balance);
            FZ_RCHECK((x.affects & CIVIC_AFFECTS_BALANCE) || x.to_balance == 0,
                      "score-only entry %s gave the balance %lld", x.id,
                      (long long)x.to_balance);
            FZ_RCHECK(x.to_balance == 0 || x.to_balance == x.counted ||
                          ((x.marks & CIVIC_MARK_FLOORED) && x.counted < x.to_balance &&
                           x.to_balance <= 0),
                      "entry %s counted %lld but gave the balance %lld (marks %u)", x.id,
                      (long long)x.counted, (long long)x.to_balance, x.marks);
        }
        if (x.kind != CIVIC_KIND_RULE || x.state != CIVIC_STATE_ACTIVE) continue;
        for (size_t d = 0; d < nd; d++)
            if (strcmp(civic_result_dimension_name(res, d), x.dimension) == 0 &&
                __builtin_add_overflow(dims[d], x.counted, &dims[d]))
                overflow = true;
        if (x.affects & CIVIC_AFFECTS_SCORE) {
            if (__builtin_add_overflow(sum, x.counted, &sum) ||
                __builtin_add_overflow(running, x.counted, &running))
                overflow = true;
            running = fz_clamp(bd, running);
        }
        if (x.ceiling < ceiling && x.corrected > as_of) ceiling = x.ceiling;
        if (x.flag[0] && nflags < 256) flags[nflags++] = x.flag;
    }
    if (!overflow) {
        int64_t want = bd->running ? running : fz_clamp(bd, sum);
        if (want > ceiling) want = ceiling;
        FZ_RCHECK(want == s.score, "subject %s at %lld: record gives %lld, score is %lld", subject,
                 (long long)as_of, (long long)want, (long long)s.score);
    }
    FZ_RCHECK(overflow || balance == s.balance, "subject %s at %lld: entries give the balance "
              "%lld, the answer %lld", subject, (long long)as_of, (long long)balance,
              (long long)s.balance);
    FZ_RCHECK(ceiling == s.ceiling, "subject %s: lowest active ceiling %lld, summary %lld",
             subject, (long long)ceiling, (long long)s.ceiling);
    /* grade */
    size_t g = 0, ng = civic_rules_grade_count(r);
    for (; g + 1 < ng; g++) {
        int64_t min = 0;
        if (civic_rules_grade_min(r, g, &min) == CIVIC_OK && s.score >= min) break;
    }
    FZ_RCHECK(s.grade_index == g && strcmp(s.grade, civic_rules_grade_name(r, g)) == 0,
             "subject %s: score %lld has grade %s, expected %s", subject, (long long)s.score,
             s.grade, civic_rules_grade_name(r, g));
    /* flags: sorted, distinct, joined by ';' */
    qsort(flags, nflags, sizeof(flags[0]), fz_compare_str);
    fz_buf fb = { NULL, 0, 0 };
    fz_printf(&fb, "%s", "");
    uint32_t distinct = 0;
    for (size_t i = 0; i < nflags; i++) {
        if (i && strcmp(flags[i], flags[i - 1]) == 0) continue;
        fz_printf(&fb, "%s%s", distinct ? ";" : "", flags[i]);
        distinct++;
    }
    if (nflags < 256) {
        FZ_RCHECK(strcmp(fb.p, s.flags) == 0 && distinct == s.flag_count,
                 "subject %s: flags \"%s\" (%u), expected \"%s\" (%u)", subject, s.flags,
                 s.flag_count, fb.p, distinct);
    }
    fz_buf_free(&fb);
    if (res) {
        civic_score a = CIVIC_SCORE_INIT;
        FZ_RCHECK(civic_result_get(res, row, &a) == CIVIC_OK, "result_get");
        FZ_RCHECK(a.score == s.score && a.balance == s.balance && a.events == s.events &&
                     a.archived == s.archived && a.tier_count == s.tier_count &&
                     strcmp(a.measures, s.measures) == 0 && strcmp(a.flags, s.flags) == 0 &&
                     strcmp(a.group, s.group) == 0,
                 "record summary of %s differs from the answer", subject);
        for (size_t d = 0; d < nd && !overflow; d++) {
            int64_t v = 0;
            FZ_RCHECK(civic_result_dimension(res, row, d, &v) == CIVIC_OK && v == dims[d],
                      "%s: dimension %s is %lld, the active entries count %lld", subject,
                      civic_result_dimension_name(res, d), (long long)v, (long long)dims[d]);
        }
        for (uint32_t t = 0; t < s.tier_count; t++) {
            civic_tier_value u = CIVIC_TIER_VALUE_INIT, v = CIVIC_TIER_VALUE_INIT;
            FZ_RCHECK(civic_result_tier(res, row, t, &u) == CIVIC_OK &&
                         civic_record_tier(rec, t, &v) == CIVIC_OK,
                     "tier %u of %s", t, subject);
            FZ_RCHECK(u.level == v.level && u.value == v.value && strcmp(u.tier, v.tier) == 0,
                     "tier %s of %s: answer %u/%lld, record %u/%lld", u.tier, subject, u.level,
                     (long long)u.value, v.level, (long long)v.value);
            FZ_RCHECK((u.level == CIVIC_LEVEL_NONE) == (u.level_name == NULL), "tier level name");
        }
    }
    civic_record_free(rec);
    return CIVIC_OK;
}
#undef FZ_RCHECK

/* Tiers of row i of an answer, appended to b. */
static inline void fz_print_tiers(fz_buf *b, const civic_result *res, size_t i, uint32_t count)
{
    for (uint32_t t = 0; t < count; t++) {
        civic_tier_value v = CIVIC_TIER_VALUE_INIT;
        FZ_CHECK(civic_result_tier(res, i, t, &v) == CIVIC_OK, "result_tier");
        fz_printf(b, "%s=%u:%lld/%u,", v.tier, v.level, (long long)v.value, v.places);
    }
}

/* Every list (each flag and each measure of the scheme) at as_of. */
static inline void fz_print_lists(const civic_engine *e, int64_t as_of, fz_buf *b)
{
    const civic_rules *r = civic_engine_rules(e);
    size_t nf = civic_rules_flag_count(r), nm = civic_rules_measure_count(r);
    for (size_t k = 0; k < nf + nm; k++) {
        const char *name =
            k < nf ? civic_rules_flag_name(r, k) : civic_rules_measure_code(r, k - nf);
        civic_list *l = NULL;
        int rc = civic_engine_list(e, name, as_of, &l);
        fz_printf(b, "list %s %d:", name, rc);
        for (size_t i = 0; rc == CIVIC_OK && i < civic_list_count(l); i++) {
            civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
            FZ_CHECK(civic_list_get(l, i, &x) == CIVIC_OK, "list_get");
            fz_printf(b, " %s|%s|%s|%lld|%lld|%lld", x.subject, x.group, x.grade,
                      (long long)x.score, (long long)x.since, (long long)x.until);
        }
        fz_printf(b, "\n");
        civic_list_free(l);
    }
}

/* What fz_snapshot_v2 leaves out. */
#define FZ_SNAP_NO_ARCHIVED 0x1u /* the archived counts: a purge changes them, nothing else */

/* Append every answer at as_of to b: subjects (all fields, dimension
 * subtotals, tiers, measures), each subject's record (every entry field),
 * the ranking, groups at depths 0..max_depth and every list. */
static inline int fz_snapshot_v2(const civic_engine *e, int64_t as_of, uint32_t max_depth,
                                 uint32_t leave_out, fz_buf *b)
{
    civic_result *res = NULL;
    int rc = civic_engine_subjects(e, as_of, &res);
    fz_printf(b, "as_of %lld: %d\n", (long long)as_of, rc);
    if (rc != CIVIC_OK) return rc;
    size_t nd = civic_result_dimension_count(res);
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        FZ_CHECK(civic_result_get(res, i, &s) == CIVIC_OK, "result_get");
        fz_printf(b, "S %s|%s|%lld|%s|%lld|%s|%lld|%llu|%s|%llu|", s.subject, s.group,
                  (long long)s.score, s.grade, (long long)s.balance, s.flags,
                  (long long)s.ceiling, (unsigned long long)s.events, s.measures,
                  (leave_out & FZ_SNAP_NO_ARCHIVED) ? 0ull : (unsigned long long)s.archived);
        for (size_t d = 0; d < nd; d++) {
            int64_t v = 0;
            FZ_CHECK(civic_result_dimension(res, i, d, &v) == CIVIC_OK, "dimension");
            fz_printf(b, "%lld,", (long long)v);
        }
        fz_print_tiers(b, res, i, s.tier_count);
        fz_printf(b, "\n");
        civic_record *rec = NULL;
        int rrc = civic_engine_record(e, s.subject, as_of, &rec);
        fz_printf(b, " record %d\n", rrc);
        for (size_t k = 0; rrc == CIVIC_OK && k < civic_record_count(rec); k++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            FZ_CHECK(civic_record_entry(rec, k, &x) == CIVIC_OK, "record entry");
            fz_printf(b, " E %s|%s|%u|%s|%u|%u|%s|%s|%s|%s|%lld|%lld|%lld|%lld|%lld|%lld", x.id,
                      x.type, x.kind, civic_state_name(x.state), x.marks, x.affects,
                      x.dimension, x.flag, x.group, x.ref, (long long)x.ts, (long long)x.end,
                      (long long)x.qty, (long long)x.raw, (long long)x.counted,
                      (long long)x.ceiling);
            fz_printf(b, "|%lld|%lld|%lld|%lld|%s|%s|%s\n", (long long)x.eff, (long long)x.from,
                      (long long)x.to_balance, (long long)x.corrected, x.act, x.source,
                      x.merged_with);
        }
        civic_record_free(rec);
    }
    civic_result_free(res);
    res = NULL;
    rc = civic_engine_rank(e, NULL, as_of, 0, &res);
    fz_printf(b, "rank %d:", rc);
    for (size_t i = 0; rc == CIVIC_OK && i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        FZ_CHECK(s.rank == i + 1, "rank field");
        fz_printf(b, " %s", s.subject);
    }
    fz_printf(b, "\n");
    civic_result_free(res);
    for (uint32_t depth = 0; depth <= max_depth; depth++) {
        civic_groups *g = NULL;
        rc = civic_engine_groups(e, depth, as_of, &g);
        fz_printf(b, "groups %u: %d\n", depth, rc);
        size_t ng = civic_groups_grade_count(g);
        for (size_t i = 0; rc == CIVIC_OK && i < civic_groups_count(g); i++) {
            civic_group_stats st = CIVIC_GROUP_STATS_INIT;
            FZ_CHECK(civic_groups_get(g, i, &st) == CIVIC_OK, "groups_get");
            FZ_CHECK(st.min <= st.median && st.median <= st.max && st.min <= st.mean &&
                         st.mean <= st.max,
                     "group %s: min %lld mean %lld median %lld max %lld", st.path,
                     (long long)st.min, (long long)st.mean, (long long)st.median,
                     (long long)st.max);
            uint64_t total = 0;
            for (size_t k = 0; k < ng; k++) total += st.grade_counts[k];
            FZ_CHECK(total == st.subjects, "group %s grade counts", st.path);
            fz_printf(b, " G %s|%llu|%lld|%lld|%lld|%lld|%lld\n", st.path,
                      (unsigned long long)st.subjects, (long long)st.mean, (long long)st.median,
                      (long long)st.min, (long long)st.max, (long long)st.balance);
        }
        civic_groups_free(g);
    }
    fz_print_lists(e, as_of, b);
    return CIVIC_OK;
}

/* Every answer at as_of, archived counts included. */
static inline int fz_snapshot_at(const civic_engine *e, int64_t as_of, uint32_t max_depth,
                                 fz_buf *b)
{
    return fz_snapshot_v2(e, as_of, max_depth, 0, b);
}

/* Segments of a group path ("" has none). */
static inline uint32_t fz_depth(const char *g)
{
    if (!g[0]) return 0;
    uint32_t d = 1;
    for (; *g; g++) d += *g == '/';
    return d;
}

/* Groups and rankings agree with the subject list: at depth d the group
 * sizes add up to the subjects whose group has at least d segments, and a
 * ranking within the first subject's group holds exactly the subjects whose
 * group is that group or lies below it (segment-wise). */
static inline void fz_check_groups(const civic_engine *e, const civic_result *all, int64_t as_of)
{
    size_t n = civic_result_count(all);
    for (uint32_t depth = 1; depth <= 2; depth++) {
        civic_groups *g = NULL;
        if (civic_engine_groups(e, depth, as_of, &g) != CIVIC_OK) return;
        uint64_t in_groups = 0, want = 0;
        for (size_t i = 0; i < civic_groups_count(g); i++) {
            civic_group_stats st = CIVIC_GROUP_STATS_INIT;
            civic_groups_get(g, i, &st);
            FZ_CHECK(fz_depth(st.path) == depth, "group %s at depth %u", st.path, depth);
            in_groups += st.subjects;
        }
        for (size_t i = 0; i < n; i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(all, i, &s);
            want += fz_depth(s.group) >= depth;
        }
        FZ_CHECK(in_groups == want, "depth %u groups hold %llu subjects, expected %llu", depth,
                 (unsigned long long)in_groups, (unsigned long long)want);
        civic_groups_free(g);
    }
    if (n == 0) return;
    civic_score first = CIVIC_SCORE_INIT;
    civic_result_get(all, 0, &first);
    civic_result *ranked = NULL;
    if (civic_engine_rank(e, first.group, as_of, 0, &ranked) != CIVIC_OK) return;
    size_t want = 0, len = strlen(first.group);
    for (size_t i = 0; i < n; i++) {
        civic_score s = CIVIC_SCORE_INIT;
        civic_result_get(all, i, &s);
        want += len == 0 || (strncmp(s.group, first.group, len) == 0 &&
                             (s.group[len] == '\0' || s.group[len] == '/'));
    }
    FZ_CHECK(civic_result_count(ranked) == want, "rank(%s) holds %zu subjects, expected %zu",
             first.group, civic_result_count(ranked), want);
    civic_result_free(ranked);
}

/* Is `name` one of the ';'-joined items of `joined`? */
static inline bool fz_has_item(const char *joined, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = joined; *p;) {
        const char *end = strchr(p, ';');
        size_t k = end ? (size_t)(end - p) : strlen(p);
        if (k == n && memcmp(p, name, n) == 0) return true;
        if (!end) break;
        p = end + 1;
    }
    return false;
}

/* The flagged stretch of SPEC 11.3 from the record: the union of [eff, end)
 * of the rule entries that carry the flag and count at as_of (neither
 * revoked, contested, merged nor pending); touching intervals join. */
static inline void fz_flag_stretch(const civic_engine *e, const char *subject, const char *flag,
                                   int64_t as_of, int64_t *since, int64_t *until)
{
    civic_record *rec = NULL;
    FZ_CHECK(civic_engine_record(e, subject, as_of, &rec) == CIVIC_OK, "record");
    *since = *until = CIVIC_NO_TIME;
    size_t n = civic_record_count(rec);
    /* grow the stretch containing as_of until no entry extends it */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            civic_entry x = CIVIC_ENTRY_INIT;
            civic_record_entry(rec, i, &x);
            if (x.kind != CIVIC_KIND_RULE || strcmp(x.flag, flag) != 0 || x.end <= x.eff ||
                x.state == CIVIC_STATE_REVOKED || x.state == CIVIC_STATE_CONTESTED ||
                x.state == CIVIC_STATE_MERGED || x.state == CIVIC_STATE_PENDING)
                continue;
            if (*since == CIVIC_NO_TIME) {
                if (x.eff <= as_of && as_of < x.end) {
                    *since = x.eff;
                    *until = x.end;
                    changed = true;
                }
            } else if (x.eff <= *until && x.end >= *since &&
                       (x.eff < *since || x.end > *until)) {
                if (x.eff < *since) *since = x.eff;
                if (x.end > *until) *until = x.end;
                changed = true;
            }
        }
    }
    civic_record_free(rec);
}

/* Lists (SPEC 11.3) agree with the answers: the list of a flag holds the
 * subjects carrying it, with since and until of the flagged stretch that
 * contains as_of; the list of a measure the subjects it applies to; a name
 * that is neither is CIVIC_E_NOTFOUND. */
static inline void fz_check_lists(const civic_engine *e, const civic_result *all, int64_t as_of)
{
    const civic_rules *r = civic_engine_rules(e);
    size_t nf = civic_rules_flag_count(r), nm = civic_rules_measure_count(r);
    size_t n = civic_result_count(all);
    bool retains = false; /* some version of some rule has a retain */
    for (size_t i = 0; i < civic_rules_rule_count(r); i++) {
        civic_rule_info info = CIVIC_RULE_INFO_INIT;
        for (size_t c = 0; civic_rules_rule_info(r, i, c, &info) == CIVIC_OK; c++)
            if (info.retain[0] && strcmp(info.retain, "forever") != 0) retains = true;
    }
    for (size_t k = 0; k < nf + nm; k++) {
        bool is_flag = k < nf;
        const char *name =
            is_flag ? civic_rules_flag_name(r, k) : civic_rules_measure_code(r, k - nf);
        civic_list *l = NULL;
        int rc = civic_engine_list(e, name, as_of, &l);
        if (rc == CIVIC_E_OVERFLOW) return;
        FZ_CHECK(rc == CIVIC_OK, "list %s failed with %d", name, rc);
        FZ_CHECK(civic_list_kind(l) == (is_flag ? CIVIC_LIST_FLAG : CIVIC_LIST_MEASURE),
                 "list %s of kind %u", name, civic_list_kind(l));
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            civic_score s = CIVIC_SCORE_INIT;
            civic_result_get(all, i, &s);
            if (!fz_has_item(is_flag ? s.flags : s.measures, name)) continue;
            civic_list_entry x = CIVIC_LIST_ENTRY_INIT;
            FZ_CHECK(civic_list_get(l, at++, &x) == CIVIC_OK, "list %s lacks %s", name, s.subject);
            FZ_CHECK(strcmp(x.subject, s.subject) == 0 && strcmp(x.group, s.group) == 0 &&
                         x.score == s.score && x.grade_index == s.grade_index &&
                         strcmp(x.grade, s.grade) == 0,
                     "list %s row %s, expected %s", name, x.subject, s.subject);
            if (!is_flag) {
                FZ_CHECK(x.since == CIVIC_NO_TIME && x.until == CIVIC_NO_TIME,
                         "measure list %s has times", name);
                continue;
            }
            int64_t since, until;
            fz_flag_stretch(e, s.subject, name, as_of, &since, &until);
            /* retention may end the stretch earlier than the record's ends
             * say (the record does not give when an entry is archived): then
             * until only has to lie after as_of and no later */
            bool cut = retains && x.until < until && as_of < x.until;
            FZ_CHECK(x.since == since && (x.until == until || cut) && since <= as_of &&
                         as_of < until,
                     "list %s at %lld: %s flagged %lld..%lld, record says %lld..%lld", name,
                     (long long)as_of, s.subject, (long long)x.since, (long long)x.until,
                     (long long)since, (long long)until);
        }
        FZ_CHECK(civic_list_count(l) == at, "list %s holds %zu subjects, expected %zu", name,
                 civic_list_count(l), at);
        civic_list_free(l);
    }
    civic_list *none = NULL;
    FZ_CHECK(civic_engine_list(e, "no such list", as_of, &none) == CIVIC_E_NOTFOUND && !none,
             "a list of an unknown name");
}

/* After a purge with horizon > as_of every question fails with
 * CIVIC_E_PURGED (SPEC 10.4). */
static inline void fz_expect_purged(const civic_engine *e, const char *subject, int64_t as_of)
{
    civic_result *res = NULL;
    civic_record *rec = NULL;
    civic_groups *g = NULL;
    civic_list *l = NULL;
    const civic_rules *r = civic_engine_rules(e);
    int rc[6];
    rc[0] = civic_engine_subjects(e, as_of, &res);
    civic_result_free(res);
    res = NULL;
    rc[1] = civic_engine_subject(e, subject, as_of, &res);
    civic_result_free(res);
    res = NULL;
    rc[2] = civic_engine_rank(e, NULL, as_of, 0, &res);
    civic_result_free(res);
    rc[3] = civic_engine_record(e, subject, as_of, &rec);
    civic_record_free(rec);
    rc[4] = civic_engine_groups(e, 1, as_of, &g);
    civic_groups_free(g);
    const char *name = civic_rules_flag_count(r) ? civic_rules_flag_name(r, 0) : "no such list";
    rc[5] = civic_engine_list(e, name, as_of, &l);
    civic_list_free(l);
    for (int i = 0; i < 6; i++)
        FZ_CHECK(rc[i] == CIVIC_E_PURGED, "question %d at %lld, before the purge horizon %lld, "
                 "answered %d", i, (long long)as_of, (long long)civic_engine_purge_horizon(e),
                 rc[i]);
}

/* Query everything at as_of and check the record invariant for every
 * subject (and for one unknown subject). */
static inline void fz_check_all(const civic_engine *e, const fz_bounds *bd, int64_t as_of)
{
    civic_result *res = NULL;
    int rc = civic_engine_subjects(e, as_of, &res);
    if (rc == CIVIC_E_OVERFLOW) return;
    FZ_CHECK(rc == CIVIC_OK, "subjects failed with %d", rc);
    for (size_t i = 0; i < civic_result_count(res); i++) {
        civic_score s = CIVIC_SCORE_INIT, one = CIVIC_SCORE_INIT;
        civic_result_get(res, i, &s);
        FZ_CHECK(s.events > 0, "subject %s listed without events", s.subject);
        fz_check_record(e, bd, s.subject, as_of, res, i);
        civic_result *single = NULL;
        FZ_CHECK(civic_engine_subject(e, s.subject, as_of, &single) == CIVIC_OK, "subject");
        FZ_CHECK(civic_result_count(single) == 1, "subject count");
        civic_result_get(single, 0, &one);
        FZ_CHECK(one.score == s.score && one.balance == s.balance && one.events == s.events &&
                     strcmp(one.group, s.group) == 0 && strcmp(one.flags, s.flags) == 0 &&
                     strcmp(one.measures, s.measures) == 0 && one.archived == s.archived,
                 "subject(%s) differs from subjects()", s.subject);
        civic_result_free(single);
    }
    fz_check_groups(e, res, as_of);
    fz_check_lists(e, res, as_of);
    civic_result_free(res);
    civic_result *unknown = NULL;
    FZ_CHECK(civic_engine_subject(e, "no such subject", as_of, &unknown) == CIVIC_OK,
             "unknown subject");
    civic_score u = CIVIC_SCORE_INIT;
    civic_result_get(unknown, 0, &u);
    FZ_CHECK(u.events == 0 && u.balance == 0, "unknown subject has events");
    civic_result_free(unknown);
}

#endif
