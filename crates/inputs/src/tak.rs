//! Officers' own positions from TAK: friendly SA (`a-f-G-…`) received from a TAK server
//! connection (TCP client, or mutual TLS on the server's port 8089) or from a mesh (UDP, multicast such as 239.2.3.1:6969 or a
//! unicast port), mapped by device uid or callsign to a moving unit.
//!
//! Everything else on the wire (chat, markers, other sides' tracks, Picket's own events) is
//! not SA and is passed over without counting as malformed; undecodable bytes are rejected
//! and counted. A report whose device already calls it stale (a server replaying its store
//! to a new client) is skipped. A unit whose reports stop is flagged stale by assessment
//! after its `stale_after`, like any moving unit.
//!
//! Acknowledgements: on a mesh anyone can send under any uid, so a chat `ACK` heard there
//! acknowledges nothing unless the site opts in (`accept_acks_from_mesh`, unsafe); then an
//! `ACK` from a unit's device acknowledges that unit's alerts. (On a TAK server connection,
//! replies to Picket reach the TAK output's connection, which handles them.)

use crate::tak_tls::{TakTlsClient, TlsError, TlsFiles};
use picket_core::{Input, Timestamp, UnitId, UnitPosition};
use picket_cot::framing::decode_datagram;
use picket_cot::negotiation::is_negotiation_event;
use picket_cot::sa::is_friendly_ground;
use picket_cot::{parse_ack, AckRequest, ChatLine, CotEvent, FriendlySa, Limits, StreamDecoder};
use picket_pipeline::Backoff;
use picket_pipeline::{AdapterContext, InputSink, LiveAdapter, UnitAck};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::watch;

/// Mesh acknowledgements waiting for the pipeline, at most (all TAK inputs together).
const MESH_ACK_CAP: usize = 64;
static MESH_ACKS_IN_FLIGHT: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(MESH_ACK_CAP)));

/// Where TAK SA comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TakSaSource {
    /// Datagrams on this address; a multicast address is joined on every interface
    /// (the port is shared with other TAK software on the host).
    Udp(SocketAddr),
    /// A TAK server's plain streaming port, `HOST:PORT` (Picket connects, reconnecting
    /// with backoff).
    Tcp(String),
    /// A TAK server's TLS port with client certificates (`HOST`, `PORT`; usually 8089).
    Tls {
        /// Host name or IP address; the server's certificate must name it.
        host: String,
        /// Port.
        port: u16,
        /// The CA, Picket's certificate and key.
        files: TlsFiles,
    },
}

/// Which device is which unit: by uid (preferred: stable per device) or by callsign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakUnitMapping {
    /// The moving unit the reports belong to.
    pub unit_id: UnitId,
    /// The device's CoT uid (e.g. `ANDROID-589520ccfcd20f01`).
    pub uid: Option<String>,
    /// The device's callsign (exact match, surrounding spaces ignored).
    pub callsign: Option<String>,
}

/// Friendly SA in, unit positions out.
#[derive(Clone, Debug)]
pub struct TakSaInput {
    /// Where the SA comes from.
    pub source: TakSaSource,
    /// Devices of units; reports of other devices are ignored.
    pub units: Vec<TakUnitMapping>,
    /// Height given to reports without one (the site's ground), metres above the ellipsoid.
    pub fallback_hae_m: f64,
    /// Mesh (`Udp`) only: take `ACK` chat lines from units' devices as acknowledgements.
    /// Unsafe — anyone on the mesh can claim a device's uid — so off unless configured.
    pub accept_acks_from_mesh: bool,
}

impl LiveAdapter for TakSaInput {
    fn spawn(&self, ctx: AdapterContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let AdapterContext { sink, shutdown, .. } = ctx;
            if me.accept_acks_from_mesh && matches!(me.source, TakSaSource::Udp(_)) {
                tracing::warn!(sensor = %sink.sensor_id(), "acknowledgements are accepted from the mesh: anyone on it can acknowledge units' alerts");
            }
            if me.units.is_empty() {
                tracing::warn!(sensor = %sink.sensor_id(), "no moving unit has a callsign or tak_uid: TAK SA will move no unit");
            }
            match me.source.clone() {
                TakSaSource::Udp(addr) => me.serve_udp(addr, sink, shutdown).await,
                TakSaSource::Tcp(addr) => me.serve_tcp(&addr, None, sink, shutdown).await,
                TakSaSource::Tls { host, port, files } => match load_tls(files, &host).await {
                    Ok(tls) => {
                        let addr = format!("{host}:{port}");
                        me.serve_tcp(&addr, Some(tls), sink, shutdown).await
                    }
                    Err(e) => {
                        sink.announce(false, format!("TAK server {host}:{port}: {e}"));
                        tracing::error!(sensor = %sink.sensor_id(), "TAK SA over TLS not started: {e}");
                    }
                },
            }
        })
    }
}

/// Loads the TLS material off the async workers: it reads files, which blocks.
async fn load_tls(files: TlsFiles, host: &str) -> Result<TakTlsClient, TlsError> {
    let host = host.to_owned();
    tokio::task::spawn_blocking(move || TakTlsClient::load(&files, &host))
        .await
        .map_err(|e| TlsError::Setup(format!("loading the TLS files: {e}")))?
}

/// What to do with one received event.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// A position of a unit.
    Position(UnitPosition),
    /// Not friendly SA, or a device of no unit: not ours.
    Ignore,
    /// Friendly SA of a unit that was stale when it arrived.
    Stale,
    /// An `ACK` from a unit's device (mesh, opted in).
    Ack(UnitAck),
}

impl TakSaInput {
    /// The unit a report belongs to: uid first, then callsign.
    fn unit_of(&self, uid: &str, callsign: Option<&str>) -> Option<&UnitId> {
        self.units
            .iter()
            .find(|m| m.uid.as_deref().map(str::trim) == Some(uid))
            .or_else(|| {
                let cs = callsign?;
                self.units
                    .iter()
                    .find(|m| m.callsign.as_deref().map(str::trim) == Some(cs))
            })
            .map(|m| &m.unit_id)
    }

    /// An acknowledgement in a chat line, when this input takes them (mesh, opted in).
    fn ack(&self, event: &CotEvent) -> Option<UnitAck> {
        let TakSaSource::Udp(addr) = &self.source else {
            return None;
        };
        if !self.accept_acks_from_mesh {
            return None;
        }
        let chat = ChatLine::from_event(event)?;
        let req = parse_ack(&chat.text)?;
        let unit_id = self
            .unit_of(&chat.sender_uid, chat.sender_callsign.as_deref())?
            .clone();
        let uid: String = chat.sender_uid.chars().take(64).collect();
        let callsign = chat.sender_callsign.as_deref().unwrap_or("?");
        Some(UnitAck {
            unit_id,
            alert_id: match req {
                AckRequest::All => None,
                AckRequest::Alert(id) => Some(id),
            },
            by: format!("{callsign} (TAK mesh {uid})"),
            via: format!("TAK mesh udp://{addr} chat from {uid} (accept_acks_from_mesh)"),
            sent: Some(chat.time),
        })
    }

    fn judge(&self, event: &CotEvent, now: Timestamp) -> Verdict {
        if let Some(ack) = self.ack(event) {
            return Verdict::Ack(ack);
        }
        if is_negotiation_event(event) || !is_friendly_ground(&event.cot_type) {
            return Verdict::Ignore;
        }
        let Ok(sa) = FriendlySa::from_event(event) else {
            return Verdict::Ignore;
        };
        let Some(unit) = self.unit_of(&sa.uid, sa.callsign.as_deref()) else {
            return Verdict::Ignore;
        };
        if sa.is_stale_at(now) {
            return Verdict::Stale;
        }
        let mut pos = sa.to_unit_position(unit.clone(), self.fallback_hae_m);
        // A device clock running ahead must not hold the position back in the reorder
        // buffer: a report cannot be from later than its reception.
        pos.time = pos.time.min(now);
        Verdict::Position(pos)
    }

    /// Hands one event on; false when the pipeline is shutting down.
    async fn deliver(&self, sink: &InputSink, event: &CotEvent) -> bool {
        match self.judge(event, crate::wall_now()) {
            Verdict::Position(pos) => sink.send(Input::UnitPosition(pos)).await,
            Verdict::Stale => {
                tracing::debug!(sensor = %sink.sensor_id(), uid = %event.uid, "stale SA skipped");
                true
            }
            Verdict::Ignore => true,
            Verdict::Ack(ack) => {
                if let Some(a) = sink.acknowledger().cloned() {
                    let sensor = sink.sensor_id().clone();
                    // A flood of acknowledgements must not grow tasks without bound (the
                    // alerting stage serves them before its steps): past the cap, dropped.
                    let Some(permit) = MESH_ACKS_IN_FLIGHT.clone().try_acquire_owned().ok() else {
                        tracing::warn!(%sensor, unit = %ack.unit_id, "acknowledgement from the mesh dropped: {MESH_ACK_CAP} already waiting");
                        return true;
                    };
                    // Off the receive loop: the pipeline's answer must not hold up SA.
                    tokio::spawn(async move {
                        let _permit = permit;
                        match a.acknowledge_unit(ack.clone()).await {
                            Ok(done) => {
                                tracing::info!(%sensor, unit = %ack.unit_id, by = %ack.by, "{} alerts acknowledged from the mesh", done.len())
                            }
                            Err(e) => {
                                tracing::warn!(%sensor, unit = %ack.unit_id, by = %ack.by, "acknowledgement from the mesh refused: {e}")
                            }
                        }
                    });
                }
                true
            }
        }
    }

    async fn serve_udp(
        &self,
        addr: SocketAddr,
        sink: InputSink,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let socket = match bind_udp(addr) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(sensor = %sink.sensor_id(), %addr, "cannot listen for TAK SA: {e}");
                return;
            }
        };
        tracing::info!(sensor = %sink.sensor_id(), %addr, "listening for TAK SA (mesh)");
        let limits = Limits::default();
        let mut buf = vec![0u8; 65_536];
        loop {
            let n = tokio::select! {
                _ = shutdown.changed() => return,
                r = socket.recv_from(&mut buf) => match r { Ok((n, _)) => n, Err(_) => continue },
            };
            match decode_datagram(&buf[..n], &limits) {
                Ok(d) => {
                    if let Some(ev) = d.event {
                        if !self.deliver(&sink, &ev).await {
                            return;
                        }
                    }
                }
                Err(e) => sink.reject("cot", &e.to_string()),
            }
        }
    }

    async fn serve_tcp(
        &self,
        addr: &str,
        tls: Option<TakTlsClient>,
        sink: InputSink,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let mut backoff = Backoff::new();
        let mut failures: u64 = 0;
        loop {
            let connected = tokio::select! {
                _ = shutdown.changed() => return,
                r = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(addr)) => r,
            };
            let connected = match (connected, &tls) {
                (Ok(Ok(tcp)), Some(tls)) => {
                    let hs = tokio::time::timeout(Duration::from_secs(10), tls.connect(tcp));
                    match tokio::select! { _ = shutdown.changed() => return, r = hs => r } {
                        Ok(Ok(s)) => Ok(Ok(Stream::Tls(Box::new(s)))),
                        Ok(Err(e)) => Ok(Err(std::io::Error::other(format!(
                            "TLS handshake failed: {e}"
                        )))),
                        Err(e) => Err(e),
                    }
                }
                (Ok(Ok(tcp)), None) => Ok(Ok(Stream::Tcp(tcp))),
                (Ok(Err(e)), _) => Ok(Err(e)),
                (Err(e), _) => Err(e),
            };
            match connected {
                Ok(Ok(stream)) => {
                    // Connected is not yet healthy: a server that accepts and drops us at once
                    // (full, refusing our certificate after the handshake) keeps backing off.
                    backoff.connected(tokio::time::Instant::now());
                    failures = 0;
                    sink.announce(true, format!("connected to the TAK server {addr}"));
                    tracing::info!(sensor = %sink.sensor_id(), addr, "receiving TAK SA from the server");
                    let why = match stream {
                        Stream::Tcp(s) => self.read_stream(s, &sink, &mut shutdown).await,
                        Stream::Tls(s) => self.read_stream(s, &sink, &mut shutdown).await,
                    };
                    match why {
                        None => return,
                        Some(why) => {
                            backoff.disconnected(tokio::time::Instant::now());
                            sink.announce(false, format!("TAK server {addr}: {why}"));
                            tracing::warn!(sensor = %sink.sensor_id(), addr, "TAK SA connection lost: {why}");
                        }
                    }
                }
                Ok(Err(e)) => {
                    failures += 1;
                    if failures <= 3 || failures.is_multiple_of(20) {
                        tracing::warn!(sensor = %sink.sensor_id(), addr, "cannot connect to the TAK server: {e}");
                    }
                }
                Err(_) => {
                    failures += 1;
                    tracing::warn!(sensor = %sink.sensor_id(), addr, "TAK server did not answer within 10 s");
                }
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(backoff.next_delay()) => {}
            }
        }
    }

    /// Reads one connection; `None` at shutdown, otherwise why it ended.
    async fn read_stream<S: AsyncRead + Unpin>(
        &self,
        mut stream: S,
        sink: &InputSink,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<String> {
        // Picket only listens here, so it never asks for protobuf: the stream stays XML.
        let mut decoder = StreamDecoder::new(Limits::default());
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = tokio::select! {
                _ = shutdown.changed() => return None,
                r = stream.read(&mut buf) => match r {
                    Ok(0) => return Some("closed by the server".into()),
                    Ok(n) => n,
                    Err(e) => return Some(format!("read failed: {e}")),
                },
            };
            decoder.push(&buf[..n]);
            loop {
                match decoder.next_event() {
                    Ok(Some(ev)) => {
                        if !self.deliver(sink, &ev).await {
                            return None;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        sink.reject("cot", &e.to_string());
                        if e.is_fatal() {
                            return Some(format!("stream unreadable: {e}"));
                        }
                    }
                }
            }
        }
    }
}

/// A connection to a TAK server, plain or TLS.
enum Stream {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// A UDP socket for `addr`: multicast groups are joined on a socket bound to the group's
/// port on every interface, shared with other listeners (TAK devices and tools on the
/// same host listen to the same mesh port).
fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let ip = addr.ip();
    if !ip.is_multicast() {
        let s = std::net::UdpSocket::bind(addr)?;
        s.set_nonblocking(true)?;
        return UdpSocket::from_std(s);
    }
    let domain = if ip.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    let any: IpAddr = match ip {
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    socket.bind(&SocketAddr::new(any, addr.port()).into())?;
    match ip {
        IpAddr::V4(g) => socket.join_multicast_v4(&g, &Ipv4Addr::UNSPECIFIED)?,
        IpAddr::V6(g) => socket.join_multicast_v6(&g, 0)?,
    }
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use picket_cot::xml::decode_xml;

    fn sa(uid: &str, callsign: &str, time: &str, stale: &str) -> CotEvent {
        decode_xml(format!(
            r#"<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="m-g" time="{time}" start="{time}" stale="{stale}"><point lat="31.3391" lon="-109.9402" hae="1402.5" ce="4.9" le="9999999.0"/><detail><contact callsign="{callsign}"/><__group name="Cyan" role="Team Member"/></detail></event>"#
        ).as_bytes())
        .expect("valid SA")
    }

    fn input() -> TakSaInput {
        TakSaInput {
            source: TakSaSource::Udp("127.0.0.1:0".parse().unwrap()),
            units: vec![
                TakUnitMapping {
                    unit_id: "patrol-7".into(),
                    uid: Some("ANDROID-77".into()),
                    callsign: None,
                },
                TakUnitMapping {
                    unit_id: "patrol-8".into(),
                    uid: None,
                    callsign: Some("PATROL8".into()),
                },
            ],
            fallback_hae_m: 1400.0,
            accept_acks_from_mesh: false,
        }
    }

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn a_units_device_is_found_by_uid_or_by_callsign() {
        let i = input();
        let now = at("2026-11-26T12:00:01Z");
        let by_uid = i.judge(
            &sa(
                "ANDROID-77",
                "whoever",
                "2026-11-26T12:00:00Z",
                "2026-11-26T12:01:00Z",
            ),
            now,
        );
        let Verdict::Position(p) = by_uid else {
            panic!("{by_uid:?}")
        };
        assert_eq!(p.unit_id, UnitId::from("patrol-7"));
        assert_eq!(p.time, at("2026-11-26T12:00:00Z"));
        assert!(
            (p.position.lat_deg - 31.3391).abs() < 1e-9
                && (p.position.alt_hae_m - 1402.5).abs() < 1e-9
        );
        let by_cs = i.judge(
            &sa(
                "ANDROID-88",
                "PATROL8",
                "2026-11-26T12:00:00Z",
                "2026-11-26T12:01:00Z",
            ),
            now,
        );
        assert!(matches!(by_cs, Verdict::Position(ref p) if p.unit_id == UnitId::from("patrol-8")));
        let other = i.judge(
            &sa(
                "ANDROID-99",
                "STRANGER",
                "2026-11-26T12:00:00Z",
                "2026-11-26T12:01:00Z",
            ),
            now,
        );
        assert_eq!(other, Verdict::Ignore);
    }

    #[test]
    fn stale_reports_are_skipped_and_future_times_are_clamped_to_reception() {
        let i = input();
        let now = at("2026-11-26T12:05:00Z");
        let replayed = sa(
            "ANDROID-77",
            "P7",
            "2026-11-26T12:00:00Z",
            "2026-11-26T12:01:00Z",
        );
        assert_eq!(i.judge(&replayed, now), Verdict::Stale);
        let ahead = sa(
            "ANDROID-77",
            "P7",
            "2026-11-26T12:05:30Z",
            "2026-11-26T12:06:30Z",
        );
        let Verdict::Position(p) = i.judge(&ahead, now) else {
            panic!("a position")
        };
        assert_eq!(p.time, now);
    }

    fn chat(uid: &str, callsign: &str, text: &str) -> CotEvent {
        decode_xml(format!(
            r#"<event version="2.0" uid="GeoChat.{uid}.All Chat Rooms.1" type="b-t-f" how="h-g-i-g-o" time="2026-11-26T12:00:00Z" start="2026-11-26T12:00:00Z" stale="2026-11-27T12:00:00Z"><point lat="31.3" lon="-109.9" hae="0" ce="9999999" le="9999999"/><detail><__chat parent="RootContactGroup" groupOwner="false" messageId="1" chatroom="All Chat Rooms" id="All Chat Rooms" senderCallsign="{callsign}"><chatgrp uid0="{uid}" uid1="All Chat Rooms" id="All Chat Rooms"/></__chat><link uid="{uid}" type="a-f-G-U-C" relation="p-p"/><remarks source="BAO.F.ATAK.{uid}" time="2026-11-26T12:00:00Z">{text}</remarks></detail></event>"#
        ).as_bytes())
        .expect("valid chat")
    }

    #[test]
    fn mesh_acknowledgements_count_only_when_opted_in_and_from_a_units_device() {
        let now = at("2026-11-26T12:00:01Z");
        let ack = chat("ANDROID-77", "P7", "ACK");
        let mut i = input();
        assert_eq!(i.judge(&ack, now), Verdict::Ignore, "off by default");
        i.accept_acks_from_mesh = true;
        let Verdict::Ack(a) = i.judge(&ack, now) else {
            panic!("an acknowledgement")
        };
        assert_eq!(a.unit_id, UnitId::from("patrol-7"));
        assert_eq!(a.alert_id, None);
        assert_eq!(a.by, "P7 (TAK mesh ANDROID-77)");
        assert!(a.via.contains("accept_acks_from_mesh"), "{}", a.via);
        assert_eq!(
            i.judge(&chat("ANDROID-99", "STRANGER", "ACK"), now),
            Verdict::Ignore,
            "a device of no unit"
        );
        assert_eq!(
            i.judge(&chat("ANDROID-77", "P7", "on my way"), now),
            Verdict::Ignore,
            "not an acknowledgement"
        );
        // A server connection never takes them here (the TAK output's connection does).
        i.source = TakSaSource::Tcp("takserver:8087".into());
        assert_eq!(i.judge(&ack, now), Verdict::Ignore);
    }

    #[test]
    fn hostile_and_other_events_are_not_positions() {
        let i = input();
        let mut ev = sa(
            "ANDROID-77",
            "P7",
            "2026-11-26T12:00:00Z",
            "2026-11-26T12:01:00Z",
        );
        ev.cot_type = "a-h-A-M-H-Q".into();
        assert_eq!(i.judge(&ev, at("2026-11-26T12:00:01Z")), Verdict::Ignore);
        ev.cot_type = "b-t-f".into();
        assert_eq!(i.judge(&ev, at("2026-11-26T12:00:01Z")), Verdict::Ignore);
    }
}
