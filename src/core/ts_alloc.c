/* Allocation accounting. A size header in front of each block lets ts_free
 * subtract exactly what was added, without a lookup table. */
#include "ts_alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16 /* keeps the user pointer 16-byte aligned */

static atomic_size_t g_current;
static atomic_size_t g_peak;
static atomic_long g_fail_countdown;

static int should_fail(void)
{
    long n = atomic_load(&g_fail_countdown);
    if (n <= 0) return 0;
    if (atomic_fetch_sub(&g_fail_countdown, 1) == 1) return 1;
    return 0;
}

static void account_add(size_t n)
{
    size_t cur = atomic_fetch_add(&g_current, n) + n;
    size_t peak = atomic_load(&g_peak);
    while (cur > peak && !atomic_compare_exchange_weak(&g_peak, &peak, cur)) {
    }
}

void *ts_malloc(size_t n)
{
    if (n > SIZE_MAX - HDR || should_fail()) return NULL;
    unsigned char *p = malloc(n + HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    account_add(n);
    return p + HDR;
}

void *ts_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = ts_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *ts_realloc(void *p, size_t n)
{
    if (!p) return ts_malloc(n);
    if (n > SIZE_MAX - HDR || should_fail()) return NULL;
    unsigned char *base = (unsigned char *)p - HDR;
    size_t old;
    memcpy(&old, base, sizeof old);
    unsigned char *q = realloc(base, n + HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof n);
    atomic_fetch_sub(&g_current, old);
    account_add(n);
    return q + HDR;
}

void ts_free(void *p)
{
    if (!p) return;
    unsigned char *base = (unsigned char *)p - HDR;
    size_t n;
    memcpy(&n, base, sizeof n);
    atomic_fetch_sub(&g_current, n);
    free(base);
}

char *ts_strndup(const char *s, size_t n)
{
    char *d = ts_malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *ts_strdup(const char *s) { return ts_strndup(s, strlen(s)); }

size_t ts_alloc_current(void) { return atomic_load(&g_current); }
size_t ts_alloc_peak(void) { return atomic_load(&g_peak); }
void ts_alloc_reset_peak(void) { atomic_store(&g_peak, atomic_load(&g_current)); }
void ts_alloc_fail_after(long n) { atomic_store(&g_fail_countdown, n); }

ts_status ts_grow(void **arr, size_t elem, size_t n, size_t *cap, size_t first, ts_error *err)
{
    if (n < *cap) return TS_OK;
    size_t nc = *cap ? *cap * 2 : (first ? first : 1);
    if (nc < *cap || (elem && nc > SIZE_MAX / elem))
        return ts_err_set(err, TS_ERR_NOMEM, "out of memory (array of %zu elements)", *cap);
    char *x = ts_realloc(*arr, nc * elem);
    if (!x) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    memset(x + *cap * elem, 0, (nc - *cap) * elem);
    *arr = x;
    *cap = nc;
    return TS_OK;
}
