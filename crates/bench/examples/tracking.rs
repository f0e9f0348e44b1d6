//! `cargo run --release -p picket-bench --example tracking -- DIR [--out tracks.csv] [--json]`:
//! the tracking benchmark from the command line, until `picket bench tracking` wires it.
//! `--set field=value` overrides a `TrackerConfig` field (for tuning on the dev scenario).

use picket_bench::{run_tracking_bench, BenchOptions};
use picket_fusion::TrackerConfig;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dir = None;
    let mut out = None;
    let mut json = false;
    let mut config = match serde_json::to_value(BenchOptions::default().tracker) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--json" => json = true,
            "--set" => {
                let kv = args.next().unwrap_or_default();
                let Some((k, v)) = kv.split_once('=') else {
                    eprintln!("--set wants field=value, got `{kv}`");
                    return ExitCode::from(2);
                };
                let value = serde_json::from_str(v).unwrap_or(serde_json::Value::String(v.into()));
                config[k] = value;
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let Some(dir) = dir else {
        eprintln!("usage: tracking DIR [--out tracks.csv] [--json]");
        return ExitCode::from(2);
    };
    let tracker: TrackerConfig = match serde_json::from_value(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bad --set: {e}");
            return ExitCode::from(2);
        }
    };
    let options = BenchOptions {
        tracker,
        ..BenchOptions::default()
    };
    match run_tracking_bench(&dir, out.as_deref(), &options) {
        Ok(r) if json => match serde_json::to_string_pretty(&r) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Ok(r) => {
            print!("{r}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("picket bench tracking: {e}");
            ExitCode::FAILURE
        }
    }
}
