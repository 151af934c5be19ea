//! Placeholder (the SQLite store comes in the next commit).
