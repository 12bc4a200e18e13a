/* One paging loop for every list call of the cleanup services (aws_iam_,
 * aws_lambda_, aws_logs_, aws_cw_, aws_tsa_): page size and continuation
 * token into the request, the list out of the answer, the token followed to
 * the end under a page cap, a repeated token refused. */
#ifndef AWS_AWS_PAGE_H
#define AWS_AWS_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws/aws_query.h"
#include "aws/aws_svc.h"
#include "aws/aws_xml.h"

#define AWS_PAGE_MAX_PAGES 100000u

/* Where a service wants the page size and the token, and how it answers. */
typedef enum aws_page_proto {
    AWS_PAGE_JSON,  /* awsJson (Logs, Timestream): fields of the JSON body, JSON answer */
    AWS_PAGE_REST,  /* restJson1 GET (Lambda): query-string values, JSON answer */
    AWS_PAGE_QUERY, /* awsQuery (IAM, CloudWatch): form parameters, XML <OpResult> */
} aws_page_proto;

/* One request: only the member of the style's protocol is used. As the
 * fixed part of a list call (aws_page_run.base) it holds what every page
 * sends; the pager passes the call function a copy with size and token added.
 * Nothing here is owned by the struct. */
typedef struct aws_page_req {
    json_t *body;            /* AWS_PAGE_JSON: the body's fixed fields, NULL = none */
    const char *path_query;  /* AWS_PAGE_REST: "/path" or "/path?k=v" (encoded) */
    const aws_param *params; /* AWS_PAGE_QUERY */
    size_t nparams;
} aws_page_req;

/* One page's answer, set by the call function and freed by the pager:
 * json for the JSON protocols, xml (the whole document) for awsQuery. */
typedef struct aws_page_ans {
    json_t *json;
    aws_xml_node *xml;
} aws_page_ans;

/* Makes one call of operation op, as the service's own calls do: on a
 * failure it fills info and returns TS_ERR_NOT_FOUND for the services'
 * not-found codes (aws_svc_outcome). ctx is aws_page_run.call_ctx. */
typedef ts_status (*aws_page_call_fn)(void *ctx, const char *op, const aws_page_req *rq,
                                      aws_page_ans *ans, aws_svc_info *info, ts_error *err);
/* One element of the JSON list (always an object). */
typedef ts_status (*aws_page_json_fn)(void *ctx, const json_t *item, ts_error *err);
/* One <member> of the XML list, or the whole <OpResult> when the
 * description names no list. */
typedef ts_status (*aws_page_xml_fn)(void *ctx, const aws_xml_node *node, ts_error *err);

/* How one service pages; the same for all its list calls. */
typedef struct aws_page_style {
    const char *service;     /* in messages: "iam", "lambda", ... */
    aws_page_proto proto;
    aws_page_call_fn call;
    const char *size_field;  /* "MaxItems", "limit", ... */
    unsigned size_default;   /* for page_size 0 */
    unsigned size_max;       /* larger page sizes are cut to this; 0 = no cap */
    const char *token_in;    /* request: "Marker", "nextToken", ... */
    const char *token_out;   /* answer: "Marker", "NextMarker", ... ("" = the end) */
    const char *truncated;   /* awsQuery: token_out counts only when this is "true"
                                (IAM's IsTruncated), and must then be there; NULL = none */
    unsigned max_pages;      /* 0 = AWS_PAGE_MAX_PAGES */
} aws_page_style;

/* One list operation: a const per call site. */
typedef struct aws_page_desc {
    const aws_page_style *style;
    const char *op;           /* "ListRoles"; awsQuery answers in <ListRolesResult> */
    const char *list;         /* the array (JSON) or member list (XML) to walk */
    aws_page_json_fn json_item;
    aws_page_xml_fn xml_item; /* list NULL: called once per page with the result */
} aws_page_desc;

/* The run-time part of one list call. */
typedef struct aws_page_run {
    void *call_ctx;          /* for style->call: the aws_client, the aws_tsa, ... */
    aws_page_req base;       /* what every page sends besides size and token */
    unsigned page_size;      /* 0 = style->size_default */
    bool parent_may_vanish;  /* not-found on the first page: an empty list, TS_OK and
                                info->already_gone (the role, function, ... is gone) */
    void *item_ctx;          /* for the item functions */
} aws_page_run;

/* Every page of d: the item function for each element, in order, until the
 * answer has no token. Fills info as aws_svc_info says (cleared first). A
 * failed call returns its status (TS_ERR_NOT_FOUND becomes TS_ERR_REMOTE,
 * except as parent_may_vanish says); a missing result, a list that is not a
 * list, an element that is not an object, a truncated answer without a
 * token or the same token twice → TS_ERR_CORRUPT; more than max_pages →
 * TS_ERR_LIMIT; an item function's failure stops the walk and is returned.
 * Items delivered before a failure stay delivered: the caller frees them. */
ts_status aws_page_list(const aws_page_desc *d, const aws_page_run *run, aws_svc_info *info,
                        ts_error *err);

/* The growable array a list call collects into (zeroed past n). */
typedef struct aws_page_vec {
    void *items;
    size_t n, cap;
} aws_page_vec;

/* Appends one zeroed element of elem bytes and returns it; NULL (err set,
 * TS_ERR_NOMEM) when out of memory. */
void *aws_page_vec_push(aws_page_vec *v, size_t elem, ts_error *err);

/* Appends an owned copy of s to a vec of char *. */
ts_status aws_page_vec_push_str(aws_page_vec *v, const char *s, ts_error *err);

#endif
