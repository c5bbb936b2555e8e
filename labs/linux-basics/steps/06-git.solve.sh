#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
cd "$lab/project" || exit 1
git init -q
# The identity goes into this repository only: solving must not change the student's settings.
git config user.name "Leaflab Student"
git config user.email student@example.org
git add README.md hello.py
git commit -q -m "First commit"
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown -R student:student "$lab/project"; fi
