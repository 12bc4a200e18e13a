/* Fuzz target: service responses — the XML tree (S3, IAM) and the error
 * reader (JSON __type, XML <Error>) must never crash or over-allocate. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/aws.h"
#include "aws/aws_xml.h"
#include "core/ts_buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    aws_xml_node *root = NULL;
    ts_error e;
    ts_err_clear(&e);
    if (aws_xml_parse((const char *)data, size, &root, &e) == TS_OK) {
        (void)aws_xml_path_text(root, "Contents/Key");
        for (aws_xml_node *n = root->first; n; n = n->next) (void)aws_xml_child_text(n, "Size");
        aws_xml_free(root);
    }
    http_response r;
    memset(&r, 0, sizeof r);
    ts_buf_init(&r.body, TS_MAX_HTTP_BODY);
    if (ts_buf_append(&r.body, data, size) == TS_OK) {
        char code[AWS_ERR_CODE_MAX], msg[256];
        r.status = 400;
        aws_error_parse(&r, AWS_PROTO_JSON, code, sizeof code, msg, sizeof msg);
        aws_error_parse(&r, AWS_PROTO_XML, code, sizeof code, msg, sizeof msg);
        (void)aws_error_status(r.status, code);
    }
    ts_buf_free(&r.body);
    return 0;
}
