//! The XPath 1.0 evaluator over a [`Document`]. Node-sets are sorted, deduplicated vectors of
//! [`XNode`]s, whose numeric order is document order (ids are preorder positions), so union
//! and deduplication are a sort. Tree walks are loops over id ranges and sibling chains; the
//! only recursion is over the expression, whose depth the parser bounds.

use std::borrow::Cow;
use std::sync::Arc;

use html5ever::{ns, LocalName};

use super::ast::{ArithOp, Axis, CmpOp, Expr, NameTest, NodeTest, Path, Predicate, Start, Step};
use crate::html::dom::{Document, NodeData, NodeId};
use crate::html::error::SelectorError;
use crate::html::item::Item;

/// A node of the XPath data model: a tree node or an attribute. The value is the document
/// order key: `id << 32` for a node, `(owner << 32) | (index + 1)` for an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct XNode(u64);

impl XNode {
    pub fn node(id: NodeId) -> XNode {
        XNode((id.index() as u64) << 32)
    }

    pub fn attr(owner: NodeId, index: u32) -> XNode {
        XNode(((owner.index() as u64) << 32) | (u64::from(index) + 1))
    }

    /// Namespace node `index` of [`Document::namespaces_in_scope`] of element `owner`.
    pub fn namespace(owner: NodeId, index: u32) -> XNode {
        XNode(((owner.index() as u64) << 32) | u64::from(NS_BIT | index))
    }

    /// The node, or the element owning the attribute or namespace node.
    pub fn id(self) -> NodeId {
        NodeId::from_index((self.0 >> 32) as usize)
    }

    /// The attribute index, if this is an attribute.
    pub fn attr_index(self) -> Option<u32> {
        match (self.0 & 0xffff_ffff) as u32 {
            0 => None,
            i if i & NS_BIT != 0 => None,
            i => Some(i - 1),
        }
    }

    /// The namespace node's index, if this is one.
    pub fn ns_index(self) -> Option<u32> {
        let low = (self.0 & 0xffff_ffff) as u32;
        (low & NS_BIT != 0).then_some(low & !NS_BIT)
    }

    /// An attribute or namespace node: it belongs to an element, outside the tree's axes.
    pub fn is_owned(self) -> bool {
        self.0 & 0xffff_ffff != 0
    }
}

/// Marks a namespace node in [`XNode`]'s low half (attributes count from 1 below it).
const NS_BIT: u32 = 1 << 31;

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Nodes(Vec<XNode>),
    /// Nodes of a result tree fragment: the new `<match>` elements of EXSLT `re:match()`,
    /// which live in a document of their own (as in lxml), read with [`Evaluator::within`].
    Fragment(Arc<Document>, Vec<XNode>),
    Str(String),
    Num(f64),
    Bool(bool),
}

/// The dynamic context of one evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub node: XNode,
    pub position: usize,
    pub size: usize,
}

pub(crate) type EResult<T> = Result<T, SelectorError>;

pub(crate) struct Evaluator<'a> {
    pub doc: &'a Document,
    /// The expression text, for error messages.
    pub src: &'a str,
    /// The values of `$name` references.
    pub vars: &'a [(String, super::Variable)],
    /// `(prefix, uri)` bindings, later ones first.
    pub namespaces: &'a [(String, String)],
}

impl<'a> Evaluator<'a> {
    pub fn error(&self, pos: usize, message: impl Into<String>) -> SelectorError {
        SelectorError::new(self.src, pos, message).with_kind("Invalid type")
    }

    /// This evaluator on another document (a fragment's), with the same variables and
    /// namespaces: there `/` is the fragment's document node, as in lxml.
    pub fn within<'f>(&'f self, doc: &'f Document) -> Evaluator<'f> {
        Evaluator { doc, ..*self }
    }

    /// A node-set value's nodes with the evaluator that reads them: this one for the
    /// document's, one [`within`](Evaluator::within) the fragment for a fragment's. `None`
    /// for a scalar.
    pub fn nodes_of<'v>(&'v self, value: &'v Value) -> Option<(Evaluator<'v>, &'v [XNode])> {
        match value {
            Value::Nodes(nodes) => Some((self.within(self.doc), nodes)),
            Value::Fragment(doc, nodes) => Some((self.within(doc), nodes)),
            _ => None,
        }
    }

    pub fn eval(&self, expr: &Expr, ctx: Ctx) -> EResult<Value> {
        Ok(match expr {
            Expr::Or(a, b) => Value::Bool(self.boolean(a, ctx)? || self.boolean(b, ctx)?),
            Expr::And(a, b) => Value::Bool(self.boolean(a, ctx)? && self.boolean(b, ctx)?),
            Expr::Compare(op, a, b) => {
                let (a, b) = (self.eval(a, ctx)?, self.eval(b, ctx)?);
                Value::Bool(self.compare(*op, &a, &b))
            }
            Expr::Arith(op, a, b) => {
                let (a, b) = (self.number(a, ctx)?, self.number(b, ctx)?);
                Value::Num(match op {
                    ArithOp::Add => a + b,
                    ArithOp::Sub => a - b,
                    ArithOp::Mul => a * b,
                    ArithOp::Div => a / b,
                    // XPath `mod` truncates like Rust's `%` (the sign follows the dividend).
                    ArithOp::Mod => a % b,
                })
            }
            Expr::Neg(a) => Value::Num(-self.number(a, ctx)?),
            Expr::Union(a, b, pos) => match (self.eval(a, ctx)?, self.eval(b, ctx)?) {
                (Value::Nodes(mut a), Value::Nodes(b)) => {
                    a.extend(b);
                    normalize(&mut a);
                    Value::Nodes(a)
                }
                (Value::Nodes(empty), fragment @ Value::Fragment(..))
                | (fragment @ Value::Fragment(..), Value::Nodes(empty))
                    if empty.is_empty() =>
                {
                    fragment
                }
                (Value::Fragment(..), Value::Nodes(_) | Value::Fragment(..))
                | (Value::Nodes(_), Value::Fragment(..)) => {
                    return Err(self.error(*pos, "'|' cannot join re:match() results with other nodes"))
                }
                _ => return Err(self.error(*pos, "both operands of '|' must be node-sets")),
            },
            Expr::Literal(s) => Value::Str(s.clone()),
            Expr::Number(n) => Value::Num(*n),
            Expr::Variable(name, pos) => match self.vars.iter().find(|(n, _)| n == name) {
                Some((_, super::Variable::Str(s))) => Value::Str(s.clone()),
                Some((_, super::Variable::Num(n))) => Value::Num(*n),
                Some((_, super::Variable::Bool(b))) => Value::Bool(*b),
                None => {
                    return Err(SelectorError::new(self.src, *pos, format!("${name} has no value"))
                        .with_kind("Undefined variable"))
                }
            },
            Expr::Call(f, args, pos) => self.call(*f, args, *pos, ctx)?,
            Expr::Filter(primary, predicates, pos) => match self.eval(primary, ctx)? {
                Value::Nodes(mut nodes) => {
                    for predicate in predicates {
                        nodes = self.filter(nodes, predicate)?;
                    }
                    Value::Nodes(nodes)
                }
                Value::Fragment(doc, mut nodes) => {
                    let within = self.within(&doc);
                    for predicate in predicates {
                        nodes = within.filter(nodes, predicate)?;
                    }
                    Value::Fragment(doc, nodes)
                }
                _ => return Err(self.error(*pos, "predicates apply to node-sets only")),
            },
            Expr::Path(path) => self.path(path, ctx)?,
        })
    }

    /// A node of the result as a query item.
    pub fn item(&self, n: XNode) -> Item {
        match (n.attr_index(), n.ns_index()) {
            (Some(index), _) => Item::Attr { owner: n.id(), index },
            // a namespace node comes out as its URI (lxml gives a (prefix, uri) tuple)
            (_, Some(_)) => Item::String(self.string_value(n).into_owned()),
            _ => Item::Node(n.id()),
        }
    }

    pub fn boolean(&self, expr: &Expr, ctx: Ctx) -> EResult<bool> {
        Ok(self.to_boolean(&self.eval(expr, ctx)?))
    }

    pub fn number(&self, expr: &Expr, ctx: Ctx) -> EResult<f64> {
        Ok(self.to_number(&self.eval(expr, ctx)?))
    }

    pub fn string(&self, expr: &Expr, ctx: Ctx) -> EResult<String> {
        Ok(self.to_string(self.eval(expr, ctx)?))
    }

    #[allow(clippy::unused_self, reason = "kept with the other conversions, which need the document")]
    pub fn to_boolean(&self, value: &Value) -> bool {
        match value {
            Value::Nodes(n) | Value::Fragment(_, n) => !n.is_empty(),
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
        }
    }

    pub fn to_number(&self, value: &Value) -> f64 {
        match value {
            Value::Nodes(n) => n.first().map_or(f64::NAN, |&n| str_to_number(&self.string_value(n))),
            Value::Fragment(doc, n) => {
                n.first().map_or(f64::NAN, |&n| str_to_number(&self.within(doc).string_value(n)))
            }
            Value::Str(s) => str_to_number(s),
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
        }
    }

    pub fn to_string(&self, value: Value) -> String {
        match value {
            Value::Nodes(n) => n.first().map(|&n| self.string_value(n).into_owned()).unwrap_or_default(),
            Value::Fragment(doc, n) => self.within(&doc).to_string(Value::Nodes(n)),
            Value::Str(s) => s,
            Value::Num(n) => number_to_string(n),
            Value::Bool(b) => if b { "true" } else { "false" }.to_string(),
        }
    }

    /// The string-value of a node, borrowed when it is one piece of text.
    pub fn string_value(&self, node: XNode) -> Cow<'a, str> {
        let doc = self.doc;
        if let Some(index) = node.attr_index() {
            return Cow::Borrowed(doc.attr_value(node.id(), index));
        }
        if let Some(index) = node.ns_index() {
            let scope = doc.namespaces_in_scope(node.id());
            return Cow::Borrowed(scope.get(index as usize).map_or("", |(_, uri)| *uri));
        }
        let id = node.id();
        match doc.data(id) {
            NodeData::Text(t) | NodeData::Comment(t) => Cow::Borrowed(t),
            NodeData::ProcessingInstruction { data, .. } => Cow::Borrowed(data),
            NodeData::Doctype { .. } | NodeData::EntityRef(_) | NodeData::Removed => Cow::Borrowed(""),
            NodeData::Element(_) | NodeData::Document => {
                let mut texts = doc.descendants(id).filter_map(|d| match doc.data(d) {
                    NodeData::Text(t) => Some(&**t),
                    _ => None,
                });
                let Some(first) = texts.next() else { return Cow::Borrowed("") };
                match texts.next() {
                    None => Cow::Borrowed(first),
                    Some(second) => {
                        let mut s = String::with_capacity(first.len() + second.len());
                        s.push_str(first);
                        s.push_str(second);
                        texts.for_each(|t| s.push_str(t));
                        Cow::Owned(s)
                    }
                }
            }
        }
    }

    #[allow(clippy::float_cmp, reason = "XPath compares IEEE 754 numbers exactly")]
    fn compare(&self, op: CmpOp, a: &Value, b: &Value) -> bool {
        if matches!(a, Value::Fragment(..)) || matches!(b, Value::Fragment(..)) {
            return self.compare_strings_of(op, a, b);
        }
        match (a, b) {
            (Value::Nodes(x), Value::Nodes(y)) => {
                let ys: Vec<Cow<'_, str>> = y.iter().map(|&n| self.string_value(n)).collect();
                x.iter().any(|&n| {
                    let sx = self.string_value(n);
                    ys.iter().any(|sy| compare_strings(op, &sx, sy))
                })
            }
            (Value::Nodes(x), other) => x.iter().any(|&n| self.compare_node(op, n, other, false)),
            (other, Value::Nodes(y)) => y.iter().any(|&n| self.compare_node(op, n, other, true)),
            _ => match op {
                CmpOp::Eq | CmpOp::Ne => {
                    let equal = if matches!(a, Value::Bool(_)) || matches!(b, Value::Bool(_)) {
                        self.to_boolean(a) == self.to_boolean(b)
                    } else if matches!(a, Value::Num(_)) || matches!(b, Value::Num(_)) {
                        self.to_number(a) == self.to_number(b)
                    } else {
                        self.to_string(a.clone()) == self.to_string(b.clone())
                    };
                    equal == (op == CmpOp::Eq)
                }
                _ => compare_numbers(op, self.to_number(a), self.to_number(b)),
            },
        }
    }

    /// Compares one node with a scalar; `swapped` when the scalar is the left operand.
    fn compare_node(&self, op: CmpOp, node: XNode, other: &Value, swapped: bool) -> bool {
        let op = if swapped { op.swapped() } else { op };
        compare_with_scalar(op, &self.string_value(node), other)
    }

    /// [`Evaluator::compare`] when an operand is a fragment, whose nodes only its own
    /// evaluator can read: node-sets become their string-values first.
    fn compare_strings_of(&self, op: CmpOp, a: &Value, b: &Value) -> bool {
        let strings = |v| {
            let (reader, nodes) = self.nodes_of(v)?;
            Some(nodes.iter().map(|&n| reader.string_value(n).into_owned()).collect::<Vec<_>>())
        };
        match (strings(a), strings(b)) {
            (Some(x), Some(y)) => x.iter().any(|sx| y.iter().any(|sy| compare_strings(op, sx, sy))),
            (Some(x), None) => x.iter().any(|s| compare_with_scalar(op, s, b)),
            (None, Some(y)) => y.iter().any(|s| compare_with_scalar(op.swapped(), s, a)),
            (None, None) => unreachable!("one operand is a fragment"),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Location paths

    fn path(&self, path: &Path, ctx: Ctx) -> EResult<Value> {
        let nodes = match &path.start {
            Start::Root => vec![XNode::node(NodeId::DOCUMENT)],
            Start::Context => vec![ctx.node],
            Start::Expr(expr, pos) => match self.eval(expr, ctx)? {
                Value::Nodes(nodes) => nodes,
                Value::Fragment(doc, nodes) => {
                    let nodes = self.within(&doc).steps(nodes, &path.steps)?;
                    return Ok(Value::Fragment(doc, nodes));
                }
                _ => return Err(self.error(*pos, "a path can only continue from a node-set")),
            },
        };
        Ok(Value::Nodes(self.steps(nodes, &path.steps)?))
    }

    fn steps(&self, mut nodes: Vec<XNode>, steps: &[Step]) -> EResult<Vec<XNode>> {
        for step in steps {
            if nodes.is_empty() {
                break;
            }
            nodes = self.step(&nodes, step)?;
        }
        Ok(nodes)
    }

    fn step(&self, input: &[XNode], step: &Step) -> EResult<Vec<XNode>> {
        let positional = step.predicates.iter().any(|p| p.positional);
        let mut out = Vec::new();
        let mut candidates = Vec::new();
        // For descendant axes without positional predicates, a context node inside the subtree
        // of an earlier one adds nothing new: skip it instead of walking its subtree again.
        let skips_nested = !positional && matches!(step.axis, Axis::Descendant | Axis::DescendantOrSelf);
        let mut covered_until: Option<NodeId> = None;
        for &context in input {
            if skips_nested && !context.is_owned() {
                if covered_until.is_some_and(|end| context.id() <= end) {
                    continue;
                }
                covered_until = Some(self.doc.subtree_end(context.id()));
            }
            candidates.clear();
            self.axis(context, step.axis, &step.test, &mut candidates);
            for predicate in &step.predicates {
                candidates = self.filter(std::mem::take(&mut candidates), predicate)?;
            }
            if step.axis.is_reverse() {
                candidates.reverse();
            }
            out.extend_from_slice(&candidates);
        }
        normalize(&mut out);
        Ok(out)
    }

    /// Keeps the nodes (in axis order) for which `predicate` holds, with their 1-based
    /// position in `nodes` as the context position.
    #[allow(clippy::float_cmp, reason = "a numeric predicate is `position() = n`, exactly")]
    pub fn filter(&self, nodes: Vec<XNode>, predicate: &Predicate) -> EResult<Vec<XNode>> {
        let size = nodes.len();
        // `[n]` and `[last()]` pick one node without evaluating anything per node.
        match &predicate.expr {
            Expr::Number(n) => {
                let n = *n;
                let hit = n >= 1.0 && n.fract() == 0.0 && n <= size as f64;
                return Ok(if hit { vec![nodes[n as usize - 1]] } else { Vec::new() });
            }
            Expr::Call(super::ast::Function::Last, _, _) => {
                return Ok(nodes.last().copied().into_iter().collect())
            }
            _ => {}
        }
        let mut kept = Vec::with_capacity(nodes.len().min(16));
        for (i, &node) in nodes.iter().enumerate() {
            let ctx = Ctx { node, position: i + 1, size };
            let keep = match self.eval(&predicate.expr, ctx)? {
                Value::Num(n) => n == (i + 1) as f64,
                other => self.to_boolean(&other),
            };
            if keep {
                kept.push(node);
            }
        }
        Ok(kept)
    }

    /// Appends the nodes on `axis` from `context` that pass `test`, in axis order (nearest
    /// first on reverse axes).
    fn axis(&self, context: XNode, axis: Axis, test: &NodeTest, out: &mut Vec<XNode>) {
        let doc = self.doc;
        let id = context.id();
        let is_attr = context.is_owned(); // an attribute or namespace node
        let push = |out: &mut Vec<XNode>, n: NodeId| {
            if self.matches(n, test) {
                out.push(XNode::node(n));
            }
        };
        match axis {
            Axis::SelfNode => {
                if context.ns_index().is_some() {
                    if matches!(test, NodeTest::Node) {
                        out.push(context);
                    }
                } else if is_attr {
                    if self.matches_attr(context, test) {
                        out.push(context);
                    }
                } else {
                    push(out, id);
                }
            }
            Axis::Child if !is_attr => doc.children(id).for_each(|n| push(out, n)),
            Axis::Descendant if !is_attr => self.descendants(id, test, out),
            Axis::DescendantOrSelf => {
                if is_attr {
                    if self.matches_attr(context, test) {
                        out.push(context);
                    }
                } else {
                    push(out, id);
                    self.descendants(id, test, out);
                }
            }
            Axis::Parent => {
                if is_attr {
                    push(out, id);
                } else if let Some(p) = doc.parent(id) {
                    push(out, p);
                }
            }
            Axis::Ancestor | Axis::AncestorOrSelf => {
                if axis == Axis::AncestorOrSelf {
                    if is_attr {
                        if self.matches_attr(context, test) {
                            out.push(context);
                        }
                    } else {
                        push(out, id);
                    }
                }
                let mut cur = if is_attr { Some(id) } else { doc.parent(id) };
                while let Some(n) = cur {
                    push(out, n);
                    cur = doc.parent(n);
                }
            }
            Axis::FollowingSibling if !is_attr => {
                let mut cur = doc.next_sibling(id);
                while let Some(n) = cur {
                    push(out, n);
                    cur = doc.next_sibling(n);
                }
            }
            Axis::PrecedingSibling if !is_attr => {
                let mut cur = doc.prev_sibling(id);
                while let Some(n) = cur {
                    push(out, n);
                    cur = doc.prev_sibling(n);
                }
            }
            Axis::Following => {
                // After the subtree (an attribute's "subtree" is itself: its owner's children
                // follow it).
                let start = if is_attr { id.index() + 1 } else { doc.subtree_end(id).index() + 1 };
                (start..doc.len()).map(NodeId::from_index).for_each(|n| push(out, n));
            }
            Axis::Preceding => {
                // Before the node, nearest first, minus its ancestors.
                let mut next_ancestor = doc.parent(id);
                for n in (0..id.index()).rev().map(NodeId::from_index) {
                    if Some(n) == next_ancestor {
                        next_ancestor = doc.parent(n);
                        continue;
                    }
                    push(out, n);
                }
            }
            Axis::Attribute if !is_attr => {
                if let Some(element) = doc.element(id) {
                    for index in 0..element.attrs.len() as u32 {
                        let attr = XNode::attr(id, index);
                        if self.matches_attr(attr, test) {
                            out.push(attr);
                        }
                    }
                }
            }
            Axis::Namespace if !is_attr => {
                for (index, (prefix, _)) in doc.namespaces_in_scope(id).into_iter().enumerate() {
                    let named = match test {
                        NodeTest::Node | NodeTest::Principal => true,
                        NodeTest::Name(name) => name.prefix.is_none() && *name.local == *prefix,
                        _ => false,
                    };
                    if named {
                        out.push(XNode::namespace(id, u32::try_from(index).expect("few namespaces")));
                    }
                }
            }
            // (HTML has no namespace nodes, as lxml's HTML tree neither); attributes and
            // namespace nodes have no children, siblings or namespaces.
            Axis::Namespace
            | Axis::Child
            | Axis::Descendant
            | Axis::FollowingSibling
            | Axis::PrecedingSibling
            | Axis::Attribute => {}
        }
    }

    /// The descendants of `id` passing `test`, with a fast loop for element names.
    fn descendants(&self, id: NodeId, test: &NodeTest, out: &mut Vec<XNode>) {
        let doc = self.doc;
        if let (NodeTest::Name(name), false) = (test, doc.is_xml()) {
            if name.prefix.is_some() {
                return; // HTML elements have no namespace
            }
            let name = &name.lower;
            for d in doc.descendants(id) {
                if let NodeData::Element(e) = doc.data(d) {
                    if element_name_matches(e, name) {
                        out.push(XNode::node(d));
                    }
                }
            }
            return;
        }
        for d in doc.descendants(id) {
            if self.matches(d, test) {
                out.push(XNode::node(d));
            }
        }
    }

    /// Whether tree node `id` passes `test` on an axis whose principal type is element.
    fn matches(&self, id: NodeId, test: &NodeTest) -> bool {
        match (self.doc.data(id), test) {
            // lxml does not expose the doctype as a node.
            (data, NodeTest::Node) => !matches!(data, NodeData::Doctype { .. } | NodeData::Removed),
            (NodeData::Text(_), NodeTest::Text)
            | (NodeData::Comment(_), NodeTest::Comment)
            | (NodeData::ProcessingInstruction { .. }, NodeTest::Pi(None))
            | (NodeData::Element(_), NodeTest::Principal) => true,
            (NodeData::ProcessingInstruction { target, .. }, NodeTest::Pi(Some(want))) => **target == **want,
            (NodeData::Element(e), NodeTest::Name(name)) => self.name_matches(&e.name, name),
            (NodeData::Element(e), NodeTest::AnyIn(prefix)) => {
                self.doc.is_xml() && *e.name.ns == *self.uri(prefix)
            }
            _ => false,
        }
    }

    /// The namespace bound to `prefix` (the caller has checked there is one).
    fn uri(&self, prefix: &str) -> &str {
        if prefix == "xml" {
            return "http://www.w3.org/XML/1998/namespace";
        }
        self.namespaces.iter().rev().find(|(p, _)| p == prefix).map_or("", |(_, uri)| uri)
    }

    /// Whether an element or attribute name passes a name test (see [`NameTest`]).
    fn name_matches(&self, name: &html5ever::QualName, test: &NameTest) -> bool {
        if !self.doc.is_xml() {
            return test.prefix.is_none()
                && (name.local == test.lower
                    || name.local.as_bytes().eq_ignore_ascii_case(test.lower.as_bytes()));
        }
        name.local == test.local && *name.ns == *test.prefix.as_deref().map_or("", |p| self.uri(p))
    }

    fn matches_attr(&self, attr: XNode, test: &NodeTest) -> bool {
        let Some(index) = attr.attr_index() else { return false };
        match test {
            NodeTest::Node | NodeTest::Principal => true,
            NodeTest::Name(name) => self
                .doc
                .element(attr.id())
                .and_then(|e| e.attrs.get(index as usize))
                .is_some_and(|a| self.name_matches(&a.name, name)),
            NodeTest::AnyIn(prefix) => {
                self.doc.is_xml()
                    && self
                        .doc
                        .element(attr.id())
                        .and_then(|e| e.attrs.get(index as usize))
                        .is_some_and(|a| *a.name.ns == *self.uri(prefix))
            }
            _ => false,
        }
    }
}

/// HTML element names are lowercase atoms; SVG/MathML ones (`foreignObject`) match
/// ASCII-case-insensitively, like lxml's lowercased tree.
fn element_name_matches(e: &crate::html::dom::Element, name: &LocalName) -> bool {
    e.name.local == *name
        || (e.name.ns != ns!(html) && e.name.local.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
}

/// Sorts into document order and removes duplicates (cheap when already in order).
pub(crate) fn normalize(nodes: &mut Vec<XNode>) {
    if nodes.windows(2).all(|w| w[0] < w[1]) {
        return;
    }
    nodes.sort_unstable();
    nodes.dedup();
}

impl CmpOp {
    /// The operator with its operands exchanged: `a < b` is `b > a`.
    fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

#[allow(clippy::float_cmp, reason = "XPath compares IEEE 754 numbers exactly")]
fn compare_numbers(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

/// Compares a node's string-value `s` with a scalar (a boolean compares the node's
/// existence: true).
fn compare_with_scalar(op: CmpOp, s: &str, other: &Value) -> bool {
    match other {
        Value::Bool(b) => compare_numbers(op, 1.0, f64::from(u8::from(*b))),
        Value::Num(n) => compare_numbers(op, str_to_number(s), *n),
        Value::Str(t) => compare_strings(op, s, t),
        Value::Nodes(_) | Value::Fragment(..) => unreachable!("node-set pairs are compared as strings"),
    }
}

fn compare_strings(op: CmpOp, a: &str, b: &str) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        _ => compare_numbers(op, str_to_number(a), str_to_number(b)),
    }
}

/// XPath `number()` of a string: optional whitespace, an optional `-`, digits with at most
/// one `.`; anything else is NaN (no `+`, exponent, `inf`).
pub(crate) fn str_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let digits = t.strip_prefix('-').unwrap_or(t);
    let valid = !digits.is_empty()
        && digits != "."
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1;
    if valid {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// XPath `string()` of a number: `NaN`, `Infinity`, integers without a decimal point, other
/// numbers in plain decimal notation.
pub(crate) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == 0.0 {
        "0".into()
    } else {
        // Rust's `Display` for f64 is the shortest round-trip decimal, never in exponent form.
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{get, getall, getall_from, names};
    use crate::html::{Document, Item};

    const TREE: &str = r#"<html><body>
        <div id="a"><p id="p1">one</p><!--c--><p id="p2" class="x">two<b id="b1">bold</b></p><p id="p3">three</p></div>
        <div id="d"><span id="s1">s</span><DIV id="inner">in<i id="i1">it</i></DIV></div>
        </body></html>"#;

    #[test]
    fn variables_are_bound_by_name() {
        use super::super::{Variable, XPath};
        let doc = Document::parse("<p><input name='a' value='1'/><input name='b' value='2'/></p>", None);
        let run = |expr: &str, vars: &[(String, Variable)]| {
            let mut out = Vec::new();
            XPath::parse(expr).unwrap().evaluate_with(
                &doc,
                &Item::Node(crate::html::NodeId::DOCUMENT),
                vars,
                &[],
                &mut out,
            )?;
            Ok::<_, crate::html::SelectorError>(out.iter().map(|i| doc.get(i)).collect::<Vec<_>>())
        };
        let v = |name: &str, value: Variable| (name.to_string(), value);
        assert_eq!(run("//input[@value=$n]/@name", &[v("n", Variable::Num(1.0))]).unwrap(), ["a"]);
        assert_eq!(run("//input[@name=$l]/@value", &[v("l", Variable::Str("b".into()))]).unwrap(), ["2"]);
        let both = [v("n", Variable::Num(2.0)), v("l", Variable::Str("a".into()))];
        assert_eq!(run("count(//input[@value=$n or @name=$l])", &both).unwrap(), ["2.0"]);
        assert_eq!(
            run("boolean(count(//input)=$c)=$t", &[v("c", Variable::Num(2.0)), v("t", Variable::Bool(true))])
                .unwrap(),
            ["1"]
        );
        // a number-valued variable in a predicate is a position, as in lxml
        assert_eq!(run("//input[$i]/@name", &[v("i", Variable::Num(2.0))]).unwrap(), ["b"]);
        assert_eq!(run("//input[$s]/@name", &[v("s", Variable::Str("x".into()))]).unwrap(), ["a", "b"]);
        let e = run("//input[@name=$missing]", &[]).unwrap_err();
        assert_eq!(e.kind, Some("Undefined variable"));
        assert!(e.message.contains("$missing"), "{e}");
    }

    #[test]
    fn xml_names_are_exact_and_namespaced() {
        use super::super::XPath;
        let doc = Document::parse_xml(
            r#"<BrowseNode xmlns="urn:aws" xmlns:b="urn:b"><b:Operation>hello</b:Operation><TestTag b:att="value"/><Plain/></BrowseNode>"#,
            None,
        );
        let run = |expr: &str, ns: &[(&str, &str)]| {
            let ns: Vec<(String, String)> =
                ns.iter().map(|(p, u)| ((*p).to_string(), (*u).to_string())).collect();
            let mut out = Vec::new();
            XPath::parse(expr).unwrap().evaluate_with(
                &doc,
                &Item::Node(crate::html::NodeId::DOCUMENT),
                &[],
                &ns,
                &mut out,
            )?;
            Ok::<_, crate::html::SelectorError>(out.iter().map(|i| doc.get(i)).collect::<Vec<_>>())
        };
        let aws = [("x", "urn:aws"), ("b", "urn:b")];
        assert_eq!(run("//x:TestTag/@b:att", &aws).unwrap(), ["value"]);
        assert_eq!(run("//b:Operation/text()", &aws).unwrap(), ["hello"]);
        assert_eq!(run("count(//b:*)", &aws).unwrap(), ["1.0"]);
        assert_eq!(run("//TestTag", &aws).unwrap(), Vec::<String>::new(), "no prefix: no namespace");
        assert_eq!(run("//x:testtag", &aws).unwrap(), Vec::<String>::new(), "XML names are case-sensitive");
        assert_eq!(run("count(//*[local-name()='Plain'])", &[]).unwrap(), ["1.0"]);
        let e = run("//b:Operation", &[]).unwrap_err();
        assert_eq!((e.kind, e.position), (Some("Undefined namespace prefix"), 2));
        // HTML: a prefixed name needs a binding too, and never matches (no namespaces)
        let html = Document::parse("<svg><rect/></svg>", None);
        let mut out = Vec::new();
        let ns = [("s".to_string(), "http://www.w3.org/2000/svg".to_string())];
        XPath::parse("//s:rect")
            .unwrap()
            .evaluate_with(&html, &Item::Node(crate::html::NodeId::DOCUMENT), &[], &ns, &mut out)
            .unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn namespace_nodes_are_the_declarations_in_scope() {
        let doc = Document::parse_xml(
            r#"<feed xmlns="urn:atom" xmlns:m="urn:m"><entry xmlns:m="urn:m2" xmlns:x="urn:x"><e xmlns=""/></entry></feed>"#,
            None,
        );
        let run = |expr: &str| {
            let mut out = Vec::new();
            super::super::XPath::parse(expr).unwrap().select(&doc, &mut out).unwrap();
            out.iter().map(|i| doc.get(i)).collect::<Vec<_>>()
        };
        assert_eq!(run("count(/*/namespace::*)"), ["3.0"], "default, m and xml");
        assert_eq!(run("/*/namespace::m"), ["urn:m"]);
        // nearest declaration wins; xmlns="" undeclares the default
        assert_eq!(run("//*[local-name()='entry']/namespace::m"), ["urn:m2"]);
        assert_eq!(run("count(//*[local-name()='e']/namespace::*)"), ["3.0"], "m, x and xml");
        assert_eq!(run("//*[local-name()='e']/namespace::*[name()='x']"), ["urn:x"]);
        assert_eq!(run("count(/*/namespace::*/..)"), ["1.0"], "their parent is the element");
        assert_eq!(run("count(//namespace::*)"), ["10.0"], "3 + 4 + 3, one set per element");
        let bare = doc.without_namespaces();
        let mut out = Vec::new();
        super::super::XPath::parse("count(/*/namespace::*)").unwrap().select(&bare, &mut out).unwrap();
        assert_eq!(out.iter().map(|i| bare.get(i)).collect::<Vec<_>>(), ["1.0"], "only xml is left");
    }

    fn at(doc: &Document, id: &str) -> Item {
        let mut out = Vec::new();
        super::super::XPath::parse(&format!("//*[@id='{id}']")).unwrap().select(doc, &mut out).unwrap();
        out.pop().unwrap()
    }

    #[test]
    fn every_axis() {
        let doc = Document::parse(TREE, None);
        let p2 = at(&doc, "p2");
        let n = |e: &str| names(&doc, &p2, e);
        assert_eq!(n("child::node()"), ["'two'", "#b1"]);
        assert_eq!(n("descendant::node()"), ["'two'", "#b1", "'bold'"]);
        assert_eq!(n("descendant-or-self::*"), ["#p2", "#b1"]);
        assert_eq!(n("parent::*"), ["#a"]);
        assert_eq!(n("ancestor::*"), ["html", "body", "#a"]);
        assert_eq!(n("ancestor-or-self::*"), ["html", "body", "#a", "#p2"]);
        assert_eq!(n("ancestor::node()")[0], "/");
        assert_eq!(n("following-sibling::*"), ["#p3"]);
        assert_eq!(n("preceding-sibling::node()"), ["#p1", "<!--c-->"]);
        assert_eq!(n("following::*"), ["#p3", "#d", "#s1", "#inner", "#i1"]);
        assert_eq!(n("preceding::*"), ["#p1"]);
        assert_eq!(n("self::p"), ["#p2"]);
        assert_eq!(n("self::div"), Vec::<String>::new());
        assert_eq!(n("attribute::*"), ["@p2", "@x"]);
        assert_eq!(n("namespace::*"), Vec::<String>::new());
    }

    #[test]
    fn attribute_context_nodes() {
        let doc = Document::parse(TREE, None);
        let class = &names(&doc, &at(&doc, "p2"), "@class")[0];
        assert_eq!(class, "@x");
        let mut out = Vec::new();
        super::super::XPath::parse("//p[@class]/@class").unwrap().select(&doc, &mut out).unwrap();
        let attr = out.pop().unwrap();
        assert_eq!(names(&doc, &attr, ".."), ["#p2"]);
        assert_eq!(names(&doc, &attr, "ancestor::*[1]"), ["#p2"]);
        assert_eq!(names(&doc, &attr, "following::*[1]"), ["#b1"]);
        assert_eq!(names(&doc, &attr, "self::node()"), ["@x"]);
        assert_eq!(getall_from(&doc, &attr, "string()"), ["x"]);
    }

    #[test]
    fn reverse_axes_number_nearest_first() {
        let doc = Document::parse(TREE, None);
        let p3 = at(&doc, "p3");
        assert_eq!(names(&doc, &p3, "preceding-sibling::p[1]"), ["#p2"]);
        assert_eq!(names(&doc, &p3, "preceding-sibling::*[last()]"), ["#p1"]);
        assert_eq!(names(&doc, &p3, "ancestor::*[1]"), ["#a"]);
        assert_eq!(names(&doc, &p3, "ancestor::*[2]"), ["body"]);
        assert_eq!(names(&doc, &p3, "preceding::*[1]"), ["#b1"]);
        // Results still come back in document order.
        assert_eq!(names(&doc, &p3, "preceding-sibling::p[position() <= 2]"), ["#p1", "#p2"]);
        // (...)[1] is in document order, not axis order.
        assert_eq!(names(&doc, &p3, "(preceding-sibling::p)[1]"), ["#p1"]);
    }

    #[test]
    fn predicates_positional_and_boolean() {
        let doc = Document::parse(TREE, None);
        let d = &Item::Node(crate::html::NodeId::DOCUMENT);
        assert_eq!(names(&doc, d, "//p[2]"), ["#p2"]);
        assert_eq!(names(&doc, d, "//p[last()]"), ["#p3"]);
        assert_eq!(names(&doc, d, "//p[position() = last() - 1]"), ["#p2"]);
        assert_eq!(names(&doc, d, "//p[@class]"), ["#p2"]);
        assert_eq!(names(&doc, d, "//p[b][@id='p2']"), ["#p2"]);
        assert_eq!(names(&doc, d, "//p[not(@class)][2]"), ["#p3"], "predicates apply in turn");
        assert_eq!(names(&doc, d, "//p[2][@class]"), ["#p2"]);
        assert_eq!(names(&doc, d, "//p[1.5]"), Vec::<String>::new());
        assert_eq!(names(&doc, d, "//*[1][self::span]"), ["#s1"]);
        assert_eq!(names(&doc, d, "(//p)[last()]"), ["#p3"]);
        assert_eq!(names(&doc, d, "//div/*[1]"), ["#p1", "#s1", "#i1"]);
        assert_eq!(names(&doc, d, "/descendant::p[1]"), ["#p1"]);
        assert_eq!(names(&doc, d, "//p[.='three']"), ["#p3"]);
        assert_eq!(names(&doc, d, "//p[string-length() > 3]"), ["#p2", "#p3"]);
    }

    #[test]
    fn union_is_in_document_order_without_duplicates() {
        let doc = Document::parse(TREE, None);
        let d = &Item::Node(crate::html::NodeId::DOCUMENT);
        assert_eq!(names(&doc, d, "//span | //p[1] | //p"), ["#p1", "#p2", "#p3", "#s1"]);
        assert_eq!(names(&doc, d, "//b/@id | //b | //p[2]/@class"), ["@x", "#b1", "@b1"]);
    }

    #[test]
    fn node_tests_and_names() {
        let doc =
            Document::parse("<!doctype html><p>a<!--c--><?pi x?>b</p><svg><foreignObject/></svg>", None);
        assert_eq!(getall(&doc, "//p/text()"), ["a", "b"]);
        assert_eq!(
            getall(&doc, "//comment()"),
            ["<!--c-->", "<!--?pi x?-->"],
            "HTML has no PIs: a bogus comment"
        );
        assert_eq!(getall(&doc, "count(/node())"), ["1.0"], "the doctype is not a node, as in lxml");
        assert_eq!(getall(&doc, "count(//processing-instruction())"), ["0.0"]);
        assert_eq!(getall(&doc, "count(//P | //foreignobject | //svg/*)"), ["2.0"]);
        assert_eq!(getall(&doc, "count(//*)"), ["5.0"]);
    }

    #[test]
    fn operators_and_conversions() {
        let doc = Document::parse(TREE, None);
        for (expr, want) in [
            ("1 + 2 * 3", "7.0"),
            ("7 div 2", "3.5"),
            ("7 mod 3", "1.0"),
            ("-7 mod 3", "-1.0"),
            ("--2", "2.0"),
            ("1 div 0", "inf"),
            ("0 div 0", "nan"),
            ("1 = 1 and 2 > 1", "1"),
            ("1 = 2 or 1 != 1", "0"),
            ("'1.0' = 1", "1"),
            ("'abc' = 'abc'", "1"),
            ("true() = 'x'", "1"),
            ("//p = 'two' ", "0"),
            ("//p = 'twobold'", "1"),
            ("//p != 'one'", "1"),
            ("//p > 5", "0"),
            ("//p[1] < //p[2]", "0"),
            ("count(//p) = 3", "1"),
            ("//nope = //nope", "0"),
            ("//p = //b/parent::*", "1"),
            ("'2' < '10'", "1"),
            ("number(' 12.5 ')", "12.5"),
            ("number('1e3')", "nan"),
            ("number('+1')", "nan"),
            ("number('-.5')", "-0.5"),
            ("string(1 div 0)", "Infinity"),
            ("string(-0)", "0"),
            ("string(3.0)", "3"),
            ("string(0.1 + 0.2)", "0.30000000000000004"),
            ("string(1000000000000000000000)", "1000000000000000000000"),
            ("string(true())", "true"),
            ("boolean('')", "0"),
            ("boolean(//p)", "1"),
            ("boolean(0 div 0)", "0"),
        ] {
            assert_eq!(get(&doc, expr), want, "{expr}");
        }
    }

    #[test]
    fn relative_expressions_use_the_context_node() {
        let doc = Document::parse(
            r#"<ul><li><div><a href="/1">one</a></div></li><li><div><a href="/2">two</a></div></li></ul>"#,
            None,
        );
        let mut lis = Vec::new();
        super::super::XPath::parse("//li").unwrap().select(&doc, &mut lis).unwrap();
        let hrefs: Vec<_> = lis.iter().map(|li| getall_from(&doc, li, "./div/a/@href")).collect();
        assert_eq!(hrefs, [["/1"], ["/2"]]);
        assert_eq!(getall_from(&doc, &lis[1], "div/a/text()"), ["two"]);
        assert_eq!(getall_from(&doc, &lis[1], "//a/text()"), ["one", "two"], "// is the document root");
        assert_eq!(getall_from(&doc, &lis[1], ".//a"), [r#"<a href="/2">two</a>"#]);
        assert_eq!(getall_from(&doc, &Item::Bool(true), "."), Vec::<String>::new());
    }

    #[test]
    fn type_errors_name_the_position() {
        let doc = Document::parse(TREE, None);
        for (expr, pos) in [("1 | //p", 2), ("count('x')", 0), ("'x'[1]", 0), ("('a')/b", 0), ("sum(1)", 0)] {
            let xpath = super::super::XPath::parse(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
            let err = xpath.select(&doc, &mut Vec::new()).unwrap_err();
            assert_eq!(err.position, pos, "{expr}: {err}");
        }
    }
}
