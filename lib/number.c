/*
** number.c -- fixed-point decimals: parsing, checked arithmetic, formatting.
**
** Points are hundredths and quantities thousandths, both int64_t.  Parsing is
** exact (no floating point anywhere); a value with more significant decimal
** places than its scale is an error, not a rounding.  Every operation that
** could overflow is checked and reports it instead of wrapping.
**
** It does not know what a number means (points or quantities): callers
** pass the scale and the limit.  Invariant: no floating point, and no
** result is ever produced from a wrapped intermediate.
*/
#include "internal.h"

#include <string.h>

#if defined(__SIZEOF_INT128__)
__extension__ typedef __int128 civic_i128;
#else
#error "libcivic needs a 64-bit target: it uses __int128, which gcc and clang provide on 64-bit targets only"
#endif

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Split a decimal literal into its parts; false when it is not one. */
static bool decimal_split(const char *s, size_t n, bool allow_exponent, bool *neg,
                          size_t *int_at, size_t *int_len, size_t *frac_at,
                          size_t *frac_len, int64_t *exponent)
{
    size_t i = 0;
    *neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) *neg = s[i++] == '-';
    *int_at = i;
    while (i < n && is_digit(s[i])) i++;
    *int_len = i - *int_at;
    if (*int_len == 0) return false;
    *frac_at = i;
    *frac_len = 0;
    if (i < n && s[i] == '.') {
        *frac_at = ++i;
        while (i < n && is_digit(s[i])) i++;
        *frac_len = i - *frac_at;
        if (*frac_len == 0) return false;
    }
    *exponent = 0;
    if (i < n && allow_exponent && (s[i] == 'e' || s[i] == 'E')) {
        bool eneg = false;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        size_t at = i;
        while (i < n && is_digit(s[i])) {
            if (*exponent < 100000) *exponent = *exponent * 10 + (s[i] - '0');
            i++;
        }
        if (i == at) return false;
        if (eneg) *exponent = -*exponent;
    }
    return i == n;
}

int civic__decimal_parse(const char *s, size_t n, unsigned scale, bool allow_sign,
                         bool allow_exponent, int64_t limit, int64_t *out,
                         const char **why)
{
    bool neg;
    size_t int_at, int_len, frac_at, frac_len;
    int64_t exponent;
    *why = "not a number";
    if (!decimal_split(s, n, allow_exponent, &neg, &int_at, &int_len, &frac_at, &frac_len,
                       &exponent))
        return CIVIC_E_EVENT;
    if (s[0] == '+' && !allow_exponent && !allow_sign) return CIVIC_E_EVENT;
    while (frac_len > 0 && s[frac_at + frac_len - 1] == '0') frac_len--;
    /* value = digits * 10^shift, digits = int part then fraction part */
    int64_t shift = (int64_t)scale + exponent - (int64_t)frac_len;
    uint64_t value = 0;
    size_t total = int_len + frac_len;
    size_t drop = shift < 0 ? (size_t)(-shift) : 0;
    bool any = false;
    *why = "number too large";
    for (size_t k = 0; k < total; k++) {
        char c = k < int_len ? s[int_at + k] : s[frac_at + k - int_len];
        if (k + drop >= total) { /* a digit below the scale */
            if (c != '0') {
                *why = "too many decimal places";
                return CIVIC_E_EVENT;
            }
            continue;
        }
        if (c != '0') any = true;
        if (value > (UINT64_MAX - 9) / 10) return CIVIC_E_LIMIT;
        value = value * 10 + (uint64_t)(c - '0');
        if (value > (uint64_t)INT64_MAX) return CIVIC_E_LIMIT;
    }
    for (int64_t k = 0; k < shift && any; k++) {
        if (value > (uint64_t)INT64_MAX / 10) return CIVIC_E_LIMIT;
        value *= 10;
    }
    if (value > (uint64_t)limit) return CIVIC_E_LIMIT;
    if (neg && value != 0 && !allow_sign) {
        *why = "must not be negative";
        return CIVIC_E_EVENT;
    }
    *out = neg ? -(int64_t)value : (int64_t)value;
    *why = NULL;
    return CIVIC_OK;
}

bool civic__add_checked(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

bool civic__mul_div_round(int64_t a, int64_t b, int64_t div, int64_t *out)
{
    CIVIC_ASSERT(div > 0);
    if (b % div == 0) /* the common case (qty 1, factor 2): no 128-bit division */
        return !__builtin_mul_overflow(a, b / div, out);
    civic_i128 p = (civic_i128)a * (civic_i128)b;
    civic_i128 q = p / div;
    civic_i128 r = p % div;
    if (r < 0) r = -r;
    if (2 * r >= div) q += p < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN) return false;
    *out = (int64_t)q;
    return true;
}

size_t civic__format_fixed(int64_t value, unsigned places, char *buf)
{
    char tmp[32];
    size_t n = 0;
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    unsigned digits = 0;
    do {
        tmp[n++] = (char)('0' + mag % 10);
        mag /= 10;
        digits++;
        if (digits == places) tmp[n++] = '.';
    } while (mag > 0 || digits <= places);
    if (places == 0 && tmp[n - 1] == '.') n--;
    size_t len = 0;
    if (value < 0) buf[len++] = '-';
    while (n > 0) buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

int civic_format_fixed(int64_t value, unsigned places, char *buf, size_t size)
{
    char tmp[32];
    if (!buf) return CIVIC_E_INVALID;
    if (size > 0) buf[0] = '\0'; /* on failure "", as civic_rules_format_time writes */
    if (places > 3) return CIVIC_E_INVALID;
    size_t len = civic__format_fixed(value, places, tmp);
    if (len + 1 > size) return CIVIC_E_INVALID;
    memcpy(buf, tmp, len + 1);
    return CIVIC_OK;
}
