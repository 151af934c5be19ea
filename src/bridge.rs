//! The one road from Rust futures to asyncio. Nothing else spawns onto the runtime for
//! Python or touches the event loop.
//!
//! Each event loop gets a [`LoopBridge`]: a socket pair whose read end is registered once
//! with `loop.add_reader`, a queue of completions, and the slab of asyncio futures still
//! waiting. Python objects never leave the loop thread: a task carries the slot number of
//! its future and pushes Rust data (a [`Deliver`] closure) onto the queue, writing one byte
//! only when the queue goes from empty to non-empty, so tokio threads never take the GIL and
//! a burst of completions costs the loop one wakeup; `drain` then resolves every queued
//! future in one pass. (One `call_soon_threadsafe` per result measured clearly slower.)
//! A loop closed with work in flight is therefore freed: the tasks only hold the queue.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyWeakrefReference;
use pyo3::{PyTraverseError, PyVisit};
use tokio::task::AbortHandle;

use crate::{errors, runtime};

/// Turns a task's output into a Python value; runs on the loop thread, GIL held.
pub type Deliver = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

type Work = Box<dyn FnOnce(Python<'_>) + Send>;
type Panic = Box<dyn Any + Send>;

/// How a task ended.
enum Outcome {
    Done(Deliver),
    Panicked(Panic),
    /// Aborted (its awaiter went away) or dropped by a runtime shutdown.
    Dropped,
}

/// Work for the loop thread, about the future in `slot`: resolve it, or make progress on it
/// while its task still runs (a batch converting its responses as they arrive).
enum Completion {
    Resolve { slot: usize, outcome: Outcome },
    Progress { slot: usize, work: Work },
}

struct Shared {
    queue: Mutex<Vec<Completion>>,
    waker: UnixStream,
    /// Kept open as long as a task can write, so a write never meets a closed peer
    /// (EPIPE, or SIGPIPE where a host restored `SIG_DFL`).
    reader: UnixStream,
}

impl Shared {
    fn push(&self, completion: Completion) {
        let was_empty = {
            let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
            queue.push(completion);
            queue.len() == 1
        };
        if was_empty {
            // A full socket buffer means a wakeup is already pending.
            let _ = (&self.waker).write(&[1]);
        }
    }
}

/// A handle a running task uses to have the loop thread do some Python work now (in
/// queue order, before the task's final result).
#[derive(Clone)]
pub struct Progress {
    shared: Arc<Shared>,
    slot: usize,
}

impl Progress {
    pub fn send(&self, work: impl FnOnce(Python<'_>) + Send + 'static) {
        self.shared.push(Completion::Progress { slot: self.slot, work: Box::new(work) });
    }
}

/// Owned by a task: sends its outcome, or `Dropped` if the task is dropped first (aborted,
/// never polled, or cancelled by a shutdown), so every slot is freed exactly once.
struct Reply {
    shared: Arc<Shared>,
    slot: usize,
    sent: bool,
}

impl Reply {
    fn send(mut self, outcome: Outcome) {
        self.sent = true;
        self.shared.push(Completion::Resolve { slot: self.slot, outcome });
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if !self.sent {
            self.shared.push(Completion::Resolve { slot: self.slot, outcome: Outcome::Dropped });
        }
    }
}

/// The futures of one loop still waiting for their task; touched only on the loop thread.
#[derive(Default)]
struct Slab {
    slots: Vec<Option<Py<PyAny>>>,
    free: Vec<usize>,
}

impl Slab {
    fn insert(&mut self, fut: Py<PyAny>) -> usize {
        if let Some(i) = self.free.pop() {
            self.slots[i] = Some(fut);
            i
        } else {
            self.slots.push(Some(fut));
            self.slots.len() - 1
        }
    }

    fn remove(&mut self, slot: usize) -> Option<Py<PyAny>> {
        let fut = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        Some(fut)
    }
}

/// Bumped in a forked child: a bridge made before belongs to the parent (its socket is
/// shared with it) and is never used again.
static FORK_EPOCH: AtomicU64 = AtomicU64::new(0);

/// The reader callback registered with one event loop, and the futures it will resolve.
#[pyclass(frozen, weakref, module = "ferrocrawl._ferrocrawl")]
pub struct LoopBridge {
    shared: Arc<Shared>,
    // A Mutex only because pyclasses must be Sync: only the loop thread takes it.
    futures: Mutex<Slab>,
    fork_epoch: u64,
    event_loop: Py<PyWeakrefReference>,
}

impl LoopBridge {
    fn slab(&self) -> std::sync::MutexGuard<'_, Slab> {
        self.futures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Resolves or progresses one future. A panic in the closure fails that future alone;
    /// the error returned is one raised while resolving (not InvalidStateError).
    fn complete(&self, py: Python<'_>, completion: Completion) -> PyResult<()> {
        match completion {
            Completion::Progress { slot, work } => {
                let Some(fut) = self.slab().slots.get(slot).and_then(|f| f.as_ref().map(|f| f.clone_ref(py)))
                else {
                    return Ok(());
                };
                let fut = fut.bind(py);
                if is_done(fut)? {
                    return Ok(()); // cancelled: nobody reads what this work would make
                }
                match catch_unwind(AssertUnwindSafe(|| work(py))) {
                    Ok(()) => Ok(()),
                    Err(panic) => settle(fut, Err(errors::from_panic(py, &*panic))),
                }
            }
            Completion::Resolve { slot, outcome } => {
                let Some(fut) = self.slab().remove(slot) else { return Ok(()) };
                let fut = fut.bind(py);
                if is_done(fut)? {
                    return Ok(()); // cancelled, or failed by a panicking progress step
                }
                let value = match outcome {
                    Outcome::Done(deliver) => catch_unwind(AssertUnwindSafe(|| deliver(py)))
                        .unwrap_or_else(|panic| Err(errors::from_panic(py, &*panic))),
                    Outcome::Panicked(panic) => Err(errors::from_panic(py, &*panic)),
                    Outcome::Dropped => Err(PyRuntimeError::new_err(
                        "ferrocrawl's runtime stopped (ferrocrawl.shutdown() or interpreter exit) \
                         before this call finished",
                    )),
                };
                settle(fut, value)
            }
        }
    }
}

fn is_done(fut: &Bound<'_, PyAny>) -> PyResult<bool> {
    fut.call_method0(intern!(fut.py(), "done"))?.is_truthy()
}

/// Sets the future's result or exception. InvalidStateError (it was cancelled meanwhile) is
/// expected; anything else (a KeyboardInterrupt from a signal handler) is returned.
fn settle(fut: &Bound<'_, PyAny>, value: PyResult<Py<PyAny>>) -> PyResult<()> {
    let py = fut.py();
    let set = match value {
        Ok(v) => fut.call_method1(intern!(py, "set_result"), (v,)),
        Err(e) => fut.call_method1(intern!(py, "set_exception"), (e.into_value(py),)),
    };
    match set {
        Ok(_) => Ok(()),
        Err(e) if e.is_instance(py, invalid_state_error(py)?) => Ok(()),
        Err(e) => Err(e),
    }
}

pub fn invalid_state_error(py: Python<'_>) -> PyResult<&Bound<'_, pyo3::types::PyType>> {
    static CLASS: PyOnceLock<Py<pyo3::types::PyType>> = PyOnceLock::new();
    CLASS.import(py, "asyncio", "InvalidStateError")
}

#[pymethods]
impl LoopBridge {
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        if self.fork_epoch != FORK_EPOCH.load(Ordering::Acquire) {
            // The parent's socket: reading it would steal the parent's wakeups.
            return self.unregister(py);
        }
        // Empty the socket before taking the queue: a push after the take then leaves a
        // byte behind and wakes us again, so nothing is stranded.
        let mut buf = [0u8; 64];
        while matches!((&self.shared.reader).read(&mut buf), Ok(n) if n > 0) {}
        let batch = std::mem::take(&mut *self.shared.queue.lock().unwrap_or_else(PoisonError::into_inner));
        // Every completion is handled even if one fails; the first failure is raised after.
        let mut first_error = None;
        for completion in batch {
            if let Err(e) = self.complete(py, completion) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        // Never contended (loop thread only); never block the collector if it were.
        if let Ok(slab) = self.futures.try_lock() {
            for fut in slab.slots.iter().flatten() {
                visit.call(fut)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let old = std::mem::take(&mut *self.slab());
        drop(old);
    }
}

impl LoopBridge {
    fn unregister(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(event_loop) = self.event_loop.bind(py).upgrade() {
            event_loop.call_method1(intern!(py, "remove_reader"), (self.shared.reader.as_raw_fd(),))?;
        }
        Ok(())
    }
}

thread_local! {
    /// The bridge last used on this thread and its loop (both weak: a closed loop must be
    /// collectable), so an await finds its bridge without a lock or a lookup.
    static LAST: RefCell<Option<(Py<PyWeakrefReference>, Py<PyWeakrefReference>)>> =
        const { RefCell::new(None) };
}

fn bridge_for<'py>(event_loop: &Bound<'py, PyAny>) -> PyResult<Bound<'py, LoopBridge>> {
    let py = event_loop.py();
    let hit = LAST.with(|last| {
        let last = last.borrow();
        let (loop_ref, bridge_ref) = last.as_ref()?;
        let cached_loop = loop_ref.bind(py).upgrade()?;
        if !cached_loop.is(event_loop) {
            return None;
        }
        bridge_ref.bind(py).upgrade()?.cast_into::<LoopBridge>().ok()
    });
    if let Some(bridge) = hit {
        return Ok(bridge);
    }
    let bridge = match event_loop.getattr(intern!(py, "_ferrocrawl_bridge")) {
        Ok(b) => match b.cast_into::<LoopBridge>() {
            Ok(b) if b.get().fork_epoch == FORK_EPOCH.load(Ordering::Acquire) => b,
            _ => new_bridge(event_loop)?,
        },
        Err(_) => new_bridge(event_loop)?,
    };
    let loop_ref = PyWeakrefReference::new(event_loop)?.unbind();
    let bridge_ref = PyWeakrefReference::new(&bridge)?.unbind();
    LAST.with(|last| *last.borrow_mut() = Some((loop_ref, bridge_ref)));
    Ok(bridge)
}

fn new_bridge<'py>(event_loop: &Bound<'py, PyAny>) -> PyResult<Bound<'py, LoopBridge>> {
    let py = event_loop.py();
    let (reader, waker) = UnixStream::pair()?;
    reader.set_nonblocking(true)?;
    waker.set_nonblocking(true)?;
    let fd = reader.as_raw_fd();
    let shared = Arc::new(Shared { queue: Mutex::new(Vec::new()), waker, reader });
    let bridge = Bound::new(
        py,
        LoopBridge {
            shared,
            futures: Mutex::new(Slab::default()),
            fork_epoch: FORK_EPOCH.load(Ordering::Acquire),
            event_loop: PyWeakrefReference::new(event_loop)?.unbind(),
        },
    )?;
    // The loop keeps its bridge alive: through the reader callback, and as an attribute
    // found again by the next thread (or after another loop ran on this one). A loop class
    // without a __dict__ only loses that second lookup.
    event_loop.call_method1(intern!(py, "add_reader"), (fd, bridge.getattr(intern!(py, "drain"))?))?;
    let _ = event_loop.setattr(intern!(py, "_ferrocrawl_bridge"), &bridge);
    Ok(bridge)
}

/// In a forked child the parent's sockets and loops are not ours to use.
pub fn after_fork_in_child() {
    FORK_EPOCH.fetch_add(1, Ordering::AcqRel);
    LAST.with(|last| std::mem::forget(last.borrow_mut().take()));
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
    let bridge = bridge_for(&event_loop)?;
    let bridge = bridge.get();
    let fut = event_loop.call_method0(intern!(py, "create_future"))?.unbind();
    let slot = bridge.slab().insert(fut.clone_ref(py));
    let shared = bridge.shared.clone();
    let work = make(Progress { shared: shared.clone(), slot });
    let reply = Reply { shared, slot, sent: false };
    let task = runtime::handle().spawn(async move {
        let outcome = match AssertUnwindSafe(work).catch_unwind().await {
            Ok(deliver) => Outcome::Done(deliver),
            Err(panic) => Outcome::Panicked(panic),
        };
        reply.send(outcome);
    });
    Ok((fut, task.abort_handle()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<LoopBridge>()
}
