//! The TAK output: Picket's tracks and alerts as Cursor-on-Target, to a TAK server (TCP or
//! mutual TLS, as a client) or to a mesh (UDP multicast or unicast).
//!
//! Times: every CoT `time`/`start`/`stale` is wall-clock time at sending, not the data time
//! of the track. TAK clients and servers compare `stale` with their own clock and drop what
//! is already stale, so a replay, a demo started at another time, or a pipeline a few
//! seconds behind would otherwise vanish on arrival. The data time stays in the track's
//! remarks and Picket's own records.

mod net;
mod picture;

use picket_core::UnitId;
use picket_cot::{CotProfile, ProfileError};
/// The mutual-TLS files (shared with the TAK SA input).
pub use picket_inputs::TlsFiles;
use picket_inputs::{TakTlsClient, TlsError};
use picket_pipeline::{OutputAdapter, OutputContext};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// Where a TAK output sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TakTarget {
    /// A TAK server's plain streaming port (`tcp://HOST:PORT`, usually 8087).
    Tcp {
        /// Host name or IP address.
        host: String,
        /// Port.
        port: u16,
    },
    /// A TAK server's TLS port with client certificates (`tls://HOST:PORT`, usually 8089).
    Tls {
        /// Host name or IP address; the server's certificate must name it.
        host: String,
        /// Port.
        port: u16,
    },
    /// A mesh (`udp://IP:PORT`): multicast such as the ATAK default 239.2.3.1:6969, or one
    /// device's unicast address.
    Udp(SocketAddr),
}

impl TakTarget {
    /// Reads `tcp://HOST:PORT`, `tls://HOST:PORT` or `udp://IP:PORT`.
    pub fn parse(url: &str) -> Result<Self, TakConfigError> {
        let url_s = url.trim();
        let bad = |why: &'static str| TakConfigError::BadUrl {
            url: url_s.chars().take(200).collect(),
            why,
        };
        let (scheme, rest) = url_s
            .split_once("://")
            .ok_or_else(|| bad("has no scheme"))?;
        match scheme {
            "udp" => rest
                .parse::<SocketAddr>()
                .map(TakTarget::Udp)
                .map_err(|_| bad("does not hold an IP address and port")),
            "tcp" | "tls" => {
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| bad("does not hold a host and port"))?;
                let port = port
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("does not hold a port 1-65535"))?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                if host.is_empty() || host.contains(['/', ' ', '@']) {
                    return Err(bad("does not hold a host name or IP address"));
                }
                let host = host.to_owned();
                Ok(if scheme == "tcp" {
                    TakTarget::Tcp { host, port }
                } else {
                    TakTarget::Tls { host, port }
                })
            }
            _ => Err(bad("has an unknown scheme")),
        }
    }
}

impl fmt::Display for TakTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |h: &str| {
            if h.contains(':') {
                format!("[{h}]")
            } else {
                h.to_owned()
            }
        };
        match self {
            TakTarget::Tcp { host: h, port } => write!(f, "tcp://{}:{port}", host(h)),
            TakTarget::Tls { host: h, port } => write!(f, "tls://{}:{port}", host(h)),
            TakTarget::Udp(a) => write!(f, "udp://{a}"),
        }
    }
}

/// How a [`TakOutput`] is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct TakOutputConfig {
    /// Where to send.
    pub target: TakTarget,
    /// Certificates for `tls://` (required there, refused elsewhere).
    pub tls: Option<TlsFiles>,
    /// At most one position per track per period (type changes go at once); tracks go
    /// stale on devices after 2.5 periods without an update.
    pub update_period: Duration,
    /// Picket's callsign on TAK (default `PICKET <site>`).
    pub callsign: Option<String>,
    /// TAK device uids of units, for direct GeoChat lines (others are learned from the
    /// devices' own SA on the server connection).
    pub device_uids: Vec<(UnitId, String)>,
    /// Ask a server that offers it for TAK protocol v1 (protobuf); XML otherwise.
    pub want_protobuf: bool,
}

impl TakOutputConfig {
    /// Defaults: one update per track per second, protobuf when the server offers it.
    pub fn new(target: TakTarget) -> Self {
        TakOutputConfig {
            target,
            tls: None,
            update_period: Duration::from_secs(1),
            callsign: None,
            device_uids: Vec::new(),
            want_protobuf: true,
        }
    }
}

/// Why a TAK output cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TakConfigError {
    /// The URL is not one of the accepted forms.
    #[error("TAK url `{url}` {why} — use tcp://HOST:PORT, tls://HOST:PORT (with ca, cert and key) or udp://IP:PORT (a mesh, e.g. udp://239.2.3.1:6969)")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// `tls://` without certificates.
    #[error("a tls:// TAK output needs ca, cert and key (PEM files)")]
    TlsFilesMissing,
    /// Certificates given for a target that does not use them.
    #[error("ca, cert and key apply only to tls:// TAK outputs, not {0}")]
    TlsFilesUnused(String),
    /// The certificates or key cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The update period or callsign is out of range.
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

/// Picket's tracks and alerts to TAK. See the module documentation of [`crate`].
#[derive(Clone)]
pub struct TakOutput {
    config: TakOutputConfig,
    tls: Option<TakTlsClient>,
}

impl fmt::Debug for TakOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TakOutput")
            .field("target", &self.config.target.to_string())
            .finish()
    }
}

impl TakOutput {
    /// Checks the settings and loads the TLS material (errors now, not at the first
    /// connection).
    pub fn new(config: TakOutputConfig) -> Result<Self, TakConfigError> {
        profile("check", &config)?;
        let tls = match (&config.target, &config.tls) {
            (TakTarget::Tls { host, .. }, Some(files)) => Some(TakTlsClient::load(files, host)?),
            (TakTarget::Tls { .. }, None) => return Err(TakConfigError::TlsFilesMissing),
            (other, Some(_)) => return Err(TakConfigError::TlsFilesUnused(other.to_string())),
            (_, None) => None,
        };
        Ok(TakOutput { config, tls })
    }

    /// Where it sends.
    pub fn target(&self) -> &TakTarget {
        &self.config.target
    }
}

/// A site name as the uid-safe part of CoT uids: `Naco (US–Mexico)` → `Naco-US-Mexico`.
fn uid_site(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let mut s = s.trim_end_matches('-');
    // Too long: cut at a word boundary where there is one.
    while s.len() > 32 {
        s = match s[..32].rfind('-') {
            Some(i) if i > 0 => &s[..i],
            _ => &s[..32],
        };
    }
    let s = s.to_owned();
    if s.is_empty() {
        "site".to_owned()
    } else {
        s
    }
}

fn profile(site: &str, config: &TakOutputConfig) -> Result<CotProfile, ProfileError> {
    let p = CotProfile::new(&uid_site(site), config.update_period)?;
    match &config.callsign {
        Some(c) => p.with_callsign(c),
        None => Ok(p),
    }
}

impl OutputAdapter for TakOutput {
    fn spawn(&self, ctx: OutputContext) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { net::run(me.config, me.tls, ctx).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_of_the_three_kinds_are_read_and_written_back() {
        for (url, want) in [
            (
                "tcp://takserver.local:8087",
                TakTarget::Tcp {
                    host: "takserver.local".into(),
                    port: 8087,
                },
            ),
            (
                "tls://10.0.0.5:8089",
                TakTarget::Tls {
                    host: "10.0.0.5".into(),
                    port: 8089,
                },
            ),
            (
                "tcp://[::1]:8087",
                TakTarget::Tcp {
                    host: "::1".into(),
                    port: 8087,
                },
            ),
            (
                "udp://239.2.3.1:6969",
                TakTarget::Udp("239.2.3.1:6969".parse().unwrap()),
            ),
        ] {
            let t = TakTarget::parse(url).unwrap();
            assert_eq!(t, want);
            assert_eq!(t.to_string(), url);
        }
    }

    #[test]
    fn bad_urls_say_what_is_wrong_and_what_is_accepted() {
        for (url, why) in [
            ("takserver:8087", "has no scheme"),
            ("http://a:1", "unknown scheme"),
            ("tcp://a", "host and port"),
            ("tcp://a:0", "port 1-65535"),
            ("tcp://:8087", "host name"),
            ("udp://takserver:6969", "IP address and port"),
        ] {
            let e = TakTarget::parse(url).unwrap_err().to_string();
            assert!(
                e.contains(why) && e.contains("tls://HOST:PORT"),
                "{url}: {e}"
            );
        }
    }

    #[test]
    fn tls_needs_its_files_and_only_tls_takes_them() {
        let tls = TakOutputConfig::new(TakTarget::parse("tls://h:8089").unwrap());
        assert!(matches!(
            TakOutput::new(tls),
            Err(TakConfigError::TlsFilesMissing)
        ));
        let mut tcp = TakOutputConfig::new(TakTarget::parse("tcp://h:8087").unwrap());
        tcp.tls = Some(TlsFiles {
            ca: "ca.pem".into(),
            cert: "c.pem".into(),
            key: "k.pem".into(),
        });
        assert!(matches!(
            TakOutput::new(tcp),
            Err(TakConfigError::TlsFilesUnused(_))
        ));
        let mut missing = TakOutputConfig::new(TakTarget::parse("tls://h:8089").unwrap());
        missing.tls = Some(TlsFiles {
            ca: "/nonexistent/ca.pem".into(),
            cert: "c.pem".into(),
            key: "k.pem".into(),
        });
        let e = TakOutput::new(missing).unwrap_err().to_string();
        assert!(e.contains("TLS ca `/nonexistent/ca.pem`"), "{e}");
    }

    #[test]
    fn an_update_period_out_of_range_is_refused_up_front() {
        let mut c = TakOutputConfig::new(TakTarget::parse("tcp://h:1").unwrap());
        c.update_period = Duration::from_millis(10);
        assert!(matches!(
            TakOutput::new(c),
            Err(TakConfigError::Profile(ProfileError::BadUpdatePeriod))
        ));
    }

    #[test]
    fn site_names_become_uid_safe() {
        assert_eq!(uid_site("naco"), "naco");
        assert_eq!(uid_site("Naco (US–Mexico border)"), "Naco-US-Mexico-border");
        assert_eq!(uid_site("  "), "site");
        assert!(uid_site(&"x".repeat(100)).len() <= 32);
        assert_eq!(
            uid_site("Naco border station (built-in scenario)"),
            "Naco-border-station-built-in"
        );
        assert!(CotProfile::new(&uid_site("Ünïcode ☂ site!"), Duration::from_secs(1)).is_ok());
    }
}
