//! The one error type of the core. The binding maps each variant to one Python exception
//! class (see `src/errors.rs` in the extension crate), so a variant is added here only when
//! Python users should be able to catch it separately.

use std::borrow::Cow;
use std::sync::LazyLock;
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

    #[error("{kind} timeout after {after:?} fetching {url} (raise it with timeout=ClientTimeout(...))")]
    Timeout { url: String, kind: TimeoutKind, after: Duration },

    #[error("cannot connect to {url}: {reason}")]
    Connect { url: String, reason: String },

    /// `block_private_networks`: the host is, or resolves only to, a non-public address.
    #[error("refused to connect to {url}: {reason}")]
    Blocked { url: String, reason: String },

    #[error(
        "TLS error for {url}: {reason} (pass `ssl=` a CA file path or an ssl.SSLContext that trusts \
         the certificate, or `ssl=False` to skip verification)"
    )]
    Tls { url: String, reason: String },

    #[error("more than {max} redirects starting at {url} (max_redirects= allows more)")]
    TooManyRedirects { url: String, max: usize },

    #[error("refused redirect from {url} to {location:?}: {reason}")]
    BadRedirect { url: String, location: String, reason: String },

    /// `option` names the limit: `max_body_size` (a decoded body) or `max_size` (a download).
    #[error("body of {url} is larger than {option}={limit} bytes; pass a larger {option}= to accept it")]
    BodyTooLarge { url: String, option: &'static str, limit: u64 },

    #[error("HTTP {status} {reason} for {url}")]
    HttpStatus { url: String, status: u16, reason: String },

    /// The connection broke or the server spoke invalid HTTP after connecting.
    #[error("error fetching {url}: {reason}")]
    Protocol { url: String, reason: String },

    #[error("invalid {what}: {reason}")]
    InvalidArgument { what: &'static str, reason: String },

    #[error("refused to write {path:?}: {reason}")]
    UnsafePath { path: String, reason: String },

    /// An item sink (`sink=`, `Sink`) failed for good: `sink` is its URL, password removed.
    #[error("sink {sink}: {reason}")]
    Sink { sink: String, reason: String },

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
            | Error::Blocked { url, .. }
            | Error::Tls { url, .. }
            | Error::TooManyRedirects { url, .. }
            | Error::BadRedirect { url, .. }
            | Error::BodyTooLarge { url, .. }
            | Error::HttpStatus { url, .. }
            | Error::Protocol { url, .. } => Some(url),
            Error::InvalidArgument { .. }
            | Error::UnsafePath { .. }
            | Error::Sink { .. }
            | Error::Io { .. }
            | Error::Internal { .. } => None,
        }
    }

    /// The same error with the credentials of every URL in it removed (`user:pass@`, in
    /// the URL and in any message quoting one, e.g. a proxy's), so that logs and tracebacks
    /// never show them. Applied where errors leave the client and the binding.
    #[must_use]
    pub fn redacted(self) -> Error {
        let r = |s: String| match redact(&s) {
            Cow::Borrowed(_) => s,
            Cow::Owned(clean) => clean,
        };
        match self {
            Error::InvalidUrl { url, reason } => Error::InvalidUrl { url: r(url), reason: r(reason) },
            Error::Timeout { url, kind, after } => Error::Timeout { url: r(url), kind, after },
            Error::Connect { url, reason } => Error::Connect { url: r(url), reason: r(reason) },
            Error::Blocked { url, reason } => Error::Blocked { url: r(url), reason: r(reason) },
            Error::Tls { url, reason } => Error::Tls { url: r(url), reason: r(reason) },
            Error::TooManyRedirects { url, max } => Error::TooManyRedirects { url: r(url), max },
            Error::BadRedirect { url, location, reason } => {
                Error::BadRedirect { url: r(url), location: r(location), reason: r(reason) }
            }
            Error::BodyTooLarge { url, option, limit } => Error::BodyTooLarge { url: r(url), option, limit },
            Error::HttpStatus { url, status, reason } => Error::HttpStatus { url: r(url), status, reason },
            Error::Protocol { url, reason } => Error::Protocol { url: r(url), reason: r(reason) },
            Error::InvalidArgument { what, reason } => Error::InvalidArgument { what, reason: r(reason) },
            Error::Sink { sink, reason } => Error::Sink { sink: r(sink), reason: r(reason) },
            Error::Internal { reason } => Error::Internal { reason: r(reason) },
            e @ (Error::UnsafePath { .. } | Error::Io { .. }) => e,
        }
    }

    /// Whether a retry may succeed: connection-level failures and timeouts.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Connect { .. } | Error::Timeout { .. } | Error::Protocol { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `text` with the userinfo of every `scheme://user:pass@` in it removed. The one redaction
/// helper: errors pass through it (see [`Error::redacted`]) wherever they are built from URLs.
pub fn redact(text: &str) -> Cow<'_, str> {
    // userinfo cannot hold `/ ? # @` unescaped (RFC 3986 §3.2.1), so it ends at the first `@`
    // before any of them.
    static USERINFO: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#@\s"'<>\\]*@"#).expect("valid regex")
    });
    USERINFO.replace_all(text, "$1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_removes_userinfo_only() {
        let cases = [
            ("http://user:secret@127.0.0.1:1/x", "http://127.0.0.1:1/x"),
            ("proxy \"socks5://u:p%40ss@proxy:1080\": bad", "proxy \"socks5://proxy:1080\": bad"),
            ("a HTTPS://token@h/p and http://x:y@h2/", "a HTTPS://h/p and http://h2/"),
            ("http://h/path@not-userinfo?q=a@b#c@d", "http://h/path@not-userinfo?q=a@b#c@d"),
            ("no url here: a@b", "no url here: a@b"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text), want, "{text}");
        }
    }

    #[test]
    fn redacted_cleans_url_and_message() {
        let e = Error::Connect {
            url: "http://user:secret@h/".into(),
            reason: "via http://p:psecret@proxy:3128".into(),
        }
        .redacted();
        assert_eq!(e.url(), Some("http://h/"));
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
