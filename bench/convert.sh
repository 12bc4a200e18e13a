#!/bin/bash
# Benchmark of `tsarchive convert` against DuckDB on the energy table
# (time, region, plant_id, source, generation_mw, capacity_factor, online):
#   CSV -> Parquet   (DuckDB: COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet))
#   Parquet -> LP    (DuckDB: Parquet -> CSV, the nearest text output it has; and DuckDB building
#                     the same line protocol with SQL string concatenation)
# at ROWS rows (default 5,000,000) and at 1,000,000 rows for peak RSS, which should be flat.
# Wall time and peak RSS from /usr/bin/time, the median of REPS runs (default 3; this machine's
# timings vary by 20% from run to run); DuckDB runs inside node (about 60 MB of it is node).
# tsarchive's outputs are on disk (fsync before the rename) when it exits, DuckDB's are not: the
# "+fsync" line adds `sync FILE` of DuckDB's output, for the comparison at equal durability.
# With a memory file system (/dev/shm), the Parquet -> text pair runs once more with both
# outputs there: the converters apart from the disk.
# usage: bench/convert.sh [ROWS]    env: TSARCHIVE_BIN (default build/tsarchive), BENCH_DIR,
#                                        DUCKDB_THREADS, REPS
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-5000000}
BIN=${TSARCHIVE_BIN:-build/tsarchive}
DIR=${BENCH_DIR:-$(mktemp -d /tmp/tsa-bench-convert.XXXXXX)}
THREADS=${DUCKDB_THREADS:-}
REPS=${REPS:-3}
DUCK="node bench/convert_duckdb.mjs"
[ -x "$BIN" ] || { echo "build first: $BIN missing" >&2; exit 1; }
[ -d node_modules/@duckdb/node-api ] || { echo "npm ci first (node_modules/@duckdb/node-api missing)" >&2; exit 1; }
mkdir -p "$DIR"
# a memory file system for the in-memory pair (skipped when there is none or too little room)
SHM=""
if [ -d /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt $((ROWS / 1000 * 250)) ]; then
  SHM=$(mktemp -d /dev/shm/tsa-bench-convert.XXXXXX)
  trap 'rm -rf "$SHM"' EXIT
fi

gen() { # $1 rows, $2 file: deterministic data, nanosecond times
  $DUCK "COPY (SELECT strftime(TIMESTAMP '2024-01-01' + to_microseconds(i * 60000000 // 7), '%Y-%m-%dT%H:%M:%S.%f') || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') || 'Z' AS time,
     ['north','south','east','west','central'][1 + i % 5] AS region,
     CAST(i % 997 AS BIGINT) AS plant_id,
     ['wind','solar','gas','hydro','nuclear','coal'][1 + (i // 7) % 6] AS source,
     round((i * 7919 % 100003) / 97.0, 3) AS generation_mw,
     ((i * 104729) % 10007) / 10007.0 AS capacity_factor,
     (i % 13) <> 0 AS online
   FROM range($1) t(i)) TO '$2' (HEADER)"
}

measure() { # label, output, command...: runs it REPS times (its output removed and disks
  # synced before each), prints every run, keeps the median wall (with that run's CPU) and the
  # largest RSS
  local label=$1 out=$2; shift 2
  local runs=()
  for ((r = 1; r <= REPS; r++)); do
    [ -z "$out" ] || rm -f "$out"
    sync
    /usr/bin/time -f "%e %M %U %S" -o "$DIR/time.txt" "$@" > /dev/null
    read -r wall rss user sys < "$DIR/time.txt"
    runs+=("$wall $rss $(echo "$user + $sys" | bc -l)")
  done
  read -r wall rss cpu <<< "$(printf '%s\n' "${runs[@]}" | sort -n | awk -v n=${#runs[@]} '
    { w[NR]=$1; c[NR]=$3; if ($2 > m) m=$2 } END { k=int((n+1)/2); print w[k], m, c[k] }')"
  printf '%-32s wall %7.2f s  cpu %7.2f s  peak RSS %7.1f MB   (walls: %s)\n' "$label" "$wall" "$cpu" \
    "$(echo "$rss / 1024" | bc -l)" "$(printf '%s\n' "${runs[@]}" | awk '{printf "%s ", $1}')"
  echo "$label $wall $rss $cpu" >> "$DIR/results.txt"
}

: > "$DIR/results.txt"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
measure "duckdb startup select-1" "" $DUCK "SELECT 1" $THREADS
for n in 1000000 "$ROWS"; do
  csv="$DIR/energy_$n.csv"
  [ -s "$csv" ] || gen "$n" "$csv"
  echo "== $n rows ($(du -h "$csv" | cut -f1) CSV) in $DIR"
  measure "tsarchive csv->parquet $n" "$DIR/ours_$n.parquet" "$BIN" convert "$csv" "$DIR/ours_$n.parquet" \
    --schema time:timestamp,region:string:dimension,plant_id:int64:dimension,source:string:dimension,generation_mw:double,capacity_factor:double,online:bool
  measure "duckdb csv->parquet $n" "$DIR/duck_$n.parquet" $DUCK "COPY (SELECT * FROM read_csv('$csv')) TO '$DIR/duck_$n.parquet' (FORMAT parquet)" $THREADS
  measure "tsarchive parquet->lp $n" "$DIR/ours_$n.lp" "$BIN" convert "$DIR/ours_$n.parquet" "$DIR/ours_$n.lp"
  measure "duckdb parquet->csv $n" "$DIR/duck_$n.csv" $DUCK "COPY (SELECT * FROM '$DIR/duck_$n.parquet') TO '$DIR/duck_$n.csv' (HEADER)" $THREADS
  measure "duckdb parquet->csv+fsync $n" "$DIR/duck_$n.csv" sh -c "$DUCK \"COPY (SELECT * FROM '$DIR/duck_$n.parquet') TO '$DIR/duck_$n.csv' (HEADER)\" $THREADS && sync '$DIR/duck_$n.csv'"
  # the same line protocol from DuckDB (string concatenation over our Parquet; same byte count,
  # but DuckDB reads the nanosecond times as microseconds, so the last three digits differ)
  measure "duckdb parquet->lp(sql) $n" "$DIR/duck_$n.lp" $DUCK "COPY (SELECT 'ours_$n,plant_id=' || plant_id || ',region=' || region || ',source=' || source || ' generation_mw=' || generation_mw || ',capacity_factor=' || capacity_factor || ',online=' || online || ' ' || epoch_ns(time) AS l FROM '$DIR/ours_$n.parquet') TO '$DIR/duck_$n.lp' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '|')" $THREADS
  ls -l "$DIR"/ours_$n.parquet "$DIR"/duck_$n.parquet "$DIR"/ours_$n.lp "$DIR"/duck_$n.lp "$DIR"/duck_$n.csv | awk '{printf "  %-50s %12d bytes\n", $9, $5}'
  for f in ours_$n.parquet duck_$n.parquet ours_$n.lp duck_$n.csv; do
    echo "size ${f%_*} ${f##*.} $n $(stat -c %s "$DIR/$f")" >> "$DIR/results.txt"
  done
  sha256sum "$DIR/ours_$n.lp" | awk '{printf "  sha256 %s  %s\n", $1, $2}'
  if [ "$n" = "$ROWS" ] && [ -d "$SHM" ]; then
    # the same Parquet -> text pair with both outputs in memory (tmpfs): the converters
    # themselves, apart from how fast this machine's disk takes 700 MB
    measure "tsarchive parquet->lp(mem) $n" "$SHM/ours_$n.lp" "$BIN" convert "$DIR/ours_$n.parquet" "$SHM/ours_$n.lp"
    rm -f "$SHM/ours_$n.lp"
    measure "duckdb parquet->csv(mem) $n" "$SHM/duck_$n.csv" $DUCK "COPY (SELECT * FROM '$DIR/duck_$n.parquet') TO '$SHM/duck_$n.csv' (HEADER)" $THREADS
    rm -f "$SHM/duck_$n.csv"
  fi
  [ "$n" = "$ROWS" ] && break
done

awk -v R="$ROWS" '
  $1 == "size" { size[$2" "$3" "$4]=$5; next }
  { wall[$1" "$2" "$3]=$4; rss[$1" "$2" "$3]=$5; cpu[$1" "$2" "$3]=$6 }
  END {
    printf "\nratios at %d rows (tsarchive / duckdb):\n", R
    printf "  csv->parquet   wall %.2f  cpu %.2f  peak RSS %.2f\n", wall["tsarchive csv->parquet " R]/wall["duckdb csv->parquet " R], cpu["tsarchive csv->parquet " R]/cpu["duckdb csv->parquet " R], rss["tsarchive csv->parquet " R]/rss["duckdb csv->parquet " R]
    printf "  parquet->text  wall %.2f  cpu %.2f  peak RSS %.2f\n", wall["tsarchive parquet->lp " R]/wall["duckdb parquet->csv " R], cpu["tsarchive parquet->lp " R]/cpu["duckdb parquet->csv " R], rss["tsarchive parquet->lp " R]/rss["duckdb parquet->csv " R]
    printf "  output size    parquet %.2f  text (LP vs CSV) %.2f\n", size["ours parquet " R]/size["duck parquet " R], size["ours lp " R]/size["duck csv " R]
    printf "throughput (duckdb wall / tsarchive wall): csv->parquet %.2fx  parquet->text %.2fx\n", wall["duckdb csv->parquet " R]/wall["tsarchive csv->parquet " R], wall["duckdb parquet->csv " R]/wall["tsarchive parquet->lp " R]
    printf "  parquet->text with both outputs on disk at the end (duckdb + sync FILE): %.2fx\n", wall["duckdb parquet->csv+fsync " R]/wall["tsarchive parquet->lp " R]
    printf "  parquet->lp against DuckDB writing the same line protocol with SQL: %.2fx\n", wall["duckdb parquet->lp(sql) " R]/wall["tsarchive parquet->lp " R]
    if (wall["tsarchive parquet->lp(mem) " R] > 0)
      printf "  parquet->text with both outputs in memory (tmpfs): %.2fx\n", wall["duckdb parquet->csv(mem) " R]/wall["tsarchive parquet->lp(mem) " R]
    printf "tsarchive peak RSS 1M -> %d rows: csv->parquet %.1f -> %.1f MB, parquet->lp %.1f -> %.1f MB\n", R,
      rss["tsarchive csv->parquet 1000000"]/1024, rss["tsarchive csv->parquet " R]/1024,
      rss["tsarchive parquet->lp 1000000"]/1024, rss["tsarchive parquet->lp " R]/1024
  }' "$DIR/results.txt"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
