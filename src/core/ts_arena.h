/* Bump allocator for per-batch strings: many small copies, one reset. */
#ifndef TS_ARENA_H
#define TS_ARENA_H

#include <stddef.h>

typedef struct ts_arena_chunk ts_arena_chunk;

typedef struct ts_arena {
    ts_arena_chunk *head;  /* current chunk; older ones follow */
    size_t chunk_size;     /* default size of new chunks */
    size_t used_total;     /* bytes handed out since the last reset */
} ts_arena;

void ts_arena_init(ts_arena *a, size_t chunk_size);
/* Forgets every allocation but keeps the largest chunk for reuse. */
void ts_arena_reset(ts_arena *a);
void ts_arena_free(ts_arena *a);
/* 8-byte aligned; NULL on allocation failure. */
void *ts_arena_alloc(ts_arena *a, size_t n);
/* Copies n bytes and a terminating NUL. */
char *ts_arena_strndup(ts_arena *a, const char *s, size_t n);

#endif
