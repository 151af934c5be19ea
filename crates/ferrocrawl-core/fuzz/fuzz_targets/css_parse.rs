//! Any UTF-8 string given to the CSS parser (with parsel's `::text` / `::attr()`) gives a
//! query or a `SelectorError`, never a panic; a query that parses also runs on a small page.
#![no_main]

use std::sync::LazyLock;

use ferrocrawl_core::html::{css, Document, NodeId};
use libfuzzer_sys::fuzz_target;

static PAGE: LazyLock<Document> = LazyLock::new(|| {
    Document::parse(
        r#"<html><head><title>t</title></head><body id="b" class="x y">
        <div lang="en"><p>one <b>two</b> 3.5</p><!-- c --><a href="/a?q=1#f">link</a></div>
        <ul><li>1</li><li data-n="2">2</li><li>three</li></ul><input type=checkbox checked>
        </body></html>"#,
        None,
    )
});

fuzz_target!(|expr: &str| {
    let Ok(query) = css(expr) else { return };
    let mut out = Vec::new();
    query.select(&PAGE, NodeId::DOCUMENT, &mut out);
    for item in &out {
        let _ = PAGE.get(item);
    }
});
