/*
** internal.h -- declarations shared by the modules of libcivic.  Never
** installed; nothing here is API.  Internal functions shared across files are
** named civic__<module>_<verb> (double underscore) and are hidden by
** -fvisibility=hidden and the version script.
*/
#ifndef CIVIC_INTERNAL_H
#define CIVIC_INTERNAL_H

#include "civic.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>

/* Assertions: on unless NDEBUG.  They guard invariants, never input. */
#ifdef NDEBUG
#define CIVIC_ASSERT(x) ((void)0)
#else
#include <assert.h>
#define CIVIC_ASSERT(x) assert(x)
#endif

#define CIVIC_UNUSED(x) ((void)(x))

/* ------------------------------------------------------------------ */
/* alloc.c: allocator and arena                                        */
/* ------------------------------------------------------------------ */

void civic__alloc_init(civic_allocator *dst, const civic_allocator *src);
void *civic__malloc(const civic_allocator *a, size_t size);
void *civic__calloc(const civic_allocator *a, size_t count, size_t size);
void *civic__realloc(const civic_allocator *a, void *ptr, size_t old_size, size_t new_size);
/* Ask for huge pages under a big block read at random or written through
 * (only advice, and only for blocks of the library's own allocator).
 * Returns p. */
void *civic__advise_random(const civic_allocator *a, void *p, size_t size);
/* The library's own allocator maps blocks of this size and up itself (on
 * Linux, outside AddressSanitizer): 2 MiB-aligned, hinted huge whole where
 * civic__advise_random or civic__calloc asks, grown with mremap (alloc.c). */
#define CIVIC_MAPPED_BLOCK_BYTES ((size_t)4 << 20)
/* Fault the pages inside [p, p + size) in, writable, without writing them
 * (Linux's MADV_POPULATE_WRITE): the kernel zeroes fresh memory on the
 * calling thread instead of on the one that writes it later.  Only for
 * blocks of the library's own allocator (a caller's hooks may hand out
 * memory that is not plain anonymous memory); it changes no byte.  false:
 * the system cannot, or the memory is a caller's: do not ask again (so a
 * helper or the adds' thread stops after its first chunk). */
bool civic__prefault(const civic_allocator *a, void *p, size_t size);
void civic__free(const civic_allocator *a, void *ptr, size_t size);
char *civic__strndup(const civic_allocator *a, const char *s, size_t len);

/* Grow *ptr (an array of *cap elements of `elem` bytes) to hold `need`.
 * Inline when there is room already, as there is for nearly every insert. */
int civic__grow_to(const civic_allocator *a, void **ptr, size_t *cap, size_t need, size_t elem);
static inline int civic__grow(const civic_allocator *a, void **ptr, size_t *cap, size_t need,
                              size_t elem)
{
    return need <= *cap ? CIVIC_OK : civic__grow_to(a, ptr, cap, need, elem);
}

/* A chunked byte arena: pointers into it never move.  mark/reset undo every
 * allocation made after the mark (used to roll back a failed batch).
 * Allocations are aligned as asked, up to 16 bytes. */
typedef struct civic_arena_chunk {
    struct civic_arena_chunk *prev;
    size_t size;               /* bytes at data */
    size_t used;
    char *data;                /* 16-byte aligned, inside the block after this header */
} civic_arena_chunk;

typedef struct civic_arena {
    const civic_allocator *alc;
    civic_arena_chunk *top;
    size_t chunk_bytes;
    uint64_t total_bytes; /* bytes of chunks, for statistics */
} civic_arena;

typedef struct civic_arena_mark {
    civic_arena_chunk *top;
    size_t used;
} civic_arena_mark;

void civic__arena_init(civic_arena *arena, const civic_allocator *alc, size_t chunk_bytes);
void civic__arena_free(civic_arena *arena);
void *civic__arena_alloc(civic_arena *arena, size_t size, size_t align);
/* Make sure the next `size` bytes (any alignment up to 16 included) come
 * from the current chunk: the allocations they make then cannot fail.
 * Inline when the current chunk has the room. */
int civic__arena_reserve_chunk(civic_arena *arena, size_t size);
static inline int civic__arena_reserve(civic_arena *arena, size_t size)
{
    const civic_arena_chunk *c = arena->top;
    if (c && ((c->used + 15) & ~(size_t)15) + size <= c->size) return CIVIC_OK;
    return civic__arena_reserve_chunk(arena, size);
}
/* Inline: every insert takes two marks, to give its strings back on failure. */
static inline civic_arena_mark civic__arena_mark(const civic_arena *arena)
{
    civic_arena_mark m = { arena->top, arena->top ? arena->top->used : 0 };
    return m;
}
void civic__arena_reset(civic_arena *arena, civic_arena_mark mark);
char *civic__arena_strndup(civic_arena *arena, const char *s, size_t len);

/* ------------------------------------------------------------------ */
/* error.c                                                             */
/* ------------------------------------------------------------------ */

/* Fill err (may be NULL) and return code.  line/column 0 = unknown. */
int civic__error_set(civic_error *err, int code, uint64_t line, uint32_t column,
                     uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* A path for a message: itself when short, else its first 40 and last 100
 * bytes (cut between characters) around "...", so that the reason after it
 * still fits the message.  buf: CIVIC_PATH_BRIEF_SIZE bytes.  errno is kept. */
#define CIVIC_PATH_BRIEF_SIZE 148
/* alloc.c: pthread_create for the library's own threads, every signal
 * blocked in them (the caller's mask unchanged); pthread_create's result. */
int civic__thread_create(pthread_t *thread, void *(*run)(void *), void *arg);

const char *civic__path_brief(const char *path, char *buf);
/* civic__path_brief, cut further to its last `room` bytes (at least 16),
 * "..." first, so that what a message says after the path fits whole. */
const char *civic__path_fit(const char *path, size_t room, char *buf);
/* civic__error_set with the message "WHAT PATH" and tail (the advice),
 * the path cut (civic__path_fit) so that the tail is said whole. */
int civic__error_path(civic_error *err, int code, uint64_t offset, const char *what,
                      const char *path, const char *tail);

void civic__error_clear(civic_error *err);
/* Copy an error into a caller's struct, field by field (dst may be NULL). */
void civic__error_copy(civic_error *dst, const civic_error *src);

/* Versioned output structs (civic_score, civic_entry, civic_group_stats,
 * civic_error): the caller's struct may be of an older version, hence
 * smaller, so the library fills only the fields that version has.  Each
 * struct lists its fields with the version that added them; appending a
 * field later is one more line in its table. */
typedef struct civic_field {
    uint32_t since;            /* the struct version that added the field */
    size_t offset, size;
} civic_field;
#define CIVIC_FIELD(type, member, since) \
    { (since), offsetof(type, member), sizeof(((type *)0)->member) }
#define CIVIC_FIELD_COUNT(table) (sizeof(table) / sizeof((table)[0]))
/* Copy from src (a struct of the library's version) into dst every field
 * whose `since` is at most version; nothing else of dst is written. */
void civic__copy_fields(void *dst, const void *src, const civic_field *fields, size_t n,
                        uint32_t version);
/* Copy at most n bytes of s into a short printable excerpt, to be shown in
 * double quotes (a quote or backslash in s is escaped); _raw, for source
 * text shown as written (a table's header), escapes neither. */
void civic__excerpt(char *dst, size_t dst_size, const char *s, size_t n);
/* civic__excerpt of a rules file's string: a control character in it as the
 * escape that file takes (\t, \u0001), so the excerpt can be written back. */
void civic__excerpt_toml(char *dst, size_t dst_size, const char *s, size_t n);
void civic__excerpt_raw(char *dst, size_t dst_size, const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* number.c: fixed point                                               */
/* ------------------------------------------------------------------ */

/* Parse a plain decimal ("-12", "3.25") into value * 10^scale.  Digits past
 * `scale` places must be zeros.  allow_exponent accepts JSON's e/E form.
 * Returns CIVIC_OK, or CIVIC_E_EVENT with *why set to a static reason. */
int civic__decimal_parse(const char *s, size_t n, unsigned scale, bool allow_sign,
                         bool allow_exponent, int64_t limit, int64_t *out,
                         const char **why);
bool civic__add_checked(int64_t a, int64_t b, int64_t *out);
/* round(a * b / div) half away from zero; false on overflow. */
bool civic__mul_div_round(int64_t a, int64_t b, int64_t div, int64_t *out);
/* Format with `places` decimals into buf (>= 24 bytes). Returns length. */
size_t civic__format_fixed(int64_t value, unsigned places, char *buf);

/* ------------------------------------------------------------------ */
/* text.c: UTF-8 and names                                             */
/* ------------------------------------------------------------------ */

/* Valid UTF-8 with no C0, DEL or C1 control character.  On failure *bad is
 * the byte offset of the first offending byte. */
bool civic__text_valid(const char *s, size_t n, size_t *bad);
/* [a-z0-9_.-]+ */
bool civic__code_valid(const char *s, size_t n);
/* Valid UTF-8; control characters allowed. */
bool civic__utf8_valid(const char *s, size_t n);
/* Encode code point cp (a Unicode scalar value) at d; returns 1..4 bytes. */
size_t civic__utf8_put(char *d, uint32_t cp);
/* Inline: every event hashes three strings on the parsing threads.  The
 * first use of __int128 in every file: a 32-bit target stops here, saying
 * why (as lib/number.c does). */
#ifndef __SIZEOF_INT128__
#error "libcivic needs a 64-bit target: it uses __int128, which gcc and clang provide on 64-bit targets only"
#endif
__extension__ typedef unsigned __int128 civic_u128;

/* Multiply and fold: the core of wyhash-style mixing. */
static inline uint64_t civic__mum(uint64_t a, uint64_t b)
{
    civic_u128 r = (civic_u128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t civic__read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint64_t civic__read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* 0x80 in each byte of w that is not printable ASCII (0x20..0x7e), exactly. */
static inline uint64_t civic__unprintable8(uint64_t w)
{
    const uint64_t high = UINT64_C(0x8080808080808080), low7 = UINT64_C(0x7f7f7f7f7f7f7f7f);
    uint64_t below_space = ~((w & low7) + UINT64_C(0x6060606060606060)) & high; /* < 0x20 */
    uint64_t x = w ^ low7;                                          /* 0 where 0x7f */
    uint64_t del = ~(((x & low7) + low7) | x | low7);
    return (w & high) | below_space | del;
}

/* True when the n bytes at s are all printable ASCII (n 0: true): eight at
 * a time, the last word overlapping; up to 8 bytes in one word (two
 * overlapping halves, or bytes shifted into spaces). */
static inline bool civic__ascii_printable(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint64_t w;
    if (n > 8) {
        for (size_t i = 0; i + 8 < n; i += 8)
            if (civic__unprintable8(civic__read64(p + i))) return false;
        w = civic__read64(p + n - 8);
    } else if (n >= 4) {
        w = civic__read32(p) | civic__read32(p + n - 4) << 32;
    } else {
        w = UINT64_C(0x2020202020202020);
        for (size_t i = 0; i < n; i++) w = (w << 8) | p[i];
    }
    return civic__unprintable8(w) == 0;
}

/* A 64-bit hash, fast on the short ids this library sees, under a key: a
 * key of 0 is the fixed hash (rules, the fingerprint); civic__hash32 uses
 * the process's key. */
static inline uint64_t civic__hash_keyed(const void *data, size_t n, uint64_t key)
{
    const unsigned char *p = data;
    const uint64_t k0 = UINT64_C(0xa0761d6478bd642f), k2 = UINT64_C(0x8ebc6af09c88c6e3);
    const uint64_t k1 = UINT64_C(0xe7037ed1a0b428db) ^ key;
    uint64_t seed = k0 ^ (uint64_t)n ^ (key << 32 | key >> 32), a, b;
    if (n > 16) {
        size_t left = n;
        while (left > 16) {
            seed = civic__mum(civic__read64(p) ^ k1, civic__read64(p + 8) ^ seed);
            p += 16;
            left -= 16;
        }
        a = civic__read64(p + left - 16);
        b = civic__read64(p + left - 8);
    } else if (n >= 8) {
        a = civic__read64(p);
        b = civic__read64(p + n - 8);
    } else if (n >= 4) {
        a = civic__read32(p);
        b = civic__read32(p + n - 4);
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    return civic__mum(k1 ^ (uint64_t)n, civic__mum(a ^ k1, b ^ seed) ^ k2);
}

/* The fixed hash: the same in every process (rule codes, which the
 * operator writes, and the rules' fingerprint, which snapshots keep). */
static inline uint64_t civic__hash_bytes(const void *data, size_t n)
{
    return civic__hash_keyed(data, n, 0);
}

/* The key of the intern tables' hash (event ids, subjects, groups, acts,
 * sources, tombstones: text anyone who may post events chooses), random per
 * process: with a fixed hash, ids chosen to collide made every insert and
 * lookup walk one long run (tens of thousands of ids took seconds).  Set
 * once, before any table holds a hash (engine.c); CIVIC_HASH_SEED=N fixes
 * it, for a run that must be repeated exactly.  No hash of it is stored. */
extern uint64_t civic__hash_key;

/* CIVIC_HASH_SEED's value as a key: a whole number in C's notation (decimal,
 * 0x hex, 0 octal) below 2^64, nothing before or after it.  Anything else
 * (a word, "5x", "-1", a space) is not a seed and leaves the key random:
 * read leniently, "random" would have been the fixed key 0 of every run. */
bool civic__hash_seed_parse(const char *text, uint64_t *key);

/* The 32 bits of the keyed hash that the intern tables keep. */
static inline uint32_t civic__hash32(const char *s, size_t n)
{
    return (uint32_t)civic__hash_keyed(s, n, civic__hash_key);
}

/* ------------------------------------------------------------------ */
/* time.c: calendar in a fixed UTC offset                              */
/* ------------------------------------------------------------------ */

typedef struct civic_civil {
    int64_t year;
    int month;  /* 1..12 */
    int day;    /* 1..31 */
    int hour, minute, second;
} civic_civil;

int64_t civic__days_from_civil(int64_t y, int m, int d);
void civic__civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int civic__days_in_month(int64_t y, int m);
void civic__civil_from_time(int64_t t, int32_t offset, civic_civil *out);
int64_t civic__time_from_civil(const civic_civil *c, int32_t offset);
/* Inline: callers divide by constants, which then compile to multiplies.
 * The remainder has a's sign, so it alone says when to round down: by a
 * positive constant, one compare of it (the quotient's multiply reused). */
static inline int64_t civic__floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b, r = a % b;
    return q - (r != 0 && (r < 0) != (b < 0));
}

/* Parse any SPEC ts form.  *why gets a static reason on failure. */
int civic__time_parse(const char *s, size_t n, int32_t local_offset, int64_t *out,
                      const char **why);
/* The days of the last two dates a reader parsed ("YYYY-MM-DD", most recent
 * first): logs come in time order, so most lines repeat one of them.  One
 * per thread; all zero to start. */
typedef struct civic_ts_cache {
    uint64_t head[2];          /* bytes 0..7 of the date */
    uint16_t tail[2];          /* bytes 8..9 */
    int64_t days[2];
} civic_ts_cache;

/* The rule codes a parallel reader's lines named, by their bytes: a log
 * names few, and a hit costs three word compares where the rules' lookup
 * hashed the code and compared it.  Codes of 8 to 24 bytes, which three
 * words (the first, the last and one between) spell out whole with the
 * length; others are looked up as always.  One per thread; all zero to
 * start (len 0: empty). */
#define CIVIC_TYPE_CACHE_SLOTS 128
typedef struct civic_type_slot {
    uint64_t w[3];
    uint32_t len;
    uint16_t type;
} civic_type_slot;
typedef struct civic_type_cache {
    civic_type_slot slot[CIVIC_TYPE_CACHE_SLOTS];
} civic_type_cache;

/* The did-you-mean of the last few unknown types a load met, and of what
 * they were: a lenient load of a log whose type was renamed refuses every
 * line of it, and each search measures the type against every rule code
 * (a millisecond a line under the largest schemes).  near points into the
 * load's rules, which outlive it.  Types of more than CIVIC_MEANT_BYTES
 * bytes are searched each time. */
#define CIVIC_MEANT_SLOTS 4
#define CIVIC_MEANT_BYTES 64
typedef struct civic_meant_memo {
    struct {
        char text[CIVIC_MEANT_BYTES];
        uint32_t len;           /* 0: empty slot */
        const char *near;       /* NULL: near none */
    } slot[CIVIC_MEANT_SLOTS];
    uint32_t next;              /* the slot the next miss takes */
} civic_meant_memo;

/* The slot of code (s, n) and its words, or CIVIC_TYPE_CACHE_SLOTS when
 * its length is not cached. */
static inline size_t civic__type_cache_key(const char *s, size_t n, uint64_t w[3])
{
    if (n < 8 || n > 24) return CIVIC_TYPE_CACHE_SLOTS;
    memcpy(&w[0], s, 8);
    memcpy(&w[1], s + (n - 8) / 2, 8); /* with the other two, every byte up to 24 */
    memcpy(&w[2], s + n - 8, 8);
    return (size_t)(((w[0] ^ w[2]) + w[1] + n) * UINT64_C(0x9E3779B97F4A7C15) >> 57);
}
/* civic__time_parse, quicker on a date in the cache: the same answers and
 * the same errors.  The inline civic__time_parse_cached (below, with the
 * byte readers) takes the case a log repeats; this takes every other. */
int civic__time_parse_cached_any(const char *s, size_t n, int32_t local_offset, civic_ts_cache *c,
                                 int64_t *out, const char **why);
/* Parse "+08:00", "-05:30", "Z"; returns false on error. */
bool civic__offset_parse(const char *s, size_t n, int32_t *out);
/* "+HH:MM" or "-HH:MM" in form, whatever the numbers (for the message). */
bool civic__offset_shaped(const char *s, size_t n);
size_t civic__time_format(int64_t t, int32_t offset, char *buf, size_t size);

/* Periods for caps and balances. */
enum {
    CIVIC_PERIOD_NONE = 0, /* "never" balance reset */
    CIVIC_PERIOD_DAY,
    CIVIC_PERIOD_WEEK,
    CIVIC_PERIOD_MONTH,
    CIVIC_PERIOD_QUARTER,
    CIVIC_PERIOD_YEAR,
    CIVIC_PERIOD_LIFETIME
};

/* A local calendar day.  Year, month and day of month are worked out on
 * first use by the _on functions below and kept, so one event's caps,
 * balance period and validity share one conversion. */
typedef struct civic_day {
    int64_t days;              /* local days since 1970-01-01 */
    int64_t year;
    int month, mday;
    bool civil;                /* year, month, mday are set */
} civic_day;

/* The local day holding time t. */
static inline civic_day civic__day_of(int64_t t, int32_t offset)
{
    civic_day day = { civic__floor_div(t + offset, 86400), 0, 0, 0, false };
    return day;
}

/* The bucket of period holding t (or the day): equal buckets, same period. */
int64_t civic__period_bucket(uint8_t period, int64_t t, int32_t offset);
int64_t civic__period_bucket_on(uint8_t period, civic_day *day);

/* Durations (validity). */
enum {
    CIVIC_DUR_FOREVER = 0,
    CIVIC_DUR_DAYS,
    CIVIC_DUR_MONTHS,
    CIVIC_DUR_YEARS,
    CIVIC_DUR_END_MONTH,
    CIVIC_DUR_END_QUARTER,
    CIVIC_DUR_END_YEAR,
    CIVIC_DUR_SEVERITY     /* valid = "by-severity": resolved per event (rules.c) */
};
typedef struct civic_duration {
    uint8_t kind;
    int64_t n;
} civic_duration;
/* A NUL byte alone (the last byte of a rules text, a log line of one NUL):
 * most often a caller's length of strlen(text) + 1. */
#define NUL_WHY "a length of strlen(text) + 1 takes in the terminating NUL"
/* What a log's error says of a line of one NUL byte, at its end: NUL_WHY is
 * added only where that NUL is the text's last byte and only NUL (a NUL
 * line in the middle of a log is no such length; docs/events.md). */
#define NUL_ALONE "a NUL byte"
/* Whether text[0..len) is a caller's text whose last byte is its only NUL
 * byte (and that is not UTF-16 or UTF-32 text or other binary data). */
bool civic__nul_only_last(const char *text, size_t len);
/* A failed parse of text[0..len) for which civic__nul_only_last holds: the
 * hint added to err's message, " (" NUL_WHY ")" after a message that ends in
 * NUL_ALONE (the line of that NUL), else " (the text ends in a NUL byte: "
 * NUL_WHY ")" unless the message names a NUL already. */
void civic__error_nul_hint(civic_error *err, const char *text, size_t len);
/* Whether err's message ends in NUL_ALONE. */
bool civic__error_names_nul_alone(const civic_error *err);
/* Why a log holds NUL bytes at its end: a crash cut it short, the tail of
 * its last block zero-filled.  The line of such NULs alone says "N NUL
 * bytes (" NULS_WHY ")" (csv.c, jsonl.c), and so does a value they cut
 * (civic__error_nul_tail_hint). */
#define NULS_WHY "a file cut short by a crash may end in them"
/* An error of p[0..n), the input's last line (no line break after it), at
 * err's column: where the line ends in NUL bytes and the error is of the
 * value they end (no ',' between the column and the NULs, nor a '"' after
 * the column's byte; in JSON (json) no '}' or ']' or ':' either) or of the
 * NULs themselves, the hint " (N NUL bytes to the end of the input: "
 * NULS_WHY ")" added to its message, unless it names a NUL already.  For
 * the load's notes and the split alike; not where the input is a caller's
 * text whose only NUL is its last byte (civic__error_nul_hint says that). */
void civic__error_nul_tail_hint(civic_error *err, const char *p, size_t n, bool json);
/* A failed parse of text[0..len) at the line of its first byte that is no
 * BOM or blank, a '[' before a '{': the hint that JSON Lines has no array. */
void civic__error_array_hint(civic_error *err, const char *text, size_t len);
/* A failed CSV load or split of text[0..len) at its header's line (the
 * first that is not empty) where the text is a rules file (its first line
 * that is not blank or a '#' comment a TOML [table] or a key = value): the
 * hint that says so, for every front end (civic-score and civic-server
 * name such a text before they load it, in their own words). */
void civic__error_rules_hint(civic_error *err, const char *text, size_t len);
/* A failed CSV load or split of text[0..len) at its header's line, which
 * is a '#' comment (past empty lines; several may follow one another),
 * where the line after the comments that is not blank is a header naming
 * id, subject, type and ts, or a JSON object: the hint that says so and
 * that a log has no comment lines (docs/events.md). */
void civic__error_comment_hint(civic_error *err, const char *text, size_t len);
/* A failed load of text[0..len) read as `format` (CIVIC_FORMAT_CSV or
 * CIVIC_FORMAT_JSONL, as given, not guessed) at the line of its first byte
 * that is no BOM or blank, which looks like the other format (a '{' where a
 * CSV header goes; a CSV header naming id, subject, type and ts where a JSON
 * object goes): the hint that says so, in words of no one front end. */
void civic__error_format_hint(civic_error *err, uint32_t format, const char *text, size_t len);
/* hint (a " (...)" of at most 160 bytes) after err's message, which is
 * cut to make room, never in the middle of a character, "..." marking the
 * cut: what the record's bytes tell besides the error met in it. */
void civic__error_append(civic_error *err, const char *hint);
/* A line of a log that starts with a UTF-8 byte-order mark where no text
 * starts (files joined with cat): a line such a mark opens fails (a JSON
 * line always, a CSV one where the mark makes its first field bad), and
 * its error says so.  The mark at the text's start is skipped, not this. */
#define CIVIC__BOM_LINE "the line starts with U+FEFF, a byte-order mark: were files joined? " \
                        "remove it"
/* A snapshot or journal record of an event this version refuses (why, from
 * civic__event_decode_insert: CIVIC_E_OVERFLOW past the bound on one
 * event's points, which 1.0 did not hold where a repeat_factor is below 1;
 * CIVIC_E_VERSION of a 1.0 rule whose code this version reserves): err's
 * message, "<file>, record at byte N: " before it, gets the tail that says
 * the file is sound and what to do, cut to make room. */
void civic__error_refused_tail(civic_error *err, int why);

bool civic__duration_parse(const char *s, size_t n, civic_duration *out);
/* "Nd", "Nm" or "Ny" whose N is past its unit's limit (3,660,000 days,
 * 120,000 months, 10,000 years): that limit, its unit in *unit; else 0. */
int64_t civic__duration_past_limit(const char *s, size_t n, char *unit);
/* A duration as a rules file writes it ("1y", "end-of-month"; rules_text.c). */
void civic__duration_text(const civic_duration *d, char *buf, size_t size);
/* The end of an effect starting at t; CIVIC_FOREVER for forever.  The _on
 * form takes t's local day (civic__day_of(t, offset)). */
int64_t civic__duration_end(const civic_duration *d, int64_t t, int32_t offset);
int64_t civic__duration_end_on(const civic_duration *d, int64_t t, int32_t offset,
                               civic_day *day);

/* ------------------------------------------------------------------ */
/* rules.c                                                             */
/* ------------------------------------------------------------------ */

enum { CIVIC_CLAMP_FINAL = 0, CIVIC_CLAMP_RUNNING = 1 };
enum { CIVIC_CAP_BOTH = 0, CIVIC_CAP_NET = 1 };
enum { CIVIC_CONTESTED_MARK = 0, CIVIC_CONTESTED_SUSPEND = 1 };

#define CIVIC_NO_CAP UINT32_MAX

/* One version of a rule.  r->rules[i] is rule i's base table; its changes
 * ([[rule.X.change]], SPEC 9.1) are r->versions[change_first ..
 * change_first + change_count), each a whole version (the previous one with
 * the change's keys applied), in increasing `from`. */
typedef struct civic_rule {
    const char *code;
    uint32_t code_len;
    uint32_t dimension;      /* index into rules->dimensions */
    int64_t points;          /* hundredths */
    int64_t repeat_factor;   /* hundredths; 0 = no repeat */
    int64_t cap;             /* hundredths; -1 = none */
    int64_t ceiling;         /* hundredths; CIVIC_FOREVER = none */
    civic_duration valid;    /* CIVIC_DUR_SEVERITY: by the validity classes */
    uint32_t cap_group;      /* index into rules->caps or CIVIC_NO_CAP */
    uint32_t flag;           /* index into rules->flags or UINT32_MAX */
    uint8_t cap_period;
    uint8_t per_unit;
    uint8_t affects;         /* CIVIC_AFFECTS_* */
    /* version 2 (SPEC 9, 10) */
    uint8_t cap_mode;        /* CIVIC_CAP_BOTH / NET, for the own cap */
    uint8_t freeze;          /* 1: stops additions while in effect (9.5) */
    uint8_t recount;         /* changes only: retroactive (9.1) */
    uint8_t has_publicity, has_repair_after, has_retain;
    civic_duration publicity, repair_after, retain;
    int64_t from;            /* changes: first instant in force; base: INT64_MIN */
    uint32_t category;       /* index into rules->categories (rule codes first) */
    uint32_t own_slot;       /* own-cap accounting slot, or CIVIC_NONE (no cap) */
    uint32_t change_first, change_count; /* base table only */
    uint32_t last_recount;   /* changes only: the index among the rule's changes of
                                the latest recount one up to this one, or CIVIC_NONE */
} civic_rule;

typedef struct civic_grade {
    const char *name;
    int64_t min;             /* hundredths */
    bool has_min;
} civic_grade;

typedef struct civic_cap {
    const char *name;
    int64_t limit;           /* hundredths */
    uint8_t period;
    uint8_t mode;            /* CIVIC_CAP_BOTH / NET (9.6) */
} civic_cap;

/* A validity class (SPEC 9.3): |raw| <= up_to (or the last, catch-all). */
typedef struct civic_class {
    int64_t up_to;           /* hundredths; INT64_MAX for the last class */
    civic_duration valid;
} civic_class;

enum { CIVIC_TIER_QTY = 0, CIVIC_TIER_POINTS = 1 };
enum { CIVIC_WINDOW_LIFETIME = 0, CIVIC_WINDOW_YEAR, CIVIC_WINDOW_QUARTER,
       CIVIC_WINDOW_MONTH, CIVIC_WINDOW_ROLLING };

typedef struct civic_level {
    const char *name;
    int64_t min;             /* thousandths (qty) or hundredths (points) */
} civic_level;

/* A tier (SPEC 11.1): cumulative milestones over some rules. */
typedef struct civic_tier {
    const char *name;
    uint32_t *rules;         /* rule indices, sorted, distinct */
    uint32_t rule_count;
    size_t rules_cap;        /* allocated elements of rules */
    uint8_t measure;         /* CIVIC_TIER_QTY / POINTS */
    uint8_t window;          /* CIVIC_WINDOW_* */
    civic_duration rolling;  /* window = ROLLING */
    civic_level *levels;
    uint32_t level_count;
} civic_tier;


/* A measure (SPEC 11.2): applies when every condition it lists holds. */
typedef struct civic_measure {
    const char *code;
    const char *text;
    uint8_t kind;            /* CIVIC_MEASURE_INCENTIVE / _RESTRICTION (civic.h) */
    bool has_grades, has_min_score, has_max_score;
    uint64_t grades;         /* bit g: grade g qualifies */
    uint32_t flag;           /* index into rules->flags, or CIVIC_NONE */
    uint32_t tier, min_level;/* CIVIC_NONE when no tier condition */
    int64_t min_score, max_score; /* hundredths */
} civic_measure;

struct civic_rules {
    atomic_uint refs;
    civic_allocator alc;
    civic_arena arena;       /* every string of the rules */
    const char *name;
    int64_t base;
    int64_t min, max;        /* INT64_MIN / INT64_MAX when absent */
    bool has_min, has_max;
    uint8_t clamp;
    uint8_t balance_reset;   /* CIVIC_PERIOD_NONE/MONTH/QUARTER/YEAR */
    int32_t utc_offset;
    civic_duration valid;
    civic_rule *rules;
    uint32_t rule_count;
    civic_grade *grades;
    uint32_t grade_count;
    civic_cap *caps;
    uint32_t cap_count;
    const char **dimensions;
    uint32_t dimension_count;
    const char **flags;
    uint32_t flag_count;
    /* rule lookup by code: open addressing, indices + 1 */
    uint32_t *rule_index;
    uint32_t rule_index_mask;
    /* allocated element counts, so every array is freed with its size */
    size_t rule_cap, grade_cap, cap_cap, dim_cap, flag_cap;
    uint64_t fingerprint;
    /* version 2 (SPEC 9-11); all empty/zero for a version-1 scheme */
    uint32_t spec_version;   /* 1, or 2 when any version-2 key or table is used */
    civic_rule *versions;    /* every change of every rule, grouped by rule */
    uint32_t version_count;
    size_t version_cap;
    bool any_change, any_recount, any_publicity, any_retain, any_freeze, any_repair_after;
    uint32_t own_slot_count; /* own-cap accounting slots over all versions */
    const char **categories; /* rule codes first (category i = rule i), then others */
    uint32_t category_count;
    size_t category_cap;
    civic_class *classes;    /* validity classes, in file order */
    uint32_t class_count;
    size_t class_cap;
    bool has_balance_min;
    int64_t balance_min;     /* hundredths, <= 0 */
    uint8_t contested;       /* CIVIC_CONTESTED_* */
    civic_duration objection_window;
    civic_tier *tiers;
    uint32_t tier_count;
    size_t tier_cap;
    civic_measure *measures;
    uint32_t measure_count;
    size_t measure_cap;
    /* The measures by the condition a subject must meet first (built by
     * tiers.c, read by eval.c), so that a subject costs the measures that
     * may apply to it, not all of them.  Group 0: those with only score
     * conditions; 1 + g: those with grades (and no flag or tier) that name
     * grade g; 1 + grade_count + f: those with flag f; then
     * 1 + grade_count + flag_count + t: those with tier t.  Each group is
     * sorted by min_score (no min_score first), a tier's by min_level, and
     * group k is measure_by[measure_group[k] .. measure_group[k + 1]). */
    uint32_t *measure_by;
    size_t measure_by_count;
    uint32_t *measure_group;
    size_t measure_group_count; /* entries of measure_group: groups + 1 */
};

/* Rule index of a code, or -1. */
int32_t civic__rules_find(const civic_rules *rules, const char *code, size_t len);

/* Whether two byte strings of length n are equal, without a call for the
 * short ones (codes, ids). */
static inline bool civic__bytes_equal(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        if (n > 16) return memcmp(a, b, n) == 0;
        uint64_t x = civic__read64((const unsigned char *)a) ^ civic__read64((const unsigned char *)b);
        uint64_t y = civic__read64((const unsigned char *)a + n - 8) ^
                     civic__read64((const unsigned char *)b + n - 8);
        return (x | y) == 0;
    }
    if (n >= 4) {
        uint64_t x = civic__read32((const unsigned char *)a) ^ civic__read32((const unsigned char *)b);
        uint64_t y = civic__read32((const unsigned char *)a + n - 4) ^
                     civic__read32((const unsigned char *)b + n - 4);
        return (x | y) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return false;
    return true;
}

/* civic__rules_find, inline for the parsers' one lookup per event. */
static inline int32_t civic__rules_lookup(const civic_rules *r, const char *code, size_t len)
{
    size_t h = (size_t)civic__hash_bytes(code, len);
    for (;; h++) {
        uint32_t v = r->rule_index[h & r->rule_index_mask];
        if (!v) return -1;
        const civic_rule *rule = &r->rules[v - 1];
        if (rule->code_len == len && civic__bytes_equal(rule->code, code, len))
            return (int32_t)(v - 1);
    }
}
/* The version of rule `rule` that governs an event at ts for an answer at
 * as_of (SPEC 9.1: the last change with from <= as_of and (recount or
 * from <= ts), else the base table). */
const civic_rule *civic__rule_version(const civic_rules *rules, uint32_t rule, int64_t ts,
                                      int64_t as_of);
/* The version in force at ts (non-retroactively): publicity, retain and
 * repair_after always come from it (SPEC 9.1). */
const civic_rule *civic__rule_version_at(const civic_rules *rules, uint32_t rule, int64_t ts);
/* The validity of an event whose raw (after repeat, before caps) is raw:
 * v->valid, or the first validity class that holds |raw| (SPEC 9.3). */
const civic_duration *civic__rule_validity(const civic_rules *rules, const civic_rule *v,
                                           int64_t raw);
void civic__rules_retain(civic_rules *rules);

/* toml.c: the TOML subset, as a stream of callbacks. */
enum { CIVIC_TOML_STRING, CIVIC_TOML_INTEGER, CIVIC_TOML_DECIMAL, CIVIC_TOML_BOOL };
typedef struct civic_toml_value {
    int type;
    const char *text;        /* strings: unescaped bytes; numbers: the literal */
    size_t len;
    size_t plain;            /* strings: text's bytes before its first escape, each the
                              * file's byte as far after the opening quote */
    bool boolean;
    bool letter_escape;      /* strings: a \t, \n, \r, \b or \f escape is written in it
                              * ("C:\temp": most often a backslash meant as itself) */
    size_t bare;             /* numbers: the bytes from text a string left unquoted would
                              * be ("2 stars": the rest of the line up to a comment), len
                              * when no more; else 0 */
    uint64_t line;
    uint32_t column;
    uint64_t offset;
} civic_toml_value;

typedef struct civic_toml_handler {
    /* A [table] (array = 0) or [[array]] header; key is the header text. */
    int (*table)(void *ctx, const char *key, size_t len, bool array, uint64_t line,
                 uint32_t column, uint64_t offset, civic_error *err);
    int (*pair)(void *ctx, const char *key, size_t len, const civic_toml_value *value,
                uint64_t line, uint32_t column, uint64_t offset, civic_error *err);
    void *ctx;
    /* Optional: what the value of a key is, for the hint of a value that is
     * neither: CIVIC_TOML_STRING (a string: "write it in double quotes"),
     * CIVIC_TOML_DECIMAL (a number: "without a unit"), CIVIC_TOML_BOOL, or
     * -1 (either, or a key not known: no hint); and for the line a ':' for
     * '=' is told to write (valid = "5d", base = 1000, none for -1). */
    int (*value_type)(void *ctx, const char *key, size_t len);
} civic_toml_handler;

/* file: text is a whole file's bytes, not a caller's buffer (whose last NUL
 * is most often a length of strlen(text) + 1: NUL_WHY says so). */
int civic__toml_parse(const char *text, size_t len, bool file, const civic_allocator *alc,
                      const civic_toml_handler *handler, civic_error *err);
/* Why the first look-alike character in t[0..n) is wrong (a dash or a
 * printed minus for '-', a typographic quote, a no-break space ...), or NULL. */
const char *civic__toml_lookalike_in(const char *t, size_t n);
/* That, and the offset of the character in t (at). */
const char *civic__toml_lookalike_at(const char *t, size_t n, size_t *at);
/* The first look-alike in t[0..n) named, what it is without what to write
 * ("U+00A0 is a no-break space", "U+FF0D is a full-width character"), in
 * buf (of `size` bytes: 64 are enough), its offset in *at; or NULL: for a
 * field where the usual replacement may still be wrong (a qty, a ts). */
const char *civic__toml_lookalike_name(const char *t, size_t n, char *buf, size_t size,
                                       size_t *at);
/* That, or for any other character that is not ASCII its code point (in
 * buf, of `size` bytes: 120 are enough), or NULL. */
const char *civic__toml_char_why(const char *t, size_t n, char *buf, size_t size);
/* The code point of the first character of t[0..n) that is not ASCII (0:
 * none, or not UTF-8), and in *like whether it is a letter of a script
 * whose letters look like ASCII ones (Latin with marks, Greek, Cyrillic). */
uint32_t civic__toml_not_ascii(const char *t, size_t n, bool *like);

/* fileio.c: what a file is when its first bytes say it is not text (none of
 * these can begin a rules file, a CSV header or a JSON line): a magic
 * number, a byte order mark, or UTF-16 or UTF-32 text without one (a NUL
 * among its first four bytes: one check shared by the rules reader and the
 * log reader). */
typedef enum civic_binary {
    CIVIC_BINARY_NONE, /* text, as far as the first bytes tell */
    CIVIC_BINARY_GZIP, CIVIC_BINARY_ZSTD, CIVIC_BINARY_XZ, CIVIC_BINARY_BZIP2,
    CIVIC_BINARY_ZIP, CIVIC_BINARY_SQLITE, CIVIC_BINARY_ELF, CIVIC_BINARY_UTF16,
    CIVIC_BINARY_UTF32, CIVIC_BINARY_XLS, CIVIC_BINARY_SNAPSHOT, CIVIC_BINARY_JOURNAL
} civic_binary;

civic_binary civic__binary_kind(const char *data, size_t len);
/* What it is and what to do, for an event log or (rules) a rules file; NULL
 * for CIVIC_BINARY_NONE. */
const char *civic__binary_text(civic_binary kind, bool rules);

/* ------------------------------------------------------------------ */
/* engine.c: event storage                                             */
/* ------------------------------------------------------------------ */

#include "table.h"
#include "ids.h"

/* Event types: a rule index (< CIVIC_TYPE_BUILTIN_MIN) or a built-in
 * (event.c has their names, in one table). */
#define CIVIC_TYPE_BUILTIN_MIN 0xFFF0u
#define CIVIC_TYPE_OBJECT 0xFFFAu
#define CIVIC_TYPE_DISMISS 0xFFFBu
#define CIVIC_TYPE_CORRECT 0xFFFCu
#define CIVIC_TYPE_REVOKE 0xFFFDu
#define CIVIC_TYPE_REPAIR 0xFFFEu
#define CIVIC_TYPE_REDEEM 0xFFFFu

/* One stored event: 32 bytes, so that two fill a cache line and none
 * straddles two (the array is 32-byte aligned).  Its id (and a pointer
 * event's ref) is length-prefixed text in the engine's id store, found by
 * a 40-bit offset, except an id the array of numbered ids holds (ids.h):
 * that one keeps no text, its "offset" is CIVIC_ID_NUMBERED | its number
 * and civic__ev_id spells it out.  Its qty is kept in 31 bits, or in the
 * side array e->wide when it is larger (civic__ev_qty).  Read those three
 * through the accessors below, never the raw fields. */
typedef struct civic_ev {
    int64_t ts;
    uint32_t subject;
    uint32_t prev;           /* previous event of the same subject */
    uint32_t group;          /* index into engine groups, CIVIC_NONE = none */
    uint32_t id;             /* low 32 bits of the id's offset in the id store (or
                                of CIVIC_ID_NUMBERED | its number) */
    uint32_t aux;            /* pointer types: low 32 bits of the ref's offset; others:
                                qty (thousandths) < 2^31, or CIVIC_EV_WIDE | index in e->wide */
    uint16_t type;           /* rule index or CIVIC_TYPE_* */
    uint8_t id_hi, aux_hi;   /* bits 32..39 of the offsets */
} civic_ev;

_Static_assert(sizeof(civic_ev) == 32, "civic_ev is 32 bytes");
#define CIVIC_EV_WIDE 0x80000000u

/* The id store: every event id and ref, each a length byte and the bytes
 * (no NUL), back to back in one growable block.  Offsets (of the text,
 * after its length byte, so never 0) never change; pointers do when the
 * store grows, so hold an offset across anything that may insert. */
typedef struct civic_id_store {
    char *data;
    uint64_t used, cap;        /* bytes */
} civic_id_store;

/* Bit 39 of an id's 40-bit offset: the id is numbered (ids.h), the bits
 * below are its number and it has no text in the store.  So the store
 * stays below it: 512 GiB. */
#define CIVIC_ID_NUMBERED ((uint64_t)1 << 39)
#define CIVIC_ID_STORE_BYTES_MAX CIVIC_ID_NUMBERED

/* An event's id as the evaluation holds it, not spelt out: length-prefixed
 * text (num CIVIC_ID_TEXT), or the numbered ids' prefix (length-prefixed)
 * and the number, whose digits follow it. */
#define CIVIC_ID_TEXT UINT64_MAX
typedef struct civic_id_view {
    const char *text;
    uint64_t num;
} civic_id_view;

/* Room for a numbered id spelt out: its length byte, prefix and digits. */
typedef struct civic_id_buf {
    char b[1 + CIVIC_DENSE_PREFIX_MAX + CIVIC_DENSE_DIGITS_MAX];
} civic_id_buf;

/* engine.c: the prefix and digits of num in buf, length-prefixed (the
 * pointer is buf->b + 1). */
const char *civic__id_spell(const char *prefix, uint64_t num, civic_id_buf *buf);
/* v's text, length-prefixed: v's own, or spelt out in buf. */
static inline const char *civic__id_text(civic_id_view v, civic_id_buf *buf)
{
    return v.num == CIVIC_ID_TEXT ? v.text : civic__id_spell(v.text, v.num, buf);
}
/* Ids bytewise, shorter first on a common start (<0, 0, >0). */
int civic__id_compare(civic_id_view a, civic_id_view b);

/* engine.c: the storage, for the engine and purge.c's rebuild. */
int civic__id_store_grow(const civic_allocator *a, civic_id_store *st, uint64_t bytes);
/* Room for `bytes` more bytes in st: inline when there is room. */
static inline int civic__id_store_reserve(const civic_allocator *a, civic_id_store *st,
                                          uint64_t bytes)
{
    return st->data && bytes <= st->cap - st->used ? CIVIC_OK : civic__id_store_grow(a, st, bytes);
}
/* A length-prefixed copy of (s, n) in st, which has the room: its offset. */
static inline uint64_t civic__id_store_put(civic_id_store *st, const char *s, size_t n)
{
    CIVIC_ASSERT(n <= 255 && n + 1 <= st->cap - st->used);
    char *p = st->data + st->used;
    p[0] = (char)n;
    memcpy(p + 1, s, n);
    st->used += n + 1;
    return st->used - n;
}
/* Where event id (s, n) is kept, the index having located and prepared it
 * at `at`: a numbered id's number (CIVIC_ID_NUMBERED), else its copy's
 * offset in st, which has the room. */
static inline uint64_t civic__id_store_id(civic_id_store *st, const civic_id_at *at,
                                          const char *s, size_t n)
{
    if (at->dense && at->v < CIVIC_ID_NUMBERED) return CIVIC_ID_NUMBERED | at->v;
    return civic__id_store_put(st, s, n);
}
void civic__id_store_free(const civic_allocator *a, civic_id_store *st);
/* The event array: cap records, 32-byte aligned at *events inside *block;
 * the first count of them are kept when it moves. */
int civic__events_realloc(const civic_allocator *a, void **block, civic_ev **events,
                          size_t count, size_t old_cap, size_t cap);
void civic__events_free(const civic_allocator *a, void *block, size_t cap);
/* Set the offsets of x's id and of its ref (or its aux: a narrow qty or a
 * wide index). */
static inline void civic__ev_set(civic_ev *x, uint64_t id, uint64_t aux)
{
    x->id = (uint32_t)id;
    x->id_hi = (uint8_t)(id >> 32);
    x->aux = (uint32_t)aux;
    x->aux_hi = (uint8_t)(aux >> 32);
}

typedef struct civic_subject {
    const char *id;          /* length-prefixed */
    uint64_t key;            /* civic__name_key(id): a lookup compares it first */
    uint32_t last;           /* newest event index (insertion order) */
    uint32_t count;
} civic_subject;

/* A name's length and up to its first CIVIC_NAME_KEY_BYTES bytes in one
 * word: equal keys mean equal names for names no longer than that, so a
 * lookup of such a subject reads its record and never its text (one cache
 * miss instead of two). */
#define CIVIC_NAME_KEY_BYTES 7
_Static_assert(1 + CIVIC_NAME_KEY_BYTES == sizeof(uint64_t), "the length and the bytes fill a word");
static inline uint64_t civic__name_key(const char *s, size_t n)
{
    unsigned char b[1 + CIVIC_NAME_KEY_BYTES] = { (unsigned char)n };
    memcpy(b + 1, s, n < CIVIC_NAME_KEY_BYTES ? n : CIVIC_NAME_KEY_BYTES);
    uint64_t k;
    memcpy(&k, b, sizeof(k));
    return k;
}

typedef struct civic_intern {  /* a group path */
    const char *text;          /* length-prefixed */
} civic_intern;

/* The one way the engine reaches a journal (journal.c attaches it): after
 * every successful write of new events, under the write lock. */
typedef struct civic_commit_hook {
    /* Make events [first, e->event_count) durable, or fail: the write is
     * then rolled back and fails with this code. */
    int (*commit)(void *ctx, const civic_engine *e, size_t first, civic_error *err);
    /* The engine is being freed: close whatever ctx holds. */
    void (*release)(void *ctx, const civic_allocator *alc);
    /* Make a purge up to `before` durable before it is applied (purge.c);
     * a failure leaves the engine unpurged.  NULL: nothing to record. */
    int (*purge)(void *ctx, const civic_engine *e, int64_t before, civic_error *err);
    void *ctx;
} civic_commit_hook;

/* What a purge leaves of the events it removed (SPEC 10.4): their ids, so
 * that they stay duplicates, and where pointers and acts stood. */
typedef struct civic_tomb {
    const char *id;            /* length-prefixed, in tombs.arena */
    int64_t ts;
    int64_t horizon;           /* the H of the purge that removed it: a pointer at
                                  it dated in [ts, horizon] is archived on arrival */
    uint32_t subject;          /* subject index */
    uint32_t act;              /* act id, CIVIC_NONE */
} civic_tomb;

typedef struct civic_act_tomb {
    uint32_t subject, act;
    int64_t until;             /* the act's archival instant t*: members dated at or
                                  before it are archived on arrival */
} civic_act_tomb;

typedef struct civic_tombs {
    civic_tomb *items;
    size_t count, cap;
    civic_table table;         /* id -> tomb */
    civic_arena arena;         /* tomb ids */
    civic_act_tomb *acts;      /* sorted by (subject, act) */
    size_t act_count, act_cap;
} civic_tombs;

/* The optional event fields of version 2 (extras.c), parallel to the event
 * array but allocated only once some event carries one: a log without act
 * and source pays nothing. */
typedef struct civic_extras {
    uint32_t *act;             /* per event: act id, CIVIC_NONE; NULL: no act yet */
    uint32_t *source;          /* per event: source id, CIVIC_NONE; NULL: none yet */
    size_t act_cap, source_cap;
    const char **act_text;     /* act id -> length-prefixed text */
    size_t act_count, act_text_cap;
    const char **source_text;  /* source id -> length-prefixed text */
    size_t source_count, source_text_cap;
    civic_table act_table, source_table;
    bool v2_events;            /* some event used act, source or a version-2 type */
} civic_extras;

/* From this many events on, evaluating all subjects (query.c) takes two
 * passes, halves of the rows by events, and each pass buckets only its own
 * subjects' events: the bucket, 4 bytes an event and the largest scratch of
 * the evaluation, is half as large, for one more read of the event array
 * (bench/RESULTS.md has the figures).  Per engine, so that tests can lower it. */
#ifndef CIVIC_TWO_PASS_EVENTS /* a build for tests may lower it */
#define CIVIC_TWO_PASS_EVENTS ((size_t)1 << 22)
#endif

/* The most purges a file may say an engine made: no engine makes that
 * many, and one more must not wrap the count to 0. */
#define CIVIC__PURGE_SEQ_MAX ((uint64_t)1 << 62)

struct civic_engine {
    civic_allocator alc;
    civic_rules *rules;
    struct civic_lock *lock;   /* engine.c; behind a pointer: const queries lock it too */
    uint64_t events_max;
    uint32_t threads;          /* >= 1: internal worker threads allowed */
    size_t two_pass_events;    /* CIVIC_TWO_PASS_EVENTS */
    bool serial_loads;         /* tests: every load by the serial reader, the
                                  pipeline's reference (civic__engine_serial_loads) */
    civic_id_store id_store;   /* event ids and refs */
    civic_arena names;         /* subject ids and group paths: dense, mostly cached */
    civic_ev *events;          /* 32-byte aligned, inside events_block */
    size_t event_count, event_cap;
    void *events_block;        /* the allocation: event_cap + 1 records */
    int64_t *wide;             /* qtys of 2^31 thousandths and more (civic_ev.aux) */
    size_t wide_count, wide_cap;
    civic_id_index ids;        /* event ids (ids.h) */
    civic_subject *subjects;
    size_t subject_count, subject_cap;
    civic_table subject_table;
    civic_intern *groups;
    size_t group_count, group_cap;
    civic_table group_table;
    int64_t ts_min, ts_max;
    civic_commit_hook hook;    /* commit NULL: nothing attached; set under the write lock */
    civic_extras extras;
    int64_t purge_horizon;     /* CIVIC_NO_TIME: never purged */
    civic_tombs tombs;         /* purge.c; empty until the first purge */
    uint64_t purges;           /* purges applied: a batch cannot roll back across one */
    uint64_t purge_seq;        /* purges in the engine's history, those of the snapshot it
                                  loaded and of the journal it replayed included: a journal's
                                  purge record carries its number, and a replay skips one the
                                  engine holds already (snapshot.c, journal.c); a file
                                  saying more than CIVIC__PURGE_SEQ_MAX is damaged */
    struct civic_cache *cache; /* cache.c: folds of busy subjects; behind a pointer like lock */
    uint32_t *qty_fast;        /* per rule: a plain qty below it cannot overflow (event.c) */
    /* The slots and mask of the id and subject tables after the last write,
     * stored and loaded atomically: civic_engine_add reads them before it
     * takes the lock, to prefetch the slots its event will probe while it
     * parses.  A stale value only wastes a prefetch (prefetches never fault). */
    uintptr_t hint_ids, hint_subjects;
    size_t hint_ids_mask, hint_subjects_mask;
};

/* The id of stored event x, not spelt out. */
static inline civic_id_view civic__ev_id_view(const civic_engine *e, const civic_ev *x)
{
    uint64_t at = ((uint64_t)x->id_hi << 32) | x->id;
    if (at & CIVIC_ID_NUMBERED)
        return (civic_id_view){ e->ids.dense.prefix + 1, at & ~CIVIC_ID_NUMBERED };
    return (civic_id_view){ e->id_store.data + at, CIVIC_ID_TEXT };
}
/* The id of stored event x, length-prefixed (not NUL-terminated): in the
 * store, or spelt out in buf (valid while buf is). */
static inline const char *civic__ev_id(const civic_engine *e, const civic_ev *x, civic_id_buf *buf)
{
    return civic__id_text(civic__ev_id_view(e, x), buf);
}
/* The ref of a pointer event (civic__type_has_ref), length-prefixed. */
static inline const char *civic__ev_ref(const civic_engine *e, const civic_ev *x)
{
    return e->id_store.data + (((uint64_t)x->aux_hi << 32) | x->aux);
}
/* The qty of a rule event or a redeem (thousandths); 0 for a pointer event. */
static inline int64_t civic__ev_qty(const civic_engine *e, const civic_ev *x)
{
    if (x->type >= CIVIC_TYPE_OBJECT && x->type <= CIVIC_TYPE_REPAIR) return 0; /* has a ref */
    return x->aux & CIVIC_EV_WIDE ? e->wide[x->aux & ~CIVIC_EV_WIDE] : (int64_t)x->aux;
}

/* The keys of the three intern tables (civic_key_fn; owner: the engine).
 * The id table holds only ids with text: a numbered one is the array's. */
static inline const char *civic__event_key(const void *owner, uint32_t i)
{
    const civic_engine *e = owner;
    civic_id_view v = civic__ev_id_view(e, &e->events[i]);
    CIVIC_ASSERT(v.num == CIVIC_ID_TEXT);
    return v.text;
}
static inline const char *civic__subject_key(const void *owner, uint32_t i)
{
    return ((const civic_engine *)owner)->subjects[i].id;
}
static inline const char *civic__group_key(const void *owner, uint32_t i)
{
    return ((const civic_engine *)owner)->groups[i].text;
}

/* Queries: shared access between these two calls. */
void civic__engine_read_begin(const civic_engine *e);
void civic__engine_read_end(const civic_engine *e);
/* Whether this thread is inside a write to e (a reject callback of its load). */
bool civic__engine_writing(const civic_engine *e);
/* CIVIC_OK, or the CIVIC_E_INVALID civic__engine_write gives a write from
 * inside one of e's writes: for a write that opens a file first, so that
 * the refusal comes before the file is opened (a missing one said
 * CIVIC_E_IO, a FIFO blocked) or its directory swept. */
int civic__engine_write_allowed(const civic_engine *e, civic_error *err);
/* A journal's open or close of e, whole, between these two (the close's
 * sync and the release of the file's lock happen after its write): another
 * open waits for it rather than find the engine free and its file still
 * locked.  Queries and other writes go on meanwhile.  begin returns whether
 * it took the lock (not in a callback of e's own write); give that to end. */
bool civic__engine_journal_begin(const civic_engine *e);
void civic__engine_journal_end(const civic_engine *e, bool began);
/* Writes: apply changes the engine under the exclusive lock; returns < 0 on
 * failure (then every change since the call began is rolled back), else 0
 * or an information code such as CIVIC_DUPLICATE.  New events of a
 * successful apply go to the commit hook attached when the write began, and
 * a failing hook rolls the write back too. */
typedef int (*civic_apply_fn)(civic_engine *e, void *ctx, civic_error *err);
int civic__engine_write(civic_engine *e, civic_apply_fn apply, void *ctx, civic_error *err);

/* Little-endian integers in stored files (snapshot.c, journal.c). */
static inline void civic__put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void civic__put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint32_t civic__get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}
static inline uint64_t civic__get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* "HH:MM:SS" at s: the second of the day, or -1 when it is not two digits,
 * a colon, two, a colon and two, with an hour under 24 and a minute and a
 * second under 60.  The eight bytes are checked and added up at once: a
 * digit is a byte 0x30..0x39, so one whose high nibble is 3 and stays 3
 * when 6 is added; tens and units pair up in one multiply. */
static inline int32_t civic__clock_seconds(const unsigned char *s)
{
    const uint64_t digits = UINT64_C(0xFFFF00FFFF00FFFF), high = UINT64_C(0xF0F0F0F0F0F0F0F0);
    const uint64_t zeros = UINT64_C(0x3030303030303030) & digits;
    uint64_t v;
    memcpy(&v, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    if ((v & ~digits) != UINT64_C(0x00003A00003A0000) || (v & high & digits) != zeros ||
        ((v + (UINT64_C(0x0606060606060606) & digits)) & high & digits) != zeros)
        return -1;
    /* units in bytes 1, 4, 7 are added to ten times the tens in 0, 3, 6 */
    uint64_t d = v & UINT64_C(0x0F0F000F0F000F0F);
    uint64_t t = d * 10 + (d >> 8);
    uint32_t hour = (uint32_t)(t & 0xFF), minute = (uint32_t)(t >> 24) & 0xFF,
             second = (uint32_t)(t >> 48) & 0xFF;
    if (hour > 23 || minute > 59 || second > 59) return -1;
    return (int32_t)(hour * 3600 + minute * 60 + second);
}

/* Make a date (its first eight bytes, the next two, its days) the cache's
 * most recent; the one that was becomes the other, the other is dropped. */
static inline void civic__ts_cache_put(civic_ts_cache *c, uint64_t head, uint16_t tail,
                                       int64_t days)
{
    c->head[1] = c->head[0];
    c->tail[1] = c->tail[0];
    c->days[1] = c->days[0];
    c->head[0] = head;
    c->tail[0] = tail;
    c->days[0] = days;
}

/* The days of a date in the cache, which becomes its most recent; false
 * when the cache does not hold it. */
static inline bool civic__ts_cache_find(civic_ts_cache *c, uint64_t head, uint16_t tail,
                                        int64_t *days)
{
    if (head == c->head[0] && tail == c->tail[0]) {
        *days = c->days[0];
        return true;
    }
    if (head != c->head[1] || tail != c->tail[1]) return false;
    *days = c->days[1];
    civic__ts_cache_put(c, head, tail, *days);
    return true;
}

/* civic__time_parse, quicker on a date in the cache: the same answers and
 * the same errors.  Inline, the form a log repeats line after line:
 * "YYYY-MM-DDTHH:MM:SS", with or without Z, on one of the two dates
 * parsed last.
 * Anything else, and anything wrong, is civic__time_parse_cached_any's. */
static inline int civic__time_parse_cached(const char *s, size_t n, int32_t local_offset,
                                           civic_ts_cache *c, int64_t *out, const char **why)
{
    /* s[4] == '-': an empty cache (all zero) is never a hit */
    if ((n == 19 || (n == 20 && s[19] == 'Z')) && s[4] == '-' && s[10] == 'T') {
        uint64_t head;
        uint16_t tail;
        memcpy(&head, s, 8);
        memcpy(&tail, s + 8, 2);
        int32_t secs = civic__clock_seconds((const unsigned char *)s + 11);
        int64_t days;
        if (secs < 0 || !civic__ts_cache_find(c, head, tail, &days))
            return civic__time_parse_cached_any(s, n, local_offset, c, out, why);
        int64_t t = days * 86400 + secs - (n == 20 ? 0 : local_offset);
        if (t >= CIVIC_TIME_MIN && t <= CIVIC_TIME_MAX) {
            *out = t;
            return CIVIC_OK;
        }
    }
    return civic__time_parse_cached_any(s, n, local_offset, c, out, why);
}

/* A parsed event ready to insert (strings borrowed from the input). */
typedef struct civic_parsed {
    const char *id, *subject, *group, *ref;
    size_t id_len, subject_len, group_len, ref_len;
    const char *act, *source;  /* version 2; act only on rule events */
    uint32_t act_len, source_len;
    int64_t ts;
    int64_t qty;
    uint32_t id_hash, subject_hash, group_hash; /* computed while parsing */
    /* Subject and group indices looked up ahead of the insert (parallel
     * loads), or CIVIC_NONE: unknown, the insert looks them up itself. */
    uint32_t subject_index, group_index;
    uint16_t type;
} civic_parsed;

/* Text fields of an event as read from CSV/JSON/API; NULL = absent. */
enum { CIVIC_F_ID, CIVIC_F_SUBJECT, CIVIC_F_TYPE, CIVIC_F_TS, CIVIC_F_QTY, CIVIC_F_GROUP,
       CIVIC_F_REF, CIVIC_F_ACT, CIVIC_F_SOURCE, CIVIC_F_COUNT };
typedef struct civic_fields {
    const char *v[CIVIC_F_COUNT];
    size_t n[CIVIC_F_COUNT];
    uint32_t column[CIVIC_F_COUNT]; /* for error positions; 0 = unknown */
    bool printable;            /* only printable ASCII in id, subject, group, ref, act
                                * and source (check_text's fields), at least */
    civic_ts_cache *ts_cache;  /* the reader's date cache, or NULL */
    civic_type_cache *type_cache; /* the reader's rule codes, or NULL */
    civic_meant_memo *meant;   /* the load's did-you-means of unknown types, or NULL */
    bool hashed;               /* id_hash and subject_hash are the fields' hashes */
    uint8_t ts_number, qty_number; /* CIVIC_NUM_*: text, or a JSON number and
                                * whether it was written out (a number kept as
                                * written has its exponent read, so the message
                                * says why it is refused) */
    uint8_t variants;          /* JSON Lines under version-1 rules: bit k (k <=
                                * CIVIC_F_TS) a key spelling field k's name in
                                * other letters or with blanks, the exact key
                                * absent (column[k] is that key's); bit k + 4:
                                * with blanks.  Read only to say "missing" */
    uint32_t id_hash, subject_hash;
} civic_fields;

/* What JSON Lines made of a ts or qty number.  Past PLAIN the number is kept
 * as written, and says why it could not be written out. */
enum { CIVIC_NUM_TEXT, /* not a number: a string, or CSV or the API */
       CIVIC_NUM_PLAIN, /* written out without its exponent ("1.5e2" -> "150") */
       CIVIC_NUM_CHANGED, /* a ts: so, its text changed by it or by the drop of its
                           * fraction (CIVIC_TS_WRITTEN_OUT) */
       CIVIC_NUM_LONG, /* longer than 95 bytes as written */
       CIVIC_NUM_DIGITS, /* more than 52 significant digits and an exponent */
       CIVIC_NUM_HUGE, /* 1e40 or more */
       CIVIC_NUM_TINY }; /* below 1e-41, not 0 (a ts: its second, 0 or -1) */

/* What a refused ts adds, when no hint does, after its quote of a JSON
 * number written out (CIVIC_NUM_CHANGED): "-62135596801" is in no file. */
#define CIVIC_TS_WRITTEN_OUT " (the JSON number written out, to the whole second)"

/* Why a ts is refused for its form (a JSON number past what can be written
 * out, or text longer than 64 bytes), NULL when it is not; *code its
 * status.  The load and the split say it alike. */
const char *civic__ts_form_refused(uint8_t number, size_t n, int *code);

/* event.c: what a ts or qty (field, CIVIC_F_TS or CIVIC_F_QTY) v[0..n)
 * that failed to parse most likely is, " (...)" in buf (size >= 128), else
 * "": a database's NULL, a locale's date or number, the value to write only
 * where the field takes it (a ts under utc_offset; a redeem amount's 2
 * places when redeem, else a qty's 3).  The load's words, which civic_split
 * gives a ts too. */
/* event.c: whether text s[0..n), whose first byte not UTF-8 is s[bad], is
 * most likely Latin-1 (Windows-1252) text, not UTF-8 cut short: the load's
 * hint "(Latin-1 text? ...)", of a CSV field and a JSON string alike. */
bool civic__latin1_like(const char *s, size_t n, size_t bad);
const char *civic__value_hint(int field, bool redeem, int32_t utc_offset, const char *v,
                              size_t n, char *buf, size_t size);
/* event.c: what a time v[0..n) of none of the ts forms most likely is, for
 * civic_rules_parse_time_ext, " (...)" in buf (size >= 128), else "": the
 * look-alike character named ("U+FF12 is a full-width character"), a
 * locale's date or a time without its seconds as the load tells a ts (the
 * time to write only where it is taken under utc_offset), a database's NULL
 * (as no time: a time given to a function has no empty field to be). */
const char *civic__time_hint(int32_t utc_offset, const char *v, size_t n, char *buf, size_t size);
/* event.c: whether a ts v[0..n) holds a look-alike character (a full-width
 * digit or dash, a no-break space), and then in after (size >= 176) the
 * hint the load gives it after "bad timestamp" and the value; civic_split
 * gives it alike. */
bool civic__ts_lookalike_hint(const char *v, size_t n, char *after, size_t size);
/* event.c: what an event is. */
extern const char *const civic__field_names[CIVIC_F_COUNT];
/* Columns a CSV header may have (the loaders' and civic_split's): columns
 * no field takes are ignored, up to this many. */
#define CIVIC__CSV_COLUMNS_MAX 1024u
/* The fingerprint of libcivic 1.0.0's built-in scheme (kept as
 * examples/data/community-1.0.toml; 1.1's built-in scheme is revised): the
 * snapshots and journals of a 1.0 program that scored under its built-in
 * rules carry it, and a mismatch names that file. */
#define CIVIC__FINGERPRINT_1_0_BUILT_IN UINT64_C(0x6dfa6006ce7a0b42)
/* csv.c: whether the record raw[0..raw_n) (without its LF; its first line
 * raw_line; NULL: none) is records joined by lone CRs (old Mac line ends)
 * under a header of ncols columns, and then in where (size >= 96) the hint
 * an error `what` at `line` gets: where the CR is ("" when `what` speaks
 * of a carriage return already).  The load and the split say it alike. */
/* csv.c: an error e of the one-line record p[0..n) (without its LF) that
 * ends in a carriage return before its line end's (CR CR LF: a line end
 * written over one that had its CR already), met in its last field, where
 * the CR shows only as "\x0d" in the value: where it is, as the header's and
 * a mid-record CR are told.  The load and the split say it alike. */
void civic__csv_stray_cr_note(civic_error *e, const char *p, size_t n);
bool civic__csv_cr_hint(char *where, size_t size, const char *what, const char *raw,
                        size_t raw_n, uint32_t ncols, uint64_t line, uint64_t raw_line);
/* csv.c: whether the record p[0..n) after the header is commas and blanks
 * only, as a spreadsheet leaves below its data; its error then adds
 * CIVIC__EMPTY_ROW, in the load and the split alike. */
bool civic__csv_separators_only(const char *p, size_t n);
#define CIVIC__EMPTY_ROW " (an empty row (only separators): delete it)"
/* A CSV header as read (the load's or the split's): ncols columns, each
 * the CIVIC_F_* it takes or -1; the hash and length of its bytes (no mark,
 * no line end); v1: names matched as rules of version 1 (or a split without
 * CIVIC_SPLIT_V2) match them. */
typedef struct civic_csv_header {
    uint32_t ncols;
    const int16_t *col_field;
    uint64_t hash;
    size_t n;
    bool v1;
} civic_csv_header;
/* csv.c: what a line refused, p[0..n) without its LF, is besides its error,
 * appended to e in the load's words (the split says it alike): a byte-order
 * mark that opens it, the header h again or another file's header (files
 * joined), a row of separators only.  h NULL: no header read yet. */
void civic__csv_line_note(civic_error *e, const char *p, size_t n, const civic_csv_header *h);
/* csv.c, for the load and the split alike: what a header record p[0..n)
 * (without its LF; its first line: line) that lacks a required column most
 * likely is, " (...)" in buf (size >= 128) or a static string, or "" (full-
 * width commas, a spreadsheet's "sep=X" line, ';' or tabs between names);
 * and of a header that fails otherwise, the hint of ';' or tabs alone. */
const char *civic__csv_header_hint(const char *p, size_t n, uint64_t line, bool v1, char *buf,
                                   size_t size);
const char *civic__csv_separators_hint(const char *p, size_t n, bool v1);
/* csv.c, for the load and the split alike: of a header's names that take
 * no field, the first that is what an export most likely calls each
 * required column ("Event ID", "Resident", "Event Type", "Date"), noted
 * name by name as the header is read (civic__csv_like_note; zero it first);
 * then the words of a header that lacks required columns, not seen[]
 * (civic__csv_missing_what). */
typedef struct civic_csv_like {
    const char *name[CIVIC_F_TS + 1]; /* blanks around trimmed; NULL: none */
    size_t n[CIVIC_F_TS + 1];
} civic_csv_like;
void civic__csv_like_note(civic_csv_like *like, const char *name, size_t n);
/* What follows "line N: " (said bytes before it) in the error of a header
 * that lacks the required columns not seen[CIVIC_F_ID..CIVIC_F_TS], into
 * what (size >= CIVIC_ERROR_MESSAGE_SIZE): every one named ("the header
 * has no 'id', 'subject' or 'ts' column (required: ...)"; one alone in
 * the words it always had), then hint (civic__csv_header_hint); then,
 * when hint is "" and like is not NULL, what to rename ("; rename 'Event
 * ID' to 'id' and 'Date' to 'ts'"), only when it fits the message whole. */
void civic__csv_missing_what(char *what, size_t size, const bool *seen,
                             const civic_csv_like *like, const char *hint, size_t said);
/* Whether like holds a name to rename for a required column not seen[]. */
bool civic__csv_like_any(const civic_csv_like *like, const bool *seen);
/* A log whose line breaks were removed (curl -d sends a file so, and so does
 * tr -d '\r\n') is one line: its header names and every event's fields run
 * together, the last name merged with the first id ("refe1").  Read as it
 * is, a header that still names id, subject, type and ts loads no event
 * and no error.  Where the header is the whole input (line 1, no line break
 * in the input at all: a header-only log that has one is never refused), a
 * name that reads as a time, as a ts does, is an event's ts, which no header
 * names (civic__csv_time_name; not a short integer such as a year "2024"),
 * where the header names id, subject, type or ts too: the header is
 * refused, at that name's column, in civic__csv_time_what's words; and a
 * header refused otherwise (a required column missing, more than 1024
 * columns, a name twice) gets CIVIC__ONE_LINE_HINT; a header longer than
 * 1 MiB, without a line break, CIVIC__LONG_LINE_HINT.  The load and the
 * split say them alike. */
#define CIVIC__BREAKS_GONE "were the log's line breaks removed? curl -d removes them: send " \
                           "the file with --data-binary"
#define CIVIC__ONE_LINE_HINT " (the header is the whole input, without a line break: " \
                             CIVIC__BREAKS_GONE ")"
#define CIVIC__LONG_LINE_HINT " (a header of more than 1 MiB without a line break: " \
                              CIVIC__BREAKS_GONE ")"
bool civic__csv_time_name(const char *name, size_t n);
void civic__csv_time_what(char *what, size_t size, const char *name, size_t n);
/* Of a header record p[0..n) that is the whole input and fails to be read
 * (a quote: fields run together), CIVIC__ONE_LINE_HINT appended to e where
 * a field of it, split at every comma, is such a time, and the record holds
 * no CR (lines ended by a lone CR have their breaks: "lines must end in LF
 * or CRLF" says it). */
void civic__csv_one_line_note(civic_error *e, const char *p, size_t n);
/* csv.c, for the load and the split alike: the error of a one-line record
 * p[0..n) (without its LF) that holds NUL bytes and has found (more: more
 * than found) fields, not the header's ncols, into what (size >= 160):
 * named by its NULs when they are all it holds or it is one field (the
 * first NUL's column returned, or 0 for a line of NULs alone), else by its
 * count, the first NUL's column after it (0 returned). */
uint32_t civic__csv_nul_what(char *what, size_t size, const char *p, size_t n, uint32_t ncols,
                             uint32_t found, bool more);
/* csv.c, for the load and the split alike: the end of the CSV record at p
 * (see csv.c), the message of a record longer than 1 MiB and of a quote at
 * p[open] never closed (its column returned, *line moved to its line), and
 * where a header record p[0..n) holds a CR that is no CRLF's. */
size_t civic__csv_record_end(const char *p, size_t len, bool final, bool *quoted,
                             bool *unterminated, size_t *open);
void civic__csv_too_long_what(char *what, size_t size, const char *p, size_t n, bool complete,
                              uint64_t line);
uint32_t civic__csv_unterminated_what(char *what, size_t size, const char *p, size_t n,
                                      size_t open, uint64_t *line);
bool civic__csv_header_cr(const char *p, size_t n, uint64_t *line, uint32_t *column);
/* The CIVIC_F_* a CSV header name means (blanks trimmed, any case), or -1.
 * v1 (rules of version 1, or a split, which has none): act and source only
 * from their exact lower-case names; in other letters or with blanks, -1,
 * as 1.0, which had neither field, ignored such a column (the loading
 * engine judges a split part's header by its own rules). */
int civic__field_of_name(const char *s, size_t n, bool v1);
/* Fields from values in CIVIC_F_* order with lengths n (NULL: the values
 * are NUL-terminated); an empty or NULL value is absent; no columns. */
void civic__fields_of(civic_fields *f, const char *const v[CIVIC_F_COUNT],
                      const size_t n[CIVIC_F_COUNT]);
/* Work out e->qty_fast from the rules (civic_engine_new). */
int civic__event_limits(civic_engine *e);
/* Validate and convert the text fields of one event. */
int civic__event_parse(const civic_engine *e, const civic_fields *f, civic_parsed *out,
                       uint64_t line, civic_error *err);
/* The built-in types, in CIVIC_TYPE_* order from CIVIC_TYPE_OBJECT: the only
 * place their names are spelled.  Inline (a static table per file that uses
 * it) so that rules.c, below event.c, can reserve the names. */
#define CIVIC_BUILTIN_COUNT 6u
static inline const char *civic__builtin_name(uint16_t type)
{
    static const char *const names[CIVIC_BUILTIN_COUNT] = { "object", "dismiss", "correct",
                                                           "revoke", "repair", "redeem" };
    return type >= CIVIC_TYPE_OBJECT ? names[type - CIVIC_TYPE_OBJECT] : NULL;
}
/* The built-in type named (s, n): true and *type (may be NULL) set, or false. */
static inline bool civic__builtin_type(const char *s, size_t n, uint16_t *type)
{
    for (unsigned i = 0; i < CIVIC_BUILTIN_COUNT; i++) {
        uint16_t t = (uint16_t)(CIVIC_TYPE_OBJECT + i);
        const char *name = civic__builtin_name(t);
        if (strlen(name) == n && memcmp(name, s, n) == 0) {
            if (type) *type = t;
            return true;
        }
    }
    return false;
}
/* rules.c: the type an unknown event type most likely meant, a rule code or
 * a built-in name: the same after the blanks around it are trimmed and
 * full-width ASCII is folded, in other letters, or as near as the rules
 * reader's "did you mean" asks; NULL if none. */
const char *civic__rules_type_meant(const civic_rules *r, const char *s, size_t n);
/* rules.c: the list (a flag, then a measure) a name that is none most
 * likely meant, as near as the rules reader's "did you mean" asks; NULL if
 * none. */
const char *civic__rules_list_meant(const civic_rules *r, const char *s, size_t n);
/* The name of a type (rule code or built-in name) and its length. */
const char *civic__type_name(const civic_rules *r, uint16_t type, size_t *n);
/* CIVIC_KIND_* of a type. */
uint32_t civic__type_kind(uint16_t type);
/* revoke, repair, object, dismiss and correct carry a ref (and no qty). */
static inline bool civic__type_has_ref(uint16_t type)
{
    return type >= CIVIC_TYPE_OBJECT && type <= CIVIC_TYPE_REPAIR;
}
/* A rule event (its type is the rule index). */
static inline bool civic__type_is_rule(uint16_t type) { return type < CIVIC_TYPE_BUILTIN_MIN; }
/* Which field of stored event `index` differs from p ("subject", "qty" ...);
 * NULL when none: p is a duplicate. */
const char *civic__event_difference(const civic_engine *e, uint32_t index, const civic_parsed *p);
/* The CIVIC_E_CONFLICT error for p, whose id is held (as event `index`)
 * with another `diff`: the message gives both values. */
int civic__event_conflict(civic_error *err, const civic_engine *e, uint32_t index,
                          const civic_parsed *p, uint64_t line, uint32_t column, const char *diff);
/* SPEC 4 step 4: raw = points, or points x qty for per = "unit" (hundredths,
 * rounded half away from zero).  false on overflow. */
bool civic__rule_raw(const civic_rule *rule, int64_t qty, int64_t *raw);
/* Insert (or detect a duplicate / conflict).  Returns CIVIC_OK, CIVIC_DUPLICATE
 * or an error; on error nothing was inserted. */
int civic__event_insert(civic_engine *e, const civic_parsed *p, uint64_t line,
                        uint32_t column, civic_error *err);

/* Tests only: have every load of e read by the format's serial reader
 * instead of the pipeline, whatever its size (load.c). */
void civic__engine_serial_loads(civic_engine *e, bool on);

/* Make room for `events` inserts whose ids and refs take id_bytes of the
 * event arena and whose new subjects and groups take name_bytes (each
 * string: length + 2); then civic__event_insert_reserved cannot fail for
 * lack of memory for that many events. */
int civic__engine_reserve_batch(civic_engine *e, size_t events, size_t id_bytes,
                                size_t name_bytes);
int civic__event_insert_reserved(civic_engine *e, const civic_parsed *p, uint64_t line,
                                 uint32_t column, civic_error *err);

typedef struct civic_batch_mark {
    size_t event_count, subject_count, group_count;
    uint64_t id_bytes;         /* e->id_store.used */
    size_t wide_count;
    civic_arena_mark names;
    int64_t ts_min, ts_max;
    size_t act_count, source_count; /* interned act and source texts (extras.c) */
    bool v2_events;
    uint64_t purges;           /* e->purges at the mark */
} civic_batch_mark;
civic_batch_mark civic__batch_begin(const civic_engine *e);
void civic__batch_rollback(civic_engine *e, const civic_batch_mark *m);


/* Make room for n more events: sizing a big load once saves rehashing the
 * id table (or copying the id array) as it grows. */
int civic__engine_reserve_events(civic_engine *e, size_t n);
/* Make room for n more subjects and n more groups, so that inserting that
 * many moves neither their arrays nor their tables.  A pipelined load calls
 * it before inserting while parsing threads look names up (load.c). */
int civic__engine_reserve_names(civic_engine *e, size_t n);
/* Look up an event by id (length-prefixed or plain bytes). */
uint32_t civic__event_find(const civic_engine *e, const char *id, size_t len);
uint32_t civic__subject_find(const civic_engine *e, const char *id, size_t len);


/* ------------------------------------------------------------------ */
/* eval.c                                                              */
/* ------------------------------------------------------------------ */

/* One event of a subject, in evaluation order. */
typedef struct civic_item {
    int64_t ts;
    int64_t eff;               /* ts + publicity (rule events of such rules); else ts */
    civic_id_view id;
    const civic_rule *v;       /* rule events: the version that governs it at T */
    int64_t raw, counted;
    int64_t end;               /* rule events: end of effect */
    int64_t repair;            /* earliest counting repair time, CIVIC_FOREVER none */
    int64_t corrected;         /* earliest correction time, CIVIC_FOREVER none */
    int64_t qty;               /* copied from the event: the fold never goes back */
    int64_t to_balance;        /* what it changed the balance by */
    uint32_t ev;               /* event index */
    uint32_t flags;            /* CIVIC_ITEM_* */
    uint32_t group;            /* to the scattered event array after the first pass */
    uint32_t act;              /* act id, CIVIC_NONE when none */
    uint32_t merged_with;      /* MERGED: item index of the act's counting event;
                                  the counting event: the member of its generation
                                  whose retention ends last (CIVIC_NONE: no act) */
    uint16_t type;
    uint8_t state;
} civic_item;

/* When retention archives a rule event (SPEC 10.4), CIVIC_FOREVER when its
 * rule keeps it (an act is archived when its generation's last is). */
int64_t civic__retained_until(const civic_rules *r, const civic_item *x);

/* One cap's use in its current period bucket, by one subject. */
typedef struct civic_cap_use {
    int64_t bucket;
    /* The total counted so far, a signed 128-bit integer in two words (a
     * net total of many large deductions passes 64 bits; words, so that
     * memory from a caller's allocator needs no 16-byte alignment): read
     * and written by cap_take only. */
    uint64_t used[2];
    uint32_t stamp;            /* the subject generation it belongs to */
} civic_cap_use;

/* Scratch reused across subjects by one evaluation (one thread). */
typedef struct civic_cache civic_cache;
#define CIVIC_EVAL_MEASURES_ALL 0u
#define CIVIC_EVAL_MEASURES_NONE 1u
#define CIVIC_EVAL_MEASURES_ONE 2u

typedef struct civic_eval {
    const civic_engine *e;
    const civic_rules *r;
    int64_t as_of;
    civic_item *items;
    size_t item_cap;
    /* per category / own-cap slot / shared cap scratch, stamped by subject */
    int64_t *cat_end;          /* repeat: the latest end of the category's events */
    uint32_t *cat_stamp;       /* of cat_end */
    civic_cap_use *slot_caps;  /* each own-cap slot (rule, period, mode) */
    civic_cap_use *shared_caps; /* each [cap.NAME] */
    uint32_t stamp;
    int64_t *dims;             /* dimension subtotals of the last subject */
    uint32_t *flag_marks;      /* flag index -> stamp */
    int64_t *tier_value;       /* per tier, of the last subject */
    uint32_t *tier_level;      /* per tier: level index or CIVIC_LEVEL_NONE */
    uint8_t *measure_on;       /* per measure: 1 when it applies */
    uint32_t *measure_list;    /* the measures set in measure_on, measure_listed of them */
    uint32_t measure_listed;
    /* Which measures outputs() computes (0 from eval_init: all of them).
     * A question that reads fewer sets it: a list of measure m reads only
     * measure_on[m], a list of a flag none (measure_count is then only
     * theirs).  Tiers are always computed: a tier's sum can overflow, and
     * that error is part of every answer. */
    uint8_t measures_wanted;   /* CIVIC_EVAL_MEASURES_* */
    uint32_t measure_one;      /* with CIVIC_EVAL_MEASURES_ONE */
    uint32_t *scratch;         /* acts: item indices */
    size_t scratch_cap;
    bool want_items;
    /* the balance fold of the last subject (a fold keeps it) */
    int64_t fold_balance, fold_period;
    bool fold_seen;
    int64_t next_ts;           /* the earliest ts > as_of of the last subject's events */
    /* purge.c: told of every act generation archived at as_of */
    void (*act_archived)(void *ctx, uint32_t subject, uint32_t act, int64_t until);
    void *act_ctx;
} civic_eval;

typedef struct civic_answer {
    int64_t score, balance, ceiling;
    uint64_t events;           /* listed: ts <= T and not archived */
    uint64_t archived;
    uint32_t grade;
    uint32_t group;            /* engine group index or CIVIC_NONE */
    uint32_t flag_count;
    uint32_t measure_count;
    size_t item_count;         /* items in ev->items, when want_items */
} civic_answer;

int civic__eval_init(civic_eval *ev, const civic_engine *e, int64_t as_of, bool want_items);
void civic__eval_free(civic_eval *ev);
/* Before scoring many subjects: room for subjects of up to n events, made
 * at once.  CIVIC_E_NOMEM when it cannot be had. */
int civic__eval_reserve(civic_eval *ev, size_t n);
/* Evaluate one subject from its event indices (any order). */
int civic__eval_subject(civic_eval *ev, const uint32_t *events, size_t n,
                        civic_answer *out);
uint32_t civic__grade_of(const civic_rules *r, int64_t score);
/* The fold cache (cache.c keeps folds; eval.c builds and reads them).
 * What an answer depends on besides T and its events' order: */
typedef struct civic_fold_key {
    uint64_t purges;           /* e->purges */
    uint64_t tombs, act_tombs; /* tombstones held */
    int64_t horizon;           /* e->purge_horizon */
    uint32_t subject, count, last; /* the subject, its event count and newest event */
    uint32_t reserved;         /* zero: keys are compared with memcmp */
} civic_fold_key;
/* A rule event the fold counted, with what the summary reads of it. */
typedef struct civic_fold_row {
    int64_t end, corrected, counted;
    const civic_rule *v;
} civic_fold_row;
/* A rule event a tier may count (neither set aside nor frozen). */
typedef struct civic_tier_row {
    int64_t eff, qty, counted;
    uint32_t type;
} civic_tier_row;
/* What of one subject's evaluation holds for every as_of in [lo, hi)
 * (eval.c says why), in one allocation of `bytes`. */
typedef struct civic_fold {
    civic_fold_key key;
    int64_t lo, hi;
    uint64_t events, archived;
    uint32_t group;
    bool balance_seen;
    int64_t balance, balance_period;
    civic_fold_row *rows;      /* in evaluation order, end > lo only */
    size_t row_count;
    civic_tier_row *tier_rows; /* in evaluation order; only when the scheme has tiers */
    size_t tier_row_count;
    /* With a final clamp and sums that cannot overflow in any order, the
     * events active at every as_of in [lo, hi) are summed up once here
     * and left out of rows. */
    int64_t fixed_sum, fixed_ceiling;
    int64_t *fixed_dims;       /* dimension_count */
    uint32_t *fixed_flags;     /* distinct flag indices */
    uint32_t fixed_flag_count;
    size_t bytes;
    /* cache.c, under its mutex */
    uint32_t refs;
    bool dead;                 /* out of the table: the last release frees it */
    uint64_t used;
} civic_fold;
/* The fold of the subject ev just evaluated at ev->as_of (answer a), key
 * left zero; NULL when out of memory. */
civic_fold *civic__eval_fold(const civic_eval *ev, const civic_answer *a);
/* The answer at ev->as_of (within [f->lo, f->hi)) from fold f: the same as
 * civic__eval_subject's, items excepted (item_count 0). */
int civic__eval_cached(civic_eval *ev, const civic_fold *f, civic_answer *out);
/* cache.c.  The engine's cache (civic__cache_new at engine creation, _free
 * with it).  Queries call the rest under the read lock, from any thread. */
int civic__cache_new(civic_engine *e);
void civic__cache_free(civic_engine *e);
/* Should subject s's folds be kept (enough events)? */
bool civic__cache_wants(const civic_engine *e, uint32_t s);
void civic__cache_key(const civic_engine *e, uint32_t s, civic_fold_key *k);
/* A fold of s valid at as_of, held until civic__cache_release; or NULL. */
const civic_fold *civic__cache_get(const civic_engine *e, uint32_t s, int64_t as_of);
void civic__cache_release(const civic_engine *e, const civic_fold *f);
/* Keep f (its key set), which the cache owns from now on (it may free it at once). */
void civic__cache_put(const civic_engine *e, civic_fold *f);
/* Tests: keep subjects with >= events_min events, at most bytes_max bytes
 * (call with no query running); what is kept now, and how many answers
 * came from a fold so far. */
void civic__cache_configure(civic_engine *e, uint32_t events_min, size_t bytes_max);
void civic__cache_stats(const civic_engine *e, size_t *folds, size_t *bytes, uint64_t *hits);
/* query.c: fill tier t of row i of a result (civic_result_tier). */
void civic__tier_fill(const civic_result *res, size_t i, size_t t, civic_tier_value *out);
/* query.c: evaluate one subject (by id, maybe unknown) into a one-row result,
 * leaving the items in ev.  The caller holds the read lock.  An id longer
 * than CIVIC_ID_BYTES_MAX is CIVIC_E_LIMIT, never a shorter subject. */
int civic__subject_answer(const civic_engine *e, civic_eval *ev, const char *subject,
                          civic_answer *a, civic_result **out);
/* Fill the caller's civic_score from a full one, for the caller's version
 * (CIVIC_E_VERSION when unknown). */
int civic__score_put(const civic_score *full, civic_score *out);

/* ------------------------------------------------------------------ */
/* fileio.c: durability primitives                                     */
/* ------------------------------------------------------------------ */

/* CRC-32C (Castagnoli), continuing from crc (0 to start). */
uint32_t civic__crc32c(uint32_t crc, const void *data, size_t n);
/* pwrite(2) until done; false on error (errno set). */
bool civic__write_all(int fd, const void *p, size_t n, uint64_t offset);
/* pread(2) until done; false on error or when the file ends first. */
bool civic__read_all(int fd, void *p, size_t n, uint64_t offset);
/* fsync the directory holding path; false on error (errno set). */
bool civic__fsync_parent(const char *path);
/* fopen(path, "rb") (close-on-exec) and fread(3) that go on after a signal
 * the host catches without SA_RESTART (EINTR: a FIFO's open waiting for its
 * writer, a read of a pipe); fread's short count otherwise means EOF or
 * error, as ferror(f) and errno say. */
FILE *civic__fopen_read(const char *path);
size_t civic__fread(void *p, size_t n, FILE *f);
/* A file replaced by rename must be the file its name leads to: a rename
 * over a symbolic link replaces the link, and the file it led to stays
 * behind, stale.  When path is itself a link, out (PATH_MAX bytes) gets the
 * absolute path of the file at its end: returns 1.  0: path is no link (or
 * nothing); out is untouched.  CIVIC_E_IO, with err naming `what` ("journal",
 * "snapshot") and path: the link leads to a missing file or cannot be
 * followed, or path (or the file it leads to) is a FIFO, a device or a
 * socket, which the rename would replace. */
int civic__link_target(const char *what, const char *path, char *out, civic_error *err);
/* path's absolute name into out (CIVIC_ABSOLUTE_NAME_SIZE bytes): its
 * directory by realpath(3) -- the file itself may not exist yet -- then "/"
 * and its last component, so that the name no later chdir() changes.  False
 * (errno set) when the directory cannot be resolved (missing, no access:
 * as an open of path would fail) or the name does not fit (ENAMETOOLONG,
 * also for a working directory deeper than PATH_MAX, where path itself may
 * still open: the journal then uses path as given). */
#define CIVIC_ABSOLUTE_NAME_SIZE (PATH_MAX + 256)
bool civic__absolute_name(const char *path, char *out, size_t out_size);
/* Lock the whole open file fd, shared or exclusive, against every other
 * open of it -- in this process too (open file description locks, or
 * flock).  wait: block until granted.  Returns 0, EAGAIN when another open
 * holds a conflicting lock, or another errno. */
int civic__file_lock(int fd, bool exclusive, bool wait);
/* fd moved above 2 (close-on-exec), so that a file this library writes is
 * never where a program with a closed stdin, stdout or stderr prints: fd
 * itself when it is -1 or above 2, else -1 (errno) when the move failed. */
int civic__fd_above_stdio(int fd);
/* path into out (strlen(path) + 1 bytes), its last component cut, when it
 * and suffix_bytes more would pass NAME_MAX, and tagged with a hash of the
 * whole component ("~" and 8 hex digits), so that the suffix fits; returns
 * the length of out.  The same path always gives the same name. */
size_t civic__name_fit(const char *path, size_t suffix_bytes, char *out);
/* Create "<path>.tmp.civic.XXXXXX" (path as civic__name_fit gives it; mode 0600,
 * close-on-exec) and lock it exclusively until it is closed: *fd_out, and
 * *name (*name_size bytes from alc) for the rename.
 * Returns CIVIC_OK, CIVIC_E_NOMEM or CIVIC_E_IO (errno says why). */
int civic__temp_create(const civic_allocator *alc, const char *path, char **name,
                       size_t *name_size, int *fd_out);
/* civic__temp_create into the caller's name (CIVIC_TEMP_NAME_EXTRA bytes
 * more than strlen(path)): CIVIC_OK or CIVIC_E_IO (errno says why). */
#define CIVIC_TEMP_NAME_EXTRA 18 /* sizeof ".tmp.civic.XXXXXX" */
int civic__temp_create_in(const char *path, char *name, int *fd_out);
/* Remove every "<path>.tmp.civic.XXXXXX" that no live writer holds: what a
 * writer killed before its rename left behind; and every "<path>.tmp.XXXXXX"
 * (libcivic 1.0's form, which an operator's copy may have too) that no
 * writer holds and that is such a leftover by its content (fileio.c).  Best
 * effort: errors are ignored. */
void civic__temp_sweep(const char *path);

/* ------------------------------------------------------------------ */
/* event_codec.c: the stored form of one event                         */
/* ------------------------------------------------------------------ */

/* ts, qty, five length-prefixed strings: the smallest and largest record. */
#define CIVIC_EVENT_RECORD_BYTES_MIN (8u + 8u + 5u)
/* Format 2 (version 2) adds act and source. */
#define CIVIC_EVENT_RECORD_BYTES_MAX \
    (8u + 8u + 7u + 64u + 128u + 128u + 255u + 128u + 128u + 128u)
/* Encode event `index` in record format 1 or 2 into out (at least
 * CIVIC_EVENT_RECORD_BYTES_MAX bytes); returns the bytes written. */
size_t civic__event_encode(const civic_engine *e, uint32_t index, unsigned format,
                           unsigned char *out);
/* Decode one event record of format 1 or 2 from [p, p + n), validate it like
 * any input and insert it.  *used gets the bytes consumed.  Returns CIVIC_OK,
 * CIVIC_DUPLICATE, CIVIC_E_CORRUPT (malformed record, or an id that
 * conflicts with an event inserted at index >= file_first, i.e. from the
 * same file) or an insert error.  other_rules: the file was written under
 * other rules, so an event that fails validation does not fit these
 * (CIVIC_E_MISMATCH, naming it) rather than being damage.  CIVIC_E_OVERFLOW:
 * a sound record of an event past the bound on one event's points, named
 * in err; CIVIC_E_VERSION: a sound record of an event of a 1.0 rule named
 * object, dismiss or correct (codes this version reserves), named in err,
 * under any rules; the caller reports either as CIVIC_E_CORRUPT (the code
 * its contract has for a file it cannot open) with
 * civic__error_refused_tail. */
int civic__event_decode_insert(civic_engine *e, const unsigned char *p, size_t n,
                               unsigned format, size_t file_first, bool other_rules, size_t *used,
                               civic_error *err);
/* The record format the engine's events need: 2 once any has act or source,
 * or is of a type 1.0 does not know (object, dismiss, correct: it calls the
 * file damaged), so that the file says version 2, which 1.0 refuses as
 * such.  From v2_events alone, which every insert of such an event sets
 * (store in engine.c, civic__extras_store) and a rolled-back batch restores:
 * the act and source arrays stay allocated after the batch that made them
 * is refused, and 1.0-only content must still be written as version 1. */
static inline unsigned civic__event_format(const civic_engine *e)
{
    return e->extras.v2_events ? 2u : 1u;
}

/* ------------------------------------------------------------------ */
/* snapshot.c, journal.c: the two durable files                        */
/* ------------------------------------------------------------------ */

/* Write the snapshot of e to path atomically; the caller holds a lock. */
int civic__snapshot_write(const civic_engine *e, const char *path, civic_error *err);

#define CIVIC_ITEM_REVOKED    0x1u
#define CIVIC_ITEM_CAPPED     0x2u
#define CIVIC_ITEM_ESCALATED  0x4u
#define CIVIC_ITEM_ACTIVE     0x8u
#define CIVIC_ITEM_SUSPENDED  0x10u  /* an objection applies, contested = "suspend" */
#define CIVIC_ITEM_MERGED     0x20u
#define CIVIC_ITEM_ARCHIVED   0x40u
#define CIVIC_ITEM_PENDING    0x80u
#define CIVIC_ITEM_FROZEN     0x100u
#define CIVIC_ITEM_CONTESTED  0x200u /* an objection applies, contested = "mark" */
#define CIVIC_ITEM_FLOORED    0x400u
#define CIVIC_ITEM_DISMISSED  0x800u /* objections: a dismissal applies */
/* Set aside before the fold: no effect at all. */
#define CIVIC_ITEM_GONE (CIVIC_ITEM_REVOKED | CIVIC_ITEM_SUSPENDED | CIVIC_ITEM_MERGED | \
                         CIVIC_ITEM_ARCHIVED | CIVIC_ITEM_PENDING)


/* extras.c: the optional event fields of version 2, kept apart from the
 * event records.  act ids are per engine; CIVIC_NONE when absent. */
uint32_t civic__event_act(const civic_engine *e, uint32_t index);
const char *civic__event_source(const civic_engine *e, uint32_t index); /* lp or NULL */
const char *civic__act_text(const civic_engine *e, uint32_t act);       /* lp */
/* The act/source texts of a new event, found among the interned ones or
 * copied into the names arena (not yet interned). */
typedef struct civic_extra_text {
    uint32_t act, source;            /* interned ids, or CIVIC_NONE */
    const char *new_act, *new_source; /* fresh copies to intern, or NULL */
} civic_extra_text;
/* Room for event e->event_count's extras and one new act and source.
 * Changes nothing else; CIVIC_E_NOMEM when out of memory. */
int civic__extras_reserve(civic_engine *e, const civic_parsed *p);
/* Look p's act and source up; copy the new ones into the names arena
 * (false when out of memory: the caller resets the arena). */
bool civic__extras_text(civic_engine *e, const civic_parsed *p, civic_extra_text *t);
/* Record the extras of event `index` (just stored; t NULL: it has none);
 * cannot fail after civic__extras_reserve. */
void civic__extras_store(civic_engine *e, uint32_t index, const civic_parsed *p,
                         const civic_extra_text *t);
/* Undo what a batch interned (civic__batch_rollback). */
void civic__extras_rollback(civic_engine *e, const civic_batch_mark *m);
void civic__extras_free(civic_engine *e);

/* The act id of a text, interned when new; CIVIC_NONE when out of memory
 * or not an act (extras.c).  The subject index of an id, a subject without
 * events when new (engine.c).  Both are undone by a batch rollback. */
uint32_t civic__act_intern(civic_engine *e, const char *text, size_t len);
uint32_t civic__subject_intern(civic_engine *e, const char *id, size_t len);

/* jsonl.c, for split.c: one JSON Lines line (without its '\n') read by the
 * loader's own parser into f, strings decoded into buf (at least n +
 * CIVIC__JSONL_LINE_EXTRA_BYTES bytes).  1: an object; 0: a blank line;
 * -1: malformed, with *why (static text) and *why_at (0-based byte). */
#define CIVIC__JSONL_LINE_EXTRA_BYTES 192
/* Of an object: for each field without its exact key, the first key that
 * spells its name in other letters or with blanks around it ("Subject",
 * "ts "): the key's column (1-based; 0: none) and whether it has blanks.
 * The loader refuses such a key under version-2 rules, and so does
 * civic__jsonl_fields with v2 (a split with CIVIC_SPLIT_V2); without, a
 * split only notes it. */
typedef struct civic_jsonl_variants {
    uint32_t column[CIVIC_F_COUNT];
    bool bare[CIVIC_F_COUNT];
} civic_jsonl_variants;
int civic__jsonl_fields(const char *p, size_t n, char *buf, civic_fields *f, bool v2,
                        civic_jsonl_variants *variants, const char **why, size_t *why_at);
/* What the loader says of such a key under version-2 rules (static text). */
const char *civic__jsonl_variant_why(int field, bool bare);
/* Whether that failure is a whole object, a CR and another object: a file
 * whose lines end in a lone CR. */
bool civic__jsonl_lone_cr(const char *p, size_t n, const char *why, size_t why_at);
/* The code of that failure: CIVIC_E_LIMIT for nesting past 64 levels,
 * else CIVIC_E_SYNTAX. */
int civic__jsonl_code(const char *why);
/* The words of a line's first error, why (at p[why_at]), for the line
 * p[0..n): why; for a line of NULs alone their count and why; for a
 * malformed number, or a number given for a text field, why with examples
 * of the value's own ("JSON writes 7, not 007"; "(write \"1\")"); for a
 * value JSON lacks (NaN, Infinity, as Python's json.dumps writes a float
 * NaN or inf), why and what it is, with the advice the Python binding's
 * add() gives a NaN ("an empty cell? write null or leave the key out");
 * the last three in buf (size >= 192); for a line that is a '#' comment,
 * that it is one; for objects run together on a line ("}{"), that it is
 * so, and on line 1 that the line breaks may have been removed
 * (CIVIC__BREAKS_GONE). */
const char *civic__jsonl_why(const char *p, size_t n, uint64_t line, const char *why,
                             size_t why_at, char *buf, size_t size);
/* Whether the text p[0..n) (a load's first bytes; more follow unless final)
 * is pretty-printed JSON, objects spread over lines (json.dumps(indent=2),
 * jq .): its first line that is not blank a '{' alone, and from it a whole
 * object of one member or more over several lines, then the next object or
 * the end.  No JSON Lines log begins so (a '{' alone is a bad line), so a
 * load refuses it whole, *line the line of that '{' and *at its offset. */
bool civic__jsonl_pretty(const char *p, size_t n, bool final, uint64_t *line, size_t *at);
/* What the load and the split say of it, after "line N: ". */
#define CIVIC__PRETTY_JSON "a JSON object over several lines (pretty-printed JSON): JSON Lines " \
                           "is one object a line (jq -c . FILE)"

/* What a ts or qty written without quotes that is no JSON number most
 * likely is (a date, a full-width digit ...), appended to e, whose message
 * the line's why began: where why is such an error; else nothing.  The
 * line is p[0..n), why_at the error's byte. */
void civic__jsonl_detail(const char *p, size_t n, const char *why, size_t why_at, civic_error *e);

/* purge.c */
/* The tomb of an event id, or NULL. */
const civic_tomb *civic__tomb_find(const civic_engine *e, const char *id, size_t len);
/* The archival instant of a purged act of subject, or CIVIC_NO_TIME. */
int64_t civic__act_tomb(const civic_engine *e, uint32_t subject, uint32_t act);
/* Purge up to `before` under the write lock, without journaling (a journal
 * replaying its record does this too).  On error nothing changed. */
int civic__purge_locked(civic_engine *e, int64_t before, civic_purge_report *report,
                        civic_error *err);
void civic__tombs_free(civic_engine *e);
/* Snapshots (snapshot.c) keep tombstones and the horizon: */
/* Add one tombstone of a stored file; CIVIC_E_CORRUPT for a bad one.
 * horizon: its purge's H, or CIVIC_NO_TIME when the file does not say (a
 * file whose tombstones all share its horizon): civic__tombs_set_horizon
 * fills it in once the file's horizon is known. */
int civic__tomb_load(civic_engine *e, const char *id, size_t id_len, int64_t ts,
                     int64_t horizon, const char *subject, size_t subject_len, const char *act,
                     size_t act_len);
/* Give the tombstones from index `from` on that have no horizon this one. */
void civic__tombs_set_horizon(civic_engine *e, size_t from, int64_t horizon);
int civic__act_tomb_load(civic_engine *e, const char *subject, size_t subject_len,
                         const char *act, size_t act_len, int64_t until);
/* Put the act tombstones in order after loading them. */
void civic__act_tombs_sort(civic_engine *e);
/* Whether every act tombstone from index `from` on (loaded, not yet sorted)
 * is one of those before it (sorted), with an archival instant no later:
 * sorting them in would change nothing. */
bool civic__act_tombs_known(const civic_engine *e, size_t from);
/* Forget the tombstones added after counts (count, act_count): a failed load. */
void civic__tombs_truncate(civic_engine *e, size_t count, size_t act_count);
/* Whether stored event `index` has p's act and source ("act", "source" or NULL). */
const char *civic__extras_difference(const civic_engine *e, uint32_t index,
                                     const civic_parsed *p);

#endif /* CIVIC_INTERNAL_H */
