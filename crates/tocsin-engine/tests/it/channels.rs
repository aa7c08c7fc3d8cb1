//! Delivery channels against real servers: a webhook receiver on the loopback that checks the
//! HMAC and remembers idempotency keys (and fails on request), the Mosquitto broker at
//! 127.0.0.1:1883 watched with `mosquitto_sub`, an `aiosmtpd` mail server whose maildir is read
//! back with Python's `email` package, and a parent node's receiving end. Tests that need a
//! server that is missing say so and pass, unless `TOCSIN_REQUIRE_SERVICES=1`.

use crate::receiver::{SECRET, receiver};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tocsin_engine::channels::{
    ChannelSettings, DeliveryError, Endpoint, Message, SmtpSettings, WebhookBody, deliver,
};

const CAP: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"><identifier>vn.w7.v2</identifier><note>Lũ trên sông Hồng</note></alert>\n";

fn message(language: &str) -> Message {
    let vi = language == "vi";
    Message {
        idempotency_key: "w7.v2.n13".into(),
        language: language.into(),
        subject: if vi {
            "Cảnh báo lũ cấp độ 3: Hà Nội"
        } else {
            "Flood warning, level 3: Hà Nội"
        }
        .into(),
        text: if vi {
            "Lũ trên sông Hồng tại Hà Nội.\n.Sơ tán khỏi bãi sông."
        } else {
            "Flood on the Red River at Hà Nội.\n.Leave the riverbanks."
        }
        .into(),
        cap_xml: CAP.into(),
        json: r#"{"warning":7,"version":2,"hazard":"flood","level":3,"identifier":"vn.w7.v2"}"#
            .into(),
        province: "01".into(),
        communes: vec!["00004".into(), "00008".into()],
        hazard: "flood".into(),
        ack_url: Some("http://tocsin.test/ack/n13-c0ffee".into()),
        attempted_at: "2026-11-22T03:00:00Z".parse().unwrap(),
    }
}

fn settings() -> ChannelSettings {
    ChannelSettings {
        smtp: None,
        timeout: Duration::from_secs(5),
    }
}

/// Whether tests must fail rather than skip when a server is missing.
fn required() -> bool {
    std::env::var("TOCSIN_REQUIRE_SERVICES").as_deref() == Ok("1")
}

/// Skips (or fails under `TOCSIN_REQUIRE_SERVICES=1`) a test whose server is missing.
fn missing(what: &str) {
    assert!(!required(), "{what} (required: TOCSIN_REQUIRE_SERVICES=1)");
    eprintln!("skipped: {what}");
}

// ---------------------------------------------------------------------------------------------
// Webhooks

fn webhook(url: &str, secret: Option<&str>, body: WebhookBody) -> Endpoint {
    Endpoint::Webhook {
        url: format!("{url}/hooks/tocsin"),
        secret: secret.map(String::from),
        body,
    }
}

#[test]
fn a_webhook_gets_the_json_signed_with_the_key_and_time() {
    let (url, state) = receiver(&[]);
    let message = message("vi");
    deliver(
        &webhook(&url, Some(SECRET), WebhookBody::Json),
        &message,
        &settings(),
    )
    .unwrap();
    let state = state.lock().unwrap();
    let request = &state.requests[0];
    assert_eq!(request.path, "/hooks/tocsin");
    assert_eq!(request.body, message.json.as_bytes());
    let header = |name: &str| request.headers.get(name).map(String::as_str);
    assert_eq!(header("content-type"), Some("application/json"));
    assert_eq!(header("idempotency-key"), Some("w7.v2.n13"));
    assert_eq!(header("x-tocsin-timestamp"), Some("2026-11-22T03:00:00Z"));
    assert!(header("x-tocsin-signature").is_some());
    assert_eq!(state.bad_signatures, 0);
    assert_eq!(state.alerts.len(), 1);
}

#[test]
fn a_webhook_gets_the_cap_alert_as_is_and_unsigned_without_a_secret() {
    let (url, state) = receiver(&[]);
    deliver(
        &webhook(&url, None, WebhookBody::Cap),
        &message("en"),
        &settings(),
    )
    .unwrap();
    let state = state.lock().unwrap();
    let request = &state.requests[0];
    assert_eq!(request.body, CAP.as_bytes());
    assert_eq!(
        request.headers["content-type"],
        "application/cap+xml; charset=utf-8"
    );
    assert!(!request.headers.contains_key("x-tocsin-signature"));
}

#[test]
fn a_wrong_secret_fails_the_receivers_check() {
    let (url, state) = receiver(&[]);
    let endpoint = webhook(&url, Some("another secret"), WebhookBody::Json);
    deliver(&endpoint, &message("vi"), &settings()).unwrap();
    assert_eq!(state.lock().unwrap().bad_signatures, 1);
    assert!(state.lock().unwrap().alerts.is_empty());
}

#[test]
fn failing_receivers_are_retried_and_a_retry_is_never_a_second_alert() {
    let (url, state) = receiver(&[(503, "busy"), (500, "oops"), (429, "slow down")]);
    let endpoint = webhook(&url, Some(SECRET), WebhookBody::Json);
    let message = message("vi");
    let mut outcomes = Vec::new();
    loop {
        let outcome = deliver(&endpoint, &message, &settings());
        let done = outcome.is_ok();
        outcomes.push(outcome.map_err(|e| (e.retryable, e.reason)));
        if done || outcomes.len() > 5 {
            break;
        }
    }
    let reasons: Vec<String> = outcomes
        .iter()
        .map(|o| match o {
            Ok(()) => "delivered".to_string(),
            Err((retryable, reason)) => format!("{retryable} {reason}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            format!("true webhook {url}/hooks/tocsin: HTTP status 503: busy"),
            format!("true webhook {url}/hooks/tocsin: HTTP status 500: oops"),
            format!("true webhook {url}/hooks/tocsin: HTTP status 429: slow down"),
            "delivered".to_string(),
        ]
    );
    // A late duplicate (the outbox lost the outcome) changes nothing for the receiver.
    deliver(&endpoint, &message, &settings()).unwrap();
    let state = state.lock().unwrap();
    let keys: BTreeSet<&str> = state
        .requests
        .iter()
        .map(|r| r.headers["idempotency-key"].as_str())
        .collect();
    assert_eq!(state.requests.len(), 5);
    assert_eq!(keys, BTreeSet::from(["w7.v2.n13"]));
    assert_eq!(state.alerts.len(), 1);
}

#[test]
fn a_refusal_is_not_retried() {
    let (url, _state) = receiver(&[(400, "body: unknown field \"levle\"")]);
    let error = deliver(
        &webhook(&url, None, WebhookBody::Json),
        &message("vi"),
        &settings(),
    )
    .unwrap_err();
    assert!(!error.retryable);
    assert_eq!(
        error.to_string(),
        format!("webhook {url}/hooks/tocsin: HTTP status 400: body: unknown field \"levle\"")
    );
}

#[test]
fn network_failures_are_retryable() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let error = deliver(
        &webhook(&closed, None, WebhookBody::Json),
        &message("vi"),
        &settings(),
    )
    .unwrap_err();
    assert!(error.retryable, "{error}");

    // A receiver that accepts the connection and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let quick = ChannelSettings {
        smtp: None,
        timeout: Duration::from_millis(300),
    };
    let error = deliver(
        &webhook(&url, None, WebhookBody::Json),
        &message("vi"),
        &quick,
    )
    .unwrap_err();
    assert!(error.retryable, "{error}");
    drop(silent);
}

#[test]
fn wrong_urls_are_not_retried() {
    for url in ["https://hooks.example.vn", "hooks.example.vn"] {
        let error = deliver(
            &webhook(url, None, WebhookBody::Json),
            &message("vi"),
            &settings(),
        )
        .unwrap_err();
        assert!(!error.retryable, "{url}: {error}");
    }
}

// ---------------------------------------------------------------------------------------------
// Parent node (the sending side; the receiving side is tested over HTTP in tocsin-server)

#[test]
fn a_parent_node_gets_the_cap_alert_with_the_token_and_key() {
    let (url, state) = receiver(&[(503, "starting")]);
    let parent = Endpoint::Parent {
        url: format!("{url}/"),
        token: "parent-token".into(),
    };
    let first = deliver(&parent, &message("vi"), &settings()).unwrap_err();
    assert!(first.retryable, "{first}");
    deliver(&parent, &message("vi"), &settings()).unwrap();
    let state = state.lock().unwrap();
    let request = &state.requests[1];
    assert_eq!(request.path, "/api/v1/forwarded-alerts");
    assert_eq!(request.body, CAP.as_bytes());
    assert_eq!(request.headers["authorization"], "Bearer parent-token");
    assert_eq!(request.headers["idempotency-key"], "w7.v2.n13");
    assert_eq!(
        request.headers["content-type"],
        "application/cap+xml; charset=utf-8"
    );
}

// ---------------------------------------------------------------------------------------------
// MQTT

const BROKER: &str = "127.0.0.1:1883";

/// `mosquitto_sub` on `{prefix}/#`, once it has its SUBACK; `None` when it cannot run.
fn subscriber(
    prefix: &str,
    count: usize,
) -> Option<(Child, std::io::Lines<BufReader<std::process::ChildStdout>>)> {
    // Line-buffered: mosquitto_sub buffers a pipe, and the SUBACK line must come at once.
    let mut child = Command::new("stdbuf")
        .args(["-oL", "mosquitto_sub"])
        .args(["-h", "127.0.0.1", "-p", "1883", "-q", "1", "-d", "-W", "20"])
        .args([
            "-C",
            &count.to_string(),
            "-F",
            "%t %x",
            "-t",
            &format!("{prefix}/#"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut lines = BufReader::new(child.stdout.take()?).lines();
    for line in lines.by_ref() {
        if line.ok()?.contains("received SUBACK") {
            return Some((child, lines));
        }
    }
    let _ = child.kill();
    None
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn mqtt_publishes_to_the_province_and_each_commune() {
    if TcpStream::connect(BROKER).is_err() {
        return missing("no MQTT broker at 127.0.0.1:1883");
    }
    let prefix = format!("tocsin-test/{}", std::process::id());
    let Some((mut child, lines)) = subscriber(&prefix, 3) else {
        return missing("mosquitto_sub (mosquitto-clients) cannot subscribe");
    };
    let endpoint = Endpoint::Mqtt {
        broker: BROKER.into(),
        topic_prefix: prefix.clone(),
        body: WebhookBody::Cap,
    };
    deliver(&endpoint, &message("vi"), &settings()).unwrap();
    let mut received: Vec<(String, Vec<u8>)> = lines
        .map_while(Result::ok)
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| {
            let (topic, hex) = l.split_once(' ')?;
            Some((topic.to_string(), unhex(hex)))
        })
        .collect();
    let _ = child.wait();
    received.sort();
    let topics: Vec<&str> = received.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        topics,
        [
            format!("{prefix}/01/00004/flood"),
            format!("{prefix}/01/00008/flood"),
            format!("{prefix}/01/flood"),
        ]
    );
    assert!(
        received
            .iter()
            .all(|(_, payload)| payload == CAP.as_bytes())
    );
}

#[test]
fn mqtt_failures_say_whether_to_retry() {
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let endpoint = |broker: String, prefix: &str| Endpoint::Mqtt {
        broker,
        topic_prefix: prefix.into(),
        body: WebhookBody::Json,
    };
    let error = deliver(
        &endpoint(closed.to_string(), "t"),
        &message("vi"),
        &settings(),
    )
    .unwrap_err();
    assert!(error.retryable, "{error}");
    let error = deliver(
        &endpoint("no port".into(), "t"),
        &message("vi"),
        &settings(),
    )
    .unwrap_err();
    assert!(!error.retryable, "{error}");
    let error = deliver(&endpoint(BROKER.into(), "t/#"), &message("vi"), &settings()).unwrap_err();
    assert!(!error.retryable, "{error}");
}

// ---------------------------------------------------------------------------------------------
// E-mail

/// An `aiosmtpd` server writing to a maildir, stopped when dropped.
struct MailServer {
    child: Child,
    address: String,
    maildir: tempfile::TempDir,
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mail_server() -> Option<MailServer> {
    let python = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status();
    if !python.is_ok_and(|s| s.success()) {
        return None;
    }
    let address = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let maildir = tempfile::tempdir().unwrap();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &address])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir.path().join("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = MailServer {
        child,
        address,
        maildir,
    };
    let started = Instant::now();
    while TcpStream::connect(&server.address).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(server)
}

/// The mails in the maildir as Python's `email` package reads them (see `read_maildir.py`).
fn read_maildir(dir: &Path) -> Vec<serde_json::Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/read_maildir.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn email_settings(server: &str) -> ChannelSettings {
    ChannelSettings {
        smtp: Some(SmtpSettings {
            server: server.into(),
            from: "canhbao@tocsin.test".into(),
            helo: "tocsin.test".into(),
        }),
        timeout: Duration::from_secs(5),
    }
}

#[test]
fn mail_in_vietnamese_and_english_with_the_alert_attached() {
    let Some(server) = mail_server() else {
        return missing("no SMTP server: python3 -m aiosmtpd (pip install aiosmtpd)");
    };
    let settings = email_settings(&server.address);
    let to_vi = Endpoint::Email {
        address: "xa.phuc-xa@hanoi.test".into(),
    };
    let to_en = Endpoint::Email {
        address: "liaison@embassy.test".into(),
    };
    deliver(&to_vi, &message("vi"), &settings).unwrap();
    let mut english = message("en");
    english.idempotency_key = "w7.v2.n14".into();
    english.ack_url = None;
    deliver(&to_en, &english, &settings).unwrap();

    let mut mails = read_maildir(&server.maildir.path().join("mail"));
    mails.sort_by_key(|m| m["to"].as_str().unwrap_or_default().to_string());
    assert_eq!(mails.len(), 2, "{mails:#?}");
    let (en, vi) = (&mails[0], &mails[1]);
    let expected_vi = serde_json::json!({
        "from": "canhbao@tocsin.test",
        "to": "xa.phuc-xa@hanoi.test",
        "envelope_from": "canhbao@tocsin.test",
        "envelope_to": "xa.phuc-xa@hanoi.test",
        "subject": "Cảnh báo lũ cấp độ 3: Hà Nội",
        "message_id": "<w7.v2.n13.tocsin@tocsin.test>",
        "date": "Sun, 22 Nov 2026 03:00:00 -0000",
        "content_language": "vi",
        "content_type": "multipart/mixed",
        // Text in base64 keeps its canonical CRLF line ends.
        "text": "Lũ trên sông Hồng tại Hà Nội.\r\n.Sơ tán khỏi bãi sông.\r\n\r\nXác nhận đã nhận cảnh báo: http://tocsin.test/ack/n13-c0ffee\r\n",
        "attachments": [{"filename": "alert.xml", "content_type": "application/cap+xml", "content": CAP}],
    });
    assert_eq!(vi, &expected_vi);
    assert_eq!(en["subject"], "Flood warning, level 3: Hà Nội");
    assert_eq!(en["content_language"], "en");
    assert_eq!(en["message_id"], "<w7.v2.n14.tocsin@tocsin.test>");
    assert_eq!(
        en["text"],
        "Flood on the Red River at Hà Nội.\r\n.Leave the riverbanks.\r\n"
    );
    assert_eq!(en["attachments"], expected_vi["attachments"]);
}

/// A scripted SMTP server: answers each line it reads with the next reply of `replies`.
fn scripted_smtp(replies: &'static [&'static str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        for reply in replies {
            if stream.write_all(format!("{reply}\r\n").as_bytes()).is_err() {
                return;
            }
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
        }
    });
    address
}

#[test]
fn smtp_replies_say_whether_to_retry() {
    let to = Endpoint::Email {
        address: "xa@hanoi.test".into(),
    };
    let attempt = |replies: &'static [&'static str]| -> DeliveryError {
        let server = scripted_smtp(replies);
        deliver(&to, &message("vi"), &email_settings(&server)).unwrap_err()
    };
    let busy = attempt(&["421 tocsin.test busy, try later"]);
    assert!(busy.retryable, "{busy}");
    let unknown = attempt(&[
        "220 hi",
        "250-tocsin.test\r\n250 8BITMIME",
        "250 ok",
        "550 5.1.1 no such mailbox",
    ]);
    assert!(!unknown.retryable, "{unknown}");
    assert!(
        unknown
            .reason
            .ends_with("the server answered 550 after RCPT: 5.1.1 no such mailbox"),
        "{unknown}"
    );
    let full = attempt(&[
        "220 hi",
        "502 no EHLO",
        "250 hello",
        "250 ok",
        "452 mailbox full",
    ]);
    assert!(full.retryable, "{full}");

    let unconfigured = deliver(&to, &message("vi"), &settings()).unwrap_err();
    assert!(!unconfigured.retryable, "{unconfigured}");
}
