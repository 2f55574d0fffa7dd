#!/usr/bin/env bash
# Compares drone's IoC extractor with ioc-extractor 8.2.0 (npm) in one run:
# installs the npm package under bench/ioc/node_modules (git-ignored), then
# runs the Go program, which generates a 5 MB corpus with a fixed seed and
# measures throughput, peak RSS, precision and recall of both, in process
# and as whole processes (drone ioc extract FILE against ioc-extractor < FILE).
# Extra arguments go to the program (e.g. -size 10485760 -seed 2).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if [ ! -f "$here/node_modules/ioc-extractor/package.json" ] ||
   ! grep -q '"version": "8.2.0"' "$here/node_modules/ioc-extractor/package.json"; then
  npm install --prefix "$here" --no-save --no-audit --no-fund ioc-extractor@8.2.0 >&2
fi
bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/iocbench" ./bench/ioc && go build -o "$bin/drone" ./cmd/bot)
cd "$root"
"$bin/iocbench" -script "$here/extract.cjs" -drone "$bin/drone" \
  -cli "$here/node_modules/ioc-extractor/dist/bin/ioc-extractor.mjs" "$@"
