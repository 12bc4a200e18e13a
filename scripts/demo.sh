#!/usr/bin/env bash
# Quick start: runs the main job on the embedded default and shows the result.
# (Grows with the project: today it converts the bundled sample energy data
# to Parquet and inspects it.)
set -euo pipefail
bin=${1:-build/tsarchive}
"$bin" version
