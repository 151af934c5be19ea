//! `Selector`: parsel's API over one parsed document. A selector is the shared document
//! plus one result item (node, attribute or value); parsing and large queries run with the
//! GIL released. `SelectorList` is a Python `list` subclass (python/ferrocrawl/_selector.py).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

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

#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct Selector {
    doc: Arc<Document>,
    item: Item,
    /// The query that found this item (parsel's `_expr`, shown by `repr`); `None` for a
    /// document.
    query: Option<Arc<str>>,
}

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
    /// Parses `text` without the GIL.
    pub fn parse(py: Python<'_>, text: &str, base_url: Option<Url>) -> Selector {
        let doc = py.detach(|| Document::parse(text, base_url));
        Selector { doc: Arc::new(doc), item: Item::Node(NodeId::DOCUMENT), query: None }
    }

    /// Decodes (browser rules) and parses a body without the GIL.
    pub fn parse_body(
        py: Python<'_>,
        body: &[u8],
        content_type: Option<&str>,
        base_url: Option<Url>,
    ) -> Selector {
        let doc = py.detach(|| Document::parse(&charset::decode(body, content_type).text, base_url));
        Selector { doc: Arc::new(doc), item: Item::Node(NodeId::DOCUMENT), query: None }
    }

    /// parsel's results for text and attributes are strings: querying them finds nothing.
    fn is_string_like(&self) -> bool {
        match &self.item {
            Item::Node(id) => matches!(self.doc.data(*id), html::NodeData::Text(_)),
            _ => true,
        }
    }

    fn select(
        &self,
        py: Python<'_>,
        source: &str,
        query: &html::Query,
        vars: &[(String, html::Variable)],
    ) -> PyResult<Py<PyAny>> {
        let mut items = Vec::new();
        if self.is_string_like() {
            return selector_list(py, PyList::empty(py));
        }
        let run = |items: &mut Vec<Item>| match query {
            html::Query::XPath(xpath) => xpath.evaluate_with(&self.doc, &self.item, vars, items),
            html::Query::Css(_) => query.select(&self.doc, &self.item, items),
        };
        let result =
            if self.doc.len() > DETACH_QUERY_NODES { py.detach(|| run(&mut items)) } else { run(&mut items) };
        result.map_err(|e| selector_error(py, &e))?;
        let source: Arc<str> = source.into();
        let selectors = items
            .into_iter()
            .map(|item| Py::new(py, Selector { doc: self.doc.clone(), item, query: Some(source.clone()) }))
            .collect::<PyResult<Vec<_>>>()?;
        selector_list(py, PyList::new(py, selectors)?)
    }

    fn value(&self) -> String {
        self.doc.get(&self.item)
    }
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

/// The `regex`-crate regex for a `.re()` argument, or `None` when Python's `re` must run it:
/// a pattern Rust rejects (look-around, back-references, `{` as a literal) or an `re.Pattern`
/// with flags.
fn rust_regex(regex: &Bound<'_, PyAny>) -> PyResult<Option<Arc<html::Regex>>> {
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
    Ok(html::compiled_regex(&pattern).ok())
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
    #[new]
    #[pyo3(signature = (text=None, *, body=None, encoding=None, base_url=None))]
    fn new(
        py: Python<'_>,
        text: Option<&str>,
        body: Option<&[u8]>,
        encoding: Option<&str>,
        base_url: Option<&str>,
    ) -> PyResult<Self> {
        let base = parse_base(base_url)?;
        match (text, body) {
            (Some(text), None) => Ok(Selector::parse(py, text, base)),
            (None, Some(body)) => match encoding {
                Some(label) => {
                    let text = charset::decode_with(body, label, charset::ErrorMode::Replace)
                        .map_err(|e| errors::to_py(py, e))?
                        .text;
                    Ok(Selector::parse(py, &text, base))
                }
                None => Ok(Selector::parse_body(py, body, Some("text/html"), base)),
            },
            _ => Err(PyValueError::new_err("Selector needs text= (str) or body= (bytes), not both")),
        }
    }

    /// Nodes matching a CSS selector (with parsel's `::text` and `::attr(name)`).
    fn css(&self, py: Python<'_>, query: &str) -> PyResult<Py<PyAny>> {
        let q = html::css(query).map_err(|e| selector_error(py, &e))?;
        self.select(py, query, &html::Query::Css(q), &[])
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
        let _ = namespaces; // HTML elements have no namespace (as in lxml's HTML tree)
        let vars = variables.map(xpath_variables).transpose()?.unwrap_or_default();
        let q = html::xpath(query).map_err(|e| selector_error(py, &e))?;
        self.select(py, query, &html::Query::XPath(q), &vars)
    }

    /// Outer HTML of an element, text of a text node, value of an attribute.
    #[pyo3(signature = (default=None))]
    fn get(&self, default: Option<Py<PyAny>>) -> String {
        let _ = default; // a selector always has a value; the argument mirrors SelectorList.get
        self.value()
    }

    fn getall(&self) -> Vec<String> {
        vec![self.value()]
    }

    fn extract(&self) -> String {
        self.value()
    }

    #[pyo3(signature = (regex, replace_entities=true))]
    fn re(&self, regex: &Bound<'_, PyAny>, replace_entities: bool) -> PyResult<Vec<String>> {
        let Some(re) = rust_regex(regex)? else {
            return python_re(regex, &self.value(), replace_entities);
        };
        let mut out = Vec::new();
        html::re(&re, &self.value(), replace_entities, &mut out);
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
            Some(re) => html::re_first(&re, &self.value(), replace_entities),
            None => python_re(regex, &self.value(), replace_entities)?.into_iter().next(),
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
        for (k, v) in self.doc.attrib(&self.item) {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// Absolute, fragment-free, de-duplicated http(s) links of the document, in order.
    fn links(&self, py: Python<'_>) -> Vec<String> {
        py.detach(|| self.doc.links(None))
    }

    /// `url` made absolute against the page (its `<base href>`, else `base_url`), like
    /// Scrapy's `response.urljoin`.
    fn urljoin(&self, url: &str) -> PyResult<String> {
        let joined = match self.doc.effective_base(None) {
            Some(base) => base.join(url.trim()),
            None => Url::parse(url.trim()),
        };
        joined.map(String::from).map_err(|e| PyValueError::new_err(format!("cannot resolve {url:?}: {e}")))
    }

    /// Visible text under this node (no script/style), whitespace-normalised.
    fn text(&self) -> String {
        match self.item.context_node() {
            Some(id) => self.doc.text(id),
            None => self.value(),
        }
    }

    #[getter]
    fn base_url(&self) -> Option<&str> {
        self.doc.base_url().map(Url::as_str)
    }

    fn __str__(&self) -> String {
        self.value()
    }

    /// parsel's: `<Selector query='//a/@href' data='/index.html'>`, the data cut to 40
    /// characters.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut data = self.value();
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
    fn __bool__(&self) -> bool {
        !self.value().is_empty()
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
