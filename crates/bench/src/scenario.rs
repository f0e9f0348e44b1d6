//! Reading a scenario directory (`meta.json`, `detections.csv`, optional `truth.csv`) in the
//! format of the shared tracking benchmark's README (protocol v1).

use crate::gospa::ScanPoints;
use crate::BenchError;
use std::path::{Path, PathBuf};

/// Most scans a scenario may declare: bounds the per-scan tables a hostile `meta.json` or
/// `scan` column could make us allocate.
pub const MAX_SCANS: usize = 1_000_000;

/// The scenario parameters the tracker may use (from `meta.json` → `params`).
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioMeta {
    /// Number of scans (`scans`).
    pub scans: usize,
    /// Scan period, seconds (`dt_s`).
    pub dt_s: f64,
    /// Radar position in the scenario plane, metres (`radar_xy_m`).
    pub radar_xy_m: [f64; 2],
    /// 1-σ range error, metres (`sigma_range_m`).
    pub sigma_range_m: f64,
    /// 1-σ azimuth error, degrees (`sigma_azimuth_deg`).
    pub sigma_azimuth_deg: f64,
}

/// One radar detection. `truth_id` is deliberately not read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// Scan time, seconds from the scenario start.
    pub t_s: f64,
    /// Range from the radar, metres.
    pub range_m: f64,
    /// `atan2(y, x)`: radians counter-clockwise from east.
    pub azimuth_rad: f64,
}

/// A loaded scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Parameters.
    pub meta: ScenarioMeta,
    /// Detections per scan, `scans` entries (possibly empty), in file order.
    pub detections: Vec<Vec<Detection>>,
    /// Truth per scan, when `truth.csv` exists.
    pub truth: Option<Vec<ScanPoints>>,
}

fn read(path: &Path) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(|source| BenchError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn meta_err(path: &Path, message: impl Into<String>) -> BenchError {
    BenchError::Meta {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

fn parse_meta(path: &Path) -> Result<ScenarioMeta, BenchError> {
    let v: serde_json::Value =
        serde_json::from_str(&read(path)?).map_err(|e| meta_err(path, e.to_string()))?;
    let p = &v["params"];
    let num = |key: &str| {
        p[key]
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| meta_err(path, format!("`params.{key}` must be a finite number")))
    };
    let positive = |key: &str| {
        num(key).and_then(|x| {
            if x > 0.0 {
                Ok(x)
            } else {
                Err(meta_err(path, format!("`params.{key}` must be > 0")))
            }
        })
    };
    let scans = p["scans"]
        .as_u64()
        .filter(|&n| n as usize <= MAX_SCANS)
        .ok_or_else(|| meta_err(path, format!("`params.scans` must be in 0..={MAX_SCANS}")))?
        as usize;
    let radar = match p["radar_xy_m"].as_array().map(|a| a.as_slice()) {
        None => [0.0, 0.0],
        Some([x, y]) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() => [x, y],
            _ => {
                return Err(meta_err(
                    path,
                    "`params.radar_xy_m` must be [x, y] in metres",
                ))
            }
        },
        Some(_) => {
            return Err(meta_err(
                path,
                "`params.radar_xy_m` must be [x, y] in metres",
            ))
        }
    };
    Ok(ScenarioMeta {
        scans,
        dt_s: positive("dt_s")?,
        radar_xy_m: radar,
        sigma_range_m: positive("sigma_range_m")?,
        sigma_azimuth_deg: positive("sigma_azimuth_deg")?,
    })
}

/// A CSV with a header, split on commas (the benchmark's files have no quoting).
struct Csv<'a> {
    path: &'a Path,
    columns: Vec<usize>,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
}

impl<'a> Csv<'a> {
    fn new(path: &'a Path, text: &'a str, wanted: &[&str]) -> Result<Self, BenchError> {
        let mut lines = text.lines().enumerate();
        let header: Vec<&str> = lines
            .next()
            .map(|(_, h)| h.split(',').map(str::trim).collect())
            .unwrap_or_default();
        let columns = wanted
            .iter()
            .map(|w| {
                header
                    .iter()
                    .position(|h| h == w)
                    .ok_or_else(|| BenchError::Parse {
                        path: path.to_path_buf(),
                        line: 1,
                        message: format!("no `{w}` column in the header"),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Csv {
            path,
            columns,
            lines,
        })
    }

    /// The wanted columns of the next non-empty row, with its 1-based line number.
    fn next_row(&mut self) -> Option<Result<(usize, Vec<f64>), BenchError>> {
        for (i, line) in self.lines.by_ref() {
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let row = self
                .columns
                .iter()
                .map(|&c| {
                    let f = fields.get(c).copied().unwrap_or("");
                    f.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| BenchError::Parse {
                            path: self.path.to_path_buf(),
                            line: i + 1,
                            message: format!("`{f}` in column {} is not a finite number", c + 1),
                        })
                })
                .collect::<Result<Vec<f64>, _>>()
                .map(|v| (i + 1, v));
            return Some(row);
        }
        None
    }
}

fn scan_index(path: &Path, line: usize, v: f64) -> Result<usize, BenchError> {
    if v >= 0.0 && v.fract() == 0.0 && v < MAX_SCANS as f64 {
        Ok(v as usize)
    } else {
        Err(BenchError::Parse {
            path: path.to_path_buf(),
            line,
            message: format!("scan `{v}` must be an integer in 0..{MAX_SCANS}"),
        })
    }
}

/// Reads `dir/meta.json`, `dir/detections.csv` and, when present, `dir/truth.csv`.
pub fn load(dir: &Path) -> Result<Scenario, BenchError> {
    let meta = parse_meta(&dir.join("meta.json"))?;
    let det_path = dir.join("detections.csv");
    let text = read(&det_path)?;
    let mut csv = Csv::new(&det_path, &text, &["scan", "t", "range_m", "azimuth_rad"])?;
    let mut detections: Vec<Vec<Detection>> = vec![Vec::new(); meta.scans];
    while let Some(row) = csv.next_row() {
        let (line, v) = row?;
        let k = scan_index(&det_path, line, v[0])?;
        if k >= detections.len() {
            detections.resize(k + 1, Vec::new());
        }
        detections[k].push(Detection {
            t_s: v[1],
            range_m: v[2],
            azimuth_rad: v[3],
        });
    }
    let truth_path: PathBuf = dir.join("truth.csv");
    let truth = if truth_path.exists() {
        Some(load_points(&truth_path, "target_id")?)
    } else {
        None
    };
    Ok(Scenario {
        meta,
        detections,
        truth,
    })
}

/// Reads a truth or tracks CSV (`scan`, id column, `x`, `y`) into points per scan.
pub fn load_points(path: &Path, id_column: &str) -> Result<Vec<ScanPoints>, BenchError> {
    let text = read(path)?;
    let mut csv = Csv::new(path, &text, &["scan", id_column, "x", "y"])?;
    let mut scans: Vec<ScanPoints> = Vec::new();
    while let Some(row) = csv.next_row() {
        let (line, v) = row?;
        let k = scan_index(path, line, v[0])?;
        if k >= scans.len() {
            scans.resize(k + 1, ScanPoints::default());
        }
        scans[k].ids.push(v[1] as i64);
        scans[k].xy.push([v[2], v[3]]);
    }
    Ok(scans)
}
