#!/bin/sh
home=${LAB_HOME:-/root}
file=$home/random.bin
if [ ! -f "$file" ]; then
  echo "FAIL: $file does not exist yet."
  exit 1
fi
size=$(wc -c <"$file")
if [ "$size" -ne 4194304 ]; then
  echo "FAIL: $file has $size bytes, not 4194304 (4 MiB)."
  echo "HINT: dd's bs=64k count=64 writes 64 blocks of 64 KiB."
  exit 1
fi
echo "$file holds 4 MiB."
