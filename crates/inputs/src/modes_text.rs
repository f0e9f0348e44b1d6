//! ADS-B / Mode S receiver feeds of every format, over TCP (reconnecting) or from a file:
//! Beast binary (port 30005), AVR text (port 30002: `*HEX;`, `@TTTTTTTTTTTTHEX;`) and SBS-1
//! BaseStation CSV (port 30003).
//!
//! AVR frames go through the same Mode S decoder and CPR state as Beast frames. SBS lines are
//! already decoded by the receiver: positions come as latitude/longitude (no CPR), callsign and
//! velocity on lines of their own ([`picket_modes::SbsTracker`] joins them). A live feed's
//! observations are stamped with their reception time: AVR `@` ticks are a free-running
//! receiver clock, and SBS date/time fields are the receiver's local time without a zone. A
//! recording (`file:`) is played at its pace, timed from those same fields (AVR `@` ticks, SBS
//! generated date/time; see `stream::Pacer`); an AVR `*` record or an SBS line with empty
//! date/time fields takes the previous message's time.
//!
//! Hostile input: lines are bounded (a longer one is counted as malformed and skipped to its
//! newline), a garbage line is counted and the next line parses again.

use crate::beast::{decoder_at, observe_mode_s};
use crate::stream::{self, Clock, DataTime, Line, Lines, StreamDecoder, StreamSource};
use picket_core::Input;
use picket_modes::framing::{avr, sbs};
use picket_modes::{Decoder, SbsTracker, TrackerConfig};
use picket_pipeline::{AdapterContext, InputSink, LiveAdapter};

/// Longest AVR line accepted, bytes: receivers send one record (≤ 42 bytes) a line, but
/// several records on one line are valid AVR too.
pub const MAX_AVR_LINE_BYTES: usize = 4096;

/// The wire format of a Mode S receiver feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModesFormat {
    /// Beast binary.
    Beast,
    /// AVR text.
    Avr,
    /// SBS-1 / BaseStation CSV.
    Sbs,
}

/// A Mode S receiver feed: `format` bytes from `source`.
#[derive(Debug, Clone)]
pub struct ModesFeed {
    /// How the receiver encodes it.
    pub format: ModesFormat,
    /// Where it comes from.
    pub source: StreamSource,
}

impl LiveAdapter for ModesFeed {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let (format, source) = (self.format, self.source.clone());
        tokio::spawn(async move {
            match format {
                ModesFormat::Beast => crate::beast::run(source, ctx).await,
                ModesFormat::Avr => {
                    let d = LineStream::new(Avr {
                        decoder: decoder_at(ctx.position),
                    });
                    stream::run(source, "AVR", ctx, d).await
                }
                ModesFormat::Sbs => {
                    let d = LineStream::new(Sbs {
                        tracker: SbsTracker::new(&TrackerConfig::default()),
                    });
                    stream::run(source, "SBS", ctx, d).await
                }
            }
        })
    }
}

/// A text format of one or more records per line: what it decodes a line with, and how long a
/// line may be. Framing (bounded lines, over-long and cut lines counted) is [`LineStream`]'s.
trait LineFormat: Send {
    /// Longest line accepted, bytes.
    const MAX_LINE_BYTES: usize;
    /// The reason over-long and cut lines are counted under.
    const FRAMING_REASON: &'static str;
    /// Decodes one complete line (without its LF), stamping what it yields with `clock`.
    fn line(&mut self, text: &[u8], clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>);
}

/// A line-framed feed: splits the bytes into bounded lines and hands each to its format.
struct LineStream<F> {
    format: F,
    lines: Lines,
}

impl<F: LineFormat> LineStream<F> {
    fn new(format: F) -> Self {
        LineStream {
            format,
            lines: Lines::new(F::MAX_LINE_BYTES),
        }
    }
}

fn each_line<F: LineFormat>(
    format: &mut F,
    line: Line<'_>,
    clock: &mut Clock,
    sink: &InputSink,
    out: &mut Vec<Input>,
) {
    match line {
        Line::Text(t) => format.line(t, clock, sink, out),
        Line::TooLong => sink.reject(
            F::FRAMING_REASON,
            &format!("line longer than {} bytes", F::MAX_LINE_BYTES),
        ),
        Line::Cut => sink.reject(F::FRAMING_REASON, "line cut off by a dropped connection"),
    }
}

impl<F: LineFormat> StreamDecoder for LineStream<F> {
    fn start(&mut self) {
        self.lines.reset();
    }
    fn push(&mut self, bytes: &[u8], clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>) {
        let format = &mut self.format;
        self.lines
            .push(bytes, |l| each_line(format, l, clock, sink, out));
    }
    fn finish(&mut self, clean: bool, clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>) {
        let format = &mut self.format;
        self.lines
            .finish(clean, |l| each_line(format, l, clock, sink, out));
    }
}

/// AVR text: records per line, each a Mode S frame for the shared decoder.
struct Avr {
    decoder: Decoder,
}

impl LineFormat for Avr {
    const MAX_LINE_BYTES: usize = MAX_AVR_LINE_BYTES;
    const FRAMING_REASON: &'static str = "avr framing";

    fn line(&mut self, text: &[u8], clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>) {
        for record in avr::frames(text) {
            let frame = match record {
                Ok(f) => f,
                Err(e) => {
                    sink.reject(Self::FRAMING_REASON, &e.to_string());
                    continue;
                }
            };
            // Mode A/C replies (2 bytes) carry no address: nothing to observe.
            if frame.data().len() < 7 {
                continue;
            }
            let received = clock.stamp(frame.mlat_ticks.map_or(DataTime::Unknown, DataTime::ticks));
            match observe_mode_s(&mut self.decoder, sink.sensor_id(), frame.data(), received) {
                Some(Ok(i)) => out.push(i),
                Some(Err(e)) => sink.reject("mode s", &e),
                None => {}
            }
        }
    }
}

/// SBS-1 lines: receiver-decoded positions joined with callsign and velocity lines.
struct Sbs {
    tracker: SbsTracker,
}

/// BaseStation record types other than `MSG`: valid, but nothing to observe.
const SBS_OTHER_RECORDS: [&str; 5] = ["STA", "AIR", "ID", "SEL", "CLK"];

impl LineFormat for Sbs {
    const MAX_LINE_BYTES: usize = sbs::MAX_LINE_BYTES;
    const FRAMING_REASON: &'static str = "sbs";

    fn line(&mut self, text: &[u8], clock: &mut Clock, sink: &InputSink, out: &mut Vec<Input>) {
        if text.trim_ascii().is_empty() {
            return;
        }
        let m = match sbs::parse_line(text) {
            Ok(m) => m,
            Err(sbs::SbsError::NotMsg(kind)) if SBS_OTHER_RECORDS.contains(&kind.as_str()) => {
                return
            }
            Err(e) => {
                sink.reject("sbs", &e.to_string());
                return;
            }
        };
        let received = clock.stamp(m.time.map_or(DataTime::Unknown, DataTime::Absolute));
        let Some(fix) = self.tracker.update(&m, received.as_secs_f64()) else {
            return;
        };
        if let Some(o) = picket_modes::to_observation(sink.sensor_id(), received, &fix) {
            out.push(Input::Observation(o));
        }
    }
}
