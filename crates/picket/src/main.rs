//! `picket`: counter-drone early warning. The binary is glue: arguments, the site config,
//! wiring the pipeline, the store and the API together.

mod config;
mod decode;
mod sapient_playback;
mod wiring;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "picket",
    version,
    about = "Counter-drone early warning: ingest, fuse, assess, warn."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// Playback speed: a factor of real time, or `max`.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Speed {
    Max,
    Times(f64),
}

fn parse_speed(s: &str) -> Result<Speed, String> {
    if s.eq_ignore_ascii_case("max") {
        return Ok(Speed::Max);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 10_000.0 => Ok(Speed::Times(v)),
        _ => Err(format!("`{s}` is not a speed: use a factor of real time in (0, 10000] (e.g. 1, 4, 0.5) or `max`")),
    }
}

fn parse_lat_lon(s: &str) -> Result<(f64, f64), String> {
    let bad = || format!("`{s}` is not LAT,LON in degrees (e.g. 59.7,32.0)");
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    let lat: f64 = a.trim().parse().map_err(|_| bad())?;
    let lon: f64 = b.trim().parse().map_err(|_| bad())?;
    if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
        Ok((lat, lon))
    } else {
        Err(bad())
    }
}

fn parse_tak(s: &str) -> Result<picket_outputs::TakTarget, String> {
    picket_outputs::TakTarget::parse(s).map_err(|e| e.to_string())
}

/// `--tak` and its certificate options as a TAK output (certificates loaded now).
fn tak_output(
    target: Option<picket_outputs::TakTarget>,
    ca: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> Result<Option<picket_outputs::TakOutput>> {
    let Some(target) = target else {
        return Ok(None);
    };
    let mut c = picket_outputs::TakOutputConfig::new(target);
    c.tls = match (ca, cert, key) {
        (Some(ca), Some(cert), Some(key)) => Some(picket_outputs::TlsFiles { ca, cert, key }),
        (None, None, None) => None,
        _ => anyhow::bail!("--tak-ca, --tak-cert and --tak-key go together (all three PEM files)"),
    };
    Ok(Some(picket_outputs::TakOutput::new(c).context("--tak")?))
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the built-in border scenario through the whole pipeline and serve the console.
    Demo {
        /// Playback speed: a factor of real time (1 = real time) or `max`.
        #[arg(long, default_value = "1", value_parser = parse_speed)]
        speed: Speed,
        /// Do not serve the console; exit when the scenario ends.
        #[arg(long)]
        no_serve: bool,
        /// Write every alert lifecycle event as JSON lines to FILE (docs/alerts.md).
        #[arg(long, value_name = "FILE")]
        alerts_out: Option<PathBuf>,
        /// Write every confirmed track update as JSON lines to FILE (docs/tracks.md).
        #[arg(long, value_name = "FILE")]
        tracks_out: Option<PathBuf>,
        /// Address the console listens on (port 0 = any free port).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Store file (default: a new file in the system's temporary directory).
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
        /// Seed of the scenario's randomness (sensor noise, clutter, birds).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Directory of the console's files (default: `web/` of this checkout).
        #[arg(long, value_name = "DIR")]
        web_root: Option<PathBuf>,
        /// Data time of the scenario's start, RFC 3339 (default: now, to the second).
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
        /// Also stream the demo's tracks and alerts to a TAK server or device:
        /// tcp://HOST:PORT, tls://HOST:PORT (with --tak-ca, --tak-cert, --tak-key) or
        /// udp://IP:PORT (a mesh, e.g. udp://239.2.3.1:6969).
        #[arg(long, value_name = "URL", value_parser = parse_tak)]
        tak: Option<picket_outputs::TakTarget>,
        /// PEM file of the CA the TAK server's certificate chains to (tls:// only).
        #[arg(long, value_name = "FILE", requires = "tak")]
        tak_ca: Option<PathBuf>,
        /// PEM file of Picket's client certificate for the TAK server (tls:// only).
        #[arg(long, value_name = "FILE", requires = "tak")]
        tak_cert: Option<PathBuf>,
        /// PEM file of Picket's private key for the TAK server (tls:// only).
        #[arg(long, value_name = "FILE", requires = "tak")]
        tak_key: Option<PathBuf>,
    },
    /// Run a site from its config file with live inputs, until Ctrl-C.
    Run {
        /// The site config (TOML, docs/config.md).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Also write alerts as JSON lines to FILE.
        #[arg(long, value_name = "FILE")]
        alerts_out: Option<PathBuf>,
        /// Also write tracks as JSON lines to FILE.
        #[arg(long, value_name = "FILE")]
        tracks_out: Option<PathBuf>,
    },
    /// Run a site's recorded feeds (its `file:` sources) through the pipeline.
    Replay {
        /// The site config; every sensor's source must be a `file:`.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Playback speed: a factor of real time or `max`.
        #[arg(long, default_value = "max", value_parser = parse_speed)]
        speed: Speed,
        /// Also write alerts as JSON lines to FILE.
        #[arg(long, value_name = "FILE")]
        alerts_out: Option<PathBuf>,
        /// Also write tracks as JSON lines to FILE.
        #[arg(long, value_name = "FILE")]
        tracks_out: Option<PathBuf>,
        /// Store file for the replay (default: in memory, discarded).
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
    },
    /// Validate a site config without starting anything.
    CheckConfig {
        /// The site config.
        file: PathBuf,
    },
    /// Write the built-in scenario's sensor feeds (one JSON-lines file per sensor) and its ground truth.
    Scenario {
        /// Directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Seed of the scenario's randomness.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Data time of the scenario's start (RFC 3339).
        #[arg(long, default_value = "2026-01-01T12:00:00Z")]
        start: String,
    },
    /// Decode a capture to JSON lines on standard output (schemas: docs/decode-*.md).
    Decode {
        /// The capture file.
        file: PathBuf,
        /// What the file holds (default: sniffed from its first bytes).
        #[arg(long, value_enum, default_value = "auto")]
        format: decode::DecodeFormat,
        /// Receiver position `LAT,LON` (degrees) for Mode S local CPR decoding.
        #[arg(long, value_name = "LAT,LON", value_parser = parse_lat_lon)]
        receiver: Option<(f64, f64)>,
    },
    /// Benchmarks with their reference scorers.
    Bench {
        #[command(subcommand)]
        what: BenchCmd,
    },
    /// Issue a new API token for a user named in the site config (printed once).
    Token {
        /// The site config.
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The user (a `[[user]]` of the config).
        #[arg(long)]
        user: String,
        /// Revoke every token of the user instead of issuing one.
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Run the tracker on a tracking scenario directory (../shared/data/tracking/scen_*: the
    /// format in its README), write tracks.csv, print GOSPA, ID switches and time per scan.
    Tracking {
        /// The scenario directory.
        dir: PathBuf,
        /// Where to write the tracks (the README's tracks.csv format).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PICKET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,picket=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Cmd::CheckConfig { file } => match config::load(&file) {
            Ok(c) => {
                println!("{}: OK\n{}", file.display(), c.summary());
                Ok(())
            }
            Err(e) => {
                // Problems as `FILE:LINE:COL: what — what to do`, one per line, unprefixed.
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
        Cmd::Scenario { out, seed, start } => {
            let start = picket_core::Timestamp::parse_rfc3339(&start).context("--start")?;
            wiring::write_scenario(&out, seed, start)
        }
        Cmd::Decode {
            file,
            format,
            receiver,
        } => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match decode::decode_file(&file, format, receiver, &mut out) {
                Ok((n, q)) => {
                    eprintln!(
                        "{}: {n} records ({q} quarantined or rejected)",
                        file.display()
                    );
                    Ok(())
                }
                // `picket decode FILE | head` is normal use, not an error.
                Err(e)
                    if e.chain().any(|c| {
                        let io = c.downcast_ref::<std::io::Error>().map(|io| io.kind());
                        let json = c
                            .downcast_ref::<serde_json::Error>()
                            .and_then(|j| j.io_error_kind());
                        io.or(json) == Some(std::io::ErrorKind::BrokenPipe)
                    }) =>
                {
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        Cmd::Bench {
            what: BenchCmd::Tracking { dir, out, json },
        } => {
            let report = picket_bench::run_tracking_bench(
                &dir,
                out.as_deref(),
                &picket_bench::BenchOptions::default(),
            )
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{report}");
            }
            Ok(())
        }
        Cmd::Token {
            config,
            user,
            revoke,
        } => {
            let site = config::load(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
            if revoke {
                wiring::revoke_user_tokens(&site, &user)
            } else {
                wiring::issue_user_token(&site, &user)
            }
        }
        Cmd::Demo {
            speed,
            no_serve,
            alerts_out,
            tracks_out,
            listen,
            store,
            seed,
            web_root,
            start,
            tak,
            tak_ca,
            tak_cert,
            tak_key,
        } => runtime()?.block_on(wiring::demo(wiring::DemoArgs {
            tak: tak_output(tak, tak_ca, tak_cert, tak_key)?,
            start: start
                .map(|s| picket_core::Timestamp::parse_rfc3339(&s))
                .transpose()
                .context("--start")?,
            speed,
            serve: !no_serve,
            alerts_out,
            tracks_out,
            listen,
            store,
            seed,
            web_root,
        })),
        Cmd::Run {
            config,
            alerts_out,
            tracks_out,
        } => {
            let site = config::load(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
            runtime()?.block_on(wiring::run_site(site, alerts_out, tracks_out))
        }
        Cmd::Replay {
            config,
            speed,
            alerts_out,
            tracks_out,
            store,
        } => {
            let site = config::load(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
            runtime()?.block_on(wiring::replay(site, speed, alerts_out, tracks_out, store))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
