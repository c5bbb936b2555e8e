#!/bin/sh
# A fixed log: 12 requests, 3 of them 404, from 4 addresses.
home=${LAB_HOME:-/home/student}
lab=$home/lab
mkdir -p "$lab"
rm -f "$lab/404-count.txt" "$lab/ips.txt"
cat > "$lab/access.log" <<'LOG'
10.0.0.7 GET /index.html 200
10.0.0.3 GET /about.html 200
10.0.0.7 GET /missing.png 404
192.168.1.20 GET /index.html 200
10.0.0.3 POST /login 302
10.0.0.3 GET /old-page 404
172.16.0.5 GET /index.html 200
192.168.1.20 GET /style.css 200
10.0.0.7 GET /favicon.ico 404
172.16.0.5 GET /about.html 200
10.0.0.3 GET /index.html 304
192.168.1.20 GET /index.html 200
LOG
if [ "$(id -u)" -eq 0 ] && id student >/dev/null 2>&1; then chown -R student:student "$lab"; fi
