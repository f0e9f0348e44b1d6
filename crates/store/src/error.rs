//! What can go wrong in a store, said so that the reader knows what to do next.

use std::error::Error as StdError;

/// A boxed backend error, so the public type does not pin one SQL driver's version.
pub type BackendError = Box<dyn StdError + Send + Sync + 'static>;

/// Errors of a [`Store`](crate::Store).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store file could not be opened or prepared.
    #[error("cannot open store `{path}`: {source} ({hint})")]
    Open {
        /// The file asked for.
        path: String,
        /// What the backend said.
        #[source]
        source: BackendError,
        /// What to do about it.
        hint: &'static str,
    },
    /// The file was written by a newer Picket with a schema this one does not know.
    #[error(
        "store `{path}` has schema version {found}, newer than the {supported} this Picket \
         understands (upgrade Picket, or point it at another file)"
    )]
    SchemaTooNew {
        /// The file.
        path: String,
        /// The version found in the file.
        found: i64,
        /// The newest version this build can read and write.
        supported: i64,
    },
    /// The file is an SQLite database of some other program.
    #[error(
        "store `{path}` is an SQLite database but not a Picket store (application id {found:#x}); \
         point Picket at a new or a Picket file"
    )]
    NotAPicketStore {
        /// The file.
        path: String,
        /// The application id found in the file.
        found: i64,
    },
    /// A read or write failed once the store was open.
    #[error("store `{path}`: {what} failed: {source} ({hint})")]
    Backend {
        /// The file (`:memory:` for an in-memory store).
        path: String,
        /// The operation, in words (`appending 500 observations`).
        what: String,
        /// What the backend said.
        #[source]
        source: BackendError,
        /// What to do about it.
        hint: &'static str,
    },
    /// A stored row could not be turned back into its record.
    #[error(
        "store `{path}`: row {row} of table `{table}` cannot be read back: {reason} \
         (the file is damaged or was written by an incompatible Picket; keep a copy for the record)"
    )]
    Corrupt {
        /// The file.
        path: String,
        /// The table.
        table: &'static str,
        /// The row id.
        row: i64,
        /// Why it could not be decoded.
        reason: String,
    },
    /// A record that could not be stored faithfully, so it was not stored at all.
    #[error("cannot store {what}: {reason}")]
    Unrepresentable {
        /// The record (`alert A7 (raised)`).
        what: String,
        /// Why.
        reason: String,
    },
    /// An argument the store refuses (e.g. an empty user name).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument.
        what: &'static str,
        /// Why, and what is expected.
        reason: String,
    },
    /// The operating system's random source failed while issuing a token.
    #[error("cannot issue a token: the operating system's random source failed: {0} (check /dev/urandom / getrandom(2) is available)")]
    Random(String),
}

/// A hint for the person reading the error, from SQLite's error class.
pub(crate) fn hint_for(e: &rusqlite::Error) -> &'static str {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::CannotOpen) => "check the directory exists and is writable",
        Some(C::NotADatabase) => {
            "the file is not an SQLite database; point Picket at a new file or a Picket store"
        }
        Some(C::DatabaseCorrupt) => {
            "the file is damaged; restore it from a backup or start a new file"
        }
        Some(C::DiskFull) => "the disk is full; free space, then retry",
        Some(C::ReadOnly) | Some(C::PermissionDenied) => {
            "check the file and its directory are writable by Picket"
        }
        Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => {
            "another process holds the store; stop it or use another file"
        }
        Some(C::SystemIoFailure) => {
            "the disk reported an I/O error; check the disk and its free space"
        }
        _ => "check the disk, its free space and the file's permissions",
    }
}
