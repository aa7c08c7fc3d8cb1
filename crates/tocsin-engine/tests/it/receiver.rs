//! A webhook receiver on the loopback for tests: answers given failures first, then 200;
//! checks the HMAC signature with [`SECRET`] and remembers each idempotency key it accepted.

use ring::hmac;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// The webhook secret of the tests.
pub const SECRET: &str = "bí mật chung";

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The status answered.
    pub status: u16,
}

/// A webhook receiver: answers `failures` (in order) to the first requests, then 200; accepts
/// each idempotency key once, as an alert would be shown once.
#[derive(Default)]
pub struct Receiver {
    failures: Vec<(u16, &'static str)>,
    pub requests: Vec<Received>,
    pub alerts: BTreeSet<String>,
    pub bad_signatures: usize,
}

impl Receiver {
    /// The idempotency keys answered 200 at `path`, in order.
    pub fn delivered(&self, path: &str) -> Vec<String> {
        let ok = self
            .requests
            .iter()
            .filter(|r| r.path == path && r.status == 200);
        ok.filter_map(|r| r.headers.get("idempotency-key").cloned())
            .collect()
    }
}

/// Starts a receiver on a free loopback port; returns its base URL and its state.
pub fn receiver(failures: &[(u16, &'static str)]) -> (String, Arc<Mutex<Receiver>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(Receiver {
        failures: failures.to_vec(),
        ..Receiver::default()
    }));
    let shared = state.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            serve(stream, &shared);
        }
    });
    (url, state)
}

fn serve(stream: TcpStream, state: &Mutex<Receiver>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let (status, text) = {
        let mut state = state.lock().unwrap();
        let answer = if state.failures.is_empty() {
            (200, "ok")
        } else {
            state.failures.remove(0)
        };
        if answer.0 == 200 {
            accept(&mut state, &request);
        }
        state.requests.push(Received {
            status: answer.0,
            ..request
        });
        answer
    };
    let mut stream = stream;
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
}

/// Checks the signature (when one is sent) and records the alert once per key.
fn accept(state: &mut Receiver, request: &Received) {
    if let Some(signature) = request.headers.get("x-tocsin-signature") {
        let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
        let hex = signature.strip_prefix("sha256=").unwrap_or_default();
        let tag = (0..hex.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect::<Vec<u8>>();
        if hmac::verify(&key, &request.body, &tag).is_err() {
            state.bad_signatures += 1;
            return;
        }
    }
    if let Some(key) = request.headers.get("idempotency-key") {
        state.alerts.insert(key.clone());
    }
}

fn read_request(reader: &mut impl BufRead) -> Option<Received> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body,
        status: 0,
    })
}
