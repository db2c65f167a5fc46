/*
** time.c -- timestamps, calendar periods and durations in a fixed UTC offset.
**
** All calendar arithmetic is proleptic Gregorian on int64 days (Howard
** Hinnant's days_from_civil), in the scheme's utc_offset with no daylight
** saving.  Times are whole Unix seconds between CIVIC_TIME_MIN and
** CIVIC_TIME_MAX (years 0001..9999); a fraction of a second is ignored.
**
** Period buckets and validity ends have one implementation each, over a
** civic_day: evaluation works out an event's calendar date once and reuses
** it for its caps, its balance period and its validity (the _on forms);
** the plain forms start from a time.  It knows nothing of events or rules.
** Invariants: every function is defined for all times CIVIC_TIME_MIN..MAX;
** two times fall in the same period exactly when their buckets are equal;
** an _on form and its plain form always agree (tests/test_time.c).
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

int64_t civic__days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = civic__floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t mp = (m + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Within its era a day is 0..146096 and every quantity below is small and
 * non-negative: they are worked out in 32-bit unsigned arithmetic, where a
 * division by a constant is a multiply and a shift (in signed 64 bits each
 * took a sign fix-up too, ~100 instructions a call: the evaluation calls
 * this on every new month of every subject's events). */
void civic__civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = civic__floor_div(z, 146097);
    uint32_t doe = (uint32_t)(z - era * 146097);                       /* [0, 146096] */
    uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* [0, 365] */
    uint32_t mp = (5 * doy + 2) / 153;                                  /* [0, 11] */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int civic__days_in_month(int64_t y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return leap ? 29 : 28;
    }
    return dim[m - 1];
}

void civic__civil_from_time(int64_t t, int32_t offset, civic_civil *out)
{
    int64_t local = t + offset;
    int64_t days = civic__floor_div(local, 86400);
    int64_t secs = local - days * 86400;
    civic__civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
}

int64_t civic__time_from_civil(const civic_civil *c, int32_t offset)
{
    int64_t days = civic__days_from_civil(c->year, c->month, c->day);
    return days * 86400 + c->hour * 3600 + c->minute * 60 + c->second - offset;
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool civic__offset_shaped(const char *s, size_t n)
{
    int hh, mm;
    return n == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':' && digits(s + 1, 2, &hh) &&
           digits(s + 4, 2, &mm);
}

bool civic__offset_parse(const char *s, size_t n, int32_t *out)
{
    int hh, mm;
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *out = 0;
        return true;
    }
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
    if (!digits(s + 1, 2, &hh) || !digits(s + 4, 2, &mm) || hh > 23 || mm > 59) return false;
    int32_t v = (int32_t)(hh * 3600 + mm * 60);
    *out = s[0] == '-' ? -v : v;
    return true;
}

/* Whether the 14 digits of v read as a date and time of years 1000..9999
 * written without separators, YYYYMMDDHHMMSS (20251205143000): a form
 * exports write, which as seconds is past year 9999. */
static bool packed_date_time(int64_t v)
{
    int sec = (int)(v % 100), min = (int)(v / 100 % 100), hour = (int)(v / 10000 % 100);
    int mday = (int)(v / 1000000 % 100), month = (int)(v / 100000000 % 100);
    int64_t year = v / 10000000000;
    return sec < 60 && min < 60 && hour < 24 && month >= 1 && month <= 12 && mday >= 1 &&
           mday <= civic__days_in_month(year, month);
}

static int time_parse_integer(const char *s, size_t n, int64_t *out, const char **why)
{
    size_t i = s[0] == '-' ? 1 : 0;
    int64_t v = 0;
    if (i == n) return CIVIC_E_EVENT;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return CIVIC_E_EVENT;
        if (v > (INT64_MAX - 9) / 10) {
            *why = "timestamp out of range (years 0001..9999 in UTC)";
            return CIVIC_E_LIMIT;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (s[0] == '-') v = -v;
    /* 13 digits: Unix milliseconds (a JavaScript Date.now(), a Java
     * currentTimeMillis()) of 2001..2286, most likely, and 12 from 3 * 10^11
     * on, those of 1979-07-05..2001-09-09; as seconds every such value is
     * past the range (one just past it is no such slip) */
    if (v >= INT64_C(300000000000) && v < INT64_C(10000000000000)) {
        *why = "timestamp out of range (years 0001..9999 in UTC): it looks like milliseconds; "
               "write Unix seconds (drop the last three digits)";
        return CIVIC_E_LIMIT;
    }
    if (v >= INT64_C(10000000000000) && v < INT64_C(100000000000000) && packed_date_time(v)) {
        *why = "timestamp out of range (years 0001..9999 in UTC): it looks like a date and "
               "time without their separators (YYYYMMDDHHMMSS); write YYYY-MM-DDTHH:MM:SS";
        return CIVIC_E_LIMIT;
    }
    if (v < CIVIC_TIME_MIN || v > CIVIC_TIME_MAX) {
        *why = "timestamp out of range (years 0001..9999 in UTC)";
        return CIVIC_E_LIMIT;
    }
    *out = v;
    return CIVIC_OK;
}

/* The local day number of "YYYY-MM-DD" at s (s[4] == '-'), checked. */
static int date_days(const char *s, int64_t *days, const char **why)
{
    int year, month, mday;
    if (s[7] != '-' || !digits(s, 4, &year) || !digits(s + 5, 2, &month) ||
        !digits(s + 8, 2, &mday))
        return CIVIC_E_EVENT;
    /* year 0000: a local date of an instant of year 1 west of UTC, as
     * answers write it (0000-12-31T12:00:00-12:00); the instant is checked */
    if (month < 1 || month > 12) {
        *why = "month out of range";
        return CIVIC_E_EVENT;
    }
    if (mday < 1 || mday > civic__days_in_month(year, month)) {
        *why = "day out of range for the month";
        return CIVIC_E_EVENT;
    }
    *days = civic__days_from_civil(year, month, mday);
    return CIVIC_OK;
}

static int time_parse_local(const char *s, size_t n, int32_t local_offset, int64_t *out,
                            const char **why);

int civic__time_parse(const char *s, size_t n, int32_t local_offset, int64_t *out,
                      const char **why)
{
    /* year 10000: a local date of an instant of year 9999 east of UTC, as
     * answers write it (10000-01-01T13:59:59+14:00).  The calendar repeats
     * every 400 years, so it is year 0000 and 25 such cycles later. */
    char shifted[256]; /* a time argument may carry a long fraction */
    int64_t cycles = 0;
    if (n > 6 && n - 1 < sizeof(shifted) && memcmp(s, "10000-", 6) == 0) {
        memcpy(shifted, "0000", 4);
        memcpy(shifted + 4, s + 5, n - 5);
        s = shifted;
        n--;
        cycles = 25;
    }
    int64_t t;
    int rc = time_parse_local(s, n, local_offset, &t, why);
    if (rc != CIVIC_OK) return rc;
    t += cycles * INT64_C(146097) * 86400;
    if (t < CIVIC_TIME_MIN || t > CIVIC_TIME_MAX) {
        /* a date written in years 0001..9999 (0001-01-01 under +08:00) is
         * out by its offset alone: said, or the reason reads as wrong */
        bool written_in = !cycles && n >= 5 && s[4] == '-' && memcmp(s, "0000", 4) != 0;
        for (size_t i = 0; written_in && i < 4; i++) written_in = s[i] >= '0' && s[i] <= '9';
        *why = !written_in ? "timestamp out of range (years 0001..9999 in UTC)"
               : t < CIVIC_TIME_MIN ? "timestamp out of range (years 0001..9999 in UTC): its UTC "
                                      "offset takes it before 0001-01-01T00:00:00Z"
                                    : "timestamp out of range (years 0001..9999 in UTC): its UTC "
                                      "offset takes it past 9999-12-31T23:59:59Z";
        return CIVIC_E_LIMIT;
    }
    *out = t;
    return CIVIC_OK;
}

/* civic__time_parse without the range check of a written date's instant. */
static int time_parse_local(const char *s, size_t n, int32_t local_offset, int64_t *out,
                            const char **why)
{
    int hour = 0, minute = 0, second = 0;
    int64_t days;
    *why = "bad timestamp (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z|+HH:MM] or "
           "Unix seconds)";
    if (n == 0) return CIVIC_E_EVENT;
    if (n < 10 || s[4] != '-') return time_parse_integer(s, n, out, why);
    /* a day, month or time of day out of range is said only of a text of
     * an accepted form (civic.h: "bad timestamp" exactly when it has none),
     * so 2026-02-30 10:00 is told its missing seconds, and its hint its day */
    const char *form = *why, *range = NULL;
    int rc = date_days(s, &days, why);
    if (rc != CIVIC_OK && *why == form) return rc;
    if (rc != CIVIC_OK) {
        range = *why;
        *why = form;
        days = 0;
    }
    int32_t offset = local_offset;
    if (n > 10) {
        if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || n < 19 || s[13] != ':' ||
            s[16] != ':' || !digits(s + 11, 2, &hour) || !digits(s + 14, 2, &minute) ||
            !digits(s + 17, 2, &second))
            return CIVIC_E_EVENT;
        if ((hour > 23 || minute > 59 || second > 59) && !range)
            range = "time of day out of range";
        size_t i = 19;
        if (i < n && s[i] == '.') {
            size_t at = ++i;
            while (i < n && s[i] >= '0' && s[i] <= '9') i++;
            if (i == at) return CIVIC_E_EVENT;
        }
        /* a fraction after a comma (ISO 8601 allows it, RFC 3339 not), or
         * blanks after a good time: no offset at fault, but of no form (the
         * value's hint, event.c, says what to write) */
        size_t m = n;
        while (m > i && (s[m - 1] == ' ' || s[m - 1] == '\t')) m--;
        if (i < n && ((s[i] == ',' && i == 19 && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9') ||
                      (m < n && (m == i || civic__offset_parse(s + i, m - i, &offset)))))
            return CIVIC_E_EVENT;
        if (i < n && !civic__offset_parse(s + i, n - i, &offset)) {
            if (range) { /* an offset and a part out of range: the part, as ever */
                *why = range;
                return CIVIC_E_EVENT;
            }
            *why = !civic__offset_shaped(s + i, n - i) ? "bad UTC offset (expected Z or +HH:MM)"
                   : s[i + 4] >= '6' ? "UTC offset minutes out of range (00..59)"
                                     : "UTC offset out of range (-23:59..+23:59)";
            return CIVIC_E_EVENT;
        }
    }
    if (range) {
        *why = range;
        return CIVIC_E_EVENT;
    }
    *out = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    return CIVIC_OK;
}

/* Two decimal digits at s, or -1. */
static inline int two_digits(const char *s)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

int civic__time_parse_cached_any(const char *s, size_t n, int32_t local_offset, civic_ts_cache *c,
                                 int64_t *out, const char **why)
{
    /* The forms a log repeats: YYYY-MM-DD, then optionally THH:MM:SS and Z
     * or +HH:MM.  Anything else, and any error, takes the full parser, so
     * the answers and the messages are its own. */
    if (n != 10 && n != 19 && n != 20 && n != 25) goto slow;
    if (s[4] != '-') goto slow;
    uint64_t head;
    uint16_t tail;
    memcpy(&head, s, 8);
    memcpy(&tail, s + 8, 2);
    int64_t days;
    if (!civic__ts_cache_find(c, head, tail, &days)) {
        if (date_days(s, &days, why) != CIVIC_OK) goto slow;
        civic__ts_cache_put(c, head, tail, days);
    }
    int64_t secs = 0;
    int32_t offset = local_offset;
    if (n > 10) {
        if (s[10] != 'T' || s[13] != ':' || s[16] != ':') goto slow;
        int hour = two_digits(s + 11), minute = two_digits(s + 14), second = two_digits(s + 17);
        if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59)
            goto slow;
        secs = hour * 3600 + minute * 60 + second;
        if (n == 20) {
            if (s[19] != 'Z') goto slow;
            offset = 0;
        } else if (n == 25) {
            int oh = two_digits(s + 20), om = two_digits(s + 23);
            if ((s[19] != '+' && s[19] != '-') || s[22] != ':' || oh < 0 || oh > 23 || om < 0 ||
                om > 59)
                goto slow;
            offset = oh * 3600 + om * 60;
            if (s[19] == '-') offset = -offset;
        }
    }
    int64_t t = days * 86400 + secs - offset;
    if (t < CIVIC_TIME_MIN || t > CIVIC_TIME_MAX) goto slow;
    *out = t;
    return CIVIC_OK;
slow:
    return civic__time_parse(s, n, local_offset, out, why);
}

size_t civic__time_format(int64_t t, int32_t offset, char *buf, size_t size)
{
    civic_civil c;
    civic__civil_from_time(t, offset, &c);
    int32_t off = offset < 0 ? -offset : offset;
    int len = snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                       (long long)c.year, c.month, c.day, c.hour, c.minute, c.second,
                       offset < 0 ? '-' : '+', (int)(off / 3600), (int)(off / 60 % 60));
    return len < 0 ? 0 : (size_t)len;
}

/* Year, month and day of month of the day, worked out once. */
static void day_civil(civic_day *day)
{
    if (!day->civil) {
        civic__civil_from_days(day->days, &day->year, &day->month, &day->mday);
        day->civil = true;
    }
}

int64_t civic__period_bucket_on(uint8_t period, civic_day *day)
{
    switch (period) {
    case CIVIC_PERIOD_DAY: return day->days;
    case CIVIC_PERIOD_WEEK: return civic__floor_div(day->days + 3, 7); /* weeks start Monday */
    case CIVIC_PERIOD_MONTH:
    case CIVIC_PERIOD_QUARTER:
    case CIVIC_PERIOD_YEAR:
        day_civil(day);
        if (period == CIVIC_PERIOD_YEAR) return day->year;
        return period == CIVIC_PERIOD_MONTH ? day->year * 12 + (day->month - 1)
                                            : day->year * 4 + (day->month - 1) / 3;
    default: return 0;
    }
}

int64_t civic__period_bucket(uint8_t period, int64_t t, int32_t offset)
{
    civic_day day = civic__day_of(t, offset);
    return civic__period_bucket_on(period, &day);
}

/* The count of a duration "Nd" s[0..n) (a unit after digits), into *v:
 * any number of digits, as leading zeros are allowed ("030d"), so the
 * count's length says nothing; past every limit it stops growing (and is
 * refused as too long).  False when there is no count. */
static bool duration_count(const char *s, size_t n, int64_t *v)
{
    if (n < 2) return false;
    *v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        if (*v <= 10000000) *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

bool civic__duration_parse(const char *s, size_t n, civic_duration *out)
{
    static const struct { const char *text; uint8_t kind; } named[] = {
        { "forever", CIVIC_DUR_FOREVER },
        { "end-of-month", CIVIC_DUR_END_MONTH },
        { "end-of-quarter", CIVIC_DUR_END_QUARTER },
        { "end-of-year", CIVIC_DUR_END_YEAR },
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (strlen(named[i].text) == n && memcmp(named[i].text, s, n) == 0) {
            out->kind = named[i].kind;
            out->n = 0;
            return true;
        }
    }
    int64_t v;
    if (!duration_count(s, n, &v) || v < 1) return false;
    switch (s[n - 1]) {
    case 'd': out->kind = CIVIC_DUR_DAYS; if (v > 3660000) return false; break;
    case 'm': out->kind = CIVIC_DUR_MONTHS; if (v > 120000) return false; break;
    case 'y': out->kind = CIVIC_DUR_YEARS; if (v > 10000) return false; break;
    default: return false;
    }
    out->n = v;
    return true;
}

int64_t civic__duration_past_limit(const char *s, size_t n, char *unit)
{
    static const struct { char unit; int64_t max; } units[] = {
        { 'd', 3660000 }, { 'm', 120000 }, { 'y', 10000 }
    };
    int64_t v;
    if (!duration_count(s, n, &v)) return 0;
    for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++) {
        if (s[n - 1] == units[k].unit && v > units[k].max) {
            *unit = units[k].unit;
            return units[k].max;
        }
    }
    return 0;
}

/* t plus `months` calendar months: the same local time of day on the same
 * day of the month, or the month's last day when it is shorter (31 Jan + 1m
 * = 28/29 Feb; 29 Feb + 1y = 28 Feb). */
static int64_t add_months(int64_t t, int32_t offset, civic_day *day, int64_t months)
{
    day_civil(day);
    int64_t total = day->year * 12 + (day->month - 1) + months;
    int64_t y = civic__floor_div(total, 12);
    int m = (int)(total - y * 12) + 1;
    int dim = civic__days_in_month(y, m);
    int mday = day->mday > dim ? dim : day->mday;
    int64_t time_of_day = t + offset - day->days * 86400;
    return civic__days_from_civil(y, m, mday) * 86400 + time_of_day - offset;
}

/* Local midnight starting the period (of months_per_period months) after the
 * one holding the day. */
static int64_t start_of_next(int32_t offset, civic_day *day, int months_per_period)
{
    day_civil(day);
    int64_t total = day->year * 12 + (day->month - 1);
    total = civic__floor_div(total, months_per_period) * months_per_period + months_per_period;
    int64_t y = civic__floor_div(total, 12);
    int m = (int)(total - y * 12) + 1;
    return civic__days_from_civil(y, m, 1) * 86400 - offset;
}

int64_t civic__duration_end_on(const civic_duration *d, int64_t t, int32_t offset, civic_day *day)
{
    switch (d->kind) {
    case CIVIC_DUR_DAYS: return t + d->n * 86400;
    case CIVIC_DUR_MONTHS: return add_months(t, offset, day, d->n);
    case CIVIC_DUR_YEARS: return add_months(t, offset, day, d->n * 12);
    case CIVIC_DUR_END_MONTH: return start_of_next(offset, day, 1);
    case CIVIC_DUR_END_QUARTER: return start_of_next(offset, day, 3);
    case CIVIC_DUR_END_YEAR: return start_of_next(offset, day, 12);
    default: return CIVIC_FOREVER;
    }
}

int64_t civic__duration_end(const civic_duration *d, int64_t t, int32_t offset)
{
    civic_day day = civic__day_of(t, offset);
    return civic__duration_end_on(d, t, offset, &day);
}
