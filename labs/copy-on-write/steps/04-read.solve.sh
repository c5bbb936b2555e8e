#!/bin/sh
wc -l /usr/share/leaflab/sample.txt
