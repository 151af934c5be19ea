//! Arbitrary bytes as a page (lossy UTF-8, as a decoder hands it over), parsed as HTML (or,
//! when the first byte is odd, as XML): parsing, a fixed set of CSS and XPath queries, `.get()`
//! of each result, `text()`, `outer_html`, `links()` and dropping a node never panic, and the
//! tree stays within the nesting cap.
#![no_main]

use std::sync::{Arc, LazyLock};

use ferrocrawl_core::html::{css, xpath, CssQuery, Document, NodeId, XPath, MAX_DEPTH};
use libfuzzer_sys::fuzz_target;
use url::Url;

static BASE: LazyLock<Url> = LazyLock::new(|| Url::parse("https://example.com/dir/page.html").unwrap());

static CSS: LazyLock<Vec<Arc<CssQuery>>> = LazyLock::new(|| {
    [
        "title::text",
        "a::attr(href)",
        "div > p:nth-child(2n+1) b",
        "li:not(.x)::text",
        "*",
        "p *::text",
        ":has(> a) + *",
    ]
    .iter()
    .map(|q| css(q).unwrap())
    .collect()
});

static XPATH: LazyLock<Vec<Arc<XPath>>> = LazyLock::new(|| {
    [
        "//a/@href",
        "//*[@id][position() < 3]/text()",
        "normalize-space(//title)",
        "count(//div//*)",
        "//li[contains(., 'x')]/following-sibling::*[1]",
        "//text()[normalize-space()]/ancestor::*[last()]",
        "(//*)[last()]/preceding::comment()",
        "string(//body)",
        "//*[lang('en')]/@*",
    ]
    .iter()
    .map(|q| xpath(q).unwrap())
    .collect()
});

fuzz_target!(|data: &[u8]| {
    let as_xml = data.first().is_some_and(|b| b & 1 == 1);
    let text = String::from_utf8_lossy(data);
    let doc = if as_xml {
        Document::parse_xml(&text, Some(BASE.clone()))
    } else {
        Document::parse(&text, Some(BASE.clone()))
    };
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
    let _ = doc.get(&ferrocrawl_core::html::Item::Node(NodeId::DOCUMENT));
    if !as_xml {
        // Nesting is capped (start tags deeper than MAX_DEPTH are dropped); the tree builder
        // may add a few levels it creates itself (html, body, reconstructed formatting
        // elements), so the bound checked is a generous 2 * MAX_DEPTH. Parents come first in
        // document order, so one pass computes every depth.
        let mut depth = vec![0usize; doc.len()];
        for i in 1..doc.len() {
            let parent = doc.parent(NodeId::from_index(i)).expect("only the document has no parent");
            assert!(parent.index() < i, "parent after child");
            depth[i] = depth[parent.index()] + 1;
        }
        let deepest = depth.iter().copied().max().unwrap_or(0);
        assert!(deepest <= 2 * MAX_DEPTH, "tree {deepest} deep");
    }
    if doc.len() > 2 {
        let _ = doc.drop_node(NodeId::from_index(doc.len() / 2));
    }
});
