#!/usr/bin/env bash
# Full verify vs checksumming alone, same files, same run: `tsarchive verify ROOT` (SHA-256 +
# decode of every page with CRCs, counts, times, schema; default --jobs 2) against
# `sha256sum` of the archive's Parquet files. Pass: full verify <= 2x sha256sum's wall time.
# The ~1 GB archive (BENCH_VERIFY_MB, default 1000) is written by bench/verify_gen.c (the
# library's own writer and manifest) into BENCH_DIR (default build/bench-verify, kept between
# runs). Files are read once first so both sides read from the page cache; best of
# BENCH_ROUNDS (default 3) alternating rounds; wall and CPU seconds are printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=${TSARCHIVE_BIN:-$repo/build/tsarchive}
build=$(dirname "$bin")
mb=${BENCH_VERIFY_MB:-1000}
rounds=${BENCH_ROUNDS:-3}
dir=${BENCH_DIR:-$build/bench-verify}/verify-$mb
gen=$dir/../verify_gen
mkdir -p "$dir"
libs="$(pkg-config --libs libzstd zlib libcrypto libcurl jansson expat 2>/dev/null) -lsnappy -lpthread -lm"
pkg-config --exists liblz4 && libs="$libs $(pkg-config --libs liblz4)"
pkg-config --exists libbrotlidec && libs="$libs $(pkg-config --libs libbrotlidec)"
if [ ! -x "$gen" ] || [ "$here/verify_gen.c" -nt "$gen" ] || [ "$build/libtsa.a" -nt "$gen" ]; then
  cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$repo/src" -I"$build" \
     -I"$build/src" -o "$gen" "$here/verify_gen.c" "$build/libtsa.a" $libs
fi
if [ ! -f "$dir/timestream-archive/benchdb/export_metadata.json" ]; then
  rm -rf "$dir/timestream-archive"
  echo "writing a ${mb} MB archive into $dir ..." >&2
  "$gen" "$dir" "$mb" 12 2>/dev/null
fi
rm -rf "$dir/timestream-archive/_audit"
exec python3 - "$bin" "$dir" "$rounds" <<'PY'
import glob, os, resource, subprocess, sys, time
binp, root, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(os.path.join(root, "timestream-archive", "benchdb", "*", "*", "*", "*.parquet")))
size = sum(os.path.getsize(f) for f in files)
for f in files:  # warm the page cache: both sides then measure reading from memory
    with open(f, "rb") as fh:
        while fh.read(1 << 24):
            pass

def timed(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit("%s failed (exit %d): %s" % (cmd[0], p.returncode, p.stderr.decode()[-2000:]))
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)

best = {}
cases = [("sha256sum", ["sha256sum"] + files),
         ("verify --jobs 2", [binp, "verify", root, "--jobs", "2"]),
         ("verify --jobs 1", [binp, "verify", root, "--jobs", "1"]),
         ("verify --quick", [binp, "verify", root, "--quick", "--jobs", "1"])]
for _ in range(rounds):
    for name, cmd in cases:
        w, c = timed(cmd)
        if name not in best or w < best[name][0]:
            best[name] = (w, c)
try:
    load = os.getloadavg()[0]
except OSError:
    load = -1
print("verify bench: %d files, %.1f MB, %d CPUs, load %.1f, best of %d" % (len(files), size / 1e6, os.cpu_count(), load, rounds))
base = best["sha256sum"][0]
for name, _ in cases:
    w, c = best[name]
    print("  %-16s %7.2f s wall (%6.1f MB/s)  %7.2f s CPU  %.2fx sha256sum" % (name, w, size / 1e6 / w, c, w / base))
ratio = best["verify --jobs 2"][0] / base
print("full verify / sha256sum = %.2f (target <= 2.00): %s" % (ratio, "PASS" if ratio <= 2.0 else "FAIL"))
sys.exit(0 if ratio <= 2.0 else 1)
PY
