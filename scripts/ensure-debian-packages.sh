#!/usr/bin/env bash
# Makes sure the Debian packages the lab needs on the host are installed.
#   scripts/ensure-debian-packages.sh image   tools that build and add images (qemu-img for qcow2/VMDK), and the BIOS
#   scripts/ensure-debian-packages.sh test    the above, plus Chromium (and a font) and nginx for the tests
# Installs what is missing with apt-get when running as root (or with passwordless sudo);
# otherwise says exactly what to install and fails.
set -euo pipefail

# Each entry: a file that proves the package is installed, then the package name.
image_needs=(
  /usr/sbin/sfdisk:fdisk
  /usr/sbin/mkfs.fat:dosfstools
  /usr/bin/mcopy:mtools
  /usr/bin/syslinux:syslinux
  /usr/lib/syslinux/mbr/mbr.bin:syslinux-common
  /usr/bin/cpio:cpio
  /usr/sbin/depmod:kmod
  /usr/sbin/mke2fs:e2fsprogs
  /usr/sbin/debugfs:e2fsprogs
  /usr/bin/dpkg-deb:dpkg
  /usr/bin/apt-get:apt
  /usr/share/seabios/bios.bin:seabios
  /usr/bin/qemu-img:qemu-utils
)
test_needs=(
  /usr/sbin/nginx:nginx
  /usr/bin/chromium:chromium
  /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf:fonts-dejavu-core
)

case "${1:-image}" in
  image) needs=("${image_needs[@]}") ;;
  test) needs=("${image_needs[@]}" "${test_needs[@]}") ;;
  *) echo "usage: $0 image|test" >&2; exit 2 ;;
esac

missing=()
for need in "${needs[@]}"; do
  [[ -e "${need%%:*}" ]] || missing+=("${need##*:}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

echo "Installing Debian packages the lab needs: ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q >&2
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
