//! 802.11 management frames: enough to find beacons, probe responses and action frames, who
//! sent them, and their information elements; plus Wi-Fi Aware (NAN) service discovery frames.

use crate::bytes::{array_at, u16_le, u8_at};
use crate::MacAddr;

/// Management frame subtypes Picket looks at.
pub mod subtype {
    /// Association request.
    pub const ASSOC_REQUEST: u8 = 0;
    /// Probe request.
    pub const PROBE_REQUEST: u8 = 4;
    /// Probe response.
    pub const PROBE_RESPONSE: u8 = 5;
    /// Beacon.
    pub const BEACON: u8 = 8;
    /// Action.
    pub const ACTION: u8 = 13;
    /// Action, no acknowledgement.
    pub const ACTION_NO_ACK: u8 = 14;
}

/// Why an 802.11 frame could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Dot11Error {
    /// Shorter than its header (or fixed fields).
    #[error("802.11 frame of {len} bytes is shorter than its {needed}-byte header")]
    Truncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        len: usize,
    },
    /// Not a management frame (type in the frame control field).
    #[error("802.11 frame type {0} is not management (0)")]
    NotManagement(u8),
    /// An information element runs past the end of the frame.
    #[error("information element {id} at byte {offset} claims {len} bytes past the frame's end")]
    ElementOverrun {
        /// Element id.
        id: u8,
        /// Offset of the element within the element list.
        offset: usize,
        /// Length it claims.
        len: u8,
    },
}

/// A management frame's header and body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MgmtFrame<'a> {
    /// Subtype (see [`subtype`]).
    pub subtype: u8,
    /// Receiver address (addr1).
    pub receiver: MacAddr,
    /// Transmitter / source address (addr2): the sender's MAC.
    pub transmitter: MacAddr,
    /// BSSID (addr3).
    pub bssid: MacAddr,
    /// Sequence number (12 bits).
    pub sequence: u16,
    /// Everything after the MAC header (FCS already removed by the caller).
    pub body: &'a [u8],
}

/// Parse the MAC header of a management frame. `frame` must not include the FCS.
pub fn parse_mgmt(frame: &[u8]) -> Result<MgmtFrame<'_>, Dot11Error> {
    let truncated = |needed| Dot11Error::Truncated {
        needed,
        len: frame.len(),
    };
    let fc0 = u8_at(frame, 0).ok_or(truncated(24))?;
    let fc1 = u8_at(frame, 1).ok_or(truncated(24))?;
    let frame_type = (fc0 >> 2) & 0x3;
    if frame_type != 0 {
        return Err(Dot11Error::NotManagement(frame_type));
    }
    // The order bit on a management frame means a 4-byte HT Control field follows.
    let header_len = if fc1 & 0x80 != 0 { 28 } else { 24 };
    if frame.len() < header_len {
        return Err(truncated(header_len));
    }
    let mac = |at| MacAddr(array_at::<6>(frame, at).unwrap_or_default());
    Ok(MgmtFrame {
        subtype: fc0 >> 4,
        receiver: mac(4),
        transmitter: mac(10),
        bssid: mac(16),
        sequence: u16_le(frame, 22).unwrap_or(0) >> 4,
        body: &frame[header_len..],
    })
}

impl<'a> MgmtFrame<'a> {
    /// The information elements of a beacon, probe request or probe response; `None` for
    /// other subtypes (or a body too short for the fixed fields).
    pub fn elements(&self) -> Option<Elements<'a>> {
        let fixed = match self.subtype {
            subtype::BEACON | subtype::PROBE_RESPONSE => 12,
            subtype::PROBE_REQUEST => 0,
            subtype::ASSOC_REQUEST => 4,
            _ => return None,
        };
        self.body.get(fixed..).map(Elements::new)
    }

    /// For an action frame: its category and the bytes after it.
    pub fn action(&self) -> Option<(u8, &'a [u8])> {
        match self.subtype {
            subtype::ACTION | subtype::ACTION_NO_ACK => {
                let (&cat, rest) = self.body.split_first()?;
                Some((cat, rest))
            }
            _ => None,
        }
    }

    /// The SSID element's bytes, if there is one.
    pub fn ssid(&self) -> Option<&'a [u8]> {
        self.elements()?
            .filter_map(Result::ok)
            .find(|e| e.id == 0)
            .map(|e| e.data)
    }
}

/// One information element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Element<'a> {
    /// Element id (221 = vendor specific).
    pub id: u8,
    /// Element body.
    pub data: &'a [u8],
}

/// Element id of a vendor-specific element.
pub const VENDOR_SPECIFIC: u8 = 221;

impl<'a> Element<'a> {
    /// For a vendor-specific element: its OUI and the bytes after it (starting with the
    /// vendor's own type byte, when the vendor uses one).
    pub fn vendor(&self) -> Option<([u8; 3], &'a [u8])> {
        if self.id != VENDOR_SPECIFIC {
            return None;
        }
        let oui = array_at::<3>(self.data, 0)?;
        Some((oui, &self.data[3..]))
    }
}

/// Iterator over information elements; yields an error and stops at an element that runs
/// past the end.
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    bytes: &'a [u8],
    offset: usize,
    done: bool,
}

impl<'a> Elements<'a> {
    /// Elements in `bytes` (a TLV list: id, length, body).
    pub fn new(bytes: &'a [u8]) -> Self {
        Elements {
            bytes,
            offset: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<Element<'a>, Dot11Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.bytes.len() {
            return None;
        }
        let at = self.offset;
        let id = self.bytes[at];
        let Some(len) = u8_at(self.bytes, at + 1) else {
            self.done = true;
            return Some(Err(Dot11Error::ElementOverrun {
                id,
                offset: at,
                len: 0,
            }));
        };
        let start = at + 2;
        match self.bytes.get(start..start + len as usize) {
            Some(data) => {
                self.offset = start + len as usize;
                Some(Ok(Element { id, data }))
            }
            None => {
                self.done = true;
                Some(Err(Dot11Error::ElementOverrun {
                    id,
                    offset: at,
                    len,
                }))
            }
        }
    }
}

/// Wi-Fi Aware (Neighbor Awareness Networking): the Wi-Fi Alliance's public action frames.
pub mod nan {
    use crate::bytes::{array_at, u16_le, u8_at};

    /// The Wi-Fi Alliance OUI.
    pub const WFA_OUI: [u8; 3] = [0x50, 0x6F, 0x9A];
    /// The OUI type of NAN.
    pub const NAN_OUI_TYPE: u8 = 0x13;
    /// Action category "public".
    pub const CATEGORY_PUBLIC: u8 = 4;
    /// Public action "vendor specific".
    pub const ACTION_VENDOR_SPECIFIC: u8 = 9;
    /// Attribute id of the Service Descriptor Attribute.
    pub const SERVICE_DESCRIPTOR: u8 = 0x03;

    /// A NAN attribute.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Attribute<'a> {
        /// Attribute id.
        pub id: u8,
        /// Attribute body.
        pub data: &'a [u8],
    }

    /// The attributes of a NAN Service Discovery Frame, given an action frame's category and
    /// the bytes after it ([`super::MgmtFrame::action`]). `None` when it is not one.
    pub fn service_discovery_attributes(category: u8, rest: &[u8]) -> Option<Attributes<'_>> {
        if category != CATEGORY_PUBLIC
            || u8_at(rest, 0)? != ACTION_VENDOR_SPECIFIC
            || array_at::<3>(rest, 1)? != WFA_OUI
            || u8_at(rest, 4)? != NAN_OUI_TYPE
        {
            return None;
        }
        Some(Attributes {
            bytes: &rest[5..],
            offset: 0,
        })
    }

    /// Iterator over NAN attributes (id, 2-byte little-endian length, body); stops at one that
    /// runs past the end.
    #[derive(Clone, Debug)]
    pub struct Attributes<'a> {
        bytes: &'a [u8],
        offset: usize,
    }

    impl<'a> Attributes<'a> {
        /// Attributes in `bytes`.
        pub fn new(bytes: &'a [u8]) -> Self {
            Attributes { bytes, offset: 0 }
        }
        /// True when iteration stopped before the end (an attribute ran past it).
        pub fn stopped_early(&self) -> bool {
            self.offset < self.bytes.len()
        }
    }

    impl<'a> Iterator for Attributes<'a> {
        type Item = Attribute<'a>;
        fn next(&mut self) -> Option<Self::Item> {
            let at = self.offset;
            let id = u8_at(self.bytes, at)?;
            let len = u16_le(self.bytes, at + 1)? as usize;
            let data = self.bytes.get(at + 3..at + 3 + len)?;
            self.offset = at + 3 + len;
            Some(Attribute { id, data })
        }
    }

    /// A Service Descriptor Attribute.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ServiceDescriptor<'a> {
        /// First 6 bytes of SHA-256 of the service name.
        pub service_id: [u8; 6],
        /// Instance id of the publisher.
        pub instance_id: u8,
        /// Instance id of the requestor.
        pub requestor_instance_id: u8,
        /// Service control bits (0-1: publish / subscribe / follow-up).
        pub service_control: u8,
        /// The service-specific info, when present.
        pub service_info: Option<&'a [u8]>,
    }

    /// Parse a Service Descriptor Attribute's body. `None` when a field runs past the end.
    pub fn service_descriptor(data: &[u8]) -> Option<ServiceDescriptor<'_>> {
        let service_id = array_at::<6>(data, 0)?;
        let instance_id = u8_at(data, 6)?;
        let requestor_instance_id = u8_at(data, 7)?;
        let control = u8_at(data, 8)?;
        let mut at = 9usize;
        if control & 0x40 != 0 {
            at += 2; // binding bitmap
        }
        if control & 0x04 != 0 {
            at += 1 + u8_at(data, at)? as usize; // matching filter
        }
        if control & 0x08 != 0 {
            at += 1 + u8_at(data, at)? as usize; // service response filter
        }
        let service_info = if control & 0x10 != 0 {
            let len = u8_at(data, at)? as usize;
            Some(data.get(at + 1..at + 1 + len)?)
        } else {
            None
        };
        Some(ServiceDescriptor {
            service_id,
            instance_id,
            requestor_instance_id,
            service_control: control,
            service_info,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beacon(elements: &[u8]) -> Vec<u8> {
        let mut f = vec![0x80, 0x00, 0, 0];
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&[0x90, 0x3a, 0xe6, 0x5b, 0xc8, 0xa8]);
        f.extend_from_slice(&[0x90, 0x3a, 0xe6, 0x5b, 0xc8, 0xa8]);
        f.extend_from_slice(&[0x30, 0x01]);
        f.extend_from_slice(&[0; 12]);
        f.extend_from_slice(elements);
        f
    }

    #[test]
    fn beacon_gives_transmitter_ssid_and_vendor_elements() {
        let f = beacon(&[0, 3, b'a', b'b', b'c', 221, 5, 0xfa, 0x0b, 0xbc, 0x0d, 7]);
        let m = parse_mgmt(&f).unwrap();
        assert_eq!(m.subtype, subtype::BEACON);
        assert_eq!(m.transmitter.to_string(), "90:3a:e6:5b:c8:a8");
        assert_eq!(m.sequence, 0x013);
        assert_eq!(m.ssid(), Some(&b"abc"[..]));
        let v: Vec<_> = m
            .elements()
            .unwrap()
            .filter_map(|e| e.ok()?.vendor())
            .collect();
        assert_eq!(v, vec![([0xfa, 0x0b, 0xbc], &[0x0d, 7][..])]);
    }

    #[test]
    fn element_past_the_end_is_reported_and_stops_iteration() {
        let f = beacon(&[0, 1, b'x', 221, 40, 1, 2]);
        let m = parse_mgmt(&f).unwrap();
        let items: Vec<_> = m.elements().unwrap().collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert!(matches!(
            items[1],
            Err(Dot11Error::ElementOverrun {
                id: 221,
                len: 40,
                ..
            })
        ));
    }

    #[test]
    fn data_frames_are_not_management() {
        let f = [0x08u8; 30];
        assert_eq!(parse_mgmt(&f), Err(Dot11Error::NotManagement(2)));
        assert!(matches!(
            parse_mgmt(&[0x80, 0]),
            Err(Dot11Error::Truncated { .. })
        ));
    }

    #[test]
    fn nan_service_descriptor_with_service_info() {
        let mut rest = vec![9, 0x50, 0x6f, 0x9a, 0x13];
        let sda = [
            0x88, 0x69, 0x19, 0x9d, 0x92, 0x09, 1, 0, 0x10, 3, 0xaa, 0xbb, 0xcc,
        ];
        rest.push(nan::SERVICE_DESCRIPTOR);
        rest.extend_from_slice(&(sda.len() as u16).to_le_bytes());
        rest.extend_from_slice(&sda);
        let mut attrs = nan::service_discovery_attributes(4, &rest).unwrap();
        let a = attrs.next().unwrap();
        assert_eq!(a.id, nan::SERVICE_DESCRIPTOR);
        let sd = nan::service_descriptor(a.data).unwrap();
        assert_eq!(sd.service_id, [0x88, 0x69, 0x19, 0x9d, 0x92, 0x09]);
        assert_eq!(sd.service_info, Some(&[0xaa, 0xbb, 0xcc][..]));
        assert!(nan::service_discovery_attributes(7, &rest).is_none());
    }
}
