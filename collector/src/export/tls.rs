//! TLS for exporters whose URL is `https://` or `grpcs://`: a rustls client configuration
//! built once at start from `tls.ca_file` (else Mozilla's roots, built in) and an optional
//! client certificate and key. Certificate checks cannot be turned off.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{AlertDescription, ClientConfig, RootCertStore};
use serde::Deserialize;

/// The `tls:` block of one exporter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM file of the CA certificate(s) the backend's certificate must chain to; replaces
    /// the built-in Mozilla roots when set.
    pub ca_file: Option<PathBuf>,
    /// PEM file of the client certificate chain, for backends that require client auth.
    pub cert_file: Option<PathBuf>,
    /// PEM file of the client certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
}

impl TlsSettings {
    /// Whether any file is named.
    pub fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.cert_file.is_some() || self.key_file.is_some()
    }
}

/// Why a TLS configuration cannot be built; every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// A file is missing, unreadable or not PEM.
    #[error("cannot read {key} {}: {reason}", path.display())]
    Read {
        /// The config key, e.g. `tls.ca_file`.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A certificate file holds no certificate.
    #[error("{key} {} holds no PEM certificate", path.display())]
    NoCertificate {
        /// The config key.
        key: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A CA certificate that cannot be a trust anchor.
    #[error("tls.ca_file {}: {reason}", path.display())]
    BadCa {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// Only one of `tls.cert_file` and `tls.key_file`.
    #[error("tls.cert_file and tls.key_file go together; only {given} is set")]
    HalfClientAuth {
        /// The key that is set.
        given: &'static str,
    },
    /// The client certificate and key do not make a usable pair.
    #[error(
        "tls.cert_file {} with tls.key_file {}: {reason}",
        cert.display(),
        key.display()
    )]
    ClientAuth {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// rustls refused the protocol setup (does not happen with the built-in provider).
    #[error("TLS setup failed: {0}")]
    Setup(String),
}

/// The TLS side of one exporter: its settings and the client configuration built from them.
#[derive(Clone)]
pub struct ExportTls {
    settings: TlsSettings,
    config: Arc<ClientConfig>,
}

impl fmt::Debug for ExportTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportTls")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Two exporters' TLS is the same when built from the same files.
impl PartialEq for ExportTls {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
    }
}

impl Eq for ExportTls {}

impl ExportTls {
    /// Reads the files `settings` names and builds the client configuration.
    pub fn new(settings: &TlsSettings) -> Result<Self, TlsError> {
        let roots = match &settings.ca_file {
            Some(path) => ca_roots(path)?,
            None => RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| TlsError::Setup(err.to_string()))?
            .with_root_certificates(roots);
        let config = match (&settings.cert_file, &settings.key_file) {
            (None, None) => builder.with_no_client_auth(),
            (Some(_), None) => {
                return Err(TlsError::HalfClientAuth {
                    given: "tls.cert_file",
                });
            }
            (None, Some(_)) => {
                return Err(TlsError::HalfClientAuth {
                    given: "tls.key_file",
                });
            }
            (Some(cert), Some(key)) => {
                let chain = certificates("tls.cert_file", cert)?;
                let private = PrivateKeyDer::from_pem_file(key).map_err(|err| TlsError::Read {
                    key: "tls.key_file",
                    path: key.clone(),
                    reason: err.to_string(),
                })?;
                builder
                    .with_client_auth_cert(chain, private)
                    .map_err(|err| TlsError::ClientAuth {
                        cert: cert.clone(),
                        key: key.clone(),
                        reason: err.to_string(),
                    })?
            }
        };
        Ok(Self {
            settings: settings.clone(),
            config: Arc::new(config),
        })
    }

    /// The client configuration (ALPN is set by the connector).
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::clone(&self.config)
    }
}

fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let read = |err: rustls::pki_types::pem::Error| TlsError::Read {
        key,
        path: path.to_owned(),
        reason: err.to_string(),
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(read)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            key,
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

fn ca_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in certificates("tls.ca_file", path)? {
        roots.add(cert).map_err(|err| TlsError::BadCa {
            path: path.to_owned(),
            reason: err.to_string(),
        })?;
    }
    Ok(roots)
}

/// Whether a failed request failed because one side did not trust the other's certificate:
/// trying again cannot help until the configuration changes, so the batch is given up.
pub fn is_trust_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return match tls {
                rustls::Error::InvalidCertificate(_) => true,
                rustls::Error::AlertReceived(alert) => matches!(
                    alert,
                    AlertDescription::BadCertificate
                        | AlertDescription::UnsupportedCertificate
                        | AlertDescription::CertificateRevoked
                        | AlertDescription::CertificateExpired
                        | AlertDescription::CertificateUnknown
                        | AlertDescription::UnknownCA
                        | AlertDescription::CertificateRequired
                ),
                _ => false,
            };
        }
        // `io::Error::source` skips the error it wraps, so look inside it first.
        next = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ca: Option<&str>, cert: Option<&str>, key: Option<&str>) -> TlsSettings {
        TlsSettings {
            ca_file: ca.map(PathBuf::from),
            cert_file: cert.map(PathBuf::from),
            key_file: key.map(PathBuf::from),
        }
    }

    #[test]
    fn built_in_roots_need_no_file() {
        let tls = ExportTls::new(&TlsSettings::default()).unwrap();
        assert!(format!("{tls:?}").contains("ExportTls"));
    }

    #[test]
    fn errors_name_the_file() {
        let missing = ExportTls::new(&settings(Some("/nonexistent/ca.pem"), None, None))
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("cannot read tls.ca_file /nonexistent/ca.pem"),
            "{missing}"
        );
        let dir = std::env::temp_dir().join(format!("meshtrace-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not pem\n").unwrap();
        let err = ExportTls::new(&settings(empty.to_str(), None, None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("tls.ca_file {} holds no PEM certificate", empty.display())
        );
        let half = ExportTls::new(&settings(None, Some("/c.pem"), None)).unwrap_err();
        assert_eq!(
            half,
            TlsError::HalfClientAuth {
                given: "tls.cert_file"
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn trust_failures_are_found_inside_io_errors() {
        let invalid = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::other(invalid);
        assert!(is_trust_failure(&io));
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(!is_trust_failure(&refused));
        let alert =
            std::io::Error::other(rustls::Error::AlertReceived(AlertDescription::UnknownCA));
        assert!(is_trust_failure(&alert));
    }
}
