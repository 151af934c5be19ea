//! The Redis store (`frontier="redis://..."`): one crawl shared by any number of worker
//! processes on any number of machines. Queue, seen-set, leases, per-host politeness and the
//! crawl's counters live in Redis; every change is one Lua script on one partition (one hash
//! slot, so it also runs on Redis Cluster).

pub(crate) mod conn;
mod frontier;
mod options;
mod seen;

pub use frontier::RedisFrontier;
pub use options::{RedisOptions, SeenKind};
