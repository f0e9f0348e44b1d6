//! Protocol input adapters: each owns its sockets, decodes with its pure codec crate and hands
//! observations to the pipeline through an `InputSink` (counted, backpressured).
//!
//! Not for: decoding (the codec crates do it), fusion, config formats.
#![deny(missing_docs)]

mod asterix;
mod beast;
mod modes_text;
mod remoteid;
mod remoteid_live;
mod sapient;
mod stream;
mod tak;
mod tak_tls;

pub use asterix::{
    pcap_frames, AsterixDecoder, AsterixPcapFile, AsterixPlayback, AsterixUdp, Decoded,
};
pub use beast::{BeastPlayback, BeastTcp};
pub use modes_text::{ModesFeed, ModesFormat, MAX_AVR_LINE_BYTES};
pub use remoteid::RemoteIdPlayback;
pub use remoteid_live::{
    MqttSubscription, Rejected, RemoteIdLiveDecoder, RemoteIdMqtt, RemoteIdUdp, MAX_PAYLOAD_BYTES,
};
pub use sapient::SapientServer;
pub use stream::StreamSource;
pub use tak::{TakSaInput, TakSaSource, TakUnitMapping};
pub use tak_tls::{TakTlsClient, TlsError, TlsFiles};

/// Wall-clock time for adapters that stamp receptions (codecs and fusion never read a clock).
pub(crate) use picket_pipeline::wall_now;
