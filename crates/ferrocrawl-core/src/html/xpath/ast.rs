//! The parsed XPath expression. Its depth is bounded by the parser, so the evaluator and
//! `Drop` may recurse over it.

use html5ever::LocalName;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    /// `a | b`; `pos` is where the `|` is, for type errors.
    Union(Box<Expr>, Box<Expr>, usize),
    Literal(String),
    Number(f64),
    /// `$name`, bound when evaluating; `usize` is its position for errors.
    Variable(String, usize),
    Call(Function, Vec<Expr>, usize),
    /// A primary expression with predicates, e.g. `(//a)[1]`.
    Filter(Box<Expr>, Vec<Predicate>, usize),
    Path(Path),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Path {
    pub start: Start,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Start {
    /// `/...`: the document node.
    Root,
    /// A relative path: the context node.
    Context,
    /// `expr/...`: the node-set `expr` evaluates to; `usize` is its position for errors.
    Expr(Box<Expr>, usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Predicate>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Predicate {
    pub expr: Expr,
    /// Whether the result can depend on the context position or size (`[1]`, `[last()]`,
    /// `[position() > 2]`); other predicates commute with regrouping the candidates.
    pub positional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Axis {
    Ancestor,
    AncestorOrSelf,
    Attribute,
    Child,
    Descendant,
    DescendantOrSelf,
    Following,
    FollowingSibling,
    Namespace,
    Parent,
    Preceding,
    PrecedingSibling,
    SelfNode,
}

impl Axis {
    pub fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "attribute" => Axis::Attribute,
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "following" => Axis::Following,
            "following-sibling" => Axis::FollowingSibling,
            "namespace" => Axis::Namespace,
            "parent" => Axis::Parent,
            "preceding" => Axis::Preceding,
            "preceding-sibling" => Axis::PrecedingSibling,
            "self" => Axis::SelfNode,
            _ => return None,
        })
    }

    /// Reverse axes number their nodes nearest first.
    pub fn is_reverse(self) -> bool {
        matches!(self, Axis::Ancestor | Axis::AncestorOrSelf | Axis::Preceding | Axis::PrecedingSibling)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NodeTest {
    /// `node()`
    Node,
    /// `text()`
    Text,
    /// `comment()`
    Comment,
    /// `processing-instruction()` with an optional target.
    Pi(Option<String>),
    /// `*`: any node of the axis' principal type (element, or attribute on `@`).
    Principal,
    /// A name, optionally prefixed.
    Name(NameTest),
    /// `prefix:*`: any element (or attribute) in the namespace bound to the prefix.
    AnyIn(Box<str>),
}

/// A name test. HTML names match ASCII-case-insensitively (`lower`) and have no namespace;
/// XML names match exactly, in the namespace the prefix is bound to (none without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameTest {
    pub lower: LocalName,
    pub local: LocalName,
    pub prefix: Option<Box<str>>,
}

impl NameTest {
    pub fn new(prefix: Option<&str>, local: &str) -> NameTest {
        NameTest {
            lower: LocalName::from(local.to_ascii_lowercase()),
            local: LocalName::from(local),
            prefix: prefix.map(Into::into),
        }
    }
}

/// The core function library, resolved and arity-checked when parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    Last,
    Position,
    Count,
    Id,
    LocalName,
    NamespaceUri,
    Name,
    String,
    Concat,
    StartsWith,
    Contains,
    SubstringBefore,
    SubstringAfter,
    Substring,
    StringLength,
    NormalizeSpace,
    Translate,
    Boolean,
    Not,
    True,
    False,
    Lang,
    Number,
    Sum,
    Floor,
    Ceiling,
    Round,
    /// parsel's `has-class(name, ...)`: the context element has every one of the classes.
    HasClass,
    /// EXSLT `re:test(string, pattern, flags?)` (parsel binds `re`); flags: `i` ignores case.
    ReTest,
    /// EXSLT `re:match(string, pattern, flags?)`: a `<match>` element for the match and one
    /// per group (flag `g`: one per match), new nodes of a fragment of their own.
    ReMatch,
    /// EXSLT `re:replace(string, pattern, flags, replacement)`; flag `g` replaces every match.
    ReReplace,
    /// EXSLT `set:difference(a, b)`: the nodes of `a` not in `b` (parsel binds `set`).
    SetDifference,
    SetIntersection,
    SetDistinct,
    SetHasSameNode,
}

impl Function {
    /// The function called `name` and its (minimum, maximum) number of arguments.
    pub fn from_name(name: &str) -> Option<(Function, usize, usize)> {
        use Function as F;
        Some(match name {
            "last" => (F::Last, 0, 0),
            "position" => (F::Position, 0, 0),
            "count" => (F::Count, 1, 1),
            "id" => (F::Id, 1, 1),
            "local-name" => (F::LocalName, 0, 1),
            "namespace-uri" => (F::NamespaceUri, 0, 1),
            "name" => (F::Name, 0, 1),
            "string" => (F::String, 0, 1),
            "concat" => (F::Concat, 2, usize::MAX),
            "starts-with" => (F::StartsWith, 2, 2),
            "contains" => (F::Contains, 2, 2),
            "substring-before" => (F::SubstringBefore, 2, 2),
            "substring-after" => (F::SubstringAfter, 2, 2),
            "substring" => (F::Substring, 2, 3),
            "string-length" => (F::StringLength, 0, 1),
            "normalize-space" => (F::NormalizeSpace, 0, 1),
            "translate" => (F::Translate, 3, 3),
            "boolean" => (F::Boolean, 1, 1),
            "not" => (F::Not, 1, 1),
            "true" => (F::True, 0, 0),
            "false" => (F::False, 0, 0),
            "lang" => (F::Lang, 1, 1),
            "number" => (F::Number, 0, 1),
            "sum" => (F::Sum, 1, 1),
            "floor" => (F::Floor, 1, 1),
            "ceiling" => (F::Ceiling, 1, 1),
            "round" => (F::Round, 1, 1),
            "has-class" => (F::HasClass, 1, usize::MAX),
            "re:test" => (F::ReTest, 2, 3),
            "re:match" => (F::ReMatch, 2, 3),
            "re:replace" => (F::ReReplace, 4, 4),
            "set:difference" => (F::SetDifference, 2, 2),
            "set:intersection" => (F::SetIntersection, 2, 2),
            "set:distinct" => (F::SetDistinct, 1, 1),
            "set:has-same-node" => (F::SetHasSameNode, 2, 2),
            _ => return None,
        })
    }

    /// Whether the function returns a number (so a predicate of it is positional).
    pub fn returns_number(self) -> bool {
        use Function as F;
        matches!(
            self,
            F::Last
                | F::Position
                | F::Count
                | F::StringLength
                | F::Number
                | F::Sum
                | F::Floor
                | F::Ceiling
                | F::Round
        )
    }
}

impl Expr {
    /// Whether the value of this expression, used as a predicate, can depend on the context
    /// position or size: it may be a number, or it calls `position()`/`last()` for the
    /// predicate's own context (calls inside nested steps' predicates have their own).
    pub fn is_positional(&self) -> bool {
        self.may_be_number() || self.uses_position()
    }

    fn may_be_number(&self) -> bool {
        match self {
            Expr::Or(..)
            | Expr::And(..)
            | Expr::Compare(..)
            | Expr::Literal(_)
            | Expr::Path(_)
            | Expr::Union(..) => false,
            // A filtered expression or a variable may be anything: assume the worst.
            Expr::Arith(..) | Expr::Neg(_) | Expr::Number(_) | Expr::Filter(..) | Expr::Variable(..) => true,
            Expr::Call(f, _, _) => f.returns_number(),
        }
    }

    fn uses_position(&self) -> bool {
        match self {
            Expr::Or(a, b)
            | Expr::And(a, b)
            | Expr::Compare(_, a, b)
            | Expr::Arith(_, a, b)
            | Expr::Union(a, b, _) => a.uses_position() || b.uses_position(),
            Expr::Neg(a) => a.uses_position(),
            Expr::Literal(_) | Expr::Number(_) | Expr::Variable(..) => false,
            Expr::Call(Function::Last | Function::Position, _, _) => true,
            Expr::Call(_, args, _) => args.iter().any(Expr::uses_position),
            Expr::Filter(e, _, _) => e.uses_position(),
            Expr::Path(p) => matches!(&p.start, Start::Expr(e, _) if e.uses_position()),
        }
    }
}
