//! Which URLs a crawl may fetch. Checked for every link, every redirect hop and every URL
//! added from Python, so no path around it exists.

use std::collections::HashSet;

use url::Url;

pub use crate::html::Pattern;

#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Hosts (and their subdomains) the crawl stays on, lower case; empty: any host.
    /// A set: a crawl seeded with 10 000 sites checks each link in a few lookups.
    pub allowed_domains: HashSet<String>,
    /// A URL must match one of these, if any are given.
    pub allow: Vec<Pattern>,
    /// A URL matching one of these is never fetched.
    pub deny: Vec<Pattern>,
    /// Start URLs are depth 0; `None`: no limit.
    pub max_depth: Option<u32>,
}

/// Why a URL is not fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Offsite,
    Denied,
    TooDeep,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Offsite => "offsite",
            Refusal::Denied => "denied by allow/deny",
            Refusal::TooDeep => "deeper than max_depth",
        }
    }
}

impl Policy {
    /// Checks `url` found at `depth`.
    pub fn check(&self, url: &Url, depth: u32) -> Result<(), Refusal> {
        if self.max_depth.is_some_and(|max| depth > max) {
            return Err(Refusal::TooDeep);
        }
        if !self.is_onsite(url) {
            return Err(Refusal::Offsite);
        }
        let s = url.as_str();
        // a pattern that gives up on a URL (too much backtracking) keeps it out either way
        if self.deny.iter().any(|r| r.is_match(s).unwrap_or(true))
            || !(self.allow.is_empty() || self.allow.iter().any(|r| r.is_match(s).unwrap_or(false)))
        {
            return Err(Refusal::Denied);
        }
        Ok(())
    }

    /// Scrapy's rule: the host is an allowed domain or one of its subdomains (any port).
    pub fn is_onsite(&self, url: &Url) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        let Some(host) = url.host_str() else { return false };
        // The URL parser lower-cases host names; the host, then each parent domain.
        let mut host = host.trim_end_matches('.');
        loop {
            if self.allowed_domains.contains(host) {
                return true;
            }
            match host.split_once('.') {
                Some((_, parent)) => host = parent,
                None => return false,
            }
        }
    }
}

/// An `allow`/`deny` pattern (Python's `re` syntax, as Scrapy's), compiled.
pub fn pattern(what: &'static str, p: &str) -> crate::Result<Pattern> {
    Pattern::new(p)
        .map_err(|e| crate::Error::InvalidArgument { what, reason: format!("{p:?}: {}", e.message) })
}

/// The host of an `allowed_domains` entry, which may be written as a URL or `host:port`.
pub fn domain_of(entry: &str) -> String {
    let entry = entry.trim();
    let host = Url::parse(entry)
        .ok()
        .filter(Url::has_host)
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| entry.split(['/', ':']).next().unwrap_or("").to_owned());
    host.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn domains_match_host_and_subdomains_on_any_port() {
        let p = Policy { allowed_domains: HashSet::from(["example.com".into()]), ..Policy::default() };
        assert!(p.is_onsite(&url("http://example.com/")));
        assert!(p.is_onsite(&url("https://a.b.example.com:8443/")));
        assert!(p.is_onsite(&url("http://EXAMPLE.com./x")));
        assert!(!p.is_onsite(&url("http://badexample.com/")));
        assert!(!p.is_onsite(&url("http://example.com.evil.net/")));
        assert!(Policy::default().is_onsite(&url("http://anything.org/")));
    }

    #[test]
    fn allow_deny_and_depth() {
        let p = Policy {
            allow: vec![Pattern::new("/docs/").unwrap()],
            deny: vec![Pattern::new(r"\.pdf$").unwrap()],
            max_depth: Some(2),
            ..Policy::default()
        };
        assert_eq!(p.check(&url("http://h/docs/a"), 2), Ok(()));
        assert_eq!(p.check(&url("http://h/docs/a"), 3), Err(Refusal::TooDeep));
        assert_eq!(p.check(&url("http://h/blog/a"), 0), Err(Refusal::Denied));
        assert_eq!(p.check(&url("http://h/docs/a.pdf"), 0), Err(Refusal::Denied));
        // Python's syntax, as Scrapy's allow/deny: look-ahead works
        let only_stable =
            Policy { deny: vec![pattern("deny", r"/docs/(?!stable/)").unwrap()], ..Policy::default() };
        assert_eq!(only_stable.check(&url("http://h/docs/stable/a"), 0), Ok(()));
        assert_eq!(only_stable.check(&url("http://h/docs/v1/a"), 0), Err(Refusal::Denied));
    }

    #[test]
    fn domain_entries() {
        assert_eq!(domain_of("http://Example.COM:8080/x"), "example.com");
        assert_eq!(domain_of("example.com:8080"), "example.com");
        assert_eq!(domain_of("sub.example.com"), "sub.example.com");
    }
}
