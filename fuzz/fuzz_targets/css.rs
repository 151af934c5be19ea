//! The CSS selector parser (the selectors crate plus parsel's `::text`/`::attr()` and `#1`
//! ids): any UTF-8 string compiles or gives a `SelectorError` (position inside the string,
//! printable), never a panic; a query that compiles runs from the document and from an
//! element of a small HTML page and of a small XML page, results in document order without
//! duplicates, each rendered with `.get()`.
#![no_main]

use std::sync::LazyLock;

use ferrocrawl_core::html::{css, CssQuery, Document, Item, NodeId, XPath};
use libfuzzer_sys::fuzz_target;

const HTML: &str = r#"<!DOCTYPE html><html lang="en"><head><title>T</title></head>
<body id="b" class="x y"><div lang="en-GB" id="1"><p>one <b>two</b> 3.5</p><!-- c --><a href="/a?q=1#f">link</a></div>
<ul><li>1</li><li data-n="2">2</li><li class="x">three</li></ul><input type=checkbox checked disabled>
<table><tr><td>x</td></tr></table><svg><g id="g"><rect/></g></svg><template><i>t</i></template></body></html>"#;

const XML: &str = r#"<?xml version="1.0"?><root xmlns:x="urn:x" a="1"><x:item id="i1">A<b/></x:item>
<item n="2">C</item><x:item xml:lang="fr">B</x:item></root>"#;

struct Page {
    doc: Document,
    contexts: Vec<NodeId>,
}

fn page(doc: Document) -> Page {
    let mut out = Vec::new();
    XPath::parse("(//*[@id])[1]").unwrap().select(&doc, &mut out).unwrap();
    let mut contexts = vec![NodeId::DOCUMENT];
    contexts.extend(out.iter().filter_map(Item::context_node));
    Page { doc, contexts }
}

static PAGES: LazyLock<[Page; 2]> =
    LazyLock::new(|| [page(Document::parse(HTML, None)), page(Document::parse_xml(XML, None))]);

fn order_key(item: &Item) -> Option<(usize, u32)> {
    match item {
        Item::Node(id) => Some((id.index(), 0)),
        Item::Attr { owner, index } => Some((owner.index(), index + 1)),
        _ => None,
    }
}

fuzz_target!(|expr: &str| {
    // Uncached as well as through the cache: both must agree on success.
    let direct = CssQuery::parse(expr);
    let query = match css(expr) {
        Ok(q) => q,
        Err(e) => {
            assert!(direct.is_err());
            assert!(e.position <= expr.len(), "{expr:?}: {e:?}");
            let _ = e.to_string();
            return;
        }
    };
    assert!(direct.is_ok());
    let mut out = Vec::new();
    for page in PAGES.iter() {
        for &context in &page.contexts {
            out.clear();
            query.select(&page.doc, context, &mut out);
            let keys: Vec<_> = out.iter().map(order_key).collect();
            assert!(keys.iter().all(Option::is_some), "a CSS query returned a scalar: {expr:?}");
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{expr:?}: not in document order or repeated");
            for item in &out {
                let _ = page.doc.get(item);
            }
        }
    }
});
