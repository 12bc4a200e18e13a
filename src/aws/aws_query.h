/* The awsQuery protocol (IAM, CloudWatch classic, STS): form-encoded POST,
 * XML answer. */
#ifndef AWS_AWS_QUERY_H
#define AWS_AWS_QUERY_H

#include <stddef.h>

#include "aws/aws.h"
#include "aws/aws_xml.h"

typedef struct aws_param {
    const char *name;  /* "RoleName", "AlarmNames.member.1", ... */
    const char *value; /* plain text; encoded by the call */
} aws_param;

/* POST / to endpoint_url with Action, Version and params, signed for
 * signing_service in signing_region (NULL = the configured region; IAM's
 * global endpoint wants "us-east-1"), retried like every call. *out is the
 * response document (<ActionResponse><ActionResult>...), free it with
 * aws_xml_free. Errors read "service Action: Code: message" (TS_ERR_AUTH for
 * denied/unknown credentials, else TS_ERR_REMOTE); err_code_out (optional,
 * AWS_ERR_CODE_MAX bytes) gets the code, e.g. "NoSuchEntity". */
ts_status aws_query_call(aws_client *c, const char *endpoint_url, const char *signing_service,
                         const char *signing_region, const char *action, const char *version,
                         const aws_param *params, size_t nparams, aws_xml_node **out,
                         char *err_code_out, ts_error *err);

/* The <ActionResult> element of a response document, or NULL. */
const aws_xml_node *aws_query_result(const aws_xml_node *doc, const char *action);

#endif
