#!/bin/bash
# A client load for PostgreSQL: inserts, a query, an occasional aggregate.
set -u
export PGHOST="$1" PGPORT="$2" PGUSER=postgres PGDATABASE=postgres
until psql -qAt -c 'select 1' >/dev/null 2>&1; do sleep 0.5; done
psql -q -c 'create table if not exists events (id serial primary key, kind text, at timestamptz default now())' >/dev/null
n=0
while true; do
  n=$((n + 1))
  psql -qAt -c "insert into events (kind) values ('k$((n % 7))'); select count(*) from events where kind = 'k$((n % 5))'" >/dev/null
  [ $((n % 5)) -eq 0 ] && psql -qAt -c 'select kind, count(*) from events group by kind' >/dev/null
  sleep "${PAUSE:-1}"
done
