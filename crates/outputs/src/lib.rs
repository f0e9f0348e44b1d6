//! Protocol output adapters: they take the pipeline's events (tracks, alert lifecycle
//! events) and deliver them to the people who need them, over the wire those people use.
//!
//! - [`TakOutput`]: Cursor-on-Target to a TAK server over TCP or mutual TLS, or to a mesh
//!   over UDP (multicast or unicast) — one stable uid per track, its type escalating with the
//!   alert level, stale-outs when tracks end, alert markers addressed to the threatened
//!   unit's callsign only, re-sent until cleared and then cancelled, and a GeoChat line per
//!   lifecycle step.
//! - [`WebhookOutput`]: every alert lifecycle event POSTed as JSON, signed (HMAC-SHA256),
//!   retried with backoff, in order, dead-lettered to a file when it cannot be delivered.
//! - [`MqttOutput`]: every alert lifecycle event published (QoS 1) to
//!   `<prefix>/alerts/<unit_id>`.
//!
//! - [`SapientParentOutput`]: Picket as a child of a parent SAPIENT node — registered as a
//!   fusion node, status reports, confirmed tracks as DetectionReports, alerts as Alerts.
//!
//! Not for: encoding (the `picket-cot` codec does that), deciding what is a threat
//! (assessment), reading config files (the binary), or inputs (`picket-inputs`).
#![deny(missing_docs)]

mod mqtt;
mod sapient_parent;
mod tak;
mod webhook;

pub use mqtt::{MqttConfigError, MqttOutput, MqttOutputConfig};
pub use sapient_parent::{SapientParentConfig, SapientParentConfigError, SapientParentOutput};
pub use tak::{TakConfigError, TakOutput, TakOutputConfig, TakTarget, TlsFiles};
pub use webhook::{
    event_id, WebhookConfigError, WebhookOutput, WebhookOutputConfig, WebhookSecret,
};
