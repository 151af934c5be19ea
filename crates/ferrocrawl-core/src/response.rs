//! A fetched response: head and whole (decoded) body, read before it reaches Python.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{StatusCode, Version};
use url::Url;

/// Status line and headers of one hop; redirects keep these in `history`.
#[derive(Debug, Clone)]
pub struct ResponseHead {
    pub status: StatusCode,
    pub version: Version,
    pub url: Url,
    pub headers: HeaderMap,
}

impl ResponseHead {
    pub fn reason(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("")
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    pub fn version_str(&self) -> &'static str {
        match self.version {
            Version::HTTP_09 => "HTTP/0.9",
            Version::HTTP_10 => "HTTP/1.0",
            Version::HTTP_2 => "HTTP/2",
            Version::HTTP_3 => "HTTP/3",
            _ => "HTTP/1.1",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub head: ResponseHead,
    pub body: Bytes,
    /// Earlier hops, oldest first.
    pub history: Vec<ResponseHead>,
    /// Attempts made (1 without retries).
    pub attempts: u32,
}
