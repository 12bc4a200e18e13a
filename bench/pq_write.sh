#!/bin/sh
# Parquet write benchmark: our writer vs DuckDB on the same 5-million-row "energy" table
# (generated identically in C by bench/bench_pq.c and in SQL below), per codec: wall time,
# peak RSS (/usr/bin/time -v; DuckDB runs inside node, whose own baseline RSS is shown too),
# file size, and the ratios ours/DuckDB. Also checks that both files hold the same rows.
#
# usage: bench/pq_write.sh [ROWS] [CODECS...]     (from the repository root, after a build;
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
   bench/bench_pq.c "$BUILD/libtsa.a" $LIBS -o "$OUT/bench_pq"

SQL="SELECT to_timestamp(1704067200 + (i // 100) * 60) AS time,
  ['north','south','east','west','central'][(i % 100) % 5 + 1] AS region,
  (i % 100)::BIGINT AS plant_id,
  ['wind','solar','hydro','gas'][((i % 100) * 7) % 4 + 1] AS source,
  CASE WHEN i % 97 = 0 THEN NULL ELSE ((i * 2654435761) % 1000003)::DOUBLE / 10.0 END AS generation_mw,
  ((i * 40503) % 10007)::DOUBLE / 10007.0 AS capacity_factor,
  i % 13 <> 0 AS online
FROM range($ROWS) t(i)"

# peak RSS (kB) and wall seconds of a command, from GNU time -v
measure() {
    /usr/bin/time -v "$@" >"$OUT/cmd.out" 2>"$OUT/time.err" || { cat "$OUT/time.err" >&2; exit 1; }
    RSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/time.err")
    WALL=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/time.err" |
           awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
}

measure node -e 0
NODE_RSS=$RSS
CMP_JS="$PWD/tests/oracles/.bench_cmp.mjs"
cat >"$CMP_JS" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [a, b] = process.argv.slice(2);
const c = await (await DuckDBInstance.create(':memory:')).connect();
const q = async (s) => (await c.runAndReadAll(s)).getRows()[0][0];
const d1 = await q(`SELECT count(*) FROM (SELECT * FROM read_parquet('${a}') EXCEPT ALL SELECT * FROM read_parquet('${b}'))`);
const d2 = await q(`SELECT count(*) FROM (SELECT * FROM read_parquet('${b}') EXCEPT ALL SELECT * FROM read_parquet('${a}'))`);
console.log(String(d1) === '0' && String(d2) === '0' ? 'same rows' : `DIFFERENT rows (${d1}, ${d2})`);
JS
trap 'rm -f "$CMP_JS"' EXIT

printf '%-7s %-9s %8s %10s %12s\n' codec writer wall_s peak_rss_kB file_bytes
for c in $CODECS; do
    measure "$OUT/bench_pq" "$OUT/ours_$c.parquet" "$c" "$ROWS"
    O_WALL=$WALL O_RSS=$RSS O_SIZE=$(stat -c %s "$OUT/ours_$c.parquet")
    dc=$c; [ "$c" = none ] && dc=uncompressed
    measure node tests/oracles/write_duckdb.mjs --out "$OUT/duckdb_$c.parquet" --compression "$dc" --sql "$SQL"
    D_WALL=$WALL D_RSS=$RSS D_SIZE=$(stat -c %s "$OUT/duckdb_$c.parquet")
    printf '%-7s %-9s %8s %10s %12s\n' "$c" tsarchive "$O_WALL" "$O_RSS" "$O_SIZE"
    printf '%-7s %-9s %8s %10s %12s   (node alone: %s kB)\n' "$c" duckdb "$D_WALL" "$D_RSS" "$D_SIZE" "$NODE_RSS"
    awk -v ow="$O_WALL" -v dw="$D_WALL" -v orss="$O_RSS" -v drss="$D_RSS" -v nrss="$NODE_RSS" \
        -v os="$O_SIZE" -v ds="$D_SIZE" -v c="$c" 'BEGIN {
        printf "%-7s ratios ours/duckdb: speed x%.2f (time %.2f), memory %.3f (%.3f vs duckdb minus node), size %.3f\n",
               c, dw / ow, ow / dw, orss / drss, orss / (drss - nrss), os / ds }'
    echo "$c: $(node "$CMP_JS" "$OUT/ours_$c.parquet" "$OUT/duckdb_$c.parquet")"
done
echo "files in $OUT"
