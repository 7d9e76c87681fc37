#!/bin/bash
# PostgreSQL from Debian, as the postgres user, data on the pod's tmpfs. The suite
# compresses time: a checkpoint every 30 s (default 5 min) puts the checkpointer's work
# inside a learning phase of minutes, as a production learning phase (10 min) covers it.
set -eu
HOST="$1" PORT="$2"
BIN=/usr/lib/postgresql/15/bin
mkdir -p /tmp/pg /tmp/pgsock
chown postgres /tmp/pg /tmp/pgsock
if [ ! -f /tmp/pg/PG_VERSION ]; then
  runuser -u postgres -- "$BIN/initdb" -D /tmp/pg -A trust -U postgres >/tmp/initdb.log 2>&1
fi
exec runuser -u postgres -- "$BIN/postgres" -D /tmp/pg -k /tmp/pgsock -h "$HOST" -p "$PORT" -c fsync=off -c logging_collector=off -c checkpoint_timeout=30s
