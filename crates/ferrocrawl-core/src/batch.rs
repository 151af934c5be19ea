//! The batch engine: many requests, a bounded number at once, each on its own tokio task (so
//! a batch uses every worker thread), yielded as they complete with their index. The
//! binding's `get_many`/`iter_many` and the crawler stand on it.
//!
//! The streams must be polled inside a tokio runtime: tasks are started with `tokio::spawn`
//! on the runtime that polls them (never through a global handle, which a forked child could
//! find locked).

use std::future::Future;

use futures_util::stream::{self, Stream, StreamExt};
use tokio::task::{AbortHandle, JoinError};

use crate::error::{Error, Result};
use crate::request::RequestSpec;
use crate::response::Response;
use crate::Client;

/// Every spec fetched with [`Client::fetch`], at most `concurrency` at once (at least 1),
/// yielded as `(index in specs, result)` in completion order. Dropping the stream aborts the
/// fetches still running, which closes their connections.
pub fn fetch_all<I>(
    client: Client,
    specs: I,
    concurrency: usize,
) -> impl Stream<Item = (usize, Result<Response>)> + Send + 'static
where
    I: IntoIterator<Item = RequestSpec>,
    I::IntoIter: Send + 'static,
{
    spawn_all(specs, concurrency, move |spec| {
        let client = client.clone();
        async move { client.fetch(&spec).await }
    })
}

/// `work(item)` for every item, each on its own tokio task, at most `concurrency` at once
/// (at least 1); results in completion order with the item's index. Dropping the stream
/// aborts the tasks still running; a task that panics yields [`Error::Internal`] in its
/// slot instead of tearing down the batch.
pub fn spawn_all<I, F, Fut, T>(
    items: I,
    concurrency: usize,
    work: F,
) -> impl Stream<Item = (usize, Result<T>)> + Send + 'static
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + 'static,
    Fut: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    stream::iter(items.into_iter().enumerate())
        .map(move |(i, item)| {
            // Called only when a slot is free, so at most `concurrency` tasks exist.
            let task = tokio::spawn(work(item));
            let guard = AbortOnDrop(task.abort_handle());
            async move {
                let out = task.await.unwrap_or_else(|e| Err(join_error(e)));
                drop(guard);
                (i, out)
            }
        })
        .buffer_unordered(concurrency.max(1))
}

fn join_error(e: JoinError) -> Error {
    let reason = match e.try_into_panic() {
        Ok(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            format!("a fetch panicked: {msg} (please report this bug)")
        }
        Err(_) => "the task was cancelled (the runtime is shutting down)".to_owned(),
    };
    Error::Internal { reason }
}

struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::config::ClientConfig;
    use crate::test_server::{Reply, TestServer};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_spec_once_with_its_index_and_never_above_concurrency() {
        let server =
            TestServer::start(|req| Reply::ok(req.path.clone()).delay(Duration::from_millis(20))).await;
        let client = Client::new(ClientConfig::default()).unwrap();
        let specs: Vec<RequestSpec> =
            (0..40).map(|i| RequestSpec::get(server.url(&format!("/{i}")))).collect();
        let mut seen: Vec<usize> = fetch_all(client, specs, 4)
            .map(|(i, r)| {
                assert_eq!(r.unwrap().body, format!("/{i}").into_bytes());
                i
            })
            .collect()
            .await;
        seen.sort_unstable();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
        assert!(server.max_in_flight() <= 4, "{} at once", server.max_in_flight());
    }

    #[tokio::test]
    async fn a_panic_is_an_internal_error_in_its_slot_only() {
        let mut out: Vec<(usize, Result<u32>)> = spawn_all(0..3u32, 3, |n| async move {
            assert!(n != 1, "task {n} blew up");
            Ok(n)
        })
        .collect()
        .await;
        out.sort_by_key(|(i, _)| *i);
        assert!(matches!(out[0].1, Ok(0)));
        match &out[1].1 {
            Err(e @ Error::Internal { reason }) => {
                assert!(reason.contains("task 1 blew up"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(out[2].1, Ok(2)));
    }

    #[tokio::test]
    async fn dropping_the_stream_aborts_running_work() {
        let finished = Arc::new(AtomicUsize::new(0));
        let done = finished.clone();
        let mut stream = Box::pin(spawn_all(0..10u64, 5, move |n| {
            let done = done.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(if n == 0 { 0 } else { 300 })).await;
                done.fetch_add(1, Ordering::SeqCst);
                Ok(n)
            }
        }));
        assert_eq!(stream.next().await.map(|(i, _)| i), Some(0));
        drop(stream);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 1, "work kept running after the drop");
    }
}
