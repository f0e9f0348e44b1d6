//! Recorded SAPIENT frames (length-prefixed protobuf, as a node sends them over TCP) played
//! back through the fusion node's own session: Registration first, StatusReports for the
//! node's position, DetectionReports as observations. The built-in scenario's radar speaks
//! this way in `picket demo`.

use picket_core::{Input, Timestamp};
use picket_pipeline::{FrameDecoder, FrameDecoderFactory, SensorInfo};
use picket_sapient::{Event, MappingOptions, Session};

/// Picket's node id in played-back sessions (replies are not sent anywhere).
const PLAYBACK_NODE_ID: &str = "00000000-0000-4000-8000-00000000d3e0";

/// Plays a sensor's recorded SAPIENT byte stream through a [`Session`].
#[derive(Debug, Clone, Default)]
pub(crate) struct SapientPlayback;

struct SapientFrames(Session);

impl FrameDecoderFactory for SapientPlayback {
    fn make(&self, sensor: &SensorInfo) -> Box<dyn FrameDecoder> {
        Box::new(SapientFrames(Session::new(
            PLAYBACK_NODE_ID,
            sensor.id.clone(),
            MappingOptions::default(),
        )))
    }
}

impl FrameDecoder for SapientFrames {
    fn decode(&mut self, received: Timestamp, bytes: &[u8], out: &mut Vec<Result<Input, String>>) {
        for e in self.0.on_bytes(bytes, received) {
            match e {
                Event::Observation(o) => out.push(Ok(Input::Observation(o.observation))),
                Event::Rejected { reason } => out.push(Err(reason)),
                // Replies go nowhere in a playback; status and other messages carry nothing
                // fusion needs (the session keeps the node's position itself).
                _ => {}
            }
        }
    }
}
