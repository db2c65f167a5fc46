/*
** hints.h -- what in an event log most likely means something else than it
** says, though the contract takes it, as far as civic-score can tell without
** reading the log a second time: a CSV header column most likely meant for
** qty, group or ref (ignored, as every other column), a JSON Lines key
** spelling a field's name in other letters (ignored under rules of version
** 1), a bare integer time before 1973-03-03 (Unix seconds, where a date
** without dashes or a spreadsheet's day number was meant), and a ts from
** 5138-11-16 on (Unix seconds of twelve digits, where a date and time
** without separators, YYYYMMDDHHMM, was meant).  civic-score and
** civic-server warn about them (civic-server of a batch's columns, keys
** and early or late ts, and of an as_of or a before written so).
**
** It reads no records: the header, or a JSON Lines log's first line, is one
** line civic-score has read already (the first bytes of a file or of
** standard input), a header split here at its commas (the load's only
** separator); a time is looked at as the engine holds it
** (civic_engine_time_range).
** Uses only libc and civic.h.
*/
#ifndef CIVIC_EXAMPLES_HINTS_H
#define CIVIC_EXAMPLES_HINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "civic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The optional fields a near name is taken for. */
enum { HINT_QTY, HINT_GROUP, HINT_REF, HINT_FIELDS };

#define HINT_NAME_SHOWN_MAX 160 /* bytes of a column's name shown in a message */

typedef struct hint_column {
    bool found;
    char name[HINT_NAME_SHOWN_MAX + 1]; /* as written (cut at a character's start) */
    uint32_t column;                   /* its first byte, from 1, as the load counts */
} hint_column;

/* The header line p[0..n) (a byte-order mark before it excluded: columns
 * count from the byte after it, as the load counts them): for each of qty,
 * group and ref the header lacks, the first column whose name most likely
 * means it (hints.c, near_field: "qyt", "Qty.", "refs", "grup", "quantity";
 * not "qtr" or "qty2").  A quoted
 * name is not looked at; a quote that the line does not close (a name
 * holding a line break) leaves every out[k].found false, as does a last
 * name that `complete` says may be cut (a header longer than what was read).
 * The field names and what the contract does with them: docs/events.md. */
void hints_header(const char *p, size_t n, bool complete, hint_column out[HINT_FIELDS]);

/* A key of a JSON Lines line that spells a field's name in other letters
 * or with blanks around it ("Qty", "qty "), where the line lacks the exact
 * key: under rules that use no version-2 key the load ignores it, as 1.0
 * did (under version-2 rules it refuses it).  act and source are left out:
 * under those rules their exact keys are not read either. */
typedef struct hint_key {
    bool found;
    bool blanks;                       /* blanks around it; else other letters */
    char name[HINT_NAME_SHOWN_MAX + 1]; /* as written between its quotes (cut) */
    const char *field;                 /* the key to write: "qty" */
} hint_key;

/* The line p[0..n) (without its line break; a byte-order mark before it
 * excluded), when it holds one JSON object: its first such key, in *out
 * (out->found false when none, when the line is no object that reads to
 * its end, or when `complete` says it may be cut: the exact key may come
 * after).  A key written with escapes is compared as it decodes. */
void hints_jsonl_keys(const char *p, size_t n, bool complete, hint_key *out);

/* The warnings civic-score and civic-server give of a log from its first
 * bytes p[0..n) (ended: the log ends there; else its first line may be
 * cut, and is then not looked at), one line each (without "warning: " nor
 * the log's name), given to say() with its kind: HINT_LOG_COLUMN + k for
 * a CSV header column most likely meant for field k (hints_header:
 * "column 'hours' (line 1, column 20) is ignored: did you mean 'qty'?
 * without it every event counts as one unit"), HINT_LOG_KEY for a JSON
 * Lines key in other letters (hints_jsonl_keys: "line 1: key \"Qty\" is
 * ignored (keys are lower case: \"qty\")"), that one only when
 * keys_ignored (the rules use no version-2 key).  The log's first line
 * that is not blank is looked at (a byte-order mark before it excluded):
 * JSON Lines under CIVIC_FORMAT_JSONL or when it begins with '{' (nothing
 * then under CIVIC_FORMAT_CSV), else a CSV header.  A text is at most
 * HINTS_LOG_TEXT_BYTES with its NUL; bindings/python/civic/_hints.py
 * (log_hints) mirrors them. */
enum { HINT_LOG_COLUMN, HINT_LOG_KEY = HINT_LOG_COLUMN + HINT_FIELDS, HINT_LOG_KINDS };
#define HINTS_LOG_TEXT_BYTES 512
void hints_log_head(const char *p, size_t n, bool ended, uint32_t format, bool keys_ignored,
                    void (*say)(void *payload, int kind, const char *text), void *payload);

/* Whether the text p[0..n) is a rules file, not an event log: its first
 * line that is not blank nor a '#' comment is a TOML table header
 * ("[scheme]", "[[grade]]", "[rule.litter]": a name of ASCII letters,
 * digits, '_', '-' and '.', a letter first, in brackets, then only blanks
 * or a comment) or a key = value line with a blank before its '=' and a
 * value TOML takes ("base = 1000", name = "x"; not a spreadsheet's "sep=,"
 * nor a form's "qty=5"). No JSON array ("[1, 2]", "[{", "[true]") nor a
 * line of a log is either.  For an error's message, once the text
 * failed to load as a log (civic-server's POST /events).  The library's
 * CSV loads judge a text alike (lib/error.c, rules_text), to add their
 * hint: change both. */
bool hints_rules_text(const char *p, size_t n);
/* Where the line hints_rules_text looks at begins: the first line that is
 * not blank nor a '#' comment, its 1-based number and the column of its
 * first character that is not a blank, for the position of the error that
 * says the text is a rules file. */
void hints_rules_text_at(const char *p, size_t n, uint64_t *line, uint32_t *column);

/* The name of field k ("qty") and what its absence does ("every event
 * counts as one unit"). */
const char *hints_field_name(int k);
const char *hints_field_without(int k);

/* Before 1973-03-03T09:46:40Z: a time written as a bare integer of 8
 * digits or fewer, most likely (Unix seconds as the contract says, where a
 * date without dashes or a spreadsheet's day number was meant). */
#define HINTS_SMALL_SECONDS 100000000

/* From 5138-11-16T09:46:40Z: a ts of twelve digits or more as Unix
 * seconds, most likely a date and time written without separators
 * (YYYYMMDDHHMM: 202612081200 is 8390-07-10T05:40:00Z as seconds).  The
 * library refuses a ts past the year 9999 (253402300799), fourteen digits
 * YYYYMMDDHHMMSS among them. */
#define HINTS_LATE_SECONDS INT64_C(100000000000)

/* Whether t[0..n) is a bare integer (an optional '-', digits) whose value
 * is below HINTS_SMALL_SECONDS, whatever its leading zeros; *secs set when
 * so. */
bool hints_small_seconds(const char *t, size_t n, int64_t *secs);

/* What the bare integer secs (below 100000000) was most likely meant as,
 * into buf: "2025-03-04" (a date of 1900 or later written without dashes),
 * "2023-03-15, if it is a spreadsheet's day number" (20000..80000), else
 * "YYYY-MM-DD".  Dates are checked and written by the library (rules: any
 * scheme). */
void hints_meant(const civic_rules *rules, int64_t secs, char *buf, size_t size);

/* The warnings civic-score and civic-server give of such a time, one line
 * each (without "warning: "), into buf (HINTS_TIME_TEXT_BYTES hold any):
 *
 * hints_early_ts: when `first`, the earliest ts of the events held, is
 * before 1973-03-03 ("the earliest event's ts is 1970-08-23T17:20:05+08:00
 * (Unix seconds 20251205), before 1973-03-03T09:46:40Z: ... a date needs
 * its dashes (2025-12-05)"); false, buf untouched, when it is not.
 *
 * hints_late_ts: its mirror, when `last`, the latest ts of the events held,
 * is HINTS_LATE_SECONDS or later ("the latest event's ts is
 * 8390-07-10T13:40:00+08:00 (Unix seconds 202612081200), at or after
 * 5138-11-16T09:46:40Z: ... a date and time need their separators
 * (2026-12-08T12:00:00)": twelve digits that read as YYYYMMDDHHMM, a date
 * and time of 1900 or later, else "YYYY-MM-DDTHH:MM:SS"); false, buf
 * untouched, when it is not.
 *
 * hints_small_time: when the time text[0..n), given as `what` (civic-score's
 * "--as-of", civic-server's "as_of=" or "before=", written just before
 * it), is a bare integer below 100000000 (hints_small_seconds): "--as-of
 * 20251205 is Unix seconds: 1970-08-23T17:20:05+08:00; a date needs its
 * dashes (2025-12-05)"; false, buf untouched, when it is not.  `what` is
 * at most 16 bytes.  The text is written as given when it is at most
 * HINTS_TIME_GIVEN_BYTES long (a '-' and 20 digits), else without its
 * leading zeros, which it may hold any number of: "as_of=20251205 (written
 * with 24 leading zeros) is Unix seconds: ...". */
#define HINTS_TIME_TEXT_BYTES 320
#define HINTS_TIME_GIVEN_BYTES 21
bool hints_early_ts(const civic_rules *rules, int64_t first, char *buf, size_t size);
bool hints_late_ts(const civic_rules *rules, int64_t last, char *buf, size_t size);
bool hints_small_time(const civic_rules *rules, const char *what, const char *text, size_t n,
                      char *buf, size_t size);

/* What in a scheme most likely does not do what its writer meant, though
 * the rules load (docs/rules.md): a min on the last grade, which has no
 * effect; a flag or a dimension whose name begins or ends with a blank or
 * another space (U+00A0, U+3000 ...) or holds a zero-width character
 * (U+200B ...), which makes it another flag or subtotal than the name
 * without them ("dishonest " beside "dishonest"; version 1 took such
 * names, so they are not refused); and a rule with `retain` that shares a
 * cap group with a rule that touches the balance, or a category with one
 * that escalates (repeat_factor), in any of their versions (archiving its
 * entries then changes what balance entries count: docs/evaluation.md,
 * what "spendable points are never rewritten" covers).  Its freeze alone
 * is not a reason (the built-in scheme's court_defaulter has retain and
 * freeze).  Also a grade no score can have (its min above the scheme's
 * max, or below a grade that takes the scheme's min); a [cap.NAME] no rule
 * names in cap_group, with a near cap group a rule names; and, where
 * escalation is at stake, a category only one rule is in that is near
 * another ("trafic" beside "traffic"), or one that is the code of a rule
 * in another category (docs/rules.md, Warnings when a file is loaded; all
 * load, as libcivic 1.0 loaded them).  Each warning is one line, given to
 * say() with its kind; bindings/python/civic/_hints.py mirrors them. */
enum { HINT_LAST_MIN, HINT_RETAIN, HINT_UNSEEN, HINT_GRADE, HINT_CAP, HINT_CATEGORY,
       HINT_CATEGORY_CODE, HINT_SCHEME_KINDS };
void hints_scheme(const civic_rules *rules, void (*say)(void *payload, int kind, const char *text),
                  void *payload);

/* The scheme's list names, its flags then its measures, "; "-separated
 * (a flag may hold ", "), into out (n > 0): for the message of a name that
 * is neither ("none" when the scheme has no list; cut at a name's end with
 * "; ..." when they do not fit). */
void hints_list_names(const civic_rules *rules, char *out, size_t n);

/* What a list name that is neither a flag nor a measure of the scheme gets
 * told, after the name (which the caller writes, quoted), into out
 * (HINTS_NOT_A_LIST_BYTES hold any):
 *   " is neither a flag nor a measure of the scheme (did you mean
 *   'dishonest'? lists: dishonest; no_subsidy)", the list
 *   civic_rules_list_meant finds quoted with `quote`, when it finds one;
 *   for a tier's name, that a tier is listed through a measure on it, and
 *   which measures are ("(measures on it: star_rebate)"), or how one is
 *   written and the scheme's lists when none is; for a rule's code, the
 *   flags the rule sets ("on the list 'dishonest'"), or that it sets none.
 * civic-score's --list and civic-server's GET /lists/{name} say it. */
#define HINTS_LIST_NAMES_BYTES 300
#define HINTS_NOT_A_LIST_BYTES 800
void hints_not_a_list(const civic_rules *rules, const char *name, char quote, char *out,
                      size_t n);

/* What of a name no reader sees, as the warning of a flag or a dimension
 * says it (hints_scheme, HINT_UNSEEN), for other names (civic-score's of a
 * subject id): blanks or another space (U+00A0, U+202F, U+3000,
 * U+2000..U+200A) at its start or end, or a zero-width character (U+200B,
 * U+200C, U+200D, U+2060, U+FEFF) anywhere.  true when it has any: into why
 * (HINTS_UNSEEN_WHY_BYTES hold any) "is blanks only" (nothing else in it),
 * "begins with U+00A0, a no-break space", "ends with ...", "holds U+200B,
 * a zero-width space", else for plain blanks "has blanks around it",
 * "begins with a blank" or "ends with a blank"; into bare (bare_size > 0)
 * the name without them (what does not fit is left out).  name is valid
 * UTF-8. */
#define HINTS_UNSEEN_WHY_BYTES 96
bool hints_name_unseen(const char *name, char *why, size_t why_size, char *bare,
                       size_t bare_size);

#ifdef __cplusplus
}
#endif

#endif
