/* Streaming Parquet writer for flat ts_schema tables: batches in, pages
 * encoded as rows arrive, one row group buffered at a time, footer on
 * close. The profile (v1 pages, PLAIN + RLE_DICTIONARY with fallback, CRCs,
 * statistics, TYPE_ORDER) is the archive's; see docs/parquet.md. */
#ifndef PQ_WRITER_H
#define PQ_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ts_batch.h"
#include "core/ts_error.h"
#include "core/ts_io.h"
#include "parquet/pq_codec.h"
#include "parquet/pq_meta.h"

typedef struct pq_writer pq_writer;

typedef struct pq_writer_opts {
    pq_codec codec;          /* UNCOMPRESSED, SNAPPY, GZIP or ZSTD (others refused) */
    int level;               /* codec level; <= 0 = codec default */
    size_t row_group_bytes;  /* cut a row group when its encoded (uncompressed) pages
                                reach this; 0 = 128 MiB */
    size_t row_group_rows;   /* and at this many rows; 0 = 1 Mi rows */
    size_t page_bytes;       /* target uncompressed data page size; 0 = 1 MiB */
    bool dictionary;         /* try dictionary encoding (not for BOOL columns) */
    size_t dict_max_bytes;   /* dictionary page limit before falling back to PLAIN; 0 = 1 MiB */
    pq_time_unit time_unit;  /* unit of every TIMESTAMP column; 0 = MICROS */
    /* TIMESTAMP values with digits below time_unit: refused (TS_ERR_USAGE)
     * unless time_floor_all, or time_floor[col] for that column (schema
     * order; NULL = none), says flooring is intended. */
    bool time_floor_all;
    const bool *time_floor;
    const pq_kv *kv;         /* footer key_value_metadata (copied) */
    size_t nkv;
    const char *created_by;  /* "app version X.Y.Z (build H)"; copied; NULL = omitted */
} pq_writer_opts;

/* ZSTD at its default level, dictionary on, MICROS, the sizes above. */
void pq_writer_opts_default(pq_writer_opts *o);

/* Starts a file on `out` (borrowed; the caller commits/aborts and closes it)
 * for `schema` (copied). opts NULL = defaults. Writes the leading magic.
 * TS_ERR_USAGE for an empty schema or an unwritable codec; TS_ERR_IO from out. */
ts_status pq_writer_new(ts_output *out, const ts_schema *schema, const pq_writer_opts *opts,
                        pq_writer **w, ts_error *err);
/* Appends the rows of b, whose schema must equal the writer's. Any number
 * of batches; the batch is not kept. Invalid UTF-8 (TS_ERR_CORRUPT) and
 * lossy timestamps (TS_ERR_USAGE) name the column and row; after any
 * failure the writer refuses further calls. */
ts_status pq_writer_write(pq_writer *w, const ts_batch *b, ts_error *err);
/* Flushes the last row group and writes the footer. Does NOT commit `out`. */
ts_status pq_writer_close(pq_writer *w, ts_error *err);
/* Rows accepted so far; bytes written to out so far. */
uint64_t pq_writer_rows(const pq_writer *w);
uint64_t pq_writer_bytes(const pq_writer *w);
/* Frees the writer (not `out`). pq_writer_free(NULL) is a no-op. */
void pq_writer_free(pq_writer *w);

#endif
