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
    /// For XPath, the name lxml (libxml2) gives this kind of error, such as
    /// `Invalid expression` or `Invalid predicate`; parsel's messages start with it.
    pub kind: Option<&'static str>,
}

impl SelectorError {
    pub(crate) fn new(expr: &str, position: usize, message: impl Into<String>) -> SelectorError {
        SelectorError {
            expr: expr.to_string(),
            position: position.min(expr.len()),
            message: message.into(),
            kind: None,
        }
    }

    /// The same error with lxml's name for it (see [`SelectorError::kind`]).
    #[must_use]
    pub(crate) fn with_kind(mut self, kind: &'static str) -> SelectorError {
        self.kind = Some(kind);
        self
    }
}

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The position a person counts: characters, not UTF-8 bytes.
        let chars = self.expr.get(..self.position).map_or(self.position, |p| p.chars().count());
        match self.kind {
            // parsel's words ("XPath error: Invalid predicate in //a[") and then ours
            Some(kind) => {
                write!(f, "XPath error: {kind} in {}: {} at position {chars}", self.expr, self.message)
            }
            None => write!(f, "{} at position {chars} in `{}`", self.message, self.expr),
        }
    }
}

impl std::error::Error for SelectorError {}
