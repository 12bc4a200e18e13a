/* Capped XML → small tree, for S3 and Query-protocol responses. */
#include "aws/aws_xml.h"

#include <string.h>

#include <expat.h>

#include "core/ts_alloc.h"
#include "core/ts_buf.h"

typedef struct builder {
    XML_Parser p;
    aws_xml_node *root;
    aws_xml_node *stack[AWS_XML_MAX_DEPTH];
    aws_xml_node *last_child[AWS_XML_MAX_DEPTH];
    ts_buf text[AWS_XML_MAX_DEPTH];
    int depth;
    size_t nodes;
    ts_status st;
} builder;

static void node_free(aws_xml_node *n)
{
    while (n) {
        aws_xml_node *next = n->next;
        node_free(n->first);
        ts_free(n->name);
        ts_free(n->text);
        ts_free(n);
        n = next;
    }
}

void aws_xml_free(aws_xml_node *root) { node_free(root); }

static void fail(builder *b, ts_status st)
{
    if (b->st == TS_OK) b->st = st;
    XML_StopParser(b->p, XML_FALSE);
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    (void)atts;
    builder *b = ud;
    if (b->st != TS_OK) return;
    if (b->depth >= AWS_XML_MAX_DEPTH || ++b->nodes > AWS_XML_MAX_NODES) {
        fail(b, TS_ERR_LIMIT);
        return;
    }
    aws_xml_node *n = ts_calloc(1, sizeof *n);
    if (!n || !(n->name = ts_strdup(name))) {
        ts_free(n);
        fail(b, TS_ERR_NOMEM);
        return;
    }
    if (b->depth == 0) {
        if (b->root) { /* a second root cannot happen with expat; be safe */
            node_free(n);
            fail(b, TS_ERR_CORRUPT);
            return;
        }
        b->root = n;
    } else {
        aws_xml_node *parent = b->stack[b->depth - 1];
        if (b->last_child[b->depth - 1]) b->last_child[b->depth - 1]->next = n;
        else parent->first = n;
        b->last_child[b->depth - 1] = n;
    }
    b->stack[b->depth] = n;
    b->last_child[b->depth] = NULL;
    ts_buf_init(&b->text[b->depth], (size_t)1 << 20);
    b->depth++;
}

static void on_end(void *ud, const XML_Char *name)
{
    (void)name;
    builder *b = ud;
    if (b->st != TS_OK || b->depth == 0) return;
    b->depth--;
    ts_buf *t = &b->text[b->depth];
    aws_xml_node *n = b->stack[b->depth];
    n->text = ts_strndup(t->data ? (const char *)t->data : "", t->len);
    ts_buf_free(t);
    if (!n->text) fail(b, TS_ERR_NOMEM);
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    builder *b = ud;
    if (b->st != TS_OK || b->depth == 0) return;
    ts_status st = ts_buf_append(&b->text[b->depth - 1], s, (size_t)len);
    if (st != TS_OK) fail(b, st);
}

ts_status aws_xml_parse(const char *data, size_t len, aws_xml_node **root, ts_error *err)
{
    *root = NULL;
    builder b = {0};
    b.p = XML_ParserCreate("UTF-8");
    if (!b.p) return ts_err_set(err, TS_ERR_NOMEM, "out of memory");
    XML_SetUserData(b.p, &b);
    XML_SetElementHandler(b.p, on_start, on_end);
    XML_SetCharacterDataHandler(b.p, on_text);
    ts_status st = TS_OK;
    if (len > (size_t)1 << 30) {
        st = ts_err_set(err, TS_ERR_LIMIT, "XML document too large (%zu bytes)", len);
    } else if (XML_Parse(b.p, data, (int)len, XML_TRUE) != XML_STATUS_OK || b.st != TS_OK) {
        if (b.st == TS_ERR_LIMIT)
            st = ts_err_set(err, TS_ERR_LIMIT, "XML response nests deeper than %d or has more "
                            "than %d elements", AWS_XML_MAX_DEPTH, AWS_XML_MAX_NODES);
        else if (b.st != TS_OK)
            st = ts_err_set(err, b.st, "out of memory parsing XML");
        else
            st = ts_err_set(err, TS_ERR_CORRUPT, "malformed XML at line %lu: %s",
                            (unsigned long)XML_GetCurrentLineNumber(b.p),
                            XML_ErrorString(XML_GetErrorCode(b.p)));
    } else if (!b.root) {
        st = ts_err_set(err, TS_ERR_CORRUPT, "empty XML document");
    }
    for (int i = 0; i < b.depth; i++) ts_buf_free(&b.text[i]);
    XML_ParserFree(b.p);
    if (st != TS_OK) {
        node_free(b.root);
        return st;
    }
    *root = b.root;
    return TS_OK;
}

aws_xml_node *aws_xml_child(const aws_xml_node *n, const char *name)
{
    if (!n) return NULL;
    for (aws_xml_node *c = n->first; c; c = c->next)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

const char *aws_xml_child_text(const aws_xml_node *n, const char *name)
{
    aws_xml_node *c = aws_xml_child(n, name);
    return c ? c->text : NULL;
}

const char *aws_xml_path_text(const aws_xml_node *n, const char *path)
{
    char seg[128];
    const aws_xml_node *cur = n;
    while (cur && *path) {
        size_t l = strcspn(path, "/");
        if (l >= sizeof seg) return NULL;
        memcpy(seg, path, l);
        seg[l] = '\0';
        cur = aws_xml_child(cur, seg);
        path += l;
        if (*path == '/') path++;
    }
    return cur ? cur->text : NULL;
}
