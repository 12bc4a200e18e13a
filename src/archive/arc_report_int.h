/* Internals shared by the report's renderers: a sticky-status writer and
 * readers of the model's fields that tolerate absence. */
#ifndef ARC_REPORT_INT_H
#define ARC_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ts_buf.h"

typedef struct rw {
    ts_buf *b;
    ts_status st; /* the first failure; later writes are skipped */
} rw;

/* A string field or NULL. */
static inline const char *rs(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* An unsigned integer field, 0 when absent or negative. */
static inline uint64_t ru(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

static inline bool rb(const json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

#endif
