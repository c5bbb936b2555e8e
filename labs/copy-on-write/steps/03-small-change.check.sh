#!/bin/sh
home=${LAB_HOME:-/root}
file=$home/hello.txt
if ! grep -q '^hello from ' "$file" 2>/dev/null; then
  echo "FAIL: $file has no line starting with \"hello from \" yet."
  exit 1
fi
echo "$file: $(wc -l <"$file") line(s)."
