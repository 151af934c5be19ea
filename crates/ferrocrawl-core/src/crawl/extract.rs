//! What a crawl takes from each page besides its links: the `extract=` rules (CSS, XPath or
//! regex; one value or all of them) and the `follow=` selector, compiled once per crawl.

use std::sync::Arc;

use crate::html::{self, compiled_regex, Document, Item, NodeData, NodeId, Pattern, Query, SelectorError};

/// Which links a crawl follows.
#[derive(Debug, Clone, Default)]
pub enum Follow {
    /// Every `<a href>` and `<area href>`.
    #[default]
    All,
    /// None: only start URLs and URLs added from Python are fetched.
    Nothing,
    /// The hrefs a CSS or XPath query selects (attributes, strings, or elements' `href`).
    Query(Query),
}

impl Follow {
    pub fn compile(query: &str) -> Result<Follow, SelectorError> {
        Query::compile(query).map(Follow::Query)
    }
}

#[derive(Debug, Clone)]
enum Source {
    Query(Query),
    /// `re:` rules run over the decoded text of the page.
    Regex(Arc<Pattern>),
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    source: Source,
    /// All matches (a list) instead of the first (or None).
    many: bool,
}

/// A rule's result on one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    None,
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Default)]
pub struct Rules(Vec<Rule>);

impl Rules {
    /// Compiles `(name, rule, many)` triples: `rule` is CSS unless it starts with `xpath:` (or
    /// is plainly XPath, like `//h1`), or `re:` for a regex over the page text.
    pub fn compile(specs: &[(String, String, bool)]) -> Result<Rules, SelectorError> {
        specs
            .iter()
            .map(|(name, rule, many)| {
                let source = match rule.strip_prefix("re:") {
                    Some(pattern) => Source::Regex(compiled_regex(pattern)?),
                    None => Source::Query(Query::compile(rule)?),
                };
                Ok(Rule { name: name.clone(), source, many: *many })
            })
            .collect::<Result<_, _>>()
            .map(Rules)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The rules' names, in order (the fields of each page's `data`).
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|r| r.name.clone()).collect()
    }

    /// Whether some rule needs a parsed tree (not only the text).
    pub fn needs_dom(&self) -> bool {
        self.0.iter().any(|r| matches!(r.source, Source::Query(_)))
    }

    /// Runs every rule; `doc` must be given when [`Rules::needs_dom`].
    pub fn apply(&self, doc: Option<&Document>, text: &str) -> Result<Vec<(String, Value)>, SelectorError> {
        let mut items = Vec::new();
        self.0
            .iter()
            .map(|rule| {
                let mut values = Vec::new();
                match (&rule.source, doc) {
                    (Source::Regex(re), _) if rule.many => html::re(re, text, true, &mut values)?,
                    (Source::Regex(re), _) => values.extend(html::re_first(re, text, true)?),
                    (Source::Query(q), Some(doc)) => {
                        items.clear();
                        q.select(doc, &Item::Node(NodeId::DOCUMENT), &mut items)?;
                        let take = if rule.many { items.len() } else { 1 };
                        values.extend(items.iter().take(take).map(|i| doc.get(i)));
                    }
                    (Source::Query(_), None) => {}
                }
                let value = if rule.many {
                    Value::Many(values)
                } else {
                    values.pop().map_or(Value::None, Value::One)
                };
                Ok((rule.name.clone(), value))
            })
            .collect()
    }
}

/// The hrefs `query` selects in `doc`: attribute and string results as they are, elements by
/// their `href` attribute.
pub fn selected_hrefs(query: &Query, doc: &Document) -> Result<Vec<String>, SelectorError> {
    let mut items = Vec::new();
    query.select(doc, &Item::Node(NodeId::DOCUMENT), &mut items)?;
    Ok(items
        .iter()
        .filter_map(|item| match item {
            Item::Node(id) => match doc.data(*id) {
                NodeData::Element(e) => e.attr("href").map(str::to_owned),
                _ => Some(doc.get(item)),
            },
            other => Some(doc.get(other)),
        })
        .collect())
}

/// Whether a response is worth parsing for links: HTML by its Content-Type, or no type at all.
pub fn is_html(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return true };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence.is_empty() || essence == "text/html" || essence == "application/xhtml+xml"
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<title>T</title><h1>Head <b>line</b></h1><a class=tag>x</a><a class=tag>y</a>\
                        <p>price 12.50 and 3.10</p><a class=next href='/n'>next</a>";

    fn rules(specs: &[(&str, &str, bool)]) -> Rules {
        let specs: Vec<_> = specs.iter().map(|(n, r, m)| ((*n).into(), (*r).into(), *m)).collect();
        Rules::compile(&specs).unwrap()
    }

    #[test]
    fn css_xpath_regex_one_and_many() {
        let r = rules(&[
            ("title", "title::text", false),
            ("h1", "xpath://h1//text()", true),
            ("price", r"re:(\d+\.\d+)", false),
            ("prices", r"re:(\d+\.\d+)", true),
            ("after_and", r"re:(?<=and )[\d.]+", false),
            ("cents", r#"xpath:re:match(//p, "(\d+)\.(\d+)")[3]/text()"#, false),
            ("tags", "a.tag::text", true),
            ("missing", "div.nothing::text", false),
        ]);
        assert!(r.needs_dom());
        let doc = Document::parse(PAGE, None);
        let out = r.apply(Some(&doc), PAGE).unwrap();
        assert_eq!(
            out,
            vec![
                ("title".into(), Value::One("T".into())),
                ("h1".into(), Value::Many(vec!["Head ".into(), "line".into()])),
                ("price".into(), Value::One("12.50".into())),
                ("prices".into(), Value::Many(vec!["12.50".into(), "3.10".into()])),
                ("after_and".into(), Value::One("3.10".into())),
                ("cents".into(), Value::One("50".into())),
                ("tags".into(), Value::Many(vec!["x".into(), "y".into()])),
                ("missing".into(), Value::None),
            ]
        );
    }

    #[test]
    fn regex_rules_need_no_tree_and_bad_rules_fail_at_compile() {
        assert!(!rules(&[("p", r"re:\d+", false)]).needs_dom());
        for bad in ["//a[", "a[", "re:("] {
            assert!(Rules::compile(&[("x".into(), bad.into(), false)]).is_err(), "{bad}");
        }
    }

    #[test]
    fn follow_query_takes_attributes_and_elements_hrefs() {
        let doc = Document::parse(PAGE, None);
        let Follow::Query(q) = Follow::compile("a.next").unwrap() else { panic!() };
        assert_eq!(selected_hrefs(&q, &doc).unwrap(), ["/n"]);
        let Follow::Query(q) = Follow::compile("xpath://a/@href").unwrap() else { panic!() };
        assert_eq!(selected_hrefs(&q, &doc).unwrap(), ["/n"]);
    }

    #[test]
    fn html_content_types() {
        assert!(is_html(None));
        assert!(is_html(Some("text/html; charset=gbk")));
        assert!(is_html(Some("application/xhtml+xml")));
        assert!(!is_html(Some("application/pdf")));
        assert!(!is_html(Some("image/png")));
    }
}
