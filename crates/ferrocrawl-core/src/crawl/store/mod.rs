//! Frontier stores: one scheduler (per-host queues, ready-time heap, seen-set) shared by the
//! in-memory store and the SQLite store, which adds persistence around the same logic.

pub mod memory;
mod scheduler;
pub mod sqlite;

pub use memory::MemoryFrontier;
pub use sqlite::SqliteFrontier;
