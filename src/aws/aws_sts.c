/* aws_sts_caller_identity over the awsQuery protocol. */
#include "aws/aws_sts.h"

#include <stdio.h>
#include <string.h>

#include "aws/aws_query.h"
#include "core/ts_alloc.h"

ts_status aws_sts_caller_identity(aws_client *c, aws_identity *out, ts_error *err)
{
    memset(out, 0, sizeof *out);
    char *ep;
    TS_TRY(aws_endpoint(aws_client_config(c), "STS", &ep, NULL, err));
    aws_xml_node *doc = NULL;
    ts_status st = aws_query_call(c, ep, "sts", NULL, "GetCallerIdentity", "2011-06-15", NULL, 0,
                                  &doc, NULL, err);
    ts_free(ep);
    if (st != TS_OK) return st;
    const aws_xml_node *r = aws_query_result(doc, "GetCallerIdentity");
    const char *arn = aws_xml_child_text(r, "Arn");
    if (!arn) {
        aws_xml_free(doc);
        return ts_err_set(err, TS_ERR_CORRUPT, "sts GetCallerIdentity: no Arn in the response");
    }
    const char *acct = aws_xml_child_text(r, "Account");
    const char *uid = aws_xml_child_text(r, "UserId");
    snprintf(out->arn, sizeof out->arn, "%s", arn);
    snprintf(out->account, sizeof out->account, "%s", acct ? acct : "");
    snprintf(out->user_id, sizeof out->user_id, "%s", uid ? uid : "");
    aws_xml_free(doc);
    return TS_OK;
}
