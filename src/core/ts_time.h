/* Time as int64 nanoseconds since the Unix epoch (UTC): civil-date maths,
 * RFC 3339 formatting, and parsing of the forms users and services send. */
#ifndef TS_TIME_H
#define TS_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_NS_PER_SEC INT64_C(1000000000)
#define TS_NS_PER_DAY (INT64_C(86400) * TS_NS_PER_SEC)

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);
void ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

typedef struct ts_tm {
    int64_t year;
    unsigned month, day, hour, min, sec;
    uint32_t nsec;
} ts_tm;

/* Floor division into date + time of day (works before 1970). */
void ts_time_split(int64_t ns, ts_tm *tm);
/* false when the instant does not fit int64 nanoseconds. */
bool ts_time_join(const ts_tm *tm, int64_t *ns);

#define TS_TIME_STR_MAX 40
/* "2024-01-31T23:59:59.123456789Z": always 9 fraction digits. */
size_t ts_time_format(int64_t ns, char out[TS_TIME_STR_MAX]);
/* Timestream's "2024-01-31 23:59:59.123456789". */
size_t ts_time_format_timestream(int64_t ns, char out[TS_TIME_STR_MAX]);

/* Parses RFC 3339 / ISO 8601 ("T" or " " separator, 0-9 fraction digits,
 * "Z", "+hh:mm", "+hhmm" or no zone = UTC) and a date alone. Whole string
 * must match. Returns false on anything else or on int64 overflow. */
bool ts_time_parse(const char *s, size_t len, int64_t *ns);

typedef enum ts_epoch_unit { TS_EPOCH_S, TS_EPOCH_MS, TS_EPOCH_US, TS_EPOCH_NS } ts_epoch_unit;
/* Scales an integer epoch value to ns; false on overflow. */
bool ts_time_from_epoch(int64_t v, ts_epoch_unit unit, int64_t *ns);
/* Floor of ns / 10^k for the unit (ns → s/ms/us), exact for negatives. */
int64_t ts_time_to_epoch(int64_t ns, ts_epoch_unit unit);

/* Wall clock in ns (CLOCK_REALTIME) and a monotonic clock for rates. */
int64_t ts_now_ns(void);
int64_t ts_mono_ns(void);

#endif
