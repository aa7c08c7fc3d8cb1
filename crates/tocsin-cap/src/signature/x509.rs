//! A minimal X.509 certificate reader: walks the DER just far enough to take the subject and
//! issuer names, the validity period and the public key. It checks no certificate signature
//! and no extension; trust is decided by pinning certificates in a
//! [`TrustStore`](super::TrustStore).

use jiff::Timestamp;

/// Why certificate bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("certificate: {0}")]
pub struct CertError(String);

fn bad(what: &str) -> CertError {
    CertError(what.into())
}

/// The parts of an X.509 certificate that signatures and trust need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    der: Vec<u8>,
    /// The subject name, RFC 4514 style (`CN=…,O=…,C=…`).
    pub subject: String,
    /// The issuer name, in the same style.
    pub issuer: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub(crate) key: PublicKey,
}

/// The certificate's public key, in the form the verifier takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// A PKCS#1 `RSAPublicKey`.
    Rsa(Vec<u8>),
    /// An uncompressed P-256 point.
    EcP256(Vec<u8>),
    /// Any other key, by algorithm OID (dotted).
    Other(String),
}

const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

impl Certificate {
    /// Reads a DER-encoded certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertError> {
        let mut outer = Der::new(der);
        let cert = outer.expect(0x30)?;
        if !outer.rest.is_empty() {
            return Err(bad("trailing bytes"));
        }
        let mut tbs = Der::new(Der::new(cert).expect(0x30)?);
        if tbs.peek() == Some(0xA0) {
            tbs.read()?;
        }
        tbs.expect(0x02)?;
        tbs.expect(0x30)?;
        let issuer = name(tbs.expect(0x30)?)?;
        let mut validity = Der::new(tbs.expect(0x30)?);
        let not_before = time(validity.read()?)?;
        let not_after = time(validity.read()?)?;
        let subject = name(tbs.expect(0x30)?)?;
        let key = public_key(tbs.expect(0x30)?)?;
        Ok(Certificate {
            der: der.to_vec(),
            subject,
            issuer,
            not_before,
            not_after,
            key,
        })
    }

    /// The certificate's DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The kind of public key: `RSA`, `EC P-256` or an algorithm OID.
    pub fn key_kind(&self) -> String {
        match &self.key {
            PublicKey::Rsa(_) => "RSA".into(),
            PublicKey::EcP256(_) => "EC P-256".into(),
            PublicKey::Other(oid) => oid.clone(),
        }
    }
}

/// A cursor over DER tag-length-value items.
struct Der<'a> {
    rest: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Der { rest: bytes }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next item: its tag and content.
    fn read(&mut self) -> Result<(u8, &'a [u8]), CertError> {
        let (&tag, rest) = self.rest.split_first().ok_or_else(|| bad("truncated"))?;
        let (&first, mut rest) = rest.split_first().ok_or_else(|| bad("truncated"))?;
        let len = match first {
            0..=0x7F => usize::from(first),
            0x81..=0x84 => {
                let n = usize::from(first & 0x7F);
                let bytes = rest.get(..n).ok_or_else(|| bad("truncated length"))?;
                rest = &rest[n..];
                bytes
                    .iter()
                    .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
            }
            _ => return Err(bad("unsupported length")),
        };
        let content = rest.get(..len).ok_or_else(|| bad("truncated content"))?;
        self.rest = &rest[len..];
        Ok((tag, content))
    }

    fn expect(&mut self, tag: u8) -> Result<&'a [u8], CertError> {
        match self.read()? {
            (t, content) if t == tag => Ok(content),
            (t, _) => Err(CertError(format!(
                "expected tag {tag:#04x}, found {t:#04x}"
            ))),
        }
    }
}

/// A `Name` as `CN=…,O=…` (RFC 4514 order: last RDN first).
fn name(content: &[u8]) -> Result<String, CertError> {
    let mut rdns = Der::new(content);
    let mut parts = Vec::new();
    while !rdns.rest.is_empty() {
        let mut set = Der::new(rdns.expect(0x31)?);
        while !set.rest.is_empty() {
            let mut pair = Der::new(set.expect(0x30)?);
            let oid = pair.expect(0x06)?;
            let (tag, value) = pair.read()?;
            parts.push(format!(
                "{}={}",
                attribute_name(oid),
                string_value(tag, value)
            ));
        }
    }
    parts.reverse();
    Ok(parts.join(","))
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x0A] => "O".into(),
        [0x55, 0x04, 0x0B] => "OU".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01] => "emailAddress".into(),
        other => dotted(other),
    }
}

fn string_value(tag: u8, value: &[u8]) -> String {
    match tag {
        // BMPString: UTF-16BE.
        0x1E => {
            let units = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{FFFD}'))
                .collect()
        }
        // T61String: treated as Latin-1.
        0x14 => value.iter().map(|&b| char::from(b)).collect(),
        _ => String::from_utf8_lossy(value).into_owned(),
    }
}

/// An OID in dotted form.
fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in oid {
        acc = (acc << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let Some((&first, rest)) = arcs.split_first() else {
        return String::new();
    };
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    let tail: Vec<String> = rest.iter().map(u64::to_string).collect();
    format!("{a}.{b}.{}", tail.join("."))
}

/// A `UTCTime` or `GeneralizedTime` (`…Z` with seconds, as RFC 5280 requires).
fn time((tag, value): (u8, &[u8])) -> Result<Timestamp, CertError> {
    let text = std::str::from_utf8(value).map_err(|_| bad("time is not text"))?;
    let digits = text
        .strip_suffix('Z')
        .ok_or_else(|| bad("time is not in UTC"))?;
    if !digits.is_ascii() {
        return Err(bad("time is not ASCII"));
    }
    let (year, rest) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy: i64 = number(&digits[..2])?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        (0x18, 14) => (number(&digits[..4])?, &digits[4..]),
        _ => return Err(bad("unsupported time form")),
    };
    let field = |i: usize| number::<i64>(&rest[i..i + 2]);
    let days = days_from_civil(year, field(0)?, field(2)?);
    let seconds = days * 86_400 + field(4)? * 3600 + field(6)? * 60 + field(8)?;
    Timestamp::from_second(seconds).map_err(|_| bad("time out of range"))
}

fn number<T: std::str::FromStr>(digits: &str) -> Result<T, CertError> {
    match digits.bytes().all(|b| b.is_ascii_digit()) {
        true => digits.parse().map_err(|_| bad("bad number in time")),
        false => Err(bad("bad number in time")),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The `SubjectPublicKeyInfo`'s key.
fn public_key(spki: &[u8]) -> Result<PublicKey, CertError> {
    let mut spki = Der::new(spki);
    let mut algorithm = Der::new(spki.expect(0x30)?);
    let oid = algorithm.expect(0x06)?;
    let bits = spki.expect(0x03)?;
    let key = match bits.split_first() {
        Some((0, key)) => key.to_vec(),
        _ => return Err(bad("public key bit string")),
    };
    Ok(match oid {
        OID_RSA => PublicKey::Rsa(key),
        OID_EC if algorithm.expect(0x06)? == OID_P256 => PublicKey::EcP256(key),
        OID_EC => PublicKey::Other("EC (curve other than P-256)".into()),
        other => PublicKey::Other(dotted(other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_oids() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        let t = time((0x17, b"240621124647Z")).unwrap();
        assert_eq!(t.to_string(), "2024-06-21T12:46:47Z");
        let t = time((0x18, b"20991231235959Z")).unwrap();
        assert_eq!(t.to_string(), "2099-12-31T23:59:59Z");
        assert_eq!(dotted(OID_P256), "1.2.840.10045.3.1.7");
        assert!(Certificate::from_der(&[0x30, 0x05, 0x30]).is_err());
    }
}
