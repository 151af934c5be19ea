//! The HTTP client: one reqwest transport per (proxy, TLS, deadlines) combination, sharing
//! one cookie jar and one set of concurrency limits. Redirects are followed here rather than
//! by reqwest so that every hop is checked (scheme, origin) and recorded in `history`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::cookie::CookieStore;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE,
    LOCATION, PROXY_AUTHORIZATION, SET_COOKIE, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::codings::{self, DecodeError};
use crate::config::{ClientConfig, Timeouts, Tls, MAX_HEAD_BYTES};
use crate::cookies::CookieJar;
use crate::error::{Error, Result, TimeoutKind};
use crate::netguard::{Blocked, GuardedResolver};
use crate::request::{RequestBody, RequestSpec};
use crate::response::{Response, ResponseHead};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TransportKey {
    proxy: Option<String>,
    tls: Tls,
    connect: Option<Duration>,
    read: Option<Duration>,
}

/// Headers the caller set that carry credentials: sent only to the origin asked for, as
/// reqwest's own redirect policy does (`remove_sensitive_headers`).
const CROSS_ORIGIN_DROPPED: [HeaderName; 5] =
    [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, WWW_AUTHENTICATE, HeaderName::from_static("cookie2")];

/// Transports kept besides the default one (an LRU; a linear scan of this many is cheap).
const TRANSPORT_CACHE: usize = 32;

/// Bodies smaller than this (on the wire) are decoded on the async worker.
const DECODE_INLINE_BELOW: u64 = 256 * 1024;

/// Size of the per-host semaphore map at which idle hosts are forgotten.
const PER_HOST_PRUNE_AT: usize = 1024;

#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    config: ClientConfig,
    default_key: TransportKey,
    /// The transport of requests that override nothing: no lock, no key to hash.
    default_transport: reqwest::Client,
    /// `config.headers`, parsed once.
    default_headers: Vec<(HeaderName, HeaderValue)>,
    /// Transports for requests that override proxy, TLS or deadlines, most recently used
    /// first, at most [`TRANSPORT_CACHE`]: each holds its own connection pool, and per-request
    /// proxy rotation would otherwise leave one behind per proxy.
    transports: Mutex<VecDeque<(TransportKey, reqwest::Client)>>,
    jar: CookieJar,
    limit: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A request spec resolved against the session: URL, method, deadlines, transport.
struct Prepared {
    url: Url,
    method: Method,
    timeouts: Timeouts,
    transport: reqwest::Client,
    /// The request's headers, parsed once for every hop and attempt.
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Session then request cookies as one `k=v; k2=v2` string (sent to the first origin).
    cookies: String,
    /// The body will be decoded (`fetch`): offer the codings we undo. Streamed bodies
    /// (`send`: downloads, robots.txt) are taken as sent, so nothing is offered.
    decode: bool,
}

/// Held while a request is in flight; dropping it frees the slots.
pub struct Permits {
    _host: Option<OwnedSemaphorePermit>,
    _global: OwnedSemaphorePermit,
}

impl Client {
    /// Builds the default transport at once, so a bad proxy URL or CA file fails here.
    pub fn new(config: ClientConfig) -> Result<Client> {
        Self::build(config).map_err(Error::redacted)
    }

    fn build(config: ClientConfig) -> Result<Client> {
        if config.limit == 0 {
            return Err(Error::InvalidArgument { what: "limit", reason: "must be at least 1".into() });
        }
        if config.max_headers == 0 {
            return Err(Error::InvalidArgument { what: "max_headers", reason: "must be at least 1".into() });
        }
        if config.limit_per_host == Some(0) {
            return Err(Error::InvalidArgument {
                what: "limit_per_host",
                reason: "must be at least 1 (or None)".into(),
            });
        }
        let default_key = TransportKey {
            proxy: config.proxy.clone(),
            tls: config.tls.clone(),
            connect: config.timeouts.connect,
            read: config.timeouts.read,
        };
        let default_headers = config
            .headers
            .iter()
            .map(|(k, v)| Ok((header_name(k)?, header_value(v)?)))
            .collect::<Result<Vec<_>>>()?;
        let default_transport = build_transport(&config, &default_key)?;
        let shared = Shared {
            limit: Arc::new(Semaphore::new(config.limit)),
            default_transport,
            default_headers,
            transports: Mutex::new(VecDeque::with_capacity(TRANSPORT_CACHE)),
            default_key,
            jar: CookieJar::default(),
            per_host: Mutex::new(HashMap::new()),
            config,
        };
        Ok(Client { shared: Arc::new(shared) })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// Cookies the jar would send to `url`, as `name=value` pairs.
    pub fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        self.shared.jar.cookies_for(url)
    }

    /// The session's cookie jar (shared by every transport of this client).
    pub fn cookie_jar(&self) -> &CookieJar {
        &self.shared.jar
    }

    /// Fetches a request to the end: redirects, retries, the whole body.
    pub async fn fetch(&self, spec: &RequestSpec) -> Result<Response> {
        self.fetch_inner(spec).await.map_err(Error::redacted)
    }

    async fn fetch_inner(&self, spec: &RequestSpec) -> Result<Response> {
        let req = self.prepare(spec, true).await?;
        let policy = &self.shared.config.retry;
        // A POST answered 503 or cut off mid-way may have been acted on: only the methods
        // the policy allows (idempotent ones by default) are sent again.
        let retryable = policy.allows(&req.method);
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The deadline covers the waits for connection slots too, as aiohttp's `total`
            // does (and downloads always did): a request queued behind a full pool times out.
            let result = with_deadline(req.timeouts.total, req.url.as_str(), self.attempt(&req, spec)).await;
            let wait = match &result {
                Ok(resp)
                    if attempt <= policy.retries
                        && retryable
                        && policy.statuses.contains(&resp.head.status.as_u16()) =>
                {
                    Some(policy.wait_for_response(attempt, &resp.head.headers))
                }
                Err(e) if attempt <= policy.retries && retryable && e.is_transient() => {
                    Some(policy.backoff_after(attempt))
                }
                _ => None,
            };
            let Some(wait) = wait else { break result };
            tokio::time::sleep(wait).await;
        }
        .map(|mut resp| {
            resp.attempts = attempt;
            resp
        })
        .and_then(|resp| {
            let raise = spec.raise_for_status.unwrap_or(self.shared.config.raise_for_status);
            if raise {
                check_status(&resp.head)?;
            }
            Ok(resp)
        })
    }

    /// Sends the request and follows redirects; returns the final response with its body
    /// still unread, for streaming (downloads).
    /// The body is the bytes as sent (a `Content-Encoding` is not undone): a download saves
    /// what the server serves.
    pub async fn send(&self, spec: &RequestSpec) -> Result<(reqwest::Response, Vec<ResponseHead>, Permits)> {
        let send = async {
            let req = self.prepare(spec, false).await?;
            self.follow(&req, spec).await
        };
        send.await.map_err(Error::redacted)
    }

    /// What every send needs from a spec, worked out once (not per attempt or hop).
    async fn prepare(&self, spec: &RequestSpec, decode: bool) -> Result<Prepared> {
        let url = prepare_url(spec)?;
        let method = parse_method(&spec.method)?;
        let timeouts = spec.timeouts.unwrap_or(self.shared.config.timeouts);
        let headers = spec
            .headers
            .iter()
            .map(|(k, v)| Ok((header_name(k)?, header_value(v)?)))
            .collect::<Result<Vec<_>>>()?;
        let mut cookies = String::new();
        for (k, v) in self.shared.config.cookies.iter().chain(spec.cookies.iter()) {
            push_cookie(&mut cookies, &format!("{k}={v}"));
        }
        let transport = self.transport_for(spec, &timeouts).await?;
        Ok(Prepared { url, method, timeouts, transport, headers, cookies, decode })
    }

    async fn transport_for(&self, spec: &RequestSpec, timeouts: &Timeouts) -> Result<reqwest::Client> {
        let base = &self.shared.default_key;
        if spec.proxy.is_none()
            && spec.tls.is_none()
            && (timeouts.connect, timeouts.read) == (base.connect, base.read)
        {
            return Ok(self.shared.default_transport.clone());
        }
        let key = TransportKey {
            proxy: spec.proxy.clone().unwrap_or_else(|| base.proxy.clone()),
            tls: spec.tls.clone().unwrap_or_else(|| base.tls.clone()),
            connect: timeouts.connect,
            read: timeouts.read,
        };
        self.transport(key).await
    }

    async fn transport(&self, key: TransportKey) -> Result<reqwest::Client> {
        if let Some(client) = self.cached_transport(&key) {
            return Ok(client);
        }
        // Built without the lock and off the async workers: a CA file is read and the
        // platform's roots may be loaded, both blocking.
        let shared = self.shared.clone();
        let build_key = key.clone();
        let client = tokio::task::spawn_blocking(move || build_transport(&shared.config, &build_key))
            .await
            .map_err(|e| Error::Internal { reason: format!("building a transport: {e}") })??;
        let mut cache = self.shared.transports.lock().unwrap_or_else(PoisonError::into_inner);
        // Another request may have built the same one meanwhile: keep one pool.
        if let Some(pos) = cache.iter().position(|(k, _)| *k == key) {
            return Ok(cache[pos].1.clone());
        }
        cache.push_front((key, client.clone()));
        cache.truncate(TRANSPORT_CACHE);
        Ok(client)
    }

    fn cached_transport(&self, key: &TransportKey) -> Option<reqwest::Client> {
        let mut cache = self.shared.transports.lock().unwrap_or_else(PoisonError::into_inner);
        let pos = cache.iter().position(|(k, _)| k == key)?;
        let entry = cache.remove(pos)?;
        let client = entry.1.clone();
        cache.push_front(entry);
        Some(client)
    }

    /// Waits for a per-host slot first, then a global one, so that a request queued behind
    /// a busy host does not sit on a global slot other hosts could use.
    pub async fn acquire(&self, url: &Url) -> Permits {
        let host = self.shared.config.limit_per_host.map(|n| {
            let key =
                format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0));
            let mut map = self.shared.per_host.lock().unwrap_or_else(PoisonError::into_inner);
            // A broad crawl meets many hosts: forget the idle ones (nobody holds or awaits
            // their semaphore) once the map grows, so it stays bounded by the hosts in use.
            if map.len() >= PER_HOST_PRUNE_AT && !map.contains_key(&key) {
                map.retain(|_, sem| Arc::strong_count(sem) > 1);
            }
            map.entry(key).or_insert_with(|| Arc::new(Semaphore::new(n))).clone()
        });
        let host = match host {
            Some(sem) => Some(sem.acquire_owned().await.expect("semaphore never closed")),
            None => None,
        };
        let global = self.shared.limit.clone().acquire_owned().await.expect("semaphore never closed");
        Permits { _host: host, _global: global }
    }

    async fn attempt(&self, req: &Prepared, spec: &RequestSpec) -> Result<Response> {
        let (mut resp, history, permits) = self.follow(req, spec).await?;
        // Moved, not cloned: the body reader needs only what it reads from `head` below.
        let head = ResponseHead {
            status: resp.status(),
            version: resp.version(),
            url: resp.url().clone(),
            headers: std::mem::take(resp.headers_mut()),
        };
        let limit = spec.max_body_size.unwrap_or(self.shared.config.max_body_size);
        // Redirects never turn HEAD into another method, so the final hop is HEAD iff the first was.
        let is_head = req.method == Method::HEAD;
        let body =
            if spec.skip_redirect_body && is_redirect(head.status) && head.headers.contains_key(LOCATION) {
                Bytes::new() // dropped unread: the connection is closed, not reused
            } else {
                read_body(resp, &head, limit, is_head, &req.timeouts).await?
            };
        drop(permits);
        Ok(Response { head, body, history, attempts: 1 })
    }

    /// Sends and follows redirects, checking every hop; returns the slots of the last hop,
    /// to hold while its body is read.
    async fn follow(
        &self,
        req: &Prepared,
        spec: &RequestSpec,
    ) -> Result<(reqwest::Response, Vec<ResponseHead>, Permits)> {
        let Prepared { transport, timeouts, .. } = req;
        let max_redirects = spec.max_redirects.unwrap_or(self.shared.config.max_redirects);
        let mut method = req.method.clone();
        let mut body = spec.body.clone();
        let mut url = req.url.clone();
        let origin = url.origin();
        let mut history = Vec::new();
        loop {
            if let Some(guard) = &self.shared.config.net_guard {
                guard.check_url(&url).map_err(|e| blocked(&url, &e))?;
            }
            // Each hop takes the slots of its own host (released when it redirects), so
            // limit_per_host holds for every host a redirect chain visits.
            let permits = self.acquire(&url).await;
            // Credentials the caller set go only to the origin they asked for.
            let same_origin = url.origin() == origin;
            let send = || -> Result<_> {
                let headers = self.headers_for(req, &url, same_origin, body.as_ref())?;
                let mut request = transport.request(method.clone(), url.clone()).headers(headers);
                if let Some(b) = &body {
                    request = request.body(b.bytes.clone());
                }
                Ok(request.send())
            };
            // A pooled connection the server closed as the request went out (its idle
            // timeout): an idempotent request is built and sent once more, as aiohttp and
            // urllib3 do, whatever `retries` says; a POST never is, it may have been acted on.
            let resp = match send()?.await {
                Err(e) if is_stale_connection(&e) && self.shared.config.retry.allows(&method) => {
                    send()?.await
                }
                result => result,
            }
            .map_err(|e| map_reqwest_error(&e, &url, timeouts))?;
            self.shared.jar.set_cookies(&mut resp.headers().get_all(SET_COOKIE).iter(), &url);

            let status = resp.status();
            let location = resp.headers().get(LOCATION).cloned();
            let redirect = is_redirect(status);
            let (true, Some(location)) = (spec.allow_redirects && redirect, location) else {
                return Ok((resp, history, permits));
            };
            if history.len() >= max_redirects {
                return Err(Error::TooManyRedirects { url: spec.url.clone(), max: max_redirects });
            }
            let location = String::from_utf8_lossy(location.as_bytes()).into_owned();
            let refuse = |reason: String| Error::BadRedirect {
                url: url.to_string(),
                location: location.clone(),
                reason,
            };
            check_text(location.trim()).map_err(refuse)?;
            let next = url.join(location.trim()).map_err(|e| refuse(e.to_string()))?;
            check_scheme(&next).map_err(refuse)?;
            // RFC 9110 §15.4: 303 turns anything but HEAD into GET; browsers do the same
            // for POST on 301/302. 307/308 keep method and body.
            let to_get = match status {
                StatusCode::SEE_OTHER => method != Method::HEAD,
                StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method == Method::POST,
                _ => false,
            };
            if to_get {
                method = Method::GET;
                body = None;
            }
            history.push(head_of(&resp));
            url = next;
        }
    }

    fn headers_for(
        &self,
        req: &Prepared,
        url: &Url,
        same_origin: bool,
        body: Option<&RequestBody>,
    ) -> Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        let mut cookie = String::new();
        let mut add = |name: HeaderName, value: HeaderValue| {
            if !same_origin && CROSS_ORIGIN_DROPPED.contains(&name) {
                return;
            }
            if name == COOKIE {
                push_cookie(&mut cookie, value.to_str().unwrap_or_default());
                return;
            }
            headers.insert(name, value);
        };
        for (name, value) in &self.shared.default_headers {
            add(name.clone(), value.clone());
        }
        for (name, value) in &req.headers {
            add(name.clone(), value.clone());
        }
        if same_origin {
            push_cookie(&mut cookie, &req.cookies);
        }
        if let Some(jar) = self.shared.jar.cookies(url) {
            push_cookie(&mut cookie, jar.to_str().unwrap_or_default());
        }
        if !cookie.is_empty() {
            headers.insert(COOKIE, header_value(&cookie)?);
        }
        if req.decode && !headers.contains_key(ACCEPT_ENCODING) {
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(codings::ACCEPTED));
        }
        if let Some(ct) = body.and_then(|b| b.content_type) {
            if !headers.contains_key(CONTENT_TYPE) {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
            }
        }
        Ok(headers)
    }
}

fn prepare_url(spec: &RequestSpec) -> Result<Url> {
    let invalid = |reason: String| Error::InvalidUrl { url: spec.url.clone(), reason };
    let raw = spec.url.trim();
    check_text(raw).map_err(invalid)?;
    let mut url = Url::parse(raw).map_err(|e| invalid(e.to_string()))?;
    check_scheme(&url).map_err(invalid)?;
    if !spec.params.is_empty() {
        url.query_pairs_mut().extend_pairs(spec.params.iter());
    }
    Ok(url)
}

fn push_cookie(buf: &mut String, pair: &str) {
    if pair.is_empty() {
        return;
    }
    if !buf.is_empty() {
        buf.push_str("; ");
    }
    buf.push_str(pair);
}

/// The statuses that mean "go there" (like reqwest and aiohttp): a Location on a 300, 304 or
/// 305 is not followed.
pub(crate) fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// A URL as given must not hold control characters: the WHATWG parser silently drops tab
/// and newline anywhere, so `http://ex\r\nample.com/` would be fetched as another host
/// (Python's http.client refuses them too).
pub(crate) fn check_text(raw: &str) -> std::result::Result<(), String> {
    match raw.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!("control character {c:?} in the URL")),
        None => Ok(()),
    }
}

/// http(s) with a host DNS can carry: labels of at most 63 octets, 253 in all (after IDNA).
fn check_scheme(url: &Url) -> std::result::Result<(), String> {
    match (url.scheme(), url.host()) {
        ("http" | "https", None | Some(url::Host::Domain(""))) => Err("no host".into()),
        ("http" | "https", Some(url::Host::Domain(name))) => check_host_length(name),
        ("http" | "https", Some(_)) => Ok(()),
        (other, _) => Err(format!("scheme {other:?} is not http or https")),
    }
}

fn check_host_length(name: &str) -> std::result::Result<(), String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > 253 {
        return Err(format!("host name of {} characters (DNS allows 253)", name.len()));
    }
    match name.split('.').find(|label| label.len() > 63) {
        Some(label) => Err(format!("host label of {} characters (DNS allows 63)", label.len())),
        None => Ok(()),
    }
}

fn parse_method(method: &str) -> Result<Method> {
    Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|e| Error::InvalidArgument { what: "method", reason: format!("{method:?}: {e}") })
}

fn header_name(name: &str) -> Result<HeaderName> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| Error::InvalidArgument { what: "header name", reason: format!("{name:?}: {e}") })
}

fn header_value(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value)
        .map_err(|e| Error::InvalidArgument { what: "header value", reason: format!("{value:?}: {e}") })
}

fn head_of(resp: &reqwest::Response) -> ResponseHead {
    ResponseHead {
        status: resp.status(),
        version: resp.version(),
        url: resp.url().clone(),
        headers: resp.headers().clone(),
    }
}

pub fn check_status(head: &ResponseHead) -> Result<()> {
    if head.status.is_client_error() || head.status.is_server_error() {
        return Err(Error::HttpStatus {
            url: head.url.to_string(),
            status: head.status.as_u16(),
            reason: head.reason().to_owned(),
        });
    }
    Ok(())
}

fn build_transport(config: &ClientConfig, key: &TransportKey) -> Result<reqwest::Client> {
    let invalid = |what: &'static str, e: &dyn std::fmt::Display| Error::InvalidArgument {
        what,
        reason: e.to_string(),
    };
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(config.user_agent.as_str())
        .pool_max_idle_per_host(config.limit.max(1))
        .http1_max_headers(config.max_headers)
        .tcp_nodelay(true);
    if !config.http2 {
        b = b.http1_only();
    }
    // Bodies come as sent: `read_body` undoes the codings (codings.rs), stacked ones too.
    b = b.no_gzip().no_brotli().no_zstd().no_deflate();
    if let Some(t) = key.connect {
        b = b.connect_timeout(t);
    }
    if let Some(t) = key.read {
        b = b.read_timeout(t);
    }
    if let Some(guard) = &config.net_guard {
        // A proxy resolves and connects by itself: the addresses could not be checked.
        if key.proxy.is_some() {
            return Err(invalid("proxy", &"a proxy cannot be combined with block_private_networks=True"));
        }
        b = b.dns_resolver(Arc::new(GuardedResolver(Arc::new(guard.clone()))));
    }
    b = match &key.proxy {
        Some(p) => {
            b.proxy(reqwest::Proxy::all(p.as_str()).map_err(|e| invalid("proxy", &format!("{p:?}: {e}")))?)
        }
        None => b.no_proxy(),
    };
    match &key.tls {
        Tls::Verify => {}
        Tls::Insecure => b = b.tls_danger_accept_invalid_certs(true),
        Tls::Context(ctx) => b = crate::tls::apply(b, ctx)?,
        Tls::CaFile(path) => {
            let pem = std::fs::read(path)
                .map_err(|source| Error::Io { path: path.display().to_string(), source })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| invalid("CA file", &format!("{}: {e}", path.display())))?;
            for cert in certs {
                b = b.add_root_certificate(cert);
            }
        }
    }
    b.build().map_err(|e| invalid("client options", &error_chain(&e)))
}

/// Reads the whole body, counting decoded bytes against `limit` as they arrive.
async fn read_body(
    mut resp: reqwest::Response,
    head: &ResponseHead,
    limit: u64,
    is_head: bool,
    timeouts: &Timeouts,
) -> Result<Bytes> {
    let url = &head.url;
    let too_large = || Error::BodyTooLarge { url: url.to_string(), option: "max_body_size", limit };
    let declared = head.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // A HEAD, 204 or 304 answer has no body whatever its Content-Length says (RFC 9110 §8.6).
    let status = head.status;
    let bodiless = is_head || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    if bodiless {
        return Ok(Bytes::new());
    }
    let codings = codings::parse(&head.headers)
        .map_err(|reason| Error::Protocol { url: url.to_string(), reason })?
        .unwrap_or_default();
    // The bytes on the wire count against the limit too: no coding makes them bigger
    // than what they decode to by more than a few bytes.
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // Most bodies arrive in one chunk: keep it without copying.
    let mut first: Option<Bytes> = None;
    let mut buf: Option<BytesMut> = None;
    let mut total: u64 = 0;
    while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest_error(&e, url, timeouts))? {
        total += chunk.len() as u64;
        if total > limit {
            return Err(too_large());
        }
        match (&mut first, &mut buf) {
            (None, None) => first = Some(chunk),
            (Some(f), None) => {
                let cap = declared.unwrap_or(0).min(limit).max(total) as usize;
                let mut b = BytesMut::with_capacity(cap.min(8 << 20));
                b.extend_from_slice(f);
                b.extend_from_slice(&chunk);
                first = None;
                buf = Some(b);
            }
            (_, Some(b)) => b.extend_from_slice(&chunk),
        }
    }
    let body = match (first, buf) {
        (_, Some(b)) => b.freeze(),
        (Some(f), None) => f,
        (None, None) => Bytes::new(),
    };
    if codings.is_empty() || body.is_empty() {
        return Ok(body);
    }
    let decode = move || codings::decode(&body, &codings, limit);
    // Most pages decode in well under a millisecond; a big one goes off the async workers.
    let decoded = if total < DECODE_INLINE_BELOW {
        decode()
    } else {
        tokio::task::spawn_blocking(decode)
            .await
            .map_err(|e| Error::Internal { reason: format!("decoding a body: {e}") })?
    };
    match decoded {
        Ok(out) => Ok(Bytes::from(out)),
        Err(DecodeError::TooLarge) => Err(too_large()),
        Err(DecodeError::Invalid(reason)) => Err(Error::Protocol { url: url.to_string(), reason }),
    }
}

pub(crate) async fn with_deadline<T>(
    total: Option<Duration>,
    url: &str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    match total {
        None => fut.await,
        Some(after) => tokio::time::timeout(after, fut)
            .await
            .unwrap_or_else(|_| Err(Error::Timeout { url: url.to_owned(), kind: TimeoutKind::Total, after })),
    }
}

/// The causes of `e`, joined: reqwest's own message is often just "error sending request
/// for url (...)", with the useful part (refused, reset, certificate) in the source chain.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    for err in chain(e) {
        let msg = err.to_string();
        if !out.contains(&msg) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&msg);
        }
    }
    out
}

/// `e` and its causes, outermost first.
fn chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |err| cause(*err))
}

/// The next error down the chain. An `io::Error`'s `source()` skips the error it wraps
/// (hyper-rustls wraps tokio-rustls' `io::Error(rustls::Error)` in another one), so step
/// into it instead.
fn cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a (dyn std::error::Error + 'static)> {
    match err.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref) {
        Some(inner) => Some(inner),
        None => err.source(),
    }
}

/// What the error chain of a failed request is made of, found by type (never by text: a
/// URL or a server's message may say anything).
#[derive(Debug, PartialEq, Eq)]
enum Cause {
    Blocked(String),
    HeadTooLarge,
    Tls,
    Refused,
    Other,
}

fn cause_of(e: &(dyn std::error::Error + 'static)) -> Cause {
    for err in chain(e) {
        if let Some(blocked) = err.downcast_ref::<Blocked>() {
            return Cause::Blocked(blocked.to_string());
        }
        if err.is::<rustls::Error>() {
            return Cause::Tls;
        }
        // hyper tells "too large" apart only with its server feature; its own fixed message
        // for that parse error does (never a server's text: this is hyper's error type).
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(|h| h.is_parse() && h.to_string() == "message head is too large")
        {
            return Cause::HeadTooLarge;
        }
        let io = err.downcast_ref::<std::io::Error>();
        if io.is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return Cause::Refused;
        }
    }
    Cause::Other
}

/// The server closed the connection (a clean close, not a reset) before any byte of a
/// response: what a kept-alive connection does when its idle timeout fires as the request
/// arrives. A reset stays an error, for `retries` to decide on.
fn is_stale_connection(e: &reqwest::Error) -> bool {
    chain(e)
        .find_map(|err| err.downcast_ref::<hyper::Error>())
        .is_some_and(|h| h.is_incomplete_message() || h.is_canceled())
}

fn blocked(url: &Url, why: &Blocked) -> Error {
    Error::Blocked { url: url.to_string(), reason: why.to_string() }
}

pub(crate) fn map_reqwest_error(e: &reqwest::Error, url: &Url, timeouts: &Timeouts) -> Error {
    let url_s = url.to_string();
    // The top-level message quotes the URL, which the error carries anyway.
    let reason = std::error::Error::source(e).map_or_else(|| e.to_string(), error_chain);
    if e.is_timeout() {
        let (kind, after) = if e.is_connect() {
            (TimeoutKind::Connect, timeouts.connect)
        } else {
            (TimeoutKind::Read, timeouts.read)
        };
        return Error::Timeout { url: url_s, kind, after: after.unwrap_or_default() };
    }
    match cause_of(e) {
        Cause::Blocked(reason) => return Error::Blocked { url: url_s, reason },
        Cause::HeadTooLarge => {
            let reason = format!(
                "{reason}: the response head is over max_headers= lines (100 by default) or {} KiB",
                MAX_HEAD_BYTES / 1024
            );
            return Error::Protocol { url: url_s, reason };
        }
        Cause::Tls => return Error::Tls { url: url_s, reason },
        Cause::Refused => return Error::Connect { url: url_s, reason },
        Cause::Other => {}
    }
    if e.is_connect() {
        return Error::Connect { url: url_s, reason };
    }
    if e.is_builder() {
        return Error::InvalidUrl { url: url_s, reason };
    }
    Error::Protocol { url: url_s, reason }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use super::*;

    #[test]
    fn urls_with_control_characters_or_overlong_hosts_are_refused() {
        let spec = |url: &str| RequestSpec::get(url);
        for bad in ["http://ex\r\nample.com/", "http://h/a\r\nX-Injected: 1", "http://h/\ta", "http://h/\0"] {
            let e = prepare_url(&spec(bad)).unwrap_err().to_string();
            assert!(e.contains("control character"), "{bad:?}: {e}");
        }
        let label = format!("http://{}.example/", "a".repeat(64));
        assert!(prepare_url(&spec(&label)).unwrap_err().to_string().contains("DNS allows 63"));
        let name = format!("http://{}example/", format!("{}.", "a".repeat(60)).repeat(5));
        assert!(prepare_url(&spec(&name)).unwrap_err().to_string().contains("DNS allows 253"));
        for good in [
            "  http://h/a  ",
            "http://a.b.c/",
            "http://[::1]:8/",
            "http://127.0.0.1/",
            "http://xn--bcher-kva.example./",
        ] {
            assert!(prepare_url(&spec(good)).is_ok(), "{good}");
        }
    }
    use crate::config::RetryPolicy;
    use crate::netguard::NetGuard;
    use crate::test_server::{closed_port, Reply, TestServer};

    /// A client whose total deadline keeps a broken test from hanging.
    fn client(config: ClientConfig) -> Client {
        Client::new(ClientConfig {
            timeouts: Timeouts { total: Some(Duration::from_secs(5)), ..Timeouts::default() },
            ..config
        })
        .unwrap()
    }

    fn default_client() -> Client {
        client(ClientConfig::default())
    }

    #[tokio::test]
    async fn get_returns_status_headers_and_body() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/hello" => Reply::ok("hello, world").header("Content-Type", "text/plain; charset=utf-8"),
            _ => Reply::status(404),
        })
        .await;
        let resp = default_client().fetch(&RequestSpec::get(server.url("/hello"))).await.unwrap();
        assert_eq!(resp.head.status, StatusCode::OK);
        assert_eq!(resp.head.content_type(), Some("text/plain; charset=utf-8"));
        assert_eq!(&resp.body[..], b"hello, world");
        assert_eq!(resp.head.url.as_str(), server.url("/hello"));
        assert!(resp.history.is_empty());
        assert_eq!(resp.attempts, 1);

        let seen = server.requests();
        assert_eq!(seen.len(), 1);
        assert_eq!((seen[0].method.as_str(), seen[0].path.as_str()), ("GET", "/hello"));
        assert_eq!(seen[0].header("user-agent"), Some(crate::config::DEFAULT_USER_AGENT));

        // A 404 is a response, not an error, unless raise_for_status is on.
        let resp = default_client().fetch(&RequestSpec::get(server.url("/missing"))).await.unwrap();
        assert_eq!(resp.head.status, StatusCode::NOT_FOUND);
        let mut spec = RequestSpec::get(server.url("/missing"));
        spec.raise_for_status = Some(true);
        let err = default_client().fetch(&spec).await.unwrap_err();
        assert!(matches!(err, Error::HttpStatus { status: 404, .. }), "{err}");
    }

    #[tokio::test]
    async fn redirects_are_followed_and_kept_in_history() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/a" => Reply::redirect(301, "/b"),
            "/b" => Reply::redirect(302, "c"),
            "/c" => Reply::ok("end"),
            _ => Reply::status(404),
        })
        .await;
        let resp = default_client().fetch(&RequestSpec::get(server.url("/a"))).await.unwrap();
        assert_eq!(&resp.body[..], b"end");
        assert_eq!(resp.head.url.as_str(), server.url("/c"));
        let hops: Vec<(u16, String)> =
            resp.history.iter().map(|h| (h.status.as_u16(), h.url.path().to_owned())).collect();
        assert_eq!(hops, [(301, "/a".to_owned()), (302, "/b".to_owned())]);

        // allow_redirects=false returns the redirect itself.
        let mut spec = RequestSpec::get(server.url("/a"));
        spec.allow_redirects = false;
        let resp = default_client().fetch(&spec).await.unwrap();
        assert_eq!(resp.head.status, StatusCode::MOVED_PERMANENTLY);
        assert!(resp.history.is_empty());
    }

    #[tokio::test]
    async fn see_other_turns_post_into_get_and_307_keeps_it() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/form" => Reply::redirect(303, "/done"),
            "/keep" => Reply::redirect(307, "/done"),
            _ => Reply::ok("ok"),
        })
        .await;
        let post = |path: &str| {
            let mut spec = RequestSpec::new("post", server.url(path));
            spec.body =
                Some(RequestBody { bytes: Bytes::from_static(b"a=1"), content_type: Some("text/plain") });
            spec
        };
        let resp = default_client().fetch(&post("/form")).await.unwrap();
        assert_eq!(resp.history[0].status, StatusCode::SEE_OTHER);
        let resp2 = default_client().fetch(&post("/keep")).await.unwrap();
        assert_eq!(resp2.history[0].status, StatusCode::TEMPORARY_REDIRECT);

        let seen: Vec<(String, String, Vec<u8>)> =
            server.requests().into_iter().map(|r| (r.method, r.path, r.body)).collect();
        let want = [
            ("POST", "/form", &b"a=1"[..]),
            ("GET", "/done", b""),
            ("POST", "/keep", b"a=1"),
            ("POST", "/done", b"a=1"),
        ];
        assert_eq!(seen.len(), want.len(), "{seen:?}");
        for ((method, path, body), (m, p, b)) in seen.iter().zip(want) {
            assert_eq!((method.as_str(), path.as_str(), &body[..]), (m, p, b));
        }
        let get = &server.requests()[1];
        assert_eq!(get.header("content-type"), None, "the body's Content-Type went with the body");
    }

    #[tokio::test]
    async fn credentials_do_not_follow_a_redirect_to_another_origin() {
        let other = TestServer::start(|_| Reply::ok("other")).await;
        let elsewhere = other.url("/landing");
        let server = TestServer::start(move |req| match req.path.as_str() {
            "/away" => Reply::redirect(302, &elsewhere),
            "/here" => Reply::redirect(302, "/landing"),
            _ => Reply::ok("same"),
        })
        .await;
        let config = ClientConfig {
            headers: vec![("Authorization".into(), "Bearer session".into())],
            cookies: vec![("sess".into(), "s1".into())],
            ..ClientConfig::default()
        };
        let c = client(config);
        let spec = |path: &str| {
            let mut spec = RequestSpec::get(server.url(path));
            spec.headers.push(("Cookie".into(), "hdr=h1".into()));
            for name in ["Proxy-Authorization", "Cookie2", "WWW-Authenticate"] {
                spec.headers.push((name.into(), "secret".into()));
            }
            spec.cookies.push(("req".into(), "r1".into()));
            spec
        };

        let resp = c.fetch(&spec("/away")).await.unwrap();
        assert_eq!(&resp.body[..], b"other");
        let first = &server.requests()[0];
        assert_eq!(first.header("authorization"), Some("Bearer session"));
        let cookie = first.header("cookie").unwrap();
        for pair in ["hdr=h1", "sess=s1", "req=r1"] {
            assert!(cookie.contains(pair), "{cookie}");
        }
        let landed = &other.requests()[0];
        assert_eq!(landed.path, "/landing");
        for name in ["authorization", "cookie", "proxy-authorization", "cookie2", "www-authenticate"] {
            assert_eq!(landed.header(name), None, "{name} went to another origin");
            assert!(first.header(name).is_some(), "{name} was not sent to the first origin");
        }

        // Same origin: the credentials stay.
        c.fetch(&spec("/here")).await.unwrap();
        let seen = server.requests();
        let landed = seen.last().unwrap();
        assert_eq!(landed.path, "/landing");
        assert_eq!(landed.header("authorization"), Some("Bearer session"));
        assert!(landed.header("cookie").is_some_and(|c| c.contains("req=r1")));
    }

    #[tokio::test]
    async fn only_redirect_statuses_are_followed() {
        // A Location header on a 304 or 300 is not an instruction to go there.
        let server = TestServer::start(|req| match req.path.as_str() {
            "/not-modified" => Reply::status(304).header("Location", "/elsewhere"),
            "/choices" => Reply::status(300).header("Location", "/elsewhere").body("pick one"),
            "/permanent" => Reply::redirect(308, "/elsewhere"),
            _ => Reply::ok("elsewhere"),
        })
        .await;
        let c = default_client();
        let resp = c.fetch(&RequestSpec::get(server.url("/not-modified"))).await.unwrap();
        assert_eq!((resp.head.status.as_u16(), resp.history.len()), (304, 0));
        let resp = c.fetch(&RequestSpec::get(server.url("/choices"))).await.unwrap();
        assert_eq!((resp.head.status.as_u16(), &resp.body[..]), (300, &b"pick one"[..]));
        let resp = c.fetch(&RequestSpec::get(server.url("/permanent"))).await.unwrap();
        assert_eq!((resp.head.status.as_u16(), resp.history.len()), (200, 1));
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn redirect_to_another_scheme_is_refused() {
        let server = TestServer::start(|_| Reply::redirect(302, "ftp://127.0.0.1/file")).await;
        let err = default_client().fetch(&RequestSpec::get(server.url("/"))).await.unwrap_err();
        match err {
            Error::BadRedirect { location, .. } => assert_eq!(location, "ftp://127.0.0.1/file"),
            other => panic!("{other}"),
        }
    }

    fn guarded(allow: &[&str]) -> Client {
        let guard = NetGuard { allow: allow.iter().map(|n| n.parse().unwrap()).collect() };
        client(ClientConfig { net_guard: Some(guard), ..ClientConfig::default() })
    }

    #[tokio::test]
    async fn block_private_networks_checks_addresses_names_and_every_hop() {
        let server = TestServer::start(|r| match r.path.as_str() {
            "/out" => Reply::redirect(302, "http://127.0.0.2:9/in"),
            _ => Reply::ok("in"),
        })
        .await;
        let blocked = |e: Error| match e {
            Error::Blocked { reason, .. } => reason,
            other => panic!("{other}"),
        };
        // an address, and a name whose DNS answer is loopback
        let e = guarded(&[]).fetch(&RequestSpec::get(server.url("/"))).await.unwrap_err();
        assert!(blocked(e).contains("127.0.0.1 is not a public address"));
        let by_name = server.url("/").replace("127.0.0.1", "localhost");
        let e = guarded(&[]).fetch(&RequestSpec::get(by_name)).await.unwrap_err();
        blocked(e);
        // an allowed network is reached; a redirect out of it is refused before it is sent
        let allowed = guarded(&["127.0.0.1/32"]);
        assert_eq!(allowed.fetch(&RequestSpec::get(server.url("/"))).await.unwrap().body.as_ref(), b"in");
        let e = allowed.fetch(&RequestSpec::get(server.url("/out"))).await.unwrap_err();
        assert!(blocked(e).contains("127.0.0.2"));
        assert_eq!(server.requests().len(), 2, "nothing was sent to a refused host");
        // a proxy would resolve names itself: refused rather than unchecked
        let with_proxy = ClientConfig {
            net_guard: Some(NetGuard::default()),
            proxy: Some("http://127.0.0.1:1".into()),
            ..ClientConfig::default()
        };
        assert!(matches!(Client::new(with_proxy), Err(Error::InvalidArgument { what: "proxy", .. })));
    }

    #[tokio::test]
    async fn redirect_loop_stops_at_max_redirects() {
        let server = TestServer::start(|_| Reply::redirect(302, "/loop")).await;
        let err = default_client().fetch(&RequestSpec::get(server.url("/loop"))).await.unwrap_err();
        assert!(matches!(err, Error::TooManyRedirects { max: 10, .. }), "{err}");
        assert_eq!(server.requests().len(), 11, "the first request and 10 redirects");

        let mut spec = RequestSpec::get(server.url("/loop"));
        spec.max_redirects = Some(2);
        let err = default_client().fetch(&spec).await.unwrap_err();
        assert!(matches!(err, Error::TooManyRedirects { max: 2, .. }), "{err}");
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[tokio::test]
    async fn max_body_size_counts_decoded_bytes() {
        let bomb = gzip(&vec![0u8; 4 << 20]);
        assert!(bomb.len() < 16 << 10, "small on the wire: {}", bomb.len());
        let small = gzip(b"fine");
        let server = TestServer::start(move |req| match req.path.as_str() {
            "/bomb" => Reply::ok(bomb.clone()).header("Content-Encoding", "gzip"),
            "/small" => Reply::ok(small.clone()).header("Content-Encoding", "gzip"),
            _ => Reply::ok(vec![b'x'; 2 << 20]),
        })
        .await;
        let c = client(ClientConfig { max_body_size: 1 << 20, ..ClientConfig::default() });

        let err = c.fetch(&RequestSpec::get(server.url("/bomb"))).await.unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { limit: 1_048_576, .. }), "{err}");
        // Plain bodies are refused on their Content-Length.
        let err = c.fetch(&RequestSpec::get(server.url("/plain"))).await.unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { .. }), "{err}");
        // Small compressed bodies arrive decoded.
        let resp = c.fetch(&RequestSpec::get(server.url("/small"))).await.unwrap();
        assert_eq!(&resp.body[..], b"fine");
        // A per-request limit overrides the session's.
        let mut spec = RequestSpec::get(server.url("/bomb"));
        spec.max_body_size = Some(8 << 20);
        assert_eq!(c.fetch(&spec).await.unwrap().body.len(), 4 << 20);
    }

    #[tokio::test]
    async fn content_length_of_a_bodiless_answer_is_not_a_body() {
        // HEAD and 304 carry the Content-Length of the body a GET would get; nothing follows.
        let server = TestServer::start(|req| match (req.method.as_str(), req.path.as_str()) {
            ("HEAD", _) => Reply::ok("").header("Content-Length", "2097152"),
            (_, "/cached") => Reply::status(304).header("Content-Length", "2097152"),
            _ => Reply::ok(vec![b'x'; 2 << 20]),
        })
        .await;
        let c = client(ClientConfig { max_body_size: 1 << 20, ..ClientConfig::default() });
        let resp = c.fetch(&RequestSpec::new("HEAD", server.url("/big"))).await.unwrap();
        assert_eq!(resp.head.status, StatusCode::OK);
        assert_eq!(resp.head.headers[CONTENT_LENGTH], "2097152");
        assert!(resp.body.is_empty());
        let resp = c.fetch(&RequestSpec::get(server.url("/cached"))).await.unwrap();
        assert_eq!(resp.head.status, StatusCode::NOT_MODIFIED);
        let err = c.fetch(&RequestSpec::get(server.url("/big"))).await.unwrap_err();
        assert!(matches!(err, Error::BodyTooLarge { .. }), "{err}");
    }

    #[tokio::test]
    async fn retries_503_after_retry_after() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let server = TestServer::start(move |_| {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::status(503).header("Retry-After", "0")
            } else {
                Reply::ok("second time")
            }
        })
        .await;
        let retry = RetryPolicy { retries: 3, backoff: Duration::from_secs(10), ..RetryPolicy::default() };
        let c = client(ClientConfig { retry, ..ClientConfig::default() });
        let started = Instant::now();
        let resp = c.fetch(&RequestSpec::get(server.url("/"))).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "Retry-After: 0 beats the 10 s backoff");
        assert_eq!(resp.head.status, StatusCode::OK);
        assert_eq!(&resp.body[..], b"second time");
        assert_eq!(resp.attempts, 2);
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        // Without retries the 503 is the answer.
        calls.store(0, Ordering::SeqCst);
        let resp = default_client().fetch(&RequestSpec::get(server.url("/"))).await.unwrap();
        assert_eq!((resp.head.status.as_u16(), resp.attempts), (503, 1));
    }

    #[tokio::test]
    async fn a_503_post_is_sent_once_unless_the_policy_allows_post() {
        let server = TestServer::start(|_| Reply::status(503).header("Retry-After", "0")).await;
        let retry = RetryPolicy { retries: 2, ..RetryPolicy::default() };
        let post = || RequestSpec::new("POST", server.url("/order"));
        let c = client(ClientConfig { retry: retry.clone(), ..ClientConfig::default() });
        assert_eq!(c.fetch(&post()).await.unwrap().attempts, 1);
        assert_eq!(server.requests().len(), 1, "a POST answered 503 is not sent again");

        let methods = vec![Method::POST];
        let c = client(ClientConfig { retry: RetryPolicy { methods, ..retry }, ..ClientConfig::default() });
        assert_eq!(c.fetch(&post()).await.unwrap().attempts, 3);
        assert_eq!(server.requests().len(), 4);
    }

    #[tokio::test]
    async fn limit_per_host_holds_on_every_hop_of_a_redirect() {
        let target = TestServer::start(|_| Reply::ok("x").delay(Duration::from_millis(100))).await;
        let landing = target.url("/landing");
        let via = TestServer::start(move |_| Reply::redirect(302, &landing)).await;
        let c = client(ClientConfig { limit_per_host: Some(1), ..ClientConfig::default() });
        let specs: Vec<RequestSpec> = (0..6)
            .map(|i| RequestSpec::get(if i % 2 == 0 { target.url("/direct") } else { via.url("/hop") }))
            .collect();
        for resp in futures_util::future::join_all(specs.iter().map(|s| c.fetch(s))).await {
            assert_eq!(&resp.unwrap().body[..], b"x");
        }
        assert_eq!(target.requests().len(), 6);
        assert!(target.max_in_flight() <= 1, "{} at once on one host", target.max_in_flight());
    }

    #[tokio::test]
    async fn per_request_proxies_do_not_grow_the_transport_cache() {
        let c = default_client();
        let timeouts = c.shared.config.timeouts;
        let cached = || c.shared.transports.lock().unwrap().len();
        for port in 1..=(TRANSPORT_CACHE as u16 + 8) {
            let mut spec = RequestSpec::get("http://127.0.0.1/");
            spec.proxy = Some(Some(format!("http://127.0.0.1:{port}")));
            c.transport_for(&spec, &timeouts).await.unwrap();
            c.transport_for(&spec, &timeouts).await.unwrap(); // reused, not built again
            assert_eq!(cached(), usize::from(port).min(TRANSPORT_CACHE));
        }
    }

    #[tokio::test]
    async fn idle_per_host_limits_are_forgotten() {
        let c = client(ClientConfig { limit_per_host: Some(2), ..ClientConfig::default() });
        for port in 1..=(PER_HOST_PRUNE_AT as u16 + 10) {
            let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
            drop(c.acquire(&url).await);
        }
        let held = c.acquire(&Url::parse("http://127.0.0.1:1/").unwrap()).await;
        let size = c.shared.per_host.lock().unwrap().len();
        assert!(size <= PER_HOST_PRUNE_AT, "map kept {size} idle hosts");
        drop(held);
    }

    #[tokio::test]
    async fn broken_connections_retry_only_idempotent_methods() {
        let server = TestServer::start(|_| Reply::ok(vec![b'x'; 1000]).truncate(100)).await;
        let retry = RetryPolicy { retries: 2, backoff: Duration::from_millis(1), ..RetryPolicy::default() };
        let c = client(ClientConfig { retry, ..ClientConfig::default() });
        let err = c.fetch(&RequestSpec::get(server.url("/get"))).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        let err = c.fetch(&RequestSpec::new("POST", server.url("/post"))).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        assert_eq!(paths.iter().filter(|p| *p == "/get").count(), 3, "GET: first try + 2 retries");
        assert_eq!(paths.iter().filter(|p| *p == "/post").count(), 1, "a POST is never sent twice");
    }

    #[tokio::test]
    async fn total_timeout() {
        let server = TestServer::start(|_| Reply::ok("late").delay(Duration::from_secs(10))).await;
        let spec = RequestSpec::get(server.url("/slow")).with_total_timeout(Duration::from_millis(200));
        let started = Instant::now();
        let err = default_client().fetch(&spec).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        match err {
            Error::Timeout { kind: TimeoutKind::Total, after, url } => {
                assert_eq!(after, Duration::from_millis(200));
                assert_eq!(url, server.url("/slow"));
            }
            other => panic!("{other}"),
        }
    }

    #[tokio::test]
    async fn connection_refused() {
        let url = format!("http://127.0.0.1:{}/", closed_port().await);
        let err = default_client().fetch(&RequestSpec::get(url.clone())).await.unwrap_err();
        assert!(matches!(&err, Error::Connect { url: u, .. } if *u == url), "{err}");
        assert!(err.is_transient());
    }

    #[tokio::test]
    async fn credentials_in_the_url_stay_out_of_errors() {
        let url = format!("http://user:secret@127.0.0.1:{}/x", closed_port().await);
        let err = default_client().fetch(&RequestSpec::get(url.clone())).await.unwrap_err();
        assert!(matches!(err, Error::Connect { .. }), "{err}");
        assert_eq!(err.url(), Some(url.replace("user:secret@", "").as_str()));
        assert!(!err.to_string().contains("secret"), "{err}");

        let proxy = "http://puser:psecret@[::1".to_owned();
        let Err(err) = Client::new(ClientConfig { proxy: Some(proxy), ..ClientConfig::default() }) else {
            panic!("a bad proxy URL is refused")
        };
        assert!(!err.to_string().contains("psecret"), "{err}");
    }

    #[tokio::test]
    async fn errors_are_classified_by_type_not_text() {
        // Every word the old substring test looked for, in the URL of a refused connection.
        let url = format!("http://127.0.0.1:{}/tls/handshake/certificate", closed_port().await);
        let err = default_client().fetch(&RequestSpec::get(url)).await.unwrap_err();
        assert!(matches!(err, Error::Connect { .. }), "{err:?}");

        // As hyper-rustls hands it over: an io::Error around tokio-rustls' io::Error.
        let tls = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        assert_eq!(cause_of(&tls), Cause::Tls);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(cause_of(&refused), Cause::Refused);
        let text = std::io::Error::other("tls certificate handshake failed");
        assert_eq!(cause_of(&text), Cause::Other);
        assert!(error_chain(&tls).contains("UnknownIssuer") || error_chain(&tls).contains("issuer"));
    }

    #[tokio::test]
    async fn invalid_urls_and_schemes() {
        for url in ["not a url", "http://", "/relative/path", "ftp://127.0.0.1/file", "file:///etc/passwd"] {
            let err = default_client().fetch(&RequestSpec::get(url)).await.unwrap_err();
            assert!(matches!(&err, Error::InvalidUrl { url: u, .. } if u == url), "{url}: {err}");
        }
    }

    #[tokio::test]
    async fn limit_per_host_keeps_one_request_in_flight() {
        let server = TestServer::start(|_| Reply::ok("x").delay(Duration::from_millis(40))).await;
        let fetch_four = |c: Client| {
            let urls: Vec<String> = (0..4).map(|i| server.url(&format!("/{i}"))).collect();
            async move {
                let spec: Vec<RequestSpec> = urls.into_iter().map(RequestSpec::get).collect();
                futures_util::future::join_all(spec.iter().map(|s| c.fetch(s))).await
            }
        };

        let limited = client(ClientConfig { limit_per_host: Some(1), ..ClientConfig::default() });
        for resp in fetch_four(limited).await {
            assert_eq!(&resp.unwrap().body[..], b"x");
        }
        assert_eq!(server.requests().len(), 4);
        assert_eq!(server.max_in_flight(), 1);

        // The server does see overlap when nothing limits it.
        fetch_four(default_client()).await;
        assert!(server.max_in_flight() > 1);
    }
}
