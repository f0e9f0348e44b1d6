//! The embedded store: one SQLite file in WAL mode.

use crate::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION};
use crate::token::{new_token, token_hash};
use crate::{AuditEntry, Store, StoreCounts, StoreError};
use picket_core::{
    AlertEvent, Identity, Input, Measurement, Observation, Principal, Role, Timestamp, Track,
    TrackStatus, UnitPosition,
};
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// Prepared statements kept per connection; the store uses fewer than this, so none is evicted
/// and re-prepared in the hot path, and the cache cannot grow without bound.
const STATEMENT_CACHE: usize = 32;

/// How long a write waits for another connection's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Picket's embedded store: one SQLite file (plus its `-wal` and `-shm` companions).
///
/// # Durability
///
/// The file is in WAL mode with `synchronous = NORMAL`: a commit is appended to the WAL with
/// `write(2)` and survives a crash of Picket, but the last batches of observations and tracks
/// may be lost on a power cut or kernel crash (the file itself stays consistent). That keeps
/// bulk appends fast.
///
/// Alert events, token issues and revocations, and audit entries are committed with
/// `synchronous = FULL`, which fsyncs the WAL before the call returns. The WAL is a sequential
/// log, so that fsync also makes every earlier commit durable. Hence "acknowledged = stored":
/// once [`Store::append_alert_event`] returns `Ok`, the event (and everything stored before it)
/// is on disk and survives a power loss, and a revoked token stays revoked.
///
/// # Reading back
///
/// Every record is kept as typed columns (for queries) and as its full JSON (what reads
/// return). An alert event is checked to read back exactly as written before it is stored;
/// one that cannot (a non-finite number, a time outside the calendar) is refused with
/// [`StoreError::Unrepresentable`] rather than stored in a form that would make every later read
/// fail. Observations and tracks are not read back through [`Store`] and are not checked.
pub struct SqliteStore {
    /// On disk: the thread that checkpoints the WAL into the file (first, so it stops before
    /// the writing connection closes).
    checkpointer: Option<Checkpointer>,
    conn: Connection,
    /// The file, as shown in error messages (`:memory:` in memory).
    path: String,
}

/// How often the checkpointer moves the WAL's committed pages into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Copies the WAL's committed pages into the database file on a connection and thread of
/// its own. SQLite has the writing connection checkpoint inside a commit once the WAL
/// holds 1,000 pages; at tens of thousands of observations a second that put a copy of
/// 4 MB into an alert's synchronous write every half second. A passive checkpoint waits for
/// no writer, so the writer goes on; the writer's own checkpoint (which lets the WAL start
/// over from its beginning) then finds little left to copy.
struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Option<Self> {
        let conn = Connection::open(path).ok()?;
        conn.busy_timeout(BUSY_TIMEOUT).ok()?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name("picket-checkpoint".into())
            .spawn(move || {
                while !stopped.load(std::sync::atomic::Ordering::Acquire) {
                    std::thread::park_timeout(CHECKPOINT_EVERY);
                    // Busy or failed: the next round (or the writer's backstop) does it.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok()?;
        Some(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// A failure inside an operation, before it is given its context.
enum Fail {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

fn open_error(path: &str, e: rusqlite::Error) -> StoreError {
    let hint = crate::error::hint_for(&e);
    StoreError::Open {
        path: path.to_owned(),
        source: Box::new(e),
        hint,
    }
}

impl SqliteStore {
    /// Open the store at `path`, creating the file and its schema when missing, and migrating
    /// an older schema. The directory must exist.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        let conn = Connection::open(path).map_err(|e| open_error(&shown, e))?;
        let mut store = Self::init(conn, shown, true)?;
        store.checkpointer = Checkpointer::start(path);
        Ok(store)
    }

    /// A store that lives in memory and is gone when dropped (tests, `picket demo --no-store`).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let shown = ":memory:".to_owned();
        let conn = Connection::open_in_memory().map_err(|e| open_error(&shown, e))?;
        Self::init(conn, shown, false)
    }

    fn init(conn: Connection, path: String, on_disk: bool) -> Result<Self, StoreError> {
        let mut store = SqliteStore {
            checkpointer: None,
            conn,
            path,
        };
        store.prepare(on_disk).map_err(|f| match f {
            Fail::Sql(e) => open_error(&store.path, e),
            Fail::Store(e) => e,
        })?;
        Ok(store)
    }

    fn prepare(&mut self, on_disk: bool) -> Result<(), Fail> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn
            .set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // The first read of the file: a file that is not a database fails here.
        let app_id: i64 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))?;
        if app_id != APPLICATION_ID {
            let objects: i64 =
                self.conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            // A fresh file has id 0 and nothing in it; anything else belongs to someone else.
            if app_id != 0 || objects > 0 {
                return Err(StoreError::NotAPicketStore {
                    path: self.path.clone(),
                    found: app_id,
                }
                .into());
            }
        }
        if on_disk {
            let mode: String =
                self.conn
                    .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Open {
                    path: self.path.clone(),
                    source: format!("journal mode is `{mode}`, not `wal`").into(),
                    hint: "put the store on a local file system that supports SQLite's WAL mode",
                }
                .into());
            }
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.migrate()
    }

    fn migrate(&mut self) -> Result<(), Fail> {
        let version = self.schema_version()?;
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        self.durable(|conn| {
            // Immediate: take the write lock first, then re-read the version, so two processes
            // opening a fresh file at once do not both create the tables.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if version == SCHEMA_VERSION {
                return Ok(());
            }
            let first = usize::try_from(version).unwrap_or(usize::MAX);
            for migration in MIGRATIONS.iter().skip(first) {
                tx.execute_batch(migration)?;
            }
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
            Ok(())
        })
    }

    fn schema_version(&self) -> Result<i64, Fail> {
        let v = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        self.check_version(v)?;
        Ok(v)
    }

    fn check_version(&self, found: i64) -> Result<(), StoreError> {
        if !(0..=SCHEMA_VERSION).contains(&found) {
            return Err(StoreError::SchemaTooNew {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// Run `f` with `synchronous = FULL`, so its commit is fsynced before this returns.
    fn durable<T>(
        &mut self,
        f: impl FnOnce(&mut Connection) -> Result<T, Fail>,
    ) -> Result<T, Fail> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let result = f(&mut self.conn);
        // Restore the bulk setting even when `f` failed; report `f`'s error first.
        let restored = self.conn.pragma_update(None, "synchronous", "NORMAL");
        let value = result?;
        restored?;
        Ok(value)
    }

    /// Give a failure its context: which file, which operation, what to do.
    fn context<'a>(
        &'a self,
        what: impl FnOnce() -> String + 'a,
    ) -> impl FnOnce(Fail) -> StoreError + 'a {
        move |f| match f {
            Fail::Store(e) => e,
            Fail::Sql(e) => StoreError::Backend {
                path: self.path.clone(),
                what: what(),
                hint: crate::error::hint_for(&e),
                source: Box::new(e),
            },
        }
    }

    fn corrupt(&self, table: &'static str, row: i64, reason: impl ToString) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            table,
            row,
            reason: reason.to_string(),
        }
    }

    fn read_alert_events(&self, sql: &str) -> Result<Vec<AlertEvent>, Fail> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let json: String = row.get(1)?;
            let event = serde_json::from_str::<AlertEvent>(&json)
                .map_err(|e| self.corrupt("alert_events", id, e))?;
            out.push(event);
        }
        Ok(out)
    }

    /// The stored observations of Remote ID aircraft `uas_id` that carry its operator's
    /// position or its take-off point: the latest `limit`, oldest first. The operator's whole
    /// history, where the live picture keeps only its latest fixes.
    pub fn operator_observations(
        &self,
        uas_id: &str,
        limit: usize,
    ) -> Result<Vec<Observation>, StoreError> {
        let key = identity_key(&Identity::RemoteId(uas_id.to_owned()));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let result = (|| -> Result<Vec<Observation>, Fail> {
            let mut stmt = self.conn.prepare_cached(SELECT_OPERATOR_OBSERVATIONS)?;
            let mut rows = stmt.query(params![key, limit])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let json: String = row.get(1)?;
                let o = serde_json::from_str::<Observation>(&json)
                    .map_err(|e| self.corrupt("observations", id, e))?;
                out.push(o);
            }
            out.reverse();
            Ok(out)
        })();
        result.map_err(self.context(|| format!("reading the operator history of {uas_id}")))
    }
}

// By identity (no index on it: a scan, fine for an investigator's occasional question).
const SELECT_OPERATOR_OBSERVATIONS: &str = "SELECT id, json FROM observations \
    WHERE identity = ?1 \
      AND (json_extract(json, '$.side.operator_position') IS NOT NULL \
        OR json_extract(json, '$.side.take_off_position') IS NOT NULL) \
    ORDER BY time_us DESC, id DESC LIMIT ?2";

const INSERT_OBSERVATION: &str = "INSERT INTO observations \
    (sensor_id, time_us, kind, lat_deg, lon_deg, alt_hae_m, identity, json) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const INSERT_UNIT_POSITION: &str = "INSERT INTO unit_positions \
    (unit_id, time_us, lat_deg, lon_deg, alt_hae_m, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const INSERT_TRACK: &str = "INSERT INTO track_snapshots \
    (track_id, time_us, status, lat_deg, lon_deg, alt_hae_m, vel_e_mps, vel_n_mps, vel_u_mps, \
     identity, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
const INSERT_ALERT_EVENT: &str = "INSERT INTO alert_events \
    (alert_id, state, unit_id, track_id, level, time_us, json) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const SELECT_ALERT_EVENTS: &str = "SELECT id, json FROM alert_events ORDER BY id";
const SELECT_CURRENT_ALERTS: &str = "SELECT e.id, e.json FROM alert_events e \
    JOIN (SELECT max(id) AS last FROM alert_events GROUP BY alert_id) l ON e.id = l.last";

fn to_json<T: serde::Serialize>(value: &T, what: impl FnOnce() -> String) -> Result<String, Fail> {
    serde_json::to_string(value).map_err(|e| {
        Fail::Store(StoreError::Unrepresentable {
            what: what(),
            reason: e.to_string(),
        })
    })
}

/// Ids are u64 in Picket and i64 in SQLite: stored bit for bit, so none is refused or altered.
fn id_column(id: u64) -> i64 {
    id as i64
}

/// Identity as one searchable text: `remote_id:<uas id>`, `icao:<6 hex digits>`,
/// `sapient:<node>/<object>`.
fn identity_key(identity: &Identity) -> String {
    match identity {
        Identity::RemoteId(s) => format!("remote_id:{s}"),
        Identity::Icao(a) => format!("icao:{a:06X}"),
        Identity::SapientObject { node, object } => format!("sapient:{node}/{object}"),
    }
}

fn track_status(s: TrackStatus) -> &'static str {
    match s {
        TrackStatus::Tentative => "tentative",
        TrackStatus::Confirmed => "confirmed",
        TrackStatus::Deleted => "deleted",
    }
}

fn insert_observation(tx: &Transaction<'_>, o: &Observation) -> Result<(), Fail> {
    let (kind, target) = match &o.measurement {
        Measurement::Position { position, .. } => ("position", Some(position)),
        Measurement::RangeAzEl { .. } => ("range_az_el", None),
        Measurement::Bearing { .. } => ("bearing", None),
    };
    let json = to_json(o, || format!("an observation of sensor `{}`", o.sensor_id))?;
    let mut stmt = tx.prepare_cached(INSERT_OBSERVATION)?;
    stmt.execute(params![
        o.sensor_id.0,
        o.time.as_micros(),
        kind,
        target.map(|p| p.lat_deg),
        target.map(|p| p.lon_deg),
        target.map(|p| p.alt_hae_m),
        o.identity.as_ref().map(identity_key),
        json,
    ])?;
    Ok(())
}

fn insert_unit_position(tx: &Transaction<'_>, u: &UnitPosition) -> Result<(), Fail> {
    let json = to_json(u, || format!("a position of unit `{}`", u.unit_id))?;
    let mut stmt = tx.prepare_cached(INSERT_UNIT_POSITION)?;
    stmt.execute(params![
        u.unit_id.0,
        u.time.as_micros(),
        u.position.lat_deg,
        u.position.lon_deg,
        u.position.alt_hae_m,
        json,
    ])?;
    Ok(())
}

fn insert_track(tx: &Transaction<'_>, t: &Track) -> Result<(), Fail> {
    let json = to_json(t, || format!("a snapshot of track {}", t.id))?;
    let mut stmt = tx.prepare_cached(INSERT_TRACK)?;
    stmt.execute(params![
        id_column(t.id.0),
        t.time.as_micros(),
        track_status(t.status),
        t.position.lat_deg,
        t.position.lon_deg,
        t.position.alt_hae_m,
        t.velocity_enu_mps[0],
        t.velocity_enu_mps[1],
        t.velocity_enu_mps[2],
        t.identity.as_ref().map(identity_key),
        json,
    ])?;
    Ok(())
}

fn insert_alert_event(tx: &Transaction<'_>, event: &AlertEvent, json: &str) -> Result<(), Fail> {
    tx.prepare_cached(INSERT_ALERT_EVENT)?.execute(params![
        id_column(event.alert_id.0),
        event.state.as_str(),
        event.unit_id.0,
        id_column(event.track_id.0),
        event.level.as_str(),
        event.time.as_micros(),
        json,
    ])?;
    Ok(())
}

/// Serialise an alert event and make sure it reads back as written.
fn alert_json(event: &AlertEvent) -> Result<String, StoreError> {
    let what = || format!("alert {} ({})", event.alert_id, event.state.as_str());
    let json = serde_json::to_string(event).map_err(|e| StoreError::Unrepresentable {
        what: what(),
        reason: e.to_string(),
    })?;
    match serde_json::from_str::<AlertEvent>(&json) {
        Ok(back) if back == *event => Ok(json),
        Ok(_) => Err(StoreError::Unrepresentable {
            what: what(),
            reason: "it would not read back as written (a number that is not finite?)".into(),
        }),
        Err(e) => Err(StoreError::Unrepresentable {
            what: what(),
            reason: format!(
                "it would not read back ({e}); numbers must be finite and times within years 0000-9999"
            ),
        }),
    }
}

fn check_name(what: &'static str, name: &str) -> Result<(), StoreError> {
    const MAX_CHARS: usize = 256;
    if name.trim().is_empty() {
        return Err(StoreError::InvalidInput {
            what,
            reason: "it is empty; give a name such as `duty-officer`".into(),
        });
    }
    if name.chars().count() > MAX_CHARS || name.chars().any(char::is_control) {
        return Err(StoreError::InvalidInput {
            what,
            reason: format!("it must be at most {MAX_CHARS} characters without control characters"),
        });
    }
    Ok(())
}

fn wall_clock_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Store for SqliteStore {
    fn append_inputs(&mut self, inputs: &[Input]) -> Result<(), StoreError> {
        if inputs.is_empty() {
            return Ok(());
        }
        let result = (|| -> Result<(), Fail> {
            let tx = self.conn.transaction()?;
            for input in inputs {
                match input {
                    Input::Observation(o) => insert_observation(&tx, o)?,
                    Input::UnitPosition(u) => insert_unit_position(&tx, u)?,
                }
            }
            tx.commit()?;
            Ok(())
        })();
        result.map_err(self.context(|| format!("appending {} inputs", inputs.len())))
    }

    fn append_tracks(&mut self, tracks: &[Track]) -> Result<(), StoreError> {
        if tracks.is_empty() {
            return Ok(());
        }
        let result = (|| -> Result<(), Fail> {
            let tx = self.conn.transaction()?;
            for t in tracks {
                insert_track(&tx, t)?;
            }
            tx.commit()?;
            Ok(())
        })();
        result.map_err(self.context(|| format!("appending {} track snapshots", tracks.len())))
    }

    fn append_alert_events(&mut self, events: &[AlertEvent]) -> Result<(), (usize, StoreError)> {
        let mut rows = Vec::with_capacity(events.len());
        for e in events {
            rows.push((e, alert_json(e).map_err(|err| (0, err))?));
        }
        // All in one synchronous commit: all stored, or none.
        let result = self.durable(|conn| {
            let tx = conn.transaction()?;
            for (event, json) in &rows {
                insert_alert_event(&tx, event, json)?;
            }
            tx.commit()?;
            Ok(())
        });
        result.map_err(|f| {
            (
                0,
                self.context(|| format!("storing {} alert events", events.len()))(f),
            )
        })
    }

    fn append_alert_event(&mut self, event: &AlertEvent) -> Result<(), StoreError> {
        let json = alert_json(event)?;
        let result = self.durable(|conn| {
            let tx = conn.transaction()?;
            insert_alert_event(&tx, event, &json)?;
            tx.commit()?;
            Ok(())
        });
        result.map_err(self.context(|| {
            format!(
                "storing alert {} ({})",
                event.alert_id,
                event.state.as_str()
            )
        }))
    }

    fn alert_events(&self) -> Result<Vec<AlertEvent>, StoreError> {
        self.read_alert_events(SELECT_ALERT_EVENTS)
            .map_err(self.context(|| "reading alert events".into()))
    }

    fn current_alerts(&self) -> Result<Vec<AlertEvent>, StoreError> {
        let mut alerts = self
            .read_alert_events(SELECT_CURRENT_ALERTS)
            .map_err(self.context(|| "reading current alerts".into()))?;
        // Sorted here, not in SQL: the column holds u64 ids bit-cast to i64.
        alerts.sort_by_key(|a| a.alert_id);
        Ok(alerts)
    }

    fn counts(&self) -> Result<StoreCounts, StoreError> {
        let result = (|| -> Result<StoreCounts, Fail> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM unit_positions), \
                 (SELECT count(*) FROM track_snapshots), (SELECT count(*) FROM alert_events), \
                 (SELECT count(*) FROM audit)",
            )?;
            let counts = stmt.query_row([], |r| {
                Ok(StoreCounts {
                    observations: count(r.get(0)?),
                    unit_positions: count(r.get(1)?),
                    track_snapshots: count(r.get(2)?),
                    alert_events: count(r.get(3)?),
                    audit_entries: count(r.get(4)?),
                })
            })?;
            Ok(counts)
        })();
        result.map_err(self.context(|| "counting records".into()))
    }

    fn user_count(&self) -> Result<u64, StoreError> {
        let result = (|| -> Result<u64, Fail> {
            let mut stmt = self.conn.prepare_cached("SELECT count(*) FROM users")?;
            Ok(count(stmt.query_row([], |r| r.get(0))?))
        })();
        result.map_err(self.context(|| "counting users".into()))
    }

    fn issue_token(
        &mut self,
        user: &str,
        role: Role,
        sectors: &[String],
    ) -> Result<String, StoreError> {
        check_name("user name", user)?;
        let sectors_json =
            serde_json::to_string(sectors).map_err(|e| StoreError::InvalidInput {
                what: "sectors",
                reason: e.to_string(),
            })?;
        let token = new_token()?;
        let hash = token_hash(&token);
        let result = self.durable(|conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached(
                "INSERT INTO users (name, role, sectors) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO UPDATE SET role = excluded.role, sectors = excluded.sectors",
            )?
            .execute(params![user, role.as_str(), sectors_json])?;
            tx.prepare_cached("INSERT INTO tokens (sha256, user, created_us) VALUES (?1, ?2, ?3)")?
                .execute(params![hash, user, wall_clock_us()])?;
            tx.commit()?;
            Ok(())
        });
        result.map_err(self.context(|| format!("issuing a token to `{user}`")))?;
        Ok(token)
    }

    fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        if token.is_empty() {
            return Ok(None);
        }
        let hash = token_hash(token);
        let result = (|| -> Result<Option<Principal>, Fail> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT t.rowid, u.name, u.role, u.sectors FROM tokens t \
                 JOIN users u ON u.name = t.user WHERE t.sha256 = ?1",
            )?;
            let mut rows = stmt.query(params![hash])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            let rowid: i64 = row.get(0)?;
            let name: String = row.get(1)?;
            let role: String = row.get(2)?;
            let sectors: String = row.get(3)?;
            let role = Role::parse(&role)
                .ok_or_else(|| self.corrupt("users", rowid, format!("unknown role `{role}`")))?;
            let sectors: Vec<String> = serde_json::from_str(&sectors)
                .map_err(|e| self.corrupt("users", rowid, format!("sectors: {e}")))?;
            Ok(Some(Principal {
                name,
                role,
                sectors,
            }))
        })();
        result.map_err(self.context(|| "checking a token".into()))
    }

    fn revoke_tokens(&mut self, user: &str) -> Result<u64, StoreError> {
        let result = self.durable(|conn| {
            let tx = conn.transaction()?;
            let n = tx
                .prepare_cached("DELETE FROM tokens WHERE user = ?1")?
                .execute(params![user])?;
            tx.commit()?;
            Ok(n as u64)
        });
        result.map_err(self.context(|| format!("revoking the tokens of `{user}`")))
    }

    fn audit(
        &mut self,
        time: Timestamp,
        who: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let result = self.durable(|conn| {
            let tx = conn.transaction()?;
            tx.prepare_cached(
                "INSERT INTO audit (time_us, who, action, detail) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![time.as_micros(), who, action, detail])?;
            tx.commit()?;
            Ok(())
        });
        result.map_err(self.context(|| format!("recording `{action}` by `{who}` in the audit log")))
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let result = (|| -> Result<Vec<AuditEntry>, Fail> {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT time_us, who, action, detail FROM audit ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok(AuditEntry {
                    time: Timestamp::from_micros(r.get(0)?),
                    who: r.get(1)?,
                    action: r.get(2)?,
                    detail: r.get(3)?,
                })
            })?;
            let entries = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(entries)
        })();
        result.map_err(self.context(|| "reading the audit log".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_keys_name_their_kind() {
        assert_eq!(
            identity_key(&Identity::RemoteId("1581F5FJD".into())),
            "remote_id:1581F5FJD"
        );
        assert_eq!(identity_key(&Identity::Icao(0x00ab12)), "icao:00AB12");
        assert_eq!(
            identity_key(&Identity::SapientObject {
                node: "n1".into(),
                object: "7".into()
            }),
            "sapient:n1/7"
        );
    }

    #[test]
    fn ids_above_i64_max_survive_the_integer_column() {
        let big = u64::MAX - 1;
        assert_eq!(id_column(big) as u64, big);
    }

    #[test]
    fn user_names_must_be_printable_and_non_empty() {
        assert!(check_name("user name", "duty-officer").is_ok());
        assert!(check_name("user name", "  ").is_err());
        assert!(check_name("user name", "a\nb").is_err());
        assert!(check_name("user name", &"x".repeat(300)).is_err());
    }
}
