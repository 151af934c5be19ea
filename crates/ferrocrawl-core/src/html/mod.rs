//! HTML querying: one html5ever parse per page, then CSS, XPath 1.0 and regex queries on
//! the same tree, all free of Python.

mod css;
mod dom;
mod error;
mod item;
mod xpath;

pub use css::CssQuery;
pub use dom::{Attribute, Document, Element, NodeData, NodeId, Siblings, MAX_DEPTH};
pub use error::SelectorError;
pub use item::{python_float_str, Item};
pub use xpath::{XPath, MAX_NESTING as XPATH_MAX_NESTING};
