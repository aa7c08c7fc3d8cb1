//! Enveloped XML Signatures over a whole alert: signing, and checking integrity (are the bytes
//! those the holder of the certificate's key signed?). Trust in that certificate is decided
//! apart, by [`TrustStore`](super::TrustStore).
//!
//! Checks run in the order `xmlsec1 --verify` runs them, so a refusal names the same first
//! fault: the signature's structure, then the key, then the reference digest, then the
//! signature value. Only what an enveloped signature over an alert needs is supported: one
//! `Reference` with `URI=""`, the enveloped-signature and canonicalisation transforms, SHA-1 or
//! SHA-256 digests, RSA (SHA-1, SHA-256) or ECDSA P-256 (SHA-256) signatures, and the key taken
//! from `KeyInfo/X509Data/X509Certificate`.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use jiff::Timestamp;
use ring::digest;
use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};

use super::c14n::{self, Algorithm};
use super::keys::{ECDSA_SHA256, RSA_SHA256, SigningKey};
use super::tree::{self, Document, Element};
use super::x509::{Certificate, PublicKey};

/// The XML-DSig namespace.
pub(crate) const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// Base64 as XML-DSig processors read it: unused trailing bits and missing padding tolerated.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The integrity of an alert's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The alert carries no `Signature`.
    Unsigned,
    /// The signature holds: the alert is as the holder of `signer`'s key signed it.
    Genuine { signer: Certificate },
    /// The signature does not hold, or cannot be checked.
    Refused(Refusal),
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The signed content changed after signing.
    #[error("digest mismatch: the signed content was changed")]
    DigestMismatch,
    /// The signature value does not verify with the certificate's key.
    #[error("bad signature value")]
    BadSignatureValue,
    /// The certificate cannot have made this signature.
    #[error("certificate does not match: {0}")]
    CertificateMismatch(String),
    /// No certificate to check the signature with.
    #[error("key absent: {0}")]
    KeyAbsent(String),
    /// A construct or algorithm outside what is supported.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The signature is not well formed.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The document cannot be read as XML, or exceeds the reader's bounds.
    #[error("the document cannot be read: {0}")]
    Unreadable(String),
}

impl std::fmt::Display for Integrity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Integrity::Unsigned => write!(f, "unsigned"),
            Integrity::Genuine { signer } => write!(f, "genuine, signed by {}", signer.subject),
            Integrity::Refused(why) => write!(f, "not genuine: {why}"),
        }
    }
}

/// An alert's signature checked, with the alert's `sender` and `sent` for judging trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub integrity: Integrity,
    /// The alert's `<sender>`, when it has one.
    pub sender: Option<String>,
    /// The alert's `<sent>`, when it has a valid one.
    pub sent: Option<Timestamp>,
}

/// Checks the enveloped signature of an alert (a `Signature` child of the root element).
pub fn verify(xml: &[u8]) -> Verification {
    let doc = match tree::parse(xml) {
        Ok(doc) => doc,
        Err(e) => {
            let integrity = Integrity::Refused(Refusal::Unreadable(e.to_string()));
            return Verification {
                integrity,
                sender: None,
                sent: None,
            };
        }
    };
    let header = |name: &str| {
        doc.root
            .child(&doc.root.ns, name)
            .map(|e| e.text().trim().to_string())
    };
    let sender = header("sender");
    let sent = header("sent").and_then(|s| s.parse().ok());
    Verification {
        integrity: integrity(&doc),
        sender,
        sent,
    }
}

/// Checks every `Signature` child of the root in document order; the first refusal decides.
fn integrity(doc: &Document) -> Integrity {
    let mut first = None;
    for signature in signatures(&doc.root) {
        match check(doc, signature) {
            Ok(signer) => first = first.or(Some(signer)),
            Err(refusal) => return Integrity::Refused(refusal),
        }
    }
    first.map_or(Integrity::Unsigned, |signer| Integrity::Genuine { signer })
}

/// The root's `Signature` children.
fn signatures(root: &Element) -> impl Iterator<Item = &Element> {
    root.elements().filter(|e| e.is(DSIG, "Signature"))
}

/// The parts of a `Signature` that checking needs.
struct Parts<'a> {
    signed_info: &'a Element,
    c14n: Algorithm,
    method: &'static str,
    reference: Reference,
    value: Vec<u8>,
    key_info: Option<&'a Element>,
}

/// The one `Reference`: its transforms and digest.
struct Reference {
    enveloped: bool,
    c14n: Algorithm,
    digest: &'static digest::Algorithm,
    value: Vec<u8>,
}

fn check(doc: &Document, signature: &Element) -> Result<Certificate, Refusal> {
    let parts = parts(signature)?;
    let signer = certificate(parts.key_info)?;
    let algorithm = verification_algorithm(parts.method, &signer)?;
    let omit = parts.reference.enveloped.then_some(signature);
    let canonical = c14n::document(doc, parts.reference.c14n, omit);
    if digest::digest(parts.reference.digest, &canonical).as_ref() != parts.reference.value {
        return Err(Refusal::DigestMismatch);
    }
    let signed = c14n::subtree(&[&doc.root, signature], parts.signed_info, parts.c14n);
    let key = match &signer.key {
        PublicKey::Rsa(k) | PublicKey::EcP256(k) => k,
        PublicKey::Other(_) => return Err(Refusal::CertificateMismatch(signer.key_kind())),
    };
    UnparsedPublicKey::new(algorithm, key)
        .verify(&signed, &parts.value)
        .map_err(|_| Refusal::BadSignatureValue)?;
    Ok(signer)
}

fn malformed(what: &str) -> Refusal {
    Refusal::Malformed(what.into())
}

fn unsupported(what: impl Into<String>) -> Refusal {
    Refusal::Unsupported(what.into())
}

fn parts(signature: &Element) -> Result<Parts<'_>, Refusal> {
    let mut children = signature.elements();
    let signed_info = children
        .next()
        .filter(|e| e.is(DSIG, "SignedInfo"))
        .ok_or_else(|| malformed("no SignedInfo"))?;
    let value_el = children
        .next()
        .filter(|e| e.is(DSIG, "SignatureValue"))
        .ok_or_else(|| malformed("no SignatureValue"))?;
    let mut key_info = None;
    for child in children {
        match child.local.as_str() {
            "KeyInfo" if child.ns == DSIG && key_info.is_none() => key_info = Some(child),
            // xmlsec1 refuses an Object in any namespace (some carry `xmlns=""`).
            "Object" => return Err(unsupported("Object in Signature")),
            other => {
                return Err(Refusal::Malformed(format!(
                    "unexpected {other} in Signature"
                )));
            }
        }
    }
    let mut info = signed_info.elements();
    let c14n = info
        .next()
        .filter(|e| e.is(DSIG, "CanonicalizationMethod"))
        .ok_or_else(|| malformed("no CanonicalizationMethod"))?;
    let c14n = c14n_algorithm(c14n)?;
    let method = info
        .next()
        .filter(|e| e.is(DSIG, "SignatureMethod"))
        .ok_or_else(|| malformed("no SignatureMethod"))?;
    let method = signature_method(method.attr("Algorithm").unwrap_or_default())?;
    let reference = info
        .next()
        .filter(|e| e.is(DSIG, "Reference"))
        .ok_or_else(|| malformed("no Reference"))?;
    if info.next().is_some() {
        return Err(unsupported("more than one Reference"));
    }
    let reference = self::reference(reference)?;
    let value = base64(value_el, "SignatureValue")?;
    Ok(Parts {
        signed_info,
        c14n,
        method,
        reference,
        value,
        key_info,
    })
}

fn c14n_algorithm(e: &Element) -> Result<Algorithm, Refusal> {
    if e.elements().next().is_some() {
        return Err(unsupported(format!("parameters of {}", e.local)));
    }
    let uri = e.attr("Algorithm").unwrap_or_default();
    Algorithm::from_uri(uri).ok_or_else(|| unsupported(format!("canonicalisation {uri:?}")))
}

fn signature_method(uri: &str) -> Result<&'static str, Refusal> {
    [RSA_SHA1, RSA_SHA256, ECDSA_SHA256]
        .into_iter()
        .find(|m| *m == uri)
        .ok_or_else(|| unsupported(format!("signature method {uri:?}")))
}

fn reference(e: &Element) -> Result<Reference, Refusal> {
    // An absent URI is read as the whole document, as xmlsec1 does.
    if let Some(uri) = e.attr("URI").filter(|uri| !uri.is_empty()) {
        return Err(unsupported(format!(
            "Reference URI {uri:?} (only \"\" is supported)"
        )));
    }
    let mut children = e.elements().peekable();
    let mut enveloped = false;
    // A URI="" reference excludes comments whatever the transform says (XML-DSig §4.4.3.3).
    let mut c14n = Algorithm::from_uri(c14n::C14N10).ok_or_else(|| malformed("C14N 1.0"))?;
    if let Some(transforms) = children.next_if(|c| c.is(DSIG, "Transforms")) {
        for t in transforms.elements() {
            match t.attr("Algorithm").unwrap_or_default() {
                ENVELOPED if t.is(DSIG, "Transform") && !enveloped => enveloped = true,
                _ if t.is(DSIG, "Transform") => c14n = c14n_algorithm(t)?,
                _ => {
                    return Err(Refusal::Malformed(format!(
                        "unexpected {} in Transforms",
                        t.local
                    )));
                }
            }
        }
    }
    c14n.comments = false;
    let method = children
        .next()
        .filter(|c| c.is(DSIG, "DigestMethod"))
        .ok_or_else(|| malformed("no DigestMethod"))?;
    let digest = match method.attr("Algorithm").unwrap_or_default() {
        SHA1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        SHA256 => &digest::SHA256,
        other => return Err(unsupported(format!("digest method {other:?}"))),
    };
    let value = children
        .next()
        .filter(|c| c.is(DSIG, "DigestValue"))
        .ok_or_else(|| malformed("no DigestValue"))?;
    let value = base64(value, "DigestValue")?;
    Ok(Reference {
        enveloped,
        c14n,
        digest,
        value,
    })
}

/// The base64 content of an element (white space ignored).
fn base64(e: &Element, what: &str) -> Result<Vec<u8>, Refusal> {
    let text: String = e.text().split_ascii_whitespace().collect();
    LENIENT
        .decode(text)
        .map_err(|err| Refusal::Malformed(format!("{what} is not base64: {err}")))
}

/// The certificate in `KeyInfo/X509Data/X509Certificate`.
fn certificate(key_info: Option<&Element>) -> Result<Certificate, Refusal> {
    let key_info = key_info.ok_or_else(|| Refusal::KeyAbsent("no KeyInfo".into()))?;
    let cert = key_info
        .elements()
        .filter(|e| e.is(DSIG, "X509Data"))
        .find_map(|data| data.child(DSIG, "X509Certificate"))
        .ok_or_else(|| {
            Refusal::KeyAbsent(
                "no X509Certificate in KeyInfo (a bare KeyValue is not accepted)".into(),
            )
        })?;
    let der = base64(cert, "X509Certificate")?;
    Certificate::from_der(&der).map_err(|e| Refusal::Malformed(e.to_string()))
}

fn verification_algorithm(
    method: &str,
    signer: &Certificate,
) -> Result<&'static dyn VerificationAlgorithm, Refusal> {
    match (method, &signer.key) {
        (RSA_SHA1, PublicKey::Rsa(_)) => Ok(&sig::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
        (RSA_SHA256, PublicKey::Rsa(_)) => Ok(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
        (ECDSA_SHA256, PublicKey::EcP256(_)) => Ok(&sig::ECDSA_P256_SHA256_FIXED),
        _ => Err(Refusal::CertificateMismatch(format!(
            "{} key cannot make a {method} signature",
            signer.key_kind()
        ))),
    }
}

/// Why an alert could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error(transparent)]
    Xml(#[from] tree::XmlError),
    #[error("the root element is <{0}>, not <alert>")]
    NotAnAlert(String),
    #[error("the alert is already signed")]
    AlreadySigned,
    #[error("the alert has no content to sign")]
    Empty,
    #[error("the signing operation failed")]
    Crypto,
}

/// Signs an alert: returns it with an enveloped `Signature` (exclusive canonicalisation,
/// SHA-256 digest, the key's signature method, and the certificate if the key has one) as the
/// last child of `<alert>`. Line ends in the result are LF.
pub fn sign(xml: &str, key: &SigningKey) -> Result<String, SignError> {
    let doc = tree::parse(xml.as_bytes())?;
    if doc.root.local != "alert" {
        return Err(SignError::NotAnAlert(doc.root.qname()));
    }
    if signatures(&doc.root).next().is_some() {
        return Err(SignError::AlreadySigned);
    }
    let close = doc.root_close.ok_or(SignError::Empty)?;
    let exclusive = Algorithm::from_uri(c14n::EXC_C14N).ok_or(SignError::Crypto)?;
    let digest = digest::digest(&digest::SHA256, &c14n::document(&doc, exclusive, None));
    let signed_info = signed_info(key.method(), &STANDARD.encode(digest));
    let canonical =
        signed_info.replacen("<SignedInfo>", &format!("<SignedInfo xmlns=\"{DSIG}\">"), 1);
    let value = STANDARD.encode(
        key.sign(canonical.as_bytes())
            .map_err(|_| SignError::Crypto)?,
    );
    let key_info = match key.certificate() {
        Some(cert) => format!(
            "<KeyInfo><X509Data><X509Certificate>{}</X509Certificate></X509Data></KeyInfo>",
            STANDARD.encode(cert.der())
        ),
        None => String::new(),
    };
    let signature = format!(
        "<Signature xmlns=\"{DSIG}\">{signed_info}<SignatureValue>{value}</SignatureValue>{key_info}</Signature>"
    );
    let (head, tail) = (doc.source.get(..close), doc.source.get(close..));
    let (Some(head), Some(tail)) = (head, tail) else {
        return Err(SignError::Empty);
    };
    let mut out = String::with_capacity(doc.source.len() + signature.len());
    out.push_str(head);
    out.push_str(&signature);
    out.push_str(tail);
    Ok(out)
}

/// `SignedInfo` in canonical form (less the namespace declaration it inherits).
fn signed_info(method: &str, digest: &str) -> String {
    let exc = c14n::EXC_C14N;
    format!(
        "<SignedInfo><CanonicalizationMethod Algorithm=\"{exc}\"></CanonicalizationMethod>\
         <SignatureMethod Algorithm=\"{method}\"></SignatureMethod>\
         <Reference URI=\"\"><Transforms><Transform Algorithm=\"{ENVELOPED}\"></Transform>\
         <Transform Algorithm=\"{exc}\"></Transform></Transforms>\
         <DigestMethod Algorithm=\"{SHA256}\"></DigestMethod><DigestValue>{digest}</DigestValue>\
         </Reference></SignedInfo>"
    )
}
