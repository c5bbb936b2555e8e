#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
running() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q 'spinner\.sh' &&
    [ "$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat")" != Z ]
}
if [ ! -f "$lab/.spinner.pid" ]; then
  echo "FAIL: the spinner was never started: restart this step."
  exit 1
fi
pid=$(cat "$lab/.spinner.pid")
if running "$pid"; then
  echo "FAIL: spinner.sh is still running."
  echo "HINT: ps aux | grep spinner shows its PID in the second column; kill PID stops it."
  exit 1
fi
echo "spinner.sh (PID $pid) is stopped."
