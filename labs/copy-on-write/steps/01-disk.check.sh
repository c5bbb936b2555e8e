#!/bin/sh
home=${LAB_HOME:-/root}
answer=$home/sectors.txt
if [ ! -s "$answer" ]; then
  echo "FAIL: $answer does not exist yet (or is empty)."
  echo "HINT: the shell's > writes a command's output into a file."
  exit 1
fi
expected=$(cat /sys/block/sda/size)
given=$(tr -d ' \n' <"$answer")
if [ "$given" != "$expected" ]; then
  echo "FAIL: $answer says \"$given\", but the disk has $expected sectors."
  exit 1
fi
echo "/dev/sda has $expected sectors of 512 bytes: $((expected / 2048)) MiB."
