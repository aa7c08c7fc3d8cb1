//! The exercise inbox: the endpoint that stands in for the drill participants' own systems. It
//! is a plain HTTP server on the loopback interface; each participant's webhook points at
//! `/participants/{id}`, so drill notices leave the node through the real webhook channel —
//! outbox, attempts, retries and all — and never reach an outside or public endpoint.
//!
//! The inbox answers 200 and keeps what arrived, or 503 for participants whose channel is down
//! (a `channel_down` fault), which the dispatcher records as a failed attempt and retries.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A notice as a participant received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub participant: String,
    pub notification: u64,
    /// The secret of the acknowledgement link, when the notice asks for one.
    pub ack_token: Option<String>,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    /// Participants whose channel is down.
    down: Mutex<BTreeSet<String>>,
    stop: AtomicBool,
}

/// The running inbox; it stops when dropped.
pub struct Inbox {
    address: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Inbox {
    /// Listens on a free loopback port.
    pub fn start() -> std::io::Result<Inbox> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("tocsin-drill-inbox".into())
            .spawn(move || serve(listener, &serving))?;
        Ok(Inbox {
            address,
            shared,
            thread: Some(thread),
        })
    }

    /// The webhook URL of a participant.
    pub fn url(&self, participant: &str) -> String {
        format!("http://{}/participants/{participant}", self.address)
    }

    /// Puts the channels of `participants` down, and every other back up.
    pub fn cut_off(&self, participants: BTreeSet<String>) {
        *lock(&self.shared.down) = participants;
    }

    /// What arrived since the last call, in order.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *lock(&self.shared.received))
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn serve(listener: TcpListener, shared: &Shared) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(stream) = stream
            && let Err(e) = answer(stream, shared)
        {
            tracing::warn!(error = %e, "the drill inbox could not read a request");
        }
    }
}

/// Reads one request and answers it: 200 and kept, 503 when the participant's channel is down,
/// 404 for any other path, 400 for a body that is not a notice.
fn answer(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let participant = request_line
        .split_whitespace()
        .nth(1)
        .and_then(|path| path.strip_prefix("/participants/"))
        .map(str::to_string);
    let status = match participant {
        None => "404 Not Found",
        Some(p) if lock(&shared.down).contains(&p) => "503 Service Unavailable",
        Some(participant) => match notice(participant, &body) {
            Some(received) => {
                lock(&shared.received).push(received);
                "200 OK"
            }
            None => "400 Bad Request",
        },
    };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
}

/// The notice of a webhook's JSON body: its notification and the token of its link.
fn notice(participant: String, body: &[u8]) -> Option<Received> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let notification = json.get("notification")?.as_u64()?;
    let ack_token = json
        .get("ack_url")
        .and_then(|u| u.as_str())
        .and_then(|u| u.rsplit_once("/ack/"))
        .map(|(_, token)| token.to_string());
    Some(Received {
        participant,
        notification,
        ack_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, body: &str) -> u16 {
        let response = ureq::post(url)
            .config()
            .http_status_as_error(false)
            .build()
            .send(body)
            .unwrap();
        response.status().as_u16()
    }

    #[test]
    fn keeps_notices_and_refuses_while_a_channel_is_down() {
        let inbox = Inbox::start().unwrap();
        let body = r#"{"notification": 7, "ack_url": "http://node/ack/abc123"}"#;
        assert_eq!(post(&inbox.url("lao-cai"), body), 200);
        inbox.cut_off(["lao-cai".to_string()].into());
        assert_eq!(post(&inbox.url("lao-cai"), body), 503);
        assert_eq!(post(&inbox.url("ha-noi"), body), 200);
        inbox.cut_off(BTreeSet::new());
        assert_eq!(post(&inbox.url("lao-cai"), "not json"), 400);
        let received = inbox.take();
        assert_eq!(
            received,
            [
                Received {
                    participant: "lao-cai".into(),
                    notification: 7,
                    ack_token: Some("abc123".into())
                },
                Received {
                    participant: "ha-noi".into(),
                    notification: 7,
                    ack_token: Some("abc123".into())
                },
            ]
        );
        assert!(inbox.take().is_empty());
    }
}
