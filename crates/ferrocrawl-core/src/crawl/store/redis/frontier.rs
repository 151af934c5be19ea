//! The shared frontier: a crawl's queue, seen-set, leases and per-host politeness in Redis,
//! used by any number of workers at once.
//!
//! A worker keeps no state of its own but its leases. It sends what it did on a partition
//! (pushes, finished fetches, retries, politeness) along with its next pop, in one script
//! call, so a page costs about one round trip. Acks first send everything pending (a page's
//! links are queued before the page is acknowledged), then the acks. A background task
//! renews the worker's leases and adds its counters to the crawl's.
//!
//! The end: a worker's crawl is over once no partition has anything queued or leased. It
//! reads the partitions one after the other, so it confirms with a second read of all of
//! them: if none changed in between (the seen count only grows and every new piece of work
//! starts with a push), there was an instant when the whole crawl was idle.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use redis::{Script, Value};
use url::Url;
use xxhash_rust::xxh3::xxh3_64;

use super::conn::Conn;
use super::options::RedisOptions;
use super::seen::SeenSet;
use crate::crawl::canon::host_key;
use crate::crawl::frontier::{Fingerprint, Frontier, FrontierCounts, Lease, Politeness, Request};
use crate::crawl::stats::Stats;
use crate::{Error, Result};

/// Layout version written in a crawl's meta hash.
const LAYOUT: &str = "1";
/// How often an idle worker asks Redis for work other workers queued or freed.
const POLL: Duration = Duration::from_millis(100);
/// How often a worker adds its counters to the crawl's (at most).
const STATS_EVERY: Duration = Duration::from_secs(1);
/// A worker not heard of for this long is not counted among the live ones.
const WORKER_TTL: Duration = Duration::from_secs(5);
/// Robots delays remembered to avoid resending them on every page.
const DELAYS_SENT: usize = 10_000;
/// Field separator of an encoded request (a URL never holds a raw control character).
const SEP: char = '\x1f';

static STEP: OnceLock<Script> = OnceLock::new();
static META: OnceLock<Script> = OnceLock::new();
static STATS: OnceLock<Script> = OnceLock::new();

fn step_script() -> &'static Script {
    STEP.get_or_init(|| Script::new(include_str!("step.lua")))
}

/// What a worker did on a partition since its last call there.
#[derive(Default)]
struct Pending {
    /// (kind: "d" delay | "b" back off, host, ms)
    politeness: Vec<(&'static str, String, u64)>,
    /// Encoded request then its seen-set arguments, per push.
    push: Vec<Vec<u8>>,
    pushes: usize,
    finish: Vec<String>,
    /// (lease id, wait ms, encoded request)
    requeue: Vec<(String, u64, Vec<u8>)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.politeness.is_empty() && self.pushes == 0 && self.finish.is_empty() && self.requeue.is_empty()
    }
}

/// A partition as last seen by this worker.
#[derive(Default)]
struct Part {
    queued: u64,
    leased: u64,
    seen: u64,
    done: u64,
    next_ready: Option<Instant>,
    pending: Pending,
}

/// A lease this worker holds.
#[derive(Clone)]
struct Held {
    part: usize,
    id: String,
    host: String,
    fetching: bool,
}

/// What the frontier and its background task share.
struct Shared {
    conn: Conn,
    display: String,
    /// `fc:{name}:meta|stats|workers`
    crawl_key: String,
    /// `fc:{name:p}` per partition.
    parts: Vec<String>,
    per_host: usize,
    delay_ms: u64,
    lease_ms: u64,
    seen: SeenSet,
    worker: String,
    leases: Mutex<HashMap<u64, Held>>,
    /// (queued, leased, seen, done) per partition, for the crawl-wide stats.
    counts: Mutex<Vec<[u64; 4]>>,
    stats: OnceLock<Arc<Stats>>,
    /// Live workers of the crawl (this one included), from the last stats sync.
    workers: AtomicUsize,
    /// The counters already added to the crawl's.
    sent: Mutex<HashMap<String, u64>>,
}

/// One step script's sections beyond what `Pending` holds.
#[derive(Default)]
struct Extra<'a> {
    acks: &'a [String],
    renew: &'a [String],
    /// Host slots this worker holds on the partition (host, fetching leases).
    held: &'a [(String, usize)],
}

struct Reply {
    now_ms: i64,
    next_ms: i64,
    counts: [u64; 4],
    leases: Vec<(String, Vec<u8>)>,
}

impl Shared {
    async fn step(&self, part: usize, want: usize, pending: &Pending, extra: &Extra<'_>) -> Result<Reply> {
        let mut args: Vec<Vec<u8>> = Vec::with_capacity(16 + pending.push.len());
        let num = |n: u64| n.to_string().into_bytes();
        let per_host = self.per_host.max(1);
        // This worker's share of a host's slots: the others get room even while it is busy.
        let share = per_host.div_ceil(self.workers.load(Ordering::Relaxed).max(1));
        args.extend([
            num(per_host as u64),
            num(self.delay_ms),
            num(self.lease_ms),
            num(want as u64),
            num(self.seen.args_per_push() as u64),
            num(share as u64),
        ]);
        args.push(num(pending.politeness.len() as u64));
        for (kind, host, ms) in &pending.politeness {
            args.extend([kind.as_bytes().to_vec(), host.as_bytes().to_vec(), num(*ms)]);
        }
        args.push(num(pending.pushes as u64));
        args.extend(pending.push.iter().cloned());
        args.push(num(pending.finish.len() as u64));
        args.extend(pending.finish.iter().map(|id| id.as_bytes().to_vec()));
        args.push(num(pending.requeue.len() as u64));
        for (id, wait, req) in &pending.requeue {
            args.extend([id.as_bytes().to_vec(), num(*wait), req.clone()]);
        }
        for ids in [extra.acks, extra.renew] {
            args.push(num(ids.len() as u64));
            args.extend(ids.iter().map(|id| id.as_bytes().to_vec()));
        }
        args.push(num(extra.held.len() as u64));
        for (host, n) in extra.held {
            args.extend([host.as_bytes().to_vec(), num(*n as u64)]);
        }
        let key = self.parts[part].as_str();
        let values: Vec<Value> = self
            .conn
            .retry(&self.display, |mut conn| {
                let args = &args;
                async move { conn.eval(step_script(), &[key], args).await }
            })
            .await?;
        let reply = parse_reply(values).ok_or_else(|| Error::Internal {
            reason: format!("unexpected reply of the frontier script from {}", self.display),
        })?;
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)[part] = reply.counts;
        Ok(reply)
    }

    /// Renews every lease this worker holds.
    async fn renew(&self) -> Result<()> {
        let mut by_part: HashMap<usize, Vec<String>> = HashMap::new();
        for held in self.leases.lock().unwrap_or_else(PoisonError::into_inner).values() {
            by_part.entry(held.part).or_default().push(held.id.clone());
        }
        for (part, ids) in by_part {
            self.step(part, 0, &Pending::default(), &Extra { renew: &ids, ..Extra::default() }).await?;
        }
        Ok(())
    }

    /// Adds this worker's new counts to the crawl's, then publishes the crawl's figures.
    async fn sync_stats(&self) -> Result<()> {
        let Some(stats) = self.stats.get() else { return Ok(()) };
        let now = local_counters(stats);
        let ttl = millis(WORKER_TTL).to_string().into_bytes();
        let mut args = vec![self.worker.clone().into_bytes(), ttl];
        {
            let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
            for (field, value) in &now {
                let delta = value.saturating_sub(sent.get(field).copied().unwrap_or(0));
                if delta > 0 {
                    args.extend([field.clone().into_bytes(), delta.to_string().into_bytes()]);
                }
            }
        }
        let keys = [format!("{}:stats", self.crawl_key), format!("{}:workers", self.crawl_key)];
        let script = STATS.get_or_init(|| Script::new(include_str!("stats.lua")));
        let reply: Vec<(String, u64)> = self
            .conn
            .retry(&self.display, |mut conn| {
                let (args, keys) = (&args, &keys);
                async move { conn.eval(script, &[keys[0].as_str(), keys[1].as_str()], args).await }
            })
            .await?;
        *self.sent.lock().unwrap_or_else(PoisonError::into_inner) = now;
        let mut crawl: HashMap<String, u64> = reply.into_iter().collect();
        let workers = crawl.get("workers").copied().unwrap_or(1);
        self.workers.store(usize::try_from(workers).unwrap_or(1).max(1), Ordering::Relaxed);
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for (i, name) in ["queued", "leased", "seen", "done"].into_iter().enumerate() {
            crawl.insert(name.to_owned(), counts.iter().map(|c| c[i]).sum());
        }
        let mut crawl: Vec<(String, u64)> = crawl.into_iter().collect();
        crawl.sort();
        stats.set_crawl_wide(crawl);
        Ok(())
    }
}

/// This worker's counters under the names the crawl's stats hash uses.
fn local_counters(stats: &Stats) -> HashMap<String, u64> {
    let s = stats.snapshot();
    let mut out: HashMap<String, u64> = [
        ("pages", s.pages),
        ("bytes", s.bytes),
        ("requests", s.requests),
        ("retries", s.retries),
        ("redirects", s.redirects),
        ("robots_denied", s.robots_denied),
        ("filtered", s.filtered),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    out.extend(s.errors.into_iter().map(|(k, v)| (format!("error:{k}"), v)));
    out.extend(s.statuses.into_iter().map(|(k, v)| (format!("status:{k}"), v)));
    out
}

fn parse_reply(values: Vec<Value>) -> Option<Reply> {
    let int = |v: &Value| match v {
        Value::Int(n) => Some(*n),
        _ => None,
    };
    let count = |v: &Value| int(v).and_then(|n| u64::try_from(n).ok());
    if values.len() < 7 {
        return None;
    }
    let counts = [count(&values[2])?, count(&values[3])?, count(&values[4])?, count(&values[5])?];
    let mut leases = Vec::with_capacity((values.len() - 7) / 2);
    let mut rest = values[7..].iter();
    while let (Some(id), Some(Value::BulkString(req))) = (rest.next(), rest.next()) {
        leases.push((int(id)?.to_string(), req.clone()));
    }
    Some(Reply { now_ms: int(&values[0])?, next_ms: int(&values[1])?, counts, leases })
}

/// `host SEP url SEP depth SEP redirects SEP attempt SEP referer SEP first_url` (empty: none).
fn encode(host: &str, req: &Request) -> Vec<u8> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    format!(
        "{host}{SEP}{}{SEP}{}{SEP}{}{SEP}{}{SEP}{}{SEP}{}",
        req.url,
        req.depth,
        req.redirects,
        req.attempt,
        opt(&req.referer),
        opt(&req.first_url)
    )
    .into_bytes()
}

fn decode(bytes: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(bytes).ok()?;
    let f: Vec<&str> = text.split(SEP).collect();
    let [_host, url, depth, redirects, attempt, referer, first_url] = f.as_slice() else { return None };
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    Some(Request {
        url: Url::parse(url).ok()?,
        depth: depth.parse().ok()?,
        referer: opt(referer),
        first_url: opt(first_url),
        redirects: redirects.parse().ok()?,
        attempt: attempt.parse().ok()?,
    })
}

pub struct RedisFrontier {
    shared: Arc<Shared>,
    parts: Vec<Part>,
    next_id: u64,
    /// Confirmed: nothing queued or leased anywhere in the crawl.
    over: bool,
    last_poll: Instant,
    /// The partition the next pop starts at (round robin).
    cursor: usize,
    done_at_open: u64,
    delays_sent: HashMap<String, u64>,
    background: tokio::task::JoinHandle<()>,
}

impl Drop for RedisFrontier {
    fn drop(&mut self) {
        self.background.abort();
    }
}

impl RedisFrontier {
    /// Joins (or starts) crawl `name` at `url`. Must run inside the tokio runtime (it spawns
    /// the lease-renewing task).
    pub async fn open(url: &str, name: &str, p: Politeness) -> Result<RedisFrontier> {
        let opts = RedisOptions::parse(url)?;
        if name.is_empty() || name.contains(['{', '}']) {
            return Err(Error::InvalidArgument {
                what: "name",
                reason: format!("{name:?}: a crawl name is not empty and has no braces"),
            });
        }
        let conn = Conn::connect(&opts).await?;
        let crawl_key = format!("fc:{{{name}}}");
        let (partitions, seen) = layout(&conn, &opts, &crawl_key).await?;
        let shared = Arc::new(Shared {
            conn,
            display: opts.display.clone(),
            parts: (0..partitions).map(|i| format!("fc:{{{name}:{i}}}")).collect(),
            crawl_key,
            per_host: p.per_host,
            delay_ms: millis(p.delay),
            lease_ms: millis(opts.lease).max(1),
            seen,
            worker: format!("{}-{}", std::process::id(), xxh3_64(format!("{:?}", Instant::now()).as_bytes())),
            leases: Mutex::new(HashMap::new()),
            counts: Mutex::new(vec![[0; 4]; partitions as usize]),
            stats: OnceLock::new(),
            workers: AtomicUsize::new(1),
            sent: Mutex::new(HashMap::new()),
        });
        let background = tokio::spawn(background(Arc::downgrade(&shared), opts.lease));
        let mut frontier = RedisFrontier {
            parts: (0..partitions).map(|_| Part::default()).collect(),
            shared,
            next_id: 0,
            over: false,
            last_poll: Instant::now(),
            cursor: 0,
            done_at_open: 0,
            delays_sent: HashMap::new(),
            background,
        };
        for part in 0..frontier.parts.len() {
            frontier.call(part, 0, &Extra::default()).await?;
        }
        frontier.done_at_open = frontier.parts.iter().map(|p| p.done).sum();
        Ok(frontier)
    }

    fn part_of(&self, host: &str) -> usize {
        (xxh3_64(host.as_bytes()) % self.parts.len() as u64) as usize
    }

    /// One step on `part` with its pending operations; updates what is known of it.
    async fn call(&mut self, part: usize, want: usize, extra: &Extra<'_>) -> Result<Vec<Lease>> {
        let pending = std::mem::take(&mut self.parts[part].pending);
        let held = if want > 0 { self.held_slots(part) } else { Vec::new() };
        let extra = &Extra { held: &held, ..*extra };
        let reply = match self.shared.step(part, want, &pending, extra).await {
            Ok(reply) => reply,
            Err(e) => {
                self.parts[part].pending = pending; // sent again by the next call
                return Err(e);
            }
        };
        let received = Instant::now();
        let p = &mut self.parts[part];
        [p.queued, p.leased, p.seen, p.done] = reply.counts;
        p.next_ready = u64::try_from(reply.next_ms - reply.now_ms)
            .ok()
            .filter(|_| reply.next_ms >= 0)
            .map(|ms| received + Duration::from_millis(ms));
        if p.queued > 0 || p.leased > 0 {
            self.over = false;
        }
        let mut leases = Vec::with_capacity(reply.leases.len());
        let mut held = self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner);
        for (id, bytes) in reply.leases {
            let Some(req) = decode(&bytes) else {
                return Err(Error::Internal {
                    reason: format!("undecodable request in {}", self.shared.display),
                });
            };
            self.next_id += 1;
            held.insert(self.next_id, Held { part, id, host: host_key(&req.url), fetching: true });
            leases.push(Lease { id: self.next_id, req });
        }
        Ok(leases)
    }

    /// Sends every partition's pending operations.
    async fn send_pending(&mut self) -> Result<()> {
        for part in 0..self.parts.len() {
            if !self.parts[part].pending.is_empty() {
                self.call(part, 0, &Extra::default()).await?;
            }
        }
        Ok(())
    }

    /// Confirms the end of the crawl: see the module's comment.
    async fn settle(&mut self) -> Result<()> {
        let idle =
            |parts: &[Part]| parts.iter().all(|p| p.queued == 0 && p.leased == 0 && p.pending.is_empty());
        if self.over || !idle(&self.parts) || !self.held_is_empty() {
            return Ok(());
        }
        let before: Vec<u64> = self.parts.iter().map(|p| p.seen).collect();
        for part in 0..self.parts.len() {
            self.call(part, 0, &Extra::default()).await?;
        }
        let unchanged = self.parts.iter().zip(&before).all(|(p, seen)| p.seen == *seen);
        self.over = unchanged && idle(&self.parts);
        Ok(())
    }

    /// Fetching leases per host of `part`: the slots this worker holds there.
    fn held_slots(&self, part: usize) -> Vec<(String, usize)> {
        let mut slots: HashMap<&str, usize> = HashMap::new();
        let held = self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner);
        for h in held.values().filter(|h| h.fetching && h.part == part) {
            *slots.entry(h.host.as_str()).or_default() += 1;
        }
        slots.into_iter().map(|(host, n)| (host.to_owned(), n)).collect()
    }

    fn held_is_empty(&self) -> bool {
        self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
    }

    fn politeness(&mut self, kind: &'static str, host: &str, ms: u64) {
        let part = self.part_of(host);
        self.parts[part].pending.politeness.push((kind, host.to_owned(), ms));
    }
}

impl Frontier for RedisFrontier {
    /// Pushes are sent with the next call on their partition: this returns 0, not knowing yet
    /// which were new.
    async fn push(&mut self, reqs: Vec<(Fingerprint, Request)>) -> Result<usize> {
        for (fp, req) in reqs {
            let host = host_key(&req.url);
            let part = self.part_of(&host);
            let pending = &mut self.parts[part].pending;
            pending.push.push(encode(&host, &req));
            self.shared.seen.push_args(fp, &mut pending.push);
            pending.pushes += 1;
        }
        Ok(0)
    }

    async fn pop(&mut self, now: Instant, max: usize) -> Result<Vec<Lease>> {
        let poll = self.last_poll.elapsed() >= POLL;
        let n = self.parts.len();
        let mut out = Vec::new();
        for i in 0..n {
            let part = (self.cursor + i) % n;
            let p = &self.parts[part];
            let ready = p.next_ready.is_some_and(|at| at <= now) && out.len() < max;
            if ready || poll || !p.pending.is_empty() {
                let want = max - out.len();
                out.extend(self.call(part, want, &Extra::default()).await?);
            }
        }
        if poll {
            self.last_poll = Instant::now();
        }
        self.cursor = (self.cursor + 1) % n;
        self.settle().await?;
        Ok(out)
    }

    fn next_ready(&self) -> Option<Instant> {
        let known = self.parts.iter().filter_map(|p| p.next_ready).min();
        // Other workers queue and free work this worker only learns of by asking.
        let poll = (!self.over).then(|| self.last_poll + POLL);
        known.into_iter().chain(poll).min()
    }

    async fn finish(&mut self, lease: &Lease) -> Result<()> {
        let mut held = self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = held.get_mut(&lease.id).filter(|h| h.fetching) {
            h.fetching = false;
            self.parts[h.part].pending.finish.push(h.id.clone());
        }
        Ok(())
    }

    async fn requeue(&mut self, lease: Lease, at: Instant) -> Result<()> {
        let held = self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner).remove(&lease.id);
        if let Some(h) = held {
            let wait = millis(at.saturating_duration_since(Instant::now()));
            let req = encode(&host_key(&lease.req.url), &lease.req);
            self.parts[h.part].pending.requeue.push((h.id, wait, req));
        }
        Ok(())
    }

    async fn sync(&mut self) -> Result<()> {
        self.send_pending().await
    }

    async fn ack(&mut self, lease_ids: &[u64]) -> Result<()> {
        self.send_pending().await?;
        let mut by_part: HashMap<usize, Vec<String>> = HashMap::new();
        {
            let mut held = self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner);
            for id in lease_ids {
                if let Some(h) = held.remove(id) {
                    by_part.entry(h.part).or_default().push(h.id);
                }
            }
        }
        for (part, ids) in by_part {
            self.call(part, 0, &Extra { acks: &ids, ..Extra::default() }).await?;
        }
        self.settle().await
    }

    fn set_host_delay(&mut self, host: &str, delay: Duration) {
        let ms = millis(delay);
        if self.delays_sent.get(host) == Some(&ms) {
            return;
        }
        if self.delays_sent.len() >= DELAYS_SENT {
            self.delays_sent.clear();
        }
        self.delays_sent.insert(host.to_owned(), ms);
        self.politeness("d", host, ms);
    }

    fn back_off(&mut self, host: &str, until: Instant) {
        self.politeness("b", host, millis(until.saturating_duration_since(Instant::now())));
    }

    /// `queued`, `seen` and `done` are the crawl's; `unacked` counts every lease out in the
    /// crawl (at least 1 until the end is confirmed), so a worker's crawl ends with the
    /// crawl's.
    fn counts(&self) -> FrontierCounts {
        let sum = |f: fn(&Part) -> u64| self.parts.iter().map(f).sum::<u64>();
        let held = self.shared.leases.lock().unwrap_or_else(PoisonError::into_inner);
        let in_flight = held.values().filter(|h| h.fetching).count();
        let leased = usize::try_from(sum(|p| p.leased)).unwrap_or(usize::MAX);
        FrontierCounts {
            queued: usize::try_from(sum(|p| p.queued)).unwrap_or(usize::MAX),
            in_flight,
            unacked: if self.over { 0 } else { leased.saturating_sub(in_flight).max(1) },
            seen: usize::try_from(sum(|p| p.seen)).unwrap_or(usize::MAX),
            done: self.done_at_open,
        }
    }

    /// Also gives back the leases this worker still holds (the engine calls this once the
    /// consumer has seen the end, so they were never delivered): other workers take them at
    /// once instead of after the lease timeout.
    async fn flush(&mut self) -> Result<()> {
        let held: Vec<Held> = self
            .shared
            .leases
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain()
            .map(|(_, h)| h)
            .collect();
        for h in held {
            self.parts[h.part].pending.requeue.push((h.id, 0, Vec::new()));
        }
        self.send_pending().await?;
        self.shared.sync_stats().await
    }

    fn attach_stats(&mut self, stats: Arc<Stats>) {
        let _ = self.shared.stats.set(stats);
    }
}

/// Fixes the crawl's layout on its first worker; every worker reads it back.
async fn layout(conn: &Conn, opts: &RedisOptions, crawl_key: &str) -> Result<(u32, SeenSet)> {
    let partitions = opts.default_partitions();
    let seen = SeenSet::plan(opts.seen, opts.expected, partitions)?;
    let args: Vec<Vec<u8>> =
        ["layout", LAYOUT, "partitions", &partitions.to_string(), "seen", &seen.to_meta()]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
    let key = format!("{crawl_key}:meta");
    let script = META.get_or_init(|| Script::new(include_str!("meta.lua")));
    let meta: HashMap<String, String> = conn
        .retry(&opts.display, |mut conn| {
            let (args, key) = (&args, &key);
            async move { conn.eval(script, &[key.as_str()], args).await }
        })
        .await?;
    let bad = |reason: String| Error::InvalidArgument { what: "frontier", reason };
    if meta.get("layout").map(String::as_str) != Some(LAYOUT) {
        return Err(bad(format!("{key} in {} is not a crawl of this ferrocrawl version", opts.display)));
    }
    let stored = meta.get("partitions").and_then(|p| p.parse::<u32>().ok()).filter(|p| *p >= 1);
    let stored_seen = meta.get("seen").and_then(|s| SeenSet::from_meta(s));
    let (Some(stored), Some(stored_seen)) = (stored, stored_seen) else {
        return Err(bad(format!("{key} in {} is damaged", opts.display)));
    };
    if opts.partitions.is_some_and(|p| p != stored) {
        return Err(bad(format!("this crawl already uses partitions={stored}")));
    }
    Ok((stored, stored_seen))
}

/// Renews the worker's leases and syncs its stats until the frontier is dropped. A failure
/// is retried on the next tick (a call already waits out a Redis restart).
async fn background(shared: std::sync::Weak<Shared>, lease: Duration) {
    let tick = (lease / 3).clamp(Duration::from_millis(50), STATS_EVERY);
    let mut interval = tokio::time::interval(tick);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_stats = Instant::now();
    loop {
        interval.tick().await;
        let Some(shared) = shared.upgrade() else { return };
        let _ = shared.renew().await;
        if last_stats.elapsed() >= STATS_EVERY {
            last_stats = Instant::now();
            let _ = shared.sync_stats().await;
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command, Stdio};

    /// A redis-server of its own on a free loopback port, stopped when dropped.
    struct Server {
        child: Child,
        port: u16,
        _dir: TempDir,
    }

    struct TempDir(std::path::PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    impl Server {
        #[allow(clippy::zombie_processes)] // Drop kills and waits for it
        fn start() -> Server {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let dir = std::env::temp_dir().join(format!("ferrocrawl-redis-{port}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--dir"])
                .arg(&dir)
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server (Debian package redis-server) must be installed");
            for _ in 0..200 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Server { child, port, _dir: TempDir(dir) };
                }
                std::thread::sleep(Duration::from_millis(25));
            }
            panic!("redis-server did not start on port {port}");
        }

        fn url(&self, query: &str) -> String {
            format!("redis://127.0.0.1:{}/0{query}", self.port)
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// The next pop asks Redis, as it would once the poll interval has passed.
    fn poll_now(f: &mut RedisFrontier) {
        f.last_poll = Instant::now().checked_sub(POLL).unwrap();
    }

    fn polite(per_host: usize) -> Politeness {
        Politeness { per_host, delay: Duration::ZERO }
    }

    fn reqs(urls: &[&str]) -> Vec<(Fingerprint, Request)> {
        urls.iter()
            .map(|u| {
                let url = Url::parse(u).unwrap();
                (crate::crawl::canon::fingerprint(&url), Request::new(url, 0))
            })
            .collect()
    }

    async fn pop_all(f: &mut RedisFrontier, max: usize) -> Vec<Lease> {
        // The first pop of a fresh frontier sends the pushes; ask until nothing more comes.
        let mut out = Vec::new();
        loop {
            let got = f.pop(Instant::now() + Duration::from_secs(1), max - out.len()).await.unwrap();
            if got.is_empty() || out.len() + got.len() >= max {
                out.extend(got);
                return out;
            }
            out.extend(got);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_workers_share_one_queue_and_see_the_end_together() {
        let server = Server::start();
        let mut a = RedisFrontier::open(&server.url(""), "t", polite(8)).await.unwrap();
        let mut b = RedisFrontier::open(&server.url(""), "t", polite(8)).await.unwrap();
        a.push(reqs(&["http://x.test/1", "http://x.test/2", "http://y.test/1"])).await.unwrap();
        b.push(reqs(&["http://x.test/1", "http://y.test/2"])).await.unwrap();
        let la = pop_all(&mut a, 2).await;
        let lb = pop_all(&mut b, 10).await;
        assert_eq!(la.len() + lb.len(), 4, "each URL once: {la:?} {lb:?}");
        assert_eq!(b.counts().seen, 4); // b's pop came last: it has the crawl's count
        for l in &la {
            a.finish(l).await.unwrap();
        }
        a.ack(&la.iter().map(|l| l.id).collect::<Vec<_>>()).await.unwrap();
        // b still holds leases: a's crawl is not over.
        assert!(a.counts().unacked > 0);
        b.ack(&lb.iter().map(|l| l.id).collect::<Vec<_>>()).await.unwrap();
        assert_eq!(b.counts().unacked, 0, "b saw the end when it acked");
        poll_now(&mut a); // a learns it on its next poll
        a.pop(Instant::now(), 10).await.unwrap();
        let c = a.counts();
        assert_eq!((c.queued, c.unacked), (0, 0), "{c:?}");
        assert_eq!(a.shared.counts.lock().unwrap().iter().map(|c| c[3]).sum::<u64>(), 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_host_holds_across_workers_and_finish_frees_a_slot() {
        let server = Server::start();
        let mut a = RedisFrontier::open(&server.url(""), "t", polite(1)).await.unwrap();
        let mut b = RedisFrontier::open(&server.url(""), "t", polite(1)).await.unwrap();
        a.push(reqs(&["http://x.test/1", "http://x.test/2"])).await.unwrap();
        let la = pop_all(&mut a, 10).await;
        assert_eq!(la.len(), 1);
        assert!(b.pop(Instant::now(), 10).await.unwrap().is_empty());
        a.finish(&la[0]).await.unwrap();
        a.pop(Instant::now(), 0).await.unwrap(); // sends the finish
        poll_now(&mut b);
        assert_eq!(b.pop(Instant::now(), 10).await.unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_busy_worker_leaves_other_workers_their_share_of_a_host() {
        let server = Server::start();
        let mut a = RedisFrontier::open(&server.url(""), "t", polite(4)).await.unwrap();
        let mut b = RedisFrontier::open(&server.url(""), "t", polite(4)).await.unwrap();
        for f in [&a, &b] {
            f.shared.workers.store(2, Ordering::Relaxed); // as the stats sync would learn
        }
        let urls: Vec<String> = (0..10).map(|i| format!("http://x.test/{i}")).collect();
        a.push(reqs(&urls.iter().map(String::as_str).collect::<Vec<_>>())).await.unwrap();
        let la = pop_all(&mut a, 10).await;
        assert_eq!(la.len(), 2, "half of per_host=4 with two workers");
        assert!(a.pop(Instant::now(), 10).await.unwrap().is_empty(), "a holds its share");
        poll_now(&mut b);
        assert_eq!(b.pop(Instant::now(), 10).await.unwrap().len(), 2);
        a.finish(&la[0]).await.unwrap();
        assert_eq!(a.pop(Instant::now(), 10).await.unwrap().len(), 1, "a slot of a's share freed");
        a.shared.workers.store(1, Ordering::Relaxed); // b gone: a may use every free slot
        a.finish(&la[1]).await.unwrap();
        assert_eq!(a.pop(Instant::now(), 10).await.unwrap().len(), 1, "per_host still holds");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dead_workers_leases_come_back() {
        let server = Server::start();
        let url = server.url("?lease=0.3");
        let mut a = RedisFrontier::open(&url, "t", polite(8)).await.unwrap();
        a.push(reqs(&["http://x.test/1", "http://x.test/2"])).await.unwrap();
        let la = pop_all(&mut a, 10).await;
        assert_eq!(la.len(), 2);
        drop(a); // no more renewals
        let mut b = RedisFrontier::open(&url, "t", polite(8)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        poll_now(&mut b);
        let lb = b.pop(Instant::now(), 10).await.unwrap();
        let mut urls: Vec<_> = lb.iter().map(|l| l.req.url.to_string()).collect();
        urls.sort();
        assert_eq!(urls, ["http://x.test/1", "http://x.test/2"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_that_ends_gives_its_leases_back_at_once() {
        let server = Server::start();
        let mut a = RedisFrontier::open(&server.url(""), "t", polite(8)).await.unwrap();
        let mut b = RedisFrontier::open(&server.url(""), "t", polite(8)).await.unwrap();
        a.push(reqs(&["http://x.test/1", "http://x.test/2"])).await.unwrap();
        let la = pop_all(&mut a, 10).await;
        a.finish(&la[0]).await.unwrap();
        a.flush().await.unwrap();
        poll_now(&mut b);
        let lb = b.pop(Instant::now(), 10).await.unwrap();
        assert_eq!(lb.len(), 2, "both back, the finished one too (it was never acked)");
        assert_eq!(a.counts().in_flight, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_live_workers_leases_are_renewed() {
        let server = Server::start();
        let url = server.url("?lease=0.3");
        let mut a = RedisFrontier::open(&url, "t", polite(8)).await.unwrap();
        let mut b = RedisFrontier::open(&url, "t", polite(8)).await.unwrap();
        a.push(reqs(&["http://x.test/1"])).await.unwrap();
        assert_eq!(pop_all(&mut a, 10).await.len(), 1);
        tokio::time::sleep(Duration::from_millis(900)).await;
        poll_now(&mut b);
        assert!(b.pop(Instant::now(), 10).await.unwrap().is_empty());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn retries_wait_and_bloom_dedups() {
        let server = Server::start();
        let mut a =
            RedisFrontier::open(&server.url("?seen=bloom&expected=1000&fp_rate=0.01"), "t", polite(8))
                .await
                .unwrap();
        a.push(reqs(&["http://x.test/1", "http://x.test/1", "http://x.test/2"])).await.unwrap();
        let la = pop_all(&mut a, 10).await;
        assert_eq!(la.len(), 2);
        let mut retry = la[0].clone();
        retry.req.attempt = 1;
        a.requeue(retry, Instant::now() + Duration::from_millis(300)).await.unwrap();
        assert!(a.pop(Instant::now(), 10).await.unwrap().is_empty());
        let due = a.parts[0].next_ready.unwrap();
        assert!(due > Instant::now() + Duration::from_millis(100));
        assert!(a.next_ready().unwrap() <= due, "polls for other workers' work meanwhile");
        tokio::time::sleep_until(due.into()).await;
        let again = a.pop(Instant::now(), 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].req.attempt, 1);
        assert_eq!(again[0].req.url, la[0].req.url);
    }

    #[tokio::test]
    async fn unreachable_redis_is_a_connect_error_naming_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let url = format!("redis://:secret@127.0.0.1:{port}/0");
        let e = RedisFrontier::open(&url, "t", polite(1)).await.err().unwrap();
        assert!(matches!(e, Error::Connect { .. }), "{e:?}");
        let text = e.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}")) && !text.contains("secret"), "{text}");
    }

    #[test]
    fn requests_round_trip() {
        let mut req = Request::new(Url::parse("http://a.test:8080/x?q=1").unwrap(), 3);
        req.referer = Some("http://a.test:8080/".into());
        req.attempt = 2;
        let bytes = encode("a.test:8080", &req);
        assert!(bytes.starts_with(b"a.test:8080\x1f"));
        assert_eq!(decode(&bytes), Some(req));
    }
}
