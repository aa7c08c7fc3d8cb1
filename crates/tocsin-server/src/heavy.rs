//! A bounded queue for CPU-heavy work that anyone may ask for (verifying an alert's signature):
//! at most `workers` jobs run at once, on blocking threads, never on the async workers that
//! answer every other request; at most `queue` more wait. A request beyond that is answered at
//! once with 503 and `Retry-After`, so a flood costs neither the other answers nor memory.

use crate::error::ApiError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Seconds a client is told to wait when the queue is full.
const RETRY_AFTER_SECS: &str = "1";

/// The queue; cloned handles share it.
#[derive(Clone)]
pub(crate) struct HeavyQueue {
    /// Jobs running or waiting.
    admitted: Arc<Semaphore>,
    /// Jobs running.
    running: Arc<Semaphore>,
}

impl HeavyQueue {
    pub(crate) fn new(workers: usize, queue: usize) -> HeavyQueue {
        let workers = workers.max(1);
        HeavyQueue {
            admitted: Arc::new(Semaphore::new(workers + queue)),
            running: Arc::new(Semaphore::new(workers)),
        }
    }

    /// Runs `job` on a blocking thread when a worker is free; a 503 answer when the queue is full.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Response> {
        let Ok(ticket) = self.admitted.clone().try_acquire_owned() else {
            return Err(busy());
        };
        let worker = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy())?;
        // The permits go with the job: a client that leaves does not free its worker early.
        let held = move || {
            let _permits = (ticket, worker);
            job()
        };
        tokio::task::spawn_blocking(held).await.map_err(|e| {
            tracing::error!(error = %e, "a verification failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error; see the server log",
            )
            .into_response()
        })
    }
}

fn busy() -> Response {
    let mut answer = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "too many verifications are running or waiting; retry in a second",
    )
    .into_response();
    answer.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// On a runtime of one thread, a job that holds its thread for a while leaves the runtime
    /// free: the job runs off the async workers.
    #[tokio::test(flavor = "current_thread")]
    async fn jobs_run_off_the_async_workers() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let queue = HeavyQueue::new(1, 0);
        let finished = Arc::new(AtomicBool::new(false));
        let job = {
            let finished = finished.clone();
            queue.run(move || {
                std::thread::sleep(Duration::from_millis(500));
                finished.store(true, Ordering::SeqCst);
            })
        };
        let ticks = async {
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            finished.load(Ordering::SeqCst)
        };
        let (done, finished_before_the_ticks) = tokio::join!(job, ticks);
        assert!(done.is_ok());
        assert!(
            !finished_before_the_ticks,
            "the job held the runtime's thread"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_answers_503_with_retry_after() {
        let queue = HeavyQueue::new(1, 1);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let held = std::sync::Mutex::new(held);
        let running = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.run(move || held.lock().unwrap().recv()).await })
        };
        let waiting = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.run(|| ()).await })
        };
        // Both places are taken once the first job holds the worker and the second waits.
        while queue.admitted.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let refused = queue.run(|| ()).await.unwrap_err();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
        release.send(()).unwrap();
        assert!(running.await.unwrap().is_ok());
        assert!(waiting.await.unwrap().is_ok());
        assert!(queue.run(|| ()).await.is_ok(), "the queue is free again");
    }
}
