# Shared by the image recipes (image/<id>/build.sh) and wrap-rootfs.sh: logging, host tools,
# the private i386 apt state, package resolution and download, and the build key; it also
# sources the other libraries here (BusyBox, the initramfs, the disk). Sourced, never run.
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

# --- the private i386 apt state (the host's apt configuration is never touched) ------------
# apt_setup SOURCES-FILE: sets APT=(...) for apt-get/apt-cache and refreshes the lists on
# --update (UPDATE=1), when they are missing, or when the sources changed since the last update.
apt_setup() {
  local sources=$1 sum
  mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/apt/empty" "$CACHE/debs"
  APT=(-o APT::Architecture=i386 -o APT::Architectures=i386
       -o Dir::Etc::SourceList="$sources" -o Dir::Etc::SourceParts="$CACHE/apt/empty"
       -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$CACHE/apt/empty"
       -o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache"
       -o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin  # hosts often disable these; they make look-ups fast
       -o Dir::State::Status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root
       -o Acquire::Retries=1 -o Acquire::http::Timeout=20)
  sum=$(sha256sum <"$sources")
  if [ "${UPDATE:-0}" = 1 ] || ! have_lists || [ "$(cat "$CACHE/apt/sources.sum" 2>/dev/null)" != "$sum" ]; then
    log "apt-get update (i386 lists in .cache/image/apt)"
    if apt-get -q "${APT[@]}" update >&2; then
      echo "$sum" >"$CACHE/apt/sources.sum"
    else
      log "warning: apt-get update failed; using cached lists or .debs if any"
    fi
  fi
}

have_lists() { compgen -G "$CACHE/apt/lists/*_Packages*" >/dev/null; }

# resolve PREFIX PACKAGE: sets <PREFIX>_PKG/_VERSION/_DEB/_SHA256 from the apt lists or, if there
# are none (offline, lists deleted), from the newest cached .deb.
resolve() {
  local prefix=$1 pkg=$2 info deb
  if have_lists && info=$(apt-cache "${APT[@]}" show --no-all-versions "$pkg" 2>/dev/null); then
    printf -v "${prefix}_PKG" %s "$pkg"
    printf -v "${prefix}_VERSION" %s "$(awk '/^Version:/ {print $2; exit}' <<<"$info")"
    printf -v "${prefix}_DEB" %s "$(awk '/^Filename:/ {n=split($2, p, "/"); print p[n]; exit}' <<<"$info")"
    printf -v "${prefix}_SHA256" %s "$(awk '/^SHA256:/ {print $2; exit}' <<<"$info")"
  else
    deb=$(cd "$CACHE/debs" && ls -1 "${pkg}"_*_i386.deb "${pkg}"_*_all.deb 2>/dev/null | sort -V | tail -n 1) || true
    [ -n "$deb" ] || die "cannot resolve $pkg: no apt lists and no cached .deb (network needed once)"
    log "warning: $pkg not in the apt lists; using cached $deb"
    printf -v "${prefix}_PKG" %s "$pkg"
    printf -v "${prefix}_VERSION" %s "$(dpkg-deb -f "$CACHE/debs/$deb" Version)"
    printf -v "${prefix}_DEB" %s "$deb"
    printf -v "${prefix}_SHA256" %s ""
  fi
}

# The kernel package that a meta-package (linux-image-686) depends on right now.
resolve_kernel_name() {
  local meta=$1 name
  if have_lists; then
    name=$(apt-cache "${APT[@]}" depends "$meta" 2>/dev/null |
      awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ {print $2; exit}')
    [ -n "$name" ] || die "cannot resolve the kernel that $meta depends on"
  else
    name=$(cd "$CACHE/debs" && ls -1 linux-image-[0-9]*_i386.deb 2>/dev/null | sort -V | tail -n 1 | cut -d_ -f1)
    [ -n "$name" ] || die "no apt lists and no cached kernel .deb (network needed once)"
  fi
  echo "$name"
}

# fetch_deb PACKAGE VERSION FILE SHA256: into the .deb cache, verified against the lists' sha256.
fetch_deb() {
  local pkg=$1 version=$2 deb=$3 sha=$4 tmp
  if [ -f "$CACHE/debs/$deb" ] && { [ -z "$sha" ] || sha256sum -c --status <<<"$sha  $CACHE/debs/$deb"; }; then
    return
  fi
  log "downloading $pkg $version"
  tmp=$(mktemp -d "$CACHE/debs/.dl.XXXXXX")
  (cd "$tmp" && apt-get -q "${APT[@]}" download "$pkg=$version" >&2) || { rm -rf "$tmp"; die "download of $pkg $version failed"; }
  # apt names the file with a %3a-escaped epoch; store it under the pool name.
  mv "$tmp"/*.deb "$CACHE/debs/$deb" && rmdir "$tmp"
  [ -z "$sha" ] || sha256sum -c --status <<<"$sha  $CACHE/debs/$deb" || { rm -f "$CACHE/debs/$deb"; die "$deb: sha256 mismatch"; }
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
SHARED_INPUTS=(kernel.env debian.sources syslinux.cfg initramfs lib tools/run-in-guest.ts tools/file-disk.ts
  tools/write-manifest.ts tools/disk-facts.ts ../lib/disk/mbr.ts ../lib/images/manifest.ts)

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

# --- package sets (for images built from many packages) ---------------------------------------
# required_packages: Debian's Priority: required set in the lists (what debootstrap's minbase
# installs: dpkg, apt, coreutils, …).
required_packages() {
  apt-cache "${APT[@]}" dumpavail | awk '/^Package:/ {p = $2} /^Priority: required/ {print p}' | sort -u
}

# plan_install PACKAGE…: prints "package version" for everything apt would install on an empty
# system (dependencies included, Recommends not), in apt's order.
plan_install() {
  local plan
  plan=$(apt-get "${APT[@]}" -s -q install --no-install-recommends "$@" 2>&1) ||
    die "apt cannot install this package set:"$'\n'"$plan"
  awk '$1 == "Inst" {v = $3; gsub(/[()]/, "", v); print $2, v}' <<<"$plan"
}

# fetch_planned FILE-OF-"package version": downloads what the .deb cache lacks (one apt call),
# verifies every file against the lists' sha256, and prints the cached file names in order.
fetch_planned() {
  local plan=$1 pkg version info deb sha missing=() tmp
  declare -A sums=()
  while read -r pkg version; do
    info=$(apt-cache "${APT[@]}" show "$pkg=$version" 2>/dev/null) || die "$pkg $version is not in the apt lists"
    deb=$(awk '/^Filename:/ {n = split($2, p, "/"); print p[n]; exit}' <<<"$info")
    sha=$(awk '/^SHA256:/ {print $2; exit}' <<<"$info")
    sums[$deb]=$sha
    [ -f "$CACHE/debs/$deb" ] && sha256sum -c --status <<<"$sha  $CACHE/debs/$deb" || missing+=("$pkg=$version")
    echo "$deb"
  done <"$plan" >"$plan.debs"
  if [ ${#missing[@]} -gt 0 ]; then
    log "downloading ${#missing[@]} packages"
    tmp=$(mktemp -d "$CACHE/debs/.dl.XXXXXX")
    (cd "$tmp" && apt-get -q "${APT[@]}" download "${missing[@]}" >&2) || { rm -rf "$tmp"; die "package download failed"; }
    for f in "$tmp"/*.deb; do
      # apt escapes the epoch's colon as %3a; the cache uses the pool's file name.
      pkg=$(dpkg-deb -f "$f" Package) version=$(dpkg-deb -f "$f" Version)
      deb="${pkg}_${version#*:}_$(dpkg-deb -f "$f" Architecture).deb"
      mv "$f" "$CACHE/debs/$deb"
    done
    rmdir "$tmp"
  fi
  while read -r deb; do
    sha256sum -c --status <<<"${sums[$deb]}  $CACHE/debs/$deb" || die "$deb: missing from the cache or sha256 mismatch"
  done <"$plan.debs"
  cat "$plan.debs"
}

source "$IMAGE_DIR/lib/busybox.sh"
source "$IMAGE_DIR/lib/initramfs.sh"
source "$IMAGE_DIR/lib/disk.sh"
