/* Thrift compact protocol, the encoding of every Parquet footer and page
 * header: a writer into a ts_buf and a bounded, depth-limited reader over
 * an untrusted byte buffer that can skip any field it does not know. */
#ifndef PQ_THRIFT_H
#define PQ_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_buf.h"
#include "core/ts_error.h"

/* Compact-protocol type ids as they appear in field headers and list headers. */
typedef enum pq_ttype {
    PQ_TT_STOP = 0,
    PQ_TT_TRUE = 1,   /* BOOLEAN_TRUE (field bools carry their value in the type) */
    PQ_TT_FALSE = 2,  /* BOOLEAN_FALSE; also "bool" as a list element type */
    PQ_TT_I8 = 3,
    PQ_TT_I16 = 4,
    PQ_TT_I32 = 5,
    PQ_TT_I64 = 6,
    PQ_TT_DOUBLE = 7,
    PQ_TT_BINARY = 8,
    PQ_TT_LIST = 9,
    PQ_TT_SET = 10,
    PQ_TT_MAP = 11,
    PQ_TT_STRUCT = 12,
    PQ_TT_UUID = 13
} pq_ttype;

/* Deepest struct/list nesting either side accepts. Parquet metadata needs 6. */
#define PQ_THRIFT_MAX_DEPTH 64

/* ---------------- writer ----------------
 * Errors are sticky: every call after a failure does nothing, and
 * pq_tw_status() reports the first one. This keeps encoders of big structs
 * free of a check after every field. */
typedef struct pq_tw {
    ts_buf *out;                         /* borrowed; bytes are appended */
    int depth;                           /* open structs */
    int16_t last[PQ_THRIFT_MAX_DEPTH + 1]; /* previous field id per open struct */
    ts_status st;
} pq_tw;

/* Starts writing into out (appends). The top-level struct is open: write its
 * fields, then pq_tw_struct_end() writes its stop byte. */
void pq_tw_init(pq_tw *w, ts_buf *out);
/* TS_OK, or the first failure (TS_ERR_NOMEM/LIMIT from the buffer,
 * TS_ERR_INTERNAL for unbalanced structs or nesting past the maximum). */
ts_status pq_tw_status(const pq_tw *w);

/* Field header for field `id` of compact type `type` in the open struct. */
void pq_tw_field(pq_tw *w, int16_t id, pq_ttype type);
void pq_tw_i8(pq_tw *w, int16_t id, int8_t v);
void pq_tw_i16(pq_tw *w, int16_t id, int16_t v);
void pq_tw_i32(pq_tw *w, int16_t id, int32_t v);
void pq_tw_i64(pq_tw *w, int16_t id, int64_t v);
void pq_tw_double(pq_tw *w, int16_t id, double v);
void pq_tw_bool(pq_tw *w, int16_t id, bool v);
void pq_tw_binary(pq_tw *w, int16_t id, const void *p, size_t n);
void pq_tw_string(pq_tw *w, int16_t id, const char *s); /* NUL-terminated */
/* Field `id` is a struct: writes the header and opens it. */
void pq_tw_struct_begin(pq_tw *w, int16_t id);
/* Writes the stop byte of the innermost open struct and closes it. */
void pq_tw_struct_end(pq_tw *w);
/* Field `id` is a list of n elements of elem_type; write the elements next. */
void pq_tw_list_begin(pq_tw *w, int16_t id, pq_ttype elem_type, size_t n);

/* List elements (no field headers). */
void pq_tw_elem_i32(pq_tw *w, int32_t v);
void pq_tw_elem_i64(pq_tw *w, int64_t v);
void pq_tw_elem_binary(pq_tw *w, const void *p, size_t n);
void pq_tw_elem_string(pq_tw *w, const char *s);
/* Bool element as one byte, 1 = true / 2 = false, as Java and C++ write it;
 * declare such lists with elem_type PQ_TT_TRUE. */
void pq_tw_elem_bool(pq_tw *w, bool v);
/* Opens a struct element; close it with pq_tw_struct_end(). */
void pq_tw_elem_struct_begin(pq_tw *w);

/* Raw encoders, exposed for tests and for other compact-protocol users. */
size_t pq_varint_put(uint8_t *out, uint64_t v); /* out needs 10 bytes; returns length */
static inline uint64_t pq_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t pq_unzigzag64(uint64_t u) { return (int64_t)((u >> 1) ^ (~(u & 1) + 1)); }

/* ---------------- reader ----------------
 * A cursor over [base, end). Every read checks what is left; every failure
 * is TS_ERR_CORRUPT with a message naming the byte offset (file_off + the
 * position in the buffer, so callers can give real file offsets). */
typedef struct pq_tr {
    const uint8_t *base; /* start of the buffer (offsets are relative to it) */
    const uint8_t *p;    /* next byte */
    const uint8_t *end;
    uint64_t file_off;   /* added to positions in messages */
    int depth;
    int16_t last[PQ_THRIFT_MAX_DEPTH + 1];
} pq_tr;

void pq_tr_init(pq_tr *r, const void *p, size_t n, uint64_t file_off);
static inline size_t pq_tr_pos(const pq_tr *r) { return (size_t)(r->p - r->base); }
static inline size_t pq_tr_left(const pq_tr *r) { return (size_t)(r->end - r->p); }

/* Next field header of the open struct. *type == PQ_TT_STOP means the struct
 * ended (call pq_tr_struct_end). For bools the value is the type
 * (PQ_TT_TRUE / PQ_TT_FALSE) and nothing else is read. Rejects unknown type
 * nibbles and field ids outside 1..32767 (negative ids are corrupt). */
ts_status pq_tr_field(pq_tr *r, int16_t *id, pq_ttype *type, ts_error *err);
/* Enters / leaves a struct (a struct field just announced, a struct list
 * element, or the top level). struct_begin fails past the depth limit. */
ts_status pq_tr_struct_begin(pq_tr *r, ts_error *err);
void pq_tr_struct_end(pq_tr *r);

ts_status pq_tr_i8(pq_tr *r, int8_t *v, ts_error *err);
ts_status pq_tr_i16(pq_tr *r, int16_t *v, ts_error *err);
ts_status pq_tr_i32(pq_tr *r, int32_t *v, ts_error *err);
ts_status pq_tr_i64(pq_tr *r, int64_t *v, ts_error *err);
ts_status pq_tr_double(pq_tr *r, double *v, ts_error *err);
ts_status pq_tr_varint(pq_tr *r, uint64_t *v, ts_error *err); /* at most 10 bytes */
/* Length-prefixed bytes; *p points into the buffer. */
ts_status pq_tr_binary(pq_tr *r, const uint8_t **p, size_t *n, ts_error *err);
/* A list/set header. *n is checked against the bytes left (every element
 * takes at least one byte, doubles eight, UUIDs sixteen) so callers may
 * allocate n elements. */
ts_status pq_tr_list(pq_tr *r, pq_ttype *elem_type, size_t *n, ts_error *err);
/* A bool list element: 1 = true; 0 and 2 = false (both conventions exist). */
ts_status pq_tr_elem_bool(pq_tr *r, bool *v, ts_error *err);
/* Skips one value of `type` (after its field header or as a list element),
 * of any nesting, within the depth limit. */
ts_status pq_tr_skip(pq_tr *r, pq_ttype type, ts_error *err);
/* Fails with "<what>: expected thrift type X, found Y" when type != want.
 * Bools: want PQ_TT_TRUE accepts PQ_TT_TRUE and PQ_TT_FALSE. */
ts_status pq_tr_expect(pq_tr *r, pq_ttype type, pq_ttype want, const char *what, ts_error *err);

#endif
