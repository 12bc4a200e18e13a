#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, from its seed
# corpus (fuzz/corpus/<name>) into a scratch copy, so runs never grow the repo.
set -euo pipefail
build=$(realpath "${1:?build dir}")
secs=${2:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
status=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); short=${name#fuzz_}
  work=$(mktemp -d)
  [ -d "$root/fuzz/corpus/$short" ] && cp -r "$root/fuzz/corpus/$short/." "$work/" 2>/dev/null || true
  echo "fuzz: $short for ${secs}s"
  if ! (cd "$work" && "$bin" -max_total_time="$secs" -max_len=1048576 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=0 . > "$work/log" 2>&1); then
    echo "fuzz: $short FAILED"; tail -40 "$work/log"
    mkdir -p "$root/fuzz/crashes/$short"; cp "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$root/fuzz/crashes/$short/" 2>/dev/null || true
    status=1
  else
    grep -E "^#[0-9]+.*DONE" "$work/log" | tail -1 || true
  fi
  rm -rf "$work"
done
exit $status
