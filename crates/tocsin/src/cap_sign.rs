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

/// Renders the alert from its model and signs it, `count` times (each with its own
/// identifier), and prints the rate.
pub fn bench(args: &BenchArgs) -> Result<()> {
    let key = signing_key(&args.key, args.cert.as_deref())?;
    let text = read_text(&args.alert)?;
    let alert = tocsin_cap::read(text.as_bytes())
        .map_err(|findings| anyhow::anyhow!("{}: {}", args.alert.display(), findings[0]))?
        .alert;
    let count = args.count.max(1);
    let start = Instant::now();
    let mut bytes = 0;
    for i in 0..count {
        let mut numbered = alert.clone();
        numbered.identifier = format!("{}-{i}", alert.identifier);
        bytes += sign(&tocsin_cap::to_xml(&numbered), &key)?.len();
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "cap-sign ({}): rendered and signed {count} alerts of {} bytes in {elapsed:.3} s: {:.0} alerts/s ({:.1} µs per alert, {bytes} bytes out)",
        key.method(),
        tocsin_cap::to_xml(&alert).len(),
        count as f64 / elapsed,
        elapsed * 1e6 / count as f64
    );
    Ok(())
}

/// `tocsin bench cap-parse`.
#[derive(Args)]
pub struct ParseBenchArgs {
    /// Folder of CAP files to read (every `*.xml`).
    #[arg(long, default_value = "../shared/reference/cap/real")]
    dir: PathBuf,
    /// How many times to read the whole folder.
    #[arg(long, default_value_t = 200)]
    rounds: usize,
}

/// Reads every alert of a folder with the lenient reader, `rounds` times, and prints MB/s.
pub fn bench_parse(args: &ParseBenchArgs) -> Result<()> {
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(&args.dir).with_context(|| format!("read {}", args.dir.display()))?
    {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "xml") {
            files.push(std::fs::read(&path)?);
        }
    }
    let size: usize = files.iter().map(Vec::len).sum();
    let start = Instant::now();
    let mut read = 0;
    for _ in 0..args.rounds.max(1) {
        read += files
            .iter()
            .filter(|bytes| tocsin_cap::read(bytes).is_ok())
            .count();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let megabytes = (size * args.rounds.max(1)) as f64 / 1e6;
    println!(
        "cap-parse: {} files ({size} bytes) × {} rounds = {megabytes:.1} MB in {elapsed:.3} s: {:.1} MB/s, {:.0} alerts/s ({read} read)",
        files.len(),
        args.rounds.max(1),
        megabytes / elapsed,
        read as f64 / elapsed
    );
    Ok(())
}
