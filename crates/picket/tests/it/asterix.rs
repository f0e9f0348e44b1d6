//! ASTERIX captures replayed through `picket replay`: the shared sample (real ATC radars,
//! half a second of a dual-LAN feed) reaches fusion; a longer capture of a drone seen by a
//! radar scan after scan becomes a confirmed track where it flew.

use std::path::{Path, PathBuf};
use std::process::Command;

fn shared(rel: &str) -> PathBuf {
    let base = std::env::var_os("PICKET_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let p = base.join(rel);
    assert!(p.is_file(), "shared test data missing: {}", p.display());
    p
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("picket-asterix-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const RADAR: (f64, f64, f64) = (43.571_026, 16.406_064, 780.0);

fn site(dir: &Path, pcap: &Path, position: bool) -> PathBuf {
    let pos = if position {
        format!(
            "position = {{ lat_deg = {}, lon_deg = {}, alt_hae_m = {} }}\n",
            RADAR.0, RADAR.1, RADAR.2
        )
    } else {
        String::new()
    };
    let text = format!(
        r#"[site]
name = "ASTERIX replay"
origin = {{ lat_deg = {lat}, lon_deg = {lon}, alt_hae_m = {alt} }}
sector = "split"

[store]
path = "replay.sqlite"

[[sensor]]
id = "radar-split"
kind = "radar"
format = "asterix"
source = "file:{pcap}"
{pos}
[[unit]]
id = "post-split"
name = "Post"
kind = "fixed"
center = {{ lat_deg = {lat}, lon_deg = {lon}, alt_hae_m = {alt} }}
radius_m = 300.0
"#,
        lat = RADAR.0,
        lon = RADAR.1,
        alt = RADAR.2,
        pcap = pcap.display(),
    );
    let p = dir.join("site.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `picket replay`; returns its summary line.
fn replay(config: &Path, tracks: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_picket"))
        .args(["replay", "--config"])
        .arg(config)
        .arg("--tracks-out")
        .arg(tracks)
        .env("PICKET_LOG", "error")
        .output()
        .expect("run picket replay");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn count_before(summary: &str, what: &str) -> u64 {
    let i = summary
        .find(what)
        .unwrap_or_else(|| panic!("`{what}` in {summary}"));
    summary[..i]
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a number before `{what}` in {summary}"))
}

#[test]
fn the_shared_capture_replays_into_fusion_positioned_by_cat034() {
    let dir = tmp("sample");
    let config = site(
        &dir,
        &shared("asterix/croatiacontrol_cat_034_048.pcap"),
        false,
    );
    let summary = replay(&config, &dir.join("tracks.jsonl"));
    // 100 datagrams, every one sent on two networks. In these 0.45 s only radar 25/12 says
    // where it is (one CAT-034 with I034/120); its 9 distinct reports after that are fused. The
    // other six radars' 55 reports are refused and counted: placing them at 25/12 would put
    // every plot in the wrong place.
    assert!(summary.contains("100 lines"), "{summary}");
    let fused = count_before(&summary, "observations fused");
    let malformed = count_before(&summary, "malformed");
    assert_eq!((fused, malformed), (9, 55), "{summary}");
    // Network A alone fuses as many: the copies from network B were dropped, not fused twice.
    let single = dir.join("single.pcap");
    std::fs::write(
        &single,
        network_a_only(&std::fs::read(shared("asterix/croatiacontrol_cat_034_048.pcap")).unwrap()),
    )
    .unwrap();
    let summary1 = replay(&site(&dir, &single, false), &dir.join("t1.jsonl"));
    assert!(summary1.contains("50 lines"), "{summary1}");
    assert_eq!(
        count_before(&summary1, "observations fused"),
        fused,
        "{summary} vs {summary1}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The capture's network-A half: packets to 232.1.x.x (network B carries the same datagrams to
/// 232.2.x.x). Ethernet + IPv4: the destination address is at bytes 30..34 of a frame.
fn network_a_only(pcap: &[u8]) -> Vec<u8> {
    let mut out = pcap[..24].to_vec();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let len = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        let frame = &pcap[at + 16..at + 16 + len];
        if frame.get(30..32) == Some(&[232, 1]) {
            out.extend_from_slice(&pcap[at..at + 16 + len]);
        }
        at += 16 + len;
    }
    out
}

// --- A capture of a drone, written here byte by byte from the ASTERIX CAT-048 spec. ---

const NM_M: f64 = 1852.0;

/// One CAT-048 data block with one target report: I010, I140, I020, I040, I090.
fn cat048(time_of_day_s: f64, range_m: f64, azimuth_deg: f64, alt_m: f64) -> Vec<u8> {
    let mut r = vec![0xF4]; // FSPEC: FRN 1-4 and 6
    r.extend_from_slice(&[25, 99]); // SAC / SIC
    let tod = (time_of_day_s * 128.0).round() as u32;
    r.extend_from_slice(&tod.to_be_bytes()[1..]);
    r.push(0x20); // TYP 1: single primary (a drone has no transponder)
    let rho = (range_m / NM_M * 256.0).round() as u16;
    let theta = (azimuth_deg / 360.0 * 65_536.0).round() as u16;
    r.extend_from_slice(&rho.to_be_bytes());
    r.extend_from_slice(&theta.to_be_bytes());
    let fl_quarters = (alt_m / 0.3048 / 100.0 * 4.0).round() as u16 & 0x3fff;
    r.extend_from_slice(&fl_quarters.to_be_bytes());
    let mut block = vec![48];
    block.extend_from_slice(&((3 + r.len()) as u16).to_be_bytes());
    block.extend_from_slice(&r);
    block
}

/// A classic pcap (raw IPv4, link type 101) of UDP datagrams at (unix seconds, payload).
fn pcap(datagrams: &[(f64, Vec<u8>)]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65_535u32.to_le_bytes());
    f.extend_from_slice(&101u32.to_le_bytes());
    for (t, payload) in datagrams {
        let total = 28 + payload.len();
        let mut ip = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0,
            0,
            64,
            17,
            0,
            0,
        ];
        ip.extend_from_slice(&[10, 0, 0, 1, 232, 1, 1, 99]);
        let udp_len = (8 + payload.len()) as u16;
        ip.extend_from_slice(&8600u16.to_be_bytes());
        ip.extend_from_slice(&8600u16.to_be_bytes());
        ip.extend_from_slice(&udp_len.to_be_bytes());
        ip.extend_from_slice(&[0, 0]);
        ip.extend_from_slice(payload);
        f.extend_from_slice(&(t.floor() as u32).to_le_bytes());
        f.extend_from_slice(&(((t.fract()) * 1e6).round() as u32).to_le_bytes());
        f.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        f.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        f.extend_from_slice(&ip);
    }
    f
}

#[test]
fn a_drone_seen_scan_after_scan_in_a_capture_becomes_a_confirmed_track() {
    let dir = tmp("drone");
    // 2026-01-01T12:00:00Z; the radar turns every 2 s. The drone flies north toward the
    // radar from 3 km south at 15 m/s, 200 m above the antenna.
    let t0 = 1_767_268_800.0;
    let mut datagrams = Vec::new();
    for k in 0..30 {
        let t = 2.0 * f64::from(k);
        let range_m = 3000.0 - 15.0 * t;
        datagrams.push((
            t0 + t + 0.01,
            cat048(43_200.0 + t, range_m, 180.0, RADAR.2 + 200.0),
        ));
    }
    let file = dir.join("drone.pcap");
    std::fs::write(&file, pcap(&datagrams)).unwrap();
    let tracks = dir.join("tracks.jsonl");
    let summary = replay(&site(&dir, &file, true), &tracks);
    assert_eq!(
        count_before(&summary, "observations fused"),
        30,
        "{summary}"
    );
    assert_eq!(count_before(&summary, "malformed"), 0, "{summary}");
    let text = std::fs::read_to_string(&tracks).unwrap();
    let last = text
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["status"] == "confirmed")
        .unwrap_or_else(|| panic!("no confirmed track from the capture: {summary}\n{text}"));
    // At the last scan (t = 58 s) the drone is 2130 m south of the radar.
    let lat = last["position"]["lat_deg"].as_f64().unwrap();
    let lon = last["position"]["lon_deg"].as_f64().unwrap();
    let south_m = (RADAR.0 - lat) * 111_130.0;
    let east_m = (lon - RADAR.1) * 111_320.0 * RADAR.0.to_radians().cos();
    assert!(
        (south_m - 2130.0).abs() < 150.0,
        "{south_m} m south: {last}"
    );
    assert!(east_m.abs() < 100.0, "{east_m} m east: {last}");
    assert!(
        last["time"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-01-01T12:00:5")),
        "{last}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
