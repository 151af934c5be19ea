//! Any bytes parse as a robots.txt without a panic, and matching any URL against the rules
//! never panics; /robots.txt stays allowed and Crawl-delay stays under the clamp.
#![no_main]

use ferrocrawl_core::crawl::robots::{Robots, MAX_CRAWL_DELAY};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    // The first line doubles as a path to match, so paths and rules are fuzzed together.
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    let path = String::from_utf8_lossy(first);
    for agent in ["FooBot/1.0", "*"] {
        let robots = Robots::parse(data, agent);
        for p in ["/", "/a/b.html?x=1", path.as_ref()] {
            if let Ok(url) = Url::parse("http://a.com/").and_then(|base| base.join(p)) {
                let _ = robots.is_allowed(&url);
            }
        }
        assert!(robots.is_allowed(&Url::parse("http://a.com/robots.txt").unwrap()));
        assert!(robots.crawl_delay().is_none_or(|d| d <= MAX_CRAWL_DELAY));
        let _ = robots.sitemaps().len();
    }
});
