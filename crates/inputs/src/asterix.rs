//! ASTERIX CAT-048 / CAT-034: each datagram's records become radar observations — live over
//! UDP ([`AsterixUdp`]), or replayed from a pcap's UDP payloads with their capture times
//! ([`AsterixPlayback`] for `picket replay`, [`AsterixPcapFile`] for `picket run`).
//! The radar's position comes from the config or, failing that, from its CAT-034 messages
//! (per data source SAC/SIC, so a capture of several radars places each at its own antenna).

use picket_asterix::observe::{target_report_to_observation, RadarSite};
use picket_asterix::{DataSource, Record};
use picket_core::{GeoPoint, Input, SensorId, Timestamp};
use picket_pipeline::{AdapterContext, FrameDecoder, FrameDecoderFactory, LiveAdapter, SensorInfo};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Distinct radars (data sources) remembered from CAT-034: a bound against a hostile feed
/// that cycles SAC/SIC values.
const MAX_RADARS: usize = 256;
/// Recent datagrams remembered to drop the copy a dual-LAN (A/B) radar feed sends.
const RECENT_DATAGRAMS: usize = 64;
/// A datagram identical to one received this recently is that copy, microseconds.
const DUPLICATE_WINDOW_US: i64 = 1_000_000;

/// A monoradar sending ASTERIX to `listen`.
#[derive(Debug, Clone)]
pub struct AsterixUdp {
    /// Address to listen on.
    pub listen: SocketAddr,
}

/// One record's outcome: an input, or (reason, detail) to count as rejected.
pub type Decoded = Result<Input, (&'static str, String)>;

/// The radar state of one ASTERIX feed: where each radar stands.
#[derive(Debug)]
pub struct AsterixDecoder {
    sensor_id: SensorId,
    configured: Option<RadarSite>,
    sites: HashMap<Option<DataSource>, RadarSite>,
    recent: std::collections::VecDeque<(u64, Timestamp)>,
}

impl AsterixDecoder {
    /// A decoder for `sensor_id`; `position` (from the config) wins over CAT-034.
    pub fn new(sensor_id: SensorId, position: Option<GeoPoint>) -> Self {
        AsterixDecoder {
            configured: position.map(|p| RadarSite::new(sensor_id.clone(), p)),
            sensor_id,
            sites: HashMap::new(),
            recent: std::collections::VecDeque::with_capacity(RECENT_DATAGRAMS),
        }
    }

    /// Whether the same bytes came within the duplicate window (radars send every datagram
    /// on two networks; a site that listens to both must not fuse each plot twice).
    fn is_duplicate(&mut self, bytes: &[u8], at: Timestamp) -> bool {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        let key = h.finish();
        let recent_copy = self.recent.iter().any(|(k, t)| {
            *k == key && (at.as_micros() - t.as_micros()).abs() <= DUPLICATE_WINDOW_US
        });
        if !recent_copy {
            if self.recent.len() == RECENT_DATAGRAMS {
                self.recent.pop_front();
            }
            self.recent.push_back((key, at));
        }
        recent_copy
    }

    /// The site a CAT-048 of `source` is measured from.
    fn site(&self, source: Option<DataSource>) -> Option<&RadarSite> {
        if let Some(s) = &self.configured {
            return Some(s);
        }
        // A report without I048/010 belongs to the only radar known, if there is one.
        // A report naming another radar is never placed at this one.
        self.sites
            .get(&source)
            .or_else(|| match (source, self.sites.len()) {
                (None, 1) => self.sites.values().next(),
                _ => None,
            })
    }

    /// Decodes one datagram received at `reference` (which also dates CAT-048's time of day).
    /// Simulated targets and test transponders are dropped silently: they are not traffic;
    /// so is the second copy of a datagram (dual-LAN feeds).
    pub fn datagram(&mut self, bytes: &[u8], reference: Timestamp, out: &mut Vec<Decoded>) {
        if self.is_duplicate(bytes, reference) {
            return;
        }
        for rec in picket_asterix::records(bytes) {
            let r = match rec {
                Ok(r) => r,
                Err(e) => {
                    out.push(Err(("asterix", e.to_string())));
                    continue;
                }
            };
            match r.record {
                Record::Cat034(c) => {
                    if let Some(p) = RadarSite::position_from_cat034(&c) {
                        if self.sites.len() < MAX_RADARS || self.sites.contains_key(&c.data_source)
                        {
                            let site = RadarSite::new(self.sensor_id.clone(), p);
                            self.sites.insert(c.data_source, site);
                        }
                    }
                }
                Record::Cat048(report) => {
                    let Some(site) = self.site(report.data_source) else {
                        out.push(Err((
                            "no radar position",
                            "CAT-048 before any position of its radar: set `position` or let the radar send CAT-034 I034/120".into(),
                        )));
                        continue;
                    };
                    match target_report_to_observation(&report, site, reference) {
                        Ok(o) if o.simulated || o.test_target => {}
                        Ok(o) => out.push(Ok(Input::Observation(o.observation))),
                        Err(e) => out.push(Err(("asterix", e.to_string()))),
                    }
                }
                Record::Unsupported { category } => {
                    out.push(Err(("unsupported category", format!("CAT-{category:03}"))));
                }
            }
        }
    }
}

impl LiveAdapter for AsterixUdp {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let listen = self.listen;
        tokio::spawn(async move { serve(listen, ctx).await })
    }
}

/// Hands one datagram's outcome to the sink; false when the pipeline is shutting down.
async fn deliver(sink: &picket_pipeline::InputSink, out: &mut Vec<Decoded>) -> bool {
    for d in out.drain(..) {
        match d {
            Ok(i) => {
                if !sink.send(i).await {
                    return false;
                }
            }
            Err((reason, detail)) => sink.reject(reason, &detail),
        }
    }
    true
}

async fn serve(listen: SocketAddr, ctx: AdapterContext) {
    let AdapterContext {
        sink,
        position,
        mut shutdown,
        ..
    } = ctx;
    let socket = match tokio::net::UdpSocket::bind(listen).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(sensor = %sink.sensor_id(), %listen, "cannot listen for ASTERIX: {e}");
            return;
        }
    };
    tracing::info!(sensor = %sink.sensor_id(), %listen, "listening for ASTERIX CAT-048/034");
    let mut decoder = AsterixDecoder::new(sink.sensor_id().clone(), position);
    let mut buf = vec![0u8; 65_536];
    let mut out = Vec::new();
    loop {
        let n = tokio::select! {
            _ = shutdown.changed() => return,
            r = socket.recv_from(&mut buf) => match r { Ok((n, _)) => n, Err(_) => continue },
        };
        decoder.datagram(&buf[..n], crate::wall_now(), &mut out);
        if !deliver(&sink, &mut out).await {
            return;
        }
    }
}

/// Recorded ASTERIX datagrams (a pcap's UDP payloads) played through the same decoding as the
/// live feed; each is dated by its capture time.
#[derive(Debug, Clone, Default)]
pub struct AsterixPlayback;

struct AsterixFrames(AsterixDecoder);

impl FrameDecoderFactory for AsterixPlayback {
    fn make(&self, sensor: &SensorInfo) -> Box<dyn FrameDecoder> {
        Box::new(AsterixFrames(AsterixDecoder::new(
            sensor.id.clone(),
            sensor.position,
        )))
    }
}

impl FrameDecoder for AsterixFrames {
    fn decode(&mut self, received: Timestamp, bytes: &[u8], out: &mut Vec<Result<Input, String>>) {
        let mut decoded = Vec::new();
        self.0.datagram(bytes, received, &mut decoded);
        out.extend(
            decoded
                .into_iter()
                .map(|d| d.map_err(|(reason, detail)| format!("{reason}: {detail}"))),
        );
    }
}

/// A pcap capture's UDP payloads, with their capture times, for `picket replay`: one
/// [`picket_pipeline::PlaybackFrame`] per datagram. Packets that are not UDP are passed over;
/// a capture cut short (a truncated last record) keeps what came before, with a warning.
pub fn pcap_frames(
    sensor_id: &SensorId,
    file: &[u8],
) -> Result<Vec<picket_pipeline::PlaybackFrame>, picket_asterix::capture::CaptureError> {
    let mut frames = Vec::new();
    for d in picket_asterix::capture::udp_datagrams(file)? {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(sensor = %sensor_id, "ASTERIX capture ends early: {e}");
                break;
            }
        };
        frames.push(picket_pipeline::PlaybackFrame {
            sensor_id: sensor_id.clone(),
            received: d.time,
            bytes: d.payload.to_vec(),
        });
    }
    Ok(frames)
}

/// `picket run` with an ASTERIX pcap as the source: the capture is read once, as fast as the
/// pipeline takes it (as a file of JSON lines is), each datagram dated by its capture time.
/// Streamed: a blocking reader holds one record and at most `READ_AHEAD_DATAGRAMS` payloads
/// ahead of the pipeline, so a capture of any size replays in bounded memory. A capture cut
/// short (a truncated last record) replays what came before; the cut is counted as malformed
/// (reason `capture truncated`; a read error: `capture unreadable`) and logged.
#[derive(Debug, Clone)]
pub struct AsterixPcapFile {
    /// The capture (classic libpcap).
    pub path: PathBuf,
}

/// UDP payloads read ahead of the pipeline from a capture file.
const READ_AHEAD_DATAGRAMS: usize = 256;

/// What the capture reader hands the adapter.
enum FromCapture {
    /// A UDP payload and its capture time.
    Datagram(Timestamp, Vec<u8>),
    /// The file cannot be opened or is not a classic pcap: nothing is replayed.
    Unreadable(String),
    /// The capture stops early, for the reason (`capture truncated`: a record cut short;
    /// `capture unreadable`: a read error, an impossible record length): what came before
    /// stands.
    EndsEarly(&'static str, String),
}

impl LiveAdapter for AsterixPcapFile {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let path = self.path.clone();
        tokio::spawn(async move {
            let AdapterContext {
                sink,
                position,
                mut shutdown,
                ..
            } = ctx;
            let (tx, mut rx) = tokio::sync::mpsc::channel(READ_AHEAD_DATAGRAMS);
            let file = path.clone();
            // File reads block: on their own thread, which stops when `rx` is dropped.
            tokio::task::spawn_blocking(move || read_capture(&file, &tx));
            let mut decoder = AsterixDecoder::new(sink.sensor_id().clone(), position);
            let mut out = Vec::new();
            let mut datagrams = 0u64;
            loop {
                let item = tokio::select! {
                    _ = shutdown.changed() => return,
                    i = rx.recv() => i,
                };
                match item {
                    None => break,
                    Some(FromCapture::Datagram(received, bytes)) => {
                        datagrams += 1;
                        decoder.datagram(&bytes, received, &mut out);
                        if !deliver(&sink, &mut out).await {
                            return;
                        }
                    }
                    Some(FromCapture::Unreadable(e)) => {
                        tracing::error!(sensor = %sink.sensor_id(), path = %path.display(), "ASTERIX capture unreadable: {e}");
                        return;
                    }
                    Some(FromCapture::EndsEarly(reason, e)) => {
                        tracing::warn!(sensor = %sink.sensor_id(), path = %path.display(), "ASTERIX capture ends early: {e}");
                        sink.reject(reason, &e);
                        break;
                    }
                }
            }
            tracing::info!(sensor = %sink.sensor_id(), path = %path.display(), datagrams, "ASTERIX capture finished");
        })
    }
}

/// Reads the UDP payloads of the capture at `path` into `tx` (blocking when it is full),
/// until the end, an error, or the receiver is gone.
fn read_capture(path: &std::path::Path, tx: &tokio::sync::mpsc::Sender<FromCapture>) {
    use picket_pcap::{CaptureError, ReadError};
    let send = |item| tx.blocking_send(item).is_ok();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            send(FromCapture::Unreadable(format!("cannot open it: {e}")));
            return;
        }
    };
    let mut reader = match picket_pcap::PacketReader::new(std::io::BufReader::new(file)) {
        Ok(r) => r,
        Err(e) => {
            send(FromCapture::Unreadable(e.to_string()));
            return;
        }
    };
    // As `picket replay` reads it (`pcap_frames`): classic libpcap only.
    if reader.format() != picket_pcap::CaptureFormat::Pcap {
        send(FromCapture::Unreadable(
            "pcapng is not supported here; save it as classic pcap".into(),
        ));
        return;
    }
    while let Some(packet) = reader.next_packet() {
        let p = match packet {
            Ok(p) => p,
            Err(e) => {
                let reason = match e {
                    ReadError::Capture(CaptureError::Truncated { .. }) => "capture truncated",
                    _ => "capture unreadable",
                };
                send(FromCapture::EndsEarly(reason, e.to_string()));
                return;
            }
        };
        // Every classic pcap record has a time; only pcapng simple packet blocks lack one.
        let Some(ns) = p.timestamp_ns else { continue };
        let Some((_, _, payload)) = picket_asterix::capture::udp_of_frame(p.link_type.0, p.data)
        else {
            continue;
        };
        let received = Timestamp::from_micros(ns.div_euclid(1_000));
        if !send(FromCapture::Datagram(received, payload.to_vec())) {
            return;
        }
    }
}
