//! Authentication page reassembly.
//!
//! An Authentication message is sent as pages: page 0 carries the type, the index of the last
//! page, the total length and a timestamp with the first 17 data bytes; pages 1..=last carry
//! 23 bytes each. [`AuthAssembler`] collects the pages of one sender and hands back the data
//! once every page has arrived. Keep one assembler per sender (MAC or UAS ID).

use crate::fields::HexBytes;
use crate::message::{AuthPage, AuthType};
use picket_core::Timestamp;
use serde::Serialize;

/// Most pages an authentication may have (page numbers 0–15).
pub const MAX_AUTH_PAGES: usize = 16;

/// Reassembled authentication data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuthData {
    /// Authentication type.
    pub auth_type: AuthType,
    /// Time of the signature (from page 0).
    pub timestamp: Option<Timestamp>,
    /// Number of pages it took.
    pub page_count: u8,
    /// The data, cut to the length page 0 declares.
    pub data: HexBytes,
}

/// Collects authentication pages of one sender. Memory is fixed: at most 16 pages of 23 bytes.
#[derive(Clone, Debug, Default)]
pub struct AuthAssembler {
    pages: [Option<[u8; 23]>; MAX_AUTH_PAGES],
    head: Option<AuthPage>,
}

impl AuthAssembler {
    /// An empty assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a page; returns the reassembled data when this page completes a set.
    ///
    /// A page of another authentication type, or a new page 0 with a different timestamp,
    /// starts over: pages of different signatures are never mixed.
    pub fn push(&mut self, page: &AuthPage) -> Option<AuthData> {
        let idx = page.page as usize;
        if idx >= MAX_AUTH_PAGES {
            return None;
        }
        if let Some(head) = &self.head {
            let new_set = head.auth_type != page.auth_type
                || (idx == 0
                    && (head.timestamp != page.timestamp
                        || head.last_page_index != page.last_page_index));
            if new_set {
                *self = Self::default();
            }
        }
        if idx == 0 {
            self.head = Some(*page);
        }
        self.pages[idx] = Some(page.data);
        self.try_complete()
    }

    fn try_complete(&mut self) -> Option<AuthData> {
        let head = self.head?;
        let last = head.last_page_index? as usize;
        if last >= MAX_AUTH_PAGES {
            return None;
        }
        if self.pages[..=last].iter().any(Option::is_none) {
            return None;
        }
        let mut data = Vec::with_capacity(17 + 23 * last);
        for (i, p) in self.pages[..=last].iter().enumerate() {
            let p = p.as_ref()?;
            data.extend_from_slice(if i == 0 { &p[..17] } else { &p[..] });
        }
        data.truncate(head.length.unwrap_or(u8::MAX) as usize);
        *self = Self::default();
        Some(AuthData {
            auth_type: head.auth_type,
            timestamp: head.timestamp,
            page_count: (last + 1) as u8,
            data: HexBytes(data),
        })
    }
}
