//! The SQLite schema and its migrations.
//!
//! `PRAGMA user_version` holds the schema version; `MIGRATIONS[i]` takes a file from version
//! `i` to `i + 1`. A new version appends a migration; existing ones are never edited, because
//! files in the field were made by them.
//!
//! Every record is stored twice over: typed columns for queries (times as integer
//! microseconds, ids, positions) and the full record as JSON, which is what reads return.

/// `PRAGMA application_id`, "PCKT": tells a Picket store from another program's SQLite file.
pub(crate) const APPLICATION_ID: i64 = 0x5043_4B54;

/// Migrations, in order. The schema version of a file is how many have been applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the first schema.
    r#"
CREATE TABLE observations (
    id          INTEGER PRIMARY KEY,
    sensor_id   TEXT    NOT NULL,
    time_us     INTEGER NOT NULL,
    kind        TEXT    NOT NULL,  -- position | range_az_el | bearing
    lat_deg     REAL,              -- target position: `position` measurements only
    lon_deg     REAL,
    alt_hae_m   REAL,
    identity    TEXT,              -- see `identity_key`
    json        TEXT    NOT NULL
);
CREATE INDEX observations_time ON observations (time_us);
CREATE INDEX observations_sensor_time ON observations (sensor_id, time_us);

CREATE TABLE unit_positions (
    id          INTEGER PRIMARY KEY,
    unit_id     TEXT    NOT NULL,
    time_us     INTEGER NOT NULL,
    lat_deg     REAL,
    lon_deg     REAL,
    alt_hae_m   REAL,
    json        TEXT    NOT NULL
);
CREATE INDEX unit_positions_time ON unit_positions (time_us);
CREATE INDEX unit_positions_unit_time ON unit_positions (unit_id, time_us);

CREATE TABLE track_snapshots (
    id          INTEGER PRIMARY KEY,
    track_id    INTEGER NOT NULL,  -- TrackId's u64, bit-cast to i64
    time_us     INTEGER NOT NULL,
    status      TEXT    NOT NULL,  -- tentative | confirmed | deleted
    lat_deg     REAL,
    lon_deg     REAL,
    alt_hae_m   REAL,
    vel_e_mps   REAL,
    vel_n_mps   REAL,
    vel_u_mps   REAL,
    identity    TEXT,
    json        TEXT    NOT NULL
);
CREATE INDEX track_snapshots_time ON track_snapshots (time_us);
CREATE INDEX track_snapshots_track_time ON track_snapshots (track_id, time_us);

CREATE TABLE alert_events (
    id          INTEGER PRIMARY KEY,  -- insertion order
    alert_id    INTEGER NOT NULL,     -- AlertId's u64, bit-cast to i64
    state       TEXT    NOT NULL,
    unit_id     TEXT    NOT NULL,
    track_id    INTEGER NOT NULL,
    level       TEXT    NOT NULL,
    time_us     INTEGER NOT NULL,
    json        TEXT    NOT NULL
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, id);
CREATE INDEX alert_events_time ON alert_events (time_us);
CREATE INDEX alert_events_unit_time ON alert_events (unit_id, time_us);

CREATE TABLE users (
    name        TEXT    PRIMARY KEY NOT NULL,
    role        TEXT    NOT NULL,     -- viewer | operator | admin
    sectors     TEXT    NOT NULL      -- JSON array of strings
);

CREATE TABLE tokens (
    sha256      TEXT    PRIMARY KEY NOT NULL,  -- lower-case hex of SHA-256(token); never the token
    user        TEXT    NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_us  INTEGER NOT NULL
);
CREATE INDEX tokens_user ON tokens (user);

CREATE TABLE audit (
    id          INTEGER PRIMARY KEY,  -- insertion order
    time_us     INTEGER NOT NULL,
    who         TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX audit_time ON audit (time_us);
CREATE INDEX audit_who_time ON audit (who, time_us);
"#,
];

/// The schema version this build writes (and the newest it reads).
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
