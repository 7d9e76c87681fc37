#!/bin/bash
# A worker that logs, rotates and compresses its logs (numbered, like logrotate) and
# keeps a cache of files named by the SHA-1 of their content, expired after 15 s.
set -u
LOG=/var/log/app/worker.log
KEEP=${KEEP:-9}
mkdir -p /tmp/cache /var/log/app
n=0
rotate() {
  for i in $(seq $((KEEP - 1)) -1 1); do
    [ -f "$LOG.$i.gz" ] && mv "$LOG.$i.gz" "$LOG.$((i + 1)).gz"
  done
  [ -f "$LOG.1" ] && gzip -f "$LOG.1" && mv "$LOG.1.gz" "$LOG.2.gz"
  mv "$LOG" "$LOG.1"
  : > "$LOG"
  rm -f "$LOG.$((KEEP + 1)).gz"
}
while true; do
  n=$((n + 1))
  echo "$(date +%s) job $n processed $RANDOM items" >> "$LOG"
  payload="item-$n-$RANDOM"
  h=$(printf %s "$payload" | sha1sum | cut -d' ' -f1)
  printf %s "$payload" > "/tmp/cache/$h.bin"
  [ $((n % 10)) -eq 0 ] && find /tmp/cache -name '*.bin' -mmin +0.25 -delete
  [ $((n % ${ROTATE_EVERY:-8})) -eq 0 ] && rotate
  sleep 1
done
