//! The Mode S 24-bit parity (ICAO Annex 10 Vol IV, generator polynomial 0x1FFF409).
//!
//! Every Mode S reply ends with a 24-bit parity field. For DF11/17/18 it is plain parity
//! (possibly overlaid with an interrogator code on DF11); for DF0/4/5/16/20/21 it is the parity
//! XOR the aircraft address ("address/parity"), so the remainder *is* the address.

/// The generator polynomial without its top bit (x^24 is implicit).
const POLY: u32 = 0xFF_F409;

/// One table entry per byte value: the remainder of `byte · x^24` (byte-at-a-time CRC).
const TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut reg = (byte as u32) << 16;
        let mut bit = 0;
        while bit < 8 {
            reg <<= 1;
            if reg & 0x100_0000 != 0 {
                reg ^= POLY;
            }
            bit += 1;
        }
        table[byte] = reg & 0xFF_FFFF;
        byte += 1;
    }
    table
}

/// The 24-bit parity of `data` (the bits before the parity field).
pub fn parity(data: &[u8]) -> u32 {
    let mut crc: u32 = 0;
    for &b in data {
        crc = ((crc << 8) ^ TABLE[(((crc >> 16) as u8) ^ b) as usize]) & 0xFF_FFFF;
    }
    crc
}

/// The remainder of a whole frame (7 or 14 bytes): computed parity XOR the transmitted
/// parity field. Zero for a clean DF17; the aircraft address for address/parity formats.
/// Frames shorter than 4 bytes have no parity field and yield `None`.
pub fn remainder(frame: &[u8]) -> Option<u32> {
    let n = frame.len();
    if n < 4 {
        return None;
    }
    let (data, pf) = frame.split_at(n - 3);
    let tx = (u32::from(pf[0]) << 16) | (u32::from(pf[1]) << 8) | u32::from(pf[2]);
    Some(parity(data) ^ tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-at-a-time long division, straight from the definition, to check the table.
    fn parity_bitwise(data: &[u8]) -> u32 {
        let mut reg: u32 = 0;
        for &b in data {
            for i in (0..8).rev() {
                let inbit = u32::from((b >> i) & 1);
                let top = (reg >> 23) & 1;
                reg = (reg << 1) & 0xFF_FFFF;
                if top ^ inbit != 0 {
                    reg ^= POLY;
                }
            }
        }
        reg
    }

    #[test]
    fn table_parity_equals_bitwise_long_division() {
        let mut x: u32 = 12345;
        for len in 1..14 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (x >> 16) as u8
                })
                .collect();
            assert_eq!(parity(&data), parity_bitwise(&data), "len {len}");
        }
    }

    #[test]
    fn clean_df17_has_zero_remainder_and_a_flipped_bit_does_not() {
        let mut f = [
            0x8D, 0x40, 0x6B, 0x90, 0x20, 0x15, 0xA6, 0x78, 0xD4, 0xD2, 0x20, 0xAA, 0x4B, 0xDA,
        ];
        assert_eq!(remainder(&f), Some(0));
        f[5] ^= 0x10;
        assert_ne!(remainder(&f), Some(0));
    }

    #[test]
    fn address_parity_remainder_is_the_address() {
        // DF20 from pyModeS' golden set: address 484B92.
        let f = [
            0xA0, 0x00, 0x03, 0x92, 0xD9, 0x19, 0xF7, 0x19, 0xE3, 0xBC, 0x75, 0xC9, 0x24, 0x83,
        ];
        assert_eq!(remainder(&f), Some(0x48_4B92));
    }
}
