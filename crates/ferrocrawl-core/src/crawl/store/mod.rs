//! Frontier stores: one scheduler (per-host queues, ready-time heap, seen-set) shared by the
//! in-memory store and the SQLite store, which adds persistence around the same logic; the
//! Redis store keeps the same state in Redis, shared by many workers.

pub mod memory;
pub mod redis;
mod scheduler;
pub mod sqlite;

pub use memory::MemoryFrontier;
pub use redis::RedisFrontier;
pub use sqlite::SqliteFrontier;
