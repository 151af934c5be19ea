//! The parsed page: html5ever builds a linked arena, which is then laid out again in document
//! order. After that a node's id *is* its preorder position, so document order is `<` on ids,
//! the descendants of `n` are the contiguous ids `n+1 ..= subtree_end(n)`, and every walk is a
//! loop over a range or a sibling chain: nothing recurses, however deep the input nests.
//!
//! Differences from lxml's HTML tree, by design of the HTML5 parsing algorithm (html5ever
//! builds what browsers build): `<html>`, `<head>`, `<body>` and `<tbody>` are always present;
//! misnested tags are repaired the browser way; the children of `<template>` are children of
//! the template element (as in lxml, unlike the DOM's separate template contents).

use std::cell::{Ref, RefCell};
use std::ops::RangeInclusive;

use std::cell::Cell;
use std::collections::HashMap;

use html5ever::buffer_queue::BufferQueue;
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};
use html5ever::tree_builder::{
    ElementFlags, NodeOrText, QuirksMode, Tracer, TreeBuilder, TreeBuilderOpts, TreeSink,
};
use html5ever::{ns, LocalName, QualName, TokenizerResult};
use url::Url;

use super::attr_cap::cap_attributes;

/// A node of a [`Document`]: its position in document order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(u32);

impl NodeId {
    /// The document node, parent of the root element.
    pub const DOCUMENT: NodeId = NodeId(0);

    /// The preorder index (0 is the document node).
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The id at `index`; the caller checks it is below [`Document::len`].
    pub fn from_index(index: usize) -> NodeId {
        NodeId(u32::try_from(index).expect("node index fits in u32"))
    }
}

pub(super) const NONE: u32 = u32::MAX;

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeData {
    Document,
    Doctype {
        name: Box<str>,
    },
    Text(Box<str>),
    Comment(Box<str>),
    ProcessingInstruction {
        target: Box<str>,
        data: Box<str>,
    },
    Element(Element),
    /// XML: a reference to an entity the document does not define (`&xxe;`), kept unexpanded
    /// as lxml keeps it and written back as it was; no text of its own (entities are never
    /// fetched or expanded, so no XXE).
    EntityRef(Box<str>),
    /// A node taken out by [`Document::drop_node`]: no test matches it and nothing links to
    /// it, but its id stays valid (ids are positions, which removal must not shift).
    Removed,
}

/// An element: its name and its attributes in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: QualName,
    pub attrs: Box<[Attribute]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: QualName,
    pub value: Box<str>,
}

impl Element {
    /// The local name; html5ever lowercases HTML element names (SVG keeps `foreignObject`).
    pub fn name(&self) -> &str {
        &self.name.local
    }

    pub fn is_html(&self) -> bool {
        self.name.ns == ns!(html)
    }

    /// The value of attribute `name`, compared ASCII-case-insensitively like lxml's lowercased
    /// HTML attributes.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name.local.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .map(|a| &*a.value)
    }

    /// `(name, value)` pairs in source order.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.attrs.iter().map(|a| (&*a.name.local, &*a.value))
    }
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) parent: u32,
    pub(super) prev_sibling: u32,
    pub(super) next_sibling: u32,
    /// The last descendant in document order (the node itself when it has no children).
    pub(super) subtree_end: u32,
    pub(super) data: NodeData,
}

/// One parsed HTML page. `Send + Sync`: share it behind an `Arc` across threads.
#[derive(Debug)]
pub struct Document {
    pub(super) nodes: Vec<Node>,
    pub(super) base_url: Option<Url>,
    /// Parsed as XML ([`Document::parse_xml`]): names are case-sensitive and namespaced.
    pub(super) xml: bool,
    /// XML only: each element's `xmlns` declarations (prefix, "" for the default; uri), in
    /// document order, for the `namespace::` axis.
    pub(super) ns_decls: Vec<(NodeId, Box<str>, Box<str>)>,
}

/// Whether the source has a `<head` tag of its own (any case).
fn mentions_head(html: &str) -> bool {
    let b = html.as_bytes();
    memchr::memchr_iter(b'<', b).any(|i| {
        b.get(i + 1..i + 5).is_some_and(|t| t.eq_ignore_ascii_case(b"head"))
            && b.get(i + 5).is_none_or(|&c| c.is_ascii_whitespace() || c == b'>' || c == b'/')
    })
}

impl Document {
    /// Parses `html` the way a browser does (never fails). `base_url` is where the page came
    /// from; [`Document::links`](crate::html::Document::links) resolves against it.
    pub fn parse(html: &str, base_url: Option<Url>) -> Document {
        let builder = TreeBuilder::new(Sink::default(), TreeBuilderOpts::default());
        let tokenizer = Tokenizer::new(DepthGuard::new(builder), TokenizerOpts::default());
        let input = BufferQueue::default();
        input.push_back(StrTendril::from_slice(&cap_attributes(html)));
        while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
        tokenizer.end();
        let mut arena = tokenizer.sink.inner.sink.finish();
        if !mentions_head(html) {
            arena.drop_implied_head();
        }
        Document { nodes: arena.into_document_order(), base_url, xml: false, ns_decls: Vec::new() }
    }

    /// Whether the document was parsed as XML.
    pub fn is_xml(&self) -> bool {
        self.xml
    }

    pub fn base_url(&self) -> Option<&Url> {
        self.base_url.as_ref()
    }

    /// Number of nodes, the document node included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: there is at least the document node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn data(&self, id: NodeId) -> &NodeData {
        &self.nodes[id.index()].data
    }

    pub fn element(&self, id: NodeId) -> Option<&Element> {
        match &self.nodes[id.index()].data {
            NodeData::Element(e) => Some(e),
            _ => None,
        }
    }

    pub fn is_element(&self, id: NodeId) -> bool {
        matches!(self.nodes[id.index()].data, NodeData::Element(_))
    }

    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        link(self.nodes[id.index()].parent)
    }

    pub fn prev_sibling(&self, id: NodeId) -> Option<NodeId> {
        link(self.nodes[id.index()].prev_sibling)
    }

    pub fn next_sibling(&self, id: NodeId) -> Option<NodeId> {
        link(self.nodes[id.index()].next_sibling)
    }

    pub fn first_child(&self, id: NodeId) -> Option<NodeId> {
        (self.nodes[id.index()].subtree_end > id.0).then_some(NodeId(id.0 + 1))
    }

    /// The last descendant of `id` in document order, or `id` itself.
    pub fn subtree_end(&self, id: NodeId) -> NodeId {
        NodeId(self.nodes[id.index()].subtree_end)
    }

    /// The descendants of `id` in document order (a range of ids).
    pub fn descendants(&self, id: NodeId) -> impl DoubleEndedIterator<Item = NodeId> {
        self.ids(id.0 + 1..=self.nodes[id.index()].subtree_end)
    }

    /// `id` and its descendants in document order.
    pub fn subtree(&self, id: NodeId) -> impl DoubleEndedIterator<Item = NodeId> {
        self.ids(id.0..=self.nodes[id.index()].subtree_end)
    }

    pub fn children(&self, id: NodeId) -> Siblings<'_> {
        Siblings { doc: self, next: self.first_child(id) }
    }

    /// The ids in `range`, as `NodeId`s.
    #[allow(clippy::unused_self, reason = "ties the iterator to a document for readability")]
    fn ids(&self, range: RangeInclusive<u32>) -> impl DoubleEndedIterator<Item = NodeId> {
        range.map(NodeId)
    }

    /// Whether `ancestor` is a proper ancestor of `id`.
    pub fn is_ancestor(&self, ancestor: NodeId, id: NodeId) -> bool {
        ancestor < id && id.0 <= self.nodes[ancestor.index()].subtree_end
    }

    /// The `<html>` element, if the tree has one (html5ever always creates it).
    pub fn root_element(&self) -> Option<NodeId> {
        self.children(NodeId::DOCUMENT).find(|&c| self.is_element(c))
    }

    /// Appends the XPath string-value of `id`: the text of all descendant text nodes for an
    /// element or the document, the node's own text otherwise.
    pub fn append_text(&self, id: NodeId, out: &mut String) {
        match &self.nodes[id.index()].data {
            NodeData::Document | NodeData::Element(_) => {
                for d in self.descendants(id) {
                    if let NodeData::Text(t) = &self.nodes[d.index()].data {
                        out.push_str(t);
                    }
                }
            }
            NodeData::Text(t) | NodeData::Comment(t) => out.push_str(t),
            NodeData::ProcessingInstruction { data, .. } => out.push_str(data),
            NodeData::Doctype { .. } | NodeData::EntityRef(_) | NodeData::Removed => {}
        }
    }

    /// The XPath string-value of `id` (see [`Document::append_text`]).
    pub fn string_value(&self, id: NodeId) -> String {
        if let NodeData::Text(t) = &self.nodes[id.index()].data {
            return t.to_string();
        }
        let mut s = String::new();
        self.append_text(id, &mut s);
        s
    }
}

/// Why [`Document::drop_node`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropError {
    /// Only elements, text, comments and processing instructions can be dropped.
    NotANode,
    /// The document and its root element have no parent to be dropped from.
    NoParent,
}

impl Document {
    /// A copy without node `id` and its descendants (parsel's `drop()`): the text after it
    /// joins the text before it, as lxml's `drop_tree()` keeps the tail. Ids stay valid.
    pub fn drop_node(&self, id: NodeId) -> Result<Document, DropError> {
        if matches!(self.data(id), NodeData::Removed | NodeData::Doctype { .. }) {
            return Err(DropError::NotANode);
        }
        match self.parent(id) {
            None | Some(NodeId::DOCUMENT) => return Err(DropError::NoParent),
            Some(_) => {}
        }
        let mut nodes = self.nodes.clone();
        let Node { prev_sibling: prev, next_sibling: next, .. } = nodes[id.index()];
        for node in &mut nodes[id.index()..=self.subtree_end(id).index()] {
            node.data = NodeData::Removed;
        }
        // unlink from the siblings. A first child is found as its parent's id + 1, so a removed
        // one stays at the head of the chain, matching nothing, still linked to the next.
        if prev != NONE {
            nodes[prev as usize].next_sibling = next;
        }
        if next != NONE {
            nodes[next as usize].prev_sibling = prev;
        }
        // text before and after now touch: one text node, as in lxml
        if let (Some(p), Some(n)) = (link(prev), link(next)) {
            if let (NodeData::Text(a), NodeData::Text(b)) = (&nodes[p.index()].data, &nodes[n.index()].data) {
                let joined = format!("{a}{b}").into_boxed_str();
                nodes[p.index()].data = NodeData::Text(joined);
                nodes[n.index()].data = NodeData::Removed;
                let after = nodes[n.index()].next_sibling;
                nodes[p.index()].next_sibling = after;
                if after != NONE {
                    nodes[after as usize].prev_sibling = p.0;
                }
            }
        }
        Ok(Document {
            nodes,
            base_url: self.base_url.clone(),
            xml: self.xml,
            ns_decls: self.ns_decls.clone(),
        })
    }

    /// A copy with every element and attribute name out of its namespace (parsel's
    /// `remove_namespaces()`): `//link` then finds Atom's `<link>`.
    #[must_use]
    pub fn without_namespaces(&self) -> Document {
        let mut nodes = self.nodes.clone();
        for node in &mut nodes {
            if let NodeData::Element(e) = &mut node.data {
                e.name = QualName::new(None, ns!(), e.name.local.clone());
                for a in &mut *e.attrs {
                    a.name = QualName::new(None, ns!(), a.name.local.clone());
                }
            }
        }
        // only `xml` stays in scope, as after lxml's cleanup_namespaces()
        Document { nodes, base_url: self.base_url.clone(), xml: self.xml, ns_decls: Vec::new() }
    }

    /// libxml2's parse without `huge_tree`: it stops at the first element nested deeper than
    /// [`LIBXML2_MAX_DEPTH`], so that element and everything after it is missing (the open
    /// elements are closed). `None` when no element is that deep. parsel's `huge_tree=False`.
    #[must_use]
    pub fn cut_at_depth(&self) -> Option<Document> {
        let mut depth = vec![0usize; self.nodes.len()];
        let mut cut = None;
        for (i, node) in self.nodes.iter().enumerate().skip(1) {
            depth[i] = depth[node.parent as usize] + usize::from(matches!(node.data, NodeData::Element(_)));
            if depth[i] > LIBXML2_MAX_DEPTH {
                cut = Some(i);
                break;
            }
        }
        let cut = cut?;
        let end = u32::try_from(cut).expect("fits") - 1;
        let nodes = self.nodes[..cut]
            .iter()
            .map(|n| Node {
                next_sibling: if n.next_sibling != NONE && n.next_sibling > end {
                    NONE
                } else {
                    n.next_sibling
                },
                subtree_end: n.subtree_end.min(end),
                ..n.clone()
            })
            .collect();
        let ns_decls = self.ns_decls.iter().filter(|(owner, ..)| owner.index() < cut).cloned().collect();
        Some(Document { nodes, base_url: self.base_url.clone(), xml: self.xml, ns_decls })
    }

    /// The namespaces in scope on element `id` (XPath's namespace nodes), nearest declaration
    /// first for each prefix, `xml` last; none in HTML (as in lxml's HTML tree).
    pub fn namespaces_in_scope(&self, id: NodeId) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        if !self.xml || self.element(id).is_none() {
            return out;
        }
        let mut cur = Some(id);
        while let Some(n) = cur {
            let from = self.ns_decls.partition_point(|(owner, ..)| *owner < n);
            for (_, prefix, uri) in self.ns_decls[from..].iter().take_while(|(owner, ..)| *owner == n) {
                if !out.iter().any(|(p, _)| p == &&**prefix) {
                    out.push((prefix, uri));
                }
            }
            cur = self.parent(n);
        }
        out.retain(|(p, uri)| !uri.is_empty() && *p != "xml"); // xmlns="" undeclares
        out.push(("xml", super::xml::XML_NS));
        out
    }
}

fn link(raw: u32) -> Option<NodeId> {
    (raw != NONE).then_some(NodeId(raw))
}

/// Following siblings, starting with the given one.
#[derive(Debug, Clone)]
pub struct Siblings<'a> {
    doc: &'a Document,
    next: Option<NodeId>,
}

impl Iterator for Siblings<'_> {
    type Item = NodeId;

    fn next(&mut self) -> Option<NodeId> {
        let cur = self.next?;
        self.next = self.doc.next_sibling(cur);
        Some(cur)
    }
}

// ---------------------------------------------------------------------------------------------
// Building: html5ever's tree builder moves nodes around (foster parenting, the adoption agency),
// so it gets a doubly linked arena; `into_document_order` then lays it out in preorder.

#[derive(Debug)]
enum RawData {
    Document,
    Doctype(StrTendril),
    Text(StrTendril),
    Comment(StrTendril),
    Pi(StrTendril, StrTendril),
    Element(QualName, Vec<html5ever::Attribute>),
}

#[derive(Debug)]
struct RawNode {
    parent: u32,
    first_child: u32,
    last_child: u32,
    prev_sibling: u32,
    next_sibling: u32,
    data: RawData,
}

impl RawNode {
    fn new(data: RawData) -> RawNode {
        RawNode {
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            prev_sibling: NONE,
            next_sibling: NONE,
            data,
        }
    }
}

#[derive(Debug)]
struct Arena {
    nodes: Vec<RawNode>,
}

impl Arena {
    fn push(&mut self, data: RawData) -> u32 {
        let id = u32::try_from(self.nodes.len()).expect("fewer than 4 billion nodes");
        self.nodes.push(RawNode::new(data));
        id
    }

    fn detach(&mut self, id: u32) {
        let RawNode { parent, prev_sibling: prev, next_sibling: next, .. } = self.nodes[id as usize];
        if parent == NONE {
            return;
        }
        if prev == NONE {
            self.nodes[parent as usize].first_child = next;
        } else {
            self.nodes[prev as usize].next_sibling = next;
        }
        if next == NONE {
            self.nodes[parent as usize].last_child = prev;
        } else {
            self.nodes[next as usize].prev_sibling = prev;
        }
        let node = &mut self.nodes[id as usize];
        node.parent = NONE;
        node.prev_sibling = NONE;
        node.next_sibling = NONE;
    }

    fn append(&mut self, parent: u32, child: u32) {
        self.detach(child);
        let last = self.nodes[parent as usize].last_child;
        {
            let node = &mut self.nodes[child as usize];
            node.parent = parent;
            node.prev_sibling = last;
        }
        if last == NONE {
            self.nodes[parent as usize].first_child = child;
        } else {
            self.nodes[last as usize].next_sibling = child;
        }
        self.nodes[parent as usize].last_child = child;
    }

    fn insert_before(&mut self, sibling: u32, child: u32) {
        self.detach(child);
        let RawNode { parent, prev_sibling: prev, .. } = self.nodes[sibling as usize];
        {
            let node = &mut self.nodes[child as usize];
            node.parent = parent;
            node.prev_sibling = prev;
            node.next_sibling = sibling;
        }
        self.nodes[sibling as usize].prev_sibling = child;
        if prev == NONE {
            self.nodes[parent as usize].first_child = child;
        } else {
            self.nodes[prev as usize].next_sibling = child;
        }
    }

    /// Removes the `<head>` the HTML5 tree builder adds to every document when it stayed
    /// empty: lxml's parser (and so parsel, and every Scrapy spider's expectations) adds
    /// `<html>` and `<body>` but no `<head>`, so `get()` of `<p>x` is
    /// `<html><body><p>x</p></body></html>` in both, and `//head` finds nothing in both.
    fn drop_implied_head(&mut self) {
        let element = |a: &Arena, id: u32, name: &str| matches!(&a.nodes[id as usize].data, RawData::Element(q, _) if &*q.local == name && q.ns == ns!(html));
        let mut html = self.nodes[0].first_child;
        while html != NONE && !element(self, html, "html") {
            html = self.nodes[html as usize].next_sibling;
        }
        if html == NONE {
            return;
        }
        let head = self.nodes[html as usize].first_child;
        let empty = |a: &Arena| {
            matches!(&a.nodes[head as usize].data, RawData::Element(_, attrs) if attrs.is_empty())
                && a.nodes[head as usize].first_child == NONE
        };
        if head != NONE && element(self, head, "head") && empty(self) {
            self.detach(head);
        }
    }

    /// Appends `text` to the text node `id` if it is one.
    fn merge_text(&mut self, id: u32, text: &StrTendril) -> bool {
        if id == NONE {
            return false;
        }
        match &mut self.nodes[id as usize].data {
            RawData::Text(t) => {
                t.push_tendril(text);
                true
            }
            _ => false,
        }
    }

    /// Lays the nodes reachable from the document out in preorder, converting the tendrils
    /// (which are not `Send`) to boxed strings. Nodes the builder detached are dropped.
    fn into_document_order(mut self) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::with_capacity(self.nodes.len());
        let mut new_id = vec![NONE; self.nodes.len()];
        let mut cur = 0u32;
        loop {
            let raw = &mut self.nodes[cur as usize];
            let id = out.len() as u32;
            new_id[cur as usize] = id;
            let parent = if raw.parent == NONE { NONE } else { new_id[raw.parent as usize] };
            let prev = if raw.prev_sibling == NONE { NONE } else { new_id[raw.prev_sibling as usize] };
            let data = convert(std::mem::replace(&mut raw.data, RawData::Document));
            let first_child = raw.first_child;
            if prev != NONE {
                out[prev as usize].next_sibling = id;
            }
            out.push(Node { parent, prev_sibling: prev, next_sibling: NONE, subtree_end: id, data });
            if first_child != NONE {
                cur = first_child;
                continue;
            }
            // `id` is a leaf: it ends its own subtree and that of every ancestor whose last
            // child chain leads to it.
            let mut node = cur;
            loop {
                let raw = &self.nodes[node as usize];
                out[new_id[node as usize] as usize].subtree_end = id;
                if raw.next_sibling != NONE {
                    cur = raw.next_sibling;
                    break;
                }
                if raw.parent == NONE {
                    return out;
                }
                node = raw.parent;
            }
        }
    }
}

fn boxed(t: &StrTendril) -> Box<str> {
    Box::from(&**t)
}

fn convert(raw: RawData) -> NodeData {
    match raw {
        RawData::Document => NodeData::Document,
        RawData::Doctype(name) => NodeData::Doctype { name: boxed(&name) },
        RawData::Text(t) => NodeData::Text(boxed(&t)),
        RawData::Comment(t) => NodeData::Comment(boxed(&t)),
        RawData::Pi(target, data) => {
            NodeData::ProcessingInstruction { target: boxed(&target), data: boxed(&data) }
        }
        RawData::Element(name, attrs) => NodeData::Element(Element {
            name,
            attrs: attrs.into_iter().map(|a| Attribute { name: a.name, value: boxed(&a.value) }).collect(),
        }),
    }
}

struct Sink {
    arena: RefCell<Arena>,
}

impl Default for Sink {
    fn default() -> Self {
        let mut arena = Arena { nodes: Vec::new() };
        arena.push(RawData::Document);
        Sink { arena: RefCell::new(arena) }
    }
}

impl TreeSink for Sink {
    type Handle = u32;
    type Output = Arena;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Arena {
        self.arena.into_inner()
    }

    fn parse_error(&self, _msg: std::borrow::Cow<'static, str>) {}

    fn get_document(&self) -> u32 {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a u32) -> Ref<'a, QualName> {
        Ref::map(self.arena.borrow(), |a| match &a.nodes[*target as usize].data {
            RawData::Element(name, _) => name,
            _ => unreachable!("html5ever asks element names of elements only"),
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<html5ever::Attribute>, _: ElementFlags) -> u32 {
        self.arena.borrow_mut().push(RawData::Element(name, attrs))
    }

    fn create_comment(&self, text: StrTendril) -> u32 {
        self.arena.borrow_mut().push(RawData::Comment(text))
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> u32 {
        self.arena.borrow_mut().push(RawData::Pi(target, data))
    }

    fn append(&self, parent: &u32, child: NodeOrText<u32>) {
        let mut arena = self.arena.borrow_mut();
        match child {
            NodeOrText::AppendNode(id) => arena.append(*parent, id),
            NodeOrText::AppendText(text) => {
                let last = arena.nodes[*parent as usize].last_child;
                if !arena.merge_text(last, &text) {
                    let id = arena.push(RawData::Text(text));
                    arena.append(*parent, id);
                }
            }
        }
    }

    fn append_based_on_parent_node(&self, element: &u32, prev_element: &u32, child: NodeOrText<u32>) {
        let has_parent = self.arena.borrow().nodes[*element as usize].parent != NONE;
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev_element, child);
        }
    }

    fn append_doctype_to_document(&self, name: StrTendril, _public: StrTendril, _system: StrTendril) {
        let mut arena = self.arena.borrow_mut();
        let id = arena.push(RawData::Doctype(name));
        arena.append(0, id);
    }

    /// Template contents are the template element itself, as in lxml.
    fn get_template_contents(&self, target: &u32) -> u32 {
        *target
    }

    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &u32, new_node: NodeOrText<u32>) {
        let mut arena = self.arena.borrow_mut();
        if arena.nodes[*sibling as usize].parent == NONE {
            return;
        }
        match new_node {
            NodeOrText::AppendNode(id) => arena.insert_before(*sibling, id),
            NodeOrText::AppendText(text) => {
                let prev = arena.nodes[*sibling as usize].prev_sibling;
                if !arena.merge_text(prev, &text) {
                    let id = arena.push(RawData::Text(text));
                    arena.insert_before(*sibling, id);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &u32, attrs: Vec<html5ever::Attribute>) {
        let mut arena = self.arena.borrow_mut();
        if let RawData::Element(_, existing) = &mut arena.nodes[*target as usize].data {
            for attr in attrs {
                if !existing.iter().any(|a| a.name == attr.name) {
                    existing.push(attr);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &u32) {
        self.arena.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &u32, new_parent: &u32) {
        let mut arena = self.arena.borrow_mut();
        let mut child = arena.nodes[*node as usize].first_child;
        while child != NONE {
            let next = arena.nodes[child as usize].next_sibling;
            arena.append(*new_parent, child);
            child = next;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bounded nesting. The HTML5 tree builder walks its stack of open elements for most start tags
// ("is there a <p> in button scope?"), so 100 000 nested <div>s cost 5 * 10^9 steps (14 s).
// Like Blink, which stops nesting at 512, start tags that would open an element deeper than
// `MAX_DEPTH` are dropped (their text and void children still land in the deepest element),
// together with their matching end tags. lxml's own limit is 256.

/// The deepest element nesting the tree keeps; deeper start tags are dropped.
pub const MAX_DEPTH: usize = 512;

/// libxml2's nesting limit without its `XML_PARSE_HUGE` option (lxml's `huge_tree`).
pub const LIBXML2_MAX_DEPTH: usize = 256;

/// How many start tags may pass between two exact depth measurements.
const CHECK_EVERY: usize = 32;

pub(super) struct DepthGuard<S: TreeSink<Handle = u32>> {
    pub(super) inner: TreeBuilder<u32, S>,
    /// Open elements (plus a few bookkeeping handles) at the last measurement.
    depth_at_check: Cell<usize>,
    starts_since_check: Cell<usize>,
    /// End tags still to swallow, by name, for start tags that were dropped.
    dropped: RefCell<HashMap<LocalName, usize>>,
}

impl<S: TreeSink<Handle = u32>> DepthGuard<S> {
    pub(super) fn new(inner: TreeBuilder<u32, S>) -> DepthGuard<S> {
        DepthGuard {
            inner,
            depth_at_check: Cell::new(0),
            starts_since_check: Cell::new(0),
            dropped: RefCell::new(HashMap::new()),
        }
    }

    /// Whether a start tag now would nest too deep. Measuring walks the builder's stack, so
    /// it is done every `CHECK_EVERY` start tags while far from the limit.
    fn too_deep(&self) -> bool {
        let since = self.starts_since_check.get() + 1;
        if since < CHECK_EVERY && self.depth_at_check.get() + since < MAX_DEPTH {
            self.starts_since_check.set(since);
            return false;
        }
        let count = HandleCount(Cell::new(0));
        self.inner.trace_handles(&count);
        self.depth_at_check.set(count.0.get());
        self.starts_since_check.set(0);
        count.0.get() >= MAX_DEPTH
    }
}

struct HandleCount(Cell<usize>);

impl Tracer for HandleCount {
    type Handle = u32;

    fn trace_handle(&self, _node: &u32) {
        self.0.set(self.0.get() + 1);
    }
}

impl<S: TreeSink<Handle = u32>> TokenSink for DepthGuard<S> {
    type Handle = u32;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<u32> {
        if let Token::TagToken(tag) = &token {
            match tag.kind {
                TagKind::StartTag if !tag.self_closing && self.too_deep() => {
                    *self.dropped.borrow_mut().entry(tag.name.clone()).or_default() += 1;
                    return TokenSinkResult::Continue;
                }
                TagKind::EndTag => {
                    let mut dropped = self.dropped.borrow_mut();
                    if let Some(n) = dropped.get_mut(&tag.name) {
                        *n -= 1;
                        if *n == 0 {
                            dropped.remove(&tag.name);
                        }
                        return TokenSinkResult::Continue;
                    }
                }
                TagKind::StartTag => {}
            }
        }
        self.inner.process_token(token, line_number)
    }

    fn end(&self) {
        self.inner.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.inner.adjusted_current_node_present_but_not_in_html_namespace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(doc: &Document) -> Vec<String> {
        doc.subtree(NodeId::DOCUMENT)
            .map(|id| match doc.data(id) {
                NodeData::Document => "#doc".into(),
                NodeData::Element(e) => e.name().to_string(),
                NodeData::Text(t) => format!("'{t}'"),
                NodeData::Comment(c) => format!("<!--{c}-->"),
                NodeData::Doctype { .. } => "doctype".into(),
                NodeData::ProcessingInstruction { .. } => "pi".into(),
                NodeData::Removed => "removed".into(),
                NodeData::EntityRef(name) => format!("&{name};"),
            })
            .collect()
    }

    #[test]
    fn ids_are_document_order_and_subtrees_are_ranges() {
        let doc = Document::parse("<!doctype html><p>a<b>b</b>c</p><!--x--><div id=d>e</div>", None);
        assert_eq!(
            names(&doc),
            ["#doc", "doctype", "html", "body", "p", "'a'", "b", "'b'", "'c'", "<!--x-->", "div", "'e'"]
        );
        let p = NodeId(4);
        assert_eq!(doc.subtree_end(p), NodeId(8));
        assert_eq!(doc.children(p).collect::<Vec<_>>(), [NodeId(5), NodeId(6), NodeId(8)]);
        assert_eq!(doc.parent(NodeId(7)), Some(NodeId(6)));
        assert_eq!(doc.prev_sibling(NodeId(8)), Some(NodeId(6)));
        assert_eq!(doc.next_sibling(NodeId(4)), Some(NodeId(9)));
        assert_eq!(doc.string_value(p), "abc");
        assert!(doc.is_ancestor(NodeId(2), NodeId(11)));
        assert!(!doc.is_ancestor(p, NodeId(9)));
        assert_eq!(doc.element(NodeId(10)).unwrap().attr("ID"), Some("d"));
    }

    #[test]
    fn cut_at_depth_stops_where_libxml2_would() {
        let deep = format!("{}x{}<p>after</p>", "<b>".repeat(300), "</b>".repeat(300));
        assert!(Document::parse("<b><i>shallow</i></b>", None).cut_at_depth().is_none());
        let cut = Document::parse(&deep, None).cut_at_depth().unwrap();
        let elements = |doc: &Document| doc.subtree(NodeId::DOCUMENT).filter(|&n| doc.is_element(n)).count();
        assert_eq!(elements(&cut), LIBXML2_MAX_DEPTH, "html, body and 254 <b>");
        assert!(!names(&cut).contains(&"p".to_owned()), "nothing after the cut");
        for id in cut.subtree(NodeId::DOCUMENT) {
            assert!(cut.subtree_end(id).index() < cut.len());
        }
    }

    #[test]
    fn an_implied_empty_head_is_dropped_as_lxml_does() {
        let names_of = |html: &str| names(&Document::parse(html, None));
        assert_eq!(names_of("<p>x"), ["#doc", "html", "body", "p", "'x'"]);
        // a head of the source's own stays, even empty; one the builder filled stays too
        assert_eq!(names_of("<HEAD></head><p>x")[..4], ["#doc", "html", "head", "body"]);
        assert_eq!(names_of("<title>t</title><p>x")[..4], ["#doc", "html", "head", "title"]);
        // <header> is not <head>
        assert_eq!(names_of("<header>x</header>")[..4], ["#doc", "html", "body", "header"]);
    }

    #[test]
    fn builder_moves_are_reflected() {
        // Foster parenting moves the text before the table; the adoption agency splits <b>.
        let doc = Document::parse("<table>x<tr><td>1</td></tr></table><b>1<p>2</b>3</p>", None);
        let n = names(&doc);
        assert_eq!(
            n,
            [
                "#doc", "html", "body", "'x'", "table", "tbody", "tr", "td", "'1'", "b", "'1'", "p", "b",
                "'2'", "'3'"
            ]
        );
        for id in doc.subtree(NodeId::DOCUMENT).skip(1) {
            let parent = doc.parent(id).unwrap();
            assert!(doc.is_ancestor(parent, id));
        }
    }

    #[test]
    fn template_children_belong_to_the_template() {
        let doc = Document::parse("<template><p>x</p></template>", None);
        assert_eq!(names(&doc), ["#doc", "html", "head", "template", "p", "'x'", "body"]);
    }

    #[test]
    fn document_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Document>();
    }
}
