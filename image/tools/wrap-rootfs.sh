#!/usr/bin/env bash
# Wraps a root filesystem tarball (e.g. `docker export` of an i386 container) in a bootable
# disk: p1 FAT16 with syslinux, the Debian kernel and the project's initramfs (as every catalog
# image has), p2 ext4 with the tarball's files, Leaflab's init and a static BusyBox for it.
# Called by `npm run image:add` (image/tools/add-image.ts); nothing is mounted and no program
# from the tarball or from an i386 package runs on the host.
#
# Usage: bash image/tools/wrap-rootfs.sh TARBALL OUT-DIR HOSTNAME [FREE-MIB]
#   writes OUT-DIR/disk.img and OUT-DIR/facts.json ({"contents": […]}); exit 3 and one line on
#   stderr ("image: error: …") when the tarball is not an i386 root filesystem.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
source "$IMAGE_DIR/kernel.env"

[ $# -ge 3 ] || die "usage: wrap-rootfs.sh TARBALL OUT-DIR HOSTNAME [FREE-MIB]"
TARBALL=$(realpath "$1") OUT_DIR=$(realpath -m "$2") NAME=$3 FREE_MIB=${4:-1024}
# A wrapped image is new, so its clock is now's day only by accident: pin it like the recipes.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600}
export SOURCE_DATE_EPOCH
P1_START=2048 P1_SECTORS=49152
DISK_ID=0x1eaf1ab7

# bad_input MESSAGE: the input is at fault (exit 3), not the host.
bad_input() { echo "image: error: $*" >&2; exit 3; }

[ "$(id -u)" = 0 ] || die "wrapping a root filesystem keeps its files' owners, which needs root: run npm run image:add as root (or with sudo)"
need_common_tools
need tar tar

work_dir
log "reading $TARBALL"
# GNU tar reads .tar, .tar.gz, .tar.xz, .tar.zst, … alike.
tar -tf "$TARBALL" >"$WORK/list" 2>"$WORK/tar.err" ||
  bad_input "$(basename "$TARBALL") is not a tar archive that GNU tar can read ($(head -n 1 "$WORK/tar.err"))"
sed -e 's|^\./||' -e 's|/$||' "$WORK/list" >"$WORK/names"
grep -qx 'etc' "$WORK/names" || grep -q '^etc/' "$WORK/names" ||
  bad_input "$(basename "$TARBALL") is not a root filesystem: it has no /etc (a docker export or a debootstrap tree has one)"
grep -qxE 'bin/sh|usr/bin/sh' "$WORK/names" ||
  bad_input "$(basename "$TARBALL") is not a root filesystem: it has no /bin/sh, which the lab's init and login need"

# --- unpack as the tarball says (owners, modes, xattrs); device nodes come from devtmpfs -------
TREE="$WORK/tree"
mkdir -p "$TREE"
tar -x --numeric-owner -p --xattrs --xattrs-include='*' --exclude='./dev/*' --exclude='dev/*' \
  --exclude='./.dockerenv' --exclude='.dockerenv' -f "$TARBALL" -C "$TREE" 2>"$WORK/tar.err" ||
  bad_input "$(basename "$TARBALL") could not be unpacked: $(head -n 3 "$WORK/tar.err" | tr '\n' ' ')"

# in_tree PATH: PATH resolved inside TREE as the guest will see it (symlinks followed, absolute
# ones from the tree's root, never leaving it); prints the host path. The tarball's symlinks
# must never make the host write outside the tree.
in_tree() {
  local rest=${1#/} resolved="" part target hops=0
  while [ -n "$rest" ]; do
    part=${rest%%/*}; [ "$part" = "$rest" ] && rest="" || rest=${rest#*/}
    case "$part" in
      ''|.) continue ;;
      ..) resolved=${resolved%/*}; continue ;;
    esac
    if [ -L "$TREE$resolved/$part" ]; then
      hops=$((hops + 1)); [ "$hops" -le 40 ] || bad_input "too many symlinks resolving $1 in the tarball"
      target=$(readlink "$TREE$resolved/$part")
      case "$target" in /*) resolved="" ;; esac
      rest="${target#/}${rest:+/$rest}"
    else
      resolved="$resolved/$part"
    fi
  done
  echo "$TREE$resolved"
}

# --- what the tarball runs: 32-bit x86 only (v86 emulates an i386 PC) ---------------------------
SH=$(in_tree /bin/sh)
[ -f "$SH" ] || bad_input "/bin/sh in $(basename "$TARBALL") leads nowhere (a dangling link)"
elf=$(od -An -tx1 -N20 "$SH" | tr -d ' \n')
case "$elf" in
  7f454c4601*) machine=${elf:36:4} ;;      # ELF, 32-bit: e_machine at byte 18
  7f454c4602*) machine=64bit ;;
  2321*) machine=script ;;                  # "#!": follow nothing, trust the rest of the tree
  *) bad_input "/bin/sh in $(basename "$TARBALL") is not a program (no ELF header)" ;;
esac
case "$machine" in
  0300|script) ;;
  64bit) bad_input "$(basename "$TARBALL") holds 64-bit programs, but the lab emulates a 32-bit x86 (i386) PC: export an i386 image instead (docker run --platform linux/386 …, or debootstrap --arch=i386)" ;;
  2800) bad_input "$(basename "$TARBALL") holds ARM programs; the lab emulates a 32-bit x86 (i386) PC" ;;
  *) bad_input "$(basename "$TARBALL") holds programs for another machine (ELF e_machine 0x${machine:2:2}${machine:0:2}); the lab emulates a 32-bit x86 (i386) PC" ;;
esac

# --- the kernel, the project's initramfs and BusyBox --------------------------------------------
apt_setup "$IMAGE_DIR/debian.sources"
resolve KERNEL "$(resolve_kernel_name "$KERNEL_META")"
resolve BUSYBOX "$BUSYBOX_PKG"
prepare_boot_parts

# --- Leaflab's additions, each written through in_tree ---------------------------------------
LEAFLAB_LIB=$(in_tree /usr/lib/leaflab)
mkdir -p "$LEAFLAB_LIB/bin"
install -m 0755 "$BUSYBOX" "$LEAFLAB_LIB/busybox"
install -m 0755 "$IMAGE_DIR/lab-init/leaflab-init" "$LEAFLAB_LIB/init"
install -m 0755 "$IMAGE_DIR/agent/leaflab-agent" "$LEAFLAB_LIB/agent"   # the init starts it
# BusyBox's applets in a folder of their own: the init falls back to them for whatever the
# root filesystem lacks (its own programs come first on PATH).
while read -r applet; do
  case "$applet" in */*) ln -sfn ../busybox "$LEAFLAB_LIB/bin/$(basename "$applet")" ;; esac
done <<<"$APPLETS"
rm -f "$LEAFLAB_LIB/bin/busybox"
ETC=$(in_tree /etc)
mkdir -p "$ETC/leaflab"
printf '# Written by npm run image:add: the user both consoles log in as.\nLAB_USER=root\nPATH_FALLBACK=/usr/lib/leaflab/bin\n' >"$ETC/leaflab/init.conf"
# docker export leaves empty placeholders for the files Docker mounts.
[ -s "$ETC/hostname" ] && [ ! -L "$ETC/hostname" ] || { rm -f "$ETC/hostname"; echo "$NAME" >"$ETC/hostname"; }
[ -s "$ETC/hosts" ] && [ ! -L "$ETC/hosts" ] || { rm -f "$ETC/hosts"; printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$NAME" >"$ETC/hosts"; }
SBIN=$(in_tree /sbin)
mkdir -p "$SBIN"
if [ -e "$SBIN/init" ] || [ -L "$SBIN/init" ]; then
  log "keeping the tarball's /sbin/init as /sbin/init.tarball; the lab boots with Leaflab's init"
  mv -f "$SBIN/init" "$SBIN/init.tarball"
fi
ln -s /usr/lib/leaflab/init "$SBIN/init"
for dir in proc sys dev run tmp; do mkdir -p "$(in_tree "/$dir")"; done
chmod 1777 "$(in_tree /tmp)"
normalize_times "$TREE"

# --- the disk: the tree plus FREE_MIB, in whole MiB ----------------------------------------------
used_mib=$(( $(du -s --block-size=1M "$TREE" | cut -f1) ))
root_mib=$(( (used_mib * 13 / 10) + FREE_MIB + 64 ))
DISK_SECTORS=$(( (P1_START + P1_SECTORS) + root_mib * 2048 ))
P2_START=$((P1_START + P1_SECTORS))
boot_partition "$WORK/boot.img" "$P1_SECTORS" "$P1_START" "$KERNEL_IMAGE" "$INITRD" "$IMAGE_DIR/syslinux.cfg"
ext4_from_tree "$WORK/root.img" $((DISK_SECTORS - P2_START)) "$TREE" root \
  "$(printf '1eaf1ab5-0000-4000-8000-%012x' "$(cksum <<<"$NAME" | cut -d' ' -f1)")" \
  1eaf1ab5-0000-4000-8000-0000000002ff 16384
mkdir -p "$OUT_DIR"
assemble_disk "$OUT_DIR/disk.img" "$DISK_SECTORS" "$DISK_ID" "$P1_START" "$WORK/boot.img" "$P2_START" "$WORK/root.img"

# --- what is inside ---------------------------------------------------------------------------
os=$(sed -n 's/^PRETTY_NAME=//p' "$(in_tree /etc/os-release)" 2>/dev/null | tr -d '"\\' | head -n 1)
cat >"$OUT_DIR/facts.json" <<JSON
{
  "contents": [
    "${os:-a root filesystem} from $(basename "$TARBALL" | tr -d '"\\'), ${used_mib} MiB of files",
    "Linux $KVER (Debian $KERNEL_VERSION) and Leaflab's initramfs and init; logged in as root",
    "BusyBox ${BUSYBOX_VERSION#*:} in /usr/lib/leaflab for what the root filesystem lacks"
  ]
}
JSON
log "wrapped $(basename "$TARBALL"): ${used_mib} MiB of files on a $((DISK_SECTORS / 2048)) MiB disk"
