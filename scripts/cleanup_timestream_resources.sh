#!/usr/bin/env bash
# The seed guide's cleanup step: every Timestream resource of this project and
# environment (databases and tables, the timestream Lambda functions and their
# layers, IAM roles and policies, log groups, alarms), dry run by default.
#   DRY_RUN=true  (default) print the plan; nothing is deleted
#   DRY_RUN=false delete it; tables only when the archive covers them
# Reads ENVIRONMENT, PROJECT_NAME and AWS_REGION. The archive defaults to
# s3://${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive (ARCHIVE=ROOT to
# change, ARCHIVE= to go without: then every table is kept). Extra arguments
# go to `tsarchive cleanup` (e.g. --json, --match KIND=GLOB, --rate all=2).
set -euo pipefail

: "${ENVIRONMENT:?set ENVIRONMENT (e.g. dev)}"
: "${PROJECT_NAME:?set PROJECT_NAME (e.g. ons-data-platform)}"
: "${AWS_REGION:?set AWS_REGION (e.g. us-east-1)}"
DRY_RUN="${DRY_RUN:-true}"
ARCHIVE="${ARCHIVE-s3://${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${TSARCHIVE_BIN:-}"
if [[ -z "$bin" ]]; then
    for cand in "$here/../build/tsarchive" "$(command -v tsarchive || true)"; do
        if [[ -n "$cand" && -x "$cand" ]]; then bin="$cand"; break; fi
    done
fi
if [[ -z "$bin" ]]; then
    echo "cleanup_timestream_resources.sh: tsarchive not found (build it with 'make' or set TSARCHIVE_BIN)" >&2
    exit 2
fi

args=(cleanup --project "$PROJECT_NAME" --environment "$ENVIRONMENT" --region "$AWS_REGION")
if [[ -n "$ARCHIVE" ]]; then args+=(--archive "$ARCHIVE"); fi
case "$DRY_RUN" in
    true|TRUE|True|1|yes)
        echo "DRY RUN: listing Timestream resources of ${PROJECT_NAME}/${ENVIRONMENT} in ${AWS_REGION}; nothing is deleted" >&2
        ;;
    false|FALSE|False|0|no)
        echo "Deleting Timestream resources of ${PROJECT_NAME}/${ENVIRONMENT} in ${AWS_REGION}" >&2
        args+=(--apply)
        ;;
    *)
        echo "cleanup_timestream_resources.sh: DRY_RUN must be true or false (got '$DRY_RUN')" >&2
        exit 2
        ;;
esac
exec "$bin" "${args[@]}" "$@"
