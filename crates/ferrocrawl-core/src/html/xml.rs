//! XML documents (parsel's `type="xml"`: RSS, Atom, sitemaps) in the same arena as HTML, so
//! XPath and CSS run on them unchanged. quick-xml reads the events; names keep their case and
//! get their namespace from the `xmlns` declarations in scope.
//!
//! Like libxml2's recovering parser (which parsel uses), broken input still gives a tree: an
//! end tag closes the innermost open element whatever its name, a stray one is ignored,
//! elements still open at the end are closed, and parsing stops at the first
//! error quick-xml cannot read past. External and custom entities are not expanded (nothing
//! is fetched); `&name;` stays as written. Namespace declarations are not serialised.

use std::fmt::Write as _;

use html5ever::{LocalName, Namespace, Prefix, QualName};
use quick_xml::events::{BytesStart, Event};
use url::Url;

use super::dom::{Attribute, Document, Element, Node, NodeData, NodeId, NONE};

/// `xmlns:xml`, bound in every document.
pub(super) const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

struct Builder {
    nodes: Vec<Node>,
    /// The open elements (the document first) and the id of the last child of each.
    open: Vec<(u32, u32)>,
    /// The namespace declarations in scope, innermost last: (prefix, "" for the default; uri).
    scope: Vec<(String, String)>,
    /// How many entries of `scope` each open element added.
    declared: Vec<usize>,
    /// Every element's declarations, for the `namespace::` axis.
    ns_decls: Vec<(NodeId, Box<str>, Box<str>)>,
}

impl Builder {
    fn push(&mut self, data: NodeData) -> u32 {
        let id = u32::try_from(self.nodes.len()).expect("fewer than 4 billion nodes");
        let (parent, last) = self.open.last_mut().expect("the document stays open");
        let prev = *last;
        if prev != NONE {
            self.nodes[prev as usize].next_sibling = id;
        }
        *last = id;
        self.nodes.push(Node {
            parent: *parent,
            prev_sibling: prev,
            next_sibling: NONE,
            subtree_end: id,
            data,
        });
        id
    }

    /// Appends text, merged into the previous node when that is text too.
    fn text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let &(_, last) = self.open.last().expect("the document stays open");
        if last != NONE && last as usize == self.nodes.len() - 1 {
            if let NodeData::Text(t) = &mut self.nodes[last as usize].data {
                let mut s = String::with_capacity(t.len() + text.len());
                s.push_str(t);
                s.push_str(text);
                *t = s.into_boxed_str();
                return;
            }
        }
        self.push(NodeData::Text(text.into()));
    }

    fn resolve(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.scope.iter().rev().find(|(p, _)| p == prefix).map(|(_, uri)| uri.as_str())
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let mut declared = 0;
        let mut attrs = Vec::new();
        for attr in e.attributes().with_checks(false).flatten() {
            let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
            let value = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_or_else(
                |_| String::from_utf8_lossy(&attr.value).into_owned(),
                std::borrow::Cow::into_owned,
            );
            if key == "xmlns" {
                self.scope.push((String::new(), value));
                declared += 1;
            } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                self.scope.push((prefix.to_owned(), value));
                declared += 1;
            } else if !attrs.iter().any(|(k, _)| *k == key) {
                // a repeated attribute is an error libxml2 recovers from by keeping the first
                attrs.push((key, value));
            }
        }
        let raw = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        let (prefix, local) = split(&raw);
        let ns = self.resolve(prefix.unwrap_or("")).unwrap_or("");
        let name = qual_name(prefix, ns, local);
        let attrs = attrs
            .into_iter()
            .map(|(key, value)| {
                let (prefix, local) = split(&key);
                // an unprefixed attribute has no namespace
                let ns = prefix.and_then(|p| self.resolve(p)).unwrap_or("");
                Attribute { name: qual_name(prefix, ns, local), value: value.into() }
            })
            .collect();
        let id = self.push(NodeData::Element(Element { name, attrs }));
        let owner = NodeId::from_index(id as usize);
        let scope = &self.scope[self.scope.len() - declared..];
        self.ns_decls.extend(scope.iter().map(|(p, uri)| (owner, p.as_str().into(), uri.as_str().into())));
        if empty {
            self.scope.truncate(self.scope.len() - declared);
        } else {
            self.open.push((id, NONE));
            self.declared.push(declared);
        }
    }

    /// An end tag closes the innermost open element, whatever its name (libxml2's recovery:
    /// `<a>x</b>` is `<a>x</a>`); one with nothing open is ignored.
    fn end(&mut self) {
        if self.open.len() > 1 {
            self.close();
        }
    }

    fn close(&mut self) {
        let (id, _) = self.open.pop().expect("an element is open");
        self.nodes[id as usize].subtree_end = u32::try_from(self.nodes.len() - 1).expect("fits");
        let declared = self.declared.pop().unwrap_or(0);
        self.scope.truncate(self.scope.len() - declared);
    }
}

fn split(name: &str) -> (Option<&str>, &str) {
    match name.split_once(':') {
        Some((prefix, local)) => (Some(prefix), local),
        None => (None, name),
    }
}

fn qual_name(prefix: Option<&str>, ns: &str, local: &str) -> QualName {
    QualName::new(prefix.map(Prefix::from), Namespace::from(ns), LocalName::from(local))
}

/// `prefix:local` as written.
pub(super) fn qualified(name: &QualName) -> String {
    match &name.prefix {
        Some(p) => format!("{p}:{}", name.local),
        None => name.local.to_string(),
    }
}

impl Document {
    /// Parses `text` as XML (never fails: see the module docs for how broken input reads).
    /// An input without an element gets an empty `<html/>` root, as parsel's does.
    pub fn parse_xml(text: &str, base_url: Option<Url>) -> Document {
        let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
        let mut b = Builder {
            nodes: vec![Node {
                parent: NONE,
                prev_sibling: NONE,
                next_sibling: NONE,
                subtree_end: 0,
                data: NodeData::Document,
            }],
            open: vec![(0, NONE)],
            scope: Vec::new(),
            declared: Vec::new(),
            ns_decls: Vec::new(),
        };
        let mut reader = quick_xml::Reader::from_str(text);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = false;
        config.expand_empty_elements = false;
        // parsing stops at the first error quick-xml cannot read past
        while let Ok(event) = reader.read_event() {
            match event {
                Event::Start(e) => b.start(&e, false),
                Event::Empty(e) => b.start(&e, true),
                Event::End(_) => b.end(),
                Event::Text(t) => {
                    // text outside the root element is not part of the tree
                    if b.open.len() > 1 {
                        b.text(&t.xml10_content().unwrap_or_default());
                    }
                }
                Event::CData(t) => {
                    if b.open.len() > 1 {
                        b.text(&t.decode().unwrap_or_default());
                    }
                }
                Event::GeneralRef(r) => {
                    if b.open.len() > 1 {
                        let name = String::from_utf8_lossy(&r).into_owned();
                        match r.resolve_char_ref() {
                            Ok(Some(c)) => b.text(c.encode_utf8(&mut [0; 4])),
                            _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(s) => b.text(s),
                                None => {
                                    b.push(NodeData::EntityRef(name.into()));
                                }
                            },
                        }
                    }
                }
                Event::Comment(t) => {
                    b.push(NodeData::Comment(String::from_utf8_lossy(&t).into()));
                }
                Event::PI(pi) => {
                    let target = String::from_utf8_lossy(pi.target()).into();
                    let data = String::from_utf8_lossy(pi.content()).trim_start().into();
                    b.push(NodeData::ProcessingInstruction { target, data });
                }
                Event::Eof => break,
                Event::Decl(_) | Event::DocType(_) => {}
            }
        }
        while b.open.len() > 1 {
            b.close();
        }
        if !b.nodes.iter().any(|n| matches!(n.data, NodeData::Element(_))) {
            b.push(NodeData::Element(Element { name: qual_name(None, "", "html"), attrs: Box::new([]) }));
        }
        b.nodes[0].subtree_end = u32::try_from(b.nodes.len() - 1).expect("fits");
        Document { nodes: b.nodes, base_url, xml: true, ns_decls: b.ns_decls }
    }

    /// The node serialised as XML, as lxml writes it: `<a/>` for an empty element, only
    /// `&`, `<`, `>` (and `"` in attributes) escaped.
    pub fn outer_xml(&self, id: NodeId) -> String {
        let mut out = String::new();
        let mut open: Vec<NodeId> = Vec::new();
        let close = |out: &mut String, top: NodeId| {
            if let Some(e) = self.element(top) {
                let _ = write!(out, "</{}>", qualified(&e.name));
            }
        };
        let first = if id == NodeId::DOCUMENT { 1 } else { id.index() };
        for n in (first..=self.subtree_end(id).index()).map(NodeId::from_index) {
            while let Some(&top) = open.last() {
                if self.subtree_end(top) >= n {
                    break;
                }
                open.pop();
                close(&mut out, top);
            }
            match self.data(n) {
                NodeData::Element(e) => {
                    let _ = write!(out, "<{}", qualified(&e.name));
                    for a in &*e.attrs {
                        let _ = write!(out, " {}=\"{}\"", qualified(&a.name), escape(&a.value, true));
                    }
                    if self.subtree_end(n) == n {
                        out.push_str("/>");
                    } else {
                        out.push('>');
                        open.push(n);
                    }
                }
                NodeData::Text(t) => out.push_str(&escape(t, false)),
                NodeData::Comment(c) => {
                    let _ = write!(out, "<!--{c}-->");
                }
                NodeData::ProcessingInstruction { target, data } => {
                    let _ = write!(out, "<?{target} {data}?>");
                }
                NodeData::EntityRef(name) => {
                    let _ = write!(out, "&{name};");
                }
                NodeData::Doctype { .. } | NodeData::Document | NodeData::Removed => {}
            }
        }
        while let Some(top) = open.pop() {
            close(&mut out, top);
        }
        out
    }
}

fn escape(s: &str, attribute: bool) -> std::borrow::Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"']) {
        return s.into();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use crate::html::{Document, Item, NodeId};

    fn get(text: &str) -> String {
        let doc = Document::parse_xml(text, None);
        doc.get(&Item::Node(doc.root_element().unwrap_or(NodeId::DOCUMENT)))
    }

    #[test]
    fn parses_and_serialises_like_lxml() {
        assert_eq!(get("<root>lala</root>"), "<root>lala</root>");
        assert_eq!(get(r#"<?xml version="1.0" encoding="bogus"?><a/>"#), "<a/>");
        assert_eq!(
            get("<a x='1 &amp; &lt;2'>t&#65;&gt;<![CDATA[<c>]]></a>"),
            r#"<a x="1 &amp; &lt;2">tA&gt;&lt;c&gt;</a>"#
        );
        // recovery: an end tag closes what is open inside it
        assert_eq!(
            get(r#"<div><img src="a.jpg"><p>Hello</div>"#),
            r#"<div><img src="a.jpg"><p>Hello</p></img></div>"#
        );
        assert_eq!(get("<a><b>1</b></x></a>"), "<a><b>1</b></a>");
        assert_eq!(get("<t><n:a>take</a><a>found</a></t>"), "<t><n:a>take</n:a><a>found</a></t>");
        assert_eq!(get(""), "<html/>");
        assert_eq!(get(r#"<a x="1" x="2"/>"#), r#"<a x="1"/>"#);
        // an undefined entity stays a reference, never expanded, and is written back as such
        assert_eq!(get("<foo>a&xxe;b</foo>"), "<foo>a&xxe;b</foo>");
        let doc = Document::parse_xml("<foo>a&xxe;b</foo>", None);
        assert_eq!(doc.text(doc.root_element().unwrap()), "ab");
    }

    fn first(doc: &Document, expr: &str) -> NodeId {
        let mut out = Vec::new();
        crate::html::XPath::parse(expr).unwrap().select(doc, &mut out).unwrap();
        match out.first() {
            Some(Item::Node(id)) => *id,
            other => panic!("{expr}: {other:?}"),
        }
    }

    #[test]
    fn drop_node_keeps_ids_and_joins_the_text_around() {
        use crate::html::xpath::testing::getall;
        use crate::html::DropError;
        let doc = Document::parse("<p>Text before.<span>Text in.</span> Text after.</p><i>x</i>", None);
        let span = first(&doc, "//span");
        let i = first(&doc, "//i");
        let dropped = doc.drop_node(span).unwrap();
        assert_eq!(dropped.get(&Item::Node(first(&dropped, "//p"))), "<p>Text before. Text after.</p>");
        assert_eq!(getall(&dropped, "//p/text()"), ["Text before. Text after."]);
        assert_eq!(getall(&dropped, "//p/node()"), ["Text before. Text after."]);
        assert_eq!(getall(&dropped, "count(//span | //text()[.='Text in.'])"), ["0.0"]);
        assert_eq!(dropped.get(&Item::Node(i)), "<i>x</i>", "other ids still point at their nodes");
        let first_child = dropped.drop_node(first(&dropped, "//p/text()")).unwrap();
        assert_eq!(getall(&first_child, "//p"), ["<p></p>"]);
        assert_eq!(getall(&first_child, "count(//p/node())"), ["0.0"]);
        let html = first(&doc, "/html");
        assert_eq!(doc.drop_node(html).unwrap_err(), DropError::NoParent);
        assert_eq!(doc.drop_node(NodeId::DOCUMENT).unwrap_err(), DropError::NoParent);
        // XML too, and the root element stays
        let xml = Document::parse_xml("<a><b/>tail<c/></a>", None);
        let xml = xml.drop_node(first(&xml, "//b")).unwrap();
        assert_eq!(getall(&xml, "/a"), ["<a>tail<c/></a>"]);
        assert_eq!(xml.drop_node(first(&xml, "/a")).unwrap_err(), DropError::NoParent);
    }

    #[test]
    fn without_namespaces() {
        use crate::html::xpath::testing::getall;
        let doc =
            Document::parse_xml(r#"<feed xmlns="urn:atom" xmlns:a="urn:a"><link a:type="t"/></feed>"#, None);
        assert!(getall(&doc, "//link").is_empty());
        let plain = doc.without_namespaces();
        assert_eq!(getall(&plain, "//link/@type"), ["t"]);
        assert_eq!(getall(&plain, "/feed"), [r#"<feed><link type="t"/></feed>"#]);
    }

    #[test]
    fn names_keep_case_and_namespace() {
        let doc = Document::parse_xml(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:m="urn:m"><Entry m:a="1"/><m:x/></feed>"#,
            None,
        );
        assert!(doc.is_xml());
        let names: Vec<_> = doc
            .descendants(NodeId::DOCUMENT)
            .filter_map(|id| doc.element(id))
            .map(|e| {
                (
                    e.name.prefix.as_ref().map(ToString::to_string),
                    e.name.ns.to_string(),
                    e.name.local.to_string(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (None, "http://www.w3.org/2005/Atom".into(), "feed".into()),
                (None, "http://www.w3.org/2005/Atom".into(), "Entry".into()),
                (Some("m".into()), "urn:m".into(), "x".into()),
            ]
        );
        let entry = doc
            .descendants(NodeId::DOCUMENT)
            .find_map(|id| doc.element(id).filter(|e| &*e.name.local == "Entry"))
            .unwrap();
        assert_eq!((&*entry.attrs[0].name.ns, &*entry.attrs[0].name.local), ("urn:m", "a"));
        assert_eq!(entry.attrs.len(), 1, "xmlns declarations are not attributes");
    }
}
