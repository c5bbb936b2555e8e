# The project's initramfs: BusyBox, the kernel modules that reach an ext4 root on v86's IDE disk,
# and image/initramfs/init. Every image boots with it. Sourced, never run.

# build_initramfs KERNEL-TREE KVER BUSYBOX OUT-FILE: needs APPLETS, INITRD_MODULES, SKIP_MODULES.
build_initramfs() {
  local kernel_tree=$1 kver=$2 busybox=$3 out=$4 initrd m ko name
  initrd=$(mktemp -d "$WORK/initramfs.XXXXXX")
  mkdir -p "$initrd"/{bin,dev,proc,sys,newroot,lib/modules}
  install -m 0755 "$busybox" "$initrd/bin/busybox"
  link_applets "$initrd"
  install -m 0755 "$IMAGE_DIR/initramfs/init" "$initrd/init"
  # Dependency order from modprobe, deduplicated, minus SKIP_MODULES.
  for m in $INITRD_MODULES; do
    modprobe -d "$kernel_tree" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r ko; do
    name=$(basename "$ko")
    case " $SKIP_MODULES " in *" ${name%.ko} "*) continue ;; esac
    install -m 0644 "$ko" "$initrd/lib/modules/$name"
    echo "$name" >>"$initrd/lib/modules/order"
  done
  log "initramfs modules: $(tr '\n' ' ' <"$initrd/lib/modules/order")"
  normalize "$initrd"
  # The kernel's built-in initramfs already provides /dev/console.
  (cd "$initrd" && find . -mindepth 1 -print0 | sort -z |
    cpio --null -o -H newc --reproducible -R 0:0 --quiet) | gzip -9n >"$out"
}

# unpack_kernel DEB DIR: sets KVER; runs the host's depmod on the tree (the .deb ships no
# modules.dep; depmod only reads the modules).
unpack_kernel() {
  local deb=$1 dir=$2
  mkdir -p "$dir"
  dpkg-deb -x "$deb" "$dir"
  KVER=$(ls "$dir/lib/modules")
  [ "$(wc -w <<<"$KVER")" = 1 ] || die "expected one kernel in $deb, got: $KVER"
  depmod -b "$dir" "$KVER"
}

# prepare_boot_parts: what every image boots with, in WORK: the kernel and BusyBox (downloaded if
# missing, unpacked), BusyBox's applets and the project's initramfs. Needs KERNEL_* and
# BUSYBOX_* from `resolve`, INITRD_MODULES and SKIP_MODULES (kernel.env). Sets KVER,
# KERNEL_TREE, KERNEL_IMAGE, BUSYBOX, BUSYBOX_TREE, APPLETS and INITRD.
prepare_boot_parts() {
  fetch_deb "$KERNEL_PKG" "$KERNEL_VERSION" "$KERNEL_DEB" "$KERNEL_SHA256"
  fetch_deb "$BUSYBOX_PKG" "$BUSYBOX_VERSION" "$BUSYBOX_DEB" "$BUSYBOX_SHA256"
  KERNEL_TREE="$WORK/kernel" BUSYBOX_TREE="$WORK/busybox"
  unpack_kernel "$CACHE/debs/$KERNEL_DEB" "$KERNEL_TREE"
  KERNEL_IMAGE="$KERNEL_TREE/boot/vmlinuz-$KVER"
  mkdir -p "$BUSYBOX_TREE"
  dpkg-deb -x "$CACHE/debs/$BUSYBOX_DEB" "$BUSYBOX_TREE"
  BUSYBOX="$BUSYBOX_TREE/bin/busybox"
  APPLETS=$(busybox_applets "$BUSYBOX" "$KERNEL_IMAGE")
  INITRD="$WORK/initrd.gz"
  build_initramfs "$KERNEL_TREE" "$KVER" "$BUSYBOX" "$INITRD"
}
