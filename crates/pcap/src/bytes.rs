//! Bounds-checked little/big-endian reads. Every read returns `None` past the end.

#[inline]
pub(crate) fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

#[inline]
pub(crate) fn array_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    b.get(at..end)?.try_into().ok()
}

#[inline]
pub(crate) fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    array_at::<2>(b, at).map(u16::from_le_bytes)
}

#[inline]
pub(crate) fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    array_at::<4>(b, at).map(u32::from_le_bytes)
}

#[inline]
pub(crate) fn u64_le(b: &[u8], at: usize) -> Option<u64> {
    array_at::<8>(b, at).map(u64::from_le_bytes)
}

/// Reads of a fixed byte order chosen at run time (pcap and pcapng files may be either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    #[inline]
    pub(crate) fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let a = array_at::<2>(b, at)?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(a),
            Endian::Big => u16::from_be_bytes(a),
        })
    }
    #[inline]
    pub(crate) fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let a = array_at::<4>(b, at)?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(a),
            Endian::Big => u32::from_be_bytes(a),
        })
    }
    #[inline]
    pub(crate) fn u64(self, b: &[u8], at: usize) -> Option<u64> {
        let a = array_at::<8>(b, at)?;
        Some(match self {
            Endian::Little => u64::from_le_bytes(a),
            Endian::Big => u64::from_be_bytes(a),
        })
    }
}
