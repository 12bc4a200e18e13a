/* Hand-built hostile files: page headers that lie about sizes (a 1 GiB
 * "zip bomb" claim), row groups that claim more rows than their pages hold,
 * dictionary indices past the dictionary, bad CRCs. Each must fail with
 * TS_ERR_CORRUPT naming the place, without allocating what the file claims. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"
#include "core/ts_hash.h"
#include "core/ts_io.h"
#include "parquet/pq_codec.h"
#include "parquet/pq_meta.h"
#include "parquet/pq_reader.h"

typedef struct spec {
    pq_codec codec;
    int32_t claim_uncompressed; /* 0 = the truth */
    int64_t rg_rows;            /* RowGroup.num_rows */
    int32_t page_values;        /* DataPageHeader.num_values */
    int nvalues;                /* INT64 values actually stored (PLAIN) */
    bool dict;                  /* dictionary of 2 entries + index page */
    uint8_t index;              /* the one index stored when dict */
    bool bad_crc;
} spec;

/* PAR1 [dict page] data page footer len PAR1, one REQUIRED INT64 column "x". */
static void build(const spec *s, ts_buf *f)
{
    ts_error e;
    ts_err_clear(&e);
    ts_buf_init(f, 1 << 20);
    ts_buf_append(f, "PAR1", 4);
    int64_t dict_off = 0, data_off;
    uint8_t raw[256];
    size_t rawlen = 0;
    if (s->dict) {
        int64_t entries[2] = {11, 22};
        pq_page_header h = {0};
        h.type = PQ_PAGE_DICTIONARY;
        h.uncompressed_page_size = 16;
        h.compressed_page_size = 16;
        h.has_dict_page = true;
        h.dict_page.num_values = 2;
        h.dict_page.encoding = PQ_ENC_PLAIN;
        dict_off = (int64_t)f->len;
        assert_int_equal(pq_page_header_encode(&h, f, &e), TS_OK);
        ts_buf_append(f, entries, 16);
        raw[0] = 2;                 /* bit width */
        raw[1] = (uint8_t)(1 << 1); /* RLE run of 1 */
        raw[2] = s->index;
        rawlen = 3;
    } else {
        for (int i = 0; i < s->nvalues; i++) {
            int64_t v = 1000 + i;
            memcpy(raw + rawlen, &v, 8);
            rawlen += 8;
        }
    }
    ts_buf payload;
    ts_buf_init(&payload, 1 << 20);
    assert_int_equal(pq_compress(s->codec, 0, raw, rawlen, &payload, &e), TS_OK);
    pq_page_header h = {0};
    h.type = PQ_PAGE_DATA;
    h.uncompressed_page_size = s->claim_uncompressed ? s->claim_uncompressed : (int32_t)rawlen;
    h.compressed_page_size = (int32_t)payload.len;
    h.has_crc = true;
    h.crc = ts_crc32(0, payload.data, payload.len) ^ (s->bad_crc ? 1u : 0u);
    h.has_data_page = true;
    h.data_page.num_values = s->page_values;
    h.data_page.encoding = s->dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
    h.data_page.definition_level_encoding = PQ_ENC_RLE;
    h.data_page.repetition_level_encoding = PQ_ENC_RLE;
    data_off = (int64_t)f->len;
    assert_int_equal(pq_page_header_encode(&h, f, &e), TS_OK);
    ts_buf_append(f, payload.data, payload.len);
    ts_buf_free(&payload);
    int64_t chunk_start = s->dict ? dict_off : data_off;

    pq_schema_element se[2];
    memset(se, 0, sizeof se);
    se[0].name = "schema";
    se[0].has_num_children = true;
    se[0].num_children = 1;
    se[1].name = "x";
    se[1].has_type = true;
    se[1].type = PQ_INT64;
    se[1].has_repetition = true;
    se[1].repetition = PQ_REQUIRED;
    const char *path[1] = {"x"};
    pq_encoding encs[2] = {PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY};
    pq_column_chunk cc;
    memset(&cc, 0, sizeof cc);
    cc.has_meta = true;
    cc.meta.type = PQ_INT64;
    cc.meta.encodings = encs;
    cc.meta.nencodings = 2;
    cc.meta.path = path;
    cc.meta.npath = 1;
    cc.meta.codec = (int32_t)s->codec;
    cc.meta.num_values = s->page_values;
    cc.meta.total_compressed_size = (int64_t)f->len - chunk_start;
    cc.meta.total_uncompressed_size = (int64_t)f->len - chunk_start;
    cc.meta.data_page_offset = data_off;
    cc.meta.has_dictionary_page_offset = s->dict;
    cc.meta.dictionary_page_offset = dict_off;
    pq_row_group rg;
    memset(&rg, 0, sizeof rg);
    rg.columns = &cc;
    rg.ncolumns = 1;
    rg.num_rows = s->rg_rows;
    rg.total_byte_size = cc.meta.total_uncompressed_size;
    pq_file_meta m;
    memset(&m, 0, sizeof m);
    m.version = 1;
    m.schema = se;
    m.nschema = 2;
    m.num_rows = s->rg_rows;
    m.row_groups = &rg;
    m.nrow_groups = 1;
    size_t foot = f->len;
    assert_int_equal(pq_meta_encode_file(&m, f, &e), TS_OK);
    uint32_t flen = (uint32_t)(f->len - foot);
    ts_buf_append(f, &flen, 4);
    ts_buf_append(f, "PAR1", 4);
}

/* Reads the whole file; returns the status, the rows and the message. */
static ts_status read_all(const ts_buf *f, uint64_t *rows, int64_t *first, char *msg, size_t msgsz)
{
    ts_error err;
    ts_err_clear(&err);
    ts_input *in;
    assert_int_equal(ts_input_mem(f->data, f->len, "hostile.parquet", &in, &err), TS_OK);
    pq_reader *r = NULL;
    *rows = 0;
    ts_status st = pq_reader_open(in, NULL, &r, &err);
    while (st == TS_OK) {
        const ts_batch *b;
        st = pq_reader_next(r, &b, &err);
        if (st != TS_OK || !b) break;
        if (*rows == 0 && b->nrows) *first = b->cols[0].v.i64[0];
        *rows += b->nrows;
    }
    ts_err_format(&err, msg, msgsz);
    pq_reader_free(r);
    ts_input_close(in);
    return st;
}

static void expect_corrupt(const spec *s, const char *sub)
{
    ts_buf f;
    build(s, &f);
    uint64_t rows;
    int64_t first = 0;
    char msg[2048];
    ts_alloc_reset_peak();
    size_t base = ts_alloc_current();
    ts_status st = read_all(&f, &rows, &first, msg, sizeof msg);
    if (st != TS_ERR_CORRUPT || !strstr(msg, sub)) print_error("got %d '%s', want '%s'\n", (int)st, msg, sub);
    assert_int_equal(st, TS_ERR_CORRUPT);
    assert_non_null(strstr(msg, sub));
    assert_non_null(strstr(msg, "hostile.parquet"));
    /* nothing near what the header claimed was allocated */
    assert_true(ts_alloc_peak() - base < ((size_t)32 << 20));
    ts_buf_free(&f);
}

static void test_valid_baseline(void **state)
{
    (void)state;
    const pq_codec cs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    for (int i = 0; i < 4; i++) {
        spec s = {.codec = cs[i], .rg_rows = 5, .page_values = 5, .nvalues = 5};
        ts_buf f;
        build(&s, &f);
        uint64_t rows;
        int64_t first = 0;
        char msg[2048];
        ts_status st = read_all(&f, &rows, &first, msg, sizeof msg);
        if (st != TS_OK) print_error("%s\n", msg);
        assert_int_equal(st, TS_OK);
        assert_int_equal(rows, 5);
        assert_int_equal(first, 1000);
        ts_buf_free(&f);
    }
    spec d = {.codec = PQ_CODEC_UNCOMPRESSED, .rg_rows = 1, .page_values = 1, .dict = true, .index = 1};
    ts_buf f;
    build(&d, &f);
    uint64_t rows;
    int64_t first = 0;
    char msg[2048];
    assert_int_equal(read_all(&f, &rows, &first, msg, sizeof msg), TS_OK);
    assert_int_equal(rows, 1);
    assert_int_equal(first, 22);
    ts_buf_free(&f);
}

static void test_zip_bomb_claims(void **state)
{
    (void)state;
    const pq_codec cs[] = {PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD};
    for (int i = 0; i < 3; i++) {
        spec s = {.codec = cs[i], .claim_uncompressed = 1 << 30, .rg_rows = 5, .page_values = 5, .nvalues = 5};
        expect_corrupt(&s, "page claims 1073741824 bytes uncompressed");
    }
    /* an uncompressed page whose two sizes differ */
    spec u = {.codec = PQ_CODEC_UNCOMPRESSED, .claim_uncompressed = 1 << 30, .rg_rows = 5, .page_values = 5, .nvalues = 5};
    expect_corrupt(&u, "uncompressed page sizes differ");
}

static void test_count_lies(void **state)
{
    (void)state;
    /* the row group claims a trillion rows; the page holds 5 */
    spec a = {.codec = PQ_CODEC_ZSTD, .rg_rows = 1000000000000, .page_values = 5, .nvalues = 5};
    expect_corrupt(&a, "ends after 5 values but the row group has 1000000000000 rows");
    /* the page claims more values than its bytes hold */
    spec b = {.codec = PQ_CODEC_ZSTD, .rg_rows = 9, .page_values = 9, .nvalues = 5};
    expect_corrupt(&b, "page ends before");
    /* the page holds more values than the row group's rows */
    spec c = {.codec = PQ_CODEC_SNAPPY, .rg_rows = 3, .page_values = 5, .nvalues = 5};
    expect_corrupt(&c, "beyond the row group's rows");
}

static void test_dictionary_and_crc(void **state)
{
    (void)state;
    spec d = {.codec = PQ_CODEC_UNCOMPRESSED, .rg_rows = 1, .page_values = 1, .dict = true, .index = 2};
    expect_corrupt(&d, "dictionary index 2 out of range (dictionary has 2 entries)");
    spec c = {.codec = PQ_CODEC_ZSTD, .rg_rows = 5, .page_values = 5, .nvalues = 5, .bad_crc = true};
    expect_corrupt(&c, "page CRC mismatch in column 'x', row group 0, page 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_baseline),
        cmocka_unit_test(test_zip_bomb_claims),
        cmocka_unit_test(test_count_lies),
        cmocka_unit_test(test_dictionary_and_crc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
