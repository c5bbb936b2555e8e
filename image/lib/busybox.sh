# BusyBox for the images: its applet list and the symlinks it implies. Sourced, never run.
#
# The list comes from `busybox --list-full`, run inside v86 (a probe initramfs holding only
# BusyBox), never on the host. It depends only on the binary, so it is cached by the binary's
# sha-256 and the probe boots once per BusyBox version.

# busybox_applets BUSYBOX KERNEL: prints the applet list ("bin/ls", "usr/sbin/chroot", …).
busybox_applets() {
  local busybox=$1 kernel=$2 sum cached probe
  sum=$(sha256sum "$busybox" | cut -d' ' -f1)
  cached="$CACHE/busybox-applets/$sum.txt"
  if [ ! -s "$cached" ]; then
    log "listing BusyBox's applets inside v86 (once per BusyBox version)"
    probe=$(mktemp -d "$WORK/applet-probe.XXXXXX")
    mkdir -p "$probe/root/bin"
    install -m 0755 "$busybox" "$probe/root/bin/busybox"
    cat >"$probe/root/init" <<'INIT'
#!/bin/busybox sh
echo LEAFLAB-APPLETS-BEGIN
/bin/busybox --list-full
status=$?
echo LEAFLAB-APPLETS-END
echo LEAFLAB-GUEST-EXIT=$status
exec /bin/busybox poweroff -f
INIT
    chmod 0755 "$probe/root/init"
    (cd "$probe/root" && find . -mindepth 1 -print0 | sort -z | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1n >"$probe/initrd.gz"
    "$TSX" "$IMAGE_DIR/tools/run-in-guest.ts" --kernel "$kernel" --initrd "$probe/initrd.gz" \
      --cmdline 'console=ttyS0 quiet mce=off cryptomgr.notests' --memory-mib 128 --timeout-s 300 \
      --log "$probe/console.log" || die "could not list BusyBox's applets in the guest: see above"
    mkdir -p "$CACHE/busybox-applets"
    tr -d '\r' <"$probe/console.log" | sed -n '/^LEAFLAB-APPLETS-BEGIN$/,/^LEAFLAB-APPLETS-END$/p' | sed '1d;$d' >"$cached.tmp"
    grep -qx 'bin/sh' "$cached.tmp" || die "the guest's applet list has no bin/sh: see $probe/console.log"
    mv "$cached.tmp" "$cached"
  fi
  cat "$cached"
}

# link_applets DIR: symlinks bin/sh -> /bin/busybox etc. for every applet in $APPLETS (what
# `busybox --install -s` would do in the guest).
link_applets() {
  local dir=$1 a
  while read -r a; do
    case "$a" in */*) ;; *) continue ;; esac   # skips the top-level "linuxrc"
    [ "$a" = bin/busybox ] && continue
    mkdir -p "$dir/$(dirname "$a")"
    ln -sfn /bin/busybox "$dir/$a"
  done <<<"$APPLETS"
}
