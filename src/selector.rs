//! `Selector`: parsel's API over one parsed document. A selector is the shared document
//! plus one result item (node, attribute or value); parsing and large queries run with the
//! GIL released. `SelectorList` is a Python `list` subclass (python/ferrocrawl/_selector.py).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};

use ferrocrawl_core::charset;
use ferrocrawl_core::html::{self, Document, Extracted, Extractor, Item, NodeId, SelectorError};
use url::Url;

use crate::awaitable::Pending;
use crate::bridge::Deliver;
use crate::errors;

/// Documents with more nodes than this are queried with the GIL released; for small ones
/// releasing and re-taking it costs more than the query.
const DETACH_QUERY_NODES: usize = 2_000;

/// An HTML or XML document (or a node of one, or a JSON value) queried with CSS, XPath 1.0,
/// regex and JMESPath: parsel's API.
#[pyclass(frozen, weakref, module = "ferrocrawl._ferrocrawl")]
pub struct Selector {
    /// The document, shared by every selector made from it: `drop()` and
    /// `remove_namespaces()` replace it for all of them (node ids stay valid).
    shared: Shared,
    item: Item,
    /// The query that found this item (parsel's `_expr`, shown by `repr`); `None` for a
    /// document.
    query: Option<Arc<str>>,
    kind: Kind,
    /// `type="json"`: the value; `type="text"`: the text (a `str`). `None` for a tree.
    root: Option<Py<PyAny>>,
    /// Namespaces given to the constructor or `register_namespace()`, inherited by results.
    namespaces: RwLock<Namespaces>,
}

type Shared = Arc<RwLock<Arc<Document>>>;

fn shared(doc: Arc<Document>) -> Shared {
    Arc::new(RwLock::new(doc))
}

/// `(prefix, uri)` pairs, later ones first; `None` when there are none.
type Namespaces = Option<Arc<Vec<(String, String)>>>;

/// parsel's selector types. `Text` is a string queried as HTML when asked (what
/// `.jmespath()` gives for a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Text,
    Json,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Html => "html",
            Kind::Text => "text",
            Kind::Json => "json",
        }
    }
}

/// The document of an XML selector whose root is a value.
static EMPTY_XML: std::sync::LazyLock<Arc<Document>> =
    std::sync::LazyLock::new(|| Arc::new(Document::parse_xml("", None)));

/// The document of a selector that has none (`type="json"`, `type="text"`).
static EMPTY: std::sync::LazyLock<Arc<Document>> =
    std::sync::LazyLock::new(|| Arc::new(Document::parse("", None)));

pub fn selector_error(py: Python<'_>, e: &SelectorError) -> PyErr {
    errors::new_error(py, &errors::classes(py).selector, e.to_string(), None, None)
}

fn parse_base(base_url: Option<&str>) -> PyResult<Option<Url>> {
    base_url
        .filter(|b| !b.is_empty())
        .map(|b| Url::parse(b).map_err(|e| PyValueError::new_err(format!("invalid base_url {b:?}: {e}"))))
        .transpose()
}

impl Selector {
    fn tree(doc: Arc<Document>, item: Item, query: Option<Arc<str>>) -> Selector {
        Selector {
            shared: shared(doc),
            item,
            query,
            kind: Kind::Html,
            root: None,
            namespaces: RwLock::new(None),
        }
    }

    /// The document as it is now.
    fn doc(&self) -> Arc<Document> {
        self.shared.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    fn namespaces(&self) -> Namespaces {
        self.namespaces.read().map_or(None, |ns| ns.clone())
    }

    /// A result of a query on this selector: it knows the same namespaces.
    fn child(
        &self,
        shared: Shared,
        item: Item,
        query: Option<Arc<str>>,
        namespaces: &Namespaces,
    ) -> Selector {
        Selector {
            shared,
            item,
            query,
            kind: Kind::Html,
            root: None,
            namespaces: RwLock::new(namespaces.clone()),
        }
    }

    /// A `type="json"` or `type="text"` selector of `root`.
    fn value_of(kind: Kind, root: Py<PyAny>, query: Option<&str>) -> Selector {
        Selector {
            shared: shared(EMPTY.clone()),
            item: Item::Node(NodeId::DOCUMENT),
            query: query.map(Into::into),
            kind,
            root: Some(root),
            namespaces: RwLock::new(None),
        }
    }

    #[allow(clippy::too_many_arguments, clippy::used_underscore_binding, reason = "parsel's signature")]
    fn construct(
        py: Python<'_>,
        text: Option<&Bound<'_, PyAny>>,
        r#type: Option<&str>,
        body: Option<&Bound<'_, PyAny>>,
        encoding: Option<&str>,
        root: Option<Py<PyAny>>,
        base_url: Option<&str>,
        _expr: Option<&str>,
    ) -> PyResult<Self> {
        match r#type {
            None | Some("html" | "xml" | "text" | "json") => {}
            Some(other) => return Err(PyValueError::new_err(format!("Invalid type: {other}"))),
        }
        let base = parse_base(base_url)?;
        if let Some(text) = text.filter(|t| !t.is_none()) {
            if root.is_some() {
                let warning = py.get_type::<pyo3::exceptions::PyUserWarning>();
                PyErr::warn(py, &warning, c"Selector got both text and root, root is being ignored.", 1)?;
            }
            let Ok(text) = text.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "text argument should be of type str, got {}",
                    text.get_type().repr()?
                )));
            };
            return Selector::from_text(py, text, r#type, base, _expr);
        }
        if let Some(body) = body.filter(|b| b.is_truthy().unwrap_or(true)) {
            let Ok(body) = body.extract::<PyBackedBytes>() else {
                return Err(PyTypeError::new_err(format!(
                    "body argument should be of type bytes or bytearray, got {}",
                    body.get_type().repr()?
                )));
            };
            let text = match encoding {
                Some(label) => {
                    charset::decode_with(&body, label, charset::ErrorMode::Replace)
                        .map_err(|e| errors::to_py(py, e))?
                        .text
                }
                None => py.detach(|| charset::decode(&body, Some("text/html")).text),
            };
            return Selector::from_text(py, &PyString::new(py, &text), r#type, base, _expr);
        }
        let Some(root) = root else {
            return Err(PyValueError::new_err("Selector needs text, body, or root arguments"));
        };
        Ok(match r#type {
            Some("text") => Selector::value_of(Kind::Text, root, _expr),
            // parsel keeps a non-tree root of type html as it is: a string that queries find nothing in
            Some(kind @ ("html" | "xml")) => Selector::tree(
                if kind == "xml" { EMPTY_XML.clone() } else { EMPTY.clone() },
                Item::String(root.bind(py).str()?.to_string()),
                _expr.map(Into::into),
            ),
            _ => Selector::value_of(Kind::Json, root, _expr),
        })
    }

    /// parsel's reading of `text`: JSON when asked, or (no type given) when it is an object
    /// or array; else a tree (`type="text"` keeps the string).
    fn from_text(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        kind: Option<&str>,
        base: Option<Url>,
        query: Option<&str>,
    ) -> PyResult<Selector> {
        match kind {
            Some("text") => {
                return Ok(Selector::value_of(Kind::Text, text.clone().into_any().unbind(), query))
            }
            Some("json") => {
                let value = json_loads(text).unwrap_or_else(|| py.None());
                return Ok(Selector::value_of(Kind::Json, value, query));
            }
            None if text.to_str()?.trim_start().starts_with(['{', '[']) => {
                if let Some(value) = json_loads(text).filter(|v| {
                    v.bind(py).is_instance_of::<PyDict>() || v.bind(py).is_instance_of::<PyList>()
                }) {
                    return Ok(Selector::value_of(Kind::Json, value, query));
                }
            }
            _ => {}
        }
        let text = text.to_str()?;
        let xml = kind == Some("xml") || (kind.is_none() && has_xml_declaration(text));
        let doc = if xml {
            py.detach(|| Document::parse_xml(text, base))
        } else {
            py.detach(|| Document::parse(text, base))
        };
        Ok(Selector::tree(Arc::new(doc), Item::Node(NodeId::DOCUMENT), query.map(Into::into)))
    }

    /// Parses `text` without the GIL.
    pub fn parse(py: Python<'_>, text: &str, base_url: Option<Url>) -> Selector {
        let doc = py.detach(|| Document::parse(text, base_url));
        Selector::tree(Arc::new(doc), Item::Node(NodeId::DOCUMENT), None)
    }

    /// Decodes (browser rules) and parses a body without the GIL.
    pub fn parse_body(
        py: Python<'_>,
        body: &[u8],
        content_type: Option<&str>,
        base_url: Option<Url>,
    ) -> Selector {
        let doc = py.detach(|| Document::parse(&charset::decode(body, content_type).text, base_url));
        Selector::tree(Arc::new(doc), Item::Node(NodeId::DOCUMENT), None)
    }

    /// parsel's results for text and attributes are strings: querying them finds nothing.
    fn is_string_like(&self) -> bool {
        match &self.item {
            Item::Node(id) => matches!(self.doc().data(*id), html::NodeData::Text(_)),
            _ => true,
        }
    }

    fn select(
        &self,
        py: Python<'_>,
        source: &str,
        query: &html::Query,
        vars: &[(String, html::Variable)],
        adhoc: &[(String, String)],
    ) -> PyResult<Py<PyAny>> {
        let namespaces = self.namespaces();
        let mut items = Vec::new();
        let (cell, doc, item) = match self.kind {
            Kind::Json => {
                let language = if matches!(query, html::Query::Css(_)) { "css" } else { "xpath" };
                return Err(PyValueError::new_err(format!(
                    "Cannot use {language} on a Selector of type 'json'"
                )));
            }
            // parsel parses the text as HTML for each query
            Kind::Text => {
                let text = self
                    .root
                    .as_ref()
                    .map_or(Ok(String::new()), |r| r.bind(py).str().map(|s| s.to_string()))?;
                let doc = Arc::new(py.detach(|| Document::parse(&text, None)));
                (shared(doc.clone()), doc, Item::Node(NodeId::DOCUMENT))
            }
            Kind::Html if self.is_string_like() => {
                // as in parsel, `.` on a string gives it back and anything else finds nothing
                let this = if source.trim() == "." && matches!(query, html::Query::XPath(_)) {
                    vec![Py::new(
                        py,
                        self.child(self.shared.clone(), self.item.clone(), Some(source.into()), &namespaces),
                    )?]
                } else {
                    Vec::new()
                };
                return selector_list(py, PyList::new(py, this)?);
            }
            Kind::Html => (self.shared.clone(), self.doc(), self.item.clone()),
        };
        let run = |items: &mut Vec<Item>| match query {
            html::Query::XPath(xpath) => {
                // ad hoc ones come last: they win over registered ones
                let registered = namespaces.as_deref().map_or(&[][..], Vec::as_slice);
                if adhoc.is_empty() {
                    xpath.evaluate_with(&doc, &item, vars, registered, items)
                } else {
                    let all: Vec<_> = registered.iter().chain(adhoc).cloned().collect();
                    xpath.evaluate_with(&doc, &item, vars, &all, items)
                }
            }
            html::Query::Css(_) => query.select(&doc, &item, items).map(|()| None),
        };
        let result =
            if doc.len() > DETACH_QUERY_NODES { py.detach(|| run(&mut items)) } else { run(&mut items) };
        // re:match() results are nodes of a new document: the selectors share that one
        let cell = match result.map_err(|e| selector_error(py, &e))? {
            Some(fragment) => shared(fragment),
            None => cell,
        };
        let source: Arc<str> = source.into();
        let selectors = items
            .into_iter()
            .map(|item| Py::new(py, self.child(cell.clone(), item, Some(source.clone()), &namespaces)))
            .collect::<PyResult<Vec<_>>>()?;
        selector_list(py, PyList::new(py, selectors)?)
    }

    fn value(&self) -> String {
        self.doc().get(&self.item)
    }

    /// What `.re()` runs on: `str(get())`.
    fn string(&self, py: Python<'_>) -> PyResult<String> {
        match &self.root {
            Some(root) => Ok(root.bind(py).str()?.to_string()),
            None => Ok(self.value()),
        }
    }
}

/// parsel's test for XML: the text starts with an XML declaration (`[\s\ufeff]*<?xml\s`).
fn has_xml_declaration(text: &str) -> bool {
    text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .strip_prefix("<?xml")
        .is_some_and(|rest| rest.starts_with(char::is_whitespace))
}

/// `json.loads(text)`, or `None` when it is not JSON.
fn json_loads(text: &Bound<'_, PyString>) -> Option<Py<PyAny>> {
    static LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let loads = LOADS.import(text.py(), "json", "loads").ok()?;
    loads.call1((text,)).ok().map(Bound::unbind)
}

/// Wraps a list in `ferrocrawl.SelectorList`.
fn selector_list(py: Python<'_>, list: Bound<'_, PyList>) -> PyResult<Py<PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let cls = CLASS.import(py, "ferrocrawl._selector", "SelectorList")?;
    Ok(cls.call1((list,))?.unbind())
}

/// `xpath()`'s keyword arguments as XPath values: `bool`, `int`/`float` or `str`.
fn xpath_variables(kwargs: &Bound<'_, PyDict>) -> PyResult<Vec<(String, html::Variable)>> {
    kwargs
        .iter()
        .map(|(name, value)| {
            let name: String = name.extract()?;
            let value = if let Ok(b) = value.cast::<PyBool>() {
                html::Variable::Bool(b.is_true())
            } else if let Ok(s) = value.cast::<PyString>() {
                html::Variable::Str(s.to_str()?.to_owned())
            } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
                html::Variable::Num(value.extract()?)
            } else {
                return Err(PyTypeError::new_err(format!(
                    "XPath variable ${name} must be a str, int, float or bool, not {}",
                    value.get_type().name()?
                )));
            };
            Ok((name, value))
        })
        .collect()
}

/// The compiled pattern for a `.re()` argument, or `None` when Python's `re` runs it: a
/// pattern that needs backtracking (look-around, back-references: Python's own engine gives
/// parsel's results exactly, with no step limit), one neither engine takes (Python raises
/// its own error), or an `re.Pattern` with flags.
fn rust_regex(regex: &Bound<'_, PyAny>) -> PyResult<Option<Arc<html::Pattern>>> {
    /// `re.UNICODE`, which every `str` pattern has.
    const UNICODE: u32 = 32;
    let py = regex.py();
    let pattern = if let Ok(s) = regex.cast::<PyString>() {
        s.to_cow()?
    } else {
        let flags: u32 = regex.getattr(intern!(py, "flags"))?.extract()?;
        let pattern = regex.getattr(intern!(py, "pattern"))?;
        match pattern.cast::<PyString>() {
            Ok(s) if flags == UNICODE => s.to_cow()?.into_owned().into(),
            _ => return Ok(None),
        }
    };
    Ok(html::compiled_regex(&pattern).ok().filter(|p| !p.backtracks()))
}

/// parsel's `.re()` with Python's `re` (see `_python_re` in `_selector.py`).
fn python_re(regex: &Bound<'_, PyAny>, text: &str, replace_entities: bool) -> PyResult<Vec<String>> {
    static PYTHON_RE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let f = PYTHON_RE.import(regex.py(), "ferrocrawl._selector", "_python_re")?;
    let found: Vec<String> = f.call1((regex, text))?.extract()?;
    Ok(if replace_entities { found.iter().map(|s| html::replace_entities(s)).collect() } else { found })
}

#[pymethods]
impl Selector {
    /// parsel's constructor: `text` (a `str`) or `body` (bytes, decoded with `encoding` or
    /// sniffed as a browser does), or `root` (a JSON value); `type` is `"html"`, `"text"`,
    /// `"json"`, `"xml"` or `None` (XML after an `<?xml` declaration, JSON when the text is an
    /// object or array, else HTML); `namespaces` binds prefixes for `xpath()`; `huge_tree=False`
    /// cuts the document at libxml2's depth limit (256) with a warning, as parsel does.
    #[new]
    #[pyo3(signature = (text=None, r#type=None, *, body=None, encoding=None, namespaces=None, root=None, base_url=None, huge_tree=true, _expr=None))]
    #[allow(clippy::too_many_arguments, clippy::used_underscore_binding, reason = "parsel's signature")]
    fn new(
        py: Python<'_>,
        text: Option<&Bound<'_, PyAny>>,
        r#type: Option<&str>,
        body: Option<&Bound<'_, PyAny>>,
        encoding: Option<&str>,
        namespaces: Option<&Bound<'_, PyAny>>,
        root: Option<Py<PyAny>>,
        base_url: Option<&str>,
        huge_tree: bool,
        _expr: Option<&str>,
    ) -> PyResult<Self> {
        let namespaces = namespaces.map(crate::convert::pairs).transpose()?.filter(|ns| !ns.is_empty());
        let sel = Selector::construct(py, text, r#type, body, encoding, root, base_url, _expr)?;
        *sel.namespaces.write().expect("not shared yet") = namespaces.map(Arc::new);
        if !huge_tree && sel.kind == Kind::Html {
            let doc = sel.doc();
            if let Some(cut) = py.detach(|| doc.cut_at_depth()) {
                *sel.shared.write().expect("not shared yet") = Arc::new(cut);
                let message = format!(
                    "the document nests deeper than {} elements and was cut there, as lxml does \
                     with huge_tree=False; pass huge_tree=True (the default) to keep all of it",
                    html::LIBXML2_MAX_DEPTH
                );
                PyErr::warn(
                    py,
                    &py.get_type::<pyo3::exceptions::PyUserWarning>(),
                    &std::ffi::CString::new(message)?,
                    1,
                )?;
            }
        }
        Ok(sel)
    }

    /// `"html"`, `"xml"`, `"text"` or `"json"`, as in parsel.
    #[getter]
    fn r#type(&self) -> &'static str {
        match self.kind {
            Kind::Html if self.doc().is_xml() => "xml",
            kind => kind.name(),
        }
    }

    /// The namespace prefixes `xpath()` knows (besides those passed to it).
    #[getter(namespaces)]
    fn namespaces_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (prefix, uri) in self.namespaces().iter().flat_map(|ns| ns.iter()) {
            dict.set_item(prefix, uri)?;
        }
        Ok(dict)
    }

    /// Makes `prefix` usable in this selector's XPath queries (and its results').
    fn register_namespace(&self, prefix: &str, uri: &str) {
        let mut ns = self.namespaces.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut list = ns.as_deref().cloned().unwrap_or_default();
        list.retain(|(p, _)| p != prefix);
        list.push((prefix.to_owned(), uri.to_owned()));
        *ns = Some(Arc::new(list));
    }

    /// Nodes matching a CSS selector (with parsel's `::text` and `::attr(name)`).
    fn css(&self, py: Python<'_>, query: &str) -> PyResult<Py<PyAny>> {
        let q = html::css(query).map_err(|e| selector_error(py, &e))?;
        self.select(py, query, &html::Query::Css(q), &[], &[])
    }

    /// Results of an XPath 1.0 expression, relative to this selector. Keyword arguments are
    /// the values of its variables (`$name`): strings, numbers or booleans.
    #[pyo3(signature = (query, namespaces=None, **variables))]
    fn xpath(
        &self,
        py: Python<'_>,
        query: &str,
        namespaces: Option<&Bound<'_, PyAny>>,
        variables: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let vars = variables.map(xpath_variables).transpose()?.unwrap_or_default();
        let adhoc = namespaces.map(crate::convert::pairs).transpose()?.unwrap_or_default();
        let q = html::xpath(query).map_err(|e| selector_error(py, &e))?;
        self.select(py, query, &html::Query::XPath(q), &vars, &adhoc)
    }

    /// Outer HTML of an element, text of a text node, value of an attribute.
    /// parsel's `get()`: a JSON selector's value, else a string.
    #[pyo3(signature = (default=None))]
    fn get(&self, py: Python<'_>, default: Option<Py<PyAny>>) -> Py<PyAny> {
        let _ = default; // a selector always has a value; the argument mirrors SelectorList.get
        match &self.root {
            Some(root) => root.clone_ref(py),
            None => PyString::new(py, &self.value()).into_any().unbind(),
        }
    }

    fn getall(&self, py: Python<'_>) -> Vec<Py<PyAny>> {
        vec![self.get(py, None)]
    }

    fn extract(&self, py: Python<'_>) -> Py<PyAny> {
        self.get(py, None)
    }

    /// parsel's `root`: the JSON value, the text, or a result's string, number or boolean.
    /// ferrocrawl has no lxml tree: for an element or a document it is the selector itself.
    #[getter]
    fn root(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if let Some(root) = &this.root {
            return Ok(root.clone_ref(py));
        }
        Ok(match &this.item {
            Item::Number(n) => n.into_pyobject(py)?.into_any().unbind(),
            Item::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
            _ if this.is_string_like() => PyString::new(py, &this.value()).into_any().unbind(),
            _ => slf.clone().into_any().unbind(),
        })
    }

    /// Takes every element and attribute of the document out of its namespace, so that
    /// `//link` finds Atom's `<link>` (parsel's); every selector of the document sees it.
    /// Nothing to do for HTML (no namespaces in XPath's view) or JSON.
    fn remove_namespaces(&self, py: Python<'_>) {
        if self.kind == Kind::Html && self.doc().is_xml() {
            let mut doc = self.shared.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            let plain = py.detach(|| doc.without_namespaces());
            *doc = Arc::new(plain);
        }
    }

    /// Removes this element (or comment) from the document, for every selector of it, as
    /// parsel's `drop()`; the text after it joins the text before it. A string result
    /// (text, attribute) raises `CannotRemoveElementWithoutRoot`, the document and its root
    /// element `CannotDropElementWithoutParent`.
    fn drop(&self, py: Python<'_>) -> PyResult<()> {
        let classes = errors::classes(py);
        let no_root = || {
            errors::new_error(
                py,
                &classes.remove_without_root,
                "The node you're trying to drop has no root, are you trying to drop a pseudo-element? Try to use 'li' as a selector instead of 'li::text' or '//li' instead of '//li/text()', for example.".into(),
                None,
                None,
            )
        };
        let Item::Node(id) = self.item else { return Err(no_root()) };
        if self.kind != Kind::Html || self.is_string_like() {
            return Err(no_root());
        }
        let mut doc = self.shared.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match doc.drop_node(id) {
            Ok(dropped) => {
                *doc = Arc::new(dropped);
                Ok(())
            }
            Err(html::DropError::NotANode) => Err(no_root()),
            Err(html::DropError::NoParent) => Err(errors::new_error(
                py,
                &classes.drop_without_parent,
                "The node you're trying to remove has no parent, are you trying to remove a root element?"
                    .into(),
                None,
                None,
            )),
        }
    }

    #[pyo3(signature = (regex, replace_entities=true))]
    fn re(&self, py: Python<'_>, regex: &Bound<'_, PyAny>, replace_entities: bool) -> PyResult<Vec<String>> {
        let Some(re) = rust_regex(regex)? else {
            return python_re(regex, &self.string(py)?, replace_entities);
        };
        let mut out = Vec::new();
        html::re(&re, &self.string(py)?, replace_entities, &mut out).map_err(|e| selector_error(py, &e))?;
        Ok(out)
    }

    #[pyo3(signature = (regex, default=None, replace_entities=true))]
    fn re_first(
        &self,
        py: Python<'_>,
        regex: &Bound<'_, PyAny>,
        default: Option<Py<PyAny>>,
        replace_entities: bool,
    ) -> PyResult<Py<PyAny>> {
        let first = match rust_regex(regex)? {
            Some(re) => html::re_first(&re, &self.string(py)?, replace_entities)
                .map_err(|e| selector_error(py, &e))?,
            None => python_re(regex, &self.string(py)?, replace_entities)?.into_iter().next(),
        };
        match first {
            Some(s) => Ok(PyString::new(py, &s).into_any().unbind()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    /// The element's attributes (empty for anything else).
    #[getter]
    fn attrib<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        let doc = self.doc();
        // parsel's root is the root element: a document's attributes are its
        let item = match self.item {
            Item::Node(NodeId::DOCUMENT) => {
                doc.root_element().map_or(Item::Node(NodeId::DOCUMENT), Item::Node)
            }
            _ => self.item.clone(),
        };
        for (k, v) in doc.attrib(&item) {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// Absolute, fragment-free, de-duplicated http(s) links of the document, in order.
    fn links(&self, py: Python<'_>) -> Vec<String> {
        let doc = self.doc();
        py.detach(|| doc.links(None))
    }

    /// `url` made absolute against the page (its `<base href>`, else `base_url`), like
    /// Scrapy's `response.urljoin`.
    fn urljoin(&self, url: &str) -> PyResult<String> {
        let joined = match self.doc().effective_base(None) {
            Some(base) => base.join(url.trim()),
            None => Url::parse(url.trim()),
        };
        joined.map(String::from).map_err(|e| PyValueError::new_err(format!("cannot resolve {url:?}: {e}")))
    }

    /// Visible text under this node (no script/style), whitespace-normalised.
    fn text(&self) -> String {
        if self.root.is_some() {
            return Python::attach(|py| self.string(py)).unwrap_or_default();
        }
        match self.item.context_node() {
            Some(id) => self.doc().text(id),
            None => self.value(),
        }
    }

    #[getter]
    fn base_url(&self) -> Option<String> {
        self.doc().base_url().map(Url::to_string)
    }

    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.get(py, None).bind(py).str()?.to_string())
    }

    /// parsel's: `<Selector query='//a/@href' data='/index.html'>`, the data cut to 40
    /// characters.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut data = self.__str__(py)?;
        if data.chars().count() > 40 {
            data = data.chars().take(37).collect::<String>() + "...";
        }
        let query = match &self.query {
            Some(q) => PyString::new(py, q).repr()?.to_string(),
            None => "None".to_owned(),
        };
        Ok(format!("<Selector query={query} data={}>", PyString::new(py, &data).repr()?))
    }

    /// Whether the selected value is non-empty, as in parsel (`@href=""` is false).
    fn __bool__(&self, py: Python<'_>) -> PyResult<bool> {
        self.get(py, None).bind(py).is_truthy()
    }

    /// parsel's `jmespath()` (parsel >= 1.8): the JMESPath query on a JSON selector's value,
    /// or on the JSON of a text; needs the `jmespath` package.
    #[pyo3(signature = (query, **kwargs))]
    fn jmespath(
        slf: &Bound<'_, Self>,
        query: &str,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        static JMESPATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
        let f = JMESPATH.import(slf.py(), "ferrocrawl._selector", "_jmespath")?;
        Ok(f.call((slf, query), kwargs)?.unbind())
    }

    /// What `jmespath()` results are made from: a string becomes a `type="text"` selector,
    /// anything else a `type="json"` one.
    #[staticmethod]
    fn _from_value(py: Python<'_>, value: Py<PyAny>, query: &str) -> Selector {
        let kind = if value.bind(py).is_instance_of::<PyString>() { Kind::Text } else { Kind::Json };
        Selector::value_of(kind, value, Some(query))
    }
}

/// A document as given, decoded (bytes) and parsed on a worker thread without the GIL.
enum Doc {
    Bytes(PyBackedBytes),
    Text(PyBackedStr),
}

type PageResult = std::thread::Result<Result<Extracted, SelectorError>>;

/// One `parse_many` call, shared by its workers.
struct Batch {
    docs: Vec<Doc>,
    extractor: Extractor,
    next: AtomicUsize,
    /// Set when the awaiting task goes away: workers stop at the next page.
    cancelled: AtomicBool,
}

impl Batch {
    /// Takes pages until none are left (or the call is cancelled); a panic fails its page.
    fn work(&self) -> Vec<(usize, PageResult)> {
        let mut done = Vec::new();
        while !self.cancelled.load(Ordering::Relaxed) {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(doc) = self.docs.get(i) else { break };
            let result = catch_unwind(AssertUnwindSafe(|| match doc {
                Doc::Bytes(b) => self.extractor.extract(&charset::decode(b, Some("text/html")).text),
                Doc::Text(t) => self.extractor.extract(t),
            }));
            done.push((i, result));
        }
        done
    }
}

struct CancelOnDrop(Arc<Batch>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancelled.store(true, Ordering::Relaxed);
    }
}

/// Extracts named queries from many documents on the runtime's blocking threads; resolves
/// to one dict per document: name -> list of strings (a failing document gets the
/// `SelectorError`, or `InternalError` for a bug, instead of a dict). Cancelling the
/// awaiting task stops the work.
#[pyfunction]
#[pyo3(signature = (documents, queries, *, threads=None))]
pub fn parse_many(
    py: Python<'_>,
    documents: &Bound<'_, PyAny>,
    queries: &Bound<'_, PyDict>,
    threads: Option<usize>,
) -> PyResult<Pending> {
    let pairs: Vec<(String, String)> = crate::convert::pairs(queries)?;
    let extractor = Extractor::new(&pairs).map_err(|e| selector_error(py, &e))?;
    // Borrowed, not copied: decoding happens on the workers.
    let docs = documents
        .try_iter()?
        .map(|doc| {
            let doc = doc?;
            match doc.cast_into::<PyBytes>() {
                Ok(b) => Ok(Doc::Bytes(b.into())),
                Err(e) => Ok(Doc::Text(e.into_inner().extract::<PyBackedStr>()?)),
            }
        })
        .collect::<PyResult<Vec<_>>>()?;
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, docs.len().max(1));
    let batch =
        Arc::new(Batch { docs, extractor, next: AtomicUsize::new(0), cancelled: AtomicBool::new(false) });
    Ok(Pending::new(async move {
        let cancel = CancelOnDrop(batch.clone());
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let batch = batch.clone();
                tokio::task::spawn_blocking(move || batch.work())
            })
            .collect();
        let mut results: Vec<Option<PageResult>> = Vec::new();
        results.resize_with(batch.docs.len(), || None);
        for worker in workers {
            // `work` catches its panics, so a worker always returns
            if let Ok(done) = worker.await {
                for (i, result) in done {
                    results[i] = Some(result);
                }
            }
        }
        drop(cancel);
        Box::new(move |py: Python<'_>| -> PyResult<Py<PyAny>> {
            let names: Vec<&str> = batch.extractor.names().collect();
            let out = PyList::empty(py);
            for result in results {
                match result {
                    Some(Ok(Ok(values))) => {
                        let dict = PyDict::new(py);
                        for (name, vals) in names.iter().zip(values) {
                            dict.set_item(name, vals)?;
                        }
                        out.append(dict)?;
                    }
                    Some(Ok(Err(e))) => out.append(selector_error(py, &e).into_value(py))?,
                    Some(Err(panic)) => out.append(errors::from_panic(py, &*panic).into_value(py))?,
                    None => {
                        out.append(errors::from_panic(py, &"a parse_many worker was lost").into_value(py))?;
                    }
                }
            }
            // the documents (Python objects) are released here, on the loop thread
            drop(batch);
            Ok(out.into_any().unbind())
        }) as Deliver
    }))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Selector>()?;
    m.add_function(wrap_pyfunction!(parse_many, m)?)?;
    Ok(())
}
