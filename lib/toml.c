/*
** toml.c -- the documented TOML subset of rules files, as callbacks.
**
** Supported: '#' comments, [table] and [[array]] headers (raw header text is
** passed on), key = value with bare keys, basic strings with \" \\ \n \t \r
** \b \f \uXXXX \UXXXXXXXX, integers, decimals (-2.5) and true/false.  Not
** supported, each a syntax error naming line and column: multi-line and
** literal strings, arrays, inline tables, dotted keys, dates, exponents.
** This module knows nothing of the scheme; rules.c gives the meaning.
*/
#include "internal.h"

#include <string.h>

typedef struct toml_state {
    const char *text;
    size_t len;
    size_t pos;
    size_t line_start;
    uint64_t line;
    bool file;
    const civic_allocator *alc;
    char *buf;
    size_t buf_cap;
    civic_error *err;
    size_t value_at; /* the last value's first byte */
    size_t table_at, table_len; /* the last header's name as written */
    bool table_array;           /* ... in [[...]] */
    const char *key;            /* the key whose value is being read */
    size_t key_len;
} toml_state;

static uint32_t col(const toml_state *s, size_t at)
{
    size_t c = at - s->line_start + 1;
    return c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
}

static int syntax(toml_state *s, size_t at, const char *what)
{
    return civic__error_set(s->err, CIVIC_E_SYNTAX, s->line, col(s, at), at,
                            "line %llu, column %u: %s", (unsigned long long)s->line,
                            col(s, at), what);
}

/* What a character that cannot start a token most likely is, when it is one
 * a text editor or a word processor put there unseen: the error names it
 * (the bytes are at t, n of them).  NULL when it is none of those. */
static const char *lookalike(const char *t, size_t n)
{
    static const struct {
        const char *bytes, *why;
    } marks[] = {
        { "\xef\xbb\xbf", "U+FEFF, a byte-order mark, in the middle of the file: delete it" },
        { "\xe2\x80\x9c", "U+201C is a typographic quote: write \"...\"" },
        { "\xe2\x80\x9d", "U+201D is a typographic quote: write \"...\"" },
        { "\xe2\x80\x9e", "U+201E is a typographic quote: write \"...\"" },
        { "\xe2\x80\x98", "U+2018 is a typographic quote: write \"...\"" },
        { "\xe2\x80\x99", "U+2019 is a typographic quote: write \"...\"" },
        { "\xe2\x80\x90", "U+2010 is a typographic hyphen: write -" },
        { "\xe2\x80\x91", "U+2011 is a non-breaking hyphen: write -" },
        { "\xe2\x80\x92", "U+2012 is a figure dash, not a minus sign: write -" },
        { "\xe2\x80\x93", "U+2013 is a dash, not a minus sign: write -" },
        { "\xe2\x80\x94", "U+2014 is a dash, not a minus sign: write -" },
        { "\xe2\x88\x92", "U+2212 is a minus sign only in print: write -" },
        { "\xc2\xa0", "U+00A0 is a no-break space: write a plain space" },
        { "\xe3\x80\x80", "U+3000 is an ideographic space: write a plain space" },
        { "\xe2\x80\x8b", "U+200B is a zero-width space: delete it" },
        { "\x1a", "0x1A is an old end-of-file mark: delete it" },
    };
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t m = strlen(marks[i].bytes);
        if (n >= m && memcmp(t, marks[i].bytes, m) == 0) return marks[i].why;
    }
    const unsigned char *u = (const unsigned char *)t; /* U+FF01..U+FF5E */
    if (n >= 3 && u[0] == 0xef && ((u[1] == 0xbc && u[2] >= 0x81) || (u[1] == 0xbd && u[2] <= 0x9e)))
        return "a full-width character, as an input method for Chinese or Japanese types it: "
               "write it in ASCII";
    return NULL;
}

const char *civic__toml_lookalike_at(const char *t, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        const char *why = lookalike(t + i, n - i);
        if (why) {
            *at = i;
            return why;
        }
    }
    return NULL;
}

const char *civic__toml_lookalike_in(const char *t, size_t n)
{
    size_t at;
    return civic__toml_lookalike_at(t, n, &at);
}

/* The code point of the UTF-8 sequence at t (valid or not: 0 if not). */
static uint32_t code_point(const unsigned char *t, size_t n)
{
    size_t k = t[0] >= 0xf0 ? 4 : t[0] >= 0xe0 ? 3 : t[0] >= 0xc0 ? 2 : 0;
    if (k == 0 || k > n || !civic__utf8_valid((const char *)t, k)) return 0;
    uint32_t cp = t[0] & (0x7fu >> k);
    for (size_t i = 1; i < k; i++) cp = cp << 6 | (t[i] & 0x3fu);
    return cp;
}

const char *civic__toml_lookalike_name(const char *t, size_t n, char *buf, size_t size,
                                       size_t *at)
{
    const char *why = civic__toml_lookalike_at(t, n, at);
    if (!why) return NULL;
    const char *colon = strchr(why, ':');
    if (why[0] == 'U' || why[0] == '0') /* "U+00A0 is a no-break space: ..." */
        snprintf(buf, size, "%.*s", (int)(colon ? (size_t)(colon - why) : strlen(why)), why);
    else /* the full-width range, named by its code point */
        snprintf(buf, size, "U+%04X is a full-width character",
                 (unsigned)code_point((const unsigned char *)t + *at, n - *at));
    return buf;
}

/* "which it may look like" only of a letter of a script whose letters
 * look like ASCII ones (Latin with marks, Greek, Cyrillic): a Cyrillic o
 * in "points"; a Chinese character resembles none (ascii_like). */
#define NOT_ASCII_WHY "U+%04X is not ASCII: keys, numbers and the words of headers are " \
                      "written in ASCII%s"
#define NOT_ASCII_LIKE ", which it may look like"

static bool ascii_like(uint32_t cp)
{
    return (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
           (cp >= 0x370 && cp <= 0x52F) || (cp >= 0x1E00 && cp <= 0x1EFF);
}

uint32_t civic__toml_not_ascii(const char *t, size_t n, bool *like)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = (unsigned char)t[i] >= 0x80
                          ? code_point((const unsigned char *)t + i, n - i) : 0;
        if (cp) {
            *like = ascii_like(cp);
            return cp;
        }
    }
    *like = false;
    return 0;
}

const char *civic__toml_char_why(const char *t, size_t n, char *buf, size_t size)
{
    const char *why = civic__toml_lookalike_in(t, n);
    if (why) return why;
    bool like;
    uint32_t cp = civic__toml_not_ascii(t, n, &like);
    if (!cp) return NULL;
    snprintf(buf, size, NOT_ASCII_WHY, (unsigned)cp, like ? NOT_ASCII_LIKE : "");
    return buf;
}

/* A NUL byte at `at`, where a key, a value, a line's end or a header's name
 * is read: named, at its own column (read as part of the value before it,
 * it was "expected a string, number, true or false" or "malformed number"
 * at that value).  As a buffer's last byte it is most often a caller's
 * length of strlen(text) + 1: NUL_WHY says so (a file has no such length). */
static int nul_byte(toml_state *s, size_t at)
{
    if (!s->file && at + 1 == s->len) return syntax(s, at, "a NUL byte (" NUL_WHY ")");
    return syntax(s, at, "a NUL byte in the rules text");
}

/* syntax(), naming the character at `at` when it is a look-alike, or any
 * other that is not ASCII (a Cyrillic o in "points" looks like the Latin),
 * or a NUL byte. */
static int syntax_at_char(toml_state *s, size_t at, const char *what)
{
    if (at < s->len && s->text[at] == '\0') return nul_byte(s, at);
    const char *why = at < s->len ? lookalike(s->text + at, s->len - at) : NULL;
    char msg[200], cp_why[120];
    uint32_t cp = !why && at < s->len && (unsigned char)s->text[at] >= 0x80
                      ? code_point((const unsigned char *)s->text + at, s->len - at) : 0;
    if (cp) {
        snprintf(cp_why, sizeof(cp_why), NOT_ASCII_WHY, (unsigned)cp,
                 ascii_like(cp) ? NOT_ASCII_LIKE : "");
        why = cp_why;
    }
    if (!why) return syntax(s, at, what);
    snprintf(msg, sizeof(msg), "%s (%s)", what, why);
    return syntax(s, at, msg);
}

static bool ascii_word_is(const char *t, size_t n, const char *word)
{
    size_t m = strlen(word);
    if (n != m) return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i] >= 'A' && t[i] <= 'Z' ? (char)(t[i] - 'A' + 'a') : t[i];
        if (c != word[i]) return false;
    }
    return true;
}

static bool bare_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* t[0..n) is a list of names written without its quotes ("AAA;AA"): an
 * ASCII letter, then letters, digits, '-', '_' and ';', at most 60. */
static bool unquoted_names(const char *t, size_t n)
{
    if (n == 0 || n > 60 || !((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!bare_key_char(t[i]) && t[i] != ';') return false;
    return true;
}

/* t[from..n) is a bare word a value written without its quotes would be:
 * ASCII letters from `from` on (then digits, '-' and '_' too), at most 24. */
static bool unquoted_word(const char *t, size_t n, size_t from)
{
    if (n > 24 || from >= n || !((t[from] >= 'a' && t[from] <= 'z') ||
                                 (t[from] >= 'A' && t[from] <= 'Z')))
        return false;
    for (size_t i = from; i < n; i++)
        if (!bare_key_char(t[i]) || (from > 0 && t[i] >= '0' && t[i] <= '9')) return false;
    return true;
}

/* t[0..n) is 1..24 ASCII letters. */
static bool letters_only(const char *t, size_t n)
{
    if (n == 0 || n > 24) return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z'))) return false;
    return true;
}

/* t[0..n) names a span of a duration, in any case: d, w, m, y, or day,
 * week, month, year with or without an 's'. */
static bool duration_unit(const char *t, size_t n)
{
    static const char *const units[] = { "d", "w", "m", "y", "day", "days", "week", "weeks",
                                         "month", "months", "year", "years" };
    for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
        if (ascii_word_is(t, n, units[k])) return true;
    return false;
}

/* The bytes from `at` a value left unquoted is, its first word n bytes
 * ("name = Harbour district"): the rest of the line up to a comment (a '#'
 * after a blank or right after the word), its trailing blanks and one
 * closing quote left out; the word alone when the rest holds what a string
 * would not take as written or what is likely no part of the value (a
 * quote, a backslash, a control byte, text not UTF-8, an '=' of another
 * key, a ';' -- but in a list of names (names), which ';' joins -- or
 * "//"), or is over 60 bytes. */
static size_t unquoted_value(const toml_state *s, size_t at, size_t n, bool names)
{
    const char *t = s->text;
    size_t e = at + n;
    while (e < s->len && t[e] != '\n' && t[e] != '\r' &&
           !(t[e] == '#' && (e == at + n || t[e - 1] == ' ' || t[e - 1] == '\t')))
        e++;
    while (e > at + n && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
    if (e > at + n && t[e - 1] == '"') e--;
    if (e - at > 60 || !civic__utf8_valid(t + at, e - at)) return n;
    for (size_t k = at + n; k < e; k++) {
        unsigned char c = (unsigned char)t[k];
        if (c == '"' || c == '\\' || c == '=' || (c == ';' && !names) ||
            (c < 0x20 && c != '\t') || c == 0x7f || (c == '/' && k + 1 < e && t[k + 1] == '/'))
            return n;
    }
    return e - at;
}

static int quote_it(toml_state *s, size_t at, const char *what, const char *t, size_t n)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "%s (write it in double quotes: \"%.*s\")", what, (int)n, t);
    return syntax(s, at, msg);
}

#define NUMBER_GROUPED_WHY "a number is written without spaces or separators"

static void skip_ws(toml_state *s)
{
    while (s->pos < s->len && (s->text[s->pos] == ' ' || s->text[s->pos] == '\t')) s->pos++;
}

/* Whether t[0..n) holds only blanks before the line's end (a CR, a
 * comment or the end of the text). */
static bool rest_of_line_blank(const char *t, size_t n)
{
    size_t k = 0;
    while (k < n && (t[k] == ' ' || t[k] == '\t')) k++;
    return k == n || t[k] == '\n' || t[k] == '\r' || t[k] == '#';
}

/* The bytes of a thousands separator at t (n bytes) a number may be written
 * with: a blank, an apostrophe (1'000) or the one a word processor types for
 * it (U+2019, a right single quotation mark; U+02BC), a no-break, narrow
 * no-break or thin space; 0 if none. */
static size_t group_separator(const char *t, size_t n)
{
    if (n >= 1 && (t[0] == ' ' || t[0] == '\t' || t[0] == '\'')) return 1;
    if (n >= 2 && (memcmp(t, "\xc2\xa0", 2) == 0 || memcmp(t, "\xca\xbc", 2) == 0)) return 2;
    if (n >= 3 && (memcmp(t, "\xe2\x80\xaf", 3) == 0 || memcmp(t, "\xe2\x80\x89", 3) == 0 ||
                   memcmp(t, "\xe2\x80\x99", 3) == 0))
        return 3;
    return 0;
}

/* Whether the number whose digits (a sign, an integer part, a fraction) are
 * d[0..n) is within what a number key allows, 1e12 at most either way
 * (CIVIC_POINTS_MAX: points, base, min, max, cap, limit, ceiling ...). */
static bool grouped_in_range(const char *d, size_t n)
{
    size_t k = n && (d[0] == '-' || d[0] == '+'), e = k;
    int64_t v = 0;
    while (e < n && d[e] != '.') {
        if (v > CIVIC_POINTS_MAX) return false; /* before it could overflow */
        v = v * 10 + (d[e++] - '0');
    }
    if (v > CIVIC_POINTS_MAX) return false;
    for (size_t f = e + 1; v == CIVIC_POINTS_MAX && f < n; f++)
        if (d[f] != '0') return false;
    return true;
}

/* The number a value written with its digits grouped stands for, the value
 * at s->text + at (1 000, -1'000.5, 1 000 000): a sign, 1..3 digits, groups
 * of a separator and 3 digits, a fraction, and then the value's end (a
 * blank, a comment, the line's end).  "write 1000" in buf when the value is
 * that; the rule alone when it is more than any number key allows (no
 * number to write that is then refused as too large); else NULL. */
static const char *grouped_number(const toml_state *s, size_t at, char *buf, size_t size)
{
    const char *t = s->text + at;
    size_t n = s->len - at, k = 0, w = 0, groups = 0;
    char digits[40];
    if (k < n && (t[k] == '-' || t[k] == '+')) digits[w++] = t[k++];
    size_t lead = k;
    while (k < n && t[k] >= '0' && t[k] <= '9' && k - lead < 3) digits[w++] = t[k++];
    if (k == lead) return NULL;
    for (;;) {
        size_t sep = k < n ? group_separator(t + k, n - k) : 0, d = k + sep;
        if (!sep || w + 3 >= sizeof(digits) - 12) break;
        size_t e = d;
        while (e < n && e - d < 4 && t[e] >= '0' && t[e] <= '9') e++;
        if (e - d != 3) break;
        memcpy(digits + w, t + d, 3);
        w += 3;
        k = e;
        groups++;
    }
    if (groups == 0) return NULL;
    if (k < n && t[k] == '.') {
        size_t f = k + 1;
        while (f < n && f - k <= 8 && t[f] >= '0' && t[f] <= '9') f++;
        if (f == k + 1 || f - k > 8) return NULL;
        memcpy(digits + w, t + k, f - k);
        w += f - k;
        k = f;
    }
    if (k < n && t[k] != ' ' && t[k] != '\t' && t[k] != '#' && t[k] != '\n' && t[k] != '\r')
        return NULL;
    if (!grouped_in_range(digits, w)) return NUMBER_GROUPED_WHY;
    snprintf(buf, size, "%s: write %.*s", NUMBER_GROUPED_WHY, (int)w, digits);
    return buf;
}

/* What to write instead of the text at t (the rest of the text, n > 0
 * bytes) found after a value (after), or where a key would start: another
 * key (word =), a statement's ';' at the line's end, another language's
 * comment, and after a number (number) a thousands separator or a
 * decimal comma, or a unit.  NULL when it is none of those. */
static const char *stray_text_hint(const char *t, size_t n, bool after, bool number)
{
    size_t k = 0;
    while (k < n && bare_key_char(t[k])) k++;
    if (k > 0) { /* points = 5 valid = "1y" */
        while (k < n && (t[k] == ' ' || t[k] == '\t')) k++;
        if (k < n && t[k] == '=') return "a key must start its own line";
    }
    if (after && t[0] == ',') { /* points = 2, per = "unit": an inline table's habit */
        size_t j = 1, b;
        while (j < n && (t[j] == ' ' || t[j] == '\t')) j++;
        for (b = j; j < n && bare_key_char(t[j]);) j++;
        while (j > b && j < n && (t[j] == ' ' || t[j] == '\t')) j++;
        if (j > b && j < n && t[j] == '=')
            return "a key must start its own line: no ',' between keys";
    }
    if (after && t[0] == ';' && rest_of_line_blank(t + 1, n - 1)) return "no ';' at the end of a line";
    if (number && n >= 2 && t[0] == ',' && t[1] >= '0' && t[1] <= '9')
        return "no thousands separators; the decimal point is '.'";
    if (t[0] == ';' || (n >= 2 && ((t[0] == '/' && t[1] == '/') || (t[0] == '-' && t[1] == '-'))))
        return "a comment starts with '#'";
    if (number && (t[0] == '%' || (t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z')))
        return "write the number alone, without a unit";
    return NULL;
}

/* syntax_at_char(), with stray_text_hint's hint when the text at `at` has
 * one. */
static int stray_text(toml_state *s, size_t at, bool after, bool number, const char *what)
{
    const char *hint = at < s->len ? stray_text_hint(s->text + at, s->len - at, after, number)
                                   : NULL;
    char msg[160], grouped[80];
    /* 1 000: digits after a number and a blank */
    if (!hint && number && after && at < s->len && s->text[at] >= '0' && s->text[at] <= '9') {
        hint = grouped_number(s, s->value_at, grouped, sizeof(grouped));
        if (!hint) hint = NUMBER_GROUPED_WHY;
    }
    if (!hint) return syntax_at_char(s, at, what);
    snprintf(msg, sizeof(msg), "%s (%s)", what, hint);
    return syntax(s, at, msg);
}

/* After a value (a number: number), or a table header (header): only
 * blanks and a comment may remain. */
static int end_of_line_after(toml_state *s, bool header, bool number)
{
    skip_ws(s);
    if (s->pos < s->len && s->text[s->pos] == '#') {
        while (s->pos < s->len && s->text[s->pos] != '\n') {
            unsigned char c = (unsigned char)s->text[s->pos];
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
                return syntax(s, s->pos, "control character in a comment");
            /* a lone CR shows as a line end in many viewers: what follows it
             * would look like a key and be part of the comment (a CR that
             * ends the file is taken, as after a value) */
            if (c == '\r' && s->pos + 1 < s->len && s->text[s->pos + 1] != '\n')
                return syntax(s, s->pos, "a carriage return not followed by a line feed in a "
                                         "comment (lines must end in LF or CRLF)");
            s->pos++;
        }
    }
    if (s->pos < s->len && s->text[s->pos] == '\r') {
        s->pos++;
        if (s->pos < s->len && s->text[s->pos] != '\n') /* an old Mac file */
            return syntax(s, s->pos - 1, "a carriage return not followed by a line feed (lines "
                                         "must end in LF or CRLF)");
    }
    if (s->pos < s->len && s->text[s->pos] != '\n' && header) {
        /* "[rule.b] points = 2": TOML has no key on a header's line (a
         * header has no value for the text to be after) */
        size_t k = s->pos;
        while (k < s->len && bare_key_char(s->text[k])) k++;
        size_t eq = k;
        while (eq < s->len && (s->text[eq] == ' ' || s->text[eq] == '\t')) eq++;
        if (k > s->pos && k - s->pos <= 40 && eq < s->len && s->text[eq] == '=') {
            char msg[120];
            snprintf(msg, sizeof(msg), "a key must start its own line: put '%.*s' on the line "
                     "after the table header", (int)(k - s->pos), s->text + s->pos);
            return syntax(s, s->pos, msg);
        }
        /* [rule.a]]: a bracket too many (the brackets a header takes are
         * the ones it was read with: a [grade] is told [[grade]] before) */
        size_t b = s->pos;
        while (b < s->len && s->text[b] == ']') b++;
        if (b > s->pos && rest_of_line_blank(s->text + b, s->len - b))
            return syntax(s, s->pos, b - s->pos == 1
                                         ? "unexpected text after the table header (an extra "
                                           "']': delete it)"
                                         : "unexpected text after the table header (extra "
                                           "']': delete them)");
        return stray_text(s, s->pos, true, false, "unexpected text after the table header");
    }
    if (s->pos < s->len && s->text[s->pos] != '\n')
        return stray_text(s, s->pos, true, number, "unexpected text after the value");
    if (s->pos < s->len) s->pos++;
    s->line++;
    s->line_start = s->pos;
    return CIVIC_OK;
}

static int end_of_line(toml_state *s)
{
    return end_of_line_after(s, false, false);
}

/* The value of hex digit c, or -1. */
static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int hex_value(toml_state *s, size_t at, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        /* a bad digit before the text's end is named first ("D:\Udata" as
         * the file's end) */
        if (at + i >= s->len) return syntax(s, at, "short unicode escape");
        char c = s->text[at + i];
        int d = hex_digit(c);
        /* "C:\Users", "D:\Udata": a path's backslash, as "C:\office" is told
         * (a letter where a digit should be; a digit mistyped is no path) */
        if (d < 0 && (i == 0 || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z')))
            return syntax(s, at + i, "bad hex digit in a unicode escape (write \\\\ for a "
                                     "backslash)");
        if (d < 0) return syntax(s, at + i, "bad hex digit in a unicode escape");
        v = v * 16 + (uint32_t)d;
    }
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) /* at its backslash, as other escapes */
        return syntax(s, at - 2, "unicode escape is not a scalar value");
    *out = v;
    return CIVIC_OK;
}

/* The bytes of the valid UTF-8 sequence that starts at t (of n), or 0. */
static size_t utf8_sequence(const char *t, size_t n)
{
    unsigned char c = (unsigned char)t[0];
    size_t k = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    return k && k <= n && civic__utf8_valid(t, k) ? k : 0;
}

/* A string value (its opening quote at open) whose byte at s->pos is not
 * UTF-8: named with its key, and when the string's bytes look like Latin-1
 * text (name = "caf\xe9"), the iconv a table header with them is told. */
static int not_utf8(toml_state *s, size_t open)
{
    size_t end = open + 1; /* the string's bytes as written, to its closing quote */
    while (end < s->len && s->text[end] != '"' && s->text[end] != '\n')
        end += s->text[end] == '\\' && end + 1 < s->len ? 2 : 1;
    if (end > s->len) end = s->len;
    if (end <= s->pos) end = s->pos + 1; /* never short of the byte itself */
    char msg[200], key[72];
    civic__excerpt_raw(key, sizeof(key), s->key, s->key_len); /* a long one cut, with "..." */
    snprintf(msg, sizeof(msg), "'%s': string is not valid UTF-8%s", key,
             civic__latin1_like(s->text + open + 1, end - open - 1, s->pos - open - 1)
                 ? " (Latin-1 text? convert it with iconv -f WINDOWS-1252 -t UTF-8)" : "");
    return syntax(s, s->pos, msg);
}

/* A basic string starting at s->pos (the opening quote). */
static int parse_string(toml_state *s, civic_toml_value *v)
{
    size_t open = s->pos++;
    size_t n = 0;
    v->plain = SIZE_MAX; /* till the first escape */
    if (s->pos + 1 < s->len && s->text[s->pos] == '"' && s->text[s->pos + 1] == '"')
        return syntax(s, open, "multi-line strings are not supported");
    for (;;) {
        if (s->pos >= s->len || s->text[s->pos] == '\n')
            return syntax(s, open, "unterminated string");
        if (s->text[s->pos] == '\r') { /* a CR in a string is written as the escape */
            /* but one before a LF, or as the text's last byte, ends the line */
            if (s->pos + 1 == s->len || s->text[s->pos + 1] == '\n')
                return syntax(s, open, "unterminated string");
            return syntax(s, s->pos, "control character in a string");
        }
        if (civic__grow(s->alc, (void **)&s->buf, &s->buf_cap, n + 8, 1) != CIVIC_OK)
            return civic__error_set(s->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
        char c = s->text[s->pos];
        if (c == '"') { s->pos++; break; }
        if (c != '\\') {
            unsigned char u = (unsigned char)c;
            if ((u < 0x20 && u != '\t') || u == 0x7f)
                return syntax(s, s->pos, "control character in a string");
            /* each character as written, so a byte that is not UTF-8 is
             * named where it is (an escape writes only whole characters) */
            size_t k = u < 0x80 ? 1 : utf8_sequence(s->text + s->pos, s->len - s->pos);
            if (k == 0) return not_utf8(s, open);
            memcpy(s->buf + n, s->text + s->pos, k);
            n += k;
            s->pos += k;
            continue;
        }
        size_t at = s->pos++;
        if (v->plain == SIZE_MAX) v->plain = n;
        if (s->pos >= s->len) return syntax(s, open, "unterminated string"); /* "\ at the end */
        char e = s->text[s->pos++];
        uint32_t cp = 0;
        int rc;
        switch (e) {
        case '"': s->buf[n++] = '"'; break;
        case '\\': s->buf[n++] = '\\'; break;
        case 'n': s->buf[n++] = '\n'; v->letter_escape = true; break;
        case 't': s->buf[n++] = '\t'; v->letter_escape = true; break;
        case 'r': s->buf[n++] = '\r'; v->letter_escape = true; break;
        case 'b': s->buf[n++] = '\b'; v->letter_escape = true; break;
        case 'f': s->buf[n++] = '\f'; v->letter_escape = true; break;
        case 'u':
        case 'U':
            rc = hex_value(s, s->pos, e == 'u' ? 4 : 8, &cp);
            if (rc != CIVIC_OK) return rc;
            s->pos += e == 'u' ? 4 : 8;
            n += civic__utf8_put(s->buf + n, cp);
            break;
        case '\n': return syntax(s, open, "unterminated string"); /* "\ at a line's end */
        case '\r':
            if (s->pos == s->len || s->text[s->pos] == '\n') /* CRLF's, or the last line's */
                return syntax(s, open, "unterminated string");
            return syntax(s, at, "unknown escape in a string");
        default: { /* "C:\office": a backslash meant as itself (no literal strings here) */
            int hi = s->pos + 1 < s->len ? hex_digit(s->text[s->pos]) : -1;
            int lo = hi >= 0 ? hex_digit(s->text[s->pos + 1]) : -1;
            if (e == 'x' && lo >= 0 && hi * 16 + lo >= 0x20 && hi * 16 + lo != 0x7f) {
                /* \xHH, other languages' (and TOML 1.1's): its \u form, one
                 * a name takes (a control character's is refused) */
                char msg[160];
                snprintf(msg, sizeof(msg), "unknown escape in a string (TOML 1.0 has no \\x: "
                         "write \\u00%02X for that character, or \\\\ for a backslash)",
                         (unsigned)(hi * 16 + lo));
                return syntax(s, at, msg);
            }
            return syntax(s, at, "unknown escape in a string (write \\\\ for a backslash)");
        }
        }
    }
    CIVIC_ASSERT(civic__utf8_valid(s->buf, n));
    v->type = CIVIC_TOML_STRING;
    v->text = s->buf;
    v->len = n;
    if (v->plain > n) v->plain = n; /* no escape */
    return CIVIC_OK;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A number as other languages write it, the word at `at` (n bytes, its
 * digits from int_at, after a sign): .5 for 0.5, a blank after the sign
 * (- 10), two signs (--10).  What to write (in buf), or NULL. */
static const char *number_hint(const toml_state *s, size_t at, size_t n, size_t int_at,
                               char *buf, size_t size)
{
    const char *t = s->text + at;
    if (int_at < n && t[int_at] == '.') {
        size_t k = int_at + 1;
        while (k < n && is_digit(t[k])) k++;
        if (k == n && k > int_at + 1 && n <= 24) {
            snprintf(buf, size, "write %.*s0%.*s, not %.*s", (int)int_at, t,
                     (int)(n - int_at), t + int_at, (int)n, t);
            return buf;
        }
        return NULL;
    }
    if (int_at == 1 && n == 1) { /* the sign alone, a whole number after a blank */
        size_t k = at + 1, d;
        while (k < s->len && (s->text[k] == ' ' || s->text[k] == '\t')) k++;
        for (d = k; d < s->len && is_digit(s->text[d]); d++) {}
        if (d > k && d + 1 < s->len && s->text[d] == '.' && is_digit(s->text[d + 1]))
            for (d++; d < s->len && is_digit(s->text[d]); d++) {}
        /* and nothing of its word after it: - 1y is no -1 */
        bool whole = d == s->len || s->text[d] == ' ' || s->text[d] == '\t' ||
                     s->text[d] == '#' || s->text[d] == '\n' || s->text[d] == '\r';
        if (d > k && whole && d - k <= 24) {
            snprintf(buf, size, "no blank after the sign: write %c%.*s", t[0], (int)(d - k),
                     s->text + k);
            return buf;
        }
    }
    if (int_at == 1 && n > 2 && (t[1] == '-' || t[1] == '+') && is_digit(t[2]))
        return "a number has one sign";
    return NULL;
}

/* type: what the key's value is (civic_toml_handler's value_type). */
static int parse_value(toml_state *s, civic_toml_value *v, int type)
{
    s->value_at = s->pos;
    v->line = s->line;
    v->column = col(s, s->pos);
    v->offset = s->pos;
    if (s->pos >= s->len || s->text[s->pos] == '\n' || s->text[s->pos] == '\r')
        return syntax(s, s->pos, "missing value after '='");
    char c = s->text[s->pos];
    if (c == '#') return syntax(s, s->pos, "missing value after '=' (a comment starts here)");
    if (c == '"') return parse_string(s, v);
    if (c == '\'') return syntax(s, s->pos, "literal strings are not supported; use \"...\"");
    if (c == '[') return syntax(s, s->pos, "arrays are not supported");
    if (c == '{') return syntax(s, s->pos, "inline tables are not supported");
    size_t at = s->pos;
    /* a control byte ends the word: "true\0" is true and a NUL after it,
     * named at its own column */
    while (s->pos < s->len && s->text[s->pos] != ' ' && s->text[s->pos] != '#' &&
           (unsigned char)s->text[s->pos] >= 0x20 && s->text[s->pos] != 0x7f)
        s->pos++;
    const char *t = s->text + at;
    size_t n = s->pos - at;
    /* a word cut short by such a byte is no whole word to quote */
    bool cut = s->pos < s->len && s->text[s->pos] != ' ' && s->text[s->pos] != '#' &&
               s->text[s->pos] != '\t' && s->text[s->pos] != '\n' && s->text[s->pos] != '\r';
    v->text = t;
    v->len = n;
    if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
        v->type = CIVIC_TOML_BOOL;
        v->boolean = n == 4;
        return cut ? syntax_at_char(s, s->pos, "unexpected text after the value") : CIVIC_OK;
    }
    size_t i = (n > 0 && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
    size_t int_at = i;
    while (i < n && t[i] >= '0' && t[i] <= '9') i++;
    /* True, No, On ...: a boolean's spelling, told so -- unless the key
     * takes a string (names: a tier's rules, a measure's grades, joined by
     * ';' in one), where it most likely begins one left unquoted ("name =
     * On the hill", "flag = no"), quoted below */
    bool names = (s->key_len == 5 && memcmp(s->key, "rules", 5) == 0) ||
                 (s->key_len == 6 && memcmp(s->key, "grades", 6) == 0);
    bool text_key = type == CIVIC_TOML_STRING || names;
    if (!text_key && i == int_at && (ascii_word_is(t, n, "true") || ascii_word_is(t, n, "false")))
        return syntax(s, at, "expected a string, number, true or false (write true and false "
                             "in lower case)");
    /* another language's boolean: quoted it would be "must be true or false"
     * (a key that takes a number is told so: "points = no" wants none) */
    if (!text_key && (ascii_word_is(t, n, "yes") || ascii_word_is(t, n, "no") ||
                      ascii_word_is(t, n, "on") || ascii_word_is(t, n, "off")))
        return syntax(s, at, type == CIVIC_TOML_DECIMAL || type == CIVIC_TOML_INTEGER
                                 ? "expected a string, number, true or false (the key takes a "
                                   "number)"
                                 : "expected a string, number, true or false (write true or "
                                   "false)");
    if (i == int_at) {
        if (ascii_word_is(t + int_at, n - int_at, "inf") ||
            ascii_word_is(t + int_at, n - int_at, "nan"))
            return syntax(s, at, "expected a string, number, true or false (TOML's inf and nan "
                                 "are not numbers here)");
        if (!cut && (unquoted_word(t, n, 0) || (names && unquoted_names(t, n))))
            return quote_it(s, at, "expected a string, number, true or false", t,
                            unquoted_value(s, at, n, names));
        /* drunk_driving": the closing quote without its opening one */
        if (!cut && n > 1 && t[n - 1] == '"' && unquoted_word(t, n - 1, 0))
            return quote_it(s, at, "expected a string, number, true or false", t, n - 1);
        char hint_buf[80], msg[140];
        const char *hint = cut ? NULL : number_hint(s, at, n, int_at, hint_buf, sizeof(hint_buf));
        if (hint) {
            snprintf(msg, sizeof(msg), "expected a string, number, true or false (%s)", hint);
            return syntax(s, at, msg);
        }
        /* -１0: the look-alike after the sign, named at its own column */
        if (int_at && lookalike(t + int_at, n - int_at))
            return syntax_at_char(s, at + int_at, "expected a string, number, true or false");
        return syntax_at_char(s, at, "expected a string, number, true or false");
    }
    v->type = CIVIC_TOML_INTEGER;
    if (i < n && t[i] == '.') {
        size_t frac_at = ++i;
        while (i < n && t[i] >= '0' && t[i] <= '9') i++;
        if (i == frac_at) return syntax(s, at, "a decimal needs digits after '.'");
        v->type = CIVIC_TOML_DECIMAL;
    }
    if (i != n) { /* name the TOML spellings this subset leaves out */
        char ch = t[i];
        if (int_at == 0 && v->type == CIVIC_TOML_INTEGER &&
            ((i == 4 && ch == '-') || (i == 2 && ch == ':')))
            return syntax(s, at, "a date or time is written as a string here, e.g. "
                                 "\"2025-07-01\"");
        if (ch == '_') return syntax(s, at, "a number is written without '_'");
        if (ch == 'e' || ch == 'E')
            return syntax(s, at, "exponents are not supported; write the number out");
        if (i == int_at + 1 && t[int_at] == '0' && (ch == 'x' || ch == 'o' || ch == 'b'))
            return syntax(s, at, "hexadecimal, octal and binary numbers are not supported");
        char grouped[80], msg[120];
        const char *whole = group_separator(t + i, n - i)
                                ? grouped_number(s, at, grouped, sizeof(grouped)) : NULL;
        if (whole) {
            snprintf(msg, sizeof(msg), "malformed number (%s)", whole); /* 1'000 */
            return syntax(s, at + i, msg);
        }
        if (lookalike(t + i, n - i)) return syntax_at_char(s, at + i, "malformed number");
        /* letters alone after the number: a duration left unquoted (1y,
         * 30d, 3months; SPEC 2's Nd, Nm, Ny, and a week or a unit's word
         * that quoted is told the durations) to quote where the key's value
         * is a string; any other letters, or a duration's on a key whose
         * value is a number (points = 5d), a unit (5h, -10pt, 2.5pts),
         * written away as after "5 points" -- quoted, 5h would be "'points'
         * must be a number" */
        if (!cut && letters_only(t + i, n - i)) {
            bool duration = duration_unit(t + i, n - i);
            if (duration && type == CIVIC_TOML_STRING && int_at == 0 &&
                v->type == CIVIC_TOML_INTEGER)
                return quote_it(s, at, "malformed number", t, n);
            if (!duration || type == CIVIC_TOML_DECIMAL)
                return stray_text(s, at + i, true, true, "unexpected text after the value");
        }
        /* a number whole up to a byte that can be part of none: that byte
         * (a control byte ends the word, and is named below) */
        if ((unsigned char)ch < 0x80 && !(ch >= 'a' && ch <= 'z') &&
            !(ch >= 'A' && ch <= 'Z') &&
            !(ch >= '0' && ch <= '9') && ch != '.' && ch != '-' && ch != '+' && ch != ':')
            return stray_text(s, at + i, true, true, "unexpected text after the value");
        /* utc_offset = +08:00: an offset left unquoted, as 1y above */
        if (type == CIVIC_TOML_STRING && s->key_len == 10 &&
            memcmp(s->key, "utc_offset", 10) == 0 && civic__offset_shaped(t, n))
            return quote_it(s, at, "malformed number", t, n);
        return syntax(s, at, "malformed number");
    }
    /* that byte before what the value is for is judged ("'valid' must be a
     * string" would hide it) */
    if (cut) return syntax_at_char(s, s->pos, "unexpected text after the value");
    v->bare = unquoted_value(s, at, n, false); /* min_level = 2 stars */
    return CIVIC_OK;
}

/* A blank at b inside the header text [at, end) of a [[...]] (array) or
 * [...] header, when it is inside the name of a rule, cap, tier or measure
 * ([rule.CODE], [[rule.CODE.change]], [cap.NAME], [tier.NAME],
 * [[tier.NAME.level]], [measure.NAME]; not in .change or .level, nor in the
 * table's word), no blank of the name is at its ends or beside a dot, and
 * the name with each run of blanks as '_', in lower case where the table's
 * names have no capitals, is one of that table (1..64 bytes of
 * [a-z0-9_.-], or [A-Za-z0-9_.-] for a tier or measure): "a rule code has
 * no blanks: write a_b" (in buf), "or capitals" when it was lowered; else
 * NULL, as for [[rule.park.change x]], whose code is park. */
static const char *blank_in_name(const toml_state *s, size_t at, size_t end, size_t b,
                                 bool array, char *buf, size_t size)
{
    static const struct {
        const char *word, *suffix; /* suffix: of the table's [[...]] form */
        bool capitals;
    } kinds[] = {
        { "rule", ".change", false },
        { "cap", NULL, false },
        { "tier", ".level", true },
        { "measure", NULL, true },
    };
    const char *t = s->text;
    const char *dot = memchr(t + at, '.', end - at);
    if (!dot) return NULL;
    size_t from = (size_t)(dot - t) + 1, to = end;
    int kind = -1;
    for (int i = 0; i < (int)(sizeof(kinds) / sizeof(kinds[0])); i++)
        if (strlen(kinds[i].word) == from - 1 - at && memcmp(t + at, kinds[i].word, from - 1 - at) == 0)
            kind = i;
    if (kind < 0 || b < from) return NULL;
    if (array) {
        const char *suffix = kinds[kind].suffix;
        size_t m = suffix ? strlen(suffix) : 0;
        if (!suffix || to - from <= m || memcmp(t + to - m, suffix, m) != 0) return NULL;
        to -= m;
    }
    if (b >= to) return NULL;
    char name[CIVIC_CODE_BYTES_MAX + 1];
    size_t n = 0;
    bool lowered = false;
    for (size_t k = from; k < to; k++) {
        char c = t[k];
        if (n == CIVIC_CODE_BYTES_MAX) return NULL;
        if (c == ' ' || c == '\t') {
            size_t run = k;
            while (run < to && (t[run] == ' ' || t[run] == '\t')) run++;
            if (k == from || run == to || t[k - 1] == '.' || t[run] == '.') return NULL;
            if (t[k - 1] != '_' && t[run] != '_') name[n++] = '_';
            k = run - 1;
        } else if (c >= 'A' && c <= 'Z' && !kinds[kind].capitals) {
            name[n++] = (char)(c - 'A' + 'a');
            lowered = true;
        } else if (bare_key_char(c) || c == '.') {
            name[n++] = c;
        } else {
            return NULL; /* a quote, a character not of ASCII */
        }
    }
    snprintf(buf, size, "%s has no blanks%s: write %.*s", kind == 0 ? "a rule code" : "a name",
             lowered ? " or capitals" : "", (int)n, name);
    return buf;
}

static int parse_header(toml_state *s, const civic_toml_handler *h)
{
    size_t open = s->pos;
    bool array = s->pos + 1 < s->len && s->text[s->pos + 1] == '[';
    s->pos += array ? 2 : 1;
    skip_ws(s);
    if (!array && s->pos > open + 1 && s->pos < s->len && s->text[s->pos] == '[')
        return syntax(s, open, "a blank between a header's two '[': write [[NAME]], the "
                               "brackets together");
    size_t at = s->pos;
    bool quoted = false;
    size_t blank = 0, quote = 0, hash = 0; /* the first of each outside double quotes, + 1 */
    size_t opened = 0; /* the quote that opened the last quoted part */
    while (s->pos < s->len && (quoted || s->text[s->pos] != ']') && s->text[s->pos] != '\n') {
        char c = s->text[s->pos];
        if (c == '\0') return nul_byte(s, s->pos); /* a name shows it as \x00, far from it */
        if (c == '"' && !quoted) opened = s->pos;
        if (c == '"') quoted = !quoted;
        else if (quoted && c == '\\' && s->pos + 1 < s->len && s->text[s->pos + 1] != '\n')
            s->pos++; /* an escape: the name's reader refuses it, by name */
        else if (!quoted && (c == ' ' || c == '\t') && !blank) blank = s->pos + 1;
        else if (!quoted && c == '\'' && !quote) quote = s->pos + 1;
        else if (!quoted && c == '#' && !hash) hash = s->pos + 1;
        s->pos++;
    }
    if (quoted && memchr(s->text + opened, ']', s->pos - opened)) {
        /* [rule.vh"]: a quote never closed, the ']' taken into it */
        char msg[160];
        /* only "delete it": a quote closed after it ([rule.vh""]) is refused */
        snprintf(msg, sizeof(msg), "unterminated table header (a stray '\"' at column %u: delete "
                 "it)", col(s, opened));
        return syntax(s, opened, msg);
    }
    if (s->pos >= s->len || s->text[s->pos] != ']') return syntax(s, open, "unterminated table header");
    size_t end = s->pos;
    while (end > at && (s->text[end - 1] == ' ' || s->text[end - 1] == '\t')) end--;
    if (quote && quote - 1 < end)
        return syntax(s, quote - 1, "literal (single-quoted) names are not supported; use "
                                    "\"...\"");
    if (hash && hash - 1 < end)
        return syntax(s, hash - 1, "a comment inside a table header: close it with ']' before "
                                   "the '#'");
    if (blank && blank - 1 < end) {
        char name[120], msg[180];
        const char *why = blank_in_name(s, at, end, blank - 1, array, name, sizeof(name));
        if (!why)
            return syntax(s, blank - 1, "a blank inside a table header (write [rule.CODE], no "
                                        "blanks around its dots)");
        snprintf(msg, sizeof(msg), "a blank inside a table header (%s)", why);
        return syntax(s, blank - 1, msg);
    }
    s->pos++;
    if (array) {
        if (s->pos >= s->len || s->text[s->pos] != ']') return syntax(s, s->pos, "expected ']]'");
        s->pos++;
    }
    if (end == at) return syntax(s, open, "empty table header");
    /* [rule.caf\xe9]: a file in another encoding (Latin-1), named at the
     * byte -- as a code or an unknown table it would be told the characters
     * a name takes, shown as \xe9 */
    for (size_t k = at; k < end;) {
        size_t m = (unsigned char)s->text[k] < 0x80 ? 1 : utf8_sequence(s->text + k, end - k);
        if (m == 0)
            return syntax(s, k, "table header is not valid UTF-8 (Latin-1 text? convert it "
                                "with iconv -f WINDOWS-1252 -t UTF-8)");
        k += m;
    }
    int rc = h->table(h->ctx, s->text + at, end - at, array, s->line, col(s, at), at, s->err);
    if (rc != CIVIC_OK) return rc;
    s->table_at = at;
    s->table_len = end - at;
    s->table_array = array;
    return end_of_line_after(s, true, false);
}

/* The brackets a table header lost at the start of its line (the line
 * "rule.a]" read as a dotted key): "[" or "[[" when the line, before any
 * comment, ends in ']' or "]]" and has no '=', else NULL. */
static const char *lost_brackets(const toml_state *s)
{
    size_t end = s->line_start;
    while (end < s->len && s->text[end] != '\n' && s->text[end] != '#') {
        if (s->text[end] == '=') return NULL;
        end++;
    }
    while (end > s->line_start && (s->text[end - 1] == ' ' || s->text[end - 1] == '\t' ||
                                   s->text[end - 1] == '\r'))
        end--;
    if (end - s->line_start < 2 || s->text[end - 1] != ']') return NULL;
    bool two = s->text[end - 2] == ']';
    /* the brackets its table takes ("scheme]]" is [scheme]; the reader's
     * arrays of tables are [[grade]], [[validity]], [[rule.CODE.change]]
     * and [[tier.NAME.level]]), else as many as it lost */
    size_t from = s->line_start, to = end - (two ? 2 : 1);
    while (from < to && (s->text[from] == ' ' || s->text[from] == '\t')) from++;
    while (to > from && (s->text[to - 1] == ' ' || s->text[to - 1] == '\t')) to--;
    const char *t = s->text + from;
    size_t n = to - from;
#define NAMED(w) (n == sizeof(w) - 1 && memcmp(t, w, n) == 0)
#define PREFIXED(w) (n > sizeof(w) - 1 && memcmp(t, w, sizeof(w) - 1) == 0)
#define SUFFIXED(w) (n > sizeof(w) - 1 && memcmp(t + n - (sizeof(w) - 1), w, sizeof(w) - 1) == 0)
    if (NAMED("grade") || NAMED("validity") || (PREFIXED("rule.") && SUFFIXED(".change")) ||
        (PREFIXED("tier.") && SUFFIXED(".level")))
        return "[[";
    if (NAMED("scheme") || PREFIXED("rule.") || PREFIXED("cap.") || PREFIXED("tier.") ||
        PREFIXED("measure."))
        return "[";
#undef NAMED
#undef PREFIXED
#undef SUFFIXED
    return two ? "[[" : "[";
}

/* The value of the line from `at` as written, for a hint: up to a comment
 * or the line's end, blanks around it dropped; 0 when it is over 40 bytes
 * or holds a control byte or a quote after its first (not shown whole). */
static size_t value_shown(const toml_state *s, size_t at)
{
    const char *t = s->text;
    size_t e = at;
    bool quoted = at < s->len && t[at] == '"';
    while (e < s->len && t[e] != '\n' && t[e] != '\r' &&
           !(t[e] == '#' && !quoted && e > at && (t[e - 1] == ' ' || t[e - 1] == '\t')))
        e++;
    while (e > at && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
    if (e == at || e - at > 40 || !civic__utf8_valid(t + at, e - at)) return 0;
    for (size_t k = at; k < e; k++)
        if ((unsigned char)t[k] < 0x20 || t[k] == 0x7f || (k > at && k + 1 < e && t[k] == '"') ||
            t[k] == '\\')
            return 0;
    return e - at;
}

/* "rule.vh.points = 5": the header and key to write instead, into msg
 * ("write [rule.vh] on its own line, then points = 5"); false when the key
 * is no table of the scheme's and a key (its first part is not one a
 * header starts with), or the line is no key = value. */
static bool dotted_hint(const toml_state *s, size_t at, char *msg, size_t size)
{
    const char *t = s->text;
    size_t part[8], plen[8], parts = 0, i = at;
    for (;;) {
        size_t b = i;
        while (i < s->len && bare_key_char(t[i])) i++;
        if (i == b || parts == 8) return false;
        part[parts] = b;
        plen[parts++] = i - b;
        while (i < s->len && (t[i] == ' ' || t[i] == '\t')) i++;
        if (i >= s->len || t[i] != '.') break;
        i++;
        while (i < s->len && (t[i] == ' ' || t[i] == '\t')) i++;
    }
    if (parts < 2 || i >= s->len || t[i] != '=') return false;
    for (i++; i < s->len && (t[i] == ' ' || t[i] == '\t');) i++;
    static const char *const tables[] = { "scheme", "rule", "cap", "tier", "measure", "grade",
                                          "validity" };
    size_t k = 0;
    while (k < 7 && !(plen[0] == strlen(tables[k]) && memcmp(t + part[0], tables[k], plen[0]) == 0))
        k++;
    if (k == 7) return false;
    bool inline_table = i < s->len && t[i] == '{';
    size_t last = inline_table ? parts : parts - 1; /* the parts the header takes */
    if (last == 0 || (k >= 5 && last != 1) || (k == 0 && last != 1) || (k > 0 && k < 5 && last < 2))
        return false;
    /* a change of a rule and a level of a tier are arrays of tables, as
     * grade and validity are (SPEC 9.1, 8.4): [[rule.a.change]] */
    bool array = k >= 5;
    if (last >= 3) {
        const char *item = k == 1 ? "change" : k == 3 ? "level" : NULL;
        if (item && plen[last - 1] == strlen(item) &&
            memcmp(t + part[last - 1], item, plen[last - 1]) == 0)
            array = true;
    }
    char header[120];
    size_t n = 0;
    for (size_t p = 0; p < last; p++) {
        if (n + plen[p] + 2 > sizeof(header)) return false;
        if (p) header[n++] = '.';
        memcpy(header + n, t + part[p], plen[p]);
        /* a rule code or cap name is lower case (header() tells a capital
         * the code to write): its lower-case form, unless it is reserved */
        if ((k == 1 || k == 2) && p > 0 && !(array && p == last - 1))
            for (size_t c = n; c < n + plen[p]; c++)
                if (header[c] >= 'A' && header[c] <= 'Z') header[c] = (char)(header[c] + 32);
        n += plen[p];
    }
    header[n] = '\0';
    if (k == 1) {
        static const char *const reserved[] = { "revoke", "repair", "redeem",
                                                "object", "dismiss", "correct" };
        size_t code = plen[0] + 1, end = n - (array ? plen[last - 1] + 1 : 0);
        for (size_t r = 0; r < 6; r++)
            if (end - code == strlen(reserved[r]) &&
                memcmp(header + code, reserved[r], end - code) == 0)
                return false;
    }
    const char *open = array ? "[[" : "[", *close = array ? "]]" : "]";
    size_t vn = inline_table ? 0 : value_shown(s, i);
    if (inline_table)
        snprintf(msg, size, "write %s%s%s on its own line, then one key = value a line", open,
                 header, close);
    else if (vn)
        snprintf(msg, size, "write %s%s%s on its own line, then %.*s = %.*s", open, header,
                 close, (int)plen[parts - 1], t + part[parts - 1], (int)vn, t + i);
    else
        snprintf(msg, size, "write %s%s%s on its own line, then %.*s = its value", open, header,
                 close, (int)plen[parts - 1], t + part[parts - 1]);
    return true;
}

static int dotted_key(toml_state *s, size_t at)
{
    const char *lost = lost_brackets(s);
    char msg[240], hint[200];
    if (!lost && dotted_hint(s, at, hint, sizeof(hint))) {
        snprintf(msg, sizeof(msg), "dotted keys are not supported (%s)", hint);
        return syntax(s, s->pos, msg);
    }
    if (!lost) return syntax(s, s->pos, "dotted keys are not supported");
    snprintf(msg, sizeof(msg), "dotted keys are not supported (missing '%s' at the start of a "
             "table header?)", lost);
    return syntax(s, s->pos, msg);
}

/* Whether t[0..n) is a number as TOML writes it and a key of numbers takes
 * it: a sign, digits, at most one '.' with digits after it. */
static bool plain_number(const char *t, size_t n)
{
    size_t k = n && (t[0] == '-' || t[0] == '+'), d = k;
    while (k < n && t[k] >= '0' && t[k] <= '9') k++;
    if (k == d) return false;
    if (k < n && t[k] == '.') {
        size_t f = ++k;
        while (k < n && t[k] >= '0' && t[k] <= '9') k++;
        if (k == f) return false;
    }
    return k == n;
}

/* The value t[0..n) after a ':' as the key's value is written (type: the
 * handler's value_type), in buf: a string's in double quotes (unless it is
 * one), a number or a boolean as it is (n > 0); NULL when the line would
 * still be refused (points = 5d, freeze = yes, name = "say "hi"", an array)
 * or the key is of no table, whose value is not known. */
static const char *value_as_written(const char *t, size_t n, int type, char *buf, size_t size)
{
    size_t quotes = 0;
    if (t[0] == '[' || t[0] == '{' || t[0] == '\'') return NULL; /* no array, table, literal */
    for (size_t k = 0; k < n; k++) {
        if (t[k] == '\\') return NULL;
        quotes += t[k] == '"';
    }
    bool quoted = n >= 2 && t[0] == '"' && t[n - 1] == '"' && quotes == 2;
    if (type == CIVIC_TOML_STRING && (quoted || quotes == 0))
        snprintf(buf, size, "%s%.*s%s", quoted ? "" : "\"", (int)n, t, quoted ? "" : "\"");
    else if ((type == CIVIC_TOML_DECIMAL && plain_number(t, n)) ||
             (type == CIVIC_TOML_BOOL && ((n == 4 && memcmp(t, "true", 4) == 0) ||
                                          (n == 5 && memcmp(t, "false", 5) == 0))))
        snprintf(buf, size, "%.*s", (int)n, t);
    else
        return NULL;
    return buf;
}

/* A ':' (or a full-width one) where the '=' of the key at s->text[at..key_end)
 * belongs, at s->pos, as YAML and JSON write it: told, with the line as TOML
 * writes it when the value after it is 1..40 bytes of text on that line and
 * can be written as the key's value (type: the handler's value_type). */
static int colon_for_equals(toml_state *s, size_t at, size_t key_end, int type)
{
    const char *t = s->text;
    size_t v = s->pos + (t[s->pos] == ':' ? 1 : 3), e;
    bool quoted = false;
    while (v < s->len && (t[v] == ' ' || t[v] == '\t')) v++;
    for (e = v; e < s->len && t[e] != '\n' && t[e] != '\r' && (quoted || t[e] != '#'); e++)
        if (t[e] == '"') quoted = !quoted;
    while (e > v && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
    bool text = e > v && e - v <= 40 && key_end - at <= 40 && civic__utf8_valid(t + v, e - v);
    for (size_t k = v; text && k < e; k++)
        if ((unsigned char)t[k] < 0x20 || t[k] == 0x7f) text = false;
    char msg[160], value[48];
    const char *written = text ? value_as_written(t + v, e - v, type, value, sizeof(value)) : NULL;
    if (!written) return syntax(s, s->pos, "expected '=' after the key (TOML uses '=', not ':')");
    snprintf(msg, sizeof(msg), "expected '=' after the key (TOML uses '=', not ':': write "
             "%.*s = %s)", (int)(key_end - at), t + at, written);
    return syntax(s, s->pos, msg);
}

/* An array or an inline table after key = (neither is in the subset):
 * named, with what to write where the manual has a form for it: a list of
 * names (rules, grades) joined by ';', [[grade]] or [[validity]] tables,
 * a table's header and one key a line. */
static int bracket_value(toml_state *s, const char *key, size_t klen)
{
    const char *t = s->text;
    size_t i = s->pos + 1;
    char msg[240];
    if (t[s->pos] == '{')
        return syntax(s, s->pos, "inline tables are not supported (write a table as [NAME] on "
                                 "its own line, then one key = value a line)");
    while (i < s->len && (t[i] == ' ' || t[i] == '\t')) i++;
    bool named = (klen == 5 && memcmp(key, "grade", 5) == 0) ||
                 (klen == 8 && memcmp(key, "validity", 8) == 0);
    if (named && i < s->len && t[i] == '{') {
        snprintf(msg, sizeof(msg), "arrays are not supported (write [[%.*s]] on its own line, "
                 "then one key = value a line, for each)", (int)klen, key);
        return syntax(s, s->pos, msg);
    }
    /* a list only where the key is one: rules in [tier.NAME], grades in
     * [measure.NAME] (SPEC 8.4, 8.5); elsewhere the key is unknown */
    const char *tt = s->text + s->table_at;
    bool list = !s->table_array &&
                ((klen == 5 && memcmp(key, "rules", 5) == 0 && s->table_len > 5 &&
                  memcmp(tt, "tier.", 5) == 0) ||
                 (klen == 6 && memcmp(key, "grades", 6) == 0 && s->table_len > 8 &&
                  memcmp(tt, "measure.", 8) == 0));
    char joined[120];
    size_t n = 0, items = 0;
    while (list) { /* "name", ... ] of simple strings, a comma after the last allowed */
        if (i < s->len && t[i] == ']' && items) break;
        if (i >= s->len || t[i] != '"') list = false;
        size_t b = ++i;
        while (list && i < s->len && t[i] != '"') {
            unsigned char c = (unsigned char)t[i];
            if (c < 0x20 || c == 0x7f || c == '\\' || c == ';') list = false;
            i++;
        }
        if (!list || i >= s->len || i == b || n + (i - b) + 2 > sizeof(joined)) {
            list = false;
            break;
        }
        if (items++) joined[n++] = ';';
        memcpy(joined + n, t + b, i - b);
        n += i - b;
        for (i++; i < s->len && (t[i] == ' ' || t[i] == '\t');) i++;
        if (i < s->len && t[i] == ',')
            for (i++; i < s->len && (t[i] == ' ' || t[i] == '\t');) i++;
        else if (i >= s->len || t[i] != ']') list = false;
    }
    if (!list) return syntax(s, s->pos, "arrays are not supported");
    snprintf(msg, sizeof(msg), "arrays are not supported (write %.*s = \"%.*s\")", (int)klen, key,
             (int)n, joined);
    return syntax(s, s->pos, msg);
}

static int parse_pair(toml_state *s, const civic_toml_handler *h)
{
    size_t at = s->pos;
    if (s->text[at] == '"' || s->text[at] == '\'')
        return syntax(s, at, "quoted keys are not supported");
    while (s->pos < s->len && bare_key_char(s->text[s->pos])) s->pos++;
    if (s->pos == at)
        return stray_text(s, at, false, false, "expected a key, a [table] or a comment");
    size_t key_end = s->pos;
    if (s->pos < s->len && s->text[s->pos] == '.') return dotted_key(s, at);
    skip_ws(s);
    if (s->pos < s->len && s->text[s->pos] == '.') return dotted_key(s, at);
    if (s->pos >= s->len || s->text[s->pos] != '=') {
        size_t dashes = 0; /* "-- a comment": a key of dashes, and no '=' */
        while (at + dashes < key_end && s->text[at + dashes] == '-') dashes++;
        if (dashes >= 2 && at + dashes == key_end)
            return syntax(s, s->pos, "expected '=' after the key (a comment starts with '#')");
        if (s->pos < s->len && (s->text[s->pos] == ':' || (s->len - s->pos >= 3 &&
                                memcmp(s->text + s->pos, "\xef\xbc\x9a", 3) == 0)))
            return colon_for_equals(s, at, key_end, h->value_type
                                        ? h->value_type(h->ctx, s->text + at, key_end - at) : -1);
        /* "scheme]", "grade]]": a header without its '[', its name a key */
        const char *lost = s->pos < s->len && s->text[s->pos] == ']' ? lost_brackets(s) : NULL;
        if (lost) {
            char msg[100];
            snprintf(msg, sizeof(msg), "expected '=' after the key (missing '%s' at the start of "
                     "a table header?)", lost);
            return syntax(s, s->pos, msg);
        }
        return syntax_at_char(s, s->pos, "expected '=' after the key");
    }
    s->pos++;
    skip_ws(s);
    if (s->pos < s->len && (s->text[s->pos] == '[' || s->text[s->pos] == '{'))
        return bracket_value(s, s->text + at, key_end - at);
    civic_toml_value v;
    memset(&v, 0, sizeof(v));
    s->key = s->text + at;
    s->key_len = key_end - at;
    int rc = parse_value(s, &v, h->value_type ? h->value_type(h->ctx, s->text + at, key_end - at)
                                              : -1);
    if (rc != CIVIC_OK) return rc;
    rc = h->pair(h->ctx, s->text + at, key_end - at, &v, s->line, col(s, at), at, s->err);
    if (rc != CIVIC_OK) return rc;
    return end_of_line_after(s, false, v.type == CIVIC_TOML_INTEGER ||
                                           v.type == CIVIC_TOML_DECIMAL);
}

/* What a file that is not text is, said at once ("expected a key" at line 1
 * would send its reader looking for a typo); NULL for text. */
static const char *not_text(const char *text, size_t len)
{
    return civic__binary_text(civic__binary_kind(text, len), true);
}

/* Which of id, subject, type and ts (bits 1, 2, 4, 8) the comma-separated
 * names of the line t[0..n) are: quoted or not, in any case, with blanks
 * around them (as the log's loader matches them). */
static unsigned log_header_names(const char *t, size_t n)
{
    static const char *const need[] = { "id", "subject", "type", "ts" };
    unsigned found = 0;
    for (size_t at = 0; at <= n;) {
        size_t end = at;
        while (end < n && t[end] != ',') end++;
        size_t a = at, e = end;
        if (e > a && t[e - 1] == '\r') e--;
        while (a < e && (t[a] == ' ' || t[a] == '\t')) a++;
        while (e > a && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
        if (e - a >= 2 && t[a] == '"' && t[e - 1] == '"') {
            for (a++, e--; a < e && (t[a] == ' ' || t[a] == '\t'); a++) {}
            while (e > a && (t[e - 1] == ' ' || t[e - 1] == '\t')) e--;
        }
        for (unsigned k = 0; k < 4; k++)
            if (ascii_word_is(t + a, e - a, need[k])) found |= 1u << k;
        at = end + 1;
    }
    return found;
}

static bool json_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* t[i..n) opens a JSON object: '{', blanks, then a key's quote or '}', or
 * nothing more on its line (a pretty-printed object's lone '{'). */
static bool json_object_at(const char *t, size_t n, size_t i)
{
    if (i >= n || t[i] != '{') return false;
    size_t j = i + 1;
    while (j < n && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r')) j++;
    if (j >= n || t[j] == '\n') return true;
    return t[j] == '"' || t[j] == '}';
}

/* t[i..n) opens a JSON array: '[' alone on its line, or '[' and blanks
 * before an object or the closing ']' ("[[grade]]", "[scheme]" and the slip
 * "[{scheme]" are TOML's). */
static bool json_array_at(const char *t, size_t n, size_t i)
{
    if (i >= n || t[i] != '[') return false;
    size_t j = i + 1;
    while (j < n && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r')) j++;
    if (j >= n || t[j] == '\n') return true;
    while (j < n && json_blank(t[j])) j++;
    if (j < n && t[j] == ']') {
        /* a lone [] or [ ] on its line is an empty table header, not JSON */
        size_t k = j + 1;
        while (k < n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\r')) k++;
        bool lone = memchr(t + i, '\n', j - i) == NULL && (k >= n || t[k] == '\n' || t[k] == '#');
        return !lone;
    }
    return j < n && json_object_at(t, n, j);
}

/* Whether t[0..n) names, as JSON keys ("key" then ':'), an event's id,
 * subject and type or ts, as an event line does (SPEC 3). */
static bool json_event_keys(const char *t, size_t n)
{
    static const char *const need[] = { "id", "subject", "type", "ts" };
    unsigned found = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '"') continue;
        size_t e = i + 1;
        while (e < n && t[e] != '"') e += t[e] == '\\' ? 2 : 1;
        if (e >= n) break;
        size_t c = e + 1;
        while (c < n && json_blank(t[c])) c++;
        if (c < n && t[c] == ':')
            for (unsigned k = 0; k < 4; k++)
                if (e - i - 1 == strlen(need[k]) && memcmp(t + i + 1, need[k], e - i - 1) == 0)
                    found |= 1u << k;
        i = e;
    }
    return (found & 3u) == 3u && (found & 12u) != 0;
}

/* When the parse failed on the first line that is not blank and that line
 * is an event log's (a JSON object holding an event's keys, an array of
 * such objects, or a CSV header naming id, subject, type and ts: the rules
 * and the log swapped), the error says so after its own words, its code,
 * line and column unchanged (civic-score, civic-server and the Python
 * binding all show it); any other JSON is rules written in JSON, told to
 * be TOML.  An error path only. */
static void name_an_event_log(const char *t, size_t n, civic_error *err)
{
    if (!err || err->version < 1) return;
    size_t i = n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0, e;
    while (i < n && json_blank(t[i])) i++;
    for (e = i; e < n && t[e] != '\n'; e++) {}
    if (err->offset < i || err->offset > e) return;
    /* "[{"id": ...}]" is read as a header: an unknown table, not bad syntax */
    if (err->code != CIVIC_E_SYNTAX && !(err->code == CIVIC_E_RULES && json_array_at(t, n, i)))
        return;
    const char *log = NULL, *other = NULL;
    if (json_object_at(t, n, i)) {
        if (json_event_keys(t + i, e - i)) log = "its first line is a JSON object";
        else other = "a JSON document (rules are written in TOML; see the manual's rules chapter)";
    } else if (json_array_at(t, n, i)) {
        size_t o = i + 1, c;
        while (o < n && json_blank(t[o])) o++;
        for (c = o; c < n && t[c] != '}'; c++) {} /* an event's fields hold no object */
        if (o < n && t[o] == '{' && json_event_keys(t + o, c - o)) log = "a JSON array of objects";
        else other = "a JSON document (rules are written in TOML; see the manual's rules chapter)";
    } else if (log_header_names(t + i, e - i) == 15) {
        log = "its first line is a CSV header naming id, subject, type and ts";
    }
    if (!log && !other) return;
    char tail[160];
    if (log) snprintf(tail, sizeof(tail), "not a rules file: an event log (%s)", log);
    else snprintf(tail, sizeof(tail), "not a rules file: %s", other);
    size_t used = strlen(err->message);
    if (used + 2 + strlen(tail) >= sizeof(err->message)) {
        /* the parser's words too long to keep it whole ("unknown table"
         * and its list): what the text is takes their place after
         * "line L, column C: " */
        const char *words = strstr(err->message, ": ");
        used = words ? (size_t)(words + 2 - err->message) : 0;
        snprintf(err->message + used, sizeof(err->message) - used, "%s", tail);
        return;
    }
    snprintf(err->message + used, sizeof(err->message) - used, "; %s", tail);
}

int civic__toml_parse(const char *text, size_t len, bool file, const civic_allocator *alc,
                      const civic_toml_handler *handler, civic_error *err)
{
    toml_state s = { text, len, 0, 0, 1, file, alc, NULL, 0, err, 0, 0, 0, false, NULL, 0 };
    int rc = CIVIC_OK;
    const char *what = not_text(text, len);
    if (what)
        return civic__error_set(err, CIVIC_E_SYNTAX, 1, 1, 0,
                                "line 1, column 1: not a rules file: %s", what);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) s.pos = s.line_start = 3;
    while (s.pos < s.len && rc == CIVIC_OK) {
        skip_ws(&s);
        if (s.pos >= s.len) break;
        char c = s.text[s.pos];
        if (c == '#' || c == '\n' || c == '\r') rc = end_of_line(&s);
        else if (c == '[') rc = parse_header(&s, handler);
        else rc = parse_pair(&s, handler);
    }
    civic__free(alc, s.buf, s.buf_cap);
    if (rc == CIVIC_E_SYNTAX || rc == CIVIC_E_RULES) name_an_event_log(text, len, err);
    return rc;
}
