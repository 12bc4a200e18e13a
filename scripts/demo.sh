#!/usr/bin/env bash
# Quick start: the main job on the embedded default, then its result.
# Starts the bundled Timestream emulator loaded with the sample energy data
# (samples/energy.lp), exports every table into a local archive in demo-out/,
# checks it, shows what was written, and writes the decommissioning record
# (demo-out/report.html). Nothing outside 127.0.0.1 is touched.
set -euo pipefail
bin=$(realpath "${1:-build/tsarchive}")
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/demo-out
tmp=$(mktemp -d)
emu_pid=
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The demo's own credentials and endpoints; nothing from the caller's AWS setup leaks in.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL PROJECT_NAME ENVIRONMENT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1

echo "== starting the Timestream emulator with samples/energy.lp as energy_demo.generation"
"$root/tests/emulators/timestream" --port 0 --retention ignore \
  --load "energy_demo.generation=$root/samples/energy.lp" >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
url=
for _ in $(seq 1 300); do
  url=$(sed -n '1s/^listening on //p' "$tmp/emu.out")
  [ -n "$url" ] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$tmp/emu.err" >&2; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { echo "demo: the emulator did not start" >&2; cat "$tmp/emu.err" >&2; exit 1; }
export AWS_ENDPOINT_URL_TIMESTREAM_QUERY=$url AWS_ENDPOINT_URL_TIMESTREAM_WRITE=$url
echo "   $url"

rm -rf "$out"
echo
echo "== tsarchive export --from timestream://us-east-1 --to demo-out"
"$bin" export --from timestream://us-east-1 --to "$out"

if "$bin" verify --help >/dev/null 2>&1; then
  echo
  echo "== tsarchive verify demo-out --against timestream://us-east-1"
  "$bin" verify "$out" --against timestream://us-east-1
fi

echo
echo "== the archive"
(cd "$out" && find . -type f ! -path './timestream-archive/_audit/*' | sort)
first=$(cd "$out" && find . -name '*.parquet' | sort | head -1)

echo
echo "== tsarchive inspect ${first#./} (first lines)"
"$bin" inspect "$out/${first#./}" | head -20

echo
echo "== tsarchive cat ${first#./} --limit 3"
"$bin" cat "$out/${first#./}" --limit 3

echo
echo "== tsarchive audit verify demo-out"
"$bin" audit verify "$out"

if "$bin" report --help >/dev/null 2>&1; then
  echo
  echo "== tsarchive report demo-out -o demo-out/report.html"
  "$bin" report "$out" -o "$out/report.html"
  echo "   the decommissioning record: $out/report.html (open it in a browser; it prints to PDF)"
fi
