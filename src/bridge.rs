//! The one road from Rust futures to asyncio. Nothing else spawns onto the runtime for
//! Python or touches the event loop.
//!
//! Each event loop gets a socket pair whose read end is registered once with
//! `loop.add_reader`. A finished task pushes its result onto the loop's queue and writes one
//! byte only when the queue goes from empty to non-empty, so tokio threads never take the
//! GIL and a burst of completions costs the loop one wakeup; `drain` then resolves every
//! queued future in one pass. (One `call_soon_threadsafe` per result measured clearly slower.)

use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::task::AbortHandle;

use crate::{errors, runtime};

/// Turns a task's output into a Python value; runs on the loop thread, GIL held.
pub type Deliver = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Work for the loop thread: resolve a future, or make progress on one still running (a
/// batch converting its responses while the rest are still being fetched).
enum Completion {
    Resolve { fut: Py<PyAny>, outcome: std::thread::Result<Deliver> },
    Progress(Box<dyn FnOnce(Python<'_>) + Send>),
}

struct Shared {
    queue: Mutex<Vec<Completion>>,
    waker: UnixStream,
}

/// A handle a running task uses to have the loop thread do some Python work now (in
/// queue order, before the task's final result).
#[derive(Clone)]
pub struct Progress(Arc<Shared>);

impl Progress {
    pub fn send(&self, work: impl FnOnce(Python<'_>) + Send + 'static) {
        self.0.push(Completion::Progress(Box::new(work)));
    }
}

impl Shared {
    fn push(&self, completion: Completion) {
        let was_empty = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.push(completion);
            queue.len() == 1
        };
        if was_empty {
            // A full socket buffer means a wakeup is already pending; a closed peer means
            // the loop is gone. Neither needs handling.
            let _ = (&self.waker).write(&[1]);
        }
    }
}

/// The reader callback registered with one event loop.
#[pyclass(frozen, module = "ferrocrawl._ferrocrawl")]
pub struct LoopBridge {
    shared: Arc<Shared>,
    reader: UnixStream,
}

#[pymethods]
impl LoopBridge {
    fn drain(&self, py: Python<'_>) {
        // Empty the socket before taking the queue: a push after the take then leaves a
        // byte behind and wakes us again, so nothing is stranded.
        let mut buf = [0u8; 64];
        while matches!((&self.reader).read(&mut buf), Ok(n) if n > 0) {}
        let batch = std::mem::take(&mut *self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner));
        for completion in batch {
            resolve(py, completion);
        }
    }
}

fn resolve(py: Python<'_>, completion: Completion) {
    let (fut, outcome) = match completion {
        Completion::Resolve { fut, outcome } => (fut, outcome),
        Completion::Progress(work) => return work(py),
    };
    let fut = fut.bind(py);
    let value = match outcome {
        Ok(deliver) => deliver(py),
        Err(panic) => Err(errors::from_panic(py, &*panic)),
    };
    // A future cancelled meanwhile refuses both (InvalidStateError): nobody waits for it.
    let _ = match value {
        Ok(v) => fut.call_method1(intern!(py, "set_result"), (v,)),
        Err(e) => fut.call_method1(intern!(py, "set_exception"), (e.into_value(py),)),
    };
}

/// Bridges by event loop identity; an entry is dropped when its loop is collected.
static BRIDGES: Mutex<Vec<(usize, Arc<Shared>)>> = Mutex::new(Vec::new());

fn lookup(key: usize) -> Option<Arc<Shared>> {
    let bridges = BRIDGES.lock().unwrap_or_else(PoisonError::into_inner);
    bridges.iter().find(|(k, _)| *k == key).map(|(_, s)| s.clone())
}

fn shared_for(py: Python<'_>, event_loop: &Bound<'_, PyAny>) -> PyResult<Arc<Shared>> {
    let key = event_loop.as_ptr() as usize;
    if let Some(shared) = lookup(key) {
        return Ok(shared);
    }
    let (reader, waker) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    waker.set_nonblocking(true)?;
    let fd = reader.as_raw_fd();
    let shared = Arc::new(Shared { queue: Mutex::new(Vec::new()), waker });
    let bridge = Bound::new(py, LoopBridge { shared: shared.clone(), reader })?;
    event_loop.call_method1(intern!(py, "add_reader"), (fd, bridge.getattr(intern!(py, "drain"))?))?;
    let forget = wrap_forget(py)?;
    py.import("weakref")?.getattr("finalize")?.call1((event_loop, forget, key))?;
    BRIDGES.lock().unwrap_or_else(PoisonError::into_inner).push((key, shared.clone()));
    Ok(shared)
}

#[pyfunction]
fn _forget_loop(key: usize) {
    BRIDGES.lock().unwrap_or_else(PoisonError::into_inner).retain(|(k, _)| *k != key);
}

fn wrap_forget(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static FORGET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    FORGET
        .get_or_try_init(py, || Ok::<_, PyErr>(wrap_pyfunction!(_forget_loop, py)?.into_any().unbind()))
        .map(|f| f.bind(py).clone())
}

/// In a forked child the parent's sockets and loops are not ours to use.
pub fn after_fork_in_child() {
    let old = std::mem::take(&mut *BRIDGES.lock().unwrap_or_else(PoisonError::into_inner));
    std::mem::forget(old);
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let get = GET_RUNNING_LOOP.import(py, "asyncio", "get_running_loop")?;
    get.call0().map_err(|_| {
        PyRuntimeError::new_err(
            "ferrocrawl calls must be awaited inside a running event loop (asyncio.run, or a notebook cell)",
        )
    })
}

/// Starts `work` on the runtime; returns the asyncio future it will resolve and the handle
/// that cancels it. A panic in `work` resolves the future with `InternalError`.
pub fn spawn<F>(py: Python<'_>, work: F) -> PyResult<(Py<PyAny>, AbortHandle)>
where
    F: Future<Output = Deliver> + Send + 'static,
{
    spawn_with_progress(py, |_| work)
}

/// [`spawn`], for work that also sends [`Progress`] while it runs.
pub fn spawn_with_progress<M, F>(py: Python<'_>, make: M) -> PyResult<(Py<PyAny>, AbortHandle)>
where
    M: FnOnce(Progress) -> F,
    F: Future<Output = Deliver> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let shared = shared_for(py, &event_loop)?;
    let fut = event_loop.call_method0(intern!(py, "create_future"))?.unbind();
    let target = fut.clone_ref(py);
    let work = make(Progress(shared.clone()));
    let task = runtime::handle().spawn(async move {
        let outcome = AssertUnwindSafe(work).catch_unwind().await;
        shared.push(Completion::Resolve { fut: target, outcome });
    });
    Ok((fut, task.abort_handle()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LoopBridge>()
}
