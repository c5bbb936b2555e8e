#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
grep ' 404$' "$lab/access.log" | wc -l > "$lab/404-count.txt"
cut -d' ' -f1 "$lab/access.log" | sort -u > "$lab/ips.txt"
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown student:student "$lab/404-count.txt" "$lab/ips.txt"; fi
