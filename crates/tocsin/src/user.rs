//! `tocsin user create|list|disable|password`: dashboard user accounts in a data directory.
//! Passwords are read from standard input (the first line), never from the command line, where
//! other users of the machine and the shell history would see them. Hashing uses the engine's
//! default Argon2id cost.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use tocsin_core::access::{Role, Scope};
use tocsin_engine::Engine;
use tocsin_engine::access::Principal;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user account; the password is read from the first line of standard input.
    Create {
        /// Letters a-z, digits, '.', '_' or '-' (kept in lower case).
        #[arg(long)]
        username: String,
        /// viewer, operator or admin.
        #[arg(long)]
        role: String,
        /// The region subtree: VN, a province code or a commune code.
        #[arg(long, default_value = "VN")]
        scope: String,
        /// Comma-separated domains (default: all).
        #[arg(long, default_value = "")]
        domains: String,
        /// The name shown to people (default: the username).
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// List the accounts: username, role, scope, whether disabled.
    List {
        #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Disable an account; its sessions end.
    Disable {
        #[arg(long)]
        username: String,
        #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
        data: PathBuf,
    },
    /// Set a new password, read from the first line of standard input; sessions end.
    Password {
        #[arg(long)]
        username: String,
        #[arg(long, env = "TOCSIN_DATA", default_value = crate::config::DEFAULT_DATA)]
        data: PathBuf,
    },
}

pub fn run(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Create {
            username,
            role,
            scope,
            domains,
            name,
            data,
        } => create(&username, &role, &scope, &domains, &name, &data),
        UserCommand::List { data } => list(&data),
        UserCommand::Disable { username, data } => {
            open(&data)?.disable_user(&Principal::local_admin(), &username)?;
            println!("user {username} disabled");
            Ok(())
        }
        UserCommand::Password { username, data } => {
            eprintln!("new password for {username} (first line of standard input):");
            let password = read_password(std::io::stdin().lock())?;
            open(&data)?.set_password(&Principal::local_admin(), &username, &password)?;
            println!("password of {username} changed");
            Ok(())
        }
    }
}

fn open(data: &Path) -> Result<Engine> {
    crate::serve::open_engine(data, tocsin_engine::Durability::Full)
}

fn list(data: &Path) -> Result<()> {
    for user in open(data)?.users(&Principal::local_admin())? {
        let state = if user.disabled { "disabled" } else { "active" };
        println!(
            "{}\t{}\t{}\t{state}\t{}",
            user.username,
            user.role.as_str(),
            user.scope.region,
            user.display_name
        );
    }
    Ok(())
}

fn create(
    username: &str,
    role: &str,
    region: &str,
    domains: &str,
    name: &str,
    data: &Path,
) -> Result<()> {
    let role = Role::parse(role)
        .with_context(|| format!("--role {role:?}: use viewer, operator or admin"))?;
    let scope = Scope {
        region: region.to_string(),
        domains: Engine::parse_domains(domains)?,
        stations: Vec::new(),
    };
    eprintln!("password for {username} (first line of standard input):");
    let password = read_password(std::io::stdin().lock())?;
    let engine = open(data)?;
    let user = engine.create_user(
        &Principal::local_admin(),
        username,
        name,
        &password,
        role,
        scope,
    )?;
    println!(
        "user {} created: role {}, scope {}",
        user.username,
        user.role.as_str(),
        user.scope.region
    );
    Ok(())
}

/// The first line of `input`, without its line ending.
fn read_password(mut input: impl BufRead) -> Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("standard input: the password could not be read")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("standard input: no password given (write it as the first line)");
    }
    Ok(password)
}
