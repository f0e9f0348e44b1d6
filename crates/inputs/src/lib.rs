//! Protocol input adapters: each owns its sockets, decodes with its pure codec crate and hands
//! observations to the pipeline through an `InputSink` (counted, backpressured).
//!
//! Not for: decoding (the codec crates do it), fusion, config formats.
#![deny(missing_docs)]

mod asterix;
mod beast;
mod remoteid;
mod sapient;
mod tak;

pub use asterix::AsterixUdp;
pub use beast::{BeastPlayback, BeastTcp};
pub use remoteid::RemoteIdPlayback;
pub use sapient::SapientServer;
pub use tak::{TakSaInput, TakSaSource, TakUnitMapping};

/// Wall-clock time for adapters that stamp receptions (codecs and fusion never read a clock).
pub(crate) fn wall_now() -> picket_core::Timestamp {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    picket_core::Timestamp::from_micros(us)
}
