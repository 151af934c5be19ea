//! Item sinks: crawl results written from Rust to files (JSON lines, CSV), SQLite, Redis
//! (hash, list, stream) and MySQL/MariaDB, in batches, with backpressure.
//!
//! A crawl acknowledges a page to its state only once the page's item is written by every
//! sink, so after a kill and a resume nothing is lost; keyed sinks (tables, a Redis hash)
//! upsert by URL and file sinks are cut back to the length the state recorded with the
//! acknowledgements, so nothing is doubled either. Redis lists and streams are at-least-once.

mod backend;
mod fanout;
mod file;
mod item;
mod mysql;
mod redis;
mod schema;
mod spec;
mod sqlite;
mod writer;

pub use fanout::{mark_key, Sinks};
pub use item::{iso_utc, Item, PageField};
pub use schema::{crawl_columns, Column, ColumnType};
pub use spec::{FileFormat, RedisType, SinkSpec, Target};
pub use writer::{Progress, Sink, SinkOptions};
