#!/usr/bin/env bash
# Export benchmark. For each size: generate that many rows (3 months, 200 hosts x 5 sites, a
# multi-measure record power/energy/status, some sub-microsecond times), then export them
#   - from the Timestream emulator (bulk --load), --jobs J;
#   - from the same rows as a line-protocol file (--from FILE.lp);
#   - from InfluxDB 1.x (Debian's influxd, loaded through /write) with influx1:// (INFLUX=1);
# and print one table: wall seconds, rows/s, CPU seconds of tsarchive (user+sys), the rest of the
# wall time (waiting on the server, or on the disk for a file), peak RSS, Parquet bytes.
# Peak RSS must not grow with the row count (compare 1M with 5M).
#
# Usage: bench/export.sh [ROWS...]      default: 1000000
#   env: JOBS (default 2), INFLUX=1 (also influx1://), DUCKDB=1 (size vs DuckDB, needs npm ci),
#        SOURCES="timestream file influx1" to choose, TSARCHIVE_BIN to override the binary.
# The emulator is Python + SQLite: for Timestream the rate is mostly the emulator's (see the
# wait column); the machine it runs on matters (a shared, loaded machine gives noisy figures).
set -euo pipefail
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000000)
jobs="${JOBS:-2}"
sources="${SOURCES:-timestream file${INFLUX:+ influx1}}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${TSARCHIVE_BIN:-$repo/build/tsarchive}"
work="$(mktemp -d /tmp/tsa-bench-export.XXXXXX)"
emu_pid=""
trap '[[ -n "$emu_pid" ]] && kill "$emu_pid" 2>/dev/null; rm -rf "$work"' EXIT
results="$work/results.txt"
: >"$results"

gen() { # rows lp csv
    python3 - "$1" "$2" "$3" <<'PY'
import sys
rows, lp, csv = int(sys.argv[1]), sys.argv[2], sys.argv[3]
start = 1704067200 * 10**9          # 2024-01-01
span = 90 * 86400 * 10**9           # 3 months
step = span // rows
with open(lp, "w") as f, open(csv, "w") if csv != "-" else open("/dev/null", "w") as c:
    if csv != "-":
        c.write("time_ns,host,site,measure_name,power,energy,status\n")
    for i in range(rows):
        t = start + i * step + (i % 7)            # some sub-microsecond digits
        host, site = "h%03d" % (i % 200), "s%d" % (i % 5)
        p, e, s = (i % 1000) * 0.37, i * 3, ("ok" if i % 13 else "warn")
        f.write('gen,host=%s,site=%s power=%r,energy=%di,status="%s" %d\n' % (host, site, p, e, s, t))
        if csv != "-":
            c.write("%d,%s,%s,gen,%r,%d,%s\n" % (t, host, site, p, e, s))
PY
}

# run_export LABEL ROWS OUTDIR ARGS... : time one export and append a result line
run_export() {
    local label="$1" rows="$2" out="$3"
    shift 3
    rm -rf "$out"
    local t0 t1
    t0=$(date +%s.%N)
    if ! /usr/bin/time -v "$bin" export "$@" --to "$out" --json >"$work/summary.json" 2>"$work/time.txt"; then
        echo "export from $label failed:" >&2
        tail -5 "$work/time.txt" >&2
        return 1
    fi
    t1=$(date +%s.%N)
    python3 - "$label" "$rows" "$t0" "$t1" "$work/time.txt" "$work/summary.json" "$out" >>"$results" <<'PY'
import json, os, sys
label, rows, t0, t1, timef, summ, out = sys.argv[1:]
rows, wall = int(rows), float(t1) - float(t0)
tv = {}
for line in open(timef):
    k, _, v = line.strip().rpartition(": ")
    tv[k] = v
cpu = float(tv["User time (seconds)"]) + float(tv["System time (seconds)"])
rss = int(tv["Maximum resident set size (kbytes)"]) / 1024
s = json.load(open(summ))
assert s["ok"] and s["rows"] == rows, (label, s.get("rows"), rows, s.get("error"))
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs if f.endswith(".parquet"))
print("%-11s %9d %8.1f %9.0f %8.1f %8.1f %8.0f %10.1f" % (label, rows, wall, rows / wall, cpu,
      max(0.0, wall - cpu), rss, size / 1e6))
PY
}

for rows in "${sizes[@]}"; do
    echo "== $rows rows: generating..." >&2
    csv="-"
    [[ -n "${DUCKDB:-}" ]] && csv="$work/data.csv"
    gen "$rows" "$work/data.lp" "$csv"
    for src in $sources; do
        case "$src" in
        timestream)
            echo "   loading the Timestream emulator..." >&2
            "$repo/tests/emulators/timestream" --port 0 --load "bench_db.gen=$work/data.lp" \
                >"$work/emu.out" 2>"$work/emu.err" &
            emu_pid=$!
            for _ in $(seq 1 3600); do grep -q "listening on" "$work/emu.out" 2>/dev/null && break; sleep 0.5; done
            url="$(sed -n 's/^listening on //p' "$work/emu.out" | head -1)"
            [[ -n "$url" ]] || { echo "emulator did not start: $(tail -5 "$work/emu.err")" >&2; exit 1; }
            echo "   exporting from the emulator..." >&2
            AWS_ENDPOINT_URL="$url" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
                PROJECT_NAME= ENVIRONMENT= \
                run_export "timestream" "$rows" "$work/arc-ts" --from timestream:// --jobs "$jobs"
            kill "$emu_pid" 2>/dev/null || true
            wait "$emu_pid" 2>/dev/null || true
            emu_pid=""
            ;;
        file)
            echo "   exporting the .lp file..." >&2
            TMPDIR="$work" run_export "file.lp" "$rows" "$work/arc-file" --from "$work/data.lp" --database bench
            ;;
        influx1)
            echo "   loading influxd and exporting with influx1://..." >&2
            python3 - "$repo" "$work" "$rows" "$bin" "$jobs" >>"$results" <<'PY'
import json, os, subprocess, sys, time
repo, work, rows, bin_, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
sys.path.insert(0, os.path.join(repo, "tests", "lib"))
from servers import influxd
with influxd() as s:
    s.query('CREATE DATABASE "bench"')
    batch = []
    with open(os.path.join(work, "data.lp"), "rb") as f:
        for line in f:
            batch.append(line)
            if len(batch) == 50000:
                s.write(b"".join(batch), "bench")
                batch = []
    if batch:
        s.write(b"".join(batch), "bench")
    out = os.path.join(work, "arc-influx")
    t0 = time.time()
    p = subprocess.run(["/usr/bin/time", "-v", bin_, "export", "--from", "influx1://%s/bench" % s.url[7:],
                        "--to", out, "--jobs", jobs, "--json"], capture_output=True, text=True)
    wall = time.time() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-2000:])
        sys.exit(1)
    tv = {}
    for line in p.stderr.splitlines():
        k, _, v = line.strip().rpartition(": ")
        tv[k] = v
    cpu = float(tv["User time (seconds)"]) + float(tv["System time (seconds)"])
    rss = int(tv["Maximum resident set size (kbytes)"]) / 1024
    summ = json.loads(p.stdout)
    assert summ["ok"] and summ["rows"] == rows, (summ.get("rows"), rows, summ.get("error"))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs if f.endswith(".parquet"))
    print("%-11s %9d %8.1f %9.0f %8.1f %8.1f %8.0f %10.1f" % ("influx1", rows, wall, rows / wall, cpu,
          max(0.0, wall - cpu), rss, size / 1e6))
PY
            ;;
        *) echo "unknown source $src" >&2; exit 2 ;;
        esac
    done
    if [[ -n "${DUCKDB:-}" && -d "$work/arc-ts" ]]; then
        node "$repo/tests/oracles/write_duckdb.mjs" --out "$work/duckdb.parquet" --csv "$work/data.csv" \
            --compression zstd >/dev/null
        echo "duckdb (zstd, same rows incl. time_ns) for $rows rows: $(stat -c %s "$work/duckdb.parquet") bytes" >&2
    fi
done

echo
echo "tsarchive export (jobs=$jobs; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-11s %9s %8s %9s %8s %8s %8s %10s\n' source rows wall_s rows/s cpu_s wait_s rss_mb parquet_mb
cat "$results"
echo "cpu_s: user+sys of tsarchive; wait_s: wall - cpu_s (server, disk, or the other job)."
