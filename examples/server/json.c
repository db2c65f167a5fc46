/*
** json.c -- see json.h.
*/
#include "json.h"
#include "answers.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_put(buf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (n > SIZE_MAX / 4 - b->len) {
        b->oom = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        if (b->fixed) {
            b->oom = true;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

buf buf_over(char *p, size_t n)
{
    p[0] = '\0';
    return (buf){ .p = p, .cap = n, .fixed = true };
}

void buf_puts(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

void buf_printf(buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Unicode's format characters (Cf, 15.1) and the line and paragraph
 * separators (Zl, Zp): invisible, or acting on the text around them (U+202E
 * shows what follows it reversed; U+2028 ends a line for some readers).
 * Code point ranges, first and last. */
static const uint32_t FORMAT[][2] = {
    { 0x00AD, 0x00AD }, { 0x0600, 0x0605 }, { 0x061C, 0x061C }, { 0x06DD, 0x06DD },
    { 0x070F, 0x070F }, { 0x0890, 0x0891 }, { 0x08E2, 0x08E2 }, { 0x180E, 0x180E },
    { 0x200B, 0x200F }, { 0x2028, 0x202E }, { 0x2060, 0x2064 }, { 0x2066, 0x206F },
    { 0xFEFF, 0xFEFF }, { 0xFFF9, 0xFFFB }, { 0x110BD, 0x110BD }, { 0x110CD, 0x110CD },
    { 0x13430, 0x1343F }, { 0x1BCA0, 0x1BCA3 }, { 0x1D173, 0x1D17A }, { 0xE0001, 0xE0001 },
    { 0xE0020, 0xE007F },
};

/* The code point of the valid UTF-8 sequence p[0..k), k 2..4, when it is
 * one of FORMAT; else 0. */
static uint32_t format_char(const unsigned char *p, size_t k)
{
    uint32_t cp = p[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++) cp = cp << 6 | (p[i] & 0x3F);
    for (size_t i = 0; i < sizeof(FORMAT) / sizeof(FORMAT[0]); i++)
        if (cp >= FORMAT[i][0] && cp <= FORMAT[i][1]) return cp;
    return 0;
}

/* json_strn's string; with format, the characters of FORMAT escaped too
 * (\uXXXX, a surrogate pair past U+FFFF): the same string to a JSON reader. */
static void json_text(buf *b, const char *s, size_t n, bool format)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = utf8_seq(p + i, n - i);
        uint32_t cp = format && k >= 2 ? format_char(p + i, k) : 0;
        if (cp > 0xFFFF) {
            buf_printf(b, "\\u%04x\\u%04x", (unsigned)(0xD800 + ((cp - 0x10000) >> 10)),
                       (unsigned)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        } else if (cp) {
            buf_printf(b, "\\u%04x", (unsigned)cp);
        } else if (c == '"' || c == '\\') {
            char esc[2] = { '\\', (char)c };
            buf_put(b, esc, 2);
        } else if (c == '\n') buf_put(b, "\\n", 2);
        else if (c == '\t') buf_put(b, "\\t", 2);
        else if (c == '\r') buf_put(b, "\\r", 2);
        else if (c < 0x20 || c == 0x7f) buf_printf(b, "\\u%04x", c);
        else if (k == 2 && c == 0xc2 && p[i + 1] < 0xa0) /* C1: a terminal acts on it too */
            buf_printf(b, "\\u%04x", p[i + 1]);
        else if (k == 0) buf_put(b, "\xef\xbf\xbd", 3); /* U+FFFD */
        else buf_put(b, s + i, k);
        i += k ? k : 1;
    }
    buf_put(b, "\"", 1);
}

void json_strn(buf *b, const char *s, size_t n) { json_text(b, s, n, false); }

void json_str(buf *b, const char *s) { json_strn(b, s ? s : "", s ? strlen(s) : 0); }

void json_str_shown(buf *b, const char *s)
{
    json_text(b, s ? s : "", s ? strlen(s) : 0, true);
}

void json_key(buf *b, const char *key, bool *first)
{
    if (first && !*first) buf_put(b, ",", 1);
    if (first) *first = false;
    json_str(b, key);
    buf_put(b, ":", 1);
}

void json_last_key(buf *b, const char *key, const char *value)
{
    bool nl = b->len && b->p[b->len - 1] == '\n';
    size_t end = b->len - (nl ? 1u : 0u); /* after the '}' */
    if (b->oom || end < 2 || b->p[end - 1] != '}') return;
    b->len = end - 1;
    bool first = b->p[b->len - 1] == '{';
    json_key(b, key, &first);
    json_str(b, value);
    buf_puts(b, nl ? "}\n" : "}");
}

void json_fixed(buf *b, int64_t v, unsigned places)
{
    char tmp[32];
    civic_format_fixed(v, places, tmp, sizeof(tmp));
    buf_puts(b, tmp);
}

void json_u64(buf *b, uint64_t v) { buf_printf(b, "%" PRIu64, v); }

void json_bool(buf *b, bool v) { buf_puts(b, v ? "true" : "false"); }

void json_time(buf *b, const civic_rules *r, int64_t t)
{
    char tmp[40];
    if (t == CIVIC_FOREVER) snprintf(tmp, sizeof(tmp), "forever");
    else if (civic_rules_format_time(r, t, tmp, sizeof(tmp)) != CIVIC_OK)
        snprintf(tmp, sizeof(tmp), "%" PRId64, t);
    json_str(b, tmp);
}

void json_flags(buf *b, const char *flags)
{
    buf_puts(b, "[");
    const char *f = flags ? flags : "";
    for (bool first = true; *f; first = false) {
        const char *end = strchr(f, ';');
        size_t n = end ? (size_t)(end - f) : strlen(f);
        if (!first) buf_puts(b, ",");
        json_strn(b, f, n);
        f += n + (end ? 1 : 0);
    }
    buf_puts(b, "]");
}

/* ------------------------------------------------------------ checking */

typedef struct json_reader {
    const unsigned char *s;
    size_t n, i;
} json_reader;

static void skip_blanks(json_reader *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' ||
                           r->s[r->i] == '\r'))
        r->i++;
}

static bool digits(json_reader *r)
{
    size_t from = r->i;
    while (r->i < r->n && r->s[r->i] >= '0' && r->s[r->i] <= '9') r->i++;
    return r->i > from;
}

static bool read_number(json_reader *r)
{
    if (r->s[r->i] == '-') r->i++;
    if (r->i < r->n && r->s[r->i] == '0') r->i++; /* no leading zeros: "01" ends at the 0 */
    else if (!digits(r)) return false;
    if (r->i < r->n && r->s[r->i] == '.') {
        r->i++;
        if (!digits(r)) return false;
    }
    if (r->i < r->n && (r->s[r->i] == 'e' || r->s[r->i] == 'E')) {
        r->i++;
        if (r->i < r->n && (r->s[r->i] == '+' || r->s[r->i] == '-')) r->i++;
        if (!digits(r)) return false;
    }
    return true;
}

/* At the opening quote; past the closing one, or r->i at the bad byte. */
static bool read_string(json_reader *r)
{
    r->i++;
    while (r->i < r->n) {
        unsigned char c = r->s[r->i];
        if (c == '"') {
            r->i++;
            return true;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            const unsigned char *e = r->s + r->i + 1;
            size_t left = r->n - r->i - 1;
            bool hex4 = left >= 5 && *e == 'u' && hex_digit((char)e[1]) >= 0 &&
                        hex_digit((char)e[2]) >= 0 && hex_digit((char)e[3]) >= 0 &&
                        hex_digit((char)e[4]) >= 0;
            if (hex4) r->i += 6;
            else if (left >= 1 && strchr("\"\\/bfnrt", *e) && *e) r->i += 2;
            else return false;
            continue;
        }
        size_t k = c < 0x80 ? 1 : utf8_seq(r->s + r->i, r->n - r->i);
        if (k == 0) return false;
        r->i += k;
    }
    return false; /* no closing quote: r->i is n */
}

static bool read_value(json_reader *r, unsigned depth);

/* At '[' or '{': the members, each a value (with a string key and ':' in
 * an object), up to the closing bracket. */
static bool read_container(json_reader *r, unsigned depth)
{
    if (depth >= JSON_DEPTH_MAX) return false;
    unsigned char close = r->s[r->i] == '[' ? ']' : '}';
    r->i++;
    skip_blanks(r);
    if (r->i < r->n && r->s[r->i] == close) {
        r->i++;
        return true;
    }
    for (;;) {
        if (close == '}') {
            if (r->i >= r->n || r->s[r->i] != '"' || !read_string(r)) return false;
            skip_blanks(r);
            if (r->i >= r->n || r->s[r->i] != ':') return false;
            r->i++;
            skip_blanks(r);
        }
        if (!read_value(r, depth + 1)) return false;
        skip_blanks(r);
        if (r->i >= r->n) return false;
        if (r->s[r->i] == close) {
            r->i++;
            return true;
        }
        if (r->s[r->i] != ',') return false;
        r->i++;
        skip_blanks(r);
    }
}

static bool read_value(json_reader *r, unsigned depth)
{
    if (r->i >= r->n) return false;
    unsigned char c = r->s[r->i];
    if (c == '{' || c == '[') return read_container(r, depth);
    if (c == '"') return read_string(r);
    if (c == '-' || (c >= '0' && c <= '9')) return read_number(r);
    static const char *const words[] = { "true", "false", "null" };
    for (size_t w = 0; w < 3; w++) {
        size_t len = strlen(words[w]);
        if (r->n - r->i >= len && memcmp(r->s + r->i, words[w], len) == 0) {
            r->i += len;
            return true;
        }
    }
    return false; /* r->i at the word's first byte */
}

bool json_valid(const char *s, size_t n, size_t *at)
{
    json_reader r = { (const unsigned char *)s, n, 0 };
    skip_blanks(&r);
    bool ok = read_value(&r, 0);
    if (ok) {
        skip_blanks(&r);
        ok = r.i == n; /* one value, nothing after it */
    }
    *at = ok ? 0 : r.i;
    return ok;
}
