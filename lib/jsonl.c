/*
** jsonl.c -- the JSON Lines event loader.
**
** One JSON object per line with the keys id, subject, type, ts, qty, group,
** ref (other keys ignored, whatever their value); ts and qty may be numbers
** or strings, the other fields must be strings; null means absent.  Blank
** lines are skipped.  The parser is a small strict RFC 8259 reader over one
** line: duplicate keys, trailing commas, control characters in strings,
** invalid UTF-8 and lone surrogates are errors naming line and column.
** Strings are unescaped into a per-line buffer no longer than the line.
**
** It reads lines and hands each object's fields to the sink (sink.c); load.c
** chooses, through civic__jsonl_format, what is read here and what in parts
** on helper threads.  It does not insert, count or decide what a bad line
** means (the sink does).  Invariants: every line is a record, so any run of
** whole lines may be parsed in parallel; decoded strings never outgrow the
** line plus two rewritten numbers (JSON_LINE_EXTRA_BYTES).
*/
#include "pipeline.h"

#include <stdio.h>
#include <string.h>

#define JSON_DEPTH_MAX 64

#define JSON_NUMBER_BYTES_MAX 96

typedef struct jline {
    const char *p;
    size_t n, i;
    uint64_t line;
    char *out;       /* unescape buffer, >= n bytes */
    size_t out_len;
    const char *why; /* first error */
    size_t why_at;
    bool v1;         /* rules of version 1, or a split without
                        CIVIC_SPLIT_V2: a variant of any field's name is
                        another key, ignored, as in 1.0 */
    civic_jsonl_variants *variants; /* a split's: where the variants stand */
} jline;

/* The out buffer of a line holds its decoded strings (never longer than the
 * line) and up to two numbers rewritten as plain decimals. */
#define JSON_LINE_EXTRA_BYTES (2 * JSON_NUMBER_BYTES_MAX)

static const char AFTER_OBJECT[] = "unexpected text after the object";
/* A line of NULs alone (CR aside): civic__jsonl_why counts them. */
static const char NULS_LINE[] = "NUL bytes (" NULS_WHY ")";
/* What a line that does not start with '{' is told; of a '#' comment's
 * that it is one (civic__jsonl_why). */
static const char EXPECTED_OBJECT[] = "expected a JSON object '{'";
/* A limit, not a syntax error: CIVIC_E_LIMIT (civic__jsonl_code). */
static const char TOO_DEEP[] = "nesting deeper than 64";

static bool fail(jline *j, const char *why)
{
    if (!j->why) {
        j->why = why;
        j->why_at = j->i;
    }
    return false;
}

static void ws(jline *j)
{
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\r')) j->i++;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    return v;
}

static bool escape(jline *j, uint32_t *cp)
{
    char e = j->i < j->n ? j->p[j->i] : '\0';
    j->i++;
    switch (e) {
    case '"': *cp = '"'; return true;
    case '\\': *cp = '\\'; return true;
    case '/': *cp = '/'; return true;
    case 'b': *cp = '\b'; return true;
    case 'f': *cp = '\f'; return true;
    case 'n': *cp = '\n'; return true;
    case 'r': *cp = '\r'; return true;
    case 't': *cp = '\t'; return true;
    case 'u': break;
    default: j->i -= 2; return fail(j, "unknown escape in a string (write \\\\ for a backslash)");
    }
    /* a bad or lone escape is told at its backslash, as the rules reader
     * tells it (j->i is not read on after a failure) */
    int hi = j->i + 4 <= j->n ? hex4(j->p + j->i) : -1;
    if (hi < 0) {
        j->i -= 2; /* the backslash, before the u */
        return fail(j, "bad \\u escape");
    }
    j->i += 4;
    if (hi >= 0xdc00 && hi <= 0xdfff) {
        j->i -= 6; /* the backslash of the six bytes read */
        return fail(j, "lone low surrogate in \\u escape");
    }
    if (hi >= 0xd800 && hi <= 0xdbff) {
        int lo = (j->i + 6 <= j->n && j->p[j->i] == '\\' && j->p[j->i + 1] == 'u')
                     ? hex4(j->p + j->i + 2) : -1;
        if (lo < 0xdc00 || lo > 0xdfff) {
            j->i -= 6; /* the backslash of the high half */
            return fail(j, "lone high surrogate in \\u escape");
        }
        j->i += 6;
        *cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
        return true;
    }
    *cp = (uint32_t)hi;
    return true;
}

/* Bytes of plain string content at p: printable ASCII except '"' and '\\',
 * eight at a time. */
static size_t plain_run(const char *p, size_t n)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w, q, b;
        memcpy(&w, p + i, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        uint64_t stop = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w;
        if (stop & high) break;
        i += 8;
    }
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        i++;
    }
    return i;
}

/* A string at j->i (the quote); decoded into j->out when store. */
static bool string(jline *j, bool store, const char **s, size_t *len)
{
    size_t start = j->out_len;
    j->i++;
    size_t plain = plain_run(j->p + j->i, j->n - j->i);
    if (j->i + plain < j->n && j->p[j->i + plain] == '"') {
        /* nothing to decode (the usual case): point into the line itself,
         * which outlives the parsed event like the scratch does */
        if (store) {
            *s = j->p + j->i;
            *len = plain;
        }
        j->i += plain + 1;
        return true;
    }
    size_t first = j->i; /* the string's first byte, for an error's hint */
    for (;;) {
        size_t run = plain_run(j->p + j->i, j->n - j->i);
        if (run) {
            if (store) memcpy(j->out + j->out_len, j->p + j->i, run);
            j->out_len += store ? run : 0;
            j->i += run;
        }
        if (j->i >= j->n) return fail(j, "unterminated string");
        unsigned char c = (unsigned char)j->p[j->i];
        if (c == '"') break;
        if (c < 0x20) return fail(j, "control character in a string");
        if (c == '\\') {
            uint32_t cp;
            j->i++;
            if (!escape(j, &cp)) return false;
            if (store) j->out_len += civic__utf8_put(j->out + j->out_len, cp);
            continue;
        }
        size_t at = j->i;
        size_t k = 1;
        if (c >= 0x80) {
            k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (at + k > j->n || !civic__utf8_valid(j->p + at, k)) {
                /* the string's bytes to its closing quote (a Latin-1
                 * letter is never one): Latin-1 text, as a CSV field's */
                const char *q = memchr(j->p + at, '"', j->n - at);
                size_t end = q ? (size_t)(q - j->p) : j->n;
                return fail(j, civic__latin1_like(j->p + first, end - first, at - first)
                                   ? "invalid UTF-8 in a string (Latin-1 text? convert it with "
                                     "iconv -f WINDOWS-1252 -t UTF-8)"
                                   : "invalid UTF-8 in a string");
            }
        }
        if (store) {
            memcpy(j->out + j->out_len, j->p + at, k);
            j->out_len += k;
        }
        j->i += k;
    }
    j->i++;
    if (store) {
        *s = j->out + start;
        *len = j->out_len - start;
    }
    return true;
}

static bool number(jline *j, const char **s, size_t *len)
{
    size_t at = j->i;
    if (j->i < j->n && j->p[j->i] == '-') j->i++;
    if (j->i >= j->n || j->p[j->i] < '0' || j->p[j->i] > '9') return fail(j, "malformed number");
    if (j->p[j->i] == '0' && j->i + 1 < j->n && j->p[j->i + 1] >= '0' && j->p[j->i + 1] <= '9')
        return fail(j, "leading zero in a number");
    while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
    if (j->i < j->n && j->p[j->i] == '.') {
        j->i++;
        size_t d = j->i;
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
        if (j->i == d) return fail(j, "malformed number");
    }
    if (j->i < j->n && (j->p[j->i] == 'e' || j->p[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->p[j->i] == '+' || j->p[j->i] == '-')) j->i++;
        size_t d = j->i;
        while (j->i < j->n && j->p[j->i] >= '0' && j->p[j->i] <= '9') j->i++;
        if (j->i == d) return fail(j, "malformed number");
    }
    *s = j->p + at;
    *len = j->i - at;
    return true;
}

/* Rewrite a valid JSON number as a plain decimal ("1.5e2" -> "150",
 * "2E-3" -> "0.002"), so that ts and qty numbers mean what they say while
 * text fields stay strict decimals.  Leading zeros go, and a zero is 0
 * whatever its exponent.  Numbers whose plain form would not fit are left as
 * they are (and then fail, the message quoting them as written). */
static size_t plain_decimal(const char *s, size_t n, char *out, size_t size, uint8_t *kept)
{
    *kept = CIVIC_NUM_PLAIN;
    size_t i = 0, o = 0, digit_count = 0, int_digits = 0;
    char digits[JSON_NUMBER_BYTES_MAX];
    long exponent = 0;
    if (n >= size) {
        *kept = CIVIC_NUM_LONG;
        return 0;
    }
    if (s[i] == '-') out[o++] = s[i++];
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits[digit_count++] = s[i];
    int_digits = digit_count;
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) digits[digit_count++] = s[i];
    if (i == n) { /* no exponent: already plain */
        memcpy(out, s, n);
        return n;
    }
    bool negative = s[++i] == '-';
    if (s[i] == '-' || s[i] == '+') i++;
    for (; i < n && exponent < 1000; i++) exponent = exponent * 10 + (s[i] - '0');
    if (negative) exponent = -exponent;
    long point = (long)int_digits + exponent; /* digits before the decimal point */
    size_t zeros = 0;
    while (zeros < digit_count && digits[zeros] == '0') zeros++;
    if (zeros == digit_count) { /* 0e999999: zero, whatever the exponent */
        out[0] = '0';
        return 1;
    }
    memmove(digits, digits + zeros, digit_count - zeros);
    digit_count -= zeros;
    point -= (long)zeros;
    if (point < -40 || point > 40 || digit_count + 44 > size) {
        /* below 1e-41 (and not zero) a ts takes its second; the others say why */
        *kept = point < -40 ? CIVIC_NUM_TINY : point > 40 ? CIVIC_NUM_HUGE : CIVIC_NUM_DIGITS;
        return 0;
    }
    if (point <= 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (long k = 0; k < -point; k++) out[o++] = '0';
        memcpy(out + o, digits, digit_count);
        return o + digit_count;
    }
    for (long k = 0; k < point; k++) out[o++] = (size_t)k < digit_count ? digits[k] : '0';
    if ((size_t)point < digit_count) {
        out[o++] = '.';
        memcpy(out + o, digits + point, digit_count - (size_t)point);
        o += digit_count - (size_t)point;
    }
    return o;
}

/* The length of the number JSON lacks at p[0..n): NaN, Infinity or
 * -Infinity, as Python's json.dumps writes a float NaN (pandas' empty cell)
 * or inf, in any letters, "inf" too, a whole word; 0 for anything else.
 * Refused as before (a value of the wrong type, or in a key that is
 * ignored an unexpected character), with what it is (number_why). */
static size_t not_json_number(const char *p, size_t n)
{
    static const char *const words[] = { "nan", "infinity", "inf" };
    size_t sign = n && (p[0] == '-' || p[0] == '+');
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
        size_t m = strlen(words[w]), i = 0;
        while (i < m && sign + i < n && (p[sign + i] | 0x20) == words[w][i]) i++;
        if (i < m) continue;
        char after = sign + m < n ? p[sign + m] : ' ';
        if ((after | 0x20) >= 'a' && (after | 0x20) <= 'z') continue; /* "nanny", "info" */
        if ((after >= '0' && after <= '9') || after == '_') continue;
        return sign + m;
    }
    return 0;
}

/* The "unexpected character" of such a value in a key that is ignored
 * (found by address, as AFTER_OBJECT is). */
static const char NOT_JSON_IGNORED[] = "unexpected character";

static bool literal(jline *j, const char *word)
{
    size_t m = strlen(word);
    if (j->i + m > j->n || memcmp(j->p + j->i, word, m) != 0) return fail(j, "unexpected character");
    j->i += m;
    return true;
}

/* Skip any value (for keys we ignore); depth: the arrays and objects this
 * value is inside, the line's own object not counted, and at most
 * JSON_DEPTH_MAX of them may be open at once (a value that is neither is
 * no level: 64 arrays deep hold a number as they hold nothing). */
static bool skip_value(jline *j, int depth)
{
    const char *s;
    size_t len;
    ws(j);
    if (j->i >= j->n) return fail(j, "missing value");
    char c = j->p[j->i];
    if (c == '"') return string(j, false, &s, &len);
    if (not_json_number(j->p + j->i, j->n - j->i)) return fail(j, NOT_JSON_IGNORED);
    if (c == 't') return literal(j, "true");
    if (c == 'f') return literal(j, "false");
    if (c == 'n') return literal(j, "null");
    if (c == '-' || (c >= '0' && c <= '9')) return number(j, &s, &len);
    if (c != '{' && c != '[') return fail(j, "unexpected character");
    if (depth >= JSON_DEPTH_MAX) return fail(j, TOO_DEEP);
    char close = c == '{' ? '}' : ']';
    j->i++;
    ws(j);
    if (j->i < j->n && j->p[j->i] == close) { j->i++; return true; }
    for (;;) {
        ws(j);
        if (c == '{') {
            if (j->i >= j->n || j->p[j->i] != '"') return fail(j, "expected a key");
            if (!string(j, false, &s, &len)) return false;
            ws(j);
            if (j->i >= j->n || j->p[j->i] != ':') return fail(j, "expected ':'");
            j->i++;
        }
        if (!skip_value(j, depth + 1)) return false;
        ws(j);
        if (j->i < j->n && j->p[j->i] == ',') { j->i++; continue; }
        if (j->i < j->n && j->p[j->i] == close) { j->i++; return true; }
        return fail(j, "expected ',' or a closing bracket");
    }
}

/* The field a key names; -1 for another key (ignored); the field plus
 * CIVIC_F_COUNT for its name in other letters ("Qty"), plus twice that for
 * its name with blanks around it ("qty "): ignoring those would read the
 * event without the field, silently (CSV headers match in any case and
 * without the blanks around a name, so a log converted from one may well
 * say "Qty" or "qty "), so object() refuses them where the exact key is
 * absent, under version-2 rules (under rules of version 1 they are ignored,
 * as 1.0 ignored them). */
static int key_field(const char *k, size_t n)
{
    static const uint8_t lens[CIVIC_F_COUNT] = { 2, 7, 4, 2, 3, 5, 3, 3, 6 }; /* of the names */
    size_t a = 0, m = n;
    while (a < m && (k[a] == ' ' || k[a] == '\t')) a++;
    while (m > a && (k[m - 1] == ' ' || k[m - 1] == '\t')) m--;
    int blanks = a > 0 || m < n ? 2 * CIVIC_F_COUNT : 0;
    for (int f = 0; f < CIVIC_F_COUNT; f++) {
        if (lens[f] != m - a) continue;
        if (!blanks && memcmp(civic__field_names[f], k, n) == 0) return f;
        size_t i = 0; /* the names are lower-case letters: | 0x20 folds only letters onto them */
        while (i < m - a && (k[a + i] | 0x20) == civic__field_names[f][i]) i++;
        if (i == m - a) return f + (blanks ? blanks : CIVIC_F_COUNT);
    }
    return -1;
}

/* "-NNN" (n bytes at p, a minus and digits) one further from zero, in place:
 * the caller dropped at least two bytes after it (a '.' and a digit), the
 * room a carry needs ("-9" -> "-10").  Returns the new length. */
static size_t magnitude_up(char *p, size_t n)
{
    size_t i = n;
    while (i > 1 && p[i - 1] == '9') p[--i] = '0';
    if (i > 1) {
        p[i - 1]++;
        return n;
    }
    memmove(p + 2, p + 1, n - 1); /* all nines: one digit more */
    p[1] = '1';
    return n + 1;
}

/* A ts or qty written without quotes that is no JSON number: these words,
 * and, appended when the error is told (civic__jsonl_detail), what the
 * value most likely is.  Objects of their own: the detail is found by
 * address, as AFTER_OBJECT is. */
static const char BARE_TS[] = "field 'ts': not a JSON number";
static const char BARE_QTY[] = "field 'qty': not a JSON number";

/* The end of the bare value at `at`: where a ',', a '}', a blank or the
 * line's end stops it. */
static size_t bare_end(const char *p, size_t n, size_t at)
{
    while (at < n && p[at] != ',' && p[at] != '}' && p[at] != ' ' && p[at] != '\t' &&
           p[at] != '\r')
        at++;
    return at;
}

static bool ascii_digit(char c) { return c >= '0' && c <= '9'; }

/* c, right after a bare number, could be more of the same value (2022-01,
 * 0x10, 1_000, 2022/01/01, 50%): anything but a quote, bracket, brace or
 * parenthesis, which are a missing comma's or a wrong bracket's, told as
 * such where they stand. */
static bool runs_on(char c)
{
    return c != '"' && c != '[' && c != ']' && c != '{' && c != '(' && c != ')';
}

/* What bare_number_fail and field_value say of a ts's or qty's malformed
 * number ([0] ts, [1] qty).  Found by address when the error is told
 * (number_why): the examples are then the value's own where it has them
 * ("JSON writes 7, not 007"), these words where it cannot (text after it). */
enum { MALFORMED, DOT, MINUS_DOT, EXPONENT, LEADING_ZERO, NOT_NUMBER };
static const char *const NUMBER_WHYS[2][5] = {
    { "field 'ts': malformed number",
      "field 'ts': malformed number (JSON writes 5.0 or 5, not 5.)",
      "field 'ts': malformed number (JSON writes -0.5, not -.5)",
      "field 'ts': malformed number (a digit must follow the exponent's 'e')",
      "field 'ts': leading zero in a number (JSON writes 5, not 05)" },
    { "field 'qty': malformed number",
      "field 'qty': malformed number (JSON writes 5.0 or 5, not 5.)",
      "field 'qty': malformed number (JSON writes -0.5, not -.5)",
      "field 'qty': malformed number (a digit must follow the exponent's 'e')",
      "field 'qty': leading zero in a number (JSON writes 5, not 05)" },
};
/* .5 and +1, numbers in other languages ([0] ts, [1] qty; [.][0] .5) */
static const char *const SIGN_WHYS[2][2] = {
    { "field 'ts': malformed number (JSON writes 0.5, not .5)",
      "field 'ts': malformed number (JSON writes 1, not +1)" },
    { "field 'qty': malformed number (JSON writes 0.5, not .5)",
      "field 'qty': malformed number (JSON writes 1, not +1)" },
};
/* A value of the wrong type, the field named, as every other message of a
 * field names it (a number for a text field: what to write follows, from
 * the value, number_why) */
static const char *const WRONG_TYPE[CIVIC_F_COUNT] = {
    "field 'id': must be a string", "field 'subject': must be a string",
    "field 'type': must be a string", "field 'ts': must be a string or a number",
    "field 'qty': must be a string or a number", "field 'group': must be a string",
    "field 'ref': must be a string", "field 'act': must be a string",
    "field 'source': must be a string",
};
_Static_assert(CIVIC_F_COUNT == 9, "a message for every field");

/* The value of the ts or qty at `at`, without quotes, is no JSON number
 * (number() refused it, or text runs on from where it stopped): the error
 * names the field and points at the value's first byte, as .5 and +1 do.
 * An error path only: the words number() chose are replaced. */
static bool bare_number_fail(jline *j, int field, size_t at)
{
    const char *p = j->p;
    size_t e = bare_end(p, j->n, at), k = at + (at < e && p[at] == '-');
    int kind = NOT_NUMBER;
    bool hex = k + 1 < e && p[k] == '0' && (p[k + 1] == 'x' || p[k + 1] == 'X');
    if (k < e && p[k] == '.' && k > at) kind = MINUS_DOT;
    else if (k >= e || (!ascii_digit(p[k]) && (unsigned char)p[k] < 0x80)) kind = MALFORMED;
    else if (!hex && p[k] == '0' && k + 1 < e && ascii_digit(p[k + 1])) kind = LEADING_ZERO;
    else if (ascii_digit(p[k])) {
        while (k < e && ascii_digit(p[k])) k++;
        if (k < e && p[k] == '.') { /* 5., but 5.０ is a look-alike's */
            if (++k >= e || (!ascii_digit(p[k]) && (unsigned char)p[k] < 0x80)) kind = DOT;
            while (k < e && ascii_digit(p[k])) k++;
        }
        if (kind == NOT_NUMBER && k < e && (p[k] == 'e' || p[k] == 'E')) {
            k++;
            size_t d = k + (k < e && (p[k] == '+' || p[k] == '-'));
            if (d >= e || !ascii_digit(p[d])) kind = EXPONENT;
        }
    }
    j->why = NULL;
    j->i = at;
    if (kind == NOT_NUMBER) return fail(j, field == CIVIC_F_QTY ? BARE_QTY : BARE_TS);
    return fail(j, NUMBER_WHYS[field == CIVIC_F_QTY][kind]);
}

/* One member value for a known field. */
static bool field_value(jline *j, int field, civic_fields *f)
{
    ws(j);
    uint32_t column = (uint32_t)(j->i + 1);
    if (j->i >= j->n) return fail(j, "missing value");
    char c = j->p[j->i];
    const char *s = NULL;
    size_t len = 0;
    if (c == '"') {
        if (!string(j, true, &s, &len)) return false;
    } else if (not_json_number(j->p + j->i, j->n - j->i)) {
        return fail(j, WRONG_TYPE[field]); /* NaN, Infinity: named in number_why */
    } else if (c == 'n') {
        return literal(j, "null");
    } else if ((c == '-' || (c >= '0' && c <= '9')) &&
               (field == CIVIC_F_TS || field == CIVIC_F_QTY)) {
        if (!number(j, &s, &len)) return bare_number_fail(j, field, column - 1);
        const char *written = s;
        size_t written_len = len;
        char *plain = j->out + j->out_len;
        uint8_t kept;
        size_t plain_len = plain_decimal(s, len, plain, JSON_NUMBER_BYTES_MAX, &kept);
        if (plain_len) {
            s = plain;
            len = plain_len;
            j->out_len += plain_len;
        }
        if (field == CIVIC_F_QTY) f->qty_number = kept; /* 1e400: "too large" */
        if (field == CIVIC_F_TS) f->ts_number = kept;
        if (field == CIVIC_F_TS && plain_len) {
            /* Unix seconds: the second the instant falls in, as a time
             * written with a fraction drops it (-100.7 is 1969-12-31T23:58:19.3Z,
             * the second -101): a negative fraction rounds down */
            const char *dot = memchr(s, '.', len);
            if (dot) {
                bool fraction = false;
                for (const char *q = dot + 1; q < s + len; q++) fraction |= *q != '0';
                len = (size_t)(dot - s);
                if (s[0] == '-' && fraction) len = magnitude_up(plain, len);
            }
        } else if (field == CIVIC_F_TS && kept == CIVIC_NUM_TINY) {
            /* too small to write out (nearer 0 than 1e-41): the second it falls
             * in, 0 or -1; anything else not written out (too large, or more
             * digits than a ts may have) is left as it is, which the ts check
             * refuses */
            s = s[0] == '-' ? "-1" : "0";
            len = s[0] == '-' ? 2 : 1;
            f->ts_number = CIVIC_NUM_PLAIN;
        }
        /* a ts number whose text the writing out changed (-62135596800.5 as
         * -62135596801): a refusal says so, its quote being in no file */
        if (field == CIVIC_F_TS && f->ts_number == CIVIC_NUM_PLAIN &&
            (len != written_len || memcmp(s, written, len) != 0))
            f->ts_number = CIVIC_NUM_CHANGED;
    } else if ((c == '.' || c == '+') && (field == CIVIC_F_TS || field == CIVIC_F_QTY)) {
        /* .5 and +1 are numbers in other languages, a malformed one in
         * JSON: "must be a string or a number" would have the writer look
         * for a value of the wrong type */
        return fail(j, SIGN_WHYS[field == CIVIC_F_QTY][c == '+']);
    } else if ((unsigned char)c >= 0x80 && (field == CIVIC_F_TS || field == CIVIC_F_QTY)) {
        /* a full-width digit, a printed minus: named when the error is told */
        return bare_number_fail(j, field, column - 1);
    } else {
        j->i = column - 1;
        return fail(j, WRONG_TYPE[field]);
    }
    f->v[field] = s;
    f->n[field] = len;
    f->column[field] = column;
    return true;
}

static bool object(jline *j, civic_fields *f)
{
    bool seen[CIVIC_F_COUNT] = { false };
    /* the first variant of each field's name ("Qty", "qty "): its key's
     * offset + 1 (0: none) and its kind, judged once the line is read */
    size_t variant_at[CIVIC_F_COUNT] = { 0 };
    bool variant_blanks[CIVIC_F_COUNT] = { false };
    bool variant = false; /* any: the rare case, judged after the line */
    ws(j);
    if (j->n && j->p[0] == '\0' && (j->n == 1 || (j->n == 2 && j->p[1] == '\r')))
        return fail(j, NUL_ALONE); /* alone (a CR after it aside), as csv.c */
    if (j->i >= j->n || j->p[j->i] != '{') {
        /* a tail a crash zero-filled: its NULs, as csv.c names them */
        size_t k = 0, end = j->n - (j->p[j->n - 1] == '\r');
        while (k < end && j->p[k] == '\0') k++;
        return fail(j, k == end && k ? NULS_LINE : EXPECTED_OBJECT);
    }
    j->i++;
    ws(j);
    bool empty = j->i < j->n && j->p[j->i] == '}'; /* refused: no id, or text after */
    if (empty) j->i++;
    while (!empty) {
        const char *k;
        size_t kn;
        ws(j);
        if (j->i >= j->n || j->p[j->i] != '"') return fail(j, "expected a key string");
        size_t key_at = j->i;
        if (!string(j, true, &k, &kn)) return false;
        ws(j);
        if (j->i >= j->n || j->p[j->i] != ':') return fail(j, "expected ':' after the key");
        j->i++;
        int field = key_field(k, kn);
        if (field >= CIVIC_F_COUNT) {
            /* a variant is refused only where it would leave the event
             * without the field (the exact key absent, after the line is
             * read), and only under version-2 rules: in 1.0 every variant
             * was a key like any other, ignored, and under rules of
             * version 1 (or in a split without CIVIC_SPLIT_V2, which
             * leaves it to the engine that loads the part) it is ignored as
             * one, so a 1.0 log keeps its answers (SPEC, "Version 2"); a
             * field the event needs is then missing, as in 1.0, and the
             * message names the key */
            int base = field % CIVIC_F_COUNT;
            if (!variant_at[base]) {
                variant_at[base] = key_at + 1;
                variant_blanks[base] = field >= 2 * CIVIC_F_COUNT;
                variant = true;
            }
            field = -1;
        }
        if (field >= 0) {
            if (seen[field]) {
                static const char *const twice[CIVIC_F_COUNT] = {
                    "duplicate key \"id\"", "duplicate key \"subject\"",
                    "duplicate key \"type\"", "duplicate key \"ts\"", "duplicate key \"qty\"",
                    "duplicate key \"group\"", "duplicate key \"ref\"", "duplicate key \"act\"",
                    "duplicate key \"source\"",
                };
                _Static_assert(CIVIC_F_COUNT == 9, "a message for every field");
                j->i = key_at;
                return fail(j, twice[field]);
            }
            seen[field] = true;
            if (!field_value(j, field, f)) return false;
        } else if (!skip_value(j, 0)) {
            return false;
        }
        ws(j);
        if (j->i < j->n && j->p[j->i] == ',') { j->i++; continue; }
        if (j->i < j->n && j->p[j->i] == '}') { j->i++; break; }
        /* a bare ts or qty that runs on from where its number stopped
         * (2022-01-01, 0x10, 1.5.2): no JSON number either */
        if ((field == CIVIC_F_TS || field == CIVIC_F_QTY) && f->column[field] && j->i < j->n &&
            j->p[f->column[field] - 1] != '"' && j->p[j->i - 1] != ' ' &&
            j->p[j->i - 1] != '\t' && j->p[j->i - 1] != '\r' && runs_on(j->p[j->i]))
            return bare_number_fail(j, field, f->column[field] - 1);
        return fail(j, "expected ',' or '}'");
    }
    if (j->variants)
        for (int v = 0; v < CIVIC_F_COUNT; v++) {
            j->variants->column[v] = seen[v] ? 0 : (uint32_t)variant_at[v];
            j->variants->bare[v] = variant_blanks[v];
        }
    else if (variant && j->v1)
        /* a load under version-1 rules reads the line without the field;
         * where it is one the event needs, its "missing" names the key
         * (event.c, missing_error) */
        for (int v = 0; v <= CIVIC_F_TS; v++) {
            if (!variant_at[v] || seen[v]) continue;
            f->column[v] = (uint32_t)variant_at[v];
            f->variants |= (uint8_t)(1u << v | (variant_blanks[v] ? 1u << (v + 4) : 0));
        }
    /* the first variant whose field has no exact key, where it stands */
    int refused = -1;
    for (int v = 0; v < CIVIC_F_COUNT && !j->v1; v++)
        if (variant_at[v] && !seen[v] && (refused < 0 || variant_at[v] < variant_at[refused]))
            refused = v;
    if (refused >= 0) {
        j->i = variant_at[refused] - 1;
        return fail(j, civic__jsonl_variant_why(refused, variant_blanks[refused]));
    }
    ws(j);
    if (j->i != j->n) return fail(j, AFTER_OBJECT);
    return true;
}

/* What object() says of a variant of field's name: in other letters, or
 * (bare) with blanks around it. */
const char *civic__jsonl_variant_why(int field, bool bare_blanks)
{
    static const char *const bare[CIVIC_F_COUNT] = {
        "a key has no blanks around it: write \"id\"",
        "a key has no blanks around it: write \"subject\"",
        "a key has no blanks around it: write \"type\"",
        "a key has no blanks around it: write \"ts\"",
        "a key has no blanks around it: write \"qty\"",
        "a key has no blanks around it: write \"group\"",
        "a key has no blanks around it: write \"ref\"",
        "a key has no blanks around it: write \"act\"",
        "a key has no blanks around it: write \"source\"",
    };
    static const char *const lower[CIVIC_F_COUNT] = {
        "keys are lower case: write \"id\"", "keys are lower case: write \"subject\"",
        "keys are lower case: write \"type\"", "keys are lower case: write \"ts\"",
        "keys are lower case: write \"qty\"", "keys are lower case: write \"group\"",
        "keys are lower case: write \"ref\"", "keys are lower case: write \"act\"",
        "keys are lower case: write \"source\"",
    };
    CIVIC_ASSERT(field >= 0 && field < CIVIC_F_COUNT);
    return (bare_blanks ? bare : lower)[field];
}

/* The line the serial reader is at (without its LF), for jsonl_note. */
typedef struct jsonl_state {
    const char *raw;
    size_t raw_n;
    bool raw_last; /* no LF after it: the input's last line */
} jsonl_state;

/* civic_format.note: a last line a crash cut short, where the value the
 * error is of ends in its zero-filled tail; a line that a byte-order mark
 * opens (files joined with cat; the mark at the text's start is skipped)
 * is no JSON object, though it shows one. */
static void jsonl_note(const civic_loader *ld, civic_error *e)
{
    const jsonl_state *st = ld->format_state;
    if (st->raw && st->raw_last) civic__loader_nul_tail(ld, e, st->raw, st->raw_n, true);
    if (st->raw && st->raw_n >= 3 && memcmp(st->raw, "\xEF\xBB\xBF", 3) == 0)
        civic__error_append(e, " (" CIVIC__BOM_LINE ")");
}

static int jsonl_line(civic_loader *ld, const char *p, size_t n, uint64_t line, char *buf)
{
    jline j = { p, n, 0, line, buf, 0, NULL, 0, ld->engine->rules->spec_version < 2, NULL };
    civic_fields f;
    memset(&f, 0, sizeof(f));
    f.meant = &ld->meant;
    ws(&j);
    if (j.i == n) return CIVIC_OK; /* blank line */
    if (!object(&j, &f)) {
        civic_error e = CIVIC_ERROR_INIT;
        uint32_t column = (uint32_t)(j.why_at + 1);
        if (civic__jsonl_lone_cr(p, n, j.why, j.why_at)) {
            /* "}\r{": lines ended by a lone CR (old Mac files) read as one
             * line; skipped, it would take every event with it */
            civic__error_set(&e, CIVIC_E_SYNTAX, line, column, 0,
                             "line %llu, column %u: an object after a carriage return on the "
                             "same line (lines must end in LF or CRLF)",
                             (unsigned long long)line, column);
            return civic__loader_fatal(ld, &e);
        }
        char why[192];
        civic__error_set(&e, civic__jsonl_code(j.why), line, column, 0,
                         "line %llu, column %u: %s", (unsigned long long)line, column,
                         civic__jsonl_why(p, n, line, j.why, j.why_at, why, sizeof(why)));
        civic__jsonl_detail(p, n, j.why, j.why_at, &e);
        return civic__loader_reject(ld, &e);
    }
    return civic__loader_event(ld, &f, line);
}

/* The serial reader (civic_format.serial): the lines of [data, data + len),
 * starting none at or past offset `until`. */
static int jsonl_serial(civic_loader *ld, const char *data, size_t len, bool final, size_t until,
                        size_t *used)
{
    size_t pos = 0;
    int rc = CIVIC_OK;
    char *buf = NULL;
    size_t buf_cap = 0;
    while (pos < len && pos < until && rc == CIVIC_OK) {
        const char *p = data + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        uint64_t line = ld->line + 1;
        jsonl_state *st = ld->format_state;
        st->raw = p;
        st->raw_n = n;
        st->raw_last = !nl;
        if (ld->skip.on) { /* the rest of a line too long to hold */
            size_t k = n + (nl ? 1 : 0);
            ld->offset += k;
            pos += k;
            if (!nl && !final) break;
            ld->line++;
            ld->skip.on = false;
            continue;
        }
        if (!nl && !final) {
            if (n > CIVIC_LINE_BYTES_MAX) {
                /* Too long to hold: strict, the batch fails; lenient, the
                 * line is rejected now and skipped as it is read on. */
                civic_error e = CIVIC_ERROR_INIT;
                civic__error_set(&e, CIVIC_E_LIMIT, line, 0, 0, "line %llu: longer than 1 MiB",
                                 (unsigned long long)line);
                rc = civic__loader_reject(ld, &e);
                if (rc == CIVIC_OK) {
                    ld->skip.on = true;
                    continue;
                }
            }
            break;
        }
        if (n > CIVIC_LINE_BYTES_MAX) {
            civic_error e = CIVIC_ERROR_INIT;
            civic__error_set(&e, CIVIC_E_LIMIT, line, 0, 0, "line %llu: longer than 1 MiB",
                             (unsigned long long)line);
            rc = civic__loader_reject(ld, &e);
        } else {
            if (n + JSON_LINE_EXTRA_BYTES > buf_cap) {
                size_t want = n + JSON_LINE_EXTRA_BYTES < 4096 ? 4096 : n + JSON_LINE_EXTRA_BYTES;
                char *nb = civic__realloc(&ld->engine->alc, buf, buf_cap, want);
                if (!nb) {
                    rc = civic__error_set(ld->err, CIVIC_E_NOMEM, 0, 0, 0, NULL);
                    break;
                }
                buf = nb;
                buf_cap = want;
            }
            rc = jsonl_line(ld, p, n, line, buf);
        }
        ld->line++;
        ld->offset += n + (nl ? 1 : 0);
        pos += n + (nl ? 1 : 0);
    }
    ((jsonl_state *)ld->format_state)->raw = NULL;
    civic__free(&ld->engine->alc, buf, buf_cap);
    *used = pos;
    return rc;
}

/* Parallel parsing (pipeline.c): every line is a record; a runner decodes
 * into its part's scratch, which keeps the strings alive until the commit. */
static void jsonl_part_run(civic_part *part)
{
    size_t pos = 0, used = 0;
    uint64_t line = 0;
    civic_ts_cache dates;
    civic_type_cache types;
    memset(&dates, 0, sizeof(dates));
    memset(&types, 0, sizeof(types));
    while (pos < part->len && part->count < part->cap) {
        const char *p = part->data + pos;
        const char *nl = memchr(p, '\n', part->len - pos);
        size_t n = nl ? (size_t)(nl - p) : part->len - pos;
        size_t whole = n + (nl ? 1 : 0);
        if (n > CIVIC_LINE_BYTES_MAX) {
            civic__part_reread(part, p, whole, line);
        } else {
            CIVIC_ASSERT(used + n + JSON_LINE_EXTRA_BYTES <= part->scratch_cap);
            jline j = { p, n, 0, 0, part->scratch + used, 0, NULL, 0,
                        part->ld->engine->rules->spec_version < 2, NULL };
            civic_fields f;
            memset(&f, 0, sizeof(f));
            f.ts_cache = &dates;
            f.type_cache = &types;
            ws(&j);
            if (j.i < n) {
                if (!object(&j, &f)) civic__part_reread(part, p, whole, line);
                else if (civic__part_event(part, &f, p, whole, line)) used += j.out_len;
            }
        }
        line++;
        pos += whole;
    }
    part->stop = pos;
    part->lines = line;
}

/* civic_format.parallel_bytes: every line is a record of its own. */
static size_t jsonl_parallel_bytes(const civic_loader *ld, const char *data, size_t len,
                                   size_t *serial_until)
{
    if (ld->skip.on) {
        *serial_until = 1; /* the rest of a line being skipped, serially */
        return 0;
    }
    return len;
}

const civic_format civic__jsonl_format = { jsonl_serial, jsonl_parallel_bytes, jsonl_part_run,
                                           JSON_LINE_EXTRA_BYTES, sizeof(jsonl_state),
                                           jsonl_note };

/* split.c reads lines with the same parser, outside any load. */
_Static_assert(JSON_LINE_EXTRA_BYTES == CIVIC__JSONL_LINE_EXTRA_BYTES, "jsonl.c and internal.h");

/* A whole object, then a CR (blanks around it or not) and another object on
 * the same line: lines ended by a lone CR (old Mac files), which a reader of
 * LF lines takes for one. */
bool civic__jsonl_lone_cr(const char *p, size_t n, const char *why, size_t why_at)
{
    if (why != AFTER_OBJECT || why_at >= n || p[why_at] != '{') return false;
    for (size_t i = why_at; i > 0 && p[i - 1] != '}'; i--) /* blanks, as ws() skips them */
        if (p[i - 1] == '\r') return true;
    return false;
}

/* The code of a line's first error: a limit passed (SPEC: inputs past a
 * limit give CIVIC_E_LIMIT) or malformed JSON. */
int civic__jsonl_code(const char *why)
{
    return why == TOO_DEEP ? CIVIC_E_LIMIT : CIVIC_E_SYNTAX;
}

/* Whether s[0..len) is one JSON number, whole. */
static bool json_number(const char *s, size_t len)
{
    jline t = { s, len, 0, 0, NULL, 0, NULL, 0, false, NULL };
    const char *v;
    size_t vn;
    return number(&t, &v, &vn) && t.i == len;
}

/* A value an example may quote: 1 to 24 bytes of printable ASCII, no quote
 * or backslash (so that it reads as written). */
static bool quotable(const char *v, size_t n)
{
    return n > 0 && n <= 24 && civic__ascii_printable(v, n) && !memchr(v, '"', n) &&
           !memchr(v, '\\', n);
}

/* why, a malformed number's or a wrong type's (NUMBER_WHYS, SIGN_WHYS,
 * WRONG_TYPE), with the examples taken from the value at p[why_at] where
 * what it says to write is a JSON number (into buf): "JSON writes 7, not
 * 007", and for a ts, whose text keeps them, that a string may have leading
 * zeros; a number given for a text field, what to write ("1" for 1).  why
 * as it is where the value gives no such example. */
static const char *number_why(const char *p, size_t n, const char *why, size_t why_at,
                              char *buf, size_t size)
{
    int qty = -1, kind = -1;
    for (int q = 0; q < 2 && kind < 0; q++) {
        if (why == NUMBER_WHYS[q][DOT] || why == NUMBER_WHYS[q][MINUS_DOT] ||
            why == NUMBER_WHYS[q][LEADING_ZERO])
            kind = why == NUMBER_WHYS[q][DOT] ? DOT : why == NUMBER_WHYS[q][MINUS_DOT]
                                                          ? MINUS_DOT : LEADING_ZERO;
        else if (why == SIGN_WHYS[q][0] || why == SIGN_WHYS[q][1])
            kind = why == SIGN_WHYS[q][0] ? NOT_NUMBER : MALFORMED; /* .5 : +1 */
        if (kind >= 0) qty = q;
    }
    if (why_at >= n) return why;
    const char *v = p + why_at;
    size_t nan = not_json_number(v, n - why_at);
    if (nan && (why == NOT_JSON_IGNORED || kind < 0)) {
        /* Python's json.dumps writes NaN for a float NaN, pandas' empty
         * cell: the advice the binding's add() gives of one */
        bool empty = (v[nan - 1] | 0x20) == 'n'; /* NaN, not Infinity */
        int field = -1;
        for (int f = 0; f < CIVIC_F_COUNT; f++)
            if (why == WRONG_TYPE[f]) field = f;
        const char *after = !empty ? (field == CIVIC_F_QTY ? ", and a qty is finite" : "")
                            : field < 0 ? ": an empty cell? write null"
                            : field <= CIVIC_F_TS ? ": an empty cell? every event has one"
                                                  : ": an empty cell? write null or leave the "
                                                    "key out";
        if (why == NOT_JSON_IGNORED || field >= 0) {
            snprintf(buf, size, "%s (%.*s is not JSON%s)", why, (int)nan, v, after);
            return buf;
        }
    }
    size_t vn = bare_end(p, n, why_at) - why_at;
    if (!quotable(v, vn)) return why;
    if (kind < 0) { /* a text field given a number: {"id":1}, {"id":007} */
        size_t d = v[0] == '-';
        while (d < vn && ascii_digit(v[d])) d++;
        for (int f = 0; f < CIVIC_F_COUNT; f++) {
            if (why != WRONG_TYPE[f] || f == CIVIC_F_TS || f == CIVIC_F_QTY) continue;
            if (!json_number(v, vn) && (d < vn || d == (v[0] == '-'))) return why;
            snprintf(buf, size, "%s (write \"%.*s\")", why, (int)vn, v);
            return buf;
        }
        return why;
    }
    char fix[32], other[32];
    size_t at = 0, o = 0, digits = v[0] == '-';
    const char *field = qty ? "qty" : "ts";
    if (qty && v[0] == '-') { /* -0123, -.5: no fix a qty then takes */
        snprintf(buf, size, "field 'qty': %s, and a qty must not be negative",
                 kind == LEADING_ZERO ? "leading zero in a number" : "malformed number");
        return buf;
    }
    const char *dot = memchr(v, '.', vn);
    switch (kind) {
    case DOT: /* 12. -> 12.0 or 12 (5.e3 -> 5.0e3 or 5e3) */
        for (size_t i = 0; dot && i < vn; i++) {
            fix[at++] = v[i];
            if (v + i == dot) fix[at++] = '0';
            else other[o++] = v[i];
        }
        fix[at] = other[o] = '\0';
        if (!json_number(fix, at) || !json_number(other, o)) return why;
        snprintf(buf, size, "field '%s': malformed number (JSON writes %s or %s, not %.*s)", field,
                 fix, other, (int)vn, v);
        return buf;
    case LEADING_ZERO: /* 007 -> 7, -0123 -> -123, 00.5 -> 0.5 */
        if (v[0] == '-') fix[at++] = '-';
        for (size_t i = at; i < vn; i++)
            if (v[i] != '0' || i + 1 == vn || !ascii_digit(v[i + 1]) || at > (v[0] == '-'))
                fix[at++] = v[i];
        fix[at] = '\0';
        if (!json_number(fix, at)) return why;
        /* a ts's text is Unix seconds with any leading zeros */
        while (digits < vn && ascii_digit(v[digits])) digits++;
        if (!qty && digits == vn)
            snprintf(buf, size, "field 'ts': leading zero in a number (JSON writes %s, not %.*s; "
                     "a string keeps leading zeros: \"%.*s\")", fix, (int)vn, v, (int)vn, v);
        else
            snprintf(buf, size, "field '%s': leading zero in a number (JSON writes %s, not %.*s)",
                     field, fix, (int)vn, v);
        return buf;
    default: /* -.5 -> -0.5; .5 -> 0.5; +1 -> 1 (+.5 -> 0.5) */
        for (size_t i = 0; i < vn; i++) {
            if (kind == MALFORMED && i == 0) continue; /* the '+' */
            if (v[i] == '.' && at == (kind == MINUS_DOT)) fix[at++] = '0';
            fix[at++] = v[i];
        }
        fix[at] = '\0';
        if (!json_number(fix, at)) return why;
        snprintf(buf, size, "field '%s': malformed number (JSON writes %s, not %.*s)", field, fix,
                 (int)vn, v);
        return buf;
    }
}

const char *civic__jsonl_why(const char *p, size_t n, uint64_t line, const char *why,
                             size_t why_at, char *buf, size_t size)
{
    /* a '#' comment, as a rules file or a script has them: no log's line */
    if (why == EXPECTED_OBJECT && why_at < n && p[why_at] == '#')
        return "expected a JSON object '{' (a '#' comment? an event log has no comment lines: "
               "delete the line)";
    /* "}{": objects run together, as a log whose line breaks were removed
     * reads on its first line (a lone CR between them is
     * civic__jsonl_lone_cr's); on a later one the log has line breaks */
    if (why == AFTER_OBJECT && why_at < n && p[why_at] == '{')
        return line == 1 ? "unexpected text after the object: another object on the same line "
                           "(JSON Lines is one object a line: " CIVIC__BREAKS_GONE ")"
                         : "unexpected text after the object: another object on the same line "
                           "(JSON Lines is one object a line)";
    if (why != NULS_LINE) return number_why(p, n, why, why_at, buf, size);
    snprintf(buf, size, "%zu %s", n - (n && p[n - 1] == '\r'), NULS_LINE);
    return buf;
}

/* Blanks and line breaks, between the values of a document spread over
 * lines. */
static void ws_lines(jline *j)
{
    while (j->i < j->n && (j->p[j->i] == ' ' || j->p[j->i] == '\t' || j->p[j->i] == '\r' ||
                           j->p[j->i] == '\n'))
        j->i++;
}

/* A JSON value at j->i whose arrays and objects may run over lines (a
 * pretty-printed document), read to its end and checked as skip_value
 * checks one line's: its strings and numbers by the line's own readers (a
 * string still ends on its line). */
static bool lines_value(jline *j, int depth)
{
    const char *s;
    size_t len;
    ws_lines(j);
    if (j->i >= j->n) return false;
    char c = j->p[j->i];
    if (c == '"') return string(j, false, &s, &len);
    if (c == 't') return literal(j, "true");
    if (c == 'f') return literal(j, "false");
    if (c == 'n') return literal(j, "null");
    if (c == '-' || ascii_digit(c)) return number(j, &s, &len);
    if ((c != '{' && c != '[') || depth >= JSON_DEPTH_MAX) return false;
    char close = c == '{' ? '}' : ']';
    j->i++;
    ws_lines(j);
    if (j->i < j->n && j->p[j->i] == close) {
        j->i++;
        return true;
    }
    for (;;) {
        ws_lines(j);
        if (c == '{') {
            if (j->i >= j->n || j->p[j->i] != '"' || !string(j, false, &s, &len)) return false;
            ws_lines(j);
            if (j->i >= j->n || j->p[j->i] != ':') return false;
            j->i++;
        }
        if (!lines_value(j, depth + 1)) return false;
        ws_lines(j);
        if (j->i < j->n && j->p[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->n && j->p[j->i] == close) {
            j->i++;
            return true;
        }
        return false;
    }
}

bool civic__jsonl_pretty(const char *p, size_t n, bool final, uint64_t *line, size_t *at)
{
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    uint64_t l = 1;
    for (;;) { /* blank lines, as the reader skips them */
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r')) i++;
        if (i >= n || p[i] != '\n') break;
        i++;
        l++;
    }
    if (i >= n || p[i] != '{') return false;
    size_t k = i + 1;
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r')) k++;
    if (k >= n || p[k] != '\n') return false; /* the '{' not alone on its line */
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n')) k++;
    if (k >= n || p[k] != '"') return false; /* no member: not a printer's "{" line */
    jline j = { p, n, i, 0, NULL, 0, NULL, 0, false, NULL };
    if (!lines_value(&j, 0)) return false;
    ws_lines(&j);
    /* then the next object, or the end (a C string's NUL taken in aside) */
    if (j.i < n ? p[j.i] != '{' && !(final && j.i + 1 == n && p[j.i] == '\0') : !final)
        return false;
    *line = l;
    *at = i;
    return true;
}

int civic__jsonl_fields(const char *p, size_t n, char *buf, civic_fields *f, bool v2,
                        civic_jsonl_variants *variants, const char **why, size_t *why_at)
{
    /* the variants of every field's name: refused as a load under
     * version-2 rules refuses them (v2), else the loading engine's
     * (variants only notes where they stand) */
    jline j = { p, n, 0, 0, buf, 0, NULL, 0, !v2, variants };
    memset(variants, 0, sizeof(*variants));
    memset(f, 0, sizeof(*f));
    ws(&j);
    if (j.i == n) return 0;
    if (object(&j, f)) return 1;
    *why = j.why;
    *why_at = j.why_at;
    return -1;
}

/* What a bare ts or qty that is no JSON number (BARE_TS, BARE_QTY) most
 * likely is, from its bytes at why_at: a date or time, hexadecimal, digits
 * grouped, or a character that only looks like a digit or a minus (named
 * with its code point, as in a string or a CSV field).  Appended to e. */
void civic__jsonl_detail(const char *p, size_t n, const char *why, size_t why_at, civic_error *e)
{
    if ((why != BARE_TS && why != BARE_QTY) || why_at >= n) return;
    bool qty = why == BARE_QTY;
    size_t end = bare_end(p, n, why_at), len = end - why_at, at, k = 0;
    const char *v = p + why_at;
    size_t sign = v[0] == '-';
    if (len == 0) return;
    char hint[160], name[64];
    hint[0] = '\0';
    while (k < len && (ascii_digit(v[k]) || (k == 0 && v[k] == '-'))) k++;
    if (civic__toml_lookalike_name(v, len, name, sizeof(name), &at)) {
        const unsigned char *u = (const unsigned char *)v + at;
        bool wide = len - at >= 3 && u[0] == 0xef && u[1] == 0xbc &&
                    ((u[2] >= 0x90 && u[2] <= 0x99) || u[2] == 0x8e); /* U+FF10..19, FF0E */
        bool minus = at == 0 && len >= 3 &&
                     (memcmp(u, "\xe2\x88\x92", 3) == 0 || memcmp(u, "\xef\xbc\x8d", 3) == 0 ||
                      (u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0x90 && u[2] <= 0x94));
        snprintf(hint, sizeof(hint), " (%s%s)", name,
                 wide ? ": write it in ASCII"
                      : minus ? (qty ? ": a qty is not negative" : ": write -") : "");
    } else if (len > sign + 1 && v[sign] == '0' && (v[sign + 1] | 0x20) == 'x') {
        snprintf(hint, sizeof(hint), " (a number is written in decimal)");
    } else if (memchr(v, '_', len) || memchr(v, '\'', len)) {
        snprintf(hint, sizeof(hint), " (a number is written without spaces or separators)");
    } else if (!qty && k > 0 && !sign && k < len && (v[k] == '-' || v[k] == ':')) {
        /* the whole value, up to its ',' or '}': a time or an offset after a
         * blank is part of it, and a hint without them would move the event */
        size_t dlen = len;
        while (why_at + dlen < n && p[why_at + dlen] != ',' && p[why_at + dlen] != '}')
            dlen++;
        while (dlen > len && (v[dlen - 1] == ' ' || v[dlen - 1] == '\t' || v[dlen - 1] == '\r'))
            dlen--;
        if (dlen <= 40 && civic__ascii_printable(v, dlen) && !memchr(v, '"', dlen) &&
            !memchr(v, '\\', dlen))
            snprintf(hint, sizeof(hint),
                     " (a date or time is written as a string here: \"%.*s\")", (int)dlen, v);
        else
            snprintf(hint, sizeof(hint), " (a date or time is written as a string here)");
    }
    if (hint[0]) civic__error_append(e, hint);
}
