#!/bin/sh
home=${LAB_HOME:-/root}
echo "hello from $(hostname)" >>"$home/hello.txt" && sync
