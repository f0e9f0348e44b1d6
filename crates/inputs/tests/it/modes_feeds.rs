//! AVR and SBS-1 receiver feeds over a real socket: the shared capture replayed with a
//! mid-stream disconnect and garbage injected; every position arrives, none twice. Beast, AVR
//! and SBS-1 recordings (`file:`) play at their recorded pace, timed from the data.

use picket_core::{AlertEvent, GeoPoint, Identity, Input, LocalFrame, SensorId, Timestamp, Track};
use picket_pipeline::{Feed, PipelineConfig, SensorInfo, SiteModel, Source};
use picket_store::{AuditEntry, SqliteStore, Store, StoreCounts, StoreError};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

const RECEIVER: (f64, f64) = (59.7, 32.0);

fn shared(name: &str) -> Vec<u8> {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("shared test data missing: {}: {e}", p.display()))
}

/// A position as compared: address and coordinates (to 1e-7°, exact text of the decode).
type Pos = (u32, i64, i64);

fn pos_of(i: &Input) -> Option<Pos> {
    let Input::Observation(o) = i else {
        return None;
    };
    let Some(Identity::Icao(a)) = o.identity else {
        return None;
    };
    let picket_core::Measurement::Position { position, .. } = &o.measurement else {
        return None;
    };
    Some((
        a,
        (position.lat_deg * 1e7).round() as i64,
        (position.lon_deg * 1e7).round() as i64,
    ))
}

/// A store that also keeps every input it is given, for the test to compare.
struct Recording {
    inner: SqliteStore,
    inputs: Arc<Mutex<Vec<Input>>>,
}

impl Store for Recording {
    fn append_inputs(&mut self, inputs: &[Input]) -> Result<(), StoreError> {
        self.inputs.lock().unwrap().extend_from_slice(inputs);
        self.inner.append_inputs(inputs)
    }
    fn append_tracks(&mut self, tracks: &[Track]) -> Result<(), StoreError> {
        self.inner.append_tracks(tracks)
    }
    fn append_alert_event(&mut self, event: &AlertEvent) -> Result<(), StoreError> {
        self.inner.append_alert_event(event)
    }
    fn alert_events(&self) -> Result<Vec<AlertEvent>, StoreError> {
        self.inner.alert_events()
    }
    fn current_alerts(&self) -> Result<Vec<AlertEvent>, StoreError> {
        self.inner.current_alerts()
    }
    fn counts(&self) -> Result<StoreCounts, StoreError> {
        self.inner.counts()
    }
    fn user_count(&self) -> Result<u64, StoreError> {
        self.inner.user_count()
    }
    fn issue_token(
        &mut self,
        user: &str,
        role: picket_core::Role,
        sectors: &[String],
    ) -> Result<String, StoreError> {
        self.inner.issue_token(user, role, sectors)
    }
    fn authenticate(&self, token: &str) -> Result<Option<picket_core::Principal>, StoreError> {
        self.inner.authenticate(token)
    }
    fn revoke_tokens(&mut self, user: &str) -> Result<u64, StoreError> {
        self.inner.revoke_tokens(user)
    }
    fn audit(
        &mut self,
        time: Timestamp,
        who: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.inner.audit(time, who, action, detail)
    }
    fn audit_log(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log()
    }
}

/// Serve `first`, then `garbage`, drop the connection; on reconnect serve `rest` and keep the
/// connection open.
async fn server(first: Vec<u8>, garbage: Vec<u8>, rest: Vec<u8>) -> std::net::SocketAddr {
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = server.accept().await.unwrap();
        for c in first.chunks(1000) {
            s.write_all(c).await.unwrap();
        }
        s.write_all(&garbage).await.unwrap();
        drop(s);
        let (mut s, _) = server.accept().await.unwrap();
        for c in rest.chunks(777) {
            s.write_all(c).await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(60)).await;
    });
    addr
}

/// A live pipeline with one ADS-B receiver feed `adsb-1`, recording every input it stores.
fn start_feed(
    format: picket_inputs::ModesFormat,
    source: picket_inputs::StreamSource,
) -> (
    picket_pipeline::Pipeline,
    SensorId,
    Arc<Mutex<Vec<Input>>>,
    watch::Sender<bool>,
) {
    let sensor = SensorId("adsb-1".into());
    let at = GeoPoint::new(RECEIVER.0, RECEIVER.1, 0.0);
    let site = SiteModel {
        name: "test".into(),
        frame: LocalFrame::new(at),
        units: vec![],
        zones: vec![],
        sensors: vec![SensorInfo {
            id: sensor.clone(),
            kind: "adsb".into(),
            position: Some(at),
            // Short, so the silence after the replay shows as sensor-down within the test.
            silence_timeout_s: 2.0,
        }],
    };
    let adapter = picket_inputs::ModesFeed { format, source };
    let mut config = PipelineConfig::new(
        site,
        Feed::Live(vec![(sensor.clone(), Source::Adapter(Arc::new(adapter)))]),
    );
    // The time-compressed replay makes every position look like a new object; keep the
    // tracker's tentative tracks short-lived so fusion keeps up in a debug build.
    config.tracker.max_coast_tentative_s = 0.5;
    let inputs = Arc::new(Mutex::new(Vec::new()));
    let store = Recording {
        inner: SqliteStore::open_in_memory().unwrap(),
        inputs: inputs.clone(),
    };
    let (tx, rx) = watch::channel(false);
    let p = picket_pipeline::start(config, Box::new(store), rx).unwrap();
    (p, sensor, inputs, tx)
}

/// Run the feed through a live pipeline until `expected.len()` positions arrived; check they
/// are exactly the expected ones (as multisets) and that garbage was counted under `reason`.
async fn check_feed(
    format: picket_inputs::ModesFormat,
    source: picket_inputs::StreamSource,
    expected: &[Pos],
    reason: &str,
    min_malformed: u64,
) {
    let (p, sensor, inputs, tx) = start_feed(format, source);
    let sent = || {
        let st = p.state.read().unwrap();
        let s = &st.sensors[&sensor];
        s.lines - s.malformed
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while sent() < expected.len() as u64 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} of {} positions", sent(), expected.len()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sent(), expected.len() as u64, "none counted twice");
    let malformed = p
        .metrics
        .counter_value(
            "picket_input_malformed_total",
            &[("sensor", "adsb-1"), ("reason", reason)],
        )
        .unwrap_or(0);
    assert!(
        malformed >= min_malformed,
        "garbage counted under `{reason}`: {malformed} < {min_malformed}\n{}",
        p.metrics.render()
    );
    // The store receives inputs in batches; wait until all are there, then compare.
    tokio::time::timeout(Duration::from_secs(20), async {
        while inputs.lock().unwrap().len() < expected.len() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "{} of {} stored",
            inputs.lock().unwrap().len(),
            expected.len()
        )
    });
    let mut got: Vec<Pos> = inputs.lock().unwrap().iter().filter_map(pos_of).collect();
    let mut want = expected.to_vec();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "every position arrives, none twice");
    // The server now holds the connection open and sends nothing: the watchdog reports the
    // receiver down.
    tokio::time::timeout(Duration::from_secs(15), async {
        while p.state.read().unwrap().sensors[&sensor].up {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("a silent feed becomes sensor-down");
    assert!(
        p.metrics
            .render()
            .contains("picket_sensor_up{sensor=\"adsb-1\"} 0"),
        "{}",
        p.metrics.render()
    );
    tx.send(true).unwrap();
    drop(p);
}

/// The Beast capture's Mode S frames as AVR records, alternating plain and `@`-timestamped.
fn avr_text(capture: &[u8]) -> (Vec<Vec<u8>>, Vec<Pos>) {
    let mut decoder = picket_modes::Decoder::new(picket_modes::TrackerConfig {
        receiver: Some(RECEIVER),
        ..Default::default()
    });
    let (mut lines, mut expected) = (Vec::new(), Vec::new());
    for (n, f) in picket_modes::framing::beast::frames(capture).enumerate() {
        let Ok(f) = f else { continue };
        let hex: String = f.data().iter().map(|b| format!("{b:02X}")).collect();
        let line = if n % 2 == 0 {
            format!("*{hex};\n")
        } else {
            format!("@{:012X}{hex};\r\n", f.mlat_ticks & 0xFFFF_FFFF_FFFF)
        };
        lines.push(line.into_bytes());
        if !matches!(
            f.kind,
            picket_modes::BeastKind::ModeSShort | picket_modes::BeastKind::ModeSLong
        ) {
            continue;
        }
        // The feed arrives within about a second: one reception time pairs CPR frames alike.
        let d = decoder.decode(f.data(), Some(0.0));
        if let Some(fix) = &d.fix {
            let t = Timestamp::from_micros(0);
            if let Some(o) = picket_modes::to_observation(&SensorId("x".into()), t, fix) {
                expected.extend(pos_of(&Input::Observation(o)));
            }
        }
    }
    (lines, expected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avr_feed_survives_a_disconnect_and_garbage_without_losing_a_position() {
    let capture = shared("adsb/beastblackbox_ulss7_beast.bin");
    let (lines, expected) = avr_text(&capture);
    assert!(lines.len() > 13_000, "{}", lines.len());
    assert!(expected.len() > 1000, "{}", expected.len());
    let mid = lines.len() / 2;
    let first = lines[..mid].concat();
    let rest = lines[mid..].concat();
    // A garbage line, a line far over the bound, a bad record, then a record cut by the drop.
    let mut garbage = b"garbage line\n".to_vec();
    garbage.extend(vec![b'*'; 100_000]);
    garbage.extend_from_slice(b"\n*8D4840D6202CC3;\n*8D4840D6202CC371C32CE0");
    let addr = server(first, garbage, rest).await;
    check_feed(
        picket_inputs::ModesFormat::Avr,
        picket_inputs::StreamSource::Tcp(addr.to_string()),
        &expected,
        "avr framing",
        3,
    )
    .await;
}

/// What the receiver decoded: every MSG line with a position and an altitude.
fn sbs_positions(lines: &[&[u8]]) -> Vec<Pos> {
    let mut t = picket_modes::SbsTracker::new(&Default::default());
    lines
        .iter()
        .filter_map(|l| picket_modes::framing::sbs::parse_line(l).ok())
        .filter_map(|m| t.update(&m, 0.0))
        .filter_map(|fix| {
            picket_modes::to_observation(&SensorId("x".into()), Timestamp::from_micros(0), &fix)
        })
        .filter_map(|o| pos_of(&Input::Observation(o)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sbs_feed_survives_a_disconnect_and_garbage_without_losing_a_position() {
    let text = shared("adsb/beastblackbox_decoded_sbs.txt");
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    // What the receiver decoded: every MSG line with a position and an altitude.
    let expected = sbs_positions(&lines);
    // The README counts 1,456 MSG,3 lines with lat/lon; all are airborne with an altitude.
    assert!(expected.len() >= 1400, "{}", expected.len());
    let mid = lines.len() / 2;
    let first = lines[..mid].concat();
    let rest = lines[mid..].concat();
    let mut garbage =
        b"not,an,sbs,line\nMSG,3,1,1,ZZZZZZ,1,,,,,,1000,,,59.0,30.0,,,,,,0\n".to_vec();
    garbage.extend(vec![b'M'; 100_000]);
    // A position line cut by the drop: parsed, it would give a wrong latitude.
    garbage.extend_from_slice(b"\nMSG,3,1,1,4CA2D1,1,,,,,,2625,,,59.7");
    let addr = server(first, garbage, rest).await;
    check_feed(
        picket_inputs::ModesFormat::Sbs,
        picket_inputs::StreamSource::Tcp(addr.to_string()),
        &expected,
        "sbs",
        4,
    )
    .await;
}

// ------------------------------------------------------------ recordings at their pace

/// How much of the shared recordings the paced tests play, µs of data.
const SLICE_US: i64 = 3_000_000;

/// A position with its time: µs after the recording's first timed message (expected), or since
/// the Unix epoch (what the feed stamped).
type TimedPos = (i64, Pos);

fn wall_now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64
}

fn modes_decoder() -> picket_modes::Decoder {
    picket_modes::Decoder::new(picket_modes::TrackerConfig {
        receiver: Some(RECEIVER),
        ..Default::default()
    })
}

/// The offline decode's position, if any, of Mode S `data` at `rel_us` after the first timed
/// message (the decoder is given the same relative times the feed's stamps have).
fn offline(decoder: &mut picket_modes::Decoder, data: &[u8], rel_us: i64) -> Option<TimedPos> {
    let d = decoder.decode(data, Some(rel_us as f64 * 1e-6));
    let fix = d.fix.as_ref()?;
    let o =
        picket_modes::to_observation(&SensorId("x".into()), Timestamp::from_micros(rel_us), fix)?;
    Some((rel_us, pos_of(&Input::Observation(o))?))
}

/// The Mode S frames of the Beast capture's first [`SLICE_US`], in file order, with their
/// time relative to the first one (µs, from the 12 MHz counter); and the capture's bytes up to
/// the first frame past the slice.
fn beast_slice(capture: &[u8]) -> (Vec<(picket_modes::BeastFrame, i64)>, usize) {
    let mut frames = picket_modes::framing::beast::frames(capture);
    let mut first_us = None;
    let mut out = Vec::new();
    loop {
        let at = capture.len() - frames.remaining().len();
        let Some(f) = frames.next() else {
            return (out, capture.len());
        };
        let f = f.expect("the shared capture deframes cleanly");
        if !matches!(
            f.kind,
            picket_modes::BeastKind::ModeSShort | picket_modes::BeastKind::ModeSLong
        ) {
            continue;
        }
        assert_ne!(f.mlat_ticks, 0, "every frame of the capture has its time");
        let us = (f.mlat_ticks / 12) as i64;
        let rel = us - *first_us.get_or_insert(us);
        if rel > SLICE_US {
            return (out, at);
        }
        out.push((f, rel));
    }
}

/// Play `bytes` as a `file:` recording of `format` until `want` positions arrived; returns
/// them with their stamps, the wall clock (µs) just before the feed started, and how long the
/// feed took to hand them all over.
async fn play_recording(
    format: picket_inputs::ModesFormat,
    bytes: &[u8],
    want: usize,
) -> (Vec<TimedPos>, i64, Duration) {
    let path = std::env::temp_dir().join(format!(
        "picket-paced-{format:?}-{}.rec",
        std::process::id()
    ));
    std::fs::write(&path, bytes).unwrap();
    let started_us = wall_now_us();
    let started = std::time::Instant::now();
    let (p, sensor, inputs, tx) =
        start_feed(format, picket_inputs::StreamSource::File(path.clone()));
    let sent = || {
        let st = p.state.read().unwrap();
        let s = &st.sensors[&sensor];
        s.lines - s.malformed
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while sent() < want as u64 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{} of {want} positions", sent()));
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sent(), want as u64, "none more, none twice");
    tokio::time::timeout(Duration::from_secs(20), async {
        while inputs.lock().unwrap().len() < want {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("every position stored");
    let got = inputs
        .lock()
        .unwrap()
        .iter()
        .filter_map(|i| Some((i.time().as_micros(), pos_of(i)?)))
        .collect();
    tx.send(true).unwrap();
    drop(p);
    let _ = std::fs::remove_file(&path);
    (got, started_us, took)
}

/// A paced run against the offline decode: the same positions, spaced to the microsecond as
/// the recording says (not all within a few ms), the first timed message stamped with the
/// wall clock at start, and the run taking the recorded span.
fn check_paced(mut got: Vec<TimedPos>, mut want: Vec<TimedPos>, started_us: i64, took: Duration) {
    assert!(
        want.len() >= 20,
        "only {} positions in the slice",
        want.len()
    );
    got.sort_unstable();
    want.sort_unstable();
    // The feed's stamps less the anchor (the first timed message's stamp) are data times.
    let anchor_us = got[0].0 - want[0].0;
    let rel: Vec<TimedPos> = got.iter().map(|(t, p)| (t - anchor_us, *p)).collect();
    assert_eq!(rel.len(), want.len());
    for (g, w) in rel.iter().zip(&want) {
        assert_eq!(
            g, w,
            "position and time (µs after the first message) as decoded offline"
        );
    }
    let lag_us = anchor_us - started_us;
    assert!(
        (0..1_000_000).contains(&lag_us),
        "the first message is stamped with the wall clock at start: {lag_us} µs after it"
    );
    let first_us = got[0].0;
    let last_us = got[got.len() - 1].0;
    let span_us = want[want.len() - 1].0;
    assert!(
        last_us - first_us > SLICE_US * 2 / 3,
        "stamps spread over the recording: {} µs",
        last_us - first_us
    );
    // Each position is handed over when its time comes: the last one no earlier than the
    // recording's span after start, and not much later.
    let took_us = took.as_micros() as i64;
    eprintln!(
        "paced: {} positions, stamps over {} µs, span {span_us} µs, played in {took_us} µs, \
         first stamped {lag_us} µs after start",
        want.len(),
        last_us - first_us
    );
    assert!(
        took_us >= span_us && took_us < span_us + 3_000_000,
        "played in {took_us} µs; the recording spans {span_us} µs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_beast_file_plays_at_its_recorded_pace_with_positions_as_decoded_offline() {
    let capture = shared("adsb/beastblackbox_ulss7_beast.bin");
    let (frames, cut) = beast_slice(&capture);
    let mut decoder = modes_decoder();
    let want: Vec<TimedPos> = frames
        .iter()
        .filter_map(|(f, rel)| offline(&mut decoder, f.data(), *rel))
        .collect();
    let (got, started_us, took) = play_recording(
        picket_inputs::ModesFormat::Beast,
        &capture[..cut],
        want.len(),
    )
    .await;
    check_paced(got, want, started_us, took);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avr_file_plays_at_its_recorded_pace_and_untimed_records_take_the_previous_time() {
    let capture = shared("adsb/beastblackbox_ulss7_beast.bin");
    let (frames, _) = beast_slice(&capture);
    // Timed `@` and untimed `*` records alternating, the first timed.
    let (mut text, mut want) = (String::new(), Vec::new());
    let mut decoder = modes_decoder();
    let mut previous_us = 0;
    for (n, (f, rel)) in frames.iter().enumerate() {
        let hex: String = f.data().iter().map(|b| format!("{b:02X}")).collect();
        let rel = if n % 2 == 0 {
            text.push_str(&format!("@{:012X}{hex};\n", f.mlat_ticks));
            previous_us = *rel;
            *rel
        } else {
            text.push_str(&format!("*{hex};\r\n"));
            previous_us
        };
        want.extend(offline(&mut decoder, f.data(), rel));
    }
    let (got, started_us, took) =
        play_recording(picket_inputs::ModesFormat::Avr, text.as_bytes(), want.len()).await;
    check_paced(got, want, started_us, took);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sbs_file_plays_at_its_recorded_pace_to_its_last_line_even_without_a_newline() {
    let text = shared("adsb/beastblackbox_decoded_sbs.txt");
    let time_of = |l: &[u8]| picket_modes::framing::sbs::parse_line(l).ok()?.time;
    let mut lines: Vec<&[u8]> = text
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"MSG,"))
        .collect();
    let first = time_of(lines[0]).expect("the first line has its date and time");
    let past = lines
        .iter()
        .position(|l| time_of(l).is_some_and(|t| t.as_micros() - first.as_micros() > SLICE_US))
        .unwrap();
    lines.truncate(past);
    // Up to the last position, which loses its newline.
    let has_position = |l: &[u8]| {
        l.split(|&b| b == b',')
            .nth(14)
            .is_some_and(|f| !f.is_empty())
    };
    let last = lines.iter().rposition(|l| has_position(l)).unwrap();
    lines.truncate(last + 1);
    let mut tracker = picket_modes::SbsTracker::new(&Default::default());
    let want: Vec<TimedPos> = lines
        .iter()
        .filter_map(|l| {
            let m = picket_modes::framing::sbs::parse_line(l).ok()?;
            let rel = m.time.expect("every line has its time").as_micros() - first.as_micros();
            let fix = tracker.update(&m, rel as f64 * 1e-6)?;
            let o = picket_modes::to_observation(
                &SensorId("x".into()),
                Timestamp::from_micros(rel),
                &fix,
            )?;
            Some((rel, pos_of(&Input::Observation(o))?))
        })
        .collect();
    let mut bytes = lines.concat();
    while bytes.last().is_some_and(u8::is_ascii_whitespace) {
        bytes.pop();
    }
    let (got, started_us, took) =
        play_recording(picket_inputs::ModesFormat::Sbs, &bytes, want.len()).await;
    check_paced(got, want, started_us, took);
}
