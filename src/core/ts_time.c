/* Civil-date algorithms after Howard Hinnant's public-domain derivation
 * (days_from_civil / civil_from_days), written for int64 day counts. */
#include "ts_time.h"

#include <stdio.h>
#include <time.h>

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

void ts_time_split(int64_t ns, ts_tm *tm)
{
    /* Truncate, then borrow a day: days * TS_NS_PER_DAY would overflow near INT64_MIN. */
    int64_t days = ns / TS_NS_PER_DAY;
    int64_t rem = ns % TS_NS_PER_DAY;
    if (rem < 0) {
        rem += TS_NS_PER_DAY;
        days -= 1;
    }
    ts_civil_from_days(days, &tm->year, &tm->month, &tm->day);
    int64_t secs = rem / TS_NS_PER_SEC;
    tm->nsec = (uint32_t)(rem % TS_NS_PER_SEC);
    tm->hour = (unsigned)(secs / 3600);
    tm->min = (unsigned)(secs / 60 % 60);
    tm->sec = (unsigned)(secs % 60);
}

bool ts_time_join(const ts_tm *tm, int64_t *ns)
{
    if (tm->month < 1 || tm->month > 12 || tm->day < 1 || tm->day > 31 || tm->hour > 23 ||
        tm->min > 59 || tm->sec > 60 || tm->nsec >= 1000000000u)
        return false;
    if (tm->year < -300000 || tm->year > 300000) return false;
    int64_t days = ts_days_from_civil(tm->year, tm->month, tm->day);
    /* Reject 2023-02-30 and friends by round-tripping the date. */
    int64_t y;
    unsigned m, d;
    ts_civil_from_days(days, &y, &m, &d);
    if (y != tm->year || m != tm->month || d != tm->day) return false;
    int64_t secs = days * 86400 + tm->hour * 3600 + tm->min * 60 + tm->sec;
    int64_t r, frac = (int64_t)tm->nsec;
    /* Near INT64_MIN the floor second alone overflows; borrow it back. */
    if (secs < 0 && frac > 0) {
        secs += 1;
        frac -= TS_NS_PER_SEC;
    }
    if (__builtin_mul_overflow(secs, TS_NS_PER_SEC, &r)) return false;
    if (__builtin_add_overflow(r, frac, &r)) return false;
    *ns = r;
    return true;
}

static size_t fmt(int64_t ns, char *out, char sep, const char *zone)
{
    ts_tm tm;
    ts_time_split(ns, &tm);
    int n = snprintf(out, TS_TIME_STR_MAX, "%04lld-%02u-%02u%c%02u:%02u:%02u.%09u%s",
                     (long long)tm.year, tm.month, tm.day, sep, tm.hour, tm.min, tm.sec,
                     (unsigned)tm.nsec, zone);
    return n < 0 ? 0 : (size_t)n;
}

size_t ts_time_format(int64_t ns, char out[TS_TIME_STR_MAX]) { return fmt(ns, out, 'T', "Z"); }

size_t ts_time_format_timestream(int64_t ns, char out[TS_TIME_STR_MAX])
{
    return fmt(ns, out, ' ', "");
}

static bool digits(const char *s, size_t len, size_t *pos, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (*pos + n > len) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[*pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *pos += n;
    *out = v;
    return true;
}

bool ts_time_parse(const char *s, size_t len, int64_t *ns)
{
    size_t p = 0;
    unsigned year, mon, day, hh = 0, mm = 0, ss = 0, frac = 0;
    bool neg_year = false;
    if (p < len && (s[p] == '-' || s[p] == '+')) {
        neg_year = s[p] == '-';
        p++;
    }
    if (!digits(s, len, &p, 4, &year)) return false;
    if (p >= len || s[p++] != '-') return false;
    if (!digits(s, len, &p, 2, &mon)) return false;
    if (p >= len || s[p++] != '-') return false;
    if (!digits(s, len, &p, 2, &day)) return false;
    int64_t offset_s = 0;
    if (p < len) {
        if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return false;
        p++;
        if (!digits(s, len, &p, 2, &hh)) return false;
        if (p >= len || s[p++] != ':') return false;
        if (!digits(s, len, &p, 2, &mm)) return false;
        if (p < len && s[p] == ':') {
            p++;
            if (!digits(s, len, &p, 2, &ss)) return false;
            if (p < len && (s[p] == '.' || s[p] == ',')) {
                p++;
                size_t nd = 0;
                while (p < len && s[p] >= '0' && s[p] <= '9') {
                    if (nd < 9) frac = frac * 10 + (unsigned)(s[p] - '0');
                    else if (s[p] != '0') return false; /* finer than ns: would lose digits */
                    nd++;
                    p++;
                }
                if (nd == 0) return false;
                for (size_t i = nd; i < 9; i++) frac *= 10;
            }
        }
        if (p < len) {
            if (s[p] == 'Z' || s[p] == 'z') {
                p++;
            } else if (s[p] == '+' || s[p] == '-') {
                int sign = s[p] == '-' ? -1 : 1;
                p++;
                unsigned oh, om = 0;
                if (!digits(s, len, &p, 2, &oh)) return false;
                if (p < len && s[p] == ':') p++;
                if (p < len && !digits(s, len, &p, 2, &om)) return false;
                if (oh > 23 || om > 59) return false;
                offset_s = sign * (int64_t)(oh * 3600 + om * 60);
            } else {
                return false;
            }
        }
        if (p != len) return false;
    }
    if (ss == 60) return false; /* leap seconds have no epoch value */
    ts_tm tm = {.year = neg_year ? -(int64_t)year : year, .month = mon, .day = day,
                .hour = hh, .min = mm, .sec = ss, .nsec = frac};
    int64_t v;
    if (!ts_time_join(&tm, &v)) return false;
    if (__builtin_sub_overflow(v, offset_s * TS_NS_PER_SEC, &v)) return false;
    *ns = v;
    return true;
}

static const int64_t unit_scale[] = {[TS_EPOCH_S] = TS_NS_PER_SEC, [TS_EPOCH_MS] = 1000000,
                                     [TS_EPOCH_US] = 1000, [TS_EPOCH_NS] = 1};

bool ts_time_from_epoch(int64_t v, ts_epoch_unit unit, int64_t *ns)
{
    return !__builtin_mul_overflow(v, unit_scale[unit], ns);
}

int64_t ts_time_to_epoch(int64_t ns, ts_epoch_unit unit) { return floor_div(ns, unit_scale[unit]); }

int64_t ts_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * TS_NS_PER_SEC + t.tv_nsec;
}

int64_t ts_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * TS_NS_PER_SEC + t.tv_nsec;
}
