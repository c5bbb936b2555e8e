#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
rm -rf "$lab/project"
mkdir -p "$lab/project"
printf '# My project\n\nA first step with git.\n' > "$lab/project/README.md"
printf 'print("hello from git")\n' > "$lab/project/hello.py"
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown -R student:student "$lab"; fi
