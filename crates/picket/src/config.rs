//! The site config file (TOML): one file per site, read, checked and mapped to Picket's model.
//!
//! Only the `picket` binary knows this format; library crates receive typed values
//! ([`SiteConfig`], `picket_core::ProtectedUnit`, `picket_core::Zone`, …).
//!
//! Reading happens in two steps. First serde turns the text into `Raw*` structs that keep the
//! byte span of every entry; syntax errors, unknown keys and wrong types stop there and are
//! reported at the toml crate's location. Then [`parse`] checks what the values mean and collects
//! *every* problem with its line and column, so a technician fixes a file in one pass.
//! The user's reference is `docs/config.md`; keep the two in step (tests check its examples).

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use picket_core::{
    GeoPoint, LocalFrame, ProtectedUnit, Role, SensorId, UnitGeometry, UnitId, UnitKind, Zone,
    ZoneGeometry, ZoneKind,
};
use picket_outputs::{
    MqttOutputConfig, TakOutputConfig, TakTarget, TlsFiles, WebhookOutputConfig, WebhookSecret,
};
use serde::Deserialize;
use toml::Spanned;

/// Everything within one site must lie this close to `[site].origin`: the local ENU frame is
/// only meant for a site, and a far-away point is nearly always a sign error in a longitude.
const MAX_DISTANCE_FROM_ORIGIN_M: f64 = 100_000.0;
/// GeoJSON border files larger than this are refused rather than read into memory.
const MAX_LINE_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Longest sensor, unit or zone id.
const MAX_ID_CHARS: usize = 64;
/// `silence_timeout_s` when a sensor does not set one.
const DEFAULT_SILENCE_TIMEOUT_S: f64 = 10.0;
/// `[site].sector` when the file does not set one.
const DEFAULT_SECTOR: &str = "default";
/// `[store].path` when the file does not set one (relative to the config file's folder).
const DEFAULT_STORE_FILE: &str = "picket.sqlite";

// ---------------------------------------------------------------------------------------------
// Public, checked configuration
// ---------------------------------------------------------------------------------------------

/// A site's configuration, checked and with every relative path resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteConfig {
    /// The file it was read from (as given).
    pub file: PathBuf,
    /// Human name of the site.
    pub name: String,
    /// Origin of the site's local East-North-Up frame.
    pub origin: GeoPoint,
    /// Sector of units that do not name one.
    pub default_sector: String,
    /// SQLite database file.
    pub store_path: PathBuf,
    /// `[store] track_snapshot_interval_s`: a track's estimate is stored at most this often.
    pub track_snapshot_interval_s: Option<f64>,
    /// The HTTP API and console; `None` = no HTTP server.
    pub api: Option<ApiConfig>,
    /// Tracker parameters that override the built-in values.
    pub tracker: TrackerOverrides,
    /// Assessment and alerting parameters that override the built-in values.
    pub assessment: AssessmentOverrides,
    /// `[aircraft]`: manned aircraft known by ICAO address.
    pub aircraft: picket_assess::AircraftLists,
    /// Sensor inputs, in file order.
    pub sensors: Vec<SensorConfig>,
    /// Protected units, in file order.
    pub units: Vec<ProtectedUnit>,
    /// Units' TAK device uids (`tak_uid`), in file order.
    pub tak_uids: Vec<(UnitId, String)>,
    /// Zones (border lines, restricted areas), in file order.
    pub zones: Vec<Zone>,
    /// Outputs, in file order.
    pub outputs: Vec<OutputConfig>,
    /// Users and what they may see.
    pub users: Vec<UserConfig>,
}

/// The `[api]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// Address and port the HTTP server listens on.
    pub listen: SocketAddr,
    /// Folder with the console's files; `None` = the built-in search.
    pub web_root: Option<PathBuf>,
}

/// `[tracker]`: each `Some` replaces the tracker's built-in value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrackerOverrides {
    /// Standard deviation of unmodelled acceleration, m/s².
    pub process_noise_accel_mps2: Option<f64>,
    /// Association gate: largest squared Mahalanobis distance accepted.
    pub gate_chi2: Option<f64>,
    /// Hits needed to confirm a track (M of M-of-N).
    pub confirm_hits: Option<u32>,
    /// Window the hits are counted in (N of M-of-N).
    pub confirm_window: Option<u32>,
    /// A tentative track without an update for this long is dropped, seconds.
    pub max_coast_tentative_s: Option<f64>,
    /// A confirmed track without an update for this long is dropped, seconds.
    pub max_coast_confirmed_s: Option<f64>,
    /// A track whose horizontal 1-σ position uncertainty exceeds this is dropped, metres.
    pub max_sigma_horizontal_m: Option<f64>,
    /// 1-σ of the velocity prior of a new track that reports no velocity, m/s.
    pub initial_speed_sigma_mps: Option<f64>,
    /// A confirmed track that missed more opportunities than this in a row leaves the picture.
    pub max_reported_misses: Option<u32>,
    /// Turn rate of the IMM's coordinated-turn models, degrees per second (0 = no turn models).
    pub imm_turn_rate_deg_s: Option<f64>,
    /// 1-σ white acceleration of the turn models, m/s².
    pub imm_turn_process_noise_accel_mps2: Option<f64>,
    /// Rate at which a target leaves its motion model, per second.
    pub imm_switch_per_s: Option<f64>,
    /// Joint probabilistic data association instead of nearest neighbour.
    pub jpda: Option<bool>,
    /// Probability that a sensor reports a target in its coverage (JPDA).
    pub detection_probability: Option<f64>,
    /// Expected false reports per km² per scan (JPDA).
    pub clutter_density_per_km2: Option<f64>,
    /// Fusion runs a step this often in data time, seconds.
    pub step_period_s: Option<f64>,
    /// `picket run`: live data is held this long for late arrivals before a step, seconds.
    pub reorder_window_s: Option<f64>,
}

/// `[assessment]`: each `Some` replaces the built-in value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssessmentOverrides {
    /// How far ahead closest approach is predicted, seconds.
    pub horizon_s: Option<f64>,
    /// Distance beyond a unit's radius that still counts as a close pass, metres.
    pub caution_margin_m: Option<f64>,
    /// Predicted entry into a unit's radius within this time → warning, seconds.
    pub warning_time_s: Option<f64>,
    /// Predicted entry within this time (or inside) → imminent, seconds.
    pub imminent_time_s: Option<f64>,
    /// Consecutive assessments at a level before an alert is raised.
    pub raise_after: Option<u32>,
    /// The threat must be gone this long before the alert clears, seconds.
    pub clear_after_s: Option<f64>,
    /// Most new alerts raised per unit per minute (storm guard).
    pub max_raises_per_unit_per_minute: Option<u32>,
}

/// One `[[sensor]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SensorConfig {
    /// Its id (unique within the site).
    pub id: SensorId,
    /// What it senses.
    pub kind: SensorKind,
    /// How its data is encoded.
    pub format: InputFormat,
    /// Where its data comes from.
    pub source: Source,
    /// Where it stands (required for radar and bearing sensors).
    pub position: Option<GeoPoint>,
    /// No data for this long → sensor-down event, seconds.
    pub silence_timeout_s: f64,
    /// Noise floors, bias and latency fusion applies to its reports (neutral when unset).
    pub model: picket_fusion::SensorModel,
    /// `tls://` sources: the CA, Picket's client certificate and key.
    pub tls: Option<TlsFiles>,
    /// TAK SA from a mesh: take officers' `ACK` chat lines as acknowledgements (unsafe).
    pub accept_acks_from_mesh: bool,
}

/// What a sensor senses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SensorKind {
    /// Range/azimuth/elevation radar.
    Radar,
    /// Remote ID receiver (drones broadcasting their identity and position).
    RemoteId,
    /// ADS-B receiver (manned aircraft).
    Adsb,
    /// Bearing-only sensor (RF direction finder, acoustic).
    Bearing,
    /// Friendly units' own position reports (blue force, TAK SA): `unit_position` lines.
    Friendly,
}

impl SensorKind {
    const ALL: [SensorKind; 5] = [
        SensorKind::Radar,
        SensorKind::RemoteId,
        SensorKind::Adsb,
        SensorKind::Bearing,
        SensorKind::Friendly,
    ];
    /// The word used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            SensorKind::Radar => "radar",
            SensorKind::RemoteId => "remote_id",
            SensorKind::Adsb => "adsb",
            SensorKind::Bearing => "bearing",
            SensorKind::Friendly => "friendly",
        }
    }
    /// Whether observations are measured relative to the sensor (so it needs a position).
    fn needs_position(self) -> bool {
        matches!(self, SensorKind::Radar | SensorKind::Bearing)
    }
}

/// How a sensor's data is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Picket's JSON-lines observation format (`docs/observations.md`).
    Jsonl,
    /// SAPIENT BSI Flex 335 v2.0: Picket is the fusion node sensors connect to.
    Sapient,
    /// ASTERIX CAT-048 target reports and CAT-034 service messages over UDP.
    Asterix,
    /// Mode S / ADS-B in the Beast binary format from a receiver (TCP port 30005) or a file.
    Beast,
    /// Mode S / ADS-B as AVR text (`*HEX;`, TCP port 30002) from a receiver or a file.
    Avr,
    /// ADS-B as SBS-1 / BaseStation CSV (TCP port 30003) from a receiver or a file.
    Sbs,
    /// Cursor-on-Target friendly SA (officers' TAK devices) from a TAK server or a mesh.
    Cot,
    /// Remote ID from field receivers (raw frames or decoded JSON records,
    /// `docs/remoteid-input.md`) over UDP or MQTT.
    RemoteId,
}

impl InputFormat {
    const ALL: [InputFormat; 8] = [
        InputFormat::Jsonl,
        InputFormat::Sapient,
        InputFormat::Asterix,
        InputFormat::Beast,
        InputFormat::Avr,
        InputFormat::Sbs,
        InputFormat::Cot,
        InputFormat::RemoteId,
    ];
    /// The word used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Jsonl => "jsonl",
            InputFormat::Sapient => "sapient",
            InputFormat::Asterix => "asterix",
            InputFormat::Beast => "beast",
            InputFormat::Avr => "avr",
            InputFormat::Sbs => "sbs",
            InputFormat::Cot => "cot",
            InputFormat::RemoteId => "remoteid",
        }
    }
}

/// Where a sensor's data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Listen for UDP datagrams on this address.
    Udp(SocketAddr),
    /// Connect as a TCP client to `host:port`.
    Tcp(String),
    /// Connect with mutual TLS to `host:port` (a TAK server's port 8089; `format = "cot"`).
    Tls(String),
    /// Read a file.
    File(PathBuf),
    /// Listen for TCP connections from sensors (SAPIENT fusion node).
    TcpListen(SocketAddr),
    /// Subscribe to a topic filter on an MQTT broker (`mqtt://HOST[:PORT]/TOPIC`).
    Mqtt(picket_inputs::MqttSubscription),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Udp(a) => write!(f, "udp://{a}"),
            Source::TcpListen(a) => write!(f, "tcp-listen://{a}"),
            Source::Tcp(a) => write!(f, "tcp://{a}"),
            Source::Tls(a) => write!(f, "tls://{a}"),
            Source::File(p) => write!(f, "file:{}", p.display()),
            Source::Mqtt(m) => write!(f, "{m}"),
        }
    }
}

/// One `[[output]]`.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputConfig {
    /// `kind = "jsonl"`: one JSON object per line, to a file.
    Jsonl {
        /// What is written.
        what: OutputWhat,
        /// Where (resolved against the config file's folder).
        path: PathBuf,
    },
    /// `kind = "cot"`: tracks and alerts as Cursor-on-Target to a TAK server or a mesh.
    Cot(CotOutputConfig),
    /// `kind = "webhook"`: alert lifecycle events POSTed, signed, to an HTTP endpoint.
    Webhook(WebhookSettings),
    /// `kind = "mqtt"`: alert lifecycle events published to an MQTT broker.
    Mqtt(MqttOutputConfig),
    /// `kind = "sapient"`: Picket as a child node of a parent SAPIENT node (`host:port`).
    Sapient {
        /// The parent node, `host:port`.
        addr: String,
    },
}

/// A `kind = "webhook"` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Where to POST (`http://` or `https://`).
    pub url: String,
    /// The environment variable holding the signing secret (never the secret itself).
    pub secret_env: String,
    /// Dead-letter file (resolved); default next to the store.
    pub dead_letter: Option<PathBuf>,
    /// Attempts per event (default 8).
    pub max_attempts: Option<u32>,
}

/// Default dead-letter file name, in the store's folder.
pub const DEFAULT_DEAD_LETTER_FILE: &str = "webhook-dead-letter.jsonl";

impl WebhookSettings {
    /// The dead-letter file: as configured, or `webhook-dead-letter.jsonl` next to the store.
    pub fn dead_letter_path(&self, store_path: &Path) -> PathBuf {
        self.dead_letter
            .clone()
            .unwrap_or_else(|| store_path.with_file_name(DEFAULT_DEAD_LETTER_FILE))
    }

    /// The adapter's settings; reads the secret from its environment variable now (a
    /// missing variable is an error naming it).
    pub fn webhook_output(
        &self,
        store_path: &Path,
    ) -> Result<WebhookOutputConfig, picket_outputs::WebhookConfigError> {
        let secret = WebhookSecret::from_env(&self.secret_env)?;
        let mut c =
            WebhookOutputConfig::new(self.url.clone(), secret, self.dead_letter_path(store_path));
        if let Some(n) = self.max_attempts {
            c.max_attempts = n;
        }
        Ok(c)
    }

    /// The URL without its query (which may hold a token), for summaries and logs.
    pub fn shown_url(&self) -> &str {
        self.url.split(['?', '#']).next().unwrap_or("")
    }
}

/// A `kind = "cot"` output.
#[derive(Clone, Debug, PartialEq)]
pub struct CotOutputConfig {
    /// Where to send.
    pub url: TakTarget,
    /// CA, client certificate and key (resolved), for `tls://`.
    pub tls: Option<TlsFiles>,
    /// Seconds between two positions of one track (default 1).
    pub update_period_s: Option<f64>,
    /// Picket's callsign on TAK (default `PICKET <site>`).
    pub callsign: Option<String>,
}

impl CotOutputConfig {
    /// The adapter's settings; units' `tak_uid`s let alerts carry a direct chat line.
    pub fn tak_output(&self, site: &SiteConfig) -> TakOutputConfig {
        let mut c = TakOutputConfig::new(self.url.clone());
        c.tls = self.tls.clone();
        if let Some(p) = self.update_period_s {
            c.update_period = Duration::from_secs_f64(p);
        }
        c.callsign = self.callsign.clone();
        c.device_uids = site.tak_uids.clone();
        c
    }
}

/// How an output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputKind {
    /// One JSON object per line, written to a file.
    Jsonl,
    /// Cursor-on-Target to a TAK server or mesh.
    Cot,
    /// Signed HTTP POSTs of alert events.
    Webhook,
    /// Alert events published to an MQTT broker.
    Mqtt,
    /// Tracks and alerts to a parent SAPIENT node, as its child.
    Sapient,
}

impl OutputKind {
    const ALL: [OutputKind; 5] = [
        OutputKind::Jsonl,
        OutputKind::Cot,
        OutputKind::Webhook,
        OutputKind::Mqtt,
        OutputKind::Sapient,
    ];
    /// The word used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Jsonl => "jsonl",
            OutputKind::Cot => "cot",
            OutputKind::Webhook => "webhook",
            OutputKind::Mqtt => "mqtt",
            OutputKind::Sapient => "sapient",
        }
    }
}

/// What an output carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutputWhat {
    /// Alert lifecycle events.
    Alerts,
    /// Track updates.
    Tracks,
}

impl OutputWhat {
    const ALL: [OutputWhat; 2] = [OutputWhat::Alerts, OutputWhat::Tracks];
    /// The word used in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputWhat::Alerts => "alerts",
            OutputWhat::Tracks => "tracks",
        }
    }
}

/// One `[[user]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserConfig {
    /// User name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// Sectors the user may see; `*` = all.
    pub sectors: Vec<String>,
}

impl SiteConfig {
    /// Which TAK device is which moving unit (by `tak_uid` and `callsign`), for a
    /// `format = "cot"` sensor.
    pub fn tak_unit_mappings(&self) -> Vec<picket_inputs::TakUnitMapping> {
        self.units
            .iter()
            .filter(|u| u.is_moving())
            .map(|u| picket_inputs::TakUnitMapping {
                unit_id: u.id.clone(),
                uid: self
                    .tak_uids
                    .iter()
                    .find(|(id, _)| id == &u.id)
                    .map(|(_, uid)| uid.clone()),
                callsign: u.callsign.clone(),
            })
            .filter(|m| m.uid.is_some() || m.callsign.is_some())
            .collect()
    }

    /// The site's local ENU frame.
    pub fn frame(&self) -> LocalFrame {
        LocalFrame::new(self.origin)
    }

    /// One line saying what the file configures, for `picket check-config` and the start log.
    pub fn summary(&self) -> String {
        let sensors: Vec<String> = self
            .sensors
            .iter()
            .map(|s| format!("{} {}", s.id, s.kind.as_str()))
            .collect();
        let units: Vec<String> = self
            .units
            .iter()
            .map(|u| {
                let kind = if u.is_moving() { "moving" } else { "fixed" };
                format!("{} {kind}", u.id)
            })
            .collect();
        let zones: Vec<String> = self
            .zones
            .iter()
            .map(|z| {
                let kind = match z.kind {
                    ZoneKind::Border => "border",
                    ZoneKind::Restricted => "restricted",
                };
                format!("{} {kind}", z.id)
            })
            .collect();
        let outputs: Vec<String> = self
            .outputs
            .iter()
            .map(|o| match o {
                OutputConfig::Jsonl { what, path } => {
                    format!("{} → {}", what.as_str(), path.display())
                }
                OutputConfig::Cot(c) => format!("cot → {}", c.url),
                OutputConfig::Webhook(w) => format!("webhook → {}", w.shown_url()),
                OutputConfig::Mqtt(m) => {
                    format!(
                        "mqtt → mqtt://{}:{} {}/alerts/…",
                        m.host, m.port, m.topic_prefix
                    )
                }
                OutputConfig::Sapient { addr } => format!("sapient parent → tcp://{addr}"),
            })
            .collect();
        let users: Vec<String> = self
            .users
            .iter()
            .map(|u| format!("{} {}", u.name, u.role.as_str()))
            .collect();
        let api = match &self.api {
            Some(a) => format!("api on {}", a.listen),
            None => "no api".to_owned(),
        };
        format!(
            "site `{}`: {}, {}, {}, {}, {}; store {}; {api}",
            self.name,
            counted(self.sensors.len(), "sensor", &sensors),
            counted(self.units.len(), "unit", &units),
            counted(self.zones.len(), "zone", &zones),
            counted(self.outputs.len(), "output", &outputs),
            counted(self.users.len(), "user", &users),
            self.store_path.display(),
        )
    }
}

/// "1 unit (a fixed)", "2 units (a fixed, b moving)", "0 zones".
fn counted(n: usize, noun: &str, items: &[String]) -> String {
    let plural = if n == 1 { "" } else { "s" };
    if items.is_empty() {
        format!("{n} {noun}{plural}")
    } else {
        format!("{n} {noun}{plural} ({})", items.join(", "))
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Everything wrong with a config file; `Display` prints one problem per line as
/// `FILE:LINE:COLUMN: what is wrong — what to do`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    file: PathBuf,
    problems: Vec<Problem>,
}

/// One problem in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line and column (in characters), when the problem has a place in the file.
    pub location: Option<(usize, usize)>,
    /// What is wrong and what to do.
    pub message: String,
}

impl ConfigError {
    /// The problems, in file order.
    // The binary prints the error whole; this is for callers that lay problems out themselves.
    #[allow(dead_code)]
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
    fn unreadable(file: &Path, err: &std::io::Error) -> Self {
        ConfigError {
            file: file.to_owned(),
            problems: vec![Problem {
                location: None,
                message: format!("cannot read the config file ({err}) — check the path"),
            }],
        }
    }
    fn from_toml(file: &Path, text: &str, err: &toml::de::Error) -> Self {
        let offset = err.span().map_or(0, |s| s.start);
        ConfigError {
            file: file.to_owned(),
            problems: vec![Problem {
                location: Some(line_col(text, offset)),
                message: explain_toml_message(err.message()),
            }],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match p.location {
                Some((line, col)) => {
                    write!(f, "{}:{line}:{col}: {}", self.file.display(), p.message)?
                }
                None => write!(f, "{}: {}", self.file.display(), p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The toml crate's messages speak serde ("field"); the file speaks TOML ("key"), and every
/// message should say what to do.
fn explain_toml_message(msg: &str) -> String {
    let msg = msg
        .trim()
        .replace('\n', "; ")
        .replace("expected f64", "expected a number")
        .replace("expected u32", "expected a whole number ≥ 0");
    if let Some(rest) = msg.strip_prefix("unknown field") {
        format!("unknown key{rest} — remove the key or correct its spelling (see docs/config.md)")
    } else if msg == "missing field `site`" {
        "the [site] table is missing — a config starts with [site] holding at least name and \
         origin (see docs/config.md)"
            .to_owned()
    } else if let Some(rest) = msg.strip_prefix("missing field") {
        format!("missing key{rest} — add it to this table (see docs/config.md)")
    } else if msg.starts_with("invalid type: map, expected a sequence") {
        format!(
            "{msg} — entries that can repeat are written with double brackets: \
             [[sensor]], [[unit]], [[zone]], [[output]], [[user]]"
        )
    } else if msg.contains("expected a sequence") {
        format!(
            "{msg} — write a list in square brackets, e.g. [\"naco\"] or \
             [ {{ lat_deg = …, lon_deg = … }}, … ]"
        )
    } else if msg.contains("expected a boolean") {
        format!("{msg} — write true or false, without quotes")
    } else if msg.starts_with("invalid type: string") && msg.contains("expected a ") {
        format!("{msg} — write numbers without quotes")
    } else if msg.contains("expected a string") {
        format!("{msg} — put text in double quotes, e.g. \"radar-1\"")
    } else if msg.starts_with("duplicate key") {
        format!(
            "{msg} — a key, or a table in single brackets, may appear only once; entries that \
             repeat are written [[sensor]], [[unit]], …"
        )
    } else {
        msg
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Read, parse and check a site config file.
pub fn load(path: &Path) -> Result<SiteConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::unreadable(path, &e))?;
    parse(&text, path)
}

/// Parse and check a site config from text; `file` names it in messages and is the base of
/// relative paths (its folder).
pub fn parse(text: &str, file: &Path) -> Result<SiteConfig, ConfigError> {
    // Editors on Windows may save a byte-order mark; it is not TOML.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(file, text, &e))?;
    let dir = file.parent().unwrap_or(Path::new("")).to_owned();
    let mut checker = Checker {
        text,
        dir,
        problems: Vec::new(),
        origin: None,
    };
    let config = checker.site(raw, file);
    if checker.problems.is_empty() {
        Ok(config)
    } else {
        let mut problems: Vec<Problem> = checker
            .problems
            .into_iter()
            .map(|(offset, message)| Problem {
                location: Some(line_col(text, offset)),
                message,
            })
            .collect();
        // Stable sort: problems at the same place keep the order they were found in.
        problems.sort_by_key(|p| p.location);
        Err(ConfigError {
            file: file.to_owned(),
            problems,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The file as written (serde), with spans
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a site config")]
struct RawConfig {
    site: Spanned<RawSite>,
    store: Option<RawStore>,
    api: Option<Spanned<RawApi>>,
    tracker: Option<RawTracker>,
    assessment: Option<RawAssessment>,
    aircraft: Option<RawAircraft>,
    #[serde(default)]
    sensor: Vec<Spanned<RawSensor>>,
    #[serde(default)]
    unit: Vec<Spanned<RawUnit>>,
    #[serde(default)]
    zone: Vec<Spanned<RawZone>>,
    #[serde(default)]
    output: Vec<Spanned<RawOutput>>,
    #[serde(default)]
    user: Vec<Spanned<RawUser>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [site] table")]
struct RawSite {
    name: Spanned<String>,
    origin: Spanned<RawGeo>,
    sector: Option<Spanned<String>>,
}

/// A point as written: only the table form. Serde's derive would also take a bare array
/// `[31.3, -109.9]` by position, which is too easy to write longitude-first (GeoJSON order).
struct RawGeo {
    lat_deg: f64,
    lon_deg: f64,
    alt_hae_m: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeoFields {
    lat_deg: f64,
    lon_deg: f64,
    #[serde(default)]
    alt_hae_m: f64,
}

impl<'de> Deserialize<'de> for RawGeo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TableOnly;
        impl<'de> serde::de::Visitor<'de> for TableOnly {
            type Value = RawGeo;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a point table { lat_deg = …, lon_deg = …, alt_hae_m = … }")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawGeo, A::Error> {
                let f =
                    RawGeoFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawGeo {
                    lat_deg: f.lat_deg,
                    lon_deg: f.lon_deg,
                    alt_hae_m: f.alt_hae_m,
                })
            }
        }
        d.deserialize_map(TableOnly)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [store] table")]
struct RawStore {
    path: Option<Spanned<String>>,
    track_snapshot_interval_s: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [api] table")]
struct RawApi {
    listen: Spanned<String>,
    web_root: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [tracker] table")]
struct RawTracker {
    process_noise_accel_mps2: Option<Spanned<f64>>,
    gate_chi2: Option<Spanned<f64>>,
    confirm_hits: Option<Spanned<u32>>,
    confirm_window: Option<Spanned<u32>>,
    max_coast_tentative_s: Option<Spanned<f64>>,
    max_coast_confirmed_s: Option<Spanned<f64>>,
    max_sigma_horizontal_m: Option<Spanned<f64>>,
    initial_speed_sigma_mps: Option<Spanned<f64>>,
    max_reported_misses: Option<Spanned<u32>>,
    imm_turn_rate_deg_s: Option<Spanned<f64>>,
    imm_turn_process_noise_accel_mps2: Option<Spanned<f64>>,
    imm_switch_per_s: Option<Spanned<f64>>,
    jpda: Option<Spanned<bool>>,
    detection_probability: Option<Spanned<f64>>,
    clutter_density_per_km2: Option<Spanned<f64>>,
    step_period_s: Option<Spanned<f64>>,
    reorder_window_s: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [assessment] table")]
struct RawAssessment {
    horizon_s: Option<Spanned<f64>>,
    caution_margin_m: Option<Spanned<f64>>,
    warning_time_s: Option<Spanned<f64>>,
    imminent_time_s: Option<Spanned<f64>>,
    raise_after: Option<Spanned<u32>>,
    clear_after_s: Option<Spanned<f64>>,
    max_raises_per_unit_per_minute: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "the [aircraft] table")]
struct RawAircraft {
    #[serde(default)]
    own_agency: Vec<Spanned<String>>,
    #[serde(default)]
    allowed: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[sensor]] table")]
struct RawSensor {
    id: Spanned<String>,
    kind: Spanned<String>,
    format: Spanned<String>,
    source: Spanned<String>,
    position: Option<Spanned<RawGeo>>,
    silence_timeout_s: Option<Spanned<f64>>,
    sigma_range_m: Option<Spanned<f64>>,
    sigma_azimuth_deg: Option<Spanned<f64>>,
    sigma_elevation_deg: Option<Spanned<f64>>,
    sigma_bearing_deg: Option<Spanned<f64>>,
    sigma_position_m: Option<Spanned<f64>>,
    sigma_altitude_m: Option<Spanned<f64>>,
    bias_range_m: Option<Spanned<f64>>,
    bias_azimuth_deg: Option<Spanned<f64>>,
    bias_elevation_deg: Option<Spanned<f64>>,
    latency_ms: Option<Spanned<f64>>,
    ca: Option<Spanned<String>>,
    cert: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    accept_acks_from_mesh: Option<Spanned<bool>>,
}

type RawPoints = Spanned<Vec<Spanned<RawGeo>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[unit]] table")]
struct RawUnit {
    id: Spanned<String>,
    name: Option<Spanned<String>>,
    sector: Option<Spanned<String>>,
    callsign: Option<Spanned<String>>,
    tak_uid: Option<Spanned<String>>,
    kind: Spanned<String>,
    center: Option<Spanned<RawGeo>>,
    radius_m: Option<Spanned<f64>>,
    polygon: Option<RawPoints>,
    stale_after_s: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[zone]] table")]
struct RawZone {
    id: Spanned<String>,
    name: Option<Spanned<String>>,
    kind: Spanned<String>,
    line: Option<RawPoints>,
    line_file: Option<Spanned<String>>,
    polygon: Option<RawPoints>,
    home_side: Option<Spanned<RawGeo>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[output]] table")]
struct RawOutput {
    kind: Spanned<String>,
    what: Option<Spanned<String>>,
    path: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    ca: Option<Spanned<String>>,
    cert: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    update_period_s: Option<Spanned<f64>>,
    callsign: Option<Spanned<String>>,
    secret_env: Option<Spanned<String>>,
    dead_letter: Option<Spanned<String>>,
    max_attempts: Option<Spanned<i64>>,
    topic_prefix: Option<Spanned<String>>,
    client_id: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[user]] table")]
struct RawUser {
    name: Spanned<String>,
    role: Spanned<String>,
    sectors: Option<Spanned<Vec<Spanned<String>>>>,
}

// ---------------------------------------------------------------------------------------------
// Checking and mapping
// ---------------------------------------------------------------------------------------------

/// Walks the raw file, maps it to the public types and collects problems as (byte offset,
/// message). Mapping continues after a problem, with a placeholder, so later problems are found
/// too; the placeholder never leaves [`parse`] because any problem makes it return `Err`.
struct Checker<'a> {
    text: &'a str,
    dir: PathBuf,
    problems: Vec<(usize, String)>,
    /// The site origin, once it is known to be valid.
    origin: Option<GeoPoint>,
}

/// Quote a list of accepted words: `"a", "b", "c"`.
fn one_of(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pick<T: Copy>(all: &[T], word: &str, name: fn(T) -> &'static str) -> Option<T> {
    all.iter().copied().find(|v| name(*v) == word)
}

fn words<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    one_of(&all.iter().map(|v| name(*v)).collect::<Vec<_>>())
}

/// Lexical normalisation (no file-system access), so `out/a.jsonl` and `./out/a.jsonl` compare
/// equal when looking for two outputs writing the same file.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Checker<'_> {
    fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push((span.start, message.into()));
    }

    fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.dir.join(p)
        }
    }

    /// A WGS-84 point, with its range checked.
    fn geo(&mut self, what: &str, g: &Spanned<RawGeo>) -> GeoPoint {
        let r = g.get_ref();
        let span = g.span();
        if !(r.lat_deg.is_finite() && (-90.0..=90.0).contains(&r.lat_deg)) {
            self.problem(
                span.clone(),
                format!(
                    "{what}: lat_deg = {} is outside -90 … 90 — latitude is degrees north \
                     (negative south); check that lat_deg and lon_deg are not swapped",
                    r.lat_deg
                ),
            );
        }
        if !(r.lon_deg.is_finite() && (-180.0..=180.0).contains(&r.lon_deg)) {
            self.problem(
                span.clone(),
                format!(
                    "{what}: lon_deg = {} is outside -180 … 180 — longitude is degrees east \
                     (negative west)",
                    r.lon_deg
                ),
            );
        }
        if !(r.alt_hae_m.is_finite() && (-1_000.0..=100_000.0).contains(&r.alt_hae_m)) {
            self.problem(
                span,
                format!(
                    "{what}: alt_hae_m = {} is outside -1000 … 100000 — it is the height above \
                     the WGS-84 ellipsoid in metres",
                    r.alt_hae_m
                ),
            );
        }
        GeoPoint::new(r.lat_deg, r.lon_deg, r.alt_hae_m)
    }

    /// A point that must lie at the site (a sensor, a post, a home-side point).
    fn site_geo(&mut self, what: &str, g: &Spanned<RawGeo>) -> GeoPoint {
        let before = self.problems.len();
        let p = self.geo(what, g);
        if let (Some(origin), true) = (self.origin, self.problems.len() == before) {
            let d_m = great_circle_m(&origin, &p);
            if d_m > MAX_DISTANCE_FROM_ORIGIN_M {
                self.problem(
                    g.span(),
                    format!(
                        "{what} is {:.0} km from [site].origin — everything at a site must be \
                         within {:.0} km of it; check the signs of lat_deg and lon_deg \
                         (west and south are negative)",
                        d_m / 1_000.0,
                        MAX_DISTANCE_FROM_ORIGIN_M / 1_000.0
                    ),
                );
            }
        }
        p
    }

    fn points(
        &mut self,
        what: &str,
        pts: &RawPoints,
        min: usize,
        site_bound: bool,
    ) -> Vec<GeoPoint> {
        let list = pts.get_ref();
        if list.len() < min {
            self.problem(
                pts.span(),
                format!(
                    "{what} has {} point{} — it needs at least {min}",
                    list.len(),
                    if list.len() == 1 { "" } else { "s" }
                ),
            );
        }
        list.iter()
            .enumerate()
            .map(|(i, g)| {
                let label = format!("{what} point {}", i + 1);
                if site_bound {
                    self.site_geo(&label, g)
                } else {
                    self.geo(&label, g)
                }
            })
            .collect()
    }

    /// A finite number > 0 (or ≥ 0 with `allow_zero`).
    fn positive(&mut self, what: &str, v: &Spanned<f64>, allow_zero: bool) -> f64 {
        let x = *v.get_ref();
        let ok = x.is_finite() && if allow_zero { x >= 0.0 } else { x > 0.0 };
        if !ok {
            let bound = if allow_zero { "≥ 0" } else { "> 0" };
            self.problem(
                v.span(),
                format!("{what} = {x} must be a finite number {bound} — correct the value"),
            );
        }
        x
    }

    fn opt_positive(
        &mut self,
        what: &str,
        v: &Option<Spanned<f64>>,
        allow_zero: bool,
    ) -> Option<f64> {
        v.as_ref().map(|v| self.positive(what, v, allow_zero))
    }

    fn opt_count(&mut self, what: &str, v: &Option<Spanned<u32>>) -> Option<u32> {
        let v = v.as_ref()?;
        if *v.get_ref() == 0 {
            self.problem(
                v.span(),
                format!("{what} = 0 must be at least 1 — correct the value"),
            );
        }
        Some(*v.get_ref())
    }

    /// Sensor, unit and zone ids: short, lower-case, safe in URLs, file names and logs.
    fn id(&mut self, table: &str, id: &Spanned<String>) {
        let s = id.get_ref();
        let ok = !s.is_empty()
            && s.chars().count() <= MAX_ID_CHARS
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if !ok {
            self.problem(
                id.span(),
                format!(
                    "{table} id \"{s}\" is not a valid id — use 1 to {MAX_ID_CHARS} characters \
                     from a-z, 0-9, '-', '_', '.' (e.g. \"radar-1\")"
                ),
            );
        }
    }

    /// Reports the second use of a name; `seen` maps names to the offset of their first use.
    fn unique(&mut self, what: &str, seen: &mut HashMap<String, usize>, v: &Spanned<String>) {
        let s = v.get_ref().clone();
        if let Some(first) = seen.get(&s).copied() {
            let (line, _) = line_col(self.text, first);
            self.problem(
                v.span(),
                format!(
                    "{what} \"{s}\" is already used on line {line} — {what}s must be unique; \
                     rename one"
                ),
            );
        } else {
            seen.insert(s, v.span().start);
        }
    }

    fn non_empty(&mut self, what: &str, v: &Spanned<String>) -> String {
        let s = v.get_ref().trim();
        if s.is_empty() {
            self.problem(
                v.span(),
                format!("{what} is empty — write a value between the quotes"),
            );
        }
        s.to_owned()
    }

    fn sector(&mut self, what: &str, v: &Spanned<String>) -> String {
        let s = v.get_ref().trim();
        if s.is_empty() || s == "*" {
            self.problem(
                v.span(),
                format!(
                    "{what} = \"{s}\" is not a sector name — use a word such as \"naco\" \
                     (\"*\" only means \"all sectors\" in a user's sectors)"
                ),
            );
        }
        s.to_owned()
    }

    fn site(&mut self, raw: RawConfig, file: &Path) -> SiteConfig {
        let site = raw.site.into_inner();
        let name = self.non_empty("[site] name", &site.name);
        let origin = self.geo("[site] origin", &site.origin);
        if origin.is_valid() {
            self.origin = Some(origin);
        }
        let default_sector = match &site.sector {
            Some(s) => self.sector("[site] sector", s),
            None => DEFAULT_SECTOR.to_owned(),
        };

        let track_snapshot_interval_s = raw.store.as_ref().and_then(|s| {
            self.opt_within(
                "[store] track_snapshot_interval_s",
                &s.track_snapshot_interval_s,
                0.0,
                3600.0,
            )
        });
        let store_path = match raw.store.and_then(|s| s.path) {
            Some(p) => {
                self.non_empty("[store] path", &p);
                self.resolve(p.get_ref().trim())
            }
            None => self.resolve(DEFAULT_STORE_FILE),
        };

        let api = raw.api.map(|a| self.api(a.into_inner()));
        let tracker = raw.tracker.map(|t| self.tracker(&t)).unwrap_or_default();
        let assessment = raw
            .assessment
            .map(|a| self.assessment(&a))
            .unwrap_or_default();
        let aircraft = raw.aircraft.map(|a| self.aircraft(&a)).unwrap_or_default();

        let mut seen = HashMap::new();
        let sensors = raw
            .sensor
            .iter()
            .map(|s| self.sensor(s, &mut seen))
            .collect();

        let mut seen = HashMap::new();
        let units: Vec<ProtectedUnit> = raw
            .unit
            .iter()
            .map(|u| self.unit(u, &default_sector, &mut seen))
            .collect();
        let mut seen = HashMap::new();
        let tak_uids = raw
            .unit
            .iter()
            .filter_map(|u| {
                let u = u.get_ref();
                let uid = u.tak_uid.as_ref()?;
                let label = format!("unit `{}`: tak_uid", u.id.get_ref());
                let v = self.non_empty(&label, uid);
                self.unique("tak_uid", &mut seen, uid);
                Some((UnitId(u.id.get_ref().clone()), v))
            })
            .collect();

        let mut seen = HashMap::new();
        let zones = raw.zone.iter().map(|z| self.zone(z, &mut seen)).collect();

        let mut written: HashMap<PathBuf, String> = HashMap::new();
        written.insert(normalise(&store_path), "the store database".to_owned());
        let outputs = raw
            .output
            .iter()
            .enumerate()
            .map(|(i, o)| self.output(i + 1, o, &mut written))
            .collect();

        let mut sectors: Vec<String> = vec![default_sector.clone()];
        for u in &units {
            if !sectors.contains(&u.sector) {
                sectors.push(u.sector.clone());
            }
        }
        let mut seen = HashMap::new();
        let users = raw
            .user
            .iter()
            .map(|u| self.user(u, &sectors, &mut seen))
            .collect();

        SiteConfig {
            file: file.to_owned(),
            name,
            origin,
            default_sector,
            store_path,
            track_snapshot_interval_s,
            api,
            tracker,
            assessment,
            aircraft,
            sensors,
            units,
            tak_uids,
            zones,
            outputs,
            users,
        }
    }

    fn api(&mut self, raw: RawApi) -> ApiConfig {
        let text = raw.listen.get_ref().trim();
        let listen = match text.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                self.problem(
                    raw.listen.span(),
                    format!(
                        "[api] listen = \"{text}\" is not an IP address and port — write e.g. \
                         listen = \"127.0.0.1:8080\" (this host only) or \"0.0.0.0:8080\" \
                         (every interface); host names are not accepted"
                    ),
                );
                SocketAddr::from(([127, 0, 0, 1], 0))
            }
        };
        let web_root = raw.web_root.map(|w| {
            let path = self.resolve(w.get_ref().trim());
            if !path.is_dir() {
                self.problem(
                    w.span(),
                    format!(
                        "[api] web_root \"{}\" ({}) is not a folder — point it at the console's \
                         folder (the one holding index.html), relative to the config file's \
                         folder, or remove the key to use the built-in search",
                        w.get_ref(),
                        path.display()
                    ),
                );
            }
            path
        });
        ApiConfig { listen, web_root }
    }

    fn tracker(&mut self, t: &RawTracker) -> TrackerOverrides {
        let o = TrackerOverrides {
            process_noise_accel_mps2: self.opt_positive(
                "[tracker] process_noise_accel_mps2",
                &t.process_noise_accel_mps2,
                false,
            ),
            gate_chi2: self.opt_positive("[tracker] gate_chi2", &t.gate_chi2, false),
            confirm_hits: self.opt_count("[tracker] confirm_hits", &t.confirm_hits),
            confirm_window: self.opt_count("[tracker] confirm_window", &t.confirm_window),
            max_coast_tentative_s: self.opt_positive(
                "[tracker] max_coast_tentative_s",
                &t.max_coast_tentative_s,
                false,
            ),
            max_coast_confirmed_s: self.opt_positive(
                "[tracker] max_coast_confirmed_s",
                &t.max_coast_confirmed_s,
                false,
            ),
            max_sigma_horizontal_m: self.opt_positive(
                "[tracker] max_sigma_horizontal_m",
                &t.max_sigma_horizontal_m,
                false,
            ),
            // The ranges are those picket-fusion's TrackerConfig::validate accepts.
            initial_speed_sigma_mps: self.opt_within(
                "[tracker] initial_speed_sigma_mps",
                &t.initial_speed_sigma_mps,
                0.01,
                10_000.0,
            ),
            max_reported_misses: t.max_reported_misses.as_ref().map(|v| {
                let n = *v.get_ref();
                if n > 64 {
                    self.problem(
                        v.span(),
                        format!(
                            "[tracker] max_reported_misses = {n} must be at most 64 (the \
                             tracker remembers 64 opportunities) — correct the value"
                        ),
                    );
                }
                n.min(64)
            }),
            imm_turn_rate_deg_s: self.opt_within(
                "[tracker] imm_turn_rate_deg_s",
                &t.imm_turn_rate_deg_s,
                0.0,
                180.0,
            ),
            imm_turn_process_noise_accel_mps2: self.opt_within(
                "[tracker] imm_turn_process_noise_accel_mps2",
                &t.imm_turn_process_noise_accel_mps2,
                0.0,
                1_000.0,
            ),
            imm_switch_per_s: self.opt_within(
                "[tracker] imm_switch_per_s",
                &t.imm_switch_per_s,
                1.0e-4,
                100.0,
            ),
            jpda: t.jpda.as_ref().map(|v| *v.get_ref()),
            detection_probability: self.opt_within(
                "[tracker] detection_probability",
                &t.detection_probability,
                0.01,
                0.999,
            ),
            clutter_density_per_km2: self.opt_within(
                "[tracker] clutter_density_per_km2",
                &t.clutter_density_per_km2,
                1.0e-6,
                1.0e6,
            ),
            // The ranges are those picket-pipeline accepts.
            step_period_s: self.opt_within(
                "[tracker] step_period_s",
                &t.step_period_s,
                0.001,
                10.0,
            ),
            reorder_window_s: self.opt_within(
                "[tracker] reorder_window_s",
                &t.reorder_window_s,
                0.0,
                10.0,
            ),
        };
        if let (Some(hits), Some(window)) = (&t.confirm_hits, &t.confirm_window) {
            if hits.get_ref() > window.get_ref() {
                self.problem(
                    window.span(),
                    format!(
                        "[tracker] confirm_window = {} is smaller than confirm_hits = {} — a \
                         track needs confirm_hits hits within the last confirm_window updates; \
                         make the window at least as large",
                        window.get_ref(),
                        hits.get_ref()
                    ),
                );
            }
        }
        o
    }

    fn aircraft(&mut self, a: &RawAircraft) -> picket_assess::AircraftLists {
        let mut seen: HashMap<u32, usize> = HashMap::new();
        let mut list = |c: &mut Self, key: &str, entries: &[Spanned<String>]| -> Vec<u32> {
            let mut out = Vec::new();
            for e in entries {
                let text = e.get_ref().trim();
                let hex = text.len() == 6 && text.bytes().all(|b| b.is_ascii_hexdigit());
                match u32::from_str_radix(text, 16) {
                    Ok(v) if hex => match seen.get(&v) {
                        Some(&first) => {
                            let (line, _) = line_col(c.text, first);
                            c.problem(
                                e.span(),
                                format!(
                                    "[aircraft] {key}: \"{text}\" is listed already on line \
                                     {line} — list each aircraft once"
                                ),
                            );
                        }
                        None => {
                            seen.insert(v, e.span().start);
                            out.push(v);
                        }
                    },
                    _ => c.problem(
                        e.span(),
                        format!(
                            "[aircraft] {key}: \"{text}\" is not an ICAO address — write six \
                             hex digits, e.g. \"A1B2C3\" (as `picket decode` prints `icao`)"
                        ),
                    ),
                }
            }
            out
        };
        picket_assess::AircraftLists {
            own_agency: list(self, "own_agency", &a.own_agency),
            allowed: list(self, "allowed", &a.allowed),
        }
    }

    fn assessment(&mut self, a: &RawAssessment) -> AssessmentOverrides {
        let o = AssessmentOverrides {
            horizon_s: self.opt_positive("[assessment] horizon_s", &a.horizon_s, false),
            caution_margin_m: self.opt_positive(
                "[assessment] caution_margin_m",
                &a.caution_margin_m,
                true,
            ),
            warning_time_s: self.opt_positive(
                "[assessment] warning_time_s",
                &a.warning_time_s,
                false,
            ),
            imminent_time_s: self.opt_positive(
                "[assessment] imminent_time_s",
                &a.imminent_time_s,
                false,
            ),
            raise_after: self.opt_count("[assessment] raise_after", &a.raise_after),
            clear_after_s: self.opt_positive("[assessment] clear_after_s", &a.clear_after_s, true),
            max_raises_per_unit_per_minute: self.opt_count(
                "[assessment] max_raises_per_unit_per_minute",
                &a.max_raises_per_unit_per_minute,
            ),
        };
        if let (Some(w), Some(i)) = (&a.warning_time_s, &a.imminent_time_s) {
            if i.get_ref() > w.get_ref() {
                self.problem(
                    i.span(),
                    format!(
                        "[assessment] imminent_time_s = {} is longer than warning_time_s = {} — \
                         imminent is the shorter, more urgent time; swap or correct them",
                        i.get_ref(),
                        w.get_ref()
                    ),
                );
            }
        }
        o
    }

    fn sensor(
        &mut self,
        s: &Spanned<RawSensor>,
        seen: &mut HashMap<String, usize>,
    ) -> SensorConfig {
        let r = s.get_ref();
        let id = r.id.get_ref().clone();
        self.id("sensor", &r.id);
        self.unique("sensor id", seen, &r.id);
        let label = format!("sensor `{id}`");

        let kind = pick(&SensorKind::ALL, r.kind.get_ref(), SensorKind::as_str);
        if kind.is_none() {
            self.problem(
                r.kind.span(),
                format!(
                    "{label}: kind = \"{}\" is not a sensor kind — use one of {}",
                    r.kind.get_ref(),
                    words(&SensorKind::ALL, SensorKind::as_str)
                ),
            );
        }
        let format = pick(&InputFormat::ALL, r.format.get_ref(), InputFormat::as_str);
        if format.is_none() {
            self.problem(
                r.format.span(),
                format!(
                    "{label}: format = \"{}\" is not an input format — use one of {} \
                     (Picket's JSON-lines observations, docs/observations.md)",
                    r.format.get_ref(),
                    words(&InputFormat::ALL, InputFormat::as_str)
                ),
            );
        }
        let source = self.source(&label, &r.source);
        let listens = matches!(source, Source::TcpListen(_));
        match format {
            Some(InputFormat::Sapient) if !listens => self.problem(
                r.source.span(),
                format!(
                    "{label}: a SAPIENT sensor connects to Picket (the fusion node) — \
                     use source = \"tcp-listen://IP:PORT\", e.g. \"tcp-listen://0.0.0.0:5020\""
                ),
            ),
            Some(InputFormat::Asterix) if !matches!(source, Source::Udp(_) | Source::File(_)) => {
                self.problem(
                    r.source.span(),
                    format!(
                        "{label}: ASTERIX comes as UDP datagrams — use source = \"udp://IP:PORT\", \
                         e.g. \"udp://0.0.0.0:8600\", or a capture of them, \"file:PATH.pcap\""
                    ),
                )
            }
            Some(f @ (InputFormat::Beast | InputFormat::Avr | InputFormat::Sbs))
                if !matches!(source, Source::Tcp(_) | Source::File(_)) =>
            {
                let (name, port) = match f {
                    InputFormat::Beast => ("Beast", 30005),
                    InputFormat::Avr => ("AVR", 30002),
                    _ => ("SBS", 30003),
                };
                self.problem(
                    r.source.span(),
                    format!(
                        "{label}: Picket connects to a receiver's {name} output — use source = \
                         \"tcp://HOST:PORT\", e.g. \"tcp://192.168.1.20:{port}\" (or \
                         \"file:PATH\" for a recording)"
                    ),
                )
            }
            Some(InputFormat::Cot)
                if !matches!(source, Source::Udp(_) | Source::Tcp(_) | Source::Tls(_)) =>
            {
                self.problem(
                    r.source.span(),
                    format!(
                        "{label}: TAK SA comes from a TAK server or a mesh — use source = \
                         \"tcp://HOST:PORT\" (the server's streaming port, e.g. \
                         \"tcp://takserver:8087\"), \"tls://HOST:PORT\" (its TLS port, with ca, \
                         cert and key, e.g. \"tls://takserver:8089\") or \"udp://IP:PORT\" (e.g. \
                         the ATAK mesh \"udp://239.2.3.1:6969\")"
                    ),
                )
            }
            Some(f) if f != InputFormat::Cot && matches!(source, Source::Tls(_)) => self.problem(
                r.source.span(),
                format!(
                    "{label}: tls:// sources are for TAK servers (format = \"cot\"); \
                     format = \"{}\" does not come over TLS",
                    f.as_str()
                ),
            ),
            Some(InputFormat::Jsonl) if listens => self.problem(
                r.source.span(),
                format!(
                    "{label}: tcp-listen:// is for SAPIENT sensors (format = \"sapient\"); \
                     JSON lines come over udp://, tcp:// or file:"
                ),
            ),
            Some(InputFormat::RemoteId) if !matches!(source, Source::Udp(_) | Source::Mqtt(_)) => {
                self.problem(
                    r.source.span(),
                    format!(
                        "{label}: Remote ID field receivers send UDP datagrams or publish to an \
                         MQTT broker — use source = \"udp://IP:PORT\" (e.g. \"udp://0.0.0.0:4002\") \
                         or \"mqtt://HOST[:PORT]/TOPIC\" (e.g. \"mqtt://127.0.0.1:1883/remoteid/rx-1\")"
                    ),
                )
            }
            Some(f) if f != InputFormat::RemoteId && matches!(source, Source::Mqtt(_)) => self
                .problem(
                    r.source.span(),
                    format!(
                        "{label}: mqtt:// sources are for Remote ID receivers (format = \"remoteid\"); \
                         format = \"{}\" comes over {}",
                        f.as_str(),
                        match f {
                            InputFormat::Sapient => "tcp-listen://",
                            InputFormat::Asterix => "udp:// or file:",
                            InputFormat::Cot => "tcp:// or udp://",
                            InputFormat::Jsonl => "udp://, tcp:// or file:",
                            _ => "tcp:// or file:",
                        }
                    ),
                ),
            _ => {}
        }
        if let (Some(InputFormat::RemoteId), Some(k)) = (format, kind) {
            if k != SensorKind::RemoteId {
                self.problem(
                    r.kind.span(),
                    format!(
                        "{label}: format = \"remoteid\" carries drones' Remote ID broadcasts — \
                         use kind = \"remote_id\""
                    ),
                );
            }
        }
        if let (Some(InputFormat::Cot), Some(k)) = (format, kind) {
            if k != SensorKind::Friendly {
                self.problem(
                    r.kind.span(),
                    format!(
                        "{label}: format = \"cot\" carries officers' own positions (TAK SA) — \
                         use kind = \"friendly\""
                    ),
                );
            }
        }
        let position = r
            .position
            .as_ref()
            .map(|p| self.site_geo(&format!("{label}: position"), p));
        // A SAPIENT node reports its own position (StatusReport), an ASTERIX radar in CAT-034;
        // JSON-lines sensors cannot.
        let reports_own_position =
            matches!(format, Some(InputFormat::Sapient | InputFormat::Asterix));
        if let (Some(k), None, false) = (kind, &position, reports_own_position) {
            if k.needs_position() {
                self.problem(
                    s.span(),
                    format!(
                        "{label}: a {} sensor needs position (where it stands: its \
                         measurements are relative to it) — add \
                         position = {{ lat_deg = …, lon_deg = …, alt_hae_m = … }}",
                        k.as_str()
                    ),
                );
            }
        }
        let silence_timeout_s = r
            .silence_timeout_s
            .as_ref()
            .map(|v| self.positive(&format!("{label}: silence_timeout_s"), v, false))
            .unwrap_or(DEFAULT_SILENCE_TIMEOUT_S);
        let model = self.sensor_model(&label, r);
        let is_tls = matches!(source, Source::Tls(_));
        let tls = self.tls_files(&label, "sensor", [&r.ca, &r.cert, &r.key], is_tls, s.span());
        let mesh_cot = format == Some(InputFormat::Cot) && matches!(source, Source::Udp(_));
        let accept_acks_from_mesh = match &r.accept_acks_from_mesh {
            Some(v) if !mesh_cot => {
                self.problem(
                    v.span(),
                    format!(
                        "{label}: accept_acks_from_mesh applies to TAK SA from a mesh only \
                         (format = \"cot\", source = \"udp://…\") — remove it"
                    ),
                );
                false
            }
            Some(v) => *v.get_ref(),
            None => false,
        };
        SensorConfig {
            tls,
            accept_acks_from_mesh,
            id: SensorId(id),
            kind: kind.unwrap_or(SensorKind::Radar),
            format: format.unwrap_or(InputFormat::Jsonl),
            source,
            position,
            silence_timeout_s,
            model,
        }
    }

    /// A finite number in `[min, max]`; a `min` above zero is shown as "> 0" (it only keeps
    /// out zero and values too small to mean anything). `None` when absent or refused.
    fn opt_within(
        &mut self,
        what: &str,
        v: &Option<Spanned<f64>>,
        min: f64,
        max: f64,
    ) -> Option<f64> {
        let v = v.as_ref()?;
        let x = *v.get_ref();
        if x.is_finite() && (min..=max).contains(&x) {
            return Some(x);
        }
        let bound = if min > 0.0 && min <= 1.0e-6 {
            format!("> 0 and ≤ {max}")
        } else {
            format!("in [{min}, {max}]")
        };
        self.problem(
            v.span(),
            format!("{what} = {x} must be a finite number {bound} — correct the value"),
        );
        None
    }

    /// A sensor's noise floors, biases and latency (`docs/config.md`, "Sensor errors").
    fn sensor_model(&mut self, label: &str, r: &RawSensor) -> picket_fusion::SensorModel {
        let mut within = |key: &str, v: &Option<Spanned<f64>>, min: f64, max: f64| {
            self.opt_within(&format!("{label}: {key}"), v, min, max)
        };
        // Smallest accepted σ: anything tighter is a typo, not a sensor.
        const MIN_SIGMA: f64 = 1.0e-6;
        let max_latency_ms = picket_fusion::MAX_SENSOR_LATENCY_S * 1e3;
        picket_fusion::SensorModel {
            sigma_range_m: within("sigma_range_m", &r.sigma_range_m, MIN_SIGMA, 1.0e6),
            sigma_azimuth_deg: within("sigma_azimuth_deg", &r.sigma_azimuth_deg, MIN_SIGMA, 45.0),
            sigma_elevation_deg: within(
                "sigma_elevation_deg",
                &r.sigma_elevation_deg,
                MIN_SIGMA,
                45.0,
            ),
            sigma_bearing_deg: within("sigma_bearing_deg", &r.sigma_bearing_deg, MIN_SIGMA, 45.0),
            sigma_position_m: within("sigma_position_m", &r.sigma_position_m, MIN_SIGMA, 1.0e6),
            sigma_altitude_m: within("sigma_altitude_m", &r.sigma_altitude_m, MIN_SIGMA, 1.0e6),
            bias_range_m: within("bias_range_m", &r.bias_range_m, -1.0e4, 1.0e4).unwrap_or(0.0),
            bias_azimuth_deg: within("bias_azimuth_deg", &r.bias_azimuth_deg, -180.0, 180.0)
                .unwrap_or(0.0),
            bias_elevation_deg: within("bias_elevation_deg", &r.bias_elevation_deg, -90.0, 90.0)
                .unwrap_or(0.0),
            latency_s: within("latency_ms", &r.latency_ms, 0.0, max_latency_ms).unwrap_or(0.0)
                * 1e-3,
        }
    }

    fn source(&mut self, label: &str, v: &Spanned<String>) -> Source {
        const FORMS: &str = "use udp://IP:PORT (listen, e.g. \"udp://0.0.0.0:4001\"), \
                             tcp://HOST:PORT (connect, e.g. \"tcp://192.168.1.20:30005\"), \
                             tcp-listen://IP:PORT (sensors connect to Picket, e.g. \
                             \"tcp-listen://0.0.0.0:5020\" for SAPIENT), \
                             mqtt://HOST[:PORT]/TOPIC (subscribe, e.g. \
                             \"mqtt://127.0.0.1:1883/remoteid/#\" for Remote ID) or \
                             file:PATH (read a file, e.g. \"file:feeds/radar-1.jsonl\")";
        let text = v.get_ref().trim();
        let bad = |why: &str| format!("{label}: source = \"{text}\" {why} — {FORMS}");
        if let Some(addr) = text.strip_prefix("tcp-listen://") {
            match addr.parse::<SocketAddr>() {
                Ok(a) => return Source::TcpListen(a),
                Err(_) => self.problem(
                    v.span(),
                    bad("does not hold an IP address and port to listen on"),
                ),
            }
        } else if let Some(addr) = text.strip_prefix("udp://") {
            match addr.parse::<SocketAddr>() {
                Ok(a) => return Source::Udp(a),
                Err(_) => self.problem(
                    v.span(),
                    bad("does not hold an IP address and port to listen on"),
                ),
            }
        } else if let Some(addr) = text
            .strip_prefix("tcp://")
            .or_else(|| text.strip_prefix("tls://"))
        {
            let port_ok = addr
                .rsplit_once(':')
                .map(|(host, port)| {
                    !host.is_empty()
                        && !host.contains('/')
                        && port.parse::<u16>().map(|p| p > 0).unwrap_or(false)
                })
                .unwrap_or(false);
            if port_ok && text.starts_with("tls://") {
                return Source::Tls(addr.to_owned());
            }
            if port_ok {
                return Source::Tcp(addr.to_owned());
            }
            self.problem(v.span(), bad("does not hold a host and port (1-65535)"));
        } else if text.starts_with("mqtt://") {
            match picket_inputs::MqttSubscription::parse_url(text) {
                Ok(m) => return Source::Mqtt(m),
                Err(why) => self.problem(v.span(), bad(&why)),
            }
        } else if let Some(path) = text
            .strip_prefix("file://")
            .or_else(|| text.strip_prefix("file:"))
        {
            if !path.is_empty() {
                return Source::File(self.resolve(path));
            }
            self.problem(v.span(), bad("names no file"));
        } else {
            self.problem(v.span(), bad("is not a source"));
        }
        Source::File(PathBuf::new())
    }

    fn unit(
        &mut self,
        u: &Spanned<RawUnit>,
        default_sector: &str,
        seen: &mut HashMap<String, usize>,
    ) -> ProtectedUnit {
        let r = u.get_ref();
        let id = r.id.get_ref().clone();
        self.id("unit", &r.id);
        self.unique("unit id", seen, &r.id);
        let label = format!("unit `{id}`");
        let name = match &r.name {
            Some(n) => self.non_empty(&format!("{label}: name"), n),
            None => id.clone(),
        };
        let sector = match &r.sector {
            Some(s) => self.sector(&format!("{label}: sector"), s),
            None => default_sector.to_owned(),
        };
        let callsign = r
            .callsign
            .as_ref()
            .map(|c| self.non_empty(&format!("{label}: callsign"), c));
        let radius_m = r
            .radius_m
            .as_ref()
            .map(|v| self.positive(&format!("{label}: radius_m"), v, false));

        let kind = match r.kind.get_ref().as_str() {
            "fixed" => {
                if let Some(v) = &r.stale_after_s {
                    self.problem(
                        v.span(),
                        format!(
                            "{label}: stale_after_s applies only to moving units — remove it, \
                             or set kind = \"moving\""
                        ),
                    );
                }
                let geometry = match (&r.center, &r.polygon) {
                    (Some(_), Some(p)) => {
                        self.problem(
                            p.span(),
                            format!(
                                "{label}: has both center and polygon — a fixed unit is either a \
                                 circle (center + radius_m) or a polygon; remove one"
                            ),
                        );
                        None
                    }
                    (Some(c), None) => {
                        let center = self.site_geo(&format!("{label}: center"), c);
                        match radius_m {
                            Some(radius_m) => Some(UnitGeometry::Circle { center, radius_m }),
                            None => {
                                self.problem(
                                    u.span(),
                                    format!(
                                        "{label}: a circle needs radius_m with its center — \
                                         add radius_m = … (metres)"
                                    ),
                                );
                                None
                            }
                        }
                    }
                    (None, Some(p)) => {
                        if let Some(v) = &r.radius_m {
                            self.problem(
                                v.span(),
                                format!(
                                    "{label}: radius_m does not apply to a polygon — remove it, \
                                     or use center + radius_m instead of polygon"
                                ),
                            );
                        }
                        let vertices = self.points(&format!("{label}: polygon"), p, 3, true);
                        Some(UnitGeometry::Polygon { vertices })
                    }
                    (None, None) => {
                        self.problem(
                            u.span(),
                            format!(
                                "{label}: a fixed unit needs a shape — add center = {{ lat_deg = …, \
                                 lon_deg = … }} with radius_m = … (a circle), or polygon = [ … ] \
                                 (at least 3 points)"
                            ),
                        );
                        None
                    }
                };
                UnitKind::Fixed {
                    geometry: geometry.unwrap_or(UnitGeometry::Polygon {
                        vertices: Vec::new(),
                    }),
                }
            }
            "moving" => {
                for (key, present) in [
                    ("center", r.center.is_some()),
                    ("polygon", r.polygon.is_some()),
                ] {
                    if present {
                        let span = if key == "center" {
                            r.center.as_ref().map(|c| c.span())
                        } else {
                            r.polygon.as_ref().map(|p| p.span())
                        };
                        self.problem(
                            span.unwrap_or(u.span()),
                            format!(
                                "{label}: a moving unit has no fixed {key} (its position arrives \
                                 as unit_position reports) — remove {key}, or set kind = \"fixed\""
                            ),
                        );
                    }
                }
                if radius_m.is_none() {
                    self.problem(
                        u.span(),
                        format!(
                            "{label}: a moving unit needs radius_m (metres of protection around \
                             it) — add radius_m = …"
                        ),
                    );
                }
                let stale_after = match &r.stale_after_s {
                    Some(v) => {
                        let s = self.positive(&format!("{label}: stale_after_s"), v, false);
                        match Duration::try_from_secs_f64(s) {
                            Ok(d) => d,
                            Err(_) => {
                                if s.is_finite() && s > 0.0 {
                                    self.problem(
                                        v.span(),
                                        format!("{label}: stale_after_s = {s} is too large — use seconds, e.g. 30"),
                                    );
                                }
                                Duration::ZERO
                            }
                        }
                    }
                    None => {
                        self.problem(
                            u.span(),
                            format!(
                                "{label}: a moving unit needs stale_after_s (after this many \
                                 seconds without a position report its position is flagged \
                                 stale) — add e.g. stale_after_s = 30.0"
                            ),
                        );
                        Duration::ZERO
                    }
                };
                UnitKind::Moving {
                    radius_m: radius_m.unwrap_or(0.0),
                    stale_after,
                }
            }
            other => {
                self.problem(
                    r.kind.span(),
                    format!(
                        "{label}: kind = \"{other}\" is not a unit kind — use one of {}",
                        one_of(&["fixed", "moving"])
                    ),
                );
                UnitKind::Moving {
                    radius_m: 0.0,
                    stale_after: Duration::ZERO,
                }
            }
        };
        ProtectedUnit {
            id: UnitId(id),
            name,
            sector,
            callsign,
            kind,
        }
    }

    fn zone(&mut self, z: &Spanned<RawZone>, seen: &mut HashMap<String, usize>) -> Zone {
        let r = z.get_ref();
        let id = r.id.get_ref().clone();
        self.id("zone", &r.id);
        self.unique("zone id", seen, &r.id);
        let label = format!("zone `{id}`");
        let name = match &r.name {
            Some(n) => self.non_empty(&format!("{label}: name"), n),
            None => id.clone(),
        };
        let not_here = |key: &str, kind: &str, other: &str| {
            format!(
                "{label}: {key} does not apply to a {kind} zone — remove it, or set \
                 kind = \"{other}\""
            )
        };
        let (kind, geometry, home_side) = match r.kind.get_ref().as_str() {
            "border" => {
                if let Some(p) = &r.polygon {
                    self.problem(p.span(), not_here("polygon", "border", "restricted"));
                }
                let points = match (&r.line, &r.line_file) {
                    (Some(_), Some(f)) => {
                        self.problem(
                            f.span(),
                            format!(
                                "{label}: has both line and line_file — give the border's \
                                 points one way only; remove one"
                            ),
                        );
                        Vec::new()
                    }
                    (Some(l), None) => self.points(&format!("{label}: line"), l, 2, false),
                    (None, Some(f)) => self.line_file(&label, f),
                    (None, None) => {
                        self.problem(
                            z.span(),
                            format!(
                                "{label}: a border needs its line — add line = [ {{ lat_deg = …, \
                                 lon_deg = … }}, … ] (at least 2 points) or line_file = \
                                 \"FILE.geojson\" (one GeoJSON LineString)"
                            ),
                        );
                        Vec::new()
                    }
                };
                let home = match &r.home_side {
                    Some(h) => Some(self.site_geo(&format!("{label}: home_side"), h)),
                    None => {
                        self.problem(
                            z.span(),
                            format!(
                                "{label}: a border needs home_side (any point on the protected \
                                 side, so crossings get a direction) — add home_side = \
                                 {{ lat_deg = …, lon_deg = … }}"
                            ),
                        );
                        None
                    }
                };
                (ZoneKind::Border, ZoneGeometry::Line { points }, home)
            }
            "restricted" => {
                if let Some(l) = &r.line {
                    self.problem(l.span(), not_here("line", "restricted", "border"));
                }
                if let Some(f) = &r.line_file {
                    self.problem(f.span(), not_here("line_file", "restricted", "border"));
                }
                if let Some(h) = &r.home_side {
                    self.problem(h.span(), not_here("home_side", "restricted", "border"));
                }
                let vertices = match &r.polygon {
                    Some(p) => self.points(&format!("{label}: polygon"), p, 3, true),
                    None => {
                        self.problem(
                            z.span(),
                            format!(
                                "{label}: a restricted zone needs polygon = [ {{ lat_deg = …, \
                                 lon_deg = … }}, … ] (at least 3 points) — add it"
                            ),
                        );
                        Vec::new()
                    }
                };
                (
                    ZoneKind::Restricted,
                    ZoneGeometry::Polygon { vertices },
                    None,
                )
            }
            other => {
                self.problem(
                    r.kind.span(),
                    format!(
                        "{label}: kind = \"{other}\" is not a zone kind — use one of {}",
                        one_of(&["border", "restricted"])
                    ),
                );
                (
                    ZoneKind::Restricted,
                    ZoneGeometry::Polygon {
                        vertices: Vec::new(),
                    },
                    None,
                )
            }
        };
        Zone {
            id,
            name,
            kind,
            geometry,
            home_side,
        }
    }

    fn line_file(&mut self, label: &str, f: &Spanned<String>) -> Vec<GeoPoint> {
        let path = self.resolve(f.get_ref().trim());
        match read_geojson_line(&path) {
            Ok(points) => points,
            Err(why) => {
                self.problem(
                    f.span(),
                    format!(
                        "{label}: line_file \"{}\" ({}): {why}",
                        f.get_ref(),
                        path.display()
                    ),
                );
                Vec::new()
            }
        }
    }

    fn output(
        &mut self,
        n: usize,
        o: &Spanned<RawOutput>,
        written: &mut HashMap<PathBuf, String>,
    ) -> OutputConfig {
        let r = o.get_ref();
        let label = format!("output {n}");
        let kind = pick(&OutputKind::ALL, r.kind.get_ref(), OutputKind::as_str);
        if kind.is_none() {
            self.problem(
                r.kind.span(),
                format!(
                    "{label}: kind = \"{}\" is not an output kind — use one of {}",
                    r.kind.get_ref(),
                    words(&OutputKind::ALL, OutputKind::as_str)
                ),
            );
        }
        match kind {
            Some(OutputKind::Cot) => {
                self.keys_of_other_kinds(&label, OutputKind::Cot, r, true);
                return OutputConfig::Cot(self.cot_output(&label, o));
            }
            Some(OutputKind::Webhook) => {
                self.keys_of_other_kinds(&label, OutputKind::Webhook, r, false);
                return OutputConfig::Webhook(self.webhook_output(&label, o, written));
            }
            Some(OutputKind::Mqtt) => {
                self.keys_of_other_kinds(&label, OutputKind::Mqtt, r, false);
                return OutputConfig::Mqtt(self.mqtt_output(&label, o));
            }
            Some(OutputKind::Sapient) => {
                self.keys_of_other_kinds(&label, OutputKind::Sapient, r, false);
                return self.sapient_output(&label, o);
            }
            Some(OutputKind::Jsonl) => self.keys_of_other_kinds(&label, OutputKind::Jsonl, r, true),
            None => {}
        }
        // Keys of a cot output have no meaning for a file.
        for (key, span) in [
            ("ca", r.ca.as_ref().map(|v| v.span())),
            ("cert", r.cert.as_ref().map(|v| v.span())),
            ("key", r.key.as_ref().map(|v| v.span())),
            (
                "update_period_s",
                r.update_period_s.as_ref().map(|v| v.span()),
            ),
            ("callsign", r.callsign.as_ref().map(|v| v.span())),
        ] {
            if let (Some(span), Some(OutputKind::Jsonl)) = (span, kind) {
                self.problem(
                    span,
                    format!(
                        "{label}: {key} applies to kind = \"cot\" outputs only — remove it, or \
                         set kind = \"cot\""
                    ),
                );
            }
        }
        let what = match &r.what {
            Some(w) => {
                let what = pick(&OutputWhat::ALL, w.get_ref(), OutputWhat::as_str);
                if what.is_none() {
                    self.problem(
                        w.span(),
                        format!(
                            "{label}: what = \"{}\" is not something Picket writes — use one of {}",
                            w.get_ref(),
                            words(&OutputWhat::ALL, OutputWhat::as_str)
                        ),
                    );
                }
                what
            }
            None => {
                self.problem(
                    o.span(),
                    format!(
                        "{label}: a jsonl output needs what = {} (what it writes)",
                        words(&OutputWhat::ALL, OutputWhat::as_str)
                    ),
                );
                None
            }
        };
        let path = match &r.path {
            Some(p) => {
                let text = self.non_empty(&format!("{label}: path"), p);
                let path = self.resolve(&text);
                if !text.is_empty() {
                    let key = normalise(&path);
                    if let Some(other) = written.get(&key) {
                        self.problem(
                            p.span(),
                            format!(
                                "{label}: path \"{text}\" ({}) is already written by {other} — give \
                                 each output its own file",
                                path.display()
                            ),
                        );
                    } else {
                        written.insert(key, label.clone());
                    }
                }
                path
            }
            None => {
                self.problem(
                    o.span(),
                    format!("{label}: a jsonl output needs path = \"FILE\" (where it writes)"),
                );
                PathBuf::new()
            }
        };
        OutputConfig::Jsonl {
            what: what.unwrap_or(OutputWhat::Alerts),
            path,
        }
    }

    /// Flags keys that belong to other output kinds. `new_only`: only the webhook and MQTT
    /// keys (jsonl and cot outputs check the others themselves, with their own wording).
    fn keys_of_other_kinds(
        &mut self,
        label: &str,
        kind: OutputKind,
        r: &RawOutput,
        new_only: bool,
    ) {
        use OutputKind::{Cot, Jsonl, Mqtt, Sapient, Webhook};
        /// A key, where it is, the kinds it belongs to, and whether it is a webhook/MQTT key.
        type KeyUse = (
            &'static str,
            Option<Range<usize>>,
            &'static [OutputKind],
            bool,
        );
        let keys: [KeyUse; 13] = [
            ("what", r.what.as_ref().map(|v| v.span()), &[Jsonl], false),
            ("path", r.path.as_ref().map(|v| v.span()), &[Jsonl], false),
            (
                "url",
                r.url.as_ref().map(|v| v.span()),
                &[Cot, Webhook, Mqtt, Sapient],
                true,
            ),
            ("ca", r.ca.as_ref().map(|v| v.span()), &[Cot], false),
            ("cert", r.cert.as_ref().map(|v| v.span()), &[Cot], false),
            ("key", r.key.as_ref().map(|v| v.span()), &[Cot], false),
            (
                "update_period_s",
                r.update_period_s.as_ref().map(|v| v.span()),
                &[Cot],
                false,
            ),
            (
                "callsign",
                r.callsign.as_ref().map(|v| v.span()),
                &[Cot],
                false,
            ),
            (
                "secret_env",
                r.secret_env.as_ref().map(|v| v.span()),
                &[Webhook],
                true,
            ),
            (
                "dead_letter",
                r.dead_letter.as_ref().map(|v| v.span()),
                &[Webhook],
                true,
            ),
            (
                "max_attempts",
                r.max_attempts.as_ref().map(|v| v.span()),
                &[Webhook],
                true,
            ),
            (
                "topic_prefix",
                r.topic_prefix.as_ref().map(|v| v.span()),
                &[Mqtt],
                true,
            ),
            (
                "client_id",
                r.client_id.as_ref().map(|v| v.span()),
                &[Mqtt],
                true,
            ),
        ];
        for (key, span, kinds, is_new) in keys {
            let Some(span) = span else { continue };
            if kinds.contains(&kind) || (new_only && !is_new) {
                continue;
            }
            let names: Vec<String> = kinds
                .iter()
                .map(|k| format!("\"{}\"", k.as_str()))
                .collect();
            let kinds = match names.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
                _ => names.concat(),
            };
            self.problem(
                span,
                format!("{label}: {key} applies to kind = {kinds} outputs only — remove it"),
            );
        }
    }

    fn webhook_output(
        &mut self,
        label: &str,
        o: &Spanned<RawOutput>,
        written: &mut HashMap<PathBuf, String>,
    ) -> WebhookSettings {
        let r = o.get_ref();
        let url = match &r.url {
            Some(u) => {
                let text = self.non_empty(&format!("{label}: url"), u);
                let scheme_ok = text.starts_with("http://") || text.starts_with("https://");
                if !text.is_empty() && (!scheme_ok || text.contains(char::is_whitespace)) {
                    self.problem(
                        u.span(),
                        format!(
                            "{label}: url = \"{text}\" is not an http:// or https:// URL — e.g. \
                             \"https://ops.example.org/picket/alerts\""
                        ),
                    );
                }
                text
            }
            None => {
                self.problem(
                    o.span(),
                    format!(
                        "{label}: a webhook output needs url = \"https://HOST/PATH\" (where alert \
                         events are POSTed)"
                    ),
                );
                String::new()
            }
        };
        let secret_env = match &r.secret_env {
            Some(v) => {
                let text = self.non_empty(&format!("{label}: secret_env"), v);
                if !text.is_empty() && !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.problem(
                        v.span(),
                        format!(
                            "{label}: secret_env = \"{text}\" is not an environment variable name \
                             — use letters, digits and _, e.g. \"PICKET_WEBHOOK_SECRET\""
                        ),
                    );
                }
                text
            }
            None => {
                self.problem(
                    o.span(),
                    format!(
                        "{label}: a webhook output needs secret_env = \"NAME\": the environment \
                         variable holding the signing secret (never the secret itself)"
                    ),
                );
                String::new()
            }
        };
        let dead_letter = r.dead_letter.as_ref().map(|p| {
            let text = self.non_empty(&format!("{label}: dead_letter"), p);
            let path = self.resolve(&text);
            if !text.is_empty() {
                let key = normalise(&path);
                if let Some(other) = written.get(&key) {
                    self.problem(
                        p.span(),
                        format!(
                            "{label}: dead_letter \"{text}\" ({}) is already written by {other} — \
                             give each output its own file",
                            path.display()
                        ),
                    );
                } else {
                    written.insert(key, label.to_owned());
                }
            }
            path
        });
        let max_attempts = r.max_attempts.as_ref().map(|v| {
            let n = *v.get_ref();
            if !(1..=100).contains(&n) {
                self.problem(
                    v.span(),
                    format!("{label}: max_attempts = {n} must be between 1 and 100 (default 8)"),
                );
            }
            n.clamp(1, 100) as u32
        });
        WebhookSettings {
            url,
            secret_env,
            dead_letter,
            max_attempts,
        }
    }

    fn sapient_output(&mut self, label: &str, o: &Spanned<RawOutput>) -> OutputConfig {
        let addr = match &o.get_ref().url {
            Some(u) => match picket_outputs::SapientParentConfig::parse_url(u.get_ref()) {
                Ok(a) => a,
                Err(e) => {
                    self.problem(u.span(), format!("{label}: {e}"));
                    String::new()
                }
            },
            None => {
                self.problem(
                    o.span(),
                    format!(
                        "{label}: a sapient output needs url = \"tcp://HOST:PORT\" (the parent \
                         node, e.g. \"tcp://192.168.1.10:5020\")"
                    ),
                );
                String::new()
            }
        };
        OutputConfig::Sapient { addr }
    }

    fn mqtt_output(&mut self, label: &str, o: &Spanned<RawOutput>) -> MqttOutputConfig {
        let r = o.get_ref();
        let mut c = match &r.url {
            Some(u) => match MqttOutputConfig::parse_url(u.get_ref()) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.problem(u.span(), format!("{label}: {e}"));
                    None
                }
            },
            None => {
                self.problem(
                    o.span(),
                    format!(
                        "{label}: an mqtt output needs url = \"mqtt://HOST:PORT\" (the broker, \
                         e.g. \"mqtt://127.0.0.1:1883\")"
                    ),
                );
                None
            }
        }
        .unwrap_or_else(|| MqttOutputConfig {
            host: "127.0.0.1".to_owned(),
            port: 1883,
            topic_prefix: "picket".to_owned(),
            client_id: None,
            queue_capacity: 1024,
        });
        if let Some(p) = &r.topic_prefix {
            let text = self.non_empty(&format!("{label}: topic_prefix"), p);
            if !text.is_empty()
                && (text.contains(['+', '#', '\0']) || text.starts_with('/') || text.ends_with('/'))
            {
                self.problem(
                    p.span(),
                    format!(
                        "{label}: topic_prefix = \"{text}\" must not hold + or # nor start or end \
                         with / — e.g. \"picket\" or \"border/naco\""
                    ),
                );
            }
            c.topic_prefix = text;
        }
        if let Some(id) = &r.client_id {
            let text = self.non_empty(&format!("{label}: client_id"), id);
            if text.len() > 256 {
                self.problem(
                    id.span(),
                    format!("{label}: client_id is longer than 256 bytes"),
                );
            }
            c.client_id = Some(text);
        }
        c
    }

    /// The `ca`, `cert` and `key` of a `tls://` TAK connection (a cot output or a cot
    /// sensor): required there, refused elsewhere, each a readable file.
    fn tls_files(
        &mut self,
        label: &str,
        what: &str,
        [ca, cert, key]: [&Option<Spanned<String>>; 3],
        is_tls: bool,
        span: std::ops::Range<usize>,
    ) -> Option<TlsFiles> {
        let mut files = Vec::new();
        for (name, v) in [("ca", ca), ("cert", cert), ("key", key)] {
            match v {
                Some(v) if is_tls => {
                    let text = self.non_empty(&format!("{label}: {name}"), v);
                    let path = self.resolve(&text);
                    if !text.is_empty() && !path.is_file() {
                        self.problem(
                            v.span(),
                            format!(
                                "{label}: {name} = \"{text}\" ({}) is not a readable file — give the \
                                 PEM file's path (relative to the config file's folder)",
                                path.display()
                            ),
                        );
                    }
                    files.push(path);
                }
                Some(v) => self.problem(
                    v.span(),
                    format!(
                        "{label}: {name} applies to tls:// {} only — remove it, or use \
                         {} = \"tls://HOST:PORT\"",
                        if what == "output" { "urls" } else { "sources" },
                        if what == "output" { "url" } else { "source" },
                    ),
                ),
                None if is_tls => self.problem(
                    span.clone(),
                    format!(
                        "{label}: a tls:// {what} needs {name} = \"FILE\" — ca (the TAK server's \
                         certificate authority), cert and key (Picket's client certificate and \
                         private key), PEM files"
                    ),
                ),
                None => {}
            }
        }
        match files.as_slice() {
            [ca, cert, key] => Some(TlsFiles {
                ca: ca.clone(),
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }

    fn cot_output(&mut self, label: &str, o: &Spanned<RawOutput>) -> CotOutputConfig {
        let r = o.get_ref();
        for (key, span) in [
            ("what", r.what.as_ref().map(|v| v.span())),
            ("path", r.path.as_ref().map(|v| v.span())),
        ] {
            if let Some(span) = span {
                self.problem(
                    span,
                    format!(
                        "{label}: {key} applies to jsonl outputs — a cot output sends tracks and \
                         alerts to its url; remove {key}"
                    ),
                );
            }
        }
        let url = match &r.url {
            Some(u) => match TakTarget::parse(u.get_ref()) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.problem(u.span(), format!("{label}: {e}"));
                    None
                }
            },
            None => {
                self.problem(
                    o.span(),
                    format!(
                        "{label}: a cot output needs url = \"tcp://HOST:PORT\" (a TAK server, \
                         e.g. \"tcp://takserver:8087\"), \"tls://HOST:PORT\" (with ca, cert and \
                         key) or \"udp://IP:PORT\" (a mesh, e.g. \"udp://239.2.3.1:6969\")"
                    ),
                );
                None
            }
        };
        let is_tls = matches!(url, Some(TakTarget::Tls { .. }));
        let tls = self.tls_files(
            label,
            "output",
            [&r.ca, &r.cert, &r.key],
            is_tls || url.is_none(),
            o.span(),
        );
        let tls = tls.filter(|_| is_tls);
        let update_period_s = r.update_period_s.as_ref().map(|v| {
            let x = *v.get_ref();
            if !(x.is_finite() && (0.1..=3600.0).contains(&x)) {
                self.problem(
                    v.span(),
                    format!(
                        "{label}: update_period_s = {x} must be between 0.1 and 3600 seconds — \
                         tracks are sent at most once per period (default 1)"
                    ),
                );
            }
            x
        });
        let callsign = r.callsign.as_ref().map(|c| {
            let text = self.non_empty(&format!("{label}: callsign"), c);
            if text.chars().count() > 64 || text.chars().any(char::is_control) {
                self.problem(
                    c.span(),
                    format!("{label}: callsign must be at most 64 printable characters"),
                );
            }
            text
        });
        CotOutputConfig {
            url: url.unwrap_or(TakTarget::Udp(SocketAddr::from(([127, 0, 0, 1], 6969)))),
            tls,
            update_period_s,
            callsign,
        }
    }

    fn user(
        &mut self,
        u: &Spanned<RawUser>,
        known_sectors: &[String],
        seen: &mut HashMap<String, usize>,
    ) -> UserConfig {
        let r = u.get_ref();
        let name = self.non_empty("user name", &r.name);
        self.unique("user name", seen, &r.name);
        let label = format!("user `{name}`");
        let role = Role::parse(r.role.get_ref().trim());
        if role.is_none() {
            self.problem(
                r.role.span(),
                format!(
                    "{label}: role = \"{}\" is not a role — use one of {}",
                    r.role.get_ref(),
                    one_of(&["viewer", "operator", "admin"])
                ),
            );
        }
        let listed: Vec<&Spanned<String>> = r
            .sectors
            .as_ref()
            .map(|s| s.get_ref().iter().collect())
            .unwrap_or_default();
        let mut sectors = Vec::new();
        if listed.is_empty() {
            if role == Some(Role::Admin) {
                // Admins see every sector anyway; saying so keeps the record honest.
                sectors.push("*".to_owned());
            } else if role.is_some() {
                let span = r.sectors.as_ref().map_or(u.span(), |s| s.span());
                self.problem(
                    span,
                    format!(
                        "{label}: lists no sectors, so would see nothing — add e.g. \
                         sectors = [\"{}\"], or [\"*\"] for every sector",
                        known_sectors.first().map_or("naco", String::as_str)
                    ),
                );
            }
        }
        for s in listed {
            let word = s.get_ref().trim();
            if word != "*" && !known_sectors.iter().any(|k| k == word) {
                self.problem(
                    s.span(),
                    format!(
                        "{label}: sector \"{word}\" is not a sector of this site (neither \
                         [site].sector nor any unit's) — use one of {} or \"*\" (all sectors)",
                        one_of(&known_sectors.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                );
            }
            sectors.push(word.to_owned());
        }
        UserConfig {
            name,
            role: role.unwrap_or(Role::Viewer),
            sectors,
        }
    }
}

/// Distance along the surface of a sphere of the Earth's mean radius, metres: plenty for telling
/// "at the site" from "on another continent".
fn great_circle_m(a: &GeoPoint, b: &GeoPoint) -> f64 {
    const EARTH_MEAN_RADIUS_M: f64 = 6_371_008.8;
    let (la, lb) = (a.lat_deg.to_radians(), b.lat_deg.to_radians());
    let dlat = lb - la;
    let dlon = (b.lon_deg - a.lon_deg).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_MEAN_RADIUS_M * h.sqrt().min(1.0).asin()
}

// ---------------------------------------------------------------------------------------------
// GeoJSON border files
// ---------------------------------------------------------------------------------------------

const GEOJSON_SHAPE: &str = "it must hold exactly one GeoJSON LineString (a bare geometry, a \
                             Feature, or a FeatureCollection with one LineString feature)";

/// The points of the one LineString in a GeoJSON file; `Err` says what is wrong and what to do.
fn read_geojson_line(path: &Path) -> Result<Vec<GeoPoint>, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "cannot read it ({e}) — check the path; a relative path is relative to the config \
             file's folder"
        )
    })?;
    if meta.len() > MAX_LINE_FILE_BYTES {
        return Err(format!(
            "is {} MiB, larger than the {} MiB limit — simplify the line to the stretch near \
             the site",
            meta.len() >> 20,
            MAX_LINE_FILE_BYTES >> 20
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read it ({e}) — it must be a UTF-8 GeoJSON file"))?;
    let doc: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("is not valid JSON ({e}) — it must be a GeoJSON file"))?;
    let mut lines = Vec::new();
    let mut multi = 0usize;
    collect_linestrings(&doc, &mut lines, &mut multi);
    let coords = match lines.as_slice() {
        [one] => *one,
        [] if multi > 0 => {
            return Err(format!(
                "holds a MultiLineString, not a LineString — join its parts into one \
                 LineString; {GEOJSON_SHAPE}"
            ))
        }
        [] => return Err(format!("holds no LineString — {GEOJSON_SHAPE}")),
        many => {
            return Err(format!(
                "holds {} LineStrings — keep only the one that is this border; {GEOJSON_SHAPE}",
                many.len()
            ))
        }
    };
    let list = coords.as_array().ok_or_else(|| {
        "its LineString's coordinates are not an array — write \"coordinates\": [[lon, lat], …]"
            .to_owned()
    })?;
    if list.len() < 2 {
        return Err(format!(
            "its LineString has {} position{} — a border line needs at least 2",
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, pos)| geojson_position(i + 1, pos))
        .collect()
}

fn collect_linestrings<'a>(
    v: &'a serde_json::Value,
    out: &mut Vec<&'a serde_json::Value>,
    multi: &mut usize,
) {
    let Some(obj) = v.as_object() else { return };
    match obj.get("type").and_then(|t| t.as_str()) {
        Some("LineString") => {
            if let Some(c) = obj.get("coordinates") {
                out.push(c);
            }
        }
        Some("MultiLineString") => *multi += 1,
        Some("Feature") => {
            if let Some(g) = obj.get("geometry") {
                collect_linestrings(g, out, multi);
            }
        }
        Some("FeatureCollection") => {
            for f in obj
                .get("features")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
            {
                collect_linestrings(f, out, multi);
            }
        }
        Some("GeometryCollection") => {
            for g in obj
                .get("geometries")
                .and_then(|g| g.as_array())
                .into_iter()
                .flatten()
            {
                collect_linestrings(g, out, multi);
            }
        }
        _ => {}
    }
}

/// A GeoJSON position: `[lon, lat]` or `[lon, lat, height_m]`.
fn geojson_position(n: usize, pos: &serde_json::Value) -> Result<GeoPoint, String> {
    let nums: Option<Vec<f64>> = pos
        .as_array()
        .map(|a| a.iter().map(|x| x.as_f64()).collect::<Option<Vec<f64>>>())
        .unwrap_or(None);
    let nums = match nums {
        Some(v) if v.len() == 2 || v.len() == 3 => v,
        _ => {
            return Err(format!(
                "position {n} is not [lon, lat] or [lon, lat, height_m] — GeoJSON positions are \
                 arrays of 2 or 3 numbers, longitude first"
            ))
        }
    };
    let (lon, lat) = (nums[0], nums[1]);
    let alt = nums.get(2).copied().unwrap_or(0.0);
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!(
            "position {n} [{lon}, {lat}] is not a longitude, latitude pair — GeoJSON puts \
             longitude first; check the order"
        ));
    }
    Ok(GeoPoint::new(lat, lon, alt))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where test configs pretend to live: relative paths resolve against `/srv/site`.
    const FILE: &str = "/srv/site/site.toml";

    /// Four lines; a fragment appended to it starts on line 5.
    const BASE: &str = "[site]
name = \"Test site\"
origin = { lat_deg = 31.345, lon_deg = -109.948, alt_hae_m = 1400.0 }
sector = \"naco\"
";

    fn ok(text: &str) -> SiteConfig {
        parse(text, Path::new(FILE))
            .unwrap_or_else(|e| panic!("rejected:\n{e}\n--- config:\n{text}"))
    }

    fn err(text: &str) -> String {
        match parse(text, Path::new(FILE)) {
            Ok(_) => panic!("accepted a bad config:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    /// The config is rejected with a problem on `line` whose message contains `needle`.
    fn assert_problem(text: &str, line: usize, needle: &str) {
        let e = err(text);
        let prefix = format!("{FILE}:{line}:");
        assert!(
            e.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(needle)),
            "expected a problem on line {line} containing {needle:?}, got:\n{e}"
        );
    }

    fn example(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name)
    }

    /// A fresh empty folder under the system temp dir.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("picket-config-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        dir
    }

    // --- examples --------------------------------------------------------------------------

    #[test]
    fn every_example_file_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).expect("examples/ exists") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                load(&path).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
        assert!(
            n >= 3,
            "expected at least naco, minimal and udp-remoteid, found {n}"
        );
    }

    #[test]
    fn naco_example_is_the_demo_site() {
        let c = load(&example("naco.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.name, "Naco border station");
        assert_eq!(c.origin, GeoPoint::new(31.345, -109.948, 1400.0));
        assert_eq!(c.default_sector, "naco");
        let ids: Vec<&str> = c.sensors.iter().map(|s| s.id.0.as_str()).collect();
        assert_eq!(
            ids,
            ["radar-1", "rid-west", "rid-east", "adsb-1", "blue-force"]
        );
        let kinds: Vec<&str> = c.sensors.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["radar", "remote_id", "remote_id", "adsb", "friendly"]
        );
        assert_eq!(
            c.sensors[0].position,
            Some(GeoPoint::new(31.348, -109.948, 1410.0))
        );
        assert_eq!(
            c.sensors[0].source,
            Source::File(example("feeds/radar-1.jsonl"))
        );
        assert_eq!(c.sensors[0].silence_timeout_s, DEFAULT_SILENCE_TIMEOUT_S);

        assert_eq!(c.units.len(), 3);
        let alpha = &c.units[0];
        assert_eq!(
            (alpha.id.0.as_str(), alpha.name.as_str()),
            ("post-alpha", "Post Alpha")
        );
        assert_eq!(alpha.sector, "naco");
        match &alpha.kind {
            UnitKind::Fixed {
                geometry: UnitGeometry::Circle { center, radius_m },
            } => {
                assert_eq!((center.lat_deg, center.lon_deg), (31.3405, -109.961));
                assert_eq!(*radius_m, 300.0);
            }
            other => panic!("post-alpha should be a circle, is {other:?}"),
        }
        let patrol = &c.units[2];
        assert_eq!(patrol.callsign.as_deref(), Some("PATROL7"));
        assert_eq!(
            patrol.kind,
            UnitKind::Moving {
                radius_m: 400.0,
                stale_after: Duration::from_secs(30)
            }
        );

        assert_eq!(c.zones.len(), 1);
        let border = &c.zones[0];
        assert_eq!(border.kind, ZoneKind::Border);
        assert_eq!(border.home_side, Some(GeoPoint::new(31.40, -109.95, 0.0)));
        match &border.geometry {
            ZoneGeometry::Line { points } => {
                assert!(points.len() >= 2, "{points:?}");
                // The line runs south of every post: west to east across the site.
                assert!(points.iter().all(|p| p.lat_deg < 31.3405), "{points:?}");
                assert!(points.first().is_some_and(|p| p.lon_deg < -109.961));
                assert!(points.last().is_some_and(|p| p.lon_deg > -109.928));
            }
            other => panic!("border should be a line, is {other:?}"),
        }

        let outs: Vec<(OutputWhat, PathBuf)> = c
            .outputs
            .iter()
            .filter_map(|o| match o {
                OutputConfig::Jsonl { what, path } => Some((*what, path.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            outs,
            [
                (OutputWhat::Alerts, example("out/alerts.jsonl")),
                (OutputWhat::Tracks, example("out/tracks.jsonl"))
            ]
        );
        assert_eq!(c.store_path, example("out/naco.sqlite"));
        assert_eq!(
            c.api.as_ref().map(|a| a.listen),
            Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        let users: Vec<(&str, Role, Vec<String>)> = c
            .users
            .iter()
            .map(|u| (u.name.as_str(), u.role, u.sectors.clone()))
            .collect();
        assert_eq!(
            users,
            [
                ("watch-officer", Role::Operator, vec!["naco".to_owned()]),
                ("analyst", Role::Viewer, vec!["naco".to_owned()])
            ]
        );
    }

    #[test]
    fn minimal_example_has_one_post_and_one_udp_radar_only() {
        let c = load(&example("minimal.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.units.len(), 1);
        assert_eq!(c.sensors.len(), 1);
        assert_eq!(c.sensors[0].kind, SensorKind::Radar);
        assert_eq!(
            c.sensors[0].source,
            Source::Udp(SocketAddr::from(([0, 0, 0, 0], 4001)))
        );
        assert!(c.zones.is_empty() && c.outputs.is_empty() && c.users.is_empty());
        assert!(c.api.is_none());
        assert_eq!(c.default_sector, DEFAULT_SECTOR);
        assert_eq!(c.store_path, example(DEFAULT_STORE_FILE));
    }

    #[test]
    fn udp_remoteid_example_protects_a_moving_patrol() {
        let c = load(&example("udp-remoteid.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.sensors[0].kind, SensorKind::RemoteId);
        assert_eq!(c.sensors[0].format, InputFormat::RemoteId);
        assert!(matches!(c.sensors[0].source, Source::Udp(a) if a.port() == 4002));
        assert_eq!(c.sensors[0].silence_timeout_s, 30.0);
        assert!(c.units.iter().any(|u| u.is_moving()));
    }

    #[test]
    fn summary_names_the_site_and_counts_what_it_holds() {
        let c = load(&example("naco.toml")).unwrap_or_else(|e| panic!("{e}"));
        let s = c.summary();
        assert!(
            s.starts_with("site `Naco border station`: 5 sensors (radar-1 radar, "),
            "{s}"
        );
        assert!(
            s.contains("3 units (post-alpha fixed, post-bravo fixed, patrol-7 moving)"),
            "{s}"
        );
        assert!(s.contains("1 zone (border border)"), "{s}");
        assert!(s.contains("2 outputs") && s.contains("2 users"), "{s}");
        assert!(s.ends_with("api on 127.0.0.1:8080"), "{s}");
    }

    // --- defaults and paths -----------------------------------------------------------------

    #[test]
    fn relative_paths_resolve_against_the_config_files_folder() {
        let c = ok(&format!(
            "{BASE}
[store]
path = \"db/picket.sqlite\"
[[sensor]]
id = \"rid-1\"
kind = \"remote_id\"
format = \"jsonl\"
source = \"file:feeds/rid.jsonl\"
[[sensor]]
id = \"rid-2\"
kind = \"remote_id\"
format = \"jsonl\"
source = \"file:/var/feeds/rid2.jsonl\"
[[output]]
kind = \"jsonl\"
what = \"alerts\"
path = \"out/alerts.jsonl\"
[[output]]
kind = \"jsonl\"
what = \"tracks\"
path = \"/var/log/tracks.jsonl\"
"
        ));
        assert_eq!(c.store_path, Path::new("/srv/site/db/picket.sqlite"));
        assert_eq!(
            c.sensors[0].source,
            Source::File("/srv/site/feeds/rid.jsonl".into())
        );
        assert_eq!(
            c.sensors[1].source,
            Source::File("/var/feeds/rid2.jsonl".into())
        );
        let paths: Vec<&Path> = c
            .outputs
            .iter()
            .filter_map(|o| match o {
                OutputConfig::Jsonl { path, .. } => Some(path.as_path()),
                _ => None,
            })
            .collect();
        assert_eq!(
            paths,
            [
                Path::new("/srv/site/out/alerts.jsonl"),
                Path::new("/var/log/tracks.jsonl")
            ]
        );
    }

    #[test]
    fn store_defaults_to_picket_sqlite_next_to_the_config() {
        assert_eq!(ok(BASE).store_path, Path::new("/srv/site/picket.sqlite"));
    }

    #[test]
    fn border_line_file_resolves_against_the_config_folder() {
        let dir = scratch_dir("line-file");
        std::fs::create_dir_all(dir.join("geo")).expect("mkdir");
        std::fs::write(
            dir.join("geo/b.geojson"),
            r#"{"type":"LineString","coordinates":[[-110.3,31.3336],[-109.6,31.3336,1400]]}"#,
        )
        .expect("write geojson");
        let text = format!(
            "{BASE}[[zone]]
id = \"border\"
kind = \"border\"
line_file = \"geo/b.geojson\"
home_side = {{ lat_deg = 31.40, lon_deg = -109.95 }}
"
        );
        let c = parse(&text, &dir.join("site.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.zones[0].geometry,
            ZoneGeometry::Line {
                points: vec![
                    GeoPoint::new(31.3336, -110.3, 0.0),
                    GeoPoint::new(31.3336, -109.6, 1400.0)
                ]
            }
        );
        assert_eq!(c.zones[0].name, "border", "name defaults to the id");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn optional_values_take_their_documented_defaults() {
        let c = ok(&format!(
            "{BASE}[[sensor]]
id = \"adsb-1\"
kind = \"adsb\"
format = \"jsonl\"
source = \"tcp://localhost:30005\"
[[unit]]
id = \"post-1\"
kind = \"fixed\"
center = {{ lat_deg = 31.34, lon_deg = -109.96 }}
radius_m = 250
[[unit]]
id = \"post-2\"
sector = \"bisbee\"
kind = \"fixed\"
center = {{ lat_deg = 31.35, lon_deg = -109.96 }}
radius_m = 250
[[user]]
name = \"chief\"
role = \"admin\"
"
        ));
        assert_eq!(c.sensors[0].silence_timeout_s, 10.0);
        assert_eq!(c.sensors[0].position, None);
        assert_eq!(c.sensors[0].source, Source::Tcp("localhost:30005".into()));
        assert_eq!(c.units[0].name, "post-1");
        assert_eq!(c.units[0].sector, "naco");
        assert_eq!(c.units[1].sector, "bisbee");
        assert_eq!(c.units[0].callsign, None);
        match &c.units[0].kind {
            UnitKind::Fixed {
                geometry: UnitGeometry::Circle { center, radius_m },
            } => {
                assert_eq!(center.alt_hae_m, 0.0, "alt_hae_m defaults to 0");
                assert_eq!(
                    *radius_m, 250.0,
                    "an integer is accepted where a number is expected"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            c.users[0].sectors,
            ["*"],
            "an admin without sectors sees every sector"
        );
        assert_eq!(c.tracker, TrackerOverrides::default());
        assert_eq!(c.assessment, AssessmentOverrides::default());
    }

    #[test]
    fn site_sector_defaults_to_default() {
        let text = BASE.replace("sector = \"naco\"\n", "");
        assert_eq!(ok(&text).default_sector, "default");
    }

    #[test]
    fn tracker_and_assessment_overrides_are_read() {
        let c = ok(&format!(
            "{BASE}[tracker]
process_noise_accel_mps2 = 3.5
gate_chi2 = 11.3
confirm_hits = 3
confirm_window = 5
max_coast_tentative_s = 4
max_coast_confirmed_s = 12.0
max_sigma_horizontal_m = 500.0
initial_speed_sigma_mps = 20.0
max_reported_misses = 3
imm_turn_rate_deg_s = 20.0
imm_turn_process_noise_accel_mps2 = 2.5
imm_switch_per_s = 0.2
jpda = true
detection_probability = 0.85
clutter_density_per_km2 = 0.5
[assessment]
horizon_s = 120.0
caution_margin_m = 0
warning_time_s = 90.0
imminent_time_s = 30.0
raise_after = 2
clear_after_s = 15.0
max_raises_per_unit_per_minute = 6
"
        ));
        assert_eq!(
            c.tracker,
            TrackerOverrides {
                process_noise_accel_mps2: Some(3.5),
                gate_chi2: Some(11.3),
                confirm_hits: Some(3),
                confirm_window: Some(5),
                max_coast_tentative_s: Some(4.0),
                max_coast_confirmed_s: Some(12.0),
                max_sigma_horizontal_m: Some(500.0),
                initial_speed_sigma_mps: Some(20.0),
                max_reported_misses: Some(3),
                imm_turn_rate_deg_s: Some(20.0),
                imm_turn_process_noise_accel_mps2: Some(2.5),
                imm_switch_per_s: Some(0.2),
                jpda: Some(true),
                detection_probability: Some(0.85),
                clutter_density_per_km2: Some(0.5),
                step_period_s: None,
                reorder_window_s: None,
            }
        );
        assert_eq!(
            c.assessment,
            AssessmentOverrides {
                horizon_s: Some(120.0),
                caution_margin_m: Some(0.0),
                warning_time_s: Some(90.0),
                imminent_time_s: Some(30.0),
                raise_after: Some(2),
                clear_after_s: Some(15.0),
                max_raises_per_unit_per_minute: Some(6),
            }
        );
    }

    #[test]
    fn api_web_root_must_be_an_existing_folder() {
        let dir = scratch_dir("web-root");
        std::fs::create_dir_all(dir.join("web")).expect("mkdir");
        let text = format!("{BASE}[api]\nlisten = \"0.0.0.0:8443\"\nweb_root = \"web\"\n");
        let c = parse(&text, &dir.join("site.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            c.api,
            Some(ApiConfig {
                listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
                web_root: Some(dir.join("web"))
            })
        );
        let text = text.replace("\"web\"", "\"no-such-folder\"");
        let e = parse(&text, &dir.join("site.toml")).expect_err("missing web_root");
        assert!(
            e.to_string()
                .contains(":7:12: [api] web_root \"no-such-folder\""),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    // --- syntax and unknown keys ------------------------------------------------------------

    #[test]
    fn a_toml_syntax_error_names_its_line_and_column() {
        let e = err(&format!("{BASE}[[sensor]\nid = \"x\"\n"));
        assert!(e.starts_with(&format!("{FILE}:5:")), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
        let e = err(&format!("{BASE}[api]\nlisten = 127.0.0.1:8080\n"));
        assert!(e.starts_with(&format!("{FILE}:6:")), "{e}");
    }

    #[test]
    fn an_unknown_key_anywhere_is_rejected_with_its_line_and_the_accepted_keys() {
        // (fragment after BASE, line of the unknown key, a key the message must list)
        let cases = [
            (
                "[site]\nname = \"x\"\nbogus_key = 1\norigin = { lat_deg = 1, lon_deg = 2 }\n",
                3,
                "`origin`",
            ),
            (
                "[site]\nname = \"x\"\norigin = { lat_deg = 1, lon_deg = 2, bogus_key = 1 }\n",
                3,
                "`alt_hae_m`",
            ),
        ];
        for (text, line, listed) in cases {
            let e = err(text);
            assert!(e.starts_with(&format!("{FILE}:{line}:")), "{e}");
            assert!(
                e.contains("unknown key `bogus_key`") && e.contains(listed),
                "{e}"
            );
        }
        let tables = [
            ("[store]\n", "`path`"),
            ("[api]\nlisten = \"127.0.0.1:1\"\n", "`web_root`"),
            ("[tracker]\n", "`gate_chi2`"),
            ("[assessment]\n", "`horizon_s`"),
            (
                "[[sensor]]\nid = \"a\"\nkind = \"radar\"\n",
                "`silence_timeout_s`",
            ),
            (
                "[[unit]]\nid = \"a\"\nkind = \"fixed\"\n",
                "`stale_after_s`",
            ),
            ("[[zone]]\nid = \"a\"\nkind = \"border\"\n", "`line_file`"),
            ("[[output]]\nkind = \"jsonl\"\n", "`what`"),
            ("[[user]]\nname = \"a\"\n", "`sectors`"),
        ];
        for (table, listed) in tables {
            let text = format!("{BASE}{table}bogus_key = 1\n");
            let line = text.lines().count();
            let e = err(&text);
            assert!(
                e.starts_with(&format!("{FILE}:{line}:1: unknown key `bogus_key`")),
                "{e}"
            );
            assert!(e.contains(listed), "{table:?} should list {listed}: {e}");
        }
        // ... at the top level ...
        let e = err(&format!("bogus_key = 1\n{BASE}"));
        assert!(
            e.starts_with(&format!("{FILE}:1:1: unknown key `bogus_key`")),
            "{e}"
        );
        assert!(e.contains("`sensor`") && e.contains("`user`"), "{e}");
        // ... and inside a point of a list.
        let e = err(&format!(
            "{BASE}[[zone]]\nid = \"r\"\nkind = \"restricted\"\npolygon = [\n  {{ lat_deg = 1, lon_deg = 1 }},\n  {{ lat = 1, lon_deg = 1 }},\n]\n"
        ));
        assert!(
            e.starts_with(&format!("{FILE}:10:5: unknown key `lat`")),
            "{e}"
        );
    }

    #[test]
    fn a_missing_required_key_is_named_at_its_table() {
        assert_problem(
            &format!("{BASE}\n[[sensor]]\nid = \"r\"\nkind = \"radar\"\nformat = \"jsonl\"\n"),
            6,
            "missing key `source`",
        );
        let e = err("[store]\npath = \"x\"\n");
        assert!(
            e.starts_with(&format!("{FILE}:1:1: the [site] table is missing")),
            "{e}"
        );
    }

    #[test]
    fn a_point_must_be_a_table_not_an_array() {
        // An array's order is ambiguous (GeoJSON writes longitude first), so it is refused.
        let text = format!(
            "{BASE}[[unit]]\nid = \"p\"\nkind = \"fixed\"\ncenter = [31.34, -109.95]\nradius_m = 10.0\n"
        );
        assert_problem(
            &text,
            8,
            "expected a point table { lat_deg = …, lon_deg = …, alt_hae_m = … }",
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_says_how_to_write_it() {
        assert_problem(
            &format!("{BASE}[[unit]]\nid = \"p\"\nkind = \"moving\"\nradius_m = \"400\"\n"),
            8,
            "expected a number — write numbers without quotes",
        );
        assert_problem(
            &format!("{BASE}[[unit]]\nid = 7\n"),
            6,
            "expected a string — put text in double quotes",
        );
        assert_problem(
            &format!("{BASE}[[user]]\nname = \"u\"\nrole = \"viewer\"\nsectors = \"naco\"\n"),
            8,
            "write a list in square brackets",
        );
    }

    #[test]
    fn a_single_bracket_sensor_table_is_explained() {
        assert_problem(
            &format!("{BASE}[sensor]\nid = \"r\"\n"),
            5,
            "double brackets",
        );
    }

    // --- semantic checks, each at its line ------------------------------------------------

    fn radar(id: &str) -> String {
        format!(
            "[[sensor]]\nid = \"{id}\"\nkind = \"radar\"\nformat = \"jsonl\"\nsource = \"udp://0.0.0.0:4001\"\nposition = {{ lat_deg = 31.35, lon_deg = -109.95 }}\n"
        )
    }

    #[test]
    fn a_sapient_sensor_listens_and_needs_no_position() {
        let text = format!(
            "{BASE}[[sensor]]\nid = \"node\"\nkind = \"radar\"\nformat = \"sapient\"\nsource = \"tcp-listen://127.0.0.1:5020\"\n"
        );
        let c = ok(&text);
        assert_eq!(c.sensors[0].format, InputFormat::Sapient);
        assert_eq!(
            c.sensors[0].source,
            Source::TcpListen("127.0.0.1:5020".parse().unwrap())
        );
    }

    #[test]
    fn asterix_comes_over_udp_and_may_take_its_position_from_cat034() {
        let text = format!(
            "{BASE}[[sensor]]\nid = \"psr\"\nkind = \"radar\"\nformat = \"asterix\"\nsource = \"udp://0.0.0.0:8600\"\n"
        );
        assert_eq!(ok(&text).sensors[0].format, InputFormat::Asterix);
        let tcp = text.replace("udp://0.0.0.0:8600", "tcp://radar.local:8600");
        assert_problem(&tcp, 9, "ASTERIX comes as UDP datagrams");
        let pcap = text.replace("udp://0.0.0.0:8600", "file:rec/psr.pcap");
        assert_eq!(
            ok(&pcap).sensors[0].source,
            Source::File(PathBuf::from("/srv/site/rec/psr.pcap"))
        );
    }

    #[test]
    fn a_sapient_output_names_its_parent_node() {
        let text = format!("{BASE}[[output]]\nkind = \"sapient\"\nurl = \"tcp://10.0.0.5:5020\"\n");
        assert_eq!(
            ok(&text).outputs,
            vec![OutputConfig::Sapient {
                addr: "10.0.0.5:5020".into()
            }]
        );
        let bad = text.replace("tcp://10.0.0.5:5020", "tcp://10.0.0.5");
        assert_problem(&bad, 7, "use tcp://HOST:PORT");
        let none = format!("{BASE}[[output]]\nkind = \"sapient\"\n");
        assert_problem(&none, 5, "a sapient output needs url");
    }

    #[test]
    fn beast_is_read_from_a_receiver_over_tcp() {
        let text = format!(
            "{BASE}[[sensor]]\nid = \"adsb-1\"\nkind = \"adsb\"\nformat = \"beast\"\nsource = \"tcp://192.168.1.20:30005\"\n"
        );
        assert_eq!(ok(&text).sensors[0].format, InputFormat::Beast);
        let udp = text.replace("tcp://192.168.1.20:30005", "udp://0.0.0.0:30005");
        assert_problem(&udp, 9, "connects to a receiver's Beast output");
    }

    #[test]
    fn remoteid_receivers_come_over_udp_or_mqtt() {
        let text = format!(
            "{BASE}[[sensor]]\nid = \"rid-1\"\nkind = \"remote_id\"\nformat = \"remoteid\"\nsource = \"mqtt://127.0.0.1/remoteid/+/frames\"\n"
        );
        let c = ok(&text);
        assert_eq!(c.sensors[0].format, InputFormat::RemoteId);
        let Source::Mqtt(m) = &c.sensors[0].source else {
            panic!("{:?}", c.sensors[0].source)
        };
        assert_eq!(
            (m.host.as_str(), m.port, m.topic.as_str()),
            ("127.0.0.1", 1883, "remoteid/+/frames")
        );
        assert_eq!(
            c.sensors[0].source.to_string(),
            "mqtt://127.0.0.1:1883/remoteid/+/frames"
        );
        let udp = text.replace("mqtt://127.0.0.1/remoteid/+/frames", "udp://0.0.0.0:4002");
        assert!(matches!(ok(&udp).sensors[0].source, Source::Udp(_)));
        let tcp = text.replace("mqtt://127.0.0.1/remoteid/+/frames", "tcp://rx.local:4002");
        assert_problem(
            &tcp,
            9,
            "Remote ID field receivers send UDP datagrams or publish",
        );
        let no_topic = text.replace("/remoteid/+/frames", ":1883");
        assert_problem(&no_topic, 9, "names no topic");
        let bad_filter = text.replace("+/frames", "#/frames");
        assert_problem(&bad_filter, 9, "`#` other than as the whole last level");
        let jsonl = text.replace("format = \"remoteid\"", "format = \"jsonl\"");
        assert_problem(&jsonl, 9, "mqtt:// sources are for Remote ID receivers");
        let kind = text.replace("kind = \"remote_id\"", "kind = \"radar\"\nposition = { lat_deg = 31.345, lon_deg = -109.948, alt_hae_m = 1400.0 }");
        assert_problem(&kind, 7, "use kind = \"remote_id\"");
    }

    #[test]
    fn aircraft_lists_are_six_hex_digit_icao_addresses() {
        let text = format!(
            "{BASE}[aircraft]\nown_agency = [\"A1B2C3\", \"a1b2c4\"]\nallowed = [\"00AB12\"]\n"
        );
        let c = ok(&text);
        assert_eq!(c.aircraft.own_agency, vec![0xA1B2C3, 0xA1B2C4]);
        assert_eq!(c.aircraft.allowed, vec![0x00AB12]);
        assert_eq!(ok(BASE).aircraft, picket_assess::AircraftLists::default());
        let bad = format!(
            "{BASE}[aircraft]\nown_agency = [\"A1B2C3\",\n  \"CBP21\"]\nallowed = [\"0xAB12\", \"a1b2c3\"]\n"
        );
        let e = err(&bad);
        assert_problem(
            &bad,
            7,
            "[aircraft] own_agency: \"CBP21\" is not an ICAO address — write six hex digits",
        );
        assert!(e.contains(&format!("{FILE}:7:3:")), "{e}");
        assert_problem(
            &bad,
            8,
            "[aircraft] allowed: \"0xAB12\" is not an ICAO address",
        );
        assert_problem(
            &bad,
            8,
            "[aircraft] allowed: \"a1b2c3\" is listed already on line 6 — list each aircraft once",
        );
    }

    #[test]
    fn avr_and_sbs_come_from_a_receiver_over_tcp_or_from_a_file() {
        for (format, want, port) in [
            ("avr", InputFormat::Avr, 30002),
            ("sbs", InputFormat::Sbs, 30003),
            ("beast", InputFormat::Beast, 30005),
        ] {
            let text = format!(
                "{BASE}[[sensor]]\nid = \"adsb-1\"\nkind = \"adsb\"\nformat = \"{format}\"\nsource = \"tcp://192.168.1.20:{port}\"\n"
            );
            assert_eq!(ok(&text).sensors[0].format, want);
            let file = text.replace(&format!("tcp://192.168.1.20:{port}"), "file:adsb.txt");
            assert!(
                matches!(&ok(&file).sensors[0].source, Source::File(p) if p.ends_with("adsb.txt"))
            );
            let listen = text.replace("tcp://", "tcp-listen://");
            assert_problem(&listen, 9, &format!("e.g. \"tcp://192.168.1.20:{port}\""));
        }
    }

    const PATROL: &str = "[[unit]]\nid = \"patrol-7\"\nkind = \"moving\"\ncallsign = \"PATROL7\"\ntak_uid = \"ANDROID-77\"\nradius_m = 400.0\nstale_after_s = 30.0\n";

    #[test]
    fn tak_sa_comes_from_a_tak_server_or_a_mesh_and_maps_moving_units_by_uid_and_callsign() {
        let text = format!(
            "{BASE}[[sensor]]\nid = \"tak-sa\"\nkind = \"friendly\"\nformat = \"cot\"\nsource = \"tcp://takserver.local:8087\"\n\
             [[sensor]]\nid = \"mesh\"\nkind = \"friendly\"\nformat = \"cot\"\nsource = \"udp://239.2.3.1:6969\"\n{PATROL}\
             [[unit]]\nid = \"patrol-8\"\nkind = \"moving\"\ncallsign = \"PATROL8\"\nradius_m = 400.0\nstale_after_s = 30.0\n\
             [[unit]]\nid = \"post\"\nkind = \"fixed\"\ncallsign = \"POST\"\ntak_uid = \"ANDROID-POST\"\ncenter = {{ lat_deg = 31.34, lon_deg = -109.95 }}\nradius_m = 300.0\n"
        );
        let c = ok(&text);
        assert_eq!(c.sensors[0].format, InputFormat::Cot);
        assert_eq!(
            c.sensors[1].source,
            Source::Udp("239.2.3.1:6969".parse().unwrap())
        );
        assert_eq!(
            c.tak_uids,
            [
                (UnitId::from("patrol-7"), "ANDROID-77".to_string()),
                (UnitId::from("post"), "ANDROID-POST".to_string())
            ]
        );
        let m = c.tak_unit_mappings();
        assert_eq!(m.len(), 2, "moving units only: {m:?}");
        assert_eq!(
            (
                m[0].unit_id.0.as_str(),
                m[0].uid.as_deref(),
                m[0].callsign.as_deref()
            ),
            ("patrol-7", Some("ANDROID-77"), Some("PATROL7"))
        );
        assert_eq!(
            (m[1].uid.as_deref(), m[1].callsign.as_deref()),
            (None, Some("PATROL8"))
        );
    }

    #[test]
    fn tak_sa_is_friendly_over_tcp_or_udp_and_device_uids_are_unique() {
        let listen = format!(
            "{BASE}[[sensor]]\nid = \"s\"\nkind = \"friendly\"\nformat = \"cot\"\nsource = \"file:sa.xml\"\n"
        );
        assert_problem(&listen, 9, "TAK SA comes from a TAK server or a mesh");
        let radar = format!(
            "{BASE}[[sensor]]\nid = \"s\"\nkind = \"radar\"\nformat = \"cot\"\nsource = \"udp://0.0.0.0:6969\"\nposition = {{ lat_deg = 31.35, lon_deg = -109.95 }}\n"
        );
        assert_problem(&radar, 7, "use kind = \"friendly\"");
        let twice = format!("{BASE}{PATROL}{}", PATROL.replace("patrol-7", "patrol-9"));
        assert_problem(
            &twice,
            16,
            "tak_uid \"ANDROID-77\" is already used on line 9",
        );
    }

    #[test]
    fn a_cot_output_sends_to_a_tak_url_with_its_settings() {
        let text = format!(
            "{BASE}[[output]]\nkind = \"cot\"\nurl = \"tcp://takserver.local:8087\"\nupdate_period_s = 2.0\ncallsign = \"PICKET NACO\"\n\
             [[output]]\nkind = \"cot\"\nurl = \"udp://239.2.3.1:6969\"\n{PATROL}"
        );
        let c = ok(&text);
        let OutputConfig::Cot(cot) = &c.outputs[0] else {
            panic!("{:?}", c.outputs[0])
        };
        assert_eq!(cot.url.to_string(), "tcp://takserver.local:8087");
        let t = cot.tak_output(&c);
        assert_eq!(t.update_period, Duration::from_secs(2));
        assert_eq!(t.callsign.as_deref(), Some("PICKET NACO"));
        assert_eq!(
            t.device_uids, c.tak_uids,
            "alerts can chat to units' devices"
        );
        assert!(
            matches!(&c.outputs[1], OutputConfig::Cot(u) if u.url.to_string() == "udp://239.2.3.1:6969" && u.update_period_s.is_none())
        );
        assert!(
            c.summary().contains("cot → tcp://takserver.local:8087"),
            "{}",
            c.summary()
        );
    }

    #[test]
    fn a_tls_cot_output_needs_its_three_existing_pem_files_and_others_take_none() {
        let dir = scratch_dir("tak-tls");
        for f in ["ca.pem", "picket.pem", "picket.key"] {
            std::fs::write(dir.join(f), "-----BEGIN CERTIFICATE-----\n").unwrap();
        }
        let file = dir.join("site.toml");
        let text = format!(
            "{BASE}[[output]]\nkind = \"cot\"\nurl = \"tls://takserver:8089\"\nca = \"ca.pem\"\ncert = \"picket.pem\"\nkey = \"picket.key\"\n"
        );
        let c = parse(&text, &file).unwrap_or_else(|e| panic!("{e}"));
        let OutputConfig::Cot(cot) = &c.outputs[0] else {
            panic!()
        };
        assert_eq!(
            cot.tls,
            Some(TlsFiles {
                ca: dir.join("ca.pem"),
                cert: dir.join("picket.pem"),
                key: dir.join("picket.key")
            })
        );
        let missing_key = text.replace("key = \"picket.key\"\n", "");
        assert_problem(&missing_key, 5, "a tls:// output needs key = \"FILE\"");
        let absent = text.replace("picket.key", "nowhere.key");
        assert_problem(&absent, 10, "key = \"nowhere.key\"");
        let tcp = text.replace("tls://takserver:8089", "tcp://takserver:8087");
        assert_problem(&tcp, 8, "ca applies to tls:// urls only");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tak_sa_over_tls_needs_its_three_pem_files_and_only_cot_takes_tls() {
        let dir = scratch_dir("tak-sa-tls");
        for f in ["ca.pem", "sa.pem", "sa.key"] {
            std::fs::write(dir.join(f), "-----BEGIN CERTIFICATE-----\n").unwrap();
        }
        let file = dir.join("site.toml");
        let text = format!(
            "{BASE}[[sensor]]\nid = \"tak-sa\"\nkind = \"friendly\"\nformat = \"cot\"\nsource = \"tls://takserver:8089\"\nca = \"ca.pem\"\ncert = \"sa.pem\"\nkey = \"sa.key\"\n"
        );
        let c = parse(&text, &file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.sensors[0].source, Source::Tls("takserver:8089".into()));
        assert_eq!(c.sensors[0].source.to_string(), "tls://takserver:8089");
        assert_eq!(
            c.sensors[0].tls,
            Some(TlsFiles {
                ca: dir.join("ca.pem"),
                cert: dir.join("sa.pem"),
                key: dir.join("sa.key")
            })
        );
        let missing = text.replace("ca = \"ca.pem\"\n", "");
        assert_problem(&missing, 5, "a tls:// sensor needs ca = \"FILE\"");
        let tcp = text.replace("tls://takserver:8089", "tcp://takserver:8087");
        assert_problem(&tcp, 10, "ca applies to tls:// sources only");
        let jsonl = text.replace("format = \"cot\"", "format = \"jsonl\"");
        assert_problem(&jsonl, 9, "tls:// sources are for TAK servers");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn acks_from_the_mesh_are_off_unless_a_mesh_tak_sensor_opts_in() {
        let mesh = format!(
            "{BASE}[[sensor]]\nid = \"tak-mesh\"\nkind = \"friendly\"\nformat = \"cot\"\nsource = \"udp://239.2.3.1:6969\"\n"
        );
        let c = parse(&mesh, Path::new("site.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert!(!c.sensors[0].accept_acks_from_mesh);
        let opted = format!("{mesh}accept_acks_from_mesh = true\n");
        let c = parse(&opted, Path::new("site.toml")).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.sensors[0].accept_acks_from_mesh);
        let server = opted.replace("udp://239.2.3.1:6969", "tcp://takserver:8087");
        assert_problem(
            &server,
            10,
            "accept_acks_from_mesh applies to TAK SA from a mesh only",
        );
    }

    #[test]
    fn cot_and_jsonl_outputs_refuse_each_others_keys_and_bad_urls() {
        assert_problem(
            &format!("{BASE}[[output]]\nkind = \"cot\"\nurl = \"takserver:8087\"\n"),
            7,
            "output 1: TAK url `takserver:8087` has no scheme",
        );
        assert_problem(
            &format!("{BASE}[[output]]\nkind = \"cot\"\n"),
            5,
            "a cot output needs url",
        );
        assert_problem(
            &format!("{BASE}[[output]]\nkind = \"cot\"\nurl = \"udp://239.2.3.1:6969\"\npath = \"x.jsonl\"\n"),
            8,
            "path applies to jsonl outputs",
        );
        assert_problem(
            &format!("{BASE}[[output]]\nkind = \"cot\"\nurl = \"udp://239.2.3.1:6969\"\nupdate_period_s = 0.01\n"),
            8,
            "update_period_s = 0.01 must be between 0.1 and 3600",
        );
        assert_problem(
            &format!("{BASE}[[output]]\nkind = \"jsonl\"\nwhat = \"alerts\"\npath = \"a.jsonl\"\nurl = \"udp://1.2.3.4:1\"\n"),
            9,
            "url applies to kind = \"cot\", \"webhook\", \"mqtt\" or \"sapient\" outputs only",
        );
        assert_problem(
            &format!("{BASE}[[output]]\nkind = \"jsonl\"\nwhat = \"alerts\"\n"),
            5,
            "a jsonl output needs path",
        );
    }

    #[test]
    fn sapient_must_listen_and_json_lines_may_not() {
        let sapient_udp = format!(
            "{BASE}[[sensor]]\nid = \"node\"\nkind = \"radar\"\nformat = \"sapient\"\nsource = \"udp://0.0.0.0:5020\"\n"
        );
        assert_problem(&sapient_udp, 9, "use source = \"tcp-listen://IP:PORT\"");
        let jsonl_listen = radar("r").replace("udp://0.0.0.0:4001", "tcp-listen://0.0.0.0:4001");
        assert_problem(
            &format!("{BASE}{jsonl_listen}"),
            9,
            "tcp-listen:// is for SAPIENT",
        );
    }

    #[test]
    fn duplicate_sensor_ids_are_rejected_at_the_second_one() {
        let text = format!("{BASE}{}{}", radar("radar-1"), radar("radar-1"));
        assert_problem(&text, 12, "sensor id \"radar-1\" is already used on line 6");
    }

    #[test]
    fn duplicate_unit_zone_and_user_names_are_rejected() {
        let post = "[[unit]]\nid = \"p\"\nkind = \"fixed\"\ncenter = { lat_deg = 31.34, lon_deg = -109.95 }\nradius_m = 100.0\n";
        assert_problem(
            &format!("{BASE}{post}{post}"),
            11,
            "unit id \"p\" is already used on line 6",
        );
        let zone = "[[zone]]\nid = \"z\"\nkind = \"restricted\"\npolygon = [{lat_deg=31.34,lon_deg=-109.95},{lat_deg=31.35,lon_deg=-109.95},{lat_deg=31.35,lon_deg=-109.94}]\n";
        assert_problem(
            &format!("{BASE}{zone}{zone}"),
            10,
            "zone id \"z\" is already used on line 6",
        );
        let user = "[[user]]\nname = \"u\"\nrole = \"viewer\"\nsectors = [\"naco\"]\n";
        assert_problem(
            &format!("{BASE}{user}{user}"),
            10,
            "user name \"u\" is already used on line 6",
        );
    }

    #[test]
    fn ids_must_be_lower_case_words() {
        let text = format!("{BASE}{}", radar("Radar 1"));
        assert_problem(&text, 6, "sensor id \"Radar 1\" is not a valid id");
    }

    #[test]
    fn radar_and_bearing_sensors_need_a_position() {
        let text = format!(
            "{BASE}[[sensor]]\nid = \"r\"\nkind = \"radar\"\nformat = \"jsonl\"\nsource = \"udp://0.0.0.0:1\"\n\n[[sensor]]\nid = \"b\"\nkind = \"bearing\"\nformat = \"jsonl\"\nsource = \"udp://0.0.0.0:2\"\n"
        );
        assert_problem(&text, 5, "sensor `r`: a radar sensor needs position");
        assert_problem(&text, 11, "sensor `b`: a bearing sensor needs position");
        assert_eq!(err(&text).lines().count(), 2);
    }

    #[test]
    fn a_bad_source_lists_the_accepted_forms() {
        for (source, why) in [
            ("http://x:1", "is not a source"),
            (
                "udp://radar.local:4001",
                "does not hold an IP address and port",
            ),
            ("tcp://10.0.0.1", "does not hold a host and port"),
            ("tcp://10.0.0.1:0", "does not hold a host and port"),
            ("file:", "names no file"),
        ] {
            let text = format!("{BASE}{}", radar("r").replace("udp://0.0.0.0:4001", source));
            assert_problem(&text, 9, why);
            assert_problem(&text, 9, "use udp://IP:PORT");
            assert_problem(&text, 9, "tcp://HOST:PORT");
            assert_problem(&text, 9, "file:PATH");
        }
    }

    #[test]
    fn unknown_kinds_and_formats_list_the_accepted_words() {
        let text = format!(
            "{BASE}{}",
            radar("r")
                .replace("\"radar\"", "\"lidar\"")
                .replace("\"jsonl\"", "\"nmea\"")
        );
        assert_problem(&text, 7, "kind = \"lidar\" is not a sensor kind — use one of \"radar\", \"remote_id\", \"adsb\", \"bearing\", \"friendly\"");
        assert_problem(
            &text,
            8,
            "format = \"nmea\" is not an input format — use one of \"jsonl\", \"sapient\", \"asterix\", \"beast\", \"avr\", \"sbs\", \"cot\", \"remoteid\"",
        );
        let unit = format!("{BASE}[[unit]]\nid = \"u\"\nkind = \"mobile\"\n");
        assert_problem(
            &unit,
            7,
            "is not a unit kind — use one of \"fixed\", \"moving\"",
        );
        let zone = format!("{BASE}[[zone]]\nid = \"z\"\nkind = \"nofly\"\n");
        assert_problem(
            &zone,
            7,
            "is not a zone kind — use one of \"border\", \"restricted\"",
        );
        let out =
            format!("{BASE}[[output]]\nkind = \"kafka\"\nwhat = \"everything\"\npath = \"a\"\n");
        assert_problem(
            &out,
            6,
            "output 1: kind = \"kafka\" is not an output kind — use one of \"jsonl\", \"cot\", \"webhook\", \"mqtt\"",
        );
        assert_problem(&out, 7, "use one of \"alerts\", \"tracks\"");
    }

    fn unit(body: &str) -> String {
        format!("{BASE}[[unit]]\nid = \"p\"\n{body}")
    }

    #[test]
    fn a_fixed_unit_needs_exactly_one_shape() {
        assert_problem(&unit("kind = \"fixed\"\n"), 5, "a fixed unit needs a shape");
        assert_problem(
            &unit("kind = \"fixed\"\ncenter = { lat_deg = 31.34, lon_deg = -109.95 }\nradius_m = 10.0\npolygon = [{lat_deg=31.34,lon_deg=-109.95},{lat_deg=31.35,lon_deg=-109.95},{lat_deg=31.35,lon_deg=-109.94}]\n"),
            10,
            "has both center and polygon",
        );
        assert_problem(
            &unit("kind = \"fixed\"\ncenter = { lat_deg = 31.34, lon_deg = -109.95 }\n"),
            5,
            "a circle needs radius_m",
        );
    }

    #[test]
    fn a_radius_must_be_a_positive_number() {
        for bad in ["0.0", "-5", "nan", "inf"] {
            let text = unit(&format!(
                "kind = \"fixed\"\ncenter = {{ lat_deg = 31.34, lon_deg = -109.95 }}\nradius_m = {bad}\n"
            ));
            assert_problem(&text, 9, "unit `p`: radius_m");
            assert_problem(&text, 9, "must be a finite number > 0");
        }
    }

    #[test]
    fn a_polygon_needs_three_vertices() {
        let text = unit("kind = \"fixed\"\npolygon = [\n  {lat_deg=31.34,lon_deg=-109.95},\n  {lat_deg=31.35,lon_deg=-109.95},\n]\n");
        assert_problem(
            &text,
            8,
            "unit `p`: polygon has 2 points — it needs at least 3",
        );
    }

    #[test]
    fn a_moving_unit_needs_radius_and_stale_after_and_no_fixed_shape() {
        let text = unit("kind = \"moving\"\n");
        assert_problem(&text, 5, "a moving unit needs stale_after_s");
        assert_problem(&text, 5, "a moving unit needs radius_m");
        let text = unit("kind = \"moving\"\nradius_m = 400.0\nstale_after_s = 30.0\ncenter = { lat_deg = 31.34, lon_deg = -109.95 }\n");
        assert_problem(&text, 10, "a moving unit has no fixed center");
        let text = unit("kind = \"fixed\"\ncenter = { lat_deg = 31.34, lon_deg = -109.95 }\nradius_m = 10.0\nstale_after_s = 30.0\n");
        assert_problem(&text, 10, "stale_after_s applies only to moving units");
    }

    fn zone(body: &str) -> String {
        format!("{BASE}[[zone]]\nid = \"border\"\nkind = \"border\"\n{body}")
    }

    #[test]
    fn a_border_needs_a_home_side_and_exactly_one_line() {
        let line = "line = [{lat_deg=31.33,lon_deg=-110.0},{lat_deg=31.33,lon_deg=-109.9}]\n";
        assert_problem(&zone(line), 5, "a border needs home_side");
        let home = "home_side = { lat_deg = 31.40, lon_deg = -109.95 }\n";
        assert_problem(&zone(home), 5, "a border needs its line");
        assert_problem(
            &zone(&format!("{home}{line}line_file = \"b.geojson\"\n")),
            10,
            "has both line and line_file",
        );
        assert_problem(
            &zone(&format!(
                "{home}line = [{{lat_deg=31.33,lon_deg=-110.0}}]\n"
            )),
            9,
            "line has 1 point — it needs at least 2",
        );
        assert_problem(
            &zone(&format!("{home}{line}polygon = []\n")),
            10,
            "polygon does not apply to a border zone",
        );
    }

    #[test]
    fn a_restricted_zone_needs_a_polygon_and_no_border_keys() {
        let text = format!(
            "{BASE}[[zone]]\nid = \"nfz\"\nkind = \"restricted\"\nhome_side = {{ lat_deg = 31.40, lon_deg = -109.95 }}\n"
        );
        assert_problem(&text, 5, "a restricted zone needs polygon");
        assert_problem(&text, 8, "home_side does not apply to a restricted zone");
    }

    #[test]
    fn a_bad_line_file_is_named_with_its_problem() {
        let dir = scratch_dir("bad-line-file");
        let files = [
            ("missing.geojson", None, "cannot read it"),
            ("broken.geojson", Some("{ not json"), "is not valid JSON"),
            (
                "point.geojson",
                Some(r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[-110,31]}}"#),
                "holds no LineString",
            ),
            (
                "multi.geojson",
                Some(r#"{"type":"MultiLineString","coordinates":[[[-110,31],[-109,31]]]}"#),
                "holds a MultiLineString",
            ),
            (
                "two.geojson",
                Some(
                    r#"{"type":"FeatureCollection","features":[
                    {"type":"Feature","geometry":{"type":"LineString","coordinates":[[-110,31],[-109,31]]}},
                    {"type":"Feature","geometry":{"type":"LineString","coordinates":[[-110,32],[-109,32]]}}]}"#,
                ),
                "holds 2 LineStrings",
            ),
            (
                "swapped.geojson",
                Some(r#"{"type":"LineString","coordinates":[[31.33,-110.0],[31.33,-109.9]]}"#),
                "position 1 [31.33, -110] is not a longitude, latitude pair",
            ),
            (
                "short.geojson",
                Some(r#"{"type":"LineString","coordinates":[[-110.0,31.33]]}"#),
                "its LineString has 1 position — a border line needs at least 2",
            ),
        ];
        for (name, content, why) in files {
            if let Some(c) = content {
                std::fs::write(dir.join(name), c).expect("write");
            }
            let text = zone(&format!(
                "home_side = {{ lat_deg = 31.40, lon_deg = -109.95 }}\nline_file = \"{name}\"\n"
            ));
            let e = parse(&text, &dir.join("site.toml"))
                .expect_err(name)
                .to_string();
            let expected_start = format!(
                "{}:9:13: zone `border`: line_file \"{name}\" ({}): {why}",
                dir.join("site.toml").display(),
                dir.join(name).display()
            );
            assert!(
                e.starts_with(&expected_start),
                "expected {expected_start:?}\ngot {e}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn user(role: &str, sectors: &str) -> String {
        format!("{BASE}[[user]]\nname = \"u\"\nrole = \"{role}\"\n{sectors}")
    }

    #[test]
    fn users_need_a_known_role_and_known_sectors() {
        assert_problem(
            &user("superuser", "sectors = [\"naco\"]\n"),
            7,
            "user `u`: role = \"superuser\" is not a role — use one of \"viewer\", \"operator\", \"admin\"",
        );
        assert_problem(&user("viewer", "sectors = []\n"), 8, "lists no sectors");
        assert_problem(&user("operator", ""), 5, "lists no sectors");
        assert_problem(
            &user("viewer", "sectors = [\"naco\", \"nacco\"]\n"),
            8,
            "sector \"nacco\" is not a sector of this site (neither [site].sector nor any unit's) — use one of \"naco\" or \"*\"",
        );
        assert_eq!(
            ok(&user("viewer", "sectors = [\"*\"]\n")).users[0].sectors,
            ["*"]
        );
    }

    #[test]
    fn two_outputs_may_not_write_the_same_file() {
        let out = |path: &str| {
            format!("[[output]]\nkind = \"jsonl\"\nwhat = \"alerts\"\npath = \"{path}\"\n")
        };
        let text = format!(
            "{BASE}{}{}",
            out("out/a.jsonl"),
            out("./out/../out/a.jsonl")
        );
        assert_problem(&text, 12, "output 2: path \"./out/../out/a.jsonl\" (/srv/site/./out/../out/a.jsonl) is already written by output 1");
        let text = format!("{BASE}{}", out("picket.sqlite"));
        assert_problem(&text, 8, "is already written by the store database");
    }

    #[test]
    fn latitudes_and_longitudes_must_be_in_range() {
        let text = BASE.replace("lat_deg = 31.345", "lat_deg = 95.0");
        assert_problem(&text, 3, "[site] origin: lat_deg = 95 is outside -90 … 90");
        let text = format!(
            "{BASE}{}",
            radar("r").replace("lon_deg = -109.95", "lon_deg = 190.0")
        );
        assert_problem(
            &text,
            10,
            "sensor `r`: position: lon_deg = 190 is outside -180 … 180",
        );
        let text = format!(
            "{BASE}{}",
            radar("r").replace("lon_deg = -109.95", "lon_deg = -109.95, alt_hae_m = nan")
        );
        assert_problem(&text, 10, "alt_hae_m = NaN is outside");
    }

    #[test]
    fn a_point_far_from_the_origin_is_caught_as_a_sign_error() {
        let text = format!(
            "{BASE}{}",
            radar("r").replace("lon_deg = -109.95", "lon_deg = 109.95")
        );
        assert_problem(&text, 10, "sensor `r`: position is ");
        assert_problem(&text, 10, "km from [site].origin");
    }

    #[test]
    fn api_listen_must_be_an_ip_and_port() {
        let text = format!("{BASE}[api]\nlisten = \"localhost:8080\"\n");
        assert_problem(
            &text,
            6,
            "[api] listen = \"localhost:8080\" is not an IP address and port",
        );
    }

    #[test]
    fn sensor_noise_bias_and_latency_are_read_and_checked() {
        let text = format!(
            "{BASE}{}sigma_range_m = 15.0\nsigma_azimuth_deg = 0.8\nsigma_elevation_deg = 1.5\n\
             bias_azimuth_deg = -1.25\nbias_range_m = 12\nbias_elevation_deg = 0.5\nlatency_ms = 250\n",
            radar("r")
        );
        let c = ok(&text);
        assert_eq!(
            c.sensors[0].model,
            picket_fusion::SensorModel {
                sigma_range_m: Some(15.0),
                sigma_azimuth_deg: Some(0.8),
                sigma_elevation_deg: Some(1.5),
                bias_azimuth_deg: -1.25,
                bias_range_m: 12.0,
                bias_elevation_deg: 0.5,
                latency_s: 0.25,
                ..Default::default()
            }
        );
        assert_eq!(c.sensors[0].model.validate(), Ok(()));
        // Unset: neutral.
        assert!(ok(&format!("{BASE}{}", radar("r"))).sensors[0]
            .model
            .is_neutral());
        let bad = format!(
            "{BASE}{}sigma_position_m = 0\nbias_azimuth_deg = 200\nlatency_ms = -5\nsigma_bearing_deg = 90\n",
            radar("r")
        );
        assert_problem(
            &bad,
            11,
            "sensor `r`: sigma_position_m = 0 must be a finite number > 0 and ≤ 1000000 — correct the value",
        );
        assert_problem(
            &bad,
            12,
            "sensor `r`: bias_azimuth_deg = 200 must be a finite number in [-180, 180]",
        );
        assert_problem(
            &bad,
            13,
            "sensor `r`: latency_ms = -5 must be a finite number in [0, 60000]",
        );
        assert_problem(
            &bad,
            14,
            "sigma_bearing_deg = 90 must be a finite number > 0 and ≤ 45",
        );
        assert_problem(
            &format!("{BASE}{}sigma_range = 3.0\n", radar("r")),
            11,
            "sigma_range",
        );
    }

    #[test]
    fn bad_overrides_are_rejected_at_their_key() {
        let text = format!("{BASE}[tracker]\ngate_chi2 = -1.0\nconfirm_hits = 4\nconfirm_window = 3\n[assessment]\nwarning_time_s = 20.0\nimminent_time_s = 40.0\nraise_after = 0\n");
        assert_problem(
            &text,
            6,
            "[tracker] gate_chi2 = -1 must be a finite number > 0",
        );
        assert_problem(
            &text,
            8,
            "confirm_window = 3 is smaller than confirm_hits = 4",
        );
        assert_problem(
            &text,
            11,
            "imminent_time_s = 40 is longer than warning_time_s = 20",
        );
        assert_problem(&text, 12, "raise_after = 0 must be at least 1");
        let text = format!(
            "{BASE}[tracker]\nimm_turn_rate_deg_s = 200\ndetection_probability = 1.0\n\
             imm_switch_per_s = 0\nmax_reported_misses = 65\n"
        );
        assert_problem(
            &text,
            6,
            "[tracker] imm_turn_rate_deg_s = 200 must be a finite number in [0, 180] — correct the value",
        );
        assert_problem(
            &text,
            7,
            "[tracker] detection_probability = 1 must be a finite number in [0.01, 0.999]",
        );
        assert_problem(
            &text,
            8,
            "[tracker] imm_switch_per_s = 0 must be a finite number in [0.0001, 100]",
        );
        assert_problem(
            &text,
            9,
            "[tracker] max_reported_misses = 65 must be at most 64",
        );
        assert_problem(
            &format!("{BASE}[tracker]\njpda = \"yes\"\n"),
            6,
            "invalid type: string \"yes\", expected a boolean — write true or false, without quotes",
        );
        let text = format!("{BASE}[tracker]\nconfirm_hits = -2\n");
        assert_problem(
            &text,
            6,
            "invalid value: integer `-2`, expected a whole number ≥ 0",
        );
    }

    #[test]
    fn every_problem_is_reported_in_file_order_not_only_the_first() {
        let text = format!(
            "{BASE}{}{}[[user]]\nname = \"u\"\nrole = \"boss\"\nsectors = [\"naco\"]\n",
            radar("r").replace("udp://0.0.0.0:4001", "udp://nowhere"),
            radar("r")
        );
        let e = err(&text);
        let lines: Vec<usize> = e
            .lines()
            .map(|l| {
                let rest = l
                    .strip_prefix(&format!("{FILE}:"))
                    .unwrap_or_else(|| panic!("{l}"));
                rest.split(':')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("{l}"))
            })
            .collect();
        assert_eq!(lines, [9, 12, 19], "{e}");
    }

    #[test]
    fn an_unreadable_file_says_so_without_a_line() {
        let e = load(Path::new("/nonexistent/picket/site.toml")).expect_err("no such file");
        assert_eq!(e.problems().len(), 1);
        assert_eq!(e.problems()[0].location, None);
        assert!(
            e.to_string()
                .starts_with("/nonexistent/picket/site.toml: cannot read the config file ("),
            "{e}"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(line_col("a\nbé x", 6), (2, 4));
        assert_eq!(line_col("abc", 99), (1, 4));
        assert_eq!(
            line_col("é", 1),
            (1, 1),
            "a split character backs off to its start"
        );
    }
}

/// `docs/config.md` is the user's reference: these tests keep every example in it true.
#[cfg(test)]
mod doc_tests {
    use super::*;

    /// A fenced block of the reference, with the `<!-- check: … -->` marker just before it.
    struct Block {
        marker: Option<String>,
        lang: String,
        body: String,
        md_line: usize,
    }

    fn doc_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/config.md")
    }

    fn blocks() -> Vec<Block> {
        let text = std::fs::read_to_string(doc_path()).expect("docs/config.md exists");
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        let mut open: Option<Block> = None;
        for (i, line) in text.lines().enumerate() {
            if let Some(block) = open.as_mut() {
                if line.trim_start().starts_with("```") {
                    out.extend(open.take());
                } else {
                    block.body.push_str(line);
                    block.body.push('\n');
                }
            } else if let Some(lang) = line.trim_start().strip_prefix("```") {
                open = Some(Block {
                    marker: marker.take(),
                    lang: lang.trim().to_owned(),
                    body: String::new(),
                    md_line: i + 1,
                });
            } else if let Some(m) = line.trim().strip_prefix("<!-- check:") {
                marker = Some(m.trim_end_matches("-->").trim().to_owned());
            } else if !line.trim().is_empty() {
                marker = None;
            }
        }
        assert!(open.is_none(), "docs/config.md ends inside a fenced block");
        out
    }

    const DOC_BASE: &str = "[site]
name = \"Doc site\"
origin = { lat_deg = 31.345, lon_deg = -109.948, alt_hae_m = 1400.0 }
sector = \"naco\"
";

    #[test]
    fn every_toml_example_in_the_reference_is_accepted() {
        let mut checked = 0;
        for b in blocks()
            .iter()
            .filter(|b| b.lang == "toml" && b.marker.is_none())
        {
            // Fragments are checked as part of a file that has a [site] table.
            let text = if b.body.contains("[site]") {
                b.body.clone()
            } else {
                format!("{DOC_BASE}{}", b.body)
            };
            if let Err(e) = parse(&text, Path::new("/srv/site/site.toml")) {
                panic!("docs/config.md block at line {}:\n{e}", b.md_line);
            }
            checked += 1;
        }
        assert!(checked >= 15, "only {checked} toml blocks found");
    }

    #[test]
    fn the_error_examples_in_the_reference_are_what_picket_prints() {
        let all = blocks();
        let mut compared = 0;
        for input in &all {
            let Some(name) = input
                .marker
                .as_deref()
                .and_then(|m| m.strip_prefix("error "))
            else {
                continue;
            };
            let expected = all
                .iter()
                .find(|b| b.marker.as_deref() == Some(&format!("output {name}")))
                .unwrap_or_else(|| panic!("no `output {name}` block for `error {name}`"));
            let got = parse(&input.body, Path::new("site.toml"))
                .expect_err("an error example must be rejected")
                .to_string();
            assert_eq!(
                got,
                expected.body.trim_end(),
                "docs/config.md line {}: update the documented output",
                expected.md_line
            );
            compared += 1;
        }
        assert!(compared >= 2, "only {compared} error examples found");
    }

    #[test]
    fn the_summary_in_the_reference_is_what_picket_prints() {
        let b = blocks()
            .into_iter()
            .find(|b| b.marker.as_deref() == Some("summary examples/naco.toml"))
            .expect("a summary example");
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
        let c = load(&examples.join("naco.toml")).unwrap_or_else(|e| panic!("{e}"));
        // The reference shows paths as they are when run from the repository root.
        let got = c
            .summary()
            .replace(&format!("{}/", examples.display()), "examples/");
        assert_eq!(got, b.body.trim_end());
    }
}
