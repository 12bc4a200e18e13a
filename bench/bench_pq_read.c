/* Benchmark: reads every row and column of a Parquet file with our reader,
 * in-process, and folds every value into a checksum so nothing is skipped.
 * Not built by CMake; bench/pq_read.sh compiles it against build/libtsa.a.
 * Prints one JSON line: rows, batches, seconds, checksum, peak heap through ts_alloc. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_io.h"
#include "parquet/pq_reader.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_pq_read FILE.parquet\n");
        return 64;
    }
    double t0 = now();
    ts_error err;
    ts_err_clear(&err);
    ts_input *in = NULL;
    pq_reader *r = NULL;
    ts_status st = ts_input_file(argv[1], &in, &err);
    if (st == TS_OK) st = pq_reader_open(in, NULL, &r, &err);
    unsigned long long rows = 0, batches = 0, sum = 0;
    while (st == TS_OK) {
        const ts_batch *b;
        st = pq_reader_next(r, &b, &err);
        if (st != TS_OK || !b) break;
        batches++;
        rows += b->nrows;
        for (size_t c = 0; c < b->schema->ncols; c++) {
            const ts_column *col = &b->cols[c];
            for (size_t i = 0; i < b->nrows; i++) {
                if (!ts_batch_valid(b, c, i)) {
                    sum += 7;
                    continue;
                }
                switch (b->schema->fields[c].type) {
                case TS_TYPE_TIMESTAMP:
                case TS_TYPE_INT64: sum += (unsigned long long)col->v.i64[i]; break;
                case TS_TYPE_DOUBLE: {
                    unsigned long long u;
                    memcpy(&u, &col->v.f64[i], 8);
                    sum += u;
                    break;
                }
                case TS_TYPE_BOOL: sum += col->v.b8[i]; break;
                case TS_TYPE_STRING:
                    sum += col->v.str[i].len;
                    if (col->v.str[i].len) sum += (unsigned char)col->v.str[i].ptr[0];
                    break;
                }
            }
        }
    }
    if (st != TS_OK) {
        char msg[2048];
        ts_err_format(&err, msg, sizeof msg);
        fprintf(stderr, "bench_pq_read: %s\n", msg);
    }
    pq_reader_free(r);
    ts_input_close(in);
    printf("{\"rows\":%llu,\"batches\":%llu,\"seconds\":%.3f,\"checksum\":%llu,\"peak_heap\":%zu}\n",
           rows, batches, now() - t0, sum, ts_alloc_peak());
    return st == TS_OK ? 0 : 1;
}
