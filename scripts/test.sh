#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: types, lint, unit tests, then the browser tests
# against the production build in Debian's Chromium (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase prints its wall time, so a CI log shows where the 45 minutes allowed go.
phase() {
  local name=$1 started=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - started)) s"
}
phase "prepare (packages, images, build)" scripts/prepare.sh test
phase type-check npx tsc --noEmit -p .
phase lint npx eslint --max-warnings 0 .
phase "unit tests" npx vitest run
phase "end-to-end tests (Chromium)" npx playwright test
echo "== npm test: $SECONDS s in all"
