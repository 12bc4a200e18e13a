/* Parquet as a source and sink of the batch pipeline, adapting the reader
 * and writer of src/parquet. (Placeholder until those land.) */
#include "formats/fmt.h"

ts_status fmt_parquet_source_open(const char *path, const fmt_read_opts *o, ts_source **out,
                                  ts_error *err)
{
    (void)o;
    *out = NULL;
    return ts_err_set(err, TS_ERR_UNSUPPORTED, "%s: Parquet input is not built into this version", path);
}

ts_status fmt_parquet_sink_open(const char *path, const fmt_write_opts *o, ts_sink **out,
                                ts_error *err)
{
    (void)o;
    *out = NULL;
    return ts_err_set(err, TS_ERR_UNSUPPORTED, "%s: Parquet output is not built into this version", path);
}
