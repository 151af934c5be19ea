//! `ferrocrawl.crawl()` / `Crawler`: options checked and converted once, the core engine
//! spawned on the runtime, pages handed to `async for` in batches (one bridge wakeup per
//! batch; a batch is acknowledged when the next one is asked for).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::{IntoPyDict, PyBytes, PyDict, PyList, PyString};
use url::Url;

use ferrocrawl_core::crawl::frontier::Politeness;
use ferrocrawl_core::crawl::policy::{domain_of, pattern, Pattern};
use ferrocrawl_core::crawl::store::{MemoryFrontier, RedisFrontier, SqliteFrontier};
use ferrocrawl_core::crawl::{self, CrawlConfig, CrawlHandle, Follow, Policy, Rules, Value};
use ferrocrawl_core::sink::{PageField, SinkSpec};
use ferrocrawl_core::{Client, Error};

use crate::awaitable::{Pending, Ready};
use crate::bridge::Deliver;
use crate::errors;
use crate::headers::Headers;
use crate::response::Response;
use crate::runtime;
use crate::selector::{selector_error, Selector};
use crate::session::ClientSession;

/// Pages moved from the engine to Python per bridge wakeup.
const BATCH: usize = 128;

/// What a crawl needs before it starts; kept until the first `__anext__`.
struct Prepared {
    client: Client,
    cfg: CrawlConfig,
    start: Vec<Url>,
    store: Store,
}

enum Store {
    Memory(MemoryFrontier),
    Sqlite(SqliteFrontier),
    Redis(RedisFrontier),
}

/// Shared with the batch futures, which hold no Python objects.
#[derive(Default)]
struct Inbox {
    /// Pages received but not yet handed to Python.
    pages: VecDeque<crawl::Page>,
    /// Leases of the pages handed to Python since the last batch: acknowledged with the next.
    delivered: Vec<u64>,
}

impl Inbox {
    fn take(&mut self) -> Option<crawl::Page> {
        let page = self.pages.pop_front()?;
        self.delivered.push(page.lease_id);
        Some(page)
    }
}

fn lock(inbox: &Mutex<Inbox>) -> std::sync::MutexGuard<'_, Inbox> {
    inbox.lock().unwrap_or_else(PoisonError::into_inner)
}

enum State {
    Prepared(Box<Prepared>),
    Running(Arc<CrawlHandle>),
    /// Ended; the handle (if the crawl ran) still answers `stats`.
    Finished(Option<Arc<CrawlHandle>>),
}

/// A crawl from start URLs, run in Rust; `async for page in crawler` delivers its pages.
#[pyclass(subclass, module = "ferrocrawl._ferrocrawl")]
pub struct Crawler {
    state: State,
    inbox: Arc<Mutex<Inbox>>,
    /// URLs added before the crawl started, with their depth.
    added: Vec<(Vec<Url>, u32)>,
}

fn invalid(what: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidArgument { what, reason: reason.into() }
}

fn parse_url(py: Python<'_>, s: &str) -> PyResult<Url> {
    let bad = |reason: String| errors::to_py(py, Error::InvalidUrl { url: s.to_owned(), reason });
    let url = Url::parse(s.trim()).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(bad("only http(s) URLs with a host can be crawled".into()));
    }
    Ok(url)
}

/// A string or an iterable of strings.
fn strings(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    obj.try_iter()?.map(|item| item?.extract::<String>()).collect()
}

fn urls(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Url>> {
    strings(obj)?.iter().map(|s| parse_url(py, s)).collect()
}

fn patterns(py: Python<'_>, what: &'static str, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Pattern>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(Vec::new()) };
    strings(obj)?.iter().map(|p| pattern(what, p).map_err(|e| errors::to_py(py, e))).collect()
}

/// `extract={"name": "css", "all": ["css"]}` as (name, rule, many) triples.
fn extract_specs(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<(String, String, bool)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(Vec::new()) };
    let dict =
        obj.cast::<PyDict>().map_err(|_| pyo3::exceptions::PyTypeError::new_err("extract must be a dict"))?;
    dict.iter()
        .map(|(name, rule)| {
            let name: String = name.extract()?;
            if let Ok(list) = rule.cast::<PyList>() {
                let [one] = list.extract::<Vec<String>>()?.try_into().map_err(|_| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "extract[{name:?}]: a list holds exactly one rule (meaning: all matches)"
                    ))
                })?;
                return Ok((name, one, true));
            }
            Ok((name, rule.extract()?, false))
        })
        .collect()
}

fn follow(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>) -> PyResult<Follow> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(Follow::All) };
    if let Ok(b) = obj.extract::<bool>() {
        return Ok(if b { Follow::All } else { Follow::Nothing });
    }
    let query: String = obj.extract()?;
    Follow::compile(&query).map_err(|e| selector_error(py, &e))
}

fn seconds(py: Python<'_>, what: &'static str, v: f64) -> PyResult<Duration> {
    if v.is_finite() && v >= 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(errors::to_py(py, invalid(what, format!("must be a number of seconds >= 0, not {v}"))))
    }
}

#[pymethods]
impl Crawler {
    #[new]
    #[allow(clippy::too_many_arguments)] // the keyword arguments of crawl()
    #[pyo3(signature = (
        start_urls, *, max_pages=None, max_depth=None, allowed_domains=None, allow=None, deny=None,
        follow=None, extract=None, concurrency=64, per_host=8, delay=0.0, rate=None, robots=true,
        sitemaps=false, retries=2, state=None, frontier=None, name=None, sink=None, sink_fields=None,
        session=None, **client_options,
    ))]
    fn new(
        py: Python<'_>,
        start_urls: &Bound<'_, PyAny>,
        max_pages: Option<u64>,
        max_depth: Option<u32>,
        allowed_domains: Option<&Bound<'_, PyAny>>,
        allow: Option<&Bound<'_, PyAny>>,
        deny: Option<&Bound<'_, PyAny>>,
        follow: Option<&Bound<'_, PyAny>>,
        extract: Option<&Bound<'_, PyAny>>,
        concurrency: usize,
        per_host: usize,
        delay: f64,
        rate: Option<f64>,
        robots: bool,
        sitemaps: bool,
        retries: u32,
        state: Option<PathBuf>,
        frontier: Option<String>,
        name: Option<String>,
        sink: Option<&Bound<'_, PyAny>>,
        sink_fields: Option<&Bound<'_, PyAny>>,
        session: Option<Py<ClientSession>>,
        client_options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let start = urls(py, start_urls)?;
        let check = |ok: bool, what: &'static str, reason: &str| {
            if ok {
                Ok(())
            } else {
                Err(errors::to_py(py, invalid(what, reason)))
            }
        };
        check(concurrency > 0, "concurrency", "must be at least 1")?;
        check(
            frontier.is_none() || state.is_none(),
            "state",
            "goes without frontier= (a Redis frontier keeps the state itself)",
        )?;
        check(
            frontier.is_none() || name.is_some(),
            "name",
            "is required with frontier= (the crawl's key prefix)",
        )?;
        check(frontier.is_some() || name.is_none(), "name", "goes with frontier=")?;
        check(per_host > 0, "per_host", "must be at least 1")?;
        check(
            rate.is_none_or(|r| r.is_finite() && r > 0.0),
            "rate",
            "must be a number of requests per second > 0, or None",
        )?;
        let allowed_domains = match allowed_domains.filter(|o| !o.is_none()) {
            Some(obj) => strings(obj)?.iter().map(|d| domain_of(d)).collect(),
            None => start.iter().filter_map(Url::host_str).map(domain_of).collect(),
        };
        let policy = Policy {
            allowed_domains,
            allow: patterns(py, "allow", allow)?,
            deny: patterns(py, "deny", deny)?,
            max_depth,
        };
        let sinks = match sink.filter(|o| !o.is_none()) {
            Some(obj) => strings(obj)?.iter().map(|u| SinkSpec::parse(u)).collect::<Result<Vec<_>, _>>(),
            None => Ok(Vec::new()),
        }
        .map_err(|e| errors::to_py(py, e))?;
        let sink_fields = match sink_fields.filter(|o| !o.is_none()) {
            Some(obj) => strings(obj)?
                .iter()
                .map(|name| {
                    PageField::parse(name).ok_or_else(|| {
                        invalid(
                            "sink_fields",
                            format!("{name:?} is not one of {}", PageField::NAMES.join(", ")),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| errors::to_py(py, e))?,
            None => Vec::new(),
        };
        check(!sinks.is_empty() || sink_fields.is_empty(), "sink_fields", "goes with sink=")?;
        let extract = Rules::compile(&extract_specs(extract)?).map_err(|e| selector_error(py, &e))?;
        let follow = self::follow(py, follow)?;
        let session = if let Some(s) = session {
            s
        } else {
            let kwargs = match client_options {
                Some(o) => o.copy()?,
                None => PyDict::new(py),
            };
            if !kwargs.contains("limit")? {
                kwargs.set_item("limit", concurrency)?;
            }
            py.get_type::<ClientSession>().call((), Some(&kwargs))?.cast_into::<ClientSession>()?.unbind()
        };
        let client = session.borrow(py).client(py)?;
        let cfg = CrawlConfig {
            policy,
            follow,
            extract,
            concurrency,
            per_host,
            delay: seconds(py, "delay", delay)?,
            rate,
            robots,
            sitemaps,
            retries,
            max_pages,
            state: state.clone(),
            user_agent: client.config().user_agent.clone(),
            sinks,
            sink_fields,
            ..CrawlConfig::default()
        };
        let politeness = Politeness { per_host, delay: cfg.delay };
        let store = match (state, frontier) {
            (Some(path), _) => Store::Sqlite(
                py.detach(|| SqliteFrontier::open(&path, politeness)).map_err(|e| errors::to_py(py, e))?,
            ),
            (None, Some(url)) => {
                let name = name.unwrap_or_default();
                let open = RedisFrontier::open(&url, &name, politeness);
                Store::Redis(
                    py.detach(|| runtime::handle().block_on(open)).map_err(|e| errors::to_py(py, e))?,
                )
            }
            (None, None) => Store::Memory(MemoryFrontier::new(politeness)),
        };
        Ok(Crawler {
            state: State::Prepared(Box::new(Prepared { client, cfg, start, store })),
            inbox: Arc::default(),
            added: Vec::new(),
        })
    }

    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let handle = self.running();
        let (next, acked) = {
            let mut inbox = lock(&self.inbox);
            match inbox.take() {
                Some(page) => (Some(page), Vec::new()),
                None => (None, std::mem::take(&mut inbox.delivered)),
            }
        };
        if let Some(page) = next {
            return Ok(Ready::new(py, Page::new(py, page)?.into_any())?.into_any());
        }
        let Some(handle) = handle else { return Err(PyStopAsyncIteration::new_err(())) };
        // Now, not in the future: a cancelled `__anext__` must not lose the acknowledgement.
        handle.ack(acked);
        let inbox = self.inbox.clone();
        let pending = Pending::new(async move {
            let batch = handle.next_batch(BATCH).await.map(|pages| lock(&inbox).pages.extend(pages));
            Box::new(move |py: Python<'_>| {
                batch.map_err(|e| errors::to_py(py, e))?;
                match lock(&inbox).take() {
                    Some(first) => Ok(Page::new(py, first)?.into_any()),
                    None => Err(PyStopAsyncIteration::new_err(())),
                }
            }) as Deliver
        });
        Ok(Py::new(py, pending)?.into_any())
    }

    /// Queues more URLs (checked against the crawl's policy and deduplicated, like links).
    #[pyo3(signature = (urls, depth=0))]
    fn add(&mut self, py: Python<'_>, urls: &Bound<'_, PyAny>, depth: u32) -> PyResult<()> {
        let urls = self::urls(py, urls)?;
        match &self.state {
            State::Prepared(_) => self.added.push((urls, depth)),
            State::Running(handle) => handle.add(urls, depth),
            State::Finished(_) => {}
        }
        Ok(())
    }

    /// Stops scheduling. In-flight fetches finish and their pages are still delivered,
    /// unless `abandon`; with `state=`, what was not delivered is fetched on the next run.
    #[pyo3(signature = (abandon=false))]
    fn stop(&mut self, abandon: bool) {
        match &self.state {
            State::Prepared(_) => self.state = State::Finished(None),
            State::Running(handle) => handle.stop(abandon),
            State::Finished(_) => {}
        }
    }

    /// Stops at once and waits until the state is durable; pages not yet taken are
    /// delivered again by a resumed crawl.
    fn aclose(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let handle = match &self.state {
            State::Running(handle) => handle.clone(),
            _ => return Ok(Ready::none(py)?.into_any()),
        };
        self.state = State::Finished(Some(handle.clone()));
        handle.stop(true);
        let acked = {
            let mut inbox = lock(&self.inbox);
            inbox.pages.clear();
            std::mem::take(&mut inbox.delivered)
        };
        handle.ack(acked);
        let pending = Pending::new(async move {
            let result = loop {
                match handle.next_batch(BATCH).await {
                    Ok(batch) if batch.is_empty() => break Ok(()),
                    Ok(_) => {}
                    Err(e) => break Err(e),
                }
            };
            Box::new(move |py: Python<'_>| match result {
                Ok(()) => Ok(py.None()),
                Err(e) => Err(errors::to_py(py, e)),
            }) as Deliver
        });
        Ok(Py::new(py, pending)?.into_any())
    }

    /// Counters of the crawl so far.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        let (State::Running(handle) | State::Finished(Some(handle))) = &self.state else { return Ok(d) };
        let s = handle.stats();
        d.set_item("pages", s.pages)?;
        d.set_item("bytes", s.bytes)?;
        d.set_item("requests", s.requests)?;
        d.set_item("retries", s.retries)?;
        d.set_item("redirects", s.redirects)?;
        d.set_item("robots_denied", s.robots_denied)?;
        d.set_item("filtered", s.filtered)?;
        d.set_item("queued", s.queued)?;
        d.set_item("in_flight", s.in_flight)?;
        d.set_item("elapsed", s.elapsed.as_secs_f64())?;
        d.set_item("pages_per_second", s.pages_per_second())?;
        d.set_item("errors", s.errors.into_py_dict(py)?)?;
        d.set_item("status", s.statuses.into_py_dict(py)?)?;
        d.set_item("hosts", s.hosts.into_py_dict(py)?)?;
        if !s.crawl.is_empty() {
            d.set_item("crawl", s.crawl.into_py_dict(py)?)?;
        }
        Ok(d)
    }
}

impl Crawler {
    /// The running crawl's handle, starting it on first use; `None` once it has ended.
    fn running(&mut self) -> Option<Arc<CrawlHandle>> {
        if matches!(self.state, State::Prepared(_)) {
            let State::Prepared(prepared) = std::mem::replace(&mut self.state, State::Finished(None)) else {
                unreachable!()
            };
            let Prepared { client, cfg, start, store } = *prepared;
            let added = std::mem::take(&mut self.added);
            let handle = match store {
                Store::Memory(f) => spawn(client, cfg, f, start, added),
                Store::Sqlite(f) => spawn(client, cfg, f, start, added),
                Store::Redis(f) => spawn(client, cfg, f, start, added),
            };
            self.state = State::Running(handle);
        }
        match &self.state {
            State::Running(handle) => Some(handle.clone()),
            _ => None,
        }
    }
}

/// Starts the engine; URLs added before the start are queued before it runs.
fn spawn<F: crawl::frontier::Frontier>(
    client: Client,
    cfg: CrawlConfig,
    frontier: F,
    start: Vec<Url>,
    added: Vec<(Vec<Url>, u32)>,
) -> Arc<CrawlHandle> {
    let (handle, driver) = crawl::start(client, cfg, frontier, start);
    for (urls, depth) in added {
        handle.add(urls, depth);
    }
    runtime::handle().spawn(driver);
    Arc::new(handle)
}

/// One crawled page.
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct Page {
    inner: crawl::Page,
    response: Option<Response>,
    error: Option<Py<PyAny>>,
}

impl Page {
    fn new(py: Python<'_>, mut page: crawl::Page) -> PyResult<Py<Page>> {
        let response = page.response.take().map(Response::new);
        let error = page.error.take().map(|e| errors::to_py(py, e).into_value(py).into_any());
        Py::new(py, Page { inner: page, response, error })
    }
}

fn value_to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::None => py.None(),
        Value::One(s) => PyString::new(py, s).into_any().unbind(),
        Value::Many(list) => PyList::new(py, list)?.into_any().unbind(),
    })
}

#[pymethods]
impl Page {
    /// The URL fetched last, after redirects (canonical).
    #[getter]
    fn url(&self) -> &str {
        self.inner.url.as_str()
    }

    /// The URL as queued, before redirects.
    #[getter]
    fn request_url(&self) -> &str {
        &self.inner.request_url
    }

    /// The HTTP status, or None when no response came (a connection error).
    #[getter]
    fn status(&self) -> Option<u16> {
        self.response.as_ref().map(Response::status_code)
    }

    #[getter]
    fn headers(&self, py: Python<'_>) -> PyResult<Py<Headers>> {
        match &self.response {
            Some(r) => r.headers(py),
            None => Py::new(py, Headers::from_map(&ferrocrawl_core::reqwest::header::HeaderMap::new())),
        }
    }

    #[getter]
    fn depth(&self) -> u32 {
        self.inner.depth
    }

    #[getter]
    fn referer(&self) -> Option<&str> {
        self.inner.referer.as_deref()
    }

    /// Seconds from the request to the whole body.
    #[getter]
    fn elapsed(&self) -> f64 {
        self.inner.elapsed.as_secs_f64()
    }

    /// The `extract=` results: name -> first match (or None), or a list for list rules.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, value) in &self.inner.data {
            d.set_item(name, value_to_py(py, value)?)?;
        }
        Ok(d)
    }

    /// Every link on the page, absolute and canonical, followed or not.
    #[getter]
    fn links<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, &self.inner.links)
    }

    /// Why the page failed after its retries (an exception object), else None.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|e| e.clone_ref(py))
    }

    #[getter]
    fn ok(&self) -> bool {
        self.error.is_none() && self.status().is_some_and(|s| s < 400)
    }

    /// The body as bytes (empty without a response).
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.response.as_ref().map_or(&[][..], |r| r.raw_body()))
    }

    fn read<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.body(py)
    }

    /// The body as text, decoded like `Response.text()` (browser rules unless `encoding`).
    #[pyo3(signature = (encoding=None, errors="replace"))]
    fn text(&self, py: Python<'_>, encoding: Option<&str>, errors: &str) -> PyResult<Py<PyAny>> {
        match &self.response {
            Some(r) => r.decode(py, encoding, errors),
            None => Ok(PyString::new(py, "").into_any().unbind()),
        }
    }

    /// The body as HTML, with the page's URL as base.
    fn selector(&self, py: Python<'_>) -> PyResult<Py<Selector>> {
        let body = self.response.as_ref().map_or(&[][..], |r| r.raw_body());
        let ct = self.response.as_ref().and_then(Response::content_type_header);
        Py::new(py, Selector::parse_body(py, body, ct, Some(self.inner.url.clone())))
    }

    /// One row for a table (a pandas DataFrame, a CSV): `url`, `status`, `depth`, `referer`,
    /// `elapsed`, `error` (its message), `links` (how many), then the `extract=` fields.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("url", self.url())?;
        d.set_item("status", self.status())?;
        d.set_item("depth", self.depth())?;
        d.set_item("referer", self.referer())?;
        d.set_item("elapsed", self.elapsed())?;
        let error = match &self.error {
            Some(e) => Some(e.bind(py).str()?),
            None => None,
        };
        d.set_item("error", error)?;
        d.set_item("links", self.inner.links.len())?;
        for (name, value) in &self.inner.data {
            d.set_item(name, value_to_py(py, value)?)?;
        }
        Ok(d)
    }

    fn __repr__(&self) -> String {
        match (self.status(), &self.error) {
            (Some(status), None) => {
                format!("<Page [{status}] {} depth={}>", self.inner.url, self.inner.depth)
            }
            _ => format!("<Page [error] {} depth={}>", self.inner.url, self.inner.depth),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Crawler>()?;
    m.add_class::<Page>()?;
    Ok(())
}
