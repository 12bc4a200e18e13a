/* Arena: a chain of chunks; oversized requests get a chunk of their own. */
#include "ts_arena.h"

#include <stdint.h>
#include <string.h>

#include "ts_alloc.h"

struct ts_arena_chunk {
    ts_arena_chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void ts_arena_init(ts_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->used_total = 0;
}

void ts_arena_free(ts_arena *a)
{
    ts_arena_chunk *c = a->head;
    while (c) {
        ts_arena_chunk *n = c->next;
        ts_free(c);
        c = n;
    }
    a->head = NULL;
    a->used_total = 0;
}

void ts_arena_reset(ts_arena *a)
{
    ts_arena_chunk *keep = NULL;
    for (ts_arena_chunk *c = a->head; c; c = c->next)
        if (!keep || c->size > keep->size) keep = c;
    ts_arena_chunk *c = a->head;
    while (c) {
        ts_arena_chunk *n = c->next;
        if (c != keep) ts_free(c);
        c = n;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
    a->used_total = 0;
}

void *ts_arena_alloc(ts_arena *a, size_t n)
{
    size_t need = (n + 7) & ~(size_t)7;
    if (need < n) return NULL;
    ts_arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t sz = need > a->chunk_size ? need : a->chunk_size;
        if (sz > SIZE_MAX - sizeof *c) return NULL;
        ts_arena_chunk *nc = ts_malloc(sizeof *nc + sz);
        if (!nc) return NULL;
        nc->size = sz;
        nc->used = 0;
        if (c && need > a->chunk_size) {
            /* Keep filling the current chunk; put the big one behind it. */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            a->head = nc;
        }
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_total += need;
    return p;
}

char *ts_arena_strndup(ts_arena *a, const char *s, size_t n)
{
    char *d = ts_arena_alloc(a, n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}
