//! Assembly: one aircraft per UAS ID across messages, transports and randomised MAC
//! addresses, with its operator, take-off point and spoof evidence.
//!
//! An [`Assembler`] serves one receiver. It takes decode records in reception order and
//! keeps, per aircraft: its UAS IDs (a serial preferred; protocol 2 allows two), its latest
//! System message, the sender addresses it was heard from, and its [`Evidence`].
//!
//! * **Identity.** A frame naming a UAS ID (Basic ID, DJI serial, French id) links its sender
//!   address to the aircraft of that ID, so a drone that randomises its MAC stays one
//!   aircraft. A frame without one (a Location-only pack) belongs to the aircraft its address
//!   was last linked to; an address never linked is an aircraft of its own (per-MAC identity).
//!   A new ID from a known address is another ID of the same aircraft (a serial and a CAA
//!   registration, sent in separate Bluetooth 4 frames). Observations carry the aircraft's
//!   first ID (within a frame, a serial is preferred) and never switch: fusion keeps a
//!   track's first identity, and a switch would split the track.
//!   When a Basic ID arrives later on such an address, the address's aircraft takes that ID —
//!   or, when the ID already has an aircraft (the MAC changed), is merged into it, evidence
//!   included. Observations of an aircraft without a UAS ID carry no identity: a made-up
//!   per-MAC identity would stop fusion from adopting the serial once it is heard.
//! * **Time.** Everything runs on record (reception) time; nothing reads a clock. A Location's
//!   time of validity is rebuilt from its "tenths of a second past the hour" in the hour
//!   nearest reception ([`crate::location_time`]), so 59:59.9 heard at 00:00.2 is the previous
//!   hour.
//! * **Operator and take-off point.** They are entities linked to the aircraft, carried on
//!   each of its observations: `side.operator_position` from the System message (whatever
//!   its operator-location type: live GNSS, fixed or take-off — it is the best guess of where
//!   the pilot stands), and `side.take_off_position` when the type is "take-off" (and from
//!   DJI's home point and the French beacon's take-off point). The operator is not sent as an
//!   observation of its own: fusion has no class for a person on the ground and would make
//!   a track of it (one that could raise alerts); the tracker copies both points onto the
//!   aircraft's track, and [`Assembler::aircraft`] lists them per aircraft.
//! * **Evidence.** Every position, counter, timestamp and identity goes through the
//!   aircraft's [`Evidence`]; each observation carries the combined `side.spoof` (`None`
//!   when nothing is suspicious).
//! * **Bounds.** At most [`MAX_AIRCRAFT`] aircraft (the least recently heard is dropped to make
//!   room), [`MAX_ADDRESSES`] sender addresses and [`MAX_IDS`] UAS IDs each; an aircraft
//!   not heard for [`IDLE_EXPIRY_S`] of record time is forgotten.
//! * **DJI DroneID and the French beacon** become observations too: identity from the serial,
//!   position, DJI's home point / the French take-off point as take-off, DJI's pilot position
//!   (version 2) as operator.

use crate::capture::{DecodeRecord, RecordMessage};
use crate::dji::DjiFlightInfo;
use crate::evidence::{Evidence, Fix};
use crate::french::FrenchBeacon;
use crate::message::{BasicId, IdType, Location, OperatorLocationType, System};
use crate::observe::{to_observation, AircraftContext, ObservationContext};
use crate::transport::Transport;
use picket_core::{
    GeoPoint, Identity, Measurement, Observation, SideFacts, SpoofEvidence, Timestamp,
};
use picket_pcap::MacAddr;
use std::collections::HashMap;

/// Most aircraft one assembler keeps.
pub const MAX_AIRCRAFT: usize = 1024;
/// Most sender addresses kept per aircraft (older ones are unlinked).
pub const MAX_ADDRESSES: usize = 8;
/// Most UAS IDs kept per aircraft.
pub const MAX_IDS: usize = 4;
/// An aircraft not heard for this long is forgotten, seconds of record time.
pub const IDLE_EXPIRY_S: f64 = 300.0;
/// Vertical σ when the altitude's reference is unknown (DJI DroneID), metres.
const UNKNOWN_ALTITUDE_SIGMA_M: f64 = 1000.0;
/// Extra vertical σ for an altitude above mean sea level taken as above the ellipsoid, metres.
const MSL_FOR_HAE_SIGMA_M: f64 = 30.0;

/// What the assembler knows of one aircraft.
#[derive(Clone, Debug, PartialEq)]
pub struct AircraftView {
    /// Its UAS ID, the one its observations carry: the first heard (a serial preferred within
    /// a frame), when one was heard.
    pub uas_id: Option<String>,
    /// Every UAS ID it sent.
    pub uas_ids: Vec<String>,
    /// Sender addresses it was heard from, oldest first.
    pub addresses: Vec<Option<MacAddr>>,
    /// Where its operator stands (System message or DJI pilot position).
    pub operator_position: Option<GeoPoint>,
    /// What the operator position is: `take_off`, `live_gnss`, `fixed` or a code.
    pub operator_location_type: Option<String>,
    /// Where it took off.
    pub take_off_position: Option<GeoPoint>,
    /// Last record time it was heard.
    pub last_heard: Timestamp,
    /// Spoof evidence, `None` when nothing is suspicious.
    pub spoof: Option<SpoofEvidence>,
}

#[derive(Clone, Debug)]
struct Aircraft {
    ids: Vec<(u8, String)>,
    basic_id: Option<BasicId>,
    system: Option<System>,
    addresses: Vec<Option<MacAddr>>,
    operator: Option<GeoPoint>,
    operator_type: Option<OperatorLocationType>,
    take_off: Option<GeoPoint>,
    last_heard: Timestamp,
    evidence: Evidence,
}

impl Aircraft {
    fn new(now: Timestamp) -> Self {
        Aircraft {
            ids: Vec::new(),
            basic_id: None,
            system: None,
            addresses: Vec::new(),
            operator: None,
            operator_type: None,
            take_off: None,
            last_heard: now,
            evidence: Evidence::default(),
        }
    }
    /// The ID its observations carry: the first one heard (the best of its first frame).
    /// It never changes: fusion keeps a track's first identity, so a switch would split the
    /// track.
    fn uas_id(&self) -> Option<&str> {
        self.ids.first().map(|(_, s)| s.as_str())
    }
}

/// Which UAS ID to prefer when an aircraft sends several (protocol 2 allows two).
fn id_rank(t: IdType) -> u8 {
    match t {
        IdType::SerialNumber => 0,
        IdType::CaaRegistrationId => 1,
        IdType::UtmAssignedUuid => 2,
        IdType::SpecificSessionId => 3,
        _ => 4,
    }
}

/// Turns a stream of decode records (in reception order) into observations, one aircraft per
/// UAS ID. See the module documentation.
#[derive(Debug, Clone)]
pub struct Assembler {
    context: ObservationContext,
    aircraft: HashMap<u64, Aircraft>,
    by_address: HashMap<Option<MacAddr>, u64>,
    by_id: HashMap<String, u64>,
    next_key: u64,
    now: Option<Timestamp>,
    last_sweep: Option<Timestamp>,
    max_aircraft: usize,
}

impl Assembler {
    /// An assembler for one receiver.
    pub fn new(context: ObservationContext) -> Self {
        Self::with_capacity(context, MAX_AIRCRAFT)
    }

    /// An assembler keeping at most `max_aircraft` aircraft (at least 1).
    pub fn with_capacity(context: ObservationContext, max_aircraft: usize) -> Self {
        Assembler {
            context,
            aircraft: HashMap::new(),
            by_address: HashMap::new(),
            by_id: HashMap::new(),
            next_key: 0,
            now: None,
            last_sweep: None,
            max_aircraft: max_aircraft.max(1),
        }
    }

    /// The settings it was made with.
    pub fn context(&self) -> &ObservationContext {
        &self.context
    }

    /// Number of aircraft currently kept.
    pub fn len(&self) -> usize {
        self.aircraft.len()
    }

    /// True when no aircraft is kept.
    pub fn is_empty(&self) -> bool {
        self.aircraft.is_empty()
    }

    /// Number of sender addresses currently linked to an aircraft.
    pub fn addresses(&self) -> usize {
        self.by_address.len()
    }

    /// Every aircraft kept, most recently heard first.
    pub fn aircraft(&self) -> Vec<AircraftView> {
        let mut v: Vec<AircraftView> = self
            .aircraft
            .values()
            .map(|a| AircraftView {
                uas_id: a.uas_id().map(str::to_owned),
                uas_ids: a.ids.iter().map(|(_, s)| s.clone()).collect(),
                addresses: a.addresses.clone(),
                operator_position: a.operator,
                operator_location_type: a.operator_type.map(|t| match t.name() {
                    Some(n) => n.to_owned(),
                    None => t.code().to_string(),
                }),
                take_off_position: a.take_off,
                last_heard: a.last_heard,
                spoof: a.evidence.summary(),
            })
            .collect();
        v.sort_by(|a, b| {
            b.last_heard
                .cmp(&a.last_heard)
                .then(a.uas_id.cmp(&b.uas_id))
        });
        v
    }

    /// Takes the records of one or more frames (in reception order) and appends the
    /// observations they yield. Quarantined records never contribute.
    pub fn push(&mut self, records: &[DecodeRecord], out: &mut Vec<Observation>) {
        let mut rest = records;
        while let Some(first) = rest.first() {
            // One frame's records are contiguous.
            let n = rest
                .iter()
                .take_while(|r| r.frame == first.frame && r.mac == first.mac)
                .count();
            let (frame, tail) = rest.split_at(n);
            rest = tail;
            self.frame(frame, out);
        }
    }

    fn frame(&mut self, frame: &[DecodeRecord], out: &mut Vec<Observation>) {
        let good: Vec<&DecodeRecord> = frame
            .iter()
            .filter(|r| r.quarantine.is_none() && r.message.is_some())
            .collect();
        let Some(first) = good.first() else {
            return;
        };
        let mac = first.mac;
        let Some(now) = first.time.or(self.now) else {
            // No time at all yet (pcapng simple packets from the start): nothing to place.
            return;
        };
        let now = self.now.map_or(now, |n| n.max(now));
        self.now = Some(now);
        self.sweep(now);

        // The UAS IDs this frame names, best first.
        let mut ids: Vec<(u8, String)> = Vec::new();
        for r in &good {
            let named = match &r.message {
                Some(RecordMessage::BasicId(b)) => b
                    .uas_id
                    .as_str()
                    .map(|s| (id_rank(b.id_type), s.to_owned())),
                Some(RecordMessage::DjiFlightInfo(i)) => {
                    i.serial.as_str().map(|s| (0, s.to_owned()))
                }
                Some(RecordMessage::FrenchBeacon(f)) => f
                    .uas_id
                    .as_ref()
                    .and_then(|t| t.as_str())
                    .map(|s| (0, s.to_owned()))
                    .or_else(|| {
                        f.french_id
                            .as_ref()
                            .and_then(|t| t.as_str())
                            .map(|s| (1, s.to_owned()))
                    }),
                _ => None,
            };
            if let Some(x) = named.filter(|x| !x.1.is_empty()) {
                if !ids.iter().any(|y| y.1 == x.1) {
                    ids.push(x);
                }
            }
        }
        ids.sort();
        let key = self.resolve(mac, &ids, now);
        let ctx = &self.context;
        let Some(a) = self.aircraft.get_mut(&key) else {
            return;
        };
        a.last_heard = now;
        if let Some(serial) = ids.first() {
            a.evidence.on_identity(&serial.1, mac, now);
        }

        // State messages first: a Message Pack is one broadcast, whatever the order inside it.
        for r in &good {
            if let (Some(c), Some(t)) = (r.counter, r.transport) {
                // Bluetooth 4 counts per message type; packs count per pack.
                let per_type = match (&r.message, r.pack_index) {
                    (Some(m), None) if t == Transport::BleLegacy => Some(message_code(m)),
                    _ => None,
                };
                // One counter value per frame and stream: only the pack's first message counts.
                if r.pack_index.unwrap_or(0) == 0 {
                    a.evidence.on_counter((mac, t as u8, per_type), c, now);
                }
            }
            match &r.message {
                Some(RecordMessage::BasicId(b))
                    if !b.uas_id.is_empty()
                        && a.basic_id
                            .is_none_or(|old| id_rank(b.id_type) <= id_rank(old.id_type)) =>
                {
                    a.basic_id = Some(*b);
                }
                Some(RecordMessage::System(sys)) => {
                    if let Some(t) = sys.timestamp {
                        a.evidence.on_system_time(t, now);
                    }
                    a.system = Some(*sys);
                    a.operator_type = Some(sys.operator_location_type);
                }
                _ => {}
            }
        }

        for r in &good {
            let received = r.time.unwrap_or(now);
            let rssi = r.rssi_dbm.map(f64::from);
            let freq = r.freq_mhz.map(f64::from).or(match r.transport {
                Some(Transport::BleLegacy | Transport::BleLongRange) => Some(2440.0),
                _ => None,
            });
            let obs = match &r.message {
                Some(RecordMessage::Location(loc)) => {
                    location_observation(a, loc, received, rssi, ctx)
                }
                Some(RecordMessage::DjiFlightInfo(i)) => dji_observation(a, i, received, rssi, ctx),
                Some(RecordMessage::FrenchBeacon(f)) => {
                    french_observation(a, f, received, rssi, ctx)
                }
                _ => None,
            };
            let Some((mut o, accuracy_h_m)) = obs else {
                continue;
            };
            let Measurement::Position {
                position,
                cov_enu_m2,
            } = o.measurement
            else {
                continue;
            };
            // An unknown height (σ 1000 m) must not count as a distance from the receiver.
            let alt_known = cov_enu_m2[2][2].sqrt() < UNKNOWN_ALTITUDE_SIGMA_M * 0.99;
            let fix = Fix {
                time: o.time,
                received,
                lat_deg: position.lat_deg,
                lon_deg: position.lon_deg,
                alt_hae_m: alt_known.then_some(position.alt_hae_m),
                accuracy_h_m,
                velocity_en_mps: o.side.reported_velocity_enu_mps.map(|v| [v[0], v[1]]),
                operator: o.side.operator_position,
                mac,
                rssi_dbm: rssi,
                freq_mhz: freq,
            };
            a.evidence
                .on_fix(&fix, ctx.receiver_position.as_ref(), &ctx.sensor_id.0);
            a.evidence.expire(now);
            if o.side.operator_position.is_some() {
                a.operator = o.side.operator_position;
            }
            if o.side.take_off_position.is_some() {
                a.take_off = o.side.take_off_position;
            }
            o.side.take_off_position = o.side.take_off_position.or(a.take_off);
            o.side.spoof = a.evidence.summary();
            out.push(o);
        }
    }

    /// The aircraft a frame from `mac` naming `ids` (best first) belongs to, created or merged
    /// as needed.
    fn resolve(&mut self, mac: Option<MacAddr>, ids: &[(u8, String)], now: Timestamp) -> u64 {
        // Records without a sender address (self-decoded JSON, some Bluetooth receivers) say
        // nothing about which transmitter sent them: they never join an aircraft by address.
        let by_mac = mac
            .and_then(|_| self.by_address.get(&mac).copied())
            .filter(|k| self.aircraft.contains_key(k));
        let by_id = ids
            .iter()
            .find_map(|(_, s)| self.by_id.get(s).copied())
            .filter(|k| self.aircraft.contains_key(k));
        let key = match (by_mac, by_id) {
            (Some(m), Some(i)) if m == i => m,
            (Some(m), Some(i)) => {
                if self.aircraft.get(&m).is_some_and(|a| a.ids.is_empty()) {
                    // A Location-only address learns its aircraft: merge.
                    self.merge(m, i);
                } else {
                    // The address now speaks for another aircraft.
                    self.unlink_address(m, mac);
                }
                i
            }
            (None, Some(i)) => i,
            // An ID not heard before from a known address: another ID of the same transmitter
            // (protocol 2 sends a serial and a registration, Bluetooth 4 in separate frames).
            (Some(m), None) => m,
            (None, None) => self.create(now),
        };
        self.link_address(key, mac);
        for (rank, s) in ids {
            let Some(a) = self.aircraft.get_mut(&key) else {
                break;
            };
            if a.ids.iter().any(|(_, x)| x == s) {
                continue;
            }
            if a.ids.len() >= MAX_IDS {
                // Keep the first (the identity observations carry).
                let (_, old) = a.ids.remove(1);
                self.by_id.remove(&old);
            }
            a.ids.push((*rank, s.clone()));
            if let Some(prev) = self.by_id.insert(s.clone(), key) {
                if let Some(p) = self.aircraft.get_mut(&prev).filter(|_| prev != key) {
                    p.ids.retain(|(_, x)| x != s);
                }
            }
        }
        key
    }

    fn create(&mut self, now: Timestamp) -> u64 {
        while self.aircraft.len() >= self.max_aircraft {
            let Some(oldest) = self
                .aircraft
                .iter()
                .min_by_key(|(k, a)| (a.last_heard, **k))
                .map(|(k, _)| *k)
            else {
                break;
            };
            self.remove(oldest);
        }
        let key = self.next_key;
        self.next_key += 1;
        self.aircraft.insert(key, Aircraft::new(now));
        key
    }

    fn remove(&mut self, key: u64) {
        if let Some(a) = self.aircraft.remove(&key) {
            for m in a.addresses {
                if self.by_address.get(&m) == Some(&key) {
                    self.by_address.remove(&m);
                }
            }
            for (_, s) in a.ids {
                if self.by_id.get(&s) == Some(&key) {
                    self.by_id.remove(&s);
                }
            }
        }
    }

    fn link_address(&mut self, key: u64, mac: Option<MacAddr>) {
        if mac.is_none() {
            return;
        }
        let Some(a) = self.aircraft.get_mut(&key) else {
            return;
        };
        if let Some(i) = a.addresses.iter().position(|m| *m == mac) {
            // Most recent last.
            let m = a.addresses.remove(i);
            a.addresses.push(m);
        } else {
            if a.addresses.len() >= MAX_ADDRESSES {
                let old = a.addresses.remove(0);
                if self.by_address.get(&old) == Some(&key) {
                    self.by_address.remove(&old);
                }
            }
            if let Some(a) = self.aircraft.get_mut(&key) {
                a.addresses.push(mac);
            }
        }
        self.by_address.insert(mac, key);
    }

    fn unlink_address(&mut self, key: u64, mac: Option<MacAddr>) {
        if let Some(a) = self.aircraft.get_mut(&key) {
            a.addresses.retain(|m| *m != mac);
        }
        if self.by_address.get(&mac) == Some(&key) {
            self.by_address.remove(&mac);
        }
    }

    /// Moves aircraft `from` (known only by address) into `into`.
    fn merge(&mut self, from: u64, into: u64) {
        let Some(b) = self.aircraft.remove(&from) else {
            return;
        };
        for m in &b.addresses {
            self.by_address.remove(m);
        }
        for m in b.addresses {
            self.link_address(into, m);
        }
        if let Some(a) = self.aircraft.get_mut(&into) {
            a.evidence.absorb(b.evidence);
            a.system = a.system.or(b.system);
            a.operator = a.operator.or(b.operator);
            a.operator_type = a.operator_type.or(b.operator_type);
            a.take_off = a.take_off.or(b.take_off);
            a.last_heard = a.last_heard.max(b.last_heard);
        }
    }

    /// Forgets aircraft idle for longer than [`IDLE_EXPIRY_S`] (checked every 10 s).
    fn sweep(&mut self, now: Timestamp) {
        if self.last_sweep.is_some_and(|t| now.seconds_since(t) < 10.0) {
            return;
        }
        self.last_sweep = Some(now);
        let idle: Vec<u64> = self
            .aircraft
            .iter()
            .filter(|(_, a)| now.seconds_since(a.last_heard) > IDLE_EXPIRY_S)
            .map(|(k, _)| *k)
            .collect();
        for k in idle {
            self.remove(k);
        }
    }
}

fn message_code(m: &RecordMessage) -> u8 {
    match m {
        RecordMessage::BasicId(_) => 0,
        RecordMessage::Location(_) => 1,
        RecordMessage::Authentication(_) => 2,
        RecordMessage::SelfId(_) => 3,
        RecordMessage::System(_) => 4,
        RecordMessage::OperatorId(_) => 5,
        _ => 16,
    }
}

fn identity(a: &Aircraft) -> Option<Identity> {
    a.uas_id().map(|s| Identity::RemoteId(s.to_owned()))
}

/// An ASTM Location → observation (with its claimed 95 % horizontal accuracy).
fn location_observation(
    a: &Aircraft,
    loc: &Location,
    received: Timestamp,
    rssi: Option<f64>,
    ctx: &ObservationContext,
) -> Option<(Observation, Option<f64>)> {
    let ac = AircraftContext {
        basic_id: a.basic_id.as_ref(),
        system: a.system.as_ref(),
    };
    let mut o = to_observation(loc, received, rssi, &ac, ctx)?;
    // The aircraft's stable UAS ID (a DJI or French serial counts when no Basic ID was sent).
    o.identity = identity(a).or(o.identity);
    if a.system
        .is_some_and(|s| s.operator_location_type == OperatorLocationType::Takeoff)
    {
        o.side.take_off_position = o.side.operator_position;
    }
    Some((o, loc.horizontal_accuracy.bound_m()))
}

/// DJI flight telemetry → observation. DJI does not say what its altitude is measured from,
/// so the height is flagged unknown (vertical σ 1000 m); the time is the reception time.
fn dji_observation(
    a: &Aircraft,
    i: &DjiFlightInfo,
    received: Timestamp,
    rssi: Option<f64>,
    ctx: &ObservationContext,
) -> Option<(Observation, Option<f64>)> {
    let (lat, lon) = (i.lat?, i.lon?);
    let ground_alt = i.alt_m - i.height_m;
    let point = |la: Option<f64>, lo: Option<f64>| Some(GeoPoint::new(la?, lo?, ground_alt));
    let o = Observation {
        sensor_id: ctx.sensor_id.clone(),
        time: received,
        measurement: Measurement::position(
            GeoPoint::new(lat, lon, i.alt_m),
            ctx.default_sigma_horizontal_m,
            UNKNOWN_ALTITUDE_SIGMA_M,
        ),
        identity: identity(a),
        class_hint: None,
        side: SideFacts {
            operator_position: point(i.pilot_lat, i.pilot_lon).or(a.operator),
            reported_velocity_enu_mps: Some([i.v_east_mps, i.v_north_mps, i.v_up_mps]),
            rssi_dbm: rssi,
            take_off_position: point(i.home_lat, i.home_lon),
            ..SideFacts::default()
        },
    };
    Some((o, None))
}

/// French beacon → observation. Its altitude is above mean sea level: taken as above the
/// ellipsoid with 30 m more vertical σ (the geoid). The time is the reception time.
fn french_observation(
    a: &Aircraft,
    f: &FrenchBeacon,
    received: Timestamp,
    rssi: Option<f64>,
    ctx: &ObservationContext,
) -> Option<(Observation, Option<f64>)> {
    let (lat, lon) = (f.lat?, f.lon?);
    let (alt, sigma_v) = match f.alt_msl_m {
        Some(alt) => (alt, ctx.default_sigma_vertical_m.hypot(MSL_FOR_HAE_SIGMA_M)),
        None => (0.0, UNKNOWN_ALTITUDE_SIGMA_M),
    };
    let ground_alt = match (f.alt_msl_m, f.height_m) {
        (Some(alt), Some(h)) => alt - h,
        _ => alt,
    };
    let velocity = match (f.speed_horizontal_mps, f.direction_deg) {
        (Some(s), Some(d)) => {
            let r = d.to_radians();
            Some([s * r.sin(), s * r.cos(), 0.0])
        }
        _ => None,
    };
    let take_off = match (f.home_lat, f.home_lon) {
        (Some(la), Some(lo)) => Some(GeoPoint::new(la, lo, ground_alt)),
        _ => None,
    };
    let o = Observation {
        sensor_id: ctx.sensor_id.clone(),
        time: received,
        measurement: Measurement::position(
            GeoPoint::new(lat, lon, alt),
            ctx.default_sigma_horizontal_m,
            sigma_v,
        ),
        identity: identity(a),
        class_hint: None,
        side: SideFacts {
            operator_position: a.operator,
            reported_velocity_enu_mps: velocity,
            rssi_dbm: rssi,
            take_off_position: take_off,
            ..SideFacts::default()
        },
    };
    Some((o, None))
}
