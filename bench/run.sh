#!/usr/bin/env bash
# Runs every benchmark script in bench/ (each compares tsarchive with DuckDB
# on the same data in the same run and prints ratios). Data goes to a scratch
# directory (BENCH_DIR, default a temp dir) that is removed afterwards.
set -euo pipefail
bin=$(realpath "${1:-build/tsarchive}")
here=$(cd "$(dirname "$0")" && pwd)
export TSARCHIVE_BIN=$bin
export BENCH_DIR=${BENCH_DIR:-$(mktemp -d)}
trap 'rm -rf "$BENCH_DIR"' EXIT
shopt -s nullglob
for s in "$here"/*.sh; do
  [ "$(basename "$s")" = run.sh ] && continue
  echo "=== $(basename "$s")"
  bash "$s" || echo "benchmark $(basename "$s") failed (exit $?)"
done
