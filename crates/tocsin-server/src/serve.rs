//! Serving the router on a listener within the node's limits: how long a client may take to send
//! a request's headers (which is also how long a kept-alive connection may stay idle) and each
//! piece of its body, how many connections are open at once, and how large bodies may be.
//!
//! HTTP/1.1 over hyper's connection builder with its header-read timer; the body timeout is
//! tower-http's; open connections hold a permit of a semaphore, so the listener stops accepting
//! while the node is full (new clients wait in the kernel's backlog) instead of running out of
//! file descriptors. Graceful shutdown stops accepting, lets each connection finish the answer
//! it is sending, and waits for them. `tocsin serve` and the tests serve through [`serve`].

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The limits the node serves within. Each is a key of the config file (`tocsin serve`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// The largest request body accepted, in bytes, after decoding a gzip body.
    pub max_body_bytes: usize,
    /// The largest body of a request without credentials and of the public endpoints
    /// (verification, sign-in, acknowledgement links), in bytes.
    pub max_public_body_bytes: usize,
    /// How long a client may take to send a request's headers, counted from the moment the
    /// connection waits for them: a new connection, or the end of the previous answer on a
    /// kept-alive one. It is also the idle timeout, on purpose: an idle kept-alive connection
    /// holds a connection slot, so it may stay no longer than a slow client's headers may take.
    pub header_timeout: Duration,
    /// How long a client may leave a request body without sending more of it.
    pub body_timeout: Duration,
    /// Connections open at once; beyond it the listener waits until one closes.
    pub max_connections: usize,
    /// Threads verifying alert signatures for `/api/v1/verify` at once.
    pub verify_workers: usize,
    /// Verifications waiting for a thread; beyond it the answer is 503 with `Retry-After`.
    pub verify_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Limits {
            max_body_bytes: 64 << 20,
            max_public_body_bytes: 1 << 20,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
            verify_workers: (cores / 2).max(1),
            verify_queue: 32,
        }
    }
}

/// File descriptors the process needs besides its connections: the store (database, journal
/// and temporary files), outgoing deliveries and feed polls, logs.
pub const RESERVED_FILES: u64 = 256;

/// Why `max_connections` cannot all be open under the process's open-file limit (the soft
/// `Max open files` line of `/proc/self/limits`, given as `proc_limits`); `None` when they can or
/// the limit is unknown or unlimited.
pub fn open_files_shortfall(max_connections: usize, proc_limits: &str) -> Option<String> {
    let line = proc_limits
        .lines()
        .find(|l| l.starts_with("Max open files"))?;
    let soft: u64 = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let needed = max_connections as u64 + RESERVED_FILES;
    (soft < needed).then(|| {
        format!(
            "max_connections is {max_connections} but the process may open only {soft} files \
             ({RESERVED_FILES} are kept for the store and outgoing connections): raise the limit \
             (ulimit -n {needed}, or LimitNOFILE= in the service unit) or lower max_connections \
             to {}; until then clients beyond it wait while the node retries accepting",
            soft.saturating_sub(RESERVED_FILES)
        )
    })
}

/// How long to wait before accepting again after the listener failed (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then waits for the open
/// connections to finish. Handlers can read the client's address with `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let body_timeout = RequestBodyTimeoutLayer::new(limits.body_timeout);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = accept(&listener, &slots) => accepted,
            () = &mut shutdown => break,
        };
        let (slot, stream, peer) = accepted;
        let app = app.clone();
        let service = tower::ServiceBuilder::new()
            .layer(body_timeout.clone())
            .service_fn(move |mut request: axum::http::Request<_>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(request)
            });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// The next connection, once a slot is free; a failing `accept` (out of file descriptors) is
/// logged and retried after a pause.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> (
    tokio::sync::OwnedSemaphorePermit,
    tokio::net::TcpStream,
    SocketAddr,
) {
    let slot = (slots.clone().acquire_owned().await).expect("the semaphore is never closed");
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                // Answers are small and written whole: send them at once.
                let _ = stream.set_nodelay(true);
                return (slot, stream, peer);
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: &str = "Limit                     Soft Limit           Hard Limit           Units     \n\
        Max processes             95460                95460                processes \n\
        Max open files            1024                 524288               files     \n";

    #[test]
    fn too_few_open_files_for_the_connection_cap_is_said_with_the_way_out() {
        let said = open_files_shortfall(4096, LIMITS).unwrap();
        assert!(said.contains("only 1024 files"), "{said}");
        assert!(said.contains("ulimit -n 4352"), "{said}");
        assert!(said.contains("lower max_connections to 768"), "{said}");
        assert_eq!(open_files_shortfall(512, LIMITS), None);
        let unlimited = LIMITS.replace(
            "1024                 524288",
            "unlimited            unlimited",
        );
        assert_eq!(open_files_shortfall(4096, &unlimited), None);
        assert_eq!(open_files_shortfall(4096, ""), None);
    }
}
