#!/usr/bin/env bash
# The slow lane (npm run test:slow): checks too long for `npm test`, today the rebuild of
# debian-lab that proves its sha-256 (about 10 minutes on a 2-core machine) and the browser
# kill test (Chromium SIGKILLed twenty times during writes, about 10 minutes), the lesson
# walk-through of labs/linux-basics (about 6 minutes) and v86's own async disk (half a minute).
# Builds what is missing first, as npm test does.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prepare.sh test
echo "== slow lane"; LEAFLAB_SLOW_LANE=1 npx vitest run
echo "== slow lane, browser (Chromium)"; LEAFLAB_SLOW_LANE=1 npx playwright test
