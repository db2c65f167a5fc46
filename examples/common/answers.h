/*
** answers.h -- the one JSON writer of libcivic's answers, shared by the front
** ends (civic-score now; civic-server).  docs/answers.md is the vocabulary it
** writes; this header is its programming interface.
**
** Why one writer: the CLI's JSON, the service's JSON and the Python objects
** must use the same field names and value forms for the same things.  Code
** that writes an answer any other way drifts; code that calls these
** functions cannot.
**
** Value forms (every function below):
**   points (score, balance, raw, counted, ceiling, mean ...)  a JSON number
**       with exactly two decimals: 990.00, -10.00 (civic_format_fixed);
**   qty                      a JSON number with exactly three decimals: 2.500;
**   counts, depth, rank      JSON integers;
**   times (as_of, ts, end)   a JSON string "YYYY-MM-DDTHH:MM:SS+HH:MM" in the
**       scheme's utc_offset (civic_rules_format_time); an end that never comes
**       is the string "forever"; a time outside the calendar range is written
**       as its Unix seconds, as a string;
**   flags                    a JSON array of strings, sorted, possibly empty;
**   absent text (group, ref) "" -- never null; null only where the field has
**       no value at all (a score's ceiling when none is in effect, the end of
**       an entry that is not a rule event).
**
** Layout: the bytes are exactly civic-score's --format json output (1.0): one
** element of an array per line, the document ending in "\n".  Keys appear in
** the order documented for each function.
**
** Output goes to a sink: a write callback and its context (a FILE *, a
** growing buffer ...).  The writer never allocates, never fails by itself,
** and keeps no state between calls: a sink that cannot write must remember
** that itself (as stdio's error flag does).  Every function may be called
** from any thread as long as the sink and the answer object are not used by
** another thread at the same time (the answers are read-only; see civic.h).
**
** Not here: CSV and text tables (the CLI's own), HTTP status codes and
** headers (the service's own).
*/
#ifndef CIVIC_ANSWERS_H
#define CIVIC_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "civic.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct answers_sink {
    /* Write len bytes (no NUL).  Called many times per answer, with pieces as
     * small as one byte; buffer in the sink if that matters. */
    void (*write)(void *ctx, const char *data, size_t len);
    void *ctx;
} answers_sink;

/* A sink that fwrite()s to `f` (the CLI's). */
answers_sink answers_file_sink(FILE *f);

/* Flags of answers_subjects() and answers_score(). */
#define ANSWERS_RANKED   0x1u  /* rows carry "rank" (first key): rankings   */
#define ANSWERS_NO_DIMS  0x2u  /* leave "dimensions" out (none requested)   */
/* Flag of answers_record() and answers_entry(). */
#define ANSWERS_DETAIL   0x4u  /* rule entries also carry qty, flag,
                                  ceiling and affects (the service's record,
                                  civic-score --explain --detail) */
/* Flag of every answer: the version-2 keys (tiers, measures, archived, and
 * the entry keys eff, from, act, source, merged_with, frozen, contested,
 * floored, to_balance, corrected).  Pass it when civic_engine_spec_version()
 * is 2, so that version-1 inputs keep their 1.0 bytes. */
#define ANSWERS_V2       0x8u
/* Flag of answers_record(): "ceiling" (the lowest ceiling in effect, points
 * or null, as in a score row) right after "flags", so that the record alone
 * adds up to the score (civic-score --explain --detail, the service's
 * record).  A flag of its own, not part of ANSWERS_DETAIL, which
 * answers_entry() takes too. */
#define ANSWERS_CEILING  0x10u

/* Primitives, for envelopes the functions below do not cover. */
void answers_string(const answers_sink *out, const char *s);     /* "..." escaped */
void answers_points(const answers_sink *out, int64_t hundredths); /* 990.00 */
void answers_qty(const answers_sink *out, int64_t thousandths);   /* 2.500 */
void answers_time(const answers_sink *out, const civic_rules *rules, int64_t t);
void answers_flags(const answers_sink *out, const char *flags);   /* "a;b" -> ["a","b"] */
void answers_raw(const answers_sink *out, const char *text);      /* unescaped bytes */
/* The name of a rule entry's affects bits: "both", "score" or "balance" (the
 * JSON's value, and the CLI's CSV column). */
const char *answers_affects_name(uint32_t affects);

/* One score row (row i of `res`), as one JSON object, keys in this order:
 * rank (only with ANSWERS_RANKED), subject, group, score, grade, balance,
 * flags, ceiling (points or null), events, dimensions ({name: points} in the
 * scheme's dimension order; left out with ANSWERS_NO_DIMS); with ANSWERS_V2
 * then tiers ({tier: level name or null} in scheme order) and measures
 * (sorted codes). */
void answers_score(const answers_sink *out, const civic_result *res, size_t i, uint32_t flags);

/* The subjects answer -- civic-score without --explain/--groups, and a
 * ranking (civic-score --top, GET /rank):
 *   {"as_of":TIME,"scheme":NAME,"subjects":[ROW,...]}
 * each ROW as answers_score(); pass ANSWERS_RANKED for a ranking. */
void answers_subjects(const answers_sink *out, const civic_rules *rules,
                      const civic_result *res, int64_t as_of, uint32_t flags);

/* One record entry, keys in this order: id, ts, type, kind, state, raw,
 * counted, dimension, capped, escalated, end (time, "forever", or null when
 * the entry is not a rule event), ref, group; with ANSWERS_DETAIL a rule
 * event adds qty, flag ("" for none), ceiling (points or null) and affects
 * ("both", "score" or "balance"); with ANSWERS_V2 every entry adds eff
 * (time), from (time of the rule version, null for the base table or a
 * non-rule entry), act, source, merged_with (strings, null when none),
 * frozen, contested, floored (booleans), to_balance (points for rule
 * events and redeems, null otherwise) and corrected (time from which the
 * earliest correction dated at or before the as-of time lifted a rule event's
 * ceiling and freeze; null when none did, and for other kinds). */
void answers_entry(const answers_sink *out, const civic_rules *rules, const civic_entry *x,
                   uint32_t flags);

/* The credit record -- civic-score --explain, GET /subjects/{id}/record:
 *   {"subject","as_of","score","grade","balance","flags","group","entries":[ENTRY,...]}
 * the summary fields as in answers_score(); with ANSWERS_CEILING, "ceiling"
 * (points or null) between "flags" and "group"; with ANSWERS_V2, "archived" (the
 * number of entries archived by retention), "tiers" and "measures" come
 * before "entries". */
void answers_record(const answers_sink *out, const civic_rules *rules, const civic_record *rec,
                    int64_t as_of, uint32_t flags);

/* One group's statistics (row i of `g`), keys in this order: group (the
 * path; "" for depth 0), depth, subjects, mean, median, min, max, balance,
 * grades ({grade name: subjects} in grade order). */
void answers_group(const answers_sink *out, const civic_groups *g, size_t i);

/* Bytes of the first `depth` segments of path (a subject's group), or
 * SIZE_MAX when it has fewer (the subject is in no group at that depth): the
 * group at `depth` it belongs to is path[0..n), as civic_engine_groups
 * makes them. */
size_t answers_group_prefix(const char *path, uint32_t depth);

/* The index in g (groups at `depth`, sorted by path bytewise) of the group a
 * subject whose group is `path` belongs to, or SIZE_MAX when the path has
 * fewer than `depth` segments (the subject is in no group there).  A binary
 * search: the notice page and the CLI's rankings ask it for every row. */
size_t answers_group_of(const civic_groups *g, uint32_t depth, const char *path);

/* The groups answer -- civic-score --groups D, GET /groups:
 *   {"as_of":TIME,"groups":[GROUP,...]} */
void answers_groups(const answers_sink *out, const civic_rules *rules, const civic_groups *g,
                    int64_t as_of);

/* Rankings within groups -- civic-score --groups D --top N:
 *   {"rankings":[{"group","rank","subject","score","grade"},...]}
 * written in pieces: begin, one row per ranked subject (row i of res, whose
 * score s is; first: nonzero for the first row of the document), end; with
 * ANSWERS_V2 a row adds "tiers" and "measures", as answers_score does. */
void answers_rankings_begin(const answers_sink *out);
void answers_rankings_row(const answers_sink *out, const char *group, const civic_result *res,
                          size_t i, const civic_score *s, uint32_t flags, int first);
void answers_rankings_end(const answers_sink *out);

/* A list -- civic-score --list NAME, GET /lists/{name}:
 *   {"as_of":TIME,"list":NAME,"kind":"flag"|"measure","subjects":[ROW,...]}
 * ROW: {"subject","group","score","grade","since","until"}; since and until
 * are times, until "forever" when the stretch has no end, both null for a
 * measure. */
void answers_list(const answers_sink *out, const civic_rules *rules, const civic_list *list,
                  const char *name, int64_t as_of);

/* One objection still to decide (civic-score --objections, civic-server's
 * GET /objections; objections.h gathers them): its subject and
 * the subject's group, the objection's id and ts (filed), and the contested
 * entry's id, type, state name at the as-of time (civic_state_name: active,
 * expired, repaired, contested, pending, merged ...; whether it still counts),
 * raw and counted points (the record's, as in its civic_entry). */
typedef struct answers_objection {
    const char *subject, *group, *objection;
    int64_t filed;
    const char *entry, *type, *state;
    int64_t raw, counted;
} answers_objection;

/* The objections still to decide -- civic-score --objections:
 *   {"as_of":TIME,"objections":[ROW,...]}
 * ROW: {"subject","group","objection","filed","entry","type","state","raw",
 *       "counted"},
 * the n rows in the order given (objections_collect's, objections.h: filed,
 * subject, objection id). */
void answers_objections(const answers_sink *out, const civic_rules *rules,
                        const answers_objection *rows, size_t n, int64_t as_of);

/* An error answer: {"error":STRERROR,"line":N,"column":N,"reason":MESSAGE}
 * for a library status `code` and the error struct a call filled (NULL, or
 * one without a message: line and column 0, reason = civic_strerror). */
void answers_error(const answers_sink *out, int code, const civic_error *err);

#ifdef __cplusplus
}
#endif
/* The length of the valid UTF-8 sequence at s (at most `left` bytes), 0 for
 * an invalid one or a NUL: no overlong forms, surrogates or code points past
 * U+10FFFF. */
size_t utf8_seq(const unsigned char *s, size_t left);
/* s[0..n) is valid UTF-8 without NUL. */
bool utf8_valid(const char *s, size_t n);
/* The format a log's content gives, as civic_engine_load reads it:
 * CIVIC_FORMAT_JSONL when its first byte that is not blank (after a UTF-8
 * byte-order mark) is '{', else CIVIC_FORMAT_CSV. */
uint32_t log_format_of(const char *s, size_t n);

#endif /* CIVIC_ANSWERS_H */
