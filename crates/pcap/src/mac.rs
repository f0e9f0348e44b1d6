//! 48-bit hardware addresses (802.11 and Bluetooth device addresses).

use std::fmt;

/// A 48-bit MAC / Bluetooth device address in display (most significant byte first) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// From the six bytes as transmitted by 802.11 (already in display order).
    pub const fn from_dot11(b: [u8; 6]) -> Self {
        MacAddr(b)
    }
    /// From the six bytes as transmitted by Bluetooth LE (little-endian: reversed).
    pub const fn from_ble(b: [u8; 6]) -> Self {
        MacAddr([b[5], b[4], b[3], b[2], b[1], b[0]])
    }
    /// The first three bytes (the OUI, for a universally administered address).
    pub const fn oui(&self) -> [u8; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }
    /// True for a locally administered (often randomised) address.
    pub const fn is_locally_administered(&self) -> bool {
        self.0[0] & 0x02 != 0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_lowercase_colon_separated() {
        let m = MacAddr([0x90, 0x3a, 0xe6, 0x5b, 0xc8, 0xa8]);
        assert_eq!(m.to_string(), "90:3a:e6:5b:c8:a8");
        assert_eq!(m.oui(), [0x90, 0x3a, 0xe6]);
    }

    #[test]
    fn bluetooth_addresses_are_reversed_for_display() {
        let m = MacAddr::from_ble([0x1c, 0x2f, 0xeb, 0xea, 0x7d, 0xe0]);
        assert_eq!(m.to_string(), "e0:7d:ea:eb:2f:1c");
    }
}
