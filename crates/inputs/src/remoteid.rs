//! Remote ID from captured radio frames (radiotap + 802.11 with the ASTM F3411 vendor element):
//! the built-in scenario's receivers, and recordings of real ones. Frames whose radio CRC
//! failed are quarantined (counted), never observations. One [`Assembler`] per sensor joins
//! each aircraft's messages across frames and addresses and attaches its spoof evidence; the
//! sensor's configured position lets it check signal strength against claimed distance.

use picket_core::{Input, SensorId, Timestamp};
use picket_pcap::LinkType;
use picket_pipeline::{FrameDecoder, FrameDecoderFactory, SensorInfo};
use picket_remoteid::capture::RecordBuilder;
use picket_remoteid::{Assembler, DecodeRecord, ObservationContext};

/// Plays recorded radiotap frames through the Remote ID decoder.
#[derive(Debug, Clone, Default)]
pub struct RemoteIdPlayback;

struct RemoteIdFrames {
    assembler: Assembler,
    observations: Vec<picket_core::Observation>,
    builder: RecordBuilder,
    frame: u64,
}

impl FrameDecoderFactory for RemoteIdPlayback {
    fn make(&self, sensor: &SensorInfo) -> Box<dyn FrameDecoder> {
        let mut context = ObservationContext::new(SensorId(sensor.id.0.clone()));
        context.receiver_position = sensor.position;
        Box::new(RemoteIdFrames {
            assembler: Assembler::new(context),
            observations: Vec::new(),
            builder: RecordBuilder::new(),
            frame: 0,
        })
    }
}

impl FrameDecoder for RemoteIdFrames {
    fn decode(&mut self, received: Timestamp, bytes: &[u8], out: &mut Vec<Result<Input, String>>) {
        self.frame += 1;
        let decoded = match picket_remoteid::decode_frame(LinkType::RADIOTAP, bytes) {
            Ok(d) => d,
            Err(e) => return out.push(Err(e.to_string())),
        };
        let mut records: Vec<DecodeRecord> = Vec::new();
        self.builder
            .records(self.frame, Some(received), &decoded, &mut records);
        for r in &records {
            if let Some(q) = &r.quarantine {
                out.push(Err(format!("quarantined: {}", q.detail)));
            }
        }
        self.assembler.push(&records, &mut self.observations);
        out.extend(
            self.observations
                .drain(..)
                .map(|o| Ok(Input::Observation(o))),
        );
    }
}
