//! Which certificates are trusted to sign for which sender, judged at the alert's `<sent>` time.
//!
//! A trust directory holds `trust.toml` and the certificate files it names:
//!
//! ```toml
//! # one [[sender]] table per CAP <sender>
//! [[sender]]
//! sender = "w-nws.webmaster@noaa.gov"
//! certificates = ["nws-2024.pem", "nws-2025.der"]   # relative to the directory
//! ```
//!
//! A certificate file is PEM (every `CERTIFICATE` block in it counts) or DER. Certificates are
//! pinned: a signature is trusted when its certificate is byte for byte one listed for the
//! alert's sender and the alert was sent within the certificate's validity period. Issuer
//! chains and revocation are not checked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Deserialize;

use super::dsig::{Integrity, Verification, verify};
use super::keys::pem_blocks;
use super::x509::Certificate;

/// The file in a trust directory that maps senders to certificates.
pub const TRUST_FILE: &str = "trust.toml";

/// Why a trust directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: {error}")]
    Config {
        path: PathBuf,
        error: toml::de::Error,
    },
    #[error("{path}: {error}")]
    Certificate { path: PathBuf, error: String },
}

/// `trust.toml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustFile {
    /// One entry per sender.
    #[serde(default)]
    sender: Vec<SenderEntry>,
}

/// One `[[sender]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SenderEntry {
    /// The CAP `<sender>` exactly as the alerts carry it.
    sender: String,
    /// Certificate files (PEM or DER), relative to the trust directory.
    certificates: Vec<PathBuf>,
}

/// The certificates accepted per sender.
#[derive(Debug, Default, Clone)]
pub struct TrustStore {
    senders: HashMap<String, Vec<Certificate>>,
}

/// Whether a signature is trusted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    Trusted { subject: String, sender: String },
    Untrusted(Distrust),
}

/// Why a signature is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Distrust {
    #[error("not genuine, so not trusted")]
    NotGenuine,
    #[error("the alert has no sender or no valid sent time")]
    NoSenderOrSent,
    #[error("no certificates are trusted for sender {0}")]
    UnknownSender(String),
    #[error("certificate {subject} not in trust store for sender {sender}")]
    NotInStore { subject: String, sender: String },
    #[error("certificate {subject} expired at sent time (valid until {not_after})")]
    Expired {
        subject: String,
        not_after: Timestamp,
    },
    #[error("certificate {subject} not yet valid at sent time (valid from {not_before})")]
    NotYetValid {
        subject: String,
        not_before: Timestamp,
    },
}

impl std::fmt::Display for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::Trusted { subject, sender } => {
                write!(f, "signed by {subject}, trusted for sender {sender}")
            }
            Trust::Untrusted(why) => write!(f, "untrusted: {why}"),
        }
    }
}

/// What an alert's signature says: its integrity, and for a genuine one whether it is trusted.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub verification: Verification,
    pub trust: Trust,
}

impl Verdict {
    /// Genuine and trusted.
    pub fn is_trusted(&self) -> bool {
        matches!(self.trust, Trust::Trusted { .. })
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.verification.integrity, &self.trust) {
            (Integrity::Genuine { .. }, trusted @ Trust::Trusted { .. }) => {
                write!(f, "genuine and trusted: {trusted}")
            }
            (Integrity::Genuine { .. }, Trust::Untrusted(why)) => {
                write!(f, "genuine but untrusted: {why}")
            }
            (integrity, _) => write!(f, "{integrity}"),
        }
    }
}

impl TrustStore {
    /// Verifies an alert's signature and judges the trust of a genuine one at its `sent` time.
    pub fn verdict(&self, bytes: &[u8]) -> Verdict {
        let verification = verify(bytes);
        let trust = match (&verification.sender, verification.sent) {
            (Some(sender), Some(sent)) => self.judge(&verification.integrity, sender, sent),
            _ if matches!(verification.integrity, Integrity::Genuine { .. }) => {
                Trust::Untrusted(Distrust::NoSenderOrSent)
            }
            _ => Trust::Untrusted(Distrust::NotGenuine),
        };
        Verdict {
            verification,
            trust,
        }
    }

    /// Loads `dir/trust.toml` and the certificates it names.
    pub fn load(dir: &Path) -> Result<TrustStore, TrustError> {
        let path = dir.join(TRUST_FILE);
        let text = read(&path)?;
        let text = String::from_utf8_lossy(&text);
        let file: TrustFile =
            toml::from_str(&text).map_err(|error| TrustError::Config { path, error })?;
        let mut store = TrustStore::default();
        for entry in file.sender {
            for cert_path in &entry.certificates {
                let path = dir.join(cert_path);
                let certs = certificates(&read(&path)?)
                    .map_err(|error| TrustError::Certificate { path, error })?;
                for cert in certs {
                    store.add(&entry.sender, cert);
                }
            }
        }
        Ok(store)
    }

    /// Trusts `certificate` for `sender`.
    pub fn add(&mut self, sender: &str, certificate: Certificate) {
        self.senders
            .entry(sender.to_string())
            .or_default()
            .push(certificate);
    }

    /// Judges a signature's trust for an alert from `sender` sent at `sent`.
    pub fn judge(&self, integrity: &Integrity, sender: &str, sent: Timestamp) -> Trust {
        let Integrity::Genuine { signer } = integrity else {
            return Trust::Untrusted(Distrust::NotGenuine);
        };
        let subject = signer.subject.clone();
        let Some(trusted) = self.senders.get(sender) else {
            return Trust::Untrusted(Distrust::UnknownSender(sender.into()));
        };
        if !trusted.iter().any(|c| c.der() == signer.der()) {
            return Trust::Untrusted(Distrust::NotInStore {
                subject,
                sender: sender.into(),
            });
        }
        if sent > signer.not_after {
            return Trust::Untrusted(Distrust::Expired {
                subject,
                not_after: signer.not_after,
            });
        }
        if sent < signer.not_before {
            return Trust::Untrusted(Distrust::NotYetValid {
                subject,
                not_before: signer.not_before,
            });
        }
        Trust::Trusted {
            subject,
            sender: sender.into(),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TrustError> {
    std::fs::read(path).map_err(|error| TrustError::Io {
        path: path.into(),
        error,
    })
}

/// The certificates in a PEM or DER file.
fn certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    if !bytes.starts_with(b"-----BEGIN") {
        return Ok(vec![
            Certificate::from_der(bytes).map_err(|e| e.to_string())?,
        ]);
    }
    let text = String::from_utf8_lossy(bytes);
    let blocks = pem_blocks(&text).map_err(|e| e.to_string())?;
    let certs: Result<Vec<_>, _> = blocks
        .iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| Certificate::from_der(der).map_err(|e| e.to_string()))
        .collect();
    match certs? {
        certs if certs.is_empty() => Err("no CERTIFICATE block".into()),
        certs => Ok(certs),
    }
}
