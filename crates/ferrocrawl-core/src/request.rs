//! One request as the caller describes it, before any I/O. Per-request fields left `None`
//! fall back to the session's [`ClientConfig`](crate::config::ClientConfig).

use std::time::Duration;

use bytes::Bytes;

use crate::config::{Timeouts, Tls};

#[derive(Debug, Clone, Default)]
pub struct RequestBody {
    pub bytes: Bytes,
    /// Content-Type to send unless the caller set one.
    pub content_type: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct RequestSpec {
    pub method: String,
    pub url: String,
    pub params: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    pub body: Option<RequestBody>,
    /// `Some(None)` turns the session proxy off for this request.
    pub proxy: Option<Option<String>>,
    pub tls: Option<Tls>,
    pub timeouts: Option<Timeouts>,
    pub allow_redirects: bool,
    pub max_redirects: Option<usize>,
    pub raise_for_status: Option<bool>,
    pub max_body_size: Option<u64>,
    /// With `allow_redirects=false`, a redirect comes back without its body (never read, never
    /// decoded): the crawl follows hops itself and has no use for it, and a 3xx body can be a
    /// decompression bomb like any other.
    pub skip_redirect_body: bool,
}

impl RequestSpec {
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        RequestSpec {
            method: method.into(),
            url: url.into(),
            params: Vec::new(),
            headers: Vec::new(),
            cookies: Vec::new(),
            body: None,
            proxy: None,
            tls: None,
            timeouts: None,
            allow_redirects: true,
            max_redirects: None,
            raise_for_status: None,
            max_body_size: None,
            skip_redirect_body: false,
        }
    }

    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    #[must_use]
    pub fn with_total_timeout(mut self, total: Duration) -> Self {
        let mut t = self.timeouts.unwrap_or_default();
        t.total = Some(total);
        self.timeouts = Some(t);
        self
    }
}
