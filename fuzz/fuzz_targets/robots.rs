//! robots.txt parsing and matching: any body (bytes, as served) with any user agent parses
//! without a panic, and matching any path against it never panics. Checked promises:
//! /robots.txt is always allowed, `Crawl-delay` is finite and clamped to MAX_CRAWL_DELAY,
//! an empty file allows everything, and a file with one `Disallow: /` group for `*` and no
//! `Allow` forbids every other path.
#![no_main]

use ferrocrawl_core::crawl::robots::{Robots, MAX_CRAWL_DELAY};
use libfuzzer_sys::fuzz_target;
use url::Url;

/// Input: `user-agent \n path \n path ... NUL body`; without a NUL the whole input is the
/// body (agent `FerroBot/1.0`). The values of the body's own lines (after the first `:`) are
/// matched too, so rule patterns and paths are fuzzed together.
fn split(data: &[u8]) -> (String, Vec<String>, &[u8]) {
    let lossy = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let (agent, mut paths, body) = match data.iter().position(|&b| b == 0) {
        Some(nul) => {
            let mut head = data[..nul].split(|&b| b == b'\n');
            let agent = lossy(head.next().unwrap_or_default());
            (agent, head.map(lossy).collect(), &data[nul + 1..])
        }
        None => ("FerroBot/1.0".to_owned(), Vec::new(), data),
    };
    for line in body.split(|&b| b == b'\n' || b == b'\r') {
        if let Some(colon) = line.iter().position(|&b| b == b':') {
            paths.push(lossy(line[colon + 1..].trim_ascii()));
        }
    }
    paths.truncate(16);
    (agent, paths, body)
}

fuzz_target!(|data: &[u8]| {
    let (agent, paths, body) = split(data);
    let base = Url::parse("http://a.example/").unwrap();
    let robots_txt = Url::parse("http://a.example/robots.txt").unwrap();
    // Only URLs of the robots.txt's origin are ever matched against it.
    let urls: Vec<Url> =
        paths.iter().filter_map(|p| base.join(p).ok()).filter(|u| u.origin() == base.origin()).collect();
    for agent in [agent.as_str(), "Mozilla/5.0 (compatible; FerroBot/1.0)", "*"] {
        let robots = Robots::parse(body, agent);
        for url in &urls {
            let _ = robots.is_allowed(url);
        }
        assert!(
            robots.is_allowed(&robots_txt),
            "/robots.txt disallowed by {:?}",
            String::from_utf8_lossy(body)
        );
        if let Some(d) = robots.crawl_delay() {
            assert!(d <= MAX_CRAWL_DELAY && !d.is_zero(), "crawl delay {d:?}");
        }
        for s in robots.sitemaps() {
            let _ = Url::parse(s);
        }
    }
    let empty = Robots::parse(b"", &agent);
    let all = Robots::parse(b"User-agent: *\nDisallow: /\n", &agent);
    for url in &urls {
        assert!(empty.is_allowed(url), "an empty robots.txt forbids {url}");
        if url.path() != "/robots.txt" {
            assert!(!all.is_allowed(url), "`Disallow: /` allows {url}");
        }
    }
});
