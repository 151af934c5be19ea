//! robots.txt (RFC 9309): the rules for our user agent, and a per-origin cache that fetches
//! each origin's file once.
//!
//! Parsing and matching are texting_robots' (longest match, allow wins ties, `*` and `$`,
//! groups for one agent merged, `Crawl-delay`, `Sitemap`; tested against Google's and reppy's
//! suites). It parses once into prefix checks and small regexes, where the robotstxt crate
//! (Google's C++ port) re-parses the whole file for every URL asked about.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use url::{Position, Url};

use crate::request::RequestSpec;
use crate::Client;

pub const MAX_ROBOTS_BYTES: usize = 500 * 1024; // RFC 9309 says parse at least 500 KiB
/// The longest `Crawl-delay` honoured: a larger value would stall a host for good.
pub const MAX_CRAWL_DELAY: Duration = Duration::from_secs(60);

/// Rules for one user agent (product token matching per RFC 9309).
#[derive(Debug)]
pub struct Robots {
    robot: texting_robots::Robot,
    delay: Option<Duration>,
    sitemaps: Vec<String>,
}

impl Robots {
    /// Body cut at MAX_ROBOTS_BYTES (at the last line end before it, so a rule is never cut
    /// in half). `user_agent` may be a whole User-Agent header: its product token (the
    /// leading `[A-Za-z_-]+`, RFC 9309 §2.2.1) is what `User-agent:` lines are matched with.
    pub fn parse(body: &[u8], user_agent: &str) -> Robots {
        let body = cut_at_line(body, MAX_ROBOTS_BYTES);
        let token = product_token(user_agent);
        let robot = match texting_robots::Robot::new(&token, body) {
            Ok(robot) => robot,
            // The only failure is a rule whose regex is too large (an adversarial `*`/`$`
            // pattern): keep every line but those, rather than lose the whole file.
            Err(_) => texting_robots::Robot::new(&token, &without_bad_rules(body))
                .unwrap_or_else(|_| Self::disallow_all().robot),
        };
        let delay = robot
            .delay
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| Duration::from_secs_f32(d.min(MAX_CRAWL_DELAY.as_secs_f32())));
        let sitemaps = robot.sitemaps.clone();
        Robots { robot, delay, sitemaps }
    }

    pub fn allow_all() -> Robots {
        Robots::parse(b"", "*")
    }

    pub fn disallow_all() -> Robots {
        let robot =
            texting_robots::Robot::new("*", b"User-agent: *\nDisallow: /\n").expect("a one-rule file parses");
        Robots { robot, delay: None, sitemaps: Vec::new() }
    }

    /// Path + query, longest match, allow wins ties; /robots.txt always allowed.
    pub fn is_allowed(&self, url: &Url) -> bool {
        self.robot.allowed(&url[Position::BeforePath..Position::AfterQuery])
    }

    /// Clamped to MAX_CRAWL_DELAY.
    pub fn crawl_delay(&self) -> Option<Duration> {
        self.delay
    }

    /// The `Sitemap:` URLs, whatever group they appear in.
    pub fn sitemaps(&self) -> &[String] {
        &self.sitemaps
    }
}

/// `Mozilla/5.0 (compatible; FerroBot/1.0)` is not one token; we take the leading
/// `[A-Za-z_-]+` of the header (`ferrocrawl/0.1` -> `ferrocrawl`), `*` if there is none.
fn product_token(user_agent: &str) -> String {
    let end = user_agent
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '_' || c == '-'))
        .unwrap_or(user_agent.len());
    match &user_agent[..end] {
        "" => "*".to_owned(),
        token => token.to_ascii_lowercase(),
    }
}

fn cut_at_line(body: &[u8], max: usize) -> &[u8] {
    if body.len() <= max {
        return body;
    }
    let head = &body[..max];
    match head.iter().rposition(|&b| b == b'\n' || b == b'\r') {
        Some(i) => &head[..=i],
        None => head,
    }
}

/// The file without the Allow/Disallow lines texting_robots cannot compile on their own.
fn without_bad_rules(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for line in body.split(|&b| b == b'\n') {
        let lower = line.trim_ascii_start().to_ascii_lowercase();
        let is_rule = lower.starts_with(b"allow") || lower.starts_with(b"disallow");
        if !is_rule || texting_robots::Robot::new("*", line).is_ok() {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    out
}

/// Unavailable: 5xx/unreachable: caller retries later.
#[derive(Debug, Clone)]
pub enum RobotsStatus {
    Rules(Arc<Robots>),
    Unavailable,
}

/// How many origins the cache remembers; beyond it the oldest entry is dropped (and fetched
/// again if it is needed again). 100 000 parsed files of a typical few KiB stay well under
/// the crawl's memory budget.
pub const MAX_ORIGINS: usize = 100_000;
/// How long one robots.txt fetch may take, redirects and body included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Per-origin cache: one fetch per origin at a time (single flight), entries live `ttl`
/// (24 h default), 4xx -> allow all, 5xx/network error -> Unavailable (re-fetched after
/// `retry_after`, 60 s default), redirects followed (up to 5). Bounded: evicts old origins
/// beyond a documented count ([`MAX_ORIGINS`], oldest first).
///
/// When a re-fetch of an expired file fails (5xx, unreachable), the last rules stay in
/// use until a fetch succeeds (RFC 9309 §2.4 allows a stale copy while the file is
/// unreachable); the failed fetch is retried after `retry_after`.
pub struct RobotsCache {
    user_agent: String,
    ttl: Duration,
    retry_after: Duration,
    max_origins: usize,
    origins: Mutex<Origins>,
}

#[derive(Default)]
struct Origins {
    slots: HashMap<String, Arc<Slot>>,
    /// Insertion order, for eviction.
    order: VecDeque<String>,
}

#[derive(Default)]
struct Slot {
    entry: Mutex<Option<Entry>>,
    /// Held by the one task fetching this origin; the others wait on it, then read `entry`.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Entry {
    status: RobotsStatus,
    expires: Instant,
    /// The last rules fetched successfully, kept while re-fetches fail.
    last_rules: Option<Arc<Robots>>,
}

impl RobotsCache {
    pub fn new(user_agent: &str) -> RobotsCache {
        RobotsCache {
            user_agent: user_agent.to_owned(),
            ttl: Duration::from_secs(24 * 3600),
            retry_after: Duration::from_secs(60),
            max_origins: MAX_ORIGINS,
            origins: Mutex::new(Origins::default()),
        }
    }

    /// How long a fetched file is used (24 h) and when a failed fetch is tried again (60 s).
    #[must_use]
    pub fn with_times(mut self, ttl: Duration, retry_after: Duration) -> RobotsCache {
        self.ttl = ttl;
        self.retry_after = retry_after;
        self
    }

    #[must_use]
    pub fn with_max_origins(mut self, max_origins: usize) -> RobotsCache {
        self.max_origins = max_origins.max(1);
        self
    }

    /// The rules for `url`'s origin, fetching its robots.txt if it is not cached (or expired).
    /// URLs that are not http(s) have no robots.txt: allowed.
    pub async fn get(&self, client: &Client, url: &Url) -> RobotsStatus {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return RobotsStatus::Rules(Arc::new(Robots::allow_all()));
        }
        let origin = url.origin().ascii_serialization();
        let slot = self.slot(&origin);
        if let Some(status) = fresh(&slot) {
            return status;
        }
        let _fetching = slot.fetching.lock().await;
        // Whoever held the lock before us may have just filled the entry.
        if let Some(status) = fresh(&slot) {
            return status;
        }
        let fetched = fetch(client, &origin, &self.user_agent).await;
        let previous = slot.entry.lock().unwrap_or_else(PoisonError::into_inner).take();
        let last_rules = previous.and_then(|e| e.last_rules);
        let entry = match fetched {
            RobotsStatus::Rules(rules) => Entry {
                status: RobotsStatus::Rules(rules.clone()),
                expires: Instant::now() + self.ttl,
                last_rules: Some(rules),
            },
            RobotsStatus::Unavailable => Entry {
                status: last_rules.clone().map_or(RobotsStatus::Unavailable, RobotsStatus::Rules),
                expires: Instant::now() + self.retry_after,
                last_rules,
            },
        };
        let status = entry.status.clone();
        *slot.entry.lock().unwrap_or_else(PoisonError::into_inner) = Some(entry);
        status
    }

    /// The cached status of `url`'s origin, without fetching: `None` when [`RobotsCache::get`]
    /// would fetch (not cached, or expired).
    pub fn peek(&self, url: &Url) -> Option<RobotsStatus> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Some(RobotsStatus::Rules(Arc::new(Robots::allow_all())));
        }
        let origin = url.origin().ascii_serialization();
        let slot = self.origins.lock().unwrap_or_else(PoisonError::into_inner).slots.get(&origin).cloned()?;
        fresh(&slot)
    }

    fn slot(&self, origin: &str) -> Arc<Slot> {
        let mut origins = self.origins.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = origins.slots.get(origin) {
            return slot.clone();
        }
        while origins.slots.len() >= self.max_origins {
            let Some(oldest) = origins.order.pop_front() else { break };
            origins.slots.remove(&oldest);
        }
        let slot = Arc::new(Slot::default());
        origins.slots.insert(origin.to_owned(), slot.clone());
        origins.order.push_back(origin.to_owned());
        slot
    }
}

fn fresh(slot: &Slot) -> Option<RobotsStatus> {
    let entry = slot.entry.lock().unwrap_or_else(PoisonError::into_inner);
    entry.as_ref().filter(|e| e.expires > Instant::now()).map(|e| e.status.clone())
}

/// GET `<origin>/robots.txt`, following up to 5 redirects, reading at most MAX_ROBOTS_BYTES
/// (the rest of a larger file is not downloaded).
async fn fetch(client: &Client, origin: &str, user_agent: &str) -> RobotsStatus {
    let mut spec = RequestSpec::get(format!("{origin}/robots.txt"));
    spec.max_redirects = Some(5);
    match fetch_capped(client, &spec, MAX_ROBOTS_BYTES, FETCH_TIMEOUT).await {
        // Parsing a 500 KiB file of tiny lines takes a while (~10 us/line unoptimised): off
        // the async workers.
        Ok((status, body)) if status.is_success() => {
            let user_agent = user_agent.to_owned();
            match tokio::task::spawn_blocking(move || Robots::parse(&body, &user_agent)).await {
                Ok(robots) => RobotsStatus::Rules(Arc::new(robots)),
                Err(_) => RobotsStatus::Unavailable,
            }
        }
        // 429 asks us to come back later: unavailable, like 5xx (as Google does).
        Ok((status, _)) if status.is_server_error() || status.as_u16() == 429 => RobotsStatus::Unavailable,
        // 4xx (RFC 9309 §2.3.1.3) and other statuses: no rules. More than 5 redirects, or
        // a redirect to a non-HTTP URL: RFC 9309 §2.3.1.2 lets us treat the file as
        // unavailable, i.e. as a 4xx. A host `block_private_networks` refuses: nothing to
        // wait for, and the page's own fetch is refused the same way, with that error.
        Ok(_)
        | Err(
            crate::Error::TooManyRedirects { .. }
            | crate::Error::BadRedirect { .. }
            | crate::Error::Blocked { .. },
        ) => RobotsStatus::Rules(Arc::new(Robots::allow_all())),
        Err(_) => RobotsStatus::Unavailable,
    }
}

/// Sends `spec` (redirects followed) and reads at most `cap` bytes of a 2xx body: a larger
/// body is cut, not an error, and the rest is never downloaded. The body of any other status
/// is not read. The whole exchange gets the client's total deadline, at most `max_time`.
pub(crate) async fn fetch_capped(
    client: &Client,
    spec: &RequestSpec,
    cap: usize,
    max_time: Duration,
) -> crate::Result<(reqwest::StatusCode, Vec<u8>)> {
    let timeout = client.config().timeouts.total.map_or(max_time, |t| t.min(max_time));
    let read = async {
        let (mut resp, _history, _permits) = client.send(spec).await?;
        let status = resp.status();
        let mut body = Vec::new();
        while status.is_success() && body.len() < cap {
            let chunk = resp
                .chunk()
                .await
                .map_err(|e| crate::Error::Protocol { url: spec.url.clone(), reason: e.to_string() })?;
            let Some(chunk) = chunk else { break };
            body.extend_from_slice(&chunk[..chunk.len().min(cap - body.len())]);
        }
        Ok((status, body))
    };
    tokio::time::timeout(timeout, read).await.unwrap_or_else(|_| {
        Err(crate::Error::Timeout { url: spec.url.clone(), kind: crate::TimeoutKind::Total, after: timeout })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::config::{ClientConfig, Timeouts};
    use crate::test_server::{closed_port, Reply, TestServer};

    fn allowed(robots: &Robots, path: &str) -> bool {
        robots.is_allowed(&Url::parse(&format!("http://foo.bar{path}")).unwrap())
    }

    /// `(agent, path, allowed)` against one file.
    fn check(txt: &str, cases: &[(&str, &str, bool)]) {
        for (agent, path, want) in cases {
            let robots = Robots::parse(txt.as_bytes(), agent);
            assert_eq!(allowed(&robots, path), *want, "{agent} {path} in\n{txt}");
        }
    }

    #[test]
    fn rfc9309_example() {
        // RFC 9309 §5.1.
        let txt = "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n\
                   User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n\
                   User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\n\
                   User-Agent: quxbot\n\nEOF\n";
        check(
            txt,
            &[
                ("foobot", "/example/page.html", true),
                ("foobot", "/example/allowed.gif", true),
                ("foobot", "/example/other.html", false),
                ("foobot", "/", false),
                ("barbot", "/example/page.html", false),
                ("bazbot", "/example/page.html", false),
                ("bazbot", "/example/other.gif", true),
                ("quxbot", "/example/page.html", true),
                ("otherbot", "/x/y.gif", false),
                ("otherbot", "/x/y.gif?z", true),
                ("otherbot", "/example/a", false),
                ("otherbot", "/publications/a", true),
                // The product token of a whole User-Agent header, case-insensitive.
                ("FooBot/2.1 (+http://foo.bar/bot)", "/", false),
            ],
        );
    }

    #[test]
    fn rfc9309_matching() {
        // §2.2.2: the most specific (longest) match wins; on a tie, allow.
        let txt = "User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n\
                   Allow: /tie\nDisallow: /tie\n";
        check(
            txt,
            &[
                ("a", "/example/page/", true),
                ("a", "/example/page/disallowed.gif", false),
                ("a", "/tie", true),
            ],
        );
        // §2.2.3: `*` any sequence, `$` end of the path.
        let txt = "User-agent: *\nDisallow: /*.php$\nDisallow: /fish*\n";
        check(
            txt,
            &[
                ("a", "/index.php", false),
                ("a", "/index.php?x=1", true),
                ("a", "/fishheads/x", false),
                ("a", "/Fish", true),
            ],
        );
    }

    #[test]
    fn google_robotstxt_cases() {
        // From google/robotstxt robots_test.cc (the cases this crate supports).
        // ID_LineSyntax_Line / ID_REPLineNamesCaseInsensitive
        check("user-agent: FooBot\ndisallow: /\n", &[("FooBot", "/x/y", false), ("BarBot", "/x/y", true)]);
        check(
            "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n",
            &[("FooBot", "/x/y", true), ("FooBot", "/a/b", false)],
        );
        // ID_GlobalGroups_Secondary
        let txt = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n";
        check(txt, &[("FooBot", "/x/y", false), ("BarBot", "/x/y", true)]);
        check("", &[("FooBot", "/x/y", true)]);
        // ID_AllowDisallow_Value_CaseSensitive
        check("user-agent: FooBot\ndisallow: /x/\n", &[("FooBot", "/x/y", false), ("FooBot", "/X/y", true)]);
        // ID_LongestMatch
        let lm = |rules: &str| format!("user-agent: FooBot\n{rules}");
        check(&lm("disallow: /x/page.html\nallow: /x/page.html\n"), &[("FooBot", "/x/page.html", true)]);
        check(
            &lm("allow: /page\ndisallow: /*.html\n"),
            &[("FooBot", "/page.html", false), ("FooBot", "/page", true)],
        );
        check(
            &lm("allow: /x/page.\ndisallow: /*.html\n"),
            &[("FooBot", "/x/page.html", true), ("FooBot", "/x/y.html", false)],
        );
        check(&lm("allow: /\ndisallow: /\n"), &[("FooBot", "/x/page.html", true)]);
        check(&lm("disallow: \nallow: \n"), &[("FooBot", "/x/page.html", true)]);
        check(&lm("allow: /folder\ndisallow: /folder\n"), &[("FooBot", "/folder/page", true)]);
        check(&lm("disallow: /folder\nallow: /folder\n"), &[("FooBot", "/folder/page", true)]);
        check(&lm("allow: /page\ndisallow: /*.htm\n"), &[("FooBot", "/page.html", false)]);
        check(&lm("allow: /$\ndisallow: /\n"), &[("FooBot", "/", true), ("FooBot", "/page.html", false)]);
        // ID_Encoding
        check(
            "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n",
            &[("FooBot", "/foo/bar?qux=taz&baz=http://foo.bar?tar&par", true)],
        );
        check(
            "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/ツ\n",
            &[("FooBot", "/foo/bar/%E3%83%84", true)],
        );
        check(
            "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n",
            &[("FooBot", "/foo/bar/%E3%83%84", true)],
        );
        // ID_SpecialCharacters
        check(
            "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n",
            &[
                ("FooBot", "/foo/bar/quz", false),
                ("FooBot", "/foo/quz", true),
                ("FooBot", "/foo//quz", true),
                ("FooBot", "/foo/bax/quz", true),
            ],
        );
        check(
            "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n",
            &[
                ("FooBot", "/foo/bar", false),
                ("FooBot", "/foo/bar/qux", true),
                ("FooBot", "/foo/bar/", true),
                ("FooBot", "/foo/bar/baz", true),
            ],
        );
        check(
            "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n",
            &[("FooBot", "/foo/bar", true), ("FooBot", "/foo/quz", false)],
        );
        // ID_LinesNumbersAreCountedCorrectly-style merging: two groups for one agent combine.
        check("User-agent: FooBot\nDisallow: /a\n\nUser-agent: *\nDisallow: /\n\nUser-agent: FooBot\nDisallow: /b\n",
              &[("FooBot", "/a", false), ("FooBot", "/b", false), ("FooBot", "/c", true)]);
    }

    #[test]
    fn crawl_delay_sitemaps_and_robots_txt_itself() {
        let txt = "Sitemap: http://foo.bar/s1.xml\nUser-agent: *\nCrawl-delay: 2.5\nDisallow: /\n\n\
                   User-agent: slowbot\nCrawl-delay: 86400\nSitemap: http://foo.bar/s2.xml.gz\n";
        let robots = Robots::parse(txt.as_bytes(), "ferrocrawl/0.1");
        assert_eq!(robots.crawl_delay(), Some(Duration::from_millis(2500)));
        assert_eq!(robots.sitemaps(), ["http://foo.bar/s1.xml", "http://foo.bar/s2.xml.gz"]);
        assert!(!allowed(&robots, "/"));
        assert!(allowed(&robots, "/robots.txt"), "robots.txt is always allowed");
        let slow = Robots::parse(txt.as_bytes(), "slowbot");
        assert_eq!(slow.crawl_delay(), Some(MAX_CRAWL_DELAY), "clamped");
        assert_eq!(Robots::parse(b"Crawl-delay: -3\nCrawl-delay: nan\n", "a").crawl_delay(), None);

        assert!(allowed(&Robots::allow_all(), "/anything"));
        assert!(!allowed(&Robots::disallow_all(), "/anything"));
        assert!(allowed(&Robots::disallow_all(), "/robots.txt"));
    }

    #[test]
    fn the_body_is_cut_at_the_cap_on_a_line_end() {
        let mut txt = b"User-agent: *\nDisallow: /early\n".to_vec();
        let filler = format!("#{}\n", "x".repeat(1023));
        while txt.len() + filler.len() < MAX_ROBOTS_BYTES - 5 {
            txt.extend_from_slice(filler.as_bytes());
        }
        txt.resize(MAX_ROBOTS_BYTES - 5, b'\n');
        // Straddles the cap: cut in half it would read `Disallow: /`, blocking everything.
        txt.extend_from_slice(b"Disallow: /late-but-long-enough\n");
        let robots = Robots::parse(&txt, "a");
        assert!(!allowed(&robots, "/early"));
        assert!(allowed(&robots, "/late-but-long-enough"), "rules past the cap are ignored");
        assert!(allowed(&robots, "/other"), "no half rule");
    }

    #[test]
    fn a_rule_too_large_to_compile_drops_only_that_rule() {
        let huge = format!("User-agent: *\nDisallow: /private\nDisallow: /{}$\n", "a*b".repeat(20_000));
        assert!(texting_robots::Robot::new("a", huge.as_bytes()).is_err(), "the crate refuses this file");
        let robots = Robots::parse(huge.as_bytes(), "a");
        assert!(!allowed(&robots, "/private"));
        assert!(allowed(&robots, "/public"));
    }

    #[test]
    fn product_tokens() {
        assert_eq!(product_token("ferrocrawl/0.1 (+https://x)"), "ferrocrawl");
        assert_eq!(product_token("Foo_Bot-2"), "foo_bot-");
        assert_eq!(product_token("(weird)"), "*");
    }

    // The cache, against a real local server.

    fn client() -> Client {
        Client::new(ClientConfig {
            timeouts: Timeouts { total: Some(Duration::from_secs(5)), ..Timeouts::default() },
            ..ClientConfig::default()
        })
        .unwrap()
    }

    fn robots_requests(server: &TestServer) -> usize {
        server.requests().iter().filter(|r| r.path == "/robots.txt").count()
    }

    async fn status_of(cache: &RobotsCache, server: &TestServer, path: &str) -> RobotsStatus {
        cache.get(&client(), &Url::parse(&server.url(path)).unwrap()).await
    }

    fn rules(status: RobotsStatus) -> Arc<Robots> {
        match status {
            RobotsStatus::Rules(r) => r,
            RobotsStatus::Unavailable => panic!("robots unavailable"),
        }
    }

    #[tokio::test]
    async fn rules_are_fetched_once_and_cached() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/robots.txt" => Reply::ok("User-agent: *\nDisallow: /private\nCrawl-delay: 1\n"),
            _ => Reply::status(404),
        })
        .await;
        let cache = RobotsCache::new("ferrocrawl/0.1");
        let robots = rules(status_of(&cache, &server, "/a").await);
        assert!(!robots.is_allowed(&Url::parse(&server.url("/private/x")).unwrap()));
        assert!(robots.is_allowed(&Url::parse(&server.url("/public")).unwrap()));
        assert_eq!(robots.crawl_delay(), Some(Duration::from_secs(1)));
        let _ = status_of(&cache, &server, "/b?c").await;
        assert_eq!(robots_requests(&server), 1, "one fetch per origin");
    }

    #[tokio::test]
    async fn client_errors_allow_everything() {
        for code in [404, 403, 401, 410] {
            let server = TestServer::start(move |_| Reply::status(code).body("Disallow: /")).await;
            let robots = rules(status_of(&RobotsCache::new("a"), &server, "/x").await);
            assert!(robots.is_allowed(&Url::parse(&server.url("/x")).unwrap()), "{code}");
        }
    }

    #[tokio::test]
    async fn server_errors_are_unavailable_and_retried_later() {
        let server = TestServer::start(|_| Reply::status(503)).await;
        let cache = RobotsCache::new("a");
        assert!(matches!(status_of(&cache, &server, "/x").await, RobotsStatus::Unavailable));
        assert!(matches!(status_of(&cache, &server, "/y").await, RobotsStatus::Unavailable));
        assert_eq!(robots_requests(&server), 1, "not re-fetched before retry_after (60 s)");

        let retrying = RobotsCache::new("a").with_times(Duration::from_secs(3600), Duration::ZERO);
        let before = robots_requests(&server);
        for _ in 0..2 {
            assert!(matches!(status_of(&retrying, &server, "/x").await, RobotsStatus::Unavailable));
        }
        assert_eq!(robots_requests(&server) - before, 2, "re-fetched once retry_after passed");

        let too_many = TestServer::start(|_| Reply::status(429)).await;
        assert!(matches!(status_of(&cache, &too_many, "/x").await, RobotsStatus::Unavailable));

        let port = closed_port().await;
        let url = Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap();
        assert!(matches!(cache.get(&client(), &url).await, RobotsStatus::Unavailable));
    }

    #[tokio::test]
    async fn stale_rules_stay_while_the_server_fails() {
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let server = TestServer::start(move |_| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::ok("User-agent: *\nDisallow: /private\n")
            } else {
                Reply::status(500)
            }
        })
        .await;
        // Every entry expires at once: each get fetches again.
        let cache = RobotsCache::new("a").with_times(Duration::ZERO, Duration::ZERO);
        let url = Url::parse(&server.url("/private")).unwrap();
        assert!(!rules(status_of(&cache, &server, "/").await).is_allowed(&url));
        assert!(!rules(status_of(&cache, &server, "/").await).is_allowed(&url), "old rules kept");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_gets_share_one_fetch() {
        let server = TestServer::start(|_| {
            Reply::ok("User-agent: *\nDisallow: /x\n").delay(Duration::from_millis(200))
        })
        .await;
        let cache = RobotsCache::new("a");
        let client = client();
        let url = Url::parse(&server.url("/x")).unwrap();
        let gets = (0..20).map(|_| cache.get(&client, &url));
        let results = futures_util::future::join_all(gets).await;
        assert!(results.into_iter().all(|s| !rules(s).is_allowed(&url)));
        assert_eq!(robots_requests(&server), 1);
    }

    #[tokio::test]
    async fn redirects_are_followed_up_to_five() {
        let server = TestServer::start(|req| match req.path.as_str() {
            "/robots.txt" => Reply::redirect(301, "/r1"),
            "/r1" => Reply::redirect(302, "/real.txt"),
            "/real.txt" => Reply::ok("User-agent: *\nDisallow: /x\n"),
            p if p.starts_with("/loop") => Reply::redirect(302, &format!("{p}x")),
            _ => Reply::status(404),
        })
        .await;
        let robots = rules(status_of(&RobotsCache::new("a"), &server, "/").await);
        assert!(!robots.is_allowed(&Url::parse(&server.url("/x")).unwrap()));

        let looping = TestServer::start(|req| Reply::redirect(302, &format!("{}x", req.path))).await;
        let robots = rules(status_of(&RobotsCache::new("a"), &looping, "/").await);
        assert!(robots.is_allowed(&Url::parse(&looping.url("/x")).unwrap()), "too many redirects: no rules");
        assert_eq!(looping.requests().len(), 6, "the first request and 5 redirects");
    }

    #[tokio::test]
    async fn a_huge_file_is_read_only_up_to_the_cap() {
        let mut txt = b"User-agent: *\nDisallow: /early\n".to_vec();
        // Long comment lines: few lines to parse, so the test stays fast unoptimised.
        let filler = format!("#{}\n", "x".repeat(1023));
        while txt.len() < 4 * MAX_ROBOTS_BYTES {
            txt.extend_from_slice(filler.as_bytes());
        }
        txt.extend_from_slice(b"Disallow: /late\n");
        let server = TestServer::start(move |_| Reply::ok(txt.clone())).await;
        let robots = rules(status_of(&RobotsCache::new("a"), &server, "/").await);
        assert!(!robots.is_allowed(&Url::parse(&server.url("/early")).unwrap()));
        assert!(robots.is_allowed(&Url::parse(&server.url("/late")).unwrap()));
    }

    #[tokio::test]
    async fn the_oldest_origins_are_evicted_beyond_the_bound() {
        let mut servers = Vec::new();
        for _ in 0..3 {
            servers.push(TestServer::start(|_| Reply::ok("User-agent: *\nDisallow: /x\n")).await);
        }
        let cache = RobotsCache::new("a").with_max_origins(2);
        for server in &servers {
            let _ = status_of(&cache, server, "/").await;
        }
        assert_eq!(cache.origins.lock().unwrap().slots.len(), 2);
        let _ = status_of(&cache, &servers[2], "/").await;
        assert_eq!(robots_requests(&servers[2]), 1, "the newest is still cached");
        let _ = status_of(&cache, &servers[0], "/").await;
        assert_eq!(robots_requests(&servers[0]), 2, "the oldest was evicted and fetched again");
    }
}
