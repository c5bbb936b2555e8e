#!/bin/sh
home=${LAB_HOME:-/root}
dd if=/dev/urandom of="$home/random.bin" bs=64k count=64 && sync
