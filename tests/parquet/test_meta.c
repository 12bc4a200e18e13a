/* Parquet metadata: encode → decode equality, reference bytes, validation
 * of hostile footers, and every footer of the shared corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "parquet/pq_meta.h"
#include "parquet/pq_thrift.h"

static void fill_meta(pq_file_meta *m, pq_schema_element *se, pq_row_group *rg, pq_column_chunk *cc,
                      pq_kv *kv, pq_column_order *co)
{
    static pq_encoding encs[] = {PQ_ENC_PLAIN, PQ_ENC_RLE, PQ_ENC_RLE_DICTIONARY};
    static const char *path_time[] = {"time"};
    static const char *path_region[] = {"region"};
    static pq_page_encoding_stats es[] = {{PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, 1},
                                          {PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, 3},
                                          {PQ_PAGE_DATA, PQ_ENC_PLAIN, 2}};
    memset(m, 0, sizeof *m);
    memset(se, 0, 3 * sizeof *se);
    se[0].name = "schema";
    se[0].has_num_children = true;
    se[0].num_children = 2;
    se[0].has_repetition = true;
    se[0].repetition = PQ_REQUIRED;
    se[1].name = "time";
    se[1].has_type = true;
    se[1].type = PQ_INT64;
    se[1].has_repetition = true;
    se[1].repetition = PQ_REQUIRED;
    se[1].has_converted_type = true;
    se[1].converted_type = PQ_CT_TIMESTAMP_MICROS;
    se[1].logical = (pq_logical){.kind = PQ_LT_TIMESTAMP, .utc = true, .unit = PQ_UNIT_MICROS};
    se[2].name = "region";
    se[2].has_type = true;
    se[2].type = PQ_BYTE_ARRAY;
    se[2].has_repetition = true;
    se[2].repetition = PQ_OPTIONAL;
    se[2].has_converted_type = true;
    se[2].converted_type = PQ_CT_UTF8;
    se[2].logical.kind = PQ_LT_STRING;
    se[2].has_field_id = true;
    se[2].field_id = 7;
    memset(cc, 0, 2 * sizeof *cc);
    for (int c = 0; c < 2; c++) {
        pq_column_meta *cm = &cc[c].meta;
        cc[c].has_meta = true;
        cm->type = c ? PQ_BYTE_ARRAY : PQ_INT64;
        cm->encodings = encs;
        cm->nencodings = 3;
        cm->path = c ? path_region : path_time;
        cm->npath = 1;
        cm->codec = 6;
        cm->num_values = 1000;
        cm->total_uncompressed_size = 5000 + c;
        cm->total_compressed_size = 4000 + c;
        cm->data_page_offset = 4 + 1000 * c + 50;
        cm->has_dictionary_page_offset = c == 1;
        cm->dictionary_page_offset = 1004;
        cm->has_statistics = true;
        cm->statistics.has_null_count = true;
        cm->statistics.null_count = c * 10;
        cm->statistics.min_value = (pq_bytes){(const uint8_t *)"abc", 3, true};
        cm->statistics.max_value = (pq_bytes){(const uint8_t *)"", 0, true};
        if (!c) {
            cm->statistics.min = cm->statistics.min_value;
            cm->statistics.max = cm->statistics.max_value;
        }
        cm->encoding_stats = es;
        cm->nencoding_stats = 3;
    }
    memset(rg, 0, sizeof *rg);
    rg->columns = cc;
    rg->ncolumns = 2;
    rg->total_byte_size = 10001;
    rg->num_rows = 1000;
    rg->has_file_offset = true;
    rg->file_offset = 4;
    rg->has_total_compressed_size = true;
    rg->total_compressed_size = 8001;
    rg->has_ordinal = true;
    rg->ordinal = 0;
    kv[0] = (pq_kv){"tsarchive.columns", "[{\"name\":\"time\"}]"};
    kv[1] = (pq_kv){"novalue", NULL};
    co[0] = co[1] = PQ_ORDER_TYPE;
    m->version = 1;
    m->schema = se;
    m->nschema = 3;
    m->num_rows = 1000;
    m->row_groups = rg;
    m->nrow_groups = 1;
    m->kv = kv;
    m->nkv = 2;
    m->created_by = "tsarchive version 0.1.0 (build abc)";
    m->column_orders = co;
    m->ncolumn_orders = 2;
}

static void test_encode_decode_equal(void **state)
{
    (void)state;
    pq_file_meta m, d;
    pq_schema_element se[3];
    pq_row_group rg;
    pq_column_chunk cc[2];
    pq_kv kv[2];
    pq_column_order co[2];
    fill_meta(&m, se, &rg, cc, kv, co);
    ts_buf b1, b2;
    ts_buf_init(&b1, TS_MAX_PQ_FOOTER);
    ts_buf_init(&b2, TS_MAX_PQ_FOOTER);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(pq_meta_encode_file(&m, &b1, &e), TS_OK);
    ts_arena a;
    ts_arena_init(&a, 0);
    assert_int_equal(pq_meta_decode_file(b1.data, b1.len, &d, &a, &e), TS_OK);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.nschema, 3);
    assert_int_equal(d.nleaves, 2);
    assert_string_equal(d.schema[1].name, "time");
    assert_int_equal(d.schema[1].logical.kind, PQ_LT_TIMESTAMP);
    assert_int_equal(d.schema[1].logical.unit, PQ_UNIT_MICROS);
    assert_true(d.schema[1].logical.utc);
    assert_int_equal(d.schema[2].field_id, 7);
    assert_int_equal(d.row_groups[0].columns[1].meta.dictionary_page_offset, 1004);
    assert_int_equal(d.row_groups[0].columns[1].meta.statistics.null_count, 10);
    assert_false(d.row_groups[0].columns[1].meta.statistics.min.set);
    assert_true(d.row_groups[0].columns[0].meta.statistics.min.set);
    assert_true(d.row_groups[0].columns[1].meta.statistics.max_value.set);
    assert_int_equal(d.row_groups[0].columns[1].meta.statistics.max_value.len, 0);
    assert_null(d.kv[1].value);
    assert_string_equal(d.created_by, m.created_by);
    assert_int_equal(d.ncolumn_orders, 2);
    /* re-encoding the decoded struct gives the same bytes */
    assert_int_equal(pq_meta_encode_file(&d, &b2, &e), TS_OK);
    assert_int_equal(b1.len, b2.len);
    assert_memory_equal(b1.data, b2.data, b1.len);
    ts_arena_free(&a);
    ts_buf_free(&b1);
    ts_buf_free(&b2);
}

/* The SchemaElement bytes of the reference §3. */
static void test_reference_schema_element(void **state)
{
    (void)state;
    pq_schema_element se = {0};
    se.name = "time";
    se.has_type = true;
    se.type = PQ_INT64;
    se.has_repetition = true;
    se.repetition = PQ_REQUIRED;
    se.has_converted_type = true;
    se.converted_type = PQ_CT_TIMESTAMP_MICROS;
    se.logical = (pq_logical){.kind = PQ_LT_TIMESTAMP, .utc = true, .unit = PQ_UNIT_MICROS};
    pq_schema_element root = {.name = "s", .has_num_children = true, .num_children = 1};
    pq_schema_element all[2] = {root, se};
    pq_file_meta m = {.version = 1, .schema = all, .nschema = 2};
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    static const uint8_t want[] = {0x15, 0x04, 0x25, 0x00, 0x18, 0x04, 't', 'i', 'm', 'e', 0x25, 0x14,
                                   0x4c, 0x8c, 0x11, 0x1c, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00};
    /* find the second element: after "15 02 19 2c" + root element */
    const uint8_t *hit = NULL;
    for (size_t i = 0; i + sizeof want <= b.len; i++)
        if (memcmp(b.data + i, want, sizeof want) == 0) hit = b.data + i;
    assert_non_null(hit);
    ts_buf_free(&b);
}

static void test_page_header_round_trip(void **state)
{
    (void)state;
    pq_page_header h = {0}, d;
    h.type = PQ_PAGE_DATA;
    h.uncompressed_page_size = 412;
    h.compressed_page_size = 300;
    h.has_crc = true;
    h.crc = 0xdeadbeef;
    h.has_data_page = true;
    h.data_page.num_values = 100;
    h.data_page.encoding = PQ_ENC_PLAIN;
    h.data_page.definition_level_encoding = PQ_ENC_RLE;
    h.data_page.repetition_level_encoding = PQ_ENC_RLE;
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(pq_page_header_encode(&h, &b, &e), TS_OK);
    size_t used = 0;
    assert_int_equal(b.data[8], 0x15); /* field 4 crc right after field 3 */
    assert_int_equal(pq_page_header_decode(b.data, b.len, &d, &used, &e), TS_OK);
    assert_int_equal(used, b.len);
    assert_true(d.has_crc);
    assert_int_equal(d.crc, 0xdeadbeef);
    assert_int_equal(d.data_page.num_values, 100);
    /* dictionary + v2 */
    pq_page_header h2 = {0};
    h2.type = PQ_PAGE_DATA_V2;
    h2.uncompressed_page_size = 10;
    h2.compressed_page_size = 8;
    h2.has_data_page_v2 = true;
    h2.data_page_v2 = (pq_data_page_header_v2){.num_values = 5, .num_nulls = 1, .num_rows = 5,
                                               .encoding = PQ_ENC_DELTA_BINARY_PACKED,
                                               .definition_levels_byte_length = 2,
                                               .is_compressed = false};
    ts_buf_clear(&b);
    assert_int_equal(pq_page_header_encode(&h2, &b, &e), TS_OK);
    b.data[b.len] = 0x77; /* trailing bytes are not consumed */
    assert_int_equal(pq_page_header_decode(b.data, b.len, &d, &used, &e), TS_OK);
    assert_int_equal(used, b.len);
    assert_false(d.data_page_v2.is_compressed);
    assert_int_equal(d.data_page_v2.num_nulls, 1);
    /* truncation at every length fails cleanly */
    for (size_t n = 0; n < b.len; n++) {
        ts_err_clear(&e);
        assert_int_equal(pq_page_header_decode(b.data, n, &d, &used, &e), TS_ERR_CORRUPT);
    }
    ts_buf_free(&b);
}

static void test_page_header_validation(void **state)
{
    (void)state;
    ts_error e;
    pq_page_header d;
    size_t used;
    /* compressed_page_size = -1 */
    static const uint8_t neg[] = {0x15, 0x00, 0x15, 0x02, 0x15, 0x01, 0x00};
    ts_err_clear(&e);
    assert_int_equal(pq_page_header_decode(neg, sizeof neg, &d, &used, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "compressed_page_size"));
    /* DATA_PAGE without data_page_header */
    static const uint8_t nodp[] = {0x15, 0x00, 0x15, 0x02, 0x15, 0x02, 0x00};
    ts_err_clear(&e);
    assert_int_equal(pq_page_header_decode(nodp, sizeof nodp, &d, &used, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "data_page_header"));
    /* dictionary page with num_values -1 */
    static const uint8_t negdict[] = {0x15, 0x04, 0x15, 0x02, 0x15, 0x02, 0x4c, 0x15, 0x01, 0x15, 0x00, 0x00, 0x00};
    ts_err_clear(&e);
    assert_int_equal(pq_page_header_decode(negdict, sizeof negdict, &d, &used, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "num_values"));
}

static void test_file_meta_validation(void **state)
{
    (void)state;
    pq_file_meta m, d;
    pq_schema_element se[3];
    pq_row_group rg;
    pq_column_chunk cc[2];
    pq_kv kv[2];
    pq_column_order co[2];
    ts_buf b;
    ts_buf_init(&b, TS_MAX_PQ_FOOTER);
    ts_error e;
    ts_arena a;
    ts_arena_init(&a, 0);

    fill_meta(&m, se, &rg, cc, kv, co);
    se[0].num_children = 3; /* more children than elements */
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(pq_meta_decode_file(b.data, b.len, &d, &a, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "num_children"));

    fill_meta(&m, se, &rg, cc, kv, co);
    se[0].num_children = 1; /* element outside the tree */
    ts_buf_clear(&b);
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(pq_meta_decode_file(b.data, b.len, &d, &a, &e), TS_ERR_CORRUPT);

    fill_meta(&m, se, &rg, cc, kv, co);
    rg.ncolumns = 1; /* one chunk for two leaves */
    ts_buf_clear(&b);
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(pq_meta_decode_file(b.data, b.len, &d, &a, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "column chunks"));

    fill_meta(&m, se, &rg, cc, kv, co);
    m.num_rows = -5;
    ts_buf_clear(&b);
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(pq_meta_decode_file(b.data, b.len, &d, &a, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "FileMetaData.num_rows is negative"));

    fill_meta(&m, se, &rg, cc, kv, co);
    se[1].num_children = -1;
    se[1].has_num_children = true;
    ts_buf_clear(&b);
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    ts_err_clear(&e);
    assert_int_equal(pq_meta_decode_file(b.data, b.len, &d, &a, &e), TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "num_children"));

    /* unknown logical type member and unknown fields are skipped */
    fill_meta(&m, se, &rg, cc, kv, co);
    ts_buf_clear(&b);
    assert_int_equal(pq_meta_encode_file(&m, &b, &e), TS_OK);
    /* every truncation fails cleanly, never crashes */
    for (size_t n = 0; n < b.len; n++) {
        ts_err_clear(&e);
        assert_int_not_equal(pq_meta_decode_file(b.data, n, &d, &a, &e), TS_OK);
    }
    /* single-byte corruptions decode or fail, never crash (ASan) */
    for (size_t i = 0; i < b.len; i++) {
        uint8_t save = b.data[i];
        for (int x = 1; x < 256; x <<= 1) {
            b.data[i] = save ^ (uint8_t)x;
            ts_err_clear(&e);
            (void)pq_meta_decode_file(b.data, b.len, &d, &a, &e);
        }
        b.data[i] = save;
    }
    ts_arena_free(&a);
    ts_buf_free(&b);
}

static void test_unknown_logical_member(void **state)
{
    (void)state;
    /* FileMetaData{version 1, schema [root(1 child), leaf with logicalType member 30], num_rows 0, row_groups []} */
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    pq_tw w;
    pq_tw_init(&w, &b);
    pq_tw_i32(&w, 1, 1);
    pq_tw_list_begin(&w, 2, PQ_TT_STRUCT, 2);
    pq_tw_elem_struct_begin(&w);
    pq_tw_string(&w, 4, "root");
    pq_tw_i32(&w, 5, 1);
    pq_tw_struct_end(&w);
    pq_tw_elem_struct_begin(&w);
    pq_tw_i32(&w, 1, PQ_BYTE_ARRAY);
    pq_tw_string(&w, 4, "x");
    pq_tw_struct_begin(&w, 10);
    pq_tw_struct_begin(&w, 30);
    pq_tw_i32(&w, 1, 5);
    pq_tw_struct_end(&w);
    pq_tw_struct_end(&w);
    pq_tw_binary(&w, 32767, "ext", 3);
    pq_tw_struct_end(&w);
    pq_tw_i64(&w, 3, 0);
    pq_tw_list_begin(&w, 4, PQ_TT_STRUCT, 0);
    pq_tw_struct_end(&w);
    assert_int_equal(pq_tw_status(&w), TS_OK);
    pq_file_meta d;
    ts_arena a;
    ts_arena_init(&a, 0);
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(pq_meta_decode_file(b.data, b.len, &d, &a, &e), TS_OK);
    assert_int_equal(d.schema[1].logical.kind, PQ_LT_OTHER);
    ts_arena_free(&a);
    ts_buf_free(&b);
}

/* Every footer in the shared corpus: files DuckDB reads decode; the rest
 * decode or fail with an error, never crash. */
static void test_corpus_footers(void **state)
{
    (void)state;
    /* $TSARCHIVE_SHARED (docs/testing.md), else ../shared beside the repository
     * (CI), else two levels up (a worktree under wt/). */
    char env_root[2048] = "";
    const char *sh = getenv("TSARCHIVE_SHARED");
    if (sh && *sh) snprintf(env_root, sizeof env_root, "%s/parquet-testing", sh);
    const char *roots[] = {env_root, "../shared/parquet-testing", "../../shared/parquet-testing"};
    const char *root = NULL;
    char path[4096];
    for (size_t i = 0; i < 3 && !root; i++) {
        if (!roots[i][0]) continue;
        snprintf(path, sizeof path, "%s/MANIFEST.tsv", roots[i]);
        FILE *f = fopen(path, "r");
        if (f) {
            fclose(f);
            root = roots[i];
        }
    }
    if (!root) {
        fprintf(stderr, "corpus not found; skipping\n");
        skip();
    }
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", root);
    FILE *mf = fopen(path, "r");
    char line[8192];
    int ok = 0, failed_expected = 0, total = 0;
    (void)!fgets(line, sizeof line, mf);
    while (fgets(line, sizeof line, mf)) {
        char *cols[16] = {0};
        int nc = 0;
        char *p = line;
        cols[nc++] = p;
        while (*p && nc < 16) {
            if (*p == '\t') {
                *p = 0;
                cols[nc++] = p + 1;
            } else if (*p == '\n') {
                *p = 0;
            }
            p++;
        }
        const char *rel = cols[0];
        bool duck_ok = nc > 11 && cols[11][0] == 0;
        snprintf(path, sizeof path, "%s/%s", root, rel);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        uint8_t tail[8];
        if (sz < 12 || fseek(f, sz - 8, SEEK_SET) != 0 || fread(tail, 1, 8, f) != 8 ||
            memcmp(tail + 4, "PAR1", 4) != 0) {
            fclose(f);
            continue;
        }
        uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                        (uint32_t)tail[3] << 24;
        if (flen > (uint64_t)sz - 12) {
            fclose(f);
            continue;
        }
        uint8_t *buf = ts_malloc(flen ? flen : 1);
        fseek(f, sz - 8 - (long)flen, SEEK_SET);
        size_t got = fread(buf, 1, flen, f);
        fclose(f);
        assert_int_equal(got, flen);
        pq_file_meta d;
        ts_arena a;
        ts_arena_init(&a, 0);
        ts_error e;
        ts_err_clear(&e);
        ts_status st = pq_meta_decode_file(buf, flen, &d, &a, &e);
        total++;
        if (st == TS_OK) {
            ok++;
        } else if (duck_ok) {
            fprintf(stderr, "%s: DuckDB reads it but: %s\n", rel, e.msg);
            fail();
        } else {
            failed_expected++;
        }
        ts_arena_free(&a);
        ts_free(buf);
    }
    fclose(mf);
    fprintf(stderr, "corpus footers: %d decoded, %d refused (DuckDB refuses too), %d total\n", ok,
            failed_expected, total);
    assert_true(ok > 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_decode_equal),
        cmocka_unit_test(test_reference_schema_element),
        cmocka_unit_test(test_page_header_round_trip),
        cmocka_unit_test(test_page_header_validation),
        cmocka_unit_test(test_file_meta_validation),
        cmocka_unit_test(test_unknown_logical_member),
        cmocka_unit_test(test_corpus_footers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
