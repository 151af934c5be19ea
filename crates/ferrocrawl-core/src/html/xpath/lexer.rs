//! XPath 1.0 tokens (spec section 3.7), with the two context rules applied here: after a token
//! that can end an operand, `*` is multiplication and `and`/`or`/`div`/`mod` are operators.

use crate::html::error::SelectorError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Slash,
    DoubleSlash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Pipe,
    Plus,
    Minus,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `*` as a name test.
    Star,
    /// `*` as multiplication.
    Multiply,
    And,
    Or,
    Div,
    Mod,
    Literal(String),
    Number(f64),
    /// An NCName, `prefix:name` or `prefix:*`.
    Name(String),
    Variable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Byte offset in the expression.
    pub pos: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || !c.is_ascii() && !c.is_whitespace()
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

/// Whether, after `prev`, a `*` or an operator name is an operator.
fn ends_operand(prev: Option<&Tok>) -> bool {
    !matches!(
        prev,
        None | Some(
            Tok::At
                | Tok::ColonColon
                | Tok::LParen
                | Tok::LBracket
                | Tok::Comma
                | Tok::Slash
                | Tok::DoubleSlash
                | Tok::Pipe
                | Tok::Plus
                | Tok::Minus
                | Tok::Eq
                | Tok::Neq
                | Tok::Lt
                | Tok::Le
                | Tok::Gt
                | Tok::Ge
                | Tok::Multiply
                | Tok::And
                | Tok::Or
                | Tok::Div
                | Tok::Mod
        )
    )
}

/// All the tokens of `expr`, or the first lexical error.
#[cfg(test)]
pub(crate) fn tokenize(expr: &str) -> Result<Vec<Token>, SelectorError> {
    match tokenize_partial(expr) {
        (tokens, None) => Ok(tokens),
        (_, Some(e)) => Err(e),
    }
}

/// The tokens of `expr` up to its first lexical error, and that error. The parser reports the
/// error only when it gets there, so that an unclosed predicate reads as one (lxml's
/// `Invalid predicate` for `//a[@title="say "hi""]`).
pub(crate) fn tokenize_partial(expr: &str) -> (Vec<Token>, Option<SelectorError>) {
    let mut out: Vec<Token> = Vec::new();
    let error = lex(expr, &mut out).err();
    (out, error)
}

fn lex(expr: &str, out: &mut Vec<Token>) -> Result<(), SelectorError> {
    let mut chars = expr.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        let next = chars.peek().map(|&(_, c)| c);
        let mut two = |tok| {
            chars.next();
            tok
        };
        let tok = match c {
            ' ' | '\t' | '\n' | '\r' => continue,
            '/' if next == Some('/') => two(Tok::DoubleSlash),
            '/' => Tok::Slash,
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            '@' => Tok::At,
            ',' => Tok::Comma,
            '|' => Tok::Pipe,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '=' => Tok::Eq,
            '!' if next == Some('=') => two(Tok::Neq),
            '<' if next == Some('=') => two(Tok::Le),
            '<' => Tok::Lt,
            '>' if next == Some('=') => two(Tok::Ge),
            '>' => Tok::Gt,
            ':' if next == Some(':') => two(Tok::ColonColon),
            '*' if ends_operand(out.last().map(|t| &t.tok)) => Tok::Multiply,
            '*' => Tok::Star,
            '.' if next == Some('.') => two(Tok::DotDot),
            '.' if !next.is_some_and(|c| c.is_ascii_digit()) => Tok::Dot,
            '"' | '\'' => {
                let rest = &expr[pos + 1..];
                let Some(len) = rest.find(c) else {
                    return Err(SelectorError::new(expr, pos, "unterminated string literal")
                        .with_kind("Unfinished literal"));
                };
                for _ in rest[..=len].chars() {
                    chars.next();
                }
                Tok::Literal(rest[..len].to_string())
            }
            '0'..='9' | '.' => {
                let mut end = pos + c.len_utf8();
                let mut seen_dot = c == '.';
                while let Some(&(i, d)) = chars.peek() {
                    if d.is_ascii_digit() || (d == '.' && !seen_dot) {
                        seen_dot |= d == '.';
                        end = i + 1;
                        chars.next();
                    } else {
                        break;
                    }
                }
                let number =
                    expr[pos..end].parse().map_err(|_| SelectorError::new(expr, pos, "invalid number"))?;
                Tok::Number(number)
            }
            '$' => match chars.peek() {
                Some(&(start, c)) if is_name_start(c) => {
                    chars.next();
                    Tok::Variable(read_name(expr, start, &mut chars))
                }
                _ => return Err(SelectorError::new(expr, pos, "expected a variable name after '$'")),
            },
            c if is_name_start(c) => {
                let name = read_name(expr, pos, &mut chars);
                if ends_operand(out.last().map(|t| &t.tok)) {
                    match name.as_str() {
                        "and" => Tok::And,
                        "or" => Tok::Or,
                        "div" => Tok::Div,
                        "mod" => Tok::Mod,
                        _ => {
                            return Err(SelectorError::new(
                                expr,
                                pos,
                                format!("expected an operator, found {name:?}"),
                            ))
                        }
                    }
                } else {
                    Tok::Name(name)
                }
            }
            _ => return Err(SelectorError::new(expr, pos, format!("unexpected character {c:?}"))),
        };
        out.push(Token { tok, pos });
    }
    Ok(())
}

/// Reads an NCName starting at `start`, whose first char `chars` has already yielded, plus an
/// optional `:name` or `:*` (but not `::`).
fn read_name(expr: &str, start: usize, chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> String {
    let mut end = start + expr[start..].chars().next().map_or(0, char::len_utf8);
    while let Some(&(i, c)) = chars.peek() {
        if is_name_char(c) {
            end = i + c.len_utf8();
            chars.next();
        } else {
            break;
        }
    }
    // A prefix: `p:name` or `p:*`.
    let rest = &expr[end..];
    if rest.starts_with(':') && !rest.starts_with("::") {
        let after = rest[1..].chars().next();
        if after == Some('*') || after.is_some_and(is_name_start) {
            chars.next(); // ':'
            end += 1;
            while let Some(&(i, c)) = chars.peek() {
                if c == '*' && i == end {
                    end += 1;
                    chars.next();
                    break;
                }
                if is_name_char(c) {
                    end = i + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
        }
    }
    expr[start..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn star_and_operator_names_depend_on_the_previous_token() {
        assert_eq!(toks("*"), [Tok::Star]);
        assert_eq!(toks("2*3"), [Tok::Number(2.0), Tok::Multiply, Tok::Number(3.0)]);
        assert_eq!(toks("a/*"), [Tok::Name("a".into()), Tok::Slash, Tok::Star]);
        assert_eq!(toks("div div div"), [Tok::Name("div".into()), Tok::Div, Tok::Name("div".into())]);
        assert_eq!(toks("@*"), [Tok::At, Tok::Star]);
    }

    #[test]
    fn names_numbers_literals() {
        assert_eq!(
            toks("ancestor::x-y.z[.5 = '1']"),
            [
                Tok::Name("ancestor".into()),
                Tok::ColonColon,
                Tok::Name("x-y.z".into()),
                Tok::LBracket,
                Tok::Number(0.5),
                Tok::Eq,
                Tok::Literal("1".into()),
                Tok::RBracket
            ]
        );
        assert_eq!(
            toks("svg:rect | p:*"),
            [Tok::Name("svg:rect".into()), Tok::Pipe, Tok::Name("p:*".into())]
        );
        assert_eq!(toks("$v"), [Tok::Variable("v".into())]);
        assert_eq!(toks("..//."), [Tok::DotDot, Tok::DoubleSlash, Tok::Dot]);
        assert_eq!(toks("1.5"), [Tok::Number(1.5)]);
        assert_eq!(toks("\"é\""), [Tok::Literal("é".into())]);
    }

    #[test]
    fn errors_have_positions() {
        assert_eq!(tokenize("a = 'x").unwrap_err().position, 4);
        assert_eq!(tokenize("a # b").unwrap_err().position, 2);
        assert_eq!(tokenize("a b").unwrap_err().position, 2);
        assert_eq!(tokenize("!").unwrap_err().position, 0);
    }
}
