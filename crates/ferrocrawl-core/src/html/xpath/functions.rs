//! The XPath 1.0 core function library (spec section 4). Arity is checked by the parser;
//! argument types that cannot be converted (a node-set where a number was given) are errors
//! here, at the call's position.

use std::borrow::Cow;
use std::sync::Arc;

use super::ast::{Expr, Function};
use super::eval::{normalize, str_to_number, Ctx, EResult, Evaluator, Value, XNode};
use crate::html::dom::{Document, NodeData};
use crate::html::error::SelectorError;
use crate::html::pattern::Pattern;

impl Evaluator<'_> {
    pub(crate) fn call(&self, f: Function, args: &[Expr], pos: usize, ctx: Ctx) -> EResult<Value> {
        use Function as F;
        let string_arg = |i: usize| -> EResult<String> { self.string(&args[i], ctx) };
        // The first argument as a string, or the context node's string-value without one.
        let string_or_context = || -> EResult<Cow<'_, str>> {
            match args.first() {
                Some(arg) => Ok(Cow::Owned(self.string(arg, ctx)?)),
                None => Ok(self.string_value(ctx.node)),
            }
        };
        Ok(match f {
            F::Last => Value::Num(ctx.size as f64),
            F::Position => Value::Num(ctx.position as f64),
            F::Count => Value::Num(self.with_node_set(&args[0], pos, ctx, "count", |_, n| n.len())? as f64),
            F::Id => Value::Nodes(self.id(&args[0], ctx)?),
            F::LocalName | F::Name => {
                Value::Str(self.with_first_node(args, pos, ctx, "name", |e, n| e.node_name(n, f == F::Name))?)
            }
            F::NamespaceUri => {
                Value::Str(self.with_first_node(args, pos, ctx, "namespace-uri", |e, n| {
                    // lxml's HTML tree has no namespaces; XML names have theirs
                    let name = Some(n).filter(|_| e.doc.is_xml()).and_then(|n| e.qual_name(n));
                    name.map(|q| q.ns.to_string()).unwrap_or_default()
                })?)
            }
            F::HasClass => {
                let classes = self
                    .doc
                    .element(ctx.node.id())
                    .filter(|_| ctx.node.attr_index().is_none())
                    .and_then(|e| e.attr("class"));
                let mut wanted = Vec::with_capacity(args.len());
                for i in 0..args.len() {
                    wanted.push(string_arg(i)?);
                }
                Value::Bool(classes.is_some_and(|c| {
                    wanted.iter().all(|w| c.split_ascii_whitespace().any(|have| have == w.as_str()))
                }))
            }
            F::ReTest => {
                let flags = if args.len() > 2 { string_arg(2)? } else { String::new() };
                let re = self.exslt_regex(&string_arg(1)?, &flags, pos)?;
                Value::Bool(re.is_match(&string_arg(0)?).map_err(|e| self.error(pos, e.message))?)
            }
            F::ReMatch => {
                let flags = if args.len() > 2 { string_arg(2)? } else { String::new() };
                let re = self.exslt_regex(&string_arg(1)?, &flags, pos)?;
                let texts = exslt_matches(&re, &string_arg(0)?, flags.contains('g'))
                    .map_err(|e| self.error(pos, e.message))?;
                if texts.is_empty() {
                    Value::Nodes(Vec::new())
                } else {
                    let doc = Arc::new(Document::matches(&texts, self.doc.is_xml()));
                    let matches =
                        doc.root_element().map(|root| doc.children(root).map(XNode::node).collect());
                    Value::Fragment(doc, matches.unwrap_or_default())
                }
            }
            F::ReReplace => {
                let (s, flags, with) = (string_arg(0)?, string_arg(2)?, string_arg(3)?);
                let re = self.exslt_regex(&string_arg(1)?, &flags, pos)?;
                // libexslt's `\N` is group N; anything else is literal
                let with = exslt_replacement(&with);
                let with = with.as_str();
                let replaced =
                    re.replace(&s, with, flags.contains('g')).map_err(|e| self.error(pos, e.message))?;
                Value::Str(replaced.into_owned())
            }
            F::SetDifference | F::SetIntersection => {
                let a = self.node_set(&args[0], pos, ctx, "set")?;
                let b = self.node_set(&args[1], pos, ctx, "set")?;
                let keep = f == F::SetIntersection;
                Value::Nodes(a.into_iter().filter(|n| b.binary_search(n).is_ok() == keep).collect())
            }
            F::SetDistinct => {
                let nodes = self.node_set(&args[0], pos, ctx, "set:distinct")?;
                let mut seen = std::collections::HashSet::new();
                Value::Nodes(
                    nodes.into_iter().filter(|&n| seen.insert(self.string_value(n).into_owned())).collect(),
                )
            }
            F::SetHasSameNode => {
                let a = self.node_set(&args[0], pos, ctx, "set:has-same-node")?;
                let b = self.node_set(&args[1], pos, ctx, "set:has-same-node")?;
                Value::Bool(a.iter().any(|n| b.binary_search(n).is_ok()))
            }
            F::String => Value::Str(string_or_context()?.into_owned()),
            F::Concat => {
                let mut s = String::new();
                for arg in args {
                    s.push_str(&self.string(arg, ctx)?);
                }
                Value::Str(s)
            }
            F::StartsWith => Value::Bool(string_arg(0)?.starts_with(&string_arg(1)?)),
            F::Contains => Value::Bool(string_arg(0)?.contains(&string_arg(1)?)),
            F::SubstringBefore => {
                let (s, sep) = (string_arg(0)?, string_arg(1)?);
                Value::Str(s.find(&sep).map(|i| s[..i].to_string()).unwrap_or_default())
            }
            F::SubstringAfter => {
                let (s, sep) = (string_arg(0)?, string_arg(1)?);
                Value::Str(s.find(&sep).map(|i| s[i + sep.len()..].to_string()).unwrap_or_default())
            }
            F::Substring => {
                let s = string_arg(0)?;
                let start = round(self.number(&args[1], ctx)?);
                let end = match args.get(2) {
                    Some(len) => start + round(self.number(len, ctx)?),
                    None => f64::INFINITY,
                };
                // Characters at 1-based positions p with start <= p < end (NaN excludes all).
                let out: String = s
                    .chars()
                    .enumerate()
                    .filter(|&(i, _)| {
                        let p = (i + 1) as f64;
                        p >= start && p < end
                    })
                    .map(|(_, c)| c)
                    .collect();
                Value::Str(out)
            }
            F::StringLength => Value::Num(string_or_context()?.chars().count() as f64),
            F::NormalizeSpace => Value::Str(normalize_space(&string_or_context()?)),
            F::Translate => {
                let (s, from, to) = (string_arg(0)?, string_arg(1)?, string_arg(2)?);
                let to: Vec<char> = to.chars().collect();
                let out = s
                    .chars()
                    .filter_map(|c| match from.chars().position(|f| f == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect();
                Value::Str(out)
            }
            F::Boolean => Value::Bool(self.boolean(&args[0], ctx)?),
            F::Not => Value::Bool(!self.boolean(&args[0], ctx)?),
            F::True => Value::Bool(true),
            F::False => Value::Bool(false),
            F::Lang => Value::Bool(self.lang(&string_arg(0)?, ctx.node)),
            F::Number => Value::Num(match args.first() {
                Some(arg) => self.number(arg, ctx)?,
                None => str_to_number(&self.string_value(ctx.node)),
            }),
            F::Sum => Value::Num(self.with_node_set(&args[0], pos, ctx, "sum", |e, nodes| {
                // fold from +0.0: f64's `sum()` starts at -0.0, and sum(empty) must print "0.0"
                nodes.iter().fold(0.0, |acc, &n| acc + str_to_number(&e.string_value(n)))
            })?),
            F::Floor => Value::Num(self.number(&args[0], ctx)?.floor()),
            F::Ceiling => Value::Num(self.number(&args[0], ctx)?.ceil()),
            F::Round => Value::Num(round(self.number(&args[0], ctx)?)),
        })
    }

    /// A node-set argument of this document (the `set:` functions compare nodes by identity,
    /// which a `re:match()` fragment's never share).
    fn node_set(&self, arg: &Expr, pos: usize, ctx: Ctx, name: &str) -> EResult<Vec<XNode>> {
        match self.eval(arg, ctx)? {
            Value::Nodes(nodes) => Ok(nodes),
            Value::Fragment(..) => Err(self.error(pos, format!("{name}() cannot take re:match() results"))),
            _ => Err(self.error(pos, format!("{name}() needs a node-set argument"))),
        }
    }

    /// `f` of a node-set argument's nodes and the evaluator of their document (a
    /// `re:match()` fragment has its own).
    fn with_node_set<R>(
        &self,
        arg: &Expr,
        pos: usize,
        ctx: Ctx,
        name: &str,
        f: impl FnOnce(&Evaluator<'_>, &[XNode]) -> R,
    ) -> EResult<R> {
        let value = self.eval(arg, ctx)?;
        match self.nodes_of(&value) {
            Some((reader, nodes)) => Ok(f(&reader, nodes)),
            None => Err(self.error(pos, format!("{name}() needs a node-set argument"))),
        }
    }

    /// `f` of the first node of the optional node-set argument (or of the context node), ""
    /// for an empty node-set.
    fn with_first_node(
        &self,
        args: &[Expr],
        pos: usize,
        ctx: Ctx,
        name: &str,
        f: impl FnOnce(&Evaluator<'_>, XNode) -> String,
    ) -> EResult<String> {
        match args.first() {
            None => Ok(f(self, ctx.node)),
            Some(arg) => self.with_node_set(arg, pos, ctx, name, |e, nodes| {
                nodes.first().map(|&n| f(e, n)).unwrap_or_default()
            }),
        }
    }

    /// An element's or attribute's name.
    fn qual_name(&self, node: XNode) -> Option<&html5ever::QualName> {
        if node.ns_index().is_some() {
            return None;
        }
        let e = self.doc.element(node.id())?;
        match node.attr_index() {
            Some(index) => e.attrs.get(index as usize).map(|a| &a.name),
            None => Some(&e.name),
        }
    }

    /// EXSLT's regex (`pattern` with `flags`), compiled through the cache.
    fn exslt_regex(&self, pattern: &str, flags: &str, pos: usize) -> EResult<Arc<Pattern>> {
        let pattern =
            if flags.contains('i') { Cow::Owned(format!("(?i){pattern}")) } else { Cow::Borrowed(pattern) };
        crate::html::compiled_regex(&pattern).map_err(|e| self.error(pos, e.message))
    }

    /// `name()` (prefixed, in XML) or `local-name()`: an element's or attribute's name, a
    /// PI's target, else "".
    fn node_name(&self, node: XNode, qualified: bool) -> String {
        let doc = self.doc;
        if let Some(index) = node.ns_index() {
            // a namespace node is named by its prefix ("" for the default namespace)
            let scope = doc.namespaces_in_scope(node.id());
            return scope.get(index as usize).map_or_else(String::new, |(prefix, _)| (*prefix).to_owned());
        }
        if let Some(name) = self.qual_name(node) {
            return match (&name.prefix, qualified && doc.is_xml()) {
                (Some(prefix), true) => format!("{prefix}:{}", name.local),
                _ => name.local.to_string(),
            };
        }
        match doc.data(node.id()) {
            NodeData::ProcessingInstruction { target, .. } => target.to_string(),
            _ => String::new(),
        }
    }

    /// `id(x)`: elements whose `id` is one of the whitespace-separated tokens of `x` (of each
    /// node's string-value if `x` is a node-set).
    fn id(&self, arg: &Expr, ctx: Ctx) -> EResult<Vec<XNode>> {
        let value = self.eval(arg, ctx)?;
        let text = match self.nodes_of(&value) {
            Some((reader, nodes)) => {
                nodes.iter().map(|&n| reader.string_value(n)).collect::<Vec<_>>().join(" ")
            }
            None => self.to_string(value),
        };
        let wanted: Vec<&str> = text.split_ascii_whitespace().collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let doc = self.doc;
        let mut out: Vec<XNode> = doc
            .descendants(crate::html::NodeId::DOCUMENT)
            .filter(|&n| doc.element(n).and_then(|e| e.attr("id")).is_some_and(|id| wanted.contains(&id)))
            .map(XNode::node)
            .collect();
        normalize(&mut out);
        Ok(out)
    }

    /// `lang(s)`: the nearest `xml:lang` on the node or an ancestor equals `s` or starts with
    /// `s-`, ignoring case. Like lxml, plain HTML `lang` attributes do not count.
    fn lang(&self, want: &str, node: XNode) -> bool {
        let doc = self.doc;
        let mut cur = Some(node.id());
        while let Some(id) = cur {
            let value = doc.element(id).and_then(|e| {
                e.attrs.iter().find(|a| {
                    (a.name.ns == html5ever::ns!(xml) && &*a.name.local == "lang")
                        || &*a.name.local == "xml:lang"
                })
            });
            if let Some(attr) = value {
                let lang = attr.value.to_ascii_lowercase();
                let want = want.to_ascii_lowercase();
                return lang == want || lang.strip_prefix(&want).is_some_and(|rest| rest.starts_with('-'));
            }
            cur = doc.parent(id);
        }
        false
    }
}

/// XPath `round()`: the nearest integer, halves towards positive infinity; NaN and the
/// infinities stay, and -0.5 <= x < 0 gives -0.
pub(crate) fn round(n: f64) -> f64 {
    if n.is_nan() || n.is_infinite() {
        return n;
    }
    if (-0.5..0.0).contains(&n) {
        return -0.0;
    }
    (n + 0.5).floor()
}

/// Strips XPath whitespace (space, tab, CR, LF) at both ends and collapses inner runs.
pub(crate) fn normalize_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The strings of EXSLT `re:match()` as lxml makes them: the match and each group ("" for
/// one that took no part), or with `global` (flag `g`) every match's first group (the whole
/// match when the pattern has none).
fn exslt_matches(re: &Pattern, s: &str, global: bool) -> Result<Vec<String>, SelectorError> {
    let text = |m: Option<&str>| m.unwrap_or("").to_owned();
    if global {
        let group = usize::from(re.captures_len() > 1);
        let mut out = Vec::new();
        re.each_captures(s, |c| {
            out.push(text(c.get(group)));
            true
        })?;
        Ok(out)
    } else {
        Ok(re
            .captures(s)?
            .map(|c| (0..re.captures_len()).map(|i| text(c.get(i))).collect())
            .unwrap_or_default())
    }
}

/// An EXSLT `re:replace` replacement in the `regex` crate's syntax: `\N` is group N, a `$`
/// is literal.
fn exslt_replacement(with: &str) -> String {
    let mut out = String::with_capacity(with.len());
    let mut chars = with.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                out.push(chars.next().unwrap_or('0'));
                out.push('}');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{get, getall};
    use crate::html::Document;

    const PAGE: &str = r#"<html><body>
        <ul id="l"><li id="x">10</li><li id="y">2.5</li><li>n/a</li></ul>
        <p id="t" xml:lang="en-GB">  Hello,
          World  </p><svg><rect/></svg>
        <a id="k" href="/k?q=1">K</a></body></html>"#;

    /// parsel's extras: `has-class()`, and EXSLT `re:` and `set:` (parsel binds both
    /// prefixes); the cases of parsel's TestExslt.
    #[test]
    fn parsel_extensions() {
        let doc = Document::parse(
            r#"<p class="a  b"><input name='a' value='1'/><input name='B' value='2'/></p>
            <a href="/first.html">first</a><a href="http://www.bayes.co.uk/xml/index.xml?/xml/utils/rechecker.xml">x</a>
            <div itemscope><span itemprop="url"></span><div itemscope><b itemprop="name"></b></div></div>"#,
            None,
        );
        assert_eq!(getall(&doc, "//p[has-class('b', 'a')]/@class"), ["a  b"]);
        assert!(getall(&doc, "//p[has-class('a', 'c')]").is_empty());
        assert_eq!(getall(&doc, r#"//input[re:test(@name, "[A-Z]+", "i")]/@value"#), ["1", "2"]);
        assert_eq!(getall(&doc, r#"//input[re:test(@name, "[A-Z]+")]/@value"#), ["2"]);
        assert_eq!(getall(&doc, r#"//a[re:test(@href, "\.html$")]/text()"#), ["first"]);
        // Python's syntax, as lxml runs these on Python's re: look-ahead, back-references
        assert_eq!(getall(&doc, r#"//a[re:test(@href, "^(?!http)")]/text()"#), ["first"]);
        assert_eq!(get(&doc, r#"re:replace("aab", "(a)\1", "", "<\1>")"#), "<a>b");
        assert_eq!(
            getall(
                &doc,
                r#"re:replace(//a[re:test(@href, "\.xml$")]/@href, "(\w+)://(.+)(\.xml)", "", "https://\2.html")"#
            ),
            ["https://www.bayes.co.uk/xml/index.xml?/xml/utils/rechecker.html"]
        );
        assert_eq!(get(&doc, r#"re:replace("a$c", "(\$)", "", "[\1$]")"#), "a[$$]c");
        assert_eq!(get(&doc, r#"re:replace("a-b-c", "-", "g", "+")"#), "a+b+c");
        assert_eq!(getall(&doc, "set:difference(//@itemprop, //*[@itemscope]/*/*/@itemprop)"), ["url"]);
        assert_eq!(get(&doc, "count(set:intersection(//input, //input[@name='a']))"), "1.0");
        // distinct by string-value: the inputs (and the p around them) are all ""
        assert_eq!(get(&doc, "count(set:distinct(//input | //p | //a))"), "3.0");
        assert_eq!(get(&doc, "set:has-same-node(//input, //*[@value='2'])"), "1");
    }

    /// EXSLT `re:match()`: new `<match>` elements in a fragment of their own, read by paths,
    /// predicates, conversions and functions as lxml reads them (expected values from lxml).
    #[test]
    fn re_match_makes_a_fragment() {
        let doc = Document::parse(r#"<a href="http://x.org/a.xml">t</a><a href="/b">u</a>"#, None);
        let url = r#"re:match(//a/@href, "(\w+):\/\/([^/:]+)(:\d*)?([^# ]*)")"#;
        assert_eq!(
            getall(&doc, url),
            [
                "<match>http://x.org/a.xml</match>",
                "<match>http</match>",
                "<match>x.org</match>",
                "<match></match>",
                "<match>/a.xml</match>"
            ]
        );
        assert_eq!(
            getall(&doc, &format!("{url}/text()")),
            ["http://x.org/a.xml", "http", "x.org", "", "/a.xml"]
        );
        assert_eq!(getall(&doc, &format!("{url}[2]")), ["<match>http</match>"]);
        assert_eq!(get(&doc, &format!("string({url}[3])")), "x.org");
        assert_eq!(get(&doc, &format!("count({url})")), "5.0");
        assert_eq!(get(&doc, &format!("name({url}/..)")), "matches");
        assert_eq!(get(&doc, &format!("count({url}/ancestor::node())")), "2.0", "<matches> and its document");
        assert_eq!(getall(&doc, &format!("{url}[. = 'http']/following-sibling::*[1]/text()")), ["x.org"]);
        assert_eq!(get(&doc, &format!("{url} = 'x.org'")), "1");
        assert_eq!(get(&doc, &format!("'x.org' = {url}")), "1");
        assert_eq!(get(&doc, &format!("{url} = //a")), "0");
        assert_eq!(get(&doc, &format!("count({url}[/matches])")), "5.0", "`/` is the fragment's document");
        assert_eq!(getall(&doc, r#"re:match("abcabc", "b", "g")"#), ["<match>b</match>", "<match>b</match>"]);
        assert_eq!(
            getall(&doc, r#"re:match("abcabc", "(b)(c)", "g")"#),
            ["<match>b</match>", "<match>b</match>"]
        );
        assert_eq!(getall(&doc, r#"re:match("aBc", "b", "ig")/text()"#), ["B"]);
        assert_eq!(get(&doc, r#"sum(re:match("a1b2", "\d", "g"))"#), "3.0");
        assert!(getall(&doc, r#"re:match("abc", "z")"#).is_empty());
        assert_eq!(getall(&doc, r#"//a[2] | re:match("abc", "z")"#), [r#"<a href="/b">u</a>"#]);
        assert_eq!(getall(&doc, r#"//a[re:match(@href, "^/")]/text()"#), ["u"]);
        // nodes of two documents in one result, or compared by identity: a clear error
        for expr in [r#"//a | re:match("abc", "b")"#, r#"set:difference(re:match("abc", "b"), //a)"#] {
            let err = super::super::XPath::parse(expr).unwrap().select(&doc, &mut Vec::new()).unwrap_err();
            assert!(err.message.contains("re:match()"), "{expr}: {err}");
        }
    }

    #[test]
    fn re_match_results_belong_to_their_fragment() {
        use crate::html::{Item, NodeId};
        let doc = Document::parse_xml("<r><a>k=v</a></r>", None);
        let mut out = Vec::new();
        let xpath = super::super::XPath::parse(r#"re:match(//a, "(\w)=(\w)")[2]"#).unwrap();
        let fragment = xpath.evaluate_with(&doc, &Item::Node(NodeId::DOCUMENT), &[], &[], &mut out).unwrap();
        let fragment = fragment.expect("the <match> elements are not nodes of the page");
        assert!(fragment.is_xml(), "an XML page's fragment is XML");
        assert_eq!(out.iter().map(|i| fragment.get(i)).collect::<Vec<_>>(), ["<match>k</match>"]);
        // a further query starts from the match, inside its fragment
        assert_eq!(
            super::super::testing::getall_from(&fragment, &out[0], "following-sibling::*"),
            ["<match>v</match>"]
        );
        assert!(xpath.evaluate_with(&doc, &Item::Node(NodeId::DOCUMENT), &[], &[], &mut Vec::new()).is_ok());
        let mut plain = Vec::new();
        let none = super::super::XPath::parse("//a").unwrap().evaluate_with(
            &doc,
            &Item::Node(NodeId::DOCUMENT),
            &[],
            &[],
            &mut plain,
        );
        assert!(none.unwrap().is_none(), "the page's own nodes");
    }

    #[test]
    fn every_function() {
        let doc = Document::parse(PAGE, None);
        for (expr, want) in [
            ("count(//li)", "3.0"),
            ("count(//li[last()])", "1.0"),
            ("//li[position() = 2]/@id", "y"),
            ("local-name(//svg/*)", "rect"),
            ("name(//a/@href)", "href"),
            ("name()", "html"), // from the document, `.` is the root element (lxml)
            ("name(/)", ""),
            ("namespace-uri(//svg)", ""),
            ("string(//li)", "10"),
            ("string(//a/@href)", "/k?q=1"),
            ("concat('a', 1, true())", "a1true"),
            ("starts-with(//a/@href, '/k')", "1"),
            ("contains(//p, 'World')", "1"),
            ("substring-before(//a/@href, '?')", "/k"),
            ("substring-after(//a/@href, '?')", "q=1"),
            ("substring-after('abc', 'x')", ""),
            ("substring('12345', 2, 3)", "234"),
            ("substring('12345', 1.5, 2.6)", "234"),
            ("substring('12345', 0, 3)", "12"),
            ("substring('12345', 0 div 0, 3)", ""),
            ("substring('12345', 1, 0 div 0)", ""),
            ("substring('12345', -42, 1 div 0)", "12345"),
            ("substring('12345', -1 div 0, 1 div 0)", ""),
            ("substring('ébc', 2)", "bc"),
            ("string-length('ébc')", "3.0"),
            ("string-length(//li)", "2.0"),
            ("normalize-space(//p)", "Hello, World"),
            ("normalize-space('\u{a0}x ')", "\u{a0}x"),
            ("translate('bar', 'abc', 'ABC')", "BAr"),
            ("translate('--aaa--', 'abc-', 'ABC')", "AAA"),
            ("boolean(//nope)", "0"),
            ("not(//li)", "0"),
            ("true()", "1"),
            ("false()", "0"),
            ("number(//li)", "10.0"),
            ("number(//li[3])", "nan"),
            ("sum(//li[position() < 3])", "12.5"),
            ("sum(//li)", "nan"),
            ("floor(-1.5)", "-2.0"),
            ("ceiling(1.2)", "2.0"),
            ("round(2.5)", "3.0"),
            ("round(-2.5)", "-2.0"),
            ("round(-0.2)", "-0.0"),
            ("round(1 div 0)", "inf"),
            ("boolean(id('y'))", "1"),
            ("count(id('x  y nope'))", "2.0"),
            ("count(id(//li/@id))", "2.0"),
            ("boolean(//p[lang('en')])", "1"),
            ("boolean(//p[lang('EN-gb')])", "1"),
            ("boolean(//p[lang('fr')])", "0"),
            ("boolean(//li[lang('en')])", "0"),
        ] {
            assert_eq!(get(&doc, expr), want, "{expr}");
        }
        assert_eq!(getall(&doc, "id('y x')/@id"), ["x", "y"], "document order");
        assert_eq!(getall(&doc, "//li[string(number(.)) != 'NaN']/text()"), ["10", "2.5"]);
    }
}
