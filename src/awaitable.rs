//! Awaitables handed to Python: `Pending` (Rust work not started until first awaited) and
//! `Ready` (a value already at hand, e.g. `await resp.text()`).
//!
//! `Pending` is its own iterator and implements `send`/`throw`/`close`, so it is a
//! coroutine to asyncio (`create_task`, `gather`) and `throw` (cancellation) reaches it
//! directly: the Rust task is aborted there, or when the object is dropped unfinished.

use std::future::Future;
use std::pin::Pin;

use pyo3::exceptions::{PyRuntimeError, PyStopIteration};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{PyTraverseError, PyVisit};
use tokio::task::AbortHandle;

use crate::bridge::{self, Deliver, Progress};

type Work = Pin<Box<dyn Future<Output = Deliver> + Send>>;
type MakeWork = Box<dyn FnOnce(Progress) -> Work + Send>;

enum State {
    // The Mutex only makes the (Send) future Sync, as pyclasses must be; it is never contended.
    Idle(std::sync::Mutex<Work>),
    /// Work that needs the loop's [`Progress`] handle, known only once it is started.
    IdleWithProgress(std::sync::Mutex<MakeWork>),
    Waiting {
        fut: Py<PyAny>,
        abort: AbortHandle,
    },
    Done,
}

/// A coroutine for a Rust call: the work starts at the first `await` and is aborted when the
/// await is cancelled.
#[pyclass(module = "ferrocrawl._ferrocrawl")]
pub struct Pending {
    state: State,
}

impl Pending {
    pub fn new(work: impl Future<Output = Deliver> + Send + 'static) -> Self {
        Pending { state: State::Idle(std::sync::Mutex::new(Box::pin(work))) }
    }

    pub fn with_progress<F>(make: impl FnOnce(Progress) -> F + Send + 'static) -> Self
    where
        F: Future<Output = Deliver> + Send + 'static,
    {
        let make: MakeWork = Box::new(move |progress| Box::pin(make(progress)));
        Pending { state: State::IdleWithProgress(std::sync::Mutex::new(make)) }
    }

    fn start(&mut self, py: Python<'_>, spawned: (Py<PyAny>, AbortHandle)) -> PyResult<Py<PyAny>> {
        let (fut, abort) = spawned;
        // What asyncio.Future.__await__ does before yielding itself to the Task.
        fut.bind(py).setattr(intern!(py, "_asyncio_future_blocking"), true)?;
        self.state = State::Waiting { fut: fut.clone_ref(py), abort };
        Ok(fut)
    }

    fn step(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Idle(work) => {
                let work = work.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
                let spawned = bridge::spawn(py, work)?;
                self.start(py, spawned)
            }
            State::IdleWithProgress(make) => {
                let make = make.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
                let spawned = bridge::spawn_with_progress(py, make)?;
                self.start(py, spawned)
            }
            State::Waiting { fut, abort } => match fut.bind(py).call_method0(intern!(py, "result")) {
                Ok(value) => {
                    // A failed Progress step fails the future while the task still runs.
                    abort.abort();
                    Err(PyStopIteration::new_err((value.unbind(),)))
                }
                Err(e) if e.is_instance(py, bridge::invalid_state_error(py)?) => {
                    // Not done: a second task awaiting us while the first waits. Refuse it,
                    // as a coroutine would, and keep the result for the first.
                    self.state = State::Waiting { fut, abort };
                    Err(PyRuntimeError::new_err("this ferrocrawl call is already being awaited"))
                }
                Err(e) => {
                    abort.abort();
                    Err(e)
                }
            },
            State::Done => Err(PyRuntimeError::new_err("cannot reuse an already awaited ferrocrawl call")),
        }
    }

    fn cancel(&mut self, py: Python<'_>) {
        if let State::Waiting { fut, abort } = std::mem::replace(&mut self.state, State::Done) {
            abort.abort();
            let _ = fut.bind(py).call_method0(intern!(py, "cancel"));
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let State::Waiting { abort, .. } = &self.state {
            abort.abort();
        }
    }
}

#[pymethods]
impl Pending {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.step(py)
    }

    #[pyo3(signature = (_value, /))]
    fn send(&mut self, py: Python<'_>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.step(py)
    }

    #[pyo3(signature = (typ, val=None, tb=None, /))]
    fn throw(
        &mut self,
        py: Python<'_>,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        self.cancel(py);
        let exc = if typ.is_instance_of::<pyo3::exceptions::PyBaseException>() {
            typ.clone()
        } else if typ.is_instance_of::<PyType>() {
            match val {
                Some(v) if v.is_instance(typ)? => v.clone(),
                Some(v) if !v.is_none() => typ.call1((v,))?,
                _ => typ.call0()?,
            }
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err("throw() expects an exception"));
        };
        if let Some(tb) = tb.filter(|tb| !tb.is_none()) {
            exc.call_method1(intern!(py, "with_traceback"), (tb,))?;
        }
        Err(PyErr::from_value(exc))
    }

    fn close(&mut self, py: Python<'_>) {
        self.cancel(py);
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let State::Waiting { fut, .. } = &self.state {
            visit.call(fut)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        if let State::Waiting { abort, .. } = std::mem::replace(&mut self.state, State::Done) {
            abort.abort();
        }
    }

    /// `async with session.get(url) as resp`: entering awaits the response itself.
    fn __aenter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __aexit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<Py<Ready>> {
        Ready::none(py)
    }
}

/// An awaitable that is already complete; its own iterator, so awaiting it allocates
/// nothing more. Awaited once, like a coroutine.
#[pyclass(module = "ferrocrawl._ferrocrawl")]
pub struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub fn new(py: Python<'_>, value: Py<PyAny>) -> PyResult<Py<Ready>> {
        Py::new(py, Ready { value: Some(value) })
    }

    pub fn none(py: Python<'_>) -> PyResult<Py<Ready>> {
        Self::new(py, py.None())
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self) -> PyResult<()> {
        match self.value.take() {
            Some(value) => Err(PyStopIteration::new_err((value,))),
            None => Err(PyRuntimeError::new_err("cannot reuse an already awaited ferrocrawl result")),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.value)
    }

    fn __clear__(&mut self) {
        self.value = None;
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Pending>()?;
    m.add_class::<Ready>()?;
    Ok(())
}
