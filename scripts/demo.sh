#!/usr/bin/env bash
# Quick start: runs the main job on the embedded default and shows the result.
# Today: the bundled sample energy data (line protocol) → Parquet, then a look
# inside. Output goes to demo-out/ (removed and rebuilt on every run).
set -euo pipefail
bin=${1:-build/tsarchive}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/demo-out
rm -rf "$out" && mkdir -p "$out"
echo "== tsarchive convert samples/energy.lp demo-out/energy.parquet"
"$bin" convert "$root/samples/energy.lp" "$out/energy.parquet"
echo
echo "== tsarchive inspect demo-out/energy.parquet"
"$bin" inspect "$out/energy.parquet"
echo
echo "== tsarchive cat demo-out/energy.parquet --limit 5"
"$bin" cat "$out/energy.parquet" --limit 5
