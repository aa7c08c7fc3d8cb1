//! Signing keys read from PEM: a PKCS#8 private key (ECDSA P-256 or RSA 2048–8192 bits) and,
//! optionally, the X.509 certificate to name in `KeyInfo`. Also the PEM reader used for trust
//! store certificates.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self as sig, EcdsaKeyPair, KeyPair as _, RsaKeyPair};

use super::x509::{CertError, Certificate, PublicKey};

/// `SignatureMethod` URI for RSA with SHA-256.
pub(crate) const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// `SignatureMethod` URI for ECDSA with SHA-256.
pub(crate) const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// Why a signing key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("no PRIVATE KEY block in the key PEM (a PKCS#8 key is expected)")]
    NoKey,
    #[error("bad PEM: {0}")]
    Pem(String),
    #[error("the private key is neither ECDSA P-256 nor RSA 2048–8192 bits: {0}")]
    Rejected(String),
    #[error(transparent)]
    Certificate(#[from] CertError),
    #[error("the certificate's public key ({0}) does not belong to the private key")]
    CertificateMismatch(String),
}

/// A private key for signing alerts, with its certificate when one was given.
pub struct SigningKey {
    pair: Pair,
    certificate: Option<Certificate>,
    rng: SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subject = self.certificate.as_ref().map(|c| c.subject.as_str());
        f.debug_struct("SigningKey")
            .field("method", &self.method())
            .field("certificate", &subject)
            .finish()
    }
}

enum Pair {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

impl SigningKey {
    /// Reads a PKCS#8 `PRIVATE KEY` from `key_pem`. The certificate is the first `CERTIFICATE`
    /// block of `cert_pem`, or else of `key_pem`; it must hold the key's public half.
    pub fn from_pem(key_pem: &str, cert_pem: Option<&str>) -> Result<SigningKey, KeyError> {
        let blocks = pem_blocks(key_pem)?;
        let pkcs8 = blocks
            .iter()
            .find(|(label, _)| label == "PRIVATE KEY")
            .ok_or(KeyError::NoKey)?;
        let rng = SystemRandom::new();
        let pair = key_pair(&pkcs8.1, &rng)?;
        let cert_blocks = match cert_pem {
            Some(pem) => pem_blocks(pem)?,
            None => blocks,
        };
        let certificate = match cert_blocks
            .into_iter()
            .find(|(label, _)| label == "CERTIFICATE")
        {
            Some((_, der)) => Some(Certificate::from_der(&der)?),
            None => None,
        };
        let key = SigningKey {
            pair,
            certificate,
            rng,
        };
        key.check_certificate()?;
        Ok(key)
    }

    fn check_certificate(&self) -> Result<(), KeyError> {
        let Some(cert) = &self.certificate else {
            return Ok(());
        };
        let matches = match (&self.pair, &cert.key) {
            (Pair::Ecdsa(pair), PublicKey::EcP256(key)) => {
                pair.public_key().as_ref() == key.as_slice()
            }
            (Pair::Rsa(pair), PublicKey::Rsa(key)) => pair.public().as_ref() == key.as_slice(),
            _ => false,
        };
        match matches {
            true => Ok(()),
            false => Err(KeyError::CertificateMismatch(cert.key_kind())),
        }
    }

    /// The certificate to name in `KeyInfo`, if any.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// The `SignatureMethod` URI this key signs with.
    pub fn method(&self) -> &'static str {
        match self.pair {
            Pair::Ecdsa(_) => ECDSA_SHA256,
            Pair::Rsa(_) => RSA_SHA256,
        }
    }

    /// Signs `message` (ECDSA as raw `r‖s`, as XML-DSig wants).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        match &self.pair {
            Pair::Ecdsa(pair) => Ok(pair.sign(&self.rng, message)?.as_ref().to_vec()),
            Pair::Rsa(pair) => {
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(&sig::RSA_PKCS1_SHA256, &self.rng, message, &mut out)?;
                Ok(out)
            }
        }
    }
}

fn key_pair(pkcs8: &[u8], rng: &SystemRandom) -> Result<Pair, KeyError> {
    let ecdsa = EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, rng);
    if let Ok(pair) = ecdsa {
        return Ok(Pair::Ecdsa(pair));
    }
    RsaKeyPair::from_pkcs8(pkcs8)
        .map(Pair::Rsa)
        .map_err(|e| KeyError::Rejected(e.to_string()))
}

/// The blocks of a PEM text: label (`CERTIFICATE`, `PRIVATE KEY`, …) and decoded bytes.
pub(crate) fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>, KeyError> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let body: String = lines.by_ref().take_while(|l| *l != end).collect();
        let der = STANDARD
            .decode(body)
            .map_err(|e| KeyError::Pem(format!("{label}: {e}")))?;
        blocks.push((label.to_string(), der));
    }
    Ok(blocks)
}
