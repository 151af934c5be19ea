//! `session.cookie_jar`: aiohttp's `CookieJar` surface over the core jar. Cookies come out as
//! `http.cookies.Morsel`s and `filter_cookies` returns a `SimpleCookie`, as in aiohttp.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyIterator, PyList};

use ferrocrawl_core::cookies::CookieInfo;
use ferrocrawl_core::Client;

use crate::convert;
use crate::errors;
use crate::session::ClientSession;

static MORSEL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static SIMPLE_COOKIE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A view of one session's jar; it follows the session's client (rebuilt, with an empty
/// jar, in a forked child).
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct CookieJar {
    session: Py<ClientSession>,
}

impl CookieJar {
    pub fn new(session: Py<ClientSession>) -> Self {
        CookieJar { session }
    }

    fn client(&self, py: Python<'_>) -> PyResult<Client> {
        self.session.get().client(py)
    }
}

fn parse_url(py: Python<'_>, url: &Bound<'_, PyAny>) -> PyResult<url::Url> {
    let url = convert::url(url)?;
    url::Url::parse(&url).map_err(|e| {
        errors::to_py(py, ferrocrawl_core::Error::InvalidUrl { url: url.clone(), reason: e.to_string() })
    })
}

/// A `Morsel` with every attribute aiohttp's jar sets. `__setstate__`, as aiohttp does,
/// because `Morsel.set` refuses names that servers do send (e.g. with `:` or `[`).
fn morsel<'py>(py: Python<'py>, c: &CookieInfo) -> PyResult<Bound<'py, PyAny>> {
    let m = MORSEL.import(py, "http.cookies", "Morsel")?.call0()?;
    let state = PyDict::new(py);
    state.set_item("key", &c.name)?;
    state.set_item("value", &c.value)?;
    state.set_item("coded_value", &c.value)?;
    m.call_method1("__setstate__", (state,))?;
    m.set_item("domain", &c.domain)?;
    m.set_item("path", &c.path)?;
    if c.secure {
        m.set_item("secure", true)?;
    }
    if c.http_only {
        m.set_item("httponly", true)?;
    }
    if let Some(at) = c.expires_http_date() {
        m.set_item("expires", at)?;
    }
    Ok(m)
}

#[pymethods]
impl CookieJar {
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        Ok(self.client(py)?.cookie_jar().len())
    }

    /// Every unexpired cookie, as a `Morsel`.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        let cookies = self.client(py)?.cookie_jar().all();
        let list = PyList::empty(py);
        for c in &cookies {
            list.append(morsel(py, c)?)?;
        }
        list.try_iter()
    }

    /// Removes every cookie, or those for which `predicate(morsel)` is true.
    #[pyo3(signature = (predicate=None))]
    fn clear(&self, py: Python<'_>, predicate: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let client = self.client(py)?;
        let jar = client.cookie_jar();
        let Some(predicate) = predicate else {
            jar.clear();
            return Ok(());
        };
        if !predicate.is_callable() {
            return Err(PyTypeError::new_err("predicate must be callable"));
        }
        for c in jar.all() {
            if predicate.call1((morsel(py, &c)?,))?.is_truthy()? {
                jar.remove(&c.domain, &c.path, &c.name);
            }
        }
        Ok(())
    }

    /// Removes the cookies of `domain` and its subdomains.
    fn clear_domain(&self, py: Python<'_>, domain: &str) -> PyResult<()> {
        self.client(py)?.cookie_jar().clear_domain(domain);
        Ok(())
    }

    /// The cookies a request to `request_url` would carry, as a `SimpleCookie`.
    fn filter_cookies<'py>(
        &self,
        py: Python<'py>,
        request_url: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let url = parse_url(py, request_url)?;
        let jar = SIMPLE_COOKIE.import(py, "http.cookies", "SimpleCookie")?.call0()?;
        for c in self.client(py)?.cookie_jar().filter(&url) {
            jar.set_item(&c.name, morsel(py, &c)?)?;
        }
        Ok(jar)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("<CookieJar: {} cookies>", self.__len__(py)?))
    }
}
