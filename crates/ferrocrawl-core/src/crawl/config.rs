//! A crawl's options, with their defaults in one place. The client options (headers, proxy,
//! timeouts, body size) live in the [`Client`](crate::Client) the crawl is given.

use std::path::PathBuf;
use std::time::Duration;

use super::extract::{Follow, Rules};
use super::policy::Policy;
use crate::sink::{PageField, SinkSpec};

/// Upper bound of one retry wait, computed or asked for by `Retry-After`.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// Redirect hops followed from one queued URL.
pub const MAX_REDIRECTS: u32 = 10;
/// Times a URL waits for its host's robots.txt to become reachable (2 s, then 4 s) before it
/// is delivered as an error (RFC 9309: 5xx or unreachable means "disallow all, try later").
pub const MAX_ROBOTS_WAITS: u32 = 2;
/// Pages fetched but not yet taken by the consumer; fetching pauses while this many wait.
pub const DEFAULT_BUFFER: usize = 256;

#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub policy: Policy,
    pub follow: Follow,
    pub extract: Rules,
    /// Requests in flight over all hosts.
    pub concurrency: usize,
    /// Requests in flight on one host (`host:port`).
    pub per_host: usize,
    /// Minimum time between request starts on one host.
    pub delay: Duration,
    /// Global requests per second (a token bucket without bursts); `None`: no global rate.
    pub rate: Option<f64>,
    pub robots: bool,
    pub sitemaps: bool,
    /// Further attempts after a transient error or a 408/429/5xx answer.
    pub retries: u32,
    /// First retry wait; doubles per attempt, with jitter.
    pub retry_backoff: Duration,
    /// Stop after this many pages (counting pages delivered by earlier runs of a resumed crawl).
    pub max_pages: Option<u64>,
    /// The on-disk state of a resumable crawl; `None` keeps everything in memory.
    pub state: Option<PathBuf>,
    /// Pages fetched ahead of the consumer.
    pub buffer: usize,
    /// The product token robots.txt groups are matched against.
    pub user_agent: String,
    /// Where each 2xx page's item goes (`sink=`); opened when the crawl starts.
    pub sinks: Vec<SinkSpec>,
    /// Page fields added to each item sent to the sinks (`sink_fields=`).
    pub sink_fields: Vec<PageField>,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            policy: Policy::default(),
            follow: Follow::All,
            extract: Rules::default(),
            concurrency: 64,
            per_host: 8,
            delay: Duration::ZERO,
            rate: None,
            robots: true,
            sitemaps: false,
            retries: 2,
            retry_backoff: Duration::from_millis(500),
            max_pages: None,
            state: None,
            buffer: DEFAULT_BUFFER,
            user_agent: crate::config::DEFAULT_USER_AGENT.to_owned(),
            sinks: Vec::new(),
            sink_fields: Vec::new(),
        }
    }
}
