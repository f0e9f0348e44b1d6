//! Bad scenario directories give typed errors that name the file (and line), never a panic.

use crate::*;
use picket_bench::BenchError;

fn scenario_with(name: &str, meta: &str, detections: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("meta.json"), meta).unwrap();
    std::fs::write(dir.join("detections.csv"), detections).unwrap();
    dir
}

const META: &str = r#"{"params": {"scans": 3, "dt_s": 1.0, "radar_xy_m": [0.0, 0.0],
    "sigma_range_m": 5.0, "sigma_azimuth_deg": 0.5}}"#;

#[test]
fn a_missing_directory_is_an_io_error_naming_the_file() {
    let err = run_tracking_bench(&scratch("no-such-scenario"), None, &BenchOptions::default())
        .unwrap_err();
    assert!(matches!(err, BenchError::Io { .. }), "{err}");
    assert!(err.to_string().contains("meta.json"), "{err}");
}

#[test]
fn a_bad_number_is_a_parse_error_with_its_line() {
    let dir = scenario_with(
        "bad-number",
        META,
        "scan,t,det_id,range_m,azimuth_rad,truth_id\n0,0.000,0,100.0,0.5,-1\n1,1.000,1,abc,0.5,-1\n",
    );
    let err = run_tracking_bench(&dir, None, &BenchOptions::default()).unwrap_err();
    match &err {
        BenchError::Parse { line, .. } => assert_eq!(*line, 3, "{err}"),
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn a_missing_column_and_a_negative_scan_are_refused() {
    let dir = scenario_with("no-range", META, "scan,t,det_id,azimuth_rad\n0,0.0,0,0.1\n");
    let err = run_tracking_bench(&dir, None, &BenchOptions::default()).unwrap_err();
    assert!(err.to_string().contains("range_m"), "{err}");
    let dir = scenario_with(
        "negative-scan",
        META,
        "scan,t,range_m,azimuth_rad\n-1,0.0,100.0,0.1\n",
    );
    let err = run_tracking_bench(&dir, None, &BenchOptions::default()).unwrap_err();
    assert!(matches!(err, BenchError::Parse { line: 2, .. }), "{err}");
}

#[test]
fn meta_without_noise_parameters_is_a_meta_error() {
    let dir = scenario_with(
        "no-sigma",
        r#"{"params": {"scans": 3, "dt_s": 1.0}}"#,
        "scan,t,range_m,azimuth_rad\n",
    );
    let err = run_tracking_bench(&dir, None, &BenchOptions::default()).unwrap_err();
    assert!(matches!(err, BenchError::Meta { .. }), "{err}");
    assert!(err.to_string().contains("sigma_range_m"), "{err}");
}

#[test]
fn a_scenario_without_truth_runs_every_scan_and_is_not_scored() {
    // One target flying east at 10 m/s, 1 km north of the radar, seen every scan.
    let mut det = String::from("scan,t,range_m,azimuth_rad\n");
    for k in 0..3 {
        let (x, y) = (10.0 * k as f64, 1_000.0f64);
        det.push_str(&format!("{k},{k}.0,{},{}\n", x.hypot(y), y.atan2(x)));
    }
    let dir = scenario_with("no-truth", META, &det);
    let out = dir.join("tracks.csv");
    let report = run_tracking_bench(&dir, Some(&out), &BenchOptions::default()).unwrap();
    assert_eq!(report.scans, 3);
    assert_eq!(report.detections, 3);
    assert!(report.gospa.is_empty());
    // Confirmed on the third hit: one row, at the last scan, near the target.
    let text = std::fs::read_to_string(out).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    let f: Vec<f64> = rows[0].split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(f[0], 2.0);
    assert!(
        (f[3] - 20.0).abs() < 5.0 && (f[4] - 1_000.0).abs() < 5.0,
        "{text}"
    );
}
