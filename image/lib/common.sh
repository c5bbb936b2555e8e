# Shared by the image recipes (image/<id>/build.sh) and wrap-rootfs.sh: logging, host tools,
# trees and the work folder, how a recipe starts, and the build key. It sources the other
# libraries here: Debian packages (apt.sh), BusyBox, the initramfs, the disk. Sourced, never run.
#
# Rule for everything under image/: no file unpacked from an i386 package is ever executed on
# the host, on any path. The host may be unable to run 32-bit code at all ("Exec format error").
# What needs i386 code runs inside v86 (image/tools/run-in-guest.ts); the host only unpacks,
# reads and copies those files.

umask 022
export LC_ALL=C TZ=UTC PATH="$PATH:/usr/sbin:/sbin"

IMAGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT_DIR=$(dirname "$IMAGE_DIR")
CACHE="$PROJECT_DIR/.cache/image"
TSX="$PROJECT_DIR/node_modules/.bin/tsx"

log() { echo "image: $*" >&2; }
die() { echo "image: error: $*" >&2; exit 1; }

# need COMMAND DEBIAN-PACKAGE
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found: apt-get install $2"; }

need_common_tools() {
  need sfdisk fdisk;       need mkfs.fat dosfstools; need mcopy mtools
  need syslinux syslinux;  need mke2fs e2fsprogs;    need debugfs e2fsprogs
  need cpio cpio;          need depmod kmod;         need modprobe kmod
  need dpkg-deb dpkg;      need apt-get apt;         need gzip gzip
  need node nodejs
  [ -x "$TSX" ] || die "$TSX not found: run npm install"
  [ -f /usr/lib/syslinux/mbr/mbr.bin ] || die "/usr/lib/syslinux/mbr/mbr.bin not found: apt-get install syslinux-common"
  [ -f /usr/share/seabios/bios.bin ] || die "/usr/share/seabios/bios.bin not found: apt-get install seabios"
}

# Host tool versions that shape the bytes of an image (part of every build key).
host_tool_versions() {
  dpkg-query -W -f '${Package} ${Version}\n' fdisk dosfstools mtools syslinux syslinux-common cpio kmod e2fsprogs gzip tar 2>/dev/null || true
  node -p "require('$PROJECT_DIR/node_modules/v86/package.json').version"
}

# --- trees ----------------------------------------------------------------------------------
# Pin owner and every timestamp (mke2fs -d and cpio copy them).
normalize() {
  chown -hR 0:0 "$1"
  normalize_times "$1"
}

normalize_times() {
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# write_sample_file DIR: DIR/usr/share/leaflab/sample.txt, a large file that nothing reads at
# boot: the walk-through reads it to show root chunks fetched on demand (about 10 MiB of
# numbered lines, the same bytes in every build and every image).
write_sample_file() {
  mkdir -p "$1/usr/share/leaflab"
  seq -f 'line %07g of the Leaflab sample file: reading it fetches the root image on demand' 1 120000 \
    >"$1/usr/share/leaflab/sample.txt"
}

# work_dir: a private work folder per run (WORK), removed however the run ends.
# LEAFLAB_IMAGE_WORK_DIR puts it elsewhere: the no-exec test mounts that folder noexec.
work_dir() {
  local parent=${LEAFLAB_IMAGE_WORK_DIR:-$CACHE}
  mkdir -p "$parent"
  WORK=$(mktemp -d "$parent/work.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
}

# --- recipes ---------------------------------------------------------------------------------
# start_recipe RECIPE-DIR ARGS…: how every image/<id>/build.sh begins (sets RECIPE_DIR, the
# recipe's and the kernel's settings, FORCE/UPDATE/OUT).
start_recipe() {
  RECIPE_DIR=$1; shift
  # shellcheck source=../kernel.env
  source "$IMAGE_DIR/kernel.env"
  source "$RECIPE_DIR/recipe.env"
  export SOURCE_DATE_EPOCH
  parse_build_options "$@"
  need_common_tools
}

# --- options and the build key --------------------------------------------------------------
# parse_build_options ARGS…: FORCE, UPDATE, OUT (default catalog/$IMAGE_ID).
parse_build_options() {
  FORCE=0 UPDATE=0 OUT="$PROJECT_DIR/catalog/$IMAGE_ID"
  while [ $# -gt 0 ]; do
    local arg=$1; shift
    case "$arg" in
      --force) FORCE=1 ;;
      --update) UPDATE=1 ;;
      --out) [ $# -gt 0 ] || die "--out needs a directory"
             OUT=$(realpath -m "$1"); shift ;;
      *) die "unknown option $arg (see bash image/build.sh --help)" ;;
    esac
  done
}

# The inputs every image's bytes depend on besides its own recipe folder.
SHARED_INPUTS=(kernel.env debian.sources syslinux.cfg initramfs lib tools/run-in-guest.ts tools/file-disk.ts tools/headless-v86.ts
  tools/write-manifest.ts tools/disk-facts.ts ../lib/disk/mbr.ts ../lib/images/manifest.ts ../lib/images/chunk-table.ts
  ../lib/server/disk-digester.ts tools/record-boot-set.ts tools/boot-read-log.ts ../lib/images/boot-set.ts ../lib/lab/serial-log.ts
  ../lib/disk/zero-chunks.ts)

# build_key PATH… (relative to image/): hash of those files, the lines in KEY_EXTRA (resolved
# .deb names…) and the host tool versions. A build is reused only while its key is unchanged.
build_key() {
  (
    cd "$IMAGE_DIR"
    find "$@" "${SHARED_INPUTS[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
    printf '%s\n' "${KEY_EXTRA[@]}"
    host_tool_versions
  ) | sha256sum | cut -d' ' -f1
}

source "$IMAGE_DIR/lib/apt.sh"
source "$IMAGE_DIR/lib/busybox.sh"
source "$IMAGE_DIR/lib/initramfs.sh"
source "$IMAGE_DIR/lib/disk.sh"
