//! The XPath 1.0 parser and evaluator: any UTF-8 expression compiles or gives a
//! `SelectorError` (position inside the expression, printable), never a panic; an expression
//! that compiles is evaluated from four contexts (document, element, attribute, text node) of
//! a small HTML page and of a small XML page, with variables and a namespace bound, and
//! every result is rendered with `.get()`.
#![no_main]

use std::sync::LazyLock;

use ferrocrawl_core::html::{xpath, Document, Item, NodeId, Variable, XPath};
use libfuzzer_sys::fuzz_target;

const HTML: &str = r#"<!DOCTYPE html><html lang="en"><head><title>T</title><base href="/b/"></head>
<body id="b" class="x y"><div lang="en-GB"><p>one <b>two</b> 3.5</p><!-- c --><a href="/a?q=1#f">link</a></div>
<ul><li>1</li><li data-n="2">2</li><li class="x">three</li></ul><table><tr><td>x</td><td>-0</td></tr></table>
<svg><g id="g"><rect/></g></svg><template><i>t</i></template><?pi data?></body></html>"#;

const XML: &str = r#"<?xml version="1.0"?><root xmlns:x="urn:x" a="1"><x:item id="i1">A<b/></x:item>
<item n="2"><![CDATA[c < d]]></item><?pi v?><!-- c --><x:item xml:lang="fr">B</x:item></root>"#;

struct Page {
    doc: Document,
    contexts: Vec<Item>,
}

fn page(doc: Document) -> Page {
    let mut contexts = vec![Item::Node(NodeId::DOCUMENT)];
    for probe in ["(//*[@id])[1]", "(//@*)[last()]", "(//text())[2]"] {
        let mut out = Vec::new();
        XPath::parse(probe).unwrap().select(&doc, &mut out).unwrap();
        contexts.extend(out.into_iter().take(1));
    }
    Page { doc, contexts }
}

static PAGES: LazyLock<[Page; 2]> =
    LazyLock::new(|| [page(Document::parse(HTML, None)), page(Document::parse_xml(XML, None))]);

static VARS: LazyLock<Vec<(String, Variable)>> = LazyLock::new(|| {
    vec![
        ("v".into(), Variable::Str("two".into())),
        ("n".into(), Variable::Num(2.0)),
        ("b".into(), Variable::Bool(true)),
    ]
});

fuzz_target!(|expr: &str| {
    let compiled = match xpath(expr) {
        Ok(c) => c,
        Err(e) => {
            assert!(e.position <= expr.len(), "{expr:?}: {e:?}");
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(compiled.source(), expr);
    let namespaces = [("x".to_string(), "urn:x".to_string())];
    let mut out = Vec::new();
    for page in PAGES.iter() {
        for context in &page.contexts {
            out.clear();
            match compiled.evaluate_with(&page.doc, context, &VARS, &namespaces, &mut out) {
                Ok(fragment) => {
                    let doc = fragment.as_deref().unwrap_or(&page.doc);
                    for item in &out {
                        let _ = doc.get(item);
                    }
                }
                Err(e) => {
                    assert!(e.position <= expr.len(), "{expr:?}: {e:?}");
                    let _ = e.to_string();
                }
            }
        }
    }
});
