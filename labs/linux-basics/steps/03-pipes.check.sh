#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
log=$lab/access.log
if [ ! -f "$log" ]; then
  echo "FAIL: ~/lab/access.log is missing: restart this step."
  exit 1
fi
expected_count=$(grep -c ' 404$' "$log")
if [ ! -f "$lab/404-count.txt" ]; then
  echo "FAIL: ~/lab/404-count.txt does not exist yet."
  exit 1
fi
# wc -l pads its number with spaces on some systems: compare the digits only.
count=$(tr -d ' \t\n' < "$lab/404-count.txt")
if [ "$count" != "$expected_count" ]; then
  echo "FAIL: ~/lab/404-count.txt says \"$count\"; the log has a different number of 404 requests."
  echo "HINT: grep ' 404\$' keeps the lines that end with 404; wc -l counts lines."
  exit 1
fi
if [ ! -f "$lab/ips.txt" ]; then
  echo "FAIL: ~/lab/ips.txt does not exist yet."
  exit 1
fi
if ! cut -d' ' -f1 "$log" | sort -u | cmp -s - "$lab/ips.txt"; then
  echo "FAIL: ~/lab/ips.txt should list each address once, sorted, one per line. It holds:"
  cat "$lab/ips.txt"
  echo "HINT: cut -d' ' -f1 FILE | sort -u > ~/lab/ips.txt"
  exit 1
fi
echo "$count requests ended in 404, from $(wc -l < "$lab/ips.txt" | tr -d ' ') addresses in all."
