//! Mutual TLS to a TAK server: rustls with the `ring` provider, the site's CA as the only
//! trust root, Picket's client certificate.

use super::{TakConfigError, TlsFiles};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// A ready TLS client for one server name.
#[derive(Clone)]
pub(crate) struct Client {
    pub connector: TlsConnector,
    pub server_name: ServerName<'static>,
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TakConfigError> {
    std::fs::read(path).map_err(|source| TakConfigError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

fn certs(what: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TakConfigError> {
    let pem = read(what, path)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TakConfigError::Pem {
            what,
            path: path.to_owned(),
            expected: "PEM certificate (-----BEGIN CERTIFICATE-----)",
        });
    }
    Ok(certs)
}

impl Client {
    /// Loads the CA, certificate and key, and checks they make a client configuration.
    pub(crate) fn load(files: &TlsFiles, host: &str) -> Result<Self, TakConfigError> {
        let mut roots = RootCertStore::empty();
        for ca in certs("ca", &files.ca)? {
            roots
                .add(ca)
                .map_err(|e| TakConfigError::Tls(format!("CA `{}`: {e}", files.ca.display())))?;
        }
        let chain = certs("cert", &files.cert)?;
        let key_pem = read("key", &files.key)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TakConfigError::Pem {
            what: "key",
            path: files.key.clone(),
            expected: "unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)",
        })?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TakConfigError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .map_err(|e| {
                TakConfigError::Tls(format!(
                    "client certificate `{}` and key `{}`: {e}",
                    files.cert.display(),
                    files.key.display()
                ))
            })?;
        let server_name = ServerName::try_from(host.to_owned()).map_err(|_| {
            TakConfigError::Tls(format!("`{host}` is not a valid server name for TLS"))
        })?;
        Ok(Client {
            connector: TlsConnector::from(Arc::new(config)),
            server_name,
        })
    }
}
