//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys, and the tree head
//! they carry, the C2SP `tlog-checkpoint` (<https://c2sp.org/tlog-checkpoint>).
//!
//! # Checkpoint body
//!
//! Three lines, each ending in `\n` (0x0A), then optional non-empty extension lines:
//!
//! ```text
//! <origin>\n                 the log's identity, non-empty, no control characters
//! <size>\n                   the tree size in ASCII decimal, no sign, no leading zero but "0"
//! <base64 root>\n            the 32-byte root, standard base64 with padding (44 characters)
//! [<extension>\n ...]        kept as they are
//! ```
//!
//! # Signed note
//!
//! `text ‖ "\n" ‖ signature lines`. The text is UTF-8 without control characters except
//! newlines and ends with `\n`, so a blank line separates it from the signatures. Each
//! signature line is `"— " ‖ key name ‖ " " ‖ base64(key id ‖ signature) ‖ "\n"`, where `—` is
//! U+2014 (bytes E2 80 94), the key id is 4 bytes big-endian and the signature is the 64-byte
//! Ed25519 signature of the text bytes (the final newline included, the blank line not).
//!
//! # Keys
//!
//! A key name is non-empty UTF-8 without white space or `+`. The key id is the first 4 bytes
//! of `SHA-256(name ‖ "\n" ‖ 0x01 ‖ 32-byte public key)`, 0x01 naming Ed25519. Keys are written
//! as one line of text, as Go's `golang.org/x/mod/sumdb/note` writes them:
//!
//! - verifier key: `name+<8 lowercase hex of the key id>+base64(0x01 ‖ public key)`;
//! - signer key: `PRIVATE+KEY+name+<8 hex>+base64(0x01 ‖ 32-byte seed)`.
//!
//! The checkpoint's origin should be the key's name; checking that is the reader's policy.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// The algorithm byte of an Ed25519 key in a note key.
const ALGORITHM_ED25519: u8 = 0x01;
const SIGNATURE_PREFIX: &str = "— ";
const PRIVATE_KEY_PREFIX: &str = "PRIVATE+KEY+";
/// More signature lines than this make the note malformed, bounding the work it can cause.
const MAX_SIGNATURES: usize = 100;
const KEY_ID_LEN: usize = 4;
const ED25519_KEY_LEN: usize = 32;

/// A tree head: the log's origin, its size and the root of its first `size` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Lines after the root, without their newlines.
    pub extensions: Vec<String>,
}

/// Why a checkpoint body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("a checkpoint body ends with a newline")]
    Unterminated,
    #[error("the checkpoint has no {0} line")]
    MissingLine(&'static str),
    #[error("the origin line is empty or holds control characters")]
    BadOrigin,
    #[error("the size line {0:?} is not a decimal number without leading zeros below 2^64")]
    BadSize(String),
    #[error("the root line is not the standard base64 of 32 bytes")]
    BadRoot,
    #[error("extension line {line} is empty or holds control characters")]
    BadExtension { line: usize },
}

impl Checkpoint {
    /// A checkpoint without extensions; refuses an origin that would not read back.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let checkpoint = Self {
            origin: origin.to_string(),
            size,
            root,
            extensions: Vec::new(),
        };
        checkpoint.check_lines()?;
        Ok(checkpoint)
    }

    /// Whether the body reads back as this checkpoint: each text field is one clean line.
    fn check_lines(&self) -> Result<(), CheckpointError> {
        if !is_clean_line(&self.origin) {
            return Err(CheckpointError::BadOrigin);
        }
        match self.extensions.iter().position(|line| !is_clean_line(line)) {
            Some(n) => Err(CheckpointError::BadExtension { line: n + 4 }),
            None => Ok(()),
        }
    }

    /// The note text: `origin\nsize\nbase64(root)\n`, then each extension and `\n`.
    pub fn body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        );
        for extension in &self.extensions {
            body.push_str(extension);
            body.push('\n');
        }
        body
    }

    /// Reads a checkpoint body strictly: every rule of the module docs, nothing lenient.
    /// Extension lines are checked and kept but not interpreted.
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        let lines = body
            .strip_suffix('\n')
            .ok_or(CheckpointError::Unterminated)?;
        let mut lines = lines.split('\n');
        let origin = lines.next().ok_or(CheckpointError::MissingLine("origin"))?;
        if !is_clean_line(origin) {
            return Err(CheckpointError::BadOrigin);
        }
        let size = lines.next().ok_or(CheckpointError::MissingLine("size"))?;
        let size = parse_size(size).ok_or_else(|| CheckpointError::BadSize(size.to_string()))?;
        let root = lines.next().ok_or(CheckpointError::MissingLine("root"))?;
        let root = decode_hash(root).ok_or(CheckpointError::BadRoot)?;
        let extensions = lines
            .enumerate()
            .map(|(n, line)| match is_clean_line(line) {
                true => Ok(line.to_string()),
                false => Err(CheckpointError::BadExtension { line: n + 4 }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
            extensions,
        })
    }
}

fn is_clean_line(line: &str) -> bool {
    !line.is_empty() && !line.chars().any(char::is_control)
}

fn parse_size(text: &str) -> Option<u64> {
    let digits_only = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = text.len() > 1 && text.starts_with('0');
    match digits_only && !leading_zero {
        true => text.parse().ok(),
        false => None,
    }
}

fn decode_hash(text: &str) -> Option<Hash> {
    BASE64.decode(text).ok()?.try_into().ok()
}

/// Why a key in text form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a key name is non-empty UTF-8 without white space or '+'")]
    BadName,
    #[error("a signer key starts with PRIVATE+KEY+")]
    NotSignerKey,
    #[error("a key is written name+keyid+key")]
    MissingPart,
    #[error("the key id is not 8 lowercase hexadecimal digits")]
    BadKeyId,
    #[error("the key is not standard base64")]
    BadBase64,
    #[error("the key is not an Ed25519 key (algorithm byte 0x01) of 32 bytes")]
    NotEd25519,
    #[error("the key id does not belong to this name and key")]
    KeyIdMismatch,
    #[error("the seed is not a usable Ed25519 key")]
    Rejected,
}

/// Why a note could not be signed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("a note holds no control characters but newlines")]
    ControlCharacter,
    #[error("a note's text ends with a newline")]
    TextUnterminated,
    #[error("the note has no blank line before its signatures")]
    NoSignatureBlock,
    #[error("the note's signatures do not end with a newline")]
    SignaturesUnterminated,
    #[error("signature line {line} is not \"— name base64\"")]
    MalformedSignature { line: usize },
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("the signature of {name}+{key_id:08x} does not verify")]
    BadSignature { name: String, key_id: u32 },
    #[error("the note is not signed by {name}+{key_id:08x}")]
    NoKnownSignature { name: String, key_id: u32 },
    #[error("the signed text is not a checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
}

/// An Ed25519 note signer: a key name and its key pair.
pub struct NoteSigner {
    name: String,
    seed: [u8; ED25519_KEY_LEN],
    key_pair: Ed25519KeyPair,
    public_key: [u8; ED25519_KEY_LEN],
    key_id: u32,
}

impl std::fmt::Debug for NoteSigner {
    /// The name and key id only: the seed is secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteSigner({}+{:08x})", self.name, self.key_id)
    }
}

impl NoteSigner {
    /// The signer of `name` whose Ed25519 key is derived from `seed` (RFC 8032 §5.1.5).
    pub fn from_seed(name: &str, seed: &[u8; ED25519_KEY_LEN]) -> Result<Self, KeyError> {
        check_name(name)?;
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| KeyError::Rejected)?;
        let public_key = public_key_of(&key_pair)?;
        Ok(Self {
            name: name.to_string(),
            seed: *seed,
            key_id: key_id(name, &public_key),
            key_pair,
            public_key,
        })
    }

    /// Reads `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`, checking the key id.
    pub fn from_skey(skey: &str) -> Result<Self, KeyError> {
        let rest = skey
            .strip_prefix(PRIVATE_KEY_PREFIX)
            .ok_or(KeyError::NotSignerKey)?;
        let (name, claimed_id, seed) = split_key(rest)?;
        let signer = Self::from_seed(name, &seed)?;
        match signer.key_id == claimed_id {
            true => Ok(signer),
            false => Err(KeyError::KeyIdMismatch),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The signer key as one line: `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`. Secret.
    pub fn skey(&self) -> String {
        format!(
            "{PRIVATE_KEY_PREFIX}{}",
            encode_key(&self.name, self.key_id, &self.seed)
        )
    }

    /// The verifier key, to publish: `name+keyid+base64(0x01 ‖ public key)`.
    pub fn vkey(&self) -> String {
        encode_key(&self.name, self.key_id, &self.public_key)
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.public_key,
        }
    }

    /// The signed note: `text ‖ "\n" ‖ "— name base64(keyid ‖ signature)\n"`. The text must end
    /// with a newline and hold no other control characters.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        check_note_characters(text)?;
        if !text.ends_with('\n') {
            return Err(NoteError::TextUnterminated);
        }
        let signature = self.key_pair.sign(text.as_bytes());
        let mut signed = Vec::with_capacity(KEY_ID_LEN + signature.as_ref().len());
        signed.extend_from_slice(&self.key_id.to_be_bytes());
        signed.extend_from_slice(signature.as_ref());
        let line = format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(signed)
        );
        Ok(format!("{text}\n{line}"))
    }

    /// Signs a checkpoint's body, refusing one whose body would not read back as itself.
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> Result<String, NoteError> {
        checkpoint.check_lines()?;
        self.sign(&checkpoint.body())
    }
}

/// The verifier of one Ed25519 note key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    public_key: [u8; ED25519_KEY_LEN],
}

/// A note whose signature by the verifier's key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNote<'a> {
    /// The signed text, its final newline included.
    pub text: &'a str,
    /// The names on signature lines of other keys, which were not checked.
    pub other_signers: Vec<&'a str>,
}

impl NoteVerifier {
    /// Reads `name+keyid+base64(0x01 ‖ public key)`, checking the key id.
    pub fn from_vkey(vkey: &str) -> Result<Self, KeyError> {
        let (name, key_id, public_key) = split_key(vkey)?;
        check_name(name)?;
        match self::key_id(name, &public_key) == key_id {
            true => Ok(Self {
                name: name.to_string(),
                key_id,
                public_key,
            }),
            false => Err(KeyError::KeyIdMismatch),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// Opens a signed note: at least one line must carry this key's name and id, and every
    /// such line's signature must hold. Lines of other keys are listed, not checked.
    pub fn verify<'a>(&self, note: &'a str) -> Result<VerifiedNote<'a>, NoteError> {
        check_note_characters(note)?;
        let split = note.rfind("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let (text, signatures) = (&note[..=split], &note[split + 2..]);
        let signatures = signatures
            .strip_suffix('\n')
            .ok_or(NoteError::SignaturesUnterminated)?;
        let mut verified = false;
        let mut other_signers = Vec::new();
        for (n, line) in signatures.split('\n').enumerate() {
            if n == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            let (name, key_id, signature) =
                parse_signature_line(line).ok_or(NoteError::MalformedSignature { line: n + 1 })?;
            if name != self.name || key_id != self.key_id {
                other_signers.push(name);
                continue;
            }
            self.check_signature(text, &signature)?;
            verified = true;
        }
        match verified {
            true => Ok(VerifiedNote {
                text,
                other_signers,
            }),
            false => Err(NoteError::NoKnownSignature {
                name: self.name.clone(),
                key_id: self.key_id,
            }),
        }
    }

    /// Opens a signed checkpoint and reads its body.
    pub fn verify_checkpoint(&self, note: &str) -> Result<Checkpoint, NoteError> {
        let verified = self.verify(note)?;
        Ok(Checkpoint::parse(verified.text)?)
    }

    fn check_signature(&self, text: &str, signature: &[u8]) -> Result<(), NoteError> {
        UnparsedPublicKey::new(&ED25519, self.public_key)
            .verify(text.as_bytes(), signature)
            .map_err(|_| NoteError::BadSignature {
                name: self.name.clone(),
                key_id: self.key_id,
            })
    }
}

/// `— name base64(keyid ‖ signature)` → (name, key id, signature); at least one signature byte.
fn parse_signature_line(line: &str) -> Option<(&str, u32, Vec<u8>)> {
    let (name, encoded) = line.strip_prefix(SIGNATURE_PREFIX)?.split_once(' ')?;
    check_name(name).ok()?;
    let decoded = BASE64.decode(encoded).ok()?;
    let (key_id, signature) = decoded.split_first_chunk::<KEY_ID_LEN>()?;
    match signature.is_empty() {
        true => None,
        false => Some((name, u32::from_be_bytes(*key_id), signature.to_vec())),
    }
}

fn check_note_characters(text: &str) -> Result<(), NoteError> {
    match text.chars().any(|c| c < ' ' && c != '\n') {
        true => Err(NoteError::ControlCharacter),
        false => Ok(()),
    }
}

fn check_name(name: &str) -> Result<(), KeyError> {
    let valid = !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+');
    match valid {
        true => Ok(()),
        false => Err(KeyError::BadName),
    }
}

/// The key id: the first 4 bytes, big-endian, of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key).
fn key_id(name: &str, public_key: &[u8; ED25519_KEY_LEN]) -> u32 {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update(b"\n")
        .chain_update([ALGORITHM_ED25519])
        .chain_update(public_key)
        .finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn public_key_of(key_pair: &Ed25519KeyPair) -> Result<[u8; ED25519_KEY_LEN], KeyError> {
    key_pair
        .public_key()
        .as_ref()
        .try_into()
        .map_err(|_| KeyError::Rejected)
}

/// `name+keyid+base64(0x01 ‖ key)`.
fn encode_key(name: &str, key_id: u32, key: &[u8; ED25519_KEY_LEN]) -> String {
    let mut encoded = Vec::with_capacity(1 + ED25519_KEY_LEN);
    encoded.push(ALGORITHM_ED25519);
    encoded.extend_from_slice(key);
    format!("{name}+{key_id:08x}+{}", BASE64.encode(encoded))
}

/// `name+keyid+base64(0x01 ‖ key)` → (name, key id, 32-byte key); the name is not yet checked.
fn split_key(text: &str) -> Result<(&str, u32, [u8; ED25519_KEY_LEN]), KeyError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(key_id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(KeyError::MissingPart);
    };
    let key_id = parse_key_id(key_id).ok_or(KeyError::BadKeyId)?;
    let key = BASE64.decode(key).map_err(|_| KeyError::BadBase64)?;
    match key.split_first() {
        Some((&ALGORITHM_ED25519, key)) => {
            let key = key.try_into().map_err(|_| KeyError::NotEd25519)?;
            Ok((name, key_id, key))
        }
        _ => Err(KeyError::NotEd25519),
    }
}

fn parse_key_id(text: &str) -> Option<u32> {
    let lowercase_hex =
        text.len() == 8 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match lowercase_hex {
        true => u32::from_str_radix(text, 16).ok(),
        false => None,
    }
}
