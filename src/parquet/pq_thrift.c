/* Thrift compact protocol writer and bounded reader (see pq_thrift.h). */
#include "pq_thrift.h"

#include <string.h>

/* ---------------- writer ---------------- */

void pq_tw_init(pq_tw *w, ts_buf *out)
{
    w->out = out;
    w->depth = 0;
    w->last[0] = 0;
    w->st = TS_OK;
}

ts_status pq_tw_status(const pq_tw *w) { return w->st; }

size_t pq_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

static void tw_bytes(pq_tw *w, const void *p, size_t n)
{
    if (w->st != TS_OK) return;
    w->st = ts_buf_append(w->out, p, n);
}

static void tw_varint(pq_tw *w, uint64_t v)
{
    uint8_t tmp[10];
    tw_bytes(w, tmp, pq_varint_put(tmp, v));
}

void pq_tw_field(pq_tw *w, int16_t id, pq_ttype type)
{
    if (w->st != TS_OK) return;
    int16_t prev = w->last[w->depth];
    int delta = (int)id - (int)prev;
    if (delta > 0 && delta <= 15) {
        uint8_t b = (uint8_t)((delta << 4) | (int)type);
        tw_bytes(w, &b, 1);
    } else {
        uint8_t b = (uint8_t)type;
        tw_bytes(w, &b, 1);
        tw_varint(w, pq_zigzag64(id));
    }
    w->last[w->depth] = id;
}

void pq_tw_i8(pq_tw *w, int16_t id, int8_t v)
{
    pq_tw_field(w, id, PQ_TT_I8);
    uint8_t b = (uint8_t)v;
    tw_bytes(w, &b, 1);
}

void pq_tw_i16(pq_tw *w, int16_t id, int16_t v)
{
    pq_tw_field(w, id, PQ_TT_I16);
    tw_varint(w, pq_zigzag64(v));
}

void pq_tw_i32(pq_tw *w, int16_t id, int32_t v)
{
    pq_tw_field(w, id, PQ_TT_I32);
    tw_varint(w, pq_zigzag64(v));
}

void pq_tw_i64(pq_tw *w, int16_t id, int64_t v)
{
    pq_tw_field(w, id, PQ_TT_I64);
    tw_varint(w, pq_zigzag64(v));
}

void pq_tw_double(pq_tw *w, int16_t id, double v)
{
    pq_tw_field(w, id, PQ_TT_DOUBLE);
    uint64_t u;
    memcpy(&u, &v, 8);
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(u >> (8 * i));
    tw_bytes(w, b, 8);
}

void pq_tw_bool(pq_tw *w, int16_t id, bool v) { pq_tw_field(w, id, v ? PQ_TT_TRUE : PQ_TT_FALSE); }

void pq_tw_binary(pq_tw *w, int16_t id, const void *p, size_t n)
{
    pq_tw_field(w, id, PQ_TT_BINARY);
    pq_tw_elem_binary(w, p, n);
}

void pq_tw_string(pq_tw *w, int16_t id, const char *s) { pq_tw_binary(w, id, s, strlen(s)); }

void pq_tw_elem_struct_begin(pq_tw *w)
{
    if (w->st != TS_OK) return;
    if (w->depth >= PQ_THRIFT_MAX_DEPTH) {
        w->st = TS_ERR_INTERNAL;
        return;
    }
    w->last[++w->depth] = 0;
}

void pq_tw_struct_begin(pq_tw *w, int16_t id)
{
    pq_tw_field(w, id, PQ_TT_STRUCT);
    pq_tw_elem_struct_begin(w);
}

void pq_tw_struct_end(pq_tw *w)
{
    uint8_t stop = 0;
    tw_bytes(w, &stop, 1);
    if (w->st != TS_OK) return;
    if (w->depth > 0)
        w->depth--;
    else
        w->last[0] = 0; /* top level ended; a new top-level struct may follow */
}

void pq_tw_list_begin(pq_tw *w, int16_t id, pq_ttype elem_type, size_t n)
{
    pq_tw_field(w, id, PQ_TT_LIST);
    if (n < 15) {
        uint8_t b = (uint8_t)((n << 4) | (size_t)elem_type);
        tw_bytes(w, &b, 1);
    } else {
        uint8_t b = (uint8_t)(0xF0 | (int)elem_type);
        tw_bytes(w, &b, 1);
        tw_varint(w, n);
    }
}

void pq_tw_elem_i32(pq_tw *w, int32_t v) { tw_varint(w, pq_zigzag64(v)); }
void pq_tw_elem_i64(pq_tw *w, int64_t v) { tw_varint(w, pq_zigzag64(v)); }

void pq_tw_elem_binary(pq_tw *w, const void *p, size_t n)
{
    tw_varint(w, n);
    tw_bytes(w, p, n);
}

void pq_tw_elem_string(pq_tw *w, const char *s) { pq_tw_elem_binary(w, s, strlen(s)); }

void pq_tw_elem_bool(pq_tw *w, bool v)
{
    uint8_t b = v ? 1 : 2;
    tw_bytes(w, &b, 1);
}

/* ---------------- reader ---------------- */

void pq_tr_init(pq_tr *r, const void *p, size_t n, uint64_t file_off)
{
    r->base = p;
    r->p = p;
    r->end = r->base + n;
    r->file_off = file_off;
    r->depth = 0;
    r->last[0] = 0;
}

static ts_status tr_fail(pq_tr *r, ts_error *err, const char *what)
{
    return ts_err_set(err, TS_ERR_CORRUPT, "thrift metadata: %s at byte offset %llu", what,
                      (unsigned long long)(r->file_off + pq_tr_pos(r)));
}

ts_status pq_tr_varint(pq_tr *r, uint64_t *v, ts_error *err)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end) return tr_fail(r, err, "truncated varint");
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return TS_OK;
        }
    }
    return tr_fail(r, err, "varint longer than 10 bytes");
}

ts_status pq_tr_i8(pq_tr *r, int8_t *v, ts_error *err)
{
    if (r->p >= r->end) return tr_fail(r, err, "truncated i8");
    *v = (int8_t)*r->p++;
    return TS_OK;
}

ts_status pq_tr_i16(pq_tr *r, int16_t *v, ts_error *err)
{
    uint64_t u;
    TS_TRY(pq_tr_varint(r, &u, err));
    int64_t x = pq_unzigzag64(u);
    if (x < INT16_MIN || x > INT16_MAX) return tr_fail(r, err, "i16 out of range");
    *v = (int16_t)x;
    return TS_OK;
}

ts_status pq_tr_i32(pq_tr *r, int32_t *v, ts_error *err)
{
    uint64_t u;
    TS_TRY(pq_tr_varint(r, &u, err));
    int64_t x = pq_unzigzag64(u);
    if (x < INT32_MIN || x > INT32_MAX) return tr_fail(r, err, "i32 out of range");
    *v = (int32_t)x;
    return TS_OK;
}

ts_status pq_tr_i64(pq_tr *r, int64_t *v, ts_error *err)
{
    uint64_t u;
    TS_TRY(pq_tr_varint(r, &u, err));
    *v = pq_unzigzag64(u);
    return TS_OK;
}

ts_status pq_tr_double(pq_tr *r, double *v, ts_error *err)
{
    if (pq_tr_left(r) < 8) return tr_fail(r, err, "truncated double");
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) u |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    memcpy(v, &u, 8);
    return TS_OK;
}

ts_status pq_tr_binary(pq_tr *r, const uint8_t **p, size_t *n, ts_error *err)
{
    uint64_t len;
    TS_TRY(pq_tr_varint(r, &len, err));
    if (len > pq_tr_left(r)) return tr_fail(r, err, "binary length past the end of the buffer");
    *p = r->p;
    *n = (size_t)len;
    r->p += len;
    return TS_OK;
}

static bool valid_elem_type(unsigned t) { return t >= 1 && t <= 13; }

static size_t min_elem_size(pq_ttype t)
{
    switch (t) {
    case PQ_TT_DOUBLE: return 8;
    case PQ_TT_UUID: return 16;
    default: return 1;
    }
}

ts_status pq_tr_list(pq_tr *r, pq_ttype *elem_type, size_t *n, ts_error *err)
{
    if (r->p >= r->end) return tr_fail(r, err, "truncated list header");
    uint8_t h = *r->p++;
    unsigned t = h & 0x0F;
    uint64_t size = h >> 4;
    if (size == 15) TS_TRY(pq_tr_varint(r, &size, err));
    if (!valid_elem_type(t)) return tr_fail(r, err, "invalid list element type");
    if (size > pq_tr_left(r) / min_elem_size((pq_ttype)t))
        return tr_fail(r, err, "list size larger than the bytes left");
    *elem_type = (pq_ttype)t;
    *n = (size_t)size;
    return TS_OK;
}

ts_status pq_tr_elem_bool(pq_tr *r, bool *v, ts_error *err)
{
    if (r->p >= r->end) return tr_fail(r, err, "truncated bool");
    *v = *r->p++ == 1;
    return TS_OK;
}

ts_status pq_tr_field(pq_tr *r, int16_t *id, pq_ttype *type, ts_error *err)
{
    if (r->p >= r->end) return tr_fail(r, err, "truncated struct (no stop byte)");
    uint8_t h = *r->p++;
    unsigned t = h & 0x0F;
    if (t == PQ_TT_STOP) {
        if (h != 0) return tr_fail(r, err, "invalid field header");
        *type = PQ_TT_STOP;
        *id = 0;
        return TS_OK;
    }
    if (!valid_elem_type(t)) return tr_fail(r, err, "invalid field type");
    int fid;
    unsigned delta = h >> 4;
    if (delta) {
        fid = r->last[r->depth] + (int)delta;
        if (fid > INT16_MAX) return tr_fail(r, err, "field id overflow");
    } else {
        int16_t v;
        TS_TRY(pq_tr_i16(r, &v, err));
        fid = v;
    }
    if (fid <= 0) return tr_fail(r, err, "non-positive field id");
    r->last[r->depth] = (int16_t)fid;
    *id = (int16_t)fid;
    *type = (pq_ttype)t;
    return TS_OK;
}

ts_status pq_tr_struct_begin(pq_tr *r, ts_error *err)
{
    if (r->depth >= PQ_THRIFT_MAX_DEPTH) return tr_fail(r, err, "nesting deeper than 64");
    r->last[++r->depth] = 0;
    return TS_OK;
}

void pq_tr_struct_end(pq_tr *r)
{
    if (r->depth > 0) r->depth--;
}

ts_status pq_tr_skip(pq_tr *r, pq_ttype type, ts_error *err)
{
    switch (type) {
    case PQ_TT_TRUE:
    case PQ_TT_FALSE:
        /* As a field the value is in the header; as a list element it is one
         * byte. pq_tr_skip is only called for field values here, where there
         * is nothing to skip; list elements are handled below. */
        return TS_OK;
    case PQ_TT_I8: {
        int8_t v;
        return pq_tr_i8(r, &v, err);
    }
    case PQ_TT_I16:
    case PQ_TT_I32:
    case PQ_TT_I64: {
        uint64_t v;
        return pq_tr_varint(r, &v, err);
    }
    case PQ_TT_DOUBLE:
        if (pq_tr_left(r) < 8) return tr_fail(r, err, "truncated double");
        r->p += 8;
        return TS_OK;
    case PQ_TT_UUID:
        if (pq_tr_left(r) < 16) return tr_fail(r, err, "truncated uuid");
        r->p += 16;
        return TS_OK;
    case PQ_TT_BINARY: {
        const uint8_t *p;
        size_t n;
        return pq_tr_binary(r, &p, &n, err);
    }
    case PQ_TT_LIST:
    case PQ_TT_SET: {
        pq_ttype et;
        size_t n;
        TS_TRY(pq_tr_list(r, &et, &n, err));
        if (r->depth >= PQ_THRIFT_MAX_DEPTH) return tr_fail(r, err, "nesting deeper than 64");
        r->depth++; /* lists count toward the depth so list<list<...>> is bounded */
        r->last[r->depth] = 0;
        ts_status st = TS_OK;
        for (size_t i = 0; i < n && st == TS_OK; i++) {
            if (et == PQ_TT_TRUE || et == PQ_TT_FALSE) {
                bool b;
                st = pq_tr_elem_bool(r, &b, err);
            } else {
                st = pq_tr_skip(r, et, err);
            }
        }
        r->depth--;
        return st;
    }
    case PQ_TT_MAP: {
        uint64_t n;
        TS_TRY(pq_tr_varint(r, &n, err));
        if (n == 0) return TS_OK;
        if (r->p >= r->end) return tr_fail(r, err, "truncated map header");
        uint8_t kv = *r->p++;
        pq_ttype kt = (pq_ttype)(kv >> 4), vt = (pq_ttype)(kv & 0x0F);
        if (!valid_elem_type(kt) || !valid_elem_type(vt)) return tr_fail(r, err, "invalid map types");
        if (n > pq_tr_left(r) / 2) return tr_fail(r, err, "map size larger than the bytes left");
        if (r->depth >= PQ_THRIFT_MAX_DEPTH) return tr_fail(r, err, "nesting deeper than 64");
        r->depth++;
        r->last[r->depth] = 0;
        ts_status st = TS_OK;
        for (uint64_t i = 0; i < n && st == TS_OK; i++) {
            for (int k = 0; k < 2 && st == TS_OK; k++) {
                pq_ttype t = k ? vt : kt;
                if (t == PQ_TT_TRUE || t == PQ_TT_FALSE) {
                    bool b;
                    st = pq_tr_elem_bool(r, &b, err);
                } else {
                    st = pq_tr_skip(r, t, err);
                }
            }
        }
        r->depth--;
        return st;
    }
    case PQ_TT_STRUCT: {
        TS_TRY(pq_tr_struct_begin(r, err));
        for (;;) {
            int16_t id;
            pq_ttype t;
            TS_TRY(pq_tr_field(r, &id, &t, err));
            if (t == PQ_TT_STOP) break;
            TS_TRY(pq_tr_skip(r, t, err));
        }
        pq_tr_struct_end(r);
        return TS_OK;
    }
    case PQ_TT_STOP:
    default:
        return tr_fail(r, err, "invalid type to skip");
    }
}

static const char *ttype_name(pq_ttype t)
{
    static const char *const names[] = {"stop", "bool", "bool", "i8", "i16", "i32", "i64",
                                        "double", "binary", "list", "set", "map", "struct", "uuid"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

ts_status pq_tr_expect(pq_tr *r, pq_ttype type, pq_ttype want, const char *what, ts_error *err)
{
    bool ok = type == want;
    if (want == PQ_TT_TRUE || want == PQ_TT_FALSE) ok = type == PQ_TT_TRUE || type == PQ_TT_FALSE;
    if (ok) return TS_OK;
    return ts_err_set(err, TS_ERR_CORRUPT,
                      "thrift metadata: %s: expected type %s, found %s at byte offset %llu", what,
                      ttype_name(want), ttype_name(type),
                      (unsigned long long)(r->file_off + pq_tr_pos(r)));
}
