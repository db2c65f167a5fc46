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

void json_strn(buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    buf_put(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = utf8_seq(p + i, n - i);
        if (c == '"' || c == '\\') {
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

void json_str(buf *b, const char *s) { json_strn(b, s ? s : "", s ? strlen(s) : 0); }

void json_key(buf *b, const char *key, bool *first)
{
    if (first && !*first) buf_put(b, ",", 1);
    if (first) *first = false;
    json_str(b, key);
    buf_put(b, ":", 1);
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
