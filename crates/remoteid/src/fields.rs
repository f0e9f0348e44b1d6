//! Small field types: coded enumerations that keep unknown codes, fixed-size text, raw bytes.

use serde::{Serialize, Serializer};
use std::fmt;

/// Declares a code enumeration: named codes plus `Other(u8)` for reserved or private codes,
/// which are kept rather than rejected. Serialises as the snake_case name, or the number for
/// `Other`.
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A code with no name in the standard (reserved or private use); kept as sent.
            Other(u8),
        }

        impl $name {
            /// From the wire code.
            pub const fn from_code(code: u8) -> Self {
                match code {
                    $($code => $name::$variant,)*
                    other => $name::Other(other),
                }
            }
            /// The wire code.
            pub const fn code(self) -> u8 {
                match self {
                    $($name::$variant => $code,)*
                    $name::Other(c) => c,
                }
            }
            /// The snake_case name, or `None` for an unnamed code.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $($name::$variant => Some($text),)*
                    $name::Other(_) => None,
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.name() {
                    Some(n) => s.serialize_str(n),
                    None => s.serialize_u8(self.code()),
                }
            }
        }
    };
}
pub(crate) use code_enum;

/// Fixed-size text as broadcast: ASCII, padded with NULs. Keeps every byte for re-encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text<const N: usize>(pub [u8; N]);

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Text([0; N])
    }
}

impl<const N: usize> Text<N> {
    /// Text from a string: truncated to `N` bytes, NUL-padded.
    pub fn new(s: &str) -> Self {
        let mut b = [0u8; N];
        let src = s.as_bytes();
        let n = src.len().min(N);
        b[..n].copy_from_slice(&src[..n]);
        Text(b)
    }
    /// The bytes before the first NUL, with trailing spaces removed.
    pub fn visible(&self) -> &[u8] {
        let end = self.0.iter().position(|&c| c == 0).unwrap_or(N);
        let mut v = &self.0[..end];
        while let [rest @ .., b' '] = v {
            v = rest;
        }
        v
    }
    /// The text, when it is printable ASCII (`None` for binary content).
    pub fn as_str(&self) -> Option<&str> {
        let v = self.visible();
        if v.iter().all(|c| (0x20..0x7f).contains(c)) {
            std::str::from_utf8(v).ok()
        } else {
            None
        }
    }
    /// True when nothing visible was sent.
    pub fn is_empty(&self) -> bool {
        self.visible().is_empty()
    }
}

impl<const N: usize> fmt::Display for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(s),
            None => write!(f, "hex:{}", hex(self.visible())),
        }
    }
}

impl<const N: usize> fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl<const N: usize> Serialize for Text<N> {
    /// Printable ASCII as a string; anything else as `hex:` followed by the visible bytes.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Bytes that serialise as a lower-case hex string.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stops_at_nul_and_trims_spaces() {
        let t = Text::<8>(*b"ab c \0zz");
        assert_eq!(t.as_str(), Some("ab c"));
        assert_eq!(Text::<4>::new("abcdef").0, *b"abcd");
    }

    #[test]
    fn binary_text_shows_as_hex() {
        let t = Text::<4>([0x01, 0xff, 0x41, 0]);
        assert_eq!(t.as_str(), None);
        assert_eq!(t.to_string(), "hex:01ff41");
    }
}
