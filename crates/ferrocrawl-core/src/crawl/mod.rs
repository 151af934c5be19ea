//! The crawler: frontier (queue, seen-set, politeness) and its stores.

pub mod frontier;
pub mod store;
