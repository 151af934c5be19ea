//! One crawled page as the engine hands it to the consumer: plain Rust data, converted to
//! Python at the edge.

use std::time::Duration;

use url::Url;

use super::extract::Value;
use crate::{Error, Response};

#[derive(Debug)]
pub struct Page {
    /// The frontier lease this page acknowledges once the consumer has it.
    pub lease_id: u64,
    /// The URL fetched last (after redirects), canonical.
    pub url: Url,
    /// The URL as first queued, before redirects.
    pub request_url: String,
    pub depth: u32,
    pub referer: Option<String>,
    /// From the start of the last hop's request to the whole body.
    pub elapsed: Duration,
    /// The last response, if there was one (a failed page may still have one: a 503 after
    /// its retries, an offsite redirect).
    pub response: Option<Response>,
    /// The `extract=` results, in rule order; empty without rules.
    pub data: Vec<(String, Value)>,
    /// Every link found, absolute and canonical, followed or not.
    pub links: Vec<String>,
    /// Why the page failed, after its retries.
    pub error: Option<Error>,
}

impl Page {
    pub fn status(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.head.status.as_u16())
    }
}
