#!/usr/bin/env bash
# Regenerates docs/img/report.png, the README's picture of `tsarchive report`: exports
# samples/energy.lp into a temporary archive, verifies it, writes the HTML report and has
# headless Chromium (Debian `chromium`) photograph its first screen at 1200 px wide.
# The PNG is recompressed with optipng when it is installed.
#
# usage: scripts/report_screenshot.sh [path/to/tsarchive] [out.png]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$root/build/tsarchive}")
png=$(realpath -m "${2:-$root/docs/img/report.png}")
width=1200 height=1500
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report_screenshot: chromium is not installed (scripts/deps.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
mkdir samples && cp "$root/samples/energy.lp" samples/   # the report shows the source path
"$bin" export --from samples/energy.lp --database energy_demo --to archive >/dev/null
"$bin" verify archive >/dev/null
"$bin" report archive -o report.html
mkdir -p "$(dirname "$png")"
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" \
  --no-first-run --disable-extensions --disable-background-networking --disable-component-update \
  --hide-scrollbars --force-device-scale-factor=1 --window-size="$width,$height" \
  --screenshot="$tmp/shot.png" "file://$tmp/report.html" >/dev/null 2>&1
[ -s "$tmp/shot.png" ] || { echo "report_screenshot: chromium wrote no screenshot" >&2; exit 1; }
if command -v optipng >/dev/null 2>&1; then
  optipng -quiet -o2 "$tmp/shot.png"
fi
cp "$tmp/shot.png" "$png"
echo "$png ($(stat -c %s "$png") bytes, ${width}x${height})"
