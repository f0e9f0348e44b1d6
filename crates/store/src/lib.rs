//! Picket's store: the [`Store`] trait and its embedded SQLite implementation, [`SqliteStore`].
//!
//! It keeps every stage's output for replay and evidence: observations and friendly unit
//! positions, track snapshots, alert lifecycle events, and the audit log (who saw or did what).
//! It also keeps credentials, as SHA-256 hashes of tokens only: a clear token leaves
//! [`Store::issue_token`] once and is never written anywhere.
//!
//! It is not for: HTTP or JSON API shapes (that is `picket-api`), deciding what to store
//! (the pipeline calls it), or reading the site config. It reads the wall clock in one place
//! only: the `created` time of an issued token.
//!
//! Durability (see [`SqliteStore`]): bulk appends survive a crash of Picket; alert events,
//! tokens and audit entries also survive a power loss once their call returns `Ok`.
#![deny(missing_docs)]

mod error;
mod schema;
mod sqlite;
mod token;

pub use error::{BackendError, StoreError};
pub use sqlite::SqliteStore;

use picket_core::{AlertEvent, Input, Principal, Role, Timestamp, Track};

/// Where Picket keeps what it saw, concluded and did.
///
/// One writer at a time (`&mut self`); callers that share a store across tasks wrap it in a
/// mutex. Reads return whole tables: they are for the console's start-up and for tests, not for
/// paging through months of history.
pub trait Store: Send {
    /// Append observations and friendly unit positions, in one transaction.
    fn append_inputs(&mut self, inputs: &[Input]) -> Result<(), StoreError>;
    /// Append track snapshots (the track history), in one transaction.
    fn append_tracks(&mut self, tracks: &[Track]) -> Result<(), StoreError>;
    /// Append one alert lifecycle event.
    ///
    /// Durable when it returns Ok (synchronous commit): the pipeline announces an alert only
    /// after this returns.
    fn append_alert_event(&mut self, event: &AlertEvent) -> Result<(), StoreError>;
    /// Append several alert events in order, durably, like [`Store::append_alert_event`]
    /// each. On a failure, `Err((stored, error))`: the first `stored` events are stored and
    /// the rest are not. The default writes them one by one; a store that can should write
    /// them in one synchronous commit (a step raising several alerts then waits for one
    /// fsync, not one each).
    fn append_alert_events(&mut self, events: &[AlertEvent]) -> Result<(), (usize, StoreError)> {
        for (i, e) in events.iter().enumerate() {
            self.append_alert_event(e).map_err(|err| (i, err))?;
        }
        Ok(())
    }
    /// Every alert event, in insertion order.
    fn alert_events(&self) -> Result<Vec<AlertEvent>, StoreError>;
    /// The latest event of each alert, ordered by alert id.
    fn current_alerts(&self) -> Result<Vec<AlertEvent>, StoreError>;
    /// How many records of each kind are stored.
    fn counts(&self) -> Result<StoreCounts, StoreError>;

    /// How many users exist (zero on a fresh store: time to create the first admin).
    fn user_count(&self) -> Result<u64, StoreError>;
    /// Create a user (or replace its role/sectors) and issue a new random token (256 bits,
    /// 64 lower-case hex digits), returned in clear exactly once; only its SHA-256 is stored.
    /// Tokens issued earlier to the same user stay valid until [`Store::revoke_tokens`].
    fn issue_token(
        &mut self,
        user: &str,
        role: Role,
        sectors: &[String],
    ) -> Result<String, StoreError>;
    /// The principal a token belongs to, or None. Lookup is by the token's hash, so no
    /// comparison of secrets happens here.
    fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError>;
    /// Revoke every token of `user`; returns how many were revoked. The user itself remains.
    fn revoke_tokens(&mut self, user: &str) -> Result<u64, StoreError>;

    /// Record who saw or did what, at `time`. Durable when it returns Ok.
    fn audit(
        &mut self,
        time: Timestamp,
        who: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError>;
    /// The whole audit log, in insertion order.
    fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError>;
}

/// How many records of each kind a store holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Sensor observations.
    pub observations: u64,
    /// Friendly unit position reports.
    pub unit_positions: u64,
    /// Track snapshots.
    pub track_snapshots: u64,
    /// Alert lifecycle events.
    pub alert_events: u64,
    /// Audit log entries.
    pub audit_entries: u64,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When it happened (as the caller said).
    pub time: Timestamp,
    /// Who did it (a user name, or `system`).
    pub who: String,
    /// What they did (`login`, `view_unit`, `acknowledge`, ...).
    pub action: String,
    /// Details (which unit, which alert, from where).
    pub detail: String,
}
