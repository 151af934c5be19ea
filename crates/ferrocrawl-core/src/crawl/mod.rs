//! The crawler: a frontier of canonical URLs with per-host politeness, robots.txt and
//! sitemaps, fetched by the client and analysed (links, extract rules) in Rust. See
//! [`engine`] for the loop and [`frontier`] for the queue it drives.

pub mod canon;
pub mod config;
pub mod engine;
pub mod extract;
pub mod frontier;
pub mod page;
pub mod policy;
pub mod robots;
pub mod sitemap;
pub mod stats;
pub mod store;

pub use canon::{canonicalize, fingerprint, host_key};
pub use config::CrawlConfig;
pub use engine::{start, CrawlHandle};
pub use extract::{Follow, Rules, Value};
pub use page::Page;
pub use policy::Policy;
pub use stats::Snapshot;
