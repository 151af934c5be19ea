//! The frontier's interface: what a queued request and a lease are, and the operations every
//! store (memory, SQLite, Redis) offers the engine. The stores live in `crawl::store`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use super::stats::Stats;
use crate::Result;

pub use super::store::{MemoryFrontier, RedisFrontier, SqliteFrontier};

/// 64-bit fingerprint of a canonical URL (computed by the caller, see `crawl::canon`).
pub type Fingerprint = u64;

/// One URL to fetch and how the crawl got there.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Canonical.
    pub url: Url,
    /// Start URLs are 0.
    pub depth: u32,
    pub referer: Option<String>,
    /// A redirect hop: the URL queued first (page.request_url).
    pub first_url: Option<String>,
    /// Hops so far.
    pub redirects: u32,
    /// 0 = first try.
    pub attempt: u32,
}

impl Request {
    /// A request found outside a redirect chain, on its first attempt.
    pub fn new(url: Url, depth: u32) -> Request {
        Request { url, depth, referer: None, first_url: None, redirects: 0, attempt: 0 }
    }
}

/// A request handed to the engine. `id` names it in `finish`, `requeue` and `ack`.
#[derive(Debug, Clone)]
pub struct Lease {
    pub id: u64,
    pub req: Request,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FrontierCounts {
    /// Waiting to be popped (including requeued ones not yet due).
    pub queued: usize,
    /// Popped and neither finished, requeued nor acked.
    pub in_flight: usize,
    /// Finished but not acked yet (re-leased after a crash).
    pub unacked: usize,
    /// Distinct fingerprints ever pushed (including done ones).
    pub seen: usize,
    /// Acked.
    pub done: u64,
}

/// Per-host politeness of a crawl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Politeness {
    /// Most requests in flight on one host. 0 is rejected by the crawl's option checks; the
    /// stores treat it as 1 so a frontier can never stall.
    pub per_host: usize,
    /// Least time between two request starts on one host.
    pub delay: Duration,
}

/// One crawl's queue, seen-set and per-host politeness. The engine owns it (one task, &mut
/// self, no lock). Methods are async for the Redis store's round trips.
pub trait Frontier: Send + 'static {
    /// Queues each request whose fingerprint was never seen; returns how many were new (0
    /// from a store that sends pushes in batches and learns that later).
    fn push(&mut self, reqs: Vec<(Fingerprint, Request)>) -> impl Future<Output = Result<usize>> + Send;
    /// Up to `max` leases whose host is ready at `now`: fewer than per_host in flight on the
    /// host, `delay` (or the host's own delay) passed since the host's last start, host not
    /// backed off. Marks them in flight and records the start time. FIFO within a host;
    /// hosts in ready-time order (a heap of hosts, not a scan).
    fn pop(&mut self, now: Instant, max: usize) -> impl Future<Output = Result<Vec<Lease>>> + Send;
    /// When pop could next return something, if anything is queued and not blocked only by
    /// per_host in-flight slots (then a `finish` wakes the engine instead). May be early (a
    /// host backed off after it was scheduled): pop then returns nothing and the next answer
    /// is exact. A time in the past means "now".
    fn next_ready(&self) -> Option<Instant>;
    /// The fetch of `lease` ended and produced a page (or nothing to deliver): its host slot
    /// is free; the lease stays unacked (re-leased after a crash) until `ack`.
    fn finish(&mut self, lease: &Lease) -> impl Future<Output = Result<()>> + Send;
    /// The fetch of `lease` must run again not before `at` (retry, robots unavailable):
    /// frees the host slot, same fingerprint, not deduplicated away. `lease.req.attempt` is
    /// stored as given (the engine increments it).
    fn requeue(&mut self, lease: Lease, at: Instant) -> impl Future<Output = Result<()>> + Send;
    /// The consumer has these pages: they are never handed out again, even after a restart.
    /// Everything pushed before this call is durable once it returns Ok (order matters:
    /// a page's links are pushed before the page is acked). Also frees the host slot of a
    /// lease that was not finished. Unknown ids are ignored.
    fn ack(&mut self, lease_ids: &[u64]) -> impl Future<Output = Result<()>> + Send;
    /// `ack`, with the lengths of file sinks in the same commit (`(key, length)`): a resumed
    /// crawl cuts each file back to its mark, so the file holds the items of exactly the
    /// acknowledged pages. Stores without a durable state ignore the marks.
    fn ack_marked(
        &mut self,
        lease_ids: &[u64],
        marks: &[(String, u64)],
    ) -> impl Future<Output = Result<()>> + Send {
        let _ = marks;
        self.ack(lease_ids)
    }
    /// The mark kept under `key` by an earlier run (see `ack_marked`).
    fn mark(&self, _key: &str) -> Option<u64> {
        None
    }
    /// robots Crawl-delay (max with the crawl's delay). Applies to a host the frontier knows
    /// (queued or in-flight work, or a start within its delay), so call it when robots is
    /// known for a lease's host: idle hosts are forgotten once their delay has passed.
    fn set_host_delay(&mut self, host: &str, delay: Duration);
    /// 429/503 Retry-After: no start on `host` before `until` (the latest `until` wins).
    fn back_off(&mut self, host: &str, until: Instant);
    /// A shared store counts the whole crawl: queued, seen and done over all workers, and
    /// every lease out anywhere as unacked, so each worker's crawl ends with the crawl's.
    fn counts(&self) -> FrontierCounts;
    /// Make everything durable (called on stop and at the end, once the consumer has seen the
    /// end: a shared store gives back the leases still held, as they were never delivered).
    fn flush(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Sends what a shared store buffers (pushes, finished fetches) without waiting for the
    /// next pop: the engine calls it when it will not pop soon, so the host slots of finished
    /// fetches are free for other workers while this one waits for its consumer.
    fn sync(&mut self) -> impl Future<Output = Result<()>> + Send {
        std::future::ready(Ok(()))
    }
    /// The crawl's counters, for a shared store to add to the crawl-wide ones.
    fn attach_stats(&mut self, _stats: Arc<Stats>) {}
}
