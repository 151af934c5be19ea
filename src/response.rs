//! `Response`: status, headers and a body already read in Rust. `text()`/`read()`/`json()`
//! return awaitables for aiohttp compatibility, but nothing is left to wait for.

use std::borrow::Cow;
use std::ffi::CString;
use std::sync::OnceLock;

use pyo3::exceptions::PyUnicodeDecodeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyString, PyTuple};

use ferrocrawl_core::charset::{self, ErrorMode};
use ferrocrawl_core::{client, ResponseHead};

use crate::awaitable::Ready;
use crate::errors;
use crate::headers::Headers;
use crate::selector::Selector;

/// Bodies larger than this are decoded with the GIL released.
const DETACH_DECODE_BYTES: usize = 256 * 1024;

static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An HTTP response, its body already read: `status`, `headers`, `await text()`, `selector()`.
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct Response {
    head: ResponseHead,
    body: bytes::Bytes,
    history: Vec<ResponseHead>,
    attempts: u32,
    headers: PyOnceLock<Py<Headers>>,
    charset: OnceLock<String>,
}

impl Response {
    pub fn new(resp: ferrocrawl_core::Response) -> Self {
        Response {
            head: resp.head,
            body: resp.body,
            history: resp.history,
            attempts: resp.attempts,
            headers: PyOnceLock::new(),
            charset: OnceLock::new(),
        }
    }

    fn head_only(head: ResponseHead) -> Self {
        Response::new(ferrocrawl_core::Response {
            head,
            body: bytes::Bytes::new(),
            history: Vec::new(),
            attempts: 1,
        })
    }

    /// Decodes the body: browser rules unless `encoding` is given. An explicit `encoding` is a
    /// Python codec name decoded by Python's codec (as `bytes.decode` and aiohttp do), so
    /// "latin1" and "ascii" mean what they mean in Python, not their WHATWG aliases
    /// (windows-1252). `errors` modes outside the WHATWG set go to Python's codecs too.
    pub fn decode(&self, py: Python<'_>, encoding: Option<&str>, errors: &str) -> PyResult<Py<PyAny>> {
        if let Some(encoding) = encoding {
            return self.decode_in_python(py, encoding, errors);
        }
        let Ok(mode) = ErrorMode::parse(errors) else {
            let enc = charset::detect(&self.body, self.head.content_type()).0;
            return self.decode_in_python(py, enc.name(), errors);
        };
        let body = &self.body[..];
        let ct = self.head.content_type();
        let run = || -> Result<Cow<'_, str>, charset::DecodeError> {
            let encoding = charset::detect(body, ct).0;
            match mode {
                ErrorMode::Strict => charset::decode_strict(body, encoding),
                _ => {
                    Ok(charset::decode_with(body, encoding.name(), mode).map(|d| d.text).unwrap_or_default())
                }
            }
        };
        let text = if body.len() > DETACH_DECODE_BYTES { py.detach(run) } else { run() };
        match text {
            Ok(text) => Ok(PyString::new(py, &text).into_any().unbind()),
            Err(e) => {
                let name = CString::new(charset::encoding_name(e.encoding)).unwrap_or_default();
                let err = PyUnicodeDecodeError::new(py, &name, body, e.start..e.end, c"invalid sequence")?;
                Err(PyErr::from_value(err.into_any()))
            }
        }
    }

    /// The body as read (decoded content-codings, not charset).
    pub fn raw_body(&self) -> &[u8] {
        &self.body
    }

    pub fn status_code(&self) -> u16 {
        self.head.status.as_u16()
    }

    pub fn content_type_header(&self) -> Option<&str> {
        self.head.content_type()
    }

    fn decode_in_python(&self, py: Python<'_>, encoding: &str, errors: &str) -> PyResult<Py<PyAny>> {
        Ok(PyBytes::new(py, &self.body).call_method1("decode", (encoding, errors))?.unbind())
    }
}

#[pymethods]
impl Response {
    #[getter]
    fn status(&self) -> u16 {
        self.head.status.as_u16()
    }

    #[getter]
    fn reason(&self) -> &'static str {
        self.head.reason()
    }

    #[getter]
    fn ok(&self) -> bool {
        self.head.status.as_u16() < 400
    }

    /// The final URL, after redirects.
    #[getter]
    fn url(&self) -> &str {
        self.head.url.as_str()
    }

    #[getter]
    fn real_url(&self) -> &str {
        self.head.url.as_str()
    }

    #[getter]
    fn version(&self) -> &'static str {
        self.head.version_str()
    }

    #[getter]
    pub(crate) fn headers(&self, py: Python<'_>) -> PyResult<Py<Headers>> {
        self.headers
            .get_or_try_init(py, || Py::new(py, Headers::from_map(&self.head.headers)))
            .map(|h| h.clone_ref(py))
    }

    /// Earlier hops of a redirect chain, oldest first (bodies are not kept).
    #[getter]
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let hops = self
            .history
            .iter()
            .map(|h| Py::new(py, Response::head_only(h.clone())))
            .collect::<PyResult<Vec<_>>>()?;
        PyTuple::new(py, hops)
    }

    /// Attempts made, retries included.
    #[getter]
    fn attempts(&self) -> u32 {
        self.attempts
    }

    #[getter]
    fn content_type(&self) -> &str {
        self.head
            .content_type()
            .map_or("application/octet-stream", |ct| ct.split(';').next().unwrap_or("").trim())
    }

    #[getter]
    fn content_length(&self) -> Option<u64> {
        self.head.headers.get(ferrocrawl_core::reqwest::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
    }

    /// The encoding `text()` uses: BOM, then Content-Type, then `<meta charset>`, then a guess.
    #[getter]
    fn charset(&self) -> &str {
        self.charset
            .get_or_init(|| charset::encoding_name(charset::detect(&self.body, self.head.content_type()).0))
    }

    /// The whole body as bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.body)
    }

    fn read(&self, py: Python<'_>) -> PyResult<Py<Ready>> {
        Ready::new(py, PyBytes::new(py, &self.body).into_any().unbind())
    }

    /// The body as text; `errors` as in `bytes.decode` ("replace" by default, as browsers do).
    #[pyo3(signature = (encoding=None, errors="replace"))]
    fn text(&self, py: Python<'_>, encoding: Option<&str>, errors: &str) -> PyResult<Py<Ready>> {
        let text = self.decode(py, encoding, errors)?;
        Ready::new(py, text)
    }

    /// The body parsed as JSON (with `loads`, `json.loads` by default).
    #[pyo3(signature = (*, encoding=None, loads=None, content_type=None))]
    fn json(
        &self,
        py: Python<'_>,
        encoding: Option<&str>,
        loads: Option<Bound<'_, PyAny>>,
        content_type: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Py<Ready>> {
        let _ = content_type; // accepted for aiohttp compatibility; any content type is parsed
        let loads = match loads {
            Some(f) => f,
            None => JSON_LOADS.import(py, "json", "loads")?.clone(),
        };
        let text = self.decode(py, encoding, "strict")?;
        Ready::new(py, loads.call1((text,))?.unbind())
    }

    /// The body as HTML: a `Selector` with this response's URL as base.
    fn selector(&self, py: Python<'_>) -> PyResult<Py<Selector>> {
        let sel = Selector::parse_body(py, &self.body, self.head.content_type(), Some(self.head.url.clone()));
        Py::new(py, sel)
    }

    /// `await resp.html()`: the same as `resp.selector()`.
    fn html(&self, py: Python<'_>) -> PyResult<Py<Ready>> {
        Ready::new(py, self.selector(py)?.into_any())
    }

    fn raise_for_status(&self, py: Python<'_>) -> PyResult<()> {
        client::check_status(&self.head).map_err(|e| errors::to_py(py, e))
    }

    /// Nothing to release: the body was read before the response reached Python.
    fn release(&self) {}

    fn close(&self) {}

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Ready>> {
        Ready::new(py, slf.into_any())
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<Py<Ready>> {
        Ready::none(py)
    }

    fn __repr__(&self) -> String {
        format!("<Response [{} {}] {}>", self.head.status.as_u16(), self.head.reason(), self.head.url)
    }
}
