/* Internals shared by the report's renderers: one walker over the model
 * (arc_report_walk.c) that writes through a format's const table of emitters
 * (arc_report_html.c, arc_report_md.c), a sticky-status writer, and readers
 * of the model's fields that tolerate absence. */
#ifndef ARC_REPORT_INT_H
#define ARC_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ts_buf.h"

typedef struct arc_report_fmt arc_report_fmt;

/* How a key/value table's rows are laid out in HTML (the page's bytes are
 * kept as they were; Markdown ignores it). */
typedef enum rw_kv_style {
    RW_KV_NL,    /* "<table>\n", every row ends with a newline */
    RW_KV_FLAT,  /* "<table><tr>", every row ends with a newline */
    RW_KV_TIGHT, /* "<table><tr>", rows separated by newlines, none after the last */
} rw_kv_style;

typedef struct rw {
    ts_buf *b;
    ts_status st; /* the first failure; later writes are skipped */
    const arc_report_fmt *f;
    rw_kv_style kv_style; /* of the open key/value table */
    size_t kv_rows;       /* rows written in it */
} rw;

/* A format: its escaping, its fixed markup, and emitters for what needs
 * more than a fixed string. The walker writes every model string through
 * esc; a NULL string is written as nothing. */
struct arc_report_fmt {
    const char *name; /* "HTML", "Markdown": for the out-of-memory message */
    ts_status (*esc)(ts_buf *out, const char *s);
    /* Whether the format shows the page's extra detail (status marks, the
     * chart, captions, a few longer phrasings): the HTML page does, the
     * Markdown record keeps to the plainer wording it has always had. */
    bool detail;

    /* inline markup, open and close */
    const char *em[2];     /* emphasis: an absent value's stand-in */
    const char *strong[2]; /* a verdict or a problem */
    const char *tt[2];     /* a run of text set as code in HTML, plain in Markdown */
    const char *bad[2];    /* a count that is a problem */
    const char *br;        /* a line break inside a table cell */

    /* blocks */
    void (*front)(rw *w, const json_t *m); /* the document's head */
    void (*back)(rw *w, const json_t *m);  /* and its foot */
    void (*section)(rw *w, const char *id, const char *title);
    const char *section_end;
    void (*heading)(rw *w, int level); /* open a heading of level 3 or 4 */
    const char *heading_end;
    const char *para[2];
    void (*box)(rw *w, bool good); /* open the summary's verdict */
    const char *box_end;
    const char *group[2];    /* one archived table's block */
    const char *fold[3];     /* a collapsed table: open, caption end, table and fold end */
    const char *list[2];     /* the report's findings */
    void (*item)(rw *w, const char *cls);
    const char *item_end;

    /* key/value tables */
    void (*kv_begin)(rw *w, rw_kv_style style);
    void (*kv_row)(rw *w, const char *key, const char *cls); /* cls: the value cell's class or NULL */
    void (*kv_row_end)(rw *w);
    const char *kv_end;

    /* tables: heads is NULL-terminated; a head that starts with '#' is a
     * right-aligned number column (the '#' is not shown) */
    void (*table_begin)(rw *w, const char *cls, const char *const *heads);
    void (*cell)(rw *w, size_t i, const char *cls); /* open cell i (0 opens the row) */
    const char *row_end;
    const char *table_end;

    /* values */
    void (*mark)(rw *w, int state); /* 1 ok, 0 problem, -1 warning or absent */
    void (*code)(rw *w, const char *s);      /* a key, path or name as code */
    void (*hash)(rw *w, const char *s);      /* a hash inside text */
    void (*cell_hash)(rw *w, const char *s); /* a hash that fills a cell of class "hash" */
    void (*values)(rw *w, const json_t *a);  /* a JSON array as a list */
    /* The per-month records of a table as a chart, or NULL: the walker then
     * writes them as a table. */
    void (*chart)(rw *w, const json_t *table);
};

/* Renders the whole model in format f into out. */
ts_status arc_report_render(const arc_report_fmt *f, const json_t *m, ts_buf *out, ts_error *err);

/* Writers shared by the walker and the formats' emitters. */
void rw_raw(rw *w, const char *s);               /* as is */
void rw_rawf(rw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rw_esc(rw *w, const char *s);               /* escaped */
void rw_escf(rw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A string field escaped; when absent "-" as is, or `absent` emphasised. */
void rw_field(rw *w, const json_t *o, const char *k, const char *absent);
void rw_num(rw *w, const json_t *o, const char *k); /* "1,234" */
/* "1 file" / "3 files" */
void rw_numw(rw *w, const json_t *o, const char *k, const char *one, const char *many);
void rw_bytes(rw *w, uint64_t v);                /* "50.8 kB (50,801 bytes)" */
void rw_yesno(rw *w, const json_t *o, const char *k); /* yes / no / unknown */
void rw_optnum(rw *w, const json_t *o, const char *k); /* the integer or "-" */
void rw_kv_inline(rw *w, const json_t *o);       /* "k=v, k2=v2" escaped */

/* A string field or NULL. */
static inline const char *rs(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* An unsigned integer field, 0 when absent or negative. */
static inline uint64_t ru(const json_t *o, const char *k)
{
    json_int_t v = json_integer_value(json_object_get(o, k));
    return v > 0 ? (uint64_t)v : 0;
}

static inline bool rb(const json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

#endif
