/*
** civic.h -- the public interface of libcivic.  Nothing outside this file is API.
**
** libcivic turns an event log into community points and credit records for
** residents and organisations ("subjects"), under a configurable rule set
** ("scheme"), as described in docs/ (start at docs/README.md). Every answer is a pure function of
** (the set of events, the rules, the as-of time): never of arrival order
** (but see civic_engine_purge: after a purge, an event that arrives late
** and points at, or shares an act with, a removed one is judged by what
** is left).
**
** Conventions
**   - Every stateful object is opaque and created by civic_X_new()/parse(),
**     released by civic_X_free(), which accepts NULL and never fails.
**   - Every fallible function returns int: CIVIC_OK (0), a positive value for
**     "success with information" (CIVIC_DUPLICATE), or a negative CIVIC_E_*.
**   - Functions that read text take an optional civic_error * (may be NULL)
**     that receives the code, line, column, byte offset and a message.  Filling
**     it never allocates.
**   - Points are int64_t fixed point in hundredths (1000.00 points = 100000).
**     Quantities are int64_t in thousandths.  Times are int64_t Unix seconds.
**   - Structs that may grow start with a `version` field; initialise them with
**     their _INIT macro.  Fields are only ever appended.
**
** Threads
**   - civic_rules is immutable after parsing and may be shared by any number
**     of threads and engines (it is reference counted).
**   - Every civic_engine function is thread-safe, but civic_engine_free (no
**     other thread may be using the engine) and a journal in a fork()'s
**     child (below).  Queries (civic_engine_subject,
**     _subjects, _rank, _record, _groups, _event_count, _save ...) run
**     concurrently; writes (civic_engine_add, _load, _load_file,
**     _load_snapshot, _journal_open, _journal_close) are serialized against
**     each other and against queries, so a query sees either none or all of
**     a batch.
**   - Answer objects (civic_result, civic_record, civic_groups) are immutable
**     and own all their memory: they may be read from any thread, and they
**     stay valid after the engine and rules are freed.  Free each once.
**   - Allocator hooks must be thread-safe if the engine is used from several
**     threads.
**   - Threads the library starts (a journal's group sync, load helpers, query
**     workers, the fault-ahead of adds) block every signal: a signal sent to
**     the process goes to one of the program's own threads (since 1.1).
**   - fork(): a child made while another thread of the parent is inside a
**     call on an engine must not call that engine: the child's copy of its
**     lock is held by a thread that does not exist there, and the call waits
**     for ever.  Fork when no other thread is in a call, or before creating
**     engines (a multiprocessing pool, say), or use engines made in the
**     child.  (A journal's writes fail in a child in any case: below.)
**
** Caveats
**   - Field and size limits are listed under "Limits" below; inputs past them
**     are rejected with CIVIC_E_LIMIT, never truncated.
**   - All arithmetic is checked: a sum that would overflow 64 bits makes the
**     query fail with CIVIC_E_OVERFLOW instead of wrapping.
**   - The hash tables of event ids, subjects and groups are keyed with a
**     random key per process, so that nobody posting events can choose ids
**     that collide.  The environment variable CIVIC_HASH_SEED=N, read as
**     the library loads (or the first engine is made), fixes the key (to
**     repeat a run exactly) when N is a whole number (decimal, 0x hex, 0
**     octal; 0 is the one key everybody knows); any other value is ignored.
**     No answer and nothing written to disk depends on it.
*/
#ifndef CIVIC_H
#define CIVIC_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(CIVIC_STATIC)
#  if defined(CIVIC_BUILDING)
#    define CIVIC_API __declspec(dllexport)
#  else
#    define CIVIC_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CIVIC_API __attribute__((visibility("default")))
#else
#  define CIVIC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ===================================================================== */
/* Version                                                               */
/* ===================================================================== */

#define CIVIC_VERSION_MAJOR 1
#define CIVIC_VERSION_MINOR 1
#define CIVIC_VERSION_PATCH 0
#define CIVIC_VERSION "1.1.0"
/* MAJOR*1000000 + MINOR*1000 + PATCH, readable in decimal (SQLite's rule). */
#define CIVIC_VERSION_NUMBER 1001000
#define CIVIC_VERSION_CHECK(major, minor, patch) \
    (CIVIC_VERSION_NUMBER >= (major) * 1000000 + (minor) * 1000 + (patch))
/* The ABI major: the N of libcivic.so.N.  It moves only on an ABI break. */
#define CIVIC_SOVERSION 1

/** The version string of the library actually linked, e.g. "1.0.0".
 *  Ownership: static.  Threads: any. */
CIVIC_API const char *civic_version(void);

/** CIVIC_VERSION_NUMBER of the library actually linked.  Compare it with the
 *  macro at start-up to catch a header/library mismatch.  Threads: any. */
CIVIC_API uint32_t civic_version_number(void);

/* ===================================================================== */
/* Status codes (stable forever)                                         */
/* ===================================================================== */

#define CIVIC_OK            0   /* success */
#define CIVIC_DUPLICATE     1   /* success: the event was already known, identical */
#define CIVIC_E_INVALID   (-1)  /* a bad argument (NULL, wrong flag, closed object) */
#define CIVIC_E_NOMEM     (-2)  /* an allocation failed; nothing was changed, but
                                    by civic_engine_journal_open and
                                    civic_engine_compact: each says what it leaves */
#define CIVIC_E_SYNTAX    (-3)  /* malformed text: rules TOML, CSV or JSON */
#define CIVIC_E_RULES     (-4)  /* a rules file that parses but is not valid */
#define CIVIC_E_EVENT     (-5)  /* an event with a missing or bad field */
#define CIVIC_E_CONFLICT  (-6)  /* an event id seen before with other fields */
#define CIVIC_E_OVERFLOW  (-7)  /* arithmetic would overflow 64 bits */
#define CIVIC_E_LIMIT     (-8)  /* a documented size or count limit exceeded */
#define CIVIC_E_IO        (-9)  /* a file could not be read or written */
#define CIVIC_E_VERSION  (-10)  /* a struct's version field is not supported */
#define CIVIC_E_CORRUPT  (-11)  /* a stored file (snapshot, journal) is damaged */
#define CIVIC_E_MISMATCH (-12)  /* a stored file belongs to other rules */
#define CIVIC_E_USER     (-13)  /* a callback asked to stop; never produced otherwise */
/* Since 1.1: */
#define CIVIC_E_PURGED   (-14)  /* the question is about a time before a purge's horizon */
#define CIVIC_E_NOTFOUND (-15)  /* no list of that name in the scheme (civic_engine_list) */

/** Static English text for a status code ("out of memory" ...); unknown codes
 *  give "unknown error".  Ownership: static.  Threads: any. */
CIVIC_API const char *civic_strerror(int code);

/* ===================================================================== */
/* Error details                                                         */
/* ===================================================================== */

#define CIVIC_ERROR_VERSION 1
#define CIVIC_ERROR_MESSAGE_SIZE 256

/** Where and why a text input was rejected.  Written into memory the caller
 *  owns; never allocates.  The library fills only the fields of the version
 *  the caller set; a civic_error with version 0 is left untouched.  line and column are 1-based (0 = not known); the
 *  column counts bytes from the start of the line. */
typedef struct civic_error {
    uint32_t version;                 /* CIVIC_ERROR_VERSION */
    int32_t code;                     /* the CIVIC_E_* that was returned */
    uint64_t line;                    /* 1-based line of the input; 0 = none */
    uint32_t column;                  /* 1-based byte column; 0 = none */
    uint32_t reserved;                /* zero */
    uint64_t offset;                  /* 0-based byte offset into the input; for
                                         a bad line, of its record's first byte */
    char message[CIVIC_ERROR_MESSAGE_SIZE]; /* NUL-terminated English text */
} civic_error;

#define CIVIC_ERROR_INIT { CIVIC_ERROR_VERSION, 0, 0, 0, 0, 0, { 0 } }

/* ===================================================================== */
/* Allocator hooks                                                       */
/* ===================================================================== */

/** Memory functions with a context pointer.  Sizes are passed back on
 *  realloc and free, so pool and arena allocators are easy to write.  A NULL
 *  civic_allocator * means the C library's malloc/realloc/free, and so does
 *  one whose malloc_fn, realloc_fn or free_fn is NULL: the three hooks are
 *  used together or not at all (an engine given such an allocator still
 *  defaults to one thread, as with any allocator).  The hooks
 *  must be thread-safe when one allocator serves several threads.  This
 *  struct is frozen: it will never grow (a richer interface would be a new
 *  struct with a version field). */
typedef struct civic_allocator {
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void (*free_fn)(void *ctx, void *ptr, size_t size);
    void *ctx;
} civic_allocator;

/* ===================================================================== */
/* Limits                                                                */
/* ===================================================================== */

#define CIVIC_ID_BYTES_MAX       128u      /* event id, subject id, ref */
#define CIVIC_GROUP_BYTES_MAX    255u      /* group path */
#define CIVIC_CODE_BYTES_MAX     64u       /* rule, cap, flag, dimension names */
#define CIVIC_NAME_BYTES_MAX     256u      /* scheme and grade names */
#define CIVIC_LINE_BYTES_MAX     1048576u  /* one CSV record or JSON line */
#define CIVIC_RULES_BYTES_MAX    16777216u /* one rules file */
#define CIVIC_RULE_COUNT_MAX     16384u    /* rules in a scheme; distinct flags */
#define CIVIC_GRADE_COUNT_MAX    64u       /* grades in a scheme */
#define CIVIC_CAP_COUNT_MAX      16384u    /* shared caps in a scheme */
#define CIVIC_DIMENSION_COUNT_MAX 256u     /* distinct dimensions */
#define CIVIC_GROUP_DEPTH_MAX    64u       /* segments of a group path */
/* Points: |points|, |base|, bounds, ceilings, cap limits, redeem qty. */
#define CIVIC_POINTS_MAX         INT64_C(1000000000000)   /* 1e12 points */
/* Quantities: qty of a rule event, in units. */
#define CIVIC_QTY_MAX            INT64_C(1000000000000)   /* 1e12 units */
/* Times: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
#define CIVIC_TIME_MIN           INT64_C(-62135596800)
#define CIVIC_TIME_MAX           INT64_C(253402300799)
#define CIVIC_FOREVER            INT64_MAX  /* the end of an effect that never ends */
#define CIVIC_NO_TIME            INT64_MIN  /* "no such time" (since 1.1) */

/* ===================================================================== */
/* Rules                                                                 */
/* ===================================================================== */

/** A parsed, validated scheme.  Immutable and reference counted: engines
 *  keep their own reference, so the caller may free its rules at any time. */
typedef struct civic_rules civic_rules;

/** Parse and validate a rules file (docs/rules.md) from `len` bytes of text.
 *  @param out    receives the rules; set to NULL on failure.
 *  @param text   UTF-8 TOML subset; need not be NUL-terminated.
 *  @param alc    allocator for the rules, or NULL for malloc.
 *  @param err    optional: line, column and message of the first problem.
 *  @return CIVIC_OK, CIVIC_E_SYNTAX (malformed TOML), CIVIC_E_RULES (unknown
 *          key, failed check), CIVIC_E_LIMIT, CIVIC_E_NOMEM, CIVIC_E_INVALID.
 *  Ownership: the caller frees *out with civic_rules_free.  Threads: any. */
CIVIC_API int civic_rules_parse(civic_rules **out, const char *text, size_t len,
                                const civic_allocator *alc, civic_error *err);

/** civic_rules_parse on the contents of the file at `path`.
 *  @return as civic_rules_parse, plus CIVIC_E_IO when the file cannot be read. */
CIVIC_API int civic_rules_load_file(civic_rules **out, const char *path,
                                    const civic_allocator *alc, civic_error *err);

/** The built-in "community" scheme (see civic_rules_default_text).  Since
 *  1.1 it is the revised scheme (a version-2 scheme: publicity, objections,
 *  retention, tiers, measures), so its answers differ from 1.0's built-in
 *  scheme, and files saved under 1.0's fail with CIVIC_E_MISMATCH naming
 *  the way out: the 1.0 scheme is shipped as examples/data/community-1.0.toml
 *  (installed with the documentation); parse it with civic_rules_parse to
 *  keep 1.0's answers.
 *  @return CIVIC_OK, CIVIC_E_NOMEM, CIVIC_E_INVALID. */
CIVIC_API int civic_rules_default(civic_rules **out, const civic_allocator *alc);

/** The TOML text of the built-in scheme.  Ownership: static. */
CIVIC_API const char *civic_rules_default_text(void);

/** Drop the caller's reference.  NULL is a no-op. */
CIVIC_API void civic_rules_free(civic_rules *rules);

/** The scheme's name ("" when unnamed).  Ownership: borrowed from rules. */
CIVIC_API const char *civic_rules_name(const civic_rules *rules);

/** The scheme's base score in hundredths. */
CIVIC_API int64_t civic_rules_base(const civic_rules *rules);

/** The scheme's utc_offset in seconds east of UTC. */
CIVIC_API int32_t civic_rules_utc_offset(const civic_rules *rules);

/** Grades in file order (highest first).  Out-of-range i gives NULL.
 *  civic_rules_grade_min gives CIVIC_E_INVALID for the last grade when it
 *  has no min.  Ownership: names are borrowed from rules. */
CIVIC_API size_t civic_rules_grade_count(const civic_rules *rules);
CIVIC_API const char *civic_rules_grade_name(const civic_rules *rules, size_t i);
CIVIC_API int civic_rules_grade_min(const civic_rules *rules, size_t i, int64_t *out);

/** Rule codes in file order, and dimension labels in first-use order: rules in
 *  file order, each followed by its [[rule.CODE.change]] tables (wherever they
 *  stand in the file), a label placed by the first of these to use it.
 *  "general", the label of a rule without one, is placed so only where a rule
 *  or change writes dimension = "general"; otherwise it comes last (and is the
 *  one label of a scheme without rules). */
CIVIC_API size_t civic_rules_rule_count(const civic_rules *rules);
CIVIC_API const char *civic_rules_rule_code(const civic_rules *rules, size_t i);
CIVIC_API size_t civic_rules_dimension_count(const civic_rules *rules);
CIVIC_API const char *civic_rules_dimension_name(const civic_rules *rules, size_t i);

/** A 64-bit fingerprint of the rules' meaning (not of comments or spacing):
 *  two rules with the same fingerprint score every log identically. */
CIVIC_API uint64_t civic_rules_fingerprint(const civic_rules *rules);

/** Parse a timestamp in any form of docs/events.md (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS with
 *  optional fraction and Z/±HH:MM, integer Unix seconds); forms without an
 *  offset are read in the scheme's local time.
 *  @return CIVIC_OK, CIVIC_E_EVENT (bad timestamp), CIVIC_E_LIMIT (outside
 *          CIVIC_TIME_MIN..MAX), CIVIC_E_INVALID. */
CIVIC_API int civic_rules_parse_time(const civic_rules *rules, const char *text,
                                     size_t len, int64_t *out);

/** civic_rules_parse_time, saying why a time is refused (since 1.1): err's
 *  message is the reason as a log's ts is told it ("day out of range for
 *  the month", "time of day out of range", "month out of range", "UTC
 *  offset out of range (-23:59..+23:59)", "bad UTC offset (expected Z or
 *  +HH:MM)", "bad timestamp (expected ...)", "timestamp out of range (years
 *  0001..9999 in UTC)"), without the text, which the caller names as it was
 *  given.  The reason begins "bad timestamp" exactly when the text has none
 *  of the accepted forms (a caller may put its own list of forms in its
 *  place: the reason's first ")" ends the library's); every other reason
 *  names the part that is wrong.  Such a reason goes on, where the text
 *  most likely means a time written otherwise, with what it is, in
 *  parentheses, as a log's ts is told it: "bad timestamp (expected ...)
 *  (the seconds are required: write 2025-11-28T19:04:00)", "(day.month.year?
 *  write 2026-12-01)", "(U+FF12 is a full-width character)", "(a database's
 *  NULL? it is no time)" (since 1.1); "bad UTC offset (expected Z or
 *  +HH:MM)" goes on so where the offset lacks its ':' (+0800): "(write
 *  +08:00)".
 *  @return as civic_rules_parse_time. */
CIVIC_API int civic_rules_parse_time_ext(const civic_rules *rules, const char *text,
                                         size_t len, int64_t *out, civic_error *err);

/** Format t as "YYYY-MM-DDTHH:MM:SS±HH:MM" in the scheme's local time
 *  (26 bytes with the NUL; 27 when the local year is 10000, the last hours of
 *  CIVIC_TIME_MAX east of UTC, written with five digits as since 1.0).
 *  @return CIVIC_OK, or CIVIC_E_INVALID (buf then holds "") when buf is too
 *  small or t is outside CIVIC_TIME_MIN..MAX. */
CIVIC_API int civic_rules_format_time(const civic_rules *rules, int64_t t,
                                      char *buf, size_t size);

/* ===================================================================== */
/* Engine                                                                */
/* ===================================================================== */

typedef struct civic_engine civic_engine;

#define CIVIC_ENGINE_OPTIONS_VERSION 1
typedef struct civic_engine_options {
    uint32_t version;                 /* CIVIC_ENGINE_OPTIONS_VERSION */
    uint32_t flags;                   /* reserved, must be 0 */
    const civic_allocator *allocator; /* NULL: malloc */
    uint64_t events_max;              /* 0 (or anything larger): the limit,
                                         4294967294 */
    uint32_t threads;                 /* worker threads for bulk loads and all-subject
                                         queries (and, above 1, one that faults in
                                         memory ahead of a stream of adds); 0: the
                                         CPUs the process may run on (its affinity;
                                         at most 8), or 1 when a custom allocator is
                                         given; 1: none; above 8: 8 (the most
                                         any call uses) */
    uint32_t reserved;                /* zero */
} civic_engine_options;
#define CIVIC_ENGINE_OPTIONS_INIT { CIVIC_ENGINE_OPTIONS_VERSION, 0, NULL, 0, 0, 0 }

/** Create an empty engine scoring under `rules` (the engine takes its own
 *  reference).  opts may be NULL for defaults.  With threads > 1 the engine
 *  parses large CSV batches and evaluates all subjects on that many internal
 *  threads (created per call, joined before it returns); answers are
 *  identical to threads = 1, and the allocator hooks must then be thread-safe.
 *  @return CIVIC_OK, CIVIC_E_NOMEM, CIVIC_E_INVALID, CIVIC_E_VERSION.
 *  Ownership: free *out with civic_engine_free. */
CIVIC_API int civic_engine_new(civic_engine **out, civic_rules *rules,
                               const civic_engine_options *opts);

/** Free the engine and everything it holds.  NULL is a no-op.  No other
 *  thread may be using the engine. */
CIVIC_API void civic_engine_free(civic_engine *engine);

/** The engine's rules.  Ownership: borrowed, valid while the engine lives. */
CIVIC_API const civic_rules *civic_engine_rules(const civic_engine *engine);

#define CIVIC_EVENT_VERSION 2
/** One event, as text, exactly as a CSV line would give it (docs/events.md).
 *  Strings are NUL-terminated UTF-8; NULL or "" means absent for the optional
 *  fields.  The engine copies what it keeps.  A caller built against 1.0
 *  sets version 1 and has no act or source; both are then absent. */
typedef struct civic_event {
    uint32_t version;    /* CIVIC_EVENT_VERSION */
    uint32_t reserved;   /* zero */
    const char *id;      /* required, 1..128 bytes, unique in the engine */
    const char *subject; /* required, 1..128 bytes */
    const char *type;    /* required: a rule code or a built-in type: "revoke",
                            "repair", "redeem", "object", "dismiss", "correct" */
    const char *ts;      /* required: any civic_rules_parse_time form */
    const char *qty;     /* optional decimal, default 1 */
    const char *group;   /* optional path a/b/c, 0..255 bytes */
    const char *ref;     /* the target id, for revoke, repair, object, dismiss
                            and correct */
    /* version 2 (libcivic 1.1): */
    const char *act;     /* optional: rule events of one subject with the same
                            act are one act and count once; 1..128 bytes */
    const char *source;  /* optional: who recorded it; 0..128 bytes */
} civic_event;
#define CIVIC_EVENT_INIT { CIVIC_EVENT_VERSION, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
                           NULL, NULL }

/** Add one event.  Identical to an event already held (same id and same
 *  fields after parsing): nothing changes and CIVIC_DUPLICATE is returned.
 *  @return CIVIC_OK, CIVIC_DUPLICATE, CIVIC_E_EVENT, CIVIC_E_CONFLICT,
 *          CIVIC_E_LIMIT, CIVIC_E_OVERFLOW (points x qty x repeat_factor past
 *          2^60 hundredths),
 *          CIVIC_E_NOMEM, CIVIC_E_INVALID, CIVIC_E_VERSION (an event version
 *          this library does not know).  On error the engine is unchanged
 *          and err (optional) says which field (column = field number).
 *  Threads: a write; serialized with other writes and with queries. */
CIVIC_API int civic_engine_add(civic_engine *engine, const civic_event *event,
                               civic_error *err);

#define CIVIC_FORMAT_AUTO  0u  /* by file extension, else by content */
#define CIVIC_FORMAT_CSV   1u
#define CIVIC_FORMAT_JSONL 2u

#define CIVIC_LOAD_LENIENT 0x1u /* skip bad lines instead of failing the batch */

/** Called once per rejected line in lenient mode, in line order, on the
 *  loading thread.  Return 0 to go on; anything else stops the load, which
 *  then fails with CIVIC_E_USER and leaves the engine unchanged.  err is
 *  valid only during the call.  The call runs inside the load's write: it
 *  may query the engine (and sees the batch so far, not yet committed), but
 *  a write to it (add, load, purge, journal open or close, reserve), a save
 *  or a compaction fails with CIVIC_E_INVALID, and it must not free it.
 *  The same holds through another engine's callback called from it.  It
 *  must not wait for another thread that uses the engine (that thread waits
 *  for the load); a query of another engine waits for that engine's write,
 *  so two lenient loads whose callbacks each query the other's engine wait
 *  for each other for ever (query the other engine outside the load, or
 *  always in one order).  It must return: leaving it by longjmp() or a C++
 *  exception leaves the engine locked and the thread's state inside the
 *  library stale (later calls on that thread may crash); to stop, return
 *  non-zero and raise after the load returns CIVIC_E_USER. */
typedef int (*civic_reject_fn)(void *payload, const civic_error *err);

#define CIVIC_LOAD_OPTIONS_VERSION 1
typedef struct civic_load_options {
    uint32_t version;          /* CIVIC_LOAD_OPTIONS_VERSION */
    uint32_t format;           /* CIVIC_FORMAT_* */
    uint32_t flags;            /* CIVIC_LOAD_* bits */
    uint32_t reserved;         /* zero */
    civic_reject_fn on_reject; /* optional, lenient mode */
    void *payload;             /* passed to on_reject */
} civic_load_options;
#define CIVIC_LOAD_OPTIONS_INIT { CIVIC_LOAD_OPTIONS_VERSION, 0, 0, 0, NULL, NULL }

#define CIVIC_LOAD_REPORT_VERSION 1
typedef struct civic_load_report {
    uint32_t version;    /* CIVIC_LOAD_REPORT_VERSION, set by the caller */
    uint32_t reserved;
    uint64_t lines;      /* physical lines read, header included */
    uint64_t accepted;   /* new events applied */
    uint64_t duplicates; /* identical events already known (or repeated) */
    uint64_t rejected;   /* bad lines skipped (lenient) or 1 (strict failure) */
} civic_load_report;
#define CIVIC_LOAD_REPORT_INIT { CIVIC_LOAD_REPORT_VERSION, 0, 0, 0, 0, 0 }

/** Load a CSV (RFC 4180, header by name, optional BOM, LF or CRLF) or JSON
 *  Lines buffer as one batch.  Strict (default): the first bad line fails
 *  the whole batch, err names it, and nothing of the batch is applied.
 *  Lenient: bad lines are skipped and reported through on_reject; every good
 *  line is applied.  CIVIC_FORMAT_AUTO looks at the first byte that is not
 *  a BOM or white space: '{' means JSON Lines, anything else CSV.
 *  opts, report and err may be NULL.
 *  @return CIVIC_OK, CIVIC_E_SYNTAX, CIVIC_E_EVENT, CIVIC_E_CONFLICT,
 *          CIVIC_E_LIMIT, CIVIC_E_OVERFLOW, CIVIC_E_NOMEM, CIVIC_E_USER,
 *          CIVIC_E_INVALID, CIVIC_E_VERSION.  On any error the engine is
 *          unchanged.
 *  Threads: one write for the whole batch. */
CIVIC_API int civic_engine_load(civic_engine *engine, const char *data, size_t len,
                                const civic_load_options *opts,
                                civic_load_report *report, civic_error *err);

/** civic_engine_load on a file, read in pieces (memory stays proportional
 *  to the events, not to the file).  CIVIC_FORMAT_AUTO chooses by extension
 *  (.csv; .jsonl or .ndjson), else by content.  "-" is NOT standard input.
 *  @return as civic_engine_load, plus CIVIC_E_IO. */
CIVIC_API int civic_engine_load_file(civic_engine *engine, const char *path,
                                     const civic_load_options *opts,
                                     civic_load_report *report, civic_error *err);

/** Make room for `events` more events now (the event array and the id
 *  index), so that the adds and loads that bring them do not grow the
 *  engine in steps (each step copies or rehashes what is held, on fresh
 *  memory): for a program that knows about how much it will feed.  A
 *  hint: no answer changes, and the engine still grows past it.  Capped
 *  at the engine's events_max (so reserving UINT64_MAX asks for room for
 *  events_max events, and fails with CIVIC_E_NOMEM if that much memory
 *  cannot be had).  Memory: the sizes the engine would grow to
 *  for that many events (32 bytes per event in the array; in the id index
 *  4-8 for ids numbered in about the order they come, 11-21 for others;
 *  each rounded up to a power of two), reserved at once (in an empty
 *  engine, the id index's room when the first id shows which kind it
 *  takes); pages become resident as events are written.  Since 1.1.
 *  @return CIVIC_OK, CIVIC_E_NOMEM (the engine is unchanged but for room
 *          it may have kept), CIVIC_E_INVALID.
 *  Threads: a write, like an add. */
CIVIC_API int civic_engine_reserve(civic_engine *engine, uint64_t events, civic_error *err);

/** Events held (duplicates not counted) and distinct subjects holding at
 *  least one (a subject whose every event a purge removed is not counted). */
CIVIC_API uint64_t civic_engine_event_count(const civic_engine *engine);
CIVIC_API uint64_t civic_engine_subject_count(const civic_engine *engine);

/** The earliest and latest ts of all events held (either pointer may be
 *  NULL).  @return CIVIC_OK, or CIVIC_E_INVALID when the engine is empty. */
CIVIC_API int civic_engine_time_range(const civic_engine *engine, int64_t *first,
                                      int64_t *last);

/* ===================================================================== */
/* Answers: scores                                                       */
/* ===================================================================== */

/** An immutable list of subject scores. */
typedef struct civic_result civic_result;

#define CIVIC_SCORE_VERSION 2
/** One subject's answer at an as-of time (docs/evaluation.md).  The strings are
 *  borrowed from the civic_result (or civic_record) that filled it.  Only the
 *  fields of the caller's version are written. */
typedef struct civic_score {
    uint32_t version;     /* CIVIC_SCORE_VERSION, set by the caller */
    uint32_t grade_index; /* index into the scheme's grades */
    const char *subject;
    const char *group;    /* "" when no event carries a group */
    const char *grade;    /* grade name */
    const char *flags;    /* sorted distinct flags joined by ';', "" if none */
    int64_t score;        /* hundredths, after bounds and ceilings */
    int64_t balance;      /* hundredths, spendable points in the period of T */
    int64_t ceiling;      /* lowest ceiling in effect, CIVIC_FOREVER if none */
    uint64_t events;      /* events of the subject with ts <= T, archived
                             ones not included */
    uint32_t flag_count;
    uint32_t dimension_count;
    uint64_t rank;        /* 1-based position in a ranking; 0 otherwise */
    /* version 2 (libcivic 1.1): */
    const char *measures; /* codes of the measures that apply, sorted, joined
                             by ';'; "" if none */
    uint32_t measure_count;
    uint32_t tier_count;  /* the scheme's tiers: see civic_result_tier */
    uint64_t archived;    /* events with ts <= T archived by retention */
} civic_score;
#define CIVIC_SCORE_INIT { CIVIC_SCORE_VERSION, 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, \
                           NULL, 0, 0, 0 }

/** The answer for one subject at `as_of`, which may be any int64 (every
 *  query takes it so: far enough past CIVIC_TIME_MAX, INT64_MAX included,
 *  the answer is that of the end of time; before CIVIC_TIME_MIN, that of
 *  no events).  A subject without events gets
 *  the base score, balance 0 and the grade of base (the result then holds
 *  one row with events == 0).  A subject id longer than CIVIC_ID_BYTES_MAX,
 *  which no subject can have, fails with CIVIC_E_LIMIT (it is never
 *  truncated into another subject's id).  Any other id is looked up by its
 *  bytes as given, the empty id and ids with control characters too (they
 *  answer as a subject without events, as in 1.0): a front end that takes
 *  ids from people checks them as an event's subject is checked (the CLI
 *  and the service do; the Python binding answers as this call does).
 *  @return CIVIC_OK, CIVIC_E_OVERFLOW, CIVIC_E_LIMIT, CIVIC_E_NOMEM,
 *          CIVIC_E_INVALID, CIVIC_E_PURGED (as_of before the horizon of a
 *          civic_engine_purge; never without one).
 *  Ownership: free *out with civic_result_free.  Threads: a query. */
CIVIC_API int civic_engine_subject(const civic_engine *engine, const char *subject,
                                   int64_t as_of, civic_result **out);

/** Every subject with at least one event at or before as_of, sorted by
 *  subject id bytewise.  @return as civic_engine_subject. */
CIVIC_API int civic_engine_subjects(const civic_engine *engine, int64_t as_of,
                                    civic_result **out);

/** A ranking: the subjects (with an event at or before as_of) whose group is
 *  `group` or lies below it (segment-wise: "a/b" holds "a/b" and "a/b/c",
 *  not "a/bc"), best score first, ties by subject id bytewise; at most `top`
 *  rows (0: all).  group NULL or "" ranks everyone.  Each row's rank field
 *  is its 1-based position.  A group no event can hold (a '/' at its start
 *  or end, an empty segment as in "a//b", more than CIVIC_GROUP_BYTES_MAX
 *  bytes or CIVIC_GROUP_DEPTH_MAX segments) is not refused: it ranks
 *  nobody, CIVIC_OK with no rows, as in 1.0 ("a/" does not rank the
 *  subjects of "a").  A front end that takes groups from people checks
 *  them as an event's group is checked: the Python binding raises
 *  CIVIC_E_INVALID and the service answers 400; civic-score takes no group
 *  path to rank.  @return as civic_engine_subject. */
CIVIC_API int civic_engine_rank(const civic_engine *engine, const char *group,
                                int64_t as_of, uint64_t top, civic_result **out);

CIVIC_API size_t civic_result_count(const civic_result *result);

/** Fill *out with row i.  @return CIVIC_OK, CIVIC_E_INVALID (i out of range,
 *  NULL), CIVIC_E_VERSION (out->version unknown). */
CIVIC_API int civic_result_get(const civic_result *result, size_t i, civic_score *out);

/** The subtotal of row i in dimension d (hundredths; docs/evaluation.md,
 *  step 8) into *out.
 *  @return CIVIC_OK, CIVIC_E_INVALID (i or d out of range, NULL). */
CIVIC_API int civic_result_dimension(const civic_result *result, size_t i, size_t d,
                                     int64_t *out);
/** The number of dimensions and their names, which are the scheme's
 *  (civic_rules_dimension_name); NULL for d out of range. */
CIVIC_API size_t civic_result_dimension_count(const civic_result *result);
CIVIC_API const char *civic_result_dimension_name(const civic_result *result, size_t d);

CIVIC_API void civic_result_free(civic_result *result);

/* ===================================================================== */
/* Answers: tiers and measures (since 1.1)                               */
/* ===================================================================== */

#define CIVIC_LEVEL_NONE UINT32_MAX

#define CIVIC_TIER_VALUE_VERSION 1
/** A subject's standing in one tier (cumulative milestones).  Strings are
 *  borrowed from the answer that filled it. */
typedef struct civic_tier_value {
    uint32_t version;       /* CIVIC_TIER_VALUE_VERSION, set by the caller */
    uint32_t level;         /* index of the level reached, CIVIC_LEVEL_NONE */
    const char *tier;       /* the tier's name */
    const char *level_name; /* NULL when no level is reached */
    int64_t value;          /* the sum the levels are compared with */
    uint32_t places;        /* decimals of value: 3 (a quantity) or 2 (points) */
    uint32_t reserved;
} civic_tier_value;
#define CIVIC_TIER_VALUE_INIT { CIVIC_TIER_VALUE_VERSION, 0, NULL, NULL, 0, 0, 0 }

/** Tier t (0 .. civic_score.tier_count - 1, in scheme order) of row i.
 *  @return CIVIC_OK, CIVIC_E_INVALID (out of range), CIVIC_E_VERSION. */
CIVIC_API int civic_result_tier(const civic_result *result, size_t i, size_t t,
                                civic_tier_value *out);

/* ===================================================================== */
/* Answers: the credit record                                            */
/* ===================================================================== */

typedef struct civic_record civic_record;

/* Entry kinds */
#define CIVIC_KIND_RULE   0u
#define CIVIC_KIND_REVOKE 1u
#define CIVIC_KIND_REPAIR 2u
#define CIVIC_KIND_REDEEM 3u
#define CIVIC_KIND_OBJECT 4u   /* since 1.1 */
#define CIVIC_KIND_DISMISS 5u
#define CIVIC_KIND_CORRECT 6u

/* Entry states (docs/evaluation.md, "The credit record") */
#define CIVIC_STATE_ACTIVE   0u  /* rule event in effect at T */
#define CIVIC_STATE_EXPIRED  1u  /* rule event whose validity ended by T */
#define CIVIC_STATE_REPAIRED 2u  /* rule event ended by a repair */
#define CIVIC_STATE_REVOKED  3u  /* rule event or redeem removed by a revoke */
#define CIVIC_STATE_ACCEPTED 4u  /* redeem that was paid */
#define CIVIC_STATE_REJECTED 5u  /* redeem the balance could not cover */
#define CIVIC_STATE_APPLIED  6u  /* revoke or repair that took effect */
#define CIVIC_STATE_DANGLING 7u  /* revoke or repair without a valid target */
/* since 1.1 */
#define CIVIC_STATE_CONTESTED 8u /* rule event suspended by an objection */
#define CIVIC_STATE_MERGED   9u  /* rule event of an act that another event counts for */
#define CIVIC_STATE_PENDING 10u  /* rule event in its publicity period (eff > T) */
#define CIVIC_STATE_PREMATURE 11u /* repair dated before its target may be repaired */
#define CIVIC_STATE_DISMISSED 12u /* objection that was dismissed */
#define CIVIC_STATE_LATE    13u  /* objection filed after the objection window */

/* Entry marks */
#define CIVIC_MARK_CAPPED    0x1u /* counted is less than raw because of a cap */
#define CIVIC_MARK_ESCALATED 0x2u /* raw was multiplied by repeat_factor */
/* since 1.1 */
#define CIVIC_MARK_FROZEN    0x4u /* an addition made while a freeze was in effect */
#define CIVIC_MARK_CONTESTED 0x8u /* under objection (contested = "mark") */
#define CIVIC_MARK_FLOORED  0x10u /* the balance floor cut what reached the balance */

/* What a rule event affects */
#define CIVIC_AFFECTS_SCORE   0x1u
#define CIVIC_AFFECTS_BALANCE 0x2u

#define CIVIC_ENTRY_VERSION 2
/** One entry of a credit record.  Strings are borrowed from the record.
 *  Only the fields of the caller's version are written. */
typedef struct civic_entry {
    uint32_t version;      /* CIVIC_ENTRY_VERSION, set by the caller */
    uint32_t kind;         /* CIVIC_KIND_* */
    uint32_t state;        /* CIVIC_STATE_* */
    uint32_t marks;        /* CIVIC_MARK_* bits */
    uint32_t affects;      /* CIVIC_AFFECTS_* bits (rule events; 0 otherwise) */
    uint32_t reserved;
    const char *id;
    const char *type;      /* rule code or built-in type name */
    const char *dimension; /* rule events; "" otherwise */
    const char *flag;      /* the rule's flag, "" if none */
    const char *group;     /* the event's group, "" if none */
    const char *ref;       /* target id of revokes, repairs, objections,
                              dismissals, corrections; "" otherwise */
    int64_t ts;
    int64_t end;           /* rule events: when the effect ends (CIVIC_FOREVER: never;
                              a repair ends it early).  States REVOKED, CONTESTED,
                              MERGED and PENDING have no effect at as_of: end
                              repeats eff there, not a validity end */
    int64_t qty;           /* thousandths */
    int64_t raw;           /* hundredths; redeems: minus the amount */
    int64_t counted;       /* hundredths, after caps; 0 if revoked or rejected */
    int64_t ceiling;       /* the rule's ceiling, CIVIC_FOREVER if none */
    /* version 2 (libcivic 1.1): */
    int64_t eff;           /* when it takes effect: ts + the rule's publicity */
    int64_t from;          /* rule events: the `from` of the rule version that
                              governs it, CIVIC_NO_TIME for the base table */
    int64_t to_balance;    /* hundredths it changed the balance of T by (rule
                              events that affect the balance, and redeems) */
    int64_t corrected;     /* rule events: from when a correction (the
                              earliest; only events dated at or before
                              as_of are seen) lifted its ceiling and
                              freeze, CIVIC_FOREVER if none did */
    const char *act;       /* "" if none */
    const char *source;    /* "" if none */
    const char *merged_with; /* state MERGED: id of the act's event that counts */
} civic_entry;
#define CIVIC_ENTRY_INIT { CIVIC_ENTRY_VERSION, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, \
                           NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL }

/** The credit record of a subject at as_of: every event with ts <= as_of in
 *  (eff, id) order (eff = ts unless the rule has a publicity period), with
 *  what it counted and why, plus the score summary.  Entries archived by
 *  retention are not listed; civic_score.archived counts them.
 *  Summing `counted` over the ACTIVE entries that affect the score, adding
 *  base, applying the bounds (clamp; with clamp = "running", after each entry
 *  in the record's order) and the lowest ceiling of the active entries not
 *  corrected by as_of gives the score.
 *  @return as civic_engine_subject.  Ownership: civic_record_free. */
CIVIC_API int civic_engine_record(const civic_engine *engine, const char *subject,
                                  int64_t as_of, civic_record **out);
CIVIC_API size_t civic_record_count(const civic_record *record);
/** Fill *out with entry i (0 .. civic_record_count - 1); a version 1 caller
 *  gets the 1.0 fields and marks.  Strings are borrowed from the record.
 *  @return CIVIC_OK, CIVIC_E_INVALID (i out of range, NULL; checked before
 *          the version), CIVIC_E_VERSION (out->version 0 or newer than
 *          CIVIC_ENTRY_VERSION). */
CIVIC_API int civic_record_entry(const civic_record *record, size_t i, civic_entry *out);
/** Fill *out with the subject's score at as_of, as civic_engine_subject gives it.
 *  @return CIVIC_OK, CIVIC_E_INVALID (NULL), CIVIC_E_VERSION (out->version
 *          0 or newer than CIVIC_SCORE_VERSION). */
CIVIC_API int civic_record_summary(const civic_record *record, civic_score *out);
/** Tier t of the record's subject (since 1.1); see civic_result_tier. */
CIVIC_API int civic_record_tier(const civic_record *record, size_t t, civic_tier_value *out);
CIVIC_API void civic_record_free(civic_record *record);

/** Static names: "active", "expired" ...; "rule", "revoke" ...; NULL if unknown. */
CIVIC_API const char *civic_state_name(uint32_t state);
CIVIC_API const char *civic_kind_name(uint32_t kind);

/* ===================================================================== */
/* Answers: groups                                                       */
/* ===================================================================== */

typedef struct civic_groups civic_groups;

#define CIVIC_GROUP_STATS_VERSION 1
/** Statistics of one group.  Borrowed from the civic_groups. */
typedef struct civic_group_stats {
    uint32_t version;             /* CIVIC_GROUP_STATS_VERSION, set by the caller */
    uint32_t depth;
    const char *path;             /* "a/b" at depth 2; "" at depth 0 */
    uint64_t subjects;
    int64_t mean;                 /* hundredths, rounded half away from zero */
    int64_t median;               /* hundredths; mean of the middle two, rounded */
    int64_t min;                  /* lowest score */
    int64_t max;                  /* highest score */
    int64_t balance;              /* total balance, hundredths */
    const uint64_t *grade_counts; /* civic_groups_grade_count entries, grade order */
} civic_group_stats;
#define CIVIC_GROUP_STATS_INIT { CIVIC_GROUP_STATS_VERSION, 0, NULL, 0, 0, 0, 0, 0, 0, NULL }

/** Per-group statistics at `depth` (docs/evaluation.md, "Groups"), sorted by path bytewise, over
 *  the subjects with an event at or before as_of.  A subject belongs to the
 *  depth-d prefix of its group (docs/evaluation.md, step 9); subjects whose group has
 *  fewer than d segments are left out.  Depth 0 is one group "" of everyone.
 *  @return as civic_engine_subject, plus CIVIC_E_INVALID for depth > 64. */
CIVIC_API int civic_engine_groups(const civic_engine *engine, uint32_t depth,
                                  int64_t as_of, civic_groups **out);
CIVIC_API size_t civic_groups_count(const civic_groups *groups);
/** Fill *out with group i (0 .. civic_groups_count - 1).
 *  @return CIVIC_OK, CIVIC_E_INVALID (i out of range, NULL; checked before
 *          the version), CIVIC_E_VERSION (out->version 0 or newer than
 *          CIVIC_GROUP_STATS_VERSION). */
CIVIC_API int civic_groups_get(const civic_groups *groups, size_t i,
                               civic_group_stats *out);
CIVIC_API size_t civic_groups_grade_count(const civic_groups *groups);
CIVIC_API const char *civic_groups_grade_name(const civic_groups *groups, size_t g);
CIVIC_API void civic_groups_free(civic_groups *groups);

/* ===================================================================== */
/* Durability: snapshots and the journal                                 */
/* ===================================================================== */

/*
** An engine lives in memory.  Two files make it durable:
**
**   snapshot  every event held, in one compact checksummed file, written
**             atomically (temporary file in the same directory, fsync,
**             rename, fsync of the directory): a reader sees the old file or
**             the new one, never a mix.  A writer holds a lock on its
**             temporary file, "<path>.tmp.civic.XXXXXX" (since 1.1: do not
**             name other files so), until the rename; temporary files of
**             the same path that no live writer holds (left by a process
**             killed while saving or compacting) are removed by the next
**             save, snapshot load, journal open or compaction of that path,
**             so they never pile up.  A file named as libcivic 1.0 named
**             them, "<path>.tmp." and six letters or digits (as a copy such
**             as "s.civic.tmp.backup" may be named too), is removed then
**             only when it is a leftover: no writer holds it, and it is
**             empty, a snapshot without its trailer (cut short), a journal
**             of its header alone or less, or another name of a journal's
**             own file.  A complete snapshot (a hard link to the snapshot
**             too), a journal that holds batches and a file of other
**             content stay.
**   journal   an append-only file of checksummed batches.  Once attached,
**             every successful civic_engine_add, _load, _load_file and
**             _load_snapshot is appended BEFORE the call returns success; a
**             batch whose append fails is rolled back and the call fails
**             with CIVIC_E_IO.
**
** Formats: libcivic 1.1 reads every file 1.0 wrote.  A snapshot is written
** in format 1 (readable by 1.0) unless the engine holds something of version
** 2 -- an event with act or source, or a purge's tombstones and horizon --
** and then in format 2.  Journal records say per batch whether their events
** carry act and source; a purge is a record of its own.
**
** Both files record civic_rules_fingerprint: opening them under other rules
** (including the same rules in another order) fails with CIVIC_E_MISMATCH.
** Events are stored as text-equivalent facts (rule codes, not indices) and
** re-validated on load, so a damaged file can never corrupt an engine.
**
** Files are created with mode 0600 (they hold every event).
**
** Recovery is: create an engine, civic_engine_load_snapshot (if the snapshot
** exists), then civic_engine_journal_open on the journal.  Events are
** idempotent (an identical event is a duplicate), and a purge records its
** number in the engine's history (a replay skips one the snapshot holds),
** so replaying a journal that overlaps the snapshot is harmless; this is
** what makes compaction crash-safe (see civic_engine_compact).  Nothing in
** a journal says whether a compaction started it (its header holds no
** generation and no count of the events before it): opened without the
** snapshot it continues, or beside an older one, it is replayed as it is,
** and the open cannot tell; keep the two files together.
**
** What survives a crash (process killed, or machine loses power):
**   CIVIC_SYNC_ALWAYS  every call that returned success: the journal is
**                      fdatasync'ed before it returns.
**   CIVIC_SYNC_GROUP   after a process crash (kill -9), everything that
**                      returned success (the data is in the OS page cache).
**                      After a power loss, every call that returned more
**                      than the group interval plus two fsync durations
**                      before the loss, and everything before the last
**                      successful civic_engine_journal_sync.
**   CIVIC_SYNC_NONE    after a process crash, everything that returned
**                      success; after a power loss, whatever the OS had
**                      written back: possibly nothing since the last
**                      civic_engine_journal_sync.
** Under every policy a batch survives whole or not at all (a batch is
** committed by its last record), and the journal holds a prefix of the
** batches in order.  (A write past a file-size limit, ulimit -f, sends
** SIGXFSZ, which ends the process unless it is ignored: ignore it to get
** CIVIC_E_IO from the append or the snapshot instead.)  A journal whose file is removed while open (rm, its
** directory deleted, another file moved over it), or moved or renamed out
** of its directory's name for it (mv, a log rotation that creates a new
** file there, a hard link made and the name removed) is found at the next
** sync
** (under ALWAYS, the write that does it; under GROUP, the background sync;
** under any policy, civic_engine_journal_sync and
** civic_engine_journal_close): that write fails with CIVIC_E_IO and every
** later one too.  Every batch the file held is then only in the engine:
** civic_engine_compact keeps them (its snapshot holds every event, and the
** fresh journal it starts at the path takes writes again; when another
** file has taken the name, move that file away first: a compaction
** replaces no other file).  Closing the journal and opening it again
** instead starts an empty journal, and those batches are in neither file
** at the next start (after a close, civic_engine_save to the snapshot
** keeps them).  A journal moved or renamed and then given its name back is
** refused still, as its failure said, until a compaction.  Not noticed: a
** move of its directory (a compaction refuses to replace what is at the
** name then), a chroot() since the open, a name deeper than PATH_MAX
** (resolved again at each use), a directory that cannot be searched; nor
** is a second hard link that leaves the name leading to the file a loss.
** A journal truncated in place while open (a log rotation's
** copytruncate) is found where a lost name is (since 1.1; under ALWAYS the
** write, before it; under GROUP the background sync; under any policy
** civic_engine_journal_sync and civic_engine_journal_close): a write under
** GROUP or NONE before then goes on at the old end, behind a hole of zero
** bytes no open reads, and is in the engine.  It is refused as a removed
** one is, until civic_engine_compact keeps its batches.
** Recovery tells a torn tail from damage: when nothing
** intact follows the first unusable record (a record cut short, or never
** written whole, by a crash), or only more records of the batch it is in
** (a batch of several records may reach the disk in any order), the tail
** is truncated and counted in bytes_truncated.  (The unusable record is
** the first of that batch when its header says so, or when its header is
** zero bytes (up to the end of its 512-byte sector, where it runs over
** one), a page a power cut never wrote: a batch acknowledged under
** CIVIC_SYNC_ALWAYS was synced before the next was written.  One whose
** header is damaged otherwise may have been a whole batch of its own,
** acknowledged: the open fails with CIVIC_E_CORRUPT.)  In the second case the
** batch may as well have been written whole and damaged later (one bit
** flipped in its first record): a copy of the whole file is kept first,
** named as for CIVIC_JOURNAL_RECOVER below (since 1.1), when it can be
** written; when it cannot (a read-only directory, a full disk: the copy is
** as big as the journal), the batch is cut without one, as before 1.1,
** since a crash in the write of a batch leaves the same bytes and the
** open must not fail for them.  So too (since 1.1) when nothing intact
** follows the first unusable record but that record is whole in the file
** (its 24-byte header there, not all zero bytes, the length it gives
** within the file) and fails its checksum or a check of its header: a
** write cut short by a crash leaves a record shorter than its length, so
** this one was damaged after it was written (one bit flipped in the last
** batch, acknowledged and synced) or lost pages in a power cut; it is cut,
** the copy kept first when it can be.  A record cut short, or a header of
** zero bytes (pages a power cut never wrote), keeps no copy: so does a
** last record whose length field was flipped past the file's end, which
** reads as one cut short.  Nor is a batch whose middle records were
** removed (bytes taken out, by a faulty copy or an editor, not a crash:
** offsets never move) told from a whole one.  The report says whether a copy was kept and whether the
** record cut was whole (copy_kept, cut_whole: report version 2, since
** 1.1).  When other intact records follow it, the file was damaged in the
** middle, and civic_engine_journal_open fails with CIVIC_E_CORRUPT,
** naming the byte offset and the number of intact batches after it (and,
** apart from them, of intact records of batches not whole, such as the
** rest of the damaged batch), rather
** than drop acknowledged batches -- unless the caller asks for recovery with
** CIVIC_JOURNAL_RECOVER, which keeps a copy of the damaged file first.  (A
** tail so full of damaged records that telling would mean reading it many
** times over fails the same way, saying so.)  A call that fails with
** CIVIC_E_IO is not applied in memory; the file is cut back to where it
** was, and if even that fails (or the fsync itself failed) the journal
** refuses every later write (CIVIC_E_IO) until it is closed and reopened or
** compacted; a batch whose write reached the disk although its call failed
** may then reappear at the next replay, like any write whose acknowledgement
** was lost.  A reopen goes on from what the file holds, which is everything
** acknowledged, except after a failed sync under GROUP or NONE (the
** background sync, civic_engine_journal_sync): a failed fsync may drop
** writes acknowledged before it from the file while the engine holds them,
** so compact then (the message says which case it is).
**
** A journal belongs to the process that opened it.  In a child made by
** fork() afterwards, every write to the engine that reaches the journal
** (an add or a load of events, a purge), civic_engine_journal_sync and
** civic_engine_compact fail with CIVIC_E_IO (the engine unchanged;
** civic_engine_reserve, which writes nothing to the journal, succeeds):
** the child shares the parent's descriptor, so its records would land where
** the parent's next batch overwrites them.  Freeing the engine or closing
** the journal there only closes the child's copy of the descriptor; the
** child may then open a journal of its own, under another path.  Every
** descriptor the library opens (a journal, a snapshot and its temporary
** file, a file it reads) is close-on-exec: a program the host starts
** (system, popen, posix_spawn, fork and exec) inherits none of them, so it
** does not hold a journal's lock after the engine is freed.
*/

/* Sync policies for civic_engine_journal_open (one of the first three, and
 * for GROUP optionally CIVIC_SYNC_INTERVAL_MS(n)). */
#define CIVIC_SYNC_ALWAYS 0x1u /* fdatasync before every write call returns */
#define CIVIC_SYNC_GROUP  0x2u /* a background thread syncs at most every N ms */
#define CIVIC_SYNC_NONE   0x4u /* never sync on write; close and _sync still do */
/* The group interval in ms, 1..65535 (default 50), in bits 16..31. */
#ifdef __cplusplus /* a C cast warns under -Wold-style-cast */
#define CIVIC_SYNC_INTERVAL_MS(ms) ((static_cast<uint32_t>(ms) & 0xFFFFu) << 16)
#else
#define CIVIC_SYNC_INTERVAL_MS(ms) (((uint32_t)(ms) & 0xFFFFu) << 16)
#endif
#define CIVIC_SYNC_GROUP_DEFAULT_MS 50u
/* A flag for civic_engine_journal_open, or'ed into the policy: when the
 * journal is damaged in the middle (intact records follow the damage), keep
 * a copy of the whole file as "<path>.damaged.<unix time>" (beside the file
 * a symbolic link leads to, when path is one; ".<n>" added when that name is
 * taken; when the name would pass NAME_MAX, 255 bytes, the file's name is
 * cut to fit and "~" and 8 hex digits of a hash of the whole name end it
 * before ".damaged.", since 1.1) and cut the journal at the
 * damage instead of failing with CIVIC_E_CORRUPT.  The copy is written and
 * synced under a temporary name and then given its own (since 1.1): a file
 * of that name is whole, and a copy cut short by a kill is a temporary file
 * the next open removes.  A damaged header (its
 * magic whole, or an intact record where a journal's first one starts;
 * since 1.1) is damage before every record: the copy is kept and the
 * journal starts anew.  A file that is no journal (neither) is refused all
 * the same, and left as it is.  When the copy cannot be written, the open
 * fails with CIVIC_E_IO and the file is left as it is -- except for the torn
 * batch of a torn tail (above), which is cut with or without the flag, its
 * copy kept only when it can be written. */
#define CIVIC_JOURNAL_RECOVER 0x100u
/* A flag for civic_engine_journal_open (since 1.1), or'ed into the policy:
 * a journal written under other rules (a scheme revised since: a rule
 * added, a change, a new weight; or the one before it, an operator going
 * back) is replayed under the engine's, each
 * event validated anew, instead of failing with CIVIC_E_MISMATCH; an event
 * that does not fit them fails the open with CIVIC_E_MISMATCH, naming it,
 * and so does a purge in it that the engine does not hold already (what a
 * purge removes depends on the rules): compact under the old rules first,
 * then load the snapshot with CIVIC_SNAPSHOT_OTHER_RULES, which keeps the
 * purge's result.  The open leaves the file's header naming the old
 * rules; a journal that holds nothing but events has its header
 * rewritten to name the engine's rules by the engine's first write to it
 * (events or a purge), before it is appended, so that what is appended, a
 * purge above all, is read under the rules it was made under; one that
 * holds a purge of the old rules keeps their name, and every write of the
 * engine fails with CIVIC_E_MISMATCH until a compaction: what it appended
 * would be read under the old rules.  A snapshot keeps its header until a
 * compaction (civic_engine_compact) writes both files under the engine's
 * rules: do that at once.  A program that fails or is killed before the
 * compaction's snapshot is in place leaves both files under the old rules,
 * openable with them as before; once the snapshot is in place, the
 * journal's header is set to the engine's rules at once (since 1.1), so
 * that a compaction failing after that (no space for the fresh journal)
 * leaves both under the new rules.  Only a kill in the moment between the
 * two leaves a snapshot of the new rules beside a journal of the old: an
 * open with the new rules and this flag finishes the change. */
#define CIVIC_JOURNAL_OTHER_RULES 0x200u

/** Write every event of the engine to a snapshot file at `path`, atomically
 *  (a temporary file "<path>.tmp.civic.XXXXXX" in the same directory,
 *  fsync, rename over path, fsync of the directory; 1.0 named it
 *  "<path>.tmp.XXXXXX": see above for which such files a save removes; when
 *  that name would pass NAME_MAX, 255 bytes, the file's name in it is cut to
 *  fit and "~" and 8 hex digits of a hash of the whole name end it before
 *  ".tmp.civic.", since 1.1).
 *  The file holds a header (magic "CIVICSNP", format version, rules fingerprint, event count, the
 *  time of the save in whole seconds: two saves of one engine in different
 *  seconds differ in it and in the checksums), checksummed blocks of event records, and a trailer with a
 *  CRC-32C of the whole file.  A failed save leaves any previous file at path intact
 *  and removes its temporary file.  When path is a symbolic link, the file
 *  it leads to is replaced and the link stays; a link to a missing file,
 *  and a FIFO, device or socket (or a link to one), fail with CIVIC_E_IO.
 *  So does a directory (or a link to one, or a path ending in '/'), before
 *  anything is written: "cannot save snapshot PATH: Is a directory" (since
 *  1.1; before, "cannot rename snapshot PATH: ..."); also for
 *  civic_engine_compact's snapshot_path.
 *  @return CIVIC_OK, CIVIC_E_IO (err names the path and the system error),
 *          CIVIC_E_NOMEM, CIVIC_E_INVALID (also when path holds a libcivic
 *          journal, this engine's or another's, under any name: the
 *          snapshot would take its name from the engine appending to it,
 *          and what that engine acknowledged afterwards would be lost).
 *  Threads: a query (runs concurrently with other queries; writes wait). */
CIVIC_API int civic_engine_save(const civic_engine *engine, const char *path,
                                civic_error *err);

/** Load the snapshot at `path` into `engine` as one batch: every event or
 *  none.  Usually the engine is empty; into a non-empty engine, identical
 *  events are duplicates and an event id held with other fields fails the
 *  whole load with CIVIC_E_CONFLICT.  Truncated or damaged files (bad magic,
 *  unknown format version, bad checksum, malformed record, trailing bytes)
 *  fail with CIVIC_E_CORRUPT; so does a sound one holding an event past the
 *  bound on one event's points (which libcivic 1.0 took where a
 *  repeat_factor is below 1; docs/events.md) or an event of a 1.0 rule
 *  named object, dismiss or correct (codes this version reserves; so also
 *  with CIVIC_SNAPSHOT_OTHER_RULES), the message then naming the event and
 *  its record and saying the file is not damaged; a snapshot of other
 *  rules with
 *  CIVIC_E_MISMATCH.  err->offset is the byte offset of the problem; a
 *  checksum mismatch says only that the part it covers is damaged
 *  somewhere, so the message names that part and its byte range ("damaged
 *  in the block at bytes 48 to 1887: block checksum mismatch"), and
 *  err->offset is the block's first byte (for the header's checksum and
 *  the file's, in the trailer, the checksum's own first byte).  With
 *  a journal attached, the loaded events are journaled like any batch; a
 *  snapshot that holds a purge (civic_engine_purge) the engine has not made
 *  itself fails with CIVIC_E_INVALID, since a journal records only its own
 *  engine's purges: load such a snapshot before opening the journal (the
 *  recovery order above).  Such a snapshot also fails with CIVIC_E_INVALID
 *  when the engine already holds events (since 1.1): the purge's deletions
 *  cannot be applied to them (a held event of a purged id would stay, where
 *  one added after the load is a duplicate); load it into an empty engine
 *  first.  path may name a FIFO (a snapshot read as another
 *  process writes it): as any reader of a FIFO, the call waits in open()
 *  until a writer comes.
 *  @return CIVIC_OK, CIVIC_E_CORRUPT, CIVIC_E_MISMATCH, CIVIC_E_CONFLICT,
 *          CIVIC_E_LIMIT, CIVIC_E_IO, CIVIC_E_NOMEM, CIVIC_E_INVALID.  On
 *          error the engine is unchanged.
 *  Threads: a write. */
CIVIC_API int civic_engine_load_snapshot(civic_engine *engine, const char *path,
                                         civic_error *err);

/* A flag for civic_engine_load_snapshot_ext: the file may have been saved
 * under other rules (a scheme revised since, or the engine's rules the
 * ones before the file's, an operator going back). */
#define CIVIC_SNAPSHOT_OTHER_RULES 0x1u

/** civic_engine_load_snapshot with flags (since 1.1): 0 is
 *  civic_engine_load_snapshot.  With CIVIC_SNAPSHOT_OTHER_RULES a snapshot
 *  saved under other rules loads under the engine's (its events are
 *  stored as facts, rule codes not indices, and each is validated anew):
 *  how events recorded under a scheme are scored under its revision.
 *  Times are the instants stored (a date read without an offset keeps the
 *  old utc_offset's meaning); purged events stay purged.  An
 *  event that does not fit the engine's rules (its type no rule of them
 *  any more) fails the load with CIVIC_E_MISMATCH, naming the event; the
 *  engine is unchanged.  Save or compact afterwards, so that the files
 *  carry the rules they are read under.
 *  @return as civic_engine_load_snapshot; CIVIC_E_INVALID for an unknown
 *          flag.  Threads: a write. */
CIVIC_API int civic_engine_load_snapshot_ext(civic_engine *engine, const char *path,
                                             uint32_t flags, civic_error *err);

/** civic_engine_new followed by civic_engine_load_snapshot.  opts may be
 *  NULL.  On failure *out is NULL.
 *  @return as civic_engine_new and civic_engine_load_snapshot.
 *  Ownership: free *out with civic_engine_free.  Threads: any. */
CIVIC_API int civic_engine_open_snapshot(civic_engine **out, civic_rules *rules,
                                         const civic_engine_options *opts,
                                         const char *path, civic_error *err);

#define CIVIC_JOURNAL_REPORT_VERSION 2
/** What civic_engine_journal_open found in the journal. */
typedef struct civic_journal_report {
    uint32_t version;         /* CIVIC_JOURNAL_REPORT_VERSION, set by the caller */
    uint32_t created;         /* 1 when the file did not exist (or was empty) */
    uint64_t batches;         /* committed batches replayed (a purge in the
                                 journal counted as one) */
    uint64_t events;          /* events in them (duplicates included) */
    uint64_t accepted;        /* events new to the engine */
    uint64_t bytes_kept;      /* journal size after recovery */
    uint64_t bytes_truncated; /* torn or corrupt tail cut off (0 normally); a
                                 copy of the file kept first when intact
                                 records followed the damage, or the record
                                 cut was whole in the file -- for a torn
                                 tail only when the copy could be written
                                 (see above) */
    /* version 2 (libcivic 1.1): */
    uint32_t copy_kept;       /* 1 when a copy of the whole file was kept
                                 before the cut, "<path>.damaged.<unix
                                 time>" (CIVIC_JOURNAL_RECOVER names it) */
    uint32_t cut_whole;       /* 1 when the tail cut began with a record
                                 whole in the file (its header there and
                                 not all zero, its length within the file)
                                 that failed its checksum or a check of its
                                 header, nothing intact after it: no write
                                 cut short by a crash, but damage after it
                                 was written, or a power cut; set whether or
                                 not the copy could be kept */
} civic_journal_report;
#define CIVIC_JOURNAL_REPORT_INIT { CIVIC_JOURNAL_REPORT_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Attach the journal at `path` to the engine (at most one per engine).
 *  A missing or empty file is created (atomically, with its header).  An
 *  existing one is replayed into the engine first: every committed batch is
 *  inserted (duplicates are fine, so the engine may already hold the
 *  snapshot the journal continues); a torn tail (see above) is truncated and
 *  counted in report->bytes_truncated (a copy of the file kept first when
 *  it holds an intact record after the damage, or the record cut is whole
 *  in the file, and the copy can be written; when it cannot, the tail is
 *  cut all the same); damage followed by intact
 *  records fails the open (CIVIC_E_CORRUPT, err->offset at the damage)
 *  unless CIVIC_JOURNAL_RECOVER is given.  From then on every successful write
 *  call is appended before it returns (see the crash table above).  Events
 *  the engine held before this call are NOT written to the journal: attach
 *  the journal to a fresh engine, or to one just loaded from its snapshot.
 *  The file is locked against every other engine, in this process or
 *  another (an open file description lock, or flock where those are
 *  missing): a second open fails with CIVIC_E_IO ("locked by another
 *  engine") until the first engine closes the journal or is freed, also
 *  when two engines create a missing journal at the same moment, or find
 *  the same empty file and make it a journal (since 1.1).  A path
 *  that is a symbolic link names the file it leads to (a compaction
 *  replaces that file, and the link stays); a link to a missing file, and
 *  a FIFO, device or socket (or a link to one), fail with CIVIC_E_IO.  A
 *  relative path is resolved once, here (since 1.1): a later chdir() does
 *  not move the journal, and a compaction starts the fresh journal where
 *  this one was opened.  Except when the journal has no absolute name of
 *  at most PATH_MAX bytes (a working directory nested deeper than that,
 *  which only a relative path reaches): the path is then kept as given and
 *  resolved again at each use, as before 1.1, so after a chdir() a
 *  compaction starts the fresh journal under that path in the new working
 *  directory (refusing, with CIVIC_E_IO, when a file of that name is
 *  there already) and later writes go to it -- do not change the working
 *  directory while such a journal is open.
 *  A purge in the journal is replayed where it stands; should the replay
 *  fail after one, the engine keeps what was replayed up to the failure
 *  (a purge cannot be undone) -- discard it and recover from the files.
 *  @param sync_policy CIVIC_SYNC_ALWAYS, CIVIC_SYNC_NONE or CIVIC_SYNC_GROUP
 *         (optionally | CIVIC_SYNC_INTERVAL_MS(n)); GROUP starts one
 *         background thread per journal.  Optionally | CIVIC_JOURNAL_RECOVER
 *         and | CIVIC_JOURNAL_OTHER_RULES.
 *  @param report optional.  When the open fails it holds what the replay
 *         counted before it stopped, which the engine does not keep (but
 *         for a purge replayed before the failure, above).
 *  @return CIVIC_OK, CIVIC_E_CORRUPT (damaged header, damage followed by
 *          intact records, or a checksummed record whose events are
 *          invalid, among them an event past the bound on one event's
 *          points, which libcivic 1.0 took, or one of a 1.0 rule named
 *          object, dismiss or correct, codes this version reserves: named,
 *          the file called sound, and left as it is, even with
 *          CIVIC_JOURNAL_RECOVER), CIVIC_E_MISMATCH (other rules),
 *          CIVIC_E_CONFLICT (the engine holds an event id with other fields),
 *          CIVIC_E_IO (cannot open, lock, read, truncate or sync),
 *          CIVIC_E_LIMIT, CIVIC_E_NOMEM, CIVIC_E_INVALID (bad policy, a
 *          journal already attached), CIVIC_E_VERSION.  On error the engine
 *          is unchanged (but for a purge replayed before the failure,
 *          above) and no journal is attached.
 *  Threads: a write (the replay is one batch).  While another thread closes
 *  this engine's journal, the open waits for that close to finish (since
 *  1.1; before, it could fail with CIVIC_E_IO, "locked by another engine");
 *  while the journal stays attached, the open fails with CIVIC_E_INVALID. */
CIVIC_API int civic_engine_journal_open(civic_engine *engine, const char *path,
                                        uint32_t sync_policy,
                                        civic_journal_report *report, civic_error *err);

/** Make every appended batch durable now (fdatasync), whatever the policy.
 *  @return CIVIC_OK, CIVIC_E_IO, CIVIC_E_INVALID (no journal attached).
 *  Threads: a query (writes wait during the sync). */
CIVIC_API int civic_engine_journal_sync(civic_engine *engine, civic_error *err);

/** Sync and detach the journal (civic_engine_free also does this, silently).
 *  The engine keeps its events.  @return CIVIC_OK, CIVIC_E_IO (the final
 *  sync failed; the journal is detached anyway), CIVIC_E_INVALID (none).
 *  Threads: a write, the detach; the final sync follows it, queries and
 *  writes going on meanwhile (unjournaled), and an open of this engine's
 *  journal waits for it. */
CIVIC_API int civic_engine_journal_close(civic_engine *engine, civic_error *err);

/** Compaction: save a snapshot of every event to `snapshot_path`, then start
 *  a fresh, empty journal at the attached journal's path.  Crash-safety
 *  order: (1) the snapshot is written to a temporary file, fsync'ed, renamed
 *  over snapshot_path and the directory fsync'ed; (2) only then is a new
 *  journal (header only) written to a temporary file, fsync'ed, renamed over
 *  the journal and the directory fsync'ed.  A crash before (1) completes
 *  leaves the old snapshot and the full old journal; between (1) and (2) the
 *  new snapshot and the old journal, whose events are all duplicates of the
 *  snapshot's; after (2) the new snapshot and an empty journal.  Each state
 *  recovers every acknowledged event.  Without a journal attached this is
 *  civic_engine_save.
 *  @return CIVIC_OK, CIVIC_E_IO, CIVIC_E_NOMEM, CIVIC_E_INVALID (also when
 *          snapshot_path names the journal's file, by its path or any other
 *          name: a link, a relative path; or holds any engine's journal, as
 *          for civic_engine_save); CIVIC_E_IO also, before anything is
 *          written, when the journal's name now leads to another file (its
 *          directory moved since the open and another journal made there,
 *          say), which a compaction never replaces.  On error the old journal
 *          stays attached and complete (when the snapshot was written and
 *          only the fresh journal could not be made, a full disk say, the
 *          message says so: "journal J: compaction: the snapshot was
 *          written, and the old journal is still attached and whole; ...",
 *          the cause last), except when only the last step
 *          failed (the directory sync after the new journal took the
 *          path): the snapshot and the new journal then hold every event,
 *          and the journal refuses writes (CIVIC_E_IO) until it is closed
 *          and opened again.
 *  Threads: a query (concurrent queries run; writes wait). */
CIVIC_API int civic_engine_compact(civic_engine *engine, const char *snapshot_path,
                                   civic_error *err);

/* ===================================================================== */
/* Lists (since 1.1)                                                     */
/* ===================================================================== */

typedef struct civic_list civic_list;

#define CIVIC_LIST_FLAG    1u
#define CIVIC_LIST_MEASURE 2u

#define CIVIC_LIST_ENTRY_VERSION 1
/** One subject on a list.  Strings are borrowed from the civic_list. */
typedef struct civic_list_entry {
    uint32_t version;     /* CIVIC_LIST_ENTRY_VERSION, set by the caller */
    uint32_t grade_index;
    const char *subject;
    const char *group;
    const char *grade;
    int64_t score;        /* hundredths */
    int64_t since;        /* flags: start of the flagged stretch containing T;
                             measures: CIVIC_NO_TIME */
    int64_t until;        /* flags: its end as known at T, CIVIC_FOREVER when it
                             has none; measures: CIVIC_NO_TIME */
} civic_list_entry;
#define CIVIC_LIST_ENTRY_INIT { CIVIC_LIST_ENTRY_VERSION, 0, NULL, NULL, NULL, 0, 0, 0 }

/** The list `name` at as_of: every subject the flag or measure of that name
 *  applies to, sorted by subject id bytewise.
 *  @return CIVIC_OK, CIVIC_E_NOTFOUND (neither a flag nor a measure of the
 *          scheme), CIVIC_E_PURGED, CIVIC_E_OVERFLOW, CIVIC_E_NOMEM,
 *          CIVIC_E_INVALID.  Ownership: civic_list_free.  Threads: a query. */
CIVIC_API int civic_engine_list(const civic_engine *engine, const char *name, int64_t as_of,
                                civic_list **out);
/** The list a name that is neither a flag nor a measure of the scheme most
 *  likely meant, for a "did you mean" after CIVIC_E_NOTFOUND: a flag or a
 *  measure of the same letters in another case ("Dishonest": "dishonest"),
 *  whatever its length, or as near as the rules reader's "did you mean" of
 *  a misspelt name asks (one edit away, two for names of six letters or
 *  more, a letter being a character whatever its bytes).  Of the nearest,
 *  as the rules reader chooses: the one fewest edits away counting case
 *  ("hera": "hero" before "HeRo"), then the one with the fewest letters in
 *  another case ("herO": "hero"), then the first, flags before measures.
 *  The flag or measure itself when name is one.  Ownership: borrowed from
 *  rules.
 *  @return the name, or NULL when none is that near (or rules or name is
 *          NULL).  Threads: any. */
CIVIC_API const char *civic_rules_list_meant(const civic_rules *rules, const char *name);
CIVIC_API uint32_t civic_list_kind(const civic_list *list);   /* CIVIC_LIST_* */
CIVIC_API size_t civic_list_count(const civic_list *list);
/** Fill *out with entry i (0 .. civic_list_count - 1).
 *  @return CIVIC_OK, CIVIC_E_INVALID (i out of range, NULL; checked before
 *          the version, so every i of an empty list), CIVIC_E_VERSION
 *          (out->version 0 or newer than CIVIC_LIST_ENTRY_VERSION). */
CIVIC_API int civic_list_get(const civic_list *list, size_t i, civic_list_entry *out);
CIVIC_API void civic_list_free(civic_list *list);

/* ===================================================================== */
/* Retention: purge (since 1.1)                                          */
/* ===================================================================== */

#define CIVIC_PURGE_REPORT_VERSION 1
typedef struct civic_purge_report {
    uint32_t version;     /* CIVIC_PURGE_REPORT_VERSION, set by the caller */
    uint32_t reserved;
    uint64_t events;      /* events removed */
    uint64_t acts;        /* acts removed as a whole */
    int64_t horizon;      /* the engine's purge horizon after the call */
} civic_purge_report;
#define CIVIC_PURGE_REPORT_INIT { CIVIC_PURGE_REPORT_VERSION, 0, 0, 0, 0 }

/** Physically remove every event archived at `before` (rules with
 *  `retain`), and every revoke, repair, objection, dismissal and correction
 *  of the same subject that points at one (directly or through another
 *  removed event) and is dated at or after it.  A tombstone of each removed
 *  event id and act is kept: an event with a tombstoned id is a duplicate
 *  from then on, and a pointer at one of the same subject, dated from it to
 *  the `before` of the purge that removed it, is archived on arrival
 *  (later ones dangle), and so is a member of a removed act dated no later
 *  than the act's archival instant.  Those two are the answers that depend
 *  on when an event came: sent before the purge, such an event might have
 *  kept its act (a member with no `retain`) or counted with its target.  Every answer at T >= before stays what it was (records
 *  just no longer count the removed entries); a question about T < before
 *  fails with CIVIC_E_PURGED.  With a journal attached the purge is
 *  journaled like a batch: after a crash it is there whole or not at all.
 *  The journal and a snapshot saved before still hold the removed events
 *  (the journal's records are never rewritten): civic_engine_compact
 *  writes both files without them, so compact after a purge that the law
 *  asks for (civic-server does, before it answers).
 *  `before` must lie in CIVIC_TIME_MIN..CIVIC_TIME_MAX.  Any such `before`
 *  is taken, one later than the present too (SPEC 10.4): that removes
 *  entries still in force and makes every question about the present fail
 *  with CIVIC_E_PURGED, for good (the journal keeps it); a mistyped year
 *  does it.  A caller that takes `before` from a person should refuse one
 *  ahead of the clock unless asked explicitly, as the Python binding
 *  (future=True) and civic-server (future=yes) do.
 *  @return CIVIC_OK, CIVIC_E_IO, CIVIC_E_NOMEM, CIVIC_E_INVALID (NULL
 *          engine, `before` out of range), CIVIC_E_VERSION (report),
 *          CIVIC_E_MISMATCH (the journal was read under other rules and
 *          still holds a purge of theirs: compact first, see
 *          CIVIC_JOURNAL_OTHER_RULES).  On
 *          error the engine is unchanged and the report (optional) says
 *          nothing was removed: events and acts 0, horizon the engine's.
 *          Threads: a write. */
CIVIC_API int civic_engine_purge(civic_engine *engine, int64_t before,
                                 civic_purge_report *report, civic_error *err);

/** The latest purge horizon, CIVIC_NO_TIME when the engine never purged. */
CIVIC_API int64_t civic_engine_purge_horizon(const civic_engine *engine);

/* ===================================================================== */
/* The scheme, described (since 1.1)                                     */
/* ===================================================================== */

/** 1 for a scheme that uses only version-1 keys, 2 when it uses any key or
 *  table of version 2 (rule changes, categories, validity classes, freeze,
 *  net caps, balance floor, publicity, objections, repair_after, retain,
 *  tiers, measures). */
CIVIC_API uint32_t civic_rules_spec_version(const civic_rules *rules);

/** 2 when the rules are version 2, or the engine holds an event with an act,
 *  a source or a type object/dismiss/correct, or has purged; else 1.
 *  Front ends print version-2 fields only then, so version-1 inputs keep
 *  their 1.0 output byte for byte. */
CIVIC_API uint32_t civic_engine_spec_version(const civic_engine *engine);

/** Flags any rule can set (in first-use order), tiers with their levels,
 *  and measures, in file order.  Out-of-range indices give NULL / 0.
 *  Ownership: borrowed from rules. */
CIVIC_API size_t civic_rules_flag_count(const civic_rules *rules);
CIVIC_API const char *civic_rules_flag_name(const civic_rules *rules, size_t i);
CIVIC_API size_t civic_rules_tier_count(const civic_rules *rules);
CIVIC_API const char *civic_rules_tier_name(const civic_rules *rules, size_t t);
CIVIC_API size_t civic_rules_tier_level_count(const civic_rules *rules, size_t t);
CIVIC_API const char *civic_rules_tier_level_name(const civic_rules *rules, size_t t, size_t l);
CIVIC_API size_t civic_rules_measure_count(const civic_rules *rules);
CIVIC_API const char *civic_rules_measure_code(const civic_rules *rules, size_t m);
CIVIC_API const char *civic_rules_measure_text(const civic_rules *rules, size_t m);
#define CIVIC_MEASURE_INCENTIVE   1u
#define CIVIC_MEASURE_RESTRICTION 2u
/** CIVIC_MEASURE_INCENTIVE or _RESTRICTION; 0 when out of range. */
CIVIC_API uint32_t civic_rules_measure_kind(const civic_rules *rules, size_t m);

#define CIVIC_RULE_INFO_VERSION 1
#define CIVIC_DURATION_TEXT_SIZE 24
/** One version of one rule, as published.  Durations are written as in a
 *  rules file ("1y", "forever", "by-severity"); "" when the key is absent,
 *  except `valid`, which is always the validity in force: the rule's own, or
 *  the scheme's default when the rule has none. */
typedef struct civic_rule_info {
    uint32_t version;         /* CIVIC_RULE_INFO_VERSION, set by the caller */
    uint32_t affects;         /* CIVIC_AFFECTS_* */
    const char *code, *dimension, *flag, *category, *cap_group; /* "" if none;
                                 category: the rule's code when none is written */
    int64_t points;           /* hundredths */
    int64_t repeat_factor;    /* hundredths, 0 when none */
    int64_t cap;              /* hundredths, -1 when none */
    int64_t ceiling;          /* hundredths, CIVIC_FOREVER when none */
    int64_t from;             /* CIVIC_NO_TIME for the base table */
    uint32_t per_unit, freeze, recount, net_cap; /* 0 or 1 */
    uint32_t changes;         /* changes after the base table */
    uint32_t reserved;
    char cap_period[CIVIC_DURATION_TEXT_SIZE]; /* "day" ... "lifetime", "" */
    char valid[CIVIC_DURATION_TEXT_SIZE];
    char publicity[CIVIC_DURATION_TEXT_SIZE];
    char repair_after[CIVIC_DURATION_TEXT_SIZE];
    char retain[CIVIC_DURATION_TEXT_SIZE];
} civic_rule_info;

#define CIVIC_RULE_INFO_INIT { CIVIC_RULE_INFO_VERSION, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, \
                               0, 0, 0, 0, 0, 0, 0, 0, { 0 }, { 0 }, { 0 }, { 0 }, { 0 } }

/** Describe version `change` of rule `rule` (0: the base table, k: its k-th
 *  change).  @return CIVIC_OK, CIVIC_E_INVALID (out of range), CIVIC_E_VERSION. */
CIVIC_API int civic_rules_rule_info(const civic_rules *rules, size_t rule, size_t change,
                                    civic_rule_info *out);

#define CIVIC_SCHEME_INFO_VERSION 1
/** The [scheme] table's keys beside name, base, utc_offset and grades
 *  (which have their own accessors), as published. */
typedef struct civic_scheme_info {
    uint32_t version;         /* CIVIC_SCHEME_INFO_VERSION, set by the caller */
    uint32_t running_clamp;   /* 1: clamp "running", 0: "final" */
    uint32_t suspend;         /* 1: contested "suspend", 0: "mark" */
    uint32_t has_min, has_max, has_balance_min; /* 0 or 1 */
    int64_t min, max, balance_min; /* hundredths */
    char valid[CIVIC_DURATION_TEXT_SIZE];            /* the default validity */
    char balance_reset[CIVIC_DURATION_TEXT_SIZE];    /* "never", "month", ... */
    char objection_window[CIVIC_DURATION_TEXT_SIZE]; /* "forever" when unset */
} civic_scheme_info;
#define CIVIC_SCHEME_INFO_INIT { CIVIC_SCHEME_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, { 0 }, \
                                 { 0 }, { 0 } }

#define CIVIC_CAP_INFO_VERSION 1
/** A shared cap ([cap.NAME]) as published. */
typedef struct civic_cap_info {
    uint32_t version;         /* CIVIC_CAP_INFO_VERSION, set by the caller */
    uint32_t net;             /* 1: mode "net", 0: "both" */
    const char *name;
    int64_t limit;            /* hundredths */
    char period[CIVIC_DURATION_TEXT_SIZE]; /* "day" ... "lifetime" */
} civic_cap_info;
#define CIVIC_CAP_INFO_INIT { CIVIC_CAP_INFO_VERSION, 0, NULL, 0, { 0 } }

#define CIVIC_VALIDITY_INFO_VERSION 1
/** A validity class ([[validity]]) of rules valid "by-severity". */
typedef struct civic_validity_info {
    uint32_t version;         /* CIVIC_VALIDITY_INFO_VERSION, set by the caller */
    uint32_t reserved;
    int64_t up_to;            /* hundredths of |raw|; -1 for the last class (the rest) */
    char valid[CIVIC_DURATION_TEXT_SIZE];
} civic_validity_info;
#define CIVIC_VALIDITY_INFO_INIT { CIVIC_VALIDITY_INFO_VERSION, 0, 0, { 0 } }

#define CIVIC_TIER_MEASURE_QTY    1u  /* the sum of qty; level mins in thousandths */
#define CIVIC_TIER_MEASURE_POINTS 2u  /* the sum of counted; level mins in hundredths */
#define CIVIC_TIER_INFO_VERSION 1
/** A tier ([tier.NAME]) as published; its rules by civic_rules_tier_rule,
 *  its levels' names and mins by civic_rules_tier_level_name and _min. */
typedef struct civic_tier_info {
    uint32_t version;         /* CIVIC_TIER_INFO_VERSION, set by the caller */
    uint32_t measure;         /* CIVIC_TIER_MEASURE_* */
    const char *name;
    uint32_t rule_count, level_count;
    char window[CIVIC_DURATION_TEXT_SIZE]; /* "lifetime", "year", "quarter",
                                              "month", or a rolling duration ("12m") */
} civic_tier_info;
#define CIVIC_TIER_INFO_INIT { CIVIC_TIER_INFO_VERSION, 0, NULL, 0, 0, { 0 } }

#define CIVIC_MEASURE_INFO_VERSION 1
/** A measure ([measure.CODE]) and its conditions: it applies when every
 *  condition it lists holds. */
typedef struct civic_measure_info {
    uint32_t version;         /* CIVIC_MEASURE_INFO_VERSION, set by the caller */
    uint32_t kind;            /* CIVIC_MEASURE_INCENTIVE or _RESTRICTION */
    const char *code, *text;  /* text "" when none */
    uint64_t grades;          /* bit g: grade g (civic_rules_grade_name) qualifies;
                                 0: no grade condition */
    const char *flag;         /* "" when no flag condition */
    const char *tier, *min_level; /* both "" when no tier condition */
    uint32_t has_min_score, has_max_score; /* 0 or 1 */
    int64_t min_score, max_score; /* hundredths, inclusive */
} civic_measure_info;
#define CIVIC_MEASURE_INFO_INIT { CIVIC_MEASURE_INFO_VERSION, 0, NULL, NULL, 0, NULL, NULL, NULL, \
                                  0, 0, 0, 0 }

/** The scheme's keys; shared caps and validity classes, in file order; a tier's description,
 *  its k-th rule (a rule index, sorted; SIZE_MAX when out of range) and
 *  level l's min; a measure's description.  Ownership: the strings are
 *  borrowed from rules.
 *  @return CIVIC_OK, CIVIC_E_INVALID (out of range), CIVIC_E_VERSION. */
CIVIC_API int civic_rules_scheme_info(const civic_rules *rules, civic_scheme_info *out);
CIVIC_API size_t civic_rules_cap_count(const civic_rules *rules);
CIVIC_API int civic_rules_cap_info(const civic_rules *rules, size_t i, civic_cap_info *out);
CIVIC_API size_t civic_rules_validity_count(const civic_rules *rules);
CIVIC_API int civic_rules_validity_info(const civic_rules *rules, size_t i,
                                        civic_validity_info *out);
CIVIC_API int civic_rules_tier_info(const civic_rules *rules, size_t t, civic_tier_info *out);
CIVIC_API size_t civic_rules_tier_rule(const civic_rules *rules, size_t t, size_t k);
CIVIC_API int civic_rules_tier_level_min(const civic_rules *rules, size_t t, size_t l,
                                         int64_t *min);
CIVIC_API int civic_rules_measure_info(const civic_rules *rules, size_t m,
                                       civic_measure_info *out);

/** Write the scheme as a rules file that parses back to the same scheme
 *  (the same fingerprint, dimensions in the same order): every table and
 *  every key that has a value, most defaults spelt out, no comments.  Left
 *  out are dimension = "general" (written where the order needs it),
 *  freeze = false, a category equal to the rule's code, and for a
 *  version-1 scheme every version-2 key.
 *  Writes at most size bytes (NUL-terminated when size > 0) and sets
 *  *needed (optional) to the full length without the NUL.
 *  @return CIVIC_OK, CIVIC_E_LIMIT (buf too small: call again with
 *          *needed + 1 bytes), CIVIC_E_INVALID. */
CIVIC_API int civic_rules_to_toml(const civic_rules *rules, char *buf, size_t size,
                                  size_t *needed);

/* ===================================================================== */
/* Splitting a log into subject partitions (since 1.1)                   */
/* ===================================================================== */

/*
** Every answer about a subject depends only on that subject's events, so a
** log too big for one engine can be scored in P engines, each holding the
** events of 1/P of the subjects.  civic_split cuts a buffer of events into
** those P parts without loading it: each event record is copied, byte for
** byte, into part civic_split_part(subject, P).  Any buffer of whole lines
** can be split on its own (a block of a big file, on any machine), and the
** parts of one P from many buffers go together: every part is a complete
** input for civic_engine_load (a CSV part begins with the header).  The
** partition function is frozen: the same on every machine, in every
** process and in every 1.x release.
*/

#define CIVIC_SPLIT_PARTS_MAX 65536u  /* parts in one civic_split call */

/* civic_split_options.flags */
#define CIVIC_SPLIT_KEY_ID 0x1u  /* part by the event id instead of the subject:
                                    every event with one id lands in one part,
                                    where an engine sees any conflict */
#define CIVIC_SPLIT_V2 0x2u      /* the parts will be loaded under rules of
                                    version 2 (civic_rules_spec_version 2):
                                    refuse what such a load refuses of the
                                    keys and columns, as civic_split says */

#define CIVIC_SPLIT_OPTIONS_VERSION 1
typedef struct civic_split_options {
    uint32_t version;        /* CIVIC_SPLIT_OPTIONS_VERSION */
    uint32_t format;         /* CIVIC_FORMAT_AUTO (as civic_engine_load; CSV when
                                header is given), _CSV or _JSONL */
    uint32_t parts;          /* P, 1..CIVIC_SPLIT_PARTS_MAX */
    int32_t utc_offset;      /* seconds east of UTC for ts forms without an offset:
                                civic_rules_utc_offset() of the rules that will
                                score the parts; -86399..86399 */
    const char *header;      /* CSV: the header record of the file when data does
                                not begin with it (a later block of the file),
                                with or without its line break; NULL: data
                                begins with its header (after an optional BOM and
                                blank lines) */
    size_t header_len;
    uint32_t flags;          /* CIVIC_SPLIT_* bits; 0: part by subject */
    uint32_t reserved;       /* zero */
    const civic_allocator *allocator; /* scratch memory; NULL: malloc */
} civic_split_options;
#define CIVIC_SPLIT_OPTIONS_INIT { CIVIC_SPLIT_OPTIONS_VERSION, 0, 1, 0, NULL, 0, 0, 0, NULL }

#define CIVIC_SPLIT_REPORT_VERSION 1
/** What civic_split read.  Written on success and on failure. */
typedef struct civic_split_report {
    uint32_t version;    /* CIVIC_SPLIT_REPORT_VERSION, set by the caller */
    uint32_t format;     /* the format read: CIVIC_FORMAT_CSV or _JSONL */
    uint64_t lines;      /* physical lines of data, header and blank lines included
                            (on failure: up to the bad record) */
    uint64_t events;     /* event records copied into the parts */
    int64_t max_ts;      /* their latest ts (Unix seconds), CIVIC_NO_TIME if none */
    uint64_t bytes;      /* bytes written to out, part_end[parts - 1] */
    uint64_t bytes_max;  /* what out must hold for this input, at most:
                            len + 1 + parts x (header record bytes + 1) for CSV,
                            len + 1 for JSON Lines */
} civic_split_report;
#define CIVIC_SPLIT_REPORT_INIT { CIVIC_SPLIT_REPORT_VERSION, 0, 0, 0, 0, 0, 0 }

/** Cut `len` bytes of CSV or JSON Lines events into opts->parts parts.
 *
 *  Each event record is copied unchanged (its CRLF or LF kept; a last
 *  record without a line break gets a line feed) into part
 *  civic_split_part(subject, parts): the subject as decoded from a quoted
 *  CSV field or a JSON string, so one subject written two ways lands in one
 *  part.  A CSV part is the header record (without BOM) followed by its
 *  records in input order; every part gets the header, even one without
 *  events.  A JSON Lines part is its lines in input order.  Blank lines are
 *  dropped.  Part p is out[p ? part_end[p - 1] : 0 .. part_end[p]).
 *
 *  The whole buffer is the input: a last line without a line break is a
 *  record.  A CSV record with a quoted line break must lie whole inside one
 *  buffer (cut blocks at a line break outside quotes).
 *
 *  What is checked: the CSV structure (quotes, field counts against the
 *  header, 1024 columns, the header's required columns id, subject, type,
 *  ts), JSON syntax (the loader's parser), records of at most
 *  CIVIC_LINE_BYTES_MAX bytes, the subject (or, with CIVIC_SPLIT_KEY_ID,
 *  the id: present, at most CIVIC_ID_BYTES_MAX bytes) and the ts, parsed as
 *  civic_engine_load parses it (so report->max_ts is the latest ts an engine
 *  loading the parts would hold).  Every other field is checked by the
 *  engine that loads the part.  A JSON Lines line whose subject (or id) or
 *  ts key is there only in other letters or with blanks ("Subject",
 *  "ts ") fails with CIVIC_E_SYNTAX at that key's column, "field
 *  'subject': missing (keys are lower case: write "subject")": the split
 *  has no rules, so it says what either version's engine would.
 *  With CIVIC_SPLIT_V2 the caller says the parts will be loaded under rules
 *  of version 2, and the split refuses what such a load refuses of the
 *  keys, with the load's code, line, column and words: a JSON key for any
 *  field in other letters or with blanks on a line without the exact key
 *  ("line 2, column 62: keys are lower case: write "qty"", where without
 *  the flag the split goes on, to a later line or to success), and a CSV
 *  header that names act or source twice ("act" and "ACT").  Pass it
 *  whenever the rules that load the parts are version 2.  Errors name the
 *  line (physical lines of data from 1; with opts->header, data's first line is line 1, and an
 *  error in the header itself has line 0) and the byte column, as
 *  civic_engine_load does; err->offset is the record's byte offset in data.
 *
 *  @param data       the input, `len` bytes; a UTF-8 BOM at the start is
 *                    skipped, unless opts->header is given (data is then a
 *                    later block of a file, where those bytes belong to a
 *                    record).
 *  @param len        the bytes of data.
 *  @param opts       required (parts, utc_offset).
 *  @param out        caller-owned, at least report->bytes_max bytes; NULL
 *                    with out_cap 0 asks only for report->bytes_max (data
 *                    is read only up to the end of its header).
 *  @param part_end   caller-owned, opts->parts entries (may be NULL with a
 *                    NULL out).
 *  @param part_events optional, opts->parts entries: events per part.
 *  @param report     optional (needed to learn bytes_max and max_ts).
 *  @param err        optional: line, column and message of the first problem.
 *  @return CIVIC_OK, CIVIC_E_SYNTAX (malformed CSV or JSON, a bad header),
 *          CIVIC_E_EVENT (no subject or ts, a bad ts; CIVIC_E_SYNTAX when
 *          the line holds one in other letters), CIVIC_E_LIMIT (a
 *          field or record too long, JSON nested past 64 levels (since
 *          1.1; CIVIC_E_SYNTAX before), more than 1024 columns, a ts outside
 *          CIVIC_TIME_MIN..MAX, or out_cap < report->bytes_max),
 *          CIVIC_E_NOMEM, CIVIC_E_INVALID (NULL, parts 0 or too many,
 *          unknown flags, a header holding other than one record, a header
 *          for JSON Lines), CIVIC_E_VERSION.  On error out, part_end and
 *          part_events hold nothing usable.
 *  Memory: scratch of 16 bytes per record, from opts->allocator, freed
 *  before the call returns.  Threads: any; no shared state. */
CIVIC_API int civic_split(const char *data, size_t len, const civic_split_options *opts,
                          char *out, size_t out_cap, uint64_t *part_end,
                          uint64_t *part_events, civic_split_report *report,
                          civic_error *err);

/** The part, 0..parts-1, of the events whose subject (or id) is the `len`
 *  bytes at `key`: (H(key) >> 32) mod parts, where H is libcivic's frozen
 *  64-bit key hash (lib/split.c spells it out).  0 when parts < 2.  key may
 *  be NULL when len is 0.  Threads: any. */
CIVIC_API uint32_t civic_split_part(const char *key, size_t len, uint32_t parts);

/* ===================================================================== */
/* Formatting helpers                                                    */
/* ===================================================================== */

/** Write a fixed-point value with `places` decimals (0..3), e.g. hundredths
 *  100050 with 2 places as "1000.50".  Needs at most 24 bytes.  On failure
 *  buf holds "" (when size > 0).
 *  @return CIVIC_OK or CIVIC_E_INVALID (buf too small, places > 3). */
CIVIC_API int civic_format_fixed(int64_t value, unsigned places, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* CIVIC_H */
