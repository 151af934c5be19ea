//! Client options, with their defaults in one place (reqwest-builder style). Every limit is
//! a documented finite value; `None` means "no such limit" only where the docs say so.

use std::path::PathBuf;
use std::time::Duration;

use crate::netguard::NetGuard;

/// Deadlines of one attempt. `total` covers connect, redirects and the whole body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    pub total: Option<Duration>,
    pub connect: Option<Duration>,
    pub read: Option<Duration>,
}

impl Timeouts {
    /// No deadline at all (aiohttp's `timeout=None` on a request).
    pub const NONE: Timeouts = Timeouts { total: None, connect: None, read: None };
}

impl Default for Timeouts {
    fn default() -> Self {
        // aiohttp's default (3.10 on): 5 minutes in total, 30 s to connect, so a silent host
        // (a black-holed SYN, a TLS server that never answers) frees its slot long before.
        Timeouts { total: Some(Duration::from_secs(300)), connect: Some(Duration::from_secs(30)), read: None }
    }
}

/// Certificate verification.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Tls {
    /// Verify against the system's roots.
    #[default]
    Verify,
    /// Verify against the system's roots plus the PEM certificates in this file.
    CaFile(PathBuf),
    /// Accept any certificate (`ssl=False`).
    Insecure,
    /// What an `ssl.SSLContext` asks for (its CA certificates, hostname check, versions).
    Context(crate::tls::TlsContext),
}

/// Which responses are worth another attempt, and how long to wait between attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Further attempts after the first (0 = aiohttp behaviour: no retries).
    pub retries: u32,
    /// First backoff; doubles with each attempt. Each wait is drawn between half and all
    /// of it ("equal jitter"), so a batch that failed together does not retry in lockstep.
    pub backoff: Duration,
    /// Upper bound for one wait, whether computed or asked for by `Retry-After`.
    pub max_wait: Duration,
    pub statuses: Vec<u16>,
    /// Methods that are sent again, after a retryable status or a broken connection.
    /// urllib3's `Retry.allowed_methods` rule: idempotent ones only by default (RFC 9110
    /// §9.2.2), since a POST may have been acted on; a caller who knows better adds it.
    pub methods: Vec<reqwest::Method>,
}

/// urllib3's `Retry.DEFAULT_ALLOWED_METHODS`.
pub const DEFAULT_RETRY_METHODS: [reqwest::Method; 6] = [
    reqwest::Method::DELETE,
    reqwest::Method::GET,
    reqwest::Method::HEAD,
    reqwest::Method::OPTIONS,
    reqwest::Method::PUT,
    reqwest::Method::TRACE,
];

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 0,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
            statuses: vec![429, 503],
            methods: DEFAULT_RETRY_METHODS.to_vec(),
        }
    }
}

pub const DEFAULT_USER_AGENT: &str = concat!("ferrocrawl/", env!("CARGO_PKG_VERSION"));
pub const DEFAULT_MAX_BODY_SIZE: u64 = 100 * 1024 * 1024;
pub const DEFAULT_MAX_REDIRECTS: usize = 10;
pub const DEFAULT_LIMIT: usize = 100;

pub const DEFAULT_MAX_HEADERS: usize = 100;

/// A response head's bytes at most: hyper's fixed HTTP/1.1 read buffer (8 KiB + 100 × 4 KiB),
/// which reqwest does not let us change.
pub const MAX_HEAD_BYTES: usize = 8192 + 4096 * 100;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Sent with every request; request headers override them by name.
    pub headers: Vec<(String, String)>,
    /// Session cookies, sent to every host (like aiohttp's `ClientSession(cookies=...)`).
    pub cookies: Vec<(String, String)>,
    pub timeouts: Timeouts,
    /// Requests in flight at once, across hosts.
    pub limit: usize,
    /// Requests in flight at once to one host:port; `None` = only `limit` applies.
    pub limit_per_host: Option<usize>,
    /// `http://`, `https://`, `socks5://` or `socks5h://` proxy for every request.
    pub proxy: Option<String>,
    pub tls: Tls,
    pub max_redirects: usize,
    pub retry: RetryPolicy,
    /// Largest body kept in memory, counted after decompression.
    pub max_body_size: u64,
    /// Header lines in an HTTP/1.1 response head (hyper's default, 100); the head's bytes
    /// are capped at [`MAX_HEAD_BYTES`] besides.
    pub max_headers: usize,
    /// Offer HTTP/2 over TLS (ALPN). Plain http stays HTTP/1.1.
    pub http2: bool,
    pub user_agent: String,
    pub raise_for_status: bool,
    /// `block_private_networks`: connect only to public addresses (and `allow`'s networks).
    pub net_guard: Option<NetGuard>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            headers: Vec::new(),
            cookies: Vec::new(),
            timeouts: Timeouts::default(),
            limit: DEFAULT_LIMIT,
            limit_per_host: None,
            proxy: None,
            tls: Tls::Verify,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            retry: RetryPolicy::default(),
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
            http2: false,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            raise_for_status: false,
            net_guard: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_deadline_is_bounded() {
        // no "None = wait forever" for a session that says nothing: 300 s in all, 30 s to
        // connect (the read deadline is left to `total`, as in aiohttp)
        let t = Timeouts::default();
        assert_eq!((t.total, t.connect), (Some(Duration::from_secs(300)), Some(Duration::from_secs(30))));
    }
}
