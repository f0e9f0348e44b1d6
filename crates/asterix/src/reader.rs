//! A bounds-checked cursor over one data block's records, and the generic ASTERIX item
//! shapes (fixed, extended, repetitive, explicit, compound) built on it.

use crate::AsterixError;

/// Reads a record's items; every read is checked against what is left of the data block.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Offset of `bytes[0]` in the datagram, for error messages.
    base: usize,
    category: u8,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], base: usize, category: u8) -> Self {
        Reader {
            bytes,
            pos: 0,
            base,
            category,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Offset in the datagram of the next unread byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn truncated(&self, item: &'static str, needed: usize) -> AsterixError {
        AsterixError::Truncated {
            category: self.category,
            item,
            offset: self.offset(),
            needed,
            available: self.bytes.len().saturating_sub(self.pos),
        }
    }

    /// The next `n` bytes of `item`.
    pub(crate) fn take(&mut self, n: usize, item: &'static str) -> Result<&'a [u8], AsterixError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(self.truncated(item, n)),
        }
    }

    /// Exactly `N` bytes of `item`.
    pub(crate) fn array<const N: usize>(
        &mut self,
        item: &'static str,
    ) -> Result<[u8; N], AsterixError> {
        let s = self.take(N, item)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, item: &'static str) -> Result<u8, AsterixError> {
        Ok(self.array::<1>(item)?[0])
    }

    /// An extensible item: octets until one has its FX (least significant) bit clear.
    pub(crate) fn extended(&mut self, item: &'static str) -> Result<&'a [u8], AsterixError> {
        let start = self.pos;
        loop {
            let b = self.u8(item)?;
            if b & 1 == 0 {
                return Ok(&self.bytes[start..self.pos]);
            }
        }
    }

    /// A repetitive item: a one-octet repetition count, then `count` elements of `each` bytes.
    pub(crate) fn repetitive(
        &mut self,
        each: usize,
        item: &'static str,
    ) -> Result<&'a [u8], AsterixError> {
        let n = usize::from(self.u8(item)?);
        self.take(n * each, item)
    }

    /// An explicit item (SP, RE): a length octet that counts itself, then the contents.
    pub(crate) fn explicit(&mut self, item: &'static str) -> Result<&'a [u8], AsterixError> {
        let len = usize::from(self.u8(item)?);
        if len == 0 {
            return Err(AsterixError::Malformed {
                category: self.category,
                item,
                offset: self.offset() - 1,
                reason: "explicit length 0 (it must count its own octet)",
            });
        }
        self.take(len - 1, item)
    }

    /// A compound item's primary subfield, as the presence flags of its subfields in order.
    ///
    /// `defined` is the number of subfields the item defines; a flag set beyond them (or in a
    /// spare position listed in `spare`) names a subfield whose length nobody knows, so the
    /// record cannot be parsed any further.
    pub(crate) fn compound_flags(
        &mut self,
        defined: usize,
        spare: &[usize],
        item: &'static str,
    ) -> Result<u32, AsterixError> {
        let start = self.offset();
        let primary = self.extended(item)?;
        let mut flags = 0u32;
        let mut index = 0usize;
        for octet in primary {
            for bit in (1..8).rev() {
                if octet & (1 << bit) != 0 {
                    if index >= defined || spare.contains(&index) {
                        return Err(AsterixError::Malformed {
                            category: self.category,
                            item,
                            offset: start,
                            reason: "compound item announces a subfield that is not defined",
                        });
                    }
                    flags |= 1 << index;
                }
                index += 1;
            }
        }
        Ok(flags)
    }
}

/// Big-endian unsigned value of up to 8 bytes.
pub(crate) fn be_uint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Two's-complement value of the low `bits` bits of `raw`.
pub(crate) fn signed(raw: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// Reads the FSPEC: presence flags by field reference number (bit 0 = FRN 1).
///
/// `max_frn` is the number of items in the category's UAP; an FSPEC that names more, or runs
/// past the block, is an error.
pub(crate) fn fspec(r: &mut Reader<'_>, max_frn: usize) -> Result<u64, AsterixError> {
    let start = r.offset();
    let octets = r.extended("FSPEC")?;
    let mut flags = 0u64;
    let mut frn = 0usize;
    for octet in octets {
        for bit in (1..8).rev() {
            if octet & (1 << bit) != 0 {
                if frn >= max_frn {
                    return Err(AsterixError::Malformed {
                        category: r.category,
                        item: "FSPEC",
                        offset: start,
                        reason: "FSPEC names an item beyond the category's UAP",
                    });
                }
                flags |= 1 << frn;
            }
            frn += 1;
        }
    }
    if flags == 0 {
        return Err(AsterixError::Malformed {
            category: r.category,
            item: "FSPEC",
            offset: start,
            reason: "FSPEC announces no item",
        });
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_sign_extends_the_top_bit() {
        assert_eq!(signed(0xFF, 8), -1);
        assert_eq!(signed(0x7F, 8), 127);
        assert_eq!(signed(0x2000, 14), -8192);
        assert_eq!(signed(0xFFFFFF, 24), -1);
    }

    #[test]
    fn extended_item_stops_at_clear_fx() {
        let mut r = Reader::new(&[0x03, 0x02, 0xFF], 0, 48);
        assert_eq!(r.extended("I048/020").unwrap(), &[0x03, 0x02]);
        assert_eq!(r.pos(), 2);
    }

    #[test]
    fn extended_item_running_off_the_end_is_truncated() {
        let mut r = Reader::new(&[0x03, 0x03], 0, 48);
        assert!(matches!(
            r.extended("I048/020"),
            Err(AsterixError::Truncated { .. })
        ));
    }

    #[test]
    fn explicit_length_zero_is_malformed() {
        let mut r = Reader::new(&[0x00], 0, 48);
        assert!(matches!(
            r.explicit("I048/SP"),
            Err(AsterixError::Malformed { .. })
        ));
    }

    #[test]
    fn fspec_beyond_uap_is_malformed() {
        // Two octets with every flag: 14 items, but a UAP of 7.
        let mut r = Reader::new(&[0xFF, 0xFE], 0, 34);
        assert!(fspec(&mut r, 7).is_err());
        let mut r = Reader::new(&[0xFF, 0xFE], 0, 34);
        assert_eq!(fspec(&mut r, 14).unwrap(), 0x3FFF);
    }
}
