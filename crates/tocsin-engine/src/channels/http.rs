//! Webhooks and parent nodes: one HTTP POST per attempt (plain HTTP through `ureq`, no
//! redirects followed).
//!
//! A webhook request carries `Content-Type` (`application/json` or
//! `application/cap+xml; charset=utf-8`), `Idempotency-Key` (the same on every retry of one
//! notification: a receiver that has seen the key answers 2xx and does nothing),
//! `X-Tocsin-Timestamp` (RFC 3339, when the attempt was made) and, when the endpoint has a
//! secret, `X-Tocsin-Signature: sha256=<hex>`.
//!
//! **Verifying the signature.** The hex is the HMAC-SHA256 of the exact request body, keyed
//! with the secret's UTF-8 bytes; nothing else is signed. A receiver reads the raw body before
//! parsing it, computes the HMAC with the shared secret, and compares it with the header's hex
//! in constant time (e.g. Python: `hmac.compare_digest(hmac.new(secret, body,
//! hashlib.sha256).hexdigest(), header.removeprefix("sha256="))`). A replayed request is
//! harmless: it carries an idempotency key already seen.
//!
//! A parent node receives the CAP alert at `POST {url}/api/v1/forwarded-alerts` with
//! `Authorization: Bearer <token>` and the same `Idempotency-Key`; it stores each alert once.
//!
//! Outcomes: 2xx is delivered; 408, 429, 5xx, a refused or broken connection and a timeout are
//! retryable; any other answer is permanent, and its reason names the status and the start of
//! the body.

use super::{CAP_CONTENT_TYPE, DeliveryError, Message, WebhookBody, excerpt};
use ring::hmac;
use std::time::Duration;

/// The header that carries the body's HMAC.
pub const SIGNATURE_HEADER: &str = "X-Tocsin-Signature";
/// The header that carries when the attempt was made.
pub const TIMESTAMP_HEADER: &str = "X-Tocsin-Timestamp";
/// The header that carries the notification's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// Where a parent node receives forwarded alerts, under its base URL.
pub const FORWARDED_PATH: &str = "/api/v1/forwarded-alerts";
/// How much of a refusal's body is read, and how much of it the reason quotes.
const ERROR_BODY_BYTES: u64 = 4096;
const ERROR_BODY_CHARS: usize = 200;

/// One POST of the message's JSON or CAP body to a webhook.
pub fn webhook(
    url: &str,
    secret: Option<&str>,
    body: WebhookBody,
    message: &Message,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    let (bytes, content_type) = body.of(message);
    let mut headers = vec![
        ("Content-Type", content_type.to_string()),
        (IDEMPOTENCY_HEADER, message.idempotency_key.clone()),
        (TIMESTAMP_HEADER, message.attempted_at.to_string()),
    ];
    if let Some(secret) = secret {
        headers.push((SIGNATURE_HEADER, signature(secret, bytes)));
    }
    post(&format!("webhook {url}"), url, &headers, bytes, timeout)
}

/// One POST of the message's CAP alert to a parent node.
pub fn parent(
    url: &str,
    token: &str,
    message: &Message,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    let target = format!("{}{FORWARDED_PATH}", url.trim_end_matches('/'));
    let headers = [
        ("Content-Type", CAP_CONTENT_TYPE.to_string()),
        ("Authorization", format!("Bearer {token}")),
        (IDEMPOTENCY_HEADER, message.idempotency_key.clone()),
        (TIMESTAMP_HEADER, message.attempted_at.to_string()),
    ];
    let bytes = message.cap_xml.as_bytes();
    post(
        &format!("parent node {url}"),
        &target,
        &headers,
        bytes,
        timeout,
    )
}

/// `sha256=<hex HMAC-SHA256 of body keyed with secret>`, the value of [`SIGNATURE_HEADER`].
pub fn signature(secret: &str, body: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    format!("sha256={}", hex::encode(hmac::sign(&key, body).as_ref()))
}

fn post(
    what: &str,
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<(), DeliveryError> {
    check_url(what, url)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("tocsin (dispatch)")
        .build()
        .into();
    let mut request = agent.post(url);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let mut response = request.send(body).map_err(|e| failed(what, e))?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(());
    }
    let text = response
        .body_mut()
        .with_config()
        .limit(ERROR_BODY_BYTES)
        .read_to_vec()
        .map(|b| excerpt(&String::from_utf8_lossy(&b), ERROR_BODY_CHARS))
        .unwrap_or_default();
    let reason = format!("{what}: HTTP status {status}: {text}");
    Err(DeliveryError {
        retryable: matches!(status, 408 | 429 | 500..=599),
        reason: reason.trim_end_matches([':', ' ']).to_string(),
    })
}

/// Only absolute `http://` URLs are reached (this build has no TLS).
pub(crate) fn check_url(what: &str, url: &str) -> Result<(), DeliveryError> {
    let parsed: ureq::http::Uri = url.parse().map_err(|e| {
        DeliveryError::permanent(format!(
            "{what}: not a URL ({e}); only absolute http:// URLs are reached"
        ))
    })?;
    match (parsed.scheme_str(), parsed.host()) {
        (Some("http"), Some(_)) => Ok(()),
        _ => Err(DeliveryError::permanent(format!(
            "{what}: only absolute http:// URLs are reached (no TLS on the closed network)"
        ))),
    }
}

/// A request that got no answer: network trouble is retryable, a malformed request is not.
fn failed(what: &str, error: ureq::Error) -> DeliveryError {
    let retryable = matches!(
        error,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::HostNotFound
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_)
    );
    DeliveryError {
        retryable,
        reason: format!("{what}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_the_rfc_4231_hmac_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_plain_http_urls_are_reached() {
        for (url, ok) in [
            ("http://127.0.0.1:8080/hook", true),
            ("https://example.vn/hook", false),
            ("/hook", false),
            ("not a url", false),
        ] {
            let checked = check_url("webhook", url);
            assert_eq!(checked.is_ok(), ok, "{url}");
            assert!(checked.is_ok() || !checked.unwrap_err().retryable, "{url}");
        }
    }
}
