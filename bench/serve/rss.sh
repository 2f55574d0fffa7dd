#!/usr/bin/env bash
# Resident memory of an idle drone serve on its embedded defaults: builds
# drone, starts it on a free loopback port with a fresh database, waits for
# /readyz, lets it idle, then reads VmRSS from /proc. Usage: bench/serve/rss.sh [idle seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
idle=${1:-10}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/drone" ./cmd/bot
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DRONE_DB="$tmp/drone.db" "$tmp/drone" serve --addr "127.0.0.1:$port" >"$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/metrics" >/dev/null
sleep "$idle"
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "drone serve idle ${idle}s: RSS $((rss / 1024)) MB (${rss} kB), peak $((hwm / 1024)) MB (${hwm} kB)"
