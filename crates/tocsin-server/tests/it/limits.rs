//! The node's limits against hostile clients: a document built to be slow to read is answered
//! at once, heavy verifications do not stop other answers, half-sent requests and idle or
//! stalled connections are closed after their timeouts, bodies stay within their limits (gzip
//! bodies included), and every answer carries the security headers.
//!
//! The time bounds are the generous ones the node promises (an answer within 1 or 2 seconds);
//! measured figures are in BENCHMARKS.md.

use crate::fixture;
use axum::http::StatusCode;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tocsin_server::{AppState, Limits, router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A state over the shared fixture's engine with `limits`.
fn state_with(limits: Limits) -> Arc<AppState> {
    Arc::new(AppState {
        engine: fixture().state.engine.clone(),
        metrics: Default::default(),
        limits,
        catalog_dir: None,
        exercises: None,
    })
}

/// Serves the fixture's engine within `limits` on a local port.
async fn serve_with(limits: Limits) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = router(state_with(limits.clone()));
    tokio::spawn(async move {
        tocsin_server::serve(listener, app, &limits, std::future::pending()).await;
    });
    address
}

/// Sends a whole request on a new connection and returns the answer's status line and body.
async fn exchange(address: SocketAddr, request: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

async fn health(address: SocketAddr) -> String {
    let request = b"GET /healthz HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n";
    exchange(address, request).await.0
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: t\r\nconnection: close\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    [head.as_bytes(), body].concat()
}

/// Whether the server closes `stream` within `wait` (end of stream or a reset).
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(wait, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

fn attributes(n: usize) -> Vec<u8> {
    let attributes: String = (0..n).map(|i| format!(" a{i}='1'")).collect();
    format!("<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'{attributes}/>").into_bytes()
}

#[tokio::test]
async fn a_document_of_200000_attributes_is_answered_at_once() {
    let document = attributes(200_000);
    // With the default limits the public body limit answers; with a large one the reader's
    // bound on attributes does.
    let generous = Limits {
        max_public_body_bytes: 64 << 20,
        ..Limits::default()
    };
    for (limits, status, message) in [
        (
            Limits::default(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the 1048576 bytes this endpoint accepts",
        ),
        (
            generous,
            StatusCode::BAD_REQUEST,
            "the alert cannot be read: element <alert> has more than 64 attributes",
        ),
    ] {
        let state = state_with(limits);
        let started = Instant::now();
        let (got, _, body) = answer_from(
            &state,
            "POST",
            "/api/v1/verify",
            &[("content-type", "application/xml")],
            document.clone(),
        )
        .await;
        let elapsed = started.elapsed();
        assert_eq!(got, status, "{body}");
        assert!(body.contains(message), "{body}");
        assert!(elapsed < Duration::from_secs(2), "answered in {elapsed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_answer_while_heavy_verifications_run() {
    let address = serve_with(Limits {
        verify_workers: 1,
        verify_queue: 64,
        ..Limits::default()
    })
    .await;
    // Nearly a megabyte of elements for the signature reader, 40 times at once.
    let notes: String = (0..30_000)
        .map(|i| format!("<note>{i:020}</note>"))
        .collect();
    let document = format!("<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'>{notes}</alert>");
    let request = post("/api/v1/verify", document.as_bytes());
    let verifications: Vec<_> = (0..40)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move { exchange(address, &request).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(health(address).await, "HTTP/1.1 200 OK");
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(1),
            "/healthz took {elapsed:?}"
        );
    }
    for verification in verifications {
        let (status, body) = verification.await.unwrap();
        assert!(
            status == "HTTP/1.1 200 OK" || status.starts_with("HTTP/1.1 503"),
            "{status} {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_neither_stop_the_node_nor_stay_open() {
    let header_timeout = Duration::from_secs(2);
    let address = serve_with(Limits {
        header_timeout,
        ..Limits::default()
    })
    .await;
    let mut half_sent = Vec::new();
    for _ in 0..1000 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\nx-slow: ")
            .await
            .unwrap();
        half_sent.push(stream);
    }
    // A kept-alive connection that asked once and then says nothing.
    let mut idle = TcpStream::connect(address).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 17];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200 OK\r\n");

    let started = Instant::now();
    assert_eq!(health(address).await, "HTTP/1.1 200 OK");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(1),
        "/healthz took {elapsed:?}"
    );

    let wait = header_timeout + Duration::from_secs(3);
    let mut open = 0;
    for stream in &mut half_sent {
        open += usize::from(!closed_within(stream, wait).await);
    }
    assert_eq!(open, 0, "half-sent connections still open after {wait:?}");
    assert!(
        closed_within(&mut idle, wait).await,
        "an idle connection stays open"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_node_waits_for_a_free_connection() {
    let header_timeout = Duration::from_secs(1);
    let address = serve_with(Limits {
        header_timeout,
        max_connections: 10,
        ..Limits::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..10 {
        let stream = TcpStream::connect(address).await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    assert_eq!(health(address).await, "HTTP/1.1 200 OK");
    // The eleventh connection is served only once a held one is closed by its header timeout.
    assert!(
        started.elapsed() >= header_timeout / 2,
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_cut_but_the_event_stream_is_not() {
    let address = serve_with(Limits {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let mut stalled = TcpStream::connect(address).await.unwrap();
    stalled
        .write_all(b"POST /api/v1/verify HTTP/1.1\r\nhost: t\r\ncontent-length: 100\r\n\r\n<alert")
        .await
        .unwrap();
    assert!(closed_within(&mut stalled, Duration::from_secs(5)).await);

    let token = &fixture().admin;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request =
        format!("GET /api/v1/stream HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {token}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 17];
    stream.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200 OK\r\n");
    assert!(
        !closed_within(&mut stream, Duration::from_secs(3)).await,
        "the event stream was cut"
    );
}

#[tokio::test]
async fn shutdown_lets_the_server_finish() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = Limits::default();
    let app = router(state_with(limits.clone()));
    let server = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        tocsin_server::serve(listener, app, &limits, shutdown).await;
    });
    assert_eq!(health(address).await, "HTTP/1.1 200 OK");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap();
    assert!(TcpStream::connect(address).await.is_err());
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// The router's answer to one request: status, headers and body as text. The body goes with its
/// `content-length`, as clients send it.
async fn answer(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    answer_from(&fixture().state, method, path, headers, body).await
}

/// As [`answer`], from the router over `state`.
async fn answer_from(
    state: &Arc<AppState>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-length", body.len());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(axum::body::Body::from(body)).unwrap();
    let answer = tower::ServiceExt::oneshot(router(state.clone()), request)
        .await
        .unwrap();
    let (parts, body) = answer.into_parts();
    let bytes = http_body_util::BodyExt::collect(body)
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (parts.status, parts.headers, text)
}

/// Sends an encoded NDJSON body with the admin token.
async fn ingest(encoding: &str, body: Vec<u8>) -> (StatusCode, String) {
    let bearer = format!("Bearer {}", fixture().admin);
    let headers = [
        ("content-type", "application/x-ndjson"),
        ("content-encoding", encoding),
        ("authorization", bearer.as_str()),
    ];
    let (status, _, text) = answer("POST", "/api/v1/observations", &headers, body).await;
    (status, text)
}

/// Versions stored for the Hà Nội gauge at `time`.
fn stored_at(time: &str) -> usize {
    let time_ms = time.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let admin = tocsin_engine::access::Principal::local_admin();
    let engine = &fixture().state.engine;
    engine
        .versions(&admin, "SYN-HN-1", "rain_mm", time_ms)
        .unwrap()
        .len()
}

#[tokio::test]
async fn gzip_bodies_are_decoded_within_the_limits_and_other_encodings_refused() {
    let record = |time: &str| {
        format!(
            r#"{{"station":"SYN-HN-1","metric":"rain_mm","time":"{time}","value":2.5,"unit":"mm"}}"#
        )
    };
    let (status, body) = ingest("gzip", gzip(record("2024-09-12T13:00:00+07:00").as_bytes())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stored_at("2024-09-12T06:00:00Z"), 1);

    // A megabyte of records and then white space: 64 MiB that compress to some 70 kB.
    let mut bomb = record("2024-09-13T13:00:00+07:00").into_bytes();
    bomb.resize(64 << 20, b' ');
    let (status, body) = ingest("gzip", gzip(&bomb)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("expands beyond"), "{body}");
    assert_eq!(stored_at("2024-09-13T06:00:00Z"), 0);

    let (status, body) = ingest("gzip", b"not gzip at all".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("the gzip body cannot be decoded"), "{body}");

    for encoding in ["br", "deflate", "compress"] {
        let (status, body) = ingest(encoding, record("2024-09-14T13:00:00+07:00").into()).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
        assert!(body.starts_with("{\"error\":\"Content-Encoding"), "{body}");
    }
    assert_eq!(stored_at("2024-09-14T06:00:00Z"), 0);
}

#[tokio::test]
async fn public_endpoints_take_small_bodies() {
    let two_megabytes = vec![b' '; 2 << 20];
    let bearer = format!("Bearer {}", fixture().admin);
    let with_token = [("authorization", bearer.as_str())];
    // Without a token, and with one: the public endpoints' limit is their own.
    for headers in [&[][..], &with_token[..]] {
        for path in [
            "/api/v1/verify",
            "/api/v1/session",
            "/ack/some-token",
            "/login",
        ] {
            let (status, _, body) = answer("POST", path, headers, two_megabytes.clone()).await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
            assert!(
                body.contains("the 1048576 bytes this endpoint"),
                "{path}: {body}"
            );
        }
    }
    // An authenticated endpoint takes the node's limit.
    let ndjson = [with_token[0], ("content-type", "application/x-ndjson")];
    let (status, _, body) = answer("POST", "/api/v1/observations", &ndjson, two_megabytes).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// A request: method, path and headers.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// Representative answers of every kind: public, authenticated, errors, pages, assets.
#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let bearer = format!("Bearer {}", fixture().admin);
    let admin = [("authorization", bearer.as_str())];
    let cases: &[Case] = &[
        ("GET", "/healthz", &[]),
        ("GET", "/readyz", &[]),
        ("GET", "/api/v1/regions/01", &admin),
        ("GET", "/api/v1/regions/01", &[]),
        ("GET", "/api/v1/warnings", &admin),
        ("GET", "/api/v1/notifications", &admin),
        ("GET", "/api/v1/recipients", &admin),
        ("GET", "/alerts/no.such.alert", &[]),
        ("GET", "/feeds/alerts.atom", &[]),
        ("GET", "/verify", &[]),
        ("GET", "/verify.js", &[]),
        ("POST", "/api/v1/verify", &[]),
        ("GET", "/ack/some-token", &[]),
        ("POST", "/ack/some-token", &[]),
        ("GET", "/login", &[]),
        ("GET", "/", &[]),
        ("GET", "/no/such/endpoint", &[]),
        ("DELETE", "/healthz", &[]),
        ("GET", "/assets/dashboard.css", &[]),
    ];
    for (method, path, headers) in cases {
        let (status, answer, _) = answer(method, path, headers, b"<alert/>".to_vec()).await;
        let header = |name: &str| {
            let value = answer.get(name).and_then(|v| v.to_str().ok());
            value.unwrap_or_default().to_string()
        };
        let what = format!("{method} {path} ({status})");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        let policy = header("content-security-policy");
        let asset = path.starts_with("/assets/");
        if !asset {
            assert!(
                policy.contains("frame-ancestors 'none'"),
                "{what}: {policy}"
            );
            assert_eq!(header("x-frame-options"), "DENY", "{what}");
            assert_eq!(header("cache-control"), "no-store", "{what}");
            assert!(!header("referrer-policy").is_empty(), "{what}");
        } else {
            assert!(
                header("cache-control").starts_with("public, max-age="),
                "{what}"
            );
        }
    }
}
