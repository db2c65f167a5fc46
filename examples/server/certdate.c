/*
** certdate.c -- the validity dates of a PEM certificate; see certdate.h.
*/
#include "certdate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END "-----END CERTIFICATE-----"

static const char *find(const char *s, size_t len, const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(s + i, what, n) == 0) return s + i;
    return NULL;
}

static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decode s[0..n) (whitespace skipped, '=' ends it) into out (n bytes at
 * least); the length, or -1 for a byte that is not base64. */
static long base64_decode(const char *s, size_t n, unsigned char *out)
{
    unsigned long bits = 0;
    unsigned have = 0;
    long len = 0;
    for (size_t i = 0; i < n && s[i] != '='; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        int v = base64_value(c);
        if (v < 0) return -1;
        bits = (bits << 6 | (unsigned long)v) & 0xffffffUL;
        if ((have += 6) >= 8) {
            have -= 8;
            out[len++] = (unsigned char)(bits >> have);
        }
    }
    return len;
}

typedef struct der {
    const unsigned char *p, *end;
} der;

/* The next element of d, of tag `tag`: its contents in *in, d past it.
 * false when it is another tag, or its length runs past d. */
static bool der_next(der *d, unsigned char tag, der *in)
{
    if (d->end - d->p < 2 || d->p[0] != tag) return false;
    const unsigned char *p = d->p + 1;
    size_t len = *p++;
    if (len & 0x80) {
        size_t k = len & 0x7f;
        if (k == 0 || k > 3 || (size_t)(d->end - p) < k) return false;
        len = 0;
        while (k--) len = len << 8 | *p++;
    }
    if ((size_t)(d->end - p) < len) return false;
    in->p = p;
    in->end = p + len;
    d->p = p + len;
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool two_digits(const unsigned char *p, unsigned *v)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return false;
    *v = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    return true;
}

/* A Time: UTCTime YYMMDDHHMMSSZ (YY from 50: 19YY) or GeneralizedTime
 * YYYYMMDDHHMMSSZ, the forms RFC 5280 (4.1.2.5) allows. */
static bool der_time(der *d, int64_t *t)
{
    der in;
    unsigned cc, yy, mo, dd, hh, mi, ss;
    if (der_next(d, 0x17, &in)) {
        if (in.end - in.p != 13 || !two_digits(in.p, &yy)) return false;
        cc = yy >= 50 ? 19 : 20;
    } else if (der_next(d, 0x18, &in)) {
        if (in.end - in.p != 15 || !two_digits(in.p, &cc)) return false;
        in.p += 2;
        if (!two_digits(in.p, &yy)) return false;
    } else {
        return false;
    }
    if (!two_digits(in.p + 2, &mo) || !two_digits(in.p + 4, &dd) || !two_digits(in.p + 6, &hh) ||
        !two_digits(in.p + 8, &mi) || !two_digits(in.p + 10, &ss) || in.p[12] != 'Z' ||
        mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 60)
        return false;
    *t = days_from_civil((int64_t)(cc * 100 + yy), mo, dd) * 86400 + hh * 3600 + mi * 60 + ss;
    return true;
}

int cert_validity(const char *pem, size_t len, int64_t *not_before, int64_t *not_after)
{
    const char *begin = find(pem, len, PEM_BEGIN);
    if (!begin) return -1;
    begin += strlen(PEM_BEGIN);
    const char *end = find(begin, len - (size_t)(begin - pem), PEM_END);
    if (!end) return -1;
    size_t n = (size_t)(end - begin);
    unsigned char *bytes = malloc(n ? n : 1);
    if (!bytes) return -1;
    long got = base64_decode(begin, n, bytes);
    der all = { bytes, bytes + (got > 0 ? got : 0) }, cert, tbs, skip, validity;
    bool ok = got > 0 && der_next(&all, 0x30, &cert) && der_next(&cert, 0x30, &tbs);
    if (ok && tbs.p < tbs.end && tbs.p[0] == 0xa0) ok = der_next(&tbs, 0xa0, &skip); /* version */
    ok = ok && der_next(&tbs, 0x02, &skip)      /* serialNumber */
         && der_next(&tbs, 0x30, &skip)         /* signature */
         && der_next(&tbs, 0x30, &skip)         /* issuer */
         && der_next(&tbs, 0x30, &validity)
         && der_time(&validity, not_before) && der_time(&validity, not_after);
    free(bytes);
    return ok ? 0 : -1;
}
