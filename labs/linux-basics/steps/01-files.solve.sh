#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
mkdir -p "$lab/notes"
echo 'hello, world' > "$lab/notes/hello.txt"
mv "$lab/inbox/draft.txt" "$lab/notes/"
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown -R student:student "$lab"; fi
