//! ADS-B / Mode S from a receiver's Beast binary feed (dump1090, readsb, Radarcape: TCP port
//! 30005): reconnect with backoff, resynchronise after garbage, decode with CPR state kept
//! across frames, and turn airborne positions into observations.

use crate::stream::{self, Clock, DataTime, StreamDecoder, StreamSource};
use picket_core::Input;
use picket_modes::{BeastDeframer, BeastKind, Decoder, TrackerConfig};
use picket_pipeline::{AdapterContext, InputSink, LiveAdapter};

/// A Beast TCP client connecting to `addr` (`host:port`).
#[derive(Debug, Clone)]
pub struct BeastTcp {
    /// The receiver's Beast output, e.g. `192.168.1.20:30005`.
    pub addr: String,
}

impl LiveAdapter for BeastTcp {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        crate::modes_text::ModesFeed {
            format: crate::modes_text::ModesFormat::Beast,
            source: StreamSource::Tcp(self.addr.clone()),
        }
        .spawn(ctx)
    }
}

/// A decoder for the receiver's position (CPR local decoding against it), if configured.
pub(crate) fn decoder_at(position: Option<picket_core::GeoPoint>) -> Decoder {
    Decoder::new(TrackerConfig {
        receiver: position.map(|p| (p.lat_deg, p.lon_deg)),
        ..Default::default()
    })
}

/// Beast bytes of a live feed or a file: deframed with resynchronisation, decoded with CPR
/// state kept across reconnections.
pub(crate) struct BeastStream {
    pub(crate) decoder: Decoder,
    pub(crate) deframer: BeastDeframer,
}

impl StreamDecoder for BeastStream {
    fn start(&mut self) {
        self.deframer = BeastDeframer::new();
    }

    fn push(
        &mut self,
        mut chunk: &[u8],
        clock: &mut Clock,
        sink: &InputSink,
        out: &mut Vec<Input>,
    ) {
        while !chunk.is_empty() {
            let took = self.deframer.push(chunk);
            chunk = &chunk[took..];
            while let Some(frame) = self.deframer.next_frame() {
                let frame = match frame {
                    Ok(f) => f,
                    Err(e) => {
                        sink.reject("beast framing", &e.to_string());
                        continue;
                    }
                };
                // Only Mode S frames are stamped: the others are not observed, and a status
                // frame's time may be in another format.
                if !matches!(frame.kind, BeastKind::ModeSShort | BeastKind::ModeSLong) {
                    continue;
                }
                // The 12 MHz counter paces a recording (a live feed: reception time).
                let received = clock.stamp(DataTime::ticks(frame.mlat_ticks));
                match observe(&mut self.decoder, sink.sensor_id(), &frame, received) {
                    Some(Ok(i)) => out.push(i),
                    Some(Err(e)) => sink.reject("mode s", &e),
                    None => {}
                }
            }
            if took == 0 {
                break;
            }
        }
    }

    fn finish(
        &mut self,
        _clean: bool,
        _clock: &mut Clock,
        sink: &InputSink,
        _out: &mut Vec<Input>,
    ) {
        if let Some(e) = self.deframer.finish() {
            sink.reject("beast framing", &e.to_string());
        }
    }
}

pub(crate) async fn run(source: StreamSource, ctx: AdapterContext) {
    let decoder = BeastStream {
        decoder: decoder_at(ctx.position),
        deframer: BeastDeframer::new(),
    };
    stream::run(source, "Beast", ctx, decoder).await
}

/// One Beast frame received at `received`, live or recorded: an airborne position becomes an
/// observation, a frame that fails Mode S decoding a rejection with its reason; anything else
/// (Mode A/C, status, replies without a position) gives nothing.
fn observe(
    decoder: &mut Decoder,
    sensor_id: &picket_core::SensorId,
    frame: &picket_modes::BeastFrame,
    received: picket_core::Timestamp,
) -> Option<Result<Input, String>> {
    if !matches!(frame.kind, BeastKind::ModeSShort | BeastKind::ModeSLong) {
        return None;
    }
    observe_mode_s(decoder, sensor_id, frame.data(), received)
}

/// One Mode S frame (7 or 14 bytes; Beast or AVR) received at `received`.
pub(crate) fn observe_mode_s(
    decoder: &mut Decoder,
    sensor_id: &picket_core::SensorId,
    data: &[u8],
    received: picket_core::Timestamp,
) -> Option<Result<Input, String>> {
    // Reception time times CPR pairing: receivers' tick counters may be absent (0) or
    // GPS-format, and would pair frames of any age.
    let d = decoder.decode(data, Some(received.as_secs_f64()));
    match (&d.message, &d.fix) {
        (Err(e), _) => Some(Err(e.to_string())),
        (Ok(_), Some(fix)) => picket_modes::to_observation(sensor_id, received, fix)
            .map(|o| Ok(Input::Observation(o))),
        (Ok(_), None) => None,
    }
}

/// Recorded Beast frames (the built-in scenario's ADS-B receiver, or a recording) played
/// through the same decoding as the live feed, stamped with their recorded reception time.
#[derive(Debug, Clone, Default)]
pub struct BeastPlayback;

struct BeastFrames {
    sensor_id: picket_core::SensorId,
    decoder: Decoder,
}

impl picket_pipeline::FrameDecoderFactory for BeastPlayback {
    fn make(&self, sensor: &picket_pipeline::SensorInfo) -> Box<dyn picket_pipeline::FrameDecoder> {
        Box::new(BeastFrames {
            sensor_id: sensor.id.clone(),
            decoder: decoder_at(sensor.position),
        })
    }
}

impl picket_pipeline::FrameDecoder for BeastFrames {
    fn decode(
        &mut self,
        received: picket_core::Timestamp,
        bytes: &[u8],
        out: &mut Vec<Result<Input, String>>,
    ) {
        for frame in picket_modes::framing::beast::frames(bytes) {
            let frame = match frame {
                Ok(f) => f,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    continue;
                }
            };
            if let Some(r) = observe(&mut self.decoder, &self.sensor_id, &frame, received) {
                out.push(r);
            }
        }
    }
}
