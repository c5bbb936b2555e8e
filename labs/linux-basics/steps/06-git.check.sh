#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
project=$lab/project
# The check may run as root on the student's repository: safe.directory on the command line
# (protected configuration, git >= 2.38) stops git refusing it as "dubious ownership".
in_project() { git -c safe.directory='*' -C "$project" "$@"; }
if [ ! -d "$project/.git" ]; then
  echo "FAIL: ~/lab/project is not a git repository yet."
  echo "HINT: cd ~/lab/project && git init"
  exit 1
fi
if ! in_project rev-parse --verify --quiet HEAD >/dev/null; then
  echo "FAIL: the repository has no commit yet."
  echo "HINT: git add README.md hello.py, then git commit -m \"First commit\""
  exit 1
fi
for file in README.md hello.py; do
  if [ -z "$(in_project ls-files -- "$file")" ]; then
    echo "FAIL: $file is not committed."
    exit 1
  fi
done
changes=$(in_project status --porcelain)
if [ -n "$changes" ]; then
  echo "FAIL: there are changes that are not committed:"
  echo "$changes"
  exit 1
fi
echo "Committed: $(in_project log -1 --format=%s)"
