//! ADS-B / Mode S from a receiver's Beast binary feed (dump1090, readsb, Radarcape: TCP port
//! 30005): reconnect with backoff, resynchronise after garbage, decode with CPR state kept
//! across frames, and turn airborne positions into observations.

use picket_core::Input;
use picket_modes::{BeastDeframer, BeastKind, Decoder, TrackerConfig};
use picket_pipeline::{AdapterContext, LiveAdapter};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// No byte from a Beast feed for this long: assume the connection is dead and reconnect.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A Beast TCP client connecting to `addr` (`host:port`).
#[derive(Debug, Clone)]
pub struct BeastTcp {
    /// The receiver's Beast output, e.g. `192.168.1.20:30005`.
    pub addr: String,
}

impl LiveAdapter for BeastTcp {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let addr = self.addr.clone();
        tokio::spawn(async move { run(addr, ctx).await })
    }
}

async fn run(addr: String, ctx: AdapterContext) {
    let AdapterContext {
        sink,
        position,
        mut shutdown,
    } = ctx;
    // CPR local decoding against the receiver's own position, when configured.
    let receiver = position.map(|p| (p.lat_deg, p.lon_deg));
    let mut decoder = Decoder::new(TrackerConfig {
        receiver,
        ..Default::default()
    });
    let mut backoff = Duration::from_millis(500);
    loop {
        let conn = tokio::select! {
            _ = shutdown.changed() => return,
            c = tokio::net::TcpStream::connect(&addr) => c,
        };
        match conn {
            Ok(mut stream) => {
                backoff = Duration::from_millis(500);
                sink.announce(true, format!("connected to Beast feed {addr}"));
                tracing::info!(sensor = %sink.sensor_id(), %addr, "Beast feed connected");
                let mut deframer = BeastDeframer::new();
                let mut buf = vec![0u8; 16 * 1024];
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
                    let mut chunk = &buf[..n];
                    let mut inputs = Vec::new();
                    while !chunk.is_empty() {
                        let took = deframer.push(chunk);
                        chunk = &chunk[took..];
                        while let Some(frame) = deframer.next_frame() {
                            let frame = match frame {
                                Ok(f) => f,
                                Err(e) => {
                                    sink.reject("beast framing", &e.to_string());
                                    continue;
                                }
                            };
                            match observe(&mut decoder, sink.sensor_id(), &frame, crate::wall_now())
                            {
                                Some(Ok(i)) => inputs.push(i),
                                Some(Err(e)) => sink.reject("mode s", &e),
                                None => {}
                            }
                        }
                        if took == 0 {
                            break;
                        }
                    }
                    for i in inputs {
                        if !sink.send(i).await {
                            return;
                        }
                    }
                }
                if let Some(e) = deframer.finish() {
                    sink.reject("beast framing", &e.to_string());
                }
                sink.announce(false, format!("Beast feed {addr} closed; reconnecting"));
                tracing::warn!(sensor = %sink.sensor_id(), %addr, "Beast feed closed; reconnecting");
            }
            Err(e) => {
                tracing::warn!(sensor = %sink.sensor_id(), %addr, "cannot connect to Beast feed: {e}; retrying in {backoff:?}")
            }
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
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
    // Reception time times CPR pairing: receivers' tick counters may be absent (0) or
    // GPS-format, and would pair frames of any age.
    let d = decoder.decode(frame.data(), Some(received.as_secs_f64()));
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
            decoder: Decoder::new(TrackerConfig {
                receiver: sensor.position.map(|p| (p.lat_deg, p.lon_deg)),
                ..Default::default()
            }),
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
