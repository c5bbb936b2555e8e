#!/usr/bin/env bash
# Builds the catalog's images from their recipes (image/<id>/build.sh), reproducibly, without
# mounts and without running any i386 program on the host. Each reuses an up-to-date build.
#
# Usage: npm run image [-- ID…] [--force] [--update] [--out DIR]
#   (no ID)   every image: leaflab-linux (the default, under a minute), then debian-lab (about
#             10 minutes the first time: it configures Debian's packages inside v86)
#   ID…       only these images
#   --force   rebuild even if the outputs match the inputs
#   --update  refresh the apt package lists (otherwise the cached lists are used once present,
#             so builds and the reuse check work offline)
#   --out DIR write disk.img and manifest.json to DIR instead of catalog/<id> (one ID only; the
#             reproducibility tests build a second copy this way)
# Host packages (Debian 12): fdisk dosfstools mtools syslinux syslinux-common cpio kmod
#   e2fsprogs seabios (scripts/ensure-debian-packages.sh installs them), nodejs >= 20.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL_IMAGES=(leaflab-linux debian-lab)

ids=() options=() out=0
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --out) out=1; options+=("$1" "${2:-}"); shift $(( $# > 1 ? 2 : 1 )) ;;
    --*) options+=("$1"); shift ;;
    *) [ -f "$HERE/$1/build.sh" ] || { echo "image: error: no image recipe '$1' (known: ${ALL_IMAGES[*]})" >&2; exit 2; }
       ids+=("$1"); shift ;;
  esac
done
[ ${#ids[@]} -gt 0 ] || ids=("${ALL_IMAGES[@]}")
if [ "$out" = 1 ] && [ ${#ids[@]} -ne 1 ]; then
  echo "image: error: --out takes exactly one image id" >&2; exit 2
fi
for id in "${ids[@]}"; do
  bash "$HERE/$id/build.sh" ${options[@]+"${options[@]}"}
done
