//! The crawl loop. One driver task owns the frontier (no lock) and decides what to fetch;
//! fetch tasks run on the whole runtime and do the per-page CPU work (decoding, links,
//! canonical URLs, extract rules) in parallel; the driver only queues what they found and
//! hands pages on.
//!
//! Backpressure is a bounded page channel: a fetch starts only with a reserved slot in it,
//! so a consumer that stops reading stops the fetching and memory stays flat. A page's
//! links reach the frontier before the page reaches the consumer, and the consumer's
//! acknowledgements reach the frontier in order after them: a resumed crawl loses nothing.
//!
//! With sinks, each 2xx page's item is sent to them as the page is handed on, and the
//! consumer's acknowledgement of a page waits until its item is written (in order, so a file
//! sink's mark recorded with the acks covers exactly the acknowledged pages).

use std::collections::{HashMap, HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use reqwest::header::LOCATION;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use url::Url;

use super::canon::{canonicalize, fingerprint, host_key};
use super::config::{CrawlConfig, MAX_REDIRECTS, MAX_RETRY_WAIT, MAX_ROBOTS_WAITS};
use super::extract::{is_html, selected_hrefs, Follow};
use super::frontier::{Fingerprint, Frontier, Lease, Request};
use super::page::Page;
use super::robots::{RobotsCache, RobotsStatus};
use super::sitemap::{self, SitemapLimits};
use super::stats::{Snapshot, Stats};
use crate::client::is_redirect;
use crate::config::RetryPolicy;
use crate::html::{extract_links, Document, LinkResolver};
use crate::sink::{crawl_columns, mark_key, Item, Sink, SinkOptions, Sinks};
use crate::{charset, Client, Error, RequestSpec, Response, Result};

/// Statuses worth another attempt (Scrapy's RETRY_HTTP_CODES, less the Cloudflare ones).
const RETRY_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];
/// Bodies at least this large are analysed on the blocking pool, not a runtime worker.
const BLOCKING_ANALYSIS_BYTES: usize = 256 * 1024;
/// Finished tasks handled in one turn of the driver's loop (then it schedules again).
const MAX_OUTPUTS_AT_ONCE: usize = 64;
/// How long a robots.txt is used before it is fetched again (RFC 9309: at most 24 h).
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
/// First wait before asking again for a robots.txt that was unavailable; doubles per wait.
const ROBOTS_RETRY: Duration = Duration::from_secs(2);

enum Command {
    Add(Vec<Url>, u32),
    Ack(Vec<u64>),
    Stop {
        abandon: bool,
    },
    /// The consumer saw the end: make the state durable, then answer.
    Close(oneshot::Sender<Result<()>>),
}

/// The consumer's side of a running crawl.
pub struct CrawlHandle {
    commands: mpsc::UnboundedSender<Command>,
    pages: tokio::sync::Mutex<mpsc::Receiver<Page>>,
    stats: Arc<Stats>,
    fatal: Arc<Mutex<Option<Error>>>,
}

impl CrawlHandle {
    /// Queues `urls` (policy-checked and deduplicated like links) at `depth`.
    pub fn add(&self, urls: Vec<Url>, depth: u32) {
        let _ = self.commands.send(Command::Add(urls, depth));
    }

    /// The consumer has these pages: they are not delivered again, even after a restart.
    pub fn ack(&self, ids: Vec<u64>) {
        if !ids.is_empty() {
            let _ = self.commands.send(Command::Ack(ids));
        }
    }

    /// Stops scheduling; in-flight fetches finish (or are abandoned) and the state is kept.
    pub fn stop(&self, abandon: bool) {
        let _ = self.commands.send(Command::Stop { abandon });
    }

    /// Waits for up to `max` pages (acknowledge the previous ones first, with
    /// [`CrawlHandle::ack`]). An empty batch is the end, returned once the state is durable.
    pub async fn next_batch(&self, max: usize) -> Result<Vec<Page>> {
        let mut batch = Vec::new();
        let received = self.pages.lock().await.recv_many(&mut batch, max.max(1)).await;
        if received > 0 {
            return Ok(batch);
        }
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Close(tx)).is_ok() {
            rx.await.unwrap_or(Ok(()))?;
        }
        match self.fatal.lock().unwrap_or_else(PoisonError::into_inner).take() {
            Some(e) => Err(e),
            None => Ok(batch),
        }
    }

    pub fn stats(&self) -> Snapshot {
        self.stats.snapshot()
    }
}

/// What fetch tasks share.
struct Ctx {
    client: Client,
    /// The client's backoff (jittered, doubling, capped) with the crawl's first wait.
    retry: RetryPolicy,
    cfg: CrawlConfig,
    stats: Arc<Stats>,
    robots: RobotsCache,
}

/// Something a task finished.
// Nearly every output is a fetch: boxing it would add an allocation per page to save
// bytes only on the rare robots and sitemap outputs.
#[allow(clippy::large_enum_variant)]
enum Output {
    /// The page slot reserved for the fetch comes back with it.
    Fetch(Lease, Fetched, mpsc::OwnedPermit<Page>),
    Robots(String, Url, RobotsStatus),
    Sitemap(Vec<Url>),
}

/// How one fetch ended.
enum Fetched {
    /// `back_off`: the server asked for a pause (429/503 with Retry-After) on its last try.
    Page {
        page: Box<Page>,
        found: Vec<(Fingerprint, Request)>,
        back_off: Option<Duration>,
    },
    Redirect(Option<(Fingerprint, Request)>),
    Retry {
        wait: Duration,
        back_off: bool,
    },
}

/// Builds a crawl: the handle for the consumer and the driver future to spawn on a runtime.
/// `start` are the start URLs (depth 0); the frontier may already hold a resumed crawl.
pub fn start<F: Frontier>(
    client: Client,
    cfg: CrawlConfig,
    frontier: F,
    start: Vec<Url>,
) -> (CrawlHandle, impl std::future::Future<Output = ()> + Send) {
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (pages_tx, pages_rx) = mpsc::channel(cfg.buffer.max(1));
    let stats = Arc::new(Stats::default());
    let fatal = Arc::new(Mutex::new(None));
    let handle = CrawlHandle {
        commands,
        pages: tokio::sync::Mutex::new(pages_rx),
        stats: stats.clone(),
        fatal: fatal.clone(),
    };
    let robots = RobotsCache::new(&cfg.user_agent).with_times(ROBOTS_TTL, ROBOTS_RETRY);
    let retry = RetryPolicy {
        retries: cfg.retries,
        backoff: cfg.retry_backoff,
        max_wait: MAX_RETRY_WAIT,
        ..RetryPolicy::default()
    };
    let mut frontier = frontier;
    frontier.attach_stats(stats.clone());
    let ctx = Arc::new(Ctx { client, retry, cfg, stats, robots });
    let driver = Driver {
        produced: frontier.counts().done,
        frontier,
        ctx,
        tasks: JoinSet::new(),
        fetching: 0,
        pages: Some(pages_tx),
        permits: Vec::new(),
        commands: command_rx,
        parked: HashMap::new(),
        sitemap_hosts: HashSet::new(),
        acks: Vec::new(),
        sinks: Sinks::default(),
        item_seq: HashMap::new(),
        held: VecDeque::new(),
        marks: Vec::new(),
        closing: None,
        rate_next: Instant::now(),
        stopping: false,
        closed: false,
    };
    let run = async move {
        let mut driver = driver;
        let outcome = driver.run(start).await;
        let closing = driver.closing.take();
        let (_, closed) = mpsc::unbounded_channel();
        let mut commands = std::mem::replace(&mut driver.commands, closed);
        // Everything else goes first: the tasks are aborted (finished outputs drop their page
        // slots, so the channel closes and the consumer learns of the end or the error), and
        // the state is released (its file lock) before the consumer hears back, so the same
        // state can be opened again at once.
        drop(driver);
        match outcome {
            Ok(()) => {
                if let Some((reply, result)) = closing {
                    let _ = reply.send(result);
                }
            }
            Err(e) => {
                *fatal.lock().unwrap_or_else(PoisonError::into_inner) = Some(e);
                drain_commands(&mut commands).await;
            }
        }
    };
    (handle, run)
}

struct Driver<F> {
    frontier: F,
    ctx: Arc<Ctx>,
    tasks: JoinSet<Output>,
    /// Fetch tasks running (robots and sitemap tasks are not counted).
    fetching: usize,
    /// `None` once the consumer has been told the crawl is over.
    pages: Option<mpsc::Sender<Page>>,
    /// Page-channel slots reserved for fetches about to start.
    permits: Vec<mpsc::OwnedPermit<Page>>,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Leases waiting for their host's robots.txt (the fetch of it is running).
    parked: HashMap<String, Vec<Lease>>,
    /// Start hosts whose sitemaps are read once their robots.txt is known.
    sitemap_hosts: HashSet<String>,
    /// Leases done without a page (redirects, robots refusals) and pages the consumer has.
    acks: Vec<u64>,
    sinks: Sinks,
    /// Delivered pages: the sequence number of the last item sent to the sinks with them.
    item_seq: HashMap<u64, u64>,
    /// Pages the consumer has whose items are not all written yet, in delivery order.
    held: VecDeque<(u64, u64)>,
    /// File sink lengths to record with the next acks.
    marks: Vec<(String, u64)>,
    /// The consumer's `Close`, with its answer, sent once the driver is dropped.
    closing: Option<(oneshot::Sender<Result<()>>, Result<()>)>,
    rate_next: Instant,
    /// Pages produced, by this run and any earlier run of the same state.
    produced: u64,
    stopping: bool,
    /// Stopped at once: in-flight fetches were abandoned.
    closed: bool,
}

impl<F: Frontier> Driver<F> {
    async fn run(&mut self, start: Vec<Url>) -> Result<()> {
        self.open_sinks().await?;
        // URLs added (or a stop) before the crawl started come first.
        let mut early = Vec::new();
        while let Ok(command) = self.commands.try_recv() {
            early.push(command);
        }
        if self.ctx.cfg.sitemaps {
            for url in &start {
                if !self.sitemap_hosts.insert(host_key(url)) {
                    continue;
                }
                if !self.ctx.cfg.robots {
                    self.spawn_sitemaps(url.clone(), Vec::new());
                }
            }
        }
        self.add(start, 0, false).await?;
        for command in early {
            self.command(command).await?;
        }
        loop {
            self.flush_acks().await?;
            self.schedule().await?;
            self.frontier.sync().await?;
            self.publish_counts();
            if self.pages.is_some() && self.is_over() {
                self.pages = None; // the consumer sees the end once it has taken every page
                self.permits.clear();
            }
            let wake = self.next_wake();
            let want_permit = self.wants_permit();
            let pages = self.pages.clone();
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(Command::Close(reply)) => {
                        // Every item written first: the last pages' acks wait for them.
                        // Every step runs and the first error is the answer, so the consumer
                        // always hears why.
                        let sunk = self.sinks.close().await;
                        let released = if sunk.is_ok() { self.release_held() } else { Ok(()) };
                        let acked = self.flush_acks().await;
                        let flushed = self.frontier.flush().await;
                        // answered once the driver (and the state's lock) is gone: see start()
                        self.closing = Some((reply, sunk.and(released).and(acked).and(flushed)));
                        return Ok(());
                    }
                    Some(command) => self.command(command).await?,
                    None => {
                        // The consumer is gone: unacknowledged pages come back on resume.
                        self.tasks.abort_all();
                        return self.frontier.flush().await;
                    }
                },
                Some(joined) = self.tasks.join_next(), if !self.tasks.is_empty() => {
                    self.joined(joined).await?;
                    // Every other finished task too, before the next pop: a shared store then
                    // sends the links and finished fetches of many pages in one round trip.
                    for _ in 1..MAX_OUTPUTS_AT_ONCE {
                        let Some(joined) = self.tasks.try_join_next() else { break };
                        self.joined(joined).await?;
                    }
                }
                Ok(permit) = async { pages.expect("wants_permit implies a channel").reserve_owned().await }, if want_permit => {
                    self.permits.push(permit);
                }
                () = self.sinks.changed(), if !self.sinks.is_empty() => self.release_held()?,
                () = sleep_until(wake), if wake.is_some() => {}
            }
        }
    }

    /// Opens the sinks before any fetch (bad credentials end the crawl here). A file sink is
    /// cut back to the mark a resumed state kept; a new one has its length recorded first.
    async fn open_sinks(&mut self) -> Result<()> {
        let cfg = &self.ctx.cfg;
        let plan = crawl_columns(&cfg.extract.names(), &cfg.sink_fields);
        for spec in cfg.sinks.clone() {
            let key =
                spec.file_path().map(|p| mark_key(&std::path::absolute(p).unwrap_or_else(|_| p.to_owned())));
            let mark = key.as_deref().and_then(|k| self.frontier.mark(k));
            let notify = Some(self.sinks.notifier());
            let sink = Sink::open(spec, Some(plan.clone()), SinkOptions::default(), mark, notify).await?;
            if let (Some(key), None, Some((_, len))) = (key, mark, sink.file()) {
                self.frontier.ack_marked(&[], &[(key, *len)]).await?;
            }
            self.sinks.push(sink);
        }
        Ok(())
    }

    async fn joined(&mut self, joined: std::result::Result<Output, tokio::task::JoinError>) -> Result<()> {
        match joined {
            Ok(output) => self.output(output).await,
            // Fetch tasks catch their own panics; a robots or sitemap task that panicked
            // leaves its host parked, which is a bug worth stopping for.
            Err(e) if e.is_panic() => Err(Error::Internal { reason: panic_message(e) }),
            Err(_) => Ok(()),
        }
    }

    /// Whether nothing more will ever be delivered.
    fn is_over(&self) -> bool {
        if self.closed {
            return true;
        }
        let counts = self.frontier.counts();
        let idle = self.fetching == 0 && self.parked.is_empty();
        let max_reached = self.ctx.cfg.max_pages.is_some_and(|max| self.produced >= max);
        let nothing_left = counts.queued == 0 && self.tasks.is_empty();
        // Waiting for the consumer's acknowledgements lets it add URLs from the last pages.
        (self.stopping || max_reached) && idle || nothing_left && counts.unacked == 0
    }

    fn wants_permit(&self) -> bool {
        self.pages.is_some()
            && self.permits.is_empty()
            && self.may_start()
            && self.frontier.counts().queued > 0
    }

    /// Whether limits other than the frontier's politeness allow one more fetch.
    fn may_start(&self) -> bool {
        let cfg = &self.ctx.cfg;
        !self.stopping
            && self.fetching < cfg.concurrency
            && cfg.max_pages.is_none_or(|max| self.produced + (self.fetching as u64) < max)
    }

    fn next_wake(&self) -> Option<Instant> {
        // Without a page slot the permit branch wakes the loop, not the frontier's clock.
        if !self.may_start() || self.pages.is_none() || self.permits.is_empty() {
            return None;
        }
        let ready = self.frontier.next_ready()?;
        Some(if self.ctx.cfg.rate.is_some() { ready.max(self.rate_next) } else { ready })
    }

    /// Starts every fetch the limits allow now.
    async fn schedule(&mut self) -> Result<()> {
        while self.may_start() && self.pages.is_some() {
            let now = Instant::now();
            if self.ctx.cfg.rate.is_some() && now < self.rate_next {
                return Ok(());
            }
            // Each fetch needs a page slot; take the free ones without waiting.
            while self.permits.len() < self.ctx.cfg.concurrency - self.fetching {
                let Some(Ok(permit)) = self.pages.clone().map(mpsc::Sender::try_reserve_owned) else { break };
                self.permits.push(permit);
            }
            let room =
                if self.ctx.cfg.rate.is_some() { self.permits.len().min(1) } else { self.permits.len() };
            let room = match self.ctx.cfg.max_pages {
                Some(max) => {
                    room.min(usize::try_from(max - self.produced).unwrap_or(usize::MAX) - self.fetching)
                }
                None => room,
            };
            if room == 0 {
                return Ok(());
            }
            let leases = self.frontier.pop(now, room).await?;
            if leases.is_empty() {
                return Ok(());
            }
            for lease in leases {
                self.dispatch(lease, now).await?;
            }
        }
        Ok(())
    }

    /// Checks robots.txt for a popped lease, then starts its fetch.
    async fn dispatch(&mut self, lease: Lease, now: Instant) -> Result<()> {
        let permit = self.permits.pop().expect("schedule reserves a page slot per lease");
        if self.ctx.cfg.robots {
            match self.ctx.robots.peek(&lease.req.url) {
                None => {
                    let host = host_key(&lease.req.url);
                    let waiting = self.parked.entry(host.clone()).or_default();
                    let first = waiting.is_empty();
                    let url = lease.req.url.clone();
                    waiting.push(lease);
                    if first {
                        self.spawn_robots(host, url);
                    }
                    self.permits.push(permit);
                    return Ok(());
                }
                Some(RobotsStatus::Rules(rules)) if !rules.is_allowed(&lease.req.url) => {
                    Stats::bump(&self.ctx.stats.robots_denied);
                    self.frontier.finish(&lease).await?;
                    self.acks.push(lease.id);
                    self.permits.push(permit);
                    return Ok(());
                }
                Some(RobotsStatus::Rules(rules)) => {
                    // Again on each fetch: the frontier forgets idle hosts, and their delay.
                    if let Some(delay) = rules.crawl_delay() {
                        self.frontier
                            .set_host_delay(&host_key(&lease.req.url), delay.max(self.ctx.cfg.delay));
                    }
                }
                Some(RobotsStatus::Unavailable) if lease.req.attempt < MAX_ROBOTS_WAITS => {
                    let mut lease = lease;
                    lease.req.attempt += 1;
                    self.permits.push(permit);
                    let wait = ROBOTS_RETRY * (1 << (lease.req.attempt - 1));
                    return self.frontier.requeue(lease, now + wait).await;
                }
                Some(RobotsStatus::Unavailable) => {
                    let reason = "its host's robots.txt stayed unavailable (5xx or unreachable)".to_owned();
                    let error = Error::Protocol { url: lease.req.url.to_string(), reason };
                    let page = failed_page(&lease, error, None, Duration::ZERO);
                    return self.deliver(lease, Box::new(page), Vec::new(), permit).await;
                }
            }
        }
        if let Some(rate) = self.ctx.cfg.rate {
            self.rate_next = self.rate_next.max(now) + Duration::from_secs_f64(1.0 / rate);
        }
        self.fetching += 1;
        Stats::bump(&self.ctx.stats.requests);
        let ctx = self.ctx.clone();
        self.tasks.spawn(async move {
            // A panic becomes this page's error, not a lost lease.
            let fetched =
                AssertUnwindSafe(fetch(&ctx, &lease)).catch_unwind().await.unwrap_or_else(|panic| {
                    let reason = panic_text(&*panic);
                    let error = Error::Internal { reason };
                    Fetched::Page {
                        page: Box::new(failed_page(&lease, error, None, Duration::ZERO)),
                        found: Vec::new(),
                        back_off: None,
                    }
                });
            Output::Fetch(lease, fetched, permit)
        });
        Ok(())
    }

    fn spawn_robots(&mut self, host: String, url: Url) {
        let ctx = self.ctx.clone();
        self.tasks.spawn(async move {
            let status = ctx.robots.get(&ctx.client, &url).await;
            Output::Robots(host, url, status)
        });
    }

    fn spawn_sitemaps(&mut self, origin: Url, from_robots: Vec<String>) {
        let ctx = self.ctx.clone();
        self.tasks.spawn(async move {
            let urls = sitemap::discover(&ctx.client, &origin, &from_robots, &SitemapLimits::default()).await;
            Output::Sitemap(urls)
        });
    }

    async fn output(&mut self, output: Output) -> Result<()> {
        match output {
            Output::Fetch(lease, fetched, permit) => {
                self.fetching -= 1;
                self.fetched(lease, fetched, permit).await
            }
            Output::Robots(host, url, status) => {
                if let RobotsStatus::Rules(rules) = &status {
                    if let Some(delay) = rules.crawl_delay() {
                        self.frontier.set_host_delay(&host, delay.max(self.ctx.cfg.delay));
                    }
                    if self.ctx.cfg.robots && self.sitemap_hosts.remove(&host) {
                        self.spawn_sitemaps(url.clone(), rules.sitemaps().to_vec());
                    }
                }
                let now = Instant::now();
                for lease in self.parked.remove(&host).unwrap_or_default() {
                    self.frontier.requeue(lease, now).await?;
                }
                Ok(())
            }
            Output::Sitemap(urls) => self.add(urls, 0, true).await,
        }
    }

    async fn fetched(
        &mut self,
        lease: Lease,
        fetched: Fetched,
        permit: mpsc::OwnedPermit<Page>,
    ) -> Result<()> {
        match fetched {
            Fetched::Page { page, found, back_off } => {
                if let Some(pause) = back_off {
                    self.frontier.back_off(&host_key(&lease.req.url), Instant::now() + pause);
                }
                self.deliver(lease, page, found, permit).await
            }
            Fetched::Redirect(target) => {
                Stats::bump(&self.ctx.stats.redirects);
                if let Some(target) = target {
                    self.frontier.push(vec![target]).await?;
                }
                self.frontier.finish(&lease).await?;
                self.acks.push(lease.id);
                Ok(())
            }
            Fetched::Retry { wait, back_off } => {
                Stats::bump(&self.ctx.stats.retries);
                let at = Instant::now() + wait;
                if back_off {
                    self.frontier.back_off(&host_key(&lease.req.url), at);
                }
                let mut lease = lease;
                lease.req.attempt += 1;
                self.frontier.requeue(lease, at).await
            }
        }
    }

    /// Queues what the page found, then hands the page to the consumer in the slot reserved
    /// for it.
    async fn deliver(
        &mut self,
        lease: Lease,
        page: Box<Page>,
        found: Vec<(Fingerprint, Request)>,
        permit: mpsc::OwnedPermit<Page>,
    ) -> Result<()> {
        if !found.is_empty() {
            self.frontier.push(found).await?;
        }
        self.frontier.finish(&lease).await?;
        self.produced += 1;
        let error_kind = page.error.as_ref().map(error_kind);
        let bytes = page.response.as_ref().map_or(0, |r| r.body.len());
        self.ctx.stats.record_page(&host_key(&page.url), page.status(), bytes, error_kind);
        if self.ctx.cfg.max_pages.is_some_and(|max| self.produced >= max) {
            self.stopping = true;
        }
        // After an abandoning stop the consumer has seen the end: the page stays
        // unacknowledged and comes back on resume.
        if !self.closed {
            if !self.sinks.is_empty() {
                if let Some(item) = Item::from_page(&page, &self.ctx.cfg.sink_fields) {
                    self.sinks.send(item).await?;
                }
                self.item_seq.insert(page.lease_id, self.sinks.submitted());
            }
            permit.send(*page);
        }
        Ok(())
    }

    async fn command(&mut self, command: Command) -> Result<()> {
        match command {
            Command::Add(urls, depth) => self.add(urls, depth, false).await,
            Command::Ack(ids) if self.sinks.is_empty() => {
                self.acks.extend(ids);
                Ok(())
            }
            Command::Ack(ids) => {
                for id in ids {
                    let seq = self.item_seq.remove(&id).unwrap_or(0);
                    self.held.push_back((id, seq));
                }
                self.release_held()
            }
            Command::Stop { abandon } => {
                self.stopping = true;
                if abandon {
                    self.tasks = JoinSet::new();
                    self.fetching = 0;
                    self.parked.clear();
                    self.closed = true;
                }
                Ok(())
            }
            Command::Close(_) => unreachable!("handled by the loop"),
        }
    }

    /// Queues URLs from outside a page: start URLs and URLs added from Python are taken as
    /// given (only the domains and depth apply, as `allow`/`deny` select links to follow);
    /// sitemap URLs are checked like links.
    async fn add(&mut self, urls: Vec<Url>, depth: u32, as_links: bool) -> Result<()> {
        let policy = &self.ctx.cfg.policy;
        let mut reqs = Vec::with_capacity(urls.len());
        for url in urls {
            let url = canonicalize(&url);
            let allowed = if as_links {
                policy.check(&url, depth).is_ok()
            } else {
                policy.is_onsite(&url) && policy.max_depth.is_none_or(|max| depth <= max)
            };
            if !allowed {
                Stats::bump(&self.ctx.stats.filtered);
                continue;
            }
            reqs.push((fingerprint(&url), Request::new(url, depth)));
        }
        if !reqs.is_empty() {
            self.frontier.push(reqs).await?;
        }
        Ok(())
    }

    /// Moves to `acks` the held pages whose items every sink has written, with the file
    /// marks that go with them; a failed sink ends the crawl.
    fn release_held(&mut self) -> Result<()> {
        if let Some(e) = self.sinks.failure() {
            return Err(e);
        }
        let written = self.sinks.written();
        let mut last = None;
        while let Some(&(id, seq)) = self.held.front().filter(|(_, seq)| *seq <= written) {
            self.held.pop_front();
            self.acks.push(id);
            last = Some(seq);
        }
        if let Some(seq) = last {
            for (key, len) in self.sinks.marks_upto(seq) {
                match self.marks.iter_mut().find(|(k, _)| *k == key) {
                    Some(mark) => mark.1 = len,
                    None => self.marks.push((key, len)),
                }
            }
        }
        Ok(())
    }

    async fn flush_acks(&mut self) -> Result<()> {
        if self.acks.is_empty() && self.marks.is_empty() {
            return Ok(());
        }
        let acks = std::mem::take(&mut self.acks);
        let marks = std::mem::take(&mut self.marks);
        self.frontier.ack_marked(&acks, &marks).await
    }

    fn publish_counts(&self) {
        let counts = self.frontier.counts();
        let stats = &self.ctx.stats;
        stats.queued.store(counts.queued as u64, std::sync::atomic::Ordering::Relaxed);
        stats.in_flight.store(self.fetching as u64, std::sync::atomic::Ordering::Relaxed);
    }
}

/// After a fatal error: answer the consumer's last commands, then end.
async fn drain_commands(commands: &mut mpsc::UnboundedReceiver<Command>) {
    while let Some(command) = commands.recv().await {
        if let Command::Close(reply) = command {
            let _ = reply.send(Ok(()));
            return;
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    if let Some(at) = at {
        tokio::time::sleep_until(at.into()).await;
    }
}

fn panic_message(e: tokio::task::JoinError) -> String {
    panic_text(&*e.into_panic())
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a crawl task panicked".to_owned())
}

/// The stats name of an error's kind.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::InvalidUrl { .. } => "invalid_url",
        Error::Timeout { .. } => "timeout",
        Error::Connect { .. } => "connect",
        Error::Blocked { .. } => "blocked",
        Error::Tls { .. } => "tls",
        Error::TooManyRedirects { .. } => "too_many_redirects",
        Error::BadRedirect { .. } => "redirect_refused",
        Error::BodyTooLarge { .. } => "body_too_large",
        Error::HttpStatus { .. } => "http_status",
        Error::Protocol { .. } => "protocol",
        Error::Internal { .. } => "internal",
        _ => "other",
    }
}

/// One fetch: the request, then retry, redirect or page.
async fn fetch(ctx: &Ctx, lease: &Lease) -> Fetched {
    let req = &lease.req;
    #[cfg(test)]
    assert!(!req.url.path().ends_with("/panic"), "a panic injected by a test");
    let mut spec = RequestSpec::get(req.url.as_str());
    spec.allow_redirects = false;
    spec.skip_redirect_body = true; // hops are queued; their bodies are never read
    if let Some(referer) = &req.referer {
        spec.headers.push(("Referer".to_owned(), referer.clone()));
    }
    let started = Instant::now();
    let result = ctx.client.fetch(&spec).await;
    let elapsed = started.elapsed();
    let retries_left = req.attempt < ctx.cfg.retries;
    let resp = match result {
        Err(e) if retries_left && e.is_transient() => {
            return Fetched::Retry { wait: ctx.retry.backoff_after(req.attempt + 1), back_off: false };
        }
        Err(e) => {
            let page = Box::new(failed_page(lease, e, None, elapsed));
            return Fetched::Page { page, found: Vec::new(), back_off: None };
        }
        Ok(resp) => resp,
    };
    let status = resp.head.status.as_u16();
    if retries_left && RETRY_STATUSES.contains(&status) {
        let asked = retry_after(&resp);
        let wait = asked.unwrap_or_else(|| ctx.retry.backoff_after(req.attempt + 1));
        return Fetched::Retry { wait, back_off: asked.is_some() || matches!(status, 429 | 503) };
    }
    if is_redirect(resp.head.status) {
        if let Some(location) = resp.head.headers.get(LOCATION) {
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            return redirect(ctx, lease, resp, &location, elapsed);
        }
    }
    // Out of retries, a 429/503 with Retry-After still pauses the host for its other URLs.
    let back_off = if matches!(status, 429 | 503) { retry_after(&resp) } else { None };
    let analysed = if resp.body.len() >= BLOCKING_ANALYSIS_BYTES {
        let cfg = ctx.cfg.clone();
        let lease = lease.clone();
        tokio::task::spawn_blocking(move || analyse(&cfg, &lease, resp, elapsed))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    } else {
        analyse(&ctx.cfg, lease, resp, elapsed)
    };
    for _ in 0..analysed.filtered {
        Stats::bump(&ctx.stats.filtered);
    }
    Fetched::Page { page: analysed.page, found: analysed.found, back_off }
}

/// A redirect hop becomes a queued request of its own (policy-checked and deduplicated like
/// a link), or a page saying why it was not followed.
fn redirect(ctx: &Ctx, lease: &Lease, resp: Response, location: &str, elapsed: Duration) -> Fetched {
    let req = &lease.req;
    let refuse = |reason: String| Error::BadRedirect {
        url: req.url.to_string(),
        location: location.to_owned(),
        reason,
    };
    let fail = |error: Error, resp: Response| Fetched::Page {
        page: Box::new(failed_page(lease, error, Some(resp), elapsed)),
        found: Vec::new(),
        back_off: None,
    };
    if let Err(reason) = crate::client::check_text(location.trim()) {
        return fail(refuse(reason), resp);
    }
    let target = match req.url.join(location.trim()) {
        Ok(t) if matches!(t.scheme(), "http" | "https") && t.has_host() => canonicalize(&t),
        Ok(t) => return fail(refuse(format!("scheme {:?} is not http or https", t.scheme())), resp),
        Err(e) => return fail(refuse(e.to_string()), resp),
    };
    if req.redirects >= MAX_REDIRECTS {
        let first = req.first_url.clone().unwrap_or_else(|| req.url.to_string());
        return fail(Error::TooManyRedirects { url: first, max: MAX_REDIRECTS as usize }, resp);
    }
    if let Err(refusal) = ctx.cfg.policy.check(&target, req.depth) {
        return fail(refuse(format!("{} (not followed)", refusal.as_str())), resp);
    }
    let next = Request {
        url: target.clone(),
        depth: req.depth,
        referer: req.referer.clone(),
        first_url: Some(req.first_url.clone().unwrap_or_else(|| req.url.to_string())),
        redirects: req.redirects + 1,
        attempt: 0,
    };
    Fetched::Redirect(Some((fingerprint(&target), next)))
}

/// A page that failed: the error, and the response if there was one.
fn failed_page(lease: &Lease, error: Error, response: Option<Response>, elapsed: Duration) -> Page {
    new_page(lease, elapsed, response, Some(error))
}

/// The page of a lease, before its links and data are known.
fn new_page(lease: &Lease, elapsed: Duration, response: Option<Response>, error: Option<Error>) -> Page {
    let req = &lease.req;
    Page {
        lease_id: lease.id,
        url: req.url.clone(),
        request_url: req.first_url.clone().unwrap_or_else(|| req.url.to_string()),
        depth: req.depth,
        referer: req.referer.clone(),
        elapsed,
        response,
        data: Vec::new(),
        links: Vec::new(),
        error,
    }
}

struct Analysed {
    page: Box<Page>,
    found: Vec<(Fingerprint, Request)>,
    filtered: usize,
}

/// The per-page CPU work: decode, links (a streaming pass unless a rule needs the tree),
/// canonical URLs, policy, fingerprints, extract rules.
fn analyse(cfg: &CrawlConfig, lease: &Lease, resp: Response, elapsed: Duration) -> Analysed {
    let req = &lease.req;
    let status = resp.head.status.as_u16();
    let error = RETRY_STATUSES.contains(&status).then(|| Error::HttpStatus {
        url: req.url.to_string(),
        status,
        reason: resp.head.reason().to_owned(),
    });
    let mut page = new_page(lease, elapsed, None, error);
    let mut found = Vec::new();
    let mut filtered = 0;
    if (200..300).contains(&status) && is_html(resp.head.content_type()) {
        let decoded = charset::decode(&resp.body, resp.head.content_type());
        let text = &decoded.text;
        let needs_dom = cfg.extract.needs_dom() || matches!(cfg.follow, Follow::Query(_));
        let doc = needs_dom.then(|| Document::parse(text, Some(req.url.clone())));
        let links = match &doc {
            Some(doc) => doc.links_encoded(&req.url, decoded.encoding),
            None => extract_links(text, &req.url, decoded.encoding),
        };
        let followed: Vec<Url> = match (&cfg.follow, &doc) {
            (Follow::All, _) => links.clone(),
            (Follow::Query(q), Some(doc)) => {
                let base = doc.effective_base(Some(&req.url));
                let resolver = LinkResolver::new(base.as_ref(), None, decoded.encoding);
                selected_hrefs(q, doc)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|href| resolver.link(href))
                    .collect()
            }
            _ => Vec::new(),
        };
        page.links = links.iter().map(|u| canonicalize(u).into()).collect();
        let referer = req.url.to_string();
        for url in followed {
            let url = canonicalize(&url);
            if cfg.policy.check(&url, req.depth + 1).is_err() {
                filtered += 1;
                continue;
            }
            let mut next = Request::new(url, req.depth + 1);
            next.referer = Some(referer.clone());
            found.push((fingerprint(&next.url), next));
        }
        if !cfg.extract.is_empty() {
            page.data = cfg.extract.apply(doc.as_ref(), text).unwrap_or_default();
        }
    }
    page.response = Some(resp);
    Analysed { page: Box::new(page), found, filtered }
}

/// The wait a 429/503 asked for (`Retry-After`), capped.
fn retry_after(resp: &Response) -> Option<Duration> {
    crate::retry::retry_after(&resp.head.headers, std::time::SystemTime::now()).map(|d| d.min(MAX_RETRY_WAIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_in_a_fetch_task_becomes_that_pages_error() {
        use crate::crawl::frontier::Politeness;
        use crate::crawl::store::memory::MemoryFrontier;
        use crate::test_server::{Reply, TestServer};

        let server = TestServer::start(|_| Reply::ok("<p>ok").header("Content-Type", "text/html")).await;
        let paths = ["/a", "/b", "/panic", "/c", "/d"];
        let start = paths.iter().map(|p| Url::parse(&server.url(p)).unwrap()).collect();
        let cfg = CrawlConfig { robots: false, follow: Follow::Nothing, ..CrawlConfig::default() };
        let frontier = MemoryFrontier::new(Politeness { per_host: 2, delay: Duration::ZERO });
        let client = Client::new(crate::ClientConfig::default()).unwrap();
        let (handle, driver) = super::start(client, cfg, frontier, start);
        let driver = tokio::spawn(driver);
        let mut pages = Vec::new();
        loop {
            let batch = tokio::time::timeout(Duration::from_secs(10), handle.next_batch(16))
                .await
                .expect("the crawl went on after the panic")
                .unwrap();
            if batch.is_empty() {
                break;
            }
            handle.ack(batch.iter().map(|p| p.lease_id).collect());
            pages.extend(batch);
        }
        driver.await.unwrap();
        assert_eq!(pages.len(), paths.len(), "every page delivered once");
        let failed: Vec<_> = pages.iter().filter(|p| p.error.is_some()).collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].url.path(), "/panic");
        let error = failed[0].error.as_ref().unwrap();
        assert!(matches!(error, Error::Internal { .. }) && error.to_string().contains("injected"), "{error}");
        assert_eq!(handle.stats().errors, vec![("internal".to_owned(), 1)]);
    }

    #[test]
    fn error_kinds_are_named() {
        let e = Error::Timeout { url: "u".into(), kind: crate::TimeoutKind::Total, after: Duration::ZERO };
        assert_eq!(error_kind(&e), "timeout");
    }
}
