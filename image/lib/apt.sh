# Debian's i386 packages for the images, through apt with a private state in .cache/image/apt
# (the host's apt configuration is never touched, and the host need not be i386): lists,
# resolving a package to a file and its sha-256, verified downloads, and whole package sets in
# apt's order. Sourced by common.sh, never run.

# --- lists ------------------------------------------------------------------------------------
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
