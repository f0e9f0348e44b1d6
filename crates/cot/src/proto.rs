//! TAK protocol version 1 payload messages, written for Picket with `prost` derives.
//!
//! Field numbers and types follow the public TAK protocol (package
//! `atakmap.commoncommo.protobuf.v1`, proto3), so the bytes are wire-compatible with ATAK,
//! WinTAK, TAK Server and `takproto`. Times are milliseconds since 1970-01-01T00:00:00Z.
//! Strings left empty are absent on the wire (proto3), which is how TAK marks "not set".

/// The top-level payload of every TAK protocol v1 message.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TakMessage {
    /// Protocol-version bookkeeping (mesh networks).
    #[prost(message, optional, tag = "1")]
    pub tak_control: Option<TakControl>,
    /// The CoT event.
    #[prost(message, optional, tag = "2")]
    pub cot_event: Option<CotEvent>,
}

/// Versions of the TAK protocol a mesh sender can decode.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct TakControl {
    /// Lowest version the sender can decode (0 = absent).
    #[prost(uint32, tag = "1")]
    pub min_proto_version: u32,
    /// Highest version the sender can decode (0 = absent).
    #[prost(uint32, tag = "2")]
    pub max_proto_version: u32,
    /// The sender's contact uid, when the message is not its own SA.
    #[prost(string, tag = "3")]
    pub contact_uid: String,
}

/// One CoT event: the `<event>` attributes and `<point>` flattened into fields.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct CotEvent {
    /// `type`.
    #[prost(string, tag = "1")]
    pub r#type: String,
    /// `access` (optional).
    #[prost(string, tag = "2")]
    pub access: String,
    /// `qos` (optional).
    #[prost(string, tag = "3")]
    pub qos: String,
    /// `opex` (optional).
    #[prost(string, tag = "4")]
    pub opex: String,
    /// `uid`.
    #[prost(string, tag = "5")]
    pub uid: String,
    /// `time`, ms since the epoch.
    #[prost(uint64, tag = "6")]
    pub send_time: u64,
    /// `start`, ms since the epoch.
    #[prost(uint64, tag = "7")]
    pub start_time: u64,
    /// `stale`, ms since the epoch.
    #[prost(uint64, tag = "8")]
    pub stale_time: u64,
    /// `how`.
    #[prost(string, tag = "9")]
    pub how: String,
    /// `point/@lat`, degrees.
    #[prost(double, tag = "10")]
    pub lat: f64,
    /// `point/@lon`, degrees.
    #[prost(double, tag = "11")]
    pub lon: f64,
    /// `point/@hae`, metres.
    #[prost(double, tag = "12")]
    pub hae: f64,
    /// `point/@ce`, metres.
    #[prost(double, tag = "13")]
    pub ce: f64,
    /// `point/@le`, metres.
    #[prost(double, tag = "14")]
    pub le: f64,
    /// `<detail>`.
    #[prost(message, optional, tag = "15")]
    pub detail: Option<Detail>,
}

/// `<detail>`: a few common elements as typed messages, everything else as XML text.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Detail {
    /// The detail children not carried by the typed fields, as an XML fragment.
    #[prost(string, tag = "1")]
    pub xml_detail: String,
    /// `<contact>`.
    #[prost(message, optional, tag = "2")]
    pub contact: Option<Contact>,
    /// `<__group>`.
    #[prost(message, optional, tag = "3")]
    pub group: Option<Group>,
    /// `<precisionlocation>`.
    #[prost(message, optional, tag = "4")]
    pub precision_location: Option<PrecisionLocation>,
    /// `<status>`.
    #[prost(message, optional, tag = "5")]
    pub status: Option<Status>,
    /// `<takv>`.
    #[prost(message, optional, tag = "6")]
    pub takv: Option<Takv>,
    /// `<track>`.
    #[prost(message, optional, tag = "7")]
    pub track: Option<Track>,
}

/// `<contact endpoint callsign>`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Contact {
    /// `endpoint`, e.g. `*:-1:stcp`.
    #[prost(string, tag = "1")]
    pub endpoint: String,
    /// `callsign`.
    #[prost(string, tag = "2")]
    pub callsign: String,
}

/// `<__group name role>`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Group {
    /// Team colour name, e.g. `Cyan`.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Role, e.g. `Team Member`.
    #[prost(string, tag = "2")]
    pub role: String,
}

/// `<precisionlocation geopointsrc altsrc>`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct PrecisionLocation {
    /// Source of the horizontal position, e.g. `GPS`.
    #[prost(string, tag = "1")]
    pub geopointsrc: String,
    /// Source of the altitude, e.g. `DTED0`.
    #[prost(string, tag = "2")]
    pub altsrc: String,
}

/// `<status battery>`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Status {
    /// Battery, percent.
    #[prost(uint32, tag = "1")]
    pub battery: u32,
}

/// `<takv device platform os version>`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Takv {
    /// Device model.
    #[prost(string, tag = "1")]
    pub device: String,
    /// TAK product, e.g. `ATAK-CIV`.
    #[prost(string, tag = "2")]
    pub platform: String,
    /// Operating system.
    #[prost(string, tag = "3")]
    pub os: String,
    /// Product version.
    #[prost(string, tag = "4")]
    pub version: String,
}

/// `<track speed course>`.
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Track {
    /// Ground speed, m/s.
    #[prost(double, tag = "1")]
    pub speed: f64,
    /// Course over ground, degrees from true north.
    #[prost(double, tag = "2")]
    pub course: f64,
}
