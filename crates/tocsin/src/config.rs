//! The configuration file (TOML) and its checks. Unknown keys are errors that name the key;
//! `tocsin config check` lists every problem at once.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Settings of `tocsin serve`, from a file; flags and environment variables override them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port the HTTP API listens on (default `127.0.0.1:8080`).
    pub listen: Option<String>,
    /// Directory holding the database (default `./tocsin-data`).
    pub data: Option<PathBuf>,
    /// Folder of the official administrative files, imported when the registry is empty
    /// (default `../shared/data/vn/admin`).
    pub regions_from: Option<PathBuf>,
    /// File of changes to units after the 2025 reform (default: the built-in catalogue).
    pub region_changes: Option<PathBuf>,
    /// `full` (fsync at every commit, survives power loss; default) or `normal` (survives a
    /// process crash only).
    pub durability: Option<String>,
    /// `text` (default) or `json` log lines.
    pub log_format: Option<String>,
    /// The largest request body accepted, in bytes, after decoding a gzip body (default 64 MiB).
    pub max_body_bytes: Option<usize>,
    /// The largest body of a request without credentials and of the public endpoints
    /// (verification, sign-in, acknowledgement links), in bytes (default 1 MiB).
    pub max_public_body_bytes: Option<usize>,
    /// Seconds a client may take to send a request's headers, counted from the connection's
    /// opening or the end of the previous answer on a kept-alive connection — so also how long
    /// an idle connection is kept (default 10).
    pub header_timeout_secs: Option<u64>,
    /// Seconds a client may leave a request body without sending more of it (default 30).
    pub body_timeout_secs: Option<u64>,
    /// Connections open at once; beyond it new clients wait (default 4096; keep `ulimit -n`
    /// above it).
    pub max_connections: Option<usize>,
    /// Threads verifying alerts for `/api/v1/verify` at once (default: half the cores, at least 1).
    pub verify_workers: Option<usize>,
    /// Verifications waiting for a thread; beyond it the answer is 503 with `Retry-After`
    /// (default 32).
    pub verify_queue: Option<usize>,
    /// Folder of rule catalogue files (`*.toml`); default: the built-in catalogue.
    pub catalog: Option<PathBuf>,
    /// The CAP `sender` of the alerts this node publishes (default `tocsin.vn`).
    pub alert_sender: Option<String>,
    /// The CAP `status` of published alerts: `actual` (default), `exercise` or `test`.
    pub alert_status: Option<String>,
    /// PEM file of the key (PKCS#8, ECDSA P-256 or RSA) that signs released alerts; unsigned
    /// when absent.
    pub alert_signing_key: Option<PathBuf>,
    /// PEM certificate of that key, sent in each signature (default: one in the key file).
    pub alert_signing_cert: Option<PathBuf>,
    /// Folder with `trust.toml`: the certificates trusted per sender for verifying alerts.
    pub trust_dir: Option<PathBuf>,
    /// Dissemination policy (routes, inhibitions, acknowledgement timeouts); default: built in.
    pub dispatch_policy: Option<PathBuf>,
    /// Folder of framework scenarios (`*.toml`); default: the built-in `catalog/playbooks`.
    pub playbooks: Option<PathBuf>,
    /// The base URL recipients reach this node at (acknowledgement links).
    pub public_url: Option<String>,
    /// `host:port` of the SMTP relay e-mail goes through; no e-mail without it.
    pub smtp_server: Option<String>,
    /// The sender address of e-mail.
    pub smtp_from: Option<String>,
}

const KEYS: [&str; 24] = [
    "max_public_body_bytes",
    "header_timeout_secs",
    "body_timeout_secs",
    "max_connections",
    "verify_workers",
    "verify_queue",
    "dispatch_policy",
    "playbooks",
    "public_url",
    "smtp_from",
    "smtp_server",
    "trust_dir",
    "alert_sender",
    "alert_signing_cert",
    "alert_signing_key",
    "alert_status",
    "catalog",
    "listen",
    "data",
    "regions_from",
    "region_changes",
    "durability",
    "log_format",
    "max_body_bytes",
];

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA: &str = "./tocsin-data";
pub const DEFAULT_REGIONS: &str = "../shared/data/vn/admin";
/// The changes catalogue built into the binary.
pub const BUILTIN_REGION_CHANGES: &str = include_str!("../../../catalog/region-changes.toml");

/// Reads a config file; every problem found is returned, each naming the file and key.
pub fn load(path: &Path) -> Result<Config, Vec<String>> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: {e}")])?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| vec![format!("{name}: {e}")])?;
    let mut problems: Vec<String> = table
        .keys()
        .filter(|k| !KEYS.contains(&k.as_str()))
        .map(|k| format!("{name}: unknown key `{k}` (known: {})", KEYS.join(", ")))
        .collect();
    let known: toml::Table = table
        .into_iter()
        .filter(|(k, _)| KEYS.contains(&k.as_str()))
        .collect();
    let config: Config = match known.try_into() {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("{name}: {e}"));
            return Err(problems);
        }
    };
    problems.extend(check(&config).into_iter().map(|p| format!("{name}: {p}")));
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(problems)
    }
}

/// Checks the values of a parsed config.
pub fn check(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(listen) = &config.listen
        && listen.parse::<SocketAddr>().is_err()
    {
        problems.push(format!(
            "listen: {listen:?} is not an address like 127.0.0.1:8080"
        ));
    }
    if let Some(d) = &config.durability
        && parse_durability(d).is_none()
    {
        problems.push(format!(
            "durability: {d:?} is neither \"full\" nor \"normal\""
        ));
    }
    if let Some(f) = &config.log_format
        && f != "text"
        && f != "json"
    {
        problems.push(format!(
            "log_format: {f:?} is neither \"text\" nor \"json\""
        ));
    }
    if let Some(sender) = &config.alert_sender
        && (sender.is_empty()
            || sender.contains(|c: char| c.is_whitespace() || c == ',' || c == '<' || c == '&'))
    {
        problems.push(format!(
            "alert_sender: {sender:?} must be non-empty, without spaces, commas, < or &"
        ));
    }
    if let Some(status) = &config.alert_status
        && parse_alert_status(status).is_none()
    {
        problems.push(format!(
            "alert_status: {status:?} is none of \"actual\", \"exercise\", \"test\""
        ));
    }
    if let Err(e) = signing_key(config) {
        problems.push(e);
    }
    if let Err(e) = trust_store(config) {
        problems.push(e);
    }
    if let Err(e) = dispatch_settings(config) {
        problems.push(e);
    }
    if let Err(more) = load_playbooks(config.playbooks.as_deref()) {
        problems.extend(more);
    }
    for (key, value) in [
        ("max_body_bytes", config.max_body_bytes),
        ("max_public_body_bytes", config.max_public_body_bytes),
        (
            "header_timeout_secs",
            config.header_timeout_secs.map(|s| s as usize),
        ),
        (
            "body_timeout_secs",
            config.body_timeout_secs.map(|s| s as usize),
        ),
        ("max_connections", config.max_connections),
        ("verify_workers", config.verify_workers),
    ] {
        if value == Some(0) {
            problems.push(format!("{key}: must be at least 1"));
        }
    }
    if let Some(dir) = &config.regions_from
        && !dir.join("nested-divisions.json").exists()
    {
        problems.push(format!(
            "regions_from: {} has no nested-divisions.json",
            dir.display()
        ));
    }
    if let Err(catalog_problems) = load_catalog(config.catalog.as_deref()) {
        problems.extend(catalog_problems.iter().map(|p| format!("catalog: {p}")));
    }
    if let Some(file) = &config.region_changes
        && let Err(e) = tocsin_engine::registry::changes::read_changes(file)
    {
        problems.push(format!("region_changes: {e}"));
    }
    problems
}

pub fn parse_alert_status(text: &str) -> Option<tocsin_cap::Status> {
    match text {
        "actual" => Some(tocsin_cap::Status::Actual),
        "exercise" => Some(tocsin_cap::Status::Exercise),
        "test" => Some(tocsin_cap::Status::Test),
        _ => None,
    }
}

/// The key that signs released alerts, if the config names one.
fn signing_key(config: &Config) -> Result<Option<tocsin_cap::signature::SigningKey>, String> {
    let Some(key_file) = &config.alert_signing_key else {
        if config.alert_signing_cert.is_some() {
            return Err("alert_signing_cert: given without alert_signing_key".into());
        }
        return Ok(None);
    };
    let read = |path: &Path, key: &str| {
        std::fs::read_to_string(path).map_err(|e| format!("{key}: {}: {e}", path.display()))
    };
    let cert = config
        .alert_signing_cert
        .as_deref()
        .map(|p| read(p, "alert_signing_cert"))
        .transpose()?;
    let pem = read(key_file, "alert_signing_key")?;
    tocsin_cap::signature::SigningKey::from_pem(&pem, cert.as_deref())
        .map(Some)
        .map_err(|e| format!("alert_signing_key: {}: {e}", key_file.display()))
}

/// The trusted certificates of the config's `trust_dir` (none without one).
fn trust_store(config: &Config) -> Result<tocsin_cap::signature::TrustStore, String> {
    match &config.trust_dir {
        Some(dir) => {
            tocsin_cap::signature::TrustStore::load(dir).map_err(|e| format!("trust_dir: {e}"))
        }
        None => Ok(Default::default()),
    }
}

/// The warning settings of a config: sender, status, signing key and trusted certificates,
/// the lifecycle's default timing.
pub fn warning_settings(
    config: &Config,
) -> Result<tocsin_engine::warnings::WarningSettings, String> {
    let defaults = tocsin_engine::warnings::WarningSettings::default();
    Ok(tocsin_engine::warnings::WarningSettings {
        sender: config.alert_sender.clone().unwrap_or(defaults.sender),
        status: config
            .alert_status
            .as_deref()
            .and_then(parse_alert_status)
            .unwrap_or(defaults.status),
        policy: defaults.policy,
        signing_key: signing_key(config)?.map(std::sync::Arc::new),
        trust: std::sync::Arc::new(trust_store(config)?),
    })
}

/// The server's limits of a config: each key given, the default otherwise.
pub fn server_limits(config: &Config) -> tocsin_server::Limits {
    let defaults = tocsin_server::Limits::default();
    let seconds = std::time::Duration::from_secs;
    tocsin_server::Limits {
        max_body_bytes: config.max_body_bytes.unwrap_or(defaults.max_body_bytes),
        max_public_body_bytes: (config.max_public_body_bytes)
            .unwrap_or(defaults.max_public_body_bytes),
        header_timeout: config
            .header_timeout_secs
            .map_or(defaults.header_timeout, seconds),
        body_timeout: config
            .body_timeout_secs
            .map_or(defaults.body_timeout, seconds),
        max_connections: config.max_connections.unwrap_or(defaults.max_connections),
        verify_workers: config.verify_workers.unwrap_or(defaults.verify_workers),
        verify_queue: config.verify_queue.unwrap_or(defaults.verify_queue),
    }
}

/// The dissemination settings of a config: policy, SMTP relay, public URL.
pub fn dispatch_settings(
    config: &Config,
) -> Result<tocsin_engine::dispatch::DispatchSettings, String> {
    let mut settings = tocsin_engine::dispatch::DispatchSettings::default();
    if let Some(file) = &config.dispatch_policy {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("dispatch_policy: {}: {e}", file.display()))?;
        settings.policy = tocsin_engine::dispatch::read_policy(&text)
            .map_err(|e| format!("dispatch_policy: {}: {e}", file.display()))?;
    }
    if let Some(url) = &config.public_url {
        settings.public_url = url.trim_end_matches('/').to_string();
    }
    settings.channels.smtp = match (&config.smtp_server, &config.smtp_from) {
        (Some(server), Some(from)) => Some(tocsin_engine::channels::SmtpSettings {
            server: server.clone(),
            from: from.clone(),
            helo: from.split('@').nth(1).unwrap_or("tocsin.local").to_string(),
        }),
        (None, None) => None,
        _ => return Err("smtp_server and smtp_from go together".into()),
    };
    Ok(settings)
}

/// The framework scenarios of `dir`, or the built-in ones; every problem as a line.
pub fn load_playbooks(
    dir: Option<&Path>,
) -> Result<tocsin_core::response::playbook::Playbooks, Vec<String>> {
    let loaded = match dir {
        Some(dir) => tocsin_engine::response::playbooks::load_dir(dir),
        None => tocsin_engine::response::playbooks::builtin(),
    };
    loaded.map_err(|problems| problems.iter().map(|p| format!("playbooks: {p}")).collect())
}

pub fn parse_durability(text: &str) -> Option<tocsin_engine::Durability> {
    match text {
        "full" => Some(tocsin_engine::Durability::Full),
        "normal" => Some(tocsin_engine::Durability::Normal),
        _ => None,
    }
}

/// The rule catalogue from `dir`, or the built-in one; every problem as a line.
pub fn load_catalog(
    dir: Option<&Path>,
) -> Result<tocsin_core::evaluate::CompiledCatalog, Vec<String>> {
    let loaded = match dir {
        Some(dir) => tocsin_engine::catalog::load_dir(dir),
        None => tocsin_engine::catalog::builtin(),
    };
    loaded.map_err(|problems| problems.iter().map(|p| p.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Config {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn server_limits_come_from_their_keys_and_zero_is_refused() {
        let config = parsed(
            "max_public_body_bytes = 4096\nheader_timeout_secs = 3\nbody_timeout_secs = 7\n\
             max_connections = 50\nverify_workers = 2\nverify_queue = 0\n",
        );
        let limits = server_limits(&config);
        let expected = tocsin_server::Limits {
            max_public_body_bytes: 4096,
            header_timeout: std::time::Duration::from_secs(3),
            body_timeout: std::time::Duration::from_secs(7),
            max_connections: 50,
            verify_workers: 2,
            verify_queue: 0,
            ..tocsin_server::Limits::default()
        };
        assert_eq!(limits, expected);
        assert_eq!(
            server_limits(&Config::default()),
            tocsin_server::Limits::default()
        );
        let zeros = parsed("header_timeout_secs = 0\nmax_connections = 0\nverify_workers = 0\n");
        let problems: Vec<String> = check(&zeros)
            .into_iter()
            .filter(|p| p.contains("at least 1"))
            .collect();
        assert_eq!(
            problems,
            [
                "header_timeout_secs: must be at least 1",
                "max_connections: must be at least 1",
                "verify_workers: must be at least 1"
            ]
        );
    }
}
