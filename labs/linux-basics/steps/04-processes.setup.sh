#!/bin/sh
# Starts ~/lab/spinner.sh in the background as the student (so the student may kill it) and
# keeps its PID in ~/lab/.spinner.pid for the check.
home=${LAB_HOME:-/home/student}
lab=$home/lab
PATH=$PATH:/usr/sbin:/sbin # runuser (util-linux) is in sbin, which a non-login PATH may lack
mkdir -p "$lab"
# The spinner's PID is alive when /proc has it running spinner.sh and it is not a zombie
# (a stopped child waits there until its parent reaps it).
running() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q 'spinner\.sh' &&
    [ "$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat")" != Z ]
}
if [ -f "$lab/.spinner.pid" ] && running "$(cat "$lab/.spinner.pid")"; then kill "$(cat "$lab/.spinner.pid")"; fi
printf '#!/bin/sh\n# Busy doing nothing, once a second, until someone stops it.\nwhile :; do sleep 1; done\n' > "$lab/spinner.sh"
chmod 755 "$lab/spinner.sh"
start='sh "$1" </dev/null >/dev/null 2>&1 & echo $!'
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then
  chown student:student "$lab" "$lab/spinner.sh"
  pid=$(runuser -u student -- sh -c "$start" spinner-start "$lab/spinner.sh")
else
  pid=$(sh -c "$start" spinner-start "$lab/spinner.sh")
fi
echo "$pid" > "$lab/.spinner.pid"
