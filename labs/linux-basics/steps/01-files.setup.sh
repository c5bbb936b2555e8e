#!/bin/sh
# Starts the step afresh: a draft in the inbox, no notes folder yet.
home=${LAB_HOME:-/home/student}
lab=$home/lab
rm -rf "$lab/notes" "$lab/inbox"
mkdir -p "$lab/inbox"
printf 'my first draft\n' > "$lab/inbox/draft.txt"
# Setup may run as root in the guest: what it makes must belong to the student.
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown -R student:student "$lab"; fi
