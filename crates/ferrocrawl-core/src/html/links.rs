//! A page's outgoing links: `<a href>` and `<area href>` resolved against the first
//! `<base href>`, http(s) only, fragment dropped, each URL once, in document order.
//!
//! [`LinkResolver`] turns one href into a link; [`Document::links_encoded`] (on a parsed tree) and
//! [`extract_links`](super::extract_links) (streaming, no tree) both go through it, so the
//! two paths cannot disagree on what a link is.

use std::borrow::Cow;
use std::collections::HashSet;

use encoding_rs::{EncoderResult, Encoding, UTF_8};
use url::Url;

use super::dom::{Document, NodeData, NodeId};

/// Resolves the hrefs of one page. Whitespace is handled by the URL parser exactly as
/// browsers do (leading and trailing C0 controls and spaces stripped, tabs and newlines
/// removed anywhere); other Unicode spaces such as U+00A0 are part of the URL.
pub struct LinkResolver {
    /// The first `<base href>` resolved against the page URL, else the page URL.
    base: Option<Url>,
    /// The page's encoding, for query strings; `None` when it encodes as UTF-8 (the URL
    /// parser's own default, and a faster path).
    encoding: Option<&'static Encoding>,
}

impl LinkResolver {
    /// `page` is where the page came from, `base_href` the value of its first `<base href>`.
    /// A `<base href>` that does not parse is ignored, as browsers do.
    pub fn new(page: Option<&Url>, base_href: Option<&str>, encoding: &'static Encoding) -> LinkResolver {
        let encoding = Some(encoding.output_encoding()).filter(|&e| e != UTF_8);
        let mut resolver = LinkResolver { base: page.cloned(), encoding };
        if let Some(base) = base_href.and_then(|href| resolver.parse(href)) {
            resolver.base = Some(base);
        }
        resolver
    }

    /// What relative hrefs resolve against, if anything.
    pub fn base(&self) -> Option<&Url> {
        self.base.as_ref()
    }

    fn parse(&self, href: &str) -> Option<Url> {
        let options = Url::options().base_url(self.base.as_ref());
        match self.encoding {
            None => options.parse(href).ok(),
            Some(encoding) => {
                let encode: &dyn Fn(&str) -> Cow<'_, [u8]> = &|s| encode_query(encoding, s);
                options.encoding_override(Some(encode)).parse(href).ok()
            }
        }
    }

    /// The link `href` points to: absolute, http(s) only, without fragment.
    pub fn link(&self, href: &str) -> Option<Url> {
        let mut url = self.parse(href)?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        url.set_fragment(None);
        Some(url)
    }

    /// The links of `hrefs` (in document order), each once (for callers that collect hrefs
    /// themselves). Equal hrefs resolve to equal
    /// URLs, so repeated hrefs are skipped before the (costlier) URL parse.
    pub fn links<'h>(&self, hrefs: impl IntoIterator<Item = &'h str>) -> Vec<Url> {
        let mut seen_href = HashSet::new();
        let mut urls: Vec<Url> = hrefs
            .into_iter()
            .filter(|href| seen_href.insert(*href))
            .filter_map(|href| self.link(href))
            .collect();
        // Different hrefs can still resolve to one URL (`a`, `./a`, `a#x`).
        let mut seen = HashSet::with_capacity(urls.len());
        let keep: Vec<bool> = urls.iter().map(|u| seen.insert(u.as_str())).collect();
        drop(seen);
        let mut keep = keep.into_iter();
        urls.retain(|_| keep.next().unwrap_or(true));
        urls
    }
}

/// A query string in the page's encoding, as the URL standard's "percent-encode after
/// encoding" does: a character the encoding lacks becomes `%26%23<decimal>%3B` (a
/// percent-encoded `&#<decimal>;`). The URL parser percent-encodes the rest and leaves `%` alone.
fn encode_query<'s>(encoding: &'static Encoding, s: &'s str) -> Cow<'s, [u8]> {
    let (bytes, _, unmappable) = encoding.encode(s);
    if !unmappable {
        return bytes;
    }
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::with_capacity(s.len() * 2);
    let mut rest = s;
    loop {
        out.reserve(encoder.max_buffer_length_from_utf8_without_replacement(rest.len()).unwrap_or(16));
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return Cow::Owned(out),
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(c) => {
                out.extend_from_slice(format!("%26%23{}%3B", u32::from(c)).as_bytes());
            }
        }
    }
}

impl Document {
    /// The URL relative links resolve against: the first `<base href>` (itself resolved
    /// against `base_url`, else the document's base URL), else that base URL.
    pub fn effective_base(&self, base_url: Option<&Url>) -> Option<Url> {
        LinkResolver::new(base_url.or(self.base_url()), self.base_href(), UTF_8).base
    }

    /// The `href` of the first HTML `<base>` element that has one.
    fn base_href(&self) -> Option<&str> {
        self.descendants(NodeId::DOCUMENT)
            .filter_map(|id| self.element(id))
            .find_map(|e| (e.is_html() && e.name() == "base").then(|| e.attr("href")).flatten())
    }

    /// The `href`s of HTML `<a>` and `<area>` elements in document order.
    fn link_hrefs(&self) -> impl Iterator<Item = &str> {
        self.descendants(NodeId::DOCUMENT).filter_map(|id| match self.data(id) {
            NodeData::Element(e) if e.is_html() && matches!(e.name(), "a" | "area") => e.attr("href"),
            _ => None,
        })
    }

    /// The page's links: the `href`s of `<a>` and `<area>` elements resolved against the first
    /// `<base href>` (itself resolved against `base`), else against `base` (the page's URL);
    /// query strings encoded in `encoding` as a browser does (a GBK page's `/s?q=中文` is
    /// `/s?q=%D6%D0%CE%C4`). Only http(s), fragments dropped, each URL once, in document
    /// order; hrefs that do not resolve are left out. The same rules as
    /// [`extract_links`](super::extract_links), which needs no tree.
    pub fn links_encoded(&self, base: &Url, encoding: &'static Encoding) -> Vec<Url> {
        self.resolve_links(Some(base), encoding)
    }

    /// The links of a UTF-8 page as strings (see [`Document::links_encoded`]), resolved
    /// against `base_url`, else the document's own base URL.
    pub fn links(&self, base_url: Option<&Url>) -> Vec<String> {
        self.resolve_links(base_url.or(self.base_url()), UTF_8).into_iter().map(String::from).collect()
    }

    fn resolve_links(&self, page: Option<&Url>, encoding: &'static Encoding) -> Vec<Url> {
        LinkResolver::new(page, self.base_href(), encoding).links(self.link_hrefs())
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

    #[test]
    fn query_in_the_page_encoding() {
        let doc = Document::parse("<a href='/s?q=中文#frag'>x</a><a href='/中文?q=ü'>y</a>", None);
        let base = Url::parse("http://h.example/").unwrap();
        let gbk = doc.links_encoded(&base, encoding_rs::GBK);
        // The path is always UTF-8; only the query follows the page's encoding.
        assert_eq!(gbk[0].as_str(), "http://h.example/s?q=%D6%D0%CE%C4");
        assert_eq!(gbk[1].as_str(), "http://h.example/%E4%B8%AD%E6%96%87?q=%A8%B9");
        let utf8 = doc.links_encoded(&base, UTF_8);
        assert_eq!(utf8[0].as_str(), "http://h.example/s?q=%E4%B8%AD%E6%96%87");
        // Characters the encoding lacks become percent-encoded numeric references, as the
        // URL standard says (not a bare `&#128512;`, which would split the query argument).
        let doc = Document::parse("<a href='/s?q=€😀&r=%41'>x</a>", None);
        let latin = doc.links_encoded(&base, encoding_rs::WINDOWS_1252);
        assert_eq!(latin[0].as_str(), "http://h.example/s?q=%80%26%23128512%3B&r=%41");
        // UTF-16 pages submit UTF-8 (the encoding's output encoding).
        let utf16 = doc.links_encoded(&base, encoding_rs::UTF_16LE);
        assert_eq!(utf16[0].as_str(), "http://h.example/s?q=%E2%82%AC%F0%9F%98%80&r=%41");
    }

    #[test]
    fn whitespace_is_stripped_like_browsers() {
        let html = "<a href='\t /a\n/b \u{c}'>x</a><a href='\u{a0}c'>nbsp is kept</a>";
        let base = Url::parse("http://h.example/d/").unwrap();
        let doc = Document::parse(html, None);
        assert_eq!(doc.links(Some(&base)), ["http://h.example/a/b", "http://h.example/d/%C2%A0c"]);
    }
}
