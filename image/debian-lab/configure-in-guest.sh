#!/bin/sh
# Runs inside v86 as PID 1 while `npm run image debian-lab` builds the image: installs and
# configures the Debian packages with Debian's own dpkg and apt and their maintainer scripts,
# applies the lab's files, then writes the finished root filesystem as one tar stream to the
# second disk (/dev/sdb), which the host turns into the image's reproducible ext4.
#
# The stage disk (/dev/sda, the root here) was prepared by build.sh: the required packages are
# unpacked (so dpkg, sh and perl can run), and /leaflab-build holds every .deb (debs/), the
# lists of them, the lab's files (overlay/) and settings (env).
#
# Reports to run-in-guest.ts on the console: LEAFLAB-GUEST-STEP lines, then LEAFLAB-GUEST-EXIT.
set -eu
BUILD=/leaflab-build
. "$BUILD/env"    # SOURCE_DATE_EPOCH LAB_USER LAB_HOSTNAME
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LC_ALL=C.UTF-8
export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
# Reproducible outputs: shadow's password dates and dpkg use SOURCE_DATE_EPOCH; Python's and
# Perl's hash seeds fix the order of what py3compile and debconf write.
export SOURCE_DATE_EPOCH PYTHONHASHSEED=0 PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0
DEBS=$BUILD/debs

step() { echo "LEAFLAB-GUEST-STEP: $*"; }
finish() {
  status=$?
  sync
  echo "LEAFLAB-GUEST-EXIT=$status"
  echo o >/proc/sysrq-trigger
  sleep 600
}
trap finish EXIT

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
echo 1 >/proc/sys/kernel/printk
hostname "$LAB_HOSTNAME"

# No service starts while packages are configured (there is no init system to start them with).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

step "dpkg --install: the $(wc -l <"$BUILD/bootstrap.list") required packages"
# As mmdebstrap and debootstrap do: the required set is already unpacked, so every maintainer
# script finds what it needs; --force-depends lets dpkg take them in one batch.
dpkg --force-depends --force-unsafe-io --install $(sed "s|^|$DEBS/|" "$BUILD/bootstrap.list")

step "debconf: no man-db index at build time; UTC"
# man-db's index would be rebuilt on every package (minutes in an emulator) and is a
# database with build-dependent bytes; man finds pages without it.
debconf-set-selections <<DEBCONF
man-db man-db/auto-update boolean false
tzdata tzdata/Areas select Etc
tzdata tzdata/Zones/Etc select UTC
DEBCONF

step "apt-get install: the $(wc -l <"$BUILD/rest.list") other packages, in apt's order"
apt-get install -y -q --no-install-recommends \
  -o DPkg::Options::=--force-unsafe-io -o APT::Sandbox::User=root \
  $(sed "s|^|$DEBS/|" "$BUILD/rest.list")

step "the lab: user $LAB_USER, sudo, init, files"
adduser --disabled-password --gecos 'Student' "$LAB_USER" >/dev/null
adduser "$LAB_USER" sudo >/dev/null
passwd -d "$LAB_USER" >/dev/null
cp -a "$BUILD/overlay/." /
chmod 0440 /etc/sudoers.d/leaflab-student
visudo -c >/dev/null
chown -R "$LAB_USER:$LAB_USER" "/home/$LAB_USER"
install -m 0755 "$BUILD/leaflab-init" /usr/sbin/leaflab-init
install -D -m 0755 "$BUILD/leaflab-agent" /usr/lib/leaflab/agent   # leaflab-init starts it
ln -sfn leaflab-init /usr/sbin/init
[ "$(getent passwd "$LAB_USER" | cut -d: -f7)" = /bin/bash ] || chsh -s /bin/bash "$LAB_USER"

step "clean up what a build leaves behind"
rm -f /usr/sbin/policy-rc.d
apt-get clean
ldconfig
# aux-cache records inode numbers and times: it differs between two identical builds.
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old /var/lib/dpkg/*-old \
  /var/cache/ldconfig/aux-cache /etc/passwd- /etc/group- /etc/shadow- /etc/gshadow- \
  /etc/subuid- /etc/subgid- /root/.bash_history /var/log/apt /var/log/*.log /var/log/journal
# Nothing may refer to the build: its files go, and so does the stage's own /sbin/init link.
rm -rf "$BUILD"

step "writing the root filesystem to /dev/sdb"
# The kernel's filesystems go first, so tar sees their mount points as the empty folders they
# are on disk (/dev stays: the shell needs it; --one-file-system leaves its contents out).
# --sort=name and --numeric-owner: the same tree gives the same stream.
umount /tmp /run /dev/pts /sys /proc
tar --create --one-file-system --sort=name --numeric-owner --xattrs --xattrs-include='*' \
  --file=/dev/sdb -C / .
sync
mount -t proc proc /proc    # for the power-off request
step "done"
