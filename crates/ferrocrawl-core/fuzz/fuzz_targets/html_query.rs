//! Arbitrary bytes as a page (lossy UTF-8, as a decoder would hand them over): parsing, a few
//! fixed CSS and XPath queries, `links()` and `text()` never panic.
#![no_main]

use std::sync::LazyLock;

use ferrocrawl_core::html::{css, xpath, CssQuery, Document, NodeId, XPath};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASE: LazyLock<Url> = LazyLock::new(|| Url::parse("https://example.com/dir/page.html").unwrap());

static CSS: LazyLock<Vec<std::sync::Arc<CssQuery>>> = LazyLock::new(|| {
    ["title::text", "a::attr(href)", "div > p:nth-child(2n+1) b", "li:not(.x)::text", "*"]
        .iter()
        .map(|q| css(q).unwrap())
        .collect()
});

static XPATH: LazyLock<Vec<std::sync::Arc<XPath>>> = LazyLock::new(|| {
    [
        "//a/@href",
        "//*[@id][position() < 3]/text()",
        "normalize-space(//title)",
        "count(//div//*)",
        "//li[contains(., 'x')]/following-sibling::*[1]",
        "//text()[normalize-space()]/ancestor::*[last()]",
    ]
    .iter()
    .map(|q| xpath(q).unwrap())
    .collect()
});

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let doc = Document::parse(&html, Some(BASE.clone()));
    let mut out = Vec::new();
    for q in CSS.iter() {
        q.select(&doc, NodeId::DOCUMENT, &mut out);
    }
    for q in XPATH.iter() {
        let _ = q.select(&doc, &mut out);
    }
    for item in &out {
        let _ = doc.get(item);
    }
    let _ = doc.links(None);
    let _ = doc.text(NodeId::DOCUMENT);
});
