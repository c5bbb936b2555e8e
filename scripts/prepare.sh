#!/usr/bin/env bash
# Builds whatever the lab needs and is missing: host packages, the images, the v86 wasm and BIOS
# copies, and the production build. Each step reuses what is already up to date, so `npm start`
# after the first time goes straight to serving.
#   scripts/prepare.sh        npm start: the default image only (debian-lab takes minutes; the
#                             catalog page names the command that builds it)
#   scripts/prepare.sh test   npm test: every image
#   scripts/prepare.sh bench  npm run bench: what `test` needs, but only the default image when
#                             BENCH_ONLY names a part that boots nothing else (default, layers,
#                             latency, writes, leaf)
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1   # the machine may have no route to the telemetry host
cd "$(dirname "$0")/.."

mode=${1:-image}
case "$mode" in
  test) every_image=1 ;;
  bench) case "${BENCH_ONLY:-}" in default|layers|latency|writes|leaf) every_image=0 ;; *) every_image=1 ;; esac ;;
  *) every_image=0 ;;
esac
scripts/ensure-debian-packages.sh "$([ "$mode" = image ] && echo image || echo test)"
bash image/build.sh leaflab-linux
node scripts/copy-assets.mjs
if [ "$every_image" = 1 ]; then
  # The production build needs no image, and building debian-lab keeps one core busy for about
  # ten minutes with one emulated guest: the Next build runs beside it on the other core.
  # (build.sh with no id builds every recipe; leaflab-linux is up to date by now.)
  node scripts/build-if-stale.mjs &
  next_build=$!
  if ! bash image/build.sh; then
    wait "$next_build" || true
    exit 1
  fi
  wait "$next_build"
else
  node scripts/build-if-stale.mjs
fi
