/*
** text.c -- UTF-8 validation and encoding, and name checks.
**
** Ids, subjects, groups and names are UTF-8 without control characters
** (C0, DEL and C1).  Overlong forms, surrogates and code points past
** U+10FFFF are invalid.  (The string hash, a fixed-seed 64-bit mixer over
** 8-byte words, is inline in internal.h: it runs three times per event.)
**
** It does not decode, normalise or copy text: valid strings are stored and
** compared as bytes.  Invariant: the fast paths (eight bytes at a time,
** printable ASCII strings, civic__ascii_printable in internal.h) accept
** exactly what the byte-by-byte scan does.
*/
#include "internal.h"

#include <string.h>

static bool utf8_scan(const char *s, size_t n, size_t *bad, bool controls_ok)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (!controls_ok && n <= 16 && civic__ascii_printable(s, n)) return true; /* the loop does longer */
    while (i < n) {
        if (i + 8 <= n) { /* fast path: eight plain ASCII bytes at a time */
            uint64_t w;
            memcpy(&w, p + i, 8);
            uint64_t odd = controls_ok ? w & UINT64_C(0x8080808080808080) : civic__unprintable8(w);
            if (odd == 0) {
                i += 8;
                continue;
            }
        }
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

size_t civic__utf8_put(char *d, uint32_t cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
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

