//! The HTTP client: one reqwest transport per (proxy, TLS, deadlines) combination, sharing
//! one cookie jar and one set of concurrency limits. Redirects are followed here rather than
//! by reqwest so that every hop is checked (scheme, origin) and recorded in `history`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::cookie::CookieStore;
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION,
    SET_COOKIE,
};
use reqwest::{Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::{ClientConfig, Timeouts, Tls};
use crate::error::{Error, Result, TimeoutKind};
use crate::request::{RequestBody, RequestSpec};
use crate::response::{Response, ResponseHead};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TransportKey {
    proxy: Option<String>,
    tls: Tls,
    connect: Option<Duration>,
    read: Option<Duration>,
}

#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    config: ClientConfig,
    default_key: TransportKey,
    transports: Mutex<HashMap<TransportKey, reqwest::Client>>,
    jar: reqwest::cookie::Jar,
    limit: Arc<Semaphore>,
    per_host: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Held while a request is in flight; dropping it frees the slots.
pub struct Permits {
    _host: Option<OwnedSemaphorePermit>,
    _global: OwnedSemaphorePermit,
}

impl Client {
    /// Builds the default transport at once, so a bad proxy URL or CA file fails here.
    pub fn new(config: ClientConfig) -> Result<Client> {
        if config.limit == 0 {
            return Err(Error::InvalidArgument { what: "limit", reason: "must be at least 1".into() });
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
        let shared = Shared {
            limit: Arc::new(Semaphore::new(config.limit)),
            default_key: default_key.clone(),
            transports: Mutex::new(HashMap::new()),
            jar: reqwest::cookie::Jar::default(),
            per_host: Mutex::new(HashMap::new()),
            config,
        };
        let client = Client { shared: Arc::new(shared) };
        client.transport(&default_key)?;
        Ok(client)
    }

    pub fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// Cookies the jar would send to `url`, as `name=value` pairs.
    pub fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        let Some(header) = self.shared.jar.cookies(url) else { return Vec::new() };
        header
            .to_str()
            .unwrap_or_default()
            .split("; ")
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// Stores a cookie as if `url` had sent `Set-Cookie: <cookie>`.
    pub fn add_cookie(&self, cookie: &str, url: &Url) {
        self.shared.jar.add_cookie_str(cookie, url);
    }

    /// Fetches a request to the end: redirects, retries, the whole body.
    pub async fn fetch(&self, spec: &RequestSpec) -> Result<Response> {
        let url = prepare_url(spec)?;
        let timeouts = spec.timeouts.unwrap_or(self.shared.config.timeouts);
        let transport = self.transport_for(spec, &timeouts)?;
        let policy = &self.shared.config.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permits = self.acquire(&url).await;
            let result =
                with_deadline(timeouts.total, url.as_str(), self.attempt(&transport, spec, &url, &timeouts))
                    .await;
            drop(permits);
            let wait = match &result {
                Ok(resp)
                    if attempt <= policy.retries && policy.statuses.contains(&resp.head.status.as_u16()) =>
                {
                    Some(policy.wait_for_response(attempt, &resp.head.headers))
                }
                Err(e) if attempt <= policy.retries && e.is_transient() => {
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
    pub async fn send(&self, spec: &RequestSpec) -> Result<(reqwest::Response, Vec<ResponseHead>, Permits)> {
        let url = prepare_url(spec)?;
        let timeouts = spec.timeouts.unwrap_or(self.shared.config.timeouts);
        let transport = self.transport_for(spec, &timeouts)?;
        let permits = self.acquire(&url).await;
        let (resp, history) = self.follow(&transport, spec, &url, &timeouts).await?;
        Ok((resp, history, permits))
    }

    fn transport_for(&self, spec: &RequestSpec, timeouts: &Timeouts) -> Result<reqwest::Client> {
        let base = &self.shared.default_key;
        let key = TransportKey {
            proxy: spec.proxy.clone().unwrap_or_else(|| base.proxy.clone()),
            tls: spec.tls.clone().unwrap_or_else(|| base.tls.clone()),
            connect: timeouts.connect,
            read: timeouts.read,
        };
        self.transport(&key)
    }

    fn transport(&self, key: &TransportKey) -> Result<reqwest::Client> {
        let mut map = self.shared.transports.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = map.get(key) {
            return Ok(client.clone());
        }
        let client = build_transport(&self.shared.config, key)?;
        map.insert(key.clone(), client.clone());
        Ok(client)
    }

    /// Waits for a per-host slot first, then a global one, so that a request queued behind
    /// a busy host does not sit on a global slot other hosts could use.
    pub async fn acquire(&self, url: &Url) -> Permits {
        let host = self.shared.config.limit_per_host.map(|n| {
            let key =
                format!("{}:{}", url.host_str().unwrap_or(""), url.port_or_known_default().unwrap_or(0));
            let mut map = self.shared.per_host.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(key).or_insert_with(|| Arc::new(Semaphore::new(n))).clone()
        });
        let host = match host {
            Some(sem) => Some(sem.acquire_owned().await.expect("semaphore never closed")),
            None => None,
        };
        let global = self.shared.limit.clone().acquire_owned().await.expect("semaphore never closed");
        Permits { _host: host, _global: global }
    }

    async fn attempt(
        &self,
        transport: &reqwest::Client,
        spec: &RequestSpec,
        url: &Url,
        timeouts: &Timeouts,
    ) -> Result<Response> {
        let (resp, history) = self.follow(transport, spec, url, timeouts).await?;
        let head = head_of(&resp);
        let limit = spec.max_body_size.unwrap_or(self.shared.config.max_body_size);
        let body = read_body(resp, limit, timeouts).await?;
        Ok(Response { head, body, history, attempts: 1 })
    }

    /// Sends and follows redirects, checking every hop.
    async fn follow(
        &self,
        transport: &reqwest::Client,
        spec: &RequestSpec,
        url: &Url,
        timeouts: &Timeouts,
    ) -> Result<(reqwest::Response, Vec<ResponseHead>)> {
        let max_redirects = spec.max_redirects.unwrap_or(self.shared.config.max_redirects);
        let mut method = parse_method(&spec.method)?;
        let mut body = spec.body.clone();
        let mut url = url.clone();
        let origin = url.origin();
        let mut history = Vec::new();
        loop {
            // Credentials the caller set go only to the origin they asked for.
            let same_origin = url.origin() == origin;
            let headers = self.headers_for(spec, &url, same_origin, body.as_ref())?;
            let mut req = transport.request(method.clone(), url.clone()).headers(headers);
            if let Some(b) = &body {
                req = req.body(b.bytes.clone());
            }
            let resp = req.send().await.map_err(|e| map_reqwest_error(&e, &url, timeouts))?;
            self.shared.jar.set_cookies(&mut resp.headers().get_all(SET_COOKIE).iter(), &url);

            let status = resp.status();
            let location = resp.headers().get(LOCATION).cloned();
            let (true, Some(location)) = (spec.allow_redirects && status.is_redirection(), location) else {
                return Ok((resp, history));
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
        spec: &RequestSpec,
        url: &Url,
        same_origin: bool,
        body: Option<&RequestBody>,
    ) -> Result<HeaderMap> {
        let config = &self.shared.config;
        let mut headers = HeaderMap::new();
        let mut cookie = String::new();
        for (name, value) in config.headers.iter().chain(spec.headers.iter()) {
            let name = header_name(name)?;
            if !same_origin && (name == AUTHORIZATION || name == COOKIE) {
                continue;
            }
            if name == COOKIE {
                push_cookie(&mut cookie, value);
                continue;
            }
            headers.insert(name, header_value(value)?);
        }
        if same_origin {
            for (k, v) in config.cookies.iter().chain(spec.cookies.iter()) {
                push_cookie(&mut cookie, &format!("{k}={v}"));
            }
        }
        if let Some(jar) = self.shared.jar.cookies(url) {
            push_cookie(&mut cookie, jar.to_str().unwrap_or_default());
        }
        if !cookie.is_empty() {
            headers.insert(COOKIE, header_value(&cookie)?);
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
    let mut url = Url::parse(spec.url.trim()).map_err(|e| invalid(e.to_string()))?;
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

fn check_scheme(url: &Url) -> std::result::Result<(), String> {
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" | "https" => Err("no host".into()),
        other => Err(format!("scheme {other:?} is not http or https")),
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
        .tcp_nodelay(true);
    if !config.http2 {
        b = b.http1_only();
    }
    if let Some(t) = key.connect {
        b = b.connect_timeout(t);
    }
    if let Some(t) = key.read {
        b = b.read_timeout(t);
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
async fn read_body(mut resp: reqwest::Response, limit: u64, timeouts: &Timeouts) -> Result<Bytes> {
    let url = resp.url().clone();
    let too_large = || Error::BodyTooLarge { url: url.to_string(), limit };
    let encoded = resp.headers().contains_key(reqwest::header::CONTENT_ENCODING);
    let declared = resp.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if !encoded && declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // Most bodies arrive in one chunk: keep it without copying.
    let mut first: Option<Bytes> = None;
    let mut buf: Option<BytesMut> = None;
    let mut total: u64 = 0;
    while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest_error(&e, &url, timeouts))? {
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
    Ok(match (first, buf) {
        (_, Some(b)) => b.freeze(),
        (Some(f), None) => f,
        (None, None) => Bytes::new(),
    })
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

/// The error and its causes, joined: reqwest's own message is often just "error sending
/// request", with the useful part (refused, reset, certificate) in the source chain.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let msg = s.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        source = s.source();
    }
    out
}

pub(crate) fn map_reqwest_error(e: &reqwest::Error, url: &Url, timeouts: &Timeouts) -> Error {
    let url_s = url.to_string();
    let reason = error_chain(e);
    if e.is_timeout() {
        let (kind, after) = if e.is_connect() {
            (TimeoutKind::Connect, timeouts.connect)
        } else {
            (TimeoutKind::Read, timeouts.read)
        };
        return Error::Timeout { url: url_s, kind, after: after.unwrap_or_default() };
    }
    if e.is_connect() {
        let lower = reason.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            return Error::Tls { url: url_s, reason };
        }
        return Error::Connect { url: url_s, reason };
    }
    if e.is_builder() {
        return Error::InvalidUrl { url: url_s, reason };
    }
    Error::Protocol { url: url_s, reason }
}
