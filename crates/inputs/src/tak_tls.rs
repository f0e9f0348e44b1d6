//! Mutual TLS to a TAK server (its port 8089 with client certificates), shared by the TAK SA
//! input and the TAK output: rustls with the `ring` provider, the site's CA as the only trust
//! root, Picket's client certificate and key. Loaded (and so checked) before connecting.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// The PEM files of a mutual-TLS connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate authority (or authorities) the server's certificate must chain to.
    pub ca: PathBuf,
    /// Picket's client certificate chain.
    pub cert: PathBuf,
    /// Picket's private key (PKCS#8, PKCS#1 or SEC1, unencrypted).
    pub key: PathBuf,
}

/// Why the TLS material cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate or key file could not be read.
    #[error("cannot read the TLS {what} `{path}`: {source}")]
    Read {
        /// `ca`, `cert` or `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file held no usable PEM object.
    #[error("the TLS {what} `{path}` holds no {expected}")]
    Pem {
        /// `ca`, `cert` or `key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What was looked for.
        expected: &'static str,
    },
    /// The TLS library refused the material.
    #[error("TLS setup: {0}")]
    Setup(String),
}

/// A ready TLS client for one TAK server name.
#[derive(Clone)]
pub struct TakTlsClient {
    connector: TlsConnector,
    server_name: ServerName<'static>,
}

impl std::fmt::Debug for TakTlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TakTlsClient")
            .field("server_name", &self.server_name)
            .finish()
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

fn certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(what, path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what,
            path: path.to_owned(),
            expected: "PEM certificate (-----BEGIN CERTIFICATE-----)",
        });
    }
    Ok(certs)
}

impl TakTlsClient {
    /// Loads the CA, certificate and key for the server `host` (its certificate must name
    /// it), and checks they make a client configuration.
    pub fn load(files: &TlsFiles, host: &str) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        for ca in certs("ca", &files.ca)? {
            roots
                .add(ca)
                .map_err(|e| TlsError::Setup(format!("CA `{}`: {e}", files.ca.display())))?;
        }
        let chain = certs("cert", &files.cert)?;
        let key_pem = read("key", &files.key)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::Pem {
            what: "key",
            path: files.key.clone(),
            expected: "unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)",
        })?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| {
                TlsError::Setup(format!(
                    "client certificate `{}` and key `{}`: {e}",
                    files.cert.display(),
                    files.key.display()
                ))
            })?;
        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|_| TlsError::Setup(format!("`{host}` is not a valid server name for TLS")))?;
        Ok(TakTlsClient {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
        })
    }

    /// The TLS handshake over a connected socket.
    pub async fn connect(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        self.connector.connect(self.server_name.clone(), tcp).await
    }
}
