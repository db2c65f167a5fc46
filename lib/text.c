/*
** text.c -- UTF-8 validation, name checks and the string hash.
**
** Ids, subjects, groups and names are UTF-8 without control characters
** (C0, DEL and C1).  Overlong forms, surrogates and code points past
** U+10FFFF are invalid.  The hash is a seeded 64-bit mixer over 8-byte
** words: fast for short ids, with good avalanche.
*/
#include "internal.h"

#include <string.h>

static bool utf8_scan(const char *s, size_t n, size_t *bad, bool controls_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (!controls_ok && (c < 0x20 || c == 0x7f)) goto fail;
            i++;
            continue;
        }
        uint32_t cp;
        size_t len;
        if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
        else goto fail;
        if (i + len > n) goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) goto fail;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff) || (!controls_ok && cp >= 0x80 && cp <= 0x9f))
            goto fail;
        i += len;
    }
    return true;
fail:
    if (bad) *bad = i;
    return false;
}

bool civic__text_valid(const char *s, size_t n, size_t *bad)
{
    return utf8_scan(s, n, bad, false);
}

bool civic__utf8_valid(const char *s, size_t n)
{
    size_t bad;
    return utf8_scan(s, n, &bad, true);
}

bool civic__code_valid(const char *s, size_t n)
{
    if (n == 0 || n > CIVIC_CODE_BYTES_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= UINT64_C(0xd6e8feb86659fd93);
    x ^= x >> 32;
    x *= UINT64_C(0xd6e8feb86659fd93);
    x ^= x >> 32;
    return x;
}

uint64_t civic__hash_bytes(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (n * UINT64_C(0xff51afd7ed558ccd));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ mix64(w)) * UINT64_C(0x9fb21c651e98df25);
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ mix64(w ^ UINT64_C(0x2545f4914f6cdd1d))) * UINT64_C(0x9fb21c651e98df25);
    return mix64(h);
}
