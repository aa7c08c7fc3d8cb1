//! `tocsin cap sign` and `tocsin cap verify`: enveloped XML Signatures on CAP alerts from the
//! command line, and `tocsin bench cap-sign`, which times signing. The signature logic lives in
//! `tocsin_cap::signature`; this file only reads files and prints.

use anyhow::{Context, Result, bail};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tocsin_cap::signature::{SigningKey, TrustStore, sign};

/// `tocsin cap sign`.
#[derive(Args)]
pub struct SignArgs {
    /// PEM file with a PKCS#8 private key (ECDSA P-256 or RSA), optionally followed by its
    /// certificate.
    #[arg(long)]
    key: PathBuf,
    /// PEM certificate to include as `KeyInfo/X509Data` (default: one in the key file, if any).
    #[arg(long)]
    cert: Option<PathBuf>,
    /// The alert to sign.
    file: PathBuf,
}

/// `tocsin cap verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// Trust directory: `trust.toml` mapping each sender to its certificate files.
    #[arg(long)]
    trust: Option<PathBuf>,
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// `tocsin bench cap-sign`.
#[derive(Args)]
pub struct BenchArgs {
    /// Signing key (PEM), as for `tocsin cap sign`.
    #[arg(long)]
    key: PathBuf,
    #[arg(long)]
    cert: Option<PathBuf>,
    /// The alert to sign over and over.
    #[arg(long)]
    alert: PathBuf,
    /// How many signatures to make.
    #[arg(long, default_value_t = 5000)]
    count: usize,
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))
}

fn signing_key(key: &Path, cert: Option<&Path>) -> Result<SigningKey> {
    let cert = cert.map(read_text).transpose()?;
    let key = SigningKey::from_pem(&read_text(key)?, cert.as_deref())
        .with_context(|| format!("key {}", key.display()))?;
    Ok(key)
}

/// Writes the signed alert to standard output.
pub fn sign_file(args: &SignArgs) -> Result<()> {
    let key = signing_key(&args.key, args.cert.as_deref())?;
    let signed = sign(&read_text(&args.file)?, &key)
        .with_context(|| format!("sign {}", args.file.display()))?;
    print!("{signed}");
    Ok(())
}

/// Prints one line per file; fails unless every signature is genuine and trusted.
pub fn verify_files(args: &VerifyArgs) -> Result<()> {
    let store = match &args.trust {
        Some(dir) => TrustStore::load(dir)?,
        None => TrustStore::default(),
    };
    let mut refused = 0;
    for file in &args.files {
        let (ok, line) = verdict(file, &store);
        println!("{}: {line}", file.display());
        refused += usize::from(!ok);
    }
    if refused > 0 {
        bail!(
            "{refused} of {} files are not genuine and trusted",
            args.files.len()
        );
    }
    Ok(())
}

/// Whether the file is genuine and trusted, and what to print about it.
fn verdict(file: &Path, store: &TrustStore) -> (bool, String) {
    match std::fs::read(file) {
        Ok(bytes) => {
            let verdict = store.verdict(&bytes);
            (verdict.is_trusted(), verdict.to_string())
        }
        Err(error) => (false, format!("cannot read: {error}")),
    }
}

/// Signs the alert `count` times (each with its own identifier) and prints the rate.
pub fn bench(args: &BenchArgs) -> Result<()> {
    let key = signing_key(&args.key, args.cert.as_deref())?;
    let alert = read_text(&args.alert)?;
    let alerts: Vec<String> = (0..args.count.max(1))
        .map(|i| alert.replacen("</identifier>", &format!("-{i}</identifier>"), 1))
        .collect();
    let start = Instant::now();
    let mut bytes = 0;
    for alert in &alerts {
        bytes += sign(alert, &key)?.len();
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "cap-sign ({}): {} alerts of {} bytes in {elapsed:.3} s: {:.0} alerts/s ({:.1} µs per alert, {bytes} bytes out)",
        key.method(),
        alerts.len(),
        alert.len(),
        alerts.len() as f64 / elapsed,
        elapsed * 1e6 / alerts.len() as f64
    );
    Ok(())
}
