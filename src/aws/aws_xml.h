/* A small capped XML tree (expat) for S3 and Query-protocol responses:
 * elements with text, children in order; no attributes or namespaces kept. */
#ifndef AWS_AWS_XML_H
#define AWS_AWS_XML_H

#include <stddef.h>

#include "core/ts_error.h"

typedef struct aws_xml_node aws_xml_node;
struct aws_xml_node {
    char *name;            /* element name as written (prefix kept, if any) */
    char *text;            /* concatenated character data ("" if none) */
    aws_xml_node *first;   /* first child */
    aws_xml_node *next;    /* next sibling */
};

#define AWS_XML_MAX_NODES 200000
#define AWS_XML_MAX_DEPTH 32

/* Parses a whole document; TS_ERR_CORRUPT with the line on bad XML,
 * TS_ERR_LIMIT past the node/depth caps. Free with aws_xml_free. */
ts_status aws_xml_parse(const char *data, size_t len, aws_xml_node **root, ts_error *err);
void aws_xml_free(aws_xml_node *root);
/* First child named name (exact), or NULL. */
aws_xml_node *aws_xml_child(const aws_xml_node *n, const char *name);
/* Text of the first child named name, or NULL. */
const char *aws_xml_child_text(const aws_xml_node *n, const char *name);
/* Text of a descendant by a '/'-separated path of child names, or NULL. */
const char *aws_xml_path_text(const aws_xml_node *n, const char *path);

#endif
