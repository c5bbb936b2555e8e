#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
if [ ! -d "$lab/notes" ]; then
  echo "FAIL: there is no folder ~/lab/notes yet."
  echo "HINT: mkdir makes a folder; -p also makes its parents."
  exit 1
fi
if [ ! -f "$lab/notes/hello.txt" ]; then
  echo "FAIL: ~/lab/notes/hello.txt does not exist."
  exit 1
fi
if [ "$(cat "$lab/notes/hello.txt")" != "hello, world" ]; then
  echo "FAIL: ~/lab/notes/hello.txt should hold exactly the line: hello, world"
  echo "It holds:"
  cat "$lab/notes/hello.txt"
  exit 1
fi
if [ -e "$lab/inbox/draft.txt" ] || [ ! -f "$lab/notes/draft.txt" ]; then
  echo "FAIL: the draft is not in ~/lab/notes/draft.txt (and gone from the inbox) yet."
  echo "HINT: mv moves a file: mv SOURCE DESTINATION"
  exit 1
fi
echo "The notes folder holds hello.txt and draft.txt."
