#!/bin/sh
# A script that is not executable yet and a secret everyone can read.
home=${LAB_HOME:-/home/student}
lab=$home/lab
mkdir -p "$lab/tools"
printf '#!/bin/sh\necho "hello from greet.sh"\n' > "$lab/tools/greet.sh"
printf 'the password is swordfish\n' > "$lab/tools/secret.txt"
chmod 644 "$lab/tools/greet.sh" "$lab/tools/secret.txt"
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown -R student:student "$lab"; fi
