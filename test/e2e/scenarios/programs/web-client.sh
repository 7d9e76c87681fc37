#!/bin/bash
# Load for the web service: reads, writes and lookups against each of its replicas
# (addresses in /tmp/targets, kept current from outside as endpoints change), RATE
# rounds per second (in /tmp/rate).
set -u
RATE=1
while true; do
  [ -f /tmp/rate ] && read -r RATE < /tmp/rate
  read -r TARGETS < /tmp/targets
  for target in $TARGETS; do
    for _ in $(seq "$RATE"); do
      curl -s -o /dev/null "http://$target/"
      curl -s -o /dev/null "http://$target/items"
      curl -s -o /dev/null -X POST --data "item-$RANDOM" "http://$target/items"
      curl -s -o /dev/null "http://$target/lookup?name=localhost"
    done
  done
  sleep 1
done
