#!/usr/bin/env bash
# Export benchmark: bulk-load a table into the Timestream emulator (default 2,000,000 rows over
# 3 months, 4 dimensions' worth of series, a multi-measure record with 3 measures), export it
# with tsarchive, and report rows/s and peak RSS; then write the same rows with DuckDB (ZSTD)
# for a size comparison. Usage: bench/export.sh [ROWS] [JOBS]   (env TSARCHIVE_BIN to override)
set -euo pipefail
rows="${1:-2000000}"
jobs="${2:-2}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${TSARCHIVE_BIN:-$repo/build/tsarchive}"
work="$(mktemp -d /tmp/tsa-bench-export.XXXXXX)"
trap 'kill "${emu_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "generating $rows rows of line protocol..." >&2
python3 - "$rows" "$work/data.lp" "$work/data.csv" <<'PY'
import sys
rows, lp, csv = int(sys.argv[1]), sys.argv[2], sys.argv[3]
start = 1704067200 * 10**9          # 2024-01-01
span = 90 * 86400 * 10**9           # 3 months
step = span // rows
with open(lp, "w") as f, open(csv, "w") as c:
    c.write("time_ns,host,site,measure_name,power,energy,status\n")
    for i in range(rows):
        t = start + i * step + (i % 7)            # some sub-microsecond digits
        host, site = "h%03d" % (i % 200), "s%d" % (i % 5)
        p, e, s = (i % 1000) * 0.37, i * 3, ("ok" if i % 13 else "warn")
        f.write('gen,host=%s,site=%s power=%r,energy=%di,status="%s" %d\n' % (host, site, p, e, s, t))
        c.write("%d,%s,%s,gen,%r,%d,%s\n" % (t, host, site, p, e, s))
PY

echo "loading into the emulator..." >&2
"$repo/tests/emulators/timestream" --port 0 --load "bench_db.gen=$work/data.lp" >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
for _ in $(seq 1 1200); do grep -q "listening on" "$work/emu.out" 2>/dev/null && break; sleep 0.5; done
url="$(sed -n 's/^listening on //p' "$work/emu.out" | head -1)"
[[ -n "$url" ]] || { echo "emulator did not start: $(tail -5 "$work/emu.err")" >&2; exit 1; }

export AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
unset PROJECT_NAME ENVIRONMENT
t0=$(date +%s.%N)
/usr/bin/time -v "$bin" export --from timestream:// --to "$work/arc" --jobs "$jobs" --json \
    >"$work/summary.json" 2>"$work/time.txt"
t1=$(date +%s.%N)
secs=$(echo "$t1 - $t0" | bc -l)
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
cpu_s=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$work/time.txt")
bytes=$(du -cb $(find "$work/arc" -name '*.parquet') | tail -1 | cut -f1)
echo "tsarchive export: rows=$rows jobs=$jobs seconds=$(printf %.1f "$secs") rows_per_s=$(printf %.0f "$(echo "$rows / $secs" | bc -l)") peak_rss_mb=$((rss_kb / 1024)) tsarchive_cpu_s=$cpu_s parquet_bytes=$bytes"
echo "(the emulator is Python/SQLite: with tsarchive_cpu_s far below seconds, the rate is the emulator's)"

# the same rows written by DuckDB (one file, ZSTD), for size comparison
node "$repo/tests/oracles/write_duckdb.mjs" --out "$work/duckdb.parquet" --csv "$work/data.csv" \
    --compression zstd >/dev/null
dbytes=$(stat -c %s "$work/duckdb.parquet")
echo "duckdb (zstd, same rows incl. time_ns): bytes=$dbytes ratio_tsarchive_to_duckdb=$(printf %.2f "$(echo "$bytes / $dbytes" | bc -l)")"
