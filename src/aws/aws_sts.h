/* STS GetCallerIdentity: who the configured credentials are (for the audit
 * log and for messages), without needing any IAM permission. */
#ifndef AWS_AWS_STS_H
#define AWS_AWS_STS_H

#include <stddef.h>

#include "aws/aws.h"

typedef struct aws_identity {
    char account[32];
    char arn[512];
    char user_id[256];
} aws_identity;

ts_status aws_sts_caller_identity(aws_client *c, aws_identity *out, ts_error *err);

#endif
