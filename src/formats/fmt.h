/* The text formats (line protocol, CSV, JSON Lines) as sources and sinks of
 * the batch pipeline, the (de)compressed text streams under them, and the
 * registry that picks a format from a name, a file extension or the bytes. */
#ifndef FMT_H
#define FMT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_batch.h"
#include "core/ts_error.h"
#include "core/ts_io.h"
#include "core/ts_pipe.h"
#include "core/ts_time.h"

/* ---- registry ---- */

typedef enum fmt_kind { FMT_NONE = 0, FMT_PARQUET, FMT_LP, FMT_CSV, FMT_JSONL } fmt_kind;
typedef enum fmt_compress { FMT_COMP_NONE = 0, FMT_COMP_GZIP, FMT_COMP_ZSTD } fmt_compress;

/* "parquet", "lp" (also "line", "influx"), "csv", "jsonl" (also "ndjson",
 * "json"); FMT_NONE for anything else. */
fmt_kind fmt_kind_parse(const char *name);
const char *fmt_kind_name(fmt_kind k);
/* Format and compression from a path's extensions: "x.csv.gz" → CSV, GZIP;
 * ".lp"/".line", ".csv", ".jsonl"/".ndjson", ".parquet"/".pq"; ".gz", ".zst". */
fmt_kind fmt_kind_from_path(const char *path, fmt_compress *comp);
/* Format guessed from the first bytes (after decompression): "PAR1" →
 * Parquet, '{' → JSON Lines; FMT_NONE when unsure. */
fmt_kind fmt_kind_sniff(const uint8_t *p, size_t n);

/* ---- decompressing line reader ---- */

typedef struct fmt_text_in fmt_text_in;

/* Opens a file ("-" = standard input). gzip and zstd input is detected by
 * its magic bytes and decompressed on the fly with bounded buffers. With
 * `rewindable`, standard input is first copied to an unlinked temp file so
 * that fmt_text_in_rewind() works (two-pass readers). */
ts_status fmt_text_in_open(const char *path, bool rewindable, fmt_text_in **out, ts_error *err);
/* Reads from memory (borrowed; must outlive the reader). Always rewindable. */
ts_status fmt_text_in_mem(const void *p, size_t n, const char *name, fmt_text_in **out,
                          ts_error *err);
void fmt_text_in_free(fmt_text_in *in);
/* Caps a line (default TS_MAX_LINE); longer lines fail with TS_ERR_LIMIT. */
void fmt_text_in_set_max_line(fmt_text_in *in, size_t max);
/* Next line without its "\n" (a "\r" before it is kept: formats decide);
 * NUL-terminated, valid until the next call. *line = NULL at the end. */
ts_status fmt_text_in_line(fmt_text_in *in, const char **line, size_t *len, ts_error *err);
/* 1-based number of the line last returned. */
uint64_t fmt_text_in_lineno(const fmt_text_in *in);
/* Starts again from the first byte. */
ts_status fmt_text_in_rewind(fmt_text_in *in, ts_error *err);
const char *fmt_text_in_name(const fmt_text_in *in);
/* The first up to n bytes (decompressed) without consuming them. */
ts_status fmt_text_in_peek(fmt_text_in *in, const uint8_t **p, size_t *n, ts_error *err);

/* ---- compressing writer ---- */

typedef struct fmt_text_out fmt_text_out;

/* Takes ownership of o. Compresses with gzip or zstd when asked. */
ts_status fmt_text_out_new(ts_output *o, fmt_compress comp, fmt_text_out **out, ts_error *err);
/* Before the first write: compress and write on a worker thread from now on
 * (bounded blocks; an output error is returned by a later write or finish).
 * Without a thread to be had it quietly stays synchronous. */
ts_status fmt_text_out_start_thread(fmt_text_out *t, ts_error *err);
ts_status fmt_text_out_write(fmt_text_out *t, const void *p, size_t n, ts_error *err);
/* Formatting in place, without a copy: a span of *room (> 64 KiB) bytes at
 * the end of the pending output; write up to *room bytes into it, then
 * commit the count. NULL (room 0) once the output failed or finished. A
 * write or commit ends the span. */
uint8_t *fmt_text_out_span(fmt_text_out *t, size_t *room);
ts_status fmt_text_out_commit(fmt_text_out *t, size_t n, ts_error *err);
/* Flushes the compressor and commits the output. */
ts_status fmt_text_out_finish(fmt_text_out *t, ts_error *err);
/* Frees; discards the output (abort) unless finish succeeded. NULL is a no-op. */
void fmt_text_out_free(fmt_text_out *t);
/* "-" → standard output, else an atomic file (nothing visible until commit). */
ts_status fmt_output_open(const char *path, ts_output **out, ts_error *err);

/* ---- options shared by the readers and writers ---- */

typedef enum fmt_time_format {
    FMT_TIME_AUTO = 0, /* RFC 3339 / ISO 8601 / Timestream text */
    FMT_TIME_TEXT,     /* text forms only */
    FMT_TIME_EPOCH_S,
    FMT_TIME_EPOCH_MS,
    FMT_TIME_EPOCH_US,
    FMT_TIME_EPOCH_NS
} fmt_time_format;

#define FMT_DEFAULT_INFER_ROWS 1000
#define FMT_MAX_COLUMNS 4096

typedef struct fmt_read_opts {
    const char *schema;        /* "--schema" text (name:type[:role],...) or NULL */
    ts_epoch_unit precision;   /* line protocol timestamps (default ns) */
    fmt_time_format time_format; /* CSV/JSONL time values */
    const char *table;         /* keep only this table (LP) / name every batch (CSV, JSONL) */
    const char *table_key;     /* JSONL: key whose value names each row's table */
    bool skip_bad_lines;       /* count, report and go on instead of failing */
    ts_output *reject;         /* bad lines are copied here when not NULL (borrowed) */
    bool has_default_time;     /* LP lines without a timestamp get default_time */
    int64_t default_time;
    size_t batch_rows;         /* 0 = TS_BATCH_DEFAULT_ROWS */
    size_t infer_rows;         /* 0 = FMT_DEFAULT_INFER_ROWS */
    volatile sig_atomic_t *cancel; /* LP's first pass stops with TS_ERR_CANCELLED when set */
} fmt_read_opts;

typedef struct fmt_write_opts {
    const char *measurement;   /* LP: measurement for every row (overrides the table) */
    const char *measurement_column; /* LP: take the measurement from this column */
    bool skip_bad_rows;        /* LP: rows that cannot be written are counted, not fatal */
    const char *codec;         /* Parquet: "zstd" (default), "snappy", "gzip", "none" */
    int time_unit;             /* Parquet TIMESTAMP unit: 0 = NANOS (lossless), else a
                                  pq_time_unit (1 ms, 2 µs: refused where digits would be lost);
                                  -1 = the archive's: time MICROS + time_ns when needed */
} fmt_write_opts;

/* Counts a source or sink keeps; all that the user should hear about. */
typedef struct fmt_counts {
    uint64_t rows;          /* rows produced (source) or written (sink) */
    uint64_t bad_lines;     /* source: malformed lines skipped (--skip-bad-lines) */
    uint64_t all_null_rows; /* sink: rows with every measure NULL (not a point) */
    uint64_t bad_rows;      /* sink: rows that cannot be written (--skip-bad-rows) */
} fmt_counts;

void fmt_read_opts_init(fmt_read_opts *o);

/* Every text source and sink here begins with its base then its counts, so
 * these work on any of them ("lp", "csv", "jsonl"); NULL for other kinds. */
const fmt_counts *fmt_source_counts(const ts_source *s);
const fmt_counts *fmt_sink_counts(const ts_sink *s);

/* ---- schema text: "name:type[:role],..." ---- */

typedef struct fmt_schema_spec_entry {
    char *name;
    ts_type type;
    bool has_role;
    ts_role role;
} fmt_schema_spec_entry;

typedef struct fmt_schema_spec {
    size_t n;
    fmt_schema_spec_entry *e;
} fmt_schema_spec;

/* Parses "--schema". Types: timestamp, string, double, int64/bigint, bool;
 * roles: time, dimension, measure_name, measure. Default role: the first
 * timestamp column → time, string → dimension (a column named measure_name →
 * measure_name), anything else → measure. */
ts_status fmt_schema_spec_parse(const char *text, fmt_schema_spec *out, ts_error *err);
void fmt_schema_spec_free(fmt_schema_spec *s);

/* ---- value text shared by the formats ---- */

/* Shortest decimal that reads back to the same double, laid out as Python's
 * repr() does ("1.0", "0.1", "1e-05", "1e+16", "-0.0"), so text output
 * matches the canonical JSON Lines of docs/testing.md. Finite values only.
 * Returns the length written into out (>= 32 bytes). */
size_t fmt_double(double v, char *out, size_t outsz);
/* Decimal digits of v into out (>= 21 bytes), NUL-terminated; returns the length. */
size_t fmt_i64(int64_t v, char *out);
/* Strict integer parse of the whole text; false on junk or overflow. */
bool fmt_parse_i64(const char *s, size_t n, int64_t *out);
/* Decimal/exponent float text, plus NaN/Inf spellings when allow_special. */
bool fmt_parse_f64(const char *s, size_t n, bool allow_special, double *out);
/* Time text per the chosen format; false when it does not parse. */
bool fmt_parse_time(const char *s, size_t n, fmt_time_format tf, int64_t *ns);

/* The Timestream type name of a column type, as the archive records it
 * ("TIMESTAMP", "VARCHAR", "DOUBLE", "BIGINT", "BOOLEAN"). */
const char *fmt_timestream_type(ts_type t);

/* ---- line protocol ---- */

/* Two-pass reader: the first pass collects each measurement's schema (time,
 * tags sorted by name, fields sorted by name) and checks field types; the
 * second emits batches of one measurement each. Takes ownership of in. */
ts_status lp_source_new(fmt_text_in *in, const fmt_read_opts *o, ts_source **out, ts_error *err);
/* Runs the first pass now (lp_source_new does not) and lists the
 * measurements in first-seen order (owned by the source). */
ts_status lp_source_tables(ts_source *s, const char *const **names, size_t *n, ts_error *err);

/* Writer. Takes ownership of out. */
ts_status lp_sink_new(fmt_text_out *out, const fmt_write_opts *o, ts_sink **sink, ts_error *err);

/* One parsed line (exposed for tests and the fuzzer). */
typedef enum lp_ftype { LP_FLOAT, LP_INT, LP_UINT, LP_STRING, LP_BOOL } lp_ftype;
typedef struct lp_kv {
    char *key;
    size_t key_len;
    char *val;      /* tag value or string field (unescaped) */
    size_t val_len;
    lp_ftype type;  /* fields */
    union { double f; int64_t i; uint64_t u; bool b; } v;
    size_t col;     /* byte offset of the key in the line (0-based) */
} lp_kv;
typedef struct lp_line {
    char *measurement;
    size_t measurement_len;
    lp_kv *tags;
    size_t ntags, tags_cap;
    lp_kv *fields;
    size_t nfields, fields_cap;
    bool has_time;
    int64_t time;   /* in the input's precision, unscaled */
    char *scratch;  /* unescaped bytes */
    size_t scratch_cap;
} lp_line;
void lp_line_free(lp_line *l);
/* Parses one line (without "\n"; a trailing "\r" is ignored). Returns
 * TS_OK with *empty = true for blank and comment lines. On error sets
 * *errcol (1-based byte column) and the reason in err. */
ts_status lp_parse_line(const char *s, size_t n, lp_line *l, bool *empty, size_t *errcol,
                        ts_error *err);

/* InfluxDB reserves names beginning with '_': the writer renames them by
 * prefixing "x" ("_id" → "x_id"), for measurements, tag keys and field keys
 * alike (docs/formats.md). */
#define LP_RESERVED_PREFIX "x"

/* ---- CSV ---- */

/* RFC 4180 reader with a header line. Types and roles from o->schema or
 * inferred from the first o->infer_rows records (the input is re-read, so
 * it must be rewindable unless every column is in the schema). Takes
 * ownership of in. */
ts_status csv_source_new(fmt_text_in *in, const fmt_read_opts *o, ts_source **out, ts_error *err);
ts_status csv_sink_new(fmt_text_out *out, const fmt_write_opts *o, ts_sink **sink, ts_error *err);

/* ---- JSON Lines ---- */

ts_status jsonl_source_new(fmt_text_in *in, const fmt_read_opts *o, ts_source **out,
                           ts_error *err);
ts_status jsonl_sink_new(fmt_text_out *out, const fmt_write_opts *o, ts_sink **sink,
                         ts_error *err);

/* ---- opening by format ---- */

/* A source for path ("-" = standard input) in the given format, or the
 * format its extension (then its first bytes) name. */
ts_status fmt_source_open(const char *path, fmt_kind kind, const fmt_read_opts *o, ts_source **out,
                          ts_error *err);
/* A sink writing path ("-" = standard output); files appear atomically at
 * finish and not at all when the run fails. */
ts_status fmt_sink_open(const char *path, fmt_kind kind, fmt_compress comp, const fmt_write_opts *o,
                        ts_sink **out, ts_error *err);
/* A sink opening one fmt_sink_open() per table, named by replacing
 * "{table}" in pattern with the batch's table (made safe as a file name). */
ts_status fmt_split_sink_new(const char *pattern, fmt_kind kind, fmt_compress comp,
                             const fmt_write_opts *o, ts_sink **out, ts_error *err);

/* ---- Parquet (adapters over src/parquet) ---- */

ts_status fmt_parquet_source_open(const char *path, const fmt_read_opts *o, ts_source **out,
                                  ts_error *err);
ts_status fmt_parquet_sink_open(const char *path, const fmt_write_opts *o, ts_sink **out,
                                ts_error *err);

#endif
