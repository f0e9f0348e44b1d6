//! Real peers for the tests: a taky TAK server on loopback, ATAK-like clients, a recording
//! TCP proxy, generated certificates and the takproto referee.

use picket_cot::framing::split_xml_stream;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The referees' Python (`PICKET_REFEREE_PYTHON` or `.venv-referees/bin/python`).
pub fn referee_python() -> PathBuf {
    let p = std::env::var_os("PICKET_REFEREE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-referees/bin/python"));
    assert!(
        p.exists(),
        "referee Python {} is missing: run scripts/referees.sh (installs taky and takproto)",
        p.display()
    );
    p
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Certificates and keys (PEM files) for taky's TLS port and its clients.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Pki {
    /// A CA and a server certificate for 127.0.0.1 / localhost.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (ca_cert, ca_issuer) = make_ca("Picket test CA");
        let (cert, key) = issue(&ca_issuer, "taky.test", &["127.0.0.1", "localhost"]);
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_cert).unwrap();
        let server_cert = dir.path().join("server.pem");
        std::fs::write(&server_cert, cert).unwrap();
        let server_key = dir.path().join("server.key");
        std::fs::write(&server_key, key).unwrap();
        Pki {
            dir,
            ca,
            server_cert,
            server_key,
            issuer: ca_issuer,
        }
    }

    /// A client certificate and key from this CA, written as `<name>.pem` / `<name>.key`.
    pub fn client(&self, name: &str) -> (PathBuf, PathBuf) {
        let (cert, key) = issue(&self.issuer, name, &[]);
        self.write_pair(name, &cert, &key)
    }

    /// A client certificate from a CA taky does not trust.
    pub fn stranger_client(&self, name: &str) -> (PathBuf, PathBuf) {
        let (_, other) = make_ca("Some other CA");
        let (cert, key) = issue(&other, name, &[]);
        self.write_pair(name, &cert, &key)
    }

    fn write_pair(&self, name: &str, cert: &str, key: &str) -> (PathBuf, PathBuf) {
        let c = self.dir.path().join(format!("{name}.pem"));
        let k = self.dir.path().join(format!("{name}.key"));
        std::fs::write(&c, cert).unwrap();
        std::fs::write(&k, key).unwrap();
        (c, k)
    }

    /// A rustls client configuration with this CA and a client certificate.
    pub fn rustls_client(&self, name: &str) -> Arc<rustls::ClientConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let (cert, key) = self.client(name);
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&self.ca).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let key = PrivateKeyDer::from_pem_file(&key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_client_auth_cert(chain, key)
                .unwrap(),
        )
    }
}

fn make_ca(name: &str) -> (String, rcgen::Issuer<'static, rcgen::KeyPair>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), rcgen::Issuer::new(params, key))
}

fn issue(ca: &rcgen::Issuer<'static, rcgen::KeyPair>, cn: &str, sans: &[&str]) -> (String, String) {
    use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair};
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = if sans.is_empty() {
        vec![ExtendedKeyUsagePurpose::ClientAuth]
    } else {
        vec![ExtendedKeyUsagePurpose::ServerAuth]
    };
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// A taky TAK server on loopback, killed when dropped.
pub struct Taky {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl Taky {
    /// Starts taky on a free port; with `pki`, its TLS port requires client certificates.
    pub fn start(pki: Option<&Pki>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let ssl = match pki {
            None => "[ssl]\nenabled = false\n".to_string(),
            Some(p) => format!(
                "[ssl]\nenabled = true\nclient_cert_required = true\nca = {}\ncert = {}\nkey = {}\ncert_db = {}\n",
                p.ca.display(),
                p.server_cert.display(),
                p.server_key.display(),
                dir.path().join("cert-db.txt").display()
            ),
        };
        let conf = dir.path().join("taky.conf");
        std::fs::write(
            &conf,
            format!(
                "[taky]\nbind_ip = 127.0.0.1\nroot_dir = {}\n\n[cot_server]\nport = {port}\n\n[dp_server]\nupload_path = {}\n\n{ssl}",
                dir.path().display(),
                dir.path().join("dp").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("taky.log")).unwrap();
        let child = Command::new(referee_python())
            .args(["-m", "taky.cot", "-l", "info", "-c"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("taky starts");
        let mut taky = Taky { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = taky.child.try_wait().unwrap() {
                panic!("taky exited ({status}) before listening:\n{}", taky.log());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return taky;
            }
            assert!(
                Instant::now() < deadline,
                "taky did not listen on {port} within 15 s:\n{}",
                taky.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("taky.log")).unwrap_or_default()
    }
}

impl Drop for Taky {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One CoT event as received, with when it was complete.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub xml: String,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// Reads a CoT XML stream into `inbox`, stamping each event when its last byte arrived.
async fn read_events<R: AsyncRead + Unpin>(mut rd: R, inbox: Inbox) {
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let at = Instant::now();
        pending.extend_from_slice(&buf[..n]);
        while let Ok(Some((event, used))) = split_xml_stream(&pending, 1 << 20) {
            let xml = String::from_utf8_lossy(event).trim().to_string();
            inbox.lock().unwrap().push(Received { at, xml });
            pending.drain(..used);
        }
    }
}

/// An SA report like ATAK's (friendly ground unit, with takv, contact and group, so TAK
/// servers take it as the device identifying itself).
pub fn sa_xml(uid: &str, callsign: &str, lat: f64, lon: f64, stale_s: f64) -> String {
    let now = picket_core::Timestamp::from_micros(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64,
    );
    let t = picket_cot::format_cot_time(now);
    let s = picket_cot::format_cot_time(now.plus_secs_f64(stale_s));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="{uid}" type="a-f-G-U-C" how="h-e" time="{t}" start="{t}" stale="{s}"><point lat="{lat}" lon="{lon}" hae="1401.0" ce="5.0" le="9999999.0"/><detail><takv os="34" version="4.10.0" device="TEST" platform="ATAK-CIV"/><contact callsign="{callsign}" endpoint="*:-1:stcp"/><__group name="Cyan" role="Team Member"/><track course="0.0" speed="1.2"/></detail></event>"#
    )
}

/// An ATAK-like client of a TAK server: announces itself, then records what it receives.
pub struct TakClient {
    writer: tokio::sync::Mutex<Box<dyn AsyncWrite + Send + Unpin>>,
    inbox: Inbox,
    pub uid: String,
    pub callsign: String,
}

impl TakClient {
    fn start<S: AsyncRead + AsyncWrite + Send + 'static>(
        stream: S,
        uid: &str,
        callsign: &str,
    ) -> Self {
        let (rd, wr): (_, WriteHalf<S>) = tokio::io::split(stream);
        let inbox: Inbox = Arc::default();
        tokio::spawn(read_events(rd, inbox.clone()));
        TakClient {
            writer: tokio::sync::Mutex::new(Box::new(wr)),
            inbox,
            uid: uid.into(),
            callsign: callsign.into(),
        }
    }

    pub async fn tcp(port: u16, uid: &str, callsign: &str) -> Self {
        let s = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("taky accepts");
        let c = Self::start(s, uid, callsign);
        c.announce().await;
        c
    }

    pub async fn tls(
        port: u16,
        config: Arc<rustls::ClientConfig>,
        uid: &str,
        callsign: &str,
    ) -> Self {
        let s = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("taky accepts");
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
        let s = tokio_rustls::TlsConnector::from(config)
            .connect(name, s)
            .await
            .expect("TLS handshake with taky");
        let c = Self::start(s, uid, callsign);
        c.announce().await;
        c
    }

    pub async fn announce(&self) {
        self.send(&sa_xml(&self.uid, &self.callsign, 31.34, -109.96, 120.0))
            .await;
    }

    pub async fn send(&self, xml: &str) {
        let mut w = self.writer.lock().await;
        w.write_all(xml.as_bytes()).await.expect("write to taky");
        w.flush().await.unwrap();
    }

    pub fn events(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// Waits until nothing new has arrived for `quiet` (at most `max`).
    pub async fn settle(&self, quiet: Duration, max: Duration) {
        settle(&self.inbox, quiet, max).await
    }
}

async fn settle(inbox: &Inbox, quiet: Duration, max: Duration) {
    let end = Instant::now() + max;
    let mut last = (usize::MAX, Instant::now());
    while Instant::now() < end {
        let n = inbox.lock().unwrap().len();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() >= quiet {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP proxy in front of a server that records the events its clients send.
pub struct Proxy {
    pub port: u16,
    inbox: Inbox,
}

impl Proxy {
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let inbox: Inbox = Arc::default();
        let rec = inbox.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                    continue;
                };
                let (mut crd, mut cwr) = client.into_split();
                let (mut srd, mut swr) = server.into_split();
                let rec = rec.clone();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut srd, &mut cwr).await;
                });
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut pending = Vec::new();
                    loop {
                        let n = match crd.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let at = Instant::now();
                        pending.extend_from_slice(&buf[..n]);
                        while let Ok(Some((event, used))) = split_xml_stream(&pending, 1 << 20) {
                            let xml = String::from_utf8_lossy(event).trim().to_string();
                            rec.lock().unwrap().push(Received { at, xml });
                            pending.drain(..used);
                        }
                        if swr.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = swr.shutdown().await;
                });
            }
        });
        Proxy { port, inbox }
    }

    pub fn events(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }
}

/// Parses each XML event with takproto; one JSON object per event.
pub fn takproto(events: &[String]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/takproto_parse.py");
    let mut child = Command::new(referee_python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("referee starts");
    let input = serde_json::to_vec(events).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "takproto referee failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).expect("referee JSON");
    assert_eq!(v.len(), events.len());
    v
}

/// p-th percentile (0–100) of durations, in milliseconds.
pub fn percentile_ms(mut d: Vec<Duration>, p: f64) -> f64 {
    assert!(!d.is_empty());
    d.sort();
    let i = ((p / 100.0) * (d.len() - 1) as f64).round() as usize;
    d[i].as_secs_f64() * 1000.0
}
