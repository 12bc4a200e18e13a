/* Month arithmetic, partition naming and path checks for archive format 1. */
#include "arc_layout.h"

#include <stdio.h>
#include <string.h>

#include "core/ts_time.h"

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned arc_days_in_month(int64_t year, unsigned month)
{
    static const unsigned d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    if (month == 2 && is_leap(year)) return 29;
    return d[month - 1];
}

static int64_t floor_div(int64_t a, int64_t b);

arc_month arc_month_of(int64_t ns)
{
    /* days only: ts_time_split's days * ns-per-day overflows at INT64_MIN */
    int64_t y;
    unsigned m, d;
    ts_civil_from_days(floor_div(ns, TS_NS_PER_DAY), &y, &m, &d);
    return (arc_month){.year = y, .month = m};
}

arc_month arc_month_next(arc_month m)
{
    if (m.month >= 12) return (arc_month){.year = m.year + 1, .month = 1};
    return (arc_month){.year = m.year, .month = m.month + 1};
}

int arc_month_cmp(arc_month a, arc_month b)
{
    if (a.year != b.year) return a.year < b.year ? -1 : 1;
    if (a.month != b.month) return a.month < b.month ? -1 : 1;
    return 0;
}

/* ns of the first instant of a month, saturated to the int64 range. */
static int64_t month_start(arc_month m)
{
    int64_t days = ts_days_from_civil(m.year, m.month, 1);
    int64_t ns;
    if (__builtin_mul_overflow(days, TS_NS_PER_DAY, &ns))
        return days < 0 ? INT64_MIN : INT64_MAX;
    return ns;
}

arc_window arc_month_window(arc_month m)
{
    int64_t lo = month_start(m);
    int64_t next = month_start(arc_month_next(m));
    arc_window w = {.lo = lo, .hi = next == INT64_MAX ? INT64_MAX : next - 1};
    return w;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

bool arc_window_split(arc_window w, arc_window *left, arc_window *right)
{
    if (w.hi <= w.lo) return false;
    /* midpoint without overflow */
    int64_t mid = w.lo + (int64_t)(((uint64_t)w.hi - (uint64_t)w.lo) / 2);
    static const int64_t units[] = {TS_NS_PER_DAY, 3600 * TS_NS_PER_SEC, 60 * TS_NS_PER_SEC,
                                    TS_NS_PER_SEC};
    int64_t cut = mid + 1; /* right starts here */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        int64_t u = units[i];
        /* a boundary b with lo < b <= hi, closest to mid+1 */
        int64_t bprev; /* last boundary at or before mid */
        if (__builtin_mul_overflow(floor_div(mid, u), u, &bprev)) continue;
        int64_t b;
        bool b_ok = !__builtin_add_overflow(bprev, u, &b); /* first boundary after mid */
        int64_t best = 0;
        bool found = false;
        if (bprev > w.lo && bprev <= w.hi) {
            best = bprev;
            found = true;
        }
        if (b_ok && b > w.lo && b <= w.hi &&
            (!found || (uint64_t)(b - mid) < (uint64_t)(mid - best) + 1)) {
            best = b;
            found = true;
        }
        if (found) {
            cut = best;
            break;
        }
    }
    *left = (arc_window){.lo = w.lo, .hi = cut - 1};
    *right = (arc_window){.lo = cut, .hi = w.hi};
    return true;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

bool arc_name_ok(const char *name)
{
    if (!name) return false;
    size_t n = strlen(name);
    if (n == 0 || n >= ARC_NAME_MAX) return false;
    if (name[0] == '.' || name[0] == '_') return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i])) return false;
    return true;
}

bool arc_relpath_ok(const char *path)
{
    if (!path) return false;
    size_t n = strlen(path);
    if (n == 0 || n >= ARC_PATH_MAX) return false;
    size_t seg = 0; /* start of current segment */
    for (size_t i = 0; i <= n; i++) {
        if (i == n || path[i] == '/') {
            size_t len = i - seg;
            if (len == 0) return false; /* absolute, "//" or trailing '/' */
            if (len == 1 && path[seg] == '.') return false;
            if (len == 2 && path[seg] == '.' && path[seg + 1] == '.') return false;
            seg = i + 1;
            continue;
        }
        if (!name_char(path[i]) && path[i] != '=') return false;
    }
    return true;
}

ts_status arc_partition_path(const char *table, arc_month m, char *out, size_t outsz,
                             ts_error *err)
{
    if (!arc_name_ok(table))
        return ts_err_set(err, TS_ERR_USAGE,
                          "table name \"%s\" cannot be an archive path segment (allowed: "
                          "A-Z a-z 0-9 _ . -, not starting with '.' or '_')",
                          table ? table : "");
    if (m.year < 0 || m.year > 9999 || m.month < 1 || m.month > 12)
        return ts_err_set(err, TS_ERR_USAGE, "table %s: month %lld-%u is outside years 0000-9999",
                          table, (long long)m.year, m.month);
    unsigned last = arc_days_in_month(m.year, m.month);
    int n = snprintf(out, outsz, "%s/year=%04lld/month=%02u/%s_%04lld%02u01_%04lld%02u%02u.parquet",
                     table, (long long)m.year, m.month, table, (long long)m.year, m.month,
                     (long long)m.year, m.month, last);
    if (n < 0 || (size_t)n >= outsz)
        return ts_err_set(err, TS_ERR_LIMIT, "table %s: partition path too long", table);
    return TS_OK;
}

ts_status arc_join(char *out, size_t outsz, ts_error *err, const char *prefix, const char *a,
                   const char *b)
{
    const char *parts[3] = {prefix, a, b};
    size_t len = 0;
    for (size_t i = 0; i < 3; i++) {
        const char *p = parts[i];
        if (!p || !*p) continue;
        while (*p == '/' && len > 0) p++;
        size_t pl = strlen(p);
        while (pl > 0 && p[pl - 1] == '/') pl--;
        if (pl == 0) continue;
        if (len > 0) {
            if (len + 1 >= outsz) goto too_long;
            out[len++] = '/';
        }
        if (len + pl >= outsz) goto too_long;
        memcpy(out + len, p, pl);
        len += pl;
    }
    if (outsz == 0) goto too_long;
    out[len] = '\0';
    return TS_OK;
too_long:
    return ts_err_set(err, TS_ERR_LIMIT, "archive path too long (limit %zu bytes)", outsz);
}
