//! `ClientSession`: aiohttp's API over the core client, plus batch calls (`get_many`,
//! `iter_many`) that fetch without a Python task per URL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::stream::StreamExt;
use pyo3::exceptions::{PyRuntimeError, PyStopAsyncIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use tokio::sync::mpsc;

use ferrocrawl_core::batch::fetch_all;
use ferrocrawl_core::config::ClientConfig;
use ferrocrawl_core::download::{Destination, DownloadOptions, DEFAULT_MAX_DOWNLOAD_SIZE};
use ferrocrawl_core::{Client, RequestSpec};

use crate::awaitable::{Pending, Ready};
use crate::bridge::Deliver;
use crate::convert::{self, request_spec};
use crate::cookies::CookieJar;
use crate::response::Response;
use crate::{errors, runtime};

type FetchResult = ferrocrawl_core::Result<ferrocrawl_core::Response>;

/// An HTTP client with aiohttp's API (`async with ClientSession() as s: await s.get(url)`):
/// connection pool, cookies, redirects, retries and decoding run in Rust.
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct ClientSession {
    config: ClientConfig,
    /// The client and the fork generation it was built in.
    client: Mutex<Option<(u64, Client)>>,
}

impl ClientSession {
    /// The live client; rebuilt in a forked child, whose inherited connections belong to
    /// the parent's runtime.
    pub fn client(&self, py: Python<'_>) -> PyResult<Client> {
        let mut slot = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            None => Err(PyRuntimeError::new_err("this ClientSession is closed")),
            Some((generation, client)) if *generation == runtime::generation() => Ok(client.clone()),
            Some(_) => {
                let client = build_client(py, &self.config)?;
                *slot = Some((runtime::generation(), client.clone()));
                Ok(client)
            }
        }
    }

    fn request_impl(
        &self,
        py: Python<'_>,
        method: &str,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        let client = self.client(py)?;
        let spec = request_spec(method, url, kwargs)?;
        Ok(Pending::new(async move { deliver_response(client.fetch(&spec).await) }))
    }

    fn specs(
        &self,
        urls: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Vec<RequestSpec>> {
        let template = request_spec("GET", &PyString::new(urls.py(), ""), kwargs)?;
        urls.try_iter()?.map(|u| Ok(RequestSpec { url: convert::url(&u?)?, ..template.clone() })).collect()
    }
}

fn build_client(py: Python<'_>, config: &ClientConfig) -> PyResult<Client> {
    let _guard = runtime::handle().enter();
    Client::new(config.clone()).map_err(|e| errors::to_py(py, e))
}

pub fn deliver_response(result: FetchResult) -> Deliver {
    Box::new(move |py| result_to_py(py, result))
}

fn result_to_py(py: Python<'_>, result: FetchResult) -> PyResult<Py<PyAny>> {
    match result {
        Ok(resp) => Ok(Py::new(py, Response::new(resp))?.into_any()),
        Err(e) => Err(errors::to_py(py, e)),
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn check_concurrency(concurrency: usize) -> PyResult<usize> {
    if concurrency == 0 {
        return Err(PyValueError::new_err("concurrency must be at least 1"));
    }
    Ok(concurrency)
}

#[pymethods]
impl ClientSession {
    #[new]
    #[allow(clippy::too_many_arguments)] // the keyword arguments of aiohttp's ClientSession
    #[pyo3(signature = (
        *, headers=None, cookies=None, timeout=None, limit=100, limit_per_host=None, proxy=None,
        ssl=None, verify_ssl=None, max_redirects=10, retries=0, retry_backoff=0.5,
        retry_methods=None, max_body_size=100*1024*1024, max_headers=100, http2=false, user_agent=None,
        raise_for_status=false, block_private_networks=false, allowed_networks=None,
    ))]
    fn new(
        py: Python<'_>,
        headers: Option<&Bound<'_, PyAny>>,
        cookies: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        limit: usize,
        limit_per_host: Option<usize>,
        proxy: Option<String>,
        ssl: Option<&Bound<'_, PyAny>>,
        verify_ssl: Option<&Bound<'_, PyAny>>,
        max_redirects: usize,
        retries: u32,
        retry_backoff: f64,
        retry_methods: Option<&Bound<'_, PyAny>>,
        max_body_size: u64,
        max_headers: usize,
        http2: bool,
        user_agent: Option<String>,
        raise_for_status: bool,
        block_private_networks: bool,
        allowed_networks: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut config = ClientConfig::default();
        if let Some(h) = headers {
            config.headers = convert::pairs(h)?;
        }
        if let Some(c) = cookies {
            config.cookies = convert::pairs(c)?;
        }
        if let Some(t) = timeout {
            config.timeouts = convert::timeouts(t)?;
        }
        if let Some(tls) = ssl.or(verify_ssl) {
            config.tls = convert::tls(tls)?;
        }
        if !(retry_backoff.is_finite() && retry_backoff >= 0.0) {
            return Err(PyValueError::new_err("retry_backoff must be a number of seconds >= 0"));
        }
        config.limit = limit;
        config.limit_per_host = limit_per_host;
        config.proxy = proxy;
        config.max_redirects = max_redirects;
        config.retry.retries = retries;
        config.retry.backoff = Duration::from_secs_f64(retry_backoff);
        if let Some(methods) = retry_methods {
            config.retry.methods = convert::methods(methods).map_err(|e| errors::to_py(py, e))?;
        }
        config.max_body_size = max_body_size;
        config.max_headers = max_headers;
        config.http2 = http2;
        if let Some(ua) = user_agent {
            config.user_agent = ua;
        }
        config.raise_for_status = raise_for_status;
        config.net_guard = convert::net_guard(block_private_networks, allowed_networks)?;
        let client = build_client(py, &config)?;
        Ok(ClientSession { config, client: Mutex::new(Some((runtime::generation(), client))) })
    }

    #[pyo3(signature = (method, url, **kwargs))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, method, url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn get(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "GET", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn post(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "POST", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn put(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "PUT", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn patch(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "PATCH", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn delete(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "DELETE", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn head(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "HEAD", url, kwargs)
    }

    #[pyo3(signature = (url, **kwargs))]
    fn options(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        self.request_impl(py, "OPTIONS", url, kwargs)
    }

    /// Fetches every URL, `concurrency` at a time; the list is in input order and a failed
    /// URL's slot holds its exception instead of a response. Responses become Python objects
    /// on the (otherwise idle) loop thread as they arrive, while the rest are fetched.
    #[pyo3(signature = (urls, *, concurrency=64, **kwargs))]
    fn get_many(
        &self,
        py: Python<'_>,
        urls: &Bound<'_, PyAny>,
        concurrency: usize,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        let concurrency = check_concurrency(concurrency)?;
        let client = self.client(py)?;
        let specs = self.specs(urls, kwargs)?;
        let slots = Arc::new(PyList::new(py, (0..specs.len()).map(|_| py.None()))?.unbind());
        Ok(Pending::with_progress(move |progress| async move {
            let mut done = fetch_all(client, specs, concurrency);
            while let Some((i, slot)) = done.next().await {
                let slots = slots.clone();
                progress.send(move |py| {
                    let value = result_to_py(py, slot).unwrap_or_else(|e| e.into_value(py).into_any());
                    // set_item on an in-range index of our own list cannot fail
                    let _ = slots.bind(py).set_item(i, value);
                });
            }
            Box::new(move |py: Python<'_>| Ok(slots.clone_ref(py).into_any())) as Deliver
        }))
    }

    /// Yields responses as they complete (failed URLs raise from the iteration only if
    /// `return_exceptions=False`; by default their exception is yielded). At most about
    /// `concurrency` responses are fetched ahead of the consumer.
    #[pyo3(signature = (urls, *, concurrency=64, return_exceptions=true, **kwargs))]
    fn iter_many(
        &self,
        py: Python<'_>,
        urls: &Bound<'_, PyAny>,
        concurrency: usize,
        return_exceptions: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ManyIter> {
        let concurrency = check_concurrency(concurrency)?;
        let client = self.client(py)?;
        let specs = self.specs(urls, kwargs)?;
        let (tx, rx) = mpsc::channel(concurrency);
        let producer = async move {
            let mut results = fetch_all(client, specs, concurrency);
            while let Some((_, slot)) = results.next().await {
                if tx.send(slot).await.is_err() {
                    break; // the iterator was dropped
                }
            }
        };
        Ok(ManyIter {
            producer: Mutex::new(Some(Box::pin(producer))),
            started: Mutex::new(None),
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
            return_exceptions,
            closed: AtomicBool::new(false),
        })
    }

    /// Streams `url` to disk and returns the final path. `path` is the file, or a folder
    /// (existing, or ending in `/`) where the file is named after the response; with
    /// `filename=`, an untrusted name (e.g. a title from the page) joined under `path`,
    /// refused with `UnsafePathError` if it would leave the folder.
    #[pyo3(signature = (url, path, *, filename=None, resume=true, max_size=DEFAULT_MAX_DOWNLOAD_SIZE, **kwargs))]
    #[allow(clippy::too_many_arguments)] // keyword arguments, as in the Python signature
    fn download(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        path: std::path::PathBuf,
        filename: Option<String>,
        resume: bool,
        max_size: u64,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Pending> {
        let client = self.client(py)?;
        let spec = request_spec("GET", url, kwargs)?;
        let is_folder =
            path.is_dir() || path.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR);
        let dest = match (filename, is_folder) {
            (Some(name), _) => Destination::Folder { folder: path, name: Some(name) },
            (None, true) => Destination::Folder { folder: path, name: None },
            (None, false) => Destination::File(path),
        };
        let opts = DownloadOptions { resume, max_size };
        Ok(Pending::new(async move {
            let result = client.download(&spec, &dest, opts).await;
            Box::new(move |py: Python<'_>| match result {
                Ok(path) => Ok(path.into_pyobject(py)?.into_any().str()?.into_any().unbind()),
                Err(e) => Err(errors::to_py(py, e)),
            }) as Deliver
        }))
    }

    fn close(&self, py: Python<'_>) -> PyResult<Py<Ready>> {
        self.client.lock().unwrap_or_else(PoisonError::into_inner).take();
        Ready::none(py)
    }

    #[getter]
    fn closed(&self) -> bool {
        self.client.lock().unwrap_or_else(PoisonError::into_inner).is_none()
    }

    /// The session's cookie jar, aiohttp-style: iterable of `Morsel`s, `len()`, `clear()`,
    /// `clear_domain()`, `filter_cookies(url)`.
    #[getter]
    fn cookie_jar(slf: Py<Self>) -> CookieJar {
        CookieJar::new(slf)
    }

    /// Cookies the session would send to `url`, from its jar.
    fn cookies_for(&self, py: Python<'_>, url: &str) -> PyResult<Vec<(String, String)>> {
        let parsed = url::Url::parse(url).map_err(|e| {
            errors::to_py(
                py,
                ferrocrawl_core::Error::InvalidUrl { url: url.to_owned(), reason: e.to_string() },
            )
        })?;
        Ok(self.client(py)?.cookies_for(&parsed))
    }

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Ready>> {
        Ready::new(py, slf.into_any())
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&self, py: Python<'_>, _args: &Bound<'_, PyTuple>) -> PyResult<Py<Ready>> {
        self.close(py)
    }
}

type Producer = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// `async for resp in session.iter_many(urls)`. The producer starts at the first
/// `__anext__`; a result already queued is returned without a trip through the loop.
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct ManyIter {
    producer: Mutex<Option<Producer>>,
    /// The running producer, aborted (with the fetches it runs) by `aclose()` or on drop.
    started: Mutex<Option<AbortOnDrop>>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<FetchResult>>>,
    return_exceptions: bool,
    closed: AtomicBool,
}

impl ManyIter {
    fn item(py: Python<'_>, slot: Option<FetchResult>, return_exceptions: bool) -> PyResult<Py<PyAny>> {
        let Some(slot) = slot else { return Err(PyStopAsyncIteration::new_err(())) };
        match result_to_py(py, slot) {
            Ok(v) => Ok(v),
            Err(e) if return_exceptions => Ok(e.into_value(py).into_any()),
            Err(e) => Err(e),
        }
    }
}

#[pymethods]
impl ManyIter {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(PyStopAsyncIteration::new_err(()));
        }
        if let Some(producer) = self.producer.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let task = runtime::handle().spawn(producer);
            *self.started.lock().unwrap_or_else(PoisonError::into_inner) =
                Some(AbortOnDrop(task.abort_handle()));
        }
        let return_exceptions = self.return_exceptions;
        if let Ok(mut rx) = self.rx.try_lock() {
            match rx.try_recv() {
                Ok(slot) => {
                    return Ok(Ready::new(py, Self::item(py, Some(slot), return_exceptions)?)?.into_any())
                }
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    return Err(PyStopAsyncIteration::new_err(()))
                }
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
        }
        let rx = self.rx.clone();
        let pending = Pending::new(async move {
            let slot = rx.lock().await.recv().await;
            Box::new(move |py: Python<'_>| Self::item(py, slot, return_exceptions)) as Deliver
        });
        Ok(Py::new(py, pending)?.into_any())
    }

    /// Stops fetching: the producer and its requests in flight are aborted, which closes
    /// their connections; iterating afterwards ends at once. `async for ... break` leaves
    /// the iterator open until it is collected (the same happens then), so call this (or
    /// use `contextlib.aclosing`) to stop at once.
    fn aclose(&self, py: Python<'_>) -> PyResult<Py<Ready>> {
        self.closed.store(true, Ordering::Release);
        self.producer.lock().unwrap_or_else(PoisonError::into_inner).take();
        self.started.lock().unwrap_or_else(PoisonError::into_inner).take();
        Ready::none(py)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ClientSession>()?;
    m.add_class::<ManyIter>()?;
    m.add_class::<CookieJar>()?;
    m.add_class::<convert::ClientTimeout>()?;
    Ok(())
}
