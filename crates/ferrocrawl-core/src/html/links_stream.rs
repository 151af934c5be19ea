//! [`extract_links`]: a page's links without building a tree. html5ever's tokenizer and tree
//! builder run exactly as for [`Document::parse`](super::Document::parse), but into a sink
//! that keeps nothing but element names (the builder asks for them) and the `href`s of
//! `<a>`, `<area>` and `<base>`. The builder is what makes `<script>`, `<style>`,
//! `<textarea>`, `<svg>`/`<math>` content and CDATA tokenize as a browser does, so the links
//! found are the [`Document::links_encoded`](super::Document::links_encoded) ones.
//!
//! One difference, by construction: links come in the order the builder creates the elements.
//! That is document order except where the builder moves nodes: an `<a>` foster-parented out
//! of a `<table>` lands in the tree before the table but is seen after the table's earlier
//! links, and a `<frameset>` that replaces a `<body>` drops that body's links from the tree
//! (not from this list).

use std::borrow::Cow;
use std::cell::{Ref, RefCell};
use std::ops::Range;

use encoding_rs::Encoding;
use html5ever::buffer_queue::BufferQueue;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{Tokenizer, TokenizerOpts};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeBuilder, TreeBuilderOpts, TreeSink};
use html5ever::{local_name, ns, QualName, TokenizerResult};
use url::Url;

use super::attr_cap::cap_attributes;
use super::dom::DepthGuard;
use super::links::LinkResolver;

/// The `<a href>`/`<area href>` links of a page without building a DOM: resolved against the
/// first `<base href>` (itself resolved against `base`), else `base`; only http(s); fragment
/// dropped; query strings encoded in `encoding` as a browser does (a GBK page's `/s?q=中文`
/// is `/s?q=%D6%D0%CE%C4`); document order, each once. `html` is the decoded page
/// ([`charset::decode`](crate::charset::decode)). Same rules and results as
/// [`Document::links_encoded`](super::Document::links_encoded); see the module docs for the
/// one ordering difference.
pub fn extract_links(html: &str, base: &Url, encoding: &'static Encoding) -> Vec<Url> {
    let hrefs = scan_hrefs(html);
    let resolver = LinkResolver::new(Some(base), hrefs.base.as_deref(), encoding);
    resolver.links(hrefs.iter())
}

/// What the scan keeps: the link hrefs in one buffer, and the first `<base href>`.
#[derive(Debug, Default)]
struct Hrefs {
    text: String,
    spans: Vec<Range<usize>>,
    base: Option<String>,
}

impl Hrefs {
    fn iter(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|r| &self.text[r.clone()])
    }
}

fn scan_hrefs(html: &str) -> Hrefs {
    let sink = HrefSink { names: RefCell::new(vec![placeholder()]), hrefs: RefCell::new(Hrefs::default()) };
    let builder = TreeBuilder::new(sink, TreeBuilderOpts::default());
    let tokenizer = Tokenizer::new(DepthGuard::new(builder), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(&cap_attributes(html)));
    while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
    tokenizer.end();
    tokenizer.sink.inner.sink.hrefs.into_inner()
}

fn placeholder() -> QualName {
    QualName::new(None, ns!(), local_name!(""))
}

/// A tree sink that builds no tree. Handles index `names`; only elements have real names
/// (html5ever asks names of elements only).
struct HrefSink {
    names: RefCell<Vec<QualName>>,
    hrefs: RefCell<Hrefs>,
}

impl HrefSink {
    fn push(&self, name: QualName) -> u32 {
        let mut names = self.names.borrow_mut();
        names.push(name);
        u32::try_from(names.len() - 1).expect("fewer than 4 billion nodes")
    }
}

impl TreeSink for HrefSink {
    type Handle = u32;
    type Output = Self;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> u32 {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a u32) -> Ref<'a, QualName> {
        Ref::map(self.names.borrow(), |n| &n[*target as usize])
    }

    fn create_element(&self, name: QualName, attrs: Vec<html5ever::Attribute>, _: ElementFlags) -> u32 {
        if name.ns == ns!(html) {
            let href = || attrs.iter().find(|a| a.name.local == local_name!("href")).map(|a| &*a.value);
            match name.local {
                local_name!("a") | local_name!("area") => {
                    if let Some(href) = href() {
                        let mut hrefs = self.hrefs.borrow_mut();
                        let start = hrefs.text.len();
                        hrefs.text.push_str(href);
                        let end = hrefs.text.len();
                        hrefs.spans.push(start..end);
                    }
                }
                local_name!("base") => {
                    let mut hrefs = self.hrefs.borrow_mut();
                    if hrefs.base.is_none() {
                        hrefs.base = href().map(str::to_owned);
                    }
                }
                _ => {}
            }
        }
        self.push(name)
    }

    fn create_comment(&self, _text: StrTendril) -> u32 {
        self.push(placeholder())
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> u32 {
        self.push(placeholder())
    }

    fn append(&self, _parent: &u32, _child: NodeOrText<u32>) {}

    fn append_based_on_parent_node(&self, _element: &u32, _prev: &u32, _child: NodeOrText<u32>) {}

    fn append_doctype_to_document(&self, _name: StrTendril, _public: StrTendril, _system: StrTendril) {}

    /// As in [`Document`](super::Document): template contents are the template itself.
    fn get_template_contents(&self, target: &u32) -> u32 {
        *target
    }

    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, _sibling: &u32, _new_node: NodeOrText<u32>) {}

    fn add_attrs_if_missing(&self, _target: &u32, _attrs: Vec<html5ever::Attribute>) {}

    fn remove_from_parent(&self, _target: &u32) {}

    fn reparent_children(&self, _node: &u32, _new_parent: &u32) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::Document;
    use encoding_rs::{GBK, UTF_8};

    fn page() -> Url {
        Url::parse("http://h.example/dir/page.html").unwrap()
    }

    /// Both paths, which must agree; returns the links as strings.
    fn both(html: &str, encoding: &'static Encoding) -> Vec<String> {
        let streamed = extract_links(html, &page(), encoding);
        let dom = Document::parse(html, None).links_encoded(&page(), encoding);
        assert_eq!(streamed, dom, "streaming and DOM links differ for {html:?}");
        streamed.into_iter().map(String::from).collect()
    }

    fn links(html: &str) -> Vec<String> {
        both(html, UTF_8)
    }

    #[test]
    fn only_a_and_area_in_order_each_once_without_fragment() {
        let html = r##"<a href="/b#x">1</a><a href="c">2</a><a href="/b#y">3</a><a href="./c">4</a>
            <link href="/style.css"><img src="/i.png"><a>no href</a><a href>empty</a>
            <map><area href="https://other.example/z"></map><a href="#top">self</a>"##;
        assert_eq!(
            links(html),
            [
                "http://h.example/b",
                "http://h.example/dir/c",
                "http://h.example/dir/page.html",
                "https://other.example/z",
            ]
        );
    }

    #[test]
    fn non_http_schemes_and_unparsable_hrefs_are_left_out() {
        let html = r#"<a href="javascript:void(0)">j</a><a href="mailto:x@y.example">m</a>
            <a href="ftp://f.example/x">f</a><a href="data:text/html,x">d</a><a href="http://[::1">bad</a>
            <a href="tel:+1">t</a><a href="HTTPS://UP.example/P">ok</a>"#;
        assert_eq!(links(html), ["https://up.example/P"]);
    }

    #[test]
    fn comments_scripts_and_raw_text_hide_markup() {
        let html = r#"<!-- <a href="/comment"> --><script>document.write('<a href="/script">')</script>
            <script><!--<script></script><a href="/escaped-script">--></script>
            <style>a[href="/style"]{}</style><textarea><a href="/textarea"></textarea>
            <title><a href="/title"></title><noscript><a href="/noscript"></noscript>
            <xmp><a href="/xmp"></xmp><iframe><a href="/iframe"></iframe><noembed><a href="/noembed"></noembed>
            <a href="/visible">v</a><![CDATA[ x > <a href="/after-bogus-comment"> ]]>
            <plaintext><a href="/plaintext">"#;
        assert_eq!(links(html), ["http://h.example/visible", "http://h.example/after-bogus-comment"]);
    }

    #[test]
    fn foreign_content_tokenizes_like_a_browser() {
        // In <svg>, <style> is not raw text and CDATA is text; SVG's own <a> is not an HTML link;
        // a MathML text integration point (<mi>) holds HTML again.
        let html = r#"<svg><style><a href="/svg-a-in-style"></a></style><a href="/svg-a"></a>
            <![CDATA[ > <a href="/in-cdata"> ]]></svg>
            <math><mi><a href="/mathml-html">m</a></mi></math><svg><p><a href="/breakout">b</a>"#;
        assert_eq!(links(html), ["http://h.example/mathml-html", "http://h.example/breakout"]);
    }

    #[test]
    fn attributes_unquoted_entities_case_and_whitespace() {
        let html = "<A HREF=/up?a=1&b=2>u</A><AREA Href='/ar?x=1&amp;y=2&lt;'><a href=\"/e?a&copy=1\">e</a>
            <a href=' \n/w\t/x '>w</a><a href=/dup href=/second>d</a>";
        assert_eq!(
            links(html),
            [
                "http://h.example/up?a=1&b=2",
                "http://h.example/ar?x=1&y=2%3C",
                // `&copy` followed by `=` is not a reference inside an attribute value.
                "http://h.example/e?a&copy=1",
                "http://h.example/w/x",
                "http://h.example/dup",
            ]
        );
    }

    #[test]
    fn first_base_href_wins_even_after_the_links() {
        let html = r#"<a href="x">x</a><base target="_blank"><base href="sub/"><base href="/other/">"#;
        assert_eq!(links(html), ["http://h.example/dir/sub/x"]);
        let html = r#"<base href="//cdn.example/root/"><a href="y">y</a><a href="/z">z</a>"#;
        assert_eq!(links(html), ["http://cdn.example/root/y", "http://cdn.example/z"]);
        // A base that does not parse is ignored; a non-http base leaves only absolute links.
        assert_eq!(links(r#"<base href="http://[::1"><a href="q">q</a>"#), ["http://h.example/dir/q"]);
        assert_eq!(
            links(r#"<base href="mailto:x"><a href="q">q</a><a href="http://a.example/">a</a>"#),
            ["http://a.example/"]
        );
        // <svg><base> is not the document's base.
        assert_eq!(
            links(r#"<svg><base href="/svg/"></base></svg><a href="q">q</a>"#),
            ["http://h.example/dir/q"]
        );
    }

    #[test]
    fn template_contents_count_as_in_the_dom() {
        assert_eq!(links(r#"<template><a href="/t">t</a></template>"#), ["http://h.example/t"]);
    }

    #[test]
    fn gbk_query_strings_are_encoded_like_a_browser() {
        let html = "<a href='/s?q=中文'>s</a><a href='/中文'>p</a><base href='/b/?q=中'><a href=''>self</a>";
        assert_eq!(
            both(html, GBK),
            [
                "http://h.example/s?q=%D6%D0%CE%C4",
                "http://h.example/%E4%B8%AD%E6%96%87",
                "http://h.example/b/?q=%D6%D0"
            ]
        );
        assert_eq!(both(html, UTF_8)[0], "http://h.example/s?q=%E4%B8%AD%E6%96%87");
    }

    #[test]
    fn nesting_beyond_the_limit_is_dropped_by_both() {
        // Start tags deeper than MAX_DEPTH are dropped (see dom.rs), an <a> among them too.
        let deep = "<div>".repeat(crate::html::MAX_DEPTH + 10);
        let html =
            format!("<a href=/top>t</a>{deep}<a href=/deep>d</a>{}<a href=/after>", "</div>".repeat(600));
        assert_eq!(links(&html), ["http://h.example/top", "http://h.example/after"]);
    }

    #[test]
    fn foster_parenting_is_the_one_order_difference() {
        // The second <a> moves before the table in the tree; the stream sees it second.
        let html = "<table><tr><td><a href=/1>1</a></td></tr><a href=/2>2</a></table>";
        let streamed: Vec<String> =
            extract_links(html, &page(), UTF_8).into_iter().map(String::from).collect();
        let dom = Document::parse(html, None).links(Some(&page()));
        assert_eq!(streamed, ["http://h.example/1", "http://h.example/2"]);
        assert_eq!(dom, ["http://h.example/2", "http://h.example/1"]);
    }

    /// Pages shaped like bench/gen_site.py's and like the PostgreSQL docs (navigation tables,
    /// code samples with escaped markup, anchors), generated so the test always runs.
    #[test]
    fn generated_pages_agree() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let pieces = [
            "<li><a href=\"/p/00/00042.html\">Page 42</a></li>",
            "<p>Lorem ipsum <b>dolor</b> sit amet, <a href=\"sql-select.html#SQL-WITH\">WITH</a>.</p>",
            "<pre class=\"programlisting\">SELECT '&lt;a href=\"/not\"&gt;' &amp;&amp; x;</pre>",
            "<table class=\"navheader\"><tr><td><a accesskey=\"p\" href=\"prev.html\">Prev</a></td>\
             <td><a accesskey=\"u\" href=\"index.html\">Up</a></td></tr></table>",
            "<div class=\"toc\"><dl><dt><span class=\"sect1\"><a href=\"#id-1\">1</a></span></dt></dl></div>",
            "<script>var s = '<a href=\"/js\">'; if (a < b) {}</script>",
            "<!-- <a href=\"/commented\"> -->",
            "<a href=\"https://www.postgresql.org/docs/\" target=\"_top\">docs</a>",
            "<a href=\"mailto:pgsql-docs@lists.postgresql.org\">mail</a>",
            "<img src=\"/x.png\" alt=\"<a href=/alt>\">",
            "<a href=\"../other/page.html?x=1&amp;y=2#frag\">o</a>",
            "<svg viewBox=\"0 0 1 1\"><path d=\"M0 0\"/><a href=\"/svg\"><text>t</text></a></svg>",
            "<code>&lt;base href=\"/no\"&gt;</code>",
            "<p>unclosed <i>italic <a href=\"/in-italic\">x</a>",
        ];
        for i in 0..300 {
            let mut html =
                String::from("<!DOCTYPE html><html><head><meta charset=utf-8><title>t</title></head><body>");
            for _ in 0..next(40) {
                html.push_str(pieces[next(pieces.len())]);
                html.push('\n');
            }
            if i % 7 == 0 {
                html.insert_str(0, "<base href=\"/base/\">");
            }
            html.push_str("</body></html>");
            let found = links(&html);
            assert!(found.iter().all(|l| !l.contains('#') && !l.contains("/not") && !l.contains("/js")));
        }
    }
}
