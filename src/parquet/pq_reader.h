/* Streaming reader of flat Parquet files: validates the footer, maps each
 * leaf column onto a batch type, and yields batches of up to 64 Ki rows,
 * decoding one page per column at a time (memory follows the batch and the
 * pages, never the file). */
#ifndef PQ_READER_H
#define PQ_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_batch.h"
#include "core/ts_error.h"
#include "core/ts_io.h"
#include "parquet/pq_meta.h"

typedef struct pq_reader_opts {
    bool verify_crc;           /* check page CRCs when present (default true) */
    bool flat_only_projection; /* skip nested columns instead of refusing the file */
    size_t batch_rows;         /* rows per batch, 1..65536 (default 65536) */
    const char *const *columns; /* read only these top-level columns, in this order; NULL = all */
    size_t ncolumns;
    bool metadata_only;        /* footer only: no column mapping, no rows (inspect) */
} pq_reader_opts;

void pq_reader_opts_default(pq_reader_opts *o);

/* How a column's values are to be understood beyond the batch type; `cat`
 * and `inspect` use it to print them the canonical way. */
typedef enum pq_value_kind {
    PQ_VK_BOOL,      /* BOOL */
    PQ_VK_INT,       /* INT64: INT32/INT64, signed, or UINT_8/16/32 */
    PQ_VK_DOUBLE,    /* DOUBLE: FLOAT or DOUBLE */
    PQ_VK_STRING,    /* STRING: UTF-8 annotated bytes (STRING/UTF8/ENUM/JSON) as stored */
    PQ_VK_BINARY,    /* STRING: bytes without a string annotation, as stored */
    PQ_VK_TIMESTAMP, /* TIMESTAMP: any unit, INT96 */
    PQ_VK_DATE,      /* TIMESTAMP at midnight UTC */
    PQ_VK_DECIMAL,   /* STRING: exact decimal text ("-12.50") */
    PQ_VK_TIME,      /* INT64: time of day in the column's unit (see unit_ns) */
    PQ_VK_UINT64     /* STRING: decimal digits of a UINT_64 value (may exceed int64) */
} pq_value_kind;

typedef struct pq_column_info {
    const char *name;          /* top-level field name (the batch column name) */
    size_t leaf;               /* index among the file's leaf columns */
    const pq_schema_element *se; /* the leaf's schema element (in the footer arena) */
    pq_type phys;
    pq_value_kind kind;
    ts_type type;              /* batch type */
    int max_def;               /* 0 = REQUIRED, 1 = OPTIONAL */
    bool is_unsigned;          /* UINT_* annotation */
    int64_t unit_ns;           /* TIMESTAMP/TIME: nanoseconds per stored unit; DATE: per day */
    int32_t scale;             /* DECIMAL */
    uint64_t out_of_range;     /* values mapped to NULL because they do not fit (INT96, ms/µs) */
} pq_column_info;

typedef struct pq_reader pq_reader;

/* Reads and validates the footer of `in` (borrowed: must outlive the reader)
 * and maps its schema. opts may be NULL (defaults). Errors: TS_ERR_CORRUPT
 * (magic, footer length, metadata), TS_ERR_UNSUPPORTED (encrypted, nested
 * columns unless flat_only_projection, external column chunks, a column
 * annotation that contradicts its physical type), TS_ERR_NOT_FOUND (a
 * projected column that does not exist). */
ts_status pq_reader_open(ts_input *in, const pq_reader_opts *opts, pq_reader **r, ts_error *err);
const pq_file_meta *pq_reader_meta(const pq_reader *r);
/* The batch schema: one field per mapped (projected) column. */
const ts_schema *pq_reader_schema(const pq_reader *r);
size_t pq_reader_ncolumns(const pq_reader *r);
const pq_column_info *pq_reader_column(const pq_reader *r, size_t i);
/* Nested top-level columns that flat_only_projection skipped. */
size_t pq_reader_skipped_columns(const pq_reader *r);

/* The next batch (owned by the reader, valid until the next call), or
 * *out = NULL at the end. A batch never spans two row groups. Every column
 * of a row group must yield RowGroup.num_rows values; any mismatch of
 * counts, a damaged page, a CRC mismatch (with verify_crc), or a dictionary
 * index out of range is TS_ERR_CORRUPT naming row group, column, page and
 * offset. After an error the reader stays failed. */
ts_status pq_reader_next(pq_reader *r, const ts_batch **out, ts_error *err);

/* Rows handed out so far; rows the footer claims (FileMetaData.num_rows) and
 * the sum of RowGroup.num_rows. They can differ in damaged or odd files
 * (repeated_no_annotation.parquet has 0 in the footer). */
uint64_t pq_reader_rows_read(const pq_reader *r);
int64_t pq_reader_footer_rows(const pq_reader *r);
int64_t pq_reader_row_group_rows(const pq_reader *r);
/* Values mapped to NULL because they do not fit int64 nanoseconds, all columns. */
uint64_t pq_reader_warnings(const pq_reader *r);
/* Offset where the footer starts (column data must end before it). */
uint64_t pq_reader_data_end(const pq_reader *r);

/* pq_reader_free(NULL) is a no-op. */
void pq_reader_free(pq_reader *r);

/* How the reader maps a leaf schema element (type, kind, unit, scale),
 * without a file: for inspect and for statistics. TS_ERR_UNSUPPORTED for an
 * annotation that contradicts the physical type. */
ts_status pq_describe_column(const pq_schema_element *se, pq_column_info *out, ts_error *err);

/* Helpers shared with inspect/cat: exact decimal text of a big-endian two's
 * complement unscaled value with `scale` (len 1..32). Returns bytes written
 * (< outsz), 0 if it does not fit. */
size_t pq_decimal_text(const uint8_t *be, size_t len, int32_t scale, char *out, size_t outsz);
size_t pq_decimal_text_i64(int64_t v, int32_t scale, char *out, size_t outsz);
/* INT96 (12 bytes: LE nanos-of-day, LE Julian day) to Unix ns; false when out of range. */
bool pq_int96_to_ns(const uint8_t *p, int64_t *ns);

#endif
