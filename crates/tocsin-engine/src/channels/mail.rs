//! The mail of one notification (RFC 5322 with MIME), in the recipient's language.
//!
//! Headers: `Date` (the attempt's time), `From`, `To`, `Subject` as RFC 2047 UTF-8 encoded
//! words, `Message-ID` derived from the idempotency key (every retry of one notification has
//! the same one, so a duplicate is recognisable), `Content-Language`. The body is
//! `multipart/mixed`: a `text/plain; charset=utf-8` part in base64 — the text, then the
//! acknowledgement link when there is one and the text does not give it — and the CAP alert
//! attached as `alert.xml` (`application/cap+xml`, base64, its bytes unchanged so its
//! signature still verifies).
//! Lines end in CRLF and none is longer than 78 characters; the whole mail is 7-bit ASCII.

use super::{Message, SmtpSettings};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

/// Bytes of UTF-8 per encoded word: 48 characters of base64, a word of 60 (a header line of
/// at most 69).
const WORD_BYTES: usize = 36;
/// Bytes per base64 body line: 76 characters.
const LINE_BYTES: usize = 57;

/// The whole mail to `to`, headers and body, with CRLF line ends (not yet dot-stuffed).
pub fn compose(message: &Message, smtp: &SmtpSettings, to: &str) -> String {
    let digest = hex::encode(Sha256::digest(message.idempotency_key.as_bytes()));
    let boundary = format!("tocsin-part-{}", &digest[..24]);
    let date = jiff::fmt::rfc2822::DateTimePrinter::new()
        .timestamp_to_string(&message.attempted_at)
        .unwrap_or_default();
    let mut mail = String::new();
    let mut header = |name: &str, value: &str| mail.push_str(&format!("{name}: {value}\r\n"));
    header("Date", &date);
    header("From", &format!("<{}>", smtp.from));
    header("To", &format!("<{to}>"));
    header("Subject", &encoded_words(&message.subject));
    header("Message-ID", &message_id(message, &smtp.helo));
    header("Content-Language", language(message));
    header("MIME-Version", "1.0");
    header(
        "Content-Type",
        &format!("multipart/mixed; boundary=\"{boundary}\""),
    );
    mail.push_str("\r\n");
    mail.push_str(&format!("--{boundary}\r\n"));
    mail.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    mail.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    mail.push_str(&base64_lines(crlf(&text(message)).as_bytes()));
    mail.push_str(&format!("--{boundary}\r\n"));
    mail.push_str("Content-Type: application/cap+xml; name=\"alert.xml\"\r\n");
    mail.push_str("Content-Disposition: attachment; filename=\"alert.xml\"\r\n");
    mail.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
    mail.push_str(&base64_lines(message.cap_xml.as_bytes()));
    mail.push_str(&format!("--{boundary}--\r\n"));
    mail
}

/// `<{key}.tocsin@{helo}>`, or the key's SHA-256 when it has characters a Message-ID cannot.
pub fn message_id(message: &Message, helo: &str) -> String {
    let key = &message.idempotency_key;
    let plain = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let local = if plain {
        key.clone()
    } else {
        hex::encode(&Sha256::digest(key.as_bytes())[..16])
    };
    format!("<{local}.tocsin@{helo}>")
}

/// The language of the mail: `vi` or `en` (any other is read as English).
fn language(message: &Message) -> &'static str {
    if message.language == "vi" { "vi" } else { "en" }
}

/// The text, then the acknowledgement link in the recipient's language (unless the text
/// already gives it).
fn text(message: &Message) -> String {
    let mut text = message.text.trim_end().to_string();
    if let Some(url) = message
        .ack_url
        .as_ref()
        .filter(|u| !text.contains(u.as_str()))
    {
        let label = match language(message) {
            "vi" => "Xác nhận đã nhận cảnh báo",
            _ => "Acknowledge this warning",
        };
        text.push_str(&format!("\n\n{label}: {url}"));
    }
    text.push('\n');
    text
}

/// RFC 2047 `B` encoded words of at most 36 bytes each (never splitting a character), folded
/// one to a line.
fn encoded_words(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut words = Vec::new();
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if at + c.len_utf8() - start > WORD_BYTES {
            words.push(&text[start..at]);
            start = at;
        }
    }
    words.push(&text[start..]);
    words
        .iter()
        .map(|w| format!("=?UTF-8?B?{}?=", BASE64.encode(w)))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Line ends as CRLF.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Base64 in lines of 76 characters, each ending in CRLF.
fn base64_lines(bytes: &[u8]) -> String {
    bytes
        .chunks(LINE_BYTES)
        .map(|chunk| format!("{}\r\n", BASE64.encode(chunk)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(language: &str, key: &str) -> Message {
        Message {
            idempotency_key: key.into(),
            language: language.into(),
            subject: "Cảnh báo lũ trên sông Hồng, cấp độ 3 — Hà Nội, Lào Cai".into(),
            text: "Lũ trên sông Hồng.\nSơ tán khỏi bãi sông.".into(),
            cap_xml: "<alert/>".into(),
            json: "{}".into(),
            province: "01".into(),
            communes: Vec::new(),
            hazard: "flood".into(),
            ack_url: Some("http://tocsin.test/ack/abc".into()),
            attempted_at: "2026-11-22T03:00:00Z".parse().unwrap(),
        }
    }

    fn smtp() -> SmtpSettings {
        SmtpSettings {
            server: "127.0.0.1:25".into(),
            from: "canhbao@tocsin.test".into(),
            helo: "tocsin.test".into(),
        }
    }

    #[test]
    fn headers_are_ascii_and_the_subject_is_encoded() {
        let mail = compose(&message("vi", "n42"), &smtp(), "xa@hanoi.vn");
        let (headers, _) = mail.split_once("\r\n\r\n").unwrap();
        let expected = "\
Date: Sun, 22 Nov 2026 03:00:00 -0000
From: <canhbao@tocsin.test>
To: <xa@hanoi.vn>
Subject: =?UTF-8?B?Q+G6o25oIGLDoW8gbMWpIHRyw6puIHPDtG5nIEjhu5NuZywg?=
 =?UTF-8?B?Y+G6pXAgxJHhu5kgMyDigJQgSMOgIE7hu5lpLCBMw6BvIENh?=
 =?UTF-8?B?aQ==?=
Message-ID: <n42.tocsin@tocsin.test>
Content-Language: vi
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"tocsin-part-";
        assert!(
            headers.replace("\r\n", "\n").starts_with(expected),
            "{headers}"
        );
        assert!(mail.is_ascii());
        assert!(mail.lines().all(|l| l.len() <= 78));
    }

    #[test]
    fn the_text_ends_with_the_ack_link_in_the_recipients_language() {
        assert!(text(&message("vi", "k")).ends_with(": http://tocsin.test/ack/abc\n"));
        assert!(text(&message("vi", "k")).contains("Xác nhận"));
        assert!(text(&message("en", "k")).contains("Acknowledge this warning"));
        let mut given = message("vi", "k");
        given.text = "Lũ.\n\nXác nhận: http://tocsin.test/ack/abc".into();
        assert_eq!(
            text(&given),
            "Lũ.\n\nXác nhận: http://tocsin.test/ack/abc\n"
        );
        let mut quiet = message("en", "k");
        quiet.ack_url = None;
        assert_eq!(text(&quiet), "Lũ trên sông Hồng.\nSơ tán khỏi bãi sông.\n");
    }

    #[test]
    fn message_ids_follow_the_key() {
        let id = |key: &str| message_id(&message("vi", key), "tocsin.test");
        assert_eq!(id("w3.v2-n7"), "<w3.v2-n7.tocsin@tocsin.test>");
        assert_eq!(id("a b<c>"), id("a b<c>"));
        assert_eq!(id("a b<c>").len(), 1 + 32 + ".tocsin@tocsin.test>".len());
        assert_ne!(id("a b<c>"), id("a b<d>"));
    }

    #[test]
    fn encoded_words_never_split_a_character() {
        for text in ["", "abc", &"ữ".repeat(40), &"aữ".repeat(30)] {
            let folded = encoded_words(text);
            let decoded: String = folded
                .split("\r\n ")
                .map(|w| {
                    let b64 = w
                        .strip_prefix("=?UTF-8?B?")
                        .unwrap()
                        .strip_suffix("?=")
                        .unwrap();
                    String::from_utf8(BASE64.decode(b64).unwrap()).unwrap()
                })
                .collect();
            assert_eq!(decoded, text);
            assert!(folded.split("\r\n ").all(|w| w.len() <= 75));
        }
    }
}
