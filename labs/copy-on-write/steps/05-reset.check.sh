#!/bin/sh
home=${LAB_HOME:-/root}
if [ -e "$home/random.bin" ]; then
  echo "FAIL: $home/random.bin is still there: the disk has not been reset yet."
  echo "HINT: Reset disk is among the buttons at the top of the page."
  exit 1
fi
echo "$home/random.bin is gone: the machine runs on the bare root image again."
