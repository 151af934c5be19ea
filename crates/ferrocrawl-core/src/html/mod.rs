//! HTML querying: one html5ever parse per page, then CSS, XPath 1.0 and regex queries on
//! the same tree, all free of Python.

mod attr_cap;
mod batch;
mod cache;
mod css;
mod dom;
mod entities;
mod error;
mod fragment;
#[cfg(test)]
mod hostile_tests;
mod item;
mod links;
mod links_stream;
mod pattern;
mod query;
mod regex;
mod text;
mod xml;
mod xpath;

/// A compiled `.re()` pattern (the `regex` crate's).
pub use batch::{Extracted, Extractor};
pub use cache::Cache;
pub use css::CssQuery;
pub use dom::{
    Attribute, Document, DropError, Element, NodeData, NodeId, Siblings, LIBXML2_MAX_DEPTH, MAX_DEPTH,
};
pub use error::SelectorError;
pub use item::{python_float_str, Item};
pub use links::LinkResolver;
pub use links_stream::extract_links;
pub use pattern::Pattern;
pub use query::{css, xpath, Query, QUERY_CACHE_CAPACITY};
pub use regex::{compiled_regex, re, re_first, replace_entities, REGEX_CACHE_CAPACITY};
pub use xpath::{Variable, XPath, MAX_NESTING as XPATH_MAX_NESTING};
