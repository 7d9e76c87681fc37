// Schema migrations, applied in order; PRAGMA user_version records how far a
// database has come. Append only: never edit a migration that has shipped.

export const migrations: string[] = [
  // 1: baselines, items, alerts, outbox, source state
  `
  CREATE TABLE baselines (
    key          TEXT PRIMARY KEY,           -- workload id + '#' + container
    workload_id  TEXT NOT NULL,
    container    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    image        TEXT,
    meta         TEXT NOT NULL,              -- JSON: timings, workload labels, collapsed dirs
    updated_at   INTEGER NOT NULL
  );
  CREATE INDEX baselines_workload ON baselines (workload_id);
  CREATE TABLE baseline_items (
    baseline_key TEXT NOT NULL,
    kind         TEXT NOT NULL,
    item         TEXT NOT NULL,
    count        INTEGER NOT NULL,
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    nodes        TEXT NOT NULL,              -- JSON array
    detail       TEXT,                       -- JSON: kind-specific (parents, args, ops)
    PRIMARY KEY (baseline_key, kind, item)
  ) WITHOUT ROWID;
  CREATE TABLE baseline_versions (           -- earlier versions, kept for diff and audit
    baseline_key TEXT NOT NULL,
    version      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    image        TEXT,
    snapshot     TEXT NOT NULL,              -- JSON export of the baseline
    archived_at  INTEGER NOT NULL,
    PRIMARY KEY (baseline_key, version)
  );
  CREATE TABLE alerts (
    id           TEXT PRIMARY KEY,
    time         INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    rule         TEXT NOT NULL,
    severity     TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    workload_id  TEXT NOT NULL,
    namespace    TEXT,
    dedup_key    TEXT NOT NULL,
    count        INTEGER NOT NULL,
    body         TEXT NOT NULL               -- the Alert JSON
  );
  CREATE INDEX alerts_time ON alerts (time);
  CREATE INDEX alerts_workload ON alerts (workload_id, time);
  CREATE INDEX alerts_dedup ON alerts (dedup_key, last_seen);
  CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,  -- per-sink order
    sink            TEXT NOT NULL,
    alert_id        TEXT NOT NULL,
    revision        INTEGER NOT NULL DEFAULT 0,         -- alert count at enqueue time
    enqueued_at     INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
  );
  CREATE INDEX outbox_sink ON outbox (sink, seq);
  CREATE TABLE source_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  CREATE TABLE audit_trail (                 -- who changed a baseline, and how
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    time       INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    baseline_key TEXT,
    detail     TEXT
  );
  `,
  // 2: outbox — remember whether a row re-delivers an update, and find a pending row
  // for (sink, alert) quickly so repeats coalesce instead of piling up
  `
  ALTER TABLE outbox ADD COLUMN is_update INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX outbox_sink_alert ON outbox (sink, alert_id);
  `,
  // 3: responders — alert triage status (who/when/why), a stable (time, id) order for
  // cursor pages, and where each audited change came from
  `
  ALTER TABLE alerts ADD COLUMN status TEXT NOT NULL DEFAULT 'open';
  ALTER TABLE alerts ADD COLUMN status_by TEXT;
  ALTER TABLE alerts ADD COLUMN status_at INTEGER;
  ALTER TABLE alerts ADD COLUMN status_note TEXT;
  CREATE INDEX alerts_time_id ON alerts (time, id);
  CREATE INDEX alerts_status ON alerts (status, time);
  ALTER TABLE audit_trail ADD COLUMN workload_id TEXT;
  ALTER TABLE audit_trail ADD COLUMN via TEXT;
  ALTER TABLE audit_trail ADD COLUMN remote TEXT;
  CREATE INDEX audit_time ON audit_trail (time);
  CREATE INDEX audit_workload ON audit_trail (workload_id, seq);
  `,
  // 4: incidents (alerts of one attack, grouped: models/incidents.ts); each alert names
  // its incident; an outbox row delivers an alert or an incident (its id in alert_id)
  `
  CREATE TABLE incidents (
    id            TEXT PRIMARY KEY,
    time          INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    severity      TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    workload_id   TEXT NOT NULL,
    namespace     TEXT,
    scope         TEXT NOT NULL,
    alerts        INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    body          TEXT NOT NULL              -- the Incident JSON
  );
  CREATE INDEX incidents_time ON incidents (time, id);
  CREATE INDEX incidents_last_seen ON incidents (last_seen);
  ALTER TABLE alerts ADD COLUMN incident_id TEXT;
  CREATE INDEX alerts_incident ON alerts (incident_id, time);
  ALTER TABLE outbox ADD COLUMN subject TEXT NOT NULL DEFAULT 'alert';  -- alert | incident
  `,
  // 5: the database's identity (store/identity.ts: a random id, also in the data dir's
  // marker file, so a missing or replaced database is noticed instead of silently recreated)
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  // 6: retention and lifetime (store/retention.ts): when a baseline was last active and
  // its item counts (listed without reading its items), the oldest alerts found by an
  // index, and row counts kept by triggers (dropped again by 7)
  `
  ALTER TABLE baselines ADD COLUMN last_active INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE baselines ADD COLUMN sizes TEXT;      -- JSON: items per kind, written with the items
  UPDATE baselines SET last_active = updated_at;
  CREATE INDEX baselines_last_active ON baselines (last_active);
  CREATE INDEX alerts_last_seen ON alerts (last_seen);
  CREATE TABLE row_counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
  INSERT INTO row_counts SELECT 'alerts', count(*) FROM alerts;
  INSERT INTO row_counts SELECT 'incidents', count(*) FROM incidents;
  INSERT INTO row_counts SELECT 'baselines', count(*) FROM baselines;
  CREATE TRIGGER alerts_counted_in AFTER INSERT ON alerts BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'alerts'; END;
  CREATE TRIGGER alerts_counted_out AFTER DELETE ON alerts BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'alerts'; END;
  CREATE TRIGGER incidents_counted_in AFTER INSERT ON incidents BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'incidents'; END;
  CREATE TRIGGER incidents_counted_out AFTER DELETE ON incidents BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'incidents'; END;
  CREATE TRIGGER baselines_counted_in AFTER INSERT ON baselines BEGIN UPDATE row_counts SET n = n + 1 WHERE name = 'baselines'; END;
  CREATE TRIGGER baselines_counted_out AFTER DELETE ON baselines BEGIN UPDATE row_counts SET n = n - 1 WHERE name = 'baselines'; END;
  `,
  // 7: no counting triggers after all: each ran an UPDATE through a statement journal
  // for every alert inserted (~4x the insert's cost), while count(*) reads only the page
  // headers of the smallest index (about a millisecond for a million rows)
  `
  DROP TRIGGER alerts_counted_in;
  DROP TRIGGER alerts_counted_out;
  DROP TRIGGER incidents_counted_in;
  DROP TRIGGER incidents_counted_out;
  DROP TRIGGER baselines_counted_in;
  DROP TRIGGER baselines_counted_out;
  DROP TABLE row_counts;
  `,
  // 8: retention ages alerts and incidents by when this agent last stored them, not by
  // their events' time: an old capture replayed today is kept (and delivered) like a live one
  `
  ALTER TABLE alerts ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
  UPDATE alerts SET stored_at = last_seen;
  CREATE INDEX alerts_stored ON alerts (stored_at);
  ALTER TABLE incidents ADD COLUMN stored_at INTEGER NOT NULL DEFAULT 0;
  UPDATE incidents SET stored_at = last_seen;
  CREATE INDEX incidents_stored ON incidents (stored_at);
  `,
];
