//! Building Mode S frames (for tests, fuzz seeds and the built-in scenario's ADS-B receiver):
//! the inverse of [`crate::ModeS::decode`] for the formats Picket emits.

use crate::crc;

/// A DF17 extended squitter: capability `ca` (5 = airborne), address, 56-bit ME, parity.
pub fn df17(address: u32, ca: u8, me: u64) -> [u8; 14] {
    let mut f = [0u8; 14];
    f[0] = (17 << 3) | (ca & 7);
    f[1..4].copy_from_slice(&(address & 0xFF_FFFF).to_be_bytes()[1..]);
    f[4..11].copy_from_slice(&me.to_be_bytes()[1..]);
    let p = crc::parity(&f[..11]);
    f[11..].copy_from_slice(&p.to_be_bytes()[1..]);
    f
}

/// A DF11 all-call reply with plain parity.
pub fn df11(address: u32, capability: u8) -> [u8; 7] {
    let mut f = [0u8; 7];
    f[0] = (11 << 3) | (capability & 7);
    f[1..4].copy_from_slice(&(address & 0xFF_FFFF).to_be_bytes()[1..]);
    let p = crc::parity(&f[..4]);
    f[4..].copy_from_slice(&p.to_be_bytes()[1..]);
    f
}

/// Overwrite the last three bytes of an address/parity frame (DF0/4/5/16/20/21) with parity
/// XOR `address`, as a transponder does. Frames shorter than 4 bytes are left alone.
pub fn set_address_parity(frame: &mut [u8], address: u32) {
    let n = frame.len();
    if n < 4 {
        return;
    }
    let ap = crc::parity(&frame[..n - 3]) ^ (address & 0xFF_FFFF);
    frame[n - 3..].copy_from_slice(&ap.to_be_bytes()[1..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{AddressSource, ModeS};

    #[test]
    fn built_frames_decode_to_what_was_put_in() {
        let m = ModeS::decode(&df17(0x4840D6, 5, 0x2015A678D4D220)).unwrap();
        assert_eq!(
            (m.df, m.address, m.address_source),
            (17, 0x4840D6, AddressSource::Checked)
        );
        let m = ModeS::decode(&df11(0xABCDEF, 5)).unwrap();
        assert_eq!((m.df, m.address), (11, 0xABCDEF));
        let mut f = [0x28, 0x00, 0x1B, 0x08, 0, 0, 0]; // DF5
        set_address_parity(&mut f, 0x3C6586);
        assert_eq!(ModeS::decode(&f).unwrap().address, 0x3C6586);
    }
}
