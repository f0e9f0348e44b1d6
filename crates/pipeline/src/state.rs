//! What the pipeline publishes: the live picture (for REST snapshots) and the event stream
//! (for WebSocket clients). Typed here; the API decides the JSON.

use picket_core::{
    AlertEvent, AlertId, GeoPoint, LocalFrame, ProtectedUnit, SensorId, TargetClass, Timestamp,
    Track, TrackId, UnitId, Zone,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// A sensor as the site knows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SensorInfo {
    /// Id.
    pub id: SensorId,
    /// `radar`, `remote_id`, `adsb`, `bearing` or `friendly`.
    pub kind: String,
    /// Where it stands, when known.
    pub position: Option<GeoPoint>,
    /// No data for this long (wall time, live inputs) → sensor down.
    #[serde(skip)]
    pub silence_timeout_s: f64,
}

/// The site: frame, units, zones, sensors.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteModel {
    /// Site name.
    pub name: String,
    /// Local frame.
    pub frame: LocalFrame,
    /// Protected units.
    pub units: Vec<ProtectedUnit>,
    /// Zones.
    pub zones: Vec<Zone>,
    /// Sensors.
    pub sensors: Vec<SensorInfo>,
}

/// A track with its assessment labels, as shown to people.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrackView {
    /// The fused track.
    #[serde(flatten)]
    pub track: Track,
    /// Its class.
    pub class: TargetClass,
    /// No Remote ID / ADS-B identity.
    pub dark: bool,
    /// Why it is labelled so, in words: identity, sensor classifications, speed, and the
    /// manned-aircraft awareness findings (e.g. suppressed because it moves with an ADS-B
    /// aircraft).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A protected unit's current position and freshness.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UnitView {
    /// Which unit.
    pub unit_id: UnitId,
    /// Its sector (for need-to-know filtering).
    #[serde(skip)]
    pub sector: String,
    /// Where it is (fixed: its centre; moving: last report), if known.
    pub position: Option<GeoPoint>,
    /// True when a moving unit's last report is older than its limit.
    pub stale: bool,
}

/// Health of one sensor feed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SensorStatus {
    /// False once the feed has been silent longer than its timeout.
    pub up: bool,
    /// Lines received.
    pub lines: u64,
    /// Lines rejected as malformed.
    pub malformed: u64,
    /// Data time of the last good input.
    pub last_time: Option<Timestamp>,
}

/// The live picture.
#[derive(Clone, Debug)]
pub struct LiveState {
    /// The site.
    pub site: SiteModel,
    /// Latest data time processed.
    pub data_time: Option<Timestamp>,
    /// Live tracks.
    pub tracks: BTreeMap<TrackId, TrackView>,
    /// Units' current positions.
    pub units: BTreeMap<UnitId, UnitView>,
    /// Latest event of every alert (cleared ones included).
    pub alerts: BTreeMap<AlertId, AlertEvent>,
    /// Operators and take-off points of Remote ID aircraft linked to a track, by UAS ID
    /// (kept a grace period after the aircraft's track ended; `operators.rs`).
    pub operators: BTreeMap<String, crate::operators::OperatorEntity>,
    /// Feed health.
    pub sensors: BTreeMap<SensorId, SensorStatus>,
    /// Playback speed (×real time; 0 = as fast as possible; 1 for live).
    pub speed: f64,
    /// True once all inputs have ended (a scenario or replay is over).
    pub inputs_finished: bool,
}

/// The live picture, shared between the pipeline (writer) and the API (readers).
pub type SharedState = Arc<RwLock<LiveState>>;

impl LiveState {
    /// An empty picture of `site`.
    pub fn new(site: SiteModel, speed: f64) -> Self {
        let units = site
            .units
            .iter()
            .map(|u| {
                (
                    u.id.clone(),
                    UnitView {
                        unit_id: u.id.clone(),
                        sector: u.sector.clone(),
                        position: u
                            .fixed_position_enu(&site.frame)
                            .map(|p| site.frame.to_geo(&p)),
                        stale: false,
                    },
                )
            })
            .collect();
        let sensors = site
            .sensors
            .iter()
            .map(|s| {
                (
                    s.id.clone(),
                    SensorStatus {
                        up: true,
                        ..Default::default()
                    },
                )
            })
            .collect();
        LiveState {
            site,
            data_time: None,
            tracks: BTreeMap::new(),
            units,
            alerts: BTreeMap::new(),
            operators: BTreeMap::new(),
            sensors,
            speed,
            inputs_finished: false,
        }
    }
    /// The sector of a unit, if the unit exists.
    pub fn unit_sector(&self, unit: &UnitId) -> Option<&str> {
        self.site
            .units
            .iter()
            .find(|u| &u.id == unit)
            .map(|u| u.sector.as_str())
    }
}

/// One thing that happened, streamed to live clients.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Tracks born, updated or deleted at a data time.
    Tracks {
        /// Data time.
        time: Timestamp,
        /// The tracks (deleted ones have status `deleted`).
        tracks: Vec<TrackView>,
    },
    /// Units' positions at a data time.
    Units {
        /// Data time.
        time: Timestamp,
        /// The units.
        units: Vec<UnitView>,
    },
    /// An alert lifecycle event (already stored).
    Alert(AlertEvent),
    /// A sensor went down or came back.
    Sensor {
        /// Which.
        sensor_id: SensorId,
        /// Up or down.
        up: bool,
        /// Why, in words.
        reason: String,
    },
    /// Data time advanced.
    Clock {
        /// Data time.
        time: Timestamp,
        /// Playback speed (0 = max).
        speed: f64,
    },
}
