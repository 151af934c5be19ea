//! XPath 1.0 over the html5ever tree: all 13 axes, abbreviations, predicates, operators and
//! the core function library. Variables (`$name`) are bound by the caller; namespace prefixes are rejected (HTML elements
//! have none, as in lxml's HTML tree). Names match HTML elements case-insensitively.

mod ast;
mod eval;
mod functions;
mod lexer;
mod parser;

use std::sync::Arc;

use super::dom::{Document, NodeId};
use super::error::SelectorError;
use super::item::Item;
use eval::{Ctx, Evaluator, Value, XNode};

pub use parser::MAX_NESTING;

/// The value of an XPath variable, `$name` in an expression: what parsel (lxml) accepts as
/// keyword arguments of `xpath()`.
#[derive(Debug, Clone, PartialEq)]
pub enum Variable {
    Str(String),
    Num(f64),
    Bool(bool),
}

/// A compiled XPath expression.
#[derive(Debug, Clone)]
pub struct XPath {
    source: String,
    expr: ast::Expr,
    /// The namespace prefixes of the name tests, each of which must be bound to evaluate.
    prefixes: Vec<String>,
}

impl XPath {
    pub fn parse(expr: &str) -> Result<XPath, SelectorError> {
        let (expr_tree, prefixes) = parser::parse(expr).map_err(|e| match e.kind {
            Some(_) => e,
            None => e.with_kind("Invalid expression"),
        })?;
        Ok(XPath { source: expr.to_string(), expr: expr_tree, prefixes })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates with `context` as the context node (an element, text, attribute or the
    /// document) and appends the result: a node-set as nodes and attributes in document order,
    /// a string, number or boolean as one item. A scalar context yields nothing. The new
    /// nodes of `re:match()` come out as what `get()` gives for them, strings.
    pub fn evaluate(&self, doc: &Document, context: &Item, out: &mut Vec<Item>) -> Result<(), SelectorError> {
        let start = out.len();
        if let Some(fragment) = self.evaluate_with(doc, context, &[], &[], out)? {
            for item in &mut out[start..] {
                *item = Item::String(fragment.get(item));
            }
        }
        Ok(())
    }

    /// [`XPath::evaluate`] with values for the variables of the expression (a variable
    /// without one is an error, `Undefined variable`) and `(prefix, uri)` namespace bindings,
    /// later ones first (a prefix without one is an error, `Undefined namespace prefix`;
    /// HTML elements are in no namespace, as in lxml, so a prefixed name never matches them).
    ///
    /// Returns the document the appended nodes belong to when it is not `doc`: the result
    /// tree fragment EXSLT `re:match()` builds its `<match>` elements in.
    pub fn evaluate_with(
        &self,
        doc: &Document,
        context: &Item,
        vars: &[(String, Variable)],
        namespaces: &[(String, String)],
        out: &mut Vec<Item>,
    ) -> Result<Option<Arc<Document>>, SelectorError> {
        if let Some(p) =
            self.prefixes.iter().find(|p| *p != "xml" && !namespaces.iter().any(|(q, _)| q == *p))
        {
            let at = self.source.find(&format!("{p}:")).unwrap_or(0);
            return Err(SelectorError::new(
                &self.source,
                at,
                format!("no namespace is bound to {p:?}: pass namespaces={{{p:?}: uri}} or register it"),
            )
            .with_kind("Undefined namespace prefix"));
        }
        let node = match context {
            // From the document, `.` is its root element, as in lxml and parsel (`./body`,
            // `name(.)`, `./namespace::*`); absolute paths still start at the document.
            Item::Node(NodeId::DOCUMENT) => XNode::node(doc.root_element().unwrap_or(NodeId::DOCUMENT)),
            Item::Node(id) => XNode::node(*id),
            Item::Attr { owner, index } => XNode::attr(*owner, *index),
            _ => return Ok(None),
        };
        let evaluator = Evaluator { doc, src: &self.source, vars, namespaces };
        let value = evaluator.eval(&self.expr, Ctx { node, position: 1, size: 1 })?;
        match value {
            Value::Nodes(nodes) => out.extend(nodes.into_iter().map(|n| evaluator.item(n))),
            Value::Fragment(fragment, nodes) => {
                let within = evaluator.within(&fragment);
                out.extend(nodes.into_iter().map(|n| within.item(n)));
                return Ok(Some(fragment));
            }
            Value::Str(s) => out.push(Item::String(s)),
            Value::Num(n) => out.push(Item::Number(n)),
            Value::Bool(b) => out.push(Item::Bool(b)),
        }
        Ok(None)
    }

    /// [`XPath::evaluate`] from the document node.
    pub fn select(&self, doc: &Document, out: &mut Vec<Item>) -> Result<(), SelectorError> {
        self.evaluate(doc, &Item::Node(NodeId::DOCUMENT), out)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// parsel `.getall()` of `expr` on `html`.
    pub fn getall(doc: &Document, expr: &str) -> Vec<String> {
        getall_from(doc, &Item::Node(NodeId::DOCUMENT), expr)
    }

    pub fn getall_from(doc: &Document, context: &Item, expr: &str) -> Vec<String> {
        let xpath = XPath::parse(expr).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        xpath.evaluate(doc, context, &mut out).unwrap_or_else(|e| panic!("{e}"));
        out.iter().map(|i| doc.get(i)).collect()
    }

    /// The single value of a scalar expression, as parsel's `.get()` renders it.
    pub fn get(doc: &Document, expr: &str) -> String {
        let all = getall(doc, expr);
        assert_eq!(all.len(), 1, "{expr} gave {all:?}");
        all.into_iter().next().unwrap()
    }

    /// Names (or text) of a node-set, for compact assertions.
    pub fn names(doc: &Document, context: &Item, expr: &str) -> Vec<String> {
        let xpath = XPath::parse(expr).unwrap_or_else(|e| panic!("{e}"));
        let mut out = Vec::new();
        xpath.evaluate(doc, context, &mut out).unwrap_or_else(|e| panic!("{e}"));
        out.iter()
            .map(|i| match i {
                Item::Node(id) => match doc.data(*id) {
                    crate::html::NodeData::Element(e) => {
                        e.attr("id").map_or_else(|| e.name().to_string(), |id| format!("#{id}"))
                    }
                    crate::html::NodeData::Document => "/".into(),
                    crate::html::NodeData::Comment(c) => format!("<!--{c}-->"),
                    _ => format!("'{}'", doc.get(i)),
                },
                Item::Attr { .. } => format!("@{}", doc.get(i)),
                _ => doc.get(i),
            })
            .collect()
    }
}
