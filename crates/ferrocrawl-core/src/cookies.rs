//! The session's cookie jar: RFC 6265 storage (cookie_store) plus what reqwest's `Jar` lacks
//! for a crawl over thousands of hosts: the public-suffix list (a cookie for `Domain=com` or
//! `Domain=github.io` is refused, as browsers do), a bound on its size, Secure cookies sent
//! over https only, and no write lock for responses that set nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use cookie_store::{Cookie, CookieDomain, CookieExpiration, CookieStore, StoreAction};
use reqwest::header::HeaderValue;
use url::Url;

/// Cookies kept in all, and per site (registrable domain, e.g. `example.co.uk`): RFC 6265
/// §6.1's minimums, which browsers exceed only a little (Chrome: 3300 and 180). Past either,
/// expired cookies go first, then the oldest.
pub const MAX_COOKIES: usize = 3000;
pub const MAX_COOKIES_PER_SITE: usize = 50;

/// One stored cookie, as the Python jar shows it (aiohttp's `Morsel` fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieInfo {
    pub name: String,
    pub value: String,
    /// The host it was set by (host-only), or its `Domain` attribute without a leading dot.
    pub domain: String,
    pub host_only: bool,
    pub path: String,
    pub secure: bool,
    pub http_only: bool,
    /// `None`: a session cookie.
    pub expires: Option<SystemTime>,
}

impl CookieInfo {
    /// `expires` as an HTTP date (`Morsel["expires"]`).
    pub fn expires_http_date(&self) -> Option<String> {
        self.expires.map(httpdate::fmt_http_date)
    }
}

/// (domain, path, name): a cookie's identity in the store.
type Key = (String, String, String);

pub struct CookieJar {
    inner: RwLock<Inner>,
    /// Entries in the store, read without the lock: most crawls never get a cookie, and
    /// their requests then skip the lock entirely.
    stored: AtomicUsize,
    max_total: usize,
    max_per_site: usize,
}

#[derive(Default)]
struct Inner {
    store: CookieStore,
    /// When each cookie was last set: the oldest is evicted first.
    set_at: HashMap<Key, u64>,
    per_site: HashMap<String, usize>,
    clock: u64,
}

impl Default for CookieJar {
    fn default() -> Self {
        CookieJar::with_limits(MAX_COOKIES, MAX_COOKIES_PER_SITE)
    }
}

impl CookieJar {
    pub fn with_limits(max_total: usize, max_per_site: usize) -> Self {
        CookieJar {
            inner: RwLock::new(Inner::default()),
            stored: AtomicUsize::new(0),
            max_total: max_total.max(1),
            max_per_site: max_per_site.max(1),
        }
    }

    /// Stores the cookies of `Set-Cookie` header values received from `url`; refused ones
    /// (public suffix, another domain, unparsable) are dropped, as a browser does.
    pub fn store<'a>(&self, headers: impl IntoIterator<Item = &'a [u8]>, url: &Url) {
        let mut cookies = headers
            .into_iter()
            .filter_map(|h| std::str::from_utf8(h).ok())
            .filter_map(|s| Cookie::parse(s, url).ok())
            .filter_map(|c| refuse_public_suffix(c.into_owned(), url))
            .peekable();
        if cookies.peek().is_none() {
            return;
        }
        let mut inner = self.write();
        for cookie in cookies {
            inner.insert(cookie, url, self.max_total, self.max_per_site);
        }
        self.stored.store(inner.set_at.len(), Ordering::Release);
    }

    /// The cookies to send to `url`, as `name=value` pairs.
    pub fn cookies_for(&self, url: &Url) -> Vec<(String, String)> {
        self.matching(url, |c| (c.name().to_owned(), c.value().to_owned()))
    }

    /// The cookies to send to `url`, in full.
    pub fn filter(&self, url: &Url) -> Vec<CookieInfo> {
        self.matching(url, info)
    }

    /// Every unexpired cookie.
    pub fn all(&self) -> Vec<CookieInfo> {
        if self.is_empty() {
            return Vec::new();
        }
        self.read().store.iter_unexpired().map(info).collect()
    }

    /// Unexpired cookies.
    pub fn len(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        self.read().store.iter_unexpired().count()
    }

    pub fn is_empty(&self) -> bool {
        self.stored.load(Ordering::Acquire) == 0
    }

    pub fn clear(&self) {
        let mut inner = self.write();
        *inner = Inner::default();
        self.stored.store(0, Ordering::Release);
    }

    /// Removes one cookie, named as [`CookieInfo`] names it.
    pub fn remove(&self, domain: &str, path: &str, name: &str) {
        let mut inner = self.write();
        inner.remove(&(domain.to_owned(), path.to_owned(), name.to_owned()));
        self.stored.store(inner.set_at.len(), Ordering::Release);
    }

    /// Removes the cookies of `domain` and its subdomains (aiohttp's `clear_domain`).
    pub fn clear_domain(&self, domain: &str) {
        let domain = domain.trim_start_matches('.').to_ascii_lowercase();
        let mut inner = self.write();
        let keys: Vec<Key> = inner
            .set_at
            .keys()
            .filter(|(d, _, _)| *d == domain || d.strip_suffix(&domain).is_some_and(|p| p.ends_with('.')))
            .cloned()
            .collect();
        for key in keys {
            inner.remove(&key);
        }
        self.stored.store(inner.set_at.len(), Ordering::Release);
    }

    fn matching<T>(&self, url: &Url, f: impl Fn(&Cookie<'static>) -> T) -> Vec<T> {
        if self.is_empty() {
            return Vec::new();
        }
        // cookie_store counts http://127.0.0.1 as a secure origin; a Secure cookie set over
        // https (any port) must still never travel in clear text, as aiohttp holds.
        let https = url.scheme() == "https";
        self.read()
            .store
            .matches(url)
            .into_iter()
            .filter(|c| https || !c.secure().unwrap_or(false))
            .map(f)
            .collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl reqwest::cookie::CookieStore for CookieJar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.store(cookie_headers.map(HeaderValue::as_bytes), url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let pairs = self.cookies_for(url);
        if pairs.is_empty() {
            return None;
        }
        let header = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        HeaderValue::from_str(&header).ok()
    }
}

impl Inner {
    fn insert(&mut self, cookie: Cookie<'static>, url: &Url, max_total: usize, max_per_site: usize) {
        let Some(domain) = cookie.domain.as_cow().map(std::borrow::Cow::into_owned) else { return };
        let key: Key = (domain, String::from(&cookie.path), cookie.name().to_owned());
        match self.store.insert(cookie, url) {
            Ok(StoreAction::Inserted) => {
                *self.per_site.entry(site(&key.0).to_owned()).or_default() += 1;
            }
            Ok(StoreAction::UpdatedExisting) => {}
            // An expired Set-Cookie deletes: take it out rather than keep it, expired.
            Ok(StoreAction::ExpiredExisting) => {
                self.remove(&key);
                return;
            }
            Err(_) => return,
        }
        self.clock += 1;
        let site = site(&key.0).to_owned();
        self.set_at.insert(key, self.clock);
        while self.per_site.get(&site).is_some_and(|n| *n > max_per_site) {
            let Some(victim) = self.victim(|(d, _, _)| self::site(d) == site) else { break };
            self.remove(&victim);
        }
        while self.set_at.len() > max_total {
            let Some(victim) = self.victim(|_| true) else { break };
            self.remove(&victim);
        }
    }

    /// The cookie to evict among those `within`: an expired one, else the least recently set.
    fn victim(&self, within: impl Fn(&Key) -> bool) -> Option<Key> {
        let candidates = self.set_at.iter().filter(|(k, _)| within(k));
        let expired = candidates
            .clone()
            .find(|((d, p, n), _)| self.store.get_any(d, p, n).is_none_or(Cookie::is_expired));
        expired.or_else(|| candidates.min_by_key(|(_, at)| **at)).map(|(k, _)| k.clone())
    }

    fn remove(&mut self, key: &Key) {
        let (domain, path, name) = key;
        self.store.remove(domain, path, name);
        if self.set_at.remove(key).is_some() {
            let site = site(domain);
            if let Some(n) = self.per_site.get_mut(site) {
                *n -= 1;
                if *n == 0 {
                    self.per_site.remove(site);
                }
            }
        }
    }
}

/// RFC 6265 §5.3 step 5: a `Domain` that is a public suffix is refused, unless it is the
/// request host itself (then the cookie is host-only). Only suffixes the list knows count,
/// so `Domain=localhost` or an intranet name stays usable (curl issue 658).
fn refuse_public_suffix(mut cookie: Cookie<'static>, url: &Url) -> Option<Cookie<'static>> {
    let CookieDomain::Suffix(domain) = &cookie.domain else { return Some(cookie) };
    if !is_public_suffix(domain) {
        return Some(cookie);
    }
    if !cookie.domain.host_is_identical(url) {
        return None;
    }
    cookie.domain = CookieDomain::host_only(url).ok()?;
    Some(cookie)
}

pub fn is_public_suffix(domain: &str) -> bool {
    let domain = domain.trim_end_matches('.');
    psl::suffix(domain.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == domain.as_bytes())
}

/// The registrable domain ("eTLD+1") a per-site limit counts against; an IP address or a
/// name the list cannot split is its own site.
fn site(domain: &str) -> &str {
    if domain.starts_with('[') || domain.parse::<IpAddr>().is_ok() {
        return domain;
    }
    psl::domain_str(domain).unwrap_or(domain)
}

fn info(c: &Cookie<'static>) -> CookieInfo {
    let expires = match c.expires {
        CookieExpiration::AtUtc(at) => {
            let secs = at.unix_timestamp();
            Some(if secs >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
            } else {
                SystemTime::UNIX_EPOCH
            })
        }
        CookieExpiration::SessionEnd => None,
    };
    CookieInfo {
        name: c.name().to_owned(),
        value: c.value().to_owned(),
        domain: c.domain.as_cow().map(std::borrow::Cow::into_owned).unwrap_or_default(),
        host_only: matches!(c.domain, CookieDomain::HostOnly(_)),
        path: String::from(&c.path),
        secure: c.secure().unwrap_or(false),
        http_only: c.http_only().unwrap_or(false),
        expires,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn set(jar: &CookieJar, from: &str, headers: &[&str]) {
        jar.store(headers.iter().map(|h| h.as_bytes()), &url(from));
    }

    fn names(jar: &CookieJar, to: &str) -> Vec<String> {
        let mut names: Vec<String> = jar.cookies_for(&url(to)).into_iter().map(|(k, _)| k).collect();
        names.sort();
        names
    }

    #[test]
    fn public_suffix_domains_are_refused() {
        let jar = CookieJar::default();
        set(&jar, "http://shop.example.com/", &["tld=1; Domain=com", "dot=1; Domain=.com"]);
        set(&jar, "http://shop.example.co.uk/", &["cc=1; Domain=co.uk"]);
        // The private section counts too: one github.io site must not set cookies for all.
        set(&jar, "http://evil.github.io/", &["gh=1; Domain=github.io"]);
        set(&jar, "http://shop.example.com/", &["site=1; Domain=example.com", "host=1"]);
        assert!(names(&jar, "http://other.com/").is_empty());
        assert!(names(&jar, "http://other.co.uk/").is_empty());
        assert!(names(&jar, "http://victim.github.io/").is_empty());
        assert_eq!(names(&jar, "http://www.example.com/"), ["site"]);
        assert_eq!(names(&jar, "http://shop.example.com/"), ["host", "site"]);
        assert_eq!(jar.len(), 2);
    }

    #[test]
    fn a_public_suffix_host_may_set_a_host_only_cookie() {
        let jar = CookieJar::default();
        set(&jar, "http://github.io/", &["own=1; Domain=github.io"]);
        assert_eq!(names(&jar, "http://github.io/"), ["own"]);
        assert!(names(&jar, "http://a.github.io/").is_empty());
        assert!(jar.all()[0].host_only);
    }

    #[test]
    fn unknown_suffixes_are_not_public() {
        assert!(is_public_suffix("com") && is_public_suffix("co.uk") && is_public_suffix("github.io"));
        assert!(!is_public_suffix("example.com") && !is_public_suffix("localhost"));
        let jar = CookieJar::default();
        set(&jar, "http://a.intranet/", &["x=1; Domain=intranet"]);
        assert_eq!(names(&jar, "http://b.intranet/"), ["x"]);
    }

    #[test]
    fn foreign_domains_are_refused() {
        let jar = CookieJar::default();
        set(&jar, "http://a.example.com/", &["x=1; Domain=example.org", "y=1; Domain=b.example.com"]);
        assert!(jar.is_empty());
    }

    #[test]
    fn secure_cookies_go_over_https_only() {
        let jar = CookieJar::default();
        set(&jar, "https://127.0.0.1:8443/", &["s=1; Secure", "p=1"]);
        assert_eq!(names(&jar, "https://127.0.0.1:8443/"), ["p", "s"]);
        assert_eq!(names(&jar, "http://127.0.0.1:8080/"), ["p"]);
        set(&jar, "http://localhost/", &["s=1; Secure"]);
        assert!(names(&jar, "http://localhost/").is_empty());
    }

    #[test]
    fn size_is_bounded_per_site_and_in_all() {
        let jar = CookieJar::with_limits(10, 3);
        for i in 0..5 {
            set(&jar, &format!("http://h{i}.example.com/"), &[&format!("c{i}=1; Domain=example.com")]);
        }
        // Sites count registrable domains: five subdomains share one budget; the newest stay.
        assert_eq!(names(&jar, "http://example.com/"), ["c2", "c3", "c4"]);
        for i in 0..20 {
            set(&jar, &format!("http://site{i}.test/"), &["a=1", "b=1"]);
        }
        assert_eq!(jar.len(), 10);
        assert_eq!(names(&jar, "http://site19.test/"), ["a", "b"]);
        assert!(names(&jar, "http://site0.test/").is_empty());
    }

    #[test]
    fn expired_cookies_are_evicted_first_and_deletions_delete() {
        let jar = CookieJar::with_limits(100, 2);
        set(&jar, "http://a.test/", &["old=1", "keep=1"]);
        set(&jar, "http://a.test/", &["old=; Max-Age=0"]);
        assert_eq!(names(&jar, "http://a.test/"), ["keep"]);
        assert_eq!(jar.inner.read().unwrap().set_at.len(), 1, "the deleted cookie is gone");
        set(&jar, "http://a.test/", &["new=1"]);
        assert_eq!(names(&jar, "http://a.test/"), ["keep", "new"]);
    }

    #[test]
    fn a_response_without_cookies_takes_no_write_lock() {
        let jar = CookieJar::default();
        set(&jar, "http://a.test/", &["x=1"]);
        // A write lock taken while this read guard lives would deadlock the test.
        let guard = jar.inner.read().unwrap();
        set(&jar, "http://a.test/", &[]);
        set(&jar, "http://a.test/", &["=; \u{0}"]);
        drop(guard);
        assert_eq!(names(&jar, "http://a.test/"), ["x"]);
    }

    #[test]
    fn clear_and_clear_domain() {
        let jar = CookieJar::default();
        set(&jar, "http://a.example.com/", &["x=1"]);
        set(&jar, "http://b.test/", &["y=1"]);
        jar.clear_domain("example.com");
        assert_eq!(jar.all().iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["y"]);
        jar.clear();
        assert!(jar.is_empty());
        assert_eq!(jar.len(), 0);
        assert!(names(&jar, "http://b.test/").is_empty());
    }

    #[test]
    fn info_carries_the_attributes() {
        let jar = CookieJar::default();
        set(&jar, "https://www.example.com/a/b", &["n=v; Domain=.example.com; Path=/a; Secure; HttpOnly"]);
        set(&jar, "https://www.example.com/a/b", &["m=w; Path=/a; Max-Age=3600"]);
        let mut all = jar.filter(&url("https://www.example.com/a/c"));
        all.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].name.as_str(), all[0].value.as_str()), ("m", "w"));
        assert!(all[0].host_only && all[0].expires.is_some());
        assert_eq!(all[0].domain, "www.example.com");
        let n = &all[1];
        assert_eq!((n.domain.as_str(), n.path.as_str()), ("example.com", "/a"));
        assert!(n.secure && n.http_only && !n.host_only);
    }
}
