/*
** body.h -- rewriting a POST /events body before the library reads it.
**
**   JSON array    `[{...}, {...}]` (Content-Type application/json, or any
**                 body whose first non-blank byte is '[') becomes JSON Lines:
**                 element N on line N, so an error's "line" is the element's
**                 1-based position.  Blank space before an element is
**                 dropped (a column counts from its '{'); inside it, line
**                 ends become spaces.
**   source        events posted without a `source` get the token's name:
**                 CSV gains a `source` column when the header has none, and
**                 an empty source cell is filled; a JSON object without a
**                 top-level "source" key gains one.  (SPEC 10.5; the server
**                 switches this on when the library reads `source`.)
**
** None of these parse more than they must: the library still validates
** everything, and a malformed body stays malformed (the library names the
** line).  `source` must be a token name ([A-Za-z0-9_.@-]): it is written
** without quoting or escaping.
*/
#ifndef CIVIC_SERVER_BODY_H
#define CIVIC_SERVER_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "civic.h"
#include "json.h"

/* The first non-blank byte (after a UTF-8 BOM) is '['. */
bool body_is_json_array(const char *in, size_t len);

/* 0, or -1 with the reason in why (no closing ']', text after it, an
 * unterminated string).  out receives the JSON Lines text; out NULL: only
 * whether in is a JSON array as this reads one. */
int body_array_to_lines(const char *in, size_t len, buf *out, char *why, size_t why_bytes);

/* When in is a JSON array as body_array_to_lines reads one ("[]", "[1]" and
 * ["a"] too), the line (from 1) its '[' is on; else 0. */
uint64_t body_array_line(const char *in, size_t len);

/* Whether a body without a line break (no LF nor CR) most likely had its
 * line breaks removed, as curl -d (--data) removes them: a CSV text, whose
 * one line can be a header at most and so hold no event (a ',' in it, or a
 * '#' first: a rules file's comment, which then runs to its end), or a
 * JSON object followed on its line by another ("{...}{...}").  Not one
 * object alone (a batch of one event needs no line break), a JSON array,
 * a form's fields ("a=1&b=2", an '=' before the first ','), nor an empty
 * body. */
bool body_lines_joined(const char *in, size_t len);

void body_source_csv(const char *in, size_t len, const char *source, buf *out);
void body_source_jsonl(const char *in, size_t len, const char *source, buf *out);

/* An error of the load of `out`, which body_source_csv or body_source_jsonl
 * made of `in`, told as `in` was sent: the error of a load of `in` under
 * `rules` in an engine of its own when it stops at the same line with the
 * same code (line, column, message and hints are then the body's), else
 * the error's column moved back past what the rewrite put in on its line
 * (the rewrites keep every line where it was).  rules NULL: no second
 * load (no memory for it), the column moved back only. */
void body_error_as_sent(civic_rules *rules, const char *in, size_t in_len, const char *out,
                        size_t out_len, bool csv, civic_error *err);

#endif
