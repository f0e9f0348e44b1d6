//! The store's behaviour through real files: round trips, durability, tokens, alerts, errors.

mod alerts;
mod fixtures;
mod open;
mod roundtrip;
mod tokens;
