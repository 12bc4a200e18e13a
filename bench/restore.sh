#!/usr/bin/env bash
# Restore throughput: tsarchive restore into a real InfluxDB 1.x server vs curl posting the same
# pre-encoded, pre-gzipped line protocol with the same batch size and concurrency (same run).
# BENCH_POINTS (default 5000000) and BENCH_BUDGET (seconds curl may take before the benchmark
# falls back to 1M points, default 300) bound it. See bench/restore_bench.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${TSARCHIVE_BIN:-$here/../build/tsarchive}
exec python3 "$here/restore_bench.py" --bin "$bin" "$@"
