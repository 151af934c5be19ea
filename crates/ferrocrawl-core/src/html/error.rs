//! The one error of the query layer: a CSS, XPath or regex expression that does not compile.

use std::fmt;

/// An invalid selector (CSS, XPath or regex). The binding raises it as
/// `ferrocrawl.SelectorError`, a `ValueError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    /// The expression as given.
    pub expr: String,
    /// Byte offset into `expr` where the problem was found.
    pub position: usize,
    pub message: String,
}

impl SelectorError {
    pub(crate) fn new(expr: &str, position: usize, message: impl Into<String>) -> SelectorError {
        SelectorError { expr: expr.to_string(), position: position.min(expr.len()), message: message.into() }
    }
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The position a person counts: characters, not UTF-8 bytes.
        let chars = self.expr.get(..self.position).map_or(self.position, |p| p.chars().count());
        write!(f, "{} at position {} in `{}`", self.message, chars, self.expr)
    }
}

impl std::error::Error for SelectorError {}
