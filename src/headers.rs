//! `resp.headers`: a read-only, case-insensitive multi-mapping like aiohttp's
//! `CIMultiDictProxy`. Registered as a `collections.abc.Mapping` by the Python package.

use ferrocrawl_core::reqwest::header::HeaderMap;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// Response headers: a read-only, case-insensitive multi-dict (`headers["content-type"]`).
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct Headers {
    items: Vec<(String, String)>,
}

impl Headers {
    pub fn from_map(map: &HeaderMap) -> Self {
        let items = map
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        Headers { items }
    }

    fn first(&self, key: &str) -> Option<&str> {
        self.items.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.items.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()).collect()
    }

    fn unique_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in &self.items {
            if !keys.iter().any(|seen| seen.eq_ignore_ascii_case(k)) {
                keys.push(k);
            }
        }
        keys
    }
}

#[pymethods]
impl Headers {
    fn __getitem__(&self, key: &str) -> PyResult<&str> {
        self.first(key).ok_or_else(|| PyKeyError::new_err(key.to_owned()))
    }

    #[pyo3(signature = (key, default=None))]
    fn get(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        match self.first(key) {
            Some(v) => Ok(v.into_pyobject(py)?.into_any().unbind()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        }
    }

    /// Like `__getitem__`, aiohttp's spelling.
    fn getone(&self, key: &str) -> PyResult<&str> {
        self.__getitem__(key)
    }

    /// Every value of `key`, in order (e.g. several `Set-Cookie`).
    #[pyo3(signature = (key, default=None))]
    fn getall(&self, py: Python<'_>, key: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        let values = self.all(key);
        if values.is_empty() {
            return default.ok_or_else(|| PyKeyError::new_err(key.to_owned()));
        }
        Ok(PyList::new(py, values)?.into_any().unbind())
    }

    fn __contains__(&self, key: &str) -> bool {
        self.first(key).is_some()
    }

    fn __len__(&self) -> usize {
        self.unique_keys().len()
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(PyList::new(py, self.unique_keys())?.try_iter()?.into_any().unbind())
    }

    fn keys(&self) -> Vec<&str> {
        self.unique_keys()
    }

    fn values(&self) -> Vec<&str> {
        self.items.iter().map(|(_, v)| v.as_str()).collect()
    }

    /// All (name, value) pairs, repeated names included.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pairs = self.items.iter().map(|(k, v)| PyTuple::new(py, [k, v])).collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, pairs)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Headers>().is_ok_and(|other| self.items == other.get().items)
    }

    fn __repr__(&self) -> String {
        let body: Vec<String> = self.items.iter().map(|(k, v)| format!("{k:?}: {v:?}")).collect();
        format!("<Headers({{{}}})>", body.join(", "))
    }
}
