#!/bin/bash
# One run of a CronJob-like batch job: a new process tree each run. Builds a report in
# SQLite, compresses it under a timestamped name, keeps the last few.
set -eu
work=$(mktemp -d)
mkdir -p /tmp/reports
sqlite3 "$work/run.db" "create table t (k text, v int); insert into t values ('a', $RANDOM), ('b', $RANDOM); select k, sum(v) from t group by k;" > "$work/report.txt"
date -u +%Y-%m-%dT%H:%M:%SZ >> "$work/report.txt"
gzip -c "$work/report.txt" > "/tmp/reports/report-$(date +%s%N).txt.gz"
ls -1t /tmp/reports | tail -n +6 | while read -r f; do rm -f "/tmp/reports/$f"; done
rm -rf "$work"
