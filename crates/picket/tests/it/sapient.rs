//! A referee SAPIENT sensor (sapient-py, PyPI) against a running `picket run` fusion node:
//! registration acknowledged, malformed frames answered with Error on a connection that
//! survives, detections of a drone flying at the post tracked and alerted.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn referee_python() -> PathBuf {
    let p = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-referees/bin/python")
        });
    assert!(
        p.is_file(),
        "referee Python missing: {} (run scripts/referees.sh)",
        p.display()
    );
    p
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_sapient_sensor_registers_reports_and_its_drone_is_alerted() {
    let dir = std::env::temp_dir().join(format!("picket-sapient-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sapient.toml"),
    )
    .unwrap();
    let config = example
        .replace("127.0.0.1:5020", &format!("127.0.0.1:{port}"))
        .replace("out/sapient.sqlite", "sapient.sqlite");
    std::fs::write(dir.join("site.toml"), config).unwrap();
    let alerts = dir.join("alerts.jsonl");
    let _picket = Kill(
        Command::new(env!("CARGO_BIN_EXE_picket"))
            .args(["run", "--config"])
            .arg(dir.join("site.toml"))
            .arg("--alerts-out")
            .arg(&alerts)
            .env("PICKET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start picket run"),
    );
    // The post of examples/sapient.toml; the drone starts 1 km south and flies north at 30 m/s.
    let out = Command::new(referee_python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_sensor.py"))
        .args([
            "127.0.0.1",
            &port.to_string(),
            "31.3405",
            "-109.9610",
            "1000",
            "30",
            "14",
        ])
        .output()
        .expect("run the referee sensor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["registration_ack"], true, "{report}");
    assert_eq!(report["first_reply"], "registration_ack", "{report}");
    assert!(
        report["error_replies"].as_u64().unwrap() >= 1,
        "malformed frame answered: {report}"
    );
    assert_eq!(
        report["closed_by_node"], false,
        "the connection survives bad input: {report}"
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = std::fs::read_to_string(&alerts).unwrap_or_default();
        let raised: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .filter(|a: &serde_json::Value| a["state"] == "raised")
            .collect();
        if let Some(a) = raised.first() {
            assert_eq!(a["unit_id"], "post-alpha");
            assert_eq!(a["target_class"], "drone", "{a}");
            assert!(a["level"] == "warning" || a["level"] == "imminent", "{a}");
            assert_eq!(raised.len(), 1, "one alert for one drone: {text}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no alert from the SAPIENT drone: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// One HTTP/1.1 request to the API; returns the status code and the body.
fn http(port: u16, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the API");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {resp}"));
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

fn token(config: &std::path::Path, user: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["token", "--config"])
        .arg(config)
        .args(["--user", user])
        .output()
        .expect("picket token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn an_operator_tasks_a_sapient_sensor_through_the_api_and_gets_its_task_ack() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("picket-sapient-task-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (port, api_port) = (free_port(), free_port());
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sapient.toml"),
    )
    .unwrap();
    let config = example
        .replace("127.0.0.1:5020", &format!("127.0.0.1:{port}"))
        .replace("out/sapient.sqlite", "sapient.sqlite")
        + &format!(
            "\n[api]\nlisten = \"127.0.0.1:{api_port}\"\n\n\
             [[unit]]\nid = \"post-bravo\"\nname = \"Post Bravo\"\nkind = \"fixed\"\n\
             sector = \"other\"\n\
             center = {{ lat_deg = 31.36, lon_deg = -109.96, alt_hae_m = 1400.0 }}\n\
             radius_m = 300.0\n\n\
             [[user]]\nname = \"op\"\nrole = \"operator\"\nsectors = [\"naco\", \"other\"]\n\n\
             [[user]]\nname = \"op-elsewhere\"\nrole = \"operator\"\nsectors = [\"other\"]\n\n\
             [[user]]\nname = \"analyst\"\nrole = \"viewer\"\nsectors = [\"*\"]\n"
        );
    let site = dir.join("site.toml");
    std::fs::write(&site, config).unwrap();
    let (op, elsewhere, viewer) = (
        token(&site, "op"),
        token(&site, "op-elsewhere"),
        token(&site, "analyst"),
    );
    let _picket = Kill(
        Command::new(env!("CARGO_BIN_EXE_picket"))
            .args(["run", "--config"])
            .arg(&site)
            .env("PICKET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start picket run"),
    );
    let mut sensor = Kill(
        Command::new(referee_python())
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_tasked_sensor.py"))
            .args(["127.0.0.1", &port.to_string(), "31.3495", "-109.9610"])
            .args(["accepted", "30"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the referee sensor"),
    );
    let mut lines = std::io::BufReader::new(sensor.0.stdout.take().unwrap()).lines();
    let first = lines.next().expect("the sensor says something").unwrap();
    assert_eq!(first, "registered");

    let path = "/api/sensors/sapient-node/tasks";
    let look =
        r#"{"kind": "look_at", "lat_deg": 31.3300, "lon_deg": -109.9550, "alt_hae_m": 1450.0}"#;
    assert_eq!(http(api_port, "POST", path, None, look).0, 401);
    let (code, body) = http(api_port, "POST", path, Some(&viewer), look);
    assert_eq!(code, 403, "a viewer may not task: {body}");
    let (code, body) = http(api_port, "POST", path, Some(&elsewhere), look);
    assert_eq!(
        code, 403,
        "an operator of only one of the site's sectors may not: {body}"
    );
    let (code, _) = http(api_port, "POST", "/api/sensors/nope/tasks", Some(&op), look);
    assert_eq!(code, 404);
    let (code, body) = http(api_port, "POST", path, Some(&op), r#"{"lat_deg": 91}"#);
    assert_eq!(code, 400, "{body}");

    let (code, body) = http(api_port, "POST", path, Some(&op), look);
    assert_eq!(code, 200, "{body}");
    let ack: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ack["status"], "accepted", "{ack}");
    assert_eq!(
        ack["reasons"],
        serde_json::json!(["slewing to target"]),
        "{ack}"
    );
    assert_eq!(
        ack["task_id"].as_str().map(str::len),
        Some(26),
        "a ULID: {ack}"
    );

    let last = lines.next().expect("the sensor reports").unwrap();
    let got: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(got["alert_ack_for_our_alert"], true, "{got}");
    let task = &got["task"];
    assert_eq!(task["task_id"], ack["task_id"], "{got}");
    assert_eq!(task["to_us"], true, "{got}");
    assert_eq!(task["command"], "look_at", "{got}");
    assert_eq!(task["control"], 1, "TASK_CONTROL_START: {got}");
    assert!(
        (task["lat_deg"].as_f64().unwrap() - 31.33).abs() < 1e-9,
        "{got}"
    );
    assert!(
        (task["lon_deg"].as_f64().unwrap() + 109.955).abs() < 1e-9,
        "{got}"
    );
    assert_eq!(task["alt_m"], 1450.0, "{got}");
    assert_eq!(task["coordinate_system"], 1, "LAT_LNG_DEG_M: {got}");
    assert_eq!(task["datum"], 1, "WGS84_E: {got}");
    assert_eq!(ack["node_id"], got["node_id"], "{ack} vs {got}");

    // The sensor is gone: a new task has no node to go to.
    let _ = sensor.0.wait();
    std::thread::sleep(Duration::from_millis(500));
    let (code, body) = http(api_port, "POST", path, Some(&op), look);
    assert_eq!(code, 409, "{body}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn as_a_child_picket_registers_with_a_parent_node_and_forwards_tracks_and_alerts() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("picket-sapient-child-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (port, parent_port) = (free_port(), free_port());
    let mut parent = Kill(
        Command::new(referee_python())
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_parent.py"))
            .args([&parent_port.to_string(), "40"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the referee parent node"),
    );
    let mut lines = std::io::BufReader::new(parent.0.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "listening");

    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sapient.toml"),
    )
    .unwrap();
    let config = example
        .replace("127.0.0.1:5020", &format!("127.0.0.1:{port}"))
        .replace("out/sapient.sqlite", "sapient.sqlite")
        + &format!("\n[[output]]\nkind = \"sapient\"\nurl = \"tcp://127.0.0.1:{parent_port}\"\n");
    std::fs::write(dir.join("site.toml"), config).unwrap();
    let _picket = Kill(
        Command::new(env!("CARGO_BIN_EXE_picket"))
            .args(["run", "--config"])
            .arg(dir.join("site.toml"))
            .env("PICKET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start picket run"),
    );
    // A sensor reports a drone flying at the post (as in the test above).
    let out = Command::new(referee_python())
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_sensor.py"))
        .args(["127.0.0.1", &port.to_string(), "31.3405", "-109.9610"])
        .args(["1000", "30", "14"])
        .output()
        .expect("run the referee sensor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let seen: serde_json::Value =
        serde_json::from_str(&lines.next().expect("the parent reports").unwrap()).unwrap();
    assert_eq!(
        seen["registrations"], 2,
        "registered, dropped, re-registered: {seen}"
    );
    assert_eq!(seen["icd_version"], "BSI Flex 335 v2.0", "{seen}");
    assert_eq!(seen["node_type_fusion"], true, "{seen}");
    assert_eq!(seen["name"], "SAPIENT test site", "{seen}");
    assert!(seen["status_reports"].as_u64().unwrap() >= 1, "{seen}");
    assert!(
        (seen["status_node_lat"].as_f64().unwrap() - 31.3405).abs() < 1e-9,
        "{seen}"
    );
    // TaskAck status 1 = ACCEPTED, 2 = REJECTED.
    assert_eq!(seen["task_acks"]["status"]["status"], 1, "{seen}");
    assert_eq!(seen["status_after_request"], true, "{seen}");
    assert_eq!(seen["task_acks"]["look_at"]["status"], 2, "{seen}");
    assert!(seen["detections"].as_u64().unwrap() >= 3, "{seen}");
    assert_eq!(
        seen["object_ids"].as_array().unwrap().len(),
        1,
        "one drone, one object: {seen}"
    );
    assert_eq!(
        seen["picket_track_ids"].as_array().unwrap().len(),
        1,
        "{seen}"
    );
    assert_eq!(
        seen["classes"],
        serde_json::json!(["Air Vehicle/UAV"]),
        "{seen}"
    );
    let d = &seen["last_detection"];
    assert_eq!(
        (d["coordinate_system"].as_u64(), d["datum"].as_u64()),
        (Some(1), Some(1)),
        "{seen}"
    );
    assert!(
        (d["lon"].as_f64().unwrap() + 109.961).abs() < 0.001,
        "{seen}"
    );
    assert!(d["lat"].as_f64().unwrap() < 31.3405 + 0.001, "{seen}");
    assert!(
        (d["north_rate"].as_f64().unwrap() - 30.0).abs() < 8.0,
        "flies north at 30 m/s: {seen}"
    );
    let alerts = seen["alerts"].as_array().unwrap();
    assert!(
        !alerts.is_empty(),
        "the drone's alert reached the parent: {seen}"
    );
    let a = &alerts[0];
    assert_eq!(a["status"], 1, "ACTIVE: {seen}");
    assert!(
        a["type"] == 2 || a["type"] == 3,
        "WARNING or CRITICAL: {seen}"
    );
    assert_eq!(a["region_id"], "post-alpha", "{seen}");
    assert_eq!(a["object_ids"][0], seen["object_ids"][0], "{seen}");
    assert_eq!(
        a["alert_id"].as_str().map(str::len),
        Some(26),
        "a ULID: {seen}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_task_on_a_track_points_the_sensor_at_the_track_and_a_refusal_is_reported() {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("picket-sapient-track-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (port, api_port) = (free_port(), free_port());
    let example = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/sapient.toml"),
    )
    .unwrap();
    let config = example
        .replace("127.0.0.1:5020", &format!("127.0.0.1:{port}"))
        .replace("out/sapient.sqlite", "sapient.sqlite")
        + &format!(
            "\n[api]\nlisten = \"127.0.0.1:{api_port}\"\n\n\
             [[user]]\nname = \"op\"\nrole = \"operator\"\nsectors = [\"naco\"]\n"
        );
    let site = dir.join("site.toml");
    std::fs::write(&site, config).unwrap();
    let op = token(&site, "op");
    let _picket = Kill(
        Command::new(env!("CARGO_BIN_EXE_picket"))
            .args(["run", "--config"])
            .arg(&site)
            .env("PICKET_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start picket run"),
    );
    // The sensor reports a drone hovering 800 m south of the post, and refuses the task.
    let mut sensor = Kill(
        Command::new(referee_python())
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sapient_tasked_sensor.py"))
            .args(["127.0.0.1", &port.to_string(), "31.3495", "-109.9610"])
            .args(["rejected", "40", "31.3333", "-109.9610"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the referee sensor"),
    );
    let mut lines = std::io::BufReader::new(sensor.0.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "registered");

    let deadline = Instant::now() + Duration::from_secs(20);
    let track = loop {
        let (code, body) = http(api_port, "GET", "/api/tracks", Some(&op), "");
        assert_eq!(code, 200, "{body}");
        let tracks: serde_json::Value = serde_json::from_str(&body).unwrap();
        if let Some(t) = tracks.as_array().and_then(|a| a.first()) {
            break t.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no track from the hovering drone"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let path = "/api/sensors/sapient-node/tasks";
    let (code, _) = http(api_port, "POST", path, Some(&op), r#"{"track_id": 999999}"#);
    assert_eq!(code, 404, "no such track");
    let body = format!(r#"{{"track_id": {}}}"#, track["id"]);
    let (code, body) = http(api_port, "POST", path, Some(&op), &body);
    assert_eq!(code, 200, "{body}");
    let ack: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ack["status"], "rejected", "{ack}");
    assert_eq!(
        ack["reasons"],
        serde_json::json!(["pan-tilt unit fault"]),
        "{ack}"
    );
    assert_eq!(ack["track_id"], track["id"], "{ack}");

    let got: serde_json::Value =
        serde_json::from_str(&lines.next().expect("the sensor reports").unwrap()).unwrap();
    let task = &got["task"];
    assert_eq!(task["task_id"], ack["task_id"], "{got}");
    // The sensor is pointed where Picket's track of its drone is.
    assert!(
        (task["lat_deg"].as_f64().unwrap() - 31.3333).abs() < 0.0005,
        "{got}"
    );
    assert!(
        (task["lon_deg"].as_f64().unwrap() + 109.961).abs() < 0.0005,
        "{got}"
    );
    assert!(
        (task["alt_m"].as_f64().unwrap() - 1480.0).abs() < 30.0,
        "{got}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
