//! Link extraction from HTML bytes, the way the crawler does it: the body is decoded with
//! `charset::decode` (the first input byte picks a Content-Type), then `extract_links`
//! (streaming, no tree) runs against a page URL. Checked:
//!
//! - every link is absolute http(s), without fragment, re-parses to itself, and comes once;
//! - differential: the links are the same set as `Document::parse(..).links_encoded(..)` (the
//!   tree path) with the same encoding. Compared as sets, since the streaming order is the
//!   builder's creation order (foster parenting differs); inputs with `frameset` are skipped,
//!   since a frameset can detach a body (and its links) from the tree (documented in
//!   links_stream.rs).
#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use ferrocrawl_core::charset;
use ferrocrawl_core::html::{extract_links, Document, LinkResolver};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASE: LazyLock<Url> = LazyLock::new(|| Url::parse("https://example.com/dir/page.html?q=1").unwrap());

const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("text/html"),
    Some("text/html; charset=gbk"),
    Some("text/html; charset=windows-1252"),
    Some("text/html; charset=shift_jis"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let content_type = CONTENT_TYPES[usize::from(pick) % CONTENT_TYPES.len()];
    let decoded = charset::decode(body, content_type);
    let html = decoded.text.as_ref();
    let encoding = decoded.encoding;

    let streamed = extract_links(html, &BASE, encoding);
    let mut seen = BTreeSet::new();
    for url in &streamed {
        assert!(matches!(url.scheme(), "http" | "https"), "{url}");
        assert_eq!(url.fragment(), None, "{url}");
        assert!(seen.insert(url.as_str()), "{url} came twice");
        let reparsed = Url::parse(url.as_str()).unwrap_or_else(|e| panic!("{url} does not parse: {e}"));
        assert_eq!(reparsed.as_str(), url.as_str());
    }

    // The resolver alone, on the whole input as one href (an unparsable base is ignored).
    let resolver = LinkResolver::new(Some(&BASE), Some(html), encoding);
    assert!(resolver.base().is_some());
    let _ = resolver.link(html);

    if html.to_ascii_lowercase().contains("frameset") {
        return;
    }
    let tree: BTreeSet<String> =
        Document::parse(html, None).links_encoded(&BASE, encoding).iter().map(ToString::to_string).collect();
    let streamed: BTreeSet<String> = streamed.iter().map(ToString::to_string).collect();
    assert_eq!(streamed, tree, "extract_links and links_encoded differ on {html:?}");
});
