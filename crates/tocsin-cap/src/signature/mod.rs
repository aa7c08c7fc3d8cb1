//! Enveloped XML Signatures for CAP alerts: signing outgoing alerts, checking the integrity of
//! incoming ones, and judging trust in the signer apart from integrity.
//!
//! - [`sign`] puts a `Signature` (exclusive canonicalisation, SHA-256, RSA-SHA256 or
//!   ECDSA-P256-SHA256, with `X509Data` when the key has a certificate) as the last child of
//!   `<alert>`; `xmlsec1 --verify` and Python's `signxml` accept the result.
//! - [`verify`] answers whether the alert is as its signer signed it ([`Integrity`]), naming
//!   the fault when it is not ([`Refusal`]). It agrees with `xmlsec1 --verify --insecure
//!   --enabled-key-data x509` on the reference corpus.
//! - [`TrustStore::judge`] decides whether that signer is trusted for the alert's sender at
//!   its `<sent>` time ([`Trust`]).
//!
//! Reading never touches the network or the file system: a `DOCTYPE` is refused.
//! This module must not depend on the alert model: it works on the XML as signed.

mod c14n;
mod dsig;
mod keys;
mod tree;
mod trust;
mod x509;

pub use dsig::{Integrity, Refusal, SignError, Verification, sign, verify};
pub use keys::{KeyError, SigningKey};
pub use tree::XmlError;
pub use trust::{Distrust, TRUST_FILE, Trust, TrustError, TrustStore, Verdict};
pub use x509::{CertError, Certificate};
