/* Benchmark: writes the deterministic "energy" table (time, region, plant_id,
 * source, generation_mw, capacity_factor, online) with our Parquet writer.
 * Not built by CMake; bench/pq_write.sh compiles it against build/libtsa.a.
 * The same rows are generated in SQL for DuckDB by that script:
 *   i = 0..rows-1, plant = i % 100, step = i / 100
 *   time            = 2024-01-01T00:00:00Z + step minutes
 *   region          = ['north','south','east','west','central'][plant % 5]
 *   plant_id        = plant
 *   source          = ['wind','solar','hydro','gas'][(plant * 7) % 4]
 *   generation_mw   = NULL if i % 97 = 0 else ((i * 2654435761) % 1000003) / 10.0
 *   capacity_factor = ((i * 40503) % 10007) / 10007.0
 *   online          = i % 13 <> 0
 * Prints one JSON line: rows, seconds, bytes, peak heap through ts_alloc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ts_alloc.h"
#include "core/ts_batch.h"
#include "core/ts_io.h"
#include "parquet/pq_writer.h"
#include "ts_version.h"

static const char *const regions[] = {"north", "south", "east", "west", "central"};
static const char *const sources[] = {"wind", "solar", "hydro", "gas"};

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_pq OUT.parquet zstd|snappy|gzip|none ROWS\n");
        return 64;
    }
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    if (!pq_codec_parse(argv[2], &o.codec)) {
        fprintf(stderr, "unknown codec %s\n", argv[2]);
        return 64;
    }
    o.created_by = TS_CREATED_BY;
    long long rows = strtoll(argv[3], NULL, 10);
    ts_schema s;
    ts_schema_init(&s);
    ts_schema_add(&s, "time", TS_TYPE_TIMESTAMP, TS_ROLE_TIME, false);
    ts_schema_add(&s, "region", TS_TYPE_STRING, TS_ROLE_DIMENSION, true);
    ts_schema_add(&s, "plant_id", TS_TYPE_INT64, TS_ROLE_DIMENSION, true);
    ts_schema_add(&s, "source", TS_TYPE_STRING, TS_ROLE_DIMENSION, true);
    ts_schema_add(&s, "generation_mw", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true);
    ts_schema_add(&s, "capacity_factor", TS_TYPE_DOUBLE, TS_ROLE_MEASURE, true);
    ts_schema_add(&s, "online", TS_TYPE_BOOL, TS_ROLE_MEASURE, true);
    ts_error err;
    ts_err_clear(&err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts_output *out;
    pq_writer *w;
    if (ts_output_file_atomic(argv[1], &out, &err) != TS_OK || pq_writer_new(out, &s, &o, &w, &err) != TS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    ts_batch b;
    ts_batch_init(&b, &s, TS_BATCH_DEFAULT_ROWS);
    const int64_t t_base = INT64_C(1704067200) * 1000000000;
    for (long long i = 0; i < rows;) {
        ts_batch_reset(&b);
        size_t k = 0;
        for (; k < b.capacity && i < rows; k++, i++) {
            int64_t plant = i % 100, step = i / 100;
            ts_batch_set_i64(&b, 0, k, t_base + step * 60 * INT64_C(1000000000));
            const char *r = regions[plant % 5];
            ts_batch_set_str_ref(&b, 1, k, r, strlen(r));
            ts_batch_set_i64(&b, 2, k, plant);
            const char *src = sources[(plant * 7) % 4];
            ts_batch_set_str_ref(&b, 3, k, src, strlen(src));
            if (i % 97 == 0) ts_batch_set_null(&b, 4, k);
            else ts_batch_set_f64(&b, 4, k, (double)((i * INT64_C(2654435761)) % 1000003) / 10.0);
            ts_batch_set_f64(&b, 5, k, (double)((i * 40503) % 10007) / 10007.0);
            ts_batch_set_bool(&b, 6, k, i % 13 != 0);
        }
        b.nrows = k;
        if (pq_writer_write(w, &b, &err) != TS_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
    }
    if (pq_writer_close(w, &err) != TS_OK || ts_output_commit(out, &err) != TS_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    uint64_t bytes = pq_writer_bytes(w);
    pq_writer_free(w);
    ts_output_close(out);
    ts_batch_free(&b);
    ts_schema_free(&s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("{\"writer\":\"tsarchive\",\"codec\":\"%s\",\"rows\":%lld,\"seconds\":%.3f,\"bytes\":%llu,\"heap_peak\":%zu}\n",
           argv[2], rows, secs, (unsigned long long)bytes, ts_alloc_peak());
    return 0;
}
