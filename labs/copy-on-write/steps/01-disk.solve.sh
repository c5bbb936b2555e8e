#!/bin/sh
home=${LAB_HOME:-/root}
cat /proc/partitions
cat /sys/block/sda/size >"$home/sectors.txt"
