//! One entry point for "a selector string": CSS or XPath, compiled once through the caches.
//!
//! Which language a string is: a prefix `css:` or `xpath:` says so explicitly; otherwise a
//! string is XPath when it starts (after whitespace) with something no CSS selector starts
//! with: `/`, `./`, `..`, `(`, `@`, a quote, or a name directly followed by `(` (a function
//! call such as `count(//a)` or `text()`, or one of parsel's EXSLT functions such as
//! `re:match(`, which CSS would read as a pseudo-class no browser has). Everything else is CSS: `.price` and `div > a` are
//! CSS, `./price`, `//div` and `normalize-space(//h1)` XPath. Write `xpath:` for XPath that
//! starts otherwise (`xpath:td[2]`).

use std::sync::{Arc, LazyLock};

use super::cache::Cache;
use super::css::CssQuery;
use super::dom::Document;
use super::error::SelectorError;
use super::item::Item;
use super::xpath::XPath;

/// How many compiled queries of each language the caches keep.
pub const QUERY_CACHE_CAPACITY: usize = 1024;

static CSS: LazyLock<Cache<CssQuery>> = LazyLock::new(|| Cache::new(QUERY_CACHE_CAPACITY));
static XPATH: LazyLock<Cache<XPath>> = LazyLock::new(|| Cache::new(QUERY_CACHE_CAPACITY));

/// The compiled CSS query for `expr`, from the cache.
pub fn css(expr: &str) -> Result<Arc<CssQuery>, SelectorError> {
    CSS.get_or_try_insert(expr, CssQuery::parse)
}

/// The compiled XPath expression for `expr`, from the cache.
pub fn xpath(expr: &str) -> Result<Arc<XPath>, SelectorError> {
    XPATH.get_or_try_insert(expr, XPath::parse)
}

/// Whether `t` starts with a call of one of the EXSLT functions parsel binds.
fn is_exslt_call(t: &str) -> bool {
    const EXSLT: [&str; 7] = [
        "re:test(",
        "re:match(",
        "re:replace(",
        "set:difference(",
        "set:intersection(",
        "set:distinct(",
        "set:has-same-node(",
    ];
    EXSLT.iter().any(|f| t.starts_with(f))
}

#[derive(Debug, Clone)]
pub enum Query {
    Css(Arc<CssQuery>),
    XPath(Arc<XPath>),
}

impl Query {
    /// Compiles `expr` (cached), choosing CSS or XPath as the module docs say.
    pub fn compile(expr: &str) -> Result<Query, SelectorError> {
        if let Some(rest) = expr.strip_prefix("xpath:") {
            return xpath(rest).map(Query::XPath);
        }
        if let Some(rest) = expr.strip_prefix("css:") {
            return css(rest).map(Query::Css);
        }
        let t = expr.trim_start();
        let name_end = t.find(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).unwrap_or(t.len());
        let is_call = name_end > 0 && t[name_end..].starts_with('(') || is_exslt_call(t);
        let xpath_start = ["/", "./", "..", "(", "@", "'", "\""].iter().any(|p| t.starts_with(p));
        if xpath_start || is_call {
            xpath(expr).map(Query::XPath)
        } else {
            css(expr).map(Query::Css)
        }
    }

    /// Appends the results of the query relative to `context`. CSS needs a node context;
    /// XPath also takes an attribute. A scalar context yields nothing.
    pub fn select(&self, doc: &Document, context: &Item, out: &mut Vec<Item>) -> Result<(), SelectorError> {
        match self {
            Query::Css(q) => {
                if let Item::Node(id) = context {
                    q.select(doc, *id, out);
                }
                Ok(())
            }
            Query::XPath(q) => q.evaluate(doc, context, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_detection() {
        for (expr, is_xpath) in [
            ("//a", true),
            ("./div", true),
            ("../p", true),
            ("(//a)[1]", true),
            ("  /html", true),
            ("xpath:td[2]", true),
            ("re:match(//a/@href, 'x')", true),
            ("set:difference(//a, //b)", true),
            ("set:not(.x)", false),
            ("count(//a)", true),
            ("normalize-space(//h1)", true),
            ("@href", true),
            ("text()", true),
            ("a::attr(href)", false),
            (".price::text", false),
            ("css:a", false),
            ("title", false),
        ] {
            assert_eq!(matches!(Query::compile(expr).unwrap(), Query::XPath(_)), is_xpath, "{expr}");
        }
        assert!(Arc::ptr_eq(&css("a.cached").unwrap(), &css("a.cached").unwrap()));
        assert!(Query::compile("//a[").is_err());
    }
}
