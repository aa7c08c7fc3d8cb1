//! `tocsin audit verify|key`: checks a node's journal from its data directory alone, and prints
//! the public key its checkpoints are signed with.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tocsin_engine::audit::{KEY_FILE, verify};
use tocsin_journal::note::{NoteSigner, NoteVerifier};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute the journal's tree from the stored entries; check every checkpoint's
    /// signature and root, their consistency, and the records the journal names. Exits
    /// non-zero naming the first thing that does not match.
    Verify {
        #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
        data: PathBuf,
        /// A signed checkpoint kept elsewhere (a witness's copy, one saved earlier); repeatable.
        #[arg(long)]
        checkpoint: Vec<PathBuf>,
        /// The node's public key (a `vkey` line) to check with, instead of the data directory's
        /// own key.
        #[arg(long)]
        key: Option<String>,
    },
    /// Print the node's public journal key: the `vkey` its signed checkpoints verify with.
    Key {
        #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
        data: PathBuf,
    },
}

pub fn run(command: AuditCommand) -> Result<()> {
    match command {
        AuditCommand::Verify {
            data,
            checkpoint,
            key,
        } => run_verify(&data, &checkpoint, key.as_deref()),
        AuditCommand::Key { data } => {
            println!("{}", node_key(&data)?.vkey());
            Ok(())
        }
    }
}

fn run_verify(data: &Path, checkpoints: &[PathBuf], key: Option<&str>) -> Result<()> {
    let verifier = match key {
        Some(vkey) => NoteVerifier::from_vkey(vkey.trim()).context("--key")?,
        None => node_key(data)?.verifier(),
    };
    let mut outside = Vec::new();
    for path in checkpoints {
        let note = std::fs::read_to_string(path)
            .with_context(|| format!("read the checkpoint {}", path.display()))?;
        outside.push((path.display().to_string(), note));
    }
    let path = data.join("tocsin.db");
    if !path.exists() {
        bail!("no store in {}", data.display());
    }
    let store = tocsin_store::SqliteStore::open(&path, tocsin_store::Durability::Full)
        .with_context(|| format!("open the store in {}", data.display()))?;
    match verify::verify(&store, &verifier, &outside) {
        Ok(verified) => {
            println!(
                "journal verified: {} entries, root {}, {} checkpoints, {} records",
                verified.entries,
                hex_of(&verified.root),
                verified.checkpoints,
                verified.records
            );
            Ok(())
        }
        Err(e) => bail!("journal does not verify: {e}"),
    }
}

/// The key the node made in its data directory.
fn node_key(data: &Path) -> Result<NoteSigner> {
    let path = data.join(KEY_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "read the journal key {} (the node makes it when it first opens its store)",
            path.display()
        )
    })?;
    NoteSigner::from_skey(text.trim())
        .with_context(|| format!("the journal key {}", path.display()))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
