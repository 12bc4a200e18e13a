/* Byte streams the codecs read and write through, so a Parquet writer does
 * not know whether bytes go to a local temp file or an S3 multipart upload,
 * and a reader does not know whether it reads a file or a ranged GET. */
#ifndef TS_IO_H
#define TS_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ts_error.h"

/* ---- output: sequential writes, then commit or abort ---- */

typedef struct ts_output ts_output;

typedef struct ts_output_ops {
    ts_status (*write)(ts_output *o, const void *p, size_t n, ts_error *err);
    /* Makes the bytes durable and visible under the final name. */
    ts_status (*commit)(ts_output *o, ts_error *err);
    /* Discards everything written (removes the temp file, aborts an upload). */
    void (*abort)(ts_output *o);
    /* Frees the handle; aborts first if neither commit nor abort ran. */
    void (*close)(ts_output *o);
} ts_output_ops;

struct ts_output {
    const ts_output_ops *ops;
    uint64_t written; /* bytes accepted so far (maintained by ts_output_write) */
    char *name;       /* for messages: final path or URL */
};

ts_status ts_output_write(ts_output *o, const void *p, size_t n, ts_error *err);
ts_status ts_output_commit(ts_output *o, ts_error *err);
void ts_output_abort(ts_output *o);
/* ts_output_close(NULL) is a no-op. */
void ts_output_close(ts_output *o);

/* Local file written atomically: a temp file beside `path`, fsync, rename,
 * fsync of the directory. Nothing appears under `path` until commit. */
ts_status ts_output_file_atomic(const char *path, ts_output **out, ts_error *err);
/* An already open descriptor (stdout); commit flushes, abort does nothing. */
ts_status ts_output_fd(int fd, const char *name, ts_output **out, ts_error *err);
/* Collects bytes in memory (tests, small objects). */
ts_status ts_output_mem(ts_output **out, ts_error *err);
/* The bytes collected by a memory output (owned by it). */
const uint8_t *ts_output_mem_data(const ts_output *o, size_t *len);

/* ---- input: random-access reads of a known size ---- */

typedef struct ts_input ts_input;

typedef struct ts_input_ops {
    /* Reads exactly n bytes at off; a short read is TS_ERR_CORRUPT/IO. */
    ts_status (*read_at)(ts_input *in, uint64_t off, void *p, size_t n, ts_error *err);
    void (*close)(ts_input *in);
} ts_input_ops;

struct ts_input {
    const ts_input_ops *ops;
    uint64_t size;
    char *name; /* for messages */
};

ts_status ts_input_read_at(ts_input *in, uint64_t off, void *p, size_t n, ts_error *err);
void ts_input_close(ts_input *in);
ts_status ts_input_file(const char *path, ts_input **out, ts_error *err);
/* Borrows p (must outlive the input). */
ts_status ts_input_mem(const void *p, size_t n, const char *name, ts_input **out, ts_error *err);

/* mkdir -p; existing directories are fine. */
ts_status ts_mkdirs(const char *path, ts_error *err);

#endif
