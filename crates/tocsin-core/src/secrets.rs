//! How secrets read once they are set: written, never read back — not in an answer, a log or
//! the journal.

/// What a secret reads as once set.
pub const SECRET_SET: &str = "set";

/// `url` with any `user:password@` part replaced by [`SECRET_SET`].
pub fn without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let prefix = if scheme.is_empty() {
                String::new()
            } else {
                format!("{scheme}://")
            };
            format!("{prefix}{SECRET_SET}@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    }
}
