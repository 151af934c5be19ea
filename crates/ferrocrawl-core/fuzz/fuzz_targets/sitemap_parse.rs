//! Any bytes (XML, gzip, text) give a sitemap or an error, never a panic; gzip input is
//! sniffed and inflated up to the cap, so no input (a gzip bomb) makes the parser return
//! more `<loc>` text than the cap allows.
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
