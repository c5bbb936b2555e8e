#!/bin/sh
# Runs the student's script on two files it has never seen, so a hard-coded answer fails.
home=${LAB_HOME:-/home/student}
lab=$home/lab
script=$lab/wordcount.py
if [ ! -f "$script" ]; then
  echo "FAIL: ~/lab/wordcount.py does not exist yet."
  exit 1
fi
sample=$(mktemp)
trap 'rm -f "$sample"' EXIT
check_count() {
  printf "$1" > "$sample"
  if ! output=$(python3 "$script" "$sample" 2>&1); then
    echo "FAIL: python3 ~/lab/wordcount.py FILE stopped with an error:"
    echo "$output"
    exit 1
  fi
  if [ "$(echo "$output" | tr -d ' \t')" != "$2" ]; then
    echo "FAIL: for a file holding \"$1\" the script printed \"$output\"; expected $2."
    echo "HINT: read the file named by sys.argv[1], then len(text.split()) counts its words."
    exit 1
  fi
}
check_count 'alpha beta\tgamma\n\ndelta   epsilon\n' 5
check_count 'single' 1
echo "wordcount.py counts words."
