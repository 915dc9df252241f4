#!/usr/bin/env bash
# Checks the frontend: installs exactly what package-lock.json pins, runs the tests, and
# rebuilds into a temporary folder to make sure the committed build (ui/dist, which the Go
# module embeds) is what the sources produce. .ci/run calls it; it also runs on its own.
set -euo pipefail

cd "$(dirname "$0")"

# Vite 8 needs Node.js 20.19 or later (22.12 or later on the 22 line).
node -e '
const [major, minor] = process.versions.node.split(".").map(Number)
if (!(major === 20 && minor >= 19) && !(major === 22 && minor >= 12) && !(major > 22)) {
  console.error(`ui/check.sh: Node.js ${process.versions.node} is too old; the build needs 20.19+ or 22.12+`)
  process.exit(1)
}'
echo "node $(node --version), npm $(npm --version)"

start=$SECONDS
npm ci --no-audit --no-fund --loglevel=error
echo "npm ci took $((SECONDS - start))s"

start=$SECONDS
npm test
echo "npm test took $((SECONDS - start))s"

start=$SECONDS
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npm run build -- --outDir "$out/dist" --emptyOutDir --logLevel warn
if ! diff -r dist "$out/dist" >"$out/diff"; then
	echo "ui/check.sh: the committed build is stale: run 'npm run build' in ui/ and commit ui/dist" >&2
	head -n 40 "$out/diff" >&2
	exit 1
fi
echo "build took $((SECONDS - start))s; the committed build matches the sources"
