//! `picket decode FILE` on the real captures in ../shared/data: JSON lines, one per message or
//! quarantined frame, matching the capture READMEs.

use std::path::PathBuf;
use std::process::Command;

fn shared(rel: &str) -> PathBuf {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join(rel);
    assert!(
        p.is_file(),
        "shared test data missing: {} (set PICKET_SHARED_DATA)",
        p.display()
    );
    p
}

fn decode(file: &PathBuf) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .arg("decode")
        .arg(file)
        .output()
        .expect("run picket decode");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn bluetooth_5_capture_quarantines_its_30_crc_failed_frames() {
    let recs = decode(&shared("remoteid/odid_bt5_lr_sample.pcapng"));
    let quarantined: Vec<_> = recs
        .iter()
        .filter(|r| r.get("quarantine").is_some())
        .collect();
    assert_eq!(quarantined.len(), 30);
    assert!(quarantined.iter().all(|r| r.get("message").is_none()));
    assert!(recs
        .iter()
        .any(|r| r["transport"] == "ble_long_range" && r["message"]["message_type"] == "location"));
}

#[test]
fn wifi_beacon_capture_yields_the_serial_and_positions() {
    let recs = decode(&shared("remoteid/odid_wifi_bcn_sample.pcap"));
    assert!(recs
        .iter()
        .any(|r| r["message"]["uas_id"] == "MFG1A0123456789"));
    let loc = recs
        .iter()
        .find(|r| r["message"]["message_type"] == "location")
        .expect("a location message");
    assert!((loc["message"]["lat"].as_f64().unwrap() - 45.5457468).abs() < 1e-6);
    assert!(recs
        .iter()
        .all(|r| r["frame"].as_u64().unwrap() >= 1 && r["time"].is_string()));
}

#[test]
fn a_file_that_is_no_capture_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("picket-decode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("junk.bin");
    std::fs::write(&f, b"hello, not a capture").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .arg("decode")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("format not recognised"), "{err}");
}

#[test]
fn asterix_pcap_decodes_cat048_and_cat034_records() {
    let recs = decode(&shared("asterix/croatiacontrol_cat_034_048.pcap"));
    let cat048 = recs.iter().filter(|r| r.get("cat048").is_some()).count();
    let cat034 = recs.iter().filter(|r| r.get("cat034").is_some()).count();
    assert_eq!(
        (cat048, cat034),
        (128, 34),
        "as asterix-decoder reads the same file"
    );
    assert!(recs
        .iter()
        .any(|r| r["cat048"]["aircraft_id"] == "DLH65A"
            && r["cat048"]["aircraft_address"] == "3C660C"));
}

#[test]
fn sapient_sample_frames_decode() {
    for (name, content) in [
        ("Registration", "registration"),
        ("StatusReport", "statusReport"),
        ("DetectionReport", "detectionReport"),
    ] {
        let recs = decode(&shared(&format!(
            "sapient/dstl_testharness_Default.{name}.frame.bin"
        )));
        assert_eq!(recs.len(), 1, "{name}");
        assert!(recs[0].get("error").is_none(), "{name}: {}", recs[0]);
        assert_eq!(recs[0]["content"], content, "{name}: {}", recs[0]);
        assert!(
            recs[0]["message"][content].is_object(),
            "{name}: {}",
            recs[0]
        );
    }
}

#[test]
fn beast_capture_decodes_with_icao_and_cpr_positions() {
    let f = shared("adsb/beastblackbox_ulss7_beast.bin");
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .arg("decode")
        .arg(&f)
        .args(["--receiver", "59.7,32.0"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 13_954, "one record per Beast frame (README)");
    let df17: Vec<_> = recs.iter().filter(|r| r["df"] == 17).collect();
    assert_eq!(df17.len(), 3_436);
    assert!(
        df17.iter().all(|r| r["crc_ok"] == true),
        "every DF17 frame passes CRC"
    );
    let icao_ok = |s: &str| s.len() == 6 && s.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(df17.iter().all(|r| icao_ok(r["icao"].as_str().unwrap())));
    let positions = recs
        .iter()
        .filter(|r| r["lat"].is_f64() && r["lon"].is_f64())
        .count();
    assert!(
        positions >= 1_456,
        "at least every position of the SBS decode: {positions}"
    );
}
