//! `tocsin cap …`: CAP alerts from the command line. `validate` reads each file as the lenient
//! reader does and applies the rules beyond the schema, one line per file; it exits non-zero
//! when any file is invalid. `sign` and `verify` (enveloped XML Signatures) live in
//! `cap_sign.rs`.

use anyhow::{Result, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tocsin_cap::{Finding, read, validate};

#[derive(Subcommand)]
pub enum CapCommand {
    /// Check CAP 1.2/1.1 files: prints "FILE: valid" or "FILE: invalid: …" with every finding.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Sign an alert with an enveloped XML Signature; writes the signed alert to standard output.
    Sign(crate::cap_sign::SignArgs),
    /// Check signatures: prints one line per file; exits 0 only if every one is genuine and
    /// trusted.
    Verify(crate::cap_sign::VerifyArgs),
}

pub fn run(command: CapCommand) -> Result<()> {
    match command {
        CapCommand::Validate { files } => validate_files(&files),
        CapCommand::Sign(args) => crate::cap_sign::sign_file(&args),
        CapCommand::Verify(args) => crate::cap_sign::verify_files(&args),
    }
}

fn validate_files(files: &[PathBuf]) -> Result<()> {
    let mut invalid = 0;
    for file in files {
        let (valid, line) = validation_line(file);
        println!("{line}");
        invalid += usize::from(!valid);
    }
    if invalid > 0 {
        bail!("{invalid} of {} files are invalid", files.len());
    }
    Ok(())
}

/// Whether the file is valid, and its report line.
fn validation_line(file: &Path) -> (bool, String) {
    let findings = match std::fs::read(file) {
        Err(error) => vec![Finding::error(
            "file",
            "alert",
            format!("cannot read: {error}"),
        )],
        Ok(bytes) => match read(&bytes) {
            Ok(read) => read
                .warnings
                .into_iter()
                .chain(validate(&read.alert))
                .collect(),
            Err(findings) => findings,
        },
    };
    let valid = !tocsin_cap::findings::has_errors(&findings);
    let verdict = if valid { "valid" } else { "invalid" };
    let details: Vec<String> = findings.iter().map(Finding::to_string).collect();
    let line = match details.is_empty() {
        true => format!("{}: {verdict}", file.display()),
        false => format!("{}: {verdict}: {}", file.display(), details.join("; ")),
    };
    (valid, line)
}
