#!/usr/bin/env bash
# Builds whatever the lab needs and is missing: host packages, the images, the v86 wasm and BIOS
# copies, and the production build. Each step reuses what is already up to date, so `npm start`
# after the first time goes straight to serving.
#   scripts/prepare.sh        npm start: the default image only (debian-lab takes minutes; the
#                             catalog page names the command that builds it)
#   scripts/prepare.sh test   npm test and the bench: every image
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1   # the machine may have no route to the telemetry host
cd "$(dirname "$0")/.."

scripts/ensure-debian-packages.sh "${1:-image}"
if [ "${1:-image}" = test ]; then bash image/build.sh; else bash image/build.sh leaflab-linux; fi
node scripts/copy-assets.mjs
node scripts/build-if-stale.mjs
