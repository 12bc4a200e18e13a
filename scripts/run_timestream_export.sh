#!/usr/bin/env bash
# The seed guide's export step: every Timestream database of this project and
# environment into s3://${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive/timestream-archive/.
# Reads ENVIRONMENT, PROJECT_NAME and AWS_REGION; extra arguments go to
# `tsarchive export` (e.g. --jobs 4, --to DIR, --database NAME). Re-running resumes.
set -euo pipefail

: "${ENVIRONMENT:?set ENVIRONMENT (e.g. dev)}"
: "${PROJECT_NAME:?set PROJECT_NAME (e.g. ons-data-platform)}"
: "${AWS_REGION:?set AWS_REGION (e.g. us-east-1)}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${TSARCHIVE_BIN:-}"
if [[ -z "$bin" ]]; then
    for cand in "$here/../build/tsarchive" "$(command -v tsarchive || true)"; do
        if [[ -n "$cand" && -x "$cand" ]]; then bin="$cand"; break; fi
    done
fi
if [[ -z "$bin" ]]; then
    echo "run_timestream_export.sh: tsarchive not found (build it with 'make' or set TSARCHIVE_BIN)" >&2
    exit 2
fi

echo "Exporting Timestream databases ${PROJECT_NAME}_${ENVIRONMENT}_* in ${AWS_REGION}" >&2
echo "  to s3://${PROJECT_NAME}-${ENVIRONMENT}-timestream-archive/timestream-archive/" >&2
# --to/--database given by the caller win over the defaults the binary derives
# from PROJECT_NAME and ENVIRONMENT.
exec "$bin" export --from "timestream://${AWS_REGION}" "$@"
