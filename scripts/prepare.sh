#!/usr/bin/env bash
# Builds whatever the lab needs and is missing: host packages, the default image, the v86 wasm
# and BIOS copies, and the production build. Each step reuses what is already up to date, so
# `npm start` after the first time goes straight to serving.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1   # the machine may have no route to the telemetry host
cd "$(dirname "$0")/.."

scripts/ensure-debian-packages.sh "${1:-image}"
bash image/build.sh
node scripts/copy-assets.mjs
node scripts/build-if-stale.mjs
