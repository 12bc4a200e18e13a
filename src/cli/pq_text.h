/* Text renderings of Parquet values shared by `cat` and `inspect`: the
 * canonical JSON Lines encoding (docs/testing.md: ints as numbers below 2^53,
 * doubles as Python repr, NaN/Infinity as strings, ASCII-only JSON strings,
 * RFC 3339 timestamps, dates, exact decimals, "hex:" for bare binary). */
#ifndef CLI_PQ_TEXT_H
#define CLI_PQ_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ts_batch.h"
#include "core/ts_buf.h"
#include "parquet/pq_reader.h"

/* Shortest text that reads back as the same double, Python repr style
 * ("0.1", "1e+16", "-0.0"); NaN and infinities as "NaN", "Infinity",
 * "-Infinity" (quoted when `json`). */
ts_status pqt_double(ts_buf *b, double x, bool json);
/* JSON string of raw bytes: valid UTF-8 is written as \uXXXX escapes above
 * ASCII, invalid bytes become \ufffd. */
ts_status pqt_json_str(ts_buf *b, const char *p, size_t len);
/* Integer: a JSON number when |v| < 2^53, else a quoted string. */
ts_status pqt_json_int(ts_buf *b, int64_t v);
/* "2024-01-31T23:59:59.123456789Z" for any int64 nanoseconds (safe at the
 * int64 extremes); returns the length. */
size_t pqt_time(int64_t ns, char out[40]);
/* One batch cell rendered for JSON (canonical) or CSV (raw, unquoted). */
ts_status pqt_cell(ts_buf *b, const ts_batch *batch, size_t col, size_t row,
                   const pq_column_info *ci, bool json);

#endif
