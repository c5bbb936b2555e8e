#!/usr/bin/env bash
# Builds the default Leaflab root image from Debian packages, reproducibly and without mounts
# (no loop devices, no root mounts), and without running any i386 program on the host:
#   catalog/leaflab-linux/disk.img       raw MBR disk: p1 FAT16 (syslinux, kernel, initramfs),
#                                        p2 ext4 root (BusyBox)
#   catalog/leaflab-linux/manifest.json  what the app serves (sha256, zero chunks…)
#   catalog/leaflab-linux/chunks.sha256  every chunk's sha256, named by the manifest
#   catalog/leaflab-linux/.build-key     hash of every input, for the reuse check
#
# Usage: bash image/build.sh leaflab-linux [--force] [--update] [--out DIR]
# Inputs: recipe.env, image.json, rootfs/, the shared parts (../kernel.env, ../syslinux.cfg,
#   ../debian.sources, ../initramfs, ../lib, the manifest tools), the resolved .deb names and the
#   host tool versions. Downloads are cached in .cache/image/debs.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
start_recipe "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" "$@"

apt_setup "$IMAGE_DIR/debian.sources"
resolve KERNEL "$(resolve_kernel_name "$KERNEL_META")"
resolve BUSYBOX "$BUSYBOX_PKG"
log "kernel $KERNEL_PKG $KERNEL_VERSION, busybox $BUSYBOX_VERSION"

KEY_EXTRA=("$KERNEL_DEB" "$BUSYBOX_DEB")
KEY=$(build_key leaflab-linux agent)
if [ "$FORCE" = 0 ] && up_to_date "$OUT" "$KEY"; then exit 0; fi

work_dir
prepare_boot_parts

# --- root filesystem tree (p2) ---------------------------------------------------------------
RFS="$WORK/rootfs"
mkdir -p "$RFS"
cp -r "$RECIPE_DIR/rootfs/." "$RFS/"
find "$RFS" -type d -exec chmod 0755 {} +
find "$RFS" -type f -exec chmod 0644 {} +
chmod 0755 "$RFS/etc/init.d/rcS"
mkdir -p "$RFS"/{bin,dev,proc,sys,run,tmp,mnt,home,var/log,usr/share/doc}
chmod 1777 "$RFS/tmp"; chmod 0700 "$RFS/root"
install -m 0755 "$BUSYBOX" "$RFS/bin/busybox"
install -D -m 0755 "$IMAGE_DIR/agent/leaflab-agent" "$RFS/usr/lib/leaflab/agent"   # etc/inittab starts it
link_applets "$RFS"
for d in "$BUSYBOX_TREE"/usr/share/doc/* "$KERNEL_TREE"/usr/share/doc/*; do   # licences
  install -D -m 0644 "$d/copyright" "$RFS/usr/share/doc/$(basename "$d")/copyright"
done
write_sample_file "$RFS"
normalize "$RFS"

# --- partitions and the disk -------------------------------------------------------------------
P2_START=$((P1_START + P1_SECTORS))
boot_partition "$WORK/boot.img" "$P1_SECTORS" "$P1_START" "$KERNEL_IMAGE" "$INITRD" "$IMAGE_DIR/syslinux.cfg"
# -i 8192: ~13k inodes (mke2fs's "small" type would pick 1 KiB blocks).
ext4_from_tree "$WORK/root.img" $((DISK_SECTORS - P2_START)) "$RFS" root "$FS_UUID" "$FS_HASH_SEED" 8192
assemble_disk "$WORK/disk.img" "$DISK_SECTORS" "$DISK_ID" "$P1_START" "$WORK/boot.img" "$P2_START" "$WORK/root.img"

# --- publish -----------------------------------------------------------------------------------
cat >"$WORK/facts.json" <<JSON
{
  "build": { "kernelPackage": "$KERNEL_PKG", "kernelVersion": "$KERNEL_VERSION", "busyboxVersion": "$BUSYBOX_VERSION", "sourceDateEpoch": $SOURCE_DATE_EPOCH },
  "contents": ["Linux $KVER (Debian $KERNEL_VERSION)", "BusyBox ${BUSYBOX_VERSION#*:} (every applet, as root)", "a 10 MiB sample file for the copy-on-write walk-through"]
}
JSON
publish_image "$WORK/disk.img" "$OUT" "$KEY" "$RECIPE_DIR/image.json" "$WORK/facts.json"
log "built $OUT/disk.img"
