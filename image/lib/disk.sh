# A bootable raw disk from parts, without mounts or loop devices: an MBR with syslinux's boot
# code, p1 a FAT16 boot partition (syslinux, kernel, initramfs), p2 an ext4 root made from a
# folder with mke2fs -d. Every identifier and timestamp is pinned, so the same inputs give the
# same bytes. Sourced, never run. Needs SOURCE_DATE_EPOCH, and WORK for scratch files.

# boot_partition OUT-FILE SECTORS START-SECTOR KERNEL INITRD SYSLINUX-CFG
boot_partition() {
  local out=$1 sectors=$2 start=$3 kernel=$4 initrd=$5 cfg=$6 files f
  files=$(mktemp -d "$WORK/boot.XXXXXX")
  export MTOOLS_SKIP_CHECK=1
  install -m 0644 "$kernel" "$files/vmlinuz"
  install -m 0644 "$initrd" "$files/initrd.gz"
  install -m 0644 "$cfg" "$files/syslinux.cfg"
  touch -d "@$SOURCE_DATE_EPOCH" "$files/vmlinuz" "$files/initrd.gz" "$files/syslinux.cfg"
  # --invariant: fixed volume id (1234-ABCD) and times; -h: hidden sectors = partition offset,
  # which syslinux's boot sector adds to find ldlinux.sys on the whole disk.
  mkfs.fat -C -F 16 -n BOOT --invariant -h "$start" "$out" $((sectors / 2)) >/dev/null
  # syslinux writes ldlinux.* through mtools, which stamps them with SOURCE_DATE_EPOCH
  # (exported by the recipe) instead of the current time.
  syslinux --install "$out"
  for f in syslinux.cfg vmlinuz initrd.gz; do
    mcopy -m -i "$out" "$files/$f" "::$f"    # -m: keep the pinned mtime
  done
}

# ext4_from_tree OUT-FILE SECTORS TREE LABEL UUID HASH-SEED [INODE-RATIO]
# Fixed UUID and hash seed; E2FSPROGS_FAKE_TIME pins superblock and new-inode times;
# lazy_*_init=0 writes inode tables and journal now, or the guest kernel would zero them (MBs of
# writes into every user's leaf) after its first mount. -T default: 4 KiB blocks.
ext4_from_tree() {
  local out=$1 sectors=$2 tree=$3 label=$4 uuid=$5 seed=$6 ratio=${7:-8192} cmds
  truncate -s $((sectors * 512)) "$out"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -T default -i "$ratio" -L "$label" -U "$uuid" \
    -E "hash_seed=$seed,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard" \
    -d "$tree" "$out"
  # mke2fs -d copies each file's ctime (which touch cannot set) and stamps crtime with the
  # clock: pin all of them afterwards.
  cmds=$(mktemp "$WORK/debugfs.XXXXXX")
  (cd "$tree" && find . -print | sort) | while read -r p; do
    p=${p#.}; p=${p:-/}
    for field in atime mtime ctime crtime; do
      echo "sif \"$p\" $field @$SOURCE_DATE_EPOCH"
    done
  done >"$cmds"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$cmds" "$out" >/dev/null 2>"$cmds.log" ||
    die "debugfs failed: see $cmds.log"
  if grep -v '^debugfs ' "$cmds.log" | grep -q .; then
    die "debugfs reported errors: see $cmds.log"
  fi
}

# assemble_disk OUT-FILE DISK-SECTORS DISK-ID P1-START P1-FILE P2-START P2-FILE
# p1 is the bootable FAT16 (type e), p2 Linux (83) to the end of the disk.
assemble_disk() {
  local out=$1 disk_sectors=$2 disk_id=$3 p1_start=$4 p1=$5 p2_start=$6 p2=$7
  local p1_sectors=$(( $(stat -c %s "$p1") / 512 )) p2_sectors=$(( $(stat -c %s "$p2") / 512 ))
  [ $((p1_start + p1_sectors)) -le "$p2_start" ] || die "p1 overlaps p2"
  [ $((p2_start + p2_sectors)) -le "$disk_sectors" ] || die "p2 does not fit on the disk"
  truncate -s $((disk_sectors * 512)) "$out"
  sfdisk -q --no-reread --no-tell-kernel "$out" >/dev/null <<SFDISK
label: dos
label-id: $disk_id
unit: sectors
start=$p1_start, size=$p1_sectors, type=e, bootable
start=$p2_start, size=$p2_sectors, type=83
SFDISK
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$out" bs=440 count=1 conv=notrunc status=none   # boot code only, keeps the table
  dd if="$p1" of="$out" bs=1M seek=$((p1_start * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
  dd if="$p2" of="$out" bs=1M seek=$((p2_start * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
}

# publish_image DISK OUT-DIR KEY RECIPE-JSON [FACTS-JSON]: moves the disk into place, writes
# chunks.sha256 and manifest.json (the facts come from the recipe's image.json, the disk itself
# and M_* variables), then the build key. A half-written output never looks current: the key goes first and comes back last.
publish_image() {
  local disk=$1 out=$2 key=$3 recipe=$4 facts=${5:-}
  mkdir -p "$out"
  rm -f "$out/.build-key"
  mv "$disk" "$out/disk.img"
  "$TSX" "$IMAGE_DIR/tools/write-manifest.ts" "$recipe" "$out/disk.img" "$out/manifest.json" ${facts:+"$facts"} >&2
  record_boot_set "$out"
  echo "$key" >"$out/.build-key"
}

# record_boot_set OUT-DIR: boots the image once under v86 in Node and stores in its manifest the
# root chunks the boot reads before the shell prompt, in first-read order (the lab prefetches
# them). It is part of the build, so the build key covers the recorder too (SHARED_INPUTS).
record_boot_set() {
  log "recording the boot working set: booting $1/disk.img in v86 to its shell prompt"
  "$TSX" "$IMAGE_DIR/tools/record-boot-set.ts" "$1" || die "recording the boot working set of $1/disk.img failed (see above)"
}

# up_to_date OUT-DIR KEY: true when OUT-DIR holds a build with this key whose disk and chunk
# table still hash to its manifest.
up_to_date() {
  local out=$1 key=$2 want want_table
  [ -f "$out/disk.img" ] && [ -f "$out/manifest.json" ] && [ -f "$out/chunks.sha256" ] && [ -f "$out/.build-key" ] || return 1
  [ "$(cat "$out/.build-key")" = "$key" ] || return 1
  want=$(node -p "require(process.argv[1]).sha256" "$out/manifest.json")
  want_table=$(node -p "require(process.argv[1]).chunkDigests?.sha256" "$out/manifest.json")
  if [ "$(sha256sum "$out/disk.img" | cut -d' ' -f1)" = "$want" ] &&
     [ "$(sha256sum "$out/chunks.sha256" | cut -d' ' -f1)" = "$want_table" ]; then
    log "up to date: reused $out/disk.img (sha256 $want); --force to rebuild"
    return 0
  fi
  log "$out/disk.img or its chunk table does not match its manifest; rebuilding"
  return 1
}
