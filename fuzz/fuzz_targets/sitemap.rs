//! Sitemap parsing (not in the list, but cheap and it takes hostile bytes): XML, gzip
//! or text give a sitemap or an error, never a panic; a gzip bomb is inflated only up to the
//! cap, so the `<loc>` text is bounded by it.
#![no_main]

use ferrocrawl_core::crawl::sitemap::{parse, SitemapDoc};
use libfuzzer_sys::fuzz_target;

const CAP: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(SitemapDoc::UrlSet(locs) | SitemapDoc::Index(locs)) = parse(data, CAP) {
        let total: usize = locs.iter().map(String::len).sum();
        // Entities shrink (`&amp;` -> `&`); only an invalid UTF-8 byte grows, to the 3 bytes
        // of U+FFFD.
        assert!(total as u64 <= 3 * CAP, "{total} bytes of locs from a {CAP}-byte cap");
    }
});
