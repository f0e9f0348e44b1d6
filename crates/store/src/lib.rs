//! Picket's store: a Store trait and its embedded SQLite implementation (observations, tracks, alerts, tokens, audit).
#![deny(missing_docs)]
