//! MQTT 3.1.1 publishing over a plain TCP connection: CONNECT with a clean session, one PUBLISH
//! at QoS 1 per topic, each acknowledged by its PUBACK before the next, then DISCONNECT.
//!
//! Topics: `{prefix}/{province}/{hazard}` and, for each commune,
//! `{prefix}/{province}/{commune}/{hazard}`, so a subscriber picks a region and a hazard with
//! wildcards (`tocsin/01/#`, `tocsin/+/flood`). The client id is derived from the idempotency
//! key, the broker and the prefix (one connection per attempt; attempts of one notification to
//! one endpoint never overlap). A broken connection, a timeout or a broker that is unavailable
//! is retryable; a refused CONNECT (bad protocol, identifier, credentials) and a topic that
//! cannot be built are not. A retry republishes every topic: QoS 1 is at-least-once.

use super::{DeliveryError, Message, WebhookBody, connect};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::time::Duration;

const CONNECT: u8 = 0x10;
const CONNACK: u8 = 0x20;
/// PUBLISH with QoS 1, neither DUP nor RETAIN.
const PUBLISH_QOS1: u8 = 0x32;
const PUBACK: u8 = 0x40;
const DISCONNECT: u8 = 0xE0;
/// The largest remaining length MQTT can express.
const MAX_REMAINING: usize = 268_435_455;
/// Seconds the broker waits for traffic before dropping the connection.
const KEEP_ALIVE_SECONDS: u16 = 60;

/// Publishes the message's JSON or CAP body to every topic of the message.
pub fn publish(
    broker: &str,
    prefix: &str,
    body: WebhookBody,
    message: &Message,
    timeout: Duration,
) -> Result<(), DeliveryError> {
    let what = format!("MQTT broker {broker}");
    let topics =
        topics(prefix, message).map_err(|e| DeliveryError::permanent(format!("{what}: {e}")))?;
    let (payload, _) = body.of(message);
    let mut stream = connect("MQTT broker", broker, timeout)?;
    let io = |e: std::io::Error| DeliveryError::retry(format!("{what}: {e}"));
    stream
        .write_all(&connect_packet(&client_id(broker, prefix, message)))
        .map_err(io)?;
    check_connack(&read_packet(&mut stream).map_err(io)?).map_err(|e| e.within(&what))?;
    for (index, topic) in topics.iter().enumerate() {
        let id = u16::try_from(index + 1)
            .map_err(|_| DeliveryError::permanent(format!("{what}: too many topics")))?;
        let packet = publish_packet(topic, id, payload)
            .map_err(|e| DeliveryError::permanent(format!("{what}: {e}")))?;
        stream.write_all(&packet).map_err(io)?;
        let answer = read_packet(&mut stream).map_err(io)?;
        check_puback(&answer, id).map_err(|e| e.within(&format!("{what}, topic {topic}")))?;
    }
    stream.write_all(&[DISCONNECT, 0]).map_err(io)
}

/// The topics one message is published to: its province's, then each commune's.
pub fn topics(prefix: &str, message: &Message) -> Result<Vec<String>, String> {
    check_prefix(prefix)?;
    let prefix = prefix.trim_end_matches('/');
    let levels = [&message.province, &message.hazard]
        .into_iter()
        .chain(&message.communes);
    for level in levels {
        if level.is_empty() || level.contains(['/', '+', '#', '\0']) {
            return Err(format!("{level:?} cannot be a topic level"));
        }
    }
    let (province, hazard) = (&message.province, &message.hazard);
    let mut topics = vec![format!("{prefix}/{province}/{hazard}")];
    topics.extend(
        message
            .communes
            .iter()
            .map(|c| format!("{prefix}/{province}/{c}/{hazard}")),
    );
    Ok(topics)
}

/// A topic prefix is non-empty and has no wildcard or NUL.
pub(crate) fn check_prefix(prefix: &str) -> Result<(), String> {
    let prefix = prefix.trim_end_matches('/');
    if prefix.is_empty() || prefix.contains(['+', '#', '\0']) {
        return Err(format!(
            "topic prefix {prefix:?} must be non-empty, without + # or NUL"
        ));
    }
    Ok(())
}

/// A broker is `host:port`, the port a number from 1 to 65535.
pub(crate) fn check_broker(broker: &str) -> Result<(), String> {
    match broker.rsplit_once(':') {
        Some((host, port))
            if !host.is_empty()
                && !host.contains(['/', '@', ' '])
                && port.parse::<u16>().is_ok_and(|p| p > 0) =>
        {
            Ok(())
        }
        _ => Err(format!("{broker:?} is not a broker's host:port")),
    }
}

/// `tocsin` and 17 hex digits: within the 23 characters every broker accepts.
fn client_id(broker: &str, prefix: &str, message: &Message) -> String {
    let digest = Sha256::new()
        .chain_update(message.idempotency_key.as_bytes())
        .chain_update([0])
        .chain_update(broker.as_bytes())
        .chain_update([0])
        .chain_update(prefix.as_bytes())
        .finalize();
    format!("tocsin{}", &hex::encode(digest)[..17])
}

fn connect_packet(client_id: &str) -> Vec<u8> {
    let mut body = string(b"MQTT");
    body.push(4); // protocol level 3.1.1
    body.push(0x02); // clean session, no will, no credentials
    body.extend(KEEP_ALIVE_SECONDS.to_be_bytes());
    body.extend(string(client_id.as_bytes()));
    packet(CONNECT, &body).unwrap_or_default()
}

fn publish_packet(topic: &str, id: u16, payload: &[u8]) -> Result<Vec<u8>, String> {
    if topic.len() > usize::from(u16::MAX) {
        return Err(format!("topic {topic:?} is longer than 65535 bytes"));
    }
    let mut body = string(topic.as_bytes());
    body.extend(id.to_be_bytes());
    body.extend_from_slice(payload);
    packet(PUBLISH_QOS1, &body)
}

/// A length-prefixed MQTT string (the caller keeps it under 64 KiB).
fn string(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A packet: its first byte, the remaining length (variable-length, 7 bits a byte), the body.
fn packet(first: u8, body: &[u8]) -> Result<Vec<u8>, String> {
    if body.len() > MAX_REMAINING {
        return Err(format!(
            "a packet of {} bytes is too large for MQTT",
            body.len()
        ));
    }
    let mut out = vec![first];
    let mut length = body.len();
    loop {
        let digit = (length % 128) as u8;
        length /= 128;
        out.push(if length > 0 { digit | 0x80 } else { digit });
        if length == 0 {
            break;
        }
    }
    out.extend_from_slice(body);
    Ok(out)
}

/// One packet from the broker: its first byte and its body (at most 64 KiB are accepted: the
/// broker only sends acknowledgements here).
fn read_packet(stream: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut byte = [0u8; 1];
    stream.read_exact(&mut byte)?;
    let first = byte[0];
    let mut length = 0usize;
    for shift in [0, 7, 14, 21] {
        stream.read_exact(&mut byte)?;
        length |= usize::from(byte[0] & 0x7f) << shift;
        if byte[0] & 0x80 == 0 {
            break;
        }
    }
    if length > 65_536 {
        return Err(std::io::Error::other(format!(
            "the broker sent an unexpected packet of {length} bytes"
        )));
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body)?;
    Ok((first, body))
}

/// A refusal from the broker, before the broker's name is put in front of it.
struct Refusal {
    retryable: bool,
    reason: String,
}

impl Refusal {
    fn within(self, what: &str) -> DeliveryError {
        DeliveryError {
            retryable: self.retryable,
            reason: format!("{what}: {}", self.reason),
        }
    }
}

fn check_connack((first, body): &(u8, Vec<u8>)) -> Result<(), Refusal> {
    let code = match (first, body.as_slice()) {
        (&CONNACK, [_, code]) => *code,
        _ => return Err(unexpected("CONNACK", *first)),
    };
    let reason = match code {
        0 => return Ok(()),
        1 => "unacceptable protocol version",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorised",
        _ => "unknown return code",
    };
    Err(Refusal {
        retryable: code == 3,
        reason: format!("connection refused ({code}: {reason})"),
    })
}

fn check_puback((first, body): &(u8, Vec<u8>), id: u16) -> Result<(), Refusal> {
    match (first, body.as_slice()) {
        (&PUBACK, [high, low]) if u16::from_be_bytes([*high, *low]) == id => Ok(()),
        (&PUBACK, _) => Err(Refusal {
            retryable: true,
            reason: format!("PUBACK for another packet than {id}"),
        }),
        _ => Err(unexpected("PUBACK", *first)),
    }
}

fn unexpected(wanted: &str, first: u8) -> Refusal {
    Refusal {
        retryable: false,
        reason: format!(
            "expected {wanted}, got packet type {} (is it an MQTT broker?)",
            first >> 4
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(communes: &[&str]) -> Message {
        Message {
            idempotency_key: "n1".into(),
            language: "vi".into(),
            subject: String::new(),
            text: String::new(),
            cap_xml: String::new(),
            json: "{}".into(),
            province: "01".into(),
            communes: communes.iter().map(|c| c.to_string()).collect(),
            hazard: "flood".into(),
            ack_url: None,
            attempted_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn topics_per_province_and_commune() {
        assert_eq!(
            topics("tocsin/vn/", &message(&["00004", "00008"])).unwrap(),
            [
                "tocsin/vn/01/flood",
                "tocsin/vn/01/00004/flood",
                "tocsin/vn/01/00008/flood"
            ]
        );
        assert!(topics("tocsin/#", &message(&[])).is_err());
        assert!(topics("tocsin", &message(&["a/b"])).is_err());
        assert!(topics("", &message(&[])).is_err());
    }

    #[test]
    fn packets_match_the_specification() {
        assert_eq!(
            connect_packet("c"),
            [
                0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 1, b'c'
            ]
        );
        assert_eq!(
            publish_packet("a/b", 7, b"hi").unwrap(),
            [0x32, 9, 0, 3, b'a', b'/', b'b', 0, 7, b'h', b'i']
        );
        let long = packet(0x30, &[0; 321]).unwrap();
        assert_eq!(&long[..3], [0x30, 0xC1, 0x02]);
    }

    #[test]
    fn acknowledgements_are_read_and_checked() {
        let mut bytes: &[u8] = &[0x20, 2, 0, 0, 0x40, 2, 0, 7, 0x20, 2, 0, 5];
        assert!(check_connack(&read_packet(&mut bytes).unwrap()).is_ok());
        assert!(check_puback(&read_packet(&mut bytes).unwrap(), 7).is_ok());
        let refused = check_connack(&read_packet(&mut bytes).unwrap()).unwrap_err();
        assert!(!refused.retryable && refused.reason.contains("not authorised"));
        let mut http: &[u8] = b"HTTP/1.1 400 Bad Request\r\n";
        let packet = read_packet(&mut http).unwrap_or((b'H', Vec::new()));
        assert!(!check_connack(&packet).unwrap_err().retryable);
    }

    #[test]
    fn client_ids_fit_every_broker() {
        let id = client_id("127.0.0.1:1883", "tocsin", &message(&[]));
        assert_eq!(id.len(), 23);
        assert_ne!(id, client_id("127.0.0.1:1883", "other", &message(&[])));
    }
}
