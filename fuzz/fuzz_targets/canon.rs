//! URL canonicalisation on any URL the crawler could meet: the input is parsed as an absolute
//! URL and as a link relative to a few page URLs (any scheme: `mailto:`, `data:`, `file:`,
//! opaque and non-special ones too). For every URL the url crate accepts, `canonicalize`
//! must not panic and must keep its documented promises: idempotent, re-parses to itself, no
//! fragment, and `fingerprint`/`host_key`/`write_host_key` agree on equal URLs.
#![no_main]

use std::sync::LazyLock;

use ferrocrawl_core::crawl::canon::{canonicalize, fingerprint, host_key, write_host_key};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASES: LazyLock<Vec<Url>> = LazyLock::new(|| {
    [
        "http://example.com/dir/page.html?q=1#f",
        "https://user:pw@[::1]:8443/a/b/",
        "foo://host/p/q",
        "file:///C:/dir/",
    ]
    .iter()
    .map(|s| Url::parse(s).unwrap())
    .collect()
});

fn check(url: &Url) {
    let once = canonicalize(url);
    let twice = canonicalize(&once);
    assert_eq!(once.as_str(), twice.as_str(), "not idempotent: {:?}", url.as_str());
    let reparsed = Url::parse(once.as_str()).expect("the canonical URL parses");
    let key = host_key(&once);
    assert_eq!(key, host_key(url), "canonicalize changed the host key of {:?}", url.as_str());
    assert_eq!(once.fragment(), None);
    assert_eq!(once.scheme(), url.scheme());
    // Promised only for URLs that themselves re-parse to themselves: the url crate can build
    // a `file:` URL that does not (`file:///C:/` joined with `//h//C:/x` is `file://h/C:/x`,
    // which parses as `file:///C:/x`: the WHATWG drive-letter quirk, whatwg/url#302), and
    // canonicalize keeps what it is given. The crawler only ever sees http(s).
    if Url::parse(url.as_str()).is_ok_and(|u| u.as_str() == url.as_str()) {
        assert_eq!(reparsed.as_str(), once.as_str(), "does not re-parse to itself: {:?}", url.as_str());
        assert_eq!(fingerprint(&once), fingerprint(&reparsed));
        let mut buf = String::from("left over");
        write_host_key(&reparsed, &mut buf);
        assert_eq!(buf, key);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else { return };
    if let Ok(url) = Url::parse(input) {
        check(&url);
    }
    for base in BASES.iter() {
        if let Ok(url) = base.join(input) {
            check(&url);
        }
    }
});
