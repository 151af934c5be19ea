//! Any string the url crate accepts canonicalises without a panic to a fixed point
//! (`canonicalize(canonicalize(u)) == canonicalize(u)`) that the url crate parses back to
//! itself (the differential check: our string edits never leave a URL the reference parser
//! would read differently), with the same host key as the original.
#![no_main]

use ferrocrawl_core::crawl::canon::{canonicalize, fingerprint, host_key};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|input: &str| {
    let Ok(url) = Url::parse(input) else { return };
    let once = canonicalize(&url);
    let twice = canonicalize(&once);
    assert_eq!(once, twice, "not idempotent: {input:?}");
    let reparsed = Url::parse(once.as_str()).expect("the canonical URL parses");
    assert_eq!(reparsed, once, "does not reparse to itself: {input:?}");
    assert_eq!(fingerprint(&once), fingerprint(&reparsed));
    assert_eq!(host_key(&once), host_key(&url));
    assert_eq!(once.fragment(), None);
});
