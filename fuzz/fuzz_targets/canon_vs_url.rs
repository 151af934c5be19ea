//! Differential: `canonicalize` against the url crate (the WHATWG reference parser) on http(s)
//! URLs, checking what canon.rs promises and nothing more:
//!
//! - the canonical URL re-parses (url crate) to exactly the same string, and canonicalising
//!   it again changes nothing (idempotent);
//! - scheme, userinfo, host and port are the url crate's, untouched; the fragment is gone;
//! - the path and each query argument mean the same bytes: percent-decoding the original and
//!   the canonical form gives the same result (only escapes of unreserved characters are
//!   decoded, and the hex of the others upper-cased: nothing may change what a server reads);
//! - the query holds the same non-empty `&`-fields (decoded, as a multiset), stably sorted by
//!   key, no empty `?`;
//! - no escape of an unreserved character and no lower-case hex escape is left where a later
//!   pass would change it (that is the idempotence check).
#![no_main]

use std::borrow::Cow;

use ferrocrawl_core::crawl::canon::canonicalize;
use libfuzzer_sys::fuzz_target;
use percent_encoding::percent_decode_str;
use url::Url;

fn decoded(s: &str) -> Cow<'_, [u8]> {
    percent_decode_str(s).into()
}

fn key(field: &str) -> &str {
    field.split_once('=').map_or(field, |(k, _)| k)
}

fn fields(query: Option<&str>) -> Vec<&str> {
    query.map(|q| q.split('&').filter(|f| !f.is_empty()).collect()).unwrap_or_default()
}

fuzz_target!(|input: &str| {
    let Ok(url) = Url::parse(input) else { return };
    if !matches!(url.scheme(), "http" | "https") {
        return;
    }
    let canon = canonicalize(&url);
    let s = canon.as_str();

    let reparsed = Url::parse(s).unwrap_or_else(|e| panic!("{s:?} (from {input:?}) does not parse: {e}"));
    assert_eq!(reparsed.as_str(), s, "does not re-parse to itself (from {input:?})");
    assert_eq!(canonicalize(&reparsed).as_str(), s, "not idempotent (from {input:?})");

    assert_eq!(canon.scheme(), url.scheme());
    assert_eq!(canon.username(), url.username());
    assert_eq!(canon.password(), url.password());
    assert_eq!(canon.host_str(), url.host_str());
    assert_eq!(canon.port(), url.port());
    assert_eq!(canon.fragment(), None);

    assert_eq!(
        decoded(canon.path()),
        decoded(url.path()),
        "path changed meaning: {:?} -> {:?}",
        url.path(),
        canon.path()
    );

    assert_ne!(canon.query(), Some(""), "empty query kept (from {input:?})");
    let before = fields(url.query());
    let after = fields(canon.query());
    let mut want: Vec<Cow<'_, [u8]>> = before.iter().map(|f| decoded(f)).collect();
    let mut got: Vec<Cow<'_, [u8]>> = after.iter().map(|f| decoded(f)).collect();
    want.sort();
    got.sort();
    assert_eq!(got, want, "query arguments changed meaning: {:?} -> {:?}", url.query(), canon.query());
    assert!(after.windows(2).all(|w| key(w[0]) <= key(w[1])), "query not sorted: {:?}", canon.query());
});
