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
