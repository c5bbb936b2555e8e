#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
running() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q 'spinner\.sh' &&
    [ "$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat")" != Z ]
}
pid=$(cat "$lab/.spinner.pid")
if running "$pid"; then kill "$pid"; fi
# kill only sends the signal: wait (at most 5 s) until the process is gone.
tries=0
while running "$pid" && [ "$tries" -lt 50 ]; do
  sleep 0.1
  tries=$((tries + 1))
done
