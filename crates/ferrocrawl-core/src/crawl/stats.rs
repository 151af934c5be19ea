//! Counters of a running crawl. Written by the engine and its fetch tasks, read at any time
//! from Python (`crawler.stats`) without stopping anything.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Hosts whose page counts are kept; later hosts are counted under `"(other)"`, so a broad
/// crawl's stats stay bounded.
pub const MAX_HOSTS_COUNTED: usize = 10_000;

#[derive(Debug)]
pub struct Stats {
    started: Instant,
    pub pages: AtomicU64,
    pub bytes: AtomicU64,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub redirects: AtomicU64,
    pub robots_denied: AtomicU64,
    /// Links and redirects left out by the policy (offsite, allow/deny, depth).
    pub filtered: AtomicU64,
    pub queued: AtomicU64,
    pub in_flight: AtomicU64,
    tables: Mutex<Tables>,
    /// The whole crawl's figures, from a shared frontier (empty otherwise).
    crawl: Mutex<Vec<(String, u64)>>,
}

#[derive(Debug, Default)]
struct Tables {
    errors: BTreeMap<String, u64>,
    statuses: BTreeMap<u16, u64>,
    hosts: HashMap<String, u64>,
}

/// A copy of the counters at one instant.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub elapsed: Duration,
    pub pages: u64,
    pub bytes: u64,
    pub requests: u64,
    pub retries: u64,
    pub redirects: u64,
    pub robots_denied: u64,
    pub filtered: u64,
    pub queued: u64,
    pub in_flight: u64,
    pub errors: Vec<(String, u64)>,
    pub statuses: Vec<(u16, u64)>,
    pub hosts: Vec<(String, u64)>,
    /// The whole crawl's figures when workers share it through Redis, else empty.
    pub crawl: Vec<(String, u64)>,
}

impl Snapshot {
    pub fn pages_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.pages as f64 / secs
        } else {
            0.0
        }
    }
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            pages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            redirects: AtomicU64::new(0),
            robots_denied: AtomicU64::new(0),
            filtered: AtomicU64::new(0),
            queued: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            tables: Mutex::new(Tables::default()),
            crawl: Mutex::new(Vec::new()),
        }
    }
}

impl Stats {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A page was produced: its host, status, size and error kind.
    pub fn record_page(&self, host: &str, status: Option<u16>, bytes: usize, error: Option<&str>) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        let mut t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(status) = status {
            *t.statuses.entry(status).or_default() += 1;
        }
        if let Some(kind) = error {
            *t.errors.entry(kind.to_owned()).or_default() += 1;
        }
        let known = t.hosts.len() < MAX_HOSTS_COUNTED || t.hosts.contains_key(host);
        *t.hosts.entry(if known { host.to_owned() } else { "(other)".to_owned() }).or_default() += 1;
    }

    pub fn set_crawl_wide(&self, figures: Vec<(String, u64)>) {
        *self.crawl.lock().unwrap_or_else(PoisonError::into_inner) = figures;
    }

    pub fn snapshot(&self) -> Snapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let t = self.tables.lock().unwrap_or_else(PoisonError::into_inner);
        Snapshot {
            elapsed: self.started.elapsed(),
            pages: load(&self.pages),
            bytes: load(&self.bytes),
            requests: load(&self.requests),
            retries: load(&self.retries),
            redirects: load(&self.redirects),
            robots_denied: load(&self.robots_denied),
            filtered: load(&self.filtered),
            queued: load(&self.queued),
            in_flight: load(&self.in_flight),
            errors: t.errors.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            statuses: t.statuses.iter().map(|(k, v)| (*k, *v)).collect(),
            hosts: t.hosts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            crawl: self.crawl.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        }
    }
}
