#!/usr/bin/env bash
# Builds debian-lab: Debian 12 (bookworm) i386 with a course's tools (recipe.env: PACKAGES),
# configured by Debian's own dpkg and maintainer scripts, booting to a bash prompt as `student`.
#   catalog/debian-lab/disk.img       raw MBR disk: p1 FAT16 (syslinux, kernel, the project's
#                                     initramfs), p2 ext4 root (2 GiB disk, >= 1 GiB free)
#   catalog/debian-lab/manifest.json  what the app serves
#   catalog/debian-lab/chunks.sha256  every chunk's sha256, named by the manifest
#
# No i386 program runs on the host and nothing is mounted:
#   1. host: apt resolves the package set (private i386 lists) and downloads it (verified);
#   2. host: the required packages are unpacked into a stage tree with every .deb beside them,
#      and mke2fs -d makes it a scratch disk;
#   3. v86 under Node boots that disk (run-in-guest.ts) and configure-in-guest.sh installs and
#      configures everything with dpkg and apt, adds the lab's files, and writes the finished
#      tree as a tar stream to a second disk;
#   4. host: the tree is unpacked, every timestamp pinned, and the image assembled from it as
#      the default image is (fixed UUIDs, hash seed, mke2fs -d, debugfs), so the same inputs
#      give the same sha-256.
#
# Usage: bash image/build.sh debian-lab [--force] [--update] [--out DIR]
# The guest's console goes to .cache/image/logs/debian-lab-configure.*.log, kept if it fails.
set -euo pipefail
# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
start_recipe "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" "$@"
need tar tar

apt_setup "$IMAGE_DIR/debian.sources"
have_lists || die "debian-lab needs the apt lists (network needed once): run with --update"
resolve KERNEL "$(resolve_kernel_name "$KERNEL_META")"
resolve BUSYBOX "$BUSYBOX_PKG"

work_dir
PLANS="$WORK/plans"
mkdir -p "$PLANS"
mapfile -t REQUIRED < <(required_packages)
# shellcheck disable=SC2086 # word lists
plan_install "${REQUIRED[@]}" $BOOTSTRAP_WITH >"$PLANS/bootstrap.plan"
# shellcheck disable=SC2086
plan_install "${REQUIRED[@]}" $BOOTSTRAP_WITH $PACKAGES >"$PLANS/full.plan"
extra=$(grep -vxF -f "$PLANS/full.plan" "$PLANS/bootstrap.plan" || true)
[ -z "$extra" ] || die "apt chose required packages for the first stage that the full set does not have: $extra"
log "kernel $KERNEL_PKG $KERNEL_VERSION; $(wc -l <"$PLANS/full.plan") packages ($(wc -l <"$PLANS/bootstrap.plan") required)"

KEY_EXTRA=("$KERNEL_DEB" "$BUSYBOX_DEB" "$(cat "$PLANS/full.plan")")
KEY=$(build_key debian-lab lab-init agent)
if [ "$FORCE" = 0 ] && up_to_date "$OUT" "$KEY"; then exit 0; fi

mapfile -t FULL_DEBS < <(fetch_planned "$PLANS/full.plan")
# The first stage's files, from the full plan (fetch_planned prints them in the plan's order).
declare -A DEB_OF=()
mapfile -t FULL_PLAN <"$PLANS/full.plan"
for i in "${!FULL_PLAN[@]}"; do DEB_OF[${FULL_PLAN[$i]}]=${FULL_DEBS[$i]}; done
BOOTSTRAP_DEBS=()
while read -r entry; do BOOTSTRAP_DEBS+=("${DEB_OF[$entry]}"); done <"$PLANS/bootstrap.plan"

# --- kernel and initramfs (the same as every image's) ---------------------------------------
prepare_boot_parts

# --- 2. the stage disk ------------------------------------------------------------------------
log "stage: unpacking ${#BOOTSTRAP_DEBS[@]} required packages, ${#FULL_DEBS[@]} .debs beside them"
STAGE="$WORK/stage"
mkdir -p "$STAGE/usr/bin" "$STAGE/usr/sbin" "$STAGE/usr/lib"
ln -s usr/bin "$STAGE/bin"; ln -s usr/sbin "$STAGE/sbin"; ln -s usr/lib "$STAGE/lib"   # merged /usr
for deb in "${BOOTSTRAP_DEBS[@]}"; do
  # --keep-directory-symlink: ./bin/… lands in usr/bin through the merged-/usr links.
  dpkg-deb --fsys-tarfile "$CACHE/debs/$deb" | tar -x --keep-directory-symlink --numeric-owner -p -C "$STAGE"
done
mkdir -p "$STAGE/var/lib/dpkg/"{info,updates,triggers,alternatives} "$STAGE/var/cache/apt/archives/partial" \
  "$STAGE/var/lib/apt/lists/partial" "$STAGE/var/log/apt" "$STAGE/etc/apt/apt.conf.d" "$STAGE/etc/dpkg/dpkg.cfg.d"
: >"$STAGE/var/lib/dpkg/status"; : >"$STAGE/var/lib/dpkg/available"
BUILD="$STAGE/leaflab-build"
mkdir -p "$BUILD/overlay" "$BUILD/debs"
for deb in "${FULL_DEBS[@]}"; do cp "$CACHE/debs/$deb" "$BUILD/debs/"; done
printf '%s\n' "${BOOTSTRAP_DEBS[@]}" >"$BUILD/bootstrap.list"
printf '%s\n' "${FULL_DEBS[@]}" | grep -vxF -f "$BUILD/bootstrap.list" >"$BUILD/rest.list"
cat >"$BUILD/env" <<ENV
SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH
LAB_USER=$LAB_USER
LAB_HOSTNAME=$LAB_HOSTNAME
ENV
cp -r "$RECIPE_DIR/rootfs/." "$BUILD/overlay/"
write_sample_file "$BUILD/overlay"   # the walk-through's big file, as in the default image
chown -R 0:0 "$BUILD/overlay"
install -m 0755 "$IMAGE_DIR/lab-init/leaflab-init" "$BUILD/leaflab-init"
install -m 0755 "$IMAGE_DIR/agent/leaflab-agent" "$BUILD/leaflab-agent"
install -m 0755 "$RECIPE_DIR/configure-in-guest.sh" "$BUILD/configure-in-guest.sh"
ln -sfn /leaflab-build/configure-in-guest.sh "$STAGE/usr/sbin/init"
truncate -s $((STAGE_DISK_MIB * 1024 * 1024)) "$WORK/stage.img"
mke2fs -q -F -t ext4 -L stage -E lazy_itable_init=0,lazy_journal_init=0 -d "$STAGE" "$WORK/stage.img"
rm -rf "$STAGE"

# --- 3. configure inside v86 ------------------------------------------------------------------
mkdir -p "$CACHE/logs"
CONSOLE_LOG=$(mktemp "$CACHE/logs/$IMAGE_ID-configure.XXXXXX.log")
log "configuring the packages inside v86 (about 10 minutes; the guest's console: $CONSOLE_LOG)"
truncate -s $((STAGE_DISK_MIB * 1024 * 1024)) "$WORK/tree.tar"
"$TSX" "$IMAGE_DIR/tools/run-in-guest.ts" --kernel "$KERNEL_IMAGE" --initrd "$INITRD" \
  --cmdline "root=/dev/sda console=ttyS0 quiet cryptomgr.notests noisapnp pnpbios=off edd=off mce=off" \
  --hda "$WORK/stage.img" --hdb "$WORK/tree.tar" --memory-mib "$STAGE_MEMORY_MIB" --timeout-s "$STAGE_TIMEOUT_S" \
  --log "$CONSOLE_LOG" ||
  die "configuring $IMAGE_ID inside v86 failed; the guest's console is in $CONSOLE_LOG"
rm -f "$WORK/stage.img"

# --- 4. the reproducible image ----------------------------------------------------------------
RFS="$WORK/rootfs"
mkdir -p "$RFS"
tar -x --numeric-owner -p --xattrs --xattrs-include='*' -f "$WORK/tree.tar" -C "$RFS"
rm -f "$WORK/tree.tar"
for must in etc/debian_version usr/bin/python3 usr/bin/gcc usr/sbin/leaflab-init usr/lib/leaflab/agent "home/$LAB_USER/README"; do
  [ -e "$RFS/$must" ] || [ -L "$RFS/$must" ] || die "the configured tree has no /$must; the guest's console is in $CONSOLE_LOG"
done
rm -f "$CONSOLE_LOG"
normalize_times "$RFS"

P2_START=$((P1_START + P1_SECTORS))
boot_partition "$WORK/boot.img" "$P1_SECTORS" "$P1_START" "$KERNEL_IMAGE" "$INITRD" "$IMAGE_DIR/syslinux.cfg"
ext4_from_tree "$WORK/root.img" $((DISK_SECTORS - P2_START)) "$RFS" root "$FS_UUID" "$FS_HASH_SEED" "$ROOT_INODE_RATIO"
free_mib=$(dumpe2fs -h "$WORK/root.img" 2>/dev/null |
  awk -F: '/^Free blocks:/ {f = $2} /^Block size:/ {b = $2} END {printf "%d", f * b / 1048576}')
[ "$free_mib" -ge "$MIN_FREE_MIB" ] || die "the root filesystem keeps only $free_mib MiB free (want $MIN_FREE_MIB): grow DISK_SECTORS"
log "root filesystem: $free_mib MiB free for the student"
assemble_disk "$WORK/disk.img" "$DISK_SECTORS" "$DISK_ID" "$P1_START" "$WORK/boot.img" "$P2_START" "$WORK/root.img"

# --- publish -----------------------------------------------------------------------------------
version_of() { awk -v p="$1" '$1 == p {v = $2; sub(/^[0-9]+:/, "", v); sub(/-[^-]*$/, "", v); print v}' "$PLANS/full.plan"; }   # upstream version
cat >"$WORK/facts.json" <<JSON
{
  "build": {
    "debianSuite": "bookworm",
    "kernelPackage": "$KERNEL_PKG",
    "kernelVersion": "$KERNEL_VERSION",
    "packageCount": $(wc -l <"$PLANS/full.plan"),
    "sourceDateEpoch": $SOURCE_DATE_EPOCH
  },
  "contents": [
    "Debian 12 (bookworm) i386, $(wc -l <"$PLANS/full.plan") packages, Linux $KVER",
    "bash $(version_of bash), coreutils, util-linux, procps, findutils, grep, sed, gawk, less, file, tree",
    "Python $(version_of python3), gcc $(version_of gcc-12) with libc6-dev, make, git $(version_of git)",
    "vim.tiny, nano, man-db with manual pages, curl, iproute2, sudo",
    "user $LAB_USER with passwordless sudo; $free_mib MiB free on a $((DISK_SECTORS / 2048 / 1024)) GiB disk"
  ]
}
JSON
publish_image "$WORK/disk.img" "$OUT" "$KEY" "$RECIPE_DIR/image.json" "$WORK/facts.json"
log "built $OUT/disk.img"
