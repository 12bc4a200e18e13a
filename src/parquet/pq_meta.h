/* Parquet metadata (parquet.thrift) as C structs, with compact-thrift encode
 * and validating decode of FileMetaData and PageHeader. Covers what a flat
 * reader and our writer need; every other field is skipped on decode. */
#ifndef PQ_META_H
#define PQ_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_arena.h"
#include "core/ts_buf.h"
#include "core/ts_error.h"

/* ---- enums: values are the thrift wire values ---- */

typedef enum pq_type {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FIXED_LEN_BYTE_ARRAY = 7
} pq_type;

typedef enum pq_converted_type {
    PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KEY_VALUE = 2, PQ_CT_LIST = 3, PQ_CT_ENUM = 4,
    PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6, PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8,
    PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10, PQ_CT_UINT_8 = 11, PQ_CT_UINT_16 = 12,
    PQ_CT_UINT_32 = 13, PQ_CT_UINT_64 = 14, PQ_CT_INT_8 = 15, PQ_CT_INT_16 = 16, PQ_CT_INT_32 = 17,
    PQ_CT_INT_64 = 18, PQ_CT_JSON = 19, PQ_CT_BSON = 20, PQ_CT_INTERVAL = 21
} pq_converted_type;

typedef enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 } pq_repetition;

typedef enum pq_encoding {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9
} pq_encoding;

typedef enum pq_page_type {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_INDEX = 1,
    PQ_PAGE_DICTIONARY = 2,
    PQ_PAGE_DATA_V2 = 3
} pq_page_type;

/* Values of TimeUnit's union member ids. */
typedef enum pq_time_unit { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 } pq_time_unit;

/* LogicalType union member ids; PQ_LT_NONE = absent, PQ_LT_OTHER = a member
 * this code does not know (skipped; treat the column by physical type). */
typedef enum pq_logical_kind {
    PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3, PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7, PQ_LT_TIMESTAMP = 8, PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11, PQ_LT_JSON = 12, PQ_LT_BSON = 13, PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15,
    PQ_LT_VARIANT = 16, PQ_LT_GEOMETRY = 17, PQ_LT_GEOGRAPHY = 18,
    PQ_LT_OTHER = 1000
} pq_logical_kind;

/* ColumnOrder union member ids; 0 = unknown member. */
typedef enum pq_column_order {
    PQ_ORDER_UNKNOWN = 0,
    PQ_ORDER_TYPE = 1,
    PQ_ORDER_IEEE_754_TOTAL = 2,
    PQ_ORDER_INT96_TIMESTAMP = 3
} pq_column_order;

/* ---- structs ---- */

/* Bytes of a binary field. Decoded FileMetaData: copies in the arena.
 * Decoded PageHeader: points into the caller's header buffer. */
typedef struct pq_bytes {
    const uint8_t *ptr;
    size_t len;
    bool set; /* field present (an empty value is set with len 0) */
} pq_bytes;

typedef struct pq_kv {
    const char *key;
    const char *value; /* NULL = absent (not the same as "") */
} pq_kv;

typedef struct pq_logical {
    pq_logical_kind kind;
    int32_t scale, precision;   /* DECIMAL */
    bool utc;                   /* TIME/TIMESTAMP isAdjustedToUTC */
    pq_time_unit unit;          /* TIME/TIMESTAMP; 0 when the unit member is unknown */
    int8_t bit_width;           /* INTEGER */
    bool is_signed;             /* INTEGER */
} pq_logical;

typedef struct pq_statistics {
    pq_bytes max, min;             /* deprecated, signed order */
    pq_bytes max_value, min_value; /* per ColumnOrder */
    bool has_null_count, has_distinct_count, has_nan_count;
    int64_t null_count, distinct_count, nan_count;
    bool has_is_max_value_exact, is_max_value_exact;
    bool has_is_min_value_exact, is_min_value_exact;
} pq_statistics;

typedef struct pq_schema_element {
    bool has_type;
    pq_type type;
    int32_t type_length;        /* valid when has_type_length */
    bool has_type_length;
    bool has_repetition;
    pq_repetition repetition;
    const char *name;           /* required; NUL-terminated */
    bool has_num_children;
    int32_t num_children;
    bool has_converted_type;
    pq_converted_type converted_type;
    bool has_scale, has_precision, has_field_id;
    int32_t scale, precision, field_id;
    pq_logical logical;         /* kind PQ_LT_NONE when absent */
} pq_schema_element;

typedef struct pq_page_encoding_stats {
    pq_page_type page_type;
    pq_encoding encoding;
    int32_t count;
} pq_page_encoding_stats;

typedef struct pq_column_meta {
    pq_type type;
    pq_encoding *encodings;
    size_t nencodings;
    const char **path;          /* path_in_schema */
    size_t npath;
    int32_t codec;              /* a pq_codec value (pq_codec.h) */
    int64_t num_values;
    int64_t total_uncompressed_size;
    int64_t total_compressed_size;
    pq_kv *kv;
    size_t nkv;
    int64_t data_page_offset;
    bool has_index_page_offset;
    int64_t index_page_offset;
    bool has_dictionary_page_offset;
    int64_t dictionary_page_offset;
    bool has_statistics;
    pq_statistics statistics;
    pq_page_encoding_stats *encoding_stats;
    size_t nencoding_stats;
    bool has_bloom_filter;      /* decode only: offset/length present */
    int64_t bloom_filter_offset;
    int32_t bloom_filter_length;
} pq_column_meta;

typedef struct pq_column_chunk {
    const char *file_path;      /* NULL when absent (data in this file) */
    int64_t file_offset;
    bool has_meta;
    pq_column_meta meta;
    bool has_offset_index;
    int64_t offset_index_offset;
    int32_t offset_index_length;
    bool has_column_index;
    int64_t column_index_offset;
    int32_t column_index_length;
    bool encrypted;             /* crypto_metadata or encrypted_column_metadata present */
} pq_column_chunk;

typedef struct pq_row_group {
    pq_column_chunk *columns;
    size_t ncolumns;
    int64_t total_byte_size;
    int64_t num_rows;
    bool has_file_offset;
    int64_t file_offset;
    bool has_total_compressed_size;
    int64_t total_compressed_size;
    bool has_ordinal;
    int16_t ordinal;
} pq_row_group;

typedef struct pq_file_meta {
    int32_t version;
    pq_schema_element *schema;  /* depth-first, root first */
    size_t nschema;
    int64_t num_rows;
    pq_row_group *row_groups;
    size_t nrow_groups;
    pq_kv *kv;
    size_t nkv;
    const char *created_by;     /* NULL when absent */
    pq_column_order *column_orders;
    size_t ncolumn_orders;      /* 0 when absent */
    bool encrypted;             /* encryption_algorithm or footer_signing_key_metadata present:
                                   readers say "encrypted files are not supported" */
    size_t nleaves;             /* decode: leaf count of the schema tree */
} pq_file_meta;

typedef struct pq_data_page_header {
    int32_t num_values;
    pq_encoding encoding;
    pq_encoding definition_level_encoding;
    pq_encoding repetition_level_encoding;
    bool has_statistics;
    pq_statistics statistics;
} pq_data_page_header;

typedef struct pq_data_page_header_v2 {
    int32_t num_values;
    int32_t num_nulls;
    int32_t num_rows;
    pq_encoding encoding;
    int32_t definition_levels_byte_length;
    int32_t repetition_levels_byte_length;
    bool is_compressed;         /* default true when absent */
    bool has_statistics;
    pq_statistics statistics;
} pq_data_page_header_v2;

typedef struct pq_dict_page_header {
    int32_t num_values;
    pq_encoding encoding;
    bool has_is_sorted;
    bool is_sorted;
} pq_dict_page_header;

typedef struct pq_page_header {
    pq_page_type type;
    int32_t uncompressed_page_size;
    int32_t compressed_page_size;
    bool has_crc;
    uint32_t crc;               /* CRC-32 bit pattern (stored as i32) */
    bool has_data_page;
    pq_data_page_header data_page;
    bool has_index_page;
    bool has_dict_page;
    pq_dict_page_header dict_page;
    bool has_data_page_v2;
    pq_data_page_header_v2 data_page_v2;
} pq_page_header;

/* Largest memory the decoded FileMetaData may take in the arena; beyond it
 * decoding fails with TS_ERR_LIMIT (hostile footers of tiny structs). */
#define PQ_META_MAX_MEM ((size_t)1 << 30)

/* Decodes a FileMetaData from p[0..n) (the footer without length and magic).
 * Strings, arrays and binary statistics are allocated in `arena` (which the
 * caller owns and frees); p may be freed afterwards. Validates: required
 * fields present, no negative sizes/counts/offsets, schema tree consistent
 * with num_children (out->nleaves set), every row group has one column chunk
 * per leaf. TS_ERR_CORRUPT naming the field and byte offset; TS_ERR_LIMIT
 * past PQ_META_MAX_MEM; TS_ERR_NOMEM. An encrypted footer decodes with
 * out->encrypted set (callers refuse it). */
ts_status pq_meta_decode_file(const uint8_t *p, size_t n, pq_file_meta *out, ts_arena *arena,
                              ts_error *err);
/* Appends the compact encoding of m to out. Optional fields are written
 * when their has_/set flag (or non-NULL pointer, or count) says so. */
ts_status pq_meta_encode_file(const pq_file_meta *m, ts_buf *out, ts_error *err);

/* Decodes one PageHeader from the start of p[0..avail); *consumed = header
 * bytes. Statistics bytes point into p. Validates sizes ≥ 0, the header
 * struct matching the page type, counts ≥ 0. TS_ERR_CORRUPT. */
ts_status pq_page_header_decode(const uint8_t *p, size_t avail, pq_page_header *out,
                                size_t *consumed, ts_error *err);
/* Appends the compact encoding of h to out. */
ts_status pq_page_header_encode(const pq_page_header *h, ts_buf *out, ts_error *err);

/* Same, with byte offsets in messages relative to file_off (the page's
 * position in the file). */
ts_status pq_page_header_decode_at(const uint8_t *p, size_t avail, uint64_t file_off,
                                   pq_page_header *out, size_t *consumed, ts_error *err);

/* Names for messages: "INT64", "RLE_DICTIONARY", "DATA_PAGE", ... ("?" if unknown). */
const char *pq_type_name(int t);
const char *pq_encoding_name(int e);
const char *pq_page_type_name(int t);

#endif
