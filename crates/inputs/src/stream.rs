//! Byte-stream feeds shared by the receiver formats that come over TCP or from a file (Beast,
//! AVR, SBS-1): one reconnect-with-backoff loop, one file reader, and a bounded line splitter.
//! Each format plugs in as a [`StreamDecoder`].
//!
//! A live connection stamps messages with their reception time. A file is a recording: it is
//! played at its recorded pace, timed from the data ([`Pacer`]), so the CPR decoder pairs
//! frames as they were received and fusion sees aircraft move at their speed, not teleport.

use picket_core::{Input, Timestamp};
use picket_pipeline::{AdapterContext, Backoff, InputSink};
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// No byte from a feed for this long: assume the connection is dead and reconnect.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a stream feed's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSource {
    /// Connect as a TCP client to `host:port`, reconnecting with backoff.
    Tcp(String),
    /// Play a recording once, at its recorded pace (timed from the data: see [`Pacer`]).
    File(PathBuf),
}

impl std::fmt::Display for StreamSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StreamSource::Tcp(a) => write!(f, "tcp://{a}"),
            StreamSource::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

/// Turns a feed's bytes into inputs. Rejections are counted on the sink.
pub(crate) trait StreamDecoder: Send {
    /// A new connection (or the file) starts: framing state starts afresh; what is known of
    /// aircraft (CPR state, callsigns) is kept.
    fn start(&mut self);
    /// Bytes received; each message is stamped by `clock` from its own [`DataTime`].
    fn push(&mut self, bytes: &[u8], clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>);
    /// The stream ended: `clean` at the end of a file (a last line without its newline is
    /// still a line), not clean when a connection dropped (a partial line or frame was cut
    /// and is rejected, never parsed: a cut SBS line can still look valid).
    fn finish(&mut self, clean: bool, clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>);
}

/// A message's time by the feed's own clock; it paces a recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataTime {
    /// None usable: an AVR `*` record, a zero (absent) counter, an SBS line with empty date and
    /// time fields (a malformed date rejects the line in the codec).
    Unknown,
    /// The receiver's free-running 48-bit 12 MHz counter (Beast, AVR `@`): relative time only.
    Ticks12Mhz(u64),
    /// An absolute time (SBS-1 generated date and time, zone unknown): its differences pace.
    Absolute(Timestamp),
}

impl DataTime {
    /// A counter reading; 0 is what receivers without one send.
    pub(crate) fn ticks(ticks: u64) -> Self {
        if ticks == 0 {
            DataTime::Unknown
        } else {
            DataTime::Ticks12Mhz(ticks)
        }
    }

    /// Microseconds on the feed's clock, with which clock (counter or absolute).
    fn micros(self) -> Option<(bool, i64)> {
        match self {
            DataTime::Unknown => None,
            // 48 bits / 12 fits an i64 with room to spare.
            DataTime::Ticks12Mhz(t) => Some((true, (t / 12) as i64)),
            DataTime::Absolute(t) => Some((false, t.as_micros())),
        }
    }
}

/// How messages are stamped: live, with the chunk's reception time; from a file, at the
/// recording's pace.
pub(crate) enum Clock {
    /// Everything in this chunk was received at this wall-clock time.
    Received(Timestamp),
    /// A recording played back.
    Paced(Pacer),
}

impl Clock {
    /// The time of validity of a message with data time `t`.
    pub(crate) fn stamp(&mut self, t: DataTime) -> Timestamp {
        match self {
            Clock::Received(at) => *at,
            Clock::Paced(p) => p.stamp(t),
        }
    }

    /// When an input stamped `t` is due to be handed over (`None`: at once).
    fn due(&self, t: Timestamp) -> Option<tokio::time::Instant> {
        match self {
            Clock::Received(_) => None,
            Clock::Paced(p) => Some(p.due(t)),
        }
    }
}

/// A forward step of the data clock longer than this starts a new segment: a counter that
/// jumped, a concatenated file, or a receiver that was off. Playing the gap would only stall.
const MAX_GAP_US: i64 = 60_000_000;
/// A step back of up to this much is receivers' reordering (the shared recordings step back
/// up to 0.27 s, a thousand times a minute): the message keeps its own, earlier time, within
/// the live pipeline's 1 s reorder window. A longer step back is a counter reset or a
/// concatenated file: a new segment.
const MAX_REORDER_US: i64 = 1_000_000;

/// Maps a recording's data times to the wall clock. The first timed message is stamped with
/// the wall clock at start (so the live pipeline's future-time guard and watchdog hold), each
/// later one with start + (its data time − the first's), and is handed over when that time
/// comes. A message without a usable time takes the previous message's. A jump forward of more
/// than [`MAX_GAP_US`] or back of more than [`MAX_REORDER_US`] starts a new segment, anchored
/// at the later of now and the latest time stamped so far (time never runs backwards across
/// segments).
pub(crate) struct Pacer {
    start_wall: Timestamp,
    start: tokio::time::Instant,
    segment: Option<Segment>,
    /// Offset from start of the previous stamp (untimed messages take it), µs.
    last_us: i64,
    /// Latest offset stamped, µs.
    high_us: i64,
    /// Segments started after the first (counter resets, jumps).
    resyncs: u64,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    /// A counter (true) or absolute times.
    counter: bool,
    /// Data time of its first message and that message's offset from start, µs.
    data0_us: i64,
    offset0_us: i64,
    /// Latest data time seen in it, µs.
    max_data_us: i64,
}

impl Pacer {
    /// Start now.
    pub(crate) fn new() -> Self {
        Pacer {
            start_wall: crate::wall_now(),
            start: tokio::time::Instant::now(),
            segment: None,
            last_us: 0,
            high_us: 0,
            resyncs: 0,
        }
    }

    /// Segments started after the first.
    pub(crate) fn resyncs(&self) -> u64 {
        self.resyncs
    }

    fn stamp(&mut self, t: DataTime) -> Timestamp {
        let now_us = i64::try_from(self.start.elapsed().as_micros()).unwrap_or(i64::MAX);
        Timestamp::from_micros(
            self.start_wall
                .as_micros()
                .saturating_add(self.offset(t, now_us)),
        )
    }

    /// The offset from start of a message with data time `t`, `now_us` after start.
    fn offset(&mut self, t: DataTime, now_us: i64) -> i64 {
        let Some((counter, us)) = t.micros() else {
            if self.segment.is_none() {
                self.last_us = self.last_us.max(now_us).max(self.high_us);
            }
            return self.last_us;
        };
        let continues = self.segment.filter(|s| {
            s.counter == counter
                && us >= s.max_data_us.saturating_sub(MAX_REORDER_US)
                && us <= s.max_data_us.saturating_add(MAX_GAP_US)
        });
        let mut seg = match continues {
            Some(s) => s,
            None => {
                if self.segment.is_some() {
                    self.resyncs += 1;
                }
                Segment {
                    counter,
                    data0_us: us,
                    offset0_us: now_us.max(self.high_us),
                    max_data_us: us,
                }
            }
        };
        seg.max_data_us = seg.max_data_us.max(us);
        self.segment = Some(seg);
        // Within a segment the step is bounded by MAX_GAP_US plus the segment's span; a
        // saturating sum keeps a hostile file's extreme times from overflowing.
        let offset = seg
            .offset0_us
            .saturating_add(us.saturating_sub(seg.data0_us));
        self.last_us = offset;
        self.high_us = self.high_us.max(offset);
        offset
    }

    /// The instant a message stamped `t` is due.
    fn due(&self, t: Timestamp) -> tokio::time::Instant {
        let us = t.as_micros().saturating_sub(self.start_wall.as_micros());
        self.start + Duration::from_micros(u64::try_from(us).unwrap_or(0))
    }
}

/// Run a feed until shutdown (a file: until its end). `what` names the format in messages.
pub(crate) async fn run(
    source: StreamSource,
    what: &'static str,
    ctx: AdapterContext,
    decoder: impl StreamDecoder,
) {
    match source {
        StreamSource::Tcp(addr) => tcp(addr, what, ctx, decoder).await,
        StreamSource::File(path) => file(path, what, ctx, decoder).await,
    }
}

/// Hand inputs to the pipeline, each when `clock` says it is due; false when it is shutting
/// down.
async fn send_all(
    sink: &InputSink,
    clock: &Clock,
    inputs: &mut Vec<Input>,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    for i in inputs.drain(..) {
        if let Some(due) = clock.due(i.time()) {
            if due > tokio::time::Instant::now() {
                tokio::select! {
                    _ = shutdown.changed() => return false,
                    _ = tokio::time::sleep_until(due) => {}
                }
            }
        }
        if !sink.send(i).await {
            return false;
        }
    }
    true
}

async fn tcp(
    addr: String,
    what: &'static str,
    ctx: AdapterContext,
    mut decoder: impl StreamDecoder,
) {
    let AdapterContext {
        sink, mut shutdown, ..
    } = ctx;
    let mut backoff = Backoff::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut inputs = Vec::new();
    loop {
        let conn = tokio::select! {
            _ = shutdown.changed() => return,
            c = tokio::net::TcpStream::connect(&addr) => c,
        };
        let failed = match conn {
            Ok(mut stream) => {
                backoff.connected(tokio::time::Instant::now());
                sink.announce(true, format!("connected to {what} feed {addr}"));
                tracing::info!(sensor = %sink.sensor_id(), %addr, "{what} feed connected");
                decoder.start();
                loop {
                    // A receiver that vanished without closing (power, link) must not hold the
                    // feed forever: no byte for READ_TIMEOUT means reconnect.
                    let n = tokio::select! {
                        _ = shutdown.changed() => return,
                        r = tokio::time::timeout(READ_TIMEOUT, stream.read(&mut buf)) => match r {
                            Ok(r) => r.unwrap_or(0),
                            Err(_) => 0,
                        },
                    };
                    if n == 0 {
                        break;
                    }
                    let mut clock = Clock::Received(crate::wall_now());
                    decoder.push(&buf[..n], &mut clock, &sink, &mut inputs);
                    if !send_all(&sink, &clock, &mut inputs, &mut shutdown).await {
                        return;
                    }
                }
                let mut clock = Clock::Received(crate::wall_now());
                decoder.finish(false, &mut clock, &sink, &mut inputs);
                if !send_all(&sink, &clock, &mut inputs, &mut shutdown).await {
                    return;
                }
                sink.announce(false, format!("{what} feed {addr} closed; reconnecting"));
                tracing::warn!(sensor = %sink.sensor_id(), %addr, "{what} feed closed; reconnecting");
                backoff.disconnected(tokio::time::Instant::now());
                None
            }
            Err(e) => Some(e),
        };
        let delay = backoff.next_delay();
        if let Some(e) = failed {
            tracing::warn!(sensor = %sink.sensor_id(), %addr, "cannot connect to {what} feed: {e}; retrying in {delay:?}")
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

async fn file(
    path: PathBuf,
    what: &'static str,
    ctx: AdapterContext,
    mut decoder: impl StreamDecoder,
) {
    let AdapterContext {
        sink, mut shutdown, ..
    } = ctx;
    let mut f = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(sensor = %sink.sensor_id(), path = %path.display(), "cannot open {what} file: {e}");
            return;
        }
    };
    decoder.start();
    // Streamed a chunk at a time: what is decoded ahead of its time (one chunk's inputs) is
    // all that is held while waiting.
    let mut buf = vec![0u8; 64 * 1024];
    let mut inputs = Vec::new();
    let mut clock = Clock::Paced(Pacer::new());
    let mut resyncs = 0;
    loop {
        let n = tokio::select! {
            _ = shutdown.changed() => return,
            r = f.read(&mut buf) => r.unwrap_or(0),
        };
        if n == 0 {
            decoder.finish(true, &mut clock, &sink, &mut inputs);
            let _ = send_all(&sink, &clock, &mut inputs, &mut shutdown).await;
            tracing::info!(sensor = %sink.sensor_id(), path = %path.display(), "{what} file finished");
            return;
        }
        decoder.push(&buf[..n], &mut clock, &sink, &mut inputs);
        if let Clock::Paced(p) = &clock {
            if p.resyncs() > resyncs {
                resyncs = p.resyncs();
                tracing::info!(sensor = %sink.sensor_id(), path = %path.display(), "{what} file: its clock jumped or went back ({resyncs} times so far); playing on from now");
            }
        }
        if !send_all(&sink, &clock, &mut inputs, &mut shutdown).await {
            return;
        }
    }
}

/// Splits a byte stream into lines of at most `max` bytes (CR LF or LF; the CR is left for the
/// line parser). An over-long line is reported once and skipped up to its newline, so a
/// hostile peer that never sends one holds at most `max` bytes.
pub(crate) struct Lines {
    max: usize,
    pending: Vec<u8>,
    overlong: bool,
}

/// One piece of a [`Lines`] stream.
pub(crate) enum Line<'a> {
    /// A complete line (without its LF).
    Text(&'a [u8]),
    /// A line longer than the limit started here; its rest is skipped.
    TooLong,
    /// A partial line cut off by a dropped connection.
    Cut,
}

impl Lines {
    pub(crate) fn new(max: usize) -> Self {
        Lines {
            max,
            pending: Vec::new(),
            overlong: false,
        }
    }

    /// Forget a partial line (a new connection starts).
    pub(crate) fn reset(&mut self) {
        self.pending.clear();
        self.overlong = false;
    }

    pub(crate) fn push(&mut self, mut bytes: &[u8], mut each: impl FnMut(Line<'_>)) {
        while let Some(i) = bytes.iter().position(|b| *b == b'\n') {
            if !self.overlong {
                if self.pending.is_empty() && i <= self.max {
                    each(Line::Text(&bytes[..i]));
                } else if self.pending.len() + i <= self.max {
                    self.pending.extend_from_slice(&bytes[..i]);
                    each(Line::Text(&self.pending));
                } else {
                    each(Line::TooLong);
                }
            }
            self.pending.clear();
            self.overlong = false;
            bytes = &bytes[i + 1..];
        }
        if !self.overlong {
            if self.pending.len() + bytes.len() > self.max {
                each(Line::TooLong);
                self.pending.clear();
                self.overlong = true;
            } else {
                self.pending.extend_from_slice(bytes);
            }
        }
    }

    /// The end of the stream: `clean`, the last line even without a newline; otherwise a
    /// partial line is reported as [`Line::Cut`].
    pub(crate) fn finish(&mut self, clean: bool, mut each: impl FnMut(Line<'_>)) {
        if !self.overlong && !self.pending.is_empty() {
            each(if clean {
                Line::Text(&self.pending)
            } else {
                Line::Cut
            });
        }
        self.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;
    /// 12 MHz ticks of `us` microseconds after an arbitrary counter start.
    fn ticks(us: i64) -> DataTime {
        DataTime::ticks(5_000_000_000 + us as u64 * 12)
    }

    #[test]
    fn a_recording_is_timed_from_its_data_and_anchored_at_start() {
        let mut p = Pacer::new();
        // The first message is stamped now, later ones by their data time, however late
        // they are decoded.
        assert_eq!(p.offset(ticks(0), 7), 7);
        assert_eq!(p.offset(ticks(250_000), 8), 7 + 250_000);
        assert_eq!(p.offset(ticks(3 * S), 9), 7 + 3 * S);
        // No usable time (AVR `*`, a zero counter): the previous message's.
        assert_eq!(p.offset(DataTime::Unknown, 10), 7 + 3 * S);
        assert_eq!(p.offset(DataTime::ticks(0), 10), 7 + 3 * S);
        // Receivers' reordering: a step back within a second keeps its own time and the
        // segment goes on as before.
        assert_eq!(p.offset(ticks(3 * S - 270_000), 11), 7 + 3 * S - 270_000);
        assert_eq!(p.offset(ticks(3 * S + 1), 12), 7 + 3 * S + 1);
        // A gap of up to 60 s is played.
        assert_eq!(p.offset(ticks(63 * S + 1), 13), 7 + 63 * S + 1);
        assert_eq!(p.resyncs(), 0);
        // SBS: absolute times pace the same way.
        let mut p = Pacer::new();
        let t0 = Timestamp::parse_rfc3339("2018-04-03T19:02:28.136Z").unwrap();
        assert_eq!(p.offset(DataTime::Absolute(t0), 0), 0);
        assert_eq!(
            p.offset(DataTime::Absolute(t0.plus_secs_f64(1.5)), 0),
            1_500_000
        );
    }

    #[test]
    fn a_jump_or_a_step_back_starts_a_new_segment_from_now() {
        let mut p = Pacer::new();
        assert_eq!(p.offset(ticks(10 * S), 0), 0);
        assert_eq!(p.offset(ticks(12 * S), 0), 2 * S);
        // A counter reset (a concatenated file): back by more than a second. Re-anchored at
        // now, or at the latest time stamped when that is later (decoding runs ahead).
        assert_eq!(p.offset(ticks(S), 5 * S), 5 * S);
        assert_eq!(p.offset(ticks(2 * S), 5 * S), 6 * S);
        assert_eq!(p.offset(ticks(0), 0), 6 * S);
        assert_eq!(p.resyncs(), 2);
        // A jump of more than 60 s is not waited out.
        assert_eq!(p.offset(ticks(61 * S + 1), 6 * S + 10), 6 * S + 10);
        assert_eq!(p.resyncs(), 3);
        // A 48-bit counter wrapping round is a step back like any other.
        let mut p = Pacer::new();
        assert_eq!(p.offset(DataTime::ticks(0xFFFF_FFFF_FFFF), 0), 0);
        assert_eq!(p.offset(DataTime::ticks(12), 3), 3);
        assert_eq!(p.resyncs(), 1);
        // Hostile times do not overflow.
        let mut p = Pacer::new();
        let far = DataTime::Absolute(Timestamp::from_micros(i64::MAX));
        let before = DataTime::Absolute(Timestamp::from_micros(i64::MIN));
        assert_eq!(p.offset(before, 0), 0);
        assert_eq!(p.offset(far, 1), 1);
        assert!(p.offset(DataTime::Unknown, 2) >= 1);
    }

    #[test]
    fn messages_without_time_before_the_first_timed_one_are_stamped_now() {
        let mut p = Pacer::new();
        assert_eq!(p.offset(DataTime::Unknown, 40), 40);
        assert_eq!(p.offset(DataTime::Unknown, 90), 90);
        assert_eq!(p.offset(ticks(0), 100), 100);
        assert_eq!(p.offset(DataTime::Unknown, 500), 100);
        // Due times follow the stamps; the past is due at once.
        let t = p.stamp(ticks(S));
        let due = p.due(t);
        assert_eq!(due - p.start, Duration::from_micros(S as u64 + 100));
        assert_eq!(p.due(Timestamp::from_micros(0)), p.start);
    }

    fn split(chunks: &[&[u8]], max: usize) -> Vec<Option<Vec<u8>>> {
        let mut l = Lines::new(max);
        let mut out = Vec::new();
        let mut each = |x: Line<'_>| {
            out.push(match x {
                Line::Text(t) => Some(t.to_vec()),
                Line::TooLong | Line::Cut => None,
            })
        };
        for c in chunks {
            l.push(c, &mut each);
        }
        l.finish(true, &mut each);
        out
    }

    #[test]
    fn lines_across_chunks_and_a_final_line_without_newline() {
        let got = split(&[b"ab", b"c\nde\r\n", b"f"], 10);
        assert_eq!(
            got,
            vec![
                Some(b"abc".to_vec()),
                Some(b"de\r".to_vec()),
                Some(b"f".to_vec())
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_reported_once_and_the_next_line_parses() {
        let long = vec![b'x'; 100];
        let got = split(&[&long, &long, b"\nok\n"], 10);
        assert_eq!(got, vec![None, Some(b"ok".to_vec())]);
        let got = split(&[b"0123456789AB\nok\n"], 10);
        assert_eq!(got, vec![None, Some(b"ok".to_vec())]);
        // Exactly at the limit is fine, in one chunk or two.
        let got = split(&[b"01234", b"56789\n"], 10);
        assert_eq!(got, vec![Some(b"0123456789".to_vec())]);
    }

    #[test]
    fn a_line_cut_by_a_disconnect_is_not_a_line() {
        let mut l = Lines::new(100);
        let mut got = Vec::new();
        l.push(b"whole\nMSG,3,1,1,4CA", |x| {
            got.push(matches!(x, Line::Text(_)))
        });
        l.finish(false, |x| got.push(matches!(x, Line::Text(_))));
        assert_eq!(got, vec![true, false]);
    }
}
