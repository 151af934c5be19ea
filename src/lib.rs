//! The `ferrocrawl._ferrocrawl` extension: pyo3 glue over `ferrocrawl-core`.

#![forbid(unsafe_code)]
// Python methods take `self` whether or not they use it (`release()`, `__aexit__`).
#![allow(clippy::unused_self)]

mod awaitable;
mod bridge;
mod convert;
mod cookies;
mod crawl;
mod errors;
mod headers;
mod response;
mod runtime;
mod selector;
mod session;
mod sink;

use pyo3::prelude::*;

// Rust allocations only (Python keeps its own allocator): parsing builds many small nodes.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Resets runtime and loop bridges in a forked child (`os.register_at_fork`).
#[pyfunction]
fn _after_fork_in_child() {
    runtime::after_fork_in_child();
    bridge::after_fork_in_child();
}

/// `ferrocrawl.shutdown()`, also run at interpreter exit: stops the runtime (taken out with
/// the GIL held, stopped with it released); in-flight calls fail, the next call starts a
/// fresh runtime.
#[pyfunction]
fn _shutdown(py: Python<'_>) {
    if let Some(rt) = runtime::take() {
        py.detach(|| runtime::stop(rt));
    }
}

/// Test hook: an awaitable whose loop-thread closure panics, `where` being "deliver" (the
/// final conversion) or "progress" (a step sent while the task runs).
#[pyfunction]
fn _test_panic(r#where: &str) -> PyResult<awaitable::Pending> {
    let in_progress = match r#where {
        "deliver" => false,
        "progress" => true,
        other => return Err(pyo3::exceptions::PyValueError::new_err(format!("unknown place {other:?}"))),
    };
    Ok(awaitable::Pending::with_progress(move |progress| async move {
        if in_progress {
            progress.send(|_| panic!("boom in progress"));
            // long enough for the loop to run the step before the result arrives
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Box::new(move |py: Python<'_>| -> PyResult<Py<PyAny>> {
            assert!(in_progress, "boom in deliver");
            Ok(py.None())
        }) as bridge::Deliver
    }))
}

/// Test hook: an awaitable whose Rust task panics with `message`, to check that a panic
/// becomes `InternalError` and leaves the runtime usable.
#[pyfunction]
fn _panic_in_task(message: String) -> awaitable::Pending {
    awaitable::Pending::new(async move { std::panic::panic_any::<String>(message) })
}

#[pyfunction]
fn safe_filename(name: &str) -> String {
    ferrocrawl_core::files::safe_filename(name)
}

#[pymodule]
fn _ferrocrawl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    bridge::register(m)?;
    awaitable::register(m)?;
    session::register(m)?;
    selector::register(m)?;
    crawl::register(m)?;
    sink::register(m)?;
    m.add_class::<headers::Headers>()?;
    m.add_class::<response::Response>()?;
    m.add_function(wrap_pyfunction!(_after_fork_in_child, m)?)?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(safe_filename, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_in_task, m)?)?;
    m.add_function(wrap_pyfunction!(_test_panic, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
