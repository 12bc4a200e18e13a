#!/bin/sh
# Parquet read benchmark: our reader vs DuckDB reading every column of the same 5-million-row
# "energy" table (time, region, plant_id, source, generation_mw, capacity_factor, online),
# written by DuckDB (the rows bench/pq_write.sh uses), per codec. Measures wall time and peak
# RSS (/usr/bin/time -v; DuckDB runs inside node, whose own baseline RSS is shown too) of:
#   ours-lib  bench/bench_pq_read.c: every value of every batch folded into a checksum
#   ours-cat  tsarchive cat FILE > /dev/null (canonical JSON Lines text; formatting dominates)
#   duckdb    SELECT sum(hash(t)) FROM read_parquet(FILE) t   (all threads, and threads=1)
#
# usage: bench/pq_read.sh [ROWS] [CODECS...]   (from the repository root, after a build;
#        defaults 5000000 zstd snappy; BUILD=build-dir, OUT=dir for the files)
set -eu
ROWS=${1:-5000000}
[ $# -gt 0 ] && shift
CODECS=${*:-zstd snappy}
BUILD=${BUILD:-build}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tsarchive-bench.XXXXXX")}
[ -f "$BUILD/libtsa.a" ] || { echo "build first: cmake --build $BUILD" >&2; exit 1; }
[ -d node_modules/@duckdb/node-api ] || { echo "node_modules missing: run npm ci" >&2; exit 1; }
mkdir -p "$OUT"

LIBS="$(pkg-config --libs libzstd zlib libcrypto libcurl jansson expat) -lsnappy -lm -lpthread"
pkg-config --exists liblz4 && LIBS="$LIBS $(pkg-config --libs liblz4)"
pkg-config --exists libbrotlidec && LIBS="$LIBS $(pkg-config --libs libbrotlidec)"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I src -I "$BUILD/generated" \
   bench/bench_pq_read.c "$BUILD/libtsa.a" $LIBS -o "$OUT/bench_pq_read"

SQL="SELECT to_timestamp(1704067200 + (i // 100) * 60) AS time,
  ['north','south','east','west','central'][(i % 100) % 5 + 1] AS region,
  (i % 100)::BIGINT AS plant_id,
  ['wind','solar','hydro','gas'][((i % 100) * 7) % 4 + 1] AS source,
  CASE WHEN i % 97 = 0 THEN NULL ELSE ((i * 2654435761) % 1000003)::DOUBLE / 10.0 END AS generation_mw,
  ((i * 40503) % 10007)::DOUBLE / 10007.0 AS capacity_factor,
  i % 13 <> 0 AS online
FROM range($ROWS) t(i)"

measure() {
    /usr/bin/time -v "$@" >"$OUT/cmd.out" 2>"$OUT/time.err" || { cat "$OUT/time.err" >&2; exit 1; }
    RSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/time.err")
    WALL=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time.err" |
           awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    # CPU seconds (user + system): steadier than wall time on a shared machine
    CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$OUT/time.err")
}

READ_JS="$PWD/tests/oracles/.bench_read.mjs"
cat >"$READ_JS" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [f, threads] = process.argv.slice(2);
const c = await (await DuckDBInstance.create(':memory:')).connect();
if (threads) await c.run(`SET threads = ${threads}`);
const r = await c.runAndReadAll(`SELECT count(*), sum(hash(t)) FROM read_parquet('${f}') t`);
console.log(JSON.stringify(r.getRows()[0].map(String)));
JS
trap 'rm -f "$READ_JS"' EXIT

measure node -e 0
NODE_RSS=$RSS NODE_WALL=$WALL
printf '%-7s %-14s %8s %8s %12s\n' codec reader wall_s cpu_s peak_rss_kB
for c in $CODECS; do
    F="$OUT/energy_$c.parquet"
    node tests/oracles/write_duckdb.mjs --out "$F" --compression "$c" --sql "$SQL" >/dev/null
    measure "$OUT/bench_pq_read" "$F"
    L_WALL=$WALL L_RSS=$RSS L_CPU=$CPU
    grep -q "\"rows\":$ROWS," "$OUT/cmd.out" || { echo "ours: wrong row count: $(cat "$OUT/cmd.out")" >&2; exit 1; }
    measure sh -c "\"$BUILD/tsarchive\" cat \"$F\" >/dev/null"
    C_WALL=$WALL C_RSS=$RSS C_CPU=$CPU
    measure node "$READ_JS" "$F"
    D_WALL=$WALL D_RSS=$RSS D_CPU=$CPU
    measure node "$READ_JS" "$F" 1
    D1_WALL=$WALL D1_RSS=$RSS D1_CPU=$CPU
    printf '%-7s %-14s %8s %8s %12s   (%s bytes)\n' "$c" ours-lib "$L_WALL" "$L_CPU" "$L_RSS" "$(stat -c %s "$F")"
    printf '%-7s %-14s %8s %8s %12s\n' "$c" ours-cat "$C_WALL" "$C_CPU" "$C_RSS"
    printf '%-7s %-14s %8s %8s %12s   (node alone: %s kB, %s s)\n' "$c" duckdb "$D_WALL" "$D_CPU" "$D_RSS" "$NODE_RSS" "$NODE_WALL"
    printf '%-7s %-14s %8s %8s %12s\n' "$c" duckdb-1thread "$D1_WALL" "$D1_CPU" "$D1_RSS"
    awk -v lw="$L_WALL" -v dw="$D_WALL" -v d1="$D1_WALL" -v lc="$L_CPU" -v dc="$D_CPU" -v d1c="$D1_CPU" \
        -v lr="$L_RSS" -v dr="$D_RSS" -v nr="$NODE_RSS" -v c="$c" 'BEGIN {
        printf "%-7s ours-lib vs duckdb: wall x%.2f (x%.2f vs 1 thread), cpu x%.2f (x%.2f vs 1 thread), memory %.3f (%.3f vs duckdb minus node)\n",
               c, dw / lw, d1 / lw, dc / lc, d1c / lc, lr / dr, lr / (dr - nr) }'
done
echo "files in $OUT"
