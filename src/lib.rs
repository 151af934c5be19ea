//! The `ferrocrawl._ferrocrawl` extension: pyo3 glue over `ferrocrawl-core`.

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

/// Stops the runtime at interpreter exit (`atexit`), with the GIL released.
#[pyfunction]
fn _shutdown(py: Python<'_>) {
    py.detach(runtime::shutdown);
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
    m.add_class::<headers::Headers>()?;
    m.add_class::<response::Response>()?;
    m.add_function(wrap_pyfunction!(_after_fork_in_child, m)?)?;
    m.add_function(wrap_pyfunction!(_shutdown, m)?)?;
    m.add_function(wrap_pyfunction!(safe_filename, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_in_task, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
