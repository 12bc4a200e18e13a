/* AWS Lambda (restJson1, signing name "lambda", endpoint id LAMBDA): the
 * inventory and delete calls `tsarchive cleanup` needs — functions with
 * their versions, aliases and event source mappings, layers and their
 * versions. Every list follows every page; every delete is idempotent. */
#ifndef AWS_AWS_LAMBDA_H
#define AWS_AWS_LAMBDA_H

#include <stddef.h>
#include <stdint.h>

#include "aws/aws.h"
#include "aws/aws_svc.h"

/* Calls take the shared aws_client (borrowed), an optional aws_svc_info
 * (see aws_svc.h: error code, denied IAM action, already_gone) and err.
 * page_size: items asked per page (0 = the service's largest, 50); tests
 * use small values to exercise paging. Lists return an owned array (NULL
 * when empty or on failure, *n = 0 on failure) freed with the matching
 * _free function; all strings in it are owned by the array. */

typedef struct aws_lambda_function {
    char *name;        /* FunctionName */
    char *arn;         /* FunctionArn (unqualified) */
    char *role_arn;    /* Role: execution role ARN ("" if absent) */
    char **layer_arns; /* Layers[].Arn: layer *version* ARNs ("...:layer:NAME:VER") */
    size_t nlayers;
    char *log_group;   /* LoggingConfig.LogGroup, else "/aws/lambda/<name>" */
    char *runtime;     /* Runtime ("" for container images) */
} aws_lambda_function;

/* ListFunctions (GET /2015-03-31/functions, all pages, $LATEST of each
 * function), in the order the service returns them. IAM action
 * lambda:ListFunctions. */
ts_status aws_lambda_list_functions(aws_client *c, unsigned page_size, aws_lambda_function **out,
                                    size_t *n, aws_svc_info *info, ts_error *err);
void aws_lambda_functions_free(aws_lambda_function *f, size_t n);

typedef struct aws_lambda_mapping {
    char *uuid;             /* UUID: what DeleteEventSourceMapping takes */
    char *arn;              /* EventSourceMappingArn ("" when the service gives none) */
    char *function_arn;     /* FunctionArn */
    char *event_source_arn; /* EventSourceArn (SQS queue, Kinesis stream...; "" if none) */
    char *state;            /* State: Enabled, Disabled, Creating, Deleting, ... */
} aws_lambda_mapping;

/* ListEventSourceMappings for one function (name or ARN; NULL = every
 * mapping of the account/region), all pages. A function that does not
 * exist gives an empty list (info->already_gone set on services that say
 * so). IAM action lambda:ListEventSourceMappings. */
ts_status aws_lambda_list_event_source_mappings(aws_client *c, const char *function,
                                                unsigned page_size, aws_lambda_mapping **out,
                                                size_t *n, aws_svc_info *info, ts_error *err);
void aws_lambda_mappings_free(aws_lambda_mapping *m, size_t n);

typedef struct aws_lambda_alias {
    char *name;             /* Name */
    char *arn;              /* AliasArn */
    char *function_version; /* FunctionVersion it points to */
} aws_lambda_alias;

/* ListAliases of a function, all pages; a missing function gives an empty
 * list with info->already_gone. IAM action lambda:ListAliases. */
ts_status aws_lambda_list_aliases(aws_client *c, const char *function, unsigned page_size,
                                  aws_lambda_alias **out, size_t *n, aws_svc_info *info,
                                  ts_error *err);
void aws_lambda_aliases_free(aws_lambda_alias *a, size_t n);

typedef struct aws_lambda_version {
    char *version; /* "$LATEST", "1", "2", ... */
    char *arn;     /* FunctionArn of that version (qualified except $LATEST on some services) */
} aws_lambda_version;

/* ListVersionsByFunction, all pages ($LATEST included, as the service
 * returns it); a missing function gives an empty list with
 * info->already_gone. IAM action lambda:ListVersionsByFunction. */
ts_status aws_lambda_list_versions(aws_client *c, const char *function, unsigned page_size,
                                   aws_lambda_version **out, size_t *n, aws_svc_info *info,
                                   ts_error *err);
void aws_lambda_versions_free(aws_lambda_version *v, size_t n);

/* DeleteEventSourceMapping (DELETE /2015-03-31/event-source-mappings/UUID).
 * The service deletes asynchronously (state "Deleting"); a mapping that does
 * not exist is TS_OK with info->already_gone. IAM action
 * lambda:DeleteEventSourceMapping. */
ts_status aws_lambda_delete_event_source_mapping(aws_client *c, const char *uuid,
                                                 aws_svc_info *info, ts_error *err);

/* DeleteFunction: name or ARN; qualifier NULL deletes the function with all
 * its versions and aliases (what cleanup wants), else only that version.
 * Does not delete the function's log group. Missing → TS_OK with
 * info->already_gone. IAM action lambda:DeleteFunction. */
ts_status aws_lambda_delete_function(aws_client *c, const char *function, const char *qualifier,
                                     aws_svc_info *info, ts_error *err);

typedef struct aws_lambda_layer {
    char *name;               /* LayerName */
    char *arn;                /* LayerArn (no version) */
    char *latest_version_arn; /* LatestMatchingVersion.LayerVersionArn ("" if none) */
    int64_t latest_version;   /* LatestMatchingVersion.Version (0 if none) */
} aws_lambda_layer;

/* ListLayers (GET /2018-10-31/layers), all pages. IAM action
 * lambda:ListLayers. */
ts_status aws_lambda_list_layers(aws_client *c, unsigned page_size, aws_lambda_layer **out,
                                 size_t *n, aws_svc_info *info, ts_error *err);
void aws_lambda_layers_free(aws_lambda_layer *l, size_t n);

typedef struct aws_lambda_layer_version {
    char *arn;       /* LayerVersionArn */
    int64_t version; /* Version */
} aws_lambda_layer_version;

/* ListLayerVersions of one layer (name or layer ARN), all pages, as the
 * service orders them (newest first on AWS). A layer that does not exist
 * gives an empty list. IAM action lambda:ListLayerVersions. */
ts_status aws_lambda_list_layer_versions(aws_client *c, const char *layer, unsigned page_size,
                                         aws_lambda_layer_version **out, size_t *n,
                                         aws_svc_info *info, ts_error *err);
void aws_lambda_layer_versions_free(aws_lambda_layer_version *v, size_t n);

/* DeleteLayerVersion (layer name or ARN, version number). Functions using
 * the version keep their copy; the layer disappears with its last version.
 * Missing → TS_OK with info->already_gone (AWS itself answers 204 for a
 * missing version). IAM action lambda:DeleteLayerVersion. */
ts_status aws_lambda_delete_layer_version(aws_client *c, const char *layer, int64_t version,
                                          aws_svc_info *info, ts_error *err);

/* Splits a layer version ARN "arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VER"
 * into the layer ARN (without ":VER"), the name and the version. Any out
 * may be NULL. TS_ERR_CORRUPT (naming the ARN) when it is not one; buffers
 * too small → TS_ERR_LIMIT. */
ts_status aws_lambda_layer_arn_parse(const char *version_arn, char *layer_arn, size_t layer_arn_sz,
                                     char *name, size_t name_sz, int64_t *version, ts_error *err);

#endif
