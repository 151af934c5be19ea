//! Any UTF-8 string given to the XPath parser gives an expression or a `SelectorError`, never
//! a panic; an expression that parses also evaluates on a small page without panicking.
#![no_main]

use std::sync::LazyLock;

use ferrocrawl_core::html::{xpath, Document, Item, NodeId};
use libfuzzer_sys::fuzz_target;

static PAGE: LazyLock<Document> = LazyLock::new(|| {
    Document::parse(
        r#"<html><head><title>t</title></head><body id="b" class="x y">
        <div lang="en"><p>one <b>two</b> 3.5</p><!-- c --><a href="/a?q=1#f">link</a></div>
        <ul><li>1</li><li data-n="2">2</li><li>three</li></ul><table><tr><td>x</td></tr></table>
        </body></html>"#,
        None,
    )
});

fuzz_target!(|expr: &str| {
    let Ok(compiled) = xpath(expr) else { return };
    let mut out = Vec::new();
    if compiled.evaluate(&PAGE, &Item::Node(NodeId::DOCUMENT), &mut out).is_ok() {
        for item in &out {
            let _ = PAGE.get(item);
        }
    }
});
