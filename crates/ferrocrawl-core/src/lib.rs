//! ferrocrawl's engine, free of Python: the HTTP client, text decoding, downloads and HTML
//! querying, and the crawler's parts. The `ferrocrawl` extension crate is the only place that knows about pyo3.

#![forbid(unsafe_code)]

pub mod batch;
pub mod charset;
pub mod client;
pub mod codings;
pub mod config;
pub mod cookies;
pub mod crawl;
pub mod download;
pub mod error;
pub mod files;
pub mod html;
pub mod netguard;
pub mod request;
pub mod response;
pub mod retry;
pub mod sink;
#[cfg(test)]
mod test_server;
pub mod tls;

pub use client::Client;
pub use config::ClientConfig;
pub use error::{Error, Result, TimeoutKind};
pub use request::{RequestBody, RequestSpec};
pub use reqwest;
pub use response::{Response, ResponseHead};
