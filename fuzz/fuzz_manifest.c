/* Fuzz target: export_metadata.json parsing and validation, then the
 * serialise → parse round trip of whatever was accepted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive/arc_manifest.h"
#include "core/ts_buf.h"

#define FUZZ_MAX_INPUT (1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT) return 0;
    arc_manifest m;
    ts_error e;
    ts_err_clear(&e);
    if (arc_manifest_parse((const char *)data, size, &m, &e) != TS_OK) return 0;
    ts_buf b;
    ts_buf_init(&b, TS_MAX_MANIFEST);
    ts_err_clear(&e);
    if (arc_manifest_to_json(&m, &b, &e) == TS_OK) {
        arc_manifest m2;
        ts_err_clear(&e);
        /* what we write we must read back */
        if (arc_manifest_parse((const char *)b.data, b.len, &m2, &e) != TS_OK) abort();
        arc_manifest_free(&m2);
    }
    ts_buf_free(&b);
    arc_manifest_free(&m);
    return 0;
}
