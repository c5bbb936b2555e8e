#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
greet=$lab/tools/greet.sh
secret=$lab/tools/secret.txt
if [ ! -f "$greet" ] || [ ! -f "$secret" ]; then
  echo "FAIL: ~/lab/tools/greet.sh or secret.txt is missing: restart this step."
  exit 1
fi
# The owner's execute bit is the 4th character of the mode string (-rwxr--r--). Not `test -x`:
# for root (the check may run as root) any execute bit counts.
case $(stat -c %A "$greet") in
  ???x*) ;;
  *)
    echo "FAIL: greet.sh is not executable for its owner: $(stat -c %A "$greet")"
    echo "HINT: chmod u+x FILE adds execute permission for the owner."
    exit 1
    ;;
esac
mode=$(stat -c %a "$secret")
if [ "$mode" != 600 ]; then
  echo "FAIL: secret.txt has mode $mode ($(stat -c %A "$secret")); it should be 600 (-rw-------)."
  echo "HINT: chmod 600 FILE, or chmod go-rwx FILE."
  exit 1
fi
echo "greet.sh runs, and secret.txt is yours alone."
