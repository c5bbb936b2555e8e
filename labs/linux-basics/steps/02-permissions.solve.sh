#!/bin/sh
home=${LAB_HOME:-/home/student}
lab=$home/lab
chmod u+x "$lab/tools/greet.sh"
chmod 600 "$lab/tools/secret.txt"
"$lab/tools/greet.sh"
