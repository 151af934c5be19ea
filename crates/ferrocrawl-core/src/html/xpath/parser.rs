//! Recursive-descent parser for XPath 1.0 (spec section 3), lowest precedence first:
//! `or`, `and`, `= !=`, `< <= > >=`, `+ -`, `* div mod`, unary `-`, `|`, paths.
//!
//! Every nesting level (parentheses, predicates, arguments, unary minus, and each link of an
//! operator chain, which builds a left-deep tree) counts towards `MAX_NESTING`, which bounds
//! the depth of the tree and so the recursion of the parser, the evaluator and `Drop`.

use super::ast::{ArithOp, Axis, CmpOp, Expr, Function, NameTest, NodeTest, Path, Predicate, Start, Step};
use super::lexer::{tokenize_partial, Tok, Token};
use crate::html::error::SelectorError;

/// How deeply an expression may nest.
pub const MAX_NESTING: usize = 100;

/// The expression, and the namespace prefixes its name tests use (to check they are bound).
pub(crate) fn parse(expr: &str) -> Result<(Expr, Vec<String>), SelectorError> {
    let (tokens, lex_error) = tokenize_partial(expr);
    let mut parser = Parser { src: expr, tokens, at: 0, nesting: 0, lex_error, prefixes: Vec::new() };
    if parser.tokens.is_empty() && parser.lex_error.is_none() {
        return Err(SelectorError::new(expr, 0, "empty XPath expression"));
    }
    let result = parser.or_expr()?;
    if parser.at < parser.tokens.len() {
        return Err(parser.error("unexpected token"));
    }
    match parser.lex_error {
        Some(e) => Err(e),
        None => Ok((result, parser.prefixes)),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    at: usize,
    nesting: usize,
    /// What stopped the lexer after the last token, reported when the parser gets there.
    lex_error: Option<SelectorError>,
    prefixes: Vec<String>,
}

type PResult<T> = Result<T, SelectorError>;

/// Builds a binary expression from its operands and the operator's position.
type MakeExpr = fn(Box<Expr>, Box<Expr>, usize) -> Expr;

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.tokens.get(self.at + n).map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.tokens.get(self.at).map_or(self.src.len(), |t| t.pos)
    }

    fn error(&self, message: &str) -> SelectorError {
        if let (None, Some(e)) = (self.tokens.get(self.at), &self.lex_error) {
            return e.clone();
        }
        let found = match self.tokens.get(self.at) {
            None => "end of expression".to_string(),
            Some(t) => format!("{:?}", &self.src[t.pos..]).chars().take(24).collect(),
        };
        SelectorError::new(self.src, self.pos(), format!("invalid XPath: {message} (at {found})"))
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> PResult<()> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.error(&format!("expected {what}")))
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(&format!("expression nests more than {MAX_NESTING} levels deep")));
        }
        Ok(())
    }

    /// A left-associative chain `operand (op operand)*`, built as a left-deep tree.
    fn chain(
        &mut self,
        operand: fn(&mut Self) -> PResult<Expr>,
        op: fn(&Tok) -> Option<MakeExpr>,
    ) -> PResult<Expr> {
        let mut left = operand(self)?;
        let entered = self.nesting;
        while let Some(make) = self.peek().and_then(op) {
            let pos = self.pos();
            self.at += 1;
            self.enter()?;
            let right = operand(self)?;
            left = make(Box::new(left), Box::new(right), pos);
        }
        self.nesting = entered;
        Ok(left)
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        self.chain(Self::and_expr, |t| (*t == Tok::Or).then_some(|a, b, _| Expr::Or(a, b)))
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        self.chain(Self::equality, |t| (*t == Tok::And).then_some(|a, b, _| Expr::And(a, b)))
    }

    fn equality(&mut self) -> PResult<Expr> {
        self.chain(Self::relational, |t| match t {
            Tok::Eq => Some(|a, b, _| Expr::Compare(CmpOp::Eq, a, b)),
            Tok::Neq => Some(|a, b, _| Expr::Compare(CmpOp::Ne, a, b)),
            _ => None,
        })
    }

    fn relational(&mut self) -> PResult<Expr> {
        self.chain(Self::additive, |t| match t {
            Tok::Lt => Some(|a, b, _| Expr::Compare(CmpOp::Lt, a, b)),
            Tok::Le => Some(|a, b, _| Expr::Compare(CmpOp::Le, a, b)),
            Tok::Gt => Some(|a, b, _| Expr::Compare(CmpOp::Gt, a, b)),
            Tok::Ge => Some(|a, b, _| Expr::Compare(CmpOp::Ge, a, b)),
            _ => None,
        })
    }

    fn additive(&mut self) -> PResult<Expr> {
        self.chain(Self::multiplicative, |t| match t {
            Tok::Plus => Some(|a, b, _| Expr::Arith(ArithOp::Add, a, b)),
            Tok::Minus => Some(|a, b, _| Expr::Arith(ArithOp::Sub, a, b)),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        self.chain(Self::unary, |t| match t {
            Tok::Multiply => Some(|a, b, _| Expr::Arith(ArithOp::Mul, a, b)),
            Tok::Div => Some(|a, b, _| Expr::Arith(ArithOp::Div, a, b)),
            Tok::Mod => Some(|a, b, _| Expr::Arith(ArithOp::Mod, a, b)),
            _ => None,
        })
    }

    fn unary(&mut self) -> PResult<Expr> {
        if self.eat(&Tok::Minus) {
            self.enter()?;
            let operand = self.unary()?;
            self.nesting -= 1;
            return Ok(Expr::Neg(Box::new(operand)));
        }
        self.union()
    }

    fn union(&mut self) -> PResult<Expr> {
        self.chain(Self::path_expr, |t| (*t == Tok::Pipe).then_some(Expr::Union))
    }

    /// Whether the next tokens start a primary expression (rather than a location path).
    fn at_primary(&self) -> bool {
        match self.peek() {
            Some(Tok::LParen | Tok::Literal(_) | Tok::Number(_) | Tok::Variable(_)) => true,
            Some(Tok::Name(name)) => {
                self.peek_at(1) == Some(&Tok::LParen)
                    && !matches!(name.as_str(), "node" | "text" | "comment" | "processing-instruction")
            }
            _ => false,
        }
    }

    fn path_expr(&mut self) -> PResult<Expr> {
        match self.peek() {
            Some(Tok::Slash) => {
                self.at += 1;
                let mut path = Path { start: Start::Root, steps: Vec::new() };
                if self.at_step() {
                    self.relative_path(&mut path)?;
                }
                Ok(Expr::Path(path))
            }
            Some(Tok::DoubleSlash) => {
                self.at += 1;
                let mut path = Path { start: Start::Root, steps: vec![descendant_or_self()] };
                self.relative_path(&mut path)?;
                Ok(Expr::Path(path))
            }
            _ if self.at_primary() => {
                let pos = self.pos();
                let mut primary = self.primary()?;
                if self.peek() == Some(&Tok::LBracket) {
                    let predicates = self.predicates()?;
                    primary = Expr::Filter(Box::new(primary), predicates, pos);
                }
                let double = match self.peek() {
                    Some(Tok::Slash) => false,
                    Some(Tok::DoubleSlash) => true,
                    _ => return Ok(primary),
                };
                self.at += 1;
                let mut path = Path { start: Start::Expr(Box::new(primary), pos), steps: Vec::new() };
                if double {
                    path.steps.push(descendant_or_self());
                }
                self.relative_path(&mut path)?;
                Ok(Expr::Path(path))
            }
            _ => {
                let mut path = Path { start: Start::Context, steps: Vec::new() };
                self.relative_path(&mut path)?;
                Ok(Expr::Path(path))
            }
        }
    }

    fn at_step(&self) -> bool {
        matches!(self.peek(), Some(Tok::Dot | Tok::DotDot | Tok::At | Tok::Star | Tok::Name(_)))
    }

    /// `step (('/' | '//') step)*`, appended to `path`.
    fn relative_path(&mut self, path: &mut Path) -> PResult<()> {
        loop {
            let step = self.step()?;
            push_step(&mut path.steps, step);
            match self.peek() {
                Some(Tok::Slash) => self.at += 1,
                Some(Tok::DoubleSlash) => {
                    self.at += 1;
                    path.steps.push(descendant_or_self());
                }
                _ => return Ok(()),
            }
        }
    }

    fn step(&mut self) -> PResult<Step> {
        if self.eat(&Tok::Dot) {
            return Ok(Step { axis: Axis::SelfNode, test: NodeTest::Node, predicates: Vec::new() });
        }
        if self.eat(&Tok::DotDot) {
            return Ok(Step { axis: Axis::Parent, test: NodeTest::Node, predicates: Vec::new() });
        }
        let axis = if self.eat(&Tok::At) {
            Axis::Attribute
        } else if let (Some(Tok::Name(name)), Some(Tok::ColonColon)) = (self.peek(), self.peek_at(1)) {
            let Some(axis) = Axis::from_name(name) else {
                return Err(self.error("unknown axis"));
            };
            self.at += 2;
            axis
        } else {
            Axis::Child
        };
        let test = self.node_test()?;
        let predicates = self.predicates()?;
        Ok(Step { axis, test, predicates })
    }

    fn node_test(&mut self) -> PResult<NodeTest> {
        match self.peek().cloned() {
            Some(Tok::Star) => {
                self.at += 1;
                Ok(NodeTest::Principal)
            }
            Some(Tok::Name(name)) if self.peek_at(1) == Some(&Tok::LParen) => {
                let test = match name.as_str() {
                    "node" => NodeTest::Node,
                    "text" => NodeTest::Text,
                    "comment" => NodeTest::Comment,
                    "processing-instruction" => NodeTest::Pi(None),
                    _ => return Err(self.error("expected a node test")),
                };
                self.at += 2;
                let test = match (test, self.peek().cloned()) {
                    (NodeTest::Pi(None), Some(Tok::Literal(target))) => {
                        self.at += 1;
                        NodeTest::Pi(Some(target))
                    }
                    (test, _) => test,
                };
                self.expect(&Tok::RParen, "')'")?;
                Ok(test)
            }
            Some(Tok::Name(name)) => {
                self.at += 1;
                let Some((prefix, local)) = name.split_once(':') else {
                    return Ok(NodeTest::Name(NameTest::new(None, &name)));
                };
                if !self.prefixes.iter().any(|p| p == prefix) {
                    self.prefixes.push(prefix.to_owned());
                }
                Ok(if local == "*" {
                    NodeTest::AnyIn(prefix.into())
                } else {
                    NodeTest::Name(NameTest::new(Some(prefix), local))
                })
            }
            _ => Err(self.error("expected a step (a name, *, a node test, '.', '..' or '@')")),
        }
    }

    fn predicates(&mut self) -> PResult<Vec<Predicate>> {
        let mut predicates = Vec::new();
        while self.eat(&Tok::LBracket) {
            self.enter()?;
            let expr = self.or_expr()?;
            self.nesting -= 1;
            self.expect(&Tok::RBracket, "']'").map_err(|e| e.with_kind("Invalid predicate"))?;
            predicates.push(Predicate { positional: expr.is_positional(), expr });
        }
        Ok(predicates)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        match self.peek().cloned() {
            Some(Tok::Variable(name)) => {
                self.at += 1;
                Ok(Expr::Variable(name, pos))
            }
            Some(Tok::LParen) => {
                self.at += 1;
                self.enter()?;
                let inner = self.or_expr()?;
                self.nesting -= 1;
                self.expect(&Tok::RParen, "')'")?;
                Ok(inner)
            }
            Some(Tok::Literal(s)) => {
                self.at += 1;
                Ok(Expr::Literal(s))
            }
            Some(Tok::Number(n)) => {
                self.at += 1;
                Ok(Expr::Number(n))
            }
            Some(Tok::Name(name)) => {
                let Some((function, min, max)) = Function::from_name(&name) else {
                    return Err(self.error("unknown function").with_kind("Unregistered function"));
                };
                self.at += 2; // name and '('
                self.enter()?;
                let mut args = Vec::new();
                if !self.eat(&Tok::RParen) {
                    loop {
                        args.push(self.or_expr()?);
                        if self.eat(&Tok::RParen) {
                            break;
                        }
                        self.expect(&Tok::Comma, "',' or ')'")?;
                    }
                }
                self.nesting -= 1;
                if args.len() < min || args.len() > max {
                    let expected = match (min, max) {
                        (min, max) if min == max => format!("{min}"),
                        (min, usize::MAX) => format!("at least {min}"),
                        (min, max) => format!("{min} to {max}"),
                    };
                    return Err(SelectorError::new(
                        self.src,
                        pos,
                        format!("invalid XPath: {name}() takes {expected} arguments, got {}", args.len()),
                    )
                    .with_kind("Invalid number of arguments"));
                }
                Ok(Expr::Call(function, args, pos))
            }
            _ => Err(self.error("expected an expression")),
        }
    }
}

fn descendant_or_self() -> Step {
    Step { axis: Axis::DescendantOrSelf, test: NodeTest::Node, predicates: Vec::new() }
}

/// Appends `step`, folding `descendant-or-self::node()/child::x[p]` (what `//x[p]` means) into
/// `descendant::x[p]` when no predicate depends on position: the same nodes, one walk.
fn push_step(steps: &mut Vec<Step>, step: Step) {
    let foldable = step.axis == Axis::Child && step.predicates.iter().all(|p| !p.positional);
    if foldable && steps.last() == Some(&descendant_or_self()) {
        let last = steps.last_mut().expect("checked above");
        *last = Step { axis: Axis::Descendant, ..step };
    } else {
        steps.push(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        parse(s).unwrap_or_else(|e| panic!("{e}")).0
    }

    fn err(s: &str) -> SelectorError {
        parse(s).unwrap_err()
    }

    #[test]
    fn precedence() {
        // 1 + 2 * 3 = 7 parses as 1 + (2 * 3) = 7, under the `or`.
        let e = p("1 + 2 * 3 = 7 or 0");
        let Expr::Or(left, _) = e else { panic!() };
        let Expr::Compare(CmpOp::Eq, sum, _) = *left else { panic!() };
        let Expr::Arith(ArithOp::Add, one, product) = *sum else { panic!() };
        assert_eq!(*one, Expr::Number(1.0));
        assert!(matches!(*product, Expr::Arith(ArithOp::Mul, ..)));
        // and binds tighter than or; relational tighter than equality.
        assert!(matches!(p("1 or 2 and 3"), Expr::Or(_, b) if matches!(*b, Expr::And(..))));
        assert!(
            matches!(p("1 = 2 < 3"), Expr::Compare(CmpOp::Eq, _, b) if matches!(*b, Expr::Compare(CmpOp::Lt, ..)))
        );
        // left associativity
        assert!(
            matches!(p("8 - 2 - 1"), Expr::Arith(ArithOp::Sub, a, _) if matches!(*a, Expr::Arith(ArithOp::Sub, ..)))
        );
        // unary minus binds looser than union
        assert!(matches!(p("-a | b"), Expr::Neg(u) if matches!(*u, Expr::Union(..))));
    }

    #[test]
    fn abbreviations() {
        let Expr::Path(path) = p("//a/@href") else { panic!() };
        assert_eq!(path.start, Start::Root);
        assert_eq!(path.steps.len(), 2);
        assert_eq!(path.steps[0].axis, Axis::Descendant, "//a folds into descendant::a");
        assert_eq!(path.steps[1].axis, Axis::Attribute);
        let Expr::Path(path) = p("//li[1]") else { panic!() };
        assert_eq!(path.steps.len(), 2, "positional predicates keep the child step");
        let Expr::Path(path) = p("../.") else { panic!() };
        assert_eq!((path.steps[0].axis, path.steps[1].axis), (Axis::Parent, Axis::SelfNode));
        let Expr::Path(path) = p("/") else { panic!() };
        assert!(path.steps.is_empty());
        let Expr::Path(path) = p("(//a)[2]/text()") else { panic!() };
        assert!(matches!(path.start, Start::Expr(ref e, 0) if matches!(**e, Expr::Filter(..))));
        assert_eq!(path.steps[0].test, NodeTest::Text);
        assert!(
            matches!(p("DIV"), Expr::Path(Path { ref steps, .. }) if steps[0].test == NodeTest::Name(NameTest::new(None, "DIV")))
        );
        assert!(
            matches!(p("processing-instruction('x')"), Expr::Path(Path { ref steps, .. }) if steps[0].test == NodeTest::Pi(Some("x".into())))
        );
        assert!(matches!(p("div div div"), Expr::Arith(ArithOp::Div, ..)));
        p("ancestor-or-self::*[@id][last()]/following-sibling::node()[position() < 3]");
        p("count(//a) + sum(//td) mod 2");
        p("string(.)");
        p("-(-1)");
    }

    #[test]
    fn positional_predicates_are_detected() {
        let positional = |s: &str| {
            let Expr::Path(path) = p(s) else { panic!() };
            path.steps.last().unwrap().predicates[0].positional
        };
        assert!(positional("a[1]"));
        assert!(positional("a[last()]"));
        assert!(positional("a[position() > 1 and @x]"));
        assert!(positional("a[count(b)]"));
        assert!(!positional("a[@href]"));
        assert!(!positional("a[contains(., 'x')]"));
        assert!(!positional("a[b[1]]"), "position inside a nested step is its own");
    }

    #[test]
    fn errors_with_positions() {
        assert_eq!(err("//a[").position, 4);
        assert_eq!(err("//a[1").position, 5);
        assert_eq!(err("foo(1)").position, 0);
        assert!(err("foo(1)").message.contains("unknown function"));
        assert_eq!(err("//a/bogus::b").position, 4);
        assert_eq!(err("concat('a')").position, 0);
        assert!(err("concat('a')").message.contains("at least 2"));
        assert_eq!(err("count()").position, 0);
        assert_eq!(err("//a)").position, 3);
        assert_eq!(err("$").position, 0);
        assert_eq!(p("$x"), Expr::Variable("x".into(), 0));
        assert_eq!(err("").position, 0);
        assert_eq!(err("//").position, 2);
        assert_eq!(err("a/").position, 2);
        assert_eq!(err("1 +").position, 3);
        assert_eq!(err("@").position, 1);
    }

    /// lxml's name for each kind of error (parsel's messages start with it), and a lexical
    /// error inside an unclosed predicate reads as the predicate's.
    #[test]
    fn error_kinds_are_lxmls() {
        let kind = |s: &str| super::super::XPath::parse(s).unwrap_err().kind;
        assert_eq!(kind("//input[@value=\"I say \"Yeah!\"\"]/@name"), Some("Invalid predicate"));
        assert_eq!(kind("//p[normalize-space()='I'm here']"), Some("Invalid predicate"));
        assert_eq!(kind("//a[1"), Some("Invalid predicate"));
        assert_eq!(kind("//a[@x='y"), Some("Unfinished literal"));
        assert_eq!(kind("//a["), Some("Invalid expression"));
        assert_eq!(kind("//a[@x=]"), Some("Invalid expression"));
        assert_eq!(kind("//a/@x='y"), Some("Unfinished literal"));
        assert_eq!(kind("foo(1)"), Some("Unregistered function"));
        assert_eq!(kind("count()"), Some("Invalid number of arguments"));
        assert_eq!(kind("//a)"), Some("Invalid expression"));
        assert_eq!(kind("a # b"), Some("Invalid expression"));
        let e = super::super::XPath::parse("//a[1").unwrap_err();
        assert_eq!(e.to_string(), "XPath error: Invalid predicate in //a[1: invalid XPath: expected ']' (at end of expression) at position 5");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(err(&deep).message.contains("nests"));
        let long_chain = vec!["1"; 100_000].join("+");
        assert!(err(&long_chain).message.contains("nests"));
        let minus = format!("{}1", "-".repeat(100_000));
        assert!(err(&minus).message.contains("nests"));
        let preds = format!("a{}", "[b".repeat(100_000));
        assert!(err(&preds).message.contains("nests"));
        p(&format!("{}1{}", "(".repeat(50), ")".repeat(50)));
        p(&vec!["1"; 90].join("+"));
    }
}
