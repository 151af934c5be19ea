//! Differential: `extract_links` (no tree) finds the same links as
//! `Document::parse(..).links_encoded(..)` on arbitrary pages, in four encodings. The first
//! byte picks the encoding; the rest is the page (lossy UTF-8, as a decoder hands it over).
//!
//! Compared as sets plus "each once": the streaming order is the builder's element creation
//! order, which differs from document order where the tree builder moves nodes (foster
//! parenting out of tables); a `<frameset>` can detach a `<body>` and its links from the tree,
//! so inputs that contain one are skipped.
#![no_main]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use ferrocrawl_core::html::{extract_links, Document};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASE: LazyLock<Url> = LazyLock::new(|| Url::parse("https://example.com/dir/page.html?q=1").unwrap());

const ENCODINGS: [&encoding_rs::Encoding; 4] =
    [encoding_rs::UTF_8, encoding_rs::GBK, encoding_rs::WINDOWS_1252, encoding_rs::SHIFT_JIS];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, page)) = data.split_first() else { return };
    let encoding = ENCODINGS[usize::from(pick) % ENCODINGS.len()];
    let html = String::from_utf8_lossy(page);
    if html.to_ascii_lowercase().contains("frameset") {
        return;
    }
    let streamed = extract_links(&html, &BASE, encoding);
    let dom = Document::parse(&html, None).links_encoded(&BASE, encoding);
    let as_set = |v: &[Url]| v.iter().map(Url::as_str).map(str::to_owned).collect::<BTreeSet<_>>();
    let (s, d) = (as_set(&streamed), as_set(&dom));
    assert_eq!(s.len(), streamed.len(), "a link came twice from extract_links");
    assert_eq!(s, d, "extract_links and links_encoded differ on {html:?}");
    for url in &streamed {
        assert!(matches!(url.scheme(), "http" | "https") && url.fragment().is_none(), "{url}");
    }
});
