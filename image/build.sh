#!/usr/bin/env bash
# Builds the default Leaflab root image from Debian packages, reproducibly and
# without mounts (no loop devices, no root mounts):
#   catalog/leaflab-linux/disk.img       raw MBR disk: p1 FAT16 (syslinux, kernel,
#                                        initramfs), p2 ext4 root (BusyBox)
#   catalog/leaflab-linux/manifest.json  what the app serves (sha256, zero chunks…)
#   catalog/leaflab-linux/.build-key     hash of every input, for the reuse check
#
# Usage: bash image/build.sh [--force] [--update] [--out DIR]
#   --force   rebuild even if the outputs match the inputs
#   --out DIR write disk.img and manifest.json to DIR instead of catalog/<id>
#             (the reproducibility test builds a second copy this way)
#   --update  refresh the apt package lists (otherwise the cached lists are
#             used once present, so the build and the reuse check work offline)
#
# Host packages (Debian 12): fdisk dosfstools mtools syslinux syslinux-common
#   cpio kmod e2fsprogs (plus apt, dpkg, gzip, coreutils, nodejs >= 20).
# Inputs: image/recipe.env, debian.sources, syslinux.cfg, initramfs/, rootfs/,
#   this script, the manifest scripts, the resolved .deb names and the host
#   tool versions. Downloads are cached in .cache/image/debs.
set -euo pipefail
umask 022
export LC_ALL=C TZ=UTC PATH="$PATH:/usr/sbin:/sbin"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
# shellcheck source=recipe.env
source "$HERE/recipe.env"
export SOURCE_DATE_EPOCH
OUT="$ROOT/catalog/$IMAGE_ID"
CACHE="$ROOT/.cache/image"

FORCE=0 UPDATE=0
while [ $# -gt 0 ]; do
  arg=$1; shift
  case "$arg" in
    --force) FORCE=1 ;;
    --update) UPDATE=1 ;;
    --out) [ $# -gt 0 ] || { echo "build.sh: --out needs a directory" >&2; exit 2; }
           OUT=$(realpath -m "$1"); shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

log() { echo "image: $*" >&2; }
die() { echo "image: error: $*" >&2; exit 1; }

# --- host tools --------------------------------------------------------------
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found: apt-get install $2"; }
need sfdisk fdisk;       need mkfs.fat dosfstools; need mcopy mtools
need syslinux syslinux;  need mke2fs e2fsprogs;    need debugfs e2fsprogs
need cpio cpio;          need depmod kmod;         need modprobe kmod
need dpkg-deb dpkg;      need apt-get apt;         need gzip gzip
need node nodejs
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$MBR_BIN" ] || die "$MBR_BIN not found: apt-get install syslinux-common"

# --- resolve packages (private i386 apt state; host config is untouched) -----
mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/apt/empty" "$CACHE/debs"
APT=(-o APT::Architecture=i386 -o APT::Architectures=i386
     -o Dir::Etc::SourceList="$HERE/debian.sources" -o Dir::Etc::SourceParts="$CACHE/apt/empty"
     -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$CACHE/apt/empty"
     -o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache"
     -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin  # hosts often disable these; they make look-ups fast
     -o Dir::State::Status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root
     -o Acquire::Retries=1 -o Acquire::http::Timeout=20)

# Lists are refreshed on --update, when missing, or when debian.sources changed
# since the last successful update; otherwise the build needs no network.
have_lists() { compgen -G "$CACHE/apt/lists/*_Packages*" >/dev/null; }
SOURCES_SUM=$(sha256sum <"$HERE/debian.sources")
if [ "$UPDATE" = 1 ] || ! have_lists || [ "$(cat "$CACHE/apt/sources.sum" 2>/dev/null)" != "$SOURCES_SUM" ]; then
  log "apt-get update (i386 lists in .cache/image/apt)"
  if apt-get -q "${APT[@]}" update >&2; then
    echo "$SOURCES_SUM" >"$CACHE/apt/sources.sum"
  else
    log "warning: apt-get update failed; using cached lists or .debs if any"
  fi
fi

# Sets <prefix>_PKG/_VERSION/_DEB/_SHA256 for a package, from the apt lists or,
# if there are none (offline, lists deleted), from the newest cached .deb.
resolve() {
  local prefix=$1 pkg=$2 info deb
  if have_lists && info=$(apt-cache "${APT[@]}" show --no-all-versions "$pkg" 2>/dev/null); then
    printf -v "${prefix}_PKG" %s "$pkg"
    printf -v "${prefix}_VERSION" %s "$(awk '/^Version:/ {print $2; exit}' <<<"$info")"
    printf -v "${prefix}_DEB" %s "$(awk '/^Filename:/ {n=split($2, p, "/"); print p[n]; exit}' <<<"$info")"
    printf -v "${prefix}_SHA256" %s "$(awk '/^SHA256:/ {print $2; exit}' <<<"$info")"
  else
    deb=$(cd "$CACHE/debs" && ls -1 "${pkg}"_*_i386.deb 2>/dev/null | sort -V | tail -n 1) ||
      die "cannot resolve $pkg: no apt lists and no cached .deb (network needed once)"
    [ -n "$deb" ] || die "cannot resolve $pkg: no apt lists and no cached .deb (network needed once)"
    log "warning: $pkg not in the apt lists; using cached $deb"
    printf -v "${prefix}_PKG" %s "$pkg"
    printf -v "${prefix}_VERSION" %s "$(dpkg-deb -f "$CACHE/debs/$deb" Version)"
    printf -v "${prefix}_DEB" %s "$deb"
    printf -v "${prefix}_SHA256" %s ""
  fi
}

# The kernel is whatever linux-image-686 depends on right now (never hard-coded).
if have_lists; then
  KERNEL_NAME=$(apt-cache "${APT[@]}" depends "$KERNEL_META" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
  [ -n "$KERNEL_NAME" ] || die "cannot resolve the kernel that $KERNEL_META depends on"
else
  KERNEL_NAME=$(cd "$CACHE/debs" && ls -1 linux-image-[0-9]*_i386.deb 2>/dev/null | sort -V | tail -n 1 | cut -d_ -f1)
  [ -n "$KERNEL_NAME" ] || die "no apt lists and no cached kernel .deb (network needed once)"
fi
resolve KERNEL "$KERNEL_NAME"
resolve BUSYBOX "$BUSYBOX_PKG"
log "kernel $KERNEL_PKG $KERNEL_VERSION, busybox $BUSYBOX_VERSION"

# --- build key: recipe bytes + package file names + host tool versions -------
build_key() {
  (
    cd "$HERE"
    find build.sh recipe.env debian.sources syslinux.cfg initramfs rootfs zero-chunks.mjs write-manifest.mjs \
      -type f -print0 | sort -z | xargs -0 sha256sum
    echo "$KERNEL_DEB" "$BUSYBOX_DEB"
    dpkg-query -W -f '${Package} ${Version}\n' fdisk dosfstools mtools syslinux syslinux-common cpio kmod e2fsprogs gzip 2>/dev/null || true
  ) | sha256sum | cut -d' ' -f1
}
KEY=$(build_key)

if [ "$FORCE" = 0 ] && [ -f "$OUT/disk.img" ] && [ -f "$OUT/manifest.json" ] && [ -f "$OUT/.build-key" ] &&
   [ "$(cat "$OUT/.build-key")" = "$KEY" ]; then
  want=$(node -p "require(process.argv[1]).sha256" "$OUT/manifest.json")
  if [ "$(sha256sum "$OUT/disk.img" | cut -d' ' -f1)" = "$want" ]; then
    log "up to date: reused $OUT/disk.img (sha256 $want); --force to rebuild"
    exit 0
  fi
  log "disk.img does not match its manifest; rebuilding"
fi

# --- download (.deb cache, verified against the apt lists' sha256) -----------
fetch_deb() {
  local pkg=$1 version=$2 deb=$3 sha=$4 tmp
  if [ -f "$CACHE/debs/$deb" ] && { [ -z "$sha" ] || sha256sum -c --status <<<"$sha  $CACHE/debs/$deb"; }; then
    return
  fi
  log "downloading $pkg $version"
  tmp=$(mktemp -d "$CACHE/debs/.dl.XXXXXX")
  (cd "$tmp" && apt-get -q "${APT[@]}" download "$pkg=$version" >&2) || die "download of $pkg failed"
  # apt names the file with a %3a-escaped epoch; store it under the pool name.
  mv "$tmp"/*.deb "$CACHE/debs/$deb" && rmdir "$tmp"
  [ -z "$sha" ] || sha256sum -c --status <<<"$sha  $CACHE/debs/$deb" || die "$deb: sha256 mismatch"
}
fetch_deb "$KERNEL_PKG" "$KERNEL_VERSION" "$KERNEL_DEB" "$KERNEL_SHA256"
fetch_deb "$BUSYBOX_PKG" "$BUSYBOX_VERSION" "$BUSYBOX_DEB" "$BUSYBOX_SHA256"

# --- unpack ------------------------------------------------------------------
# A private work folder per run, removed however the run ends.
WORK=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/kernel" "$WORK/busybox"
dpkg-deb -x "$CACHE/debs/$KERNEL_DEB" "$WORK/kernel"
dpkg-deb -x "$CACHE/debs/$BUSYBOX_DEB" "$WORK/busybox"
KVER=$(ls "$WORK/kernel/lib/modules")
[ "$(wc -w <<<"$KVER")" = 1 ] || die "expected one kernel in $KERNEL_DEB, got: $KVER"
depmod -b "$WORK/kernel" "$KVER"     # the .deb ships no modules.dep
BUSYBOX="$WORK/busybox/bin/busybox"
APPLETS=$("$BUSYBOX" --list-full) || die "cannot run the i386 busybox on this host (needs IA32 emulation in the host kernel)"

# Symlinks bin/sh -> /bin/busybox etc. for every applet (what `busybox
# --install -s` would do in the guest).
link_applets() {
  local dir=$1 a
  while read -r a; do
    case "$a" in */*) ;; *) continue ;; esac   # skips the top-level "linuxrc"
    [ "$a" = bin/busybox ] && continue
    mkdir -p "$dir/$(dirname "$a")"
    ln -sfn /bin/busybox "$dir/$a"
  done <<<"$APPLETS"
}

# Pin owner and every timestamp (mke2fs -d and cpio copy them).
normalize() {
  chown -hR 0:0 "$1"
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

# --- initramfs ---------------------------------------------------------------
INITRD="$WORK/initramfs"
mkdir -p "$INITRD"/{bin,dev,proc,sys,newroot,lib/modules}
install -m 0755 "$BUSYBOX" "$INITRD/bin/busybox"
link_applets "$INITRD"
install -m 0755 "$HERE/initramfs/init" "$INITRD/init"
# Dependency order from modprobe, deduplicated, minus SKIP_MODULES.
for m in $INITRD_MODULES; do
  modprobe -d "$WORK/kernel" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  name=$(basename "$ko")
  case " $SKIP_MODULES " in *" ${name%.ko} "*) continue ;; esac
  install -m 0644 "$ko" "$INITRD/lib/modules/$name"
  echo "$name" >>"$INITRD/lib/modules/order"
done
log "initramfs modules: $(tr '\n' ' ' <"$INITRD/lib/modules/order")"
normalize "$INITRD"
# The kernel's built-in initramfs already provides /dev/console.
(cd "$INITRD" && find . -mindepth 1 -print0 | sort -z |
  cpio --null -o -H newc --reproducible -R 0:0 --quiet) | gzip -9n >"$WORK/initrd.gz"

# --- root filesystem tree (p2) -------------------------------------------------
RFS="$WORK/rootfs"
mkdir -p "$RFS"
cp -r "$HERE/rootfs/." "$RFS/"
find "$RFS" -type d -exec chmod 0755 {} +
find "$RFS" -type f -exec chmod 0644 {} +
chmod 0755 "$RFS/etc/init.d/rcS"
mkdir -p "$RFS"/{bin,dev,proc,sys,run,tmp,mnt,home,var/log,usr/share/doc}
chmod 1777 "$RFS/tmp"; chmod 0700 "$RFS/root"
install -m 0755 "$BUSYBOX" "$RFS/bin/busybox"
link_applets "$RFS"
for d in "$WORK"/busybox/usr/share/doc/* "$WORK"/kernel/usr/share/doc/*; do   # licences
  install -D -m 0644 "$d/copyright" "$RFS/usr/share/doc/$(basename "$d")/copyright"
done
# A large file that nothing reads at boot: the walk-through reads it to show root chunks
# being fetched on demand (about 10 MiB of numbered lines, the same bytes every build).
mkdir -p "$RFS/usr/share/leaflab"
seq -f 'line %07g of the Leaflab sample file: reading it fetches the root image on demand' 1 120000 \
  >"$RFS/usr/share/leaflab/sample.txt"
normalize "$RFS"

# --- p1: FAT16 with syslinux, kernel, initramfs (built as a separate file) ---
P2_START=$((P1_START + P1_SECTORS))
P2_SECTORS=$((DISK_SECTORS - P2_START))
export MTOOLS_SKIP_CHECK=1
install -m 0644 "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
install -m 0644 "$HERE/syslinux.cfg" "$WORK/syslinux.cfg"
touch -d "@$SOURCE_DATE_EPOCH" "$WORK/vmlinuz" "$WORK/initrd.gz" "$WORK/syslinux.cfg"
# --invariant: fixed volume id (1234-ABCD) and times; -h: hidden sectors = partition offset,
# which syslinux's boot sector adds to find ldlinux.sys on the whole disk.
mkfs.fat -C -F 16 -n BOOT --invariant -h "$P1_START" "$WORK/boot.img" $((P1_SECTORS / 2)) >/dev/null
# syslinux writes ldlinux.* through mtools, which stamps them with
# SOURCE_DATE_EPOCH (exported above) instead of the current time.
syslinux --install "$WORK/boot.img"
for f in syslinux.cfg vmlinuz initrd.gz; do
  mcopy -m -i "$WORK/boot.img" "$WORK/$f" "::$f"    # -m: keep the pinned mtime
done

# --- p2: ext4 from the tree (separate file) ----------------------------------
# Fixed UUID/hash seed; E2FSPROGS_FAKE_TIME pins superblock and new-inode
# times; lazy_*_init=0 writes inode tables and journal now, or the guest
# kernel would zero them (~MBs of writes) after its first mount. -T default
# -i 8192: 4 KiB blocks, ~13k inodes (mke2fs's "small" type would pick 1 KiB).
truncate -s $((P2_SECTORS * 512)) "$WORK/root.img"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mke2fs -q -F -t ext4 -T default -i 8192 -L root -U "$FS_UUID" \
  -E "hash_seed=$FS_HASH_SEED,root_owner=0:0,lazy_itable_init=0,lazy_journal_init=0,nodiscard" \
  -d "$RFS" "$WORK/root.img"
# mke2fs -d copies each file's ctime (which touch cannot set) and stamps
# crtime with the clock: pin all of them afterwards.
(cd "$RFS" && find . -print | sort) | while read -r p; do
  p=${p#.}; p=${p:-/}
  for field in atime mtime ctime crtime; do
    echo "sif \"$p\" $field @$SOURCE_DATE_EPOCH"
  done
done >"$WORK/debugfs.cmds"
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH debugfs -w -f "$WORK/debugfs.cmds" "$WORK/root.img" >/dev/null 2>"$WORK/debugfs.log" ||
  die "debugfs failed: see $WORK/debugfs.log"
if grep -v '^debugfs ' "$WORK/debugfs.log" | grep -q .; then
  die "debugfs reported errors: see $WORK/debugfs.log"
fi

# --- assemble the disk ---------------------------------------------------------
DISK="$WORK/disk.img"
truncate -s $((DISK_SECTORS * 512)) "$DISK"
sfdisk -q --no-reread --no-tell-kernel "$DISK" >/dev/null <<EOF
label: dos
label-id: $DISK_ID
unit: sectors
start=$P1_START, size=$P1_SECTORS, type=e, bootable
start=$P2_START, size=$P2_SECTORS, type=83
EOF
dd if="$MBR_BIN" of="$DISK" bs=440 count=1 conv=notrunc status=none   # boot code only, keeps the table
dd if="$WORK/boot.img" of="$DISK" bs=1M seek=$((P1_START * 512)) oflag=seek_bytes conv=notrunc status=none
dd if="$WORK/root.img" of="$DISK" bs=1M seek=$((P2_START * 512)) oflag=seek_bytes conv=notrunc status=none

# --- publish -------------------------------------------------------------------
mkdir -p "$OUT"
rm -f "$OUT/.build-key"   # a half-written output must never look current
mv "$DISK" "$OUT/disk.img"
M_ID=$IMAGE_ID M_TITLE=$IMAGE_TITLE M_DESCRIPTION=$IMAGE_DESCRIPTION M_CHUNK_SIZE=$CHUNK_SIZE \
M_MEMORY_MIB=$BOOT_MEMORY_MIB M_VGA_MEMORY_MIB=$BOOT_VGA_MEMORY_MIB \
M_P1_START=$P1_START M_P1_SECTORS=$P1_SECTORS M_P2_START=$P2_START M_P2_SECTORS=$P2_SECTORS \
M_KERNEL_PACKAGE=$KERNEL_PKG M_KERNEL_VERSION=$KERNEL_VERSION M_BUSYBOX_VERSION=$BUSYBOX_VERSION \
M_SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH \
  node "$HERE/write-manifest.mjs" "$OUT/disk.img" "$OUT/manifest.json" >&2
echo "$KEY" >"$OUT/.build-key"
rm -rf "$WORK"
log "built $OUT/disk.img"
