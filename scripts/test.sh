#!/usr/bin/env bash
# The whole test suite, as `npm test` runs it: types, lint, unit tests, then the browser tests
# against the production build in Debian's Chromium (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prepare.sh test
echo "== type-check"; npx tsc --noEmit -p .
echo "== lint"; npx eslint --max-warnings 0 .
echo "== unit tests"; npx vitest run
echo "== end-to-end tests (Chromium)"; npx playwright test
