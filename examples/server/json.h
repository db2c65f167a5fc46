/*
** json.h -- a growable output buffer and the JSON pieces civic-server writes.
**
** Every string goes through json_str, which escapes quotes, backslashes and
** control characters and replaces bytes that are not valid UTF-8 with
** U+FFFD, so an answer is valid UTF-8 JSON whatever the input was.  An
** allocation failure sets `oom` and turns every later write into a no-op;
** the caller checks it once at the end.
**
** The answers themselves (rows, records, groups, lists) are written by the
** shared writer examples/common/answers.h (see views.h); this module writes
** what is the service's own: errors, the POST /events report, /healthz,
** /compact, and the pieces views.c puts around the shared writer's output.
*/
#ifndef CIVIC_SERVER_JSON_H
#define CIVIC_SERVER_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "answers.h"
#include "civic.h"

typedef struct buf {
    char *p;
    size_t len, cap;
    bool oom;
    bool fixed; /* p is the caller's storage (buf_over): never grown nor freed */
} buf;

/* A buffer that writes into the caller's n bytes (n > 0) and never
 * allocates: what does not fit sets `oom`.  For an answer that must be
 * made when memory has run out (a write already applied). */
buf buf_over(char *p, size_t n);

void buf_put(buf *b, const char *s, size_t n);
void buf_puts(buf *b, const char *s);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void buf_printf(buf *b, const char *fmt, ...);

/* The value of a hex digit, -1 for any other character. */
int hex_digit(char c);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one.
 * NUL is not valid here: ids never contain it. */
/* utf8_seq and utf8_valid: answers.h (civic-score checks text with them too). */

void json_str(buf *b, const char *s);
void json_strn(buf *b, const char *s, size_t n);
/* As json_str, with Unicode's format characters (U+200B, U+202E, U+2066,
 * a byte-order mark, ...) and the line and paragraph separators (U+2028,
 * U+2029) escaped as \uXXXX as well: the same string to a JSON reader,
 * that a terminal or a viewer shows neither hidden nor reordered.  The
 * access log's. */
void json_str_shown(buf *b, const char *s);
/* "key": with a leading comma unless *first. */
void json_key(buf *b, const char *key, bool *first);
void json_fixed(buf *b, int64_t v, unsigned places);
/* "key":"value" (json_str) made the last key of the object b holds (its
 * '}' the last byte, or the last before a line feed); nothing when b holds
 * none. */
void json_last_key(buf *b, const char *key, const char *value);
void json_u64(buf *b, uint64_t v);
void json_bool(buf *b, bool v);
/* A time as civic-score prints it: the rules' form, "forever" for CIVIC_FOREVER. */
void json_time(buf *b, const civic_rules *r, int64_t t);
/* ';'-joined flags as an array of strings. */
void json_flags(buf *b, const char *flags);

/* Whether s[0..n) is one JSON value (RFC 8259: whitespace around it, UTF-8
 * strings, arrays and objects nested at most JSON_DEPTH_MAX deep); if not,
 * *at is the offset of the first byte that cannot be read (n at a premature
 * end).  For a document served as JSON (--openapi), checked at start-up. */
#define JSON_DEPTH_MAX 512u
bool json_valid(const char *s, size_t n, size_t *at);

#endif
