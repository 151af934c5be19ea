//! The one error type of the core. The binding maps each variant to one Python exception
//! class (see `src/errors.rs` in the extension crate), so a variant is added here only when
//! Python users should be able to catch it separately.

use std::time::Duration;

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    Total,
    Connect,
    Read,
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutKind::Total => "total",
            TimeoutKind::Connect => "connect",
            TimeoutKind::Read => "read",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },

    #[error("{kind} timeout after {after:?} fetching {url}")]
    Timeout { url: String, kind: TimeoutKind, after: Duration },

    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },

    #[error("TLS error for {url}: {reason} (pass a CA file with `ca=` or `ssl=False` to skip verification)")]
    Tls { url: String, reason: String },

    #[error("more than {max} redirects starting at {url}")]
    TooManyRedirects { url: String, max: usize },

    #[error("refused redirect from {url} to {location:?}: {reason}")]
    BadRedirect { url: String, location: String, reason: String },

    #[error("body of {url} is larger than max_body_size={limit} bytes (decoded)")]
    BodyTooLarge { url: String, limit: u64 },

    #[error("HTTP {status} {reason} for {url}")]
    HttpStatus { url: String, status: u16, reason: String },

    /// The connection broke or the server spoke invalid HTTP after connecting.
    #[error("error fetching {url}: {reason}")]
    Protocol { url: String, reason: String },

    #[error("invalid {what}: {reason}")]
    InvalidArgument { what: &'static str, reason: String },

    #[error("refused to write {path:?}: {reason}")]
    UnsafePath { path: String, reason: String },

    /// A bug: a panic caught in a task. Never expected; reported instead of a crash or hang.
    #[error("internal error: {reason}")]
    Internal { reason: String },

    #[error("I/O error on {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The URL the error is about, when there is one.
    pub fn url(&self) -> Option<&str> {
        match self {
            Error::InvalidUrl { url, .. }
            | Error::Timeout { url, .. }
            | Error::Connect { url, .. }
            | Error::Tls { url, .. }
            | Error::TooManyRedirects { url, .. }
            | Error::BadRedirect { url, .. }
            | Error::BodyTooLarge { url, .. }
            | Error::HttpStatus { url, .. }
            | Error::Protocol { url, .. } => Some(url),
            Error::InvalidArgument { .. }
            | Error::UnsafePath { .. }
            | Error::Io { .. }
            | Error::Internal { .. } => None,
        }
    }

    /// Whether a retry may succeed: connection-level failures and timeouts.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::Timeout { .. } | Error::Protocol { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
