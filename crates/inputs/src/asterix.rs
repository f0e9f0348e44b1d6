//! ASTERIX CAT-048 / CAT-034 over UDP: each datagram's records become radar observations.
//! The radar's position comes from the config or, failing that, from its CAT-034 messages.

use picket_asterix::observe::{target_report_to_observation, RadarSite};
use picket_asterix::Record;
use picket_core::Input;
use picket_pipeline::{AdapterContext, LiveAdapter};
use std::net::SocketAddr;

/// A monoradar sending ASTERIX to `listen`.
#[derive(Debug, Clone)]
pub struct AsterixUdp {
    /// Address to listen on.
    pub listen: SocketAddr,
}

impl LiveAdapter for AsterixUdp {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let listen = self.listen;
        tokio::spawn(async move { serve(listen, ctx).await })
    }
}

async fn serve(listen: SocketAddr, ctx: AdapterContext) {
    let AdapterContext {
        sink,
        position,
        mut shutdown,
    } = ctx;
    let socket = match tokio::net::UdpSocket::bind(listen).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(sensor = %sink.sensor_id(), %listen, "cannot listen for ASTERIX: {e}");
            return;
        }
    };
    tracing::info!(sensor = %sink.sensor_id(), %listen, "listening for ASTERIX CAT-048/034");
    let mut site = position.map(|p| RadarSite::new(sink.sensor_id().clone(), p));
    let configured = site.is_some();
    let mut buf = vec![0u8; 65_536];
    loop {
        let n = tokio::select! {
            _ = shutdown.changed() => return,
            r = socket.recv_from(&mut buf) => match r { Ok((n, _)) => n, Err(_) => continue },
        };
        let now = crate::wall_now();
        let mut inputs = Vec::new();
        for rec in picket_asterix::records(&buf[..n]) {
            match rec {
                Err(e) => sink.reject("asterix", &e.to_string()),
                Ok(r) => match r.record {
                    Record::Cat034(c) => {
                        if !configured {
                            if let Some(p) = RadarSite::position_from_cat034(&c) {
                                site = Some(RadarSite::new(sink.sensor_id().clone(), p));
                            }
                        }
                    }
                    Record::Cat048(report) => {
                        let Some(s) = &site else {
                            sink.reject(
                                "no radar position",
                                "CAT-048 before any position: set `position` or let the radar send CAT-034 I034/120",
                            );
                            continue;
                        };
                        match target_report_to_observation(&report, s, now) {
                            // Simulated targets and test transponders are not traffic.
                            Ok(o) if o.simulated || o.test_target => {}
                            Ok(o) => inputs.push(Input::Observation(o.observation)),
                            Err(e) => sink.reject("asterix", &e.to_string()),
                        }
                    }
                    Record::Unsupported { category } => {
                        sink.reject("unsupported category", &format!("CAT-{category:03}"));
                    }
                },
            }
        }
        for i in inputs {
            if !sink.send(i).await {
                return;
            }
        }
    }
}
