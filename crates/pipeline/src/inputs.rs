//! Input adapters: UDP, TCP client, file, and playback of a recorded / simulated feed.
//! Each turns bytes into lines and lines into [`Input`]s through the sensor's decoder;
//! a malformed line is counted and logged with its reason, and the stream goes on.

use crate::metrics::{Counter, Metrics};
use crate::state::{Event, SharedState};
use picket_core::{Input, SensorId, Timestamp};
use picket_obsjson::{SensorContext, MAX_LINE_BYTES};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::{broadcast, mpsc, watch};

/// No byte from a TCP feed for this long: assume the connection is dead and reconnect.
const TCP_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a sensor's bytes come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Datagrams on a UDP socket (one or more lines each).
    Udp(std::net::SocketAddr),
    /// A TCP server Picket connects to (lines), reconnecting with backoff.
    Tcp(String),
    /// A file of lines, read once as fast as the pipeline takes them.
    File(std::path::PathBuf),
    /// A protocol adapter from another crate (SAPIENT server, Beast client, ...).
    Adapter(Arc<dyn LiveAdapter>),
}

/// A live input component of its own protocol: it owns its sockets, decodes with its codec
/// and hands [`Input`]s to its [`InputSink`] until shutdown.
pub trait LiveAdapter: Send + Sync + std::fmt::Debug {
    /// Start the adapter's task(s); the returned task ends after shutdown.
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()>;
}

/// What a [`LiveAdapter`] gets to work with.
pub struct AdapterContext {
    /// Where its inputs go (counted per sensor).
    pub sink: InputSink,
    /// The sensor's configured position, if any.
    pub position: Option<picket_core::GeoPoint>,
    /// Turns true at shutdown.
    pub shutdown: watch::Receiver<bool>,
}

/// One sensor's door into the pipeline: counts inputs and rejects, keeps feed health.
#[derive(Clone)]
pub struct InputSink {
    tx: mpsc::Sender<IngestMsg>,
    sensor_id: SensorId,
    state: SharedState,
    metrics: Arc<Metrics>,
    events: broadcast::Sender<Arc<Event>>,
    inputs: Counter,
    logged: Counter,
    acknowledger: Option<crate::stages::Acknowledger>,
}

impl InputSink {
    pub(crate) fn new(
        tx: mpsc::Sender<IngestMsg>,
        sensor_id: SensorId,
        state: SharedState,
        metrics: Arc<Metrics>,
        events: broadcast::Sender<Arc<Event>>,
    ) -> Self {
        let inputs = metrics.counter(
            "picket_input_lines_total",
            "Lines received per sensor.",
            &[("sensor", &sensor_id.0)],
        );
        InputSink {
            tx,
            sensor_id,
            state,
            metrics,
            events,
            inputs,
            logged: Counter::default(),
            acknowledger: None,
        }
    }
    /// With a way to acknowledge alerts (for inputs that hear people answer, e.g. TAK chat).
    pub(crate) fn with_acknowledger(mut self, a: crate::stages::Acknowledger) -> Self {
        self.acknowledger = Some(a);
        self
    }
    /// Acknowledges alerts for a person this input identified (same path as the API's).
    pub fn acknowledger(&self) -> Option<&crate::stages::Acknowledger> {
        self.acknowledger.as_ref()
    }
    /// The sensor this sink belongs to.
    pub fn sensor_id(&self) -> &SensorId {
        &self.sensor_id
    }
    /// Hand one decoded input to fusion (waits when fusion is behind: backpressure).
    /// False when the pipeline is shutting down.
    pub async fn send(&self, input: Input) -> bool {
        self.count_input_at(input.time());
        self.tx.send(IngestMsg::Input(input)).await.is_ok()
    }
    /// Count one good input of data time `t` (the caller hands it on itself).
    pub(crate) fn count_input_at(&self, t: Timestamp) {
        self.inputs.inc();
        if let Ok(mut s) = self.state.write() {
            if let Some(st) = s.sensors.get_mut(&self.sensor_id) {
                st.lines += 1;
                st.last_time = Some(t);
            }
        }
    }
    /// Count and log (rate-limited) a rejected frame or message.
    pub fn reject(&self, reason: &str, detail: &str) {
        self.inputs.inc();
        self.metrics
            .counter(
                "picket_input_malformed_total",
                "Lines rejected as malformed, per sensor and reason.",
                &[("sensor", &self.sensor_id.0), ("reason", reason)],
            )
            .inc();
        if let Ok(mut s) = self.state.write() {
            if let Some(st) = s.sensors.get_mut(&self.sensor_id) {
                st.lines += 1;
                st.malformed += 1;
            }
        }
        let n = self.logged.get();
        self.logged.inc();
        if n < 10 || n.is_multiple_of(100) {
            tracing::warn!(sensor = %self.sensor_id, reason, "input rejected: {detail}");
        }
    }
    /// Tell live clients something about the sensor (connected, registered, ...).
    pub fn announce(&self, up: bool, reason: String) {
        let _ = self.events.send(Arc::new(Event::Sensor {
            sensor_id: self.sensor_id.clone(),
            up,
            reason,
        }));
    }
}

/// One line of a playback feed (a recorded or simulated stream).
#[derive(Clone, Debug, PartialEq)]
pub struct PlaybackLine {
    /// The sensor that sent it.
    pub sensor_id: SensorId,
    /// The line, in the sensor's wire format.
    pub line: String,
}

/// How fast a playback runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// As fast as the pipeline takes it.
    Max,
    /// This many times real time (1.0 = real time).
    Speed(f64),
}

/// Message from ingest to fusion.
// Inputs dominate; boxing them would cost an allocation per observation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum IngestMsg {
    /// A decoded input.
    Input(Input),
    /// Live mode: data up to this time may be processed (wall clock minus reorder window).
    Watermark(Timestamp),
}

/// Decoding of one sensor's lines; counting and feed health go through its [`InputSink`].
#[derive(Clone)]
pub(crate) struct LineDecoder {
    ctx: SensorContext,
    sink: InputSink,
}

impl LineDecoder {
    pub(crate) fn new(ctx: SensorContext, sink: InputSink) -> Self {
        LineDecoder { ctx, sink }
    }

    pub(crate) fn sensor_id(&self) -> &SensorId {
        &self.ctx.sensor_id
    }

    /// Decode one line; count and log a malformed one.
    pub(crate) fn decode(&self, raw: &[u8]) -> Option<Input> {
        let line = match std::str::from_utf8(raw) {
            Ok(s) => s.trim(),
            Err(_) => {
                self.sink.reject("not UTF-8", "line is not valid UTF-8");
                return None;
            }
        };
        if line.is_empty() {
            // Counted as received, but no message and no feed-health change.
            self.sink.inputs.inc();
            return None;
        }
        match picket_obsjson::decode_line(line, &self.ctx) {
            Ok(input) => {
                self.sink.count_input_at(input.time());
                Some(input)
            }
            Err(e) => {
                let reason = match &e {
                    picket_obsjson::ObsJsonError::TooLong(_) => "too long",
                    picket_obsjson::ObsJsonError::Json(_) => "bad record",
                    picket_obsjson::ObsJsonError::Time(_) => "bad time",
                    picket_obsjson::ObsJsonError::Measurement => "no measurement",
                    picket_obsjson::ObsJsonError::NoSensorPosition(_) => "no sensor position",
                    picket_obsjson::ObsJsonError::OutOfRange { .. } => "out of range",
                    picket_obsjson::ObsJsonError::WrongSensor { .. } => "wrong sensor",
                    picket_obsjson::ObsJsonError::Icao(_) => "bad icao",
                };
                self.sink.reject(reason, &e.to_string());
                None
            }
        }
    }
}

/// Splits a byte stream into lines of bounded length.
#[derive(Default)]
pub(crate) struct LineSplitter {
    pending: Vec<u8>,
    overlong: bool,
}

impl LineSplitter {
    /// Feed bytes; call `each` for every complete line. An over-long line is passed as the
    /// first `MAX_LINE_BYTES + 1` bytes (so the decoder rejects it) and the rest is skipped.
    pub(crate) fn push(&mut self, mut bytes: &[u8], mut each: impl FnMut(&[u8])) {
        while let Some(i) = bytes.iter().position(|b| *b == b'\n') {
            if !self.overlong {
                self.pending.extend_from_slice(&bytes[..i]);
                each(&self.pending);
            }
            self.pending.clear();
            self.overlong = false;
            bytes = &bytes[i + 1..];
        }
        if !self.overlong {
            self.pending.extend_from_slice(bytes);
            if self.pending.len() > MAX_LINE_BYTES {
                self.pending.truncate(MAX_LINE_BYTES + 1);
                each(&self.pending);
                self.pending.clear();
                self.overlong = true;
            }
        }
    }
    /// The last line if the stream ended without a newline.
    pub(crate) fn finish(&mut self, mut each: impl FnMut(&[u8])) {
        if !self.overlong && !self.pending.is_empty() {
            each(&self.pending);
        }
        self.pending.clear();
    }
}

async fn forward(tx: &mpsc::Sender<IngestMsg>, input: Option<Input>) -> bool {
    match input {
        Some(i) => tx.send(IngestMsg::Input(i)).await.is_ok(),
        None => true,
    }
}

/// Run one live input until shutdown (or end of file).
pub(crate) async fn run_live(
    decoder: LineDecoder,
    source: Source,
    tx: mpsc::Sender<IngestMsg>,
    mut shutdown: watch::Receiver<bool>,
    events: broadcast::Sender<Arc<Event>>,
) {
    let sensor = decoder.sensor_id().clone();
    match source {
        Source::Udp(addr) => {
            let socket = match tokio::net::UdpSocket::bind(addr).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(%sensor, %addr, "cannot listen for UDP: {e}");
                    return;
                }
            };
            tracing::info!(%sensor, %addr, "listening for UDP lines");
            let mut buf = vec![0u8; 65_536];
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    r = socket.recv_from(&mut buf) => {
                        let Ok((n, _peer)) = r else { continue };
                        let mut split = LineSplitter::default();
                        let mut inputs = Vec::new();
                        split.push(&buf[..n], |l| inputs.push(decoder.decode(l)));
                        split.finish(|l| inputs.push(decoder.decode(l)));
                        for i in inputs {
                            if !forward(&tx, i).await { return; }
                        }
                    }
                }
            }
        }
        Source::Tcp(addr) => {
            let mut backoff = Duration::from_millis(500);
            loop {
                let conn = tokio::select! {
                    _ = shutdown.changed() => return,
                    c = tokio::net::TcpStream::connect(&addr) => c,
                };
                match conn {
                    Ok(mut stream) => {
                        tracing::info!(%sensor, %addr, "connected");
                        let _ = events.send(Arc::new(Event::Sensor {
                            sensor_id: sensor.clone(),
                            up: true,
                            reason: format!("connected to {addr}"),
                        }));
                        backoff = Duration::from_millis(500);
                        let mut split = LineSplitter::default();
                        let mut buf = vec![0u8; 16_384];
                        loop {
                            // A peer that vanished without closing must not hold the feed:
                            // no byte for TCP_READ_TIMEOUT means reconnect.
                            let n = tokio::select! {
                                _ = shutdown.changed() => return,
                                r = tokio::time::timeout(TCP_READ_TIMEOUT, stream.read(&mut buf)) => match r {
                                    Ok(r) => r.unwrap_or(0),
                                    Err(_) => 0,
                                },
                            };
                            if n == 0 {
                                break;
                            }
                            let mut inputs = Vec::new();
                            split.push(&buf[..n], |l| inputs.push(decoder.decode(l)));
                            for i in inputs {
                                if !forward(&tx, i).await {
                                    return;
                                }
                            }
                        }
                        tracing::warn!(%sensor, %addr, "connection closed; reconnecting");
                    }
                    Err(e) => {
                        tracing::warn!(%sensor, %addr, "cannot connect: {e}; retrying in {backoff:?}")
                    }
                }
                tokio::select! {
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
        Source::File(path) => {
            let mut f = match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) => {
                    tracing::error!(%sensor, path = %path.display(), "cannot open input file: {e}");
                    return;
                }
            };
            let mut split = LineSplitter::default();
            let mut buf = vec![0u8; 65_536];
            loop {
                let n = tokio::select! {
                    _ = shutdown.changed() => return,
                    r = f.read(&mut buf) => r.unwrap_or(0),
                };
                let mut inputs = Vec::new();
                if n == 0 {
                    split.finish(|l| inputs.push(decoder.decode(l)));
                } else {
                    split.push(&buf[..n], |l| inputs.push(decoder.decode(l)));
                }
                for i in inputs {
                    if !forward(&tx, i).await {
                        return;
                    }
                }
                if n == 0 {
                    tracing::info!(%sensor, path = %path.display(), "input file finished");
                    return;
                }
            }
        }
        Source::Adapter(_) => unreachable!("adapters are spawned by the pipeline itself"),
    }
}

/// One recorded frame of a binary feed (Beast, SAPIENT, a radio capture), with the time it
/// was received: binary formats carry no absolute time of their own, a recording does.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaybackFrame {
    /// The sensor that received it.
    pub sensor_id: SensorId,
    /// When it was received (data time).
    pub received: Timestamp,
    /// The frame, in the sensor's wire format.
    pub bytes: Vec<u8>,
}

/// Decodes one sensor's recorded frames (state such as CPR pairing or a SAPIENT session lives
/// in it). A rejected frame yields `Err(reason)`; it is counted and the playback goes on.
pub trait FrameDecoder: Send {
    /// Decode one frame received at `received`.
    fn decode(&mut self, received: Timestamp, bytes: &[u8], out: &mut Vec<Result<Input, String>>);
}

/// Makes a [`FrameDecoder`] for a sensor of the site.
pub trait FrameDecoderFactory: Send + Sync + std::fmt::Debug {
    /// A fresh decoder for `sensor`.
    fn make(&self, sensor: &crate::SensorInfo) -> Box<dyn FrameDecoder>;
}

/// The next item of a playback: a line or a frame, merged by time.
// Short-lived, one at a time: boxing the input would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Next {
    Line(Option<Input>),
    Frame(usize),
}

/// Play a time-ordered feed through the decoders, paced by data time. Lines (which carry their
/// own time) and frames (received at a recorded time) are merged in time order.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_playback(
    decoders: Vec<LineDecoder>,
    lines: Vec<PlaybackLine>,
    frames: Vec<PlaybackFrame>,
    mut frame_decoders: Vec<(SensorId, Box<dyn FrameDecoder>, InputSink)>,
    pace: Pace,
    tx: mpsc::Sender<IngestMsg>,
    mut shutdown: watch::Receiver<bool>,
) {
    let unknown = |s: &SensorId| tracing::warn!(sensor = %s, "playback item for a sensor the site does not have; dropped");
    let mut first: Option<(Timestamp, tokio::time::Instant)> = None;
    let (mut li, mut fi) = (0usize, 0usize);
    // The next line, decoded ahead so its time is known (`Some(None)`: it was malformed).
    let mut pending: Option<Option<Input>> = None;
    let mut n = 0usize;
    let mut out = Vec::new();
    loop {
        n += 1;
        if n.is_multiple_of(256) && *shutdown.borrow_and_update() {
            return;
        }
        if pending.is_none() && li < lines.len() {
            let pl = &lines[li];
            let input = match decoders.iter().find(|d| d.sensor_id() == &pl.sensor_id) {
                Some(dec) => dec.decode(pl.line.as_bytes()),
                None => {
                    unknown(&pl.sensor_id);
                    None
                }
            };
            pending = Some(input);
            li += 1;
        }
        let next = match (&pending, frames.get(fi)) {
            (None, None) => return,
            (Some(Some(i)), Some(f)) if f.received < i.time() => Next::Frame(fi),
            (Some(_), _) => Next::Line(pending.take().flatten()),
            (None, Some(_)) => Next::Frame(fi),
        };
        let inputs: Vec<Input> = match next {
            Next::Line(None) => continue,
            Next::Line(Some(i)) => vec![i],
            Next::Frame(k) => {
                fi += 1;
                let f = &frames[k];
                let Some((_, dec, sink)) = frame_decoders
                    .iter_mut()
                    .find(|(id, _, _)| id == &f.sensor_id)
                else {
                    unknown(&f.sensor_id);
                    continue;
                };
                out.clear();
                dec.decode(f.received, &f.bytes, &mut out);
                let mut ok = Vec::new();
                for r in out.drain(..) {
                    match r {
                        Ok(i) => ok.push(i),
                        Err(reason) => sink.reject("frame", &reason),
                    }
                }
                // Count what the frame gave, as a live adapter would.
                for i in &ok {
                    sink.count_input_at(i.time());
                }
                ok
            }
        };
        for input in inputs {
            if let Pace::Speed(speed) = pace {
                let t = input.time();
                let (t0, w0) = *first.get_or_insert((t, tokio::time::Instant::now()));
                let due = w0 + Duration::from_secs_f64((t.seconds_since(t0) / speed).max(0.0));
                if due > tokio::time::Instant::now() {
                    tokio::select! {
                        _ = shutdown.changed() => return,
                        _ = tokio::time::sleep_until(due) => {}
                    }
                }
            }
            if tx.send(IngestMsg::Input(input)).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitter_handles_chunks_crlf_and_overlong_lines() {
        let mut s = LineSplitter::default();
        let mut got: Vec<Vec<u8>> = Vec::new();
        s.push(b"ab", |l| got.push(l.to_vec()));
        s.push(b"c\nde\r\nf", |l| got.push(l.to_vec()));
        s.finish(|l| got.push(l.to_vec()));
        assert_eq!(got, vec![b"abc".to_vec(), b"de\r".to_vec(), b"f".to_vec()]);

        let mut got: Vec<usize> = Vec::new();
        let long = vec![b'x'; MAX_LINE_BYTES * 3];
        s.push(&long, |l| got.push(l.len()));
        s.push(b"tail\nok\n", |l| got.push(l.len()));
        assert_eq!(
            got,
            vec![MAX_LINE_BYTES + 1, 2],
            "overlong line cut once, rest skipped"
        );
    }
}
