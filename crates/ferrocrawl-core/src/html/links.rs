//! `links()`: the page's outgoing http(s) links, absolute, without fragments, deduplicated,
//! in document order.

use std::collections::HashSet;

use url::Url;

use super::dom::{Document, NodeData, NodeId};

impl Document {
    /// The URL relative links resolve against: the first `<base href>` (itself resolved
    /// against `base_url`, else the document's base URL), else that base URL.
    pub fn effective_base(&self, base_url: Option<&Url>) -> Option<Url> {
        let page_base = base_url.or(self.base_url());
        self.descendants(NodeId::DOCUMENT)
            .filter_map(|id| self.element(id))
            .find(|e| e.is_html() && e.name() == "base" && e.attr("href").is_some())
            .and_then(|e| e.attr("href"))
            .and_then(|href| Url::options().base_url(page_base).parse(href.trim()).ok())
            .or_else(|| page_base.cloned())
    }

    /// The `href`s of `<a>` and `<area>` elements, resolved against the first `<base href>`
    /// (itself resolved against `base_url`), else against `base_url`, else the document's own
    /// base URL. Relative links that cannot be resolved, and non-http(s) schemes
    /// (`mailto:`, `javascript:`), are left out.
    pub fn links(&self, base_url: Option<&Url>) -> Vec<String> {
        let effective = self.effective_base(base_url);
        let base = effective.as_ref();

        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in self.descendants(NodeId::DOCUMENT) {
            let NodeData::Element(e) = self.data(id) else { continue };
            if !(e.is_html() && matches!(e.name(), "a" | "area")) {
                continue;
            }
            let Some(href) = e.attr("href") else { continue };
            let Ok(mut url) = Url::options().base_url(base).parse(href.trim()) else { continue };
            if !matches!(url.scheme(), "http" | "https") {
                continue;
            }
            url.set_fragment(None);
            let url = String::from(url);
            if seen.insert(url.clone()) {
                out.push(url);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_deduplicated_in_order() {
        let html = r#"<a href="/b#x">1</a><a href="c">2</a><a href="/b#y">3</a>
            <a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a><a>no href</a>
            <map><area href="https://other.example/z"></map><a href=" //cdn.example/q ">p</a>"#;
        let base = Url::parse("https://site.example/dir/page").unwrap();
        let doc = Document::parse(html, Some(base));
        assert_eq!(
            doc.links(None),
            [
                "https://site.example/b",
                "https://site.example/dir/c",
                "https://other.example/z",
                "https://cdn.example/q"
            ]
        );
    }

    #[test]
    fn base_tag_wins() {
        let doc = Document::parse(r#"<base href="/root/"><a href="x">x</a>"#, None);
        let base = Url::parse("http://h.example/a/b").unwrap();
        assert_eq!(doc.links(Some(&base)), ["http://h.example/root/x"]);
        assert_eq!(doc.links(None), Vec::<String>::new(), "relative links need a base");
    }
}
