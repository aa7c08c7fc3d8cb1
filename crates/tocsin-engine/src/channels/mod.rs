//! Delivery channels: one attempt to hand one message to one endpoint — a webhook, an MQTT
//! broker, a mailbox over SMTP, or a parent tocsin node.
//!
//! [`deliver`] makes exactly one attempt and says whether a failure is worth retrying
//! ([`DeliveryError::retryable`]); it keeps no state, never retries and never sleeps. Choosing
//! recipients, the durable outbox, backoff between attempts and recording outcomes belong to the
//! dispatcher that calls it. Every attempt of one notification carries the same idempotency key,
//! so a receiver can recognise a retry: the `Idempotency-Key` header over HTTP, the
//! `Message-ID` of a mail. MQTT 3.1.1 has no headers: a subscriber recognises a repeated
//! message (QoS 1 is at-least-once) by the alert identifier in its payload.
//!
//! Everything leaves over plain TCP (no TLS provider: closed networks speak plain protocols
//! inside). Time comes from [`Message::attempted_at`], set by the caller from the engine's
//! clock. Each channel lives in its own module: [`http`] (webhooks and parent nodes),
//! [`mqtt`], [`smtp`] with the mail itself in [`mail`].

pub mod http;
pub mod mail;
pub mod mqtt;
pub mod smtp;

use serde::{Deserialize, Serialize};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// One message to one endpoint. Retries of the same notification carry the same key.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub idempotency_key: String,
    /// "vi" or "en": the recipient's language; `subject` and `text` are already in it.
    pub language: String,
    pub subject: String,
    pub text: String,
    /// The released CAP alert (signed XML), sent as-is.
    pub cap_xml: String,
    /// A JSON summary of the notification (warning id, version, hazard, level, areas,
    /// identifier, ack_url…).
    pub json: String,
    pub province: String,
    /// Commune codes the alert covers (may be empty).
    pub communes: Vec<String>,
    pub hazard: String,
    /// A link that acknowledges the notification when opened (None when no ack is needed).
    pub ack_url: Option<String>,
    /// When this attempt is made, from the engine's clock: the `X-Tocsin-Timestamp` of a
    /// webhook, the `Date` of a mail.
    pub attempted_at: jiff::Timestamp,
}

/// Where a message goes. Stored as JSON by the dispatcher, e.g.
/// `{"channel":"webhook","url":"http://…","secret":"…","body":"json"}`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case", deny_unknown_fields)]
pub enum Endpoint {
    /// HTTP POST of the JSON summary or the CAP alert.
    Webhook {
        /// An absolute `http://` URL.
        url: String,
        /// The key of the `X-Tocsin-Signature` HMAC; no signature without it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        secret: Option<String>,
        body: WebhookBody,
    },
    /// MQTT 3.1.1 PUBLISH at QoS 1 to `{topic_prefix}/{province}/{hazard}` and, for each commune,
    /// `{topic_prefix}/{province}/{commune}/{hazard}`.
    Mqtt {
        /// `host:port` of the broker.
        broker: String,
        topic_prefix: String,
        body: WebhookBody,
    },
    /// E-mail over SMTP, through [`ChannelSettings::smtp`].
    Email { address: String },
    /// The CAP alert forwarded to a parent tocsin node.
    Parent {
        /// The parent's base URL (`http://host:port`).
        url: String,
        /// A token of the parent allowed to send data in.
        token: String,
    },
}

pub use tocsin_core::secrets::{SECRET_SET, without_credentials};

impl Endpoint {
    /// The endpoint as it may be shown: its secrets (the webhook's HMAC key, the parent node's
    /// token, credentials in a URL) replaced by [`SECRET_SET`].
    pub fn redacted(&self) -> Endpoint {
        let mut shown = self.clone();
        match &mut shown {
            Endpoint::Webhook { url, secret, .. } => {
                *url = without_credentials(url);
                if secret.is_some() {
                    *secret = Some(SECRET_SET.into());
                }
            }
            Endpoint::Parent { url, token } => {
                *url = without_credentials(url);
                *token = SECRET_SET.into();
            }
            Endpoint::Mqtt { broker, .. } => *broker = without_credentials(broker),
            Endpoint::Email { .. } => {}
        }
        shown
    }

    /// Checks where the endpoint goes, before it is stored: a webhook or parent node is an
    /// absolute `http://` URL, an MQTT broker `host:port` with a topic prefix without
    /// wildcards, an e-mail a bare `local@domain`. The field at fault and the reason.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        match self {
            Endpoint::Webhook { url, .. } | Endpoint::Parent { url, .. } => {
                http::check_url(&format!("{url:?}"), url).map_err(|e| ("url", e.reason))
            }
            Endpoint::Mqtt {
                broker,
                topic_prefix,
                ..
            } => {
                mqtt::check_broker(broker).map_err(|reason| ("broker", reason))?;
                mqtt::check_prefix(topic_prefix).map_err(|reason| ("topic_prefix", reason))
            }
            Endpoint::Email { address } => smtp::check_address(address)
                .map_err(|reason| ("address", format!("{address:?} {reason}"))),
        }
    }
}

/// Shows where an endpoint goes, never its secret or token.
impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Webhook { url, body, .. } => write!(f, "Webhook({url}, {body:?})"),
            Endpoint::Mqtt {
                broker,
                topic_prefix,
                body,
            } => write!(f, "Mqtt({broker}, {topic_prefix}, {body:?})"),
            Endpoint::Email { address } => write!(f, "Email({address})"),
            Endpoint::Parent { url, .. } => write!(f, "Parent({url})"),
        }
    }
}

/// What a webhook or MQTT message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookBody {
    /// [`Message::json`], as `application/json`.
    Json,
    /// [`Message::cap_xml`], as `application/cap+xml`.
    Cap,
}

impl WebhookBody {
    /// The body's bytes and its content type.
    fn of(self, message: &Message) -> (&[u8], &'static str) {
        match self {
            WebhookBody::Json => (message.json.as_bytes(), "application/json"),
            WebhookBody::Cap => (message.cap_xml.as_bytes(), CAP_CONTENT_TYPE),
        }
    }
}

/// The media type of a CAP alert.
pub const CAP_CONTENT_TYPE: &str = "application/cap+xml; charset=utf-8";

/// What every channel needs beside the endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSettings {
    /// The mail relay; e-mail endpoints fail (not retryable) without one.
    pub smtp: Option<SmtpSettings>,
    /// The longest one attempt may wait to connect, and for each read or write (for HTTP, the
    /// whole request).
    pub timeout: Duration,
}

/// The SMTP relay mail is handed to (plain SMTP, no authentication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// `host:port` of the relay.
    pub server: String,
    /// The sender address (envelope and `From`).
    pub from: String,
    /// The name this node gives in EHLO/HELO, also the domain of `Message-ID`s.
    pub helo: String,
}

/// Why one attempt failed, and whether another attempt may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct DeliveryError {
    /// A later attempt may succeed (network trouble, a busy or failing receiver).
    pub retryable: bool,
    pub reason: String,
}

impl DeliveryError {
    /// A failure that another attempt may not have.
    pub fn retry(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            retryable: true,
            reason: reason.into(),
        }
    }

    /// A failure that every attempt would have (a refusal, a wrong address or setting).
    pub fn permanent(reason: impl Into<String>) -> DeliveryError {
        DeliveryError {
            retryable: false,
            reason: reason.into(),
        }
    }
}

/// Makes one attempt to deliver `message` to `endpoint`.
pub fn deliver(
    endpoint: &Endpoint,
    message: &Message,
    settings: &ChannelSettings,
) -> Result<(), DeliveryError> {
    match endpoint {
        Endpoint::Webhook { url, secret, body } => {
            http::webhook(url, secret.as_deref(), *body, message, settings.timeout)
        }
        Endpoint::Mqtt {
            broker,
            topic_prefix,
            body,
        } => mqtt::publish(broker, topic_prefix, *body, message, settings.timeout),
        Endpoint::Email { address } => match &settings.smtp {
            Some(smtp) => smtp::send(smtp, address, message, settings.timeout),
            None => Err(DeliveryError::permanent(format!(
                "e-mail to {address}: no SMTP server is configured"
            ))),
        },
        Endpoint::Parent { url, token } => http::parent(url, token, message, settings.timeout),
    }
}

/// A TCP connection to `host:port` with `timeout` for connecting and for each read and write.
/// An address that cannot be understood is permanent; one that cannot be reached is not.
fn connect(what: &str, address: &str, timeout: Duration) -> Result<TcpStream, DeliveryError> {
    let addresses: Vec<SocketAddr> = match address.to_socket_addrs() {
        Ok(found) => found.collect(),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(DeliveryError::permanent(format!(
                "{what} {address:?} is not host:port: {e}"
            )));
        }
        Err(e) => return Err(DeliveryError::retry(format!("{what} {address}: {e}"))),
    };
    let mut last = format!("{what} {address}: the name resolves to no address");
    for addr in addresses {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                let set = stream
                    .set_read_timeout(Some(timeout))
                    .and_then(|()| stream.set_write_timeout(Some(timeout)));
                set.map_err(|e| DeliveryError::retry(format!("{what} {address}: {e}")))?;
                return Ok(stream);
            }
            Err(e) => last = format!("{what} {address}: {e}"),
        }
    }
    Err(DeliveryError::retry(last))
}

/// The first `max` characters of `text`, on one line.
fn excerpt(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_read_and_write_as_tagged_json() {
        let check = |json: &str, expected: Endpoint| {
            let read: Endpoint = serde_json::from_str(json).unwrap();
            assert_eq!(read, expected, "{json}");
            assert_eq!(serde_json::to_string(&read).unwrap(), json);
        };
        check(
            r#"{"channel":"webhook","url":"http://h/x","secret":"s","body":"json"}"#,
            Endpoint::Webhook {
                url: "http://h/x".into(),
                secret: Some("s".into()),
                body: WebhookBody::Json,
            },
        );
        check(
            r#"{"channel":"webhook","url":"http://h/x","body":"cap"}"#,
            Endpoint::Webhook {
                url: "http://h/x".into(),
                secret: None,
                body: WebhookBody::Cap,
            },
        );
        check(
            r#"{"channel":"mqtt","broker":"127.0.0.1:1883","topic_prefix":"tocsin","body":"json"}"#,
            Endpoint::Mqtt {
                broker: "127.0.0.1:1883".into(),
                topic_prefix: "tocsin".into(),
                body: WebhookBody::Json,
            },
        );
        check(
            r#"{"channel":"email","address":"a@b.vn"}"#,
            Endpoint::Email {
                address: "a@b.vn".into(),
            },
        );
        check(
            r#"{"channel":"parent","url":"http://p","token":"t"}"#,
            Endpoint::Parent {
                url: "http://p".into(),
                token: "t".into(),
            },
        );
    }

    #[test]
    fn a_misspelt_endpoint_key_is_an_error() {
        let error = serde_json::from_str::<Endpoint>(r#"{"channel":"email","adress":"a@b.vn"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("adress"), "{error}");
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt("a\n  b", 10), "a b");
        assert_eq!(excerpt("Lũ trên sông Hồng", 6), "Lũ trê…");
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn secrets_never_read_back() {
        let hook = Endpoint::Webhook {
            url: "http://user:pw@hooks.example:8080/in?x=1".into(),
            secret: Some("hmac-key".into()),
            body: WebhookBody::Json,
        };
        let parent = Endpoint::Parent {
            url: "http://centre:8080".into(),
            token: "tcs_parent".into(),
        };
        let shown = serde_json::to_string(&[hook.redacted(), parent.redacted()]).unwrap();
        for secret in ["hmac-key", "tcs_parent", "user:pw"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("http://set@hooks.example:8080/in?x=1"),
            "{shown}"
        );
        assert!(shown.contains(r#""secret":"set""#), "{shown}");
    }
}
