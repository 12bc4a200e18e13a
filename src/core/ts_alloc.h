/* The one allocation wrapper: counts bytes so tests can measure peak memory
 * and inject failures. Every module allocates through it. */
#ifndef TS_ALLOC_H
#define TS_ALLOC_H

#include <stddef.h>

#include "core/ts_error.h"

void *ts_malloc(size_t n);
void *ts_calloc(size_t count, size_t size);
void *ts_realloc(void *p, size_t n);
void ts_free(void *p);
char *ts_strdup(const char *s);
char *ts_strndup(const char *s, size_t n);

/* Room for element n of a growable array *arr of *cap elements of elem
 * bytes: when n == *cap the capacity doubles (to `first` when 0) and the new
 * slots are zeroed. TS_ERR_NOMEM (array unchanged) when memory or size_t runs
 * out. */
ts_status ts_grow(void **arr, size_t elem, size_t n, size_t *cap, size_t first, ts_error *err);

/* Bytes currently allocated through the wrapper, and the high-water mark. */
size_t ts_alloc_current(void);
size_t ts_alloc_peak(void);
void ts_alloc_reset_peak(void);

/* Test hook: the nth allocation from now (1-based) fails; 0 disables. */
void ts_alloc_fail_after(long n);

#endif
