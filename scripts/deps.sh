#!/usr/bin/env bash
# Installs what building and testing tsarchive needs on Debian 12 (run as root, or with sudo).
# Idempotent and quick when everything is already there.
#
# usage: bash scripts/deps.sh            install what is missing
#        bash scripts/deps.sh --check    only report what is missing (exit 1 if anything is)
#
# Debian packages: compilers and build tools, clang (libFuzzer, sanitizers), the -dev
# libraries, InfluxDB 1.x (its own service is kept stopped and disabled: tests start their
# own influxd), Chromium and poppler-utils (the report's headless render test: PNG, PDF,
# pdftotext), Node.js + npm only when node is missing. Then `npm ci` in the repository when
# node_modules is missing or older than package-lock.json. python3 must already have moto and
# boto3 (PyPI is not reachable here): we check, we do not install them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

check_only=0
case "${1:-}" in
  "") ;;
  --check) check_only=1 ;;
  -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "deps.sh: unknown argument: $1 (use --check or nothing)" >&2; exit 64 ;;
esac

log() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: ERROR: %s\n' "$*" >&2; exit 1; }

PKGS=(
  build-essential cmake pkg-config git
  clang libclang-rt-14-dev
  libzstd-dev libsnappy-dev zlib1g-dev liblz4-dev libbrotli-dev
  libssl-dev libcurl4-openssl-dev libjansson-dev libexpat1-dev libcmocka-dev
  influxdb
  python3 ca-certificates
  chromium poppler-utils
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi
fi

installed() {  # dpkg-query: is package $1 installed?
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
declare -A have=()
while read -r name status; do
  [ "$status" = "installed" ] && have["${name%%:*}"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null || true)
for p in "${PKGS[@]}"; do
  [ -n "${have[$p]:-}" ] || missing+=("$p")
done
need_node=0
if ! command -v node >/dev/null 2>&1; then
  need_node=1
  missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

node_modules_stale() {
  [ -f "$repo/package-lock.json" ] || return 1
  [ -d "$repo/node_modules" ] || return 0
  [ -f "$repo/node_modules/.package-lock.json" ] || return 0
  # npm writes node_modules/.package-lock.json on every install; older than the lock = stale
  [ "$repo/package-lock.json" -nt "$repo/node_modules/.package-lock.json" ]
}

py_versions=""
python_ok() {
  # find the modules without importing them (importing moto takes seconds)
  py_versions="$(python3 -c '
import importlib.util as u, importlib.metadata as m
assert u.find_spec("moto") and u.find_spec("boto3")
print("moto", m.version("moto") + ", boto3", m.version("boto3"))' 2>/dev/null)"
}

if [ "$check_only" -eq 1 ]; then
  rc=0
  if [ "${#missing[@]}" -gt 0 ]; then log "missing Debian packages: ${missing[*]}"; rc=1; fi
  if node_modules_stale; then log "node_modules is missing or older than package-lock.json (npm ci)"; rc=1; fi
  if ! python_ok; then log "python3 cannot import moto and boto3"; rc=1; fi
  [ "$rc" -eq 0 ] && log "everything is present"
  exit "$rc"
fi

# ---------------------------------------------------------------- Debian packages
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
    die "missing packages (${missing[*]}) and not root, and no sudo: run this script as root"
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package maintainer scripts from starting services (influxdb) while we install.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  cleanup_policy() { if [ "$made_policy" -eq 1 ]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi; }
  trap cleanup_policy EXIT
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  cleanup_policy
  made_policy=0
  trap - EXIT
else
  log "Debian packages: all present"
fi

# The influxdb package's own service must not run: tests start their own influxd on free
# ports with temporary data directories.
if installed influxdb; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    if systemctl is-enabled --quiet influxdb 2>/dev/null || systemctl is-active --quiet influxdb 2>/dev/null; then
      log "stopping and disabling the influxdb service"
      "${SUDO[@]}" systemctl disable --now influxdb >/dev/null 2>&1 || true
    fi
  else
    # no systemd running (container): stop a SysV-started daemon, remove boot links
    if [ -f /var/run/influxdb/influxd.pid ] && kill -0 "$(cat /var/run/influxdb/influxd.pid)" 2>/dev/null; then
      log "stopping the influxdb service"
      "${SUDO[@]}" service influxdb stop >/dev/null 2>&1 || true
    fi
    if [ -e /etc/systemd/system/multi-user.target.wants/influxdb.service ]; then
      "${SUDO[@]}" rm -f /etc/systemd/system/multi-user.target.wants/influxdb.service
    fi
    if ls /etc/rc[2-5].d/S*influxdb >/dev/null 2>&1; then
      "${SUDO[@]}" update-rc.d influxdb disable >/dev/null 2>&1 || true
    fi
  fi
fi

# ---------------------------------------------------------------- Node packages
command -v node >/dev/null 2>&1 || die "node is still missing after installing nodejs"
command -v npm >/dev/null 2>&1 || die "npm is still missing after installing npm"
if [ "$need_node" -eq 1 ]; then log "installed node $(node --version)"; fi
if node_modules_stale; then
  log "npm ci (node_modules missing or older than package-lock.json)"
  (cd "$repo" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$repo/node_modules/.package-lock.json"
else
  log "node_modules: up to date"
fi

# ---------------------------------------------------------------- Python
if ! python_ok; then
  die "python3 ($(command -v python3 || echo none)) cannot import moto and boto3. They come with the machine image (PyPI is not reachable here); this machine lacks them, so the AWS tests cannot run."
fi
log "python3: $py_versions"
log "ready"
