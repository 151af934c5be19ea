//! When to try again and how long to wait first.

use std::hash::BuildHasher;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::config::RetryPolicy;

impl RetryPolicy {
    /// Exponential backoff before attempt `attempt + 1` (`attempt` counts from 1), with
    /// equal jitter: between half and all of the nominal wait, so the wait still grows with
    /// each attempt but requests that failed together spread out.
    pub fn backoff_after(&self, attempt: u32) -> Duration {
        let nominal = self.nominal_backoff(attempt);
        nominal / 2 + (nominal / 2).mul_f64(unit_random())
    }

    fn nominal_backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(self.max_wait)
    }

    /// Whether requests with `method` may be sent again.
    pub fn allows(&self, method: &reqwest::Method) -> bool {
        self.methods.contains(method)
    }

    /// The wait the server asked for with `Retry-After`, else the backoff; never more than
    /// `max_wait`, so a hostile server cannot park a request for hours.
    pub fn wait_for_response(&self, attempt: u32, headers: &HeaderMap) -> Duration {
        retry_after(headers, SystemTime::now())
            .unwrap_or_else(|| self.backoff_after(attempt))
            .min(self.max_wait)
    }
}

/// A number in [0, 1): std's per-process random hash keys, mixed with the time, are enough
/// to spread retries (no cryptographic need, no extra dependency).
fn unit_random() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    #[allow(clippy::cast_precision_loss)] // 53 bits fit an f64 exactly
    let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP-date>` (RFC 9110 §10.2.3).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy {
            backoff: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let within = |attempt: u32, nominal: Duration| {
            let wait = p.backoff_after(attempt);
            assert!(nominal / 2 <= wait && wait <= nominal, "attempt {attempt}: {wait:?}");
        };
        within(1, Duration::from_millis(100));
        within(2, Duration::from_millis(200));
        within(3, Duration::from_millis(400));
        within(10, Duration::from_secs(1));
        within(u32::MAX, Duration::from_secs(1));
    }

    #[test]
    fn backoff_is_jittered() {
        // A batch that failed at the same moment must not come back at the same moment.
        let p = RetryPolicy::default();
        let waits: std::collections::HashSet<Duration> = (0..100).map(|_| p.backoff_after(2)).collect();
        assert!(waits.len() > 50, "only {} distinct waits in 100", waits.len());
    }

    #[test]
    fn only_idempotent_methods_by_default() {
        let p = RetryPolicy::default();
        for m in ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"] {
            assert!(p.allows(&m.parse().unwrap()), "{m}");
        }
        for m in ["POST", "PATCH", "CONNECT"] {
            assert!(!p.allows(&m.parse().unwrap()), "{m}");
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after(&headers("7"), now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&date), now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&past), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn server_cannot_ask_for_more_than_max_wait() {
        let p = RetryPolicy::default();
        assert_eq!(p.wait_for_response(1, &headers("86400")), p.max_wait);
    }
}
