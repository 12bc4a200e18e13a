/* Text streams: line splitting (CRLF kept for the formats, last line without
 * newline), the line cap, gzip/zstd round trips detected by magic (also
 * concatenated gzip members), truncated input, rewind; format registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "double_repr_cases.h"
#include "fmt_test_util.h"

static void read_all_lines(fmt_text_in *in, char *out, size_t outsz)
{
    const char *l;
    size_t n;
    ts_error e;
    ts_err_clear(&e);
    size_t off = 0;
    out[0] = 0;
    for (;;) {
        assert_int_equal(fmt_text_in_line(in, &l, &n, &e), TS_OK);
        if (!l) break;
        assert_int_equal(strlen(l), n);
        off += (size_t)snprintf(out + off, outsz - off, "%llu[%s]", (unsigned long long)fmt_text_in_lineno(in), l);
    }
}

static void test_lines(void **state)
{
    (void)state;
    fmt_text_in *in;
    ts_error e;
    const char *txt = "a\r\n\nbb\nlast";
    assert_int_equal(fmt_text_in_mem(txt, strlen(txt), "m", &in, &e), TS_OK);
    char out[256];
    read_all_lines(in, out, sizeof out);
    assert_string_equal(out, "1[a\r]2[]3[bb]4[last]");
    assert_int_equal(fmt_text_in_rewind(in, &e), TS_OK);
    read_all_lines(in, out, sizeof out);
    assert_string_equal(out, "1[a\r]2[]3[bb]4[last]");
    fmt_text_in_free(in);
}

static void test_line_cap(void **state)
{
    (void)state;
    fmt_text_in *in;
    ts_error e;
    ts_err_clear(&e);
    const char *txt = "short\n0123456789abc\n";
    assert_int_equal(fmt_text_in_mem(txt, strlen(txt), "cap.lp", &in, &e), TS_OK);
    fmt_text_in_set_max_line(in, 10);
    const char *l;
    size_t n;
    assert_int_equal(fmt_text_in_line(in, &l, &n, &e), TS_OK);
    assert_int_equal(fmt_text_in_line(in, &l, &n, &e), TS_ERR_LIMIT);
    assert_non_null(strstr(e.msg, "cap.lp:2: line is longer than the 10-byte limit"));
    fmt_text_in_free(in);
}

/* Compresses text through the writer into memory. */
static uint8_t *compress_text(const char *txt, fmt_compress c, size_t *len)
{
    ts_output *mem;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(ts_output_mem(&mem, &e), TS_OK);
    fmt_text_out *t;
    assert_int_equal(fmt_text_out_new(mem, c, &t, &e), TS_OK);
    /* many small writes, bigger than one internal chunk */
    size_t n = strlen(txt);
    for (size_t i = 0; i < n; i += 7)
        assert_int_equal(fmt_text_out_write(t, txt + i, n - i < 7 ? n - i : 7, &e), TS_OK);
    assert_int_equal(fmt_text_out_finish(t, &e), TS_OK);
    const uint8_t *d = ts_output_mem_data(mem, len);
    uint8_t *copy = malloc(*len);
    memcpy(copy, d, *len);
    fmt_text_out_free(t);
    return copy;
}

static char *big_text(size_t lines)
{
    char *s = malloc(lines * 32 + 1);
    size_t off = 0;
    for (size_t i = 0; i < lines; i++) off += (size_t)snprintf(s + off, 32, "line %zu\n", i);
    return s;
}

static void check_round_trip(fmt_compress c, const uint8_t magic0)
{
    char *txt = big_text(100000);
    size_t n;
    uint8_t *z = compress_text(txt, c, &n);
    assert_int_equal(z[0], magic0);
    assert_true(n < strlen(txt) / 3);
    fmt_text_in *in;
    ts_error e;
    ts_err_clear(&e);
    assert_int_equal(fmt_text_in_mem(z, n, "z", &in, &e), TS_OK);
    const char *l;
    size_t ln;
    size_t off = 0;
    for (;;) {
        assert_int_equal(fmt_text_in_line(in, &l, &ln, &e), TS_OK);
        if (!l) break;
        assert_memory_equal(l, txt + off, ln);
        off += ln + 1;
    }
    assert_int_equal(off, strlen(txt));
    /* truncated: a clear error, not a silent short read */
    fmt_text_in_free(in);
    assert_int_equal(fmt_text_in_mem(z, n - 9, "trunc", &in, &e), TS_OK);
    ts_status st;
    do st = fmt_text_in_line(in, &l, &ln, &e);
    while (st == TS_OK && l);
    assert_int_equal(st, TS_ERR_CORRUPT);
    assert_non_null(strstr(e.msg, "trunc"));
    fmt_text_in_free(in);
    free(z);
    free(txt);
}

static void test_gzip(void **state)
{
    (void)state;
    check_round_trip(FMT_COMP_GZIP, 0x1f);
}

static void test_zstd(void **state)
{
    (void)state;
    check_round_trip(FMT_COMP_ZSTD, 0x28);
}

static void test_gzip_members(void **state)
{
    (void)state;
    size_t n1, n2;
    uint8_t *a = compress_text("a\nb\n", FMT_COMP_GZIP, &n1);
    uint8_t *b = compress_text("c\n", FMT_COMP_GZIP, &n2);
    uint8_t *both = malloc(n1 + n2);
    memcpy(both, a, n1);
    memcpy(both + n1, b, n2);
    fmt_text_in *in;
    ts_error e;
    assert_int_equal(fmt_text_in_mem(both, n1 + n2, "cat", &in, &e), TS_OK);
    char out[64];
    read_all_lines(in, out, sizeof out);
    assert_string_equal(out, "1[a]2[b]3[c]");
    fmt_text_in_free(in);
    free(a);
    free(b);
    free(both);
}


/* ---- the threaded writer ---- */

static char *tmp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *d = malloc(4096);
    snprintf(d, 4096, "%s/tsa-tio-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(d));
    return d;
}

static size_t dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* Lines of varied length, several MB: crosses many 1 MiB blocks at odd offsets. */
static char *varied_text(size_t lines, size_t *len)
{
    char *s = malloc(lines * 96 + 1);
    size_t off = 0;
    for (size_t i = 0; i < lines; i++)
        off += (size_t)snprintf(s + off, 96, "m,t=%zu f=%zu.%zui %.*s\n", i % 97, i * 7919, i,
                                (int)(i % 41), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    *len = off;
    return s;
}

/* An atomic file output with compression c, on a worker thread if asked. */
static fmt_text_out *open_text_out(const char *path, fmt_compress c, bool threaded)
{
    ts_error e;
    ts_err_clear(&e);
    ts_output *o;
    assert_int_equal(fmt_output_open(path, &o, &e), TS_OK);
    fmt_text_out *t;
    assert_int_equal(fmt_text_out_new(o, c, &t, &e), TS_OK);
    if (threaded) assert_int_equal(fmt_text_out_start_thread(t, &e), TS_OK);
    return t;
}

/* Every compression and write pattern (tiny writes, a writer's 256 KiB
 * chunks, one call larger than all the blocks together, an exact multiple of
 * the block size) gives, through the worker thread and into an atomic file,
 * exactly the bytes written, and nothing under the name before finish. */
static void test_threaded_writer_files(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t n;
    char *txt = varied_text(120000, &n);
    const size_t patterns[] = {7, (size_t)256 << 10, n, (size_t)1 << 20};
    const fmt_compress comps[] = {FMT_COMP_NONE, FMT_COMP_GZIP, FMT_COMP_ZSTD};
    for (size_t ci = 0; ci < 3; ci++) {
        for (size_t pi = 0; pi < 4; pi++) {
            /* the last pattern writes exactly 5 MiB, a whole number of blocks */
            size_t total = pi == 3 ? (size_t)5 << 20 : n;
            assert_true(total <= n);
            char path[4200];
            snprintf(path, sizeof path, "%s/out-%zu-%zu.txt", dir, ci, pi);
            ts_error e;
            ts_err_clear(&e);
            fmt_text_out *t = open_text_out(path, comps[ci], true);
            for (size_t off = 0; off < total; off += patterns[pi]) {
                size_t k = total - off < patterns[pi] ? total - off : patterns[pi];
                assert_int_equal(fmt_text_out_write(t, txt + off, k, &e), TS_OK);
            }
            assert_int_equal(access(path, F_OK), -1);
            assert_int_equal(fmt_text_out_finish(t, &e), TS_OK);
            fmt_text_out_free(t);
            if (comps[ci] == FMT_COMP_NONE) {
                size_t got;
                uint8_t *b = slurp(path, &got);
                assert_int_equal(got, total);
                assert_memory_equal(b, txt, total);
                free(b);
            } else {
                fmt_text_in *in;
                assert_int_equal(fmt_text_in_open(path, false, &in, &e), TS_OK);
                size_t off = 0;
                const char *l;
                size_t ln;
                for (;;) {
                    assert_int_equal(fmt_text_in_line(in, &l, &ln, &e), TS_OK);
                    if (!l) break;
                    assert_true(off + ln <= total);
                    assert_memory_equal(l, txt + off, ln);
                    off += ln + 1;
                }
                /* the 5 MiB cut may end inside a line: the last line has no "\n" */
                assert_true(off == total || off == total + 1);
                fmt_text_in_free(in);
            }
            unlink(path);
        }
    }
    assert_int_equal(dir_entries(dir), 0);
    rmdir(dir);
    free(txt);
    free(dir);
}

/* Formatting in place (span + commit), mixed with plain writes, threaded or
 * not, with every compression: the file holds exactly the bytes, in order,
 * across block boundaries at odd offsets (pieces up to the promised 64 KiB). */
static void test_span_writer(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t n;
    char *txt = varied_text(120000, &n);
    const size_t pieces[] = {1, 100, 4093, (size_t)64 << 10, 17, (size_t)40 << 10, 3};
    const fmt_compress comps[] = {FMT_COMP_NONE, FMT_COMP_GZIP, FMT_COMP_ZSTD};
    for (size_t ci = 0; ci < 3; ci++) {
        for (int threaded = 0; threaded < 2; threaded++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/span-%zu-%d.txt", dir, ci, threaded);
            ts_error e;
            ts_err_clear(&e);
            fmt_text_out *t = open_text_out(path, comps[ci], threaded);
            size_t off = 0;
            for (size_t i = 0; off < n; i++) {
                size_t k = pieces[i % 7];
                if (k > n - off) k = n - off;
                if (i % 5 == 4) {
                    assert_int_equal(fmt_text_out_write(t, txt + off, k, &e), TS_OK);
                } else {
                    size_t room;
                    uint8_t *sp = fmt_text_out_span(t, &room);
                    assert_non_null(sp);
                    assert_true(room > ((size_t)64 << 10));
                    memcpy(sp, txt + off, k);
                    assert_int_equal(fmt_text_out_commit(t, k, &e), TS_OK);
                }
                off += k;
            }
            assert_int_equal(access(path, F_OK), -1);
            assert_int_equal(fmt_text_out_finish(t, &e), TS_OK);
            size_t room;
            assert_null(fmt_text_out_span(t, &room)); /* finished: no more spans */
            assert_int_equal(room, 0);
            fmt_text_out_free(t);
            size_t got;
            uint8_t *b;
            if (comps[ci] == FMT_COMP_NONE) {
                b = slurp(path, &got);
            } else {
                fmt_text_in *in;
                assert_int_equal(fmt_text_in_open(path, false, &in, &e), TS_OK);
                b = malloc(n + 1);
                got = 0;
                const char *l;
                size_t ln;
                for (;;) {
                    assert_int_equal(fmt_text_in_line(in, &l, &ln, &e), TS_OK);
                    if (!l) break;
                    assert_true(got + ln + 1 <= n);
                    memcpy(b + got, l, ln);
                    b[got + ln] = '\n';
                    got += ln + 1;
                }
                fmt_text_in_free(in);
            }
            assert_int_equal(got, n);
            assert_memory_equal(b, txt, n);
            free(b);
            unlink(path);
        }
    }
    assert_int_equal(dir_entries(dir), 0);
    rmdir(dir);
    free(txt);
    free(dir);
}

/* Given up before finish (an error upstream, an interrupt): the worker
 * stops, nothing appears under the name and no temp file is left. */
static void test_threaded_writer_abandoned(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t n;
    char *txt = varied_text(60000, &n);
    char path[4200];
    snprintf(path, sizeof path, "%s/abandoned.lp", dir);
    ts_error e;
    ts_err_clear(&e);
    fmt_text_out *t = open_text_out(path, FMT_COMP_NONE, true);
    assert_int_equal(fmt_text_out_write(t, txt, n, &e), TS_OK);
    fmt_text_out_free(t);
    assert_int_equal(dir_entries(dir), 0);
    rmdir(dir);
    free(txt);
    free(dir);
}

/* An output that fails after `budget` bytes, like a full disk. */
typedef struct failing_out {
    ts_output base;
    size_t budget;
    int aborts;
} failing_out;

static ts_status failing_write(ts_output *o, const void *p, size_t n, ts_error *err)
{
    (void)p;
    failing_out *f = (failing_out *)o;
    if (n > f->budget) return ts_err_set(err, TS_ERR_IO, "cannot write %s: No space left on device", o->name);
    f->budget -= n;
    return TS_OK;
}
static ts_status failing_commit(ts_output *o, ts_error *err)
{
    (void)o;
    (void)err;
    return TS_OK;
}
static void failing_abort(ts_output *o) { ((failing_out *)o)->aborts++; }
static void failing_close(ts_output *o) { (void)o; }
static const ts_output_ops failing_ops = {failing_write, failing_commit, failing_abort, failing_close};

/* The worker's write error comes back to the caller, from a later write or
 * from finish, with the output's own message; finish never reports success
 * and the output is aborted. */
static void test_threaded_writer_error(void **state)
{
    (void)state;
    for (int at_finish = 0; at_finish < 2; at_finish++) {
        static char name[] = "full.lp";
        failing_out fo = {.base = {.ops = &failing_ops, .name = name},
                          .budget = at_finish ? ((size_t)3 << 20) + 5 : (size_t)2 << 20};
        ts_error e;
        ts_err_clear(&e);
        fmt_text_out *t;
        assert_int_equal(fmt_text_out_new(&fo.base, FMT_COMP_NONE, &t, &e), TS_OK);
        assert_int_equal(fmt_text_out_start_thread(t, &e), TS_OK);
        static char chunk[64 << 10];
        memset(chunk, 'x', sizeof chunk);
        ts_status st = TS_OK;
        /* 3 MiB + 10 bytes: with a budget of 3 MiB + 5 only the last (partial) block fails */
        size_t total = at_finish ? ((size_t)3 << 20) + 10 : (size_t)16 << 20;
        for (size_t off = 0; off < total && st == TS_OK; off += sizeof chunk)
            st = fmt_text_out_write(t, chunk, total - off < sizeof chunk ? total - off : sizeof chunk, &e);
        if (at_finish) assert_int_equal(st, TS_OK);
        if (st == TS_OK) st = fmt_text_out_finish(t, &e);
        assert_int_equal(st, TS_ERR_IO);
        assert_non_null(strstr(e.msg, "No space left on device"));
        ts_err_clear(&e);
        assert_int_equal(fmt_text_out_finish(t, &e), TS_ERR_IO);
        fmt_text_out_free(t);
        assert_int_equal(fo.aborts, 1);
    }
}

static void test_registry(void **state)
{
    (void)state;
    fmt_compress c;
    assert_int_equal(fmt_kind_from_path("x/y.csv.gz", &c), FMT_CSV);
    assert_int_equal(c, FMT_COMP_GZIP);
    assert_int_equal(fmt_kind_from_path("a.LP.zst", &c), FMT_LP);
    assert_int_equal(c, FMT_COMP_ZSTD);
    assert_int_equal(fmt_kind_from_path("a.ndjson", &c), FMT_JSONL);
    assert_int_equal(fmt_kind_from_path("a.parquet", &c), FMT_PARQUET);
    assert_int_equal(fmt_kind_from_path("a.txt", &c), FMT_NONE);
    assert_int_equal(fmt_kind_parse("line"), FMT_LP);
    assert_int_equal(fmt_kind_sniff((const uint8_t *)"PAR1xxxx", 8), FMT_PARQUET);
    assert_int_equal(fmt_kind_sniff((const uint8_t *)"  {\"a\":1}", 9), FMT_JSONL);
    char b[64];
    assert_int_equal(fmt_double(0.1, b, sizeof b), 3);
    assert_string_equal(b, "0.1");
    int64_t v;
    assert_true(fmt_parse_i64("-9223372036854775808", 20, &v) && v == INT64_MIN);
    assert_false(fmt_parse_i64("9223372036854775808", 19, &v));
    assert_false(fmt_parse_i64("1x", 2, &v));
}

/* fmt_double writes exactly what Python's repr() writes. */
static void test_double_text_matches_python_repr(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof double_cases / sizeof double_cases[0]; i++) {
        double v;
        memcpy(&v, &double_cases[i].bits, sizeof v);
        char b[64];
        size_t n = fmt_double(v, b, sizeof b);
        if (strcmp(b, double_cases[i].repr) != 0)
            fprintf(stderr, "case %zu: want %s got %s\n", i, double_cases[i].repr, b);
        assert_string_equal(b, double_cases[i].repr);
        assert_int_equal(n, strlen(b));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_line_cap),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_gzip_members),
        cmocka_unit_test(test_threaded_writer_files),
        cmocka_unit_test(test_span_writer),
        cmocka_unit_test(test_threaded_writer_abandoned),
        cmocka_unit_test(test_threaded_writer_error),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_double_text_matches_python_repr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
