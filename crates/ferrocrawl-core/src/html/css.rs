//! CSS selectors: everything the `selectors` crate parses for scraper (`:is`, `:has`,
//! `:nth-child`, attribute operators, ...) plus parsel's pseudo-elements `::text` and
//! `::attr(name)` at the end of each comma-separated group.
//!
//! Like parsel (which translates CSS to `descendant-or-self::` XPath), a query relative to an
//! element also matches that element itself, and results of several groups come back as one
//! deduplicated list in document order.

use cssparser::{BasicParseErrorKind, ParseErrorKind};
use html5ever::{ns, Namespace};
use scraper::selector::{CssLocalName, CssString, NonTSPseudoClass, PseudoElement, Simple};
use selectors::attr::{AttrSelectorOperation, CaseSensitivity, NamespaceConstraint};
use selectors::bloom::BloomFilter;
use selectors::matching::{
    self, MatchingContext, MatchingForInvalidation, MatchingMode, NeedsSelectorFlags, QuirksMode,
    SelectorCaches,
};
use selectors::parser::{ParseRelative, SelectorList};
use selectors::OpaqueElement;

use super::dom::{Document, NodeData, NodeId};
use super::error::SelectorError;
use super::item::Item;

/// A compiled CSS query.
#[derive(Debug, Clone)]
pub struct CssQuery {
    groups: Vec<Group>,
}

#[derive(Debug, Clone)]
struct Group {
    selectors: SelectorList<Simple>,
    pseudo: Pseudo,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pseudo {
    None,
    /// `::text`: the text children of each match.
    Text,
    /// `::attr(name)`: the value of attribute `name` of each match that has it.
    Attr(String),
    /// `X *::text`: every text node under each match of `X`. parsel (cssselect) reads a
    /// trailing descendant `*` before a pseudo-element as `descendant-or-self::*`.
    DescendantText,
    /// `X *::attr(name)`: attribute `name` of each match of `X` and of its descendants.
    DescendantAttr(String),
}

impl CssQuery {
    pub fn parse(expr: &str) -> Result<CssQuery, SelectorError> {
        // cssselect (parsel) takes `#1` although an identifier cannot start with a digit; so
        // do we, written as the escape that means the same id (`#\31 `)
        let Some((escaped, at)) = escape_digit_ids(expr) else { return CssQuery::parse_exact(expr) };
        CssQuery::parse_exact(&escaped).map_err(|e| {
            // a position in the escaped text, back in `expr`: each escape added 3 bytes
            let shift = 3 * at.iter().filter(|&&i| i < e.position).count();
            SelectorError { expr: expr.to_string(), position: e.position.saturating_sub(shift), ..e }
        })
    }

    fn parse_exact(expr: &str) -> Result<CssQuery, SelectorError> {
        let mut groups = Vec::new();
        for (start, end) in split_groups(expr) {
            groups.push(parse_group(expr, start, end)?);
        }
        Ok(CssQuery { groups })
    }

    /// Appends to `out` the matches in `context` and its descendants, in document order.
    pub fn select(&self, doc: &Document, context: NodeId, out: &mut Vec<Item>) {
        let mut caches = SelectorCaches::default();
        let mut cx = MatchingContext::new(
            MatchingMode::Normal,
            None,
            &mut caches,
            QuirksMode::NoQuirks,
            NeedsSelectorFlags::No,
            MatchingForInvalidation::No,
        );
        let scope = doc.is_element(context).then_some(ElementRef { doc, id: context });
        cx.scope_element = scope.map(|e| selectors::Element::opaque(&e));

        let wants_text =
            self.groups.iter().any(|g| matches!(g.pseudo, Pseudo::Text | Pseudo::DescendantText));
        // Last node id under a `X *::text` match, and per `X *::attr(name)` group.
        let mut text_until: Option<usize> = None;
        let mut attr_until: Vec<(&str, usize)> = Vec::new();
        // Elements (offset from `context`) whose text children a `::text` group selects.
        let mut text_parents: Vec<bool> = Vec::new();
        if wants_text {
            text_parents.resize(doc.subtree_end(context).index() - context.index() + 1, false);
        }
        let mut attrs: Vec<u32> = Vec::new();
        for id in doc.subtree(context) {
            match doc.data(id) {
                NodeData::Element(element) => {
                    let el = ElementRef { doc, id };
                    let mut whole = false;
                    attrs.clear();
                    for group in &self.groups {
                        let hit = group
                            .selectors
                            .slice()
                            .iter()
                            .any(|s| matching::matches_selector(s, 0, None, &el, &mut cx));
                        if !hit {
                            continue;
                        }
                        match &group.pseudo {
                            Pseudo::None => whole = true,
                            Pseudo::Text => text_parents[id.index() - context.index()] = true,
                            Pseudo::Attr(name) => attrs.extend(attr_index(element, name)),
                            Pseudo::DescendantText => {
                                let end = doc.subtree_end(id).index();
                                text_until = Some(text_until.map_or(end, |u| u.max(end)));
                            }
                            Pseudo::DescendantAttr(name) => {
                                attr_until.push((name, doc.subtree_end(id).index()));
                            }
                        }
                    }
                    attr_until.retain(|(_, until)| *until >= id.index());
                    for (name, _) in &attr_until {
                        attrs.extend(attr_index(element, name));
                    }
                    if whole {
                        out.push(Item::Node(id));
                    }
                    attrs.sort_unstable();
                    attrs.dedup();
                    out.extend(attrs.iter().map(|&index| Item::Attr { owner: id, index }));
                }
                NodeData::Text(_) if wants_text && id != context => {
                    let parent = doc.parent(id).expect("a text node has a parent");
                    let under_match = text_until.is_some_and(|until| id.index() <= until);
                    if under_match || (parent >= context && text_parents[parent.index() - context.index()]) {
                        out.push(Item::Node(id));
                    }
                }
                _ => {}
            }
        }
    }
}

fn attr_index(element: &super::dom::Element, name: &str) -> Option<u32> {
    element
        .attrs
        .iter()
        .position(|a| a.name.local.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
        .map(|i| i as u32)
}

/// Byte ranges of the top-level comma-separated groups (commas inside `()`, `[]` or strings
/// do not split).
fn split_groups(expr: &str) -> Vec<(usize, usize)> {
    let mut groups = Vec::new();
    let mut start = 0;
    for (i, _) in top_level(expr).filter(|&(_, b)| b == b',') {
        groups.push((start, i));
        start = i + 1;
    }
    groups.push((start, expr.len()));
    groups
}

/// Where a top-level `::` starts in `s`, if anywhere.
fn find_pseudo(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    top_level(s).find(|&(i, b)| b == b':' && bytes.get(i + 1) == Some(&b':')).map(|(i, _)| i)
}

/// The bytes of `s` (with their offsets) outside strings, `()` and `[]`; escapes skipped.
fn top_level(s: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let bytes = s.as_bytes();
    let (mut depth, mut quote, mut i) = (0i32, None::<u8>, 0usize);
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            let at = i;
            i += 1;
            match (quote, b) {
                (_, b'\\') => i += 1,
                (Some(q), _) if b == q => quote = None,
                (None, b'"' | b'\'') => quote = Some(b),
                (None, b'(' | b'[') => depth += 1,
                (None, b')' | b']') => depth -= 1,
                (None, _) if depth == 0 => return Some((at, b)),
                _ => {}
            }
        }
        None
    })
}

fn parse_group(expr: &str, start: usize, end: usize) -> Result<Group, SelectorError> {
    let text = &expr[start..end];
    let (selector_text, pseudo) = match find_pseudo(text) {
        None => (text, Pseudo::None),
        Some(at) => (&text[..at], parse_pseudo(expr, start + at, &text[at..])?),
    };
    let selector_text = if selector_text.trim().is_empty() {
        if pseudo == Pseudo::None {
            let what = if expr.trim().is_empty() { "empty selector" } else { "empty selector group" };
            return Err(SelectorError::new(expr, start, what));
        }
        "*" // a bare `::text` means `*::text`, as in parsel
    } else {
        selector_text
    };
    let (selector_text, pseudo) = descendant_star(selector_text, pseudo);
    let mut parser = cssparser::Parser::new(selector_text);
    let selectors =
        SelectorList::parse(&scraper::selector::Parser, &mut parser, ParseRelative::No).map_err(|e| {
            let offset = token_start(selector_text, parser.position().byte_index());
            let message = match e.kind {
                ParseErrorKind::Basic(BasicParseErrorKind::EndOfInput) => "unexpected end".into(),
                ParseErrorKind::Basic(other) => format!("{other:?}"),
                ParseErrorKind::Custom(kind) => format!("{kind:?}"),
            };
            SelectorError::new(expr, start + offset, format!("invalid CSS selector: {message}"))
        })?;
    Ok(Group { selectors, pseudo })
}

/// The start of the token that ends at `end`, where cssparser stopped. That is the offending
/// token or, when the parser had to read one more to know (a dangling combinator), the one
/// after it; inside `[...]` it is the closing bracket.
fn token_start(text: &str, end: usize) -> usize {
    let before = &text[..end.min(text.len())];
    let is_ident = |c: char| c.is_alphanumeric() || c == '-' || c == '_' || !c.is_ascii();
    match before.chars().next_back() {
        None => 0,
        Some(q @ ('"' | '\'')) => before[..before.len() - 1].rfind(q).unwrap_or(0),
        Some(c) if is_ident(c) => before.trim_end_matches(is_ident).len(),
        Some(c) => before.len() - c.len_utf8(),
    }
}

/// `X *::text`, `X ::text` and the same with `::attr(n)` as parsel reads them: `X` with a
/// descendant pseudo (a bare pseudo after a space is one on `*`: `div.content ::text` is every
/// text inside the div, the idiom of Scrapy spiders).
fn descendant_star(selector: &str, pseudo: Pseudo) -> (&str, Pseudo) {
    let trimmed = selector.trim_end();
    let head = match trimmed.strip_suffix('*') {
        Some(head) => head,
        None if trimmed.len() < selector.len() => selector,
        None => return (selector, pseudo),
    };
    if head.trim().is_empty()
        || !head.ends_with(char::is_whitespace)
        || head.trim_end().ends_with(['>', '+', '~'])
    {
        return (selector, pseudo);
    }
    match pseudo {
        Pseudo::Text => (head.trim_end(), Pseudo::DescendantText),
        Pseudo::Attr(name) => (head.trim_end(), Pseudo::DescendantAttr(name)),
        other => (selector, other),
    }
}

/// `::text` or `::attr(name)` (name bare or quoted), then only whitespace.
fn parse_pseudo(expr: &str, at: usize, text: &str) -> Result<Pseudo, SelectorError> {
    let body = text[2..].trim_end();
    if body == "text" {
        return Ok(Pseudo::Text);
    }
    if let Some(arg) = body.strip_prefix("attr(").and_then(|r| r.strip_suffix(')')) {
        let arg = arg.trim();
        let name = arg
            .strip_prefix('"')
            .and_then(|a| a.strip_suffix('"'))
            .or_else(|| arg.strip_prefix('\'').and_then(|a| a.strip_suffix('\'')))
            .unwrap_or(arg);
        if !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || "()\"'".contains(c)) {
            return Ok(Pseudo::Attr(name.to_ascii_lowercase()));
        }
        return Err(SelectorError::new(expr, at, "::attr() needs one attribute name, as in ::attr(href)"));
    }
    Err(SelectorError::new(
        expr,
        at,
        format!("unsupported pseudo-element ::{body}: only ::text and ::attr(name) are supported, at the end of a selector"),
    ))
}

/// An element of a [`Document`], as the `selectors` crate sees it.
#[derive(Debug, Clone, Copy)]
struct ElementRef<'a> {
    doc: &'a Document,
    id: NodeId,
}

impl<'a> ElementRef<'a> {
    fn element(&self) -> &'a super::dom::Element {
        self.doc.element(self.id).expect("ElementRef wraps an element")
    }

    fn wrap(doc: &'a Document, id: Option<NodeId>) -> Option<Self> {
        id.filter(|&id| doc.is_element(id)).map(|id| ElementRef { doc, id })
    }

    fn sibling_element(&self, forward: bool) -> Option<Self> {
        let step = |id| {
            if forward {
                self.doc.next_sibling(id)
            } else {
                self.doc.prev_sibling(id)
            }
        };
        let mut cur = step(self.id);
        while let Some(id) = cur {
            if self.doc.is_element(id) {
                return Some(ElementRef { doc: self.doc, id });
            }
            cur = step(id);
        }
        None
    }
}

/// Non-tree-structural pseudo-classes (`:hover`, ...) never match, as in scraper.
impl selectors::Element for ElementRef<'_> {
    type Impl = Simple;

    fn opaque(&self) -> OpaqueElement {
        OpaqueElement::new(self.doc.data(self.id))
    }

    fn parent_element(&self) -> Option<Self> {
        ElementRef::wrap(self.doc, self.doc.parent(self.id))
    }

    fn parent_node_is_shadow_root(&self) -> bool {
        false
    }

    fn containing_shadow_host(&self) -> Option<Self> {
        None
    }

    fn is_pseudo_element(&self) -> bool {
        false
    }

    fn prev_sibling_element(&self) -> Option<Self> {
        self.sibling_element(false)
    }

    fn next_sibling_element(&self) -> Option<Self> {
        self.sibling_element(true)
    }

    fn first_element_child(&self) -> Option<Self> {
        self.doc
            .children(self.id)
            .find(|&c| self.doc.is_element(c))
            .map(|id| ElementRef { doc: self.doc, id })
    }

    fn is_html_element_in_html_document(&self) -> bool {
        self.element().is_html()
    }

    fn has_local_name(&self, name: &CssLocalName) -> bool {
        self.element().name.local == name.0
    }

    fn has_namespace(&self, namespace: &Namespace) -> bool {
        &self.element().name.ns == namespace
    }

    fn is_same_type(&self, other: &Self) -> bool {
        self.element().name == other.element().name
    }

    fn attr_matches(
        &self,
        ns: &NamespaceConstraint<&Namespace>,
        local_name: &CssLocalName,
        operation: &AttrSelectorOperation<&CssString>,
    ) -> bool {
        self.element().attrs.iter().any(|a| {
            !matches!(*ns, NamespaceConstraint::Specific(url) if *url != a.name.ns)
                && local_name.0 == a.name.local
                && operation.eval_str(&a.value)
        })
    }

    fn match_non_ts_pseudo_class(&self, _: &NonTSPseudoClass, _: &mut MatchingContext<'_, Simple>) -> bool {
        false
    }

    fn match_pseudo_element(&self, _: &PseudoElement, _: &mut MatchingContext<'_, Simple>) -> bool {
        false
    }

    fn apply_selector_flags(&self, _: matching::ElementSelectorFlags) {}

    fn is_link(&self) -> bool {
        self.element().name.ns == ns!(html)
            && matches!(&*self.element().name.local, "a" | "area" | "link")
            && self.element().attr("href").is_some()
    }

    fn is_html_slot_element(&self) -> bool {
        false
    }

    fn has_id(&self, id: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.element().attr("id").is_some_and(|v| case_sensitivity.eq(id.0.as_bytes(), v.as_bytes()))
    }

    fn has_class(&self, name: &CssLocalName, case_sensitivity: CaseSensitivity) -> bool {
        self.element().attr("class").is_some_and(|v| {
            v.split_ascii_whitespace().any(|c| case_sensitivity.eq(c.as_bytes(), name.0.as_bytes()))
        })
    }

    fn has_custom_state(&self, _: &CssLocalName) -> bool {
        false
    }

    fn imported_part(&self, _: &CssLocalName) -> Option<CssLocalName> {
        None
    }

    fn is_part(&self, _: &CssLocalName) -> bool {
        false
    }

    fn is_empty(&self) -> bool {
        !self.doc.children(self.id).any(|c| match self.doc.data(c) {
            NodeData::Element(_) => true,
            NodeData::Text(t) => !t.is_empty(),
            _ => false,
        })
    }

    fn is_root(&self) -> bool {
        self.doc.parent(self.id) == Some(NodeId::DOCUMENT)
    }

    fn add_element_unique_hashes(&self, _: &mut BloomFilter) -> bool {
        false
    }
}

/// `expr` with each `#` + digit outside quotes written `#\3<digit> `, and where in the new
/// text each escape starts; `None` when there is none.
fn escape_digit_ids(expr: &str) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(expr.len() + 8);
    let mut at = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match (quote, c) {
            // an escaped character, in a string or not
            (_, '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '#') => {
                if let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    chars.next();
                    at.push(out.len());
                    out.push_str("\\3");
                    out.push(d);
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
    (!at.is_empty()).then_some((out, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_may_start_with_a_digit_as_in_cssselect() {
        let doc = Document::parse(r##"<p id="1">a</p><p id="12x">b</p><a href="#1">c</a>"##, None);
        let texts = |q: &str| {
            let mut out = Vec::new();
            CssQuery::parse(q).unwrap().select(&doc, NodeId::DOCUMENT, &mut out);
            out.iter().map(|i| doc.get(i)).collect::<Vec<_>>()
        };
        assert_eq!(texts("#1::text"), ["a"]);
        assert_eq!(texts("p#12x::text"), ["b"]);
        assert_eq!(texts(r##"a[href="#1"]::text"##), ["c"], "not inside a string");
        assert_eq!(texts(":not(#1)::text"), ["b", "c"]);
        let e = CssQuery::parse("#1 >> b").unwrap_err();
        // in the query as given: at the second `>` or the token after it, as without escapes
        assert_eq!(e.expr, "#1 >> b");
        assert!((4..=6).contains(&e.position), "{e}");
    }

    const PAGE: &str = r#"<html><head><title>T</title></head><body>
        <ul id="list"><li class="a b"><a href="/1">one<img src="i1.png"></a></li>
        <li class="b"><a href="/2" title="two">two</a> tail</li></ul>
        <div>x<div>y</div>z</div><p lang=en>p</p></body></html>"#;

    fn css(doc: &Document, expr: &str) -> Vec<String> {
        css_from(doc, NodeId::DOCUMENT, expr)
    }

    fn css_from(doc: &Document, context: NodeId, expr: &str) -> Vec<String> {
        let mut out = Vec::new();
        CssQuery::parse(expr).unwrap().select(doc, context, &mut out);
        out.iter().map(|i| doc.get(i)).collect()
    }

    #[test]
    fn plain_selectors_return_elements() {
        let doc = Document::parse(PAGE, None);
        assert_eq!(css(&doc, "title"), ["<title>T</title>"]);
        assert_eq!(css(&doc, "ul#list > li.b a").len(), 2);
        assert_eq!(css(&doc, "li:nth-child(2) > a"), [r#"<a href="/2" title="two">two</a>"#]);
        assert_eq!(css(&doc, "li:has(img) a::attr(href)"), ["/1"]);
        assert_eq!(css(&doc, "a[title=two]::text"), ["two"]);
        assert!(css(&doc, "nope").is_empty());
    }

    #[test]
    fn text_pseudo_element_is_in_document_order() {
        let doc = Document::parse(PAGE, None);
        assert_eq!(css(&doc, "div::text"), ["x", "y", "z"]);
        assert_eq!(css(&doc, "li::text"), [" tail"]);
        assert_eq!(css(&doc, "a::text, p::text"), ["one", "two", "p"]);
    }

    #[test]
    fn attr_pseudo_element_in_groups() {
        let doc = Document::parse(PAGE, None);
        assert_eq!(css(&doc, "a::attr(href), img::attr(src)"), ["/1", "i1.png", "/2"]);
        assert_eq!(css(&doc, "a::attr(title), a::attr(href)"), ["/1", "/2", "two"]);
        assert_eq!(css(&doc, "a::attr('href')"), ["/1", "/2"]);
        assert_eq!(css(&doc, "a::attr(href), a::attr(href)"), ["/1", "/2"], "union deduplicates");
    }

    #[test]
    fn relative_to_a_context_includes_the_context() {
        let doc = Document::parse(PAGE, None);
        let mut out = Vec::new();
        CssQuery::parse("li").unwrap().select(&doc, NodeId::DOCUMENT, &mut out);
        let second = out[1].context_node().unwrap();
        assert_eq!(css_from(&doc, second, "img::attr(src)"), Vec::<String>::new());
        assert_eq!(css_from(&doc, second, "li"), css_from(&doc, second, ":scope"));
        assert_eq!(css_from(&doc, second, "::text"), ["two", " tail"]);
        assert_eq!(css_from(&doc, second, "a::attr(href)"), ["/2"]);
    }

    #[test]
    fn descendant_star_before_a_pseudo_element_is_descendant_or_self() {
        // parsel: `h1 *::text` is descendant-or-self::h1/descendant-or-self::*/text()
        let doc = Document::parse(r"<h1 id=h>Title <b id=b>bold</b></h1><ul id=u><li id=l>x</li></ul>", None);
        let get = |q: &str| css_from(&doc, NodeId::DOCUMENT, q);
        assert_eq!(get("h1 *::text"), ["Title ", "bold"]);
        assert_eq!(get("h1 > *::text"), ["bold"]);
        assert_eq!(get("ul *::attr(id)"), ["u", "l"]);
        assert_eq!(get("ul > *::attr(id)"), ["l"]);
        // a bare pseudo after a space is the same as after `*`
        assert_eq!(get("h1 ::text"), ["Title ", "bold"]);
        assert_eq!(get("ul ::attr(id)"), ["u", "l"]);
        assert_eq!(get("h1::text"), ["Title "]);
    }

    #[test]
    fn errors_name_the_position() {
        let err = CssQuery::parse("a, li > > b").unwrap_err();
        assert!((8..=10).contains(&err.position), "{err}");
        let err = CssQuery::parse("a[title=\"中文\"] >> b").unwrap_err();
        let culprit = "a[title=\"中文\"] >".len();
        assert!((culprit..=culprit + 3).contains(&err.position), "{err}");
        assert!(err.message.contains("DanglingCombinator"), "{err}");
        let err = CssQuery::parse("a::before").unwrap_err();
        assert_eq!((err.position, err.message.contains("::before")), (1, true), "{err}");
        let err = CssQuery::parse("a::text, ").unwrap_err();
        assert_eq!(err.position, 8, "{err}");
        assert!(CssQuery::parse("a::attr()").is_err());
        assert!(CssQuery::parse("").is_err());
        assert!(CssQuery::parse("a[href=\"x,y\"], b").is_ok());
    }
}
