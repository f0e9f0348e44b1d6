//! Typed errors of the codec. Messages say what was wrong and where.

/// Why bytes could not be decoded into a [`crate::CotEvent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input is larger than [`crate::Limits::max_bytes`].
    #[error("CoT input is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not UTF-8 / well-formed XML.
    #[error("CoT XML is not well-formed near byte {position}: {message}")]
    Xml {
        /// Byte offset where the parser stopped.
        position: u64,
        /// The parser's complaint.
        message: String,
    },
    /// A `<!DOCTYPE>` was present; CoT never needs one and DTDs are an attack surface.
    #[error("CoT XML must not contain a DOCTYPE")]
    DocType,
    /// Elements nest deeper than [`crate::Limits::max_depth`].
    #[error("CoT XML nests deeper than {max} elements")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// More elements than [`crate::Limits::max_elements`].
    #[error("CoT XML has more than {max} elements")]
    TooManyElements {
        /// The limit.
        max: usize,
    },
    /// An element has more attributes than [`crate::Limits::max_attributes`].
    #[error("<{element}> has more than {max} attributes")]
    TooManyAttributes {
        /// Element name.
        element: String,
        /// The limit.
        max: usize,
    },
    /// There was no root element.
    #[error("CoT input holds no element")]
    Empty,
    /// Text or a second root element follows the root element.
    #[error("CoT input has content after its root element")]
    TrailingContent,
    /// The root element is not `<event>`.
    #[error("root element is <{found}>, expected <event>")]
    NotAnEvent {
        /// The root's name.
        found: String,
    },
    /// A required attribute is missing or empty.
    #[error("<{element}> lacks the required `{attribute}` attribute")]
    MissingAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
    },
    /// An attribute value is out of range or of the wrong form.
    #[error("<{element} {attribute}=\"{value}\">: {why}")]
    BadAttribute {
        /// Element name.
        element: &'static str,
        /// Attribute name.
        attribute: &'static str,
        /// The value (first 64 characters).
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The event has no `<point>`.
    #[error("<event> has no <point>")]
    MissingPoint,
    /// Protobuf bytes did not decode.
    #[error("TAK protobuf payload does not decode: {0}")]
    Protobuf(String),
    /// A TakMessage carries no CotEvent.
    #[error("TakMessage carries no cotEvent")]
    NoCotEvent,
}

impl DecodeError {
    pub(crate) fn bad(
        element: &'static str,
        attribute: &'static str,
        value: &str,
        why: &'static str,
    ) -> Self {
        DecodeError::BadAttribute {
            element,
            attribute,
            value: value.chars().take(64).collect(),
            why,
        }
    }
}

/// Why a [`crate::CotEvent`] could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// An element or attribute name is not a valid XML name.
    #[error("`{0}` is not a valid XML name")]
    InvalidName(String),
    /// A coordinate or error value is NaN or infinite.
    #[error("`{field}` is not a finite number")]
    NotFinite {
        /// Which field.
        field: &'static str,
    },
    /// Latitude or longitude outside its range.
    #[error("`{field}` = {value} is out of range")]
    OutOfRange {
        /// Which field.
        field: &'static str,
        /// The value, formatted.
        value: String,
    },
    /// `uid` or `type` is empty.
    #[error("`{0}` must not be empty")]
    Empty(&'static str),
    /// TAK protobuf times are unsigned milliseconds since 1970.
    #[error("`{0}` is before 1970 and cannot be sent as TAK protobuf")]
    BeforeEpoch(&'static str),
}

/// Why a TAK protocol frame could not be split or decoded. After one of these on a stream
/// the byte boundaries are lost: close the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame does not start with the `0xbf` magic byte.
    #[error("TAK frame starts with 0x{found:02x}, expected the 0xbf magic byte")]
    BadMagic {
        /// The byte found.
        found: u8,
    },
    /// A mesh header names a protocol version this codec does not speak.
    #[error("TAK mesh message is protocol version {version}; only version 1 is supported")]
    UnsupportedVersion {
        /// The version in the header.
        version: u64,
    },
    /// A varint is longer than 10 bytes.
    #[error("TAK frame header holds a varint longer than 10 bytes")]
    VarintTooLong,
    /// The declared or found message is larger than the limit.
    #[error("TAK message of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Declared / found length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A mesh datagram ends inside its header.
    #[error("TAK mesh datagram of {len} bytes is shorter than its header")]
    Truncated {
        /// Datagram length.
        len: usize,
    },
    /// An XML stream holds bytes that cannot start an event.
    #[error("CoT XML stream holds {len} bytes without an </event> within the limit")]
    NoEventEnd {
        /// Bytes buffered.
        len: usize,
    },
    /// The payload is not a TakMessage.
    #[error("TAK protobuf payload does not decode: {0}")]
    Protobuf(String),
}
